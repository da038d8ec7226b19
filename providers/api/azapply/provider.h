/*
 * provider.h - the one door between the planner and the providers.
 *
 * Everything that crosses the boundary is declared here and nowhere else:
 * the error codes, the diagnostics list that carries details up the stack,
 * the small allocation helpers both sides use, and the resource kind table
 * (kinds are data: api-version, id template, parent, property classes,
 * ownership marker, naming rules). The planner includes this header and no
 * other provider header; providers never include planner or cmd headers.
 *
 * jansson values are the common currency for resource bodies.
 */
#ifndef AZAPPLY_PROVIDER_H
#define AZAPPLY_PROVIDER_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped whenever a struct in this header changes shape. */
#define AZ_PROVIDER_ABI 1

/* ---------------------------------------------------------------------
 * Errors: 0 or a negative code from this small set. The details travel in
 * a diagnostics list, never in the code.
 */
typedef enum az_err {
	AZ_OK = 0,
	AZ_ERROR = -1,      /* generic failure, see diagnostics */
	AZ_ENOTFOUND = -2,  /* the thing asked for does not exist */
	AZ_ECONFLICT = -3,  /* exists already / precondition failed */
	AZ_EAUTH = -4,      /* no credential, or the credential was refused */
	AZ_ETHROTTLED = -5, /* retries exhausted against throttling */
	AZ_EINVALID = -6,   /* the input is wrong: fix the manifest or flags */
	AZ_EUPSTREAM = -7,  /* Azure answered with an error */
	AZ_ECANCELED = -8,  /* the user interrupted */
} az_err;

const char *az_err_name(int code);

/* ---------------------------------------------------------------------
 * Allocation. Out of memory is not an error path worth threading through
 * every caller in a command-line tool: these abort with a message (as git's
 * xmalloc does).
 */
void *az_xmalloc(size_t n);
void *az_xcalloc(size_t count, size_t size);
void *az_xrealloc(void *p, size_t n);
char *az_xstrdup(const char *s);
char *az_xstrndup(const char *s, size_t n);
char *az_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *az_xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
/* Routes jansson's allocations through az_xmalloc, so that a failed one is
 * the same abort as any other rather than a NULL few callers check. Called
 * once, first thing in main. */
void az_alloc_init(void);
/* Grows the heap once by a reservation of address space backed by huge
 * pages where the kernel offers them (heap.c says why). Call first thing
 * in main, before anything is allocated. Returns whether the reservation is
 * in place; either way malloc carries on as normal. */
bool az_heap_reserve(void);
/* From here on, jansson's small values come from a pool (json_pool.c says
 * why), for every thread. Call it before any JSON value exists and before
 * a second thread starts; false when the pool's address space cannot be
 * had, and malloc serves as before. */
bool az_json_pool_start(void);
/* Whether p is a block of the pool. */
bool az_json_pool_holds(const void *p);
/* json_dumps, with the text in malloc's memory whether or not the pool
 * serves jansson: free() it. NULL where json_dumps gives NULL. */
char *az_json_dumps(const json_t *json, size_t flags);
/* The JSON reader (json_read.c says why): the values jansson's own reader
 * gives, the same texts refused, for flags 0 or JSON_DECODE_ANY. err may
 * be NULL. */
json_t *az_json_loadb(const char *text, size_t len, size_t flags, json_error_t *err);
/* A file read whole through az_json_loadb; err->source is the path. */
json_t *az_json_load_file(const char *path, json_error_t *err);
/* The length of the UTF-8 character at p (at most `left` bytes there), or
 * 0 when it is not one: an overlong form, a surrogate, beyond U+10FFFF,
 * or cut short. jansson refuses the same. */
size_t az_utf8_length(const unsigned char *p, size_t left);

/* splitmix64: advance a stream's state by AZ_SPLITMIX64_GAMMA, then
 * az_splitmix64_mix(state) is its next value. Cheap and well spread, for
 * ids that must differ, never for secrets. */
#define AZ_SPLITMIX64_GAMMA 0x9e3779b97f4a7c15ULL
uint64_t az_splitmix64_mix(uint64_t state);

/* A growable, always NUL-terminated byte buffer. */
typedef struct az_buf {
	char *data;
	size_t len;
	size_t cap;
} az_buf;

#define AZ_BUF_INIT {NULL, 0, 0}
void az_buf_grow(az_buf *b, size_t extra);
void az_buf_add(az_buf *b, const void *data, size_t len);
void az_buf_puts(az_buf *b, const char *s);
void az_buf_putc(az_buf *b, char c);
/* n in decimal: what "%zu" gives, without a format to interpret (array
 * indexes go into a path for every element a check or diff visits). */
void az_buf_put_size(az_buf *b, size_t n);
void az_buf_printf(az_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void az_buf_truncate(az_buf *b, size_t len);
/* Hands the data to the caller (never NULL) and resets the buffer. */
char *az_buf_detach(az_buf *b);
void az_buf_free(az_buf *b);
/* Appends the text jansson's json_dumps gives for `json` with JSON_COMPACT
 * | JSON_SORT_KEYS | JSON_ENCODE_ANY, byte for byte (json_write.c says why it is not
 * jansson's). false, with `out` as it was, where jansson gives NULL (a
 * string that is not UTF-8) and for a tree deeper than any JSON reader
 * gives (2,048 levels). */
bool az_json_write_sorted(az_buf *out, const json_t *json);
/* The same, with the keys sorted or in their order (JSON_COMPACT |
 * JSON_ENCODE_ANY, with JSON_SORT_KEYS when sort_keys). */
bool az_json_write(az_buf *out, const json_t *json, bool sort_keys);
/* Appends `len` bytes of `str` as a JSON string, quoted and escaped as
 * jansson writes it; false, with `out` as it was, when they are not UTF-8.
 * For text written field by field without a tree to hold it. */
bool az_json_write_string(az_buf *out, const char *str, size_t len);

/* The candidate closest to `word` by edit distance (case-insensitive),
 * when close enough to be a likely typo (for "did you mean" hints); NULL
 * otherwise (suggest.c). */
const char *az_suggest(const char *word, const char *const *candidates, size_t count);
/* az_suggest over the keys of a JSON object; borrowed from it. */
const char *az_suggest_key(const char *word, json_t *object);

/* ---------------------------------------------------------------------
 * Source positions. `file` is borrowed from whoever loaded the file (the
 * manifest set) and lives as long as it.
 */
typedef struct az_pos {
	const char *file;
	int line; /* 1-based; 0 = unknown */
	int col;  /* 1-based; 0 = unknown */
} az_pos;

/* ---------------------------------------------------------------------
 * Diagnostics. Each layer adds what it knows and never overwrites what came
 * from below: a provider fills the HTTP status, ARM code and request id; the
 * planner adds the manifest position and the resource address.
 */
typedef enum az_severity {
	AZ_SEV_ERROR,
	AZ_SEV_WARNING,
	AZ_SEV_NOTE,
} az_severity;

typedef struct az_diag {
	az_severity severity;
	char *summary;        /* one line, no trailing period needed */
	char *detail;         /* optional: how to fix, more context */
	char *file;           /* optional manifest position */
	int line, col;
	char *address;        /* optional resource address, Kind/name */
	int http_status;      /* 0 when not from HTTP */
	char *code;           /* optional Azure error code */
	char *request_id;     /* optional x-ms-request-id */
	char *correlation_id; /* optional x-ms-correlation-request-id */
} az_diag;

typedef struct az_diags {
	az_diag *items;
	size_t len;
	size_t cap;
} az_diags;

#define AZ_DIAGS_INIT {NULL, 0, 0}

/* Appends a diagnostic and returns it so a caller can fill more fields.
 * `pos` and `address` may be NULL. */
az_diag *az_diag_add(az_diags *d, az_severity sev, const az_pos *pos, const char *address,
		     const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Sets the detail (how to fix) on a diagnostic. */
void az_diag_set_detail(az_diag *diag, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Fills the address of every diagnostic from `from` on that has none. */
void az_diags_set_address(az_diags *d, size_t from, const char *address);
size_t az_diags_errors(const az_diags *d);
/* Moves every diagnostic of src to the end of dst. */
void az_diags_move(az_diags *dst, az_diags *src);
/* Drops the warnings and notes among d->items[from, to), keeping errors and
 * the order of the rest; returns how many went. For a pass whose warnings a
 * later pass says again, or no longer. */
size_t az_diags_drop_warnings(az_diags *d, size_t from, size_t to);
/* Sorts by file, line, col (stable), for reports in source order. */
void az_diags_sort(az_diags *d);
void az_diags_clear(az_diags *d);

/* ---------------------------------------------------------------------
 * Resource kinds. A kind is a table entry; a new kind should be mostly data.
 * Property paths are dotted paths into the resource body ("properties.x.y");
 * "*" matches any one key or array index.
 */
typedef enum az_provider_id {
	AZ_PROVIDER_ARM,          /* management.azure.com */
	AZ_PROVIDER_SYNAPSE,      /* {workspace}.dev.azuresynapse.net artifacts */
	AZ_PROVIDER_SYNAPSE_RBAC, /* {workspace}.dev.azuresynapse.net RBAC */
	AZ_PROVIDER_GRAPH,        /* graph.microsoft.com */
} az_provider_id;

/* Where a kind keeps the mark that says "this stack owns me". */
typedef enum az_marker {
	AZ_MARKER_NONE,        /* nowhere: never pruned unless the scope is authoritative */
	AZ_MARKER_TAGS,        /* tags azapply-stack / azapply-fingerprint */
	AZ_MARKER_DESCRIPTION, /* the description property (role assignments) */
	AZ_MARKER_ANNOTATIONS, /* properties.annotations (Synapse artifacts) */
	AZ_MARKER_NOTES,       /* the notes property (Graph objects) */
	AZ_MARKER_METADATA,    /* properties.metadata (blob containers have no tags) */
	AZ_MARKER_PROPERTY_TAGS, /* properties.tags, named as tags (ML datastores: a proxy
				  * resource whose properties carry a tag dictionary) */
} az_marker;

/* How a manifest names the scope a resource lives in. */
typedef enum az_scope {
	AZ_SCOPE_SUBSCRIPTION,   /* resource groups */
	AZ_SCOPE_RESOURCE_GROUP, /* spec.resourceGroup */
	AZ_SCOPE_PARENT,         /* spec.<parent field>: name of a resource of parent_kind */
	AZ_SCOPE_ANY,            /* spec.scope: an Azure id or ${ref...} (role assignments) */
	AZ_SCOPE_TENANT,         /* Graph objects */
} az_scope;

typedef struct az_server_default {
	const char *path;  /* dotted path */
	const char *value; /* JSON text of the value Azure fills in */
} az_server_default;

typedef struct az_naming {
	int min_len;
	int max_len;
	const char *pattern; /* PCRE2, anchored by the checker */
	const char *rule;    /* the rule in words, for error messages */
} az_naming;

typedef struct az_kind {
	const char *name;          /* manifest kind, e.g. "SparkPool" */
	az_provider_id provider;
	const char *api_version;
	const char *type;          /* ARM type or artifact collection, e.g. "bigDataPools" */
	const char *id_template;   /* "{parent}/bigDataPools/{name}" */
	az_scope scope;
	const char *parent_kind;   /* for AZ_SCOPE_PARENT */
	const char *parent_field;  /* spec field naming the parent, e.g. "workspace" */
	const char *list_path;     /* collection under the parent, relative */
	const char *const *read_only_paths;
	const char *const *create_only_paths;
	const char *const *secret_paths;
	const char *const *case_insensitive_paths;
	const char *const *id_paths;
	const char *const *set_paths;
	const az_server_default *server_defaults;
	az_marker marker;
	bool stateful;             /* replacing it loses data: refused without allowReplace */
	/* Its create is sent with If-None-Match: *: ARM types with an etag,
	 * whose provider honours the header (azure-notes.md). Synapse
	 * artifacts have etags, but their PUT takes If-Match only. */
	bool create_if_absent;
	az_naming naming;
	int create_timeout_s;
	int delete_timeout_s;
	/* An ArmResource kind (arm_resource.c): made for one manifest's type,
	 * api-version and placement rather than written in the table. */
	bool generic;
	/* Generic kinds: a REST spec azapply ships describes the type, so its
	 * read-only, create-only, secret and default paths are known; without
	 * one only the properties a manifest sets are compared. */
	bool spec_known;
	/* Generic kinds: what az_kind_find knows this one by (az_kind_key). */
	const char *key;
	/* Where the live body says whether the owner of another resource has
	 * approved the connection this one asks for ("Approved" once done): a
	 * managed private endpoint waits on its target's owner. Read-only,
	 * never a change; plan and drift show it while it is not approved. */
	const char *approval_path;
	/* A map in the body whose keys name this resource's children of kind
	 * `routes_to` and whose values are their shares of its traffic (an
	 * online endpoint's properties.traffic, deployment name -> percent).
	 * Azure refuses a map that names a child that does not exist, and the
	 * delete of a child the map still names: a named child is written
	 * before the map names it, and the map stops naming a child before
	 * the child is deleted. */
	const char *routes_path;
	const char *routes_to;
} az_kind;

/* The table of every kind azapply manages, sorted by name. */
const az_kind *const *az_kinds(size_t *count);
/* Case-sensitive lookup by name, or by az_kind_key for a generic kind;
 * NULL when unknown. */
const az_kind *az_kind_find(const char *name);
/* What az_kind_find finds `k` again by: its name for a table kind, a key
 * naming type, api-version and placement for a generic one. */
const char *az_kind_key(const az_kind *k);
/* Whether a Synapse workspace's own host serves the kind (its artifacts and
 * its RBAC): behind the workspace's firewall, one host per workspace. */
bool az_kind_on_workspace_host(const az_kind *k);

/* Any ARM type (kind: ArmResource). The manifest names the type and its
 * api-version; the kind for it is made here, once per type, api-version,
 * placement and tagging, and kept for the process, so the planner sees one
 * az_kind per resource as for every table kind, and resources of one type
 * share their collection's list. `scope` is where the resource lives:
 * AZ_SCOPE_RESOURCE_GROUP (spec.resourceGroup), AZ_SCOPE_PARENT (a child
 * type under spec.parent, an id) or AZ_SCOPE_ANY (an extension resource at
 * spec.scope, an id). `tagged`: for a type no shipped spec describes,
 * whether it is taken to carry tags (the manifest gives a location: a
 * tracked resource). The caller has checked the type and api-version
 * shapes below. */
const az_kind *az_kind_arm(const char *type, const char *api_version, az_scope scope, bool tagged);
/* A kind for an ARM type met without a manifest (an orphan found by its
 * marker): one this process made for the type, else one at the api-version
 * of the spec azapply ships for it; NULL when neither. */
const az_kind *az_kind_arm_of_type(const char *type);
/* Frees every kind az_kind_arm made: only once none is in use (the end of
 * a fuzz iteration). */
void az_kind_arm_release(void);
/* How many type segments follow the namespace: "Microsoft.Synapse/
 * workspaces/administrators" has 2. 0 when `type` is not of the shape
 * Namespace.Name/type[/child...]. */
int az_arm_type_depth(const char *type);
/* An api-version is a date, YYYY-MM-DD, optionally followed by
 * "-preview" or another lowercase suffix. */
bool az_arm_api_version_valid(const char *api_version);
const char *az_marker_name(az_marker m);
const char *az_provider_name(az_provider_id p);

/* ---------------------------------------------------------------------
 * Secrets. Every secret value azapply comes to know is remembered for the
 * life of the process: a ${env.X} value (the loader), a kind's secret paths
 * and SecureString values in a body sent to Azure (the provider registry),
 * the credential's secret, assertions and access tokens (providers/auth).
 * Azure may echo any of them in an error; whatever is printed passes
 * through az_secret_redact_into() on its way out (cmd/output.c), so no
 * message has to remember to hide one.
 *
 * Values shorter than AZ_SECRET_MIN_LEN characters are not remembered:
 * blanking every "dev" or "1" in the output would mangle it for nothing.
 */
#define AZ_SECRET_MIN_LEN 4
#define AZ_SECRET_MASK "(sensitive)"

/* Remembers a value (copied; NULL and short values are ignored). */
void az_secret_remember(const char *value);
/* Remembers the strings at the kind's secret paths and every SecureString
 * value of a body about to be sent. `kind` may be NULL. */
void az_secret_remember_body(const az_kind *kind, const json_t *body);
/* Appends `text` to `out` with every remembered secret replaced by
 * AZ_SECRET_MASK, and returns how many bytes of `text` it used. With
 * `more` (a stream: more text follows), a tail that may be the start of a
 * secret is left unused, to be passed again with what follows it. */
size_t az_secret_redact_into(az_buf *out, const char *text, size_t len, bool more);
/* A redacted copy of `text` (NULL is ""). */
char *az_secret_redact(const char *text);
/* Wipes and forgets every remembered value. */
void az_secret_forget_all(void);


/* ---------------------------------------------------------------------
 * Sessions: one cloud, one credential chain, one HTTP event loop.
 *
 * Every provider call is asynchronous: it queues work and returns at once;
 * its callback runs from az_session_run(), which drives everything that is
 * outstanding together. So a refresh issues all its list requests at once
 * and an apply has many long-running operations waiting side by side,
 * without a thread per request.
 */
typedef struct az_session az_session;

typedef struct az_session_options {
	const char *cloud;  /* built-in name or cloud file; NULL = $AZAPPLY_CLOUD_CONFIG or AzureCloud */
	const char *tenant; /* NULL = from the credential's environment */
	int max_in_flight;  /* concurrent requests; 0 = default */
	int max_arm_in_flight; /* of those, to Resource Manager; 0 = no bound of its own */
	int verbosity;      /* 0 = from AZAPPLY_LOG; 1 = one line per request */
} az_session_options;

int az_session_open(az_session **out, const az_session_options *opts, az_diags *d);
void az_session_free(az_session *s);
/* Drives outstanding work until none is left. */
void az_session_run(az_session *s);
/* Drives until done(ud) is true or nothing is left. */
void az_session_run_until(az_session *s, bool (*done)(void *ud), void *ud);
/* What the session traces to stderr: 0 nothing, 1 or more a line per
 * request (--verbose, AZAPPLY_LOG=info or debug). */
int az_session_verbosity(const az_session *s);
/* Work done while the session waits for answers (az_http_set_idle_work):
 * work(ud) does a short piece and returns true while more is left. */
void az_session_set_idle_work(az_session *s, bool (*work)(void *ud), void *ud);
/* Runs fn(ud) from the loop after delay_ms. */
void az_session_after(az_session *s, long delay_ms, void (*fn)(void *ud), void *ud);
/* How many requests the session sends at once, at most. */
int az_session_max_in_flight(const az_session *s);
/* From now on, at most n of them to the workspaces' data planes, and at
 * most per_host to one workspace's host (0: no bound of their own): a
 * refresh reading n workspaces keeps to a request per workspace host, over
 * HTTP/1.1 a connection each. */
void az_session_limit_data_planes(az_session *s, int n, int per_host);
/* Starts fetching the workspaces' data-plane token now, so that the first
 * data-plane request does not wait for it; a failure is said by the first
 * request that needs the token. */
void az_session_prefetch_data_plane_token(az_session *s);
/* Which credential and identity would be used, the tenant, the audiences
 * and token expiry; never a token. *out is a new JSON object. */
int az_session_describe(az_session *s, json_t **out, az_diags *d);
/* A scope (an ARM id) whose data plane the caller expects to refuse it:
 * the Synapse workspace whose firewall rule the plan is about to create.
 * Reads under it that meet the firewall's refusal (403
 * ClientIpAddressNotAuthorized) answer it at once, instead of
 * waiting AZAPPLY_ACCESS_WAIT_SECONDS for a rule that does not exist yet
 * to arrive. */
void az_session_expect_refusal(az_session *s, const char *scope);
bool az_session_refusal_expected(const az_session *s, const char *id);
/* Requests sent so far: {"requests": n, "reads": n, "writes": n, "deletes": n, "polls": n}. */
json_t *az_session_stats(const az_session *s);

/* ---------------------------------------------------------------------
 * Providers. Resources are named by an Azure-style id built from the
 * kind's id_template: ARM ids as Azure writes them; Synapse artifacts and
 * RBAC assignments under their workspace's ARM id
 * (".../workspaces/ws1/pipelines/p1"), which the Synapse provider maps to
 * the workspace's data-plane endpoint; Graph objects by their alternate key
 * ("/applications(uniqueName='app')"). Collections likewise (list_path).
 *
 * Callbacks get `live` as a new reference they own: the resource's body as
 * Azure returned it (NULL when it does not exist), or for list, an array of
 * bodies. `d` holds the diagnostics of a failure; the callback may move
 * them out with az_diags_move.
 */
typedef void (*az_result_fn)(void *ud, int err, json_t *live, az_diags *d);

typedef struct az_provider {
	int abi; /* AZ_PROVIDER_ABI */
	az_provider_id id;
	/* Every item of a collection, all pages followed. */
	void (*list)(az_session *s, const az_kind *kind, const char *collection, az_result_fn cb,
		     void *ud);
	/* One resource; a missing one is err == 0 with live == NULL. */
	void (*read)(az_session *s, const az_kind *kind, const char *id, az_result_fn cb, void *ud);
	/* Creates or updates with the full desired body and waits for the
	 * long-running operation; calls back with the final live body. With
	 * `etag`, sends If-Match so a concurrent change is never overwritten;
	 * with az_if_absent, If-None-Match: * so neither is a concurrent create. */
	void (*put)(az_session *s, const az_kind *kind, const char *id, const json_t *body,
		    const char *etag, az_result_fn cb, void *ud);
	/* Deletes and waits; deleting what is already gone succeeds. */
	void (*remove)(az_session *s, const az_kind *kind, const char *id, az_result_fn cb, void *ud);
	/* A kind's own operation, e.g. "start" / "stop" for Synapse triggers. */
	void (*invoke)(az_session *s, const az_kind *kind, const char *id, const char *action,
		       az_result_fn cb, void *ud);
	/* POST {id}/{action} with a JSON body, no long-running operation;
	 * calls back with the answer's body (ARM's blob container lease).
	 * NULL where the API has no such operations. */
	void (*action)(az_session *s, const az_kind *kind, const char *id, const char *action,
		       const json_t *body, az_result_fn cb, void *ud);
} az_provider;

/* As put's `etag`: the resource must not exist yet. */
extern const char az_if_absent[];

/* The provider serving a kind's provider id. */
const az_provider *az_provider_get(az_provider_id id);

#ifdef __cplusplus
}
#endif
#endif
