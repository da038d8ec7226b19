/*
 * test_arm.c - the emulator's ARM behaviour: CRUD, server fields, paging,
 * long-running operations in both header styles, the errors azapply must
 * handle (api-version, not found, validation, create-only, preconditions,
 * role assignments), tokens and audiences, throttling, fault rules, the
 * request log, and a clean (leak-free) shutdown.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <azapply/provider.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"

static emu *E;
static char *ARM_TOKEN;
static char *AUTH;

static int setup(void **state)
{
	(void)state;
	const char *args[] = {"--page-size", "2", "--throttle-scale", "100", NULL};
	if (emu_start(&E, args))
		return -1;
	ARM_TOKEN = emu_token(E, "https://management.azure.com/.default");
	if (!ARM_TOKEN)
		return -1;
	AUTH = az_xasprintf("Authorization: Bearer %s", ARM_TOKEN);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(ARM_TOKEN);
	free(AUTH);
	/* The emulator runs under the sanitizers too: a leak makes it exit non-zero. */
	int rc = emu_stop(E);
	assert_int_equal(rc, 0);
	return 0;
}

/* Sends an ARM request with the built-in principal's token. */
static void arm(emu_response *r, const char *method, const char *path, const char *body)
{
	const char *headers[] = {AUTH, "Content-Type: application/json", NULL};
	assert_int_equal(emu_http(E, r, method, path, headers, body, body ? strlen(body) : 0), 0);
}

/* "/subscriptions/{sub}" + `tmpl` with its "%s" replaced by `name`. */
static char *sub_path(const char *tmpl, const char *name)
{
	const char *hole = strstr(tmpl, "%s");
	size_t head = hole ? (size_t)(hole - tmpl) : strlen(tmpl);
	return az_xasprintf("/subscriptions/%s%.*s%s%s", emu_subscription_id(E), (int)head, tmpl,
			    hole ? name : "", hole ? hole + 2 : "");
}

static void put_rg(const char *rg)
{
	emu_response r;
	char *p = sub_path("/resourceGroups/%s?api-version=2021-04-01", rg);
	arm(&r, "PUT", p, "{\"location\":\"eastus\",\"tags\":{\"env\":\"test\"}}");
	assert_true(r.status == 201 || r.status == 200);
	emu_response_free(&r);
	free(p);
}

static const char *str(json_t *o, const char *path)
{
	json_t *cur = o;
	char *copy = az_xstrdup(path);
	for (char *p = copy, *dot; p && cur; p = dot ? dot + 1 : NULL) {
		dot = strchr(p, '.');
		if (dot)
			*dot = '\0';
		cur = json_object_get(cur, p);
	}
	free(copy);
	return json_string_value(cur);
}

/* Follows a Location or Azure-AsyncOperation URL until the operation ends. */
static void poll_until_done(const char *url, bool async_style, emu_response *final)
{
	const char *headers[] = {AUTH, NULL};
	for (int i = 0; i < 20; i++) {
		assert_int_equal(emu_http(E, final, "GET", url, headers, NULL, 0), 0);
		if (async_style) {
			assert_int_equal(final->status, 200);
			const char *st = str(final->json, "status");
			assert_non_null(st);
			if (strcmp(st, "InProgress"))
				return;
		} else if (final->status != 202) {
			return;
		}
		emu_response_free(final);
	}
	fail_msg("the operation never ended");
}

static void test_resource_group_crud_and_server_fields(void **state)
{
	(void)state;
	emu_response r;
	put_rg("rg-crud");
	char *p = sub_path("/resourceGroups/%s?api-version=2021-04-01", "RG-CRUD");
	arm(&r, "GET", p, NULL);
	assert_int_equal(r.status, 200);
	assert_string_equal(str(r.json, "name"), "rg-crud");
	assert_string_equal(str(r.json, "type"), "Microsoft.Resources/resourceGroups");
	assert_string_equal(str(r.json, "properties.provisioningState"), "Succeeded");
	char *rid = emu_response_header(&r, "x-ms-request-id");
	assert_non_null(rid);
	free(rid);
	emu_response_free(&r);

	const char *headers[] = {AUTH, "x-ms-correlation-request-id: corr-123", NULL};
	assert_int_equal(emu_http(E, &r, "GET", p, headers, NULL, 0), 0);
	char *corr = emu_response_header(&r, "x-ms-correlation-request-id");
	assert_string_equal(corr, "corr-123");
	free(corr);
	emu_response_free(&r);
	free(p);
}

static void test_api_version_errors(void **state)
{
	(void)state;
	emu_response r;
	char *p = sub_path("/resourceGroups/%s", "rg-x");
	arm(&r, "GET", p, NULL);
	assert_int_equal(r.status, 400);
	assert_string_equal(str(r.json, "error.code"), "MissingApiVersionParameter");
	emu_response_free(&r);
	free(p);
	put_rg("rg-api");
	p = sub_path("/resourceGroups/%s/providers/Microsoft.Storage/storageAccounts/sa?"
		     "api-version=1999-01-01",
		     "rg-api");
	arm(&r, "GET", p, NULL);
	assert_int_equal(r.status, 400);
	assert_string_equal(str(r.json, "error.code"), "InvalidApiVersionParameter");
	emu_response_free(&r);
	free(p);
}

static void test_not_found_shapes(void **state)
{
	(void)state;
	emu_response r;
	char *p = sub_path("/resourceGroups/%s/providers/Microsoft.KeyVault/vaults/kv?"
			   "api-version=2023-07-01",
			   "no-such-rg");
	arm(&r, "GET", p, NULL);
	assert_int_equal(r.status, 404);
	assert_string_equal(str(r.json, "error.code"), "ResourceGroupNotFound");
	char *cause = emu_response_header(&r, "x-ms-failure-cause");
	assert_string_equal(cause, "gateway");
	free(cause);
	emu_response_free(&r);
	free(p);

	put_rg("rg-nf");
	p = sub_path("/resourceGroups/%s/providers/Microsoft.KeyVault/vaults/kv?"
		     "api-version=2023-07-01",
		     "rg-nf");
	arm(&r, "GET", p, NULL);
	assert_int_equal(r.status, 404);
	assert_string_equal(str(r.json, "error.code"), "ResourceNotFound");
	emu_response_free(&r);
	arm(&r, "DELETE", p, NULL);
	assert_int_equal(r.status, 204);
	emu_response_free(&r);
	free(p);
}

static void test_storage_create_location_lro(void **state)
{
	(void)state;
	emu_response r, fin;
	put_rg("rg-st");
	char *p = sub_path("/resourceGroups/%s/providers/Microsoft.Storage/storageAccounts/"
			   "stlro?api-version=2025-06-01",
			   "rg-st");
	arm(&r, "PUT", p, "{\"location\":\"eastus\",\"kind\":\"StorageV2\","
			  "\"sku\":{\"name\":\"Standard_LRS\"}}");
	assert_int_equal(r.status, 202);
	assert_int_equal(r.body_len, 0);
	char *loc = emu_response_header(&r, "Location");
	assert_non_null(loc);
	assert_non_null(strstr(loc, "monitor=true"));
	char *async = emu_response_header(&r, "Azure-AsyncOperation");
	assert_null(async);
	emu_response_free(&r);

	/* 404 while the 202-created resource is still being created. */
	arm(&r, "GET", p, NULL);
	assert_int_equal(r.status, 404);
	emu_response_free(&r);

	poll_until_done(loc, false, &fin);
	assert_int_equal(fin.status, 200);
	assert_string_equal(str(fin.json, "name"), "stlro");
	assert_string_equal(str(fin.json, "properties.accessTier"), "Hot");
	assert_string_equal(str(fin.json, "properties.primaryEndpoints.blob"),
			    "https://stlro.blob.core.windows.net/");
	emu_response_free(&fin);
	free(loc);

	arm(&r, "GET", p, NULL);
	assert_int_equal(r.status, 200);
	emu_response_free(&r);

	/* isHnsEnabled is create-only. */
	arm(&r, "PUT", p, "{\"location\":\"eastus\",\"kind\":\"StorageV2\","
			  "\"sku\":{\"name\":\"Standard_LRS\"},\"properties\":{\"isHnsEnabled\":true}}");
	assert_int_equal(r.status, 409);
	emu_response_free(&r);
	free(p);
}

static void test_validation_errors(void **state)
{
	(void)state;
	emu_response r;
	put_rg("rg-val");
	char *p = sub_path("/resourceGroups/%s/providers/Microsoft.Storage/storageAccounts/"
			   "stval?api-version=2025-06-01",
			   "rg-val");
	arm(&r, "PUT", p, "{\"kind\":\"StorageV2\",\"sku\":{\"name\":\"Standard_LRS\"}}");
	assert_int_equal(r.status, 400);
	assert_string_equal(str(r.json, "error.code"), "LocationRequired");
	emu_response_free(&r);
	arm(&r, "PUT", p, "{\"location\":\"eastus\",\"kind\":\"StorageV2\"}");
	assert_int_equal(r.status, 400);
	emu_response_free(&r);
	arm(&r, "PUT", p, "{\"location\":\"eastus\",\"kind\":\"StorageV2\","
			  "\"sku\":{\"name\":\"Gold\"}}");
	assert_int_equal(r.status, 400);
	assert_string_equal(str(r.json, "error.code"), "InvalidParameter");
	emu_response_free(&r);
	arm(&r, "PUT", p, "{not json");
	assert_int_equal(r.status, 400);
	emu_response_free(&r);
	free(p);
}

static void test_synapse_workspace_async_lro_and_secret(void **state)
{
	(void)state;
	emu_response r, fin;
	put_rg("rg-syn");
	char *p = sub_path("/resourceGroups/%s/providers/Microsoft.Synapse/workspaces/wsasync?"
			   "api-version=2021-06-01",
			   "rg-syn");
	arm(&r, "PUT", p,
	    "{\"location\":\"eastus\",\"identity\":{\"type\":\"SystemAssigned\"},"
	    "\"properties\":{\"defaultDataLakeStorage\":{\"accountUrl\":"
	    "\"https://a.dfs.core.windows.net\",\"filesystem\":\"fs\"},"
	    "\"sqlAdministratorLogin\":\"sqladmin\",\"sqlAdministratorLoginPassword\":\"Secret-123\"}}");
	assert_int_equal(r.status, 201);
	char *async = emu_response_header(&r, "Azure-AsyncOperation");
	char *loc = emu_response_header(&r, "Location");
	assert_non_null(async);
	assert_null(loc);
	assert_null(strstr(r.body, "Secret-123"));
	assert_non_null(str(r.json, "identity.principalId"));
	emu_response_free(&r);
	poll_until_done(async, true, &fin);
	assert_string_equal(str(fin.json, "status"), "Succeeded");
	emu_response_free(&fin);
	free(async);

	arm(&r, "GET", p, NULL);
	assert_int_equal(r.status, 200);
	assert_null(strstr(r.body, "Secret-123"));
	char *dev = az_xasprintf("https://wsasync.dev.localhost:%d", emu_port(E));
	assert_string_equal(str(r.json, "properties.connectivityEndpoints.dev"), dev);
	free(dev);
	emu_response_free(&r);

	arm(&r, "PUT", p,
	    "{\"location\":\"eastus\",\"properties\":{\"defaultDataLakeStorage\":{\"accountUrl\":"
	    "\"https://other.dfs.core.windows.net\",\"filesystem\":\"fs\"}}}");
	assert_int_equal(r.status, 409);
	emu_response_free(&r);
	free(p);
}

/* A DELETE answered 202 with Location only, whose poll ends in
 * `final_status`; the resource is gone after it. */
static void delete_by_location(const char *path, long final_status)
{
	emu_response r, fin;
	arm(&r, "DELETE", path, NULL);
	assert_int_equal(r.status, 202);
	char *loc = emu_response_header(&r, "Location");
	char *async = emu_response_header(&r, "Azure-AsyncOperation");
	assert_non_null(loc);
	assert_null(async);
	emu_response_free(&r);
	poll_until_done(loc, false, &fin);
	assert_int_equal(fin.status, final_status);
	emu_response_free(&fin);
	free(loc);
	arm(&r, "GET", path, NULL);
	assert_int_equal(r.status, 404);
	emu_response_free(&r);
}

/* A Synapse workspace in a new resource group; its path, to free. */
static char *put_workspace(const char *rg, const char *name)
{
	emu_response r;
	char *tmpl = az_xasprintf("/resourceGroups/%%s/providers/Microsoft.Synapse/workspaces/%s?"
				  "api-version=2021-06-01",
				  name);
	char *ws = sub_path(tmpl, rg);
	free(tmpl);
	put_rg(rg);
	arm(&r, "PUT", ws,
	    "{\"location\":\"eastus\",\"properties\":{\"defaultDataLakeStorage\":{\"accountUrl\":"
	    "\"https://a.dfs.core.windows.net\",\"filesystem\":\"fs\"}}}");
	assert_int_equal(r.status, 201);
	emu_response_free(&r);
	return ws;
}

static void test_spark_pool_delete_location_ends_204(void **state)
{
	(void)state;
	emu_response r, fin;
	char *ws = put_workspace("rg-syn", "wspool");
	/* A pool waits for the workspace's own operation (else 409). */
	for (int i = 0; i < 5; i++) {
		arm(&r, "GET", ws, NULL);
		emu_response_free(&r);
	}
	char *pool = sub_path("/resourceGroups/%s/providers/Microsoft.Synapse/workspaces/wspool/"
			      "bigDataPools/pool1?api-version=2021-06-01",
			      "rg-syn");
	arm(&r, "PUT", pool,
	    "{\"location\":\"eastus\",\"properties\":{\"nodeSize\":\"Small\","
	    "\"nodeSizeFamily\":\"MemoryOptimized\",\"sparkVersion\":\"3.4\"}}");
	assert_int_equal(r.status, 202);
	char *async = emu_response_header(&r, "Azure-AsyncOperation");
	char *loc = emu_response_header(&r, "Location");
	assert_non_null(async);
	assert_non_null(loc);
	emu_response_free(&r);
	poll_until_done(loc, false, &fin);
	assert_int_equal(fin.status, 200);
	emu_response_free(&fin);
	free(async);
	free(loc);

	delete_by_location(pool, 204);
	free(pool);
	free(ws);
}

/* integrationRuntime.json 2021-06-01: the PUT is long-running (202 with
 * Location, the runtime not there until done), the body carries a bare
 * etag and the runtime's type (IntegrationRuntimes_Get.json), the list is
 * {"value": [...]} (_ListByWorkspace.json) and the DELETE is long-running
 * too, ending in 200 (_Delete.json). */
static void test_integration_runtime_lro_and_etag(void **state)
{
	(void)state;
	emu_response r, fin;
	char *ws = put_workspace("rg-ir", "wsir");
	char *ir = sub_path("/resourceGroups/%s/providers/Microsoft.Synapse/workspaces/wsir/"
			    "integrationRuntimes/shir?api-version=2021-06-01",
			    "rg-ir");
	arm(&r, "PUT", ir, "{\"properties\":{\"type\":\"Elastic\"}}");
	assert_int_equal(r.status, 400);
	emu_response_free(&r);
	arm(&r, "PUT", ir,
	    "{\"properties\":{\"type\":\"SelfHosted\",\"description\":\"A selfhosted "
	    "integration runtime\"}}");
	assert_int_equal(r.status, 202);
	char *loc = emu_response_header(&r, "Location");
	assert_non_null(loc);
	emu_response_free(&r);
	poll_until_done(loc, false, &fin);
	assert_int_equal(fin.status, 200);
	emu_response_free(&fin);
	free(loc);

	arm(&r, "GET", ir, NULL);
	assert_int_equal(r.status, 200);
	assert_string_equal(str(r.json, "name"), "shir");
	assert_string_equal(str(r.json, "properties.type"), "SelfHosted");
	const char *etag = str(r.json, "etag");
	assert_non_null(etag);
	assert_true(etag[0] != '"' && etag[0] != 'W');
	assert_null(json_object_get(json_object_get(r.json, "properties"), "provisioningState"));
	emu_response_free(&r);

	char *list = sub_path("/resourceGroups/%s/providers/Microsoft.Synapse/workspaces/wsir/"
			      "integrationRuntimes?api-version=2021-06-01",
			      "rg-ir");
	arm(&r, "GET", list, NULL);
	assert_int_equal(r.status, 200);
	assert_int_equal(json_array_size(json_object_get(r.json, "value")), 1);
	emu_response_free(&r);

	delete_by_location(ir, 200);
	free(list);
	free(ir);
	free(ws);
}

static void test_paging_with_next_link(void **state)
{
	(void)state;
	emu_response r;
	put_rg("rg-page");
	for (int i = 0; i < 5; i++) {
		char name[32];
		snprintf(name, sizeof(name), "kvpage%d", i);
		char *p = az_xasprintf("/subscriptions/%s/resourceGroups/rg-page/providers/"
				       "Microsoft.KeyVault/vaults/%s?api-version=2023-07-01",
				       emu_subscription_id(E), name);
		char *body = az_xasprintf("{\"location\":\"eastus\",\"properties\":{\"tenantId\":"
					  "\"%s\",\"sku\":{\"name\":\"standard\",\"family\":\"A\"}}}",
					  emu_tenant_id(E));
		arm(&r, "PUT", p, body);
		assert_int_equal(r.status, 201);
		emu_response_free(&r);
		free(p);
		free(body);
	}
	char *url = sub_path("/resourceGroups/%s/providers/Microsoft.KeyVault/vaults?"
			     "api-version=2023-07-01",
			     "rg-page");
	size_t total = 0;
	int pages = 0;
	while (url) {
		arm(&r, "GET", url, NULL);
		assert_int_equal(r.status, 200);
		total += json_array_size(json_object_get(r.json, "value"));
		pages++;
		free(url);
		const char *next = str(r.json, "nextLink");
		url = next ? az_xstrdup(next) : NULL;
		emu_response_free(&r);
	}
	assert_int_equal(total, 5);
	assert_int_equal(pages, 3);

	/* Deleting the group removes the vaults, and soft-deletes their names. */
	char *rg = sub_path("/resourceGroups/%s?api-version=2021-04-01", "rg-page");
	arm(&r, "DELETE", rg, NULL);
	assert_int_equal(r.status, 202);
	char *loc = emu_response_header(&r, "Location");
	emu_response_free(&r);
	emu_response fin;
	poll_until_done(loc, false, &fin);
	assert_int_equal(fin.status, 200);
	emu_response_free(&fin);
	free(loc);
	put_rg("rg-page2");
	char *p = sub_path("/resourceGroups/%s/providers/Microsoft.KeyVault/vaults/kvpage1?"
			   "api-version=2023-07-01",
			   "rg-page2");
	char *body = az_xasprintf("{\"location\":\"eastus\",\"properties\":{\"tenantId\":\"%s\","
				  "\"sku\":{\"name\":\"standard\",\"family\":\"A\"}}}",
				  emu_tenant_id(E));
	arm(&r, "PUT", p, body);
	assert_int_equal(r.status, 409);
	assert_string_equal(str(r.json, "error.code"), "ConflictError");
	emu_response_free(&r);
	free(body);
	free(p);
	free(rg);
}

/* The Synapse resource provider ends a list with "nextLink": "", as its
 * examples do (ListIpFirewallRules.json); the others leave it out. */
static void test_synapse_lists_end_with_an_empty_next_link(void **state)
{
	(void)state;
	emu_response r;
	put_rg("rg-syn");
	char *ws = sub_path("/resourceGroups/%s/providers/Microsoft.Synapse/workspaces/wsrules?"
			    "api-version=2021-06-01",
			    "rg-syn");
	arm(&r, "PUT", ws,
	    "{\"location\":\"eastus\",\"properties\":{\"defaultDataLakeStorage\":{\"accountUrl\":"
	    "\"https://a.dfs.core.windows.net\",\"filesystem\":\"fs\"}}}");
	assert_int_equal(r.status, 201);
	emu_response_free(&r);
	for (int i = 1; i <= 3; i++) {
		char *rule = az_xasprintf("/subscriptions/%s/resourceGroups/rg-syn/providers/"
					  "Microsoft.Synapse/workspaces/wsrules/firewallRules/r%d?"
					  "api-version=2021-06-01",
					  emu_subscription_id(E), i);
		char *body = az_xasprintf("{\"properties\":{\"startIpAddress\":\"10.0.0.%d\","
					  "\"endIpAddress\":\"10.0.0.%d\"}}",
					  i, i);
		arm(&r, "PUT", rule, body);
		assert_true(r.status == 200 || r.status == 201);
		emu_response_free(&r);
		free(rule);
		free(body);
	}
	assert_int_equal(emu_control(E, "PUT", "settings", "{\"pageSize\":2}", NULL), 200);
	char *url = sub_path("/resourceGroups/%s/providers/Microsoft.Synapse/workspaces/wsrules/"
			     "firewallRules?api-version=2021-06-01",
			     "rg-syn");
	arm(&r, "GET", url, NULL);
	assert_int_equal(r.status, 200);
	assert_int_equal(json_array_size(json_object_get(r.json, "value")), 2);
	char *next = az_xstrdup(str(r.json, "nextLink"));
	assert_true(*next);
	emu_response_free(&r);
	arm(&r, "GET", next, NULL);
	assert_int_equal(r.status, 200);
	assert_int_equal(json_array_size(json_object_get(r.json, "value")), 1);
	assert_string_equal(str(r.json, "nextLink"), "");
	emu_response_free(&r);
	assert_int_equal(emu_control(E, "PUT", "settings", "{\"pageSize\":100}", NULL), 200);
	free(next);
	free(url);
	free(ws);
}

/* How many resources the list at `url` holds, over all its pages. */
static size_t tagged_listed(const char *url)
{
	emu_response r;
	size_t total = 0;
	char *at = az_xstrdup(url);
	while (at) {
		arm(&r, "GET", at, NULL);
		assert_int_equal(r.status, 200);
		total += json_array_size(json_object_get(r.json, "value"));
		free(at);
		const char *next = str(r.json, "nextLink");
		at = next && *next ? az_xstrdup(next) : NULL;
		emu_response_free(&r);
	}
	return total;
}

static void test_tag_filtered_list(void **state)
{
	(void)state;
	emu_response r;
	put_rg("rg-tags");
	char *p = sub_path("/resourceGroups/%s/providers/Microsoft.Insights/components/ai1?"
			   "api-version=2020-02-02",
			   "rg-tags");
	arm(&r, "PUT", p, "{\"location\":\"eastus\",\"kind\":\"web\",\"tags\":{\"stack\":\"s1\"},"
			  "\"properties\":{\"Application_Type\":\"web\"}}");
	/* Application Insights answers a create 200 (recordings). */
	assert_int_equal(r.status, 200);
	emu_response_free(&r);
	char *list = sub_path("%s", "/resources?api-version=2021-04-01&$filter=tagName%20eq%20"
				    "'stack'%20and%20tagValue%20eq%20's1'");
	assert_int_equal(tagged_listed(list), 1);

	/* The list's pages come from what it collected for its first page,
	 * until anything it holds changes: each list after a write sees it,
	 * over its pages (two items a page here). */
	char *names[3];
	for (int i = 0; i < 3; i++) {
		char name[16];
		snprintf(name, sizeof(name), "ai-more%d", i);
		names[i] = sub_path("/resourceGroups/rg-tags/providers/Microsoft.Insights/components/"
				    "%s?api-version=2020-02-02",
				    name);
		arm(&r, "PUT", names[i],
		    "{\"location\":\"eastus\",\"kind\":\"web\",\"tags\":{\"stack\":\"s1\"},"
		    "\"properties\":{\"Application_Type\":\"web\"}}");
		assert_int_equal(r.status, 200);
		emu_response_free(&r);
		assert_int_equal(tagged_listed(list), 2 + i);
	}
	/* Tagged for another stack: out of this list. */
	arm(&r, "PUT", p, "{\"location\":\"eastus\",\"kind\":\"web\",\"tags\":{\"stack\":\"s2\"},"
			  "\"properties\":{\"Application_Type\":\"web\"}}");
	assert_int_equal(r.status, 200);
	emu_response_free(&r);
	assert_int_equal(tagged_listed(list), 3);
	for (int i = 0; i < 3; i++) {
		arm(&r, "DELETE", names[i], NULL);
		assert_true(r.status == 200 || r.status == 204);
		emu_response_free(&r);
		assert_int_equal(tagged_listed(list), 2 - i);
		free(names[i]);
	}
	free(list);
	free(p);
}

static void test_role_assignments(void **state)
{
	(void)state;
	emu_response r;
	json_t *creds = NULL;
	assert_int_equal(emu_control(E, "GET", "credentials", NULL, &creds), 200);
	const char *oid = str(creds, "objectId");
	put_rg("rg-ra");
	char *body = az_xasprintf(
		"{\"properties\":{\"roleDefinitionId\":\"/subscriptions/%s/providers/"
		"Microsoft.Authorization/roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c\","
		"\"principalId\":\"%s\",\"principalType\":\"ServicePrincipal\"}}",
		emu_subscription_id(E), oid);
	char *p1 = sub_path("/resourceGroups/%s/providers/Microsoft.Authorization/roleAssignments/"
			    "11111111-1111-1111-1111-111111111111?api-version=2022-04-01",
			    "rg-ra");
	char *p2 = sub_path("/resourceGroups/%s/providers/Microsoft.Authorization/roleAssignments/"
			    "22222222-2222-2222-2222-222222222222?api-version=2022-04-01",
			    "rg-ra");
	arm(&r, "PUT", p1, body);
	assert_int_equal(r.status, 201);
	/* Azure answers with the subscription form of the role definition id,
	 * whatever form the request used (recorded sessions, 2022-04-01;
	 * conformance/cli-role-assignment-create-update.json). */
	assert_string_equal(str(r.json, "properties.roleDefinitionId"),
			    "/subscriptions/00000000-0000-0000-0000-000000000000/providers/"
			    "Microsoft.Authorization/"
			    "roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c");
	emu_response_free(&r);
	arm(&r, "PUT", p1, body);
	assert_int_equal(r.status, 200);
	emu_response_free(&r);
	arm(&r, "PUT", p2, body);
	assert_int_equal(r.status, 409);
	assert_string_equal(str(r.json, "error.code"), "RoleAssignmentExists");
	assert_null(strstr(r.body, "11111111"));
	emu_response_free(&r);
	free(body);

	/* Listed at the subscription: without atScope() the assignment in the
	 * group below is there, with it only what applies at the scope. */
	char *all = az_xasprintf("/subscriptions/%s/providers/Microsoft.Authorization/"
				 "roleAssignments?api-version=2022-04-01", emu_subscription_id(E));
	arm(&r, "GET", all, NULL);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "11111111-1111-1111-1111-111111111111"));
	emu_response_free(&r);
	free(all);
	all = az_xasprintf("/subscriptions/%s/providers/Microsoft.Authorization/"
			   "roleAssignments?api-version=2022-04-01&$filter=atScope()",
			   emu_subscription_id(E));
	arm(&r, "GET", all, NULL);
	assert_int_equal(r.status, 200);
	assert_null(strstr(r.body, "11111111-1111-1111-1111-111111111111"));
	emu_response_free(&r);
	free(all);

	body = az_xasprintf("{\"properties\":{\"roleDefinitionId\":\"/providers/"
			    "Microsoft.Authorization/roleDefinitions/"
			    "acdd72a7-3385-48ef-bd42-f606fba81ae7\",\"principalId\":"
			    "\"99999999-9999-9999-9999-999999999999\"}}");
	arm(&r, "PUT", p2, body);
	assert_int_equal(r.status, 400);
	assert_string_equal(str(r.json, "error.code"), "PrincipalNotFound");
	emu_response_free(&r);
	free(body);

	char *defs = az_xasprintf("/subscriptions/%s/providers/Microsoft.Authorization/"
				  "roleDefinitions?api-version=2022-04-01&$filter=roleName%%20eq%%20"
				  "'AzureML%%20Data%%20Scientist'",
				  emu_subscription_id(E));
	arm(&r, "GET", defs, NULL);
	assert_int_equal(r.status, 200);
	json_t *v = json_array_get(json_object_get(r.json, "value"), 0);
	assert_string_equal(str(v, "name"), "f6c7c914-8db3-469d-8ca1-694a8f32e121");
	emu_response_free(&r);
	free(defs);
	json_decref(creds);
	free(p1);
	free(p2);
}

/* Sends `method` with the token and one conditional header (or none). */
static void arm_if(emu_response *r, const char *method, const char *path, const char *cond,
		   const char *body)
{
	const char *headers[] = {AUTH, "Content-Type: application/json", cond, NULL};
	assert_int_equal(emu_http(E, r, method, path, headers, body, body ? strlen(body) : 0), 0);
}

#define COMPONENT "{\"location\":\"eastus\",\"kind\":\"web\",\"properties\":" \
		  "{\"Application_Type\":\"web\",\"RetentionInDays\":%d}}"

/* An Application Insights component has an etag (components_API.json):
 * If-Match with it succeeds and makes a new one, a stale one is 412 in
 * ARM's error shape, and If-None-Match: * protects a create. */
static void test_etag_preconditions(void **state)
{
	(void)state;
	emu_response r;
	put_rg("rg-etag");
	char *p = sub_path("/resourceGroups/%s/providers/Microsoft.Insights/components/ai-etag?"
			   "api-version=2020-02-02",
			   "rg-etag");
	char *v90 = az_xasprintf(COMPONENT, 90), *v120 = az_xasprintf(COMPONENT, 120);

	/* If-Match: * matches only something that exists. */
	arm_if(&r, "PUT", p, "If-Match: *", v90);
	assert_int_equal(r.status, 412);
	emu_response_free(&r);
	arm_if(&r, "PUT", p, "If-None-Match: *", v90);
	assert_int_equal(r.status, 200);
	char *etag = az_xstrdup(str(r.json, "etag"));
	emu_response_free(&r);
	arm(&r, "GET", p, NULL);
	assert_string_equal(str(r.json, "etag"), etag);
	emu_response_free(&r);

	/* Exists now: a second create-only write is refused. */
	arm_if(&r, "PUT", p, "If-None-Match: *", v90);
	assert_int_equal(r.status, 412);
	assert_string_equal(str(r.json, "error.code"), "PreconditionFailed");
	assert_non_null(str(r.json, "error.message"));
	emu_response_free(&r);

	/* The etag read matches: written, with a new etag. */
	char *match = az_xasprintf("If-Match: %s", etag);
	arm_if(&r, "PUT", p, match, v120);
	assert_int_equal(r.status, 200);
	char *etag2 = az_xstrdup(str(r.json, "etag"));
	assert_string_not_equal(etag2, etag);
	emu_response_free(&r);

	/* The old etag is stale now, for PUT, PATCH and DELETE alike. */
	arm_if(&r, "PUT", p, match, v90);
	assert_int_equal(r.status, 412);
	assert_string_equal(str(r.json, "error.code"), "PreconditionFailed");
	emu_response_free(&r);
	arm_if(&r, "PATCH", p, match, "{\"tags\":{\"a\":\"b\"}}");
	assert_int_equal(r.status, 412);
	emu_response_free(&r);
	arm_if(&r, "DELETE", p, match, NULL);
	assert_int_equal(r.status, 412);
	emu_response_free(&r);
	arm(&r, "GET", p, NULL);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r.json, "properties"),
							    "RetentionInDays")),
			 120);
	emu_response_free(&r);

	/* Another client's write (the control API) changes the etag too. */
	char *id = sub_path("/resourceGroups/%s/providers/Microsoft.Insights/components/ai-etag",
			    "rg-etag");
	char *control = az_xasprintf("arm%s", id);
	assert_int_equal(emu_control(E, "PATCH", control, "{\"tags\":{\"by\":\"someone\"}}", NULL),
			 200);
	char *match2 = az_xasprintf("If-Match: %s", etag2);
	arm_if(&r, "PUT", p, match2, v90);
	assert_int_equal(r.status, 412);
	emu_response_free(&r);
	arm(&r, "GET", p, NULL);
	assert_string_not_equal(str(r.json, "etag"), etag2);
	assert_string_equal(str(r.json, "tags.by"), "someone");
	emu_response_free(&r);
	arm_if(&r, "PUT", p, "If-Match: *", v90);
	assert_int_equal(r.status, 200);
	emu_response_free(&r);

	free(match2);
	free(control);
	free(id);
	free(match);
	free(etag2);
	free(etag);
	free(v90);
	free(v120);
	free(p);
}

/* A type whose spec has no etag (resource groups: ResourceGroup in
 * resources.json; storage accounts) returns none and its provider ignores
 * conditional headers: there is nothing they could be compared with. */
static void test_no_etag_no_preconditions(void **state)
{
	(void)state;
	emu_response r;
	put_rg("rg-noetag");
	char *p = sub_path("/resourceGroups/%s?api-version=2021-04-01", "rg-noetag");
	arm(&r, "GET", p, NULL);
	assert_null(json_object_get(r.json, "etag"));
	emu_response_free(&r);
	const char *body = "{\"location\":\"eastus\"}";
	arm_if(&r, "PUT", p, "If-None-Match: *", body);
	assert_int_equal(r.status, 200);
	assert_null(json_object_get(r.json, "etag"));
	emu_response_free(&r);
	arm_if(&r, "PUT", p, "If-Match: \"nope\"", body);
	assert_int_equal(r.status, 200);
	emu_response_free(&r);
	free(p);
}

static void test_auth_errors(void **state)
{
	(void)state;
	emu_response r;
	char *p = sub_path("%s", "?api-version=2022-12-01");
	assert_int_equal(emu_http(E, &r, "GET", p, NULL, NULL, 0), 0);
	assert_int_equal(r.status, 401);
	char *www = emu_response_header(&r, "WWW-Authenticate");
	assert_non_null(www);
	free(www);
	emu_response_free(&r);

	/* A Graph token is refused by ARM. */
	char *graph = emu_token(E, "https://graph.microsoft.com/.default");
	assert_non_null(graph);
	char *h = az_xasprintf("Authorization: Bearer %s", graph);
	const char *headers[] = {h, NULL};
	assert_int_equal(emu_http(E, &r, "GET", p, headers, NULL, 0), 0);
	assert_int_equal(r.status, 401);
	assert_string_equal(str(r.json, "error.code"), "InvalidAuthenticationToken");
	emu_response_free(&r);
	free(h);
	free(graph);

	/* A wrong secret is refused in AAD's shape. */
	char *url = az_xasprintf("https://login.localhost:%d/%s/oauth2/v2.0/token", emu_port(E),
				 emu_tenant_id(E));
	char *form = az_xasprintf("grant_type=client_credentials&client_id=%s&client_secret=bad"
				  "&scope=https%%3A%%2F%%2Fmanagement.azure.com%%2F.default",
				  emu_client_id(E));
	const char *fh[] = {"Content-Type: application/x-www-form-urlencoded", NULL};
	assert_int_equal(emu_http(E, &r, "POST", url, fh, form, strlen(form)), 0);
	assert_int_equal(r.status, 401);
	assert_string_equal(str(r.json, "error"), "invalid_client");
	assert_non_null(strstr(str(r.json, "error_description"), "AADSTS7000215"));
	emu_response_free(&r);
	free(url);
	free(form);

	/* Expired tokens: shorten the lifetime, mint, wait. */
	assert_int_equal(emu_control(E, "PUT", "settings", "{\"tokenLifetime\":1}", NULL), 200);
	char *short_lived = emu_token(E, "https://management.azure.com/.default");
	assert_int_equal(emu_control(E, "PUT", "settings", "{\"tokenLifetime\":3599}", NULL), 200);
	h = az_xasprintf("Authorization: Bearer %s", short_lived);
	headers[0] = h;
	struct timespec ts = {2, 100000000L};
	nanosleep(&ts, NULL);
	assert_int_equal(emu_http(E, &r, "GET", p, headers, NULL, 0), 0);
	assert_int_equal(r.status, 401);
	assert_string_equal(str(r.json, "error.code"), "AuthenticationFailed");
	emu_response_free(&r);
	free(h);
	free(short_lived);
	free(p);
}

static void test_throttling(void **state)
{
	(void)state;
	emu_response r;
	/* 0.01 x 250 reads = a bucket of 2, refilled at 0.25 per second. */
	assert_int_equal(emu_control(E, "PUT", "settings", "{\"throttleScale\":0.01}", NULL), 200);
	char *p = sub_path("%s", "?api-version=2022-12-01");
	int throttled = 0;
	for (int i = 0; i < 5; i++) {
		arm(&r, "GET", p, NULL);
		if (r.status == 429) {
			throttled++;
			char *ra = emu_response_header(&r, "Retry-After");
			assert_non_null(ra);
			assert_true(atoi(ra) >= 1 && atoi(ra) <= 4);
			free(ra);
		}
		emu_response_free(&r);
	}
	assert_true(throttled >= 3);
	assert_int_equal(emu_control(E, "PUT", "settings", "{\"throttleScale\":100}", NULL), 200);
	arm(&r, "GET", p, NULL);
	assert_int_equal(r.status, 200);
	char *rem = emu_response_header(&r, "x-ms-ratelimit-remaining-subscription-reads");
	assert_non_null(rem);
	free(rem);
	emu_response_free(&r);
	free(p);
}

/* GET /_emulator/usage: the emulator's own CPU, which grows with the
 * requests it answers, and its peak memory. */
static void test_usage_counts_the_emulators_cpu(void **state)
{
	(void)state;
	json_t *before = NULL, *after = NULL;
	assert_int_equal(emu_control(E, "GET", "usage", NULL, &before), 200);
	assert_true(json_is_integer(json_object_get(before, "cpuMs")));
	assert_true(json_integer_value(json_object_get(before, "peakKb")) > 1024);
	for (int i = 0; i < 20; i++) {
		emu_response r;
		char name[32];
		snprintf(name, sizeof(name), "rg-usage-%d", i);
		char *p = sub_path("/resourceGroups/%s?api-version=2021-04-01", name);
		arm(&r, "GET", p, NULL);
		assert_int_equal(r.status, 404);
		emu_response_free(&r);
		free(p);
	}
	assert_int_equal(emu_control(E, "GET", "usage", NULL, &after), 200);
	assert_true(json_integer_value(json_object_get(after, "cpuMs")) >
		    json_integer_value(json_object_get(before, "cpuMs")));
	json_decref(before);
	json_decref(after);
}

static void test_fault_rules_and_log(void **state)
{
	(void)state;
	emu_response r;
	assert_int_equal(emu_control(E, "DELETE", "log", NULL, NULL), 200);
	json_t *rule = NULL;
	assert_int_equal(
		emu_control(E, "POST", "faults",
			    "{\"method\":\"GET\",\"path\":\"resourceGroups/rg-fault\\\\?\","
			    "\"status\":503,\"times\":1,\"headers\":{\"Retry-After\":\"1\"},"
			    "\"body\":{\"error\":{\"code\":\"ServerBusy\",\"message\":\"busy\"}}}",
			    &rule),
		200);
	put_rg("rg-fault");
	char *p = sub_path("/resourceGroups/%s?api-version=2021-04-01", "rg-fault");
	arm(&r, "GET", p, NULL);
	assert_int_equal(r.status, 503);
	assert_string_equal(str(r.json, "error.code"), "ServerBusy");
	emu_response_free(&r);
	arm(&r, "GET", p, NULL);
	assert_int_equal(r.status, 200);
	emu_response_free(&r);

	assert_int_equal(emu_control(E, "POST", "faults",
				     "{\"path\":\"rg-drop\",\"drop\":true,\"times\":1}", NULL),
			 200);
	char *d = sub_path("/resourceGroups/%s?api-version=2021-04-01", "rg-drop");
	const char *dh[] = {AUTH, NULL};
	assert_int_equal(emu_http(E, &r, "GET", d, dh, NULL, 0), -1);
	assert_int_equal(r.status, 0);
	emu_response_free(&r);
	free(d);

	/* An LRO that ends Failed. */
	assert_int_equal(emu_control(E, "POST", "faults",
				     "{\"method\":\"PUT\",\"path\":\"workspaces/wsfail\","
				     "\"lroResult\":\"Failed\",\"times\":1}",
				     NULL),
			 200);
	char *ws = sub_path("/resourceGroups/%s/providers/Microsoft.Synapse/workspaces/wsfail?"
			    "api-version=2021-06-01",
			    "rg-fault");
	arm(&r, "PUT", ws,
	    "{\"location\":\"eastus\",\"properties\":{\"defaultDataLakeStorage\":{\"accountUrl\":"
	    "\"https://a.dfs.core.windows.net\",\"filesystem\":\"fs\"}}}");
	assert_int_equal(r.status, 201);
	char *async = emu_response_header(&r, "Azure-AsyncOperation");
	emu_response_free(&r);
	emu_response fin;
	poll_until_done(async, true, &fin);
	assert_string_equal(str(fin.json, "status"), "Failed");
	assert_non_null(str(fin.json, "error.code"));
	emu_response_free(&fin);
	free(async);
	free(ws);

	json_t *log = NULL;
	assert_int_equal(emu_control(E, "GET", "log", NULL, &log), 200);
	json_t *reqs = json_object_get(log, "requests");
	assert_true(json_array_size(reqs) >= 4);
	/* A record: the request as sent, what it was answered, the rule that
	 * fired, and its headers by lowercase name with the token masked. */
	size_t i;
	json_t *e, *faulted = NULL, *dropped = NULL, *put = NULL;
	json_array_foreach(reqs, i, e) {
		const char *path = json_string_value(json_object_get(e, "path"));
		const char *method = json_string_value(json_object_get(e, "method"));
		if (!faulted && strstr(path, "/rg-fault?") && !strcmp(method, "GET"))
			faulted = e;
		if (!dropped && strstr(path, "/rg-drop?"))
			dropped = e;
		if (!put && strstr(path, "/wsfail?") && !strcmp(method, "PUT"))
			put = e;
	}
	assert_non_null(faulted);
	assert_string_equal(json_string_value(json_object_get(faulted, "host")),
			    "management.localhost");
	assert_int_equal(json_integer_value(json_object_get(faulted, "status")), 503);
	assert_string_equal(json_string_value(json_object_get(faulted, "kind")), "reads");
	assert_string_equal(json_string_value(json_object_get(faulted, "fault")),
			    json_string_value(json_object_get(rule, "id")));
	assert_true(json_is_null(json_object_get(faulted, "body")));
	assert_true(json_integer_value(json_object_get(faulted, "startMs")) > 0);
	assert_true(json_is_integer(json_object_get(faulted, "durationMs")));
	assert_true(json_integer_value(json_object_get(faulted, "connection")) > 0);
	json_t *headers = json_object_get(faulted, "headers");
	assert_string_equal(json_string_value(json_object_get(headers, "authorization")),
			    "REDACTED");
	assert_non_null(json_object_get(headers, "host"));
	assert_null(json_object_get(headers, "Authorization"));
	assert_non_null(dropped);
	assert_int_equal(json_integer_value(json_object_get(dropped, "status")), 0);
	assert_non_null(put);
	assert_string_equal(json_string_value(json_object_get(put, "kind")), "writes");
	assert_string_equal(
		json_string_value(json_object_get(
			json_object_get(json_object_get(json_object_get(put, "body"), "properties"),
					"defaultDataLakeStorage"),
			"filesystem")),
		"fs");
	assert_null(json_object_get(put, "jsonText"));
	json_decref(rule);
	char *dump = json_dumps(log, 0);
	/* The log never keeps a bearer token. */
	assert_null(strstr(dump, ARM_TOKEN));
	free(dump);
	assert_true(json_integer_value(json_object_get(json_object_get(log, "counters"), "reads")) >=
		    2);
	json_decref(log);
	assert_int_equal(emu_control(E, "DELETE", "faults", NULL, NULL), 200);
	free(p);
}

static void test_out_of_band_drift(void **state)
{
	(void)state;
	emu_response r;
	put_rg("rg-drift");
	char *id = az_xasprintf("/subscriptions/%s/resourceGroups/rg-drift", emu_subscription_id(E));
	char *ctl = az_xasprintf("arm%s", id);
	assert_int_equal(emu_control(E, "PATCH", ctl, "{\"tags\":{\"changed\":\"yes\"}}", NULL),
			 200);
	char *p = az_xasprintf("%s?api-version=2021-04-01", id);
	arm(&r, "GET", p, NULL);
	assert_int_equal(r.status, 200);
	assert_string_equal(str(r.json, "tags.changed"), "yes");
	emu_response_free(&r);
	assert_int_equal(emu_control(E, "DELETE", ctl, NULL, NULL), 200);
	arm(&r, "GET", p, NULL);
	assert_int_equal(r.status, 404);
	emu_response_free(&r);
	free(p);
	free(ctl);
	free(id);

	/* A body without "type" (as tests seed spec example bodies) gets the
	 * type its id names, and lists keep working. */
	put_rg("rg-seed");
	id = az_xasprintf("/subscriptions/%s/resourceGroups/rg-seed/providers/Microsoft.KeyVault/"
			  "vaults/kv-seeded", emu_subscription_id(E));
	ctl = az_xasprintf("arm%s", id);
	assert_int_equal(emu_control(E, "PUT", ctl, "{\"location\":\"westeurope\"}", NULL), 200);
	p = az_xasprintf("/subscriptions/%s/resourceGroups/rg-seed/providers/Microsoft.KeyVault/"
			 "vaults?api-version=2023-07-01", emu_subscription_id(E));
	arm(&r, "GET", p, NULL);
	assert_int_equal(r.status, 200);
	json_t *item = json_array_get(json_object_get(r.json, "value"), 0);
	assert_string_equal(str(item, "type"), "Microsoft.KeyVault/vaults");
	emu_response_free(&r);
	free(p);
	free(ctl);
	free(id);
}

/* A new ML workspace comes with Azure's four datastores on its storage
 * account, credential-based and without their key in any read; they go
 * with the workspace. */
static void test_ml_workspace_default_datastores(void **state)
{
	(void)state;
	emu_response r;
	put_rg("rg-mlds");
	char *rg = sub_path("/resourceGroups/rg-mlds", "");
	char *ws = az_xasprintf("%s/providers/Microsoft.MachineLearningServices/workspaces/mlw-ds", rg);
	char *body = az_xasprintf(
		"{\"location\":\"westeurope\",\"identity\":{\"type\":\"SystemAssigned\"},"
		"\"properties\":{\"storageAccount\":\"%s/providers/Microsoft.Storage/"
		"storageAccounts/stmlds\",\"keyVault\":\"%s/providers/Microsoft.KeyVault/vaults/"
		"kv-mlds\",\"applicationInsights\":\"%s/providers/Microsoft.Insights/components/"
		"ai-mlds\"}}", rg, rg, rg);
	char *p = az_xasprintf("%s?api-version=2025-09-01", ws);
	arm(&r, "PUT", p, body);
	assert_int_equal(r.status, 202);
	const char *workspace_id = str(r.json, "properties.workspaceId");
	assert_non_null(workspace_id);
	char *blob_container = az_xasprintf("azureml-blobstore-%s", workspace_id);
	char *created = emu_response_header(&r, "Azure-AsyncOperation");
	assert_non_null(created);
	emu_response_free(&r);

	char *list = az_xasprintf("%s/datastores?api-version=2025-09-01", ws);
	arm(&r, "GET", list, NULL);
	assert_int_equal(r.status, 200);
	json_t *value = json_object_get(r.json, "value");
	assert_int_equal(json_array_size(value), 4);
	if (strstr(r.body, "\"key\""))
		fail_msg("a default datastore's key is in a list: %s", r.body);
	emu_response_free(&r);

	static const char *const names[] = {"workspaceblobstore", "workspaceworkingdirectory",
					    "workspacefilestore", "workspaceartifactstore"};
	static const char *const types[] = {"AzureBlob", "AzureFile", "AzureFile", "AzureBlob"};
	for (size_t i = 0; i < 4; i++) {
		char *one = az_xasprintf("%s/datastores/%s?api-version=2025-09-01", ws, names[i]);
		arm(&r, "GET", one, NULL);
		assert_int_equal(r.status, 200);
		assert_string_equal(str(r.json, "name"), names[i]);
		assert_string_equal(str(r.json, "type"),
				    "Microsoft.MachineLearningServices/workspaces/datastores");
		assert_string_equal(str(r.json, "properties.datastoreType"), types[i]);
		assert_string_equal(str(r.json, "properties.accountName"), "stmlds");
		assert_string_equal(str(r.json, "properties.credentials.credentialsType"),
				    "AccountKey");
		assert_string_equal(str(r.json, "properties.credentials.secrets.secretsType"),
				    "AccountKey");
		assert_null(str(r.json, "properties.credentials.secrets.key"));
		assert_string_equal(str(r.json, "properties.endpoint"), "core.windows.net");
		assert_string_equal(str(r.json, "properties.protocol"), "https");
		json_t *is_default = json_object_get(json_object_get(r.json, "properties"),
						     "isDefault");
		assert_true(json_is_boolean(is_default));
		assert_int_equal(json_is_true(is_default), i == 0);
		if (i == 0)
			assert_string_equal(str(r.json, "properties.containerName"),
					    blob_container);
		emu_response_free(&r);
		free(one);
	}

	/* Deleted with the workspace once it is made (purged, so nothing is
	 * held). */
	emu_response done;
	poll_until_done(created, true, &done);
	emu_response_free(&done);
	free(created);
	char *del = az_xasprintf("%s?api-version=2025-09-01&forceToPurge=true", ws);
	arm(&r, "DELETE", del, NULL);
	assert_int_equal(r.status, 202);
	char *deleted = emu_response_header(&r, "Azure-AsyncOperation");
	assert_non_null(deleted);
	emu_response_free(&r);
	poll_until_done(deleted, true, &done);
	emu_response_free(&done);
	free(deleted);
	arm(&r, "GET", list, NULL);
	assert_true(r.status == 404 || json_array_size(json_object_get(r.json, "value")) == 0);
	emu_response_free(&r);
	char *blob = az_xasprintf("%s/datastores/workspaceblobstore?api-version=2025-09-01", ws);
	arm(&r, "GET", blob, NULL);
	assert_int_equal(r.status, 404);
	emu_response_free(&r);
	free(blob);
	free(del);
	free(list);
	free(blob_container);
	free(p);
	free(body);
	free(ws);
	free(rg);
}

/* One DNS zone group per private endpoint: another name is refused while
 * one exists, and taken once it is deleted; the group itself updates. */
static void test_private_endpoint_one_zone_group(void **state)
{
	(void)state;
	emu_response r;
	put_rg("rg-pe");
	char *rg = sub_path("/resourceGroups/rg-pe", "");
	char *pe = az_xasprintf("%s/providers/Microsoft.Network/privateEndpoints/pe-one", rg);
	char *body = az_xasprintf(
		"{\"location\":\"westeurope\",\"properties\":{\"subnet\":{\"id\":\"%s/"
		"providers/Microsoft.Network/virtualNetworks/vnet/subnets/default\"}}}", rg);
	char *p = az_xasprintf("%s?api-version=2024-05-01", pe);
	arm(&r, "PUT", p, body);
	assert_int_equal(r.status, 201);
	emu_response_free(&r);
	char *group = az_xasprintf(
		"{\"properties\":{\"privateDnsZoneConfigs\":[{\"name\":\"blob\",\"properties\":"
		"{\"privateDnsZoneId\":\"%s/providers/Microsoft.Network/privateDnsZones/"
		"privatelink.blob.core.windows.net\"}}]}}", rg);
	char *first = az_xasprintf("%s/privateDnsZoneGroups/default?api-version=2024-05-01", pe);
	char *second = az_xasprintf("%s/privateDnsZoneGroups/other?api-version=2024-05-01", pe);
	arm(&r, "PUT", first, group);
	assert_int_equal(r.status, 201);
	emu_response_free(&r);
	arm(&r, "PUT", first, group);
	assert_int_equal(r.status, 200);
	emu_response_free(&r);

	arm(&r, "PUT", second, group);
	assert_int_equal(r.status, 400);
	assert_string_equal(str(r.json, "error.code"), "BadRequest");
	assert_non_null(strstr(str(r.json, "error.message"),
			       "Cannot create more than one private dns zone groups in the "
			       "private endpoint pe-one"));
	emu_response_free(&r);

	/* Refused while the first one's delete runs; taken once it ended. */
	arm(&r, "DELETE", first, NULL);
	assert_int_equal(r.status, 202);
	char *url = emu_response_header(&r, "Azure-AsyncOperation");
	assert_non_null(url);
	emu_response_free(&r);
	arm(&r, "PUT", second, group);
	assert_int_equal(r.status, 400);
	emu_response_free(&r);
	emu_response done;
	poll_until_done(url, true, &done);
	assert_string_equal(str(done.json, "status"), "Succeeded");
	emu_response_free(&done);
	arm(&r, "PUT", second, group);
	assert_int_equal(r.status, 201);
	emu_response_free(&r);
	free(url);
	free(second);
	free(first);
	free(group);
	free(p);
	free(body);
	free(pe);
	free(rg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resource_group_crud_and_server_fields),
		cmocka_unit_test(test_api_version_errors),
		cmocka_unit_test(test_not_found_shapes),
		cmocka_unit_test(test_storage_create_location_lro),
		cmocka_unit_test(test_validation_errors),
		cmocka_unit_test(test_synapse_workspace_async_lro_and_secret),
		cmocka_unit_test(test_spark_pool_delete_location_ends_204),
		cmocka_unit_test(test_integration_runtime_lro_and_etag),
		cmocka_unit_test(test_paging_with_next_link),
		cmocka_unit_test(test_synapse_lists_end_with_an_empty_next_link),
		cmocka_unit_test(test_tag_filtered_list),
		cmocka_unit_test(test_role_assignments),
		cmocka_unit_test(test_etag_preconditions),
		cmocka_unit_test(test_no_etag_no_preconditions),
		cmocka_unit_test(test_auth_errors),
		cmocka_unit_test(test_throttling),
		cmocka_unit_test(test_fault_rules_and_log),
		cmocka_unit_test(test_usage_counts_the_emulators_cpu),
		cmocka_unit_test(test_out_of_band_drift),
		cmocka_unit_test(test_ml_workspace_default_datastores),
		cmocka_unit_test(test_private_endpoint_one_zone_group),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
