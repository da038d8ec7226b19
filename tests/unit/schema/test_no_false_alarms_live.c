/*
 * test_no_false_alarms_live.c - every body the emulator holds after
 * applying an example stack (what Azure answers, read-only properties,
 * ownership markers and all), wrapped in a manifest of its kind as a user
 * would copy it from a GET, raises no error and no warning. The emulator
 * answers as the REST specs and recorded sessions say Azure does, so this
 * is the closest offline stand-in for "a body copied from the portal".
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
#include <strings.h>

#include <azapply/schema.h>

#include "bodies.h"
#include "kindkit.h"

typedef struct arm_type {
	const char *type; /* as in the body's "type", compared without case */
	body_kind body;
} arm_type;

/* Role assignments are left out: their manifest is not their body (role
 * names, flattened fields), and their spec is closed by errors. */
static const arm_type ARM_TYPES[] = {
	{"Microsoft.Resources/resourceGroups", {"ResourceGroup", NULL, false}},
	{"Microsoft.Storage/storageAccounts", {"StorageAccount", "resourceGroup", false}},
	{"Microsoft.Storage/storageAccounts/blobServices/containers",
	 {"StorageContainer", "storageAccount", false}},
	{"Microsoft.KeyVault/vaults", {"KeyVault", "resourceGroup", false}},
	{"Microsoft.Insights/components", {"ApplicationInsights", "resourceGroup", false}},
	{"Microsoft.MachineLearningServices/workspaces", {"MlWorkspace", "resourceGroup", false}},
	{"Microsoft.MachineLearningServices/workspaces/computes", {"MlCompute", "workspace", false}},
	{"Microsoft.MachineLearningServices/workspaces/onlineEndpoints",
	 {"MlOnlineEndpoint", "workspace", false}},
	{"Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments",
	 {"MlOnlineDeployment", "endpoint", false}},
	{"Microsoft.Synapse/workspaces", {"SynapseWorkspace", "resourceGroup", false}},
	{"Microsoft.Synapse/workspaces/bigDataPools", {"SparkPool", "workspace", false}},
	{"Microsoft.Synapse/workspaces/sqlPools", {"SqlPool", "workspace", false}},
	{"Microsoft.Synapse/workspaces/firewallRules", {"SynapseFirewallRule", "workspace", false}},
};

static const struct {
	const char *collection;
	body_kind body;
} ARTIFACTS[] = {
	{"linkedservices", {"LinkedService", "workspace", true}},
	{"pipelines", {"Pipeline", "workspace", true}},
	{"triggers", {"Trigger", "workspace", true}},
	{"notebooks", {"Notebook", "workspace", true}},
	{"sqlscripts", {"SqlScript", "workspace", true}},
	{"datasets", {"Dataset", "workspace", true}},
};

/* The resource type an id names: Microsoft.Synapse/workspaces/bigDataPools
 * for .../providers/Microsoft.Synapse/workspaces/w/bigDataPools/p. */
static char *type_of_id(const char *id)
{
	const char *p = strcasestr(id, "/providers/");
	if (!p)
		return strdup(strcasestr(id, "/resourcegroups/") ? "Microsoft.Resources/resourceGroups"
								  : "");
	p += strlen("/providers/");
	/* namespace, then type/name pairs: keep the types. */
	char *copy = strdup(p), *save = NULL;
	char *out = NULL;
	size_t i = 0;
	for (char *seg = strtok_r(copy, "/", &save); seg; seg = strtok_r(NULL, "/", &save), i++) {
		if (i != 0 && i % 2 == 0)
			continue;
		char *next = NULL;
		if (asprintf(&next, "%s%s%s", out ? out : "", out ? "/" : "", seg) < 0)
			abort();
		free(out);
		out = next;
	}
	free(copy);
	return out ? out : strdup("");
}

static const body_kind *arm_kind(const json_t *body, const char *id)
{
	const char *type = json_string_value(json_object_get(body, "type"));
	char *derived = type ? NULL : type_of_id(id);
	const body_kind *k = NULL;
	for (size_t i = 0; i < sizeof(ARM_TYPES) / sizeof(ARM_TYPES[0]) && !k; i++)
		if (strcasecmp(ARM_TYPES[i].type, type ? type : derived) == 0)
			k = &ARM_TYPES[i].body;
	free(derived);
	return k;
}

static void example_bodies_raise_nothing(world *w, const char *example)
{
	char *from = NULL;
	assert_true(asprintf(&from, "%s/examples/%s", AZAPPLY_SOURCE_DIR, example) > 0);
	test_remove_tree(w->stack);
	assert_int_equal(test_copy_tree(from, w->stack), 0);
	free(from);
	const char *apply[] = {"apply", w->stack, "--env", "dev", "--auto-approve", NULL};
	run_result r = kit_azapply(w, apply);
	if (r.exit_code != 0)
		fail_msg("%s: apply failed:\n%s\n%s", example, r.out, r.err);
	run_result_free(&r);

	json_t *store = NULL;
	assert_int_equal(emu_control(w->e, "GET", "store", NULL, &store), 200);
	size_t said = 0, bodies = 0;
	const char *id;
	json_t *body;
	json_object_foreach(json_object_get(store, "arm"), id, body)
	{
		const body_kind *k = arm_kind(body, id);
		if (!k)
			continue;
		said += check_body(k, body, id);
		bodies++;
	}
	const char *ws, *coll;
	json_t *colls, *items;
	json_object_foreach(json_object_get(store, "synapse"), ws, colls)
	{
		json_object_foreach(colls, coll, items)
		{
			const body_kind *k = NULL;
			for (size_t i = 0; i < sizeof(ARTIFACTS) / sizeof(ARTIFACTS[0]) && !k; i++)
				if (strcasecmp(ARTIFACTS[i].collection, coll) == 0)
					k = &ARTIFACTS[i].body;
			if (!k)
				continue;
			const char *name;
			json_t *item;
			json_object_foreach(items, name, item)
			{
				char *what = NULL;
				assert_true(asprintf(&what, "%s %s/%s", ws, coll, name) > 0);
				said += check_body(k, item, what);
				free(what);
				bodies++;
			}
		}
	}
	json_decref(store);
	print_message("%s: %zu bodies checked\n", example, bodies);
	assert_true(bodies >= 12);
	assert_int_equal(said, 0);
}

static void managed_identity_example(void **state)
{
	example_bodies_raise_nothing(*state, "synapse-ml");
}

static void service_principal_example(void **state)
{
	example_bodies_raise_nothing(*state, "synapse-ml-sp");
}

static int teardown(void **state)
{
	az_schema_builtin_release();
	return kit_teardown(state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(managed_identity_example, kit_setup, teardown),
		cmocka_unit_test_setup_teardown(service_principal_example, kit_setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
