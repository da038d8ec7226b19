/*
 * quote.c - the bounded form of user input that loader messages quote.
 *
 * An error used to echo a 1 MB variable name twice (summary and detail);
 * a terminal, a CI log or a pull-request comment should get the first
 * characters, enough to find the place, and the file:line:col to go there.
 * Characters are counted as UTF-8 sequences so a cut never splits one.
 */
#include <azapply/manifest.h>

#include <stdio.h>
#include <string.h>

/* Length of the UTF-8 sequence that starts with `lead`, or 0 when `lead`
 * cannot start one (it is then shown as \xNN). */
static size_t sequence_length(unsigned char lead)
{
	if (lead < 0x80)
		return 1;
	if (lead >= 0xC2 && lead <= 0xDF)
		return 2;
	if (lead >= 0xE0 && lead <= 0xEF)
		return 3;
	if (lead >= 0xF0 && lead <= 0xF4)
		return 4;
	return 0;
}

const char *az_quote(char buf[AZ_QUOTE_SIZE], const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0;
	for (size_t chars = 0; *p && chars < AZ_QUOTE_CHARS; chars++) {
		size_t n = sequence_length(*p);
		for (size_t k = 1; k < n; k++)
			if ((p[k] & 0xC0) != 0x80)
				n = 0; /* truncated sequence: show the lead byte */
		if (*p == '\n' || *p == '\t') {
			buf[o++] = '\\';
			buf[o++] = *p == '\n' ? 'n' : 't';
			p++;
		} else if (n == 0 || *p < 0x20 || *p == 0x7F) {
			snprintf(buf + o, 5, "\\x%02X", *p);
			o += 4;
			p++;
		} else {
			memcpy(buf + o, p, n);
			o += n;
			p += n;
		}
	}
	if (*p) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}
