/*
 * stack.c - from a tree of manifests to a checked stack of resources.
 *
 * The order of the checks matters for the messages users see: variables
 * are substituted before the schema check (a whole-string ${var.X} takes
 * the variable's type, so `nodeCount: ${var.nodes}` is checked as the
 * integer it becomes), values that hold ${ref...} are only known at apply
 * time and pass the schema untouched, and names and references are checked
 * last, on resources whose shape is already known to be right.
 */
#include <azapply/planner.h>
#include <azapply/names.h>
#include <azapply/schema.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arm_resource.h"
#include "roles.h"
#include "graph.h"

static const char *process_getenv(const char *name, void *ud)
{
	(void)ud;
	return getenv(name);
}

/* Strings holding ${ref...} are resolved by the planner, possibly only at
 * apply time; what they will hold cannot be checked now. */
static bool value_is_unknown(const json_t *value, void *ud)
{
	(void)ud;
	return json_is_string(value) && strstr(json_string_value(value), "${ref.") != NULL;
}

static void report_schema_errors(az_diags *d, az_severity sev, const az_srcmap *map,
				 const az_pos *fallback, const char *address,
				 const az_schema_errors *errs)
{
	for (size_t i = 0; i < errs->len; i++) {
		const az_schema_error *e = &errs->items[i];
		const az_pos *pos = map ? az_srcmap_get(map, e->pointer) : fallback;
		/* A second line (the permissible names) is the detail. */
		const char *nl = strchr(e->message, '\n');
		int len = nl ? (int)(nl - e->message) : (int)strlen(e->message);
		az_diag *diag = az_diag_add(d, sev, pos, address, "%s%s%.*s", e->pointer,
					    *e->pointer ? ": " : "", len, e->message);
		if (nl)
			az_diag_set_detail(diag, "%s", nl + 1);
	}
}

/* An existing resource (metadata.existing) is only read: of its spec only
 * what names it in Azure is required, the rest describes a body azapply
 * never sends. Drops the other "required" errors under /spec. */
static void keep_identity_required(az_schema_errors *errs, const az_kind *kind)
{
	size_t kept = 0;
	for (size_t i = 0; i < errs->len; i++) {
		az_schema_error *e = &errs->items[i];
		bool drop = false;
		if (!strcmp(e->keyword, "required") && !strncmp(e->pointer, "/spec", 5)) {
			const char *q = strchr(e->message, '\'');
			const char *q2 = q ? strchr(q + 1, '\'') : NULL;
			size_t n = q2 ? (size_t)(q2 - q - 1) : 0;
			static const char *const identity[] = {"name", "resourceGroup", "subscription",
							       "parentRef"};
			drop = true;
			if (!e->pointer[5] && q2) {
				for (size_t j = 0; j < sizeof(identity) / sizeof(*identity); j++)
					if (strlen(identity[j]) == n && !memcmp(identity[j], q + 1, n))
						drop = false;
				if (kind && kind->parent_field && strlen(kind->parent_field) == n &&
				    !memcmp(kind->parent_field, q + 1, n))
					drop = false;
			}
		}
		if (drop) {
			free(e->pointer);
			free(e->keyword);
			free(e->message);
			continue;
		}
		errs->items[kept++] = *e;
	}
	errs->len = kept;
}

/* Errors, and warnings for what Azure would accept but ignore or read
 * otherwise (an unknown property, an enum in another case, an unknown
 * region): validate --strict makes those fail. */
static void check_schema(az_diags *d, const az_schema *schema, json_t *body,
			 const az_srcmap *map, const az_pos *fallback, const char *address,
			 bool existing, const az_kind *kind)
{
	az_schema_errors errs = {0}, warns = {0};
	az_schema_check(schema, body, value_is_unknown, NULL, &errs, &warns);
	if (existing)
		keep_identity_required(&errs, kind);
	report_schema_errors(d, AZ_SEV_ERROR, map, fallback, address, &errs);
	report_schema_errors(d, AZ_SEV_WARNING, map, fallback, address, &warns);
	az_schema_errors_clear(&errs);
	az_schema_errors_clear(&warns);
}

static void check_project(az_stack *st, az_diags *d)
{
	az_project *p = &st->set->project;
	if (!p->present)
		return;
	const az_schema *schema = az_schema_builtin("project", d);
	if (!schema)
		return;
	az_pos fallback = {p->file, 1, 1};
	check_schema(d, schema, p->body, p->map, &fallback, NULL, false, NULL);
}

static void report_unknown_kind(az_diags *d, const az_manifest *m)
{
	size_t count;
	const az_kind *const *kinds = az_kinds(&count);
	const char **names = az_xcalloc(count, sizeof(*names));
	for (size_t i = 0; i < count; i++)
		names[i] = kinds[i]->name;
	const char *hint = az_suggest(m->kind, names, count);
	az_diag *diag = az_diag_add(d, AZ_SEV_ERROR, az_manifest_pos(m, "/kind"), m->address,
				    "unknown kind '%s'", m->kind);
	if (hint) {
		az_diag_set_detail(diag, "did you mean '%s'?", hint);
	} else {
		az_buf list = AZ_BUF_INIT;
		for (size_t i = 0; i < count; i++)
			az_buf_printf(&list, "%s%s", i ? ", " : "", names[i]);
		az_diag_set_detail(diag, "known kinds: %s", list.data);
		az_buf_free(&list);
	}
	free(names);
}

/* Checks one document against its kind's schema (the whole document:
 * envelope and spec), or against the envelope alone when the kind is
 * missing. Returns the kind when it is known. */
static const az_kind *check_document(az_manifest *m, az_diags *d, bool existing)
{
	const az_kind *kind = m->kind ? az_kind_find(m->kind) : NULL;
	if (m->kind && !kind) {
		report_unknown_kind(d, m);
		return NULL;
	}
	const az_schema *schema = az_schema_builtin(kind ? kind->name : "manifest", d);
	if (!schema)
		return kind;
	check_schema(d, schema, m->body, m->map, &m->pos, m->address, existing, kind);
	return kind;
}

static void check_name(const az_resource *r, az_diags *d)
{
	if (!r->kind || !r->azure_name || strstr(r->azure_name, "${"))
		return;
	char *why = NULL;
	if (az_name_valid(r->kind, r->azure_name, &why))
		return;
	json_t *spec = json_object_get(r->manifest->body, "spec");
	const char *where = json_is_string(json_object_get(spec, "name")) ? "/spec/name"
									  : "/metadata/name";
	az_diag *diag = az_diag_add(d, AZ_SEV_ERROR, az_manifest_pos(r->manifest, where), r->address,
				    "%s", why);
	az_diag_set_detail(diag, "rename it in %s", where[1] == 's' ? "spec.name" : "metadata.name");
	free(why);
}

/* A role given by name must be a built-in role of its kind of assignment:
 * a typo or a custom role's name fails here, offline, at the name, instead
 * of at plan. Ids and ${...} values are Azure's to judge. */
static void check_role(const az_resource *r, az_diags *d)
{
	if (!r->kind)
		return;
	bool arm = strcmp(r->kind->name, "RoleAssignment") == 0;
	if (!arm && strcmp(r->kind->name, "SynapseRoleAssignment") != 0)
		return;
	json_t *spec = json_object_get(r->manifest->body, "spec");
	const char *role = json_string_value(json_object_get(spec, "role"));
	if (!role || !az_role_is_name(role, arm))
		return;
	char *fix;
	char *problem = arm ? az_role_problem(&az_arm_roles, &az_synapse_roles, role, &fix)
			    : az_role_problem(&az_synapse_roles, &az_arm_roles, role, &fix);
	if (!problem)
		return;
	az_diag *diag = az_diag_add(d, AZ_SEV_ERROR, az_manifest_pos(r->manifest, "/spec/role"),
				    r->address, "%s", problem);
	az_diag_set_detail(diag, "%s", fix);
	free(problem);
	free(fix);
}

/* An ML datastore is declared identity-based only (credentials:
 * {credentialsType: None}): an account key, SAS token, client secret or
 * certificate in its manifest would live in git, and Azure ML hands it to
 * anyone who may list the workspace's secrets. Refused here, at the
 * credentials, with the way to do without. */
static void check_datastore_credentials(const az_resource *r, az_diags *d)
{
	if (!r->kind || strcmp(r->kind->name, "MlDatastore") != 0)
		return;
	json_t *spec = json_object_get(r->manifest->body, "spec");
	json_t *creds = json_object_get(json_object_get(spec, "properties"), "credentials");
	if (!json_is_object(creds))
		return;
	const char *type = json_string_value(json_object_get(creds, "credentialsType"));
	bool secrets = json_object_get(creds, "secrets") != NULL;
	/* Without a type the schema has said what is missing. */
	if (!secrets && (!type || !strcasecmp(type, "None")))
		return;
	const char *where = secrets ? "/spec/properties/credentials/secrets"
				    : "/spec/properties/credentials/credentialsType";
	az_diag *diag = az_diag_add(
		d, AZ_SEV_ERROR, az_manifest_pos(r->manifest, where), r->address,
		"MlDatastore takes no secrets: %s%s would keep a key, token or secret in the "
		"manifest",
		secrets ? "credentials.secrets" : "credentialsType ", secrets ? "" : type);
	az_diag_set_detail(diag, "set credentials: {credentialsType: None} and let identities "
				 "reach the data: grant the workspace's managed identity "
				 "(serviceDataAccessAuthIdentity: WorkspaceSystemAssignedIdentity) "
				 "or the users a data role on the storage account (Storage Blob Data "
				 "Reader or Contributor) with a RoleAssignment");
}

/* Sorting helpers for duplicate detection: O(n log n) so a 10,000-resource
 * stack stays fast. */
typedef struct keyed {
	char *key;
	size_t index;
} keyed;

static int keyed_cmp(const void *a, const void *b)
{
	const keyed *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	if (c)
		return c;
	return (x->index > y->index) - (x->index < y->index);
}

static bool same_address(const az_resource *a, const az_resource *b)
{
	return a->address && b->address && strcmp(a->address, b->address) == 0;
}

/* Reports every key after the first of its run. `skip_same_address` leaves
 * out pairs already reported as duplicate addresses. */
static void report_duplicates(az_stack *st, keyed *keys, size_t n, const char *what,
			      const char *pointer, bool skip_same_address, az_diags *d)
{
	qsort(keys, n, sizeof(*keys), keyed_cmp);
	for (size_t i = 1; i < n; i++) {
		if (strcmp(keys[i].key, keys[i - 1].key) != 0)
			continue;
		size_t first = i - 1;
		while (first > 0 && strcmp(keys[first - 1].key, keys[i].key) == 0)
			first--;
		const az_resource *a = &st->resources[keys[first].index];
		const az_resource *b = &st->resources[keys[i].index];
		if (skip_same_address && same_address(a, b))
			continue;
		const az_pos *pa = az_manifest_pos(a->manifest, pointer);
		az_diag *diag = az_diag_add(d, AZ_SEV_ERROR, az_manifest_pos(b->manifest, pointer),
					    b->address, "%s", what);
		if (a->manifest->instance && b->manifest->instance &&
		    strcmp(a->manifest->instance, b->manifest->instance))
			/* One line of one component, two instances. */
			az_diag_set_detail(diag,
					   "component instances '%s' and '%s' give it the same "
					   "Azure name (%s); put ${component.name} or an input in "
					   "the name",
					   a->manifest->instance, b->manifest->instance, a->address);
		else
			az_diag_set_detail(diag,
					   "first declared at %s:%d:%d; give one of them another name",
					   pa->file, pa->line, pa->col);
	}
	for (size_t i = 0; i < n; i++)
		free(keys[i].key);
}

/* The scope part of a resource's identity: what makes two equal names two
 * different Azure resources. A parent named by its manifest stands for
 * that manifest's own identity: the pool "spark" of two component
 * instances lives in two workspaces both written `workspace: synapse`. */
static char *identity_key(const az_stack *st, const az_resource *r, json_t *by_address,
                          int depth);

static char *scope_key(const az_stack *st, const az_resource *r, json_t *by_address, int depth)
{
	json_t *spec = json_object_get(r->manifest->body, "spec");
	const char *field = NULL;
	switch (r->kind->scope) {
	case AZ_SCOPE_RESOURCE_GROUP: field = "resourceGroup"; break;
	case AZ_SCOPE_PARENT: field = r->kind->parent_field; break;
	case AZ_SCOPE_ANY: field = "scope"; break;
	case AZ_SCOPE_SUBSCRIPTION:
	case AZ_SCOPE_TENANT: return az_xstrdup("");
	}
	const char *v = json_string_value(json_object_get(spec, field));
	if (!v)
		return az_xstrdup("");
	if (r->kind->scope == AZ_SCOPE_PARENT && r->kind->parent_kind && depth < 4 && v[0] != '/') {
		json_t *slot = NULL;
		if (r->manifest->instance) {
			char *scoped = az_xasprintf("%s/%s/%s", r->manifest->instance,
			                            r->kind->parent_kind, v);
			slot = json_object_get(by_address, scoped);
			free(scoped);
		}
		if (!slot) {
			char *address = az_xasprintf("%s/%s", r->kind->parent_kind, v);
			slot = json_object_get(by_address, address);
			free(address);
		}
		const az_resource *parent =
		    slot ? &st->resources[json_integer_value(slot)] : NULL;
		if (parent && parent->kind && parent->azure_name)
			return identity_key(st, parent, by_address, depth + 1);
	}
	return az_xstrdup(v);
}

static char *identity_key(const az_stack *st, const az_resource *r, json_t *by_address, int depth)
{
	char *scope = scope_key(st, r, by_address, depth);
	char *lower = az_lowercase(r->azure_name);
	char *key = az_xasprintf("%s|%s|%s", r->kind->generic ? r->kind->type : r->kind->name,
	                         scope, lower);
	free(scope);
	free(lower);
	return key;
}

static void check_duplicates(az_stack *st, az_diags *d)
{
	keyed *by_address = az_xcalloc(st->len, sizeof(keyed));
	keyed *by_identity = az_xcalloc(st->len, sizeof(keyed));
	json_t *addresses = json_object();
	size_t na = 0, ni = 0;
	for (size_t i = 0; i < st->len; i++)
		if (st->resources[i].address)
			json_object_set_new(addresses, st->resources[i].address,
			                    json_integer((json_int_t)i));
	for (size_t i = 0; i < st->len; i++) {
		const az_resource *r = &st->resources[i];
		if (r->address)
			by_address[na++] = (keyed){az_xstrdup(r->address), i};
		/* Role assignments are named by a hash of what they grant, so two
		 * manifests granting the same thing collide there instead. */
		/* An ArmResource is its type: two types may share a name.
		 * Existing resources are only read: each component instance may
		 * declare the same shared vault. */
		if (r->kind && r->azure_name && (r->kind->scope != AZ_SCOPE_ANY || r->kind->generic) &&
		    !r->existing)
			by_identity[ni++] = (keyed){identity_key(st, r, addresses, 0), i};
	}
	json_decref(addresses);
	report_duplicates(st, by_address, na, "duplicate resource address", "/metadata/name", false,
			  d);
	report_duplicates(st, by_identity, ni,
			  "two manifests declare the same Azure resource (same kind, scope and name)",
			  "/spec/name", true, d);
	free(by_address);
	free(by_identity);
}

static void build_resources(az_stack *st, az_diags *d)
{
	st->len = st->set->len;
	st->resources = az_xcalloc(st->len, sizeof(*st->resources));
	for (size_t i = 0; i < st->len; i++) {
		az_resource *r = &st->resources[i];
		r->manifest = &st->set->items[i];
		r->existing = json_is_true(json_object_get(
		    json_object_get(r->manifest->body, "metadata"), "existing"));
		r->kind = check_document(r->manifest, d, r->existing);
		if (r->kind && r->kind->generic)
			r->kind = az_arm_resource_kind(r->manifest, r->kind, d);
		r->address = r->manifest->address;
		json_t *spec = json_object_get(r->manifest->body, "spec");
		const char *name = json_string_value(json_object_get(spec, "name"));
		if (!name || !r->kind || r->kind->provider == AZ_PROVIDER_GRAPH ||
		    (r->kind->scope == AZ_SCOPE_ANY && !r->kind->generic) ||
		    r->kind->provider == AZ_PROVIDER_SYNAPSE_RBAC)
			name = r->manifest->name;
		r->azure_name = name ? az_xstrdup(name) : NULL;
		check_name(r, d);
		check_role(r, d);
		check_datastore_credentials(r, d);
	}
	check_duplicates(st, d);
}

/* A problem in a forEach instance is written at its template's line,
 * which every instance shares: say which key it is in. */
static void name_each_keys(const az_stack *st, az_diags *d, size_t from)
{
	bool any = false;
	for (size_t i = 0; i < st->set->len && !any; i++)
		any = st->set->items[i].each_key != NULL;
	for (size_t i = from; any && i < d->len; i++) {
		az_diag *dg = &d->items[i];
		if (!dg->address)
			continue;
		const az_manifest *m = NULL;
		for (size_t j = 0; j < st->set->len && !m; j++)
			if (st->set->items[j].each_key && st->set->items[j].address &&
			    !strcmp(st->set->items[j].address, dg->address))
				m = &st->set->items[j];
		if (!m || strstr(dg->summary, "forEach key"))
			continue;
		char *detail = dg->detail ? az_xasprintf("%s (forEach key '%s')", dg->detail,
		                                         m->each_key)
		                          : az_xasprintf("forEach key '%s'", m->each_key);
		az_diag_set_detail(dg, "%s", detail);
		free(detail);
	}
}

int az_stack_load(az_stack **out, const az_file_source *src, const az_stack_options *opts,
		  az_diags *d)
{
	static const az_stack_options no_options = {0};
	if (!opts)
		opts = &no_options;
	size_t errors_before = az_diags_errors(d), diags_before = d->len;
	az_stack *st = az_xcalloc(1, sizeof(*st));
	st->env = opts->env ? az_xstrdup(opts->env) : NULL;

	int loaded = az_manifests_load(&st->set, src,
				       opts->limits ? opts->limits : &AZ_LOAD_LIMITS_DEFAULT, d);
	/* Nothing loaded and the loader said why (the folder above a stack):
	 * "unknown environment" on top would only bury it. */
	if (!st->set || (loaded && !st->set->len && !st->set->project.present))
		goto done;
	check_project(st, d);
	az_manifests_resolve_vars(st->set, opts->env,
				  opts->getenv_fn ? opts->getenv_fn : process_getenv,
				  opts->getenv_fn ? opts->getenv_ud : NULL, d);
	build_resources(st, d);
	az_stack_link(st, d);
	name_each_keys(st, d, diags_before);

done:
	*out = st;
	return az_diags_errors(d) > errors_before ? AZ_EINVALID : 0;
}

void az_stack_free(az_stack *stack)
{
	if (!stack)
		return;
	for (size_t i = 0; i < stack->len; i++) {
		free(stack->resources[i].azure_name);
		free(stack->resources[i].deps);
	}
	free(stack->resources);
	az_stack_index_free(stack->index);
	az_manifest_set_free(stack->set);
	free(stack->env);
	free(stack);
}

void az_planner_release(void)
{
	az_schema_builtin_release();
	az_names_release();
}
