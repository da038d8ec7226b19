/*
 * secrets.c - the values azapply must never print, and their removal from
 * text on its way out.
 *
 * Secrets enter at a few places: the loader resolves ${env.X} (how CI hands
 * them over), a body sent to Azure carries its kind's secret paths and any
 * SecureString values, and the credential chain holds a client secret, a
 * certificate's key, a federated token and the access tokens it gets. Each
 * place remembers the value here. Azure may then echo it back anywhere: a
 * password "does not meet the complexity requirements", an operation's
 * error, a live body. So redaction is not left to each message: cmd/output.c
 * passes everything written to stdout and stderr through
 * az_secret_redact_into(), whatever wrote it.
 *
 * Values shorter than AZ_SECRET_MIN_LEN are not remembered: blanking every
 * "dev" or "1" would mangle the output and protect nothing. A value is also
 * remembered as JSON writes it inside a string (a password with a quote in
 * it is `\"` in --output json), the other form in which output carries it.
 *
 * One process, one thread: the registry is a static list, kept sorted
 * longest first so that a secret which contains another is blanked whole.
 */
#include <azapply/provider.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct secret {
	char *text;
	size_t len;
} secret;

static secret *known;
static size_t known_len, known_cap;
/* The bytes, and the pairs of bytes, a remembered value begins with: the
 * redaction passes over every other byte of the output at once (it scans
 * all of it: an apply of 10,001 resources writes 20,000 lines). One byte
 * alone passes over too little: a secret that begins with "e" stops it at
 * every "e". */
static bool starts_a_secret[256];
static uint8_t pair_starts_a_secret[65536 / 8];

static size_t pair_of(const char *s)
{
	return (size_t)(unsigned char)s[0] << 8 | (unsigned char)s[1];
}

static void add_form(const char *s, size_t len)
{
	if (len < AZ_SECRET_MIN_LEN)
		return;
	size_t at = known_len;
	for (size_t i = 0; i < known_len; i++) {
		if (known[i].len == len && memcmp(known[i].text, s, len) == 0)
			return;
		if (at == known_len && known[i].len < len)
			at = i;
	}
	if (known_len == known_cap) {
		known_cap = known_cap ? known_cap * 2 : 16;
		known = az_xrealloc(known, known_cap * sizeof(*known));
	}
	memmove(&known[at + 1], &known[at], (known_len - at) * sizeof(*known));
	known[at].text = az_xstrndup(s, len);
	known[at].len = len;
	known_len++;
	starts_a_secret[(unsigned char)s[0]] = true;
	pair_starts_a_secret[pair_of(s) / 8] |= (uint8_t)(1u << (pair_of(s) % 8));
}

static void wipe_free(char *s)
{
	if (s)
		memset(s, 0, strlen(s));
	free(s);
}

void az_secret_remember(const char *value)
{
	if (!value || strlen(value) < AZ_SECRET_MIN_LEN)
		return;
	add_form(value, strlen(value));
	/* Inside a JSON string: quotes, backslashes and control characters
	 * escaped. Not valid UTF-8 means JSON output cannot hold it at all. */
	json_t *str = json_string(value);
	char *quoted = str ? az_json_dumps(str, JSON_ENCODE_ANY) : NULL;
	json_decref(str);
	if (quoted && strlen(quoted) >= 2)
		add_form(quoted + 1, strlen(quoted) - 2);
	wipe_free(quoted);
}

/* The string values at a dotted path; "*" is any key or array index. */
static void remember_path(const json_t *v, const char *path)
{
	if (!*path) {
		if (json_is_string(v))
			az_secret_remember(json_string_value(v));
		return;
	}
	const char *dot = strchr(path, '.');
	size_t n = dot ? (size_t)(dot - path) : strlen(path);
	const char *rest = dot ? dot + 1 : "";
	if (n == 1 && path[0] == '*') {
		const char *key;
		size_t i;
		json_t *child;
		if (json_is_object(v))
			json_object_foreach((json_t *)(uintptr_t)v, key, child) remember_path(child, rest);
		else if (json_is_array(v))
			json_array_foreach(v, i, child) remember_path(child, rest);
		return;
	}
	if (json_is_object(v))
		remember_path(json_object_getn(v, path, n), rest);
}

/* A SecureString ({"type":"SecureString","value":...}) is a secret
 * wherever it sits in a body (Synapse linked services). */
static void remember_secure_strings(const json_t *v)
{
	const char *key;
	size_t i;
	json_t *child;
	if (json_is_object(v)) {
		const char *type = json_string_value(json_object_get(v, "type"));
		if (type && strcmp(type, "SecureString") == 0)
			az_secret_remember(json_string_value(json_object_get(v, "value")));
		json_object_foreach((json_t *)(uintptr_t)v, key, child) remember_secure_strings(child);
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, child) remember_secure_strings(child);
	}
}

void az_secret_remember_body(const az_kind *kind, const json_t *body)
{
	for (const char *const *p = kind ? kind->secret_paths : NULL; p && *p; p++)
		remember_path(body, *p);
	remember_secure_strings(body);
}

size_t az_secret_redact_into(az_buf *out, const char *text, size_t len, bool more)
{
	size_t i = 0, literal = 0;
	while (i < len) {
		bool may_start = i + 1 < len ? pair_starts_a_secret[pair_of(text + i) / 8] >>
							   (pair_of(text + i) % 8) & 1
					      : starts_a_secret[(unsigned char)text[i]];
		if (!may_start) {
			i++;
			continue;
		}
		size_t matched = 0;
		bool partial = false;
		for (size_t k = 0; k < known_len && !matched && !partial; k++) {
			const secret *s = &known[k];
			if (s->text[0] != text[i])
				continue;
			if (s->len <= len - i)
				matched = memcmp(s->text, text + i, s->len) == 0 ? s->len : 0;
			else
				/* The text ends in what may be the start of this
				 * secret: wait for the rest before writing any of it. */
				partial = more && memcmp(s->text, text + i, len - i) == 0;
		}
		if (partial)
			break;
		if (!matched) {
			i++;
			continue;
		}
		az_buf_add(out, text + literal, i - literal);
		az_buf_puts(out, AZ_SECRET_MASK);
		i += matched;
		literal = i;
	}
	az_buf_add(out, text + literal, i - literal);
	return i;
}

char *az_secret_redact(const char *text)
{
	az_buf out = AZ_BUF_INIT;
	az_secret_redact_into(&out, text ? text : "", text ? strlen(text) : 0, false);
	return az_buf_detach(&out);
}

void az_secret_forget_all(void)
{
	for (size_t i = 0; i < known_len; i++)
		wipe_free(known[i].text);
	free(known);
	known = NULL;
	known_len = known_cap = 0;
	memset(starts_a_secret, 0, sizeof(starts_a_secret));
	memset(pair_starts_a_secret, 0, sizeof(pair_starts_a_secret));
}
