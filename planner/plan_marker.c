/*
 * plan_marker.c - what a plan item's marker says and writes beyond the
 * plan itself: import's body that changes only the marker, and the
 * provenance (the commit that applied) apply stamps and drift reads.
 */
#include <stdlib.h>
#include <string.h>

#include <azapply/plan.h>

#include "instance.h"
#include "marker.h"

/* Removes every value under a read-only path of the kind. */
static void drop_read_only(const az_kind *kind, json_t *v, az_buf *path)
{
	size_t mark = path->len;
	const char *key;
	json_t *child;
	void *tmp;
	json_object_foreach_safe(v, tmp, key, child) {
		az_buf_printf(path, "%s%s", mark ? "." : "", key);
		if (az_path_in(kind->read_only_paths, path->data))
			json_object_del(v, key);
		else if (json_is_object(child))
			drop_read_only(kind, child, path);
		az_buf_truncate(path, mark);
	}
}

void az_plan_item_marker_only(az_plan_item *it, az_buf *pending)
{
	az_marker_info m;
	az_marker_read(&m, it->kind, it->desired);
	/* No secret is written, so the marker must not claim one was: the
	 * next plan shows the secrets the manifest sets as changes. */
	free(m.secrets);
	m.secrets = NULL;
	json_t *body = json_deep_copy(it->live);
	az_buf path = AZ_BUF_INIT;
	az_buf_puts(&path, "");
	drop_read_only(it->kind, body, &path);
	az_buf_free(&path);
	az_marker_strip(it->kind, body);
	az_marker_write(it->kind, body, &m);
	for (size_t i = 0; i < it->diff.len; i++) {
		if (strncmp(it->diff.items[i].path, "(marker)", 8) == 0)
			continue;
		az_buf_printf(pending, "%s%s", pending->len ? ", " : "", it->diff.items[i].path);
	}
	az_diff_clear(&it->diff);
	char *instance = az_marker_instance(&m);
	json_t *owner = json_string(instance);
	az_diff_add(&it->diff, AZ_CHANGE_ADD, "(marker) owner", NULL, owner);
	json_decref(owner);
	free(instance);
	json_decref(it->desired);
	it->desired = body;
	it->marker_only = true;
	az_marker_info_free(&m);
}

/* The commit a component pinned to a commit adds to the item's
 * provenance, or NULL. */
static const char *item_pin(const az_plan *plan, const az_plan_item *it)
{
	const az_stack *stack = plan->instance ? plan->instance->stack : NULL;
	if (!stack || it->resource >= stack->len)
		return NULL;
	return stack->resources[it->resource].manifest->pin;
}

void az_plan_set_provenance(az_plan *plan, const char *label)
{
	if (!label)
		return;
	for (size_t i = 0; i < plan->len; i++) {
		az_plan_item *it = &plan->items[i];
		if (!it->desired || !it->kind || it->kind->marker == AZ_MARKER_NONE)
			continue;
		az_marker_info m;
		az_marker_read(&m, it->kind, it->desired);
		if (m.present) {
			/* Strip first: annotations are appended, not replaced. */
			free(m.commit);
			/* A pinned component's resource came from two commits:
			 * the stack's (its inputs) and the component's. */
			const char *pin = item_pin(plan, it);
			m.commit = pin ? az_xasprintf("%s+%s", label, pin) : az_xstrdup(label);
			az_marker_strip(it->kind, it->desired);
			az_marker_write(it->kind, it->desired, &m);
		}
		az_marker_info_free(&m);
	}
}

char *az_plan_item_commit(const az_plan_item *it)
{
	if (!it->live || !it->kind)
		return NULL;
	az_marker_info m;
	az_marker_read(&m, it->kind, it->live);
	char *commit = m.commit;
	m.commit = NULL;
	az_marker_info_free(&m);
	return commit;
}
