/*
 * privateendpoint.c - private endpoints (PrivateEndpoint) and their
 * private DNS zone group, one manifest for both.
 *
 * An endpoint without its DNS zone group resolves nothing privately, and
 * the group cannot exist without its endpoint: they are declared together
 * (spec.privateDnsZoneGroup: {name, zones}) and the planner sees one body.
 * The group is a child resource of its own (privateEndpoints/{pe}/
 * privateDnsZoneGroups/{name}, privateEndpoint.json), so this file reads
 * and writes both:
 *
 *  - read and list: the endpoint (or every endpoint of the collection),
 *    then each one's zone groups; the group is shown under
 *    privateDnsZoneGroup as {name, zones}, the zone ids of its
 *    privateDnsZoneConfigs. The record sets, provisioning states and
 *    config names Azure fills in never reach the body, so they never show
 *    as a change;
 *  - put: the endpoint without that key, then, when the manifest declares
 *    a group, every other group of the endpoint is deleted (Azure allows
 *    one per endpoint, so a renamed group is a new one) and the group is
 *    written. A manifest that declares none leaves the endpoint's groups
 *    alone: Azure Policy commonly adds them.
 *
 * Deleting the endpoint deletes its groups: the plain DELETE serves.
 */
#include "arm/arm.h"

#include <stdlib.h>
#include <string.h>

#define GROUP_KEY "privateDnsZoneGroup"

static char *groups_url(az_session *s, const az_kind *kind, const char *endpoint_id)
{
	char *path = az_xasprintf("%s/privateDnsZoneGroups", endpoint_id);
	char *url = az_arm_url(s, kind, path);
	free(path);
	return url;
}

/* {name, zones} of a zone group as Azure answers it. */
static json_t *group_summary(const json_t *group)
{
	json_t *zones = json_array();
	size_t i;
	json_t *config;
	json_array_foreach(json_object_get(json_object_get(group, "properties"),
					   "privateDnsZoneConfigs"),
			   i, config) {
		json_t *zone = json_object_get(json_object_get(config, "properties"),
					       "privateDnsZoneId");
		if (json_is_string(zone))
			json_array_append(zones, zone);
	}
	json_t *out = json_object();
	json_t *name = json_object_get(group, "name");
	if (json_is_string(name))
		json_object_set(out, "name", name);
	json_object_set_new(out, "zones", zones);
	return out;
}

/* Shows the endpoint's group (Azure allows one) in its body. */
static void attach_group(json_t *endpoint, const json_t *groups)
{
	json_t *first = json_array_get(groups, 0);
	if (json_is_object(endpoint) && first)
		json_object_set_new(endpoint, GROUP_KEY, group_summary(first));
}

/* The zone group's body for the manifest's {name, zones}: one config per
 * zone, named after the zone as the portal names them
 * (privatelink-blob-core-windows-net). */
static json_t *group_body(const json_t *declared)
{
	json_t *configs = json_array();
	size_t i;
	json_t *zone;
	json_array_foreach(json_object_get(declared, "zones"), i, zone) {
		const char *id = json_string_value(zone);
		if (!id)
			continue;
		const char *slash = strrchr(id, '/');
		char *name = az_xstrdup(slash ? slash + 1 : id);
		for (char *p = name; *p; p++)
			if (*p == '.')
				*p = '-';
		json_array_append_new(configs,
				      json_pack("{s:s,s:{s:s}}", "name", name, "properties",
						"privateDnsZoneId", id));
		free(name);
	}
	return json_pack("{s:{s:o}}", "properties", "privateDnsZoneConfigs", configs);
}

static const char *declared_name(const json_t *declared)
{
	const char *name = json_string_value(json_object_get(declared, "name"));
	return name ? name : "default";
}

/* ---- read ---------------------------------------------------------------- */

typedef struct pe_read {
	az_session *s;
	const az_kind *kind;
	json_t *endpoint;
	az_result_fn cb;
	void *ud;
} pe_read;

static void read_groups_listed(void *ud, int err, json_t *groups, az_diags *d)
{
	pe_read *p = ud;
	json_t *endpoint = p->endpoint;
	if (err) {
		json_decref(endpoint);
		endpoint = NULL;
	} else {
		attach_group(endpoint, groups);
	}
	json_decref(groups);
	az_result_fn cb = p->cb;
	void *cb_ud = p->ud;
	free(p);
	cb(cb_ud, err, endpoint, d);
}

static void read_endpoint_answered(void *ud, int err, json_t *live, az_diags *d)
{
	pe_read *p = ud;
	const char *id = json_string_value(json_object_get(live, "id"));
	if (err || !id) {
		az_result_fn cb = p->cb;
		void *cb_ud = p->ud;
		free(p);
		cb(cb_ud, err, live, d);
		return;
	}
	p->endpoint = live;
	char *url = groups_url(p->s, p->kind, id);
	az_session_list(p->s, url, AZ_SVC_ARM, read_groups_listed, p);
	free(url);
}

static void pe_read_one(az_session *s, const az_kind *kind, const char *id, az_result_fn cb,
			void *ud)
{
	pe_read *p = az_xcalloc(1, sizeof(*p));
	*p = (pe_read){s, kind, NULL, cb, ud};
	char *url = az_arm_url(s, kind, id);
	az_session_get(s, url, AZ_SVC_ARM, read_endpoint_answered, p);
	free(url);
}

/* ---- list ---------------------------------------------------------------- */

/* A list is complete or an error: every endpoint's groups are read, and
 * one failure fails the list. */
typedef struct pe_list {
	az_session *session;
	const az_kind *kind;
	json_t *endpoints;
	size_t pending;
	int err;
	az_diags diags;
	az_result_fn cb;
	void *ud;
} pe_list;

typedef struct pe_list_item {
	pe_list *list;
	json_t *endpoint; /* borrowed from list->endpoints */
} pe_list_item;

static void list_finish(pe_list *p)
{
	json_t *endpoints = p->err ? NULL : json_incref(p->endpoints);
	json_decref(p->endpoints);
	p->cb(p->ud, p->err, endpoints, &p->diags);
	az_diags_clear(&p->diags);
	free(p);
}

static void list_groups_listed(void *ud, int err, json_t *groups, az_diags *d)
{
	pe_list_item *item = ud;
	pe_list *p = item->list;
	if (err && !p->err) {
		p->err = err;
		if (d)
			az_diags_move(&p->diags, d);
	} else if (!err) {
		attach_group(item->endpoint, groups);
	}
	json_decref(groups);
	free(item);
	if (--p->pending == 0)
		list_finish(p);
}

static void list_endpoints_listed(void *ud, int err, json_t *endpoints, az_diags *d)
{
	pe_list *p = ud;
	p->endpoints = endpoints;
	p->err = err;
	size_t n = err ? 0 : json_array_size(endpoints);
	if (n == 0) {
		if (d)
			az_diags_move(&p->diags, d);
		list_finish(p);
		return;
	}
	/* One more than the reads, released below: an answer that comes back
	 * at once must not finish the list while the loop still runs. */
	p->pending = n + 1;
	for (size_t i = 0; i < n; i++) {
		pe_list_item *item = az_xcalloc(1, sizeof(*item));
		item->list = p;
		item->endpoint = json_array_get(endpoints, i);
		const char *id = json_string_value(json_object_get(item->endpoint, "id"));
		if (!id) {
			/* Nothing to read its groups by: as listed. */
			free(item);
			p->pending--;
			continue;
		}
		char *url = groups_url(p->session, p->kind, id);
		az_session_list(p->session, url, AZ_SVC_ARM, list_groups_listed, item);
		free(url);
	}
	if (--p->pending == 0)
		list_finish(p);
}

static void pe_list_all(az_session *s, const az_kind *kind, const char *collection,
			az_result_fn cb, void *ud)
{
	pe_list *p = az_xcalloc(1, sizeof(*p));
	p->session = s;
	p->kind = kind;
	p->cb = cb;
	p->ud = ud;
	char *url = az_arm_url(s, kind, collection);
	az_session_list(s, url, AZ_SVC_ARM, list_endpoints_listed, p);
	free(url);
}

/* ---- put ----------------------------------------------------------------- */

typedef struct pe_put {
	az_session *s;
	const az_kind *kind;
	char *id;
	json_t *declared; /* the manifest's {name, zones}, or NULL */
	json_t *endpoint; /* the endpoint as last answered */
	json_t *stale;    /* names of the endpoint's other groups, deleted first */
	size_t next;
	az_result_fn cb;
	void *ud;
} pe_put;

/* Calls back with the endpoint as last known, also after a failure: an
 * apply that fails half-way still records what exists. */
static void put_finish(pe_put *p, int err, az_diags *d)
{
	json_t *endpoint = p->endpoint;
	az_result_fn cb = p->cb;
	void *cb_ud = p->ud;
	free(p->id);
	json_decref(p->declared);
	json_decref(p->stale);
	free(p);
	cb(cb_ud, err, endpoint, d);
}

static void group_written(void *ud, int err, json_t *live, az_diags *d)
{
	pe_put *p = ud;
	if (!err && json_is_object(p->endpoint) && live)
		json_object_set_new(p->endpoint, GROUP_KEY, group_summary(live));
	json_decref(live);
	put_finish(p, err, d);
}

static void delete_next_stale(pe_put *p);

static void stale_deleted(void *ud, int err, json_t *live, az_diags *d)
{
	pe_put *p = ud;
	json_decref(live);
	if (err) {
		put_finish(p, err, d);
		return;
	}
	p->next++;
	delete_next_stale(p);
}

static void delete_next_stale(pe_put *p)
{
	char *base = az_xasprintf("%s/privateDnsZoneGroups/", p->id);
	if (p->next < json_array_size(p->stale)) {
		char *path = az_xasprintf("%s%s", base,
					  json_string_value(json_array_get(p->stale, p->next)));
		char *url = az_arm_url(p->s, p->kind, path);
		az_send_options o = {
			.lro = true,
			.timeout_s = p->kind->delete_timeout_s,
			.missing_ok = true,
		};
		az_session_send(p->s, az_session_request("DELETE", url, AZ_SVC_ARM), &o,
				stale_deleted, p);
		free(url);
		free(path);
		free(base);
		return;
	}
	char *path = az_xasprintf("%s%s", base, declared_name(p->declared));
	char *url = az_arm_url(p->s, p->kind, path);
	json_t *body = group_body(p->declared);
	az_send_options o = {
		.lro = true,
		.timeout_s = p->kind->create_timeout_s,
		.body_key = "id",
	};
	az_session_write(p->s, "PUT", url, AZ_SVC_ARM, body, NULL, &o, group_written, p);
	json_decref(body);
	free(url);
	free(path);
	free(base);
}

static void put_groups_listed(void *ud, int err, json_t *groups, az_diags *d)
{
	pe_put *p = ud;
	if (err || !p->declared) {
		if (!err)
			attach_group(p->endpoint, groups);
		json_decref(groups);
		put_finish(p, err, d);
		return;
	}
	p->stale = json_array();
	size_t i;
	json_t *g;
	json_array_foreach(groups, i, g) {
		const char *name = json_string_value(json_object_get(g, "name"));
		if (name && strcmp(name, declared_name(p->declared)) != 0)
			json_array_append_new(p->stale, json_string(name));
	}
	json_decref(groups);
	delete_next_stale(p);
}

static void endpoint_written(void *ud, int err, json_t *live, az_diags *d)
{
	pe_put *p = ud;
	p->endpoint = live;
	if (err) {
		put_finish(p, err, d);
		return;
	}
	char *url = groups_url(p->s, p->kind, p->id);
	az_session_list(p->s, url, AZ_SVC_ARM, put_groups_listed, p);
	free(url);
}

static void pe_put_both(az_session *s, const az_kind *kind, const char *id, const json_t *body,
			const char *etag, az_result_fn cb, void *ud)
{
	pe_put *p = az_xcalloc(1, sizeof(*p));
	p->s = s;
	p->kind = kind;
	p->id = az_xstrdup(id);
	p->cb = cb;
	p->ud = ud;
	json_t *endpoint = json_deep_copy(body);
	json_t *declared = json_object_get(endpoint, GROUP_KEY);
	if (json_is_object(declared))
		p->declared = json_incref(declared);
	json_object_del(endpoint, GROUP_KEY);
	az_arm_put_plain(s, kind, id, endpoint, etag, endpoint_written, p);
	json_decref(endpoint);
}

const arm_kind_ops az_arm_private_endpoint_ops = {
	.kind = "PrivateEndpoint",
	.list = pe_list_all,
	.read = pe_read_one,
	.put = pe_put_both,
};
