/*
 * test_torture.c - a sample of the torture sweep (torture.h) that fits in
 * CI: every 5th request of one apply of examples/synapse-ml, each answered
 * 500, 404 and with a dropped connection, and six allocation points spread
 * over the run. Each must end cleanly (exit 0, or 1 with an error
 * diagnostic; out of memory: azapply's one-line abort) and the next apply
 * and plan must converge. About two minutes under ASan on two cores;
 * torture_sweep tries every point.
 *
 * Also here: the emulator's fault "skip", on which the request points
 * rest, checked on its own.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "torture.h"

enum { REQUEST_STRIDE = 5, ALLOCATION_POINTS = 6, RUN_SECONDS = 120 };

/* A rule with "skip": 2 and "times": 1 passes two matching requests,
 * fires on the third, passes the fourth; the log names the one it hit. */
static void skip_fires_on_the_nth_match(void **state)
{
	(void)state;
	emu *e = NULL;
	assert_int_equal(emu_start(&e, NULL), 0);
	json_t *answer = NULL;
	assert_int_equal(emu_control(e, "POST", "faults",
				     "{\"path\":\"^/subscriptions/\",\"skip\":2,\"times\":1,"
				     "\"status\":418}",
				     &answer),
			 200);
	const char *id = json_string_value(json_object_get(answer, "id"));
	assert_non_null(id);
	long statuses[4];
	for (int i = 0; i < 4; i++) {
		char path[128];
		snprintf(path, sizeof(path), "/subscriptions/%d?api-version=2021-04-01", i);
		emu_response r;
		assert_int_equal(emu_http(e, &r, "GET", path, NULL, NULL, 0), 0);
		statuses[i] = r.status;
		emu_response_free(&r);
	}
	/* No token: what the fault leaves alone is refused. */
	assert_int_equal(statuses[0], 401);
	assert_int_equal(statuses[1], 401);
	assert_int_equal(statuses[2], 418);
	assert_int_equal(statuses[3], 401);
	json_t *log = NULL;
	assert_int_equal(emu_control(e, "GET", "log", NULL, &log), 200);
	size_t i, hit = 0;
	json_t *entry;
	json_array_foreach(json_object_get(log, "requests"), i, entry) {
		const char *fault = json_string_value(json_object_get(entry, "fault"));
		if (!fault)
			continue;
		hit++;
		assert_string_equal(fault, id);
		assert_string_equal(json_string_value(json_object_get(entry, "path")),
				    "/subscriptions/2?api-version=2021-04-01");
	}
	assert_int_equal(hit, 1);
	json_decref(log);
	json_decref(answer);
	assert_int_equal(emu_stop(e), 0);
}

static int setup(void **state)
{
	torture *t = NULL;
	if (torture_open(&t, AZAPPLY_BINARY, AZAPPLY_HOOKED, RUN_SECONDS) != 0)
		return -1;
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	/* A clean emulator exit means it leaked nothing under ASan. */
	return torture_close(*state) == 0 ? 0 : -1;
}

/* Runs the points, prints each failure whole, fails after the last. */
static void try_points(torture *t, torture_mode mode, const size_t *points, size_t n)
{
	size_t failed = 0;
	for (size_t i = 0; i < n; i++) {
		torture_result r;
		torture_point(t, mode, points[i], &r);
		if (!r.ok) {
			failed++;
			/* stderr, not print_message, which cuts long text short. */
			fprintf(stderr, "%s\n", r.report);
		}
		torture_result_free(&r);
	}
	if (failed)
		fail_msg("%zu of %zu %s points failed", failed, n, torture_mode_name(mode));
}

static void request_points(void **state, torture_mode mode)
{
	torture *t = *state;
	size_t n = 0, points[64];
	for (size_t k = 0; k < torture_requests(t) && n < 64; k += REQUEST_STRIDE)
		points[n++] = k;
	try_points(t, mode, points, n);
}

static void requests_answered_500(void **state)
{
	request_points(state, TORTURE_500);
}

static void requests_answered_404(void **state)
{
	request_points(state, TORTURE_404);
}

static void requests_dropped(void **state)
{
	request_points(state, TORTURE_DROP);
}

/* The first allocation (the out-of-memory message once needed memory to
 * reach stderr through the redacting stream: a recursion into a stack
 * overflow) and points spread over the rest of the run. */
static void allocations_fail(void **state)
{
	torture *t = *state;
	size_t points[ALLOCATION_POINTS] = {1};
	for (size_t i = 1; i < ALLOCATION_POINTS; i++)
		points[i] = torture_allocations(t) * i / ALLOCATION_POINTS;
	try_points(t, TORTURE_ALLOC, points, ALLOCATION_POINTS);
}

int main(void)
{
	const struct CMUnitTest emulator[] = {
		cmocka_unit_test(skip_fires_on_the_nth_match),
	};
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(requests_answered_500),
		cmocka_unit_test(requests_answered_404),
		cmocka_unit_test(requests_dropped),
		cmocka_unit_test(allocations_fail),
	};
	int failed = cmocka_run_group_tests_name("emulator", emulator, NULL, NULL);
	return failed + cmocka_run_group_tests_name("torture", tests, setup, teardown);
}
