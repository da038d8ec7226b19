/*
 * fuzz_pages.c - the answers of a list, as a server could send them: the
 * page parser (the "value" array, nextLink, Graph's @odata.nextLink, the
 * x-ms-continuation header) and the paging around it (links followed or
 * refused, cycles, failed pages).
 *
 * The input is a list's answers, one per page, separated by NUL bytes.
 * Each answer is a status byte ('4' answers 404, '5' 500, '0' drops the
 * connection, anything else 200), header lines "Name: value" up to an
 * empty line, and the body. Without an empty line it is all body. When
 * the answers run out, the next page's connection drops. The list is read
 * twice: as an ARM list and as a Synapse workspace's, whose token may go
 * to no other workspace.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cloud/cloud.h"
#include "http/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A transport that answers each attempt with the next answer of the input. */
typedef struct pages_tp {
	const uint8_t *at, *end;
	az_http_xfer *waiting; /* a list asks for one page at a time */
	int64_t now;
} pages_tp;

static int tp_start(void *impl, az_http_xfer *x, long connect_timeout_ms, long timeout_ms)
{
	(void)connect_timeout_ms;
	(void)timeout_ms;
	pages_tp *t = impl;
	if (t->waiting)
		abort();
	t->waiting = x;
	return 0;
}

/* Headers "Name: value" lines of [p, end). */
static void read_headers(az_http_headers *h, const char *p, const char *end)
{
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		const char *colon = memchr(p, ':', (size_t)(eol - p));
		if (colon && colon > p) {
			char *name = az_xstrndup(p, (size_t)(colon - p));
			const char *v = colon + 1;
			while (v < eol && *v == ' ')
				v++;
			char *value = az_xstrndup(v, (size_t)(eol - v));
			az_http_headers_add(h, name, value);
			free(name);
			free(value);
		}
		p = eol + 1;
	}
}

/* Fills `r` from the next answer of the input: false when none is left. */
static bool next_answer(pages_tp *t, az_http_response *r)
{
	if (t->at >= t->end)
		return false;
	const uint8_t *stop = memchr(t->at, '\0', (size_t)(t->end - t->at));
	if (!stop)
		stop = t->end;
	const char *p = (const char *)t->at, *end = (const char *)stop;
	t->at = stop + (stop < t->end);
	if (p == end)
		return false;
	char status = *p++;
	if (status == '0')
		return false;
	r->status = status == '4' ? 404 : status == '5' ? 500 : 200;
	az_http_headers_add(&r->headers, "x-ms-request-id", "00000000-0000-0000-0000-000000000001");
	const char *blank = NULL;
	for (const char *q = p; q + 1 < end && !blank; q++)
		if (q[0] == '\n' && q[1] == '\n')
			blank = q;
	if (blank) {
		read_headers(&r->headers, p, blank);
		p = blank + 2;
	}
	az_buf_add(&r->body, p, (size_t)(end - p));
	return true;
}

static void tp_wait(void *impl, long timeout_ms)
{
	pages_tp *t = impl;
	t->now += timeout_ms > 0 ? timeout_ms : 1;
	az_http_xfer *x = t->waiting;
	if (!x)
		return;
	t->waiting = NULL;
	if (!next_answer(t, x->resp)) {
		az_http_response_reset(x->resp);
		x->resp->net = AZ_NET_SEND;
		x->resp->net_message = az_xstrdup("Empty reply from server");
	}
	az_http_xfer_finished(x);
}

static void tp_abort(void *impl, az_http_xfer *x)
{
	pages_tp *t = impl;
	if (t->waiting == x)
		t->waiting = NULL;
}

static int64_t tp_now(void *impl)
{
	return ((pages_tp *)impl)->now;
}

typedef struct outcome {
	int calls;
	int err;
	json_t *values;
	size_t diags;
} outcome;

static void listed(void *ud, int err, json_t *values, az_diags *d)
{
	outcome *o = ud;
	o->calls++;
	o->err = err;
	o->values = values;
	o->diags = d ? d->len : 0;
}

static void read_list(const az_cloud *cloud, az_service svc, const char *url, const uint8_t *data,
                      size_t size)
{
	pages_tp t = {data, data + size, NULL, 0};
	az_transport tp = {
	    .start = tp_start, .wait = tp_wait, .abort = tp_abort, .now_ms = tp_now, .impl = &t};
	az_http_options o;
	az_http_options_init(&o);
	o.verbosity = 0;
	o.max_retries = 0;
	o.max_retries_throttled = 0;
	o.seed = 1;
	az_http_client *c = az_http_client_new(&o, &tp, cloud);
	az_http_request *req = az_http_request_new("GET", url);
	req->svc = svc;
	outcome out = {0};
	az_http_list(c, req, listed, &out);
	az_http_run(c);
	/* Called back once; a whole list or an error said, never both. */
	if (out.calls != 1 || (out.err == 0) != json_is_array(out.values) ||
	    (out.err != 0 && out.diags == 0))
		abort();
	json_decref(out.values);
	az_http_client_free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static az_cloud *cloud;
	if (!cloud) {
		az_diags d = AZ_DIAGS_INIT;
		if (az_cloud_builtin(&cloud, "AzureCloud", &d) != 0)
			abort();
		az_diags_clear(&d);
	}
	/* The first answer through the parser alone. */
	pages_tp t = {data, data + size, NULL, 0};
	az_http_response r = {0};
	if (next_answer(&t, &r)) {
		az_http_page page;
		const char *why = NULL;
		int err = az_http_page_parse(&page, &r, &why);
		if (err ? !why || page.items
		        : !json_is_array(page.items) || (page.next_link && !*page.next_link) ||
		              (page.next_link && page.continuation))
			abort();
		az_http_page_clear(&page);
	}
	az_http_response_reset(&r);
	read_list(cloud, AZ_SVC_ARM, "https://management.azure.com/l?api-version=1", data, size);
	read_list(cloud, AZ_SVC_SYNAPSE, "https://ws1.dev.azuresynapse.net/pipelines?api-version=1",
	          data, size);
	return 0;
}
