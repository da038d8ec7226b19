/*
 * torture.h - fail every point of one apply in turn, as curl's torture
 * tests do, and check that each run ends cleanly and that the next run
 * converges.
 *
 * The scenario is `azapply apply examples/synapse-ml --env dev
 * --auto-approve` against an empty emulator. A point is one request
 * azapply sends (the Nth, tokens left out, answered 500 in the ARM error
 * shape, 404 or with a dropped connection) or one allocation (the Nth
 * through az_x* or jansson, in a binary built with AZAPPLY_TORTURE). The
 * test (test_torture.c) runs a sample of the points; the sweep
 * (torture_sweep.c) runs them all and prints the figures.
 */
#ifndef AZAPPLY_TORTURE_H
#define AZAPPLY_TORTURE_H

#include <stdbool.h>
#include <stddef.h>

typedef enum torture_mode {
	TORTURE_500,   /* the request answered 500 InternalServerError */
	TORTURE_404,   /* the request answered 404 NotFound */
	TORTURE_DROP,  /* the connection dropped without an answer */
	TORTURE_ALLOC, /* the allocation fails, and every one after it */
} torture_mode;

enum { TORTURE_REQUEST_MODES = 3 };

const char *torture_mode_name(torture_mode mode);

typedef struct torture torture;

/* `azapply` runs the request points; `hooked`, a build with the
 * allocation countdown (AZAPPLY_TORTURE), runs the allocation points.
 * Every run is killed after `run_seconds`: a hang is a failure. Starts an
 * emulator and runs the scenario once without a fault, which counts the
 * points. Returns 0, or -1 with the reason on stderr. */
int torture_open(torture **out, const char *azapply, const char *hooked, int run_seconds);
/* Stops the emulator and removes the scratch tree; the emulator's exit
 * status (0: a clean exit, nothing leaked). NULL-safe. */
int torture_close(torture *t);

/* Points of the scenario: requests azapply sent, allocations it made
 * (both from the run without a fault; the allocation count varies a
 * little from run to run, as the order of concurrent requests does). */
size_t torture_requests(const torture *t);
size_t torture_allocations(const torture *t);

/* What became of one point. */
typedef struct torture_result {
	bool ok;
	bool failed_cleanly; /* the faulted run exited 1 (or aborted, out of memory) */
	bool converged;      /* the runs after it without the fault reached the clean state */
	char *request;       /* "METHOD host path" the fault hit, NULL if none */
	char *report;        /* why the point failed, with the runs' output; NULL if ok */
} torture_result;

/* Resets the emulator to empty, fails point `k` (0-based for requests,
 * 1-based for allocations, as AZAPPLY_TORTURE_ALLOC counts) in `mode`,
 * runs the apply, checks how it ended, then checks that an apply and a
 * plan without the fault converge on the resources of the clean run. */
void torture_point(torture *t, torture_mode mode, size_t k, torture_result *out);
void torture_result_free(torture_result *r);

#endif
