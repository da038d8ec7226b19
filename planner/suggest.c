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
	az_buf_putc(b, '/');
	for (const char *p = key; *p; p++) {
		if (*p == '~')
			az_buf_puts(b, "~0");
		else if (*p == '/')
			az_buf_puts(b, "~1");
		else
			az_buf_putc(b, *p);
	}
}

void az_pointer_push_index(az_buf *b, size_t index)
{
	az_buf_printf(b, "/%zu", index);
}
