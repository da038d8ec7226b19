/*
 * mtest.h - helpers the manifest tests share: throwaway trees in a
 * temporary directory, and loading them in one call.
 */
#ifndef AZAPPLY_MTEST_H
#define AZAPPLY_MTEST_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <cmocka.h>

#include <azapply/manifest.h>

/* A fresh directory below TMPDIR (or /tmp); the caller frees the string
 * and removes the tree with mt_rmtree. */
char *mt_tempdir(void);
void mt_rmtree(const char *dir);
/* Writes `text` to dir/rel, creating the folders on the way. */
void mt_write(const char *dir, const char *rel, const char *text);
void mt_write_bytes(const char *dir, const char *rel, const void *data, size_t len);

/* Parses one YAML text; asserts it parsed into exactly one document. */
json_t *mt_parse1(const char *text, az_srcmap **map_out);
/* Parses a text that must fail; returns the diagnostics' first error as
 * "line:col: summary" (caller frees). */
char *mt_parse_error(const char *text, const az_load_limits *limits);

/* Loads `dir` with the directory source; the caller frees set and diags. */
int mt_load(az_manifest_set **out, const char *dir, az_diags *d);

/* The first error in `d` as "file:line:col: summary" (or "summary"). */
char *mt_first_error(const az_diags *d);

/* A getenv for tests: a NULL-terminated list of "NAME=value" strings. */
const char *mt_getenv(const char *name, void *ud);

#endif
