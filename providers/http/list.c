/*
 * list.c - fetching every page of a list, or failing.
 *
 * ARM, Graph and the Synapse artifact APIs page with a nextLink in the body
 * (an absolute URL, checked against the cloud like any other and confined
 * to the host the list was asked of); Synapse RBAC pages with an
 * x-ms-continuation header that goes back on the same request. A page may
 * be empty and still point to the next one, so completion is decided only
 * by the absence of a link, never by the number of items.
 *
 * A list is read whole or not at all. The planner decides create or adopt
 * from what a list holds, so a list missing a page would read as missing
 * resources, planned as creates and overwritten by apply. A failure on any
 * page after the first is therefore the list's failure, named as such, and
 * never a 404 "not found": that is for the first page to say (a collection
 * whose parent does not exist). Links that lead back to a page already
 * read end the list as an error at once; a cap on pages is the last guard.
 */
#include "http/http.h"

#include <stdlib.h>
#include <string.h>

/* Beyond cycles, a server could send fresh links forever. */
#define MAX_PAGES 10000

typedef struct list_op {
	az_http_client *c;
	az_http_request *tmpl; /* the first request, copied for each page */
	json_t *values;
	az_http_list_fn cb;
	void *ud;
	int pages;      /* pages read so far */
	bool by_header; /* the page asked for goes by x-ms-continuation */
	json_t *seen;   /* every link and continuation asked for -> its page */
	char *asking;   /* the URL of the page asked for */
} list_op;

static void list_done(list_op *op, int err, az_diags *d)
{
	json_t *values = err ? NULL : op->values;
	if (err)
		json_decref(op->values);
	op->cb(op->ud, err, values, d);
	az_http_request_free(op->tmpl);
	json_decref(op->seen);
	free(op->asking);
	free(op);
}

/*
 * A page after the first failed: the failure, which came from the request
 * of that page, is told as the list's, with the page named. The request's
 * own words, status and request id stay as they were.
 */
static int incomplete(list_op *op, int err, az_diags *d)
{
	char *list = az_http_redact_url(op->tmpl->url);
	if (d->len == 0) {
		char *page = az_http_redact_url(op->asking);
		az_diag_add(d, AZ_SEV_ERROR, NULL, NULL, "GET %s failed", page);
		free(page);
	}
	az_diag *first = &d->items[0];
	char *summary =
	    az_xasprintf("the list %s is incomplete: page %d failed%s: %s", list, op->pages + 1,
	                 op->by_header ? " (asked with the x-ms-continuation header "
	                                 "of the page before)"
	                               : "",
	                 first->summary);
	free(first->summary);
	first->summary = summary;
	const char *why = "a list is read whole or not at all: without this page its "
	                  "resources would look absent";
	char *detail = first->detail ? az_xasprintf("%s; %s", first->detail, why) : NULL;
	az_diag_set_detail(first, "%s", detail ? detail : why);
	free(detail);
	free(list);
	/* Not "not found": the collection exists, its first page said so. */
	return err == AZ_ENOTFOUND ? AZ_EUPSTREAM : err;
}

static void fail(list_op *op, int err, az_diags *d)
{
	if (op->pages > 0)
		err = incomplete(op, err, d);
	list_done(op, err, d);
}

static void on_page(void *ud, int err, const az_http_response *resp, az_diags *d);

/* Asks for the next page: at `next_link`, or at the first URL again with
 * `continuation` (neither: the first page). */
static void fetch(list_op *op, const char *next_link, const char *continuation)
{
	az_http_request *r = az_http_request_dup(op->tmpl);
	if (next_link)
		az_http_request_redirect(r, op->tmpl, next_link);
	az_http_request_header(r, "x-ms-continuation", continuation);
	r->follow_up = next_link || continuation;
	op->by_header = continuation != NULL;
	free(op->asking);
	op->asking = az_xstrdup(r->url);
	az_http_submit(op->c, r, on_page, op);
}

void az_http_page_clear(az_http_page *p)
{
	json_decref(p->items);
	free(p->next_link);
	free(p->continuation);
	memset(p, 0, sizeof(*p));
}

int az_http_page_parse(az_http_page *out, const az_http_response *resp, const char **why)
{
	memset(out, 0, sizeof(*out));
	*why = NULL;
	json_t *body = az_http_response_json(resp);
	json_t *value = json_object_get(body, "value");
	json_t *next = json_object_get(body, "nextLink");
	if (!next || json_is_null(next))
		next = json_object_get(body, "@odata.nextLink");
	if (!json_is_object(body))
		*why = "the answer is not a JSON object";
	else if (!json_is_array(value))
		*why = "the answer has no \"value\" array";
	else if (next && !json_is_string(next) && !json_is_null(next))
		*why = "its next link is not a string";
	if (*why) {
		json_decref(body);
		return AZ_EUPSTREAM;
	}
	out->items = json_incref(value);
	/* An empty link ends a list as an absent one does (the specs' examples
	 * end with "nextLink": ""). */
	const char *link = json_string_value(next);
	if (link && *link)
		out->next_link = az_xstrdup(link);
	const char *cont = az_http_headers_get(&resp->headers, "x-ms-continuation");
	/* A body's link wins: the header is Synapse RBAC's, which has none. */
	if (!out->next_link && cont && *cont)
		out->continuation = az_xstrdup(cont);
	json_decref(body);
	return 0;
}

/* The set key of a page: its link, or its continuation apart from links. */
static char *page_key(const az_http_page *p)
{
	if (p->next_link)
		return az_xstrdup(p->next_link);
	return az_xasprintf(" x-ms-continuation %s", p->continuation);
}

/* False, with the list failed, when the next page is one read already or
 * one too many. */
static bool may_follow(list_op *op, const az_http_page *p, az_diags *d)
{
	char *list = az_http_redact_url(op->tmpl->url);
	char *key = page_key(p);
	json_t *before = json_object_get(op->seen, key);
	bool ok = false;
	if (before) {
		az_diag *diag = az_diag_add(d, AZ_SEV_ERROR, NULL, NULL,
		                            "GET %s: the server sent page %d again: the list does "
		                            "not end",
		                            list, (int)json_integer_value(before));
		if (p->next_link) {
			char *link = az_http_redact_url(p->next_link);
			az_diag_set_detail(diag, "page %d links back to %s", op->pages, link);
			free(link);
		} else {
			az_diag_set_detail(diag,
			                   "page %d sent the same x-ms-continuation as page %d",
			                   op->pages, (int)json_integer_value(before) - 1);
		}
	} else if (op->pages >= MAX_PAGES) {
		az_diag *diag = az_diag_add(d, AZ_SEV_ERROR, NULL, NULL,
		                            "GET %s: gave up after %d pages, the most azapply "
		                            "reads of one list",
		                            list, op->pages);
		az_diag_set_detail(diag, "every page linked to a new one; the list may not end");
	} else {
		json_object_set_new_nocheck(op->seen, key, json_integer(op->pages + 1));
		ok = true;
	}
	free(key);
	free(list);
	return ok;
}

static void on_page(void *ud, int err, const az_http_response *resp, az_diags *d)
{
	list_op *op = ud;
	az_http_page page;
	const char *why = NULL;
	if (err) {
		fail(op, err, d);
		return;
	}
	if (az_http_page_parse(&page, resp, &why) != 0) {
		char *url = az_http_redact_url(op->asking);
		az_diag *diag = az_diag_add(d, AZ_SEV_ERROR, NULL, NULL,
		                            "GET %s: %s, not a page of a list", url, why);
		az_http_diag_fill(diag, resp, NULL);
		free(url);
		fail(op, AZ_EUPSTREAM, d);
		return;
	}
	json_array_extend(op->values, page.items);
	op->pages++;
	if (!page.next_link && !page.continuation) {
		az_http_page_clear(&page);
		list_done(op, 0, d);
		return;
	}
	if (!may_follow(op, &page, d)) {
		az_http_page_clear(&page);
		list_done(op, AZ_EUPSTREAM, d);
		return;
	}
	fetch(op, page.next_link, page.continuation);
	az_http_page_clear(&page);
}

void az_http_list(az_http_client *c, az_http_request *req, az_http_list_fn cb, void *ud)
{
	list_op *op = az_xcalloc(1, sizeof(*op));
	op->c = c;
	op->tmpl = req;
	op->values = json_array();
	op->seen = json_object();
	op->cb = cb;
	op->ud = ud;
	/* The first page is page 1 of the cycle check too. */
	json_object_set_new_nocheck(op->seen, req->url, json_integer(1));
	fetch(op, NULL, NULL);
}
