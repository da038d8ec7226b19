/*
 * resolve.c - ${ref.Kind.name.path} replaced by what is known of the
 * resource it names (resolve.h says where each value comes from).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "paths.h"
#include "resolve.h"

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

const char *az_resolved_str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s && !strstr(s, "${ref.") ? s : NULL;
}

/* The value of ${ref.Kind.name.path}, or NULL when not known yet. An id
 * and a name are known from the manifests; anything else comes from the
 * live resource, unless it is about to be (re)created, then from what the
 * manifest itself sets. */
static json_t *ref_value(az_instance *inst, const az_part *p)
{
	char *address = az_ref_address(p);
	az_node *n = az_instance_node_at(inst, address);
	free(address);
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

static json_t *resolve_string(az_instance *inst, const char *s)
{
	az_template *t = NULL;
	az_diags scratch = AZ_DIAGS_INIT;
	int rc = az_template_parse(&t, s, NULL, &scratch);
	az_diags_clear(&scratch);
	if (rc != 0 || !t)
		return json_string(s);
	json_t *out = NULL;
	if (t->len == 1 && t->parts[0].type == AZ_PART_REF) {
		out = ref_value(inst, &t->parts[0]);
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
		json_t *v = p->type == AZ_PART_REF ? ref_value(inst, p) : NULL;
		if (!v) {
			known = false;
			break;
		}
		if (json_is_string(v)) {
			az_buf_puts(&b, json_string_value(v));
		} else {
			char *dumped = az_json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
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

/* Puts `r`, the resolved `child` of `same` (at `key`, or at `index` of an
 * array), into *copy, which is made the first time a child changed. */
static void keep_resolved(json_t **copy, json_t *same, json_t *child, json_t *r,
			  const char *key, size_t index)
{
	if (r == child && !*copy) {
		json_decref(r);
		return;
	}
	if (!*copy)
		*copy = json_copy(same);
	if (key)
		json_object_set_new(*copy, key, r);
	else
		json_array_set_new(*copy, index, r);
}

json_t *az_resolve(az_instance *inst, const json_t *v)
{
	json_t *same = (json_t *)(uintptr_t)v;
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		return strchr(s, '$') ? resolve_string(inst, s) : json_incref(same);
	}
	/* A container is copied only when something in it changed; the rest
	 * is shared with the manifest. */
	json_t *copy = NULL, *child;
	const char *key;
	size_t i;
	if (json_is_object(v))
		json_object_foreach(same, key, child)
			keep_resolved(&copy, same, child, az_resolve(inst, child), key, 0);
	else if (json_is_array(v))
		json_array_foreach(same, i, child)
			keep_resolved(&copy, same, child, az_resolve(inst, child), NULL, i);
	return copy ? copy : json_incref(same);
}
