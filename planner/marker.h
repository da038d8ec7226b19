/*
 * marker.h - the ownership marker (marker.c): which stack instance owns a
 * resource, and the hashes that tell a changed body or secret.
 *
 * Azure is the state: each resource azapply writes carries a marker that
 * names exactly one stack instance (stack, environment, subscription) and
 * the address it was declared under. Private to planner/.
 */
#ifndef AZAPPLY_MARKER_H
#define AZAPPLY_MARKER_H

#include <azapply/planner.h>

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
	/* ArmResource kinds: the api-version it was written with, so that once
	 * its manifest is gone the orphan can still be read and deleted. */
	char *api_version;
} az_marker_info;

/* The stack instance a plan is for: what a marker must name to be its own. */
typedef struct az_instance_name {
	const char *stack;        /* "default" for a project without a name */
	const char *env;          /* "default" for a stack without environments */
	const char *subscription;
} az_instance_name;

void az_marker_read(az_marker_info *out, const az_kind *kind, const json_t *live);
void az_marker_write(const az_kind *kind, json_t *body, const az_marker_info *m);
void az_marker_strip(const az_kind *kind, json_t *body);
/* `body` without its marker, as a new reference that shares every value
 * off the marker's path with `body`: cheaper than a copy to strip, and
 * only to be read. */
json_t *az_marker_stripped(const az_kind *kind, json_t *body);
void az_marker_info_free(az_marker_info *m);

/* How a marker relates to the stack instance being planned. */
typedef enum az_ownership {
	AZ_OWNED_NONE,      /* no marker */
	AZ_OWNED_OTHER,     /* another stack, or another environment of this one */
	AZ_OWNED_LEGACY,    /* this stack, written without an environment */
	AZ_OWNED_INSTANCE,  /* exactly this stack instance */
} az_ownership;

az_ownership az_marker_ownership(const az_marker_info *m, const az_instance_name *instance);
/* "stack/env", or "stack" for a marker without an environment. */
char *az_marker_instance(const az_marker_info *m);
/* Hash of the body without marker and secrets. */
char *az_fingerprint(const az_kind *kind, const json_t *body);
/* Salted slow hash of the body's secrets; NULL when it has none. */
char *az_secrets_hash(const az_kind *kind, const json_t *body);
bool az_secrets_match(const az_kind *kind, const json_t *body, const char *stored);

#endif
