/*
 * e2ekit.c - the end-to-end tests' shared set-up and checks (e2ekit.h).
 */
#define _GNU_SOURCE /* asprintf */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "e2ekit.h"

int e2e_setup(e2e_world **out, const char *example, const char *const *emu_args,
              const char *const *extra_env)
{
	e2e_world *w = calloc(1, sizeof(*w));
	const char *defaults[] = {"--retry-after", "0", NULL};
	if (!w || emu_start(&w->e, emu_args ? emu_args : defaults) != 0)
		return -1;
	char *const none[] = {NULL};
	char **base = emu_env(w->e, none);
	size_t n = 0, extra = 0;
	while (base[n])
		n++;
	while (extra_env && extra_env[extra])
		extra++;
	w->env = calloc(n + extra + 3, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		w->env[i] = strdup(base[i]);
	w->env[n] = strdup("SYNAPSE_SQL_PASSWORD=" E2E_PASSWORD);
	w->env[n + 1] = strdup("NO_COLOR=1");
	for (size_t i = 0; i < extra; i++)
		w->env[n + 2 + i] = strdup(extra_env[i]);
	emu_env_free(base);
	char *dir = test_tempdir("azapply-e2e");
	if (!dir)
		return -1;
	snprintf(w->dir, sizeof(w->dir), "%s", dir);
	free(dir);
	snprintf(w->stack, sizeof(w->stack), "%s/stack", w->dir);
	char from[1024];
	snprintf(from, sizeof(from), "%s/examples/%s", AZAPPLY_SOURCE_DIR, example);
	if (test_copy_tree(from, w->stack) != 0)
		return -1;
	*out = w;
	return 0;
}

int e2e_teardown(e2e_world *w)
{
	test_remove_tree(w->dir);
	emu_env_free(w->env);
	int status = emu_stop(w->e);
	free(w);
	return status == 0 ? 0 : -1;
}

void e2e_drop_ci_synapse_role(e2e_world *w)
{
	char path[400];
	snprintf(path, sizeof(path), "%s/32-ci-identity.yaml", w->stack);
	char *text = e2e_slurp(path);
	char *role = strstr(text, "---\n# yaml-language-server: "
				  "$schema=../../schemas/SynapseRoleAssignment");
	assert_non_null(role);
	*role = '\0';
	e2e_write(path, text);
	free(text);
}

run_result e2e_run(e2e_world *w, const char *const *argv)
{
	run_result r;
	assert_int_equal(run_command(&r, AZAPPLY_BINARY, argv, (const char *const *)w->env, NULL),
	                 0);
	return r;
}

void e2e_expect(const run_result *r, int code, const char *needle)
{
	if (r->exit_code != code || (needle && !strstr(r->out, needle) && !strstr(r->err, needle))) {
		/* In full: cmocka cuts its own messages short. */
		fprintf(stderr, "stdout:\n%s\nstderr:\n%s\n", r->out, r->err);
		fail_msg("expected exit %d and '%s'; got exit %d (output above)", code,
		         needle ? needle : "", r->exit_code);
	}
	assert_null(strstr(r->out, E2E_PASSWORD));
	assert_null(strstr(r->err, E2E_PASSWORD));
}

void e2e_run_expect(e2e_world *w, const char *const *argv, int code, const char *needle)
{
	run_result r = e2e_run(w, argv);
	e2e_expect(&r, code, needle);
	run_result_free(&r);
}

pid_t e2e_spawn(e2e_world *w, const char *const *argv, const char *log)
{
	size_t n = 0;
	while (argv[n])
		n++;
	char **args = calloc(n + 2, sizeof(char *));
	args[0] = (char *)(uintptr_t)AZAPPLY_BINARY;
	for (size_t i = 0; i < n; i++)
		args[i + 1] = (char *)(uintptr_t)argv[i];
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	const char *to = log ? log : "/dev/null";
	posix_spawn_file_actions_addopen(&fa, 1, to, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	pid_t pid = 0;
	assert_int_equal(posix_spawn(&pid, AZAPPLY_BINARY, &fa, NULL, args, w->env), 0);
	posix_spawn_file_actions_destroy(&fa);
	free(args);
	return pid;
}

int e2e_wait(pid_t pid)
{
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

long e2e_fault_hits(e2e_world *w)
{
	json_t *faults = NULL;
	assert_int_equal(emu_control(w->e, "GET", "faults", NULL, &faults), 200);
	long hits = 0;
	size_t i;
	json_t *f;
	json_array_foreach(json_object_get(faults, "value"), i, f) hits +=
	    (long)json_integer_value(json_object_get(f, "hits"));
	json_decref(faults);
	return hits;
}

void e2e_wait_for_hits(e2e_world *w, long hits)
{
	for (int i = 0; i < 6000; i++) {
		if (e2e_fault_hits(w) >= hits)
			return;
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	fail_msg("the fault rules never fired %ld times", hits);
}

char *e2e_slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
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

void e2e_write(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

void e2e_replace(const char *path, const char *from, const char *to, bool all)
{
	char *text = e2e_slurp(path);
	assert_non_null(strstr(text, from));
	size_t cap = strlen(text) + 1, len = 0;
	for (const char *p = strstr(text, from); p; p = all ? strstr(p + 1, from) : NULL)
		cap += strlen(to);
	char *out = calloc(1, cap);
	const char *p = text;
	for (const char *at = strstr(p, from); at; at = all ? strstr(p, from) : NULL) {
		memcpy(out + len, p, (size_t)(at - p));
		len += (size_t)(at - p);
		memcpy(out + len, to, strlen(to));
		len += strlen(to);
		p = at + strlen(from);
	}
	memcpy(out + len, p, strlen(p) + 1);
	e2e_write(path, out);
	free(out);
	free(text);
}

json_t *e2e_log(e2e_world *w)
{
	json_t *log = NULL;
	assert_int_equal(emu_control(w->e, "GET", "log", NULL, &log), 200);
	return log;
}

void e2e_runner_address(e2e_world *w, const char *ip)
{
	char body[128];
	snprintf(body, sizeof(body), "{\"clientIp\":\"%s\"}", ip);
	assert_int_equal(emu_control(w->e, "PUT", "settings", body, NULL), 200);
}

void e2e_clear_log(e2e_world *w)
{
	assert_int_equal(emu_control(w->e, "DELETE", "log", NULL, NULL), 200);
}

size_t e2e_count_requests(e2e_world *w, const char *method, const char *part)
{
	json_t *log = e2e_log(w);
	size_t n = 0, i;
	json_t *q;
	json_array_foreach(json_object_get(log, "requests"), i, q)
	{
		const char *m = json_string_value(json_object_get(q, "method"));
		const char *p = json_string_value(json_object_get(q, "path"));
		json_int_t status = json_integer_value(json_object_get(q, "status"));
		if (!m || !p || !strstr(p, part) || (method && (status < 200 || status > 299)))
			continue;
		n += method ? !strcmp(m, method) : strcmp(m, "GET") != 0;
	}
	json_decref(log);
	return n;
}

size_t e2e_count_sent(e2e_world *w, const char *method, int status, const char *part)
{
	json_t *log = e2e_log(w);
	size_t n = 0, i;
	json_t *q;
	json_array_foreach(json_object_get(log, "requests"), i, q)
	{
		const char *m = json_string_value(json_object_get(q, "method"));
		const char *p = json_string_value(json_object_get(q, "path"));
		n += m && p && (!method || strcmp(m, method) == 0) &&
		     (!status || json_integer_value(json_object_get(q, "status")) == status) &&
		     strcasestr(p, part);
	}
	json_decref(log);
	return n;
}

json_t *e2e_store(e2e_world *w)
{
	json_t *s = NULL;
	assert_int_equal(emu_control(w->e, "GET", "store", NULL, &s), 200);
	return s;
}

json_t *e2e_arm_get(e2e_world *w, const char *id)
{
	char *path = NULL;
	assert_true(asprintf(&path, "arm%s", id) > 0);
	json_t *body = NULL;
	int status = emu_control(w->e, "GET", path, NULL, &body);
	free(path);
	if (status != 200) {
		json_decref(body);
		return NULL;
	}
	return body;
}

void e2e_arm_put(e2e_world *w, const char *id, const json_t *body)
{
	char *path = NULL;
	assert_true(asprintf(&path, "arm%s", id) > 0);
	char *text = json_dumps(body, JSON_COMPACT);
	int status = emu_control(w->e, "PUT", path, text, NULL);
	assert_true(status == 200 || status == 201);
	free(text);
	free(path);
}

json_t *e2e_arm_read(e2e_world *w, const char *id, const char *api_version)
{
	char *token = emu_token(w->e, "https://management.azure.com/.default");
	assert_non_null(token);
	char *auth = NULL, *url = NULL;
	assert_true(asprintf(&auth, "Authorization: Bearer %s", token) > 0);
	assert_true(asprintf(&url, "%s?api-version=%s", id, api_version) > 0);
	const char *headers[] = {auth, NULL};
	emu_response resp;
	assert_int_equal(emu_http(w->e, &resp, "GET", url, headers, NULL, 0), 0);
	json_t *body = resp.status == 200 ? json_incref(resp.json) : NULL;
	emu_response_free(&resp);
	free(url);
	free(auth);
	free(token);
	return body;
}
