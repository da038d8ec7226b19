/*
 * arm.h - the ARM resource kinds the emulator serves, as data (arm_kinds.c)
 * read by the generic resource handler (arm.c).
 */
#ifndef AZAPPLY_EMU_ARM_H
#define AZAPPLY_EMU_ARM_H

#include "emu.h"

/* How a write answers (azure-notes.md, "Behaviour seen"). */
typedef enum emu_lro {
	EMU_LRO_SYNC,     /* 200/201 with the body */
	EMU_LRO_ASYNC,    /* 201 (PUT) or 202 + Azure-AsyncOperation only */
	EMU_LRO_LOCATION, /* 202 + Location only, empty body */
	EMU_LRO_BOTH,     /* 202 + Azure-AsyncOperation and Location */
} emu_lro;

typedef struct emu_enum {
	const char *path;
	const char *values; /* "|A|B|C|", compared case-insensitively */
} emu_enum;

typedef struct emu_arm_kind {
	const char *type;
	const char *const *api_versions;
	emu_lro put_lro;
	emu_lro patch_lro;
	emu_lro delete_lro;
	int delete_final_status; /* what the Location poll ends with for DELETE */
	bool monitor_url;        /* Storage: .../asyncoperations/{id}?monitor=true */
	const char *const *required;
	const char *const *create_only;
	const char *const *write_only; /* accepted, never returned */
	const emu_enum *enums;
	const az_server_default *defaults;
	/* Its spec gives it an etag (blob containers: AzureEntityResource;
	 * Application Insights components: etag): returned, new on every
	 * write, and If-Match / If-None-Match honoured. */
	bool etag;
	/* The etag's form: weak uuid W/"..." unless the provider's recordings
	 * show another (Storage: "0x8D...", also sent as the ETag header;
	 * Application Insights: a quoted uuid-like "..."; Synapse integration
	 * runtimes: a bare uuid-like, IntegrationRuntimes_Get.json). */
	enum { EMU_ETAG_WEAK, EMU_ETAG_STORAGE, EMU_ETAG_QUOTED, EMU_ETAG_PLAIN } etag_form;
	/* Server-made values a write keeps from the resource it replaces
	 * (Application Insights keys and ids, recordings). */
	const char *const *kept;
	/* A missing child of an existing parent is answered by the resource
	 * provider, not ARM's gateway (no x-ms-failure-cause): this code and
	 * message (recordings: ContainerNotFound). NULL: ARM's ResourceNotFound. */
	const char *missing_code, *missing_message;
	/* Paths a create's first answer leaves out while it runs (SQL pools:
	 * status, recordings). */
	const char *const *absent_while_creating;
	bool implicit;         /* exists with its parent (blobServices/default) */
	bool patch_tags_only;  /* Spark pools: PATCH changes tags only */
	bool provisioning;     /* has properties.provisioningState */
	/* Status codes that differ from the style's usual one (recordings):
	 * firewall rule PUT 201 with both headers, workspace PATCH 201. */
	int put_status;
	int patch_status;
	/* Updates report this provisioningState (Spark pools: Provisioning). */
	const char *updating_state;
	/* Creates report this one (ML computes: Creating); NULL: Provisioning. */
	const char *creating_state;
	/* The status URLs' segment when not operationStatuses (ML: .../locations/
	 * {l}/computeOperationsStatus/{id}, workspaceOperationsStatus/{id}); their
	 * documents are {"status"} and, once done, percentComplete. */
	const char *status_segment;
	/* A PATCH's 202 has no body (ML workspaces, recordings). */
	bool patch_no_body;
	/* Status URLs hang off the workspace (Microsoft.Synapse recordings:
	 * .../workspaces/{ws}/operationStatuses/{id}), not the location. */
	bool status_on_workspace;
	/* Status URLs hang off the subscription (resource group delete:
	 * /subscriptions/{s}/operationresults/{id}, recordings). */
	bool status_on_subscription;
	/* Server-computed fields (endpoints, ids, timestamps) on create/update. */
	void (*fill)(emu_server *s, json_t *res, const char *name, bool create);
	/* Rules between resources a write of `res` (the body it would leave,
	 * at `lid`) or a delete must keep: false with the answer in `r`.
	 * Called with the server locked. */
	bool (*check_write)(emu_server *s, const char *lid, json_t *res, emu_resp *r);
	bool (*check_delete)(emu_server *s, const char *lid, json_t *res, emu_resp *r);
} emu_arm_kind;

const emu_arm_kind *emu_arm_kind_find(const char *type);

/* Blob container leases (arm_lease.c); `meta` is the container's hidden
 * metadata in the store. Called with the server locked. */
void emu_arm_container_lease(emu_server *s, const emu_req *q, emu_resp *r, json_t *meta);
bool emu_lease_active(const json_t *meta, long long now_ms);
/* An operation nobody polls ends by itself this long after it started. */
#define EMU_OP_UNWATCHED_MS 5000
void emu_arm_end_unwatched_op(emu_server *s, const char *lid);
void emu_lease_present(json_t *container, const json_t *meta, long long now_ms);
const emu_arm_kind *const *emu_arm_kinds(size_t *count);
emu_lro emu_lro_parse(const char *s, emu_lro fallback);
const char *emu_lro_name(emu_lro l);

typedef struct emu_role {
	const char *name;
	const char *id;
	const char *description;
} emu_role;

extern const emu_role emu_builtin_roles[];
extern const size_t emu_builtin_roles_count;

#endif
