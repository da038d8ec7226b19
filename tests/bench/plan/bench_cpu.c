/*
 * bench_cpu.c - the CPU and memory azapply spends on a large stack.
 *
 * Generates about 10,000 resources (100 workspaces of 100 resources) and
 * measures, from the child's resource usage, `validate` (load, schemas,
 * variables, graph) and `plan` against an empty emulator subscription
 * (load, validate, graph, refresh, diff of 10,000 creates, rendering),
 * then applies it (--parallelism 50) and measures the plan that matters
 * most, the one that finds nothing to do: every resource read back,
 * diffed against its manifest and its marker checked.
 * Targets (issue: planner): under 0.5 s of CPU for load + validate + graph
 * + diff, under 200 MB peak memory.
 *
 * With --arm-limits the emulator keeps ARM's own per-subscription limits
 * (writes: 200 burst, then 10 a second) and the apply is compared with the
 * bound those put on it: every ARM write beyond the burst costs a tenth of
 * a second, however wide the apply.
 *
 * Usage: bench_cpu [--workspaces N] [--components] [--no-apply] [--hold] [--arm-limits]
 * (--components: the same resources from one component instantiated per
 * workspace)
 * (BENCH_NO_CONFLICTS=1: the emulator's operationConflictMs off;
 * BENCH_PERF=DIR: a perf profile of each azapply run, see bench_common.c)
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"
#include "stackgen.h"

static double cpu_seconds(const run_result *r)
{
	return (double)r->usage.ru_utime.tv_sec + (double)r->usage.ru_utime.tv_usec / 1e6 +
	       (double)r->usage.ru_stime.tv_sec + (double)r->usage.ru_stime.tv_usec / 1e6;
}

/* ARM's write budget per subscription: 200 at once, then 10 a second. */
#define ARM_WRITE_BURST 200
#define ARM_WRITES_PER_S 10

/* The least time ARM's write limit allows the apply just measured: each
 * resource it wrote once (retries after a 429 not counted) beyond the
 * burst costs 1/10 s. */
static void print_write_budget(bench *b, double wall)
{
	json_t *urls = bench_written_urls(b);
	size_t i, writes = 0;
	json_t *u;
	json_array_foreach(urls, i, u)
		writes += strcmp(json_string_value(json_object_get(u, "service")), "arm") == 0;
	json_decref(urls);
	double bound = writes > ARM_WRITE_BURST
			       ? (double)(writes - ARM_WRITE_BURST) / ARM_WRITES_PER_S
			       : 0.0;
	printf("  ARM's write budget: %zu ARM writes, at least %.1f s; the apply took %.2fx that\n",
	       writes, bound, bound > 0 ? wall / bound : 0.0);
}

int main(int argc, char **argv)
{
	int workspaces = 100;
	for (int i = 1; i + 1 < argc; i++)
		if (strcmp(argv[i], "--workspaces") == 0)
			workspaces = atoi(argv[i + 1]);
	bool apply = true, hold = false, arm_limits = false;
	int components = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--components") == 0)
			components = 1;
		if (strcmp(argv[i], "--no-apply") == 0)
			apply = false;
		if (strcmp(argv[i], "--hold") == 0)
			hold = true;
		if (strcmp(argv[i], "--arm-limits") == 0)
			arm_limits = true;
	}
	/* Lists in pages of 100, as ARM's; no waiting on operations or limits:
	 * the figures are azapply's. */
	const char *emu_args[] = {"--throttle-scale", "100", "--retry-after", "0", "--lro-polls", "1",
				  "--page-size", "100", NULL};
	const char *limited_args[] = {"--retry-after", "0", "--lro-polls", "1", "--page-size", "100",
				      NULL};
	bench b;
	if (bench_start(&b, arm_limits ? limited_args : emu_args) != 0)
		return 1;
	stackgen g = {.stack = "cpu", .rg = "rg-cpu", .own_rg = 1, .workspaces = workspaces,
		      .pools = 10, .rules = 9, .linked_services = 20, .notebooks = 20,
		      .pipelines = 20, .scripts = 20, .ws_prefix = "synw-cpu",
		      .components = components};
	if (getenv("BENCH_NO_CONFLICTS"))
		bench_settings(&b, "{\"operationConflictMs\":0}");
	int resources = stackgen_write(&g, b.dir);
	run_result r;
	const char *validate[] = {"validate", b.dir, NULL};
	double wall_v = bench_azapply(&b, 0, &r, validate);
	double cpu_v = cpu_seconds(&r);
	long rss_v = r.usage.ru_maxrss;
	run_result_free(&r);
	const char *plan[] = {"plan", b.dir, "--detailed-exitcode", NULL};
	double wall_p = bench_azapply(&b, 2, &r, plan);
	double cpu_p = cpu_seconds(&r);
	long rss_p = r.usage.ru_maxrss;
	run_result_free(&r);
	printf("stack: %d resources%s\n", resources,
	       components ? ", one component instantiated per workspace" : "");
	printf("  validate: %.3f s CPU, %.3f s wall, %.1f MB peak (target < 0.5 s CPU: %s)\n", cpu_v,
	       wall_v, rss_v / 1024.0, cpu_v < 0.5 ? "met" : "MISSED");
	printf("  plan (empty subscription): %.3f s CPU, %.3f s wall, %.1f MB peak (target < 200 MB: %s)\n",
	       cpu_p, wall_p, rss_p / 1024.0, rss_p < 200 * 1024 ? "met" : "MISSED");
	if (apply) {
		const char *apply_args[] = {"apply", b.dir, "--auto-approve", "--parallelism", "50",
					    NULL};
		double wall_a = bench_azapply(&b, 0, &r, apply_args);
		double cpu_a = cpu_seconds(&r);
		run_result_free(&r);
		double wall_n = bench_azapply(&b, 0, &r, plan);
		if (!strstr(r.out, "No changes")) {
			fprintf(stderr, "bench_cpu: the plan after apply has changes\n");
			return 1;
		}
		double cpu_n = cpu_seconds(&r);
		long rss_n = r.usage.ru_maxrss;
		run_result_free(&r);
		printf("  apply (parallelism 50, no latency%s): %.3f s wall, %.3f s CPU\n",
		       arm_limits ? ", ARM's limits" : "", wall_a, cpu_a);
		if (arm_limits)
			print_write_budget(&b, wall_a);
		printf("  plan (no changes): %.3f s CPU, %.3f s wall, %.1f MB peak\n", cpu_n, wall_n,
		       rss_n / 1024.0);
	}
	if (hold) {
		/* The emulator and the stack stay for profiling one command at
		 * a time: `. DIR/env` then `perf record azapply plan DIR`. */
		char path[600];
		snprintf(path, sizeof(path), "%s/env", b.dir);
		FILE *f = fopen(path, "w");
		for (size_t i = 0; f && b.env[i]; i++)
			fprintf(f, "export '%s'\n", b.env[i]);
		if (f)
			fclose(f);
		printf("held: stack and env in %s; end with a line on stdin\n", b.dir);
		fflush(stdout);
		(void)getchar();
	}
	bench_stop(&b);
	return 0;
}
