/*
 * mlworkspace.c - Azure ML workspaces (MlWorkspace): a name held by a
 * soft-deleted workspace.
 *
 * A deleted ML workspace is soft-deleted for 14 days and keeps its name in
 * its resource group: creating one of that name answers 400 BadRequest
 * "Soft-deleted workspace exists. Please purge or recover it." (reports of
 * live deployments) - also when azapply replaces a workspace, or applies a
 * stack again after a destroy. The message says what, not how, so the
 * diagnostic gets the two ways out: recover it (the studio's "Recently
 * deleted" list, or the portal), or purge it, which is final: a DELETE of
 * the workspace with forceToPurge=true (workspaceRP.json).
 *
 * azapply's own deletes purge: it deletes a stateful workspace only when
 * told to (a replace with allowReplace, a prune or destroy without
 * preventDestroy), and a replace needs the name at once, as does the apply
 * after a destroy. A workspace deleted outside azapply is left soft-deleted.
 */
#include "arm/arm.h"

#include <stdlib.h>
#include <string.h>

static void remove_purged(az_session *s, const az_kind *kind, const char *id, az_result_fn cb,
			  void *ud)
{
	char *path = az_xasprintf("%s?forceToPurge=true", id);
	char *url = az_arm_url(s, kind, path);
	az_send_options o = {
		.lro = true,
		.timeout_s = kind->delete_timeout_s,
		.missing_ok = true,
	};
	az_session_send(s, az_session_request("DELETE", url, AZ_SVC_ARM), &o, cb, ud);
	free(url);
	free(path);
}

static void explain(const char *id, const json_t *body, az_diags *d)
{
	(void)body;
	const char *slash = strrchr(id, '/');
	const char *name = slash ? slash + 1 : id;
	const char *rg = strstr(id, "/resourceGroups/");
	int rg_len = 0;
	if (rg) {
		rg += strlen("/resourceGroups/");
		rg_len = (int)strcspn(rg, "/");
	}
	for (size_t i = 0; d && i < d->len; i++) {
		az_diag *x = &d->items[i];
		if (x->detail || !x->summary || !strstr(x->summary, "Soft-deleted workspace"))
			continue;
		az_diag_set_detail(
			x,
			"the name '%s' is held by a soft-deleted ML workspace (kept 14 days). Recover "
			"it to keep its data: Azure ML studio or the portal, \"Recently deleted\" "
			"workspaces, then apply again. Or purge it, which cannot be undone: `az ml "
			"workspace delete --name %s --resource-group %.*s --permanently-delete` on a "
			"live workspace, or for the soft-deleted one `az rest --method delete --url "
			"https://management.azure.com%s?api-version=2025-09-01&forceToPurge=true`, "
			"then apply again",
			name, name, rg_len, rg ? rg : "", id);
	}
}

const arm_kind_ops az_arm_mlworkspace_ops = {
	.kind = "MlWorkspace",
	.remove = remove_purged,
	.explain_put = explain,
};
