/*
 * mem_source.c - see mem_source.h.
 */
#include "mem_source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const az_load_limits mem_limits = {
    .max_files = 4,
    .max_file_bytes = 1u << 20,
    .max_documents = 8,
    .max_depth = 32,
    .max_nodes = 20000,
};

void mem_tree_add(mem_tree *t, const char *path, const char *data, size_t len)
{
	if (t->len < sizeof(t->files) / sizeof(t->files[0]))
		t->files[t->len++] = (mem_file){path, data, len};
}

static int mem_list(void *ctx, char ***paths_out, size_t *count_out, az_diags *d)
{
	const mem_tree *t = ctx;
	(void)d;
	char **paths = az_xcalloc(t->len + 1, sizeof(*paths));
	for (size_t i = 0; i < t->len; i++)
		paths[i] = az_xstrdup(t->files[i].path);
	*paths_out = paths;
	*count_out = t->len;
	return 0;
}

static int mem_read(void *ctx, const char *path, size_t max_bytes, char **data_out, size_t *len_out,
                    az_diags *d)
{
	const mem_tree *t = ctx;
	for (size_t i = 0; i < t->len; i++) {
		const mem_file *f = &t->files[i];
		if (strcmp(path, f->path))
			continue;
		if (f->len > max_bytes)
			return az_file_too_big(d, path, f->len, max_bytes);
		*data_out = az_xstrndup(f->data, f->len);
		*len_out = f->len;
		return 0;
	}
	az_diag_add(d, AZ_SEV_ERROR, NULL, NULL, "no such file '%s'", path);
	return AZ_ENOTFOUND;
}

az_file_source mem_source(mem_tree *t)
{
	return (az_file_source){.ctx = t, .list = mem_list, .read = mem_read, .display_root = "fz"};
}

size_t mem_split(const char *data, size_t size, const char *sep, size_t *rest_out)
{
	size_t n = strlen(sep);
	for (size_t i = 0; i + n <= size; i++) {
		if (!memcmp(data + i, sep, n)) {
			*rest_out = i + n;
			return i;
		}
	}
	*rest_out = size;
	return size;
}

void mem_every_error_has_a_position(const az_diags *d)
{
	for (size_t i = 0; i < d->len; i++)
		if (d->items[i].severity == AZ_SEV_ERROR && !d->items[i].file) {
			/* What the finding is, for whoever reads the crash. */
			fprintf(stderr, "error without a position: %s\n", d->items[i].summary);
			abort();
		}
}
