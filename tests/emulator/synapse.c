/*
 * synapse.c - the Synapse data plane of each workspace that exists in the
 * ARM store ({ws}.dev.localhost): artifacts (linked services, datasets,
 * pipelines, triggers, notebooks, SQL scripts, data flows, Spark job
 * definitions, credentials) and Synapse RBAC.
 *
 * Artifact PUT and DELETE answer 202 with a Location on the workspace host
 * and a body {recordId,state,operationId} that is not the artifact
 * (azure-notes.md, "Behaviour seen"); the change lands when the operation
 * completes and the final poll returns the artifact (PUT) or nothing
 * (DELETE). A credential's PUT answers 200 with the credential at once, as
 * its spec's example does; a KQL script's 202 carries no body, as
 * kqlScripts.json declares none. Managed private endpoints live under the
 * workspace's managed virtual network (managed_private_endpoint below).
 * SecureString values are stored and returned masked with an
 * encryptedCredential beside them, so the secret never lives here. 404s are
 * flat {"code","message"}. RBAC lists page with x-ms-continuation.
 *
 * Every artifact has an etag, new on every write (artifacts.json: each
 * *Resource is an AzureEntityResource, notebooks and SQL scripts declare
 * etag). PUT takes If-Match, "ETag of the entity ... should match existing
 * entity or can be * for unconditional update"; GET takes If-None-Match
 * (304 on a match or *); no call takes If-None-Match on a write, so it is
 * ignored there. If-Match is checked when the PUT arrives and again when
 * its operation lands: two writes accepted against the same etag must not
 * both land, the second would overwrite the first unseen.
 */
#include "arm.h"
#include "emu.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Where ARM keeps Synapse workspaces: the collection ends in this. */
#define WORKSPACES "/providers/Microsoft.Synapse/workspaces"

/* As the service spells each in an artifact's id and type (the specs'
 * examples: "sparkjobdefinitions", "sqlScripts"); routes match any case. */
static const char *const collections[] = {
	"linkedservices", "datasets",  "pipelines",           "triggers",
	"notebooks",      "sqlScripts", "dataflows", "sparkjobdefinitions", "credentials",
	"kqlScripts"};

static const struct {
	const char *name;
	const char *id;
} synapse_roles[] = {
	{"Synapse Administrator", "6e4bf58a-b8e1-4cc3-bbf9-d73143322b78"},
	{"Synapse Contributor", "7572bffe-f453-4b66-912a-46cc5ef38fda"},
	{"Synapse Artifact Publisher", "05930f57-09a3-4c0d-9fa9-6d1eb91c178b"},
	{"Synapse Artifact User", "53faaa0e-40b6-40c8-a2ff-e38f2d388875"},
	{"Synapse Compute Operator", "e3844cc7-4670-42cb-9349-9bdac1ee7881"},
	{"Synapse Credential User", "5eb298b4-692c-4241-9cf0-f58a3b42bb25"},
	{"Synapse Linked Data Manager", "dd665582-e433-40ca-b183-1b1b33e73375"},
	{"Synapse User", "2a385764-43e8-416c-9825-7b18d05a2c4b"},
	{"Apache Spark Administrator", "c3a6d2f1-a26f-4810-9b0f-591308d5cbf1"},
	{"Synapse SQL Administrator", "7af0c69a-a548-47d6-aea3-d00e69bd83aa"},
};
#define NROLES (sizeof(synapse_roles) / sizeof(synapse_roles[0]))

/* The artifact type as the service names it in operation records and
 * 404 codes ("PipelineNotFound"), the collection as it spells it in an
 * operation record's id (".../linkedServices/x"), and whether its PUT
 * answers 200 with the artifact at once rather than 202 with an operation
 * (credential.json 2020-12-01 allows both; its one example,
 * Credentials_Create, answers 200 with the credential and its etag), and
 * whether its 202 carries no body and its artifact no etag and keeps the
 * collection's case in its id and type (kqlScripts.json declares no body
 * for the 202 and no etag; KqlScript_GetByName.json: ".../kqlScripts/x"). */
static const struct {
	const char *coll, *type, *id_coll;
	bool put_answers_at_once, bare;
} artifact_types[] = {
	{"linkedservices", "LinkedService", "linkedServices", false, false},
	{"datasets", "Dataset", "datasets", false, false},
	{"pipelines", "Pipeline", "pipelines", false, false},
	{"triggers", "Trigger", "triggers", false, false},
	{"notebooks", "Notebook", "notebooks", false, false},
	{"sqlScripts", "SqlScript", "sqlScripts", false, false},
	{"dataflows", "DataFlow", "dataflows", false, false},
	{"sparkjobdefinitions", "SparkJobDefinition", "sparkJobDefinitions", false, false},
	{"credentials", "Credential", "credentials", true, false},
	{"kqlScripts", "KqlScript", "kqlScripts", false, true},
};

static size_t type_index(const char *coll)
{
	for (size_t i = 0; i < sizeof(artifact_types) / sizeof(artifact_types[0]); i++)
		if (!strcasecmp(artifact_types[i].coll, coll))
			return i;
	return 0;
}

static void not_found(emu_server *s, emu_resp *r, const char *ws, const char *coll,
		      const char *name)
{
	json_t *w = emu_arm_find_named(s, WORKSPACES, ws);
	const char *id = json_string_value(json_object_get(w, "id"));
	char sub[64] = "", rg[128] = "";
	if (id)
		sscanf(id, "/subscriptions/%63[^/]/resourceGroups/%127[^/]", sub, rg);
	const char *type = artifact_types[type_index(coll)].type;
	if (!strcasecmp(coll, "sqlScripts")) {
		/* SQL scripts live in another store and answer its document
		 * error, with the artifact's id as target (recordings). */
		char *target = az_xasprintf("%s/sqlscripts/%s", id ? id : "", name);
		emu_resp_json(r, 404,
			      json_pack("{s:s,s:s,s:s,s:n,s:n}", "code", "NotFound", "message",
					"The document could not be retrieved because it does not "
					"exist.",
					"target", target, "details", "error"));
		free(target);
		return;
	}
	char *code = az_xasprintf("%sNotFound", type);
	emu_resp_flat_error(r, 404, code,
			    "The %s %s was not found in (subscription=%s resourceGroup=%s "
			    "workspace=%s)",
			    type, name, sub, rg, ws);
	free(code);
}

static const char *collection_of(const char *s)
{
	for (size_t i = 0; i < sizeof(collections) / sizeof(collections[0]); i++)
		if (!strcasecmp(collections[i], s))
			return collections[i];
	return NULL;
}

/* The ARM workspace named `ws`, or NULL (call with the lock held). */
static json_t *find_workspace(emu_server *s, const char *ws)
{
	return emu_arm_find_named(s, WORKSPACES, ws);
}

static json_t *find_workspace(emu_server *s, const char *ws);

/* A new workspace lists two linked services Synapse makes itself,
 * {ws}-WorkspaceDefaultSqlServer and {ws}-WorkspaceDefaultStorage
 * (recordings), unless the control API turned them off. */
static void default_linked_services(emu_server *s, json_t *w, const char *ws)
{
	json_t *ws_res = find_workspace(s, ws);
	if (!ws_res || !s->cfg.default_linked_services)
		return;
	json_t *ls = json_object();
	json_object_set_new(w, "linkedservices", ls);
	const char *wid = json_string_value(json_object_get(ws_res, "id"));
	const char *acct = json_string_value(
		emu_json_path(ws_res, "properties.defaultDataLakeStorage.accountUrl"));
	const char *name = json_string_value(json_object_get(ws_res, "name"));
	char *sql_name = az_xasprintf("%s-WorkspaceDefaultSqlServer", name);
	char *st_name = az_xasprintf("%s-WorkspaceDefaultStorage", name);
	char *conn = az_xasprintf("Data Source=tcp:%s.sql.azuresynapse.net,1433;Initial "
				  "Catalog=@{linkedService().DBName}",
				  name);
	const char *names[2] = {sql_name, st_name};
	json_t *props[2] = {
		json_pack("{s:{s:s},s:{s:{s:s}},s:s,s:{s:s,s:s}}", "typeProperties",
			  "connectionString", conn, "parameters", "DBName", "type", "String", "type",
			  "AzureSqlDW", "connectVia", "referenceName", "AutoResolveIntegrationRuntime",
			  "type", "IntegrationRuntimeReference"),
		json_pack("{s:{s:s},s:s,s:{s:s,s:s}}", "typeProperties", "url", acct ? acct : "",
			  "type", "AzureBlobFS", "connectVia", "referenceName",
			  "AutoResolveIntegrationRuntime", "type", "IntegrationRuntimeReference"),
	};
	for (int i = 0; i < 2; i++) {
		char *id = az_xasprintf("%s/linkedservices/%s", wid, names[i]);
		char *etag = emu_uuid(s);
		char *lname = emu_lower(names[i]);
		json_object_set_new(ls, lname,
				    json_pack("{s:s,s:s,s:s,s:s,s:o}", "id", id, "name", names[i],
					      "type", "Microsoft.Synapse/workspaces/linkedservices",
					      "etag", etag, "properties", props[i]));
		free(lname);
		free(etag);
		free(id);
	}
	free(conn);
	free(sql_name);
	free(st_name);
}

static json_t *collection_store(emu_server *s, const char *ws, const char *coll)
{
	char *lws = emu_lower(ws), *lcoll = emu_lower(coll);
	json_t *all = emu_store_obj(s, "synapse");
	json_t *w = json_object_get(all, lws);
	if (!w) {
		w = json_object();
		json_object_set_new(all, lws, w);
		default_linked_services(s, w, ws);
	}
	json_t *c = json_object_get(w, lcoll);
	if (!c) {
		c = json_object();
		json_object_set_new(w, lcoll, c);
	}
	free(lws);
	free(lcoll);
	return c;
}

static json_t *make_artifact(emu_server *s, json_t *ws_res, const char *coll, const char *name,
			     json_t *body, json_t *old)
{
	/* Only properties are kept: fields sent beside them are dropped
	 * (recordings: a pipeline PUT with top-level activities). */
	json_t *a = json_object();
	json_object_set_new(a, "properties", json_deep_copy(json_object_get(body, "properties")));
	/* The collection in lower case, as the service writes it in an
	 * artifact's id and type (recordings: ".../sqlscripts/q1"). */
	bool bare = artifact_types[type_index(coll)].bare;
	char *lcoll = bare ? az_xstrdup(coll) : emu_lower(coll);
	char *id = az_xasprintf("%s/%s/%s", json_string_value(json_object_get(ws_res, "id")),
				lcoll, name);
	char *type = az_xasprintf("Microsoft.Synapse/workspaces/%s", lcoll);
	free(lcoll);
	json_object_set_new(a, "id", json_string(id));
	json_object_set_new(a, "name", json_string(name));
	json_object_set_new(a, "type", json_string(type));
	char *etag = bare ? NULL : emu_uuid(s);
	if (etag)
		json_object_set_new(a, "etag", json_string(etag));
	if (!json_is_object(json_object_get(a, "properties")))
		json_object_set_new(a, "properties", json_object());
	if (emu_mask_secrets(a, "**********", false) && !strcmp(coll, "linkedservices")) {
		json_t *tp = emu_json_path(a, "properties.typeProperties");
		if (json_is_object(tp))
			json_object_set_new(tp, "encryptedCredential",
					    json_string("ew0KICAiVmVyc2lvbiI6ICIyMDE3LTExLTMwIiwNCiAg"
							"IlByb3RlY3Rpb25Nb2RlIjogIktleSIsDQp9"));
	}
	if (!strcmp(coll, "triggers")) {
		json_t *state = emu_json_path(old, "properties.runtimeState");
		emu_json_set_path(a, "properties.runtimeState",
				  state ? json_incref(state) : json_string("Stopped"));
	}
	free(id);
	free(type);
	free(etag);
	return a;
}

/* If-Match `im` against the artifact as it is now (RFC 9110): "*" matches
 * any existing one, an etag only the current version. */
static bool if_match_holds(const char *im, const json_t *cur)
{
	const char *etag = json_string_value(json_object_get(cur, "etag"));
	return cur && (!strcmp(im, "*") || (etag && !strcmp(im, etag)));
}

#define STALE_ETAG "The etag does not match the current artifact."

/* Synapse's artifact name rule, ^[A-Za-z0-9_][^<>*#.%&:\\+?/]*$ (the
 * artifact specs' pattern), checked by hand: compiling the pattern on
 * every PUT was a thirtieth of the emulator's CPU in a large apply. */
static bool name_valid(const char *name)
{
	size_t n = strlen(name);
	if (n < 1 || n > 260)
		return false;
	char first = name[0];
	if (!((first >= 'A' && first <= 'Z') || (first >= 'a' && first <= 'z') ||
	      (first >= '0' && first <= '9') || first == '_'))
		return false;
	return strcspn(name + 1, "<>*#.%&:\\+?/") == n - 1;
}

static void start_op(emu_server *s, const emu_req *q, emu_resp *r, const char *ws,
		     const char *coll, const char *name, const char *action, json_t *artifact,
		     const emu_fault *fault)
{
	char *opid = emu_uuid(s), *record = emu_uuid(s);
	json_t *op = json_pack("{s:s,s:s,s:s,s:s,s:i,s:s}", "ws", ws, "coll", coll, "name", name,
			       "action", action, "pollsLeft", s->cfg.lro_polls, "status",
			       "InProgress");
	if (artifact)
		json_object_set(op, "artifact", artifact);
	const char *im = emu_req_header(q, "If-Match");
	if (im && artifact)
		json_object_set_new(op, "ifMatch", json_string(im));
	if (fault && fault->lro_result) {
		json_object_set_new(op, "result", json_string(fault->lro_result));
		if (fault->lro_error)
			json_object_set(op, "error", fault->lro_error);
	}
	json_object_set_new(emu_store_obj(s, "synapseOps"), opid, op);
	const char *route = !strcmp(coll, "notebooks") ? "notebookOperationResults"
						       : "operationResults";
	emu_resp_header(r, "Location", "https://%s:%d/%s/%s?api-version=%s", q->host, s->cfg.port,
			route, opid, EMU_SYNAPSE_API);
	if (s->cfg.retry_after_s >= 0)
		emu_resp_header(r, "Retry-After", "%d", s->cfg.retry_after_s);
	size_t ti = type_index(coll);
	if (artifact_types[ti].bare) {
		emu_resp_empty(r, 202);
		free(opid);
		free(record);
		return;
	}
	/* The operation record as recorded: id (with the service's casing of
	 * the collection), a numeric recordId, state, created, changed, type,
	 * name, operationId, and for a write the artifactId; a delete's record
	 * has recordId 0 and zero dates. */
	bool del = !strcmp(action, "delete");
	json_t *ws_res = find_workspace(s, ws);
	char *id = az_xasprintf("%s/%s/%s", json_string_value(json_object_get(ws_res, "id")),
				artifact_types[ti].id_coll, name);
	char ts[40];
	emu_iso8601(ts, sizeof(ts), emu_now_ms());
	json_t *rec = json_pack("{s:s,s:I,s:s,s:s,s:s,s:s,s:s,s:s}", "id", id, "recordId",
				del ? (json_int_t)0 : (json_int_t)(s->rng % 9000000 + 1000000),
				"state", del ? "Deleting" : "Creating", "created",
				del ? "0001-01-01T00:00:00" : ts, "changed",
				del ? "0001-01-01T00:00:00" : ts, "type", artifact_types[ti].type,
				"name", name, "operationId", opid);
	if (!del) {
		char *upper = emu_lower(record);
		for (char *p = upper; *p; p++)
			if (*p >= 'a' && *p <= 'z')
				*p = (char)(*p - 'a' + 'A');
		json_object_set_new(rec, "artifactId", json_string(upper));
		free(upper);
	}
	emu_resp_json(r, 202, rec);
	free(id);
	free(opid);
	free(record);
}

static void poll_op(emu_server *s, emu_resp *r, const char *opid)
{
	json_t *op = json_object_get(emu_store_obj(s, "synapseOps"), opid);
	if (!op) {
		emu_resp_flat_error(r, 404, "OperationNotFound", "Operation '%s' not found.", opid);
		return;
	}
	if (!strcmp(json_string_value(json_object_get(op, "status")), "InProgress")) {
		json_int_t left = json_integer_value(json_object_get(op, "pollsLeft")) - 1;
		json_object_set_new(op, "pollsLeft", json_integer(left));
		if (left > 0) {
			if (s->cfg.retry_after_s >= 0)
				emu_resp_header(r, "Retry-After", "%d", s->cfg.retry_after_s);
			emu_resp_empty(r, 202);
			return;
		}
		const char *result = json_string_value(json_object_get(op, "result"));
		json_t *c = collection_store(s, json_string_value(json_object_get(op, "ws")),
					     json_string_value(json_object_get(op, "coll")));
		char *ln = emu_lower(json_string_value(json_object_get(op, "name")));
		const char *im = json_string_value(json_object_get(op, "ifMatch"));
		if (!result && im && !if_match_holds(im, json_object_get(c, ln))) {
			/* Another write landed since this one was accepted. */
			result = "Failed";
			json_object_set_new(op, "error", json_pack("{s:s,s:s}", "code",
								   "PreconditionFailed",
								   "message", STALE_ETAG));
			json_object_set_new(op, "httpStatus", json_integer(412));
		}
		json_object_set_new(op, "status", json_string(result ? result : "Succeeded"));
		if (!result) {
			if (!strcmp(json_string_value(json_object_get(op, "action")), "delete"))
				json_object_del(c, ln);
			else
				json_object_set(c, ln, json_object_get(op, "artifact"));
		}
		free(ln);
	}
	const char *status = json_string_value(json_object_get(op, "status"));
	if (strcmp(status, "Succeeded")) {
		json_t *err = json_object_get(op, "error");
		const char *code = json_string_value(json_object_get(err, "code"));
		const char *msg = json_string_value(json_object_get(err, "message"));
		json_t *http = json_object_get(op, "httpStatus");
		emu_resp_flat_error(r, http ? (int)json_integer_value(http) : 400,
				    code ? code : "OperationFailed", "%s",
				    msg ? msg : "The operation did not complete.");
	} else if (!strcmp(json_string_value(json_object_get(op, "action")), "delete")) {
		emu_resp_empty(r, 200);
	} else {
		emu_resp_json(r, 200, json_incref(json_object_get(op, "artifact")));
	}
}

static bool trigger_started(json_t *t)
{
	const char *state = json_string_value(emu_json_path(t, "properties.runtimeState"));
	return state && !strcmp(state, "Started");
}

static void artifact(emu_server *s, const emu_req *q, emu_resp *r, const char *ws,
		     json_t *ws_res, const char *coll, const char *name, const emu_fault *fault)
{
	json_t *c = collection_store(s, ws, coll);
	char *ln = emu_lower(name);
	json_t *cur = json_object_get(c, ln);
	const char *etag = json_string_value(json_object_get(cur, "etag"));
	const char *im = emu_req_header(q, "If-Match");
	const char *inm = emu_req_header(q, "If-None-Match");
	if (!strcmp(q->method, "GET")) {
		if (!cur)
			not_found(s, r, ws, coll, name);
		else if (inm && (!strcmp(inm, "*") || (etag && !strcmp(inm, etag))))
			emu_resp_empty(r, 304);
		else
			emu_resp_json(r, 200, json_incref(cur));
	} else if (!strcmp(q->method, "PUT")) {
		if (!name_valid(name)) {
			emu_resp_flat_error(r, 400, "InvalidArtifactName",
					    "The artifact name '%s' is not valid.", name);
		} else if (!json_is_object(q->json) ||
			   !json_is_object(json_object_get(q->json, "properties"))) {
			emu_resp_flat_error(r, 400, "BadRequest",
					    "The request body must be an object with properties.");
		} else if (im && !if_match_holds(im, cur)) {
			emu_resp_flat_error(r, 412, "PreconditionFailed", STALE_ETAG);
		} else if (!strcmp(coll, "triggers") && trigger_started(cur)) {
			emu_resp_flat_error(r, 400, "TriggerEnabledCannotUpdate",
					    "Cannot update enabled Trigger; the trigger needs to "
					    "be disabled first.");
		} else {
			json_t *a = make_artifact(s, ws_res, coll, name, q->json, cur);
			if (artifact_types[type_index(coll)].put_answers_at_once) {
				json_object_set(c, ln, a);
				emu_resp_json(r, 200, json_incref(a));
			} else {
				start_op(s, q, r, ws, coll, name, "put", a, fault);
			}
			json_decref(a);
		}
	} else if (!strcmp(q->method, "DELETE")) {
		if (!cur)
			emu_resp_empty(r, 204);
		else if (!strcmp(coll, "triggers") && trigger_started(cur))
			emu_resp_flat_error(r, 400, "TriggerEnabledCannotUpdate",
					    "Cannot delete enabled Trigger; the trigger needs to "
					    "be disabled first.");
		else
			start_op(s, q, r, ws, coll, name, "delete", NULL, fault);
	} else {
		emu_resp_flat_error(r, 405, "MethodNotAllowed", "Method not allowed.");
	}
	free(ln);
}

/* ---- managed private endpoints -------------------------------------------- */

/*
 * managedPrivateEndpoints.json 2020-12-01: /managedVirtualNetworks/{vnet}/
 * managedPrivateEndpoints[/{name}], served only in a workspace made with a
 * managed virtual network (its ARM body's managedVirtualNetwork, which
 * Synapse names "default"); elsewhere there is no such network (404). The
 * PUT answers 200 with the endpoint at once, the spec's one code: being
 * provisioned, its connection Pending (CreateManagedPrivateEndpoint.json).
 * The next read finds it provisioned (GetManagedPrivateEndpoint.json)
 * while the connection still waits for the owner of the target, whom the
 * control API plays (emu_synapse_set_connection). The target and its group
 * are what the endpoint is: a PUT changing either is refused. The DELETE
 * answers 202, or 204 when the endpoint is already gone, the spec's two
 * codes; nothing is left to follow.
 */
#define ENDPOINTS "managedPrivateEndpoints"
#define ENDPOINT_TYPE "Microsoft.Synapse/workspaces/managedVirtualNetworks/managedPrivateEndpoints"

static bool has_managed_vnet(json_t *ws_res, const char *vnet)
{
	const char *mine = json_string_value(emu_json_path(ws_res, "properties.managedVirtualNetwork"));
	return mine && vnet && !strcasecmp(mine, vnet);
}

/* The host names the endpoint answers for ("[hostname].[domain].[tld]" in
 * ListManagedPrivateEndpoints.json): a storage account's for the group,
 * none known for other targets. */
static json_t *endpoint_fqdns(const char *target, const char *group)
{
	const char *name = strrchr(target, '/');
	char *lower = emu_lower(target);
	json_t *out = json_array();
	if (strstr(lower, "/providers/microsoft.storage/") && name && name[1])
		json_array_append_new(out, json_sprintf("%s.%s.core.windows.net", name + 1, group));
	free(lower);
	return out;
}

static void endpoint_not_found(emu_resp *r, const char *name)
{
	emu_resp_flat_error(r, 404, "ManagedPrivateEndpointNotFound",
			    "The managed private endpoint %s was not found.", name);
}

/* A read finds a new endpoint provisioned. */
static json_t *endpoint_read(json_t *e)
{
	json_t *props = json_object_get(e, "properties");
	const char *st = json_string_value(json_object_get(props, "provisioningState"));
	if (st && !strcmp(st, "Provisioning"))
		json_object_set_new(props, "provisioningState", json_string("Succeeded"));
	return json_deep_copy(e);
}

static void managed_private_endpoint(emu_server *s, const emu_req *q, emu_resp *r,
				     const char *ws, json_t *ws_res, const char *vnet,
				     const char *name)
{
	if (!has_managed_vnet(ws_res, vnet)) {
		emu_resp_flat_error(r, 404, "ManagedVirtualNetworkNotFound",
				    "The workspace %s has no managed virtual network %s.", ws, vnet);
		return;
	}
	json_t *c = collection_store(s, ws, ENDPOINTS);
	if (!name) {
		if (strcmp(q->method, "GET")) {
			emu_resp_flat_error(r, 405, "MethodNotAllowed", "Method not allowed.");
			return;
		}
		json_t *items = json_array();
		const char *k;
		json_t *v;
		json_object_foreach(c, k, v)
			json_array_append_new(items, endpoint_read(v));
		emu_resp_page(s, q, r, items, "continuationToken");
		return;
	}
	char *ln = emu_lower(name);
	json_t *cur = json_object_get(c, ln);
	if (!strcmp(q->method, "GET")) {
		if (cur)
			emu_resp_json(r, 200, endpoint_read(cur));
		else
			endpoint_not_found(r, name);
	} else if (!strcmp(q->method, "DELETE")) {
		emu_resp_empty(r, cur ? 202 : 204);
		json_object_del(c, ln);
	} else if (strcmp(q->method, "PUT")) {
		emu_resp_flat_error(r, 405, "MethodNotAllowed", "Method not allowed.");
	} else {
		json_t *props = json_object_get(q->json, "properties");
		const char *target = json_string_value(json_object_get(props, "privateLinkResourceId"));
		const char *group = json_string_value(json_object_get(props, "groupId"));
		const char *had_target = json_string_value(
			emu_json_path(cur, "properties.privateLinkResourceId"));
		const char *had_group = json_string_value(emu_json_path(cur, "properties.groupId"));
		if (!name_valid(name)) {
			emu_resp_flat_error(r, 400, "InvalidArtifactName",
					    "The managed private endpoint name '%s' is not valid.", name);
		} else if (!target || !group) {
			emu_resp_flat_error(r, 400, "BadRequest",
					    "privateLinkResourceId and groupId are required.");
		} else if (cur && (strcasecmp(target, had_target) || strcasecmp(group, had_group))) {
			emu_resp_flat_error(r, 400, "BadRequest",
					    "The privateLinkResourceId and groupId of the managed "
					    "private endpoint %s cannot be changed.",
					    name);
		} else if (cur) {
			emu_resp_json(r, 200, endpoint_read(cur));
		} else {
			char *id = az_xasprintf("%s/managedVirtualNetworks/%s/%s/%s",
						json_string_value(json_object_get(ws_res, "id")), vnet,
						ENDPOINTS, name);
			/* isCompliant is in the spec, in no example: not made up. */
			json_t *e = json_pack(
				"{s:s,s:s,s:s,s:{s:s,s:s,s:s,s:{s:s,s:s,s:s},s:o,s:b}}", "id", id,
				"name", name, "type", ENDPOINT_TYPE, "properties",
				"privateLinkResourceId", target, "groupId", group, "provisioningState",
				"Provisioning", "connectionState", "status", "Pending", "description", "",
				"actionsRequired", "", "fqdns", endpoint_fqdns(target, group),
				"isReserved", 0);
			json_object_set(c, ln, e);
			emu_resp_json(r, 200, e);
			free(id);
		}
	}
	free(ln);
}

int emu_synapse_set_connection(emu_server *s, const char *ws, const char *name,
			       const char *status, const char *description)
{
	pthread_mutex_lock(&s->lock);
	char *ln = emu_lower(name);
	json_t *e = json_object_get(collection_store(s, ws, ENDPOINTS), ln);
	free(ln);
	if (e) {
		emu_json_set_path(e, "properties.connectionState.status", json_string(status));
		emu_json_set_path(e, "properties.connectionState.description",
				  json_string(description ? description : ""));
	}
	pthread_mutex_unlock(&s->lock);
	return e ? 0 : -1;
}

static void trigger_action(emu_server *s, emu_resp *r, const char *ws, const char *name,
			   const char *action)
{
	json_t *c = collection_store(s, ws, "triggers");
	char *ln = emu_lower(name);
	json_t *cur = json_object_get(c, ln);
	free(ln);
	if (!cur) {
		not_found(s, r, ws, "triggers", name);
		return;
	}
	emu_json_set_path(cur, "properties.runtimeState",
			  json_string(!strcmp(action, "start") ? "Started" : "Stopped"));
	emu_resp_empty(r, 200);
}

static void rbac_error(emu_resp *r, int status, const char *code, const char *msg)
{
	emu_resp_json(r, status, json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", msg));
}

static void role_assignments(emu_server *s, const emu_req *q, emu_resp *r, const char *ws,
			     const char *id)
{
	json_t *c = collection_store(s, ws, "roleAssignments");
	if (id && !strcmp(q->method, "PUT")) {
		const char *role = json_string_value(json_object_get(q->json, "roleId"));
		const char *pid = json_string_value(json_object_get(q->json, "principalId"));
		const char *scope = json_string_value(json_object_get(q->json, "scope"));
		const char *ptype = json_string_value(json_object_get(q->json, "principalType"));
		bool known = false;
		for (size_t i = 0; role && i < NROLES; i++)
			known |= !strcasecmp(synapse_roles[i].id, role);
		if (!known || !pid || !scope) {
			rbac_error(r, 400, "InvalidRequest",
				   "roleId (a Synapse role), principalId and scope are required.");
			return;
		}
		const char *k;
		json_t *v;
		json_object_foreach(c, k, v) {
			if (strcasecmp(k, id) &&
			    !strcasecmp(json_string_value(json_object_get(v, "roleDefinitionId")),
					role) &&
			    !strcasecmp(json_string_value(json_object_get(v, "principalId")), pid) &&
			    !strcasecmp(json_string_value(json_object_get(v, "scope")), scope)) {
				rbac_error(r, 409, "RoleAssignmentAlreadyExists",
					   "A role assignment with the same role, principal and "
					   "scope already exists.");
				return;
			}
		}
		json_t *a = json_pack("{s:s,s:s,s:s,s:s,s:s}", "id", id, "roleDefinitionId", role,
				      "principalId", pid, "scope", scope, "principalType",
				      ptype ? ptype : "User");
		if (!json_object_get(c, id))
			json_object_set_new(collection_store(s, ws, "roleAssignmentsSince"), id,
					    json_integer(q->now_ms));
		json_object_set(c, id, a);
		emu_resp_json(r, 200, a);
	} else if (id && !strcmp(q->method, "GET")) {
		json_t *a = json_object_get(c, id);
		if (a)
			emu_resp_json(r, 200, json_incref(a));
		else
			rbac_error(r, 404, "RoleAssignmentNotFound",
				   "The role assignment was not found.");
	} else if (id && !strcmp(q->method, "DELETE")) {
		bool had = json_object_get(c, id) != NULL;
		json_object_del(c, id);
		emu_resp_empty(r, had ? 200 : 204);
	} else if (!id && !strcmp(q->method, "GET")) {
		const char *role = emu_req_query(q, "roleId");
		const char *pid = emu_req_query(q, "principalId");
		const char *scope = emu_req_query(q, "scope");
		const char *cont = emu_req_header(q, "x-ms-continuation");
		size_t from = cont ? strtoul(cont, NULL, 10) : 0, page = (size_t)s->cfg.page_size;
		json_t *matches = json_array();
		const char *k;
		json_t *v;
		json_object_foreach(c, k, v) {
			if (role && strcasecmp(role, json_string_value(
							     json_object_get(v, "roleDefinitionId"))))
				continue;
			if (pid &&
			    strcasecmp(pid, json_string_value(json_object_get(v, "principalId"))))
				continue;
			if (scope && strcasecmp(scope, json_string_value(json_object_get(v, "scope"))))
				continue;
			json_array_append(matches, v);
		}
		json_t *value = json_array();
		size_t total = json_array_size(matches);
		for (size_t i = from; i < total && i < from + page; i++)
			json_array_append(value, json_array_get(matches, i));
		if (from + page < total)
			emu_resp_header(r, "x-ms-continuation", "%zu", from + page);
		json_decref(matches);
		emu_resp_json(r, 200,
			      json_pack("{s:I,s:o}", "count", (json_int_t)json_array_size(value),
					"value", value));
	} else {
		rbac_error(r, 405, "MethodNotAllowed", "Method not allowed.");
	}
}

static json_t *role_definition(size_t i)
{
	return json_pack("{s:s,s:s,s:b,s:s,s:s,s:[s],s:[{s:[],s:[],s:[s],s:[]}]}", "id",
			 synapse_roles[i].id, "name", synapse_roles[i].name, "isBuiltIn", 1,
			 "description", synapse_roles[i].name, "availabilityStatus", "Available",
			 "scopes", "workspaces/{workspaceName}", "permissions", "actions",
			 "notActions", "dataActions", "Microsoft.Synapse/workspaces/read",
			 "notDataActions");
}

static void role_definitions(const emu_req *q, emu_resp *r, const char *id)
{
	if (strcmp(q->method, "GET")) {
		rbac_error(r, 405, "MethodNotAllowed", "Method not allowed.");
		return;
	}
	if (id) {
		for (size_t i = 0; i < NROLES; i++) {
			if (!strcasecmp(synapse_roles[i].id, id)) {
				emu_resp_json(r, 200, role_definition(i));
				return;
			}
		}
		rbac_error(r, 404, "RoleDefinitionNotFound", "The role definition was not found.");
		return;
	}
	json_t *all = json_array();
	for (size_t i = 0; i < NROLES; i++)
		json_array_append_new(all, role_definition(i));
	emu_resp_json(r, 200, all);
}

/* ---- pipeline runs --------------------------------------------------------- */

/* createRun records a run (pipelines run nothing here: a run is Queued,
 * then InProgress and Succeeded as it is read, or Cancelled when asked),
 * so runs can be read, cancelled and queried as the recordings show. */
static void run_create(emu_server *s, const char *ws, json_t *ws_res, const char *pipeline,
		       const char *run)
{
	char ts[40];
	emu_iso8601(ts, sizeof(ts), emu_now_ms());
	char *id = az_xasprintf("%s/pipelineruns/%s", json_string_value(json_object_get(ws_res, "id")),
				run);
	json_object_set_new(collection_store(s, ws, "pipelineRuns"), run,
			    json_pack("{s:s,s:s,s:n,s:s,s:s,s:{},s:{s:s,s:s,s:s},s:s,s:s,s:n,s:s,"
				      "s:s,s:n,s:s,s:[],s:{},s:b}",
				      "id", id, "runId", run, "debugRunId", "runGroupId", run,
				      "pipelineName", pipeline, "parameters", "invokedBy", "id", run,
				      "name", "Manual", "invokedByType", "Manual", "runStart", ts,
				      "runEnd", ts, "durationInMs", "status", "InProgress", "message",
				      "", "output", "lastUpdated", ts, "annotations", "runDimension",
				      "isLatest", 1));
	free(id);
}

static void run_route(emu_server *s, const emu_req *q, emu_resp *r, const char *ws,
		      const char *run, const char *action, bool extra)
{
	json_t *rec = json_object_get(collection_store(s, ws, "pipelineRuns"), run);
	if (extra || !rec) {
		emu_resp_flat_error(r, 404, "PipelineRunNotFound", "The pipeline run %s was not found.",
				    run);
	} else if (!action && !strcmp(q->method, "GET")) {
		emu_resp_json(r, 200, json_incref(rec));
	} else if (action && !strcasecmp(action, "cancel") && !strcmp(q->method, "POST")) {
		char ts[40];
		emu_iso8601(ts, sizeof(ts), emu_now_ms());
		json_object_set_new(rec, "status", json_string("Cancelled"));
		json_object_set_new(rec, "runEnd", json_string(ts));
		json_object_set_new(rec, "lastUpdated", json_string(ts));
		emu_resp_empty(r, 200);
	} else {
		emu_resp_flat_error(r, 405, "MethodNotAllowed", "Method not allowed.");
	}
}

/* queryPipelineRuns answers every recorded run; queryTriggerRuns none
 * (triggers fire nothing here). Filters and paging are not modelled. */
static void run_query(emu_server *s, emu_resp *r, const char *ws, bool pipelines)
{
	json_t *value = json_array();
	const char *k;
	json_t *v;
	if (pipelines)
		json_object_foreach(collection_store(s, ws, "pipelineRuns"), k, v)
			json_array_append(value, v);
	emu_resp_json(r, 200, json_pack("{s:o}", "value", value));
}

/* ---- who may reach the data plane ----------------------------------------- */

#define ROLE_ADMIN "6e4bf58a-b8e1-4cc3-bbf9-d73143322b78"
#define ROLE_CONTRIBUTOR "7572bffe-f453-4b66-912a-46cc5ef38fda"
#define ROLE_PUBLISHER "05930f57-09a3-4c0d-9fa9-6d1eb91c178b"
#define ROLE_LINKED_DATA "dd665582-e433-40ca-b183-1b1b33e73375"

static bool ipv4(const char *text, uint32_t *out)
{
	struct in_addr a;
	if (!text || inet_pton(AF_INET, text, &a) != 1)
		return false;
	*out = ntohl(a.s_addr);
	return true;
}

/*
 * Whether a firewall rule of the workspace allows `ip`. Azure's data plane
 * answers 403 ClientIpAddressNotAuthorized ("Client Ip address : x.x.x.x")
 * to an address no rule covers while public network access is on (Azure
 * CLI and SDK issue reports; the recorded CLI sessions create an allowAll
 * rule before their first data-plane call). A rule counts once its
 * operation has ended, which it does by itself if nobody polls it. AllowAllWindowsAzureIps (0.0.0.0) admits Azure's
 * own addresses, which a client here never has.
 */
static bool firewall_allows(emu_server *s, json_t *ws_res, const char *ip)
{
	uint32_t addr, lo, hi;
	if (!ipv4(ip, &addr))
		return false;
	char *lid = emu_lower(json_string_value(json_object_get(ws_res, "id")));
	char *coll = az_xasprintf("%s/firewallrules", lid);
	json_t *arm = emu_store_obj(s, "arm"), *meta = emu_store_obj(s, "meta");
	bool allowed = false;
	const char *key;
	json_t *v;
	/* Asked on every data-plane request: direct lookups, no path strings. */
	json_object_foreach(emu_arm_collection(s, coll), key, v) {
		json_t *rule = json_object_get(arm, key);
		if (!rule)
			continue;
		json_t *m = json_object_get(meta, key);
		if (json_object_get(m, "op")) {
			emu_arm_end_unwatched_op(s, key);
			m = json_object_get(meta, key);
		}
		json_t *props = json_object_get(rule, "properties");
		const char *state = json_string_value(json_object_get(props, "provisioningState"));
		if (json_is_true(json_object_get(m, "hidden")) || json_object_get(m, "op") ||
		    (state && strcmp(state, "Succeeded")))
			continue;
		if (ipv4(json_string_value(json_object_get(props, "startIpAddress")), &lo) &&
		    ipv4(json_string_value(json_object_get(props, "endIpAddress")), &hi) &&
		    lo <= addr && addr <= hi) {
			allowed = true;
			break;
		}
	}
	free(coll);
	free(lid);
	return allowed;
}

/* What a request needs of Synapse RBAC: any role (reads, polls), one that
 * publishes artifacts (writes, runs, trigger start and stop), or Synapse
 * Administrator (granting roles). */
typedef enum need { NEED_ANY, NEED_PUBLISH, NEED_ADMIN } need;

static need request_needs(const emu_req *q, const char *first)
{
	bool write = strcmp(q->method, "GET") && strcmp(q->method, "HEAD");
	if (!write || !first || !strcasecmp(first, "operationResults") ||
	    !strcasecmp(first, "notebookOperationResults") || !strcasecmp(first, "roleDefinitions") ||
	    !strcasecmp(first, "queryPipelineRuns") || !strcasecmp(first, "queryTriggerRuns"))
		return NEED_ANY;
	return !strcasecmp(first, "roleAssignments") ? NEED_ADMIN : NEED_PUBLISH;
}

static bool role_grants(const char *role, need n, const char *first)
{
	if (!strcasecmp(role, ROLE_ADMIN) || n == NEED_ANY)
		return true;
	if (n == NEED_ADMIN)
		return false;
	return !strcasecmp(role, ROLE_CONTRIBUTOR) || !strcasecmp(role, ROLE_PUBLISHER) ||
	       (first && !strcasecmp(first, "linkedservices") && !strcasecmp(role, ROLE_LINKED_DATA));
}

/*
 * Whether `oid` holds a Synapse role on the workspace that allows the
 * request. The principal that created the workspace is its Synapse
 * Administrator (a workspace put straight into the store counts as created
 * by the built-in service principal). An assignment takes effect
 * rbacDelayMs after it was made: Azure propagates RBAC to its data planes
 * in minutes, not at once.
 */
static bool rbac_allows(emu_server *s, const emu_req *q, json_t *ws_res, const char *ws,
			const char *oid, need n, const char *first)
{
	char *lid = emu_lower(json_string_value(json_object_get(ws_res, "id")));
	json_t *m = json_object_get(emu_store_obj(s, "meta"), lid);
	free(lid);
	const char *creator = json_string_value(json_object_get(m, "synapseCreator"));
	if (!oid || !strcasecmp(oid, creator ? creator : s->sp_object_id))
		return true;
	json_t *since = collection_store(s, ws, "roleAssignmentsSince");
	const char *id;
	json_t *a;
	json_object_foreach(collection_store(s, ws, "roleAssignments"), id, a) {
		const char *pid = json_string_value(json_object_get(a, "principalId"));
		const char *role = json_string_value(json_object_get(a, "roleDefinitionId"));
		json_t *at = json_object_get(since, id);
		if (!pid || !role || strcasecmp(pid, oid) || !role_grants(role, n, first))
			continue;
		if (!at || q->now_ms >= json_integer_value(at) + s->cfg.rbac_delay_ms)
			return true;
	}
	return false;
}

/* The action a refused request needed, as Azure names it in the 403. */
static const char *needed_action(need n, const char *first)
{
	if (n == NEED_ADMIN)
		return "Microsoft.Synapse/workspaces/roleAssignments/write";
	if (n == NEED_ANY)
		return "Microsoft.Synapse/workspaces/read";
	if (first && !strcasecmp(first, "linkedservices"))
		return "Microsoft.Synapse/workspaces/linkedServices/write";
	if (first && !strcasecmp(first, "triggers"))
		return "Microsoft.Synapse/workspaces/triggers/write";
	if (first && !strcasecmp(first, "notebooks"))
		return "Microsoft.Synapse/workspaces/notebooks/write";
	if (first && !strcasecmp(first, "sqlScripts"))
		return "Microsoft.Synapse/workspaces/sqlScripts/write";
	if (first && !strcasecmp(first, "datasets"))
		return "Microsoft.Synapse/workspaces/datasets/write";
	if (first && !strcasecmp(first, "dataflows"))
		return "Microsoft.Synapse/workspaces/dataFlows/write";
	if (first && !strcasecmp(first, "sparkJobDefinitions"))
		return "Microsoft.Synapse/workspaces/sparkJobDefinitions/write";
	if (first && !strcasecmp(first, "credentials"))
		return "Microsoft.Synapse/workspaces/credentials/write";
	if (first && !strcasecmp(first, "kqlScripts"))
		return "Microsoft.Synapse/workspaces/kqlScripts/write";
	if (first && !strcasecmp(first, "managedVirtualNetworks"))
		return "Microsoft.Synapse/workspaces/managedPrivateEndpoints/write";
	return "Microsoft.Synapse/workspaces/pipelines/write";
}

/* Refuses the request as Azure would, or returns true. */
static bool may_enter(emu_server *s, const emu_req *q, emu_resp *r, json_t *ws_res,
		      const char *ws, json_t *claims, const char *first)
{
	const char *pna = json_string_value(emu_json_path(ws_res, "properties.publicNetworkAccess"));
	const char *ip = s->cfg.client_ip[0] ? s->cfg.client_ip : q->client_ip;
	if (s->cfg.synapse_firewall && !(pna && !strcasecmp(pna, "Disabled")) &&
	    !firewall_allows(s, ws_res, ip)) {
		emu_resp_flat_error(r, 403, "ClientIpAddressNotAuthorized", "Client Ip address : %s",
				    ip);
		return false;
	}
	need n = request_needs(q, first);
	const char *oid = json_string_value(json_object_get(claims, "oid"));
	if (s->cfg.synapse_rbac && !rbac_allows(s, q, ws_res, ws, oid, n, first)) {
		/* The access control API's shape, {"error":{...}} (SDK issue
		 * reports of live sessions). */
		char *msg = az_xasprintf(
			"The principal '%s' does not have the required Synapse RBAC permission to "
			"perform this action. Required permission: Action: %s, Scope: "
			"workspaces/%s/*.",
			oid ? oid : "", needed_action(n, first), ws);
		rbac_error(r, 403, "Unauthorized", msg);
		free(msg);
		return false;
	}
	return true;
}

void emu_synapse_handle(emu_server *s, const char *workspace, const emu_req *q, emu_resp *r,
			const emu_fault *fault)
{
	json_t *claims = NULL;
	if (!emu_auth_check(s, q, r, EMU_SYNAPSE_AUDIENCE, EMU_STYLE_SYNAPSE, &claims))
		return;
	if (!emu_req_query(q, "api-version")) {
		emu_resp_flat_error(r, 400, "MissingApiVersionParameter",
				    "The api-version query parameter is required.");
		json_decref(claims);
		return;
	}
	char *parts[6] = {NULL, NULL, NULL, NULL, NULL, NULL};
	size_t n = 0;
	const char *c = q->path;
	while (*c && n < 6) {
		while (*c == '/')
			c++;
		if (!*c)
			break;
		const char *e = strchr(c, '/');
		size_t len = e ? (size_t)(e - c) : strlen(c);
		parts[n++] = az_xstrndup(c, len);
		c += len;
	}
	bool extra = *c && strcmp(c, "/");
	pthread_mutex_lock(&s->lock);
	json_t *ws_res = find_workspace(s, workspace);
	const char *coll = n ? collection_of(parts[0]) : NULL;
	if (!ws_res) {
		emu_resp_flat_error(r, 404, "WorkspaceNotFound", "Workspace '%s' not found.",
				    workspace);
	} else if (!may_enter(s, q, r, ws_res, workspace, claims, n ? parts[0] : NULL)) {
		/* refused: the answer is written */
	} else if (extra || n == 0) {
		emu_resp_flat_error(r, 404, "NotFound", "No such route.");
	} else if (n == 2 && (!strcasecmp(parts[0], "operationResults") ||
			      !strcasecmp(parts[0], "notebookOperationResults"))) {
		poll_op(s, r, parts[1]);
	} else if (!strcasecmp(parts[0], "roleAssignments") && n <= 2) {
		role_assignments(s, q, r, workspace, n == 2 ? parts[1] : NULL);
	} else if (!strcasecmp(parts[0], "managedVirtualNetworks") && (n == 3 || n == 4) &&
		   !strcasecmp(parts[2], ENDPOINTS)) {
		managed_private_endpoint(s, q, r, workspace, ws_res, parts[1],
					 n == 4 ? parts[3] : NULL);
	} else if (!strcasecmp(parts[0], "roleDefinitions") && n <= 2) {
		role_definitions(q, r, n == 2 ? parts[1] : NULL);
	} else if (coll && n == 1 && !strcmp(q->method, "GET")) {
		json_t *items = json_array();
		const char *k;
		json_t *v;
		json_object_foreach(collection_store(s, workspace, coll), k, v)
			json_array_append(items, v);
		emu_resp_page(s, q, r, items, "continuationToken");
	} else if (coll && n == 2) {
		artifact(s, q, r, workspace, ws_res, coll, parts[1], fault);
	} else if (coll && n == 3 && !strcmp(coll, "triggers") && !strcmp(q->method, "POST") &&
		   (!strcmp(parts[2], "start") || !strcmp(parts[2], "stop"))) {
		trigger_action(s, r, workspace, parts[1], parts[2]);
	} else if (coll && n == 3 && !strcmp(coll, "pipelines") && !strcmp(q->method, "POST") &&
		   !strcmp(parts[2], "createRun")) {
		char *ln = emu_lower(parts[1]);
		if (!json_object_get(collection_store(s, workspace, "pipelines"), ln)) {
			not_found(s, r, workspace, "pipelines", parts[1]);
		} else {
			char *run = emu_uuid(s);
			run_create(s, workspace, ws_res, parts[1], run);
			emu_resp_json(r, 202, json_pack("{s:s}", "runId", run));
			free(run);
		}
		free(ln);
	} else if (n >= 2 && !strcasecmp(parts[0], "pipelineruns")) {
		run_route(s, q, r, workspace, parts[1], n == 3 ? parts[2] : NULL, n > 3);
	} else if (n == 1 && !strcmp(q->method, "POST") &&
		   (!strcasecmp(parts[0], "queryPipelineRuns") ||
		    !strcasecmp(parts[0], "queryTriggerRuns"))) {
		run_query(s, r, workspace, !strcasecmp(parts[0], "queryPipelineRuns"));
	} else if (n == 5 && coll && !strcmp(coll, "pipelines") && !strcmp(q->method, "POST") &&
		   !strcasecmp(parts[2], "pipelineruns") &&
		   !strcasecmp(parts[4], "queryActivityruns")) {
		emu_resp_json(r, 200, json_pack("{s:[]}", "value"));
	} else {
		emu_resp_flat_error(r, 404, "NotFound", "No such route.");
	}
	pthread_mutex_unlock(&s->lock);
	json_decref(claims);
	for (size_t i = 0; i < n; i++)
		free(parts[i]);
}

int emu_synapse_put_raw(emu_server *s, const char *ws, const char *coll, const char *name,
			json_t *body)
{
	pthread_mutex_lock(&s->lock);
	json_t *c = collection_store(s, ws, coll);
	char *ln = emu_lower(name);
	json_t *cur = json_object_get(c, ln);
	json_t *a = cur ? json_deep_copy(cur) : json_pack("{s:s,s:{}}", "name", name, "properties");
	/* Made out of band (Studio's live mode, another tool) it is an
	 * artifact like any other: lists give its id and type. */
	json_t *ws_res = find_workspace(s, ws);
	const char *canonical = collection_of(coll);
	if (!cur && ws_res && !strcasecmp(coll, ENDPOINTS)) {
		char *id = az_xasprintf("%s/managedVirtualNetworks/default/%s/%s",
					json_string_value(json_object_get(ws_res, "id")), ENDPOINTS,
					name);
		json_object_set_new(a, "id", json_string(id));
		json_object_set_new(a, "type", json_string(ENDPOINT_TYPE));
		free(id);
	} else if (!cur && ws_res && canonical) {
		char *id = az_xasprintf("%s/%s/%s", json_string_value(json_object_get(ws_res, "id")),
					canonical, name);
		char *type = az_xasprintf("Microsoft.Synapse/workspaces/%s", canonical);
		json_object_set_new(a, "id", json_string(id));
		json_object_set_new(a, "type", json_string(type));
		free(id);
		free(type);
	}
	emu_json_merge(a, body);
	char *etag = emu_uuid(s);
	json_object_set_new(a, "etag", json_string(etag));
	json_object_set_new(c, ln, a);
	pthread_mutex_unlock(&s->lock);
	free(etag);
	free(ln);
	return 0;
}

int emu_synapse_delete_raw(emu_server *s, const char *ws, const char *coll, const char *name)
{
	pthread_mutex_lock(&s->lock);
	json_t *c = collection_store(s, ws, coll);
	char *ln = emu_lower(name);
	int rc = json_object_del(c, ln);
	pthread_mutex_unlock(&s->lock);
	free(ln);
	return rc;
}
