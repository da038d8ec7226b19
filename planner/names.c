/*
 * names.c - checks resource names against each kind's naming rule.
 *
 * The rules are data in the kind table (providers/kinds/kinds.c); this file
 * only measures length in characters (names are UTF-8) and runs the
 * pattern, anchored, with PCRE2. Patterns are compiled once per kind.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <azapply/names.h>

#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

typedef struct compiled {
	const az_kind *kind;
	pcre2_code *re;
	struct compiled *next;
} compiled;

static compiled *cache;

static size_t utf8_chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

static pcre2_code *pattern_for(const az_kind *kind)
{
	for (compiled *c = cache; c; c = c->next)
		if (c->kind == kind)
			return c->re;
	char *anchored = az_xasprintf("^(?:%s)$", kind->naming.pattern);
	int err;
	PCRE2_SIZE off;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)anchored, PCRE2_ZERO_TERMINATED,
				       PCRE2_UTF | PCRE2_DOLLAR_ENDONLY, &err, &off, NULL);
	free(anchored);
	/* The table is ours: a pattern that does not compile is a bug. */
	if (!re)
		abort();
	compiled *c = az_xcalloc(1, sizeof(*c));
	c->kind = kind;
	c->re = re;
	c->next = cache;
	cache = c;
	return re;
}

bool az_name_valid(const az_kind *kind, const char *name, char **why)
{
	*why = NULL;
	size_t len = utf8_chars(name);
	const az_naming *rule = &kind->naming;
	if ((rule->min_len && len < (size_t)rule->min_len) ||
	    (rule->max_len && len > (size_t)rule->max_len)) {
		*why = az_xasprintf("%s name '%s' is %zu characters long; Azure allows %s", kind->name,
				    name, len, rule->rule);
		return false;
	}
	if (!rule->pattern)
		return true;
	pcre2_code *re = pattern_for(kind);
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
	int rc = pcre2_match(re, (PCRE2_SPTR)name, strlen(name), 0, 0, md, NULL);
	pcre2_match_data_free(md);
	if (rc < 0) {
		*why = az_xasprintf("%s name '%s' is not allowed; Azure allows %s", kind->name, name,
				    rule->rule);
		return false;
	}
	return true;
}

void az_names_release(void)
{
	while (cache) {
		compiled *next = cache->next;
		pcre2_code_free(cache->re);
		free(cache);
		cache = next;
	}
}
