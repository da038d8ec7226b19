/*
 * test_e2e_faults.c - apply under the failures Azure really produces, run
 * as a user runs it: the azapply binary against the emulator with fault
 * rules (throttling, 5xx, dropped connections, operations that end Failed,
 * a trigger update refused, a concurrent change caught by If-Match),
 * tokens that expire mid-apply, and the process itself killed or
 * interrupted. Every scenario ends the same way: a second apply converges,
 * a plan says "No changes", and the emulator's store holds each resource
 * of the example exactly once (nothing lost, nothing duplicated - the role
 * assignment's name is a deterministic UUID, so a retried or repeated
 * create must land on the same one).
 *
 * Speed: the emulator answers Retry-After 0 and ends operations on their
 * first poll, and the child caps its poll wait with
 * AZAPPLY_POLL_MAX_SECONDS=1, so the whole file runs in about a minute.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "run.h"

#define SQL_PASSWORD "e2e-Passw0rd!"
#define WS_ID                                                                                    \
	"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-mlplatform-dev/" \
	"providers/Microsoft.Synapse/workspaces/synw-mlplatform-dev"

/* The example platform: 18 ARM resources (three of them role
 * assignments) and 5 Synapse artifacts. */
/* The Synapse workspace's role on the ML workspace, among the stack's
 * role assignments. */
#define ML_ROLE "mlw-mlplatform-dev/providers/Microsoft.Authorization/roleAssignments/"

enum { ARM_RESOURCES = 18, ARTIFACTS = 5, RESOURCES = ARM_RESOURCES + ARTIFACTS };

typedef struct world {
	emu *e;
	char **env; /* the child's extra environment, NULL-terminated */
	char dir[1024];
	char stack[1100];
} world;

static int setup(void **state)
{
	world *w = calloc(1, sizeof(*w));
	const char *args[] = {"--retry-after", "0", "--lro-polls", "1", NULL};
	if (!w || emu_start(&w->e, args) != 0)
		return -1;
	char *const none[] = {NULL};
	char **base = emu_env(w->e, none);
	size_t n = 0;
	while (base[n])
		n++;
	w->env = calloc(n + 4, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		w->env[i] = strdup(base[i]);
	w->env[n] = strdup("SYNAPSE_SQL_PASSWORD=" SQL_PASSWORD);
	w->env[n + 1] = strdup("NO_COLOR=1");
	w->env[n + 2] = strdup("AZAPPLY_POLL_MAX_SECONDS=1");
	emu_env_free(base);
	snprintf(w->dir, sizeof(w->dir), "%s/tests/e2e/faults-XXXXXX", AZAPPLY_BINARY_DIR);
	if (!mkdtemp(w->dir))
		return -1;
	snprintf(w->stack, sizeof(w->stack), "%s/stack", w->dir);
	if (test_copy_tree(AZAPPLY_SOURCE_DIR "/examples/synapse-ml", w->stack) != 0)
		return -1;
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	world *w = *state;
	test_remove_tree(w->dir);
	emu_env_free(w->env);
	int status = emu_stop(w->e);
	free(w);
	/* A clean emulator exit means it leaked nothing under ASan. */
	return status == 0 ? 0 : -1;
}

/* Runs azapply with up to 7 arguments (NULL-terminated) and waits for it. */
static run_result azapply(world *w, const char *a, ...)
{
	const char *argv[8] = {a};
	va_list ap;
	va_start(ap, a);
	for (size_t i = 1; i < 7 && argv[i - 1]; i++)
		argv[i] = va_arg(ap, const char *);
	va_end(ap);
	run_result r;
	assert_int_equal(run_command(&r, AZAPPLY_BINARY, argv, (const char *const *)w->env, NULL),
			 0);
	return r;
}

/* Starts `azapply apply STACK --env dev --auto-approve` in the background,
 * its output going to `log` (a path), for tests that signal it mid-apply. */
static pid_t spawn_apply(world *w, const char *log)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0)
			_exit(127);
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
		for (size_t i = 0; w->env[i]; i++) {
			char *eq = strchr(w->env[i], '=');
			*eq = '\0';
			setenv(w->env[i], eq + 1, 1);
		}
		char *argv[] = {(char *)(uintptr_t)AZAPPLY_BINARY, "apply", w->stack, "--env", "dev",
				"--auto-approve", NULL};
		execv(AZAPPLY_BINARY, argv);
		_exit(127);
	}
	return pid;
}

/* Waits for a spawned child; its exit code, or -1 when a signal ended it. */
static int wait_child(pid_t pid)
{
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *text = calloc(1, (size_t)n + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return text;
}

static void expect_text(const char *out, const char *err, int exit_code, int code,
			const char *needle)
{
	if (exit_code != code || (needle && !strstr(out, needle) && !strstr(err, needle)))
		fail_msg("expected exit %d and '%s'; got exit %d\nstdout:\n%s\nstderr:\n%s", code,
			 needle ? needle : "", exit_code, out, err);
	/* However a run ends, the secret never shows. */
	assert_null(strstr(out, SQL_PASSWORD));
	assert_null(strstr(err, SQL_PASSWORD));
}

static void expect(const run_result *r, int code, const char *needle)
{
	expect_text(r->out, r->err, r->exit_code, code, needle);
}

static size_t count_of(const char *text, const char *needle)
{
	size_t n = 0;
	for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static void control(world *w, const char *method, const char *path, const char *body)
{
	json_t *answer = NULL;
	int status = emu_control(w->e, method, path, body, &answer);
	if (status != 200) {
		char *text = answer ? json_dumps(answer, 0) : NULL;
		fail_msg("%s /_emulator/%s: %d %s", method, path, status, text ? text : "");
	}
	json_decref(answer);
}

static void add_fault(world *w, const char *rule)
{
	control(w, "POST", "faults", rule);
}

/* How often the fault rules fired, all together. */
static long fault_hits(world *w)
{
	json_t *faults = NULL;
	assert_int_equal(emu_control(w->e, "GET", "faults", NULL, &faults), 200);
	long hits = 0;
	size_t i;
	json_t *f;
	json_array_foreach(json_object_get(faults, "value"), i, f)
		hits += (long)json_integer_value(json_object_get(f, "hits"));
	json_decref(faults);
	return hits;
}

/* Waits (at most 60 s) until the fault rules fired `hits` times: a rule
 * with a delay fires as its request arrives, so the request is then in
 * flight, held by the emulator. */
static void wait_for_hits(world *w, long hits)
{
	for (int i = 0; i < 6000; i++) {
		if (fault_hits(w) >= hits)
			return;
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	fail_msg("the fault rules never fired %ld times", hits);
}

/* Starts an apply in the background (output to `log` in the test's
 * directory) with the write matched by `held` (a path regex) held back
 * 1.5 s by the emulator, and returns once that write is in flight. */
static pid_t start_held_apply(world *w, const char *held, char *log, size_t log_size,
			      const char *name)
{
	char rule[512];
	snprintf(rule, sizeof(rule),
		 "{\"method\":\"PUT\",\"path\":\"%s\",\"delayMs\":1500,\"times\":1}", held);
	add_fault(w, rule);
	snprintf(log, log_size, "%s/%s.log", w->dir, name);
	pid_t pid = spawn_apply(w, log);
	wait_for_hits(w, 1);
	return pid;
}

static void edit_file(const char *path, const char *from, const char *to)
{
	char *text = slurp(path);
	char *at = strstr(text, from);
	assert_non_null(at);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
	fclose(f);
	free(text);
}

static void edit_stack_file(world *w, const char *name, const char *from, const char *to)
{
	char path[1200];
	snprintf(path, sizeof(path), "%s/%s", w->stack, name);
	edit_file(path, from, to);
}

/* The emulator's whole store: every resource of the example exactly once,
 * and the lock container of the stack instance (apply holds the lock). */
static void check_store(world *w)
{
	json_t *store = NULL;
	assert_int_equal(emu_control(w->e, "GET", "store", NULL, &store), 200);
	json_t *arm = json_object_get(store, "arm");
	size_t roles = 0, locks = 0, ml_own = 0;
	const char *id;
	json_t *v;
	json_object_foreach(arm, id, v) {
		if (strstr(id, "/roleassignments/"))
			roles++;
		if (strstr(id, "/containers/azapply-lock-mlplatform-dev"))
			locks++;
		/* The ML workspace's own datastores, which Azure makes with it,
		 * are not the stack's. */
		if (strstr(id, "/datastores/workspace"))
			ml_own++;
	}
	size_t artifacts = 0;
	const char *ws, *collection;
	json_t *cols, *items;
	json_object_foreach(json_object_get(store, "synapse"), ws, cols) {
		json_object_foreach(cols, collection, items) {
			/* Synapse RBAC (CI's role) is no artifact. */
			if (!strncasecmp(collection, "roleAssignments", 15))
				continue;
			/* The workspace's own default linked services are not the
			 * stack's artifacts. */
			const char *name;
			json_t *item;
			json_object_foreach(items, name, item)
				artifacts += !strstr(name, "-workspacedefault");
		}
	}
	if (json_object_size(arm) != ARM_RESOURCES + locks + ml_own || locks > 1 || roles != 3 ||
	    artifacts != ARTIFACTS) {
		char *text = json_dumps(arm, JSON_INDENT(1));
		fail_msg("store: %zu ARM resources (%zu role assignments), %zu artifacts:\n%s",
			 json_object_size(arm), roles, artifacts, text ? text : "");
	}
	json_decref(store);
}

/* The end of every scenario: no fault left, apply converges, the plan
 * settles, and nothing was lost or duplicated. */
static void converge(world *w)
{
	control(w, "DELETE", "faults", NULL);
	run_result r = azapply(w, "apply", w->stack, "--env", "dev", "--auto-approve", NULL);
	if (r.exit_code != 0)
		expect(&r, 0, NULL);
	expect(&r, 0, strstr(r.out, "No changes") ? "No changes" : "Apply complete");
	run_result_free(&r);
	r = azapply(w, "plan", w->stack, "--env", "dev", "--detailed-exitcode", NULL);
	expect(&r, 0, "No changes. Azure matches the manifests (27 resources, environment dev).");
	run_result_free(&r);
	check_store(w);
}

static void apply_all(world *w)
{
	run_result r = azapply(w, "apply", w->stack, "--env", "dev", "--auto-approve", NULL);
	expect(&r, 0, "Apply complete: 27 done, 0 failed, 0 skipped.");
	run_result_free(&r);
}

/* An out-of-band read of an ARM resource through the control API. */
static json_t *arm_get(world *w, const char *id)
{
	char path[1024];
	snprintf(path, sizeof(path), "arm%s", id);
	json_t *body = NULL;
	assert_int_equal(emu_control(w->e, "GET", path, NULL, &body), 200);
	return body;
}

/* A GET of an artifact on the workspace's data plane, as a client sees it. */
static json_t *artifact_get(world *w, const char *path)
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
	assert_int_equal(resp.status, 200);
	json_t *body = json_incref(resp.json);
	emu_response_free(&resp);
	free(token);
	return body;
}

static const char *props_string(json_t *body, const char *name)
{
	return json_string_value(json_object_get(json_object_get(body, "properties"), name));
}

/* ARM throttles with 429 and Retry-After, and so does the Synapse data
 * plane: every write waits as told and goes on. The first resource group
 * write meets most of the storm on its own (it is the only write ready). */
static void throttled_writes_are_retried(void **state)
{
	world *w = *state;
	add_fault(w, "{\"method\":\"PUT\",\"path\":\"^/subscriptions/\",\"status\":429,"
		     "\"headers\":{\"Retry-After\":\"0\"},\"body\":{\"error\":{\"code\":"
		     "\"TooManyRequests\",\"message\":\"The request is being throttled.\"}},"
		     "\"times\":9}");
	add_fault(w, "{\"method\":\"PUT\",\"host\":\"synw-mlplatform-dev.dev.localhost\","
		     "\"status\":429,\"headers\":{\"Retry-After\":\"0\"},\"body\":{\"code\":"
		     "\"TooManyRequests\",\"message\":\"Rate limit exceeded.\"},\"times\":6}");
	apply_all(w);
	assert_int_equal(fault_hits(w), 15);
	converge(w);
}

/* 503 on writes and 500 on reads during the refresh are transient. */
static void server_errors_are_retried(void **state)
{
	world *w = *state;
	add_fault(w, "{\"method\":\"PUT\",\"path\":\"^/subscriptions/\",\"status\":503,"
		     "\"body\":{\"error\":{\"code\":\"ServiceUnavailable\",\"message\":"
		     "\"Try again later.\"}},\"times\":2}");
	add_fault(w, "{\"method\":\"PUT\",\"host\":\"synw-mlplatform-dev.dev.localhost\","
		     "\"status\":503,\"body\":{\"code\":\"ServiceUnavailable\",\"message\":"
		     "\"Try again later.\"},\"times\":2}");
	apply_all(w);
	assert_int_equal(fault_hits(w), 4);
	control(w, "DELETE", "faults", NULL);

	/* The refresh of a settled stack: its first reads fail, then pass. */
	edit_stack_file(w, "azapply.yaml", "sparkMaxNodes: 3", "sparkMaxNodes: 4");
	add_fault(w, "{\"method\":\"GET\",\"path\":\"^/subscriptions/.*/resourceGroups/"
		     "rg-mlplatform-dev/providers/Microsoft.Synapse/workspaces/"
		     "synw-mlplatform-dev/bigDataPools\",\"status\":500,\"body\":{\"error\":"
		     "{\"code\":\"InternalServerError\",\"message\":\"Try again.\"}},\"times\":2}");
	run_result r = azapply(w, "apply", w->stack, "--env", "dev", "--auto-approve", NULL);
	expect(&r, 0, "Apply complete: 1 done, 0 failed, 0 skipped.");
	assert_non_null(strstr(r.out, "~ properties.autoScale.maxNodeCount: 3 -> 4"));
	run_result_free(&r);
	assert_int_equal(fault_hits(w), 2);
	converge(w);
}

/* A connection dropped under a write and under a poll: sent again. */
static void dropped_connections_are_retried(void **state)
{
	world *w = *state;
	add_fault(w, "{\"method\":\"PUT\",\"path\":\"storageAccounts/stmlplatformdev\\\\?\","
		     "\"drop\":true,\"times\":1}");
	add_fault(w, "{\"method\":\"GET\",\"path\":\"asyncoperations|operationResults|"
		     "operationStatuses\",\"drop\":true,\"times\":2}");
	apply_all(w);
	assert_int_equal(fault_hits(w), 3);
	converge(w);
}

/* An operation that ends Failed fails its resource once, with the root
 * cause; what depends on it is skipped, everything else is done. */
static void failed_operation_skips_dependents(void **state)
{
	world *w = *state;
	add_fault(w, "{\"method\":\"PUT\",\"path\":\"/workspaces/synw-mlplatform-dev\\\\?\","
		     "\"lroResult\":\"Failed\",\"lroError\":{\"code\":\"InternalServerError\","
		     "\"message\":\"The workspace could not be provisioned.\"},\"times\":1}");
	run_result r = azapply(w, "apply", w->stack, "--env", "dev", "--auto-approve", NULL);
	expect(&r, 1, "Apply incomplete: 14 done, 1 failed, 12 skipped.");
	assert_non_null(strstr(r.out, "SynapseWorkspace/synapse: failed"));
	assert_non_null(strstr(r.out, "MlWorkspace/ml: created"));
	assert_non_null(strstr(r.out, "SparkPool/spark: skipped (SynapseWorkspace/synapse failed)"));
	/* The trigger waits on the pipeline, not on the workspace directly:
	 * still the root cause is named, not the step in between. */
	assert_non_null(strstr(r.out, "Trigger/nightly: skipped (SynapseWorkspace/synapse failed)"));
	assert_int_equal(count_of(r.err, "could not be provisioned"), 1);
	assert_int_equal(count_of(r.err, "error:"), 1);
	assert_non_null(strstr(r.err, "in SynapseWorkspace/synapse"));
	run_result_free(&r);
	converge(w);
	/* The failed workspace was provisioned again, not left Failed. */
	json_t *ws = arm_get(w, WS_ID);
	assert_string_equal(props_string(ws, "provisioningState"), "Succeeded");
	json_decref(ws);
}

/* A started trigger whose update fails is started again. */
static void trigger_restarted_after_failed_update(void **state)
{
	world *w = *state;
	apply_all(w);
	edit_stack_file(w, "43-trigger.yaml", "Retrain every night at 02:00 UTC",
			"Retrain every night");
	add_fault(w, "{\"method\":\"PUT\",\"path\":\"^/triggers/nightly\",\"status\":400,"
		     "\"body\":{\"code\":\"BadRequest\",\"message\":\"The trigger definition is "
		     "invalid.\"},\"times\":1}");
	run_result r = azapply(w, "apply", w->stack, "--env", "dev", "--auto-approve", NULL);
	expect(&r, 1, "Apply incomplete: 0 done, 1 failed, 0 skipped.");
	assert_non_null(strstr(r.err, "The trigger definition is invalid."));
	run_result_free(&r);
	json_t *trigger = artifact_get(w, "triggers/nightly");
	assert_string_equal(props_string(trigger, "runtimeState"), "Started");
	assert_string_equal(props_string(trigger, "description"), "Retrain every night at 02:00 UTC");
	json_decref(trigger);
	converge(w);
	trigger = artifact_get(w, "triggers/nightly");
	assert_string_equal(props_string(trigger, "runtimeState"), "Started");
	assert_string_equal(props_string(trigger, "description"), "Retrain every night");
	json_decref(trigger);
}

/* Tokens that live one second, and an apply that lasts longer: the
 * workspace's write is held 2.5 s, so every token fetched before it has
 * expired when the writes that follow it go out. */
static void tokens_renewed_mid_apply(void **state)
{
	world *w = *state;
	control(w, "PUT", "settings", "{\"tokenLifetime\":1}");
	add_fault(w, "{\"method\":\"PUT\",\"path\":\"/workspaces/synw-mlplatform-dev\\\\?\","
		     "\"delayMs\":2500,\"times\":1}");
	control(w, "DELETE", "log", NULL);
	apply_all(w);
	json_t *log = NULL;
	assert_int_equal(emu_control(w->e, "GET", "log", NULL, &log), 200);
	bool held = false, renewed = false;
	size_t i;
	json_t *req;
	json_array_foreach(json_object_get(log, "requests"), i, req) {
		const char *host = json_string_value(json_object_get(req, "host"));
		const char *path = json_string_value(json_object_get(req, "path"));
		if (strstr(path, "/workspaces/synw-mlplatform-dev?"))
			held = true;
		else if (held && host && strcmp(host, "login.localhost") == 0)
			renewed = true;
	}
	json_decref(log);
	assert_true(held);
	assert_true(renewed);
	control(w, "PUT", "settings", "{\"tokenLifetime\":3599}");
	converge(w);
}

/* kill -9 while writes are in flight, one of them the role assignment:
 * the next apply finds what the dead one created and duplicates nothing. */
static void killed_mid_apply(void **state)
{
	world *w = *state;
	char log[1200];
	pid_t pid = start_held_apply(w, ML_ROLE, log, sizeof(log), "killed");
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(wait_child(pid), -1);
	/* The emulator finishes the write the dead process sent. */
	struct timespec ts = {2, 0};
	nanosleep(&ts, NULL);
	json_t *store = NULL;
	assert_int_equal(emu_control(w->e, "GET", "store", NULL, &store), 200);
	size_t roles = 0;
	const char *id;
	json_t *v;
	json_object_foreach(json_object_get(store, "arm"), id, v)
		roles += strstr(id, "mlw-mlplatform-dev/providers/microsoft.authorization/"
				     "roleassignments/") != NULL; /* kept lower case */
	json_decref(store);
	assert_int_equal(roles, 1);
	control(w, "DELETE", "log", NULL);
	converge(w);
	/* The next apply read the assignment under its deterministic name
	 * and never wrote it again. */
	json_t *requests = NULL;
	assert_int_equal(emu_control(w->e, "GET", "log", NULL, &requests), 200);
	size_t i;
	json_t *req;
	json_array_foreach(json_object_get(requests, "requests"), i, req) {
		const char *method = json_string_value(json_object_get(req, "method"));
		const char *path = json_string_value(json_object_get(req, "path"));
		if (strcmp(method, "PUT") == 0 && strstr(path, ML_ROLE))
			fail_msg("the role assignment was written again: %s", path);
	}
	json_decref(requests);
}

/* One Ctrl-C: nothing new starts, what is in flight ends, exit 1. */
static void interrupted_apply_finishes_in_flight(void **state)
{
	world *w = *state;
	char log[1200];
	pid_t pid = start_held_apply(w, "/workspaces/synw-mlplatform-dev\\\\?", log, sizeof(log),
				     "interrupted");
	assert_int_equal(kill(pid, SIGINT), 0);
	int code = wait_child(pid);
	char *out = slurp(log);
	expect_text(out, "", code, 1, "interrupted: starting nothing new");
	/* The workspace in flight was finished and recorded, not abandoned. */
	assert_non_null(strstr(out, "SynapseWorkspace/synapse: created"));
	assert_non_null(strstr(out, "some not started (interrupted)"));
	assert_null(strstr(out, "SparkPool/spark: creating"));
	free(out);
	json_t *ws = arm_get(w, WS_ID);
	assert_string_equal(props_string(ws, "provisioningState"), "Succeeded");
	json_decref(ws);
	converge(w);
}

/* A saved plan is applied only against what it was made from. */
static void saved_plan_refused_after_changes(void **state)
{
	world *w = *state;
	apply_all(w);
	char plan[1200];
	snprintf(plan, sizeof(plan), "%s/plan.json", w->dir);
	edit_stack_file(w, "azapply.yaml", "sparkMaxNodes: 3", "sparkMaxNodes: 5");
	run_result r = azapply(w, "plan", w->stack, "--env", "dev", "--out", plan, NULL);
	expect(&r, 0, "Plan: 0 to add, 1 to change");
	run_result_free(&r);

	/* Someone changes the pool it read: refused, naming the pool. */
	control(w, "PATCH", "arm" WS_ID "/bigDataPools/sparkml",
		"{\"properties\":{\"autoPause\":{\"delayInMinutes\":30}}}");
	r = azapply(w, "apply", plan, "--auto-approve", NULL);
	expect(&r, 1, "changed in Azure since");
	assert_non_null(strstr(r.err, "SparkPool/spark"));
	assert_null(strstr(r.out, "Apply complete"));
	/* The hint is the exact command: the stack's folder, its environment. */
	char replan[2600];
	snprintf(replan, sizeof(replan), "run `azapply plan %s --env dev --out %s` again", w->stack,
		 plan);
	if (!strstr(r.err, replan))
		fail_msg("expected '%s' in:\n%s", replan, r.err);
	run_result_free(&r);

	/* Planned again, then a manifest edited: refused. */
	r = azapply(w, "plan", w->stack, "--env", "dev", "--out", plan, NULL);
	expect(&r, 0, "Plan: 0 to add, 1 to change");
	run_result_free(&r);
	edit_stack_file(w, "22-sql-pool.yaml", "name: DW100c", "name: DW200c");
	r = azapply(w, "apply", plan, "--auto-approve", NULL);
	expect(&r, 1, "the manifests changed since");
	run_result_free(&r);

	/* Nothing changed since: applied as planned. */
	edit_stack_file(w, "22-sql-pool.yaml", "name: DW200c", "name: DW100c");
	r = azapply(w, "apply", plan, "--auto-approve", NULL);
	expect(&r, 0, "Apply complete: 1 done, 0 failed, 0 skipped.");
	run_result_free(&r);
	json_t *pool = arm_get(w, WS_ID "/bigDataPools/sparkml");
	json_t *auto_scale = json_object_get(json_object_get(pool, "properties"), "autoScale");
	assert_int_equal(json_integer_value(json_object_get(auto_scale, "maxNodeCount")), 5);
	json_decref(pool);
	converge(w);
}

/* A change made in Azure between the read and the write is not
 * overwritten: If-Match answers 412 and apply says what happened. */
static void concurrent_change_not_overwritten(void **state)
{
	world *w = *state;
	apply_all(w);
	edit_stack_file(w, "artifacts/predict-churn.json",
			"Score customers with the model stored in the dedicated pool",
			"Score customers with the churn model");
	char log[1200];
	pid_t pid = start_held_apply(w, "^/sqlScripts/predict-churn", log, sizeof(log), "concurrent");
	/* A colleague saves the script while azapply's write is on its way. */
	control(w, "PUT", "synapse/synw-mlplatform-dev/sqlScripts/predict-churn",
		"{\"name\":\"predict-churn\",\"properties\":{\"type\":\"SqlQuery\","
		"\"description\":\"edited in Synapse Studio\","
		"\"content\":{\"query\":\"select 2\"}}}");
	int code = wait_child(pid);
	char *out = slurp(log);
	expect_text(out, "", code, 1, "changed in Azure since it was planned");
	assert_non_null(strstr(out, "SqlScript/predict"));
	assert_non_null(strstr(out, "azapply plan"));
	assert_non_null(strstr(out, "412"));
	free(out);
	json_t *script = artifact_get(w, "sqlScripts/predict-churn");
	assert_string_equal(props_string(script, "description"), "edited in Synapse Studio");
	json_decref(script);

	/* An ARM kind with an etag (Application Insights), refused by a rule. */
	edit_stack_file(w, "04-app-insights.yaml", "Application_Type: web",
			"Application_Type: web\n    RetentionInDays: 120");
	add_fault(w, "{\"method\":\"PUT\",\"path\":\"components/appi-mlplatform-dev\\\\?\","
		     "\"status\":412,\"body\":{\"error\":{\"code\":\"PreconditionFailed\","
		     "\"message\":\"The condition specified using HTTP conditional header(s) is "
		     "not met.\"}},\"times\":1}");
	run_result r = azapply(w, "apply", w->stack, "--env", "dev", "--auto-approve", NULL);
	expect(&r, 1, "changed in Azure since it was planned");
	assert_non_null(strstr(r.err, "ApplicationInsights/insights"));
	run_result_free(&r);
	converge(w);
	script = artifact_get(w, "sqlScripts/predict-churn");
	assert_string_equal(props_string(script, "description"), "Score customers with the churn model");
	json_decref(script);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(throttled_writes_are_retried, setup, teardown),
		cmocka_unit_test_setup_teardown(server_errors_are_retried, setup, teardown),
		cmocka_unit_test_setup_teardown(dropped_connections_are_retried, setup, teardown),
		cmocka_unit_test_setup_teardown(failed_operation_skips_dependents, setup, teardown),
		cmocka_unit_test_setup_teardown(trigger_restarted_after_failed_update, setup,
						teardown),
		cmocka_unit_test_setup_teardown(tokens_renewed_mid_apply, setup, teardown),
		cmocka_unit_test_setup_teardown(killed_mid_apply, setup, teardown),
		cmocka_unit_test_setup_teardown(interrupted_apply_finishes_in_flight, setup, teardown),
		cmocka_unit_test_setup_teardown(saved_plan_refused_after_changes, setup, teardown),
		cmocka_unit_test_setup_teardown(concurrent_change_not_overwritten, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
