/*
 * test_synapse.c - the emulator's Synapse data plane ({ws}.dev.localhost):
 * artifact PUT/DELETE as 202 operations polled through Location, reads,
 * paged lists, flat 404 bodies, SecureString masking, etags, trigger
 * start/stop and TriggerEnabledCannotUpdate, the workspace and audience
 * checks, and Synapse RBAC (role assignments with x-ms-continuation paging,
 * role definitions). Each expectation is a behaviour azure-notes.md records.
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
#include <unistd.h>

#include "testkit.h"

#define WS "synws"
#define ADMIN_ROLE "6e4bf58a-b8e1-4cc3-bbf9-d73143322b78"
#define USER_ROLE "2a385764-43e8-416c-9825-7b18d05a2c4b"

static emu *E;
static char *ARM;
static char *SYN;
static char *HOST;

static int setup(void **state)
{
	(void)state;
	if (emu_start(&E, NULL))
		return -1;
	ARM = emu_token(E, TK_ARM_SCOPE);
	SYN = emu_token(E, TK_SYNAPSE_SCOPE);
	if (!ARM || !SYN)
		return -1;
	HOST = az_xstrdup(WS ".dev.localhost");
	tk_make_workspace(E, ARM, "rg-syn", WS);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(ARM);
	free(SYN);
	free(HOST);
	assert_int_equal(emu_stop(E), 0);
	return 0;
}

/* A data-plane URL on the workspace host with the Synapse api-version. */
static char *dev(const char *path)
{
	return tk_url(E, HOST, "%s%sapi-version=2020-12-01", path, strchr(path, '?') ? "&" : "?");
}

static void syn(emu_response *r, const char *method, const char *path, const char *body)
{
	char *url = dev(path);
	tk_send(E, r, method, url, SYN, NULL, body);
	free(url);
}

/* A request whose answer matters only by its status. */
static void syn_expect(const char *method, const char *path, const char *body, long status)
{
	emu_response r;
	syn(&r, method, path, body);
	assert_int_equal(r.status, status);
	emu_response_free(&r);
}

/* PUT or DELETE an artifact and follow its operation; returns the final answer. */
static void change(emu_response *fin, const char *method, const char *path, const char *body,
		   const char *poll_route)
{
	emu_response r;
	syn(&r, method, path, body);
	assert_int_equal(r.status, 202);
	/* The 202 body describes the operation, not the artifact. */
	assert_true(json_is_integer(tk_at(r.json, "recordId")));
	assert_non_null(tk_str(r.json, "operationId"));
	assert_string_equal(tk_str(r.json, "state"),
			    !strcmp(method, "DELETE") ? "Deleting" : "Creating");
	assert_null(tk_at(r.json, "properties"));
	char *loc = emu_response_header(&r, "Location");
	assert_non_null(loc);
	char *prefix = tk_url(E, HOST, "/%s/%s?api-version=2020-12-01", poll_route,
			      tk_str(r.json, "operationId"));
	assert_string_equal(loc, prefix);
	free(prefix);
	emu_response_free(&r);
	tk_poll_location(E, loc, SYN, fin);
	free(loc);
}

static void put_artifact(const char *coll, const char *name, const char *body)
{
	emu_response fin;
	char *path = az_xasprintf("/%s/%s", coll, name);
	change(&fin, "PUT", path, body,
	       !strcmp(coll, "notebooks") ? "notebookOperationResults" : "operationResults");
	assert_int_equal(fin.status, 200);
	assert_string_equal(tk_str(fin.json, "name"), name);
	emu_response_free(&fin);
	free(path);
}

static void delete_artifact(const char *coll, const char *name)
{
	emu_response fin;
	char *path = az_xasprintf("/%s/%s", coll, name);
	change(&fin, "DELETE", path, NULL,
	       !strcmp(coll, "notebooks") ? "notebookOperationResults" : "operationResults");
	assert_int_equal(fin.status, 200);
	assert_int_equal(fin.body_len, 0);
	emu_response_free(&fin);
	free(path);
}

static void test_every_artifact_kind_round_trips(void **state)
{
	(void)state;
	static const struct {
		const char *coll, *name, *body, *type, *missing;
	} cases[] = {
		{"linkedservices", "ls1",
		 "{\"properties\":{\"type\":\"AzureBlobStorage\",\"typeProperties\":"
		 "{\"serviceEndpoint\":\"https://acct.blob.core.windows.net\"}}}",
		 "Microsoft.Synapse/workspaces/linkedservices", "LinkedServiceNotFound"},
		{"datasets", "ds1",
		 "{\"properties\":{\"type\":\"Parquet\",\"linkedServiceName\":"
		 "{\"referenceName\":\"ls1\",\"type\":\"LinkedServiceReference\"}}}",
		 "Microsoft.Synapse/workspaces/datasets", "DatasetNotFound"},
		{"pipelines", "pl1", "{\"properties\":{\"activities\":[]}}",
		 "Microsoft.Synapse/workspaces/pipelines", "PipelineNotFound"},
		{"triggers", "tr1",
		 "{\"properties\":{\"type\":\"ScheduleTrigger\",\"typeProperties\":{}}}",
		 "Microsoft.Synapse/workspaces/triggers", "TriggerNotFound"},
		{"notebooks", "nb1", "{\"properties\":{\"nbformat\":4,\"cells\":[]}}",
		 "Microsoft.Synapse/workspaces/notebooks", "NotebookNotFound"},
		{"sqlScripts", "sq1",
		 "{\"properties\":{\"content\":{\"query\":\"SELECT 1\"},\"type\":\"SqlQuery\"}}",
		 "Microsoft.Synapse/workspaces/sqlscripts", "NotFound"},
		/* DataFlows_Get.json, SparkJobDefinitions_Get.json. */
		{"dataflows", "df1",
		 "{\"properties\":{\"type\":\"MappingDataFlow\",\"typeProperties\":"
		 "{\"sources\":[],\"sinks\":[],\"scriptLines\":[]}}}",
		 "Microsoft.Synapse/workspaces/dataflows", "DataFlowNotFound"},
		{"sparkJobDefinitions", "sjd1",
		 "{\"properties\":{\"targetBigDataPool\":{\"referenceName\":\"pool\","
		 "\"type\":\"BigDataPoolReference\"},\"jobProperties\":{\"file\":\"a.py\"}}}",
		 "Microsoft.Synapse/workspaces/sparkjobdefinitions", "SparkJobDefinitionNotFound"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		emu_response r;
		char *path = az_xasprintf("/%s/%s", cases[i].coll, cases[i].name);
		/* The artifact is not there until its operation completes. */
		syn(&r, "PUT", path, cases[i].body);
		assert_int_equal(r.status, 202);
		char *loc = emu_response_header(&r, "Location");
		emu_response_free(&r);
		syn(&r, "GET", path, NULL);
		assert_int_equal(r.status, 404);
		emu_response_free(&r);
		emu_response fin;
		tk_poll_location(E, loc, SYN, &fin);
		free(loc);
		assert_int_equal(fin.status, 200);
		assert_string_equal(tk_str(fin.json, "type"), cases[i].type);
		emu_response_free(&fin);

		syn(&r, "GET", path, NULL);
		assert_int_equal(r.status, 200);
		assert_string_equal(tk_str(r.json, "name"), cases[i].name);
		assert_non_null(tk_str(r.json, "etag"));
		assert_non_null(strstr(tk_str(r.json, "id"), "/workspaces/" WS "/"));
		emu_response_free(&r);

		delete_artifact(cases[i].coll, cases[i].name);
		syn(&r, "GET", path, NULL);
		assert_int_equal(r.status, 404);
		/* Flat, with the artifact type's own code (azure-notes.md). */
		assert_string_equal(tk_str(r.json, "code"), cases[i].missing);
		emu_response_free(&r);
		free(path);
	}
}

/* Credentials_Create.json (credential.json 2020-12-01): the PUT answers
 * 200 with the credential, its type and a new etag; there is no operation
 * to follow. The delete is the artifacts' (200, 202 or 204). */
static void test_a_credential_is_written_at_once(void **state)
{
	(void)state;
	const char *body = "{\"properties\":{\"type\":\"ManagedIdentity\",\"typeProperties\":"
			   "{\"resourceId\":\"/subscriptions/s/resourcegroups/rg/providers/"
			   "Microsoft.ManagedIdentity/userAssignedIdentities/uami\"}}}";
	emu_response r;
	syn(&r, "PUT", "/credentials/cred1", body);
	assert_int_equal(r.status, 200);
	assert_null(emu_response_header(&r, "Location"));
	assert_string_equal(tk_str(r.json, "name"), "cred1");
	assert_string_equal(tk_str(r.json, "type"), "Microsoft.Synapse/workspaces/credentials");
	assert_string_equal(tk_str(r.json, "properties.type"), "ManagedIdentity");
	assert_non_null(strstr(tk_str(r.json, "id"), "/workspaces/" WS "/credentials/cred1"));
	char *etag = az_xstrdup(tk_str(r.json, "etag"));
	emu_response_free(&r);

	syn(&r, "GET", "/credentials/cred1", NULL);
	assert_int_equal(r.status, 200);
	assert_string_equal(tk_str(r.json, "etag"), etag);
	emu_response_free(&r);
	syn(&r, "PUT", "/credentials/cred1", body);
	assert_int_equal(r.status, 200);
	assert_string_not_equal(tk_str(r.json, "etag"), etag);
	emu_response_free(&r);
	free(etag);

	delete_artifact("credentials", "cred1");
	syn(&r, "GET", "/credentials/cred1", NULL);
	assert_int_equal(r.status, 404);
	assert_string_equal(tk_str(r.json, "code"), "CredentialNotFound");
	emu_response_free(&r);
}

/* kqlScripts.json 2021-11-01-preview: PUT and DELETE are long-running and
 * their 202 carries no body (the spec declares none, KqlScript_CreateOrUpdate
 * gives "202": {}); the script lands when the operation ends, with the
 * collection spelled as KqlScript_GetByName.json spells it and no etag. */
static void test_a_kql_script_is_written_by_an_operation_without_a_record(void **state)
{
	(void)state;
	emu_response r, fin;
	syn(&r, "PUT", "/kqlScripts/q1",
	    "{\"properties\":{\"content\":{\"query\":\"Logs | take 10\"}}}");
	assert_int_equal(r.status, 202);
	assert_int_equal(r.body_len, 0);
	char *loc = emu_response_header(&r, "Location");
	assert_non_null(loc);
	emu_response_free(&r);
	syn_expect("GET", "/kqlScripts/q1", NULL, 404);
	tk_poll_location(E, loc, SYN, &fin);
	free(loc);
	assert_int_equal(fin.status, 200);
	assert_string_equal(tk_str(fin.json, "type"), "Microsoft.Synapse/workspaces/kqlScripts");
	emu_response_free(&fin);

	syn(&r, "GET", "/kqlScripts", NULL);
	assert_int_equal(r.status, 200);
	json_t *first = json_array_get(tk_at(r.json, "value"), 0);
	assert_string_equal(tk_str(first, "name"), "q1");
	assert_string_equal(tk_str(first, "properties.content.query"), "Logs | take 10");
	assert_non_null(strstr(tk_str(first, "id"), "/workspaces/" WS "/kqlScripts/q1"));
	assert_null(tk_at(first, "etag"));
	emu_response_free(&r);

	syn(&r, "DELETE", "/kqlScripts/q1", NULL);
	assert_int_equal(r.status, 202);
	assert_int_equal(r.body_len, 0);
	loc = emu_response_header(&r, "Location");
	emu_response_free(&r);
	tk_poll_location(E, loc, SYN, &fin);
	free(loc);
	assert_int_equal(fin.status, 200);
	emu_response_free(&fin);
	syn(&r, "GET", "/kqlScripts/q1", NULL);
	assert_int_equal(r.status, 404);
	assert_string_equal(tk_str(r.json, "code"), "KqlScriptNotFound");
	emu_response_free(&r);
}

#define ENDPOINT "/managedVirtualNetworks/default/managedPrivateEndpoints/pe1"
#define LAKE_TARGET                                                                                \
	"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-syn/providers/"     \
	"Microsoft.Storage/storageAccounts/stlake"

/* managedPrivateEndpoints.json 2020-12-01: only a workspace with a managed
 * virtual network has them. The PUT answers 200 at once, provisioning and
 * Pending (CreateManagedPrivateEndpoint.json); a read finds it provisioned
 * while the connection waits for the target's owner, whom the control API
 * plays; the target cannot change; the DELETE answers 202, then 204. */
static void test_a_managed_private_endpoint_waits_for_approval(void **state)
{
	(void)state;
	const char *body = "{\"properties\":{\"privateLinkResourceId\":\"" LAKE_TARGET "\","
			   "\"groupId\":\"dfs\"}}";
	syn_expect("PUT", ENDPOINT, body, 404);
	tk_give_managed_vnet(E, "rg-syn", WS);
	emu_response r;

	syn(&r, "PUT", ENDPOINT, body);
	assert_int_equal(r.status, 200);
	assert_null(emu_response_header(&r, "Location"));
	assert_string_equal(tk_str(r.json, "name"), "pe1");
	assert_string_equal(tk_str(r.json, "type"),
			    "Microsoft.Synapse/workspaces/managedVirtualNetworks/"
			    "managedPrivateEndpoints");
	assert_string_equal(tk_str(r.json, "properties.provisioningState"), "Provisioning");
	assert_string_equal(tk_str(r.json, "properties.connectionState.status"), "Pending");
	emu_response_free(&r);

	syn(&r, "GET", ENDPOINT, NULL);
	assert_int_equal(r.status, 200);
	assert_string_equal(tk_str(r.json, "properties.provisioningState"), "Succeeded");
	assert_string_equal(tk_str(r.json, "properties.connectionState.status"), "Pending");
	assert_string_equal(tk_str(r.json, "properties.fqdns.0"), "stlake.dfs.core.windows.net");
	assert_false(json_is_true(tk_at(r.json, "properties.isReserved")));
	emu_response_free(&r);

	/* What it connects to is what it is. */
	syn_expect("PUT", ENDPOINT,
		   "{\"properties\":{\"privateLinkResourceId\":\"" LAKE_TARGET "\","
		   "\"groupId\":\"blob\"}}",
		   400);

	assert_int_equal(emu_control(E, "POST", "synapse/" WS "/managedPrivateEndpoints/pe1/approve",
				     "{\"description\":\"lake owner\"}", NULL),
			 200);
	assert_int_equal(emu_control(E, "POST", "synapse/" WS "/managedPrivateEndpoints/none/approve",
				     NULL, NULL),
			 404);
	syn(&r, "GET", "/managedVirtualNetworks/default/managedPrivateEndpoints", NULL);
	assert_int_equal(r.status, 200);
	json_t *first = json_array_get(tk_at(r.json, "value"), 0);
	assert_string_equal(tk_str(first, "properties.connectionState.status"), "Approved");
	assert_string_equal(tk_str(first, "properties.connectionState.description"), "lake owner");
	emu_response_free(&r);

	syn_expect("DELETE", ENDPOINT, NULL, 202);
	syn_expect("DELETE", ENDPOINT, NULL, 204);
	syn_expect("GET", ENDPOINT, NULL, 404);
}

static void test_notebooks_poll_notebook_operation_results(void **state)
{
	(void)state;
	emu_response fin;
	change(&fin, "PUT", "/notebooks/nbpoll", "{\"properties\":{\"cells\":[]}}",
	       "notebookOperationResults");
	assert_int_equal(fin.status, 200);
	emu_response_free(&fin);
	delete_artifact("notebooks", "nbpoll");
}

static void test_not_found_is_flat(void **state)
{
	(void)state;
	emu_response r;
	syn(&r, "GET", "/pipelines/missing", NULL);
	assert_int_equal(r.status, 404);
	assert_non_null(tk_str(r.json, "code"));
	assert_non_null(tk_str(r.json, "message"));
	assert_null(tk_at(r.json, "error"));
	emu_response_free(&r);
	/* Deleting what is not there is not an error. */
	syn(&r, "DELETE", "/pipelines/missing", NULL);
	assert_int_equal(r.status, 204);
	emu_response_free(&r);
	syn(&r, "GET", "/operationResults/00000000-0000-0000-0000-00000000abcd", NULL);
	assert_int_equal(r.status, 404);
	assert_null(tk_at(r.json, "error"));
	emu_response_free(&r);
}

static void test_list_pages_with_next_link(void **state)
{
	(void)state;
	const char *names[] = {"pa", "pb", "pc", "pd", "pe"};
	for (size_t i = 0; i < 5; i++)
		put_artifact("pipelines", names[i], "{\"properties\":{\"activities\":[]}}");
	assert_int_equal(emu_control(E, "PUT", "settings", "{\"pageSize\":2}", NULL), 200);
	char *url = dev("/pipelines");
	size_t seen = 0, pages = 0;
	bool found[5] = {false};
	while (url) {
		emu_response r;
		tk_send(E, &r, "GET", url, SYN, NULL, NULL);
		free(url);
		url = NULL;
		assert_int_equal(r.status, 200);
		json_t *v;
		size_t i;
		json_array_foreach(tk_at(r.json, "value"), i, v) {
			for (size_t k = 0; k < 5; k++)
				if (!strcmp(tk_str(v, "name"), names[k]))
					found[k] = true;
			seen++;
		}
		const char *next = tk_str(r.json, "nextLink");
		if (next) {
			/* The next page is on the same workspace host. */
			assert_non_null(strstr(next, HOST));
			url = az_xstrdup(next);
		}
		pages++;
		emu_response_free(&r);
	}
	assert_int_equal(emu_control(E, "PUT", "settings", "{\"pageSize\":100}", NULL), 200);
	assert_int_equal(seen, 5);
	assert_int_equal(pages, 3);
	for (size_t k = 0; k < 5; k++) {
		assert_true(found[k]);
		delete_artifact("pipelines", names[k]);
	}
}

static void test_secure_strings_are_masked(void **state)
{
	(void)state;
	emu_response r;
	put_artifact("linkedservices", "lsml",
		     "{\"properties\":{\"type\":\"AzureMLService\",\"typeProperties\":{"
		     "\"subscriptionId\":\"s\",\"resourceGroupName\":\"rg\",\"mlWorkspaceName\":"
		     "\"ml\",\"servicePrincipalId\":\"sp\",\"servicePrincipalKey\":{\"type\":"
		     "\"SecureString\",\"value\":\"TopSecret-42\"},\"tenant\":\"t\"}}}");
	syn(&r, "GET", "/linkedservices/lsml", NULL);
	assert_int_equal(r.status, 200);
	assert_null(strstr(r.body, "TopSecret-42"));
	assert_string_equal(tk_str(r.json, "properties.typeProperties.servicePrincipalKey.value"),
			    "**********");
	assert_non_null(tk_str(r.json, "properties.typeProperties.encryptedCredential"));
	emu_response_free(&r);
	/* Not in the store either: a dump cannot leak it. */
	json_t *store = NULL;
	assert_int_equal(emu_control(E, "GET", "store", NULL, &store), 200);
	char *dump = json_dumps(store, 0);
	assert_null(strstr(dump, "TopSecret-42"));
	free(dump);
	json_decref(store);
	/* Nor in the request log. */
	json_t *log = NULL;
	assert_int_equal(emu_control(E, "GET", "log", NULL, &log), 200);
	dump = json_dumps(log, 0);
	assert_null(strstr(dump, "TopSecret-42"));
	free(dump);
	json_decref(log);
	delete_artifact("linkedservices", "lsml");
}

static void test_etag_and_if_match(void **state)
{
	(void)state;
	emu_response r, fin;
	put_artifact("datasets", "dsetag", "{\"properties\":{\"type\":\"Json\"}}");
	syn(&r, "GET", "/datasets/dsetag", NULL);
	char *etag = az_xstrdup(tk_str(r.json, "etag"));
	emu_response_free(&r);

	char *url = dev("/datasets/dsetag");
	const char *stale[] = {"If-Match: \"not-the-etag\"", NULL};
	tk_send(E, &r, "PUT", url, SYN, stale, "{\"properties\":{\"type\":\"Parquet\"}}");
	assert_int_equal(r.status, 412);
	assert_null(tk_at(r.json, "error"));
	emu_response_free(&r);

	char *match = az_xasprintf("If-Match: %s", etag);
	const char *fresh[] = {match, NULL};
	tk_send(E, &r, "PUT", url, SYN, fresh, "{\"properties\":{\"type\":\"Parquet\"}}");
	assert_int_equal(r.status, 202);
	char *loc = emu_response_header(&r, "Location");
	emu_response_free(&r);
	tk_poll_location(E, loc, SYN, &fin);
	assert_int_equal(fin.status, 200);
	assert_string_equal(tk_str(fin.json, "properties.type"), "Parquet");
	/* Every change makes a new etag. */
	assert_string_not_equal(tk_str(fin.json, "etag"), etag);
	emu_response_free(&fin);
	free(loc);

	/* The etag that was current before the change no longer matches. */
	tk_send(E, &r, "PUT", url, SYN, fresh, "{\"properties\":{\"type\":\"Json\"}}");
	assert_int_equal(r.status, 412);
	emu_response_free(&r);
	free(match);
	free(etag);
	free(url);
	delete_artifact("datasets", "dsetag");
}

/* Sends a PUT with one conditional header; returns the 202's Location (or
 * NULL when the PUT itself was refused, its answer left in *r). */
static char *put_if(emu_response *r, const char *path, const char *cond, const char *body)
{
	char *url = dev(path);
	const char *extra[] = {cond, NULL};
	tk_send(E, r, "PUT", url, SYN, extra, body);
	free(url);
	char *loc = r->status == 202 ? emu_response_header(r, "Location") : NULL;
	if (loc)
		emu_response_free(r);
	return loc;
}

/* Two writes accepted against the same etag (two applies planned from the
 * same read): the first to land wins, the second's operation ends 412 in
 * the data plane's flat shape, and the first one's change stays. */
static void test_if_match_checked_when_the_write_lands(void **state)
{
	(void)state;
	emu_response r, fin;
	put_artifact("pipelines", "pconc", "{\"properties\":{\"description\":\"v1\"}}");
	syn(&r, "GET", "/pipelines/pconc", NULL);
	char *match = az_xasprintf("If-Match: %s", tk_str(r.json, "etag"));
	emu_response_free(&r);

	char *first = put_if(&r, "/pipelines/pconc", match, "{\"properties\":{\"description\":\"a\"}}");
	char *second = put_if(&r, "/pipelines/pconc", match, "{\"properties\":{\"description\":\"b\"}}");
	assert_non_null(first);
	assert_non_null(second);
	tk_poll_location(E, first, SYN, &fin);
	assert_int_equal(fin.status, 200);
	emu_response_free(&fin);
	tk_poll_location(E, second, SYN, &fin);
	assert_int_equal(fin.status, 412);
	assert_string_equal(tk_str(fin.json, "code"), "PreconditionFailed");
	assert_null(tk_at(fin.json, "error"));
	emu_response_free(&fin);
	syn(&r, "GET", "/pipelines/pconc", NULL);
	assert_string_equal(tk_str(r.json, "properties.description"), "a");
	emu_response_free(&r);

	/* Another client's write between accept and landing fails it too. */
	syn(&r, "GET", "/pipelines/pconc", NULL);
	char *match2 = az_xasprintf("If-Match: %s", tk_str(r.json, "etag"));
	emu_response_free(&r);
	char *third = put_if(&r, "/pipelines/pconc", match2, "{\"properties\":{\"description\":\"c\"}}");
	assert_non_null(third);
	assert_int_equal(emu_control(E, "PUT", "synapse/" WS "/pipelines/pconc",
				     "{\"properties\":{\"description\":\"studio\"}}", NULL),
			 200);
	tk_poll_location(E, third, SYN, &fin);
	assert_int_equal(fin.status, 412);
	emu_response_free(&fin);
	syn(&r, "GET", "/pipelines/pconc", NULL);
	assert_string_equal(tk_str(r.json, "properties.description"), "studio");
	emu_response_free(&r);

	free(third);
	free(match2);
	free(second);
	free(first);
	free(match);
	delete_artifact("pipelines", "pconc");
}

/* An artifact made out of band (Studio's live mode) lists like any other,
 * with its id and type: a client sorting a workspace's artifacts by id
 * (prune, export) sees it. */
static void test_out_of_band_artifact_lists_with_its_id(void **state)
{
	(void)state;
	emu_response r;
	assert_int_equal(emu_control(E, "PUT", "synapse/" WS "/datasets/oobds",
				     "{\"properties\":{\"type\":\"Json\"}}", NULL),
			 200);
	syn(&r, "GET", "/datasets", NULL);
	assert_int_equal(r.status, 200);
	json_t *found = NULL, *item;
	size_t i;
	json_array_foreach(json_object_get(r.json, "value"), i, item)
		if (!strcmp(tk_str(item, "name"), "oobds"))
			found = item;
	assert_non_null(found);
	const char *id = tk_str(found, "id");
	assert_non_null(strstr(id, "/providers/Microsoft.Synapse/workspaces/" WS "/datasets/oobds"));
	assert_string_equal(tk_str(found, "type"), "Microsoft.Synapse/workspaces/datasets");
	emu_response_free(&r);
	delete_artifact("datasets", "oobds");
}

/* If-Match: * matches any existing artifact and nothing missing; GET with
 * If-None-Match: * (or the current etag) answers 304 (artifacts.json). */
static void test_if_match_star_and_not_modified(void **state)
{
	(void)state;
	emu_response r, fin;
	const char *body = "{\"properties\":{\"type\":\"SqlQuery\",\"content\":{\"query\":\"select 1\"}}}";
	assert_null(put_if(&r, "/sqlScripts/sstar", "If-Match: *", body));
	assert_int_equal(r.status, 412);
	assert_string_equal(tk_str(r.json, "code"), "PreconditionFailed");
	emu_response_free(&r);
	put_artifact("sqlScripts", "sstar", body);
	char *loc = put_if(&r, "/sqlScripts/sstar", "If-Match: *", body);
	assert_non_null(loc);
	tk_poll_location(E, loc, SYN, &fin);
	assert_int_equal(fin.status, 200);
	emu_response_free(&fin);
	free(loc);

	char *url = dev("/sqlScripts/sstar");
	const char *any[] = {"If-None-Match: *", NULL};
	tk_send(E, &r, "GET", url, SYN, any, NULL);
	assert_int_equal(r.status, 304);
	emu_response_free(&r);
	free(url);
	delete_artifact("sqlScripts", "sstar");
}

static void trigger_action(const char *name, const char *action, long want)
{
	emu_response r;
	char *path = az_xasprintf("/triggers/%s/%s", name, action);
	syn(&r, "POST", path, NULL);
	assert_int_equal(r.status, want);
	if (want == 200)
		assert_int_equal(r.body_len, 0);
	emu_response_free(&r);
	free(path);
}

static const char *trigger_body = "{\"properties\":{\"type\":\"ScheduleTrigger\",\"typeProperties\":"
				  "{\"recurrence\":{\"frequency\":\"Hour\",\"interval\":1}}}}";

static void test_started_triggers_cannot_change(void **state)
{
	(void)state;
	emu_response r;
	put_artifact("triggers", "trs", trigger_body);
	syn(&r, "GET", "/triggers/trs", NULL);
	assert_string_equal(tk_str(r.json, "properties.runtimeState"), "Stopped");
	emu_response_free(&r);

	trigger_action("trs", "start", 200);
	syn(&r, "GET", "/triggers/trs", NULL);
	assert_string_equal(tk_str(r.json, "properties.runtimeState"), "Started");
	emu_response_free(&r);

	syn(&r, "PUT", "/triggers/trs", trigger_body);
	assert_int_equal(r.status, 400);
	assert_string_equal(tk_str(r.json, "code"), "TriggerEnabledCannotUpdate");
	emu_response_free(&r);
	syn(&r, "DELETE", "/triggers/trs", NULL);
	assert_int_equal(r.status, 400);
	assert_string_equal(tk_str(r.json, "code"), "TriggerEnabledCannotUpdate");
	emu_response_free(&r);

	trigger_action("trs", "stop", 200);
	put_artifact("triggers", "trs", trigger_body);
	syn(&r, "GET", "/triggers/trs", NULL);
	assert_string_equal(tk_str(r.json, "properties.runtimeState"), "Stopped");
	emu_response_free(&r);
	trigger_action("missing", "start", 404);
	delete_artifact("triggers", "trs");
}

static void test_invalid_names_and_bodies(void **state)
{
	(void)state;
	emu_response r;
	syn(&r, "PUT", "/pipelines/bad.name", "{\"properties\":{}}");
	assert_int_equal(r.status, 400);
	emu_response_free(&r);
	syn(&r, "PUT", "/pipelines/-x", "{\"properties\":{}}");
	assert_int_equal(r.status, 400);
	emu_response_free(&r);
	/* Synapse's artifact names: a letter, digit or '_' first, then none
	 * of < > * # . % & : \ + ? / (escaped here as a client sends them). */
	const char *refused[] = {"a%3Cb", "a%3Eb", "a%2Ab", "a%23b", "a.b",   "a%25b",
				 "a%26b", "a%3Ab", "a%5Cb", "a%2Bb", "a%3Fb", "%20a"};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		char *path = az_xasprintf("/pipelines/%s", refused[i]);
		syn(&r, "PUT", path, "{\"properties\":{}}");
		if (r.status != 400)
			fail_msg("%s: %ld", refused[i], r.status);
		assert_string_equal(tk_str(r.json, "code"), "InvalidArtifactName");
		emu_response_free(&r);
		free(path);
	}
	const char *taken[] = {"_a", "9%20lives", "a-b_c(d)", "caf%C3%A9"};
	for (size_t i = 0; i < sizeof(taken) / sizeof(taken[0]); i++) {
		char *path = az_xasprintf("/pipelines/%s", taken[i]);
		syn(&r, "PUT", path, "{\"properties\":{}}");
		if (r.status != 202)
			fail_msg("%s: %ld", taken[i], r.status);
		emu_response_free(&r);
		free(path);
	}
	syn(&r, "PUT", "/pipelines/nobody", "[1,2]");
	assert_int_equal(r.status, 400);
	emu_response_free(&r);
	char *url = tk_url(E, HOST, "/pipelines");
	tk_send(E, &r, "GET", url, SYN, NULL, NULL);
	assert_int_equal(r.status, 400);
	assert_string_equal(tk_str(r.json, "code"), "MissingApiVersionParameter");
	emu_response_free(&r);
	free(url);
}

static void test_workspace_must_exist_and_audience(void **state)
{
	(void)state;
	emu_response r;
	char *url = tk_url(E, "nows.dev.localhost", "/pipelines?api-version=2020-12-01");
	tk_send(E, &r, "GET", url, SYN, NULL, NULL);
	assert_int_equal(r.status, 404);
	assert_string_equal(tk_str(r.json, "code"), "WorkspaceNotFound");
	emu_response_free(&r);
	free(url);

	url = dev("/pipelines");
	/* An ARM token is not a Synapse token. */
	tk_send(E, &r, "GET", url, ARM, NULL, NULL);
	assert_int_equal(r.status, 401);
	char *www = emu_response_header(&r, "WWW-Authenticate");
	assert_non_null(www);
	assert_non_null(strstr(www, "Bearer"));
	free(www);
	assert_string_equal(tk_str(r.json, "code"), "InvalidAuthenticationToken");
	emu_response_free(&r);
	tk_send(E, &r, "GET", url, NULL, NULL, NULL);
	assert_int_equal(r.status, 401);
	emu_response_free(&r);
	free(url);
}

static long dev_status(const char *ws)
{
	emu_response r;
	char *host = az_xasprintf("%s.dev.localhost", ws);
	char *url = tk_url(E, host, "/pipelines?api-version=2020-12-01");
	tk_send(E, &r, "GET", url, SYN, NULL, NULL);
	long status = r.status;
	emu_response_free(&r);
	free(url);
	free(host);
	return status;
}

/* A workspace host reaches the workspace of that name wherever it lives
 * now: gone once it is deleted, back when it is made in another resource
 * group; never a workspace of another provider with the same name. */
static void test_workspace_host_follows_the_workspace(void **state)
{
	(void)state;
	tk_make_workspace(E, ARM, "rg-move-a", "movews");
	assert_int_equal(dev_status("movews"), 200);
	emu_response r;
	char *ws_url = tk_url(E, "management.localhost",
			      "/subscriptions/%s/resourceGroups/rg-move-a/providers/"
			      "Microsoft.Synapse/workspaces/movews?api-version=2021-06-01",
			      emu_subscription_id(E));
	tk_send(E, &r, "DELETE", ws_url, ARM, NULL, NULL);
	assert_true(r.status == 200 || r.status == 202);
	char *location = emu_response_header(&r, "Location");
	emu_response_free(&r);
	if (location) {
		tk_poll_location(E, location, ARM, &r);
		emu_response_free(&r);
		free(location);
	}
	assert_int_equal(dev_status("movews"), 404);
	tk_make_workspace(E, ARM, "rg-move-b", "movews");
	assert_int_equal(dev_status("movews"), 200);
	free(ws_url);

	char *ml_url = tk_url(E, "management.localhost",
			      "/subscriptions/%s/resourceGroups/rg-move-a/providers/"
			      "Microsoft.MachineLearningServices/workspaces/mlonly"
			      "?api-version=2024-04-01",
			      emu_subscription_id(E));
	tk_send(E, &r, "PUT", ml_url, ARM, NULL,
		"{\"location\":\"eastus\",\"properties\":{\"storageAccount\":\"/s/sa\","
		"\"keyVault\":\"/s/kv\",\"applicationInsights\":\"/s/ai\"}}");
	if (!(r.status == 200 || r.status == 201 || r.status == 202))
		fail_msg("%ld %s", r.status, r.body);
	char *async = emu_response_header(&r, "Azure-AsyncOperation");
	emu_response_free(&r);
	assert_non_null(async);
	tk_follow_async(E, ARM, async);
	tk_send(E, &r, "GET", ml_url, ARM, NULL, NULL);
	assert_int_equal(r.status, 200);
	emu_response_free(&r);
	assert_int_equal(dev_status("mlonly"), 404);
	free(ml_url);
}

static void test_create_run(void **state)
{
	(void)state;
	emu_response r;
	put_artifact("pipelines", "plrun", "{\"properties\":{\"activities\":[]}}");
	syn(&r, "POST", "/pipelines/plrun/createRun", NULL);
	assert_int_equal(r.status, 202);
	assert_non_null(tk_str(r.json, "runId"));
	emu_response_free(&r);
	syn(&r, "POST", "/pipelines/nothere/createRun", NULL);
	assert_int_equal(r.status, 404);
	emu_response_free(&r);
	delete_artifact("pipelines", "plrun");
}

static void put_assignment(const char *id, const char *role, const char *principal, long want)
{
	emu_response r;
	char *path = az_xasprintf("/roleAssignments/%s", id);
	char *body = az_xasprintf("{\"roleId\":\"%s\",\"principalId\":\"%s\","
				  "\"scope\":\"workspaces/" WS "\",\"principalType\":"
				  "\"ServicePrincipal\"}",
				  role, principal);
	syn(&r, "PUT", path, body);
	assert_int_equal(r.status, want);
	if (want == 200) {
		assert_string_equal(tk_str(r.json, "id"), id);
		assert_string_equal(tk_str(r.json, "roleDefinitionId"), role);
		assert_string_equal(tk_str(r.json, "principalId"), principal);
		assert_string_equal(tk_str(r.json, "scope"), "workspaces/" WS);
		assert_string_equal(tk_str(r.json, "principalType"), "ServicePrincipal");
	} else {
		assert_non_null(tk_str(r.json, "error.code"));
	}
	emu_response_free(&r);
	free(body);
	free(path);
}

/* Lists role assignments with `query`, following x-ms-continuation. */
static size_t list_assignments(const char *query, size_t *pages)
{
	char *url = dev(query);
	char *cont = NULL;
	size_t total = 0;
	*pages = 0;
	do {
		emu_response r;
		char *h = cont ? az_xasprintf("x-ms-continuation: %s", cont) : NULL;
		const char *extra[] = {h, NULL};
		tk_send(E, &r, "GET", url, SYN, h ? extra : NULL, NULL);
		free(h);
		free(cont);
		assert_int_equal(r.status, 200);
		size_t n = json_array_size(tk_at(r.json, "value"));
		assert_int_equal(json_integer_value(tk_at(r.json, "count")), n);
		total += n;
		(*pages)++;
		cont = emu_response_header(&r, "x-ms-continuation");
		emu_response_free(&r);
	} while (cont);
	free(url);
	return total;
}

static void test_rbac_role_assignments(void **state)
{
	(void)state;
	emu_response r;
	put_assignment("a1", ADMIN_ROLE, "11111111-1111-1111-1111-111111111111", 200);
	put_assignment("a2", USER_ROLE, "11111111-1111-1111-1111-111111111111", 200);
	put_assignment("a3", USER_ROLE, "22222222-2222-2222-2222-222222222222", 200);
	/* The same role, principal and scope under another id. */
	put_assignment("a4", USER_ROLE, "22222222-2222-2222-2222-222222222222", 409);
	/* An ARM role id is not a Synapse role. */
	put_assignment("a5", "b24988ac-6180-42a0-ab88-20f7382dd24c",
		       "22222222-2222-2222-2222-222222222222", 400);

	syn(&r, "GET", "/roleAssignments/a1", NULL);
	assert_int_equal(r.status, 200);
	assert_string_equal(tk_str(r.json, "roleDefinitionId"), ADMIN_ROLE);
	emu_response_free(&r);

	size_t pages;
	assert_int_equal(list_assignments("/roleAssignments", &pages), 3);
	assert_int_equal(pages, 1);
	assert_int_equal(emu_control(E, "PUT", "settings", "{\"pageSize\":2}", NULL), 200);
	assert_int_equal(list_assignments("/roleAssignments", &pages), 3);
	assert_int_equal(pages, 2);
	assert_int_equal(emu_control(E, "PUT", "settings", "{\"pageSize\":100}", NULL), 200);
	assert_int_equal(list_assignments("/roleAssignments?roleId=" USER_ROLE, &pages), 2);
	assert_int_equal(list_assignments("/roleAssignments?principalId="
					  "11111111-1111-1111-1111-111111111111",
					  &pages),
			 2);
	assert_int_equal(list_assignments("/roleAssignments?roleId=" USER_ROLE "&principalId="
					  "11111111-1111-1111-1111-111111111111",
					  &pages),
			 1);
	assert_int_equal(list_assignments("/roleAssignments?scope=workspaces/" WS, &pages), 3);
	assert_int_equal(list_assignments("/roleAssignments?scope=workspaces/other", &pages), 0);

	syn(&r, "DELETE", "/roleAssignments/a1", NULL);
	assert_int_equal(r.status, 200);
	emu_response_free(&r);
	syn(&r, "DELETE", "/roleAssignments/a1", NULL);
	assert_int_equal(r.status, 204);
	emu_response_free(&r);
	syn(&r, "GET", "/roleAssignments/a1", NULL);
	assert_int_equal(r.status, 404);
	emu_response_free(&r);
	syn(&r, "DELETE", "/roleAssignments/a2", NULL);
	emu_response_free(&r);
	syn(&r, "DELETE", "/roleAssignments/a3", NULL);
	emu_response_free(&r);
}

static void test_rbac_role_definitions(void **state)
{
	(void)state;
	emu_response r;
	syn(&r, "GET", "/roleDefinitions", NULL);
	assert_int_equal(r.status, 200);
	assert_true(json_is_array(r.json));
	assert_int_equal(json_array_size(r.json), 10);
	bool admin = false;
	json_t *v;
	size_t i;
	json_array_foreach(r.json, i, v)
		admin |= !strcmp(tk_str(v, "id"), ADMIN_ROLE) &&
			 !strcmp(tk_str(v, "name"), "Synapse Administrator");
	assert_true(admin);
	emu_response_free(&r);
	syn(&r, "GET", "/roleDefinitions/" USER_ROLE, NULL);
	assert_int_equal(r.status, 200);
	assert_string_equal(tk_str(r.json, "name"), "Synapse User");
	emu_response_free(&r);
	syn(&r, "GET", "/roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c", NULL);
	assert_int_equal(r.status, 404);
	emu_response_free(&r);
}

/* As in Azure, a new workspace's data plane refuses every address until a
 * firewall rule covers it: a rule for another address lets
 * nobody else in, and a rule counts once its operation has ended. */
static void test_firewall_refuses_until_a_rule_allows(void **state)
{
	(void)state;
	assert_int_equal(emu_control(E, "PUT", "settings", "{\"synapseFirewall\":true}", NULL), 200);
	tk_make_closed_workspace(E, ARM, "rg-closed", "closedws");
	char *list = tk_url(E, "closedws.dev.localhost", "/pipelines?api-version=2020-12-01");
	emu_response r;
	tk_send(E, &r, "GET", list, SYN, NULL, NULL);
	assert_int_equal(r.status, 403);
	assert_string_equal(tk_str(r.json, "code"), "ClientIpAddressNotAuthorized");
	assert_string_equal(tk_str(r.json, "message"), "Client Ip address : 127.0.0.1");
	emu_response_free(&r);

	const char *rules[] = {"office", "10.1.2.3", "runner", "127.0.0.1"};
	for (size_t i = 0; i < 4; i += 2) {
		char *rule = tk_url(E, "management.localhost",
				    "/subscriptions/%s/resourceGroups/rg-closed/providers/"
				    "Microsoft.Synapse/workspaces/closedws/firewallRules/%s"
				    "?api-version=2021-06-01",
				    emu_subscription_id(E), rules[i]);
		char *body = az_xasprintf("{\"properties\":{\"startIpAddress\":\"%s\","
					  "\"endIpAddress\":\"%s\"}}",
					  rules[i + 1], rules[i + 1]);
		tk_send(E, &r, "PUT", rule, ARM, NULL, body);
		assert_int_equal(r.status, 201);
		char *status = emu_response_header(&r, "Azure-AsyncOperation");
		emu_response_free(&r);
		/* Still provisioning: not yet in force. */
		tk_send(E, &r, "GET", list, SYN, NULL, NULL);
		assert_int_equal(r.status, 403);
		emu_response_free(&r);
		for (int polls = 0; polls < 10; polls++) {
			tk_send(E, &r, "GET", status, ARM, NULL, NULL);
			bool running = !strcmp(tk_str(r.json, "status"), "InProgress");
			emu_response_free(&r);
			if (!running)
				break;
		}
		tk_send(E, &r, "GET", list, SYN, NULL, NULL);
		assert_int_equal(r.status, strcmp(rules[i], "runner") ? 403 : 200);
		emu_response_free(&r);
		free(status);
		free(body);
		free(rule);
	}
	free(list);
	assert_int_equal(emu_control(E, "PUT", "settings", "{\"synapseFirewall\":false}", NULL), 200);
}

/* Azure finishes an operation whether or not its client polls it: a rule
 * whose client stopped polling (a failed poll, Ctrl-C) comes into force all
 * the same, five seconds (EMU_OP_UNWATCHED_MS) after it was made. */
static void test_an_unpolled_rule_comes_into_force(void **state)
{
	(void)state;
	assert_int_equal(emu_control(E, "PUT", "settings", "{\"synapseFirewall\":true}", NULL), 200);
	tk_make_closed_workspace(E, ARM, "rg-unpolled", "unpolledws");
	char *list = tk_url(E, "unpolledws.dev.localhost", "/pipelines?api-version=2020-12-01");
	char *rule = tk_url(E, "management.localhost",
			    "/subscriptions/%s/resourceGroups/rg-unpolled/providers/"
			    "Microsoft.Synapse/workspaces/unpolledws/firewallRules/runner"
			    "?api-version=2021-06-01",
			    emu_subscription_id(E));
	emu_response r;
	tk_send(E, &r, "PUT", rule, ARM, NULL,
		"{\"properties\":{\"startIpAddress\":\"127.0.0.1\",\"endIpAddress\":\"127.0.0.1\"}}");
	assert_int_equal(r.status, 201);
	emu_response_free(&r);
	tk_send(E, &r, "GET", list, SYN, NULL, NULL);
	assert_int_equal(r.status, 403);
	emu_response_free(&r);
	/* Nobody polls; the operation ends by itself. */
	sleep(6);
	tk_send(E, &r, "GET", list, SYN, NULL, NULL);
	assert_int_equal(r.status, 200);
	emu_response_free(&r);
	free(rule);
	free(list);
	assert_int_equal(emu_control(E, "PUT", "settings", "{\"synapseFirewall\":false}", NULL), 200);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_artifact_kind_round_trips),
	    cmocka_unit_test(test_a_credential_is_written_at_once),
		cmocka_unit_test(test_a_kql_script_is_written_by_an_operation_without_a_record),
		cmocka_unit_test(test_a_managed_private_endpoint_waits_for_approval),
		cmocka_unit_test(test_notebooks_poll_notebook_operation_results),
		cmocka_unit_test(test_not_found_is_flat),
		cmocka_unit_test(test_list_pages_with_next_link),
		cmocka_unit_test(test_secure_strings_are_masked),
		cmocka_unit_test(test_etag_and_if_match),
		cmocka_unit_test(test_if_match_checked_when_the_write_lands),
		cmocka_unit_test(test_if_match_star_and_not_modified),
		cmocka_unit_test(test_out_of_band_artifact_lists_with_its_id),
		cmocka_unit_test(test_started_triggers_cannot_change),
		cmocka_unit_test(test_invalid_names_and_bodies),
		cmocka_unit_test(test_workspace_must_exist_and_audience),
		cmocka_unit_test(test_workspace_host_follows_the_workspace),
		cmocka_unit_test(test_create_run),
		cmocka_unit_test(test_rbac_role_assignments),
		cmocka_unit_test(test_rbac_role_definitions),
		cmocka_unit_test(test_firewall_refuses_until_a_rule_allows),
		cmocka_unit_test(test_an_unpolled_rule_comes_into_force),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
