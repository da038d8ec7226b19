/*
 * studio_params.c - Synapse Studio's template-parameters-definition.json:
 * which values of a Studio folder are per-environment parameters.
 *
 * Studio reads that file (at the root of its git folder) when it publishes,
 * to decide which JSON paths of which artifact types become parameters of
 * the workspace template; the Synapse deployment task then takes their
 * values per stage (OverrideArmParameters) and, with FailOnMissingOverrides,
 * fails a stage that gives none. azapply reads the same file for the same
 * decision: the environment's `overrides` in azapply.yaml give the values,
 * and a parameter nobody gives a value is said at validate, where the value
 * stands in the artifact's JSON file:
 *
 *   - "=" keeps the file's value as the default: with `requireOverrides:
 *     true` on an environment, that environment must override it (dev's
 *     values are the ones Studio wrote; prod must not inherit them);
 *   - "-" and "|" keep no default (a plain or a Key Vault secret
 *     parameter): every environment must give the value.
 *
 * A value that already varies (a ${var.X}, ${env.X} or ${ref...} in the
 * file) is a parameter answered. The syntax is Studio's own
 * (`<action>:<name>:<type>`, "*" for every property of a level, an array
 * for every element of one, the linked service or dataset type as an
 * optional first level); names and types only matter to a template, so
 * they are checked, not used.
 */
#include "manifest_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DEFINITION_FILE "template-parameters-definition.json"
#define TYPE_PREFIX "Microsoft.Synapse/workspaces/"

struct az_mf_studio_params {
	json_t *doc;
	az_srcmap *map;
};

void az_mf_studio_params_free(az_mf_studio_params *p)
{
	if (!p)
		return;
	json_decref(p->doc);
	az_srcmap_free(p->map);
	free(p);
}

static const char *const PARAM_TYPES[] = {
	"string", "securestring", "int", "bool", "object", "secureobject", "array",
};

/* A definition value `<action>:<name>:<type>`; the action, or 0 after
 * reporting what is wrong at `at`. */
static char parse_action(const char *s, const az_pos *at, const char *shown, az_diags *d)
{
	char q[AZ_QUOTE_SIZE];
	const char *type = NULL, *colon = strchr(s, ':');
	bool ok = (s[0] == '=' || s[0] == '-' || s[0] == '|') && (s[1] == '\0' || s[1] == ':');
	if (ok && colon && (type = strchr(colon + 1, ':'))) {
		type++;
		bool known = !*type || strchr(type, ':') == NULL;
		for (size_t i = 0; known && *type && i < sizeof(PARAM_TYPES) / sizeof(*PARAM_TYPES); i++)
			if (!strcasecmp(type, PARAM_TYPES[i]))
				break;
			else if (i + 1 == sizeof(PARAM_TYPES) / sizeof(*PARAM_TYPES))
				known = false;
		if (!known) {
			az_diag *dg = az_diag_add(d, AZ_SEV_ERROR, at, NULL,
			                          "%s: unknown parameter type in '%s'", shown,
			                          az_quote(q, s));
			az_diag_set_detail(dg, "the type is one of string, securestring, int, bool, "
			                       "object, secureobject, array (or empty: string)");
			return 0;
		}
	}
	if (!ok) {
		az_diag *dg = az_diag_add(d, AZ_SEV_ERROR, at, NULL,
		                          "%s: '%s' is no parameter definition", shown, az_quote(q, s));
		az_diag_set_detail(dg, "write <action>:<name>:<type> with the action '=' (the "
		                       "current value is the default), '-' (no default) or '|' "
		                       "(a Key Vault secret), e.g. \"=\" or \"-::int\"");
		return 0;
	}
	return s[0];
}

/* Checks every leaf of the definition; false after reporting. */
static bool check_tree(json_t *v, az_buf *ptr, const az_srcmap *map, const char *shown,
                       az_diags *d)
{
	size_t mark = ptr->len;
	bool ok = true;
	if (json_is_string(v))
		return parse_action(json_string_value(v), az_srcmap_get(map, ptr->data ? ptr->data : ""),
		                    shown, d) != 0;
	if (json_is_object(v)) {
		const char *key;
		json_t *x;
		json_object_foreach(v, key, x)
		{
			az_mf_ptr_push(ptr, key, strlen(key));
			ok &= check_tree(x, ptr, map, shown, d);
			az_buf_truncate(ptr, mark);
		}
		return ok;
	}
	if (json_is_array(v) && json_array_size(v) >= 1 && json_array_size(v) <= 2 &&
	    (json_is_object(json_array_get(v, 0)) || json_is_string(json_array_get(v, 0))) &&
	    (json_array_size(v) == 1 || json_is_string(json_array_get(v, 1)))) {
		az_mf_ptr_push_index(ptr, 0);
		ok = check_tree(json_array_get(v, 0), ptr, map, shown, d);
		az_buf_truncate(ptr, mark);
		return ok;
	}
	az_diag *dg = az_diag_add(d, AZ_SEV_ERROR, az_srcmap_get(map, ptr->data ? ptr->data : ""),
	                          NULL, "%s: a definition is a string, a mapping or a one-element "
	                                "array",
	                          shown);
	az_diag_set_detail(dg, "\"=\" for a value, {\"key\": ...} for the values below, "
	                       "[{...}] for every element of an array");
	return false;
}

int az_mf_studio_params_read(az_mf_studio_params **out, az_manifest_set *set,
                             const az_file_source *src, const char *folder,
                             const az_load_limits *limits, az_diags *d)
{
	char *rel = folder[0] ? az_xasprintf("%s/" DEFINITION_FILE, folder)
	                      : az_xstrdup(DEFINITION_FILE);
	az_mf_parsed f;
	int error = az_mf_read_parse(set, src, rel, limits, &f, d);
	free(rel);
	*out = NULL;
	if (error)
		return error;
	az_pos top = {f.shown, 1, 1};
	if (f.n != 1 || !json_is_object(f.docs[0])) {
		az_diag *dg = az_diag_add(d, AZ_SEV_ERROR, f.n ? az_srcmap_get(f.maps[0], "") : &top,
		                          NULL, "%s", DEFINITION_FILE " must hold one JSON object");
		az_diag_set_detail(dg, "{\"" TYPE_PREFIX "pipelines\": {...}, ...} as Synapse "
		                       "Studio documents it");
		error = AZ_EINVALID;
	} else {
		az_buf ptr = AZ_BUF_INIT;
		if (!check_tree(f.docs[0], &ptr, f.maps[0], DEFINITION_FILE, d))
			error = AZ_EINVALID;
		az_buf_free(&ptr);
	}
	if (!error) {
		az_mf_studio_params *p = az_xcalloc(1, sizeof(*p));
		p->doc = json_incref(f.docs[0]);
		p->map = f.maps[0];
		f.maps[0] = NULL;
		*out = p;
	}
	for (size_t i = 0; i < f.n; i++) {
		json_decref(f.docs[i]);
		az_srcmap_free(f.maps[i]);
	}
	free(f.docs);
	free(f.maps);
	return error;
}

/* The definition of artifacts of `folder` (Studio names the type after the
 * folder: pipeline/ holds Microsoft.Synapse/workspaces/pipelines). */
static json_t *type_definition(const az_mf_studio_params *p, const char *folder)
{
	const char *key;
	json_t *v;
	size_t n = strlen(folder);
	json_object_foreach(p->doc, key, v)
	{
		if (strncasecmp(key, TYPE_PREFIX, strlen(TYPE_PREFIX)))
			continue;
		const char *t = key + strlen(TYPE_PREFIX);
		if (!strcasecmp(folder, "managedVirtualNetwork")
		        ? !strcasecmp(t, "managedVirtualNetworks/managedPrivateEndpoints")
		        : !strncasecmp(t, folder, n) && !strcasecmp(t + n, "s"))
			return v;
	}
	return NULL;
}

static bool has_expression(json_t *v)
{
	if (json_is_string(v))
		return az_string_has_expr(json_string_value(v));
	const char *key;
	json_t *x;
	size_t i;
	if (json_is_object(v))
		json_object_foreach(v, key, x) if (has_expression(x)) return true;
	if (json_is_array(v))
		json_array_foreach(v, i, x) if (has_expression(x)) return true;
	return false;
}

typedef struct match_ctx {
	json_t *found;
	az_buf ptr;  /* JSON Pointer into the artifact's file */
	az_buf path; /* the dotted override path: stops at the first array */
	bool in_array;
} match_ctx;

static void add_parameter(match_ctx *c, json_t *def, json_t *value)
{
	if (has_expression(value))
		return;
	char action = json_string_value(def)[0];
	json_array_append_new(c->found,
	                      json_pack("{s:s+, s:s, s:b, s:b}", "ptr", "/spec", c->ptr.data, "path",
	                                c->path.data, "keep", action == '=', "exact", !c->in_array));
}

static void push(match_ctx *c, const char *key, bool index, size_t i)
{
	if (index) {
		az_mf_ptr_push_index(&c->ptr, i);
		c->in_array = true;
	} else {
		az_mf_ptr_push(&c->ptr, key, strlen(key));
		if (!c->in_array)
			az_buf_printf(&c->path, "%s%s", c->path.len ? "." : "", key);
	}
}

static void apply_definition(match_ctx *c, json_t *def, json_t *value)
{
	size_t pmark = c->ptr.len, dmark = c->path.len;
	bool in_array = c->in_array;
	if (json_is_string(def)) {
		add_parameter(c, def, value);
	} else if (json_is_object(def) && json_is_object(value)) {
		json_t *every = json_object_get(def, "*");
		const char *key;
		json_t *x;
		json_object_foreach(value, key, x)
		{
			json_t *d = json_object_get(def, key);
			if (!d)
				d = every;
			if (!d)
				continue;
			push(c, key, false, 0);
			apply_definition(c, d, x);
			az_buf_truncate(&c->ptr, pmark);
			az_buf_truncate(&c->path, dmark);
			c->in_array = in_array;
		}
	} else if (json_is_array(def) && json_is_array(value)) {
		size_t i;
		json_t *x;
		json_array_foreach(value, i, x)
		{
			push(c, NULL, true, i);
			apply_definition(c, json_array_get(def, 0), x);
			az_buf_truncate(&c->ptr, pmark);
			c->in_array = in_array;
		}
	}
}

json_t *az_mf_studio_params_match(const az_mf_studio_params *p, const char *folder,
                                  json_t *doc)
{
	json_t *def = p ? type_definition(p, folder) : NULL;
	if (!json_is_object(def))
		return NULL;
	/* Linked services and datasets come in many types: their definition
	 * may be keyed by the type first, "*" for the others. */
	if (!json_object_get(def, "properties")) {
		const char *type =
		    json_string_value(json_object_get(json_object_get(doc, "properties"), "type"));
		json_t *typed = type ? json_object_get(def, type) : NULL;
		if (!typed)
			typed = json_object_get(def, "*");
		if (json_is_object(typed))
			def = typed;
	}
	match_ctx c = {.found = json_array(), .ptr = AZ_BUF_INIT, .path = AZ_BUF_INIT};
	az_buf_puts(&c.ptr, "");
	az_buf_puts(&c.path, "");
	apply_definition(&c, def, doc);
	az_buf_free(&c.ptr);
	az_buf_free(&c.path);
	if (!json_array_size(c.found)) {
		json_decref(c.found);
		return NULL;
	}
	return c.found;
}

/* A JSON Pointer as the dotted path people read ("properties.a.0.b"). */
static char *shown_path(const char *ptr)
{
	az_buf b = AZ_BUF_INIT;
	for (const char *p = ptr[0] == '/' ? ptr + 1 : ptr; *p; p++) {
		if (*p == '/')
			az_buf_putc(&b, '.');
		else if (*p == '~' && (p[1] == '0' || p[1] == '1'))
			az_buf_putc(&b, *++p == '0' ? '~' : '/');
		else
			az_buf_putc(&b, *p);
	}
	return b.data ? az_buf_detach(&b) : az_xstrdup("");
}

/* Every dotted path an override patch writes ("a.b.c" keys and nested
 * mappings alike), into `out` as keys. */
static void patch_paths(json_t *patch, az_buf *path, json_t *out)
{
	size_t mark = path->len;
	const char *key;
	json_t *v;
	json_object_foreach(patch, key, v)
	{
		az_buf_printf(path, "%s%s", path->len ? "." : "", key);
		json_object_set_new(out, path->data, json_true());
		if (json_is_object(v))
			patch_paths(v, path, out);
		az_buf_truncate(path, mark);
	}
}

/* Whether the override paths reach `path`: the path itself, a value above
 * it (which replaces it) or one inside it (a part of it set). */
static bool covered(json_t *written, const char *path)
{
	size_t n = strlen(path);
	const char *key;
	json_t *v;
	json_object_foreach(written, key, v)
	{
		size_t k = strlen(key);
		if (!strcmp(key, path) || (k < n && !strncmp(path, key, k) && path[k] == '.') ||
		    (n < k && !strncmp(key, path, n) && key[n] == '.'))
			return true;
	}
	return false;
}

void az_mf_studio_check_overrides(const az_manifest_set *set, const char *env,
                                  json_t *env_obj, az_diags *d)
{
	bool required = json_is_true(json_object_get(env_obj, "requireOverrides"));
	json_t *overrides = json_object_get(env_obj, "overrides");
	char qe[AZ_QUOTE_SIZE + 2];
	if (env)
		snprintf(qe, sizeof(qe), "'%s'", env);
	const char *shown_env = env ? qe : "(none)";
	az_buf path = AZ_BUF_INIT;
	for (size_t i = 0; i < set->len; i++) {
		const az_manifest *m = &set->items[i];
		if (!m->parameters || !m->address)
			continue;
		json_t *written = json_object();
		json_t *patch = json_object_get(overrides, m->address);
		if (json_is_object(patch)) {
			az_buf_truncate(&path, 0);
			patch_paths(patch, &path, written);
		}
		size_t j;
		json_t *prm;
		json_array_foreach(m->parameters, j, prm)
		{
			const char *dotted = json_string_value(json_object_get(prm, "path"));
			bool keep = json_is_true(json_object_get(prm, "keep"));
			if ((keep && !required) || covered(written, dotted))
				continue;
			const char *ptr = json_string_value(json_object_get(prm, "ptr"));
			bool exact = json_is_true(json_object_get(prm, "exact"));
			char *shown = shown_path(ptr + 5); /* past "/spec" */
			az_diag *dg;
			if (keep)
				dg = az_diag_add(d, AZ_SEV_ERROR, az_manifest_pos(m, ptr), m->address,
				                 "%s is a per-environment value (" DEFINITION_FILE
				                 ") and environment %s, which requires overrides, "
				                 "gives none",
				                 shown, shown_env);
			else
				dg = az_diag_add(d, AZ_SEV_ERROR, az_manifest_pos(m, ptr), m->address,
				                 "%s is a parameter without a default (" DEFINITION_FILE
				                 ") and environment %s gives no value",
				                 shown, shown_env);
			az_diag_set_detail(dg,
			                   "give this environment's value in azapply.yaml: "
			                   "environments: {%s: {overrides: {%s: {%s: <value>}}}}%s",
			                   env ? env : "<env>", m->address, dotted,
			                   exact ? "" : " (a value inside an array is set with the "
			                                "whole array)");
			free(shown);
		}
		json_decref(written);
	}
	az_buf_free(&path);
}
