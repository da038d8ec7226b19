/*
 * util.c - small helpers every part of the emulator uses: key/value lists,
 * responses, clocks, seeded UUIDs (so --seed makes runs repeatable),
 * base64url for JWTs, dotted JSON paths and JSON merge patch.
 */
#include "emu.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/sha.h>

void emu_kvs_add(emu_kvs *k, const char *name, const char *value)
{
	if (k->len == k->cap) {
		k->cap = k->cap ? k->cap * 2 : 8;
		k->items = az_xrealloc(k->items, k->cap * sizeof(*k->items));
	}
	k->items[k->len].name = az_xstrdup(name);
	k->items[k->len].value = az_xstrdup(value ? value : "");
	k->len++;
}

const char *emu_kvs_get(const emu_kvs *k, const char *name)
{
	for (size_t i = 0; i < k->len; i++)
		if (!strcasecmp(k->items[i].name, name))
			return k->items[i].value;
	return NULL;
}

void emu_kvs_clear(emu_kvs *k)
{
	for (size_t i = 0; i < k->len; i++) {
		free(k->items[i].name);
		free(k->items[i].value);
	}
	free(k->items);
	k->items = NULL;
	k->len = k->cap = 0;
}

const char *emu_req_header(const emu_req *q, const char *name)
{
	return emu_kvs_get(&q->headers, name);
}

const char *emu_req_query(const emu_req *q, const char *name)
{
	return emu_kvs_get(&q->query, name);
}

static void url_encode(az_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (isalnum(c) || strchr("-_.~$'()", c)) {
			az_buf_putc(b, (char)c);
		} else {
			az_buf_putc(b, '%');
			az_buf_putc(b, hex[c >> 4]);
			az_buf_putc(b, hex[c & 15]);
		}
	}
}

char *emu_req_target(const emu_req *q)
{
	az_buf b = AZ_BUF_INIT;
	az_buf_puts(&b, q->path);
	for (size_t i = 0; i < q->query.len; i++) {
		az_buf_putc(&b, i ? '&' : '?');
		url_encode(&b, q->query.items[i].name);
		az_buf_putc(&b, '=');
		url_encode(&b, q->query.items[i].value);
	}
	return az_buf_detach(&b);
}

void emu_resp_header(emu_resp *r, const char *name, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *v = az_xvasprintf(fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < r->headers.len; i++) {
		if (!strcasecmp(r->headers.items[i].name, name)) {
			free(r->headers.items[i].value);
			r->headers.items[i].value = v;
			return;
		}
	}
	emu_kvs_add(&r->headers, name, v);
	free(v);
}

void emu_resp_json(emu_resp *r, int status, json_t *body)
{
	r->status = status;
	az_buf_truncate(&r->body, 0);
	if (body) {
		/* The client's compact writer: jansson's bytes, without its
		 * bookkeeping, which was two fifths of the emulator's CPU in a
		 * plan of 10,001 resources (one core of two, beside azapply).
		 * Into the body itself; what it refuses (text that is not
		 * UTF-8, a tree too deep) is left to az_json_dumps, whose
		 * answer, jansson's, is the answer. */
		if (!az_json_write(&r->body, body, false)) {
			char *text = az_json_dumps(body, JSON_COMPACT);
			if (text)
				az_buf_puts(&r->body, text);
			free(text);
		}
		json_decref(body);
		emu_resp_header(r, "Content-Type", "application/json; charset=utf-8");
	}
}

void emu_resp_empty(emu_resp *r, int status)
{
	r->status = status;
	az_buf_truncate(&r->body, 0);
}

void emu_resp_arm_error(emu_resp *r, int status, const char *code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = az_xvasprintf(fmt, ap);
	va_end(ap);
	emu_resp_json(r, status,
		      json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", msg));
	free(msg);
}

void emu_resp_flat_error(emu_resp *r, int status, const char *code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = az_xvasprintf(fmt, ap);
	va_end(ap);
	emu_resp_json(r, status, json_pack("{s:s,s:s}", "code", code, "message", msg));
	free(msg);
}

void emu_resp_reset(emu_resp *r)
{
	emu_kvs_clear(&r->headers);
	az_buf_free(&r->body);
	r->status = 0;
	r->drop = false;
}

long long emu_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t next_random(emu_server *s)
{
	/* splitmix64: tiny, good enough, and reproducible from --seed. */
	return az_splitmix64_mix(atomic_fetch_add(&s->rng, AZ_SPLITMIX64_GAMMA) +
				 AZ_SPLITMIX64_GAMMA);
}

/* The state is atomic, not under the lock: every request drew two ids
 * before it was handled, each a wait for the lock other requests held. */
char *emu_uuid(emu_server *s)
{
	uint64_t a = next_random(s), b = next_random(s);
	a = (a & ~0xf000ULL) | 0x4000ULL; /* version 4 */
	b = (b & ~(3ULL << 62)) | (2ULL << 62);
	return az_xasprintf("%08x-%04x-%04x-%04x-%012llx", (unsigned)(a >> 32),
			    (unsigned)((a >> 16) & 0xffff), (unsigned)(a & 0xffff),
			    (unsigned)(b >> 48), (unsigned long long)(b & 0xffffffffffffULL));
}


void emu_iso8601(char *out, size_t n, long long ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	char base[32];
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, n, "%s.%03dZ", base, (int)(ms % 1000));
}

char *emu_lower(const char *s)
{
	char *l = az_xstrdup(s);
	for (char *p = l; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return l;
}

bool emu_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	while (p < end) {
		unsigned char c = *p;
		size_t len;
		if (c < 0x80) {
			if (!c)
				return false;
			p++;
			continue;
		} else if ((c & 0xe0) == 0xc0 && c >= 0xc2) {
			len = 2;
		} else if ((c & 0xf0) == 0xe0) {
			len = 3;
		} else if ((c & 0xf8) == 0xf0 && c <= 0xf4) {
			len = 4;
		} else {
			return false;
		}
		if ((size_t)(end - p) < len)
			return false;
		for (size_t i = 1; i < len; i++)
			if ((p[i] & 0xc0) != 0x80)
				return false;
		p += len;
	}
	return true;
}

static const char b64url_chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

char *emu_b64url(const unsigned char *data, size_t n)
{
	az_buf b = AZ_BUF_INIT;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)data[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)data[i + 1] << 8;
		if (i + 2 < n)
			v |= data[i + 2];
		az_buf_putc(&b, b64url_chars[(v >> 18) & 63]);
		az_buf_putc(&b, b64url_chars[(v >> 12) & 63]);
		if (i + 1 < n)
			az_buf_putc(&b, b64url_chars[(v >> 6) & 63]);
		if (i + 2 < n)
			az_buf_putc(&b, b64url_chars[v & 63]);
	}
	return az_buf_detach(&b);
}

unsigned char *emu_b64url_decode(const char *s, size_t n, size_t *out_len)
{
	unsigned char *out = az_xmalloc(n * 3 / 4 + 3);
	size_t o = 0;
	uint32_t v = 0;
	int bits = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		int d;
		if (c == '=')
			break;
		const char *p = strchr(b64url_chars, c);
		if (c == '+')
			d = 62;
		else if (c == '/')
			d = 63;
		else if (!c || !p)
			goto bad;
		else
			d = (int)(p - b64url_chars);
		v = (v << 6) | (uint32_t)d;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(v >> bits);
		}
	}
	*out_len = o;
	return out;
bad:
	free(out);
	return NULL;
}

void emu_sha256_hex(const char *s, char out[65])
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	SHA256((const unsigned char *)s, strlen(s), md);
	for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

json_t *emu_json_path(json_t *root, const char *path)
{
	char *copy = az_xstrdup(path);
	json_t *cur = root;
	char *save = NULL;
	for (char *part = strtok_r(copy, ".", &save); part && cur;
	     part = strtok_r(NULL, ".", &save))
		cur = json_is_object(cur) ? json_object_get(cur, part) : NULL;
	free(copy);
	return cur;
}

int emu_json_set_path(json_t *root, const char *path, json_t *value)
{
	char *copy = az_xstrdup(path);
	json_t *cur = root;
	char *save = NULL;
	char *part = strtok_r(copy, ".", &save);
	int error = -1;
	while (part) {
		char *next = strtok_r(NULL, ".", &save);
		if (!json_is_object(cur))
			goto done;
		if (!next) {
			json_object_set(cur, part, value);
			error = 0;
			goto done;
		}
		json_t *child = json_object_get(cur, part);
		if (!child) {
			child = json_object();
			json_object_set_new(cur, part, child);
		}
		cur = child;
		part = next;
	}
done:
	json_decref(value);
	free(copy);
	return error;
}

void emu_json_del_path(json_t *root, const char *path)
{
	const char *dot = strrchr(path, '.');
	if (!dot) {
		json_object_del(root, path);
		return;
	}
	char *parent = az_xstrndup(path, (size_t)(dot - path));
	json_t *p = emu_json_path(root, parent);
	if (json_is_object(p))
		json_object_del(p, dot + 1);
	free(parent);
}

void emu_json_merge(json_t *dst, json_t *patch)
{
	const char *key;
	json_t *value;
	json_object_foreach(patch, key, value) {
		json_t *cur = json_object_get(dst, key);
		if (json_is_null(value))
			json_object_del(dst, key);
		else if (json_is_object(value) && json_is_object(cur))
			emu_json_merge(cur, value);
		else
			json_object_set(dst, key, value);
	}
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && !strcmp(s + n - m, suffix);
}

/* accountKey, servicePrincipalKey, clientSecret, sqlAdministratorLoginPassword,
 * sasToken, connectionString: but not secretName, keyId or keyVault. */
static bool secret_name(const char *k)
{
	char *l = emu_lower(k);
	bool hit = strstr(l, "password") || strstr(l, "secret") || ends_with(l, "key") ||
		   ends_with(l, "token") || !strcmp(l, "connectionstring");
	if (strstr(l, "name") || strstr(l, "version") || strstr(l, "url") || ends_with(l, "id") ||
	    ends_with(l, "type"))
		hit = false;
	free(l);
	return hit;
}

bool emu_mask_secrets(json_t *v, const char *mask, bool by_name)
{
	bool found = false;
	if (json_is_object(v)) {
		const char *type = json_string_value(json_object_get(v, "type"));
		if (type && !strcmp(type, "SecureString") && json_object_get(v, "value")) {
			json_object_set_new(v, "value", json_string(mask));
			found = true;
		}
		const char *k;
		json_t *c;
		json_object_foreach(v, k, c) {
			if (by_name && json_is_string(c) && secret_name(k)) {
				json_object_set_new(v, k, json_string(mask));
				found = true;
			} else {
				found |= emu_mask_secrets(c, mask, by_name);
			}
		}
	} else if (json_is_array(v)) {
		size_t i;
		json_t *c;
		json_array_foreach(v, i, c)
			found |= emu_mask_secrets(c, mask, by_name);
	}
	return found;
}

json_t *emu_store_obj(emu_server *s, const char *key)
{
	json_t *o = json_object_get(s->store, key);
	if (!json_is_object(o)) {
		o = json_object();
		json_object_set_new(s->store, key, o);
	}
	return o;
}

void emu_count(emu_server *s, const char *what)
{
	json_int_t n = json_integer_value(json_object_get(s->counters, what));
	json_object_set_new(s->counters, what, json_integer(n + 1));
}

char *emu_host_url(const emu_server *s, const char *host)
{
	return az_xasprintf("https://%s:%d", host, s->cfg.port);
}
