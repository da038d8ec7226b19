/*
 * component.c - reusable components: a folder of manifests instantiated
 * several times from a stack.
 *
 * A platform team runs the same Synapse + Azure ML platform for every data
 * team (issue 17). A component is a folder holding a `component.yaml`
 * (its declared inputs and outputs) and manifests; a stack instantiates it
 * with a manifest of kind Component:
 *
 *   kind: Component
 *   metadata: {name: team-a}
 *   spec: {source: components/team-platform, inputs: {team: a}}
 *
 * An instance's resources are addressed "team-a/SparkPool/spark", so two
 * instances never share an address, a marker, a --target or a line of a
 * plan. Inside the component, ${input.NAME} is an input's value and
 * ${component.name} the instance's name (what makes Azure names differ per
 * instance); every ${ref.Kind.name} written there names a resource of the
 * same instance and is rewritten "${ref.team-a/Kind.name}". Nothing else
 * crosses the boundary: a component sees the stack only through its inputs
 * (${var}, ${env} and another instance's outputs are refused inside it),
 * and the stack sees an instance only through its declared outputs,
 * ${component.team-a.outputs.NAME}, replaced here by the output's
 * expression. Names that are not references (spec.workspace, dependsOn)
 * are looked up in the instance first, then in the stack (graph.c).
 *
 * spec.source may pin the component to a commit of the stack's repository
 * instead, {git: REF, path: PATH}: a team keeps the platform version it was
 * reviewed against while the platform's folder moves on (issue 17). The
 * loader cannot reach git, so the file source carries a hook that opens
 * PATH at REF as a source of its own (set by planner/git); its files are
 * shown "REF:PATH/file.yaml", and the commit REF named is recorded in the
 * set's pins for the plan's provenance.
 *
 * Folders are read when the stack is loaded (a folder holding
 * component.yaml is never part of the stack itself); instances are made in
 * az_manifests_resolve_vars, once the call site's own ${var} and forEach
 * are resolved, so an instance per key and per-environment inputs work.
 * Instance manifests keep their component file's positions; inputs are
 * checked at the call site.
 */
#include "manifest_int.h"

#include <stdlib.h>
#include <string.h>

#define COMPONENT_FILE "component.yaml"
/* Outputs may pass another instance's output on through an input; deeper
 * than this is a cycle. */
#define MAX_OUTPUT_DEPTH 16

typedef struct az_mf_component {
	/* What names it in messages and finds it for an instance: its folder
	 * relative to the stack's root (no trailing '/'), or "REF:PATH" for
	 * a source pinned to a commit. */
	char *folder;
	char *commit;      /* pinned: the commit REF named; NULL otherwise */
	json_t *decl;      /* component.yaml: inputs, outputs (an object) */
	az_srcmap *map;    /* positions in component.yaml */
	az_manifest *items; /* the manifests as written */
	size_t len;
} az_mf_component;

struct az_mf_components {
	az_mf_component *items;
	size_t len;
	/* instance -> {output -> template string}, filled when instantiating */
	json_t *outputs;
};

static const char *const INPUT_TYPES[] = {"string", "integer", "number", "boolean",
                                          "list",   "map",     "any"};
#define N_INPUT_TYPES (sizeof(INPUT_TYPES) / sizeof(INPUT_TYPES[0]))

void az_mf_components_free(struct az_mf_components *cs)
{
	if (!cs)
		return;
	for (size_t i = 0; i < cs->len; i++) {
		az_mf_component *c = &cs->items[i];
		free(c->folder);
		free(c->commit);
		json_decref(c->decl);
		az_srcmap_free(c->map);
		for (size_t j = 0; j < c->len; j++)
			az_mf_manifest_clear(&c->items[j]);
		free(c->items);
	}
	free(cs->items);
	json_decref(cs->outputs);
	free(cs);
}

/* The folder of `rel` ("" at the root). */
static char *folder_of(const char *rel)
{
	const char *slash = strrchr(rel, '/');
	return slash ? az_xstrndup(rel, (size_t)(slash - rel)) : az_xstrdup("");
}

static bool is_below(const char *path, const char *folder)
{
	size_t n = strlen(folder);
	return !n || (!strncmp(path, folder, n) && path[n] == '/');
}

json_t *az_mf_component_folders(char **paths, size_t npaths)
{
	static const char SUFFIX[] = "/" COMPONENT_FILE;
	const size_t n = sizeof(SUFFIX) - 1;
	json_t *folders = json_object();
	for (size_t i = 0; i < npaths; i++) {
		size_t len = strlen(paths[i]);
		if (len > n && !strcmp(paths[i] + len - n, SUFFIX)) {
			char *folder = az_xstrndup(paths[i], len - n);
			json_object_set_new(folders, folder, json_true());
			free(folder);
		}
	}
	return folders;
}

/* The deepest folder of `folders` holding `rel`, or NULL; borrowed from
 * the object's keys through `buf` (caller frees *buf). */
static const char *owning_folder(json_t *folders, const char *rel, char **buf)
{
	*buf = NULL;
	if (!json_object_size(folders))
		return NULL;
	char *dir = folder_of(rel);
	while (*dir) {
		if (json_object_get(folders, dir)) {
			*buf = dir;
			return dir;
		}
		char *slash = strrchr(dir, '/');
		if (!slash)
			break;
		*slash = '\0';
	}
	free(dir);
	return NULL;
}

bool az_mf_is_component_file(json_t *folders, const char *rel)
{
	char *buf;
	bool found = owning_folder(folders, rel, &buf) != NULL;
	free(buf);
	return found;
}

static const char *input_type(json_t *spec)
{
	const char *t = json_string_value(json_object_get(spec, "type"));
	for (size_t i = 0; t && i < N_INPUT_TYPES; i++)
		if (!strcmp(t, INPUT_TYPES[i]))
			return INPUT_TYPES[i];
	return NULL;
}

/* A value that is only known once references are resolved passes any
 * type: it is checked where it is used. */
static bool value_is_deferred(json_t *v)
{
	const char *s = json_string_value(v);
	return s && (strstr(s, "${ref.") || strstr(s, "${component."));
}

static bool type_matches(const char *type, json_t *v)
{
	if (!strcmp(type, "any") || value_is_deferred(v))
		return true;
	if (!strcmp(type, "string"))
		return json_is_string(v);
	if (!strcmp(type, "integer"))
		return json_is_integer(v);
	if (!strcmp(type, "number"))
		return json_is_number(v);
	if (!strcmp(type, "boolean"))
		return json_is_boolean(v);
	if (!strcmp(type, "list"))
		return json_is_array(v);
	return json_is_object(v); /* map */
}

/* "a string", "an integer", "any value": for messages. */
static const char *a_type(const char *type)
{
	if (!type)
		return "a value";
	if (!strcmp(type, "integer"))
		return "an integer";
	if (!strcmp(type, "any"))
		return "any value";
	if (!strcmp(type, "string"))
		return "a string";
	if (!strcmp(type, "number"))
		return "a number";
	if (!strcmp(type, "boolean"))
		return "a boolean";
	return !strcmp(type, "list") ? "a list" : "a map";
}

static const char *type_name_of(json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "a map";
	case JSON_ARRAY: return "a list";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	case JSON_NULL: return "null";
	}
	return "a value";
}

/* Checks component.yaml's own shape: what an instance relies on. */
static int check_decl(az_mf_component *c, const char *shown, az_diags *d)
{
	int error = 0;
	az_pos top = {shown, 1, 1};
	if (!json_is_object(c->decl)) {
		az_diag *dg = az_diag_add(d, AZ_SEV_ERROR, &top, NULL, "%s",
		                          COMPONENT_FILE " must be a mapping");
		az_diag_set_detail(dg, "%s", "write inputs: {NAME: {type: string}} and outputs: "
		                             "{NAME: {value: ${ref.Kind.name.id}}}");
		json_decref(c->decl);
		c->decl = json_object();
		return AZ_EINVALID;
	}
	const char *key;
	json_t *v;
	json_object_foreach(c->decl, key, v)
	{
		if (!strcmp(key, "inputs") || !strcmp(key, "outputs") || !strcmp(key, "description"))
			continue;
		az_buf ptr = AZ_BUF_INIT;
		az_mf_ptr_push(&ptr, key, strlen(key));
		az_pos at = az_mf_key_pos(c->map, ptr.data);
		az_buf_free(&ptr);
		char qk[AZ_QUOTE_SIZE];
		az_diag *dg = az_diag_add(d, AZ_SEV_ERROR, &at, NULL,
		                          "unknown key '%s' in " COMPONENT_FILE, az_quote(qk, key));
		az_diag_set_detail(dg, "%s", "a component declares inputs, outputs and a description");
		error = AZ_EINVALID;
	}
	json_t *inputs = json_object_get(c->decl, "inputs");
	if (inputs && !json_is_object(inputs)) {
		az_diag_add(d, AZ_SEV_ERROR, az_srcmap_get(c->map, "/inputs"), NULL, "%s",
		            "inputs must be a mapping of input names");
		json_object_del(c->decl, "inputs");
		return AZ_EINVALID;
	}
	az_buf ptr = AZ_BUF_INIT;
	json_object_foreach(inputs, key, v)
	{
		az_buf_truncate(&ptr, 0);
		az_buf_puts(&ptr, "/inputs");
		az_mf_ptr_push(&ptr, key, strlen(key));
		char qk[AZ_QUOTE_SIZE];
		const az_pos *at = az_srcmap_get(c->map, ptr.data);
		const char *type = input_type(v);
		if (!az_mf_plain_name(key)) {
			az_pos kp = az_mf_key_pos(c->map, ptr.data);
			az_diag_add(d, AZ_SEV_ERROR, &kp, NULL,
			            "input name '%s' has characters a name cannot hold (letters, "
			            "digits, '-' and '_')",
			            az_quote(qk, key));
			error = AZ_EINVALID;
		} else if (!json_is_object(v) || !type) {
			az_diag *dg = az_diag_add(d, AZ_SEV_ERROR, at, NULL,
			                          "input '%s' declares no known type", az_quote(qk, key));
			az_diag_set_detail(dg, "%s",
			                   "write type: string, integer, number, boolean, list, map "
			                   "or any");
			error = AZ_EINVALID;
		} else if (json_object_get(v, "default") &&
		           !type_matches(type, json_object_get(v, "default"))) {
			az_buf_puts(&ptr, "/default");
			az_diag_add(d, AZ_SEV_ERROR, az_srcmap_get(c->map, ptr.data), NULL,
			            "the default of input '%s' is %s, not %s", qk,
			            type_name_of(json_object_get(v, "default")), a_type(type));
			error = AZ_EINVALID;
		}
	}
	az_buf_free(&ptr);
	json_t *outputs = json_object_get(c->decl, "outputs");
	if (outputs && !json_is_object(outputs)) {
		az_diag_add(d, AZ_SEV_ERROR, az_srcmap_get(c->map, "/outputs"), NULL, "%s",
		            "outputs must be a mapping of output names");
		json_object_del(c->decl, "outputs");
		error = AZ_EINVALID;
	}
	return error;
}

/* The component already read under `key`, or -1. */
static long find_component(const struct az_mf_components *cs, const char *key)
{
	for (size_t i = 0; i < cs->len; i++)
		if (!strcmp(cs->items[i].folder, key))
			return (long)i;
	return -1;
}

/* Reads the component in `folder` of `src` ("" for its root) into the
 * set's list under `key`; returns its index, or -1 when the folder holds
 * no component.yaml. */
static long load_component(az_manifest_set *set, const az_file_source *src, char **paths,
                           size_t npaths, json_t *folders, const char *key, const char *folder,
                           const az_load_limits *limits, size_t *files, az_diags *d)
{
	struct az_mf_components *cs = set->components;
	if (!json_object_get(folders, folder))
		return -1;
	char *decl_rel = *folder ? az_xasprintf("%s/" COMPONENT_FILE, folder)
	                         : az_xstrdup(COMPONENT_FILE);
	cs->items = az_xrealloc(cs->items, (cs->len + 1) * sizeof(*cs->items));
	az_mf_component *c = &cs->items[cs->len];
	memset(c, 0, sizeof(*c));
	c->folder = az_xstrdup(key);
	long index = (long)cs->len++;

	az_mf_parsed f;
	if (!az_mf_read_parse(set, src, decl_rel, limits, &f, d)) {
		for (size_t i = 0; i < f.n; i++) {
			if (!c->decl && !json_is_null(f.docs[i])) {
				c->decl = f.docs[i];
				c->map = f.maps[i];
				continue;
			}
			json_decref(f.docs[i]);
			az_srcmap_free(f.maps[i]);
		}
		free(f.docs);
		free(f.maps);
	}
	if (!c->decl) {
		c->decl = json_object();
		c->map = az_srcmap_new();
	}
	if (f.shown)
		check_decl(c, f.shown, d);
	free(decl_rel);

	/* Its manifests: every YAML file below the folder that no deeper
	 * component.yaml claims. They are loaded as the stack's are, then
	 * moved out of the set. */
	size_t before = set->len;
	for (size_t i = 0; i < npaths; i++) {
		const char *rel = paths[i];
		const char *base = strrchr(rel, '/');
		base = base ? base + 1 : rel;
		if (!is_below(rel, folder) || !strcmp(base, COMPONENT_FILE) ||
		    !az_mf_is_manifest_path(rel))
			continue;
		char *buf;
		const char *owner = owning_folder(folders, rel, &buf);
		bool nested = owner && strcmp(owner, folder);
		free(buf);
		if (nested)
			continue;
		if (++*files > limits->max_files)
			break;
		az_mf_load_manifest_file(set, src, rel, limits, d);
	}
	c = &cs->items[index];
	c->len = set->len - before;
	c->items = az_xcalloc(c->len ? c->len : 1, sizeof(*c->items));
	memcpy(c->items, set->items + before, c->len * sizeof(*c->items));
	set->len = before;
	for (size_t i = 0; i < c->len; i++) {
		if (c->items[i].kind && !strcmp(c->items[i].kind, "Component")) {
			az_diag *dg = az_diag_add(d, AZ_SEV_ERROR, &c->items[i].pos, c->items[i].address,
			                          "%s", "a component cannot instantiate a component");
			az_diag_set_detail(dg, "%s",
			                   "instantiate both from the stack and pass one's outputs "
			                   "to the other as inputs");
		}
	}
	return index;
}

/* Where a Component manifest's spec.source points: a folder of the
 * stack's own tree (a string), or a folder of a commit of the stack's
 * repository ({git: REF, path: PATH}, issue 17: a team pins the platform
 * version it was reviewed against while the platform's folder moves on). */
typedef struct comp_source {
	char *key;       /* the folder relative to the root, or "REF:PATH" */
	const char *ref; /* pinned: REF, borrowed from the body; NULL otherwise */
	char *path;      /* pinned: PATH from the repository's root, "" for it */
} comp_source;

static void comp_source_clear(comp_source *cs)
{
	free(cs->key);
	free(cs->path);
	memset(cs, 0, sizeof(*cs));
}

static bool plain_text(json_t *v)
{
	const char *s = json_string_value(v);
	return s && *s && !az_string_has_expr(s);
}

static const char PINNED_EXAMPLE[] = "write source: {git: v1.2.0, path: components/NAME}: a "
                                     "commit, tag or branch of the stack's repository and the "
                                     "folder holding " COMPONENT_FILE " from its root";

static bool folder_source(comp_source *out, const az_manifest *m, const char *source,
                          az_diags *d)
{
	const az_pos *at = az_manifest_pos(m, "/spec/source");
	char *joined = az_mf_join_inside(m->file, source);
	if (!joined) {
		char qs[AZ_QUOTE_SIZE];
		az_diag *dg = az_diag_add(d, AZ_SEV_ERROR, at, m->address,
		                          "component source '%s' leaves the stack's folder",
		                          az_quote(qs, source));
		az_diag_set_detail(dg, "%s",
		                   "keep components inside the stack's folder (a folder holding "
		                   COMPONENT_FILE " is not part of the stack itself), or pin one "
		                   "from the repository with source: {git: REF, path: PATH}");
		return false;
	}
	out->key = joined;
	return true;
}

static bool pinned_source(comp_source *out, const az_manifest *m, json_t *source, az_diags *d)
{
	bool ok = true;
	const char *key;
	json_t *v;
	json_object_foreach(source, key, v)
	{
		if (!strcmp(key, "git") || !strcmp(key, "path"))
			continue;
		az_pos at = az_mf_member_key_pos(m->map, "/spec/source", key);
		char qk[AZ_QUOTE_SIZE];
		az_diag *dg = az_diag_add(d, AZ_SEV_ERROR, &at, m->address,
		                          "unknown key '%s' in spec.source", az_quote(qk, key));
		az_diag_set_detail(dg, "%s", PINNED_EXAMPLE);
		ok = false;
	}
	json_t *ref = json_object_get(source, "git");
	json_t *path = json_object_get(source, "path");
	if (!plain_text(ref)) {
		az_diag *dg = az_diag_add(d, AZ_SEV_ERROR,
		                          az_manifest_pos(m, ref ? "/spec/source/git" : "/spec/source"),
		                          m->address, "%s",
		                          ref ? "spec.source.git must name a commit, tag or branch "
		                                "(no expressions)"
		                              : "a pinned spec.source needs git: REF");
		az_diag_set_detail(dg, "%s", PINNED_EXAMPLE);
		ok = false;
	}
	if (!plain_text(path)) {
		az_diag *dg = az_diag_add(d, AZ_SEV_ERROR,
		                          az_manifest_pos(m, path ? "/spec/source/path"
		                                                  : "/spec/source"),
		                          m->address, "%s",
		                          path ? "spec.source.path must be a plain path"
		                               : "a pinned spec.source needs path: PATH");
		az_diag_set_detail(dg, "%s", PINNED_EXAMPLE);
		ok = false;
	}
	if (!ok)
		return false;
	const char *p = json_string_value(path);
	char *norm = p[0] == '/' ? NULL : az_mf_join_inside("", p);
	if (!norm) {
		char qp[AZ_QUOTE_SIZE];
		az_diag *dg = az_diag_add(d, AZ_SEV_ERROR, az_manifest_pos(m, "/spec/source/path"),
		                          m->address, "component path '%s' leaves the repository",
		                          az_quote(qp, p));
		az_diag_set_detail(dg, "%s",
		                   "a pinned path is read from the commit's tree: write it from the "
		                   "repository's root, e.g. path: components/team-platform");
		return false;
	}
	out->ref = json_string_value(ref);
	out->path = norm;
	out->key = az_xasprintf("%s:%s", out->ref, *norm ? norm : ".");
	return true;
}

/* Reads spec.source of Component manifest `m`; false after reporting. */
static bool source_of(comp_source *out, const az_manifest *m, az_diags *d)
{
	json_t *source = json_object_get(json_object_get(m->body, "spec"), "source");
	memset(out, 0, sizeof(*out));
	if (json_is_object(source))
		return pinned_source(out, m, source, d);
	if (plain_text(source))
		return folder_source(out, m, json_string_value(source), d);
	az_diag *dg = az_diag_add(d, AZ_SEV_ERROR, az_manifest_pos(m, "/spec/source"), m->address,
	                          "%s",
	                          source ? "spec.source of a Component must be a plain path or "
	                                   "{git: REF, path: PATH}"
	                                 : "a Component needs spec.source");
	az_diag_set_detail(dg, "%s",
	                   "write source: ../components/NAME, the folder holding " COMPONENT_FILE
	                   ", relative to this file; or source: {git: REF, path: components/NAME} "
	                   "for that folder at a commit, tag or branch of the stack's repository");
	return false;
}

static void no_component_file(const az_manifest *m, const char *key, az_diags *d)
{
	char qs[AZ_QUOTE_SIZE];
	az_diag *dg = az_diag_add(d, AZ_SEV_ERROR, az_manifest_pos(m, "/spec/source"), NULL,
	                          "no " COMPONENT_FILE " in '%s'", az_quote(qs, *key ? key : "."));
	az_diag_set_detail(dg, "%s",
	                   "spec.source names a folder holding " COMPONENT_FILE
	                   " (its inputs and outputs) and the component's manifests");
}

/* Gives the diagnostics from `first` on that have no position `at`: what
 * the git module says about a ref or a path belongs where it was written. */
static void place(az_diags *d, size_t first, const az_pos *at)
{
	for (size_t i = first; i < d->len; i++) {
		az_diag *x = &d->items[i];
		if (x->file || !at->file)
			continue;
		x->file = az_xstrdup(at->file);
		x->line = at->line;
		x->col = at->col;
	}
}

void az_pin_needs_repository(az_diags *d, const char *ref, const char *root)
{
	char qr[AZ_QUOTE_SIZE];
	az_diag *dg = az_diag_add(d, AZ_SEV_ERROR, NULL, NULL,
	                          "component source pinned to '%s' needs a git repository, "
	                          "and '%s' is not in one",
	                          az_quote(qr, ref), root);
	az_diag_set_detail(dg, "%s",
	                   "run azapply on the stack inside its git repository (or with "
	                   "--git-ref), or write source: PATH to read the component's folder "
	                   "from the stack's own files");
}

/* Reads the component `source` pins from its commit, once; its index, or
 * -1 after reporting. Its files show as "REF:PATH/file.yaml": the set's
 * root is the pinned source's while they are read. */
static long load_pinned(az_manifest_set *set, const az_file_source *src, const az_manifest *m,
                        const comp_source *source, const az_load_limits *limits, size_t *files,
                        az_diags *d)
{
	long index = find_component(set->components, source->key);
	if (index >= 0)
		return index;
	if (!src->open_revision) {
		size_t first = d->len;
		az_pin_needs_repository(d, source->ref, set->root[0] ? set->root : ".");
		place(d, first, az_manifest_pos(m, "/spec/source"));
		return -1;
	}
	az_file_source pinned = {0};
	char *commit = NULL, **paths = NULL;
	size_t npaths = 0, first = d->len;
	json_t *folders = NULL;
	int error = src->open_revision(src->revisions, &pinned, &commit, source->ref, source->path,
	                               d);
	if (error) {
		/* The ref's fault, the path's, or the source's: no repository. */
		place(d, first, az_manifest_pos(m, error == AZ_ENOTFOUND  ? "/spec/source/git"
		                                   : error == AZ_EINVALID ? "/spec/source/path"
		                                                          : "/spec/source"));
		return -1;
	}
	if (pinned.list(pinned.ctx, &paths, &npaths, d) != 0) {
		place(d, first, az_manifest_pos(m, "/spec/source"));
		goto done;
	}
	folders = az_mf_component_folders(paths, npaths);
	for (size_t i = 0; i < npaths; i++)
		if (!strcmp(paths[i], COMPONENT_FILE))
			json_object_set_new(folders, "", json_true());
	if (!json_object_get(folders, "")) {
		no_component_file(m, source->key, d);
		goto done;
	}
	char *root = set->root;
	set->root = az_xstrdup(pinned.display_root);
	index = load_component(set, &pinned, paths, npaths, folders, source->key, "", limits, files,
	                       d);
	free(set->root);
	set->root = root;
	/* Relative to the pinned folder, a file's path would name a file of
	 * the stack: its manifests go by their whole name. */
	az_mf_component *c = &set->components->items[index];
	for (size_t i = 0; i < c->len; i++)
		c->items[i].file = c->items[i].pos.file;
	json_object_set_new(set->pins, source->key, json_string(commit));
	c->commit = commit;
	commit = NULL;
done:
	for (size_t i = 0; i < npaths; i++)
		free(paths[i]);
	free(paths);
	json_decref(folders);
	free(commit);
	az_file_source_free(&pinned);
	return index;
}

int az_mf_components_load(az_manifest_set *set, const az_file_source *src, char **paths,
                          size_t npaths, json_t *folders, const az_load_limits *limits,
                          size_t *files, az_diags *d)
{
	int error = 0;
	set->components = az_xcalloc(1, sizeof(*set->components));
	set->components->outputs = json_object();
	for (size_t i = 0; i < set->len; i++) {
		const az_manifest *m = &set->items[i];
		if (!m->kind || strcmp(m->kind, "Component"))
			continue;
		size_t first = d->len;
		comp_source source;
		if (!source_of(&source, m, d)) {
			/* said */
		} else if (source.ref) {
			load_pinned(set, src, m, &source, limits, files, d);
		} else if (find_component(set->components, source.key) < 0 &&
		           load_component(set, src, paths, npaths, folders, source.key, source.key,
		                          limits, files, d) < 0) {
			no_component_file(&set->items[i], source.key, d);
		}
		/* Reading moves the set's items: `m` is stale from here. */
		az_diags_set_address(d, first, set->items[i].address);
		comp_source_clear(&source);
		if (az_diags_errors(d) && d->len > first)
			error = AZ_EINVALID;
	}
	if (*files > limits->max_files) {
		az_diag *dg = az_diag_add(d, AZ_SEV_ERROR, NULL, NULL,
		                          "the stack and its components hold more than %zu manifest "
		                          "files",
		                          limits->max_files);
		az_diag_set_detail(dg, "%s", "split the stack");
		error = AZ_EINVALID;
	}
	return error;
}

/* ---------------------------------------------------------------------
 * Instances.
 */

/* Whether every ${component...} an output's value (after the instance's
 * substitutions) still holds parses, reporting each that does not at the
 * output's declaration `at`: once the value is passed on, through another
 * output or an input, no position of component.yaml travels with it. */
static bool outputs_read_parse(const char *s, const az_pos *at, az_diags *d)
{
	bool ok = true;
	az_buf skipped = AZ_BUF_INIT;
	size_t i = 0;
	const char *close;
	while ((close = az_mf_next_expr(s, &i, "${component.", &skipped))) {
		size_t next = (size_t)(close - s) + 1;
		char *expr = az_xstrndup(s + i, next - i);
		az_template *t = NULL;
		ok &= az_mf_template_parse(&t, expr, at, false, d) == 0;
		az_template_free(t);
		free(expr);
		i = next;
	}
	az_buf_free(&skipped);
	return ok;
}

typedef struct inst_ctx {
	const char *instance;
	json_t *inputs;    /* name -> value, template syntax */
	json_t *sensitive; /* input names whose value came from ${env} */
	const az_mf_component *comp;
	const az_srcmap *map;
	az_manifest *target; /* receives sensitive pointers; NULL for outputs */
	az_diags *d;
	bool ok;
} inst_ctx;

static void put_scalar(az_buf *out, json_t *v)
{
	if (json_is_string(v))
		az_buf_add(out, json_string_value(v), json_string_length(v));
	else if (json_is_integer(v))
		az_buf_printf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_real(v))
		az_buf_printf(out, "%.17g", json_real_value(v));
	else if (json_is_boolean(v))
		az_buf_puts(out, json_is_true(v) ? "true" : "false");
}

static void refuse(inst_ctx *c, const az_pos *at, const char *summary, const char *detail)
{
	az_diag *dg = az_diag_add(c->d, AZ_SEV_ERROR, at, NULL, "%s", summary);
	az_diag_set_detail(dg, "%s", detail);
	c->ok = false;
}

/* The instance's value of one component string (template syntax, at
 * pointer ptr[0..len) of c->map); NULL when it does not change. */
static json_t *instance_string(inst_ctx *c, const char *s, const char *ptr, size_t ptr_len)
{
	if (!strstr(s, "${"))
		return NULL;
	az_mf_cursor cur;
	az_mf_string_cursor(&cur, c->map, ptr, ptr_len, s);
	az_buf out = AZ_BUF_INIT;
	json_t *whole = NULL;
	bool sensitive = false;
	size_t i = 0;
	const char *close;
	while ((close = az_mf_next_expr(s, &i, "${", &out))) {
		const char *e = s + i + 2;
		size_t len = (size_t)(close - e);
		az_pos at = az_mf_cursor_pos(&cur, i);
		size_t next = (size_t)(close - s) + 1;
		if (len > 4 && !memcmp(e, "ref.", 4)) {
			const char *dot = memchr(e + 4, '.', len - 4);
			const char *kind_end = dot ? dot : e + len;
			if (memchr(e + 4, '/', (size_t)(kind_end - (e + 4))))
				refuse(c, &at, "a reference names a component instance's resource",
				       "inside a component, ${ref.Kind.name} names a resource of the "
				       "same instance");
			az_buf_printf(&out, "${ref.%s/%.*s}", c->instance, (int)(len - 4), e + 4);
		} else if (len > 6 && !memcmp(e, "input.", 6)) {
			char *name = az_xstrndup(e + 6, len - 6);
			json_t *v = json_object_get(c->inputs, name);
			if (!v) {
				const char *hint = az_suggest_key(name, c->inputs);
				char qn[AZ_QUOTE_SIZE];
				az_diag *dg = az_diag_add(c->d, AZ_SEV_ERROR, &at, NULL,
				                          "unknown input '%s'", az_quote(qn, name));
				if (hint)
					az_diag_set_detail(dg, "did you mean '%s'?", hint);
				else
					az_diag_set_detail(dg, "%s",
					                   "declare it under inputs: in " COMPONENT_FILE);
				c->ok = false;
			} else {
				sensitive |= json_object_get(c->sensitive, name) != NULL;
				if (i == 0 && !s[next])
					whole = json_incref(v);
				else if (json_is_object(v) || json_is_array(v) || json_is_null(v))
					refuse(c, &at, "a map, list or null input cannot be part of a string",
					       "make ${input.NAME} the whole value, or pass a scalar");
				else
					put_scalar(&out, v);
			}
			free(name);
		} else if (len == 14 && !memcmp(e, "component.name", 14)) {
			az_buf_puts(&out, c->instance);
		} else if ((len > 4 && !memcmp(e, "var.", 4)) || (len > 4 && !memcmp(e, "env.", 4))) {
			refuse(c, &at, "a component cannot read the stack's variables or environment",
			       "declare an input in " COMPONENT_FILE " and pass ${var.X} or ${env.X} "
			       "to it at the call site");
		} else if (len > 10 && !memcmp(e, "component.", 10)) {
			refuse(c, &at, "a component cannot read another instance's outputs",
			       "declare an input and pass ${component.OTHER.outputs.NAME} to it at "
			       "the call site");
		} else {
			/* ${each...} and errors the template parser reports later. */
			az_buf_add(&out, s + i, next - i);
		}
		i = next;
	}
	json_t *result = NULL;
	if (c->ok)
		result = whole ? whole : json_stringn(out.data ? out.data : "", out.len);
	else
		json_decref(whole);
	if (result && sensitive && c->target)
		az_mf_add_sensitive(c->target, ptr, ptr_len);
	az_buf_free(&out);
	return result;
}

static json_t *instance_one(void *ud, json_t *s, const char *ptr, size_t len)
{
	return instance_string(ud, json_string_value(s), ptr, len);
}

/* The call site's inputs checked against the declaration, with defaults;
 * NULL after reporting. */
static json_t *call_inputs(const az_manifest *m, const az_mf_component *comp, json_t *sensitive,
                           az_diags *d)
{
	json_t *decl = json_object_get(comp->decl, "inputs");
	json_t *given = json_object_get(json_object_get(m->body, "spec"), "inputs");
	const az_pos *spec_at = az_manifest_pos(m, given ? "/spec/inputs" : "/spec");
	json_t *values = json_object();
	bool ok = true;
	az_buf ptr = AZ_BUF_INIT;
	const char *key;
	json_t *v;
	if (given && !json_is_object(given)) {
		az_diag *dg = az_diag_add(d, AZ_SEV_ERROR, spec_at, NULL, "%s",
		                          "spec.inputs must be a mapping of input names to values");
		az_diag_set_detail(dg, "%s", "write inputs: {NAME: value}");
		json_decref(values);
		return NULL;
	}
	json_object_foreach(given, key, v)
	{
		az_buf_truncate(&ptr, 0);
		az_buf_puts(&ptr, "/spec/inputs");
		az_mf_ptr_push(&ptr, key, strlen(key));
		json_t *spec = json_object_get(decl, key);
		char qk[AZ_QUOTE_SIZE];
		if (!spec) {
			az_pos at = az_mf_key_pos(m->map, ptr.data);
			const char *hint = az_suggest_key(key, decl);
			az_diag *dg = az_diag_add(d, AZ_SEV_ERROR, &at, NULL,
			                          "component '%s' has no input '%s'", comp->folder,
			                          az_quote(qk, key));
			if (hint)
				az_diag_set_detail(dg, "did you mean '%s'?", hint);
			else
				az_diag_set_detail(dg, "its inputs are declared in %s/" COMPONENT_FILE,
				                   comp->folder);
			ok = false;
			continue;
		}
		const char *type = input_type(spec);
		if (type && !type_matches(type, v)) {
			const char *desc = json_string_value(json_object_get(spec, "description"));
			az_diag *dg = az_diag_add(d, AZ_SEV_ERROR, az_manifest_pos(m, ptr.data), NULL,
			                          "input '%s' is %s, but component '%s' declares it %s",
			                          az_quote(qk, key), type_name_of(v), comp->folder,
			                          a_type(type));
			az_diag_set_detail(dg, "give spec.inputs.%s %s%s%s", qk, a_type(type),
			                   desc ? ": " : "", desc ? desc : "");
			ok = false;
			continue;
		}
		json_object_set(values, key, v);
		size_t i;
		json_t *p;
		json_array_foreach(m->sensitive, i, p)
		{
			const char *ps = json_string_value(p);
			if (!strncmp(ps, ptr.data, ptr.len) && (ps[ptr.len] == '\0' || ps[ptr.len] == '/'))
				json_object_set_new(sensitive, key, json_true());
		}
	}
	json_object_foreach(decl, key, v)
	{
		if (json_object_get(values, key) || json_object_get(given, key))
			continue;
		json_t *def = json_object_get(v, "default");
		if (def) {
			json_object_set_new(values, key, az_mf_escaped_copy(def));
			continue;
		}
		if (json_is_false(json_object_get(v, "required")))
			continue;
		char qk[AZ_QUOTE_SIZE];
		const char *type = input_type(v);
		const char *desc = json_string_value(json_object_get(v, "description"));
		az_diag *dg = az_diag_add(d, AZ_SEV_ERROR, spec_at, NULL,
		                          "missing required input '%s' of component '%s'",
		                          az_quote(qk, key), comp->folder);
		az_diag_set_detail(dg, "add spec.inputs.%s (%s%s%s)", qk, a_type(type),
		                   desc ? ": " : "", desc ? desc : "");
		ok = false;
	}
	az_buf_free(&ptr);
	if (!ok) {
		json_decref(values);
		return NULL;
	}
	return values;
}

/* Adds the manifests and outputs of instance `m` (the call site at index
 * `site` of the set). */
static void instantiate(az_manifest_set *set, size_t site, az_diags *d)
{
	az_manifest *m = &set->items[site];
	struct az_mf_components *cs = set->components;
	const char *instance = m->name;
	char qn[AZ_QUOTE_SIZE];
	if (!az_mf_plain_name(instance)) {
		az_diag *dg = az_diag_add(d, AZ_SEV_ERROR, az_manifest_pos(m, "/metadata/name"), NULL,
		                          "component instance name '%s' has characters a name "
		                          "cannot hold",
		                          az_quote(qn, instance ? instance : ""));
		az_diag_set_detail(dg, "%s", "instance names prefix addresses (team-a/SparkPool/spark): "
		                             "use letters, digits, '-' and '_'");
		return;
	}
	if (json_object_get(cs->outputs, instance)) {
		az_diag *dg = az_diag_add(d, AZ_SEV_ERROR, az_manifest_pos(m, "/metadata/name"), NULL,
		                          "component instance '%s' is declared twice",
		                          az_quote(qn, instance));
		az_diag_set_detail(dg, "%s", "give each instance its own metadata.name");
		return;
	}
	/* A source that could not be read was said when it was loaded; what
	 * reads the instance's outputs is not reported again. */
	az_diags quiet = AZ_DIAGS_INIT;
	comp_source source;
	long index = source_of(&source, m, &quiet) ? find_component(cs, source.key) : -1;
	comp_source_clear(&source);
	az_diags_clear(&quiet);
	if (index < 0) {
		json_object_set_new(cs->outputs, instance, json_null());
		return;
	}
	const az_mf_component *comp = &cs->items[index];
	json_t *sensitive = json_object();
	json_t *inputs = call_inputs(m, comp, sensitive, d);
	if (!inputs) {
		/* Said at the call site: what reads its outputs is not
		 * reported again. */
		json_object_set_new(cs->outputs, instance, json_null());
		json_decref(sensitive);
		return;
	}
	char *name = az_xstrdup(instance);
	json_t *outputs = json_object();
	json_object_set_new(cs->outputs, name, outputs);
	az_buf ptr = AZ_BUF_INIT;
	for (size_t i = 0; i < comp->len; i++) {
		const az_manifest *cm = &comp->items[i];
		size_t first = d->len;
		inst_ctx c = {.instance = name, .inputs = inputs, .sensitive = sensitive,
		              .comp = comp, .map = cm->map, .d = d, .ok = true};
		json_t *body = json_deep_copy(cm->body);
		az_manifest probe = {0};
		c.target = &probe;
		az_mf_walk_body(body, instance_one, &c);
		char *address = cm->address ? az_xasprintf("%s/%s", name, cm->address) : NULL;
		az_diags_set_address(d, first, address);
		free(address);
		if (!c.ok) {
			json_decref(body);
			json_decref(probe.sensitive);
			continue;
		}
		az_srcmap *map = az_srcmap_new();
		az_mf_map_copy(map, "", cm->map, "");
		az_manifest *im = az_mf_add_manifest(set);
		im->file = cm->file;
		im->doc = cm->doc;
		im->pos = cm->pos;
		im->body = body;
		im->map = map;
		im->sensitive = probe.sensitive;
		im->instance = az_xstrdup(name);
		im->pin = comp->commit;
		az_mf_refresh_identity(im);
	}
	json_t *declared = json_object_get(comp->decl, "outputs");
	const char *key;
	json_t *v;
	json_object_foreach(declared, key, v)
	{
		json_t *value = az_mf_output_expression(v, key, &ptr);
		if (!json_is_string(value) || !az_mf_plain_name(key)) {
			char qk[AZ_QUOTE_SIZE];
			az_diag *dg = az_diag_add(d, AZ_SEV_ERROR, az_srcmap_get(comp->map, ptr.data),
			                          NULL, "output '%s' is not a named expression",
			                          az_quote(qk, key));
			az_diag_set_detail(dg, "%s", "write outputs: {NAME: {value: ${ref.Kind.name.id}}} "
			                             "(NAME of letters, digits, '-' and '_')");
			continue;
		}
		inst_ctx c = {.instance = name, .inputs = inputs, .sensitive = sensitive,
		              .comp = comp, .map = comp->map, .d = d, .ok = true};
		az_manifest probe = {0};
		c.target = &probe;
		json_t *r = instance_string(&c, json_string_value(value), ptr.data, ptr.len);
		if (c.ok) {
			json_t *expr = r ? r : value;
			if (!outputs_read_parse(json_string_value(expr),
			                        az_srcmap_get(comp->map, ptr.data), d))
				expr = json_null();
			json_t *entry = json_pack("{s:O}", "value", expr);
			const char *desc = json_string_value(json_object_get(v, "description"));
			if (desc)
				json_object_set_new(entry, "description", json_string(desc));
			if (json_array_size(probe.sensitive))
				json_object_set_new(entry, "sensitive", json_true());
			json_object_set_new(outputs, key, entry);
		}
		json_decref(r);
		json_decref(probe.sensitive);
	}
	az_buf_free(&ptr);
	json_decref(inputs);
	json_decref(sensitive);
	free(name);
}

json_t *az_mf_output_expression(json_t *output, const char *name, az_buf *ptr)
{
	az_buf_truncate(ptr, 0);
	az_buf_puts(ptr, "/outputs");
	az_mf_ptr_push(ptr, name, strlen(name));
	if (!json_is_object(output))
		return output;
	az_buf_puts(ptr, "/value");
	return json_object_get(output, "value");
}

typedef struct out_ctx {
	struct az_mf_components *cs;
	const az_srcmap *map;
	az_manifest *target;
	az_diags *d;
	int depth;
	bool ok;
} out_ctx;

static json_t *output_string(out_ctx *c, const char *s, const char *ptr, size_t ptr_len,
                             const az_pos *read_at);

/* The value of ${component.INSTANCE.outputs.NAME} (template syntax, a new
 * reference), NULL after reporting. */
static json_t *output_value(out_ctx *c, const char *instance, const char *name, const az_pos *at,
                            bool *sensitive)
{
	json_t *outs = json_object_get(c->cs->outputs, instance);
	char qi[AZ_QUOTE_SIZE], qn[AZ_QUOTE_SIZE];
	if (json_is_null(outs))
		return NULL; /* the instance failed, and said why */
	az_quote(qi, instance);
	az_quote(qn, name);
	if (!outs) {
		const char *hint = az_suggest_key(instance, c->cs->outputs);
		az_diag *dg = az_diag_add(c->d, AZ_SEV_ERROR, at, NULL,
		                          "no component instance '%s'", qi);
		if (hint)
			az_diag_set_detail(dg, "did you mean '%s'?", hint);
		else
			az_diag_set_detail(dg, "%s", "instances are manifests of kind Component");
		return NULL;
	}
	json_t *entry = json_object_get(outs, name);
	if (!entry) {
		const char *hint = az_suggest_key(name, outs);
		az_diag *dg = az_diag_add(c->d, AZ_SEV_ERROR, at, NULL,
		                          "component instance '%s' has no output '%s'",
		                          qi, qn);
		if (hint)
			az_diag_set_detail(dg, "did you mean '%s'?", hint);
		else
			az_diag_set_detail(dg, "%s",
			                   "an instance is seen only through the outputs its "
			                   COMPONENT_FILE " declares");
		return NULL;
	}
	*sensitive |= json_is_true(json_object_get(entry, "sensitive"));
	json_t *v = json_object_get(entry, "value");
	if (json_is_null(v))
		return NULL; /* the output's expression is malformed, and was said so */
	if (!strstr(json_string_value(v), "${component."))
		return json_incref(v);
	if (c->depth >= MAX_OUTPUT_DEPTH) {
		az_diag_add(c->d, AZ_SEV_ERROR, at, NULL,
		            "outputs of component instances refer to each other in a cycle "
		            "(through '%s.%s')",
		            qi, qn);
		return NULL;
	}
	c->depth++;
	json_t *r = output_string(c, json_string_value(v), NULL, 0, at);
	c->depth--;
	return r;
}

/* `s` with every ${component...} replaced; NULL when it has none or after
 * reporting. `ptr` is where `s` is in c->map, or NULL for another output's
 * value: its instance's text holds no position of its own, so a problem in
 * it is reported at `read_at`, the expression that read that output (NULL
 * when none did: its expressions were checked when it was made). */
static json_t *output_string(out_ctx *c, const char *s, const char *ptr, size_t ptr_len,
                             const az_pos *read_at)
{
	if (!strstr(s, "${component."))
		return NULL;
	az_mf_cursor cur;
	static const az_pos nowhere = {0};
	if (ptr)
		az_mf_string_cursor(&cur, c->map, ptr, ptr_len, s);
	else
		az_mf_cursor_init(&cur, read_at ? read_at : &nowhere, false, s);
	az_buf out = AZ_BUF_INIT;
	json_t *whole = NULL;
	bool ok = true, sensitive = false;
	size_t i = 0;
	const char *close;
	while ((close = az_mf_next_expr(s, &i, "${component.", &out))) {
		az_pos at = az_mf_cursor_pos(&cur, i);
		size_t next = (size_t)(close - s) + 1;
		az_template *t = NULL;
		char *expr = az_xstrndup(s + i, next - i);
		json_t *v = NULL;
		if (!az_mf_template_parse(&t, expr, &at, cur.exact, c->d) && t->len == 1 &&
		    t->parts[0].type == AZ_PART_COMPONENT)
			v = output_value(c, t->parts[0].ref_instance, t->parts[0].ref_name, &at,
			                 &sensitive);
		az_template_free(t);
		free(expr);
		if (!v)
			ok = false;
		else if (i == 0 && !s[next])
			whole = json_incref(v);
		else
			az_buf_add(&out, json_string_value(v), json_string_length(v));
		json_decref(v);
		i = next;
	}
	json_t *result = NULL;
	if (ok)
		result = whole ? whole : json_stringn(out.data ? out.data : "", out.len);
	else
		json_decref(whole);
	if (!ok)
		c->ok = false;
	if (result && sensitive && c->target && ptr)
		az_mf_add_sensitive(c->target, ptr, ptr_len);
	az_buf_free(&out);
	return result;
}

static json_t *output_one(void *ud, json_t *s, const char *ptr, size_t len)
{
	return output_string(ud, json_string_value(s), ptr, len, NULL);
}

/* Replaces ${component...} in every string of `m`. */
static void replace_outputs(struct az_mf_components *cs, az_manifest *m, az_diags *d)
{
	out_ctx c = {.cs = cs, .map = m->map, .target = m, .d = d, .ok = true};
	size_t first = d->len;
	az_mf_walk_body(m->body, output_one, &c);
	az_diags_set_address(d, first, m->address);
}

bool az_mf_has_components(const az_manifest_set *set)
{
	for (size_t i = 0; i < set->len; i++)
		if (set->items[i].kind && !strcmp(set->items[i].kind, "Component"))
			return true;
	return false;
}

int az_mf_components_instantiate(az_manifest_set *set, az_diags *d)
{
	size_t errors = az_diags_errors(d);
	if (!set->components || !az_mf_has_components(set))
		return 0;
	size_t n = set->len;
	for (size_t i = 0; i < n; i++) {
		if (!set->items[i].kind || strcmp(set->items[i].kind, "Component"))
			continue;
		size_t first = d->len;
		instantiate(set, i, d);
		az_diags_set_address(d, first, set->items[i].address);
	}
	/* forEach inside a component, now that its inputs are known. */
	az_mf_foreach_expand(set, d);
	/* The call sites leave the set; their instances stay. */
	size_t kept = 0;
	for (size_t i = 0; i < set->len; i++) {
		az_manifest *m = &set->items[i];
		if (!m->instance && m->kind && !strcmp(m->kind, "Component")) {
			az_mf_manifest_clear(m);
			continue;
		}
		set->items[kept++] = *m;
	}
	set->len = kept;
	for (size_t i = 0; i < set->len; i++)
		replace_outputs(set->components, &set->items[i], d);
	return az_diags_errors(d) > errors ? AZ_EINVALID : 0;
}

json_t *az_mf_components_output_string(az_manifest_set *set, const az_srcmap *map,
                                       const char *s, const char *ptr, bool *sensitive,
                                       az_diags *d)
{
	if (!set->components)
		return NULL;
	az_manifest probe = {0};
	out_ctx c = {.cs = set->components, .map = map, .target = &probe, .d = d, .ok = true};
	json_t *r = output_string(&c, s, ptr, strlen(ptr), NULL);
	*sensitive |= json_array_size(probe.sensitive) > 0;
	json_decref(probe.sensitive);
	return r;
}

void az_mf_components_add_outputs(az_manifest_set *set, az_diags *d)
{
	if (!set->components)
		return;
	out_ctx c = {.cs = set->components, .d = d, .ok = true};
	const char *instance;
	json_t *outs;
	json_object_foreach(set->components->outputs, instance, outs)
	{
		const char *name;
		json_t *entry;
		json_object_foreach(outs, name, entry)
		{
			char *key = az_xasprintf("%s.%s", instance, name);
			json_t *copy = json_copy(entry);
			/* An output passed on from another instance's, through an
			 * input: positioned at the call site already reported. */
			const char *value = json_string_value(json_object_get(entry, "value"));
			if (value && strstr(value, "${component.")) {
				bool sensitive = false;
				json_t *r = output_value(&c, instance, name, NULL, &sensitive);
				if (r)
					json_object_set_new(copy, "value", r);
				if (sensitive)
					json_object_set_new(copy, "sensitive", json_true());
			}
			json_object_set_new(set->outputs, key, copy);
			free(key);
		}
	}
}
