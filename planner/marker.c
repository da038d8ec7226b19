/*
 * marker.c - the ownership marker: how azapply knows what it owns without a
 * state file (Azure is the state).
 *
 * Each kind keeps the marker where it has room (kind table, az_marker):
 *   tags         azapply-stack, azapply-fingerprint, azapply-secrets,
 *                azapply-prevent-destroy, azapply-commit (ARM resources with tags)
 *   metadata     properties.metadata azapply_stack, ... (blob containers have
 *                no tags; metadata keys must be identifiers)
 *   description  "Managed by azapply: stack=S; fingerprint=F" (role assignments)
 *   annotations  "azapply-stack=S", "azapply-fingerprint=F" (Synapse artifacts)
 *   notes        "azapply-stack=S; azapply-fingerprint=F" (Graph objects)
 * The fingerprint is a hash of the last applied body without secrets; the
 * secrets get a salted, slow hash (PBKDF2-HMAC-SHA256), so a changed secret
 * is noticed without its value ever being stored or shown.
 *
 * azapply-commit (azapply_commit in metadata) is provenance: the git commit
 * that last applied the resource, "-dirty" appended when the files applied
 * differed from it. It is written on apply and read by drift, but left out
 * of the fingerprint, so a new commit with the same manifests plans nothing.
 */
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <azapply/git.h>

#include "engine.h"

#define PBKDF2_ITERATIONS 100000
#define DESCRIPTION_PREFIX "Managed by azapply: "

void az_marker_info_free(az_marker_info *m)
{
	free(m->stack);
	free(m->fingerprint);
	free(m->secrets);
	free(m->commit);
	free(m->paths);
	memset(m, 0, sizeof(*m));
}

/* Reads "k=v" pairs separated by ';' (description, notes). */
static void parse_pairs(az_marker_info *m, const char *s)
{
	while (s && *s) {
		while (*s == ' ' || *s == ';')
			s++;
		size_t len = strcspn(s, ";");
		const char *eq = memchr(s, '=', len);
		if (eq) {
			size_t klen = (size_t)(eq - s);
			char *value = az_xstrndup(eq + 1, len - klen - 1);
			if (klen == 13 && strncmp(s, "azapply-stack", 13) == 0) {
				free(m->stack);
				m->stack = value;
			} else if (klen == 19 && strncmp(s, "azapply-fingerprint", 19) == 0) {
				free(m->fingerprint);
				m->fingerprint = value;
			} else if (klen == 15 && strncmp(s, "azapply-secrets", 15) == 0) {
				free(m->secrets);
				m->secrets = value;
			} else if (klen == 14 && strncmp(s, "azapply-commit", 14) == 0) {
				free(m->commit);
				m->commit = value;
			} else if (klen == 13 && strncmp(s, "azapply-paths", 13) == 0) {
				free(m->paths);
				m->paths = value;
			} else {
				free(value);
			}
		} else if (len == 23 && strncmp(s, "azapply-prevent-destroy", 23) == 0) {
			m->prevent_destroy = true;
		}
		s += len;
	}
}

static const char *str_at(const json_t *o, const char *a, const char *b)
{
	json_t *v = json_object_get(o, a);
	return json_string_value(b ? json_object_get(v, b) : v);
}

void az_marker_read(az_marker_info *out, const az_kind *kind, const json_t *live)
{
	memset(out, 0, sizeof(*out));
	json_t *props = json_object_get(live, "properties");
	switch (kind->marker) {
	case AZ_MARKER_TAGS:
	case AZ_MARKER_METADATA: {
		bool tags = kind->marker == AZ_MARKER_TAGS;
		json_t *bag = tags ? json_object_get(live, "tags") : json_object_get(props, "metadata");
		const char *stack = str_at(bag, tags ? "azapply-stack" : "azapply_stack", NULL);
		if (!stack)
			return;
		out->stack = az_xstrdup(stack);
		const char *fp = str_at(bag, tags ? "azapply-fingerprint" : "azapply_fingerprint", NULL);
		const char *sec = str_at(bag, tags ? "azapply-secrets" : "azapply_secrets", NULL);
		const char *paths = str_at(bag, tags ? "azapply-paths" : "azapply_paths", NULL);
		out->paths = paths ? az_xstrdup(paths) : NULL;
		const char *commit = str_at(bag, tags ? "azapply-commit" : "azapply_commit", NULL);
		out->fingerprint = fp ? az_xstrdup(fp) : NULL;
		out->secrets = sec ? az_xstrdup(sec) : NULL;
		out->commit = commit ? az_xstrdup(commit) : NULL;
		out->prevent_destroy =
			str_at(bag, tags ? "azapply-prevent-destroy" : "azapply_prevent_destroy", NULL) != NULL;
		break;
	}
	case AZ_MARKER_DESCRIPTION: {
		const char *d = str_at(props, "description", NULL);
		if (d && strncmp(d, DESCRIPTION_PREFIX, strlen(DESCRIPTION_PREFIX)) == 0)
			parse_pairs(out, d + strlen(DESCRIPTION_PREFIX));
		break;
	}
	case AZ_MARKER_NOTES:
		parse_pairs(out, str_at(live, "notes", NULL));
		break;
	case AZ_MARKER_ANNOTATIONS: {
		size_t i;
		json_t *v;
		json_array_foreach(json_object_get(props, "annotations"), i, v) {
			const char *a = json_string_value(v);
			if (a && strncmp(a, "azapply-", 8) == 0)
				parse_pairs(out, a);
		}
		break;
	}
	case AZ_MARKER_NONE:
		break;
	}
	out->present = out->stack != NULL;
}

static json_t *object_at(json_t *parent, const char *key)
{
	json_t *o = json_object_get(parent, key);
	if (!json_is_object(o)) {
		o = json_object();
		json_object_set_new(parent, key, o);
	}
	return o;
}

void az_marker_strip(const az_kind *kind, json_t *body)
{
	json_t *props = json_object_get(body, "properties");
	switch (kind->marker) {
	case AZ_MARKER_TAGS:
	case AZ_MARKER_METADATA: {
		bool tags = kind->marker == AZ_MARKER_TAGS;
		json_t *bag = tags ? json_object_get(body, "tags") : json_object_get(props, "metadata");
		if (!json_is_object(bag))
			return;
		const char *keys[] = {"azapply-stack", "azapply-fingerprint", "azapply-secrets",
				      "azapply-prevent-destroy", "azapply-commit", "azapply-paths",
				      "azapply_paths", "azapply_stack",
				      "azapply_fingerprint", "azapply_secrets", "azapply_prevent_destroy",
				      "azapply_commit"};
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			json_object_del(bag, keys[i]);
		if (json_object_size(bag) == 0)
			json_object_del(tags ? body : props, tags ? "tags" : "metadata");
		break;
	}
	case AZ_MARKER_DESCRIPTION: {
		const char *d = str_at(props, "description", NULL);
		if (d && strncmp(d, DESCRIPTION_PREFIX, strlen(DESCRIPTION_PREFIX)) == 0)
			json_object_del(props, "description");
		break;
	}
	case AZ_MARKER_NOTES: {
		const char *n = str_at(body, "notes", NULL);
		if (n && strncmp(n, "azapply-stack=", 14) == 0)
			json_object_del(body, "notes");
		break;
	}
	case AZ_MARKER_ANNOTATIONS: {
		json_t *arr = json_object_get(props, "annotations");
		for (size_t i = json_array_size(arr); i-- > 0;) {
			const char *a = json_string_value(json_array_get(arr, i));
			if (a && strncmp(a, "azapply-", 8) == 0)
				json_array_remove(arr, i);
		}
		break;
	}
	case AZ_MARKER_NONE:
		break;
	}
}

void az_marker_write(const az_kind *kind, json_t *body, const az_marker_info *m)
{
	json_t *props = json_object_get(body, "properties");
	switch (kind->marker) {
	case AZ_MARKER_TAGS:
	case AZ_MARKER_METADATA: {
		bool tags = kind->marker == AZ_MARKER_TAGS;
		if (!tags && !props) {
			props = json_object();
			json_object_set_new(body, "properties", props);
		}
		json_t *bag = object_at(tags ? body : props, tags ? "tags" : "metadata");
		json_object_set_new(bag, tags ? "azapply-stack" : "azapply_stack", json_string(m->stack));
		json_object_set_new(bag, tags ? "azapply-fingerprint" : "azapply_fingerprint",
				    json_string(m->fingerprint));
		if (m->secrets)
			json_object_set_new(bag, tags ? "azapply-secrets" : "azapply_secrets",
					    json_string(m->secrets));
		if (m->prevent_destroy)
			json_object_set_new(bag, tags ? "azapply-prevent-destroy" : "azapply_prevent_destroy",
					    json_string("true"));
		if (m->commit)
			json_object_set_new(bag, tags ? "azapply-commit" : "azapply_commit",
					    json_string(m->commit));
		if (m->paths)
			json_object_set_new(bag, tags ? "azapply-paths" : "azapply_paths",
					    json_string(m->paths));
		break;
	}
	case AZ_MARKER_DESCRIPTION:
	case AZ_MARKER_NOTES: {
		az_buf s = AZ_BUF_INIT;
		if (kind->marker == AZ_MARKER_DESCRIPTION)
			az_buf_puts(&s, DESCRIPTION_PREFIX);
		az_buf_printf(&s, "azapply-stack=%s; azapply-fingerprint=%s", m->stack, m->fingerprint);
		if (m->prevent_destroy)
			az_buf_puts(&s, "; azapply-prevent-destroy");
		if (m->commit)
			az_buf_printf(&s, "; azapply-commit=%s", m->commit);
		if (m->paths)
			az_buf_printf(&s, "; azapply-paths=%s", m->paths);
		if (m->secrets)
			az_buf_printf(&s, "; azapply-secrets=%s", m->secrets);
		if (kind->marker == AZ_MARKER_DESCRIPTION) {
			if (!props) {
				props = json_object();
				json_object_set_new(body, "properties", props);
			}
			json_object_set_new(props, "description", json_string(s.data));
		} else {
			json_object_set_new(body, "notes", json_string(s.data));
		}
		az_buf_free(&s);
		break;
	}
	case AZ_MARKER_ANNOTATIONS: {
		if (!props) {
			props = json_object();
			json_object_set_new(body, "properties", props);
		}
		json_t *arr = json_object_get(props, "annotations");
		if (!json_is_array(arr)) {
			arr = json_array();
			json_object_set_new(props, "annotations", arr);
		}
		char *a = az_xasprintf("azapply-stack=%s", m->stack);
		json_array_append_new(arr, json_string(a));
		free(a);
		a = az_xasprintf("azapply-fingerprint=%s", m->fingerprint);
		json_array_append_new(arr, json_string(a));
		free(a);
		if (m->prevent_destroy)
			json_array_append_new(arr, json_string("azapply-prevent-destroy"));
		if (m->paths) {
			a = az_xasprintf("azapply-paths=%s", m->paths);
			json_array_append_new(arr, json_string(a));
			free(a);
		}
		if (m->secrets) {
			a = az_xasprintf("azapply-secrets=%s", m->secrets);
			json_array_append_new(arr, json_string(a));
			free(a);
		}
		if (m->commit) {
			a = az_xasprintf("azapply-commit=%s", m->commit);
			json_array_append_new(arr, json_string(a));
			free(a);
		}
		break;
	}
	case AZ_MARKER_NONE:
		break;
	}
}

static void hex(char *out, const unsigned char *in, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}


/* SecureString values are secrets: a fast hash must not cover them. */
static void drop_secure_strings(json_t *v)
{
	const char *key;
	json_t *child;
	size_t i;
	if (json_is_object(v)) {
		const char *type = json_string_value(json_object_get(v, "type"));
		if (type && strcmp(type, "SecureString") == 0) {
			json_object_del(v, "value");
			return;
		}
		json_object_foreach(v, key, child) drop_secure_strings(child);
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, child) drop_secure_strings(child);
	}
}

char *az_fingerprint(const az_kind *kind, const json_t *body)
{
	json_t *copy = json_deep_copy(body);
	az_marker_strip(kind, copy);
	drop_secure_strings(copy);
	for (const char *const *p = kind->secret_paths; p && *p; p++)
		az_json_remove_at(copy, *p);
	char *canonical = json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	json_decref(copy);
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	EVP_Digest(canonical, strlen(canonical), digest, &len, EVP_sha256(), NULL);
	free(canonical);
	/* 128 bits is plenty to notice a change and fits every marker. */
	char out[33];
	hex(out, digest, 16);
	return az_xstrdup(out);
}

/* Every SecureString value, with its path, in document order. */
static bool collect_secure_strings(const json_t *v, az_buf *path, az_buf *out)
{
	bool any = false;
	size_t mark = path->len;
	const char *key;
	json_t *child;
	size_t i;
	if (json_is_object(v)) {
		const char *type = json_string_value(json_object_get(v, "type"));
		const char *value = json_string_value(json_object_get(v, "value"));
		if (type && strcmp(type, "SecureString") == 0 && value) {
			az_buf_printf(out, "%s.value=%s\n", path->data, value);
			return true;
		}
		json_object_foreach((json_t *)(uintptr_t)v, key, child) {
			az_buf_printf(path, ".%s", key);
			any |= collect_secure_strings(child, path, out);
			az_buf_truncate(path, mark);
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, child) {
			az_buf_printf(path, ".%zu", i);
			any |= collect_secure_strings(child, path, out);
			az_buf_truncate(path, mark);
		}
	}
	return any;
}

/* The secrets of a body in kind order, joined: what the salted hash covers. */
static bool collect_secrets(const az_kind *kind, const json_t *body, az_buf *out)
{
	az_buf path = AZ_BUF_INIT;
	az_buf_puts(&path, "");
	bool any = collect_secure_strings(body, &path, out);
	az_buf_free(&path);
	for (const char *const *p = kind->secret_paths; p && *p; p++) {
		const json_t *v = az_json_at(body, *p);
		if (!json_is_string(v))
			continue;
		az_buf_puts(out, *p);
		az_buf_putc(out, '=');
		az_buf_puts(out, json_string_value(v));
		az_buf_putc(out, '\n');
		any = true;
	}
	return any;
}

static void pbkdf2(const char *secret, size_t len, const unsigned char *salt, unsigned char *out)
{
	PKCS5_PBKDF2_HMAC(secret, (int)len, salt, 16, PBKDF2_ITERATIONS, EVP_sha256(), 32, out);
}

char *az_secrets_hash(const az_kind *kind, const json_t *body)
{
	az_buf s = AZ_BUF_INIT;
	if (!collect_secrets(kind, body, &s))
		return NULL;
	unsigned char salt[16], hash[32];
	if (RAND_bytes(salt, sizeof(salt)) != 1)
		abort();
	pbkdf2(s.data, s.len, salt, hash);
	OPENSSL_cleanse(s.data, s.len);
	az_buf_free(&s);
	char salt_hex[33], hash_hex[65];
	hex(salt_hex, salt, 16);
	hex(hash_hex, hash, 32);
	/* Tag values are limited to 256 characters: 16 + 32 bytes in hex fit. */
	return az_xasprintf("pbkdf2:%s:%s", salt_hex, hash_hex);
}

bool az_secrets_match(const az_kind *kind, const json_t *body, const char *stored)
{
	if (!stored || strncmp(stored, "pbkdf2:", 7) != 0 || strlen(stored) != 7 + 32 + 1 + 64)
		return false;
	unsigned char salt[16], hash[32];
	for (size_t i = 0; i < 16; i++) {
		unsigned int b;
		if (sscanf(stored + 7 + 2 * i, "%2x", &b) != 1)
			return false;
		salt[i] = (unsigned char)b;
	}
	az_buf s = AZ_BUF_INIT;
	if (!collect_secrets(kind, body, &s))
		return false;
	pbkdf2(s.data, s.len, salt, hash);
	OPENSSL_cleanse(s.data, s.len);
	az_buf_free(&s);
	char hash_hex[65];
	hex(hash_hex, hash, 32);
	return CRYPTO_memcmp(hash_hex, stored + 7 + 33, 64) == 0;
}

void az_plan_set_provenance(az_plan *plan, const char *label)
{
	if (!label)
		return;
	for (size_t i = 0; i < plan->len; i++) {
		az_plan_item *it = &plan->items[i];
		if (!it->desired || !it->kind || it->kind->marker == AZ_MARKER_NONE)
			continue;
		az_marker_info m;
		az_marker_read(&m, it->kind, it->desired);
		if (m.present) {
			/* Strip first: annotations are appended, not replaced. */
			free(m.commit);
			m.commit = az_xstrdup(label);
			az_marker_strip(it->kind, it->desired);
			az_marker_write(it->kind, it->desired, &m);
		}
		az_marker_info_free(&m);
	}
}

char *az_plan_item_commit(const az_plan_item *it)
{
	if (!it->live || !it->kind)
		return NULL;
	az_marker_info m;
	az_marker_read(&m, it->kind, it->live);
	char *commit = m.commit;
	m.commit = NULL;
	az_marker_info_free(&m);
	return commit;
}
