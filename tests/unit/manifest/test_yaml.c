/*
 * test_yaml.c - the YAML parser: core-schema scalars, positions in the
 * source map, duplicate keys, tags, aliases and the limits that stop
 * hostile input.
 */
#define _POSIX_C_SOURCE 200809L

#include "mtest.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static void assert_json(json_t *got, const char *want_text)
{
	json_t *want = json_loads(want_text, JSON_DECODE_ANY, NULL);
	assert_non_null(want);
	if (!json_equal(got, want)) {
		char *g = json_dumps(got, JSON_ENCODE_ANY | JSON_SORT_KEYS);
		fail_msg("got %s, want %s", g, want_text);
	}
	json_decref(want);
}

static void core_schema_resolves_plain_scalars(void **state)
{
	(void)state;
	json_t *doc = mt_parse1("n1: null\nn2: Null\nn3: NULL\nn4: ~\nn5:\n"
	                        "b1: true\nb2: True\nb3: FALSE\nb4: False\nb5: TRUE\nb6: false\n"
	                        "s7: Nulls\ns8: Falsey\ns9: nil\ns10: Tru\ns11: westeurope\n"
	                        "s1: yes\ns2: no\ns3: on\ns4: off\ns5: nULL\ns6: tRUE\n"
	                        "i1: 42\ni2: -7\ni3: 0o17\ni4: 0x1F\ni5: +3\ni6: 0777\n"
	                        "f1: 1.5\nf2: -0.5e3\nf3: .25\nf4: 1e2\n"
	                        "q1: \"true\"\nq2: '42'\nq3: \"null\"\n"
	                        "x1: 0o8\nx2: 1.2.3\nx3: 12:30\nx4: NO\n",
	                        NULL);
	assert_json(doc, "{\"n1\":null,\"n2\":null,\"n3\":null,\"n4\":null,\"n5\":null,"
	                 "\"b1\":true,\"b2\":true,\"b3\":false,\"b4\":false,\"b5\":true,"
	                 "\"b6\":false,\"s7\":\"Nulls\",\"s8\":\"Falsey\",\"s9\":\"nil\","
	                 "\"s10\":\"Tru\",\"s11\":\"westeurope\","
	                 "\"s1\":\"yes\",\"s2\":\"no\",\"s3\":\"on\",\"s4\":\"off\","
	                 "\"s5\":\"nULL\",\"s6\":\"tRUE\","
	                 "\"i1\":42,\"i2\":-7,\"i3\":15,\"i4\":31,\"i5\":3,\"i6\":777,"
	                 "\"f1\":1.5,\"f2\":-500.0,\"f3\":0.25,\"f4\":100.0,"
	                 "\"q1\":\"true\",\"q2\":\"42\",\"q3\":\"null\","
	                 "\"x1\":\"0o8\",\"x2\":\"1.2.3\",\"x3\":\"12:30\",\"x4\":\"NO\"}");
	assert_true(json_is_integer(json_object_get(doc, "i1")));
	assert_true(json_is_real(json_object_get(doc, "f4")));
	json_decref(doc);
}

static void core_tags_force_types(void **state)
{
	(void)state;
	json_t *doc = mt_parse1("a: !!str 42\nb: !!int \"7\"\nc: !!float 2\nd: !!bool \"true\"\n"
	                        "e: !!null ''\nf: !!map {x: 1}\ng: !!seq [1]\n",
	                        NULL);
	assert_json(doc, "{\"a\":\"42\",\"b\":7,\"c\":2.0,\"d\":true,\"e\":null,"
	                 "\"f\":{\"x\":1},\"g\":[1]}");
	json_decref(doc);
}

static void expect_error(const char *text, const char *want)
{
	char *got = mt_parse_error(text, NULL);
	if (!strstr(got, want))
		fail_msg("got '%s', want it to contain '%s'", got, want);
	free(got);
}

static void custom_tags_and_bad_values_are_errors(void **state)
{
	(void)state;
	expect_error("a: !Ref thing\n", "1:4: unsupported YAML tag '!Ref'");
	expect_error("a: !!binary aGk=\n", "1:4: unsupported YAML tag '!!binary'");
	expect_error("a: !!map [1]\n", "unsupported YAML tag '!!map'");
	expect_error("a: !!int 1.5\n", "1:10: '1.5' is not a valid !!int value");
	expect_error("a: .inf\n", "1:4: '.inf' is infinity or NaN");
	expect_error("a: -.INF\n", "1:4: '-.INF' is infinity or NaN");
	expect_error("a: .nan\n", "1:4: '.nan' is infinity or NaN");
	expect_error("a: 1e999\n", "1:4: number '1e999' is out of range");
	expect_error("a: 99999999999999999999\n", "does not fit in 64 bits");
	expect_error("a: \"x\\0y\"\n", "1:5: a string may not contain a NUL character");
	expect_error("? [a]\n: 1\n", "a mapping key must be a scalar");
}

static void positions_are_first_content_character(void **state)
{
	(void)state;
	az_srcmap *map = NULL;
	json_t *doc = mt_parse1("apiVersion: azapply/v1\n"
	                        "spec:\n"
	                        "  name: \"quoted\"\n"
	                        "  list:\n"
	                        "    - 'one'\n"
	                        "    - two: 2\n"
	                        "  a~b/c: {x: [1, 2]}\n"
	                        "  empty:\n"
	                        "  é: ünï\n",
	                        &map);
	struct {
		const char *ptr;
		int line, col;
	} want[] = {
	    {"", 1, 1},
	    {"/apiVersion", 1, 13},
	    {"/spec", 3, 3},
	    {"/spec/name", 3, 10},
	    {"/spec/list", 5, 5},
	    {"/spec/list/0", 5, 8},
	    {"/spec/list/1", 6, 7},
	    {"/spec/list/1/two", 6, 12},
	    {"/spec/a~0b~1c", 7, 10},
	    {"/spec/a~0b~1c/x", 7, 14},
	    {"/spec/a~0b~1c/x/1", 7, 18},
	    {"/spec/é", 9, 6},
	    /* no entry of its own: the nearest ancestor */
	    {"/spec/list/7/deep", 5, 5},
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const az_pos *p = az_srcmap_get(map, want[i].ptr);
		assert_non_null(p);
		assert_string_equal(p->file, "t.yaml");
		if (p->line != want[i].line || p->col != want[i].col)
			fail_msg("%s: got %d:%d, want %d:%d", want[i].ptr, p->line, p->col,
			         want[i].line, want[i].col);
	}
	assert_true(json_is_null(json_object_get(json_object_get(doc, "spec"), "empty")));
	json_decref(doc);
	az_srcmap_free(map);
}

static void srcmap_set_and_fallback(void **state)
{
	(void)state;
	az_srcmap *m = az_srcmap_new();
	assert_null(az_srcmap_get(m, "/a"));
	az_pos root = {"f", 1, 1}, a = {"f", 2, 3};
	az_srcmap_set(m, "", root);
	az_srcmap_set(m, "/a", a);
	for (int i = 0; i < 5000; i++) {
		char ptr[32];
		snprintf(ptr, sizeof(ptr), "/a/%d", i);
		az_pos p = {"f", i + 10, 1};
		az_srcmap_set(m, ptr, p);
	}
	assert_int_equal(az_srcmap_get(m, "/a/4999")->line, 5009);
	assert_int_equal(az_srcmap_get(m, "/a/4999/x/y")->line, 5009);
	assert_int_equal(az_srcmap_get(m, "/a/5000")->line, 2);
	assert_int_equal(az_srcmap_get(m, "/b")->line, 1);
	az_pos again = {"f", 99, 9};
	az_srcmap_set(m, "/a", again);
	assert_int_equal(az_srcmap_get(m, "/a")->line, 99);
	az_srcmap_free(m);
	az_srcmap_free(NULL);
}

static void duplicate_keys_name_the_first(void **state)
{
	(void)state;
	expect_error("a: 1\nb:\n  c: 1\n  d: 2\n  c: 3\n",
	             "5:3: duplicate key 'c' (first defined at line 3)");
	expect_error("{x: 1, y: 2, x: 3}\n", "1:14: duplicate key 'x' (first defined at line 1)");
	/* The same key in different mappings is fine. */
	json_t *doc = mt_parse1("a: {k: 1}\nb: {k: 2}\n", NULL);
	json_decref(doc);
}

static void aliases_copy_and_count(void **state)
{
	(void)state;
	json_t *doc = mt_parse1("base: &b {sku: small, n: 1}\nx: *b\ny: [*b, *b]\n", NULL);
	assert_json(doc, "{\"base\":{\"sku\":\"small\",\"n\":1},\"x\":{\"sku\":\"small\",\"n\":1},"
	                 "\"y\":[{\"sku\":\"small\",\"n\":1},{\"sku\":\"small\",\"n\":1}]}");
	/* Copies, not shared values: changing one leaves the others alone. */
	json_object_set_new(json_object_get(doc, "x"), "n", json_integer(2));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(doc, "base"), "n")), 1);
	json_decref(doc);
	/* Anchors and tags come before the node's first content character. */
	az_srcmap *map = NULL;
	doc = mt_parse1("a: &x \"v\"\nb: !!str  &y w\nc: &z\n  k: 1\nd: &w [1]\n", &map);
	assert_int_equal(az_srcmap_get(map, "/a")->col, 8);
	assert_int_equal(az_srcmap_get(map, "/b")->col, 14);
	assert_int_equal(az_srcmap_get(map, "/c")->line, 4);
	assert_int_equal(az_srcmap_get(map, "/c")->col, 3);
	assert_int_equal(az_srcmap_get(map, "/d")->col, 7);
	az_srcmap_free(map);
	json_decref(doc);
	expect_error("a: *nope\n", "1:4: alias '*nope' names no anchor above it");
	expect_error("a: &x [1, *x]\n", "alias '*x' refers to a node that contains it");
	expect_error("&k a: 1\n*k : 2\n", "an alias cannot be used as a mapping key");
}

static void alias_bomb_is_refused_by_its_node_count(void **state)
{
	(void)state;
	const char *bomb =
	    "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
	    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
	    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
	    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
	    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
	    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
	    "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
	    "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
	    "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n";
	/* Refused by the node count, aliases included, not expanded
	 * (9^8 strings); ctest's timeout stands for any timing. */
	char *got = mt_parse_error(bomb, NULL);
	assert_non_null(strstr(got, "nodes (aliases included)"));
	free(got);
}

static void limits_depth_documents_size(void **state)
{
	(void)state;
	az_load_limits lim = AZ_LOAD_LIMITS_DEFAULT;
	lim.max_depth = 3;
	char *got = mt_parse_error("a:\n  b:\n    c:\n      d: 1\n", &lim);
	assert_string_equal(got, "4:7: nesting is deeper than 3 levels");
	free(got);
	got = mt_parse_error("[[[[1]]]]\n", &lim);
	assert_string_equal(got, "1:4: nesting is deeper than 3 levels");
	free(got);

	lim = AZ_LOAD_LIMITS_DEFAULT;
	lim.max_documents = 2;
	got = mt_parse_error("a: 1\n---\nb: 2\n---\nc: 3\n", &lim);
	assert_string_equal(got, "4:1: file has more than 2 documents");
	free(got);

	lim = AZ_LOAD_LIMITS_DEFAULT;
	lim.max_file_bytes = 8;
	got = mt_parse_error("a: 123456789\n", &lim);
	assert_string_equal(got, "0:0: file is 13 bytes, more than the limit of 8");
	free(got);

	lim = AZ_LOAD_LIMITS_DEFAULT;
	lim.max_nodes = 4;
	got = mt_parse_error("[1, 2, 3, 4]\n", &lim);
	assert_string_equal(got, "1:11: document has more than 4 nodes (aliases included)");
	free(got);
}

static void invalid_utf8_points_at_the_byte(void **state)
{
	(void)state;
	char *got = mt_parse_error("a: ok\nb: caf\xc3\xa9 \xff\n", NULL);
	assert_string_equal(got, "2:9: invalid text encoding: invalid leading UTF-8 octet");
	free(got);
}

static void syntax_errors_are_sentences(void **state)
{
	(void)state;
	char *got = mt_parse_error("a: b: c\n", NULL);
	assert_string_equal(got, "1:5: invalid YAML: unexpected ':' (a value containing ': ' "
	                         "must be quoted, or the indentation is off) (mapping values "
	                         "are not allowed in this context)");
	free(got);
	got = mt_parse_error("a:\n  - 1\n - 2\n", NULL);
	assert_non_null(strstr(got, "invalid YAML"));
	free(got);
	got = mt_parse_error("a: \"open\n", NULL);
	assert_non_null(strstr(got, "the file ends inside a quoted string"));
	free(got);
}

static void documents_and_json(void **state)
{
	(void)state;
	az_diags d = AZ_DIAGS_INIT;
	json_t **docs = NULL;
	az_srcmap **maps = NULL;
	size_t n = 0;
	const char *text = "# only a comment\n---\na: 1\n---\n---\n[1]\n";
	assert_int_equal(az_yaml_parse("m.yaml", text, strlen(text), NULL, &docs, &maps, &n, &d),
	                 0);
	/* The comment before the first "---" is no document. */
	assert_int_equal(n, 3);
	assert_true(json_is_object(docs[0]));
	assert_true(json_is_null(docs[1]));
	assert_true(json_is_array(docs[2]));
	assert_int_equal(az_srcmap_get(maps[2], "/0")->line, 6);
	for (size_t i = 0; i < n; i++) {
		json_decref(docs[i]);
		az_srcmap_free(maps[i]);
	}
	free(docs);
	free(maps);

	/* JSON is YAML 1.2: compact JSON, tabs and "\/" escapes. */
	json_t *doc =
	    mt_parse1("{\"a\":1,\"b\":[true,null,\"x\\/y\"],\n\t\"c\": {\"d\": -1.5e1}}", NULL);
	assert_json(doc, "{\"a\":1,\"b\":[true,null,\"x/y\"],\"c\":{\"d\":-15.0}}");
	json_decref(doc);
	az_diags_clear(&d);
}

/* The parser builds every document's map in one scratch map and hands
 * each document an exact copy: no document sees another's entries, after
 * a document too large for the scratch table to be cleared in place, and
 * a handed-out map still takes new entries. */
static void each_document_has_its_own_map(void **state)
{
	(void)state;
	az_buf text = AZ_BUF_INIT;
	az_buf_puts(&text, "first: 1\n---\n");
	for (int i = 0; i < 3000; i++)
		az_buf_printf(&text, "k%d: %d\n", i, i);
	az_buf_puts(&text, "---\nlast:\n  x: [1, 2]\n");
	az_diags d = AZ_DIAGS_INIT;
	json_t **docs = NULL;
	az_srcmap **maps = NULL;
	size_t n = 0;
	assert_int_equal(
	    az_yaml_parse("m.yaml", text.data, text.len, NULL, &docs, &maps, &n, &d), 0);
	assert_int_equal(n, 3);
	assert_int_equal(az_srcmap_get(maps[0], "/first")->line, 1);
	assert_int_equal(az_srcmap_get(maps[1], "/k0")->line, 3);
	assert_int_equal(az_srcmap_get(maps[1], "/k2999")->line, 3002);
	assert_int_equal(az_srcmap_get(maps[2], "/last/x/1")->line, 3005);
	assert_int_equal(az_srcmap_get(maps[2], "/last/x/1")->col, 10);
	/* Another document's pointer falls back to this one's root. */
	assert_int_equal(az_srcmap_get(maps[0], "/k5")->line, 1);
	assert_int_equal(az_srcmap_get(maps[2], "/k5")->line, 3004);
	assert_int_equal(az_srcmap_get(maps[2], "/first")->line, 3004);
	assert_int_equal(az_srcmap_get(maps[1], "/last")->line, 3);
	for (int i = 0; i < 100; i++) {
		char ptr[32];
		snprintf(ptr, sizeof(ptr), "/added/%d", i);
		az_srcmap_set(maps[2], ptr, (az_pos){"m.yaml", 500 + i, 1});
	}
	assert_int_equal(az_srcmap_get(maps[2], "/added/99")->line, 599);
	assert_int_equal(az_srcmap_get(maps[2], "/last/x/0")->line, 3005);
	for (size_t i = 0; i < n; i++) {
		json_decref(docs[i]);
		az_srcmap_free(maps[i]);
	}
	free(docs);
	free(maps);
	az_buf_free(&text);
	az_diags_clear(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(core_schema_resolves_plain_scalars),
	    cmocka_unit_test(core_tags_force_types),
	    cmocka_unit_test(custom_tags_and_bad_values_are_errors),
	    cmocka_unit_test(positions_are_first_content_character),
	    cmocka_unit_test(srcmap_set_and_fallback),
	    cmocka_unit_test(duplicate_keys_name_the_first),
	    cmocka_unit_test(aliases_copy_and_count),
	    cmocka_unit_test(alias_bomb_is_refused_by_its_node_count),
	    cmocka_unit_test(limits_depth_documents_size),
	    cmocka_unit_test(invalid_utf8_points_at_the_byte),
	    cmocka_unit_test(syntax_errors_are_sentences),
	    cmocka_unit_test(documents_and_json),
	    cmocka_unit_test(each_document_has_its_own_map),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
