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

#endif
