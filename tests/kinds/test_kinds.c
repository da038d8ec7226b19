/*
 * test_kinds.c - every resource kind, end to end, on the emulator.
 *
 * One table row per kind (tests/kinds/cases/<file>.yaml plus the edits
 * below) and one stack: tests/kinds/base holds the parents and principals
 * the kinds need. Each phase runs the binary once for every kind at a time,
 * so the whole table costs a handful of runs: create and settle, update in
 * place, replace (refused for stateful kinds without allowReplace, done
 * with it), an out-of-band change reported by drift, and prune. Import,
 * spec-shaped live bodies and the rules about one kind's secrets, states
 * and ownership are in test_kinds_import.c and test_kinds_rules.c. The
 * rules that are about one
 * kind (a started trigger around a change of itself or of its pipeline,
 * also when the change fails) follow the table, and then both examples
 * go from nothing to "No changes" in one apply.
 */
#define _GNU_SOURCE /* asprintf */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kindkit.h"


/* How a row's out-of-band change is made. */
typedef enum drift_how {
	DRIFT_ARM,      /* PATCH of the ARM store: `target` is the id, `body` a merge patch */
	DRIFT_ARTIFACT, /* the artifact `target` (collection/name) gets another description,
			 * or `body` merged into it */
	DRIFT_GRAPH,    /* PATCH on Graph: `target` is the path, `body` the patch */
	DRIFT_NONE,     /* nothing a user can change: every field names the resource */
} drift_how;

typedef struct kind_case {
	const char *file;    /* cases/<file>.yaml */
	const char *address;
	/* An edit that updates in place, and the path the plan shows. */
	const char *update_from, *update_to, *update_path;
	/* An edit of a create-only property (NULL: the kind has none). */
	const char *replace_from, *replace_to, *replace_path;
	bool stateful;       /* a replacement needs lifecycle.allowReplace */
	drift_how drift;
	const char *drift_target, *drift_body, *drift_path;
	bool prunable;       /* removing the manifest deletes it */
} kind_case;

static const kind_case CASES[] = {
	{"ResourceGroup", "ResourceGroup/rgcase", "purpose: first", "purpose: second", "tags.purpose",
	 "location: westeurope", "location: northeurope", "location", true, DRIFT_ARM,
	 SUB "/resourceGroups/rg-kinds-case", "{\"tags\":{\"purpose\":\"oob\"}}", "tags.purpose", true},
	{"StorageAccount", "StorageAccount/stcase", "allowBlobPublicAccess: false",
	 "allowBlobPublicAccess: true", "properties.allowBlobPublicAccess", "isHnsEnabled: false",
	 "isHnsEnabled: true", "properties.isHnsEnabled", true, DRIFT_ARM,
	 RG "/providers/Microsoft.Storage/storageAccounts/stkindscase",
	 "{\"properties\":{\"minimumTlsVersion\":\"TLS1_0\"}}", "properties.minimumTlsVersion", true},
	{"StorageContainer", "StorageContainer/contcase", "publicAccess: None", "publicAccess: Blob",
	 "properties.publicAccess", NULL, NULL, NULL, true, DRIFT_ARM,
	 RG "/providers/Microsoft.Storage/storageAccounts/stkindslake/blobServices/default/containers/"
	    "casecontainer",
	 "{\"properties\":{\"publicAccess\":\"Container\"}}", "properties.publicAccess",
	 true},
	{"KeyVault", "KeyVault/kvcase", "enabledForDeployment: false", "enabledForDeployment: true",
	 /* A replaced vault's name is held by the deleted one: see soft_delete. */
	 "properties.enabledForDeployment", NULL, NULL, NULL, true, DRIFT_ARM, RG "/providers/Microsoft.KeyVault/vaults/kv-kinds-case",
	 "{\"properties\":{\"enableRbacAuthorization\":false}}", "properties.enableRbacAuthorization",
	 true},
	{"ApplicationInsights", "ApplicationInsights/appicase", "RetentionInDays: 90",
	 "RetentionInDays: 30", "properties.RetentionInDays", "location: westeurope",
	 "location: northeurope", "location", false, DRIFT_ARM,
	 RG "/providers/Microsoft.Insights/components/appi-kinds-case",
	 "{\"properties\":{\"RetentionInDays\":60}}", "properties.RetentionInDays", true},
	{"MlWorkspace", "MlWorkspace/mlcase", "friendlyName: first", "friendlyName: second",
	 "properties.friendlyName", "${ref.KeyVault.vault.id}", "${ref.KeyVault.kvcase.id}",
	 "properties.keyVault", true, DRIFT_ARM,
	 RG "/providers/Microsoft.MachineLearningServices/workspaces/mlw-kinds-case",
	 "{\"properties\":{\"friendlyName\":\"oob\"}}", "properties.friendlyName", true},
	{"MlCompute", "MlCompute/amlcase", "maxNodeCount: 2", "maxNodeCount: 4",
	 "properties.properties.scaleSettings.maxNodeCount", "location: westeurope",
	 "location: northeurope", "location", false, DRIFT_ARM, ML "/computes/amlcase",
	 "{\"properties\":{\"description\":\"oob\"}}", "properties.description", true},
	/* Its marker is in properties.tags: a datastore has no ARM tags. Its
	 * type is the stored record's discriminator: another type is another
	 * datastore, which holds no data itself, so it is replaced freely. */
	{"MlDatastore", "MlDatastore/mldscase", "description: first", "description: second",
	 "properties.description",
	 "datastoreType: AzureDataLakeGen2\n    accountName: stkindslake\n    filesystem: casefs",
	 "datastoreType: AzureBlob\n    accountName: stkindslake\n    containerName: casefs",
	 "properties.datastoreType", false, DRIFT_ARM, ML "/datastores/lake_case",
	 "{\"properties\":{\"description\":\"oob\"}}", "properties.description", true},
	/* Another target is another endpoint, and perhaps another approval. */
	{"PrivateEndpoint", "PrivateEndpoint/privcase", "purpose: first", "purpose: second",
	 "tags.purpose", "groupIds: [blob]", "groupIds: [dfs]",
	 "properties.privateLinkServiceConnections[0].properties.groupIds", true, DRIFT_ARM,
	 RG "/providers/Microsoft.Network/privateEndpoints/pe-kinds-case",
	 "{\"tags\":{\"purpose\":\"oob\"}}", "tags.purpose", true},
	{"MlComputeSynapseSpark", "MlCompute/sparkattach", "description: first",
	 "description: second", "properties.description", "${ref.SparkPool.basepool.id}",
	 "${ref.SparkPool.sparkcase.id}", "properties.resourceId", false, DRIFT_ARM,
	 ML "/computes/sparkattach", "{\"properties\":{\"description\":\"oob\"}}",
	 "properties.description", true},
	/* Replacing an endpoint deletes its deployments with it. */
	{"MlOnlineEndpoint", "MlOnlineEndpoint/endpointcase", "description: first",
	 "description: second", "properties.description", "location: westeurope",
	 "location: northeurope", "location", true, DRIFT_ARM,
	 ML "/onlineEndpoints/kinds-case-endpoint", "{\"properties\":{\"description\":\"oob\"}}",
	 "properties.description", true},
	{"MlOnlineDeployment", "MlOnlineDeployment/deploymentcase", "capacity: 1", "capacity: 2",
	 "sku.capacity", "location: westeurope", "location: northeurope", "location", false,
	 DRIFT_ARM, ML "/onlineEndpoints/kinds-base-endpoint/deployments/kinds-case-blue",
	 "{\"properties\":{\"instanceType\":\"Standard_DS4_v2\"}}", "properties.instanceType",
	 true},
	{"SynapseWorkspace", "SynapseWorkspace/synapsecase", "purpose: first", "purpose: second",
	 "tags.purpose", "filesystem: casefs", "filesystem: otherfs",
	 "properties.defaultDataLakeStorage.filesystem", true, DRIFT_ARM,
	 RG "/providers/Microsoft.Synapse/workspaces/synw-kinds-case",
	 "{\"tags\":{\"purpose\":\"oob\"}}", "tags.purpose", true},
	{"SynapseFirewallRule", "SynapseFirewallRule/fwcase", "endIpAddress: 10.0.0.1",
	 "endIpAddress: 10.0.0.9", "properties.endIpAddress", NULL, NULL, NULL, false, DRIFT_ARM,
	 WS "/firewallRules/casefw", "{\"properties\":{\"endIpAddress\":\"10.0.0.5\"}}",
	 "properties.endIpAddress", false},
	/* No tags, so no marker: declared, never owned, never pruned. */
	{"IntegrationRuntime", "IntegrationRuntime/ircase", "description: first",
	 "description: second", "properties.description", NULL, NULL, NULL, false, DRIFT_ARM,
	 WS "/integrationRuntimes/ircase", "{\"properties\":{\"description\":\"oob\"}}",
	 "properties.description", false},
	{"SparkPool", "SparkPool/sparkcase", "maxNodeCount: 4", "maxNodeCount: 6",
	 "properties.autoScale.maxNodeCount", "location: westeurope", "location: northeurope",
	 "location", false, DRIFT_ARM, WS "/bigDataPools/sparkcase",
	 "{\"properties\":{\"autoScale\":{\"minNodeCount\":4}}}", "properties.autoScale.minNodeCount",
	 true},
	{"SqlPool", "SqlPool/sqlcase", "name: DW100c", "name: DW200c", "sku.name",
	 "collation: SQL_Latin1_General_CP1_CI_AS", "collation: Latin1_General_100_BIN2",
	 "properties.collation", true, DRIFT_ARM, WS "/sqlPools/sqlcase",
	 "{\"sku\":{\"name\":\"DW300c\"}}", "sku.name", true},
	/* Role, principal and scope name the assignment (its GUID is derived
	 * from them) and the description holds the marker: nothing is left to
	 * update in place. */
	{"RoleAssignment", "RoleAssignment/racase", NULL, NULL, NULL, NULL, NULL, NULL, false,
	 DRIFT_NONE, NULL, NULL, NULL, true},
	{"EntraApplication", "EntraApplication/appcase", "displayName: first", "displayName: second",
	 "displayName", NULL, NULL, NULL, false, DRIFT_GRAPH,
	 "/v1.0/applications(uniqueName='kinds-case-app')", "{\"displayName\":\"oob\"}",
	 "displayName", false},
	{"ServicePrincipal", "ServicePrincipal/spcase", "appRoleAssignmentRequired: false",
	 "appRoleAssignmentRequired: true", "appRoleAssignmentRequired", NULL, NULL, NULL, false,
	 DRIFT_NONE, NULL, NULL, NULL, false},
	/* Its name is its key, so another name is another credential; no
	 * marker fits in it: declared, never owned, never pruned. */
	{"FederatedIdentityCredential", "FederatedIdentityCredential/ficcase",
	 "subject: repo:org/repo:environment:prod", "subject: repo:org/repo:environment:test",
	 "subject", NULL, NULL, NULL, false, DRIFT_GRAPH,
	 "/v1.0/applications(uniqueName='kinds-base-app')/federatedIdentityCredentials/ficcase",
	 "{\"description\":\"oob\"}", "description", false},
	{"SynapseRoleAssignment", "SynapseRoleAssignment/sracase", NULL, NULL, NULL, NULL, NULL, NULL,
	 false, DRIFT_NONE, NULL, NULL, NULL, false},
	{"LinkedService", "LinkedService/lscase", "description: first", "description: second",
	 "properties.description", NULL, NULL, NULL, false, DRIFT_ARTIFACT, "linkedservices/lscase",
	 NULL, "properties.description", true},
	{"Dataset", "Dataset/dscase", "description: first", "description: second",
	 "properties.description", NULL, NULL, NULL, false, DRIFT_ARTIFACT, "datasets/dscase", NULL,
	 "properties.description", true},
	{"Pipeline", "Pipeline/plcase", "description: first", "description: second",
	 "properties.description", NULL, NULL, NULL, false, DRIFT_ARTIFACT, "pipelines/plcase", NULL,
	 "properties.description", true},
	{"Trigger", "Trigger/trcase", "description: first", "description: second",
	 "properties.description", NULL, NULL, NULL, false, DRIFT_ARTIFACT, "triggers/trcase", NULL,
	 "properties.description", true},
	{"Notebook", "Notebook/nbcase", "description: first", "description: second",
	 "properties.description", NULL, NULL, NULL, false, DRIFT_ARTIFACT, "notebooks/nbcase", NULL,
	 "properties.description", true},
	{"SqlScript", "SqlScript/sqcase", "description: first", "description: second",
	 "properties.description", NULL, NULL, NULL, false, DRIFT_ARTIFACT, "sqlScripts/sqcase", NULL,
	 "properties.description", true},
	{"DataFlow", "DataFlow/dfcase", "description: first", "description: second",
	 "properties.description", NULL, NULL, NULL, false, DRIFT_ARTIFACT, "dataflows/dfcase", NULL,
	 "properties.description", true},
	{"SparkJobDefinition", "SparkJobDefinition/sjdcase", "description: first",
	 "description: second", "properties.description", NULL, NULL, NULL, false, DRIFT_ARTIFACT,
	 "sparkJobDefinitions/sjdcase", NULL, "properties.description", true},
	{"Credential", "Credential/credcase", "description: first", "description: second",
	 "properties.description", NULL, NULL, NULL, false, DRIFT_ARTIFACT, "credentials/credcase",
	 NULL, "properties.description", true},
	/* No annotations, so no marker: declared, never owned, never pruned. */
	{"KqlScript", "KqlScript/kqlcase", "query: Logs | take 10", "query: Logs | take 20",
	 "properties.content.query", NULL, NULL, NULL, false, DRIFT_ARTIFACT, "kqlScripts/kqlcase",
	 "{\"properties\":{\"content\":{\"query\":\"Logs | take 30\"}}}",
	 "properties.content.query", false},
	/* What it connects to is what it is: a new target or group is a new
	 * endpoint, and a new approval, so it is replaced only when allowed.
	 * Nothing else can change, and nothing carries a marker. */
	{"ManagedPrivateEndpoint", "ManagedPrivateEndpoint/pecase", NULL, NULL, NULL,
	 "groupId: dfs", "groupId: blob", "properties.groupId", true, DRIFT_NONE, NULL, NULL, NULL,
	 false},
};
#define NCASES (sizeof(CASES) / sizeof(CASES[0]))

/* Edges the rows' references make (DOT, as `graph` writes them): what is
 * referred to by referenceName, or named as the parent, is created first
 * and deleted last. */
static const char *const REFERENCE_EDGES[] = {
	"\"DataFlow/dfcase\" -> \"Dataset/dscase\"",
	"\"SparkJobDefinition/sjdcase\" -> \"SparkPool/basepool\"",
	"\"LinkedService/lscase\" -> \"Credential/credcase\"",
	"\"LinkedService/lscase\" -> \"IntegrationRuntime/ircase\"",
	"\"ManagedPrivateEndpoint/pecase\" -> \"StorageAccount/lake\"",
	"\"ManagedPrivateEndpoint/pecase\" -> \"SynapseWorkspace/synapse\"",
	"\"FederatedIdentityCredential/ficcase\" -> \"EntraApplication/baseapp\"",
	"\"MlOnlineDeployment/deploymentcase\" -> \"MlOnlineEndpoint/baseendpoint\"",
	"\"MlDatastore/mldscase\" -> \"MlWorkspace/ml\"",
	"\"PrivateEndpoint/privcase\" -> \"StorageAccount/lake\"",
};

static void drift_one(world *w, const kind_case *c)
{
	json_t *answer = NULL;
	char *path = NULL;
	switch (c->drift) {
	case DRIFT_ARM:
		assert_true(asprintf(&path, "arm%s", c->drift_target) > 0);
		if (emu_control(w->e, "PATCH", path, c->drift_body, &answer) != 200)
			fail_msg("out-of-band PATCH of %s failed", c->drift_target);
		break;
	case DRIFT_ARTIFACT: {
		char *url = kit_data_plane_url(w, c->drift_target);
		emu_response resp = kit_call(w, SYNAPSE_SCOPE, "GET", url, NULL);
		assert_int_equal(resp.status, 200);
		json_t *art = json_incref(resp.json);
		emu_response_free(&resp);
		json_t *patch = c->drift_body ? json_loads(c->drift_body, 0, NULL) : NULL;
		if (patch)
			json_object_update_recursive(art, patch);
		else
			json_object_set_new(json_object_get(art, "properties"), "description",
					    json_string("changed outside"));
		json_decref(patch);
		char *body = json_dumps(art, JSON_COMPACT);
		assert_true(asprintf(&path, "synapse/synw-kinds/%s", c->drift_target) > 0);
		assert_int_equal(emu_control(w->e, "PUT", path, body, &answer), 200);
		free(body);
		json_decref(art);
		free(url);
		break;
	}
	case DRIFT_GRAPH: {
		char *url = NULL;
		assert_true(asprintf(&url, "https://graph.localhost:%d%s", emu_port(w->e),
				     c->drift_target) > 0);
		emu_response resp = kit_call(w, GRAPH_SCOPE, "PATCH", url,
					 c->drift_body);
		if (resp.status != 204 && resp.status != 200)
			fail_msg("Graph PATCH %s: %ld %s", c->drift_target, resp.status, resp.body);
		emu_response_free(&resp);
		free(url);
		break;
	}
	case DRIFT_NONE:
		break;
	}
	json_decref(answer);
	free(path);
}

static void every_kind(void **state)
{
	world *w = *state;
	char name[128];
	/* Create: the base and one resource of every kind, in one apply. */
	for (size_t i = 0; i < NCASES; i++) {
		snprintf(name, sizeof(name), "%s.yaml", CASES[i].file);
		kit_copy_in(w, "cases", name, name);
	}
	run_result r = kit_run(w, "apply", "--auto-approve", 0);
	kit_expect_in(&r, "0 failed, 0 skipped");
	run_result_free(&r);
	kit_settles(w);
	r = kit_run(w, "graph", NULL, 0);
	for (size_t i = 0; i < sizeof(REFERENCE_EDGES) / sizeof(REFERENCE_EDGES[0]); i++)
		kit_expect_in(&r, REFERENCE_EDGES[i]);
	run_result_free(&r);

	/* Update in place: every row's edit shows as an update of its path. */
	for (size_t i = 0; i < NCASES; i++)
		if (CASES[i].update_from)
			kit_edit(w, CASES[i].file, CASES[i].update_from, CASES[i].update_to);
	r = kit_run(w, "plan", "--detailed-exitcode", 2);
	for (size_t i = 0; i < NCASES; i++) {
		const kind_case *c = &CASES[i];
		if (!c->update_from)
			continue;
		char *block = kit_block_of(r.out, c->address);
		char *line = NULL;
		assert_true(asprintf(&line, "~ %s:", c->update_path) > 0);
		if (!block || strncmp(block, " ", 1) != 0 || !strstr(block, line))
			fail_msg("%s: expected an update of %s in\n%s", c->address, c->update_path,
				 r.out);
		char *header = NULL;
		assert_true(asprintf(&header, "~ %s  ", c->address) > 0);
		if (!strstr(r.out, header))
			fail_msg("%s: not an update in place:\n%s", c->address, r.out);
		free(header);
		free(line);
		free(block);
	}
	run_result_free(&r);
	kit_apply_ok(w);
	kit_settles(w);

	/* Replace: refused for stateful kinds until allowReplace says so. */
	for (size_t i = 0; i < NCASES; i++)
		if (CASES[i].replace_from)
			kit_edit(w, CASES[i].file, CASES[i].replace_from, CASES[i].replace_to);
	/* A plan holding a refused action is an error, not "changes". */
	r = kit_run(w, "plan", "--detailed-exitcode", 1);
	for (size_t i = 0; i < NCASES; i++) {
		const kind_case *c = &CASES[i];
		if (!c->replace_from)
			continue;
		char *header = NULL, *why = NULL;
		assert_true(asprintf(&header, "-/+ %s  ", c->address) > 0);
		assert_true(asprintf(&why, "replacing %s deletes it", c->address) > 0);
		if (!strstr(r.out, header))
			fail_msg("%s: %s should force a replacement:\n%s", c->address,
				 c->replace_path, r.out);
		if (c->stateful != (strstr(r.out, why) != NULL || strstr(r.err, why) != NULL))
			fail_msg("%s: replacement %s be refused:\n%s\n%s", c->address,
				 c->stateful ? "should" : "should not", r.out, r.err);
		free(header);
		free(why);
	}
	run_result_free(&r);
	r = kit_run(w, "apply", "--auto-approve", 1);
	kit_expect_in(&r, "lifecycle.allowReplace");
	run_result_free(&r);
	for (size_t i = 0; i < NCASES; i++)
		if (CASES[i].replace_from && CASES[i].stateful)
			kit_edit(w, CASES[i].file, "metadata:\n", "metadata:\n  lifecycle:\n    allowReplace: true\n");
	r = kit_run(w, "apply", "--auto-approve", 0);
	for (size_t i = 0; i < NCASES; i++) {
		if (!CASES[i].replace_from)
			continue;
		char *done = NULL;
		assert_true(asprintf(&done, "%s: replaced", CASES[i].address) > 0);
		kit_expect_in(&r, done);
		free(done);
	}
	run_result_free(&r);
	kit_settles(w);

	/* Drift: a change made outside azapply is reported, exit 2. */
	for (size_t i = 0; i < NCASES; i++)
		drift_one(w, &CASES[i]);
	r = kit_run(w, "drift", NULL, 2);
	for (size_t i = 0; i < NCASES; i++) {
		const kind_case *c = &CASES[i];
		if (c->drift == DRIFT_NONE)
			continue;
		char *head = NULL, *line = NULL;
		assert_true(asprintf(&head, "%s: changed outside azapply", c->address) > 0);
		assert_true(asprintf(&line, "    %s: Azure has", c->drift_path) > 0);
		kit_expect_in(&r, head);
		const char *at = strstr(r.out, head);
		const char *next = strstr(at + strlen(head), ": changed outside azapply");
		const char *hit = strstr(at, line);
		if (!hit || (next && hit > next))
			fail_msg("%s: drift of %s not reported:\n%s", c->address, c->drift_path, r.out);
		free(head);
		free(line);
	}
	run_result_free(&r);
	kit_apply_ok(w);
	r = kit_run(w, "drift", NULL, 0);
	kit_expect_in(&r, "No drift");
	run_result_free(&r);

	/* Prune: removing a manifest deletes what the stack owns. */
	for (size_t i = 0; i < NCASES; i++) {
		if (!CASES[i].prunable)
			continue;
		char *path = kit_stack_file(w, CASES[i].file);
		assert_int_equal(unlink(path), 0);
		free(path);
	}
	r = kit_run(w, "apply", "--auto-approve", 0);
	for (size_t i = 0; i < NCASES; i++) {
		if (!CASES[i].prunable)
			continue;
		/* An orphan's address is Kind/<Azure name>: look for the kind. */
		const char *address = CASES[i].address;
		size_t kind_len = (size_t)(strchr(address, '/') - address) + 1;
		bool found = false;
		for (const char *line = r.out; line && *line && !found;) {
			const char *end = strchr(line, '\n');
			size_t len = end ? (size_t)(end - line) : strlen(line);
			found = strncmp(line, address, kind_len) == 0 &&
				memmem(line, len, ": deleted", 9) != NULL;
			line = end ? end + 1 : NULL;
		}
		if (!found) {
			fprintf(stderr, "stdout:\n%s\nstderr:\n%s\n", r.out, r.err);
			fail_msg("%s: not deleted by the prune", address);
		}
	}
	run_result_free(&r);
	kit_settles(w);

	/* Soft delete: the pruned vault still holds its name. Creating it
	 * again fails with a way out in the diagnostic; after a purge it works. */
	kit_copy_in(w, "cases", "KeyVault.yaml", "KeyVault.yaml");
	r = kit_run(w, "apply", "--auto-approve", 1);
	kit_expect_in(&r, "already exists in deleted state");
	kit_expect_in(&r, "az keyvault recover --name kv-kinds-case");
	kit_expect_in(&r, "az keyvault purge --name kv-kinds-case --location westeurope");
	run_result_free(&r);
	char *url = NULL;
	assert_true(asprintf(&url, "https://management.localhost:%d" SUB "/providers/"
			     "Microsoft.KeyVault/locations/westeurope/deletedVaults/kv-kinds-case/"
			     "purge?api-version=2023-07-01", emu_port(w->e)) > 0);
	emu_response resp = kit_call(w, ARM_SCOPE, "POST", url, NULL);
	if (resp.status != 200 && resp.status != 202)
		fail_msg("purge: %ld %s", resp.status, resp.body);
	emu_response_free(&resp);
	free(url);
	kit_apply_ok(w);
	kit_settles(w);
}

/* The position in the request log of the first `method` whose path ends
 * with `suffix` (before any query) on the workspace's data plane; -1 when
 * none. */
static long logged(json_t *log, const char *method, const char *suffix)
{
	size_t i;
	json_t *req;
	json_array_foreach(json_object_get(log, "requests"), i, req) {
		const char *m = json_string_value(json_object_get(req, "method"));
		const char *host = json_string_value(json_object_get(req, "host"));
		const char *path = json_string_value(json_object_get(req, "path"));
		const char *at = path ? strstr(path, suffix) : NULL;
		if (m && host && at && strcmp(m, method) == 0 && strstr(host, "synw-kinds.") &&
		    (at[strlen(suffix)] == '\0' || at[strlen(suffix)] == '?'))
			return (long)i;
	}
	return -1;
}

static const char *trigger_state(world *w)
{
	char *url = kit_data_plane_url(w, "triggers/trcase");
	emu_response resp = kit_call(w, SYNAPSE_SCOPE, "GET", url, NULL);
	assert_int_equal(resp.status, 200);
	const char *state = json_string_value(
		json_object_get(json_object_get(resp.json, "properties"), "runtimeState"));
	static char copy[32];
	snprintf(copy, sizeof(copy), "%s", state ? state : "");
	emu_response_free(&resp);
	free(url);
	return copy;
}

/* A started trigger is stopped around a change of the pipeline it starts
 * and of itself, and started again afterwards, also when the change fails. */
static void started_trigger(void **state)
{
	world *w = *state;
	kit_copy_in(w, "cases", "Pipeline.yaml", "Pipeline.yaml");
	kit_copy_in(w, "cases", "Trigger.yaml", "Trigger.yaml");
	kit_apply_ok(w);
	assert_string_equal(trigger_state(w), "Started");

	emu_control(w->e, "DELETE", "log", NULL, NULL);
	kit_edit(w, "Pipeline", "description: first", "description: second");
	kit_apply_ok(w);
	json_t *log = NULL;
	assert_int_equal(emu_control(w->e, "GET", "log", NULL, &log), 200);
	long stop = logged(log, "POST", "/triggers/trcase/stop");
	long put = logged(log, "PUT", "/pipelines/plcase");
	long start = logged(log, "POST", "/triggers/trcase/start");
	json_decref(log);
	if (!(stop >= 0 && stop < put && put < start))
		fail_msg("expected stop < PUT pipeline < start, got %ld %ld %ld", stop, put, start);
	assert_string_equal(trigger_state(w), "Started");
	kit_settles(w);

	/* The trigger's own PUT fails: it is started again all the same. */
	json_t *fault = NULL;
	assert_int_equal(emu_control(w->e, "POST", "faults",
				     "{\"method\":\"PUT\",\"path\":\"^/triggers/trcase\","
				     "\"status\":400,\"body\":{\"code\":\"BadRequest\","
				     "\"message\":\"refused by the test\"}}",
				     &fault),
			 200);
	json_decref(fault);
	kit_edit(w, "Trigger", "description: first", "description: second");
	run_result r = kit_run(w, "apply", "--auto-approve", 1);
	kit_expect_in(&r, "refused by the test");
	run_result_free(&r);
	assert_string_equal(trigger_state(w), "Started");
	assert_int_equal(emu_control(w->e, "DELETE", "faults", NULL, NULL), 200);
	kit_apply_ok(w);
	assert_string_equal(trigger_state(w), "Started");
	kit_settles(w);
}

/* A managed private endpoint's connection waits for the owner of its
 * target. Plan and drift say so without calling it a change: the stack
 * settles to "No changes" while it is Pending, and once the owner has
 * approved it nothing more is said. */
static void private_endpoint_awaits_approval(void **state)
{
	world *w = *state;
	const char *pending = "! ManagedPrivateEndpoint/pecase: connection Pending: approve it on "
			      "the target resource";
	kit_copy_in(w, "cases", "ManagedPrivateEndpoint.yaml", "ManagedPrivateEndpoint.yaml");
	kit_apply_ok(w);
	run_result r = kit_run(w, "plan", "--detailed-exitcode", 0);
	kit_expect_in(&r, "No changes.");
	kit_expect_in(&r, pending);
	run_result_free(&r);
	r = kit_run(w, "drift", NULL, 0);
	kit_expect_in(&r, "No drift");
	kit_expect_in(&r, pending);
	run_result_free(&r);
	/* In JSON: on the plan's resource, and in the drift report's list. */
	const char *plan_json[] = {"plan", w->stack, "--env", "test", "--output", "json", NULL};
	r = kit_azapply(w, plan_json);
	json_t *doc = json_loads(r.out, 0, NULL);
	size_t i;
	json_t *res;
	const char *shown = NULL;
	json_array_foreach(json_object_get(doc, "resources"), i, res)
		if (!strcmp(json_string_value(json_object_get(res, "address")),
			    "ManagedPrivateEndpoint/pecase"))
			shown = json_string_value(json_object_get(res, "awaitingApproval"));
	assert_non_null(shown);
	assert_string_equal(shown, "Pending");
	json_decref(doc);
	run_result_free(&r);
	const char *drift_json[] = {"drift", w->stack, "--env", "test", "--output", "json", NULL};
	r = kit_azapply(w, drift_json);
	doc = json_loads(r.out, 0, NULL);
	json_t *waiting = json_array_get(json_object_get(doc, "awaitingApproval"), 0);
	assert_string_equal(json_string_value(json_object_get(waiting, "address")),
			    "ManagedPrivateEndpoint/pecase");
	assert_string_equal(json_string_value(json_object_get(waiting, "status")), "Pending");
	assert_false(json_is_true(json_object_get(doc, "drift")));
	json_decref(doc);
	run_result_free(&r);

	assert_int_equal(emu_control(w->e, "POST",
				     "synapse/synw-kinds/managedPrivateEndpoints/pecase/approve", NULL,
				     NULL),
			 200);
	r = kit_run(w, "plan", "--detailed-exitcode", 0);
	kit_expect_in(&r, "No changes.");
	if (strstr(r.out, "connection"))
		fail_msg("an approved connection is still reported:\n%s", r.out);
	run_result_free(&r);
}

#define PRIVCASE RG "/providers/Microsoft.Network/privateEndpoints/pe-kinds-case"
#define ZONES RG "/providers/Microsoft.Network/privateDnsZones/"

/* A private endpoint's DNS zone group is written after the endpoint and
 * read back with it: what Azure fills in (record sets, provisioning
 * states, config names) never shows as a change, a zone added to the
 * group is an update in place, and a renamed group replaces the old one,
 * Azure allowing one per endpoint. */
static void private_endpoint_zone_group(void **state)
{
	world *w = *state;
	kit_copy_in(w, "cases", "PrivateEndpoint.yaml", "PrivateEndpoint.yaml");
	kit_apply_ok(w);
	kit_settles(w);
	json_t *group = kit_arm_get(w, PRIVCASE "/privateDnsZoneGroups/default");
	assert_non_null(group);
	json_t *configs = json_object_get(json_object_get(group, "properties"),
					  "privateDnsZoneConfigs");
	assert_int_equal(json_array_size(configs), 1);
	assert_non_null(json_object_get(json_object_get(json_array_get(configs, 0), "properties"),
					"recordSets"));
	json_decref(group);

	kit_edit(w, "PrivateEndpoint", "    name: default\n    zones:\n",
		 "    name: lake\n    zones:\n      - " ZONES "privatelink.dfs.core.windows.net\n");
	run_result r = kit_run(w, "plan", "--detailed-exitcode", 2);
	kit_expect_in(&r, "~ PrivateEndpoint/privcase  ");
	kit_expect_in(&r, "privateDnsZoneGroup");
	run_result_free(&r);
	kit_apply_ok(w);
	kit_settles(w);
	assert_null(kit_arm_get(w, PRIVCASE "/privateDnsZoneGroups/default"));
	group = kit_arm_get(w, PRIVCASE "/privateDnsZoneGroups/lake");
	assert_non_null(group);
	configs = json_object_get(json_object_get(group, "properties"), "privateDnsZoneConfigs");
	assert_int_equal(json_array_size(configs), 2);
	json_decref(group);

	/* The group deleted outside azapply is drift, and the next apply
	 * writes it again. */
	assert_int_equal(emu_control(w->e, "DELETE", "arm" PRIVCASE "/privateDnsZoneGroups/lake",
				     NULL, NULL),
			 200);
	r = kit_run(w, "drift", NULL, 2);
	kit_expect_in(&r, "PrivateEndpoint/privcase: changed outside azapply");
	run_result_free(&r);
	kit_apply_ok(w);
	kit_settles(w);
}

/* An example goes from nothing to "No changes" in one apply. */
static void example_settles(world *w, const char *example, const char *env)
{
	run_result r;
	const char *rm[] = {"-rf", w->stack, NULL};
	assert_int_equal(run_command(&r, "/bin/rm", rm, NULL, NULL), 0);
	run_result_free(&r);
	char *from = NULL;
	assert_true(asprintf(&from, "%s/examples/%s", AZAPPLY_SOURCE_DIR, example) > 0);
	const char *cp[] = {"-r", from, w->stack, NULL};
	assert_int_equal(run_command(&r, "/bin/cp", cp, NULL, NULL), 0);
	run_result_free(&r);
	free(from);
	/* The examples' prod firewall admits the CI runner that deploys prod
	 * (203.0.113.10), not this machine: the run comes from there. */
	if (!strcmp(env, "prod"))
		assert_int_equal(emu_control(w->e, "PUT", "settings",
					     "{\"clientIp\":\"203.0.113.10\"}", NULL),
				 200);
	const char *validate[] = {"validate", w->stack, "--env", env, NULL};
	r = kit_azapply(w, validate);
	assert_int_equal(r.exit_code, 0);
	run_result_free(&r);
	const char *apply[] = {"apply", w->stack, "--env", env, "--auto-approve", NULL};
	r = kit_azapply(w, apply);
	if (r.exit_code != 0) {
		fprintf(stderr, "stdout:\n%s\nstderr:\n%s\n", r.out, r.err);
		fail_msg("%s (%s): apply from nothing failed", example, env);
	}
	kit_expect_in(&r, "0 failed, 0 skipped");
	run_result_free(&r);
	const char *plan[] = {"plan", w->stack, "--env", env, "--detailed-exitcode", NULL};
	r = kit_azapply(w, plan);
	if (r.exit_code != 0)
		fail_msg("%s (%s): not settled after one apply:\n%s", example, env, r.out);
	kit_expect_in(&r, "No changes.");
	assert_null(strstr(r.out, PASSWORD));
	run_result_free(&r);
}

static void example_service_principal(void **state)
{
	example_settles(*state, "synapse-ml-sp", "dev");
}

static void example_service_principal_prod(void **state)
{
	example_settles(*state, "synapse-ml-sp", "prod");
}

static void example_managed_identity_prod(void **state)
{
	example_settles(*state, "synapse-ml", "prod");
}

/* Two teams, each one instance of a component, settle in both
 * environments. */
static void example_multi_team(void **state)
{
	example_settles(*state, "multi-team", "dev");
}

static void example_multi_team_prod(void **state)
{
	example_settles(*state, "multi-team", "prod");
}

#define MULTI_TEAM_LAKE                                                                            \
	"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-multiteam-dev/"    \
	"providers/Microsoft.Storage/storageAccounts/stanadev"

/* lockStorageAccount names an instance's account by its address
 * (analytics/StorageAccount/datalake): once the first apply has created
 * it, the next apply holds its lock there. */
static void lock_in_a_component_instance(void **state)
{
	world *w = *state;
	example_settles(w, "multi-team", "dev");
	const char *apply[] = {"apply", w->stack, "--env", "dev", "--auto-approve", NULL};
	run_result r = kit_azapply(w, apply);
	assert_int_equal(r.exit_code, 0);
	kit_expect_not_in(&r, "holds no lock");
	kit_expect_not_in(&r, "no storage account for its lock");
	kit_expect_not_in(&r, "which this stack does not declare");
	run_result_free(&r);
	json_t *container = kit_arm_get(w, MULTI_TEAM_LAKE "/blobServices/default/containers/"
					   "azapply-lock-multiteam-dev");
	assert_non_null(container);
	json_decref(container);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(every_kind, kit_setup, kit_teardown),
		cmocka_unit_test_setup_teardown(started_trigger, kit_setup, kit_teardown),
		cmocka_unit_test_setup_teardown(private_endpoint_awaits_approval, kit_setup,
						kit_teardown),
		cmocka_unit_test_setup_teardown(private_endpoint_zone_group, kit_setup, kit_teardown),
		cmocka_unit_test_setup_teardown(example_service_principal, kit_setup, kit_teardown),
		cmocka_unit_test_setup_teardown(example_service_principal_prod, kit_setup, kit_teardown),
		cmocka_unit_test_setup_teardown(example_managed_identity_prod, kit_setup, kit_teardown),
		cmocka_unit_test_setup_teardown(example_multi_team, kit_setup, kit_teardown),
		cmocka_unit_test_setup_teardown(example_multi_team_prod, kit_setup, kit_teardown),
		cmocka_unit_test_setup_teardown(lock_in_a_component_instance, kit_setup, kit_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
