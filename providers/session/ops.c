/*
 * ops.c - the request shapes every provider is made of: read one resource,
 * list a collection, and send a write that may be long-running.
 *
 * They turn HTTP answers into what az_result_fn promises: the live body as
 * a new reference, NULL for a resource that does not exist, and the
 * diagnostics of a failure. Retries of transient HTTP failures happen below,
 * in the client; the retry here is for states of Azure that pass with time
 * and answer a 4xx with a known code: replication delays (Graph's
 * NoBackingApplicationObject right after an application is created, ARM's
 * PrincipalNotFound right after a principal is), access that has not
 * reached a data plane yet (a new Synapse firewall rule or role), another
 * operation still running on the same Synapse workspace. They are worth a
 * bounded number of tries, or a bounded time.
 */
#include "session/session.h"

#include <stdlib.h>
#include <string.h>

/* A replication delay is seconds; waiting longer between tries buys nothing. */
#define RETRY_CAP_MS 30000

az_http_request *az_session_request(const char *method, const char *url, az_service svc)
{
	az_http_request *r = az_http_request_new(method, url);
	r->svc = svc;
	az_http_request_header(r, "Accept", "application/json");
	return r;
}

/* Bytes a URL cannot carry as they are: ids and OData filters may hold
 * spaces and quotes ("$filter=principalId eq '...'"). */
static bool url_unsafe(unsigned char c)
{
	return c <= 0x20 || c >= 0x7f || strchr("\"<>\\^`{|}", c);
}

char *az_url_api(const char *base, const char *path, const char *api_version)
{
	az_buf b = AZ_BUF_INIT;
	az_buf_puts(&b, base);
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		if (url_unsafe(*p))
			az_buf_printf(&b, "%%%02X", *p);
		else
			az_buf_putc(&b, (char)*p);
	}
	if (api_version)
		az_buf_printf(&b, "%capi-version=%s", strchr(path, '?') ? '&' : '?', api_version);
	return az_buf_detach(&b);
}

/* ---------------------------------------------------------------------
 * Failing from the loop: callbacks never run inside the call that queued
 * them, also when the input is refused before any request.
 */
typedef struct fail_op {
	int err;
	az_diags diags;
	az_result_fn cb;
	void *ud;
} fail_op;

static void fail_now(void *ud)
{
	fail_op *op = ud;
	op->cb(op->ud, op->err, NULL, &op->diags);
	az_diags_clear(&op->diags);
	free(op);
}

void az_session_fail(az_session *s, int err, az_diags *d, az_result_fn cb, void *ud)
{
	fail_op *op = az_xcalloc(1, sizeof(*op));
	op->err = err;
	az_diags_move(&op->diags, d);
	op->cb = cb;
	op->ud = ud;
	az_http_timer(az_session_http(s), 0, fail_now, op);
}

void az_session_no_invoke(az_session *s, const az_kind *kind, const char *id, const char *action,
			  az_result_fn cb, void *ud)
{
	az_diags d = AZ_DIAGS_INIT;
	az_diag *diag = az_diag_add(&d, AZ_SEV_ERROR, NULL, NULL, "%s has no operation '%s'",
				    kind->name, action);
	az_diag_set_detail(diag, "asked of %s", id);
	az_session_fail(s, AZ_EINVALID, &d, cb, ud);
}

/* ---------------------------------------------------------------------
 * Read.
 */
typedef struct get_op {
	az_result_fn cb;
	void *ud;
} get_op;

static void on_get(void *ud, int err, const az_http_response *resp, az_diags *d)
{
	get_op *op = ud;
	json_t *live = NULL;
	if (err == AZ_ENOTFOUND && resp && resp->status == 404) {
		/* Absent is an answer, not a failure. */
		az_diags_clear(d);
		err = 0;
	} else if (!err) {
		live = az_http_response_json(resp);
		if (!json_is_object(live)) {
			az_diag_add(d, AZ_SEV_ERROR, NULL, NULL,
				    "the answer (HTTP %d) is not a JSON object", resp->status);
			json_decref(live);
			live = NULL;
			err = AZ_EUPSTREAM;
		}
	}
	op->cb(op->ud, err, live, d);
	free(op);
}

void az_session_get(az_session *s, const char *url, az_service svc, az_result_fn cb, void *ud)
{
	get_op *op = az_xcalloc(1, sizeof(*op));
	op->cb = cb;
	op->ud = ud;
	az_http_submit(az_session_http(s), az_session_request("GET", url, svc), on_get, op);
}

/* ---------------------------------------------------------------------
 * List.
 */
static void on_list(void *ud, int err, json_t *values, az_diags *d)
{
	get_op *op = ud;
	op->cb(op->ud, err, values, d);
	free(op);
}

void az_session_list(az_session *s, const char *url, az_service svc, az_result_fn cb, void *ud)
{
	get_op *op = az_xcalloc(1, sizeof(*op));
	op->cb = cb;
	op->ud = ud;
	az_http_list(az_session_http(s), az_session_request("GET", url, svc), on_list, op);
}

/* ---------------------------------------------------------------------
 * Send.
 */
typedef struct send_op {
	az_session *s;
	az_http_request *tmpl; /* kept to send again after a replication delay */
	az_send_options o;
	char *read_url;
	char *body_key;
	int tries;
	int64_t started_ms;
	az_result_fn cb;
	void *ud;
} send_op;

static void send_op_free(send_op *op)
{
	az_http_request_free(op->tmpl);
	free(op->read_url);
	free(op->body_key);
	free(op);
}

static void send_end(send_op *op, int err, json_t *live, az_diags *d)
{
	op->cb(op->ud, err, live, d);
	send_op_free(op);
}

static void on_reread(void *ud, int err, json_t *live, az_diags *d)
{
	send_op *op = ud;
	if (!err && !live) {
		/* Azure said the write succeeded; a caller that is told "done,
		 * and nothing is there" would lose track of the resource. */
		char *url = az_http_redact_url(op->tmpl->url);
		az_diag *diag = az_diag_add(d, AZ_SEV_ERROR, NULL, NULL,
					    "%s %s succeeded, but the resource is not there",
					    op->tmpl->method, url);
		az_diag_set_detail(diag, "reading it back answered 404; run again to see "
					 "whether it appears");
		free(url);
		err = AZ_EUPSTREAM;
	}
	send_end(op, err, live, d);
}

bool az_diags_have_code(const az_diags *d, const char *const *codes)
{
	for (size_t i = 0; d && codes && i < d->len; i++)
		for (const char *const *c = codes; *c; c++)
			if (d->items[i].code && strcmp(d->items[i].code, *c) == 0)
				return true;
	return false;
}

long az_retry_delay_ms(long base_ms, int tries)
{
	long delay = base_ms > 0 ? base_ms : 1000;
	for (int i = 0; i < tries && delay < RETRY_CAP_MS; i++)
		delay *= 2;
	return delay > RETRY_CAP_MS ? RETRY_CAP_MS : delay;
}

static void send_attempt(void *ud);

static void on_sent(void *ud, int err, const az_http_response *resp, az_diags *d)
{
	send_op *op = ud;
	if (err && op->o.missing_ok && resp && resp->status == 404) {
		/* Deleting what is already gone succeeds. */
		az_diags_clear(d);
		send_end(op, 0, NULL, d);
		return;
	}
	long delay = az_retry_delay_ms(op->o.retry_base_ms, op->tries);
	int64_t waited = az_http_now_ms(az_session_http(op->s)) - op->started_ms;
	bool more = op->tries < op->o.retry_max ||
		    (op->o.retry_for_ms > 0 && waited + delay <= op->o.retry_for_ms);
	if (err && more && az_diags_have_code(d, op->o.retry_codes)) {
		op->tries++;
		az_diags_clear(d);
		az_http_timer(az_session_http(op->s), delay, send_attempt, op);
		return;
	}
	if (err || !op->o.want_body) {
		send_end(op, err, NULL, d);
		return;
	}
	json_t *body = az_http_response_json(resp);
	if (json_is_object(body) && (!op->body_key || json_object_get(body, op->body_key))) {
		send_end(op, 0, body, d);
		return;
	}
	json_decref(body);
	if (!op->read_url) {
		send_end(op, 0, NULL, d);
		return;
	}
	/* The answer was an operation record or empty: read the resource. */
	char *url = op->read_url;
	op->read_url = NULL;
	az_session_get(op->s, url, op->tmpl->svc, on_reread, op);
	free(url);
}

static void send_attempt(void *ud)
{
	send_op *op = ud;
	az_http_client *c = az_session_http(op->s);
	az_http_request *r = az_http_request_dup(op->tmpl);
	if (op->o.lro) {
		az_lro_options lo = {.timeout_s = op->o.timeout_s};
		az_http_lro(c, r, &lo, on_sent, op);
	} else {
		az_http_submit(c, r, on_sent, op);
	}
}

void az_session_send(az_session *s, az_http_request *req, const az_send_options *o,
		     az_result_fn cb, void *ud)
{
	send_op *op = az_xcalloc(1, sizeof(*op));
	op->s = s;
	op->tmpl = req;
	op->o = *o;
	op->read_url = o->read_url ? az_xstrdup(o->read_url) : NULL;
	op->o.prefer = NULL;
	op->body_key = o->body_key ? az_xstrdup(o->body_key) : NULL;
	/* Only the copies above are used: the caller's strings may go (the
	 * retry codes are static). */
	op->o.read_url = NULL;
	op->o.body_key = NULL;
	op->started_ms = az_http_now_ms(az_session_http(s));
	op->cb = cb;
	op->ud = ud;
	send_attempt(op);
}

/* Known by its address, not its text: no etag Azure sends can be it. */
const char az_if_absent[] = "(absent)";

void az_session_write(az_session *s, const char *method, const char *url, az_service svc,
		      const json_t *body, const char *etag, const az_send_options *o,
		      az_result_fn cb, void *ud)
{
	az_http_request *r = az_session_request(method, url, svc);
	az_http_request_json(r, body);
	if (etag == az_if_absent)
		az_http_request_header(r, "If-None-Match", "*");
	else if (etag)
		az_http_request_header(r, "If-Match", etag);
	if (o->prefer)
		az_http_request_header(r, "Prefer", o->prefer);
	r->idempotent = o->idempotent;
	az_send_options wo = *o;
	wo.want_body = true;
	if (!wo.read_url)
		wo.read_url = url;
	az_session_send(s, r, &wo, cb, ud);
}

/* ---------------------------------------------------------------------
 * Remove what is found.
 */
typedef struct remove_op {
	az_session *s;
	const az_kind *kind;
	az_service svc;
	az_delete_url_fn delete_url;
	az_send_options o;
	az_result_fn cb;
	void *ud;
} remove_op;

static void on_found(void *ud, int err, json_t *live, az_diags *d)
{
	remove_op *op = ud;
	char *url = NULL;
	if (err || !live) {
		/* Failed, or already gone: either way nothing to delete. */
		op->cb(op->ud, err, NULL, d);
		goto done;
	}
	url = op->delete_url(op->s, op->kind, live, d);
	if (!url) {
		op->cb(op->ud, AZ_EUPSTREAM, NULL, d);
		goto done;
	}
	az_send_options o = op->o;
	o.missing_ok = true;
	az_session_send(op->s, az_session_request("DELETE", url, op->svc), &o, op->cb, op->ud);
done:
	free(url);
	json_decref(live);
	free(op);
}

void az_session_remove_found(az_session *s, const az_kind *kind, const char *url, az_service svc,
			     az_delete_url_fn delete_url, const az_send_options *o,
			     az_result_fn cb, void *ud)
{
	remove_op *op = az_xcalloc(1, sizeof(*op));
	op->s = s;
	op->kind = kind;
	op->svc = svc;
	op->delete_url = delete_url;
	op->o = *o;
	/* A delete reads nothing back: the strings of `o` are not kept (its
	 * retry codes are static). */
	op->o.body_key = op->o.read_url = NULL;
	op->cb = cb;
	op->ud = ud;
	az_session_get(s, url, svc, on_found, op);
}
