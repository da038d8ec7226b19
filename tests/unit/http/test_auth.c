/*
 * test_auth.c - credentials against the scripted fake transport: the token
 * request of each kind, the cache and its refresh, the chain's failure
 * report (said once, remembered for the run, with the fix), the secrets
 * remembered for redaction, the certificate assertion (its signature
 * checked with OpenSSL), the Azure CLI run through a fake `az` on PATH,
 * and `auth describe`.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "auth/auth.h"
#include "fake_transport.h"
#include "test_support.h"

typedef struct env {
	az_cloud *cloud;
	fake_tp *fake;
	az_http_client *c;
	az_credential *cred;
	char dir[256];
	char *old_path;
} env;

typedef struct result {
	int calls;
	int err;
	az_diags diags;
} result;

static int setup(void **state)
{
	env *e = az_xcalloc(1, sizeof(*e));
	test_clear_azure_env();
	az_diags d = AZ_DIAGS_INIT;
	assert_int_equal(az_cloud_builtin(&e->cloud, "AzureCloud", &d), 0);
	az_http_options o;
	az_http_options_init(&o);
	o.seed = 7;
	o.verbosity = 0;
	az_transport tp;
	fake_tp_new(&tp, &e->fake);
	e->c = az_http_client_new(&o, &tp, e->cloud);
	snprintf(e->dir, sizeof(e->dir), "%s/auth-test-XXXXXX", AZAPPLY_BINARY_DIR);
	assert_non_null(mkdtemp(e->dir));
	const char *path = getenv("PATH");
	e->old_path = az_xstrdup(path ? path : "");
	/* No real `az` must answer: only the fake ones the tests write. */
	setenv("PATH", e->dir, 1);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	env *e = *state;
	az_http_client_free(e->c);
	az_credential_free(e->cred);
	az_cloud_free(e->cloud);
	setenv("PATH", e->old_path, 1);
	free(e->old_path);
	char *cmd = az_xasprintf("rm -rf '%s'", e->dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(e);
	return 0;
}

static void use_credential(env *e)
{
	az_diags d = AZ_DIAGS_INIT;
	assert_int_equal(az_credential_new(&e->cred, e->cloud, NULL, &d), 0);
	az_token_source src = az_credential_token_source(e->cred);
	az_http_client_set_tokens(e->c, &src);
}

/* The environment credential with a client secret, of app-1 in tenant t1. */
static void use_client_secret(env *e, const char *secret)
{
	setenv("AZURE_TENANT_ID", "t1", 1);
	setenv("AZURE_CLIENT_ID", "app-1", 1);
	setenv("AZURE_CLIENT_SECRET", secret, 1);
	use_credential(e);
}

static void on_done(void *ud, int err, const az_http_response *resp, az_diags *d)
{
	result *r = ud;
	(void)resp;
	r->calls++;
	r->err = err;
	az_diags_move(&r->diags, d);
}

static void arm_get(env *e, result *r)
{
	az_http_request *req = az_http_request_new("GET", "https://management.azure.com/x");
	req->svc = AZ_SVC_ARM;
	az_http_submit(e->c, req, on_done, r);
}

static void noop(void *ud)
{
	(void)ud;
}

static void wait_ms(env *e, long ms)
{
	az_http_timer(e->c, ms, noop, NULL);
	az_http_run(e->c);
}

static const fake_sent *sent_to(env *e, const char *part, size_t nth)
{
	for (size_t i = 0; i < fake_tp_sent_count(e->fake); i++) {
		const fake_sent *s = fake_tp_sent(e->fake, i);
		if (strstr(s->url, part) && nth-- == 0)
			return s;
	}
	return NULL;
}

static size_t count_sent(env *e, const char *part)
{
	size_t n = 0;
	while (sent_to(e, part, n))
		n++;
	return n;
}

static void write_file(const char *path, const char *text, int mode)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	chmod(path, (mode_t)mode);
}

/* ---- tests ---- */

static void refresh_happens_ahead_of_expiry(void **state)
{
	(void)state;
	int64_t now = 1000000;
	assert_int_equal(az_token_refresh_at(now, now + 3600000), now + 3600000 - 300000);
	assert_int_equal(az_token_refresh_at(now, now + 240000), now + 120000);
	assert_int_equal(az_token_refresh_at(now, now - 5), now);
}

static void client_secret_token_is_cached_and_refreshed(void **state)
{
	env *e = *state;
	use_client_secret(e, "s3cr3t&=value");
	fake_tp_script(e->fake, "POST", "/t1/oauth2/v2.0/token", 200, NULL,
	               "{\"token_type\":\"Bearer\",\"access_token\":\"tok-A\",\"expires_in\":3600}",
	               0);
	fake_tp_script(e->fake, "POST", "/t1/oauth2/v2.0/token", 200, NULL,
	               "{\"access_token\":\"tok-B\",\"expires_in\":\"3600\"}", 0);
	for (int i = 0; i < 8; i++)
		fake_tp_script(e->fake, "GET", "/x", 200, NULL, "{}", 0);
	result r[8] = {{0}};
	for (int i = 0; i < 5; i++)
		arm_get(e, &r[i]);
	az_http_run(e->c);
	/* Five requests at once wait on one token request. */
	assert_int_equal(count_sent(e, "/oauth2/v2.0/token"), 1);
	const fake_sent *tok = sent_to(e, "/oauth2/v2.0/token", 0);
	assert_string_equal(tok->url, "https://login.microsoftonline.com/t1/oauth2/v2.0/token");
	assert_non_null(strstr(tok->body, "grant_type=client_credentials"));
	assert_non_null(strstr(tok->body, "client_id=app-1"));
	assert_non_null(strstr(tok->body, "scope=https%3A%2F%2Fmanagement.azure.com%2F.default"));
	assert_non_null(strstr(tok->body, "client_secret=s3cr3t%26%3Dvalue"));
	assert_string_equal(az_http_headers_get(&sent_to(e, "/x", 4)->headers, "Authorization"),
	                    "Bearer tok-A");
	/* 54 minutes on: still cached. 56: refreshed (5 minutes ahead). */
	wait_ms(e, 54 * 60 * 1000);
	arm_get(e, &r[5]);
	az_http_run(e->c);
	assert_int_equal(count_sent(e, "/oauth2/v2.0/token"), 1);
	wait_ms(e, 2 * 60 * 1000);
	arm_get(e, &r[6]);
	az_http_run(e->c);
	assert_int_equal(count_sent(e, "/oauth2/v2.0/token"), 2);
	assert_string_equal(az_http_headers_get(&sent_to(e, "/x", 6)->headers, "Authorization"),
	                    "Bearer tok-B");
	for (int i = 0; i < 7; i++) {
		assert_int_equal(r[i].err, 0);
		az_diags_clear(&r[i].diags);
	}
}

static void parallel_401s_renew_the_token_once(void **state)
{
	env *e = *state;
	use_client_secret(e, "pw");
	fake_tp_script(e->fake, "POST", "/token", 200, NULL,
	               "{\"access_token\":\"tok-A\",\"expires_in\":3600}", 0);
	fake_tp_script(e->fake, "POST", "/token", 200, NULL,
	               "{\"access_token\":\"tok-B\",\"expires_in\":3600}", 0);
	for (int i = 0; i < 3; i++)
		fake_tp_script(e->fake, "GET", "/x", 401, NULL, "{}", 10);
	for (int i = 0; i < 3; i++)
		fake_tp_script(e->fake, "GET", "/x", 200, NULL, "{}", 10);
	result r[3] = {{0}};
	for (int i = 0; i < 3; i++)
		arm_get(e, &r[i]);
	az_http_run(e->c);
	assert_int_equal(count_sent(e, "/token"), 2);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(r[i].err, 0);
		const fake_sent *s = sent_to(e, "/x", 3 + (size_t)i);
		assert_string_equal(az_http_headers_get(&s->headers, "Authorization"),
		                    "Bearer tok-B");
		az_diags_clear(&r[i].diags);
	}
}

static void refused_secret_is_reported_without_the_secret(void **state)
{
	env *e = *state;
	use_client_secret(e, "TOPSECRET");
	fake_tp_script(e->fake, "POST", "/token", 401, "x-ms-request-id: aad-1",
	               "{\"error\":\"invalid_client\",\"error_description\":\"AADSTS7000215: "
	               "Invalid client secret provided.\"}",
	               0);
	result r = {0};
	arm_get(e, &r);
	az_http_run(e->c);
	assert_int_equal(r.err, AZ_EAUTH);
	assert_int_equal(count_sent(e, "/x"), 0);
	assert_int_equal(r.diags.len, 1);
	const az_diag *dg = &r.diags.items[0];
	assert_non_null(strstr(dg->summary, "cannot get a token"));
	assert_non_null(strstr(dg->detail, "environment"));
	assert_non_null(strstr(dg->detail, "AADSTS7000215"));
	assert_string_equal(dg->code, "invalid_client");
	assert_string_equal(dg->request_id, "aad-1");
	assert_null(strstr(dg->summary, "TOPSECRET"));
	assert_null(strstr(dg->detail, "TOPSECRET"));
	az_diags_clear(&r.diags);
}

static void synapse_get(env *e, result *r)
{
	az_http_request *req =
	    az_http_request_new("GET", "https://ws1.dev.azuresynapse.net/pipelines");
	req->svc = AZ_SVC_SYNAPSE;
	az_http_submit(e->c, req, on_done, r);
}

/* Of the requests that waited on a failed token, one tells why. */
static size_t told(result *r, size_t n)
{
	size_t with = 0;
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(r[i].calls, 1);
		assert_int_equal(r[i].err, AZ_EAUTH);
		with += r[i].diags.len;
	}
	return with;
}

static void clear_results(result *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		az_diags_clear(&r[i].diags);
}

/* The requests that wait on the first token go out in the order they were
 * submitted: a refresh submits the stack-wide list, a chain of pages and
 * its longest path, first. */
static void requests_waiting_on_a_token_go_out_in_order(void **state)
{
	env *e = *state;
	use_client_secret(e, "pw");
	fake_tp_script(e->fake, "POST", "/token", 200, NULL,
	               "{\"access_token\":\"tok-A\",\"expires_in\":3600}", 0);
	char paths[4][8];
	result r[4] = {{0}};
	for (int i = 0; i < 4; i++) {
		snprintf(paths[i], sizeof(paths[i]), "/x%d", i);
		fake_tp_script(e->fake, "GET", paths[i], 200, NULL, "{}", 0);
		char *url = az_xasprintf("https://management.azure.com%s", paths[i]);
		az_http_request *req = az_http_request_new("GET", url);
		free(url);
		req->svc = AZ_SVC_ARM;
		az_http_submit(e->c, req, on_done, &r[i]);
	}
	az_http_run(e->c);
	assert_int_equal(fake_tp_sent_count(e->fake), 5);
	assert_non_null(strstr(fake_tp_sent(e->fake, 0)->url, "/token"));
	for (int i = 0; i < 4; i++) {
		assert_non_null(strstr(fake_tp_sent(e->fake, 1 + (size_t)i)->url, paths[i]));
		assert_int_equal(r[i].err, 0);
	}
	clear_results(r, 4);
}

/* A refused secret is said once, with the credential, tenant, AADSTS code
 * and the fix; every later request fails at once, without asking Entra
 * again, also for another audience. */
static void refusal_is_said_once_and_remembered(void **state)
{
	env *e = *state;
	use_client_secret(e, "wrong-secret");
	fake_tp_script(e->fake, "POST", "/token", 401, "x-ms-request-id: aad-2",
	               "{\"error\":\"invalid_client\",\"error_description\":\"AADSTS7000215: "
	               "Invalid client secret provided.\\r\\nTrace ID: 1\\r\\nCorrelation ID: 2\","
	               "\"error_codes\":[7000215],\"timestamp\":\"2024-05-01 10:00:00Z\","
	               "\"trace_id\":\"1\",\"correlation_id\":\"2\"}",
	               0);
	result r[8] = {{0}};
	for (int i = 0; i < 6; i++)
		arm_get(e, &r[i]);
	az_http_run(e->c);
	assert_int_equal(told(r, 6), 1);
	/* By the first request that waited for the token. */
	assert_true(r[0].diags.len > 0);
	const az_diag *dg = &r[0].diags.items[0];
	assert_non_null(strstr(dg->summary, "environment (client secret) credential"));
	assert_non_null(strstr(dg->summary, "tenant t1"));
	assert_non_null(strstr(dg->summary, "AADSTS7000215 (invalid client secret)"));
	assert_non_null(strstr(dg->detail, "fix: check AZURE_CLIENT_SECRET; it may have expired"));
	/* The first line of Entra's description, not its trailing ids. */
	assert_null(strstr(dg->detail, "Trace ID"));
	assert_string_equal(dg->request_id, "aad-2");
	clear_results(r, 6);
	arm_get(e, &r[6]);
	synapse_get(e, &r[7]);
	az_http_run(e->c);
	assert_int_equal(told(&r[6], 2), 0);
	assert_int_equal(count_sent(e, "/token"), 1);
	assert_int_equal(count_sent(e, "/x"), 0);
	clear_results(r, 8);
}

/* Entra answering 503: retried as any request, then said once. */
static void unavailable_token_endpoint_is_said_once(void **state)
{
	env *e = *state;
	use_client_secret(e, "a-secret");
	for (int i = 0; i < 4; i++)
		fake_tp_script(e->fake, "POST", "/token", 503, NULL,
		               "{\"error\":\"temporarily_unavailable\",\"error_description\":"
		               "\"AADSTS90033: A transient error has occurred.\","
		               "\"error_codes\":[90033]}",
		               0);
	result r[5] = {{0}};
	for (int i = 0; i < 4; i++)
		arm_get(e, &r[i]);
	az_http_run(e->c);
	assert_int_equal(told(r, 4), 1);
	assert_int_equal(count_sent(e, "/token"), 4);
	for (int i = 0; i < 4; i++)
		if (r[i].diags.len) {
			assert_non_null(strstr(r[i].diags.items[0].summary, "AADSTS90033 (HTTP 503)"));
			assert_non_null(strstr(r[i].diags.items[0].detail, "try again"));
		}
	clear_results(r, 4);
	arm_get(e, &r[4]);
	az_http_run(e->c);
	assert_int_equal(told(&r[4], 1), 0);
	assert_int_equal(count_sent(e, "/token"), 4);
	clear_results(&r[4], 1);
}

#define SYNAPSE_SCOPE "https://dev.azuresynapse.net/.default"

/* A token fetched ahead waits for the first sign-in (a refused credential
 * is still asked once), then is there for the first request that needs
 * it, which waits for no token request of its own. */
static void prefetched_token_waits_for_a_sign_in_then_serves(void **state)
{
	env *e = *state;
	use_client_secret(e, "a-secret");
	az_credential_prefetch(e->cred, e->c, SYNAPSE_SCOPE);
	az_http_run(e->c);
	assert_int_equal(count_sent(e, "/token"), 0);
	fake_tp_script(e->fake, "POST", "/token", 200, NULL,
	               "{\"access_token\":\"tok-A\",\"expires_in\":3600}", 0);
	fake_tp_script(e->fake, "POST", "/token", 200, NULL,
	               "{\"access_token\":\"tok-S\",\"expires_in\":3600}", 0);
	fake_tp_script(e->fake, "GET", "/x", 200, NULL, "{}", 0);
	fake_tp_script(e->fake, "GET", "/pipelines", 200, NULL, "{\"value\":[]}", 0);
	result r[2] = {{0}};
	arm_get(e, &r[0]);
	az_http_run(e->c);
	assert_int_equal(r[0].err, 0);
	assert_int_equal(count_sent(e, "/token"), 2);
	assert_non_null(strstr(sent_to(e, "/token", 1)->body, "azuresynapse"));
	synapse_get(e, &r[1]);
	az_http_run(e->c);
	assert_int_equal(r[1].err, 0);
	assert_int_equal(count_sent(e, "/token"), 2);
	assert_string_equal(az_http_headers_get(&sent_to(e, "/pipelines", 0)->headers,
	                                        "Authorization"),
	                    "Bearer tok-S");
	clear_results(r, 2);
}

/* A token fetched ahead that Entra refuses is said by the first request
 * that needs it, once, and not asked for again. */
static void prefetch_failure_is_said_by_the_next_request(void **state)
{
	env *e = *state;
	use_client_secret(e, "a-secret");
	fake_tp_script(e->fake, "POST", "/token", 200, NULL,
	               "{\"access_token\":\"tok-A\",\"expires_in\":3600}", 0);
	fake_tp_script(e->fake, "GET", "/x", 200, NULL, "{}", 0);
	fake_tp_script(e->fake, "POST", "/token", 400, NULL,
	               "{\"error\":\"invalid_scope\",\"error_description\":\"AADSTS70011: The "
	               "provided value for scope is not valid.\",\"error_codes\":[70011]}",
	               0);
	result r[3] = {{0}};
	arm_get(e, &r[0]);
	az_http_run(e->c);
	az_credential_prefetch(e->cred, e->c, SYNAPSE_SCOPE);
	az_http_run(e->c);
	assert_int_equal(count_sent(e, "/token"), 2);
	synapse_get(e, &r[1]);
	synapse_get(e, &r[2]);
	az_http_run(e->c);
	assert_int_equal(told(&r[1], 2), 1);
	const az_diags *said = r[1].diags.len ? &r[1].diags : &r[2].diags;
	assert_non_null(strstr(said->items[0].detail, "scope: https://dev.azuresynapse.net/"));
	assert_int_equal(count_sent(e, "/token"), 2);
	assert_int_equal(count_sent(e, "/pipelines"), 0);
	clear_results(r, 3);
}

/* A scope Entra refuses leaves the others alone. */
static void refused_scope_spares_the_others(void **state)
{
	env *e = *state;
	use_client_secret(e, "a-secret");
	fake_tp_script(e->fake, "POST", "/token", 400, NULL,
	               "{\"error\":\"invalid_scope\",\"error_description\":\"AADSTS70011: The "
	               "provided value for scope is not valid.\",\"error_codes\":[70011]}",
	               0);
	fake_tp_script(e->fake, "POST", "/token", 200, NULL,
	               "{\"access_token\":\"tok-A\",\"expires_in\":3600}", 0);
	fake_tp_script(e->fake, "GET", "/x", 200, NULL, "{}", 0);
	result r[2] = {{0}};
	synapse_get(e, &r[0]);
	az_http_run(e->c);
	assert_int_equal(told(r, 1), 1);
	assert_non_null(strstr(r[0].diags.items[0].detail, "scope: https://dev.azuresynapse.net/"));
	arm_get(e, &r[1]);
	az_http_run(e->c);
	assert_int_equal(r[1].err, 0);
	clear_results(r, 2);
}

/* `azapply auth` with no working credential says why, once. */
static void describe_says_why_there_is_no_token(void **state)
{
	env *e = *state;
	use_client_secret(e, "wrong-secret");
	fake_tp_script(e->fake, "POST", "/token", 401, NULL,
	               "{\"error\":\"invalid_client\",\"error_description\":\"AADSTS7000215: "
	               "Invalid client secret provided.\",\"error_codes\":[7000215]}",
	               0);
	json_t *out = NULL;
	az_diags d = AZ_DIAGS_INIT;
	assert_int_equal(az_auth_describe(&out, e->cred, e->c, &d), AZ_EAUTH);
	assert_int_equal(d.len, 1);
	assert_non_null(strstr(d.items[0].summary, "AADSTS7000215"));
	assert_int_equal(count_sent(e, "/token"), 1);
	json_t *auds = json_object_get(out, "audiences");
	for (size_t i = 0; i < json_array_size(auds); i++)
		assert_non_null(strstr(json_string_value(json_object_get(json_array_get(auds, i),
		                                                         "error")),
		                       "AADSTS7000215"));
	json_decref(out);
	az_diags_clear(&d);
}

/* The client secret and every token are remembered, to be blanked from
 * whatever echoes them. */
static void secret_and_tokens_are_remembered(void **state)
{
	env *e = *state;
	use_client_secret(e, "client-secret-9");
	fake_tp_script(e->fake, "POST", "/token", 200, NULL,
	               "{\"access_token\":\"token-value-1\",\"expires_in\":3600}", 0);
	fake_tp_script(e->fake, "GET", "/x", 200, NULL, "{}", 0);
	result r = {0};
	arm_get(e, &r);
	az_http_run(e->c);
	assert_int_equal(r.err, 0);
	char *text = az_secret_redact("client-secret-9 / token-value-1");
	assert_string_equal(text, AZ_SECRET_MASK " / " AZ_SECRET_MASK);
	free(text);
	az_secret_forget_all();
}

static void chain_failure_lists_every_credential(void **state)
{
	env *e = *state;
	use_credential(e);
	fake_tp_script_net(e->fake, "GET", "169.254.169.254", AZ_NET_CONNECT, 0);
	result r = {0};
	arm_get(e, &r);
	az_http_run(e->c);
	assert_int_equal(r.err, AZ_EAUTH);
	assert_int_equal(r.diags.len, 1);
	const char *detail = r.diags.items[0].detail;
	assert_non_null(detail);
	assert_non_null(strstr(detail, "- environment: AZURE_TENANT_ID"));
	assert_non_null(strstr(detail, "- workload identity:"));
	assert_non_null(strstr(detail, "- GitHub Actions OIDC:"));
	assert_non_null(strstr(detail, "- managed identity:"));
	assert_non_null(strstr(detail, "- Azure CLI: azure cli: az was not found on PATH"));
	/* IMDS was probed once, without retries, with Metadata: true. */
	assert_int_equal(count_sent(e, "169.254.169.254"), 1);
	const fake_sent *imds = sent_to(e, "169.254.169.254", 0);
	assert_string_equal(az_http_headers_get(&imds->headers, "Metadata"), "true");
	assert_non_null(strstr(imds->url, "resource=https%3A%2F%2Fmanagement.azure.com%2F"));
	az_diags_clear(&r.diags);
}

static void pinned_credential_must_be_configured(void **state)
{
	env *e = *state;
	az_diags d = AZ_DIAGS_INIT;
	setenv("AZAPPLY_AUTH", "workload", 1);
	assert_int_equal(az_credential_new(&e->cred, e->cloud, NULL, &d), AZ_EINVALID);
	assert_non_null(strstr(d.items[0].detail, "AZURE_FEDERATED_TOKEN_FILE"));
	setenv("AZAPPLY_AUTH", "kerberos", 1);
	assert_int_equal(az_credential_new(&e->cred, e->cloud, NULL, &d), AZ_EINVALID);
	assert_int_equal(d.len, 2);
	az_diags_clear(&d);
	unsetenv("AZAPPLY_AUTH");
	assert_null(e->cred);
}

static bool first_token_sent(void *ud)
{
	return count_sent(ud, "/oauth2") > 0;
}

static void federated_token_file_is_read_on_every_request(void **state)
{
	env *e = *state;
	char *file = az_xasprintf("%s/token", e->dir);
	write_file(file, "jwt-one\n", 0600);
	setenv("AZURE_TENANT_ID", "t2", 1);
	setenv("AZURE_CLIENT_ID", "app-2", 1);
	setenv("AZURE_FEDERATED_TOKEN_FILE", file, 1);
	use_credential(e);
	fake_tp_script(e->fake, "POST", "/t2/oauth2", 200, NULL,
	               "{\"access_token\":\"tok-1\",\"expires_in\":3600}", 0);
	fake_tp_script(e->fake, "GET", "/x", 401, NULL, "{}", 0);
	fake_tp_script(e->fake, "POST", "/t2/oauth2", 200, NULL,
	               "{\"access_token\":\"tok-2\",\"expires_in\":3600}", 0);
	fake_tp_script(e->fake, "GET", "/x", 200, NULL, "{}", 0);
	result r = {0};
	arm_get(e, &r);
	az_http_run_until(e->c, first_token_sent, e);
	write_file(file, "jwt-two", 0600);
	az_http_run(e->c);
	assert_int_equal(r.err, 0);
	/* The 401 forced a refresh, which read the rotated file. The file's
	 * trailing newline is not part of the assertion. */
	assert_non_null(strstr(sent_to(e, "/oauth2", 0)->body, "client_assertion=jwt-one"));
	assert_null(strstr(sent_to(e, "/oauth2", 0)->body, "client_assertion=jwt-one%0A"));
	assert_null(strstr(sent_to(e, "/oauth2", 0)->body, "client_assertion=jwt-one\n"));
	assert_non_null(strstr(sent_to(e, "/oauth2", 1)->body, "client_assertion=jwt-two"));
	assert_non_null(strstr(sent_to(e, "/oauth2", 1)->body,
	                       "client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-"
	                       "assertion-type%3Ajwt-bearer"));
	assert_string_equal(az_http_headers_get(&sent_to(e, "/x", 1)->headers, "Authorization"),
	                    "Bearer tok-2");
	free(file);
	az_diags_clear(&r.diags);
}

static void github_oidc_token_is_exchanged(void **state)
{
	env *e = *state;
	setenv("AZURE_TENANT_ID", "t3", 1);
	setenv("AZURE_CLIENT_ID", "app-3", 1);
	setenv("ACTIONS_ID_TOKEN_REQUEST_URL", "https://gh.example/idtoken?api-version=2.0", 1);
	setenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "gh-runtime-token", 1);
	use_credential(e);
	fake_tp_script(e->fake, "GET", "gh.example", 200, NULL, "{\"value\":\"gh-jwt\"}", 0);
	fake_tp_script(e->fake, "POST", "/t3/oauth2", 200, NULL,
	               "{\"access_token\":\"tok-gh\",\"expires_in\":3600}", 0);
	fake_tp_script(e->fake, "GET", "/x", 200, NULL, "{}", 0);
	result r = {0};
	arm_get(e, &r);
	az_http_run(e->c);
	assert_int_equal(r.err, 0);
	const fake_sent *gh = sent_to(e, "gh.example", 0);
	assert_string_equal(gh->url,
	                    "https://gh.example/idtoken?api-version=2.0&audience=api%3A%2F%2F"
	                    "AzureADTokenExchange");
	assert_string_equal(az_http_headers_get(&gh->headers, "Authorization"),
	                    "bearer gh-runtime-token");
	assert_non_null(strstr(sent_to(e, "/oauth2", 0)->body, "client_assertion=gh-jwt"));
	az_diags_clear(&r.diags);
}

static void app_service_managed_identity(void **state)
{
	env *e = *state;
	setenv("IDENTITY_ENDPOINT", "http://localhost:4141/msi/token", 1);
	setenv("IDENTITY_HEADER", "hdr-secret", 1);
	setenv("AZURE_CLIENT_ID", "uami-1", 1);
	setenv("AZAPPLY_AUTH", "managed", 1);
	use_credential(e);
	unsetenv("AZAPPLY_AUTH");
	fake_tp_script(e->fake, "GET", "/msi/token", 200, NULL,
	               "{\"access_token\":\"tok-mi\",\"expires_on\":\"1700086400\"}", 0);
	fake_tp_script(e->fake, "GET", "/x", 200, NULL, "{}", 0);
	result r = {0};
	arm_get(e, &r);
	az_http_run(e->c);
	assert_int_equal(r.err, 0);
	const fake_sent *mi = sent_to(e, "/msi/token", 0);
	assert_non_null(strstr(mi->url, "api-version=2019-08-01"));
	assert_non_null(strstr(mi->url, "client_id=uami-1"));
	assert_string_equal(az_http_headers_get(&mi->headers, "X-IDENTITY-HEADER"), "hdr-secret");
	az_diags_clear(&r.diags);
}

static void azure_cli_is_run_without_a_shell(void **state)
{
	env *e = *state;
	char *script = az_xasprintf("%s/az", e->dir);
	char *argfile = az_xasprintf("%s/args", e->dir);
	char *text = az_xasprintf("#!/bin/sh\nprintf '%%s\\n' \"$@\" > '%s'\n"
	                          "echo '{\"accessToken\":\"cli-tok\",\"expiresOn\":\"2023-11-15 "
	                          "00:00:00.000000\",\"expires_on\":1700086400,"
	                          "\"tenant\":\"t9\",\"tokenType\":\"Bearer\"}'\n",
	                          argfile);
	write_file(script, text, 0755);
	char *token = NULL;
	int64_t exp = 0;
	az_diags d = AZ_DIAGS_INIT;
	assert_int_equal(
	    az_cli_get_token(&token, &exp, "https://management.azure.com/", "t9; rm -rf /", 10, &d),
	    0);
	assert_string_equal(token, "cli-tok");
	assert_int_equal(exp, INT64_C(1700086400000));
	FILE *f = fopen(argfile, "r");
	assert_non_null(f);
	char args[512];
	size_t n = fread(args, 1, sizeof(args) - 1, f);
	args[n] = '\0';
	fclose(f);
	assert_string_equal(args, "account\nget-access-token\n--output\njson\n--resource\n"
	                          "https://management.azure.com/\n--tenant\nt9; rm -rf /\n");
	free(token);
	/* A CLI that is not logged in: unavailable, with its message. */
	write_file(script,
	           "#!/bin/sh\necho 'ERROR: Please run az login to setup account.' >&2\n"
	           "exit 1\n",
	           0755);
	assert_int_equal(az_cli_get_token(&token, &exp, "https://x/", NULL, 10, &d), AZ_ENOTFOUND);
	assert_non_null(strstr(d.items[0].summary, "Please run az login"));
	/* A CLI that hangs is killed at the timeout. */
	write_file(script, "#!/bin/sh\nexec /bin/sleep 30\n", 0755);
	assert_int_equal(az_cli_get_token(&token, &exp, "https://x/", NULL, 1, &d), AZ_ENOTFOUND);
	assert_non_null(strstr(d.items[1].summary, "timed out"));
	az_diags_clear(&d);
	free(script);
	free(argfile);
	free(text);
}

static char *b64url_json(const char *json)
{
	return az_base64url((const unsigned char *)json, strlen(json));
}

static void describe_shows_identity_but_never_the_token(void **state)
{
	env *e = *state;
	char *head = b64url_json("{\"alg\":\"none\"}");
	char *body = b64url_json("{\"tid\":\"tenant-9\",\"oid\":\"obj-9\",\"appid\":\"app-9\","
	                         "\"exp\":1700003600,\"aud\":\"https://management.azure.com/\"}");
	char *jwt = az_xasprintf("%s.%s.SIGNATURE-SECRET", head, body);
	char *answer = az_xasprintf("{\"access_token\":\"%s\",\"expires_in\":3600}", jwt);
	setenv("AZURE_TENANT_ID", "tenant-9", 1);
	setenv("AZURE_CLIENT_ID", "app-9", 1);
	setenv("AZURE_CLIENT_SECRET", "pw", 1);
	use_credential(e);
	fake_tp_script(e->fake, "POST", "/oauth2", 200, NULL, answer, 0);
	fake_tp_script(e->fake, "POST", "/oauth2", 200, NULL, answer, 0);
	fake_tp_script(e->fake, "POST", "/oauth2", 400, NULL,
	               "{\"error\":\"invalid_scope\",\"error_description\":\"AADSTS70011\"}", 0);
	json_t *out = NULL;
	az_diags d = AZ_DIAGS_INIT;
	assert_int_equal(az_auth_describe(&out, e->cred, e->c, &d), 0);
	char *text = json_dumps(out, JSON_SORT_KEYS);
	assert_null(strstr(text, "SIGNATURE-SECRET"));
	assert_null(strstr(text, head));
	assert_string_equal(json_string_value(json_object_get(out, "credential")),
	                    "environment (client secret)");
	assert_string_equal(json_string_value(json_object_get(out, "tenant")), "tenant-9");
	json_t *ident = json_object_get(out, "identity");
	assert_string_equal(json_string_value(json_object_get(ident, "oid")), "obj-9");
	json_t *auds = json_object_get(out, "audiences");
	assert_int_equal(json_array_size(auds), 3);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(auds, 0), "expiresOn")),
	                 1700003600);
	assert_non_null(strstr(json_string_value(json_object_get(json_array_get(auds, 2), "error")),
	                       "cannot get a token"));
	free(text);
	json_decref(out);
	free(head);
	free(body);
	free(jwt);
	free(answer);
	az_diags_clear(&d);
}

/* ---- the certificate assertion ---- */

static size_t b64url_decode(unsigned char *out, const char *in, size_t len)
{
	char *std = az_xmalloc(len + 4);
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		std[n++] = in[i] == '-' ? '+' : in[i] == '_' ? '/' : in[i];
	while (n % 4)
		std[n++] = '=';
	int got = EVP_DecodeBlock(out, (const unsigned char *)std, (int)n);
	size_t pad = 0;
	for (size_t i = n; i > 0 && std[i - 1] == '='; i--)
		pad++;
	free(std);
	assert_true(got >= 0);
	return (size_t)got - pad;
}

static void certificate_assertion_is_a_valid_rs256_jwt(void **state)
{
	env *e = *state;
	char *pem = az_xasprintf("%s/cert.pem", e->dir);
	EVP_PKEY *key;
	X509 *cert;
	test_make_cert(pem, &key, &cert);
	const char *aud = "https://login.microsoftonline.com/t1/oauth2/v2.0/token";
	char *jwt = NULL;
	az_diags d = AZ_DIAGS_INIT;
	assert_int_equal(az_jwt_client_assertion(&jwt, pem, "app-1", aud, 1700000000, &d), 0);
	const char *dot1 = strchr(jwt, '.');
	const char *dot2 = strrchr(jwt, '.');
	assert_non_null(dot1);
	assert_ptr_not_equal(dot1, dot2);

	unsigned char buf[1024];
	size_t n = b64url_decode(buf, jwt, (size_t)(dot1 - jwt));
	json_t *hdr = json_loadb((const char *)buf, n, 0, NULL);
	assert_non_null(hdr);
	assert_string_equal(json_string_value(json_object_get(hdr, "alg")), "RS256");
	unsigned char thumb[EVP_MAX_MD_SIZE];
	unsigned int tlen;
	X509_digest(cert, EVP_sha1(), thumb, &tlen);
	char *x5t = az_base64url(thumb, tlen);
	assert_string_equal(json_string_value(json_object_get(hdr, "x5t")), x5t);

	json_t *claims = az_jwt_claims(jwt);
	assert_string_equal(json_string_value(json_object_get(claims, "aud")), aud);
	assert_string_equal(json_string_value(json_object_get(claims, "iss")), "app-1");
	assert_string_equal(json_string_value(json_object_get(claims, "sub")), "app-1");
	assert_int_equal(strlen(json_string_value(json_object_get(claims, "jti"))), 36);
	assert_int_equal(json_integer_value(json_object_get(claims, "nbf")), 1700000000);
	assert_int_equal(json_integer_value(json_object_get(claims, "exp")), 1700000600);

	/* The signature verifies with the certificate's public key. */
	size_t slen = b64url_decode(buf, dot2 + 1, strlen(dot2 + 1));
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY *pub = X509_get0_pubkey(cert);
	assert_int_equal(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pub), 1);
	assert_int_equal(
	    EVP_DigestVerify(md, buf, slen, (const unsigned char *)jwt, (size_t)(dot2 - jwt)), 1);
	/* And not for a changed payload. */
	EVP_MD_CTX_reset(md);
	EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pub);
	assert_int_not_equal(
	    EVP_DigestVerify(md, buf, slen, (const unsigned char *)jwt, (size_t)(dot2 - jwt) - 1),
	    1);
	EVP_MD_CTX_free(md);

	/* The env credential sends it to the token endpoint. */
	setenv("AZURE_TENANT_ID", "t1", 1);
	setenv("AZURE_CLIENT_ID", "app-1", 1);
	setenv("AZURE_CLIENT_CERTIFICATE_PATH", pem, 1);
	use_credential(e);
	fake_tp_script(e->fake, "POST", "/t1/oauth2", 200, NULL,
	               "{\"access_token\":\"tok-c\",\"expires_in\":3600}", 0);
	fake_tp_script(e->fake, "GET", "/x", 200, NULL, "{}", 0);
	result r = {0};
	arm_get(e, &r);
	az_http_run(e->c);
	assert_int_equal(r.err, 0);
	assert_non_null(strstr(sent_to(e, "/oauth2", 0)->body, "client_assertion=ey"));

	az_diags_clear(&d);
	free(x5t);
	json_decref(hdr);
	json_decref(claims);
	free(jwt);
	free(pem);
	X509_free(cert);
	EVP_PKEY_free(key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(refresh_happens_ahead_of_expiry),
	    cmocka_unit_test_setup_teardown(client_secret_token_is_cached_and_refreshed, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(requests_waiting_on_a_token_go_out_in_order, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(parallel_401s_renew_the_token_once, setup, teardown),
	    cmocka_unit_test_setup_teardown(refused_secret_is_reported_without_the_secret, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(refusal_is_said_once_and_remembered, setup, teardown),
	    cmocka_unit_test_setup_teardown(unavailable_token_endpoint_is_said_once, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(refused_scope_spares_the_others, setup, teardown),
	    cmocka_unit_test_setup_teardown(prefetched_token_waits_for_a_sign_in_then_serves, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(prefetch_failure_is_said_by_the_next_request, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(describe_says_why_there_is_no_token, setup, teardown),
	    cmocka_unit_test_setup_teardown(secret_and_tokens_are_remembered, setup, teardown),
	    cmocka_unit_test_setup_teardown(chain_failure_lists_every_credential, setup, teardown),
	    cmocka_unit_test_setup_teardown(pinned_credential_must_be_configured, setup, teardown),
	    cmocka_unit_test_setup_teardown(federated_token_file_is_read_on_every_request, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(github_oidc_token_is_exchanged, setup, teardown),
	    cmocka_unit_test_setup_teardown(app_service_managed_identity, setup, teardown),
	    cmocka_unit_test_setup_teardown(azure_cli_is_run_without_a_shell, setup, teardown),
	    cmocka_unit_test_setup_teardown(describe_shows_identity_but_never_the_token, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(certificate_assertion_is_a_valid_rs256_jwt, setup,
	                                    teardown),
	};
	return cmocka_run_group_tests_name("auth", tests, NULL, NULL);
}
