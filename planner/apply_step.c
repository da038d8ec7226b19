/*
 * apply_step.c - one resource's step of an apply: the requests it sends,
 * in the order Azure needs them, and what it records of every answer.
 *
 * Every callback records the live body Azure returned, also after a
 * failure, so a second apply plans from what really exists and converges.
 *
 * Kind rules that only apply can enforce live here too: a started Synapse
 * trigger is stopped before it changes and started again afterwards, also
 * when the change fails (azure-notes.md: TriggerEnabledCannotUpdate), and
 * the started triggers that start a pipeline are stopped around its update
 * the same way, so no run starts from a half-written pipeline; a
 * role assignment that exists under another name (409 RoleAssignmentExists)
 * is found and adopted instead of failing.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "apply_step.h"
#include "desired.h"
#include "identity.h"
#include "paths.h"
#include "resolve.h"

double az_step_elapsed(const struct timespec *t)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) + (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

void az_step_report(step *s, az_apply_event ev, const char *what)
{
	const az_apply_options *o = s->run->o;
	if (o && o->progress)
		o->progress(o->progress_ud, ev, s->item->address, what,
			    s->state == STEP_RUNNING || ev != AZ_APPLY_STARTED ? az_step_elapsed(&s->started) : 0);
}

const char *az_step_verb(az_action a, bool done)
{
	switch (a) {
	case AZ_ACTION_CREATE: return done ? "created" : "creating";
	case AZ_ACTION_UPDATE: return done ? "updated" : "updating";
	case AZ_ACTION_REPLACE: return done ? "replaced" : "replacing";
	case AZ_ACTION_DELETE: return done ? "deleted" : "deleting";
	default: return done ? "unchanged" : "checking";
	}
}

const char *az_step_verb_of(const step *s, bool done)
{
	if (s->routes_only)
		return done ? "traffic routed" : "routing traffic";
	return az_step_verb(s->item->action, done);
}

static void finish(step *s, bool ok)
{
	s->state = ok ? STEP_DONE : STEP_FAILED;
	s->run->running--;
	s->run->progress = true;
	s->run->finished[s->run->finished_len++] = (size_t)(s - s->run->steps);
	if (!ok) {
		size_t from = s->run->d->len;
		az_diags_move(s->run->d, &s->diags);
		az_diags_set_address(s->run->d, from, s->item->address);
		/* The manifest position helps when the error is about a value. */
		for (size_t i = from; i < s->run->d->len; i++) {
			az_diag *x = &s->run->d->items[i];
			if (!x->file && s->item->pos.file) {
				x->file = az_xstrdup(s->item->pos.file);
				x->line = s->item->pos.line;
				x->col = s->item->pos.col;
			}
		}
	}
	az_diags_clear(&s->diags);
	az_step_report(s, ok ? AZ_APPLY_DONE : AZ_APPLY_FAILED, az_step_verb_of(s, true));
	json_decref(s->body);
	s->body = NULL;
}

/* A step whose request failed: keep the cause, end the step. True when it
 * did, so a callback can return. */
static bool failed(step *s, int err, az_diags *d)
{
	if (!err)
		return false;
	if (d)
		az_diags_move(&s->diags, d);
	finish(s, false);
	return true;
}

/* Records what Azure answered: the truth for everything that follows. */
static void record_live(step *s, json_t *live)
{
	az_node *n = s->node;
	json_decref(n->live);
	n->live = live;
	n->state = live ? AZ_NODE_PRESENT : AZ_NODE_ABSENT;
	n->will_change = false;
	json_decref(s->item->live);
	s->item->live = live ? json_incref(live) : NULL;
}

static const az_provider *provider_of(step *s)
{
	return az_provider_get(s->item->kind->provider);
}

static bool is_trigger(const step *s)
{
	return strcmp(s->item->kind->name, "Trigger") == 0;
}

static const char *runtime_state(const json_t *body)
{
	return json_string_value(json_object_get(json_object_get(body, "properties"), "runtimeState"));
}

static void step_put(step *s);

static void trigger_restarted(void *ud, int err, json_t *live, az_diags *d)
{
	step *s = ud;
	if (err && d)
		az_diags_move(&s->diags, d);
	if (!err && live)
		record_live(s, live);
	else
		json_decref(live);
	finish(s, err == 0 && s->put_err == 0);
}

static void held_answered(void *ud, int err, json_t *live, az_diags *d);

/* Stops (or starts) every trigger held for this step at once. */
static void invoke_held(step *s, const char *action)
{
	size_t i;
	json_t *id;
	s->waiting = json_array_size(s->held);
	json_array_foreach(s->held, i, id) {
		provider_of(s)->invoke(s->run->inst->session, az_kind_find("Trigger"), json_string_value(id),
				       action, held_answered, s);
	}
}

/* 412 to a conditional write: someone changed (or created) the resource
 * after the plan read it. Say so in words; the HTTP error stays below. */
static void explain_precondition(step *s, const az_diags *d)
{
	bool failed = false;
	for (size_t i = 0; d && i < d->len; i++)
		failed |= d->items[i].http_status == 412;
	if (!failed || !s->precondition)
		return;
	az_diag *x;
	if (s->precondition == az_if_absent)
		x = az_diag_add(&s->diags, AZ_SEV_NOTE, NULL, NULL,
				"%s changed in Azure since it was planned (it exists now, it did "
				"not then): azapply did not overwrite it",
				s->item->address);
	else
		x = az_diag_add(&s->diags, AZ_SEV_NOTE, NULL, NULL,
				"%s changed in Azure since it was planned (its etag is no longer "
				"%s): azapply did not overwrite it",
				s->item->address, s->precondition);
	az_diag_set_detail(x, "run `azapply plan` again to see what changed, then apply");
}

static void put_done(void *ud, int err, json_t *live, az_diags *d)
{
	step *s = ud;
	s->put_err = err;
	if (err)
		explain_precondition(s, d);
	if (err && d)
		az_diags_move(&s->diags, d);
	if (!err)
		record_live(s, live);
	else
		json_decref(live);
	if (json_array_size(s->held)) {
		s->phase = 2; /* starting them again */
		invoke_held(s, "start");
		return;
	}
	/* A trigger is started again when it should run: after a change, and
	 * also after a failed one if it was running before. */
	bool start = is_trigger(s) && (err ? s->trigger_was_started : s->trigger_wants_started);
	if (start) {
		provider_of(s)->invoke(s->run->inst->session, s->item->kind, s->node->id, "start",
				       trigger_restarted, s);
		return;
	}
	finish(s, err == 0);
}

/* 409 RoleAssignmentExists: the same grant under another name. Find it at
 * the scope and write our body (the marker in its description) there. */
static void role_assignment_found(void *ud, int err, json_t *items, az_diags *d)
{
	step *s = ud;
	json_t *props = json_object_get(s->body, "properties");
	const char *role = json_string_value(json_object_get(props, "roleDefinitionId"));
	const char *principal = json_string_value(json_object_get(props, "principalId"));
	const char *found = NULL;
	size_t i;
	json_t *item;
	json_array_foreach(items, i, item) {
		json_t *p = json_object_get(item, "properties");
		const char *r = json_string_value(json_object_get(p, "roleDefinitionId"));
		const char *pr = json_string_value(json_object_get(p, "principalId"));
		const char *rs = r ? strrchr(r, '/') : NULL, *ws = role ? strrchr(role, '/') : NULL;
		if (rs && ws && pr && principal && strcasecmp(rs, ws) == 0 &&
		    strcasecmp(pr, principal) == 0) {
			found = json_string_value(json_object_get(item, "id"));
			break;
		}
	}
	if (err || !found) {
		if (d)
			az_diags_move(&s->diags, d);
		json_decref(items);
		finish(s, false);
		return;
	}
	az_diags_clear(&s->diags);
	free(s->node->id);
	s->node->id = az_xstrdup(found);
	free(s->item->id);
	s->item->id = az_xstrdup(found);
	json_decref(items);
	s->phase = 1; /* adopted: do not look again */
	provider_of(s)->put(s->run->inst->session, s->item->kind, s->node->id, s->body, NULL,
			    put_done, s);
}

static void role_put_done(void *ud, int err, json_t *live, az_diags *d)
{
	step *s = ud;
	bool exists = false;
	for (size_t i = 0; d && i < d->len; i++)
		exists |= d->items[i].code && strcmp(d->items[i].code, "RoleAssignmentExists") == 0;
	if (err && exists && s->phase == 0) {
		json_decref(live);
		az_diags_move(&s->diags, d);
		provider_of(s)->list(s->run->inst->session, s->item->kind, s->node->collection,
				     role_assignment_found, s);
		return;
	}
	put_done(ud, err, live, d);
}

static void step_put(step *s)
{
	const az_provider *p = provider_of(s);
	json_t *body = json_deep_copy(s->body);
	if (is_trigger(s)) {
		/* runtimeState is changed by start/stop, never by the body. */
		json_object_del(json_object_get(body, "properties"), "runtimeState");
	}
	/* The write is conditional on what the plan read: If-Match with the
	 * live body's etag on an update, If-None-Match: * on a create where
	 * the kind honours it (a replace creates after its delete). What
	 * someone else changed or created since is never overwritten. */
	az_action a = s->item->action;
	s->precondition = NULL;
	if (a == AZ_ACTION_UPDATE)
		s->precondition = s->item->etag;
	else if ((a == AZ_ACTION_CREATE || a == AZ_ACTION_REPLACE) &&
		 s->item->kind->create_if_absent)
		s->precondition = az_if_absent;
	bool role = strcmp(s->item->kind->name, "RoleAssignment") == 0;
	p->put(s->run->inst->session, s->item->kind, s->node->id, body, s->precondition,
	       role ? role_put_done : put_done, s);
	json_decref(body);
}

static void held_answered(void *ud, int err, json_t *live, az_diags *d)
{
	step *s = ud;
	json_decref(live);
	if (err) {
		s->held_failed = true;
		if (d)
			az_diags_move(&s->diags, d);
	}
	if (--s->waiting)
		return;
	if (s->phase == 2) {
		json_decref(s->held);
		s->held = NULL;
		finish(s, s->put_err == 0 && !s->held_failed);
		return;
	}
	if (s->held_failed) {
		/* Not all stopped: leave the pipeline alone, start what stopped. */
		s->put_err = AZ_ERROR;
		s->phase = 2;
		invoke_held(s, "start");
		return;
	}
	step_put(s);
}

/* The started triggers (as listed by the refresh) that start pipeline `name`
 * of the workspace a pipeline id is under. */
static json_t *started_triggers_of(az_instance *inst, const char *pipeline_id, const char *name)
{
	json_t *ids = json_array();
	const char *at = strstr(pipeline_id, "/pipelines/");
	if (!at || !name)
		return ids;
	char *collection = az_xasprintf("%.*s/triggers", (int)(at - pipeline_id), pipeline_id);
	for (char *p = collection; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	size_t i, j;
	json_t *item, *ref;
	json_array_foreach(json_object_get(inst->lists, collection), i, item) {
		json_t *props = json_object_get(item, "properties");
		const char *state = runtime_state(item);
		const char *trigger = json_string_value(json_object_get(item, "name"));
		if (!trigger || !state || strcasecmp(state, "Started") != 0)
			continue;
		json_array_foreach(json_object_get(props, "pipelines"), j, ref) {
			const char *target = json_string_value(json_object_get(
				json_object_get(ref, "pipelineReference"), "referenceName"));
			if (target && strcmp(target, name) == 0) {
				char *id = az_xasprintf("%.*s/triggers/%s", (int)(at - pipeline_id),
							pipeline_id, trigger);
				json_array_append_new(ids, json_string(id));
				free(id);
				break;
			}
		}
	}
	free(collection);
	return ids;
}

static void trigger_stopped(void *ud, int err, json_t *live, az_diags *d)
{
	step *s = ud;
	if (failed(s, err, d)) {
		json_decref(live);
		return;
	}
	if (live)
		record_live(s, live);
	step_put(s);
}

static void delete_done(void *ud, int err, json_t *live, az_diags *d)
{
	step *s = ud;
	json_decref(live);
	if (failed(s, err, d))
		return;
	record_live(s, NULL);
	if (s->item->action == AZ_ACTION_REPLACE) {
		/* Replace = delete, then create. */
		free(s->item->etag);
		s->item->etag = NULL;
		step_put(s);
		return;
	}
	finish(s, true);
}

static void step_delete(step *s)
{
	provider_of(s)->remove(s->run->inst->session, s->item->kind, s->node->id, delete_done, s);
}

static void trigger_stopped_for_delete(void *ud, int err, json_t *live, az_diags *d)
{
	step *s = ud;
	json_decref(live);
	if (failed(s, err, d))
		return;
	step_delete(s);
}

void az_step_start(step *s)
{
	apply_run *run = s->run;
	az_plan_item *it = s->item;
	clock_gettime(CLOCK_MONOTONIC, &s->started);
	s->state = STEP_RUNNING;
	run->running++;
	az_step_report(s, AZ_APPLY_STARTED, az_step_verb_of(s, false));
	if (s->routes_only) {
		/* The body its parent's step kept, routes and marker as planned. */
		if (s->body)
			step_put(s);
		else
			finish(s, true);
		return;
	}
	if (it->action == AZ_ACTION_DELETE) {
		if (is_trigger(s) && s->node->live &&
		    strcasecmp(runtime_state(s->node->live) ? runtime_state(s->node->live) : "", "Started") == 0) {
			provider_of(s)->invoke(run->inst->session, it->kind, s->node->id, "stop",
					       trigger_stopped_for_delete, s);
			return;
		}
		step_delete(s);
		return;
	}
	if (it->marker_only) {
		/* import: the resource as it is, with the marker; nothing of the
		 * manifest is resolved or sent. */
		s->body = json_deep_copy(it->desired);
		goto send;
	}
	/* Resolve what was "(known after apply)": the sources are done now. */
	size_t idx = it->resource;
	if (!s->node->id)
		az_identity_compute(run->inst, idx, &s->diags);
	json_decref(s->node->desired);
	s->node->desired = az_desired(run->inst, idx, &s->diags);
	if (!s->node->id || az_json_has_refs(s->node->desired)) {
		az_diag_add(&s->diags, AZ_SEV_ERROR, &it->pos, it->address,
			    "a referenced value is still unknown after its source was applied");
		finish(s, false);
		return;
	}
	free(it->id);
	it->id = az_xstrdup(s->node->id);
	/* The marker as planned, with the fingerprint of the final body. */
	az_marker_info planned;
	az_marker_read(&planned, it->kind, it->desired);
	char *fp = az_fingerprint(it->kind, s->node->desired);
	if (planned.present) {
		free(planned.fingerprint);
		planned.fingerprint = fp;
		fp = NULL;
		free(planned.paths);
		planned.paths = az_paths_digest(s->node->desired);
	}
	s->body = json_deep_copy(s->node->desired);
	if (planned.present)
		az_marker_write(it->kind, s->body, &planned);
	az_marker_info_free(&planned);
	free(fp);
	if (s->follow_up) {
		/* Created without routes: Azure refuses routes to children that
		 * do not exist yet (an endpoint's traffic to its deployments). */
		json_decref(s->follow_up->body);
		s->follow_up->body = json_deep_copy(s->body);
		json_t *routes = (json_t *)(uintptr_t)az_json_at(s->body, it->kind->routes_path);
		if (json_is_object(routes))
			json_object_clear(routes);
	}

send:
	if (is_trigger(s)) {
		const char *want = runtime_state(s->body);
		const char *was = s->node->live ? runtime_state(s->node->live) : NULL;
		s->trigger_wants_started = want ? strcasecmp(want, "Started") == 0
						: (was && strcasecmp(was, "Started") == 0);
		s->trigger_was_started = was && strcasecmp(was, "Started") == 0;
		if (s->trigger_was_started && it->action != AZ_ACTION_CREATE) {
			provider_of(s)->invoke(run->inst->session, it->kind, s->node->id, "stop",
					       trigger_stopped, s);
			return;
		}
	}
	if (it->action == AZ_ACTION_UPDATE && strcmp(it->kind->name, "Pipeline") == 0) {
		const char *slash = strrchr(s->node->id, '/');
		s->held = started_triggers_of(run->inst, s->node->id, slash ? slash + 1 : NULL);
		if (json_array_size(s->held)) {
			s->phase = 1;
			invoke_held(s, "stop");
			return;
		}
	}
	if (it->action == AZ_ACTION_REPLACE) {
		step_delete(s);
		return;
	}
	step_put(s);
}
