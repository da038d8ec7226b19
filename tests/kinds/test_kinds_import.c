/*
 * test_kinds_import.c - every kind that can be imported, imported.
 *
 * tests/kinds/import/live.json is the table: per kind, a manifest of the
 * stack, the Azure id it derives, and a live body that is created outside
 * azapply (through the emulator's control API, the Synapse data plane or
 * Graph), without a marker. Where the Azure REST specs have an example for
 * a kind that tests/golden does not cover, the body is that example's
 * (tests/kinds/examples, sources below), re-homed under the stack's ids:
 *
 *   CreateResourceGroup.json  specification/resources/resource-manager/
 *       Microsoft.Resources/stable/2021-04-01/examples/CreateResourceGroup.json (200)
 *   BlobContainersPut.json    specification/storage/resource-manager/
 *       Microsoft.Storage/stable/2025-01-01/examples/BlobContainersPut.json (200)
 *   BasicAmlCompute.json      specification/machinelearningservices/resource-manager/
 *       Microsoft.MachineLearningServices/stable/2025-09-01/examples/Compute/
 *       createOrUpdate/BasicAmlCompute.json (the request's properties with the
 *       response's read-only fields, as the compute reads once created)
 *   Pipelines_Create.json     specification/synapse/data-plane/Microsoft.Synapse/
 *       stable/2020-12-01/examples/Pipelines_Create.json (200)
 *   ManagedOnlineDeployment.json  specification/machinelearningservices/resource-manager/
 *       Microsoft.MachineLearningServices/stable/2025-09-01/examples/OnlineDeployment/
 *       ManagedOnlineDeployment/get.json (200, without its placeholder identity, whose
 *       user-assigned identity "string" is no id, and Succeeded)
 *
 * A row's "children" are made after it, as they exist in Azure: a private
 * endpoint's DNS zone group, which its manifest declares with it.
 *
 * The manifests set the same writable properties as the live bodies, so
 * the first plan shows only adoptions (the SQL admin password of a Synapse
 * workspace excepted: Azure never returns it, so adopting writes it). Then
 * `azapply import` adopts them one by one: the marker is on each, nothing
 * else is written (the password is left to the next apply), and after that
 * apply the plan says "No changes". Role assignments are not in the table:
 * their names are derived from what they grant, so there is nothing to
 * import under another name. Firewall rules, integration runtimes, KQL
 * scripts, managed private endpoints and federated identity credentials
 * have no marker: importing one changes nothing, and the plan never lists it.
 */
#define _GNU_SOURCE /* asprintf */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kindkit.h"

/* "{kinds-base-app}" in a row stands for the appId of the base application. */
#define BASE_APP "{kinds-base-app}"

static char *replace(const char *s, const char *from, const char *to)
{
	const char *at = strstr(s, from);
	char *out = NULL;
	if (!at)
		return strdup(s);
	assert_true(asprintf(&out, "%.*s%s%s", (int)(at - s), s, to, at + strlen(from)) > 0);
	return out;
}

static const char *row_str(const json_t *row, const char *key)
{
	return json_string_value(json_object_get(row, key));
}

static char *base_app_id(world *w)
{
	char *url = kit_url(w, "graph", "/v1.0/applications(uniqueName='kinds-base-app')");
	emu_response resp = kit_call(w, GRAPH_SCOPE, "GET", url, NULL);
	assert_int_equal(resp.status, 200);
	char *app = strdup(json_string_value(json_object_get(resp.json, "appId")));
	emu_response_free(&resp);
	free(url);
	return app;
}

/* The row's Azure id, with the base application's appId filled in. */
static char *row_id(const json_t *row, const char *app)
{
	return replace(row_str(row, "id"), BASE_APP, app);
}

static json_t *row_body(const json_t *row)
{
	const char *file = row_str(row, "bodyFile");
	return file ? kit_load_json(file) : json_deep_copy(json_object_get(row, "body"));
}

/* Creates the row's resource outside azapply, without a marker. */
static void seed(world *w, const json_t *row, const char *app)
{
	json_t *body = row_body(row);
	const char *graph = row_str(row, "graph");
	const char *artifact = row_str(row, "artifact");
	if (graph) {
		char *path = replace(graph, BASE_APP, app);
		char *url = kit_url(w, "graph", path);
		char *text = json_dumps(body, JSON_COMPACT);
		emu_response resp = kit_call(w, GRAPH_SCOPE, "PATCH", url, text);
		if (resp.status != 201 && resp.status != 204)
			fail_msg("Graph upsert %s: %ld %s", path, resp.status, resp.body);
		emu_response_free(&resp);
		free(text);
		free(url);
		free(path);
	} else if (artifact) {
		/* An example's body names the artifact it was: name it ours. */
		const char *slash = strrchr(artifact, '/');
		json_object_set_new(body, "name", json_string(slash + 1));
		json_object_del(body, "id");
		char *path = NULL, *text = json_dumps(body, JSON_COMPACT);
		assert_true(asprintf(&path, "synapse/synw-kinds/%s", artifact) > 0);
		json_t *answer = NULL;
		if (emu_control(w->e, "PUT", path, text, &answer) != 200)
			fail_msg("out-of-band PUT of %s failed", artifact);
		json_decref(answer);
		free(text);
		free(path);
	} else {
		/* ARM: the control API stores the body under our id as it is. */
		char *id = row_id(row, app);
		json_object_del(body, "id");
		json_object_del(body, "name");
		kit_arm_put(w, id, body);
		free(id);
		/* Child resources a manifest declares with its parent (a
		 * private endpoint's DNS zone group), made after it. */
		size_t i;
		json_t *child;
		json_array_foreach(json_object_get(row, "children"), i, child) {
			json_t *cbody = json_deep_copy(json_object_get(child, "body"));
			kit_arm_put(w, json_string_value(json_object_get(child, "id")), cbody);
			json_decref(cbody);
		}
	}
	json_decref(body);
}

/* The live body of the row's resource, as Azure answers a GET. */
static json_t *live_of(world *w, const json_t *row, const char *app)
{
	const char *graph = row_str(row, "graph");
	const char *artifact = row_str(row, "artifact");
	if (!graph && !artifact) {
		char *id = row_id(row, app);
		json_t *live = kit_arm_get(w, id);
		free(id);
		return live;
	}
	char *path = graph ? replace(graph, BASE_APP, app) : NULL;
	char *url = graph ? kit_url(w, "graph", path) : kit_data_plane_url(w, artifact);
	emu_response resp = kit_call(w, graph ? GRAPH_SCOPE : SYNAPSE_SCOPE, "GET", url, NULL);
	json_t *live = resp.status == 200 ? json_incref(resp.json) : NULL;
	emu_response_free(&resp);
	free(url);
	free(path);
	return live;
}

/* Whether this stack's marker is on the body, wherever the kind keeps it
 * (tags, container metadata, artifact annotations, Graph notes). */
static bool marked(const json_t *live)
{
	char *text = json_dumps(live, JSON_COMPACT);
	bool found = strstr(text, "\"azapply-stack\":\"kinds\"") ||
		     strstr(text, "\"azapply_stack\":\"kinds\"") || strstr(text, "azapply-stack=kinds");
	free(text);
	return found;
}

static char *manifest_file_name(const char *address)
{
	char *name = NULL;
	assert_true(asprintf(&name, "%s.yaml", address) > 0);
	*strchr(name, '/') = '-';
	return name;
}

/* Import ADDR AZURE_ID. */
static run_result import(world *w, const char *address, const char *id, int code)
{
	const char *args[] = {"import",	 address, id,		"--dir", w->stack,
			      "--env",	 "test",  "--auto-approve", NULL};
	run_result r = kit_azapply(w, args);
	if (r.exit_code != code) {
		fprintf(stderr, "stdout:\n%s\nstderr:\n%s\n", r.out, r.err);
		fail_msg("azapply import %s %s: expected exit %d, got %d", address, id, code,
			 r.exit_code);
	}
	return r;
}

/* Kinds without tags or a free field, whose resources carry no marker to
 * adopt. */
static bool markerless(const char *address)
{
	return strcmp(address, "SynapseFirewallRule/fwcase") == 0 ||
	       strcmp(address, "IntegrationRuntime/ircase") == 0 ||
	       strcmp(address, "KqlScript/kqlcase") == 0 ||
	       strcmp(address, "ManagedPrivateEndpoint/pecase") == 0 ||
	       strcmp(address, "FederatedIdentityCredential/ficcase") == 0;
}

static void import_every_kind(void **state)
{
	world *w = *state;
	kit_apply_ok(w);
	char *app = base_app_id(w);
	json_t *rows = kit_load_json("import/live.json");
	kit_copy_in(w, "import", "examplePipeline.json", "examplePipeline.json");
	size_t i;
	json_t *row;
	json_array_foreach(rows, i, row) {
		seed(w, row, app);
		const char *manifest = row_str(row, "manifest");
		char *name = manifest_file_name(row_str(row, "address"));
		char dir[16];
		snprintf(dir, sizeof(dir), "%.*s", (int)(strchr(manifest, '/') - manifest), manifest);
		kit_copy_in(w, dir, strchr(manifest, '/') + 1, name);
		free(name);
	}

	/* Same writable properties: the plan adopts, and changes nothing else. */
	run_result r = kit_run(w, "plan", "--detailed-exitcode", 2);
	size_t nomarker = 0;
	json_array_foreach(rows, i, row) {
		const char *address = row_str(row, "address");
		char *adopt = NULL;
		if (markerless(address)) {
			if (kit_block_of(r.out, address))
				fail_msg("%s has no marker to adopt:\n%s", address, r.out);
			nomarker++;
			continue;
		}
		if (strcmp(address, "SynapseWorkspace/synapsecase") == 0)
			assert_true(asprintf(&adopt, "# %s will be adopted and updated in place",
					     address) > 0);
		else
			assert_true(asprintf(&adopt, "# %s will be adopted (it exists without", address) >
				    0);
		kit_expect_in(&r, adopt);
		free(adopt);
	}
	char *counts = NULL;
	assert_true(asprintf(&counts, "Plan: 0 to add, %zu to change, 0 to replace, 0 to destroy.",
			     json_array_size(rows) - nomarker) > 0);
	kit_expect_in(&r, counts);
	free(counts);
	run_result_free(&r);

	/* Import one by one: each gets the marker, the others stay unmarked. */
	json_array_foreach(rows, i, row) {
		const char *address = row_str(row, "address");
		char *id = row_id(row, app);
		json_t *live = live_of(w, row, app);
		if (!live || marked(live))
			fail_msg("%s: expected unmarked before the import", address);
		json_decref(live);
		r = import(w, address, id, 0);
		if (!markerless(address)) {
			kit_expect_in(&r, "Import complete: 1 done, 0 failed, 0 skipped.");
			live = live_of(w, row, app);
			if (!live || !marked(live))
				fail_msg("%s: no marker after the import:\n%s", address, r.out);
			json_decref(live);
		}
		run_result_free(&r);
		free(id);
	}
	/* Import writes only the marker: the workspace's SQL password, which
	 * Azure never returns, is the next apply's to write. */
	r = kit_run(w, "plan", "--detailed-exitcode", 2);
	kit_expect_in(&r, "Plan: 0 to add, 1 to change, 0 to replace, 0 to destroy.");
	kit_expect_in(&r, "# SynapseWorkspace/synapsecase will be updated in place");
	run_result_free(&r);
	kit_apply_ok(w);
	kit_settles(w);
	json_decref(rows);
	free(app);
}

/* An id the manifest does not derive, or a resource that is not there, is
 * refused with a message that says which. */
static void import_refusals(void **state)
{
	world *w = *state;
	kit_copy_in(w, "import", "ResourceGroup.yaml", "ResourceGroup.yaml");
	json_t *body = kit_load_json("examples/CreateResourceGroup.json");
	json_object_del(body, "id");
	json_object_del(body, "name");
	kit_arm_put(w, SUB "/resourceGroups/my-resource-group", body);
	kit_arm_put(w, SUB "/resourceGroups/other-group", body);
	json_decref(body);

	run_result r = import(w, "ResourceGroup/imported-group", SUB "/resourceGroups/other-group", 1);
	kit_expect_in(&r, "the manifest describes " SUB "/resourceGroups/my-resource-group, not " SUB
			  "/resourceGroups/other-group");
	run_result_free(&r);

	kit_copy_in(w, "cases", "ResourceGroup.yaml", "ResourceGroup-rgcase.yaml");
	r = import(w, "ResourceGroup/rgcase", SUB "/resourceGroups/rg-kinds-case", 1);
	kit_expect_in(&r, SUB "/resourceGroups/rg-kinds-case does not exist in Azure");
	run_result_free(&r);

	/* An address no manifest declares is named as the user gave it (not
	 * as a --target the user never passed), with the closest address. */
	r = import(w, "ResourceGroup/nosuch", SUB "/resourceGroups/my-resource-group", 1);
	kit_expect_in(&r, "import ResourceGroup/nosuch is not a resource of this stack");
	assert_null(strstr(r.err, "--target"));
	run_result_free(&r);
	r = import(w, "ResourceGroup/imported-grop", SUB "/resourceGroups/my-resource-group", 1);
	kit_expect_in(&r, "did you mean ResourceGroup/imported-group?");
	run_result_free(&r);
	const char *target[] = {"plan", w->stack, "--env", "test", "--target",
				"ResourceGroup/imported-grup", NULL};
	r = kit_azapply(w, target);
	assert_int_equal(r.exit_code, 1);
	kit_expect_in(&r, "--target ResourceGroup/imported-grup is not a resource of this stack");
	kit_expect_in(&r, "did you mean ResourceGroup/imported-group?");
	run_result_free(&r);

	/* Nothing was written: both groups are still unmarked. */
	json_t *live = kit_arm_get(w, SUB "/resourceGroups/my-resource-group");
	assert_non_null(live);
	assert_false(marked(live));
	json_decref(live);
	live = kit_arm_get(w, SUB "/resourceGroups/other-group");
	assert_non_null(live);
	assert_false(marked(live));
	json_decref(live);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(import_every_kind, kit_setup, kit_teardown),
		cmocka_unit_test_setup_teardown(import_refusals, kit_setup, kit_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
