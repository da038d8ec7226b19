/*
 * test_arm_resource.c - ArmResource kinds: the id and the collection an
 * ArmResource gets from its type and where it lives (a resource group, a
 * parent's id, any scope), one kind per type, api-version and placement
 * for the whole process, the marker where the type has tags, what the
 * shipped REST specs tell (read-only paths, no list operation), and the
 * shapes validate accepts for a type and an api-version; and what
 * resolving a spec's references copies and what it shares.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <azapply/diff.h>
#include <azapply/plan.h>
#include <azapply/planner.h>

#include "identity.h"
#include "instance.h"
#include "resolve.h"

#define SUB "/subscriptions/11111111-2222-3333-4444-555555555555"
#define RG SUB "/resourceGroups/rg-platform"
#define WS RG "/providers/Microsoft.Synapse/workspaces/synw-platform"

static const char PROJECT[] = "stack: platform\n"
			      "location: westeurope\n"
			      "environments:\n"
			      "  dev:\n"
			      "    subscription: 11111111-2222-3333-4444-555555555555\n";

static const char MANIFESTS[] =
	"apiVersion: azapply.dev/v1\n"
	"kind: ArmResource\n"
	"metadata: {name: identity}\n"
	"spec:\n"
	"  type: Microsoft.ManagedIdentity/userAssignedIdentities\n"
	"  apiVersion: 2023-01-31\n"
	"  resourceGroup: rg-platform\n"
	"  name: id-platform\n"
	"  location: westeurope\n"
	"---\n"
	"apiVersion: azapply.dev/v1\n"
	"kind: ArmResource\n"
	"metadata: {name: identity2}\n"
	"spec:\n"
	"  type: Microsoft.ManagedIdentity/userAssignedIdentities\n"
	"  apiVersion: 2023-01-31\n"
	"  resourceGroup: rg-platform\n"
	"  name: id-platform-2\n"
	"  location: westeurope\n"
	"---\n"
	"apiVersion: azapply.dev/v1\n"
	"kind: ArmResource\n"
	"metadata: {name: zone}\n"
	"spec:\n"
	"  type: Microsoft.Network/privateDnsZones\n"
	"  apiVersion: 2020-06-01\n"
	"  resourceGroup: rg-platform\n"
	"  name: privatelink.dev.azuresynapse.net\n"
	"  location: global\n"
	"---\n"
	"apiVersion: azapply.dev/v1\n"
	"kind: ArmResource\n"
	"metadata: {name: admin}\n"
	"spec:\n"
	"  type: Microsoft.Synapse/workspaces/administrators\n"
	"  apiVersion: 2021-06-01\n"
	"  parent: " WS "\n"
	"  name: activeDirectory\n"
	"---\n"
	"apiVersion: azapply.dev/v1\n"
	"kind: ArmResource\n"
	"metadata: {name: rule}\n"
	"spec:\n"
	"  type: Microsoft.Synapse/workspaces/firewallRules\n"
	"  apiVersion: 2021-06-01\n"
	"  parent: " WS "\n"
	"  name: office\n"
	"---\n"
	"apiVersion: azapply.dev/v1\n"
	"kind: ArmResource\n"
	"metadata: {name: diagnostics}\n"
	"spec:\n"
	"  type: Microsoft.Insights/diagnosticSettings\n"
	"  apiVersion: 2021-05-01-preview\n"
	"  scope: ${ref.ArmResource.zone.id}\n"
	"  name: to-logs\n";

typedef struct fixture {
	char dir[64];
	az_file_source src;
	az_stack *stack;
	az_instance inst;
} fixture;

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static int setup(void **state)
{
	fixture *fx = calloc(1, sizeof(*fx));
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/azapply-armres-XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	write_file(fx->dir, "azapply.yaml", PROJECT);
	write_file(fx->dir, "any.yaml", MANIFESTS);
	az_diags d = AZ_DIAGS_INIT;
	az_stack_options opts = {.env = "dev"};
	if (az_file_source_dir(&fx->src, fx->dir, &d) != 0 ||
	    az_stack_load(&fx->stack, &fx->src, &opts, &d) != 0 ||
	    az_instance_init(&fx->inst, fx->stack, NULL, &d) != 0) {
		for (size_t i = 0; i < d.len; i++)
			fprintf(stderr, "%s\n", d.items[i].summary);
		az_diags_clear(&d);
		return -1;
	}
	az_identity_compute_all(&fx->inst, &d);
	assert_int_equal(az_diags_errors(&d), 0);
	az_diags_clear(&d);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	fixture *fx = *state;
	az_instance_free(&fx->inst);
	az_stack_free(fx->stack);
	az_file_source_free(&fx->src);
	char path[128];
	snprintf(path, sizeof(path), "%s/azapply.yaml", fx->dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/any.yaml", fx->dir);
	unlink(path);
	rmdir(fx->dir);
	free(fx);
	return 0;
}

static az_node *node(fixture *fx, const char *name)
{
	az_node *n = az_instance_node(&fx->inst, NULL, "ArmResource", name);
	assert_non_null(n);
	return n;
}

static void a_group_resource_is_listed_in_its_group(void **state)
{
	az_node *n = node(*state, "identity");
	assert_string_equal(n->id, RG "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/"
				      "id-platform");
	assert_string_equal(n->collection,
			    RG "/providers/Microsoft.ManagedIdentity/userAssignedIdentities");
	assert_string_equal(n->res->kind->api_version, "2023-01-31");
	/* Listed in one collection, they share its string. */
	assert_ptr_equal(node(*state, "identity2")->collection, n->collection);
}

static void a_child_lives_under_its_parent_id(void **state)
{
	az_node *rule = node(*state, "rule");
	assert_string_equal(rule->id, WS "/firewallRules/office");
	assert_string_equal(rule->collection, WS "/firewallRules");
}

static void a_type_without_a_list_operation_is_read_by_id(void **state)
{
	/* workspace.json has GET/PUT/DELETE on administrators/activeDirectory,
	 * no GET on administrators. */
	az_node *admin = node(*state, "admin");
	assert_string_equal(admin->id, WS "/administrators/activeDirectory");
	assert_null(admin->collection);
}

static void an_extension_resource_lives_at_its_scope(void **state)
{
	az_node *diag = node(*state, "diagnostics");
	const char *zone = RG "/providers/Microsoft.Network/privateDnsZones/"
			      "privatelink.dev.azuresynapse.net";
	char *id = az_xasprintf("%s/providers/Microsoft.Insights/diagnosticSettings/to-logs", zone);
	char *collection = az_xasprintf("%s/providers/Microsoft.Insights/diagnosticSettings", zone);
	assert_string_equal(diag->id, id);
	assert_string_equal(diag->collection, collection);
	free(id);
	free(collection);
}

static void one_kind_per_type_version_and_placement(void **state)
{
	fixture *fx = *state;
	const az_kind *a = node(fx, "identity")->res->kind;
	assert_ptr_equal(a, node(fx, "identity2")->res->kind);
	assert_ptr_not_equal(a, node(fx, "zone")->res->kind);
	assert_string_equal(a->name, "ArmResource");
	/* The key finds the kind again: the refresh records lists by it. */
	assert_ptr_equal(az_kind_find(az_kind_key(a)), a);
	assert_ptr_equal(az_kind_arm("Microsoft.ManagedIdentity/userAssignedIdentities", "2023-01-31",
				     AZ_SCOPE_RESOURCE_GROUP, false),
			 a);
}

static void the_marker_goes_where_the_type_has_tags(void **state)
{
	fixture *fx = *state;
	/* The spec's TrackedResource says tags, for the identity. */
	assert_int_equal(node(fx, "identity")->res->kind->marker, AZ_MARKER_TAGS);
	/* No spec: a resource with a location is taken to be tracked. */
	assert_int_equal(node(fx, "zone")->res->kind->marker, AZ_MARKER_TAGS);
	assert_int_equal(node(fx, "diagnostics")->res->kind->marker, AZ_MARKER_NONE);
	assert_int_equal(node(fx, "admin")->res->kind->marker, AZ_MARKER_NONE);
}

static void the_shipped_spec_says_what_is_read_only(void **state)
{
	fixture *fx = *state;
	const az_kind *identity = node(fx, "identity")->res->kind;
	assert_true(identity->spec_known);
	assert_true(az_path_in(identity->read_only_paths, "properties"));
	assert_true(az_path_in(identity->read_only_paths, "systemData"));
	assert_true(az_path_in(identity->create_only_paths, "location"));
	assert_false(node(fx, "zone")->res->kind->spec_known);
	assert_false(az_path_in(node(fx, "zone")->res->kind->read_only_paths, "properties"));
}

static void type_and_api_version_shapes(void **state)
{
	(void)state;
	assert_int_equal(az_arm_type_depth("Microsoft.Network/privateDnsZones"), 1);
	assert_int_equal(az_arm_type_depth("Microsoft.Synapse/workspaces/administrators"), 2);
	assert_int_equal(az_arm_type_depth("Microsoft.Network"), 0);
	assert_int_equal(az_arm_type_depth("Microsoft/privateDnsZones"), 0);
	assert_int_equal(az_arm_type_depth("Microsoft.Network/"), 0);
	assert_int_equal(az_arm_type_depth("Microsoft..Network/zones"), 0);
	assert_int_equal(az_arm_type_depth("Microsoft.Network/zones/{name}"), 0);
	assert_int_equal(az_arm_type_depth(""), 0);
	assert_true(az_arm_api_version_valid("2023-01-31"));
	assert_true(az_arm_api_version_valid("2021-05-01-preview"));
	assert_false(az_arm_api_version_valid("2023-1-31"));
	assert_false(az_arm_api_version_valid("2023-13-01"));
	assert_false(az_arm_api_version_valid("2023-01-31-"));
	assert_false(az_arm_api_version_valid("2023-01-31preview"));
	assert_false(az_arm_api_version_valid("v1.0"));
}

/* Resolving copies only the containers a reference changed; the rest is
 * shared with what was resolved, which stays as written. */
static void resolving_copies_only_what_a_reference_changed(void **state)
{
	fixture *fx = *state;
	json_t *v = json_pack("{s:{s:s, s:{s:i}}, s:[s, {s:s}], s:s}", "properties", "target",
			      "${ref.ArmResource.zone.id}", "limits", "max", 3, "list", "plain",
			      "item", "${ref.ArmResource.zone.name}", "name", "kept");
	json_t *r = az_resolve(&fx->inst, v);
	json_t *props = json_object_get(v, "properties"), *list = json_object_get(v, "list");
	json_t *rprops = json_object_get(r, "properties"), *rlist = json_object_get(r, "list");
	assert_ptr_not_equal(r, v);
	assert_ptr_not_equal(rprops, props);
	assert_string_equal(json_string_value(json_object_get(rprops, "target")),
			    RG "/providers/Microsoft.Network/privateDnsZones/"
			       "privatelink.dev.azuresynapse.net");
	assert_ptr_equal(json_object_get(rprops, "limits"), json_object_get(props, "limits"));
	assert_ptr_not_equal(rlist, list);
	assert_ptr_equal(json_array_get(rlist, 0), json_array_get(list, 0));
	assert_string_equal(json_string_value(json_object_get(json_array_get(rlist, 1), "item")),
			    "privatelink.dev.azuresynapse.net");
	assert_ptr_equal(json_object_get(r, "name"), json_object_get(v, "name"));
	/* What was resolved is as it was written. */
	assert_string_equal(json_string_value(json_object_get(props, "target")),
			    "${ref.ArmResource.zone.id}");
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(list, 1), "item")),
	    "${ref.ArmResource.zone.name}");
	json_decref(r);
	/* A spec without a reference is the manifest's own. */
	const az_resource *id = az_stack_find(fx->stack, "ArmResource/identity");
	json_t *spec = json_object_get(id->manifest->body, "spec");
	json_t *same = az_resolve(&fx->inst, spec);
	assert_ptr_equal(same, spec);
	json_decref(same);
	json_decref(v);
}

/* A saved plan holds the digest of the manifests it was made from, and
 * apply compares it with the digest of the manifests it finds: the text
 * it hashes may not change by a byte when the way it is written does. The
 * value was computed by the writer saved plans were made with first. */
static void stack_digest_stays_what_saved_plans_hold(void **state)
{
	fixture *fx = *state;
	char *digest = az_stack_digest(fx->stack);
	assert_string_equal(digest, "c13281e37a48a8628bf1d0dbf4f664db594e86fe3cd3932172674efd4eada074");
	free(digest);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(a_group_resource_is_listed_in_its_group, setup,
						teardown),
		cmocka_unit_test_setup_teardown(resolving_copies_only_what_a_reference_changed,
						setup, teardown),
		cmocka_unit_test_setup_teardown(a_child_lives_under_its_parent_id, setup, teardown),
		cmocka_unit_test_setup_teardown(stack_digest_stays_what_saved_plans_hold, setup,
						teardown),
		cmocka_unit_test_setup_teardown(a_type_without_a_list_operation_is_read_by_id, setup,
						teardown),
		cmocka_unit_test_setup_teardown(an_extension_resource_lives_at_its_scope, setup,
						teardown),
		cmocka_unit_test_setup_teardown(one_kind_per_type_version_and_placement, setup,
						teardown),
		cmocka_unit_test_setup_teardown(the_marker_goes_where_the_type_has_tags, setup,
						teardown),
		cmocka_unit_test_setup_teardown(the_shipped_spec_says_what_is_read_only, setup,
						teardown),
		cmocka_unit_test(type_and_api_version_shapes),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	az_planner_release();
	return rc;
}
