/*
 * heap.c - the process's heap, reserved once and backed by huge pages.
 *
 * A plan builds its whole world as small allocations: every manifest node,
 * every live resource of every list page is a jansson value of a few dozen
 * bytes, and nothing is returned until the command ends. glibc grows its heap
 * with brk a little at a time, and the kernel hands each new 4 KiB page over
 * on first touch: a 10,000-resource no-changes plan took about 28,000 page
 * faults, and on a virtual machine each costs microseconds. With the
 * reservation: 1,500 faults, and 1.13 s of CPU became 0.88 s (`perf stat -r 5
 * -e task-clock,page-faults azapply plan DIR` on bench_cpu's held stack).
 *
 * So before anything else is allocated, the heap is grown once by a large
 * reservation, which is address space, not memory: a page is still only
 * backed when it is touched. The reservation is marked MADV_HUGEPAGE, so
 * that on a kernel whose transparent huge pages are "madvise" or "always" it
 * is backed 2 MiB at a time. Trimming is held off for the reservation's size,
 * or the first free near the top would give it back; allocations up to the
 * size glibc's own adaptive threshold reaches (32 MiB) stay on the heap too,
 * instead of each being a fresh mmap faulted in page by page.
 *
 * Everything here is advice. If the reservation cannot be had (a data limit,
 * strict overcommit) malloc carries on as it always did. Under the
 * sanitizers, which bring their own allocator, this is not compiled.
 */
#define _DEFAULT_SOURCE /* sbrk, madvise's MADV_HUGEPAGE */

#include <azapply/provider.h>

#include <stdint.h>

#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__)
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>
#define AZ_HEAP_RESERVE 1
#endif

#ifdef AZ_HEAP_RESERVE
/* The reservation. A 50,000-resource apply peaks near 700 MB; beyond the
 * reservation the heap grows as it always did. */
static const size_t reserve_size = (size_t)1 << 30;
static const size_t huge_page = (size_t)2 << 20;
static const int mmap_threshold = 32 << 20;

bool az_heap_reserve(void)
{
	const int default_mmap_max = 65536, default_top_pad = 128 << 10;

	/* Trimming starts only well past the reservation: glibc trims the top
	 * back to its padding whenever the free space there passes this. Half
	 * as much again, which an int still holds (twice was 2^31, and came
	 * to glibc as INT_MIN). */
	if (mallopt(M_TRIM_THRESHOLD, (int)(reserve_size + reserve_size / 2)) != 1 ||
	    mallopt(M_MMAP_THRESHOLD, mmap_threshold) != 1)
		return false;
	/* One allocation that must come from brk, with the reservation as the
	 * padding glibc asks for on top of it, then freed while that padding
	 * still holds. volatile: a malloc whose result is only freed may be
	 * left out altogether. */
	uintptr_t start = (uintptr_t)sbrk(0);
	mallopt(M_TOP_PAD, (int)reserve_size);
	mallopt(M_MMAP_MAX, 0);
	void *volatile probe = malloc(huge_page);
	mallopt(M_MMAP_MAX, default_mmap_max);
	free(probe);
	/* Later growth asks for what it needs, not another reservation. */
	mallopt(M_TOP_PAD, default_top_pad);

	if (!probe)
		return false;
	uintptr_t end = (uintptr_t)sbrk(0);
	uintptr_t from = (start + huge_page - 1) & ~(uintptr_t)(huge_page - 1);
	if (start == (uintptr_t)-1 || end < from + reserve_size / 2)
		return false; /* the heap did not grow by brk */
	return madvise((void *)from, end - from, MADV_HUGEPAGE) == 0;
}
#else
bool az_heap_reserve(void)
{
	return false;
}
#endif
