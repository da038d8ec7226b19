/*
 * engine.h - what the planning and applying code inside planner/ shares:
 * the per-resource working state (ids, resolved bodies, live state), the
 * ownership marker, reference resolution and desired-body construction.
 * Not a public interface: cmd/ sees plan.h and planner.h only.
 */
#ifndef AZAPPLY_ENGINE_H
#define AZAPPLY_ENGINE_H

#include <azapply/plan.h>
#include <azapply/planner.h>

#include "roles.h" /* az_arm_role_id, az_synapse_role_id */

/* ---------------------------------------------------------------------
 * Ownership markers (marker.c).
 */
typedef struct az_marker_info {
	bool present;
	char *stack;
	/* The environment of the stack instance that wrote it ("default" for
	 * a stack without environments); NULL in markers written before
	 * instances had an identity: "this stack, environment unknown". */
	char *env;
	/* The subscription the instance was applied in: Graph objects live in
	 * the tenant, where another subscription's instance of the same stack
	 * and environment could otherwise take them for its own. NULL in
	 * markers that do not say: any subscription. */
	char *subscription;
	/* The address (Kind/name) the instance declared it under: a marker of
	 * this instance at an address the manifests declare under another
	 * Azure id is a rename or a second folder, never a plain orphan. */
	char *address;
	char *fingerprint;
	char *secrets;        /* "pbkdf2:<salt hex>:<hash hex>" */
	bool prevent_destroy;
	/* Provenance: the commit that last applied it ("<id>[-dirty]"). Written
	 * on apply, never part of the fingerprint and never compared. */
	char *commit;
	/* az_paths_digest of the body last applied: which properties azapply
	 * set, so a removal from the manifest is told from a server default. */
	char *paths;
} az_marker_info;

void az_marker_read(az_marker_info *out, const az_kind *kind, const json_t *live);
void az_marker_write(const az_kind *kind, json_t *body, const az_marker_info *m);
void az_marker_strip(const az_kind *kind, json_t *body);
void az_marker_info_free(az_marker_info *m);

/* How a marker relates to the stack instance being planned. */
typedef enum az_ownership {
	AZ_OWNED_NONE,      /* no marker */
	AZ_OWNED_OTHER,     /* another stack, or another environment of this one */
	AZ_OWNED_LEGACY,    /* this stack, written without an environment */
	AZ_OWNED_INSTANCE,  /* exactly this stack instance */
} az_ownership;

struct az_engine;
az_ownership az_marker_ownership(const az_marker_info *m, const struct az_engine *e);
/* "stack/env", or "stack" for a marker without an environment. */
char *az_marker_instance(const az_marker_info *m);
/* Hash of the body without marker and secrets. */
char *az_fingerprint(const az_kind *kind, const json_t *body);
/* Salted slow hash of the body's secrets; NULL when it has none. */
char *az_secrets_hash(const az_kind *kind, const json_t *body);
bool az_secrets_match(const az_kind *kind, const json_t *body, const char *stored);

/* The value at a dotted path ("properties.identity.principalId", array
 * indices as numbers); NULL when absent. Borrowed. */
const json_t *az_json_at(const json_t *root, const char *path);
/* Removes the value at a dotted path, if there is one. */
void az_json_remove_at(json_t *root, const char *path);

/* ---------------------------------------------------------------------
 * Working state of one resource while planning and applying.
 */
typedef enum az_node_state {
	AZ_NODE_PENDING,  /* not read yet */
	AZ_NODE_ABSENT,   /* read: does not exist */
	AZ_NODE_PRESENT,  /* read: exists (live holds it) */
} az_node_state;

typedef struct az_node {
	const az_resource *res;  /* NULL for an orphan (in Azure, not in the manifests) */
	const az_kind *kind;
	char *id;             /* NULL while it depends on unknown values */
	char *collection;     /* what to list to find it; NULL = read by id */
	json_t *desired;      /* body to send, refs resolved as far as known */
	json_t *live;         /* as read */
	az_node_state state;
	bool will_change;     /* create or replace: server-filled values unknown */
	az_marker_info marker;
} az_node;

typedef struct az_engine {
	az_stack *stack;
	az_session *session;  /* NULL for offline use (tests) */
	az_node *nodes;       /* parallel to stack->resources */
	size_t len;
	const char *subscription;
	const char *stack_name;
	const char *env;      /* the instance's environment; "default" without one */
	json_t *lists;        /* collection (lowercased) -> array of live items */
	json_t *list_kinds;   /* collection (lowercased) -> kind name, "*" = by ARM type */
	az_node *orphans;     /* carry this stack's marker, no manifest declares them */
	size_t orphans_len;
	json_t *unmanaged;    /* [{kind, id, live}] in listed collections, unmarked */
	json_t *legacy;       /* ids marked by this stack without an environment,
			       * declared by no manifest: left alone */
	size_t requests;      /* list and read requests sent by the refresh */
} az_engine;

int az_engine_init(az_engine *e, az_stack *stack, az_session *s, az_diags *d);
void az_engine_free(az_engine *e);

/* Computes ids and collections for every node whose scope is known. */
void az_engine_compute_ids(az_engine *e, az_diags *d);
/* Computes one node's id again (its references may be known by now). */
void az_engine_compute_one(az_engine *e, size_t i, az_diags *d);
/* Finds a node's live item in its listed collection. */
void az_engine_match(az_engine *e, az_node *n);
/* Reads live state: one list per collection, concurrently. */
int az_engine_refresh(az_engine *e, bool prune, az_diags *d);
/* Collects the orphans from everything the refresh listed. */
void az_engine_find_orphans(az_engine *e);
/* The node of a plan item that deletes an orphan. */
az_node *az_engine_orphan(az_engine *e, const az_plan_item *it);

/* The order of deletes (delete_order.c): for every plan item that is a
 * delete, the items that must be deleted before it starts. */
typedef struct az_delete_waits {
	size_t *items;  /* plan item indices */
	size_t len, cap;
} az_delete_waits;

az_delete_waits *az_delete_order(const az_plan *plan, const az_engine *e);
void az_delete_waits_free(az_delete_waits *waits, size_t len);

/* A resolved copy of `v`: ${ref...} replaced where the value is known,
 * left as is where it is not; "$${" unescaped in what is fully known. */
json_t *az_engine_resolve(az_engine *e, const json_t *v);
/* True when `v` still holds a ${ref...}. */
bool az_json_has_refs(const json_t *v);
/* The body to send for a node, with marker, from its (resolved) spec. */
json_t *az_engine_desired(az_engine *e, size_t i, az_diags *d);

#endif
