/*
 * bench_scale.c - how azapply's cost grows with the stack: validate, the
 * apply from nothing and the no-changes plan after it, at 1,001, 10,001
 * and 50,001 resources (10, 100 and 500 workspaces of bench_cpu's shape),
 * each as separate `azapply` runs against the emulator (pages of 100, no
 * latency, operations ending on their first poll, no operation
 * conflicts), so the figures are azapply's own.
 *
 * validate, the apply and the no-changes plan run --rounds times each
 * (the median is printed, with the spread); each apply from nothing on an
 * emulator of its own, the plans against the last. Then the growth: the least-squares slope of log(cost)
 * against log(resources), per measure: 1.0 is linear, 2.0 quadratic.
 * Target (issue: performance at scale): below 1.1 from 10k to 50k.
 * Last, the no-changes plan again with 50 ms of latency on every request,
 * where a plan's wall time is its waves of lists, not its CPU. Each row
 * also gives the emulator's CPU during the command (GET /_emulator/usage,
 * read before and after it: the two reads' own millisecond is counted in,
 * as validate's row shows): on two cores an apply's wall time is at least
 * the two CPUs' sum over two.
 *
 * Usage: bench_scale [--rounds N] [--sizes K] (K: the first K sizes, 1-3)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"
#include "stackgen.h"

#define MAX_ROUNDS 15

static double cpu_seconds(const run_result *r)
{
	return (double)r->usage.ru_utime.tv_sec + (double)r->usage.ru_utime.tv_usec / 1e6 +
	       (double)r->usage.ru_stime.tv_sec + (double)r->usage.ru_stime.tv_usec / 1e6;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), by_value);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

typedef struct measure {
	double cpu, wall, peak_mb, emulator_cpu;
} measure;

/* Before each round but the first, when not NULL (a fresh emulator). */
typedef void (*before_round_fn)(bench *b);

/* `rounds` runs of argv; medians of CPU, wall, peak and page faults, the
 * CPU spread printed. Faults are printed because on a virtual machine each
 * one costs microseconds of the command's CPU (providers/api/heap.c). So
 * is the emulator's CPU during the command: it shares the two cores, and
 * an apply's wall time cannot be below the sum of both CPUs over two. */
static measure rounds_of(bench *b, int want, const char *const *argv, int rounds, const char *what,
			 before_round_fn before)
{
	double cpu[MAX_ROUNDS], wall[MAX_ROUNDS], peak[MAX_ROUNDS], faults[MAX_ROUNDS];
	double emulator[MAX_ROUNDS];
	for (int i = 0; i < rounds; i++) {
		if (i > 0 && before)
			before(b);
		run_result r;
		double emulator_before = bench_emulator_cpu(b);
		wall[i] = bench_azapply(b, want, &r, argv);
		emulator[i] = bench_emulator_cpu(b) - emulator_before;
		cpu[i] = cpu_seconds(&r);
		peak[i] = (double)r.usage.ru_maxrss / 1024.0;
		faults[i] = (double)r.usage.ru_minflt + (double)r.usage.ru_majflt;
		run_result_free(&r);
	}
	measure m = {.cpu = median(cpu, rounds), .wall = median(wall, rounds),
		     .peak_mb = median(peak, rounds), .emulator_cpu = median(emulator, rounds)};
	printf("  %-10s %7.3f s CPU (%.3f-%.3f), %7.3f s wall, %6.1f MB peak, %6.0f faults, "
	       "emulator %.3f s CPU\n",
	       what, m.cpu, cpu[0], cpu[rounds - 1], m.wall, m.peak_mb, median(faults, rounds),
	       m.emulator_cpu);
	return m;
}

/* The least-squares slope of log(y) against log(x). */
static double slope(const double *x, const double *y, int n)
{
	double sx = 0, sy = 0, sxx = 0, sxy = 0;
	for (int i = 0; i < n; i++) {
		double lx = log(x[i]), ly = log(y[i]);
		sx += lx;
		sy += ly;
		sxx += lx * lx;
		sxy += lx * ly;
	}
	return (n * sxy - sx * sy) / (n * sxx - sx * sx);
}

static const char *const emu_args[] = {"--throttle-scale", "100", "--retry-after", "0",
				       "--lro-polls", "1", "--page-size", "100", NULL};

static void no_conflicts(bench *b)
{
	bench_settings(b, "{\"operationConflictMs\":0}");
}

/* An apply from nothing again: the machine's noise moves one apply by a
 * third (README), so the apply is a median of rounds too. */
static void fresh_emulator(bench *b)
{
	if (bench_restart_emulator(b, emu_args) != 0) {
		fprintf(stderr, "bench_scale: cannot start the emulator again\n");
		exit(1);
	}
	no_conflicts(b);
}

int main(int argc, char **argv)
{
	int rounds = bench_arg(argc, argv, "--rounds", 3);
	int sizes = bench_arg(argc, argv, "--sizes", 3);
	if (rounds < 1 || rounds > MAX_ROUNDS || sizes < 2 || sizes > 3) {
		fprintf(stderr, "bench_scale: --rounds 1-%d, --sizes 2-3\n", MAX_ROUNDS);
		return 64;
	}
	static const int workspaces[] = {10, 100, 500};
	double n[3];
	measure validate[3], apply[3], plan[3];
	for (int k = 0; k < sizes; k++) {
		bench b;
		if (bench_start(&b, emu_args) != 0)
			return 1;
		no_conflicts(&b);
		stackgen g = {.stack = "scale", .rg = "rg-scale", .own_rg = 1,
			      .workspaces = workspaces[k], .pools = 10, .rules = 9,
			      .linked_services = 20, .notebooks = 20, .pipelines = 20,
			      .scripts = 20, .ws_prefix = "synw-scale"};
		n[k] = stackgen_write(&g, b.dir);
		printf("%.0f resources (%d workspaces), median of %d rounds:\n", n[k], workspaces[k],
		       rounds);
		const char *v[] = {"validate", b.dir, NULL};
		validate[k] = rounds_of(&b, 0, v, rounds, "validate", NULL);
		const char *a[] = {"apply", b.dir, "--auto-approve", "--parallelism", "50", NULL};
		apply[k] = rounds_of(&b, 0, a, rounds, "apply", fresh_emulator);
		const char *p[] = {"plan", b.dir, "--detailed-exitcode", NULL};
		plan[k] = rounds_of(&b, 0, p, rounds, "plan", NULL);
		bench_settings(&b, "{\"latencyMs\":50}");
		rounds_of(&b, 0, p, rounds, "plan 50 ms", NULL);
		bench_stop(&b);
		fflush(stdout);
	}
	double y[3];
	printf("growth (log-log slope over %d sizes; 1.0 linear):\n", sizes);
	struct {
		const char *name;
		const measure *m;
	} rows[] = {{"validate", validate}, {"apply", apply}, {"plan", plan}};
	for (size_t r = 0; r < 3; r++) {
		for (int k = 0; k < sizes; k++)
			y[k] = rows[r].m[k].cpu;
		double all = slope(n, y, sizes), last = slope(n + sizes - 2, y + sizes - 2, 2);
		for (int k = 0; k < sizes; k++)
			y[k] = rows[r].m[k].wall;
		double wall_last = slope(n + sizes - 2, y + sizes - 2, 2);
		printf("  %-10s CPU %.2f (%.2f over the last two sizes), wall %.2f over the last two\n",
		       rows[r].name, all, last, wall_last);
	}
	return 0;
}
