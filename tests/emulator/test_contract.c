/*
 * test_contract.c - the emulator against Azure's own REST API examples.
 *
 * Walks every example under ${AZAPPLY_SOURCE_DIR}/../shared/azure-specs/
 * specification (CI places shared/ beside the checkout; without it the
 * test fails rather than passing vacuously) and under schemas/specs, the
 * project's own copies of the spec files shared/ lacks (its SOURCES.md).
 * The two trees are one: each example is found in the x-ms-examples of a
 * spec file in the same folder of either, which gives the path template
 * and method; the request is built from the example's parameters
 * and sent to the emulator (ARM, or the Synapse dev host of the example's
 * workspace for data-plane specs) after creating what it needs through
 * the emulator itself: subscription, resource group, parent resources,
 * the workspace, and the target itself for reads, actions and deletes.
 * The answer must carry one of the example's status codes and, for that
 * code, every key of the example's body, recursively (arrays: the first
 * element), values aside since the server makes them.
 *
 * Coverage is printed: examples checked out of those that exist, with the
 * ones the emulator does not serve (no spec operation in the folder, or a
 * resource type it does not know) listed by name.
 */
#define _DEFAULT_SOURCE /* DT_DIR, realpath */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <azapply/provider.h>

#include <dirent.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "testkit.h"

typedef struct example {
	char *file;     /* real path */
	char *rel;      /* path below specification/ for messages */
	json_t *doc;    /* the example */
	json_t *spec;   /* borrowed from the spec list, NULL when unmapped */
	char *method;   /* upper case */
	char *template; /* "/subscriptions/{subscriptionId}/..." */
	json_t *op;     /* the operation object in the spec (borrowed) */
} example;

typedef struct corpus {
	example *ex;
	size_t len, cap;
	json_t *specs; /* array of loaded spec documents, each with "_file" */
} corpus;

static emu *E;
static char *ARM;
static char *SYN;

static int setup(void **state)
{
	(void)state;
	if (emu_start(&E, NULL))
		return -1;
	ARM = emu_token(E, TK_ARM_SCOPE);
	SYN = emu_token(E, TK_SYNAPSE_SCOPE);
	return ARM && SYN ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	free(ARM);
	free(SYN);
	assert_int_equal(emu_stop(E), 0);
	return 0;
}

/* ---- the corpus ---------------------------------------------------------- */

static void walk(corpus *c, const char *root, const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char *path = az_xasprintf("%s/%s", dir, de->d_name);
		struct stat st;
		size_t n = strlen(de->d_name);
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			walk(c, root, path);
		} else if (n > 5 && !strcmp(de->d_name + n - 5, ".json")) {
			json_t *doc = json_load_file(path, 0, NULL);
			if (!doc)
				fail_msg("%s does not parse as JSON", path);
			if (strstr(path, "/examples/")) {
				if (c->len == c->cap) {
					c->cap = c->cap ? 2 * c->cap : 64;
					c->ex = az_xrealloc(c->ex, c->cap * sizeof(*c->ex));
				}
				example *e = &c->ex[c->len++];
				memset(e, 0, sizeof(*e));
				e->file = realpath(path, NULL);
				e->rel = az_xstrdup(path + strlen(root) + 1);
				e->doc = doc;
			} else {
				json_object_set_new(doc, "_file", json_string(path));
				json_object_set_new(doc, "_root", json_string(root));
				json_array_append_new(c->specs, doc);
			}
		}
		free(path);
	}
	closedir(d);
}

/* The example file `ref` names from the folder `dir` of a spec under
 * `root`: in that tree, else at the same place in the other one. */
static char *example_path(const char *root, const char *dir, const char *ref,
			  const char *const *roots)
{
	char *joined = az_xasprintf("%s/%s", dir, ref);
	char *real = realpath(joined, NULL);
	free(joined);
	for (size_t i = 0; !real && roots[i]; i++) {
		if (!strcmp(roots[i], root))
			continue;
		joined = az_xasprintf("%s%s/%s", roots[i], dir + strlen(root), ref);
		real = realpath(joined, NULL);
		free(joined);
	}
	return real;
}

/* Finds each example's operation through the x-ms-examples of the spec
 * files in its own folder (the parent of examples/). */
static void map_examples(corpus *c, const char *const *roots)
{
	size_t i;
	json_t *spec;
	json_array_foreach(c->specs, i, spec) {
		const char *file = json_string_value(json_object_get(spec, "_file"));
		const char *root = json_string_value(json_object_get(spec, "_root"));
		const char *slash = strrchr(file, '/');
		char *dir = az_xstrndup(file, (size_t)(slash - file));
		const char *tmpl;
		json_t *ops;
		json_object_foreach(json_object_get(spec, "paths"), tmpl, ops) {
			const char *method;
			json_t *op;
			json_object_foreach(ops, method, op) {
				const char *name;
				json_t *ref;
				json_object_foreach(json_object_get(op, "x-ms-examples"), name, ref) {
					const char *r = json_string_value(json_object_get(ref, "$ref"));
					if (!r)
						continue;
					char *real = example_path(root, dir, r, roots);
					for (size_t k = 0; real && k < c->len; k++) {
						example *e = &c->ex[k];
						if (e->spec || strcmp(e->file, real))
							continue;
						e->spec = spec;
						e->op = op;
						e->template = az_xstrdup(tmpl);
						e->method = az_xstrdup(method);
						for (char *p = e->method; *p; p++)
							*p = (char)(*p - (*p >= 'a' && *p <= 'z' ? 32 : 0));
					}
					free(real);
				}
			}
		}
		free(dir);
	}
}

/*
 * Examples whose spec file is not stored with them: mfe.json (793 KB, the
 * Machine Learning datastores) is not copied, and privateEndpoint.json
 * 2024-05-01 is not in the copy of the specs the project reads from
 * (schemas/specs/SOURCES.md). Each is mapped by hand to the method, path
 * and body parameter its spec file gives its operation.
 */
#define ML_WS "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/" \
	      "Microsoft.MachineLearningServices/workspaces/{workspaceName}"
#define PE "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/" \
	   "Microsoft.Network/privateEndpoints/{privateEndpointName}"
static const struct {
	const char *file;
	const char *method;
	const char *template;
	const char *body; /* the body parameter's name, NULL for none */
} unstored_spec[] = {
	{"/Datastore/AzureBlobWAccountKey/createOrUpdate.json", "PUT", ML_WS "/datastores/{name}",
	 "body"},
	{"/Datastore/AzureDataLakeGen2WServicePrincipal/createOrUpdate.json", "PUT",
	 ML_WS "/datastores/{name}", "body"},
	{"/Datastore/list.json", "GET", ML_WS "/datastores", NULL},
	{"/PrivateEndpointCreate.json", "PUT", PE, "parameters"},
	{"/PrivateEndpointGet.json", "GET", PE, NULL},
	{"/PrivateEndpointDelete.json", "DELETE", PE, NULL},
	{"/PrivateEndpointDnsZoneGroupCreate.json", "PUT",
	 PE "/privateDnsZoneGroups/{privateDnsZoneGroupName}", "parameters"},
	{"/PrivateEndpointDnsZoneGroupGet.json", "GET",
	 PE "/privateDnsZoneGroups/{privateDnsZoneGroupName}", NULL},
	{"/PrivateEndpointDnsZoneGroupDelete.json", "DELETE",
	 PE "/privateDnsZoneGroups/{privateDnsZoneGroupName}", NULL},
};

static void map_unstored(corpus *c)
{
	json_t *spec = json_object();
	json_array_append_new(c->specs, spec);
	for (size_t k = 0; k < c->len; k++) {
		example *e = &c->ex[k];
		size_t n = strlen(e->rel);
		for (size_t i = 0; !e->spec && i < sizeof(unstored_spec) / sizeof(unstored_spec[0]);
		     i++) {
			size_t m = strlen(unstored_spec[i].file);
			if (n <= m || strcmp(e->rel + n - m, unstored_spec[i].file))
				continue;
			json_t *op = unstored_spec[i].body
					     ? json_pack("{s:[{s:s,s:s}]}", "parameters", "in", "body",
							 "name", unstored_spec[i].body)
					     : json_object();
			json_array_append_new(c->specs, op);
			e->spec = spec;
			e->op = op;
			e->method = az_xstrdup(unstored_spec[i].method);
			e->template = az_xstrdup(unstored_spec[i].template);
		}
	}
}

static void corpus_free(corpus *c)
{
	for (size_t i = 0; i < c->len; i++) {
		free(c->ex[i].file);
		free(c->ex[i].rel);
		free(c->ex[i].method);
		free(c->ex[i].template);
		json_decref(c->ex[i].doc);
	}
	free(c->ex);
	json_decref(c->specs);
}

/* ---- requests ------------------------------------------------------------ */

static json_t *param(const example *e, const char *name)
{
	return json_object_get(json_object_get(e->doc, "parameters"), name);
}

/* The operation's parameter `name` is declared `in: query` (local refs only). */
static bool is_query_param(const example *e, const char *name)
{
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(e->op, "parameters"), i, p) {
		const char *ref = json_string_value(json_object_get(p, "$ref"));
		if (ref && !strncmp(ref, "#/parameters/", 13))
			p = json_object_get(json_object_get(e->spec, "parameters"), ref + 13);
		const char *n = json_string_value(json_object_get(p, "name"));
		const char *in = json_string_value(json_object_get(p, "in"));
		if (n && in && !strcmp(n, name))
			return !strcmp(in, "query");
	}
	return false;
}

static bool data_plane(const example *e)
{
	return json_object_get(e->spec, "x-ms-parameterized-host") != NULL;
}

/* The workspace of a data-plane example: "ws.dev.azuresynapse.net" -> "ws". */
static char *workspace_of(const example *e)
{
	const char *ep = json_string_value(param(e, "endpoint"));
	if (!ep)
		return az_xstrdup("contractws");
	if (!strncmp(ep, "https://", 8))
		ep += 8;
	const char *dot = strchr(ep, '.');
	char *ws = az_xstrndup(ep, dot ? (size_t)(dot - ep) : strlen(ep));
	for (char *p = ws; *p; p++)
		*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
	return ws;
}

/* The path with every {param} replaced, without the query. */
static char *fill_template(const example *e, const char *tmpl)
{
	az_buf b = AZ_BUF_INIT;
	for (const char *p = tmpl; *p;) {
		const char *open = strchr(p, '{');
		const char *close = open ? strchr(open, '}') : NULL;
		if (!close) {
			az_buf_puts(&b, p);
			break;
		}
		az_buf_add(&b, p, (size_t)(open - p));
		char *name = az_xstrndup(open + 1, (size_t)(close - open - 1));
		json_t *v = param(e, name);
		if (json_is_string(v))
			az_buf_puts(&b, json_string_value(v));
		else
			az_buf_printf(&b, "{%s}", name);
		free(name);
		p = close + 1;
	}
	return az_buf_detach(&b);
}

static char *request_url(const example *e, const char *path, char **host_out)
{
	char *host = NULL;
	if (data_plane(e)) {
		char *ws = workspace_of(e);
		host = az_xasprintf("%s.dev.localhost", ws);
		free(ws);
	} else {
		host = az_xstrdup("management.localhost");
	}
	az_buf q = AZ_BUF_INIT;
	const char *name;
	json_t *v;
	json_object_foreach(json_object_get(e->doc, "parameters"), name, v) {
		if (!json_is_string(v) || (strcmp(name, "api-version") && !is_query_param(e, name)))
			continue;
		az_buf_printf(&q, "%c%s=%s", q.len ? '&' : '?', name, json_string_value(v));
	}
	char *url = tk_url(E, host, "%s%s", path, q.data ? q.data : "");
	az_buf_free(&q);
	if (host_out)
		*host_out = host;
	else
		free(host);
	return url;
}

/* The body parameter: the one the operation declares `in: body`, else the
 * example parameter that is an object or array (an example may carry
 * other objects, such as PrivateEndpointCreate.json's extendedLocation). */
static json_t *body_param(const example *e)
{
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(e->op, "parameters"), i, p) {
		const char *in = json_string_value(json_object_get(p, "in"));
		const char *n = json_string_value(json_object_get(p, "name"));
		if (in && n && !strcmp(in, "body") && param(e, n))
			return param(e, n);
	}
	const char *name;
	json_t *v;
	json_object_foreach(json_object_get(e->doc, "parameters"), name, v)
		if (json_is_object(v) || json_is_array(v))
			return v;
	return NULL;
}

static void send_json(emu_response *r, const char *method, const char *url, bool dp, json_t *body)
{
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	tk_send(E, r, method, url, dp ? SYN : ARM, NULL, text);
	free(text);
}

/* Follows whatever operation an answer started until it ends. */
static void settle(const emu_response *r, bool dp)
{
	char *url = emu_response_header(r, "Azure-AsyncOperation");
	bool async = url != NULL;
	if (!url)
		url = emu_response_header(r, "Location");
	if (!url)
		return;
	for (int i = 0; i < 20; i++) {
		emu_response p;
		tk_send(E, &p, "GET", url, dp ? SYN : ARM, NULL, NULL);
		bool running = async ? p.status == 200 && tk_str(p.json, "status") &&
					       !strcmp(tk_str(p.json, "status"), "InProgress")
				     : p.status == 202;
		emu_response_free(&p);
		if (!running)
			break;
	}
	free(url);
}

/* ---- prerequisites ------------------------------------------------------- */

static void ensure_arm_parents(const char *path)
{
	char *copy = az_xstrdup(path[0] == '/' ? path + 1 : path);
	char *seg[64];
	size_t n = 0;
	for (char *p = copy; p && n < 64;) {
		char *slash = strchr(p, '/');
		if (slash)
			*slash = '\0';
		seg[n++] = p;
		p = slash ? slash + 1 : NULL;
	}
	if (n >= 2 && !strcasecmp(seg[0], "subscriptions")) {
		char *ctl = az_xasprintf("subscriptions/%s", seg[1]);
		assert_int_equal(emu_control(E, "PUT", ctl, NULL, NULL), 200);
		free(ctl);
	}
	if (n >= 5 && !strcasecmp(seg[2], "resourceGroups")) {
		char *url = tk_url(E, "management.localhost",
				   "/subscriptions/%s/resourceGroups/%s?api-version=2021-04-01",
				   seg[1], seg[3]);
		emu_response r;
		tk_send(E, &r, "PUT", url, ARM, NULL, "{\"location\":\"eastus\"}");
		emu_response_free(&r);
		free(url);
	}
	/* Every resource named on the way (not the target itself): positions
	 * of names after providers/{namespace}/{type}/{name}/{type}/{name}... */
	az_buf id = AZ_BUF_INIT, type = AZ_BUF_INIT;
	size_t prov = SIZE_MAX;
	for (size_t i = 0; i < n; i++) {
		az_buf_putc(&id, '/');
		az_buf_puts(&id, seg[i]);
		if (!strcasecmp(seg[i], "providers") && i + 1 < n) {
			prov = i;
			az_buf_truncate(&type, 0);
			continue;
		}
		if (prov == SIZE_MAX || i <= prov + 1) {
			if (i == prov + 1)
				az_buf_puts(&type, seg[i]);
			continue;
		}
		if ((i - prov) % 2 == 0) {
			az_buf_printf(&type, "/%s", seg[i]);
			continue;
		}
		/* seg[i] is a name: an ancestor unless it is the target itself. */
		if (i + 1 >= n)
			continue;
		char *probe = tk_url(E, "management.localhost", "/_emulator/arm%s", id.data);
		emu_response r;
		tk_send(E, &r, "GET", probe, NULL, NULL, NULL);
		if (r.status == 404) {
			json_t *body = json_pack("{s:s,s:s,s:{}}", "type", type.data, "location",
						 "eastus", "properties");
			char *text = json_dumps(body, 0);
			char *ctl = az_xasprintf("arm%s", id.data);
			assert_int_equal(emu_control(E, "PUT", ctl, text, NULL), 200);
			free(ctl);
			free(text);
			json_decref(body);
		}
		emu_response_free(&r);
		free(probe);
	}
	az_buf_free(&id);
	az_buf_free(&type);
	free(copy);
}

static void ensure_workspace(const example *e)
{
	char *ws = workspace_of(e);
	char *url = tk_url(E, "management.localhost",
			   "/subscriptions/%s/resourceGroups/contract-rg/providers/"
			   "Microsoft.Synapse/workspaces/%s?api-version=2021-06-01",
			   emu_subscription_id(E), ws);
	emu_response r;
	tk_send(E, &r, "GET", url, ARM, NULL, NULL);
	if (r.status != 200)
		tk_make_workspace(E, ARM, "contract-rg", ws);
	/* Managed private endpoints exist only in a workspace made with a
	 * managed virtual network, the one their examples name. */
	if (strstr(e->template, "/managedVirtualNetworks/"))
		tk_give_managed_vnet(E, "contract-rg", ws);
	emu_response_free(&r);
	free(url);
	free(ws);
}

/* A PUT example whose template is `tmpl`, to create what others read. */
static const example *put_sibling(const corpus *c, const char *tmpl)
{
	for (size_t i = 0; i < c->len; i++)
		if (c->ex[i].method && !strcmp(c->ex[i].method, "PUT") &&
		    !strcasecmp(c->ex[i].template, tmpl))
			return &c->ex[i];
	return NULL;
}

/* Creates the resource at template `tmpl` for example `e` through the
 * emulator's own API: with the body of a PUT example for that template,
 * else with the example's own 200 body. Returns the HTTP status of the PUT
 * (0 when there was nothing to send) and the body sent in *sent. */
static long ensure_target(const corpus *c, const example *e, const char *tmpl, json_t **sent)
{
	const example *sib = put_sibling(c, tmpl);
	json_t *body = sib ? body_param(sib) : NULL;
	*sent = NULL;
	if (!body)
		body = json_object_get(json_object_get(json_object_get(e->doc, "responses"), "200"),
				       "body");
	char *path = fill_template(e, tmpl);
	if (!json_is_object(body) || strchr(path, '{')) {
		free(path);
		return 0;
	}
	json_t *put = json_deep_copy(body);
	json_object_del(put, "id");
	json_object_del(put, "etag");
	if (!data_plane(e) && !json_object_get(put, "location"))
		json_object_set_new(put, "location", json_string("eastus"));
	if (data_plane(e) && !json_object_get(put, "properties"))
		json_object_set_new(put, "properties", json_object());
	char *url = request_url(e, path, NULL);
	emu_response r;
	send_json(&r, "PUT", url, data_plane(e), put);
	long status = r.status;
	settle(&r, data_plane(e));
	emu_response_free(&r);
	*sent = put;
	free(url);
	free(path);
	return status;
}

/* ---- comparison ---------------------------------------------------------- */

/* Compares the example body `want` with our answer `got`. A key the
 * example has and we lack is a failure when the request that made the
 * resource (`sent`) carried it, since then we dropped it; otherwise it is
 * an optional property the example's resource happened to have, and it
 * goes to `optional`. Keys whose example value is null or "" are
 * placeholders and skipped. */
static void shape(json_t *want, json_t *got, json_t *sent, const char *at, az_buf *why,
		  az_buf *optional)
{
	if (json_is_object(want)) {
		if (!json_is_object(got)) {
			az_buf_printf(why, " %s: not an object;", at);
			return;
		}
		const char *k;
		json_t *v;
		json_object_foreach(want, k, v) {
			if (json_is_null(v) || (json_is_string(v) && !*json_string_value(v)))
				continue;
			char *sub = az_xasprintf("%s.%s", at, k);
			json_t *g = json_object_get(got, k);
			json_t *sk = json_object_get(sent, k);
			if (g)
				shape(v, g, sk, sub, why, optional);
			else if (sk)
				az_buf_printf(why, " %s sent but not returned;", sub);
			else
				az_buf_printf(optional, " %s", sub);
			free(sub);
		}
	} else if (json_is_array(want) && json_array_size(want)) {
		if (!json_is_array(got)) {
			az_buf_printf(why, " %s: not an array;", at);
			return;
		}
		if (!json_array_size(got)) {
			if (json_array_size(sent))
				az_buf_printf(why, " %s: sent with elements, returned empty;", at);
			else
				az_buf_printf(optional, " %s[0]", at);
			return;
		}
		char *sub = az_xasprintf("%s[0]", at);
		shape(json_array_get(want, 0), json_array_get(got, 0), json_array_get(sent, 0), sub,
		      why, optional);
		free(sub);
	}
}

static int method_rank(const char *m)
{
	static const char *const order[] = {"PUT", "PATCH", "GET", "POST", "DELETE"};
	for (int i = 0; i < 5; i++)
		if (!strcmp(m, order[i]))
			return i;
	return 5;
}

static int by_method(const void *a, const void *b)
{
	const example *x = a, *y = b;
	if (!x->method || !y->method)
		return (x->method == NULL) - (y->method == NULL);
	int d = method_rank(x->method) - method_rank(y->method);
	return d ? d : strcmp(x->rel, y->rel);
}

/* Whether the answer says the route or type is not served at all. */
static bool unserved(const emu_response *r)
{
	const char *code = tk_str(r->json, "error.code");
	if (!code)
		code = tk_str(r->json, "code");
	const char *msg = tk_str(r->json, "message");
	return r->status == 405 || (code && (!strcmp(code, "InvalidResourceType") ||
					     !strcmp(code, "NoRegisteredProviderFound"))) ||
	       (r->status == 404 && msg && !strcmp(msg, "No such route."));
}

/*
 * Where live Azure, as recorded (azure-notes.md, "Behaviour seen"), answers
 * otherwise than an example documents, the emulator follows the recording
 * and the example is listed as not covered with the reason.
 */
static const struct {
	const char *file;
	const char *reason;
} recorded_otherwise[] = {
	{"/DeleteBigDataPool.json", "Spark pool delete answers 202 with Location only, no body"},
	{"/DeleteWorkspace.json", "Synapse workspace delete is a 202 operation without a body"},
	{"/CreateOrUpdateBigDataPool.json",
	 "Spark pools return no sparkEventsFolder, defaultSparkLogFolder or isAutotuneEnabled "
	 "(conformance/cli-synapse-spark-pool.json)"},
	{"/GetBigDataPool.json", "as CreateOrUpdateBigDataPool.json"},
	{"/ListBigDataPoolsInWorkspace.json", "as CreateOrUpdateBigDataPool.json"},
	{"/LinkedServices_ListByWorkspace.json",
	 "a workspace lists its two default linked services first "
	 "(conformance/cli-synapse-linked-service.json)"},
};

/* Checks one example; returns 1 checked and faithful, 0 not covered, 2 not
 * served (a type or route the emulator does not know), -1 failed. */
static int check(const corpus *c, const example *e, az_buf *report, az_buf *optional)
{
	for (size_t i = 0; i < sizeof(recorded_otherwise) / sizeof(recorded_otherwise[0]); i++) {
		size_t n = strlen(e->rel), m = strlen(recorded_otherwise[i].file);
		if (n > m && !strcmp(e->rel + n - m, recorded_otherwise[i].file)) {
			az_buf_printf(report, "  not covered: %s (recorded Azure differs: %s)\n",
				      e->rel, recorded_otherwise[i].reason);
			return 0;
		}
	}
	char *path = fill_template(e, e->template);
	bool dp = data_plane(e);
	if (dp)
		ensure_workspace(e);
	else
		ensure_arm_parents(path);

	/* Reads, actions and deletes need their target; lists one element. */
	json_t *sent = NULL;
	long made = 0;
	bool in_list = false;
	const char *last_close = strrchr(e->template, '}');
	bool item = last_close && last_close[1] == '\0';
	if (strcmp(e->method, "PUT")) {
		if (item) {
			made = ensure_target(c, e, e->template, &sent);
		} else if (!strcmp(e->method, "POST") && last_close) {
			char *parent = az_xstrndup(e->template, (size_t)(last_close - e->template + 1));
			made = ensure_target(c, e, parent, &sent);
			free(parent);
		} else {
			char *like = az_xasprintf("%s/{", e->template);
			for (size_t i = 0; i < c->len; i++) {
				const example *s = &c->ex[i];
				if (s->method && !strcmp(s->method, "PUT") &&
				    !strncasecmp(s->template, like, strlen(like)) &&
				    !strchr(strchr(s->template + strlen(like), '}'), '{')) {
					made = ensure_target(c, s, s->template, &sent);
					in_list = true;
					break;
				}
			}
			free(like);
		}
	}
	if (made >= 400) {
		az_buf_printf(report, "  not covered: %s (its target could not be made: HTTP %ld)\n",
			      e->rel, made);
		json_decref(sent);
		free(path);
		return 0;
	}

	char *url = request_url(e, path, NULL);
	emu_response r;
	json_t *body = !strcmp(e->method, "GET") || !strcmp(e->method, "DELETE") ? NULL
										     : body_param(e);
	if (body) {
		json_decref(sent);
		sent = json_incref(body);
	}
	send_json(&r, e->method, url, dp, body);
	int result = 1;
	char code[8];
	snprintf(code, sizeof(code), "%ld", r.status);
	json_t *want = json_object_get(json_object_get(e->doc, "responses"), code);
	const char *err = tk_str(r.json, "error.code");
	if (unserved(&r)) {
		az_buf_printf(report, "  not served: %s (%s %s -> %ld)\n", e->rel, e->method,
			      e->template, r.status);
		result = 2;
	} else if (!want && r.status == 400 && body && !strcmp(e->method, "PUT")) {
		/* The example's placeholder values (an unknown role, createMode "")
		 * are refused as Azure refuses them. */
		az_buf_printf(report, "  not covered: %s (its values are refused: %s)\n", e->rel,
			      err ? err : r.body);
		result = 0;
	} else if (!want) {
		az_buf_printf(report, "  FAILED: %s: %s %s answered %ld, not one of the example's "
				      "codes: %.300s\n",
			      e->rel, e->method, path, r.status, r.body);
		result = -1;
	} else {
		az_buf why = AZ_BUF_INIT, opt = AZ_BUF_INIT;
		json_t *wb = json_object_get(want, "body");
		json_t *wrapped = in_list ? json_pack("{s:[O]}", "value", sent) : NULL;
		if (wb)
			shape(wb, r.json, wrapped ? wrapped : sent, "body", &why, &opt);
		if (why.len) {
			az_buf_printf(report, "  FAILED: %s: %s %s (%ld):%s\n", e->rel, e->method,
				      path, r.status, why.data);
			result = -1;
		}
		if (opt.len)
			az_buf_printf(optional, "  %s:%s\n", e->rel, opt.data);
		json_decref(wrapped);
		az_buf_free(&why);
		az_buf_free(&opt);
	}
	settle(&r, dp);
	emu_response_free(&r);
	json_decref(sent);
	free(url);
	free(path);
	return result;
}

static void test_examples_match_the_specs(void **state)
{
	(void)state;
	char *root = az_xasprintf("%s/../shared/azure-specs/specification", AZAPPLY_SOURCE_DIR);
	struct stat st;
	if (stat(root, &st) || !S_ISDIR(st.st_mode))
		fail_msg("the Azure REST API specs are missing: expected them in "
			 "../shared/azure-specs/specification beside the source tree");
	char *own = az_xasprintf("%s/schemas/specs/specification", AZAPPLY_SOURCE_DIR);
	const char *const roots[] = {root, own, NULL};
	corpus c = {.specs = json_array()};
	for (size_t i = 0; roots[i]; i++)
		walk(&c, roots[i], roots[i]);
	map_examples(&c, roots);
	map_unstored(&c);
	assert_true(c.len > 0);
	qsort(c.ex, c.len, sizeof(*c.ex), by_method);

	az_buf report = AZ_BUF_INIT, optional = AZ_BUF_INIT;
	size_t ok = 0, failed = 0, not_covered = 0, not_served = 0, unmapped = 0;
	for (size_t i = 0; i < c.len; i++) {
		example *e = &c.ex[i];
		if (!e->spec) {
			az_buf_printf(&report, "  not served: %s (no operation for it in its spec "
					       "folder)\n",
				      e->rel);
			unmapped++;
			continue;
		}
		int rc = check(&c, e, &report, &optional);
		ok += rc == 1;
		failed += rc == -1;
		not_covered += rc == 0;
		not_served += rc == 2;
	}
	printf("contract coverage: %zu of %zu examples for operations the emulator serves "
	       "checked and faithful (%zu failed, %zu not covered); %zu examples in all, %zu "
	       "for operations not served or not in their spec folder\n%s",
	       ok, c.len - unmapped - not_served, failed, not_covered, c.len,
	       unmapped + not_served,
	       report.data ? report.data : "");
	if (optional.len)
		printf("optional keys of the examples' resources that were not sent, so not "
		       "returned:\n%s",
		       optional.data);
	fflush(stdout);
	az_buf_free(&report);
	az_buf_free(&optional);
	corpus_free(&c);
	free(own);
	free(root);
	assert_int_equal(failed, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_examples_match_the_specs),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
