/*
 * fuzz_vars.c - libFuzzer target for variable resolution: variables that
 * use variables, cycles, ${env} and ${ref} where they are not allowed,
 * environments, overrides, and values that double.
 *
 * The input is an azapply.yaml, optionally followed by a line "#%manifest"
 * and a manifest. A manifest that uses every variable the project names
 * (as a whole value and inside a string) is added, so each definition is
 * resolved. The tree is resolved with no environment and with each of the
 * first environments. Beyond crashes, leaks and sanitizer reports, a
 * finding is: a failure without an error, an error without a position or
 * longer than one bounded line, or a success that leaves ${var} or ${env}
 * behind or changes on a second pass.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <azapply/manifest.h>

#include "mem_source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *fake_getenv(const char *name, void *ud)
{
	(void)ud;
	return name[0] == 'A' ? NULL : "from-env-${x}";
}

static bool is_identifier(const char *s)
{
	if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
		return false;
	for (s++; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

static void add_uses(az_buf *m, json_t *vars, size_t *n)
{
	const char *key;
	json_t *v;
	json_object_foreach(vars, key, v)
	{
		if (*n >= 64 || !is_identifier(key))
			continue;
		az_buf_printf(m, "  w%zu: \"${var.%s}\"\n  s%zu: \"<${var.%s}>\"\n", *n, key, *n,
		              key);
		++*n;
	}
}

/* A manifest that uses every variable `project` names (or none), and the
 * first environments, as a JSON array of names (caller frees both). */
static char *uses_of(const char *project, size_t len, json_t **envs_out)
{
	az_diags d = AZ_DIAGS_INIT;
	json_t **docs = NULL;
	az_srcmap **maps = NULL;
	size_t n = 0, count = 0;
	az_buf m = AZ_BUF_INIT;
	json_t *envs = json_array();
	az_buf_puts(&m, "kind: K\nmetadata: {name: n}\nspec:\n  none: 0\n");
	if (az_yaml_parse("p.yaml", project, len, &mem_limits, &docs, &maps, &n, &d) == 0 && n > 0) {
		json_t *vars = json_object_get(docs[0], "variables");
		json_t *all = json_object_get(docs[0], "environments");
		add_uses(&m, json_is_object(vars) ? vars : NULL, &count);
		const char *key;
		json_t *e;
		json_object_foreach(all, key, e)
		{
			json_t *ev = json_object_get(e, "variables");
			add_uses(&m, json_is_object(ev) ? ev : NULL, &count);
			if (json_array_size(envs) < 3)
				json_array_append_new(envs, json_string(key));
		}
	}
	for (size_t i = 0; i < n; i++) {
		json_decref(docs[i]);
		az_srcmap_free(maps[i]);
	}
	free(docs);
	free(maps);
	az_diags_clear(&d);
	*envs_out = envs;
	return az_buf_detach(&m);
}

/* No ${var} or ${env} may survive a successful pass. */
static void check_resolved(json_t *v)
{
	if (json_is_string(v)) {
		az_diags d = AZ_DIAGS_INIT;
		az_template *t = NULL;
		if (az_template_parse(&t, json_string_value(v), NULL, &d) != 0)
			abort();
		for (size_t i = 0; i < t->len; i++)
			if (t->parts[i].type == AZ_PART_VAR || t->parts[i].type == AZ_PART_ENV)
				abort();
		az_template_free(t);
		az_diags_clear(&d);
	} else if (json_is_object(v)) {
		const char *key;
		json_t *x;
		json_object_foreach(v, key, x) check_resolved(x);
	} else if (json_is_array(v)) {
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x) check_resolved(x);
	}
}

static void resolve_for(mem_tree *t, const char *env)
{
	az_file_source src = mem_source(t);
	az_diags d = AZ_DIAGS_INIT;
	az_manifest_set *set = NULL;
	int loaded = az_manifests_load(&set, &src, &mem_limits, &d);
	size_t first = d.len;
	int rc = az_manifests_resolve_vars(set, env, fake_getenv, NULL, &d);
	size_t errors = 0;
	for (size_t i = first; i < d.len; i++) {
		const az_diag *x = &d.items[i];
		if (x->severity != AZ_SEV_ERROR)
			continue;
		errors++;
		/* Every error has a place and is one bounded line. */
		if ((set->project.present && !x->file) || strchr(x->summary, '\n') ||
		    strlen(x->summary) > 4096)
			abort();
	}
	if ((rc == 0) != (errors == 0))
		abort();
	if (rc == 0 && loaded == 0) {
		json_t **before = az_xcalloc(set->len + 1, sizeof(*before));
		for (size_t i = 0; i < set->len; i++) {
			/* kind and apiVersion select code and are never templated. */
			json_t *body = json_deep_copy(set->items[i].body);
			json_object_del(body, "kind");
			json_object_del(body, "apiVersion");
			check_resolved(body);
			json_decref(body);
			before[i] = json_deep_copy(set->items[i].body);
		}
		if (az_manifests_resolve_vars(set, env, fake_getenv, NULL, &d) != 0)
			abort();
		for (size_t i = 0; i < set->len; i++) {
			if (!json_equal(before[i], set->items[i].body))
				abort();
			json_decref(before[i]);
		}
		free(before);
	}
	az_manifest_set_free(set);
	az_diags_clear(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	size_t rest;
	size_t project_len = mem_split(text, size, "\n#%manifest\n", &rest);
	mem_tree t = {0};
	json_t *envs = NULL;
	char *uses = uses_of(text, project_len, &envs);
	mem_tree_add(&t, "azapply.yaml", text, project_len);
	if (rest < size)
		mem_tree_add(&t, "m.yaml", text + rest, size - rest);
	mem_tree_add(&t, "uses.yaml", uses, strlen(uses));
	resolve_for(&t, NULL);
	size_t i;
	json_t *e;
	json_array_foreach(envs, i, e) resolve_for(&t, json_string_value(e));
	json_decref(envs);
	free(uses);
	return 0;
}
