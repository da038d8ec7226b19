/*
 * refresh.c - reading a stack instance's live state: list waves, reads by
 * id, matching each resource to its live item, and finding orphans (this
 * instance's marker, no manifest) among everything listed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <azapply/lock.h>

#include "identity.h"
#include "refresh.h"
#include "resolve.h"
#include "roles.h"

/* The key of `workspaces` (workspace ids in lower case) that holds `id`,
 * or NULL. */
static const char *workspace_holding(json_t *workspaces, const char *id)
{
	const char *key;
	json_t *value;
	json_object_foreach(workspaces, key, value) {
		size_t n = strlen(key);
		if (id && strncasecmp(id, key, n) == 0 && (id[n] == '/' || id[n] == '\0'))
			return key;
	}
	return NULL;
}

/* Where a data-plane resource lives: its id, or while that is not known
 * yet, the collection that lists it (a Synapse role assignment's id names
 * its principal, which the data-plane wave itself may read). Both begin
 * with its workspace's id. */
static const char *data_plane_path(const az_node *n)
{
	return n->id ? n->id : n->collection;
}

/* The workspace key of inst->unopened that holds `id`, or NULL. */
static const char *unopened_workspace(const az_instance *inst, const char *id)
{
	return workspace_holding(inst->unopened, id);
}

/* The Synapse data plane's firewall refused this address (403
 * ClientIpAddressNotAuthorized). */
static bool refused_by_firewall(const az_diags *pd)
{
	for (size_t i = 0; pd && i < pd->len; i++) {
		const az_diag *x = &pd->items[i];
		if (x->http_status == 403 && x->code &&
		    strcmp(x->code, "ClientIpAddressNotAuthorized") == 0)
			return true;
	}
	return false;
}

/* A refusal this plan expected: the data plane of a workspace whose
 * firewall rule it is about to create answered 403
 * ClientIpAddressNotAuthorized. The workspace is recorded as closed and
 * its failure is no error: what lives there is planned as not read yet,
 * never as absent (nothing there is created again or pruned). */
static bool closed_until_opened(az_instance *inst, const char *id, int err, const az_diags *pd)
{
	const char *ws = err ? unopened_workspace(inst, id) : NULL;
	if (!ws || !refused_by_firewall(pd))
		return false;
	json_object_set(inst->closed, ws, json_object_get(inst->unopened, ws));
	return true;
}

/* A refusal that costs nothing: the firewall of a workspace whose data
 * plane holds nothing the plan declares refused the list that only looks
 * for what to prune there. Nothing is pruned there (the list stays null,
 * not empty), and one warning per workspace says so; the plan goes on, so
 * a stack that manages a workspace but none of its artifacts is not held
 * up by a firewall that does not admit its runner. */
static bool refused_prune_only(az_instance *inst, const char *key, int err, const az_diags *pd,
			       az_diags *d)
{
	if (!err || !refused_by_firewall(pd))
		return false;
	const char *ws = workspace_holding(inst->prune_only, key);
	if (!ws)
		return false;
	json_t *index = json_object_get(inst->prune_only, ws);
	if (json_is_integer(index)) {
		const az_resource *r = inst->nodes[json_integer_value(index)].res;
		az_diag *x = az_diag_add(
		    d, AZ_SEV_WARNING, az_srcmap_get(r->manifest->map, "/metadata/name"), r->address,
		    "%s: its data plane refuses this address, so artifacts this stack left there "
		    "are not looked for, and none is pruned",
		    r->address);
		az_diag_set_detail(x, "declare a SynapseFirewallRule that admits this address for "
				      "azapply to prune them");
		json_object_set_new(inst->prune_only, ws, json_true()); /* said once */
	}
	return true;
}

/* Whether the firewall refusal in `pd` of a list under a workspace
 * (`key`, a collection id in lower case) was already reported for that
 * workspace; the first one is, from then on. */
static bool refusal_said_before(az_instance *inst, const char *key, const az_diags *pd)
{
	static const char marker[] = "/providers/microsoft.synapse/workspaces/";
	const char *at = strstr(key, marker);
	if (!at || !refused_by_firewall(pd))
		return false;
	const char *end = strchr(at + sizeof(marker) - 1, '/');
	char *ws = end ? az_xstrndup(key, (size_t)(end - key)) : az_xstrdup(key);
	bool said = json_object_get(inst->refusals_said, ws) != NULL;
	json_object_set_new(inst->refusals_said, ws, json_true());
	free(ws);
	return said;
}

static bool is_workspace_kind(const char *kind_name)
{
	return kind_name && strcmp(kind_name, "SynapseWorkspace") == 0;
}

static bool is_firewall_rule_kind(const char *kind_name)
{
	return kind_name && strcmp(kind_name, "SynapseFirewallRule") == 0;
}

/* What a request of the refresh holds back until it answers. The data
 * planes' wave consults the workspaces and their firewall rules only, so
 * a workspace's lists go out once those are read (az_data_plane_wave),
 * while the rest of Resource Manager's wave (Spark pools, storage, role
 * assignments) is still answering: it waited for all of it, 100 lists of
 * Spark pools of a 10k plan among them. What needs the whole first wave
 * (reads whose id another resource's live body gives, the lists under
 * storage accounts) waits for it. The stack-wide list and the data planes' requests hold nothing
 * back: az_session_run waits for them. */
typedef enum holds {
	HOLDS_NOTHING,
	HOLDS_FIRST_WAVE,  /* counted in inst->awaited */
	HOLDS_DATA_PLANES, /* counted in inst->awaited and inst->awaited_by_data_planes */
} holds;

/* Whether the data planes' wave consults the nodes of this kind. */
static bool data_planes_consult(const char *kind_name)
{
	return is_workspace_kind(kind_name) || is_firewall_rule_kind(kind_name);
}

/* What a request for `kind_name` ("*": the stack-wide list) holds back,
 * sent in Resource Manager's wave or not. */
static holds holds_of(const char *kind_name, bool first_wave)
{
	if (!first_wave || strcmp(kind_name, "*") == 0)
		return HOLDS_NOTHING;
	return data_planes_consult(kind_name) ? HOLDS_DATA_PLANES : HOLDS_FIRST_WAVE;
}

/* The data planes' wave goes workspace by workspace: a workspace's lists
 * go out once the workspaces are read and its own firewall rules are,
 * while the rules of others still answer. Waiting for every workspace's
 * rules (100 lists, more than Resource Manager's share of the requests in
 * flight) held every data plane back by a round trip or two. */
typedef struct az_data_plane_wave az_data_plane_wave;

#define NO_NODE SIZE_MAX

/* A firewall rule to match, or a data-plane resource to read, in the order
 * the wave takes them: workspace by workspace (those named by id last),
 * a workspace's rules first, then its reads kind by kind, in the order of
 * the manifests within a kind. */
typedef struct wave_entry {
	size_t workspace; /* its workspace's node, or NO_NODE */
	bool read;        /* false: a firewall rule */
	size_t kind_rank, node;
} wave_entry;

struct az_data_plane_wave {
	size_t workspaces_awaited; /* requests reading workspaces, unanswered */
	json_t *index_of;          /* workspace id (lower case) -> its node's index */
	size_t *awaited_of;        /* per workspace node: requests for its rules, unanswered */
	bool *started;             /* per workspace node: its lists are out */
	bool armed;                /* the workspaces are read: a ready one may start */
	wave_entry *entries;       /* sorted as above, from arm_data_plane_wave */
	size_t len;
	size_t *first_of; /* per workspace node: its first entry, len when none */
	/* Workspace ids (lower case) whose data plane holds a declared
	 * resource: the others are listed only to prune (note_prune_only). */
	json_t *declaring;
	const az_refresh_options *o;
	az_diags *d;
	int *errors;
};

/* The workspace node whose firewall rules a request at `path` reads, or
 * NO_NODE (a workspace of no manifest: the wave waits for it whole). */
static size_t rules_workspace(const az_instance *inst, const char *kind_name, const char *path)
{
	if (!inst->wave || !is_firewall_rule_kind(kind_name) || !path)
		return NO_NODE;
	char *ws = az_identity_workspace_of(path);
	json_t *at = ws ? json_object_get(inst->wave->index_of, ws) : NULL;
	free(ws);
	return at ? (size_t)json_integer_value(at) : NO_NODE;
}

static void start_workspace(az_instance *inst, size_t w);

static void hold(az_instance *inst, holds h, const char *kind_name, size_t rules_of)
{
	inst->awaited += h != HOLDS_NOTHING;
	inst->awaited_by_data_planes += h == HOLDS_DATA_PLANES;
	if (h != HOLDS_DATA_PLANES || !inst->wave)
		return;
	if (is_workspace_kind(kind_name))
		inst->wave->workspaces_awaited++;
	else if (rules_of != NO_NODE)
		inst->wave->awaited_of[rules_of]++;
}

static void release(az_instance *inst, holds h, const char *kind_name, size_t rules_of)
{
	inst->awaited -= h != HOLDS_NOTHING;
	inst->awaited_by_data_planes -= h == HOLDS_DATA_PLANES;
	az_data_plane_wave *wave = inst->wave;
	if (h != HOLDS_DATA_PLANES || !wave)
		return;
	if (is_workspace_kind(kind_name))
		wave->workspaces_awaited--;
	else if (rules_of != NO_NODE && --wave->awaited_of[rules_of] == 0 && wave->armed)
		start_workspace(inst, rules_of);
}

typedef struct pending_list {
	az_instance *inst;
	char *key;
	az_diags *d;
	int *errors;
	holds holds;
	const char *kind_name; /* static: a kind's name or "*" */
	size_t rules_of;       /* rules_workspace */
} pending_list;

static void list_done(void *ud, int err, json_t *live, az_diags *pd)
{
	pending_list *pl = ud;
	if (closed_until_opened(pl->inst, pl->key, err, pd) ||
	    refused_prune_only(pl->inst, pl->key, err, pd, pl->d)) {
		/* Stays null: neither listed nor empty. */
	} else if (err == AZ_ENOTFOUND || (err == 0 && !live)) {
		/* The parent does not exist yet: nothing under it either. */
		json_object_set_new(pl->inst->lists, pl->key, json_array());
	} else if (err) {
		(*pl->errors)++;
		if (pd && !refusal_said_before(pl->inst, pl->key, pd))
			az_diags_move(pl->d, pd);
	} else {
		json_object_set_new(pl->inst->lists, pl->key, live);
		live = NULL;
	}
	json_decref(live);
	release(pl->inst, pl->holds, pl->kind_name, pl->rules_of);
	free(pl->key);
	free(pl);
}

typedef struct pending_read {
	az_instance *inst;
	az_node *n;
	az_diags *d;
	int *errors;
	holds holds;
	size_t rules_of; /* rules_workspace */
} pending_read;

static void read_done(void *ud, int err, json_t *live, az_diags *pd)
{
	pending_read *pr = ud;
	if (closed_until_opened(pr->inst, pr->n->id, err, pd)) {
		/* Stays pending: not read. */
	} else if (err && err != AZ_ENOTFOUND) {
		(*pr->errors)++;
		if (pd)
			az_diags_move(pr->d, pd);
	} else {
		pr->n->live = live;
		pr->n->state = live ? AZ_NODE_PRESENT : AZ_NODE_ABSENT;
		live = NULL;
	}
	json_decref(live);
	release(pr->inst, pr->holds, pr->n->res->kind->name, pr->rules_of);
	free(pr);
}

/* Whether the node's parent workspace exists, so its data plane answers. */
static bool workspace_exists(az_instance *inst, az_node *n)
{
	json_t *spec = json_object_get(n->res->manifest->body, "spec");
	const char *ws = az_resolved_str(spec, "workspace");
	if (!ws)
		return false;
	if (ws[0] == '/')
		return true;
	az_node *pn = az_instance_node(inst, n, "SynapseWorkspace", ws);
	return pn && pn->state == AZ_NODE_PRESENT;
}

/* The same grant under another name. Azure refuses a second assignment of
 * one role to one principal at one scope (409 RoleAssignmentExists), so
 * an existing one, made by hand or by another tool, is the resource the
 * manifest describes: plan adopts it instead of planning a create that
 * cannot succeed. */
static bool match_grant(az_instance *inst, az_node *n, json_t *items)
{
	const az_kind *k = n->kind;
	bool arm = strcmp(k->name, "RoleAssignment") == 0;
	if (!arm && strcmp(k->name, "SynapseRoleAssignment") != 0)
		return false;
	json_t *spec = az_resolve(inst, json_object_get(n->res->manifest->body, "spec"));
	const char *role = az_resolved_str(spec, "role"), *principal = az_resolved_str(spec, "principalId");
	const char *scope = az_resolved_str(spec, "scope");
	char *definition = arm ? az_arm_role_definition(role, inst->name.subscription) : NULL;
	const char *want = arm ? (definition ? az_role_definition_guid(definition) : NULL)
			       : az_synapse_role_guid(role);
	bool found = false;
	size_t i;
	json_t *item;
	json_array_foreach(items, i, item) {
		if (!want || !principal || (arm && !scope))
			break;
		const json_t *props = arm ? json_object_get(item, "properties") : item;
		const char *r = json_string_value(json_object_get(props, "roleId"));
		if (!r)
			r = json_string_value(json_object_get(props, "roleDefinitionId"));
		const char *p = json_string_value(json_object_get(props, "principalId"));
		const char *at = json_string_value(json_object_get(props, "scope"));
		const char *id = json_string_value(json_object_get(item, "id"));
		if (!r || !p || !id || strcasecmp(az_role_definition_guid(r), want) != 0 || strcasecmp(p, principal) != 0)
			continue;
		/* Listing at a scope also returns what is inherited from above. */
		if (arm && (!at || strcasecmp(at, scope) != 0))
			continue;
		/* ARM lists full ids; Synapse RBAC lists the assignment's GUID,
		 * which replaces the derived one under the workspace. */
		char *adopted;
		if (arm)
			adopted = az_xstrdup(id);
		else if (n->id && strrchr(n->id, '/'))
			adopted = az_xasprintf("%.*s/%s", (int)(strrchr(n->id, '/') - n->id), n->id, id);
		else
			continue;
		free(n->id);
		n->id = adopted;
		n->live = json_deep_copy(item);
		n->state = AZ_NODE_PRESENT;
		found = true;
		break;
	}
	free(definition);
	json_decref(spec);
	return found;
}

void az_refresh_match(az_instance *inst, az_node *n)
{
	if (n->state != AZ_NODE_PENDING || !n->collection)
		return;
	char *key = az_lowercase(n->collection);
	json_t *items = json_object_get(inst->lists, key);
	free(key);
	/* Not listed (null: a closed workspace, or a failed list) is not an
	 * empty list: the node stays unread. */
	if (!json_is_array(items))
		return;
	const az_kind *k = n->res->kind;
	bool by_name = k->provider == AZ_PROVIDER_SYNAPSE;
	size_t i;
	json_t *item;
	json_array_foreach(items, i, item) {
		const char *id = json_string_value(json_object_get(item, "id"));
		const char *name = json_string_value(json_object_get(item, "name"));
		bool hit = by_name ? (name && n->res->azure_name &&
				      strcasecmp(name, n->res->azure_name) == 0)
				   : (id && n->id && strcasecmp(id, n->id) == 0);
		if (!hit && k->provider == AZ_PROVIDER_SYNAPSE_RBAC && n->id) {
			const char *slash = strrchr(n->id, '/');
			hit = id && slash && strcasecmp(id, slash + 1) == 0;
		}
		if (hit) {
			/* Shared with the list: whoever changes a live body
			 * copies it first (the diff, the marker, the delete
			 * order). */
			n->live = json_incref(item);
			n->state = AZ_NODE_PRESENT;
			return;
		}
	}
	if (match_grant(inst, n, items))
		return;
	if (n->id)
		n->state = AZ_NODE_ABSENT;
}

/* Lists `collection` once per refresh, remembering which kind it holds. */
static void list_once(az_instance *inst, const az_kind *k, const char *kind_name, const char *collection,
		      bool first_wave, az_diags *d, int *errors)
{
	char *key = az_lowercase(collection);
	if (json_object_get(inst->lists, key)) {
		free(key);
		return;
	}
	/* Reserve the key so the collection is listed once. */
	json_object_set_new(inst->lists, key, json_null());
	json_object_set_new(inst->list_kinds, key, json_string(kind_name));
	pending_list *pl = az_xcalloc(1, sizeof(*pl));
	/* The stack-wide list of what carries the stack's tag finds only
	 * orphans, which nothing reads before the plan is drawn: the data
	 * planes' wave does not wait for its pages, one after another. */
	*pl = (pending_list){inst, key, d, errors, holds_of(kind_name, first_wave), kind_name,
			     rules_workspace(inst, kind_name, collection)};
	hold(inst, pl->holds, pl->kind_name, pl->rules_of);
	az_provider_get(k->provider)->list(inst->session, k, collection, list_done, pl);
}

/* How many workspaces' data planes are read side by side: as many as the
 * session has requests in flight. Each Synapse workspace is a host of its
 * own: the lists of that many workspaces at a time, kind by kind, follow
 * each other on one kept-alive connection per host, where all workspaces
 * kind by kind asked each host again only after every other one (a plan of
 * 500 workspaces opened 4,517 connections, a TLS handshake each), and
 * fewer workspaces than requests in flight opened several connections per
 * host at the same moment (a fixed 16 with 64 in flight: 521 connections
 * for 100 workspaces). */
static size_t hosts_at_once(const az_instance *inst)
{
	int n = az_session_max_in_flight(inst->session);
	return n > 0 ? (size_t)n : 1;
}

/* How many of the stack's workspaces exist. */
static size_t workspaces_present(const az_instance *inst)
{
	size_t n = 0;
	for (size_t i = 0; i < inst->len; i++) {
		const az_node *ws = &inst->nodes[i];
		n += ws->kind && is_workspace_kind(ws->kind->name) && ws->state == AZ_NODE_PRESENT &&
		     ws->id;
	}
	return n;
}

/* What only pruning needs: resources this stack marked that no manifest
 * declares any more. ARM ones come from one tag-filtered list of the
 * subscription and the resource group list; Synapse artifacts from the
 * artifact collections of every workspace of the stack that exists. */
static void request_prune_lists(az_instance *inst, bool synapse_wave, az_diags *d, int *errors)
{
	const az_kind *rg = az_kind_find("ResourceGroup");
	if (!synapse_wave) {
		/* The stack-wide list first: its pages are a chain, the
		 * longest path of the wave, and the first request to a host
		 * opens its connection alone (the others wait for its TLS
		 * session), so the chain starts on it. */
		char *c = az_xasprintf("/subscriptions/%s/resources?$filter=tagName eq 'azapply-stack' and "
				       "tagValue eq '%s'", inst->name.subscription, inst->name.stack);
		list_once(inst, rg, "*", c, true, d, errors);
		free(c);
		c = az_xasprintf("/subscriptions/%s/resourcegroups", inst->name.subscription);
		list_once(inst, rg, rg->name, c, true, d, errors);
		free(c);
		/* Role assignments keep their marker in the description, out of
		 * reach of the tag filter: one list of the whole subscription
		 * (without atScope(), Azure includes those on resources). */
		const az_kind *ra = az_kind_find("RoleAssignment");
		c = az_xasprintf("/subscriptions/%s/providers/Microsoft.Authorization/roleAssignments",
				 inst->name.subscription);
		list_once(inst, ra, ra->name, c, true, d, errors);
		free(c);
		return;
	}
	size_t count;
	const az_kind *const *kinds = az_kinds(&count);
	for (size_t k = 0; k < count; k++) {
		/* Containers keep their marker in their metadata, ML datastores
		 * in their properties' tags: out of reach of the tag filter. List
		 * those under the stack's storage accounts and ML workspaces. */
		if (kinds[k]->provider != AZ_PROVIDER_ARM || !kinds[k]->parent_kind ||
		    (kinds[k]->marker != AZ_MARKER_METADATA &&
		     kinds[k]->marker != AZ_MARKER_PROPERTY_TAGS))
			continue;
		for (size_t i = 0; i < inst->len; i++) {
			az_node *n = &inst->nodes[i];
			if (!n->kind || strcmp(n->kind->name, kinds[k]->parent_kind) != 0 ||
			    n->state != AZ_NODE_PRESENT || !n->id)
				continue;
			char *c = az_identity_collection_under(kinds[k], n->id);
			list_once(inst, kinds[k], kinds[k]->name, c, false, d, errors);
			free(c);
		}
	}
}

/* The lists that find what this stack marked in workspaces[from..to) and
 * no manifest declares any more: each artifact collection with a marker,
 * kind by kind. */
static void request_orphan_lists(az_instance *inst, const size_t *workspaces, size_t from,
				 size_t to, az_diags *d, int *errors)
{
	size_t count;
	const az_kind *const *kinds = az_kinds(&count);
	for (size_t k = 0; k < count; k++) {
		/* A kind without a marker has no orphan to find: it is listed
		 * for the ones declared (a managed private endpoint's collection
		 * exists only in a workspace with a managed virtual network). */
		if (kinds[k]->provider != AZ_PROVIDER_SYNAPSE || kinds[k]->marker == AZ_MARKER_NONE)
			continue;
		for (size_t w = from; w < to; w++) {
			char *c = az_identity_collection_under(kinds[k], inst->nodes[workspaces[w]].id);
			list_once(inst, kinds[k], kinds[k]->name, c, false, d, errors);
			free(c);
		}
	}
}

/* Reads node `n` by its id. */
static void read_node(az_instance *inst, az_node *n, bool first_wave, az_diags *d, int *errors)
{
	const az_kind *k = n->res->kind;
	pending_read *pr = az_xcalloc(1, sizeof(*pr));
	*pr = (pending_read){inst, n, d, errors, holds_of(k->name, first_wave),
			     rules_workspace(inst, k->name, n->id)};
	hold(inst, pr->holds, k->name, pr->rules_of);
	az_provider_get(k->provider)->read(inst->session, k, n->id, read_done, pr);
}

/* Reads the resources whose id was unknown in the first wave because it
 * comes from another resource's live body (a service principal's appId from
 * its application): that body has been read by now. */
static void request_deferred(az_instance *inst, const bool *wanted, az_diags *d, int *errors)
{
	for (size_t i = 0; i < inst->len; i++) {
		az_node *n = &inst->nodes[i];
		const az_kind *k = n->res->kind;
		if (!k || !n->res->address || az_kind_on_workspace_host(k) ||
		    n->state != AZ_NODE_PENDING || (wanted && !wanted[i]) || n->id || n->collection)
			continue;
		az_identity_compute(inst, i, d);
		if (!n->id) {
			n->state = AZ_NODE_ABSENT;
			continue;
		}
		read_node(inst, n, false, d, errors);
	}
}

/* Reads or lists what finds node `n`, when it belongs to this wave. */
static void request_node(az_instance *inst, az_node *n, bool synapse_wave, az_diags *d,
			 int *errors)
{
	const az_kind *k = n->res->kind;
	if (synapse_wave && !workspace_exists(inst, n)) {
		n->state = AZ_NODE_ABSENT;
		return;
	}
	if (!n->collection) {
		if (n->id)
			read_node(inst, n, !synapse_wave, d, errors);
		return; /* without an id: the second wave knows more */
	}
	list_once(inst, k, az_kind_key(k), n->collection, !synapse_wave, d, errors);
}

static int wave_entry_cmp(const void *a, const void *b)
{
	const wave_entry *x = a, *y = b;
	if (x->workspace != y->workspace)
		return x->workspace < y->workspace ? -1 : 1;
	if (x->read != y->read)
		return x->read ? 1 : -1;
	if (x->kind_rank != y->kind_rank)
		return x->kind_rank < y->kind_rank ? -1 : 1;
	return x->node < y->node ? -1 : x->node > y->node;
}

/* Reads what the first wave, ARM's, finds. With --target or --selector
 * (`wanted`), only what the plan plans and what that references: a
 * resource the plan leaves alone is not read, so a data plane it does not
 * touch is not asked (and may refuse this address without failing the
 * plan). */
static void request_arm_wave(az_instance *inst, const bool *wanted, bool prune, az_diags *d,
			     int *errors)
{
	/* The prune lists first: the stack-wide one is a chain of pages,
	 * each asked once the one before answers, the longest path of the
	 * wave; the resources' own reads fill the other slots meanwhile. */
	if (prune)
		request_prune_lists(inst, false, d, errors);
	/* Then what the data planes' wave consults, so that it starts early. */
	for (int consulted = 1; consulted >= 0; consulted--)
		for (size_t i = 0; i < inst->len; i++) {
			az_node *n = &inst->nodes[i];
			const az_kind *k = n->res->kind;
			if (k && n->res->address && !az_kind_on_workspace_host(k) &&
			    (!wanted || wanted[i]) && data_planes_consult(k->name) == consulted)
				request_node(inst, n, false, d, errors);
		}
}

/* The workspace node `n` lives in (its spec.workspace), or NO_NODE for a
 * workspace named by id or not declared. */
static size_t workspace_node_of(az_instance *inst, az_node *n)
{
	json_t *spec = json_object_get(n->res->manifest->body, "spec");
	const char *ws = az_resolved_str(spec, "workspace");
	az_node *pn = ws && ws[0] != '/' ? az_instance_node(inst, n, "SynapseWorkspace", ws) : NULL;
	return pn ? (size_t)(pn - inst->nodes) : NO_NODE;
}

/* The wave's bookkeeping, before Resource Manager's wave is asked: which
 * workspace each rule's request is for. */
static void open_data_plane_wave(az_instance *inst, const az_refresh_options *o, az_diags *d,
				 int *errors)
{
	az_data_plane_wave *wave = az_xcalloc(1, sizeof(*wave));
	size_t len = inst->len ? inst->len : 1;
	wave->index_of = json_object();
	wave->awaited_of = az_xcalloc(len, sizeof(size_t));
	wave->started = az_xcalloc(len, sizeof(bool));
	wave->o = o;
	wave->d = d;
	wave->errors = errors;
	for (size_t i = 0; i < inst->len; i++) {
		const az_node *ws = &inst->nodes[i];
		if (!ws->res->kind || !is_workspace_kind(ws->res->kind->name) || !ws->id)
			continue;
		char *key = az_lowercase(ws->id);
		json_object_set_new(wave->index_of, key, json_integer((json_int_t)i));
		free(key);
	}
	inst->wave = wave;
}

static void close_data_plane_wave(az_instance *inst)
{
	az_data_plane_wave *wave = inst->wave;
	if (!wave)
		return;
	json_decref(wave->index_of);
	json_decref(wave->declaring);
	free(wave->awaited_of);
	free(wave->started);
	free(wave->entries);
	free(wave->first_of);
	free(wave);
	inst->wave = NULL;
}

/* Whether every request reading the workspaces themselves has answered. */
static bool workspaces_read(void *ud)
{
	const az_instance *inst = ud;
	return inst->wave->workspaces_awaited == 0;
}

static void note_unopened(az_instance *inst, const az_refresh_options *o, size_t i);

/* The workspaces (ids in lower case) whose data plane holds a declared
 * resource. */
static json_t *declaring_workspaces(const az_instance *inst)
{
	/* Found in one pass: asking each workspace of every resource cost
	 * 500 x 50,001 comparisons in a large stack. */
	json_t *declaring = json_object();
	for (size_t i = 0; i < inst->len; i++) {
		const az_node *a = &inst->nodes[i];
		if (!a->res->kind || !az_kind_on_workspace_host(a->res->kind) || !data_plane_path(a))
			continue;
		char *ws = az_identity_workspace_of(data_plane_path(a));
		if (ws)
			json_object_set_new(declaring, ws, json_true());
		free(ws);
	}
	return declaring;
}

/* A workspace of the stack whose data plane holds nothing the plan reads
 * goes into instance->prune_only: its refusal is not waited for either. */
static void note_prune_only(az_instance *inst, size_t w)
{
	const az_node *ws = &inst->nodes[w];
	if (!ws->kind || !is_workspace_kind(ws->kind->name) || ws->state != AZ_NODE_PRESENT ||
	    !ws->id)
		return;
	char *prefix = az_lowercase(ws->id);
	if (!json_object_get(inst->wave->declaring, prefix)) {
		json_object_set_new(inst->prune_only, prefix, json_integer((json_int_t)w));
		az_session_expect_refusal(inst->session, prefix);
	}
	free(prefix);
}

/* Starts the data planes' wave (`wanted` as in request_arm_wave) once the
 * workspaces are read: sets the data planes' share of the requests in
 * flight, orders each workspace's reads, and sends the lists of every
 * workspace whose firewall rules are read; the others go as their rules
 * answer (release). Each workspace's lists go kind by kind, and in the
 * order of the manifests within a kind. */
static void arm_data_plane_wave(az_instance *inst)
{
	az_data_plane_wave *wave = inst->wave;
	const bool *wanted = wave->o->wanted;
	for (size_t i = 0; i < inst->len; i++) {
		const az_kind *k = inst->nodes[i].res->kind;
		if (k && is_workspace_kind(k->name))
			az_refresh_match(inst, &inst->nodes[i]);
	}
	size_t nws = workspaces_present(inst), at_once = hosts_at_once(inst);
	/* A slot per workspace read side by side, and no more, for the data
	 * planes: with more requests in flight than workspaces, a host's
	 * next list went out beside its first, each on a connection of its
	 * own (145 connections for 48 workspaces at 128 in flight). At least
	 * 16, so that the lists of a stack's one or two workspaces still go
	 * side by side. And a host's share of them: the slot a host's answer
	 * freed went to the next list in the queue, most often one of a host
	 * still busy, which opened a second connection (177-207 full TLS
	 * handshakes for 100 workspaces' hosts in a plan). With more
	 * workspaces than slots, a host's next list is let go ahead of the
	 * lists not begun (az_http_limit_data_planes): the first workspaces
	 * are read through before the next ones start. */
	size_t data_plane_slots = nws < at_once ? nws : at_once;
	if (data_plane_slots < 16)
		data_plane_slots = 16;
	size_t per_host = nws ? (data_plane_slots + nws - 1) / nws : data_plane_slots;
	az_session_limit_data_planes(inst->session, (int)data_plane_slots, (int)per_host);

	/* At most one entry per node: a rule is no data-plane resource. */
	wave->entries = az_xcalloc(inst->len ? inst->len : 1, sizeof(*wave->entries));
	size_t count;
	const az_kind *const *kinds = az_kinds(&count);
	for (size_t i = 0; i < inst->len; i++) {
		az_node *node = &inst->nodes[i];
		const az_kind *k = node->res->kind;
		if (!k || !node->res->address)
			continue;
		bool rule = is_firewall_rule_kind(k->name);
		if (!rule && (!az_kind_on_workspace_host(k) || (wanted && !wanted[i])))
			continue;
		size_t w = workspace_node_of(inst, node);
		if (rule) {
			if (w != NO_NODE)
				wave->entries[wave->len++] = (wave_entry){w, false, 0, i};
			continue;
		}
		size_t rank = 0;
		while (rank < count && kinds[rank] != k)
			rank++;
		wave->entries[wave->len++] = (wave_entry){w, true, rank, i};
	}
	qsort(wave->entries, wave->len, sizeof(*wave->entries), wave_entry_cmp);
	wave->first_of = az_xmalloc((inst->len ? inst->len : 1) * sizeof(size_t));
	for (size_t w = 0; w < inst->len; w++)
		wave->first_of[w] = wave->len;
	for (size_t r = wave->len; r-- > 0;)
		if (wave->entries[r].workspace != NO_NODE)
			wave->first_of[wave->entries[r].workspace] = r;
	wave->declaring = declaring_workspaces(inst);
	wave->armed = true;
	for (size_t w = 0; w < inst->len; w++) {
		const az_kind *k = inst->nodes[w].res->kind;
		if (k && is_workspace_kind(k->name) && wave->awaited_of[w] == 0)
			start_workspace(inst, w);
	}
}

/* Sends the data-plane lists of workspace node `w`, its firewall rules
 * read: with `prune`, the lists that find orphans there after its own. */
static void start_workspace(az_instance *inst, size_t w)
{
	az_data_plane_wave *wave = inst->wave;
	if (wave->started[w])
		return;
	wave->started[w] = true;
	size_t r = wave->first_of[w];
	for (; r < wave->len && wave->entries[r].workspace == w && !wave->entries[r].read; r++) {
		az_refresh_match(inst, &inst->nodes[wave->entries[r].node]);
		note_unopened(inst, wave->o, wave->entries[r].node);
	}
	if (wave->o->prune)
		note_prune_only(inst, w);
	for (; r < wave->len && wave->entries[r].workspace == w; r++)
		request_node(inst, &inst->nodes[wave->entries[r].node], true, wave->d, wave->errors);
	if (wave->o->prune && inst->nodes[w].state == AZ_NODE_PRESENT && inst->nodes[w].id)
		request_orphan_lists(inst, &w, 0, 1, wave->d, wave->errors);
}

/* Once all the wave consults is read: whatever workspace has not started,
 * then the reads of workspaces named by id. */
static void finish_data_plane_wave(az_instance *inst)
{
	az_data_plane_wave *wave = inst->wave;
	for (size_t w = 0; w < inst->len; w++) {
		const az_kind *k = inst->nodes[w].res->kind;
		if (k && is_workspace_kind(k->name))
			start_workspace(inst, w);
	}
	for (size_t r = 0; r < wave->len; r++)
		if (wave->entries[r].workspace == NO_NODE)
			request_node(inst, &inst->nodes[wave->entries[r].node], true, wave->d,
				     wave->errors);
	wave->armed = false;
}

/* Workspaces whose declared firewall rule the first wave found missing,
 * and that this plan creates: their data plane may refuse the second wave
 * (a run stopped between a workspace and its rule). The session is told
 * not to wait for a rule that does not exist yet to arrive. */
static void note_unopened(az_instance *inst, const az_refresh_options *o, size_t i)
{
	const az_node *rule = &inst->nodes[i];
	const az_kind *k = rule->res->kind;
	if (!o->creates || !k || !is_firewall_rule_kind(k->name) || rule->state != AZ_NODE_ABSENT ||
	    !rule->id || rule->res->existing || (o->wanted && !o->wanted[i]))
		return;
	char *ws = az_lowercase(rule->id);
	char *end = strstr(ws, "/firewallrules/");
	if (end) {
		*end = '\0';
		if (!json_object_get(inst->unopened, ws))
			json_object_set_new(inst->unopened, ws, json_string(rule->res->address));
		az_session_expect_refusal(inst->session, ws);
	}
	free(ws);
}

static void find_unopened(az_instance *inst, const az_refresh_options *o)
{
	for (size_t i = 0; i < inst->len; i++)
		note_unopened(inst, o, i);
}

bool az_refresh_closed(const az_instance *inst, const az_node *n, const char **rule)
{
	const char *ws =
	    n->state == AZ_NODE_PENDING ? unopened_workspace(inst, data_plane_path(n)) : NULL;
	json_t *r = ws ? json_object_get(inst->closed, ws) : NULL;
	if (r && rule)
		*rule = json_string_value(r);
	return r != NULL;
}

/* Whether all the first wave's reads are in: the stack-wide prune list
 * may still be paging, the data planes' wave answering. */
static bool first_wave_read(void *ud)
{
	const az_instance *inst = ud;
	return inst->awaited == 0;
}

/* Whether what the data planes' wave consults is read (holds_of). */
static bool data_planes_may_start(void *ud)
{
	const az_instance *inst = ud;
	return inst->awaited_by_data_planes == 0;
}

/* Matches the nodes Resource Manager's wave read (and Graph's): those the
 * data planes' wave consults, or the others. */
static void match_arm_nodes(az_instance *inst, bool consulted)
{
	for (size_t i = 0; i < inst->len; i++) {
		const az_kind *k = inst->nodes[i].res->kind;
		if (k && !az_kind_on_workspace_host(k) && data_planes_consult(k->name) == consulted)
			az_refresh_match(inst, &inst->nodes[i]);
	}
}

/* The ids the nodes name, each the one it plans and the one it was read
 * at (an adopted role assignment's differ), sorted for a search that
 * ignores case as Azure does. The strings are the nodes'. */
typedef struct named_ids {
	const char **ids;
	size_t len;
} named_ids;

static int id_cmp(const void *a, const void *b)
{
	return strcasecmp(*(const char *const *)a, *(const char *const *)b);
}

static named_ids named_ids_of(const az_instance *inst)
{
	named_ids named = {az_xcalloc(2 * inst->len + 1, sizeof(char *)), 0};
	for (size_t i = 0; i < inst->len; i++) {
		const char *ids[] = {inst->nodes[i].id,
				     json_string_value(json_object_get(inst->nodes[i].live, "id"))};
		for (size_t j = 0; j < 2; j++)
			if (ids[j])
				named.ids[named.len++] = ids[j];
	}
	qsort(named.ids, named.len, sizeof(*named.ids), id_cmp);
	return named;
}

static bool is_named(const named_ids *named, const char *id)
{
	return id && bsearch(&id, named->ids, named->len, sizeof(*named->ids), id_cmp);
}

/* The stack-wide list finds orphans only (az_refresh_find_orphans, which
 * passes over whatever a node names). Once the nodes are matched, what a
 * node names is dropped from it: the node holds the same resource read
 * from its own collection, and the plan would hold both copies (at
 * 50,001 resources, every ARM body of the stack twice). */
static void drop_named_from_stack_wide(az_instance *inst)
{
	named_ids named = named_ids_of(inst);
	const char *key;
	json_t *items;
	json_object_foreach(inst->lists, key, items) {
		const char *kind = json_string_value(json_object_get(inst->list_kinds, key));
		if (!json_is_array(items) || !kind || strcmp(kind, "*") != 0)
			continue;
		json_t *unnamed = json_array();
		size_t i;
		json_t *item;
		json_array_foreach(items, i, item) {
			if (!is_named(&named, json_string_value(json_object_get(item, "id"))))
				json_array_append(unnamed, item);
		}
		json_object_set_new(inst->lists, key, unnamed);
	}
	free(named.ids);
}

int az_refresh(az_instance *inst, const az_refresh_options *o, az_diags *d)
{
	int errors = 0;
	bool prune = o->prune;
	/* The data planes' token is asked for now, beside Resource Manager's
	 * wave (the credential fetches it once its first sign-in works), so
	 * that the data planes' wave finds it ready. Asked once a workspace
	 * was found, it was a round trip on the longest path of every plan
	 * and apply with artifacts; if no workspace exists yet, an apply
	 * creating them needs it all the same. */
	for (size_t i = 0; i < inst->len && inst->session; i++) {
		const az_kind *k = inst->nodes[i].res->kind;
		if (k && az_kind_on_workspace_host(k) && (!o->wanted || o->wanted[i])) {
			az_session_prefetch_data_plane_token(inst->session);
			break;
		}
	}
	open_data_plane_wave(inst, o, d, &errors);
	request_arm_wave(inst, o->wanted, prune, d, &errors);
	az_session_run_until(inst->session, workspaces_read, inst);
	arm_data_plane_wave(inst);
	/* The workspaces whose rules answer meanwhile start as they do. */
	az_session_run_until(inst->session, data_planes_may_start, inst);
	match_arm_nodes(inst, true);
	find_unopened(inst, o); /* rules of a workspace named by id */
	finish_data_plane_wave(inst);
	az_session_run_until(inst->session, first_wave_read, inst);
	match_arm_nodes(inst, false);
	request_deferred(inst, o->wanted, d, &errors);
	if (prune)
		request_prune_lists(inst, true, d, &errors);
	az_session_run(inst->session);
	close_data_plane_wave(inst);
	az_session_limit_data_planes(inst->session, 0, 0);
	for (size_t i = 0; i < inst->len; i++)
		if (inst->nodes[i].res->kind && az_kind_on_workspace_host(inst->nodes[i].res->kind))
			az_refresh_match(inst, &inst->nodes[i]);
	drop_named_from_stack_wide(inst);
	return errors ? AZ_EUPSTREAM : 0;
}

/* Orphans: what the refresh listed that this instance marked and no
 * manifest declares any more. */
static const az_kind *kind_of_type(const char *type)
{
	size_t count;
	const az_kind *const *kinds = az_kinds(&count);
	for (size_t i = 0; type && i < count; i++)
		if (kinds[i]->provider == AZ_PROVIDER_ARM && strcasecmp(kinds[i]->type, type) == 0)
			return kinds[i];
	return az_kind_arm_of_type(type);
}

/* An ArmResource whose manifest is gone: the kind it was written with,
 * from the api-version its marker keeps (its type is in the listed item). */
static const az_kind *marked_arm_kind(const json_t *item)
{
	const char *type = json_string_value(json_object_get(item, "type"));
	az_marker_info m;
	az_marker_read(&m, az_kind_find("ArmResource"), item);
	const az_kind *k = NULL;
	if (type && m.api_version && az_arm_type_depth(type) == 1 &&
	    az_arm_api_version_valid(m.api_version))
		k = az_kind_arm(type, m.api_version, AZ_SCOPE_RESOURCE_GROUP, true);
	az_marker_info_free(&m);
	return k;
}

void az_refresh_find_orphans(az_instance *inst)
{
	named_ids named = named_ids_of(inst);
	/* What this pass took already: a resource is in its collection's
	 * list and in the stack-wide one. */
	json_t *taken = json_object();
	const char *key;
	json_t *items;
	json_object_foreach(inst->lists, key, items) {
		const char *kind_name = json_string_value(json_object_get(inst->list_kinds, key));
		size_t i;
		json_t *item;
		json_array_foreach(items, i, item) {
			const char *id = json_string_value(json_object_get(item, "id"));
			const az_kind *k = kind_name && strcmp(kind_name, "*") == 0
						   ? kind_of_type(json_string_value(json_object_get(item, "type")))
						   : az_kind_find(kind_name ? kind_name : "");
			if (!k && kind_name && strcmp(kind_name, "*") == 0)
				k = marked_arm_kind(item);
			if (!id || !k || is_named(&named, id))
				continue;
			char *lower = az_lowercase(id);
			if (json_object_get(taken, lower)) {
				free(lower);
				continue;
			}
			az_marker_info m;
			az_marker_read(&m, k, item);
			az_ownership own = az_marker_ownership(&m, &inst->name);
			if (own == AZ_OWNED_LEGACY) {
				/* Which environment wrote it is unknown: never pruned;
				 * the environment that declares it re-marks it. */
				json_array_append_new(inst->legacy, json_string(id));
				json_object_set_new(taken, lower, json_true());
				az_marker_info_free(&m);
				free(lower);
				continue;
			}
			if (own != AZ_OWNED_INSTANCE) {
				if (strcmp(kind_name, "*") != 0 &&
				    !az_lock_container_is(id, inst->name.stack, inst->name.env))
					json_array_append_new(inst->unmanaged,
							      json_pack("{s:s,s:s,s:O}", "kind", az_kind_key(k),
									"id", id, "live", item));
				az_marker_info_free(&m);
				free(lower);
				continue;
			}
			json_object_set_new(taken, lower, json_true());
			free(lower);
			az_refresh_add_orphan(inst, k, id, item, &m);
		}
	}
	json_decref(taken);
	free(named.ids);
}

size_t az_refresh_add_orphan(az_instance *inst, const az_kind *kind, const char *id,
			     const json_t *live, az_marker_info *marker)
{
	inst->orphans = az_xrealloc(inst->orphans, (inst->orphans_len + 1) * sizeof(az_node));
	az_node *o = &inst->orphans[inst->orphans_len];
	memset(o, 0, sizeof(*o));
	o->kind = kind;
	o->id = az_xstrdup(id);
	o->live = json_deep_copy(live);
	o->state = AZ_NODE_PRESENT;
	o->marker = *marker;
	memset(marker, 0, sizeof(*marker));
	return inst->orphans_len++;
}

az_node *az_refresh_orphan(az_instance *inst, const az_plan_item *it)
{
	return &inst->orphans[it->resource - inst->len];
}
