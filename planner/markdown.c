/*
 * markdown.c - packing markdown into parts that each fit in one
 * pull-request comment (GitHub caps a comment at 65,536 characters).
 *
 * Callers add whole sections (a header, a table row, one resource's
 * details); a section is never split across parts unless it alone is
 * larger than a part, then it is cut on a UTF-8 boundary with a note.
 * Every part after the first repeats the header, and when there is more
 * than one part each says "(part i of n)".
 */
#include <azapply/plan.h>

#include <stdlib.h>
#include <string.h>

/* Room kept for the "(part i of n)" line added at the end. */
#define PART_LABEL_ROOM 64

void az_md_parts_init(az_md_parts *p, size_t limit, const char *header)
{
	memset(p, 0, sizeof(*p));
	p->limit = limit > 2 * PART_LABEL_ROOM ? limit - PART_LABEL_ROOM : limit;
	p->header = header ? az_xstrdup(header) : NULL;
}

static void flush(az_md_parts *p)
{
	if (!p->cur.len)
		return;
	p->items = az_xrealloc(p->items, (p->len + 1) * sizeof(char *));
	p->items[p->len++] = az_buf_detach(&p->cur);
}

void az_md_parts_add(az_md_parts *p, const char *section)
{
	size_t len = strlen(section);
	if (p->cur.len && p->cur.len + len > p->limit)
		flush(p);
	if (!p->cur.len && p->len > 0 && p->header)
		az_buf_puts(&p->cur, p->header);
	if (p->cur.len + len > p->limit) {
		static const char cut[] = "\n\n_(cut: this section is longer than one comment)_\n";
		size_t keep = p->limit > p->cur.len + sizeof(cut) ? p->limit - p->cur.len - sizeof(cut) : 0;
		while (keep > 0 && ((unsigned char)section[keep] & 0xC0) == 0x80)
			keep--;
		az_buf_add(&p->cur, section, keep);
		az_buf_puts(&p->cur, cut);
		return;
	}
	az_buf_puts(&p->cur, section);
}

size_t az_md_parts_finish(az_md_parts *p, char ***out)
{
	flush(p);
	if (p->len > 1) {
		for (size_t i = 0; i < p->len; i++) {
			char *with = az_xasprintf("%s\n_(part %zu of %zu)_\n", p->items[i], i + 1, p->len);
			free(p->items[i]);
			p->items[i] = with;
		}
	}
	*out = p->items;
	size_t n = p->len;
	free(p->header);
	az_buf_free(&p->cur);
	memset(p, 0, sizeof(*p));
	return n;
}
