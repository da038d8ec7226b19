/*
 * fuzz_manifest.c - libFuzzer target for the manifest loader.
 *
 * The input is one manifest file. It goes through az_yaml_parse, every
 * string in the result through the expression parser (with the position
 * the source map gives it), and then through the whole loader and variable
 * resolution with an in-memory file source, so specFile handling, overrides
 * and re-escaping see hostile input too. Crashes, leaks and sanitizer
 * reports are the findings; diagnostics are expected.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <azapply/manifest.h>

#include "mem_source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const az_load_limits limits = {
    .max_files = 4,
    .max_file_bytes = 1u << 20,
    .max_documents = 64,
    .max_depth = 32,
    .max_nodes = 20000,
};

static void push_key(az_buf *ptr, const char *key)
{
	az_buf_putc(ptr, '/');
	for (; *key; key++) {
		if (*key == '~')
			az_buf_puts(ptr, "~0");
		else if (*key == '/')
			az_buf_puts(ptr, "~1");
		else
			az_buf_putc(ptr, *key);
	}
}

static void walk(json_t *v, az_buf *ptr, const az_srcmap *map)
{
	size_t mark = ptr->len;
	if (json_is_string(v)) {
		const az_pos *pos = az_srcmap_get(map, ptr->data ? ptr->data : "");
		az_diags d = AZ_DIAGS_INIT;
		az_template *t = NULL;
		if (az_string_has_expr(json_string_value(v)) &&
		    az_template_parse(&t, json_string_value(v), pos, &d) == 0) {
			(void)az_template_has_refs(t);
			(void)az_template_is_literal(t);
		}
		az_template_free(t);
		az_diags_clear(&d);
	} else if (json_is_object(v)) {
		const char *key;
		json_t *x;
		json_object_foreach(v, key, x)
		{
			push_key(ptr, key);
			walk(x, ptr, map);
			az_buf_truncate(ptr, mark);
		}
	} else if (json_is_array(v)) {
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x)
		{
			az_buf_printf(ptr, "/%zu", i);
			walk(x, ptr, map);
			az_buf_truncate(ptr, mark);
		}
	}
}

static const char *fake_getenv(const char *name, void *ud)
{
	(void)ud;
	return name[0] == 'A' ? NULL : "value-with-${-and-$";
}

/* An in-memory tree: azapply.yaml (when the input has a project part after
 * a "#%project" line) and m.yaml, plus a fixed specFile target. */
static void load_tree(const char *data, size_t size)
{
	static const char spec[] = "{\"properties\": {\"a\": \"${var.x}\"}, \"b\": [1, 2.5, null]}";
	size_t rest;
	size_t manifest_len = mem_split(data, size, "\n#%project\n", &rest);
	mem_tree t = {0};
	if (manifest_len < size)
		mem_tree_add(&t, "azapply.yaml", data + rest, size - rest);
	mem_tree_add(&t, "m.yaml", data, manifest_len);
	mem_tree_add(&t, "spec.json", spec, sizeof(spec) - 1);
	az_file_source src = mem_source(&t);
	az_diags d = AZ_DIAGS_INIT;
	az_manifest_set *set = NULL;
	az_manifests_load(&set, &src, &limits, &d);
	const char *env = NULL;
	if (set->project.environments) {
		void *it = json_object_iter(set->project.environments);
		env = it ? json_object_iter_key(it) : NULL;
	}
	az_manifests_resolve_vars(set, env, fake_getenv, NULL, &d);
	(void)az_project_setting(&set->project, env, "location");
	az_manifest_set_free(set);
	az_diags_clear(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	az_diags d = AZ_DIAGS_INIT;
	json_t **docs = NULL;
	az_srcmap **maps = NULL;
	size_t n = 0;
	if (az_yaml_parse("fuzz.yaml", text, size, &limits, &docs, &maps, &n, &d) == 0) {
		for (size_t i = 0; i < n; i++) {
			az_buf ptr = AZ_BUF_INIT;
			walk(docs[i], &ptr, maps[i]);
			az_buf_free(&ptr);
			json_decref(docs[i]);
			az_srcmap_free(maps[i]);
		}
	}
	free(docs);
	free(maps);
	az_diags_clear(&d);
	load_tree(text, size);
	return 0;
}
