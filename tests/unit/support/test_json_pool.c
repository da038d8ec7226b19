/*
 * test_json_pool.c - the pool jansson's small values come from in azapply
 * (providers/api/json_pool.c), and az_json_dumps, whose text must stay
 * malloc's. A binary of its own: once started, the pool serves the whole
 * process.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <azapply/provider.h>

static int start_pool(void **state)
{
	(void)state;
	az_alloc_init();
	return az_json_pool_start() ? 0 : -1;
}

/* Blocks of every size around the classes' edges, each filled with its
 * own pattern: a block handed out twice, or cut too short, shows as
 * another's bytes. */
static void blocks_of_every_size_are_apart(void **state)
{
	(void)state;
	json_malloc_t json_malloc;
	json_free_t json_free;
	json_get_alloc_funcs(&json_malloc, &json_free);
	enum { rounds = 40, sizes = 300 };
	unsigned char *blocks[rounds][sizes];
	for (int r = 0; r < rounds; r++)
		for (size_t n = 1; n < sizes; n++) {
			blocks[r][n] = json_malloc(n);
			assert_non_null(blocks[r][n]);
			memset(blocks[r][n], (int)((r * sizes + n) & 0xff), n);
			/* Up to the largest class, the pool's; above, malloc's. */
			assert_int_equal(az_json_pool_holds(blocks[r][n]), n <= 256);
		}
	for (int r = 0; r < rounds; r++)
		for (size_t n = 1; n < sizes; n++) {
			for (size_t i = 0; i < n; i++)
				assert_int_equal(blocks[r][n][i], (r * sizes + n) & 0xff);
			json_free(blocks[r][n]);
		}
}

static void a_freed_block_is_handed_out_again(void **state)
{
	(void)state;
	json_t *first = json_integer(1);
	void *at = first;
	json_decref(first);
	json_t *second = json_integer(2);
	assert_ptr_equal(second, at); /* the same class, last freed first */
	json_t *text = json_string("a string of some length");
	assert_ptr_not_equal(text, at);
	assert_true(az_json_pool_holds(second) && az_json_pool_holds(text));
	json_decref(second);
	json_decref(text);
}

/* Threads at once: every block one thread holds is its own (its pattern
 * stays), and blocks freed by another thread than the one they came from
 * are handed out again whole. */
enum { THREADS = 4, BLOCKS = 20000 };

typedef struct worker {
	int id;
	unsigned char *blocks[BLOCKS];
	size_t sizes[BLOCKS];
} worker;

static void *fill(void *arg)
{
	worker *w = arg;
	json_malloc_t json_malloc;
	json_free_t json_free;
	json_get_alloc_funcs(&json_malloc, &json_free);
	for (int i = 0; i < BLOCKS; i++) {
		w->sizes[i] = 1 + (size_t)((i * 7 + w->id * 13) % 256);
		w->blocks[i] = json_malloc(w->sizes[i]);
		memset(w->blocks[i], w->id * 31 + (i & 0x1f), w->sizes[i]);
		if (i % 3 == 0) { /* some go back at once, to be handed out again */
			json_free(w->blocks[i]);
			w->blocks[i] = NULL;
		}
	}
	return NULL;
}

static void threads_share_the_pool(void **state)
{
	(void)state;
	static worker workers[THREADS];
	pthread_t threads[THREADS];
	for (int t = 0; t < THREADS; t++) {
		workers[t].id = t;
		assert_int_equal(pthread_create(&threads[t], NULL, fill, &workers[t]), 0);
	}
	for (int t = 0; t < THREADS; t++)
		assert_int_equal(pthread_join(threads[t], NULL), 0);
	json_malloc_t json_malloc;
	json_free_t json_free;
	json_get_alloc_funcs(&json_malloc, &json_free);
	for (int t = 0; t < THREADS; t++)
		for (int i = 0; i < BLOCKS; i++) {
			unsigned char *b = workers[t].blocks[i];
			if (!b)
				continue;
			assert_true(az_json_pool_holds(b));
			for (size_t k = 0; k < workers[t].sizes[i]; k++)
				assert_int_equal(b[k], (unsigned char)(t * 31 + (i & 0x1f)));
			/* Freed here, on the main thread: its list now. */
			json_free(b);
		}
	/* What the workers left is this thread's to hand out: whole blocks
	 * of their class, apart from each other. */
	unsigned char *again[256];
	for (size_t n = 1; n <= 256; n++) {
		again[n - 1] = json_malloc(n);
		memset(again[n - 1], (int)n, n);
	}
	for (size_t n = 1; n <= 256; n++) {
		for (size_t k = 0; k < n; k++)
			assert_int_equal(again[n - 1][k], (unsigned char)n);
		json_free(again[n - 1]);
	}
}

/* A document of every kind of value and string lengths either side of the
 * largest class, parsed, dumped and parsed again. The dumped text is
 * free()d: were it the pool's, the allocator would refuse it. */
static void documents_round_trip_through_the_pool(void **state)
{
	(void)state;
	json_t *doc = json_object();
	for (int i = 0; i < 2000; i++) {
		char key[32], value[600];
		snprintf(key, sizeof(key), "key-%d", i);
		size_t len = (size_t)(i * 7) % sizeof(value);
		memset(value, 'a' + i % 26, len);
		value[len] = '\0';
		json_t *item = json_pack("{s:s, s:i, s:f, s:b, s:n, s:[i,s,{s:s}]}", "text", value,
					 "n", i, "x", i / 3.0, "flag", i % 2, "nothing", "list", i,
					 key, "nested", value);
		assert_non_null(item);
		json_object_set_new(doc, key, item);
	}
	char *text = az_json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	assert_non_null(text);
	assert_false(az_json_pool_holds(text));
	json_error_t error;
	json_t *again = json_loads(text, 0, &error);
	assert_non_null(again);
	assert_true(json_equal(doc, again));
	free(text);
	json_decref(again);
	json_decref(doc);
}

static void dumps_gives_malloc_text_or_null_as_jansson_does(void **state)
{
	(void)state;
	json_t *n = json_integer(42);
	assert_null(az_json_dumps(n, 0)); /* a bare value needs JSON_ENCODE_ANY */
	char *s = az_json_dumps(n, JSON_ENCODE_ANY);
	assert_string_equal(s, "42");
	free(s);
	assert_null(az_json_dumps(NULL, 0));
	/* Text short enough for a class of the pool, as most dumps are (a
	 * fingerprint's value, a secret quoted): jansson's own would be a
	 * block of the pool here, and free() would refuse it. */
	json_t *small = json_pack("{s:s}", "name", "ws-dev");
	s = az_json_dumps(small, JSON_COMPACT);
	assert_string_equal(s, "{\"name\":\"ws-dev\"}");
	assert_false(az_json_pool_holds(s));
	free(s);
	json_decref(small);
	json_decref(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(blocks_of_every_size_are_apart),
		cmocka_unit_test(a_freed_block_is_handed_out_again),
		cmocka_unit_test(threads_share_the_pool),
		cmocka_unit_test(documents_round_trip_through_the_pool),
		cmocka_unit_test(dumps_gives_malloc_text_or_null_as_jansson_does),
	};
	return cmocka_run_group_tests(tests, start_pool, NULL);
}
