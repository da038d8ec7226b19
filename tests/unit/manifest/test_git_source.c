/*
 * test_git_source.c - the file source over a commit's tree (--git-ref):
 * what the loader reads from a commit is held to the same limits as what
 * it reads from disk.
 */
#include "mtest.h"
#include "mtest_git.h"

#include <git2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <azapply/git.h>

/* Hardening finding: a blob over the file limit was loaded whole before
 * the limit applied. Its size is read from the object header first. */
static void a_blob_over_the_limit_is_not_loaded(void **state)
{
	(void)state;
	char *dir = mt_tempdir();
	char big[2049];
	memset(big, '#', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	mt_write(dir, "big.yaml", big);
	mt_write(dir, "big.json", big);
	mt_write(dir, "p.yaml",
	         "kind: SynapsePipeline\nmetadata: {name: p}\nspec:\n  specFile: big.json\n");
	git_libgit2_init();
	free(mt_git_commit(dir, NULL));

	az_git_source_options o = {.repo = dir, .ref = "HEAD"};
	az_file_source src;
	az_diags d = AZ_DIAGS_INIT;
	assert_int_equal(az_git_source_open(&src, NULL, &o, &d), 0);
	az_load_limits lim = AZ_LOAD_LIMITS_DEFAULT;
	lim.max_file_bytes = 1024;
	az_manifest_set *set = NULL;
	assert_int_equal(az_manifests_load(&set, &src, &lim, &d), AZ_EINVALID);
	az_diags_sort(&d);
	assert_int_equal(d.len, 2);
	const char *want[] = {
	    "HEAD:./big.yaml:0:0: 'big.yaml' is 2048 bytes, more than the limit of 1024 bytes",
	    "HEAD:./p.yaml:4:13: cannot read specFile 'big.json': 'big.json' is 2048 bytes, more "
	    "than the limit of 1024 bytes",
	};
	for (size_t i = 0; i < 2; i++) {
		const az_diag *x = &d.items[i];
		char *got = az_xasprintf("%s:%d:%d: %s", x->file, x->line, x->col, x->summary);
		assert_string_equal(got, want[i]);
		assert_non_null(x->detail);
		free(got);
	}
	az_manifest_set_free(set);
	az_file_source_free(&src);
	az_diags_clear(&d);
	git_libgit2_shutdown();
	mt_rmtree(dir);
	free(dir);
}

/* Provenance looks for a ".git" entry above the folder before it starts
 * libgit2. Found in a subfolder of a work tree and in a linked work tree,
 * whose ".git" is a file; not found outside any work tree. */
static void provenance_is_found_wherever_git_finds_the_work_tree(void **state)
{
	(void)state;
	char *dir = mt_tempdir();
	mt_write(dir, "p.yaml", "kind: SynapsePipeline\nmetadata: {name: p}\n");
	char *deep = az_xasprintf("%s/stack/deep", dir);
	char *stack = az_xasprintf("%s/stack", dir);
	assert_int_equal(mkdir(stack, 0700), 0);
	assert_int_equal(mkdir(deep, 0700), 0);
	mt_write(deep, "q.yaml", "kind: SynapsePipeline\nmetadata: {name: q}\n");
	git_libgit2_init();
	char *id = mt_git_commit(dir, NULL);

	az_git_provenance p;
	az_diags d = AZ_DIAGS_INIT;
	assert_int_equal(az_git_provenance_dir(&p, deep, &d), 0);
	assert_non_null(p.commit);
	assert_string_equal(p.commit, id);
	az_git_provenance_free(&p);

	git_repository *repo = NULL;
	git_worktree *wt = NULL;
	char *linked = az_xasprintf("%s-linked", dir);
	assert_int_equal(git_repository_open(&repo, dir), 0);
	assert_int_equal(git_worktree_add(&wt, repo, "linked", linked, NULL), 0);
	assert_int_equal(az_git_provenance_dir(&p, linked, &d), 0);
	assert_non_null(p.commit);
	assert_string_equal(p.commit, id);
	az_git_provenance_free(&p);
	git_worktree_free(wt);
	git_repository_free(repo);

	/* Outside: a folder beside the repository, unless the temporary
	 * folder itself lies in a work tree. */
	char *outside = mt_tempdir();
	git_buf found = {0};
	bool in_git = git_repository_discover(&found, outside, 0, NULL) == 0;
	git_buf_dispose(&found);
	assert_int_equal(az_git_provenance_dir(&p, outside, &d), 0);
	if (!in_git)
		assert_null(p.commit);
	az_git_provenance_free(&p);
	assert_int_equal(d.len, 0);

	git_libgit2_shutdown();
	mt_rmtree(outside);
	mt_rmtree(linked);
	mt_rmtree(dir);
	free(outside);
	free(linked);
	free(id);
	free(stack);
	free(deep);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_blob_over_the_limit_is_not_loaded),
	    cmocka_unit_test(provenance_is_found_wherever_git_finds_the_work_tree),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
