/*
 * fuzz_url.c - URLs that come from servers (nextLink, Location,
 * Azure-AsyncOperation): parsing their origin, deciding whether a token may
 * go there, and redacting them for the trace.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cloud/cloud.h"
#include "http/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static az_cloud *cloud;
	if (!cloud) {
		az_diags d = AZ_DIAGS_INIT;
		if (az_cloud_builtin(&cloud, "AzureCloud", &d) != 0)
			abort();
		az_diags_clear(&d);
	}
	char *url = malloc(size + 1);
	memcpy(url, data, size);
	url[size] = '\0';
	az_url_origin origin;
	az_url_origin_parse(&origin, url);
	az_cloud_url_allowed(cloud, AZ_SVC_ARM, url);
	az_cloud_url_allowed(cloud, AZ_SVC_SYNAPSE, url);
	char *redacted = az_http_redact_url(url);
	free(redacted);
	free(url);
	return 0;
}
