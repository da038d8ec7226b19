/*
 * arm.c - Azure Resource Manager: the resource store and its routes.
 *
 * Resources are kept in store["arm"] keyed by the lower-cased id (ARM ids
 * are case-insensitive) with bookkeeping (etag, pending operation, hidden
 * while a 202-created resource is still being created) in store["meta"],
 * and indexed by collection (emu.h, arm_index) so a list or a cascade
 * delete reads what it lists, not the whole store.
 * One generic handler serves every type in arm_kinds.c: validation,
 * create-only and write-only properties, server-filled fields, long-running
 * operations in the header style the real provider uses, cascade deletes,
 * lists with nextLink paging and the tag-filtered resource list. Role
 * assignments and definitions add their Azure-specific rules on top.
 */
#include "arm.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct arm_path {
	char **seg;
	size_t n;
} arm_path;

static void path_split(arm_path *p, const char *path)
{
	p->seg = NULL;
	p->n = 0;
	const char *c = path;
	while (*c) {
		while (*c == '/')
			c++;
		if (!*c)
			break;
		const char *e = strchr(c, '/');
		size_t len = e ? (size_t)(e - c) : strlen(c);
		p->seg = az_xrealloc(p->seg, (p->n + 1) * sizeof(char *));
		p->seg[p->n++] = az_xstrndup(c, len);
		c += len;
	}
}

static void path_free(arm_path *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->seg[i]);
	free(p->seg);
}

static char *path_join(const arm_path *p, size_t from, size_t to)
{
	az_buf b = AZ_BUF_INIT;
	for (size_t i = from; i < to; i++) {
		az_buf_putc(&b, '/');
		az_buf_puts(&b, p->seg[i]);
	}
	return az_buf_detach(&b);
}

static bool seg_is(const arm_path *p, size_t i, const char *s)
{
	return i < p->n && !strcasecmp(p->seg[i], s);
}

/* ---- helpers shared with the other hosts -------------------------------- */

char *emu_filter_eq(const char *filter, const char *field)
{
	if (!filter)
		return NULL;
	size_t fl = strlen(field);
	for (const char *p = filter; *p; p++) {
		if (strncasecmp(p, field, fl) || (p > filter && (isalnum((unsigned char)p[-1]))))
			continue;
		const char *c = p + fl;
		while (*c == ' ')
			c++;
		if (strncasecmp(c, "eq", 2))
			continue;
		c += 2;
		while (*c == ' ')
			c++;
		if (*c != '\'')
			continue;
		const char *end = strchr(c + 1, '\'');
		if (!end)
			return NULL;
		return az_xstrndup(c + 1, (size_t)(end - c - 1));
	}
	return NULL;
}

json_t *emu_page(emu_server *s, const emu_req *q, json_t *items, size_t page,
		 const char *skip_param, const char *link_name)
{
	const char *skip = emu_req_query(q, skip_param);
	size_t from = skip ? (size_t)strtoul(skip, NULL, 10) : 0;
	size_t total = json_array_size(items);
	json_t *value = json_array();
	for (size_t i = from; i < total && i < from + page; i++)
		json_array_append(value, json_array_get(items, i));
	json_t *body = json_pack("{s:o}", "value", value);
	if (from + page < total) {
		emu_req copy = *q;
		emu_kvs query = {0};
		for (size_t i = 0; i < q->query.len; i++)
			if (strcmp(q->query.items[i].name, skip_param))
				emu_kvs_add(&query, q->query.items[i].name,
					    q->query.items[i].value);
		char next[32];
		snprintf(next, sizeof(next), "%zu", from + page);
		emu_kvs_add(&query, skip_param, next);
		copy.query = query;
		char *target = emu_req_target(&copy);
		char *url = az_xasprintf("https://%s:%d%s", q->host, s->cfg.port, target);
		json_object_set_new(body, link_name, json_string(url));
		free(url);
		free(target);
		emu_kvs_clear(&query);
	}
	json_decref(items);
	return body;
}

void emu_resp_page(emu_server *s, const emu_req *q, emu_resp *r, json_t *items,
		   const char *skip_param)
{
	size_t page = s->cfg.page_size > 0 ? (size_t)s->cfg.page_size : 100;
	emu_resp_json(r, 200, emu_page(s, q, items, page, skip_param, "nextLink"));
}

/* ---- store access ------------------------------------------------------- */

static json_t *arm_store(emu_server *s)
{
	return emu_store_obj(s, "arm");
}

/* The collection of `lid`: the id without its last segment. */
static char *collection_of(const char *lid)
{
	const char *slash = strrchr(lid, '/');
	return az_xstrndup(lid, slash ? (size_t)(slash - lid) : 0);
}

/* The tail of `lid` a named lookup asks for: from its last "/providers/"
 * on ("/providers/microsoft.synapse/workspaces/w"), or NULL. */
static const char *named_tail(const char *lid)
{
	const char *tail = NULL;
	for (const char *p = strstr(lid, "/providers/"); p; p = strstr(p + 1, "/providers/"))
		tail = p;
	return tail;
}

/* index[key] is a set of ids ({id: true}); an empty one is dropped. */
static void bucket_add(json_t *index, const char *key, const char *lid)
{
	json_t *bucket = json_object_get(index, key);
	if (!bucket) {
		bucket = json_object();
		json_object_set_new(index, key, bucket);
	}
	json_object_set_new(bucket, lid, json_true());
}

static void bucket_del(json_t *index, const char *key, const char *lid)
{
	json_t *bucket = json_object_get(index, key);
	json_object_del(bucket, lid);
	if (bucket && !json_object_size(bucket))
		json_object_del(index, key);
}

/* Files `lid` by its collection and by its named tail. */
static void index_add(emu_server *s, const char *lid)
{
	char *coll = collection_of(lid);
	bucket_add(s->arm_index, coll, lid);
	free(coll);
	const char *tail = named_tail(lid);
	if (tail)
		bucket_add(s->arm_named, tail, lid);
}

static void index_del(emu_server *s, const char *lid)
{
	char *coll = collection_of(lid);
	bucket_del(s->arm_index, coll, lid);
	free(coll);
	const char *tail = named_tail(lid);
	if (tail)
		bucket_del(s->arm_named, tail, lid);
}

static json_t *arm_index(emu_server *s)
{
	if (!s->arm_index) {
		s->arm_index = json_object();
		s->arm_named = json_object();
		const char *key;
		json_t *res;
		json_object_foreach(arm_store(s), key, res)
			index_add(s, key);
	}
	return s->arm_index;
}

/* What an ARM list holds may have changed: a list collects anew. */
static void arm_changed(emu_server *s)
{
	s->arm_changes++;
}

void emu_arm_index_drop(emu_server *s)
{
	json_decref(s->arm_index);
	json_decref(s->arm_named);
	s->arm_index = s->arm_named = NULL;
	json_decref(s->arm_list.items);
	free(s->arm_list.query);
	s->arm_list.items = NULL;
	s->arm_list.query = NULL;
	arm_changed(s);
}

/* Every write of store["arm"] goes through these two, so the indexes hold
 * (built from the store first, when they are not yet). */
static void store_set(emu_server *s, const char *lid, json_t *res)
{
	json_object_set(arm_store(s), lid, res);
	arm_index(s);
	index_add(s, lid);
	arm_changed(s);
}

static void store_del(emu_server *s, const char *lid)
{
	arm_index(s);
	index_del(s, lid);
	json_object_del(arm_store(s), lid);
	arm_changed(s);
}

static bool is_hidden(emu_server *s, const char *lid);

json_t *emu_arm_collection(emu_server *s, const char *coll)
{
	char *lcoll = emu_lower(coll);
	json_t *members = json_object_get(arm_index(s), lcoll);
	free(lcoll);
	return members;
}

json_t *emu_arm_find_named(emu_server *s, const char *coll_suffix, const char *name)
{
	/* Looked up on every data-plane request: by the index of tails, not by
	 * a walk of every collection (which grew with the subscription). */
	char *tail = az_xasprintf("%s/%s", coll_suffix, name);
	char *ltail = emu_lower(tail);
	json_t *found = NULL;
	const char *lid;
	json_t *v;
	arm_index(s);
	json_object_foreach(json_object_get(s->arm_named, ltail), lid, v) {
		if (!found && !is_hidden(s, lid))
			found = json_object_get(arm_store(s), lid);
	}
	free(ltail);
	free(tail);
	return found;
}

/* The ids under `prefix` (lower case, ending in '/'): the members of every
 * collection at or below it, copied, so a caller may delete while it walks
 * them. */
static json_t *ids_under(emu_server *s, const char *prefix)
{
	json_t *ids = json_array();
	size_t pl = strlen(prefix);
	const char *coll, *lid;
	json_t *members, *v;
	json_object_foreach(arm_index(s), coll, members) {
		/* A collection at the prefix itself ("/x/y" for "/x/y/") or below. */
		if (strncmp(coll, prefix, pl - 1) || (coll[pl - 1] && coll[pl - 1] != '/'))
			continue;
		json_object_foreach(members, lid, v)
			json_array_append_new(ids, json_string(lid));
	}
	return ids;
}

/* Hides a resource from reads and lists (a create under way) or shows
 * it: what ARM's lists hold changes either way. */
static void set_hidden(emu_server *s, json_t *meta, bool hidden)
{
	if (hidden)
		json_object_set_new(meta, "hidden", json_true());
	else
		json_object_del(meta, "hidden");
	arm_changed(s);
}

static json_t *meta_of(emu_server *s, const char *lid)
{
	json_t *meta = emu_store_obj(s, "meta");
	json_t *m = json_object_get(meta, lid);
	if (!m) {
		m = json_object();
		json_object_set_new(meta, lid, m);
	}
	return m;
}

static bool is_hidden(emu_server *s, const char *lid)
{
	return json_is_true(json_object_get(json_object_get(emu_store_obj(s, "meta"), lid), "hidden"));
}

static json_t *lookup(emu_server *s, const char *id, bool include_hidden)
{
	char *lid = emu_lower(id);
	json_t *res = json_object_get(arm_store(s), lid);
	if (res && !include_hidden && is_hidden(s, lid))
		res = NULL;
	free(lid);
	return res;
}

static const emu_arm_kind *kind_of_resource(json_t *res)
{
	return emu_arm_kind_find(json_string_value(json_object_get(res, "type")));
}

/* A new etag for the resource at `lid`, in its provider's form. */
static void new_etag(emu_server *s, const char *lid)
{
	const emu_arm_kind *kind = kind_of_resource(json_object_get(arm_store(s), lid));
	char *u = emu_uuid(s);
	char *etag;
	if (kind && kind->etag_form == EMU_ETAG_QUOTED) {
		etag = az_xasprintf("\"%s\"", u);
	} else if (kind && kind->etag_form == EMU_ETAG_PLAIN) {
		etag = az_xstrdup(u);
	} else if (kind && kind->etag_form == EMU_ETAG_STORAGE) {
		char hex[16] = "";
		size_t n = 0;
		for (const char *c = u; *c && n < 13; c++)
			if (*c != '-')
				hex[n++] = (char)(*c >= 'a' && *c <= 'f' ? *c - 'a' + 'A' : *c);
		etag = az_xasprintf("\"0x8D%s\"", hex);
	} else {
		etag = az_xasprintf("W/\"%s\"", u);
	}
	json_object_set_new(meta_of(s, lid), "etag", json_string(etag));
	free(etag);
	free(u);
}

/* Storage sends the etag as a header too (recordings). */
static void etag_header(emu_server *s, emu_resp *r, const emu_arm_kind *kind, const char *lid)
{
	const char *etag =
		json_string_value(json_object_get(json_object_get(emu_store_obj(s, "meta"), lid), "etag"));
	if (kind && kind->etag_form == EMU_ETAG_STORAGE && etag)
		emu_resp_header(r, "ETag", "%s", etag);
}

static json_t *present(emu_server *s, json_t *res, const emu_arm_kind *kind)
{
	json_t *out = json_deep_copy(res);
	char *lid = emu_lower(json_string_value(json_object_get(res, "id")));
	json_t *meta = json_object_get(emu_store_obj(s, "meta"), lid);
	if (kind && kind->etag && json_object_get(meta, "etag"))
		json_object_set(out, "etag", json_object_get(meta, "etag"));
	if (kind && !strcmp(kind->type, "Microsoft.Storage/storageAccounts/blobServices/containers"))
		emu_lease_present(out, meta, emu_now_ms());
	free(lid);
	return out;
}

/* Removes a resource and everything under it; soft-deletes key vaults and
 * drops a Synapse workspace's data plane with it. */
static void remove_tree(emu_server *s, const char *id)
{
	char *lid = emu_lower(id);
	char *prefix = az_xasprintf("%s/", lid);
	json_t *arm = arm_store(s), *meta = emu_store_obj(s, "meta");
	json_t *ids = ids_under(s, prefix);
	json_array_append_new(ids, json_string(lid));
	size_t i;
	json_t *item;
	json_array_foreach(ids, i, item) {
		const char *key = json_string_value(item);
		json_t *res = json_object_get(arm, key);
		if (!res)
			continue;
		const char *type = json_string_value(json_object_get(res, "type"));
		const char *name = json_string_value(json_object_get(res, "name"));
		if (type && name && !strcasecmp(type, "Microsoft.KeyVault/vaults") &&
		    json_is_true(emu_json_path(res, "properties.enableSoftDelete"))) {
			char *ln = emu_lower(name);
			json_object_set_new(emu_store_obj(s, "deletedVaults"), ln,
					    json_pack("{s:O,s:O}", "id", json_object_get(res, "id"),
						      "location", json_object_get(res, "location")));
			free(ln);
		}
		if (type && !strcasecmp(type, "Microsoft.MachineLearningServices/workspaces") &&
		    s->cfg.ml_soft_delete &&
		    !json_is_true(json_object_get(json_object_get(meta, key), "purge")))
			json_object_set_new(emu_store_obj(s, "deletedMlWorkspaces"), key,
					    json_pack("{s:O,s:O}", "id", json_object_get(res, "id"),
						      "location", json_object_get(res, "location")));
		if (type && name && !strcasecmp(type, "Microsoft.Synapse/workspaces")) {
			char *ln = emu_lower(name);
			json_object_del(emu_store_obj(s, "synapse"), ln);
			free(ln);
		}
		json_object_del(meta, key);
		store_del(s, key);
	}
	json_decref(ids);
	free(prefix);
	free(lid);
}

/* ---- long-running operations -------------------------------------------- */

static int lro_polls(emu_server *s, const char *type)
{
	char *lt = emu_lower(type);
	json_t *o = json_object_get(emu_store_obj(s, "lro"), lt);
	free(lt);
	json_t *p = json_object_get(o, "polls");
	return json_is_integer(p) ? (int)json_integer_value(p) : s->cfg.lro_polls;
}

static int lro_retry_after(emu_server *s, const char *type)
{
	char *lt = emu_lower(type);
	json_t *o = json_object_get(emu_store_obj(s, "lro"), lt);
	free(lt);
	json_t *p = json_object_get(o, "retryAfter");
	return json_is_integer(p) ? (int)json_integer_value(p) : s->cfg.retry_after_s;
}

static emu_lro lro_style(emu_server *s, const emu_arm_kind *kind, const char *action)
{
	emu_lro def = !strcmp(action, "put")     ? kind->put_lro
		      : !strcmp(action, "patch") ? kind->patch_lro
						 : kind->delete_lro;
	char *lt = emu_lower(kind->type);
	json_t *o = json_object_get(emu_store_obj(s, "lro"), lt);
	free(lt);
	return emu_lro_parse(json_string_value(json_object_get(o, action)), def);
}

static void finish_op(emu_server *s, json_t *op)
{
	const char *result = json_string_value(json_object_get(op, "result"));
	const char *action = json_string_value(json_object_get(op, "action"));
	const char *lid = json_string_value(json_object_get(op, "resourceId"));
	char ts[40];
	emu_iso8601(ts, sizeof(ts), emu_now_ms());
	json_object_set_new(op, "status", json_string(result));
	json_object_set_new(op, "endTime", json_string(ts));
	json_t *res = json_object_get(arm_store(s), lid);
	json_t *meta = json_object_get(emu_store_obj(s, "meta"), lid);
	if (meta) {
		set_hidden(s, meta, false);
		json_object_del(meta, "op");
	}
	if (!res)
		return;
	const emu_arm_kind *kind = kind_of_resource(res);
	bool ok = !strcmp(result, "Succeeded");
	if (!strcmp(action, "delete")) {
		if (ok) {
			remove_tree(s, json_string_value(json_object_get(res, "id")));
			return;
		}
		result = "Succeeded";
	}
	if (kind && kind->provisioning)
		emu_json_set_path(res, "properties.provisioningState", json_string(result));
}

static void advance_op(emu_server *s, json_t *op)
{
	if (strcmp(json_string_value(json_object_get(op, "status")), "InProgress"))
		return;
	json_int_t left = json_integer_value(json_object_get(op, "pollsLeft")) - 1;
	json_object_set_new(op, "pollsLeft", json_integer(left));
	if (left <= 0)
		finish_op(s, op);
}

/* Azure runs an operation whether or not anyone polls it: one that was
 * started EMU_OP_UNWATCHED_MS ago and is still in progress (its client
 * stopped polling: a failed poll, Ctrl-C) ends now, as it would have by
 * itself. Called where its end changes what Azure answers others. */
void emu_arm_end_unwatched_op(emu_server *s, const char *lid)
{
	json_t *meta = json_object_get(emu_store_obj(s, "meta"), lid);
	const char *opid = json_string_value(json_object_get(meta, "op"));
	json_t *op = opid ? json_object_get(emu_store_obj(s, "ops"), opid) : NULL;
	if (!op || strcmp(json_string_value(json_object_get(op, "status")), "InProgress") ||
	    emu_now_ms() - json_integer_value(json_object_get(op, "startMs")) < EMU_OP_UNWATCHED_MS)
		return;
	finish_op(s, op);
}

static json_t *start_op(emu_server *s, const char *lid, const char *type, const char *action,
			const emu_fault *fault, bool hidden, int final_status)
{
	char *id = emu_uuid(s);
	char ts[40];
	emu_iso8601(ts, sizeof(ts), emu_now_ms());
	json_t *op = json_pack("{s:s,s:s,s:s,s:s,s:i,s:s,s:s,s:i,s:b}", "id", id, "resourceId",
			       lid, "type", type, "action", action, "pollsLeft",
			       lro_polls(s, type), "status", "InProgress", "startTime", ts,
			       "finalStatus", final_status, "hidden", hidden);
	json_object_set_new(op, "startMs", json_integer(emu_now_ms()));
	const char *result = fault && fault->lro_result ? fault->lro_result : "Succeeded";
	json_object_set_new(op, "result", json_string(result));
	if (strcmp(result, "Succeeded")) {
		json_t *err = fault->lro_error ? json_deep_copy(fault->lro_error)
					       : json_pack("{s:s,s:s}", "code",
							   !strcmp(result, "Failed")
								   ? "InternalServerError"
								   : "OperationCanceled",
							   "message",
							   "The operation did not complete.");
		json_object_set_new(op, "error", err);
	}
	json_object_set_new(emu_store_obj(s, "ops"), id, op);
	json_t *meta = meta_of(s, lid);
	json_object_set_new(meta, "op", json_string(id));
	if (hidden)
		set_hidden(s, meta, true);
	free(id);
	return op;
}

/* Writes the LRO headers for `op` (sub, namespace, location from the id). */
static void lro_headers(emu_server *s, emu_resp *r, json_t *op, json_t *res, emu_lro style,
			const emu_arm_kind *kind, const char *api)
{
	const char *id = json_string_value(json_object_get(res, "id"));
	const char *opid = json_string_value(json_object_get(op, "id"));
	const char *loc = json_string_value(json_object_get(res, "location"));
	char *lloc = emu_lower(loc ? loc : "global");
	for (char *p = lloc; *p; p++)
		if (*p == ' ')
			*p = '-';
	arm_path p;
	path_split(&p, id);
	const char *sub = p.n > 1 ? p.seg[1] : EMU_DEFAULT_SUBSCRIPTION;
	char ns[128];
	const char *slash = strchr(kind->type, '/');
	snprintf(ns, sizeof(ns), "%.*s", (int)(slash - kind->type), kind->type);
	char *base;
	size_t ws = 0;
	for (size_t i = 0; kind->status_on_workspace && i + 1 < p.n; i++)
		if (!strcasecmp(p.seg[i], "workspaces"))
			ws = i + 2;
	if (ws) {
		char *wsid = path_join(&p, 0, ws);
		base = az_xasprintf("https://management.localhost:%d%s", s->cfg.port, wsid);
		free(wsid);
	} else if (kind->status_on_subscription) {
		base = az_xasprintf("https://management.localhost:%d/subscriptions/%s", s->cfg.port,
				    sub);
	} else {
		base = az_xasprintf("https://management.localhost:%d/subscriptions/%s/providers/%s/"
				    "locations/%s",
				    s->cfg.port, sub, ns, lloc);
	}
	if (style == EMU_LRO_ASYNC || style == EMU_LRO_BOTH)
		emu_resp_header(r, "Azure-AsyncOperation", "%s/%s/%s?api-version=%s", base,
				kind->status_segment ? kind->status_segment : "operationStatuses",
				opid, api);
	if (style == EMU_LRO_LOCATION || style == EMU_LRO_BOTH) {
		if (kind->monitor_url)
			emu_resp_header(r, "Location",
					"%s/asyncoperations/%s?monitor=true&api-version=%s", base,
					opid, api);
		else if (kind->status_segment)
			emu_resp_header(r, "Location", "%s/%s/%s?api-version=%s", base,
					kind->status_segment, opid, api);
		else
			emu_resp_header(r, "Location", "%s/%s/%s?api-version=%s", base,
					kind->status_on_subscription ? "operationresults"
								     : "operationResults",
					opid, api);
	}
	if (lro_retry_after(s, kind->type) >= 0)
		emu_resp_header(r, "Retry-After", "%d", lro_retry_after(s, kind->type));
	free(base);
	free(lloc);
	path_free(&p);
}

static void handle_poll(emu_server *s, const emu_req *q, emu_resp *r, const char *which,
			const char *opid)
{
	json_t *op = json_object_get(emu_store_obj(s, "ops"), opid);
	if (!op) {
		emu_resp_arm_error(r, 404, "OperationNotFound", "The operation '%s' was not found.",
				   opid);
		return;
	}
	advance_op(s, op);
	const char *status = json_string_value(json_object_get(op, "status"));
	const char *type = json_string_value(json_object_get(op, "type"));
	bool done = strcmp(status, "InProgress") != 0;
	bool ml = !strcasecmp(which, "computeOperationsStatus") ||
		  !strcasecmp(which, "workspaceOperationsStatus");
	if (!strcasecmp(which, "operationStatuses") || ml) {
		/* Synapse answers {"status"} alone, Machine Learning adds
		 * percentComplete once done (recordings); others the documented
		 * status document. */
		bool compute = ml;
		json_t *body = !strncasecmp(type, "Microsoft.Synapse/", 18) || compute
				       ? json_pack("{s:s}", "status", status)
				       : json_pack("{s:s,s:s,s:s,s:O,s:f}", "id", q->path, "name",
						   opid, "status", status, "startTime",
						   json_object_get(op, "startTime"),
						   "percentComplete", done ? 100.0 : 50.0);
		if (strncasecmp(type, "Microsoft.Synapse/", 18) && !compute &&
		    json_object_get(op, "endTime"))
			json_object_set(body, "endTime", json_object_get(op, "endTime"));
		if (compute && done)
			json_object_set_new(body, "percentComplete", json_real(100.0));
		if (done && strcmp(status, "Succeeded") && json_object_get(op, "error"))
			json_object_set(body, "error", json_object_get(op, "error"));
		if (!done && lro_retry_after(s, type) >= 0)
			emu_resp_header(r, "Retry-After", "%d", lro_retry_after(s, type));
		emu_resp_json(r, 200, body);
		return;
	}
	/* Location style: 202 while running, then the final answer. */
	if (!done) {
		char *target = emu_req_target(q);
		emu_resp_header(r, "Location", "https://%s:%d%s", q->host, s->cfg.port, target);
		if (lro_retry_after(s, type) >= 0)
			emu_resp_header(r, "Retry-After", "%d", lro_retry_after(s, type));
		free(target);
		emu_resp_empty(r, 202);
		return;
	}
	if (strcmp(status, "Succeeded")) {
		json_t *err = json_object_get(op, "error");
		emu_resp_json(r, 400, json_pack("{s:O}", "error", err));
		return;
	}
	const char *action = json_string_value(json_object_get(op, "action"));
	if (!strcmp(action, "delete")) {
		emu_resp_empty(r, (int)json_integer_value(json_object_get(op, "finalStatus")));
		return;
	}
	json_t *res = json_object_get(arm_store(s),
				      json_string_value(json_object_get(op, "resourceId")));
	if (!res) {
		emu_resp_empty(r, 204);
		return;
	}
	emu_resp_json(r, 200, present(s, res, kind_of_resource(res)));
}

/* ---- validation ---------------------------------------------------------- */

static bool validate(const emu_arm_kind *kind, json_t *body, emu_resp *r, bool check_required)
{
	for (const char *const *p = kind->required; check_required && p && *p; p++) {
		json_t *v = emu_json_path(body, *p);
		if (v && !json_is_null(v))
			continue;
		if (!strcmp(*p, "location"))
			emu_resp_arm_error(r, 400, "LocationRequired",
					   "The location property is required for this definition.");
		else
			emu_resp_arm_error(r, 400, "MissingRequiredProperty",
					   "The required property '%s' is missing from the request.",
					   *p);
		return false;
	}
	for (const emu_enum *e = kind->enums; e && e->path; e++) {
		json_t *v = emu_json_path(body, e->path);
		if (!v || json_is_null(v))
			continue;
		const char *sv = json_string_value(v);
		char *needle = az_xasprintf("|%s|", sv ? sv : "");
		bool found = false;
		for (const char *h = e->values; sv && *h; h++)
			if (!strncasecmp(h, needle, strlen(needle)))
				found = true;
		free(needle);
		if (!found) {
			emu_resp_arm_error(r, 400, "InvalidParameter",
					   "The value of parameter '%s' is invalid.", e->path);
			return false;
		}
	}
	return true;
}

static bool json_equal_ci(json_t *a, json_t *b)
{
	if (json_is_string(a) && json_is_string(b))
		return !strcasecmp(json_string_value(a), json_string_value(b));
	return json_equal(a, b);
}

static bool check_create_only(const emu_arm_kind *kind, json_t *old, json_t *body, emu_resp *r)
{
	for (const char *const *p = kind->create_only; p && *p; p++) {
		json_t *nv = emu_json_path(body, *p), *ov = emu_json_path(old, *p);
		if (!nv || json_equal_ci(nv, ov))
			continue;
		emu_resp_arm_error(r, 409, "PropertyChangeNotAllowed",
				   "Changing property '%s' is not allowed.", *p);
		return false;
	}
	return true;
}

/* If-Match and If-None-Match as the ARM RPC has a provider that keeps
 * etags honour them (azure-notes.md): a stale If-Match, If-Match: * on a
 * missing resource or If-None-Match: * on an existing one is 412. A type
 * whose spec gives it no etag (resource groups, storage accounts, vaults,
 * Synapse and ML resources, role assignments) has nothing to compare, and
 * its provider ignores the headers. */
static bool check_preconditions(emu_server *s, const emu_req *q, emu_resp *r,
				const emu_arm_kind *kind, const char *lid, bool exists)
{
	if (!kind->etag)
		return true;
	const char *im = emu_req_header(q, "If-Match");
	const char *inm = emu_req_header(q, "If-None-Match");
	json_t *meta = json_object_get(emu_store_obj(s, "meta"), lid);
	const char *etag = json_string_value(json_object_get(meta, "etag"));
	bool fail = false;
	if (im && (!exists || (strcmp(im, "*") && (!etag || strcmp(im, etag)))))
		fail = true;
	if (inm && !strcmp(inm, "*") && exists)
		fail = true;
	if (fail)
		emu_resp_arm_error(r, 412, "PreconditionFailed",
				   "The condition specified using HTTP conditional header(s) is "
				   "not met.");
	return !fail;
}

/* ---- role assignments and definitions ----------------------------------- */

static const emu_role *role_by_id(const char *id)
{
	const char *slash = id ? strrchr(id, '/') : NULL;
	const char *guid = slash ? slash + 1 : id;
	for (size_t i = 0; guid && i < emu_builtin_roles_count; i++)
		if (!strcasecmp(emu_builtin_roles[i].id, guid))
			return &emu_builtin_roles[i];
	return NULL;
}

static json_t *role_definition(const emu_role *role, const char *scope)
{
	char *id = az_xasprintf("%s/providers/Microsoft.Authorization/roleDefinitions/%s", scope,
				role->id);
	json_t *d = json_pack(
		"{s:s,s:s,s:s,s:{s:s,s:s,s:s,s:[s],s:[{s:[s],s:[],s:[],s:[]}],s:s,s:s,s:n,s:n}}",
		"id", id, "name", role->id, "type", "Microsoft.Authorization/roleDefinitions",
		"properties", "roleName", role->name, "type", "BuiltInRole", "description",
		role->description, "assignableScopes", "/", "permissions", "actions", "*",
		"notActions", "dataActions", "notDataActions", "createdOn",
		"2015-02-02T21:55:09.8806423Z", "updatedOn", "2021-11-11T20:13:47.8628684Z",
		"createdBy", "updatedBy");
	free(id);
	return d;
}

static void handle_role_definitions(emu_server *s, const emu_req *q, emu_resp *r,
				    const char *scope, const char *name)
{
	if (strcmp(q->method, "GET")) {
		emu_resp_arm_error(r, 405, "MethodNotAllowed",
				   "Built-in role definitions cannot be changed.");
		return;
	}
	if (name) {
		const emu_role *role = role_by_id(name);
		if (!role)
			emu_resp_arm_error(r, 404, "RoleDefinitionDoesNotExist",
					   "The specified role definition with ID '%s' does not "
					   "exist.",
					   name);
		else
			emu_resp_json(r, 200, role_definition(role, scope));
		return;
	}
	char *want = emu_filter_eq(emu_req_query(q, "$filter"), "roleName");
	json_t *items = json_array();
	for (size_t i = 0; i < emu_builtin_roles_count; i++)
		if (!want || !strcasecmp(want, emu_builtin_roles[i].name))
			json_array_append_new(items, role_definition(&emu_builtin_roles[i], scope));
	free(want);
	emu_resp_page(s, q, r, items, "$skiptoken");
}

/* Role assignment rules on PUT; returns false when an error was written. */
static bool role_assignment_rules(emu_server *s, const emu_req *q, emu_resp *r, json_t *body,
				  const char *scope, const char *lid, bool exists)
{
	const char *role_id = json_string_value(emu_json_path(body, "properties.roleDefinitionId"));
	const char *principal = json_string_value(emu_json_path(body, "properties.principalId"));
	const char *ptype = json_string_value(emu_json_path(body, "properties.principalType"));
	const emu_role *role = role_by_id(role_id);
	if (!role) {
		emu_resp_arm_error(r, 400, "RoleDefinitionDoesNotExist",
				   "The specified role definition with ID '%s' does not exist.",
				   role_id ? role_id : "");
		return false;
	}
	int known = emu_principal_lookup(s, principal ? principal : "", q->now_ms);
	if (known == -1 || (known == -2 && !ptype)) {
		emu_resp_arm_error(r, 400, "PrincipalNotFound",
				   "Principal %s does not exist in the directory %s. Check that "
				   "you have the correct principal ID. If you are creating this "
				   "principal and then immediately assigning a role, this error might "
				   "be related to a replication delay. In this case, set the role "
				   "assignment principalType property to a value, such as "
				   "ServicePrincipal, User, or Group.",
				   principal ? principal : "", s->tenant_id);
		return false;
	}
	if (exists) {
		json_t *old = json_object_get(arm_store(s), lid);
		const char *old_role =
			json_string_value(emu_json_path(old, "properties.roleDefinitionId"));
		const char *old_pr = json_string_value(emu_json_path(old, "properties.principalId"));
		if (!role_by_id(old_role) || role_by_id(old_role) != role || !old_pr ||
		    strcasecmp(old_pr, principal)) {
			emu_resp_arm_error(r, 400, "RoleAssignmentUpdateNotPermitted",
					   "Tenant ID, application ID, principal ID, and scope are "
					   "not allowed to be updated.");
			return false;
		}
	}
	const char *key;
	json_t *res;
	json_object_foreach(arm_store(s), key, res) {
		if (!strcmp(key, lid) ||
		    strcasecmp(json_string_value(json_object_get(res, "type")),
			       "Microsoft.Authorization/roleAssignments"))
			continue;
		const char *sc = json_string_value(emu_json_path(res, "properties.scope"));
		const char *rid =
			json_string_value(emu_json_path(res, "properties.roleDefinitionId"));
		const char *pid = json_string_value(emu_json_path(res, "properties.principalId"));
		if (sc && pid && !strcasecmp(sc, scope) && role_by_id(rid) == role &&
		    !strcasecmp(pid, principal)) {
			/* Azure does not say which assignment already exists. */
			emu_resp_arm_error(r, 409, "RoleAssignmentExists",
					   "The role assignment already exists.");
			return false;
		}
	}
	return true;
}

static void role_assignment_fill(emu_server *s, json_t *res, json_t *old, const char *scope,
				 const char *sub)
{
	const char *rid = json_string_value(emu_json_path(res, "properties.roleDefinitionId"));
	const emu_role *role = role_by_id(rid);
	/* Validated by the caller: an unknown role was refused with 400. */
	if (!role)
		return;
	/* Recorded sessions (2022-04-01) answer with the subscription form of
	 * the definition id whatever the request used; clients normalise
	 * both forms before diffing. */
	char *norm = sub ? az_xasprintf("/subscriptions/%s/providers/Microsoft.Authorization/"
					"roleDefinitions/%s",
					sub, role->id)
			 : az_xasprintf("/providers/Microsoft.Authorization/roleDefinitions/%s",
					role->id);
	emu_json_set_path(res, "properties.roleDefinitionId", json_string(norm));
	free(norm);
	emu_json_set_path(res, "properties.scope", json_string(scope));
	char ts[40];
	emu_iso8601(ts, sizeof(ts), emu_now_ms());
	json_t *created = old ? emu_json_path(old, "properties.createdOn") : NULL;
	emu_json_set_path(res, "properties.createdOn",
			  created ? json_incref(created) : json_string(ts));
	emu_json_set_path(res, "properties.updatedOn", json_string(ts));
	emu_json_set_path(res, "properties.createdBy", json_string(s->sp_object_id));
	emu_json_set_path(res, "properties.updatedBy", json_string(s->sp_object_id));
	if (!emu_json_path(res, "properties.condition"))
		emu_json_set_path(res, "properties.condition", json_null());
	if (!emu_json_path(res, "properties.conditionVersion"))
		emu_json_set_path(res, "properties.conditionVersion", json_null());
	if (!emu_json_path(res, "properties.description"))
		emu_json_set_path(res, "properties.description", json_null());
	if (!emu_json_path(res, "properties.delegatedManagedIdentityResourceId"))
		emu_json_set_path(res, "properties.delegatedManagedIdentityResourceId", json_null());
	/* Role assignments carry no systemData (recordings). */
	json_object_del(res, "systemData");
}

/* ---- resource writes ----------------------------------------------------- */

static void fill_server_fields(emu_server *s, const emu_arm_kind *kind, json_t *res, json_t *old,
			       const char *id, const char *name, const char *who)
{
	char ts[40];
	emu_iso8601(ts, sizeof(ts), emu_now_ms());
	json_object_set_new(res, "id", json_string(id));
	json_object_set_new(res, "name", json_string(name));
	json_object_set_new(res, "type", json_string(kind->type));
	if (!json_is_object(json_object_get(res, "properties")))
		json_object_set_new(res, "properties", json_object());
	for (const az_server_default *d = kind->defaults; d && d->path; d++)
		if (!emu_json_path(res, d->path))
			emu_json_set_path(res, d->path, json_loads(d->value, JSON_DECODE_ANY, NULL));
	for (const char *const *w = kind->write_only; w && *w; w++)
		emu_json_del_path(res, *w);
	for (const char *const *k = kind->kept; old && k && *k; k++)
		if (emu_json_path(old, *k))
			emu_json_set_path(res, *k, json_deep_copy(emu_json_path(old, *k)));
	json_t *identity = json_object_get(res, "identity");
	const char *itype = json_string_value(json_object_get(identity, "type"));
	if (itype && !strncasecmp(itype, "SystemAssigned", 14)) {
		json_t *old_pid = emu_json_path(old, "identity.principalId");
		if (json_is_string(old_pid)) {
			json_object_set(identity, "principalId", old_pid);
		} else {
			char *pid = emu_uuid(s);
			json_object_set_new(identity, "principalId", json_string(pid));
			emu_principal_add(s, pid, "ServicePrincipal", emu_now_ms());
			free(pid);
		}
		json_object_set_new(identity, "tenantId", json_string(s->tenant_id));
	} else if (identity) {
		json_object_del(identity, "principalId");
		json_object_del(identity, "tenantId");
	}
	json_t *sd = old ? json_object_get(old, "systemData") : NULL;
	json_t *created_by = json_object_get(sd, "createdBy");
	json_t *created_at = json_object_get(sd, "createdAt");
	json_object_set_new(
		res, "systemData",
		json_pack("{s:o,s:o,s:s,s:s,s:s,s:s}", "createdBy",
			  created_by ? json_incref(created_by) : json_string(who), "createdAt",
			  created_at ? json_incref(created_at) : json_string(ts), "createdByType",
			  "Application", "lastModifiedBy", who, "lastModifiedByType", "Application",
			  "lastModifiedAt", ts));
	if (kind->fill)
		kind->fill(s, res, name, old == NULL);
}

static void strip_read_only(json_t *body)
{
	json_object_del(body, "id");
	json_object_del(body, "name");
	json_object_del(body, "type");
	json_object_del(body, "etag");
	json_object_del(body, "systemData");
	emu_json_del_path(body, "properties.provisioningState");
}

/* Answers a write according to the LRO style of the type. */
static void answer_write(emu_server *s, const emu_req *q, emu_resp *r, const emu_arm_kind *kind,
			 json_t *res, const char *lid, const char *action, bool created,
			 const emu_fault *fault)
{
	emu_lro style = lro_style(s, kind, action);
	const char *api = emu_req_query(q, "api-version");
	if (style == EMU_LRO_SYNC && !(fault && fault->lro_result)) {
		if (kind->provisioning)
			emu_json_set_path(res, "properties.provisioningState",
					  json_string("Succeeded"));
		etag_header(s, r, kind, lid);
		emu_resp_json(r, !strcmp(action, "put") && kind->put_status ? kind->put_status
				 : created                                  ? 201
									    : 200,
			      present(s, res, kind));
		return;
	}
	if (style == EMU_LRO_SYNC)
		style = EMU_LRO_ASYNC;
	/* A resource created through a 202 is not there for GET until done. */
	bool hidden = created && style != EMU_LRO_ASYNC && !kind->put_status;
	if (kind->provisioning)
		emu_json_set_path(res, "properties.provisioningState",
				  json_string(created && kind->creating_state ? kind->creating_state
					      : created                         ? "Provisioning"
					      : kind->updating_state            ? kind->updating_state
										: "Updating"));
	json_t *op = start_op(s, lid, kind->type, action, fault, hidden, 200);
	lro_headers(s, r, op, res, style, kind, api);
	int status = !strcmp(action, "patch") && kind->patch_status ? kind->patch_status
		     : !strcmp(action, "put") && kind->put_status  ? kind->put_status
		     : style == EMU_LRO_ASYNC                       ? (created ? 201 : 200)
								    : 202;
	if (!strcmp(action, "patch") && kind->patch_no_body) {
		emu_resp_empty(r, 202);
	} else if (style == EMU_LRO_ASYNC || style == EMU_LRO_BOTH) {
		json_t *body = present(s, res, kind);
		for (const char *const *w = kind->absent_while_creating; created && w && *w; w++)
			emu_json_del_path(body, *w);
		emu_resp_json(r, status, body);
	} else
		emu_resp_empty(r, 202);
}

static bool parent_exists(emu_server *s, const arm_path *p, size_t prov, size_t n)
{
	/* The parent of a child resource is the id minus the last type/name,
	 * skipping implicit singletons such as blobServices/default. */
	while (n - prov - 2 > 2) {
		n -= 2;
		char *pid = path_join(p, 0, n);
		char *type = NULL;
		az_buf t = AZ_BUF_INIT;
		az_buf_puts(&t, p->seg[prov + 1]);
		for (size_t i = prov + 2; i < n; i += 2) {
			az_buf_putc(&t, '/');
			az_buf_puts(&t, p->seg[i]);
		}
		type = az_buf_detach(&t);
		const emu_arm_kind *k = emu_arm_kind_find(type);
		bool implicit = k && k->implicit;
		json_t *res = lookup(s, pid, false);
		free(type);
		free(pid);
		if (implicit)
			continue;
		return res != NULL;
	}
	if (prov >= 2) {
		char *scope = path_join(p, 0, prov);
		bool ok = true;
		if (prov > 4 || seg_is(p, 2, "resourceGroups"))
			ok = lookup(s, scope, false) != NULL;
		free(scope);
		return ok;
	}
	return true;
}

static bool keyvault_name_free(emu_server *s, const char *name, const char *lid, emu_resp *r)
{
	char *ln = emu_lower(name);
	bool ok = true;
	if (json_object_get(emu_store_obj(s, "deletedVaults"), ln)) {
		emu_resp_arm_error(r, 409, "ConflictError",
				   "A vault with the same name already exists in deleted state. You "
				   "need to either recover or purge existing key vault.");
		ok = false;
	}
	const char *key;
	json_t *res;
	json_object_foreach(arm_store(s), key, res) {
		if (!ok)
			break;
		const char *type = json_string_value(json_object_get(res, "type"));
		const char *n = json_string_value(json_object_get(res, "name"));
		if (type && n && !strcasecmp(type, "Microsoft.KeyVault/vaults") &&
		    !strcasecmp(n, name) && strcmp(key, lid)) {
			emu_resp_arm_error(r, 409, "VaultAlreadyExists",
					   "The vault name '%s' is already in use. Vault names are "
					   "globally unique so it is possible that the name is "
					   "already taken.",
					   name);
			ok = false;
		}
	}
	free(ln);
	return ok;
}

/*
 * Azure ML keeps a deleted workspace soft-deleted for 14 days, holding its
 * name in the resource group: a create answers 400 BadRequest "Soft-deleted
 * workspace exists. Please purge or recover it. https://aka.ms/wsoftdelete"
 * (reports of live deployments). A DELETE with forceToPurge=true
 * (workspaceRP.json) purges: of a live workspace, it leaves nothing behind;
 * of a soft-deleted one, it frees the name. Setting mlSoftDelete.
 */
static bool ml_name_free(emu_server *s, const char *lid, emu_resp *r)
{
	if (!json_object_get(emu_store_obj(s, "deletedMlWorkspaces"), lid))
		return true;
	emu_resp_arm_error(r, 400, "BadRequest",
			   "Soft-deleted workspace exists. Please purge or recover it. "
			   "https://aka.ms/wsoftdelete");
	return false;
}

static bool purge_ml_workspace(emu_server *s, const emu_req *q, emu_resp *r,
			       const emu_arm_kind *kind, const char *lid)
{
	const char *purge = emu_req_query(q, "forceToPurge");
	if (strcasecmp(kind->type, "Microsoft.MachineLearningServices/workspaces") || !purge ||
	    strcasecmp(purge, "true") ||
	    !json_object_get(emu_store_obj(s, "deletedMlWorkspaces"), lid))
		return false;
	json_object_del(emu_store_obj(s, "deletedMlWorkspaces"), lid);
	emu_resp_empty(r, 200);
	return true;
}

/*
 * The datastores Azure ML makes with a workspace, on its storage account
 * (the "Default datastores" of Azure ML's data concepts):
 * workspaceblobstore, the default one, on the blob container
 * azureml-blobstore-{workspaceId}; workspacefilestore on the file share
 * azureml-filestore-{workspaceId}; workspaceworkingdirectory (a file
 * share, the notebooks' code-{workspaceId}) and workspaceartifactstore
 * (the blob container azureml). They are credential-based, with the
 * account's key: Azure hands the key out through listSecrets alone, so
 * none is stored and no read shows one (the Datastore examples answer
 * secretsType alone). They go with the workspace (remove_tree).
 */
static void ml_default_datastores(emu_server *s, json_t *workspace, const char *who)
{
	static const struct {
		const char *name, *type, *member, *prefix;
		bool with_workspace_id, is_default;
	} stores[] = {
		{"workspaceblobstore", "AzureBlob", "containerName", "azureml-blobstore-", true, true},
		{"workspaceworkingdirectory", "AzureFile", "fileShareName", "code-", true, false},
		{"workspacefilestore", "AzureFile", "fileShareName", "azureml-filestore-", true, false},
		{"workspaceartifactstore", "AzureBlob", "containerName", "azureml", false, false},
	};
	const emu_arm_kind *kind =
		emu_arm_kind_find("Microsoft.MachineLearningServices/workspaces/datastores");
	const char *ws_id = json_string_value(json_object_get(workspace, "id"));
	const char *account = json_string_value(emu_json_path(workspace, "properties.storageAccount"));
	const char *workspace_id =
		json_string_value(emu_json_path(workspace, "properties.workspaceId"));
	const char *slash = account ? strrchr(account, '/') : NULL;
	if (!kind || !ws_id || !account || !workspace_id)
		return;
	for (size_t i = 0; i < sizeof(stores) / sizeof(stores[0]); i++) {
		char *place = az_xasprintf("%s%s", stores[i].prefix,
					   stores[i].with_workspace_id ? workspace_id : "");
		json_t *body = json_pack("{s:{s:s,s:b,s:{s:s,s:{s:s}},s:s,s:s}}", "properties",
					 "datastoreType", stores[i].type, "isDefault",
					 stores[i].is_default, "credentials", "credentialsType",
					 "AccountKey", "secrets", "secretsType", "AccountKey",
					 "accountName", slash ? slash + 1 : account,
					 stores[i].member, place);
		char *id = az_xasprintf("%s/datastores/%s", ws_id, stores[i].name);
		char *lid = emu_lower(id);
		fill_server_fields(s, kind, body, NULL, id, stores[i].name, who);
		store_set(s, lid, body);
		json_decref(body);
		free(lid);
		free(id);
		free(place);
	}
}

/* The lower-case id of the Synapse workspace that `lid` is or is under, or
 * NULL. */
static char *synapse_workspace_of(const char *lid)
{
	static const char seg[] = "/providers/microsoft.synapse/workspaces/";
	const char *at = strstr(lid, seg);
	if (!at)
		return NULL;
	const char *name = at + strlen(seg);
	return az_xstrndup(lid, (size_t)(name - lid) + strcspn(name, "/"));
}

/*
 * A Synapse workspace takes one change at a time to itself and its Spark
 * and SQL pools: a write while another of them is still being created,
 * updated or deleted answers 409 (ARM's code for it, as Microsoft.Network
 * spells it: AnotherOperationInProgress; no recorded Synapse session
 * shows the conflict). An operation counts as running for at most
 * operationConflictMs after it started: Azure ends its operations whether
 * or not anyone polls them. A write to the very resource whose operation
 * runs is not refused here (a retried PUT).
 */
static bool no_operation_running(emu_server *s, const emu_req *q, emu_resp *r,
				 const emu_arm_kind *kind, const char *lid)
{
	if (s->cfg.operation_conflict_ms <= 0 ||
	    (strcasecmp(kind->type, "Microsoft.Synapse/workspaces") &&
	     strcasecmp(kind->type, "Microsoft.Synapse/workspaces/bigDataPools") &&
	     strcasecmp(kind->type, "Microsoft.Synapse/workspaces/sqlPools")))
		return true;
	char *ws = synapse_workspace_of(lid);
	if (!ws)
		return true;
	json_t *ops = emu_store_obj(s, "ops"), *meta = emu_store_obj(s, "meta");
	/* The workspace and the members of its two pool collections. */
	json_t *ids = json_array();
	json_array_append_new(ids, json_string(ws));
	static const char *const pools[] = {"/bigdatapools", "/sqlpools"};
	for (size_t k = 0; k < 2; k++) {
		char *coll = az_xasprintf("%s%s", ws, pools[k]);
		const char *member;
		json_t *v;
		json_object_foreach(json_object_get(arm_index(s), coll), member, v)
			json_array_append_new(ids, json_string(member));
		free(coll);
	}
	const char *busy = NULL;
	size_t i;
	json_t *id;
	json_array_foreach(ids, i, id) {
		const char *key = json_string_value(id);
		json_t *m = json_object_get(meta, key);
		if (busy || !m || !strcmp(key, lid))
			continue;
		json_t *op = json_object_get(ops, json_string_value(json_object_get(m, "op")));
		const char *status = json_string_value(json_object_get(op, "status"));
		long long started = json_integer_value(json_object_get(op, "startMs"));
		if (status && !strcmp(status, "InProgress") &&
		    q->now_ms - started < s->cfg.operation_conflict_ms)
			busy = key;
	}
	if (busy) {
		const char *name = strrchr(ws, '/') + 1;
		emu_resp_arm_error(r, 409, "AnotherOperationInProgress",
				   "Another operation is in progress on workspace '%s' or one of its "
				   "pools. Please retry once it has completed.",
				   name);
	}
	json_decref(ids);
	free(ws);
	return busy == NULL;
}

static void resource_put(emu_server *s, const emu_req *q, emu_resp *r, const emu_arm_kind *kind,
			 const arm_path *p, size_t prov, const emu_fault *fault, json_t *claims)
{
	char *id = path_join(p, 0, p->n);
	char *lid = emu_lower(id);
	const char *name = p->seg[p->n - 1];
	json_t *old = json_object_get(arm_store(s), lid);
	json_t *res = NULL;
	char *scope = path_join(p, 0, prov);
	const char *who = json_string_value(json_object_get(claims, "oid"));
	if (!json_is_object(q->json)) {
		emu_resp_arm_error(r, 400, "InvalidRequestContent",
				   "The request content was invalid and could not be deserialized.");
		goto done;
	}
	if (!parent_exists(s, p, prov, p->n)) {
		if (prov == 4 && seg_is(p, 2, "resourceGroups"))
			emu_resp_arm_error(r, 404, "ResourceGroupNotFound",
					   "Resource group '%s' could not be found.", p->seg[3]);
		else
			emu_resp_arm_error(r, 404, "ParentResourceNotFound",
					   "Can not perform requested operation on nested resource. "
					   "Parent resource '%s' not found.",
					   p->seg[p->n - 3]);
		goto done;
	}
	if (!check_preconditions(s, q, r, kind, lid, old != NULL))
		goto done;
	if (!validate(kind, q->json, r, true))
		goto done;
	if (old && !check_create_only(kind, old, q->json, r))
		goto done;
	if (!strcasecmp(kind->type, "Microsoft.KeyVault/vaults") &&
	    !keyvault_name_free(s, name, lid, r))
		goto done;
	if (!old && !ml_name_free(s, lid, r))
		goto done;
	if (!no_operation_running(s, q, r, kind, lid))
		goto done;
	if (kind->check_write && !kind->check_write(s, lid, q->json, r))
		goto done;
	if (!strcasecmp(kind->type, "Microsoft.Authorization/roleAssignments") &&
	    !role_assignment_rules(s, q, r, q->json, scope, lid, old != NULL))
		goto done;
	res = json_deep_copy(q->json);
	strip_read_only(res);
	fill_server_fields(s, kind, res, old, old ? json_string_value(json_object_get(old, "id")) : id,
			   old ? json_string_value(json_object_get(old, "name")) : name,
			   who ? who : s->sp_object_id);
	if (!strcasecmp(kind->type, "Microsoft.Authorization/roleAssignments"))
		role_assignment_fill(s, res, old, scope, seg_is(p, 0, "subscriptions") ? p->seg[1] : NULL);
	bool created = old == NULL;
	store_set(s, lid, res);
	new_etag(s, lid);
	/* Its creator is its first Synapse Administrator; none recorded means
	 * the built-in service principal, whatever its id after a restart. */
	if (created && !strcasecmp(kind->type, "Microsoft.Synapse/workspaces") && who &&
	    strcmp(who, s->sp_object_id))
		json_object_set_new(meta_of(s, lid), "synapseCreator", json_string(who));
	if (created && !strcasecmp(kind->type, "Microsoft.MachineLearningServices/workspaces"))
		ml_default_datastores(s, res, who ? who : s->sp_object_id);
	answer_write(s, q, r, kind, res, lid, "put", created, fault);
done:
	json_decref(res);
	free(scope);
	free(id);
	free(lid);
}

static void resource_patch(emu_server *s, const emu_req *q, emu_resp *r,
			   const emu_arm_kind *kind, const char *lid, const emu_fault *fault,
			   json_t *claims)
{
	json_t *old = lookup(s, lid, false);
	const char *who = json_string_value(json_object_get(claims, "oid"));
	if (!old) {
		emu_resp_arm_error(r, 404, "ResourceNotFound", "The Resource '%s' was not found.",
				   lid);
		emu_resp_header(r, "x-ms-failure-cause", "gateway");
		return;
	}
	if (!json_is_object(q->json)) {
		emu_resp_arm_error(r, 400, "InvalidRequestContent",
				   "The request content was invalid and could not be deserialized.");
		return;
	}
	if (!check_preconditions(s, q, r, kind, lid, true) || !validate(kind, q->json, r, false) ||
	    !check_create_only(kind, old, q->json, r) || !no_operation_running(s, q, r, kind, lid))
		return;
	json_t *res = json_deep_copy(old);
	json_t *patch = json_deep_copy(q->json);
	strip_read_only(patch);
	if (kind->patch_tags_only) {
		json_t *tags = json_object_get(patch, "tags");
		if (tags)
			json_object_set(res, "tags", tags);
	} else {
		emu_json_merge(res, patch);
	}
	json_decref(patch);
	if (kind->check_write && !kind->check_write(s, lid, res, r)) {
		json_decref(res);
		return;
	}
	fill_server_fields(s, kind, res, old, json_string_value(json_object_get(old, "id")),
			   json_string_value(json_object_get(old, "name")),
			   who ? who : s->sp_object_id);
	store_set(s, lid, res);
	new_etag(s, lid);
	answer_write(s, q, r, kind, res, lid, "patch", false, fault);
	json_decref(res);
}

static void resource_delete(emu_server *s, const emu_req *q, emu_resp *r,
			    const emu_arm_kind *kind, const char *lid, const emu_fault *fault)
{
	json_t *res = lookup(s, lid, false);
	if (!res && purge_ml_workspace(s, q, r, kind, lid))
		return;
	if (!res) {
		if (!strcasecmp(kind->type, "Microsoft.Resources/resourceGroups")) {
			emu_resp_arm_error(r, 404, "ResourceGroupNotFound",
					   "Resource group '%s' could not be found.",
					   strrchr(lid, '/') + 1);
			emu_resp_header(r, "x-ms-failure-cause", "gateway");
		} else {
			emu_resp_empty(r, 204);
		}
		return;
	}
	if (!check_preconditions(s, q, r, kind, lid, true) ||
	    !no_operation_running(s, q, r, kind, lid))
		return;
	if (kind->check_delete && !kind->check_delete(s, lid, res, r))
		return;
	if (!strcasecmp(kind->type, "Microsoft.MachineLearningServices/workspaces")) {
		const char *purge = emu_req_query(q, "forceToPurge");
		json_object_set_new(meta_of(s, lid), "purge",
				    json_boolean(purge && !strcasecmp(purge, "true")));
	}
	if (!strcasecmp(kind->type, "Microsoft.Storage/storageAccounts/blobServices/containers") &&
	    emu_lease_active(meta_of(s, lid), q->now_ms)) {
		emu_resp_arm_error(r, 409, "LeaseIdMissing",
				   "There is currently a lease on the container and no lease ID was "
				   "specified in the request.");
		return;
	}
	if (!strcasecmp(kind->type, "Microsoft.MachineLearningServices/workspaces/computes")) {
		const char *action = emu_req_query(q, "underlyingResourceAction");
		if (!action || (strcasecmp(action, "Delete") && strcasecmp(action, "Detach"))) {
			emu_resp_arm_error(r, 400, "BadRequest",
					   "The underlyingResourceAction query parameter is "
					   "required (Delete or Detach).");
			return;
		}
	}
	emu_lro style = lro_style(s, kind, "delete");
	if (style == EMU_LRO_SYNC && !(fault && fault->lro_result)) {
		json_t *body = present(s, res, kind);
		remove_tree(s, lid);
		if (!strcasecmp(kind->type, "Microsoft.Authorization/roleAssignments"))
			emu_resp_json(r, 200, body);
		else {
			json_decref(body);
			emu_resp_empty(r, 200);
		}
		return;
	}
	if (style == EMU_LRO_SYNC)
		style = EMU_LRO_LOCATION;
	if (kind->provisioning)
		emu_json_set_path(res, "properties.provisioningState", json_string("Deleting"));
	json_t *op = start_op(s, lid, kind->type, "delete", fault, false,
			      kind->delete_final_status ? kind->delete_final_status : 200);
	lro_headers(s, r, op, res, style, kind, emu_req_query(q, "api-version"));
	emu_resp_empty(r, 202);
}

static void resource_get(emu_server *s, const emu_req *q, emu_resp *r, const emu_arm_kind *kind,
			 const arm_path *p, const char *lid)
{
	(void)q;
	json_t *meta = json_object_get(emu_store_obj(s, "meta"), lid);
	const char *opid = json_string_value(json_object_get(meta, "op"));
	/* Reading the resource is how clients without status URLs poll. */
	if (opid) {
		json_t *op = json_object_get(emu_store_obj(s, "ops"), opid);
		if (op && !json_is_true(json_object_get(op, "hidden")))
			advance_op(s, op);
	}
	json_t *res = lookup(s, lid, false);
	if (!res) {
		if (p->n >= 4 && seg_is(p, 2, "resourceGroups")) {
			char *rg = path_join(p, 0, 4);
			bool rg_ok = lookup(s, rg, false) != NULL;
			free(rg);
			if (!rg_ok) {
				emu_resp_arm_error(r, 404, "ResourceGroupNotFound",
						   "Resource group '%s' could not be found.",
						   p->seg[3]);
				emu_resp_header(r, "x-ms-failure-cause", "gateway");
				return;
			}
		}
		/* "Microsoft.KeyVault/vaults/name": the path after the last
		 * /providers/, as ARM names it (recordings). */
		size_t prov = 0;
		for (size_t i = 0; i + 1 < p->n; i++)
			if (seg_is(p, i, "providers"))
				prov = i + 1;
		if (kind && kind->missing_code && prov && parent_exists(s, p, prov - 1, p->n)) {
			char *rid = emu_uuid(s), ts[40];
			emu_iso8601(ts, sizeof(ts), emu_now_ms());
			emu_resp_arm_error(r, 404, kind->missing_code, "%s\nRequestId:%s\nTime:%s",
					   kind->missing_message, rid, ts);
			free(rid);
			return;
		}
		char *id = path_join(p, prov, p->n);
		emu_resp_arm_error(r, 404, "ResourceNotFound",
				   "The Resource '%s' under resource group '%s' was not found. For "
				   "more details please go to https://aka.ms/ARMResourceNotFoundFix",
				   id + 1, p->n > 3 ? p->seg[3] : "");
		emu_resp_header(r, "x-ms-failure-cause", "gateway");
		free(id);
		return;
	}
	etag_header(s, r, kind, lid);
	emu_resp_json(r, 200, present(s, res, kind));
}

/* ---- lists --------------------------------------------------------------- */

static bool tags_match(json_t *res, const char *tag, const char *value)
{
	json_t *tags = json_object_get(res, "tags");
	const char *k;
	json_t *v;
	json_object_foreach(tags, k, v) {
		if (strcasecmp(k, tag))
			continue;
		return !value || (json_is_string(v) && !strcmp(json_string_value(v), value));
	}
	return false;
}

/* Items under `prefix` (lower case, ending in '/'): the members of that one
 * collection when `direct`, else of every collection below it; of `type`
 * when given, with an optional tag filter. The stored resources themselves
 * (references): only the page sent is presented (present_page), so a list
 * of n items in pages costs n, not n per page. */
static json_t *collect(emu_server *s, const char *prefix, bool direct, const char *type,
		       const char *tag, const char *tag_value)
{
	json_t *items = json_array(), *ids;
	if (direct) {
		char *coll = az_xstrndup(prefix, strlen(prefix) - 1);
		ids = json_array();
		const char *lid;
		json_t *v;
		json_object_foreach(json_object_get(arm_index(s), coll), lid, v)
			json_array_append_new(ids, json_string(lid));
		free(coll);
	} else {
		ids = ids_under(s, prefix);
	}
	size_t i;
	json_t *id;
	json_array_foreach(ids, i, id) {
		const char *key = json_string_value(id);
		json_t *res = json_object_get(arm_store(s), key);
		if (!res || is_hidden(s, key))
			continue;
		const char *t = json_string_value(json_object_get(res, "type"));
		if (type && (!t || strcasecmp(t, type)))
			continue;
		if (tag && !tags_match(res, tag, tag_value))
			continue;
		json_array_append(items, res);
	}
	json_decref(ids);
	return items;
}

/* A page of collect()'s stored resources as a client sees them. */
static void present_page(emu_server *s, json_t *body)
{
	json_t *value = json_object_get(body, "value");
	size_t i;
	json_t *res;
	json_array_foreach(value, i, res)
		json_array_set_new(value, i, present(s, res, kind_of_resource(res)));
}

static void list_collection(emu_server *s, const emu_req *q, emu_resp *r, const arm_path *p,
			    const char *type, size_t prov)
{
	char *path = path_join(p, 0, p->n);
	char *lpath = emu_lower(path);
	json_t *items;
	bool role_assignments = !strcasecmp(type, "Microsoft.Authorization/roleAssignments");
	if (role_assignments) {
		/* Assignments at the scope and above it (inherited), and without
		 * $filter=atScope() also those below it (the 2022-04-01 list
		 * operations). */
		char *scope = path_join(p, 0, prov);
		const char *filter = emu_req_query(q, "$filter");
		bool at_scope_only = filter && strstr(filter, "atScope()");
		char *pf = emu_filter_eq(filter, "principalId");
		items = json_array();
		const char *key;
		json_t *res;
		json_object_foreach(arm_store(s), key, res) {
			const char *t = json_string_value(json_object_get(res, "type"));
			const char *sc = json_string_value(emu_json_path(res, "properties.scope"));
			const char *pid =
				json_string_value(emu_json_path(res, "properties.principalId"));
			if (!t || strcasecmp(t, type) || !sc)
				continue;
			size_t sl = strlen(sc), scl = strlen(scope);
			bool above = !strncasecmp(scope, sc, sl) &&
				     (!scope[sl] || scope[sl] == '/' || !strcmp(sc, "/"));
			bool below = !at_scope_only && sl > scl && !strncasecmp(sc, scope, scl) &&
				     sc[scl] == '/';
			if (!above && !below)
				continue;
			if (pf && (!pid || strcasecmp(pid, pf)))
				continue;
			json_array_append_new(items, present(s, res, NULL));
		}
		free(pf);
		free(scope);
	} else if (prov == 2) {
		/* /subscriptions/{s}/providers/{ns}/{type}: every one in the subscription. */
		char *sub = az_xasprintf("/subscriptions/%s/", p->seg[1]);
		char *lsub = emu_lower(sub);
		items = collect(s, lsub, false, type, NULL, NULL);
		free(sub);
		free(lsub);
	} else {
		char *prefix = az_xasprintf("%s/", lpath);
		items = collect(s, prefix, true, NULL, NULL, NULL);
		free(prefix);
	}
	size_t page = s->cfg.page_size > 0 ? (size_t)s->cfg.page_size : 100;
	json_t *body = emu_page(s, q, items, page, "$skiptoken", "nextLink");
	if (!role_assignments)
		present_page(s, body);
	/* The Synapse resource provider ends a list with "nextLink": "" where
	 * others leave the link out (ListIpFirewallRules.json and
	 * ListBigDataPoolsInWorkspace.json of its 2021-06-01 examples). */
	if (!strncasecmp(type, "Microsoft.Synapse/", strlen("Microsoft.Synapse/")) &&
	    !json_object_get(body, "nextLink"))
		json_object_set_new(body, "nextLink", json_string(""));
	emu_resp_json(r, 200, body);
	free(path);
	free(lpath);
}

static void list_resources(emu_server *s, const emu_req *q, emu_resp *r, const char *prefix)
{
	const char *filter = emu_req_query(q, "$filter");
	char *tag = emu_filter_eq(filter, "tagName");
	char *value = emu_filter_eq(filter, "tagValue");
	char *type = emu_filter_eq(filter, "resourceType");
	if (filter && !tag && !type) {
		emu_resp_arm_error(r, 400, "InvalidFilterInQueryString",
				   "The $filter '%s' is not supported.", filter);
	} else {
		char *lp = emu_lower(prefix);
		char *query = az_xasprintf("%s\n%s\n%s\n%s", lp, type ? type : "", tag ? tag : "",
					   value ? value : "");
		json_t *out = NULL;
		if (s->arm_list.items && s->arm_list.changes == s->arm_changes &&
		    !strcmp(s->arm_list.query, query)) {
			out = json_incref(s->arm_list.items);
			free(query);
		} else {
			json_t *items = collect(s, lp, false, type, tag, value);
			/* Resource groups are not resources of the subscription list. */
			size_t i;
			json_t *v;
			out = json_array();
			json_array_foreach(items, i, v) {
				const char *t = json_string_value(json_object_get(v, "type"));
				if (strcasecmp(t, "Microsoft.Resources/resourceGroups") &&
				    strcasecmp(t, "Microsoft.Authorization/roleAssignments"))
					json_array_append(out, v);
			}
			json_decref(items);
			json_decref(s->arm_list.items);
			free(s->arm_list.query);
			s->arm_list.items = json_incref(out);
			s->arm_list.query = query;
			s->arm_list.changes = s->arm_changes;
		}
		free(lp);
		size_t page = s->cfg.page_size > 0 ? (size_t)s->cfg.page_size : 100;
		json_t *body = emu_page(s, q, out, page, "$skiptoken", "nextLink");
		present_page(s, body);
		emu_resp_json(r, 200, body);
	}
	free(tag);
	free(value);
	free(type);
}

/* ---- subscriptions ------------------------------------------------------- */

static json_t *subscription_body(emu_server *s, const char *sub)
{
	char *id = az_xasprintf("/subscriptions/%s", sub);
	json_t *b = json_pack("{s:s,s:s,s:s,s:s,s:s,s:{s:s,s:s,s:s}}", "id", id, "subscriptionId",
			      sub, "tenantId", s->tenant_id, "displayName", "azapply emulator",
			      "state", "Enabled", "subscriptionPolicies", "locationPlacementId",
			      "Public_2014-09-01", "quotaId", "PayAsYouGo_2014-09-01",
			      "spendingLimit", "Off");
	free(id);
	return b;
}

static bool subscription_known(emu_server *s, const char *sub)
{
	char *l = emu_lower(sub);
	bool ok = json_object_get(emu_store_obj(s, "subscriptions"), l) != NULL;
	free(l);
	return ok;
}

/* ---- name availability --------------------------------------------------- */

/* POST /subscriptions/{s}/providers/{ns}/checkNameAvailability: Synapse
 * answers {available, reason, message, name} (recordings), Storage
 * {nameAvailable, reason, message} (its spec examples). Names are global:
 * every subscription's resources count. */
static void check_name(emu_server *s, const emu_req *q, emu_resp *r, const char *ns)
{
	const char *name = json_string_value(json_object_get(q->json, "name"));
	const char *type = json_string_value(json_object_get(q->json, "type"));
	bool synapse = !strcasecmp(ns, "Microsoft.Synapse");
	if (!name || !type || (!synapse && strcasecmp(ns, "Microsoft.Storage"))) {
		emu_resp_arm_error(r, 400, "InvalidRequestContent",
				   "The request content must carry name and type.");
		return;
	}
	bool taken = false;
	const char *key;
	json_t *res;
	json_object_foreach(arm_store(s), key, res) {
		const char *t = json_string_value(json_object_get(res, "type"));
		const char *n = json_string_value(json_object_get(res, "name"));
		if (t && n && !strcasecmp(t, type) && !strcasecmp(n, name))
			taken = true;
	}
	if (synapse) {
		json_t *b = json_pack("{s:b,s:s}", "available", !taken, "name", name);
		if (taken) {
			char *msg = az_xasprintf("Workspace name %s is not available", name);
			json_object_set_new(b, "message", json_string(msg));
			json_object_set_new(b, "reason", json_string("AlreadyExists"));
			free(msg);
		}
		emu_resp_json(r, 200, b);
		return;
	}
	json_t *b = json_pack("{s:b}", "nameAvailable", !taken);
	if (taken) {
		char *msg = az_xasprintf("The storage account named %s is already taken.", name);
		json_object_set_new(b, "reason", json_string("AlreadyExists"));
		json_object_set_new(b, "message", json_string(msg));
		free(msg);
	}
	emu_resp_json(r, 200, b);
}

/* ---- entry --------------------------------------------------------------- */

static bool check_api_version(const emu_req *q, emu_resp *r, const emu_arm_kind *kind,
			      const char *type)
{
	const char *api = emu_req_query(q, "api-version");
	if (!api || !*api) {
		emu_resp_arm_error(r, 400, "MissingApiVersionParameter",
				   "The api-version query parameter (?api-version=) is required "
				   "for all requests.");
		return false;
	}
	if (!kind)
		return true;
	az_buf list = AZ_BUF_INIT;
	for (const char *const *v = kind->api_versions; v && *v; v++) {
		if (!strcmp(*v, api)) {
			az_buf_free(&list);
			return true;
		}
		if (list.len)
			az_buf_puts(&list, ", ");
		az_buf_puts(&list, *v);
	}
	emu_resp_arm_error(r, 400, "InvalidApiVersionParameter",
			   "The api-version '%s' is invalid. The supported versions for "
			   "resource type '%s' are '%s'.",
			   api, type, list.data ? list.data : "");
	az_buf_free(&list);
	return false;
}

static void handle_resource(emu_server *s, const emu_req *q, emu_resp *r, const arm_path *p,
			    size_t prov, const emu_fault *fault, json_t *claims)
{
	az_buf t = AZ_BUF_INIT;
	size_t rest = p->n - prov - 2;
	az_buf_puts(&t, p->seg[prov + 1]);
	for (size_t i = prov + 2; i < p->n; i += 2) {
		az_buf_putc(&t, '/');
		az_buf_puts(&t, p->seg[i]);
	}
	char *type = az_buf_detach(&t);
	const emu_arm_kind *kind = emu_arm_kind_find(type);
	char *id = path_join(p, 0, p->n);
	char *lid = emu_lower(id);

	if (!kind) {
		emu_resp_arm_error(r, 400, "NoRegisteredProviderFound",
				   "No registered resource provider found for location and API "
				   "version '%s' and type '%s'.",
				   emu_req_query(q, "api-version") ? emu_req_query(q, "api-version")
								   : "",
				   type);
		goto done;
	}
	if (!check_api_version(q, r, kind, type))
		goto done;
	if (!strcasecmp(type, "Microsoft.Authorization/roleDefinitions")) {
		/* Definitions read at any scope below a subscription answer with
		 * the subscription-scoped id (recordings). */
		char *scope = path_join(p, 0, seg_is(p, 0, "subscriptions") ? 2 : prov);
		handle_role_definitions(s, q, r, scope, rest % 2 ? NULL : p->seg[p->n - 1]);
		free(scope);
		goto done;
	}
	if (rest % 2) {
		if (strcmp(q->method, "GET"))
			emu_resp_arm_error(r, 405, "MethodNotAllowed",
					   "The requested method is not allowed on a collection.");
		else
			list_collection(s, q, r, p, type, prov);
		goto done;
	}
	if (kind->implicit) {
		emu_resp_arm_error(r, 405, "MethodNotAllowed",
				   "The emulator serves '%s' only as a parent.", type);
		goto done;
	}
	if (!strcmp(q->method, "GET"))
		resource_get(s, q, r, kind, p, lid);
	else if (!strcmp(q->method, "PUT"))
		resource_put(s, q, r, kind, p, prov, fault, claims);
	else if (!strcmp(q->method, "PATCH"))
		resource_patch(s, q, r, kind, lid, fault, claims);
	else if (!strcmp(q->method, "DELETE"))
		resource_delete(s, q, r, kind, lid, fault);
	else
		emu_resp_arm_error(r, 405, "MethodNotAllowed", "Method %s is not allowed.",
				   q->method);
done:
	free(type);
	free(id);
	free(lid);
}

static void handle_resource_group(emu_server *s, const emu_req *q, emu_resp *r,
				  const arm_path *p, const emu_fault *fault, json_t *claims)
{
	const emu_arm_kind *kind = emu_arm_kind_find("Microsoft.Resources/resourceGroups");
	if (!check_api_version(q, r, kind, kind->type))
		return;
	char *id = path_join(p, 0, 4);
	char *lid = emu_lower(id);
	if (!strcmp(q->method, "GET")) {
		json_t *res = lookup(s, lid, false);
		if (res) {
			emu_resp_json(r, 200, present(s, res, kind));
		} else {
			emu_resp_arm_error(r, 404, "ResourceGroupNotFound",
					   "Resource group '%s' could not be found.", p->seg[3]);
			emu_resp_header(r, "x-ms-failure-cause", "gateway");
		}
	} else if (!strcmp(q->method, "HEAD")) {
		bool found = lookup(s, lid, false) != NULL;
		emu_resp_empty(r, found ? 204 : 404);
		if (!found)
			emu_resp_header(r, "x-ms-failure-cause", "gateway");
	} else if (!strcmp(q->method, "PUT")) {
		/* A resource group is a "provider-less" resource: reuse the
		 * generic path with the scope being the subscription. */
		json_t *old = json_object_get(arm_store(s), lid);
		if (!json_is_object(q->json)) {
			emu_resp_arm_error(r, 400, "InvalidRequestContent",
					   "The request content was invalid and could not be "
					   "deserialized.");
		} else if (old && !json_equal_ci(json_object_get(old, "location"),
						 json_object_get(q->json, "location")) &&
			   json_object_get(q->json, "location")) {
			emu_resp_arm_error(r, 409, "InvalidResourceGroupLocation",
					   "Invalid resource group location. The resource group "
					   "already exists in location '%s'.",
					   json_string_value(json_object_get(old, "location")));
		} else if (check_preconditions(s, q, r, kind, lid, old != NULL) &&
			   validate(kind, q->json, r, true)) {
			json_t *res = json_deep_copy(q->json);
			const char *who = json_string_value(json_object_get(claims, "oid"));
			strip_read_only(res);
			fill_server_fields(s, kind, res, old,
					   old ? json_string_value(json_object_get(old, "id")) : id,
					   old ? json_string_value(json_object_get(old, "name"))
					       : p->seg[3],
					   who ? who : s->sp_object_id);
			json_object_del(res, "systemData");
			store_set(s, lid, res);
			new_etag(s, lid);
			answer_write(s, q, r, kind, res, lid, "put", old == NULL, fault);
			json_decref(res);
		}
	} else if (!strcmp(q->method, "PATCH")) {
		resource_patch(s, q, r, kind, lid, fault, claims);
	} else if (!strcmp(q->method, "DELETE")) {
		resource_delete(s, q, r, kind, lid, fault);
	} else {
		emu_resp_arm_error(r, 405, "MethodNotAllowed", "Method %s is not allowed.",
				   q->method);
	}
	free(id);
	free(lid);
}

static void handle_deleted_vault(emu_server *s, const emu_req *q, emu_resp *r, const char *name,
				 bool purge)
{
	char *ln = emu_lower(name);
	json_t *dv = json_object_get(emu_store_obj(s, "deletedVaults"), ln);
	if (!dv) {
		emu_resp_arm_error(r, 404, "DeletedVaultNotFound",
				   "The specified deleted vault '%s' does not exist.", name);
	} else if (purge && !strcmp(q->method, "POST")) {
		json_object_del(emu_store_obj(s, "deletedVaults"), ln);
		emu_resp_empty(r, 200);
	} else if (!purge && !strcmp(q->method, "GET")) {
		emu_resp_json(r, 200,
			      json_pack("{s:s,s:s,s:{s:O,s:O}}", "name", name, "type",
					"Microsoft.KeyVault/deletedVaults", "properties", "vaultId",
					json_object_get(dv, "id"), "location",
					json_object_get(dv, "location")));
	} else {
		emu_resp_arm_error(r, 405, "MethodNotAllowed", "Method %s is not allowed.",
				   q->method);
	}
	free(ln);
}

void emu_arm_handle(emu_server *s, const emu_req *q, emu_resp *r, const emu_fault *fault)
{
	json_t *claims = NULL;
	if (!emu_auth_check(s, q, r, EMU_ARM_AUDIENCE, EMU_STYLE_ARM, &claims))
		return;
	arm_path p;
	path_split(&p, q->path);
	const char *sub = seg_is(&p, 0, "subscriptions") && p.n > 1 ? p.seg[1] : "tenant";
	if (!emu_throttle(s, q, r, sub))
		goto out;

	pthread_mutex_lock(&s->lock);
	size_t prov = 0;
	for (size_t i = p.n; i-- > 0;) {
		if (!strcasecmp(p.seg[i], "providers") && i + 1 < p.n) {
			prov = i;
			break;
		}
	}
	bool has_prov = prov || seg_is(&p, 0, "providers");
	if (seg_is(&p, 0, "providers")) {
		if (p.n >= 3 && has_prov && p.n - prov >= 3)
			handle_resource(s, q, r, &p, prov, fault, claims);
		else
			emu_resp_arm_error(r, 404, "InvalidResourceType", "No such resource.");
		goto done;
	}
	if (!seg_is(&p, 0, "subscriptions")) {
		emu_resp_arm_error(r, 404, "InvalidResourceType",
				   "The resource type could not be found.");
		goto done;
	}
	if (!emu_req_query(q, "api-version")) {
		check_api_version(q, r, NULL, NULL);
		goto done;
	}
	if (p.n == 1) {
		json_t *items = json_array();
		const char *key;
		json_t *v;
		json_object_foreach(emu_store_obj(s, "subscriptions"), key, v)
			json_array_append_new(items, subscription_body(s, key));
		emu_resp_page(s, q, r, items, "$skiptoken");
		goto done;
	}
	if (!subscription_known(s, p.seg[1])) {
		emu_resp_arm_error(r, 404, "SubscriptionNotFound",
				   "The subscription '%s' could not be found.", p.seg[1]);
		goto done;
	}
	if (p.n == 2) {
		emu_resp_json(r, 200, subscription_body(s, p.seg[1]));
		goto done;
	}
	/* Operation status URLs, whatever resource they belong to. */
	if (p.n >= 4 && !strcmp(q->method, "GET") &&
	    (seg_is(&p, p.n - 2, "operationStatuses") || seg_is(&p, p.n - 2, "operationResults") ||
	     seg_is(&p, p.n - 2, "asyncoperations") ||
	     seg_is(&p, p.n - 2, "computeOperationsStatus") ||
	     seg_is(&p, p.n - 2, "workspaceOperationsStatus"))) {
		handle_poll(s, q, r, p.seg[p.n - 2], p.seg[p.n - 1]);
		goto done;
	}
	if (p.n >= 7 && seg_is(&p, 3, "Microsoft.KeyVault") && seg_is(&p, 6, "deletedVaults")) {
		handle_deleted_vault(s, q, r, p.seg[7 < p.n ? 7 : 6], p.n == 9 && seg_is(&p, 8, "purge"));
		goto done;
	}
	if (p.n == 3 && seg_is(&p, 2, "resources")) {
		char *prefix = az_xasprintf("/subscriptions/%s/", p.seg[1]);
		list_resources(s, q, r, prefix);
		free(prefix);
		goto done;
	}
	if (p.n == 3 && seg_is(&p, 2, "resourceGroups")) {
		char *prefix = az_xasprintf("/subscriptions/%s/resourcegroups/", p.seg[1]);
		char *lp = emu_lower(prefix);
		emu_resp_page(s, q, r,
			      collect(s, lp, true, "Microsoft.Resources/resourceGroups", NULL, NULL),
			      "$skiptoken");
		free(lp);
		free(prefix);
		goto done;
	}
	if (seg_is(&p, 2, "resourceGroups") && p.n == 4) {
		handle_resource_group(s, q, r, &p, fault, claims);
		goto done;
	}
	if (seg_is(&p, 2, "resourceGroups") && p.n == 5 && seg_is(&p, 4, "resources")) {
		char *rg = path_join(&p, 0, 4);
		if (!lookup(s, rg, false)) {
			emu_resp_arm_error(r, 404, "ResourceGroupNotFound",
					   "Resource group '%s' could not be found.", p.seg[3]);
		} else {
			char *prefix = az_xasprintf("%s/", rg);
			list_resources(s, q, r, prefix);
			free(prefix);
		}
		free(rg);
		goto done;
	}
	if (!strcmp(q->method, "POST") && p.n == 5 && seg_is(&p, 2, "providers") &&
	    seg_is(&p, 4, "checkNameAvailability")) {
		check_name(s, q, r, p.seg[3]);
		goto done;
	}
	if (!strcmp(q->method, "POST") && p.n > 3 && seg_is(&p, p.n - 1, "lease") &&
	    seg_is(&p, p.n - 3, "containers")) {
		char *container = path_join(&p, 0, p.n - 1);
		json_t *res = lookup(s, container, false);
		if (!res) {
			emu_resp_arm_error(r, 404, "ContainerNotFound",
					   "The specified container does not exist.");
		} else {
			char *lid = emu_lower(container);
			emu_arm_container_lease(s, q, r, meta_of(s, lid));
			free(lid);
		}
		free(container);
		goto done;
	}
	if (has_prov && p.n - prov >= 3) {
		handle_resource(s, q, r, &p, prov, fault, claims);
		goto done;
	}
	emu_resp_arm_error(r, 404, "InvalidResourceType", "The resource type could not be found.");
done:
	pthread_mutex_unlock(&s->lock);
out:
	json_decref(claims);
	path_free(&p);
}

/* ---- out-of-band access for the control API ------------------------------ */

/* The ARM type an id names: "{namespace}/{type}/{child type}..." after the
 * last /providers/, or Microsoft.Resources/resourceGroups for a group. */
static char *type_of_id(const char *id)
{
	arm_path p;
	path_split(&p, id);
	size_t prov = p.n;
	for (size_t i = 0; i < p.n; i++)
		if (seg_is(&p, i, "providers"))
			prov = i;
	az_buf b = AZ_BUF_INIT;
	if (prov + 2 < p.n) {
		az_buf_puts(&b, p.seg[prov + 1]);
		for (size_t i = prov + 2; i < p.n; i += 2)
			az_buf_printf(&b, "/%s", p.seg[i]);
	} else if (p.n == 4 && seg_is(&p, 2, "resourceGroups")) {
		az_buf_puts(&b, "Microsoft.Resources/resourceGroups");
	}
	path_free(&p);
	return b.len ? az_buf_detach(&b) : NULL;
}

int emu_arm_put_raw(emu_server *s, const char *id, json_t *body)
{
	char *lid = emu_lower(id);
	json_t *res = json_deep_copy(body);
	json_object_set_new(res, "id", json_string(id));
	/* Out-of-band bodies may leave the type out; everything that lists the
	 * store looks the type up. */
	if (!json_is_string(json_object_get(res, "type"))) {
		char *type = type_of_id(id);
		if (type)
			json_object_set_new(res, "type", json_string(type));
		free(type);
	}
	if (!json_object_get(res, "name"))
		json_object_set_new(res, "name", json_string(strrchr(id, '/') + 1));
	pthread_mutex_lock(&s->lock);
	store_set(s, lid, res);
	json_decref(res);
	set_hidden(s, meta_of(s, lid), false);
	new_etag(s, lid);
	pthread_mutex_unlock(&s->lock);
	free(lid);
	return 0;
}

int emu_arm_delete_raw(emu_server *s, const char *id)
{
	pthread_mutex_lock(&s->lock);
	bool found = lookup(s, id, true) != NULL;
	if (found)
		remove_tree(s, id);
	pthread_mutex_unlock(&s->lock);
	return found ? 0 : -1;
}

json_t *emu_arm_get_raw(emu_server *s, const char *id)
{
	pthread_mutex_lock(&s->lock);
	json_t *res = lookup(s, id, true);
	json_t *copy = res ? json_deep_copy(res) : NULL;
	pthread_mutex_unlock(&s->lock);
	return copy;
}
