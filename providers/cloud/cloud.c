/*
 * cloud.c - the built-in cloud tables, custom cloud files, and the host
 * check that keeps each bearer token on the hosts of its own audience.
 *
 * Endpoints and audiences of the built-in clouds are the ones listed in
 * azure-notes.md ("Clouds"). Status URLs and nextLinks are absolute URLs
 * chosen by the server, so every URL a token goes to is checked against the
 * cloud here (azure-notes: "check their host before sending a token"), and
 * against the host of the request the server answered: a template such as
 * Synapse's "{workspace}" admits every workspace, a token only its own.
 */
#include "cloud/cloud.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct builtin_cloud {
	const char *name;
	const char *arm, *login, *graph, *synapse;
	const char *aud_synapse;
} builtin_cloud;

static const builtin_cloud builtins[] = {
    {"AzureCloud", "https://management.azure.com", "https://login.microsoftonline.com",
     "https://graph.microsoft.com", "https://{workspace}.dev.azuresynapse.net",
     "https://dev.azuresynapse.net/"},
    {"AzureUSGovernment", "https://management.usgovcloudapi.net",
     "https://login.microsoftonline.us", "https://graph.microsoft.us",
     "https://{workspace}.dev.azuresynapse.usgovcloudapi.net",
     "https://dev.azuresynapse.usgovcloudapi.net/"},
    {"AzureChinaCloud", "https://management.chinacloudapi.cn", "https://login.chinacloudapi.cn",
     "https://microsoftgraph.chinacloudapi.cn", "https://{workspace}.dev.azuresynapse.azure.cn",
     "https://dev.azuresynapse.azure.cn/"},
};

/* IMDS lives at a link-local address on every Azure VM, in every cloud. */
#define IMDS_DEFAULT "http://169.254.169.254/metadata/identity/oauth2/token"

static char *strip_slash(const char *s)
{
	size_t n = strlen(s);
	while (n > 0 && s[n - 1] == '/')
		n--;
	return az_xstrndup(s, n);
}

static char *with_slash(const char *s)
{
	size_t n = strlen(s);
	if (n > 0 && s[n - 1] == '/')
		return az_xstrdup(s);
	return az_xasprintf("%s/", s);
}

void az_cloud_free(az_cloud *c)
{
	if (!c)
		return;
	free(c->name);
	free(c->resource_manager);
	free(c->active_directory);
	free(c->microsoft_graph);
	free(c->synapse_dev);
	free(c->managed_identity);
	free(c->aud_resource_manager);
	free(c->aud_microsoft_graph);
	free(c->aud_synapse_dev);
	free(c->ca_certificate);
	free(c);
}

int az_cloud_builtin(az_cloud **out, const char *name, az_diags *d)
{
	for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++) {
		const builtin_cloud *b = &builtins[i];
		if (strcasecmp(b->name, name) != 0)
			continue;
		az_cloud *c = az_xcalloc(1, sizeof(*c));
		c->name = az_xstrdup(b->name);
		c->resource_manager = az_xstrdup(b->arm);
		c->active_directory = az_xstrdup(b->login);
		c->microsoft_graph = az_xstrdup(b->graph);
		c->synapse_dev = az_xstrdup(b->synapse);
		c->managed_identity = az_xstrdup(IMDS_DEFAULT);
		c->aud_resource_manager = with_slash(b->arm);
		c->aud_microsoft_graph = with_slash(b->graph);
		c->aud_synapse_dev = az_xstrdup(b->aud_synapse);
		*out = c;
		return 0;
	}
	az_diag *diag = az_diag_add(d, AZ_SEV_ERROR, NULL, NULL, "unknown cloud '%s'", name);
	az_diag_set_detail(diag, "use AzureCloud, AzureUSGovernment, AzureChinaCloud or the path "
	                         "of a cloud configuration file");
	return AZ_EINVALID;
}

static const char *get_str(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

int az_cloud_load_file(az_cloud **out, const char *path, az_diags *d)
{
	int error = 0;
	az_cloud *c = NULL;
	json_error_t jerr;
	json_t *root = az_json_load_file(path, &jerr);
	if (!root) {
		az_diag *diag = az_diag_add(d, AZ_SEV_ERROR, NULL, NULL,
		                            "cannot read cloud configuration %s", path);
		diag->line = jerr.line > 0 ? jerr.line : 0;
		diag->col = jerr.column > 0 ? jerr.column : 0;
		az_diag_set_detail(diag, "%s", jerr.text);
		error = AZ_EINVALID;
		goto done;
	}
	json_t *ep = json_object_get(root, "endpoints");
	json_t *aud = json_object_get(root, "audiences");
	const char *arm = get_str(ep, "resourceManager");
	const char *login = get_str(ep, "activeDirectory");
	if (!json_is_object(ep) || !arm || !login) {
		az_diag *diag = az_diag_add(d, AZ_SEV_ERROR, NULL, NULL,
		                            "cloud configuration %s lacks endpoints", path);
		az_diag_set_detail(diag, "endpoints.resourceManager and endpoints.activeDirectory "
		                         "are required");
		error = AZ_EINVALID;
		goto done;
	}
	c = az_xcalloc(1, sizeof(*c));
	const char *name = get_str(root, "name");
	c->name = az_xstrdup(name ? name : path);
	c->resource_manager = strip_slash(arm);
	c->active_directory = strip_slash(login);
	const char *graph = get_str(ep, "microsoftGraph");
	const char *syn = get_str(ep, "synapseDev");
	const char *mi = get_str(ep, "managedIdentity");
	c->microsoft_graph = graph ? strip_slash(graph) : NULL;
	c->synapse_dev = syn ? strip_slash(syn) : NULL;
	c->managed_identity = az_xstrdup(mi ? mi : IMDS_DEFAULT);
	/* Without an explicit audience the endpoint is its own audience, as in
	 * the public cloud (the Synapse audience has no workspace label). */
	const char *a = get_str(aud, "resourceManager");
	c->aud_resource_manager = with_slash(a ? a : c->resource_manager);
	a = get_str(aud, "microsoftGraph");
	if (a || graph)
		c->aud_microsoft_graph = with_slash(a ? a : graph);
	a = get_str(aud, "synapseDev");
	if (a)
		c->aud_synapse_dev = with_slash(a);
	const char *ca = get_str(root, "caCertificate");
	if (ca && *ca)
		c->ca_certificate = az_xstrdup(ca);
	*out = c;
	c = NULL;
done:
	az_cloud_free(c);
	json_decref(root);
	return error;
}

int az_cloud_resolve(az_cloud **out, const char *name_or_file, az_diags *d)
{
	const char *sel = name_or_file;
	if (!sel || !*sel)
		sel = getenv(AZ_CLOUD_ENV);
	if (!sel || !*sel)
		sel = AZ_CLOUD_DEFAULT;
	for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++)
		if (strcasecmp(builtins[i].name, sel) == 0)
			return az_cloud_builtin(out, sel, d);
	return az_cloud_load_file(out, sel, d);
}

const char *az_service_name(az_service svc)
{
	switch (svc) {
	case AZ_SVC_ARM: return "resourceManager";
	case AZ_SVC_GRAPH: return "microsoftGraph";
	case AZ_SVC_SYNAPSE: return "synapseDev";
	case AZ_SVC_NONE: break;
	}
	return "none";
}

const char *az_cloud_audience(const az_cloud *c, az_service svc)
{
	switch (svc) {
	case AZ_SVC_ARM: return c->aud_resource_manager;
	case AZ_SVC_GRAPH: return c->aud_microsoft_graph;
	case AZ_SVC_SYNAPSE: return c->aud_synapse_dev;
	case AZ_SVC_NONE: break;
	}
	return NULL;
}

char *az_cloud_scope(const az_cloud *c, az_service svc)
{
	const char *aud = az_cloud_audience(c, svc);
	if (!aud)
		return NULL;
	char *base = strip_slash(aud);
	char *scope = az_xasprintf("%s/.default", base);
	free(base);
	return scope;
}

char *az_cloud_synapse_endpoint(const az_cloud *c, const char *workspace)
{
	const char *tpl = c->synapse_dev;
	const char *at = tpl ? strstr(tpl, "{workspace}") : NULL;
	if (!at)
		return NULL;
	return az_xasprintf("%.*s%s%s", (int)(at - tpl), tpl, workspace,
	                    at + strlen("{workspace}"));
}

int az_url_origin_parse(az_url_origin *out, const char *url)
{
	memset(out, 0, sizeof(*out));
	const char *sep = url ? strstr(url, "://") : NULL;
	if (!sep || sep == url || (size_t)(sep - url) >= sizeof(out->scheme))
		return AZ_EINVALID;
	for (const char *p = url; p < sep; p++)
		out->scheme[p - url] = (char)tolower((unsigned char)*p);
	if (strcmp(out->scheme, "https") == 0)
		out->port = 443;
	else if (strcmp(out->scheme, "http") == 0)
		out->port = 80;
	else
		return AZ_EINVALID;
	const char *auth = sep + 3;
	size_t alen = strcspn(auth, "/?#");
	if (memchr(auth, '@', alen) || alen == 0)
		return AZ_EINVALID;
	const char *host = auth, *host_end, *port = NULL;
	if (*auth == '[') {
		host = auth + 1;
		host_end = memchr(host, ']', alen - 1);
		if (!host_end)
			return AZ_EINVALID;
		if (host_end + 1 < auth + alen) {
			if (host_end[1] != ':')
				return AZ_EINVALID;
			port = host_end + 2;
		}
	} else {
		host_end = memchr(auth, ':', alen);
		if (host_end)
			port = host_end + 1;
		else
			host_end = auth + alen;
	}
	size_t hlen = (size_t)(host_end - host);
	if (hlen == 0 || hlen >= sizeof(out->host))
		return AZ_EINVALID;
	for (size_t i = 0; i < hlen; i++)
		out->host[i] = (char)tolower((unsigned char)host[i]);
	/* A trailing dot names the same host; drop it so it compares equal. */
	if (out->host[hlen - 1] == '.')
		out->host[hlen - 1] = '\0';
	if (port && port < auth + alen) {
		long v = 0;
		for (const char *p = port; p < auth + alen; p++) {
			if (!isdigit((unsigned char)*p) || v > 65535)
				return AZ_EINVALID;
			v = v * 10 + (*p - '0');
		}
		if (v <= 0 || v > 65535)
			return AZ_EINVALID;
		out->port = (int)v;
	}
	return 0;
}

/* "{workspace}.dev.example" matches "ws1.dev.example": one DNS label. */
static bool host_matches_template(const char *host, const char *tpl)
{
	const char *at = strstr(tpl, "{workspace}");
	if (!at)
		return strcmp(host, tpl) == 0;
	size_t pre = (size_t)(at - tpl);
	const char *post = at + strlen("{workspace}");
	size_t hlen = strlen(host), plen = strlen(post);
	if (hlen < pre + plen + 1 || strncmp(host, tpl, pre) != 0 ||
	    strcmp(host + hlen - plen, post) != 0)
		return false;
	for (size_t i = pre; i < hlen - plen; i++) {
		char ch = host[i];
		if (!(isalnum((unsigned char)ch) || ch == '-'))
			return false;
	}
	return true;
}

bool az_cloud_url_allowed(const az_cloud *c, az_service svc, const char *url)
{
	const char *base = NULL;
	switch (svc) {
	case AZ_SVC_ARM: base = c->resource_manager; break;
	case AZ_SVC_GRAPH: base = c->microsoft_graph; break;
	case AZ_SVC_SYNAPSE: base = c->synapse_dev; break;
	case AZ_SVC_NONE: return true;
	}
	if (!base)
		return false;
	/* The template's "{workspace}" is no valid host: parse a stand-in. */
	char *probe = NULL;
	const char *at = strstr(base, "{workspace}");
	if (at)
		probe = az_xasprintf("%.*sx%s", (int)(at - base), base, at + strlen("{workspace}"));
	az_url_origin want, got;
	int error = az_url_origin_parse(&want, probe ? probe : base);
	free(probe);
	if (error || az_url_origin_parse(&got, url) != 0)
		return false;
	if (strcmp(want.scheme, got.scheme) != 0 || want.port != got.port)
		return false;
	if (!at)
		return strcmp(want.host, got.host) == 0;
	/* Rebuild the host template in lower case from the parsed stand-in. */
	size_t pre = strcspn(base + strlen(want.scheme) + 3, "{");
	char *tpl = az_xasprintf("%.*s{workspace}%s", (int)pre, want.host, want.host + pre + 1);
	bool ok = host_matches_template(got.host, tpl);
	free(tpl);
	return ok;
}

bool az_cloud_url_allowed_from(const az_cloud *c, az_service svc, const char *origin,
                               const char *url)
{
	if (!az_cloud_url_allowed(c, svc, url))
		return false;
	if (!origin || svc == AZ_SVC_NONE)
		return true;
	az_url_origin want, got;
	if (az_url_origin_parse(&want, origin) != 0 || az_url_origin_parse(&got, url) != 0)
		return false;
	return strcmp(want.scheme, got.scheme) == 0 && strcmp(want.host, got.host) == 0 &&
	       want.port == got.port;
}
