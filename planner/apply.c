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
#include "identity.h"
#include "paths.h"
#include "refresh.h"

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
			     az_step_verb_of(oldest, false), longest);
	run->tick_pending = true;
	az_session_after(run->inst->session, 1000, tick, run);
}

/* The kind whose routes name resources of kind `k` (an online endpoint,
 * for a deployment), or NULL. */
static const az_kind *routing_parent(const az_kind *k)
{
	const az_kind *p = k && k->parent_kind ? az_kind_find(k->parent_kind) : NULL;
	return p && p->routes_to && strcmp(p->routes_to, k->name) == 0 ? p : NULL;
}

static bool creates(az_action a)
{
	return a == AZ_ACTION_CREATE || a == AZ_ACTION_REPLACE;
}

static void deps_add(step *s, size_t dep)
{
	s->deps = az_xrealloc(s->deps, (s->deps_len + 1) * sizeof(size_t));
	s->deps[s->deps_len++] = dep;
}

/* A parent whose routes name its children (an online endpoint's traffic,
 * its deployments) must never route to a child that does not exist: Azure
 * refuses it, and a request would meet a missing deployment. A child needs
 * its parent, so:
 *   - a parent that is updated waits for its children's creates and
 *     updates instead (it exists: they do not need its write), so traffic
 *     moves only to deployments that are in place;
 *   - a parent that is created is created without routes, its children
 *     after it, and its routes are sent by a second step once they are
 *     done (its follow_up);
 *   - deletes run after every create and update (the walk's barrier), so
 *     the traffic that drops a deployment is in place before it goes.
 * `plan_index` maps resources to plan items; returns the steps added. */
static size_t order_routes(apply_run *run, const size_t *plan_index, size_t first_extra)
{
	az_plan *p = run->plan;
	size_t extra = first_extra;
	for (size_t i = 0; i < p->len; i++) {
		az_plan_item *it = &p->items[i];
		const json_t *routes = it->kind && it->kind->routes_path && creates(it->action)
					       ? az_json_at(it->desired, it->kind->routes_path)
					       : NULL;
		if (json_object_size(routes) == 0)
			continue;
		step *f = &run->steps[extra];
		f->run = run;
		f->item = it;
		f->node = run->steps[i].node;
		f->routes_only = true;
		deps_add(f, i);
		run->steps[i].follow_up = f;
		extra++;
	}
	for (size_t i = 0; i < p->len; i++) {
		step *s = &run->steps[i];
		const az_kind *pk = routing_parent(s->item->kind);
		if (!pk || s->item->action == AZ_ACTION_DELETE || s->item->resource >= run->inst->len)
			continue;
		const az_resource *r = &run->inst->stack->resources[s->item->resource];
		for (size_t j = 0; j < r->deps_len; j++) {
			const az_resource *pr = &run->inst->stack->resources[r->deps[j]];
			size_t parent = plan_index[r->deps[j]];
			if (pr->kind != pk || parent == (size_t)-1)
				continue;
			step *ps = &run->steps[parent];
			if (ps->follow_up) {
				deps_add(ps->follow_up, i);
			} else if (!creates(ps->item->action)) {
				size_t kept = 0;
				for (size_t k = 0; k < s->deps_len; k++)
					if (s->deps[k] != parent)
						s->deps[kept++] = s->deps[k];
				s->deps_len = kept;
				deps_add(ps, i);
			}
		}
	}
	return extra - first_extra;
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
	/* Room for a routes_only step per parent created with routes. */
	size_t routed = 0;
	for (size_t i = 0; i < p->len; i++)
		routed += p->items[i].kind && p->items[i].kind->routes_path &&
			  creates(p->items[i].action);
	run->steps = az_xcalloc(p->len + routed ? p->len + routed : 1, sizeof(step));
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
	/* A delete waits for the deletes that must go before it
	 * (delete_order.c), and for every create and update: that wait is
	 * the walk's barrier, not an edge from each of them. */
	az_delete_waits *waits = az_delete_order(p, run->inst);
	for (size_t i = 0; i < p->len; i++) {
		step *s = &run->steps[i];
		if (s->item->action != AZ_ACTION_DELETE)
			continue;
		s->deps = az_xcalloc(waits[i].len ? waits[i].len : 1, sizeof(size_t));
		for (size_t j = 0; j < waits[i].len; j++)
			s->deps[s->deps_len++] = waits[i].items[j];
	}
	az_delete_waits_free(waits, p->len);
	run->len += order_routes(run, plan_index, p->len);
	free(plan_index);
}

/* ---------------------------------------------------------------------
 * The walk: every step is started once all it waits for is done, and
 * settled once when it ends; each edge is looked at once, so an apply of
 * n resources costs O(n + edges), not a rescan of every step per answer.
 *
 * Ready steps wait in lanes, one per host that serves only part of the
 * stack (a Synapse workspace's data plane), and lane 0 for the hosts every
 * step shares (ARM, Graph). The next step comes from the lane with the
 * fewest steps running, then in plan order. Without lanes, the eighty
 * artifacts of one workspace that became ready together took all fifty
 * slots at once: over HTTP/1.1 that is fifty connections, each a TLS
 * handshake, to a host the apply soon leaves for the next workspace (3,183
 * connections in an apply of 10,001 resources, 292 with lanes). Spread over the
 * workspaces, a few connections per host carry their artifacts from first
 * to last. Lane 0 always counts as idle: its hosts are used throughout, and
 * ARM's writes are what the workspaces' artifacts wait for. One step at a
 * time, the order is plan order as before.
 */
typedef struct ready_lane {
	size_t *heap; /* min-heap of step indices: plan order within the lane */
	size_t len, cap;
	size_t running;
} ready_lane;

typedef struct walk {
	apply_run *run;
	size_t *waiting;      /* per step: deps not done yet */
	size_t *dependents;   /* CSR: dependents of step i at [first[i], first[i + 1]) */
	size_t *first;
	size_t *lane_of;      /* per step */
	ready_lane *lanes;
	size_t lanes_len;
	size_t ready_len;     /* over all lanes */
	size_t creates_left;  /* creates, updates and no-ops not settled: the deletes' barrier */
	const step *broken;   /* the first create or update that failed or was skipped */
} walk;

static bool is_delete(const step *s)
{
	return s->item->action == AZ_ACTION_DELETE;
}

static void heap_push(ready_lane *l, size_t i)
{
	if (l->len == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		l->heap = az_xrealloc(l->heap, l->cap * sizeof(size_t));
	}
	size_t at = l->len++;
	while (at && l->heap[(at - 1) / 2] > i) {
		l->heap[at] = l->heap[(at - 1) / 2];
		at = (at - 1) / 2;
	}
	l->heap[at] = i;
}

static size_t heap_pop(ready_lane *l)
{
	size_t top = l->heap[0], last = l->heap[--l->len], at = 0;
	for (;;) {
		size_t child = 2 * at + 1;
		if (child >= l->len)
			break;
		if (child + 1 < l->len && l->heap[child + 1] < l->heap[child])
			child++;
		if (last <= l->heap[child])
			break;
		l->heap[at] = l->heap[child];
		at = child;
	}
	if (l->len)
		l->heap[at] = last;
	return top;
}

static void ready_push(walk *w, size_t i)
{
	heap_push(&w->lanes[w->lane_of[i]], i);
	w->ready_len++;
}

/* The ready step of the least busy lane, first in plan order among equals.
 * A scan of the lanes (one per workspace) per step started. */
static size_t ready_pop(walk *w)
{
	size_t best = 0, best_running = 0;
	bool found = false;
	for (size_t k = 0; k < w->lanes_len; k++) {
		const ready_lane *l = &w->lanes[k];
		if (!l->len)
			continue;
		size_t running = k ? l->running : 0;
		if (!found || running < best_running ||
		    (running == best_running && l->heap[0] < w->lanes[best].heap[0])) {
			best = k;
			best_running = running;
			found = true;
		}
	}
	w->ready_len--;
	return heap_pop(&w->lanes[best]);
}

/* A step's lane: its workspace's for what the workspace's own host
 * serves, else 0. `by_workspace` numbers the workspaces seen so far. */
static size_t lane_for(const step *s, json_t *by_workspace)
{
	const az_kind *k = s->item->kind;
	if (!k || !s->item->id || !az_kind_on_workspace_host(k))
		return 0;
	char *ws = az_identity_workspace_of(s->item->id);
	if (!ws)
		return 0;
	json_t *known = json_object_get(by_workspace, ws);
	size_t at = known ? (size_t)json_integer_value(known) : json_object_size(by_workspace) + 1;
	if (!known)
		json_object_set_new(by_workspace, ws, json_integer((json_int_t)at));
	free(ws);
	return at;
}

static void walk_init(walk *w, apply_run *run)
{
	size_t n = run->len, edges = 0;
	memset(w, 0, sizeof(*w));
	w->run = run;
	w->waiting = az_xcalloc(n ? n : 1, sizeof(size_t));
	w->first = az_xcalloc(n + 1, sizeof(size_t));
	w->lane_of = az_xcalloc(n ? n : 1, sizeof(size_t));
	run->finished = az_xcalloc(n ? n : 1, sizeof(size_t));
	json_t *by_workspace = json_object();
	for (size_t i = 0; i < n; i++) {
		step *s = &run->steps[i];
		w->waiting[i] = s->deps_len;
		edges += s->deps_len;
		for (size_t j = 0; j < s->deps_len; j++)
			w->first[s->deps[j] + 1]++;
		w->creates_left += !is_delete(s);
		w->lane_of[i] = lane_for(s, by_workspace);
	}
	w->lanes_len = json_object_size(by_workspace) + 1;
	w->lanes = az_xcalloc(w->lanes_len, sizeof(ready_lane));
	json_decref(by_workspace);
	for (size_t i = 0; i < n; i++)
		w->first[i + 1] += w->first[i];
	w->dependents = az_xcalloc(edges ? edges : 1, sizeof(size_t));
	size_t *fill = az_xcalloc(n ? n : 1, sizeof(size_t));
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < run->steps[i].deps_len; j++) {
			size_t dep = run->steps[i].deps[j];
			w->dependents[w->first[dep] + fill[dep]++] = i;
		}
	free(fill);
	for (size_t i = 0; i < n; i++)
		if (!w->waiting[i] && (!is_delete(&run->steps[i]) || !w->creates_left))
			ready_push(w, i);
}

static void walk_free(walk *w)
{
	free(w->waiting);
	free(w->first);
	free(w->dependents);
	free(w->lane_of);
	for (size_t k = 0; k < w->lanes_len; k++)
		free(w->lanes[k].heap);
	free(w->lanes);
	free(w->run->finished);
	w->run->finished = NULL;
}

/* Marks a waiting step skipped because of `blocked_by`; it is settled in
 * turn, so what waits for it is skipped too, each said once. */
static void skip(walk *w, step *s, const char *blocked_by)
{
	s->state = STEP_SKIPPED;
	s->blocked_by = blocked_by;
	az_step_report(s, AZ_APPLY_SKIPPED, blocked_by);
	w->run->finished[w->run->finished_len++] = (size_t)(s - w->run->steps);
}

/* What a step's end means for the others: its dependents wait for one
 * less, or (it failed or was skipped) are skipped; the last create or
 * update to end opens the deletes. */
static void settle(walk *w, size_t i)
{
	apply_run *run = w->run;
	step *s = &run->steps[i];
	bool ok = s->state == STEP_DONE;
	/* Skipped steps and those that write nothing never ran. */
	if (s->state != STEP_SKIPPED && !az_action_writes_nothing(s->item->action))
		w->lanes[w->lane_of[i]].running--;
	const char *cause = s->state == STEP_FAILED ? s->item->address : s->blocked_by;
	if (s->state == STEP_FAILED && run->o && run->o->fail_fast)
		run->stop_starting = true;
	for (size_t k = w->first[i]; k < w->first[i + 1]; k++) {
		step *dep = &run->steps[w->dependents[k]];
		if (dep->state != STEP_WAITING)
			continue;
		if (!ok) {
			if (!run->stop_starting)
				skip(w, dep, cause);
		} else if (--w->waiting[w->dependents[k]] == 0 && (!is_delete(dep) || !w->creates_left)) {
			ready_push(w, w->dependents[k]);
		}
	}
	if (is_delete(s))
		return;
	if (!ok && (!w->broken || s < w->broken))
		w->broken = s;
	if (--w->creates_left)
		return;
	for (size_t j = 0; j < run->len; j++) {
		step *d = &run->steps[j];
		if (!is_delete(d) || d->state != STEP_WAITING)
			continue;
		if (w->broken) {
			if (!run->stop_starting)
				skip(w, d, w->broken->state == STEP_FAILED ? w->broken->item->address
									   : w->broken->blocked_by);
		} else if (!w->waiting[j]) {
			ready_push(w, j);
		}
	}
}

static void settle_finished(walk *w)
{
	while (w->run->finished_len)
		settle(w, w->run->finished[--w->run->finished_len]);
}

int az_apply(az_plan *plan, const az_apply_options *o, az_apply_result *res, az_diags *d)
{
	apply_run run = {.plan = plan, .inst = plan->instance, .o = o, .d = d};
	memset(res, 0, sizeof(*res));
	build_steps(&run);
	walk w;
	walk_init(&w, &run);
	int parallelism = o && o->parallelism > 0 ? o->parallelism : AZ_APPLY_DEFAULT_PARALLELISM;
	for (;;) {
		if (o && o->interrupted && *o->interrupted)
			run.stop_starting = true;
		settle_finished(&w);
		while (!run.stop_starting && run.running < parallelism && w.ready_len) {
			size_t i = ready_pop(&w);
			step *s = &run.steps[i];
			if (az_action_writes_nothing(s->item->action)) {
				s->state = STEP_DONE;
				run.finished[run.finished_len++] = i;
			} else {
				w.lanes[w.lane_of[i]].running++;
				az_step_start(s);
			}
			settle_finished(&w);
		}
		if (run.running == 0)
			break; /* nothing in flight, nothing more may start */
		run.progress = false;
		if (o && o->tick && !run.tick_pending) {
			run.tick_pending = true;
			az_session_after(run.inst->session, 1000, tick, &run);
		}
		az_session_run_until(run.inst->session, made_progress, &run);
		if (o && o->abandon && *o->abandon)
			break;
	}
	/* A scheduled tick refers to this run: let it fire (it finds nothing
	 * running and does not reschedule) before the run goes away. */
	if (run.tick_pending && !(o && o->abandon && *o->abandon))
		az_session_run(run.inst->session);
	/* Resources, not steps: a parent created and then routed (its
	 * routes_only follow-up) is one resource, done once both are, and
	 * otherwise as its routes went. */
	for (size_t i = 0; i < run.len; i++) {
		step *s = &run.steps[i];
		step_state outcome = s->state;
		if (s->follow_up && outcome == STEP_DONE)
			outcome = s->follow_up->state;
		if (s->routes_only)
			outcome = STEP_RUNNING; /* counted with its parent */
		switch (outcome) {
		case STEP_DONE:
			if (!az_action_writes_nothing(s->item->action))
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
	walk_free(&w);
	free(run.steps);
	return res->failed || res->skipped || res->not_started ? AZ_ERROR : 0;
}
