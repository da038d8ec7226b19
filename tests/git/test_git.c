/*
 * test_git.c - GitOps against the emulator: manifests read from git
 * revisions, `azapply diff` between branches, and the provenance apply
 * writes into the ownership marker.
 *
 * The repository is built with libgit2 in a temporary folder: the example
 * platform committed on main, then a branch that renames a manifest,
 * deletes one, changes a specFile JSON and a variable of azapply.yaml;
 * a bare clone (git clone --bare) stands in for a CI mirror. Last, a stack
 * of its own whose component is pinned to a tag. The real binary runs
 * against the emulator as in the end-to-end tests.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <git2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "run.h"

#define POOL_ID                                                                                  \
	"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-mlplatform-dev/" \
	"providers/Microsoft.Synapse/workspaces/synw-mlplatform-dev/bigDataPools/sparkml"

typedef struct world {
	emu *e;
	char **env;
	char dir[64];
	char work[128];  /* the work tree (main checked out) */
	char bare[128];  /* a bare clone */
	char main_id[GIT_OID_HEXSZ + 1];
	char feature_id[GIT_OID_HEXSZ + 1];
} world;

static void sh(const char *prog, const char *a, const char *b, const char *c)
{
	const char *argv[] = {a, b, c, NULL};
	run_result r;
	assert_int_equal(run_command(&r, prog, argv, NULL, NULL), 0);
	assert_int_equal(r.exit_code, 0);
	run_result_free(&r);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* Replaces the first `from` by `to` in the file at dir/rel. */
static void edit_file(const char *dir, const char *rel, const char *from, const char *to)
{
	char path[512], buf[16384], out[16384];
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *at = strstr(buf, from);
	assert_non_null(at);
	snprintf(out, sizeof(out), "%.*s%s%s", (int)(at - buf), buf, to, at + strlen(from));
	write_file(path, out);
}

/* Stages everything in the work tree (new, changed and deleted files) and
 * commits it on HEAD's branch, as `git add -A && git commit` would. */
static void commit_all(git_repository *repo, const char *message, char *id_out)
{
	git_index *index = NULL;
	git_oid tree_id, commit_id, parent_id;
	git_tree *tree = NULL;
	git_commit *parent = NULL;
	git_signature *sig = NULL;
	char *all[] = {"*"};
	git_strarray spec = {all, 1};
	assert_int_equal(git_repository_index(&index, repo), 0);
	assert_int_equal(git_index_add_all(index, &spec, 0, NULL, NULL), 0);
	assert_int_equal(git_index_update_all(index, &spec, NULL, NULL), 0);
	assert_int_equal(git_index_write(index), 0);
	assert_int_equal(git_index_write_tree(&tree_id, index), 0);
	assert_int_equal(git_tree_lookup(&tree, repo, &tree_id), 0);
	assert_int_equal(git_signature_new(&sig, "Test", "test@example.com", 1700000000, 0), 0);
	if (git_reference_name_to_id(&parent_id, repo, "HEAD") == 0)
		assert_int_equal(git_commit_lookup(&parent, repo, &parent_id), 0);
	const git_commit *parents[] = {parent};
	assert_int_equal(git_commit_create(&commit_id, repo, "HEAD", sig, sig, NULL, message, tree,
					   parent ? 1 : 0, parents),
			 0);
	git_oid_tostr(id_out, GIT_OID_HEXSZ + 1, &commit_id);
	git_signature_free(sig);
	git_commit_free(parent);
	git_tree_free(tree);
	git_index_free(index);
}

/* Commits everything in the work tree on its current branch. */
static void commit_work_tree(world *w, const char *message, char *id_out)
{
	git_repository *repo = NULL;
	git_libgit2_init();
	assert_int_equal(git_repository_open(&repo, w->work), 0);
	commit_all(repo, message, id_out);
	git_repository_free(repo);
	git_libgit2_shutdown();
}

static void switch_branch(git_repository *repo, const char *ref)
{
	git_checkout_options co;
	git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
	co.checkout_strategy = GIT_CHECKOUT_FORCE | GIT_CHECKOUT_REMOVE_UNTRACKED;
	assert_int_equal(git_repository_set_head(repo, ref), 0);
	assert_int_equal(git_checkout_head(repo, &co), 0);
}

static void build_repository(world *w)
{
	git_repository *repo = NULL;
	git_commit *head = NULL;
	git_reference *branch = NULL;
	git_oid id;
	char scratch[GIT_OID_HEXSZ + 1];

	git_libgit2_init();
	assert_int_equal(git_repository_init(&repo, w->work, 0), 0);
	/* HEAD names main before the first commit, whatever the defaults are. */
	assert_int_equal(git_repository_set_head(repo, "refs/heads/main"), 0);
	char stack[192];
	snprintf(stack, sizeof(stack), "%s/infra", w->work);
	sh("/bin/cp", "-r", AZAPPLY_SOURCE_DIR "/examples/synapse-ml", stack);
	char readme[192];
	snprintf(readme, sizeof(readme), "%s/README.md", w->work);
	write_file(readme, "platform\n");
	commit_all(repo, "platform", w->main_id);

	/* feature: rename, delete, a specFile change and a variable change. */
	assert_int_equal(git_oid_fromstr(&id, w->main_id), 0);
	assert_int_equal(git_commit_lookup(&head, repo, &id), 0);
	assert_int_equal(git_branch_create(&branch, repo, "feature", head, 0), 0);
	assert_int_equal(git_repository_set_head(repo, "refs/heads/feature"), 0);
	char from[256], to[256];
	snprintf(from, sizeof(from), "%s/21-spark-pool.yaml", stack);
	snprintf(to, sizeof(to), "%s/21-spark.yaml", stack);
	assert_int_equal(rename(from, to), 0);
	snprintf(from, sizeof(from), "%s/44-sql-script.yaml", stack);
	assert_int_equal(unlink(from), 0);
	edit_file(stack, "artifacts/nightly-training.json", "\"retry\": 1", "\"retry\": 2");
	edit_file(stack, "azapply.yaml", "sparkMaxNodes: 3", "sparkMaxNodes: 4");
	commit_all(repo, "feature", w->feature_id);

	/* A broken revision: its error must name the revision and the file. */
	switch_branch(repo, "refs/heads/main");
	git_reference_free(branch);
	assert_int_equal(git_branch_create(&branch, repo, "broken", head, 0), 0);
	assert_int_equal(git_repository_set_head(repo, "refs/heads/broken"), 0);
	edit_file(stack, "21-spark-pool.yaml", "workspace: synapse", "workspace: synaps");
	commit_all(repo, "typo", scratch);
	switch_branch(repo, "refs/heads/main");

	/* git's own bare clone, as a CI mirror is made (libgit2 1.5 leaks a
	 * regex match block per remote it creates, which LSan would report). */
	const char *clone[] = {"clone", "--bare", "-q", w->work, w->bare, NULL};
	run_result r;
	assert_int_equal(run_command(&r, "/usr/bin/git", clone, NULL, NULL), 0);
	assert_int_equal(r.exit_code, 0);
	run_result_free(&r);
	git_reference_free(branch);
	git_commit_free(head);
	git_repository_free(repo);
	git_libgit2_shutdown();
}

static int setup(void **state)
{
	world *w = calloc(1, sizeof(*w));
	const char *args[] = {"--retry-after", "0", NULL};
	if (emu_start(&w->e, args) != 0)
		return -1;
	char *const none[] = {NULL};
	w->env = emu_env(w->e, none);
	char *dir = test_tempdir("azapply-git");
	if (!dir)
		return -1;
	snprintf(w->dir, sizeof(w->dir), "%s", dir);
	free(dir);
	snprintf(w->work, sizeof(w->work), "%s/work", w->dir);
	snprintf(w->bare, sizeof(w->bare), "%s/mirror.git", w->dir);
	*state = w;
	build_repository(w);
	return 0;
}

static int teardown(void **state)
{
	world *w = *state;
	sh("/bin/rm", "-rf", w->dir, NULL);
	emu_env_free(w->env);
	int status = emu_stop(w->e);
	free(w);
	return status == 0 ? 0 : -1;
}

/* Runs azapply in `cwd` with the emulator's environment and the example's
 * secret; argv is NULL-terminated. */
static run_result azapply_in(world *w, const char *cwd, const char *const *argv)
{
	const char **env =
		test_env_with(w->env, "SYNAPSE_SQL_PASSWORD=git-Passw0rd!", "NO_COLOR=1", NULL);
	run_result r;
	assert_int_equal(run_command(&r, AZAPPLY_BINARY, argv, env, cwd), 0);
	free(env);
	return r;
}

static void expect(const run_result *r, int code, const char *needle)
{
	if (r->exit_code != code || (needle && !strstr(r->out, needle) && !strstr(r->err, needle)))
		fail_msg("expected exit %d and '%s'; got exit %d\nstdout:\n%s\nstderr:\n%s", code,
			 needle ? needle : "", r->exit_code, r->out, r->err);
	assert_null(strstr(r->out, "git-Passw0rd!"));
	assert_null(strstr(r->err, "git-Passw0rd!"));
}

static void expect_run(world *w, const char *cwd, const char *const *argv, int code,
		       const char *needle)
{
	run_result r = azapply_in(w, cwd, argv);
	expect(&r, code, needle);
	run_result_free(&r);
}

/* The azapply-commit tag of the Spark pool in the emulator, or "". */
static char *pool_commit(world *w)
{
	json_t *pool = NULL;
	assert_int_equal(emu_control(w->e, "GET", "arm" POOL_ID, NULL, &pool), 200);
	const char *c = json_string_value(json_object_get(json_object_get(pool, "tags"),
							  "azapply-commit"));
	char *out = strdup(c ? c : "");
	json_decref(pool);
	return out;
}

/* diff between two branches of the bare mirror: the rename is no change,
 * the deletion, the specFile JSON and the variable are. */
static void diff_between_branches(void **state)
{
	world *w = *state;
	const char *argv[] = {"diff", "--repo", w->bare, "--base", "main", "--head",
			      "feature", "infra", "--env", "dev", "--detailed-exitcode",
			      NULL};
	run_result r = azapply_in(w, NULL, argv);
	expect(&r, 2, "- SqlScript/predict: removed (was in 44-sql-script.yaml)\n");
	expect(&r, 2, "~ SparkPool/spark: changed in 21-spark.yaml (moved from "
		      "21-spark-pool.yaml)\n"
		      "    ~ spec.properties.autoScale.maxNodeCount: 3 -> 4\n");
	expect(&r, 2, "~ azapply.yaml\n    ~ variables.sparkMaxNodes: 3 -> 4\n");
	expect(&r, 2, "0 added, 1 removed, 2 changed, 1 setting of azapply.yaml changed.");
	/* The specFile JSON's change is a property of the pipeline. */
	const char *p = strstr(r.out, "~ Pipeline/nightly-training: changed in 42-pipeline.yaml\n");
	assert_non_null(p);
	assert_non_null(strstr(p, "retry: 1 -> 2\n"));
	/* Nothing else: the notebook, the workspace and its secret are equal. */
	assert_null(strstr(r.out, "SynapseWorkspace"));
	assert_null(strstr(r.out, "Notebook/"));
	run_result_free(&r);

	/* JSON: the rename is reported as moved, not as a change. */
	const char *json_argv[] = {"diff", "--repo", w->bare, "--base", "main", "--head",
				   "feature", "infra", "--env", "dev", "-o", "json", NULL};
	r = azapply_in(w, NULL, json_argv);
	expect(&r, 0, NULL);
	json_t *j = json_loads(r.out, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "base"), "commit")),
			    w->main_id);
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "head"), "commit")),
			    w->feature_id);
	json_t *counts = json_object_get(j, "counts");
	assert_int_equal(json_integer_value(json_object_get(counts, "added")), 0);
	assert_int_equal(json_integer_value(json_object_get(counts, "removed")), 1);
	assert_int_equal(json_integer_value(json_object_get(counts, "changed")), 2);
	size_t i;
	json_t *res;
	bool saw_pool = false;
	json_array_foreach(json_object_get(j, "resources"), i, res) {
		const char *addr = json_string_value(json_object_get(res, "address"));
		if (strcmp(addr, "SparkPool/spark") == 0) {
			saw_pool = true;
			assert_string_equal(json_string_value(json_object_get(res, "previousFile")),
					    "21-spark-pool.yaml");
		}
	}
	assert_true(saw_pool);
	json_decref(j);
	run_result_free(&r);

	/* The same revision twice: nothing, exit 0 even with --detailed-exitcode. */
	const char *same[] = {"diff", "--repo", w->bare, "--base", "main", "--head", "main",
			      "infra", "--env", "dev", "--detailed-exitcode", NULL};
	expect_run(w, NULL, same, 0, "No changes in git between main and main.");

	/* Markdown for a pull-request comment. */
	const char *md[] = {"diff", "--repo", w->bare, "--base", "main", "--head",
			    "feature", "infra", "--env", "dev", "-o", "markdown", NULL};
	expect_run(w, NULL, md, 0, "| - removed | `SqlScript/predict` | `44-sql-script.yaml` | 0 |");
}

/* Diagnostics from a revision name it: REF:path:line:col. */
static void validate_names_the_revision(void **state)
{
	world *w = *state;
	const char *argv[] = {"validate", "infra", "--git-ref", "broken", "--env", "dev", NULL};
	expect_run(w, w->work, argv, 1, "broken:infra/21-spark-pool.yaml:7:14: error:");
	const char *ok[] = {"validate", "infra", "--git-ref", "feature", "--repo", w->bare,
			    "--env", "dev", NULL};
	expect_run(w, NULL, ok, 0, "Valid: 26 resources");
	const char *missing[] = {"validate", "nowhere", "--git-ref", "main", "--env", "dev", NULL};
	expect_run(w, w->work, missing, 1, "'nowhere' is not a folder in main");
	const char *no_repo[] = {"validate", "--repo", w->bare, NULL};
	expect_run(w, w->work, no_repo, 1, "--repo only applies to --git-ref");
}

/* Apply from a clean work tree records HEAD; a new commit with the same
 * manifests still plans nothing; a dirty tree warns, or refuses with
 * --require-clean; --git-ref plans and applies a branch of the bare clone. */
static void provenance_and_git_ref(void **state)
{
	world *w = *state;
	char stack[192];
	snprintf(stack, sizeof(stack), "%s/infra", w->work);

	const char *apply[] = {"apply", "infra", "--env", "dev", "--auto-approve", NULL};
	run_result r = azapply_in(w, w->work, apply);
	expect(&r, 0, "Apply complete: 27 done, 0 failed, 0 skipped.");
	assert_null(strstr(r.err, "uncommitted"));
	run_result_free(&r);
	char *c = pool_commit(w);
	assert_string_equal(c, w->main_id);
	free(c);

	/* drift says which commit applied what, in text and JSON. */
	const char *drift[] = {"drift", "infra", "--env", "dev", NULL};
	char line[160];
	snprintf(line, sizeof(line), "Last applied from commit %s: ", w->main_id);
	expect_run(w, w->work, drift, 0, line);
	const char *drift_json[] = {"drift", "infra", "--env", "dev", "-o", "json", NULL};
	r = azapply_in(w, w->work, drift_json);
	expect(&r, 0, NULL);
	json_t *j = json_loads(r.out, 0, NULL);
	json_t *by = json_object_get(json_object_get(j, "lastAppliedCommits"), w->main_id);
	/* Firewall rules and Synapse role assignments carry no marker. */
	assert_true(json_array_size(by) >= 14);
	json_decref(j);
	run_result_free(&r);

	/* A new commit that leaves the manifests alone changes no plan. */
	char next[GIT_OID_HEXSZ + 1];
	edit_file(w->work, "README.md", "", "docs\n");
	commit_work_tree(w, "docs", next);
	const char *plan[] = {"plan", "infra", "--env", "dev", "--detailed-exitcode", NULL};
	expect_run(w, w->work, plan, 0, "No changes.");

	/* A dirty stack folder: refused with --require-clean, else a warning
	 * and "-dirty" in the marker. */
	edit_file(stack, "21-spark-pool.yaml", "delayInMinutes: 15", "delayInMinutes: 20");
	const char *strict[] = {"apply", "infra", "--env", "dev", "--auto-approve",
				"--require-clean", NULL};
	expect_run(w, w->work, strict, 1, "infra has uncommitted changes: nothing was applied");
	r = azapply_in(w, w->work, apply);
	expect(&r, 0, "Apply complete: 1 done");
	assert_non_null(strstr(r.err, "warning: infra has uncommitted changes"));
	run_result_free(&r);
	char dirty[64];
	snprintf(dirty, sizeof(dirty), "%s-dirty", next);
	c = pool_commit(w);
	assert_string_equal(c, dirty);
	free(c);

	/* --git-ref reads the bare mirror's branch: the feature's changes. */
	const char *plan_ref[] = {"plan", "infra", "--env", "dev", "--git-ref", "feature",
				  "--repo", w->bare, "--detailed-exitcode", NULL};
	r = azapply_in(w, NULL, plan_ref);
	expect(&r, 2, "~ properties.autoScale.maxNodeCount: 3 -> 4");
	assert_non_null(strstr(r.out, "SqlScript/predict"));
	run_result_free(&r);
	const char *apply_ref[] = {"apply", "infra", "--env", "dev", "--git-ref", "feature",
				   "--repo", w->bare, "--auto-approve", "--require-clean", NULL};
	expect_run(w, NULL, apply_ref, 0, "Apply complete:");
	c = pool_commit(w);
	assert_string_equal(c, w->feature_id);
	free(c);
	const char *settled[] = {"plan", "infra", "--env", "dev", "--git-ref", "feature",
				 "--repo", w->bare, "--detailed-exitcode", NULL};
	expect_run(w, NULL, settled, 0, "No changes.");

	/* diff --plan: git changes and what they do in Azure (feature is
	 * applied now, so main would undo it). */
	const char *diff_plan[] = {"diff", "--repo", w->bare, "--base", "feature",
				   "--head", "main", "infra", "--env", "dev", "--plan", NULL};
	r = azapply_in(w, NULL, diff_plan);
	expect(&r, 0, "+ SqlScript/predict: added in 44-sql-script.yaml");
	assert_non_null(strstr(r.out, "What it will do in Azure:"));
	assert_non_null(strstr(r.out, "~ properties.autoScale.maxNodeCount: 4 -> 3"));
	run_result_free(&r);
}

/* The plan JSON a command prints (its `member`, or all of stdout), dumped
 * one way, for comparing byte for byte. */
static char *plan_json(world *w, const char *const *argv, const char *member)
{
	run_result r = azapply_in(w, w->work, argv);
	expect(&r, 0, NULL);
	json_error_t err;
	json_t *j = json_loads(r.out, 0, &err);
	if (!j)
		fail_msg("%s printed no JSON (%s):\n%s\n%s", argv[0], err.text, r.out, r.err);
	json_t *plan = member ? json_object_get(j, member) : j;
	assert_non_null(plan);
	char *dumped = json_dumps(plan, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(j);
	run_result_free(&r);
	return dumped;
}

/* A copy of `s` with every `from` replaced by `to`. */
static char *replace_all(const char *s, const char *from, const char *to)
{
	size_t n = 0, from_len = strlen(from), to_len = strlen(to);
	for (const char *p = strstr(s, from); p; p = strstr(p + from_len, from))
		n++;
	char *out = malloc(strlen(s) + n * to_len + 1), *o = out;
	assert_non_null(out);
	for (const char *p = s, *hit; (hit = strstr(p, from)) || *p; p = hit + from_len) {
		if (!hit) {
			strcpy(o, p);
			return out;
		}
		memcpy(o, p, (size_t)(hit - p));
		o += hit - p;
		memcpy(o, to, to_len);
		o += to_len;
	}
	*o = '\0';
	return out;
}

/* Fails at the first line where `other` differs from plan's `expected`. */
static void expect_same_plan(const char *what, const char *expected, const char *other)
{
	size_t at = 0, line = 1;
	while (expected[at] && expected[at] == other[at])
		if (expected[at++] == '\n')
			line++;
	if (!expected[at] && !other[at])
		return;
	while (at > 0 && expected[at - 1] != '\n')
		at--;
	fail_msg("%s and plan differ from line %zu:\nplan:\n%.300s\n%s:\n%.300s", what, line,
		 expected + at, what, other + at);
}

/* plan on the work tree, plan --git-ref HEAD and diff --plan agree on the
 * plan, byte for byte; `change` is a property path the plan must change,
 * or NULL for "No changes". */
static void expect_plans_agree(world *w, const char *change)
{
	const char *plan[] = {"plan", "infra", "--env", "dev", "-o", "json", NULL};
	const char *plan_ref[] = {"plan", "infra", "--env", "dev", "--git-ref", "HEAD",
				  "-o", "json", NULL};
	const char *diff_plan[] = {"diff", "--base", "HEAD", "--head", "HEAD", "infra",
				   "--env", "dev", "--plan", "-o", "json", NULL};
	char *a = plan_json(w, plan, NULL);
	char *b = plan_json(w, plan_ref, NULL);
	char *c = plan_json(w, diff_plan, "plan");
	expect_same_plan("diff --plan", b, c);
	/* A revision's files are named REF:path, as in its diagnostics: the
	 * one difference from the work tree's plan. */
	char *b_as_tree = replace_all(b, "\"file\": \"HEAD:", "\"file\": \"");
	expect_same_plan("plan --git-ref HEAD", a, b_as_tree);
	free(b_as_tree);
	json_t *j = json_loads(a, 0, NULL);
	assert_int_equal(json_is_true(json_object_get(j, "changes")), change != NULL);
	if (change)
		assert_non_null(strstr(a, change));
	json_decref(j);
	free(a);
	free(b);
	free(c);
}

/* Every entry point plans one way: with the environment's secret set, a
 * pull request's `diff --plan` shows no change where `plan` shows none
 * (it once planned a stand-in for ${env.X} and showed the SQL password as
 * changed on every run), and the same change where there is one. */
static void plans_agree_whichever_way(void **state)
{
	world *w = *state;
	char stack[192];
	snprintf(stack, sizeof(stack), "%s/infra", w->work);
	/* The work tree as its last commit, applied. */
	edit_file(stack, "21-spark-pool.yaml", "delayInMinutes: 20", "delayInMinutes: 15");
	const char *apply[] = {"apply", "infra", "--env", "dev", "--auto-approve", NULL};
	expect_run(w, w->work, apply, 0, "Apply complete:");
	expect_plans_agree(w, NULL);

	char next[GIT_OID_HEXSZ + 1];
	edit_file(stack, "21-spark-pool.yaml", "delayInMinutes: 15", "delayInMinutes: 25");
	commit_work_tree(w, "idle longer", next);
	expect_plans_agree(w, "properties.autoPause.delayInMinutes");
}

/* Tags the work tree's HEAD `tag`. */
static void tag_head(world *w, const char *tag)
{
	git_repository *repo = NULL;
	git_object *head = NULL;
	git_oid id;
	git_libgit2_init();
	assert_int_equal(git_repository_open(&repo, w->work), 0);
	assert_int_equal(git_revparse_single(&head, repo, "HEAD"), 0);
	assert_int_equal(git_tag_create_lightweight(&id, repo, tag, head, 0), 0);
	git_object_free(head);
	git_repository_free(repo);
	git_libgit2_shutdown();
}

/* A stack whose component is pinned to a tag (issue 17) plans and applies
 * the tag's component while the work tree holds a newer one; the plan
 * names the commit the tag was, and the marker records it after the
 * stack's own commit. */
static void a_pinned_component_comes_from_its_commit(void **state)
{
	world *w = *state;
	char path[256], platform[GIT_OID_HEXSZ + 1], stack[GIT_OID_HEXSZ + 1];
	snprintf(path, sizeof(path), "%s/components/rg", w->work);
	sh("/bin/mkdir", "-p", path, NULL);
	snprintf(path, sizeof(path), "%s/components/rg/component.yaml", w->work);
	write_file(path, "inputs:\n  team: {type: string}\n");
	snprintf(path, sizeof(path), "%s/components/rg/rg.yaml", w->work);
	write_file(path, "apiVersion: azapply.dev/v1\n"
			 "kind: ResourceGroup\n"
			 "metadata: {name: rg}\n"
			 "spec: {name: \"rg-${input.team}-v1\", location: westeurope}\n");
	commit_work_tree(w, "platform v1", platform);
	tag_head(w, "platform-v1");

	snprintf(path, sizeof(path), "%s/teams", w->work);
	sh("/bin/mkdir", "-p", path, NULL);
	snprintf(path, sizeof(path), "%s/teams/azapply.yaml", w->work);
	write_file(path, "stack: teams\n"
			 "location: westeurope\n"
			 "environments:\n"
			 "  dev: {subscription: 00000000-0000-0000-0000-000000000000}\n");
	snprintf(path, sizeof(path), "%s/teams/teams.yaml", w->work);
	write_file(path, "apiVersion: azapply.dev/v1\n"
			 "kind: Component\n"
			 "metadata: {name: team-a}\n"
			 "spec:\n"
			 "  source: {git: platform-v1, path: components/rg}\n"
			 "  inputs: {team: a}\n");
	commit_work_tree(w, "teams", stack);
	/* The platform moves on in the work tree. */
	edit_file(w->work, "components/rg/rg.yaml", "-v1", "-v2");

	char line[160];
	snprintf(line, sizeof(line), "Component platform-v1:components/rg is commit %s.\n",
		 platform);
	const char *plan[] = {"plan", "teams", "--env", "dev", NULL};
	run_result r = azapply_in(w, w->work, plan);
	expect(&r, 0, line);
	assert_non_null(strstr(r.out, "+ team-a/ResourceGroup/rg"));
	assert_non_null(strstr(r.out, "resourceGroups/rg-a-v1"));
	assert_null(strstr(r.out, "rg-a-v2"));
	run_result_free(&r);

	const char *apply[] = {"apply", "teams", "--env", "dev", "--auto-approve", NULL};
	expect_run(w, w->work, apply, 0, "Apply complete: 1 done");
	json_t *rg = NULL;
	assert_int_equal(emu_control(w->e, "GET",
				     "arm/subscriptions/00000000-0000-0000-0000-000000000000/"
				     "resourceGroups/rg-a-v1",
				     NULL, &rg),
			 200);
	snprintf(line, sizeof(line), "%s+%s", stack, platform);
	assert_string_equal(json_string_value(json_object_get(json_object_get(rg, "tags"),
							      "azapply-commit")),
			    line);
	json_decref(rg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(diff_between_branches),
		cmocka_unit_test(validate_names_the_revision),
		cmocka_unit_test(provenance_and_git_ref),
		cmocka_unit_test(plans_agree_whichever_way),
		cmocka_unit_test(a_pinned_component_comes_from_its_commit),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
