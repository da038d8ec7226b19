/*
 * studio.c - Synapse Studio's git folder as a source of artifacts.
 *
 * Data engineers author pipelines, notebooks and datasets in Synapse
 * Studio, which commits the workspace to git as one folder per artifact
 * type (pipeline/, dataset/, linkedService/, notebook/, sqlscript/,
 * trigger/, dataflow/, sparkJobDefinition/, credential/, integrationRuntime/,
 * kqlscript/, managedVirtualNetwork/default/managedPrivateEndpoint/, ...),
 * each file
 * `<name>.json` = {"name", "properties", ...}.
 * A manifest of kind SynapseArtifacts names such a folder and a workspace:
 *
 *   kind: SynapseArtifacts
 *   metadata: {name: studio}
 *   spec: {workspace: synapse, folder: studio}
 *
 * The loader turns every artifact file into a manifest of the existing
 * artifact kind (Pipeline/nightly-training, ...) exactly as a hand-written
 * manifest with `specFile` would be, so everything after loading (variables
 * and overrides, schemas, the graph's referenceName edges, the diff,
 * ownership, prune, delete order) treats it as any other resource, and
 * every position points into the JSON file. The SynapseArtifacts manifest
 * itself is no resource and leaves the set.
 *
 * What Studio writes that is not an artifact (publish_config.json,
 * template-parameters-definition.json, a README) is understood and left
 * alone; a folder of a kind azapply does not manage yet (database/, ...)
 * is a warning naming what is skipped, never a silent skip: those
 * artifacts stay in the workspace untouched.
 *
 * template-parameters-definition.json is read, not deployed: it names the
 * values that differ per environment (studio_params.c), and each artifact
 * carries the parameters it holds (az_manifest.parameters) to the
 * environment's check. `spec.prune: all-in-workspace` says the workspace is
 * the stack's alone: plan_build.c then deletes unmarked artifacts the
 * folder does not hold (az_manifest.prune_workspace); the default, marked,
 * deletes only what this stack instance marked.
 *
 * Studio's JSON holds text of other languages (Scala's s"${x}", shell's
 * ${HOME}): in these files only ${var.X}, ${env.X} and ${ref...} are
 * expressions, any other "${" is literal text (written back as "$${").
 */
#include "manifest_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define STUDIO_KIND "SynapseArtifacts"

/* The folders of Studio's layout azapply manages, and the kind of each. */
static const struct {
	const char *folder, *kind;
} MANAGED[] = {
	{"linkedService", "LinkedService"}, {"dataset", "Dataset"}, {"notebook", "Notebook"},
	{"sqlscript", "SqlScript"},         {"pipeline", "Pipeline"}, {"trigger", "Trigger"},
	{"dataflow", "DataFlow"},           {"sparkJobDefinition", "SparkJobDefinition"},
	{"credential", "Credential"},       {"integrationRuntime", "IntegrationRuntime"},
	{"kqlscript", "KqlScript"},
	/* Studio keeps a workspace's managed private endpoints under its
	 * managed virtual network, which is always "default". */
	{"managedVirtualNetwork/default/managedPrivateEndpoint", "ManagedPrivateEndpoint"},
};

/* Folders Studio writes whose artifacts azapply does not manage yet. */
static const struct {
	const char *folder, *what;
} UNMANAGED[] = {
	{"managedVirtualNetwork", "managed virtual networks"},
	{"sparkConfiguration", "Spark configurations"},
	{"database", "lake databases"},
};

#define MANAGED_VNET_FILE "managedVirtualNetwork/default.json"

/* Top-level files Studio (or its git integration) writes that are not
 * artifacts. */
#define DEFINITION_FILE "template-parameters-definition.json"
static const char *const UNDERSTOOD[] = {
	"publish_config.json",
	DEFINITION_FILE,
};

const char *az_studio_folder_kind(const char *folder)
{
	for (size_t i = 0; i < sizeof(MANAGED) / sizeof(MANAGED[0]); i++)
		if (!strcmp(MANAGED[i].folder, folder))
			return MANAGED[i].kind;
	return NULL;
}

const char *az_studio_kind_folder(const char *kind)
{
	for (size_t i = 0; i < sizeof(MANAGED) / sizeof(MANAGED[0]); i++)
		if (!strcmp(MANAGED[i].kind, kind))
			return MANAGED[i].folder;
	return NULL;
}

/* The managed folder `rest` (a path below Studio's root) is in, or NULL:
 * most are one level deep, managed private endpoints three. */
static const char *managed_folder_of(const char *rest)
{
	for (size_t i = 0; i < sizeof(MANAGED) / sizeof(MANAGED[0]); i++) {
		size_t n = strlen(MANAGED[i].folder);
		if (!strncmp(rest, MANAGED[i].folder, n) && rest[n] == '/')
			return MANAGED[i].folder;
	}
	return NULL;
}

static const char *unmanaged_what(const char *folder)
{
	for (size_t i = 0; i < sizeof(UNMANAGED) / sizeof(UNMANAGED[0]); i++)
		if (!strcmp(UNMANAGED[i].folder, folder))
			return UNMANAGED[i].what;
	return NULL;
}

static bool understood_file(const char *name)
{
	for (size_t i = 0; i < sizeof(UNDERSTOOD) / sizeof(UNDERSTOOD[0]); i++)
		if (!strcmp(UNDERSTOOD[i], name))
			return true;
	size_t n = strlen(name);
	return !strncasecmp(name, "README", 6) || name[0] == '.' ||
	       (n > 5 && !strcmp(name + n - 5, ".yaml")) || (n > 4 && !strcmp(name + n - 4, ".yml"));
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && !strcmp(s + n - k, suffix);
}

/* "${" that is not ${var.}, ${env.} or ${ref.} (nor already "$${") gets
 * one more '$': literal text. NULL when nothing changed. */
char *az_mf_studio_escape(const char *s)
{
	const char *p = strstr(s, "${");
	if (!p)
		return NULL;
	az_buf out = AZ_BUF_INIT;
	bool changed = false;
	const char *from = s;
	for (; p; p = strstr(p + 2, "${")) {
		bool escaped = p > s && p[-1] == '$';
		bool expr = !strncmp(p + 2, "var.", 4) || !strncmp(p + 2, "env.", 4) ||
		            !strncmp(p + 2, "ref.", 4);
		if (escaped || expr)
			continue;
		az_buf_add(&out, from, (size_t)(p - from));
		az_buf_putc(&out, '$');
		from = p;
		changed = true;
	}
	if (!changed) {
		az_buf_free(&out);
		return NULL;
	}
	az_buf_puts(&out, from);
	return az_buf_detach(&out);
}

/* The escaped form of `x` when it is a string that needs it, marking its
 * position inexact (the string no longer maps one to one onto its
 * source); NULL otherwise. */
static json_t *escape_string(json_t *x, az_srcmap *map, const az_buf *ptr)
{
	char *e = json_is_string(x) ? az_mf_studio_escape(json_string_value(x)) : NULL;
	if (!e)
		return NULL;
	json_t *r = json_string(e);
	free(e);
	const az_mf_loc *l = az_mf_map_find(map, ptr->data, ptr->len);
	if (l) {
		az_mf_loc copy = *l;
		copy.exact = false;
		az_mf_map_put(map, ptr->data, ptr->len, &copy);
	}
	return r;
}

/* Escapes foreign "${" in every string below `v`. */
static void escape_tree(json_t *v, az_srcmap *map, az_buf *ptr)
{
	size_t mark = ptr->len;
	if (json_is_object(v)) {
		for (void *it = json_object_iter(v); it; it = json_object_iter_next(v, it)) {
			const char *key = json_object_iter_key(it);
			az_mf_ptr_push(ptr, key, strlen(key));
			json_t *r = escape_string(json_object_iter_value(it), map, ptr);
			if (r)
				json_object_iter_set_new(v, it, r);
			else
				escape_tree(json_object_iter_value(it), map, ptr);
			az_buf_truncate(ptr, mark);
		}
	} else if (json_is_array(v)) {
		for (size_t i = 0; i < json_array_size(v); i++) {
			az_mf_ptr_push_index(ptr, i);
			json_t *r = escape_string(json_array_get(v, i), map, ptr);
			if (r)
				json_array_set_new(v, i, r);
			else
				escape_tree(json_array_get(v, i), map, ptr);
			az_buf_truncate(ptr, mark);
		}
	}
}

/* What one SynapseArtifacts manifest gives each of its artifacts. */
typedef struct studio_src {
	char *address;     /* SynapseArtifacts/<name> */
	char *folder;      /* relative to the root; "" for the root */
	json_t *workspace; /* spec.workspace */
	json_t *subscription;
	json_t *metadata;  /* metadata without name */
	az_srcmap *map;    /* positions of the manifest (owned copy) */
	az_pos pos;
	az_pos folder_pos;
	bool prune_all;    /* spec.prune: all-in-workspace */
	az_mf_studio_params *params; /* template-parameters-definition.json */
} studio_src;

static void studio_src_clear(studio_src *s)
{
	free(s->address);
	free(s->folder);
	json_decref(s->workspace);
	json_decref(s->subscription);
	json_decref(s->metadata);
	az_srcmap_free(s->map);
	az_mf_studio_params_free(s->params);
}

static const char *type_name(const json_t *v)
{
	return json_is_object(v) ? "a mapping" : json_is_array(v) ? "a sequence"
	       : json_is_string(v)                               ? "a string"
	                                                         : "another value";
}

/* Checks the SynapseArtifacts manifest; false after reporting. */
static bool read_source(const az_manifest *m, studio_src *out, az_diags *d)
{
	bool ok = true;
	char q[AZ_QUOTE_SIZE];
	memset(out, 0, sizeof(*out));
	out->pos = m->pos;
	json_t *api = json_object_get(m->body, "apiVersion");
	if (!json_is_string(api) || strcmp(json_string_value(api), "azapply.dev/v1")) {
		az_diag *dg = az_diag_add(d, AZ_SEV_ERROR, az_manifest_pos(m, "/apiVersion"),
		                          m->address, "%s", "apiVersion must be azapply.dev/v1");
		az_diag_set_detail(dg, "write apiVersion: azapply.dev/v1");
		ok = false;
	}
	json_t *meta = json_object_get(m->body, "metadata");
	if (!m->name) {
		az_diag *dg = az_diag_add(d, AZ_SEV_ERROR, az_manifest_pos(m, "/metadata"), NULL,
		                          "%s", STUDIO_KIND " manifest without metadata.name");
		az_diag_set_detail(dg, "name it: metadata: {name: studio}");
		ok = false;
	}
	const char *key;
	json_t *v;
	json_object_foreach(m->body, key, v)
	{
		if (strcmp(key, "apiVersion") && strcmp(key, "kind") && strcmp(key, "metadata") &&
		    strcmp(key, "spec")) {
			az_buf p = AZ_BUF_INIT;
			az_mf_ptr_push(&p, key, strlen(key));
			az_pos at = az_mf_key_pos(m->map, p.data);
			az_diag *dg = az_diag_add(d, AZ_SEV_ERROR, &at, m->address,
			                          "unknown key '%s' in a " STUDIO_KIND " manifest",
			                          az_quote(q, key));
			az_diag_set_detail(dg, "a manifest has apiVersion, kind, metadata and spec");
			az_buf_free(&p);
			ok = false;
		}
	}
	out->metadata = json_is_object(meta) ? json_deep_copy(meta) : json_object();
	json_object_del(out->metadata, "name");
	json_object_foreach(out->metadata, key, v)
	{
		if (strcmp(key, "labels") && strcmp(key, "lifecycle") && strcmp(key, "dependsOn")) {
			az_buf p = AZ_BUF_INIT;
			az_buf_puts(&p, "/metadata");
			az_mf_ptr_push(&p, key, strlen(key));
			az_pos at = az_mf_key_pos(m->map, p.data);
			az_diag *dg = az_diag_add(
			    d, AZ_SEV_ERROR, &at, m->address,
			    "unknown key '%s' in the metadata of a " STUDIO_KIND " manifest",
			    az_quote(q, key));
			az_diag_set_detail(dg, "metadata takes name, labels, lifecycle and dependsOn, "
			                       "which every artifact of the folder receives");
			az_buf_free(&p);
			ok = false;
		}
	}
	json_t *spec = json_object_get(m->body, "spec");
	if (!json_is_object(spec)) {
		az_diag *dg = az_diag_add(d, AZ_SEV_ERROR, az_manifest_pos(m, "/spec"), m->address,
		                          "spec of a " STUDIO_KIND " manifest must be a mapping, "
		                          "not %s",
		                          spec ? type_name(spec) : "missing");
		az_diag_set_detail(dg, "spec: {workspace: <SynapseWorkspace name>, folder: "
		                       "<Synapse Studio folder>}");
		return false;
	}
	json_object_foreach(spec, key, v)
	{
		if (strcmp(key, "workspace") && strcmp(key, "folder") && strcmp(key, "subscription") &&
		    strcmp(key, "prune")) {
			az_buf p = AZ_BUF_INIT;
			az_buf_puts(&p, "/spec");
			az_mf_ptr_push(&p, key, strlen(key));
			az_pos at = az_mf_key_pos(m->map, p.data);
			az_diag *dg = az_diag_add(d, AZ_SEV_ERROR, &at, m->address,
			                          "unknown key '%s' in the spec of a " STUDIO_KIND
			                          " manifest",
			                          az_quote(q, key));
			az_diag_set_detail(dg, "spec takes workspace, folder, subscription and prune");
			az_buf_free(&p);
			ok = false;
		}
	}
	json_t *ws = json_object_get(spec, "workspace");
	if (!json_is_string(ws) || !json_string_length(ws)) {
		az_diag *dg = az_diag_add(d, AZ_SEV_ERROR,
		                          az_manifest_pos(m, ws ? "/spec/workspace" : "/spec"),
		                          m->address, "%s",
		                          "spec.workspace must name the SynapseWorkspace the "
		                          "artifacts are deployed to");
		az_diag_set_detail(dg, "write workspace: <metadata.name of a SynapseWorkspace> "
		                       "(or its Azure id)");
		ok = false;
	}
	json_t *sub = json_object_get(spec, "subscription");
	if (sub && !json_is_string(sub)) {
		az_diag_add(d, AZ_SEV_ERROR, az_manifest_pos(m, "/spec/subscription"), m->address,
		            "%s", "spec.subscription must be a subscription id");
		ok = false;
	}
	/* Deleting what is in the workspace and not in the folder is only safe
	 * when the workspace is this stack's alone: said in so many words. */
	json_t *prune = json_object_get(spec, "prune");
	const char *pv = json_string_value(prune);
	if (prune && (!pv || (strcmp(pv, "marked") && strcmp(pv, "all-in-workspace")))) {
		az_diag *dg = az_diag_add(d, AZ_SEV_ERROR, az_manifest_pos(m, "/spec/prune"),
		                          m->address, "%s",
		                          "spec.prune must be marked or all-in-workspace");
		az_diag_set_detail(dg, "marked (the default): delete only what this stack "
		                       "instance created and the folder no longer holds; "
		                       "all-in-workspace: also delete every unmarked artifact of "
		                       "the workspace that the folder does not hold");
		ok = false;
	}
	out->prune_all = pv && !strcmp(pv, "all-in-workspace");
	json_t *folder = json_object_get(spec, "folder");
	const char *fv = json_string_value(folder);
	out->folder_pos = *az_manifest_pos(m, folder ? "/spec/folder" : "/spec");
	if (!fv || !*fv) {
		az_diag *dg = az_diag_add(d, AZ_SEV_ERROR, &out->folder_pos, m->address, "%s",
		                          "spec.folder must be the relative path of a Synapse "
		                          "Studio folder");
		az_diag_set_detail(dg, "the folder that holds pipeline/, dataset/, notebook/, ... "
		                       "relative to this file");
		ok = false;
	} else if (az_string_has_expr(fv)) {
		az_diag *dg = az_diag_add(d, AZ_SEV_ERROR, &out->folder_pos, m->address, "%s",
		                          "spec.folder cannot hold an expression: the folder is "
		                          "read before variables are known");
		az_diag_set_detail(dg, "give one folder for every environment and set what "
		                       "differs with overrides in azapply.yaml");
		ok = false;
	} else if (fv[0] == '/' || !(out->folder = az_mf_join_inside(m->file, fv))) {
		az_diag *dg = az_diag_add(d, AZ_SEV_ERROR, &out->folder_pos, m->address,
		                          "folder '%s' is outside the manifest tree", az_quote(q, fv));
		az_diag_set_detail(dg, "give a path relative to this file that stays below the "
		                       "folder of azapply.yaml");
		ok = false;
	}
	if (!ok)
		return false;
	out->address = az_xstrdup(m->address);
	out->workspace = json_incref(ws);
	out->subscription = json_incref(sub);
	/* The manifest leaves the set; its positions go with its artifacts. */
	out->map = az_srcmap_new();
	az_mf_map_copy(out->map, "", m->map, "");
	return true;
}

/* Copies the entry of `src` at `sp` (if any) to `dst` at `dp`. */
static void copy_loc(az_srcmap *dst, const char *dp, const az_srcmap *src, const char *sp)
{
	const az_mf_loc *l = az_mf_map_find(src, sp, strlen(sp));
	if (l)
		az_mf_map_put(dst, dp, strlen(dp), l);
}

/* One artifact file into a manifest of `kind`. */
static int load_artifact(az_manifest_set *set, const az_file_source *src, const studio_src *s,
                         const char *rel, const char *folder, const char *kind,
                         const az_load_limits *limits, az_diags *d)
{
	az_mf_parsed f;
	char q[AZ_QUOTE_SIZE], q2[AZ_QUOTE_SIZE];
	int error = az_mf_read_parse(set, src, rel, limits, &f, d);
	json_t **docs = f.docs;
	az_srcmap **maps = f.maps;
	size_t n = f.n;
	const char *shown = f.shown;
	if (error)
		goto done;
	az_pos top = {shown, 1, 1};
	if (n != 1 || !json_is_object(docs[0])) {
		az_diag *dg = az_diag_add(d, AZ_SEV_ERROR, n ? az_srcmap_get(maps[0], "") : &top,
		                          NULL, "%s", "a Synapse Studio artifact file must hold one "
		                                      "JSON object");
		az_diag_set_detail(dg, "{\"name\": ..., \"properties\": {...}} as Synapse Studio "
		                       "writes it");
		error = AZ_EINVALID;
		goto done;
	}
	json_t *doc = docs[0];
	az_srcmap *jmap = maps[0];
	const char *base = strrchr(rel, '/') + 1;
	size_t stem_len = strlen(base) - 5;
	json_t *name = json_object_get(doc, "name");
	const char *nv = json_string_value(name);
	char *stem = az_xstrndup(base, stem_len);
	if (!nv) {
		az_diag *dg = az_diag_add(d, AZ_SEV_ERROR, az_srcmap_get(jmap, name ? "/name" : ""),
		                          NULL, "%s artifact file has no \"name\" string", kind);
		az_diag_set_detail(dg, "add \"name\": \"%s\", as Synapse Studio writes it",
		                   az_quote(q, stem));
		error = AZ_EINVALID;
	} else if (strcmp(nv, stem)) {
		az_diag *dg =
		    az_diag_add(d, AZ_SEV_ERROR, az_srcmap_get(jmap, "/name"), NULL,
		                "%s '%s' is in the file %s.json; Synapse Studio names the file "
		                "after the artifact",
		                kind, az_quote(q, nv), az_quote(q2, stem));
		az_diag_set_detail(dg, "rename the file to %s.json, or set \"name\": \"%s\"",
		                   az_quote(q, nv), az_quote(q2, stem));
		error = AZ_EINVALID;
	}
	free(stem);
	if (error)
		goto done;

	/* Read-only fields of an artifact read from Azure, when a file was
	 * saved from the REST API rather than by Studio. */
	json_object_del(doc, "etag");
	json_object_del(doc, "id");
	az_buf ptr = AZ_BUF_INIT;
	escape_tree(doc, jmap, &ptr);
	az_buf_free(&ptr);

	json_t *spec = json_object();
	json_object_set(spec, "workspace", s->workspace);
	if (s->subscription)
		json_object_set(spec, "subscription", s->subscription);
	const char *key;
	json_t *v;
	json_object_foreach(doc, key, v) json_object_set(spec, key, v);
	json_t *meta = json_deep_copy(s->metadata);
	json_object_set(meta, "name", name);
	json_t *body = json_pack("{s:s, s:s, s:o, s:o}", "apiVersion", "azapply.dev/v1", "kind",
	                         kind, "metadata", meta, "spec", spec);

	az_srcmap *map = az_srcmap_new();
	const az_mf_loc *root = az_mf_map_find(jmap, "", 0);
	az_mf_loc rl = root ? *root : (az_mf_loc){.pos = top};
	az_mf_map_copy(map, "/spec", jmap, "");
	az_mf_map_put(map, "", 0, &rl);
	az_mf_map_put(map, "/apiVersion", 11, &rl);
	az_mf_map_put(map, "/kind", 5, &rl);
	az_mf_map_put(map, "/spec", 5, &rl);
	az_mf_map_copy(map, "/metadata", s->map, "/metadata");
	az_mf_map_put(map, "/metadata", 9, &rl);
	copy_loc(map, "/metadata/name", jmap, "/name");
	copy_loc(map, "/spec/workspace", s->map, "/spec/workspace");
	copy_loc(map, "/spec/subscription", s->map, "/spec/subscription");

	az_manifest *m = az_mf_add_manifest(set);
	m->file = shown + (set->root[0] ? strlen(set->root) + 1 : 0);
	m->doc = 0;
	m->pos = rl.pos;
	m->body = body;
	m->map = map;
	m->studio = az_xstrdup(s->address);
	m->prune_workspace = s->prune_all;
	m->parameters = az_mf_studio_params_match(s->params, folder, doc);
	az_mf_refresh_identity(m);
done:
	for (size_t i = 0; i < n; i++) {
		json_decref(docs[i]);
		az_srcmap_free(maps[i]);
	}
	free(docs);
	free(maps);
	return error;
}

/* Appends `name` to the list of what was skipped in `folder`. */
static void note_skipped(json_t *skipped, const char *folder, const char *name)
{
	json_t *list = json_object_get(skipped, folder);
	if (!list) {
		list = json_array();
		json_object_set_new(skipped, folder, list);
	}
	json_array_append_new(list, json_string(name));
}

static void warn_skipped(const studio_src *s, json_t *skipped, az_diags *d)
{
	const char *folder;
	json_t *names;
	json_object_foreach(skipped, folder, names)
	{
		const char *what = unmanaged_what(folder);
		az_buf list = AZ_BUF_INIT;
		size_t i, n = json_array_size(names);
		json_t *x;
		json_array_foreach(names, i, x)
		{
			if (i == 5) {
				az_buf_printf(&list, " and %zu more", n - 5);
				break;
			}
			az_buf_printf(&list, "%s%s", i ? ", " : "", json_string_value(x));
		}
		char q[AZ_QUOTE_SIZE];
		az_diag *dg;
		if (what) {
			dg = az_diag_add(d, AZ_SEV_WARNING, &s->folder_pos, s->address,
			                 "%s/ holds %zu file%s of %s, which azapply does not manage "
			                 "yet: skipped (%s)",
			                 az_quote(q, folder), n, n == 1 ? "" : "s", what, list.data);
			az_diag_set_detail(dg, "they stay in the workspace as they are: azapply "
			                       "neither creates, changes nor deletes them");
		} else if (az_studio_folder_kind(folder)) {
			dg = az_diag_add(d, AZ_SEV_WARNING, &s->folder_pos, s->address,
			                 "%s/ holds %zu file%s that %s not artifact%s: skipped (%s)",
			                 az_quote(q, folder), n, n == 1 ? "" : "s",
			                 n == 1 ? "is" : "are", n == 1 ? "" : "s", list.data);
			az_diag_set_detail(dg, "Synapse Studio writes each artifact as <name>.json "
			                       "directly in its folder");
		} else {
			bool file = n == 1 && !strcmp(folder, json_string_value(json_array_get(names, 0)));
			dg = az_diag_add(d, AZ_SEV_WARNING, &s->folder_pos, s->address,
			                 "%s%s is not part of Synapse Studio's layout: skipped%s%s%s",
			                 az_quote(q, folder), file ? "" : "/", file ? "" : " (",
			                 file ? "" : list.data, file ? "" : ")");
			az_diag_set_detail(dg, "artifacts are read from linkedService/, dataset/, "
			                       "notebook/, sqlscript/, pipeline/, trigger/, "
			                       "dataflow/, sparkJobDefinition/, credential/, "
			                       "integrationRuntime/, kqlscript/ and "
			                       "managedVirtualNetwork/default/"
			                       "managedPrivateEndpoint/");
		}
		az_buf_free(&list);
	}
}

static int expand_one(az_manifest_set *set, const az_file_source *src, studio_src *s,
                      char **paths, size_t npaths, const az_load_limits *limits,
                      size_t *files, az_diags *d)
{
	size_t plen = strlen(s->folder), found = 0;
	json_t *skipped = json_object();
	int error = 0;
	char q[AZ_QUOTE_SIZE];
	char *definition = plen ? az_xasprintf("%s/%s", s->folder, DEFINITION_FILE)
	                        : az_xstrdup(DEFINITION_FILE);
	for (size_t i = 0; i < npaths; i++)
		if (!strcmp(paths[i], definition) &&
		    az_mf_studio_params_read(&s->params, set, src, s->folder, limits, d))
			error = AZ_EINVALID;
	free(definition);
	for (size_t i = 0; i < npaths; i++) {
		const char *p = paths[i];
		if (plen && (strncmp(p, s->folder, plen) || p[plen] != '/'))
			continue;
		const char *rest = p + (plen ? plen + 1 : 0);
		found++;
		const char *slash = strchr(rest, '/');
		if (!slash) {
			if (!understood_file(rest) && !(ends_with(rest, ".json") && !plen))
				note_skipped(skipped, rest, rest);
			continue;
		}
		/* The managed virtual network itself is the workspace's setting
		 * (SynapseWorkspace managedVirtualNetwork: default), made with it. */
		if (!strcmp(rest, MANAGED_VNET_FILE))
			continue;
		const char *managed = managed_folder_of(rest);
		if (managed)
			slash = rest + strlen(managed);
		char *dir = az_xstrndup(rest, (size_t)(slash - rest));
		const char *kind = az_studio_folder_kind(dir);
		const char *file = slash + 1;
		if (!kind) {
			/* The whole tree as the folder: manifests and specFiles
			 * elsewhere in it are not Studio's. */
			if (plen || unmanaged_what(dir))
				note_skipped(skipped, dir, file);
		} else if (strchr(file, '/') || !ends_with(file, ".json") || !strcmp(file, ".json")) {
			if (file[0] != '.')
				note_skipped(skipped, dir, file);
		} else if (++*files > limits->max_files) {
			if (*files == limits->max_files + 1) {
				az_diag *dg = az_diag_add(d, AZ_SEV_ERROR, &s->folder_pos, s->address,
				                          "more than %zu files of manifests and "
				                          "artifacts",
				                          limits->max_files);
				az_diag_set_detail(dg, "point azapply at the folder of one stack");
			}
			error = AZ_EINVALID;
		} else if (load_artifact(set, src, s, p, dir, kind, limits, d)) {
			error = AZ_EINVALID;
		}
		free(dir);
	}
	if (!found) {
		az_diag *dg = az_diag_add(d, AZ_SEV_ERROR, &s->folder_pos, s->address,
		                          "folder '%s' is empty or does not exist",
		                          az_quote(q, s->folder));
		az_diag_set_detail(dg, "name the folder Synapse Studio's git integration writes "
		                       "to (its \"root folder\"), relative to this file");
		error = AZ_EINVALID;
	}
	warn_skipped(s, skipped, d);
	json_decref(skipped);
	return error;
}

int az_mf_studio_expand(az_manifest_set *set, const az_file_source *src, char **paths,
                        size_t npaths, const az_load_limits *limits, size_t *files,
                        az_diags *d)
{
	size_t n = set->len, kept = 0;
	int error = 0;
	for (size_t i = 0; i < n; i++) {
		if (!set->items[i].kind || strcmp(set->items[i].kind, STUDIO_KIND))
			continue;
		studio_src s;
		if (!read_source(&set->items[i], &s, d))
			error = AZ_EINVALID;
		else if (expand_one(set, src, &s, paths, npaths, limits, files, d))
			error = AZ_EINVALID;
		studio_src_clear(&s);
	}
	/* The SynapseArtifacts manifests leave the set. */
	for (size_t i = 0; i < set->len; i++) {
		az_manifest *m = &set->items[i];
		if (i < n && m->kind && !strcmp(m->kind, STUDIO_KIND)) {
			json_decref(m->body);
			az_srcmap_free(m->map);
			free(m->address);
			json_decref(m->sensitive);
			continue;
		}
		set->items[kept++] = *m;
	}
	set->len = kept;
	return error;
}
