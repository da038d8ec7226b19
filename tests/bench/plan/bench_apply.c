/*
 * bench_apply.c - applying many Synapse artifacts at once.
 *
 * Two workspaces get 200 independent pipelines each, with 50 ms of latency
 * on every request and 3 status polls per operation: one apply with the
 * given parallelism, one with parallelism 1 (the way the Synapse
 * deployment task deploys: one artifact at a time). Prints both wall times
 * and the speed-up. Targets, for the defaults: at least 10x (issue: apply),
 * and at least 33x, within 1.5x of the parallel bound (issue: performance
 * at scale).
 *
 * Usage: bench_apply [--artifacts N] [--parallelism N] [--latency MS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench_common.h"
#include "stackgen.h"

static void make_stack(bench *b, const char *name, const char *ws, int own_rg, char *dir,
		       size_t dir_len)
{
	snprintf(dir, dir_len, "%s/%s", b->dir, name);
	mkdir(dir, 0700);
	/* One rule, the runner's: without it the workspace's data plane
	 * refuses the benchmark as Azure's firewall refuses any address. */
	stackgen g = {.stack = name, .rg = "rg-bench-apply", .own_rg = own_rg, .workspaces = 1,
		      .rules = 1, .ws_prefix = ws};
	stackgen_write(&g, dir);
}

int main(int argc, char **argv)
{
	int artifacts = bench_arg(argc, argv, "--artifacts", 200);
	int parallelism = bench_arg(argc, argv, "--parallelism", 50);
	int latency = bench_arg(argc, argv, "--latency", 50);
	const char *emu_args[] = {"--throttle-scale", "100", "--retry-after", "0", "--lro-polls", "1", NULL};
	bench b;
	if (bench_start(&b, emu_args) != 0)
		return 1;
	char par[4096], seq[4096];
	make_stack(&b, "parallel", "synw-par", 1, par, sizeof(par));
	make_stack(&b, "sequential", "synw-seq", 0, seq, sizeof(seq));
	run_result r;
	const char *base_par[] = {"apply", par, "--auto-approve", NULL};
	bench_azapply(&b, 0, &r, base_par);
	run_result_free(&r);
	const char *base_seq[] = {"apply", seq, "--auto-approve", NULL};
	bench_azapply(&b, 0, &r, base_seq);
	run_result_free(&r);

	stackgen_write_pipelines(par, "ws000", artifacts, "pipelines.yaml");
	stackgen_write_pipelines(seq, "ws000", artifacts, "pipelines.yaml");
	double t_par, t_seq;
	bench_apply_parallel_and_serial(&b, par, seq, parallelism, latency, &t_par, &t_seq);

	printf("%d pipelines, %d ms latency per request, 3 polls per operation:\n", artifacts, latency);
	printf("  parallelism %d: %.2f s\n", parallelism, t_par);
	printf("  one at a time: %.2f s\n", t_seq);
	double speedup = t_seq / t_par;
	printf("  speed-up: %.1fx", speedup);
	if (artifacts == 200 && parallelism == 50 && latency == 50)
		printf(" (target 10x: %s; target 33x: %s)", speedup >= 10 ? "met" : "MISSED",
		       speedup >= 33 ? "met" : "MISSED");
	printf("\n");
	bench_stop(&b);
	return 0;
}
