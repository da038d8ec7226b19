/*
 * synapse.h - what the Synapse data-plane providers (artifacts and RBAC)
 * share: mapping an id under a workspace's ARM id to the workspace's own
 * endpoint.
 *
 * azapply names artifacts and Synapse role assignments under the ARM id of
 * their workspace (".../workspaces/ws1/pipelines/p1") so every resource has
 * one Azure-style id; the data plane lives on another host per workspace
 * (https://ws1.dev.azuresynapse.net), with the Synapse token audience.
 */
#ifndef AZAPPLY_SYNAPSE_H
#define AZAPPLY_SYNAPSE_H

#include <azapply/provider.h>

#include "session/session.h"

/* Every data-plane API azapply uses is at this version (azure-notes). */
#define AZ_SYNAPSE_API_VERSION "2020-12-01"

/*
 * Splits `id` after its "/workspaces/{ws}" segment: *ws is the workspace
 * name (new string), *rest what follows, "" or starting with '/'
 * (borrowed from id). AZ_EINVALID with a diagnostic for an id not under a
 * workspace.
 */
int az_synapse_split(char **ws, const char **rest, const char *id, az_diags *d);

/*
 * The data-plane URL of `id` with `suffix` (may be NULL) appended:
 * "{endpoint of ws}{rest}{suffix}?api-version=". For an id not under a
 * workspace, NULL, and the call is failed: cb gets AZ_EINVALID from the loop.
 */
char *az_synapse_url(az_session *s, const az_kind *kind, const char *id, const char *suffix,
		     az_result_fn cb, void *ud);

/* The provider functions both data-plane providers share: every page of a
 * collection, one item (404 is absent), and a delete waited for. */
void az_synapse_list(az_session *s, const az_kind *kind, const char *collection, az_result_fn cb,
		     void *ud);
void az_synapse_read(az_session *s, const az_kind *kind, const char *id, az_result_fn cb,
		     void *ud);
void az_synapse_remove(az_session *s, const az_kind *kind, const char *id, az_result_fn cb,
		       void *ud);

/* The codes of the data plane's two gates: the workspace firewall
 * (ClientIpAddressNotAuthorized) and Synapse RBAC (Unauthorized). */
extern const char *const az_synapse_access_codes[];
/* How long a refused request is tried again: AZAPPLY_ACCESS_WAIT_SECONDS,
 * 120 s by default (a new rule or role takes minutes to arrive). */
long az_synapse_access_wait_ms(void);
/* Adds the fix to each 403 of the two gates in `d`: the firewall rule to
 * add for the address, the Synapse role to grant to the principal. */
void az_synapse_explain(az_diags *d, const az_kind *kind, const char *id);

/* Sends a data-plane write of `id` as `o` says, trying again while a gate
 * refuses it (see plane.c): with `body`, a write of it by the method and
 * URL of `req` (then freed) with If-Match `etag`; without, `req` itself
 * (taken). A refusal that remains is explained. */
void az_synapse_send(az_session *s, const az_kind *kind, const char *id, az_http_request *req,
		     az_send_options *o, const json_t *body, const char *etag, az_result_fn cb,
		     void *ud);

#endif
