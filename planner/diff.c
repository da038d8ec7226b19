/*
 * diff.c - property-level comparison of a desired body with a live one.
 *
 * Everything here serves one promise: after an apply, the same manifest
 * plans as "No changes". The rules that make that true come from the kind
 * table (read-only, create-only, secret, case-insensitive, id and set
 * paths, server defaults) and from how ARM treats values (azure-notes.md):
 * locations compare without case or spaces, ids without case, a
 * roleDefinitionId in its subscription-scoped form equals the tenant form
 * Azure answers with, 3 equals 3.0. Objects compare only the keys the
 * manifest sets, so fields Azure adds (defaults, new API properties, the
 * `dependsOn: []` Synapse adds to activities) are never drift.
 */
#include <azapply/diff.h>
#include <azapply/planner.h>

#include <ctype.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* jansson's iteration takes non-const values; reading one is still reading. */
static json_t *unconst(const json_t *v)
{
	return (json_t *)(uintptr_t)v;
}

typedef struct diff_ctx {
	const az_kind *kind;
	const az_diff_options *opts;
	az_diff *out;
	az_buf path;    /* internal: properties.activities.0.name */
	az_buf display; /* for users: properties.activities[0].name */
	az_buf pointer; /* JSON Pointer into the desired body: /properties/activities/0/name */
	bool exists;    /* the resource exists: what Azure left out is at its default */
	bool secure;    /* at the value of a SecureString: a secret wherever it is */
} diff_ctx;

/* Segment-wise match; "*" matches any one segment. When `prefix` is true,
 * the pattern only has to match the first segments of the path. */
static bool match_segments(const char *pattern, const char *path, bool prefix)
{
	while (*pattern && *path) {
		size_t plen = strcspn(pattern, ".");
		size_t slen = strcspn(path, ".");
		bool star = plen == 1 && pattern[0] == '*';
		if (!star && (plen != slen || strncmp(pattern, path, plen) != 0))
			return false;
		pattern += plen;
		path += slen;
		if (*pattern == '.')
			pattern++;
		if (*path == '.')
			path++;
	}
	return *pattern == '\0' && (prefix || *path == '\0');
}

bool az_path_matches(const char *pattern, const char *path)
{
	return match_segments(pattern, path, false);
}

bool az_path_in(const char *const *patterns, const char *path)
{
	for (size_t i = 0; patterns && patterns[i]; i++)
		if (az_path_matches(patterns[i], path))
			return true;
	return false;
}

/* A pattern that covers the path or anything under it. */
static bool path_under(const char *const *patterns, const char *path)
{
	for (size_t i = 0; patterns && patterns[i]; i++)
		if (match_segments(patterns[i], path, true))
			return true;
	return false;
}

/* A pattern at or under the path: a change to the whole object at `path`
 * also changes the create-only property inside it. */
static bool path_over(const char *const *patterns, const char *path)
{
	for (size_t i = 0; patterns && patterns[i]; i++)
		if (match_segments(path, patterns[i], true) || match_segments(patterns[i], path, true))
			return true;
	return false;
}

static bool json_paths_cover(const json_t *paths, const char *path)
{
	size_t i;
	json_t *v;
	json_array_foreach(paths, i, v) {
		const char *p = json_string_value(v);
		if (p && match_segments(p, path, true))
			return true;
	}
	return false;
}

static bool json_paths_has(const json_t *paths, const char *path)
{
	size_t i;
	json_t *v;
	json_array_foreach(paths, i, v) {
		const char *p = json_string_value(v);
		if (p && strcmp(p, path) == 0)
			return true;
	}
	return false;
}

char *az_normalize_location(const char *location)
{
	char *out = az_xmalloc(strlen(location) + 1);
	size_t n = 0;
	for (const char *p = location; *p; p++)
		if (!isspace((unsigned char)*p))
			out[n++] = (char)tolower((unsigned char)*p);
	out[n] = '\0';
	return out;
}

static bool is_location_path(const char *path)
{
	const char *last = strrchr(path, '.');
	return strcmp(last ? last + 1 : path, "location") == 0;
}

/* Ids compare without case and without a trailing slash. A role
 * definition id is the same role whether written at subscription scope or
 * in the tenant form Azure answers with (azure-notes.md). */
static const char *find_nocase(const char *haystack, const char *needle)
{
	size_t n = strlen(needle);
	for (; *haystack; haystack++)
		if (strncasecmp(haystack, needle, n) == 0)
			return haystack;
	return NULL;
}

static bool ids_equal(const char *a, const char *b)
{
	static const char role_defs[] = "/providers/microsoft.authorization/roledefinitions/";
	const char *ra = find_nocase(a, role_defs), *rb = find_nocase(b, role_defs);
	if (ra && rb) {
		a = ra;
		b = rb;
	}
	size_t la = strlen(a), lb = strlen(b);
	while (la > 0 && a[la - 1] == '/')
		la--;
	while (lb > 0 && b[lb - 1] == '/')
		lb--;
	return la == lb && strncasecmp(a, b, la) == 0;
}

static bool strings_equal(const az_kind *kind, const char *path, const char *a, const char *b)
{
	if (strcmp(a, b) == 0)
		return true;
	if (is_location_path(path)) {
		char *na = az_normalize_location(a), *nb = az_normalize_location(b);
		bool eq = strcmp(na, nb) == 0;
		free(na);
		free(nb);
		return eq;
	}
	if (kind && az_path_in(kind->id_paths, path))
		return ids_equal(a, b);
	if (kind && az_path_in(kind->case_insensitive_paths, path))
		return strcasecmp(a, b) == 0;
	return false;
}

static bool set_equal(const az_kind *kind, const char *path, const json_t *a, const json_t *b);

bool az_values_equal(const az_kind *kind, const char *path, const json_t *a, const json_t *b)
{
	if (!a || !b)
		return a == b;
	if (json_is_number(a) && json_is_number(b))
		return json_number_value(a) == json_number_value(b);
	if (json_is_string(a) && json_is_string(b))
		return strings_equal(kind, path, json_string_value(a), json_string_value(b));
	if (json_is_object(a) && json_is_object(b)) {
		const char *key;
		json_t *va;
		json_object_foreach(unconst(a), key, va) {
			char *sub = az_xasprintf("%s%s%s", path, *path ? "." : "", key);
			bool eq = (kind && az_path_in(kind->read_only_paths, sub)) ||
				  az_values_equal(kind, sub, va, json_object_get(b, key));
			free(sub);
			if (!eq)
				return false;
		}
		return true;
	}
	if (json_is_array(a) && json_is_array(b)) {
		if (json_array_size(a) != json_array_size(b))
			return false;
		if (kind && az_path_in(kind->set_paths, path))
			return set_equal(kind, path, a, b);
		for (size_t i = 0; i < json_array_size(a); i++) {
			char *sub = az_xasprintf("%s%s%zu", path, *path ? "." : "", i);
			bool eq = az_values_equal(kind, sub, json_array_get(a, i), json_array_get(b, i));
			free(sub);
			if (!eq)
				return false;
		}
		return true;
	}
	return json_equal(unconst(a), unconst(b));
}

/* Multiset comparison: every desired element matches a distinct live one. */
static bool set_equal(const az_kind *kind, const char *path, const json_t *a, const json_t *b)
{
	size_t n = json_array_size(a);
	bool *used = az_xcalloc(n ? n : 1, sizeof(bool));
	char *sub = az_xasprintf("%s.*", path);
	bool all = true;
	for (size_t i = 0; i < n && all; i++) {
		bool found = false;
		for (size_t j = 0; j < n && !found; j++) {
			if (!used[j] && az_values_equal(kind, sub, json_array_get(a, i), json_array_get(b, j)))
				used[j] = found = true;
		}
		all = found;
	}
	free(sub);
	free(used);
	return all;
}

#define DIGEST_BITS 512

/* FNV-1a, 64 bits, split into three bit positions (double hashing): a
 * Bloom filter needs spread, not secrecy, and this runs for every property
 * of every resource in a plan. */
static void digest_bits(const char *path, unsigned int bits[3])
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		h ^= *p;
		h *= 0x100000001b3ull;
	}
	uint32_t a = (uint32_t)h, b = (uint32_t)(h >> 32) | 1u;
	for (unsigned int i = 0; i < 3; i++)
		bits[i] = (a + i * b) % DIGEST_BITS;
}

static void digest_walk(const json_t *v, az_buf *path, unsigned char *bloom)
{
	if (path->len) {
		unsigned int bits[3];
		digest_bits(path->data, bits);
		for (int i = 0; i < 3; i++)
			bloom[bits[i] / 8] |= (unsigned char)(1u << (bits[i] % 8));
	}
	size_t mark = path->len;
	const char *key;
	json_t *child;
	size_t i;
	if (json_is_object(v)) {
		json_object_foreach(unconst(v), key, child) {
			if (mark)
				az_buf_putc(path, '.');
			az_buf_puts(path, key);
			digest_walk(child, path, bloom);
			az_buf_truncate(path, mark);
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, child) {
			if (mark)
				az_buf_putc(path, '.');
			az_buf_put_size(path, i);
			digest_walk(child, path, bloom);
			az_buf_truncate(path, mark);
		}
	}
}

char *az_paths_digest(const json_t *body)
{
	unsigned char bloom[DIGEST_BITS / 8] = {0};
	az_buf path = AZ_BUF_INIT;
	az_buf_puts(&path, "");
	digest_walk(body, &path, bloom);
	az_buf_free(&path);
	static const char digits[] = "0123456789abcdef";
	char *hex = az_xmalloc(DIGEST_BITS / 4 + 1);
	for (size_t i = 0; i < DIGEST_BITS / 8; i++) {
		hex[2 * i] = digits[bloom[i] >> 4];
		hex[2 * i + 1] = digits[bloom[i] & 15];
	}
	hex[DIGEST_BITS / 4] = '\0';
	return hex;
}

bool az_paths_digest_has(const char *digest, const char *path)
{
	if (!digest || strlen(digest) != DIGEST_BITS / 4)
		return true; /* no usable digest: assume it was set */
	unsigned int bits[3];
	digest_bits(path, bits);
	for (int i = 0; i < 3; i++) {
		char c = digest[2 * (bits[i] / 8) + (bits[i] % 8 < 4 ? 1 : 0)];
		int nibble = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
		if (nibble < 0 || !(nibble & (1 << (bits[i] % 4))))
			return false;
	}
	return true;
}

static bool is_unknown(const json_t *v)
{
	return json_is_string(v) && strstr(json_string_value(v), "${ref.") != NULL;
}

static bool contains_unknown(const json_t *v)
{
	if (is_unknown(v))
		return true;
	const char *key;
	json_t *child;
	size_t i;
	if (json_is_object(v)) {
		json_object_foreach(unconst(v), key, child) if (contains_unknown(child)) return true;
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, child) if (contains_unknown(child)) return true;
	}
	return false;
}

/* True when `inner` is `outer` or a pointer below it. */
static bool pointer_within(const char *inner, const char *outer)
{
	size_t n = strlen(outer);
	return strncmp(inner, outer, n) == 0 && (inner[n] == '\0' || inner[n] == '/');
}

static bool is_sensitive(diff_ctx *c)
{
	if (c->secure)
		return true;
	if (c->kind && path_under(c->kind->secret_paths, c->path.data))
		return true;
	const json_t *ptrs = c->opts ? c->opts->sensitive_pointers : NULL;
	size_t i;
	json_t *v;
	json_array_foreach(ptrs, i, v) {
		const char *p = json_string_value(v);
		/* The value itself, inside it, or a change that contains it. */
		if (p && (pointer_within(c->pointer.data, p) || pointer_within(p, c->pointer.data)))
			return true;
	}
	return false;
}

az_change *az_diff_add(az_diff *d, az_change_op op, const char *path, const json_t *before,
		       const json_t *after)
{
	if (d->len == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 8;
		d->items = az_xrealloc(d->items, d->cap * sizeof(*d->items));
	}
	az_change *ch = &d->items[d->len++];
	memset(ch, 0, sizeof(*ch));
	ch->op = op;
	ch->path = az_xstrdup(path);
	ch->before = before ? json_deep_copy(before) : NULL;
	ch->after = after ? json_deep_copy(after) : NULL;
	return ch;
}

static void add_change(diff_ctx *c, az_change_op op, const json_t *before, const json_t *after)
{
	bool unknown = after && contains_unknown(after);
	az_change *ch = az_diff_add(c->out, op, c->display.data ? c->display.data : "", before,
				    unknown ? NULL : after);
	ch->unknown = unknown;
	ch->sensitive = is_sensitive(c);
	ch->forces_replace = c->kind && op != AZ_CHANGE_REMOVE &&
			     path_over(c->kind->create_only_paths, c->path.data);
}

static const char *server_default(const az_kind *kind, const char *path)
{
	for (const az_server_default *d = kind ? kind->server_defaults : NULL; d && d->path; d++)
		if (az_path_matches(d->path, path))
			return d->value;
	return NULL;
}

/* Enters a child: returns the lengths to restore. */
typedef struct mark {
	size_t path, display, pointer;
} mark;

static mark push_key(diff_ctx *c, const char *key)
{
	mark m = {c->path.len, c->display.len, c->pointer.len};
	if (c->path.len)
		az_buf_putc(&c->path, '.');
	az_buf_puts(&c->path, key);
	if (c->display.len)
		az_buf_putc(&c->display, '.');
	az_buf_puts(&c->display, key);
	az_pointer_push(&c->pointer, key);
	return m;
}

static mark push_index(diff_ctx *c, size_t i)
{
	mark m = {c->path.len, c->display.len, c->pointer.len};
	if (c->path.len)
		az_buf_putc(&c->path, '.');
	az_buf_put_size(&c->path, i);
	az_buf_putc(&c->display, '[');
	az_buf_put_size(&c->display, i);
	az_buf_putc(&c->display, ']');
	az_pointer_push_index(&c->pointer, i);
	return m;
}

static void pop(diff_ctx *c, mark m)
{
	az_buf_truncate(&c->path, m.path);
	az_buf_truncate(&c->display, m.display);
	az_buf_truncate(&c->pointer, m.pointer);
}

static bool is_default_value(diff_ctx *c, const json_t *live)
{
	const char *def = server_default(c->kind, c->path.data);
	if (!def)
		return false;
	json_t *v = az_json_loadb(def, strlen(def), JSON_DECODE_ANY, NULL);
	bool eq = az_values_equal(c->kind, c->path.data, v, live);
	json_decref(v);
	return eq;
}

static void diff_value(diff_ctx *c, const json_t *desired, const json_t *live);

static bool is_empty_container(const json_t *v)
{
	return (json_is_object(v) && json_object_size(v) == 0) ||
	       (json_is_array(v) && json_array_size(v) == 0);
}

/* A resource's tags are the manifest's, wholesale: a PUT replaces them
 * all, so a tag added outside azapply is a difference (the next apply
 * removes it) even though azapply never set that key. */
static bool is_tags_path(const char *path)
{
	return strncmp(path, "tags", 4) == 0 && (path[4] == '\0' || path[4] == '.');
}

static void diff_object(diff_ctx *c, const json_t *desired, const json_t *live)
{
	const char *key;
	json_t *dv;
	/* Synapse stores a SecureString's value encrypted and answers with
	 * "**********" (azure-notes.md): like a secret path, it is compared by
	 * the salted hash in the marker, never by value. */
	const char *type = json_string_value(json_object_get(desired, "type"));
	bool secure_string = type && strcmp(type, "SecureString") == 0;
	json_object_foreach(unconst(desired), key, dv) {
		mark m = push_key(c, key);
		if (secure_string && strcmp(key, "value") == 0) {
			c->secure = true;
			if (!(c->opts && json_paths_has(c->opts->secrets_unchanged, AZ_SECURE_STRINGS)))
				add_change(c, json_object_get(live, key) ? AZ_CHANGE_MODIFY : AZ_CHANGE_ADD,
					   json_object_get(live, key), dv);
			c->secure = false;
		} else {
			diff_value(c, dv, json_object_get(live, key));
		}
		pop(c, m);
	}
	if (!c->opts)
		return;
	json_t *lv;
	json_object_foreach(unconst(live), key, lv) {
		if (json_object_get(desired, key))
			continue;
		mark m = push_key(c, key);
		/* Removals from the manifest are reported once it changed since
		 * the last apply; ARM tags (an object) are the manifest's
		 * wholesale, always. Graph's tags are an array of strings the
		 * service fills in ([] on every new application), not those. */
		bool arm_tags = is_tags_path(c->path.data) &&
				(strcmp(c->path.data, "tags") != 0 || json_is_object(lv));
		if (!c->opts->report_removed && !arm_tags) {
			pop(c, m);
			continue;
		}
		/* Not a removal: what the server fills in when the resource is
		 * created (a create-only property, the resource's own name) stays
		 * whatever the manifest says now. */
		bool skip = (c->kind && az_path_in(c->kind->read_only_paths, c->path.data)) ||
			    (c->kind && path_over(c->kind->create_only_paths, c->path.data)) ||
			    strcmp(c->path.data, "name") == 0 ||
			    (c->opts->set_before && !az_paths_digest_has(c->opts->set_before, c->path.data) &&
			     !arm_tags) ||
			    (c->opts->ignore_paths && json_paths_cover(c->opts->ignore_paths, c->path.data)) ||
			    is_default_value(c, lv) || json_is_null(lv);
		if (!skip)
			add_change(c, AZ_CHANGE_REMOVE, lv, NULL);
		pop(c, m);
	}
}

static void diff_value(diff_ctx *c, const json_t *desired, const json_t *live)
{
	const char *path = c->path.data ? c->path.data : "";
	if (c->opts && c->opts->ignore_paths && json_paths_cover(c->opts->ignore_paths, path))
		return;
	if (c->kind && az_path_in(c->kind->read_only_paths, path))
		return;
	if (c->kind && path_under(c->kind->secret_paths, path)) {
		/* Azure never returns it: the salted hash in the marker decides. */
		if (!(c->opts && json_paths_has(c->opts->secrets_unchanged, path)))
			add_change(c, live ? AZ_CHANGE_MODIFY : AZ_CHANGE_ADD, live, desired);
		return;
	}
	json_t *defaulted = NULL;
	if (!live && c->exists) {
		const char *def = server_default(c->kind, path);
		if (def)
			live = defaulted = az_json_loadb(def, strlen(def), JSON_DECODE_ANY, NULL);
	}
	if (json_is_object(desired) &&
	    (json_is_object(live) || (!live && json_object_size(desired) > 0))) {
		/* Leaf by leaf, so one secret or unknown value inside does not
		 * hide its siblings, and each create-only property is flagged
		 * where it is. */
		diff_object(c, desired, live);
	} else if (contains_unknown(desired)) {
		add_change(c, live ? AZ_CHANGE_MODIFY : AZ_CHANGE_ADD, live, desired);
	} else if (!live && c->exists && is_empty_container(desired)) {
		/* Absent and empty are the same collection: services leave
		 * empty ones out, and stripping the marker drops a `tags` it
		 * emptied (GetBigDataPool.json has `"tags": {}`). */
	} else if (!live) {
		add_change(c, AZ_CHANGE_ADD, NULL, desired);
	} else if (json_is_array(desired) && json_is_array(live) &&
		   json_array_size(desired) == json_array_size(live) &&
		   !(c->kind && az_path_in(c->kind->set_paths, path))) {
		for (size_t i = 0; i < json_array_size(desired); i++) {
			mark m = push_index(c, i);
			diff_value(c, json_array_get(desired, i), json_array_get(live, i));
			pop(c, m);
		}
	} else if (!az_values_equal(c->kind, path, desired, live)) {
		add_change(c, AZ_CHANGE_MODIFY, live, desired);
	}
	json_decref(defaulted);
}

void az_diff_compute(az_diff *out, const az_kind *kind, const json_t *desired, const json_t *live,
		     const az_diff_options *opts)
{
	diff_ctx c = {.kind = kind, .opts = opts, .out = out, .exists = live != NULL};
	az_buf_puts(&c.path, "");
	az_buf_puts(&c.display, "");
	az_buf_puts(&c.pointer, "");
	if (json_is_object(desired) && json_is_object(live))
		diff_object(&c, desired, live);
	else
		diff_value(&c, desired, live);
	az_buf_free(&c.path);
	az_buf_free(&c.display);
	az_buf_free(&c.pointer);
}

const az_change *az_diff_replace_reason(const az_diff *d)
{
	for (size_t i = 0; i < d->len; i++)
		if (d->items[i].forces_replace)
			return &d->items[i];
	return NULL;
}

void az_diff_clear(az_diff *d)
{
	for (size_t i = 0; i < d->len; i++) {
		free(d->items[i].path);
		json_decref(d->items[i].before);
		json_decref(d->items[i].after);
	}
	free(d->items);
	d->items = NULL;
	d->len = d->cap = 0;
}
