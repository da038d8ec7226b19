/*
 * util.c - the pure parts of the HTTP client: headers, requests and
 * responses, the retry rules, Retry-After, backoff, error bodies, URL
 * redaction. Nothing here does I/O, so the unit tests check it directly.
 */
#include "http/http.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void az_http_headers_add(az_http_headers *h, const char *name, const char *value)
{
	if (h->len == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 8;
		h->items = az_xrealloc(h->items, h->cap * sizeof(*h->items));
	}
	h->items[h->len].name = az_xstrdup(name);
	h->items[h->len].value = az_xstrdup(value);
	h->len++;
}

void az_http_headers_set(az_http_headers *h, const char *name, const char *value)
{
	size_t j = 0;
	for (size_t i = 0; i < h->len; i++) {
		if (strcasecmp(h->items[i].name, name) == 0) {
			free(h->items[i].name);
			free(h->items[i].value);
			continue;
		}
		h->items[j++] = h->items[i];
	}
	h->len = j;
	if (value)
		az_http_headers_add(h, name, value);
}

const char *az_http_headers_get(const az_http_headers *h, const char *name)
{
	for (size_t i = 0; i < h->len; i++)
		if (strcasecmp(h->items[i].name, name) == 0)
			return h->items[i].value;
	return NULL;
}

void az_http_headers_copy(az_http_headers *dst, const az_http_headers *src)
{
	for (size_t i = 0; i < src->len; i++)
		az_http_headers_add(dst, src->items[i].name, src->items[i].value);
}

void az_http_headers_clear(az_http_headers *h)
{
	for (size_t i = 0; i < h->len; i++) {
		free(h->items[i].name);
		free(h->items[i].value);
	}
	free(h->items);
	h->items = NULL;
	h->len = h->cap = 0;
}

az_http_request *az_http_request_new(const char *method, const char *url)
{
	az_http_request *r = az_xcalloc(1, sizeof(*r));
	r->method = az_xstrdup(method);
	r->url = az_xstrdup(url);
	r->max_retries = -1;
	return r;
}

void az_http_request_header(az_http_request *r, const char *name, const char *value)
{
	az_http_headers_set(&r->headers, name, value);
}

void az_http_request_body(az_http_request *r, const char *data, size_t len)
{
	free(r->body);
	r->body = az_xstrndup(data, len);
	r->body_len = len;
}

void az_http_request_json(az_http_request *r, const json_t *body)
{
	char *text = az_json_dumps(body, JSON_COMPACT);
	if (!text)
		text = az_xstrdup("null");
	az_http_request_body(r, text, strlen(text));
	free(text);
	az_http_request_header(r, "Content-Type", "application/json");
}

az_http_request *az_http_request_dup(const az_http_request *r)
{
	az_http_request *n = az_http_request_new(r->method, r->url);
	az_http_headers_copy(&n->headers, &r->headers);
	if (r->body)
		az_http_request_body(n, r->body, r->body_len);
	n->svc = r->svc;
	n->origin = r->origin ? az_xstrdup(r->origin) : NULL;
	n->idempotent = r->idempotent;
	n->secret_body = r->secret_body;
	n->follow_up = r->follow_up;
	n->timeout_ms = r->timeout_ms;
	n->connect_timeout_ms = r->connect_timeout_ms;
	n->max_retries = r->max_retries;
	return n;
}

void az_http_request_redirect(az_http_request *r, const az_http_request *from, const char *url)
{
	/* Copies first: `from` may be `r`, `url` its own. */
	char *origin = az_xstrdup(from->origin ? from->origin : from->url);
	char *to = az_xstrdup(url);
	free(r->origin);
	free(r->url);
	r->origin = origin;
	r->url = to;
}

void az_http_request_free(az_http_request *r)
{
	if (!r)
		return;
	free(r->method);
	free(r->url);
	free(r->origin);
	az_http_headers_clear(&r->headers);
	if (r->body && r->secret_body)
		memset(r->body, 0, r->body_len);
	free(r->body);
	free(r);
}

void az_http_response_reset(az_http_response *r)
{
	az_http_headers_clear(&r->headers);
	az_buf_free(&r->body);
	free(r->net_message);
	json_decref(r->json);
	memset(r, 0, sizeof(*r));
}

/* The response a callback sees is const to it, but it is the client's own
 * (az_http_xfer.resp): what a layer hands over rides on it until taken or
 * reset, never shared by two owners. */
static az_http_response *handover_of(const az_http_response *r)
{
	return (az_http_response *)(uintptr_t)r;
}

json_t *az_http_response_json(const az_http_response *r)
{
	if (r && r->json) {
		json_t *taken = r->json;
		handover_of(r)->json = NULL;
		return taken;
	}
	if (!r || !r->body.data || r->body.len == 0)
		return NULL;
	return az_json_loadb(r->body.data, r->body.len, 0, NULL);
}

void az_http_response_hand_json(const az_http_response *r, json_t *json)
{
	if (!r) {
		json_decref(json);
		return;
	}
	json_decref(r->json);
	handover_of(r)->json = json;
}

long az_http_backoff_ms(long base_ms, long cap_ms, int attempt, double rnd)
{
	double d = (double)base_ms;
	for (int i = 0; i < attempt && d < (double)cap_ms; i++)
		d *= 2;
	/* Jitter of +-20% spreads the retries of many clients (Azure SDK). */
	d *= 0.8 + 0.4 * rnd;
	if (d > (double)cap_ms)
		d = (double)cap_ms;
	return (long)d;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* IMF-fixdate, the only HTTP-date form servers send: "Sun, 06 Nov 1994 08:49:37 GMT". */
static int parse_http_date(const char *s, int64_t *epoch_s)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	char wday[4], mon[4], tz[4];
	int day, year, hh, mm, ss;
	if (sscanf(s, "%3s, %d %3s %d %d:%d:%d %3s", wday, &day, mon, &year, &hh, &mm, &ss, tz) !=
	    8)
		return -1;
	const char *m = strstr(months, mon);
	if (!m || (m - months) % 3 != 0 || strcmp(tz, "GMT") != 0)
		return -1;
	int month = (int)(m - months) / 3 + 1;
	if (day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60)
		return -1;
	*epoch_s = days_from_civil(year, month, day) * 86400 + hh * 3600 + mm * 60 + ss;
	return 0;
}

long az_http_retry_after_ms(const az_http_headers *h, int64_t now_ms)
{
	const char *v = az_http_headers_get(h, "retry-after-ms");
	if (!v)
		v = az_http_headers_get(h, "x-ms-retry-after-ms");
	if (v) {
		char *end;
		long ms = strtol(v, &end, 10);
		if (end != v && ms >= 0)
			return ms;
	}
	v = az_http_headers_get(h, "retry-after");
	if (!v)
		return -1;
	while (isspace((unsigned char)*v))
		v++;
	if (isdigit((unsigned char)*v)) {
		char *end;
		long s = strtol(v, &end, 10);
		if (s > 86400)
			s = 86400;
		return s * 1000;
	}
	int64_t when;
	if (parse_http_date(v, &when) != 0)
		return -1;
	int64_t ms = when * 1000 - now_ms;
	return ms > 0 ? (long)ms : 0;
}

bool az_http_retryable(const char *method, bool idempotent, int status, az_net_err net)
{
	bool safe_method = idempotent || strcmp(method, "GET") == 0 ||
	                   strcmp(method, "HEAD") == 0 || strcmp(method, "PUT") == 0 ||
	                   strcmp(method, "DELETE") == 0 || strcmp(method, "OPTIONS") == 0;
	switch (net) {
	case AZ_NET_CONNECT: return true; /* never reached the server */
	case AZ_NET_SEND:
	case AZ_NET_TIMEOUT: return safe_method; /* may have been applied */
	case AZ_NET_TLS:
	case AZ_NET_REFUSED: return false;
	case AZ_NET_OK: break;
	}
	/* 408, 429 and 503 say the request was not processed: safe for all. */
	if (status == 408 || status == 429 || status == 503)
		return true;
	if (status >= 500)
		return safe_method;
	return false;
}

int az_http_status_error(int status)
{
	if (status >= 100 && status < 400)
		return 0;
	switch (status) {
	case 401:
	case 403: return AZ_EAUTH;
	case 404:
	case 410: return AZ_ENOTFOUND;
	case 409:
	case 412: return AZ_ECONFLICT;
	case 429: return AZ_ETHROTTLED;
	case 400:
	case 413:
	case 422: return AZ_EINVALID;
	}
	return AZ_EUPSTREAM;
}

static void add_details(az_buf *b, json_t *details, int depth)
{
	size_t i;
	json_t *item;
	json_array_foreach(details, i, item)
	{
		const char *code = json_string_value(json_object_get(item, "code"));
		const char *msg = json_string_value(json_object_get(item, "message"));
		const char *target = json_string_value(json_object_get(item, "target"));
		if (b->len)
			az_buf_putc(b, '\n');
		for (int k = 0; k < depth; k++)
			az_buf_puts(b, "  ");
		az_buf_printf(b, "- %s%s%s%s%s%s", code ? code : "", code && msg ? ": " : "",
		              msg ? msg : "", target ? " (target " : "", target ? target : "",
		              target ? ")" : "");
		if (depth < 4)
			add_details(b, json_object_get(item, "details"), depth + 1);
	}
}

void az_http_diag_fill(az_diag *diag, const az_http_response *r, const char *code)
{
	diag->http_status = r->status;
	if (code && !diag->code)
		diag->code = az_xstrdup(code);
	const char *rid = az_http_headers_get(&r->headers, "x-ms-request-id");
	const char *cid = az_http_headers_get(&r->headers, "x-ms-correlation-request-id");
	if (rid && !diag->request_id)
		diag->request_id = az_xstrdup(rid);
	if (cid && !diag->correlation_id)
		diag->correlation_id = az_xstrdup(cid);
}

az_diag *az_http_error_diag(az_diags *d, const char *method, const char *url,
                            const az_http_response *r)
{
	json_t *body = az_http_response_json(r);
	json_t *err = json_object_get(body, "error");
	const char *code = NULL, *msg = NULL;
	json_t *details = NULL;
	if (json_is_object(err)) {
		/* ARM {"error":{code,message,target,details}} and Graph. */
		code = json_string_value(json_object_get(err, "code"));
		msg = json_string_value(json_object_get(err, "message"));
		details = json_object_get(err, "details");
	} else if (json_is_string(err)) {
		/* Entra token endpoint {"error","error_description"}. */
		code = json_string_value(err);
		msg = json_string_value(json_object_get(body, "error_description"));
	} else if (json_is_object(body)) {
		/* Synapse data plane: flat {"code","message"}. */
		code = json_string_value(json_object_get(body, "code"));
		msg = json_string_value(json_object_get(body, "message"));
		if (!msg)
			msg = json_string_value(json_object_get(body, "Message"));
		details = json_object_get(body, "details");
	}
	char *safe_url = az_http_redact_url(url);
	az_diag *diag;
	if (r->status == 0)
		diag = az_diag_add(d, AZ_SEV_ERROR, NULL, NULL, "%s %s: %s", method, safe_url,
		                   r->net_message ? r->net_message : "no answer");
	else if (msg)
		diag = az_diag_add(d, AZ_SEV_ERROR, NULL, NULL, "%s %s: %d %s: %s", method,
		                   safe_url, r->status, code ? code : "Error", msg);
	else
		diag = az_diag_add(d, AZ_SEV_ERROR, NULL, NULL, "%s %s: HTTP %d%s%s", method,
		                   safe_url, r->status, code ? " " : "", code ? code : "");
	free(safe_url);
	az_http_diag_fill(diag, r, code);
	az_buf b = AZ_BUF_INIT;
	add_details(&b, details, 0);
	if (b.len)
		az_diag_set_detail(diag, "%s", b.data);
	az_buf_free(&b);
	json_decref(body);
	return diag;
}

/* Query parameters whose values are credentials: SAS signatures, codes,
 * keys, tokens, assertions. */
static bool secret_param(const char *name, size_t len)
{
	static const char *const words[] = {"sig",  "token",     "secret",     "password",
	                                    "key",  "assertion", "credential", "code",
	                                    "auth", "pwd",       "sas"};
	char lower[64];
	if (len >= sizeof(lower))
		len = sizeof(lower) - 1;
	for (size_t i = 0; i < len; i++)
		lower[i] = (char)tolower((unsigned char)name[i]);
	lower[len] = '\0';
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strstr(lower, words[i]))
			return true;
	return false;
}

char *az_http_redact_url(const char *url)
{
	if (!url)
		return az_xstrdup("");
	const char *q = strchr(url, '?');
	if (!q)
		return az_xstrdup(url);
	az_buf b = AZ_BUF_INIT;
	az_buf_add(&b, url, (size_t)(q - url) + 1);
	const char *p = q + 1;
	while (*p && *p != '#') {
		size_t plen = strcspn(p, "&#");
		const char *eq = memchr(p, '=', plen);
		if (eq && secret_param(p, (size_t)(eq - p))) {
			az_buf_add(&b, p, (size_t)(eq - p) + 1);
			az_buf_puts(&b, "REDACTED");
		} else {
			az_buf_add(&b, p, plen);
		}
		p += plen;
		if (*p == '&') {
			az_buf_putc(&b, '&');
			p++;
		}
	}
	return az_buf_detach(&b);
}

char *az_http_form_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	az_buf b = AZ_BUF_INIT;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (isalnum(*p) || *p == '-' || *p == '.' || *p == '_' || *p == '~') {
			az_buf_putc(&b, (char)*p);
		} else {
			az_buf_putc(&b, '%');
			az_buf_putc(&b, hex[*p >> 4]);
			az_buf_putc(&b, hex[*p & 15]);
		}
	}
	if (!b.data)
		return az_xstrdup("");
	return az_buf_detach(&b);
}

size_t az_origin_number(az_origin_table *t, const char *url)
{
	az_url_origin o;
	if (az_url_origin_parse(&o, url) != 0)
		return SIZE_MAX;
	char key[sizeof(o.scheme) + sizeof(o.host) + 16];
	snprintf(key, sizeof(key), "%s://%s:%d", o.scheme, o.host, o.port);
	if (!t->index)
		t->index = json_object();
	json_t *at = json_object_get(t->index, key);
	if (at)
		return (size_t)json_integer_value(at);
	if (t->count == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 16;
		t->slots = az_xrealloc(t->slots, t->cap * t->slot_size);
	}
	memset(t->slots + t->count * t->slot_size, 0, t->slot_size);
	json_object_set_new(t->index, key, json_integer((json_int_t)t->count));
	return t->count++;
}

void *az_origin_slot(const az_origin_table *t, size_t n)
{
	return t->slots + n * t->slot_size;
}

void az_origin_table_clear(az_origin_table *t)
{
	json_decref(t->index);
	free(t->slots);
	*t = (az_origin_table){.slot_size = t->slot_size};
}
