/*
 * trigger.c - starting and stopping Synapse triggers.
 *
 * A started trigger cannot be updated or deleted (TriggerEnabledCannotUpdate,
 * azure-notes), so the planner stops it, changes it and starts it again.
 * POST /triggers/{name}/start|stop is long-running in the service (202 and a
 * Location to poll); recorded sessions also saw 200 with an empty body. Both
 * end the same way here: the trigger is read, so the caller sees its
 * runtimeState as it is now.
 */
#include "synapse/trigger.h"

#include <stdlib.h>
#include <string.h>

void az_synapse_trigger_invoke(az_session *s, const az_kind *kind, const char *id,
			       const char *action, az_result_fn cb, void *ud)
{
	if (strcmp(action, "start") != 0 && strcmp(action, "stop") != 0) {
		az_session_no_invoke(s, kind, id, action, cb, ud);
		return;
	}
	char *read_url = az_synapse_url(s, kind, id, NULL, cb, ud);
	if (!read_url)
		return;
	char *url = az_xasprintf("%.*s/%s%s", (int)strcspn(read_url, "?"), read_url, action,
				 read_url + strcspn(read_url, "?"));
	az_http_request *r = az_session_request("POST", url, AZ_SVC_SYNAPSE);
	/* Starting a started trigger (or stopping a stopped one) changes
	 * nothing, so a lost answer may be retried. */
	r->idempotent = true;
	az_send_options o = {
		.lro = true,
		.timeout_s = kind->create_timeout_s,
		.want_body = true,
		.body_key = "properties",
		.read_url = read_url,
	};
	az_synapse_send(s, kind, id, r, &o, NULL, NULL, cb, ud);
	free(url);
	free(read_url);
}
