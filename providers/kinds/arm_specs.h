/*
 * arm_specs.h - what the Azure REST specs say of the ARM types azapply
 * ships a spec for, as data for ArmResource kinds (arm_specs.c, generated
 * by providers/kinds/specs/generate.py from the copies in
 * providers/kinds/specs/; never edited by hand).
 */
#ifndef AZAPPLY_ARM_SPECS_H
#define AZAPPLY_ARM_SPECS_H

#include <azapply/provider.h>

typedef struct az_arm_spec {
	const char *type;        /* "Microsoft.ManagedIdentity/userAssignedIdentities" */
	const char *api_version; /* the spec's version */
	const char *source;      /* the spec file, under providers/kinds/specs/ */
	bool tags;               /* the resource carries tags */
	bool listable;           /* its collection has a GET (else read by id) */
	const char *const *read_only_paths;   /* readOnly */
	const char *const *create_only_paths; /* x-ms-mutability without "update" */
	const char *const *secret_paths;      /* x-ms-secret, or never read back */
	const az_server_default *server_defaults; /* "default" */
} az_arm_spec;

/* Every shipped spec, sorted by type then api-version. */
extern const az_arm_spec az_arm_specs[];
extern const size_t az_arm_specs_count;

#endif
