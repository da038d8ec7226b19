/*
 * delete_order.c - which deletes must finish before another may start.
 *
 * Deletes run in the reverse of the full dependency graph, for prune and
 * destroy alike: a key vault is deleted only after the ML workspace that
 * references it, a Spark pool only after the ML compute that attaches it,
 * a notebook only after the pipeline that runs it. A resource that is no
 * longer declared (an orphan) has no manifest to give its edges, so the
 * edges come from what Azure holds as well:
 *   - a child before its parent (its id lies below the parent's id),
 *     but for a child its parent's routes may name (an online endpoint's
 *     deployment, refused while the endpoint's traffic names it): the
 *     parent first, whose delete takes its children with it;
 *   - the manifest graph when both are declared (parents, ${ref},
 *     dependsOn, artifact references);
 *   - a live body that holds another deleted resource's id (an ML
 *     workspace's keyVault, an ML compute's resourceId);
 *   - a Synapse artifact whose live body names another artifact of the
 *     same workspace in a referenceName (or what ARM serves there: an
 *     integration runtime, a Spark pool).
 * Edges read from live bodies can point both ways (two resources naming
 * each other); one that would close a cycle is left out, so the order
 * always exists and a delete never waits forever.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "delete_order.h"

static void waits_add(az_delete_waits *w, size_t item)
{
	for (size_t i = 0; i < w->len; i++)
		if (w->items[i] == item)
			return;
	if (w->len == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 4;
		w->items = az_xrealloc(w->items, w->cap * sizeof(*w->items));
	}
	w->items[w->len++] = item;
}

/* Whether `from` already waits, directly or not, for `to`. */
static bool reaches(const az_delete_waits *waits, size_t len, size_t from, size_t to, bool *seen)
{
	if (from == to)
		return true;
	if (seen[from])
		return false;
	seen[from] = true;
	for (size_t i = 0; i < waits[from].len; i++)
		if (reaches(waits, len, waits[from].items[i], to, seen))
			return true;
	return false;
}

/* `first` is deleted before `then`, unless that closes a cycle. */
static void order(az_delete_waits *waits, size_t len, size_t then, size_t first)
{
	if (then == first)
		return;
	bool *seen = az_xcalloc(len, sizeof(bool));
	bool cycle = reaches(waits, len, first, then, seen);
	free(seen);
	if (!cycle)
		waits_add(&waits[then], first);
}

/* What artifacts name by referenceName: the artifacts themselves and what
 * ARM serves under the workspace beside them (integration runtimes that
 * linked services connect through, Spark pools that notebooks run on). */
static bool named_in_workspace(const az_kind *k)
{
	return k && (k->provider == AZ_PROVIDER_SYNAPSE ||
		     (k->parent_kind && strcmp(k->parent_kind, "SynapseWorkspace") == 0));
}

static bool is_delete(const az_plan_item *it)
{
	return it->action == AZ_ACTION_DELETE && it->id;
}

/* The id of a delete item's parent scope: everything before its last
 * "/type/name" pair. */
static size_t parent_len(const char *id)
{
	const char *last = strrchr(id, '/');
	if (!last || last == id)
		return 0;
	const char *type = last - 1;
	while (type > id && *type != '/')
		type--;
	return (size_t)(type - id);
}

typedef struct edge_scan {
	az_delete_waits *waits;
	size_t len;
	size_t self;
	const json_t *by_id;    /* lowercased id -> delete item index */
	const json_t *by_ref;   /* "workspace id|name" (lowercased) -> delete item index */
	const char *self_id;
	size_t workspace_len;   /* of self_id, for referenceName lookups */
} edge_scan;

static void scan_body(edge_scan *c, const json_t *v, const char *key)
{
	const char *k;
	json_t *child;
	size_t i;
	if (json_is_object(v)) {
		json_object_foreach((json_t *)(uintptr_t)v, k, child) scan_body(c, child, k);
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, child) scan_body(c, child, key);
	} else if (json_is_string(v)) {
		const char *s = json_string_value(v);
		char *lower = az_lowercase(s);
		json_t *hit = json_object_get(c->by_id, lower);
		if (hit && s[0] == '/') {
			size_t target = (size_t)json_integer_value(hit);
			/* A parent that lists its children's ids (private endpoint
			 * connections) is not their dependent: children go first. */
			if (strncasecmp(s, c->self_id, strlen(c->self_id)) != 0)
				order(c->waits, c->len, target, c->self);
		}
		if (key && strcmp(key, "referenceName") == 0 && c->workspace_len) {
			char *ref = az_xasprintf("%.*s|%s", (int)c->workspace_len, c->self_id, s);
			char *ref_lower = az_lowercase(ref);
			hit = json_object_get(c->by_ref, ref_lower);
			if (hit)
				order(c->waits, c->len, (size_t)json_integer_value(hit), c->self);
			free(ref_lower);
			free(ref);
		}
		free(lower);
	}
}

az_delete_waits *az_delete_order(const az_plan *plan, const az_instance *inst)
{
	size_t len = plan->len;
	az_delete_waits *waits = az_xcalloc(len ? len : 1, sizeof(*waits));
	json_t *by_id = json_object();
	json_t *by_ref = json_object();
	size_t *by_resource = az_xcalloc(inst->len ? inst->len : 1, sizeof(size_t));
	for (size_t r = 0; r < inst->len; r++)
		by_resource[r] = (size_t)-1;
	for (size_t i = 0; i < len; i++) {
		const az_plan_item *it = &plan->items[i];
		if (!is_delete(it))
			continue;
		char *lower = az_lowercase(it->id);
		json_object_set_new(by_id, lower, json_integer((json_int_t)i));
		free(lower);
		if (named_in_workspace(it->kind)) {
			const char *name = strrchr(it->id, '/') + 1;
			char *ref = az_xasprintf("%.*s|%s", (int)parent_len(it->id), it->id, name);
			lower = az_lowercase(ref);
			json_object_set_new(by_ref, lower, json_integer((json_int_t)i));
			free(lower);
			free(ref);
		}
		if (it->resource < inst->len)
			by_resource[it->resource] = i;
	}

	/* Children first: a parent waits for every delete below it. These
	 * edges follow the id tree and cannot form a cycle. */
	for (size_t i = 0; i < len; i++) {
		const az_plan_item *it = &plan->items[i];
		if (!is_delete(it))
			continue;
		char *lower = az_lowercase(it->id);
		for (char *slash = strrchr(lower, '/'); slash && slash > lower;
		     slash = strrchr(lower, '/')) {
			*slash = '\0';
			json_t *hit = json_object_get(by_id, lower);
			if (!hit)
				continue;
			size_t parent = (size_t)json_integer_value(hit);
			const az_kind *pk = plan->items[parent].kind;
			if (pk && pk->routes_to && it->kind &&
			    strcmp(pk->routes_to, it->kind->name) == 0)
				waits_add(&waits[i], parent);
			else
				waits_add(&waits[parent], i);
		}
		free(lower);
	}
	/* The manifest graph, where both ends are declared. */
	for (size_t i = 0; i < len; i++) {
		const az_plan_item *it = &plan->items[i];
		if (!is_delete(it) || it->resource >= inst->len)
			continue;
		const az_resource *r = &inst->stack->resources[it->resource];
		for (size_t j = 0; j < r->deps_len; j++)
			if (by_resource[r->deps[j]] != (size_t)-1)
				order(waits, len, by_resource[r->deps[j]], i);
	}
	/* What Azure holds: ids and artifact references in live bodies. */
	for (size_t i = 0; i < len; i++) {
		const az_plan_item *it = &plan->items[i];
		if (!is_delete(it) || !it->live)
			continue;
		bool artifact = it->kind && it->kind->provider == AZ_PROVIDER_SYNAPSE;
		edge_scan c = {waits, len, i, by_id, by_ref, it->id,
			       artifact ? parent_len(it->id) : 0};
		json_t *body = json_deep_copy(it->live);
		json_object_del(body, "id");
		scan_body(&c, body, NULL);
		json_decref(body);
	}
	json_decref(by_id);
	json_decref(by_ref);
	free(by_resource);
	return waits;
}

void az_delete_waits_free(az_delete_waits *waits, size_t len)
{
	for (size_t i = 0; waits && i < len; i++)
		free(waits[i].items);
	free(waits);
}
