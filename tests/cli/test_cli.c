/*
 * test_cli.c - behaviour tests of the azapply binary: the command table,
 * usage errors and their exit code, and `validate` on the examples and on
 * a corpus of bad stacks (tests/cli/bad/<case>/), where every case names
 * the exact file:line:col of each error it must produce, and no others.
 */
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

#include <jansson.h>

#include "run.h"

static const char *const PASSWORD_ENV[] = {"SYNAPSE_SQL_PASSWORD=quickstart-Passw0rd!",
					    "GITHUB_ACTIONS=", NULL};

static run_result azapply(const char *cwd, const char *const *env, ...)
{
	const char *argv[32];
	size_t n = 0;
	va_list ap;
	va_start(ap, env);
	const char *a;
	while ((a = va_arg(ap, const char *)) && n < 31)
		argv[n++] = a;
	va_end(ap);
	argv[n] = NULL;
	run_result r;
	assert_int_equal(run_command(&r, AZAPPLY_BINARY, argv, env ? env : PASSWORD_ENV, cwd), 0);
	return r;
}

static void version_and_help(void **state)
{
	(void)state;
	run_result r = azapply(NULL, NULL, "--version", NULL);
	assert_int_equal(r.exit_code, 0);
	assert_non_null(strstr(r.out, "azapply " AZAPPLY_VERSION));
	run_result_free(&r);

	/* What a bug report needs: commit, build date, libraries. */
	r = azapply(NULL, NULL, "version", "--output", "json", NULL);
	assert_int_equal(r.exit_code, 0);
	json_t *v = json_loads(r.out, 0, NULL);
	assert_non_null(v);
	assert_string_equal(json_string_value(json_object_get(v, "version")), AZAPPLY_VERSION);
	const char *commit = json_string_value(json_object_get(v, "commit"));
	assert_non_null(commit);
	assert_true(strcmp(commit, "unknown") == 0 || strspn(commit, "0123456789abcdef") == 40);
	const char *date = json_string_value(json_object_get(v, "buildDate"));
	assert_true(date && strlen(date) == 20 && date[10] == 'T' && date[19] == 'Z');
	json_t *libs = json_object_get(v, "libraries");
	for (const char *const *lib = (const char *const[]){"libcurl", "OpenSSL", "jansson", "libyaml",
							    "libgit2", "PCRE2", NULL};
	     *lib; lib++)
		assert_non_null(json_string_value(json_object_get(libs, *lib)));
	json_decref(v);
	run_result_free(&r);

	r = azapply(NULL, NULL, "help", NULL);
	assert_int_equal(r.exit_code, 0);
	assert_non_null(strstr(r.out, "validate"));
	assert_non_null(strstr(r.out, "Exit codes"));
	run_result_free(&r);

	r = azapply(NULL, NULL, "help", "validate", NULL);
	assert_int_equal(r.exit_code, 0);
	assert_non_null(strstr(r.out, "usage: azapply validate [DIR]"));
	assert_non_null(strstr(r.out, "--env NAME"));
	run_result_free(&r);

	r = azapply(NULL, NULL, "validate", "--help", NULL);
	assert_int_equal(r.exit_code, 0);
	assert_non_null(strstr(r.out, "--output FORMAT"));
	run_result_free(&r);
}

static void usage_errors_exit_64_with_a_hint(void **state)
{
	(void)state;
	run_result r = azapply(NULL, NULL, "valdate", NULL);
	assert_int_equal(r.exit_code, 64);
	assert_non_null(strstr(r.err, "did you mean 'validate'?"));
	run_result_free(&r);

	r = azapply(NULL, NULL, "validate", "--outptu", "json", NULL);
	assert_int_equal(r.exit_code, 64);
	assert_non_null(strstr(r.err, "did you mean '--output'?"));
	run_result_free(&r);

	r = azapply(NULL, NULL, "validate", "--output", "yaml", NULL);
	assert_int_equal(r.exit_code, 64);
	assert_non_null(strstr(r.err, "must be one of text, json"));
	run_result_free(&r);

	r = azapply(NULL, NULL, "validate", "--env", NULL);
	assert_int_equal(r.exit_code, 64);
	assert_non_null(strstr(r.err, "--env needs a value"));
	run_result_free(&r);

	r = azapply(NULL, NULL, "validate", "a", "b", NULL);
	assert_int_equal(r.exit_code, 64);
	assert_non_null(strstr(r.err, "unexpected argument 'b'"));
	run_result_free(&r);

	r = azapply(NULL, NULL, "apply", "--parallelism", "10x", "--auto-approve", NULL);
	assert_int_equal(r.exit_code, 64);
	assert_non_null(strstr(r.err, "--parallelism takes a number from 1 to 1000, not '10x'"));
	run_result_free(&r);

	r = azapply(NULL, NULL, "--bogus", NULL);
	assert_int_equal(r.exit_code, 64);
	run_result_free(&r);
}

/* A file that is not a .json plan: say what apply takes, not that it is
 * "not a directory". */
static void apply_says_what_a_plan_file_is(void **state)
{
	(void)state;
	char *dir = test_tempdir("cli-apply");
	assert_non_null(dir);
	char path[512];
	snprintf(path, sizeof(path), "%s/plan.bin", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("{}", f);
	fclose(f);
	run_result r = azapply(NULL, NULL, "apply", path, "--auto-approve", NULL);
	assert_int_equal(r.exit_code, 64);
	assert_non_null(strstr(r.err, "plan.bin: a saved plan is a .json file written by "
				      "`azapply plan --out`; a directory of manifests is also "
				      "accepted"));
	assert_null(strstr(r.err, "not a directory"));
	run_result_free(&r);
	test_remove_tree(dir);
	free(dir);
}

static void examples_validate_for_every_environment(void **state)
{
	(void)state;
	const char *envs[] = {"dev", "prod"};
	for (size_t i = 0; i < 2; i++) {
		run_result r = azapply(AZAPPLY_SOURCE_DIR, NULL, "validate", "examples/synapse-ml",
				       "--env", envs[i], NULL);
		if (r.exit_code != 0)
			fprintf(stderr, "%s", r.err);
		assert_int_equal(r.exit_code, 0);
		assert_non_null(strstr(r.out, "Valid: 27 resources"));
		run_result_free(&r);
		/* Two teams, each one instance of components/team-platform. */
		r = azapply(AZAPPLY_SOURCE_DIR, NULL, "validate", "examples/multi-team", "--env",
			    envs[i], "--strict", NULL);
		if (r.exit_code != 0)
			fprintf(stderr, "%s", r.err);
		assert_int_equal(r.exit_code, 0);
		assert_non_null(strstr(r.out, "Valid: 19 resources"));
		run_result_free(&r);
	}
}

/* Without --env, every environment of azapply.yaml is checked, and no
 * secret is needed: a pull request's check has none. */
static void validate_needs_no_environment_and_no_secret(void **state)
{
	(void)state;
	const char *argv[] = {"-i", "PATH=/usr/bin:/bin", AZAPPLY_BINARY, "validate",
			      "examples/synapse-ml", NULL};
	run_result r;
	assert_int_equal(run_command(&r, "/usr/bin/env", argv, NULL, AZAPPLY_SOURCE_DIR), 0);
	if (r.exit_code != 0)
		fprintf(stderr, "%s", r.err);
	assert_int_equal(r.exit_code, 0);
	assert_non_null(strstr(r.out, "Valid: 27 resources"));
	assert_non_null(strstr(r.out, "environments dev, prod"));
	assert_null(strstr(r.err, "warning"));
	run_result_free(&r);

	const char *git_argv[] = {"-i", "PATH=/usr/bin:/bin", AZAPPLY_BINARY, "validate",
				  "--git-ref", "HEAD", "examples/synapse-ml", NULL};
	assert_int_equal(run_command(&r, "/usr/bin/env", git_argv, NULL, AZAPPLY_SOURCE_DIR), 0);
	if (r.exit_code != 0)
		fprintf(stderr, "%s", r.err);
	assert_int_equal(r.exit_code, 0);
	assert_non_null(strstr(r.out, "Valid: 27 resources"));
	run_result_free(&r);
}

/* A problem only one environment has names it; one all have does not. */
static void validate_says_which_environment(void **state)
{
	(void)state;
	const char *dir = AZAPPLY_SOURCE_DIR "/tests/cli/environments";
	run_result r = azapply(dir, NULL, "validate", NULL);
	assert_int_equal(r.exit_code, 1);
	assert_non_null(strstr(r.err, "a.yaml:6:13: error: variable 'region' has no value for "
				      "environment 'prod' (environment prod)"));
	assert_non_null(strstr(r.err, "a.yaml:9:14: error: /spec/managedBi"));
	assert_null(strstr(r.err, "(environments dev, prod)"));
	assert_non_null(strstr(r.err, "2 errors in "));
	run_result_free(&r);
}

static void unknown_environment_is_an_error(void **state)
{
	(void)state;
	run_result r = azapply(AZAPPLY_SOURCE_DIR, NULL, "validate", "examples/synapse-ml", "--env",
			       "staging", NULL);
	assert_int_equal(r.exit_code, 1);
	assert_non_null(strstr(r.err, "staging"));
	assert_non_null(strstr(r.err, "dev"));
	assert_null(strstr(r.err, "did you mean"));
	run_result_free(&r);

	/* A typo gets the environment it was meant to be. */
	r = azapply(AZAPPLY_SOURCE_DIR, NULL, "validate", "examples/synapse-ml", "--env", "prd", NULL);
	assert_int_equal(r.exit_code, 1);
	assert_non_null(strstr(r.err, "did you mean 'prod'?"));
	run_result_free(&r);
}

/* validate names an unset ${env.X} when it checks one environment (a
 * warning); plan and apply still require it. */
static void secret_from_env_is_required_and_never_printed(void **state)
{
	(void)state;
	/* unsetenv in the child: an empty assignment is still "set", so run
	 * through env -u. */
	const char *argv[] = {"-u", "SYNAPSE_SQL_PASSWORD", AZAPPLY_BINARY, "validate",
			      "examples/synapse-ml", "--env", "dev", NULL};
	run_result r;
	assert_int_equal(run_command(&r, "/usr/bin/env", argv, NULL, AZAPPLY_SOURCE_DIR), 0);
	assert_int_equal(r.exit_code, 0);
	assert_non_null(strstr(r.err, "warning: environment variable 'SYNAPSE_SQL_PASSWORD' is "
				      "not set; plan and apply will need it"));
	run_result_free(&r);

	const char *strict[] = {"-u", "SYNAPSE_SQL_PASSWORD", AZAPPLY_BINARY, "validate",
				"examples/synapse-ml", "--env", "dev", "--strict", NULL};
	assert_int_equal(run_command(&r, "/usr/bin/env", strict, NULL, AZAPPLY_SOURCE_DIR), 0);
	assert_int_equal(r.exit_code, 1);
	assert_non_null(strstr(r.err, "0 errors, 1 warning (--strict: warnings are errors)"));
	run_result_free(&r);

	const char *plan[] = {"-u", "SYNAPSE_SQL_PASSWORD", AZAPPLY_BINARY, "plan",
			      "examples/synapse-ml", "--env", "dev", NULL};
	assert_int_equal(run_command(&r, "/usr/bin/env", plan, NULL, AZAPPLY_SOURCE_DIR), 0);
	assert_int_equal(r.exit_code, 1);
	assert_non_null(strstr(r.err, "error: environment variable 'SYNAPSE_SQL_PASSWORD' is not "
				      "set"));
	run_result_free(&r);

	r = azapply(AZAPPLY_SOURCE_DIR, NULL, "validate", "examples/synapse-ml", "--env", "dev",
		    "--output", "json", NULL);
	assert_null(strstr(r.out, "quickstart-Passw0rd!"));
	assert_null(strstr(r.err, "quickstart-Passw0rd!"));
	run_result_free(&r);
}

/* The pull-request workflow's validate step, exactly as
 * examples/ci/github/azapply-pr.yml writes it, on a repository whose stack
 * is infra/ (the example stack), with no secret and no environment
 * variable at all. */
static void pr_workflow_validate_step_runs_as_written(void **state)
{
	(void)state;
	char *yml = test_read_file(AZAPPLY_SOURCE_DIR "/examples/ci/github/azapply-pr.yml");
	assert_non_null(yml);
	const char *step = strstr(yml, "- name: Validate");
	assert_non_null(step);
	const char *run = strstr(step, "run: build/cmd/azapply ");
	assert_non_null(run);
	run += strlen("run: build/cmd/azapply ");
	/* The arguments, split at spaces, up to the end of the line. */
	const char *argv[16] = {"-i", "PATH=/usr/bin:/bin", AZAPPLY_BINARY};
	size_t argc = 3;
	char *line = strndup(run, strcspn(run, "\n"));
	char *save = NULL;
	for (char *tok = strtok_r(line, " ", &save); tok && argc < 15;
	     tok = strtok_r(NULL, " ", &save))
		argv[argc++] = tok;
	argv[argc] = NULL;
	assert_string_equal(argv[3], "validate");

	char *repo = test_tempdir("cli-pr");
	assert_non_null(repo);
	char infra[4096];
	snprintf(infra, sizeof(infra), "%s/infra", repo);
	assert_int_equal(test_copy_tree(AZAPPLY_SOURCE_DIR "/examples/synapse-ml", infra), 0);
	run_result r;
	assert_int_equal(run_command(&r, "/usr/bin/env", argv, NULL, repo), 0);
	if (r.exit_code != 0)
		fprintf(stderr, "%s", r.err);
	assert_int_equal(r.exit_code, 0);
	assert_non_null(strstr(r.out, "Valid: 27 resources"));
	run_result_free(&r);
	test_remove_tree(repo);
	free(repo);
	free(line);
	free(yml);
}

/* A repository root whose stack lives in a subfolder: one error that says
 * where, and a summary that names the folder. */
static void wrong_folder_names_the_stack(void **state)
{
	(void)state;
	const char *dir = AZAPPLY_SOURCE_DIR "/tests/unit/manifest/bad/wrong-folder";
	/* With --env too: the environment is not said to be unknown. */
	run_result r = azapply(dir, NULL, "validate", "--env", "dev", NULL);
	assert_int_equal(r.exit_code, 1);
	assert_non_null(strstr(r.err, "error: no stack here: . has no azapply.yaml"));
	assert_non_null(strstr(r.err, "did you mean infra/ (azapply.yaml found)?"));
	assert_non_null(strstr(r.err, "1 error in /"));
	assert_non_null(strstr(r.err, "/wrong-folder.\n"));
	run_result_free(&r);
}

/* plan --output json on a manifest error: a JSON object with the
 * diagnostics on stdout, exit 1; the text on stderr as always. */
static void plan_json_on_error_prints_diagnostics(void **state)
{
	(void)state;
	const char *dir = AZAPPLY_SOURCE_DIR "/tests/cli/bad/missing-parent";
	static const char *const CMDS[] = {"plan", "drift"};
	for (size_t i = 0; i < 2; i++) {
		run_result r = azapply(dir, NULL, CMDS[i], "--output", "json", NULL);
		assert_int_equal(r.exit_code, 1);
		json_error_t jerr;
		json_t *o = json_loads(r.out, 0, &jerr);
		if (!o)
			fprintf(stderr, "%s --output json printed: '%s'\n", CMDS[i], r.out);
		assert_non_null(o);
		json_t *arr = json_object_get(o, "diagnostics");
		assert_int_equal(json_array_size(arr), 1);
		json_t *first = json_array_get(arr, 0);
		assert_string_equal(json_string_value(json_object_get(first, "severity")), "error");
		assert_int_equal(json_integer_value(json_object_get(first, "line")), 6);
		assert_int_equal(json_integer_value(json_object_get(first, "column")), 19);
		assert_non_null(strstr(r.err, "a.yaml:6:19: error:"));
		json_decref(o);
		run_result_free(&r);
	}
}

/* Each expected line is "file:line:col: error: text": stderr must hold a
 * line that starts with the position and contains the text. */
static void check_case(const char *dir)
{
	char path[4608];
	snprintf(path, sizeof(path), "%s/expected", dir);
	char *expected = test_read_file(path);
	assert_non_null(expected);
	snprintf(path, sizeof(path), "%s/args", dir);
	char *args = test_read_file(path);
	const char *argv[8] = {"validate"};
	size_t argc = 1;
	if (args) {
		for (char *tok = args; *tok && argc < 7;) {
			char *end = tok + strcspn(tok, " \n");
			char save = *end;
			*end = '\0';
			if (*tok)
				argv[argc++] = tok;
			if (!save)
				break;
			tok = end + 1;
		}
	}
	argv[argc] = NULL;
	run_result r;
	assert_int_equal(run_command(&r, AZAPPLY_BINARY, argv, PASSWORD_ENV, dir), 0);
	size_t want = 0;
	char *save = NULL;
	for (char *line = strtok_r(expected, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		want++;
		char *sep = strstr(line, ": error: ");
		assert_non_null(sep);
		*sep = '\0';
		const char *text = sep + 9;
		bool found = false;
		for (char *p = r.err; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
			size_t plen = strlen(line);
			if (strncmp(p, line, plen) == 0 && strncmp(p + plen, ": error: ", 9) == 0) {
				char *eol = strchr(p, '\n');
				size_t len = eol ? (size_t)(eol - p) : strlen(p);
				char *one = strndup(p, len);
				found = strstr(one, text) != NULL;
				free(one);
				if (found)
					break;
			}
		}
		if (!found)
			fprintf(stderr, "case %s: expected '%s: error: %s' in:\n%s", dir, line, text,
				r.err);
		assert_true(found);
	}
	char summary[64];
	snprintf(summary, sizeof(summary), "%zu error%s in", want, want == 1 ? "" : "s");
	if (!strstr(r.err, summary))
		fprintf(stderr, "case %s: expected exactly %zu errors:\n%s", dir, want, r.err);
	assert_non_null(strstr(r.err, summary));
	assert_int_equal(r.exit_code, 1);
	run_result_free(&r);
	free(expected);
	free(args);
}

static void bad_stacks_report_exact_positions(void **state)
{
	(void)state;
	const char *root = AZAPPLY_SOURCE_DIR "/tests/cli/bad";
	DIR *d = opendir(root);
	assert_non_null(d);
	struct dirent *e;
	size_t cases = 0;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char dir[4096];
		snprintf(dir, sizeof(dir), "%s/%s", root, e->d_name);
		check_case(dir);
		cases++;
	}
	closedir(d);
	assert_true(cases >= 8);
}

static void json_output_and_github_annotations(void **state)
{
	(void)state;
	const char *dir = AZAPPLY_SOURCE_DIR "/tests/cli/bad/missing-parent";
	run_result r = azapply(dir, NULL, "validate", "--output", "json", NULL);
	assert_int_equal(r.exit_code, 1);
	json_error_t jerr;
	json_t *arr = json_loads(r.out, 0, &jerr);
	assert_non_null(arr);
	assert_int_equal(json_array_size(arr), 1);
	json_t *first = json_array_get(arr, 0);
	assert_string_equal(json_string_value(json_object_get(first, "severity")), "error");
	assert_string_equal(json_string_value(json_object_get(first, "address")),
			    "StorageContainer/filesystem");
	assert_int_equal(json_integer_value(json_object_get(first, "line")), 6);
	assert_int_equal(json_integer_value(json_object_get(first, "column")), 19);
	json_decref(arr);
	run_result_free(&r);

	const char *gh_env[] = {"GITHUB_ACTIONS=true", "SYNAPSE_SQL_PASSWORD=x", NULL};
	r = azapply(dir, gh_env, "validate", NULL);
	assert_int_equal(r.exit_code, 1);
	assert_non_null(strstr(r.err, "::error file=a.yaml,line=6,col=19,title=azapply::"
				      "StorageContainer/filesystem: StorageAccount 'datalak'"));
	run_result_free(&r);
}

/* The corpus checks the error's position; the hint is on the detail line. */
static void unknown_role_says_what_was_meant(void **state)
{
	(void)state;
	const char *dir = AZAPPLY_SOURCE_DIR "/tests/cli/bad/unknown-role";
	run_result r = azapply(dir, NULL, "validate", NULL);
	assert_int_equal(r.exit_code, 1);
	assert_non_null(strstr(r.err, "a.yaml:7:9: error: unknown role 'Contributer'"));
	assert_non_null(strstr(r.err, "did you mean 'Contributor'?"));
	assert_non_null(strstr(r.err, "a custom role is given by its id"));
	run_result_free(&r);
}

/* metadata.forEach over ${var.teams}: a list by default, a mapping in dev;
 * instances are addressed by key, and ${ref} reaches one of them. */
static void foreach_expands_per_environment_by_key(void **state)
{
	(void)state;
	const char *dir = AZAPPLY_SOURCE_DIR "/tests/cli/foreach";
	run_result r = azapply(dir, NULL, "graph", ".", "--env", "dev", NULL);
	assert_int_equal(r.exit_code, 0);
	assert_non_null(strstr(r.out, "\"ResourceGroup/rg-gamma\" ["));
	assert_null(strstr(r.out, "rg-beta"));
	assert_non_null(strstr(r.out, "\"ResourceGroup/rg-watch\" -> \"ResourceGroup/rg-alpha\""));
	run_result_free(&r);
	r = azapply(dir, NULL, "graph", ".", "--env", "prod", NULL);
	assert_int_equal(r.exit_code, 0);
	assert_non_null(strstr(r.out, "\"ResourceGroup/rg-alpha\" ["));
	assert_non_null(strstr(r.out, "\"ResourceGroup/rg-beta\" ["));
	assert_null(strstr(r.out, "rg-gamma"));
	run_result_free(&r);
	r = azapply(dir, NULL, "validate", "--env", "dev", NULL);
	assert_int_equal(r.exit_code, 0);
	assert_non_null(strstr(r.out, "Valid: 3 resources"));
	run_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(version_and_help),
		cmocka_unit_test(usage_errors_exit_64_with_a_hint),
		cmocka_unit_test(apply_says_what_a_plan_file_is),
		cmocka_unit_test(examples_validate_for_every_environment),
		cmocka_unit_test(validate_needs_no_environment_and_no_secret),
		cmocka_unit_test(validate_says_which_environment),
		cmocka_unit_test(unknown_environment_is_an_error),
		cmocka_unit_test(secret_from_env_is_required_and_never_printed),
		cmocka_unit_test(wrong_folder_names_the_stack),
		cmocka_unit_test(pr_workflow_validate_step_runs_as_written),
		cmocka_unit_test(plan_json_on_error_prints_diagnostics),
		cmocka_unit_test(bad_stacks_report_exact_positions),
		cmocka_unit_test(json_output_and_github_annotations),
		cmocka_unit_test(unknown_role_says_what_was_meant),
		cmocka_unit_test(foreach_expands_per_environment_by_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
