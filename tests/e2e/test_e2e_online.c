/*
 * test_e2e_online.c - a blue/green rollout of an Azure ML managed online
 * endpoint against the emulator, one apply per step: the endpoint with
 * blue taking all traffic; green added at 0%; traffic shifted to green;
 * blue removed; and at last the endpoint removed with green. Each step's
 * plan says what it will do, its apply does it
 * in an order Azure accepts, and the plan after it says "No changes".
 * The request log is replayed to show that no accepted write ever left
 * the endpoint's traffic naming a deployment that did not exist (the
 * emulator refuses both mistakes with 400, as Azure does, and none was
 * sent either).
 */
#define _GNU_SOURCE /* asprintf */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "e2ekit.h"

#define ENDPOINT_PATH "/onlineEndpoints/scoring"
#define DEPLOYMENTS_TYPE "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments"

static const char ENDPOINT[] = "apiVersion: azapply.dev/v1\n"
			       "kind: MlOnlineEndpoint\n"
			       "metadata:\n"
			       "  name: scoring\n"
			       "spec:\n"
			       "  workspace: ml\n"
			       "  location: westeurope\n"
			       "  properties:\n"
			       "    authMode: Key\n"
			       "    traffic:\n"
			       "%s";

static const char DEPLOYMENT[] = "apiVersion: azapply.dev/v1\n"
				 "kind: MlOnlineDeployment\n"
				 "metadata:\n"
				 "  name: %s\n"
				 "spec:\n"
				 "  endpoint: scoring\n"
				 "  location: westeurope\n"
				 "  sku:\n"
				 "    name: Default\n"
				 "    capacity: 1\n"
				 "  properties:\n"
				 "    endpointComputeType: Managed\n"
				 "    model: azureml:credit-model:%s\n"
				 "    codeConfiguration:\n"
				 "      scoringScript: score.py\n"
				 "    instanceType: Standard_DS3_v2\n";

static void write_endpoint(e2e_world *w, const char *traffic)
{
	char path[512], *text = NULL;
	snprintf(path, sizeof(path), "%s/50-online-endpoint.yaml", w->stack);
	assert_true(asprintf(&text, ENDPOINT, traffic) > 0);
	e2e_write(path, text);
	free(text);
}

static void write_deployment(e2e_world *w, const char *name, const char *model_version)
{
	char path[512], *text = NULL;
	snprintf(path, sizeof(path), "%s/51-%s.yaml", w->stack, name);
	assert_true(asprintf(&text, DEPLOYMENT, name, model_version) > 0);
	e2e_write(path, text);
	free(text);
}

/* Runs the plan and checks every line of `expected` is in it, in order. */
static void plan_says(e2e_world *w, const char *const *expected)
{
	run_result r = E2E_RUN(w, "plan", w->stack, "--env", "dev", "--detailed-exitcode");
	const char *at = r.out;
	for (const char *const *e = expected; *e; e++) {
		const char *hit = at ? strstr(at, *e) : NULL;
		if (!hit)
			fail_msg("plan lacks (or misorders) '%s':\n%s\n%s", *e, r.out, r.err);
		at = hit + strlen(*e);
	}
	if (r.exit_code != 2)
		fail_msg("plan exited %d, not 2 (changes):\n%s\n%s", r.exit_code, r.out, r.err);
	run_result_free(&r);
}

static void apply_then_settle(e2e_world *w, const char *needle)
{
	E2E_EXPECT(w, 0, needle, "apply", w->stack, "--env", "dev", "--auto-approve");
	E2E_EXPECT(w, 0, "No changes", "plan", w->stack, "--env", "dev", "--detailed-exitcode");
}

/* The deployment name a logged path names, or NULL. */
static const char *deployment_of(const char *path, char *buf, size_t n)
{
	const char *at = strstr(path, ENDPOINT_PATH "/deployments/");
	if (!at)
		return NULL;
	at += strlen(ENDPOINT_PATH "/deployments/");
	size_t len = strcspn(at, "?/");
	snprintf(buf, n, "%.*s", (int)len, at);
	return buf;
}

/* Replays the accepted writes since the rollout began, in the order Azure
 * saw them: the traffic an endpoint write sets names only deployments that
 * exist, and a deployment is deleted only once the traffic no longer names
 * it. */
static void traffic_never_named_a_missing_deployment(e2e_world *w)
{
	size_t routing_writes = 0;
	json_t *log = e2e_log(w);
	json_t *exists = json_object(), *routed = json_object();
	size_t i;
	json_t *q;
	json_array_foreach(json_object_get(log, "requests"), i, q) {
		const char *m = json_string_value(json_object_get(q, "method"));
		const char *path = json_string_value(json_object_get(q, "path"));
		json_int_t status = json_integer_value(json_object_get(q, "status"));
		if (!m || !path || !strstr(path, ENDPOINT_PATH) || status < 200 || status > 299)
			continue;
		char name[128];
		bool write = !strcmp(m, "PUT") || !strcmp(m, "PATCH");
		if (deployment_of(path, name, sizeof(name))) {
			if (!strcmp(m, "PUT"))
				json_object_set_new(exists, name, json_true());
			if (!strcmp(m, "DELETE")) {
				if (json_object_get(routed, name))
					fail_msg("deployment %s deleted while traffic named it (request "
						 "%zu)", name, i);
				json_object_del(exists, name);
			}
			continue;
		}
		if (!write || strstr(path, ENDPOINT_PATH)[strlen(ENDPOINT_PATH)] == '/')
			continue;
		json_t *body = json_object_get(q, "body");
		json_t *parsed = json_is_string(body) ? json_loads(json_string_value(body), 0, NULL)
						      : json_incref(body);
		json_t *traffic = json_object_get(json_object_get(parsed, "properties"), "traffic");
		const char *key;
		json_t *share;
		json_object_foreach(traffic, key, share) {
			if (!json_object_get(exists, key))
				fail_msg("request %zu routes traffic to %s, which does not exist", i,
					 key);
		}
		routing_writes += json_object_size(traffic) > 0;
		if (traffic) {
			json_object_clear(routed);
			json_object_update(routed, traffic);
		}
		json_decref(parsed);
	}
	json_decref(exists);
	json_decref(routed);
	json_decref(log);
	assert_int_equal(e2e_count_sent(w, NULL, 400, ENDPOINT_PATH), 0);
	/* The replay saw the writes it judges. */
	assert_true(routing_writes > 0);
}

/* Whether the apply events on `out` (one JSON object a line) hold
 * `event` for `address`, with `message` when not NULL. */
static bool has_event(const char *out, const char *event, const char *address,
		      const char *message)
{
	bool found = false;
	for (const char *line = out; line && *line && !found;) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		json_t *e = json_loadb(line, len, 0, NULL);
		const char *m = json_string_value(json_object_get(e, "message"));
		found = e && !strcmp(json_string_value(json_object_get(e, "event")), event) &&
			!strcmp(json_string_value(json_object_get(e, "address")), address) &&
			(!message || (m && !strcmp(m, message)));
		json_decref(e);
		line = end ? end + 1 : NULL;
	}
	return found;
}

static void blue_green_rollout(void **state)
{
	e2e_world *w = *state;
	E2E_EXPECT(w, 0, "Apply complete", "apply", w->stack, "--env", "dev", "--auto-approve");
	e2e_clear_log(w);

	/* 1. The endpoint with blue taking all traffic: created without
	 * traffic, blue after it, then the traffic. */
	write_endpoint(w, "      blue: 100\n");
	write_deployment(w, "blue", "1");
	plan_says(w, (const char *const[]){"# MlOnlineEndpoint/scoring will be created",
					   "# (created without properties.traffic, which is sent once "
					   "the MlOnlineDeployment it names exist)",
					   "+ MlOnlineEndpoint/scoring", "properties.traffic",
					   "+ MlOnlineDeployment/blue",
					   "Plan: 2 to add, 0 to change, 0 to replace, 0 to destroy.", NULL});
	/* Real deployments take tens of minutes: while blue's operation runs,
	 * apply says so (here about once a second, as for every long step). */
	assert_int_equal(emu_control(w->e, "PUT", "lro/" DEPLOYMENTS_TYPE,
				     "{\"polls\":3,\"retryAfter\":1}", NULL), 200);
	run_result r = E2E_RUN(w, "apply", w->stack, "--env", "dev", "--auto-approve", "-o", "json");
	e2e_expect(&r, 0, NULL);
	assert_true(has_event(r.out, "progress", "MlOnlineDeployment/blue", NULL));
	assert_true(has_event(r.out, "done", "MlOnlineEndpoint/scoring", "traffic routed"));
	run_result_free(&r);
	assert_int_equal(emu_control(w->e, "DELETE", "lro/" DEPLOYMENTS_TYPE, NULL, NULL), 200);
	E2E_EXPECT(w, 0, "No changes", "plan", w->stack, "--env", "dev", "--detailed-exitcode");
	traffic_never_named_a_missing_deployment(w);

	/* 2. Green beside it at 0%: green is created before the traffic
	 * names it. */
	write_endpoint(w, "      blue: 100\n      green: 0\n");
	write_deployment(w, "green", "2");
	plan_says(w, (const char *const[]){"~ MlOnlineEndpoint/scoring", "properties.traffic.green",
					   "+ MlOnlineDeployment/green", "Plan: 1 to add, 1 to change, 0 to replace, 0 to destroy.",
					   NULL});
	apply_then_settle(w, "Apply complete");
	traffic_never_named_a_missing_deployment(w);

	/* 3. All traffic to green: the endpoint alone changes. */
	write_endpoint(w, "      blue: 0\n      green: 100\n");
	plan_says(w, (const char *const[]){"~ MlOnlineEndpoint/scoring", "properties.traffic.blue",
					   "properties.traffic.green",
					   "Plan: 0 to add, 1 to change, 0 to replace, 0 to destroy.", NULL});
	apply_then_settle(w, "Apply complete");
	traffic_never_named_a_missing_deployment(w);

	/* Green in another region would be a replacement: its delete, which
	 * Azure refuses while the traffic names it. The plan refuses it and
	 * says how to get there. */
	char green[512];
	snprintf(green, sizeof(green), "%s/51-green.yaml", w->stack);
	e2e_replace(green, "location: westeurope", "location: northeurope", false);
	run_result r2 = E2E_RUN(w, "plan", w->stack, "--env", "dev", "--detailed-exitcode");
	e2e_expect(&r2, 1, "Azure refuses to delete it while MlOnlineEndpoint/scoring's traffic "
			   "names it");
	e2e_expect(&r2, 1, "Deploy the change under another name, move the traffic to it");
	run_result_free(&r2);
	e2e_replace(green, "location: northeurope", "location: westeurope", false);

	/* 4. Blue removed: the traffic drops it before it is deleted. */
	write_endpoint(w, "      green: 100\n");
	char path[512];
	snprintf(path, sizeof(path), "%s/51-blue.yaml", w->stack);
	assert_int_equal(unlink(path), 0);
	plan_says(w, (const char *const[]){"~ MlOnlineEndpoint/scoring", "properties.traffic.blue",
					   "- MlOnlineDeployment/blue",
					   "Plan: 0 to add, 1 to change, 0 to replace, 1 to destroy.", NULL});
	apply_then_settle(w, "MlOnlineDeployment/blue: deleted");
	traffic_never_named_a_missing_deployment(w);

	/* 5. The endpoint removed with green, which still takes all its
	 * traffic: Azure refuses green's delete, so the endpoint goes first
	 * and takes green with it. */
	snprintf(path, sizeof(path), "%s/51-green.yaml", w->stack);
	assert_int_equal(unlink(path), 0);
	snprintf(path, sizeof(path), "%s/50-online-endpoint.yaml", w->stack);
	assert_int_equal(unlink(path), 0);
	plan_says(w, (const char *const[]){"- MlOnlineEndpoint/scoring", "- MlOnlineDeployment/green",
					   "Plan: 0 to add, 0 to change, 0 to replace, 2 to destroy.", NULL});
	apply_then_settle(w, "MlOnlineDeployment/green: deleted");
	assert_int_equal(e2e_count_sent(w, NULL, 400, ENDPOINT_PATH), 0);
	assert_null(e2e_arm_get(w, "/subscriptions/00000000-0000-0000-0000-000000000000/"
				   "resourceGroups/rg-mlplatform-dev/providers/"
				   "Microsoft.MachineLearningServices/workspaces/mlw-mlplatform-dev"
				   ENDPOINT_PATH));
}

/* validate catches both mistakes Azure would refuse, at the traffic. */
static void validate_refuses_bad_traffic(void **state)
{
	e2e_world *w = *state;
	write_endpoint(w, "      blue: 90\n      gren: 0\n");
	write_deployment(w, "blue", "1");
	write_deployment(w, "green", "2");
	run_result r = E2E_RUN(w, "validate", w->stack, "--env", "dev");
	assert_int_equal(r.exit_code, 1);
	const char *all[] = {"50-online-endpoint.yaml:12:13: error: spec.properties.traffic names "
			     "MlOnlineDeployment 'gren'", "did you mean 'green'?",
			     "50-online-endpoint.yaml:11:7: error: the shares of "
			     "spec.properties.traffic sum to 90, not 100"};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (!strstr(r.out, all[i]) && !strstr(r.err, all[i]))
			fail_msg("validate lacks '%s':\n%s\n%s", all[i], r.out, r.err);
	run_result_free(&r);
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
		cmocka_unit_test_setup_teardown(blue_green_rollout, setup, teardown),
		cmocka_unit_test_setup_teardown(validate_refuses_bad_traffic, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
