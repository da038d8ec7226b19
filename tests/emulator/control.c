/*
 * control.c - the control API under /_emulator/ (no Azure API uses that
 * path) on any host. It needs no token: the listener only binds 127.0.0.1.
 * Tests use it to read the request log and counters, set fault rules,
 * latency and LRO behaviour, register identities, mint federated tokens,
 * change resources behind azapply's back (drift), and dump or load the
 * whole store. Every route is documented in tests/emulator/README.md.
 */
#include "arm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>

static void ok(emu_resp *r, json_t *body)
{
	emu_resp_json(r, 200, body ? body : json_object());
}

static void bad(emu_resp *r, const char *msg)
{
	emu_resp_arm_error(r, 400, "BadControlRequest", "%s", msg);
}

/* The emulator's own CPU and peak memory so far. It shares the machine
 * with azapply: a benchmark reads it around a command to tell the two
 * apart (bench_scale). */
static json_t *usage(void)
{
	struct rusage u;
	if (getrusage(RUSAGE_SELF, &u) != 0)
		return NULL;
	json_int_t cpu_ms = (json_int_t)u.ru_utime.tv_sec * 1000 + u.ru_utime.tv_usec / 1000 +
			    (json_int_t)u.ru_stime.tv_sec * 1000 + u.ru_stime.tv_usec / 1000;
	return json_pack("{s:I,s:I}", "cpuMs", cpu_ms, "peakKb", (json_int_t)u.ru_maxrss);
}

static bool is(const emu_req *q, const char *method, const char *path)
{
	return !strcmp(q->method, method) && !strcmp(q->path, path);
}

static json_t *credentials(emu_server *s)
{
	pthread_mutex_lock(&s->lock);
	json_t *msi = json_deep_copy(json_object_get(s->store, "msi"));
	json_t *c = json_pack("{s:s,s:s,s:s,s:s,s:s,s:o}", "tenantId", s->tenant_id, "clientId",
			      s->client_id, "clientSecret", s->client_secret, "objectId",
			      s->sp_object_id, "subscriptionId", EMU_DEFAULT_SUBSCRIPTION, "msi",
			      msi);
	pthread_mutex_unlock(&s->lock);
	return c;
}

static void settings(emu_server *s, const emu_req *q, emu_resp *r)
{
	json_t *b = q->json;
	if (!json_is_object(b)) {
		bad(r, "settings must be a JSON object");
		return;
	}
	pthread_mutex_lock(&s->lock);
	json_t *v;
	if ((v = json_object_get(b, "pageSize")) && json_integer_value(v) > 0)
		s->cfg.page_size = (int)json_integer_value(v);
	if ((v = json_object_get(b, "throttleScale")) && json_number_value(v) > 0) {
		s->cfg.throttle_scale = json_number_value(v);
		for (size_t i = 0; i < s->nbuckets; i++)
			free(s->buckets[i].subscription);
		free(s->buckets);
		s->buckets = NULL;
		s->nbuckets = 0;
	}
	if ((v = json_object_get(b, "tokenLifetime")) && json_is_integer(v))
		s->cfg.token_lifetime_s = (int)json_integer_value(v);
	if ((v = json_object_get(b, "latencyMs")) && json_is_integer(v))
		s->cfg.latency_ms = (int)json_integer_value(v);
	if ((v = json_object_get(b, "principalDelayMs")) && json_is_integer(v))
		s->cfg.principal_delay_ms = (int)json_integer_value(v);
	if ((v = json_object_get(b, "appDelayMs")) && json_is_integer(v))
		s->cfg.app_delay_ms = (int)json_integer_value(v);
	if ((v = json_object_get(b, "retryAfter")) && json_is_integer(v))
		s->cfg.retry_after_s = (int)json_integer_value(v);
	if ((v = json_object_get(b, "lroPolls")) && json_is_integer(v))
		s->cfg.lro_polls = (int)json_integer_value(v);
	if ((v = json_object_get(b, "defaultLinkedServices")) && json_is_boolean(v))
		s->cfg.default_linked_services = json_is_true(v);
	if ((v = json_object_get(b, "synapseFirewall")) && json_is_boolean(v))
		s->cfg.synapse_firewall = json_is_true(v);
	if ((v = json_object_get(b, "synapseRbac")) && json_is_boolean(v))
		s->cfg.synapse_rbac = json_is_true(v);
	if ((v = json_object_get(b, "rbacDelayMs")) && json_is_integer(v))
		s->cfg.rbac_delay_ms = (int)json_integer_value(v);
	if ((v = json_object_get(b, "operationConflictMs")) && json_is_integer(v))
		s->cfg.operation_conflict_ms = (int)json_integer_value(v);
	if ((v = json_object_get(b, "mlSoftDelete")) && json_is_boolean(v))
		s->cfg.ml_soft_delete = json_is_true(v);
	if ((v = json_object_get(b, "clientIp")) && json_is_string(v))
		snprintf(s->cfg.client_ip, sizeof(s->cfg.client_ip), "%s", json_string_value(v));
	json_t *out = json_pack("{s:i,s:f,s:i,s:i,s:i,s:i,s:i,s:i,s:b}", "pageSize", s->cfg.page_size,
				"throttleScale", s->cfg.throttle_scale, "tokenLifetime",
				s->cfg.token_lifetime_s, "latencyMs", s->cfg.latency_ms,
				"principalDelayMs", s->cfg.principal_delay_ms, "appDelayMs",
				s->cfg.app_delay_ms, "retryAfter", s->cfg.retry_after_s,
				"lroPolls", s->cfg.lro_polls, "defaultLinkedServices",
				s->cfg.default_linked_services);
	json_object_update_new(out, json_pack("{s:b,s:b,s:i,s:i,s:b,s:s}", "synapseFirewall",
					      s->cfg.synapse_firewall, "synapseRbac",
					      s->cfg.synapse_rbac, "rbacDelayMs",
					      s->cfg.rbac_delay_ms, "operationConflictMs",
					      s->cfg.operation_conflict_ms, "mlSoftDelete",
					      s->cfg.ml_soft_delete, "clientIp", s->cfg.client_ip));
	pthread_mutex_unlock(&s->lock);
	ok(r, out);
}

static void lro(emu_server *s, const emu_req *q, emu_resp *r, const char *type)
{
	const emu_arm_kind *kind = emu_arm_kind_find(type);
	if (!kind) {
		bad(r, "unknown resource type");
		return;
	}
	char *lt = emu_lower(kind->type);
	pthread_mutex_lock(&s->lock);
	json_t *all = emu_store_obj(s, "lro");
	if (!strcmp(q->method, "DELETE")) {
		json_object_del(all, lt);
	} else if (json_is_object(q->json)) {
		json_t *cur = json_object_get(all, lt);
		if (!cur) {
			cur = json_object();
			json_object_set_new(all, lt, cur);
		}
		json_object_update(cur, q->json);
	}
	json_t *cur = json_object_get(all, lt);
	json_t *out = json_pack("{s:s,s:s,s:s,s:s,s:O?}", "type", kind->type, "put",
				emu_lro_name(kind->put_lro), "patch", emu_lro_name(kind->patch_lro),
				"delete", emu_lro_name(kind->delete_lro), "override", cur);
	pthread_mutex_unlock(&s->lock);
	free(lt);
	ok(r, out);
}

static void identities(emu_server *s, const emu_req *q, emu_resp *r, const char *what)
{
	json_t *b = q->json;
	const char *client = json_string_value(json_object_get(b, "clientId"));
	const char *oid = json_string_value(json_object_get(b, "objectId"));
	if (!json_is_object(b) || strcmp(q->method, "POST")) {
		bad(r, "POST a JSON object");
		return;
	}
	pthread_mutex_lock(&s->lock);
	char *own_oid = oid ? NULL : emu_uuid(s);
	const char *use_oid = oid ? oid : own_oid;
	json_t *clients = emu_store_obj(s, "clients");
	json_t *entry = client ? json_object_get(clients, client) : NULL;
	const char *error = NULL;
	if (!strcmp(what, "principal")) {
		const char *type = json_string_value(json_object_get(b, "type"));
		json_int_t age = json_integer_value(json_object_get(b, "ageMs"));
		emu_principal_add(s, use_oid, type ? type : "ServicePrincipal", q->now_ms - age);
	} else if (!client) {
		error = "clientId is required";
	} else if (!strcmp(what, "secret")) {
		const char *secret = json_string_value(json_object_get(b, "secret"));
		if (!secret)
			error = "secret is required";
		else
			emu_client_add_secret(s, client, secret,
					      entry ? json_string_value(json_object_get(entry, "oid"))
						    : use_oid);
		if (!entry && secret)
			emu_principal_add(s, use_oid, "ServicePrincipal", q->now_ms);
	} else if (!strcmp(what, "certificate") || !strcmp(what, "federated")) {
		if (!entry) {
			entry = emu_client_entry(s, client, use_oid);
			emu_principal_add(s, use_oid, "ServicePrincipal", q->now_ms);
		}
		if (!strcmp(what, "certificate")) {
			const char *tp = json_string_value(json_object_get(b, "thumbprint"));
			const char *pem = json_string_value(json_object_get(b, "pem"));
			if (!tp || !pem)
				error = "thumbprint (base64url SHA-1) and pem are required";
			else
				json_object_set_new(json_object_get(entry, "certs"), tp,
						    json_string(pem));
		} else {
			const char *iss = json_string_value(json_object_get(b, "issuer"));
			const char *sub = json_string_value(json_object_get(b, "subject"));
			const char *aud = json_string_value(json_object_get(b, "audience"));
			if (!iss || !sub)
				error = "issuer and subject are required";
			else
				json_array_append_new(
					json_object_get(entry, "federated"),
					json_pack("{s:s,s:s,s:s}", "issuer", iss, "subject", sub,
						  "audience",
						  aud ? aud : "api://AzureADTokenExchange"));
		}
	} else {
		error = "unknown identity kind";
	}
	pthread_mutex_unlock(&s->lock);
	if (error)
		bad(r, error);
	else
		ok(r, json_pack("{s:s}", "objectId", use_oid));
	free(own_oid);
}

static void federated_token(emu_server *s, const emu_req *q, emu_resp *r)
{
	const char *iss = json_string_value(json_object_get(q->json, "issuer"));
	const char *sub = json_string_value(json_object_get(q->json, "subject"));
	const char *aud = json_string_value(json_object_get(q->json, "audience"));
	json_t *life = json_object_get(q->json, "lifetime");
	if (!iss || !sub) {
		bad(r, "issuer and subject are required");
		return;
	}
	json_int_t now = q->now_ms / 1000;
	json_int_t lifetime = json_is_integer(life) ? json_integer_value(life) : 3600;
	json_t *payload = json_pack("{s:s,s:s,s:s,s:I,s:I,s:I}", "iss", iss, "sub", sub, "aud",
				    aud ? aud : "api://AzureADTokenExchange", "iat", now, "nbf",
				    now, "exp", now + lifetime);
	char *token = emu_jwt_sign(s->federation_key, payload);
	json_decref(payload);
	ok(r, json_pack("{s:s}", "token", token));
	free(token);
}

static void out_of_band_arm(emu_server *s, const emu_req *q, emu_resp *r, const char *id)
{
	if (!strcmp(q->method, "GET")) {
		json_t *res = emu_arm_get_raw(s, id);
		if (res)
			ok(r, res);
		else
			emu_resp_arm_error(r, 404, "ResourceNotFound", "No such resource.");
	} else if (!strcmp(q->method, "DELETE")) {
		if (emu_arm_delete_raw(s, id))
			emu_resp_arm_error(r, 404, "ResourceNotFound", "No such resource.");
		else
			ok(r, NULL);
	} else if (!json_is_object(q->json)) {
		bad(r, "a JSON object body is required");
	} else if (!strcmp(q->method, "PATCH")) {
		json_t *res = emu_arm_get_raw(s, id);
		if (!res) {
			emu_resp_arm_error(r, 404, "ResourceNotFound", "No such resource.");
			return;
		}
		emu_json_merge(res, q->json);
		emu_arm_put_raw(s, json_string_value(json_object_get(res, "id")), res);
		ok(r, res);
	} else {
		emu_arm_put_raw(s, id, q->json);
		ok(r, json_incref(q->json));
	}
}

static void out_of_band_synapse(emu_server *s, const emu_req *q, emu_resp *r, const char *rest)
{
	/* rest: {ws}/{collection}/{name} */
	const char *a = strchr(rest, '/');
	const char *b = a ? strchr(a + 1, '/') : NULL;
	if (!a || !b || !b[1]) {
		bad(r, "use /_emulator/synapse/{workspace}/{collection}/{name}");
		return;
	}
	char *ws = az_xstrndup(rest, (size_t)(a - rest));
	char *coll = az_xstrndup(a + 1, (size_t)(b - a - 1));
	const char *name = b + 1;
	/* A managed private endpoint also by its data-plane path. */
	static const char vnet_endpoints[] = "default/managedPrivateEndpoints/";
	if (!strcasecmp(coll, "managedVirtualNetworks") &&
	    !strncasecmp(name, vnet_endpoints, sizeof(vnet_endpoints) - 1)) {
		free(coll);
		coll = az_xstrdup("managedPrivateEndpoints");
		name += sizeof(vnet_endpoints) - 1;
	}
	const char *verb = strchr(name, '/');
	if (verb && !strcmp(q->method, "POST") && !strcasecmp(coll, "managedPrivateEndpoints") &&
	    (!strcmp(verb, "/approve") || !strcmp(verb, "/reject"))) {
		/* The owner of the endpoint's target answers its request. */
		char *endpoint = az_xstrndup(name, (size_t)(verb - name));
		const char *why = json_string_value(json_object_get(q->json, "description"));
		if (emu_synapse_set_connection(s, ws, endpoint,
					       !strcmp(verb, "/approve") ? "Approved" : "Rejected", why))
			emu_resp_flat_error(r, 404, "NotFound", "No such managed private endpoint.");
		else
			ok(r, NULL);
		free(endpoint);
	} else if (!strcmp(q->method, "DELETE")) {
		if (emu_synapse_delete_raw(s, ws, coll, name))
			emu_resp_flat_error(r, 404, "NotFound", "No such artifact.");
		else
			ok(r, NULL);
	} else if ((!strcmp(q->method, "PUT") || !strcmp(q->method, "PATCH")) &&
		   json_is_object(q->json)) {
		emu_synapse_put_raw(s, ws, coll, name, q->json);
		ok(r, json_incref(q->json));
	} else {
		bad(r, "PUT a JSON object or DELETE");
	}
	free(ws);
	free(coll);
}

int emu_state_save(emu_server *s, const char *path)
{
	pthread_mutex_lock(&s->lock);
	int rc = json_dump_file(s->store, path, JSON_INDENT(1));
	pthread_mutex_unlock(&s->lock);
	return rc;
}

static void state_replace(emu_server *s, json_t *loaded)
{
	pthread_mutex_lock(&s->lock);
	json_t *keep_msi = json_incref(json_object_get(s->store, "msi"));
	json_object_clear(s->store);
	json_object_update(s->store, loaded);
	emu_arm_index_drop(s);
	if (!json_object_get(s->store, "msi"))
		json_object_set(s->store, "msi", keep_msi);
	json_decref(keep_msi);
	/* The built-in service principal's credentials stay valid. */
	emu_client_add_secret(s, s->client_id, s->client_secret, s->sp_object_id);
	emu_principal_add(s, s->sp_object_id, "ServicePrincipal", 0);
	json_t *subs = emu_store_obj(s, "subscriptions");
	if (!json_object_get(subs, EMU_DEFAULT_SUBSCRIPTION))
		json_object_set_new(subs, EMU_DEFAULT_SUBSCRIPTION, json_object());
	pthread_mutex_unlock(&s->lock);
}

int emu_state_load(emu_server *s, const char *path)
{
	json_error_t err;
	json_t *loaded = json_load_file(path, 0, &err);
	if (!json_is_object(loaded)) {
		json_decref(loaded);
		return -1;
	}
	state_replace(s, loaded);
	json_decref(loaded);
	return 0;
}

void emu_control_handle(emu_server *s, const emu_req *q, emu_resp *r)
{
	const char *p = q->path + strlen("/_emulator");
	if (is(q, "GET", "/_emulator/health")) {
		ok(r, json_pack("{s:s,s:i}", "status", "ok", "port", s->cfg.port));
	} else if (is(q, "GET", "/_emulator/usage")) {
		json_t *u = usage();
		if (u)
			ok(r, u);
		else
			emu_resp_arm_error(r, 500, "UsageUnavailable", "getrusage failed");
	} else if (is(q, "GET", "/_emulator/credentials")) {
		ok(r, credentials(s));
	} else if (is(q, "GET", "/_emulator/log")) {
		pthread_mutex_lock(&s->lock);
		json_t *body = json_pack("{s:o,s:o}", "requests", emu_log_copy(s), "counters",
					 json_deep_copy(s->counters));
		pthread_mutex_unlock(&s->lock);
		ok(r, body);
	} else if (is(q, "DELETE", "/_emulator/log")) {
		pthread_mutex_lock(&s->lock);
		az_buf_truncate(&s->log, 0);
		json_object_clear(s->counters);
		pthread_mutex_unlock(&s->lock);
		ok(r, NULL);
	} else if (is(q, "POST", "/_emulator/faults")) {
		char *id = NULL, *err = NULL;
		if (emu_fault_add(s, q->json, &id, &err))
			bad(r, err);
		else
			ok(r, json_pack("{s:s}", "id", id));
		free(id);
		free(err);
	} else if (is(q, "GET", "/_emulator/faults")) {
		ok(r, json_pack("{s:o}", "value", emu_faults_json(s)));
	} else if (is(q, "DELETE", "/_emulator/faults")) {
		emu_faults_clear(s);
		ok(r, NULL);
	} else if (is(q, "PUT", "/_emulator/latency")) {
		json_t *ms = json_object_get(q->json, "ms");
		if (!json_is_integer(ms)) {
			bad(r, "{\"ms\": N} is required");
		} else {
			pthread_mutex_lock(&s->lock);
			s->cfg.latency_ms = (int)json_integer_value(ms);
			pthread_mutex_unlock(&s->lock);
			ok(r, NULL);
		}
	} else if (!strcmp(q->path, "/_emulator/settings") &&
		   (!strcmp(q->method, "PUT") || !strcmp(q->method, "PATCH") ||
		    !strcmp(q->method, "GET"))) {
		if (!strcmp(q->method, "GET")) {
			emu_req copy = *q;
			json_t *empty = json_object();
			copy.json = empty;
			settings(s, &copy, r);
			json_decref(empty);
		} else {
			settings(s, q, r);
		}
	} else if (!strncmp(p, "/lro/", 5)) {
		lro(s, q, r, p + 5);
	} else if (!strncmp(p, "/identities/", 12)) {
		identities(s, q, r, p + 12);
	} else if (is(q, "POST", "/_emulator/federated-token")) {
		federated_token(s, q, r);
	} else if (!strncmp(p, "/subscriptions/", 15) && p[15] && !strchr(p + 15, '/') &&
		   (!strcmp(q->method, "PUT") || !strcmp(q->method, "DELETE"))) {
		/* Subscriptions other than the built-in one, for tests that replay
		 * requests recorded against other subscriptions. */
		char *sub = emu_lower(p + 15);
		pthread_mutex_lock(&s->lock);
		json_t *subs = emu_store_obj(s, "subscriptions");
		if (!strcmp(q->method, "PUT"))
			json_object_set_new(subs, sub, json_object());
		else
			json_object_del(subs, sub);
		pthread_mutex_unlock(&s->lock);
		free(sub);
		ok(r, NULL);
	} else if (!strncmp(p, "/arm/", 5)) {
		out_of_band_arm(s, q, r, p + 4);
	} else if (!strncmp(p, "/synapse/", 9)) {
		out_of_band_synapse(s, q, r, p + 9);
	} else if (is(q, "GET", "/_emulator/store")) {
		pthread_mutex_lock(&s->lock);
		json_t *copy = json_deep_copy(s->store);
		pthread_mutex_unlock(&s->lock);
		ok(r, copy);
	} else if (is(q, "PUT", "/_emulator/store")) {
		if (!json_is_object(q->json)) {
			bad(r, "the store must be a JSON object");
		} else {
			state_replace(s, q->json);
			ok(r, NULL);
		}
	} else {
		emu_resp_arm_error(r, 404, "NotFound", "No such control route.");
	}
}
