/*
 * test_e2e_foreach.c - metadata.forEach against the emulator: a Spark pool
 * per team applies from nothing and settles; a key inserted in the middle
 * of the mapping plans exactly one create and a key removed exactly one
 * delete, because an instance's address holds its key, not its position;
 * and ${ref} reaches one instance.
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

#include "e2ekit.h"

static const char POOLS[] = "apiVersion: azapply.dev/v1\n"
			    "kind: SparkPool\n"
			    "metadata:\n"
			    "  name: spark-${each.key}\n"
			    "  forEach:\n"
			    "    teama: {max: 4}\n"
			    "    teamc: {max: 6}\n"
			    "spec:\n"
			    "  workspace: synapse\n"
			    "  name: sp${each.key}\n"
			    "  location: westeurope\n"
			    "  properties:\n"
			    "    nodeSize: Small\n"
			    "    nodeSizeFamily: MemoryOptimized\n"
			    "    sparkVersion: \"3.4\"\n"
			    "    autoScale:\n"
			    "      enabled: true\n"
			    "      minNodeCount: 3\n"
			    "      maxNodeCount: ${each.value.max}\n"
			    "  tags:\n"
			    "    team: ${each.key}\n"
			    "    pool: ${ref.SparkPool.spark.name}\n";

static void write_pools(e2e_world *w)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/23-team-pools.yaml", w->stack);
	e2e_write(path, POOLS);
}

static void a_pool_per_key_applies_settles_and_changes_by_key(void **state)
{
	e2e_world *w = *state;
	write_pools(w);

	run_result r = E2E_RUN(w, "apply", w->stack, "--env", "dev", "--auto-approve");
	e2e_expect(&r, 0, "SparkPool/spark-teama: created");
	assert_non_null(strstr(r.out, "SparkPool/spark-teamc: created"));
	run_result_free(&r);
	json_t *pool = e2e_arm_get(w, "/subscriptions/00000000-0000-0000-0000-000000000000/"
				      "resourceGroups/rg-mlplatform-dev/providers/"
				      "Microsoft.Synapse/workspaces/synw-mlplatform-dev/"
				      "bigDataPools/spteamc");
	assert_non_null(pool);
	{
		json_t *props = json_object_get(pool, "properties");
		assert_int_equal(json_integer_value(json_object_get(
				     json_object_get(props, "autoScale"), "maxNodeCount")),
				 6);
		json_decref(pool);
	}
	E2E_EXPECT(w, 0, "No changes", "plan", w->stack, "--env", "dev");

	/* A key in the middle: one create, nothing else touched. */
	char path[512];
	snprintf(path, sizeof(path), "%s/23-team-pools.yaml", w->stack);
	e2e_replace(path, "    teamc:", "    teamb: {max: 5}\n    teamc:", false);
	r = E2E_RUN(w, "plan", w->stack, "--env", "dev");
	e2e_expect(&r, 0, "Plan: 1 to add, 0 to change, 0 to replace, 0 to destroy.");
	assert_non_null(strstr(r.out, "SparkPool/spark-teamb will be created"));
	run_result_free(&r);
	e2e_clear_log(w);
	E2E_EXPECT(w, 0, "Apply complete: 1 done, 0 failed, 0 skipped.", "apply", w->stack,
		   "--env", "dev", "--auto-approve");
	assert_int_equal(e2e_count_requests(w, "PUT", "/bigDataPools/spteamb"), 1);
	assert_int_equal(e2e_count_requests(w, "PUT", "/bigDataPools/spteama"), 0);
	assert_int_equal(e2e_count_requests(w, "PUT", "/bigDataPools/spteamc"), 0);

	/* A key removed: exactly its delete. */
	e2e_replace(path, "    teama: {max: 4}\n", "", false);
	r = E2E_RUN(w, "plan", w->stack, "--env", "dev");
	e2e_expect(&r, 0, "Plan: 0 to add, 0 to change, 0 to replace, 1 to destroy.");
	/* An orphan is shown by its Azure name, as every prune is. */
	assert_non_null(strstr(r.out, "SparkPool/spteama will be deleted"));
	run_result_free(&r);
	E2E_EXPECT(w, 0, "Apply complete: 1 done, 0 failed, 0 skipped.", "apply", w->stack,
		   "--env", "dev", "--auto-approve");
	E2E_EXPECT(w, 0, "No changes", "plan", w->stack, "--env", "dev");
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
		cmocka_unit_test_setup_teardown(a_pool_per_key_applies_settles_and_changes_by_key,
						setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
