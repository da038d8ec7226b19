/*
 * cloud.h - which Azure cloud azapply talks to: the endpoint of each service
 * (Resource Manager, Entra token endpoint, Microsoft Graph, the Synapse data
 * plane, the managed identity endpoint), the token audience of each, and an
 * optional CA certificate.
 *
 * The built-in clouds come from azure-notes.md; a custom cloud (Azure Stack,
 * the emulator) is a JSON file of the same shape. The cloud is also the
 * security boundary for tokens: a bearer token for a service is only sent to
 * that service's host of the configured cloud (az_cloud_url_allowed), and a
 * URL the server names only gets the token the request it answered was
 * made with when it is on that request's host (az_cloud_url_allowed_from).
 */
#ifndef AZAPPLY_CLOUD_H
#define AZAPPLY_CLOUD_H

#include <stdbool.h>

#include <azapply/provider.h>

typedef enum az_service {
	AZ_SVC_NONE,    /* no bearer token (token endpoints, IMDS) */
	AZ_SVC_ARM,     /* resourceManager */
	AZ_SVC_GRAPH,   /* microsoftGraph */
	AZ_SVC_SYNAPSE, /* synapseDev, "{workspace}" in the host */
} az_service;
/* How many there are, for tables indexed by service: the last one + 1. */
#define AZ_SVC_COUNT (AZ_SVC_SYNAPSE + 1)

typedef struct az_cloud {
	char *name;
	char *resource_manager; /* "https://management.azure.com", no trailing slash */
	char *active_directory; /* "https://login.microsoftonline.com" */
	char *microsoft_graph;  /* "https://graph.microsoft.com" */
	char *synapse_dev;      /* "https://{workspace}.dev.azuresynapse.net" */
	char *managed_identity; /* IMDS token URL */
	char *aud_resource_manager;
	char *aud_microsoft_graph;
	char *aud_synapse_dev;
	char *ca_certificate; /* PEM file; NULL = the system store */
} az_cloud;

#define AZ_CLOUD_DEFAULT "AzureCloud"
#define AZ_CLOUD_ENV "AZAPPLY_CLOUD_CONFIG"

/* A built-in cloud by name (AzureCloud, AzureUSGovernment, AzureChinaCloud). */
int az_cloud_builtin(az_cloud **out, const char *name, az_diags *d);
/* A custom cloud from a JSON file (the emulator's cloud configuration). */
int az_cloud_load_file(az_cloud **out, const char *path, az_diags *d);
/*
 * The cloud the user selected: `name_or_file` (from --cloud or azapply.yaml)
 * when given, else $AZAPPLY_CLOUD_CONFIG, else AzureCloud. A built-in name
 * wins over a file of the same name.
 */
int az_cloud_resolve(az_cloud **out, const char *name_or_file, az_diags *d);
void az_cloud_free(az_cloud *c);

/* The audience of a service ("https://management.azure.com/"); NULL for NONE. */
const char *az_cloud_audience(const az_cloud *c, az_service svc);
/* "<audience without trailing slash>/.default", the v2 token scope. */
char *az_cloud_scope(const az_cloud *c, az_service svc);
/* The data-plane endpoint of a Synapse workspace, e.g. "https://ws1.dev.azuresynapse.net". */
char *az_cloud_synapse_endpoint(const az_cloud *c, const char *workspace);
/*
 * True when a token of service `svc` may be sent to `url`: same scheme, same
 * port and the host of that service in this cloud (for Synapse, any single
 * DNS label in place of "{workspace}"). False for URLs with user info.
 */
bool az_cloud_url_allowed(const az_cloud *c, az_service svc, const char *url);
/*
 * True when the token of a request first sent to `origin` may go to `url`,
 * a URL its answer named: az_cloud_url_allowed, and the same scheme, host
 * and port as `origin`. One Synapse template covers every workspace, so
 * this is what keeps a workspace's token off another workspace's host.
 * `origin` NULL: `url` is the first URL, checked against the cloud alone.
 */
bool az_cloud_url_allowed_from(const az_cloud *c, az_service svc, const char *origin,
                               const char *url);
const char *az_service_name(az_service svc);

/* The parts of an absolute http(s) URL that decide where it goes. */
typedef struct az_url_origin {
	char scheme[8]; /* "https" */
	char host[256]; /* lower case, no brackets */
	int port;       /* explicit or the scheme's default */
} az_url_origin;

/* Parses the origin of `url`; AZ_EINVALID for anything but a plain http(s) URL. */
int az_url_origin_parse(az_url_origin *out, const char *url);

#endif
