/*
 * foreach.c - one manifest, many resources: metadata.forEach.
 *
 * A platform team runs one Spark pool per data team (issue 17); copying a
 * manifest per team is what users will not do. `metadata.forEach` is a
 * mapping (key -> value) or a list of strings (each string is its own key
 * and value); the manifest becomes one manifest per key, with
 * ${each.key}, ${each.value} and ${each.value.a.b} replaced in every string
 * of the document, metadata.name included.
 *
 * An instance is addressed by its own metadata.name, which must use
 * ${each.key} (or, for a list, ${each.value}): `name: spark-${each.key}`
 * gives `SparkPool/spark-team-a`. The key, never a position, is in the
 * address, so inserting a key plans one create and removing one plans one
 * delete; and an instance's address is an ordinary address, which the
 * markers already in Azure, `--target`, saved plans, the graph and
 * `${ref.SparkPool.spark-team-a.id}` all accept unchanged. Keys are
 * therefore limited to the characters a reference's name may hold
 * ([A-Za-z0-9_-]).
 *
 * The expansion runs in az_manifests_resolve_vars after forEach's own
 * ${var.X} is resolved (so a list of teams can differ per environment) and
 * before every other string's, so each instance is then an ordinary
 * manifest. Instances keep the template's source map, so every later
 * diagnostic points at the template's line; az_manifest.each_key lets the
 * stack say which key.
 */
#include "manifest_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool az_mf_plain_name(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++) {
		char c = *s;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return false;
	}
	return true;
}

typedef struct each_ctx {
	const az_srcmap *map; /* the template's */
	const char *key;
	json_t *value;
	az_diags *d;
	bool ok;
} each_ctx;

/* The value ${each.value[.path]} names, borrowed; NULL after reporting. */
static json_t *each_lookup(each_ctx *c, const char *expr, size_t len, const az_pos *at)
{
	char qk[AZ_QUOTE_SIZE];
	if (len == 10 && !memcmp(expr, "each.value", 10))
		return c->value;
	if (len > 11 && !memcmp(expr, "each.value.", 11)) {
		json_t *v = c->value;
		const char *seg = expr + 11, *end = expr + len;
		while (seg <= end) {
			const char *dot = memchr(seg, '.', (size_t)(end - seg));
			size_t n = dot ? (size_t)(dot - seg) : (size_t)(end - seg);
			char *name = az_xstrndup(seg, n);
			json_t *next = json_is_object(v) ? json_object_get(v, name) : NULL;
			if (!next) {
				char qn[AZ_QUOTE_SIZE];
				az_diag *dg = az_diag_add(
				    c->d, AZ_SEV_ERROR, at, NULL,
				    "the value of forEach key '%s' has no '%s'",
				    az_quote(qk, c->key), az_quote(qn, name));
				az_diag_set_detail(dg,
				                   "give that key's value a %s in metadata.forEach, "
				                   "or use a path every value has",
				                   qn);
				free(name);
				c->ok = false;
				return NULL;
			}
			free(name);
			v = next;
			if (!dot)
				break;
			seg = dot + 1;
		}
		return v;
	}
	char *e = az_xstrndup(expr, len);
	char qe[AZ_QUOTE_SIZE];
	az_diag *dg = az_diag_add(c->d, AZ_SEV_ERROR, at, NULL, "unknown expression '${%s}'",
	                          az_quote(qe, e));
	az_diag_set_detail(dg, "%s", "in a forEach manifest write ${each.key}, ${each.value} or "
	                             "${each.value.NAME}");
	free(e);
	c->ok = false;
	return NULL;
}

/* `s` (template syntax) at pointer ptr[0..len) with every ${each...}
 * replaced; NULL when it has none or after reporting a problem. A string
 * that is one expression becomes the value itself (a number stays one). */
static json_t *subst_string(each_ctx *c, const char *s, const char *ptr, size_t ptr_len)
{
	if (!strstr(s, "${each."))
		return NULL;
	az_mf_cursor cur;
	az_mf_string_cursor(&cur, c->map, ptr, ptr_len, s);
	az_buf out = AZ_BUF_INIT;
	json_t *result = NULL;
	json_t *key = json_string(c->key);
	size_t i = 0;
	bool ok = true;
	const char *close;
	while ((close = az_mf_next_expr(s, &i, "${each.", &out))) {
		az_pos at = az_mf_cursor_pos(&cur, i);
		size_t len = (size_t)(close - (s + i + 2));
		json_t *v = len == 8 && !memcmp(s + i + 2, "each.key", 8)
		                ? key
		                : each_lookup(c, s + i + 2, len, &at);
		size_t next = (size_t)(close - s) + 1;
		if (!v) {
			ok = false;
		} else if (i == 0 && !s[next]) {
			result = az_mf_escaped_copy(v);
		} else if (json_is_string(v)) {
			az_mf_put_text(&out, json_string_value(v), json_string_length(v));
		} else if (json_is_integer(v)) {
			az_buf_printf(&out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		} else if (json_is_real(v)) {
			az_buf_printf(&out, "%.17g", json_real_value(v));
		} else if (json_is_boolean(v)) {
			az_buf_puts(&out, json_is_true(v) ? "true" : "false");
		} else {
			char qk[AZ_QUOTE_SIZE];
			az_diag *dg = az_diag_add(c->d, AZ_SEV_ERROR, &at, NULL,
			                          "forEach key '%s': a %s cannot be part of a string",
			                          az_quote(qk, c->key),
			                          json_is_null(v) ? "null" : "mapping or list");
			az_diag_set_detail(dg, "%s",
			                   "name a scalar inside it (${each.value.NAME}), or make "
			                   "the expression the whole value");
			ok = false;
		}
		i = next;
	}
	if (ok && !result)
		result = json_stringn(out.data ? out.data : "", out.len);
	if (!ok) {
		json_decref(result);
		result = NULL;
		c->ok = false;
	}
	json_decref(key);
	az_buf_free(&out);
	return result;
}

static json_t *subst_one(void *ud, json_t *s, const char *ptr, size_t len)
{
	return subst_string(ud, json_string_value(s), ptr, len);
}

/* Adds one instance of the template at index `t` for `key`. */
static void add_instance(az_manifest_set *set, size_t t, const char *key, json_t *value,
                         az_diags *d)
{
	az_manifest *tm = &set->items[t];
	each_ctx c = {.map = tm->map, .key = key, .value = value,
	              .d = d, .ok = true};
	size_t first = d->len;
	json_t *body = json_deep_copy(tm->body);
	json_object_del(json_object_get(body, "metadata"), "forEach");
	az_mf_walk_body(body, subst_one, &c);
	if (!c.ok) {
		/* Said once, at the template's line; checking the instance
		 * further would only report the same expression again. */
		const char *name =
		    json_string_value(json_object_get(json_object_get(body, "metadata"), "name"));
		if (tm->kind && name) {
			char *address = az_xasprintf("%s/%s", tm->kind, name);
			az_diags_set_address(d, first, address);
			free(address);
		}
		json_decref(body);
		return;
	}
	const char *file = tm->file;
	int doc = tm->doc;
	az_pos pos = tm->pos;
	/* Inside a component instance: its instance, the commit it is pinned
	 * to, and the pointers its inputs from ${env} reached. */
	char *instance = tm->instance ? az_xstrdup(tm->instance) : NULL;
	const char *pin = tm->pin;
	json_t *sensitive = json_deep_copy(tm->sensitive);
	az_srcmap *map = az_srcmap_new();
	az_mf_map_copy(map, "", tm->map, "");
	az_manifest *m = az_mf_add_manifest(set); /* moves tm */
	m->file = file;
	m->doc = doc;
	m->pos = pos;
	m->body = body;
	m->map = map;
	m->sensitive = sensitive;
	m->instance = instance;
	m->pin = pin;
	m->each_key = az_xstrdup(key);
	az_mf_refresh_identity(m);
	az_diags_set_address(d, first, m->address);
}

/* Checks the template at index `t` and adds its instances. */
static int expand_one(az_manifest_set *set, size_t t, az_diags *d)
{
	az_manifest *tm = &set->items[t];
	json_t *meta = json_object_get(tm->body, "metadata");
	json_t *fe = json_object_get(meta, "forEach");
	const char *name = json_string_value(json_object_get(meta, "name"));
	const az_pos *fe_at = az_manifest_pos(tm, "/metadata/forEach");
	size_t first = d->len;
	int error = 0;

	if (!json_is_object(fe) && !json_is_array(fe)) {
		az_diag *dg = az_diag_add(d, AZ_SEV_ERROR, fe_at, NULL, "%s",
		                          "metadata.forEach is neither a mapping nor a list");
		az_diag_set_detail(dg, "%s",
		                   "write forEach: {team-a: {...}, team-b: {...}} or forEach: "
		                   "[team-a, team-b] (or a ${var.X} holding one)");
		error = AZ_EINVALID;
		goto done;
	}
	if (name && !strstr(name, "${each.key}") &&
	    !(json_is_array(fe) && strstr(name, "${each.value}"))) {
		char qn[AZ_QUOTE_SIZE];
		az_diag *dg = az_diag_add(d, AZ_SEV_ERROR, az_manifest_pos(tm, "/metadata/name"),
		                          NULL, "metadata.name '%s' of a forEach manifest does not "
		                          "use ${each.key}",
		                          az_quote(qn, name));
		az_diag_set_detail(dg, "%s",
		                   "each instance is addressed by its name, so the key must be in "
		                   "it: write e.g. name: spark-${each.key}");
		error = AZ_EINVALID;
		goto done;
	}
	json_t *seen = json_object();
	az_buf ptr = AZ_BUF_INIT;
	if (json_is_object(fe)) {
		const char *key;
		json_t *v;
		json_object_foreach(fe, key, v)
		{
			if (az_mf_plain_name(key))
				continue;
			az_pos at = az_mf_member_key_pos(tm->map, "/metadata/forEach", key);
			char qk[AZ_QUOTE_SIZE];
			az_diag *dg = az_diag_add(d, AZ_SEV_ERROR, &at, NULL,
			                          "forEach key '%s' has characters a name cannot hold",
			                          az_quote(qk, key));
			az_diag_set_detail(dg, "%s",
			                   "keys become part of addresses and references: use "
			                   "letters, digits, '-' and '_'");
			error = AZ_EINVALID;
		}
	} else {
		size_t i;
		json_t *v;
		json_array_foreach(fe, i, v)
		{
			az_buf_truncate(&ptr, 0);
			az_buf_puts(&ptr, "/metadata/forEach");
			az_mf_ptr_push_index(&ptr, i);
			const az_pos *at = az_manifest_pos(tm, ptr.data);
			char qk[AZ_QUOTE_SIZE];
			if (!json_is_string(v) || !az_mf_plain_name(json_string_value(v))) {
				az_diag *dg = az_diag_add(
				    d, AZ_SEV_ERROR, at, NULL, "%s",
				    "an element of a forEach list is not a name of letters, digits, "
				    "'-' and '_'");
				az_diag_set_detail(dg, "%s",
				                   "a list's elements are the instances' keys; for "
				                   "values that are mappings use a forEach mapping "
				                   "keyed by name");
				error = AZ_EINVALID;
			} else if (json_object_get(seen, json_string_value(v))) {
				az_diag_add(d, AZ_SEV_ERROR, at, NULL,
				            "forEach lists '%s' twice",
				            az_quote(qk, json_string_value(v)));
				error = AZ_EINVALID;
			} else {
				json_object_set_new(seen, json_string_value(v), json_true());
			}
		}
	}
	az_buf_free(&ptr);
	json_decref(seen);
	if (error)
		goto done;
	if (json_is_object(fe)) {
		const char *key;
		json_t *v;
		json_object_foreach(fe, key, v) add_instance(set, t, key, v, d);
	} else {
		size_t i;
		json_t *v;
		json_array_foreach(fe, i, v) add_instance(set, t, json_string_value(v), v, d);
	}
done:
	az_diags_set_address(d, first, set->items[t].address);
	return error;
}

int az_mf_foreach_expand(az_manifest_set *set, az_diags *d)
{
	size_t n = set->len, kept = 0;
	int error = 0;
	bool any = false;
	for (size_t i = 0; i < n; i++) {
		json_t *meta = json_object_get(set->items[i].body, "metadata");
		if (!json_object_get(meta, "forEach"))
			continue;
		any = true;
		if (expand_one(set, i, d))
			error = AZ_EINVALID;
	}
	if (!any)
		return 0;
	/* The templates leave the set; their instances stay. */
	for (size_t i = 0; i < set->len; i++) {
		az_manifest *m = &set->items[i];
		if (i < n && json_object_get(json_object_get(m->body, "metadata"), "forEach")) {
			az_mf_manifest_clear(m);
			continue;
		}
		set->items[kept++] = *m;
	}
	set->len = kept;
	return error;
}
