/*
 * test_e2e_secrets.c - secrets that come back on error paths, run as a user
 * runs azapply: the binary against the emulator, whose fault rules make
 * Azure echo what the request carried - the SQL administrator password from
 * ${env.X} in a refused write and in a failed read, a password written
 * literally in the manifest (a kind's secret path) in a long-running
 * operation's error, and a Synapse SecureString in a data-plane error. The
 * value must never reach stdout or stderr, in text, in --output json, in
 * the -v trace or in the progress lines; "(sensitive)" stands in its place.
 *
 * A core dump of a running azapply would hold the same secrets, so the last
 * test reads /proc/<pid>/limits of one mid-apply: no core file, ever.
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
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "run.h"

#define SQL_PASSWORD "e2e-Passw0rd!"
#define LITERAL_PASSWORD "Literal-Pa55word-7"
#define LINKED_KEY "LinkedSvc-Key-0042"
#define MASK "(sensitive)"

typedef struct world {
	emu *e;
	const char **env; /* the emulator's environment and the example's secret */
	char **emu_env;
	char *dir;
	char stack[1100];
} world;

static int setup(void **state)
{
	world *w = calloc(1, sizeof(*w));
	const char *args[] = {"--retry-after", "0", "--lro-polls", "1", NULL};
	if (!w || emu_start(&w->e, args) != 0)
		return -1;
	char *const none[] = {NULL};
	w->emu_env = emu_env(w->e, none);
	w->env = test_env_with(w->emu_env, "SYNAPSE_SQL_PASSWORD=" SQL_PASSWORD, "NO_COLOR=1",
			       "AZAPPLY_POLL_MAX_SECONDS=1", NULL);
	w->dir = test_tempdir("e2e-secrets");
	if (!w->dir)
		return -1;
	snprintf(w->stack, sizeof(w->stack), "%s/stack", w->dir);
	*state = w;
	return test_copy_tree(AZAPPLY_SOURCE_DIR "/examples/synapse-ml", w->stack);
}

static int teardown(void **state)
{
	world *w = *state;
	test_remove_tree(w->dir);
	free(w->dir);
	free(w->env);
	emu_env_free(w->emu_env);
	int status = emu_stop(w->e);
	free(w);
	return status == 0 ? 0 : -1;
}

/* Runs `azapply apply STACK --env dev --auto-approve` with `extra` (one
 * more argument, or NULL), or with `argv` when given. */
static run_result azapply(world *w, const char *const *argv, const char *extra)
{
	const char *apply[] = {"apply", w->stack, "--env", "dev", "--auto-approve", extra, NULL};
	run_result r;
	assert_int_equal(run_command(&r, AZAPPLY_BINARY, argv ? argv : apply, w->env, NULL), 0);
	return r;
}

/* The run ended as expected, said `needle` with the secret blanked, and
 * the secret itself appears nowhere. */
static void expect_blanked(const run_result *r, int code, const char *needle, const char *secret)
{
	if (r->exit_code != code || !strstr(r->err, needle) || strstr(r->out, secret) ||
	    strstr(r->err, secret))
		fail_msg("expected exit %d, '%s' on stderr and no '%s'; got exit %d\nstdout:\n%s\n"
			 "stderr:\n%s",
			 code, needle, secret, r->exit_code, r->out, r->err);
}

static void add_fault(world *w, const char *rule)
{
	json_t *answer = NULL;
	int status = emu_control(w->e, "POST", "faults", rule, &answer);
	json_decref(answer);
	assert_int_equal(status, 200);
}

static void clear_faults(world *w)
{
	assert_int_equal(emu_control(w->e, "DELETE", "faults", NULL, NULL), 200);
}

/* Replaces the first `from` in a file of the stack by `to`. */
static void edit_stack_file(world *w, const char *name, const char *from, const char *to)
{
	char path[1200], text[16384];
	snprintf(path, sizeof(path), "%s/%s", w->stack, name);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	char *at = strstr(text, from);
	assert_non_null(at);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
	fclose(f);
}

/* ARM refuses the workspace naming the password it was sent (from
 * ${env.SYNAPSE_SQL_PASSWORD}); then a read fails naming it, for a plan
 * asked for as JSON. Traced with -v both times. */
static void refused_password_is_blanked(void **state)
{
	world *w = *state;
	add_fault(w, "{\"method\":\"PUT\",\"path\":\"/workspaces/synw-mlplatform-dev\\\\?\","
		     "\"status\":400,\"body\":{\"error\":{\"code\":\"InvalidPassword\",\"message\":"
		     "\"The password " SQL_PASSWORD " does not meet the complexity requirements.\","
		     "\"details\":[{\"code\":\"Echo\",\"message\":\"got " SQL_PASSWORD "\"}]}},"
		     "\"times\":1}");
	run_result r = azapply(w, NULL, "-v");
	expect_blanked(&r, 1, "The password " MASK " does not meet the complexity", SQL_PASSWORD);
	assert_non_null(strstr(r.err, "got " MASK));
	assert_non_null(strstr(r.out, "SynapseWorkspace/synapse: failed"));
	run_result_free(&r);
	clear_faults(w);

	add_fault(w, "{\"method\":\"GET\",\"path\":\"Microsoft.Synapse/workspaces\","
		     "\"status\":400,\"body\":{\"error\":{\"code\":\"BadRequest\",\"message\":"
		     "\"Cannot read with password " SQL_PASSWORD ".\"}}}");
	const char *plan[] = {"plan", w->stack, "--env", "dev", "--output", "json", "-v", NULL};
	r = azapply(w, plan, NULL);
	expect_blanked(&r, 1, "Cannot read with password " MASK ".", SQL_PASSWORD);
	run_result_free(&r);
}

/* A password written in the manifest (the kind's secret path, not from
 * the environment) echoed by the operation's error; then a SecureString
 * of a linked service echoed by the Synapse data plane. */
static void operation_and_data_plane_errors_are_blanked(void **state)
{
	world *w = *state;
	edit_stack_file(w, "20-synapse-workspace.yaml", "${env.SYNAPSE_SQL_PASSWORD}",
			LITERAL_PASSWORD);
	add_fault(w, "{\"method\":\"PUT\",\"path\":\"/workspaces/synw-mlplatform-dev\\\\?\","
		     "\"lroResult\":\"Failed\",\"lroError\":{\"code\":\"InvalidPassword\","
		     "\"message\":\"Password '" LITERAL_PASSWORD "' was rejected.\"},\"times\":1}");
	run_result r = azapply(w, NULL, NULL);
	expect_blanked(&r, 1, "Password '" MASK "' was rejected.", LITERAL_PASSWORD);
	run_result_free(&r);
	clear_faults(w);

	edit_stack_file(w, "40-linked-service.yaml", "      authentication: MSI",
			"      servicePrincipalId: 11111111-2222-3333-4444-555555555555\n"
			"      servicePrincipalKey:\n"
			"        type: SecureString\n"
			"        value: " LINKED_KEY "\n"
			"      tenant: 00000000-0000-0000-0000-000000000001");
	add_fault(w, "{\"method\":\"PUT\",\"host\":\"synw-mlplatform-dev.dev.localhost\","
		     "\"path\":\"^/linkedservices/AzureMLService\",\"status\":400,\"body\":{"
		     "\"code\":\"InvalidCredential\",\"message\":\"The key " LINKED_KEY
		     " is not valid for the service principal.\"},\"times\":1}");
	r = azapply(w, NULL, "-v");
	expect_blanked(&r, 1, "The key " MASK " is not valid", LINKED_KEY);
	assert_non_null(strstr(r.out, "LinkedService/azureml: failed"));
	run_result_free(&r);
}

/* Waits (at most 30 s) until the fault rules fired at least once. */
static void wait_for_a_hit(world *w)
{
	for (int i = 0; i < 3000; i++) {
		json_t *faults = NULL;
		assert_int_equal(emu_control(w->e, "GET", "faults", NULL, &faults), 200);
		json_int_t hits = json_integer_value(
		    json_object_get(json_array_get(json_object_get(faults, "value"), 0), "hits"));
		json_decref(faults);
		if (hits > 0)
			return;
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	fail_msg("the fault rule never fired");
}

/* A running azapply allows no core file: its limit is 0, even when the
 * shell that started it allowed them (raised here as far as it may go). */
static void running_azapply_dumps_no_core(void **state)
{
	world *w = *state;
	add_fault(w, "{\"method\":\"PUT\",\"path\":\"/workspaces/synw-mlplatform-dev\\\\?\","
		     "\"delayMs\":3000,\"times\":1}");
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit core;
		if (getrlimit(RLIMIT_CORE, &core) == 0) {
			core.rlim_cur = core.rlim_max;
			setrlimit(RLIMIT_CORE, &core);
		}
		if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr))
			_exit(127);
		for (size_t i = 0; w->env[i]; i++) {
			const char *eq = strchr(w->env[i], '=');
			char *name = strndup(w->env[i], (size_t)(eq - w->env[i]));
			setenv(name, eq + 1, 1);
		}
		char *argv[] = {(char *)(uintptr_t)AZAPPLY_BINARY, "apply", w->stack, "--env", "dev",
				"--auto-approve", NULL};
		execv(AZAPPLY_BINARY, argv);
		_exit(127);
	}
	wait_for_a_hit(w);
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/limits", (int)pid);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char soft[32] = "", hard[32] = "";
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "Max core file size", 18) == 0)
			assert_int_equal(sscanf(line + 18, "%31s %31s", soft, hard), 2);
	fclose(f);
	/* Not dumpable: /proc/<pid> then belongs to root (proc(5)), which only
	 * shows when the test is not root itself. */
	struct stat st;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	bool root_owned = stat(path, &st) == 0 && st.st_uid == 0;
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_string_equal(soft, "0");
	assert_string_equal(hard, "0");
	if (geteuid() != 0)
		assert_true(root_owned);
	assert_true(WIFEXITED(status));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(refused_password_is_blanked, setup, teardown),
		cmocka_unit_test_setup_teardown(operation_and_data_plane_errors_are_blanked, setup,
						teardown),
		cmocka_unit_test_setup_teardown(running_azapply_dumps_no_core, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
