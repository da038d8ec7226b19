/*
 * registry.c - which provider serves which az_provider_id.
 *
 * The planner knows providers only through this lookup and the vtables it
 * returns; each vtable lives with its provider (arm/, synapse/, graph/).
 * The lookup hands out each vtable with one addition: every body a put
 * sends passes here first, so the secrets in it are remembered (provider.h)
 * before Azure can echo them in an error, whichever provider sends it.
 */
#include "session/session.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

static const az_provider *provider_of(az_provider_id id)
{
	switch (id) {
	case AZ_PROVIDER_ARM: return &az_provider_arm;
	case AZ_PROVIDER_SYNAPSE: return &az_provider_synapse;
	case AZ_PROVIDER_SYNAPSE_RBAC: return &az_provider_synapse_rbac;
	case AZ_PROVIDER_GRAPH: return &az_provider_graph;
	}
	abort(); /* an id outside the enum is a programming error */
}

static void put_remembering_secrets(az_session *s, const az_kind *kind, const char *id,
				    const json_t *body, const char *etag, az_result_fn cb,
				    void *ud)
{
	az_secret_remember_body(kind, body);
	provider_of(kind->provider)->put(s, kind, id, body, etag, cb, ud);
}

const az_provider *az_provider_get(az_provider_id id)
{
	static az_provider guarded[AZ_PROVIDER_GRAPH + 1];
	static bool ready;
	if (!ready) {
		for (int i = 0; i <= AZ_PROVIDER_GRAPH; i++) {
			guarded[i] = *provider_of((az_provider_id)i);
			guarded[i].put = put_remembering_secrets;
		}
		ready = true;
	}
	return &guarded[id];
}
