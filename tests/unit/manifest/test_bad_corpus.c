/*
 * test_bad_corpus.c - every case under bad/ must fail with exactly the
 * errors its `expected` file lists, one per line, in source order:
 *
 *     file:line:col: a substring of the message
 *
 * Paths are relative to the case folder. A case may hold an `environment`
 * file naming the environment to resolve variables for; ${env.X} always
 * reads an empty process environment. A case that loads cleanly goes on to
 * variable resolution, so both stages are covered.
 */
#define _POSIX_C_SOURCE 200809L

#include "mtest.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	az_buf b = AZ_BUF_INIT;
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		az_buf_add(&b, chunk, n);
	fclose(f);
	return az_buf_detach(&b);
}

static const char *no_environment(const char *name, void *ud)
{
	(void)name;
	(void)ud;
	return NULL;
}

/* The errors of one case, as "file:line:col: summary" lines. */
static char **run_case(const char *dir, size_t *count)
{
	az_diags d = AZ_DIAGS_INIT;
	az_file_source src;
	assert_int_equal(az_file_source_dir(&src, dir, &d), 0);
	src.display_root = ""; /* report paths relative to the case */
	az_manifest_set *set = NULL;
	int err = az_manifests_load(&set, &src, NULL, &d);
	if (!err) {
		char *path = az_xasprintf("%s/environment", dir);
		char *env = read_text(path);
		if (env)
			env[strcspn(env, "\r\n")] = '\0';
		az_manifests_resolve_vars(set, env, no_environment, NULL, &d);
		free(env);
		free(path);
	}
	az_diags_sort(&d);
	char **lines = az_xcalloc(d.len + 1, sizeof(*lines));
	size_t n = 0;
	for (size_t i = 0; i < d.len; i++) {
		const az_diag *x = &d.items[i];
		if (x->severity == AZ_SEV_ERROR)
			lines[n++] = az_xasprintf("%s:%d:%d: %s", x->file ? x->file : "", x->line,
			                          x->col, x->summary);
	}
	*count = n;
	az_manifest_set_free(set);
	az_file_source_free(&src);
	az_diags_clear(&d);
	return lines;
}

static void check_case(const char *root, const char *name)
{
	char *dir = az_xasprintf("%s/%s", root, name);
	char *epath = az_xasprintf("%s/expected", dir);
	char *expected = read_text(epath);
	if (!expected)
		fail_msg("%s: no expected file", name);
	size_t n = 0, want_n = 0;
	char **got = run_case(dir, &n);
	bool ok = true;
	char *save = expected;
	for (char *line = expected; *line; want_n++) {
		char *eol = strchr(line, '\n');
		if (eol)
			*eol = '\0';
		/* file:line:col: then the message substring */
		char *c1 = strchr(line, ':');
		char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		char *c3 = c2 ? strchr(c2 + 1, ':') : NULL;
		if (!c3 || c3[1] != ' ')
			fail_msg("%s: bad expected line '%s'", name, line);
		size_t loc_len = (size_t)(c3 - line) + 2;
		if (want_n >= n || strncmp(got[want_n], line, loc_len) ||
		    !strstr(got[want_n] + loc_len, c3 + 2)) {
			print_error("%s: expected '%s', got '%s'\n", name, line,
			            want_n < n ? got[want_n] : "(nothing)");
			ok = false;
		}
		line = eol ? eol + 1 : line + strlen(line);
	}
	if (want_n != n) {
		print_error("%s: expected %zu errors, got %zu\n", name, want_n, n);
		ok = false;
	}
	if (!ok)
		for (size_t i = 0; i < n; i++)
			print_error("  %s\n", got[i]);
	for (size_t i = 0; i < n; i++)
		free(got[i]);
	free(got);
	free(save);
	free(epath);
	free(dir);
	if (!ok)
		fail_msg("case %s failed", name);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void every_bad_case_fails_where_expected(void **state)
{
	(void)state;
	const char *root = AZAPPLY_SOURCE_DIR "/tests/unit/manifest/bad";
	DIR *dir = opendir(root);
	assert_non_null(dir);
	char **names = NULL;
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		names = az_xrealloc(names, (n + 1) * sizeof(*names));
		names[n++] = az_xstrdup(de->d_name);
	}
	closedir(dir);
	qsort(names, n, sizeof(*names), cmp_names);
	assert_true(n >= 8);
	for (size_t i = 0; i < n; i++) {
		check_case(root, names[i]);
		free(names[i]);
	}
	free(names);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(every_bad_case_fails_where_expected),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
