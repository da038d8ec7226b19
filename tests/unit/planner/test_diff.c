/*
 * test_diff.c - the diff settles: what Azure fills in, renames or reorders
 * is not a change, and every real change is found, at its path, with the
 * right flags (replace, sensitive, unknown).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <azapply/diff.h>

static json_t *J(const char *text)
{
	json_error_t err;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &err);
	if (!v)
		fail_msg("bad test JSON: %s: %s", err.text, text);
	return v;
}

/* Diffs two JSON texts for `kind` and returns the changes. */
static az_diff run(const char *kind, const char *desired, const char *live,
		   const az_diff_options *opts)
{
	az_diff d = {0};
	json_t *a = J(desired), *b = live ? J(live) : NULL;
	az_diff_compute(&d, az_kind_find(kind), a, b, opts);
	json_decref(a);
	json_decref(b);
	return d;
}

static void same_body_has_no_changes(void **state)
{
	(void)state;
	az_diff d = run("SparkPool", "{\"location\":\"westeurope\",\"properties\":{\"nodeCount\":3}}",
			"{\"location\":\"westeurope\",\"properties\":{\"nodeCount\":3}}", NULL);
	assert_int_equal(d.len, 0);
	az_diff_clear(&d);
}

static void azure_normalisations_are_not_changes(void **state)
{
	(void)state;
	/* Location display names, read-only and server-added fields, 3 vs 3.0,
	 * case-insensitive enums. */
	az_diff d = run("StorageAccount",
			"{\"location\":\"West Europe\",\"sku\":{\"name\":\"standard_lrs\"},"
			"\"properties\":{\"isHnsEnabled\":true,\"accessTier\":\"Hot\"}}",
			"{\"id\":\"/subscriptions/s/x\",\"name\":\"st\",\"location\":\"westeurope\","
			"\"sku\":{\"name\":\"Standard_LRS\",\"tier\":\"Standard\"},"
			"\"properties\":{\"isHnsEnabled\":true,\"provisioningState\":\"Succeeded\","
			"\"primaryEndpoints\":{\"dfs\":\"https://st.dfs\"}}}",
			NULL);
	/* accessTier is absent from the live body but is Azure's default. */
	assert_int_equal(d.len, 0);
	az_diff_clear(&d);

	d = run("SparkPool", "{\"properties\":{\"autoScale\":{\"maxNodeCount\":3}}}",
		"{\"properties\":{\"autoScale\":{\"maxNodeCount\":3.0,\"enabled\":true}}}", NULL);
	assert_int_equal(d.len, 0);
	az_diff_clear(&d);
}

static void role_definition_id_forms_are_equal(void **state)
{
	(void)state;
	az_diff d = run("RoleAssignment",
			"{\"properties\":{\"roleDefinitionId\":\"/subscriptions/0000/providers/"
			"Microsoft.Authorization/roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c\"}}",
			"{\"properties\":{\"roleDefinitionId\":\"/providers/Microsoft.Authorization/"
			"roleDefinitions/B24988AC-6180-42A0-AB88-20F7382DD24C/\"}}",
			NULL);
	assert_int_equal(d.len, 0);
	az_diff_clear(&d);
	d = run("RoleAssignment",
		"{\"properties\":{\"roleDefinitionId\":\"/providers/Microsoft.Authorization/"
		"roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7\"}}",
		"{\"properties\":{\"roleDefinitionId\":\"/providers/Microsoft.Authorization/"
		"roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c\"}}",
		NULL);
	assert_int_equal(d.len, 1);
	/* A different role cannot be changed in place. */
	assert_true(d.items[0].forces_replace);
	az_diff_clear(&d);
}

static void nested_change_has_its_path_and_values(void **state)
{
	(void)state;
	az_diff d = run("SparkPool",
			"{\"properties\":{\"autoScale\":{\"maxNodeCount\":10},\"tags\":{\"a\":\"b\"}}}",
			"{\"properties\":{\"autoScale\":{\"maxNodeCount\":3}}}", NULL);
	assert_int_equal(d.len, 2);
	assert_int_equal(d.items[0].op, AZ_CHANGE_MODIFY);
	assert_string_equal(d.items[0].path, "properties.autoScale.maxNodeCount");
	assert_int_equal(json_integer_value(d.items[0].before), 3);
	assert_int_equal(json_integer_value(d.items[0].after), 10);
	assert_false(d.items[0].forces_replace);
	assert_int_equal(d.items[1].op, AZ_CHANGE_ADD);
	assert_string_equal(d.items[1].path, "properties.tags.a");
	assert_null(d.items[1].before);
	az_diff_clear(&d);
}

static void arrays_compare_by_structure(void **state)
{
	(void)state;
	/* Synapse adds defaults inside activities: not a change. */
	az_diff d = run("Pipeline",
			"{\"properties\":{\"activities\":[{\"name\":\"Train\",\"type\":\"SynapseNotebook\"}]}}",
			"{\"properties\":{\"activities\":[{\"name\":\"Train\",\"type\":\"SynapseNotebook\","
			"\"dependsOn\":[],\"userProperties\":[]}]}}",
			NULL);
	assert_int_equal(d.len, 0);
	az_diff_clear(&d);
	d = run("Pipeline", "{\"properties\":{\"activities\":[{\"name\":\"Score\"}]}}",
		"{\"properties\":{\"activities\":[{\"name\":\"Train\"}]}}", NULL);
	assert_int_equal(d.len, 1);
	assert_string_equal(d.items[0].path, "properties.activities[0].name");
	az_diff_clear(&d);
	d = run("Pipeline", "{\"properties\":{\"activities\":[{\"name\":\"A\"},{\"name\":\"B\"}]}}",
		"{\"properties\":{\"activities\":[{\"name\":\"A\"}]}}", NULL);
	assert_int_equal(d.len, 1);
	assert_string_equal(d.items[0].path, "properties.activities");
	az_diff_clear(&d);
}

static void declared_sets_ignore_order(void **state)
{
	(void)state;
	const char *const sets[] = {"properties.ips", NULL};
	az_kind kind = {.name = "Test", .set_paths = sets};
	az_diff d = {0};
	json_t *a = J("{\"properties\":{\"ips\":[\"1.1.1.1\",\"2.2.2.2\"],\"list\":[1,2]}}");
	json_t *b = J("{\"properties\":{\"ips\":[\"2.2.2.2\",\"1.1.1.1\"],\"list\":[2,1]}}");
	az_diff_compute(&d, &kind, a, b, NULL);
	assert_int_equal(d.len, 2);
	assert_string_equal(d.items[0].path, "properties.list[0]");
	az_diff_clear(&d);
	json_decref(a);
	json_decref(b);
}

static void create_only_change_forces_replace(void **state)
{
	(void)state;
	az_diff d = run("StorageAccount", "{\"properties\":{\"isHnsEnabled\":true}}",
			"{\"properties\":{\"isHnsEnabled\":false}}", NULL);
	assert_int_equal(d.len, 1);
	assert_true(d.items[0].forces_replace);
	assert_string_equal(az_diff_replace_reason(&d)->path, "properties.isHnsEnabled");
	az_diff_clear(&d);
	/* Adding the whole object that holds a create-only property. */
	d = run("SynapseWorkspace",
		"{\"properties\":{\"defaultDataLakeStorage\":{\"accountUrl\":\"https://a\"}}}",
		"{\"properties\":{}}", NULL);
	assert_int_equal(d.len, 1);
	assert_true(d.items[0].forces_replace);
	az_diff_clear(&d);
}

static void secrets_are_sensitive_and_compared_by_hash(void **state)
{
	(void)state;
	const char *desired = "{\"properties\":{\"sqlAdministratorLoginPassword\":\"s3cret!\"}}";
	az_diff d = run("SynapseWorkspace", desired, "{\"properties\":{}}", NULL);
	assert_int_equal(d.len, 1);
	assert_true(d.items[0].sensitive);
	az_diff_clear(&d);

	json_t *same = J("[\"properties.sqlAdministratorLoginPassword\"]");
	az_diff_options opts = {.secrets_unchanged = same};
	d = run("SynapseWorkspace", desired, "{\"properties\":{}}", &opts);
	assert_int_equal(d.len, 0);
	az_diff_clear(&d);
	json_decref(same);

	/* A value from ${env.X} is sensitive wherever it lands. */
	json_t *ptrs = J("[\"/tags/token\"]");
	az_diff_options env_opts = {.sensitive_pointers = ptrs};
	d = run("ResourceGroup", "{\"tags\":{\"token\":\"abc\",\"team\":\"x\"}}", "{\"tags\":{}}",
		&env_opts);
	assert_int_equal(d.len, 2);
	assert_true(d.items[0].sensitive);
	assert_false(d.items[1].sensitive);
	az_diff_clear(&d);
	d = run("ResourceGroup", "{\"tags\":{\"token\":\"abc\"}}", "{}", &env_opts);
	assert_int_equal(d.len, 1);
	assert_true(d.items[0].sensitive); /* the whole tags object holds it */
	az_diff_clear(&d);
	json_decref(ptrs);
}

static void references_are_known_after_apply(void **state)
{
	(void)state;
	az_diff d = run("RoleAssignment",
			"{\"properties\":{\"principalId\":\"${ref.SynapseWorkspace.s.identity.principalId}\"}}",
			NULL, NULL);
	assert_int_equal(d.len, 1);
	assert_true(d.items[0].unknown);
	assert_null(d.items[0].after);
	az_diff_clear(&d);
}

static void ignore_changes_and_removed_properties(void **state)
{
	(void)state;
	json_t *ignore = J("[\"properties.autoScale\"]");
	az_diff_options opts = {.ignore_paths = ignore};
	az_diff d = run("SparkPool", "{\"properties\":{\"autoScale\":{\"maxNodeCount\":10}}}",
			"{\"properties\":{\"autoScale\":{\"maxNodeCount\":3}}}", &opts);
	assert_int_equal(d.len, 0);
	az_diff_clear(&d);
	json_decref(ignore);

	/* The manifest changed since the last apply: live properties it no
	 * longer sets are removals, unless read-only or at their default. */
	az_diff_options removed = {.report_removed = true};
	d = run("StorageAccount", "{\"tags\":{\"a\":\"1\"},\"properties\":{}}",
		"{\"id\":\"x\",\"tags\":{\"a\":\"1\",\"b\":\"2\"},\"properties\":{\"accessTier\":\"Hot\","
		"\"provisioningState\":\"Succeeded\",\"allowSharedKeyAccess\":false}}",
		&removed);
	assert_int_equal(d.len, 2);
	assert_int_equal(d.items[0].op, AZ_CHANGE_REMOVE);
	assert_string_equal(d.items[0].path, "tags.b");
	assert_string_equal(d.items[1].path, "properties.allowSharedKeyAccess");
	az_diff_clear(&d);
}

/* Graph answers every new application and service principal with
 * "tags": [] (recorded sessions): an array of strings, not ARM's tags
 * object, so a manifest without tags is not a removal of it. */
static void graph_tags_are_not_arm_tags(void **state)
{
	(void)state;
	az_diff_options opts = {0};
	az_diff d = run("EntraApplication", "{\"displayName\":\"app\"}",
			"{\"displayName\":\"app\",\"tags\":[]}", &opts);
	assert_int_equal(d.len, 0);
	az_diff_clear(&d);
	/* ARM's tags still are the manifest's wholesale. */
	d = run("StorageAccount", "{\"properties\":{}}", "{\"tags\":{\"b\":\"2\"},\"properties\":{}}",
		&opts);
	assert_int_equal(d.len, 1);
	assert_string_equal(d.items[0].path, "tags");
	az_diff_clear(&d);
}

/* Removal only reports what a PUT without it would change: not what the
 * server fills in at creation (create-only) nor an artifact's own name. */
static void removed_properties_skip_server_filled_ones(void **state)
{
	(void)state;
	az_diff_options removed = {.report_removed = true};
	az_diff d = run("SynapseWorkspace", "{\"properties\":{\"sqlAdministratorLogin\":\"a\"}}",
			"{\"properties\":{\"sqlAdministratorLogin\":\"a\","
			"\"managedResourceGroupName\":\"synapseworkspace-managedrg-1\"}}",
			&removed);
	assert_int_equal(d.len, 0);
	az_diff_clear(&d);
	d = run("Pipeline", "{\"properties\":{\"activities\":[]}}",
		"{\"name\":\"p1\",\"properties\":{\"activities\":[]}}", &removed);
	assert_int_equal(d.len, 0);
	az_diff_clear(&d);
}

/* With the paths digest of the body last applied, only what azapply set
 * counts as removed; what the service filled in does not. */
static void removals_are_limited_to_what_was_applied(void **state)
{
	(void)state;
	json_t *applied = J("{\"sku\":{\"name\":\"Standard_LRS\"},\"tags\":{\"a\":\"1\",\"b\":\"2\"}}");
	char *digest = az_paths_digest(applied);
	assert_int_equal(strlen(digest), 128);
	assert_true(az_paths_digest_has(digest, "tags.b"));
	assert_true(az_paths_digest_has(digest, "sku.name"));
	assert_false(az_paths_digest_has(digest, "sku.tier"));
	az_diff_options opts = {.report_removed = true, .set_before = digest};
	az_diff d = run("StorageAccount", "{\"sku\":{\"name\":\"Standard_LRS\"},\"tags\":{\"a\":\"1\"}}",
			"{\"sku\":{\"name\":\"Standard_LRS\",\"tier\":\"Standard\"},"
			"\"tags\":{\"a\":\"1\",\"b\":\"2\"}}",
			&opts);
	assert_int_equal(d.len, 1);
	assert_int_equal(d.items[0].op, AZ_CHANGE_REMOVE);
	assert_string_equal(d.items[0].path, "tags.b");
	az_diff_clear(&d);
	free(digest);
	json_decref(applied);
}

/* A SecureString's value is a secret wherever it sits: shown as
 * sensitive, and not a change when the marker's hash says it is the same
 * (Synapse answers with it masked). */
static void secure_strings_are_secrets(void **state)
{
	(void)state;
	const char *desired = "{\"properties\":{\"typeProperties\":{\"password\":"
			      "{\"type\":\"SecureString\",\"value\":\"hunter2\"}}}}";
	const char *live = "{\"properties\":{\"typeProperties\":{\"password\":"
			   "{\"type\":\"SecureString\",\"value\":\"**********\"},"
			   "\"encryptedCredential\":\"abc\"}}}";
	az_diff d = run("LinkedService", desired, live, NULL);
	assert_int_equal(d.len, 1);
	assert_true(d.items[0].sensitive);
	assert_string_equal(d.items[0].path, "properties.typeProperties.password.value");
	az_diff_clear(&d);
	json_t *same = json_pack("[s]", AZ_SECURE_STRINGS);
	az_diff_options opts = {.secrets_unchanged = same};
	d = run("LinkedService", desired, live, &opts);
	assert_int_equal(d.len, 0);
	az_diff_clear(&d);
	json_decref(same);
}

static void path_patterns(void **state)
{
	(void)state;
	assert_true(az_path_matches("properties.*.time", "properties.libraryRequirements.time"));
	assert_false(az_path_matches("properties.*.time", "properties.time"));
	assert_false(az_path_matches("properties", "properties.x"));
	char *loc = az_normalize_location("  North Europe ");
	assert_string_equal(loc, "northeurope");
	free(loc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(same_body_has_no_changes),
		cmocka_unit_test(azure_normalisations_are_not_changes),
		cmocka_unit_test(role_definition_id_forms_are_equal),
		cmocka_unit_test(nested_change_has_its_path_and_values),
		cmocka_unit_test(arrays_compare_by_structure),
		cmocka_unit_test(declared_sets_ignore_order),
		cmocka_unit_test(create_only_change_forces_replace),
		cmocka_unit_test(secrets_are_sensitive_and_compared_by_hash),
		cmocka_unit_test(references_are_known_after_apply),
		cmocka_unit_test(ignore_changes_and_removed_properties),
		cmocka_unit_test(removed_properties_skip_server_filled_ones),
		cmocka_unit_test(graph_tags_are_not_arm_tags),
		cmocka_unit_test(removals_are_limited_to_what_was_applied),
		cmocka_unit_test(secure_strings_are_secrets),
		cmocka_unit_test(path_patterns),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
