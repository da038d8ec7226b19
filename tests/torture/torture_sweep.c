/*
 * torture_sweep.c - the whole torture sweep (torture.h), as a benchmark is
 * run: by hand, printing figures, never under ctest (it takes minutes).
 *
 *   torture_sweep [--every N] [--alloc-every N] [--seconds S]
 *
 * Every request point in each of the three modes (--every N: every Nth),
 * and every 100th allocation point (--alloc-every 1 tries them all, some
 * 50,000: hours). Each failure is printed as found, with its request and
 * the runs' output; the summary says how many points were tried, how many
 * failed, and whether every run converged. Exits 1 when a point failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "torture.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int usage(void)
{
	fprintf(stderr, "usage: torture_sweep [--every N] [--alloc-every N] [--seconds S]\n");
	return 64;
}

typedef struct tally {
	size_t tried, failed, clean_failures, diverged;
} tally;

static void try_point(torture *t, torture_mode mode, size_t k, tally *tl)
{
	torture_result r;
	torture_point(t, mode, k, &r);
	tl->tried++;
	tl->clean_failures += r.failed_cleanly;
	tl->diverged += !r.converged;
	if (!r.ok) {
		tl->failed++;
		printf("FAILED %s\n", r.report);
	}
	fflush(stdout);
	torture_result_free(&r);
}

int main(int argc, char **argv)
{
	long every = 1, alloc_every = 100, seconds = 120;
	for (int i = 1; i < argc; i++) {
		long *to = !strcmp(argv[i], "--every")         ? &every
			   : !strcmp(argv[i], "--alloc-every") ? &alloc_every
			   : !strcmp(argv[i], "--seconds")     ? &seconds
							       : NULL;
		if (!to || i + 1 >= argc || (*to = strtol(argv[++i], NULL, 10)) <= 0)
			return usage();
	}
	double start = now_s();
	torture *t = NULL;
	if (torture_open(&t, AZAPPLY_BINARY, AZAPPLY_HOOKED, (int)seconds) != 0)
		return 2;
	size_t requests = torture_requests(t), allocations = torture_allocations(t);
	printf("scenario: apply examples/synapse-ml --env dev from an empty emulator: %zu requests,"
	       " %zu allocations\n",
	       requests, allocations);
	fflush(stdout);

	tally req = {0}, alloc = {0};
	for (size_t k = 0; k < requests; k += (size_t)every)
		for (int m = 0; m < TORTURE_REQUEST_MODES; m++)
			try_point(t, (torture_mode)m, k, &req);
	double req_s = now_s() - start;
	for (size_t k = 1; k <= allocations; k += (size_t)alloc_every)
		try_point(t, TORTURE_ALLOC, k, &alloc);
	double all_s = now_s() - start;
	int emulator = torture_close(t);

	printf("request points: %zu of %zu (every %ld) x %d modes (500, 404, drop) = %zu runs, "
	       "%zu ended in a clean error, %zu failed (%.1f s)\n",
	       (requests + (size_t)every - 1) / (size_t)every, requests, every,
	       TORTURE_REQUEST_MODES, req.tried, req.clean_failures, req.failed, req_s);
	printf("allocation points: %zu of %zu (every %ld), %zu aborted out of memory, "
	       "%zu failed (%.1f s)\n",
	       alloc.tried, allocations, alloc_every, alloc.clean_failures, alloc.failed,
	       all_s - req_s);
	printf("failures: %zu; all converged: %s; emulator exit: %s\n", req.failed + alloc.failed,
	       req.diverged + alloc.diverged ? "no" : "yes", emulator == 0 ? "clean" : "NOT clean");
	printf("wall time: %.1f s\n", all_s);
	return req.failed + alloc.failed || emulator ? 1 : 0;
}
