/*
 * test_no_false_alarms.c - the shipped schemas say nothing about what Azure
 * itself writes or accepts: no error and no warning (unknown property, enum
 * case, region) on
 *
 *   - both example stacks, for every environment of their azapply.yaml;
 *   - every body of every Azure REST API example of a kind azapply manages
 *     (request bodies and the bodies of every response, list items too),
 *     from ${AZAPPLY_SOURCE_DIR}/../shared/azure-specs/specification and
 *     schemas/specs/specification, each wrapped in a manifest of its kind
 *     as a user would copy it.
 *
 * Warnings for unknown properties are only worth having if a clean stack
 * never gets one: a warning users learn to ignore hides the typo.
 */
#define _DEFAULT_SOURCE /* DT_DIR */
#include <azapply/manifest.h>
#include <azapply/schema.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bodies.h"


#define SPECS AZAPPLY_SOURCE_DIR "/../shared/azure-specs/specification"
/* The project's own copies of the spec files the shared copy lacks. */
#define OWN_SPECS AZAPPLY_SOURCE_DIR "/schemas/specs/specification"

static const char *any_secret(const char *name, void *ud)
{
	(void)name;
	(void)ud;
	return "placeholder-secret-value";
}

static size_t check_stack(const char *dir, const char *env)
{
	az_diags d = AZ_DIAGS_INIT;
	az_file_source src;
	assert_int_equal(az_file_source_dir(&src, dir, &d), 0);
	az_manifest_set *set = NULL;
	assert_int_equal(az_manifests_load(&set, &src, NULL, &d), 0);
	assert_int_equal(az_manifests_resolve_vars(set, env, any_secret, NULL, &d), 0);
	size_t said = 0;
	for (size_t i = 0; i < set->len; i++) {
		const az_manifest *m = &set->items[i];
		char *what = az_xasprintf("%s (%s) %s", dir, env ? env : "no environment",
		                          m->address);
		said += check_manifest(m->kind, m->body, what);
		free(what);
	}
	az_manifest_set_free(set);
	az_file_source_free(&src);
	az_diags_clear(&d);
	return said;
}

static void examples_raise_nothing_in_any_environment(void **state)
{
	(void)state;
	static const char *const STACKS[] = {"synapse-ml", "synapse-ml-sp", "synapse-studio",
					     "multi-team"};
	size_t said = 0, checked = 0;
	for (size_t i = 0; i < sizeof(STACKS) / sizeof(STACKS[0]); i++) {
		char *dir = az_xasprintf("%s/examples/%s", AZAPPLY_SOURCE_DIR, STACKS[i]);
		/* The environments azapply.yaml declares. */
		az_diags d = AZ_DIAGS_INIT;
		az_file_source src;
		assert_int_equal(az_file_source_dir(&src, dir, &d), 0);
		az_manifest_set *set = NULL;
		assert_int_equal(az_manifests_load(&set, &src, NULL, &d), 0);
		const json_t *envs = set->project.environments;
		assert_true(json_object_size(envs) >= 1);
		const char *env;
		const json_t *value;
		json_object_foreach((json_t *)(uintptr_t)envs, env, value)
		{
			said += check_stack(dir, env);
			checked++;
		}
		az_manifest_set_free(set);
		az_file_source_free(&src);
		az_diags_clear(&d);
		free(dir);
	}
	assert_true(checked >= 8);
	assert_int_equal(said, 0);
}

/* ---------------------------------------------------------------------
 * Azure's examples.
 */

typedef struct example_kind {
	const char *folder;    /* a part of the example's folder */
	const char *name_part; /* a part of its file name */
	body_kind body;
} example_kind;

#define SYN_ARM "/Microsoft.Synapse/stable/2021-06-01/examples/"
#define SYN_DP "/data-plane/Microsoft.Synapse/stable/2020-12-01/examples/"
#define ML "/Microsoft.MachineLearningServices/stable/2025-09-01/examples/"

/* Kinds whose spec is the ARM or Synapse body. RoleAssignment and
 * SynapseRoleAssignment manifests are not bodies (role names, flattened
 * fields), and their spec is closed by an error, not by warnings. */
static const example_kind KINDS[] = {
	{"/Microsoft.Resources/", "ResourceGroup", {"ResourceGroup", NULL, false}},
	{"/Microsoft.Storage/", "BlobContainers", {"StorageContainer", "storageAccount", false}},
	{"/Microsoft.Storage/", "StorageAccount", {"StorageAccount", "resourceGroup", false}},
	/* Before the workspaces: online endpoints' examples are in Workspace/. */
	{ML "Workspace/OnlineEndpoint/", "", {"MlOnlineEndpoint", "workspace", false}},
	/* Managed deployments only: the list example's item is a Kubernetes one. */
	{ML "OnlineDeployment/ManagedOnlineDeployment/", "", {"MlOnlineDeployment", "endpoint", false}},
	{ML "Workspace/", "", {"MlWorkspace", "resourceGroup", false}},
	{ML "Compute/", "", {"MlCompute", "workspace", false}},
	{SYN_ARM, "BigDataPool", {"SparkPool", "workspace", false}},
	{SYN_ARM, "SqlPool", {"SqlPool", "workspace", false}},
	{SYN_ARM, "IpFirewallRule", {"SynapseFirewallRule", "workspace", false}},
	/* After the pools: ListBigDataPoolsInWorkspace.json is a pool list. */
	{SYN_ARM, "Workspace.json", {"SynapseWorkspace", "resourceGroup", false}},
	{SYN_DP, "LinkedServices_", {"LinkedService", "workspace", true}},
	{SYN_DP, "Notebooks_", {"Notebook", "workspace", true}},
	{SYN_DP, "Pipelines_", {"Pipeline", "workspace", true}},
	{SYN_DP, "Triggers_", {"Trigger", "workspace", true}},
};

static const example_kind *kind_of(const char *path)
{
	const char *base = strrchr(path, '/') + 1;
	for (size_t i = 0; i < sizeof(KINDS) / sizeof(KINDS[0]); i++)
		if (strstr(path, KINDS[i].folder) && strstr(base, KINDS[i].name_part))
			return &KINDS[i];
	return NULL;
}

/* A resource body as it would sit in a manifest's spec. */
static bool looks_like_body(const json_t *b)
{
	return json_is_object(b) &&
	       (json_object_get(b, "properties") || json_object_get(b, "location"));
}

static size_t check_example(const char *path, size_t *bodies)
{
	const example_kind *k = kind_of(path);
	if (!k)
		return 0;
	json_error_t jerr;
	json_t *ex = json_load_file(path, 0, &jerr);
	assert_non_null(ex);
	size_t said = 0;
	const char *key;
	json_t *v;
	/* A PATCH body is a partial update, not a manifest's spec. */
	bool patch = strstr(path, "/update") || strstr(path, "Update");
	json_object_foreach(json_object_get(ex, "parameters"), key, v)
	{
		if (!patch && looks_like_body(v)) {
			said += check_body(&k->body, v, path);
			(*bodies)++;
		}
	}
	json_object_foreach(json_object_get(ex, "responses"), key, v)
	{
		json_t *body = json_object_get(v, "body");
		json_t *list = json_object_get(body, "value");
		if (json_is_array(list)) {
			size_t i;
			json_t *item;
			json_array_foreach(list, i, item)
			{
				if (looks_like_body(item)) {
					said += check_body(&k->body, item, path);
					(*bodies)++;
				}
			}
		} else if (looks_like_body(body)) {
			said += check_body(&k->body, body, path);
			(*bodies)++;
		}
	}
	json_decref(ex);
	return said;
}

static size_t walk(const char *dir, size_t *bodies)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	size_t said = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char *path = az_xasprintf("%s/%s", dir, e->d_name);
		struct stat st;
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
			said += walk(path, bodies);
		else if (strstr(path, "/examples/") && strstr(path, ".json"))
			said += check_example(path, bodies);
		free(path);
	}
	closedir(d);
	return said;
}

static void spec_examples_raise_nothing(void **state)
{
	(void)state;
	struct stat st;
	/* Without the specs the test fails rather than passing vacuously. */
	assert_int_equal(stat(SPECS, &st), 0);
	size_t bodies = 0;
	size_t said = walk(SPECS, &bodies) + walk(OWN_SPECS, &bodies);
	print_message("spec example bodies checked: %zu\n", bodies);
	assert_true(bodies >= 30);
	assert_int_equal(said, 0);
}

static int teardown(void **state)
{
	(void)state;
	az_schema_builtin_release();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(examples_raise_nothing_in_any_environment),
		cmocka_unit_test(spec_examples_raise_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, teardown);
}
