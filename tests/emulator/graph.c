/*
 * graph.c - Microsoft Graph v1.0 applications and service principals
 * (graph.localhost/v1.0/...), enough for azapply's Entra kinds: create,
 * read by id or alternate key ((uniqueName='u'), (appId='x')), $filter,
 * update, delete, upsert with `Prefer: create-if-missing` (201 created /
 * 204 updated) and addPassword, whose secretText is shown once and then
 * works at the token endpoint for that appId. A service principal asked for
 * too soon after its application gets 400 NoBackingApplicationObject, as
 * Entra's replication delay causes (azure-notes.md).
 *
 * An application's federated identity credentials live under it
 * (.../federatedIdentityCredentials): POST 201 with the credential, GET by
 * id or by name (Graph takes the name in place of the id), a paged list,
 * PATCH and DELETE 204, and the upsert at (name='n') with `Prefer:
 * create-if-missing`. Graph's rules hold: the name is unique in the
 * application and cannot change, so are issuer and subject together, one
 * audience, at most 20 credentials per application. The token endpoint
 * takes a federated token as the application's client assertion when its
 * issuer, subject and audience match one of them and the application has a
 * service principal, whose object id the access token then carries.
 */
#include "emu.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void graph_error(emu_resp *r, int status, const char *code, const char *msg)
{
	emu_resp_json(r, status, json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", msg));
}

static void not_found(emu_resp *r, const char *what)
{
	char *msg = az_xasprintf("Resource '%s' does not exist or one of its queried "
				 "reference-property objects are not present.",
				 what);
	graph_error(r, 404, "Request_ResourceNotFound", msg);
	free(msg);
}

static json_t *find_by(json_t *coll, const char *field, const char *value)
{
	const char *k;
	json_t *v;
	json_object_foreach(coll, k, v) {
		const char *f = json_string_value(json_object_get(v, field));
		if (f && value && !strcasecmp(f, value))
			return v;
	}
	return NULL;
}

static json_t *public_view(json_t *obj)
{
	json_t *c = json_deep_copy(obj);
	json_object_del(c, "_createdMs");
	return c;
}

/* One object as Graph answers it alone (not in a list): with its context. */
static json_t *entity_view(json_t *obj, bool app)
{
	json_t *c = public_view(obj);
	json_object_set_new(c, "@odata.context",
			    json_string(app ? "https://graph.microsoft.com/v1.0/$metadata#"
					      "applications/$entity"
					    : "https://graph.microsoft.com/v1.0/$metadata#"
					      "servicePrincipals/$entity"));
	return c;
}

/* What Graph fills in on a new application (recorded sessions): empty
 * collections, the API and web settings, no deletion date. */
static void application_defaults(json_t *obj)
{
	static const char *const defaults[][2] = {
		{"deletedDateTime", "null"},
		{"identifierUris", "[]"},
		{"tags", "[]"},
		{"appRoles", "[]"},
		{"keyCredentials", "[]"},
		{"passwordCredentials", "[]"},
		{"requiredResourceAccess", "[]"},
		{"publisherDomain", "\"emulator.onmicrosoft.com\""},
		{"signInAudience", "\"AzureADandPersonalMicrosoftAccount\""},
		{"api", "{\"acceptMappedClaims\":null,\"knownClientApplications\":[],"
			"\"requestedAccessTokenVersion\":2,\"oauth2PermissionScopes\":[],"
			"\"preAuthorizedApplications\":[]}"},
		{"web", "{\"homePageUrl\":null,\"logoutUrl\":null,\"redirectUris\":[],"
			"\"implicitGrantSettings\":{\"enableAccessTokenIssuance\":false,"
			"\"enableIdTokenIssuance\":false}}"},
	};
	for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
		if (!json_object_get(obj, defaults[i][0]))
			json_object_set_new(obj, defaults[i][0],
					    json_loads(defaults[i][1], JSON_DECODE_ANY, NULL));
}

/* What Graph fills in on a new service principal (recorded sessions): the
 * application's name, audience and tenant, its names (the appId and the
 * application's identifier URIs), empty collections. */
static void service_principal_defaults(emu_server *s, json_t *obj, json_t *app)
{
	static const char *const empty[] = {"tags",          "keyCredentials",
					    "passwordCredentials", "alternativeNames",
					    "replyUrls",     "notificationEmailAddresses",
					    "oauth2PermissionScopes", "appRoles"};
	for (size_t i = 0; i < sizeof(empty) / sizeof(empty[0]); i++)
		if (!json_object_get(obj, empty[i]))
			json_object_set_new(obj, empty[i], json_array());
	json_object_set_new(obj, "deletedDateTime", json_null());
	if (!json_object_get(obj, "accountEnabled"))
		json_object_set_new(obj, "accountEnabled", json_true());
	if (!json_object_get(obj, "appRoleAssignmentRequired"))
		json_object_set_new(obj, "appRoleAssignmentRequired", json_false());
	json_object_set(obj, "appDisplayName", json_object_get(app, "displayName"));
	json_object_set(obj, "signInAudience", json_object_get(app, "signInAudience"));
	json_object_set_new(obj, "appOwnerOrganizationId", json_string(s->tenant_id));
	json_t *names = json_array();
	json_array_append(names, json_object_get(app, "appId"));
	size_t i;
	json_t *uri;
	json_array_foreach(json_object_get(app, "identifierUris"), i, uri)
		json_array_append(names, uri);
	json_object_set_new(obj, "servicePrincipalNames", names);
}

static json_t *create_object(emu_server *s, const emu_req *q, emu_resp *r, bool app, json_t *body)
{
	json_t *coll = emu_store_obj(s, app ? "graphApplications" : "graphServicePrincipals");
	char *id = emu_uuid(s);
	char ts[40];
	emu_iso8601(ts, sizeof(ts), q->now_ms);
	json_t *obj = json_deep_copy(body);
	json_object_set_new(obj, "id", json_string(id));
	json_object_set_new(obj, "createdDateTime", json_string(ts));
	json_object_set_new(obj, "_createdMs", json_integer(q->now_ms));
	json_t *result = NULL;
	if (app) {
		char *app_id = emu_uuid(s);
		json_object_set_new(obj, "appId", json_string(app_id));
		free(app_id);
		application_defaults(obj);
	} else {
		const char *app_id = json_string_value(json_object_get(obj, "appId"));
		json_t *backing = find_by(emu_store_obj(s, "graphApplications"), "appId", app_id);
		long long age = backing ? q->now_ms - json_integer_value(json_object_get(
								backing, "_createdMs"))
					: 0;
		if (!backing || age < s->cfg.app_delay_ms) {
			emu_resp_json(r, 400,
				      json_pack("{s:{s:s,s:s}}", "error", "code",
						"NoBackingApplicationObject", "message",
						"The service principal cannot be created because "
						"its backing application object does not exist "
						"yet."));
			goto done;
		}
		if (find_by(coll, "appId", app_id)) {
			graph_error(r, 409, "Request_MultipleObjectsWithSameKeyValue",
				    "A service principal for this application already exists.");
			goto done;
		}
		json_object_set(obj, "displayName", json_object_get(backing, "displayName"));
		json_object_set_new(obj, "servicePrincipalType", json_string("Application"));
		service_principal_defaults(s, obj, backing);
		emu_principal_add(s, id, "ServicePrincipal", q->now_ms);
		/* Tokens for the app now carry the service principal's object id. */
		json_t *client = json_object_get(emu_store_obj(s, "clients"), app_id);
		if (client)
			json_object_set_new(client, "oid", json_string(id));
	}
	/* The store owns the object; callers borrow it. */
	json_object_set_new(coll, id, obj);
	result = obj;
done:
	free(id);
	if (!result)
		json_decref(obj);
	return result;
}

static void add_password(emu_server *s, const emu_req *q, emu_resp *r, json_t *app)
{
	json_t *pc = json_object_get(q->json, "passwordCredential");
	const char *name = json_string_value(json_object_get(pc, "displayName"));
	const char *end = json_string_value(json_object_get(pc, "endDateTime"));
	char *key_id = emu_uuid(s), *a = emu_uuid(s), *b = emu_uuid(s);
	char *secret = az_xasprintf("emu8Q~%.8s%.26s", a, b);
	for (char *p = secret; *p; p++)
		if (*p == '-')
			*p = 'Q';
	char ts[40];
	emu_iso8601(ts, sizeof(ts), q->now_ms);
	char hint[4];
	snprintf(hint, sizeof(hint), "%.3s", secret);
	const char *app_id = json_string_value(json_object_get(app, "appId"));
	json_t *sp = find_by(emu_store_obj(s, "graphServicePrincipals"), "appId", app_id);
	const char *oid = sp ? json_string_value(json_object_get(sp, "id"))
			     : json_string_value(json_object_get(app, "id"));
	emu_client_add_secret(s, app_id, secret, oid);
	/* Only the hint is kept with the application: secretText is shown once. */
	json_t *cred = json_pack("{s:s,s:s?,s:s,s:s,s:s,s:n,s:n}", "keyId", key_id, "displayName",
				 name, "hint", hint, "startDateTime", ts, "endDateTime",
				 end ? end : "2299-12-31T00:00:00Z", "customKeyIdentifier",
				 "secretText");
	json_array_append(json_object_get(app, "passwordCredentials"), cred);
	json_t *out = json_deep_copy(cred);
	json_object_set_new(out, "secretText", json_string(secret));
	emu_resp_json(r, 200, out);
	json_decref(cred);
	free(key_id);
	free(a);
	free(b);
	free(secret);
}

/* "applications(uniqueName='x')" -> field uniqueName, value x. */
static bool alt_key(const char *seg, const char *coll, char **field, char **value)
{
	size_t cl = strlen(coll);
	if (strncmp(seg, coll, cl) || seg[cl] != '(')
		return false;
	const char *f = seg + cl + 1;
	const char *eq = strchr(f, '=');
	if (!eq || eq[1] != '\'')
		return false;
	const char *end = strchr(eq + 2, '\'');
	if (!end || strcmp(end, "')"))
		return false;
	*field = az_xstrndup(f, (size_t)(eq - f));
	*value = az_xstrndup(eq + 2, (size_t)(end - eq - 2));
	return true;
}

/* Graph's limit per application (federatedIdentityCredential). */
#define MAX_CREDENTIALS 20
#define MAX_CREDENTIAL_NAME 120

/* An application's credentials, by id: kept beside the application so its
 * own body stays as Graph answers it. */
static json_t *credentials_of(emu_server *s, json_t *app)
{
	json_t *all = emu_store_obj(s, "graphFederatedCredentials");
	const char *app_id = json_string_value(json_object_get(app, "id"));
	json_t *mine = json_object_get(all, app_id);
	if (!mine) {
		mine = json_object();
		json_object_set_new(all, app_id, mine);
	}
	return mine;
}

int emu_graph_sign_in(emu_server *s, const char *app_id, json_t **client)
{
	json_t *app = find_by(emu_store_obj(s, "graphApplications"), "appId", app_id);
	if (!app)
		return 0;
	json_t *sp = find_by(emu_store_obj(s, "graphServicePrincipals"), "appId", app_id);
	if (!sp)
		return -1;
	if (!*client)
		*client = json_pack("{s:s,s:[],s:{},s:[]}", "tenant", s->tenant_id, "secrets",
				    "certs", "federated");
	json_object_set(*client, "oid", json_object_get(sp, "id"));
	json_t *records = json_array();
	const char *k;
	json_t *cred;
	json_t *creds = json_object_get(emu_store_obj(s, "graphFederatedCredentials"),
					json_string_value(json_object_get(app, "id")));
	json_object_foreach(creds, k, cred)
		json_array_append_new(records,
				      json_pack("{s:O?,s:O?,s:O?}", "issuer",
						json_object_get(cred, "issuer"), "subject",
						json_object_get(cred, "subject"), "audience",
						json_array_get(json_object_get(cred, "audiences"), 0)));
	json_object_set_new(*client, "graphFederated", records);
	return 1;
}

static json_t *credential_view(json_t *app, json_t *cred)
{
	json_t *c = json_deep_copy(cred);
	char *ctx = az_xasprintf("https://graph.microsoft.com/v1.0/$metadata#applications('%s')/"
				 "federatedIdentityCredentials/$entity",
				 json_string_value(json_object_get(app, "id")));
	json_object_set_new(c, "@odata.context", json_string(ctx));
	free(ctx);
	return c;
}

/* Why Graph refuses `cred` (the credential as it would be after the
 * write) among `creds`, or NULL. `self` is the one being changed. */
static const char *credential_refusal(json_t *creds, json_t *cred, json_t *self)
{
	const char *name = json_string_value(json_object_get(cred, "name"));
	const char *issuer = json_string_value(json_object_get(cred, "issuer"));
	const char *subject = json_string_value(json_object_get(cred, "subject"));
	json_t *aud = json_object_get(cred, "audiences");
	if (!name || !*name || strlen(name) > MAX_CREDENTIAL_NAME)
		return "Property 'name' is required and must be 1-120 characters long.";
	if (!issuer || !subject)
		return "Properties 'issuer' and 'subject' are required.";
	if (!json_is_array(aud) || json_array_size(aud) != 1 ||
	    !json_is_string(json_array_get(aud, 0)))
		return "Property 'audiences' must have exactly one value.";
	const char *k;
	json_t *v;
	json_object_foreach(creds, k, v) {
		if (v == self)
			continue;
		const char *n = json_string_value(json_object_get(v, "name"));
		const char *i = json_string_value(json_object_get(v, "issuer"));
		const char *sj = json_string_value(json_object_get(v, "subject"));
		if (n && !strcasecmp(n, name))
			return "FederatedIdentityCredential with the same name already exists.";
		if (i && sj && !strcmp(i, issuer) && !strcmp(sj, subject))
			return "FederatedIdentityCredential with the same issuer and subject "
			       "already exists.";
	}
	if (!self && json_object_size(creds) >= MAX_CREDENTIALS)
		return "The maximum number of federated identity credentials (20) for this "
		       "application has been reached.";
	return NULL;
}

static json_t *credential_by_key(json_t *creds, const char *key)
{
	json_t *c = json_object_get(creds, key);
	return c ? c : find_by(creds, "name", key);
}

static void credential_create(emu_server *s, emu_resp *r, json_t *app, json_t *creds,
			      json_t *body, const char *name)
{
	json_t *cred = json_pack("{s:n,s:n}", "description", json_null(), "name", json_null());
	json_object_update(cred, body);
	if (name)
		json_object_set_new(cred, "name", json_string(name));
	json_object_del(cred, "id");
	const char *why = credential_refusal(creds, cred, NULL);
	if (why) {
		graph_error(r, 400, "Request_BadRequest", why);
		json_decref(cred);
		return;
	}
	char *id = emu_uuid(s);
	json_object_set_new(cred, "id", json_string(id));
	json_object_set_new(creds, id, cred);
	emu_resp_json(r, 201, credential_view(app, cred));
	free(id);
}

static void credential_update(emu_resp *r, json_t *creds, json_t *cred, json_t *body)
{
	json_t *next = json_deep_copy(cred);
	json_object_update(next, body);
	json_object_set(next, "id", json_object_get(cred, "id"));
	const char *name = json_string_value(json_object_get(cred, "name"));
	const char *want = json_string_value(json_object_get(next, "name"));
	const char *why = !want || strcmp(want, name) ? "Property 'name' is read-only and cannot "
							"be changed."
						      : credential_refusal(creds, next, cred);
	if (why)
		graph_error(r, 400, "Request_BadRequest", why);
	else {
		json_object_update(cred, next);
		emu_resp_empty(r, 204);
	}
	json_decref(next);
}

/* `tail` follows the application: "federatedIdentityCredentials",
 * ".../{id or name}" or "...(name='n')". */
static void handle_credentials(emu_server *s, const emu_req *q, emu_resp *r, json_t *app,
			       const char *tail)
{
	json_t *creds = credentials_of(s, app);
	char *field = NULL, *key = NULL;
	const char *coll = "federatedIdentityCredentials";
	size_t cl = strlen(coll);
	bool upsert_form = alt_key(tail, coll, &field, &key);
	if (upsert_form && strcmp(field, "name")) {
		graph_error(r, 400, "BadRequest", "Unsupported key.");
		goto done;
	}
	if (!upsert_form && strncmp(tail, coll, cl)) {
		graph_error(r, 400, "BadRequest", "Resource not found for the segment.");
		goto done;
	}
	if (!upsert_form && tail[cl] == '/' && !strchr(tail + cl + 1, '/'))
		key = az_xstrdup(tail + cl + 1);
	else if (!upsert_form && tail[cl]) {
		graph_error(r, 400, "BadRequest", "Resource not found for the segment.");
		goto done;
	}
	if (!key) {
		if (!strcmp(q->method, "POST")) {
			if (json_is_object(q->json))
				credential_create(s, r, app, creds, q->json, NULL);
			else
				graph_error(r, 400, "BadRequest", "The request body must be an object.");
		} else if (!strcmp(q->method, "GET")) {
			json_t *items = json_array();
			const char *k;
			json_t *v;
			json_object_foreach(creds, k, v)
				json_array_append(items, v);
			json_t *body = emu_page(s, q, items, (size_t)s->cfg.page_size, "$skiptoken",
						"@odata.nextLink");
			char *ctx = az_xasprintf("https://graph.microsoft.com/v1.0/$metadata#"
						 "applications('%s')/federatedIdentityCredentials",
						 json_string_value(json_object_get(app, "id")));
			json_object_set_new(body, "@odata.context", json_string(ctx));
			emu_resp_json(r, 200, body);
			free(ctx);
		} else {
			graph_error(r, 405, "Request_BadRequest", "Method not allowed.");
		}
		goto done;
	}
	json_t *cred = credential_by_key(creds, key);
	const char *prefer = emu_req_header(q, "Prefer");
	bool upsert = upsert_form && prefer && strstr(prefer, "create-if-missing");
	if (!strcmp(q->method, "GET")) {
		if (cred)
			emu_resp_json(r, 200, credential_view(app, cred));
		else
			not_found(r, key);
	} else if (!strcmp(q->method, "PATCH")) {
		if (!json_is_object(q->json))
			graph_error(r, 400, "BadRequest", "The request body must be an object.");
		else if (cred)
			credential_update(r, creds, cred, q->json);
		else if (upsert)
			credential_create(s, r, app, creds, q->json, key);
		else
			not_found(r, key);
	} else if (!strcmp(q->method, "DELETE")) {
		if (cred) {
			json_object_del(creds, json_string_value(json_object_get(cred, "id")));
			emu_resp_empty(r, 204);
		} else {
			not_found(r, key);
		}
	} else {
		graph_error(r, 405, "Request_BadRequest", "Method not allowed.");
	}
done:
	free(field);
	free(key);
}

static void handle_object(emu_server *s, const emu_req *q, emu_resp *r, bool app,
			  json_t *coll, json_t *obj, const char *alt_field, const char *alt_value)
{
	const char *prefer = emu_req_header(q, "Prefer");
	bool upsert = prefer && strstr(prefer, "create-if-missing");
	if (!strcmp(q->method, "GET")) {
		if (obj)
			emu_resp_json(r, 200, entity_view(obj, app));
		else
			not_found(r, alt_value);
	} else if (!strcmp(q->method, "PATCH")) {
		if (!json_is_object(q->json)) {
			graph_error(r, 400, "BadRequest", "The request body must be an object.");
		} else if (obj) {
			json_t *patch = json_deep_copy(q->json);
			json_object_del(patch, "id");
			json_object_del(patch, "appId");
			json_object_del(patch, "passwordCredentials");
			json_object_update(obj, patch);
			json_decref(patch);
			emu_resp_empty(r, 204);
		} else if (upsert && alt_field) {
			json_t *body = json_deep_copy(q->json);
			json_object_set_new(body, alt_field, json_string(alt_value));
			json_t *created = create_object(s, q, r, app, body);
			json_decref(body);
			if (created)
				emu_resp_json(r, 201, entity_view(created, app));
		} else {
			not_found(r, alt_value);
		}
	} else if (!strcmp(q->method, "DELETE")) {
		if (!obj) {
			not_found(r, alt_value);
			return;
		}
		/* A deleted application cannot sign in any more (AADSTS700016). */
		if (app) {
			json_object_del(emu_store_obj(s, "clients"),
					json_string_value(json_object_get(obj, "appId")));
			/* Its federated identity credentials go with it. */
			json_object_del(emu_store_obj(s, "graphFederatedCredentials"),
					json_string_value(json_object_get(obj, "id")));
		}
		json_object_del(coll, json_string_value(json_object_get(obj, "id")));
		emu_resp_empty(r, 204);
	} else {
		graph_error(r, 405, "Request_BadRequest", "Method not allowed.");
	}
}

void emu_graph_handle(emu_server *s, const emu_req *q, emu_resp *r)
{
	if (!emu_auth_check(s, q, r, EMU_GRAPH_AUDIENCE, EMU_STYLE_GRAPH, NULL))
		return;
	if (strncmp(q->path, "/v1.0/", 6)) {
		graph_error(r, 400, "BadRequest", "Invalid version.");
		return;
	}
	const char *p = q->path + 6;
	const char *slash = strchr(p, '/');
	char *first = az_xstrndup(p, slash ? (size_t)(slash - p) : strlen(p));
	const char *rest = slash ? slash + 1 : NULL;
	char *field = NULL, *value = NULL;
	pthread_mutex_lock(&s->lock);
	bool app = !strncmp(first, "applications", 12);
	bool sp = !strncmp(first, "servicePrincipals", 17);
	json_t *coll = emu_store_obj(s, app ? "graphApplications" : "graphServicePrincipals");
	if (!app && !sp) {
		graph_error(r, 400, "BadRequest", "Resource not found for the segment.");
	} else if (alt_key(first, app ? "applications" : "servicePrincipals", &field, &value)) {
		json_t *obj = find_by(coll, field, value);
		if (!rest)
			handle_object(s, q, r, app, coll, obj, field, value);
		else if (!app)
			graph_error(r, 400, "BadRequest", "Unsupported segment.");
		else if (!obj)
			not_found(r, value);
		else
			handle_credentials(s, q, r, obj, rest);
	} else if (strcmp(first, app ? "applications" : "servicePrincipals")) {
		graph_error(r, 400, "BadRequest", "Resource not found for the segment.");
	} else if (!rest && !strcmp(q->method, "POST")) {
		if (!json_is_object(q->json)) {
			graph_error(r, 400, "BadRequest", "The request body must be an object.");
		} else {
			json_t *created = create_object(s, q, r, app, q->json);
			if (created)
				emu_resp_json(r, 201, entity_view(created, app));
		}
	} else if (!rest && !strcmp(q->method, "GET")) {
		const char *filter = emu_req_query(q, "$filter");
		char *want_app = emu_filter_eq(filter, "appId");
		char *want_unique = emu_filter_eq(filter, "uniqueName");
		char *want_name = emu_filter_eq(filter, "displayName");
		json_t *value_arr = json_array();
		const char *k;
		json_t *v;
		json_object_foreach(coll, k, v) {
			const char *a = json_string_value(json_object_get(v, "appId"));
			const char *u = json_string_value(json_object_get(v, "uniqueName"));
			const char *d = json_string_value(json_object_get(v, "displayName"));
			if ((want_app && (!a || strcasecmp(a, want_app))) ||
			    (want_unique && (!u || strcasecmp(u, want_unique))) ||
			    (want_name && (!d || strcmp(d, want_name))))
				continue;
			json_array_append_new(value_arr, public_view(v));
		}
		/* Graph pages with @odata.nextLink carrying an opaque $skiptoken;
		 * $top asks for a page size up to 999. */
		const char *top = emu_req_query(q, "$top");
		long want = top ? strtol(top, NULL, 10) : 0;
		size_t page = want > 0 && want <= 999 ? (size_t)want : (size_t)s->cfg.page_size;
		json_t *body = emu_page(s, q, value_arr, page, "$skiptoken", "@odata.nextLink");
		char *ctx = az_xasprintf("https://graph.microsoft.com/v1.0/$metadata#%s", first);
		json_object_set_new(body, "@odata.context", json_string(ctx));
		emu_resp_json(r, 200, body);
		free(ctx);
		free(want_app);
		free(want_unique);
		free(want_name);
	} else if (rest) {
		const char *s2 = strchr(rest, '/');
		char *id = az_xstrndup(rest, s2 ? (size_t)(s2 - rest) : strlen(rest));
		json_t *obj = json_object_get(coll, id);
		if (!s2) {
			handle_object(s, q, r, app, coll, obj, NULL, id);
		} else if (!obj) {
			not_found(r, id);
		} else if (app && !strncmp(s2, "/federatedIdentityCredentials", 29)) {
			handle_credentials(s, q, r, obj, s2 + 1);
		} else if (app && !strcmp(s2, "/addPassword") && !strcmp(q->method, "POST")) {
			add_password(s, q, r, obj);
		} else if (app && !strcmp(s2, "/removePassword") && !strcmp(q->method, "POST")) {
			const char *key = json_string_value(json_object_get(q->json, "keyId"));
			json_t *creds = json_object_get(obj, "passwordCredentials");
			size_t i;
			json_t *c;
			json_array_foreach(creds, i, c) {
				const char *kid = json_string_value(json_object_get(c, "keyId"));
				if (key && kid && !strcmp(kid, key)) {
					json_array_remove(creds, i);
					break;
				}
			}
			emu_resp_empty(r, 204);
		} else {
			graph_error(r, 400, "BadRequest", "Unsupported segment.");
		}
		free(id);
	} else {
		graph_error(r, 405, "Request_BadRequest", "Method not allowed.");
	}
	pthread_mutex_unlock(&s->lock);
	free(first);
	free(field);
	free(value);
}
