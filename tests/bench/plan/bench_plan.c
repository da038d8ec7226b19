/*
 * bench_plan.c - how fast and how cheaply azapply reads live state.
 *
 * Generates a stack of about 1000 resources (10 Synapse workspaces, each
 * with Spark pools, firewall rules, linked services, notebooks, pipelines
 * and SQL scripts), applies it to the emulator, then plans it again with
 * 50 ms of latency on every request. It prints the requests the plan sent
 * (from the emulator's log), its wall time, and both against the
 * strategy of one GET per resource, ten at a time (Terraform's refresh at
 * its default parallelism), run for real in the same process through
 * azapply's own HTTP client, with the same latency. Targets (issue: planner): at most one request per collection and
 * page, well under 100 in all, and under 1 s.
 *
 * Usage: bench_plan [--workspaces N] [--latency MS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"
#include "stackgen.h"

int main(int argc, char **argv)
{
	int workspaces = 10, latency = 50;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--workspaces") == 0)
			workspaces = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--latency") == 0)
			latency = atoi(argv[i + 1]);
	}
	const char *emu_args[] = {"--throttle-scale", "100", "--retry-after", "0", "--lro-polls", "1",
				  "--page-size", "100", NULL};
	bench b;
	if (bench_start(&b, emu_args) != 0)
		return 1;
	stackgen g = {.stack = "bench", .rg = "rg-bench", .own_rg = 1, .workspaces = workspaces,
		      .pools = 10, .rules = 9, .linked_services = 20, .notebooks = 20,
		      .pipelines = 20, .scripts = 20, .ws_prefix = "synw-bench"};
	int resources = stackgen_write(&g, b.dir);
	printf("stack: %d resources (%d workspaces)\n", resources, workspaces);

	run_result r;
	bench_clear_log(&b);
	const char *apply[] = {"apply", b.dir, "--auto-approve", "--parallelism", "50", NULL};
	double t_apply = bench_azapply(&b, 0, &r, apply);
	run_result_free(&r);
	json_t *urls = bench_written_urls(&b);
	printf("apply from nothing (no latency): %.2f s\n", t_apply);

	char settings[64];
	snprintf(settings, sizeof(settings), "{\"latencyMs\":%d}", latency);
	bench_settings(&b, settings);
	bench_clear_log(&b);
	const char *plan[] = {"plan", b.dir, "--detailed-exitcode", NULL};
	double t_plan = bench_azapply(&b, 0, &r, plan);
	if (!strstr(r.out, "No changes")) {
		fprintf(stderr, "bench: the plan after apply has changes:\n%s", r.out);
		return 1;
	}
	run_result_free(&r);
	size_t gets = 0, writes = 0;
	size_t requests = bench_requests(&b, &gets, &writes);

	/* One GET per resource, ten in flight: the Terraform-style refresh. */
	size_t failed = 0;
	double t_naive = bench_get_each(&b, urls, 10, &failed);
	size_t naive_requests = json_array_size(urls);
	json_decref(urls);
	if (failed) {
		fprintf(stderr, "bench: %zu of the one-GET-per-resource reads failed\n", failed);
		return 1;
	}
	printf("plan with %d ms latency per request:\n", latency);
	printf("  requests: %zu (%zu GET, %zu other), one-GET-per-resource: %zu (%.1fx fewer)\n",
	       requests, gets, writes, naive_requests,
	       (double)naive_requests / (double)(requests ? requests : 1));
	printf("  wall time: %.3f s, one-GET-per-resource 10 at a time (run): %.2f s (%.1fx faster)\n",
	       t_plan, t_naive, t_naive / t_plan);
	printf("  targets: requests < 100: %s, wall time < 1 s: %s\n", requests < 100 ? "met" : "MISSED",
	       t_plan < 1.0 ? "met" : "MISSED");
	bench_stop(&b);
	return 0;
}
