/*
 * test_http.c - the HTTP client against the scripted fake transport:
 * retry rules, backoff, Retry-After, paging, error bodies, the token host
 * check, tokens and refresh on 401, the trace's redaction, LROs and the
 * in-flight bound.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cloud/cloud.h"
#include "fake_transport.h"
#include "http/http.h"

typedef struct env {
	az_cloud *cloud;
	fake_tp *fake;
	az_http_client *c;
	az_http_options o;
} env;

typedef struct result {
	int calls;
	int err;
	int status;
	char *body;
	char *location;
	az_diags diags;
	json_t *values;
} result;

static void open_client(env *e)
{
	az_transport tp;
	fake_tp_new(&tp, &e->fake);
	e->c = az_http_client_new(&e->o, &tp, e->cloud);
}

/* A new client, with the options the test has changed in e->o. */
static void reopen_client(env *e)
{
	az_http_client_free(e->c);
	open_client(e);
}

static int setup(void **state)
{
	env *e = az_xcalloc(1, sizeof(*e));
	az_diags d = AZ_DIAGS_INIT;
	assert_int_equal(az_cloud_builtin(&e->cloud, "AzureCloud", &d), 0);
	az_http_options_init(&e->o);
	e->o.seed = 42;
	e->o.verbosity = 0;
	e->o.poll_max_ms = 30000;
	e->o.poll_default_ms = 5000;
	open_client(e);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	env *e = *state;
	az_http_client_free(e->c);
	az_cloud_free(e->cloud);
	free(e);
	return 0;
}

static void result_clear(result *r)
{
	free(r->body);
	free(r->location);
	az_diags_clear(&r->diags);
	json_decref(r->values);
	memset(r, 0, sizeof(*r));
}

static void on_done(void *ud, int err, const az_http_response *resp, az_diags *d)
{
	result *r = ud;
	r->calls++;
	r->err = err;
	r->status = resp ? resp->status : 0;
	free(r->body);
	r->body = resp && resp->body.data ? az_xstrdup(resp->body.data) : NULL;
	az_diags_move(&r->diags, d);
}

static void on_list(void *ud, int err, json_t *values, az_diags *d)
{
	result *r = ud;
	r->calls++;
	r->err = err;
	r->values = values;
	az_diags_move(&r->diags, d);
}

static az_http_request *arm_call(const char *method, const char *path)
{
	char *url = az_xasprintf("https://management.azure.com%s", path);
	az_http_request *r = az_http_request_new(method, url);
	free(url);
	r->svc = AZ_SVC_ARM;
	return r;
}

static az_http_request *arm_get(const char *path)
{
	return arm_call("GET", path);
}

/* Reads every page of `req` (taken), expecting the list to fail. */
static void list_failing(env *e, az_http_request *req, result *r)
{
	az_http_list(e->c, req, on_list, r);
	az_http_run(e->c);
	assert_int_equal(r->err, AZ_EUPSTREAM);
	assert_null(r->values);
	assert_true(r->diags.len > 0);
}

/* ---- pure pieces ---- */

static void backoff_stays_within_jitter_and_cap(void **state)
{
	(void)state;
	for (int a = 0; a < 12; a++) {
		double nominal = 800.0;
		for (int i = 0; i < a; i++)
			nominal *= 2;
		double rnds[] = {0.0, 0.25, 0.5, 0.999999};
		for (size_t k = 0; k < 4; k++) {
			long ms = az_http_backoff_ms(800, 60000, a, rnds[k]);
			assert_true(ms <= 60000);
			double lo = nominal * 0.8 > 60000 ? 60000 : nominal * 0.8;
			assert_true((double)ms >= lo - 1);
			assert_true((double)ms <= nominal * 1.2 + 1);
		}
	}
	assert_int_equal(az_http_backoff_ms(800, 60000, 0, 0.0), 640);
	assert_int_equal(az_http_backoff_ms(800, 60000, 2, 0.5), 3200);
	assert_int_equal(az_http_backoff_ms(800, 60000, 20, 0.999), 60000);
}

static void retry_after_reads_seconds_dates_and_ms(void **state)
{
	(void)state;
	az_http_headers h = {0};
	assert_int_equal(az_http_retry_after_ms(&h, 0), -1);
	az_http_headers_add(&h, "Retry-After", "7");
	assert_int_equal(az_http_retry_after_ms(&h, 0), 7000);
	az_http_headers_clear(&h);
	/* 1700000000 = Tue, 14 Nov 2023 22:13:20 GMT */
	az_http_headers_add(&h, "retry-after", "Tue, 14 Nov 2023 22:13:30 GMT");
	assert_int_equal(az_http_retry_after_ms(&h, INT64_C(1700000000000)), 10000);
	assert_int_equal(az_http_retry_after_ms(&h, INT64_C(1700000020000)), 0);
	az_http_headers_clear(&h);
	az_http_headers_add(&h, "Retry-After", "not a date");
	assert_int_equal(az_http_retry_after_ms(&h, 0), -1);
	az_http_headers_add(&h, "retry-after-ms", "250");
	assert_int_equal(az_http_retry_after_ms(&h, 0), 250);
	az_http_headers_clear(&h);
}

static void retry_rules_protect_non_idempotent_requests(void **state)
{
	(void)state;
	/* Safe for everyone: not processed, or never sent. */
	assert_true(az_http_retryable("POST", false, 429, AZ_NET_OK));
	assert_true(az_http_retryable("POST", false, 503, AZ_NET_OK));
	assert_true(az_http_retryable("PATCH", false, 408, AZ_NET_OK));
	assert_true(az_http_retryable("POST", false, 0, AZ_NET_CONNECT));
	/* May have been applied: only idempotent requests. */
	assert_false(az_http_retryable("POST", false, 500, AZ_NET_OK));
	assert_false(az_http_retryable("PATCH", false, 502, AZ_NET_OK));
	assert_false(az_http_retryable("POST", false, 504, AZ_NET_OK));
	assert_false(az_http_retryable("POST", false, 0, AZ_NET_SEND));
	assert_false(az_http_retryable("PATCH", false, 0, AZ_NET_TIMEOUT));
	assert_true(az_http_retryable("POST", true, 500, AZ_NET_OK));
	assert_true(az_http_retryable("POST", true, 0, AZ_NET_SEND));
	assert_true(az_http_retryable("PUT", false, 500, AZ_NET_OK));
	assert_true(az_http_retryable("DELETE", false, 0, AZ_NET_TIMEOUT));
	assert_true(az_http_retryable("GET", false, 504, AZ_NET_OK));
	/* Never: client errors and TLS failures. */
	assert_false(az_http_retryable("GET", false, 400, AZ_NET_OK));
	assert_false(az_http_retryable("GET", false, 404, AZ_NET_OK));
	assert_false(az_http_retryable("GET", false, 0, AZ_NET_TLS));
}

static void error_bodies_of_every_shape_become_diagnostics(void **state)
{
	(void)state;
	az_diags d = AZ_DIAGS_INIT;
	az_http_response r = {0};
	r.status = 409;
	az_http_headers_add(&r.headers, "x-ms-request-id", "rid-1");
	az_http_headers_add(&r.headers, "X-MS-Correlation-Request-Id", "cid-1");
	az_buf_puts(&r.body,
	            "{\"error\":{\"code\":\"Conflict\",\"message\":\"busy\","
	            "\"details\":[{\"code\":\"Inner\",\"message\":\"why\",\"target\":\"x\"}]}}");
	az_http_error_diag(&d, "PUT", "https://management.azure.com/a?sig=abc", &r);
	assert_int_equal(d.items[0].http_status, 409);
	assert_string_equal(d.items[0].code, "Conflict");
	assert_string_equal(d.items[0].request_id, "rid-1");
	assert_string_equal(d.items[0].correlation_id, "cid-1");
	assert_non_null(strstr(d.items[0].summary, "busy"));
	assert_null(strstr(d.items[0].summary, "abc"));
	assert_non_null(strstr(d.items[0].detail, "Inner: why (target x)"));
	az_http_response_reset(&r);

	r.status = 404;
	az_buf_puts(&r.body, "{\"code\":\"NotFound\",\"message\":\"no pipeline p1\"}");
	az_http_error_diag(&d, "GET", "https://ws.dev.azuresynapse.net/pipelines/p1", &r);
	assert_string_equal(d.items[1].code, "NotFound");
	assert_non_null(strstr(d.items[1].summary, "no pipeline p1"));
	az_http_response_reset(&r);

	r.status = 400;
	az_buf_puts(&r.body, "{\"error\":\"invalid_client\",\"error_description\":\"AADSTS7000215: "
	                     "Invalid client secret\"}");
	az_http_error_diag(&d, "POST", "https://login.microsoftonline.com/t/oauth2/v2.0/token", &r);
	assert_string_equal(d.items[2].code, "invalid_client");
	assert_non_null(strstr(d.items[2].summary, "AADSTS7000215"));
	az_http_response_reset(&r);

	r.status = 403;
	az_buf_puts(&r.body, "{\"error\":{\"code\":\"Authorization_RequestDenied\","
	                     "\"message\":\"Insufficient privileges\",\"innerError\":{}}}");
	az_http_error_diag(&d, "PATCH", "https://graph.microsoft.com/v1.0/applications", &r);
	assert_string_equal(d.items[3].code, "Authorization_RequestDenied");
	az_http_response_reset(&r);

	r.status = 502;
	az_buf_puts(&r.body, "<html>bad gateway</html>");
	az_http_error_diag(&d, "GET", "https://management.azure.com/x", &r);
	assert_null(d.items[4].code);
	assert_non_null(strstr(d.items[4].summary, "HTTP 502"));
	az_http_response_reset(&r);
	az_diags_clear(&d);
}

static void redaction_hides_secret_query_values(void **state)
{
	(void)state;
	char *u = az_http_redact_url(
	    "https://x.blob.core.windows.net/c?sv=2020&sig=SECRET1&api-version=1&client_secret=S2");
	assert_null(strstr(u, "SECRET1"));
	assert_null(strstr(u, "S2"));
	assert_non_null(strstr(u, "api-version=1"));
	assert_non_null(strstr(u, "sig=REDACTED"));
	free(u);
}

static void host_check_follows_the_cloud(void **state)
{
	env *e = *state;
	const az_cloud *c = e->cloud;
	assert_true(
	    az_cloud_url_allowed(c, AZ_SVC_ARM, "https://management.azure.com/subscriptions"));
	assert_true(az_cloud_url_allowed(c, AZ_SVC_ARM, "https://MANAGEMENT.azure.com:443/x"));
	assert_false(az_cloud_url_allowed(c, AZ_SVC_ARM, "http://management.azure.com/x"));
	assert_false(az_cloud_url_allowed(c, AZ_SVC_ARM, "https://management.azure.com:8443/x"));
	assert_false(az_cloud_url_allowed(c, AZ_SVC_ARM, "https://management.azure.com.evil.io/"));
	assert_false(az_cloud_url_allowed(c, AZ_SVC_ARM, "https://evil.io/management.azure.com"));
	assert_false(az_cloud_url_allowed(c, AZ_SVC_ARM, "https://u@management.azure.com/"));
	assert_false(az_cloud_url_allowed(c, AZ_SVC_ARM, "https://graph.microsoft.com/v1.0"));
	assert_true(az_cloud_url_allowed(c, AZ_SVC_GRAPH, "https://graph.microsoft.com/v1.0"));
	assert_true(az_cloud_url_allowed(c, AZ_SVC_SYNAPSE, "https://ws-1.dev.azuresynapse.net/x"));
	assert_false(az_cloud_url_allowed(c, AZ_SVC_SYNAPSE, "https://a.b.dev.azuresynapse.net/"));
	assert_false(az_cloud_url_allowed(c, AZ_SVC_SYNAPSE, "https://dev.azuresynapse.net/"));
	assert_false(az_cloud_url_allowed(c, AZ_SVC_SYNAPSE, "https://management.azure.com/"));
	char *ep = az_cloud_synapse_endpoint(c, "ws1");
	assert_string_equal(ep, "https://ws1.dev.azuresynapse.net");
	free(ep);
	char *scope = az_cloud_scope(c, AZ_SVC_ARM);
	assert_string_equal(scope, "https://management.azure.com/.default");
	free(scope);
}

static void custom_cloud_file_is_read(void **state)
{
	(void)state;
	char dir[] = AZAPPLY_BINARY_DIR "/azapply-cloud-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *path = az_xasprintf("%s/cloud.json", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\"name\":\"azapply-emulator\",\"endpoints\":{"
	      "\"resourceManager\":\"https://management.localhost:4443\","
	      "\"activeDirectory\":\"https://login.localhost:4443\","
	      "\"microsoftGraph\":\"https://graph.localhost:4443\","
	      "\"synapseDev\":\"https://{workspace}.dev.localhost:4443\","
	      "\"managedIdentity\":\"https://imds.localhost:4443/metadata/identity/oauth2/token\"},"
	      "\"audiences\":{\"resourceManager\":\"https://management.azure.com/\","
	      "\"microsoftGraph\":\"https://graph.microsoft.com/\","
	      "\"synapseDev\":\"https://dev.azuresynapse.net/\"},\"caCertificate\":\"/ca.pem\"}",
	      f);
	fclose(f);
	az_diags d = AZ_DIAGS_INIT;
	az_cloud *c = NULL;
	assert_int_equal(az_cloud_resolve(&c, path, &d), 0);
	assert_string_equal(c->name, "azapply-emulator");
	assert_string_equal(c->ca_certificate, "/ca.pem");
	assert_true(az_cloud_url_allowed(c, AZ_SVC_SYNAPSE, "https://ws1.dev.localhost:4443/p"));
	assert_false(az_cloud_url_allowed(c, AZ_SVC_SYNAPSE, "https://ws1.dev.localhost:4444/p"));
	assert_true(az_cloud_url_allowed(c, AZ_SVC_ARM, "https://management.localhost:4443/s"));
	char *scope = az_cloud_scope(c, AZ_SVC_SYNAPSE);
	assert_string_equal(scope, "https://dev.azuresynapse.net/.default");
	free(scope);
	az_cloud_free(c);
	assert_int_equal(az_cloud_resolve(&c, "AzureUSGovernment", &d), 0);
	assert_string_equal(c->resource_manager, "https://management.usgovcloudapi.net");
	az_cloud_free(c);
	assert_int_not_equal(az_cloud_load_file(&c, "/nonexistent/cloud.json", &d), 0);
	assert_int_equal(d.len, 1);
	az_diags_clear(&d);
	remove(path);
	rmdir(dir);
	free(path);
}

/* ---- the client loop ---- */

static void retry_after_is_honoured_on_503(void **state)
{
	env *e = *state;
	fake_tp_script(e->fake, "GET", "/a", 503, "Retry-After: 2", NULL, 10);
	fake_tp_script(e->fake, "GET", "/a", 200, NULL, "{}", 10);
	result r = {0};
	az_http_submit(e->c, arm_get("/a"), on_done, &r);
	az_http_run(e->c);
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.err, 0);
	assert_int_equal(fake_tp_sent_count(e->fake), 2);
	int64_t gap = fake_tp_sent(e->fake, 1)->at_ms - fake_tp_sent(e->fake, 0)->at_ms;
	assert_int_equal(gap, 2010);
	result_clear(&r);
}

static void backoff_without_retry_after_then_give_up(void **state)
{
	env *e = *state;
	for (int i = 0; i < 4; i++)
		fake_tp_script(e->fake, "GET", "/b", 500, "x-ms-request-id: r500", NULL, 0);
	result r = {0};
	az_http_submit(e->c, arm_get("/b"), on_done, &r);
	az_http_run(e->c);
	assert_int_equal(fake_tp_sent_count(e->fake), 4); /* 1 + 3 retries */
	assert_int_equal(r.err, AZ_EUPSTREAM);
	assert_int_equal(r.diags.len, 1);
	assert_int_equal(r.diags.items[0].http_status, 500);
	assert_string_equal(r.diags.items[0].request_id, "r500");
	for (size_t i = 1; i < 4; i++) {
		int64_t gap = fake_tp_sent(e->fake, i)->at_ms - fake_tp_sent(e->fake, i - 1)->at_ms;
		double nominal = 800.0 * (double)(1 << (i - 1));
		assert_true(gap >= (int64_t)(nominal * 0.8) && gap <= (int64_t)(nominal * 1.2));
	}
	result_clear(&r);
}

static void post_is_not_repeated_when_it_may_have_been_applied(void **state)
{
	env *e = *state;
	fake_tp_script(e->fake, "POST", "/p", 500, NULL, NULL, 0);
	fake_tp_script_net(e->fake, "POST", "/q", AZ_NET_SEND, 0);
	fake_tp_script_net(e->fake, "POST", "/r", AZ_NET_CONNECT, 0);
	fake_tp_script(e->fake, "POST", "/r", 200, NULL, "{}", 0);
	fake_tp_script(e->fake, "POST", "/s", 502, NULL, NULL, 0);
	fake_tp_script(e->fake, "POST", "/s", 200, NULL, NULL, 0);
	result rp = {0}, rq = {0}, rr = {0}, rs = {0};
	az_http_request *p = arm_get("/p"), *q = arm_get("/q"), *rr_req = arm_get("/r"),
	                *s = arm_get("/s");
	free(p->method);
	p->method = az_xstrdup("POST");
	free(q->method);
	q->method = az_xstrdup("POST");
	free(rr_req->method);
	rr_req->method = az_xstrdup("POST");
	free(s->method);
	s->method = az_xstrdup("POST");
	s->idempotent = true;
	az_http_submit(e->c, p, on_done, &rp);
	az_http_submit(e->c, q, on_done, &rq);
	az_http_submit(e->c, rr_req, on_done, &rr);
	az_http_submit(e->c, s, on_done, &rs);
	az_http_run(e->c);
	assert_int_equal(rp.err, AZ_EUPSTREAM);
	assert_int_equal(rq.err, AZ_EUPSTREAM);
	assert_int_equal(rr.err, 0);
	assert_int_equal(rs.err, 0);
	assert_int_equal(fake_tp_sent_count(e->fake), 6);
	assert_int_equal(fake_tp_unused(e->fake), 0);
	result_clear(&rp);
	result_clear(&rq);
	result_clear(&rr);
	result_clear(&rs);
}

static void throttling_storm_is_ridden_out(void **state)
{
	env *e = *state;
	for (int i = 0; i < 6; i++)
		fake_tp_script(e->fake, "GET", "/t", 429, "Retry-After: 1", NULL, 0);
	fake_tp_script(e->fake, "GET", "/t", 200, NULL, "{\"ok\":true}", 0);
	result r = {0};
	az_http_submit(e->c, arm_get("/t"), on_done, &r);
	az_http_run(e->c);
	assert_int_equal(r.err, 0);
	assert_int_equal(fake_tp_sent_count(e->fake), 7);
	assert_int_equal(fake_tp_now(e->fake) - FAKE_EPOCH_MS, 6000);
	result_clear(&r);
}

/* Request ids are version 4 UUIDs, none repeated, also between two
 * clients opened at the same moment. */
static void request_ids_are_distinct_version_4_uuids(void **state)
{
	env *e = *state;
	enum { count = 500 };
	result r[count];
	memset(r, 0, sizeof(r));
	for (int i = 0; i < count; i++) {
		fake_tp_script(e->fake, "GET", "/id", 200, NULL, "{}", 0);
		az_http_submit(e->c, arm_get("/id"), on_done, &r[i]);
	}
	az_http_run(e->c);
	json_t *seen = json_object();
	for (int i = 0; i < count; i++) {
		const char *id =
		    az_http_headers_get(&fake_tp_sent(e->fake, (size_t)i)->headers,
					"x-ms-client-request-id");
		assert_non_null(id);
		assert_int_equal(strlen(id), 36);
		assert_int_equal(id[14], '4');
		assert_non_null(strchr("89ab", id[19]));
		assert_null(json_object_get(seen, id));
		json_object_set_new(seen, id, json_true());
		result_clear(&r[i]);
	}
	/* A second client with the same options, seed included. */
	az_transport tp;
	fake_tp *fake;
	fake_tp_new(&tp, &fake);
	az_http_client *other = az_http_client_new(&e->o, &tp, e->cloud);
	fake_tp_script(fake, "GET", "/id", 200, NULL, "{}", 0);
	result r2 = {0};
	az_http_submit(other, arm_get("/id"), on_done, &r2);
	az_http_run(other);
	const char *id =
	    az_http_headers_get(&fake_tp_sent(fake, 0)->headers, "x-ms-client-request-id");
	assert_null(json_object_get(seen, id));
	result_clear(&r2);
	az_http_client_free(other);
	json_decref(seen);
}

static void every_request_carries_ids_and_user_agent(void **state)
{
	env *e = *state;
	fake_tp_script(e->fake, "GET", "/u", 200, NULL, "{}", 0);
	fake_tp_script(e->fake, "GET", "/u", 200, NULL, "{}", 0);
	result r1 = {0}, r2 = {0};
	az_http_submit(e->c, arm_get("/u"), on_done, &r1);
	az_http_submit(e->c, arm_get("/u"), on_done, &r2);
	az_http_run(e->c);
	const char *a =
	    az_http_headers_get(&fake_tp_sent(e->fake, 0)->headers, "x-ms-client-request-id");
	const char *b =
	    az_http_headers_get(&fake_tp_sent(e->fake, 1)->headers, "x-ms-client-request-id");
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(strlen(a), 36);
	assert_string_not_equal(a, b);
	assert_string_equal(az_http_headers_get(&fake_tp_sent(e->fake, 0)->headers, "user-agent"),
	                    "azapply/" AZAPPLY_VERSION);
	result_clear(&r1);
	result_clear(&r2);
}

static void concurrency_is_bounded(void **state)
{
	env *e = *state;
	e->o.max_in_flight = 3;
	reopen_client(e);
	result r[10] = {{0}};
	for (int i = 0; i < 10; i++) {
		fake_tp_script(e->fake, "GET", "/c", 200, NULL, "{}", 100);
		az_http_submit(e->c, arm_get("/c"), on_done, &r[i]);
	}
	az_http_run(e->c);
	assert_int_equal(fake_tp_max_in_flight(e->fake), 3);
	assert_int_equal(az_http_max_seen_in_flight(e->c), 3);
	assert_int_equal(fake_tp_now(e->fake) - FAKE_EPOCH_MS, 400);
	for (int i = 0; i < 10; i++) {
		assert_int_equal(r[i].calls, 1);
		result_clear(&r[i]);
	}
}

/* The caller's work while the answers are on their way: done piece by
 * piece whenever the loop would wait, with the sockets looked at between
 * pieces and the clock not moving while work is left; then the loop waits
 * for the answer as before. */
typedef struct idle_pieces {
	fake_tp *fake;
	int left, done;
	int64_t at[8];
} idle_pieces;

static bool one_piece(void *ud)
{
	idle_pieces *p = ud;
	if (!p->left)
		return false;
	p->at[p->done++] = fake_tp_now(p->fake);
	return --p->left > 0;
}

static void idle_work_is_done_while_answers_are_awaited(void **state)
{
	env *e = *state;
	idle_pieces p = {.fake = e->fake, .left = 5};
	az_http_set_idle_work(e->c, one_piece, &p);
	result r = {0};
	fake_tp_script(e->fake, "GET", "/slow", 200, NULL, "{}", 100);
	az_http_submit(e->c, arm_get("/slow"), on_done, &r);
	az_http_run(e->c);
	assert_int_equal(r.calls, 1);
	assert_int_equal(p.done, 5);
	for (int i = 0; i < 5; i++)
		assert_int_equal(p.at[i], FAKE_EPOCH_MS);
	assert_int_equal(fake_tp_now(e->fake) - FAKE_EPOCH_MS, 100);
	result_clear(&r);
	/* Cleared, it is not called again. */
	az_http_set_idle_work(e->c, NULL, NULL);
	p.left = 5;
	fake_tp_script(e->fake, "GET", "/slow", 200, NULL, "{}", 100);
	az_http_submit(e->c, arm_get("/slow"), on_done, &r);
	az_http_run(e->c);
	assert_int_equal(r.calls, 1);
	assert_int_equal(p.done, 5);
	result_clear(&r);
}

/* Resource Manager's share of the slots: its requests beyond it wait,
 * and the data planes' behind them go past. Six ARM reads two at a time
 * take three rounds; the four Synapse reads go in the first, beside two of
 * them. Without the share the six ARM reads took every slot first (200
 * ms); a loop that spun on the held calls never let the fake clock move. */
static void resource_manager_gets_its_share_of_the_slots(void **state)
{
	env *e = *state;
	e->o.max_in_flight = 6;
	e->o.max_arm_in_flight = 2;
	reopen_client(e);
	result r[10] = {{0}};
	for (int i = 0; i < 6; i++) {
		fake_tp_script(e->fake, "GET", "/arm", 200, NULL, "{}", 100);
		az_http_submit(e->c, arm_get("/arm"), on_done, &r[i]);
	}
	for (int i = 6; i < 10; i++) {
		fake_tp_script(e->fake, "GET", "/pipelines", 200, NULL, "{}", 100);
		az_http_request *req =
		    az_http_request_new("GET", "https://ws-1.dev.azuresynapse.net/pipelines");
		req->svc = AZ_SVC_SYNAPSE;
		az_http_submit(e->c, req, on_done, &r[i]);
	}
	az_http_run(e->c);
	assert_int_equal(fake_tp_max_in_flight(e->fake), 6);
	assert_int_equal(fake_tp_now(e->fake) - FAKE_EPOCH_MS, 300);
	for (int i = 0; i < 10; i++) {
		assert_int_equal(r[i].calls, 1);
		assert_int_equal(r[i].err, 0);
		result_clear(&r[i]);
	}
}

static az_http_request *data_plane_get(const char *host, const char *path)
{
	char *url = az_xasprintf("https://%s.dev.azuresynapse.net%s", host, path);
	az_http_request *req = az_http_request_new("GET", url);
	free(url);
	req->svc = AZ_SVC_SYNAPSE;
	return req;
}

static bool sent_one(void *ud)
{
	return fake_tp_sent_count(ud) >= 1;
}

static bool sent_six(void *ud)
{
	return fake_tp_sent_count(ud) >= 6;
}

/* With a bound per host, a workspace host's next request waits for its
 * last answer, and the requests to other hosts behind it go past: three
 * lists of ws-1 queued before ws-2's two took three slots at once (a
 * connection each over HTTP/1.1), and a refresh of 100 workspaces opened
 * two connections per host. Lifting the bound lets the held ones go. */
static void a_host_keeps_to_its_bound_and_the_others_go_past(void **state)
{
	env *e = *state;
	e->o.max_in_flight = 4;
	reopen_client(e);
	az_http_limit_data_planes(e->c, 4, 1);
	static const char *const hosts[] = {"ws-1", "ws-1", "ws-1", "ws-2", "ws-2"};
	static const char *const paths[] = {"/a", "/b", "/c", "/d", "/e"};
	result r[8] = {{0}};
	for (int i = 0; i < 5; i++) {
		fake_tp_script(e->fake, "GET", paths[i], 200, NULL, "{}", 100);
		az_http_submit(e->c, data_plane_get(hosts[i], paths[i]), on_done, &r[i]);
	}
	az_http_run(e->c);
	/* ws-1's three one after another, ws-2's two beside them. */
	assert_int_equal(fake_tp_sent_count(e->fake), 5);
	assert_int_equal(fake_tp_max_in_flight(e->fake), 2);
	assert_int_equal(fake_tp_now(e->fake) - FAKE_EPOCH_MS, 300);
	for (size_t i = 0; i < 5; i++) {
		const fake_sent *a = fake_tp_sent(e->fake, i);
		for (size_t j = i + 1; j < 5; j++) {
			const fake_sent *b = fake_tp_sent(e->fake, j);
			bool same_host = strncmp(a->url, b->url, strlen("https://ws-1.")) == 0;
			if (same_host && b->at_ms - a->at_ms < 100)
				fail_msg("%s went out %lld ms after %s, before its answer", b->url,
					 (long long)(b->at_ms - a->at_ms), a->url);
		}
	}
	assert_string_equal(fake_tp_sent(e->fake, 1)->url, "https://ws-2.dev.azuresynapse.net/d");
	/* The bound lifted while two wait for ws-1: they go at once, beside
	 * the one in flight. */
	for (int i = 0; i < 3; i++)
		fake_tp_script(e->fake, "GET", "/f", 200, NULL, "{}", 100);
	int64_t start = fake_tp_now(e->fake);
	for (int i = 5; i < 8; i++)
		az_http_submit(e->c, data_plane_get("ws-1", "/f"), on_done, &r[i]);
	az_http_run_until(e->c, sent_six, e->fake);
	assert_int_equal(fake_tp_sent_count(e->fake), 6);
	az_http_limit_data_planes(e->c, 0, 0);
	az_http_run(e->c);
	assert_int_equal(fake_tp_sent_count(e->fake), 8);
	assert_int_equal(fake_tp_now(e->fake) - start, 100);
	for (int i = 0; i < 8; i++) {
		assert_int_equal(r[i].calls, 1);
		assert_int_equal(r[i].err, 0);
		result_clear(&r[i]);
	}
}

/* A client freed while calls wait for their host (Ctrl-C in a refresh):
 * they end with it, none sent and none called back, nothing left behind. */
static void calls_held_for_their_host_end_with_the_client(void **state)
{
	env *e = *state;
	e->o.max_in_flight = 4;
	reopen_client(e);
	az_http_limit_data_planes(e->c, 4, 1);
	result r[3] = {{0}};
	for (int i = 0; i < 3; i++) {
		fake_tp_script(e->fake, "GET", "/held", 200, NULL, "{}", 100);
		az_http_submit(e->c, data_plane_get("ws-1", "/held"), on_done, &r[i]);
	}
	az_http_run_until(e->c, sent_one, e->fake);
	assert_int_equal(fake_tp_sent_count(e->fake), 1);
	az_http_client_free(e->c);
	e->c = NULL;
	for (int i = 0; i < 3; i++)
		assert_int_equal(r[i].calls, 0);
}

static void low_rate_limit_budget_paces_requests(void **state)
{
	env *e = *state;
	fake_tp_script(e->fake, "GET", "/rl", 200, "x-ms-ratelimit-remaining-subscription-reads: 5",
	               "{}", 0);
	for (int i = 0; i < 3; i++)
		fake_tp_script(e->fake, "GET", "/rl", 200, NULL, "{}", 0);
	result r[4] = {{0}};
	az_http_submit(e->c, arm_get("/rl"), on_done, &r[0]);
	az_http_run(e->c);
	for (int i = 1; i < 4; i++)
		az_http_submit(e->c, arm_get("/rl"), on_done, &r[i]);
	az_http_run(e->c);
	for (size_t i = 2; i < 4; i++) {
		int64_t gap = fake_tp_sent(e->fake, i)->at_ms - fake_tp_sent(e->fake, i - 1)->at_ms;
		assert_true(gap >= 40);
	}
	for (int i = 0; i < 4; i++) {
		assert_int_equal(r[i].err, 0);
		result_clear(&r[i]);
	}
}

/* An ARM write waiting for ARM's write budget holds back neither a data
 * plane's request nor an ARM read: they spend no write budget. A throttled
 * apply's Synapse artifacts waited behind its paced ARM writes. */
static void paced_arm_writes_hold_back_only_arm_writes(void **state)
{
	env *e = *state;
	fake_tp_script(e->fake, "PUT", "/w", 200, "x-ms-ratelimit-remaining-subscription-writes: 1",
	               "{}", 0);
	for (int i = 0; i < 3; i++)
		fake_tp_script(e->fake, "PUT", "/w", 200, NULL, "{}", 0);
	fake_tp_script(e->fake, "GET", "/pipelines", 200, NULL, "{}", 0);
	fake_tp_script(e->fake, "GET", "/r", 200, NULL, "{}", 0);
	result r[6] = {{0}};
	az_http_submit(e->c, arm_call("PUT", "/w"), on_done, &r[0]);
	az_http_run(e->c);
	for (int i = 1; i < 4; i++)
		az_http_submit(e->c, arm_call("PUT", "/w"), on_done, &r[i]);
	az_http_request *dp = az_http_request_new("GET", "https://ws1.dev.azuresynapse.net/pipelines");
	dp->svc = AZ_SVC_SYNAPSE;
	az_http_submit(e->c, dp, on_done, &r[4]);
	az_http_submit(e->c, arm_get("/r"), on_done, &r[5]);
	az_http_run(e->c);
	/* Sent: the first PUT; then one PUT per refill interval (100 ms), and
	 * the data plane's GET and the ARM read without waiting for them. */
	int64_t start = fake_tp_sent(e->fake, 1)->at_ms;
	for (size_t i = 1; i < fake_tp_sent_count(e->fake); i++) {
		const fake_sent *sent = fake_tp_sent(e->fake, i);
		if (strcmp(sent->method, "GET") == 0 && sent->at_ms > start)
			fail_msg("%s waited %lld ms behind paced ARM writes", sent->url,
			         (long long)(sent->at_ms - start));
	}
	for (size_t i = 2; i < fake_tp_sent_count(e->fake); i++) {
		const fake_sent *a = fake_tp_sent(e->fake, i - 1), *b = fake_tp_sent(e->fake, i);
		if (strcmp(a->method, "PUT") == 0 && strcmp(b->method, "PUT") == 0 &&
		    b->at_ms - a->at_ms > 100)
			fail_msg("ARM writes paced %lld ms apart: ARM refills one each 100 ms",
			         (long long)(b->at_ms - a->at_ms));
	}
	for (int i = 0; i < 6; i++) {
		assert_int_equal(r[i].err, 0);
		result_clear(&r[i]);
	}
}

/* ---- paging ---- */

/* A list's pages are a chain: each next page goes ahead of the requests
 * queued since the list began, or the chain waits behind all of them once
 * per page (a plan's stack-wide list, behind its hundreds of lists). */
static void next_pages_go_ahead_of_requests_not_begun(void **state)
{
	env *e = *state;
	e->o.max_in_flight = 1;
	reopen_client(e);
	fake_tp_script(e->fake, "GET", "/list?api-version=1", 200, NULL,
	               "{\"value\":[{\"n\":1}],\"nextLink\":"
	               "\"https://management.azure.com/list?page=2\"}",
	               100);
	fake_tp_script(e->fake, "GET", "page=2", 200, NULL,
	               "{\"value\":[{\"n\":2}],"
	               "\"nextLink\":\"https://management.azure.com/list?page=3\"}",
	               100);
	fake_tp_script(e->fake, "GET", "page=3", 200, NULL, "{\"value\":[{\"n\":3}]}", 100);
	result list = {0}, r[4] = {{0}};
	az_http_list(e->c, arm_get("/list?api-version=1"), on_list, &list);
	for (int i = 0; i < 4; i++) {
		fake_tp_script(e->fake, "GET", "/c", 200, NULL, "{}", 100);
		az_http_submit(e->c, arm_get("/c"), on_done, &r[i]);
	}
	az_http_run(e->c);
	assert_int_equal(list.err, 0);
	assert_int_equal(json_array_size(list.values), 3);
	assert_int_equal(fake_tp_sent_count(e->fake), 7);
	assert_non_null(strstr(fake_tp_sent(e->fake, 1)->url, "page=2"));
	assert_non_null(strstr(fake_tp_sent(e->fake, 2)->url, "page=3"));
	for (size_t i = 3; i < 7; i++)
		assert_non_null(strstr(fake_tp_sent(e->fake, i)->url, "/c"));
	for (int i = 0; i < 4; i++) {
		assert_int_equal(r[i].calls, 1);
		result_clear(&r[i]);
	}
	result_clear(&list);
}

static void paging_follows_empty_pages_with_next_link(void **state)
{
	env *e = *state;
	fake_tp_script(e->fake, "GET", "/list?api-version=1", 200, NULL,
	               "{\"value\":[{\"n\":1}],\"nextLink\":"
	               "\"https://management.azure.com/list?page=2\"}",
	               0);
	fake_tp_script(e->fake, "GET", "page=2", 200, NULL,
	               "{\"value\":[],\"nextLink\":\"https://management.azure.com/list?page=3\"}",
	               0);
	fake_tp_script(e->fake, "GET", "page=3", 200, NULL,
	               "{\"value\":[{\"n\":2},{\"n\":3}],\"nextLink\":null}", 0);
	result r = {0};
	az_http_list(e->c, arm_get("/list?api-version=1"), on_list, &r);
	az_http_run(e->c);
	assert_int_equal(r.err, 0);
	assert_int_equal(json_array_size(r.values), 3);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(r.values, 2), "n")), 3);
	assert_int_equal(fake_tp_sent_count(e->fake), 3);
	result_clear(&r);
}

static void paging_by_continuation_header(void **state)
{
	env *e = *state;
	fake_tp_script(e->fake, "GET", "/roleAssignments", 200, "x-ms-continuation: tok1",
	               "{\"value\":[{\"id\":\"a\"}]}", 0);
	fake_tp_script(e->fake, "GET", "/roleAssignments", 200, NULL,
	               "{\"value\":[{\"id\":\"b\"}]}", 0);
	result r = {0};
	az_http_request *req =
	    az_http_request_new("GET", "https://ws1.dev.azuresynapse.net/roleAssignments");
	req->svc = AZ_SVC_SYNAPSE;
	az_http_list(e->c, req, on_list, &r);
	az_http_run(e->c);
	assert_int_equal(r.err, 0);
	assert_int_equal(json_array_size(r.values), 2);
	assert_null(az_http_headers_get(&fake_tp_sent(e->fake, 0)->headers, "x-ms-continuation"));
	assert_string_equal(
	    az_http_headers_get(&fake_tp_sent(e->fake, 1)->headers, "x-ms-continuation"), "tok1");
	result_clear(&r);
}

static void foreign_next_link_is_refused_without_sending(void **state)
{
	env *e = *state;
	fake_tp_script(e->fake, "GET", "/list", 200, NULL,
	               "{\"value\":[1],\"nextLink\":\"https://evil.example.com/steal\"}", 0);
	result r = {0};
	list_failing(e, arm_get("/list"), &r);
	assert_int_equal(fake_tp_sent_count(e->fake), 1);
	assert_non_null(strstr(r.diags.items[0].summary, "refusing"));
	assert_non_null(strstr(r.diags.items[0].summary, "evil.example.com"));
	result_clear(&r);
}

/* Finding "a failed page reads as an empty collection": a 404 on page 2
 * is the list's failure, never "not found" (the planner reads that as an
 * empty collection), with the page named and the request id kept. */
static void paging_failed_page_fails_the_list(void **state)
{
	env *e = *state;
	fake_tp_script(e->fake, "GET", "/rules?api-version=1", 200, NULL,
	               "{\"value\":[{\"n\":1}],\"nextLink\":"
	               "\"https://management.azure.com/rules?api-version=1&$skiptoken=2\"}",
	               0);
	fake_tp_script(e->fake, "GET", "skiptoken=2", 404, "x-ms-request-id: rq-page2",
	               "{\"error\":{\"code\":\"NotFound\",\"message\":\"gone\"}}", 0);
	result r = {0};
	list_failing(e, arm_get("/rules?api-version=1"), &r);
	assert_int_equal(r.diags.len, 1);
	const az_diag *diag = &r.diags.items[0];
	assert_non_null(strstr(diag->summary, "the list https://management.azure.com/"
	                                      "rules?api-version=1 is incomplete: page 2 failed"));
	/* The page as the trace shows it, secret-looking values blanked. */
	assert_non_null(strstr(diag->summary, "&$skiptoken=REDACTED: 404 NotFound: gone"));
	assert_string_equal(diag->request_id, "rq-page2");
	assert_int_equal(diag->http_status, 404);
	result_clear(&r);

	/* Page 3, a connection dropped on every try. */
	fake_tp_script(e->fake, "GET", "/rules?api-version=1", 200, NULL,
	               "{\"value\":[],\"nextLink\":\"https://management.azure.com/rules?p=2\"}", 0);
	fake_tp_script(e->fake, "GET", "p=2", 200, NULL,
	               "{\"value\":[{\"n\":2}],\"nextLink\":\"https://management.azure.com/"
	               "rules?p=3\"}",
	               0);
	for (int i = 0; i < 4; i++)
		fake_tp_script_net(e->fake, "GET", "p=3", AZ_NET_SEND, 0);
	list_failing(e, arm_get("/rules?api-version=1"), &r);
	assert_non_null(strstr(r.diags.items[0].summary, "is incomplete: page 3 failed"));
	assert_non_null(strstr(r.diags.items[0].detail, "gave up after 3 retries"));
	assert_int_equal(fake_tp_unused(e->fake), 0);
	result_clear(&r);
}

/* The first page may say "not found": a collection whose parent does not
 * exist. That stays AZ_ENOTFOUND, as it was. */
static void paging_first_page_404_is_not_found(void **state)
{
	env *e = *state;
	fake_tp_script(e->fake, "GET", "/rules", 404, NULL,
	               "{\"error\":{\"code\":\"ResourceNotFound\",\"message\":\"no parent\"}}", 0);
	result r = {0};
	az_http_list(e->c, arm_get("/rules"), on_list, &r);
	az_http_run(e->c);
	assert_int_equal(r.err, AZ_ENOTFOUND);
	assert_null(strstr(r.diags.items[0].summary, "incomplete"));
	result_clear(&r);
}

/* A page that is not one is an error too, never an empty page; an empty
 * or null link ends a list (the specs' examples end with "nextLink": ""). */
static void paging_answer_that_is_no_page_fails(void **state)
{
	env *e = *state;
	const char *bad[] = {"{}", "[]", "{\"value\":{}}", "{\"value\":[],\"nextLink\":7}", ""};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fake_tp_script(e->fake, "GET", "/l?", 200, NULL,
		               "{\"value\":[1],\"nextLink\":\"https://management.azure.com/l2\"}",
		               0);
		fake_tp_script(e->fake, "GET", "/l2", 200, "x-ms-request-id: rq-bad", bad[i], 0);
		result r = {0};
		list_failing(e, arm_get("/l?a=1"), &r);
		assert_non_null(strstr(r.diags.items[0].summary, "is incomplete: page 2 failed"));
		assert_non_null(strstr(r.diags.items[0].summary, "not a page of a list"));
		assert_string_equal(r.diags.items[0].request_id, "rq-bad");
		result_clear(&r);
	}
	fake_tp_script(e->fake, "GET", "/e", 200, NULL,
	               "{\"value\":[1],\"nextLink\":\"https://management.azure.com/e2\"}", 0);
	fake_tp_script(e->fake, "GET", "/e2", 200, NULL, "{\"value\":[2],\"nextLink\":\"\"}", 0);
	result r = {0};
	az_http_list(e->c, arm_get("/e"), on_list, &r);
	az_http_run(e->c);
	assert_int_equal(r.err, 0);
	assert_int_equal(json_array_size(r.values), 2);
	result_clear(&r);
}

/* Finding "a nextLink cycle runs to the page cap": a link back to a page
 * already read ends the list at once, with the page named. */
static void paging_cycle_is_an_error_at_once(void **state)
{
	env *e = *state;
	/* Page 2 links back to page 1. */
	fake_tp_script(e->fake, "GET", "/c?a=1", 200, NULL,
	               "{\"value\":[1],\"nextLink\":\"https://management.azure.com/c?a=2\"}", 0);
	fake_tp_script(e->fake, "GET", "/c?a=2", 200, NULL,
	               "{\"value\":[2],\"nextLink\":\"https://management.azure.com/c?a=1\"}", 0);
	result r = {0};
	list_failing(e, arm_get("/c?a=1"), &r);
	assert_int_equal(fake_tp_sent_count(e->fake), 2);
	assert_string_equal(r.diags.items[0].summary,
	                    "GET https://management.azure.com/c?a=1: the server sent page 1 "
	                    "again: the list does not end");
	result_clear(&r);

	/* Page 4 links back to page 2. */
	fake_tp_script(e->fake, "GET", "/d?p=1", 200, NULL,
	               "{\"value\":[],\"nextLink\":\"https://management.azure.com/d?p=2\"}", 0);
	fake_tp_script(e->fake, "GET", "/d?p=2", 200, NULL,
	               "{\"value\":[],\"nextLink\":\"https://management.azure.com/d?p=3\"}", 0);
	fake_tp_script(e->fake, "GET", "/d?p=3", 200, NULL,
	               "{\"value\":[],\"nextLink\":\"https://management.azure.com/d?p=4\"}", 0);
	fake_tp_script(e->fake, "GET", "/d?p=4", 200, NULL,
	               "{\"value\":[],\"nextLink\":\"https://management.azure.com/d?p=2\"}", 0);
	list_failing(e, arm_get("/d?p=1"), &r);
	assert_non_null(strstr(r.diags.items[0].summary, "the server sent page 2 again"));
	assert_non_null(strstr(r.diags.items[0].detail, "page 4 links back to"));
	assert_int_equal(fake_tp_unused(e->fake), 0);
	assert_int_equal(fake_tp_unscripted(e->fake), 0);
	result_clear(&r);

	/* The same continuation token twice (Synapse RBAC). */
	fake_tp_script(e->fake, "GET", "/roleAssignments", 200, "x-ms-continuation: c1",
	               "{\"value\":[1]}", 0);
	fake_tp_script(e->fake, "GET", "/roleAssignments", 200, "x-ms-continuation: c2",
	               "{\"value\":[2]}", 0);
	fake_tp_script(e->fake, "GET", "/roleAssignments", 200, "x-ms-continuation: c1",
	               "{\"value\":[3]}", 0);
	az_http_request *req =
	    az_http_request_new("GET", "https://ws1.dev.azuresynapse.net/roleAssignments");
	req->svc = AZ_SVC_SYNAPSE;
	list_failing(e, req, &r);
	assert_non_null(strstr(r.diags.items[0].summary, "the server sent page 2 again"));
	assert_int_equal(fake_tp_unused(e->fake), 0);
	result_clear(&r);
}

/* Links that never repeat still end: 10,000 pages is the last guard, and
 * the message says that is what ended the list. */
static void paging_gives_up_after_ten_thousand_pages(void **state)
{
	env *e = *state;
	enum { CAP = 10000 };
	for (int i = 1; i <= CAP; i++) {
		char part[32], body[128];
		snprintf(part, sizeof(part), "/n?p=%d.", i);
		snprintf(body, sizeof(body),
		         "{\"value\":[],\"nextLink\":\"https://management.azure.com/n?p=%d.\"}",
		         i + 1);
		fake_tp_script(e->fake, "GET", part, 200, NULL, body, 0);
	}
	result r = {0};
	list_failing(e, arm_get("/n?p=1."), &r);
	assert_int_equal(fake_tp_sent_count(e->fake), CAP);
	assert_string_equal(r.diags.items[0].summary,
	                    "GET https://management.azure.com/n?p=1.: gave up after 10000 pages, "
	                    "the most azapply reads of one list");
	result_clear(&r);
}

/* Finding "token confinement within the Synapse template": one template
 * admits every workspace's host, a workspace's list only its own. */
static void synapse_next_link_stays_in_its_workspace(void **state)
{
	env *e = *state;
	fake_tp_script(e->fake, "GET", "ws1.dev.azuresynapse.net/pipelines?", 200, NULL,
	               "{\"value\":[1],\"nextLink\":\"https://WS1.dev.azuresynapse.net/"
	               "pipelines?t=2\"}",
	               0);
	fake_tp_script(e->fake, "GET", "/pipelines?t=2", 200, NULL,
	               "{\"value\":[2],\"nextLink\":\"https://other.dev.azuresynapse.net/"
	               "pipelines?t=3\"}",
	               0);
	result r = {0};
	az_http_request *req =
	    az_http_request_new("GET", "https://ws1.dev.azuresynapse.net/pipelines?api-version=1");
	req->svc = AZ_SVC_SYNAPSE;
	list_failing(e, req, &r);
	assert_int_equal(fake_tp_sent_count(e->fake), 2);
	assert_non_null(strstr(r.diags.items[0].summary, "is incomplete: page 3 failed: "
	                                                 "refusing to send a GET request to "
	                                                 "https://other.dev.azuresynapse.net/"));
	assert_non_null(strstr(r.diags.items[0].detail, "ws1.dev.azuresynapse.net"));
	result_clear(&r);
}

/* ---- tokens ---- */

typedef struct fake_tokens {
	int gets;
	int forced;
	char last_scope[128];
} fake_tokens;

static void fake_get_token(void *impl, az_http_client *c, const char *scope, const char *rejected,
                           az_token_done_fn cb, void *ud)
{
	fake_tokens *t = impl;
	(void)c;
	t->gets++;
	t->forced += rejected != NULL;
	snprintf(t->last_scope, sizeof(t->last_scope), "%s", scope);
	char token[64];
	snprintf(token, sizeof(token), "tok-SECRET-%d", t->forced);
	cb(ud, 0, token, NULL);
}

static void expired_token_is_refreshed_once(void **state)
{
	env *e = *state;
	fake_tokens t = {0};
	az_token_source src = {fake_get_token, &t};
	az_http_client_set_tokens(e->c, &src);
	fake_tp_script(
	    e->fake, "GET", "/v", 401, "WWW-Authenticate: Bearer error=\"invalid_token\"",
	    "{\"error\":{\"code\":\"ExpiredAuthenticationToken\",\"message\":\"x\"}}", 0);
	fake_tp_script(e->fake, "GET", "/v", 200, NULL, "{}", 0);
	fake_tp_script(e->fake, "GET", "/w", 401, NULL, "{}", 0);
	fake_tp_script(e->fake, "GET", "/w", 401, NULL, "{}", 0);
	result r = {0}, r2 = {0};
	az_http_submit(e->c, arm_get("/v"), on_done, &r);
	az_http_run(e->c);
	assert_int_equal(r.err, 0);
	assert_int_equal(t.forced, 1);
	assert_string_equal(t.last_scope, "https://management.azure.com/.default");
	assert_string_equal(
	    az_http_headers_get(&fake_tp_sent(e->fake, 0)->headers, "authorization"),
	    "Bearer tok-SECRET-0");
	assert_string_equal(
	    az_http_headers_get(&fake_tp_sent(e->fake, 1)->headers, "authorization"),
	    "Bearer tok-SECRET-1");
	az_http_submit(e->c, arm_get("/w"), on_done, &r2);
	az_http_run(e->c);
	assert_int_equal(r2.err, AZ_EAUTH);
	assert_int_equal(fake_tp_sent_count(e->fake), 4);
	result_clear(&r);
	result_clear(&r2);
}

/* Like the real credential: the token comes from a request sent through
 * the same client, so it competes with the calls waiting for it. */
typedef struct client_tokens {
	az_token_done_fn cb[32];
	void *ud[32];
	int waiting;
	bool asked;
	bool have;
} client_tokens;

static void token_answered(void *ud, int err, const az_http_response *resp, az_diags *d)
{
	client_tokens *t = ud;
	(void)resp;
	(void)d;
	t->have = err == 0;
	for (int i = 0; i < t->waiting; i++)
		t->cb[i](t->ud[i], err, "tok-from-endpoint", NULL);
	t->waiting = 0;
}

static void client_get_token(void *impl, az_http_client *c, const char *scope, const char *rejected,
                             az_token_done_fn cb, void *ud)
{
	client_tokens *t = impl;
	(void)scope;
	(void)rejected;
	if (t->have) {
		cb(ud, 0, "tok-from-endpoint", NULL);
		return;
	}
	t->cb[t->waiting] = cb;
	t->ud[t->waiting++] = ud;
	if (t->asked)
		return;
	t->asked = true;
	az_http_submit(c, az_http_request_new("POST", "https://login.microsoftonline.com/t/oauth2/v2.0/token"),
		       token_answered, t);
}

static void token_request_is_not_starved_by_the_calls_waiting_for_it(void **state)
{
	env *e = *state;
	e->o.max_in_flight = 2;
	reopen_client(e);
	client_tokens t = {0};
	az_token_source src = {client_get_token, &t};
	az_http_client_set_tokens(e->c, &src);
	fake_tp_script(e->fake, "POST", "/t/oauth2/v2.0/token", 200, NULL, "{}", 10);
	result r[5] = {{0}};
	for (int i = 0; i < 5; i++) {
		fake_tp_script(e->fake, "GET", "/c", 200, NULL, "{}", 10);
		az_http_submit(e->c, arm_get("/c"), on_done, &r[i]);
	}
	az_http_run(e->c);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(r[i].calls, 1);
		assert_int_equal(r[i].err, 0);
		result_clear(&r[i]);
	}
	assert_int_equal(fake_tp_sent_count(e->fake), 6);
	/* The token request starts as soon as the first call asks for it,
	 * not after the loop's idle wait (1 s): 10 ms for the token, then
	 * three rounds of two calls. */
	assert_int_equal(fake_tp_now(e->fake) - FAKE_EPOCH_MS, 40);
}

static void unauthenticated_requests_carry_no_token(void **state)
{
	env *e = *state;
	fake_tokens t = {0};
	az_token_source src = {fake_get_token, &t};
	az_http_client_set_tokens(e->c, &src);
	fake_tp_script(e->fake, "POST", "/token", 200, NULL, "{}", 0);
	result r = {0};
	az_http_request *req =
	    az_http_request_new("POST", "https://login.microsoftonline.com/t/oauth2/v2.0/token");
	az_http_submit(e->c, req, on_done, &r);
	az_http_run(e->c);
	assert_int_equal(t.gets, 0);
	assert_null(az_http_headers_get(&fake_tp_sent(e->fake, 0)->headers, "authorization"));
	result_clear(&r);
}

static void trace_never_shows_tokens_or_secrets(void **state)
{
	env *e = *state;
	fake_tokens t = {0};
	az_token_source src = {fake_get_token, &t};
	FILE *log = tmpfile();
	assert_non_null(log);
	e->o.log = log;
	e->o.verbosity = 2;
	reopen_client(e);
	az_http_client_set_tokens(e->c, &src);
	fake_tp_script(e->fake, "GET", "/x", 200, "x-ms-request-id: rid-77", "{}", 25);
	fake_tp_script(e->fake, "POST", "/token", 200, NULL, "{\"access_token\":\"tok-SECRET-9\"}",
	               0);
	result r = {0}, r2 = {0};
	az_http_submit(e->c, arm_get("/x?api-version=1&sig=SECRETSIG"), on_done, &r);
	az_http_request *tr =
	    az_http_request_new("POST", "https://login.microsoftonline.com/t/oauth2/v2.0/token");
	const char *form = "client_secret=SECRET-PASS&grant_type=client_credentials";
	az_http_request_body(tr, form, strlen(form));
	tr->secret_body = true;
	az_http_submit(e->c, tr, on_done, &r2);
	az_http_run(e->c);
	fflush(log);
	rewind(log);
	char text[4096];
	size_t n = fread(text, 1, sizeof(text) - 1, log);
	text[n] = '\0';
	fclose(log);
	assert_null(strstr(text, "SECRET"));
	assert_non_null(
	    strstr(text, "GET https://management.azure.com/x?api-version=1&sig=REDACTED"));
	assert_non_null(strstr(text, "-> 200 (25 ms) x-ms-request-id=rid-77"));
	assert_non_null(strstr(text, "POST https://login.microsoftonline.com/t/oauth2/v2.0/token"));
	result_clear(&r);
	result_clear(&r2);
}

/* ---- long-running operations ---- */

static az_http_request *arm_put(const char *path)
{
	az_http_request *r = arm_get(path);
	free(r->method);
	r->method = az_xstrdup("PUT");
	az_http_request_body(r, "{}", 2);
	return r;
}

static void lro_async_operation_success_gets_the_resource(void **state)
{
	env *e = *state;
	fake_tp_script(e->fake, "PUT", "/ws", 201,
	               "azure-asyncoperation: https://management.azure.com/op/1\nRetry-After: 3",
	               "{\"properties\":{\"provisioningState\":\"Provisioning\"}}", 0);
	fake_tp_script(e->fake, "GET", "/op/1", 200, "Retry-After: 100",
	               "{\"status\":\"InProgress\"}", 0);
	fake_tp_script(e->fake, "GET", "/op/1", 200, NULL, "{\"status\":\"succeeded\"}", 0);
	fake_tp_script(e->fake, "GET", "/ws", 200, NULL,
	               "{\"name\":\"ws\",\"properties\":{\"provisioningState\":\"Succeeded\"}}", 0);
	result r = {0};
	az_http_lro(e->c, arm_put("/ws"), NULL, on_done, &r);
	az_http_run(e->c);
	assert_int_equal(r.err, 0);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "\"name\":\"ws\""));
	assert_int_equal(fake_tp_sent_count(e->fake), 4);
	/* Writes get the default timeout, status documents a short one. */
	assert_int_equal(fake_tp_sent(e->fake, 0)->timeout_ms, 100000);
	assert_int_equal(fake_tp_sent(e->fake, 1)->timeout_ms, 30000);
	assert_int_equal(fake_tp_sent(e->fake, 0)->connect_timeout_ms, 10000);
	/* Retry-After 3 s, then 100 s capped at 30 s. */
	assert_int_equal(fake_tp_sent(e->fake, 1)->at_ms - fake_tp_sent(e->fake, 0)->at_ms, 3000);
	assert_int_equal(fake_tp_sent(e->fake, 2)->at_ms - fake_tp_sent(e->fake, 1)->at_ms, 30000);
	result_clear(&r);
}

static void lro_failure_and_cancel_surface_the_operation_error(void **state)
{
	env *e = *state;
	fake_tp_script(e->fake, "PUT", "/f", 202,
	               "Azure-AsyncOperation: https://management.azure.com/op/f", NULL, 0);
	fake_tp_script(e->fake, "GET", "/op/f", 200, "x-ms-request-id: rq-f",
	               "{\"status\":\"Failed\",\"error\":{\"code\":\"QuotaExceeded\","
	               "\"message\":\"no cores\"}}",
	               0);
	fake_tp_script(e->fake, "DELETE", "/g", 202, "Location: https://management.azure.com/op/g",
	               NULL, 0);
	fake_tp_script(e->fake, "GET", "/op/g", 202, NULL, NULL, 0);
	fake_tp_script(e->fake, "GET", "/op/g", 200, NULL,
	               "{\"status\":\"Canceled\",\"error\":{\"code\":\"OperationCanceled\","
	               "\"message\":\"stopped\"}}",
	               0);
	result r = {0}, r2 = {0};
	az_http_lro(e->c, arm_put("/f"), NULL, on_done, &r);
	az_http_request *del = arm_get("/g");
	free(del->method);
	del->method = az_xstrdup("DELETE");
	az_http_lro(e->c, del, NULL, on_done, &r2);
	az_http_run(e->c);
	assert_int_equal(r.err, AZ_EUPSTREAM);
	assert_string_equal(r.diags.items[0].code, "QuotaExceeded");
	assert_string_equal(r.diags.items[0].request_id, "rq-f");
	assert_non_null(strstr(r.diags.items[0].summary, "no cores"));
	assert_int_equal(r2.err, AZ_EUPSTREAM);
	assert_string_equal(r2.diags.items[0].code, "OperationCanceled");
	/* No Retry-After: the default interval (5 s here). Both started at once. */
	assert_string_equal(fake_tp_sent(e->fake, 2)->url, "https://management.azure.com/op/f");
	assert_int_equal(fake_tp_sent(e->fake, 2)->at_ms - fake_tp_sent(e->fake, 0)->at_ms, 5000);
	result_clear(&r);
	result_clear(&r2);
}

static void lro_location_returns_the_final_answer(void **state)
{
	env *e = *state;
	fake_tp_script(e->fake, "PUT", "/pipelines/p1", 202,
	               "location: https://ws1.dev.azuresynapse.net/operationResults/9\n"
	               "Retry-After: 1",
	               "{\"recordId\":1,\"state\":\"Creating\"}", 0);
	fake_tp_script(e->fake, "GET", "/operationResults/9", 202, "Retry-After: 1", NULL, 0);
	fake_tp_script(e->fake, "GET", "/operationResults/9", 200, NULL,
	               "{\"name\":\"p1\",\"properties\":{}}", 0);
	result r = {0};
	az_http_request *req =
	    az_http_request_new("PUT", "https://ws1.dev.azuresynapse.net/pipelines/p1");
	req->svc = AZ_SVC_SYNAPSE;
	az_http_lro(e->c, req, NULL, on_done, &r);
	az_http_run(e->c);
	assert_int_equal(r.err, 0);
	assert_non_null(strstr(r.body, "\"name\":\"p1\""));
	assert_int_equal(fake_tp_sent_count(e->fake), 3);
	result_clear(&r);
}

/* What an operation's final answer reads as JSON: the LRO hands the body it
 * read to the callback, once, and a second read is a value of its own. */
typedef struct final_json {
	const json_t *handed; /* what the LRO left on the response */
	json_t *first, *second;
} final_json;

static void on_final_json(void *ud, int err, const az_http_response *resp, az_diags *d)
{
	(void)err;
	(void)d;
	final_json *f = ud;
	f->handed = resp->json;
	f->first = az_http_response_json(resp);
	f->second = az_http_response_json(resp);
}

/* A PUT of `path` answered 202 with a Location to poll (`host` and `op`),
 * `retry_after` seconds apart: `polls` answers 202, then 200 with
 * `final_body`. */
static void script_polled_put(env *e, const char *host, const char *path, const char *op,
                              const char *retry_after, int polls, const char *final_body)
{
	char headers[192], retry[32];
	snprintf(headers, sizeof(headers), "Location: %s%s\nRetry-After: %s", host, op,
	         retry_after);
	snprintf(retry, sizeof(retry), "Retry-After: %s", retry_after);
	fake_tp_script(e->fake, "PUT", path, 202, headers, NULL, 0);
	for (int i = 0; i < polls; i++)
		fake_tp_script(e->fake, "GET", op, 202, retry, NULL, 0);
	fake_tp_script(e->fake, "GET", op, 200, NULL, final_body, 0);
}

/* Pipeline `name`'s PUT, answered 202 with a Location to poll, and the
 * poll's final answer `final_body`. */
static void script_pipeline_put(env *e, const char *name, const char *final_body)
{
	char put[64], op[64];
	snprintf(put, sizeof(put), "/pipelines/%s", name);
	snprintf(op, sizeof(op), "/operationResults/%s", name);
	script_polled_put(e, "https://ws1.dev.azuresynapse.net", put, op, "0", 0, final_body);
}

static void put_pipeline(env *e, const char *name, az_http_done_fn cb, void *ud)
{
	char url[96];
	snprintf(url, sizeof(url), "https://ws1.dev.azuresynapse.net/pipelines/%s", name);
	az_http_request *req = az_http_request_new("PUT", url);
	req->svc = AZ_SVC_SYNAPSE;
	az_http_lro(e->c, req, NULL, cb, ud);
}

static void lro_final_answer_is_read_once_for_the_caller(void **state)
{
	env *e = *state;
	script_pipeline_put(e, "p3", "{\"name\":\"p3\",\"properties\":{\"activities\":[]}}");
	/* A handed value nobody takes goes with the response. */
	script_pipeline_put(e, "p4", "{\"name\":\"p4\"}");
	final_json f = {0};
	put_pipeline(e, "p3", on_final_json, &f);
	result r = {0};
	put_pipeline(e, "p4", on_done, &r);
	az_http_run(e->c);
	/* The LRO's own reading is the one taken first, not a second read. */
	assert_non_null(f.handed);
	assert_ptr_equal(f.first, f.handed);
	assert_non_null(f.second);
	assert_ptr_not_equal(f.first, f.second);
	assert_true(json_equal(f.first, f.second));
	assert_string_equal(json_string_value(json_object_get(f.first, "name")), "p3");
	json_decref(f.first);
	json_decref(f.second);
	assert_int_equal(r.err, 0);
	assert_non_null(strstr(r.body, "\"p4\""));
	result_clear(&r);
}

/* A 202 poll answer may name the next status URL: it is followed, as the
 * ARM contract has clients do with a new Location. */
static void lro_location_follows_a_new_location(void **state)
{
	env *e = *state;
	fake_tp_script(e->fake, "PUT", "/pipelines/p2", 202,
	               "location: https://ws1.dev.azuresynapse.net/operationResults/1\n"
	               "Retry-After: 0",
	               NULL, 0);
	fake_tp_script(e->fake, "GET", "/operationResults/1", 202,
	               "Location: https://ws1.dev.azuresynapse.net/operationResults/2\n"
	               "Retry-After: 0",
	               NULL, 0);
	fake_tp_script(e->fake, "GET", "/operationResults/2", 200, NULL,
	               "{\"name\":\"p2\",\"properties\":{}}", 0);
	result r = {0};
	az_http_request *req =
	    az_http_request_new("PUT", "https://ws1.dev.azuresynapse.net/pipelines/p2");
	req->svc = AZ_SVC_SYNAPSE;
	az_http_lro(e->c, req, NULL, on_done, &r);
	az_http_run(e->c);
	assert_int_equal(r.err, 0);
	assert_string_equal(fake_tp_sent(e->fake, 2)->url,
	                    "https://ws1.dev.azuresynapse.net/operationResults/2");
	result_clear(&r);
}

/* A final 200 that carries an error object is the operation failing,
 * whatever its status field says. */
static void lro_location_final_error_is_a_failure(void **state)
{
	env *e = *state;
	fake_tp_script(e->fake, "DELETE", "/pools/p", 202,
	               "Location: https://management.azure.com/op/l\nRetry-After: 0", NULL, 0);
	fake_tp_script(e->fake, "GET", "/op/l", 200, NULL,
	               "{\"error\":{\"code\":\"Conflict\",\"message\":\"busy\"}}", 0);
	result r = {0};
	az_http_request *req = az_http_request_new("DELETE", "https://management.azure.com/pools/p");
	req->svc = AZ_SVC_ARM;
	az_http_lro(e->c, req, NULL, on_done, &r);
	az_http_run(e->c);
	assert_int_equal(r.err, AZ_EUPSTREAM);
	assert_string_equal(r.diags.items[0].code, "Conflict");
	result_clear(&r);
}

static void lro_polls_provisioning_state_and_times_out(void **state)
{
	env *e = *state;
	fake_tp_script(e->fake, "PUT", "/st", 201, NULL,
	               "{\"properties\":{\"provisioningState\":\"Creating\"}}", 0);
	fake_tp_script(e->fake, "GET", "/st", 404, NULL, "{\"error\":{\"code\":\"NotFound\"}}", 0);
	fake_tp_script(e->fake, "GET", "/st", 200, NULL,
	               "{\"properties\":{\"provisioningState\":\"Succeeded\"}}", 0);
	result r = {0};
	az_http_lro(e->c, arm_put("/st"), NULL, on_done, &r);
	az_http_run(e->c);
	assert_int_equal(r.err, 0);
	assert_int_equal(r.diags.len, 0);
	result_clear(&r);

	for (int i = 0; i < 20; i++)
		fake_tp_script(e->fake, "GET", "/op/slow", 200, "Retry-After: 10",
		               "{\"status\":\"Running\"}", 0);
	fake_tp_script(e->fake, "PUT", "/slow", 202,
	               "Azure-AsyncOperation: https://management.azure.com/op/slow", NULL, 0);
	az_lro_options o = {.timeout_s = 35};
	az_http_lro(e->c, arm_put("/slow"), &o, on_done, &r);
	az_http_run(e->c);
	assert_int_equal(r.err, AZ_EUPSTREAM);
	assert_non_null(strstr(r.diags.items[0].summary, "timed out after 35 s"));
	result_clear(&r);
}

static void lro_foreign_status_url_is_refused(void **state)
{
	env *e = *state;
	fake_tp_script(e->fake, "PUT", "/z", 202, "Location: https://attacker.example.net/op", NULL,
	               0);
	result r = {0};
	az_http_lro(e->c, arm_put("/z"), NULL, on_done, &r);
	az_http_run(e->c);
	assert_int_not_equal(r.err, 0);
	assert_int_equal(fake_tp_sent_count(e->fake), 1);
	assert_non_null(strstr(r.diags.items[0].summary, "refusing"));
	result_clear(&r);
}

/* ...and an operation of one workspace is not polled on another's host. */
static void lro_status_url_of_another_workspace_is_refused(void **state)
{
	env *e = *state;
	fake_tp_script(e->fake, "PUT", "/pipelines/p1", 202,
	               "Location: https://other.dev.azuresynapse.net/operationResults/9", NULL, 0);
	result r = {0};
	az_http_request *req =
	    az_http_request_new("PUT", "https://ws1.dev.azuresynapse.net/pipelines/p1");
	req->svc = AZ_SVC_SYNAPSE;
	az_http_lro(e->c, req, NULL, on_done, &r);
	az_http_run(e->c);
	assert_int_equal(r.err, AZ_EUPSTREAM);
	assert_int_equal(fake_tp_sent_count(e->fake), 1);
	assert_non_null(strstr(r.diags.items[0].summary, "refusing to send a GET request to "
	                                                 "https://other.dev.azuresynapse.net/"));
	result_clear(&r);
	const az_cloud *c = e->cloud;
	const char *ws1 = "https://ws1.dev.azuresynapse.net/pipelines";
	assert_true(az_cloud_url_allowed_from(c, AZ_SVC_SYNAPSE, NULL, ws1));
	assert_true(az_cloud_url_allowed_from(c, AZ_SVC_SYNAPSE, ws1,
	                                      "https://WS1.dev.azuresynapse.net:443/op/1"));
	assert_false(az_cloud_url_allowed_from(c, AZ_SVC_SYNAPSE, ws1,
	                                       "https://ws2.dev.azuresynapse.net/op/1"));
	assert_false(az_cloud_url_allowed_from(c, AZ_SVC_SYNAPSE, ws1, "https://evil.io/op"));
	assert_true(az_cloud_url_allowed_from(c, AZ_SVC_ARM, "https://management.azure.com/a",
	                                      "https://management.azure.com/op/1"));
}

static void many_operations_wait_at_once(void **state)
{
	env *e = *state;
	enum { N = 20 };
	result r[N] = {{0}};
	for (int i = 0; i < N; i++) {
		char path[32], op[64];
		snprintf(path, sizeof(path), "/m%02d", i);
		snprintf(op, sizeof(op), "/op/m%02d", i);
		script_polled_put(e, "https://management.azure.com", path, op, "10", 1, "{}");
		az_http_lro(e->c, arm_put(path), NULL, on_done, &r[i]);
	}
	az_http_run(e->c);
	for (int i = 0; i < N; i++) {
		assert_int_equal(r[i].err, 0);
		result_clear(&r[i]);
	}
	/* Two polls of 10 s each, all operations in parallel. */
	assert_int_equal(fake_tp_now(e->fake) - FAKE_EPOCH_MS, 20000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(backoff_stays_within_jitter_and_cap),
	    cmocka_unit_test(retry_after_reads_seconds_dates_and_ms),
	    cmocka_unit_test(retry_rules_protect_non_idempotent_requests),
	    cmocka_unit_test(error_bodies_of_every_shape_become_diagnostics),
	    cmocka_unit_test(redaction_hides_secret_query_values),
	    cmocka_unit_test_setup_teardown(host_check_follows_the_cloud, setup, teardown),
	    cmocka_unit_test(custom_cloud_file_is_read),
	    cmocka_unit_test_setup_teardown(retry_after_is_honoured_on_503, setup, teardown),
	    cmocka_unit_test_setup_teardown(backoff_without_retry_after_then_give_up, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(post_is_not_repeated_when_it_may_have_been_applied,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(throttling_storm_is_ridden_out, setup, teardown),
	    cmocka_unit_test_setup_teardown(every_request_carries_ids_and_user_agent, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(concurrency_is_bounded, setup, teardown),
	    cmocka_unit_test_setup_teardown(idle_work_is_done_while_answers_are_awaited, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(request_ids_are_distinct_version_4_uuids, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(resource_manager_gets_its_share_of_the_slots, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(a_host_keeps_to_its_bound_and_the_others_go_past, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(calls_held_for_their_host_end_with_the_client, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(low_rate_limit_budget_paces_requests, setup, teardown),
	    cmocka_unit_test_setup_teardown(paced_arm_writes_hold_back_only_arm_writes, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(next_pages_go_ahead_of_requests_not_begun, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(paging_follows_empty_pages_with_next_link, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(paging_by_continuation_header, setup, teardown),
	    cmocka_unit_test_setup_teardown(foreign_next_link_is_refused_without_sending, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(paging_failed_page_fails_the_list, setup, teardown),
	    cmocka_unit_test_setup_teardown(paging_first_page_404_is_not_found, setup, teardown),
	    cmocka_unit_test_setup_teardown(paging_answer_that_is_no_page_fails, setup, teardown),
	    cmocka_unit_test_setup_teardown(paging_cycle_is_an_error_at_once, setup, teardown),
	    cmocka_unit_test_setup_teardown(paging_gives_up_after_ten_thousand_pages, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(synapse_next_link_stays_in_its_workspace, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(expired_token_is_refreshed_once, setup, teardown),
	    cmocka_unit_test_setup_teardown(token_request_is_not_starved_by_the_calls_waiting_for_it,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(unauthenticated_requests_carry_no_token, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(trace_never_shows_tokens_or_secrets, setup, teardown),
	    cmocka_unit_test_setup_teardown(lro_async_operation_success_gets_the_resource, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(lro_failure_and_cancel_surface_the_operation_error,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(lro_final_answer_is_read_once_for_the_caller, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(lro_location_returns_the_final_answer, setup, teardown),
		cmocka_unit_test_setup_teardown(lro_location_follows_a_new_location, setup, teardown),
		cmocka_unit_test_setup_teardown(lro_location_final_error_is_a_failure, setup, teardown),
	    cmocka_unit_test_setup_teardown(lro_polls_provisioning_state_and_times_out, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(lro_foreign_status_url_is_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(lro_status_url_of_another_workspace_is_refused, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(many_operations_wait_at_once, setup, teardown),
	};
	return cmocka_run_group_tests_name("http", tests, NULL, NULL);
}
