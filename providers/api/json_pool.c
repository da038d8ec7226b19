/*
 * json_pool.c - a pool for jansson's small values, and json_dumps' text
 * in memory the caller frees with free().
 *
 * A plan is millions of small JSON values: every key, string and object of
 * every manifest and of every list page Azure answers. Each was a malloc of
 * a few dozen bytes (glibc's bookkeeping on each, a search of its bins when
 * its cache ran dry) and the 10,000-resource plan spent an eighth of its CPU
 * in malloc. The pool serves those sizes from pages of one size class each,
 * cut from one reservation of address space: an allocation is a pop from
 * the class's free list or a bump of its page, a free is a push, and no
 * block carries a header, because the class is the page's.
 *
 * What jansson allocates above the largest class (the bucket arrays of big
 * objects, long strings) goes to malloc as before; so does everything once
 * the reservation is spent. free of a block tells the two apart by address.
 *
 * Threads share the reservation and nothing else: each has its own size
 * classes, pages are handed out by an atomic count, and a block freed by
 * another thread than the one it came from goes on the freeing thread's
 * list (its class is its page's). The manifests are parsed on several
 * threads (planner/manifest/load.c); everything else asks for JSON values
 * on the main thread. The pool is not started under the sanitizers, whose
 * allocator checks every block.
 *
 * One consequence for callers: jansson hands text it allocated back to the
 * caller from json_dumps, and once the pool serves jansson that text is
 * not malloc's. az_json_dumps returns malloc's memory instead; the product
 * code calls az_json_dumps, never jansson's own (.ci/check-includes.cmake
 * enforces it).
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, MAP_NORESERVE, MADV_HUGEPAGE */

#include <azapply/provider.h>

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Address space, not memory: a page is backed when first touched. A
 * 50,001-resource apply holds a few hundred MB of JSON. */
#define POOL_REGION ((size_t)4 << 30)
#define POOL_PAGE ((size_t)64 << 10)
#define POOL_GRAIN 16
#define POOL_LARGEST 256
#define POOL_CLASSES (POOL_LARGEST / POOL_GRAIN)

typedef struct free_block {
	struct free_block *next;
} free_block;

typedef struct size_class {
	char *next, *limit; /* what is left of its newest page */
	free_block *freed;
} size_class;

#define POOL_PAGES (POOL_REGION / POOL_PAGE)

static struct {
	char *base, *end;
	atomic_size_t pages_cut; /* pages are cut from base up */
	unsigned char page_class[POOL_PAGES];
} pool;

static _Thread_local size_class classes[POOL_CLASSES];

static void *pool_malloc(size_t n)
{
	if (n > POOL_LARGEST)
		return az_xmalloc(n);
	size_t c = n ? (n - 1) / POOL_GRAIN : 0, size = (c + 1) * POOL_GRAIN;
	size_class *sc = &classes[c];
	if (sc->freed) {
		free_block *b = sc->freed;
		sc->freed = b->next;
		return b;
	}
	if ((size_t)(sc->limit - sc->next) < size) {
		size_t page = atomic_fetch_add_explicit(&pool.pages_cut, 1, memory_order_relaxed);
		if (page >= POOL_PAGES)
			return az_xmalloc(n); /* the reservation is spent */
		pool.page_class[page] = (unsigned char)c;
		sc->next = pool.base + page * POOL_PAGE;
		sc->limit = sc->next + POOL_PAGE;
	}
	void *p = sc->next;
	sc->next += size;
	return p;
}

static void pool_free(void *p)
{
	char *at = p;
	if (at < pool.base || at >= pool.end) {
		free(p);
		return;
	}
	size_class *sc = &classes[pool.page_class[(size_t)(at - pool.base) / POOL_PAGE]];
	free_block *b = p;
	b->next = sc->freed;
	sc->freed = b;
}

bool az_json_pool_start(void)
{
#ifdef AZAPPLY_TORTURE
	/* The allocation torture test fails the Nth allocation through
	 * az_xmalloc: every JSON value must still be one. */
	return false;
#endif
	if (pool.base)
		return true;
	void *region = mmap(NULL, POOL_REGION, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (region == MAP_FAILED)
		return false; /* a limit on address space: malloc serves as before */
	/* Huge pages where the kernel offers them: a page fault per 4 KiB
	 * of values was as costly as the allocations (heap.c). */
	(void)madvise(region, POOL_REGION, MADV_HUGEPAGE);
	pool.base = region;
	pool.end = pool.base + POOL_REGION;
	json_set_alloc_funcs(pool_malloc, pool_free);
	return true;
}

bool az_json_pool_holds(const void *p)
{
	return (const char *)p >= pool.base && (const char *)p < pool.end;
}

static int dump_to_buf(const char *chunk, size_t size, void *data)
{
	az_buf_add(data, chunk, size);
	return 0;
}

/* The flags json_write.c writes as jansson does. */
#define WRITTEN_HERE (JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY)

char *az_json_dumps(const json_t *json, size_t flags)
{
	if (!json)
		return NULL;
	az_buf out = AZ_BUF_INIT;
	/* Compact text, every request body among it, from json_write.c:
	 * the same bytes at a third of the instructions (request bodies of a
	 * 1,001-resource apply: 47.4 M to 16.3 M, callgrind). What it refuses
	 * (text that is not UTF-8, a tree deeper than any reader takes) is
	 * left to jansson, whose answer is the answer. */
	if ((flags & JSON_COMPACT) && (flags & ~(size_t)WRITTEN_HERE) == 0) {
		if (!(flags & JSON_ENCODE_ANY) && !json_is_object(json) && !json_is_array(json))
			return NULL;
		if (az_json_write(&out, json, (flags & JSON_SORT_KEYS) != 0))
			return az_buf_detach(&out);
	}
	if (json_dump_callback(json, dump_to_buf, &out, flags) != 0) {
		az_buf_free(&out);
		return NULL; /* as json_dumps: not an array or object without JSON_ENCODE_ANY */
	}
	return az_buf_detach(&out);
}
