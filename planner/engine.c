/*
 * engine.c - from resources to Azure ids, resolved bodies and live state.
 *
 * Ids are derived, never stored: the kind's id template filled with the
 * subscription, the resource group, the parent's id, the scope, or for role
 * assignments a name-based UUID of what they grant (azure-notes.md: the
 * name must be a GUID; deriving it makes a re-run find the same one).
 *
 * The refresh reads with as few requests as Azure allows: each collection
 * once (all Spark pools of a workspace, all role assignments at a scope),
 * every page, all at once on the session's loop; Synapse collections in a
 * second wave, once it is known which workspaces exist (their data-plane
 * host only answers for a workspace that does).
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <uuid/uuid.h>

#include <azapply/lock.h>

#include "engine.h"

/* UUID v5 namespace of role assignment names azapply derives. */
static const char ROLE_ASSIGNMENT_NAMESPACE[] = "5c7e1d2a-9b3f-5e4d-8a6c-0f1e2d3c4b5a";

static bool is_guid(const char *s)
{
	uuid_t u;
	return s && strlen(s) == 36 && uuid_parse(s, u) == 0;
}

const json_t *az_json_at(const json_t *root, const char *path)
{
	const json_t *at = root;
	const char *p = path;
	while (at && *p) {
		size_t len = strcspn(p, ".");
		char *seg = az_xstrndup(p, len);
		if (json_is_array(at) && isdigit((unsigned char)seg[0]))
			at = json_array_get(at, (size_t)strtoul(seg, NULL, 10));
		else
			at = json_object_get(at, seg);
		free(seg);
		p += len;
		if (*p == '.')
			p++;
	}
	return at;
}

void az_json_remove_at(json_t *root, const char *path)
{
	const char *last = strrchr(path, '.');
	json_t *parent = root;
	if (last) {
		char *up = az_xstrndup(path, (size_t)(last - path));
		parent = (json_t *)(uintptr_t)az_json_at(root, up);
		free(up);
	}
	const char *key = last ? last + 1 : path;
	if (json_is_object(parent))
		json_object_del(parent, key);
	else if (json_is_array(parent) && isdigit((unsigned char)key[0]))
		json_array_remove(parent, (size_t)strtoul(key, NULL, 10));
}

bool az_json_has_refs(const json_t *v)
{
	if (json_is_string(v))
		return strstr(json_string_value(v), "${ref.") != NULL;
	const char *key;
	json_t *child;
	size_t i;
	if (json_is_object(v)) {
		json_object_foreach((json_t *)(uintptr_t)v, key, child) if (az_json_has_refs(child)) return true;
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, child) if (az_json_has_refs(child)) return true;
	}
	return false;
}

static az_node *node_by_address(az_engine *e, const char *kind, const char *name)
{
	char *address = az_xasprintf("%s/%s", kind, name);
	const az_resource *r = az_stack_find(e->stack, address);
	free(address);
	return r ? &e->nodes[r - e->stack->resources] : NULL;
}

/* The value of ${ref.Kind.name.path}, or NULL when not known yet. An id
 * and a name are known from the manifests; anything else comes from the
 * live resource, unless it is about to be (re)created, then from what the
 * manifest itself sets. */
static json_t *ref_value(az_engine *e, const az_part *p)
{
	az_node *n = node_by_address(e, p->ref_kind, p->ref_name);
	if (!n)
		return NULL;
	const char *path = p->ref_path ? p->ref_path : "";
	/* A Graph object's id is its object id, which a role assignment's
	 * principalId needs; Graph assigns it, so it comes from the live body. */
	if ((!*path || strcmp(path, "id") == 0) && n->kind->provider == AZ_PROVIDER_GRAPH) {
		const json_t *v = n->live && !n->will_change ? json_object_get(n->live, "id") : NULL;
		return v ? json_deep_copy(v) : NULL;
	}
	if (!*path || strcmp(path, "id") == 0)
		return n->id ? json_string(n->id) : NULL;
	if (strcmp(path, "name") == 0)
		return n->res->azure_name ? json_string(n->res->azure_name) : NULL;
	if (n->live && !n->will_change) {
		const json_t *v = az_json_at(n->live, path);
		if (v)
			return json_deep_copy(v);
	}
	const json_t *v = az_json_at(n->desired, path);
	if (v && !az_json_has_refs(v))
		return json_deep_copy(v);
	return NULL;
}

static json_t *resolve_string(az_engine *e, const char *s)
{
	az_template *t = NULL;
	az_diags scratch = AZ_DIAGS_INIT;
	int rc = az_template_parse(&t, s, NULL, &scratch);
	az_diags_clear(&scratch);
	if (rc != 0 || !t)
		return json_string(s);
	json_t *out = NULL;
	if (t->len == 1 && t->parts[0].type == AZ_PART_REF) {
		out = ref_value(e, &t->parts[0]);
		if (!out)
			out = json_string(s);
		az_template_free(t);
		return out;
	}
	az_buf b = AZ_BUF_INIT;
	az_buf_puts(&b, "");
	bool known = true;
	for (size_t i = 0; i < t->len && known; i++) {
		const az_part *p = &t->parts[i];
		if (p->type == AZ_PART_LITERAL) {
			az_buf_puts(&b, p->text);
			continue;
		}
		json_t *v = p->type == AZ_PART_REF ? ref_value(e, p) : NULL;
		if (!v) {
			known = false;
			break;
		}
		if (json_is_string(v)) {
			az_buf_puts(&b, json_string_value(v));
		} else {
			char *dumped = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
			az_buf_puts(&b, dumped);
			free(dumped);
		}
		json_decref(v);
	}
	out = known ? json_string(b.data) : json_string(s);
	az_buf_free(&b);
	az_template_free(t);
	return out;
}

json_t *az_engine_resolve(az_engine *e, const json_t *v)
{
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		return strchr(s, '$') ? resolve_string(e, s) : json_string(s);
	}
	if (json_is_object(v)) {
		json_t *o = json_object();
		const char *key;
		json_t *child;
		json_object_foreach((json_t *)(uintptr_t)v, key, child)
			json_object_set_new(o, key, az_engine_resolve(e, child));
		return o;
	}
	if (json_is_array(v)) {
		json_t *a = json_array();
		size_t i;
		json_t *child;
		json_array_foreach(v, i, child) json_array_append_new(a, az_engine_resolve(e, child));
		return a;
	}
	return json_deep_copy(v);
}

/* Fills {placeholders} of a kind template. NULL when one is unknown. */
static char *fill_template(const char *tmpl, const char *const *keys, const char *const *values,
			   size_t n)
{
	az_buf b = AZ_BUF_INIT;
	for (const char *p = tmpl; *p;) {
		if (*p != '{') {
			az_buf_putc(&b, *p++);
			continue;
		}
		const char *end = strchr(p, '}');
		size_t klen = (size_t)(end - p - 1);
		const char *value = NULL;
		for (size_t i = 0; i < n; i++)
			if (strlen(keys[i]) == klen && strncmp(keys[i], p + 1, klen) == 0)
				value = values[i];
		if (!value || strstr(value, "${")) {
			az_buf_free(&b);
			return NULL;
		}
		az_buf_puts(&b, value);
		p = end + 1;
	}
	return az_buf_detach(&b);
}

/* The name-based UUID of what an assignment grants. */
static char *assignment_guid(const char *scope, const char *role, const char *principal)
{
	uuid_t ns, out;
	uuid_parse(ROLE_ASSIGNMENT_NAMESPACE, ns);
	char *name = az_xasprintf("%s|%s|%s", scope, role, principal);
	char *lower = az_lowercase(name);
	uuid_generate_sha1(out, ns, lower, strlen(lower));
	free(name);
	free(lower);
	char text[37];
	uuid_unparse_lower(out, text);
	return az_xstrdup(text);
}

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s && !strstr(s, "${ref.") ? s : NULL;
}

/* "Contributor", a GUID or a full roleDefinitionId -> the id ARM takes. */
static char *arm_role_definition(const char *role, const char *subscription)
{
	if (!role)
		return NULL;
	if (role[0] == '/')
		return az_xstrdup(role);
	const char *guid = is_guid(role) ? role : az_arm_role_id(role);
	if (!guid)
		return NULL;
	return az_xasprintf("/subscriptions/%s/providers/Microsoft.Authorization/roleDefinitions/%s",
			    subscription, guid);
}

static const char *role_guid(const char *role_definition_id)
{
	const char *slash = strrchr(role_definition_id, '/');
	return slash ? slash + 1 : role_definition_id;
}

static void compute_node(az_engine *e, az_node *n, az_diags *d)
{
	const az_kind *k = n->res->kind;
	json_t *spec = az_engine_resolve(e, json_object_get(n->res->manifest->body, "spec"));
	const char *sub = str(spec, "subscription") ? str(spec, "subscription") : e->subscription;
	const char *rg = str(spec, "resourceGroup");
	const char *parent = NULL, *scope = NULL, *app = NULL;
	char *guid = NULL;
	if (k->scope == AZ_SCOPE_PARENT) {
		const char *p = str(spec, k->parent_field);
		if (p && p[0] == '/') {
			parent = p;
		} else if (p) {
			az_node *pn = node_by_address(e, k->parent_kind, p);
			parent = pn ? pn->id : NULL;
		}
	}
	if (strcmp(k->name, "RoleAssignment") == 0) {
		scope = str(spec, "scope");
		char *role = arm_role_definition(str(spec, "role"), sub ? sub : "");
		const char *principal = str(spec, "principalId");
		if (!role && str(spec, "role"))
			az_diag_add(d, AZ_SEV_ERROR, az_srcmap_get(n->res->manifest->map, "/spec/role"),
				    n->res->address, "unknown role '%s'", str(spec, "role"));
		if (scope && role && principal)
			guid = assignment_guid(scope, role_guid(role), principal);
		free(role);
	} else if (strcmp(k->name, "SynapseRoleAssignment") == 0) {
		const char *role = str(spec, "role");
		const char *role_id = role && is_guid(role) ? role : role ? az_synapse_role_id(role) : NULL;
		const char *principal = str(spec, "principalId");
		if (!role_id && role)
			az_diag_add(d, AZ_SEV_ERROR, az_srcmap_get(n->res->manifest->map, "/spec/role"),
				    n->res->address, "unknown Synapse role '%s'", role);
		if (parent && role_id && principal)
			guid = assignment_guid(parent, role_id, principal);
	} else if (strcmp(k->name, "ServicePrincipal") == 0) {
		app = str(spec, "appId");
		const char *app_ref = str(spec, "application");
		if (!app && app_ref) {
			az_node *an = node_by_address(e, "EntraApplication", app_ref);
			if (an && an->live && !an->will_change)
				app = json_string_value(json_object_get(an->live, "appId"));
		}
	}
	/* An application is upserted by its uniqueName (azure-notes): the
	 * manifest's own when it sets one, else its name. */
	const char *name = n->res->azure_name;
	if (strcmp(k->name, "EntraApplication") == 0 && str(spec, "uniqueName"))
		name = str(spec, "uniqueName");
	const char *keys[] = {"subscription", "resourceGroup", "name", "parent", "scope", "guid", "appId"};
	const char *values[] = {sub, rg, name, parent, scope, guid, app};
	free(n->id);
	n->id = fill_template(k->id_template, keys, values, 7);
	if (!n->collection && k->provider != AZ_PROVIDER_GRAPH) {
		char *c = fill_template(k->list_path, keys, values, 7);
		if (c && strcmp(k->name, "RoleAssignment") == 0) {
			/* Only the assignments at this scope, not those inherited. */
			char *with = az_xasprintf("%s?$filter=atScope()", c);
			free(c);
			c = with;
		}
		n->collection = c;
	}
	free(guid);
	json_decref(spec);
}

void az_engine_compute_one(az_engine *e, size_t i, az_diags *d)
{
	az_node *n = &e->nodes[i];
	if (n->res->kind && n->res->address)
		compute_node(e, n, d);
}

void az_engine_compute_ids(az_engine *e, az_diags *d)
{
	size_t *order = NULL;
	if (az_stack_order(e->stack, &order) != 0)
		return;
	for (size_t i = 0; i < e->len; i++) {
		az_node *n = &e->nodes[order[i]];
		if (n->res->kind && n->res->address)
			compute_node(e, n, d);
	}
	free(order);
}

int az_engine_init(az_engine *e, az_stack *stack, az_session *s, az_diags *d)
{
	memset(e, 0, sizeof(*e));
	e->stack = stack;
	e->session = s;
	e->len = stack->len;
	e->nodes = az_xcalloc(e->len ? e->len : 1, sizeof(az_node));
	e->lists = json_object();
	e->list_kinds = json_object();
	e->unmanaged = json_array();
	e->legacy = json_array();
	const az_project *p = &stack->set->project;
	/* A stack without environments is one instance, "default". */
	e->env = stack->env ? stack->env : "default";
	e->subscription = az_project_setting(p, stack->env, "subscription");
	e->stack_name = p->stack ? p->stack : "default";
	for (size_t i = 0; i < e->len; i++) {
		e->nodes[i].res = &stack->resources[i];
		e->nodes[i].kind = stack->resources[i].kind;
	}
	if (!e->subscription) {
		az_pos pos = {p->file, 1, 1};
		az_diag *diag = az_diag_add(d, AZ_SEV_ERROR, p->present ? &pos : NULL, NULL,
					    "no subscription is set%s%s", e->env ? " for environment " : "",
					    e->env ? e->env : "");
		az_diag_set_detail(diag, "set subscription in azapply.yaml, or environments.<env>.subscription");
		return AZ_EINVALID;
	}
	return 0;
}

void az_engine_free(az_engine *e)
{
	for (size_t i = 0; i < e->len; i++) {
		az_node *n = &e->nodes[i];
		free(n->id);
		free(n->collection);
		json_decref(n->desired);
		json_decref(n->live);
		az_marker_info_free(&n->marker);
	}
	for (size_t i = 0; i < e->orphans_len; i++) {
		az_node *n = &e->orphans[i];
		free(n->id);
		json_decref(n->live);
		az_marker_info_free(&n->marker);
	}
	free(e->orphans);
	free(e->nodes);
	json_decref(e->lists);
	json_decref(e->list_kinds);
	json_decref(e->unmanaged);
	json_decref(e->legacy);
	memset(e, 0, sizeof(*e));
}

/* ---------------------------------------------------------------------
 * Desired bodies.
 */

/* Fields of `spec` that say where a resource lives, not what it is. */
static bool is_scope_field(const az_kind *k, const char *key)
{
	return strcmp(key, "resourceGroup") == 0 || strcmp(key, "subscription") == 0 ||
	       strcmp(key, "name") == 0 || strcmp(key, "specFile") == 0 ||
	       (k->parent_field && strcmp(key, k->parent_field) == 0);
}

json_t *az_engine_desired(az_engine *e, size_t i, az_diags *d)
{
	az_node *n = &e->nodes[i];
	const az_kind *k = n->res->kind;
	json_t *spec = az_engine_resolve(e, json_object_get(n->res->manifest->body, "spec"));
	json_t *body = json_object();
	if (strcmp(k->name, "RoleAssignment") == 0) {
		json_t *props = json_object();
		const char *sub = str(spec, "subscription") ? str(spec, "subscription") : e->subscription;
		char *role = arm_role_definition(json_string_value(json_object_get(spec, "role")), sub);
		if (role)
			json_object_set_new(props, "roleDefinitionId", json_string(role));
		free(role);
		const char *copy[] = {"principalId", "principalType", "description", "condition",
				      "conditionVersion"};
		for (size_t j = 0; j < sizeof(copy) / sizeof(copy[0]); j++) {
			json_t *v = json_object_get(spec, copy[j]);
			if (v)
				json_object_set(props, copy[j], v);
		}
		json_object_set_new(body, "properties", props);
	} else if (strcmp(k->name, "SynapseRoleAssignment") == 0) {
		const char *role = json_string_value(json_object_get(spec, "role"));
		const char *role_id = role && is_guid(role) ? role : role ? az_synapse_role_id(role) : NULL;
		if (role_id)
			json_object_set_new(body, "roleId", json_string(role_id));
		json_object_set(body, "principalId", json_object_get(spec, "principalId"));
		if (json_object_get(spec, "principalType"))
			json_object_set(body, "principalType", json_object_get(spec, "principalType"));
		const char *ws = NULL;
		az_node *pn = node_by_address(e, "SynapseWorkspace", str(spec, "workspace") ? str(spec, "workspace") : "");
		ws = pn ? pn->res->azure_name : NULL;
		if (ws) {
			char *scope = az_xasprintf("workspaces/%s", ws);
			json_object_set_new(body, "scope", json_string(scope));
			free(scope);
		}
	} else {
		const char *key;
		json_t *v;
		json_object_foreach(spec, key, v) {
			if (!is_scope_field(k, key) && !(strcmp(k->name, "ServicePrincipal") == 0 &&
							 strcmp(key, "application") == 0))
				json_object_set(body, key, v);
		}
		if (strcmp(k->name, "EntraApplication") == 0 && n->res->azure_name &&
		    !json_object_get(body, "uniqueName"))
			json_object_set_new(body, "uniqueName", json_string(n->res->azure_name));
		if (strcmp(k->name, "ServicePrincipal") == 0 && !json_object_get(body, "appId")) {
			const char *app_ref = str(spec, "application");
			az_node *an = app_ref ? node_by_address(e, "EntraApplication", app_ref) : NULL;
			if (an && an->live && !an->will_change && json_object_get(an->live, "appId"))
				json_object_set(body, "appId", json_object_get(an->live, "appId"));
			else if (app_ref)
				json_object_set_new(body, "appId",
						    json_sprintf("${ref.EntraApplication.%s.appId}", app_ref));
		}
	}
	(void)d;
	json_decref(spec);
	return body;
}

/* ---------------------------------------------------------------------
 * Refresh.
 */
typedef struct pending_list {
	az_engine *e;
	char *key;
	az_diags *d;
	int *errors;
} pending_list;

static void list_done(void *ud, int err, json_t *live, az_diags *pd)
{
	pending_list *pl = ud;
	if (err == AZ_ENOTFOUND || (err == 0 && !live)) {
		/* The parent does not exist yet: nothing under it either. */
		json_object_set_new(pl->e->lists, pl->key, json_array());
	} else if (err) {
		(*pl->errors)++;
		if (pd)
			az_diags_move(pl->d, pd);
	} else {
		json_object_set_new(pl->e->lists, pl->key, live);
		live = NULL;
	}
	json_decref(live);
	free(pl->key);
	free(pl);
}

typedef struct pending_read {
	az_node *n;
	az_diags *d;
	int *errors;
} pending_read;

static void read_done(void *ud, int err, json_t *live, az_diags *pd)
{
	pending_read *pr = ud;
	if (err && err != AZ_ENOTFOUND) {
		(*pr->errors)++;
		if (pd)
			az_diags_move(pr->d, pd);
	} else {
		pr->n->live = live;
		pr->n->state = live ? AZ_NODE_PRESENT : AZ_NODE_ABSENT;
		live = NULL;
	}
	json_decref(live);
	free(pr);
}

static bool synapse_side(const az_kind *k)
{
	return k->provider == AZ_PROVIDER_SYNAPSE || k->provider == AZ_PROVIDER_SYNAPSE_RBAC;
}

/* Whether the node's parent workspace exists, so its data plane answers. */
static bool workspace_exists(az_engine *e, az_node *n)
{
	json_t *spec = json_object_get(n->res->manifest->body, "spec");
	const char *ws = str(spec, "workspace");
	if (!ws)
		return false;
	if (ws[0] == '/')
		return true;
	az_node *pn = node_by_address(e, "SynapseWorkspace", ws);
	return pn && pn->state == AZ_NODE_PRESENT;
}

/* The same grant under another name. Azure refuses a second assignment of
 * one role to one principal at one scope (409 RoleAssignmentExists), so
 * an existing one, made by hand or by another tool, is the resource the
 * manifest describes: plan adopts it instead of planning a create that
 * cannot succeed. */
static bool match_grant(az_engine *e, az_node *n, json_t *items)
{
	const az_kind *k = n->kind;
	bool arm = strcmp(k->name, "RoleAssignment") == 0;
	if (!arm && strcmp(k->name, "SynapseRoleAssignment") != 0)
		return false;
	json_t *spec = az_engine_resolve(e, json_object_get(n->res->manifest->body, "spec"));
	const char *role = str(spec, "role"), *principal = str(spec, "principalId");
	const char *scope = str(spec, "scope");
	char *definition = arm ? arm_role_definition(role, e->subscription) : NULL;
	const char *want = arm ? (definition ? role_guid(definition) : NULL)
			       : role && is_guid(role) ? role : role ? az_synapse_role_id(role) : NULL;
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
		if (!r || !p || !id || strcasecmp(role_guid(r), want) != 0 || strcasecmp(p, principal) != 0)
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

void az_engine_match(az_engine *e, az_node *n)
{
	if (n->state != AZ_NODE_PENDING || !n->collection)
		return;
	char *key = az_lowercase(n->collection);
	json_t *items = json_object_get(e->lists, key);
	free(key);
	if (!items)
		return;
	const az_kind *k = n->res->kind;
	bool by_name = synapse_side(k) && k->provider == AZ_PROVIDER_SYNAPSE;
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
			n->live = json_deep_copy(item);
			n->state = AZ_NODE_PRESENT;
			return;
		}
	}
	if (match_grant(e, n, items))
		return;
	if (n->id)
		n->state = AZ_NODE_ABSENT;
}

/* Lists `collection` once per refresh, remembering which kind it holds. */
static void list_once(az_engine *e, const az_kind *k, const char *kind_name, const char *collection,
		      az_diags *d, int *errors)
{
	char *key = az_lowercase(collection);
	if (json_object_get(e->lists, key)) {
		free(key);
		return;
	}
	/* Reserve the key so the collection is listed once. */
	json_object_set_new(e->lists, key, json_null());
	json_object_set_new(e->list_kinds, key, json_string(kind_name));
	pending_list *pl = az_xcalloc(1, sizeof(*pl));
	*pl = (pending_list){e, key, d, errors};
	e->requests++;
	az_provider_get(k->provider)->list(e->session, k, collection, list_done, pl);
}

/* What only pruning needs: resources this stack marked that no manifest
 * declares any more. ARM ones come from one tag-filtered list of the
 * subscription and the resource group list; Synapse artifacts from the
 * artifact collections of every workspace of the stack that exists. */
static void request_prune_lists(az_engine *e, bool synapse_wave, az_diags *d, int *errors)
{
	const az_kind *rg = az_kind_find("ResourceGroup");
	if (!synapse_wave) {
		char *c = az_xasprintf("/subscriptions/%s/resourcegroups", e->subscription);
		list_once(e, rg, rg->name, c, d, errors);
		free(c);
		/* Role assignments keep their marker in the description, out of
		 * reach of the tag filter: one list of the whole subscription
		 * (without atScope(), Azure includes those on resources). */
		const az_kind *ra = az_kind_find("RoleAssignment");
		c = az_xasprintf("/subscriptions/%s/providers/Microsoft.Authorization/roleAssignments",
				 e->subscription);
		list_once(e, ra, ra->name, c, d, errors);
		free(c);
		c = az_xasprintf("/subscriptions/%s/resources?$filter=tagName eq 'azapply-stack' and "
				 "tagValue eq '%s'", e->subscription, e->stack_name);
		list_once(e, rg, "*", c, d, errors);
		free(c);
		return;
	}
	size_t count;
	const az_kind *const *kinds = az_kinds(&count);
	const az_kind *container = az_kind_find("StorageContainer");
	for (size_t i = 0; i < e->len; i++) {
		az_node *n = &e->nodes[i];
		/* Containers keep their marker in their metadata, out of reach of
		 * the tag filter: list those of the stack's storage accounts. */
		if (n->kind && n->kind == az_kind_find("StorageAccount") &&
		    n->state == AZ_NODE_PRESENT && n->id) {
			const char *keys[] = {"parent"};
			const char *values[] = {n->id};
			char *c = fill_template(container->list_path, keys, values, 1);
			list_once(e, container, container->name, c, d, errors);
			free(c);
		}
		if (!n->kind || strcmp(n->kind->name, "SynapseWorkspace") != 0 ||
		    n->state != AZ_NODE_PRESENT || !n->id)
			continue;
		for (size_t k = 0; k < count; k++) {
			if (kinds[k]->provider != AZ_PROVIDER_SYNAPSE)
				continue;
			const char *keys[] = {"parent"};
			const char *values[] = {n->id};
			char *c = fill_template(kinds[k]->list_path, keys, values, 1);
			list_once(e, kinds[k], kinds[k]->name, c, d, errors);
			free(c);
		}
	}
}

/* Reads the resources whose id was unknown in the first wave because it
 * comes from another resource's live body (a service principal's appId from
 * its application): that body has been read by now. */
static void request_deferred(az_engine *e, az_diags *d, int *errors)
{
	for (size_t i = 0; i < e->len; i++) {
		az_node *n = &e->nodes[i];
		const az_kind *k = n->res->kind;
		if (!k || !n->res->address || synapse_side(k) || n->state != AZ_NODE_PENDING ||
		    n->id || n->collection)
			continue;
		az_engine_compute_one(e, i, d);
		if (!n->id) {
			n->state = AZ_NODE_ABSENT;
			continue;
		}
		pending_read *pr = az_xcalloc(1, sizeof(*pr));
		*pr = (pending_read){n, d, errors};
		e->requests++;
		az_provider_get(k->provider)->read(e->session, k, n->id, read_done, pr);
	}
}

static void request_collections(az_engine *e, bool synapse_wave, az_diags *d, int *errors)
{
	if (synapse_wave)
		request_deferred(e, d, errors);
	for (size_t i = 0; i < e->len; i++) {
		az_node *n = &e->nodes[i];
		const az_kind *k = n->res->kind;
		if (!k || !n->res->address || synapse_side(k) != synapse_wave)
			continue;
		if (synapse_wave && !workspace_exists(e, n)) {
			n->state = AZ_NODE_ABSENT;
			continue;
		}
		const az_provider *prov = az_provider_get(k->provider);
		if (!n->collection) {
			if (!n->id)
				continue; /* the second wave knows more */
			pending_read *pr = az_xcalloc(1, sizeof(*pr));
			*pr = (pending_read){n, d, errors};
			e->requests++;
			prov->read(e->session, k, n->id, read_done, pr);
			continue;
		}
		list_once(e, k, k->name, n->collection, d, errors);
	}
}

int az_engine_refresh(az_engine *e, bool prune, az_diags *d)
{
	int errors = 0;
	request_collections(e, false, d, &errors);
	if (prune)
		request_prune_lists(e, false, d, &errors);
	az_session_run(e->session);
	for (size_t i = 0; i < e->len; i++)
		if (e->nodes[i].res->kind && !synapse_side(e->nodes[i].res->kind))
			az_engine_match(e, &e->nodes[i]);
	request_collections(e, true, d, &errors);
	if (prune)
		request_prune_lists(e, true, d, &errors);
	az_session_run(e->session);
	for (size_t i = 0; i < e->len; i++)
		if (e->nodes[i].res->kind && synapse_side(e->nodes[i].res->kind))
			az_engine_match(e, &e->nodes[i]);
	return errors ? AZ_EUPSTREAM : 0;
}

/* ---------------------------------------------------------------------
 * Orphans.
 */
static const az_kind *kind_of_type(const char *type)
{
	size_t count;
	const az_kind *const *kinds = az_kinds(&count);
	for (size_t i = 0; type && i < count; i++)
		if (kinds[i]->provider == AZ_PROVIDER_ARM && strcasecmp(kinds[i]->type, type) == 0)
			return kinds[i];
	return NULL;
}

void az_engine_find_orphans(az_engine *e)
{
	json_t *known = json_object();
	for (size_t i = 0; i < e->len; i++) {
		const char *id = json_string_value(json_object_get(e->nodes[i].live, "id"));
		const char *planned = e->nodes[i].id;
		char *lower = id ? az_lowercase(id) : NULL;
		if (lower)
			json_object_set_new(known, lower, json_true());
		free(lower);
		lower = planned ? az_lowercase(planned) : NULL;
		if (lower)
			json_object_set_new(known, lower, json_true());
		free(lower);
	}
	const char *key;
	json_t *items;
	json_object_foreach(e->lists, key, items) {
		const char *kind_name = json_string_value(json_object_get(e->list_kinds, key));
		size_t i;
		json_t *item;
		json_array_foreach(items, i, item) {
			const char *id = json_string_value(json_object_get(item, "id"));
			const az_kind *k = kind_name && strcmp(kind_name, "*") == 0
						   ? kind_of_type(json_string_value(json_object_get(item, "type")))
						   : az_kind_find(kind_name ? kind_name : "");
			if (!id || !k)
				continue;
			char *lower = az_lowercase(id);
			if (json_object_get(known, lower)) {
				free(lower);
				continue;
			}
			az_marker_info m;
			az_marker_read(&m, k, item);
			az_ownership own = az_marker_ownership(&m, e);
			if (own == AZ_OWNED_LEGACY) {
				/* Which environment wrote it is unknown: never pruned;
				 * the environment that declares it re-marks it. */
				json_array_append_new(e->legacy, json_string(id));
				json_object_set_new(known, lower, json_true());
				az_marker_info_free(&m);
				free(lower);
				continue;
			}
			if (own != AZ_OWNED_INSTANCE) {
				if (strcmp(kind_name, "*") != 0 &&
				    !az_lock_container_is(id, e->stack_name, e->env))
					json_array_append_new(e->unmanaged,
							      json_pack("{s:s,s:s,s:O}", "kind", k->name,
									"id", id, "live", item));
				az_marker_info_free(&m);
				free(lower);
				continue;
			}
			json_object_set_new(known, lower, json_true());
			free(lower);
			e->orphans = az_xrealloc(e->orphans, (e->orphans_len + 1) * sizeof(az_node));
			az_node *o = &e->orphans[e->orphans_len++];
			memset(o, 0, sizeof(*o));
			o->kind = k;
			o->id = az_xstrdup(id);
			o->live = json_deep_copy(item);
			o->state = AZ_NODE_PRESENT;
			o->marker = m;
		}
	}
	json_decref(known);
}

az_node *az_engine_orphan(az_engine *e, const az_plan_item *it)
{
	return &e->orphans[it->resource - e->len];
}
