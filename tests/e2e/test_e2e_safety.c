/*
 * test_e2e_safety.c - nothing outside this stack instance is ever changed or
 * lost, whatever the user does by mistake on day two.
 *
 * One test per way it used to go wrong: dev and prod of one stack in one
 * subscription (the shipped example) planning each other's deletion; a
 * copied folder that keeps the stack name pruning the original; destroy
 * deleting a key vault before the workspace that uses it; import writing
 * the manifest over a live resource; two applies at once; a run killed
 * while it holds the lock; markers written before instances had an
 * identity. Each runs the real binary against the emulator and checks
 * what Azure holds afterwards, not only what azapply printed.
 */
#define _GNU_SOURCE /* asprintf */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "e2ekit.h"

#define SUB "/subscriptions/00000000-0000-0000-0000-000000000000"
#define RG_DEV SUB "/resourceGroups/rg-mlplatform-dev"
#define POOL_DEV                                                                                   \
	RG_DEV "/providers/Microsoft.Synapse/workspaces/synw-mlplatform-dev/bigDataPools/sparkml"
#define LOCK_DEV                                                                                   \
	RG_DEV                                                                                     \
	"/providers/Microsoft.Storage/storageAccounts/stmlplatformdev/blobServices/default/"       \
	"containers/azapply-lock-mlplatform-dev"

/* Every *.yaml of a stack folder. */
static void replace_in_stack(const char *stack, const char *from, const char *to)
{
	DIR *d = opendir(stack);
	assert_non_null(d);
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (n < 5 || strcmp(e->d_name + n - 5, ".yaml") != 0)
			continue;
		char path[1400];
		snprintf(path, sizeof(path), "%s/%s", stack, e->d_name);
		char *text = e2e_slurp(path);
		bool has = strstr(text, from) != NULL;
		free(text);
		if (has)
			e2e_replace(path, from, to, true);
	}
	closedir(d);
}

static size_t arm_count_under(e2e_world *w, const char *prefix_lower)
{
	json_t *s = e2e_store(w);
	size_t n = 0;
	const char *id;
	json_t *v;
	json_object_foreach(json_object_get(s, "arm"), id, v) n +=
	    strncmp(id, prefix_lower, strlen(prefix_lower)) == 0;
	json_decref(s);
	return n;
}

/* Makes the example's storage account destroyable, as a user would before
 * a destroy. */
static void allow_destroy(const char *stack)
{
	char path[1400];
	snprintf(path, sizeof(path), "%s/01-storage.yaml", stack);
	e2e_replace(path, "preventDestroy: true", "preventDestroy: false", true);
}

/* ---------------------------------------------------------------------
 * Environments and copies.
 */

/* dev and prod of the shipped example share a subscription: each plans,
 * applies and destroys only its own resources. */
static void environments_are_separate_instances(void **state)
{
	e2e_world *w = *state;
	allow_destroy(w->stack);
	e2e_run_expect(
	    w, (const char *const[]){"apply", w->stack, "--env", "dev", "--auto-approve", NULL}, 0,
	    "Apply complete: 27 done, 0 failed, 0 skipped.");
	e2e_runner_address(w, E2E_PROD_RUNNER);
	run_result r = E2E_RUN(w, "plan", w->stack, "--env", "prod", "--detailed-exitcode");
	e2e_expect(&r, 2, "Plan: 27 to add, 0 to change, 0 to replace, 0 to destroy.");
	assert_null(strstr(r.out, "will be deleted"));
	run_result_free(&r);
	e2e_run_expect(
	    w, (const char *const[]){"apply", w->stack, "--env", "prod", "--auto-approve", NULL}, 0,
	    "Apply complete: 27 done, 0 failed, 0 skipped.");
	e2e_runner_address(w, "");
	e2e_run_expect(
	    w, (const char *const[]){"plan", w->stack, "--env", "dev", "--detailed-exitcode", NULL},
	    0, "No changes");
	e2e_runner_address(w, E2E_PROD_RUNNER);
	e2e_run_expect(
	    w,
	    (const char *const[]){"plan", w->stack, "--env", "prod", "--detailed-exitcode", NULL},
	    0, "No changes");

	/* plan --destroy previews prod's destroy, and only prod's. */
	r = E2E_RUN(w, "plan", w->stack, "--env", "prod", "--destroy", "--detailed-exitcode");
	e2e_expect(&r, 2, "Plan: 0 to add, 0 to change, 0 to replace, 27 to destroy.");
	assert_null(strstr(r.out, "-dev"));
	run_result_free(&r);
	e2e_run_expect(
	    w, (const char *const[]){"destroy", w->stack, "--env", "prod", "--auto-approve", NULL},
	    0, "Destroy complete: 27 done, 0 failed, 0 skipped.");
	assert_int_equal(arm_count_under(w, "/subscriptions/00000000-0000-0000-0000-000000000000/"
	                                    "resourcegroups/rg-mlplatform-prod"),
	                 0);
	e2e_runner_address(w, "");
	e2e_run_expect(
	    w, (const char *const[]){"plan", w->stack, "--env", "dev", "--detailed-exitcode", NULL},
	    0, "No changes. Azure matches the manifests (27 resources, environment dev).");
}

/* A copy of the folder, renamed but with the same stack and environment:
 * its plan refuses to delete the original's resources, and says why. */
static void copied_folder_is_refused(void **state)
{
	e2e_world *w = *state;
	e2e_run_expect(
	    w, (const char *const[]){"apply", w->stack, "--env", "dev", "--auto-approve", NULL}, 0,
	    "Apply complete");
	size_t before = arm_count_under(w, "/subscriptions/00000000-0000-0000-0000-000000000000/");
	char copy[1200];
	snprintf(copy, sizeof(copy), "%s/team-b", w->dir);
	assert_int_equal(test_copy_tree(w->stack, copy), 0);
	replace_in_stack(copy, "mlplatform-", "teamb-");
	replace_in_stack(copy, "stmlplatform", "stteamb");

	run_result r = E2E_RUN(w, "plan", copy, "--env", "dev");
	e2e_expect(&r, 1, "a second folder with stack 'mlplatform' and environment 'dev'");
	assert_non_null(
	    strstr(r.out, "this stack instance applied it as SynapseWorkspace/synapse"));
	run_result_free(&r);
	r = E2E_RUN(w, "apply", copy, "--env", "dev", "--auto-approve");
	e2e_expect(&r, 1, "refused: nothing was changed");
	run_result_free(&r);
	/* Not one request changed Azure: the original is whole. */
	assert_int_equal(arm_count_under(w, "/subscriptions/00000000-0000-0000-0000-000000000000/"),
	                 before);
	e2e_run_expect(
	    w, (const char *const[]){"plan", w->stack, "--env", "dev", "--detailed-exitcode", NULL},
	    0, "No changes");
}

/* ---------------------------------------------------------------------
 * Delete order.
 */

/* The position of the first DELETE whose path ends with `part` (or, for
 * a `part` ending in '/', holds it). */
static long delete_at(json_t *log, const char *part)
{
	size_t i, n = strlen(part);
	json_t *req;
	json_array_foreach(json_object_get(log, "requests"), i, req)
	{
		const char *method = json_string_value(json_object_get(req, "method"));
		const char *path = json_string_value(json_object_get(req, "path"));
		if (!method || !path || strcmp(method, "DELETE") != 0)
			continue;
		size_t len = strcspn(path, "?");
		bool hit = part[n - 1] == '/' ? strstr(path, part) != NULL
		                              : len >= n && strncmp(path + len - n, part, n) == 0;
		if (hit)
			return (long)i;
	}
	fail_msg("no DELETE of %s", part);
	return -1;
}

/* destroy goes in the reverse of every kind of edge: a referenced id in a
 * live body (ML workspace -> key vault, ML compute -> Spark pool), a
 * referenceName (pipeline -> notebook, trigger -> pipeline), a parent
 * (pool -> workspace), dependsOn (linked service -> role assignment). */
static void destroy_follows_every_edge(void **state)
{
	e2e_world *w = *state;
	allow_destroy(w->stack);
	e2e_run_expect(
	    w, (const char *const[]){"apply", w->stack, "--env", "dev", "--auto-approve", NULL}, 0,
	    "Apply complete");
	e2e_clear_log(w);
	e2e_run_expect(
	    w, (const char *const[]){"destroy", w->stack, "--env", "dev", "--auto-approve", NULL},
	    0, "Destroy complete: 27 done, 0 failed, 0 skipped.");
	json_t *log = e2e_log(w);
	assert_true(delete_at(log, "/workspaces/mlw-mlplatform-dev") <
	            delete_at(log, "/vaults/kv-mlplatform-dev"));
	assert_true(delete_at(log, "/workspaces/mlw-mlplatform-dev") <
	            delete_at(log, "/components/appi-mlplatform-dev"));
	assert_true(delete_at(log, "/computes/synapsespark") <
	            delete_at(log, "/bigDataPools/sparkml"));
	assert_true(delete_at(log, "/triggers/nightly") <
	            delete_at(log, "/pipelines/nightly-training"));
	assert_true(delete_at(log, "/pipelines/nightly-training") <
	            delete_at(log, "/notebooks/automl-training"));
	assert_true(delete_at(log, "/bigDataPools/sparkml") <
	            delete_at(log, "/workspaces/synw-mlplatform-dev"));
	assert_true(delete_at(log, "/linkedservices/AzureMLService") <
	            delete_at(log, "mlw-mlplatform-dev/providers/Microsoft.Authorization/roleAssignments/"));
	assert_true(delete_at(log, "/storageAccounts/stmlplatformdev") <
	            delete_at(log, "/resourceGroups/rg-mlplatform-dev"));
	json_decref(log);
}

/* Pruning has no manifests for what it deletes: the order comes from what
 * Azure holds (the trigger names the pipeline, the pipeline the notebook). */
static void prune_follows_live_references(void **state)
{
	e2e_world *w = *state;
	e2e_run_expect(
	    w, (const char *const[]){"apply", w->stack, "--env", "dev", "--auto-approve", NULL}, 0,
	    "Apply complete");
	const char *gone[] = {"41-notebook.yaml", "42-pipeline.yaml", "43-trigger.yaml"};
	for (size_t i = 0; i < 3; i++) {
		char path[1400];
		snprintf(path, sizeof(path), "%s/%s", w->stack, gone[i]);
		assert_int_equal(unlink(path), 0);
	}
	e2e_clear_log(w);
	e2e_run_expect(
	    w, (const char *const[]){"apply", w->stack, "--env", "dev", "--auto-approve", NULL}, 0,
	    "Apply complete: 3 done, 0 failed, 0 skipped.");
	json_t *log = e2e_log(w);
	assert_true(delete_at(log, "/triggers/nightly") <
	            delete_at(log, "/pipelines/nightly-training"));
	assert_true(delete_at(log, "/pipelines/nightly-training") <
	            delete_at(log, "/notebooks/automl-training"));
	json_decref(log);
}

/* Two resources whose live bodies name each other (a tag on the key vault
 * holding the ML workspace's id, which names the vault): the order leaves
 * one edge out rather than waiting forever, and destroy completes. */
static void destroy_survives_a_reference_cycle(void **state)
{
	e2e_world *w = *state;
	allow_destroy(w->stack);
	e2e_run_expect(
	    w, (const char *const[]){"apply", w->stack, "--env", "dev", "--auto-approve", NULL}, 0,
	    "Apply complete");
	const char *vault = RG_DEV "/providers/Microsoft.KeyVault/vaults/kv-mlplatform-dev";
	json_t *kv = e2e_arm_get(w, vault);
	assert_non_null(kv);
	json_object_set_new(json_object_get(kv, "tags"), "usedBy",
	                    json_string(RG_DEV "/providers/Microsoft.MachineLearningServices/"
	                                       "workspaces/mlw-mlplatform-dev"));
	e2e_arm_put(w, vault, kv);
	json_decref(kv);
	e2e_run_expect(
	    w, (const char *const[]){"destroy", w->stack, "--env", "dev", "--auto-approve", NULL},
	    0, "Destroy complete: 27 done, 0 failed, 0 skipped.");
}

/* ---------------------------------------------------------------------
 * import.
 */

/* import on a drifted, unmarked resource writes the marker on it as it
 * is: the only write is one PUT of the live body with the marker. */
static void import_is_read_only(void **state)
{
	e2e_world *w = *state;
	e2e_run_expect(
	    w, (const char *const[]){"apply", w->stack, "--env", "dev", "--auto-approve", NULL}, 0,
	    "Apply complete");
	json_t *pool = e2e_arm_get(w, POOL_DEV);
	assert_non_null(pool);
	json_object_set_new(pool, "tags", json_pack("{s:s}", "team", "data"));
	json_t *props = json_object_get(pool, "properties");
	json_object_set_new(props, "nodeSize", json_string("Large"));
	json_object_set_new(props, "sparkVersion", json_string("3.3"));
	e2e_arm_put(w, POOL_DEV, pool);
	json_decref(pool);
	e2e_clear_log(w);

	/* Without a terminal and without --auto-approve it asks, so refuses. */
	e2e_run_expect(w,
	               (const char *const[]){"import", "SparkPool/spark", POOL_DEV, "--dir",
	                                     w->stack, "--env", "dev", NULL},
	               1, "import needs a terminal to ask for confirmation");
	run_result r = E2E_RUN(w, "import", "SparkPool/spark", POOL_DEV, "--dir", w->stack, "--env",
	                       "dev", "--auto-approve");
	e2e_expect(&r, 0, "Import complete: 1 done, 0 failed, 0 skipped.");
	assert_non_null(strstr(r.out, "differs from its manifest in: properties.nodeSize, "
	                              "properties.sparkVersion"));
	run_result_free(&r);

	json_t *log = e2e_log(w);
	size_t i, writes = 0;
	json_t *req;
	json_array_foreach(json_object_get(log, "requests"), i, req)
	{
		const char *method = json_string_value(json_object_get(req, "method"));
		const char *host = json_string_value(json_object_get(req, "host"));
		const char *path = json_string_value(json_object_get(req, "path"));
		if (!strcmp(method, "GET") || strncmp(host, "login.", 6) == 0 ||
		    strncmp(path, "/_emulator", 10) == 0 || strstr(path, "azapply-lock-"))
			continue; /* reads, tokens, this test's calls and the lock */
		writes++;
		assert_string_equal(method, "PUT");
		assert_non_null(strstr(path, "/bigDataPools/sparkml"));
		json_t *body = json_object_get(req, "body");
		assert_string_equal(json_string_value(json_object_get(
		                        json_object_get(body, "properties"), "nodeSize")),
		                    "Large");
	}
	assert_int_equal(writes, 1);
	json_decref(log);
	pool = e2e_arm_get(w, POOL_DEV);
	props = json_object_get(pool, "properties");
	assert_string_equal(json_string_value(json_object_get(props, "nodeSize")), "Large");
	assert_string_equal(json_string_value(json_object_get(props, "sparkVersion")), "3.3");
	json_t *tags = json_object_get(pool, "tags");
	assert_string_equal(json_string_value(json_object_get(tags, "azapply-env")), "dev");
	assert_string_equal(json_string_value(json_object_get(tags, "team")), "data");
	json_decref(pool);
	/* The differences are the next apply's. */
	r = E2E_RUN(w, "plan", w->stack, "--env", "dev", "--detailed-exitcode");
	e2e_expect(&r, 2, "~ properties.nodeSize: \"Large\" -> \"Small\"");
	run_result_free(&r);
}

/* ---------------------------------------------------------------------
 * The lock.
 */

/* The dev lock container as ARM answers a GET: its lease state is the
 * service's view, not what was stored. */
static json_t *lock_container(e2e_world *w)
{
	return e2e_arm_read(w, LOCK_DEV, "2025-06-01");
}

/* Waits until the dev instance's lock is held (at most ~30 s). */
static void wait_for_lock(e2e_world *w)
{
	for (int i = 0; i < 600; i++) {
		json_t *c = lock_container(w);
		const char *state = json_string_value(
		    json_object_get(json_object_get(c, "properties"), "leaseState"));
		const char *holder = json_string_value(
		    json_object_get(json_object_get(json_object_get(c, "properties"), "metadata"),
		                    "azapply_lock_holder"));
		bool held = state && !strcmp(state, "Leased") && holder;
		json_decref(c);
		if (held)
			return;
		struct timespec ts = {0, 50 * 1000000L};
		nanosleep(&ts, NULL);
	}
	fail_msg("the lock was never taken");
}

/* A second stack folder for the same instance, wanting 4 nodes. */
static void second_writer(e2e_world *w, char *out, size_t len)
{
	snprintf(out, len, "%s/writer", w->dir);
	assert_int_equal(test_copy_tree(w->stack, out), 0);
	char path[1400];
	snprintf(path, sizeof(path), "%s/azapply.yaml", out);
	e2e_replace(path, "sparkMaxNodes: 3", "sparkMaxNodes: 4", true);
}

/* Two applies at once: the second is told who holds the lock and changes
 * nothing; with --lock-timeout it waits and then goes on. */
static void concurrent_applies_take_turns(void **state)
{
	e2e_world *w = *state;
	e2e_run_expect(
	    w, (const char *const[]){"apply", w->stack, "--env", "dev", "--auto-approve", NULL}, 0,
	    "Apply complete");
	char writer[1200];
	second_writer(w, writer, sizeof(writer));
	emu_control(w->e, "POST", "faults",
	            "{\"method\":\"PUT\",\"path\":\"bigDataPools\",\"delayMs\":4000,\"times\":1}",
	            NULL);
	pid_t first = e2e_spawn(
	    w, (const char *const[]){"apply", writer, "--env", "dev", "--auto-approve", NULL},
	    NULL);
	wait_for_lock(w);
	run_result r = E2E_RUN(w, "apply", w->stack, "--env", "dev", "--auto-approve");
	e2e_expect(&r, 1, "stack instance mlplatform/dev is locked: held by apply of");
	assert_non_null(strstr(r.err, "lock ID"));
	assert_null(strstr(r.out, "updating"));
	run_result_free(&r);
	assert_int_equal(e2e_wait(first), 0);
	/* The first run's change is there: nothing was lost. */
	json_t *pool = e2e_arm_get(w, POOL_DEV);
	assert_int_equal(
	    json_integer_value(json_object_get(
	        json_object_get(json_object_get(pool, "properties"), "autoScale"), "maxNodeCount")),
	    4);
	json_decref(pool);

	/* With --lock-timeout the second waits its turn. */
	emu_control(w->e, "POST", "faults",
	            "{\"method\":\"PUT\",\"path\":\"bigDataPools\",\"delayMs\":3000,\"times\":1}",
	            NULL);
	first = e2e_spawn(
	    w, (const char *const[]){"apply", w->stack, "--env", "dev", "--auto-approve", NULL},
	    NULL);
	wait_for_lock(w);
	r = E2E_RUN(w, "apply", writer, "--env", "dev", "--auto-approve", "--lock-timeout", "2m");
	e2e_expect(&r, 0, "is locked");
	assert_non_null(strstr(r.err, "waiting"));
	run_result_free(&r);
	assert_int_equal(e2e_wait(first), 0);
	e2e_run_expect(
	    w, (const char *const[]){"plan", writer, "--env", "dev", "--detailed-exitcode", NULL},
	    0, "No changes");
}

/* The stack applied, then a second writer's apply of the same instance
 * holding the lock, its Spark pool write held `delay_ms` by the emulator. */
static pid_t holding_apply(e2e_world *w, char *writer, size_t len, int delay_ms)
{
	e2e_run_expect(
	    w, (const char *const[]){"apply", w->stack, "--env", "dev", "--auto-approve", NULL}, 0,
	    "Apply complete");
	second_writer(w, writer, len);
	char fault[128];
	snprintf(fault, sizeof(fault),
	         "{\"method\":\"PUT\",\"path\":\"bigDataPools\",\"delayMs\":%d,\"times\":1}",
	         delay_ms);
	emu_control(w->e, "POST", "faults", fault, NULL);
	pid_t holder = e2e_spawn(
	    w, (const char *const[]){"apply", writer, "--env", "dev", "--auto-approve", NULL},
	    NULL);
	wait_for_lock(w);
	return holder;
}

/* A run killed while it holds the lock leaves it held; the next run names
 * it, unlock with a wrong ID is refused, with the right one frees it. */
static void killed_holder_then_unlock(void **state)
{
	e2e_world *w = *state;
	char writer[1200];
	pid_t holder = holding_apply(w, writer, sizeof(writer), 15000);
	kill(holder, SIGKILL);
	e2e_wait(holder);
	emu_control(w->e, "DELETE", "faults", NULL, NULL);

	run_result r = E2E_RUN(w, "apply", w->stack, "--env", "dev", "--auto-approve");
	e2e_expect(&r, 1, "is locked");
	const char *at = strstr(r.err, "`azapply unlock ");
	assert_non_null(at);
	char id[64] = "";
	assert_int_equal(sscanf(at, "`azapply unlock %63[0-9a-f-]", id), 1);
	run_result_free(&r);
	e2e_run_expect(
	    w,
	    (const char *const[]){"unlock", "not-the-id", "--dir", w->stack, "--env", "dev", NULL},
	    1, "is not not-the-id");
	e2e_run_expect(w,
	               (const char *const[]){"unlock", id, "--dir", w->stack, "--env", "dev", NULL},
	               0, "is free");
	e2e_run_expect(
	    w, (const char *const[]){"apply", w->stack, "--env", "dev", "--auto-approve", NULL}, 0,
	    NULL);
}

/* SIGTERM (a cancelled CI job) during apply releases the lock on the way
 * out, so the next run is not locked out. */
static void sigterm_releases_the_lock(void **state)
{
	e2e_world *w = *state;
	char writer[1200];
	pid_t holder = holding_apply(w, writer, sizeof(writer), 8000);
	kill(holder, SIGTERM);
	assert_int_equal(e2e_wait(holder), 128 + SIGTERM);
	emu_control(w->e, "DELETE", "faults", NULL, NULL);
	json_t *c = lock_container(w);
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(c, "properties"), "leaseState")),
	    "Available");
	json_decref(c);
	e2e_run_expect(
	    w, (const char *const[]){"apply", writer, "--env", "dev", "--auto-approve", NULL}, 0,
	    NULL);
}

/* Graph objects live in the tenant: the same stack and environment applied
 * from another subscription does not take an application for its own. */
static void other_subscription_is_another_instance(void **state)
{
	e2e_world *w = *state;
	assert_int_equal(emu_control(w->e, "PUT",
	                             "subscriptions/11111111-1111-1111-1111-111111111111", "{}",
	                             NULL),
	                 200);
	char dir[600], path[700];
	snprintf(dir, sizeof(dir), "%s/tenant", w->dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/azapply.yaml", dir);
	e2e_write(path, "stack: identity\nenvironments:\n  dev:\n"
	                "    subscription: 00000000-0000-0000-0000-000000000000\n");
	snprintf(path, sizeof(path), "%s/app.yaml", dir);
	e2e_write(path,
	          "apiVersion: azapply.dev/v1\nkind: EntraApplication\nmetadata: {name: app}\n"
	          "spec: {uniqueName: safety-app, displayName: Safety app}\n");
	e2e_run_expect(w,
	               (const char *const[]){"apply", dir, "--env", "dev", "--auto-approve", NULL},
	               0, "Apply complete: 1 done");
	snprintf(path, sizeof(path), "%s/azapply.yaml", dir);
	e2e_replace(path, "00000000-0000-0000-0000-000000000000",
	            "11111111-1111-1111-1111-111111111111", false);
	run_result r = E2E_RUN(w, "apply", dir, "--env", "dev", "--auto-approve");
	e2e_expect(&r, 1,
	           "is owned by stack instance 'identity/dev in subscription "
	           "00000000-0000-0000-0000-000000000000'");
	run_result_free(&r);
}

/* ---------------------------------------------------------------------
 * Markers of the previous format.
 */

/* Removes what markers gained with instance identity, everywhere in the
 * store: the markers an earlier azapply wrote. */
static json_t *strip_identity(json_t *v)
{
	if (json_is_object(v)) {
		const char *drop[] = {"azapply-env", "azapply-address", "azapply_env",
		                      "azapply_address"};
		for (size_t i = 0; i < 4; i++)
			json_object_del(v, drop[i]);
		const char *key;
		json_t *child;
		void *tmp;
		json_object_foreach_safe(v, tmp, key, child)
		    json_object_set_new(v, key, strip_identity(json_incref(child)));
		return v;
	}
	if (json_is_array(v)) {
		json_t *out = json_array();
		size_t i;
		json_t *child;
		json_array_foreach(v, i, child)
		{
			const char *s = json_string_value(child);
			if (s && (!strncmp(s, "azapply-env=", 12) ||
			          !strncmp(s, "azapply-address=", 16)))
				continue;
			json_array_append_new(out, strip_identity(json_incref(child)));
		}
		json_decref(v);
		return out;
	}
	const char *s = json_string_value(v);
	if (s && strstr(s, "azapply-stack=") && strstr(s, "; azapply-env=")) {
		char *copy = strdup(s);
		const char *keys[] = {"; azapply-env=", "; azapply-address="};
		for (size_t k = 0; k < 2; k++) {
			char *at = strstr(copy, keys[k]);
			if (!at)
				continue;
			char *end = strchr(at + 2, ';');
			memmove(at, end ? end : at + strlen(at),
			        strlen(end ? end : at + strlen(at)) + 1);
		}
		json_decref(v);
		v = json_string(copy);
		free(copy);
	}
	return v;
}

/* Markers without an environment are re-marked by the environment that
 * declares them, and never pruned by another. */
static void legacy_markers_are_migrated(void **state)
{
	e2e_world *w = *state;
	e2e_run_expect(
	    w, (const char *const[]){"apply", w->stack, "--env", "dev", "--auto-approve", NULL}, 0,
	    "Apply complete");
	json_t *s = strip_identity(e2e_store(w));
	char *text = json_dumps(s, JSON_COMPACT);
	assert_int_equal(emu_control(w->e, "PUT", "store", text, NULL), 200);
	free(text);
	json_decref(s);
	json_t *pool = e2e_arm_get(w, POOL_DEV);
	assert_null(json_object_get(json_object_get(pool, "tags"), "azapply-env"));
	json_decref(pool);

	run_result r = E2E_RUN(w, "plan", w->stack, "--env", "prod", "--detailed-exitcode");
	e2e_expect(&r, 2, "without an environment (an earlier azapply)");
	assert_non_null(strstr(r.err, "never pruned"));
	assert_null(strstr(r.out, "will be deleted"));
	run_result_free(&r);

	r = E2E_RUN(w, "plan", w->stack, "--env", "dev", "--detailed-exitcode");
	e2e_expect(&r, 2, "+ (marker) environment: \"dev\"");
	assert_null(strstr(r.out, "will be deleted"));
	run_result_free(&r);
	e2e_run_expect(
	    w, (const char *const[]){"apply", w->stack, "--env", "dev", "--auto-approve", NULL}, 0,
	    "Apply complete");
	e2e_run_expect(
	    w, (const char *const[]){"plan", w->stack, "--env", "dev", "--detailed-exitcode", NULL},
	    0, "No changes");
	r = E2E_RUN(w, "plan", w->stack, "--env", "prod");
	e2e_expect(&r, 0, "Plan: 27 to add");
	assert_null(strstr(r.err, "without an environment"));
	run_result_free(&r);
	pool = e2e_arm_get(w, POOL_DEV);
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(pool, "tags"), "azapply-env")),
	    "dev");
	json_decref(pool);
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
	    cmocka_unit_test_setup_teardown(environments_are_separate_instances, setup, teardown),
	    cmocka_unit_test_setup_teardown(copied_folder_is_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(destroy_follows_every_edge, setup, teardown),
	    cmocka_unit_test_setup_teardown(prune_follows_live_references, setup, teardown),
	    cmocka_unit_test_setup_teardown(destroy_survives_a_reference_cycle, setup, teardown),
	    cmocka_unit_test_setup_teardown(import_is_read_only, setup, teardown),
	    cmocka_unit_test_setup_teardown(concurrent_applies_take_turns, setup, teardown),
	    cmocka_unit_test_setup_teardown(killed_holder_then_unlock, setup, teardown),
	    cmocka_unit_test_setup_teardown(sigterm_releases_the_lock, setup, teardown),
	    cmocka_unit_test_setup_teardown(other_subscription_is_another_instance, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(legacy_markers_are_migrated, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
