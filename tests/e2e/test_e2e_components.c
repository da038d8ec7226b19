/*
 * test_e2e_components.c - a reusable component against the emulator.
 *
 * One component (a Spark pool per key of an input map, in the stack's
 * workspace, tagged with an existing key vault it only reads) is
 * instantiated three times with forEach. It applies from nothing and
 * settles; `azapply output` reads the outputs from live Azure, as text
 * and as JSON, and says which resource is missing before the apply; a
 * pool key inserted in the middle of one instance's map plans exactly one
 * create; removing one instance plans exactly its deletes; and the shared
 * vault is never written.
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
#include <strings.h>
#include <sys/stat.h>

#include "e2ekit.h"

#define SUB "/subscriptions/00000000-0000-0000-0000-000000000000"
#define RG_SHARED SUB "/resourceGroups/rg-shared"
#define VAULT RG_SHARED "/providers/Microsoft.KeyVault/vaults/kv-shared"
#define POOLS                                                                                      \
	SUB "/resourceGroups/rg-mlplatform-dev/providers/Microsoft.Synapse/workspaces/"             \
	    "synw-mlplatform-dev/bigDataPools/"

static const char DECLARATION[] =
    "description: a Spark pool per key, for one data team\n"
    "inputs:\n"
    "  team: {type: string, description: the team's short name (letters and digits)}\n"
    "  pools: {type: map, default: {etl: {max: 4}, ml: {max: 5}}}\n"
    "  workspace: {type: string, default: synapse}\n"
    "outputs:\n"
    "  etlPool:\n"
    "    value: ${ref.SparkPool.pool-etl.id}\n"
    "    description: the ETL pool's id\n"
    "  etlMaxNodes: ${ref.SparkPool.pool-etl.properties.autoScale.maxNodeCount}\n";

static const char COMPONENT_POOLS[] = "apiVersion: azapply.dev/v1\n"
				      "kind: SparkPool\n"
				      "metadata:\n"
				      "  name: pool-${each.key}\n"
				      "  forEach: ${input.pools}\n"
				      "spec:\n"
				      "  workspace: ${input.workspace}\n"
				      "  name: ${input.team}${each.key}\n"
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
				      "    team: ${input.team}\n"
				      "    instance: ${component.name}\n"
				      "    vault: ${ref.KeyVault.shared.id}\n"
				      "---\n"
				      "apiVersion: azapply.dev/v1\n"
				      "kind: KeyVault\n"
				      "metadata:\n"
				      "  name: shared\n"
				      "  existing: true\n"
				      "spec:\n"
				      "  resourceGroup: rg-shared\n"
				      "  name: kv-shared\n";

static const char TEAMS[] = "apiVersion: azapply.dev/v1\n"
			    "kind: Component\n"
			    "metadata:\n"
			    "  name: ${each.key}\n"
			    "  forEach:\n"
			    "    ta: {pools: {etl: {max: 4}, ml: {max: 5}}}\n"
			    "    tb: {pools: {etl: {max: 6}, ml: {max: 7}}}\n"
			    "    tc: {pools: {etl: {max: 8}, ml: {max: 9}}}\n"
			    "spec:\n"
			    "  source: components/team-pools\n"
			    "  inputs:\n"
			    "    team: ${each.key}\n"
			    "    pools: ${each.value.pools}\n";

/* Joins the outputs the example declares. */
static const char OUTPUTS[] = "outputs:\n"
			      "  teamAPool:\n"
			      "    value: ${component.ta.outputs.etlPool}\n"
			      "    description: team a's ETL pool\n"
			      "  workspaceName: ${ref.SynapseWorkspace.synapse.name}\n";

static void write_stack(e2e_world *w)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/components", w->stack);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/components/team-pools", w->stack);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/components/team-pools/component.yaml", w->stack);
	e2e_write(path, DECLARATION);
	snprintf(path, sizeof(path), "%s/components/team-pools/pools.yaml", w->stack);
	e2e_write(path, COMPONENT_POOLS);
	snprintf(path, sizeof(path), "%s/25-teams.yaml", w->stack);
	e2e_write(path, TEAMS);
	snprintf(path, sizeof(path), "%s/azapply.yaml", w->stack);
	char joined[sizeof(OUTPUTS) + 1];
	snprintf(joined, sizeof(joined), "\n%s", OUTPUTS);
	e2e_replace(path, "\noutputs:\n", joined, false);
}

static void three_instances_apply_settle_and_change_by_key(void **state)
{
	e2e_world *w = *state;
	json_t *rg = json_pack("{s:s}", "location", "westeurope");
	e2e_arm_put(w, RG_SHARED, rg);
	json_decref(rg);
	json_t *kv = json_pack("{s:s, s:{s:s}}", "location", "westeurope", "tags", "owner",
			       "platform");
	e2e_arm_put(w, VAULT, kv);
	json_decref(kv);
	write_stack(w);

	/* Before the apply, outputs name what does not exist yet. */
	run_result r = E2E_RUN(w, "output", w->stack, "--env", "dev");
	e2e_expect(&r, 1, "ta/SparkPool/pool-etl does not exist in Azure yet");
	assert_non_null(strstr(r.err, "run `azapply apply --env dev` first"));
	run_result_free(&r);

	e2e_clear_log(w);
	r = E2E_RUN(w, "apply", w->stack, "--env", "dev", "--auto-approve");
	e2e_expect(&r, 0, "ta/SparkPool/pool-etl: created");
	assert_non_null(strstr(r.out, "tc/SparkPool/pool-ml: created"));
	run_result_free(&r);
	assert_int_equal(e2e_count_requests(w, "PUT", "/bigDataPools/taetl"), 1);
	assert_int_equal(e2e_count_requests(w, "PUT", "/bigDataPools/tcml"), 1);
	assert_int_equal(e2e_count_requests(w, NULL, "/vaults/kv-shared"), 0);
	json_t *pool = e2e_arm_get(w, POOLS "tbml");
	assert_non_null(pool);
	json_t *autoscale = json_object_get(json_object_get(pool, "properties"), "autoScale");
	assert_int_equal(json_integer_value(json_object_get(autoscale, "maxNodeCount")), 7);
	json_t *tags = json_object_get(pool, "tags");
	assert_string_equal(json_string_value(json_object_get(tags, "instance")), "tb");
	assert_true(strcasecmp(json_string_value(json_object_get(tags, "vault")), VAULT) == 0);
	json_decref(pool);

	e2e_clear_log(w);
	E2E_EXPECT(w, 0, "No changes", "plan", w->stack, "--env", "dev");
	assert_int_equal(e2e_count_requests(w, NULL, "/vaults/kv-shared"), 0);

	/* Outputs from live Azure: text, one bare value, JSON. */
	r = E2E_RUN(w, "output", w->stack, "--env", "dev");
	e2e_expect(&r, 0, "teamAPool = " SUB);
	assert_non_null(strstr(r.out, "workspaceName = synw-mlplatform-dev\n"));
	assert_non_null(strstr(r.out, "tb.etlMaxNodes = 6\n"));
	assert_non_null(strstr(r.out, "tc.etlPool = " SUB));
	run_result_free(&r);
	r = E2E_RUN(w, "output", w->stack, "tb.etlMaxNodes", "--env", "dev");
	e2e_expect(&r, 0, "6");
	assert_string_equal(r.out, "6\n");
	run_result_free(&r);
	r = E2E_RUN(w, "output", w->stack, "--env", "dev", "--output", "json");
	e2e_expect(&r, 0, "teamAPool");
	json_error_t jerr;
	json_t *j = json_loads(r.out, 0, &jerr);
	assert_non_null(j);
	json_t *a = json_object_get(j, "teamAPool");
	assert_true(strcasecmp(json_string_value(json_object_get(a, "value")), POOLS "taetl") == 0);
	assert_string_equal(json_string_value(json_object_get(a, "description")),
			    "team a's ETL pool");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "tc.etlMaxNodes"),
							     "value")),
			 8);
	json_decref(j);
	run_result_free(&r);
	r = E2E_RUN(w, "output", w->stack, "teamBPool", "--env", "dev");
	e2e_expect(&r, 1, "no output 'teamBPool'");
	assert_non_null(strstr(r.err, "did you mean 'teamAPool'?"));
	run_result_free(&r);

	/* A key in the middle of one instance's map: one create. */
	char path[512];
	snprintf(path, sizeof(path), "%s/25-teams.yaml", w->stack);
	e2e_replace(path, "{etl: {max: 6}, ml: {max: 7}}", "{etl: {max: 6}, hot: {max: 3}, ml: {max: 7}}",
		    false);
	r = E2E_RUN(w, "plan", w->stack, "--env", "dev");
	e2e_expect(&r, 0, "Plan: 1 to add, 0 to change, 0 to replace, 0 to destroy.");
	assert_non_null(strstr(r.out, "tb/SparkPool/pool-hot will be created"));
	run_result_free(&r);
	e2e_clear_log(w);
	E2E_EXPECT(w, 0, "Apply complete: 1 done, 0 failed, 0 skipped.", "apply", w->stack,
		   "--env", "dev", "--auto-approve");
	assert_int_equal(e2e_count_requests(w, "PUT", "/bigDataPools/tbhot"), 1);
	assert_int_equal(e2e_count_requests(w, "PUT", "/bigDataPools/tbml"), 0);

	/* One instance removed: exactly its pools are deleted. */
	e2e_replace(path, "    tc: {pools: {etl: {max: 8}, ml: {max: 9}}}\n", "", false);
	r = E2E_RUN(w, "plan", w->stack, "--env", "dev");
	e2e_expect(&r, 0, "Plan: 0 to add, 0 to change, 0 to replace, 2 to destroy.");
	assert_non_null(strstr(r.out, "SparkPool/tcetl will be deleted"));
	assert_non_null(strstr(r.out, "SparkPool/tcml will be deleted"));
	run_result_free(&r);
	e2e_clear_log(w);
	E2E_EXPECT(w, 0, "Apply complete: 2 done, 0 failed, 0 skipped.", "apply", w->stack,
		   "--env", "dev", "--auto-approve");
	assert_int_equal(e2e_count_requests(w, "DELETE", "/bigDataPools/tcetl"), 1);
	assert_int_equal(e2e_count_requests(w, "DELETE", "/bigDataPools/tcml"), 1);
	assert_int_equal(e2e_count_requests(w, "DELETE", "/bigDataPools/ta"), 0);
	assert_int_equal(e2e_count_requests(w, NULL, "/vaults/kv-shared"), 0);
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
		cmocka_unit_test_setup_teardown(three_instances_apply_settle_and_change_by_key,
						setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
