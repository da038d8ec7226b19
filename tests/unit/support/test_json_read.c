/*
 * test_json_read.c - azapply's JSON reader (providers/api/json_read.c)
 * against jansson's: the same values for every text jansson reads, a
 * refusal for every text it refuses, and errors that say where.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <azapply/provider.h>

#include "string_with.h"

/* Reads `text` (len bytes) with both readers and checks they agree. */
static void agree(const char *text, size_t len, size_t flags)
{
	json_error_t theirs_err, ours_err;
	json_t *theirs = json_loadb(text, len, flags, &theirs_err);
	json_t *ours = az_json_loadb(text, len, flags, &ours_err);
	if ((theirs == NULL) != (ours == NULL))
		fail_msg("readers disagree on %.*s: jansson %s (%s), azapply %s (%s)", (int)len, text,
			 theirs ? "reads it" : "refuses it", theirs ? "" : theirs_err.text,
			 ours ? "reads it" : "refuses it", ours ? "" : ours_err.text);
	if (theirs) {
		assert_true(json_equal(theirs, ours));
		/* json_equal takes 1 and 1.0 for different values, but be
		 * sure the types agree all the way down through the text. */
		char *a = az_json_dumps(theirs, JSON_ENCODE_ANY | JSON_SORT_KEYS);
		char *b = az_json_dumps(ours, JSON_ENCODE_ANY | JSON_SORT_KEYS);
		assert_string_equal(a, b);
		free(a);
		free(b);
	} else {
		assert_true(ours_err.text[0] != '\0');
		assert_true(ours_err.line >= 1);
		assert_true(ours_err.position >= 0 && (size_t)ours_err.position <= len);
	}
	json_decref(theirs);
	json_decref(ours);
}

static void agree_str(const char *text)
{
	agree(text, strlen(text), 0);
	agree(text, strlen(text), JSON_DECODE_ANY);
}

static void reads_what_jansson_reads(void **state)
{
	(void)state;
	static const char *const texts[] = {
	    "{}", "[]", " [ ] ", "\n\t\r{ }\n", "[1]", "[-0]", "[0]", "[10]", "[-12]",
	    "[9223372036854775807]", "[-9223372036854775808]", "[1.5]", "[-0.0e-0]",
	    "[1e5]", "[1E+5]", "[2.5e-3]", "[1e-400]", "[123456789012345678901234567890.5]",
	    "[true,false,null]", "{\"a\":1,\"a\":2}", "{\"\":1}", "{\"a\":{\"b\":[1,{\"c\":[]}]}}",
	    "[\"\"]", "[\"plain\"]", "[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"]", "[\"\\u00e9\\uD83D\\uDE00\"]",
	    "[\"\\u0041\\u00DF\\u6771\"]", "{\"k\\u0041y\":\"v\",\"k\\nz\":\"w\"}",
	    "[\"caf\xc3\xa9 \xe6\x9d\xb1 \xf0\x9f\x98\x80\"]", "[\"\x7f\"]",
	    "{\"value\":[{\"id\":\"/x\",\"properties\":{\"n\":3}}],\"nextLink\":null}",
	    /* refused */
	    "", " ", "1", "\"a\"", "true", "null", "[01]", "[1.]", "[.5]", "[+1]", "[1e]",
	    "[1e+]", "[-]", "[--1]", "[0x10]", "[1,]", "[,1]", "{,}", "{\"a\":1,}", "{\"a\"}",
	    "{\"a\" 1}", "{a:1}", "{1:1}", "[1 2]", "[1] x", "[1]]", "[[1]", "{\"a\":1",
	    "[\"abc", "[\"a\\\"]", "[\"\\x\"]", "[\"\\u12\"]", "[\"\\u12G4\"]", "[\"\\u0000\"]",
	    "{\"\\u0000\":1}", "[\"\\ud800\"]", "[\"\\udc00\"]", "[\"\\uD83Dx\"]",
	    "[\"\\uD83D\\u0041\"]", "[\"a\tb\"]", "[\"a\nb\"]", "[\"\xed\xa0\x80\"]",
	    "[\"\xc0\x80\"]", "[\"\xc1\xbf\"]", "[\"\xe0\x80\x80\"]", "[\"\xf0\x80\x80\x80\"]",
	    "[\"\xf4\x90\x80\x80\"]", "[\"\xf5\x80\x80\x80\"]", "[\"\x80\"]", "[\"\xc3\"]",
	    "[\"\xe6\x9d\"]", "[\xc3\xa9]", "[tru]", "[truex]", "[nul]", "[falsey]", "[True]",
	    "[9223372036854775808]", "[-9223372036854775809]", "[1e400]", "[-1e400]",
	    "\xef\xbb\xbf[]", "[1]\x01",
	};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		agree_str(texts[i]);
	/* With bytes C strings cannot hold. */
	agree("[\"a\0b\"]", 7, 0);
	agree("[1]\0", 4, 0);
	agree("\0", 1, 0);
	agree("[\"a\"]", 3, 0); /* cut short */
}

/* A string's plain bytes are passed over eight at a time: each byte that
 * is not plain (an escape, a multi-byte sequence, a raw control character
 * or a byte that is not UTF-8, both refused), alone or two apart, at every
 * place of a word and of the short tail before the closing quote, read as
 * jansson reads it. */
static void special_bytes_anywhere_in_a_string(void **state)
{
	(void)state;
	static const char *const specials[] = {"\\n", "\\\"", "\\\\", "\\u00e9", "\\ud83d\\ude00",
					      "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
					      "\x01", "\x1f", "\xff", "\xc3"};
	char text[96];
	for (size_t len = 0; len <= 24; len++) {
		for (size_t at = 0; at < len; at++) {
			for (size_t k = 0; k < sizeof(specials) / sizeof(specials[0]); k++) {
				for (size_t second = 0; second < 2; second++) {
					size_t n = 0;
					text[n++] = '[';
					text[n++] = '"';
					n += string_with(text + n, len, at, second, specials[k]);
					text[n++] = '"';
					text[n++] = ']';
					agree(text, n, 0);
				}
			}
		}
	}
}

/* jansson drops a NUL byte that follows a number or a literal; azapply
 * refuses a NUL outside a string wherever it is. */
static void nul_bytes_are_refused(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		size_t len;
		int nul_at;
	} texts[] = {{"[8\0]", 4, 2}, {"[true\0]", 7, 5}, {"{\"a\":1\0}", 8, 6}, {"8\0", 2, 1}};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		json_error_t err;
		assert_null(az_json_loadb(texts[i].text, texts[i].len, JSON_DECODE_ANY, &err));
		assert_int_equal(err.position, texts[i].nul_at);
		json_t *theirs = json_loadb(texts[i].text, texts[i].len, JSON_DECODE_ANY, NULL);
		assert_non_null(theirs); /* if this fails, jansson was mended: agree() again */
		json_decref(theirs);
	}
}

/* jansson counts every value toward its 2,048 levels, scalars too. */
static void depth_limit_as_jansson_counts_it(void **state)
{
	(void)state;
	static const int depths[] = {2047, 2048, 2049};
	for (size_t d = 0; d < sizeof(depths) / sizeof(depths[0]); d++)
		for (int with_scalar = 0; with_scalar < 2; with_scalar++) {
			int n = depths[d];
			az_buf b = AZ_BUF_INIT;
			for (int i = 0; i < n; i++)
				az_buf_putc(&b, '[');
			if (with_scalar)
				az_buf_putc(&b, '7');
			for (int i = 0; i < n; i++)
				az_buf_putc(&b, ']');
			agree(b.data, b.len, 0);
			az_buf_free(&b);
		}
	json_error_t err;
	az_buf b = AZ_BUF_INIT;
	for (int i = 0; i < 3000; i++)
		az_buf_puts(&b, "{\"a\":");
	assert_null(az_json_loadb(b.data, b.len, 0, &err));
	assert_non_null(strstr(err.text, "depth"));
	az_buf_free(&b);
}

/* A long string with escapes spread through it, a long number and many
 * keys: the paths that copy and the ones that do not, at sizes past any
 * small buffer. */
static void long_texts_agree(void **state)
{
	(void)state;
	az_buf b = AZ_BUF_INIT;
	az_buf_puts(&b, "{\"s\":\"");
	for (int i = 0; i < 5000; i++)
		az_buf_puts(&b, i % 7 == 0 ? "\\n\\u00e9" : "x\xc3\xa9");
	az_buf_puts(&b, "\",\"n\":1");
	for (int i = 0; i < 300; i++)
		az_buf_putc(&b, '0');
	az_buf_puts(&b, ".5,\"i\":-");
	for (int i = 0; i < 100; i++)
		az_buf_putc(&b, '9');
	az_buf_puts(&b, ",\"keys\":{");
	for (int i = 0; i < 2000; i++)
		az_buf_printf(&b, "%s\"k%d\\t\":%d", i ? "," : "", i, i);
	az_buf_puts(&b, "}}");
	agree(b.data, b.len, 0); /* "i" is too big: both refuse */
	/* without the integer that is too big */
	char *i_at = strstr(b.data, "\"i\":-");
	memmove(i_at + 5, i_at + 5 + 99, b.len - (size_t)(i_at + 5 + 99 - b.data) + 1);
	b.len -= 99;
	agree(b.data, b.len, 0);
	json_t *v = az_json_loadb(b.data, b.len, 0, NULL);
	assert_non_null(v);
	assert_int_equal(json_integer_value(json_object_get(v, "i")), -9);
	assert_int_equal(json_object_size(json_object_get(v, "keys")), 2000);
	assert_non_null(json_object_get(json_object_get(v, "keys"), "k1999\t"));
	json_decref(v);
	az_buf_free(&b);
}

/* Where the error is: its line and column, for files people edit. */
static void errors_say_where(void **state)
{
	(void)state;
	json_error_t err;
	const char *text = "{\n  \"a\": 1,\n  \"b\": [1, 2,, 3]\n}\n";
	assert_null(az_json_loadb(text, strlen(text), 0, &err));
	assert_int_equal(err.line, 3);
	assert_int_equal(err.column, 13);
	assert_int_equal(err.position, (int)(strstr(text, ",,") - text) + 1);
	assert_string_equal(err.source, "<buffer>");

	/* columns count characters, not bytes */
	text = "[\"\xc3\xa9\xc3\xa9\", x]";
	assert_null(az_json_loadb(text, strlen(text), 0, &err));
	assert_int_equal(err.line, 1);
	assert_int_equal(err.column, 7);

	assert_null(az_json_loadb("[\"\\u0000\"]", 10, 0, &err));
	assert_non_null(strstr(err.text, "\\u0000"));
	assert_null(az_json_loadb("[1e999]", 7, 0, &err));
	assert_non_null(strstr(err.text, "overflow"));
	assert_null(az_json_loadb("[99999999999999999999]", 22, 0, &err));
	assert_non_null(strstr(err.text, "too big integer"));
	assert_null(az_json_loadb(NULL, 0, 0, &err));
	/* no error wanted: still NULL */
	assert_null(az_json_loadb("[", 1, 0, NULL));
}

static void reads_files(void **state)
{
	(void)state;
	char path[] = "/tmp/test_json_read_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char *text = "{\"a\": [1, 2.5, \"x\"]}\n";
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	json_error_t err;
	json_t *v = az_json_load_file(path, &err);
	assert_non_null(v);
	assert_int_equal(json_array_size(json_object_get(v, "a")), 3);
	json_decref(v);

	FILE *f = fopen(path, "w");
	fputs("{\"a\": }", f);
	fclose(f);
	assert_null(az_json_load_file(path, &err));
	assert_string_equal(err.source, path);
	assert_int_equal(err.line, 1);
	unlink(path);

	assert_null(az_json_load_file(path, &err));
	assert_non_null(strstr(err.text, "unable to open"));
	assert_string_equal(err.source, path);
}

int main(void)
{
	az_alloc_init();
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(reads_what_jansson_reads),
	    cmocka_unit_test(special_bytes_anywhere_in_a_string),
	    cmocka_unit_test(nul_bytes_are_refused),
	    cmocka_unit_test(depth_limit_as_jansson_counts_it),
	    cmocka_unit_test(long_texts_agree),
	    cmocka_unit_test(errors_say_where),
	    cmocka_unit_test(reads_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
