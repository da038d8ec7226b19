/*
 * paths.c - dotted paths into JSON bodies: the value at a path, and its
 * removal (a secret left out of a fingerprint, a read-only field out of
 * an import's body).
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <azapply/provider.h>

#include "paths.h"

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
