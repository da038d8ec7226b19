/*
 * bench_http.c - how well the one event loop overlaps requests.
 *
 * Starts the emulator, makes every answer take --latency ms, then sends
 * --requests authenticated GETs through the HTTP client with at most
 * --concurrency in flight. With the loop doing its job the wall time is
 * close to requests / concurrency x latency. Prints the figures; asserts
 * nothing about timing (the machine is shared).
 *
 *   bench_http [--requests N] [--concurrency C] [--latency MS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/auth.h"
#include "harness.h"
#include "http/http.h"

typedef struct tally {
	int done;
	int failed;
} tally;

static void on_done(void *ud, int err, const az_http_response *resp, az_diags *d)
{
	tally *t = ud;
	(void)resp;
	t->done++;
	if (err) {
		t->failed++;
		if (t->failed == 1 && d->len)
			fprintf(stderr, "bench_http: first failure: %s\n", d->items[0].summary);
	}
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long arg_long(int argc, char **argv, const char *name, long def)
{
	for (int i = 1; i + 1 < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return strtol(argv[i + 1], NULL, 10);
	return def;
}

int main(int argc, char **argv)
{
	int rc = 1;
	long requests = arg_long(argc, argv, "--requests", 1000);
	long concurrency = arg_long(argc, argv, "--concurrency", 32);
	long latency = arg_long(argc, argv, "--latency", 50);
	emu *e = NULL;
	az_cloud *cloud = NULL;
	az_credential *cred = NULL;
	az_http_client *c = NULL;
	az_diags d = AZ_DIAGS_INIT;
	if (emu_start(&e, NULL) != 0)
		goto done;
	/* Lift ARM's throttling far above what the benchmark sends. */
	if (emu_control(e, "PUT", "settings", "{\"throttleScale\":1000}", NULL) != 200)
		goto done;
	setenv("AZURE_TENANT_ID", emu_tenant_id(e), 1);
	setenv("AZURE_CLIENT_ID", emu_client_id(e), 1);
	setenv("AZURE_CLIENT_SECRET", emu_client_secret(e), 1);
	unsetenv("AZAPPLY_AUTH");
	if (az_cloud_load_file(&cloud, emu_cloud_config(e), &d) != 0)
		goto done;
	az_http_options o;
	az_http_options_init(&o);
	o.max_in_flight = (int)concurrency;
	az_transport tp;
	if (az_curl_transport_new(&tp, cloud->ca_certificate, &d) != 0)
		goto done;
	c = az_http_client_new(&o, &tp, cloud);
	if (az_credential_new(&cred, cloud, NULL, &d) != 0)
		goto done;
	az_token_source src = az_credential_token_source(cred);
	az_http_client_set_tokens(c, &src);
	char *url = az_xasprintf("%s/subscriptions/%s/resourcegroups?api-version=2021-04-01",
	                         cloud->resource_manager, emu_subscription_id(e));

	/* Warm up: the token and one connection, outside the measurement. */
	tally warm = {0, 0};
	az_http_request *r = az_http_request_new("GET", url);
	r->svc = AZ_SVC_ARM;
	az_http_submit(c, r, on_done, &warm);
	az_http_run(c);
	if (warm.failed) {
		free(url);
		goto done;
	}
	char *lat = az_xasprintf("{\"ms\":%ld}", latency);
	emu_control(e, "PUT", "latency", lat, NULL);
	free(lat);

	tally t = {0, 0};
	double start = now_s();
	for (long i = 0; i < requests; i++) {
		r = az_http_request_new("GET", url);
		r->svc = AZ_SVC_ARM;
		az_http_submit(c, r, on_done, &t);
	}
	az_http_run(c);
	double wall = now_s() - start;
	free(url);
	double ideal = (double)requests / (double)concurrency * (double)latency / 1000.0;
	printf("requests:        %ld (%d failed)\n", requests, t.failed);
	printf("concurrency:     %ld\n", concurrency);
	printf("latency:         %ld ms per answer\n", latency);
	printf("wall time:       %.3f s\n", wall);
	printf("ideal:           %.3f s (requests / concurrency x latency)\n", ideal);
	printf("overhead:        %.1f%%\n", ideal > 0 ? (wall / ideal - 1.0) * 100.0 : 0.0);
	printf("max in flight:   %d\n", az_http_max_seen_in_flight(c));
	printf("throughput:      %.1f requests/s\n", (double)requests / wall);
	rc = t.failed ? 1 : 0;
done:
	for (size_t i = 0; i < d.len; i++)
		fprintf(stderr, "bench_http: %s\n", d.items[i].summary);
	az_diags_clear(&d);
	az_http_client_free(c);
	az_credential_free(cred);
	az_cloud_free(cloud);
	emu_stop(e);
	return rc;
}
