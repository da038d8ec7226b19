/*
 * fuzz_arm_errors.c - error bodies from Azure (ARM, the flat Synapse shape,
 * Entra's OAuth errors, Graph) into diagnostics. The first byte picks the
 * HTTP status; the rest is the body, as a server could send it.
 */
#include <stddef.h>
#include <stdint.h>

#include "http/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	az_http_response r = {0};
	r.status = 400 + data[0] % 200;
	az_http_headers_add(&r.headers, "x-ms-request-id", "00000000-0000-0000-0000-000000000001");
	az_buf_add(&r.body, data + 1, size - 1);
	az_diags d = AZ_DIAGS_INIT;
	az_http_error_diag(&d, "PUT", "https://management.azure.com/subscriptions/s", &r);
	az_diags_clear(&d);
	az_http_response_reset(&r);
	return 0;
}
