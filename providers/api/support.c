/*
 * support.c - allocation helpers and the growable buffer shared across the
 * provider interface. Out of memory aborts: a command-line tool has nothing
 * sensible to do about it, and checking every allocation hides real logic.
 * jansson allocates through az_xmalloc too (az_alloc_init), so the abort is
 * the same wherever memory runs out.
 */
#include <azapply/provider.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef AZAPPLY_TORTURE
/* The countdown of the allocation torture test (torture.c, only in builds
 * with -DAZAPPLY_TORTURE=ON). */
bool az_torture_alloc_fails(void);
#else
#define az_torture_alloc_fails() false
#endif

/* Straight to the descriptor, not through stderr: azapply's stderr is a
 * stream that allocates as it redacts (cmd/output.c), so printing there
 * failed again and recursed until the stack overflowed (the allocation
 * torture test, tests/torture). The message holds no secret. */
static void die_oom(size_t n)
{
	char msg[96];
	int len = snprintf(msg, sizeof(msg),
			   "azapply: fatal: out of memory (allocating %zu bytes)\n", n);
	ssize_t written = len > 0 ? write(STDERR_FILENO, msg, (size_t)len) : 0;
	(void)written; /* nowhere left to say that it failed */
	abort();
}

void *az_xmalloc(size_t n)
{
	void *p = az_torture_alloc_fails() ? NULL : malloc(n ? n : 1);
	if (!p)
		die_oom(n);
	return p;
}

void *az_xcalloc(size_t count, size_t size)
{
	void *p = az_torture_alloc_fails() ? NULL : calloc(count ? count : 1, size ? size : 1);
	if (!p)
		die_oom(count * size);
	return p;
}

void *az_xrealloc(void *p, size_t n)
{
	void *q = az_torture_alloc_fails() ? NULL : realloc(p, n ? n : 1);
	if (!q)
		die_oom(n);
	return q;
}

static void *json_xmalloc(size_t n)
{
	return az_xmalloc(n);
}

void az_alloc_init(void)
{
	json_set_alloc_funcs(json_xmalloc, free);
}

uint64_t az_splitmix64_mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

char *az_xstrdup(const char *s)
{
	return az_xstrndup(s, strlen(s));
}

char *az_xstrndup(const char *s, size_t n)
{
	char *p = az_xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* Whether fmt has no conversion but %s and %%. */
static bool only_strings(const char *fmt)
{
	for (const char *f = strchr(fmt, '%'); f; f = strchr(f + 2, '%'))
		if (f[1] != 's' && f[1] != '%') /* '\0' included */
			return false;
	return true;
}

/* fmt of text, %s and %% joined without vsnprintf: most formats are
 * addresses, keys and pointers built from strings, by the hundred
 * thousand in a large stack, and vsnprintf costs a thousand instructions
 * a call before it copies a byte. */
static char *join_strings(const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	size_t len = 0;
	for (const char *f = fmt; *f; f++) {
		if (*f != '%') {
			len++;
			continue;
		}
		f++;
		if (*f == '%') {
			len++;
			continue;
		}
		const char *arg = va_arg(ap2, const char *);
		len += strlen(arg ? arg : "(null)");
	}
	va_end(ap2);
	char *out = az_xmalloc(len + 1), *o = out;
	for (const char *f = fmt; *f; f++) {
		if (*f != '%' || f[1] == '%') {
			*o++ = *f;
			f += *f == '%';
			continue;
		}
		f++;
		const char *arg = va_arg(ap, const char *);
		if (!arg)
			arg = "(null)";
		size_t n = strlen(arg);
		memcpy(o, arg, n);
		o += n;
	}
	*o = '\0';
	return out;
}

char *az_xvasprintf(const char *fmt, va_list ap)
{
	if (only_strings(fmt))
		return join_strings(fmt, ap);
	/* One pass when the result fits a line, two otherwise. */
	char line[256];
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(line, sizeof(line), fmt, ap2);
	va_end(ap2);
	if (n < 0)
		die_oom(0);
	char *p = az_xmalloc((size_t)n + 1);
	if ((size_t)n < sizeof(line))
		memcpy(p, line, (size_t)n + 1);
	else
		vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *az_xasprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *p = az_xvasprintf(fmt, ap);
	va_end(ap);
	return p;
}

void az_buf_grow(az_buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	b->data = az_xrealloc(b->data, cap);
	b->cap = cap;
}

void az_buf_add(az_buf *b, const void *data, size_t len)
{
	az_buf_grow(b, len);
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

void az_buf_puts(az_buf *b, const char *s)
{
	az_buf_add(b, s, strlen(s));
}

void az_buf_putc(az_buf *b, char c)
{
	if (b->len + 2 > b->cap)
		az_buf_grow(b, 1);
	b->data[b->len++] = c;
	b->data[b->len] = '\0';
}

void az_buf_put_size(az_buf *b, size_t n)
{
	char digits[24];
	size_t at = sizeof(digits);
	do {
		digits[--at] = (char)('0' + n % 10);
		n /= 10;
	} while (n);
	az_buf_add(b, digits + at, sizeof(digits) - at);
}

void az_buf_printf(az_buf *b, const char *fmt, ...)
{
	va_list ap, ap2;
	va_start(ap, fmt);
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n > 0) {
		az_buf_grow(b, (size_t)n);
		vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
		b->len += (size_t)n;
	}
	va_end(ap);
}

void az_buf_truncate(az_buf *b, size_t len)
{
	if (len < b->len) {
		b->len = len;
		b->data[len] = '\0';
	}
}

char *az_buf_detach(az_buf *b)
{
	/* What is detached is kept (an id, a collection, a body): at its own
	 * size, not the buffer's doubled capacity (ids of 150 bytes held 256,
	 * 2.5 MB of a 10,001-resource plan). */
	char *p = !b->data ? az_xstrdup("") : b->cap > b->len + 1 ? az_xrealloc(b->data, b->len + 1) : b->data;
	/* Ends at len whatever was written past it. */
	p[b->len] = '\0';
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

void az_buf_free(az_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

const char *az_err_name(int code)
{
	switch (code) {
	case AZ_OK: return "ok";
	case AZ_ERROR: return "error";
	case AZ_ENOTFOUND: return "not found";
	case AZ_ECONFLICT: return "conflict";
	case AZ_EAUTH: return "authentication failed";
	case AZ_ETHROTTLED: return "throttled";
	case AZ_EINVALID: return "invalid input";
	case AZ_EUPSTREAM: return "Azure returned an error";
	case AZ_ECANCELED: return "canceled";
	}
	return "unknown error";
}
