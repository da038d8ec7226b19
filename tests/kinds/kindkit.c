/*
 * kindkit.c - the helpers every per-kind behaviour test shares: a stack
 * folder per test, runs of the binary that never let the SQL password
 * through, edits of the manifests between runs, and direct requests to
 * the emulator for what a test makes "outside azapply".
 */
#define _GNU_SOURCE /* asprintf, strndup */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kindkit.h"

char *kit_read_text(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		fail_msg("cannot read %s", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *text = malloc((size_t)n + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
	text[n] = '\0';
	fclose(f);
	return text;
}

void kit_write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

char *kit_stack_file(world *w, const char *name)
{
	char *path = NULL;
	assert_true(asprintf(&path, "%s/%s.yaml", w->stack, name) > 0);
	return path;
}

void kit_edit(world *w, const char *name, const char *from, const char *to)
{
	char *path = kit_stack_file(w, name);
	char *text = kit_read_text(path);
	char *at = strstr(text, from);
	if (!at)
		fail_msg("%s: no '%s' to edit", path, from);
	char *out = NULL;
	assert_true(asprintf(&out, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from)) > 0);
	kit_write_text(path, out);
	free(out);
	free(text);
	free(path);
}

void kit_copy_in(world *w, const char *from_dir, const char *name, const char *to_name)
{
	char *src = NULL;
	assert_true(asprintf(&src, "%s/tests/kinds/%s/%s", AZAPPLY_SOURCE_DIR, from_dir, name) > 0);
	char *text = kit_read_text(src);
	char *dst = NULL;
	assert_true(asprintf(&dst, "%s/%s", w->stack, to_name) > 0);
	kit_write_text(dst, text);
	free(dst);
	free(text);
	free(src);
}

json_t *kit_load_json(const char *rel)
{
	char *path = NULL;
	assert_true(asprintf(&path, "%s/tests/kinds/%s", AZAPPLY_SOURCE_DIR, rel) > 0);
	json_error_t err;
	json_t *v = json_load_file(path, 0, &err);
	if (!v)
		fail_msg("%s:%d: %s", path, err.line, err.text);
	free(path);
	return v;
}

run_result kit_azapply(world *w, const char *const *args)
{
	char *password = NULL;
	const char *secret = w->password ? w->password : PASSWORD;
	assert_true(asprintf(&password, "SYNAPSE_SQL_PASSWORD=%s", secret) > 0);
	const char **env = test_env_with(w->env, password, "NO_COLOR=1", NULL);
	run_result r;
	assert_int_equal(run_command(&r, AZAPPLY_BINARY, args, env, NULL), 0);
	free(env);
	free(password);
	if (strstr(r.out, secret) || strstr(r.err, secret) || strstr(r.out, PASSWORD) ||
	    strstr(r.err, PASSWORD))
		fail_msg("azapply %s printed the SQL password", args[0]);
	return r;
}

run_result kit_run(world *w, const char *verb, const char *extra, int code)
{
	const char *args[] = {verb, w->stack, "--env", "test", extra, NULL};
	run_result r = kit_azapply(w, args);
	if (r.exit_code != code) {
		/* cmocka cuts long messages: the whole output goes to stderr. */
		fprintf(stderr, "stdout:\n%s\nstderr:\n%s\n", r.out, r.err);
		fail_msg("azapply %s: expected exit %d, got %d", verb, code, r.exit_code);
	}
	return r;
}

void kit_expect_in(const run_result *r, const char *needle)
{
	if (!strstr(r->out, needle) && !strstr(r->err, needle))
		fail_msg("expected '%s' in\nstdout:\n%s\nstderr:\n%s", needle, r->out, r->err);
}

void kit_expect_not_in(const run_result *r, const char *needle)
{
	if (strstr(r->out, needle) || strstr(r->err, needle))
		fail_msg("'%s' must not appear in\nstdout:\n%s\nstderr:\n%s", needle, r->out, r->err);
}

char *kit_block_of(const char *out, const char *address)
{
	char *needle = NULL;
	assert_true(asprintf(&needle, " %s  ", address) > 0);
	const char *at = strstr(out, needle);
	free(needle);
	if (!at)
		return NULL;
	const char *end = strstr(at, "\n\n");
	return strndup(at, end ? (size_t)(end - at) : strlen(at));
}

void kit_settles(world *w)
{
	run_result r = kit_run(w, "plan", "--detailed-exitcode", 0);
	kit_expect_in(&r, "No changes.");
	run_result_free(&r);
}

void kit_apply_ok(world *w)
{
	run_result r = kit_run(w, "apply", "--auto-approve", 0);
	run_result_free(&r);
}

char *kit_data_plane_url(world *w, const char *path)
{
	char *url = NULL;
	assert_true(asprintf(&url, "https://synw-kinds.dev.localhost:%d/%s?api-version=2020-12-01",
			     emu_port(w->e), path) > 0);
	return url;
}

char *kit_url(world *w, const char *host, const char *path)
{
	char *url = NULL;
	assert_true(asprintf(&url, "https://%s.localhost:%d%s", host, emu_port(w->e), path) > 0);
	return url;
}

emu_response kit_call(world *w, const char *scope, const char *method, const char *url,
		      const char *body)
{
	char *token = emu_token(w->e, scope);
	assert_non_null(token);
	char *auth = NULL;
	assert_true(asprintf(&auth, "Authorization: Bearer %s", token) > 0);
	const char *headers[] = {auth, "Content-Type: application/json", "Prefer: create-if-missing",
				 NULL};
	emu_response resp;
	assert_int_equal(emu_http(w->e, &resp, method, url, headers, body, body ? strlen(body) : 0),
			 0);
	free(auth);
	free(token);
	return resp;
}

json_t *kit_arm_get(world *w, const char *id)
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

void kit_arm_put(world *w, const char *id, json_t *body)
{
	char *path = NULL;
	assert_true(asprintf(&path, "arm%s", id) > 0);
	char *text = json_dumps(body, JSON_COMPACT);
	json_t *answer = NULL;
	int status = emu_control(w->e, "PUT", path, text, &answer);
	if (status != 200 && status != 201)
		fail_msg("out-of-band PUT of %s: %d", id, status);
	json_decref(answer);
	free(text);
	free(path);
}

int kit_setup(void **state)
{
	world *w = calloc(1, sizeof(*w));
	const char *args[] = {"--retry-after", "0", "--lro-polls", "1", NULL};
	if (!w || emu_start(&w->e, args) != 0)
		return -1;
	char *const none[] = {NULL};
	w->env = emu_env(w->e, none);
	const char *tmp = getenv("TMPDIR");
	snprintf(w->dir, sizeof(w->dir), "%s/azapply-kinds-XXXXXX", tmp && *tmp ? tmp : P_tmpdir);
	if (!mkdtemp(w->dir))
		return -1;
	snprintf(w->stack, sizeof(w->stack), "%s/stack", w->dir);
	run_result r;
	const char *cp[] = {"-r", AZAPPLY_SOURCE_DIR "/tests/kinds/base", w->stack, NULL};
	if (run_command(&r, "/bin/cp", cp, NULL, NULL) != 0 || r.exit_code != 0)
		return -1;
	run_result_free(&r);
	*state = w;
	return 0;
}

int kit_teardown(void **state)
{
	world *w = *state;
	run_result r;
	const char *rm[] = {"-rf", w->dir, NULL};
	run_command(&r, "/bin/rm", rm, NULL, NULL);
	run_result_free(&r);
	emu_env_free(w->env);
	int status = emu_stop(w->e);
	free(w);
	return status == 0 ? 0 : -1;
}
