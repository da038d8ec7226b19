/*
 * plan.c - the plan model: items, counts, and freeing.
 */
#include <azapply/plan.h>

#include "instance.h"

#include <stdlib.h>
#include <string.h>

const char *az_action_name(az_action a)
{
	switch (a) {
	case AZ_ACTION_NOOP: return "no-op";
	case AZ_ACTION_CREATE: return "create";
	case AZ_ACTION_UPDATE: return "update";
	case AZ_ACTION_REPLACE: return "replace";
	case AZ_ACTION_DELETE: return "delete";
	case AZ_ACTION_READ: return "read";
	case AZ_ACTION_DEFER: return "defer";
	}
	return "?";
}

bool az_action_writes_nothing(az_action a)
{
	return a == AZ_ACTION_NOOP || a == AZ_ACTION_READ || a == AZ_ACTION_DEFER;
}

az_plan_item *az_plan_add(az_plan *p, const char *address, const az_kind *kind, az_action a)
{
	if (p->len == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 16;
		p->items = az_xrealloc(p->items, p->cap * sizeof(*p->items));
	}
	az_plan_item *it = &p->items[p->len++];
	memset(it, 0, sizeof(*it));
	it->address = az_xstrdup(address);
	it->kind = kind;
	it->action = a;
	return it;
}

az_plan_counts az_plan_count(const az_plan *p)
{
	az_plan_counts c = {0};
	for (size_t i = 0; i < p->len; i++) {
		const az_plan_item *it = &p->items[i];
		if (it->refused)
			c.refused++;
		switch (it->action) {
		case AZ_ACTION_NOOP: c.noop++; break;
		case AZ_ACTION_CREATE: c.create++; break;
		case AZ_ACTION_UPDATE: c.update++; break;
		case AZ_ACTION_REPLACE: c.replace++; break;
		case AZ_ACTION_DELETE: c.destroy++; break;
		case AZ_ACTION_READ: c.read++; break;
		case AZ_ACTION_DEFER: c.deferred++; break;
		}
	}
	return c;
}

bool az_plan_has_changes(const az_plan *p)
{
	for (size_t i = 0; i < p->len; i++) {
		const az_plan_item *it = &p->items[i];
		/* A refresh-only plan changes nothing, but what it read differing
		 * from the manifests is what --detailed-exitcode reports. A
		 * deferred resource is a change still to be planned. */
		if (it->action == AZ_ACTION_READ ? it->diff.len > 0 : it->action != AZ_ACTION_NOOP)
			return true;
	}
	return false;
}

void az_plan_free_items(az_plan *p)
{
	for (size_t i = 0; i < p->len; i++) {
		az_plan_item *it = &p->items[i];
		free(it->address);
		free(it->id);
		free(it->refused);
		free(it->reason);
		free(it->etag);
		az_diff_clear(&it->diff);
		json_decref(it->desired);
		json_decref(it->live);
	}
	free(p->items);
	if (p->instance) {
		az_instance_free(p->instance);
		free(p->instance);
	}
	free(p->stack);
	free(p->environment);
	json_decref(p->component_sources);
	memset(p, 0, sizeof(*p));
}
