/*
 * diff.h - comparing what a manifest asks for with what Azure has.
 *
 * A diff must settle: after an apply, diffing the same manifest against
 * the live resource must find nothing. So the live body is read the way
 * Azure means it: read-only and server-generated fields are ignored, ids,
 * locations and enums compare the way Azure treats them, declared sets are
 * sets, numbers compare by value, and only what the manifest sets is
 * compared (a property the user never wrote is not drift).
 */
#ifndef AZAPPLY_DIFF_H
#define AZAPPLY_DIFF_H

#include <azapply/provider.h>

typedef enum az_change_op {
	AZ_CHANGE_ADD,    /* the manifest sets it, Azure does not have it */
	AZ_CHANGE_MODIFY, /* both have it, with different values */
	AZ_CHANGE_REMOVE, /* Azure has it, the manifest no longer sets it */
} az_change_op;

typedef struct az_change {
	az_change_op op;
	char *path;         /* display path: properties.activities[0].name */
	json_t *before;     /* live value (NULL for ADD) */
	json_t *after;      /* desired value (NULL for REMOVE or when unknown) */
	bool sensitive;     /* a secret or a value from ${env}: never shown */
	bool unknown;       /* the new value is only known after apply */
	bool forces_replace; /* a create-only property: Azure cannot change it in place */
} az_change;

typedef struct az_diff {
	az_change *items;
	size_t len;
	size_t cap;
} az_diff;

#define AZ_SECURE_STRINGS "(SecureString values)"

typedef struct az_diff_options {
	/* Dotted paths (lifecycle.ignoreChanges) left out of the diff. */
	const json_t *ignore_paths;
	/* JSON Pointers into the desired body whose values are sensitive. */
	const json_t *sensitive_pointers;
	/* Secret paths whose value is known to be unchanged (the salted hash
	 * in the ownership marker matches): not a change. Dotted paths, and
	 * AZ_SECURE_STRINGS for the values of every SecureString. */
	const json_t *secrets_unchanged;
	/* When true, live properties the manifest does not set (and that are
	 * neither read-only nor at their server default) are reported as
	 * REMOVE: the fingerprint says the manifest changed since the last
	 * apply, so something azapply had set is gone from it. */
	bool report_removed;
	/* With report_removed: the paths digest of the body azapply last
	 * applied (az_paths_digest). Only properties it names count as
	 * removed, so what the service filled in never does. NULL: all. */
	const char *set_before;
} az_diff_options;

/* Compares `desired` (the resolved manifest body as it will be sent) with
 * `live` (the body Azure returned) for a resource of `kind`. Values that
 * are still ${ref...} strings are unknown. Appends to `out`. */
void az_diff_compute(az_diff *out, const az_kind *kind, const json_t *desired, const json_t *live,
		     const az_diff_options *opts);
void az_diff_clear(az_diff *d);
/* Appends a change (values copied) and returns it for the caller to flag. */
az_change *az_diff_add(az_diff *d, az_change_op op, const char *path, const json_t *before,
		       const json_t *after);

/* The first create-only change, or NULL. */
const az_change *az_diff_replace_reason(const az_diff *d);

/* True when `path` (dotted, array indices as numbers) matches `pattern`
 * from the kind table ("*" matches one segment). */
bool az_path_matches(const char *pattern, const char *path);
bool az_path_in(const char *const *patterns, const char *path);

/* Azure's notion of equal for one value at `path` of a `kind`. */
bool az_values_equal(const az_kind *kind, const char *path, const json_t *a, const json_t *b);

/* A 512-bit Bloom filter, as 128 hex characters, of every property path
 * a body sets: small enough for an ownership tag, precise enough (about 2%
 * false positives at 60 paths) to tell what azapply set from what Azure
 * filled in. */
char *az_paths_digest(const json_t *body);
bool az_paths_digest_has(const char *digest, const char *path);

/* "West Europe" -> "westeurope": how ARM compares locations. Caller frees. */
char *az_normalize_location(const char *location);

#endif
