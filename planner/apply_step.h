/*
 * apply_step.h - one resource's step of an apply (apply_step.c), as the
 * walk over the plan (apply.c) sees it: the step's state, the run it
 * belongs to, and how it starts and reports. Private to planner/.
 */
#ifndef AZAPPLY_APPLY_STEP_H
#define AZAPPLY_APPLY_STEP_H

#include <time.h>

#include <azapply/plan.h>

#include "instance.h"

typedef enum step_state {
	STEP_WAITING,
	STEP_RUNNING,
	STEP_DONE,
	STEP_FAILED,
	STEP_SKIPPED,
} step_state;

typedef struct apply_run apply_run;

typedef struct step {
	apply_run *run;
	az_plan_item *item;
	az_node *node;
	step_state state;
	size_t *deps; /* plan item indices */
	size_t deps_len;
	const char *blocked_by; /* address of the failed dependency (skipped) */
	struct timespec started;
	/* Multi-request flows. */
	json_t *body;
	bool trigger_was_started;
	bool trigger_wants_started;
	/* Started triggers that start this pipeline: stopped around its
	 * update, started again after it, also when it fails. */
	json_t *held;    /* array of trigger ids */
	size_t waiting;  /* stop or start calls not answered yet */
	bool held_failed;
	int phase;
	int put_err;
	const char *precondition; /* the put's etag, az_if_absent or NULL */
	az_diags diags;
	/* Routes (kind->routes_path) name children, which can only be
	 * created once their parent exists: a parent created with routes is
	 * created without them, and this step, the parent's second write,
	 * sends them once its children are done (apply.c). */
	bool routes_only;
	struct step *follow_up; /* the parent's routes_only step, or NULL */
} step;

struct apply_run {
	az_plan *plan;
	az_instance *inst;
	const az_apply_options *o;
	step *steps;
	size_t len;
	int running;
	bool progress; /* a step finished since the loop last looked */
	bool stop_starting;
	bool tick_pending; /* a status tick is scheduled */
	az_diags *d;
	/* Steps that ended and the walk (apply.c) has not settled yet:
	 * indices into steps, each at most once. */
	size_t *finished;
	size_t finished_len;
};

/* Starts a step whose dependencies are done: resolves what was "(known
 * after apply)", then sends its requests. It ends on the session's loop:
 * state DONE or FAILED, run->running decremented, run->progress set. */
void az_step_start(step *s);
/* Tells the caller's progress callback about a step. */
void az_step_report(step *s, az_apply_event ev, const char *what);
/* "creating" / "created" and so on, for progress lines. */
const char *az_step_verb(az_action a, bool done);
/* The same for one step: a routes_only step routes traffic. */
const char *az_step_verb_of(const step *s, bool done);
/* Seconds since the step started. */
double az_step_elapsed(const struct timespec *started);

#endif
