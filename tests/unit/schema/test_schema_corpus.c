/*
 * test_schema_corpus.c - the differential test: every instance of the
 * corpus (corpus/<name>.json, {"schema": ..., "instances": [...]}) must get
 * the same valid/invalid verdict from our validator as from Debian's
 * python3-jsonschema (Draft202012Validator), and every shipped schema must
 * pass jsonschema's meta-schema check.
 *
 * python3-jsonschema is the reference because it is the validator editors
 * and CI tools people already trust; agreeing with it on edge cases
 * (1.0 is an integer, lengths count code points, patterns search) is what
 * makes our error-or-not answers unsurprising.
 */
#include <azapply/schema.h>

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define CORPUS_DIR AZAPPLY_SOURCE_DIR "/tests/unit/schema/corpus"
#define SCHEMA_DIR AZAPPLY_SOURCE_DIR "/schemas"
#define SAMPLES_DIR AZAPPLY_SOURCE_DIR "/tests/unit/schema/samples"
#define REFERENCE AZAPPLY_SOURCE_DIR "/tests/unit/schema/jsonschema_verdicts.py"

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of the files in `dir` ending in `suffix`. */
static char **list_dir(const char *dir, const char *suffix, size_t *count)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	char **names = NULL;
	size_t n = 0;
	struct dirent *e;
	size_t sl = strlen(suffix);
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (l <= sl || strcmp(e->d_name + l - sl, suffix) != 0)
			continue;
		names = az_xrealloc(names, (n + 1) * sizeof(char *));
		names[n++] = az_xstrdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(char *), cmp_names);
	*count = n;
	return names;
}

static void free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* Runs the reference script and returns its whole output. */
static char *reference_verdicts(void)
{
	char *cmd = az_xasprintf("/usr/bin/python3 '%s' '%s' '%s' '%s' 2>&1", REFERENCE, CORPUS_DIR,
	                         SCHEMA_DIR, SAMPLES_DIR);
	FILE *p = popen(cmd, "r");
	free(cmd);
	assert_non_null(p);
	az_buf out = AZ_BUF_INIT;
	char chunk[4096];
	size_t got;
	while ((got = fread(chunk, 1, sizeof(chunk), p)) > 0)
		az_buf_add(&out, chunk, got);
	int status = pclose(p);
	if (status != 0) {
		fprintf(stderr,
		        "python3-jsonschema reference failed (status %d):\n%s\n"
		        "The differential test needs /usr/bin/python3 with jsonschema: "
		        "apt-get install python3-jsonschema\n",
		        status, out.data ? out.data : "");
		az_buf_free(&out);
		fail_msg("reference validator unavailable (install python3-jsonschema)");
	}
	return az_buf_detach(&out);
}

static void print_errors(const az_schema_errors *errs)
{
	for (size_t i = 0; i < errs->len; i++)
		fprintf(stderr, "    %s [%s] %s\n", errs->items[i].pointer, errs->items[i].keyword,
		        errs->items[i].message);
}

/* Our verdicts, in the reference script's format. */
static char *our_verdicts(size_t *instances)
{
	size_t n;
	char **files = list_dir(CORPUS_DIR, ".json", &n);
	az_buf out = AZ_BUF_INIT;
	for (size_t f = 0; f < n; f++) {
		char *path = az_xasprintf("%s/%s", CORPUS_DIR, files[f]);
		json_error_t jerr;
		json_t *doc = json_load_file(path, JSON_ALLOW_NUL | JSON_DECODE_ANY, &jerr);
		if (!doc)
			fail_msg("%s: %s", path, jerr.text);
		az_diags d = AZ_DIAGS_INIT;
		az_schema *s = NULL;
		if (az_schema_compile(&s, files[f], json_object_get(doc, "schema"), &d) != 0)
			fail_msg("%s: does not compile: %s", files[f], d.items[0].summary);
		size_t i;
		json_t *inst;
		json_array_foreach(json_object_get(doc, "instances"), i, inst)
		{
			az_schema_errors errs = {NULL, 0, 0};
			size_t count = az_schema_validate(s, inst, NULL, NULL, &errs);
			assert_int_equal(count, errs.len);
			az_buf_printf(&out, "%s %zu %s\n", files[f], i,
			              count ? "invalid" : "valid");
			if (getenv("AZAPPLY_SCHEMA_VERBOSE") && count) {
				fprintf(stderr, "%s %zu:\n", files[f], i);
				print_errors(&errs);
			}
			az_schema_errors_clear(&errs);
			(*instances)++;
		}
		az_schema_free(s);
		az_diags_clear(&d);
		json_decref(doc);
		free(path);
	}
	free_names(files, n);

	/* The samples, against the embedded copies of the shipped schemas. */
	files = list_dir(SAMPLES_DIR, ".json", &n);
	for (size_t f = 0; f < n; f++) {
		char *path = az_xasprintf("%s/%s", SAMPLES_DIR, files[f]);
		char *name = az_xstrndup(files[f], strlen(files[f]) - strlen(".json"));
		json_error_t jerr;
		json_t *doc = json_load_file(path, 0, &jerr);
		if (!doc)
			fail_msg("%s: %s", path, jerr.text);
		az_diags d = AZ_DIAGS_INIT;
		const az_schema *s = az_schema_builtin(name, &d);
		if (!s)
			fail_msg("no built-in schema '%s'", name);
		static const char *const GROUPS[] = {"valid", "invalid"};
		for (size_t g = 0; g < 2; g++) {
			size_t i;
			json_t *item;
			json_array_foreach(json_object_get(doc, GROUPS[g]), i, item)
			{
				const json_t *inst = g ? json_object_get(item, "doc") : item;
				az_schema_errors errs = {NULL, 0, 0};
				size_t count = az_schema_validate(s, inst, NULL, NULL, &errs);
				az_buf_printf(&out, "sample %s %s %zu %s\n", name, GROUPS[g], i,
				              count ? "invalid" : "valid");
				az_schema_errors_clear(&errs);
				(*instances)++;
			}
		}
		az_diags_clear(&d);
		json_decref(doc);
		free(name);
		free(path);
	}
	free_names(files, n);
	az_schema_builtin_release();
	return az_buf_detach(&out);
}

static void test_verdicts_match_python_jsonschema(void **state)
{
	(void)state;
	char *ref = reference_verdicts();
	size_t instances = 0;
	char *ours = our_verdicts(&instances);

	/* Walk our lines; each must appear verbatim in the reference. */
	size_t mismatches = 0, lines = 0;
	for (char *line = ours, *nl; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		*nl = '\0';
		lines++;
		az_buf want = AZ_BUF_INIT;
		az_buf_printf(&want, "%s\n", line);
		bool at_start = strncmp(ref, want.data, want.len) == 0;
		az_buf_free(&want);
		char *needle = az_xasprintf("\n%s\n", line);
		if (!at_start && !strstr(ref, needle)) {
			fprintf(stderr, "verdict differs from python3-jsonschema: %s\n", line);
			mismatches++;
		}
		free(needle);
	}
	assert_int_equal(lines, instances);
	/* The corpus must stay big enough to mean something. */
	assert_true(instances >= 300);

	/* Every shipped schema is a valid draft 2020-12 schema. */
	size_t n_schemas;
	char **schemas = list_dir(SCHEMA_DIR, ".schema.json", &n_schemas);
	assert_true(n_schemas > 0);
	for (size_t i = 0; i < n_schemas; i++) {
		char *ok = az_xasprintf("check_schema %s ok\n", schemas[i]);
		if (!strstr(ref, ok)) {
			fprintf(stderr, "jsonschema's meta-schema rejects schemas/%s\n",
			        schemas[i]);
			mismatches++;
		}
		free(ok);
	}
	free_names(schemas, n_schemas);
	free(ours);
	free(ref);
	assert_int_equal(mismatches, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_verdicts_match_python_jsonschema),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
