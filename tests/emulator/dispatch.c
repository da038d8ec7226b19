/*
 * dispatch.c - what every request goes through, whatever host it targets:
 * request and correlation ids (Azure sends both on every answer and echoes
 * the client's), latency, fault rules, routing by Host header, and the
 * request log tests read back through the control API.
 *
 * The log keeps request bodies (tests check exactly what azapply sent) but
 * never an Authorization value: the token endpoint's client_secret and
 * client_assertion fields, SecureString values and JSON members named like
 * secrets (passwords, keys, tokens) are replaced by "REDACTED".
 */
#include "emu.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static void sleep_ms(int ms)
{
	if (ms <= 0)
		return;
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n > m && !strcmp(s + n - m, suffix);
}

static bool known_method(const char *m)
{
	static const char *const methods[] = {"GET", "HEAD", "PUT", "PATCH", "POST", "DELETE"};
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (!strcmp(m, methods[i]))
			return true;
	return false;
}

static const char *classify(const emu_req *q)
{
	char *l = emu_lower(q->path);
	const char *kind;
	if (strstr(l, "/operationstatuses/") || strstr(l, "/operationresults/") ||
	    strstr(l, "/asyncoperations/") || strstr(l, "/notebookoperationresults/"))
		kind = "polls";
	else if (!strcmp(q->host, "login.localhost") || !strcmp(q->host, "imds.localhost"))
		kind = "tokens";
	else if (!strcmp(q->method, "GET") || !strcmp(q->method, "HEAD"))
		kind = "reads";
	else if (!strcmp(q->method, "DELETE"))
		kind = "deletes";
	else
		kind = "writes";
	free(l);
	return kind;
}

/* Each request's record is kept as one line of compact JSON text in
 * s->log, written field by field: a tree per record (its headers an
 * object, its body a string) was a twentieth of the emulator's CPU in a
 * large apply and three times the memory of its text. A JSON body is kept
 * as the text sent, under this key; the log as read has it parsed and
 * masked as "body" (emu_log_copy). */
#define LOGGED_JSON_TEXT "jsonText"

/* ,"key":"value" (no comma before the first); false when the value is
 * not UTF-8, with `b` as it was. */
static bool put_string(az_buf *b, const char *key, const char *value, size_t len)
{
	size_t mark = b->len;
	az_buf_printf(b, "%s\"%s\":", mark > 1 ? "," : "", key);
	if (az_json_write_string(b, value, len))
		return true;
	az_buf_truncate(b, mark);
	return false;
}

static void put_integer(az_buf *b, const char *key, long long n)
{
	az_buf_printf(b, ",\"%s\":%lld", key, n);
}

/* The body of a request that is not JSON (token requests' forms), its
 * credential fields masked; null for none. */
static void put_form_body(az_buf *b, const emu_req *q)
{
	if (q->json || !q->body_len || !emu_utf8_valid(q->body, q->body_len)) {
		az_buf_puts(b, ",\"body\":null");
		return;
	}
	az_buf form = AZ_BUF_INIT;
	char *copy = az_xstrndup(q->body, q->body_len);
	char *p = copy;
	while (p && *p) {
		char *amp = strchr(p, '&');
		if (amp)
			*amp = '\0';
		if (form.len)
			az_buf_putc(&form, '&');
		if (!strncmp(p, "client_secret=", 14) || !strncmp(p, "client_assertion=", 17)) {
			char *eq = strchr(p, '=');
			az_buf_add(&form, p, (size_t)(eq - p + 1));
			az_buf_puts(&form, "REDACTED");
		} else {
			az_buf_puts(&form, p);
		}
		p = amp ? amp + 1 : NULL;
	}
	free(copy);
	put_string(b, "body", form.data ? form.data : "", form.len);
	az_buf_free(&form);
}

/* Header names lowercased; a name given twice keeps its last value, in
 * the place of its first (as a JSON reader takes the text). */
static void put_headers(az_buf *b, const emu_req *q)
{
	az_buf_puts(b, ",\"headers\":{");
	size_t first = b->len;
	for (size_t i = 0; i < q->headers.len; i++) {
		const char *name = q->headers.items[i].name;
		const char *value = q->headers.items[i].value;
		if (!strcasecmp(name, "Authorization") || !strcasecmp(name, "X-IDENTITY-HEADER"))
			value = "REDACTED";
		char *lname = emu_lower(name);
		size_t mark = b->len;
		if (mark > first)
			az_buf_putc(b, ',');
		if (!az_json_write_string(b, lname, strlen(lname)) ||
		    (az_buf_putc(b, ':'), !az_json_write_string(b, value, strlen(value))))
			az_buf_truncate(b, mark);
		free(lname);
	}
	az_buf_putc(b, '}');
}

json_t *emu_log_copy(emu_server *s)
{
	json_t *copy = json_array();
	const char *line = s->log.data, *end = line ? line + s->log.len : NULL;
	while (line && line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		json_t *entry = json_loadb(line, (size_t)(nl - line), 0, NULL);
		line = nl + 1;
		if (!entry)
			continue;
		json_t *raw = json_object_get(entry, LOGGED_JSON_TEXT);
		if (raw) {
			/* Bodies carry secrets too (SecureString values, SQL
			 * admin passwords, Graph password credentials): never
			 * shown. */
			json_t *body = json_loadb(json_string_value(raw), json_string_length(raw),
						  JSON_DECODE_ANY, NULL);
			if (body)
				emu_mask_secrets(body, "REDACTED", true);
			json_object_set_new(entry, "body", body ? body : json_null());
			json_object_del(entry, LOGGED_JSON_TEXT);
		}
		json_array_append_new(copy, entry);
	}
	return copy;
}

/* `fault` is the rule that fired on the request, if one did: its id is
 * logged, so a test that fails "the Nth request" can tell which it was. */
static void log_request(emu_server *s, const emu_req *q, const emu_resp *r, long long start,
			const emu_fault *fault)
{
	const char *kind = classify(q);
	char *target = emu_req_target(q);
	az_buf b = AZ_BUF_INIT;
	az_buf_putc(&b, '{');
	bool whole = put_string(&b, "method", q->method, strlen(q->method));
	put_string(&b, "host", q->host, strlen(q->host));
	if (!put_string(&b, "path", target, strlen(target)))
		put_string(&b, "path", "<invalid utf-8>", strlen("<invalid utf-8>"));
	put_integer(&b, "status", r->drop ? 0 : r->status);
	put_integer(&b, "startMs", start);
	put_integer(&b, "durationMs", emu_now_ms() - start);
	put_form_body(&b, q);
	if (q->json)
		put_string(&b, LOGGED_JSON_TEXT, q->body, q->body_len);
	put_headers(&b, q);
	put_string(&b, "kind", kind, strlen(kind));
	if (fault && fault->id)
		whole = whole && put_string(&b, "fault", fault->id, strlen(fault->id));
	put_integer(&b, "connection", (long long)q->connection);
	az_buf_add(&b, "}\n", 2);
	free(target);
	pthread_mutex_lock(&s->lock);
	if (whole)
		az_buf_add(&s->log, b.data, b.len);
	emu_count(s, kind);
	pthread_mutex_unlock(&s->lock);
	az_buf_free(&b);
}

static void route(emu_server *s, const emu_req *q, emu_resp *r, const emu_fault *fault)
{
	const char *host = q->host;
	if (!strcmp(host, "login.localhost")) {
		if (!strcmp(q->method, "POST") && has_suffix(q->path, "/oauth2/v2.0/token"))
			emu_auth_token(s, q, r);
		else
			emu_resp_json(r, 404,
				      json_pack("{s:s,s:s}", "error", "not_found",
						"error_description", "AADSTS90002: Endpoint not found."));
	} else if (!strcmp(host, "imds.localhost")) {
		emu_auth_msi(s, q, r);
	} else if (!strcmp(host, "graph.localhost")) {
		emu_graph_handle(s, q, r);
	} else if (has_suffix(host, ".dev.localhost")) {
		char *ws = az_xstrndup(host, strlen(host) - strlen(".dev.localhost"));
		emu_synapse_handle(s, ws, q, r, fault);
		free(ws);
	} else if (!strcmp(host, "management.localhost") || !strcmp(host, "localhost") ||
		   !strcmp(host, "127.0.0.1")) {
		emu_arm_handle(s, q, r, fault);
	} else {
		emu_resp_arm_error(r, 400, "InvalidHost", "The host is not served here.");
	}
}

static void answer_fault(emu_resp *r, const emu_fault *f)
{
	if (f->body && json_is_string(f->body)) {
		r->status = f->status;
		az_buf_puts(&r->body, json_string_value(f->body));
	} else {
		emu_resp_json(r, f->status, f->body ? json_incref(f->body) : NULL);
	}
	const char *name;
	json_t *v;
	json_object_foreach(f->headers, name, v) {
		if (json_is_string(v))
			emu_resp_header(r, name, "%s", json_string_value(v));
		else if (json_is_integer(v))
			emu_resp_header(r, name, "%lld", (long long)json_integer_value(v));
	}
}

void emu_dispatch(emu_server *s, emu_req *q, emu_resp *r)
{
	long long start = emu_now_ms();
	char *request_id = emu_uuid(s);
	const char *corr = emu_req_header(q, "x-ms-correlation-request-id");
	const char *client_req = emu_req_header(q, "x-ms-client-request-id");
	char *corr_own = corr ? NULL : emu_uuid(s);
	emu_fault *fault = NULL;

	/* The most requests answered at once since the log was cleared: what
	 * a client's bound on requests in flight really let through, counted
	 * where it cannot be mistaken for timing. */
	bool counted = strncmp(q->path, "/_emulator", 10) != 0;
	pthread_mutex_lock(&s->lock);
	int latency = s->cfg.latency_ms;
	if (counted) {
		s->in_flight++;
		if (s->in_flight > json_integer_value(json_object_get(s->counters, "peakInFlight")))
			json_object_set_new(s->counters, "peakInFlight", json_integer(s->in_flight));
	}
	pthread_mutex_unlock(&s->lock);
	sleep_ms(latency);

	if (!emu_utf8_valid(q->path, strlen(q->path)) || q->path[0] != '/') {
		emu_resp_arm_error(r, 400, "InvalidRequestUri", "The request URI is not valid.");
		goto done;
	}
	for (size_t i = 0; i < q->query.len; i++) {
		if (!emu_utf8_valid(q->query.items[i].name, strlen(q->query.items[i].name)) ||
		    !emu_utf8_valid(q->query.items[i].value, strlen(q->query.items[i].value))) {
			emu_resp_arm_error(r, 400, "InvalidRequestUri",
					   "The query string is not valid.");
			goto done;
		}
	}
	if (!known_method(q->method)) {
		/* Azure's front ends refuse verbs no API uses before any routing;
		 * without this a made-up verb fell through to a handler's list. */
		emu_resp_header(r, "Allow", "GET, HEAD, PUT, PATCH, POST, DELETE");
		emu_resp_arm_error(r, 405, "MethodNotAllowed", "The HTTP method is not supported.");
		goto done;
	}
	if (!strncmp(q->path, "/_emulator/", 11) || !strcmp(q->path, "/_emulator")) {
		emu_control_handle(s, q, r);
		goto done;
	}
	fault = emu_fault_match(s, q);
	if (fault) {
		sleep_ms(fault->delay_ms);
		if (fault->drop) {
			r->drop = true;
			goto done;
		}
		if (fault->status) {
			answer_fault(r, fault);
			goto done;
		}
	}
	if (q->bad_json && strcmp(q->host, "login.localhost") && strcmp(q->host, "imds.localhost")) {
		emu_resp_arm_error(r, 400, "InvalidRequestContent",
				   "The request content was invalid and could not be deserialized.");
		goto done;
	}
	route(s, q, r, fault);
done:
	emu_resp_header(r, "x-ms-request-id", "%s", request_id);
	emu_resp_header(r, "x-ms-correlation-request-id", "%s", corr ? corr : corr_own);
	if (client_req)
		emu_resp_header(r, "x-ms-client-request-id", "%s", client_req);
	log_request(s, q, r, start, fault);
	if (counted) {
		pthread_mutex_lock(&s->lock);
		s->in_flight--;
		pthread_mutex_unlock(&s->lock);
	}
	emu_fault_free(fault);
	free(request_id);
	free(corr_own);
}
