/*
 * test_kinds_rules.c - the rules that belong to one kind, end to end.
 *
 * A Synapse workspace's SQL admin password is write-only: its salted hash
 * in the marker tells a change, shown as "(sensitive)" and never the
 * value. A SQL pool's status is operational state (pause and resume are
 * not a diff). A resource group is not deleted while it holds what the
 * stack does not own. Role assignments settle with the role by name or by
 * GUID and with principals from other resources, and one made outside
 * azapply under another name is adopted (409 RoleAssignmentExists).
 * Firewall rules have nowhere to keep a marker: they are never pruned.
 * Storage account keys are never read, so never shown. An ML datastore's
 * manifest holds no key, token or secret: validate refuses them. The
 * datastores Azure makes with an ML workspace are never pruned, marked or
 * shown, and go with the workspace on destroy.
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
#include <unistd.h>

#include "kindkit.h"

#define OTHER_PASSWORD "Other-Passw0rd!42"

static void remove_manifest(world *w, const char *name)
{
	char *path = kit_stack_file(w, name);
	assert_int_equal(unlink(path), 0);
	free(path);
}

/* The SQL admin password comes from ${env.SYNAPSE_SQL_PASSWORD}. */
static void sql_password(void **state)
{
	world *w = *state;
	kit_apply_ok(w);
	kit_settles(w);
	w->password = OTHER_PASSWORD;
	run_result r = kit_run(w, "plan", "--detailed-exitcode", 2);
	char *block = kit_block_of(r.out, "SynapseWorkspace/synapse");
	/* "+": Azure never returns the password, so it is written again. */
	if (!block || !strstr(block, "+ properties.sqlAdministratorLoginPassword: (sensitive)"))
		fail_msg("expected a sensitive password update:\n%s", r.out);
	free(block);
	kit_expect_in(&r, "Plan: 0 to add, 1 to change, 0 to replace, 0 to destroy.");
	run_result_free(&r);
	const char *json[] = {"plan", w->stack, "--env", "test", "--output", "json", NULL};
	r = kit_azapply(w, json);
	assert_int_equal(r.exit_code, 0);
	run_result_free(&r);
	kit_apply_ok(w);
	/* The same value again: no change. */
	kit_settles(w);
	r = kit_run(w, "drift", NULL, 0);
	run_result_free(&r);
}

/* A paused pool is the same pool. */
static void sql_pool_paused(void **state)
{
	world *w = *state;
	kit_copy_in(w, "cases", "SqlPool.yaml", "SqlPool.yaml");
	kit_apply_ok(w);
	json_t *answer = NULL;
	assert_int_equal(emu_control(w->e, "PATCH", "arm" WS "/sqlPools/sqlcase",
				     "{\"properties\":{\"status\":\"Paused\"}}", &answer),
			 200);
	json_decref(answer);
	json_t *live = kit_arm_get(w, WS "/sqlPools/sqlcase");
	assert_string_equal(json_string_value(json_object_get(json_object_get(live, "properties"),
								"status")),
			    "Paused");
	json_decref(live);
	kit_settles(w);
	run_result r = kit_run(w, "drift", NULL, 0);
	kit_expect_in(&r, "No drift");
	run_result_free(&r);
}

/* Pruning a group that holds an unmanaged resource is refused until it
 * is gone. */
static void resource_group_guard(void **state)
{
	world *w = *state;
	kit_copy_in(w, "cases", "ResourceGroup.yaml", "ResourceGroup.yaml");
	kit_apply_ok(w);
	const char *other = SUB "/resourceGroups/rg-kinds-case/providers/Microsoft.Storage/"
				"storageAccounts/stunmanaged";
	json_t *body = json_pack("{s:s,s:s,s:{s:s}}", "location", "westeurope", "kind", "StorageV2",
				 "sku", "name", "Standard_LRS");
	kit_arm_put(w, other, body);
	json_decref(body);
	remove_manifest(w, "ResourceGroup");
	run_result r = kit_run(w, "apply", "--auto-approve", 1);
	kit_expect_in(&r, "deleting ResourceGroup/rg-kinds-case would delete");
	kit_expect_in(&r, "stunmanaged, which this stack does not own");
	run_result_free(&r);
	json_t *live = kit_arm_get(w, SUB "/resourceGroups/rg-kinds-case");
	assert_non_null(live);
	json_decref(live);

	char *path = NULL;
	assert_true(asprintf(&path, "arm%s", other) > 0);
	assert_int_equal(emu_control(w->e, "DELETE", path, NULL, NULL), 200);
	free(path);
	r = kit_run(w, "apply", "--auto-approve", 0);
	kit_expect_in(&r, "ResourceGroup/rg-kinds-case: deleted");
	run_result_free(&r);
	assert_null(kit_arm_get(w, SUB "/resourceGroups/rg-kinds-case"));
}

/* Firewall rules and Synapse role assignments keep no marker: removing
 * their manifests leaves them where they are. */
static void markerless_never_pruned(void **state)
{
	world *w = *state;
	kit_copy_in(w, "cases", "SynapseFirewallRule.yaml", "SynapseFirewallRule.yaml");
	kit_copy_in(w, "cases", "SynapseRoleAssignment.yaml", "SynapseRoleAssignment.yaml");
	kit_apply_ok(w);
	remove_manifest(w, "SynapseFirewallRule");
	remove_manifest(w, "SynapseRoleAssignment");
	kit_settles(w);
	kit_apply_ok(w);
	json_t *live = kit_arm_get(w, WS "/firewallRules/casefw");
	assert_non_null(live);
	json_decref(live);
	char *url = kit_data_plane_url(w, "roleAssignments");
	emu_response resp = kit_call(w, SYNAPSE_SCOPE, "GET", url, NULL);
	assert_int_equal(resp.status, 200);
	assert_non_null(strstr(resp.body, "7572bffe-f453-4b66-912a-46cc5ef38fda"));
	emu_response_free(&resp);
	free(url);
}

/* Nothing azapply prints holds a storage key: it never asks for them. */
static void storage_keys_never_read(void **state)
{
	world *w = *state;
	kit_copy_in(w, "cases", "StorageAccount.yaml", "StorageAccount.yaml");
	emu_control(w->e, "DELETE", "log", NULL, NULL);
	kit_apply_ok(w);
	kit_settles(w);
	run_result r = kit_run(w, "drift", "--output=json", 0);
	run_result_free(&r);
	json_t *log = NULL;
	assert_int_equal(emu_control(w->e, "GET", "log", NULL, &log), 200);
	char *text = json_dumps(log, JSON_COMPACT);
	if (strstr(text, "listKeys") || strstr(text, "listAccountSas"))
		fail_msg("azapply asked for storage keys");
	free(text);
	json_decref(log);
}

/* Roles by name and by GUID; principals by reference to a workspace's
 * identity and to a service principal; an assignment made outside azapply
 * under another name adopted. */
static void role_assignments(void **state)
{
	world *w = *state;
	kit_copy_in(w, "cases", "ServicePrincipal.yaml", "ServicePrincipal.yaml");
	kit_copy_in(w, "cases", "RoleAssignment.yaml", "RoleAssignment.yaml");
	kit_apply_ok(w);
	kit_settles(w);
	/* The Synapse identity holds Reader on the ML workspace (racase). Give
	 * it Reader on the lake outside azapply, under a random name. */
	json_t *live = kit_arm_get(w, WS);
	const char *principal = json_string_value(
		json_object_get(json_object_get(live, "identity"), "principalId"));
	assert_non_null(principal);
	json_t *body = json_pack("{s:{s:s,s:s,s:s}}", "properties", "roleDefinitionId",
				 SUB "/providers/Microsoft.Authorization/roleDefinitions/"
				     "acdd72a7-3385-48ef-bd42-f606fba81ae7",
				 "principalId", principal, "principalType", "ServicePrincipal");
	char *url = kit_url(w, "management",
			    LAKE "/providers/Microsoft.Authorization/roleAssignments/"
				 "0b9a6c1e-5d4f-4e3a-9b2c-7d8e9f0a1b2c?api-version=2022-04-01");
	char *text = json_dumps(body, JSON_COMPACT);
	emu_response resp = kit_call(w, ARM_SCOPE, "PUT", url, text);
	assert_int_equal(resp.status, 201);
	emu_response_free(&resp);
	free(text);
	free(url);
	json_decref(body);
	json_decref(live);

	const char more[] =
		"apiVersion: azapply.dev/v1\n"
		"kind: RoleAssignment\n"
		"metadata:\n  name: byguid\n"
		"spec:\n"
		"  scope: ${ref.StorageAccount.lake.id}\n"
		"  role: acdd72a7-3385-48ef-bd42-f606fba81ae7\n"
		"  principalId: ${ref.SynapseWorkspace.synapse.identity.principalId}\n"
		"  principalType: ServicePrincipal\n"
		"---\n"
		"apiVersion: azapply.dev/v1\n"
		"kind: RoleAssignment\n"
		"metadata:\n  name: tosp\n"
		"spec:\n"
		"  scope: ${ref.MlWorkspace.ml.id}\n"
		"  role: Contributor\n"
		"  principalId: ${ref.ServicePrincipal.spcase.id}\n"
		"  principalType: ServicePrincipal\n";
	char *path = kit_stack_file(w, "MoreRoles");
	kit_write_text(path, more);
	free(path);
	kit_apply_ok(w);
	kit_settles(w);
	/* Adopted in place: the outside assignment now carries the marker. */
	live = kit_arm_get(w, LAKE "/providers/Microsoft.Authorization/roleAssignments/"
				  "0b9a6c1e-5d4f-4e3a-9b2c-7d8e9f0a1b2c");
	assert_non_null(live);
	const char *description = json_string_value(
		json_object_get(json_object_get(live, "properties"), "description"));
	if (!description || !strstr(description, "azapply-stack=kinds"))
		fail_msg("the outside assignment was not adopted: %s",
			 description ? description : "(no description)");
	json_decref(live);
}

/* An ML datastore takes no secrets: an account key, or a credential type
 * that needs one, is refused by validate where the manifest holds it,
 * with the way to do without, and the key itself is never printed. */
static void datastore_secrets_refused(void **state)
{
	world *w = *state;
	const char *key = "c2VjcmV0LWtleS1vZi10aGUtYWNjb3VudA==";
	kit_copy_in(w, "cases", "MlDatastore.yaml", "MlDatastore.yaml");
	char *with_key = NULL;
	assert_true(asprintf(&with_key,
			     "      credentialsType: AccountKey\n      secrets:\n"
			     "        secretsType: AccountKey\n        key: %s\n",
			     key) > 0);
	kit_edit(w, "MlDatastore", "      credentialsType: None\n", with_key);
	free(with_key);
	run_result r = kit_run(w, "validate", NULL, 1);
	kit_expect_in(&r, "MlDatastore.yaml:15:9");
	kit_expect_in(&r, "MlDatastore takes no secrets: credentials.secrets");
	kit_expect_in(&r, "set credentials: {credentialsType: None}");
	assert_null(strstr(r.out, key));
	assert_null(strstr(r.err, key));
	run_result_free(&r);

	kit_copy_in(w, "cases", "MlDatastore.yaml", "MlDatastore.yaml");
	kit_edit(w, "MlDatastore", "credentialsType: None", "credentialsType: Sas");
	r = kit_run(w, "validate", NULL, 1);
	kit_expect_in(&r, "MlDatastore.yaml:13:24");
	kit_expect_in(&r, "MlDatastore takes no secrets: credentialsType Sas");
	run_result_free(&r);
}

/* The datastores Azure makes with an ML workspace: the workspace's, with
 * no marker. */
static const char *const DEFAULT_DATASTORES[] = {"workspaceblobstore", "workspaceworkingdirectory",
						 "workspacefilestore", "workspaceartifactstore"};
#define NDEFAULTS (sizeof(DEFAULT_DATASTORES) / sizeof(DEFAULT_DATASTORES[0]))

/* Every default datastore is there, still without a marker. */
static void defaults_untouched(world *w)
{
	for (size_t i = 0; i < NDEFAULTS; i++) {
		char *id = NULL;
		assert_true(asprintf(&id, ML "/datastores/%s", DEFAULT_DATASTORES[i]) > 0);
		json_t *live = kit_arm_get(w, id);
		if (!live)
			fail_msg("%s is gone", DEFAULT_DATASTORES[i]);
		char *text = json_dumps(live, JSON_COMPACT);
		if (strstr(text, "azapply-"))
			fail_msg("%s was marked: %s", DEFAULT_DATASTORES[i], text);
		free(text);
		json_decref(live);
		free(id);
	}
}

static void defaults_not_named(const run_result *r)
{
	for (size_t i = 0; i < NDEFAULTS; i++)
		kit_expect_not_in(r, DEFAULT_DATASTORES[i]);
}

/* A stack's ML workspace and its one datastore beside the workspace's own
 * four: pruning the declared one deletes it alone, and neither the plan
 * after it, drift, importing it again nor destroy names, marks or deletes
 * the others, which go with the workspace. */
static void ml_default_datastores_left_alone(void **state)
{
	world *w = *state;
	kit_copy_in(w, "cases", "MlDatastore.yaml", "MlDatastore.yaml");
	kit_apply_ok(w);
	kit_settles(w);
	defaults_untouched(w);
	run_result r = kit_run(w, "drift", NULL, 0);
	kit_expect_in(&r, "No drift");
	defaults_not_named(&r);
	run_result_free(&r);

	remove_manifest(w, "MlDatastore");
	r = kit_run(w, "plan", "--detailed-exitcode", 2);
	kit_expect_in(&r, "MlDatastore/lake_case");
	defaults_not_named(&r);
	run_result_free(&r);
	r = kit_run(w, "apply", "--auto-approve", 0);
	kit_expect_in(&r, "MlDatastore/lake_case: deleted");
	defaults_not_named(&r);
	run_result_free(&r);
	json_t *gone = kit_arm_get(w, ML "/datastores/lake_case");
	assert_null(gone);
	defaults_untouched(w);
	r = kit_run(w, "plan", "--detailed-exitcode", 0);
	kit_expect_in(&r, "No changes.");
	defaults_not_named(&r);
	run_result_free(&r);

	/* Made again outside azapply and imported: the marker goes on it
	 * alone. */
	json_t *body = json_pack("{s:{s:s,s:s,s:s,s:{s:s},s:s,s:s}}", "properties",
				 "datastoreType", "AzureDataLakeGen2", "accountName", "stkindslake",
				 "filesystem", "casefs", "credentials", "credentialsType", "None",
				 "serviceDataAccessAuthIdentity", "WorkspaceSystemAssignedIdentity",
				 "description", "first");
	kit_arm_put(w, ML "/datastores/lake_case", body);
	json_decref(body);
	kit_copy_in(w, "cases", "MlDatastore.yaml", "MlDatastore.yaml");
	const char *import[] = {"import", "MlDatastore/mldscase", ML "/datastores/lake_case",
				"--dir", w->stack, "--env", "test", "--auto-approve", NULL};
	r = kit_azapply(w, import);
	if (r.exit_code != 0)
		fail_msg("import: %d\n%s\n%s", r.exit_code, r.out, r.err);
	defaults_not_named(&r);
	run_result_free(&r);
	kit_settles(w);
	defaults_untouched(w);

	/* Destroy deletes the workspace; its own datastores go with it. */
	r = kit_run(w, "destroy", "--auto-approve", 0);
	defaults_not_named(&r);
	run_result_free(&r);
	json_t *ws = kit_arm_get(w, ML);
	assert_null(ws);
	json_t *blob = kit_arm_get(w, ML "/datastores/workspaceblobstore");
	assert_null(blob);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(sql_password, kit_setup, kit_teardown),
		cmocka_unit_test_setup_teardown(sql_pool_paused, kit_setup, kit_teardown),
		cmocka_unit_test_setup_teardown(resource_group_guard, kit_setup, kit_teardown),
		cmocka_unit_test_setup_teardown(markerless_never_pruned, kit_setup, kit_teardown),
		cmocka_unit_test_setup_teardown(storage_keys_never_read, kit_setup, kit_teardown),
		cmocka_unit_test_setup_teardown(role_assignments, kit_setup, kit_teardown),
		cmocka_unit_test_setup_teardown(datastore_secrets_refused, kit_setup, kit_teardown),
		cmocka_unit_test_setup_teardown(ml_default_datastores_left_alone, kit_setup,
						kit_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
