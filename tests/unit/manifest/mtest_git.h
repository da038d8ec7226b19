/*
 * mtest_git.h - repositories for the manifest tests that read from git
 * (--git-ref, pinned components), built with libgit2 in a temporary tree.
 */
#ifndef AZAPPLY_MTEST_GIT_H
#define AZAPPLY_MTEST_GIT_H

/* Commits everything below `dir` (a new repository there, or the next
 * commit of the one there) on HEAD, tags it `tag` unless NULL, and returns
 * the commit's full id (caller frees). libgit2 must be initialised. */
char *mt_git_commit(const char *dir, const char *tag);

#endif
