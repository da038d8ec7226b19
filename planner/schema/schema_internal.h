/*
 * schema_internal.h - what schema.c shares with the rest of planner/schema:
 * the embedded schema table (generated at build time from schemas/ by
 * embed.cmake) and two helpers the builtin cache and tests reuse.
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

/* Appends "/key" to a JSON Pointer, escaping '~' and '/' (RFC 6901). */
void az_schema_pointer_push(az_buf *b, const char *key);
/* JSON equality as JSON Schema defines it (1 == 1.0, true != 1). */
bool az_schema_json_equal(const json_t *a, const json_t *b);

#endif
