/*
 * cmd_auth.c - `azapply auth`: which credential and identity azapply would
 * use, the tenant, audiences and token expiry. Never a token.
 */
#include <stdint.h>
#include <stdlib.h>

#include "cmd.h"

static const az_option AUTH_OPTIONS[] = {
	{"cloud", 0, "NAME|FILE", "AzureCloud, AzureUSGovernment, AzureChinaCloud or a cloud file", NULL},
	{"output", 'o', "FORMAT", "text (default) or json", (const char *const[]){"text", "json", NULL}},
	{NULL, 0, NULL, NULL, NULL},
};

static void print_text(const json_t *v, int depth)
{
	const char *key;
	json_t *child;
	json_object_foreach((json_t *)(uintptr_t)v, key, child) {
		printf("%*s%s:", depth * 2, "", key);
		if (json_is_object(child)) {
			putchar('\n');
			print_text(child, depth + 1);
		} else {
			char *s = json_dumps(child, JSON_COMPACT | JSON_ENCODE_ANY);
			printf(" %s\n", s);
			free(s);
		}
	}
}

static int auth_exec(const az_args *args)
{
	az_diags d = AZ_DIAGS_INIT;
	az_session *session = NULL;
	json_t *info = NULL;
	int rc = AZ_EXIT_ERROR;
	if (az_cmd_open_session(&session, args, NULL, &d) != 0)
		goto done;
	if (az_session_describe(session, &info, &d) != 0) {
		/* The credential says why; an exit 1 alone helps nobody. */
		if (!az_diags_errors(&d))
			az_diag_add(&d, AZ_SEV_ERROR, NULL, NULL, "no credential gave a token");
		goto done;
	}
	if (az_cmd_format(args) == AZ_FORMAT_JSON) {
		json_dumpf(info, stdout, JSON_INDENT(2));
		putchar('\n');
	} else {
		print_text(info, 0);
	}
	rc = AZ_EXIT_OK;
done:
	az_cmd_report(args, &d, az_cmd_format(args));
	json_decref(info);
	az_session_free(session);
	az_diags_clear(&d);
	return rc;
}

const az_command cmd_auth = {
	.name = "auth",
	.summary = "Show which credential and identity azapply would use",
	.usage = "azapply auth [--cloud NAME|FILE] [--output text|json]",
	.description =
		"Tries the credentials in order (environment: client secret or certificate;\n"
		"workload identity; GitHub Actions OIDC; managed identity; Azure CLI, or the\n"
		"one AZAPPLY_AUTH names), gets a token for each audience, and prints the\n"
		"credential, identity, tenant, audiences and expiry. It never prints a token.\n"
		"When no token can be had it says why, once: the credential tried, the\n"
		"tenant, Entra's AADSTS code and what to fix; the exit code is then 1.",
	.options = AUTH_OPTIONS,
	.exec = auth_exec,
};
