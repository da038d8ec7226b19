/*
 * test_roles.c - the built-in role tables (roles_builtin.c, generated from
 * planner/roles/builtin-roles.json) and their lookups: the roles azapply
 * always knew keep their ids, the full list resolves, case does not
 * matter, and a misspelt or misplaced name gets a useful hint.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "roles.h"

static void the_roles_azapply_always_knew_keep_their_ids(void **state)
{
	(void)state;
	/* The table engine.c held before the roles became data. */
	static const char *const arm[][2] = {
		{"Owner", "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"},
		{"Contributor", "b24988ac-6180-42a0-ab88-20f7382dd24c"},
		{"Reader", "acdd72a7-3385-48ef-bd42-f606fba81ae7"},
		{"Storage Blob Data Contributor", "ba92f5b4-2d11-453d-a403-e96b0029c9fe"},
		{"AzureML Data Scientist", "f6c7c914-8db3-469d-8ca1-694a8f32e121"},
		{"Key Vault Secrets User", "4633458b-17de-408a-b874-0445c86b69e6"},
	};
	static const char *const synapse[][2] = {
		{"Synapse Administrator", "6e4bf58a-b8e1-4cc3-bbf9-d73143322b78"},
		{"Synapse Contributor", "7572bffe-f453-4b66-912a-46cc5ef38fda"},
		{"Synapse Artifact Publisher", "05930f57-09a3-4c0d-9fa9-6d1eb91c178b"},
		{"Synapse Artifact User", "53faaa0e-40b6-40c8-a2ff-e38f2d388875"},
		{"Synapse Compute Operator", "e3844cc7-4670-42cb-9349-9bdac1ee7881"},
		{"Synapse Credential User", "5eb298b4-692c-4241-9cf0-f58a3b42bb25"},
		{"Synapse Linked Data Manager", "dd665582-e433-40ca-b183-1b1b33e73375"},
		{"Synapse User", "2a385764-43e8-416c-9825-7b18d05a2c4b"},
		{"Apache Spark Administrator", "c3a6d2f1-a26f-4810-9b0f-591308d5cbf1"},
		{"Synapse SQL Administrator", "7af0c69a-a548-47d6-aea3-d00e69bd83aa"},
	};
	for (size_t i = 0; i < sizeof(arm) / sizeof(arm[0]); i++) {
		const char *id = az_arm_role_id(arm[i][0]);
		assert_non_null(id);
		assert_string_equal(id, arm[i][1]);
	}
	for (size_t i = 0; i < sizeof(synapse) / sizeof(synapse[0]); i++) {
		const char *id = az_synapse_role_id(synapse[i][0]);
		assert_non_null(id);
		assert_string_equal(id, synapse[i][1]);
	}
	/* Microsoft's docs call the Spark role by a longer name than the
	 * service does; both are the same role. */
	assert_string_equal(az_synapse_role_id("Synapse Apache Spark Administrator"),
			    "c3a6d2f1-a26f-4810-9b0f-591308d5cbf1");
}

static void roles_beyond_the_first_six_resolve(void **state)
{
	(void)state;
	assert_string_equal(az_arm_role_id("Storage Blob Data Reader"),
			    "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1");
	assert_string_equal(az_arm_role_id("AcrPull"), "7f951dda-4ed3-4680-a7ca-43fe172d538d");
	assert_string_equal(az_arm_role_id("Key Vault Secrets User"),
			    "4633458b-17de-408a-b874-0445c86b69e6");
	assert_string_equal(az_arm_role_id("Monitoring Metrics Publisher"),
			    "3913510d-42f4-4e42-8a64-420c390055eb");
	assert_true(az_arm_roles.len > 400);
	assert_null(az_arm_role_id("Contributer"));
	/* The two role systems are separate: an ARM role is no Synapse role. */
	assert_null(az_synapse_role_id("Contributor"));
	assert_null(az_arm_role_id("Synapse Administrator"));
}

static void lookup_is_exact_first_then_ignores_case(void **state)
{
	(void)state;
	const az_role *r = az_role_find(&az_arm_roles, "AcrPull");
	assert_non_null(r);
	assert_string_equal(r->name, "AcrPull");
	r = az_role_find(&az_arm_roles, "storage blob data reader");
	assert_non_null(r);
	assert_string_equal(r->name, "Storage Blob Data Reader");
	assert_string_equal(az_arm_role_id("CONTRIBUTOR"), "b24988ac-6180-42a0-ab88-20f7382dd24c");
	assert_string_equal(az_synapse_role_id("synapse administrator"),
			    "6e4bf58a-b8e1-4cc3-bbf9-d73143322b78");
}

static void a_misspelling_gets_the_closest_name(void **state)
{
	(void)state;
	assert_string_equal(az_role_suggest(&az_arm_roles, "Contributer"), "Contributor");
	assert_string_equal(az_role_suggest(&az_arm_roles, "Storage Blob Data Reeder"),
			    "Storage Blob Data Reader");
	assert_string_equal(az_role_suggest(&az_synapse_roles, "Synapse Contributer"),
			    "Synapse Contributor");
	assert_null(az_role_suggest(&az_arm_roles, "xyzzy"));

	char *fix;
	char *problem = az_role_problem(&az_arm_roles, &az_synapse_roles, "Contributer", &fix);
	assert_non_null(problem);
	assert_string_equal(problem, "unknown role 'Contributer'");
	assert_non_null(strstr(fix, "did you mean 'Contributor'?"));
	assert_non_null(strstr(fix, "a custom role is given by its id"));
	free(problem);
	free(fix);

	/* Synapse RBAC has no custom roles: without a close name, all are listed. */
	problem = az_role_problem(&az_synapse_roles, &az_arm_roles, "Wizard", &fix);
	assert_string_equal(problem, "unknown Synapse role 'Wizard'");
	assert_non_null(strstr(fix, "Synapse roles: "));
	assert_non_null(strstr(fix, "Synapse User"));
	free(problem);
	free(fix);

	assert_null(az_role_problem(&az_arm_roles, &az_synapse_roles, "reader", &fix));
	assert_null(fix);
}

static void a_role_of_the_other_kind_says_where_it_belongs(void **state)
{
	(void)state;
	char *fix;
	char *problem =
		az_role_problem(&az_synapse_roles, &az_arm_roles, "Storage Blob Data Reader", &fix);
	assert_string_equal(problem, "'Storage Blob Data Reader' is an Azure role, not a Synapse role");
	assert_string_equal(fix, "grant it with a RoleAssignment instead");
	free(problem);
	free(fix);
	problem = az_role_problem(&az_arm_roles, &az_synapse_roles, "Synapse User", &fix);
	assert_string_equal(problem, "'Synapse User' is a Synapse role, not an Azure role");
	free(problem);
	free(fix);
}

static void a_known_role_without_an_id_asks_for_the_id(void **state)
{
	(void)state;
	assert_null(az_synapse_role_id("Synapse Monitoring Operator"));
	char *fix;
	char *problem = az_role_problem(&az_synapse_roles, &az_arm_roles,
					"synapse monitoring operator", &fix);
	assert_string_equal(problem,
			    "Synapse role 'Synapse Monitoring Operator' has no id azapply knows");
	assert_non_null(strstr(fix, "az synapse role definition list"));
	free(problem);
	free(fix);
}

static void ids_and_expressions_are_not_names(void **state)
{
	(void)state;
	assert_true(az_role_is_name("Contributor", true));
	assert_false(az_role_is_name("b24988ac-6180-42a0-ab88-20f7382dd24c", true));
	assert_false(az_role_is_name("B24988AC-6180-42A0-AB88-20F7382DD24C", false));
	assert_false(az_role_is_name("/subscriptions/s/providers/Microsoft.Authorization/"
				     "roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c",
				     true));
	/* The Synapse data plane takes only the GUID: a path is a (bad) name. */
	assert_true(az_role_is_name("/roleDefinitions/x", false));
	assert_false(az_role_is_name("${ref.RoleDefinition.deployer.name}", true));
	assert_true(az_role_is_name("b24988ac-6180-42a0-ab88-20f7382dd24", true));
	assert_true(az_role_is_name("b24988ac-6180-42a0-ab88-20f7382dd24cc", true));
}

static bool is_lower_guid(const char *s)
{
	for (size_t i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? s[i] != '-' : !(isdigit((unsigned char)s[i]) || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	}
	return s[36] == '\0';
}

/* What the bsearch in roles.c and the generator's checks rely on. */
static void tables_are_sorted_and_well_formed(void **state)
{
	(void)state;
	const az_role_table *tables[] = {&az_arm_roles, &az_synapse_roles};
	for (size_t t = 0; t < 2; t++) {
		const az_role_table *table = tables[t];
		for (size_t i = 0; i < table->len; i++) {
			const az_role *r = &table->roles[i];
			if (i > 0)
				assert_true(strcmp(table->roles[i - 1].name, r->name) < 0);
			if (r->id)
				assert_true(is_lower_guid(r->id));
			assert_ptr_equal(az_role_find(table, r->name), r);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_roles_azapply_always_knew_keep_their_ids),
		cmocka_unit_test(roles_beyond_the_first_six_resolve),
		cmocka_unit_test(lookup_is_exact_first_then_ignores_case),
		cmocka_unit_test(a_misspelling_gets_the_closest_name),
		cmocka_unit_test(a_role_of_the_other_kind_says_where_it_belongs),
		cmocka_unit_test(a_known_role_without_an_id_asks_for_the_id),
		cmocka_unit_test(ids_and_expressions_are_not_names),
		cmocka_unit_test(tables_are_sorted_and_well_formed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
