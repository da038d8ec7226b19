/*
 * string_with.h - the strings the JSON reader's and writer's tests build
 * to put a byte that is not plain at every place of a word: letters, with
 * a piece at one place, or at two places two apart.
 */
#ifndef AZAPPLY_TEST_STRING_WITH_H
#define AZAPPLY_TEST_STRING_WITH_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* Writes `len` letters to `out` with `piece` before letter `at` (and
 * before letter at + 2 when `twice`); returns the bytes written. */
static inline size_t string_with(char *out, size_t len, size_t at, bool twice, const char *piece)
{
	size_t n = 0, piece_len = strlen(piece);
	for (size_t i = 0; i < len; i++) {
		if (i == at || (twice && i == at + 2)) {
			memcpy(out + n, piece, piece_len);
			n += piece_len;
		}
		out[n++] = (char)('a' + i % 26);
	}
	return n;
}

#endif
