/*
 * source_git.c - the file source over a commit's tree, the hook that opens
 * a pinned component's folder at a commit (open_revision), and the
 * provenance of a directory in a work tree. The only code that includes
 * git2.h.
 *
 * `--git-ref` must read exactly what was committed: no checkout, so it
 * works in bare clones (CI mirrors) and never touches a developer's work
 * tree. The tree is listed once with git_tree_walk; every listed path
 * keeps its blob id, so a read is one object lookup, as cheap as reading a
 * file. The listing follows the directory source's rules: dot-entries are
 * skipped, symbolic links and submodules are neither listed nor read (a
 * committed link must not make azapply read outside the tree).
 */
/* realpath() is an XSI extension to POSIX. */
#define _XOPEN_SOURCE 700

#include <git2.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <azapply/git.h>

typedef struct git_entry {
	char *path; /* relative to the source's folder */
	git_oid oid;
} git_entry;

typedef struct git_source {
	git_repository *repo;
	git_odb *odb; /* for object sizes, read before the objects */
	char *display;
	git_entry *entries; /* sorted by path */
	size_t len, cap;
	const char *prefix; /* the folder inside the tree, "" for the root; in walk */
} git_source;

/* libgit2's own message goes into the detail: it names the object or
 * file that was missing. */
static void git_report(az_diags *d, const char *what, const char *arg)
{
	const git_error *e = git_error_last();
	char q[AZ_QUOTE_SIZE];
	az_diag *x = az_diag_add(d, AZ_SEV_ERROR, NULL, NULL, "%s '%s'", what, az_quote(q, arg));
	if (e && e->message)
		az_diag_set_detail(x, "git: %s", e->message);
}

static void source_free(void *ctx)
{
	git_source *s = ctx;
	if (!s)
		return;
	for (size_t i = 0; i < s->len; i++)
		free(s->entries[i].path);
	free(s->entries);
	free(s->display);
	git_odb_free(s->odb);
	git_repository_free(s->repo);
	free(s);
	git_libgit2_shutdown();
}

static int collect(const char *root, const git_tree_entry *entry, void *payload)
{
	git_source *s = payload;
	const char *name = git_tree_entry_name(entry);
	if (name[0] == '.')
		return 1; /* skip: for a tree, its whole subtree */
	if (git_tree_entry_type(entry) != GIT_OBJECT_BLOB)
		return 0;
	/* Links (mode 120000) are blobs too: not followed, as on disk. */
	if (git_tree_entry_filemode(entry) == GIT_FILEMODE_LINK)
		return 0;
	if (s->len == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 256;
		s->entries = az_xrealloc(s->entries, s->cap * sizeof(*s->entries));
	}
	git_entry *e = &s->entries[s->len++];
	e->path = az_xasprintf("%s%s", root, name);
	git_oid_cpy(&e->oid, git_tree_entry_id(entry));
	return 0;
}

static int cmp_entries(const void *a, const void *b)
{
	return strcmp(((const git_entry *)a)->path, ((const git_entry *)b)->path);
}

static int source_list(void *ctx, char ***paths_out, size_t *count_out, az_diags *d)
{
	git_source *s = ctx;
	(void)d;
	char **paths = az_xcalloc(s->len ? s->len : 1, sizeof(char *));
	for (size_t i = 0; i < s->len; i++)
		paths[i] = az_xstrdup(s->entries[i].path);
	*paths_out = paths;
	*count_out = s->len;
	return 0;
}

static int source_read(void *ctx, const char *path, size_t max_bytes, char **data_out,
		       size_t *len_out, az_diags *d)
{
	git_source *s = ctx;
	git_entry key = {(char *)(uintptr_t)path, {{0}}};
	const git_entry *e = bsearch(&key, s->entries, s->len, sizeof(*s->entries), cmp_entries);
	git_blob *blob = NULL;
	size_t size = 0;
	git_object_t type;
	if (!e) {
		char q[AZ_QUOTE_SIZE];
		az_diag_add(d, AZ_SEV_ERROR, NULL, NULL, "cannot read '%s:%s': no such file in the "
			    "commit", s->display, az_quote(q, path));
		return AZ_ENOTFOUND;
	}
	/* The object header holds the size: a blob over the limit is refused
	 * before its content is inflated into memory, as on disk. */
	if (git_odb_read_header(&size, &type, s->odb, &e->oid) != 0) {
		git_report(d, "cannot read", path);
		return AZ_ERROR;
	}
	if (size > max_bytes)
		return az_file_too_big(d, path, size, max_bytes);
	if (git_blob_lookup(&blob, s->repo, &e->oid) != 0) {
		git_report(d, "cannot read", path);
		return AZ_ERROR;
	}
	size_t len = (size_t)git_blob_rawsize(blob);
	char *data = az_xmalloc(len + 1);
	memcpy(data, git_blob_rawcontent(blob), len);
	data[len] = '\0';
	git_blob_free(blob);
	*data_out = data;
	*len_out = len;
	return 0;
}

/* "infra/", "" for the root; NULL when it leaves the tree. */
static char *normalize_dir(const char *dir)
{
	az_buf b = AZ_BUF_INIT;
	const char *p = dir ? dir : "";
	az_buf_puts(&b, "");
	while (*p) {
		size_t n = strcspn(p, "/");
		if (n == 2 && strncmp(p, "..", 2) == 0) {
			az_buf_free(&b);
			return NULL;
		}
		if (n && !(n == 1 && p[0] == '.')) {
			az_buf_add(&b, p, n);
			az_buf_putc(&b, '/');
		}
		p += n;
		while (*p == '/')
			p++;
	}
	return az_buf_detach(&b);
}

/* Opens the repository at or above `path`, bare or not. */
static int open_repo(git_repository **out, const char *path, az_diags *d)
{
	if (git_repository_open_ext(out, path ? path : ".", 0, NULL) != 0) {
		az_diag *x = az_diag_add(d, AZ_SEV_ERROR, NULL, NULL, "'%s' is not in a git repository",
					 path ? path : ".");
		az_diag_set_detail(x, "run azapply inside the repository, or name it with --repo PATH");
		return AZ_EINVALID;
	}
	return 0;
}

/* The source over `dir` of the tree of `ref`, shown as "SHOWN_REF:dir". */
static int open_tree(az_file_source *out, char **commit_out, const char *repo, const char *ref,
		     const char *shown_ref, const char *dir_in, az_diags *d)
{
	git_source *s = az_xcalloc(1, sizeof(*s));
	git_object *obj = NULL;
	git_commit *commit = NULL;
	git_tree *root = NULL, *tree = NULL;
	git_tree_entry *sub = NULL;
	char *dir = normalize_dir(dir_in);
	int error = AZ_EINVALID;

	git_libgit2_init();
	memset(out, 0, sizeof(*out));
	if (!dir) {
		az_diag_add(d, AZ_SEV_ERROR, NULL, NULL, "'%s' is outside the repository's tree",
			    dir_in);
		goto done;
	}
	if (open_repo(&s->repo, repo, d) != 0)
		goto done;
	if (git_repository_odb(&s->odb, s->repo) != 0) {
		git_report(d, "cannot open the object database of", repo ? repo : ".");
		goto done;
	}
	if (git_revparse_single(&obj, s->repo, ref) != 0 ||
	    git_object_peel((git_object **)&commit, obj, GIT_OBJECT_COMMIT) != 0) {
		const git_error *e = git_error_last();
		char q[AZ_QUOTE_SIZE];
		az_diag *x = az_diag_add(d, AZ_SEV_ERROR, NULL, NULL, "no commit named '%s'",
					 az_quote(q, shown_ref));
		az_diag_set_detail(x, "name a commit, tag or branch of the repository%s%s%s",
				   e && e->message ? " (git: " : "", e && e->message ? e->message : "",
				   e && e->message ? ")" : "");
		error = AZ_ENOTFOUND;
		goto done;
	}
	if (git_commit_tree(&root, commit) != 0) {
		git_report(d, "cannot read the tree of", shown_ref);
		goto done;
	}
	if (dir[0]) {
		dir[strlen(dir) - 1] = '\0';
		if (git_tree_entry_bypath(&sub, root, dir) != 0 ||
		    git_tree_entry_type(sub) != GIT_OBJECT_TREE ||
		    git_tree_lookup(&tree, s->repo, git_tree_entry_id(sub)) != 0) {
			az_diag *x = az_diag_add(d, AZ_SEV_ERROR, NULL, NULL,
						 "'%s' is not a folder in %s", dir, shown_ref);
			az_diag_set_detail(x, "name a folder of that commit's tree, from the "
					      "repository's root (git ls-tree %s)", shown_ref);
			goto done;
		}
	}
	if (git_tree_walk(tree ? tree : root, GIT_TREEWALK_PRE, collect, s) < 0) {
		git_report(d, "cannot list the tree of", shown_ref);
		goto done;
	}
	/* git orders a folder "a" as "a/", so "a.yaml" < "a/x"; the loader
	 * wants plain byte order, like the directory source. */
	if (s->len)
		qsort(s->entries, s->len, sizeof(*s->entries), cmp_entries);
	s->display = az_xasprintf("%s:%s", shown_ref, dir[0] ? dir : ".");
	if (commit_out) {
		char hex[GIT_OID_HEXSZ + 1];
		git_oid_tostr(hex, sizeof(hex), git_commit_id(commit));
		*commit_out = az_xstrdup(hex);
	}
	out->ctx = s;
	out->list = source_list;
	out->read = source_read;
	out->free = source_free;
	out->display_root = s->display;
	s = NULL;
	error = 0;
done:
	git_tree_entry_free(sub);
	git_tree_free(tree);
	git_tree_free(root);
	git_commit_free(commit);
	git_object_free(obj);
	free(dir);
	if (s)
		source_free(s); /* also balances git_libgit2_init */
	return error;
}

/* Where pinned component sources are read from: the repository a source
 * lives in, and every ref resolved so far, so a ref names one commit for
 * the whole load even if its branch moves meanwhile. */
typedef struct git_revisions {
	char *repo;      /* a path in (or of) the repository */
	json_t *commits; /* ref -> full commit id */
	int in_repository; /* whether `repo` is in one: -1 until asked */
} git_revisions;

static void revisions_free(void *ctx)
{
	git_revisions *r = ctx;
	if (!r)
		return;
	free(r->repo);
	json_decref(r->commits);
	free(r);
}

static int open_revision(void *ctx, az_file_source *out, char **commit_out, const char *ref,
			 const char *path, az_diags *d)
{
	git_revisions *r = ctx;
	if (r->in_repository < 0) {
		git_libgit2_init();
		r->in_repository = git_repository_open_ext(NULL, r->repo, 0, NULL) == 0;
		git_libgit2_shutdown();
	}
	if (!r->in_repository) {
		az_pin_needs_repository(d, ref, r->repo);
		return AZ_ERROR;
	}
	const char *known = json_string_value(json_object_get(r->commits, ref));
	char *commit = NULL;
	int error = open_tree(out, &commit, r->repo, known ? known : ref, ref, path, d);
	if (error)
		return error;
	if (!known)
		json_object_set_new(r->commits, ref, json_string(commit));
	*commit_out = commit;
	return 0;
}

static void attach_revisions(az_file_source *src, const char *repo, bool in_repository)
{
	git_revisions *r = az_xcalloc(1, sizeof(*r));
	r->repo = az_xstrdup(repo ? repo : ".");
	r->commits = json_object();
	r->in_repository = in_repository ? 1 : -1;
	src->open_revision = open_revision;
	src->revisions = r;
	src->revisions_free = revisions_free;
}

void az_git_attach_revisions(az_file_source *src, const char *dir)
{
	attach_revisions(src, dir, false);
}

int az_git_source_open(az_file_source *out, char **commit_out, const az_git_source_options *o,
		       az_diags *d)
{
	int error = open_tree(out, commit_out, o->repo, o->ref, o->ref, o->dir, d);
	/* A component pinned in these manifests comes from the same
	 * repository. */
	if (!error)
		attach_revisions(out, o->repo, true);
	return error;
}

void az_git_provenance_free(az_git_provenance *p)
{
	if (!p)
		return;
	free(p->commit);
	memset(p, 0, sizeof(*p));
}

char *az_git_provenance_label(const az_git_provenance *p)
{
	if (!p || !p->commit)
		return NULL;
	return az_xasprintf("%s%s", p->commit, p->dirty ? "-dirty" : "");
}

/* True when anything below `pathspec` differs from HEAD: staged, changed
 * in the work tree, deleted or untracked (ignored files do not count). */
static int is_dirty(bool *out, git_repository *repo, const char *pathspec, az_diags *d)
{
	git_status_options so;
	git_status_list *list = NULL;
	git_status_options_init(&so, GIT_STATUS_OPTIONS_VERSION);
	char *specs[1] = {(char *)(uintptr_t)pathspec};
	so.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
	so.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED | GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS |
		   GIT_STATUS_OPT_EXCLUDE_SUBMODULES;
	if (pathspec[0]) {
		so.pathspec.strings = specs;
		so.pathspec.count = 1;
	}
	if (git_status_list_new(&list, repo, &so) != 0) {
		git_report(d, "cannot read the status of", pathspec[0] ? pathspec : ".");
		return AZ_ERROR;
	}
	*out = git_status_list_entrycount(list) > 0;
	git_status_list_free(list);
	return 0;
}

/* Whether `real` (an absolute path without links) or a folder above it
 * holds a ".git" entry, a folder or a linked work tree's file: the only
 * places where git_repository_open_ext would find a work tree. Looked at
 * before libgit2 starts, because starting it reads every certificate of
 * the system's CA bundle (libgit2's TLS stream, which a local status
 * never uses): 55 M instructions, 30% of a no-changes apply of 101
 * resources outside git (callgrind). */
static bool may_be_in_work_tree(const char *real)
{
	az_buf path = AZ_BUF_INIT;
	az_buf_puts(&path, real);
	bool found = false;
	for (;;) {
		size_t folder = path.len;
		struct stat st;
		az_buf_puts(&path, folder > 1 ? "/.git" : ".git"); /* "/" ends in a slash */
		found = lstat(path.data, &st) == 0;
		az_buf_truncate(&path, folder);
		const char *slash = strrchr(path.data, '/');
		if (found || folder <= 1 || !slash)
			break;
		/* Up one folder: "/a/b" to "/a", "/a" to "/". */
		az_buf_truncate(&path, slash == path.data ? 1 : (size_t)(slash - path.data));
	}
	az_buf_free(&path);
	return found;
}

int az_git_provenance_dir(az_git_provenance *out, const char *dir, az_diags *d)
{
	git_repository *repo = NULL;
	char *real = NULL, *workdir = NULL;
	git_oid head;
	int error = 0;

	memset(out, 0, sizeof(*out));
	/* Outside any work tree: no provenance, and no need of libgit2. A
	 * bare repository's folder has no ".git" and no provenance either. */
	real = realpath(dir, NULL);
	if (!real || !may_be_in_work_tree(real)) {
		free(real);
		return 0;
	}
	git_libgit2_init();
	/* Outside git, or in a bare repository's folder: no provenance. */
	if (git_repository_open_ext(&repo, dir, 0, NULL) != 0 || git_repository_is_bare(repo))
		goto done;
	if (git_reference_name_to_id(&head, repo, "HEAD") != 0)
		goto done; /* no commit yet */
	workdir = realpath(git_repository_workdir(repo), NULL);
	if (!workdir)
		goto done;
	size_t n = strlen(workdir);
	if (strncmp(real, workdir, n) != 0 || (real[n] != '/' && real[n] != '\0'))
		goto done;
	const char *rel = real[n] == '/' ? real + n + 1 : real + n;
	/* The .git folder itself is not a work tree. */
	if (strncmp(rel, ".git", 4) == 0 && (rel[4] == '/' || rel[4] == '\0'))
		goto done;
	bool dirty = false;
	error = is_dirty(&dirty, repo, rel, d);
	if (error)
		goto done;
	char hex[GIT_OID_HEXSZ + 1];
	git_oid_tostr(hex, sizeof(hex), &head);
	out->commit = az_xstrdup(hex);
	out->dirty = dirty;
done:
	free(real);
	free(workdir);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return error;
}
