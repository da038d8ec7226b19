/*
 * mtest.c - see mtest.h.
 */
#define _XOPEN_SOURCE 700

#include "mtest.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *mt_tempdir(void)
{
	const char *base = getenv("TMPDIR");
	char *dir = az_xasprintf("%s/azapply-manifest-XXXXXX", base && *base ? base : "/tmp");
	assert_non_null(mkdtemp(dir));
	return dir;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void mt_rmtree(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

void mt_write_bytes(const char *dir, const char *rel, const void *data, size_t len)
{
	char *path = az_xasprintf("%s/%s", dir, rel);
	for (char *p = path + strlen(dir) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	free(path);
}

void mt_write(const char *dir, const char *rel, const char *text)
{
	mt_write_bytes(dir, rel, text, strlen(text));
}

json_t *mt_parse1(const char *text, az_srcmap **map_out)
{
	az_diags d = AZ_DIAGS_INIT;
	json_t **docs = NULL;
	az_srcmap **maps = NULL;
	size_t n = 0;
	int err = az_yaml_parse("t.yaml", text, strlen(text), NULL, &docs, &maps, &n, &d);
	if (err) {
		char *why = mt_first_error(&d);
		fail_msg("unexpected parse error: %s", why);
	}
	assert_int_equal(n, 1);
	json_t *doc = docs[0];
	if (map_out)
		*map_out = maps[0];
	else
		az_srcmap_free(maps[0]);
	free(docs);
	free(maps);
	az_diags_clear(&d);
	return doc;
}

char *mt_parse_error(const char *text, const az_load_limits *limits)
{
	az_diags d = AZ_DIAGS_INIT;
	json_t **docs = NULL;
	az_srcmap **maps = NULL;
	size_t n = 0;
	int err = az_yaml_parse("t.yaml", text, strlen(text), limits, &docs, &maps, &n, &d);
	assert_int_equal(err, AZ_EINVALID);
	assert_null(docs);
	assert_int_equal(n, 0);
	assert_true(d.len >= 1);
	char *out = az_xasprintf("%d:%d: %s", d.items[0].line, d.items[0].col, d.items[0].summary);
	az_diags_clear(&d);
	return out;
}

int mt_load(az_manifest_set **out, const char *dir, az_diags *d)
{
	az_file_source src;
	assert_int_equal(az_file_source_dir(&src, dir, d), 0);
	int err = az_manifests_load(out, &src, NULL, d);
	az_file_source_free(&src);
	return err;
}

char *mt_first_error(const az_diags *d)
{
	for (size_t i = 0; i < d->len; i++) {
		const az_diag *x = &d->items[i];
		if (x->severity != AZ_SEV_ERROR)
			continue;
		if (x->file)
			return az_xasprintf("%s:%d:%d: %s", x->file, x->line, x->col, x->summary);
		return az_xstrdup(x->summary);
	}
	return az_xstrdup("(no error)");
}

const char *mt_getenv(const char *name, void *ud)
{
	const char *const *vars = ud;
	size_t n = strlen(name);
	for (; vars && *vars; vars++)
		if (!strncmp(*vars, name, n) && (*vars)[n] == '=')
			return *vars + n + 1;
	return NULL;
}
