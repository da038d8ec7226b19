/*
 * test_heap.c - the heap reservation (providers/api/heap.c). Built without the
 * sanitizers, whose allocator would leave nothing of glibc's heap to check.
 */
#define _DEFAULT_SOURCE

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <azapply/provider.h>

/* The mapping of /proc/self/smaps that holds addr, as its first line and
 * its VmFlags line. */
static void mapping_of(const void *addr, char *range, size_t range_size, char *flags,
		       size_t flags_size)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	assert_non_null(f);
	char line[512];
	bool inside = false;
	range[0] = flags[0] = '\0';
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2) { /* a mapping's first line */
			inside = (uintptr_t)addr >= lo && (uintptr_t)addr < hi;
			if (inside)
				snprintf(range, range_size, "%s", line);
		} else if (inside && strncmp(line, "VmFlags:", 8) == 0) {
			snprintf(flags, flags_size, "%s", line);
			break;
		}
	}
	fclose(f);
	assert_true(range[0] != '\0');
}

static void small_allocations_live_in_a_reserved_huge_page_heap(void **state)
{
	(void)state;
	uintptr_t before = (uintptr_t)sbrk(0);
	assert_true(az_heap_reserve());
	uintptr_t after = (uintptr_t)sbrk(0);
	assert_true(after - before >= (size_t)1 << 30);

	/* What a plan does: many small values, freed at random. */
	enum { count = 200000 };
	void **values = malloc(count * sizeof(*values));
	assert_non_null(values);
	for (int i = 0; i < count; i++) {
		values[i] = malloc(16 + (size_t)(i % 7) * 8);
		memset(values[i], 0xa5, 16);
	}
	for (int i = 0; i < count; i += 3)
		free(values[i]);
	assert_int_equal((uintptr_t)sbrk(0), after); /* still inside the reservation */

	char range[512], flags[512];
	mapping_of(values[count - 1], range, sizeof(range), flags, sizeof(flags));
	if (access("/sys/kernel/mm/transparent_hugepage", F_OK) == 0)
		assert_non_null(strstr(flags, " hg")); /* MADV_HUGEPAGE */

	/* Freeing everything keeps the reservation: a later plan phase
	 * allocates into it again instead of faulting new pages in. */
	for (int i = 0; i < count; i++)
		if (i % 3)
			free(values[i]);
	free(values);
	assert_int_equal((uintptr_t)sbrk(0), after);

	/* A large buffer (a list page's body) stays on the heap too. */
	char *page = malloc(4 << 20);
	assert_true((uintptr_t)page > before && (uintptr_t)page < after);
	free(page);
}

/* Under an address-space limit below the reservation, nothing is reserved
 * and malloc serves as before (README, "Memory"). In a child: the limit
 * and glibc's settings stay there. */
static void without_the_address_space_malloc_serves_as_before(void **state)
{
	(void)state;
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		struct rlimit limit = {(rlim_t)512 << 20, (rlim_t)512 << 20};
		if (setrlimit(RLIMIT_AS, &limit) != 0 || az_heap_reserve())
			_exit(1);
		for (int i = 0; i < 100000; i++) {
			char *p = malloc(40);
			if (!p)
				_exit(2);
			memset(p, 1, 40);
		}
		char *big = malloc(8 << 20);
		_exit(big ? 0 : 3);
	}
	int status = 0;
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(without_the_address_space_malloc_serves_as_before),
		cmocka_unit_test(small_allocations_live_in_a_reserved_huge_page_heap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
