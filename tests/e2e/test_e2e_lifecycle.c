/*
 * test_e2e_lifecycle.c - the life of the example platform on the emulator:
 * apply from nothing, a plan that settles to "No changes", drift made out
 * of band and reported exactly, repaired by apply, a manifest removed and
 * pruned while an unmarked look-alike is left alone, destroy refused by
 * preventDestroy and then done once the flag is applied away.
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
#include <sys/stat.h>
#include <unistd.h>

#include "e2ekit.h"

#define WS_ID                                                                                      \
	"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-mlplatform-dev/"    \
	"providers/Microsoft.Synapse/workspaces/synw-mlplatform-dev"

/* The status of a GET of an artifact on the workspace's data plane. */
static long artifact_status(e2e_world *w, const char *path)
{
	char *token = emu_token(w->e, "https://dev.azuresynapse.net/.default");
	assert_non_null(token);
	char auth[8192], url[512];
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	snprintf(url, sizeof(url),
	         "https://synw-mlplatform-dev.dev.localhost:%d/%s?api-version=2020-12-01",
	         emu_port(w->e), path);
	const char *headers[] = {auth, NULL};
	emu_response resp;
	assert_int_equal(emu_http(w->e, &resp, "GET", url, headers, NULL, 0), 0);
	long status = resp.status;
	emu_response_free(&resp);
	free(token);
	return status;
}

static void lifecycle(void **state)
{
	e2e_world *w = *state;
	/* 1. From nothing to everything in one apply. */
	run_result r = E2E_RUN(w, "apply", w->stack, "--env", "dev", "--auto-approve");
	e2e_expect(&r, 0, "Apply complete: 27 done, 0 failed, 0 skipped.");
	run_result_free(&r);

	/* Every artifact was written once, in dependency order: the notebook
	 * before the pipeline that runs it, the pipeline before its trigger. */
	json_t *log = e2e_log(w);
	size_t i;
	json_t *req;
	int artifact_puts = 0;
	long notebook = -1, pipeline = -1, trigger = -1;
	json_array_foreach(json_object_get(log, "requests"), i, req)
	{
		const char *host = json_string_value(json_object_get(req, "host"));
		const char *method = json_string_value(json_object_get(req, "method"));
		const char *path = json_string_value(json_object_get(req, "path"));
		if (!host || !strstr(host, ".dev.localhost") || strcmp(method, "PUT") != 0 ||
		    strncmp(path, "/roleAssignments/", 17) == 0)
			continue; /* CI's Synapse role is no artifact */
		artifact_puts++;
		if (strncmp(path, "/notebooks/", 11) == 0)
			notebook = (long)i;
		else if (strncmp(path, "/pipelines/", 11) == 0)
			pipeline = (long)i;
		else if (strncmp(path, "/triggers/", 10) == 0)
			trigger = (long)i;
	}
	assert_int_equal(artifact_puts, 5);
	assert_true(notebook >= 0 && notebook < pipeline && pipeline < trigger);
	json_decref(log);

	/* 2. It settles: the same manifests plan as no changes, and the plan
	 * only reads, each collection once. */
	e2e_clear_log(w);
	r = E2E_RUN(w, "plan", w->stack, "--env", "dev", "--detailed-exitcode");
	e2e_expect(&r, 0,
	           "No changes. Azure matches the manifests (27 resources, environment dev).");
	run_result_free(&r);
	log = e2e_log(w);
	json_t *seen = json_object();
	size_t reads = 0;
	json_array_foreach(json_object_get(log, "requests"), i, req)
	{
		const char *method = json_string_value(json_object_get(req, "method"));
		const char *host = json_string_value(json_object_get(req, "host"));
		const char *path = json_string_value(json_object_get(req, "path"));
		if ((host && strncmp(host, "login.", 6) == 0) ||
		    strncmp(path, "/_emulator", 10) == 0)
			continue; /* tokens, and this test's own control calls */
		assert_string_equal(method, "GET");
		char key[4096];
		snprintf(key, sizeof(key), "%s%s", host, path);
		if (json_object_get(seen, key))
			fail_msg("listed twice: %s", key);
		json_object_set_new(seen, key, json_true());
		reads++;
	}
	/* 27 resources: a list per ARM and Synapse collection, the three
	 * Graph objects read by their keys, and what pruning needs: far fewer
	 * than one GET per resource would take once the lists are counted. */
	if (reads > 32)
		fail_msg("the plan read %zu times", reads);
	json_decref(seen);
	json_decref(log);

	/* 3. A change made outside azapply is reported exactly. */
	assert_int_equal(emu_control(w->e, "PATCH", "arm" WS_ID "/bigDataPools/sparkml",
	                             "{\"properties\":{\"autoScale\":{\"maxNodeCount\":7}}}", NULL),
	                 200);
	r = E2E_RUN(w, "drift", w->stack, "--env", "dev");
	e2e_expect(&r, 2,
	           "SparkPool/spark: changed outside azapply\n"
	           "    properties.autoScale.maxNodeCount: Azure has 7, the manifest says 3\n");
	assert_non_null(strstr(r.out, "Drift: 1 resource differs"));
	run_result_free(&r);

	/* 4. apply repairs it. */
	r = E2E_RUN(w, "apply", w->stack, "--env", "dev", "--auto-approve");
	e2e_expect(&r, 0, "~ properties.autoScale.maxNodeCount: 7 -> 3");
	run_result_free(&r);
	r = E2E_RUN(w, "drift", w->stack, "--env", "dev");
	e2e_expect(&r, 0, "No drift");
	run_result_free(&r);

	/* 5. A manifest removed is pruned; an unmarked look-alike is not. */
	char path[512];
	snprintf(path, sizeof(path), "%s/44-sql-script.yaml", w->stack);
	assert_int_equal(unlink(path), 0);
	json_t *answer = NULL;
	int status = emu_control(w->e, "PUT", "synapse/synw-mlplatform-dev/sqlScripts/lookalike",
	                         "{\"name\":\"lookalike\",\"properties\":{\"type\":\"SqlQuery\","
	                         "\"content\":{\"query\":\"select 1\"}}}",
	                         &answer);
	if (status != 200) {
		char *text = json_dumps(answer, 0);
		fail_msg("out-of-band PUT: %d %s", status, text ? text : "");
	}
	json_decref(answer);
	r = E2E_RUN(w, "apply", w->stack, "--env", "dev", "--auto-approve");
	e2e_expect(&r, 0, "SqlScript/predict-churn: deleted");
	assert_null(strstr(r.out, "lookalike"));
	run_result_free(&r);
	assert_int_equal(artifact_status(w, "sqlScripts/lookalike"), 200);
	assert_int_equal(artifact_status(w, "sqlScripts/predict-churn"), 404);
	r = E2E_RUN(w, "plan", w->stack, "--env", "dev", "--detailed-exitcode");
	e2e_expect(&r, 0, "No changes");
	run_result_free(&r);

	/* 6. destroy honours preventDestroy and never deletes what it does not
	 * own; the look-alike inside the workspace holds the workspace back. */
	r = E2E_RUN(w, "destroy", w->stack, "--env", "dev", "--auto-approve");
	e2e_expect(&r, 1, "StorageAccount/datalake has lifecycle.preventDestroy");
	e2e_expect(&r, 1, "would delete SqlScript 'lookalike'");
	run_result_free(&r);
	assert_int_equal(emu_control(w->e, "DELETE",
	                             "synapse/synw-mlplatform-dev/sqlScripts/lookalike", NULL,
	                             NULL),
	                 200);
	snprintf(path, sizeof(path), "%s/01-storage.yaml", w->stack);
	e2e_replace(path, "preventDestroy: true", "preventDestroy: false", false);
	r = E2E_RUN(w, "apply", w->stack, "--env", "dev", "--auto-approve");
	e2e_expect(&r, 0, "(marker) lifecycle.preventDestroy");
	run_result_free(&r);
	r = E2E_RUN(w, "destroy", w->stack, "--env", "dev", "--auto-approve");
	e2e_expect(&r, 0, "Destroy complete: 26 done, 0 failed, 0 skipped.");
	run_result_free(&r);
	r = E2E_RUN(w, "plan", w->stack, "--env", "dev", "--detailed-exitcode");
	e2e_expect(&r, 2, "Plan: 26 to add, 0 to change, 0 to replace, 0 to destroy.");
	run_result_free(&r);
}

/* Secrets never reach output, the trace or a saved plan: not the SQL
 * password (from ${env}), not the client secret, not a token. */
static void secrets_stay_secret(void **state)
{
	e2e_world *w = *state;
	char out[512];
	snprintf(out, sizeof(out), "%s/plan.json", w->dir);
	run_result r = E2E_RUN(w, "plan", w->stack, "--env", "dev", "--out");
	/* --out needs its value: the usage error must not echo anything secret */
	assert_int_equal(r.exit_code, 64);
	run_result_free(&r);
	const char *argv[] = {"plan", w->stack,    "--env",    "dev",  "--out",
	                      out,    "--verbose", "--output", "json", NULL};
	const char **env = test_env_with(w->env, "SYNAPSE_SQL_PASSWORD=e2e-Passw0rd!", NULL);
	assert_int_equal(run_command(&r, AZAPPLY_BINARY, argv, env, NULL), 0);
	free(env);
	e2e_expect(&r, 0, "\"sensitive\": true");
	/* The trace has a line per request and no token. */
	assert_non_null(strstr(r.err, "azapply: http: GET https://management.localhost:"));
	assert_null(strstr(r.err, "eyJ"));
	assert_null(strstr(r.out, "eyJ"));
	assert_null(strstr(r.err, emu_client_secret(w->e)));
	assert_null(strstr(r.out, emu_client_secret(w->e)));
	run_result_free(&r);
	struct stat st;
	assert_int_equal(stat(out, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	char *saved = e2e_slurp(out);
	assert_non_null(strstr(saved, "\"manifestDigest\""));
	assert_null(strstr(saved, "e2e-Passw0rd!"));
	assert_null(strstr(saved, "sqlAdministratorLoginPassword\": \""));
	free(saved);
}

/* A SecureString from ${env} settles: Synapse answers with it masked, and
 * the salted hash in the marker says it is the same; a new value is an
 * update shown as sensitive. */
static void secure_string_settles(void **state)
{
	e2e_world *w = *state;
	char dir[512], path[600];
	snprintf(dir, sizeof(dir), "%s/secure", w->dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/azapply.yaml", dir);
	e2e_write(path, "stack: secure\nsubscription: 00000000-0000-0000-0000-000000000000\n");
	snprintf(path, sizeof(path), "%s/stack.yaml", dir);
	e2e_write(
	    path,
	    "apiVersion: azapply.dev/v1\nkind: ResourceGroup\nmetadata: {name: rg}\n"
	    "spec: {name: rg-secure, location: westeurope}\n---\n"
	    "apiVersion: azapply.dev/v1\nkind: SynapseWorkspace\nmetadata: {name: ws}\n"
	    "spec:\n  resourceGroup: rg-secure\n  name: synw-secure\n  location: westeurope\n"
	    "  identity: {type: SystemAssigned}\n  properties:\n"
	    "    defaultDataLakeStorage: {accountUrl: 'https://lake.dfs.core.windows.net', "
	    "filesystem: fs}\n"
	    "---\napiVersion: azapply.dev/v1\nkind: SynapseFirewallRule\nmetadata: {name: runner}\n"
	    "spec:\n  workspace: ws\n  name: allow-runner\n"
	    "  properties: {startIpAddress: 127.0.0.1, endIpAddress: 127.0.0.1}\n"
	    "---\napiVersion: azapply.dev/v1\nkind: LinkedService\nmetadata: {name: blob}\n"
	    "spec:\n  workspace: ws\n  name: blob\n  properties:\n    type: AzureBlobStorage\n"
	    "    typeProperties:\n      connectionString:\n        type: SecureString\n"
	    "        value: ${env.E2E_CONNECTION}\n");
	const char *apply[] = {"apply", dir, "--auto-approve", NULL};
	const char *plan[] = {"plan", dir, "--detailed-exitcode", NULL};
	const char **env =
	    test_env_with(w->env, "E2E_CONNECTION=AccountName=a;AccountKey=first-Secret-value",
	                  "NO_COLOR=1", NULL);
	run_result r;
	assert_int_equal(run_command(&r, AZAPPLY_BINARY, apply, env, NULL), 0);
	if (r.exit_code != 0)
		fail_msg("apply: %s%s", r.out, r.err);
	assert_null(strstr(r.out, "first-Secret-value"));
	run_result_free(&r);
	assert_int_equal(run_command(&r, AZAPPLY_BINARY, plan, env, NULL), 0);
	if (r.exit_code != 0)
		fail_msg("the plan after apply has changes:\n%s%s", r.out, r.err);
	run_result_free(&r);
	free(env);
	env = test_env_with(w->env, "E2E_CONNECTION=AccountName=a;AccountKey=second-Secret-value",
	                    "NO_COLOR=1", NULL);
	assert_int_equal(run_command(&r, AZAPPLY_BINARY, plan, env, NULL), 0);
	assert_int_equal(r.exit_code, 2);
	assert_non_null(
	    strstr(r.out, "~ properties.typeProperties.connectionString.value: (sensitive)"));
	assert_null(strstr(r.out, "second-Secret-value"));
	run_result_free(&r);
	free(env);
}

static int setup(void **state)
{
	return e2e_setup((e2e_world **)state, "synapse-ml", NULL, NULL);
}

static int teardown(void **state)
{
	return e2e_teardown(*state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(lifecycle, setup, teardown),
	    cmocka_unit_test_setup_teardown(secrets_stay_secret, setup, teardown),
	    cmocka_unit_test_setup_teardown(secure_string_settles, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
