/*
 * plane.c - from an id under a workspace's ARM id to the Synapse data plane,
 * and the requests the artifact and RBAC providers make alike (list, read,
 * delete).
 *
 * The workspace name is the segment after "/workspaces/" (ARM matches path
 * segment names case-insensitively, and ids come back in varied case); the
 * endpoint comes from the cloud ({workspace}.dev.azuresynapse.net, or the
 * emulator's {workspace}.dev.localhost).
 *
 * The data plane lets a request in only past two gates, and answers 403
 * otherwise: the workspace firewall (ClientIpAddressNotAuthorized, "Client
 * Ip address : x.x.x.x", when public network access is on and no rule
 * covers the caller's address) and Synapse RBAC (Unauthorized, "The
 * principal '...' does not have the required Synapse RBAC permission ...").
 * Both are the common first failure in CI, and both take minutes to open
 * after the fix: a new firewall rule or role assignment reaches the data
 * plane late (Synapse's known firewall delay; RBAC propagation). So every
 * data-plane request tries again on those two codes, the waits doubling
 * from 2 s, for AZAPPLY_ACCESS_WAIT_SECONDS (default 120), and a refusal
 * that outlasts it is reported with the fix: the SynapseFirewallRule to
 * add for that address, or the Synapse role to grant to that principal.
 */
#include "synapse/synapse.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define WS_SEGMENT "/workspaces/"

const char *const az_synapse_access_codes[] = {"ClientIpAddressNotAuthorized", "Unauthorized",
					       NULL};
/* The refusal a plan may expect (az_session_expect_refusal): the firewall's,
 * while the rule that admits this address is still to be created. A Synapse
 * role missing is never expected: it is waited for as ever. */
static const char *const firewall_refusal[] = {"ClientIpAddressNotAuthorized", NULL};

long az_synapse_access_wait_ms(void)
{
	const char *v = getenv("AZAPPLY_ACCESS_WAIT_SECONDS");
	char *end = NULL;
	long n = v && *v ? strtol(v, &end, 10) : -1;
	return (n >= 0 && end && !*end ? n : 120) * 1000;
}

/* The text after `key` in `s` up to one of `stops`, or NULL. */
static char *after(const char *s, const char *key, const char *stops)
{
	const char *at = s ? strstr(s, key) : NULL;
	if (!at)
		return NULL;
	at += strlen(key);
	size_t n = strcspn(at, stops);
	return n ? az_xstrndup(at, n) : NULL;
}

/* The Synapse role that lets azapply do what `action` names. */
static const char *role_for(const char *action, const az_kind *kind)
{
	if ((action && strstr(action, "roleAssignments")) ||
	    (kind && !strcmp(kind->name, "SynapseRoleAssignment")))
		return "Synapse Administrator";
	return "Synapse Contributor";
}

void az_synapse_explain(az_diags *d, const az_kind *kind, const char *id)
{
	char *ws = NULL;
	const char *rest;
	az_diags ignored = AZ_DIAGS_INIT;
	if (az_synapse_split(&ws, &rest, id, &ignored) != 0) {
		az_diags_clear(&ignored);
		return;
	}
	char *rg = after(id, "/resourceGroups/", "/");
	for (size_t i = 0; d && i < d->len; i++) {
		az_diag *x = &d->items[i];
		if (x->detail || x->http_status != 403 || !x->code)
			continue;
		if (!strcmp(x->code, "ClientIpAddressNotAuthorized")) {
			char *ip = after(x->summary, "Client Ip address : ", " \t,;");
			const char *addr = ip ? ip : "<this machine's address>";
			az_diag_set_detail(
				x,
				"workspace '%s' refuses this client's address %s: no firewall rule "
				"allows it. Declare the rule:\n"
				"  kind: SynapseFirewallRule\n"
				"  spec: {workspace: <its manifest name>, name: allow-ci, properties: "
				"{startIpAddress: %s, endIpAddress: %s}}\n"
				"azapply reads the workspace's data plane before it changes anything, "
				"so create the rule first, and azapply takes it over: `az synapse "
				"workspace firewall-rule create --workspace-name %s --resource-group %s "
				"--name allow-ci --start-ip-address %s --end-ip-address %s`. A new "
				"rule takes a few minutes to take effect; azapply waits up to "
				"AZAPPLY_ACCESS_WAIT_SECONDS (%ld s) for it",
				ws, addr, addr, addr, ws, rg ? rg : "<resource group>", addr, addr,
				az_synapse_access_wait_ms() / 1000);
			free(ip);
		} else if (!strcmp(x->code, "Unauthorized")) {
			char *who = after(x->summary, "The principal '", "'");
			char *action = after(x->summary, "Action: ", ", ");
			const char *role = role_for(action, kind);
			const char *principal = who ? who : "<the identity `azapply auth` shows>";
			az_diag_set_detail(
				x,
				"principal %s holds no Synapse role on workspace '%s' that allows "
				"this. A Synapse Administrator of the workspace grants it '%s': "
				"`az synapse role assignment create --workspace-name %s --role \"%s\" "
				"--assignee-object-id %s --assignee-principal-type ServicePrincipal`, "
				"or declares it as a SynapseRoleAssignment (role: %s, principalId: %s) "
				"in a stack they apply. A new assignment takes a few minutes to take "
				"effect; azapply waits up to AZAPPLY_ACCESS_WAIT_SECONDS (%ld s) for it",
				principal, ws, role, ws, role, principal, role, principal,
				az_synapse_access_wait_ms() / 1000);
			free(who);
			free(action);
		}
	}
	free(rg);
	free(ws);
}

/* ---------------------------------------------------------------------
 * Reads (one item or every page) that wait for access as writes do.
 */
typedef struct read_op {
	az_session *s;
	const az_kind *kind;
	char *id;
	char *url;
	bool list;
	int tries;
	int64_t started_ms;
	az_result_fn cb;
	void *ud;
} read_op;

static void read_send(void *ud);

static void read_answered(void *ud, int err, json_t *live, az_diags *d)
{
	read_op *op = ud;
	az_http_client *c = az_session_http(op->s);
	long delay = az_retry_delay_ms(2000, op->tries);
	bool expected = az_diags_have_code(d, firewall_refusal) &&
			az_session_refusal_expected(op->s, op->id);
	if (err && !expected && az_diags_have_code(d, az_synapse_access_codes) &&
	    az_http_now_ms(c) - op->started_ms + delay <= az_synapse_access_wait_ms()) {
		op->tries++;
		az_diags_clear(d);
		json_decref(live);
		az_http_timer(c, delay, read_send, op);
		return;
	}
	if (err)
		az_synapse_explain(d, op->kind, op->id);
	op->cb(op->ud, err, live, d);
	free(op->id);
	free(op->url);
	free(op);
}

static void read_send(void *ud)
{
	read_op *op = ud;
	if (op->list)
		az_session_list(op->s, op->url, AZ_SVC_SYNAPSE, read_answered, op);
	else
		az_session_get(op->s, op->url, AZ_SVC_SYNAPSE, read_answered, op);
}

static void read_start(az_session *s, const az_kind *kind, const char *id, const char *url,
		       bool list, az_result_fn cb, void *ud)
{
	read_op *op = az_xcalloc(1, sizeof(*op));
	*op = (read_op){s, kind, az_xstrdup(id), az_xstrdup(url), list, 0,
			az_http_now_ms(az_session_http(s)), cb, ud};
	read_send(op);
}

/* ---------------------------------------------------------------------
 * Writes: the session retries; the refusal that remains is explained.
 */
typedef struct explained {
	const az_kind *kind;
	char *id;
	az_result_fn cb;
	void *ud;
} explained;

static void explained_answer(void *ud, int err, json_t *live, az_diags *d)
{
	explained *e = ud;
	if (err)
		az_synapse_explain(d, e->kind, e->id);
	e->cb(e->ud, err, live, d);
	free(e->id);
	free(e);
}

void az_synapse_send(az_session *s, const az_kind *kind, const char *id, az_http_request *req,
		     az_send_options *o, const json_t *body, const char *etag, az_result_fn cb,
		     void *ud)
{
	explained *e = az_xmalloc(sizeof(*e));
	*e = (explained){kind, az_xstrdup(id), cb, ud};
	o->retry_codes = az_synapse_access_codes;
	o->retry_for_ms = az_synapse_access_wait_ms();
	o->retry_base_ms = 2000;
	if (body) {
		az_session_write(s, req->method, req->url, AZ_SVC_SYNAPSE, body, etag, o,
				 explained_answer, e);
		az_http_request_free(req);
	} else {
		az_session_send(s, req, o, explained_answer, e);
	}
}

int az_synapse_split(char **ws, const char **rest, const char *id, az_diags *d)
{
	size_t n = strlen(WS_SEGMENT);
	const char *at = NULL;
	for (const char *p = id; *p; p++) {
		if (strncasecmp(p, WS_SEGMENT, n) == 0) {
			at = p + n;
			break;
		}
	}
	size_t len = at ? strcspn(at, "/?") : 0;
	if (!len) {
		az_diag *diag = az_diag_add(d, AZ_SEV_ERROR, NULL, NULL,
					    "'%s' is not under a Synapse workspace", id);
		az_diag_set_detail(diag, "expected the workspace's ARM id followed by the "
					 "collection, e.g. .../workspaces/ws1/pipelines/p1");
		return AZ_EINVALID;
	}
	*ws = az_xstrndup(at, len);
	*rest = at + len;
	return 0;
}

char *az_synapse_url(az_session *s, const az_kind *kind, const char *id, const char *suffix,
		     az_result_fn cb, void *ud)
{
	az_diags d = AZ_DIAGS_INIT;
	char *ws = NULL;
	const char *rest = NULL;
	int error = az_synapse_split(&ws, &rest, id, &d);
	if (error) {
		az_session_fail(s, error, &d, cb, ud);
		return NULL;
	}
	char *endpoint = az_cloud_synapse_endpoint(az_session_cloud(s), ws);
	char *path = az_xasprintf("%s%s", rest, suffix ? suffix : "");
	const char *v = kind->api_version ? kind->api_version : AZ_SYNAPSE_API_VERSION;
	char *url = az_url_api(endpoint, path, v);
	free(path);
	free(endpoint);
	free(ws);
	return url;
}

/* A workspace makes two linked services of its own when it is created,
 * {ws}-WorkspaceDefaultSqlServer and {ws}-WorkspaceDefaultStorage (recorded
 * sessions). They belong to the workspace, go with it and cannot be removed
 * on their own, so they are not artifacts anyone manages: a list leaves them
 * out, and deleting a workspace is not refused because of them. */
static bool workspace_default(const json_t *item)
{
	static const char *const suffixes[] = {"-WorkspaceDefaultSqlServer",
					       "-WorkspaceDefaultStorage"};
	const char *name = json_string_value(json_object_get(item, "name"));
	size_t n = name ? strlen(name) : 0;
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		size_t m = strlen(suffixes[i]);
		if (n > m && !strcasecmp(name + n - m, suffixes[i]))
			return true;
	}
	return false;
}

typedef struct list_op {
	az_result_fn cb;
	void *ud;
} list_op;

static void on_linked_services(void *ud, int err, json_t *values, az_diags *d)
{
	list_op *op = ud;
	for (size_t i = json_array_size(values); i-- > 0;)
		if (workspace_default(json_array_get(values, i)))
			json_array_remove(values, i);
	op->cb(op->ud, err, values, d);
	free(op);
}

void az_synapse_list(az_session *s, const az_kind *kind, const char *collection, az_result_fn cb,
		     void *ud)
{
	char *url = az_synapse_url(s, kind, collection, NULL, cb, ud);
	if (url && !strcmp(kind->name, "LinkedService")) {
		list_op *op = az_xcalloc(1, sizeof(*op));
		op->cb = cb;
		op->ud = ud;
		read_start(s, kind, collection, url, true, on_linked_services, op);
	} else if (url) {
		read_start(s, kind, collection, url, true, cb, ud);
	}
	free(url);
}

void az_synapse_read(az_session *s, const az_kind *kind, const char *id, az_result_fn cb,
		     void *ud)
{
	char *url = az_synapse_url(s, kind, id, NULL, cb, ud);
	if (url)
		read_start(s, kind, id, url, false, cb, ud);
	free(url);
}

void az_synapse_remove(az_session *s, const az_kind *kind, const char *id, az_result_fn cb,
		       void *ud)
{
	char *url = az_synapse_url(s, kind, id, NULL, cb, ud);
	if (!url)
		return;
	az_send_options o = {
		.lro = true,
		.timeout_s = kind->delete_timeout_s,
		.missing_ok = true,
	};
	az_synapse_send(s, kind, id, az_session_request("DELETE", url, AZ_SVC_SYNAPSE), &o, NULL,
			NULL, cb, ud);
	free(url);
}

