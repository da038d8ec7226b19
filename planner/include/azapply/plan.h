/*
 * plan.h - what azapply will do, resource by resource, and how it is shown.
 *
 * A plan is a closed set of actions (no-op, create, update, replace,
 * delete, read, defer) with the property-level diff behind each. The reason for
 * an action is for display only: apply never branches on it. The same plan
 * renders as text for a terminal, versioned JSON for tools and markdown for
 * a pull-request comment; secrets never appear in any of them.
 */
#ifndef AZAPPLY_PLAN_H
#define AZAPPLY_PLAN_H

#include <azapply/diff.h>

typedef enum az_action {
	AZ_ACTION_NOOP,
	AZ_ACTION_CREATE,
	AZ_ACTION_UPDATE,
	AZ_ACTION_REPLACE,
	AZ_ACTION_DELETE,
	AZ_ACTION_READ, /* refresh-only: nothing will change */
	/* Not read, so not planned: it lives behind a data plane that refuses
	 * this address until a firewall rule in this plan lets it in (or it
	 * depends on such a resource). Nothing happens to it now; the next
	 * plan reads it. */
	AZ_ACTION_DEFER,
} az_action;

const char *az_action_name(az_action a); /* "create", "update", ... "no-op" */
/* No-op, read and defer: apply sends nothing for them. */
bool az_action_writes_nothing(az_action a);

typedef struct az_plan_item {
	char *address;        /* Kind/name */
	const az_kind *kind;
	char *id;             /* Azure id; NULL while it depends on unknown values */
	az_action action;
	bool adopt;           /* exists in Azure without this stack's marker: adopt it */
	char *refused;        /* why this action may not run (replace of a stateful
			       * resource, delete under preventDestroy); NULL when allowed */
	char *reason;         /* display only: "properties.isHnsEnabled forces replacement" */
	az_diff diff;
	json_t *desired;      /* the body to send; NULL for delete */
	json_t *live;         /* the body read from Azure; NULL when absent */
	char *etag;           /* of the live resource, when Azure gives one */
	az_pos pos;           /* where the manifest is (file borrowed from the stack) */
	size_t resource;      /* index into the stack's resources */
	bool manifest_changed; /* the marker's fingerprint differs: the manifest
				* changed since the last apply (not drift) */
	bool unmanaged;       /* drift --include-unmanaged: no manifest, no marker */
	bool existing;        /* metadata.existing: only read (action read), never written */
	bool marker_only;     /* import: `desired` is the live body with the marker,
			       * sent as it is (az_plan_item_marker_only) */
} az_plan_item;

struct az_instance;

typedef struct az_plan {
	az_plan_item *items;
	size_t len;
	size_t cap;
	char *stack;
	char *environment;    /* NULL when none */
	bool refresh_only;
	bool destroy;         /* planned by destroy or plan --destroy */
	size_t planned_while_reading; /* resources planned before the refresh's last answer */
	/* Provenance of the components pinned to a commit: "REF:PATH" -> the
	 * commit id REF named when the stack was loaded (az_manifest_set.pins);
	 * NULL or empty when none is. */
	json_t *component_sources;
	struct az_instance *instance; /* private: what apply continues from */
} az_plan;

typedef struct az_plan_counts {
	size_t create, update, replace, destroy, noop, read, deferred, refused;
} az_plan_counts;

typedef struct az_plan_options {
	const char *const *targets; /* --target addresses (with what they depend on) */
	size_t targets_len;
	const char *targets_given_as; /* for messages: "--target" (NULL) or "import" */
	bool refresh_only;          /* read and report drift; propose nothing */
	bool destroy;               /* delete everything the stack owns */
	bool include_unmanaged;     /* with refresh_only: list what no manifest declares */
} az_plan_options;

#include <azapply/planner.h>

/* Reads the live state of every resource of the stack through `session`
 * (one list per collection, concurrently) and plans the changes. The plan
 * keeps the stack and session borrowed until freed. */
int az_plan_stack(az_plan *out, az_stack *stack, az_session *session, const az_plan_options *o,
		  az_diags *d);

/* ---------------------------------------------------------------------
 * Apply.
 */
/* ARM allows 200 writes per burst and 10 per second per subscription;
 * ten at a time keeps well inside that while long operations overlap. */
#define AZ_APPLY_DEFAULT_PARALLELISM 10

typedef enum az_apply_event {
	AZ_APPLY_STARTED,
	AZ_APPLY_DONE,
	AZ_APPLY_FAILED,
	AZ_APPLY_SKIPPED, /* `what` is the address of the failed dependency */
} az_apply_event;

typedef void (*az_apply_progress_fn)(void *ud, az_apply_event ev, const char *address,
				     const char *what, double seconds);

typedef struct az_apply_options {
	int parallelism;                  /* 0 = AZ_APPLY_DEFAULT_PARALLELISM */
	bool fail_fast;                   /* stop starting work after a failure */
	az_apply_progress_fn progress;
	/* Called about once a second while something is in flight, with the
	 * step that has been running longest (a live status line on a
	 * terminal: "SynapseWorkspace/synw-dev creating... 4m10s"). */
	az_apply_progress_fn tick;
	void *progress_ud;
	volatile const int *interrupted;  /* set by the first Ctrl-C: start nothing new */
	/* Set by a second Ctrl-C or SIGTERM: stop waiting for what is in
	 * flight and return at once. The session must not run again after
	 * that (its callbacks point into the finished run). */
	volatile const int *abandon;
} az_apply_options;

typedef struct az_apply_result {
	size_t done, failed, skipped, not_started;
} az_apply_result;

/* Carries out a plan made by az_plan_stack. Returns 0 when every action
 * succeeded; otherwise what failed is in `d` (once, with its cause) and
 * `res` says what was done, failed and skipped. */
int az_apply(az_plan *plan, const az_apply_options *o, az_apply_result *res, az_diags *d);

/* Saves the plan for `azapply apply FILE`: bodies without secrets, the
 * digest of the manifests and of every live resource read; 0600, atomic. */
int az_plan_save(const az_plan *p, const az_stack *stack, const char *path, az_diags *d);
/* What identifies the live state of an item: its etag, or a digest. */
char *az_plan_live_digest(const az_plan_item *it);
/* A digest of the stack's manifests (sensitive values left out). */
char *az_stack_digest(const az_stack *stack);

/* import is read-only: turns an adopting item into a write of the
 * ownership marker alone. The body sent is the live body (read-only
 * properties left out) with the marker; the differences from the manifest
 * are left for the next apply, their paths appended to `pending` (", "
 * separated) and the item's diff replaced by the marker's. */
void az_plan_item_marker_only(az_plan_item *it, az_buf *pending);

/* Provenance (plan_marker.c). Puts `label` (NULL: nothing) into the ownership marker of every change
 * in the plan, so Azure records which commit last applied each resource;
 * a resource of a component pinned to a commit records "LABEL+COMMIT",
 * the component's commit after the stack's.
 * The fingerprint ignores it: a new commit with the same manifests still
 * plans "No changes". */
void az_plan_set_provenance(az_plan *plan, const char *label);

/* The commit recorded in the marker of a live resource ("azapply-commit"),
 * or NULL. Caller frees. */
char *az_plan_item_commit(const az_plan_item *it);

az_plan_item *az_plan_add(az_plan *p, const char *address, const az_kind *kind, az_action a);
az_plan_counts az_plan_count(const az_plan *p);
bool az_plan_has_changes(const az_plan *p);
void az_plan_free_items(az_plan *p);

/* Outputs (outputs.c). The addresses the output `name` (NULL: every
 * output) refers to, for a refresh of only those: *out is an array of
 * strings the caller frees. An error names an unknown output. */
int az_outputs_targets(const az_stack *stack, const char *name, char ***out, size_t *len,
                       az_diags *d);
/* The outputs' values from a plan's refresh: name -> {value, description?,
 * sensitive?} (a sensitive value is null). An error names each output
 * whose resource does not exist yet. */
int az_plan_outputs(json_t **out, const az_plan *plan, const char *name, az_diags *d);

/* ---------------------------------------------------------------------
 * Rendering. Output goes to an az_buf so callers choose where it lands and
 * tests compare it with golden files.
 */
typedef struct az_render_options {
	bool color; /* ANSI colours in text output */
} az_render_options;

/* A value as one line of compact JSON, as every output shows values. */
void az_value_render(az_buf *out, const json_t *v);
/* One difference a refresh read, "PATH: Azure has X, the manifest says Y"
 * (refresh-only plans and drift): a state, not a change to come. */
void az_change_render_outside(az_buf *out, const az_change *ch, const char *indent);

void az_plan_render_text(az_buf *out, const az_plan *p, const az_render_options *o);
/* A resource whose connection waits on the owner of another (its kind's
 * approval_path in the live body, a managed private endpoint's on its
 * target) says so while it is not approved and not being deleted: the
 * status ("Pending", "Rejected"), else NULL. Azure's to change, never a
 * diff. */
const char *az_plan_item_awaiting(const az_plan_item *it);
/* One line per such resource, after the plan or the drift report. */
void az_plan_render_awaiting(az_buf *out, const az_plan *p);
/* The documented JSON format (README, "Plan JSON"); secrets redacted. */
json_t *az_plan_to_json(const az_plan *p);
/* Markdown for a pull-request comment, split into parts below `limit`
 * bytes each (GitHub caps a comment at 65,536 characters). Returns the
 * number of parts; *parts_out is an array of strings the caller frees. */
size_t az_plan_render_markdown(char ***parts_out, const az_plan *p, size_t limit);

/* Markdown split into parts below a size limit (markdown.c). */
typedef struct az_md_parts {
	char **items;
	size_t len;
	az_buf cur;
	size_t limit;
	char *header; /* repeated at the top of every part after the first */
} az_md_parts;

void az_md_parts_init(az_md_parts *p, size_t limit, const char *header);
/* Adds a section, kept whole in one part when it fits in one. */
void az_md_parts_add(az_md_parts *p, const char *section);
/* The parts ("(part i of n)" added when more than one); the caller frees
 * each and the array. Resets `p`. */
size_t az_md_parts_finish(az_md_parts *p, char ***out);

#endif
