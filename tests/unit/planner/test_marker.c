/*
 * test_marker.c - a body read without its marker: what the plan diffs and
 * the fingerprint hashes.
 *
 * az_marker_stripped shares all but the marker's path with the body it
 * is given; these tests hold it to the copy it replaced, for every kind's
 * place of the marker, and check the body given stays as it was.
 */
#include <azapply/provider.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "marker.h"

/* A body of every shape a marker can live in, the marker written in. */
static json_t *marked_body(const az_kind *kind)
{
	json_t *body = json_pack("{s:s, s:{s:s}, s:{s:s, s:[s], s:{s:s}, s:{s:s}, s:{s:i}}, s:s}",
				 "location", "westeurope", "tags", "team", "data", "properties",
				 "description", "theirs", "annotations", "kept", "metadata", "owner",
				 "ops", "tags", "cost", "lab", "nested", "depth", 2, "notes", "a note");
	az_marker_info m = {
		.present = true,
		.stack = "platform",
		.env = "dev",
		.subscription = "00000000-0000-0000-0000-000000000000",
		.address = "Kind/name",
		.fingerprint = "0123456789abcdef0123456789abcdef",
		.prevent_destroy = true,
		.paths = "p",
	};
	az_marker_write(kind, body, &m);
	return body;
}

static void stripped_equals_a_stripped_copy_for_every_kind(void **state)
{
	(void)state;
	size_t count = 0;
	const az_kind *const *kinds = az_kinds(&count);
	for (size_t i = 0; i < count; i++) {
		json_t *body = marked_body(kinds[i]);
		json_t *before = json_deep_copy(body);
		json_t *want = json_deep_copy(body);
		az_marker_strip(kinds[i], want);
		json_t *got = az_marker_stripped(kinds[i], body);
		if (!json_equal(got, want) || !json_equal(body, before))
			fail_msg("kind %s: stripped body or the body given differs", kinds[i]->name);
		json_decref(got);
		json_decref(want);
		json_decref(before);
		json_decref(body);
	}
}

/* The fingerprint ignores the marker, and still covers what is not one. */
static void fingerprint_ignores_the_marker_only(void **state)
{
	(void)state;
	size_t count = 0;
	const az_kind *const *kinds = az_kinds(&count);
	for (size_t i = 0; i < count; i++) {
		json_t *body = marked_body(kinds[i]);
		json_t *bare = json_deep_copy(body);
		az_marker_strip(kinds[i], bare);
		char *a = az_fingerprint(kinds[i], body);
		char *b = az_fingerprint(kinds[i], bare);
		assert_string_equal(a, b);
		json_object_set_new(json_object_get(bare, "properties"), "nested", json_integer(3));
		char *c = az_fingerprint(kinds[i], bare);
		if (strcmp(a, c) == 0)
			fail_msg("kind %s: a changed property left the fingerprint", kinds[i]->name);
		free(a);
		free(b);
		free(c);
		json_decref(bare);
		json_decref(body);
	}
}

/* A SecureString's value is out of the fast hash, wherever it is. */
static void fingerprint_leaves_secure_strings_out(void **state)
{
	(void)state;
	size_t count = 0;
	const az_kind *const *kinds = az_kinds(&count);
	const az_kind *kind = kinds[0];
	json_t *one = json_pack("{s:{s:{s:s, s:s}}}", "properties", "password", "type",
				"SecureString", "value", "first");
	json_t *two = json_pack("{s:{s:{s:s, s:s}}}", "properties", "password", "type",
				"SecureString", "value", "second");
	char *a = az_fingerprint(kind, one);
	char *b = az_fingerprint(kind, two);
	assert_string_equal(a, b);
	assert_string_equal(json_string_value(json_object_get(
				json_object_get(json_object_get(one, "properties"), "password"), "value")),
			    "first");
	free(a);
	free(b);
	json_decref(one);
	json_decref(two);
}

/* The markers already in Azure hold fingerprints: the text they hash may
 * not change by a byte when the way it is written does. The expected
 * values were computed by the writer markers were made with first
 * (jansson's json_dumps, sorted and compact). */
static void fingerprints_stay_what_markers_hold(void **state)
{
	(void)state;
	static const struct {
		const char *kind, *body, *fingerprint;
	} cases[] = {
	    {"SynapseWorkspace", "{}", "44136fa355b3678a1146ad16f7e8649e"},
	    {"SynapseWorkspace",
	     "{\"location\":\"westeurope\",\"tags\":{\"b\":\"2\",\"a\":\"1\"},"
	     "\"properties\":{\"z\":[3,1.5,null,true],\"sqlAdministratorLogin\":\"sqladmin\","
	     "\"text\":\"caf\\u00e9 \\\"q\\\" \\\\ \\n\\u0001 \\ud83d\\ude00\"}}",
	     "f3496c782355c5287bac7e0c40c6f60b"},
	    {"Pipeline",
	     "{\"properties\":{\"activities\":[{\"name\":\"Wait1\",\"type\":\"Wait\","
	     "\"typeProperties\":{\"waitTimeInSeconds\":1}}],\"annotations\":[],"
	     "\"parameters\":{\"p\":{\"type\":\"string\",\"defaultValue\":\"/x\"}}}}",
	     "f189a7bde8bd1085c7cd50891f64c977"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const az_kind *kind = az_kind_find(cases[i].kind);
		assert_non_null(kind);
		json_t *body = json_loads(cases[i].body, 0, NULL);
		assert_non_null(body);
		char *fp = az_fingerprint(kind, body);
		assert_string_equal(fp, cases[i].fingerprint);
		free(fp);
		json_decref(body);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(stripped_equals_a_stripped_copy_for_every_kind),
		cmocka_unit_test(fingerprint_ignores_the_marker_only),
		cmocka_unit_test(fingerprint_leaves_secure_strings_out),
		cmocka_unit_test(fingerprints_stay_what_markers_hold),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
