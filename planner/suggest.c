/*
 * suggest.c - JSON Pointer building and lower-casing, small helpers every
 * check in the planner uses. The "did you mean" search itself
 * (az_suggest) is in providers/api, so the loader can use it too.
 */
#include <azapply/planner.h>

#include <stdlib.h>
#include <string.h>

char *az_lowercase(const char *s)
{
	char *out = az_xstrdup(s);
	for (char *p = out; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return out;
}

void az_pointer_push(az_buf *b, const char *key)
{
	/* Runs between the characters RFC 6901 escapes, not byte by byte:
	 * schema checks and diffs push a key for every value they visit. */
	az_buf_putc(b, '/');
	for (const char *p = key;;) {
		size_t run = strcspn(p, "~/");
		az_buf_add(b, p, run);
		p += run;
		if (!*p)
			break;
		az_buf_add(b, *p == '~' ? "~0" : "~1", 2);
		p++;
	}
}

void az_pointer_push_index(az_buf *b, size_t index)
{
	az_buf_putc(b, '/');
	az_buf_put_size(b, index);
}
