/*
 * test_e2e_azure_failures.c - the failures real users meet in Azure, each
 * played by the emulator as Azure answers it, and azapply's answer to each,
 * run as a user runs it: the output names the fix, and once the fix is made
 * the next run converges to "No changes".
 *
 * - The Synapse data-plane firewall: an address no rule allows gets 403
 *   ClientIpAddressNotAuthorized; azapply names the SynapseFirewallRule to
 *   add, with the address.
 * - A run stopped between a workspace and its declared firewall rule: the
 *   next plan cannot read the workspace's data plane, and plans the rule
 *   with what lives behind it marked "not read yet" (never created again,
 *   changed or pruned); apply creates the rule, then plans and applies the
 *   rest in the same run (a saved plan: exit 2, and the next run does).
 * - A workspace whose data plane the stack no longer uses, refusing this
 *   address: nothing is pruned there, a warning says so, the plan goes on.
 * - Synapse RBAC: a principal without a Synapse role gets 403 Unauthorized;
 *   azapply names the role to grant and to whom. A role granted seconds ago
 *   takes effect late (propagation): azapply waits for it, bounded.
 * - Another operation in progress on a Synapse workspace or its pools:
 *   409 AnotherOperationInProgress, retried until the other ends.
 * - A soft-deleted Azure ML workspace holding its name: azapply names the
 *   ways out (recover, purge).
 * - A soft-deleted key vault holding its name (409 ConflictError "...
 *   already exists in deleted state"): azapply names recover and purge.
 * - Spark pool fields Azure never returns (sparkEventsFolder...): set in a
 *   manifest, they settle instead of planning a change forever.
 *
 * Speed: operations end on their first poll, polls wait at most a second,
 * and a refused data-plane request is tried again for 2 s
 * (AZAPPLY_ACCESS_WAIT_SECONDS) unless a test waits longer on purpose.
 */
#define _GNU_SOURCE /* asprintf */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2ekit.h"

#define SUB "00000000-0000-0000-0000-000000000000"
#define RG_ID "/subscriptions/" SUB "/resourceGroups/rg-mlplatform-dev"
#define WS "synw-mlplatform-dev"
#define WS_ID RG_ID "/providers/Microsoft.Synapse/workspaces/" WS
#define ML_ID RG_ID "/providers/Microsoft.MachineLearningServices/workspaces/mlw-mlplatform-dev"
#define VAULT "kv-mlplatform-dev"
#define VAULT_ID RG_ID "/providers/Microsoft.KeyVault/vaults/" VAULT
#define SYNAPSE_CONTRIBUTOR "7572bffe-f453-4b66-912a-46cc5ef38fda"
#define NO_CHANGES "No changes."

static int setup(void **state)
{
	const char *args[] = {"--retry-after", "0", "--lro-polls", "1", NULL};
	const char *env[] = {"AZAPPLY_POLL_MAX_SECONDS=1", "AZAPPLY_ACCESS_WAIT_SECONDS=2", NULL};
	return e2e_setup((e2e_world **)state, "synapse-ml", args, env);
}

static int teardown(void **state)
{
	return e2e_teardown(*state);
}

static void control(e2e_world *w, const char *method, const char *path, const char *body)
{
	json_t *answer = NULL;
	int status = emu_control(w->e, method, path, body, &answer);
	if (status != 200 && status != 201) {
		char *text = answer ? json_dumps(answer, 0) : NULL;
		fail_msg("%s /_emulator/%s: %d %s", method, path, status, text ? text : "");
	}
	json_decref(answer);
}

static void apply_converges(e2e_world *w)
{
	E2E_EXPECT(w, 0, NULL, "apply", w->stack, "--env", "dev", "--auto-approve");
	E2E_EXPECT(w, 0, NO_CHANGES, "plan", w->stack, "--env", "dev", "--detailed-exitcode");
}

/* A request to any emulated host with the built-in service principal's
 * token for `scope`; the status. */
static long as_admin(e2e_world *w, const char *scope, const char *method, const char *url,
		     const char *body)
{
	char *token = emu_token(w->e, scope);
	assert_non_null(token);
	char *auth = NULL;
	assert_true(asprintf(&auth, "Authorization: Bearer %s", token) > 0);
	const char *headers[] = {auth, "Content-Type: application/json", NULL};
	emu_response r;
	assert_int_equal(emu_http(w->e, &r, method, url, headers, body, body ? strlen(body) : 0), 0);
	long status = r.status;
	emu_response_free(&r);
	free(auth);
	free(token);
	return status;
}

/* An ARM request (the URL built from `fmt`) as the built-in service
 * principal, which must answer `status`: a change made outside azapply. */
static void arm_outside(e2e_world *w, const char *method, long status, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void arm_outside(e2e_world *w, const char *method, long status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *url = NULL;
	assert_true(vasprintf(&url, fmt, ap) > 0);
	va_end(ap);
	assert_int_equal(as_admin(w, "https://management.azure.com/.default", method, url, NULL),
			 status);
	free(url);
}

/* The manifest of the rule that admits the runner's address, 198.51.100.7. */
static void declare_rule(e2e_world *w)
{
	char path[400];
	snprintf(path, sizeof(path), "%s/25-ci-firewall-rule.yaml", w->stack);
	e2e_write(path, "apiVersion: azapply.dev/v1\nkind: SynapseFirewallRule\n"
			"metadata: {name: allow-ci}\n"
			"spec:\n  workspace: synapse\n  name: allow-ci\n  properties:\n"
			"    startIpAddress: 198.51.100.7\n    endIpAddress: 198.51.100.7\n");
}

/* The firewall refuses the runner's address: the error names the rule to
 * add and the address; created as the error says (the CLI, then declared),
 * the next apply takes it over and converges. */
static void firewall_names_the_rule(void **state)
{
	e2e_world *w = *state;
	apply_converges(w);
	control(w, "PUT", "settings", "{\"synapseFirewall\":true,\"clientIp\":\"198.51.100.7\"}");
	E2E_EXPECT(w, 1, "startIpAddress: 198.51.100.7", "plan", w->stack, "--env", "dev");
	E2E_EXPECT(w, 1, "kind: SynapseFirewallRule", "plan", w->stack, "--env", "dev");
	E2E_EXPECT(w, 1, "az synapse workspace firewall-rule create --workspace-name " WS
	           " --resource-group rg-mlplatform-dev --name allow-ci --start-ip-address "
	           "198.51.100.7",
	           "plan", w->stack, "--env", "dev");
	assert_true(e2e_count_sent(w, NULL, 403, "/pipelines") > 0);
	/* Said once for the workspace, not once per collection listed there. */
	run_result r = E2E_RUN(w, "plan", w->stack, "--env", "dev");
	e2e_expect(&r, 1, NULL);
	size_t said = 0;
	for (const char *at = r.err; (at = strstr(at, "refuses this client's address")); at++)
		said++;
	assert_int_equal(said, 1);
	run_result_free(&r);

	/* The fix: the rule made with the CLI, and declared. */
	json_t *rule = json_pack("{s:s,s:s,s:{s:s,s:s,s:s}}", "name", "allow-ci", "type",
				 "Microsoft.Synapse/workspaces/firewallRules", "properties",
				 "startIpAddress", "198.51.100.7", "endIpAddress", "198.51.100.7",
				 "provisioningState", "Succeeded");
	e2e_arm_put(w, WS_ID "/firewallRules/allow-ci", rule);
	json_decref(rule);
	declare_rule(w);
	apply_converges(w);
}

/* A run stopped after the workspace, before its declared firewall rule;
 * meanwhile a SQL script left the manifests. The data plane refuses this
 * address, so the plan cannot read what lives there: it plans the rule and
 * marks the rest "not read yet", and waits for no rule (one refusal per
 * collection, not AZAPPLY_ACCESS_WAIT_SECONDS of them). */
static void stopped_before_the_rule(e2e_world *w)
{
	apply_converges(w);
	declare_rule(w);
	char path[400];
	snprintf(path, sizeof(path), "%s/44-sql-script.yaml", w->stack);
	assert_int_equal(remove(path), 0);
	control(w, "PUT", "settings", "{\"synapseFirewall\":true,\"clientIp\":\"198.51.100.7\"}");

	e2e_clear_log(w);
	run_result r = E2E_RUN(w, "plan", w->stack, "--env", "dev", "--detailed-exitcode");
	e2e_expect(&r, 2, "+ SynapseFirewallRule/allow-ci");
	e2e_expect(&r, 2, "? Pipeline/nightly-training");
	e2e_expect(&r, 2, "? Trigger/");
	e2e_expect(&r, 2, "refuses this address until SynapseFirewallRule/allow-ci is created");
	assert_null(strstr(r.out, "SqlScript/predict"));
	run_result_free(&r);
	assert_int_equal(e2e_count_sent(w, NULL, 403, "/pipelines"), 1);
}

/* Apply creates the rule first, then plans again what it could not read
 * and applies that too: the script left behind is pruned only by the
 * second plan, which read it. One apply converges. */
static void declared_rule_opens_the_workspace_in_the_same_run(void **state)
{
	e2e_world *w = *state;
	stopped_before_the_rule(w);

	e2e_clear_log(w);
	run_result r = E2E_RUN(w, "apply", w->stack, "--env", "dev", "--auto-approve");
	e2e_expect(&r, 0, "the firewall rules just created admit this address now");
	e2e_expect(&r, 0, "- SqlScript/predict");
	assert_null(strstr(r.out, "run apply again"));
	/* The first plan's note on the closed workspace is superseded by the
	 * second plan, which read it. */
	if (strstr(r.err, "refuses this address until"))
		fail_msg("the first plan's note outlived the second plan:\n%s", r.err);
	/* The rule was made before the second plan read the data plane. */
	const char *created = strstr(r.out, "SynapseFirewallRule/allow-ci: created");
	const char *second = strstr(r.out, "the firewall rules just created");
	const char *pruned = strstr(r.out, "SqlScript/predict-churn: deleted");
	if (!created || !second || !pruned || !(created < second && second < pruned))
		fail_msg("expected the rule, the second plan, the prune, in that order:\n%s",
			 r.out);
	run_result_free(&r);
	assert_int_equal(e2e_count_sent(w, "PUT", 0, "/firewallRules/allow-ci"), 1);
	assert_int_equal(e2e_count_sent(w, "DELETE", 0, "/sqlScripts/predict"), 1);
	E2E_EXPECT(w, 0, NO_CHANGES, "plan", w->stack, "--env", "dev", "--detailed-exitcode");
}

/* A saved plan is applied as it was reviewed: the rule, and nothing it did
 * not show. Exit 2 says the rest is left for the next run, which
 * converges. */
static void saved_plan_leaves_the_unread_for_the_next_run(void **state)
{
	e2e_world *w = *state;
	stopped_before_the_rule(w);
	char file[400];
	snprintf(file, sizeof(file), "%s-plan.json", w->stack);
	E2E_EXPECT(w, 0, NULL, "plan", w->stack, "--env", "dev", "--out", file);

	e2e_clear_log(w);
	E2E_EXPECT(w, 2, "run apply again", "apply", file, "--auto-approve");
	assert_int_equal(e2e_count_sent(w, "PUT", 0, "/firewallRules/allow-ci"), 1);
	assert_int_equal(e2e_count_sent(w, "DELETE", 0, "/sqlScripts/predict"), 0);
	assert_int_equal(e2e_count_sent(w, "PUT", 0, "/pipelines/"), 0);
	remove(file);

	e2e_clear_log(w);
	apply_converges(w);
	assert_int_equal(e2e_count_sent(w, "DELETE", 0, "/sqlScripts/predict"), 1);
}

/* Ctrl-C while the second round applies: what is in flight there ends
 * and is recorded, nothing new starts, the lock is let go (the next run
 * takes it without waiting), and the next apply converges. */
static void interrupted_second_round_finishes_in_flight(void **state)
{
	e2e_world *w = *state;
	stopped_before_the_rule(w);
	/* Two writes for the second round, one at a time: the pipeline's
	 * update and the script's prune. Whichever goes first is held. */
	char pipeline[400];
	snprintf(pipeline, sizeof(pipeline), "%s/artifacts/nightly-training.json", w->stack);
	e2e_replace(pipeline, "Retrain the churn model", "Retrain the churn model nightly", false);
	/* Artifact ids come back with the collection in lower case. */
	control(w, "POST", "faults",
		"{\"path\":\"/sql[sS]cripts/predict|/pipelines/nightly-training\",\"delayMs\":1500,"
		"\"times\":1}");
	char log[1200];
	snprintf(log, sizeof(log), "%s/second-round.log", w->dir);
	pid_t pid = e2e_spawn(w,
			      (const char *const[]){"apply", w->stack, "--env", "dev",
						    "--auto-approve", "--parallelism", "1", NULL},
			      log);
	e2e_wait_for_hits(w, 1);
	assert_int_equal(kill(pid, SIGINT), 0);
	int code = e2e_wait(pid);
	char *out = e2e_slurp(log);
	if (code != 1 || !strstr(out, "the firewall rules just created admit this address now") ||
	    !strstr(out, "interrupted: starting nothing new") ||
	    !strstr(out, "some not started (interrupted)")) {
		fprintf(stderr, "%s\n", out);
		fail_msg("expected exit 1, the second plan, the interruption and the delete in "
			 "flight finished; exit %d (output above)",
			 code);
	}
	free(out);
	control(w, "DELETE", "faults", NULL);
	E2E_EXPECT(w, 0, NULL, "apply", w->stack, "--env", "dev", "--auto-approve", "--lock-timeout",
		   "0s");
	E2E_EXPECT(w, 0, NO_CHANGES, "plan", w->stack, "--env", "dev", "--detailed-exitcode");
}

/* The resource of `address` in a plan's JSON (`plan`), which must be
 * there. */
static const json_t *planned(const json_t *plan, const char *address)
{
	size_t i;
	const json_t *r;
	json_array_foreach(json_object_get(plan, "resources"), i, r) {
		if (strcmp(json_string_value(json_object_get(r, "address")), address) == 0)
			return r;
	}
	fail_msg("%s is not in the plan", address);
	return NULL;
}

/* CI's Synapse role lives in the data plane as the artifacts do, listed
 * from another collection (Synapse RBAC's roleAssignments) and named by a
 * principal the refresh reads in the same wave: while the workspace
 * refuses this address it is not read yet, planned as the artifacts are
 * and for the same reason, and counted with them; never created again. */
static void role_assignment_behind_the_rule_is_not_read_yet(void **state)
{
	e2e_world *w = *state;
	stopped_before_the_rule(w);

	run_result r = E2E_RUN(w, "plan", w->stack, "--env", "dev", "--detailed-exitcode");
	e2e_expect(&r, 2, "? SynapseRoleAssignment/ci-synapse-contributor");
	e2e_expect(&r, 2,
		   "Plan: 1 to add, 0 to change, 0 to replace, 0 to destroy. 5 not read yet");
	e2e_expect(&r, 2, "5 resources in it not read, so not planned");
	assert_null(strstr(r.out, "+ SynapseRoleAssignment"));
	run_result_free(&r);

	r = E2E_RUN(w, "plan", w->stack, "--env", "dev", "-o", "json");
	e2e_expect(&r, 0, NULL);
	json_t *plan = json_loads(r.out, 0, NULL);
	assert_non_null(plan);
	const json_t *role = planned(plan, "SynapseRoleAssignment/ci-synapse-contributor");
	const json_t *pipeline = planned(plan, "Pipeline/nightly-training");
	assert_string_equal(json_string_value(json_object_get(role, "action")), "defer");
	assert_string_equal(json_string_value(json_object_get(role, "reason")),
			    json_string_value(json_object_get(pipeline, "reason")));
	const char *id = json_string_value(json_object_get(role, "id"));
	assert_non_null(id);
	assert_non_null(strstr(id, WS "/roleAssignments/"));
	json_decref(plan);
	run_result_free(&r);

	/* Applied, the rule is made, then a second plan reads the role:
	 * nothing to write for it. */
	e2e_clear_log(w);
	E2E_EXPECT(w, 0, "the firewall rules just created admit this address now", "apply",
		   w->stack, "--env", "dev", "--auto-approve");
	assert_int_equal(e2e_count_sent(w, "PUT", 0, "/roleAssignments/"), 0);
	E2E_EXPECT(w, 0, NO_CHANGES, "plan", w->stack, "--env", "dev", "--detailed-exitcode");
}

/* A stack that no longer declares anything in its workspace's data plane,
 * run from an address the workspace's firewall refuses: the lists that
 * only look for what to prune are refused at once (no wait), nothing is
 * pruned, a warning names the workspace, and the plan goes on. Admitted
 * again, the next plan prunes what the stack left there. While CI's
 * Synapse role is still declared there, the workspace is read as for an
 * artifact: its refusal fails the plan, naming the rule to add, and
 * nothing there is created or pruned. */
static void refused_prune_lists_prune_nothing(void **state)
{
	e2e_world *w = *state;
	apply_converges(w);
	const char *artifacts[] = {"40-linked-service.yaml", "41-notebook.yaml", "42-pipeline.yaml",
				   "43-trigger.yaml", "44-sql-script.yaml"};
	for (size_t i = 0; i < sizeof(artifacts) / sizeof(artifacts[0]); i++) {
		char path[400];
		snprintf(path, sizeof(path), "%s/%s", w->stack, artifacts[i]);
		assert_int_equal(remove(path), 0);
	}
	control(w, "PUT", "settings", "{\"synapseFirewall\":true,\"clientIp\":\"198.51.100.7\"}");

	e2e_clear_log(w);
	run_result r = E2E_RUN(w, "plan", w->stack, "--env", "dev", "--detailed-exitcode");
	e2e_expect(&r, 1, "kind: SynapseFirewallRule");
	e2e_expect(&r, 1, "refuses this client's address 198.51.100.7");
	assert_null(strstr(r.out, "will be created"));
	assert_null(strstr(r.out, "will be deleted"));
	assert_null(strstr(r.err, "none is pruned"));
	run_result_free(&r);
	assert_true(e2e_count_sent(w, "GET", 403, "/roleAssignments") > 0);

	/* Nor CI's Synapse role: the stack now declares nothing in the
	 * workspace's data plane. */
	e2e_drop_ci_synapse_role(w);
	e2e_clear_log(w);
	r = E2E_RUN(w, "plan", w->stack, "--env", "dev", "--detailed-exitcode");
	e2e_expect(&r, 0, NO_CHANGES);
	e2e_expect(&r, 0, "SynapseWorkspace/synapse: its data plane refuses this address, so "
			  "artifacts this stack left there are not looked for, and none is pruned");
	assert_null(strstr(r.out, "will be deleted"));
	run_result_free(&r);
	assert_int_equal(e2e_count_sent(w, "GET", 403, "/pipelines"), 1);

	control(w, "PUT", "settings", "{\"clientIp\":\"\"}");
	E2E_EXPECT(w, 2, "Plan: 0 to add, 0 to change, 0 to replace, 5 to destroy.", "plan",
		   w->stack, "--env", "dev", "--detailed-exitcode");
	apply_converges(w);
}

/* The child's environment signed in as another service principal, waiting
 * `wait_s` for access (AZAPPLY_ACCESS_WAIT_SECONDS). Free the array only. */
static const char **env_as(e2e_world *w, const char *client_id, const char *secret, int wait_s)
{
	size_t n = 0;
	while (w->env[n])
		n++;
	const char **env = calloc(n + 4, sizeof(char *));
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (strncmp(w->env[i], "AZURE_CLIENT_ID=", 16) &&
		    strncmp(w->env[i], "AZURE_CLIENT_SECRET=", 20) &&
		    strncmp(w->env[i], "AZAPPLY_ACCESS_WAIT_SECONDS=", 28))
			env[k++] = w->env[i];
	static char id[128], sec[128], wait[64];
	snprintf(id, sizeof(id), "AZURE_CLIENT_ID=%s", client_id);
	snprintf(sec, sizeof(sec), "AZURE_CLIENT_SECRET=%s", secret);
	snprintf(wait, sizeof(wait), "AZAPPLY_ACCESS_WAIT_SECONDS=%d", wait_s);
	env[k++] = id;
	env[k++] = sec;
	env[k++] = wait;
	return env;
}

static run_result run_as(const char **env, const char *const *argv)
{
	run_result r;
	assert_int_equal(run_command(&r, AZAPPLY_BINARY, argv, env, NULL), 0);
	return r;
}

/* A CI principal that did not create the workspace has no Synapse role:
 * the error names the role and the principal. A Synapse Administrator
 * grants it; the grant takes 3 s to reach the data plane, and azapply
 * waits for it instead of failing. */
static void synapse_rbac_names_the_role_and_waits_for_it(void **state)
{
	e2e_world *w = *state;
	apply_converges(w);
#define CI_OID "5a1b0c9e-2f6d-4e8a-9b3c-7d4e1f2a6b80"
	control(w, "POST", "identities/secret",
		"{\"clientId\":\"ci-runner\",\"secret\":\"ci-Secret-1\",\"objectId\":\"" CI_OID "\"}");
	const char **env = env_as(w, "ci-runner", "ci-Secret-1", 2);
	const char *plan[] = {"plan", w->stack, "--env", "dev", "--detailed-exitcode", NULL};
	run_result r = run_as(env, plan);
	e2e_expect(&r, 1, "principal " CI_OID " holds no Synapse role on workspace '" WS "'");
	e2e_expect(&r, 1, "SynapseRoleAssignment (role: Synapse Contributor, principalId: " CI_OID);
	e2e_expect(&r, 1, "--role \"Synapse Contributor\" --assignee-object-id " CI_OID);
	run_result_free(&r);

	/* The fix, by the workspace's creator, with propagation switched on. */
	control(w, "PUT", "settings", "{\"rbacDelayMs\":3000}");
	char *url = NULL;
	assert_true(asprintf(&url,
			     "https://" WS ".dev.localhost:%d/roleAssignments/"
			     "0f7e3c2a-1b4d-4c6e-8a9f-2d3b4c5e6f70?api-version=2020-12-01",
			     emu_port(w->e)) > 0);
	assert_int_equal(as_admin(w, "https://dev.azuresynapse.net/.default", "PUT", url,
				  "{\"roleId\":\"" SYNAPSE_CONTRIBUTOR "\",\"principalId\":\"" CI_OID
				  "\",\"scope\":\"workspaces/" WS "\","
				  "\"principalType\":\"ServicePrincipal\"}"),
			 200);
	free(url);
	e2e_clear_log(w);
	free(env);
	env = env_as(w, "ci-runner", "ci-Secret-1", 60);
	r = run_as(env, plan);
	e2e_expect(&r, 0, NO_CHANGES);
	run_result_free(&r);
	/* Refused first, let in once the grant arrived. */
	assert_true(e2e_count_sent(w, NULL, 403, "/pipelines") > 0);
	assert_true(e2e_count_sent(w, NULL, 200, "/pipelines") > 0);
	free(env);
}

/* The Spark and SQL pools are created side by side: the second meets the
 * first's operation (409 AnotherOperationInProgress) and is tried again.
 * Both creations run as operations of several polls, so whichever PUT
 * reaches Azure first holds the workspace, whatever the order. */
static void operation_in_progress_is_retried(void **state)
{
	e2e_world *w = *state;
	control(w, "PUT", "lro/Microsoft.Synapse/workspaces/bigDataPools",
		"{\"put\":\"async\",\"polls\":3}");
	control(w, "PUT", "lro/Microsoft.Synapse/workspaces/sqlPools",
		"{\"put\":\"async\",\"polls\":3}");
	apply_converges(w);
	assert_true(e2e_count_sent(w, NULL, 409, "/sqlPools/") + e2e_count_sent(w, NULL, 409, "/bigDataPools/") > 0);
}

/* The ML workspace was deleted outside azapply: soft-deleted, it holds its
 * name; the error names recover and purge; after the purge, apply
 * converges. */
static void soft_deleted_ml_workspace_names_the_way_out(void **state)
{
	e2e_world *w = *state;
	apply_converges(w);
	control(w, "PUT", "lro/Microsoft.MachineLearningServices/workspaces",
		"{\"delete\":\"sync\"}");
	arm_outside(w, "DELETE", 200, "%s?api-version=2025-09-01", ML_ID);
	E2E_EXPECT(w, 1, "Soft-deleted workspace exists", "apply", w->stack, "--env", "dev",
		   "--auto-approve");
	E2E_EXPECT(w, 1, "forceToPurge=true", "apply", w->stack, "--env", "dev", "--auto-approve");
	E2E_EXPECT(w, 1, "Recently deleted", "apply", w->stack, "--env", "dev", "--auto-approve");
	/* The fix: purge it, as the error says. */
	arm_outside(w, "DELETE", 200, "%s?api-version=2025-09-01&forceToPurge=true", ML_ID);
	apply_converges(w);
}

/* The key vault was deleted outside azapply: soft-deleted, it holds its
 * name and the create answers 409 ConflictError; the error names recover
 * and purge; after the purge, apply converges. */
static void soft_deleted_key_vault_names_the_way_out(void **state)
{
	e2e_world *w = *state;
	apply_converges(w);
	arm_outside(w, "DELETE", 200, "%s?api-version=2023-07-01", VAULT_ID);
	E2E_EXPECT(w, 1, "already exists in deleted state", "apply", w->stack, "--env", "dev",
		   "--auto-approve");
	E2E_EXPECT(w, 1, "az keyvault recover --name " VAULT, "apply", w->stack, "--env", "dev",
		   "--auto-approve");
	E2E_EXPECT(w, 1, "az keyvault purge --name " VAULT " --location westeurope", "apply",
		   w->stack, "--env", "dev", "--auto-approve");
	assert_true(e2e_count_sent(w, NULL, 409, "/vaults/" VAULT) > 0);
	/* The fix: purge it, as the error says. */
	arm_outside(w, "POST", 200,
		    "/subscriptions/%s/providers/Microsoft.KeyVault/locations/westeurope/"
		    "deletedVaults/%s/purge?api-version=2023-07-01",
		    SUB, VAULT);
	apply_converges(w);
}

/* Azure takes sparkEventsFolder and defaultSparkLogFolder and never returns
 * them: set in a manifest, they are sent and then settle. */
static void spark_pool_write_only_fields_settle(void **state)
{
	e2e_world *w = *state;
	char path[400];
	snprintf(path, sizeof(path), "%s/21-spark-pool.yaml", w->stack);
	e2e_replace(path, "    autoPause:\n",
		    "    sparkEventsFolder: /events\n    defaultSparkLogFolder: /logs\n"
		    "    autoPause:\n",
		    false);
	apply_converges(w);
	json_t *log = e2e_log(w);
	char *text = json_dumps(log, 0);
	assert_non_null(strstr(text, "sparkEventsFolder"));
	free(text);
	json_decref(log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(firewall_names_the_rule, setup, teardown),
		cmocka_unit_test_setup_teardown(declared_rule_opens_the_workspace_in_the_same_run,
						setup, teardown),
		cmocka_unit_test_setup_teardown(saved_plan_leaves_the_unread_for_the_next_run,
						setup, teardown),
		cmocka_unit_test_setup_teardown(interrupted_second_round_finishes_in_flight, setup,
						teardown),
		cmocka_unit_test_setup_teardown(role_assignment_behind_the_rule_is_not_read_yet, setup,
						teardown),
		cmocka_unit_test_setup_teardown(refused_prune_lists_prune_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(synapse_rbac_names_the_role_and_waits_for_it, setup,
						teardown),
		cmocka_unit_test_setup_teardown(operation_in_progress_is_retried, setup, teardown),
		cmocka_unit_test_setup_teardown(soft_deleted_ml_workspace_names_the_way_out, setup,
						teardown),
		cmocka_unit_test_setup_teardown(soft_deleted_key_vault_names_the_way_out, setup,
						teardown),
		cmocka_unit_test_setup_teardown(spark_pool_write_only_fields_settle, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
