/*
 * emu.h - the Azure emulator's internal interface.
 *
 * The emulator is one process that plays every Azure host azapply talks to
 * (ARM, Entra, Graph, the Synapse data plane, managed identity) behind one
 * TLS listener on 127.0.0.1, routing by the Host header as Azure's separate
 * hosts would. http.c turns libmicrohttpd requests into emu_req values and
 * emu_resp values back into answers; everything else (arm*.c, synapse.c,
 * graph.c, auth.c, control.c) is plain functions over those two structs and
 * the shared state below, so no route handler depends on libmicrohttpd.
 *
 * All mutable state lives in one emu_server, guarded by one mutex: requests
 * are short and an emulator gains nothing from finer locking.
 */
#ifndef AZAPPLY_EMU_H
#define AZAPPLY_EMU_H

#include <azapply/provider.h>

#include <jansson.h>
#include <pthread.h>
#include <regex.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define EMU_DEFAULT_SUBSCRIPTION "00000000-0000-0000-0000-000000000000"
#define EMU_ARM_AUDIENCE "https://management.azure.com/"
#define EMU_GRAPH_AUDIENCE "https://graph.microsoft.com/"
#define EMU_SYNAPSE_AUDIENCE "https://dev.azuresynapse.net/"
#define EMU_SYNAPSE_API "2020-12-01"
/* ARM's request body limit (azure-notes.md, "Limits"). */
#define EMU_MAX_BODY (4u * 1024u * 1024u)
/* Tokens whose signature emu_auth_check remembers (emu_server). */
#define EMU_VERIFIED_TOKENS 8

typedef struct emu_kv {
	char *name;
	char *value;
} emu_kv;

typedef struct emu_kvs {
	emu_kv *items;
	size_t len, cap;
} emu_kvs;

void emu_kvs_add(emu_kvs *k, const char *name, const char *value);
/* Case-insensitive lookup of the first match; NULL when absent. */
const char *emu_kvs_get(const emu_kvs *k, const char *name);
void emu_kvs_clear(emu_kvs *k);

typedef struct emu_req {
	const char *method;
	char *host;     /* lower case, port removed */
	char *path;     /* decoded path, no query */
	emu_kvs query;  /* decoded query arguments in order */
	emu_kvs headers;
	const char *body;
	size_t body_len;
	json_t *json; /* body parsed as JSON; NULL when empty or invalid */
	bool bad_json;
	long long now_ms;
	char client_ip[64]; /* the peer's address, IPv4 dotted ("" when unknown) */
	long long connection; /* the TCP connection's number, from 1 (0: unknown) */
} emu_req;

typedef struct emu_resp {
	int status;
	emu_kvs headers;
	az_buf body;
	bool drop; /* close the connection without an answer */
} emu_resp;

const char *emu_req_header(const emu_req *q, const char *name);
const char *emu_req_query(const emu_req *q, const char *name);
/* The path and query as a client would have sent them (for logs, nextLink). */
char *emu_req_target(const emu_req *q);

void emu_resp_header(emu_resp *r, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Sets status and a JSON body; takes the reference to `body` (may be NULL).
 * The text is written at once: a stored value is answered through a new
 * reference to it (json_incref), never a copy, while the caller holds the
 * lock that guards it. */
void emu_resp_json(emu_resp *r, int status, json_t *body);
void emu_resp_empty(emu_resp *r, int status);
/* ARM-shaped error: {"error":{"code","message"}}. */
void emu_resp_arm_error(emu_resp *r, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Flat error as the Synapse data plane sends it: {"code","message"}. */
void emu_resp_flat_error(emu_resp *r, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void emu_resp_reset(emu_resp *r);

/* A fault rule from the control API (faults.c). */
typedef struct emu_fault {
	char *id;
	char *method; /* NULL = any */
	char *host;   /* NULL = any; matched case-insensitively */
	regex_t path_re;
	char *header;       /* NULL = any; else the request must carry it... */
	regex_t header_re;  /* ...with a value this matches (POSIX ERE) */
	int status; /* 0 = do not answer; only delay */
	json_t *headers;
	json_t *body;
	int remaining; /* -1 = always */
	int skip;      /* matches still to let pass before the first firing */
	int delay_ms;
	bool drop;
	char *lro_result; /* "Failed" / "Canceled": applies to LROs started by the match */
	json_t *lro_error;
	int hits;
} emu_fault;

typedef struct emu_bucket {
	char *subscription;
	double tokens[3];
	long long last_ms;
} emu_bucket;

typedef struct emu_config {
	int port;
	int latency_ms;
	unsigned long seed;
	int page_size;
	double throttle_scale;
	int token_lifetime_s;
	int principal_delay_ms; /* PrincipalNotFound window for fresh principals */
	int app_delay_ms;       /* NoBackingApplicationObject window */
	int retry_after_s;      /* Retry-After on LRO answers; -1: none, as Azure */
	int lro_polls;          /* polls before an operation ends */
	bool default_linked_services; /* a workspace lists its two default linked services */
	/* Failures Azure produces by default (tests/emulator/README.md,
	 * "Failure behaviours"): */
	bool synapse_firewall;   /* data plane refuses addresses no firewall rule allows */
	bool synapse_rbac;       /* data plane refuses principals without a Synapse role */
	int rbac_delay_ms;       /* a new Synapse role assignment takes effect after this */
	int operation_conflict_ms; /* 409 while a workspace or pool operation runs (0: off) */
	bool ml_soft_delete;     /* a deleted ML workspace holds its name until purged */
	char client_ip[64];      /* the address clients are seen from; "" = the peer's */
	const char *state_file;
	const char *dir;
} emu_config;

typedef struct emu_server {
	pthread_mutex_t lock;
	emu_config cfg;
	char *dir;
	char *cloud_path;
	char *ca_path;
	char *ca_pem;
	char *cert_pem;
	char *key_pem;
	unsigned char token_key[32];
	unsigned char federation_key[32];
	/* The last tokens emu_auth_check verified, with their claims: a client
	 * sends one token for an hour, and verifying it (two JSON parses and
	 * an HMAC) for every request was a tenth of the emulator's CPU. Its
	 * own lock: checks run outside `lock`. */
	pthread_mutex_t verified_lock;
	struct {
		char *token;
		json_t *claims;
	} verified[EMU_VERIFIED_TOKENS];
	size_t verified_next;
	/* splitmix64's state (util.c), atomic: ids are drawn outside `lock`. */
	_Atomic uint64_t rng;
	/*
	 * The whole store as one JSON document, so dump and load are a
	 * json_dumps away: "arm" (lower-case id -> resource), "meta" (lower-case
	 * id -> bookkeeping), "ops" (operations), "synapse" (workspace ->
	 * collection -> name -> artifact), "graph", "clients", "principals",
	 * "deletedVaults", "lro" (per-type overrides).
	 */
	json_t *store;
	/* store["arm"]'s ids by collection: the lower-case collection path
	 * (an id without its last segment) -> {lower-case id: true}, so a list
	 * reads its collection, not the whole store. Built when first needed,
	 * kept by every write of arm.c, dropped when the store is replaced. */
	json_t *arm_index;
	/* The same ids by their tail from the last "/providers/" on
	 * ("/providers/microsoft.synapse/workspaces/w" -> {id: true}), for
	 * emu_arm_find_named. Kept and dropped with arm_index. */
	json_t *arm_named;
	/* Bumped by every change of what an ARM list holds, by the only
	 * places that make one (arm.c): store_set, store_del, set_hidden and
	 * the store replaced. */
	unsigned long arm_changes;
	/* The last resource list's items (list_resources) and what they were
	 * for: its pages are asked one after another, and each would collect
	 * and filter the whole subscription again (55 pages of 5,500 tagged
	 * resources for a plan of 50,001). Valid while arm_changes is. */
	struct {
		char *query;
		unsigned long changes;
		json_t *items;
	} arm_list;
	az_buf log;       /* request records, a line of compact JSON each (dispatch.c) */
	json_t *counters; /* reads/writes/deletes/polls/tokens/peakInFlight/... */
	int in_flight;    /* requests being answered now (control calls aside) */
	emu_fault **faults;
	size_t nfaults;
	emu_bucket *buckets;
	size_t nbuckets;
	char *tenant_id;
	char *client_id;
	char *client_secret;
	char *sp_object_id;
} emu_server;

/* util.c */
long long emu_now_ms(void);
/* Random UUID (lower case) from the server's seeded generator, with or
 * without the lock held. */
char *emu_uuid(emu_server *s);
void emu_iso8601(char *out, size_t n, long long ms);
char *emu_lower(const char *s);
bool emu_utf8_valid(const char *s, size_t n);
char *emu_b64url(const unsigned char *data, size_t n);
/* Returns a malloc'd buffer and its length, NULL when invalid. */
unsigned char *emu_b64url_decode(const char *s, size_t n, size_t *out_len);
void emu_sha256_hex(const char *s, char out[65]);
/* Dotted path helpers ("properties.x.y"). */
json_t *emu_json_path(json_t *root, const char *path);
int emu_json_set_path(json_t *root, const char *path, json_t *value);
void emu_json_del_path(json_t *root, const char *path);
/* Recursive merge of `patch` into `dst` (JSON merge patch, null deletes). */
void emu_json_merge(json_t *dst, json_t *patch);
/* Replaces every SecureString value ({"type":"SecureString","value":...})
 * under `v` with `mask`; with `by_name`, also every string whose member
 * name says it holds a secret (password, secret, key, token). Returns true
 * when something was masked. */
bool emu_mask_secrets(json_t *v, const char *mask, bool by_name);
/* The quoted value in "field eq 'value'" of an OData $filter; NULL if absent. */
char *emu_filter_eq(const char *filter, const char *field);
/* {"value":[...], link_name: URL of the next page} for one page of `items`
 * (taken) of at most `page` items, paging by the offset in `skip_param`. */
json_t *emu_page(emu_server *s, const emu_req *q, json_t *items, size_t page,
		 const char *skip_param, const char *link_name);
/* Answers {"value":[...],"nextLink"} for one page of `items` (taken),
 * paging by the offset in query parameter `skip_param`. */
void emu_resp_page(emu_server *s, const emu_req *q, emu_resp *r, json_t *items,
		   const char *skip_param);
json_t *emu_store_obj(emu_server *s, const char *key);
void emu_count(emu_server *s, const char *what);
char *emu_host_url(const emu_server *s, const char *host);

/* tls.c: CA and server certificate, PEM in memory. */
int emu_tls_generate(emu_server *s);

/* auth.c */
void emu_auth_token(emu_server *s, const emu_req *q, emu_resp *r);
/* Forgets the tokens emu_auth_check verified. */
void emu_auth_forget_verified(emu_server *s);
void emu_auth_msi(emu_server *s, const emu_req *q, emu_resp *r);
/* Checks the bearer token for `audience`; on failure writes a 401 in the
 * style of the host (ARM, Graph or Synapse) and returns false. The
 * signature of a token already verified is not checked again; its expiry
 * and audience are, every time. */
typedef enum emu_style { EMU_STYLE_ARM, EMU_STYLE_GRAPH, EMU_STYLE_SYNAPSE } emu_style;
bool emu_auth_check(emu_server *s, const emu_req *q, emu_resp *r, const char *audience,
		    emu_style style, json_t **claims);
char *emu_jwt_sign(const unsigned char key[32], json_t *payload);
/* Verifies an HS256 token made with `key`; returns the payload or NULL. */
json_t *emu_jwt_verify_hs256(const unsigned char key[32], const char *token);
void emu_principal_add(emu_server *s, const char *oid, const char *type, long long created_ms);
/* 0 known, -1 unknown, -2 too fresh (replication delay). */
int emu_principal_lookup(emu_server *s, const char *oid, long long now_ms);
/* The client record (secrets, certs, federated), created when missing. */
json_t *emu_client_entry(emu_server *s, const char *client_id, const char *oid);
void emu_client_add_secret(emu_server *s, const char *client_id, const char *secret,
			   const char *oid);

/* throttle.c: true when the request may proceed; otherwise a 429 was written. */
bool emu_throttle(emu_server *s, const emu_req *q, emu_resp *r, const char *subscription);

/* faults.c */
int emu_fault_add(emu_server *s, json_t *spec, char **out_id, char **err);
/* Finds the first matching rule and consumes one use. Returns a copy the
 * caller frees with emu_fault_free, or NULL. */
emu_fault *emu_fault_match(emu_server *s, const emu_req *q);
void emu_fault_free(emu_fault *f);
void emu_faults_clear(emu_server *s);
json_t *emu_faults_json(emu_server *s);

/* arm.c / arm_kinds.c */
void emu_arm_handle(emu_server *s, const emu_req *q, emu_resp *r, const emu_fault *fault);
/* Writes a resource straight into the store (out-of-band drift). */
int emu_arm_put_raw(emu_server *s, const char *id, json_t *body);
int emu_arm_delete_raw(emu_server *s, const char *id);
json_t *emu_arm_get_raw(emu_server *s, const char *id);
/* The ids of one collection (`{lower-case id: true}`, borrowed), or NULL;
 * with the lock held. */
json_t *emu_arm_collection(emu_server *s, const char *coll);
/* The visible resource named `name` in any collection whose path ends in
 * `coll_suffix`, which starts at "/providers/" and holds no other
 * ("/providers/microsoft.synapse/workspaces"), or NULL; with the lock held. */
json_t *emu_arm_find_named(emu_server *s, const char *coll_suffix, const char *name);
/* Forgets the indexes of store["arm"] (the store was replaced or freed). */
void emu_arm_index_drop(emu_server *s);

/* synapse.c */
void emu_synapse_handle(emu_server *s, const char *workspace, const emu_req *q, emu_resp *r,
			const emu_fault *fault);
int emu_synapse_put_raw(emu_server *s, const char *ws, const char *coll, const char *name,
			json_t *body);
int emu_synapse_delete_raw(emu_server *s, const char *ws, const char *coll, const char *name);
/* The owner of a managed private endpoint's target answers its request:
 * the connection's status becomes `status` (Approved, Rejected). -1 when
 * the workspace has no such endpoint. */
int emu_synapse_set_connection(emu_server *s, const char *ws, const char *name,
			       const char *status, const char *description);

/* graph.c */
void emu_graph_handle(emu_server *s, const emu_req *q, emu_resp *r);
/* How the token endpoint sees the Graph application `app_id` (lock held):
 * 0 when there is none (*client untouched), -1 when it has no service
 * principal in the tenant, 1 when *client (created when NULL) now carries
 * the service principal's object id as "oid" and the application's
 * federated identity credentials as "graphFederated". */
int emu_graph_sign_in(emu_server *s, const char *app_id, json_t **client);

/* control.c */
void emu_control_handle(emu_server *s, const emu_req *q, emu_resp *r);
int emu_state_load(emu_server *s, const char *path);
int emu_state_save(emu_server *s, const char *path);

/* http.c */
typedef struct emu_http emu_http;
int emu_http_start(emu_http **out, emu_server *s);
void emu_http_stop(emu_http *h);
void emu_dispatch(emu_server *s, emu_req *q, emu_resp *r);
/* dispatch.c: the request log as GET /_emulator/log shows it, a copy with
 * each JSON body parsed and its secrets masked; with the lock held. */
json_t *emu_log_copy(emu_server *s);

/* server.c */
int emu_server_init(emu_server *s, const emu_config *cfg);
void emu_server_fini(emu_server *s);
int emu_write_cloud_config(emu_server *s);

#endif
