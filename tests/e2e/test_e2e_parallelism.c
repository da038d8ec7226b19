/*
 * test_e2e_parallelism.c - `--parallelism` reaches the wire: the azapply
 * binary applying many independent resources against an emulator that
 * holds every request for a while, so requests pile up as far as the
 * client lets them. The emulator counts the most requests it answered at
 * once (counters.peakInFlight); that count, not a timing, is what the test
 * checks: `--parallelism 50` must get past the HTTP client's own bound of
 * 16, and stay within the requests in flight setup.c allows for it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "e2ekit.h"

#define PIPELINES 40

static e2e_world *W;
static char stack[400];

static const char project[] = "stack: wide\n"
                              "location: westeurope\n"
                              "environments:\n"
                              "  dev:\n"
                              "    subscription: 00000000-0000-0000-0000-000000000000\n";

static const char workspace[] = "apiVersion: azapply.dev/v1\n"
                                "kind: ResourceGroup\n"
                                "metadata:\n"
                                "  name: rg\n"
                                "spec:\n"
                                "  name: rg-wide-dev\n"
                                "  location: westeurope\n"
                                "---\n"
                                "apiVersion: azapply.dev/v1\n"
                                "kind: SynapseWorkspace\n"
                                "metadata:\n"
                                "  name: synapse\n"
                                "spec:\n"
                                "  resourceGroup: rg-wide-dev\n"
                                "  name: synw-wide-dev\n"
                                "  location: westeurope\n"
                                "  identity:\n"
                                "    type: SystemAssigned\n"
                                "  properties:\n"
                                "    defaultDataLakeStorage:\n"
                                "      accountUrl: https://stwidedev.dfs.core.windows.net\n"
                                "      filesystem: synapse\n"
                                "    sqlAdministratorLogin: sqladmin\n"
                                "    sqlAdministratorLoginPassword: ${env.SYNAPSE_SQL_PASSWORD}\n"
                                "---\n"
                                "apiVersion: azapply.dev/v1\n"
                                "kind: SynapseFirewallRule\n"
                                "metadata:\n"
                                "  name: everyone\n"
                                "spec:\n"
                                "  workspace: synapse\n"
                                "  name: AllowAll\n"
                                "  properties:\n"
                                "    startIpAddress: 0.0.0.0\n"
                                "    endIpAddress: 255.255.255.255\n";

static void write_stack(void)
{
	char path[600];
	assert_int_equal(mkdir(stack, 0700), 0);
	snprintf(path, sizeof(path), "%s/azapply.yaml", stack);
	e2e_write(path, project);
	snprintf(path, sizeof(path), "%s/00-workspace.yaml", stack);
	e2e_write(path, workspace);
	for (int i = 1; i <= PIPELINES; i++) {
		char text[512];
		snprintf(text, sizeof(text),
		         "apiVersion: azapply.dev/v1\nkind: Pipeline\nmetadata:\n  name: pl%d\n"
		         "spec:\n  workspace: synapse\n  name: pipeline%d\n  properties:\n"
		         "    activities:\n      - name: Pause\n        type: Wait\n"
		         "        typeProperties:\n          waitTimeInSeconds: %d\n",
		         i, i, i);
		snprintf(path, sizeof(path), "%s/10-pipeline-%02d.yaml", stack, i);
		e2e_write(path, text);
	}
}

static json_int_t peak_in_flight(void)
{
	json_t *log = e2e_log(W);
	json_int_t peak = json_integer_value(json_object_get(json_object_get(log, "counters"),
	                                                     "peakInFlight"));
	json_decref(log);
	return peak;
}

static int setup(void **state)
{
	(void)state;
	const char *args[] = {"--retry-after", "0", "--lro-polls", "1", NULL};
	const char *env[] = {"AZAPPLY_POLL_MAX_SECONDS=1", NULL};
	if (e2e_setup(&W, "synapse-ml", args, env) != 0)
		return -1;
	snprintf(stack, sizeof(stack), "%s/wide", W->dir);
	write_stack();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return e2e_teardown(W);
}

/* Forty pipelines, each a PUT and a poll held 300 ms by the emulator: with
 * 50 resources allowed in flight, more than the client's default 16
 * requests are answered at once, and never more than the 128 requests
 * setup.c allows (2 x 50, but never fewer than 128). */
static void parallelism_50_gets_past_16_requests(void **state)
{
	(void)state;
	E2E_EXPECT(W, 0, NULL, "apply", stack, "--env", "dev", "--auto-approve", "--parallelism",
	           "1", "--target", "SynapseFirewallRule/everyone");
	assert_int_equal(emu_control(W->e, "PUT", "settings", "{\"latencyMs\":300}", NULL), 200);
	e2e_clear_log(W);
	E2E_EXPECT(W, 0, "Apply complete: 40 done, 0 failed, 0 skipped.", "apply", stack, "--env",
	           "dev", "--auto-approve", "--parallelism", "50");
	json_int_t peak = peak_in_flight();
	assert_true(peak > 16);
	assert_true(peak <= 128);
}

/* plan and drift take the same option for their reads. */
static void plan_and_drift_take_parallelism(void **state)
{
	(void)state;
	E2E_EXPECT(W, 0, "No changes", "plan", stack, "--env", "dev", "--parallelism", "50");
	E2E_EXPECT(W, 0, NULL, "drift", stack, "--env", "dev", "--parallelism", "50");
	E2E_EXPECT(W, 64, "--parallelism takes a number from 1 to 1000, not '0'", "plan", stack,
	           "--env", "dev", "--parallelism", "0");
}

/* A resource is planned once its read is in and its dependencies are
 * planned, while the refresh waits for the answers of the others; the plan
 * is the one planning them all after the last answer gives, item for item
 * and in the same order. With 300 ms on every answer, the workspace and its
 * rule are planned while the pipelines' list is on its way, the pipelines
 * once it is in, and no answer comes after that. */
static void resources_are_planned_while_the_reads_come_in(void **state)
{
	(void)state;
	/* Last in the manifests, read in Resource Manager's wave: planned
	 * before the pipelines are, listed after them. */
	char path[600];
	snprintf(path, sizeof(path), "%s/20-extra.yaml", stack);
	e2e_write(path, "apiVersion: azapply.dev/v1\nkind: ResourceGroup\nmetadata:\n  name: extra\n"
			"spec:\n  name: rg-wide-extra\n  location: westeurope\n");
	assert_int_equal(emu_control(W->e, "PUT", "settings", "{\"latencyMs\":0}", NULL), 200);
	E2E_EXPECT(W, 0, NULL, "apply", stack, "--env", "dev", "--auto-approve", "--target",
		   "ResourceGroup/extra");
	run_result at_once = E2E_RUN(W, "plan", stack, "--env", "dev", "--output", "json");
	e2e_expect(&at_once, 0, "\"noop\": 44");
	assert_int_equal(emu_control(W->e, "PUT", "settings", "{\"latencyMs\":300}", NULL), 200);
	run_result slow = E2E_RUN(W, "plan", stack, "--env", "dev", "--output", "json", "-v");
	e2e_expect(&slow, 0, "\"noop\": 44");
	assert_string_equal(slow.out, at_once.out);
	json_t *plan = json_loads(slow.out, 0, NULL);
	json_t *resources = json_object_get(plan, "resources");
	assert_int_equal(json_array_size(resources), 44);
	static const char *const first[] = {"ResourceGroup/rg", "SynapseWorkspace/synapse",
					    "SynapseFirewallRule/everyone", "Pipeline/pl1"};
	for (size_t i = 0; i < 4; i++)
		assert_string_equal(json_string_value(json_object_get(
					    json_array_get(resources, i), "address")),
				    first[i]);
	assert_string_equal(
		json_string_value(json_object_get(json_array_get(resources, 43), "address")),
		"ResourceGroup/extra");
	json_decref(plan);
	const char *line = strstr(slow.err, "azapply: plan: ");
	assert_non_null(line);
	size_t early = 0, all = 0;
	assert_int_equal(sscanf(line, "azapply: plan: %zu of %zu resources planned while the "
				      "refresh read",
				&early, &all),
			 2);
	assert_int_equal(all, 44);
	/* The groups, the workspace and its rule at least: the data planes'
	 * lists they wait for take 300 ms. The pipelines too, unless their
	 * list is the last answer. */
	assert_true(early >= 4 && early <= all);
	run_result_free(&at_once);
	run_result_free(&slow);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(parallelism_50_gets_past_16_requests),
	    cmocka_unit_test(plan_and_drift_take_parallelism),
	    cmocka_unit_test(resources_are_planned_while_the_reads_come_in),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
