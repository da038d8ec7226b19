/*
 * schema.h - a validator for the subset of JSON Schema (draft 2020-12) that
 * schemas/<kind>.schema.json use: type, properties, patternProperties,
 * required, additionalProperties, propertyNames, min/maxProperties, enum,
 * const, pattern (PCRE2), minimum/maximum, exclusiveMinimum/Maximum,
 * multipleOf, minLength/maxLength, items, prefixItems, minItems/maxItems,
 * uniqueItems, oneOf/anyOf/allOf/not, $ref within the same document.
 *
 * No Debian package offers this in C; tests/unit/schema compares its
 * verdicts with python3-jsonschema's on a shared corpus.
 */
#ifndef AZAPPLY_SCHEMA_H
#define AZAPPLY_SCHEMA_H

#include <azapply/provider.h>

typedef struct az_schema az_schema;

typedef struct az_schema_error {
	char *pointer; /* JSON Pointer into the instance */
	char *keyword; /* the schema keyword that failed, e.g. "required" */
	char *message; /* one line, for users */
} az_schema_error;

typedef struct az_schema_errors {
	az_schema_error *items;
	size_t len;
	size_t cap;
} az_schema_errors;

/* Values for which `skip` returns true pass every check (used for strings
 * holding ${ref...} expressions that are only known at apply time). */
typedef bool (*az_schema_skip_fn)(const json_t *value, void *ud);

/* Compiles a schema (patterns are compiled once here). On error returns
 * AZ_EINVALID with a diagnostic naming `name`. */
int az_schema_compile(az_schema **out, const char *name, const json_t *schema, az_diags *d);
void az_schema_free(az_schema *s);

/* Returns the number of errors appended to `errs` (0 = valid). */
size_t az_schema_validate(const az_schema *s, const json_t *instance, az_schema_skip_fn skip,
			  void *skip_ud, az_schema_errors *errs);
/* As az_schema_validate, and what Azure would accept but ignore or read
 * otherwise goes to `warnings` (NULL: dropped), through azapply's
 * extensions: a property an object marked x-azapply-unknownProperties does
 * not know (with the nearest known name and the permissible names), an
 * enum value in another case where x-azapply-enumCase says Azure ignores
 * case, a region format azure-location does not know, a near miss of a
 * value an open form excludes. The formats uuid, date-time, duration and
 * timespan are checked as errors. A message may hold a second line, after
 * '\n': the detail (the permissible names). */
size_t az_schema_check(const az_schema *s, const json_t *instance, az_schema_skip_fn skip,
		       void *skip_ud, az_schema_errors *errs, az_schema_errors *warnings);
void az_schema_errors_clear(az_schema_errors *errs);

/* The schemas shipped with azapply (schemas/<kind>.schema.json, embedded at build
 * time): "manifest" for the envelope and project file ("project"), and one
 * per kind name. Compiled on first use and cached; NULL when there is none. */
const az_schema *az_schema_builtin(const char *name, az_diags *d);
/* Frees the cache (for leak-free test runs). */
void az_schema_builtin_release(void);

#endif
