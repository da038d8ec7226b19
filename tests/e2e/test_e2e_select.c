/*
 * test_e2e_select.c - `--selector key=value` against the emulator: plan,
 * apply and drift act on the resources whose metadata.labels match every
 * selector and on what those depend on, as --target does, and prune
 * nothing: what is not selected is neither created nor deleted.
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

static void label(e2e_world *w, const char *file, const char *name, const char *labels)
{
	char path[512], from[128], to[256];
	snprintf(path, sizeof(path), "%s/%s", w->stack, file);
	snprintf(from, sizeof(from), "  name: %s\n", name);
	snprintf(to, sizeof(to), "  name: %s\n  labels: %s\n", name, labels);
	e2e_replace(path, from, to, false);
}

static void selectors_choose_what_is_planned(void **state)
{
	e2e_world *w = *state;
	label(w, "10-ml-workspace.yaml", "ml", "{team: ml, tier: workspace}");
	label(w, "21-spark-pool.yaml", "spark", "{team: data, tier: compute}");
	label(w, "22-sql-pool.yaml", "warehouse", "{team: data, tier: warehouse}");

	/* The ML workspace and what it needs: the group, storage, key vault
	 * and Application Insights. */
	run_result r = E2E_RUN(w, "plan", w->stack, "--env", "dev", "--selector", "team=ml");
	e2e_expect(&r, 0, "Plan: 5 to add, 0 to change, 0 to replace, 0 to destroy.");
	assert_non_null(strstr(r.out, "+ MlWorkspace/ml"));
	assert_non_null(strstr(r.out, "+ KeyVault/vault"));
	assert_null(strstr(r.out, "SparkPool/spark"));
	run_result_free(&r);

	/* Two selectors: both must match (the Spark pool, not the SQL pool). */
	r = E2E_RUN(w, "apply", w->stack, "--env", "dev", "--auto-approve", "-l", "team=data", "-l",
		    "tier=compute");
	e2e_expect(&r, 0, "Apply complete: 4 done, 0 failed, 0 skipped.");
	assert_non_null(strstr(r.out, "SparkPool/spark: created"));
	assert_non_null(strstr(r.out, "SynapseWorkspace/synapse: created"));
	assert_null(strstr(r.out, "SqlPool/warehouse"));
	run_result_free(&r);

	/* Nothing was pruned and the rest is still to do. The workspace came
	 * without its firewall rule, which the selector did not pick: what
	 * lives in its data plane is not read yet, and so not planned. */
	r = E2E_RUN(w, "plan", w->stack, "--env", "dev");
	e2e_expect(&r, 0, "Plan: 17 to add, 0 to change, 0 to replace, 0 to destroy. 6 not read yet");
	run_result_free(&r);
	r = E2E_RUN(w, "plan", w->stack, "--env", "dev", "--selector", "tier=compute",
		    "--detailed-exitcode");
	e2e_expect(&r, 0, "No changes");
	run_result_free(&r);

	/* drift of team data: the SQL pool is missing; the ML workspace,
	 * missing too, is not team data's. */
	r = E2E_RUN(w, "drift", w->stack, "--env", "dev", "--selector", "team=data");
	e2e_expect(&r, 2, "SqlPool/warehouse");
	assert_null(strstr(r.out, "MlWorkspace/ml"));
	run_result_free(&r);

	/* The whole stack: one apply, the rule first, then the data plane. */
	E2E_EXPECT(w, 0, "Apply complete", "apply", w->stack, "--env", "dev", "--auto-approve");
	E2E_EXPECT(w, 0, "No changes", "plan", w->stack, "--env", "dev", "--detailed-exitcode");
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
		cmocka_unit_test_setup_teardown(selectors_choose_what_is_planned, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
