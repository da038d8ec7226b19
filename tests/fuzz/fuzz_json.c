/*
 * fuzz_json.c - azapply's JSON reader (providers/api/json_read.c), which
 * reads every answer from Azure, plan files and cloud configurations, held
 * to jansson's: for any bytes, both read them or both refuse them, and
 * what both read is the same value, with and without JSON_DECODE_ANY.
 * One difference is on purpose: jansson drops a NUL byte right after a
 * number or a literal ("[8\0]" reads as [8]); azapply refuses any NUL
 * outside a string, as RFC 8259 does.
 *
 * What both read is also written back by azapply's compact writer
 * (json_write.c), keys sorted and in their order, held to jansson's
 * json_dumps byte for byte: the fingerprints in every marker are hashes
 * of the sorted text, and every request body is the other.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <azapply/provider.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int to_buf(const char *chunk, size_t size, void *data)
{
	az_buf_add(data, chunk, size);
	return 0;
}

/* jansson's own writer (az_json_dumps hands compact text to azapply's). */
static void same_compact_text(const json_t *v, bool sorted)
{
	size_t flags = JSON_COMPACT | JSON_ENCODE_ANY | (sorted ? JSON_SORT_KEYS : 0);
	az_buf theirs = AZ_BUF_INIT, ours = AZ_BUF_INIT;
	bool dumped = json_dump_callback(v, to_buf, &theirs, flags) == 0;
	az_buf_putc(&theirs, '\0');
	bool written = az_json_write(&ours, v, sorted);
	az_buf_putc(&ours, '\0');
	if (written != dumped || (dumped && strcmp(theirs.data, ours.data) != 0))
		abort();
	az_buf_free(&theirs);
	az_buf_free(&ours);
}

static void same_canonical_text(const json_t *v)
{
	same_compact_text(v, true);
	same_compact_text(v, false);
}

static void agree(const char *text, size_t size, size_t flags)
{
	json_error_t err;
	json_t *theirs = json_loadb(text, size, flags, NULL);
	json_t *ours = az_json_loadb(text, size, flags, &err);
	if (ours && !theirs)
		abort();
	if (theirs && !ours && !memchr(text, '\0', size))
		abort();
	if (theirs && !ours) {
		json_decref(theirs);
		return;
	}
	if (theirs) {
		char *a = az_json_dumps(theirs, JSON_ENCODE_ANY | JSON_SORT_KEYS);
		char *b = az_json_dumps(ours, JSON_ENCODE_ANY | JSON_SORT_KEYS);
		if (!json_equal(theirs, ours) || strcmp(a, b) != 0)
			abort();
		free(a);
		free(b);
		same_canonical_text(ours);
	} else if (err.position < 0 || (size_t)err.position > size || !err.text[0]) {
		abort();
	}
	json_decref(theirs);
	json_decref(ours);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly `size` bytes: a read past the end is the
	 * sanitizer's to see. */
	char *text = malloc(size ? size : 1);
	memcpy(text, data, size);
	agree(text, size, 0);
	agree(text, size, JSON_DECODE_ANY);
	free(text);
	return 0;
}
