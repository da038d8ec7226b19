/*
 * session.c - one cloud, one credential chain, one HTTP event loop.
 *
 * az_session_open() wires the pieces the other provider modules make: the
 * cloud the user chose (built-in or a cloud file, whose CA certificate the
 * transport trusts), the libcurl transport, the HTTP client and the
 * credential chain as the client's token source. Every provider call queues
 * work on the client; az_session_run() drives it all together.
 *
 * The session also counts what it sends, for `azapply` to report the cost
 * of a refresh or an apply. The HTTP client exposes no counters, so the
 * session wraps the transport it hands to the client and classifies each
 * attempt as it starts: token traffic (no service), DELETE, writes (PUT,
 * PATCH, POST), and GETs, which are reads when a provider asked for them and
 * polls when the LRO engine sent them. Providers mark their requests with
 * Accept: application/json (az_session_request); the engine's status and
 * final GETs carry no Accept header. Retries are requests too: each attempt
 * counts.
 */
#include "session/session.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/auth.h"

typedef struct az_session_counts {
	long requests;
	long reads;
	long writes;
	long deletes;
	long polls;
} az_session_counts;

struct az_session {
	az_cloud *cloud;
	az_credential *cred;
	az_http_client *http;
	az_session_counts n;
	char **unopened;   /* scopes whose refusal is expected (az_session_expect_refusal) */
	size_t unopened_len;
};

/* ---------------------------------------------------------------------
 * The counting transport: forwards to the real one, counts what starts.
 */
typedef struct counting_tp {
	az_transport inner;
	az_session_counts *n;
} counting_tp;

static void count_attempt(az_session_counts *n, const az_http_request *r)
{
	n->requests++;
	if (r->svc == AZ_SVC_NONE)
		return; /* a token or an identity, not a resource */
	if (strcmp(r->method, "DELETE") == 0)
		n->deletes++;
	else if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0)
		n->writes++;
	else if (az_http_headers_get(&r->headers, "Accept"))
		n->reads++;
	else
		n->polls++;
}

static int counting_start(void *impl, az_http_xfer *x, long connect_timeout_ms, long timeout_ms)
{
	counting_tp *t = impl;
	int error = t->inner.start(t->inner.impl, x, connect_timeout_ms, timeout_ms);
	if (!error)
		count_attempt(t->n, x->req);
	return error;
}

static void counting_wait(void *impl, long timeout_ms)
{
	counting_tp *t = impl;
	t->inner.wait(t->inner.impl, timeout_ms);
}

static void counting_abort(void *impl, az_http_xfer *x)
{
	counting_tp *t = impl;
	if (t->inner.abort)
		t->inner.abort(t->inner.impl, x);
}

static int64_t counting_now_ms(void *impl)
{
	counting_tp *t = impl;
	return t->inner.now_ms(t->inner.impl);
}

static void counting_free(void *impl)
{
	counting_tp *t = impl;
	if (t->inner.free)
		t->inner.free(t->inner.impl);
	free(t);
}

/* Wraps `inner` (taken) into `out`. */
static void counting_wrap(az_transport *out, az_transport *inner, az_session_counts *n)
{
	counting_tp *t = az_xcalloc(1, sizeof(*t));
	t->inner = *inner;
	t->n = n;
	memset(inner, 0, sizeof(*inner));
	out->start = counting_start;
	out->wait = counting_wait;
	out->abort = counting_abort;
	out->now_ms = counting_now_ms;
	out->free = counting_free;
	out->impl = t;
}

static void transport_free(az_transport *tp)
{
	if (tp && tp->free)
		tp->free(tp->impl);
	if (tp)
		memset(tp, 0, sizeof(*tp));
}

/* ---------------------------------------------------------------------
 * Opening and closing.
 */

/* Builds the session around `cloud` (taken) and `tp` (taken, may be a
 * zeroed transport: then the libcurl one with the cloud's CA). */
static int session_build(az_session **out, az_cloud *cloud, const az_session_options *opts,
			 const az_http_options *ho, az_transport *tp, az_diags *d)
{
	int error = 0;
	az_session *s = az_xcalloc(1, sizeof(*s));
	s->cloud = cloud;
	az_transport curl_tp = {0};
	if (!tp->start) {
		/* The emulator's cloud file names its own CA; Azure needs none. */
		error = az_curl_transport_new(&curl_tp, cloud->ca_certificate, d);
		if (error)
			goto done;
		tp = &curl_tp;
	}
	az_http_options o;
	if (ho)
		o = *ho;
	else
		az_http_options_init(&o);
	if (opts && opts->max_in_flight > 0)
		o.max_in_flight = opts->max_in_flight;
	if (opts && opts->max_arm_in_flight > 0)
		o.max_arm_in_flight = opts->max_arm_in_flight;
	if (opts && opts->verbosity > 0)
		o.verbosity = opts->verbosity;
	az_transport counted;
	counting_wrap(&counted, tp, &s->n);
	s->http = az_http_client_new(&o, &counted, s->cloud);

	az_auth_options ao = {0};
	ao.tenant = opts ? opts->tenant : NULL;
	error = az_credential_new(&s->cred, s->cloud, &ao, d);
	if (error)
		goto done;
	az_token_source tokens = az_credential_token_source(s->cred);
	az_http_client_set_tokens(s->http, &tokens);

done:
	transport_free(tp);
	if (error) {
		az_session_free(s);
		return error;
	}
	*out = s;
	return 0;
}

int az_session_open_transport(az_session **out, const az_session_options *opts,
			      const az_http_options *ho, az_transport *tp, az_diags *d)
{
	az_cloud *cloud = NULL;
	int error = az_cloud_resolve(&cloud, opts ? opts->cloud : NULL, d);
	if (error) {
		transport_free(tp);
		return error;
	}
	return session_build(out, cloud, opts, ho, tp, d);
}

int az_session_open(az_session **out, const az_session_options *opts, az_diags *d)
{
	az_transport none = {0};
	return az_session_open_transport(out, opts, NULL, &none, d);
}

void az_session_free(az_session *s)
{
	if (!s)
		return;
	/* The client first: its pending calls may point into the credential. */
	az_http_client_free(s->http);
	az_credential_free(s->cred);
	az_cloud_free(s->cloud);
	for (size_t i = 0; i < s->unopened_len; i++)
		free(s->unopened[i]);
	free(s->unopened);
	free(s);
}

void az_session_expect_refusal(az_session *s, const char *scope)
{
	if (az_session_refusal_expected(s, scope))
		return;
	s->unopened = az_xrealloc(s->unopened, (s->unopened_len + 1) * sizeof(*s->unopened));
	s->unopened[s->unopened_len++] = az_xstrdup(scope);
}

bool az_session_refusal_expected(const az_session *s, const char *id)
{
	for (size_t i = 0; id && i < s->unopened_len; i++) {
		size_t n = strlen(s->unopened[i]);
		/* ARM ids compare without case, and a scope holds what is below it. */
		if (strncasecmp(id, s->unopened[i], n) == 0 && (id[n] == '\0' || id[n] == '/'))
			return true;
	}
	return false;
}

az_http_client *az_session_http(az_session *s)
{
	return s->http;
}

const az_cloud *az_session_cloud(const az_session *s)
{
	return s->cloud;
}

void az_session_run(az_session *s)
{
	az_http_run(s->http);
}

void az_session_run_until(az_session *s, bool (*done)(void *ud), void *ud)
{
	az_http_run_until(s->http, done, ud);
}

int az_session_verbosity(const az_session *s)
{
	return az_http_client_verbosity(s->http);
}

void az_session_set_idle_work(az_session *s, bool (*work)(void *ud), void *ud)
{
	az_http_set_idle_work(s->http, work, ud);
}

void az_session_after(az_session *s, long delay_ms, void (*fn)(void *ud), void *ud)
{
	az_http_timer(s->http, delay_ms, fn, ud);
}

int az_session_max_in_flight(const az_session *s)
{
	return az_http_max_in_flight(s->http);
}

void az_session_limit_data_planes(az_session *s, int n, int per_host)
{
	az_http_limit_data_planes(s->http, n, per_host);
}

void az_session_prefetch_data_plane_token(az_session *s)
{
	if (!s->cred)
		return;
	char *scope = az_cloud_scope(s->cloud, AZ_SVC_SYNAPSE);
	if (scope)
		az_credential_prefetch(s->cred, s->http, scope);
	free(scope);
}

int az_session_describe(az_session *s, json_t **out, az_diags *d)
{
	return az_auth_describe(out, s->cred, s->http, d);
}

json_t *az_session_stats(const az_session *s)
{
	return json_pack("{s:I,s:I,s:I,s:I,s:I}", "requests", (json_int_t)s->n.requests, "reads",
			 (json_int_t)s->n.reads, "writes", (json_int_t)s->n.writes, "deletes",
			 (json_int_t)s->n.deletes, "polls", (json_int_t)s->n.polls);
}
