/*
 * bodies.c - see bodies.h.
 */
#include "bodies.h"

#include <azapply/schema.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

static bool holds_ref(const json_t *value, void *ud)
{
	(void)ud;
	return json_is_string(value) && strstr(json_string_value(value), "${ref.") != NULL;
}

size_t check_manifest(const char *kind, const json_t *manifest, const char *what)
{
	az_diags d = AZ_DIAGS_INIT;
	const az_schema *s = az_schema_builtin(kind, &d);
	assert_non_null(s);
	az_diags_clear(&d);
	az_schema_errors errs = {NULL, 0, 0}, warns = {NULL, 0, 0};
	az_schema_check(s, manifest, holds_ref, NULL, &errs, &warns);
	for (size_t i = 0; i < errs.len; i++)
		print_error("%s: error at %s: %s\n", what, errs.items[i].pointer,
		            errs.items[i].message);
	for (size_t i = 0; i < warns.len; i++)
		print_error("%s: warning at %s: %s\n", what, warns.items[i].pointer,
		            warns.items[i].message);
	size_t n = errs.len + warns.len;
	az_schema_errors_clear(&errs);
	az_schema_errors_clear(&warns);
	return n;
}

size_t check_body(const body_kind *k, const json_t *body, const char *what)
{
	json_t *spec = json_object();
	if (k->artifact) {
		json_object_set(spec, "properties", json_object_get(body, "properties"));
	} else {
		json_object_update(spec, (json_t *)(uintptr_t)body);
		/* What the id and the envelope carry, never the spec. */
		static const char *const ENVELOPE[] = {"id", "name", "type", "etag", "systemData"};
		for (size_t i = 0; i < sizeof(ENVELOPE) / sizeof(ENVELOPE[0]); i++)
			json_object_del(spec, ENVELOPE[i]);
	}
	/* Examples generated from the spec's types (mfe.json's) carry "string"
	 * in every string field; a region is the one such placeholder a schema
	 * judges, so it stands for one here. */
	const char *loc = json_string_value(json_object_get(spec, "location"));
	if (loc && strcmp(loc, "string") == 0)
		json_object_set_new(spec, "location", json_string("westeurope"));
	if (k->scope_field)
		json_object_set_new(spec, k->scope_field, json_string("parent"));
	json_t *m = json_pack("{s:s, s:s, s:{s:s}, s:o}", "apiVersion", "azapply.dev/v1", "kind",
	                      k->kind, "metadata", "name", "example", "spec", spec);
	size_t n = check_manifest(k->kind, m, what);
	json_decref(m);
	return n;
}

