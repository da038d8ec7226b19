/*
 * test_component_pinned.c - a component pinned to a commit of the stack's
 * repository (spec.source: {git: REF, path: PATH}): it is read from that
 * commit, not from the work tree, its files are named "REF:PATH/file",
 * the commit it came from is recorded, and every way to get the pin wrong
 * is reported at the line to fix. Repositories are built with libgit2.
 */
#include "mtest.h"
#include "mtest_git.h"

#include <git2.h>
#include <stdlib.h>
#include <string.h>

#include <azapply/git.h>

static const char project[] = "stack: teams\n"
                              "environments:\n"
                              "  dev: {}\n";

static const char declaration[] = "inputs:\n"
                                  "  team: {type: string}\n"
                                  "outputs:\n"
                                  "  group: ${ref.ResourceGroup.rg.id}\n";

static const char group_v1[] = "apiVersion: azapply.dev/v1\n"
                               "kind: ResourceGroup\n"
                               "metadata: {name: rg}\n"
                               "spec:\n"
                               "  name: rg-v1-${input.team}\n"
                               "  location: westeurope\n";

static const char group_v2[] = "apiVersion: azapply.dev/v1\n"
                               "kind: ResourceGroup\n"
                               "metadata: {name: rg}\n"
                               "spec:\n"
                               "  name: rg-v2-${input.team}\n"
                               "  location: westeurope\n";

static const char added_in_v2[] = "apiVersion: azapply.dev/v1\n"
                                  "kind: ResourceGroup\n"
                                  "metadata: {name: extra}\n"
                                  "spec: {name: rg-extra, location: westeurope}\n";

typedef struct repo {
	char *dir;
	char *v1; /* the commit tagged v1 */
	az_manifest_set *set;
	az_diags d;
} repo;

/* A repository whose stack is at its root and whose component
 * components/tp is at v1 in the commit tagged v1 and at v2 in the work
 * tree (a changed group and a new file). */
static repo *repo_new(void)
{
	repo *r = az_xcalloc(1, sizeof(*r));
	r->dir = mt_tempdir();
	mt_write(r->dir, "azapply.yaml", project);
	mt_write(r->dir, "components/tp/component.yaml", declaration);
	mt_write(r->dir, "components/tp/rg.yaml", group_v1);
	git_libgit2_init();
	r->v1 = mt_git_commit(r->dir, "v1");
	mt_write(r->dir, "components/tp/rg.yaml", group_v2);
	mt_write(r->dir, "components/tp/extra.yaml", added_in_v2);
	return r;
}

static void repo_free(repo *r)
{
	az_manifest_set_free(r->set);
	az_diags_clear(&r->d);
	git_libgit2_shutdown();
	mt_rmtree(r->dir);
	free(r->dir);
	free(r->v1);
	free(r);
}

/* The source of `dir` as the command line opens it: the directory, with
 * pinned sources read from the repository holding it. */
static void open_dir(az_file_source *src, const char *dir, az_diags *d)
{
	assert_int_equal(az_file_source_dir(src, dir, d), 0);
	az_git_attach_revisions(src, dir);
}

/* Loads and resolves `dir` for dev. */
static int load(az_manifest_set **out, const char *dir, az_diags *d)
{
	az_file_source src;
	open_dir(&src, dir, d);
	int rc = az_manifests_load(out, &src, NULL, d);
	if (!rc)
		rc = az_manifests_resolve_vars(*out, "dev", mt_getenv, NULL, d);
	az_file_source_free(&src);
	return rc;
}

/* Writes `stack` as the repository's teams.yaml and loads it; returns
 * the first error as "file:line:col: summary" with the directory left
 * out (caller frees). */
static char *load_error(repo *r, const char *stack)
{
	mt_write(r->dir, "teams.yaml", stack);
	assert_int_equal(load(&r->set, r->dir, &r->d), AZ_EINVALID);
	char *e = mt_first_error(&r->d);
	size_t n = strlen(r->dir);
	if (!strncmp(e, r->dir, n) && e[n] == '/')
		memmove(e, e + n + 1, strlen(e + n + 1) + 1);
	return e;
}

static const az_manifest *find(const az_manifest_set *set, const char *address)
{
	for (size_t i = 0; i < set->len; i++)
		if (set->items[i].address && !strcmp(set->items[i].address, address))
			return &set->items[i];
	return NULL;
}

static const char *spec_name(const az_manifest *m)
{
	return json_string_value(json_object_get(json_object_get(m->body, "spec"), "name"));
}

/* A Component manifest: instance `name` of `source` (line 4, column 16)
 * for team `team` (caller frees). */
static char *call_site(const char *name, const char *source, const char *team)
{
	return az_xasprintf("apiVersion: azapply.dev/v1\n"
	                    "kind: Component\n"
	                    "metadata: {name: %s}\n"
	                    "spec: {source: %s, inputs: {team: %s}}\n",
	                    name, source, team);
}

/* Writes the call site of instance "a" of `source` as teams.yaml. */
static void write_call_site(const char *dir, const char *name, const char *source)
{
	char *stack = call_site(name, source, "a");
	mt_write(dir, "teams.yaml", stack);
	free(stack);
}

/* The commit the set's pin `key` ("REF:PATH") resolved to. */
static const char *pin(const az_manifest_set *set, const char *key)
{
	return json_string_value(json_object_get(set->pins, key));
}

static void a_pinned_component_is_read_from_its_commit(void **state)
{
	(void)state;
	repo *r = repo_new();
	char *by_id = az_xasprintf("{git: %s, path: ./components/tp/}", r->v1);
	char *sites[] = {
	    call_site("tagged", "{git: v1, path: components/tp}", "a"),
	    call_site("by-id", by_id, "b"),
	    call_site("live", "components/tp", "c"),
	};
	char *stack = az_xasprintf("%s---\n%s---\n%s", sites[0], sites[1], sites[2]);
	for (size_t i = 0; i < 3; i++)
		free(sites[i]);
	free(by_id);
	mt_write(r->dir, "teams.yaml", stack);
	assert_int_equal(load(&r->set, r->dir, &r->d), 0);
	assert_int_equal(r->d.len, 0);

	/* Pinned: v1's group, and not the file the work tree added. */
	const az_manifest *tagged = find(r->set, "tagged/ResourceGroup/rg");
	assert_non_null(tagged);
	assert_string_equal(spec_name(tagged), "rg-v1-a");
	assert_null(find(r->set, "tagged/ResourceGroup/extra"));
	/* Its file is named by the pin, not as a file of the stack. */
	assert_string_equal(tagged->pos.file, "v1:components/tp/rg.yaml");
	assert_string_equal(tagged->file, "v1:components/tp/rg.yaml");
	const az_manifest *pinned_by_id = find(r->set, "by-id/ResourceGroup/rg");
	assert_non_null(pinned_by_id);
	assert_string_equal(spec_name(pinned_by_id), "rg-v1-b");
	assert_null(find(r->set, "by-id/ResourceGroup/extra"));

	/* The plain path reads the work tree. */
	const az_manifest *live = find(r->set, "live/ResourceGroup/rg");
	assert_non_null(live);
	assert_string_equal(spec_name(live), "rg-v2-c");
	assert_non_null(find(r->set, "live/ResourceGroup/extra"));

	/* What each pin resolved to, for the plan's provenance. */
	assert_int_equal(json_object_size(r->set->pins), 2);
	assert_string_equal(pin(r->set, "v1:components/tp"), r->v1);
	char *by_id_key = az_xasprintf("%s:components/tp", r->v1);
	assert_string_equal(pin(r->set, by_id_key), r->v1);
	free(by_id_key);
	free(stack);
	repo_free(r);
}

/* --git-ref reads the stack from a commit; a component it pins comes from
 * the same repository. */
static void a_pin_in_a_commit_reads_the_same_repository(void **state)
{
	(void)state;
	repo *r = repo_new();
	write_call_site(r->dir, "tagged", "{git: v1, path: components/tp}");
	char *head = mt_git_commit(r->dir, "v2");
	az_git_source_options o = {.repo = r->dir, .ref = "v2"};
	az_file_source src;
	assert_int_equal(az_git_source_open(&src, NULL, &o, &r->d), 0);
	assert_int_equal(az_manifests_load(&r->set, &src, NULL, &r->d), 0);
	assert_int_equal(az_manifests_resolve_vars(r->set, "dev", mt_getenv, NULL, &r->d), 0);
	const az_manifest *tagged = find(r->set, "tagged/ResourceGroup/rg");
	assert_non_null(tagged);
	assert_string_equal(spec_name(tagged), "rg-v1-a");
	assert_string_equal(pin(r->set, "v1:components/tp"), r->v1);
	az_file_source_free(&src);
	free(head);
	repo_free(r);
}

/* A ref is resolved once for the source: a branch that moves while the
 * stack is checked (validate loads it once per environment) does not
 * give its instances two commits. */
static void a_ref_names_one_commit_for_the_source(void **state)
{
	(void)state;
	repo *r = repo_new();
	write_call_site(r->dir, "a", "{git: HEAD, path: components/tp}");
	az_file_source src;
	open_dir(&src, r->dir, &r->d);
	assert_int_equal(az_manifests_load(&r->set, &src, NULL, &r->d), 0);
	assert_string_equal(pin(r->set, "HEAD:components/tp"), r->v1);
	az_manifest_set_free(r->set);
	char *v2 = mt_git_commit(r->dir, "v2");
	assert_int_equal(az_manifests_load(&r->set, &src, NULL, &r->d), 0);
	assert_string_equal(pin(r->set, "HEAD:components/tp"), r->v1);
	/* A new source sees where HEAD is now. */
	az_file_source_free(&src);
	az_manifest_set_free(r->set);
	open_dir(&src, r->dir, &r->d);
	assert_int_equal(az_manifests_load(&r->set, &src, NULL, &r->d), 0);
	assert_string_equal(pin(r->set, "HEAD:components/tp"), v2);
	az_file_source_free(&src);
	free(v2);
	repo_free(r);
}

/* A problem inside a pinned component is named in the commit's file,
 * not in the work tree's (which has it fixed). */
static void a_problem_in_a_pinned_file_names_the_pin(void **state)
{
	(void)state;
	char *dir = mt_tempdir();
	mt_write(dir, "azapply.yaml", project);
	mt_write(dir, "components/tp/component.yaml", declaration);
	mt_write(dir, "components/tp/rg.yaml",
	         "apiVersion: azapply.dev/v1\n"
	         "kind: ResourceGroup\n"
	         "metadata: {name: rg}\n"
	         "spec: {name: \"rg-${input.tema}\", location: westeurope}\n");
	git_libgit2_init();
	char *v1 = mt_git_commit(dir, "v1");
	mt_write(dir, "components/tp/rg.yaml", group_v2);
	write_call_site(dir, "a", "{git: v1, path: components/tp}");
	az_manifest_set *set = NULL;
	az_diags d = AZ_DIAGS_INIT;
	assert_int_equal(load(&set, dir, &d), AZ_EINVALID);
	char *e = mt_first_error(&d);
	assert_string_equal(e, "v1:components/tp/rg.yaml:4:18: unknown input 'tema'");
	assert_string_equal(d.items[0].detail, "did you mean 'team'?");
	free(e);
	free(v1);
	az_manifest_set_free(set);
	az_diags_clear(&d);
	git_libgit2_shutdown();
	mt_rmtree(dir);
	free(dir);
}

static void pin_errors_are_at_the_line_to_fix(void **state)
{
	(void)state;
	static const struct {
		const char *source; /* spec.source's value, at line 4 column 16 */
		const char *error;
	} cases[] = {
	    {"{git: v9, path: components/tp}", "teams.yaml:4:22: no commit named 'v9'"},
	    {"{git: v1, path: components/nope}",
	     "teams.yaml:4:32: 'components/nope' is not a folder in v1"},
	    {"{git: v1, path: ../elsewhere/tp}",
	     "teams.yaml:4:32: component path '../elsewhere/tp' leaves the repository"},
	    {"{git: v1, path: /components/tp}",
	     "teams.yaml:4:32: component path '/components/tp' leaves the repository"},
	    {"{git: v1, path: components}", "teams.yaml:4:16: no component.yaml in "
	                                    "'v1:components'"},
	    {"{git: v1, path: components/tp/rg.yaml}",
	     "teams.yaml:4:32: 'components/tp/rg.yaml' is not a folder in v1"},
	    {"{git: v1, path: components/tp, tag: v2}",
	     "teams.yaml:4:47: unknown key 'tag' in spec.source"},
	    {"{git: \"${var.version}\", path: components/tp}",
	     "teams.yaml:4:23: spec.source.git must name a commit, tag or branch (no expressions)"},
	    {"{path: components/tp}", "teams.yaml:4:16: a pinned spec.source needs git: REF"},
	    {"[v1, components/tp]", "teams.yaml:4:16: spec.source of a Component must be a plain "
	                            "path or {git: REF, path: PATH}"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		repo *r = repo_new();
		char *stack = call_site("a", cases[i].source, "a");
		char *e = load_error(r, stack);
		assert_string_equal(e, cases[i].error);
		/* Each is said once, with the fix. */
		assert_int_equal(az_diags_errors(&r->d), 1);
		for (size_t j = 0; j < r->d.len; j++)
			assert_non_null(r->d.items[j].detail);
		free(e);
		free(stack);
		repo_free(r);
	}
}

/* validate of a folder outside git: the hook finds no repository once a
 * pin asks for one, and the pin says what to do. */
static void a_pin_outside_git_says_it_needs_the_repository(void **state)
{
	(void)state;
	char *dir = mt_tempdir();
	mt_write(dir, "azapply.yaml", project);
	write_call_site(dir, "a", "{git: v1, path: components/tp}");
	az_file_source src;
	az_diags d = AZ_DIAGS_INIT;
	assert_int_equal(az_file_source_dir(&src, dir, &d), 0);
	az_git_attach_revisions(&src, dir);
	az_manifest_set *set = NULL;
	assert_int_equal(az_manifests_load(&set, &src, NULL, &d), AZ_EINVALID);
	assert_int_equal(az_diags_errors(&d), 1);
	char *e = mt_first_error(&d);
	char *want = az_xasprintf("%s/teams.yaml:4:16: component source pinned to 'v1' needs a git "
	                          "repository, and '%s' is not in one",
	                          dir, dir);
	assert_string_equal(e, want);
	assert_non_null(strstr(d.items[0].detail, "write source: PATH"));
	/* Resolving does not say it again. */
	az_manifests_resolve_vars(set, "dev", mt_getenv, NULL, &d);
	assert_int_equal(az_diags_errors(&d), 1);
	free(want);
	free(e);
	az_manifest_set_free(set);
	az_file_source_free(&src);
	az_diags_clear(&d);
	mt_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_pinned_component_is_read_from_its_commit),
	    cmocka_unit_test(a_pin_in_a_commit_reads_the_same_repository),
	    cmocka_unit_test(a_ref_names_one_commit_for_the_source),
	    cmocka_unit_test(a_problem_in_a_pinned_file_names_the_pin),
	    cmocka_unit_test(pin_errors_are_at_the_line_to_fix),
	    cmocka_unit_test(a_pin_outside_git_says_it_needs_the_repository),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
