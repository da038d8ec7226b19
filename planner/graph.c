/*
 * graph.c - the dependency graph of a stack.
 *
 * Edges come from four places: metadata.dependsOn; ${ref.Kind.name...}
 * expressions anywhere in a spec (a role assignment's principalId that is a
 * workspace's identity); parents (a Spark pool needs its workspace, a
 * resource its resource group when the stack declares it); and Synapse
 * artifact references (`referenceName` of a PipelineReference,
 * LinkedServiceReference ...), since Synapse rejects an artifact whose
 * references do not exist yet. Cycles are errors that name the cycle.
 *
 * An online endpoint's traffic names its deployments, each of which needs
 * the endpoint: that is no edge here (it would close a cycle with the
 * parent's) but an order apply gives the two writes (apply.c). What is
 * checked here is the map itself: shares that sum to 100, over
 * deployments the stack declares for that endpoint.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "graph.h"
#include "paths.h"

typedef struct index_entry {
	const char *address;
	size_t resource;
} index_entry;

struct az_stack_index {
	index_entry *entries; /* by address */
	size_t len;
	/* by "Kind\nworkspace\nazure name" (the name lowercased: Azure names
	 * are case-insensitive; the workspace as workspace_key gives it, ""
	 * outside one), so a reference finds its target in its own workspace
	 * in one search. */
	index_entry *by_name;
	size_t by_name_len;
};

static char *name_key(const char *kind, const char *workspace, const char *name)
{
	char *lower = az_lowercase(name);
	char *key = az_xasprintf("%s\n%s\n%s", kind, workspace ? workspace : "", lower);
	free(lower);
	return key;
}

static const az_resource *find_in(const az_stack *st, const char *address);

/* The workspace `ws` as `r` names it, for the by-name index: in a
 * component instance that declares it, "instance/ws", so that the pools,
 * rules and artifacts of two instances of one component (each naming its
 * own "synapse") never meet; otherwise `ws` as written. NULL when `ws`
 * is. Needs the by-address index. */
static char *workspace_key(const az_stack *st, const az_resource *r, const char *ws)
{
	if (!ws)
		return NULL;
	const char *instance = r->manifest ? r->manifest->instance : NULL;
	if (instance) {
		char *address = az_xasprintf("%s/SynapseWorkspace/%s", instance, ws);
		bool own = find_in(st, address) != NULL;
		free(address);
		if (own)
			return az_xasprintf("%s/%s", instance, ws);
	}
	return az_xstrdup(ws);
}

/* The workspace a resource's spec names, as workspace_key gives it. */
static char *workspace_of(const az_stack *st, const az_resource *r)
{
	return workspace_key(st, r,
			     json_string_value(json_object_get(
				 json_object_get(r->manifest->body, "spec"), "workspace")));
}

static int entry_cmp(const void *a, const void *b)
{
	const index_entry *x = a, *y = b;
	int c = strcmp(x->address, y->address);
	if (c)
		return c;
	return (x->resource > y->resource) - (x->resource < y->resource);
}

static void build_index(az_stack *st)
{
	struct az_stack_index *ix = az_xcalloc(1, sizeof(*ix));
	ix->entries = az_xcalloc(st->len, sizeof(index_entry));
	for (size_t i = 0; i < st->len; i++)
		if (st->resources[i].address)
			ix->entries[ix->len++] = (index_entry){st->resources[i].address, i};
	qsort(ix->entries, ix->len, sizeof(index_entry), entry_cmp);
	st->index = ix;
	ix->by_name = az_xcalloc(st->len, sizeof(index_entry));
	for (size_t i = 0; i < st->len; i++) {
		const az_resource *r = &st->resources[i];
		if (!r->kind || !r->azure_name)
			continue;
		char *ws = workspace_of(st, r);
		ix->by_name[ix->by_name_len++] =
			(index_entry){name_key(r->kind->name, ws, r->azure_name), i};
		free(ws);
	}
	qsort(ix->by_name, ix->by_name_len, sizeof(index_entry), entry_cmp);
}

/* Calls fn for every resource of `kind` in `workspace` (NULL: outside
 * any) whose Azure name is `name`. */
static void for_each_named(az_stack *st, const char *kind, const char *workspace, const char *name,
			   void (*fn)(az_stack *, az_resource *, const az_resource *, const void *),
			   az_resource *from, const void *ud)
{
	struct az_stack_index *ix = st->index;
	char *key = name_key(kind, workspace, name);
	size_t lo = 0, hi = ix->by_name_len;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(ix->by_name[mid].address, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < ix->by_name_len && strcmp(ix->by_name[lo].address, key) == 0; lo++)
		fn(st, from, &st->resources[ix->by_name[lo].resource], ud);
	free(key);
}

/* Calls fn for every resource of `kind` in `workspace`. */
static void for_each_in_workspace(az_stack *st, const char *kind, const char *workspace,
				  void (*fn)(az_stack *, az_resource *, const az_resource *,
					     const void *),
				  az_resource *from)
{
	struct az_stack_index *ix = st->index;
	char *prefix = name_key(kind, workspace, "");
	size_t len = strlen(prefix), lo = 0, hi = ix->by_name_len;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(ix->by_name[mid].address, prefix) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < ix->by_name_len && strncmp(ix->by_name[lo].address, prefix, len) == 0; lo++)
		fn(st, from, &st->resources[ix->by_name[lo].resource], NULL);
	free(prefix);
}

void az_stack_index_free(struct az_stack_index *index)
{
	if (!index)
		return;
	for (size_t i = 0; i < index->by_name_len; i++)
		free((char *)(uintptr_t)index->by_name[i].address);
	free(index->by_name);
	free(index->entries);
	free(index);
}

static const az_resource *find_in(const az_stack *st, const char *address)
{
	const struct az_stack_index *ix = st->index;
	size_t lo = 0, hi = ix->len;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(address, ix->entries[mid].address);
		if (c == 0) {
			/* The first of equal addresses: duplicates were reported. */
			while (mid > 0 && strcmp(address, ix->entries[mid - 1].address) == 0)
				mid--;
			return &st->resources[ix->entries[mid].resource];
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

const az_resource *az_stack_find(const az_stack *stack, const char *address)
{
	if (stack->index)
		return find_in(stack, address);
	for (size_t i = 0; i < stack->len; i++)
		if (stack->resources[i].address && strcmp(stack->resources[i].address, address) == 0)
			return &stack->resources[i];
	return NULL;
}

const az_resource *az_stack_find_from(const az_stack *stack, const az_resource *from,
                                      const char *address)
{
	const char *instance = from && from->manifest ? from->manifest->instance : NULL;
	if (instance) {
		char *scoped = az_xasprintf("%s/%s", instance, address);
		const az_resource *r = az_stack_find(stack, scoped);
		free(scoped);
		if (r)
			return r;
	}
	return az_stack_find(stack, address);
}

static void add_edge(az_stack *st, az_resource *from, const az_resource *to)
{
	size_t target = (size_t)(to - st->resources);
	if (to == from)
		return;
	for (size_t i = 0; i < from->deps_len; i++)
		if (from->deps[i] == target)
			return;
	from->deps = az_xrealloc(from->deps, (from->deps_len + 1) * sizeof(size_t));
	from->deps[from->deps_len++] = target;
}

static void add_edge_cb(az_stack *st, az_resource *from, const az_resource *to, const void *ud)
{
	(void)ud;
	add_edge(st, from, to);
}

/* A "did you mean" over the addresses of one kind (or of all kinds). */
static const char *suggest_address(const az_stack *st, const char *kind, const char *address)
{
	const char **names = az_xcalloc(st->len ? st->len : 1, sizeof(char *));
	size_t n = 0;
	size_t klen = kind ? strlen(kind) : 0;
	for (size_t i = 0; i < st->len; i++) {
		const char *a = st->resources[i].address;
		if (a && (!kind || (strncmp(a, kind, klen) == 0 && a[klen] == '/')))
			names[n++] = a;
	}
	const char *hint = az_suggest(address, names, n);
	free(names);
	return hint;
}

static void report_missing(const az_stack *st, az_diags *d, const az_resource *r,
			   const az_pos *pos, const char *what, const char *kind,
			   const char *address)
{
	az_diag *diag = az_diag_add(d, AZ_SEV_ERROR, pos, r->address,
				    "%s '%s' is not declared in this stack", what, address);
	const char *hint = suggest_address(st, kind, address);
	if (hint)
		az_diag_set_detail(diag, "did you mean '%s'?", hint);
	else
		az_diag_set_detail(diag, "declare a %s named '%s', or fix the reference",
				   kind ? kind : "resource", strchr(address, '/') ? strchr(address, '/') + 1 : address);
}

static void link_depends_on(az_stack *st, az_resource *r, az_diags *d)
{
	json_t *deps = json_object_get(json_object_get(r->manifest->body, "metadata"), "dependsOn");
	size_t i;
	json_t *v;
	json_array_foreach(deps, i, v) {
		const char *address = json_string_value(v);
		if (!address)
			continue; /* the schema reported it */
		const az_resource *to = az_stack_find_from(st, r, address);
		char *pointer = az_xasprintf("/metadata/dependsOn/%zu", i);
		/* add_edge drops a self-edge (a reference into the resource's own
		 * body is fine), so a dependsOn on itself passed unnoticed. */
		if (to == r) {
			char q[AZ_QUOTE_SIZE];
			const az_pos *at = az_manifest_pos(r->manifest, pointer);
			az_diag *diag = az_diag_add(d, AZ_SEV_ERROR, at, r->address,
						    "%s depends on itself", az_quote(q, r->address));
			az_diag_set_detail(diag, "remove it from metadata.dependsOn: a resource "
						 "needs no ordering against itself");
		} else if (to) {
			add_edge(st, r, to);
		} else {
			report_missing(st, d, r, az_manifest_pos(r->manifest, pointer), "dependsOn",
				       NULL, address);
		}
		free(pointer);
	}
}

static bool is_azure_id(const char *s)
{
	return strncasecmp(s, "/subscriptions/", 15) == 0 || strncasecmp(s, "/providers/", 11) == 0;
}

/* Only a workspace made with a managed virtual network has managed
 * private endpoints, and managedVirtualNetwork is set at its creation
 * alone: an endpoint in a workspace that declares none cannot be made, and
 * is said here rather than by the data plane's 404 at apply. A workspace
 * only read (metadata.existing) or whose value is an expression is taken
 * at its word. */
static void check_managed_vnet(const az_resource *r, const az_resource *ws, const char *pointer,
			       az_diags *d)
{
	if (strcmp(r->kind->name, "ManagedPrivateEndpoint") || ws->existing)
		return;
	const json_t *vnet = json_object_get(
		json_object_get(json_object_get(ws->manifest->body, "spec"), "properties"),
		"managedVirtualNetwork");
	const char *v = json_string_value(vnet);
	if (v && (strstr(v, "${") || !strcasecmp(v, "default")))
		return;
	az_diag *diag = az_diag_add(d, AZ_SEV_ERROR, az_manifest_pos(r->manifest, pointer),
				    r->address, "%s has no managed virtual network, where managed "
				    "private endpoints live", ws->address);
	az_diag_set_detail(diag, "a workspace has one only when it is created with "
				 "properties.managedVirtualNetwork: default");
}

static void link_parent(az_stack *st, az_resource *r, az_diags *d)
{
	json_t *spec = json_object_get(r->manifest->body, "spec");
	if (r->kind->scope == AZ_SCOPE_PARENT) {
		const char *parent = json_string_value(json_object_get(spec, r->kind->parent_field));
		if (!parent || is_azure_id(parent) || strstr(parent, "${"))
			return; /* schema error, an existing resource, or a ref */
		char *address = az_xasprintf("%s/%s", r->kind->parent_kind, parent);
		const az_resource *to = az_stack_find_from(st, r, address);
		char *pointer = az_xasprintf("/spec/%s", r->kind->parent_field);
		if (to) {
			add_edge(st, r, to);
			check_managed_vnet(r, to, pointer, d);
		} else {
			az_diag *diag = az_diag_add(d, AZ_SEV_ERROR, az_manifest_pos(r->manifest, pointer),
						    r->address, "%s '%s' is not declared in this stack",
						    r->kind->parent_kind, parent);
			const char *hint = suggest_address(st, r->kind->parent_kind, address);
			if (hint)
				az_diag_set_detail(diag, "did you mean '%s'?", strchr(hint, '/') + 1);
			else
				az_diag_set_detail(diag,
						   "spec.%s names the metadata.name of a %s manifest, "
						   "or the full Azure id of an existing one",
						   r->kind->parent_field, r->kind->parent_kind);
		}
		free(pointer);
		free(address);
	}
	/* A service principal is made for its application (spec.application,
	 * the metadata.name of an EntraApplication): it needs the appId. */
	const char *app = json_string_value(json_object_get(spec, "application"));
	if (strcmp(r->kind->name, "ServicePrincipal") == 0 && app && !strstr(app, "${")) {
		char *address = az_xasprintf("EntraApplication/%s", app);
		const az_resource *to = az_stack_find_from(st, r, address);
		if (to)
			add_edge(st, r, to);
		else
			az_diag_add(d, AZ_SEV_ERROR, az_manifest_pos(r->manifest, "/spec/application"),
				    r->address, "EntraApplication '%s' is not declared in this stack",
				    app);
		free(address);
	}
	/* A resource group declared in the stack is created first; one that is
	 * not declared already exists (or the plan will say it does not). */
	const char *rg = json_string_value(json_object_get(spec, "resourceGroup"));
	if (rg && !strstr(rg, "${"))
		for_each_named(st, "ResourceGroup", NULL, rg, add_edge_cb, r, NULL);
}

/* Walks every string of a JSON value, with its JSON Pointer. */
typedef void (*string_fn)(az_stack *st, az_resource *r, const char *pointer, const char *value,
			  az_diags *d);

static void walk_strings(az_stack *st, az_resource *r, json_t *v, az_buf *pointer, string_fn fn,
			 az_diags *d)
{
	size_t mark = pointer->len;
	if (json_is_string(v)) {
		fn(st, r, pointer->data ? pointer->data : "", json_string_value(v), d);
	} else if (json_is_object(v)) {
		const char *key;
		json_t *child;
		json_object_foreach(v, key, child) {
			az_pointer_push(pointer, key);
			walk_strings(st, r, child, pointer, fn, d);
			az_buf_truncate(pointer, mark);
		}
	} else if (json_is_array(v)) {
		size_t i;
		json_t *child;
		json_array_foreach(v, i, child) {
			az_pointer_push_index(pointer, i);
			walk_strings(st, r, child, pointer, fn, d);
			az_buf_truncate(pointer, mark);
		}
	}
}

static void link_refs_in_string(az_stack *st, az_resource *r, const char *pointer,
				const char *value, az_diags *d)
{
	if (!strstr(value, "${ref."))
		return;
	const az_pos *pos = az_manifest_pos(r->manifest, pointer);
	az_template *t = NULL;
	/* Syntax errors were reported when variables were resolved. */
	az_diags scratch = AZ_DIAGS_INIT;
	int rc = az_template_parse(&t, value, pos, &scratch);
	az_diags_clear(&scratch);
	if (rc != 0 || !t)
		goto done;
	/* Once per string, not per reference: 100k references in one value
	 * took 4.5 s rescanning it. */
	bool one_line = !strchr(value, '\n');
	for (size_t i = 0; i < t->len; i++) {
		const az_part *p = &t->parts[i];
		if (p->type != AZ_PART_REF)
			continue;
		az_pos at = *pos;
		if (one_line && at.col > 0)
			at.col += (int)p->offset;
		if (!az_kind_find(p->ref_kind)) {
			az_diag *diag = az_diag_add(d, AZ_SEV_ERROR, &at, r->address,
						    "reference to unknown kind '%s'", p->ref_kind);
			size_t count;
			const az_kind *const *kinds = az_kinds(&count);
			const char **names = az_xcalloc(count, sizeof(char *));
			for (size_t k = 0; k < count; k++)
				names[k] = kinds[k]->name;
			const char *hint = az_suggest(p->ref_kind, names, count);
			if (hint)
				az_diag_set_detail(diag, "did you mean '%s'?", hint);
			free(names);
			continue;
		}
		char *address = az_ref_address(p);
		const az_resource *to = az_stack_find(st, address);
		if (to)
			add_edge(st, r, to);
		else
			report_missing(st, d, r, &at, "reference to", p->ref_kind, address);
		free(address);
	}
done:
	az_template_free(t);
}

/* Synapse artifacts name each other by `referenceName` with a typed
 * reference; the target must be deployed first. */
static const char *reference_kind(const char *type)
{
	static const struct {
		const char *type, *kind;
	} map[] = {
		{"LinkedServiceReference", "LinkedService"}, {"DatasetReference", "Dataset"},
		{"PipelineReference", "Pipeline"},           {"NotebookReference", "Notebook"},
		{"SqlScriptReference", "SqlScript"},         {"BigDataPoolReference", "SparkPool"},
		{"DataFlowReference", "DataFlow"},
		{"SparkJobDefinitionReference", "SparkJobDefinition"},
		{"CredentialReference", "Credential"},
		{"IntegrationRuntimeReference", "IntegrationRuntime"},
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(type, map[i].type) == 0)
			return map[i].kind;
	return NULL;
}

/* Edges from every {referenceName, type} below `v` to what it names. A
 * reference binds only within its own workspace: `workspace` is the
 * by-name index's key for it (workspace_key), so the search finds nothing
 * in another workspace or another component instance's. */
static void link_artifact_refs(az_stack *st, az_resource *r, json_t *v, const char *workspace)
{
	if (json_is_object(v)) {
		const char *type = json_string_value(json_object_get(v, "type"));
		const char *name = json_string_value(json_object_get(v, "referenceName"));
		const char *kind = type && name ? reference_kind(type) : NULL;
		if (kind)
			for_each_named(st, kind, workspace, name, add_edge_cb, r, NULL);
		const char *key;
		json_t *child;
		json_object_foreach(v, key, child) link_artifact_refs(st, r, child, workspace);
	} else if (json_is_array(v)) {
		size_t i;
		json_t *child;
		json_array_foreach(v, i, child) link_artifact_refs(st, r, child, workspace);
	}
}

/* Iterative depth-first search: white = 0, grey = 1 (on the path),
 * black = 2. A grey target closes a cycle; the path on the stack names it. */
static void report_cycles(az_stack *st, az_diags *d)
{
	unsigned char *color = az_xcalloc(st->len ? st->len : 1, 1);
	size_t *path = az_xcalloc(st->len ? st->len : 1, sizeof(size_t));
	size_t *next = az_xcalloc(st->len ? st->len : 1, sizeof(size_t));
	for (size_t root = 0; root < st->len; root++) {
		if (color[root])
			continue;
		size_t depth = 0;
		path[depth] = root;
		next[depth] = 0;
		color[root] = 1;
		depth++;
		while (depth > 0) {
			size_t at = path[depth - 1];
			az_resource *r = &st->resources[at];
			if (next[depth - 1] == r->deps_len) {
				color[at] = 2;
				depth--;
				continue;
			}
			size_t to = r->deps[next[depth - 1]++];
			if (color[to] == 0) {
				color[to] = 1;
				path[depth] = to;
				next[depth] = 0;
				depth++;
			} else if (color[to] == 1) {
				size_t start = depth - 1;
				while (path[start] != to)
					start--;
				az_buf cycle = AZ_BUF_INIT;
				for (size_t k = start; k < depth; k++)
					az_buf_printf(&cycle, "%s -> ", st->resources[path[k]].address);
				az_buf_puts(&cycle, st->resources[to].address);
				const az_resource *first = &st->resources[to];
				az_diag *diag = az_diag_add(d, AZ_SEV_ERROR,
							    az_manifest_pos(first->manifest, "/metadata/name"),
							    first->address, "dependency cycle: %s",
							    cycle.data);
				az_diag_set_detail(diag, "break the cycle by removing one of these "
							 "dependencies (dependsOn, ${ref...} or a parent)");
				az_buf_free(&cycle);
				/* Cut the edge so the rest of the graph is still checked. */
				r->deps[--next[depth - 1]] = r->deps[--r->deps_len];
			}
		}
	}
	free(color);
	free(path);
	free(next);
}

/* The child of `parent` (kind->routes_to) a route names, by Azure name;
 * NULL when the stack declares none. */
static const az_resource *routed_child(const az_stack *st, const az_resource *parent,
				       const char *name)
{
	for (size_t i = 0; i < st->len; i++) {
		const az_resource *c = &st->resources[i];
		if (!c->kind || strcmp(c->kind->name, parent->kind->routes_to) != 0 || !c->azure_name ||
		    strcasecmp(c->azure_name, name) != 0)
			continue;
		const char *of = json_string_value(json_object_get(
			json_object_get(c->manifest->body, "spec"), c->kind->parent_field));
		if (!of)
			continue;
		char *address = az_xasprintf("%s/%s", c->kind->parent_kind, of);
		const az_resource *p = az_stack_find_from(st, c, address);
		free(address);
		if (p == parent)
			return c;
	}
	return NULL;
}

/* A resource's routes (an online endpoint's traffic): whole shares that
 * sum to 100, or none at all, each naming a child the stack declares for
 * it. Azure refuses either mistake only when the write is sent, after
 * the deployments before it have taken their minutes. */
static void check_routes(az_stack *st, az_resource *r, az_diags *d)
{
	json_t *spec = json_object_get(r->manifest->body, "spec");
	const json_t *routes = az_json_at(spec, r->kind->routes_path);
	if (!json_is_object(routes) || json_object_size(routes) == 0)
		return;
	char *base = az_xasprintf("/spec/%s", r->kind->routes_path);
	for (char *c = base; *c; c++)
		if (*c == '.')
			*c = '/';
	const char *name;
	json_t *share;
	json_int_t sum = 0;
	bool known = true;
	json_object_foreach((json_t *)(uintptr_t)routes, name, share) {
		if (json_is_integer(share))
			sum += json_integer_value(share);
		else
			known = false; /* the schema's, or a ${...} */
		if (strstr(name, "${") || routed_child(st, r, name))
			continue;
		char *pointer = az_xasprintf("%s/%s", base, name);
		az_diag *diag = az_diag_add(d, AZ_SEV_ERROR, az_manifest_pos(r->manifest, pointer),
					    r->address, "spec.%s names %s '%s', which this stack does not "
					    "declare for %s", r->kind->routes_path, r->kind->routes_to, name,
					    r->address);
		const char **names = az_xcalloc(st->len ? st->len : 1, sizeof(char *));
		size_t n = 0;
		for (size_t i = 0; i < st->len; i++)
			if (st->resources[i].azure_name &&
			    routed_child(st, r, st->resources[i].azure_name) == &st->resources[i])
				names[n++] = st->resources[i].azure_name;
		const char *hint = az_suggest(name, names, n);
		free(names);
		if (hint)
			az_diag_set_detail(diag, "did you mean '%s'?", hint);
		else
			az_diag_set_detail(diag, "declare a %s with spec.%s: %s and name %s, or "
					   "remove '%s' from the traffic",
					   r->kind->routes_to,
					   az_kind_find(r->kind->routes_to)->parent_field,
					   strchr(r->address, '/') + 1, name, name);
		free(pointer);
	}
	if (known && sum != 100) {
		az_diag *diag = az_diag_add(d, AZ_SEV_ERROR, az_manifest_pos(r->manifest, base),
					    r->address, "the shares of spec.%s sum to %lld, not 100",
					    r->kind->routes_path, (long long)sum);
		az_diag_set_detail(diag, "give the deployments shares that add up to 100 (0 for "
					 "one that takes no traffic yet), or leave the map empty "
					 "for an endpoint that takes none");
	}
	free(base);
}

void az_stack_link(az_stack *st, az_diags *d)
{
	build_index(st);
	az_buf pointer = AZ_BUF_INIT;
	for (size_t i = 0; i < st->len; i++) {
		az_resource *r = &st->resources[i];
		if (!r->address)
			continue;
		link_depends_on(st, r, d);
		if (!r->kind)
			continue;
		link_parent(st, r, d);
		json_t *spec = json_object_get(r->manifest->body, "spec");
		az_buf_truncate(&pointer, 0);
		az_buf_puts(&pointer, "/spec");
		walk_strings(st, r, spec, &pointer, link_refs_in_string, d);
		char *ws = workspace_of(st, r);
		if (r->kind->provider == AZ_PROVIDER_SYNAPSE && ws)
			link_artifact_refs(st, r, json_object_get(spec, "properties"), ws);
		/* A workspace's data plane refuses a client no firewall rule
		 * admits (403 ClientIpAddressNotAuthorized): what lives there
		 * is written after the rules and deleted before them. */
		if (az_kind_on_workspace_host(r->kind) && ws)
			for_each_in_workspace(st, "SynapseFirewallRule", ws, add_edge_cb, r);
		free(ws);
	}
	az_buf_free(&pointer);
	for (size_t i = 0; i < st->len; i++)
		if (st->resources[i].address && st->resources[i].kind &&
		    st->resources[i].kind->routes_path)
			check_routes(st, &st->resources[i], d);
	report_cycles(st, d);
}

int az_stack_order(const az_stack *st, size_t **order_out)
{
	*order_out = NULL;
	size_t *order = az_xcalloc(st->len ? st->len : 1, sizeof(size_t));
	unsigned char *color = az_xcalloc(st->len ? st->len : 1, 1);
	size_t *path = az_xcalloc(st->len ? st->len : 1, sizeof(size_t));
	size_t *next = az_xcalloc(st->len ? st->len : 1, sizeof(size_t));
	size_t n = 0;
	int rc = 0;
	/* Post-order DFS from each resource in manifest order: a resource is
	 * emitted once everything it depends on has been. */
	for (size_t root = 0; root < st->len && rc == 0; root++) {
		if (color[root])
			continue;
		size_t depth = 1;
		path[0] = root;
		next[0] = 0;
		color[root] = 1;
		while (depth > 0) {
			size_t at = path[depth - 1];
			const az_resource *r = &st->resources[at];
			if (next[depth - 1] == r->deps_len) {
				color[at] = 2;
				order[n++] = at;
				depth--;
				continue;
			}
			size_t to = r->deps[next[depth - 1]++];
			if (color[to] == 1) {
				rc = AZ_EINVALID;
				break;
			}
			if (color[to] == 0) {
				color[to] = 1;
				path[depth] = to;
				next[depth] = 0;
				depth++;
			}
		}
	}
	free(color);
	free(path);
	free(next);
	if (rc) {
		free(order);
		return rc;
	}
	*order_out = order;
	return 0;
}
