/*
 * builtin.c - the schemas azapply ships (schemas/<name>.schema.json), embedded in
 * the binary by embed.cmake so a release needs no schema files beside it.
 *
 * Each one is parsed and compiled the first time it is asked for and kept
 * until az_schema_builtin_release. A schema that fails to compile is a bug
 * in the shipped files (the unit tests compile every one of them); it is
 * reported once per call and not cached, so the caller sees the diagnostic.
 * The cache is not locked: manifests are validated on the loading thread.
 */
#include <azapply/schema.h>

#include <stdlib.h>
#include <string.h>

#include "schema_internal.h"

static az_schema **cache; /* parallel to az_schema_embedded_table */

const az_schema *az_schema_builtin(const char *name, az_diags *d)
{
	size_t i;
	for (i = 0; i < az_schema_embedded_count; i++)
		if (strcmp(az_schema_embedded_table[i].name, name) == 0)
			break;
	if (i == az_schema_embedded_count)
		return NULL;
	if (!cache)
		cache = az_xcalloc(az_schema_embedded_count + 1, sizeof(*cache));
	if (cache[i])
		return cache[i];

	const az_schema_embedded *e = &az_schema_embedded_table[i];
	json_error_t jerr;
	json_t *doc = az_json_loadb((const char *)e->data, e->len, 0, &jerr);
	if (!doc) {
		az_diag_add(d, AZ_SEV_ERROR, NULL, NULL,
		            "built-in schema %s.schema.json is not valid JSON: %s (line %d)", name,
		            jerr.text, jerr.line);
		return NULL;
	}
	az_schema *s = NULL;
	if (az_schema_compile(&s, name, doc, d) == 0)
		cache[i] = s;
	json_decref(doc);
	return cache[i];
}

void az_schema_builtin_release(void)
{
	if (!cache)
		return;
	for (size_t i = 0; i < az_schema_embedded_count; i++)
		az_schema_free(cache[i]);
	free(cache);
	cache = NULL;
}
