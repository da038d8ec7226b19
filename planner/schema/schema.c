/*
 * schema.c - compiles and runs the JSON Schema (draft 2020-12) subset that
 * schemas/<name>.schema.json use, over jansson values.
 *
 * A schema is compiled once into a tree of nodes: patterns are compiled with
 * PCRE2 up front and every $ref is resolved to its node, so a bad pattern or
 * a dangling $ref is a compile error rather than a surprise while checking a
 * user's manifest. Subschemas are memoised by their jansson node, which is
 * what makes recursive schemas ($ref "#") terminate.
 *
 * Errors are written for the person editing the YAML: a JSON Pointer into
 * the instance, the keyword, and a message that says what to change. For
 * oneOf/anyOf only the most relevant branch speaks (the one whose const/enum
 * discriminator matched), because a list of every branch's complaints hides
 * the one that matters.
 *
 * tests/unit/schema compares the verdicts with python3-jsonschema's.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <azapply/planner.h>
#include <azapply/schema.h>

#include <math.h>
#include <pcre2.h>
#include <stdint.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>


enum {
	T_NULL = 1 << 0,
	T_BOOLEAN = 1 << 1,
	T_OBJECT = 1 << 2,
	T_ARRAY = 1 << 3,
	T_NUMBER = 1 << 4,
	T_STRING = 1 << 5,
	T_INTEGER = 1 << 6,
};

static const char *const TYPE_NAMES[] = {"null",   "boolean", "object", "array",
                                         "number", "string",  "integer"};
#define N_TYPES (sizeof(TYPE_NAMES) / sizeof(TYPE_NAMES[0]))

typedef struct node node;

typedef struct prop {
	char *name;
	node *schema;
} prop;

typedef struct pattern_prop {
	pcre2_code *re;
	node *schema;
} pattern_prop;

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int prop_cmp(const void *a, const void *b)
{
	return strcmp((*(const prop *const *)a)->name, (*(const prop *const *)b)->name);
}

typedef struct node_list {
	node **items;
	size_t len;
} node_list;

typedef struct bound {
	bool set;
	double value;
} bound;

typedef struct count_bound {
	bool set;
	size_t value;
} count_bound;

struct node {
	const json_t *src; /* the schema value this node was compiled from (memo key) */
	bool is_bool;      /* true / false schema */
	bool bool_value;
	unsigned types; /* 0 = any */
	prop *props;
	size_t n_props;
	const prop **by_name; /* the props in strcmp order of their names (prop_named) */
	pattern_prop *pattern_props;
	size_t n_pattern_props;
	node *additional; /* NULL = absent */
	char **required;
	size_t n_required;
	node *property_names;
	count_bound min_props, max_props;
	json_t *enum_values; /* array, owned */
	json_t *const_value; /* owned; NULL when absent */
	pcre2_code *pattern;
	char *pattern_src;
	bound minimum, maximum, exclusive_minimum, exclusive_maximum, multiple_of;
	count_bound min_length, max_length;
	node_list prefix_items;
	node *items;
	count_bound min_items, max_items;
	bool unique_items;
	node_list all_of, any_of, one_of;
	node *not_;
	node *ref;
	/* Extensions (annotations to other validators, checks to azapply). */
	bool warn_unknown; /* x-azapply-unknownProperties: "warn" */
	bool enum_nocase;  /* x-azapply-enumCase: "insensitive" */
	char *format;      /* format: uuid, date-time, duration, timespan, azure-location */
};

/* n's property `name`, or NULL: searched in n->by_name, since every key of
 * every object of every manifest is looked up in a schema of a few dozen. */
static const prop *prop_named(const node *n, const char *name)
{
	size_t lo = 0, hi = n->n_props;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(n->by_name[mid]->name, name);
		if (c == 0)
			return n->by_name[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

struct az_schema {
	char *name;
	const json_t *root; /* only valid during compilation */
	node **nodes;       /* every node, for freeing and memoisation */
	size_t n_nodes, cap_nodes;
	node *top;
};

/* ---------------------------------------------------------------------
 * Compilation.
 */

typedef struct compiler {
	az_schema *s;
	az_diags *d;
	az_buf where; /* JSON Pointer into the schema, for compile errors */
	int error;
} compiler;

static void compile_fail(compiler *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void compile_fail(compiler *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = az_xvasprintf(fmt, ap);
	va_end(ap);
	az_diag *diag = az_diag_add(c->d, AZ_SEV_ERROR, NULL, NULL, "schema %s: %s at '#%s'",
	                            c->s->name, msg, c->where.data ? c->where.data : "");
	az_diag_set_detail(diag, "the schema itself is wrong; this is a bug in azapply's schemas "
	                         "or in the schema passed in, not in the manifest");
	free(msg);
	c->error = AZ_EINVALID;
}

static node *compile_node(compiler *c, const json_t *js);

static node *compile_child(compiler *c, const json_t *js, const char *k1, const char *k2)
{
	size_t mark = c->where.len;
	az_pointer_push(&c->where, k1);
	if (k2)
		az_pointer_push(&c->where, k2);
	node *n = compile_node(c, js);
	az_buf_truncate(&c->where, mark);
	return n;
}

static void compile_list(compiler *c, node_list *out, const json_t *arr, const char *kw)
{
	if (!json_is_array(arr) || json_array_size(arr) == 0) {
		compile_fail(c, "'%s' must be a non-empty array of schemas", kw);
		return;
	}
	out->len = json_array_size(arr);
	out->items = az_xcalloc(out->len, sizeof(node *));
	for (size_t i = 0; i < out->len; i++) {
		size_t mark = c->where.len;
		az_pointer_push(&c->where, kw);
		az_pointer_push_index(&c->where, i);
		out->items[i] = compile_node(c, json_array_get(arr, i));
		az_buf_truncate(&c->where, mark);
	}
}

static bool get_count(compiler *c, const json_t *v, const char *kw, count_bound *out)
{
	double x = json_is_number(v) ? json_number_value(v) : -1;
	if (x < 0 || x != floor(x) || x > (double)SIZE_MAX / 2) {
		compile_fail(c, "'%s' must be a non-negative integer", kw);
		return false;
	}
	out->set = true;
	out->value = (size_t)x;
	return true;
}

static void get_bound(compiler *c, const json_t *v, const char *kw, bound *out)
{
	if (!json_is_number(v)) {
		compile_fail(c, "'%s' must be a number", kw);
		return;
	}
	out->set = true;
	out->value = json_number_value(v);
}

static int type_bit(const char *name)
{
	for (size_t i = 0; i < N_TYPES; i++)
		if (strcmp(name, TYPE_NAMES[i]) == 0)
			return 1 << i;
	return 0;
}

static void compile_type(compiler *c, node *n, const json_t *v)
{
	if (json_is_string(v)) {
		n->types = (unsigned)type_bit(json_string_value(v));
		if (!n->types)
			compile_fail(c, "unknown type '%s'", json_string_value(v));
		return;
	}
	size_t i;
	const json_t *t;
	if (!json_is_array(v)) {
		compile_fail(c, "'type' must be a string or an array of strings");
		return;
	}
	json_array_foreach(v, i, t)
	{
		int bit = json_is_string(t) ? type_bit(json_string_value(t)) : 0;
		if (!bit) {
			compile_fail(c, "'type' lists an unknown type");
			return;
		}
		n->types |= (unsigned)bit;
	}
}

static pcre2_code *compile_regex(compiler *c, const char *src)
{
	int err;
	PCRE2_SIZE off;
	/* JSON Schema patterns are unanchored searches over Unicode text. */
	pcre2_code *re =
	    pcre2_compile((PCRE2_SPTR)src, PCRE2_ZERO_TERMINATED, PCRE2_UTF, &err, &off, NULL);
	if (!re) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(err, msg, sizeof(msg));
		compile_fail(c, "bad pattern '%s' at offset %zu: %s", src, (size_t)off,
		             (const char *)msg);
	}
	return re;
}

/* Resolves "#" or "#/a/b" (RFC 6901, with ~0 ~1 and %XX) against the root. */
static const json_t *resolve_ref(const json_t *root, const char *ref)
{
	if (ref[0] != '#')
		return NULL;
	const json_t *cur = root;
	const char *p = ref + 1;
	if (*p == '\0')
		return cur;
	if (*p != '/')
		return NULL;
	az_buf tok = AZ_BUF_INIT;
	while (cur && *p == '/') {
		p++;
		az_buf_truncate(&tok, 0);
		az_buf_puts(&tok, "");
		for (; *p && *p != '/'; p++) {
			if (p[0] == '~' && p[1] == '0') {
				az_buf_putc(&tok, '~');
				p++;
			} else if (p[0] == '~' && p[1] == '1') {
				az_buf_putc(&tok, '/');
				p++;
			} else if (p[0] == '%' && p[1] && p[2]) {
				char hex[3] = {p[1], p[2], 0};
				char *end;
				long v = strtol(hex, &end, 16);
				if (*end) {
					cur = NULL;
					break;
				}
				az_buf_putc(&tok, (char)v);
				p += 2;
			} else {
				az_buf_putc(&tok, *p);
			}
		}
		if (!cur)
			break;
		if (json_is_object(cur)) {
			cur = json_object_get(cur, tok.data);
		} else if (json_is_array(cur)) {
			char *end;
			unsigned long idx = strtoul(tok.data, &end, 10);
			cur = (*tok.data && !*end) ? json_array_get(cur, idx) : NULL;
		} else {
			cur = NULL;
		}
	}
	az_buf_free(&tok);
	return cur;
}

static void compile_properties(compiler *c, node *n, const json_t *v)
{
	const char *key;
	const json_t *sub;
	if (!json_is_object(v)) {
		compile_fail(c, "'properties' must be an object");
		return;
	}
	n->props = az_xcalloc(json_object_size(v) + 1, sizeof(prop));
	n->by_name = az_xcalloc(json_object_size(v) + 1, sizeof(prop *));
	json_object_foreach((json_t *)(uintptr_t)v, key, sub)
	{
		prop *p = &n->props[n->n_props];
		p->name = az_xstrdup(key);
		p->schema = compile_child(c, sub, "properties", key);
		n->by_name[n->n_props++] = p;
	}
	qsort(n->by_name, n->n_props, sizeof(prop *), prop_cmp);
}

static void compile_pattern_properties(compiler *c, node *n, const json_t *v)
{
	const char *key;
	const json_t *sub;
	if (!json_is_object(v)) {
		compile_fail(c, "'patternProperties' must be an object");
		return;
	}
	n->pattern_props = az_xcalloc(json_object_size(v) + 1, sizeof(pattern_prop));
	json_object_foreach((json_t *)(uintptr_t)v, key, sub)
	{
		pattern_prop *p = &n->pattern_props[n->n_pattern_props++];
		p->re = compile_regex(c, key);
		p->schema = compile_child(c, sub, "patternProperties", key);
	}
}

static void compile_required(compiler *c, node *n, const json_t *v)
{
	size_t i;
	const json_t *r;
	if (!json_is_array(v)) {
		compile_fail(c, "'required' must be an array of strings");
		return;
	}
	n->required = az_xcalloc(json_array_size(v) + 1, sizeof(char *));
	json_array_foreach(v, i, r)
	{
		if (!json_is_string(r)) {
			compile_fail(c, "'required' must be an array of strings");
			return;
		}
		n->required[n->n_required++] = az_xstrdup(json_string_value(r));
	}
}

static void compile_keyword(compiler *c, node *n, const char *kw, const json_t *v)
{
	if (strcmp(kw, "type") == 0) {
		compile_type(c, n, v);
	} else if (strcmp(kw, "properties") == 0) {
		compile_properties(c, n, v);
	} else if (strcmp(kw, "patternProperties") == 0) {
		compile_pattern_properties(c, n, v);
	} else if (strcmp(kw, "additionalProperties") == 0) {
		n->additional = compile_child(c, v, kw, NULL);
	} else if (strcmp(kw, "propertyNames") == 0) {
		n->property_names = compile_child(c, v, kw, NULL);
	} else if (strcmp(kw, "required") == 0) {
		compile_required(c, n, v);
	} else if (strcmp(kw, "minProperties") == 0) {
		get_count(c, v, kw, &n->min_props);
	} else if (strcmp(kw, "maxProperties") == 0) {
		get_count(c, v, kw, &n->max_props);
	} else if (strcmp(kw, "enum") == 0) {
		if (!json_is_array(v))
			compile_fail(c, "'enum' must be an array");
		else
			n->enum_values = json_deep_copy(v);
	} else if (strcmp(kw, "const") == 0) {
		n->const_value = json_deep_copy(v);
	} else if (strcmp(kw, "pattern") == 0) {
		if (!json_is_string(v)) {
			compile_fail(c, "'pattern' must be a string");
			return;
		}
		n->pattern_src = az_xstrdup(json_string_value(v));
		n->pattern = compile_regex(c, n->pattern_src);
	} else if (strcmp(kw, "minimum") == 0) {
		get_bound(c, v, kw, &n->minimum);
	} else if (strcmp(kw, "maximum") == 0) {
		get_bound(c, v, kw, &n->maximum);
	} else if (strcmp(kw, "exclusiveMinimum") == 0) {
		get_bound(c, v, kw, &n->exclusive_minimum);
	} else if (strcmp(kw, "exclusiveMaximum") == 0) {
		get_bound(c, v, kw, &n->exclusive_maximum);
	} else if (strcmp(kw, "multipleOf") == 0) {
		get_bound(c, v, kw, &n->multiple_of);
		if (n->multiple_of.set && !(n->multiple_of.value > 0))
			compile_fail(c, "'multipleOf' must be greater than 0");
	} else if (strcmp(kw, "minLength") == 0) {
		get_count(c, v, kw, &n->min_length);
	} else if (strcmp(kw, "maxLength") == 0) {
		get_count(c, v, kw, &n->max_length);
	} else if (strcmp(kw, "prefixItems") == 0) {
		compile_list(c, &n->prefix_items, v, kw);
	} else if (strcmp(kw, "items") == 0) {
		n->items = compile_child(c, v, kw, NULL);
	} else if (strcmp(kw, "minItems") == 0) {
		get_count(c, v, kw, &n->min_items);
	} else if (strcmp(kw, "maxItems") == 0) {
		get_count(c, v, kw, &n->max_items);
	} else if (strcmp(kw, "uniqueItems") == 0) {
		if (!json_is_boolean(v))
			compile_fail(c, "'uniqueItems' must be a boolean");
		n->unique_items = json_is_true(v);
	} else if (strcmp(kw, "allOf") == 0) {
		compile_list(c, &n->all_of, v, kw);
	} else if (strcmp(kw, "anyOf") == 0) {
		compile_list(c, &n->any_of, v, kw);
	} else if (strcmp(kw, "oneOf") == 0) {
		compile_list(c, &n->one_of, v, kw);
	} else if (strcmp(kw, "not") == 0) {
		n->not_ = compile_child(c, v, kw, NULL);
	} else if (strcmp(kw, "$ref") == 0) {
		const json_t *target =
		    json_is_string(v) ? resolve_ref(c->s->root, json_string_value(v)) : NULL;
		if (!target) {
			compile_fail(c,
			             "unknown $ref '%s' (only '#' and '#/...' within the document)",
			             json_is_string(v) ? json_string_value(v) : "?");
			return;
		}
		/* The target compiles with its own location for errors. */
		az_buf saved = c->where;
		c->where = (az_buf)AZ_BUF_INIT;
		az_buf_puts(&c->where, json_string_value(v) + 1);
		n->ref = compile_node(c, target);
		az_buf_free(&c->where);
		c->where = saved;
	} else if (strcmp(kw, "x-azapply-unknownProperties") == 0) {
		if (!json_is_string(v) || strcmp(json_string_value(v), "warn") != 0)
			compile_fail(c, "'%s' must be \"warn\"", kw);
		n->warn_unknown = true;
	} else if (strcmp(kw, "x-azapply-enumCase") == 0) {
		if (!json_is_string(v) || strcmp(json_string_value(v), "insensitive") != 0)
			compile_fail(c, "'%s' must be \"insensitive\"", kw);
		n->enum_nocase = true;
	} else if (strcmp(kw, "format") == 0) {
		if (!json_is_string(v))
			compile_fail(c, "'format' must be a string");
		else
			n->format = az_xstrdup(json_string_value(v));
	}
	/* $defs compile when referenced; annotations ($schema, $id, $comment,
	 * title, description, default, examples, ...) assert nothing, as draft
	 * 2020-12 says of unknown keywords. `format` asserts only the formats
	 * check_format knows; any other is an annotation. */
}

static node *compile_node(compiler *c, const json_t *js)
{
	az_schema *s = c->s;
	for (size_t i = 0; i < s->n_nodes; i++)
		if (s->nodes[i]->src == js)
			return s->nodes[i];

	node *n = az_xcalloc(1, sizeof(*n));
	n->src = js;
	if (s->n_nodes == s->cap_nodes) {
		s->cap_nodes = s->cap_nodes ? 2 * s->cap_nodes : 64;
		s->nodes = az_xrealloc(s->nodes, s->cap_nodes * sizeof(node *));
	}
	/* Registered before the children so that a cycle finds it. */
	s->nodes[s->n_nodes++] = n;

	if (json_is_boolean(js)) {
		n->is_bool = true;
		n->bool_value = json_is_true(js);
		return n;
	}
	if (!json_is_object(js)) {
		compile_fail(c, "a schema must be an object or a boolean");
		return n;
	}
	const char *kw;
	const json_t *v;
	json_object_foreach((json_t *)(uintptr_t)js, kw, v)
	{
		compile_keyword(c, n, kw, v);
	}
	return n;
}

static void node_free(node *n)
{
	for (size_t i = 0; i < n->n_props; i++)
		free(n->props[i].name);
	free(n->props);
	free(n->by_name);
	for (size_t i = 0; i < n->n_pattern_props; i++)
		pcre2_code_free(n->pattern_props[i].re);
	free(n->pattern_props);
	for (size_t i = 0; i < n->n_required; i++)
		free(n->required[i]);
	free(n->required);
	json_decref(n->enum_values);
	json_decref(n->const_value);
	pcre2_code_free(n->pattern);
	free(n->pattern_src);
	free(n->format);
	free(n->prefix_items.items);
	free(n->all_of.items);
	free(n->any_of.items);
	free(n->one_of.items);
	free(n);
}

void az_schema_free(az_schema *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_nodes; i++)
		node_free(s->nodes[i]);
	free(s->nodes);
	free(s->name);
	free(s);
}

int az_schema_compile(az_schema **out, const char *name, const json_t *schema, az_diags *d)
{
	int error = 0;
	compiler c = {.d = d, .where = AZ_BUF_INIT};
	az_schema *s = az_xcalloc(1, sizeof(*s));
	s->name = az_xstrdup(name ? name : "(unnamed)");
	s->root = schema;
	c.s = s;

	if (!schema) {
		compile_fail(&c, "no schema");
	} else {
		s->top = compile_node(&c, schema);
	}
	/* Nodes must not outlive the document through their memo keys. */
	for (size_t i = 0; i < s->n_nodes; i++)
		s->nodes[i]->src = NULL;
	s->root = NULL;
	error = c.error;
	if (error)
		goto done;
	*out = s;
	s = NULL;
done:
	az_buf_free(&c.where);
	az_schema_free(s);
	return error;
}

/* ---------------------------------------------------------------------
 * Validation.
 */

typedef struct validator {
	az_schema_skip_fn skip;
	void *skip_ud;
	az_buf ptr; /* JSON Pointer of the value being checked */
	/* Where warnings go: what Azure would accept but ignore or read
	 * otherwise (an unknown property, an enum in another case, an unknown
	 * region). A branch of anyOf/oneOf gets a list of its own, kept only
	 * when that branch is the one that applies. NULL: dropped. */
	az_schema_errors *warnings;
	/* Above zero while only the number of errors matters (a branch of
	 * anyOf/oneOf on its first try, `passes`): errors are counted, not
	 * worded. A valid stack's forms fail by the thousand in those tries,
	 * and wording each failure was a tenth of validate. */
	int silent;
} validator;

static void errors_add(az_schema_errors *errs, const char *pointer, const char *keyword,
                       char *message_take)
{
	if (errs->len == errs->cap) {
		errs->cap = errs->cap ? 2 * errs->cap : 8;
		errs->items = az_xrealloc(errs->items, errs->cap * sizeof(az_schema_error));
	}
	az_schema_error *e = &errs->items[errs->len++];
	e->pointer = pointer ? az_xstrdup(pointer) : NULL;
	e->keyword = keyword ? az_xstrdup(keyword) : NULL;
	e->message = message_take;
}

static void fail(validator *v, az_schema_errors *errs, const char *keyword, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void fail(validator *v, az_schema_errors *errs, const char *keyword, const char *fmt, ...)
{
	if (v->silent) {
		errors_add(errs, NULL, NULL, NULL);
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	char *msg = az_xvasprintf(fmt, ap);
	va_end(ap);
	errors_add(errs, v->ptr.data ? v->ptr.data : "", keyword, msg);
}

/* Whether a failure found now is only counted (a branch tried silently):
 * the value rendered into its message, the names offered beside it, would
 * be thrown away unread. Counts it when so. A valid stack's forms fail by
 * the ten thousand in those tries. */
static bool counted_only(validator *v, az_schema_errors *errs)
{
	if (!v->silent)
		return false;
	errors_add(errs, NULL, NULL, NULL);
	return true;
}

static void warn(validator *v, const char *keyword, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void warn(validator *v, const char *keyword, const char *fmt, ...)
{
	if (!v->warnings)
		return;
	va_list ap;
	va_start(ap, fmt);
	char *msg = az_xvasprintf(fmt, ap);
	va_end(ap);
	errors_add(v->warnings, v->ptr.data ? v->ptr.data : "", keyword, msg);
}

void az_schema_errors_clear(az_schema_errors *errs)
{
	if (!errs)
		return;
	for (size_t i = 0; i < errs->len; i++) {
		free(errs->items[i].pointer);
		free(errs->items[i].keyword);
		free(errs->items[i].message);
	}
	free(errs->items);
	errs->items = NULL;
	errs->len = errs->cap = 0;
}

/* Moves the errors of src to the end of dst. */
static void errors_move(az_schema_errors *dst, az_schema_errors *src)
{
	for (size_t i = 0; i < src->len; i++) {
		if (dst->len == dst->cap) {
			dst->cap = dst->cap ? 2 * dst->cap : 8;
			dst->items = az_xrealloc(dst->items, dst->cap * sizeof(az_schema_error));
		}
		dst->items[dst->len++] = src->items[i];
	}
	free(src->items);
	src->items = NULL;
	src->len = src->cap = 0;
}

static unsigned type_of(const json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_NULL: return T_NULL;
	case JSON_TRUE:
	case JSON_FALSE: return T_BOOLEAN;
	case JSON_OBJECT: return T_OBJECT;
	case JSON_ARRAY: return T_ARRAY;
	case JSON_STRING: return T_STRING;
	case JSON_INTEGER: return T_NUMBER | T_INTEGER;
	case JSON_REAL: {
		/* Draft 2020-12: 1.0 is an integer, it is the value that counts. */
		double x = json_real_value(j);
		return T_NUMBER | (isfinite(x) && x == floor(x) ? T_INTEGER : 0);
	}
	}
	return 0;
}

static const char *type_name(const json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_NULL: return "null";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number";
	}
	return "?";
}

static char *types_text(unsigned types)
{
	az_buf b = AZ_BUF_INIT;
	/* "integer" implies "number" is not listed twice. */
	if ((types & T_NUMBER) && (types & T_INTEGER))
		types &= ~(unsigned)T_INTEGER;
	size_t n = 0, total = 0;
	for (size_t i = 0; i < N_TYPES; i++)
		total += (types >> i) & 1;
	for (size_t i = 0; i < N_TYPES; i++) {
		if (!((types >> i) & 1))
			continue;
		if (n)
			az_buf_puts(&b, n + 1 == total ? " or " : ", ");
		az_buf_puts(&b, TYPE_NAMES[i]);
		n++;
	}
	return az_buf_detach(&b);
}

static bool json_num_eq(const json_t *a, const json_t *b)
{
	if (json_is_integer(a) && json_is_integer(b))
		return json_integer_value(a) == json_integer_value(b);
	return json_number_value(a) == json_number_value(b);
}

/* JSON equality as JSON Schema defines it: 1 and 1.0 are equal, true and 1
 * are not (jansson's json_equal tells integers from reals). */
static bool json_value_equal(const json_t *a, const json_t *b)
{
	if (json_is_number(a) && json_is_number(b))
		return json_num_eq(a, b);
	if (json_typeof(a) != json_typeof(b))
		return false;
	switch (json_typeof(a)) {
	case JSON_OBJECT: {
		const char *k;
		const json_t *va;
		if (json_object_size(a) != json_object_size(b))
			return false;
		json_object_foreach((json_t *)(uintptr_t)a, k, va)
		{
			const json_t *vb = json_object_get(b, k);
			if (!vb || !json_value_equal(va, vb))
				return false;
		}
		return true;
	}
	case JSON_ARRAY: {
		size_t n = json_array_size(a);
		if (n != json_array_size(b))
			return false;
		for (size_t i = 0; i < n; i++)
			if (!json_value_equal(json_array_get(a, i), json_array_get(b, i)))
				return false;
		return true;
	}
	case JSON_STRING:
		return json_string_length(a) == json_string_length(b) &&
		       memcmp(json_string_value(a), json_string_value(b), json_string_length(a)) ==
		           0;
	default: return true; /* null, true, false */
	}
}

static bool enum_contains(const json_t *values, const json_t *j)
{
	size_t i;
	const json_t *e;
	json_array_foreach(values, i, e)
	{
		if (json_value_equal(e, j))
			return true;
	}
	return false;
}

static size_t utf8_length(const char *s, size_t bytes)
{
	size_t n = 0;
	for (size_t i = 0; i < bytes; i++)
		n += ((unsigned char)s[i] & 0xC0) != 0x80;
	return n;
}

/* Values under these names are never echoed in messages: an enum or pattern
 * error on a password must not print the password. Every segment counts, so
 * servicePrincipalKey/value is covered too; "key" only as a suffix
 * (accountKey), because keyVault or keySource hold no secrets. */
static bool segment_looks_secret(const char *seg, size_t len)
{
	static const char *const WORDS[] = {"password", "secret", "token", "credential",
	                                    "connectionstring"};
	for (size_t i = 0; i < sizeof(WORDS) / sizeof(WORDS[0]); i++) {
		size_t wl = strlen(WORDS[i]);
		for (size_t k = 0; k + wl <= len; k++)
			if (strncasecmp(seg + k, WORDS[i], wl) == 0)
				return true;
	}
	return len >= 3 && strncasecmp(seg + len - 3, "key", 3) == 0;
}

static bool pointer_looks_secret(const char *ptr)
{
	while (*ptr == '/') {
		const char *seg = ptr + 1;
		const char *end = strchr(seg, '/');
		size_t len = end ? (size_t)(end - seg) : strlen(seg);
		if (segment_looks_secret(seg, len))
			return true;
		ptr = seg + len;
	}
	return false;
}

/* A short rendering of a value: strings in single quotes, the rest as JSON. */
static char *render_value(const json_t *j)
{
	char *text;
	if (json_is_string(j))
		text = az_xasprintf("'%s'", json_string_value(j));
	else {
		char *dump = az_json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);
		text = az_xstrdup(dump ? dump : "?");
		free(dump);
	}
	if (strlen(text) > 80) {
		size_t cut = 76;
		/* Never split a UTF-8 sequence: messages must stay valid text. */
		while (cut > 0 && ((unsigned char)text[cut] & 0xC0) == 0x80)
			cut--;
		text[cut] = '\0';
		az_buf b = AZ_BUF_INIT;
		az_buf_puts(&b, text);
		az_buf_puts(&b, "...");
		free(text);
		text = az_buf_detach(&b);
	}
	return text;
}

static char *render_instance(validator *v, const json_t *j)
{
	if (pointer_looks_secret(v->ptr.data ? v->ptr.data : ""))
		return az_xstrdup("the value");
	return render_value(j);
}

/* "a, b, c": enum members, strings without quotes as users write them. */
static char *render_choices(const json_t *arr)
{
	az_buf b = AZ_BUF_INIT;
	size_t i;
	const json_t *e;
	json_array_foreach(arr, i, e)
	{
		if (i)
			az_buf_puts(&b, ", ");
		if (i == 30) {
			az_buf_printf(&b, "... (%zu in all)", json_array_size(arr));
			break;
		}
		if (json_is_string(e)) {
			az_buf_puts(&b, json_string_value(e));
		} else {
			char *r = render_value(e);
			az_buf_puts(&b, r);
			free(r);
		}
	}
	if (!b.data)
		az_buf_puts(&b, "");
	return az_buf_detach(&b);
}

static size_t validate(validator *v, const node *n, const json_t *j, az_schema_errors *errs);

static size_t validate_at(validator *v, const node *n, const json_t *j, const char *key,
                          size_t index, az_schema_errors *errs)
{
	size_t mark = v->ptr.len;
	if (key)
		az_pointer_push(&v->ptr, key);
	else
		az_pointer_push_index(&v->ptr, index);
	size_t count = validate(v, n, j, errs);
	az_buf_truncate(&v->ptr, mark);
	if (!v->ptr.data)
		az_buf_puts(&v->ptr, "");
	return count;
}

static bool pattern_matches(const pcre2_code *re, const char *s, size_t len)
{
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
	int rc = pcre2_match(re, (PCRE2_SPTR)s, len, 0, 0, md, NULL);
	pcre2_match_data_free(md);
	return rc >= 0;
}

static void check_object(validator *v, const node *n, const json_t *j, az_schema_errors *errs)
{
	for (size_t i = 0; i < n->n_required; i++)
		if (!json_object_get(j, n->required[i]))
			fail(v, errs, "required", "missing required property '%s'", n->required[i]);

	size_t size = json_object_size(j);
	if (n->min_props.set && size < n->min_props.value)
		fail(v, errs, "minProperties", "has %zu properties, at least %zu required", size,
		     n->min_props.value);
	if (n->max_props.set && size > n->max_props.value)
		fail(v, errs, "maxProperties", "has %zu properties, at most %zu allowed", size,
		     n->max_props.value);

	const char *key;
	const json_t *val;
	json_object_foreach((json_t *)(uintptr_t)j, key, val)
	{
		bool matched = false;
		if (n->property_names) {
			json_t *name = json_string(key);
			size_t before = errs->len;
			az_schema_errors *warnings = v->warnings;
			v->warnings = NULL;
			size_t bad = name ? validate(v, n->property_names, name, errs) : 0;
			v->warnings = warnings;
			if (bad > 0 && !v->silent) {
				/* The name is the problem, not its value. */
				char *quoted = az_xasprintf("'%s' ", key);
				for (size_t k = before; k < errs->len; k++) {
					az_schema_error *e = &errs->items[k];
					char *m = e->message;
					if (strncmp(m, quoted, strlen(quoted)) == 0)
						e->message = az_xasprintf("property name %s", m);
					else
						e->message =
						    az_xasprintf("property name '%s' %s", key, m);
					free(m);
					free(e->keyword);
					e->keyword = az_xstrdup("propertyNames");
				}
				free(quoted);
			}
			json_decref(name);
		}
		const prop *p = prop_named(n, key);
		if (p) {
			matched = true;
			validate_at(v, p->schema, val, key, 0, errs);
		}
		for (size_t i = 0; i < n->n_pattern_props; i++) {
			if (pattern_matches(n->pattern_props[i].re, key, strlen(key))) {
				matched = true;
				validate_at(v, n->pattern_props[i].schema, val, key, 0, errs);
			}
		}
		if (matched || !n->additional)
			continue;
		if (n->additional->is_bool && !n->additional->bool_value) {
			if (counted_only(v, errs))
				continue;
			size_t mark = v->ptr.len;
			az_pointer_push(&v->ptr, key);
			const char **names_v = az_xcalloc(n->n_props + 1, sizeof(char *));
			for (size_t i = 0; i < n->n_props; i++)
				names_v[i] = n->props[i].name;
			const char *hint = az_suggest(key, names_v, n->n_props);
			free(names_v);
			if (hint) {
				fail(v, errs, "additionalProperties",
				     "property '%s' is not allowed here (did you mean '%s'?)", key,
				     hint);
			} else if (n->n_props > 0) {
				az_buf names = AZ_BUF_INIT;
				for (size_t i = 0; i < n->n_props && i < 30; i++)
					az_buf_printf(&names, "%s%s", i ? ", " : "",
					              n->props[i].name);
				fail(v, errs, "additionalProperties",
				     "property '%s' is not allowed here (allowed: %s)", key,
				     names.data);
				az_buf_free(&names);
			} else {
				fail(v, errs, "additionalProperties",
				     "property '%s' is not allowed here", key);
			}
			az_buf_truncate(&v->ptr, mark);
		} else {
			validate_at(v, n->additional, val, key, 0, errs);
		}
	}
}

/* Whether `j` passes `n`, without a word to the user. */
static bool passes(validator *v, const node *n, const json_t *j)
{
	az_schema_errors scratch = {NULL, 0, 0};
	az_schema_errors *warnings = v->warnings;
	v->warnings = NULL;
	v->silent++;
	size_t count = validate(v, n, j, &scratch);
	v->silent--;
	v->warnings = warnings;
	az_schema_errors_clear(&scratch);
	return count == 0;
}

static bool form_is_meant(const node *b, const json_t *j);

/* The enum member `j` equals but for case, or NULL. */
static const json_t *enum_case_match(const json_t *values, const json_t *j)
{
	size_t i;
	const json_t *e;
	if (!json_is_string(j))
		return NULL;
	json_array_foreach(values, i, e)
	{
		if (json_is_string(e) && strcasecmp(json_string_value(e), json_string_value(j)) == 0)
			return e;
	}
	return NULL;
}

/* The property names `n` knows for object `j`, as the annotations of
 * unevaluatedProperties would give them: its own properties and
 * patternProperties, and those of every subschema that applies ($ref,
 * allOf, the anyOf/oneOf forms `j` passes or names by its discriminator).
 * Sets *open when one of them takes any property (additionalProperties),
 * which is how a schema says an object is open: tags, Spark configuration,
 * pipeline parameters, a linked service type Synapse knows and the specs
 * do not. */
typedef struct name_list {
	const char **items;
	size_t len, cap;
} name_list;

static void name_list_add(name_list *l, const char *name)
{
	if (l->len == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 32;
		l->items = az_xrealloc(l->items, l->cap * sizeof(*l->items));
	}
	l->items[l->len++] = name;
}

/* A list and not a set: the keys of one object a patternProperties takes
 * are a handful. */
static bool name_list_has(const name_list *l, const char *name)
{
	for (size_t i = 0; i < l->len; i++)
		if (strcmp(l->items[i], name) == 0)
			return true;
	return false;
}

/* The declared names are kept as the nodes that declare them, each
 * searched with prop_named: this runs for every object of every
 * manifest, and copying a few dozen names per node into a list searched
 * key by key was a twentieth of validate. */
typedef struct known_names {
	const node **declaring; /* the nodes whose properties apply */
	size_t n_declaring, cap_declaring;
	name_list matched; /* keys of the object a patternProperties takes */
	bool open;         /* additionalProperties takes any key */
} known_names;

static void collect_known(validator *v, const node *n, const json_t *j, known_names *known)
{
	if (n->is_bool || known->open)
		return;
	if (n->n_props) {
		if (known->n_declaring == known->cap_declaring) {
			known->cap_declaring = known->cap_declaring ? 2 * known->cap_declaring : 8;
			known->declaring = az_xrealloc(known->declaring, known->cap_declaring *
									     sizeof(*known->declaring));
		}
		known->declaring[known->n_declaring++] = n;
	}
	const char *key;
	const json_t *val;
	json_object_foreach((json_t *)(uintptr_t)j, key, val)
	{
		for (size_t i = 0; i < n->n_pattern_props; i++)
			if (pattern_matches(n->pattern_props[i].re, key, strlen(key)))
				name_list_add(&known->matched, key);
	}
	if (n->additional && !(n->additional->is_bool && !n->additional->bool_value)) {
		known->open = true;
		return;
	}
	if (n->ref)
		collect_known(v, n->ref, j, known);
	for (size_t i = 0; i < n->all_of.len; i++)
		collect_known(v, n->all_of.items[i], j, known);
	const node_list *lists[2] = {&n->any_of, &n->one_of};
	for (size_t l = 0; l < 2; l++)
		for (size_t i = 0; i < lists[l]->len; i++)
			if (form_is_meant(lists[l]->items[i], j) || passes(v, lists[l]->items[i], j))
				collect_known(v, lists[l]->items[i], j, known);
}

static bool is_known(const known_names *known, const char *key)
{
	for (size_t i = 0; i < known->n_declaring; i++)
		if (prop_named(known->declaring[i], key))
			return true;
	return name_list_has(&known->matched, key);
}

/* Every property of `j` its schema does not know is a warning: Azure
 * ignores what it does not know (or rejects it), and the plan would show
 * the typo added and the real property removed on every run. The nearest
 * known name is offered (same letters in another case first, then the
 * fewest edits), and the names that are known. */
static void check_unknown(validator *v, const node *n, const json_t *j)
{
	known_names known = {0};
	collect_known(v, n, j, &known);
	if (known.open)
		goto done;
	const char *key;
	const json_t *val;
	bool any_unknown = false;
	json_object_foreach((json_t *)(uintptr_t)j, key, val)
	{
		(void)val;
		any_unknown = any_unknown || !is_known(&known, key);
	}
	if (!any_unknown)
		goto done;
	/* Known names, sorted and once each, readOnly ones included (a body
	 * copied from a GET carries them). */
	name_list declared = {0};
	for (size_t i = 0; i < known.n_declaring; i++)
		for (size_t k = 0; k < known.declaring[i]->n_props; k++)
			name_list_add(&declared, known.declaring[i]->props[k].name);
	const char **names = declared.items;
	size_t n_names = declared.len;
	qsort(names, n_names, sizeof(*names), name_cmp);
	size_t uniq = 0;
	for (size_t i = 0; i < n_names; i++)
		if (!uniq || strcmp(names[uniq - 1], names[i]) != 0)
			names[uniq++] = names[i];
	json_object_foreach((json_t *)(uintptr_t)j, key, val)
	{
		(void)val;
		if (is_known(&known, key))
			continue;
		size_t mark = v->ptr.len;
		az_pointer_push(&v->ptr, key);
		const char *hint = NULL;
		for (size_t i = 0; i < uniq && !hint; i++)
			if (strcasecmp(names[i], key) == 0)
				hint = names[i];
		if (!hint)
			hint = az_suggest(key, names, uniq);
		az_buf list = AZ_BUF_INIT;
		for (size_t i = 0; i < uniq && i < 40; i++)
			az_buf_printf(&list, "%s%s", i ? ", " : "", names[i]);
		if (uniq > 40)
			az_buf_printf(&list, ", ... (%zu in all)", uniq);
		if (hint)
			warn(v, "x-azapply-unknownProperties",
			     "unknown property '%s'; did you mean '%s'?\npermissible properties: %s",
			     key, hint, list.data ? list.data : "");
		else
			warn(v, "x-azapply-unknownProperties",
			     "unknown property '%s'\npermissible properties: %s", key,
			     list.data ? list.data : "(none)");
		az_buf_free(&list);
		az_buf_truncate(&v->ptr, mark);
	}
	free(declared.items);
done:
	free(known.declaring);
	free(known.matched.items);
}

static void check_array(validator *v, const node *n, const json_t *j, az_schema_errors *errs)
{
	size_t size = json_array_size(j);
	if (n->min_items.set && size < n->min_items.value)
		fail(v, errs, "minItems", "has %zu items, at least %zu required", size,
		     n->min_items.value);
	if (n->max_items.set && size > n->max_items.value)
		fail(v, errs, "maxItems", "has %zu items, at most %zu allowed", size,
		     n->max_items.value);
	for (size_t i = 0; i < size; i++) {
		const node *item = i < n->prefix_items.len ? n->prefix_items.items[i] : n->items;
		if (item)
			validate_at(v, item, json_array_get(j, i), NULL, i, errs);
	}
	if (!n->unique_items)
		return;
	for (size_t i = 0; i < size; i++) {
		for (size_t k = i + 1; k < size; k++) {
			if (json_value_equal(json_array_get(j, i), json_array_get(j, k))) {
				fail(v, errs, "uniqueItems",
				     "items %zu and %zu are equal; "
				     "each item must be unique",
				     i, k);
				return;
			}
		}
	}
}

static void check_string(validator *v, const node *n, const json_t *j, az_schema_errors *errs)
{
	const char *s = json_string_value(j);
	size_t bytes = json_string_length(j);
	if (n->min_length.set || n->max_length.set) {
		size_t len = utf8_length(s, bytes);
		if (n->min_length.set && len < n->min_length.value)
			fail(v, errs, "minLength", "is %zu characters long, at least %zu required",
			     len, n->min_length.value);
		if (n->max_length.set && len > n->max_length.value)
			fail(v, errs, "maxLength", "is %zu characters long, at most %zu allowed",
			     len, n->max_length.value);
	}
	if (n->pattern && !pattern_matches(n->pattern, s, bytes) && !counted_only(v, errs)) {
		char *r = render_instance(v, j);
		fail(v, errs, "pattern", "%s does not match the pattern %s", r, n->pattern_src);
		free(r);
	}
}

static void check_number(validator *v, const node *n, const json_t *j, az_schema_errors *errs)
{
	double x = json_number_value(j);
	/* Integers beyond 2^53 compare inexactly as doubles; bounds in our
	 * schemas are small, so this only matters for absurd input. */
	if (n->minimum.set && x < n->minimum.value)
		fail(v, errs, "minimum", "must be at least %.17g", n->minimum.value);
	if (n->maximum.set && x > n->maximum.value)
		fail(v, errs, "maximum", "must be at most %.17g", n->maximum.value);
	if (n->exclusive_minimum.set && x <= n->exclusive_minimum.value)
		fail(v, errs, "exclusiveMinimum", "must be greater than %.17g",
		     n->exclusive_minimum.value);
	if (n->exclusive_maximum.set && x >= n->exclusive_maximum.value)
		fail(v, errs, "exclusiveMaximum", "must be less than %.17g",
		     n->exclusive_maximum.value);
	if (n->multiple_of.set) {
		double q = x / n->multiple_of.value;
		if (!isfinite(q) || q != floor(q))
			fail(v, errs, "multipleOf", "must be a multiple of %.17g",
			     n->multiple_of.value);
	}
}

/* How well a failed oneOf/anyOf branch fits the value. A branch whose
 * const/enum discriminator property matched is the one the user meant; one
 * whose discriminator differs, or whose type is wrong, is not. */
enum {
	FIT_WRONG_TYPE = -2,
	FIT_OTHER_DISCRIMINATOR = -1,
	FIT_UNKNOWN = 0,
	FIT_DISCRIMINATED = 2,
};

typedef struct fit {
	int score;
	const char *disc_name; /* the discriminator property, when there is one */
	const node *disc;      /* its schema (holding const or enum) */
} fit;

static const node *through_refs(const node *n)
{
	while (n->ref && !n->n_props && !n->types && !n->const_value && !n->enum_values)
		n = n->ref;
	return n;
}

static fit branch_fit(const node *b, const json_t *j)
{
	fit f = {FIT_UNKNOWN, NULL, NULL};
	b = through_refs(b);
	if (b->is_bool)
		return f;
	if (b->types && !(b->types & type_of(j))) {
		f.score = FIT_WRONG_TYPE;
		return f;
	}
	if (!json_is_object(j))
		return f;
	for (size_t i = 0; i < b->n_props; i++) {
		const node *p = through_refs(b->props[i].schema);
		const json_t *val = json_object_get(j, b->props[i].name);
		if (!val || (!p->const_value && !p->enum_values))
			continue;
		bool hit = (p->const_value && json_value_equal(p->const_value, val)) ||
		           (p->enum_values && enum_contains(p->enum_values, val));
		f.score = hit ? FIT_DISCRIMINATED : FIT_OTHER_DISCRIMINATOR;
		f.disc_name = b->props[i].name;
		f.disc = p;
		return f;
	}
	return f;
}

/* The form whose discriminator the value names is the one meant, also
 * when something else in it is wrong: its properties are known. */
static bool form_is_meant(const node *b, const json_t *j)
{
	return branch_fit(b, j).score == FIT_DISCRIMINATED;
}

/* Every branch is discriminated by the same property and none matched: the
 * discriminator is what to fix ("'PlainText' is not one of: SecureString,
 * AzureKeyVaultSecret"). Returns false when that is not the case. */
static bool report_discriminator(validator *v, const node_list *list, const json_t *j,
                                 const char *kw, az_schema_errors *errs)
{
	const char *name = NULL;
	json_t *allowed = json_array();
	bool ok = true;
	for (size_t i = 0; i < list->len && ok; i++) {
		fit f = branch_fit(list->items[i], j);
		ok =
		    f.score == FIT_OTHER_DISCRIMINATOR && (!name || strcmp(name, f.disc_name) == 0);
		if (!ok)
			break;
		name = f.disc_name;
		if (f.disc->const_value)
			json_array_append(allowed, f.disc->const_value);
		else
			json_array_extend(allowed, f.disc->enum_values);
	}
	if (ok && name) {
		size_t mark = v->ptr.len;
		az_pointer_push(&v->ptr, name);
		/* A sibling enum on the same property may have said it already. */
		bool said = false;
		for (size_t i = 0; i < errs->len && !said; i++)
			said = strcmp(errs->items[i].pointer, v->ptr.data) == 0;
		if (!said && !counted_only(v, errs)) {
			char *got = render_instance(v, json_object_get(j, name));
			char *choices = render_choices(allowed);
			fail(v, errs, kw, "%s is not one of: %s", got, choices);
			free(got);
			free(choices);
		}
		az_buf_truncate(&v->ptr, mark);
	}
	json_decref(allowed);
	return ok && name;
}

/* When no discriminator decided and the equally fitting forms each failed
 * with one complaint about the value itself (say an enum of cloud names or
 * a pattern for a file path), the user needs every alternative, joined by
 * "or". Returns false when that is not the case. */
static bool join_alternatives(validator *v, const node_list *list, const az_schema_errors *tmp,
                              int best_fit, const json_t *j, const char *kw, az_schema_errors *errs)
{
	const char *here = v->ptr.data ? v->ptr.data : "";
	size_t n = 0;
	for (size_t i = 0; i < list->len; i++) {
		if (branch_fit(list->items[i], j).score != best_fit)
			continue;
		if (tmp[i].len != 1 || strcmp(tmp[i].items[0].pointer, here) != 0)
			return false;
		n++;
	}
	if (n < 2)
		return false;
	az_buf msg = AZ_BUF_INIT;
	for (size_t i = 0; i < list->len; i++) {
		if (branch_fit(list->items[i], j).score != best_fit)
			continue;
		if (msg.len)
			az_buf_puts(&msg, "; or ");
		az_buf_puts(&msg, tmp[i].items[0].message);
	}
	errors_add(errs, here, kw, az_buf_detach(&msg));
	return true;
}

static void check_branches(validator *v, const node_list *list, bool one, const json_t *j,
                           az_schema_errors *errs)
{
	az_schema_errors *tmp = az_xcalloc(list->len, sizeof(*tmp));
	az_schema_errors *wtmp = az_xcalloc(list->len, sizeof(*wtmp));
	az_schema_errors *warnings = v->warnings;
	size_t passed = 0, first = 0, second = 0;
	/* When a branch's discriminator (a const or enum property, an
	 * activity's type) names the value's form, a branch whose
	 * discriminator differs cannot match: not validating it saves the
	 * work of every form the value is not, and its messages are never
	 * reported (the discriminated branch is the nearest). */
	int *fits = az_xcalloc(list->len ? list->len : 1, sizeof(*fits));
	bool discriminated = false;
	for (size_t i = 0; i < list->len; i++) {
		fits[i] = branch_fit(list->items[i], j).score;
		discriminated = discriminated || fits[i] == FIT_DISCRIMINATED;
	}
	/* The forms are tried silently first: when one passes, the others'
	 * complaints are never read. When none does, and words are wanted,
	 * they are tried again for their complaints. */
	for (int loud = 0; loud < 2; loud++) {
		if (loud && (passed > 0 || v->silent))
			break;
		v->silent += !loud;
		for (size_t i = 0; i < list->len; i++) {
			if (discriminated && fits[i] == FIT_OTHER_DISCRIMINATOR)
				continue;
			az_schema_errors_clear(&tmp[i]);
			az_schema_errors_clear(&wtmp[i]);
			v->warnings = warnings ? &wtmp[i] : NULL;
			size_t count = validate(v, list->items[i], j, &tmp[i]);
			v->warnings = warnings;
			if (count == 0) {
				if (passed == 0)
					first = i;
				else if (passed == 1)
					second = i;
				passed++;
			}
		}
		v->silent -= !loud;
	}
	const char *kw = one ? "oneOf" : "anyOf";
	if (v->silent && passed == 0) {
		/* Counted, not worded: the caller only asks whether it passes. */
		errors_add(errs, NULL, NULL, NULL);
	} else if (one && passed > 1) {
		fail(v, errs, kw,
		     "matches more than one of the allowed forms (%zu and %zu); "
		     "it must match exactly one",
		     first + 1, second + 1);
	} else if (passed == 0) {
		size_t best = 0;
		int best_fit = FIT_WRONG_TYPE - 1;
		bool any_type_fit = false;
		for (size_t i = 0; i < list->len; i++) {
			int score = fits[i];
			any_type_fit = any_type_fit || score != FIT_WRONG_TYPE;
			/* Ties go to the branch with fewer complaints. */
			if (score > best_fit || (score == best_fit && tmp[i].len < tmp[best].len)) {
				best = i;
				best_fit = score;
			}
		}
		if (!any_type_fit) {
			unsigned types = 0;
			for (size_t i = 0; i < list->len; i++)
				types |= through_refs(list->items[i])->types;
			char *want = types_text(types);
			fail(v, errs, kw, "is %s, expected %s", type_name(j), want);
			free(want);
		} else if (best_fit == FIT_OTHER_DISCRIMINATOR &&
		           report_discriminator(v, list, j, kw, errs)) {
			/* The discriminator names a form that does not exist. */
		} else if (best_fit < FIT_DISCRIMINATED &&
		           join_alternatives(v, list, tmp, best_fit, j, kw, errs)) {
			/* Each form failed on the value itself: all said at once. */
		} else if (list->len > 1 && best_fit < FIT_DISCRIMINATED && tmp[best].len > 1) {
			/* No discriminator decided: a short summary, then the
			 * nearest branch's first complaint. */
			fail(v, errs, kw,
			     "does not match any of the %zu allowed forms; nearest: %s%s%s",
			     list->len, tmp[best].items[0].pointer,
			     *tmp[best].items[0].pointer ? ": " : "", tmp[best].items[0].message);
		} else {
			errors_move(errs, &tmp[best]);
		}
		if (warnings)
			errors_move(warnings, &wtmp[best]);
	}
	/* The warnings of the form that applies, not of every form tried. */
	if (warnings && passed)
		errors_move(warnings, &wtmp[first]);
	for (size_t i = 0; i < list->len; i++) {
		az_schema_errors_clear(&tmp[i]);
		az_schema_errors_clear(&wtmp[i]);
	}
	free(fits);
	free(tmp);
	free(wtmp);
}

/* ---------------------------------------------------------------------
 * Formats: the shapes Azure checks on strings. A value that is an
 * expression (Synapse's "@...", or what ${...} becomes) is Azure's to
 * evaluate and passes.
 */

/* Azure regions (`az account list-locations`, public, US Government and
 * China clouds), as ARM writes them: lower case without spaces. */
static const char *const AZURE_LOCATIONS[] = {
	"australiacentral", "australiacentral2", "australiaeast", "australiasoutheast",
	"austriaeast", "belgiumcentral", "brazilsouth", "brazilsoutheast", "brazilus",
	"canadacentral", "canadaeast", "centralindia", "centralus", "centraluseuap",
	"chilecentral", "chinaeast", "chinaeast2", "chinaeast3", "chinanorth", "chinanorth2",
	"chinanorth3", "denmarkeast", "eastasia", "eastus", "eastus2", "eastus2euap",
	"eastusstg", "francecentral", "francesouth", "germanynorth", "germanywestcentral",
	"global", "indonesiacentral", "israelcentral", "italynorth", "japaneast", "japanwest",
	"jioindiacentral", "jioindiawest", "koreacentral", "koreasouth", "malaysiawest",
	"mexicocentral", "newzealandnorth", "northcentralus", "northeurope", "norwayeast",
	"norwaywest", "polandcentral", "qatarcentral", "southafricanorth", "southafricawest",
	"southcentralus", "southcentralusstg", "southeastasia", "southindia", "spaincentral",
	"swedencentral", "swedensouth", "switzerlandnorth", "switzerlandwest", "taiwannorth",
	"taiwannorthwest", "uaecentral", "uaenorth", "uksouth", "ukwest", "usdodcentral",
	"usdodeast", "usgovarizona", "usgoviowa", "usgovtexas", "usgovvirginia",
	"westcentralus", "westeurope", "westindia", "westus", "westus2", "westus3",
};
#define N_LOCATIONS (sizeof(AZURE_LOCATIONS) / sizeof(AZURE_LOCATIONS[0]))

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static int two_digits(const char *s)
{
	return (s[0] - '0') * 10 + (s[1] - '0');
}

static bool is_guid(const char *s)
{
	static const int GROUPS[] = {8, 4, 4, 4, 12};
	for (size_t g = 0; g < 5; g++) {
		for (int i = 0; i < GROUPS[g]; i++, s++)
			if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') ||
			      (*s >= 'A' && *s <= 'F')))
				return false;
		if (g < 4 && *s++ != '-')
			return false;
	}
	return *s == '\0';
}

/* ISO 8601 as Azure reads it: a date, 'T', hh:mm[:ss[.fraction]], and an
 * optional Z or offset (Synapse triggers take a local time with timeZone). */
static bool is_date_time(const char *s)
{
	if (strlen(s) < 16 || !all_digits(s, 4) || s[4] != '-' || !all_digits(s + 5, 2) ||
	    s[7] != '-' || !all_digits(s + 8, 2) || (s[10] != 'T' && s[10] != 't') ||
	    !all_digits(s + 11, 2) || s[13] != ':' || !all_digits(s + 14, 2))
		return false;
	int month = two_digits(s + 5), day = two_digits(s + 8);
	if (month < 1 || month > 12 || day < 1 || day > 31 || two_digits(s + 11) > 23 ||
	    two_digits(s + 14) > 59)
		return false;
	s += 16;
	if (*s == ':') {
		if (!all_digits(s + 1, 2) || two_digits(s + 1) > 60)
			return false;
		s += 3;
		if (*s == '.') {
			size_t n = strspn(s + 1, "0123456789");
			if (!n)
				return false;
			s += 1 + n;
		}
	}
	if (*s == 'Z' || *s == 'z')
		return s[1] == '\0';
	if (*s == '+' || *s == '-')
		return all_digits(s + 1, 2) && s[3] == ':' && all_digits(s + 4, 2) && s[6] == '\0';
	return *s == '\0';
}

/* ISO 8601 duration: P[nY][nM][nW][nD][T[nH][nM][n[.n]S]], at least one part. */
static bool is_duration(const char *s)
{
	if (*s++ != 'P' || !*s)
		return false;
	const char *units = "YMWD";
	bool time = false, any = false;
	while (*s) {
		if (*s == 'T' && !time) {
			time = true;
			units = "HMS";
			s++;
			if (!*s)
				return false;
			continue;
		}
		size_t n = strspn(s, "0123456789");
		if (!n)
			return false;
		s += n;
		if (*s == '.' && time) {
			size_t f = strspn(s + 1, "0123456789");
			if (!f || s[1 + f] != 'S')
				return false;
			s += 1 + f;
		}
		const char *u = *s ? strchr(units, *s) : NULL;
		if (!u)
			return false;
		units = u + 1; /* each unit once, in order */
		any = true;
		s++;
	}
	return any;
}

/* .NET TimeSpan as Synapse writes timeouts: [d.]hh:mm:ss[.fffffff]. */
static bool is_timespan(const char *s)
{
	size_t n = strspn(s, "0123456789");
	if (n && s[n] == '.') {
		s += n + 1;
		n = strspn(s, "0123456789");
	}
	if (n < 1 || n > 2 || s[n] != ':' || !all_digits(s + n + 1, 2) || s[n + 3] != ':' ||
	    !all_digits(s + n + 4, 2))
		return false;
	int hours = n == 1 ? s[0] - '0' : two_digits(s);
	if (hours > 23 || two_digits(s + n + 1) > 59 || two_digits(s + n + 4) > 59)
		return false;
	s += n + 6;
	if (*s == '.') {
		size_t f = strspn(s + 1, "0123456789");
		if (!f || f > 7)
			return false;
		s += 1 + f;
	}
	return *s == '\0';
}

/* "West Europe" and "westeurope" are the same region; so is a stage
 * suffix such as "eastus2(stage)" to the region it stages. */
static char *location_key(const char *s)
{
	az_buf b = AZ_BUF_INIT;
	for (; *s && *s != '('; s++)
		if (*s != ' ')
			az_buf_putc(&b, (char)(*s >= 'A' && *s <= 'Z' ? *s - 'A' + 'a' : *s));
	if (!b.data)
		az_buf_puts(&b, "");
	return az_buf_detach(&b);
}

static void warn_near_miss(validator *v, const json_t *known, const char *s)
{
	size_t n = 0, i;
	const json_t *e;
	const char **names = az_xcalloc(json_array_size(known) + 1, sizeof(*names));
	json_array_foreach(known, i, e)
	{
		if (json_is_string(e))
			names[n++] = json_string_value(e);
	}
	const char *hint = az_suggest(s, names, n);
	if (hint)
		warn(v, "not", "'%s' is not a value azapply knows; did you mean '%s'?", s, hint);
	free(names);
}

static void check_format(validator *v, const char *format, const char *s,
                         az_schema_errors *errs)
{
	if (s[0] == '@' || strstr(s, "${"))
		return;
	/* Never echo a secret. */
	const char *shown = pointer_looks_secret(v->ptr.data ? v->ptr.data : "") ? "(sensitive)" : s;
	if (strcmp(format, "uuid") == 0) {
		if (!is_guid(s))
			fail(v, errs, "format", "'%s' is not a GUID (8-4-4-4-12 hexadecimal digits)",
			     shown);
	} else if (strcmp(format, "date-time") == 0) {
		if (!is_date_time(s))
			fail(v, errs, "format",
			     "'%s' is not a date and time (ISO 8601, e.g. 2026-01-01T02:00:00Z)", shown);
	} else if (strcmp(format, "duration") == 0) {
		if (!is_duration(s))
			fail(v, errs, "format", "'%s' is not an ISO 8601 duration (e.g. PT1H, P1D)",
			     shown);
	} else if (strcmp(format, "timespan") == 0) {
		if (!is_timespan(s))
			fail(v, errs, "format",
			     "'%s' is not a time span (d.hh:mm:ss, e.g. 0.12:00:00)", shown);
	} else if (strcmp(format, "azure-location") == 0) {
		char *key = location_key(s);
		bool found = false;
		for (size_t i = 0; i < N_LOCATIONS && !found; i++)
			found = strcmp(key, AZURE_LOCATIONS[i]) == 0;
		if (!found) {
			const char *hint = az_suggest(key, AZURE_LOCATIONS, N_LOCATIONS);
			if (hint)
				warn(v, "format", "unknown Azure region '%s'; did you mean '%s'?", s,
				     hint);
			else
				warn(v, "format",
				     "unknown Azure region '%s' (not in azapply's list of regions)", s);
		}
		free(key);
	}
}

static size_t validate(validator *v, const node *n, const json_t *j, az_schema_errors *errs)
{
	size_t before = errs->len;
	if (v->skip && v->skip(j, v->skip_ud))
		return 0;
	if (n->is_bool) {
		if (!n->bool_value)
			fail(v, errs, "false", "no value is allowed here");
		return errs->len - before;
	}
	unsigned t = type_of(j);
	if (n->types && !(n->types & t) && !counted_only(v, errs)) {
		char *want = types_text(n->types);
		fail(v, errs, "type", "is %s, expected %s", type_name(j), want);
		free(want);
	}
	if (n->const_value && !json_value_equal(n->const_value, j) && !counted_only(v, errs)) {
		char *want = render_value(n->const_value);
		char *got = render_instance(v, j);
		fail(v, errs, "const", "must be %s, not %s", want, got);
		free(want);
		free(got);
	}
	if (n->enum_values && !enum_contains(n->enum_values, j)) {
		const json_t *same = n->enum_nocase ? enum_case_match(n->enum_values, j) : NULL;
		if (same) {
			/* ARM compares enums without case and answers in its own
			 * spelling: accepted, but plan would show the difference. */
			char *got = render_instance(v, j);
			warn(v, "enum", "%s is written '%s' by Azure", got, json_string_value(same));
			free(got);
		} else if (!counted_only(v, errs)) {
			char *got = render_instance(v, j);
			char *choices = render_choices(n->enum_values);
			fail(v, errs, "enum", "%s is not one of: %s", got, choices);
			free(choices);
			free(got);
		}
	}
	if (t & T_OBJECT) {
		check_object(v, n, j, errs);
		if (n->warn_unknown && v->warnings)
			check_unknown(v, n, j);
	} else if (t & T_ARRAY) {
		check_array(v, n, j, errs);
	} else if (t & T_STRING) {
		check_string(v, n, j, errs);
		if (n->format)
			check_format(v, n->format, json_string_value(j), errs);
	}
	else if (t & T_NUMBER)
		check_number(v, n, j, errs);

	for (size_t i = 0; i < n->all_of.len; i++)
		validate(v, n->all_of.items[i], j, errs);
	if (n->any_of.len)
		check_branches(v, &n->any_of, false, j, errs);
	if (n->one_of.len)
		check_branches(v, &n->one_of, true, j, errs);
	if (n->not_ && passes(v, n->not_, j)) {
		if (!counted_only(v, errs)) {
			char *got = render_instance(v, j);
			fail(v, errs, "not", "%s is not allowed here", got);
			free(got);
		}
	} else if (n->not_ && n->not_->enum_values && json_is_string(j)) {
		/* "Anything but these" is how a form for the types the specs do
		 * not know reads; a near miss of one they know is a typo. */
		warn_near_miss(v, n->not_->enum_values, json_string_value(j));
	}
	if (n->ref)
		validate(v, n->ref, j, errs);
	return errs->len - before;
}

size_t az_schema_validate(const az_schema *s, const json_t *instance, az_schema_skip_fn skip,
                          void *skip_ud, az_schema_errors *errs)
{
	return az_schema_check(s, instance, skip, skip_ud, errs, NULL);
}

size_t az_schema_check(const az_schema *s, const json_t *instance, az_schema_skip_fn skip,
                       void *skip_ud, az_schema_errors *errs, az_schema_errors *warnings)
{
	validator v = {.skip = skip, .skip_ud = skip_ud, .ptr = AZ_BUF_INIT, .warnings = warnings};
	az_buf_puts(&v.ptr, "");
	size_t count = validate(&v, s->top, instance, errs);
	az_buf_free(&v.ptr);
	return count;
}
