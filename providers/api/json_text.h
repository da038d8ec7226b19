/*
 * json_text.h - what the JSON reader and writer share about a string's
 * bytes: most of them are plain (printable ASCII other than '"' and '\'),
 * and those are passed over eight at a time.
 */
#ifndef AZAPPLY_JSON_TEXT_H
#define AZAPPLY_JSON_TEXT_H

#include <stdint.h>
#include <string.h>

/* The bytes of `w` (eight of a text, in memory order) that are not
 * plain: a control character, '"', '\\', or a byte of a multi-byte
 * sequence; their high bits are set in the answer. Each test is the "byte
 * below n" of a word, (x - n) & ~x, exact up to its first byte that is,
 * and only that one is used. */
static inline uint64_t az_json_unplain_bytes(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
	uint64_t quote = w ^ (ones * '"'), backslash = w ^ (ones * '\\');
	uint64_t below_space = (w - ones * 0x20) & ~w;
	uint64_t is_quote = (quote - ones) & ~quote;
	uint64_t is_backslash = (backslash - ones) & ~backslash;
	return (below_space | is_quote | is_backslash | w) & highs;
}

/* Past the plain bytes at `p`, eight at a time: at the first byte that is
 * not plain, or within the last eight before `end` (the caller looks at
 * those one by one, and on a big-endian machine at the word's first). */
static inline const unsigned char *az_json_skip_plain(const unsigned char *p,
                                                      const unsigned char *end)
{
	while (end - p >= 8) {
		uint64_t w;
		memcpy(&w, p, sizeof(w));
		uint64_t unplain = az_json_unplain_bytes(w);
		if (unplain) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			/* The first byte in memory is the lowest. */
			p += __builtin_ctzll(unplain) / 8;
#endif
			return p;
		}
		p += 8;
	}
	return p;
}

#endif
