/*
 * yaml.c - YAML text -> jansson documents plus a source map, the only code
 * in azapply that touches libyaml.
 *
 * libyaml implements YAML 1.1, whose implicit typing turns `no` (Norway's
 * country code), `on` and `0777` into booleans and octal numbers behind the
 * user's back. azapply resolves plain scalars itself with the YAML 1.2 core
 * schema instead: null, true/false in three spellings, decimal / 0o / 0x
 * integers and floats; everything else is a string. JSON has no infinity or
 * NaN and Azure rejects them, so `.inf` and `.nan` are errors rather than
 * values that would fail later without a line number.
 *
 * The parser works on events and builds jansson values directly (no libyaml
 * document tree), so each node costs one jansson value and one source map
 * entry. Hostile input is bounded: the file size is checked before parsing,
 * nesting depth and node count are checked as nodes arrive, and an alias
 * adds the node count of what it points to *before* it is copied, so a
 * "billion laughs" file stops after a few hundred events.
 */
#include "manifest_int.h"

#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

const az_load_limits AZ_LOAD_LIMITS_DEFAULT = {
    .max_files = 50000,
    .max_file_bytes = 16u << 20,
    .max_documents = 50000,
    .max_depth = 64,
    .max_nodes = 200000,
    /* About 1,000 resources: below, a thread costs more than it saves. */
    .parallel_parse_bytes = 256u << 10,
};

#define YAML_TAG_PREFIX "tag:yaml.org,2002:"

typedef struct frame {
	json_t *node;   /* the object or array being filled (borrowed) */
	size_t ptr_len; /* length of its JSON Pointer */
	size_t anchor;  /* anchor slot + 1, or 0 */
	size_t nodes_at_start;
	char *key; /* mapping: the key whose value comes next */
	az_pos key_pos;
	size_t index; /* sequence: the next index */
} frame;

typedef struct anchor {
	char *name;
	json_t *value; /* borrowed from the document */
	size_t nodes;  /* nodes in the anchored subtree */
	bool complete;
} anchor;

typedef struct parse_ctx {
	const char *file;
	const az_load_limits *limits;
	az_diags *d;
	json_t *root;
	az_srcmap *map;
	az_buf ptr;
	frame *stack;
	size_t depth, stack_cap;
	anchor *anchors;
	size_t anchors_len, anchors_cap;
	json_t *anchor_index; /* name -> slot */
	size_t nodes;
	const char *data; /* the raw input, for content_pos */
	size_t len;
	size_t *lines; /* byte offset of each line start, built on demand */
	size_t nlines;
} parse_ctx;

static az_pos mark_pos(const parse_ctx *c, yaml_mark_t m)
{
	az_pos p = {c->file, (int)m.line + 1, (int)m.column + 1};
	return p;
}

/* libyaml's start mark of a node with a tag or an anchor is the tag or the
 * anchor; the user's node starts at its first content character. Walk the
 * raw text past tags, anchors, blanks and comments to find it. */
static az_pos content_pos(parse_ctx *c, yaml_mark_t m)
{
	const unsigned char *s = (const unsigned char *)c->data;
	size_t len = c->len;
	if (len >= 2 && ((s[0] == 0xFE && s[1] == 0xFF) || (s[0] == 0xFF && s[1] == 0xFE)))
		return mark_pos(c, m); /* UTF-16: marks do not map onto bytes */
	if (!c->lines) {
		size_t n = 1, cap = 64;
		c->lines = az_xmalloc(cap * sizeof(*c->lines));
		c->lines[0] = len >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3) ? 3 : 0;
		for (size_t i = 0; i < len; i++) {
			if (s[i] != '\n')
				continue;
			if (n == cap) {
				cap *= 2;
				c->lines = az_xrealloc(c->lines, cap * sizeof(*c->lines));
			}
			c->lines[n++] = i + 1;
		}
		c->nlines = n;
	}
	if (m.line >= c->nlines)
		return mark_pos(c, m);
	size_t i = c->lines[m.line], line = m.line, col = 0;
	for (; col < m.column && i < len; col++)
		for (i++; i < len && (s[i] & 0xC0) == 0x80; i++)
			;
	bool in_token = false, in_comment = false;
	while (i < len) {
		unsigned char ch = s[i];
		if (ch == '\n') {
			line++;
			col = 0;
			in_token = in_comment = false;
			i++;
			continue;
		}
		if (ch == ' ' || ch == '\t' || ch == '\r') {
			in_token = false;
		} else if (!in_token && !in_comment) {
			if (ch == '#')
				in_comment = true;
			else if (ch == '!' || ch == '&')
				in_token = true;
			else
				break;
		}
		col += (ch & 0xC0) != 0x80;
		i++;
	}
	az_pos p = {c->file, (int)line + 1, (int)col + 1};
	return p;
}

/* The position of the byte at `offset` of the raw input: libyaml's reader
 * errors carry only a byte offset. Columns count characters, as libyaml's
 * marks do. */
static az_pos offset_pos(const char *file, const char *data, size_t len, size_t offset)
{
	az_pos p = {file, 1, 1};
	size_t line_start = 0;
	if (offset > len)
		offset = len;
	for (size_t i = 0; i < offset; i++) {
		if (data[i] == '\n') {
			p.line++;
			line_start = i + 1;
		}
	}
	p.col = (int)az_mf_utf8_chars(data + line_start, offset - line_start) + 1;
	return p;
}

/* "tag:yaml.org,2002:foo" -> "!!foo", as the user wrote it. */
static char *tag_display(const char *tag)
{
	size_t n = strlen(YAML_TAG_PREFIX);
	if (!strncmp(tag, YAML_TAG_PREFIX, n))
		return az_xasprintf("!!%s", tag + n);
	return az_xstrdup(tag);
}

/* The core tag's short name ("str", "map"...), or NULL for any other tag. */
static const char *core_tag(const char *tag)
{
	static const char *const core[] = {"str", "int", "float", "bool", "null", "map", "seq"};
	size_t n = strlen(YAML_TAG_PREFIX);
	if (strncmp(tag, YAML_TAG_PREFIX, n))
		return NULL;
	for (size_t i = 0; i < sizeof(core) / sizeof(core[0]); i++)
		if (!strcmp(tag + n, core[i]))
			return core[i];
	return NULL;
}

static int bad_tag(parse_ctx *c, const az_pos *pos, const char *tag)
{
	char *shown = tag_display(tag);
	char q[AZ_QUOTE_SIZE];
	az_diag *dg = az_diag_add(c->d, AZ_SEV_ERROR, pos, NULL, "unsupported YAML tag '%s'",
	                          az_quote(q, shown));
	az_diag_set_detail(dg, "azapply accepts only the YAML core tags (!!str, !!int, !!float, "
	                       "!!bool, !!null, !!map, !!seq); write references as "
	                       "${ref.Kind.name.path} and variables as ${var.NAME}");
	free(shown);
	return AZ_EINVALID;
}

static bool all_digits(const char *s, size_t len, int base)
{
	if (!len)
		return false;
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];
		bool ok = base == 16 ? (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
		                           (ch >= 'A' && ch <= 'F')
		                     : ch >= '0' && ch < '0' + base;
		if (!ok)
			return false;
	}
	return true;
}

static bool is_null(const char *s, size_t len)
{
	return !len || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
	       !strcmp(s, "NULL");
}

static int is_bool(const char *s)
{
	if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE"))
		return 1;
	if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE"))
		return 0;
	return -1;
}

/* YAML 1.2 core: [-+]?[0-9]+ | 0o[0-7]+ | 0x[0-9a-fA-F]+. Returns 1 when it
 * is one, 0 when not, -1 when it is one but does not fit in 64 bits. */
static int parse_int(const char *s, size_t len, json_int_t *out)
{
	int base = 10;
	const char *digits = s;
	if (len > 2 && s[0] == '0' && (s[1] == 'o' || s[1] == 'x')) {
		base = s[1] == 'o' ? 8 : 16;
		digits = s + 2;
	} else if (len && (s[0] == '-' || s[0] == '+')) {
		digits = s + 1;
	}
	if (!all_digits(digits, len - (size_t)(digits - s), base))
		return 0;
	errno = 0;
	char *end;
	long long v = strtoll(base == 10 ? s : digits, &end, base);
	if (errno == ERANGE)
		return -1;
	*out = (json_int_t)v;
	return 1;
}

/* [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )? */
static bool is_float(const char *s, size_t len)
{
	size_t i = 0, n;
	if (i < len && (s[i] == '-' || s[i] == '+'))
		i++;
	for (n = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++)
		n++;
	if (i < len && s[i] == '.') {
		i++;
		size_t frac = 0;
		for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			frac++;
		if (!n && !frac)
			return false;
	} else if (!n) {
		return false;
	}
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < len && (s[i] == '-' || s[i] == '+'))
			i++;
		for (n = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			n++;
		if (!n)
			return false;
	}
	return i == len;
}

static bool is_inf_nan(const char *s)
{
	if (*s == '-' || *s == '+')
		s++;
	return !strcmp(s, ".inf") || !strcmp(s, ".Inf") || !strcmp(s, ".INF") ||
	       !strcmp(s, ".nan") || !strcmp(s, ".NaN") || !strcmp(s, ".NAN");
}

static int scalar_error(parse_ctx *c, const az_pos *pos, const char *hint, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int scalar_error(parse_ctx *c, const az_pos *pos, const char *hint, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = az_xvasprintf(fmt, ap);
	va_end(ap);
	az_diag *dg = az_diag_add(c->d, AZ_SEV_ERROR, pos, NULL, "%s", msg);
	free(msg);
	if (hint)
		az_diag_set_detail(dg, "%s", hint);
	return AZ_EINVALID;
}

/* Whether a plain scalar is a string whatever the core schema says: every
 * other type begins with a digit, a sign, a dot or "~", or is one of the
 * null and bool words, of four or five letters. Every key and most values
 * are such strings, and the checks of resolve_scalar cost up to sixteen
 * string comparisons each (1.2 million in a plan of 10,001 resources). */
static bool surely_string(const char *s, size_t len)
{
	unsigned char first = len ? (unsigned char)s[0] : 0;
	bool letter = (first >= 'a' && first <= 'z') || (first >= 'A' && first <= 'Z');
	if (!letter)
		return false;
	return (len != 4 && len != 5) || !strchr("nNtTfF", first);
}

/* Resolves a scalar's value by its tag, or by the core schema when it is a
 * plain scalar without one. */
static int resolve_scalar(parse_ctx *c, const yaml_event_t *ev, const az_pos *pos, json_t **out)
{
	const char *s = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	const char *tag = (const char *)ev->data.scalar.tag;
	const char *want = NULL;
	static const char *quote_hint = "quote the value to make it a string";
	char qs[AZ_QUOTE_SIZE];

	if (tag) {
		want = core_tag(tag);
		az_pos tag_pos = mark_pos(c, ev->start_mark);
		if (!want || !strcmp(want, "map") || !strcmp(want, "seq"))
			return bad_tag(c, &tag_pos, tag);
	} else if (!ev->data.scalar.plain_implicit) {
		want = "str";
	}
	if (memchr(s, '\0', len))
		return scalar_error(c, pos, NULL, "a string may not contain a NUL character");
	if ((want && !strcmp(want, "str")) || (!want && surely_string(s, len))) {
		*out = json_stringn(s, len);
		return 0;
	}
	if ((!want || !strcmp(want, "null")) && is_null(s, len)) {
		*out = json_null();
		return 0;
	}
	int b = is_bool(s);
	if ((!want || !strcmp(want, "bool")) && b >= 0) {
		*out = json_boolean(b);
		return 0;
	}
	json_int_t iv;
	int r =
	    (!want || !strcmp(want, "int") || !strcmp(want, "float")) ? parse_int(s, len, &iv) : 0;
	if (r < 0)
		return scalar_error(c, pos, quote_hint, "integer '%s' does not fit in 64 bits",
		                    az_quote(qs, s));
	if (r > 0) {
		*out = want && !strcmp(want, "float") ? json_real((double)iv) : json_integer(iv);
		return 0;
	}
	if (!want || !strcmp(want, "float")) {
		if (is_inf_nan(s))
			return scalar_error(c, pos,
			                    "Azure accepts only finite numbers; quote it if you "
			                    "mean the string",
			                    "'%s' is infinity or NaN, which JSON cannot hold",
			                    az_quote(qs, s));
		if (is_float(s, len)) {
			double v = strtod(s, NULL);
			if (!isfinite(v))
				return scalar_error(c, pos, quote_hint,
				                    "number '%s' is out of range", az_quote(qs, s));
			*out = json_real(v);
			return 0;
		}
	}
	if (want) {
		char *shown = tag_display(tag);
		char qt[AZ_QUOTE_SIZE];
		az_diag_add(c->d, AZ_SEV_ERROR, pos, NULL, "'%s' is not a valid %s value",
		            az_quote(qs, s), az_quote(qt, shown));
		free(shown);
		return AZ_EINVALID;
	}
	*out = json_stringn(s, len);
	return 0;
}

/* A scalar maps byte for byte onto one source line when it is plain and on
 * one line, or quoted on one line with no escape (every escape is longer in
 * the source than in the value). libyaml marks count characters. */
static bool scalar_exact(const yaml_event_t *ev)
{
	yaml_mark_t a = ev->start_mark, b = ev->end_mark;
	if (a.line != b.line)
		return false;
	size_t chars =
	    az_mf_utf8_chars((const char *)ev->data.scalar.value, ev->data.scalar.length);
	switch (ev->data.scalar.style) {
	case YAML_PLAIN_SCALAR_STYLE: return b.index - a.index == chars;
	case YAML_SINGLE_QUOTED_SCALAR_STYLE:
	case YAML_DOUBLE_QUOTED_SCALAR_STYLE: return b.index - a.index == chars + 2;
	default: return false;
	}
}

static az_pos scalar_pos(parse_ctx *c, const yaml_event_t *ev)
{
	az_pos p = ev->data.scalar.tag || ev->data.scalar.anchor ? content_pos(c, ev->start_mark)
	                                                         : mark_pos(c, ev->start_mark);
	if (ev->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
	    ev->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE)
		p.col++;
	return p;
}

static int count_node(parse_ctx *c, size_t n, const az_pos *pos)
{
	c->nodes += n;
	if (c->nodes <= c->limits->max_nodes)
		return 0;
	az_diag *dg = az_diag_add(c->d, AZ_SEV_ERROR, pos, NULL,
	                          "document has more than %zu nodes (aliases included)",
	                          c->limits->max_nodes);
	az_diag_set_detail(dg, "a document this large is most likely an alias bomb; "
	                       "split it or avoid nesting aliases");
	return AZ_EINVALID;
}

static int add_anchor(parse_ctx *c, const char *name, json_t *value, bool complete)
{
	if (c->anchors_len == c->anchors_cap) {
		c->anchors_cap = c->anchors_cap ? c->anchors_cap * 2 : 8;
		c->anchors = az_xrealloc(c->anchors, c->anchors_cap * sizeof(*c->anchors));
	}
	anchor *a = &c->anchors[c->anchors_len];
	a->name = az_xstrdup(name);
	a->value = value;
	a->nodes = 1;
	a->complete = complete;
	/* A later anchor of the same name hides the earlier one (YAML 1.2, 3.2.2.2). */
	json_object_set_new(c->anchor_index, name, json_integer((json_int_t)c->anchors_len));
	return (int)++c->anchors_len;
}

/* Puts a new node where the parser is: the document root, the value of the
 * pending key, or the next sequence item. Steals `v`. */
static int attach(parse_ctx *c, json_t *v, const az_mf_loc *loc_in)
{
	az_mf_loc loc = *loc_in;
	if (!c->depth) {
		c->root = v;
		az_buf_truncate(&c->ptr, 0);
		az_mf_map_put(c->map, "", 0, &loc);
		return 0;
	}
	frame *f = &c->stack[c->depth - 1];
	az_buf_truncate(&c->ptr, f->ptr_len);
	if (json_is_object(f->node)) {
		az_mf_ptr_push(&c->ptr, f->key, strlen(f->key));
		loc.key_line = f->key_pos.line;
		loc.key_col = f->key_pos.col;
		json_object_set_new(f->node, f->key, v);
		free(f->key);
		f->key = NULL;
	} else {
		az_mf_ptr_push_index(&c->ptr, f->index++);
		json_array_append_new(f->node, v);
	}
	az_mf_map_put(c->map, c->ptr.data, c->ptr.len, &loc);
	return 0;
}

/* A mapping key: a scalar, unique in its mapping. */
static int take_key(parse_ctx *c, frame *f, const yaml_event_t *ev)
{
	if (ev->type != YAML_SCALAR_EVENT) {
		az_pos pos = mark_pos(c, ev->start_mark);
		az_diag_add(c->d, AZ_SEV_ERROR, &pos, NULL, "%s",
		            ev->type == YAML_ALIAS_EVENT
		                ? "an alias cannot be used as a mapping key"
		                : "a mapping key must be a scalar, not a mapping or sequence");
		return AZ_EINVALID;
	}
	az_pos pos = scalar_pos(c, ev);
	const char *tag = (const char *)ev->data.scalar.tag;
	if (tag && !core_tag(tag)) {
		az_pos tag_pos = mark_pos(c, ev->start_mark);
		return bad_tag(c, &tag_pos, tag);
	}
	const char *key = (const char *)ev->data.scalar.value;
	if (memchr(key, '\0', ev->data.scalar.length))
		return scalar_error(c, &pos, NULL, "a key may not contain a NUL character");
	if (json_object_get(f->node, key)) {
		az_buf_truncate(&c->ptr, f->ptr_len);
		az_mf_ptr_push(&c->ptr, key, strlen(key));
		az_pos first = az_mf_key_pos(c->map, c->ptr.data);
		char q[AZ_QUOTE_SIZE];
		az_diag *dg = az_diag_add(c->d, AZ_SEV_ERROR, &pos, NULL,
		                          "duplicate key '%s' (first defined at line %d)",
		                          az_quote(q, key), first.line);
		az_diag_set_detail(dg, "YAML mappings need unique keys; remove one of them");
		return AZ_EINVALID;
	}
	f->key = az_xstrdup(key);
	f->key_pos = pos;
	return 0;
}

static int push_frame(parse_ctx *c, json_t *node, const az_pos *pos, const char *anchor_name)
{
	if (c->depth >= c->limits->max_depth) {
		az_diag *dg =
		    az_diag_add(c->d, AZ_SEV_ERROR, pos, NULL, "nesting is deeper than %zu levels",
		                c->limits->max_depth);
		az_diag_set_detail(dg, "flatten the structure; no Azure resource needs it");
		json_decref(node);
		return AZ_EINVALID;
	}
	size_t slot = anchor_name ? (size_t)add_anchor(c, anchor_name, node, false) : 0;
	az_mf_loc loc = {.pos = *pos};
	attach(c, node, &loc);
	if (c->depth == c->stack_cap) {
		c->stack_cap = c->stack_cap ? c->stack_cap * 2 : 16;
		c->stack = az_xrealloc(c->stack, c->stack_cap * sizeof(*c->stack));
	}
	frame *f = &c->stack[c->depth++];
	memset(f, 0, sizeof(*f));
	f->node = node;
	f->ptr_len = c->ptr.len;
	f->anchor = slot;
	f->nodes_at_start = c->nodes;
	return 0;
}

static void pop_frame(parse_ctx *c)
{
	frame *f = &c->stack[--c->depth];
	if (f->anchor) {
		anchor *a = &c->anchors[f->anchor - 1];
		a->nodes = c->nodes - f->nodes_at_start + 1;
		a->complete = true;
	}
	free(f->key);
}

static int on_alias(parse_ctx *c, const yaml_event_t *ev)
{
	az_pos pos = mark_pos(c, ev->start_mark);
	const char *name = (const char *)ev->data.alias.anchor;
	json_t *slot = json_object_get(c->anchor_index, name);
	char q[AZ_QUOTE_SIZE];
	if (!slot) {
		az_diag_add(c->d, AZ_SEV_ERROR, &pos, NULL, "alias '*%s' names no anchor above it",
		            az_quote(q, name));
		return AZ_EINVALID;
	}
	const anchor *a = &c->anchors[json_integer_value(slot)];
	if (!a->complete) {
		az_diag_add(c->d, AZ_SEV_ERROR, &pos, NULL,
		            "alias '*%s' refers to a node that contains it", az_quote(q, name));
		return AZ_EINVALID;
	}
	/* Count before copying: the copy is what a bomb would make expensive. */
	int err = count_node(c, a->nodes, &pos);
	if (err)
		return err;
	az_mf_loc loc = {.pos = pos};
	return attach(c, json_deep_copy(a->value), &loc);
}

static int on_scalar(parse_ctx *c, const yaml_event_t *ev)
{
	az_pos pos = scalar_pos(c, ev);
	int err = count_node(c, 1, &pos);
	if (err)
		return err;
	json_t *v = NULL;
	err = resolve_scalar(c, ev, &pos, &v);
	if (err)
		return err;
	if (ev->data.scalar.anchor)
		add_anchor(c, (const char *)ev->data.scalar.anchor, v, true);
	az_mf_loc loc = {.pos = pos, .exact = json_is_string(v) && scalar_exact(ev)};
	return attach(c, v, &loc);
}

static int on_start(parse_ctx *c, const yaml_event_t *ev, bool is_map)
{
	const char *tag =
	    (const char *)(is_map ? ev->data.mapping_start.tag : ev->data.sequence_start.tag);
	const char *anchor_name =
	    (const char *)(is_map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor);
	az_pos pos =
	    tag || anchor_name ? content_pos(c, ev->start_mark) : mark_pos(c, ev->start_mark);
	if (tag) {
		const char *t = core_tag(tag);
		az_pos tag_pos = mark_pos(c, ev->start_mark);
		if (!t || strcmp(t, is_map ? "map" : "seq"))
			return bad_tag(c, &tag_pos, tag);
	}
	int err = count_node(c, 1, &pos);
	if (err)
		return err;
	return push_frame(c, is_map ? json_object() : json_array(), &pos, anchor_name);
}

/* A node event: the key of a mapping, or a value. */
static int on_node(parse_ctx *c, const yaml_event_t *ev)
{
	if (c->depth) {
		frame *f = &c->stack[c->depth - 1];
		if (json_is_object(f->node) && !f->key)
			return take_key(c, f, ev);
	}
	switch (ev->type) {
	case YAML_SCALAR_EVENT: return on_scalar(c, ev);
	case YAML_ALIAS_EVENT: return on_alias(c, ev);
	case YAML_MAPPING_START_EVENT: return on_start(c, ev, true);
	case YAML_SEQUENCE_START_EVENT: return on_start(c, ev, false);
	default: return 0;
	}
}

/* libyaml's problem strings are terse fragments; say what they mean. */
static const char *explain(const char *problem)
{
	static const struct {
		const char *problem, *sentence;
	} table[] = {
	    {"mapping values are not allowed in this context",
	     "unexpected ':' (a value containing ': ' must be quoted, or the "
	     "indentation is off)"},
	    {"did not find expected key",
	     "expected a key here: check the indentation of this line"},
	    {"did not find expected '-' indicator",
	     "expected a '-' sequence entry here: check the indentation of this line"},
	    {"could not find expected ':'", "expected ':' after this key"},
	    {"found character that cannot start any token",
	     "a character that cannot start a YAML token (tabs cannot indent YAML; "
	     "'@' and '`' cannot start a plain value)"},
	    {"found unexpected end of stream",
	     "the file ends inside a quoted string or a flow collection"},
	    {"did not find expected node content", "expected a value here"},
	    {"did not find expected ',' or ']'", "expected ',' or ']' in this flow sequence"},
	    {"did not find expected ',' or '}'", "expected ',' or '}' in this flow mapping"},
	    {"found unknown escape character", "unknown escape sequence in a double-quoted string"},
	    {"block sequence entries are not allowed in this context",
	     "a '-' sequence entry is not allowed here: check the indentation"},
	    {"found undefined tag handle", "undefined tag handle"},
	    {"found a tab character that violates indentation",
	     "a tab character is used for indentation (YAML allows only spaces)"},
	    {"found a tab character where an indentation space is expected",
	     "a tab character is used for indentation (YAML allows only spaces)"},
	    {"did not find expected <document start>", "expected '---' before another document"},
	    {"found duplicate %YAML directive", "duplicate %YAML directive"},
	    {"found incompatible YAML document", "unsupported %YAML version"},
	};
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (!strcmp(problem, table[i].problem))
			return table[i].sentence;
	return NULL;
}

static int libyaml_error(parse_ctx *c, yaml_parser_t *p, const char *data, size_t len)
{
	const char *problem = p->problem ? p->problem : "unknown error";
	if (p->error == YAML_READER_ERROR) {
		/* libyaml blames the byte after a broken sequence ("caf\xe9 au"
		 * is a Latin-1 'é' followed by a space): point at the sequence's
		 * first byte, which is what the user has to fix. */
		size_t at = p->problem_offset < len ? p->problem_offset : len;
		if (strstr(problem, "trailing") || strstr(problem, "incomplete")) {
			while (at > 0 && ((unsigned char)data[at - 1] & 0xC0) == 0x80)
				at--;
			if (at > 0 && (unsigned char)data[at - 1] >= 0xC0)
				at--;
		}
		az_pos pos = offset_pos(c->file, data, len, at);
		az_diag *dg = az_diag_add(c->d, AZ_SEV_ERROR, &pos, NULL,
		                          "invalid text encoding: %s", problem);
		az_diag_set_detail(dg,
		                   "byte 0x%02X at offset %zu; YAML files must be UTF-8 "
		                   "(or UTF-16 with a byte order mark)",
		                   at < len ? (unsigned)(unsigned char)data[at] : 0u, at);
		return AZ_EINVALID;
	}
	if (p->error == YAML_MEMORY_ERROR) {
		az_diag_add(c->d, AZ_SEV_ERROR, NULL, NULL, "%s: out of memory parsing YAML",
		            c->file);
		return AZ_ERROR;
	}
	az_pos pos = mark_pos(c, p->problem_mark);
	const char *sentence = explain(problem);
	az_diag *dg = az_diag_add(c->d, AZ_SEV_ERROR, &pos, NULL, "invalid YAML: %s%s%s%s",
	                          sentence ? sentence : problem, sentence ? " (" : "",
	                          sentence ? problem : "", sentence ? ")" : "");
	/* Contexts read "while parsing a block mapping": keep the noun phrase. */
	if (p->context && !strncmp(p->context, "while ", 6))
		az_diag_set_detail(dg, "%s started at line %d, column %d", p->context + 6,
		                   (int)p->context_mark.line + 1, (int)p->context_mark.column + 1);
	return AZ_EINVALID;
}

static void reset_document(parse_ctx *c)
{
	while (c->depth)
		pop_frame(c);
	for (size_t i = 0; i < c->anchors_len; i++)
		free(c->anchors[i].name);
	c->anchors_len = 0;
	json_object_clear(c->anchor_index);
	json_decref(c->root);
	c->root = NULL;
	az_mf_map_clear(c->map);
	c->nodes = 0;
}

int az_yaml_parse(const char *file, const char *data, size_t len, const az_load_limits *limits,
                  json_t ***docs_out, az_srcmap ***maps_out, size_t *count_out, az_diags *d)
{
	parse_ctx c = {.file = file,
	               .limits = limits ? limits : &AZ_LOAD_LIMITS_DEFAULT,
	               .d = d,
	               .data = data,
	               .len = len};
	json_t **docs = NULL;
	az_srcmap **maps = NULL;
	size_t count = 0, cap = 0, seen = 0;
	yaml_parser_t parser;
	yaml_event_t ev;
	int error = 0;
	bool done_stream = false;

	*docs_out = NULL;
	*maps_out = NULL;
	*count_out = 0;
	if (len > c.limits->max_file_bytes) {
		az_pos pos = {file, 0, 0};
		az_diag_add(d, AZ_SEV_ERROR, &pos, NULL,
		            "file is %zu bytes, more than the limit of %zu", len,
		            c.limits->max_file_bytes);
		return AZ_EINVALID;
	}
	if (!yaml_parser_initialize(&parser)) {
		az_diag_add(d, AZ_SEV_ERROR, NULL, NULL, "%s: cannot start the YAML parser", file);
		return AZ_ERROR;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
	c.anchor_index = json_object();
	c.map = az_srcmap_new();

	while (!done_stream) {
		if (!yaml_parser_parse(&parser, &ev)) {
			error = libyaml_error(&c, &parser, data, len);
			goto done;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT: done_stream = true; break;
		case YAML_DOCUMENT_START_EVENT:
			if (++seen > c.limits->max_documents) {
				az_pos pos = mark_pos(&c, ev.start_mark);
				az_diag_add(d, AZ_SEV_ERROR, &pos, NULL,
				            "file has more than %zu documents",
				            c.limits->max_documents);
				error = AZ_EINVALID;
				break;
			}
			break;
		case YAML_DOCUMENT_END_EVENT:
			if (count == cap) {
				cap = cap ? cap * 2 : 4;
				docs = az_xrealloc(docs, cap * sizeof(*docs));
				maps = az_xrealloc(maps, cap * sizeof(*maps));
			}
			docs[count] = c.root ? c.root : json_null();
			maps[count++] = az_mf_map_take(c.map);
			c.root = NULL;
			reset_document(&c);
			break;
		case YAML_MAPPING_END_EVENT:
		case YAML_SEQUENCE_END_EVENT: pop_frame(&c); break;
		default: error = on_node(&c, &ev); break;
		}
		yaml_event_delete(&ev);
		if (error)
			goto done;
	}
done:
	reset_document(&c);
	az_srcmap_free(c.map);
	free(c.stack);
	free(c.anchors);
	free(c.lines);
	json_decref(c.anchor_index);
	az_buf_free(&c.ptr);
	yaml_parser_delete(&parser);
	if (error) {
		for (size_t i = 0; i < count; i++) {
			json_decref(docs[i]);
			az_srcmap_free(maps[i]);
		}
		free(docs);
		free(maps);
		return error;
	}
	*docs_out = docs;
	*maps_out = maps;
	*count_out = count;
	return 0;
}
