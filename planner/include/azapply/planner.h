/*
 * planner.h - the stack: manifests turned into resources with Azure names,
 * kinds and dependency edges, checked as a whole.
 *
 * az_stack_load is the path every command takes first: load the manifests,
 * check them against the schemas, substitute variables for the chosen
 * environment, resolve references and parents into graph edges, and reject
 * duplicates, bad names and cycles. Every problem is reported at once, at
 * the file:line:col the user wrote.
 */
#ifndef AZAPPLY_PLANNER_H
#define AZAPPLY_PLANNER_H

#include <azapply/manifest.h>

typedef struct az_resource {
	az_manifest *manifest;  /* borrowed from the stack's set */
	const az_kind *kind;    /* NULL when the kind is unknown */
	const char *address;    /* "Kind/name" (metadata.name), borrowed */
	char *azure_name;       /* spec.name when given, else metadata.name */
	bool existing;          /* metadata.existing: read, never written or deleted */
	size_t *deps;           /* indices into az_stack.resources */
	size_t deps_len;
} az_resource;

typedef struct az_stack {
	az_manifest_set *set;
	az_resource *resources;
	size_t len;
	char *env;              /* the environment, or NULL */
	struct az_stack_index *index; /* private: address lookup */
} az_stack;

typedef struct az_stack_options {
	const char *env;             /* --env, or NULL */
	az_getenv_fn getenv_fn;      /* NULL = the process environment */
	void *getenv_ud;
	const az_load_limits *limits; /* NULL = AZ_LOAD_LIMITS_DEFAULT */
} az_stack_options;

/* Loads and checks the stack. Returns 0, or AZ_EINVALID when any error was
 * reported in `d` (the stack is still returned, as far as it could be built,
 * so a caller can show everything). */
int az_stack_load(az_stack **out, const az_file_source *src, const az_stack_options *opts,
		  az_diags *d);
void az_stack_free(az_stack *stack);

/* The resource with this address, or NULL. */
const az_resource *az_stack_find(const az_stack *stack, const char *address);
/* The resource `from` names by address "Kind/name" (spec.workspace,
 * dependsOn, spec.application): inside a component instance the
 * instance's own first ("team-a/Kind/name"), else the stack's. `from` may
 * be NULL. */
const az_resource *az_stack_find_from(const az_stack *stack, const az_resource *from,
                                      const char *address);

/* Resources in dependency order (every resource after what it depends on);
 * ties keep manifest order so output is stable. Fails only on a cycle, which
 * az_stack_load has already reported. The caller frees *order_out. */
int az_stack_order(const az_stack *stack, size_t **order_out);


/* A copy of `s` in ASCII lower case: how Azure compares names and ids. */
char *az_lowercase(const char *s);

/* Appends `key` to a JSON Pointer in `b`, escaping '~' and '/' (RFC 6901). */
void az_pointer_push(az_buf *b, const char *key);
void az_pointer_push_index(az_buf *b, size_t index);

/* Frees caches held by the planner's checks (schemas, name patterns), so
 * test runs can prove they leak nothing. */
void az_planner_release(void);

#endif
