/*
 * keyvault.c - Key Vaults (KeyVault): a name held by a deleted vault.
 *
 * Soft delete is always on for new vaults: a deleted vault keeps its name
 * for the retention period (90 days by default), and creating a vault of
 * that name fails with 409 ConflictError "A vault with the same name
 * already exists in deleted state" - also when azapply replaces a vault.
 * Azure's message names no way out, so the diagnostic gets one: recover
 * the deleted vault, or purge it (which is final) and apply again.
 */
#include "arm/arm.h"

#include <string.h>
#include <strings.h>

/* The vault's name and, from its body, its location. */
static void explain(const char *id, const json_t *body, az_diags *d)
{
	const char *slash = strrchr(id, '/');
	const char *name = slash ? slash + 1 : id;
	const char *location = json_string_value(json_object_get(body, "location"));
	for (size_t i = 0; d && i < d->len; i++) {
		az_diag *x = &d->items[i];
		if (x->detail || !x->code || strcmp(x->code, "ConflictError") != 0 ||
		    !x->summary || !strstr(x->summary, "deleted state"))
			continue;
		az_diag_set_detail(
			x,
			"the name '%s' is held by a deleted vault (soft delete keeps it for its "
			"retention period). Recover it to keep its keys and secrets: `az keyvault "
			"recover --name %s`, or set properties.createMode: recover and apply. Or "
			"purge it, which cannot be undone: `az keyvault purge --name %s --location "
			"%s` (POST /subscriptions/{s}/providers/Microsoft.KeyVault/locations/%s/"
			"deletedVaults/%s/purge), then apply again",
			name, name, name, location ? location : "<location>",
			location ? location : "{location}", name);
	}
}

const arm_kind_ops az_arm_keyvault_ops = {
	.kind = "KeyVault",
	.explain_put = explain,
};
