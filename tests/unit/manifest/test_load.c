/*
 * test_load.c - the manifest tree: file discovery and order, documents,
 * the project file, specFile merging and the directory source's refusal to
 * follow links out of the tree; plus the 10,000-resource load budget.
 */
#define _POSIX_C_SOURCE 200809L

#include "mtest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *workspace = "apiVersion: azapply/v1\n"
                               "kind: SynapseWorkspace\n"
                               "metadata:\n"
                               "  name: ws1\n"
                               "spec:\n"
                               "  location: westeurope\n";

static void finds_manifests_in_sorted_order(void **state)
{
	(void)state;
	char *dir = mt_tempdir();
	mt_write(dir, "b.yaml", workspace);
	mt_write(dir, "a/z.yml",
	         "kind: SparkPool\nmetadata: {name: p1}\n---\n# empty\n---\nkind: SparkPool\n"
	         "metadata: {name: p2}\n");
	mt_write(dir, "azapply.yaml",
	         "stack: demo\nsubscription: sub-1\nlocation: westeurope\n"
	         "variables: {sku: Small, size: null}\n"
	         "environments: {dev: {variables: {size: 3}}}\n");
	mt_write(dir, "notes.txt", "not yaml");
	mt_write(dir, ".git/x.yaml", "kind: Hidden\n");
	mt_write(dir, "sub/.cache/y.yaml", "kind: Hidden\n");

	az_diags d = AZ_DIAGS_INIT;
	az_manifest_set *set = NULL;
	assert_int_equal(mt_load(&set, dir, &d), 0);
	assert_int_equal(d.len, 0);
	assert_int_equal(set->len, 3);
	assert_string_equal(set->items[0].file, "a/z.yml");
	assert_int_equal(set->items[0].doc, 0);
	assert_string_equal(set->items[0].address, "SparkPool/p1");
	assert_string_equal(set->items[1].file, "a/z.yml");
	assert_int_equal(set->items[1].doc, 2);
	assert_int_equal(set->items[1].pos.line, 6);
	assert_string_equal(set->items[1].address, "SparkPool/p2");
	assert_string_equal(set->items[2].address, "SynapseWorkspace/ws1");
	assert_string_equal(set->items[2].kind, "SynapseWorkspace");
	assert_string_equal(set->items[2].name, "ws1");
	assert_int_equal(json_array_size(set->items[2].sensitive), 0);

	/* Positions carry the root as the user named it. */
	const az_pos *p = az_srcmap_get(set->items[2].map, "/spec/location");
	char *want = az_xasprintf("%s/b.yaml", dir);
	assert_string_equal(p->file, want);
	assert_int_equal(p->line, 6);
	assert_int_equal(p->col, 13);
	free(want);

	assert_true(set->project.present);
	assert_string_equal(set->project.stack, "demo");
	assert_string_equal(set->project.subscription, "sub-1");
	assert_null(set->project.tenant);
	assert_true(json_is_null(json_object_get(set->project.variables, "size")));
	assert_non_null(json_object_get(set->project.environments, "dev"));
	assert_string_equal(az_project_setting(&set->project, "dev", "location"), "westeurope");

	az_manifest_set_free(set);
	az_diags_clear(&d);
	mt_rmtree(dir);
	free(dir);
}

static void non_mapping_documents_are_errors(void **state)
{
	(void)state;
	char *dir = mt_tempdir();
	mt_write(dir, "m.yaml",
	         "- a\n- b\n---\n"
	         "kind: X\nmetadata: {name: y}\n");
	az_diags d = AZ_DIAGS_INIT;
	az_manifest_set *set = NULL;
	assert_int_equal(mt_load(&set, dir, &d), AZ_EINVALID);
	char *err = mt_first_error(&d);
	char *want =
	    az_xasprintf("%s/m.yaml:1:1: a manifest must be a mapping, not a sequence", dir);
	assert_string_equal(err, want);
	/* What could be loaded still is. */
	assert_int_equal(set->len, 1);
	assert_string_equal(set->items[0].address, "X/y");
	assert_non_null(set->items[0].map);
	free(err);
	free(want);
	az_manifest_set_free(set);
	az_diags_clear(&d);
	mt_rmtree(dir);
	free(dir);
}

static void spec_file_merges_with_positions(void **state)
{
	(void)state;
	char *dir = mt_tempdir();
	mt_write(dir, "pipelines/p.yaml",
	         "kind: SynapsePipeline\nmetadata: {name: p}\nspec:\n  workspace: ws1\n"
	         "  specFile: ../json/p.json\n");
	mt_write(dir, "json/p.json",
	         "{\n  \"properties\": {\n    \"activities\": [\n"
	         "      {\"name\": \"copy\"}\n    ]\n  }\n}\n");
	az_diags d = AZ_DIAGS_INIT;
	az_manifest_set *set = NULL;
	assert_int_equal(mt_load(&set, dir, &d), 0);
	assert_int_equal(set->len, 1);
	az_manifest *m = &set->items[0];
	json_t *spec = json_object_get(m->body, "spec");
	assert_null(json_object_get(spec, "specFile"));
	assert_string_equal(json_string_value(json_object_get(spec, "workspace")), "ws1");
	json_t *act =
	    json_array_get(json_object_get(json_object_get(spec, "properties"), "activities"), 0);
	assert_string_equal(json_string_value(json_object_get(act, "name")), "copy");

	const az_pos *p = az_srcmap_get(m->map, "/spec/properties/activities/0/name");
	char *want = az_xasprintf("%s/json/p.json", dir);
	assert_string_equal(p->file, want);
	assert_int_equal(p->line, 4);
	assert_int_equal(p->col, 17);
	/* spec itself stays in the manifest. */
	assert_int_equal(az_srcmap_get(m->map, "/spec")->line, 4);
	assert_string_not_equal(az_srcmap_get(m->map, "/spec")->file, want);
	free(want);
	az_manifest_set_free(set);
	az_diags_clear(&d);
	mt_rmtree(dir);
	free(dir);
}

static void expect_load_error(const char *dir, const char *want_tail)
{
	az_diags d = AZ_DIAGS_INIT;
	az_manifest_set *set = NULL;
	assert_int_equal(mt_load(&set, dir, &d), AZ_EINVALID);
	char *err = mt_first_error(&d);
	char *want = az_xasprintf("%s/%s", dir, want_tail);
	if (strncmp(err, want, strlen(want)))
		fail_msg("got '%s', want '%s'", err, want);
	free(err);
	free(want);
	az_manifest_set_free(set);
	az_diags_clear(&d);
}

static void spec_file_errors_point_at_the_reference(void **state)
{
	(void)state;
	char *dir = mt_tempdir();
	const char *head = "kind: SynapsePipeline\nmetadata: {name: p}\nspec:\n  specFile: ";
	char *text = az_xasprintf("%smissing.json\n", head);
	mt_write(dir, "p.yaml", text);
	expect_load_error(dir, "p.yaml:4:13: cannot read specFile 'missing.json'");
	free(text);

	text = az_xasprintf("%s../outside.json\n", head);
	mt_write(dir, "p.yaml", text);
	expect_load_error(dir,
	                  "p.yaml:4:13: specFile '../outside.json' is outside the manifest tree");
	free(text);

	text = az_xasprintf("%s\"p.txt\"\n", head);
	mt_write(dir, "p.yaml", text);
	expect_load_error(dir, "p.yaml:4:14: specFile 'p.txt' must name a .json file");
	free(text);

	text = az_xasprintf("%sbad.json\n", head);
	mt_write(dir, "p.yaml", text);
	mt_write(dir, "bad.json", "{\"a\": [1, 2}\n");
	expect_load_error(dir, "p.yaml:4:13: specFile 'bad.json' is not valid JSON");
	mt_write(dir, "bad.json", "[1]\n");
	expect_load_error(dir, "p.yaml:4:13: specFile 'bad.json' must hold one JSON object");
	free(text);

	mt_write(dir, "p.yaml",
	         "kind: SynapsePipeline\nmetadata: {name: p}\nspec:\n"
	         "  properties: {}\n  specFile: dup.json\n");
	mt_write(dir, "dup.json", "{\n  \"properties\": {}\n}\n");
	expect_load_error(dir,
	                  "dup.json:2:4: 'properties' is set both in specFile and in spec at ");
	mt_rmtree(dir);
	free(dir);
}

static void links_out_of_the_tree_are_not_followed(void **state)
{
	(void)state;
	char *outside = mt_tempdir();
	char *dir = mt_tempdir();
	mt_write(outside, "secret.json", "{\"password\": \"x\"}\n");
	mt_write(outside, "m.yaml", workspace);
	mt_write(dir, "inner.yaml", workspace);
	char *target = az_xasprintf("%s/m.yaml", outside);
	char *link = az_xasprintf("%s/linked.yaml", dir);
	assert_int_equal(symlink(target, link), 0);
	free(target);
	free(link);
	target = az_xasprintf("%s/secret.json", outside);
	link = az_xasprintf("%s/s.json", dir);
	assert_int_equal(symlink(target, link), 0);
	free(target);
	free(link);
	/* A link inside the tree is fine. */
	target = az_xasprintf("%s/inner.yaml", dir);
	link = az_xasprintf("%s/same.yml", dir);
	assert_int_equal(symlink(target, link), 0);
	free(target);
	free(link);

	az_file_source src;
	az_diags d = AZ_DIAGS_INIT;
	assert_int_equal(az_file_source_dir(&src, dir, &d), 0);
	char **paths = NULL;
	size_t n = 0;
	assert_int_equal(src.list(src.ctx, &paths, &n, &d), 0);
	assert_int_equal(n, 2);
	assert_string_equal(paths[0], "inner.yaml");
	assert_string_equal(paths[1], "same.yml");
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
	char *data = NULL;
	size_t len = 0;
	assert_int_equal(src.read(src.ctx, "s.json", 1024, &data, &len, &d), AZ_EINVALID);
	assert_null(data);
	assert_non_null(strstr(d.items[0].summary, "outside the manifest tree"));
	az_file_source_free(&src);
	az_file_source_free(NULL);
	az_diags_clear(&d);

	assert_int_equal(az_file_source_dir(&src, "/nonexistent/azapply", &d), AZ_EINVALID);
	az_diags_clear(&d);
	mt_rmtree(dir);
	mt_rmtree(outside);
	free(dir);
	free(outside);
}

/* Hardening finding: a specFile that is a FIFO hung validate and plan for
 * ever, because open() waits for a writer. Anything but a regular file is
 * refused, named for what it is; the alarm turns a hang into a failure. */
static void spec_file_that_is_a_fifo_is_refused(void **state)
{
	(void)state;
	char *dir = mt_tempdir();
	mt_write(dir, "p.yaml",
	         "kind: SynapsePipeline\nmetadata: {name: p}\nspec:\n  specFile: p.json\n");
	char *fifo = az_xasprintf("%s/p.json", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	alarm(20);
	expect_load_error(dir, "p.yaml:4:13: cannot read specFile 'p.json': 'p.json' is a FIFO, "
	                       "not a regular file");

	/* Read directly too: the listing never offers it. */
	az_file_source src;
	az_diags d = AZ_DIAGS_INIT;
	assert_int_equal(az_file_source_dir(&src, dir, &d), 0);
	char *data = NULL;
	size_t len = 0;
	assert_int_equal(src.read(src.ctx, "p.json", 1024, &data, &len, &d), AZ_EINVALID);
	alarm(0);
	assert_null(data);
	assert_string_equal(d.items[0].summary, "'p.json' is a FIFO, not a regular file");
	assert_non_null(d.items[0].detail);
	az_diags_clear(&d);

	mt_write(dir, "dir.json/x", "");
	assert_int_equal(src.read(src.ctx, "dir.json", 1024, &data, &len, &d), AZ_EINVALID);
	assert_string_equal(d.items[0].summary, "'dir.json' is a directory, not a regular file");
	az_diags_clear(&d);
	az_file_source_free(&src);
	mt_rmtree(dir);
	free(fifo);
	free(dir);
}

/* Hardening finding: a 3 GB file was read whole before the 16 MiB limit
 * applied. The size is checked first: this sparse file costs no disk, and
 * reading it would cost 3 GB of memory. */
static void a_file_over_the_limit_is_not_read(void **state)
{
	(void)state;
	char *dir = mt_tempdir();
	mt_write(dir, "big.yaml", "");
	char *big = az_xasprintf("%s/big.yaml", dir);
	assert_int_equal(truncate(big, 3221225472), 0);
	az_diags d = AZ_DIAGS_INIT;
	az_manifest_set *set = NULL;
	assert_int_equal(mt_load(&set, dir, &d), AZ_EINVALID);
	char *err = mt_first_error(&d);
	char *want = az_xasprintf("%s:0:0: 'big.yaml' is 3221225472 bytes, more than the limit "
	                          "of 16777216 bytes",
	                          big);
	assert_string_equal(err, want);
	assert_non_null(d.items[0].detail);
	free(err);
	free(want);
	az_manifest_set_free(set);
	az_diags_clear(&d);

	/* A specFile too, at the place that names it. */
	char *json = az_xasprintf("%s/big.json", dir);
	assert_int_equal(rename(big, json), 0);
	free(json);
	mt_write(dir, "p.yaml",
	         "kind: SynapsePipeline\nmetadata: {name: p}\nspec:\n  specFile: big.json\n");
	expect_load_error(dir, "p.yaml:4:13: cannot read specFile 'big.json': 'big.json' is "
	                       "3221225472 bytes, more than the limit of 16777216 bytes");
	mt_rmtree(dir);
	free(big);
	free(dir);
}

static void file_limit_is_checked_first(void **state)
{
	(void)state;
	char *dir = mt_tempdir();
	mt_write(dir, "a.yaml", workspace);
	mt_write(dir, "b.yaml", workspace);
	az_file_source src;
	az_diags d = AZ_DIAGS_INIT;
	assert_int_equal(az_file_source_dir(&src, dir, &d), 0);
	az_load_limits lim = AZ_LOAD_LIMITS_DEFAULT;
	lim.max_files = 1;
	az_manifest_set *set = NULL;
	assert_int_equal(az_manifests_load(&set, &src, &lim, &d), AZ_EINVALID);
	assert_non_null(
	    strstr(d.items[0].summary, "holds 2 manifest files, more than the limit of 1"));
	assert_int_equal(set->len, 0);
	az_manifest_set_free(set);
	az_manifest_set_free(NULL);
	az_file_source_free(&src);
	az_diags_clear(&d);
	mt_rmtree(dir);
	free(dir);
}

#define NOTEBOOK                                                                                   \
	"apiVersion: azapply/v1\nkind: SynapseNotebook\nmetadata:\n"                               \
	"  name: nb%d\n  labels: {team: data, tier: \"%d\"}\nspec:\n"                              \
	"  workspace: ${ref.SynapseWorkspace.ws1}\n  properties:\n"                                \
	"    folder: {name: f%d}\n    cells:\n      - {type: code, source: "                       \
	"[\"print(1)\", \"x = 2\"]}\n      - {type: markdown, source: [\"# t\"]}\n"

/* 10,000 resources: 5,000 one per file, 5,000 as documents of one file,
 * all loaded, each from its place. How long it takes is a benchmark's
 * (bench_offline, bench_scale): a CPU budget here failed under ASan on a
 * slow machine beside the other tests. */
static void ten_thousand_resources_load(void **state)
{
	(void)state;
	char *dir = mt_tempdir();
	az_buf many = AZ_BUF_INIT;
	for (int i = 0; i < 5000; i++) {
		char rel[64], text[1024];
		snprintf(rel, sizeof(rel), "nb/%02d/nb%d.yaml", i % 50, i);
		snprintf(text, sizeof(text), NOTEBOOK, i, i, i);
		mt_write(dir, rel, text);
		az_buf_puts(&many, "---\n");
		snprintf(text, sizeof(text), NOTEBOOK, i + 5000, i, i);
		az_buf_puts(&many, text);
	}
	mt_write(dir, "many.yaml", many.data);
	az_buf_free(&many);

	az_diags d = AZ_DIAGS_INIT;
	az_manifest_set *set = NULL;
	assert_int_equal(mt_load(&set, dir, &d), 0);
	assert_int_equal(d.len, 0);
	assert_int_equal(set->len, 10000);
	size_t from_many = 0;
	for (size_t i = 0; i < set->len; i++) {
		const az_manifest *m = &set->items[i];
		if (strstr(m->pos.file, "many.yaml"))
			from_many++;
	}
	assert_int_equal(from_many, 5000);
	az_manifest_set_free(set);
	az_diags_clear(&d);
	mt_rmtree(dir);
	free(dir);
}

static int load_with(az_manifest_set **set, const char *dir, size_t parallel_bytes,
		     size_t max_file_bytes, az_diags *d)
{
	az_file_source src;
	assert_int_equal(az_file_source_dir(&src, dir, d), 0);
	az_load_limits lim = AZ_LOAD_LIMITS_DEFAULT;
	lim.parallel_parse_bytes = parallel_bytes;
	lim.max_file_bytes = max_file_bytes;
	int rc = az_manifests_load(set, &src, &lim, d);
	az_file_source_free(&src);
	return rc;
}

/* Files parsed on several threads give the set and the messages one
 * thread gives, in the same order: good files, broken ones, a file of
 * several documents, a non-mapping document, a specFile; read in one
 * batch, or in batches of four files at the size limit. */
static void parsed_on_threads_as_on_one(size_t max_file_bytes)
{
	char *dir = mt_tempdir();
	for (int i = 0; i < 60; i++) {
		char rel[64], text[1024];
		snprintf(rel, sizeof(rel), "nb/%02d.yaml", i);
		if (i % 17 == 3)
			snprintf(text, sizeof(text), "kind: SynapseNotebook\nmetadata: {name: [bad\n");
		else if (i % 17 == 8)
			snprintf(text, sizeof(text), "- a list, not a manifest %d\n", i);
		else if (i % 17 == 11)
			snprintf(text, sizeof(text), NOTEBOOK "---\n" NOTEBOOK, i, i, i, i + 100, i, i);
		else
			snprintf(text, sizeof(text), NOTEBOOK, i, i, i);
		mt_write(dir, rel, text);
	}
	mt_write(dir, "p/pipe.yaml",
	         "kind: SynapsePipeline\nmetadata: {name: p}\nspec:\n  specFile: pipe.json\n");
	mt_write(dir, "p/pipe.json", "{\"properties\": {\"activities\": []}}\n");

	az_diags one = AZ_DIAGS_INIT, many = AZ_DIAGS_INIT;
	az_manifest_set *a = NULL, *b = NULL;
	int rc_one = load_with(&a, dir, 0, max_file_bytes, &one);
	int rc_many = load_with(&b, dir, 1, max_file_bytes, &many);
	assert_int_equal(rc_one, AZ_EINVALID);
	assert_int_equal(rc_many, rc_one);
	/* 49 notebooks alone, 3 files of two, the pipeline; 4 broken, 4 lists */
	assert_int_equal(a->len, 49 + 6 + 1);
	assert_int_equal(b->len, a->len);
	for (size_t i = 0; i < a->len; i++) {
		assert_string_equal(b->items[i].address, a->items[i].address);
		assert_string_equal(b->items[i].file, a->items[i].file);
		assert_int_equal(b->items[i].doc, a->items[i].doc);
		assert_int_equal(b->items[i].pos.line, a->items[i].pos.line);
		assert_true(json_equal(b->items[i].body, a->items[i].body));
		const az_pos *pa = az_srcmap_get(a->items[i].map, "/metadata/name");
		const az_pos *pb = az_srcmap_get(b->items[i].map, "/metadata/name");
		assert_non_null(pa);
		assert_non_null(pb);
		assert_string_equal(pb->file, pa->file);
		assert_int_equal(pb->line, pa->line);
		assert_int_equal(pb->col, pa->col);
	}
	assert_int_equal(b->files_len, a->files_len);
	for (size_t i = 0; i < a->files_len; i++)
		assert_string_equal(b->files[i], a->files[i]);
	assert_int_equal(one.len, 8);
	assert_int_equal(many.len, one.len);
	for (size_t i = 0; i < one.len; i++) {
		assert_string_equal(many.items[i].summary, one.items[i].summary);
		assert_string_equal(many.items[i].file, one.items[i].file);
		assert_int_equal(many.items[i].line, one.items[i].line);
		assert_int_equal(many.items[i].col, one.items[i].col);
	}
	az_manifest_set_free(a);
	az_manifest_set_free(b);
	az_diags_clear(&one);
	az_diags_clear(&many);
	mt_rmtree(dir);
	free(dir);
}

static void files_parsed_on_threads_load_as_on_one(void **state)
{
	(void)state;
	parsed_on_threads_as_on_one(AZ_LOAD_LIMITS_DEFAULT.max_file_bytes);
}

/* 1,024-byte files at most: batches of about ten of the test's files. */
static void files_read_in_batches_load_as_at_once(void **state)
{
	(void)state;
	parsed_on_threads_as_on_one(1024);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(finds_manifests_in_sorted_order),
	    cmocka_unit_test(non_mapping_documents_are_errors),
	    cmocka_unit_test(spec_file_merges_with_positions),
	    cmocka_unit_test(spec_file_errors_point_at_the_reference),
	    cmocka_unit_test(links_out_of_the_tree_are_not_followed),
	    cmocka_unit_test(spec_file_that_is_a_fifo_is_refused),
	    cmocka_unit_test(a_file_over_the_limit_is_not_read),
	    cmocka_unit_test(file_limit_is_checked_first),
	    cmocka_unit_test(ten_thousand_resources_load),
	    cmocka_unit_test(files_parsed_on_threads_load_as_on_one),
	    cmocka_unit_test(files_read_in_batches_load_as_at_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
