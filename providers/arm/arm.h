/*
 * arm.h - the ARM provider's pieces shared with its kind-specific files.
 *
 * Most ARM kinds are data (the kind table): the generic provider in arm.c
 * serves them all. A kind whose API needs more than its table entry (an
 * extra query parameter on delete, a replication delay to wait out) gets a
 * file named after it that fills an arm_kind_ops entry.
 */
#ifndef AZAPPLY_ARM_H
#define AZAPPLY_ARM_H

#include <azapply/provider.h>

#include "session/session.h"

typedef struct arm_kind_ops {
	const char *kind;           /* az_kind name */
	/* Error codes of a transient PUT or DELETE failure (NULL-terminated,
	 * static), and how many times to try again. */
	const char *const *retry_codes;
	int retry_max;
	/* Replaces the plain DELETE; NULL for the plain one. */
	void (*remove)(az_session *s, const az_kind *kind, const char *id, az_result_fn cb,
		       void *ud);
	/* Replace the plain list, GET and PUT, for a kind whose manifest
	 * holds a child resource too (a private endpoint's DNS zone group):
	 * they read and write both, and answer with one body. NULL for the
	 * plain ones. */
	void (*list)(az_session *s, const az_kind *kind, const char *collection, az_result_fn cb,
		     void *ud);
	void (*read)(az_session *s, const az_kind *kind, const char *id, az_result_fn cb, void *ud);
	void (*put)(az_session *s, const az_kind *kind, const char *id, const json_t *body,
		    const char *etag, az_result_fn cb, void *ud);
	/* Adds what Azure's error leaves out (how to get past it) to the
	 * diagnostics of a failed PUT of `body` to `id`; NULL for none. */
	void (*explain_put)(const char *id, const json_t *body, az_diags *d);
} arm_kind_ops;

extern const arm_kind_ops az_arm_keyvault_ops;
extern const arm_kind_ops az_arm_mlworkspace_ops;
extern const arm_kind_ops az_arm_synapse_workspace_ops;
extern const arm_kind_ops az_arm_spark_pool_ops;
extern const arm_kind_ops az_arm_sql_pool_ops;
extern const arm_kind_ops az_arm_mlcompute_ops;
extern const arm_kind_ops az_arm_roleassignment_ops;
extern const arm_kind_ops az_arm_private_endpoint_ops;

/* "{resourceManager}{path}?api-version=<kind's>". */
char *az_arm_url(az_session *s, const az_kind *kind, const char *path);
/* The plain PUT of a kind (the long-running contract, the kind's retries):
 * what a kind's own put sends for the resource itself. */
void az_arm_put_plain(az_session *s, const az_kind *kind, const char *id, const json_t *body,
		      const char *etag, az_result_fn cb, void *ud);

#endif
