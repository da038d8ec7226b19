/*
 * json_read.c - JSON text to jansson values, as jansson's reader reads it.
 *
 * Every answer from Azure is JSON, and a no-changes plan of 10,000
 * resources reads 10 MB of list pages. jansson's reader takes each byte
 * through a stream with a look-ahead, a token buffer and a copy per string,
 * about 80 MB/s; parsing the pages was a fifth of the plan's CPU. This
 * reader walks the text in place: a string without escapes goes to jansson
 * straight from the text, and only one with escapes is copied to undo them.
 * It builds the same values with jansson's own constructors, about seven
 * times as fast.
 *
 * What it accepts and refuses is exactly what jansson's json_loadb does
 * for flags 0 and JSON_DECODE_ANY: RFC 8259 JSON in UTF-8, no
 * "\u0000", integers that fit a json_int_t, reals that do not overflow, at
 * most 2,048 values deep, a later duplicate key replacing the earlier one.
 * One difference is on purpose: jansson drops a NUL byte that follows a
 * number or a literal ("[8\0]" reads as [8]); this reader refuses a NUL
 * anywhere outside a string, as RFC 8259 does. The fuzz target fuzz_json
 * holds the two readers to all of that, input by input.
 * The error is jansson's json_error_t, with its line, column and position;
 * the texts say the same things in azapply's words.
 */
#define _GNU_SOURCE /* strtod_l, newlocale */

#include <azapply/provider.h>

#include "json_text.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* jansson's JSON_PARSER_MAX_DEPTH: every value counts, scalars too. */
#define MAX_DEPTH 2048

typedef struct reader {
	const unsigned char *start, *at, *end;
	size_t depth;
	az_buf scratch; /* a string's bytes once its escapes are undone */
	json_error_t *err;
	bool failed;
} reader;

static void fail(reader *r, const unsigned char *where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail(reader *r, const unsigned char *where, const char *fmt, ...)
{
	if (r->failed)
		return;
	r->failed = true;
	if (!r->err)
		return;
	/* Lines and columns only now: counting them as the text goes by would
	 * cost every answer that parses. */
	int line = 1, column = 0;
	for (const unsigned char *p = r->start; p < where; p++) {
		if (*p == '\n') {
			line++;
			column = 0;
		} else if ((*p & 0xC0) != 0x80) {
			column++; /* characters, not the bytes of one */
		}
	}
	r->err->line = line;
	r->err->column = column;
	r->err->position = (int)(where - r->start);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->err->text, sizeof(r->err->text), fmt, ap);
	va_end(ap);
}

static void skip_space(reader *r)
{
	while (r->at < r->end &&
	       (*r->at == ' ' || *r->at == '\n' || *r->at == '\r' || *r->at == '\t'))
		r->at++;
}

/* Steps over `c` when it comes next. */
static bool take(reader *r, unsigned char c)
{
	if (r->at >= r->end || *r->at != c)
		return false;
	r->at++;
	return true;
}

size_t az_utf8_length(const unsigned char *p, size_t left)
{
	unsigned c = p[0];
	size_t n;
	unsigned v;
	if (c < 0x80)
		return 1;
	if (c < 0xC2)
		return 0; /* a continuation byte, or an overlong two-byte form */
	if (c < 0xE0) {
		n = 2;
		v = c & 0x1F;
	} else if (c < 0xF0) {
		n = 3;
		v = c & 0x0F;
	} else if (c < 0xF5) {
		n = 4;
		v = c & 0x07;
	} else {
		return 0;
	}
	if (left < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		v = (v << 6) | (p[i] & 0x3F);
	}
	if ((n == 3 && (v < 0x800 || (v >= 0xD800 && v <= 0xDFFF))) ||
	    (n == 4 && (v < 0x10000 || v > 0x10FFFF)))
		return 0;
	return n;
}

static int hex_digit(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The four hex digits at p as a code unit, or -1. */
static long code_unit(const unsigned char *p)
{
	long v = 0;
	for (int i = 0; i < 4; i++) {
		int h = hex_digit(p[i]);
		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

static void put_utf8(az_buf *b, unsigned long cp)
{
	char out[4];
	size_t n;
	if (cp < 0x80) {
		out[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		out[0] = (char)(0xF0 | (cp >> 18));
		out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	az_buf_add(b, out, n);
}

/* One escape after its backslash at r->at, undone into the scratch
 * buffer; false (and the error said) when it is not one. */
static bool unescape(reader *r, const unsigned char *quote)
{
	const unsigned char *p = r->at;
	if (p >= r->end) {
		fail(r, p, "the text ends inside a string");
		return false;
	}
	static const char simple_in[] = "\"\\/bfnrt", simple_out[] = "\"\\/\b\f\n\r\t";
	const char *s = *p ? strchr(simple_in, *p) : NULL;
	if (s) {
		az_buf_putc(&r->scratch, simple_out[s - simple_in]);
		r->at = p + 1;
		return true;
	}
	if (*p != 'u') {
		fail(r, p, "invalid escape '\\%c' in a string", *p);
		return false;
	}
	long unit = r->end - p >= 5 ? code_unit(p + 1) : -1;
	if (unit < 0) {
		fail(r, p, "invalid \\u escape in a string: four hex digits expected");
		return false;
	}
	p += 5;
	unsigned long cp = (unsigned long)unit;
	if (unit >= 0xD800 && unit <= 0xDBFF) {
		long low = r->end - p >= 6 && p[0] == '\\' && p[1] == 'u' ? code_unit(p + 2) : -1;
		if (low < 0xDC00 || low > 0xDFFF) {
			fail(r, p, "invalid Unicode '\\u%04lX': a high surrogate without its low one",
			     (unsigned long)unit);
			return false;
		}
		cp = 0x10000 + (((unsigned long)unit - 0xD800) << 10) + ((unsigned long)low - 0xDC00);
		p += 6;
	} else if (unit >= 0xDC00 && unit <= 0xDFFF) {
		fail(r, p, "invalid Unicode '\\u%04lX': a low surrogate alone", (unsigned long)unit);
		return false;
	} else if (unit == 0) {
		fail(r, quote, "\\u0000 is not allowed in a string");
		return false;
	}
	put_utf8(&r->scratch, cp);
	r->at = p;
	return true;
}

/* The string whose opening quote is at r->at. Its bytes are *out, *len of
 * them: in the text itself when it has no escape, else in the scratch
 * buffer, valid until the next string. */
static bool read_string(reader *r, const char **out, size_t *len)
{
	const unsigned char *quote = r->at, *p = quote + 1, *run = p;
	bool copied = false;
	for (;;) {
		/* The plain bytes, checked, without copying them: eight at a
		 * time, then the last few. */
		p = az_json_skip_plain(p, r->end);
		while (p < r->end && *p >= 0x20 && *p != '"' && *p != '\\' && *p < 0x80)
			p++;
		if (p >= r->end) {
			fail(r, quote, "the text ends inside a string");
			return false;
		}
		unsigned char c = *p;
		if (c >= 0x80) {
			size_t n = az_utf8_length(p, (size_t)(r->end - p));
			if (!n) {
				fail(r, p, "invalid UTF-8 byte 0x%02x", c);
				return false;
			}
			p += n;
			continue;
		}
		if (c < 0x20) {
			fail(r, p, "control character 0x%x in a string", c);
			return false;
		}
		if (c == '"') {
			r->at = p + 1;
			if (!copied) {
				*out = (const char *)run;
				*len = (size_t)(p - run);
				return true;
			}
			az_buf_add(&r->scratch, run, (size_t)(p - run));
			*out = r->scratch.data ? r->scratch.data : "";
			*len = r->scratch.len;
			return true;
		}
		/* A backslash: from here on the string is built in scratch. */
		if (!copied) {
			az_buf_truncate(&r->scratch, 0);
			copied = true;
		}
		az_buf_add(&r->scratch, run, (size_t)(p - run));
		r->at = p + 1;
		if (!unescape(r, quote))
			return false;
		p = run = r->at;
	}
}

static locale_t c_numeric(void)
{
	/* strtod reads the decimal point of LC_NUMERIC; JSON's is always '.'.
	 * Made once and kept for the process. */
	static locale_t c;
	if (!c)
		c = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
	return c;
}

static bool digits(reader *r)
{
	const unsigned char *from = r->at;
	while (r->at < r->end && *r->at >= '0' && *r->at <= '9')
		r->at++;
	return r->at > from;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? at r->at: an integer
 * without a fraction or an exponent, a real with one. */
static json_t *read_number(reader *r)
{
	const unsigned char *from = r->at;
	bool real = false;
	take(r, '-');
	if (take(r, '0')) {
		if (r->at < r->end && *r->at >= '0' && *r->at <= '9') {
			fail(r, r->at, "invalid number: a leading zero");
			return NULL;
		}
	} else if (!digits(r)) {
		fail(r, r->at, "invalid number: a digit expected");
		return NULL;
	}
	if (take(r, '.')) {
		real = true;
		if (!digits(r)) {
			fail(r, r->at, "invalid number: a digit expected after '.'");
			return NULL;
		}
	}
	if (take(r, 'e') || take(r, 'E')) {
		real = true;
		if (!take(r, '+'))
			take(r, '-');
		if (!digits(r)) {
			fail(r, r->at, "invalid number: a digit expected in the exponent");
			return NULL;
		}
	}
	size_t n = (size_t)(r->at - from);
	char small[64];
	char *text = n < sizeof(small) ? small : az_xmalloc(n + 1);
	memcpy(text, from, n);
	text[n] = '\0';
	json_t *v = NULL;
	errno = 0;
	if (real) {
		locale_t c = c_numeric();
		double d = c ? strtod_l(text, NULL, c) : strtod(text, NULL);
		/* An underflow reads as zero, as in jansson; an overflow is an
		 * error. */
		if (errno == ERANGE && (d == HUGE_VAL || d == -HUGE_VAL))
			fail(r, from, "real number overflow");
		else
			v = json_real(d);
	} else {
		long long i = strtoll(text, NULL, 10);
		if (errno == ERANGE)
			fail(r, from, "too big %sinteger", *from == '-' ? "negative " : "");
		else
			v = json_integer((json_int_t)i);
	}
	if (text != small)
		free(text);
	return v;
}

static bool literal(reader *r, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(r->end - r->at) < n || memcmp(r->at, word, n) != 0)
		return false;
	r->at += n;
	return true;
}

static json_t *read_value(reader *r);

static json_t *read_object(reader *r)
{
	json_t *object = json_object();
	r->at++; /* '{' */
	skip_space(r);
	if (take(r, '}'))
		return object;
	for (;;) {
		skip_space(r);
		if (r->at >= r->end || *r->at != '"') {
			fail(r, r->at, "a string expected as an object key");
			break;
		}
		const char *key;
		size_t key_len;
		if (!read_string(r, &key, &key_len))
			break;
		/* A key with escapes is in scratch, which the value may use. */
		char *own_key = key == r->scratch.data ? az_xstrndup(key, key_len) : NULL;
		skip_space(r);
		if (!take(r, ':')) {
			fail(r, r->at, "':' expected after an object key");
			free(own_key);
			break;
		}
		json_t *v = read_value(r);
		if (!v) {
			free(own_key);
			break;
		}
		json_object_setn_new_nocheck(object, own_key ? own_key : key, key_len, v);
		free(own_key);
		skip_space(r);
		if (take(r, ','))
			continue;
		if (take(r, '}'))
			return object;
		fail(r, r->at, "',' or '}' expected in an object");
		break;
	}
	json_decref(object);
	return NULL;
}

static json_t *read_array(reader *r)
{
	json_t *array = json_array();
	r->at++; /* '[' */
	skip_space(r);
	if (take(r, ']'))
		return array;
	for (;;) {
		json_t *v = read_value(r);
		if (!v)
			break;
		json_array_append_new(array, v);
		skip_space(r);
		if (take(r, ','))
			continue;
		if (take(r, ']'))
			return array;
		fail(r, r->at, "',' or ']' expected in an array");
		break;
	}
	json_decref(array);
	return NULL;
}

static json_t *read_value(reader *r)
{
	skip_space(r);
	if (r->at >= r->end) {
		fail(r, r->at, "the text ends where a value was expected");
		return NULL;
	}
	if (++r->depth > MAX_DEPTH) {
		fail(r, r->at, "maximum parsing depth reached (%d)", MAX_DEPTH);
		return NULL;
	}
	json_t *v = NULL;
	const char *s;
	size_t len;
	switch (*r->at) {
	case '{': v = read_object(r); break;
	case '[': v = read_array(r); break;
	case '"':
		if (read_string(r, &s, &len))
			v = json_stringn_nocheck(s, len);
		break;
	case 't': v = literal(r, "true") ? json_true() : NULL; break;
	case 'f': v = literal(r, "false") ? json_false() : NULL; break;
	case 'n': v = literal(r, "null") ? json_null() : NULL; break;
	default:
		if (*r->at == '-' || (*r->at >= '0' && *r->at <= '9'))
			v = read_number(r);
		break;
	}
	if (!v)
		fail(r, r->at, "invalid token");
	r->depth--;
	return v;
}

json_t *az_json_loadb(const char *text, size_t len, size_t flags, json_error_t *err)
{
	/* No text is read as none at all: NULL + len would be undefined. */
	const unsigned char *start = (const unsigned char *)(text ? text : "");
	reader r = {start, start, start + (text ? len : 0), 0, AZ_BUF_INIT, err, false};
	if (err) {
		memset(err, 0, sizeof(*err));
		err->line = err->column = err->position = -1;
		snprintf(err->source, sizeof(err->source), "<buffer>");
	}
	json_t *v = NULL;
	skip_space(&r);
	if (!text) {
		fail(&r, r.at, "no text");
	} else if (!(flags & JSON_DECODE_ANY) &&
		   (r.at >= r.end || (*r.at != '{' && *r.at != '['))) {
		fail(&r, r.at, "'[' or '{' expected");
	} else if ((v = read_value(&r))) {
		skip_space(&r);
		if (r.at < r.end) {
			fail(&r, r.at, "end of text expected after the value");
			json_decref(v);
			v = NULL;
		}
	}
	az_buf_free(&r.scratch);
	return v;
}

json_t *az_json_load_file(const char *path, json_error_t *err)
{
	az_buf text = AZ_BUF_INIT;
	FILE *f = fopen(path, "rb");
	json_t *v = NULL;
	if (!f) {
		if (err) {
			memset(err, 0, sizeof(*err));
			err->line = err->column = err->position = -1;
			snprintf(err->text, sizeof(err->text), "unable to open %s: %s", path,
				 strerror(errno));
		}
	} else {
		char chunk[65536];
		size_t n;
		while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
			az_buf_add(&text, chunk, n);
		bool read_error = ferror(f);
		fclose(f);
		if (read_error) {
			if (err) {
				memset(err, 0, sizeof(*err));
				err->line = err->column = err->position = -1;
				snprintf(err->text, sizeof(err->text), "unable to read %s", path);
			}
		} else {
			v = az_json_loadb(text.data ? text.data : "", text.len, 0, err);
		}
	}
	if (err)
		snprintf(err->source, sizeof(err->source), "%s", path);
	az_buf_free(&text);
	return v;
}
