/*
 * http.h - the asynchronous Azure HTTP client every provider uses.
 *
 * One client owns one event loop: a transport (libcurl multi in production,
 * a scripted fake in tests), a queue of pending requests bounded by a
 * maximum in flight, and timers for backoff, Retry-After and LRO polls.
 * Requests are submitted with a completion callback; az_http_run() drives
 * the loop until nothing is left. Callbacks may submit more requests.
 *
 * On top of single requests the client implements the ARM contract: retries
 * (408, 429, 5xx, connection errors; never a possibly-applied POST/PATCH),
 * Retry-After, pacing on x-ms-ratelimit-remaining-*, bearer tokens only for
 * the hosts of their audience, error bodies turned into diagnostics, paging
 * (nextLink, x-ms-continuation) and long-running operations.
 */
#ifndef AZAPPLY_HTTP_H
#define AZAPPLY_HTTP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <azapply/provider.h>

#include "cloud/cloud.h"

typedef struct az_http_client az_http_client;

typedef struct az_http_header {
	char *name;
	char *value;
} az_http_header;

typedef struct az_http_headers {
	az_http_header *items;
	size_t len;
	size_t cap;
} az_http_headers;

void az_http_headers_add(az_http_headers *h, const char *name, const char *value);
/* Replaces every header of that name (case-insensitive) by one. */
void az_http_headers_set(az_http_headers *h, const char *name, const char *value);
/* First value of `name`, matched case-insensitively (Azure varies the case). */
const char *az_http_headers_get(const az_http_headers *h, const char *name);
void az_http_headers_copy(az_http_headers *dst, const az_http_headers *src);
void az_http_headers_clear(az_http_headers *h);

/* What went wrong below HTTP, and whether the server may have seen the request. */
typedef enum az_net_err {
	AZ_NET_OK,
	AZ_NET_CONNECT, /* no connection: the request was never sent */
	AZ_NET_SEND,    /* dropped after (part of) the request was sent */
	AZ_NET_TIMEOUT, /* total timeout after sending */
	AZ_NET_TLS,     /* certificate or TLS failure: never retried */
	AZ_NET_REFUSED, /* refused locally (URL not allowed): nothing sent */
} az_net_err;

typedef struct az_http_request {
	char *method;
	char *url;
	az_http_headers headers;
	char *body;
	size_t body_len;
	az_service svc;          /* whose bearer token to attach; NONE for none */
	char *origin;            /* the URL of the request this one follows (see
	                          * az_http_request_redirect); NULL: its own */
	bool idempotent;         /* caller: safe to repeat even if POST/PATCH */
	bool follow_up;          /* continues work under way (a next page, a
	                          * poll): queued ahead of work not begun */
	bool secret_body;        /* body holds secrets (token requests) */
	long timeout_ms;         /* total per attempt; 0 = client default */
	long connect_timeout_ms; /* 0 = client default */
	int max_retries;         /* -1 = client default */
} az_http_request;

az_http_request *az_http_request_new(const char *method, const char *url);
void az_http_request_header(az_http_request *r, const char *name, const char *value);
/* Copies the body. */
void az_http_request_body(az_http_request *r, const char *data, size_t len);
/* Serialises a JSON body and sets Content-Type. */
void az_http_request_json(az_http_request *r, const json_t *body);
az_http_request *az_http_request_dup(const az_http_request *r);
/*
 * Points `r` at `url`, a URL the server named in its answer to `from` (a
 * nextLink, a Location or operation URL). `r` keeps the origin of `from`:
 * its token goes only to the host `from` was first sent to, so a Synapse
 * request's token stays with its own workspace whatever host the server
 * names (az_cloud_url_allowed_from).
 */
void az_http_request_redirect(az_http_request *r, const az_http_request *from, const char *url);
void az_http_request_free(az_http_request *r);

typedef struct az_http_response {
	int status; /* 0 when there was no HTTP answer */
	az_http_headers headers;
	az_buf body;
	az_net_err net;
	char *net_message;
	long duration_ms;
	/* The body as a layer below the callback already read it, for the
	 * next az_http_response_json to take (az_http_response_hand_json). */
	json_t *json;
} az_http_response;

void az_http_response_reset(az_http_response *r);
/* The body as JSON, or NULL when empty or not JSON. New reference: the
 * value a layer below handed over, taken once, or else a fresh read. */
json_t *az_http_response_json(const az_http_response *r);
/* Hands `json`, the body as the caller read it (its reference), to the
 * next az_http_response_json on `r`, so that the callback it passes `r` to
 * does not read the body again (an operation's final answer: the LRO reads
 * it for an error, the session for the resource). The caller must not use
 * or change it afterwards: whoever takes it owns it. */
void az_http_response_hand_json(const az_http_response *r, json_t *json);

/*
 * Completion: `err` is 0 for 1xx-3xx answers, else an AZ_E* code with the
 * cause in `d` (the callback may move them out; the client clears them after
 * the call). `resp` is NULL when no answer came. Both are borrowed.
 */
typedef void (*az_http_done_fn)(void *ud, int err, const az_http_response *resp, az_diags *d);

/* ---------------------------------------------------------------------
 * Tokens. The credential module implements this; the client asks for a
 * token per scope before sending a request that carries one.
 */
typedef void (*az_token_done_fn)(void *ud, int err, const char *token, az_diags *d);
typedef struct az_token_source {
	/*
	 * Calls `cb` exactly once, possibly before returning. `rejected` is the
	 * token a server just answered 401 to, or NULL: a source then renews
	 * its cached token if it is that one, and hands out one renewed since
	 * as it is (so parallel 401s cost one renewal, not one each).
	 */
	void (*get)(void *impl, az_http_client *c, const char *scope, const char *rejected,
	            az_token_done_fn cb, void *ud);
	void *impl;
} az_token_source;

/* ---------------------------------------------------------------------
 * Transport seam. A transport performs single attempts; the client does the
 * rest. Tests provide a fake with scripted answers and a fake clock.
 */
typedef struct az_http_xfer {
	const az_http_request *req; /* with all headers, Authorization included */
	az_http_response *resp;     /* the transport fills it */
	void *tp;                   /* the transport's own state */
	void *owner;                /* the client's */
} az_http_xfer;

typedef struct az_transport {
	/* Starts an attempt; 0 or an error (then finish is never called). */
	int (*start)(void *impl, az_http_xfer *x, long connect_timeout_ms, long timeout_ms);
	/* Waits up to timeout_ms for I/O and calls az_http_xfer_finished() for
	 * every attempt that ended. */
	void (*wait)(void *impl, long timeout_ms);
	/* Abandons a started attempt (finish is never called for it). */
	void (*abort)(void *impl, az_http_xfer *x);
	/* Wall clock in milliseconds since the epoch. */
	int64_t (*now_ms)(void *impl);
	/* Connections opened so far; NULL when the transport has none. */
	long (*connections)(void *impl);
	void (*free)(void *impl);
	void *impl;
} az_transport;

/* Called by a transport when an attempt has ended (answer or error). */
void az_http_xfer_finished(az_http_xfer *x);

/* The libcurl transport. `ca_file` may be NULL (see the .c for the order). */
int az_curl_transport_new(az_transport *out, const char *ca_file, az_diags *d);

/* ---------------------------------------------------------------------
 * The client.
 */
typedef struct az_http_options {
	int max_in_flight;         /* default 16 */
	/* Of those, how many may go to Resource Manager at once: one host, one
	 * read budget per subscription; the workspaces' hosts are many. 0: no
	 * bound of its own. */
	int max_arm_in_flight;
	int max_retries;           /* default 3 (as the Azure SDK) */
	int max_retries_throttled; /* for 429; default 10 */
	long connect_timeout_ms;   /* default 10 s */
	long timeout_ms;           /* default 100 s (ARM answers within 60 s) */
	long token_timeout_ms;     /* token endpoints, IMDS, the CLI's peers; default 30 s */
	long poll_timeout_ms;      /* LRO status and final GETs; default 30 s */
	long backoff_base_ms;      /* default 800 */
	long backoff_cap_ms;       /* default 60 s */
	long poll_max_ms;          /* LRO poll interval cap; AZAPPLY_POLL_MAX_SECONDS, 30 s */
	long poll_default_ms;      /* LRO poll interval without Retry-After; 5 s, capped */
	unsigned int seed;         /* jitter seed; 0 = from the clock */
	int verbosity;             /* 0 quiet, 1 one line per request; AZAPPLY_LOG=debug */
	FILE *log;                 /* default stderr */
} az_http_options;

/* Kinds of request with their own total timeout: a token or a status
 * document comes back in seconds, an ARM write may take a minute. */
typedef enum az_http_timeout_kind {
	AZ_TIMEOUT_DEFAULT,
	AZ_TIMEOUT_TOKEN,
	AZ_TIMEOUT_POLL,
} az_http_timeout_kind;

/* Defaults, then the environment (AZAPPLY_LOG, AZAPPLY_POLL_MAX_SECONDS). */
void az_http_options_init(az_http_options *o);

/* Takes the transport. `cloud` and `tokens` are borrowed and must outlive it. */
az_http_client *az_http_client_new(const az_http_options *o, az_transport *tp,
                                   const az_cloud *cloud);
void az_http_client_free(az_http_client *c);
void az_http_client_set_tokens(az_http_client *c, const az_token_source *tokens);
void az_http_client_set_verbosity(az_http_client *c, int verbosity);
/* What the client traces: 0 nothing, 1 a line per request, 2 more
 * (--verbose, or AZAPPLY_LOG when the options left it at 0). */
int az_http_client_verbosity(const az_http_client *c);
const az_cloud *az_http_client_cloud(const az_http_client *c);
int64_t az_http_now_ms(const az_http_client *c);
/* The total timeout for a kind of request, for az_http_request.timeout_ms. */
long az_http_timeout_for(const az_http_client *c, az_http_timeout_kind kind);
/* The most requests that were in flight at once so far. */
int az_http_max_seen_in_flight(const az_http_client *c);
/* The most it lets be in flight at once (az_http_options.max_in_flight). */
int az_http_max_in_flight(const az_http_client *c);
/* From now on, at most n requests to the workspaces' data planes at once,
 * and at most per_host to any one of their hosts (0: no bound of their
 * own). A request to a host with its bound waits off the queue, and the
 * ones behind it go past. */
void az_http_limit_data_planes(az_http_client *c, int n, int per_host);
/* The connections the transport opened so far (0 when it does not say). */
long az_http_connections_opened(const az_http_client *c);

/* Queues a request (taken). `cb` runs from az_http_run(), never from here. */
void az_http_submit(az_http_client *c, az_http_request *req, az_http_done_fn cb, void *ud);
/* Drives the loop until no request, timer or operation is left. */
void az_http_run(az_http_client *c);
/* Drives the loop until pred(ud) is true or nothing is left. */
void az_http_run_until(az_http_client *c, bool (*pred)(void *ud), void *ud);
/* While set, whenever the loop would wait for the network it first calls
 * work(ud), which does a short piece of work and returns true while more
 * is left; it must not drive the loop itself. NULL clears it. */
void az_http_set_idle_work(az_http_client *c, bool (*work)(void *ud), void *ud);

/* Runs `fn` from the loop after `delay_ms` (0 = next turn). */
void az_http_timer(az_http_client *c, long delay_ms, void (*fn)(void *ud), void *ud);

/* ---------------------------------------------------------------------
 * Paging: every page of a list, `value` arrays concatenated. Pages come by
 * the body's nextLink (@odata.nextLink for Graph), or by the
 * x-ms-continuation header (Synapse RBAC), sent back on the same request.
 * A list is complete or an error: a failed page after the first fails the
 * list (never AZ_ENOTFOUND, which only the first page may answer), and so
 * do a page that is not one, links that lead back to a page already read,
 * and more than 10,000 pages.
 */
typedef void (*az_http_list_fn)(void *ud, int err, json_t *values, az_diags *d);
/* `values` is a new reference the callback owns (NULL on error). */
void az_http_list(az_http_client *c, az_http_request *req, az_http_list_fn cb, void *ud);

/* What one answer of a list holds: its items and where the next page is. */
typedef struct az_http_page {
	json_t *items;      /* the "value" array, a new reference */
	char *next_link;    /* nextLink or @odata.nextLink; NULL when empty or absent */
	char *continuation; /* the x-ms-continuation header when there is no link */
} az_http_page;

/* Reads a 2xx answer of a list; AZ_EUPSTREAM with *why (static text) when
 * it is not a page: no JSON object, no "value" array, a link that is not a
 * string. Exposed for the fuzz target. */
int az_http_page_parse(az_http_page *out, const az_http_response *resp, const char **why);
void az_http_page_clear(az_http_page *p);

/* ---------------------------------------------------------------------
 * Long-running operations (ARM and the Synapse data plane).
 */
typedef struct az_lro_options {
	int timeout_s; /* whole operation; 0 = 1 hour */
	const char
	    *final_url; /* GET after Azure-AsyncOperation success of PUT/PATCH; default req URL */
} az_lro_options;

/* Sends `req` (taken) and, when it starts an operation, waits for its end.
 * The callback gets the final resource or answer, or the operation's error. */
void az_http_lro(az_http_client *c, az_http_request *req, const az_lro_options *o,
                 az_http_done_fn cb, void *ud);

/* ---------------------------------------------------------------------
 * Pieces exposed for tests and for the other modules.
 */
/* Backoff before retry `attempt` (0-based): base * 2^attempt, +-20% by
 * `rnd` in [0,1), capped. */
long az_http_backoff_ms(long base_ms, long cap_ms, int attempt, double rnd);
/* Retry-After (seconds or HTTP-date; retry-after-ms too) in ms, -1 if absent. */
long az_http_retry_after_ms(const az_http_headers *h, int64_t now_ms);
/* The wait before the next LRO poll: Retry-After (-1 when absent) or the
 * default interval, capped by poll_max_ms. */
long az_http_poll_delay(const az_http_client *c, long retry_after_ms);
/* Whether an attempt that ended so may be repeated. */
bool az_http_retryable(const char *method, bool idempotent, int status, az_net_err net);
/* The AZ_E* code for an HTTP status. */
int az_http_status_error(int status);
/* Adds a diagnostic for an error answer (ARM, Synapse, AAD and Graph shapes). */
az_diag *az_http_error_diag(az_diags *d, const char *method, const char *url,
                            const az_http_response *r);
/* Sets the HTTP status, `code` and the request and correlation ids of an
 * answer on a diagnostic, keeping what it already has. */
void az_http_diag_fill(az_diag *diag, const az_http_response *r, const char *code);
/* The URL with the values of secret-looking query parameters replaced. */
char *az_http_redact_url(const char *url);
/* application/x-www-form-urlencoded escaping. */
char *az_http_form_escape(const char *s);

/* A slot of `slot_size` bytes per origin (scheme://host:port) of the URLs
 * seen, numbered 0, 1, 2... in the order first seen: what the transport and
 * the client keep per host. Set slot_size, zero the rest, before first use. */
typedef struct az_origin_table {
	size_t slot_size;
	json_t *index; /* "scheme://host:port" -> its number */
	size_t count;  /* the origins numbered so far */
	size_t cap;
	unsigned char *slots;
} az_origin_table;
/* The number of url's origin; a new origin gets `count` (and count grows)
 * and a zeroed slot. SIZE_MAX for a URL without one. */
size_t az_origin_number(az_origin_table *t, const char *url);
/* Origin n's slot; valid until the next new origin. */
void *az_origin_slot(const az_origin_table *t, size_t n);
void az_origin_table_clear(az_origin_table *t);

#endif
