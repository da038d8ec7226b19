/*
 * torture.c - the countdown allocator of the allocation torture test, built
 * only with -DAZAPPLY_TORTURE=ON (never in a shipped binary).
 *
 * Why it exists: out of memory must end in one clean abort with one line
 * (support.c) wherever it strikes, never a NULL dereference or a half-done
 * write. tests/torture proves that by failing every allocation point of a
 * plan+apply in turn, and needs a way to pick the point: with
 * AZAPPLY_TORTURE_ALLOC=N, the Nth allocation through az_xmalloc,
 * az_xcalloc or az_xrealloc (and so every jansson allocation, az_alloc_init)
 * fails, and so does every one after it, as memory that ran out stays out:
 * the out-of-memory path itself must not need memory. With N=0 nothing
 * fails, and the count of allocations is written to stderr at exit
 * ("azapply: torture: N allocations"), which tells the sweep its range.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Its one caller, support.c, declares it under the same option. */
bool az_torture_alloc_fails(void);

static unsigned long failing_at; /* 0: never */
static unsigned long count;

static void report_count(void)
{
	char line[64];
	int n = snprintf(line, sizeof(line), "azapply: torture: %lu allocations\n", count);
	/* Straight to the descriptor: the guarded streams are closed by now. */
	ssize_t written = n > 0 ? write(STDERR_FILENO, line, (size_t)n) : 0;
	(void)written; /* nowhere left to say that it failed */
}

bool az_torture_alloc_fails(void)
{
	static bool started;
	if (!started) {
		started = true;
		const char *v = getenv("AZAPPLY_TORTURE_ALLOC");
		if (v && *v) {
			failing_at = strtoul(v, NULL, 10);
			if (failing_at == 0)
				atexit(report_count);
		}
	}
	count++;
	return failing_at && count >= failing_at;
}
