/*
 * session.h - what the concrete providers share: the session's HTTP client
 * and cloud, and the few request shapes every provider is made of.
 *
 * A provider call is one of three things: a GET where 404 means "absent", a
 * list of every page, or a write that may be long-running and ends with the
 * live body. az_session_send() does the third with the options each Azure
 * API needs (a missing resource counts as deleted, a body that is not the
 * resource means read it again, a transient error code to retry), so the
 * providers themselves hold only what differs between ARM, the Synapse data
 * plane and Graph: URLs, methods and headers.
 *
 * Private to providers/: the planner only sees provider.h.
 */
#ifndef AZAPPLY_SESSION_H
#define AZAPPLY_SESSION_H

#include <azapply/provider.h>

#include "cloud/cloud.h"
#include "http/http.h"

/*
 * Opens a session over a given transport (taken, also on failure): what
 * az_session_open() does after building the libcurl transport. Tests pass a
 * scripted transport; `ho` may be NULL for the defaults.
 */
int az_session_open_transport(az_session **out, const az_session_options *opts,
			      const az_http_options *ho, az_transport *tp, az_diags *d);

/* Borrowed; live as long as the session. */
az_http_client *az_session_http(az_session *s);
const az_cloud *az_session_cloud(const az_session *s);

/*
 * A request of a provider. Every one carries Accept: application/json; the
 * session tells the requests a provider asked for from the status polls the
 * LRO engine sends by it (see the counting transport in session.c).
 */
az_http_request *az_session_request(const char *method, const char *url, az_service svc);

/* "<base><path>?api-version=<v>", or "&api-version=" when `path` has a query;
 * bytes a URL cannot hold (spaces, quotes of OData filters) percent-encoded.
 * Without `api_version` (Graph has it in the path), no parameter is added. */
char *az_url_api(const char *base, const char *path, const char *api_version);

/* The invoke of a provider whose kinds have no operations of their own. */
void az_session_no_invoke(az_session *s, const az_kind *kind, const char *id, const char *action,
			  az_result_fn cb, void *ud);

/* The providers, served by az_provider_get() (registry.c). */
extern const az_provider az_provider_arm;
extern const az_provider az_provider_synapse;
extern const az_provider az_provider_synapse_rbac;
extern const az_provider az_provider_graph;

/* Calls back with `err` and the diagnostics moved out of `d`, from the loop. */
void az_session_fail(az_session *s, int err, az_diags *d, az_result_fn cb, void *ud);

/* GET one resource: 404 is err 0 with live NULL. */
void az_session_get(az_session *s, const char *url, az_service svc, az_result_fn cb, void *ud);

/* Every item of every page (nextLink, @odata.nextLink or x-ms-continuation). */
void az_session_list(az_session *s, const char *url, az_service svc, az_result_fn cb, void *ud);

typedef struct az_send_options {
	bool lro;               /* wait for a long-running operation */
	int timeout_s;          /* the whole operation; 0 = an hour */
	bool missing_ok;        /* 404 is success with live NULL (deletes) */
	bool want_body;         /* call back with the live body */
	const char *body_key;   /* the answer is the resource when it has this key */
	const char *read_url;   /* else GET this for the live body */
	/* Error codes worth retrying (replication and propagation delays,
	 * another operation in progress), NULL-terminated, static storage. */
	const char *const *retry_codes;
	int retry_max;          /* how many times... */
	long retry_for_ms;      /* ...or for how long since the first try (0: count only) */
	long retry_base_ms;     /* first wait, doubled each time, capped at 30 s */
	/* az_session_write only: */
	const char *prefer;     /* a Prefer header (Graph's create-if-missing) */
	bool idempotent;        /* a POST/PATCH that is safe to repeat */
} az_send_options;

/* Whether a diagnostic of `d` carries one of `codes` (NULL-terminated). */
bool az_diags_have_code(const az_diags *d, const char *const *codes);
/* The wait before retry `tries` (0-based) of a state that passes with
 * time: `base_ms` (1 s when 0) doubled each time, capped at 30 s. */
long az_retry_delay_ms(long base_ms, int tries);

/* Sends `req` (taken) as the options say and calls back once. */
void az_session_send(az_session *s, az_http_request *req, const az_send_options *o,
		     az_result_fn cb, void *ud);

/*
 * A write of `body` (copied) to `url`, with If-Match when `etag` is given
 * (If-None-Match: * when it is az_if_absent), sent as `o` says, calling
 * back with the live body: the answer when it is the resource, else
 * `o->read_url` (when set) or `url` read again.
 */
void az_session_write(az_session *s, const char *method, const char *url, az_service svc,
		      const json_t *body, const char *etag, const az_send_options *o,
		      az_result_fn cb, void *ud);

/* From the live body of a resource about to be deleted, the URL to DELETE;
 * NULL with a diagnostic when the body does not say. */
typedef char *(*az_delete_url_fn)(az_session *s, const az_kind *kind, const json_t *live,
				  az_diags *d);

/*
 * Reads `url` and, when the resource exists, deletes it at the URL
 * `delete_url` makes from its body, as `o` says: for APIs whose DELETE
 * needs something only the resource knows (Graph's object id, an ML
 * compute's kind). A resource already gone is success.
 */
void az_session_remove_found(az_session *s, const az_kind *kind, const char *url, az_service svc,
			     az_delete_url_fn delete_url, const az_send_options *o,
			     az_result_fn cb, void *ud);

#endif
