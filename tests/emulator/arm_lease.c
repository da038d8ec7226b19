/*
 * arm_lease.c - the blob container lease of the Storage resource provider:
 * POST .../blobServices/default/containers/{name}/lease (BlobContainers_Lease
 * in the Storage REST spec, examples BlobContainersLease_Acquire.json and
 * BlobContainersLease_Break.json).
 *
 * A lease is a lock on a container: Acquire (leaseDuration -1 = infinite,
 * or 15 to 60 seconds) answers {"leaseId"}; a second Acquire while the lease
 * is active answers 409 LeaseAlreadyPresent; Renew, Change and Release must
 * name the lease id (409 LeaseIdMismatchWithLeaseOperation otherwise);
 * Break needs none and answers {"leaseTimeSeconds"}. The container's
 * properties show leaseState (Available, Leased, Expired, Broken),
 * leaseStatus (Locked, Unlocked) and leaseDuration (Infinite, Fixed) as
 * Azure's do, whatever a PUT of the container sent. The lease lives in the
 * emulator's hidden metadata, as Azure never returns its id on a read.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arm.h"

/* The lease as a read shows it: properties.leaseState, leaseStatus and
 * leaseDuration are the service's view of the lease, never what a PUT of
 * the container sent. */
void emu_lease_present(json_t *container, const json_t *meta, long long now_ms)
{
	json_t *props = json_object_get(container, "properties");
	if (!json_is_object(props))
		return;
	const char *state = json_string_value(json_object_get(meta, "leaseState"));
	bool active = emu_lease_active(meta, now_ms);
	if (!active && state && !strcmp(state, "Leased"))
		state = "Expired";
	json_object_set_new(props, "leaseState", json_string(active ? "Leased" : state ? state : "Available"));
	json_object_set_new(props, "leaseStatus", json_string(active ? "Locked" : "Unlocked"));
	if (active)
		json_object_set(props, "leaseDuration", json_object_get(meta, "leaseDuration"));
	else
		json_object_del(props, "leaseDuration");
}

static void set_state(json_t *meta, const char *state, const char *duration)
{
	json_object_set_new(meta, "leaseState", json_string(state));
	if (duration)
		json_object_set_new(meta, "leaseDuration", json_string(duration));
	else
		json_object_del(meta, "leaseDuration");
}

/* An active lease: Leased, and not a fixed one that has run out. */
bool emu_lease_active(const json_t *meta, long long now_ms)
{
	const char *id = json_string_value(json_object_get(meta, "leaseId"));
	json_int_t expires = json_integer_value(json_object_get(meta, "leaseExpiresMs"));
	return id && (expires == 0 || now_ms < expires);
}

static void lease_answer(emu_resp *r, const char *key, const char *value)
{
	emu_resp_json(r, 200, json_pack("{s:s}", key, value));
}

void emu_arm_container_lease(emu_server *s, const emu_req *q, emu_resp *r, json_t *meta)
{
	const json_t *body = q->json;
	const char *action = json_string_value(json_object_get(body, "action"));
	const char *given = json_string_value(json_object_get(body, "leaseId"));
	const char *proposed = json_string_value(json_object_get(body, "proposedLeaseId"));
	const char *held = json_string_value(json_object_get(meta, "leaseId"));
	bool active = emu_lease_active(meta, q->now_ms);
	if (!action) {
		emu_resp_arm_error(r, 400, "InvalidRequestPropertyValue",
				   "The value for one of the properties in the request body is "
				   "invalid: action is required.");
		return;
	}
	if (!strcasecmp(action, "Acquire")) {
		json_t *d = json_object_get(body, "leaseDuration");
		json_int_t duration = json_is_integer(d) ? json_integer_value(d) : -1;
		if (duration != -1 && (duration < 15 || duration > 60)) {
			emu_resp_arm_error(r, 400, "InvalidHeaderValue",
					   "The value for one of the HTTP headers is not in the "
					   "correct format: leaseDuration must be -1 or 15 to 60.");
			return;
		}
		if (active && !(proposed && held && !strcasecmp(proposed, held))) {
			emu_resp_arm_error(r, 409, "LeaseAlreadyPresent",
					   "There is already a lease present.");
			return;
		}
		char *id = proposed ? strdup(proposed) : emu_uuid(s);
		json_object_set_new(meta, "leaseId", json_string(id));
		json_object_set_new(meta, "leaseExpiresMs",
				    json_integer(duration == -1 ? 0 : q->now_ms + duration * 1000));
		set_state(meta, "Leased", duration == -1 ? "Infinite" : "Fixed");
		lease_answer(r, "leaseId", id);
		free(id);
		return;
	}
	if (!strcasecmp(action, "Break")) {
		if (!held) {
			emu_resp_arm_error(r, 409, "LeaseNotPresentWithLeaseOperation",
					   "There is currently no lease on the container.");
			return;
		}
		json_object_del(meta, "leaseId");
		json_object_del(meta, "leaseExpiresMs");
		set_state(meta, "Broken", NULL);
		lease_answer(r, "leaseTimeSeconds", "0");
		return;
	}
	if (strcasecmp(action, "Renew") && strcasecmp(action, "Change") &&
	    strcasecmp(action, "Release")) {
		emu_resp_arm_error(r, 400, "InvalidRequestPropertyValue",
				   "The value '%s' is not valid for action.", action);
		return;
	}
	if (!held || (!active && strcasecmp(action, "Renew"))) {
		emu_resp_arm_error(r, 409, "LeaseNotPresentWithLeaseOperation",
				   "There is currently no lease on the container.");
		return;
	}
	if (!given || strcasecmp(given, held)) {
		emu_resp_arm_error(r, 409, "LeaseIdMismatchWithLeaseOperation",
				   "The lease ID specified did not match the lease ID for the "
				   "container.");
		return;
	}
	if (!strcasecmp(action, "Release")) {
		json_object_del(meta, "leaseId");
		json_object_del(meta, "leaseExpiresMs");
		set_state(meta, "Available", NULL);
		emu_resp_json(r, 200, json_object());
		return;
	}
	if (!strcasecmp(action, "Change")) {
		if (!proposed) {
			emu_resp_arm_error(r, 400, "InvalidRequestPropertyValue",
					   "proposedLeaseId is required to change a lease.");
			return;
		}
		json_object_set_new(meta, "leaseId", json_string(proposed));
		lease_answer(r, "leaseId", proposed);
		return;
	}
	lease_answer(r, "leaseId", held); /* Renew */
}
