/*
 * source_dir.c - the file source that reads a directory on disk.
 *
 * It lists every regular file below the root in sorted order, so plans and
 * diagnostics come out the same on every machine. Dot-directories (.git,
 * .terraform, editor state) and dot-files are skipped. A symbolic link is
 * followed only when it resolves to a file inside the root: a manifest tree
 * checked out from a repository must not be able to make azapply read
 * ~/.azure or /etc through a link. Linked directories are not descended
 * into, which also rules out link loops. A read refuses anything that is
 * not a regular file (a specFile may name a FIFO or a device) before it
 * reads a byte.
 */
/* realpath() is an XSI extension to POSIX. */
#define _XOPEN_SOURCE 700

#include "manifest_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct dir_source {
	char *root;      /* as given, without trailing '/' */
	char *real_root; /* realpath of root */
	/* Listed paths that are plain files in plain directories: reading them
	 * needs no realpath() (a readlink per component, most of the cost of
	 * reading a small file). Anything else, such as a specFile path, is
	 * resolved and checked. */
	json_t *plain;
} dir_source;

typedef struct path_list {
	char **items;
	size_t len, cap;
} path_list;

static void list_add(path_list *l, char *path)
{
	if (l->len == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->items = az_xrealloc(l->items, l->cap * sizeof(*l->items));
	}
	l->items[l->len++] = path;
}

/* True when `real` (a resolved path) is the root or below it. */
static bool inside_root(const dir_source *s, const char *real)
{
	size_t n = strlen(s->real_root);
	if (n == 1 && s->real_root[0] == '/')
		return true;
	return !strncmp(real, s->real_root, n) && (real[n] == '/' || real[n] == '\0');
}

static bool link_to_file_inside(const dir_source *s, const char *full)
{
	char *real = realpath(full, NULL);
	struct stat st;
	bool ok = real && inside_root(s, real) && stat(real, &st) == 0 && S_ISREG(st.st_mode);
	free(real);
	return ok;
}

static int walk(dir_source *s, az_buf *rel, path_list *out, az_diags *d)
{
	char *full = rel->len ? az_xasprintf("%s/%s", s->root, rel->data) : az_xstrdup(s->root);
	DIR *dir = opendir(full);
	int error = 0;
	if (!dir) {
		az_diag_add(d, AZ_SEV_ERROR, NULL, NULL, "cannot open directory '%s': %s", full,
		            strerror(errno));
		error = AZ_EINVALID;
		goto done;
	}
	struct dirent *de;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		size_t mark = rel->len;
		if (rel->len)
			az_buf_putc(rel, '/');
		az_buf_puts(rel, de->d_name);
		char *path = az_xasprintf("%s/%s", s->root, rel->data);
		struct stat st;
		if (lstat(path, &st) == 0) {
			if (S_ISDIR(st.st_mode)) {
				error = walk(s, rel, out, d);
			} else if (S_ISREG(st.st_mode)) {
				list_add(out, az_xstrdup(rel->data));
				json_object_set(s->plain, rel->data, json_true());
			} else if (S_ISLNK(st.st_mode) && link_to_file_inside(s, path)) {
				list_add(out, az_xstrdup(rel->data));
			}
		}
		free(path);
		az_buf_truncate(rel, mark);
		if (error)
			break;
	}
	closedir(dir);
done:
	free(full);
	return error;
}

static int cmp_paths(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int dir_list(void *ctx, char ***paths_out, size_t *count_out, az_diags *d)
{
	dir_source *s = ctx;
	path_list l = {0};
	az_buf rel = AZ_BUF_INIT;
	int error = walk(s, &rel, &l, d);
	az_buf_free(&rel);
	if (error) {
		for (size_t i = 0; i < l.len; i++)
			free(l.items[i]);
		free(l.items);
		return error;
	}
	if (l.len)
		qsort(l.items, l.len, sizeof(*l.items), cmp_paths);
	*paths_out = l.items;
	*count_out = l.len;
	return 0;
}

/* "a FIFO", "a directory"...: what a path is when it is not a file. */
static const char *file_type(mode_t mode)
{
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	return "not a file";
}

/* Opens a path of the tree for reading. O_NONBLOCK because open() of a FIFO
 * waits for a writer: a specFile naming one hung validate and plan for
 * ever. Nothing is read before fstat() has shown a regular file. */
static int open_regular(const dir_source *s, const char *path, int *fd_out, struct stat *st,
                        az_diags *d)
{
	char q[AZ_QUOTE_SIZE];
	az_quote(q, path);
	char *full = az_xasprintf("%s/%s", s->root, path);
	bool plain = json_object_get(s->plain, path) != NULL;
	char *real = plain ? NULL : realpath(full, NULL);
	int fd = -1, error = 0;

	if (plain) {
		/* O_NOFOLLOW: it was a plain file when listed and must still be. */
		fd = open(full, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	} else if (!real) {
		az_diag_add(d, AZ_SEV_ERROR, NULL, NULL, "cannot read '%s': %s", q,
		            strerror(errno));
		error = errno == ENOENT ? AZ_ENOTFOUND : AZ_ERROR;
		goto done;
	} else if (!inside_root(s, real)) {
		az_diag_add(d, AZ_SEV_ERROR, NULL, NULL,
		            "'%s' is a link to a file outside the manifest tree", q);
		error = AZ_EINVALID;
		goto done;
	} else {
		fd = open(real, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	}
	if (fd < 0 || fstat(fd, st) != 0) {
		az_diag_add(d, AZ_SEV_ERROR, NULL, NULL, "cannot read '%s': %s", q,
		            strerror(errno));
		error = AZ_ERROR;
		goto done;
	}
	if (!S_ISREG(st->st_mode)) {
		az_diag *dg =
		    az_diag_add(d, AZ_SEV_ERROR, NULL, NULL, "'%s' is %s, not a regular file", q,
		                file_type(st->st_mode));
		az_diag_set_detail(dg,
		                   "azapply reads manifests and specFile JSON only from regular "
		                   "files; name a regular file instead");
		error = AZ_EINVALID;
		goto done;
	}
	*fd_out = fd;
	fd = -1;
done:
	if (fd >= 0)
		close(fd);
	free(real);
	free(full);
	return error;
}

int az_file_too_big(az_diags *d, const char *path, uintmax_t size, size_t limit)
{
	char q[AZ_QUOTE_SIZE];
	az_diag *dg = az_diag_add(d, AZ_SEV_ERROR, NULL, NULL,
	                          "'%s' is %ju bytes, more than the limit of %zu bytes",
	                          az_quote(q, path), size, limit);
	az_diag_set_detail(dg, "split it into smaller files: no manifest or Synapse artifact "
	                       "needs that much");
	return AZ_EINVALID;
}

static int dir_read(void *ctx, const char *path, size_t max_bytes, char **data_out, size_t *len_out,
                    az_diags *d)
{
	const dir_source *s = ctx;
	az_buf b = AZ_BUF_INIT;
	struct stat st;
	int fd = -1;
	int error = open_regular(s, path, &fd, &st, d);
	if (error)
		goto done;
	/* Before reading: a 3 GB file used to be read whole, and only then
	 * found too large. */
	if ((uintmax_t)st.st_size > max_bytes) {
		error = az_file_too_big(d, path, (uintmax_t)st.st_size, max_bytes);
		goto done;
	}
	/* Room for the whole file plus one byte, so the usual case is one read
	 * that fills the buffer and one that returns 0. */
	az_buf_grow(&b, (size_t)st.st_size + 1);
	for (;;) {
		/* The file may grow while it is read. */
		if (b.len > max_bytes) {
			uintmax_t now = fstat(fd, &st) == 0 ? (uintmax_t)st.st_size : 0;
			error = az_file_too_big(d, path, now > b.len ? now : b.len, max_bytes);
			goto done;
		}
		if (b.cap - b.len - 1 == 0)
			az_buf_grow(&b, 65536);
		ssize_t n = read(fd, b.data + b.len, b.cap - b.len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			char q[AZ_QUOTE_SIZE];
			az_diag_add(d, AZ_SEV_ERROR, NULL, NULL, "cannot read '%s': %s",
			            az_quote(q, path), strerror(errno));
			error = AZ_ERROR;
			goto done;
		}
		if (n == 0)
			break;
		b.len += (size_t)n;
		b.data[b.len] = '\0';
	}
	*len_out = b.len;
	*data_out = az_buf_detach(&b);
done:
	if (fd >= 0)
		close(fd);
	az_buf_free(&b);
	return error;
}

static void dir_free(void *ctx)
{
	dir_source *s = ctx;
	if (!s)
		return;
	free(s->root);
	free(s->real_root);
	json_decref(s->plain);
	free(s);
}

int az_file_source_dir(az_file_source *out, const char *dir, az_diags *d)
{
	char *real = realpath(dir, NULL);
	struct stat st;
	if (!real || stat(real, &st) != 0 || !S_ISDIR(st.st_mode)) {
		az_diag_add(d, AZ_SEV_ERROR, NULL, NULL, "'%s' is not a directory%s%s", dir,
		            real ? "" : ": ", real ? "" : strerror(errno));
		free(real);
		return AZ_EINVALID;
	}
	dir_source *s = az_xcalloc(1, sizeof(*s));
	size_t n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/')
		n--;
	s->root = az_xstrndup(dir, n);
	s->real_root = real;
	s->plain = json_object();
	memset(out, 0, sizeof(*out));
	out->ctx = s;
	out->list = dir_list;
	out->read = dir_read;
	out->free = dir_free;
	out->display_root = s->root;
	return 0;
}

void az_file_source_free(az_file_source *src)
{
	if (!src)
		return;
	if (src->free)
		src->free(src->ctx);
	if (src->revisions_free)
		src->revisions_free(src->revisions);
	memset(src, 0, sizeof(*src));
}
