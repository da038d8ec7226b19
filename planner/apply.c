/*
 * apply.c - carrying out a plan without ever losing track of what exists.
 *
 * The plan is walked as a graph: a resource starts once everything it
 * depends on is done, up to `parallelism` at a time, all on the session's
 * one event loop (Synapse workspaces take minutes; their dependents wait,
 * everything independent goes on). Values that were "(known after apply)"
 * are resolved when a resource starts, from the live bodies its sources
 * returned. A failure skips what depends on it (reported once, with the
 * root cause) while independent work continues. Deletes run after all
 * creates and updates, in reverse dependency order (delete_order.c).
 * What one resource's step sends is apply_step.c's.
 */
#include <stdlib.h>
#include <string.h>

#include "apply_step.h"
#include "delete_order.h"
#include "refresh.h"

static bool ready(apply_run *run, step *s)
{
	for (size_t i = 0; i < s->deps_len; i++) {
		step *dep = &run->steps[s->deps[i]];
		if (dep->state == STEP_FAILED || dep->state == STEP_SKIPPED) {
			s->state = STEP_SKIPPED;
			s->blocked_by = dep->state == STEP_FAILED ? dep->item->address : dep->blocked_by;
			az_step_report(s, AZ_APPLY_SKIPPED, s->blocked_by);
			return false;
		}
		if (dep->state != STEP_DONE)
			return false;
	}
	return true;
}

static bool made_progress(void *ud)
{
	apply_run *run = ud;
	return run->progress || (run->o && run->o->abandon && *run->o->abandon);
}

/* Once a second: the longest-running step, for a live status line. */
static void tick(void *ud)
{
	apply_run *run = ud;
	run->tick_pending = false;
	if (run->running == 0 || !run->o || !run->o->tick)
		return;
	step *oldest = NULL;
	double longest = -1;
	for (size_t i = 0; i < run->len; i++) {
		step *s = &run->steps[i];
		double t = s->state == STEP_RUNNING ? az_step_elapsed(&s->started) : -1;
		if (t > longest) {
			longest = t;
			oldest = s;
		}
	}
	if (oldest)
		run->o->tick(run->o->progress_ud, AZ_APPLY_STARTED, oldest->item->address,
			     az_step_verb(oldest->item->action, false), longest);
	run->tick_pending = true;
	az_session_after(run->inst->session, 1000, tick, run);
}

/* Deletes wait for the resources that depend on them instead (reverse
 * order), so a key vault is not deleted under the workspace using it. */
static void build_steps(apply_run *run)
{
	az_plan *p = run->plan;
	size_t *plan_index = az_xcalloc(run->inst->len ? run->inst->len : 1, sizeof(size_t));
	for (size_t i = 0; i < run->inst->len; i++)
		plan_index[i] = (size_t)-1;
	for (size_t i = 0; i < p->len; i++)
		if (p->items[i].resource < run->inst->len && p->items[i].action != AZ_ACTION_DELETE)
			plan_index[p->items[i].resource] = i;
	run->steps = az_xcalloc(p->len ? p->len : 1, sizeof(step));
	run->len = p->len;
	for (size_t i = 0; i < p->len; i++) {
		step *s = &run->steps[i];
		s->run = run;
		s->item = &p->items[i];
		s->node = s->item->resource < run->inst->len ? &run->inst->nodes[s->item->resource]
							 : az_refresh_orphan(run->inst, s->item);
		if (s->item->action == AZ_ACTION_DELETE)
			continue;
		const az_resource *r = &run->inst->stack->resources[s->item->resource];
		s->deps = az_xcalloc(r->deps_len ? r->deps_len : 1, sizeof(size_t));
		for (size_t j = 0; j < r->deps_len; j++) {
			size_t dep = plan_index[r->deps[j]];
			if (dep != (size_t)-1)
				s->deps[s->deps_len++] = dep;
		}
	}
	/* A delete waits for every create and update, and for the deletes
	 * that must go before it (delete_order.c). */
	az_delete_waits *waits = az_delete_order(p, run->inst);
	for (size_t i = 0; i < p->len; i++) {
		step *s = &run->steps[i];
		if (s->item->action != AZ_ACTION_DELETE)
			continue;
		s->deps = az_xcalloc(p->len ? p->len : 1, sizeof(size_t));
		for (size_t j = 0; j < p->len; j++)
			if (j != i && p->items[j].action != AZ_ACTION_DELETE)
				s->deps[s->deps_len++] = j;
		for (size_t j = 0; j < waits[i].len; j++)
			s->deps[s->deps_len++] = waits[i].items[j];
	}
	az_delete_waits_free(waits, p->len);
	free(plan_index);
}

int az_apply(az_plan *plan, const az_apply_options *o, az_apply_result *res, az_diags *d)
{
	apply_run run = {plan, plan->instance, o, NULL, 0, 0, false, false, false, d};
	memset(res, 0, sizeof(*res));
	build_steps(&run);
	int parallelism = o && o->parallelism > 0 ? o->parallelism : AZ_APPLY_DEFAULT_PARALLELISM;
	for (;;) {
		if (o && o->interrupted && *o->interrupted)
			run.stop_starting = true;
		/* One pass starts what is ready; skips propagate pass by pass. */
		bool changed = false;
		for (size_t i = 0; i < run.len && !run.stop_starting; i++) {
			step *s = &run.steps[i];
			if (s->state != STEP_WAITING || run.running >= parallelism)
				continue;
			if (!ready(&run, s)) {
				changed |= s->state == STEP_SKIPPED;
				continue;
			}
			changed = true;
			if (s->item->action == AZ_ACTION_NOOP || s->item->action == AZ_ACTION_READ)
				s->state = STEP_DONE;
			else
				az_step_start(s);
		}
		if (run.running == 0) {
			if (!changed)
				break;
			continue;
		}
		run.progress = false;
		if (o && o->tick && !run.tick_pending) {
			run.tick_pending = true;
			az_session_after(run.inst->session, 1000, tick, &run);
		}
		az_session_run_until(run.inst->session, made_progress, &run);
		if (o && o->abandon && *o->abandon)
			break;
		if (o && o->fail_fast)
			for (size_t i = 0; i < run.len; i++)
				if (run.steps[i].state == STEP_FAILED)
					run.stop_starting = true;
	}
	/* A scheduled tick refers to this run: let it fire (it finds nothing
	 * running and does not reschedule) before the run goes away. */
	if (run.tick_pending && !(o && o->abandon && *o->abandon))
		az_session_run(run.inst->session);
	for (size_t i = 0; i < run.len; i++) {
		step *s = &run.steps[i];
		switch (s->state) {
		case STEP_DONE:
			if (s->item->action != AZ_ACTION_NOOP && s->item->action != AZ_ACTION_READ)
				res->done++;
			break;
		case STEP_FAILED: res->failed++; break;
		case STEP_SKIPPED: res->skipped++; break;
		case STEP_WAITING: res->not_started++; break;
		case STEP_RUNNING: break;
		}
		free(s->deps);
		json_decref(s->held);
		json_decref(s->body);
		az_diags_clear(&s->diags);
	}
	free(run.steps);
	return res->failed || res->skipped || res->not_started ? AZ_ERROR : 0;
}
