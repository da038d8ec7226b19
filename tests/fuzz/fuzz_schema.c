/*
 * fuzz_schema.c - libFuzzer target for the schema checks: the input is a
 * JSON document, checked against every shipped schema with warnings on, so
 * the format parsers (uuid, date-time, duration, time span, regions), the
 * collection of known property names through anyOf/oneOf forms, the enum
 * case comparison and the suggestions all see hostile input. The first
 * byte picks the kind when the input has none, so seeds stay plain
 * manifests. Crashes, leaks and sanitizer reports are the findings;
 * errors and warnings are expected.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <azapply/schema.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const KINDS[] = {
	"ApplicationInsights", "Credential", "DataFlow", "Dataset", "EntraApplication",
	"FederatedIdentityCredential",
	"IntegrationRuntime", "KeyVault", "KqlScript",
	"LinkedService", "ManagedPrivateEndpoint", "MlCompute", "MlDatastore", "MlOnlineDeployment",
	"MlOnlineEndpoint", "MlWorkspace", "Notebook", "Pipeline", "PrivateEndpoint",
	"ResourceGroup",
	"RoleAssignment", "ServicePrincipal", "SparkJobDefinition", "SparkPool", "SqlPool", "SqlScript", "StorageAccount",
	"StorageContainer", "SynapseFirewallRule", "SynapseRoleAssignment", "SynapseWorkspace",
	"Trigger", "manifest", "project",
};
#define N_KINDS (sizeof(KINDS) / sizeof(KINDS[0]))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t jerr;
	json_t *doc = json_loadb((const char *)data, size, JSON_DECODE_ANY, &jerr);
	if (!doc)
		return 0;
	const char *kind = json_string_value(json_object_get(doc, "kind"));
	const char *pick = KINDS[size ? data[size - 1] % N_KINDS : 0];
	az_diags d = AZ_DIAGS_INIT;
	const az_schema *s = az_schema_builtin(kind ? kind : pick, &d);
	if (!s)
		s = az_schema_builtin(pick, &d);
	az_schema_errors errs = {NULL, 0, 0}, warns = {NULL, 0, 0};
	if (s)
		az_schema_check(s, doc, NULL, NULL, &errs, &warns);
	az_schema_errors_clear(&errs);
	az_schema_errors_clear(&warns);
	az_diags_clear(&d);
	json_decref(doc);
	/* The compiled schemas are kept between runs, as in azapply. */
	return 0;
}
