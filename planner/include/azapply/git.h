/*
 * git.h - manifests from git revisions, and where an apply came from.
 *
 * planner/git is the only code that touches libgit2. It gives the loader a
 * file source over a commit's tree (no checkout: bare repositories work the
 * same), so `--git-ref` reads exactly what was committed; it opens the
 * folder of a component pinned to a commit for the loader, which cannot
 * include this header, through the source's open_revision hook; and it
 * computes the provenance an apply records in the ownership marker: the
 * commit, and whether the files applied differ from it.
 */
#ifndef AZAPPLY_GIT_H
#define AZAPPLY_GIT_H

#include <azapply/manifest.h>

typedef struct az_git_source_options {
	const char *repo; /* a path in (or of) the repository; NULL = the current directory */
	const char *ref;  /* anything git rev-parse accepts: branch, tag, commit, HEAD~1 */
	const char *dir;  /* a folder inside the tree; NULL, "" or "." = the root */
} az_git_source_options;

/* A file source over the tree of `o->ref`'s commit, below `o->dir`. Files
 * show as "REF:DIR/path" (e.g. "main:infra/a.yaml"; "main:./a.yaml" at the
 * root), the way `git show` names them. Dot-files and dot-folders are
 * skipped, symbolic links and submodules are not followed, as the directory
 * source does. *commit_out (optional) receives the full commit id.
 * AZ_ENOTFOUND when the ref names no commit. The source opens pinned
 * component sources from the same repository (open_revision). */
int az_git_source_open(az_file_source *out, char **commit_out, const az_git_source_options *o,
		       az_diags *d);

/* Sets the open_revision hook of `src`, a source over directory `dir`: a
 * component pinned to {git: REF, path: PATH} is read from the commit of
 * the repository holding `dir`, each ref resolved once for the source's
 * life. libgit2 is started only when a pin is opened: started for every
 * command, it read the system's CA bundle (its TLS setup) each time, some
 * 12 ms. Outside git, opening a pin says so (az_pin_needs_repository). */
void az_git_attach_revisions(az_file_source *src, const char *dir);

/* Where the files of a directory on disk come from. */
typedef struct az_git_provenance {
	char *commit; /* HEAD's full id; NULL outside a git work tree or before the first commit */
	bool dirty;   /* a file below the directory differs from HEAD, or is untracked */
} az_git_provenance;

/* Provenance of `dir`. Outside git it returns 0 with commit NULL: not an
 * error. */
int az_git_provenance_dir(az_git_provenance *out, const char *dir, az_diags *d);
void az_git_provenance_free(az_git_provenance *p);

/* What the marker records: the commit id, "-dirty" appended when dirty;
 * NULL when there is no commit. */
char *az_git_provenance_label(const az_git_provenance *p);

#endif
