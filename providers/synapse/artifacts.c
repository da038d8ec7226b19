/*
 * artifacts.c - Synapse workspace artifacts (AZ_PROVIDER_SYNAPSE): linked
 * services, datasets, pipelines, triggers, notebooks and SQL scripts.
 *
 * Every collection has the same shape on the data plane: PUT, GET and DELETE
 * by name, GET of the collection paged by nextLink. PUT and DELETE answer
 * 202 with a Location of /operationResults/{id} (/notebookOperationResults/
 * for notebooks) and a body that is an operation record, not the artifact
 * (azure-notes, recorded sessions); the LRO engine polls until 200. The
 * PUT's poll ends with the artifact; when it does not, the artifact is read.
 * Trigger start and stop are the one kind-specific operation (trigger.c).
 */
#include "synapse/synapse.h"

#include <stdlib.h>
#include <string.h>

#include "synapse/trigger.h"

static void artifacts_put(az_session *s, const az_kind *kind, const char *id, const json_t *body,
			  const char *etag, az_result_fn cb, void *ud)
{
	char *url = az_synapse_url(s, kind, id, NULL, cb, ud);
	if (!url)
		return;
	az_send_options o = {
		.lro = true,
		.timeout_s = kind->create_timeout_s,
		/* The artifact has properties; the operation record does not. */
		.body_key = "properties",
	};
	az_synapse_send(s, kind, id, az_session_request("PUT", url, AZ_SVC_SYNAPSE), &o, body, etag,
			cb, ud);
	free(url);
}

static void artifacts_invoke(az_session *s, const az_kind *kind, const char *id,
			     const char *action, az_result_fn cb, void *ud)
{
	if (strcmp(kind->type, "triggers") == 0)
		az_synapse_trigger_invoke(s, kind, id, action, cb, ud);
	else
		az_session_no_invoke(s, kind, id, action, cb, ud);
}

const az_provider az_provider_synapse = {
	.abi = AZ_PROVIDER_ABI,
	.id = AZ_PROVIDER_SYNAPSE,
	.list = az_synapse_list,
	.read = az_synapse_read,
	.put = artifacts_put,
	.remove = az_synapse_remove,
	.invoke = artifacts_invoke,
};
