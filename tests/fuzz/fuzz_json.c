/*
 * fuzz_json.c - azapply's JSON reader (providers/api/json_read.c), which
 * reads every answer from Azure, plan files and cloud configurations, held
 * to jansson's: for any bytes, both read them or both refuse them, and
 * what both read is the same value, with and without JSON_DECODE_ANY.
 * One difference is on purpose: jansson drops a NUL byte right after a
 * number or a literal ("[8\0]" reads as [8]); azapply refuses any NUL
 * outside a string, as RFC 8259 does.
 *
 * What both read is also written back by azapply's canonical writer
 * (json_write.c), held to jansson's json_dumps byte for byte: the
 * fingerprints in every marker are hashes of that text.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <azapply/provider.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same_canonical_text(const json_t *v)
{
	char *theirs = az_json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	az_buf ours = AZ_BUF_INIT;
	bool written = az_json_write_sorted(&ours, v);
	if (written != (theirs != NULL) || (theirs && strcmp(theirs, ours.data) != 0))
		abort();
	free(theirs);
	az_buf_free(&ours);
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
