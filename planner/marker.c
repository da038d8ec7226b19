/*
 * marker.c - the ownership marker: how azapply knows what it owns without a
 * state file (Azure is the state).
 *
 * Each kind keeps the marker where it has room (kind table, az_marker):
 *   tags         azapply-stack, azapply-fingerprint, azapply-secrets,
 *                azapply-prevent-destroy, azapply-commit (ARM resources with tags),
 *                azapply-apiversion (ArmResource kinds: any type, by api-version)
 *   metadata     properties.metadata azapply_stack, ... (blob containers have
 *                no tags; metadata keys must be identifiers)
 *   description  "Managed by azapply: stack=S; fingerprint=F" (role assignments)
 *   annotations  "azapply-stack=S", "azapply-fingerprint=F" (Synapse artifacts)
 *   notes        "azapply-stack=S; azapply-fingerprint=F" (Graph objects)
 * Every marker names exactly one stack instance: the stack, the
 * environment (azapply-env) and the subscription it was applied in
 * (azapply-subscription), so dev and prod of one stack in one subscription,
 * or one stack's dev in two subscriptions of one tenant (Graph objects are
 * tenant-wide), never take each other's resources for their own. It also
 * records the address the resource was declared under (azapply-address).
 * Markers written before instances had an identity carry no environment:
 * they are read as "this stack, environment unknown" (AZ_OWNED_LEGACY),
 * re-marked by a plan of the environment that declares them, and never
 * pruned.
 *
 * The fingerprint is a hash of the last applied body without secrets; the
 * secrets get a salted, slow hash (PBKDF2-HMAC-SHA256), so a changed secret
 * is noticed without its value ever being stored or shown.
 *
 * azapply-commit (azapply_commit in metadata) is provenance: the git commit
 * that last applied the resource, "-dirty" appended when the files applied
 * differed from it, and "+COMMIT" after that for a resource of a component
 * pinned to a commit ({git: REF, path: PATH}): its body came from both. It is written on apply and read by drift, but left out
 * of the fingerprint, so a new commit with the same manifests plans nothing.
 */
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "marker.h"
#include "paths.h"

#define PBKDF2_ITERATIONS 100000
#define DESCRIPTION_PREFIX "Managed by azapply: "

void az_marker_info_free(az_marker_info *m)
{
	free(m->stack);
	free(m->env);
	free(m->address);
	free(m->subscription);
	free(m->fingerprint);
	free(m->secrets);
	free(m->commit);
	free(m->paths);
	free(m->api_version);
	memset(m, 0, sizeof(*m));
}

/* The string fields of a marker by the name of their key ("azapply-" and
 * the tag's suffix): one table for every place a marker is kept. */
typedef struct marker_field {
	const char *tag;        /* tag and pair key */
	const char *metadata;   /* container metadata key: identifiers only */
	size_t offset;          /* of the char * in az_marker_info */
} marker_field;

#define FIELD(name, member) {"azapply-" name, "azapply_" name, offsetof(az_marker_info, member)}
static const marker_field FIELDS[] = {
	FIELD("stack", stack),
	FIELD("env", env),
	FIELD("address", address),
	FIELD("subscription", subscription),
	FIELD("fingerprint", fingerprint),
	FIELD("secrets", secrets),
	FIELD("commit", commit),
	FIELD("paths", paths),
	FIELD("apiversion", api_version),
};
#undef FIELD
#define PREVENT_DESTROY_TAG "azapply-prevent-destroy"
#define PREVENT_DESTROY_METADATA "azapply_prevent_destroy"

static char **field_slot(az_marker_info *m, const marker_field *f)
{
	return (char **)(void *)((char *)m + f->offset);
}

static const char *field_value(const az_marker_info *m, const marker_field *f)
{
	return *(char *const *)(const void *)((const char *)m + f->offset);
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
			for (size_t f = 0; f < sizeof(FIELDS) / sizeof(FIELDS[0]); f++) {
				if (strlen(FIELDS[f].tag) != klen || strncmp(s, FIELDS[f].tag, klen) != 0)
					continue;
				char **slot = field_slot(m, &FIELDS[f]);
				free(*slot);
				*slot = az_xstrndup(eq + 1, len - klen - 1);
				break;
			}
		} else if (len == strlen(PREVENT_DESTROY_TAG) &&
			   strncmp(s, PREVENT_DESTROY_TAG, len) == 0) {
			m->prevent_destroy = true;
		}
		s += len;
	}
}

/* Where a tags-like marker lives: the resource's tags, a container's
 * metadata, or the tags an ML datastore keeps in its properties (it is a
 * proxy resource: no tags of its own). The object holding the bag, and its
 * key there. */
static json_t *bag_parent(const az_kind *kind, const json_t *body)
{
	json_t *b = (json_t *)(uintptr_t)body;
	return kind->marker == AZ_MARKER_TAGS ? b : json_object_get(b, "properties");
}

static const char *bag_key(const az_kind *kind)
{
	return kind->marker == AZ_MARKER_METADATA ? "metadata" : "tags";
}

/* parent[key] replaced by a shallow copy of itself, which is returned:
 * changing it leaves the value the old one is part of as it was. */
static json_t *own(json_t *parent, const char *key)
{
	json_t *v = json_object_get(parent, key);
	if (!v)
		return NULL;
	json_t *copy = json_copy(v);
	json_object_set_new(parent, key, copy);
	return copy;
}

json_t *az_marker_stripped(const az_kind *kind, json_t *body)
{
	json_t *copy = json_copy(body);
	switch (kind->marker) {
	case AZ_MARKER_TAGS:
		own(copy, bag_key(kind));
		break;
	case AZ_MARKER_METADATA:
	case AZ_MARKER_PROPERTY_TAGS:
		own(own(copy, "properties"), bag_key(kind));
		break;
	case AZ_MARKER_DESCRIPTION:
		own(copy, "properties");
		break;
	case AZ_MARKER_ANNOTATIONS:
		own(own(copy, "properties"), "annotations");
		break;
	case AZ_MARKER_NOTES:
	case AZ_MARKER_NONE:
		break;
	}
	az_marker_strip(kind, copy);
	return copy;
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
	case AZ_MARKER_METADATA:
	case AZ_MARKER_PROPERTY_TAGS: {
		bool tags = kind->marker != AZ_MARKER_METADATA;
		json_t *bag = json_object_get(bag_parent(kind, live), bag_key(kind));
		if (!str_at(bag, tags ? "azapply-stack" : "azapply_stack", NULL))
			return;
		for (size_t f = 0; f < sizeof(FIELDS) / sizeof(FIELDS[0]); f++) {
			const char *v = str_at(bag, tags ? FIELDS[f].tag : FIELDS[f].metadata, NULL);
			*field_slot(out, &FIELDS[f]) = v ? az_xstrdup(v) : NULL;
		}
		out->prevent_destroy =
			str_at(bag, tags ? PREVENT_DESTROY_TAG : PREVENT_DESTROY_METADATA, NULL) != NULL;
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
	case AZ_MARKER_METADATA:
	case AZ_MARKER_PROPERTY_TAGS: {
		bool tags = kind->marker != AZ_MARKER_METADATA;
		json_t *parent = bag_parent(kind, body);
		json_t *bag = json_object_get(parent, bag_key(kind));
		if (!json_is_object(bag))
			return;
		for (size_t f = 0; f < sizeof(FIELDS) / sizeof(FIELDS[0]); f++)
			json_object_del(bag, tags ? FIELDS[f].tag : FIELDS[f].metadata);
		json_object_del(bag, tags ? PREVENT_DESTROY_TAG : PREVENT_DESTROY_METADATA);
		if (json_object_size(bag) == 0)
			json_object_del(parent, bag_key(kind));
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
	az_marker_info with_version;
	if (kind->generic && !m->api_version) {
		with_version = *m;
		with_version.api_version = (char *)(uintptr_t)kind->api_version;
		m = &with_version;
	}
	switch (kind->marker) {
	case AZ_MARKER_TAGS:
	case AZ_MARKER_METADATA:
	case AZ_MARKER_PROPERTY_TAGS: {
		bool tags = kind->marker != AZ_MARKER_METADATA;
		if (kind->marker != AZ_MARKER_TAGS && !props) {
			props = json_object();
			json_object_set_new(body, "properties", props);
		}
		json_t *bag = object_at(bag_parent(kind, body), bag_key(kind));
		for (size_t f = 0; f < sizeof(FIELDS) / sizeof(FIELDS[0]); f++) {
			const char *v = field_value(m, &FIELDS[f]);
			if (v)
				json_object_set_new(bag, tags ? FIELDS[f].tag : FIELDS[f].metadata,
						    json_string(v));
		}
		if (m->prevent_destroy)
			json_object_set_new(bag, tags ? PREVENT_DESTROY_TAG : PREVENT_DESTROY_METADATA,
					    json_string("true"));
		break;
	}
	case AZ_MARKER_DESCRIPTION:
	case AZ_MARKER_NOTES: {
		/* Stack first: a description or notes that start with it are
		 * recognised as a marker. */
		az_buf s = AZ_BUF_INIT;
		if (kind->marker == AZ_MARKER_DESCRIPTION)
			az_buf_puts(&s, DESCRIPTION_PREFIX);
		for (size_t f = 0; f < sizeof(FIELDS) / sizeof(FIELDS[0]); f++) {
			const char *v = field_value(m, &FIELDS[f]);
			if (v)
				az_buf_printf(&s, "%s%s=%s", f ? "; " : "", FIELDS[f].tag, v);
		}
		if (m->prevent_destroy)
			az_buf_puts(&s, "; " PREVENT_DESTROY_TAG);
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
		for (size_t f = 0; f < sizeof(FIELDS) / sizeof(FIELDS[0]); f++) {
			const char *v = field_value(m, &FIELDS[f]);
			if (!v)
				continue;
			char *a = az_xasprintf("%s=%s", FIELDS[f].tag, v);
			json_array_append_new(arr, json_string(a));
			free(a);
		}
		if (m->prevent_destroy)
			json_array_append_new(arr, json_string(PREVENT_DESTROY_TAG));
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

static bool has_secure_strings(const json_t *v)
{
	const char *key;
	json_t *child;
	size_t i;
	if (json_is_object(v)) {
		const char *type = json_string_value(json_object_get(v, "type"));
		if (type && strcmp(type, "SecureString") == 0)
			return true;
		json_object_foreach((json_t *)(uintptr_t)v, key, child) if (has_secure_strings(child)) return true;
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, child) if (has_secure_strings(child)) return true;
	}
	return false;
}

static bool has_secret_paths(const az_kind *kind, const json_t *body)
{
	for (const char *const *p = kind->secret_paths; p && *p; p++)
		if (az_json_at(body, *p))
			return true;
	return false;
}

/* SHA-256 of data into digest. The algorithm is fetched once: with
 * EVP_sha256(), OpenSSL 3 looks it up in its providers on every digest,
 * 2,800 of the 8,700 instructions hashing a fingerprint's text cost. */
static void sha256(const void *data, size_t len, unsigned char *digest)
{
	static EVP_MD *md;
	static EVP_MD_CTX *ctx;
	if (!md)
		md = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (!ctx)
		ctx = EVP_MD_CTX_new();
	unsigned int out_len = 0;
	if (!md || !ctx || EVP_DigestInit_ex2(ctx, md, NULL) != 1 ||
	    EVP_DigestUpdate(ctx, data, len) != 1 || EVP_DigestFinal_ex(ctx, digest, &out_len) != 1)
	{
		/* Only a broken OpenSSL installation, or no memory at all: a
		 * fingerprint made of garbage would plan changes that are not. */
		fputs("azapply: fatal: OpenSSL cannot compute SHA-256\n", stderr);
		abort();
	}
}

char *az_fingerprint(const az_kind *kind, const json_t *body)
{
	/* Secrets are cut from anywhere in the body, so a body with any is
	 * copied whole; most have none and share all but the marker's path. */
	json_t *copy;
	if (has_secure_strings(body) || has_secret_paths(kind, body)) {
		copy = json_deep_copy(body);
		az_marker_strip(kind, copy);
		drop_secure_strings(copy);
		for (const char *const *p = kind->secret_paths; p && *p; p++)
			az_json_remove_at(copy, *p);
	} else {
		copy = az_marker_stripped(kind, (json_t *)(uintptr_t)body);
	}
	az_buf canonical = AZ_BUF_INIT;
	bool written = az_json_write_sorted(&canonical, copy);
	json_decref(copy);
	unsigned char digest[EVP_MAX_MD_SIZE];
	sha256(written ? canonical.data : "", written ? canonical.len : 0, digest);
	az_buf_free(&canonical);
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
			/* Not az_buf_printf: this runs for every key of every
			 * body a plan reads, and a format costs more than the walk. */
			az_buf_putc(path, '.');
			az_buf_puts(path, key);
			any |= collect_secure_strings(child, path, out);
			az_buf_truncate(path, mark);
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, child) {
			az_buf_putc(path, '.');
			az_buf_put_size(path, i);
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

az_ownership az_marker_ownership(const az_marker_info *m, const az_instance_name *instance)
{
	if (!m->present)
		return AZ_OWNED_NONE;
	if (strcmp(m->stack, instance->stack) != 0)
		return AZ_OWNED_OTHER;
	if (!m->env)
		return AZ_OWNED_LEGACY;
	if (m->subscription && instance->subscription &&
	    strcasecmp(m->subscription, instance->subscription) != 0)
		return AZ_OWNED_OTHER;
	return strcmp(m->env, instance->env) == 0 ? AZ_OWNED_INSTANCE : AZ_OWNED_OTHER;
}

char *az_marker_instance(const az_marker_info *m)
{
	if (!m->env)
		return az_xstrdup(m->stack);
	if (m->subscription)
		return az_xasprintf("%s/%s in subscription %s", m->stack, m->env, m->subscription);
	return az_xasprintf("%s/%s", m->stack, m->env);
}
