/*
 * export.c - a live Synapse workspace's artifacts in Synapse Studio's git
 * layout (azapply/export.h).
 *
 * The workspace's id comes from the stack (identity.c) and each artifact
 * collection is listed once through the Synapse provider, as the refresh
 * does. What is written is what a SynapseArtifacts manifest reads back
 * into the same bodies: the marker, ids, etags and types are left out,
 * and a string that the loader would read as an expression (${var.X},
 * $${) is written in template syntax, so the folder plans no property
 * change right after.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <azapply/export.h>

#include "identity.h"
#include "instance.h"
#include "marker.h"
#include "paths.h"

typedef struct export_list {
	const az_kind *kind;
	json_t *items;
	int err;
	az_diags d;
} export_list;

static void list_done(void *ud, int err, json_t *live, az_diags *pd)
{
	export_list *l = ud;
	l->err = err;
	l->items = live;
	if (pd)
		az_diags_move(&l->d, pd);
}

/* The workspace's Azure id: a full id as given, else the SynapseWorkspace
 * of the stack named by address, metadata.name or Azure name. */
static char *workspace_id(az_instance *inst, const char *ws, az_diags *d)
{
	if (ws[0] == '/')
		return az_xstrdup(ws);
	const char *name = !strncmp(ws, "SynapseWorkspace/", 17) ? ws + 17 : ws;
	az_buf known = AZ_BUF_INIT;
	for (size_t i = 0; i < inst->len; i++) {
		az_node *n = &inst->nodes[i];
		if (!n->kind || strcmp(n->kind->name, "SynapseWorkspace"))
			continue;
		az_buf_printf(&known, "%s%s", known.len ? ", " : "", n->res->address);
		if (strcmp(n->res->manifest->name, name) && strcasecmp(n->res->azure_name, name))
			continue;
		az_buf_free(&known);
		if (!n->id) {
			az_diag_add(d, AZ_SEV_ERROR, az_manifest_pos(n->res->manifest, "/spec"),
			            n->res->address, "%s",
			            "the workspace's Azure id is known only after apply");
			return NULL;
		}
		return az_xstrdup(n->id);
	}
	az_diag *dg = az_diag_add(d, AZ_SEV_ERROR, NULL, NULL,
	                          "no SynapseWorkspace '%s' in this stack", ws);
	az_diag_set_detail(dg, "%s%s", known.len ? "workspaces of the stack: " : "give a workspace's Azure id (/subscriptions/.../workspaces/NAME)",
	                   known.len ? known.data : "");
	az_buf_free(&known);
	return NULL;
}

/* Template syntax for a string read back by the loader: only where the
 * loader would see an expression or an escape ('{' after '$' gets one
 * more '$'); other text stays as Studio writes it. */
static json_t *as_template(json_t *s)
{
	const char *v = json_string_value(s);
	if (!strstr(v, "${var.") && !strstr(v, "${env.") && !strstr(v, "${ref.") &&
	    !strstr(v, "$${"))
		return NULL;
	az_buf b = AZ_BUF_INIT;
	for (const char *p = v; *p; p++) {
		if (*p == '{' && b.len && b.data[b.len - 1] == '$')
			az_buf_putc(&b, '$');
		az_buf_putc(&b, *p);
	}
	json_t *out = json_stringn(b.data, b.len);
	az_buf_free(&b);
	return out;
}

/* Escapes strings, and warns of SecureString values Azure masks. */
static void prepare(json_t *v, const char *address, az_buf *path, az_diags *d)
{
	size_t mark = path->len;
	if (json_is_object(v)) {
		const char *type = json_string_value(json_object_get(v, "type"));
		if (type && !strcmp(type, "SecureString")) {
			az_diag *dg = az_diag_add(d, AZ_SEV_WARNING, NULL, address,
			                          "%s is a secret Azure does not return: exported as "
			                          "Azure shows it",
			                          path->len ? path->data : "the body");
			az_diag_set_detail(dg, "replace its value with \"${env.NAME}\" (or an "
			                       "AzureKeyVaultSecret reference) before applying");
		}
		for (void *it = json_object_iter(v); it; it = json_object_iter_next(v, it)) {
			const char *key = json_object_iter_key(it);
			json_t *x = json_object_iter_value(it);
			az_buf_printf(path, "%s%s", path->len ? "." : "", key);
			json_t *r = json_is_string(x) ? as_template(x) : NULL;
			if (r)
				json_object_iter_set_new(v, it, r);
			else
				prepare(x, address, path, d);
			az_buf_truncate(path, mark);
		}
	} else if (json_is_array(v)) {
		for (size_t i = 0; i < json_array_size(v); i++) {
			json_t *x = json_array_get(v, i);
			az_buf_printf(path, ".%zu", i);
			json_t *r = json_is_string(x) ? as_template(x) : NULL;
			if (r)
				json_array_set_new(v, i, r);
			else
				prepare(x, address, path, d);
			az_buf_truncate(path, mark);
		}
	}
}

/* One live artifact as Studio's file. */
static json_t *studio_file(const az_kind *kind, const json_t *live, az_diags *d)
{
	const char *name = json_string_value(json_object_get(live, "name"));
	json_t *body = json_deep_copy(live);
	az_marker_strip(kind, body);
	/* An emptied "annotations" stays: the diff compares what was applied,
	 * and a manifest that no longer says it would read as its removal. */
	for (const char *const *p = kind->read_only_paths; p && *p; p++)
		az_json_remove_at(body, *p);
	/* Studio writes the name first. */
	json_t *file = json_pack("{s:s}", "name", name);
	const char *key;
	json_t *v;
	json_object_foreach(body, key, v) if (strcmp(key, "name")) json_object_set(file, key, v);
	json_decref(body);
	char *address = az_xasprintf("%s/%s", kind->name, name);
	az_buf path = AZ_BUF_INIT;
	prepare(file, address, &path, d);
	az_buf_free(&path);
	free(address);
	return file;
}

int az_export_synapse(json_t **files_out, az_stack *stack, az_session *session,
                      const char *workspace, az_diags *d)
{
	az_instance inst;
	size_t count, nlists = 0;
	const az_kind *const *kinds = az_kinds(&count);
	export_list *lists = az_xcalloc(count, sizeof(*lists));
	json_t *files = NULL;
	char *ws_id = NULL;
	int error = az_instance_init(&inst, stack, session, d);
	*files_out = NULL;
	if (error)
		goto done;
	az_identity_compute_all(&inst, d);
	if (!(ws_id = workspace_id(&inst, workspace, d))) {
		error = AZ_EINVALID;
		goto done;
	}
	for (size_t i = 0; i < count; i++) {
		/* Studio's folders hold what ARM serves too (integration runtimes). */
		if (!az_studio_kind_folder(kinds[i]->name))
			continue;
		export_list *l = &lists[nlists++];
		l->kind = kinds[i];
		char *collection = az_identity_collection_under(kinds[i], ws_id);
		az_provider_get(kinds[i]->provider)->list(session, kinds[i], collection, list_done, l);
		free(collection);
	}
	az_session_run(session);
	files = json_object();
	for (size_t i = 0; i < nlists; i++) {
		export_list *l = &lists[i];
		/* Only a workspace with a managed virtual network has managed
		 * private endpoints; without one, their collection is not there. */
		bool vnet_only = !strcmp(l->kind->name, "ManagedPrivateEndpoint");
		if (vnet_only && l->err == AZ_ENOTFOUND)
			continue;
		if (l->err == AZ_ENOTFOUND || (!l->err && !l->items)) {
			if (!error) {
				az_diag *dg = az_diag_add(d, AZ_SEV_ERROR, NULL, NULL,
				                          "the workspace %s does not exist", ws_id);
				az_diag_set_detail(dg, "apply the stack first, or give the id of an "
				                       "existing workspace");
			}
			error = AZ_ENOTFOUND;
			continue;
		}
		if (l->err) {
			az_diags_move(d, &l->d);
			error = l->err;
			continue;
		}
		size_t j;
		json_t *item;
		json_array_foreach(l->items, j, item)
		{
			const char *name = json_string_value(json_object_get(item, "name"));
			/* The endpoints Synapse makes for its own SQL pools are the
			 * workspace's, reserved: no folder declares them. */
			if (!name || json_is_true(json_object_get(json_object_get(item, "properties"),
								  "isReserved")))
				continue;
			char *path = az_xasprintf("%s/%s.json", az_studio_kind_folder(l->kind->name),
			                          name);
			json_object_set_new(files, path, studio_file(l->kind, item, d));
			free(path);
		}
	}
done:
	for (size_t i = 0; i < nlists; i++) {
		json_decref(lists[i].items);
		az_diags_clear(&lists[i].d);
	}
	free(lists);
	free(ws_id);
	if (inst.nodes)
		az_instance_free(&inst);
	if (error) {
		json_decref(files);
		return error;
	}
	*files_out = files;
	return 0;
}
