/*
 * test_e2e_any_arm.c - ArmResource (any ARM type) against the emulator:
 * five types no table kind covers - a private DNS zone (global, 202 with
 * both operation headers), a user-assigned identity (principalId, clientId
 * and tenantId filled in), a Synapse workspace AAD admin (a child type
 * with no list operation, read by id), a Log Analytics workspace
 * (customerId filled in) and diagnostic settings (an extension resource
 * without tags) - applied with the example stack from nothing to "No
 * changes"; then updated in place, a create-only change refused, drift
 * reported, a removed manifest pruned only where the marker is, and an
 * identity made by hand imported.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "e2ekit.h"

#define RG "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-mlplatform-dev"
#define WS RG "/providers/Microsoft.Synapse/workspaces/synw-mlplatform-dev"
#define ZONE RG "/providers/Microsoft.Network/privateDnsZones/privatelink.dev.azuresynapse.net"
#define IDENTITY RG "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-mlplatform-dev"
#define LOGS RG "/providers/Microsoft.OperationalInsights/workspaces/log-mlplatform-dev"
#define ADMIN WS "/administrators/activeDirectory"
#define DIAG WS "/providers/Microsoft.Insights/diagnosticSettings/to-log-analytics"

static const char ANY_ARM[] =
	"apiVersion: azapply.dev/v1\n"
	"kind: ArmResource\n"
	"metadata:\n"
	"  name: dns\n"
	"spec:\n"
	"  type: Microsoft.Network/privateDnsZones\n"
	"  apiVersion: 2020-06-01\n"
	"  resourceGroup: rg-mlplatform-${var.env}\n"
	"  name: privatelink.dev.azuresynapse.net\n"
	"  location: Global\n"
	"---\n"
	"apiVersion: azapply.dev/v1\n"
	"kind: ArmResource\n"
	"metadata:\n"
	"  name: identity\n"
	"spec:\n"
	"  type: Microsoft.ManagedIdentity/userAssignedIdentities\n"
	"  apiVersion: 2023-01-31\n"
	"  resourceGroup: rg-mlplatform-${var.env}\n"
	"  name: id-mlplatform-${var.env}\n"
	"  location: westeurope\n"
	"  tags:\n"
	"    environment: ${var.env}\n"
	"---\n"
	"apiVersion: azapply.dev/v1\n"
	"kind: ArmResource\n"
	"metadata:\n"
	"  name: logs\n"
	"spec:\n"
	"  type: Microsoft.OperationalInsights/workspaces\n"
	"  apiVersion: 2022-10-01\n"
	"  resourceGroup: rg-mlplatform-${var.env}\n"
	"  name: log-mlplatform-${var.env}\n"
	"  location: westeurope\n"
	"  properties:\n"
	"    sku:\n"
	"      name: PerGB2018\n"
	"    retentionInDays: 30\n"
	"---\n"
	"apiVersion: azapply.dev/v1\n"
	"kind: ArmResource\n"
	"metadata:\n"
	"  name: synapse-admin\n"
	"spec:\n"
	"  type: Microsoft.Synapse/workspaces/administrators\n"
	"  apiVersion: 2021-06-01\n"
	"  parent: ${ref.SynapseWorkspace.synapse.id}\n"
	"  name: activeDirectory\n"
	"  properties:\n"
	"    administratorType: ActiveDirectory\n"
	"    login: id-mlplatform-${var.env}\n"
	"    sid: ${ref.ArmResource.identity.properties.principalId}\n"
	"    tenantId: ${ref.ArmResource.identity.properties.tenantId}\n"
	"---\n"
	"apiVersion: azapply.dev/v1\n"
	"kind: ArmResource\n"
	"metadata:\n"
	"  name: synapse-diagnostics\n"
	"spec:\n"
	"  type: Microsoft.Insights/diagnosticSettings\n"
	"  apiVersion: 2021-05-01-preview\n"
	"  scope: ${ref.SynapseWorkspace.synapse.id}\n"
	"  name: to-log-analytics\n"
	"  properties:\n"
	"    workspaceId: ${ref.ArmResource.logs.id}\n"
	"    logs:\n"
	"      - categoryGroup: allLogs\n"
	"        enabled: true\n";

static char manifest[512];

static const char *str_at(const json_t *body, const char *a, const char *b)
{
	return json_string_value(json_object_get(json_object_get(body, a), b));
}

static void five_types_apply_from_nothing_to_no_changes(void **state)
{
	e2e_world *w = *state;
	run_result r = E2E_RUN(w, "plan", w->stack, "--env", "dev");
	e2e_expect(&r, 0, "+ ArmResource/dns");
	/* Said once per type, not per resource or per property. */
	assert_non_null(strstr(r.err, "no REST spec of Microsoft.Network/privateDnsZones"));
	assert_null(strstr(r.err, "no REST spec of Microsoft.ManagedIdentity"));
	assert_non_null(strstr(r.err, "Microsoft.Insights/diagnosticSettings has no tags"));
	run_result_free(&r);

	E2E_EXPECT(w, 0, "Apply complete", "apply", w->stack, "--env", "dev", "--auto-approve");

	json_t *zone = e2e_arm_get(w, ZONE);
	assert_non_null(zone);
	assert_string_equal(json_string_value(json_object_get(zone, "location")), "global");
	assert_non_null(json_object_get(json_object_get(zone, "tags"), "azapply-stack"));
	json_decref(zone);

	json_t *identity = e2e_arm_get(w, IDENTITY);
	assert_non_null(identity);
	const char *principal = str_at(identity, "properties", "principalId");
	assert_non_null(principal);
	assert_non_null(str_at(identity, "properties", "clientId"));

	json_t *admin = e2e_arm_get(w, ADMIN);
	assert_non_null(admin);
	assert_string_equal(str_at(admin, "properties", "sid"), principal);
	assert_null(json_object_get(admin, "tags"));
	json_decref(admin);
	json_decref(identity);

	json_t *logs = e2e_arm_get(w, LOGS);
	assert_non_null(logs);
	assert_non_null(str_at(logs, "properties", "customerId"));
	json_decref(logs);

	json_t *diag = e2e_arm_get(w, DIAG);
	assert_non_null(diag);
	assert_true(strcasecmp(str_at(diag, "properties", "workspaceId"), LOGS) == 0);
	assert_null(json_object_get(diag, "tags"));
	json_decref(diag);

	E2E_EXPECT(w, 0, "No changes", "plan", w->stack, "--env", "dev");
}

static void update_in_place_and_replace_refused(void **state)
{
	e2e_world *w = *state;
	E2E_EXPECT(w, 0, "Apply complete", "apply", w->stack, "--env", "dev", "--auto-approve");

	e2e_replace(manifest, "retentionInDays: 30", "retentionInDays: 60", false);
	run_result r = E2E_RUN(w, "apply", w->stack, "--env", "dev", "--auto-approve");
	e2e_expect(&r, 0, "~ properties.retentionInDays: 30 -> 60");
	run_result_free(&r);
	json_t *logs = e2e_arm_get(w, LOGS);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(logs, "properties"),
							    "retentionInDays")),
			 60);
	json_decref(logs);
	E2E_EXPECT(w, 0, "No changes", "plan", w->stack, "--env", "dev");

	/* location is create-only: a replacement, refused without allowReplace. */
	e2e_replace(manifest, "  location: westeurope\n  tags:", "  location: northeurope\n  tags:",
		    false);
	r = E2E_RUN(w, "plan", w->stack, "--env", "dev");
	e2e_expect(&r, 1, "allowReplace");
	assert_non_null(strstr(r.out, "ArmResource/identity"));
	run_result_free(&r);
}

static void drift_and_prune_only_what_is_marked(void **state)
{
	e2e_world *w = *state;
	E2E_EXPECT(w, 0, "Apply complete", "apply", w->stack, "--env", "dev", "--auto-approve");

	json_t *logs = e2e_arm_get(w, LOGS);
	json_object_set_new(json_object_get(logs, "properties"), "retentionInDays",
			    json_integer(90));
	e2e_arm_put(w, LOGS, logs);
	json_decref(logs);
	run_result r = E2E_RUN(w, "drift", w->stack, "--env", "dev");
	e2e_expect(&r, 2, "ArmResource/logs: changed outside azapply\n"
			  "    properties.retentionInDays: Azure has 90, the manifest says 30\n");
	run_result_free(&r);

	/* The zone carries the marker in its tags: pruned. The diagnostic
	 * setting has no tags: never pruned. */
	char *text = e2e_slurp(manifest);
	char *diag_doc = strstr(text, "---\napiVersion: azapply.dev/v1\nkind: ArmResource\nmetadata:\n"
				      "  name: synapse-diagnostics");
	assert_non_null(diag_doc);
	*diag_doc = '\0';
	char *zone_end = strstr(text, "---\n");
	e2e_write(manifest, zone_end + 4);
	free(text);
	r = E2E_RUN(w, "apply", w->stack, "--env", "dev", "--auto-approve");
	e2e_expect(&r, 0, "- ArmResource/privatelink.dev.azuresynapse.net");
	assert_null(strstr(r.out, "to-log-analytics"));
	run_result_free(&r);
	json_t *zone = e2e_arm_get(w, ZONE);
	assert_null(zone);
	json_t *diag = e2e_arm_get(w, DIAG);
	assert_non_null(diag);
	json_decref(diag);
}

static void an_identity_made_by_hand_is_imported(void **state)
{
	e2e_world *w = *state;
	E2E_EXPECT(w, 0, "Apply complete", "apply", w->stack, "--env", "dev", "--auto-approve");
	json_t *made = json_pack("{s:s,s:{s:s}}", "location", "westeurope", "tags", "team", "data");
	e2e_arm_put(w, RG "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-by-hand",
		    made);
	json_decref(made);
	char path[600];
	snprintf(path, sizeof(path), "%s/51-by-hand.yaml", w->stack);
	e2e_write(path, "apiVersion: azapply.dev/v1\n"
			"kind: ArmResource\n"
			"metadata:\n"
			"  name: by-hand\n"
			"spec:\n"
			"  type: Microsoft.ManagedIdentity/userAssignedIdentities\n"
			"  apiVersion: 2023-01-31\n"
			"  resourceGroup: rg-mlplatform-${var.env}\n"
			"  name: id-by-hand\n"
			"  location: westeurope\n"
			"  tags:\n"
			"    team: data\n");
	run_result r = E2E_RUN(w, "import", "ArmResource/by-hand",
			       RG "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-by-hand",
			       "--dir", w->stack, "--env", "dev", "--auto-approve");
	e2e_expect(&r, 0, "Import complete: 1 done, 0 failed, 0 skipped.");
	run_result_free(&r);
	json_t *after = e2e_arm_get(w, RG "/providers/Microsoft.ManagedIdentity/"
					   "userAssignedIdentities/id-by-hand");
	assert_non_null(json_object_get(json_object_get(after, "tags"), "azapply-stack"));
	json_decref(after);
	E2E_EXPECT(w, 0, "No changes", "plan", w->stack, "--env", "dev");
}

static int setup(void **state)
{
	if (e2e_setup((e2e_world **)state, "synapse-ml", NULL, NULL) != 0)
		return -1;
	e2e_world *w = *state;
	snprintf(manifest, sizeof(manifest), "%s/50-any-arm.yaml", w->stack);
	e2e_write(manifest, ANY_ARM);
	return 0;
}

static int teardown(void **state)
{
	return e2e_teardown(*state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(five_types_apply_from_nothing_to_no_changes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(update_in_place_and_replace_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(drift_and_prune_only_what_is_marked, setup, teardown),
		cmocka_unit_test_setup_teardown(an_identity_made_by_hand_is_imported, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
