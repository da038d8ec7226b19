/*
 * list.c - fetching every page of a list.
 *
 * ARM, Graph and the Synapse artifact APIs page with a nextLink in the body
 * (an absolute URL, checked against the cloud like any other); Synapse RBAC
 * pages with an x-ms-continuation header that goes back on the same request.
 * A page may be empty and still point to the next one, so completion is
 * decided only by the absence of a link, never by the number of items.
 */
#include "http/http.h"

#include <stdlib.h>
#include <string.h>

/* A server that keeps sending links would keep us busy forever. */
#define MAX_PAGES 10000

typedef struct list_op {
	az_http_client *c;
	az_http_request *tmpl; /* the first request, copied for each page */
	json_t *values;
	az_http_list_fn cb;
	void *ud;
	int pages;
	char *last_link;
} list_op;

static void list_done(list_op *op, int err, az_diags *d)
{
	json_t *values = err ? NULL : op->values;
	if (err)
		json_decref(op->values);
	op->cb(op->ud, err, values, d);
	az_http_request_free(op->tmpl);
	free(op->last_link);
	free(op);
}

static void on_page(void *ud, int err, const az_http_response *resp, az_diags *d);

static void fetch(list_op *op, const char *next_link, const char *continuation)
{
	az_http_request *r = az_http_request_dup(op->tmpl);
	if (next_link) {
		free(r->url);
		r->url = az_xstrdup(next_link);
	}
	az_http_request_header(r, "x-ms-continuation", continuation);
	az_http_submit(op->c, r, on_page, op);
}

static void on_page(void *ud, int err, const az_http_response *resp, az_diags *d)
{
	list_op *op = ud;
	if (err) {
		list_done(op, err, d);
		return;
	}
	json_t *body = az_http_response_json(resp);
	json_t *value = json_object_get(body, "value");
	if (!json_is_object(body) || (value && !json_is_array(value))) {
		char *url = az_http_redact_url(op->tmpl->url);
		az_diag_add(d, AZ_SEV_ERROR, NULL, NULL,
		            "GET %s: the list answer has no \"value\" array (page %d)", url,
		            op->pages + 1);
		free(url);
		json_decref(body);
		list_done(op, AZ_EUPSTREAM, d);
		return;
	}
	if (value)
		json_array_extend(op->values, value);
	op->pages++;
	const char *next = json_string_value(json_object_get(body, "nextLink"));
	if (!next)
		next = json_string_value(json_object_get(body, "@odata.nextLink"));
	const char *cont = az_http_headers_get(&resp->headers, "x-ms-continuation");
	if (cont && !*cont)
		cont = NULL;
	if ((next && *next) || cont) {
		const char *key = next && *next ? next : cont;
		if (op->pages >= MAX_PAGES || (op->last_link && strcmp(op->last_link, key) == 0)) {
			az_diag_add(d, AZ_SEV_ERROR, NULL, NULL,
			            "the list keeps pointing to the same page (%d pages so far)",
			            op->pages);
			json_decref(body);
			list_done(op, AZ_EUPSTREAM, d);
			return;
		}
		free(op->last_link);
		op->last_link = az_xstrdup(key);
		if (next && *next)
			fetch(op, next, NULL);
		else
			fetch(op, NULL, cont);
		json_decref(body);
		return;
	}
	json_decref(body);
	list_done(op, 0, d);
}

void az_http_list(az_http_client *c, az_http_request *req, az_http_list_fn cb, void *ud)
{
	list_op *op = az_xcalloc(1, sizeof(*op));
	op->c = c;
	op->tmpl = req;
	op->values = json_array();
	op->cb = cb;
	op->ud = ud;
	fetch(op, NULL, NULL);
}
