/*
 * test_studio.c - a Synapse Studio git folder as a source: every artifact
 * file becomes a manifest of its kind with positions in the JSON file;
 * what Studio writes that is not an artifact is understood, a folder
 * azapply does not manage is a warning naming what is skipped; foreign
 * "${" is literal; per-environment overrides by dotted path; Studio's
 * template-parameters-definition.json names the values an environment must
 * override; the prune mode.
 */
#include "mtest.h"

#include <stdlib.h>
#include <string.h>

/* planner/manifest/manifest_int.h */
char *az_mf_studio_escape(const char *s);

static const char *project = "stack: demo\n"
                             "subscription: sub-1\n"
                             "variables: {db: dev-db}\n"
                             "environments:\n"
                             "  dev: {}\n"
                             "  prod:\n"
                             "    variables: {db: prod-db}\n"
                             "    overrides:\n"
                             "      Pipeline/load:\n"
                             "        properties.parameters.db.defaultValue: ${var.db}-x\n"
                             "        properties.description: from prod\n";

static const char *studio = "apiVersion: azapply.dev/v1\n"
                            "kind: SynapseArtifacts\n"
                            "metadata:\n"
                            "  name: studio\n"
                            "  lifecycle: {preventDestroy: true}\n"
                            "spec:\n"
                            "  workspace: ws1\n"
                            "  folder: synapse\n";

static const char *pipeline =
    "{\n"
    "  \"name\": \"load\",\n"
    "  \"properties\": {\n"
    "    \"description\": \"db ${var.db}; shell ${HOME}; kept $${x}\",\n"
    "    \"parameters\": {\"db\": {\"type\": \"string\", \"defaultValue\": \"none\"}},\n"
    "    \"activities\": [{\"name\": \"Copy\", \"type\": \"Copy\",\n"
    "      \"inputs\": [{\"referenceName\": \"raw\", \"type\": \"DatasetReference\"}]}]\n"
    "  }\n"
    "}\n";

static const char *dataset = "{\"name\": \"raw\", \"properties\": {\"type\": \"Json\",\n"
                             " \"linkedServiceName\": {\"referenceName\": \"lake\", "
                             "\"type\": \"LinkedServiceReference\"}},\n"
                             " \"type\": \"Microsoft.Synapse/workspaces/datasets\", "
                             "\"etag\": \"0a00\"}\n";

static char *tree(void)
{
	char *dir = mt_tempdir();
	mt_write(dir, "azapply.yaml", project);
	mt_write(dir, "artifacts.yaml", studio);
	mt_write(dir, "synapse/pipeline/load.json", pipeline);
	mt_write(dir, "synapse/dataset/raw.json", dataset);
	mt_write(dir, "synapse/linkedService/lake.json",
	         "{\"name\": \"lake\", \"properties\": {\"type\": \"AzureBlobFS\"}}\n");
	mt_write(dir, "synapse/publish_config.json", "{\"publishBranch\": \"workspace_publish\"}\n");
	mt_write(dir, "synapse/template-parameters-definition.json", "{}\n");
	mt_write(dir, "synapse/README.md", "# the workspace\n");
	mt_write(dir, "synapse/dataflow/flow.json",
	         "{\"name\": \"flow\", \"properties\": {\"type\": \"MappingDataFlow\"}}\n");
	mt_write(dir, "synapse/credential/uami.json",
	         "{\"name\": \"uami\", \"properties\": {\"type\": \"ManagedIdentity\"}}\n");
	mt_write(dir, "synapse/integrationRuntime/vnet-ir.json",
	         "{\"name\": \"vnet-ir\", \"properties\": {\"type\": \"Managed\", "
	         "\"managedVirtualNetwork\": {\"type\": \"ManagedVirtualNetworkReference\", "
	         "\"referenceName\": \"default\"}}}\n");
	mt_write(dir, "synapse/kqlscript/q1.json",
	         "{\"name\": \"q1\", \"properties\": {\"content\": {\"query\": "
	         "\"Logs | take 10\"}}}\n");
	/* A workspace with a managed virtual network: Studio writes the network
	 * and, three folders down, its managed private endpoints. */
	mt_write(dir, "synapse/managedVirtualNetwork/default.json",
	         "{\"name\": \"default\", \"type\": "
	         "\"Microsoft.Synapse/workspaces/managedVirtualNetworks\"}\n");
	mt_write(dir, "synapse/managedVirtualNetwork/default/managedPrivateEndpoint/pe-lake.json",
	         "{\"name\": \"pe-lake\", \"properties\": {\"privateLinkResourceId\": "
	         "\"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/"
	         "storageAccounts/stlake\", \"groupId\": \"dfs\"}}\n");
	mt_write(dir, "synapse/sparkJobDefinition/job.json",
	         "{\"name\": \"job\", \"properties\": {\"language\": \"python\"}}\n");
	mt_write(dir, "synapse/database/db1.json", "{\"name\": \"db1\", \"properties\": {}}\n");
	mt_write(dir, "synapse/database/db2.json", "{\"name\": \"db2\", \"properties\": {}}\n");
	return dir;
}

static const az_manifest *find(const az_manifest_set *set, const char *address)
{
	for (size_t i = 0; i < set->len; i++)
		if (set->items[i].address && !strcmp(set->items[i].address, address))
			return &set->items[i];
	return NULL;
}

static const az_manifest *load_env(const char *dir, const char *env, az_manifest_set **set,
                                   az_diags *d)
{
	assert_int_equal(mt_load(set, dir, d), 0);
	const char *vars[] = {NULL};
	az_manifests_resolve_vars(*set, env, mt_getenv, vars, d);
	return find(*set, "Pipeline/load");
}

/* Loads `dir` (and resolves it for `env` unless NULL): the first error must
 * be `at_what`, a path below `dir` with its position and the message. */
static void expect_error(const char *dir, const char *env, const char *at_what)
{
	az_diags d = AZ_DIAGS_INIT;
	az_manifest_set *set = NULL;
	if (env)
		load_env(dir, env, &set, &d);
	else
		assert_int_equal(mt_load(&set, dir, &d), AZ_EINVALID);
	char *e = mt_first_error(&d);
	char *want = az_xasprintf("%s/%s", dir, at_what);
	assert_string_equal(e, want);
	free(e);
	free(want);
	az_manifest_set_free(set);
	az_diags_clear(&d);
}

static void every_artifact_file_becomes_a_manifest(void **state)
{
	(void)state;
	char *dir = tree();
	az_diags d = AZ_DIAGS_INIT;
	az_manifest_set *set = NULL;
	assert_int_equal(mt_load(&set, dir, &d), 0);
	/* In path order; the SynapseArtifacts manifest is no resource. */
	assert_int_equal(set->len, 9);
	assert_string_equal(set->items[0].address, "Credential/uami");
	assert_string_equal(set->items[1].address, "DataFlow/flow");
	assert_string_equal(set->items[2].address, "Dataset/raw");
	/* Served by ARM, not the data plane, but one of Studio's folders. */
	assert_string_equal(set->items[3].address, "IntegrationRuntime/vnet-ir");
	assert_string_equal(set->items[3].file, "synapse/integrationRuntime/vnet-ir.json");
	assert_string_equal(set->items[4].address, "KqlScript/q1");
	assert_string_equal(set->items[5].address, "LinkedService/lake");
	assert_string_equal(set->items[6].address, "ManagedPrivateEndpoint/pe-lake");
	assert_string_equal(set->items[6].file,
	                    "synapse/managedVirtualNetwork/default/managedPrivateEndpoint/"
	                    "pe-lake.json");
	assert_string_equal(set->items[7].address, "Pipeline/load");
	assert_string_equal(set->items[7].file, "synapse/pipeline/load.json");
	assert_string_equal(set->items[8].address, "SparkJobDefinition/job");
	const az_manifest *pe = find(set, "ManagedPrivateEndpoint/pe-lake");
	assert_string_equal(json_string_value(json_object_get(json_object_get(pe->body, "spec"),
	                                                      "workspace")),
	                    "ws1");

	const az_manifest *ds = find(set, "Dataset/raw");
	json_t *spec = json_object_get(ds->body, "spec");
	assert_string_equal(json_string_value(json_object_get(spec, "workspace")), "ws1");
	assert_string_equal(json_string_value(json_object_get(spec, "name")), "raw");
	assert_string_equal(json_string_value(json_object_get(spec, "type")),
	                    "Microsoft.Synapse/workspaces/datasets");
	assert_null(json_object_get(spec, "etag"));
	/* metadata reaches every artifact. */
	assert_true(json_is_true(json_object_get(
	    json_object_get(json_object_get(ds->body, "metadata"), "lifecycle"), "preventDestroy")));

	/* Positions: the JSON file for the artifact, the manifest for the
	 * workspace it names. */
	const az_pos *p = az_manifest_pos(ds, "/spec/properties/type");
	char *want = az_xasprintf("%s/synapse/dataset/raw.json", dir);
	assert_string_equal(p->file, want);
	assert_int_equal(p->line, 1);
	assert_int_equal(p->col, 41);
	free(want);
	p = az_manifest_pos(ds, "/metadata/name");
	assert_int_equal(p->line, 1);
	assert_int_equal(p->col, 11);
	p = az_manifest_pos(ds, "/spec/workspace");
	want = az_xasprintf("%s/artifacts.yaml", dir);
	assert_string_equal(p->file, want);
	assert_int_equal(p->line, 7);
	free(want);

	/* Studio's own files are understood (the managed virtual network is
	 * the workspace's); credentials, data flows, Spark job definitions, KQL
	 * scripts and managed private endpoints are artifacts, and a folder of
	 * a kind azapply does not manage (database/) is said, with names. */
	assert_int_equal(d.len, 1);
	assert_int_equal(d.items[0].severity, AZ_SEV_WARNING);
	assert_string_equal(d.items[0].address, "SynapseArtifacts/studio");
	assert_non_null(strstr(d.items[0].summary, "database/ holds 2 files of lake databases"));
	assert_non_null(strstr(d.items[0].summary, "db1.json, db2.json"));
	assert_null(strstr(d.items[0].summary, "dataflow"));
	assert_null(strstr(d.items[0].summary, "credential"));
	assert_null(strstr(d.items[0].summary, "integrationRuntime"));
	assert_null(strstr(d.items[0].summary, "kqlscript"));
	assert_null(strstr(d.items[0].summary, "managedVirtualNetwork"));
	assert_int_equal(d.items[0].line, 8);
	az_manifest_set_free(set);
	az_diags_clear(&d);
	mt_rmtree(dir);
	free(dir);
}

static void file_and_name_must_agree(void **state)
{
	(void)state;
	char *dir = tree();
	mt_write(dir, "synapse/notebook/train.json",
	         "{\n  \"name\": \"training\",\n  \"properties\": {}\n}\n");
	az_diags d = AZ_DIAGS_INIT;
	az_manifest_set *set = NULL;
	assert_int_equal(mt_load(&set, dir, &d), AZ_EINVALID);
	char *e = mt_first_error(&d);
	char *want = az_xasprintf("%s/synapse/notebook/train.json:2:12: Notebook 'training' is "
	                          "in the file train.json; Synapse Studio names the file after "
	                          "the artifact",
	                          dir);
	assert_string_equal(e, want);
	free(e);
	free(want);
	az_manifest_set_free(set);
	az_diags_clear(&d);
	mt_rmtree(dir);
	free(dir);
}

static void the_manifest_is_checked(void **state)
{
	(void)state;
	char *dir = tree();
	mt_write(dir, "artifacts.yaml",
	         "apiVersion: azapply.dev/v1\nkind: SynapseArtifacts\nmetadata: {name: s}\n"
	         "spec:\n  workspace: ws1\n  folder: missing\n  purge: all\n");
	az_diags d = AZ_DIAGS_INIT;
	az_manifest_set *set = NULL;
	assert_int_equal(mt_load(&set, dir, &d), AZ_EINVALID);
	char *e = mt_first_error(&d);
	char *want = az_xasprintf("%s/artifacts.yaml:7:3: unknown key 'purge' in the spec of a "
	                          "SynapseArtifacts manifest",
	                          dir);
	assert_string_equal(e, want);
	free(e);
	free(want);
	az_manifest_set_free(set);
	az_diags_clear(&d);

	/* Deleting what the folder does not hold is said in so many words. */
	mt_write(dir, "artifacts.yaml",
	         "apiVersion: azapply.dev/v1\nkind: SynapseArtifacts\nmetadata: {name: s}\n"
	         "spec:\n  workspace: ws1\n  folder: synapse\n  prune: all\n");
	expect_error(dir, NULL,
	             "artifacts.yaml:7:10: spec.prune must be marked or all-in-workspace");

	mt_write(dir, "artifacts.yaml",
	         "apiVersion: azapply.dev/v1\nkind: SynapseArtifacts\nmetadata: {name: s}\n"
	         "spec:\n  workspace: ws1\n  folder: synapse\n  prune: all-in-workspace\n");
	assert_int_equal(mt_load(&set, dir, &d), 0);
	assert_true(find(set, "Pipeline/load")->prune_workspace);
	assert_string_equal(find(set, "Dataset/raw")->studio, "SynapseArtifacts/s");
	az_manifest_set_free(set);
	az_diags_clear(&d);

	mt_write(dir, "artifacts.yaml",
	         "apiVersion: azapply.dev/v1\nkind: SynapseArtifacts\nmetadata: {name: s}\n"
	         "spec:\n  workspace: ws1\n  folder: missing\n");
	assert_int_equal(mt_load(&set, dir, &d), AZ_EINVALID);
	e = mt_first_error(&d);
	want = az_xasprintf("%s/artifacts.yaml:6:11: folder 'missing' is empty or does not exist",
	                    dir);
	assert_string_equal(e, want);
	free(e);
	free(want);
	az_manifest_set_free(set);
	az_diags_clear(&d);

	mt_write(dir, "artifacts.yaml",
	         "apiVersion: azapply.dev/v1\nkind: SynapseArtifacts\nmetadata: {name: s}\n"
	         "spec:\n  workspace: ws1\n  folder: ../elsewhere\n");
	assert_int_equal(mt_load(&set, dir, &d), AZ_EINVALID);
	e = mt_first_error(&d);
	assert_non_null(strstr(e, "folder '../elsewhere' is outside the manifest tree"));
	free(e);
	az_manifest_set_free(set);
	az_diags_clear(&d);
	mt_rmtree(dir);
	free(dir);
}

static void foreign_dollar_braces_are_text(void **state)
{
	(void)state;
	char *s = az_mf_studio_escape("s\"${x}\" ${var.a} $${b} ${env.C} ${ref.K.n} ${}");
	assert_string_equal(s, "s\"$${x}\" ${var.a} $${b} ${env.C} ${ref.K.n} $${}");
	free(s);
	assert_null(az_mf_studio_escape("no expression ${var.x}"));
	assert_null(az_mf_studio_escape("plain"));
}

static void variables_and_overrides_reach_the_json(void **state)
{
	(void)state;
	char *dir = tree();
	az_diags d = AZ_DIAGS_INIT;
	az_manifest_set *set = NULL;
	const az_manifest *m = load_env(dir, "dev", &set, &d);
	assert_int_equal(az_diags_errors(&d), 0);
	json_t *props = json_object_get(json_object_get(m->body, "spec"), "properties");
	assert_string_equal(json_string_value(json_object_get(props, "description")),
	                    "db dev-db; shell $${HOME}; kept $${x}");
	json_t *db = json_object_get(json_object_get(props, "parameters"), "db");
	assert_string_equal(json_string_value(json_object_get(db, "defaultValue")), "none");
	az_manifest_set_free(set);
	az_diags_clear(&d);

	m = load_env(dir, "prod", &set, &d);
	assert_int_equal(az_diags_errors(&d), 0);
	props = json_object_get(json_object_get(m->body, "spec"), "properties");
	db = json_object_get(json_object_get(props, "parameters"), "db");
	assert_string_equal(json_string_value(json_object_get(db, "defaultValue")), "prod-db-x");
	/* The rest of the parameter stays as the file has it. */
	assert_string_equal(json_string_value(json_object_get(db, "type")), "string");
	assert_string_equal(json_string_value(json_object_get(props, "description")), "from prod");
	assert_int_equal(json_array_size(json_object_get(props, "activities")), 1);
	/* An overridden value points at azapply.yaml. */
	const az_pos *p = az_manifest_pos(m, "/spec/properties/parameters/db/defaultValue");
	char *want = az_xasprintf("%s/azapply.yaml", dir);
	assert_string_equal(p->file, want);
	assert_int_equal(p->line, 10);
	free(want);
	p = az_manifest_pos(m, "/spec/properties/parameters/db/type");
	assert_non_null(strstr(p->file, "load.json"));
	az_manifest_set_free(set);
	az_diags_clear(&d);
	mt_rmtree(dir);
	free(dir);
}

static void an_override_path_needs_every_segment(void **state)
{
	(void)state;
	char *dir = tree();
	mt_write(dir, "azapply.yaml",
	         "stack: demo\nvariables: {db: x}\nenvironments:\n  dev:\n    overrides:\n"
	         "      Pipeline/load:\n"
	         "        properties..description: x\n");
	az_diags d = AZ_DIAGS_INIT;
	az_manifest_set *set = NULL;
	load_env(dir, "dev", &set, &d);
	char *e = mt_first_error(&d);
	char *want = az_xasprintf(
	    "%s/azapply.yaml:7:9: override path 'properties..description' has an empty segment",
	    dir);
	assert_string_equal(e, want);
	free(e);
	free(want);
	az_manifest_set_free(set);
	az_diags_clear(&d);
	mt_rmtree(dir);
	free(dir);
}

/* Studio's own sample of a definition, cut to what the tree holds. */
static const char *definition =
    "{\n"
    "  \"Microsoft.Synapse/workspaces/linkedServices\": {\n"
    "    \"*\": {\"properties\": {\"typeProperties\": {\"*\": \"=\"}}},\n"
    "    \"AzureKeyVault\": {\"properties\": {\"typeProperties\": {\"baseUrl\": \"-\"}}}\n"
    "  },\n"
    "  \"Microsoft.Synapse/workspaces/pipelines\": {\n"
    "    \"properties\": {\n"
    "      \"parameters\": {\"*\": {\"defaultValue\": \"=\"}},\n"
    "      \"activities\": [{\"policy\": {\"timeout\": \"-::string\"}}]\n"
    "    }\n"
    "  }\n"
    "}\n";

static const char *strict_project = "stack: demo\n"
                                    "variables: {db: dev-db, env: dev}\n"
                                    "environments:\n"
                                    "  dev: {}\n"
                                    "  prod:\n"
                                    "    requireOverrides: true\n"
                                    "    overrides:\n"
                                    "      Pipeline/load:\n"
                                    "        properties.parameters.db.defaultValue: prod-db\n";

static char *parameter_tree(void)
{
	char *dir = tree();
	mt_write(dir, "azapply.yaml", strict_project);
	mt_write(dir, "synapse/template-parameters-definition.json", definition);
	mt_write(dir, "synapse/linkedService/lake.json",
	         "{\n\t\"name\": \"lake\",\n\t\"properties\": {\n\t\t\"type\": \"AzureBlobFS\",\n"
	         "\t\t\"typeProperties\": {\"url\": \"https://stdev.dfs.core.windows.net/\"}\n\t}\n}\n");
	mt_write(dir, "synapse/linkedService/vault.json",
	         "{\"name\": \"vault\", \"properties\": {\"type\": \"AzureKeyVault\",\n"
	         " \"typeProperties\": {\"baseUrl\": \"https://kv-${var.env}.vault.azure.net/\"}}}\n");
	return dir;
}

static void a_definition_names_the_parameters(void **state)
{
	(void)state;
	char *dir = parameter_tree();
	az_diags d = AZ_DIAGS_INIT;
	az_manifest_set *set = NULL;
	assert_int_equal(mt_load(&set, dir, &d), 0);
	/* "*" under typeProperties: every value there; the type-specific
	 * definition replaces "*" for its type. */
	json_t *p = find(set, "LinkedService/lake")->parameters;
	assert_int_equal(json_array_size(p), 1);
	json_t *first = json_array_get(p, 0);
	assert_string_equal(json_string_value(json_object_get(first, "ptr")),
	                    "/spec/properties/typeProperties/url");
	assert_string_equal(json_string_value(json_object_get(first, "path")),
	                    "properties.typeProperties.url");
	assert_true(json_is_true(json_object_get(first, "keep")));
	/* A value that varies by itself already answers the definition. */
	assert_null(find(set, "LinkedService/vault")->parameters);
	/* The pipeline's activity has no policy: only the parameter. */
	p = find(set, "Pipeline/load")->parameters;
	assert_int_equal(json_array_size(p), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(p, 0), "path")),
	                    "properties.parameters.db.defaultValue");
	assert_null(find(set, "Dataset/raw")->parameters);
	az_manifest_set_free(set);
	az_diags_clear(&d);
	mt_rmtree(dir);
	free(dir);
}

static void an_environment_can_require_every_override(void **state)
{
	(void)state;
	char *dir = parameter_tree();
	az_diags d = AZ_DIAGS_INIT;
	az_manifest_set *set = NULL;
	/* dev's values are the folder's own. */
	load_env(dir, "dev", &set, &d);
	assert_int_equal(az_diags_errors(&d), 0);
	az_manifest_set_free(set);
	az_diags_clear(&d);

	/* prod overrides the pipeline's parameter, not the lake's URL: an
	 * error at the URL in its JSON file, with the fix. */
	expect_error(dir, "prod",
	             "synapse/linkedService/lake.json:5:30: "
	             "properties.typeProperties.url is a per-environment value "
	             "(template-parameters-definition.json) and environment 'prod', "
	             "which requires overrides, gives none");
	load_env(dir, "prod", &set, &d);
	assert_int_equal(az_diags_errors(&d), 1);
	bool fix = false;
	for (size_t i = 0; i < d.len; i++)
		fix |= d.items[i].detail &&
		       strstr(d.items[i].detail, "environments: {prod: {overrides: {LinkedService/lake: "
		                                 "{properties.typeProperties.url: <value>}}}}");
	assert_true(fix);
	az_manifest_set_free(set);
	az_diags_clear(&d);

	/* A value without a default ('-') is wanted in every environment. */
	mt_write(dir, "synapse/pipeline/load.json",
	         "{\"name\": \"load\", \"properties\": {\"activities\": [{\"name\": \"Copy\",\n"
	         " \"type\": \"Copy\", \"policy\": {\"timeout\": \"0.12:00:00\"}}]}}\n");
	expect_error(dir, "dev",
	             "synapse/pipeline/load.json:2:41: "
	             "properties.activities.0.policy.timeout is a parameter without a "
	             "default (template-parameters-definition.json) and environment 'dev' "
	             "gives no value");
	mt_rmtree(dir);
	free(dir);
}

static void a_definition_is_checked(void **state)
{
	(void)state;
	char *dir = parameter_tree();
	mt_write(dir, "synapse/template-parameters-definition.json",
	         "{\"Microsoft.Synapse/workspaces/pipelines\": {\"properties\": {\n"
	         "  \"description\": \"keep\"}}}\n");
	expect_error(dir, NULL,
	             "synapse/template-parameters-definition.json:2:19: "
	             "template-parameters-definition.json: 'keep' is no parameter definition");
	mt_write(dir, "synapse/template-parameters-definition.json",
	         "{\"Microsoft.Synapse/workspaces/pipelines\": {\"properties\": {\n"
	         "  \"description\": \"=:d:text\"}}}\n");
	expect_error(dir, NULL,
	             "synapse/template-parameters-definition.json:2:19: "
	             "template-parameters-definition.json: unknown parameter type in '=:d:text'");
	mt_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(every_artifact_file_becomes_a_manifest),
	    cmocka_unit_test(file_and_name_must_agree),
	    cmocka_unit_test(the_manifest_is_checked),
	    cmocka_unit_test(foreign_dollar_braces_are_text),
	    cmocka_unit_test(variables_and_overrides_reach_the_json),
	    cmocka_unit_test(an_override_path_needs_every_segment),
	    cmocka_unit_test(a_definition_names_the_parameters),
	    cmocka_unit_test(an_environment_can_require_every_override),
	    cmocka_unit_test(a_definition_is_checked),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
