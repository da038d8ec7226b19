/*
 * mem_source.h - an in-memory file source for the fuzz targets: a few
 * named files, listed in the order given, read without touching the disk.
 */
#ifndef AZAPPLY_FUZZ_MEM_SOURCE_H
#define AZAPPLY_FUZZ_MEM_SOURCE_H

#include <azapply/manifest.h>

typedef struct mem_file {
	const char *path;
	const char *data; /* borrowed */
	size_t len;
} mem_file;

typedef struct mem_tree {
	mem_file files[4];
	size_t len;
} mem_tree;

/* Load limits sized to a mem_tree: its four files, a few documents each,
 * so a fuzz input spends its time in the parsers, not in size checks. */
extern const az_load_limits mem_limits;

/* Adds a file to the tree (at most four). */
void mem_tree_add(mem_tree *t, const char *path, const char *data, size_t len);
/* A source over `t`, which must outlive it; nothing to free. */
az_file_source mem_source(mem_tree *t);
/* Where the line `sep` (e.g. "\n#%project\n") starts in data[0..size), or
 * size; *rest_out is where what follows it starts (size when absent). */
size_t mem_split(const char *data, size_t size, const char *sep, size_t *rest_out);
/* Aborts (a finding) when an error in `d` names no file: every problem
 * with what a user wrote must say where it is. */
void mem_every_error_has_a_position(const az_diags *d);

#endif
