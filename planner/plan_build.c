/*
 * plan_build.c - deciding the action for every resource.
 *
 * Resources are planned in dependency order, so when one is looked at,
 * everything it refers to already has its action: a reference to a
 * resource that will be created or replaced is "(known after apply)", one
 * to an existing resource is read from its live body.
 *
 *   absent                              -> create
 *   a create-only property differs      -> replace (refused for stateful
 *                                          kinds without lifecycle.allowReplace,
 *                                          and for a deployment its endpoint's
 *                                          traffic names)
 *   properties differ, or no marker yet -> update (adopting it when unmarked)
 *   otherwise                           -> no-op
 * A resource marked by another stack is never touched.
 *
 * A resource is planned as soon as its read is in and everything it
 * depends on is planned, while the refresh still waits for the answers of
 * the others (az_session_set_idle_work), not all of them after the last
 * answer; the items are then put in dependency order, as if planned one
 * after the other.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <azapply/lock.h>

#include "desired.h"
#include "identity.h"
#include "paths.h"
#include "refresh.h"
#include "resolve.h"

static bool lifecycle_flag(const az_resource *r, const char *flag)
{
	json_t *lc = json_object_get(json_object_get(r->manifest->body, "metadata"), "lifecycle");
	return json_is_true(json_object_get(lc, flag));
}

/* Sensitive pointers of the manifest ("/spec/properties/x") as pointers
 * into the body sent ("/properties/x"). */
static json_t *body_sensitive_pointers(const az_resource *r)
{
	json_t *out = json_array();
	size_t i;
	json_t *v;
	json_array_foreach(r->manifest->sensitive, i, v) {
		const char *p = json_string_value(v);
		if (p && strncmp(p, "/spec/", 6) == 0) {
			if (strcmp(r->kind->name, "RoleAssignment") == 0) {
				char *mapped = az_xasprintf("/properties%s", p + 5);
				json_array_append_new(out, json_string(mapped));
				free(mapped);
			} else {
				json_array_append_new(out, json_string(p + 5));
			}
		}
	}
	return out;
}

/* A change to the marker alone, shown as "(marker) what": it is written
 * with the next apply even when the body matches. */
static void add_marker_change(az_plan_item *it, const char *what, json_t *before, json_t *after)
{
	char *path = az_xasprintf("(marker) %s", what);
	az_diff_add(&it->diff, !before ? AZ_CHANGE_ADD : !after ? AZ_CHANGE_REMOVE : AZ_CHANGE_MODIFY,
		    path, before, after);
	json_decref(before);
	json_decref(after);
	free(path);
}

static json_t *string_or_null(const char *s)
{
	return s ? json_string(s) : NULL;
}

static const char *provisioning_state(const json_t *live)
{
	return json_string_value(
		json_object_get(json_object_get(live, "properties"), "provisioningState"));
}

/* ARM's terminal states that leave a resource not working (azure-notes:
 * Succeeded, Failed, Canceled). */
static bool provisioning_failed(const json_t *live)
{
	const char *state = provisioning_state(live);
	return state && (strcasecmp(state, "Failed") == 0 || strcasecmp(state, "Canceled") == 0);
}

/* Whether resource i is wanted by --target (a target or what it needs). */
static void mark_targets(const az_stack *st, size_t i, bool *wanted)
{
	if (wanted[i])
		return;
	wanted[i] = true;
	for (size_t j = 0; j < st->resources[i].deps_len; j++)
		mark_targets(st, st->resources[i].deps[j], wanted);
}

/* An address the user typed that no manifest declares: the closest one
 * when it looks like a typo, else what addresses look like here. */
static void report_unknown_address(const az_stack *st, const az_plan_options *o,
				   const char *address, az_diags *d)
{
	const char *given_as = o->targets_given_as ? o->targets_given_as : "--target";
	az_diag *diag = az_diag_add(d, AZ_SEV_ERROR, NULL, NULL, "%s %s is not a resource of this stack",
				    given_as, address);
	const char **addresses = az_xcalloc(st->len ? st->len : 1, sizeof(*addresses));
	size_t n = 0;
	for (size_t i = 0; i < st->len; i++)
		if (st->resources[i].address)
			addresses[n++] = st->resources[i].address;
	const char *hint = az_suggest(address, addresses, n);
	if (hint)
		az_diag_set_detail(diag, "did you mean %s?", hint);
	else if (n)
		az_diag_set_detail(diag, "an address is Kind/metadata.name of a manifest, e.g. %s",
				   addresses[0]);
	free(addresses);
}

static bool *targeted(const az_stack *st, const az_plan_options *o, az_diags *d)
{
	if (!o || !o->targets_len)
		return NULL;
	bool *wanted = az_xcalloc(st->len ? st->len : 1, sizeof(bool));
	for (size_t t = 0; t < o->targets_len; t++) {
		const az_resource *r = az_stack_find(st, o->targets[t]);
		if (!r) {
			report_unknown_address(st, o, o->targets[t], d);
			continue;
		}
		mark_targets(st, (size_t)(r - st->resources), wanted);
	}
	return wanted;
}

/* metadata.existing: read for ${ref...}, never written, marked, adopted
 * or deleted. Missing, it fails the plan: a reference to it can never be
 * resolved, and creating it is what the flag says not to do. */
static void plan_existing(az_instance *inst, az_plan_item *it, size_t i, az_diags *d)
{
	az_node *n = &inst->nodes[i];
	const az_resource *r = n->res;
	it->action = AZ_ACTION_READ;
	it->existing = true;
	it->reason = az_xstrdup("metadata.existing: read, never written");
	if (n->live || !n->id)
		return;
	az_diag *dg = az_diag_add(d, AZ_SEV_ERROR, &it->pos, r->address,
				  "%s is declared existing, but Azure has no %s", r->address, n->id);
	az_diag_set_detail(dg, "create it outside azapply, or correct the spec fields that name "
			       "it; remove metadata.existing for azapply to create and own it");
}

/* A resource the refresh could not read because its workspace's data plane
 * refused this address until the firewall rule this plan creates lets it
 * in, or one that depends on such a resource: planned as "defer", so that
 * nothing the plan did not read is created again, changed or pruned. The
 * next plan, once the rule is there, reads and plans it. Sets
 * deferred[i]. */
static bool plan_deferred(az_instance *inst, az_plan *plan, size_t i, bool *deferred)
{
	az_node *n = &inst->nodes[i];
	const az_resource *r = n->res;
	const char *rule = NULL;
	const char *after = NULL;
	if (!az_refresh_closed(inst, n, &rule)) {
		for (size_t j = 0; j < r->deps_len && !after; j++)
			if (deferred[r->deps[j]])
				after = inst->stack->resources[r->deps[j]].address;
		if (!after)
			return false;
	}
	deferred[i] = true;
	az_plan_item *it = az_plan_add(plan, r->address, r->kind, AZ_ACTION_DEFER);
	it->resource = i;
	it->id = n->id ? az_xstrdup(n->id) : NULL;
	it->pos = *az_srcmap_get(r->manifest->map, "/metadata/name");
	it->reason = rule ? az_xasprintf("its workspace's data plane refuses this address until "
					 "%s, which this plan creates, lets it in",
					 rule)
			  : az_xasprintf("it depends on %s, which is not read yet", after);
	return true;
}

/* The address of the parent whose live routes name `n` (the online
 * endpoint whose traffic names this deployment, at any share), or NULL.
 * Azure refuses to delete a child its parent routes to, so a replacement
 * of one would stop between its delete and its create. */
static const char *routed_by_parent(az_instance *inst, az_node *n)
{
	const az_kind *k = n->res->kind;
	const az_kind *pk = k->parent_kind ? az_kind_find(k->parent_kind) : NULL;
	if (!pk || !pk->routes_to || strcmp(pk->routes_to, k->name) != 0 || !n->res->azure_name)
		return NULL;
	const char *p = json_string_value(
		json_object_get(json_object_get(n->res->manifest->body, "spec"), k->parent_field));
	az_node *pn = p ? az_instance_node(inst, n, k->parent_kind, p) : NULL;
	const json_t *routes = pn ? az_json_at(pn->live, pk->routes_path) : NULL;
	const char *name;
	json_t *share;
	json_object_foreach((json_t *)(uintptr_t)routes, name, share) {
		if (strcasecmp(name, n->res->azure_name) == 0)
			return pn->res->address;
	}
	return NULL;
}

/* One note per workspace the plan could not read: what it means for the
 * run after this one, and that nothing there is pruned meanwhile. */
static void note_closed(az_instance *inst, const az_plan *plan, az_diags *d)
{
	const char *ws;
	json_t *rule;
	json_object_foreach(inst->closed, ws, rule) {
		const char *name = strrchr(ws, '/');
		size_t n = 0, len = strlen(ws);
		for (size_t i = 0; i < plan->len; i++)
			if (plan->items[i].action == AZ_ACTION_DEFER && plan->items[i].id &&
			    strncasecmp(plan->items[i].id, ws, len) == 0)
				n++;
		az_diag *x = az_diag_add(d, AZ_SEV_WARNING, NULL, json_string_value(rule),
					 "workspace '%s' refuses this address until %s is created: "
					 "%zu resource%s in it not read, so not planned",
					 name ? name + 1 : ws, json_string_value(rule), n,
					 n == 1 ? "" : "s");
		az_diag_set_detail(x, "a run stopped between the workspace and its firewall rule. "
				      "This apply creates the rule and leaves the workspace's "
				      "artifacts, role assignments and pruning alone; run apply "
				      "again afterwards to plan them (the new rule may take a few "
				      "minutes to let this address in; azapply waits for it)");
	}
}

static void plan_node(az_instance *inst, az_plan *plan, size_t i, az_diags *d)
{
	az_node *n = &inst->nodes[i];
	const az_resource *r = n->res;
	const az_kind *k = r->kind;
	if (n->state == AZ_NODE_PENDING)
		az_refresh_match(inst, n);
	az_plan_item *it = az_plan_add(plan, r->address, k, AZ_ACTION_NOOP);
	it->resource = i;
	it->id = n->id ? az_xstrdup(n->id) : NULL;
	it->pos = *az_srcmap_get(r->manifest->map, "/metadata/name");
	it->live = n->live ? json_incref(n->live) : NULL;
	if (r->existing) {
		plan_existing(inst, it, i, d);
		return;
	}
	json_decref(n->desired);
	n->desired = az_desired(inst, i, d);
	az_marker_info_free(&n->marker);
	if (n->live)
		az_marker_read(&n->marker, k, n->live);

	const char *etag = json_string_value(json_object_get(n->live, "etag"));
	it->etag = etag ? az_xstrdup(etag) : NULL;

	json_t *ignore = json_object_get(json_object_get(json_object_get(r->manifest->body, "metadata"),
							 "lifecycle"),
					 "ignoreChanges");
	json_t *sensitive = body_sensitive_pointers(r);
	char *fingerprint = az_fingerprint(k, n->desired);
	bool prevent_destroy = lifecycle_flag(r, "preventDestroy");
	char *secrets = NULL;

	if (!n->live) {
		it->action = plan->refresh_only ? AZ_ACTION_READ : AZ_ACTION_CREATE;
		n->will_change = true;
		az_diff_options opts = {.sensitive_pointers = sensitive};
		az_diff_compute(&it->diff, k, n->desired, NULL, &opts);
		secrets = az_secrets_hash(k, n->desired);
		/* Said for the reader: apply orders it by the kind (apply.c). */
		if (k->routes_path && json_object_size(az_json_at(n->desired, k->routes_path)))
			it->reason = az_xasprintf("created without %s, which is sent once the "
						  "%s it names exist", k->routes_path, k->routes_to);
	} else if (az_marker_ownership(&n->marker, &inst->name) == AZ_OWNED_OTHER) {
		az_marker_info self = {
			.present = true,
			.stack = (char *)(uintptr_t)inst->name.stack,
			.env = (char *)(uintptr_t)inst->name.env,
			.subscription = n->marker.subscription ? (char *)(uintptr_t)inst->name.subscription : NULL,
		};
		char *theirs = az_marker_instance(&n->marker);
		char *ours = az_marker_instance(&self);
		it->refused = az_xasprintf("%s is owned by stack instance '%s', not '%s'; azapply "
					   "will not change it",
					   r->address, theirs, ours);
		free(ours);
		free(theirs);
		it->action = AZ_ACTION_UPDATE;
	} else {
		json_t *live = az_marker_stripped(k, n->live);
		json_t *unchanged = json_array();
		if (n->marker.secrets && az_secrets_match(k, n->desired, n->marker.secrets)) {
			for (const char *const *p = k->secret_paths; p && *p; p++)
				json_array_append_new(unchanged, json_string(*p));
			json_array_append_new(unchanged, json_string(AZ_SECURE_STRINGS));
			secrets = az_xstrdup(n->marker.secrets);
		} else {
			secrets = az_secrets_hash(k, n->desired);
		}
		az_diff_options opts = {
			.ignore_paths = ignore,
			.sensitive_pointers = sensitive,
			.secrets_unchanged = unchanged,
			.report_removed = n->marker.present && n->marker.fingerprint &&
					  strcmp(n->marker.fingerprint, fingerprint) != 0,
			.set_before = n->marker.paths,
		};
		az_diff_compute(&it->diff, k, n->desired, live, &opts);
		it->manifest_changed = opts.report_removed;
		json_decref(unchanged);
		json_decref(live);
		it->adopt = !n->marker.present && k->marker != AZ_MARKER_NONE;
		if (n->marker.present && n->marker.prevent_destroy != prevent_destroy)
			add_marker_change(it, "lifecycle.preventDestroy",
					  prevent_destroy ? NULL : json_true(),
					  prevent_destroy ? json_true() : NULL);
		/* A marker from before instances had an identity is migrated,
		 * never pruned: it gains this environment. */
		if (n->marker.present && !n->marker.env)
			add_marker_change(it, "environment", NULL, json_string(inst->name.env));
		if (n->marker.present && (!n->marker.address || strcmp(n->marker.address, r->address) != 0))
			add_marker_change(it, "address", string_or_null(n->marker.address),
					  json_string(r->address));
		const az_change *why = az_diff_replace_reason(&it->diff);
		const char *routed_by = why ? routed_by_parent(inst, n) : NULL;
		if (plan->refresh_only) {
			it->action = AZ_ACTION_READ;
		} else if (why) {
			it->action = AZ_ACTION_REPLACE;
			n->will_change = true;
			it->reason = az_xasprintf("%s cannot change in place: it forces replacement",
						  why->path);
			if (k->stateful && !lifecycle_flag(r, "allowReplace"))
				it->refused = az_xasprintf(
					"replacing %s deletes it and everything in it; %s forces the "
					"replacement. Set metadata.lifecycle.allowReplace: true to allow it, "
					"or revert the change",
					r->address, why->path);
			if (lifecycle_flag(r, "preventDestroy") && !it->refused)
				it->refused = az_xasprintf("%s has lifecycle.preventDestroy: a replacement "
							   "would delete it", r->address);
			if (routed_by && !it->refused)
				it->refused = az_xasprintf(
					"replacing %s deletes it, and Azure refuses to delete it while "
					"%s's traffic names it; %s forces the replacement. Deploy the "
					"change under another name, move the traffic to it, then remove "
					"this one", r->address, routed_by, why->path);
		} else if (it->diff.len || it->adopt) {
			it->action = AZ_ACTION_UPDATE;
		} else if (provisioning_failed(n->live)) {
			/* The body matches, but Azure never finished it (the
			 * operation ended Failed or Canceled): a PUT of the same
			 * body is how ARM provisions it again. */
			it->action = AZ_ACTION_UPDATE;
			it->reason = az_xasprintf("its last provisioning ended %s; it is written "
						  "again", provisioning_state(n->live));
		}
	}

	if (it->action != AZ_ACTION_NOOP && it->action != AZ_ACTION_READ) {
		char *paths = az_paths_digest(n->desired);
		az_marker_info m = {
			.present = true,
			.stack = (char *)(uintptr_t)inst->name.stack,
			.env = (char *)(uintptr_t)inst->name.env,
			.subscription = (char *)(uintptr_t)inst->name.subscription,
			.address = (char *)(uintptr_t)r->address,
			.fingerprint = fingerprint,
			.secrets = secrets,
			.prevent_destroy = prevent_destroy,
			.paths = paths,
		};
		it->desired = json_deep_copy(n->desired);
		az_marker_write(k, it->desired, &m);
		free(paths);
	}
	free(secrets);
	free(fingerprint);
	json_decref(sensitive);
}

/* Resource group contents: deleting a group deletes everything in it, so
 * it is refused while it holds anything this stack does not own. */
typedef struct rg_check {
	int err;
	json_t *items;
	bool done;
} rg_check;

static void rg_listed(void *ud, int err, json_t *items, az_diags *d)
{
	rg_check *c = ud;
	c->err = err;
	c->items = items;
	c->done = true;
	(void)d;
}

/* Whether the plan deletes `id` (then it is not left behind), or with
 * `or_parent` a resource `id` is under other than its group: then it goes
 * with that resource whatever becomes of the group (an ML workspace's own
 * datastores, which Azure made and no stack marks). */
static bool deletes(const az_plan *plan, const char *id, bool or_parent)
{
	for (size_t i = 0; i < plan->len; i++) {
		const az_plan_item *it = &plan->items[i];
		if (it->action != AZ_ACTION_DELETE || !it->id)
			continue;
		size_t n = strlen(it->id);
		if (strncasecmp(it->id, id, n) != 0)
			continue;
		if (id[n] == '\0' ||
		    (or_parent && id[n] == '/' && strcmp(it->kind->name, "ResourceGroup") != 0))
			return true;
	}
	return false;
}

static bool plan_deletes(const az_plan *plan, const char *id)
{
	return deletes(plan, id, false);
}

static char *unmanaged_in_group(az_instance *inst, const az_plan *plan, const char *rg_id)
{
	rg_check c = {0};
	char *collection = az_xasprintf("%s/resources", rg_id);
	az_provider_get(AZ_PROVIDER_ARM)->list(inst->session, az_kind_find("ResourceGroup"), collection,
					       rg_listed, &c);
	az_session_run(inst->session);
	free(collection);
	char *found = NULL;
	size_t i;
	json_t *item;
	json_array_foreach(c.items, i, item) {
		const char *id = json_string_value(json_object_get(item, "id"));
		if (!id || deletes(plan, id, true) ||
		    az_lock_container_is(id, inst->name.stack, inst->name.env))
			continue;
		az_marker_info m;
		az_marker_read(&m, az_kind_find("ResourceGroup"), item); /* tags, as every item here */
		bool ours = az_marker_ownership(&m, &inst->name) == AZ_OWNED_INSTANCE;
		az_marker_info_free(&m);
		if (!ours) {
			found = az_xstrdup(id);
			break;
		}
	}
	if (c.err && c.err != AZ_ENOTFOUND && !found)
		found = az_xstrdup("(its contents could not be listed)");
	json_decref(c.items);
	return found;
}

/* Markers of this stack without an environment that no manifest of this
 * environment declares: said once, left alone. */
static void warn_legacy(az_instance *inst, az_diags *d)
{
	size_t n = json_array_size(inst->legacy);
	if (!n)
		return;
	az_diag *x = az_diag_add(d, AZ_SEV_WARNING, NULL, NULL,
				 "%zu resource%s marked by stack '%s' without an environment (an earlier "
				 "azapply) %s not declared in environment '%s': left alone, never pruned",
				 n, n == 1 ? "" : "s", inst->name.stack, n == 1 ? "is" : "are", inst->name.env);
	az_diag_set_detail(x, "plan and apply the environment that declares %s to re-mark %s; "
			      "first: %s", n == 1 ? "it" : "them", n == 1 ? "it" : "them",
			   json_string_value(json_array_get(inst->legacy, 0)));
}

/* What an ArmResource's diff and ownership cannot know, said once per
 * kind in the plan: a type no shipped REST spec describes compares only
 * the properties its manifests set (no read-only, create-only, secret or
 * default paths); a type without tags carries no marker, so azapply never
 * prunes it when its manifest goes. */
static void note_generic_kinds(az_instance *inst, const bool *wanted, az_diags *d)
{
	json_t *said = json_object();
	for (size_t i = 0; i < inst->len; i++) {
		const az_resource *r = inst->nodes[i].res;
		const az_kind *k = r->kind;
		if (!k || !k->generic || !k->key || (wanted && !wanted[i]) || r->existing ||
		    json_object_get(said, k->key))
			continue;
		json_object_set_new(said, k->key, json_true());
		if (!k->spec_known)
			az_diag_set_detail(
				az_diag_add(d, AZ_SEV_NOTE, az_srcmap_get(r->manifest->map, "/spec/type"),
					    r->address, "no REST spec of %s (%s) ships with azapply: only "
					    "the properties the manifest sets are compared", k->type,
					    k->api_version),
				"a read-only or create-only property set in the manifest shows as a "
				"change Azure may refuse");
		if (k->marker == AZ_MARKER_NONE)
			az_diag_set_detail(
				az_diag_add(d, AZ_SEV_NOTE, az_srcmap_get(r->manifest->map, "/spec/type"),
					    r->address, "%s has no tags to carry the ownership marker: "
					    "declared, never owned, never pruned", k->type),
				"removing %s's manifest leaves it in Azure; destroy deletes it while the "
				"manifest declares it", r->address);
	}
	json_decref(said);
}

static void plan_orphans(az_instance *inst, az_plan *plan, az_diags *d)
{
	(void)d;
	for (size_t i = 0; i < inst->orphans_len; i++) {
		az_node *o = &inst->orphans[i];
		const char *slash = strrchr(o->id, '/');
		char *address = az_xasprintf("%s/%s", o->kind->name, slash ? slash + 1 : o->id);
		az_plan_item *it = az_plan_add(plan, address, o->kind,
					       plan->refresh_only ? AZ_ACTION_READ : AZ_ACTION_DELETE);
		free(address);
		it->resource = inst->len + i;
		it->id = az_xstrdup(o->id);
		it->live = json_incref(o->live);
		it->reason = az_xstrdup("no manifest declares it any more; it carries this stack "
					"instance's marker");
		const az_resource *declared =
			o->marker.address ? az_stack_find(inst->stack, o->marker.address) : NULL;
		if (declared && !lifecycle_flag(declared, "allowReplace"))
			/* The same address now names another Azure resource: the
			 * manifest renamed it, or a second folder with this stack
			 * and environment declares the address differently. Only
			 * the user can tell which. */
			it->refused = az_xasprintf(
				"this stack instance applied it as %s, which now names another Azure "
				"resource: a rename, or a second folder with stack '%s' and environment "
				"'%s'. If you renamed it, set metadata.lifecycle.allowReplace: true on %s "
				"to delete the old one; if it is another folder, give one of the two its "
				"own stack name",
				o->marker.address, inst->name.stack, inst->name.env, o->marker.address);
		else if (o->marker.prevent_destroy)
			it->refused = az_xasprintf(
				"%s has lifecycle.preventDestroy in its marker. To delete it, put its "
				"manifest back without preventDestroy, apply, then remove the manifest",
				it->address);
	}
}

/* prune: all-in-workspace, a SynapseArtifacts manifest's word that its
 * workspace is this stack's alone: every artifact there of a kind Studio's
 * folder holds that no manifest declares and no stack marked is deleted
 * too, each said as such in the plan. One marked by another stack
 * instance is that instance's to delete: left alone, with a warning. */
static void plan_workspace_prune(az_instance *inst, az_plan *plan, az_diags *d)
{
	json_t *owned = json_object(); /* workspace id (lower case) -> SynapseArtifacts address */
	for (size_t i = 0; i < inst->len; i++) {
		const az_manifest *m = inst->nodes[i].res->manifest;
		char *ws = m->prune_workspace && inst->nodes[i].id
				   ? az_identity_workspace_of(inst->nodes[i].id)
				   : NULL;
		if (ws)
			json_object_set_new(owned, ws, json_string(m->studio));
		free(ws);
	}
	size_t i;
	json_t *u;
	json_array_foreach(inst->unmanaged, i, u) {
		const az_kind *k = az_kind_find(json_string_value(json_object_get(u, "kind")));
		const char *id = json_string_value(json_object_get(u, "id"));
		json_t *live = json_object_get(u, "live");
		/* Every workspace has AutoResolveIntegrationRuntime, which Azure
		 * made with it and never lets go: not the folder's to delete. */
		const char *slash_name = id ? strrchr(id, '/') : NULL;
		bool built_in = k && !strcmp(k->name, "IntegrationRuntime") && slash_name &&
				!strcasecmp(slash_name + 1, "AutoResolveIntegrationRuntime");
		/* Nor the managed private endpoints Synapse makes for its own SQL
		 * pools in a managed virtual network: reserved, and Azure's. */
		built_in = built_in || json_is_true(json_object_get(json_object_get(live, "properties"),
								     "isReserved"));
		char *ws = k && !built_in && az_studio_kind_folder(k->name)
				   ? az_identity_workspace_of(id)
				   : NULL;
		const char *studio = ws ? json_string_value(json_object_get(owned, ws)) : NULL;
		free(ws);
		if (!studio || plan_deletes(plan, id))
			continue;
		const char *slash = strrchr(id, '/');
		char *address = az_xasprintf("%s/%s", k->name, slash ? slash + 1 : id);
		az_marker_info mk;
		az_marker_read(&mk, k, live);
		if (az_marker_ownership(&mk, &inst->name) != AZ_OWNED_NONE) {
			az_diag *w = az_diag_add(d, AZ_SEV_WARNING, NULL, address,
						 "%s is not in the folder of %s (prune: all-in-workspace), "
						 "but marked by stack '%s'%s%s: left alone", address, studio,
						 mk.stack ? mk.stack : "?", mk.env ? ", environment " : "",
						 mk.env ? mk.env : "");
			az_diag_set_detail(w, "the stack instance that marked it deletes it, or "
					      "remove its marker to let this one");
			az_marker_info_free(&mk);
			free(address);
			continue;
		}
		size_t orphan = az_refresh_add_orphan(inst, k, id, live, &mk);
		az_plan_item *it = az_plan_add(plan, address,
					       k, plan->refresh_only ? AZ_ACTION_READ : AZ_ACTION_DELETE);
		it->resource = inst->len + orphan;
		it->id = az_xstrdup(id);
		it->live = json_incref(inst->orphans[orphan].live);
		it->reason = az_xasprintf("in the workspace, not in the folder of %s, and never "
					  "marked: prune: all-in-workspace deletes it", studio);
		free(address);
	}
	json_decref(owned);
}

/* Whether the plan deletes the Synapse role assignment `assignment_id` of
 * the workspace `ws_id`: Synapse RBAC lists an assignment by its bare id,
 * the plan names it under its workspace. */
static bool plan_deletes_assignment(const az_plan *plan, const char *ws_id,
				    const char *assignment_id)
{
	char *id = az_xasprintf("%s/roleAssignments/%s", ws_id, assignment_id);
	bool deletes = plan_deletes(plan, id);
	free(id);
	return deletes;
}

/* Synapse artifacts the refresh listed under a workspace that the plan
 * neither deletes nor owns: deleting the workspace would take them along. */
static char *unmanaged_in_workspace(az_instance *inst, const az_plan *plan, const char *ws_id)
{
	size_t n = strlen(ws_id);
	const char *key;
	json_t *items;
	json_object_foreach(inst->lists, key, items) {
		if (strncasecmp(key, ws_id, n) != 0 || key[n] != '/')
			continue;
		const az_kind *k = az_kind_find(json_string_value(json_object_get(inst->list_kinds, key)));
		size_t i;
		json_t *item;
		json_array_foreach(items, i, item) {
			const char *id = json_string_value(json_object_get(item, "id"));
			const char *name = json_string_value(json_object_get(item, "name"));
			if (!k || (id && plan_deletes(plan, id)) ||
			    (id && k->provider == AZ_PROVIDER_SYNAPSE_RBAC &&
			     plan_deletes_assignment(plan, ws_id, id)))
				continue;
			az_marker_info m;
			az_marker_read(&m, k, item);
			bool ours = az_marker_ownership(&m, &inst->name) == AZ_OWNED_INSTANCE;
			az_marker_info_free(&m);
			if (!ours)
				return az_xasprintf("%s '%s'", k->name, name ? name : id ? id : "?");
		}
	}
	return NULL;
}

/* Deleting a resource group or a Synapse workspace deletes everything in
 * it: refused while it holds anything this plan does not delete and this
 * stack does not own. */
static void check_group_deletes(az_instance *inst, az_plan *plan)
{
	for (size_t i = 0; i < plan->len; i++) {
		az_plan_item *it = &plan->items[i];
		if (it->action != AZ_ACTION_DELETE || it->refused || !it->id)
			continue;
		char *other = NULL;
		if (strcmp(it->kind->name, "ResourceGroup") == 0)
			other = unmanaged_in_group(inst, plan, it->id);
		else if (strcmp(it->kind->name, "SynapseWorkspace") == 0)
			other = unmanaged_in_workspace(inst, plan, it->id);
		if (other)
			it->refused = az_xasprintf("deleting %s would delete %s, which this stack "
						   "does not own", it->address, other);
		free(other);
	}
}

/* destroy: every resource the stack declares and owns becomes a delete.
 * Resources that exist without this stack's marker are left alone. */
static void plan_destroy(az_instance *inst, az_plan *plan)
{
	for (size_t i = 0; i < plan->len; i++) {
		az_plan_item *it = &plan->items[i];
		if (it->resource >= inst->len || it->existing)
			continue; /* orphans are deletes already; existing is only read */
		az_node *n = &inst->nodes[it->resource];
		az_diff_clear(&it->diff);
		json_decref(it->desired);
		it->desired = NULL;
		free(it->reason);
		it->reason = NULL;
		az_ownership own = az_marker_ownership(&n->marker, &inst->name);
		bool owned = n->live && own == AZ_OWNED_INSTANCE;
		bool markerless = n->live && n->kind->marker == AZ_MARKER_NONE;
		if (!owned && !markerless) {
			it->action = AZ_ACTION_NOOP;
			it->adopt = false;
			if (!it->refused && n->live)
				it->reason = az_xstrdup(
					own == AZ_OWNED_LEGACY
						? "its marker, from an earlier azapply, names no environment: "
						  "left alone (apply re-marks it; destroy after that)"
						: "not owned by this stack instance: left alone");
			continue;
		}
		free(it->refused);
		it->refused = NULL;
		it->adopt = false;
		it->action = AZ_ACTION_DELETE;
		if (lifecycle_flag(n->res, "preventDestroy") || n->marker.prevent_destroy)
			it->refused = az_xasprintf("%s has lifecycle.preventDestroy; remove the flag and "
						   "apply before destroying it", it->address);
	}
}

static void plan_unmanaged(az_instance *inst, az_plan *plan)
{
	size_t i;
	json_t *u;
	json_array_foreach(inst->unmanaged, i, u) {
		const az_kind *k = az_kind_find(json_string_value(json_object_get(u, "kind")));
		const char *id = json_string_value(json_object_get(u, "id"));
		const char *slash = strrchr(id, '/');
		char *address = az_xasprintf("%s/%s", k->name, slash ? slash + 1 : id);
		az_plan_item *it = az_plan_add(plan, address, k, AZ_ACTION_READ);
		free(address);
		it->resource = (size_t)-1;
		it->id = az_xstrdup(id);
		it->live = json_incref(json_object_get(u, "live"));
		it->unmanaged = true;
		it->reason = az_xstrdup("in a managed scope, but no manifest declares it");
	}
}

/* Planning while the refresh reads. Planning a resource needs its read
 * and the plans of what it depends on (a reference to one that changes is
 * known after apply), nothing else: a no-changes plan of 10,001 resources
 * spent 0.19-0.25 s after the last answer, planning each in turn, while
 * the data planes' answers left the loop waiting for most of its wave. */
typedef struct early_plan {
	az_instance *inst;
	az_plan *plan;
	const size_t *order;
	const bool *wanted;
	bool *planned;
	bool *deferred;
	az_diags diags; /* kept back until the refresh has succeeded */
	size_t next;    /* the place in `order` the next look starts from */
} early_plan;

/* Per call: places looked at, and resources planned, before the loop
 * looks at its sockets again. */
#define EARLY_LOOK 256
#define EARLY_PLANS 16

/* Whether resource i can be planned now. Its dependencies first: a
 * Synapse role assignment's match resolves its principal from them. Then
 * its read: a data-plane resource is matched once its collection is
 * listed whole (az_refresh_match leaves it unread before); one without an
 * id yet waits for the refresh's end (plan_build's loop computes it). */
static bool ready_to_plan(early_plan *e, size_t i)
{
	const az_resource *r = &e->inst->stack->resources[i];
	az_node *n = &e->inst->nodes[i];
	if (e->planned[i] || !r->kind || (e->wanted && !e->wanted[i]) || !n->id)
		return false;
	for (size_t j = 0; j < r->deps_len; j++)
		if (!e->planned[r->deps[j]])
			return false;
	if (n->state == AZ_NODE_PENDING && az_kind_on_workspace_host(r->kind))
		az_refresh_match(e->inst, n);
	return n->state != AZ_NODE_PENDING;
}

static bool plan_while_reading(void *ud)
{
	early_plan *e = ud;
	size_t len = e->inst->stack->len, plans = 0;
	for (size_t looked = 0; looked < EARLY_LOOK && looked < len && plans < EARLY_PLANS;
	     looked++) {
		size_t i = e->order[e->next];
		e->next = (e->next + 1) % len;
		if (!ready_to_plan(e, i))
			continue;
		if (!plan_deferred(e->inst, e->plan, i, e->deferred))
			plan_node(e->inst, e->plan, i, &e->diags);
		e->planned[i] = true;
		e->plan->planned_while_reading++;
		plans++;
	}
	return plans > 0;
}

/* The resources' items in the order of `order`, as the loop of
 * az_plan_stack adds them when it plans one after the other. Each item's
 * place is counted from its resource's place in `order`, then the items
 * are moved there in place, a cycle at a time: a second array of items
 * was 7 MB more at the peak of a 50,001-resource plan. */
static void items_in_order(az_plan *plan, const az_stack *stack, const size_t *order)
{
	size_t n = stack->len ? stack->len : 1;
	size_t *place = az_xcalloc(n, sizeof(*place)); /* resource -> its place among the items */
	bool *has_item = az_xcalloc(n, sizeof(*has_item));
	for (size_t k = 0; k < plan->len; k++)
		has_item[plan->items[k].resource] = true;
	for (size_t k = 0, at = 0; k < stack->len; k++)
		if (has_item[order[k]])
			place[order[k]] = at++;
	size_t *dest = az_xcalloc(plan->len ? plan->len : 1, sizeof(*dest));
	for (size_t k = 0; k < plan->len; k++)
		dest[k] = place[plan->items[k].resource];
	for (size_t k = 0; k < plan->len; k++) {
		while (dest[k] != k) {
			size_t t = dest[k];
			az_plan_item item = plan->items[t];
			plan->items[t] = plan->items[k];
			plan->items[k] = item;
			dest[k] = dest[t];
			dest[t] = t;
		}
	}
	free(dest);
	free(has_item);
	free(place);
}

int az_plan_stack(az_plan *out, az_stack *stack, az_session *session, const az_plan_options *o,
		  az_diags *d)
{
	memset(out, 0, sizeof(*out));
	/* An item per resource and a few more (orphans, unmanaged): grown by
	 * doubling from 16, 50,001 items took room for 65,536. */
	out->cap = stack->len + 16;
	out->items = az_xmalloc(out->cap * sizeof(*out->items));
	size_t errors_before = az_diags_errors(d);
	az_instance *inst = az_xcalloc(1, sizeof(*inst));
	out->instance = inst;
	out->refresh_only = o && (o->refresh_only || o->include_unmanaged);
	out->destroy = o && o->destroy;
	out->environment = stack->env ? az_xstrdup(stack->env) : NULL;
	out->component_sources = stack->set ? json_incref(stack->set->pins) : NULL;
	if (az_instance_init(inst, stack, session, d) != 0)
		return AZ_EINVALID;
	out->stack = az_xstrdup(inst->name.stack);
	size_t *order = NULL;
	if (az_stack_order(stack, &order) != 0)
		return AZ_EINVALID;
	bool *wanted = targeted(stack, o, d);
	bool *deferred = az_xcalloc(stack->len ? stack->len : 1, sizeof(*deferred));
	az_identity_compute_all(inst, d);
	int rc = az_diags_errors(d) > errors_before ? AZ_EINVALID : 0;
	az_refresh_options ro = {
		.prune = !wanted,
		.creates = !out->refresh_only && !out->destroy,
		.wanted = wanted,
	};
	bool *planned = az_xcalloc(stack->len ? stack->len : 1, sizeof(*planned));
	early_plan early = {.inst = inst, .plan = out, .order = order, .wanted = wanted,
			    .planned = planned, .deferred = deferred, .diags = AZ_DIAGS_INIT};
	if (rc == 0 && session && stack->len)
		az_session_set_idle_work(session, plan_while_reading, &early);
	if (rc == 0)
		rc = az_refresh(inst, &ro, d);
	if (session)
		az_session_set_idle_work(session, NULL, NULL);
	if (rc == 0) {
		az_diags_move(d, &early.diags);
		for (size_t k = 0; k < stack->len; k++) {
			size_t i = order[k];
			if (planned[i] || !stack->resources[i].kind || (wanted && !wanted[i]))
				continue;
			/* An id that names what the refresh read in its last
			 * wave (a role assignment's principal) is known now,
			 * deferred or not. */
			if (!inst->nodes[i].id)
				az_identity_compute(inst, i, d);
			if (!plan_deferred(inst, out, i, deferred))
				plan_node(inst, out, i, d);
		}
		items_in_order(out, stack, order);
		note_closed(inst, out, d);
		note_generic_kinds(inst, wanted, d);
		if (!wanted) {
			az_refresh_find_orphans(inst);
			plan_orphans(inst, out, d);
			if (!(o && o->destroy))
				plan_workspace_prune(inst, out, d);
			warn_legacy(inst, d);
		}
		if (o && o->destroy)
			plan_destroy(inst, out);
		if (o && o->include_unmanaged)
			plan_unmanaged(inst, out);
		if (!out->refresh_only)
			check_group_deletes(inst, out);
	}
	az_diags_clear(&early.diags);
	free(planned);
	free(wanted);
	free(deferred);
	free(order);
	if (rc == 0 && az_diags_errors(d) > errors_before)
		rc = AZ_EINVALID;
	return rc;
}
