/*
 * test_json_write.c - the compact writer (providers/api/json_write.c)
 * against jansson's json_dumps(COMPACT | ENCODE_ANY), keys sorted
 * (SORT_KEYS, the canonical text) and in their order: the same bytes for
 * every value, the same refusals, and the buffer left as it was by a
 * refusal. az_json_dumps, which hands compact text to this writer, is
 * held to jansson's for the same values.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <azapply/provider.h>

#include "string_with.h"

#define CANONICAL (JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY)
#define COMPACT (JSON_COMPACT | JSON_ENCODE_ANY)

static void same_text_with(const json_t *v, size_t flags)
{
	char *theirs = json_dumps(v, flags);
	assert_non_null(theirs);
	az_buf ours = AZ_BUF_INIT;
	az_buf_puts(&ours, "kept:");
	assert_true(az_json_write(&ours, v, (flags & JSON_SORT_KEYS) != 0));
	if (strcmp(ours.data + 5, theirs) != 0)
		fail_msg("writers disagree (flags %#zx):\n jansson: %s\n azapply: %s", flags,
			 theirs, ours.data + 5);
	assert_int_equal(ours.len, 5 + strlen(theirs));
	char *dumped = az_json_dumps(v, flags);
	assert_non_null(dumped);
	assert_string_equal(dumped, theirs);
	free(dumped);
	free(theirs);
	az_buf_free(&ours);
}

static void same_text(const json_t *v)
{
	same_text_with(v, CANONICAL);
	same_text_with(v, COMPACT);
	az_buf sorted = AZ_BUF_INIT;
	assert_true(az_json_write_sorted(&sorted, v));
	char *theirs = json_dumps(v, CANONICAL);
	assert_string_equal(sorted.data, theirs);
	free(theirs);
	az_buf_free(&sorted);
}

static void same_text_of(const char *json_text)
{
	json_error_t err;
	json_t *v = json_loads(json_text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
	if (!v)
		fail_msg("test text does not read: %s: %s", json_text, err.text);
	same_text(v);
	json_decref(v);
}

static void writes_what_jansson_writes(void **state)
{
	(void)state;
	static const char *const texts[] = {
	    "null", "true", "false", "0", "-1", "9223372036854775807", "-9223372036854775808",
	    "1.5", "-0.0", "1e300", "1e-7", "123456789.125", "0.1", "\"\"", "\"plain\"", "{}", "[]",
	    "[[],{},[[]],{\"a\":{}}]", "{\"b\":1,\"a\":2,\"c\":{\"z\":[1,2,{\"y\":null,\"x\":true}]}}",
	    /* keys that are prefixes of each other, and bytes above ASCII */
	    "{\"ab\":1,\"a\":2,\"abc\":3,\"b\":4,\"A\":5,\"\\u00e9\":6,\"e\":7,\"\\ud83d\\ude00\":8}",
	    /* every escape jansson writes, and what it leaves alone */
	    "\"quote \\\" backslash \\\\ slash / \\b \\f \\n \\r \\t\"",
	    "\"\\u0000 \\u0001 \\u001f \\u007f \\u0080 \\u2028 \\uffff \\ud83d\\ude00\"",
	    "{\"\\n\":\"\\t\",\"key\\u0001\":\"a control byte in a key\"}",
	    "{\"properties\":{\"description\":\"multi\\nline\",\"size\":12,\"ratio\":0.25,"
	    "\"tags\":{\"azapply-stack\":\"s\",\"env\":\"dev\"},\"list\":[\"b\",\"a\"]}}",
	};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		same_text_of(texts[i]);
}

/* More keys than the writer sorts on its stack, and a key with a NUL
 * inside, which only the length sets apart. */
static void wide_objects_and_keys_with_nul(void **state)
{
	(void)state;
	json_t *o = json_object();
	for (int i = 0; i < 200; i++) {
		char key[16];
		snprintf(key, sizeof(key), "k%d", (i * 37) % 200);
		json_object_set_new(o, key, json_integer(i));
	}
	json_object_setn_new(o, "k1\0b", 4, json_string("inner NUL"));
	json_object_setn_new(o, "k1\0", 3, json_string("trailing NUL"));
	same_text(o);
	json_decref(o);
}

/* A small generator: deterministic trees of every type. */
static uint64_t next(uint64_t *s)
{
	*s += AZ_SPLITMIX64_GAMMA;
	return az_splitmix64_mix(*s);
}

static json_t *random_value(uint64_t *s, int depth)
{
	static const char *const words[] = {"", "a", "ab", "b", "name", "Name", "na\"me",
					    "x\\y", "tab\there", "caf\xc3\xa9", "\xf0\x9f\x98\x80",
					    "ctl\x01", "\x7f", "properties", "tags"};
	size_t nwords = sizeof(words) / sizeof(words[0]);
	unsigned pick = (unsigned)(next(s) % (depth > 4 ? 6 : 8));
	switch (pick) {
	case 0: return json_null();
	case 1: return json_boolean(next(s) & 1);
	case 2: return json_integer((json_int_t)next(s) >> (next(s) % 64));
	case 3: return json_real((double)(int64_t)next(s) / (double)(1 + next(s) % 100000));
	case 4:
	case 5: return json_string(words[next(s) % nwords]);
	case 6: {
		json_t *a = json_array();
		for (unsigned n = (unsigned)(next(s) % 6); n; n--)
			json_array_append_new(a, random_value(s, depth + 1));
		return a;
	}
	default: {
		json_t *o = json_object();
		for (unsigned n = (unsigned)(next(s) % 24); n; n--) {
			char key[40];
			snprintf(key, sizeof(key), "%s%u", words[next(s) % nwords],
				 (unsigned)(next(s) % 3));
			json_object_set_new(o, key, random_value(s, depth + 1));
		}
		return o;
	}
	}
}

/* Strings are copied eight plain bytes at a time: each byte that is more
 * than copied (a control character, '"', '\\', a multi-byte sequence, one
 * that is not UTF-8), alone or two apart, at every place of a word and of
 * the short tail after the last word, written as jansson writes it. */
static void special_bytes_anywhere_in_a_word(void **state)
{
	(void)state;
	static const char *const specials[] = {"\x01", "\x1f", "\"", "\\", "\n", "\x7f",
					      "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80"};
	char text[64];
	for (size_t len = 0; len <= 24; len++) {
		for (size_t at = 0; at <= len; at++) {
			for (size_t k = 0; k < sizeof(specials) / sizeof(specials[0]); k++) {
				for (size_t second = 0; second < 2; second++) {
					size_t n = string_with(text, len, at, second, specials[k]);
					json_t *v = json_stringn_nocheck(text, n);
					same_text(v);
					/* A string written alone, as by the
					 * emulator's log: the same text. */
					char *theirs = json_dumps(v, COMPACT);
					az_buf ours = AZ_BUF_INIT;
					assert_true(az_json_write_string(&ours, text, n));
					assert_int_equal(ours.len, strlen(theirs));
					assert_memory_equal(ours.data, theirs, ours.len);
					az_buf_free(&ours);
					free(theirs);
					json_decref(v);
				}
			}
		}
	}
	/* Not UTF-8 at each place: refused, as jansson refuses it. */
	for (size_t at = 0; at < 20; at++) {
		memset(text, 'x', 20);
		text[at] = (char)0xff;
		json_t *v = json_stringn_nocheck(text, 20);
		az_buf out = AZ_BUF_INIT;
		assert_false(az_json_write(&out, v, false));
		assert_null(json_dumps(v, COMPACT));
		az_buf_free(&out);
		json_decref(v);
	}
}

static void random_trees_agree(void **state)
{
	(void)state;
	uint64_t seed = 20261207;
	for (int i = 0; i < 3000; i++) {
		json_t *v = random_value(&seed, 0);
		same_text(v);
		json_decref(v);
	}
}

/* A string that is not UTF-8 (only a value built without jansson's check
 * holds one): jansson writes nothing, and neither does this writer. */
static void invalid_utf8_is_refused_and_leaves_the_buffer(void **state)
{
	(void)state;
	static const char *const bad[] = {"\xff", "a\xc3", "\xc0\x80", "\xed\xa0\x80",
					  "\xf4\x90\x80\x80", "\xe0\x80\xaf", "ok\x80"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *v = json_pack("{s:[i,o]}", "key", 1, json_stringn_nocheck(bad[i], strlen(bad[i])));
		char *theirs = json_dumps(v, CANONICAL);
		assert_null(theirs);
		az_buf ours = AZ_BUF_INIT;
		az_buf_puts(&ours, "before");
		assert_false(az_json_write_sorted(&ours, v));
		assert_false(az_json_write(&ours, v, false));
		assert_false(az_json_write_string(&ours, bad[i], strlen(bad[i])));
		assert_string_equal(ours.data, "before");
		assert_int_equal(ours.len, 6);
		az_buf_free(&ours);
		assert_null(az_json_dumps(v, CANONICAL));
		assert_null(az_json_dumps(v, JSON_COMPACT));
		json_decref(v);
	}
}

/* As deep as a reader gives is written; deeper is refused, not recursed
 * into without end. */
static void depth_is_bounded(void **state)
{
	(void)state;
	json_t *inner = json_integer(1);
	for (int i = 0; i < 2048; i++) {
		json_t *a = json_array();
		json_array_append_new(a, inner);
		inner = a;
	}
	same_text(inner);
	json_t *deeper = json_array();
	json_array_append_new(deeper, json_array());
	json_array_append_new(json_array_get(deeper, 0), inner);
	az_buf ours = AZ_BUF_INIT;
	assert_false(az_json_write_sorted(&ours, deeper));
	assert_false(az_json_write(&ours, deeper, false));
	assert_int_equal(ours.len, 0);
	az_buf_free(&ours);
	/* jansson writes any depth: az_json_dumps leaves such a tree to it. */
	char *theirs = json_dumps(deeper, JSON_COMPACT);
	char *dumped = az_json_dumps(deeper, JSON_COMPACT);
	assert_non_null(dumped);
	assert_string_equal(dumped, theirs);
	free(dumped);
	free(theirs);
	json_decref(deeper);
}

/* What the compact writer does not write (indentation, other flags), and
 * a scalar without JSON_ENCODE_ANY, az_json_dumps answers as jansson. */
static void other_flags_are_jansson_s(void **state)
{
	(void)state;
	json_t *v = json_pack("{s:[i,s],s:{s:b}}", "b", 1, "x/y", "a", "c", 1);
	static const size_t flags[] = {0, JSON_INDENT(2), JSON_COMPACT | JSON_ESCAPE_SLASH,
				       JSON_COMPACT | JSON_ENSURE_ASCII, JSON_INDENT(1) | JSON_COMPACT,
				       JSON_SORT_KEYS | JSON_ENCODE_ANY};
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		char *theirs = json_dumps(v, flags[i]);
		char *dumped = az_json_dumps(v, flags[i]);
		assert_string_equal(dumped, theirs);
		free(dumped);
		free(theirs);
	}
	json_decref(v);
	json_t *scalar = json_string("s");
	assert_null(az_json_dumps(scalar, JSON_COMPACT));
	char *any = az_json_dumps(scalar, COMPACT);
	assert_string_equal(any, "\"s\"");
	free(any);
	json_decref(scalar);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(writes_what_jansson_writes),
	    cmocka_unit_test(wide_objects_and_keys_with_nul),
	    cmocka_unit_test(special_bytes_anywhere_in_a_word),
	    cmocka_unit_test(random_trees_agree),
	    cmocka_unit_test(invalid_utf8_is_refused_and_leaves_the_buffer),
	    cmocka_unit_test(depth_is_bounded),
	    cmocka_unit_test(other_flags_are_jansson_s),
	};
	return cmocka_run_group_tests_name("json_write", tests, NULL, NULL);
}
