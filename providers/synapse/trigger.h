/*
 * trigger.h - the operations of Synapse triggers (start, stop).
 */
#ifndef AZAPPLY_SYNAPSE_TRIGGER_H
#define AZAPPLY_SYNAPSE_TRIGGER_H

#include "synapse/synapse.h"

/* "start" or "stop", waited for; calls back with the trigger as it is after. */
void az_synapse_trigger_invoke(az_session *s, const az_kind *kind, const char *id,
			       const char *action, az_result_fn cb, void *ud);

#endif
