/*
 * test_providers.c - the session and the providers against the scripted
 * fake transport: the exact URLs, methods and headers each provider sends,
 * how answers become live bodies, the kind-specific paths (ML compute
 * delete or detach, role assignment and service principal replication
 * delays, trigger operations), the session's request counts, and input
 * refused before any request. The fake clock makes the retry waits exact.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake_transport.h"
#include "session/session.h"

#define ARM "https://management.azure.com"
#define SUB "/subscriptions/00000000-0000-0000-0000-0000000000aa"
#define RG SUB "/resourceGroups/rg1"
#define WS RG "/providers/Microsoft.Synapse/workspaces/ws1"
#define DEV "https://ws1.dev.azuresynapse.net"
#define GRAPH "https://graph.microsoft.com/v1.0"
#define TOKEN_ANSWER "{\"access_token\":\"t0k3n\",\"token_type\":\"Bearer\",\"expires_in\":3600}"

typedef struct env {
	az_session *s;
	fake_tp *fake;
} env;

typedef struct result {
	bool done;
	int err;
	json_t *live;
	az_diags diags;
} result;

/* A client secret credential, as CI would set it. */
static void use_principal(void)
{
	setenv("AZURE_TENANT_ID", "tenant1", 1);
	setenv("AZURE_CLIENT_ID", "client1", 1);
	setenv("AZURE_CLIENT_SECRET", "not-a-real-secret", 1);
	unsetenv("AZAPPLY_AUTH");
	unsetenv("AZAPPLY_LOG");
}

static int setup(void **state)
{
	env *e = az_xcalloc(1, sizeof(*e));
	use_principal();
	az_http_options o;
	az_http_options_init(&o);
	o.seed = 7;
	o.verbosity = 0;
	o.poll_default_ms = 5000;
	o.poll_max_ms = 30000;
	az_transport tp;
	fake_tp_new(&tp, &e->fake);
	az_session_options so = {.cloud = "AzureCloud"};
	az_diags d = AZ_DIAGS_INIT;
	assert_int_equal(az_session_open_transport(&e->s, &so, &o, &tp, &d), 0);
	/* One token per audience; the cache serves the rest. */
	for (int i = 0; i < 3; i++)
		fake_tp_script(e->fake, "POST", "/oauth2/v2.0/token", 200, NULL, TOKEN_ANSWER, 0);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	env *e = *state;
	az_session_free(e->s);
	free(e);
	return 0;
}

static void on_result(void *ud, int err, json_t *live, az_diags *d)
{
	result *r = ud;
	assert_false(r->done);
	r->done = true;
	r->err = err;
	r->live = live;
	az_diags_move(&r->diags, d);
}

static void result_clear(result *r)
{
	json_decref(r->live);
	az_diags_clear(&r->diags);
	memset(r, 0, sizeof(*r));
}

static const az_kind *kind(const char *name)
{
	const az_kind *k = az_kind_find(name);
	assert_non_null(k);
	return k;
}

static const az_provider *prov(const az_kind *k)
{
	return az_provider_get(k->provider);
}

/* The i-th request that was not a token request. */
static const fake_sent *sent(env *e, size_t i)
{
	for (size_t n = 0; n < fake_tp_sent_count(e->fake); n++) {
		const fake_sent *s = fake_tp_sent(e->fake, n);
		if (strstr(s->url, "/oauth2/v2.0/token"))
			continue;
		if (i-- == 0)
			return s;
	}
	fail_msg("fewer than %zu requests were sent", i + 1);
	return NULL;
}

static size_t sent_count(env *e)
{
	size_t n = 0;
	for (size_t i = 0; i < fake_tp_sent_count(e->fake); i++)
		if (!strstr(fake_tp_sent(e->fake, i)->url, "/oauth2/v2.0/token"))
			n++;
	return n;
}

static void assert_sent(env *e, size_t i, const char *method, const char *url)
{
	const fake_sent *s = sent(e, i);
	assert_string_equal(s->method, method);
	assert_string_equal(s->url, url);
}

static json_t *body_of(const char *text)
{
	json_error_t jerr;
	json_t *b = json_loads(text, 0, &jerr);
	assert_non_null(b);
	return b;
}

/* ---------------------------------------------------------------------
 * The registry and URLs.
 */
static void every_kind_has_its_provider(void **state)
{
	(void)state;
	size_t n = 0;
	const az_kind *const *kinds = az_kinds(&n);
	assert_true(n > 0);
	for (size_t i = 0; i < n; i++) {
		const az_provider *p = az_provider_get(kinds[i]->provider);
		assert_non_null(p);
		assert_int_equal(p->abi, AZ_PROVIDER_ABI);
		assert_int_equal(p->id, kinds[i]->provider);
		assert_non_null(p->list);
		assert_non_null(p->read);
		assert_non_null(p->put);
		assert_non_null(p->remove);
		assert_non_null(p->invoke);
	}
}

static void api_version_joins_an_existing_query(void **state)
{
	(void)state;
	char *u = az_url_api(ARM, RG, "2021-04-01");
	assert_string_equal(u, ARM RG "?api-version=2021-04-01");
	free(u);
	u = az_url_api(ARM, SUB "/x?$filter=principalId eq 'p1'", "2022-04-01");
	assert_string_equal(u, ARM SUB "/x?$filter=principalId%20eq%20'p1'&api-version=2022-04-01");
	free(u);
	u = az_url_api(GRAPH, "/applications(uniqueName='a b')", NULL);
	assert_string_equal(u, GRAPH "/applications(uniqueName='a%20b')");
	free(u);
}

typedef struct timer_seen {
	int64_t at;
	fake_tp *fake;
} timer_seen;

static void timer_fired(void *ud)
{
	timer_seen *t = ud;
	t->at = fake_tp_now(t->fake);
}

static void session_timer_and_tenant(void **state)
{
	(void)state;
	use_principal();
	az_http_options o;
	az_http_options_init(&o);
	o.verbosity = 0;
	az_transport tp;
	fake_tp *fake;
	fake_tp_new(&tp, &fake);
	/* The session's tenant wins over AZURE_TENANT_ID. */
	az_session_options so = {.cloud = "AzureCloud", .tenant = "tenant2"};
	az_diags d = AZ_DIAGS_INIT;
	az_session *s = NULL;
	assert_int_equal(az_session_open_transport(&s, &so, &o, &tp, &d), 0);
	fake_tp_script(fake, "POST", "/tenant2/oauth2/v2.0/token", 200, NULL, TOKEN_ANSWER, 0);
	fake_tp_script(fake, "GET", "/resourceGroups/rg1", 200, NULL, "{\"name\":\"rg1\"}", 0);

	timer_seen seen = {0, fake};
	int64_t start = fake_tp_now(fake);
	az_session_after(s, 1500, timer_fired, &seen);
	const az_kind *k = kind("ResourceGroup");
	result r = {0};
	prov(k)->read(s, k, RG, on_result, &r);
	az_session_run(s);
	assert_int_equal(seen.at - start, 1500);
	assert_int_equal(r.err, 0);
	assert_int_equal(fake_tp_unscripted(fake), 0);
	assert_string_equal(fake_tp_sent(fake, 0)->url,
			    "https://login.microsoftonline.com/tenant2/oauth2/v2.0/token");
	result_clear(&r);
	az_session_free(s);
}

static void session_refuses_an_unknown_cloud(void **state)
{
	(void)state;
	az_transport tp;
	fake_tp *fake;
	fake_tp_new(&tp, &fake);
	az_session_options so = {.cloud = "NoSuchCloud"};
	az_diags d = AZ_DIAGS_INIT;
	az_session *s = NULL;
	/* The transport is taken (and freed) also on failure: LSan checks. */
	assert_int_not_equal(az_session_open_transport(&s, &so, NULL, &tp, &d), 0);
	assert_null(s);
	assert_true(az_diags_errors(&d) >= 1);
	az_diags_clear(&d);
}

/* ---------------------------------------------------------------------
 * ARM.
 */
static void arm_put_follows_location_and_counts_the_poll(void **state)
{
	env *e = *state;
	const az_kind *k = kind("StorageAccount");
	const char *id = RG "/providers/Microsoft.Storage/storageAccounts/sa1";
	fake_tp_script(e->fake, "PUT", "storageAccounts/sa1", 202,
		       "Location: " ARM SUB "/providers/Microsoft.Storage/locations/westeurope/"
		       "asyncoperations/op1?monitor=true\nRetry-After: 2",
		       NULL, 0);
	fake_tp_script(e->fake, "GET", "asyncoperations/op1", 200, NULL,
		       "{\"id\":\"" RG "/providers/Microsoft.Storage/storageAccounts/sa1\","
		       "\"name\":\"sa1\",\"properties\":{\"provisioningState\":\"Succeeded\"}}",
		       0);
	json_t *body = body_of("{\"location\":\"westeurope\",\"kind\":\"StorageV2\"}");
	result r = {0};
	prov(k)->put(e->s, k, id, body, "\"etag-1\"", on_result, &r);
	assert_false(r.done);
	az_session_run(e->s);
	assert_true(r.done);
	assert_int_equal(r.err, 0);
	assert_string_equal(json_string_value(json_object_get(r.live, "name")), "sa1");

	assert_int_equal(sent_count(e), 2);
	assert_sent(e, 0, "PUT", ARM RG "/providers/Microsoft.Storage/storageAccounts/sa1"
				 "?api-version=2025-06-01");
	const fake_sent *put = sent(e, 0);
	assert_string_equal(az_http_headers_get(&put->headers, "If-Match"), "\"etag-1\"");
	assert_string_equal(az_http_headers_get(&put->headers, "Authorization"), "Bearer t0k3n");
	json_t *sent_body = body_of(put->body);
	assert_true(json_equal(sent_body, body));
	json_decref(sent_body);
	/* Retry-After 2 s was honoured before the poll. */
	assert_int_equal(sent(e, 1)->at_ms - put->at_ms, 2000);

	json_t *stats = az_session_stats(e->s);
	json_t *want = body_of(
		"{\"requests\":3,\"reads\":0,\"writes\":1,\"deletes\":0,\"polls\":1}");
	assert_true(json_equal(stats, want));
	json_decref(want);
	json_decref(stats);
	json_decref(body);
	result_clear(&r);
}

static void arm_put_reads_back_when_the_final_answer_is_empty(void **state)
{
	env *e = *state;
	const az_kind *k = kind("SparkPool");
	const char *id = WS "/bigDataPools/pool1";
	fake_tp_script(e->fake, "PUT", "bigDataPools/pool1", 202,
		       "Location: " ARM "/operationResults/op2", NULL, 0);
	fake_tp_script(e->fake, "GET", "/operationResults/op2", 200, NULL, "", 0);
	fake_tp_script(e->fake, "GET", "bigDataPools/pool1", 200, NULL,
		       "{\"id\":\"" WS "/bigDataPools/pool1\",\"name\":\"pool1\"}", 0);
	json_t *body = body_of("{\"location\":\"westeurope\"}");
	result r = {0};
	prov(k)->put(e->s, k, id, body, NULL, on_result, &r);
	az_session_run(e->s);
	assert_int_equal(r.err, 0);
	assert_string_equal(json_string_value(json_object_get(r.live, "name")), "pool1");
	assert_int_equal(sent_count(e), 3);
	assert_sent(e, 2, "GET", ARM WS "/bigDataPools/pool1?api-version=2021-06-01");
	json_t *stats = az_session_stats(e->s);
	assert_int_equal(json_integer_value(json_object_get(stats, "reads")), 1);
	assert_int_equal(json_integer_value(json_object_get(stats, "polls")), 1);
	json_decref(stats);
	json_decref(body);
	result_clear(&r);
}

static void arm_put_that_leaves_nothing_is_an_error(void **state)
{
	env *e = *state;
	const az_kind *k = kind("SparkPool");
	fake_tp_script(e->fake, "PUT", "bigDataPools/pool2", 202,
		       "Location: " ARM "/operationResults/op3", NULL, 0);
	fake_tp_script(e->fake, "GET", "/operationResults/op3", 204, NULL, NULL, 0);
	fake_tp_script(e->fake, "GET", "bigDataPools/pool2", 404, NULL,
		       "{\"error\":{\"code\":\"ResourceNotFound\",\"message\":\"no\"}}", 0);
	json_t *body = body_of("{\"location\":\"westeurope\"}");
	result r = {0};
	prov(k)->put(e->s, k, WS "/bigDataPools/pool2", body, NULL, on_result, &r);
	az_session_run(e->s);
	assert_int_equal(r.err, AZ_EUPSTREAM);
	assert_null(r.live);
	assert_int_equal(r.diags.len, 1);
	assert_non_null(strstr(r.diags.items[0].summary, "the resource is not there"));
	json_decref(body);
	result_clear(&r);
}

static void arm_read_404_is_absent_and_other_errors_are_not(void **state)
{
	env *e = *state;
	const az_kind *k = kind("ResourceGroup");
	fake_tp_script(e->fake, "GET", "/resourceGroups/gone", 404, "x-ms-failure-cause: gateway",
		       "{\"error\":{\"code\":\"ResourceGroupNotFound\",\"message\":\"no\"}}", 0);
	fake_tp_script(e->fake, "GET", "/resourceGroups/locked", 403, "x-ms-request-id: rid-9",
		       "{\"error\":{\"code\":\"AuthorizationFailed\",\"message\":\"no\"}}", 0);
	result r = {0};
	prov(k)->read(e->s, k, SUB "/resourceGroups/gone", on_result, &r);
	az_session_run(e->s);
	assert_int_equal(r.err, 0);
	assert_null(r.live);
	assert_int_equal(r.diags.len, 0);
	result_clear(&r);

	prov(k)->read(e->s, k, SUB "/resourceGroups/locked", on_result, &r);
	az_session_run(e->s);
	assert_int_not_equal(r.err, 0);
	assert_null(r.live);
	assert_int_equal(r.diags.len, 1);
	assert_string_equal(r.diags.items[0].code, "AuthorizationFailed");
	assert_string_equal(r.diags.items[0].request_id, "rid-9");
	result_clear(&r);
}

static void arm_remove_of_missing_succeeds(void **state)
{
	env *e = *state;
	const az_kind *k = kind("KeyVault");
	const char *id = RG "/providers/Microsoft.KeyVault/vaults/kv1";
	fake_tp_script(e->fake, "DELETE", "vaults/kv1", 404, NULL,
		       "{\"error\":{\"code\":\"ResourceNotFound\",\"message\":\"gone\"}}", 0);
	result r = {0};
	prov(k)->remove(e->s, k, id, on_result, &r);
	az_session_run(e->s);
	assert_int_equal(r.err, 0);
	assert_int_equal(r.diags.len, 0);
	assert_sent(e, 0, "DELETE", ARM RG "/providers/Microsoft.KeyVault/vaults/kv1"
				    "?api-version=2023-07-01");
	json_t *stats = az_session_stats(e->s);
	assert_int_equal(json_integer_value(json_object_get(stats, "deletes")), 1);
	json_decref(stats);
	result_clear(&r);
}

static void arm_list_keeps_the_filter_of_a_collection(void **state)
{
	env *e = *state;
	const az_kind *k = kind("RoleAssignment");
	fake_tp_script(e->fake, "GET", "roleAssignments?$filter", 200, NULL,
		       "{\"value\":[{\"name\":\"a\"}],\"nextLink\":\"" ARM SUB
		       "/providers/Microsoft.Authorization/roleAssignments?page=2\"}",
		       0);
	fake_tp_script(e->fake, "GET", "roleAssignments?page=2", 200, NULL,
		       "{\"value\":[{\"name\":\"b\"}]}", 0);
	result r = {0};
	prov(k)->list(e->s, k,
		      SUB "/providers/Microsoft.Authorization/roleAssignments"
			  "?$filter=principalId eq 'p1'",
		      on_result, &r);
	az_session_run(e->s);
	assert_int_equal(r.err, 0);
	assert_int_equal(json_array_size(r.live), 2);
	assert_sent(e, 0, "GET",
		    ARM SUB "/providers/Microsoft.Authorization/roleAssignments"
			    "?$filter=principalId%20eq%20'p1'&api-version=2022-04-01");
	json_t *stats = az_session_stats(e->s);
	assert_int_equal(json_integer_value(json_object_get(stats, "reads")), 2);
	json_decref(stats);
	result_clear(&r);
}

static void arm_role_assignment_waits_for_the_principal(void **state)
{
	env *e = *state;
	const az_kind *k = kind("RoleAssignment");
	const char *id = RG "/providers/Microsoft.Authorization/roleAssignments/"
			    "0b8d9c3e-0000-0000-0000-000000000001";
	const char *nf = "{\"error\":{\"code\":\"PrincipalNotFound\",\"message\":\"Principal "
			 "p1 does not exist in the directory\"}}";
	fake_tp_script(e->fake, "PUT", "roleAssignments/", 400, NULL, nf, 0);
	fake_tp_script(e->fake, "PUT", "roleAssignments/", 400, NULL, nf, 0);
	fake_tp_script(e->fake, "PUT", "roleAssignments/", 201, NULL,
		       "{\"id\":\"x\",\"name\":\"0b8d9c3e-0000-0000-0000-000000000001\","
		       "\"properties\":{\"principalId\":\"p1\"}}",
		       0);
	json_t *body = body_of("{\"properties\":{\"principalId\":\"p1\",\"roleDefinitionId\":"
			       "\"/providers/Microsoft.Authorization/roleDefinitions/r\"}}");
	result r = {0};
	prov(k)->put(e->s, k, id, body, NULL, on_result, &r);
	az_session_run(e->s);
	assert_int_equal(r.err, 0);
	assert_int_equal(r.diags.len, 0);
	assert_int_equal(sent_count(e), 3);
	/* Waits of 2 s, then 4 s. */
	assert_int_equal(sent(e, 1)->at_ms - sent(e, 0)->at_ms, 2000);
	assert_int_equal(sent(e, 2)->at_ms - sent(e, 1)->at_ms, 4000);
	json_decref(body);
	result_clear(&r);
}

/* ---------------------------------------------------------------------
 * ML computes: Delete or Detach.
 */
static void remove_compute(env *e, const char *compute_json, const char *want_action)
{
	const az_kind *k = kind("MlCompute");
	const char *id =
		RG "/providers/Microsoft.MachineLearningServices/workspaces/ml1/computes/c1";
	fake_tp_script(e->fake, "GET", "computes/c1", 200, NULL, compute_json, 0);
	fake_tp_script(e->fake, "DELETE", "computes/c1", 202,
		       "Location: " ARM "/mlops/del1", NULL, 0);
	fake_tp_script(e->fake, "GET", "/mlops/del1", 204, NULL, NULL, 0);
	result r = {0};
	prov(k)->remove(e->s, k, id, on_result, &r);
	az_session_run(e->s);
	assert_int_equal(r.err, 0);
	assert_null(r.live);
	assert_int_equal(sent_count(e), 3);
	char *want = az_xasprintf(ARM "%s?underlyingResourceAction=%s&api-version=2025-09-01", id,
				  want_action);
	assert_sent(e, 1, "DELETE", want);
	free(want);
	result_clear(&r);
}

static void mlcompute_attached_synapse_pool_is_detached(void **state)
{
	remove_compute(*state,
		       "{\"id\":\"" RG "/providers/Microsoft.MachineLearningServices/workspaces/"
		       "ml1/computes/c1\",\"properties\":{\"computeType\":\"SynapseSpark\"}}",
		       "Detach");
}

static void mlcompute_own_cluster_is_deleted(void **state)
{
	remove_compute(*state,
		       "{\"id\":\"" RG "/providers/Microsoft.MachineLearningServices/workspaces/"
		       "ml1/computes/c1\",\"properties\":{\"computeType\":\"AmlCompute\"}}",
		       "Delete");
}

static void mlcompute_missing_sends_no_delete(void **state)
{
	env *e = *state;
	const az_kind *k = kind("MlCompute");
	fake_tp_script(e->fake, "GET", "computes/c2", 404, NULL,
		       "{\"error\":{\"code\":\"ResourceNotFound\",\"message\":\"no\"}}", 0);
	result r = {0};
	prov(k)->remove(e->s, k,
			RG "/providers/Microsoft.MachineLearningServices/workspaces/ml1/computes/c2",
			on_result, &r);
	az_session_run(e->s);
	assert_int_equal(r.err, 0);
	assert_int_equal(sent_count(e), 1);
	result_clear(&r);
}

/* ---------------------------------------------------------------------
 * Synapse.
 */
static void synapse_put_maps_the_workspace_and_polls(void **state)
{
	env *e = *state;
	const az_kind *k = kind("LinkedService");
	fake_tp_script(e->fake, "PUT", DEV "/linkedservices/ls1", 202,
		       "Location: " DEV "/operationResults/op9?api-version=2020-12-01",
		       "{\"recordId\":1,\"state\":\"Creating\",\"operationId\":\"op9\"}", 0);
	fake_tp_script(e->fake, "GET", "/operationResults/op9", 202,
		       "Location: " DEV "/operationResults/op9?api-version=2020-12-01", NULL, 0);
	/* The poll ends without the artifact: it is read. */
	fake_tp_script(e->fake, "GET", "/operationResults/op9", 200, NULL, "", 0);
	fake_tp_script(e->fake, "GET", DEV "/linkedservices/ls1", 200, NULL,
		       "{\"name\":\"ls1\",\"properties\":{\"type\":\"AzureMLService\"},"
		       "\"etag\":\"e1\"}",
		       0);
	json_t *body = body_of("{\"properties\":{\"type\":\"AzureMLService\"}}");
	result r = {0};
	prov(k)->put(e->s, k, WS "/linkedservices/ls1", body, NULL, on_result, &r);
	az_session_run(e->s);
	assert_int_equal(r.err, 0);
	assert_string_equal(json_string_value(json_object_get(r.live, "etag")), "e1");
	assert_int_equal(sent_count(e), 4);
	assert_sent(e, 0, "PUT", DEV "/linkedservices/ls1?api-version=2020-12-01");
	assert_sent(e, 3, "GET", DEV "/linkedservices/ls1?api-version=2020-12-01");
	/* The Synapse token went to the workspace host. */
	const fake_sent *tok = fake_tp_sent(e->fake, 0);
	assert_non_null(strstr(tok->body, "dev.azuresynapse.net"));
	assert_null(strstr(tok->body, "management.azure.com"));
	json_decref(body);
	result_clear(&r);
}

static void synapse_trigger_start_answered_200_reads_the_trigger(void **state)
{
	env *e = *state;
	const az_kind *k = kind("Trigger");
	fake_tp_script(e->fake, "POST", "/triggers/t1/start", 200, NULL, "", 0);
	fake_tp_script(e->fake, "GET", "/triggers/t1", 200, NULL,
		       "{\"name\":\"t1\",\"properties\":{\"runtimeState\":\"Started\"}}", 0);
	result r = {0};
	prov(k)->invoke(e->s, k, WS "/triggers/t1", "start", on_result, &r);
	az_session_run(e->s);
	assert_int_equal(r.err, 0);
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(r.live, "properties"),
						  "runtimeState")),
		"Started");
	assert_sent(e, 0, "POST", DEV "/triggers/t1/start?api-version=2020-12-01");
	assert_sent(e, 1, "GET", DEV "/triggers/t1?api-version=2020-12-01");
	result_clear(&r);
}

static void synapse_id_outside_a_workspace_is_refused(void **state)
{
	env *e = *state;
	const az_kind *k = kind("Pipeline");
	json_t *body = body_of("{\"properties\":{}}");
	result r = {0};
	prov(k)->put(e->s, k, RG "/pipelines/p1", body, NULL, on_result, &r);
	assert_false(r.done);
	az_session_run(e->s);
	assert_int_equal(r.err, AZ_EINVALID);
	assert_int_equal(r.diags.len, 1);
	assert_non_null(strstr(r.diags.items[0].summary, "not under a Synapse workspace"));
	assert_int_equal(fake_tp_sent_count(e->fake), 0);
	json_decref(body);
	result_clear(&r);

	/* ARM kinds have no operations. */
	const az_kind *rg = kind("ResourceGroup");
	prov(rg)->invoke(e->s, rg, RG, "start", on_result, &r);
	az_session_run(e->s);
	assert_int_equal(r.err, AZ_EINVALID);
	assert_int_equal(fake_tp_sent_count(e->fake), 0);
	result_clear(&r);
}

static void synapse_rbac_fills_the_workspace_scope(void **state)
{
	env *e = *state;
	const az_kind *k = kind("SynapseRoleAssignment");
	fake_tp_script(e->fake, "PUT", "/roleAssignments/g1", 200, NULL,
		       "{\"id\":\"g1\",\"roleId\":\"r\",\"principalId\":\"p\","
		       "\"scope\":\"workspaces/ws1\"}",
		       0);
	json_t *body = body_of("{\"roleId\":\"r\",\"principalId\":\"p\","
			       "\"principalType\":\"ServicePrincipal\"}");
	result r = {0};
	prov(k)->put(e->s, k, WS "/roleAssignments/g1", body, NULL, on_result, &r);
	az_session_run(e->s);
	assert_int_equal(r.err, 0);
	assert_string_equal(json_string_value(json_object_get(r.live, "id")), "g1");
	assert_sent(e, 0, "PUT", DEV "/roleAssignments/g1?api-version=2020-12-01");
	json_t *sent_body = body_of(sent(e, 0)->body);
	json_t *want = body_of("{\"roleId\":\"r\",\"principalId\":\"p\",\"principalType\":"
			       "\"ServicePrincipal\",\"scope\":\"workspaces/ws1\"}");
	assert_true(json_equal(sent_body, want));
	json_decref(want);
	json_decref(sent_body);
	json_decref(body);
	result_clear(&r);
}

/* ---------------------------------------------------------------------
 * Graph.
 */
static void graph_service_principal_waits_for_its_application(void **state)
{
	env *e = *state;
	const az_kind *k = kind("ServicePrincipal");
	const char *nb = "{\"error\":{\"code\":\"NoBackingApplicationObject\",\"message\":"
			 "\"The service principal cannot be created\"}}";
	fake_tp_script(e->fake, "PATCH", "servicePrincipals(appId='a1')", 400, NULL, nb, 0);
	fake_tp_script(e->fake, "PATCH", "servicePrincipals(appId='a1')", 400, NULL, nb, 0);
	/* Updated: 204, then the object is read back. */
	fake_tp_script(e->fake, "PATCH", "servicePrincipals(appId='a1')", 204, NULL, NULL, 0);
	fake_tp_script(e->fake, "GET", "servicePrincipals(appId='a1')", 200, NULL,
		       "{\"id\":\"sp-object\",\"appId\":\"a1\"}", 0);
	json_t *body = body_of("{\"accountEnabled\":true}");
	result r = {0};
	prov(k)->put(e->s, k, "/servicePrincipals(appId='a1')", body, NULL, on_result, &r);
	az_session_run(e->s);
	assert_int_equal(r.err, 0);
	assert_string_equal(json_string_value(json_object_get(r.live, "id")), "sp-object");
	assert_int_equal(sent_count(e), 4);
	const fake_sent *first = sent(e, 0);
	assert_string_equal(first->url, GRAPH "/servicePrincipals(appId='a1')");
	assert_string_equal(az_http_headers_get(&first->headers, "Prefer"), "create-if-missing");
	assert_int_equal(sent(e, 1)->at_ms - first->at_ms, 1000);
	assert_int_equal(sent(e, 2)->at_ms - sent(e, 1)->at_ms, 2000);
	json_decref(body);
	result_clear(&r);
}

static void graph_retries_are_bounded(void **state)
{
	env *e = *state;
	const az_kind *k = kind("ServicePrincipal");
	for (int i = 0; i < 10; i++)
		fake_tp_script(e->fake, "PATCH", "servicePrincipals", 400, NULL,
			       "{\"error\":{\"code\":\"NoBackingApplicationObject\","
			       "\"message\":\"no\"}}",
			       0);
	json_t *body = body_of("{}");
	result r = {0};
	prov(k)->put(e->s, k, "/servicePrincipals(appId='a2')", body, NULL, on_result, &r);
	az_session_run(e->s);
	assert_int_not_equal(r.err, 0);
	assert_int_equal(r.diags.len, 1);
	assert_string_equal(r.diags.items[0].code, "NoBackingApplicationObject");
	assert_int_equal(sent_count(e), 7); /* the first try and six more */
	json_decref(body);
	result_clear(&r);
}

static void graph_application_is_deleted_by_object_id(void **state)
{
	env *e = *state;
	const az_kind *k = kind("EntraApplication");
	fake_tp_script(e->fake, "GET", "applications(uniqueName='app1')", 200, NULL,
		       "{\"id\":\"obj-1\",\"appId\":\"a1\",\"uniqueName\":\"app1\"}", 0);
	fake_tp_script(e->fake, "DELETE", "/applications/obj-1", 204, NULL, NULL, 0);
	result r = {0};
	prov(k)->remove(e->s, k, "/applications(uniqueName='app1')", on_result, &r);
	az_session_run(e->s);
	assert_int_equal(r.err, 0);
	assert_int_equal(sent_count(e), 2);
	assert_sent(e, 0, "GET", GRAPH "/applications(uniqueName='app1')");
	assert_sent(e, 1, "DELETE", GRAPH "/applications/obj-1");
	result_clear(&r);
}

/* ---------------------------------------------------------------------
 * Finding "a failed page reads as an empty collection", per provider: a
 * list whose page 2 or page 3 fails is an error naming the collection and
 * the page, never a shorter list and never "not found".
 */
typedef struct paged_list {
	const char *kind;
	const char *collection; /* as the planner asks for it */
	const char *url;        /* the first page's URL */
	const char *link_name;  /* "nextLink", "@odata.nextLink"; NULL: x-ms-continuation */
	const char *links[2];   /* where pages 1 and 2 lead */
	const char *error_body; /* the failing page's answer */
} paged_list;

/* Lists `l` with its page `failing` (2 or 3) answering 404, or 500 on
 * every try of it. */
static void list_fails_on_page(env *e, const paged_list *l, int failing, int status)
{
	size_t before = sent_count(e);
	for (int page = 1; page < failing; page++) {
		char body[512], header[64];
		if (l->link_name)
			snprintf(body, sizeof(body), "{\"value\":[{\"id\":\"i%d\"}],\"%s\":\"%s\"}",
				 page, l->link_name, l->links[page - 1]);
		else
			snprintf(body, sizeof(body), "{\"count\":1,\"value\":[{\"id\":\"i%d\"}]}",
				 page);
		snprintf(header, sizeof(header), "x-ms-continuation: %s", l->links[page - 1]);
		const char *part = page == 1 || !l->link_name ? l->url : l->links[page - 2];
		fake_tp_script(e->fake, "GET", part, 200, l->link_name ? NULL : header, body, 0);
	}
	const char *part = l->link_name ? l->links[failing - 2] : l->url;
	for (int i = 0; i < (status == 500 ? 4 : 1); i++)
		fake_tp_script(e->fake, "GET", part, status, "x-ms-request-id: rq-failed",
			       l->error_body, 0);
	const az_kind *k = kind(l->kind);
	result r = {0};
	prov(k)->list(e->s, k, l->collection, on_result, &r);
	az_session_run(e->s);
	assert_true(r.done);
	assert_int_not_equal(r.err, 0);
	assert_int_not_equal(r.err, AZ_ENOTFOUND);
	assert_null(r.live);
	char *named = az_xasprintf("the list %s is incomplete: page %d failed", l->url, failing);
	if (!strstr(r.diags.items[0].summary, named))
		fail_msg("expected '%s' in '%s'", named, r.diags.items[0].summary);
	free(named);
	assert_string_equal(r.diags.items[0].request_id, "rq-failed");
	assert_int_equal(r.diags.items[0].http_status, status);
	/* Nothing asked for after the failed page. */
	assert_int_equal(sent_count(e) - before, (size_t)(failing - 1 + (status == 500 ? 4 : 1)));
	result_clear(&r);
}

/* One list of each provider: ARM and Synapse artifacts paged by nextLink,
 * Synapse RBAC by the x-ms-continuation header, Graph by @odata.nextLink. */
static const paged_list paged_lists[] = {
	{"SynapseFirewallRule", WS "/firewallRules", ARM WS "/firewallRules?api-version=2021-06-01",
	 "nextLink",
	 {ARM WS "/firewallRules?api-version=2021-06-01&$skiptoken=1",
	  ARM WS "/firewallRules?api-version=2021-06-01&$skiptoken=2"},
	 "{\"error\":{\"code\":\"NotFound\",\"message\":\"gone\"}}"},
	{"Pipeline", WS "/pipelines", DEV "/pipelines?api-version=2020-12-01", "nextLink",
	 {DEV "/pipelines?api-version=2020-12-01&continuationToken=1",
	  DEV "/pipelines?api-version=2020-12-01&continuationToken=2"},
	 "{\"code\":\"NotFound\",\"message\":\"gone\"}"},
	{"SynapseRoleAssignment", WS "/roleAssignments", DEV "/roleAssignments?api-version=2020-12-01",
	 NULL, {"c1", "c2"}, "{\"error\":{\"code\":\"NotFound\",\"message\":\"gone\"}}"},
	{"EntraApplication", "/applications", GRAPH "/applications", "@odata.nextLink",
	 {GRAPH "/applications?$skiptoken=s1", GRAPH "/applications?$skiptoken=s2"},
	 "{\"error\":{\"code\":\"Request_ResourceNotFound\",\"message\":\"gone\"}}"},
};

/* A 404 on page 2, then a 500 on every try of page 3. */
static void failed_pages_of(env *e, const paged_list *l)
{
	list_fails_on_page(e, l, 2, 404);
	list_fails_on_page(e, l, 3, 500);
}

static void failed_page_arm_list(void **state)
{
	failed_pages_of(*state, &paged_lists[0]);
}

static void failed_page_synapse_list(void **state)
{
	failed_pages_of(*state, &paged_lists[1]);
}

static void failed_page_synapse_rbac_list(void **state)
{
	failed_pages_of(*state, &paged_lists[2]);
}

static void failed_page_graph_list(void **state)
{
	failed_pages_of(*state, &paged_lists[3]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_kind_has_its_provider),
		cmocka_unit_test(api_version_joins_an_existing_query),
		cmocka_unit_test(session_timer_and_tenant),
		cmocka_unit_test(session_refuses_an_unknown_cloud),
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(arm_put_follows_location_and_counts_the_poll),
		T(arm_put_reads_back_when_the_final_answer_is_empty),
		T(arm_put_that_leaves_nothing_is_an_error),
		T(arm_read_404_is_absent_and_other_errors_are_not),
		T(arm_remove_of_missing_succeeds),
		T(arm_list_keeps_the_filter_of_a_collection),
		T(arm_role_assignment_waits_for_the_principal),
		T(mlcompute_attached_synapse_pool_is_detached),
		T(mlcompute_own_cluster_is_deleted),
		T(mlcompute_missing_sends_no_delete),
		T(synapse_put_maps_the_workspace_and_polls),
		T(synapse_trigger_start_answered_200_reads_the_trigger),
		T(synapse_id_outside_a_workspace_is_refused),
		T(synapse_rbac_fills_the_workspace_scope),
		T(graph_service_principal_waits_for_its_application),
		T(graph_retries_are_bounded),
		T(graph_application_is_deleted_by_object_id),
		T(failed_page_arm_list),
		T(failed_page_synapse_list),
		T(failed_page_synapse_rbac_list),
		T(failed_page_graph_list),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
