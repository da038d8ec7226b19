/*
 * apply_events.c - `apply --output json`: one JSON object per line.
 *
 * A CI step reads stdout line by line while apply runs: what is planned,
 * each resource as it starts, its progress while it takes long, how it
 * ended, what was skipped because of which failure, and a summary that
 * is always the last line, also when the run failed before planning (so
 * a reader never waits for a document that will not come). Nothing else
 * is written to stdout in this mode: the plan and the human lines go to
 * stderr. Every event has `formatVersion` and `event`; fields are only
 * ever added within a format version (schemas/events/apply.schema.json).
 * Secrets cannot appear: stdout passes through the redacting guard, and
 * no event carries a body.
 */
#include <string.h>
#include <time.h>

#include "apply_events.h"

/* The event's common head: format version, kind of event, time (UTC). */
static json_t *event_new(const char *name)
{
	char when[32];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_pack("{s:s,s:s,s:s}", "formatVersion", AZ_EVENTS_FORMAT_VERSION, "event", name,
			 "time", when);
}

/* Writes the event as one line and lets it go at once: a reader follows
 * the run as it happens. Steals `ev`. */
static void emit(json_t *ev)
{
	json_dumpf(ev, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
	fflush(stdout);
	json_decref(ev);
}

/* The item the plan changes at `address`: looked up by address, since a
 * walk of the plan for each event made an apply of n resources cost n
 * squared (every resource has two events or more). */
static const az_plan_item *item_of(const az_apply_events *ev, const char *address)
{
	json_t *at = json_object_get(ev->changed, address);
	return at ? &ev->plan->items[json_integer_value(at)] : NULL;
}

static void put_resource(json_t *e, const az_apply_events *ev, const char *address)
{
	const az_plan_item *it = item_of(ev, address);
	json_object_set_new(e, "address", json_string(address));
	if (it) {
		json_object_set_new(e, "kind", json_string(it->kind->name));
		json_object_set_new(e, "action", json_string(az_action_name(it->action)));
	}
}

void az_events_planned(az_apply_events *ev, const az_plan *plan)
{
	ev->plan = plan;
	json_decref(ev->changed);
	ev->changed = json_object();
	/* The first item of an address that changes, as the plan lists them. */
	for (size_t i = plan->len; i-- > 0;)
		if (plan->items[i].action != AZ_ACTION_NOOP)
			json_object_set_new(ev->changed, plan->items[i].address,
					    json_integer((json_int_t)i));
	for (size_t i = 0; i < plan->len; i++) {
		const az_plan_item *it = &plan->items[i];
		if (az_action_writes_nothing(it->action))
			continue;
		json_t *e = event_new("planned");
		json_object_set_new(e, "address", json_string(it->address));
		json_object_set_new(e, "kind", json_string(it->kind->name));
		json_object_set_new(e, "action", json_string(az_action_name(it->action)));
		json_object_set_new(e, "id", it->id ? json_string(it->id) : json_null());
		json_object_set_new(e, "adopt", json_boolean(it->adopt));
		json_object_set_new(e, "changes", json_integer((json_int_t)it->diff.len));
		if (it->reason)
			json_object_set_new(e, "reason", json_string(it->reason));
		if (it->refused)
			json_object_set_new(e, "refused", json_string(it->refused));
		emit(e);
	}
}

void az_events_progress(void *ud, az_apply_event kind, const char *address, const char *what,
			double seconds)
{
	az_apply_events *ev = ud;
	static const char *const NAMES[] = {
		[AZ_APPLY_STARTED] = "started",
		[AZ_APPLY_DONE] = "done",
		[AZ_APPLY_FAILED] = "failed",
		[AZ_APPLY_SKIPPED] = "skipped",
	};
	json_t *e = event_new(NAMES[kind]);
	put_resource(e, ev, address);
	if (kind == AZ_APPLY_SKIPPED) {
		json_object_set_new(e, "blockedBy", json_string(what));
		emit(e);
		return;
	}
	json_object_set_new(e, "message", json_string(what));
	if (kind != AZ_APPLY_STARTED)
		json_object_set_new(e, "elapsedSeconds", json_real(seconds));
	if (kind == AZ_APPLY_FAILED) {
		/* The step's diagnostics were moved into the run's, with its
		 * address, just before this call (apply_step.c). */
		json_t *errors = json_array();
		for (size_t i = ev->failed_from; ev->d && i < ev->d->len; i++) {
			const az_diag *x = &ev->d->items[i];
			if (x->severity == AZ_SEV_ERROR && x->address && strcmp(x->address, address) == 0)
				json_array_append_new(errors, az_diag_json(x));
		}
		json_object_set_new(e, "errors", errors);
	}
	emit(e);
}

void az_events_clear(az_apply_events *ev)
{
	json_decref(ev->changed);
	ev->changed = NULL;
	ev->plan = NULL;
}

void az_events_tick(void *ud, az_apply_event kind, const char *address, const char *what,
		    double seconds)
{
	az_apply_events *ev = ud;
	(void)kind;
	json_t *e = event_new("progress");
	put_resource(e, ev, address);
	json_object_set_new(e, "message", json_string(what));
	json_object_set_new(e, "elapsedSeconds", json_real(seconds));
	emit(e);
}

void az_events_summary(const char *operation, const char *outcome, const az_plan *plan,
		       const az_plan_counts *earlier, const az_apply_result *res,
		       const az_diags *d)
{
	json_t *e = event_new("summary");
	json_object_set_new(e, "operation", json_string(operation));
	json_object_set_new(e, "outcome", json_string(outcome));
	if (plan && plan->stack)
		json_object_set_new(e, "stack", json_string(plan->stack));
	if (plan && plan->stack)
		json_object_set_new(e, "environment",
				    plan->environment ? json_string(plan->environment) : json_null());
	if (plan && plan->stack) {
		az_plan_counts c = az_plan_count(plan);
		if (earlier) {
			c.create += earlier->create;
			c.update += earlier->update;
			c.replace += earlier->replace;
			c.destroy += earlier->destroy;
		}
		json_object_set_new(e, "planned",
				    json_pack("{s:I,s:I,s:I,s:I,s:I}", "add", (json_int_t)c.create,
					      "change", (json_int_t)c.update, "replace",
					      (json_int_t)c.replace, "destroy", (json_int_t)c.destroy,
					      "refused", (json_int_t)c.refused));
	}
	az_apply_result none = {0};
	if (!res)
		res = &none;
	json_object_set_new(e, "applied",
			    json_pack("{s:I,s:I,s:I,s:I}", "done", (json_int_t)res->done, "failed",
				      (json_int_t)res->failed, "skipped", (json_int_t)res->skipped,
				      "notStarted", (json_int_t)res->not_started));
	json_t *diags = json_array();
	for (size_t i = 0; d && i < d->len; i++)
		json_array_append_new(diags, az_diag_json(&d->items[i]));
	json_object_set_new(e, "diagnostics", diags);
	emit(e);
}
