/*
 * srcmap.c - the source map: JSON Pointer -> where the node was written.
 *
 * Every node of every manifest gets an entry, so a 10,000-resource stack
 * holds a few hundred thousand of them: the map is an open-addressing hash
 * table over a dense entry array (no table for a small map, searched entry
 * by entry), with all pointer strings in one growing byte arena (one
 * allocation per map instead of one per entry). Lookups of
 * a pointer that has no entry fall back to its nearest ancestor, so a value
 * that was computed (an alias copy, a merged patch) still points somewhere
 * sensible.
 */
#include "manifest_int.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* 32 bytes: a 10,001-resource stack holds 240,000 of these. The hash is
 * not kept; a rehash computes it again. */
typedef struct entry {
	uint32_t key; /* offset of the pointer in the arena */
	uint32_t len;
	az_mf_loc loc;
} entry;

struct az_srcmap {
	entry *items;
	size_t len, cap;
	uint32_t *slots; /* index + 1 into items; 0 = empty */
	size_t nslots;   /* power of two, kept at least twice len */
	az_buf arena;
};

static uint32_t hash_bytes(const char *s, size_t len)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return h;
}

az_srcmap *az_srcmap_new(void)
{
	return az_xcalloc(1, sizeof(az_srcmap));
}

void az_srcmap_free(az_srcmap *m)
{
	if (!m)
		return;
	free(m->items);
	free(m->slots);
	az_buf_free(&m->arena);
	free(m);
}

static bool entry_is(const az_srcmap *m, const entry *e, const char *p, size_t len)
{
	return e->len == len && !memcmp(m->arena.data + e->key, p, len);
}

static size_t slot_of(const az_srcmap *m, const char *p, size_t len, uint32_t h)
{
	size_t mask = m->nslots - 1;
	for (size_t i = h & mask;; i = (i + 1) & mask) {
		uint32_t s = m->slots[i];
		if (!s || entry_is(m, &m->items[s - 1], p, len))
			return i;
	}
}

/* A map of at most this many entries has no table and is searched entry
 * by entry: a resource's map holds a couple of dozen, and a table of 64
 * slots took more room than they did. */
#define LINEAR_MAX 32

/* The index + 1 of the entry for p[0..len), or 0. */
static uint32_t lookup(const az_srcmap *m, const char *p, size_t len)
{
	if (!m->nslots) {
		for (size_t i = 0; i < m->len; i++)
			if (entry_is(m, &m->items[i], p, len))
				return (uint32_t)(i + 1);
		return 0;
	}
	return m->slots[slot_of(m, p, len, hash_bytes(p, len))];
}

/* Slots for `n` entries and more: a power of two, at least twice n. */
static size_t slots_for(size_t n)
{
	size_t slots = 16;
	while (slots < 2 * n)
		slots *= 2;
	return slots;
}

static void rehash(az_srcmap *m, size_t nslots)
{
	free(m->slots);
	m->slots = az_xcalloc(nslots, sizeof(*m->slots));
	m->nslots = nslots;
	for (size_t i = 0; i < m->len; i++) {
		const entry *e = &m->items[i];
		const char *key = m->arena.data + e->key;
		size_t s = slot_of(m, key, e->len, hash_bytes(key, e->len));
		m->slots[s] = (uint32_t)(i + 1);
	}
}

void az_mf_map_put(az_srcmap *m, const char *pointer, size_t len, const az_mf_loc *loc)
{
	uint32_t found = lookup(m, pointer, len);
	if (found) {
		m->items[found - 1].loc = *loc;
		return;
	}
	if (m->len == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 16;
		m->items = az_xrealloc(m->items, m->cap * sizeof(*m->items));
	}
	entry *e = &m->items[m->len++];
	e->key = (uint32_t)m->arena.len;
	e->len = (uint32_t)len;
	e->loc = *loc;
	az_buf_add(&m->arena, pointer, len);
	az_buf_putc(&m->arena, '\0');
	if (m->nslots && m->len * 2 <= m->nslots)
		m->slots[slot_of(m, pointer, len, hash_bytes(pointer, len))] = (uint32_t)m->len;
	else if (m->nslots || m->len > LINEAR_MAX)
		rehash(m, slots_for(m->len));
}

az_srcmap *az_mf_map_take(az_srcmap *scratch)
{
	az_srcmap *m = az_srcmap_new();
	m->len = m->cap = scratch->len;
	if (m->len) {
		m->items = az_xmalloc(m->len * sizeof(*m->items));
		memcpy(m->items, scratch->items, m->len * sizeof(*m->items));
		m->arena.data = az_xmalloc(scratch->arena.len + 1);
		memcpy(m->arena.data, scratch->arena.data, scratch->arena.len + 1);
		m->arena.len = scratch->arena.len;
		m->arena.cap = scratch->arena.len + 1;
		if (m->len > LINEAR_MAX)
			rehash(m, slots_for(m->len));
	}
	az_mf_map_clear(scratch);
	return m;
}

void az_mf_map_clear(az_srcmap *m)
{
	m->len = 0;
	az_buf_truncate(&m->arena, 0);
	/* A large table is given back rather than cleared for every small
	 * document after a big one. */
	if (m->nslots <= 4096) {
		if (m->slots)
			memset(m->slots, 0, m->nslots * sizeof(*m->slots));
	} else {
		free(m->slots);
		m->slots = NULL;
		m->nslots = 0;
	}
}

const az_mf_loc *az_mf_map_find(const az_srcmap *m, const char *pointer, size_t len)
{
	if (!m || !m->len)
		return NULL;
	uint32_t found = lookup(m, pointer, len);
	return found ? &m->items[found - 1].loc : NULL;
}

void az_srcmap_set(az_srcmap *m, const char *pointer, az_pos pos)
{
	az_mf_loc loc = {.pos = pos};
	az_mf_map_put(m, pointer, strlen(pointer), &loc);
}

const az_pos *az_srcmap_get(const az_srcmap *m, const char *pointer)
{
	size_t len = strlen(pointer);
	for (;;) {
		const az_mf_loc *loc = az_mf_map_find(m, pointer, len);
		if (loc)
			return &loc->pos;
		if (!len)
			return NULL;
		while (len > 0 && pointer[--len] != '/')
			;
	}
}

az_pos az_mf_key_pos(const az_srcmap *m, const char *pointer)
{
	const az_mf_loc *loc = az_mf_map_find(m, pointer, strlen(pointer));
	if (loc && loc->key_line) {
		az_pos p = {loc->pos.file, loc->key_line, loc->key_col};
		return p;
	}
	const az_pos *p = az_srcmap_get(m, pointer);
	return p ? *p : (az_pos){0};
}

az_pos az_mf_member_key_pos(const az_srcmap *m, const char *parent, const char *key)
{
	az_buf ptr = AZ_BUF_INIT;
	az_buf_puts(&ptr, parent);
	az_mf_ptr_push(&ptr, key, strlen(key));
	az_pos at = az_mf_key_pos(m, ptr.data);
	az_buf_free(&ptr);
	return at;
}

void az_mf_map_copy(az_srcmap *dst, const char *dst_prefix, const az_srcmap *src,
                    const char *src_prefix)
{
	size_t sl = strlen(src_prefix);
	az_buf p = AZ_BUF_INIT;
	for (size_t i = 0; i < src->len; i++) {
		const entry *e = &src->items[i];
		const char *key = src->arena.data + e->key;
		if (e->len < sl || memcmp(key, src_prefix, sl) || (e->len > sl && key[sl] != '/'))
			continue;
		az_buf_truncate(&p, 0);
		az_buf_puts(&p, dst_prefix);
		az_buf_add(&p, key + sl, e->len - sl);
		az_mf_map_put(dst, p.data, p.len, &e->loc);
	}
	az_buf_free(&p);
}

void az_mf_ptr_push(az_buf *b, const char *key, size_t len)
{
	az_buf_grow(b, len + 1);
	b->data[b->len++] = '/';
	for (size_t i = 0; i < len; i++) {
		char c = key[i];
		if (c == '~' || c == '/') {
			az_buf_grow(b, len - i + 1);
			b->data[b->len++] = '~';
			c = c == '~' ? '0' : '1';
		}
		b->data[b->len++] = c;
	}
	b->data[b->len] = '\0';
}

void az_mf_ptr_push_index(az_buf *b, size_t index)
{
	az_buf_putc(b, '/');
	az_buf_put_size(b, index);
}

size_t az_mf_utf8_chars(const char *s, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		n += ((unsigned char)s[i] & 0xC0) != 0x80;
	return n;
}

void az_mf_cursor_init(az_mf_cursor *c, const az_pos *start, bool exact, const char *s)
{
	*c = (az_mf_cursor){.start = *start, .s = s, .exact = exact && start->col > 0};
}

void az_mf_string_cursor(az_mf_cursor *c, const az_srcmap *map, const char *pointer, size_t len,
                         const char *s)
{
	const az_mf_loc *loc = az_mf_map_find(map, pointer, len);
	az_pos start = loc ? loc->pos : *az_srcmap_get(map, pointer);
	az_mf_cursor_init(c, &start, loc && loc->exact, s);
}

az_pos az_mf_cursor_pos(az_mf_cursor *c, size_t offset)
{
	assert(offset >= c->offset);
	az_pos p = c->start;
	if (!c->exact)
		return p;
	for (; c->offset < offset && !c->newline; c->offset++) {
		unsigned char ch = (unsigned char)c->s[c->offset];
		c->newline = ch == '\n';
		c->chars += (ch & 0xC0) != 0x80;
	}
	if (!c->newline)
		p.col += c->chars;
	return p;
}

az_pos az_mf_pos_at(const az_pos *start, bool exact, const char *s, size_t offset)
{
	az_mf_cursor c;
	az_mf_cursor_init(&c, start, exact, s);
	return az_mf_cursor_pos(&c, offset);
}

const az_pos *az_manifest_pos(const az_manifest *m, const char *pointer)
{
	return m->map ? az_srcmap_get(m->map, pointer) : &m->pos;
}
