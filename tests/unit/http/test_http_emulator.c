/*
 * test_http_emulator.c - the real client (libcurl, TLS against the
 * emulator's CA) and every credential kind against the Azure emulator:
 * tokens by secret, certificate, federated token file, managed identity and
 * a fake `az` on PATH; token expiry mid-run; 429 storms, 503s and dropped
 * connections from fault rules; LROs that succeed, fail and are canceled;
 * and server-supplied URLs to other hosts, which must never be contacted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "auth/auth.h"
#include "harness.h"
#include "http/http.h"
#include "test_support.h"

static emu *the_emu;

typedef struct t {
	az_cloud *cloud;
	az_http_client *c;
	az_credential *cred;
	char dir[256];
	char *old_path;
	FILE *trace; /* the debug trace of every test's client */
	char *arm;   /* https://management.localhost:PORT */
	char *rgs;   /* .../resourcegroups URL prefix of the default subscription */
} t;

typedef struct result {
	int calls;
	int err;
	int status;
	json_t *body;
	json_t *values;
	az_diags diags;
} result;

static int group_setup(void **state)
{
	(void)state;
	return emu_start(&the_emu, NULL) == 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	return emu_stop(the_emu) == 0 ? 0 : -1;
}

static int setup(void **state)
{
	t *x = az_xcalloc(1, sizeof(*x));
	test_clear_azure_env();
	az_diags d = AZ_DIAGS_INIT;
	assert_int_equal(az_cloud_load_file(&x->cloud, emu_cloud_config(the_emu), &d), 0);
	x->arm = az_xstrdup(x->cloud->resource_manager);
	x->rgs = az_xasprintf("%s/subscriptions/%s/resourcegroups", x->arm,
	                      emu_subscription_id(the_emu));
	snprintf(x->dir, sizeof(x->dir), "%s/emu-auth-XXXXXX", AZAPPLY_BINARY_DIR);
	assert_non_null(mkdtemp(x->dir));
	const char *path = getenv("PATH");
	x->old_path = az_xstrdup(path ? path : "");
	assert_int_equal(emu_control(the_emu, "DELETE", "faults", NULL, NULL), 200);
	assert_int_equal(emu_control(the_emu, "DELETE", "log", NULL, NULL), 200);
	assert_int_equal(emu_control(the_emu, "PUT", "settings",
	                             "{\"tokenLifetime\":3600,\"retryAfter\":1,\"lroPolls\":2}",
	                             NULL),
	                 200);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	t *x = *state;
	az_http_client_free(x->c);
	az_credential_free(x->cred);
	az_cloud_free(x->cloud);
	if (x->trace)
		fclose(x->trace);
	setenv("PATH", x->old_path, 1);
	free(x->old_path);
	char *cmd = az_xasprintf("rm -rf '%s'", x->dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(x->arm);
	free(x->rgs);
	free(x);
	return 0;
}

/* A client with the credential the environment now describes, trusting
 * the CA bundle at `ca_file`. */
static void open_client_trusting(t *x, const char *ca_file)
{
	az_diags d = AZ_DIAGS_INIT;
	az_http_options o;
	az_http_options_init(&o);
	o.max_in_flight = 8;
	o.backoff_base_ms = 50;
	o.poll_max_ms = 200;
	o.poll_default_ms = 100;
	o.verbosity = 2;
	x->trace = tmpfile();
	assert_non_null(x->trace);
	o.log = x->trace;
	az_transport tp;
	assert_int_equal(az_curl_transport_new(&tp, ca_file, &d), 0);
	x->c = az_http_client_new(&o, &tp, x->cloud);
	assert_int_equal(az_credential_new(&x->cred, x->cloud, NULL, &d), 0);
	az_token_source src = az_credential_token_source(x->cred);
	az_http_client_set_tokens(x->c, &src);
	az_diags_clear(&d);
}

static void open_client(t *x)
{
	open_client_trusting(x, x->cloud->ca_certificate);
}

static void use_builtin_principal(void)
{
	setenv("AZURE_TENANT_ID", emu_tenant_id(the_emu), 1);
	setenv("AZURE_CLIENT_ID", emu_client_id(the_emu), 1);
	setenv("AZURE_CLIENT_SECRET", emu_client_secret(the_emu), 1);
}

static void result_clear(result *r)
{
	json_decref(r->body);
	json_decref(r->values);
	az_diags_clear(&r->diags);
	memset(r, 0, sizeof(*r));
}

static void on_done(void *ud, int err, const az_http_response *resp, az_diags *d)
{
	result *r = ud;
	r->calls++;
	r->err = err;
	r->status = resp ? resp->status : 0;
	json_decref(r->body);
	r->body = resp ? az_http_response_json(resp) : NULL;
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

static az_http_request *arm_request(t *x, const char *method, const char *url_fmt, ...)
    __attribute__((format(printf, 3, 4)));

static az_http_request *arm_request(t *x, const char *method, const char *url_fmt, ...)
{
	(void)x;
	va_list ap;
	va_start(ap, url_fmt);
	char *url = az_xvasprintf(url_fmt, ap);
	va_end(ap);
	az_http_request *r = az_http_request_new(method, url);
	r->svc = AZ_SVC_ARM;
	free(url);
	return r;
}

static void list_groups(t *x, result *r)
{
	az_http_list(x->c, arm_request(x, "GET", "%s?api-version=2021-04-01", x->rgs), on_list, r);
	az_http_run(x->c);
}

static void put_group(t *x, const char *name)
{
	result r = {0};
	az_http_request *req = arm_request(x, "PUT", "%s/%s?api-version=2021-04-01", x->rgs, name);
	const char *body = "{\"location\":\"westeurope\"}";
	az_http_request_body(req, body, strlen(body));
	az_http_request_header(req, "Content-Type", "application/json");
	az_http_lro(x->c, req, NULL, on_done, &r);
	az_http_run(x->c);
	assert_int_equal(r.err, 0);
	result_clear(&r);
}

/* How many logged requests match method, host prefix and path part. */
static size_t logged(const char *method, const char *host_prefix, const char *path_part)
{
	json_t *log = NULL;
	assert_int_equal(emu_control(the_emu, "GET", "log", NULL, &log), 200);
	size_t n = 0, i;
	json_t *e;
	json_array_foreach(json_object_get(log, "requests"), i, e)
	{
		const char *m = json_string_value(json_object_get(e, "method"));
		const char *h = json_string_value(json_object_get(e, "host"));
		const char *p = json_string_value(json_object_get(e, "path"));
		if (method && (!m || strcmp(m, method)))
			continue;
		if (host_prefix && (!h || strncmp(h, host_prefix, strlen(host_prefix))))
			continue;
		if (path_part && (!p || !strstr(p, path_part)))
			continue;
		n++;
	}
	json_decref(log);
	return n;
}

static size_t logged_status(int status)
{
	json_t *log = NULL;
	assert_int_equal(emu_control(the_emu, "GET", "log", NULL, &log), 200);
	size_t n = 0, i;
	json_t *e;
	json_array_foreach(json_object_get(log, "requests"), i, e) n +=
	    json_integer_value(json_object_get(e, "status")) == status;
	json_decref(log);
	return n;
}

static void add_fault(const char *json)
{
	json_t *resp = NULL;
	int status = emu_control(the_emu, "POST", "faults", json, &resp);
	if (status != 200)
		fail_msg("fault rule refused: %s", json);
	json_decref(resp);
}

/* ---- credentials ---- */

static void client_secret_gets_a_token_and_pages(void **state)
{
	t *x = *state;
	use_builtin_principal();
	open_client(x);
	put_group(x, "rg-page-1");
	put_group(x, "rg-page-2");
	put_group(x, "rg-page-3");
	assert_int_equal(emu_control(the_emu, "PUT", "settings", "{\"pageSize\":1}", NULL), 200);
	result r = {0};
	list_groups(x, &r);
	assert_int_equal(emu_control(the_emu, "PUT", "settings", "{\"pageSize\":100}", NULL), 200);
	assert_int_equal(r.err, 0);
	assert_true(json_array_size(r.values) >= 3);
	assert_true(logged("GET", "management.", "/resourcegroups") >= 3);
	/* One token for all of it. */
	assert_int_equal(logged("POST", "login.", "/oauth2/v2.0/token"), 1);
	result_clear(&r);

	/* The debug trace has a line per request, and neither the token
	 * (a JWT: "eyJ...") nor the client secret. */
	fflush(x->trace);
	rewind(x->trace);
	az_buf log = AZ_BUF_INIT;
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), x->trace)) > 0)
		az_buf_add(&log, chunk, n);
	assert_non_null(log.data);
	assert_non_null(strstr(log.data, "azapply: http: POST https://login.localhost:"));
	assert_non_null(strstr(log.data, "/resourcegroups?api-version=2021-04-01 -> 200"));
	assert_non_null(strstr(log.data, "x-ms-request-id="));
	assert_null(strstr(log.data, "eyJ"));
	assert_null(strstr(log.data, emu_client_secret(the_emu)));
	az_buf_free(&log);
}

/* Many requests to one host at once all go out at once. With
 * CURLOPT_PIPEWAIT, transfers queued behind a first HTTP/1.1 connection
 * to the host were only noticed at the next poll timeout: each waited a
 * whole second, so the eight took 7 s or more. The bound sits far below
 * that and far above a normal run (tens of ms) on a loaded machine (a run
 * beside other builds took 1.4 s): it tells a stall from a slow machine. */
static void concurrent_requests_to_one_host_do_not_stall(void **state)
{
	t *x = *state;
	use_builtin_principal();
	open_client(x);
	put_group(x, "rg-many");
	result r[8] = {{0}};
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 8; i++)
		az_http_submit(x->c, arm_request(x, "GET", "%s/rg-many?api-version=2021-04-01", x->rgs),
			       on_done, &r[i]);
	az_http_run(x->c);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double ms = (double)(t1.tv_sec - t0.tv_sec) * 1000.0 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	for (int i = 0; i < 8; i++) {
		assert_int_equal(r[i].status, 200);
		result_clear(&r[i]);
	}
	if (ms >= 5000)
		fail_msg("8 concurrent GETs to one host took %.0f ms", ms);
}

/* Submits a list of workspace `name`'s pipelines, on its own host; `query`
 * ("n=1") tells lists of one workspace apart in the emulator's log. */
static void submit_pipelines(t *x, const char *name, const char *query, az_http_done_fn cb,
                             void *ud)
{
	const char *at = strstr(x->cloud->synapse_dev, "{workspace}");
	assert_non_null(at);
	char *url = az_xasprintf("%.*s%s%s/pipelines?api-version=2020-12-01%s%s",
	                         (int)(at - x->cloud->synapse_dev), x->cloud->synapse_dev, name,
	                         at + strlen("{workspace}"), query[0] ? "&" : "", query);
	az_http_request *req = az_http_request_new("GET", url);
	free(url);
	req->svc = AZ_SVC_SYNAPSE;
	req->max_retries = 0;
	az_http_submit(x->c, req, cb, ud);
}

/* The HTTP status of one list of workspace `name`'s pipelines (0: no
 * answer). */
static int list_pipelines_of(t *x, const char *name)
{
	result r = {0};
	submit_pipelines(x, name, "", on_done, &r);
	az_http_run(x->c);
	int status = r.status;
	result_clear(&r);
	return status;
}

/* Each host's connection is kept for its next request, however many other
 * hosts were asked in between (libcurl's default cache kept four per
 * transfer in flight and closed the rest). */
static void connections_are_kept_for_the_next_request_to_their_host(void **state)
{
	t *x = *state;
	use_builtin_principal();
	open_client(x);
	enum { HOSTS = 24, ROUNDS = 3 };
	for (int round = 0; round < ROUNDS; round++)
		for (int h = 0; h < HOSTS; h++) {
			char name[16];
			snprintf(name, sizeof(name), "ws%02d", h);
			/* No such workspace: an answer all the same. */
			assert_int_not_equal(list_pipelines_of(x, name), 0);
		}
	/* One per workspace host and one for the token endpoint. */
	long opened = az_http_connections_opened(x->c);
	if (opened > HOSTS + 1)
		fail_msg("%ld connections for %d requests to %d hosts", opened, HOSTS * ROUNDS,
		         HOSTS);
}

/* One of the emulator's counters, as its log reports it now. */
static long emulator_counter(const char *name)
{
	json_t *log = NULL;
	assert_int_equal(emu_control(the_emu, "GET", "log", NULL, &log), 200);
	long n = (long)json_integer_value(json_object_get(json_object_get(log, "counters"), name));
	json_decref(log);
	return n;
}

static void on_pipelines(void *ud, int err, const az_http_response *resp, az_diags *d)
{
	(void)d;
	(void)err; /* no such workspace: a 404, an answer all the same */
	int *answered = ud;
	if (resp && resp->status != 0)
		(*answered)++;
}

/* `n` lists of workspace `name`'s pipelines, submitted together. */
static void submit_burst(t *x, const char *name, int n, int *answered)
{
	for (int i = 0; i < n; i++) {
		char query[16];
		snprintf(query, sizeof(query), "n=%d", i);
		submit_pipelines(x, name, query, on_pipelines, answered);
	}
}

/* Requests that go out together to a host not asked before: the first
 * opens its connection alone, and the others wait until a connection of
 * their own can resume its TLS session (or, on HTTP/2, share its
 * connection). Each opening its own connection at once was a full
 * handshake apiece, a certificate chain parsed and verified: a plan's
 * first wave paid 64 of them to Resource Manager alone. Over TLS 1.3 the
 * session ticket comes just after the handshake, so they leave then, not
 * once the first is answered: waiting for the answer put a round trip in
 * front of everything behind a host's first request. With 500 ms of
 * latency on every answer, the emulator's log shows the others arriving
 * before the first's answer, and its counters that they did not all make
 * a full handshake: the first of them to begin had the ticket. (How many
 * more resume depends on timing: OpenSSL marks a TLS 1.3 session used once
 * a connection resuming it completes its handshake.) */
static void a_host_is_opened_by_one_connection(void **state)
{
	t *x = *state;
	use_builtin_principal();
	open_client(x);
	/* The token first, so that its host is not the one counted. */
	assert_int_not_equal(list_pipelines_of(x, "burst-warm"), 0);
	long full_before = emulator_counter("fullHandshakes");
	assert_int_equal(emu_control(the_emu, "PUT", "latency", "{\"ms\":500}", NULL), 200);
	enum { BURST = 8 };
	int answered = 0;
	submit_burst(x, "burst", BURST, &answered);
	az_http_run(x->c);
	assert_int_equal(emu_control(the_emu, "PUT", "latency", "{\"ms\":0}", NULL), 200);
	assert_int_equal(answered, BURST);
	long full = emulator_counter("fullHandshakes") - full_before;
	if (full >= BURST)
		fail_msg("all %d requests to the new host made a full TLS handshake: none waited "
		         "for the first connection's session",
		         BURST);

	json_t *log = NULL;
	assert_int_equal(emu_control(the_emu, "GET", "log", NULL, &log), 200);
	json_int_t start[BURST], first_answered = 0;
	size_t n = 0, i, first = 0;
	json_t *e;
	json_array_foreach(json_object_get(log, "requests"), i, e)
	{
		const char *h = json_string_value(json_object_get(e, "host"));
		if (!h || strncmp(h, "burst.", 6) != 0)
			continue;
		assert_true(n < BURST);
		start[n] = json_integer_value(json_object_get(e, "startMs"));
		if (n == 0 || start[n] < start[first]) {
			first = n;
			first_answered = start[n] + json_integer_value(json_object_get(e, "durationMs"));
		}
		n++;
	}
	json_decref(log);
	assert_int_equal(n, BURST);
	for (i = 0; i < n; i++)
		if (i != first && start[i] >= first_answered)
			fail_msg("a request to the new host arrived %lld ms after the first, once it "
			         "was answered at %lld ms: it waited for the answer, not for the TLS "
			         "session (%ld full TLS handshakes for %d requests)",
			         (long long)(start[i] - start[first]),
			         (long long)(first_answered - start[first]), full, BURST);
}

/* Every host's TLS session is there for its next connection, however many
 * hosts a stack has. libcurl's shared session cache holds eight, so with
 * more hosts than that (one per Synapse workspace) each host's session was
 * pushed out before its second connection opened, and that connection made
 * a full handshake: 271 of an apply's 301 connections did. */
static void every_host_keeps_its_tls_session(void **state)
{
	t *x = *state;
	use_builtin_principal();
	open_client(x);
	enum { HOSTS = 12 };
	char name[HOSTS][16];
	/* Each host's first connection, one after another. */
	for (int h = 0; h < HOSTS; h++) {
		snprintf(name[h], sizeof(name[h]), "sess%02d", h);
		assert_int_not_equal(list_pipelines_of(x, name[h]), 0);
	}
	long full_before = emulator_counter("fullHandshakes");
	long opened_before = az_http_connections_opened(x->c);
	/* Then two requests at once to each, answered slowly enough that
	 * neither connection is free for the other: the second opens a
	 * connection, which resumes the session the first brought back. */
	assert_int_equal(emu_control(the_emu, "PUT", "latency", "{\"ms\":100}", NULL), 200);
	for (int h = 0; h < HOSTS; h++) {
		int answered = 0;
		submit_burst(x, name[h], 2, &answered);
		az_http_run(x->c);
		assert_int_equal(answered, 2);
	}
	assert_int_equal(emu_control(the_emu, "PUT", "latency", "{\"ms\":0}", NULL), 200);
	long full = emulator_counter("fullHandshakes") - full_before;
	long opened = az_http_connections_opened(x->c) - opened_before;
	if (opened < HOSTS)
		fail_msg("%ld connections opened for %d hosts: the test opens none of its own",
		         opened, HOSTS);
	if (full != 0)
		fail_msg("%ld of %ld new connections to %d hosts made a full TLS handshake", full,
		         opened, HOSTS);
}

/* A finished transfer's handle is reset and kept for the next transfer:
 * nothing of a PUT (its method, body, headers) may ride on the HEAD and
 * the GET that reuse it. */
static void a_reused_handle_carries_nothing_over(void **state)
{
	t *x = *state;
	use_builtin_principal();
	open_client(x);
	assert_int_not_equal(list_pipelines_of(x, "reuse"), 0);
	const char *at = strstr(x->cloud->synapse_dev, "{workspace}");
	char *base = az_xasprintf("%.*sreuse%s", (int)(at - x->cloud->synapse_dev),
	                          x->cloud->synapse_dev, at + strlen("{workspace}"));
	static const char *const methods[] = {"PUT", "HEAD", "GET"};
	for (size_t i = 0; i < 3; i++) {
		char *url = az_xasprintf("%s/pipelines/p%zu?api-version=2020-12-01", base, i);
		az_http_request *req = az_http_request_new(methods[i], url);
		free(url);
		req->svc = AZ_SVC_SYNAPSE;
		req->max_retries = 0;
		if (i == 0) {
			const char *body = "{\"properties\":{\"activities\":[]}}";
			az_http_request_body(req, body, strlen(body));
			az_http_request_header(req, "If-Match", "\"etag-of-the-put\"");
		}
		result r = {0};
		az_http_submit(x->c, req, on_done, &r);
		az_http_run(x->c);
		assert_int_not_equal(r.status, 0);
		result_clear(&r);
	}
	free(base);
	json_t *log = NULL;
	assert_int_equal(emu_control(the_emu, "GET", "log", NULL, &log), 200);
	json_t *requests = json_object_get(log, "requests");
	size_t n = json_array_size(requests);
	assert_true(n >= 3);
	for (size_t i = 0; i < 3; i++) {
		json_t *e = json_array_get(requests, n - 3 + i);
		assert_string_equal(json_string_value(json_object_get(e, "method")), methods[i]);
		json_t *headers = json_object_get(e, "headers");
		if (i == 0) {
			assert_non_null(json_object_get(headers, "if-match"));
			continue;
		}
		if (json_object_get(headers, "if-match") || json_object_get(headers, "content-length"))
			fail_msg("the %s after a PUT carried the PUT's headers", methods[i]);
		json_t *body = json_object_get(e, "body");
		assert_true(!body || json_is_null(body));
	}
	json_decref(log);
}

/* What the first answer of a new host leads to (a list's next page) goes
 * out on the connection that answer leaves idle, before the requests that
 * waited for it: they took it, and the stack-wide list's second page
 * opened a connection of its own behind 63 TLS handshakes. */
typedef struct follow_up {
	t *x;
	int answered;
} follow_up;

static void on_first_of_burst(void *ud, int err, const az_http_response *resp, az_diags *d)
{
	follow_up *f = ud;
	on_pipelines(&f->answered, err, resp, d);
	submit_pipelines(f->x, "next-page", "next=1", on_pipelines, &f->answered);
}

/* The connection the emulator logged for `path_part` on host "next-page.". */
static json_int_t next_page_connection(const char *path_part)
{
	json_t *log = NULL;
	assert_int_equal(emu_control(the_emu, "GET", "log", NULL, &log), 200);
	json_int_t conn = -1;
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(log, "requests"), i, e)
	{
		const char *h = json_string_value(json_object_get(e, "host"));
		const char *p = json_string_value(json_object_get(e, "path"));
		if (h && p && !strncmp(h, "next-page.", 10) && strstr(p, path_part))
			conn = json_integer_value(json_object_get(e, "connection"));
	}
	json_decref(log);
	return conn;
}

static void a_first_answers_follow_up_keeps_its_connection(void **state)
{
	t *x = *state;
	use_builtin_principal();
	open_client(x);
	assert_int_not_equal(list_pipelines_of(x, "next-page-warm"), 0); /* the token */
	assert_int_equal(emu_control(the_emu, "PUT", "latency", "{\"ms\":50}", NULL), 200);
	follow_up f = {x, 0};
	submit_pipelines(x, "next-page", "first=1", on_first_of_burst, &f);
	int waited = 0;
	submit_burst(x, "next-page", 7, &waited);
	az_http_run(x->c);
	assert_int_equal(emu_control(the_emu, "PUT", "latency", "{\"ms\":0}", NULL), 200);
	assert_int_equal(f.answered, 2);
	assert_int_equal(waited, 7);
	json_int_t first = next_page_connection("first=1"), next = next_page_connection("next=1");
	assert_true(first >= 0);
	if (next != first)
		fail_msg("the follow-up went out on connection %lld, not on the first answer's %lld",
		         (long long)next, (long long)first);
}

/* A client freed while a new host's first answer is awaited (Ctrl-C
 * in a plan's first wave): the requests waiting beside it end with it,
 * none sent, none left behind. */
static void a_burst_waiting_for_its_host_ends_with_the_client(void **state)
{
	t *x = *state;
	use_builtin_principal();
	open_client(x);
	assert_int_not_equal(list_pipelines_of(x, "freed-warm"), 0); /* the token */
	int answered = 0;
	submit_burst(x, "freed", 8, &answered);
	az_http_client_free(x->c); /* the opener in flight, seven waiting */
	x->c = NULL;
	assert_int_equal(answered, 0);
	/* and a new client still reaches that host */
	az_credential_free(x->cred);
	fclose(x->trace);
	open_client(x);
	submit_burst(x, "freed", 8, &answered);
	az_http_run(x->c);
	assert_int_equal(answered, 8);
}

/* The CA bundle is read once per process, not once per connection: a
 * plan of 50,001 resources opened 4,517 connections and parsed the bundle
 * for each (libcurl keeps the parsed store only when no CA directory is
 * set, and Debian's libcurl sets one by default). Once read, the bundle's
 * file is no longer needed, which is how this test sees it. */
static void ca_bundle_is_read_once(void **state)
{
	t *x = *state;
	use_builtin_principal();
	char *copy = az_xasprintf("%s/ca.pem", x->dir);
	char *cmd = az_xasprintf("cp '%s' '%s'", x->cloud->ca_certificate, copy);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	open_client_trusting(x, copy);
	/* No such workspace: an answer all the same, over verified TLS. */
	assert_int_not_equal(list_pipelines_of(x, "once00"), 0);
	assert_int_equal(unlink(copy), 0);
	if (list_pipelines_of(x, "once01") == 0)
		fail_msg("a connection to a new host failed once the bundle was gone");
	assert_true(az_http_connections_opened(x->c) >= 2);
	free(copy);
}

static void certificate_credential(void **state)
{
	t *x = *state;
	char *pem = az_xasprintf("%s/cert.pem", x->dir);
	EVP_PKEY *key;
	X509 *cert;
	test_make_cert(pem, &key, &cert);
	unsigned char thumb[EVP_MAX_MD_SIZE];
	unsigned int tlen;
	X509_digest(cert, EVP_sha1(), thumb, &tlen);
	char *x5t = az_base64url(thumb, tlen);
	char *cert_pem = test_cert_pem(cert);
	json_t *reg = json_pack("{s:s, s:s, s:s}", "clientId", "cert-app-1", "thumbprint", x5t,
	                        "pem", cert_pem);
	char *reg_text = json_dumps(reg, 0);
	assert_int_equal(emu_control(the_emu, "POST", "identities/certificate", reg_text, NULL),
	                 200);
	setenv("AZURE_TENANT_ID", emu_tenant_id(the_emu), 1);
	setenv("AZURE_CLIENT_ID", "cert-app-1", 1);
	setenv("AZURE_CLIENT_CERTIFICATE_PATH", pem, 1);
	open_client(x);
	result r = {0};
	list_groups(x, &r);
	assert_int_equal(r.err, 0);
	assert_int_equal(logged("POST", "login.", "/oauth2/v2.0/token"), 1);
	result_clear(&r);
	free(reg_text);
	json_decref(reg);
	free(cert_pem);
	free(x5t);
	free(pem);
	X509_free(cert);
	EVP_PKEY_free(key);
}

static void federated_token_file(void **state)
{
	t *x = *state;
	const char *reg = "{\"clientId\":\"fed-app-1\",\"issuer\":\"https://token.example\","
	                  "\"subject\":\"system:serviceaccount:ns:azapply\"}";
	assert_int_equal(emu_control(the_emu, "POST", "identities/federated", reg, NULL), 200);
	json_t *minted = NULL;
	assert_int_equal(emu_control(the_emu, "POST", "federated-token",
	                             "{\"issuer\":\"https://token.example\","
	                             "\"subject\":\"system:serviceaccount:ns:azapply\"}",
	                             &minted),
	                 200);
	char *file = az_xasprintf("%s/federated-token", x->dir);
	FILE *f = fopen(file, "w");
	assert_non_null(f);
	fputs(json_string_value(json_object_get(minted, "token")), f);
	fclose(f);
	setenv("AZURE_TENANT_ID", emu_tenant_id(the_emu), 1);
	setenv("AZURE_CLIENT_ID", "fed-app-1", 1);
	setenv("AZURE_FEDERATED_TOKEN_FILE", file, 1);
	open_client(x);
	result r = {0};
	list_groups(x, &r);
	assert_int_equal(r.err, 0);
	result_clear(&r);
	json_decref(minted);
	free(file);
}

static void managed_identity(void **state)
{
	t *x = *state;
	setenv("AZAPPLY_AUTH", "managed", 1);
	open_client(x);
	result r = {0};
	list_groups(x, &r);
	assert_int_equal(r.err, 0);
	assert_int_equal(logged("GET", "imds.", "/metadata/identity/oauth2/token"), 1);
	result_clear(&r);
}

static void azure_cli_on_path(void **state)
{
	t *x = *state;
	char *token = emu_token(the_emu, "https://management.azure.com/.default");
	assert_non_null(token);
	char *script = az_xasprintf("%s/az", x->dir);
	FILE *f = fopen(script, "w");
	assert_non_null(f);
	fprintf(f,
	        "#!/bin/sh\necho '{\"accessToken\":\"%s\",\"expires_on\":%lld,"
	        "\"tokenType\":\"Bearer\"}'\n",
	        token, (long long)time(NULL) + 3600);
	fclose(f);
	chmod(script, 0755);
	setenv("PATH", x->dir, 1);
	/* Not pinned: environment, workload and GitHub are not configured,
	 * IMDS is not where the public cloud has it, and the CLI answers. */
	az_cloud *saved = x->cloud;
	free(saved->managed_identity);
	saved->managed_identity =
	    az_xasprintf("https://imds.localhost:%d/no-identity-here", emu_port(the_emu));
	open_client(x);
	result r = {0};
	list_groups(x, &r);
	assert_int_equal(r.err, 0);
	json_t *desc = NULL;
	az_diags d = AZ_DIAGS_INIT;
	az_auth_describe(&desc, x->cred, x->c, &d);
	assert_string_equal(json_string_value(json_object_get(desc, "credential")), "Azure CLI");
	char *text = json_dumps(desc, 0);
	assert_null(strstr(text, token));
	free(text);
	json_decref(desc);
	az_diags_clear(&d);
	result_clear(&r);
	free(script);
	free(token);
}

/* ---- tokens that expire ---- */

static void noop(void *ud)
{
	(void)ud;
}

static void token_expiry_mid_run(void **state)
{
	t *x = *state;
	use_builtin_principal();
	assert_int_equal(emu_control(the_emu, "PUT", "settings", "{\"tokenLifetime\":2}", NULL),
	                 200);
	open_client(x);
	result r = {0};
	for (int i = 0; i < 3; i++) {
		list_groups(x, &r);
		assert_int_equal(r.err, 0);
		result_clear(&r);
		az_http_timer(x->c, 1100, noop, NULL);
		az_http_run(x->c);
	}
	/* Short tokens are renewed at half their life: never sent expired. */
	assert_true(logged("POST", "login.", "/oauth2/v2.0/token") >= 2);
	assert_int_equal(logged_status(401), 0);
	/* A token the server calls expired is refreshed once. */
	assert_int_equal(emu_control(the_emu, "PUT", "settings", "{\"tokenLifetime\":3600}", NULL),
	                 200);
	list_groups(x, &r);
	assert_int_equal(r.err, 0);
	result_clear(&r);
	add_fault("{\"method\":\"GET\",\"path\":\"resourcegroups\",\"status\":401,\"times\":1,"
	          "\"headers\":{\"WWW-Authenticate\":\"Bearer error=\\\"invalid_token\\\"\"},"
	          "\"body\":{\"error\":{\"code\":\"ExpiredAuthenticationToken\","
	          "\"message\":\"The access token expiry UTC time is earlier than current UTC "
	          "time.\"}}}");
	size_t before = logged("POST", "login.", "/oauth2/v2.0/token");
	list_groups(x, &r);
	assert_int_equal(r.err, 0);
	assert_int_equal(logged("POST", "login.", "/oauth2/v2.0/token"), before + 1);
	result_clear(&r);
}

/* ---- faults ---- */

static void throttling_storm_and_503s_are_retried(void **state)
{
	t *x = *state;
	use_builtin_principal();
	open_client(x);
	add_fault("{\"method\":\"GET\",\"path\":\"resourcegroups\\\\?\",\"status\":429,"
	          "\"times\":4,\"headers\":{\"Retry-After\":\"1\"},"
	          "\"body\":{\"error\":{\"code\":\"TooManyRequests\",\"message\":\"slow down\"}}}");
	result r = {0};
	list_groups(x, &r);
	assert_int_equal(r.err, 0);
	assert_int_equal(logged("GET", "management.", "/resourcegroups"), 5);
	result_clear(&r);

	assert_int_equal(emu_control(the_emu, "DELETE", "log", NULL, NULL), 200);
	add_fault("{\"method\":\"GET\",\"path\":\"resourcegroups\\\\?\",\"status\":503,"
	          "\"times\":2,\"body\":{\"error\":{\"code\":\"ServiceUnavailable\","
	          "\"message\":\"try later\"}}}");
	list_groups(x, &r);
	assert_int_equal(r.err, 0);
	assert_int_equal(logged("GET", "management.", "/resourcegroups"), 3);
	result_clear(&r);

	/* Retries run out: the last answer is the error. */
	add_fault("{\"method\":\"GET\",\"path\":\"resourcegroups\\\\?\",\"status\":503,"
	          "\"times\":10,\"headers\":{\"x-ms-request-id\":\"req-503\"},"
	          "\"body\":{\"error\":{\"code\":\"ServiceUnavailable\",\"message\":\"down\"}}}");
	list_groups(x, &r);
	assert_int_equal(r.err, AZ_EUPSTREAM);
	assert_int_equal(r.diags.items[0].http_status, 503);
	assert_string_equal(r.diags.items[0].code, "ServiceUnavailable");
	result_clear(&r);
}

static void dropped_connections(void **state)
{
	t *x = *state;
	use_builtin_principal();
	open_client(x);
	add_fault("{\"method\":\"GET\",\"path\":\"resourcegroups\\\\?\",\"drop\":true,"
	          "\"times\":1}");
	result r = {0};
	list_groups(x, &r);
	assert_int_equal(r.err, 0);
	assert_int_equal(logged("GET", "management.", "/resourcegroups"), 2);
	result_clear(&r);

	/* A POST dropped after sending may have been applied: not repeated. */
	add_fault("{\"method\":\"POST\",\"path\":\"/exportTemplate\",\"drop\":true,\"times\":5}");
	az_http_request *post =
	    arm_request(x, "POST", "%s/rg-x/exportTemplate?api-version=2021-04-01", x->rgs);
	az_http_request_body(post, "{}", 2);
	az_http_submit(x->c, post, on_done, &r);
	az_http_run(x->c);
	assert_int_not_equal(r.err, 0);
	assert_int_equal(logged("POST", "management.", "/exportTemplate"), 1);
	result_clear(&r);
}

/* ---- long-running operations ---- */

static az_http_request *workspace_put(t *x, const char *rg, const char *name)
{
	az_http_request *r = arm_request(
	    x, "PUT", "%s/%s/providers/Microsoft.Synapse/workspaces/%s?api-version=2021-06-01",
	    x->rgs, rg, name);
	const char *body = "{\"location\":\"westeurope\",\"properties\":{"
	                   "\"defaultDataLakeStorage\":{\"accountUrl\":"
	                   "\"https://dl1.dfs.core.windows.net\",\"filesystem\":\"fs\"}}}";
	az_http_request_body(r, body, strlen(body));
	az_http_request_header(r, "Content-Type", "application/json");
	return r;
}

static void lros_succeed_fail_and_cancel(void **state)
{
	t *x = *state;
	use_builtin_principal();
	open_client(x);
	put_group(x, "rg-lro");
	add_fault("{\"method\":\"PUT\",\"path\":\"workspaces/ws-fail\",\"lroResult\":\"Failed\","
	          "\"lroError\":{\"code\":\"InternalServerError\",\"message\":\"pool broke\"}}");
	add_fault("{\"method\":\"PUT\",\"path\":\"workspaces/ws-cancel\","
	          "\"lroResult\":\"Canceled\"}");
	result ok = {0}, failed = {0}, canceled = {0}, storage = {0};
	/* All three at once, on the one loop. */
	az_http_lro(x->c, workspace_put(x, "rg-lro", "ws-ok"), NULL, on_done, &ok);
	az_http_lro(x->c, workspace_put(x, "rg-lro", "ws-fail"), NULL, on_done, &failed);
	az_http_lro(x->c, workspace_put(x, "rg-lro", "ws-cancel"), NULL, on_done, &canceled);
	az_http_request *sa = arm_request(
	    x, "PUT",
	    "%s/rg-lro/providers/Microsoft.Storage/storageAccounts/salro1?api-version=2023-01-01",
	    x->rgs);
	const char *sa_body = "{\"location\":\"westeurope\",\"kind\":\"StorageV2\","
	                      "\"sku\":{\"name\":\"Standard_LRS\"}}";
	az_http_request_body(sa, sa_body, strlen(sa_body));
	az_http_request_header(sa, "Content-Type", "application/json");
	az_http_lro(x->c, sa, NULL, on_done, &storage);
	az_http_run(x->c);
	assert_int_equal(ok.err, 0);
	assert_string_equal(json_string_value(json_object_get(
	                        json_object_get(ok.body, "properties"), "provisioningState")),
	                    "Succeeded");
	assert_string_equal(json_string_value(json_object_get(ok.body, "name")), "ws-ok");
	assert_int_equal(failed.err, AZ_EUPSTREAM);
	assert_string_equal(failed.diags.items[0].code, "InternalServerError");
	assert_non_null(strstr(failed.diags.items[0].summary, "pool broke"));
	assert_int_equal(canceled.err, AZ_EUPSTREAM);
	assert_non_null(strstr(canceled.diags.items[0].summary, "Canceled"));
	assert_int_equal(storage.err, 0);
	assert_string_equal(json_string_value(json_object_get(storage.body, "name")), "salro1");
	result_clear(&ok);
	result_clear(&failed);
	result_clear(&canceled);
	result_clear(&storage);
}

/* ---- URLs that point elsewhere ---- */

static void foreign_next_link_and_location_are_refused(void **state)
{
	t *x = *state;
	use_builtin_principal();
	open_client(x);
	char *rule = az_xasprintf(
	    "{\"method\":\"GET\",\"path\":\"resourcegroups\\\\?\",\"status\":200,\"times\":1,"
	    "\"body\":{\"value\":[],\"nextLink\":\"https://graph.localhost:%d/v1.0/steal\"}}",
	    emu_port(the_emu));
	add_fault(rule);
	free(rule);
	result r = {0};
	list_groups(x, &r);
	assert_int_not_equal(r.err, 0);
	assert_non_null(strstr(r.diags.items[0].summary, "refusing"));
	assert_int_equal(logged(NULL, "graph.", NULL), 0);
	result_clear(&r);

	rule = az_xasprintf("{\"method\":\"PUT\",\"path\":\"resourcegroups/rg-evil\","
	                    "\"status\":202,\"times\":1,\"headers\":{\"Location\":"
	                    "\"https://management.localhost:%d.evil.localhost/op\"}}",
	                    emu_port(the_emu));
	add_fault(rule);
	free(rule);
	rule = az_xasprintf("{\"method\":\"PUT\",\"path\":\"resourcegroups/rg-evil2\","
	                    "\"status\":202,\"times\":1,\"headers\":{\"Azure-AsyncOperation\":"
	                    "\"https://login.localhost:%d/steal\"}}",
	                    emu_port(the_emu));
	add_fault(rule);
	free(rule);
	result r1 = {0}, r2 = {0};
	az_http_request *p1 = arm_request(x, "PUT", "%s/rg-evil?api-version=2021-04-01", x->rgs);
	az_http_request *p2 = arm_request(x, "PUT", "%s/rg-evil2?api-version=2021-04-01", x->rgs);
	az_http_request_body(p1, "{\"location\":\"westeurope\"}", 25);
	az_http_request_body(p2, "{\"location\":\"westeurope\"}", 25);
	az_http_lro(x->c, p1, NULL, on_done, &r1);
	az_http_lro(x->c, p2, NULL, on_done, &r2);
	az_http_run(x->c);
	assert_int_not_equal(r1.err, 0);
	assert_int_not_equal(r2.err, 0);
	assert_non_null(strstr(r1.diags.items[0].summary, "refusing"));
	assert_non_null(strstr(r2.diags.items[0].summary, "refusing"));
	assert_int_equal(logged(NULL, NULL, "/steal"), 0);
	assert_int_equal(logged(NULL, NULL, "/op"), 0);
	result_clear(&r1);
	result_clear(&r2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(client_secret_gets_a_token_and_pages, setup, teardown),
	    cmocka_unit_test_setup_teardown(concurrent_requests_to_one_host_do_not_stall, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(a_host_is_opened_by_one_connection, setup, teardown),
	    cmocka_unit_test_setup_teardown(every_host_keeps_its_tls_session, setup, teardown),
	    cmocka_unit_test_setup_teardown(a_reused_handle_carries_nothing_over, setup, teardown),
	    cmocka_unit_test_setup_teardown(a_first_answers_follow_up_keeps_its_connection, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(a_burst_waiting_for_its_host_ends_with_the_client, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(connections_are_kept_for_the_next_request_to_their_host,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(ca_bundle_is_read_once, setup, teardown),
	    cmocka_unit_test_setup_teardown(certificate_credential, setup, teardown),
	    cmocka_unit_test_setup_teardown(federated_token_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(managed_identity, setup, teardown),
	    cmocka_unit_test_setup_teardown(azure_cli_on_path, setup, teardown),
	    cmocka_unit_test_setup_teardown(token_expiry_mid_run, setup, teardown),
	    cmocka_unit_test_setup_teardown(throttling_storm_and_503s_are_retried, setup, teardown),
	    cmocka_unit_test_setup_teardown(dropped_connections, setup, teardown),
	    cmocka_unit_test_setup_teardown(lros_succeed_fail_and_cancel, setup, teardown),
	    cmocka_unit_test_setup_teardown(foreign_next_link_and_location_are_refused, setup,
	                                    teardown),
	};
	return cmocka_run_group_tests_name("http_emulator", tests, group_setup, group_teardown);
}
