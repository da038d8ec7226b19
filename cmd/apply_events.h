/*
 * apply_events.h - `apply --output json`: the run as one JSON object per
 * line on stdout (README, "Apply events"; schemas/events/apply.schema.json),
 * for a CI step or a dashboard to follow while it runs.
 */
#ifndef AZAPPLY_APPLY_EVENTS_H
#define AZAPPLY_APPLY_EVENTS_H

#include "cmd.h"

#define AZ_EVENTS_FORMAT_VERSION "1"

typedef struct az_apply_events {
	const az_plan *plan;   /* borrowed; the action of each address */
	json_t *changed;       /* address -> index of its item in plan, no-ops left out */
	const az_diags *d;     /* borrowed; where a failure's cause lands */
	size_t failed_from;    /* diagnostics before this index are not a step's */
} az_apply_events;

/* One "planned" event per resource the plan changes (no-ops left out). */
void az_events_planned(az_apply_events *ev, const az_plan *plan);
void az_events_clear(az_apply_events *ev);
/* az_apply_options.progress: started, done, failed, skipped. */
void az_events_progress(void *ud, az_apply_event ev, const char *address, const char *what,
			double seconds);
/* az_apply_options.tick: "progress", about once a second, for the step
 * that has been running longest. */
void az_events_tick(void *ud, az_apply_event ev, const char *address, const char *what,
		    double seconds);
/* The last event of every run: how it ended (`outcome`: complete,
 * deferred, incomplete, no-changes, cancelled, interrupted, refused,
 * error), the counts (the plan's and `earlier`'s, what a first round of
 * the same run planned; `res` NULL when nothing was applied), every
 * diagnostic. */
void az_events_summary(const char *operation, const char *outcome, const az_plan *plan,
		       const az_plan_counts *earlier, const az_apply_result *res,
		       const az_diags *d);

#endif
