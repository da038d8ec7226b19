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

/* A log entry keeps a JSON body as the text sent, under this key; the
 * log as read has it parsed and masked as "body" (emu_log_copy). A masked
 * copy of the parsed body for every request was a twentieth of the
 * emulator's CPU in a large apply. */
#define LOGGED_JSON_TEXT "jsonText"

static json_t *logged_json_text(const emu_req *q)
{
	return q->json && emu_utf8_valid(q->body, q->body_len) ? json_stringn(q->body, q->body_len)
								: NULL;
}

/* The body of a request that is not JSON (token requests' forms). */
static json_t *logged_body(const emu_req *q)
{
	if (q->json || !q->body_len || !emu_utf8_valid(q->body, q->body_len))
		return json_null();
	/* Form bodies (token requests): mask the credential fields. */
	az_buf b = AZ_BUF_INIT;
	char *copy = az_xstrndup(q->body, q->body_len);
	char *p = copy;
	while (p && *p) {
		char *amp = strchr(p, '&');
		if (amp)
			*amp = '\0';
		if (b.len)
			az_buf_putc(&b, '&');
		if (!strncmp(p, "client_secret=", 14) || !strncmp(p, "client_assertion=", 17)) {
			char *eq = strchr(p, '=');
			az_buf_add(&b, p, (size_t)(eq - p + 1));
			az_buf_puts(&b, "REDACTED");
		} else {
			az_buf_puts(&b, p);
		}
		p = amp ? amp + 1 : NULL;
	}
	free(copy);
	json_t *s = json_string(b.data ? b.data : "");
	az_buf_free(&b);
	return s ? s : json_null();
}

static json_t *logged_headers(const emu_req *q)
{
	json_t *h = json_object();
	for (size_t i = 0; i < q->headers.len; i++) {
		const char *name = q->headers.items[i].name;
		const char *value = q->headers.items[i].value;
		if (!strcasecmp(name, "Authorization") || !strcasecmp(name, "X-IDENTITY-HEADER"))
			value = "REDACTED";
		char *lname = emu_lower(name);
		json_t *v = json_string(value);
		if (v && emu_utf8_valid(lname, strlen(lname)))
			json_object_set_new(h, lname, v);
		else
			json_decref(v);
		free(lname);
	}
	return h;
}

json_t *emu_log_copy(emu_server *s)
{
	json_t *copy = json_deep_copy(s->log);
	size_t i;
	json_t *entry;
	json_array_foreach(copy, i, entry) {
		json_t *raw = json_object_get(entry, LOGGED_JSON_TEXT);
		if (!raw)
			continue;
		/* Bodies carry secrets too (SecureString values, SQL admin
		 * passwords, Graph password credentials): never shown. */
		json_t *body = json_loadb(json_string_value(raw), json_string_length(raw),
					  JSON_DECODE_ANY, NULL);
		if (body)
			emu_mask_secrets(body, "REDACTED", true);
		json_object_set_new(entry, "body", body ? body : json_null());
		json_object_del(entry, LOGGED_JSON_TEXT);
	}
	return copy;
}

/* `fault` is the rule that fired on the request, if one did: its id is
 * logged, so a test that fails "the Nth request" can tell which it was. */
static void log_request(emu_server *s, const emu_req *q, const emu_resp *r, long long start,
			const emu_fault *fault)
{
	char *target = emu_req_target(q);
	json_t *t = json_string(target);
	const char *kind = classify(q);
	json_t *entry = json_pack(
		"{s:s,s:s?,s:o,s:i,s:I,s:I,s:o,s:o*,s:o,s:s,s:s*,s:I}", "method", q->method, "host",
		emu_utf8_valid(q->host, strlen(q->host)) ? q->host : NULL, "path",
		t ? t : json_string("<invalid utf-8>"), "status", r->drop ? 0 : r->status, "startMs",
		(json_int_t)start, "durationMs", (json_int_t)(emu_now_ms() - start), "body",
		logged_body(q), LOGGED_JSON_TEXT, logged_json_text(q), "headers", logged_headers(q),
		"kind", kind, "fault", fault ? fault->id : NULL, "connection",
		(json_int_t)q->connection);
	free(target);
	pthread_mutex_lock(&s->lock);
	if (entry)
		json_array_append_new(s->log, entry);
	emu_count(s, kind);
	pthread_mutex_unlock(&s->lock);
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
