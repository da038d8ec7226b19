/*
 * client.c - the event loop: a queue of requests, a bound on requests in
 * flight, timers, retries, tokens and the trace.
 *
 * A "call" is one logical request; each try of it is an attempt handed to
 * the transport. Between attempts a call waits on a timer (backoff or
 * Retry-After) and gives its slot back, so a throttled request never blocks
 * the others. Everything runs on the thread that calls az_http_run().
 */
#include "http/http.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <uuid/uuid.h>

enum { RATE_READS, RATE_WRITES, RATE_DELETES, RATE_COUNT };

/* ARM refills reads at 25/s, writes and deletes at 10/s (azure-notes). */
static const long rate_interval_ms[RATE_COUNT] = {40, 100, 100};
static const char *const rate_header[RATE_COUNT] = {
    "x-ms-ratelimit-remaining-subscription-reads",
    "x-ms-ratelimit-remaining-subscription-writes",
    "x-ms-ratelimit-remaining-subscription-deletes",
};
/* Below this many remaining requests, start spacing them out. */
#define RATE_LOW_WATER 20

typedef struct call call;
struct call {
	az_http_client *c;
	az_http_request *req;
	az_http_done_fn cb;
	void *ud;
	int attempt;
	bool refreshed;   /* the one renewal after a 401 was used */
	bool refresh_now; /* renew the token at the next dispatch */
	bool in_transport;
	int fail_err; /* finish at once with this code (refused, no token) */
	az_http_request *wire;
	az_http_response resp;
	az_http_xfer xfer;
	int64_t sent_at;
	az_diags diags;
	size_t host; /* index into the client's hosts, or SIZE_MAX: not counted */
	call *next;
	call *all_prev, *all_next; /* every live call, to free them */
};

/* A host's calls while its service has a bound per host: how many hold a
 * slot, and the ones held back for the bound, in the order they came. */
typedef struct host_calls {
	size_t active;
	call *held_head, *held_tail;
} host_calls;

typedef struct timer {
	int64_t due;
	uint64_t seq;
	void (*fn)(void *ud);
	void *ud;
} timer;

struct az_http_client {
	az_http_options o;
	az_transport tp;
	const az_cloud *cloud;
	az_token_source tokens;
	bool have_tokens;
	call *pending_head, *pending_tail;
	/* The last of the follow-ups (next pages, polls) at the head of the
	 * queue, in the order they came, behind what was put in front; NULL
	 * when none waits. */
	call *pending_follow_ups;
	call *done_head, *done_tail;
	size_t active; /* calls taken off the queue and not finished or waiting */
	/* Per service (az_service): its calls among the active ones, and the
	 * most it may have (0: no bound of its own). Resource Manager's share
	 * is max_arm_in_flight; the data planes' is set while a refresh reads
	 * them (az_http_limit_data_planes). */
	size_t active_of[AZ_SVC_COUNT];
	int share_of[AZ_SVC_COUNT];
	bool share_full; /* the last pump held a call back for its service's share */
	/* Per service, the most calls one host may have (0: no bound), and
	 * the hosts of the calls made while it was set. */
	int per_host_of[AZ_SVC_COUNT];
	az_origin_table hosts; /* a host_calls per slot */
	call *all;     /* all live calls */
	int in_flight; /* attempts in the transport */
	int max_seen;
	timer *timers;
	size_t ntimers, captimers;
	uint64_t timer_seq;
	uint64_t rng;
	uint64_t request_ids[2]; /* new_request_id's two streams, seeded once */
	long remaining[RATE_COUNT];
	int64_t next_ok[RATE_COUNT];
	bool pace_timer;
	/* Work the loop does instead of blocking (az_http_set_idle_work). */
	bool (*idle_work)(void *ud);
	void *idle_work_ud;
};

static long env_long(const char *name, long def)
{
	const char *v = getenv(name);
	if (!v || !*v)
		return def;
	char *end;
	long n = strtol(v, &end, 10);
	return (*end || n < 0) ? def : n;
}

void az_http_options_init(az_http_options *o)
{
	memset(o, 0, sizeof(*o));
	o->max_in_flight = 16;
	o->max_retries = 3;
	o->max_retries_throttled = 10;
	o->connect_timeout_ms = 10000;
	o->timeout_ms = 100000;
	o->token_timeout_ms = 30000;
	o->poll_timeout_ms = 30000;
	o->backoff_base_ms = 800;
	o->backoff_cap_ms = 60000;
	o->poll_max_ms = env_long("AZAPPLY_POLL_MAX_SECONDS", 30) * 1000;
	o->poll_default_ms = 5000;
	const char *lv = getenv("AZAPPLY_LOG");
	if (lv && (strcasecmp(lv, "debug") == 0 || strcasecmp(lv, "trace") == 0))
		o->verbosity = 2;
	else if (lv && strcasecmp(lv, "info") == 0)
		o->verbosity = 1;
}

az_http_client *az_http_client_new(const az_http_options *o, az_transport *tp,
                                   const az_cloud *cloud)
{
	az_http_client *c = az_xcalloc(1, sizeof(*c));
	if (o)
		c->o = *o;
	else
		az_http_options_init(&c->o);
	if (c->o.max_in_flight <= 0)
		c->o.max_in_flight = 1;
	if (!c->o.log)
		c->o.log = stderr;
	c->tp = *tp;
	memset(tp, 0, sizeof(*tp));
	c->cloud = cloud;
	c->rng = c->o.seed ? c->o.seed : (uint64_t)c->tp.now_ms(c->tp.impl) | 1;
	c->share_of[AZ_SVC_ARM] = c->o.max_arm_in_flight > 0 ? c->o.max_arm_in_flight : 0;
	c->hosts.slot_size = sizeof(host_calls);
	uuid_t seed;
	uuid_generate_random(seed);
	memcpy(c->request_ids, seed, sizeof(seed));
	for (int i = 0; i < RATE_COUNT; i++)
		c->remaining[i] = -1;
	return c;
}

static void call_free(call *k)
{
	az_http_client *c = k->c;
	if (k->in_transport && c->tp.abort)
		c->tp.abort(c->tp.impl, &k->xfer);
	if (k->all_prev)
		k->all_prev->all_next = k->all_next;
	else
		c->all = k->all_next;
	if (k->all_next)
		k->all_next->all_prev = k->all_prev;
	az_http_request_free(k->req);
	az_http_request_free(k->wire);
	az_http_response_reset(&k->resp);
	az_diags_clear(&k->diags);
	free(k);
}

void az_http_client_free(az_http_client *c)
{
	if (!c)
		return;
	while (c->all)
		call_free(c->all);
	free(c->timers);
	az_origin_table_clear(&c->hosts);
	if (c->tp.free)
		c->tp.free(c->tp.impl);
	free(c);
}

void az_http_client_set_tokens(az_http_client *c, const az_token_source *tokens)
{
	c->have_tokens = tokens != NULL;
	if (tokens)
		c->tokens = *tokens;
}

void az_http_client_set_verbosity(az_http_client *c, int verbosity)
{
	c->o.verbosity = verbosity;
}

int az_http_client_verbosity(const az_http_client *c)
{
	return c->o.verbosity;
}

const az_cloud *az_http_client_cloud(const az_http_client *c)
{
	return c->cloud;
}

int64_t az_http_now_ms(const az_http_client *c)
{
	return c->tp.now_ms(c->tp.impl);
}

int az_http_max_seen_in_flight(const az_http_client *c)
{
	return c->max_seen;
}

int az_http_max_in_flight(const az_http_client *c)
{
	return c->o.max_in_flight;
}

long az_http_connections_opened(const az_http_client *c)
{
	return c->tp.connections ? c->tp.connections(c->tp.impl) : 0;
}

long az_http_timeout_for(const az_http_client *c, az_http_timeout_kind kind)
{
	switch (kind) {
	case AZ_TIMEOUT_TOKEN: return c->o.token_timeout_ms;
	case AZ_TIMEOUT_POLL: return c->o.poll_timeout_ms;
	case AZ_TIMEOUT_DEFAULT: break;
	}
	return c->o.timeout_ms;
}

long az_http_poll_delay(const az_http_client *c, long retry_after_ms)
{
	long d = retry_after_ms >= 0 ? retry_after_ms : c->o.poll_default_ms;
	return d > c->o.poll_max_ms ? c->o.poll_max_ms : d;
}

static double next_random(az_http_client *c)
{
	/* xorshift64*: jitter needs spread, not secrecy. */
	c->rng ^= c->rng >> 12;
	c->rng ^= c->rng << 25;
	c->rng ^= c->rng >> 27;
	return (double)((c->rng * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

void az_http_timer(az_http_client *c, long delay_ms, void (*fn)(void *ud), void *ud)
{
	if (c->ntimers == c->captimers) {
		c->captimers = c->captimers ? c->captimers * 2 : 16;
		c->timers = az_xrealloc(c->timers, c->captimers * sizeof(*c->timers));
	}
	timer *t = &c->timers[c->ntimers++];
	t->due = az_http_now_ms(c) + (delay_ms > 0 ? delay_ms : 0);
	t->seq = c->timer_seq++;
	t->fn = fn;
	t->ud = ud;
}

/* Index of the timer due first (ties in order of creation), or -1. */
static long first_timer(const az_http_client *c)
{
	long best = -1;
	for (size_t i = 0; i < c->ntimers; i++) {
		const timer *t = &c->timers[i];
		if (best < 0 || t->due < c->timers[best].due ||
		    (t->due == c->timers[best].due && t->seq < c->timers[best].seq))
			best = (long)i;
	}
	return best;
}

static bool fire_due_timer(az_http_client *c)
{
	long i = first_timer(c);
	if (i < 0 || c->timers[i].due > az_http_now_ms(c))
		return false;
	timer t = c->timers[i];
	c->timers[i] = c->timers[--c->ntimers];
	t.fn(t.ud);
	return true;
}

typedef enum queue_place {
	QUEUE_BACK,
	/* Work under way (its next page, its operation's next poll) goes
	 * ahead of work not begun: a list's pages are a chain, and each page
	 * behind a plan's hundreds of queued lists made the chain of the
	 * stack-wide list the plan's longest path (11 pages over 4.5 s at
	 * 50 ms a request). */
	QUEUE_AHEAD,
	QUEUE_FRONT, /* first of all: token requests, a call to send again */
} queue_place;

static void push_pending(az_http_client *c, call *k, queue_place place)
{
	call *after = place == QUEUE_AHEAD ? c->pending_follow_ups
		      : place == QUEUE_BACK ? c->pending_tail
					    : NULL;
	/* The first follow-up goes behind the token requests in front: a
	 * pass stops at the first call the bound holds back, and the calls
	 * holding the slots may be waiting for those tokens. */
	if (place == QUEUE_AHEAD && !after)
		for (call *q = c->pending_head; q && q->req->svc == AZ_SVC_NONE; q = q->next)
			after = q;
	if (after) {
		k->next = after->next;
		after->next = k;
	} else {
		k->next = c->pending_head;
		c->pending_head = k;
	}
	if (!k->next)
		c->pending_tail = k;
	if (place == QUEUE_AHEAD)
		c->pending_follow_ups = k;
}

static void push_done(az_http_client *c, call *k)
{
	k->next = NULL;
	if (c->done_tail)
		c->done_tail->next = k;
	else
		c->done_head = k;
	c->done_tail = k;
}

static int rate_category(const char *method)
{
	if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)
		return RATE_READS;
	if (strcmp(method, "DELETE") == 0)
		return RATE_DELETES;
	return RATE_WRITES;
}

static void requeue_timer(void *ud)
{
	call *k = ud;
	push_pending(k->c, k, QUEUE_FRONT);
}

static void log_attempt(az_http_client *c, call *k)
{
	if (c->o.verbosity < 1)
		return;
	/* Never headers or bodies: they carry tokens and secrets. */
	char *url = az_http_redact_url(k->req->url);
	const char *rid = az_http_headers_get(&k->resp.headers, "x-ms-request-id");
	if (k->resp.status)
		fprintf(c->o.log, "azapply: http: %s %s -> %d (%ld ms)%s%s%s\n", k->req->method,
		        url, k->resp.status, k->resp.duration_ms, rid ? " x-ms-request-id=" : "",
		        rid ? rid : "", k->attempt ? " (retry)" : "");
	else
		fprintf(c->o.log, "azapply: http: %s %s -> %s (%ld ms)%s\n", k->req->method, url,
		        k->resp.net_message ? k->resp.net_message : "failed", k->resp.duration_ms,
		        k->attempt ? " (retry)" : "");
	free(url);
}

static uint64_t next_id_bits(uint64_t *state)
{
	return az_splitmix64_mix(*state += AZ_SPLITMIX64_GAMMA);
}

/* x-ms-client-request-id: a version 4 UUID that tells this request apart
 * in Azure's logs; unique, not secret. Drawn from two streams seeded once
 * per client by libuuid's own random UUID: a random UUID per request was a
 * getrandom() system call each, 4.6% of a 10,001-resource apply's CPU. */
static void new_request_id(az_http_client *c, char out[37])
{
	uint64_t hi = next_id_bits(&c->request_ids[0]), lo = next_id_bits(&c->request_ids[1]);
	uuid_t u;
	memcpy(u, &hi, 8);
	memcpy(u + 8, &lo, 8);
	u[6] = (unsigned char)((u[6] & 0x0f) | 0x40); /* version 4 */
	u[8] = (unsigned char)((u[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	uuid_unparse_lower(u, out);
}

/* Hands the attempt to the transport, with the token when there is one. */
static void start_attempt(call *k, const char *token)
{
	az_http_client *c = k->c;
	az_http_request_free(k->wire);
	k->wire = az_http_request_dup(k->req);
	char rid[37];
	new_request_id(c, rid);
	az_http_request_header(k->wire, "x-ms-client-request-id", rid);
	az_http_request_header(k->wire, "User-Agent", "azapply/" AZAPPLY_VERSION);
	if (token) {
		char *auth = az_xasprintf("Bearer %s", token);
		az_http_request_header(k->wire, "Authorization", auth);
		memset(auth, 0, strlen(auth));
		free(auth);
	}
	az_http_response_reset(&k->resp);
	k->xfer.req = k->wire;
	k->xfer.resp = &k->resp;
	k->xfer.tp = NULL;
	k->xfer.owner = k;
	k->sent_at = az_http_now_ms(c);
	long ct = k->req->connect_timeout_ms ? k->req->connect_timeout_ms : c->o.connect_timeout_ms;
	long tt = k->req->timeout_ms ? k->req->timeout_ms : c->o.timeout_ms;
	int error = c->tp.start(c->tp.impl, &k->xfer, ct, tt);
	if (error) {
		k->resp.net = AZ_NET_CONNECT;
		k->resp.net_message = az_xstrdup("the transport could not start the request");
		push_done(c, k);
		return;
	}
	k->in_transport = true;
	c->in_flight++;
	if (c->in_flight > c->max_seen)
		c->max_seen = c->in_flight;
}

static void on_token(void *ud, int err, const char *token, az_diags *d)
{
	call *k = ud;
	if (err) {
		/* No token: finish with the credential's diagnostics. */
		if (d)
			az_diags_move(&k->diags, d);
		k->fail_err = err;
		push_done(k->c, k);
		return;
	}
	start_attempt(k, token);
}

static host_calls *host_at(const az_http_client *c, size_t n)
{
	return az_origin_slot(&c->hosts, n);
}

/* A call takes its slot as it is sent and gives it back when it ends or
 * waits (a retry's timer, a token refresh). */
static void take_slot(call *k)
{
	k->c->active++;
	k->c->active_of[k->req->svc]++;
	if (k->host != SIZE_MAX)
		host_at(k->c, k->host)->active++;
}

static bool host_full(const az_http_client *c, const call *k)
{
	int bound = c->per_host_of[k->req->svc];
	return k->host != SIZE_MAX && bound > 0 && host_at(c, k->host)->active >= (size_t)bound;
}

/* Puts the calls `h` held back into the queue while its bound allows,
 * ahead of the work not begun: they came before it. */
static void release_held(az_http_client *c, host_calls *h)
{
	while (h->held_head && !host_full(c, h->held_head)) {
		call *k = h->held_head;
		h->held_head = k->next;
		if (!h->held_head)
			h->held_tail = NULL;
		push_pending(c, k, QUEUE_AHEAD);
	}
}

/* Gives k's slot back without yet letting its host's held calls go. */
static void leave_slot(call *k)
{
	az_http_client *c = k->c;
	c->active--;
	c->active_of[k->req->svc]--;
	if (k->host != SIZE_MAX)
		host_at(c, k->host)->active--;
}

static void give_slot(call *k)
{
	leave_slot(k);
	if (k->host != SIZE_MAX)
		release_held(k->c, host_at(k->c, k->host));
}

/* Holds `k` back (taken off the queue) until a call of its host ends. */
static void hold_for_host(az_http_client *c, call *k)
{
	host_calls *h = host_at(c, k->host);
	k->next = NULL;
	if (h->held_tail)
		h->held_tail->next = k;
	else
		h->held_head = k;
	h->held_tail = k;
}

/* The host of a call made while its service has a bound per host. */
static size_t host_of(az_http_client *c, const az_http_request *req)
{
	if (c->per_host_of[req->svc] <= 0)
		return SIZE_MAX;
	return az_origin_number(&c->hosts, req->url);
}

/* Whether k's service has its share of the slots in use already. */
static bool share_full(const az_http_client *c, const call *k)
{
	int share = c->share_of[k->req->svc];
	return share > 0 && c->active_of[k->req->svc] >= (size_t)share;
}

void az_http_limit_data_planes(az_http_client *c, int n, int per_host)
{
	c->share_of[AZ_SVC_SYNAPSE] = n > 0 ? n : 0;
	c->per_host_of[AZ_SVC_SYNAPSE] = per_host > 0 ? per_host : 0;
	for (size_t i = 0; i < c->hosts.count; i++)
		release_held(c, host_at(c, i));
}

static void dispatch(call *k)
{
	az_http_client *c = k->c;
	take_slot(k);
	if (k->req->svc == AZ_SVC_NONE || !c->have_tokens) {
		start_attempt(k, NULL);
		return;
	}
	char *scope = az_cloud_scope(c->cloud, k->req->svc);
	/* After a 401, name the refused token so the source renews it. */
	const char *rejected = NULL;
	if (k->refresh_now && k->wire) {
		const char *auth = az_http_headers_get(&k->wire->headers, "Authorization");
		if (auth && strncmp(auth, "Bearer ", 7) == 0)
			rejected = auth + 7;
	}
	k->refresh_now = false;
	c->tokens.get(c->tokens.impl, c, scope ? scope : "", rejected, on_token, k);
	free(scope);
}

static void pace_timer_fired(void *ud)
{
	az_http_client *c = ud;
	c->pace_timer = false;
}

/* True when the ARM budget of this request's kind says to wait a little. */
static bool must_pace(az_http_client *c, call *k)
{
	if (k->req->svc != AZ_SVC_ARM)
		return false;
	int cat = rate_category(k->req->method);
	if (c->remaining[cat] < 0 || c->remaining[cat] >= RATE_LOW_WATER)
		return false;
	int64_t now = az_http_now_ms(c);
	if (now < c->next_ok[cat]) {
		if (!c->pace_timer) {
			c->pace_timer = true;
			az_http_timer(c, (long)(c->next_ok[cat] - now), pace_timer_fired, c);
		}
		return true;
	}
	/* At the refill rate, near empty too: ARM adds a token every
	 * interval, and a request sent before its token is answered 429 with
	 * a Retry-After. One a second when near empty held a throttled apply
	 * of 2,001 ARM writes to 1 write a second, where ARM allows 10. */
	c->next_ok[cat] = now + rate_interval_ms[cat];
	if (c->remaining[cat] > 0)
		c->remaining[cat]--;
	return false;
}

/* Takes `k` out of the pending queue; `prev` is what came before it
 * when the caller last looked (NULL: the head), found again if a request
 * was put in front since. */
static void unlink_pending(az_http_client *c, call *prev, call *k)
{
	if (prev ? prev->next != k : c->pending_head != k)
		for (prev = c->pending_head; prev && prev->next != k; prev = prev->next)
			;
	if (prev)
		prev->next = k->next;
	else
		c->pending_head = k->next;
	if (c->pending_tail == k)
		c->pending_tail = prev;
	/* What precedes a follow-up is one too, or was put in front. */
	if (c->pending_follow_ups == k)
		c->pending_follow_ups = prev;
	k->next = NULL;
}

/* Dispatches what the bounds allow; returns how many calls it started. A
 * call dispatched here may queue a token request in front of the queue,
 * behind this pass: the caller pumps again until a pass starts nothing. */
static size_t pump(az_http_client *c)
{
	size_t started = 0;
	/* An ARM request waiting for its kind of ARM's budget (reads, writes,
	 * deletes) holds back only the requests that spend the same budget:
	 * data planes, Graph and ARM's other kinds go past it, in order. A
	 * throttled apply's Synapse artifacts waited behind its ARM writes. */
	bool paced[RATE_COUNT] = {false};
	call *prev = NULL;
	c->share_full = false;
	for (call *k = c->pending_head; k;) {
		call *next = k->next;
		/* Requests without a bearer token (token endpoints, IMDS) go
		 * past the bound: the calls holding every slot may be waiting
		 * for the very token this request fetches. */
		bool tokenless = k->req->svc == AZ_SVC_NONE;
		if (!tokenless && c->active >= (size_t)c->o.max_in_flight)
			break;
		/* Its service's share of the slots is full (Resource
		 * Manager's, or the data planes' while a refresh reads them):
		 * the other services' requests behind go past, in order. */
		if (share_full(c, k)) {
			c->share_full = true;
			prev = k;
			k = next;
			continue;
		}
		/* Its host has its bound of calls: it waits off the queue for
		 * one of them to end, and the calls behind go past. */
		if (host_full(c, k)) {
			unlink_pending(c, prev, k);
			hold_for_host(c, k);
			k = next;
			continue;
		}
		if (!tokenless && k->req->svc == AZ_SVC_ARM) {
			int cat = rate_category(k->req->method);
			if (paced[cat] || must_pace(c, k)) {
				paced[cat] = true;
				prev = k;
				k = next;
				continue;
			}
		}
		unlink_pending(c, prev, k);
		dispatch(k);
		started++;
		k = next;
	}
	return started;
}

static void refuse_timer(void *ud)
{
	call *k = ud;
	take_slot(k);
	push_done(k->c, k);
}

void az_http_submit(az_http_client *c, az_http_request *req, az_http_done_fn cb, void *ud)
{
	call *k = az_xcalloc(1, sizeof(*k));
	k->c = c;
	k->req = req;
	k->cb = cb;
	k->ud = ud;
	k->host = host_of(c, req);
	k->all_next = c->all;
	if (c->all)
		c->all->all_prev = k;
	c->all = k;
	if (req->svc != AZ_SVC_NONE &&
	    !az_cloud_url_allowed_from(c->cloud, req->svc, req->origin, req->url)) {
		/* Status URLs and nextLinks come from the server: a token goes
		 * only to the hosts of its own audience (azure-notes), and of
		 * those only to the one its request was made for. */
		char *url = az_http_redact_url(req->url);
		az_diag *diag =
		    az_diag_add(&k->diags, AZ_SEV_ERROR, NULL, NULL,
		                "refusing to send a %s request to %s", req->method, url);
		if (!az_cloud_url_allowed(c->cloud, req->svc, req->url)) {
			az_diag_set_detail(diag,
			                   "the URL is not on the %s host of cloud %s (scheme, "
			                   "host and port must match); no request was sent",
			                   az_service_name(req->svc), c->cloud->name);
		} else {
			az_url_origin from;
			az_url_origin_parse(&from, req->origin);
			az_diag_set_detail(diag,
			                   "the server named it in answer to a request to %s: the "
			                   "%s token goes only to that host; no request was sent",
			                   from.host, az_service_name(req->svc));
		}
		free(url);
		k->fail_err = AZ_EUPSTREAM;
		az_http_timer(c, 0, refuse_timer, k);
		return;
	}
	push_pending(c, k,
		     req->svc == AZ_SVC_NONE ? QUEUE_FRONT
		     : req->follow_up        ? QUEUE_AHEAD
					     : QUEUE_BACK);
}

void az_http_xfer_finished(az_http_xfer *x)
{
	call *k = x->owner;
	k->in_transport = false;
	k->c->in_flight--;
	k->resp.duration_ms = (long)(az_http_now_ms(k->c) - k->sent_at);
	push_done(k->c, k);
}

static void note_rate_limits(az_http_client *c, call *k)
{
	if (k->req->svc != AZ_SVC_ARM)
		return;
	for (int i = 0; i < RATE_COUNT; i++) {
		const char *v = az_http_headers_get(&k->resp.headers, rate_header[i]);
		if (v)
			c->remaining[i] = strtol(v, NULL, 10);
	}
}

static void finish(call *k, int err)
{
	az_http_client *c = k->c;
	size_t host = k->host;
	leave_slot(k);
	const az_http_response *resp = k->resp.status ? &k->resp : NULL;
	k->cb(k->ud, err, resp, &k->diags);
	call_free(k);
	/* Its host's held calls go after the callback: a list's next page,
	 * asked from there, keeps the host's connection before them. */
	if (host != SIZE_MAX)
		release_held(c, host_at(c, host));
}

static int net_error_code(az_net_err net)
{
	return net == AZ_NET_TLS ? AZ_EAUTH : AZ_EUPSTREAM;
}

/* Decides what an ended attempt leads to: a retry, a refresh, or the end. */
static void complete(call *k)
{
	az_http_client *c = k->c;
	if (k->fail_err) {
		finish(k, k->fail_err);
		return;
	}
	log_attempt(c, k);
	note_rate_limits(c, k);
	int status = k->resp.status;
	if (status == 401 && k->req->svc != AZ_SVC_NONE && c->have_tokens && !k->refreshed) {
		/* An expired or revoked token: refresh once and try again. */
		k->refreshed = true;
		k->refresh_now = true;
		give_slot(k);
		push_pending(c, k, QUEUE_FRONT);
		return;
	}
	int max = k->req->max_retries >= 0 ? k->req->max_retries
	          : status == 429          ? c->o.max_retries_throttled
	                                   : c->o.max_retries;
	if (k->attempt < max &&
	    az_http_retryable(k->req->method, k->req->idempotent, status, k->resp.net)) {
		int64_t now = az_http_now_ms(c);
		long delay = az_http_retry_after_ms(&k->resp.headers, now);
		if (delay < 0)
			delay = az_http_backoff_ms(c->o.backoff_base_ms, c->o.backoff_cap_ms,
			                           k->attempt, next_random(c));
		k->attempt++;
		give_slot(k);
		az_http_timer(c, delay, requeue_timer, k);
		return;
	}
	int err = 0;
	if (status == 0) {
		err = net_error_code(k->resp.net);
		az_diag *diag =
		    az_http_error_diag(&k->diags, k->req->method, k->req->url, &k->resp);
		if (k->attempt)
			az_diag_set_detail(diag, "gave up after %d retries", k->attempt);
	} else if ((err = az_http_status_error(status)) != 0) {
		if (status == 429 && k->attempt)
			err = AZ_ETHROTTLED;
		az_http_error_diag(&k->diags, k->req->method, k->req->url, &k->resp);
	}
	finish(k, err);
}

static bool idle(const az_http_client *c)
{
	return !c->pending_head && !c->done_head && c->ntimers == 0 && c->in_flight == 0 &&
	       c->active == 0;
}

void az_http_run_until(az_http_client *c, bool (*pred)(void *ud), void *ud)
{
	for (;;) {
		if (pred && pred(ud))
			return;
		while (fire_due_timer(c))
			;
		/* Once more after a pass that started calls: the token request
		 * they asked for waited a whole idle second (1 s before the
		 * first request of every plan, and again at each new audience). */
		while (pump(c))
			;
		if (c->done_head) {
			call *k = c->done_head;
			c->done_head = k->next;
			if (!c->done_head)
				c->done_tail = NULL;
			complete(k);
			continue;
		}
		if (idle(c))
			return;
		if (pred && pred(ud))
			return;
		long wait = 1000;
		long i = first_timer(c);
		if (i >= 0) {
			int64_t d = c->timers[i].due - az_http_now_ms(c);
			wait = d < 0 ? 0 : (d < wait ? (long)d : wait);
		}
		if (c->pending_head && c->active < (size_t)c->o.max_in_flight && !c->pace_timer &&
		    !c->share_full)
			wait = 0;
		/* A piece of the caller's work while the answers are on their
		 * way; the sockets are only looked at, not waited on, until
		 * none is left. */
		if (wait > 0 && c->idle_work && c->idle_work(c->idle_work_ud))
			wait = 0;
		c->tp.wait(c->tp.impl, wait);
	}
}

void az_http_set_idle_work(az_http_client *c, bool (*work)(void *ud), void *ud)
{
	c->idle_work = work;
	c->idle_work_ud = ud;
}

void az_http_run(az_http_client *c)
{
	az_http_run_until(c, NULL, NULL);
}
