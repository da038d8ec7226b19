/*
 * test_providers_emulator.c - the session and every provider against the
 * Azure emulator, through the real transport (libcurl, TLS against the
 * emulator's CA) and the default credential chain with the emulator's
 * service principal.
 *
 * The emulator runs with pages of two items and short operations, so the
 * tests go through every page of a list and every poll of an operation:
 * ARM put (synchronous, Location and Azure-AsyncOperation), read, list,
 * remove and 404; Synapse artifacts put/get/delete through 202 and polls,
 * trigger start and stop; Synapse RBAC paged by x-ms-continuation; Graph
 * upserts by uniqueName and a service principal that waits out
 * NoBackingApplicationObject. The emulator's request log shows the exact
 * requests sent.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <azapply/provider.h>

#include "harness.h"

static emu *the_emu;

typedef struct result {
	bool done;
	int err;
	json_t *live;
	az_diags diags;
} result;

typedef struct t {
	az_session *s;
	char *sub; /* /subscriptions/{id} */
} t;

static int group_setup(void **state)
{
	(void)state;
	const char *args[] = {"--page-size", "2", "--lro-polls", "2", "--retry-after", "0",
			      "--throttle-scale", "100", NULL};
	if (emu_start(&the_emu, args))
		return -1;
	setenv("AZURE_TENANT_ID", emu_tenant_id(the_emu), 1);
	setenv("AZURE_CLIENT_ID", emu_client_id(the_emu), 1);
	setenv("AZURE_CLIENT_SECRET", emu_client_secret(the_emu), 1);
	setenv("AZAPPLY_CLOUD_CONFIG", emu_cloud_config(the_emu), 1);
	/* Operations poll at Retry-After (0 s); never wait longer than 1 s. */
	setenv("AZAPPLY_POLL_MAX_SECONDS", "1", 1);
	unsetenv("AZAPPLY_AUTH");
	unsetenv("AZAPPLY_LOG");
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	return emu_stop(the_emu) == 0 ? 0 : -1;
}

static int setup(void **state)
{
	t *x = az_xcalloc(1, sizeof(*x));
	az_diags d = AZ_DIAGS_INIT;
	/* The cloud comes from AZAPPLY_CLOUD_CONFIG, as a user would set it. */
	az_session_options o = {0};
	assert_int_equal(az_session_open(&x->s, &o, &d), 0);
	assert_int_equal(d.len, 0);
	x->sub = az_xasprintf("/subscriptions/%s", emu_subscription_id(the_emu));
	assert_int_equal(emu_control(the_emu, "DELETE", "log", NULL, NULL), 200);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	t *x = *state;
	az_session_free(x->s);
	free(x->sub);
	free(x);
	return 0;
}

/* ---------------------------------------------------------------------
 * Calling a provider and waiting for its answer.
 */
static void on_result(void *ud, int err, json_t *live, az_diags *d)
{
	result *r = ud;
	assert_false(r->done); /* exactly one callback */
	r->done = true;
	r->err = err;
	r->live = live;
	az_diags_move(&r->diags, d);
}

static bool is_done(void *ud)
{
	return ((result *)ud)->done;
}

static void result_clear(result *r)
{
	json_decref(r->live);
	az_diags_clear(&r->diags);
	memset(r, 0, sizeof(*r));
}

static void print_diags(const result *r)
{
	for (size_t i = 0; i < r->diags.len; i++)
		fprintf(stderr, "diag: %s (%s) HTTP %d\n", r->diags.items[i].summary,
			r->diags.items[i].code ? r->diags.items[i].code : "-",
			r->diags.items[i].http_status);
}

static void wait_for(t *x, result *r)
{
	az_session_run_until(x->s, is_done, r);
	assert_true(r->done);
}

static const az_provider *provider_of(const az_kind *k)
{
	const az_provider *p = az_provider_get(k->provider);
	assert_non_null(p);
	assert_int_equal(p->abi, AZ_PROVIDER_ABI);
	assert_int_equal(p->id, k->provider);
	return p;
}

static const az_kind *kind(const char *name)
{
	const az_kind *k = az_kind_find(name);
	assert_non_null(k);
	return k;
}

typedef enum op { OP_LIST, OP_READ, OP_PUT, OP_REMOVE, OP_INVOKE } op;

/* One provider call, waited for. `arg` is the body of a put (JSON text) or
 * the action of an invoke. */
static void call(t *x, result *r, op o, const char *kind_name, const char *id, const char *arg)
{
	const az_kind *k = kind(kind_name);
	const az_provider *p = provider_of(k);
	json_t *body = NULL;
	switch (o) {
	case OP_LIST: p->list(x->s, k, id, on_result, r); break;
	case OP_READ: p->read(x->s, k, id, on_result, r); break;
	case OP_REMOVE: p->remove(x->s, k, id, on_result, r); break;
	case OP_INVOKE: p->invoke(x->s, k, id, arg, on_result, r); break;
	case OP_PUT: {
		json_error_t jerr;
		body = json_loads(arg, 0, &jerr);
		assert_non_null(body);
		p->put(x->s, k, id, body, NULL, on_result, r);
		break;
	}
	}
	json_decref(body);
	assert_false(r->done); /* never from inside the call */
	wait_for(x, r);
}

/* A call that must succeed; its live body (a new reference, may be NULL). */
static json_t *call_ok(t *x, op o, const char *kind_name, const char *id, const char *arg)
{
	result r = {0};
	call(x, &r, o, kind_name, id, arg);
	if (r.err)
		print_diags(&r);
	assert_int_equal(r.err, 0);
	json_t *live = r.live;
	r.live = NULL;
	result_clear(&r);
	return live;
}

static json_t *put(t *x, const char *kind_name, const char *id, const char *body_json)
{
	json_t *live = call_ok(x, OP_PUT, kind_name, id, body_json);
	assert_true(json_is_object(live));
	return live;
}

static json_t *read_live(t *x, const char *kind_name, const char *id)
{
	return call_ok(x, OP_READ, kind_name, id, NULL);
}

static json_t *list(t *x, const char *kind_name, const char *collection)
{
	json_t *values = call_ok(x, OP_LIST, kind_name, collection, NULL);
	assert_true(json_is_array(values));
	return values;
}

static void remove_ok(t *x, const char *kind_name, const char *id)
{
	assert_null(call_ok(x, OP_REMOVE, kind_name, id, NULL));
}

static const char *str_at(const json_t *o, const char *a, const char *b)
{
	const json_t *v = json_object_get(o, a);
	if (b)
		v = json_object_get(v, b);
	return json_string_value(v);
}

/* True when some item of `values` has name `name`. */
static bool has_name(const json_t *values, const char *field, const char *name)
{
	size_t i;
	json_t *v;
	json_array_foreach(values, i, v)
	{
		const char *n = json_string_value(json_object_get(v, field));
		if (n && strcmp(n, name) == 0)
			return true;
	}
	return false;
}

/* ---------------------------------------------------------------------
 * The request log.
 */
static json_t *log_requests(void)
{
	json_t *log = NULL;
	assert_int_equal(emu_control(the_emu, "GET", "log", NULL, &log), 200);
	json_t *reqs = json_incref(json_object_get(log, "requests"));
	json_decref(log);
	assert_true(json_is_array(reqs));
	return reqs;
}

/* How many logged requests have this method, host prefix and exact path. */
static size_t count_logged(const json_t *reqs, const char *method, const char *host,
			   const char *path)
{
	size_t n = 0, i;
	json_t *q;
	json_array_foreach(reqs, i, q)
	{
		const char *m = str_at(q, "method", NULL);
		const char *h = str_at(q, "host", NULL);
		const char *p = str_at(q, "path", NULL);
		if (m && h && p && strcmp(m, method) == 0 && strncmp(h, host, strlen(host)) == 0 &&
		    strcmp(p, path) == 0)
			n++;
	}
	return n;
}

/* How many logged requests have this method and a path starting so. */
static size_t count_prefix(const json_t *reqs, const char *method, const char *prefix)
{
	size_t n = 0, i;
	json_t *q;
	json_array_foreach(reqs, i, q)
	{
		const char *m = str_at(q, "method", NULL);
		const char *p = str_at(q, "path", NULL);
		if (m && p && strcmp(m, method) == 0 && strncmp(p, prefix, strlen(prefix)) == 0)
			n++;
	}
	return n;
}

/* Asserts that every logged request with this method and a path holding
 * `path_part` has `want` at a.b (of its body or headers); returns how many. */
static size_t each_logged(const json_t *reqs, const char *method, const char *path_part,
			  const char *a, const char *b, const char *want)
{
	size_t n = 0, i;
	json_t *q;
	json_array_foreach(reqs, i, q)
	{
		if (strcmp(str_at(q, "method", NULL), method) != 0 ||
		    !strstr(str_at(q, "path", NULL), path_part))
			continue;
		const char *got = str_at(q, a, b);
		assert_non_null(got);
		assert_string_equal(got, want);
		n++;
	}
	return n;
}

static char *rg_id(t *x, const char *name)
{
	return az_xasprintf("%s/resourceGroups/%s", x->sub, name);
}

static void make_rg(t *x, const char *name)
{
	char *id = rg_id(x, name);
	json_decref(put(x, "ResourceGroup", id, "{\"location\":\"westeurope\"}"));
	free(id);
}

/* A Synapse workspace in its own resource group; returns its ARM id. */
static char *make_workspace(t *x, const char *rg, const char *ws)
{
	make_rg(x, rg);
	char *id = az_xasprintf("%s/resourceGroups/%s/providers/Microsoft.Synapse/workspaces/%s",
				x->sub, rg, ws);
	json_t *live = put(x, "SynapseWorkspace", id,
			   "{\"location\":\"westeurope\",\"properties\":{"
			   "\"defaultDataLakeStorage\":{\"accountUrl\":"
			   "\"https://lake.dfs.core.windows.net\",\"filesystem\":\"fs\"}}}");
	assert_string_equal(str_at(live, "name", NULL), ws);
	json_decref(live);
	/* The data plane answers only addresses a firewall rule allows. */
	char *rule = az_xasprintf("%s/firewallRules/allowAll", id);
	json_decref(put(x, "SynapseFirewallRule", rule,
			"{\"properties\":{\"startIpAddress\":\"0.0.0.0\","
			"\"endIpAddress\":\"255.255.255.255\"}}"));
	free(rule);
	return id;
}

/* ---------------------------------------------------------------------
 * ARM.
 */
static void arm_put_read_list_remove(void **state)
{
	t *x = *state;
	const char *names[] = {"prov-rg-a", "prov-rg-b", "prov-rg-c"};
	for (size_t i = 0; i < 3; i++)
		make_rg(x, names[i]);

	json_t *reqs = log_requests();
	char *put_path =
		az_xasprintf("%s/resourceGroups/prov-rg-a?api-version=2021-04-01", x->sub);
	assert_int_equal(count_logged(reqs, "PUT", "management.localhost", put_path), 1);
	free(put_path);
	/* Exactly the body asked for. */
	assert_int_equal(each_logged(reqs, "PUT", "/resourceGroups/prov-rg-", "body", "location",
				     "westeurope"),
			 3);
	json_decref(reqs);

	char *id = rg_id(x, "prov-rg-b");
	json_t *live = read_live(x, "ResourceGroup", id);
	assert_non_null(live);
	assert_string_equal(str_at(live, "name", NULL), "prov-rg-b");
	assert_string_equal(str_at(live, "location", NULL), "westeurope");
	json_decref(live);

	/* Pages of two: every page followed, each with the api-version. */
	assert_int_equal(emu_control(the_emu, "DELETE", "log", NULL, NULL), 200);
	char *coll = az_xasprintf("%s/resourcegroups", x->sub);
	json_t *all = list(x, "ResourceGroup", coll);
	for (size_t n = 0; n < 3; n++)
		assert_true(has_name(all, "name", names[n]));
	reqs = log_requests();
	char *list_path = az_xasprintf("%s?api-version=2021-04-01", coll);
	assert_int_equal(count_logged(reqs, "GET", "management.localhost", list_path), 1);
	size_t pages = count_prefix(reqs, "GET", coll);
	assert_true(pages >= 2);
	assert_true(pages >= (json_array_size(all) + 1) / 2);
	/* Every page carries the api-version (nextLinks included). */
	size_t i;
	json_t *q;
	json_array_foreach(reqs, i, q)
	{
		const char *path = str_at(q, "path", NULL);
		if (strncmp(path, "/_emulator/", 11) != 0)
			assert_non_null(strstr(path, "api-version=2021-04-01"));
	}
	free(list_path);
	json_decref(reqs);
	json_decref(all);
	free(coll);

	/* Delete through Location polling, then it is gone, and gone again is fine. */
	remove_ok(x, "ResourceGroup", id);
	assert_null(read_live(x, "ResourceGroup", id));
	remove_ok(x, "ResourceGroup", id);
	free(id);
}

static void arm_put_waits_for_location_and_async_operations(void **state)
{
	t *x = *state;
	char *ws = make_workspace(x, "prov-rg-ws", "provws1");
	json_t *reqs = log_requests();
	/* The workspace PUT answered 201 + Azure-AsyncOperation: polled, then
	 * the workspace was read for the final body. */
	char *ws_path = az_xasprintf("%s?api-version=2021-06-01", ws);
	assert_int_equal(count_logged(reqs, "PUT", "management.localhost", ws_path), 1);
	assert_int_equal(count_logged(reqs, "GET", "management.localhost", ws_path), 1);
	free(ws_path);
	json_decref(reqs);
	json_t *live = read_live(x, "SynapseWorkspace", ws);
	assert_string_equal(str_at(live, "properties", "provisioningState"), "Succeeded");
	json_decref(live);

	/* Storage accounts answer 202 + Location; the poll ends with the account. */
	char *sa = az_xasprintf("%s/resourceGroups/prov-rg-ws/providers/Microsoft.Storage/"
				"storageAccounts/provsa1",
				x->sub);
	live = put(x, "StorageAccount", sa,
		   "{\"location\":\"westeurope\",\"kind\":\"StorageV2\","
		   "\"sku\":{\"name\":\"Standard_LRS\"}}");
	assert_string_equal(str_at(live, "name", NULL), "provsa1");
	assert_string_equal(str_at(live, "properties", "provisioningState"), "Succeeded");
	json_decref(live);

	json_t *stats = az_session_stats(x->s);
	assert_true(json_integer_value(json_object_get(stats, "polls")) >= 2);
	assert_true(json_integer_value(json_object_get(stats, "writes")) >= 3);
	assert_true(json_integer_value(json_object_get(stats, "requests")) >=
		    json_integer_value(json_object_get(stats, "reads")) +
			    json_integer_value(json_object_get(stats, "writes")) +
			    json_integer_value(json_object_get(stats, "polls")));
	json_decref(stats);
	free(sa);
	free(ws);
}

static void arm_read_of_missing_is_null(void **state)
{
	t *x = *state;
	char *id = rg_id(x, "prov-never-made");
	assert_null(read_live(x, "ResourceGroup", id));
	free(id);
}

/* ---------------------------------------------------------------------
 * Synapse artifacts.
 */
static char *artifact_id(const char *ws, const char *coll, const char *name)
{
	return az_xasprintf("%s/%s/%s", ws, coll, name);
}

static void synapse_artifacts_put_get_list_delete(void **state)
{
	t *x = *state;
	char *ws = make_workspace(x, "prov-rg-syn", "provsyn");
	assert_int_equal(emu_control(the_emu, "DELETE", "log", NULL, NULL), 200);
	const char *names[] = {"p1", "p2", "p3"};
	for (size_t i = 0; i < 3; i++) {
		char *id = artifact_id(ws, "pipelines", names[i]);
		json_t *live = put(x, "Pipeline", id,
				   "{\"properties\":{\"activities\":[{\"name\":\"wait\","
				   "\"type\":\"Wait\",\"typeProperties\":{\"waitTimeInSeconds\":1}}]}}");
		/* The artifact, not the operation record of the 202. */
		assert_string_equal(str_at(live, "name", NULL), names[i]);
		assert_non_null(json_object_get(live, "properties"));
		assert_null(json_object_get(live, "operationId"));
		json_decref(live);
		free(id);
	}
	json_t *reqs = log_requests();
	assert_int_equal(count_logged(reqs, "PUT", "provsyn.dev.localhost",
				      "/pipelines/p1?api-version=2020-12-01"),
			 1);
	assert_true(count_prefix(reqs, "GET", "/operationResults/") >= 3);
	json_decref(reqs);

	char *coll = az_xasprintf("%s/pipelines", ws);
	json_t *all = list(x, "Pipeline", coll);
	assert_int_equal(json_array_size(all), 3);
	for (size_t i = 0; i < 3; i++)
		assert_true(has_name(all, "name", names[i]));
	json_decref(all);
	free(coll);

	/* Notebooks poll their own operation route. */
	char *nb = artifact_id(ws, "notebooks", "nb1");
	json_t *live = put(x, "Notebook", nb,
			   "{\"properties\":{\"nbformat\":4,\"nbformat_minor\":2,"
			   "\"cells\":[],\"metadata\":{}}}");
	assert_string_equal(str_at(live, "name", NULL), "nb1");
	json_decref(live);
	reqs = log_requests();
	assert_true(count_prefix(reqs, "GET", "/notebookOperationResults/") >= 1);
	json_decref(reqs);

	char *p2 = artifact_id(ws, "pipelines", "p2");
	live = read_live(x, "Pipeline", p2);
	assert_string_equal(str_at(live, "name", NULL), "p2");
	json_decref(live);
	remove_ok(x, "Pipeline", p2);
	assert_null(read_live(x, "Pipeline", p2));
	remove_ok(x, "Pipeline", p2);
	remove_ok(x, "Notebook", nb);
	assert_null(read_live(x, "Notebook", nb));
	free(p2);
	free(nb);
	free(ws);
}

static void synapse_trigger_start_and_stop(void **state)
{
	t *x = *state;
	char *ws = make_workspace(x, "prov-rg-trg", "provtrg");
	char *pl = artifact_id(ws, "pipelines", "pl");
	json_decref(put(x, "Pipeline", pl, "{\"properties\":{\"activities\":[]}}"));
	char *tr = artifact_id(ws, "triggers", "daily");
	json_t *live = put(x, "Trigger", tr,
			   "{\"properties\":{\"type\":\"ScheduleTrigger\",\"pipelines\":[{"
			   "\"pipelineReference\":{\"referenceName\":\"pl\",\"type\":"
			   "\"PipelineReference\"}}],\"typeProperties\":{\"recurrence\":{"
			   "\"frequency\":\"Day\",\"interval\":1,\"startTime\":"
			   "\"2024-01-01T00:00:00Z\"}}}}");
	assert_string_equal(str_at(live, "properties", "runtimeState"), "Stopped");
	json_decref(live);

	live = call_ok(x, OP_INVOKE, "Trigger", tr, "start");
	assert_string_equal(str_at(live, "properties", "runtimeState"), "Started");
	json_decref(live);
	json_t *reqs = log_requests();
	assert_int_equal(count_logged(reqs, "POST", "provtrg.dev.localhost",
				      "/triggers/daily/start?api-version=2020-12-01"),
			 1);
	json_decref(reqs);
	live = call_ok(x, OP_INVOKE, "Trigger", tr, "stop");
	assert_string_equal(str_at(live, "properties", "runtimeState"), "Stopped");
	json_decref(live);

	/* Only triggers have operations, and only these two. */
	result r = {0};
	call(x, &r, OP_INVOKE, "Trigger", tr, "restart");
	assert_int_equal(r.err, AZ_EINVALID);
	assert_int_equal(r.diags.len, 1);
	result_clear(&r);
	free(tr);
	free(pl);
	free(ws);
}

/* ---------------------------------------------------------------------
 * Synapse RBAC.
 */
static void synapse_rbac_list_follows_continuation(void **state)
{
	t *x = *state;
	char *ws = make_workspace(x, "prov-rg-rbac", "provrbac");
	const char *ids[] = {"11111111-1111-1111-1111-111111111111",
			     "22222222-2222-2222-2222-222222222222",
			     "33333333-3333-3333-3333-333333333333"};
	const char *principals[] = {"aaaaaaaa-0000-0000-0000-000000000001",
				    "aaaaaaaa-0000-0000-0000-000000000002",
				    "aaaaaaaa-0000-0000-0000-000000000003"};
	for (size_t i = 0; i < 3; i++) {
		char *id = az_xasprintf("%s/roleAssignments/%s", ws, ids[i]);
		char *body = az_xasprintf("{\"roleId\":\"7572bffe-f453-4b66-912a-46cc5ef38fda\","
					  "\"principalId\":\"%s\",\"principalType\":\"User\"}",
					  principals[i]);
		json_t *live = put(x, "SynapseRoleAssignment", id, body);
		assert_string_equal(str_at(live, "principalId", NULL), principals[i]);
		json_decref(live);
		free(body);
		free(id);
	}
	json_t *reqs = log_requests();
	/* The scope the id's workspace implies was filled in. */
	assert_int_equal(each_logged(reqs, "PUT", "/roleAssignments/", "body", "scope",
				     "workspaces/provrbac"),
			 3);
	json_decref(reqs);

	assert_int_equal(emu_control(the_emu, "DELETE", "log", NULL, NULL), 200);
	char *coll = az_xasprintf("%s/roleAssignments", ws);
	json_t *all = list(x, "SynapseRoleAssignment", coll);
	for (size_t n = 0; n < 3; n++)
		assert_true(has_name(all, "principalId", principals[n]));
	reqs = log_requests();
	size_t pages = count_logged(reqs, "GET", "provrbac.dev.localhost",
				    "/roleAssignments?api-version=2020-12-01");
	/* Two to a page: the continuation header came back at least once. */
	assert_true(pages >= 2);
	assert_int_equal(pages, (json_array_size(all) + 1) / 2);
	json_decref(reqs);
	json_decref(all);
	free(coll);

	char *id = az_xasprintf("%s/roleAssignments/%s", ws, ids[1]);
	json_t *live = read_live(x, "SynapseRoleAssignment", id);
	assert_string_equal(str_at(live, "principalId", NULL), principals[1]);
	json_decref(live);
	remove_ok(x, "SynapseRoleAssignment", id);
	assert_null(read_live(x, "SynapseRoleAssignment", id));
	free(id);
	free(ws);
}

/* ---------------------------------------------------------------------
 * Graph.
 */
static void graph_upserts_applications_and_service_principals(void **state)
{
	t *x = *state;
	/* A service principal asked for within 1.5 s of its application
	 * gets NoBackingApplicationObject: the put must wait it out. */
	assert_int_equal(emu_control(the_emu, "PUT", "settings", "{\"appDelayMs\":1500}", NULL),
			 200);
	const char *app_key = "/applications(uniqueName='prov-app-1')";
	json_t *app = put(x, "EntraApplication", app_key,
			  "{\"displayName\":\"prov app\",\"uniqueName\":\"prov-app-1\"}");
	const char *object_id = str_at(app, "id", NULL);
	const char *app_id = str_at(app, "appId", NULL);
	assert_non_null(object_id);
	assert_non_null(app_id);

	char *sp_key = az_xasprintf("/servicePrincipals(appId='%s')", app_id);
	json_t *sp = put(x, "ServicePrincipal", sp_key, "{\"accountEnabled\":true}");
	assert_string_equal(str_at(sp, "appId", NULL), app_id);
	json_t *reqs = log_requests();
	char *sp_path = az_xasprintf("/v1.0/servicePrincipals(appId='%s')", app_id);
	/* Refused at least once, then created. */
	assert_true(count_logged(reqs, "PATCH", "graph.localhost", sp_path) >= 2);
	free(sp_path);
	assert_true(each_logged(reqs, "PATCH", "/v1.0/", "headers", "prefer",
				"create-if-missing") >= 3);
	json_decref(reqs);
	json_decref(sp);

	/* The second upsert answers 204: the object is read back, the same one. */
	json_t *again = put(x, "EntraApplication", app_key,
			    "{\"displayName\":\"prov app renamed\",\"uniqueName\":\"prov-app-1\"}");
	assert_string_equal(str_at(again, "id", NULL), object_id);
	assert_string_equal(str_at(again, "displayName", NULL), "prov app renamed");
	json_decref(again);

	json_decref(put(x, "EntraApplication", "/applications(uniqueName='prov-app-2')",
			"{\"displayName\":\"two\",\"uniqueName\":\"prov-app-2\"}"));
	json_decref(put(x, "EntraApplication", "/applications(uniqueName='prov-app-3')",
			"{\"displayName\":\"three\",\"uniqueName\":\"prov-app-3\"}"));
	json_t *all = list(x, "EntraApplication", "/applications");
	assert_true(json_array_size(all) >= 3);
	assert_true(has_name(all, "uniqueName", "prov-app-1"));
	assert_true(has_name(all, "uniqueName", "prov-app-3"));
	json_decref(all);

	remove_ok(x, "ServicePrincipal", sp_key);
	assert_null(read_live(x, "ServicePrincipal", sp_key));
	remove_ok(x, "EntraApplication", app_key);
	assert_null(read_live(x, "EntraApplication", app_key));
	remove_ok(x, "EntraApplication", app_key);
	reqs = log_requests();
	char *del = az_xasprintf("/v1.0/applications/%s", object_id);
	assert_int_equal(count_logged(reqs, "DELETE", "graph.localhost", del), 1);
	free(del);
	json_decref(reqs);
	free(sp_key);
	json_decref(app);
	assert_int_equal(emu_control(the_emu, "PUT", "settings", "{\"appDelayMs\":0}", NULL), 200);
}

/* A federated identity credential is upserted at (name='n'), read, listed
 * and deleted by its name: no read first for an object id. */
static void graph_federated_credentials_by_name(void **state)
{
	t *x = *state;
	const char *app_key = "/applications(uniqueName='prov-fic-app')";
	json_t *app = put(x, "EntraApplication", app_key,
			  "{\"displayName\":\"fic app\",\"uniqueName\":\"prov-fic-app\"}");
	char *key = az_xasprintf("%s/federatedIdentityCredentials/gh-prod", app_key);
	const char *body = "{\"issuer\":\"https://token.actions.githubusercontent.com\","
			   "\"subject\":\"repo:org/repo:environment:prod\","
			   "\"audiences\":[\"api://AzureADTokenExchange\"]}";
	json_t *cred = put(x, "FederatedIdentityCredential", key, body);
	assert_string_equal(str_at(cred, "name", NULL), "gh-prod");
	const char *cred_id = str_at(cred, "id", NULL);
	assert_non_null(cred_id);

	/* The second upsert answers 204: read back, the same credential. */
	json_t *again = put(x, "FederatedIdentityCredential", key,
			    "{\"subject\":\"repo:org/repo:environment:test\"}");
	assert_string_equal(str_at(again, "id", NULL), cred_id);
	assert_string_equal(str_at(again, "subject", NULL), "repo:org/repo:environment:test");
	json_decref(again);
	json_t *reqs = log_requests();
	assert_int_equal(count_logged(reqs, "PATCH", "graph.localhost",
				      "/v1.0/applications(uniqueName='prov-fic-app')/"
				      "federatedIdentityCredentials(name='gh-prod')"),
			 2);
	json_decref(reqs);

	char *coll = az_xasprintf("%s/federatedIdentityCredentials", app_key);
	json_t *all = list(x, "FederatedIdentityCredential", coll);
	assert_int_equal(json_array_size(all), 1);
	assert_true(has_name(all, "name", "gh-prod"));
	json_decref(all);

	remove_ok(x, "FederatedIdentityCredential", key);
	assert_null(read_live(x, "FederatedIdentityCredential", key));
	/* Already gone is success. */
	remove_ok(x, "FederatedIdentityCredential", key);
	/* Both deletes went by name; the only reads were the update's read
	 * back and the check. */
	const char *by_name = "/v1.0/applications(uniqueName='prov-fic-app')/"
			      "federatedIdentityCredentials/gh-prod";
	reqs = log_requests();
	assert_int_equal(count_logged(reqs, "DELETE", "graph.localhost", by_name), 2);
	assert_int_equal(count_logged(reqs, "GET", "graph.localhost", by_name), 2);
	json_decref(reqs);
	remove_ok(x, "EntraApplication", app_key);
	json_decref(cred);
	json_decref(app);
	free(coll);
	free(key);
}

/* A private endpoint and its DNS zone group are one body: the group is
 * written after the endpoint and read back as {name, zones}, from a read
 * and from a list; a group of another name replaces the old one, and an
 * endpoint put without a group leaves its group alone. */
static void arm_private_endpoint_with_its_zone_group(void **state)
{
	t *x = *state;
	make_rg(x, "prov-rg-pe");
	char *id = az_xasprintf("%s/resourceGroups/prov-rg-pe/providers/Microsoft.Network/"
				"privateEndpoints/pe1",
				x->sub);
	char *zone = az_xasprintf("%s/resourceGroups/prov-rg-pe/providers/Microsoft.Network/"
				  "privateDnsZones/privatelink.blob.core.windows.net",
				  x->sub);
	char *body = az_xasprintf(
		"{\"location\":\"westeurope\",\"properties\":{\"subnet\":{\"id\":\"%s/subnets/s\"},"
		"\"privateLinkServiceConnections\":[{\"name\":\"c\",\"properties\":{"
		"\"privateLinkServiceId\":\"%s/st\",\"groupIds\":[\"blob\"]}}]},"
		"\"privateDnsZoneGroup\":{\"name\":\"default\",\"zones\":[\"%s\"]}}",
		x->sub, x->sub, zone);
	json_t *live = put(x, "PrivateEndpoint", id, body);
	json_t *group = json_object_get(live, "privateDnsZoneGroup");
	assert_string_equal(str_at(group, "name", NULL), "default");
	assert_string_equal(json_string_value(json_array_get(json_object_get(group, "zones"), 0)),
			    zone);
	assert_int_equal(json_object_size(group), 2); /* no record sets, no states */
	json_decref(live);
	/* The endpoint's own PUT carries no group: it is its own resource. */
	json_t *reqs = log_requests();
	size_t i, endpoint_puts = 0;
	json_t *q;
	json_array_foreach(reqs, i, q) {
		if (strcmp(str_at(q, "method", NULL), "PUT") != 0 ||
		    !strstr(str_at(q, "path", NULL), "/privateEndpoints/pe1?"))
			continue;
		assert_null(json_object_get(json_object_get(q, "body"), "privateDnsZoneGroup"));
		endpoint_puts++;
	}
	assert_int_equal(endpoint_puts, 1);
	json_decref(reqs);

	live = read_live(x, "PrivateEndpoint", id);
	assert_string_equal(str_at(live, "privateDnsZoneGroup", "name"), "default");
	json_decref(live);
	char *coll = az_xasprintf("%s/resourceGroups/prov-rg-pe/providers/Microsoft.Network/"
				  "privateEndpoints",
				  x->sub);
	json_t *all = list(x, "PrivateEndpoint", coll);
	assert_int_equal(json_array_size(all), 1);
	assert_string_equal(str_at(json_array_get(all, 0), "privateDnsZoneGroup", "name"),
			    "default");
	json_decref(all);

	/* Renamed: the old group is deleted, the new one written. */
	char *renamed = az_xasprintf("%.*s\"lake\"%s", (int)(strstr(body, "\"default\"") - body),
				     body, strstr(body, "\"default\"") + strlen("\"default\""));
	json_decref(put(x, "PrivateEndpoint", id, renamed));
	char *old_group = az_xasprintf("arm%s/privateDnsZoneGroups/default", id);
	char *new_group = az_xasprintf("arm%s/privateDnsZoneGroups/lake", id);
	assert_int_equal(emu_control(the_emu, "GET", old_group, NULL, NULL), 404);
	assert_int_equal(emu_control(the_emu, "GET", new_group, NULL, NULL), 200);
	live = read_live(x, "PrivateEndpoint", id);
	assert_string_equal(str_at(live, "privateDnsZoneGroup", "name"), "lake");
	json_decref(live);

	/* Without a group in the body, the endpoint's group stays. */
	json_t *plain = json_loads(renamed, 0, NULL);
	json_object_del(plain, "privateDnsZoneGroup");
	char *plain_text = json_dumps(plain, JSON_COMPACT);
	live = put(x, "PrivateEndpoint", id, plain_text);
	assert_string_equal(str_at(live, "privateDnsZoneGroup", "name"), "lake");
	json_decref(live);

	remove_ok(x, "PrivateEndpoint", id);
	assert_null(read_live(x, "PrivateEndpoint", id));
	free(plain_text);
	json_decref(plain);
	free(old_group);
	free(new_group);
	free(renamed);
	free(coll);
	free(body);
	free(zone);
	free(id);
}

/* ---------------------------------------------------------------------
 * The session itself.
 */
static void session_describes_the_identity_without_secrets(void **state)
{
	t *x = *state;
	az_diags d = AZ_DIAGS_INIT;
	json_t *desc = NULL;
	assert_int_equal(az_session_describe(x->s, &desc, &d), 0);
	assert_true(json_is_object(desc));
	char *text = json_dumps(desc, 0);
	assert_non_null(strstr(text, emu_client_id(the_emu)));
	assert_null(strstr(text, emu_client_secret(the_emu)));
	assert_null(strstr(text, "eyJ")); /* no JWT */
	free(text);
	json_decref(desc);
	az_diags_clear(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(arm_put_read_list_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(arm_put_waits_for_location_and_async_operations,
						setup, teardown),
		cmocka_unit_test_setup_teardown(arm_read_of_missing_is_null, setup, teardown),
		cmocka_unit_test_setup_teardown(arm_private_endpoint_with_its_zone_group, setup,
						teardown),
		cmocka_unit_test_setup_teardown(synapse_artifacts_put_get_list_delete, setup,
						teardown),
		cmocka_unit_test_setup_teardown(synapse_trigger_start_and_stop, setup, teardown),
		cmocka_unit_test_setup_teardown(synapse_rbac_list_follows_continuation, setup,
						teardown),
		cmocka_unit_test_setup_teardown(graph_upserts_applications_and_service_principals,
						setup, teardown),
		cmocka_unit_test_setup_teardown(graph_federated_credentials_by_name, setup, teardown),
		cmocka_unit_test_setup_teardown(session_describes_the_identity_without_secrets,
						setup, teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
