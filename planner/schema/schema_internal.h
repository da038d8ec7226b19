/*
 * schema_internal.h - the table of embedded schemas: generated at build
 * time from schemas/ by embed.cmake, read by builtin.c.
 */
#ifndef AZAPPLY_SCHEMA_INTERNAL_H
#define AZAPPLY_SCHEMA_INTERNAL_H

#include <azapply/schema.h>

typedef struct az_schema_embedded {
	const char *name; /* file name without ".schema.json" */
	const unsigned char *data;
	size_t len;
} az_schema_embedded;

/* Generated: every schemas/<name>.schema.json, sorted by name. */
extern const az_schema_embedded az_schema_embedded_table[];
extern const size_t az_schema_embedded_count;

/* As az_schema_validate, and what Azure would accept but ignore or read
 * otherwise goes to `warnings` (NULL: dropped): unknown properties of
 * objects marked x-azapply-unknownProperties, enums in another case,
 * unknown regions. A warning's message may hold a second line, the
 * permissible names, after '\n'. */
size_t az_schema_check(const az_schema *s, const json_t *instance, az_schema_skip_fn skip,
                       void *skip_ud, az_schema_errors *errs, az_schema_errors *warnings);

#endif
