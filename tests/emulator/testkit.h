/*
 * testkit.h - what the emulator's own tests share on top of harness.h:
 * URLs on any emulated host, requests carrying a bearer token, dotted-path
 * reads of JSON answers, Location polling, and the ARM prerequisites a
 * data-plane test needs (a resource group and a provisioned Synapse
 * workspace). Failures are cmocka assertions, so a test reads as a list of
 * expectations.
 */
#ifndef AZAPPLY_EMULATOR_TESTKIT_H
#define AZAPPLY_EMULATOR_TESTKIT_H

#include <jansson.h>

#include "harness.h"

#define TK_ARM_SCOPE "https://management.azure.com/.default"
#define TK_GRAPH_SCOPE "https://graph.microsoft.com/.default"
#define TK_SYNAPSE_SCOPE "https://dev.azuresynapse.net/.default"

/* The value at a dotted path ("properties.x.y", "value.0.name": a number
 * indexes an array), or NULL; borrowed. */
json_t *tk_at(json_t *o, const char *path);
/* The string at a dotted path, or NULL. */
const char *tk_str(json_t *o, const char *path);

/* "https://{host}:{port}" followed by the formatted path. */
char *tk_url(emu *e, const char *host, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Sends `body` (JSON, may be NULL) with "Authorization: Bearer {token}"
 * when `token` is not NULL; asserts that the transport worked. `extra` is a
 * NULL-terminated list of more header lines, or NULL. */
void tk_send(emu *e, emu_response *r, const char *method, const char *url, const char *token,
	     const char *const *extra, const char *body);

/* POSTs an application/x-www-form-urlencoded body built from `fields`
 * (NULL-terminated name, value pairs; values are %-encoded) to
 * https://login.localhost:PORT/{tenant}/oauth2/v2.0/token. */
void tk_token_request(emu *e, emu_response *r, const char *tenant, const char *const *fields);

/* Follows a Location URL while it answers 202; the last answer is in *final. */
void tk_poll_location(emu *e, const char *url, const char *token, emu_response *final);
/* Follows an Azure-AsyncOperation URL (taken; NULL: nothing to follow)
 * until its status is no longer InProgress. */
void tk_follow_async(emu *e, const char *arm_token, char *async);

/* Creates resource group `rg` and Synapse workspace `ws` through ARM,
 * follows the workspace's operation to its end, and opens its data plane
 * to every address (tk_allow_all): the data-plane firewall is on. */
void tk_make_workspace(emu *e, const char *arm_token, const char *rg, const char *ws);
/* The same without the rule: a data plane that refuses every address. */
void tk_make_closed_workspace(emu *e, const char *arm_token, const char *rg, const char *ws);
/* Adds firewall rule allowAll (0.0.0.0-255.255.255.255) to workspace `ws`,
 * as the recorded CLI sessions do before their first data-plane call, and
 * waits for it to take effect. */
void tk_allow_all(emu *e, const char *arm_token, const char *rg, const char *ws);
/* Gives workspace `ws` the managed virtual network ("default") it would
 * have been created with: managedVirtualNetwork is create-only, so it is
 * set in the store. */
void tk_give_managed_vnet(emu *e, const char *rg, const char *ws);

#endif
