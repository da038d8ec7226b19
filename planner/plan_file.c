/*
 * plan_file.c - saved plans (`plan --out FILE`, `apply FILE`).
 *
 * A saved plan holds what apply needs to do exactly what was shown: the
 * bodies to send, the digest of the manifests it came from, and the etag or
 * fingerprint of every live resource it read, so apply can refuse when
 * either changed since. Secrets are never written: every secret path and
 * every value that came from ${env} is removed, and apply resolves them
 * again. The file is 0600 and written atomically (temporary file, fsync,
 * rename), so a crash never leaves half a plan behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <azapply/plan.h>

#include "marker.h"
#include "paths.h"

/* Removes the value at a JSON Pointer (RFC 6901) if present. */
static void remove_pointer(json_t *root, const char *pointer)
{
	if (!pointer || pointer[0] != '/')
		return;
	char *copy = az_xstrdup(pointer + 1);
	json_t *at = root;
	char *seg = copy;
	for (;;) {
		char *slash = strchr(seg, '/');
		if (slash)
			*slash = '\0';
		/* Unescape ~1 and ~0 in place. */
		char *w = seg;
		for (char *r = seg; *r; r++) {
			if (r[0] == '~' && r[1] == '1') {
				*w++ = '/';
				r++;
			} else if (r[0] == '~' && r[1] == '0') {
				*w++ = '~';
				r++;
			} else {
				*w++ = *r;
			}
		}
		*w = '\0';
		if (!slash) {
			if (json_is_object(at))
				json_object_del(at, seg);
			else if (json_is_array(at))
				json_array_set_new(at, (size_t)strtoul(seg, NULL, 10), json_null());
			break;
		}
		at = json_is_array(at) ? json_array_get(at, (size_t)strtoul(seg, NULL, 10))
				       : json_object_get(at, seg);
		if (!at)
			break;
		seg = slash + 1;
	}
	free(copy);
}

/* A copy of a manifest body without any sensitive value. */
static json_t *scrubbed_manifest(const az_manifest *m)
{
	json_t *copy = json_deep_copy(m->body);
	size_t i;
	json_t *v;
	json_array_foreach(m->sensitive, i, v) remove_pointer(copy, json_string_value(v));
	return copy;
}

char *az_stack_digest(const az_stack *stack)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	/* The canonical writer's text, with its NUL: what saved plans hold
	 * the hash of (a manifest is an object, so it is jansson's). */
	az_buf text = AZ_BUF_INIT;
	for (size_t i = 0; i < stack->len; i++) {
		const az_manifest *m = stack->resources[i].manifest;
		json_t *copy = scrubbed_manifest(m);
		az_buf_truncate(&text, 0);
		az_json_write_sorted(&text, copy);
		EVP_DigestUpdate(ctx, m->file, strlen(m->file) + 1);
		EVP_DigestUpdate(ctx, text.data, text.len + 1);
		json_decref(copy);
	}
	az_buf_free(&text);
	if (stack->env)
		EVP_DigestUpdate(ctx, stack->env, strlen(stack->env));
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	EVP_DigestFinal_ex(ctx, md, &len);
	EVP_MD_CTX_free(ctx);
	char *hex = az_xmalloc(2 * len + 1);
	for (unsigned int i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return hex;
}

/* The body as it may be written down: no secret, no ${env} value. */
static json_t *scrubbed_body(const az_plan_item *it, const az_resource *r)
{
	json_t *copy = json_deep_copy(it->desired);
	for (const char *const *p = it->kind->secret_paths; p && *p; p++)
		az_json_remove_at(copy, *p);
	size_t i;
	json_t *v;
	json_array_foreach(r->manifest->sensitive, i, v) {
		const char *ptr = json_string_value(v);
		if (ptr && strncmp(ptr, "/spec/", 6) == 0)
			remove_pointer(copy, ptr + 5);
	}
	return copy;
}

static int write_atomically(const char *path, const char *data, az_diags *d)
{
	char *tmp = az_xasprintf("%s.tmp.%ld", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0600);
	int rc = AZ_ERROR;
	if (fd < 0) {
		az_diag_add(d, AZ_SEV_ERROR, NULL, NULL, "cannot write %s: %s", path, strerror(errno));
		goto done;
	}
	size_t len = strlen(data), off = 0;
	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			az_diag_add(d, AZ_SEV_ERROR, NULL, NULL, "cannot write %s: %s", path,
				    strerror(errno));
			close(fd);
			unlink(tmp);
			goto done;
		}
		off += (size_t)n;
	}
	if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
		az_diag_add(d, AZ_SEV_ERROR, NULL, NULL, "cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
		goto done;
	}
	rc = 0;
done:
	free(tmp);
	return rc;
}

char *az_plan_live_digest(const az_plan_item *it)
{
	if (!it->live)
		return NULL;
	/* The etag when Azure keeps one; otherwise the whole live body. */
	if (it->etag)
		return az_xasprintf("etag:%s", it->etag);
	return az_fingerprint(it->kind, it->live);
}

int az_plan_save(const az_plan *p, const az_stack *stack, const char *path, az_diags *d)
{
	json_t *root = json_object();
	json_object_set_new(root, "formatVersion", json_string("1"));
	json_object_set_new(root, "azapplyVersion", json_string(AZAPPLY_VERSION));
	char *digest = az_stack_digest(stack);
	json_object_set_new(root, "manifestDigest", json_string(digest));
	json_object_set_new(root, "root", json_string(stack->set && stack->set->root ? stack->set->root : "."));
	json_object_set_new(root, "environment", stack->env ? json_string(stack->env) : json_null());
	json_object_set_new(root, "destroy", json_boolean(p->destroy));
	free(digest);
	json_t *resources = json_array();
	for (size_t i = 0; i < p->len; i++) {
		const az_plan_item *it = &p->items[i];
		json_t *r = json_object();
		json_object_set_new(r, "address", json_string(it->address));
		json_object_set_new(r, "action", json_string(az_action_name(it->action)));
		json_object_set_new(r, "id", it->id ? json_string(it->id) : json_null());
		if (it->desired)
			json_object_set_new(r, "body",
					    scrubbed_body(it, &stack->resources[it->resource]));
		if (it->etag)
			json_object_set_new(r, "liveEtag", json_string(it->etag));
		if (it->live) {
			az_marker_info m;
			az_marker_read(&m, it->kind, it->live);
			json_object_set_new(r, "liveFingerprint",
					    m.fingerprint ? json_string(m.fingerprint) : json_null());
			char *live_hash = az_plan_live_digest(it);
			json_object_set_new(r, "liveDigest", json_string(live_hash));
			free(live_hash);
			az_marker_info_free(&m);
		} else {
			json_object_set_new(r, "liveDigest", json_null());
		}
		json_array_append_new(resources, r);
	}
	json_object_set_new(root, "resources", resources);
	json_object_set_new(root, "plan", az_plan_to_json(p));
	char *text = az_json_dumps(root, JSON_INDENT(2));
	json_decref(root);
	int rc = write_atomically(path, text, d);
	free(text);
	return rc;
}
