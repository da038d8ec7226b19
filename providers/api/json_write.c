/*
 * json_write.c - the compact text of a JSON value: what jansson's
 * json_dumps gives with JSON_COMPACT | JSON_ENCODE_ANY, keys sorted
 * (JSON_SORT_KEYS, the canonical text) or in their order, byte for byte,
 * written straight into a buffer.
 *
 * A fingerprint (planner/marker.c) hashes that text for every resource a
 * plan reads, and the markers already in Azure hold hashes of jansson's
 * output, so the text must not change by a byte. jansson's writer is made
 * for any value, cycles included: for every array and object it formats
 * the container's address as a string and adds it to a hash table of the
 * parents, and it hands each token to a callback. That bookkeeping was
 * most of the 20,000 instructions a fingerprint's text cost, 4.5% of a
 * 10,001-resource plan; here, 6,700 (callgrind). A value azapply builds
 * is a tree: the depth is bounded instead (a cycle would exceed it).
 *
 * Every request body is compact text too (az_json_dumps): 47,000
 * instructions a body with jansson's writer, 3.7% of an apply.
 *
 * fuzz_json holds this writer to jansson's on every value the fuzzer finds.
 */
#include <azapply/provider.h>

#include "json_text.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* jansson's reader refuses deeper texts (JSON_PARSER_MAX_DEPTH). */
#define WRITE_MAX_DEPTH 2048

static bool write_string(az_buf *out, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str, *end = s + len, *run = s;
	az_buf_putc(out, '"');
	while (s < end) {
		/* Most bytes are plain: the emulator wrote a plan's 30 MB of
		 * answers one byte at a time, 171 M instructions. */
		s = az_json_skip_plain(s, end);
		if (s == end)
			break;
		unsigned char c = *s;
		if (c >= 0x80) {
			size_t n = az_utf8_length(s, (size_t)(end - s));
			if (!n)
				return false;
			s += n;
			continue;
		}
		if (c >= 0x20 && c != '"' && c != '\\') {
			s++;
			continue;
		}
		az_buf_add(out, run, (size_t)(s - run));
		switch (c) {
		case '"': az_buf_add(out, "\\\"", 2); break;
		case '\\': az_buf_add(out, "\\\\", 2); break;
		case '\b': az_buf_add(out, "\\b", 2); break;
		case '\f': az_buf_add(out, "\\f", 2); break;
		case '\n': az_buf_add(out, "\\n", 2); break;
		case '\r': az_buf_add(out, "\\r", 2); break;
		case '\t': az_buf_add(out, "\\t", 2); break;
		default: {
			char seq[8];
			snprintf(seq, sizeof(seq), "\\u%04X", (unsigned)c);
			az_buf_add(out, seq, 6);
		}
		}
		run = ++s;
	}
	az_buf_add(out, run, (size_t)(s - run));
	az_buf_putc(out, '"');
	return true;
}

typedef struct key_len {
	const char *key;
	size_t len;
} key_len;

/* jansson's order: bytes first, then the shorter key. */
static int key_cmp(const void *a, const void *b)
{
	const key_len *x = a, *y = b;
	int r = memcmp(x->key, y->key, x->len < y->len ? x->len : y->len);
	if (r)
		return r;
	return x->len < y->len ? -1 : x->len > y->len;
}

static bool write_value(az_buf *out, const json_t *v, bool sorted, int depth);

static bool write_object(az_buf *out, const json_t *v, bool sorted, int depth)
{
	size_t n = json_object_size(v), i = 0;
	if (!n) {
		az_buf_add(out, "{}", 2);
		return true;
	}
	key_len small[16];
	key_len *keys = n <= sizeof(small) / sizeof(small[0]) ? small : az_xcalloc(n, sizeof(*keys));
	for (void *it = json_object_iter((json_t *)(uintptr_t)v); it;
	     it = json_object_iter_next((json_t *)(uintptr_t)v, it), i++)
		keys[i] = (key_len){json_object_iter_key(it), json_object_iter_key_len(it)};
	if (sorted && n > 1)
		qsort(keys, n, sizeof(*keys), key_cmp);
	bool ok = true;
	az_buf_putc(out, '{');
	for (i = 0; i < n && ok; i++) {
		if (i)
			az_buf_putc(out, ',');
		ok = write_string(out, keys[i].key, keys[i].len);
		az_buf_putc(out, ':');
		ok = ok && write_value(out, json_object_getn(v, keys[i].key, keys[i].len), sorted,
				       depth + 1);
	}
	az_buf_putc(out, '}');
	if (keys != small)
		free(keys);
	return ok;
}

static bool write_value(az_buf *out, const json_t *v, bool sorted, int depth)
{
	if (!v || depth > WRITE_MAX_DEPTH)
		return false;
	switch (json_typeof(v)) {
	case JSON_OBJECT: return write_object(out, v, sorted, depth);
	case JSON_ARRAY: {
		size_t n = json_array_size(v);
		az_buf_putc(out, '[');
		for (size_t i = 0; i < n; i++) {
			if (i)
				az_buf_putc(out, ',');
			if (!write_value(out, json_array_get(v, i), sorted, depth + 1))
				return false;
		}
		az_buf_putc(out, ']');
		return true;
	}
	case JSON_STRING: return write_string(out, json_string_value(v), json_string_length(v));
	case JSON_INTEGER: {
		char num[32];
		int len = snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		az_buf_add(out, num, (size_t)len);
		return true;
	}
	case JSON_REAL: {
		/* Rare in a resource, and jansson's formatting (%.17g, then
		 * its own touches to the exponent) is its own: its writer. */
		char num[128];
		size_t len = json_dumpb(v, num, sizeof(num), JSON_ENCODE_ANY);
		if (!len || len >= sizeof(num))
			return false;
		az_buf_add(out, num, len);
		return true;
	}
	case JSON_TRUE: az_buf_add(out, "true", 4); return true;
	case JSON_FALSE: az_buf_add(out, "false", 5); return true;
	case JSON_NULL: az_buf_add(out, "null", 4); return true;
	}
	return false;
}

bool az_json_write(az_buf *out, const json_t *json, bool sort_keys)
{
	size_t mark = out->len;
	if (write_value(out, json, sort_keys, 0))
		return true;
	az_buf_truncate(out, mark);
	return false;
}

bool az_json_write_sorted(az_buf *out, const json_t *json)
{
	return az_json_write(out, json, true);
}

bool az_json_write_string(az_buf *out, const char *str, size_t len)
{
	size_t mark = out->len;
	if (write_string(out, str, len))
		return true;
	az_buf_truncate(out, mark);
	return false;
}
