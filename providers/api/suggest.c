/*
 * suggest.c - "did you mean": the closest of a few known words to one a
 * user typed (an address, a role, an environment, a property). Here, below
 * every layer, so the loader, the planner and the commands give the same
 * hint by the same measure.
 */
#include <azapply/provider.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* Case-insensitive Levenshtein distance with two rows. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t *prev = az_xcalloc(lb + 1, sizeof(size_t));
	size_t *cur = az_xcalloc(lb + 1, sizeof(size_t));
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
			size_t best = prev[j - 1] + cost;
			if (prev[j] + 1 < best)
				best = prev[j] + 1;
			if (cur[j - 1] + 1 < best)
				best = cur[j - 1] + 1;
			cur[j] = best;
		}
		size_t *t = prev;
		prev = cur;
		cur = t;
	}
	size_t d = prev[lb];
	free(prev);
	free(cur);
	return d;
}

const char *az_suggest(const char *word, const char *const *candidates, size_t count)
{
	const char *best = NULL;
	size_t best_d = (size_t)-1;
	for (size_t i = 0; i < count; i++) {
		size_t d = edit_distance(word, candidates[i]);
		if (d < best_d) {
			best_d = d;
			best = candidates[i];
		}
	}
	/* A third of the word (at least 2 edits) still reads as a typo; more is
	 * a different word and a hint would only confuse. */
	size_t limit = strlen(word) / 3;
	if (limit < 2)
		limit = 2;
	return best_d <= limit ? best : NULL;
}

const char *az_suggest_key(const char *word, json_t *object)
{
	size_t n = json_object_size(object), k = 0;
	const char **names = az_xcalloc(n ? n : 1, sizeof(*names));
	const char *key;
	json_t *v;
	json_object_foreach(object, key, v) names[k++] = key;
	const char *hint = az_suggest(word, names, n);
	free(names);
	return hint;
}
