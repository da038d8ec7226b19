/*
 * cmd_auth.c - `azapply auth`: which credential and identity azapply would
 * use, the tenant, audiences and token expiry. Never a token.
 */
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "cmd.h"

static const az_option AUTH_OPTIONS[] = {
	{"cloud", 0, "NAME|FILE", "AzureCloud, AzureUSGovernment, AzureChinaCloud or a cloud file", NULL},
	{"output", 'o', "FORMAT", "text (default) or json", (const char *const[]){"text", "json", NULL}},
	{NULL, 0, NULL, NULL, NULL},
};

/* "in 54 min", "in 2 h 5 min", "3 min ago": how far `when` is from `now`. */
static void relative_time(char *out, size_t size, time_t when, time_t now)
{
	long long s = (long long)(when - now);
	long long m = (s < 0 ? -s : s) / 60;
	char span[48];
	if (m >= 60)
		snprintf(span, sizeof(span), "%lld h %lld min", m / 60, m % 60);
	else if (m > 0)
		snprintf(span, sizeof(span), "%lld min", m);
	else
		snprintf(span, sizeof(span), "%lld s", s < 0 ? -s : s);
	snprintf(out, size, s < 0 ? "%s ago" : "in %s", span);
}

/* Token expiry as the user reads it: the JWT's epoch seconds become an
 * RFC 3339 UTC time (JSON), and in text also how long is left. */
static void humanize_expiry(json_t *info, bool text, time_t now)
{
	size_t i;
	json_t *aud;
	json_array_foreach(json_object_get(info, "audiences"), i, aud) {
		json_t *exp = json_object_get(aud, "expiresOn");
		if (!json_is_integer(exp))
			continue;
		time_t when = (time_t)json_integer_value(exp);
		struct tm tm;
		char stamp[32], rel[64];
		gmtime_r(&when, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
		relative_time(rel, sizeof(rel), when, now);
		json_object_set_new(aud, "expiresOn",
				    text ? json_sprintf("%s (%s)", stamp, rel) : json_string(stamp));
	}
}

static void print_text(const json_t *v, int depth)
{
	const char *key;
	json_t *child;
	json_object_foreach((json_t *)(uintptr_t)v, key, child) {
		printf("%*s%s:", depth * 2, "", key);
		if (json_is_object(child)) {
			putchar('\n');
			print_text(child, depth + 1);
		} else if (json_is_array(child)) {
			putchar('\n');
			size_t i;
			json_t *item;
			json_array_foreach(child, i, item) {
				if (json_is_object(item)) {
					printf("%*s-\n", depth * 2 + 2, "");
					print_text(item, depth + 2);
				} else {
					char *s = az_json_dumps(item, JSON_COMPACT | JSON_ENCODE_ANY);
					printf("%*s- %s\n", depth * 2 + 2, "", s);
					free(s);
				}
			}
		} else {
			char *s = json_is_string(child) ? NULL
							: az_json_dumps(child, JSON_COMPACT | JSON_ENCODE_ANY);
			printf(" %s\n", s ? s : json_string_value(child));
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
	humanize_expiry(info, az_cmd_format(args) != AZ_FORMAT_JSON, time(NULL));
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
		"credential, identity, tenant, audiences and expiry (RFC 3339, UTC; in text\n"
		"also how long is left). It never prints a token.\n"
		"When no token can be had it says why, once: the credential tried, the\n"
		"tenant, Entra's AADSTS code and what to fix; the exit code is then 1.",
	.options = AUTH_OPTIONS,
	.exec = auth_exec,
};
