/*
 * lro.c - long-running operations of ARM and the Synapse data plane.
 *
 * The ARM contract (azure-notes): the first answer is 201 or 202; poll
 * Azure-AsyncOperation when present (always 200 with a status), else
 * Location (202 while running, then the final answer), else the resource's
 * provisioningState. Terminal states are Succeeded, Failed and Canceled, in
 * any case. A 4xx/5xx from an Azure-AsyncOperation URL means the poll failed,
 * not the operation. The Synapse data plane answers 202 with a Location of
 * /operationResults/{id} polled until 200. Each operation waits on a timer of
 * the one loop, so many operations wait at once without blocking each other.
 */
#include "http/http.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef enum lro_mode {
	MODE_ASYNC,    /* Azure-AsyncOperation status document */
	MODE_LOCATION, /* Location: 202 until the final answer */
	MODE_STATE,    /* GET the resource until provisioningState is terminal */
} lro_mode;

typedef struct lro {
	az_http_client *c;
	az_http_request *req;
	az_http_done_fn cb;
	void *ud;
	int64_t deadline;
	int timeout_s;
	char *final_url;
	char *poll_url;
	char *location; /* for POST after Azure-AsyncOperation success */
	lro_mode mode;
	az_diags diags;
} lro;

static void lro_free(lro *op)
{
	az_http_request_free(op->req);
	free(op->final_url);
	free(op->poll_url);
	free(op->location);
	az_diags_clear(&op->diags);
	free(op);
}

static void lro_end(lro *op, int err, const az_http_response *resp, az_diags *d)
{
	if (d)
		az_diags_move(&op->diags, d);
	op->cb(op->ud, err, resp, &op->diags);
	lro_free(op);
}

static bool is_state(const char *s, const char *want)
{
	return s && strcasecmp(s, want) == 0;
}

static bool terminal(const char *s)
{
	return is_state(s, "Succeeded") || is_state(s, "Failed") || is_state(s, "Canceled") ||
	       is_state(s, "Cancelled");
}

static const char *provisioning_state(json_t *body)
{
	json_t *props = json_object_get(body, "properties");
	return json_string_value(json_object_get(props, "provisioningState"));
}

static bool is_write(const az_http_request *r)
{
	return strcmp(r->method, "PUT") == 0 || strcmp(r->method, "PATCH") == 0;
}

/* The operation ended badly: its own error, as ARM reports it. */
static void op_failed(lro *op, const az_http_response *resp, json_t *body, const char *state)
{
	json_t *err = json_object_get(body, "error");
	if (!json_is_object(err))
		err = json_object_get(json_object_get(body, "properties"), "error");
	const char *code = json_string_value(json_object_get(err, "code"));
	const char *msg = json_string_value(json_object_get(err, "message"));
	char *url = az_http_redact_url(op->req->url);
	az_diag *diag = az_diag_add(&op->diags, AZ_SEV_ERROR, NULL, NULL,
	                            "%s %s: the operation ended %s%s%s%s%s", op->req->method, url,
	                            state, code || msg ? ": " : "", code ? code : "",
	                            code && msg ? ": " : "", msg ? msg : "");
	free(url);
	az_http_diag_fill(diag, resp, code);
	lro_end(op, AZ_EUPSTREAM, resp, NULL);
}

static void poll_now(void *ud);

static void schedule(lro *op, const az_http_response *resp)
{
	long delay = az_http_retry_after_ms(&resp->headers, az_http_now_ms(op->c));
	az_http_timer(op->c, az_http_poll_delay(op->c, delay), poll_now, op);
}

static void on_final(void *ud, int err, const az_http_response *resp, az_diags *d)
{
	lro_end(ud, err, resp, d);
}

/* A GET of a status or final URL, most of them named by the server: its
 * token stays on the host of the operation's request. */
static az_http_request *status_request(lro *op, const char *url)
{
	az_http_request *r = az_http_request_new("GET", url);
	r->svc = op->req->svc;
	r->timeout_ms = az_http_timeout_for(op->c, AZ_TIMEOUT_POLL);
	r->follow_up = true;
	az_http_request_redirect(r, op->req, url);
	return r;
}

static void get_final(lro *op, const char *url)
{
	az_http_submit(op->c, status_request(op, url), on_final, op);
}

/* The operation ended well with `resp`: the body read here goes with it to
 * the caller, who would read it again (its final answer, most often). */
static void ended_with(lro *op, const az_http_response *resp, json_t **body, az_diags *d)
{
	az_http_response_hand_json(resp, *body);
	*body = NULL;
	lro_end(op, 0, resp, d);
}

static void on_poll(void *ud, int err, const az_http_response *resp, az_diags *d)
{
	lro *op = ud;
	if (err && op->mode == MODE_STATE && err == AZ_ENOTFOUND && resp) {
		/* A resource created through a 202 is 404 until it exists. */
		az_diags_clear(d);
		schedule(op, resp);
		return;
	}
	if (err) {
		if (op->mode == MODE_ASYNC && d->len)
			az_diag_set_detail(&d->items[d->len - 1],
			                   "reading the operation status failed; the operation "
			                   "itself may still be running");
		lro_end(op, err, resp, d);
		return;
	}
	/* A 202 to a Location poll says all by its status: its body, when
	 * there is one, is not read. */
	json_t *body = op->mode == MODE_LOCATION && resp->status == 202 ? NULL
									 : az_http_response_json(resp);
	switch (op->mode) {
	case MODE_ASYNC: {
		const char *st = json_string_value(json_object_get(body, "status"));
		if (!terminal(st)) {
			schedule(op, resp);
			break;
		}
		if (!is_state(st, "Succeeded")) {
			op_failed(op, resp, body, st);
			break;
		}
		if (is_write(op->req))
			get_final(op, op->final_url);
		else if (strcmp(op->req->method, "POST") == 0 && op->location)
			get_final(op, op->location);
		else
			ended_with(op, resp, &body, d);
		break;
	}
	case MODE_LOCATION: {
		const char *st = json_string_value(json_object_get(body, "status"));
		const char *next = az_http_headers_get(&resp->headers, "location");
		if (resp->status == 202) {
			/* A poll may name the next status URL: follow it. */
			if (next && *next && strcmp(next, op->poll_url)) {
				free(op->poll_url);
				op->poll_url = az_xstrdup(next);
			}
			schedule(op, resp);
		} else if (json_is_object(json_object_get(body, "error"))) {
			/* A final answer carrying an error is the operation failing,
			 * whether or not it also says Failed. */
			op_failed(op, resp, body, st ? st : "Failed");
		} else {
			ended_with(op, resp, &body, d);
		}
		break;
	}
	case MODE_STATE: {
		const char *st = provisioning_state(body);
		if (!st || is_state(st, "Succeeded"))
			ended_with(op, resp, &body, d);
		else if (terminal(st))
			op_failed(op, resp, body, st);
		else
			schedule(op, resp);
		break;
	}
	}
	json_decref(body);
}

static void poll_now(void *ud)
{
	lro *op = ud;
	if (az_http_now_ms(op->c) >= op->deadline) {
		char *url = az_http_redact_url(op->req->url);
		az_diag *diag = az_diag_add(&op->diags, AZ_SEV_ERROR, NULL, NULL,
		                            "%s %s: timed out after %d s waiting for the operation",
		                            op->req->method, url, op->timeout_s);
		char *poll = az_http_redact_url(op->poll_url);
		az_diag_set_detail(diag, "last status URL: %s", poll);
		free(poll);
		free(url);
		lro_end(op, AZ_EUPSTREAM, NULL, NULL);
		return;
	}
	az_http_submit(op->c, status_request(op, op->poll_url), on_poll, op);
}

static void on_initial(void *ud, int err, const az_http_response *resp, az_diags *d)
{
	lro *op = ud;
	if (err) {
		lro_end(op, err, resp, d);
		return;
	}
	const char *aso = az_http_headers_get(&resp->headers, "azure-asyncoperation");
	const char *loc = az_http_headers_get(&resp->headers, "location");
	bool started = resp->status == 201 || resp->status == 202;
	if (aso && *aso && (started || resp->status == 200)) {
		op->mode = MODE_ASYNC;
		op->poll_url = az_xstrdup(aso);
		if (loc && *loc)
			op->location = az_xstrdup(loc);
	} else if (loc && *loc && resp->status == 202) {
		op->mode = MODE_LOCATION;
		op->poll_url = az_xstrdup(loc);
	} else {
		/* The headers name nothing to follow: the body's state tells
		 * (read only here: an operation's first answer is most often a
		 * 202 whose headers say it all, and reading its body cost 1.1%
		 * of an apply). */
		json_t *body = az_http_response_json(resp);
		const char *st = provisioning_state(body);
		bool follow = is_write(op->req) && st && !terminal(st) && resp->status < 300;
		if (!follow) {
			/* Synchronous (200, 204, 201 without a status to follow),
			 * or a 202 that starts nothing to poll, like createRun. */
			az_http_response_hand_json(resp, body);
			lro_end(op, 0, resp, d);
			return;
		}
		json_decref(body);
		op->mode = MODE_STATE;
		op->poll_url = az_xstrdup(op->final_url);
	}
	schedule(op, resp);
}

void az_http_lro(az_http_client *c, az_http_request *req, const az_lro_options *o,
                 az_http_done_fn cb, void *ud)
{
	lro *op = az_xcalloc(1, sizeof(*op));
	op->c = c;
	op->req = az_http_request_dup(req);
	op->cb = cb;
	op->ud = ud;
	op->timeout_s = o && o->timeout_s > 0 ? o->timeout_s : 3600;
	op->deadline = az_http_now_ms(c) + (int64_t)op->timeout_s * 1000;
	op->final_url = az_xstrdup(o && o->final_url ? o->final_url : req->url);
	az_http_submit(c, req, on_initial, op);
}
