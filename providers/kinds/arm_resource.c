/*
 * arm_resource.c - kinds for ArmResource manifests: any ARM type, named by
 * its type and api-version instead of a table entry.
 *
 * A table kind (kinds.c) is written by hand; an ArmResource kind is made
 * here from the manifest's type, api-version and placement: its id and
 * list collection from where it lives (ARM ids are
 * {scope}/providers/{Namespace}/{type}/{name}, a child's its parent's id
 * and /{child type}/{name}), its ownership marker in tags when the type has
 * tags, and what the REST spec says of its properties when azapply ships
 * the spec (arm_specs.c). Each distinct kind is made once and kept for the
 * process: the planner holds az_kind pointers, compares them, and lists a
 * collection once per kind.
 */
#include <azapply/provider.h>

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arm_resource.h"
#include "arm_specs.h"

static az_kind **made;
static size_t made_len;

int az_arm_type_depth(const char *type)
{
	/* Namespace: dotted words ("Microsoft.Network"); then type segments. */
	const char *p = type;
	if (!p || !isalpha((unsigned char)*p))
		return 0;
	bool dot = false;
	for (; *p && *p != '/'; p++) {
		if (*p == '.') {
			if (p[1] == '.' || p[1] == '/' || !p[1])
				return 0;
			dot = true;
		} else if (!isalnum((unsigned char)*p)) {
			return 0;
		}
	}
	if (!dot || *p != '/')
		return 0;
	int depth = 0;
	while (*p == '/') {
		p++;
		if (!isalpha((unsigned char)*p))
			return 0;
		while (isalnum((unsigned char)*p))
			p++;
		depth++;
	}
	return *p ? 0 : depth;
}

bool az_arm_api_version_valid(const char *v)
{
	static const char shape[] = "dddd-dd-dd";
	if (!v || strlen(v) < sizeof(shape) - 1)
		return false;
	for (size_t i = 0; i < sizeof(shape) - 1; i++)
		if (shape[i] == 'd' ? !isdigit((unsigned char)v[i]) : v[i] != '-')
			return false;
	int month = (v[5] - '0') * 10 + (v[6] - '0'), day = (v[8] - '0') * 10 + (v[9] - '0');
	if (month < 1 || month > 12 || day < 1 || day > 31)
		return false;
	const char *suffix = v + sizeof(shape) - 1;
	if (!*suffix)
		return true;
	if (*suffix != '-' || !suffix[1])
		return false;
	for (const char *p = suffix + 1; *p; p++)
		if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '.')
			return false;
	return true;
}

static const az_arm_spec *spec_of(const char *type, const char *api_version)
{
	for (size_t i = 0; i < az_arm_specs_count; i++)
		if (!strcasecmp(az_arm_specs[i].type, type) &&
		    (!api_version || !strcmp(az_arm_specs[i].api_version, api_version)))
			return &az_arm_specs[i];
	return NULL;
}

static size_t paths_len(const char *const *paths)
{
	size_t n = 0;
	while (paths && paths[n])
		n++;
	return n;
}

/* `head` then `tail`, NULL-terminated, in one allocation of pointers. */
static const char *const *paths_join(const char *const *head, const char *const *tail)
{
	size_t h = paths_len(head), t = paths_len(tail);
	const char **out = az_xcalloc(h + t + 1, sizeof(*out));
	if (h)
		memcpy(out, head, h * sizeof(*out));
	if (t)
		memcpy(out + h, tail, t * sizeof(*out));
	return out;
}

/* "Microsoft.Synapse/workspaces/administrators" -> "administrators". */
static const char *last_segment(const char *type)
{
	return strrchr(type, '/') + 1;
}

static az_kind *make(const char *type, const char *api_version, az_scope scope, bool tagged,
		     const char *key)
{
	const az_arm_spec *spec = spec_of(type, api_version);
	az_kind *k = az_xcalloc(1, sizeof(*k));
	/* The table's entry gives what every ArmResource shares: the ARM
	 * read-only fields, ARM's name rule, timeouts, stateful. */
	*k = *az_kind_find("ArmResource");
	k->api_version = az_xstrdup(api_version);
	k->type = az_xstrdup(type);
	k->scope = scope;
	k->key = az_xstrdup(key);
	k->spec_known = spec != NULL;
	switch (scope) {
	case AZ_SCOPE_PARENT:
		k->parent_field = "parent";
		k->id_template = az_xasprintf("{parent}/%s/{name}", last_segment(type));
		k->list_path = az_xasprintf("{parent}/%s", last_segment(type));
		break;
	case AZ_SCOPE_ANY:
		k->id_template = az_xasprintf("{scope}/providers/%s/{name}", type);
		k->list_path = az_xasprintf("{scope}/providers/%s", type);
		break;
	default:
		k->id_template = az_xasprintf("/subscriptions/{subscription}/resourceGroups/"
					      "{resourceGroup}/providers/%s/{name}", type);
		k->list_path = az_xasprintf("/subscriptions/{subscription}/resourceGroups/"
					    "{resourceGroup}/providers/%s", type);
		break;
	}
	if (spec && !spec->listable) {
		/* No list operation (a singleton such as administrators/
		 * activeDirectory): the refresh reads it by id. */
		free((char *)(uintptr_t)k->list_path);
		k->list_path = NULL;
	}
	k->read_only_paths = paths_join(k->read_only_paths, spec ? spec->read_only_paths : NULL);
	k->create_only_paths = paths_join(k->create_only_paths,
					  spec ? spec->create_only_paths : NULL);
	k->case_insensitive_paths = paths_join(k->case_insensitive_paths, NULL);
	k->secret_paths = spec ? spec->secret_paths : NULL;
	k->server_defaults = spec ? spec->server_defaults : NULL;
	/* A type without tags has nowhere to keep a marker: declared, never
	 * owned, never pruned. */
	k->marker = (spec ? spec->tags : tagged) ? AZ_MARKER_TAGS : AZ_MARKER_NONE;
	return k;
}

const az_kind *az_kind_arm(const char *type, const char *api_version, az_scope scope, bool tagged)
{
	const az_arm_spec *spec = spec_of(type, api_version);
	bool tags = spec ? spec->tags : tagged;
	char *key = az_xasprintf("ArmResource:%s@%s:%s%s", type, api_version,
				 scope == AZ_SCOPE_PARENT ? "child" : scope == AZ_SCOPE_ANY ? "extension"
											     : "group",
				 tags ? ":tagged" : "");
	for (size_t i = 0; i < made_len; i++) {
		if (!strcmp(made[i]->key, key)) {
			free(key);
			return made[i];
		}
	}
	made = az_xrealloc(made, (made_len + 1) * sizeof(*made));
	made[made_len] = make(type, api_version, scope, tags, key);
	free(key);
	return made[made_len++];
}

const az_kind *az_kind_arm_of_type(const char *type)
{
	if (!type)
		return NULL;
	for (size_t i = 0; i < made_len; i++)
		if (!strcasecmp(made[i]->type, type))
			return made[i];
	const az_arm_spec *spec = spec_of(type, NULL);
	if (!spec || az_arm_type_depth(spec->type) != 1)
		return NULL;
	return az_kind_arm(spec->type, spec->api_version, AZ_SCOPE_RESOURCE_GROUP, spec->tags);
}

void az_kind_arm_release(void)
{
	for (size_t i = 0; i < made_len; i++) {
		az_kind *k = made[i];
		free((char *)(uintptr_t)k->api_version);
		free((char *)(uintptr_t)k->type);
		free((char *)(uintptr_t)k->key);
		free((char *)(uintptr_t)k->id_template);
		free((char *)(uintptr_t)k->list_path);
		free((void *)(uintptr_t)k->read_only_paths);
		free((void *)(uintptr_t)k->create_only_paths);
		free((void *)(uintptr_t)k->case_insensitive_paths);
		free(k);
	}
	free(made);
	made = NULL;
	made_len = 0;
}

const az_kind *az_kind_arm_find_key(const char *key)
{
	for (size_t i = 0; key && i < made_len; i++)
		if (!strcmp(made[i]->key, key))
			return made[i];
	return NULL;
}
