/*
 * diag.c - the diagnostics list. A diagnostic is created where the problem
 * is seen and enriched on the way up (manifest position, resource address),
 * so the user gets one message with everything needed to fix it.
 */
#include <azapply/provider.h>

#include <stdlib.h>
#include <string.h>

az_diag *az_diag_add(az_diags *d, az_severity sev, const az_pos *pos, const char *address,
		     const char *fmt, ...)
{
	if (d->len == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 8;
		d->items = az_xrealloc(d->items, d->cap * sizeof(*d->items));
	}
	az_diag *diag = &d->items[d->len++];
	memset(diag, 0, sizeof(*diag));
	diag->severity = sev;
	va_list ap;
	va_start(ap, fmt);
	diag->summary = az_xvasprintf(fmt, ap);
	va_end(ap);
	if (pos && pos->file) {
		diag->file = az_xstrdup(pos->file);
		diag->line = pos->line;
		diag->col = pos->col;
	}
	if (address)
		diag->address = az_xstrdup(address);
	return diag;
}

void az_diag_set_detail(az_diag *diag, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	free(diag->detail);
	diag->detail = az_xvasprintf(fmt, ap);
	va_end(ap);
}

void az_diags_set_address(az_diags *d, size_t from, const char *address)
{
	for (size_t i = from; i < d->len; i++)
		if (!d->items[i].address && address)
			d->items[i].address = az_xstrdup(address);
}

size_t az_diags_errors(const az_diags *d)
{
	size_t n = 0;
	for (size_t i = 0; i < d->len; i++)
		n += d->items[i].severity == AZ_SEV_ERROR;
	return n;
}

void az_diags_move(az_diags *dst, az_diags *src)
{
	for (size_t i = 0; i < src->len; i++) {
		if (dst->len == dst->cap) {
			dst->cap = dst->cap ? dst->cap * 2 : 8;
			dst->items = az_xrealloc(dst->items, dst->cap * sizeof(*dst->items));
		}
		dst->items[dst->len++] = src->items[i];
	}
	free(src->items);
	src->items = NULL;
	src->len = src->cap = 0;
}

static int cmp_str(const char *a, const char *b)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

static int diag_before(const az_diag *a, const az_diag *b)
{
	int c = cmp_str(a->file, b->file);
	if (c)
		return c < 0;
	if (a->line != b->line)
		return a->line < b->line;
	return a->col < b->col;
}

void az_diags_sort(az_diags *d)
{
	/* Insertion sort: stable, and lists are short. */
	for (size_t i = 1; i < d->len; i++) {
		az_diag tmp = d->items[i];
		size_t j = i;
		while (j > 0 && diag_before(&tmp, &d->items[j - 1])) {
			d->items[j] = d->items[j - 1];
			j--;
		}
		d->items[j] = tmp;
	}
}

static void diag_free(az_diag *x)
{
	free(x->summary);
	free(x->detail);
	free(x->file);
	free(x->address);
	free(x->code);
	free(x->request_id);
	free(x->correlation_id);
}

size_t az_diags_drop_warnings(az_diags *d, size_t from, size_t to)
{
	size_t kept = from;
	for (size_t i = from; i < to && i < d->len; i++) {
		if (d->items[i].severity == AZ_SEV_ERROR)
			d->items[kept++] = d->items[i];
		else
			diag_free(&d->items[i]);
	}
	size_t end = to < d->len ? to : d->len;
	size_t dropped = end - kept;
	memmove(&d->items[kept], &d->items[end], (d->len - end) * sizeof(*d->items));
	d->len -= dropped;
	return dropped;
}

void az_diags_clear(az_diags *d)
{
	for (size_t i = 0; i < d->len; i++)
		diag_free(&d->items[i]);
	free(d->items);
	d->items = NULL;
	d->len = d->cap = 0;
}
