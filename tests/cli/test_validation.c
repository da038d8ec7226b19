/*
 * test_validation.c - the table of wrong manifests: each file in
 * validation/cases/ is one mistake people make (a typo at some depth, a
 * property in the wrong case, an enum Azure does not know, a role that is
 * no role, a GUID that is none, a recurrence that cannot be, ...). Its
 * first line says what it shows; each `# expect: LINE:COL: SEVERITY: TEXT`
 * line names a diagnostic `azapply validate` must give at that place of
 * the case, whose message holds TEXT. Nothing else may be said.
 *
 * A case is validated as case.yaml beside validation/base/ (a resource
 * group, a storage account, a Synapse workspace with a Spark pool, an ML
 * workspace and its companions, a notebook and a pipeline), so it can refer
 * to them; base alone is valid. With warnings only, the case passes, and
 * fails with --strict.
 */
#define _GNU_SOURCE /* asprintf, scandir, strndup */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"

#define TABLE AZAPPLY_SOURCE_DIR "/tests/cli/validation"

/* validate runs without secrets and outside any CI. */
static const char *const ENV[] = {"GITHUB_ACTIONS=", "NO_COLOR=1", NULL};

static int write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

/* The diagnostic lines of validate's stderr: "file:line:col: severity: ..."
 * and "azapply: severity: ...". */
static size_t count_diagnostics(const char *err)
{
	size_t n = 0;
	for (const char *p = err; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		char *line = strndup(p, len);
		if (line[0] != ' ' && (strstr(line, ": error: ") || strstr(line, ": warning: ")))
			n++;
		free(line);
	}
	return n;
}

/* Whether stderr holds "case.yaml:LINE:COL: SEVERITY: " followed by a
 * message that contains TEXT. */
static bool has_diagnostic(const char *err, const char *where, const char *text)
{
	char *prefix = NULL;
	if (asprintf(&prefix, "case.yaml:%s", where) < 0)
		return false;
	size_t plen = strlen(prefix);
	bool found = false;
	for (const char *p = err; p && *p && !found;
	     p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, prefix, plen) != 0)
			continue;
		const char *eol = strchr(p, '\n');
		char *line = strndup(p + plen, eol ? (size_t)(eol - p) - plen : strlen(p + plen));
		found = strstr(line, text) != NULL;
		free(line);
	}
	free(prefix);
	return found;
}

typedef struct outcome {
	size_t expected, errors;
	bool ok;
} outcome;

static outcome run_case(const char *name, const char *text, bool strict)
{
	outcome o = {0, 0, true};
	char *dir = test_tempdir("validation");
	assert_non_null(dir);
	char *stack = NULL, *path = NULL;
	assert_true(asprintf(&stack, "%s/stack", dir) > 0);
	assert_int_equal(test_copy_tree(TABLE "/base", stack), 0);
	assert_true(asprintf(&path, "%s/case.yaml", stack) > 0);
	assert_int_equal(write_text(path, text), 0);

	const char *argv[] = {"validate", strict ? "--strict" : NULL, NULL};
	run_result r;
	assert_int_equal(run_command(&r, AZAPPLY_BINARY, argv, ENV, stack), 0);

	/* Every "# expect: " line in order. */
	const char *tag = "# expect: ";
	for (const char *p = strstr(text, tag); p; p = strstr(p + 1, tag)) {
		const char *s = p + strlen(tag);
		const char *eol = strchr(s, '\n');
		char *want = strndup(s, eol ? (size_t)(eol - s) : strlen(s));
		/* LINE:COL: SEVERITY: TEXT */
		char *sev = strstr(want, ": ");
		char *msg = sev ? strstr(sev + 2, ": ") : NULL;
		if (!msg)
			fail_msg("%s: bad expect line '%s'", name, want);
		msg[0] = '\0';
		char *where = want; /* "LINE:COL: SEVERITY" */
		o.errors += strstr(where, ": error") != NULL;
		char *head = NULL;
		assert_true(asprintf(&head, "%s: ", where) > 0);
		if (!has_diagnostic(r.err, head, msg + 2)) {
			print_error("%s: expected 'case.yaml:%s: %s'\n", name, where, msg + 2);
			o.ok = false;
		}
		free(head);
		free(want);
		o.expected++;
	}
	size_t said = count_diagnostics(r.err);
	if (said != o.expected) {
		print_error("%s: expected %zu diagnostics, validate gave %zu\n", name, o.expected,
			    said);
		o.ok = false;
	}
	int want_exit = o.errors || strict ? 1 : 0;
	if (r.exit_code != want_exit) {
		print_error("%s%s: expected exit %d, got %d\n", name, strict ? " --strict" : "",
			    want_exit, r.exit_code);
		o.ok = false;
	}
	if (!o.ok)
		print_error("%s", r.err);
	run_result_free(&r);
	free(path);
	free(stack);
	test_remove_tree(dir);
	free(dir);
	return o;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static void base_alone_is_valid(void **state)
{
	(void)state;
	const char *argv[] = {"validate", "--strict", NULL};
	run_result r;
	assert_int_equal(run_command(&r, AZAPPLY_BINARY, argv, ENV, TABLE "/base"), 0);
	if (r.exit_code != 0)
		fprintf(stderr, "%s", r.err);
	assert_int_equal(r.exit_code, 0);
	run_result_free(&r);
}

static void every_wrong_manifest_gets_its_diagnostic(void **state)
{
	(void)state;
	struct dirent **names = NULL;
	int n = scandir(TABLE "/cases", &names, NULL, by_name);
	assert_true(n > 0);
	size_t cases = 0, failed = 0;
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		size_t len = strlen(name);
		if (len > 5 && strcmp(name + len - 5, ".yaml") == 0) {
			char *path = NULL;
			assert_true(asprintf(&path, "%s/cases/%s", TABLE, name) > 0);
			char *text = test_read_file(path);
			assert_non_null(text);
			outcome o = run_case(name, text, false);
			assert_true(o.expected > 0);
			failed += !o.ok;
			/* Warnings alone pass, and fail with --strict. */
			if (!o.errors)
				failed += !run_case(name, text, true).ok;
			cases++;
			free(text);
			free(path);
		}
		free(names[i]);
	}
	free(names);
	print_message("%zu wrong manifests checked\n", cases);
	assert_true(cases >= 40);
	assert_int_equal(failed, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(base_alone_is_valid),
		cmocka_unit_test(every_wrong_manifest_gets_its_diagnostic),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
