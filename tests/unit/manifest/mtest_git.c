/*
 * mtest_git.c - see mtest_git.h.
 */
#include "mtest_git.h"

#include "mtest.h"

#include <git2.h>

char *mt_git_commit(const char *dir, const char *tag)
{
	git_repository *repo = NULL;
	git_index *index = NULL;
	git_tree *tree = NULL;
	git_signature *sig = NULL;
	git_commit *parent = NULL;
	git_object *commit = NULL;
	git_oid tree_id, commit_id, tag_id, head;
	char *all[] = {"*"};
	git_strarray spec = {all, 1};
	char hex[GIT_OID_HEXSZ + 1];
	assert_int_equal(git_repository_init(&repo, dir, 0), 0);
	assert_int_equal(git_repository_index(&index, repo), 0);
	assert_int_equal(git_index_add_all(index, &spec, 0, NULL, NULL), 0);
	assert_int_equal(git_index_write_tree(&tree_id, index), 0);
	assert_int_equal(git_tree_lookup(&tree, repo, &tree_id), 0);
	assert_int_equal(git_signature_new(&sig, "Test", "test@example.com", 1700000000, 0), 0);
	if (git_reference_name_to_id(&head, repo, "HEAD") == 0)
		assert_int_equal(git_commit_lookup(&parent, repo, &head), 0);
	const git_commit *parents[1] = {parent};
	assert_int_equal(git_commit_create(&commit_id, repo, "HEAD", sig, sig, NULL,
	                                   tag ? tag : "stack", tree, parent ? 1 : 0, parents),
	                 0);
	if (tag) {
		assert_int_equal(git_object_lookup(&commit, repo, &commit_id, GIT_OBJECT_COMMIT),
		                 0);
		assert_int_equal(git_tag_create_lightweight(&tag_id, repo, tag, commit, 0), 0);
	}
	git_oid_tostr(hex, sizeof(hex), &commit_id);
	git_object_free(commit);
	git_commit_free(parent);
	git_signature_free(sig);
	git_tree_free(tree);
	git_index_free(index);
	git_repository_free(repo);
	return az_xstrdup(hex);
}
