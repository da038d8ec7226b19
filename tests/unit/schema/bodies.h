/*
 * bodies.h - what the no-false-alarm tests share: an Azure body (an ARM
 * resource as Azure answers or takes it, a Synapse artifact) wrapped in a
 * manifest of its kind as a user would copy it, and checked against the
 * shipped schema with warnings on.
 */
#ifndef AZAPPLY_TEST_BODIES_H
#define AZAPPLY_TEST_BODIES_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

typedef struct body_kind {
	const char *kind;
	const char *scope_field; /* what places it: resourceGroup, workspace, ... */
	bool artifact;           /* Synapse data plane: spec holds `properties` only */
} body_kind;

/* Checks a whole manifest; prints every error and warning with `what` and
 * returns how many there were. */
size_t check_manifest(const char *kind, const json_t *manifest, const char *what);
/* Wraps `body` in a manifest of kind `k` and checks it. */
size_t check_body(const body_kind *k, const json_t *body, const char *what);

#endif
