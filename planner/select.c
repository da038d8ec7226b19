/*
 * select.c - `--selector key=value`: resources chosen by metadata.labels.
 *
 * A selector that matches nothing is an error, never an empty plan or a
 * plan of everything: a typo in a CI job's selector must stop it, and say
 * what was meant (the nearest label key, or the values the key has).
 * Dependencies are added by the plan, as for --target, so selecting a
 * Spark pool plans its workspace too and never prunes anything.
 */
#include <azapply/select.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The labels of resource `r`: an object of strings, or NULL. */
static const json_t *labels_of(const az_resource *r)
{
	const json_t *l = json_object_get(json_object_get(r->manifest->body, "metadata"), "labels");
	return json_is_object(l) ? l : NULL;
}

static bool label_is(const az_resource *r, const char *key, const char *value)
{
	const char *v = json_string_value(json_object_get(labels_of(r), key));
	return v && strcmp(v, value) == 0;
}

/* Every distinct key (value == NULL), or every distinct value of `key`,
 * of the stack's labels, joined by ", " into `list`; the array of them
 * (borrowed from the stack) is returned, its length in *n. */
static const char **label_words(const az_stack *st, const char *key, size_t *n, az_buf *list)
{
	const char **words = az_xcalloc(1, sizeof(*words));
	*n = 0;
	for (size_t i = 0; i < st->len; i++) {
		const char *k;
		const json_t *v;
		json_object_foreach((json_t *)(uintptr_t)labels_of(&st->resources[i]), k, v) {
			const char *word = key ? (strcmp(k, key) == 0 ? json_string_value(v) : NULL) : k;
			bool seen = !word;
			for (size_t j = 0; j < *n && !seen; j++)
				seen = strcmp(words[j], word) == 0;
			if (seen)
				continue;
			words = az_xrealloc(words, (*n + 1) * sizeof(*words));
			words[(*n)++] = word;
			az_buf_printf(list, "%s%s", list->len ? ", " : "", word);
		}
	}
	return words;
}

/* The selector is `key=value`, or the diagnostic says what is wrong with
 * it. On success *key is the key (caller frees), *value borrowed. */
static int parse_selector(char **key, const char **value, const az_stack *st, const char *sel,
			  az_diags *d)
{
	const char *eq = strchr(sel, '=');
	*key = NULL;
	if (!eq || eq == sel) {
		az_diag *x = az_diag_add(d, AZ_SEV_ERROR, NULL, NULL,
					 "--selector '%s' is not KEY=VALUE", sel);
		az_diag_set_detail(x, "select by a label of metadata.labels, e.g. --selector team=data");
		return AZ_EINVALID;
	}
	*key = az_xstrndup(sel, (size_t)(eq - sel));
	*value = eq + 1;
	size_t n;
	az_buf list = AZ_BUF_INIT;
	const char **keys = label_words(st, NULL, &n, &list);
	bool known = false;
	for (size_t i = 0; i < n && !known; i++)
		known = strcmp(keys[i], *key) == 0;
	int rc = 0;
	if (!known) {
		const char *hint = az_suggest(*key, keys, n);
		az_diag *x = az_diag_add(d, AZ_SEV_ERROR, NULL, NULL,
					 "--selector %s: no resource has a label '%s'", sel, *key);
		if (hint)
			az_diag_set_detail(x, "did you mean '%s'? (label keys in this stack: %s)", hint,
					   list.data);
		else if (n)
			az_diag_set_detail(x, "label keys in this stack: %s", list.data);
		else
			az_diag_set_detail(x, "no manifest has metadata.labels; add labels: {%s: %s} "
					      "to the ones to select",
					   *key, *value);
		rc = AZ_EINVALID;
	}
	free(keys);
	az_buf_free(&list);
	if (rc)
		return rc;
	/* A known key with a value no resource has: the values it has. */
	const char **values = label_words(st, *key, &n, &list);
	known = false;
	for (size_t i = 0; i < n && !known; i++)
		known = strcmp(values[i], *value) == 0;
	if (!known) {
		const char *hint = az_suggest(*value, values, n);
		az_diag *x = az_diag_add(d, AZ_SEV_ERROR, NULL, NULL,
					 "--selector %s: no resource has %s=%s", sel, *key, *value);
		if (hint)
			az_diag_set_detail(x, "did you mean '%s=%s'? (values of '%s': %s)", *key, hint,
					   *key, list.data);
		else
			az_diag_set_detail(x, "values of '%s' in this stack: %s", *key, list.data);
		rc = AZ_EINVALID;
	}
	free(values);
	az_buf_free(&list);
	return rc;
}

int az_stack_select(const char ***out, size_t *len, const az_stack *stack,
		    const char *const *selectors, size_t selectors_len, az_diags *d)
{
	char **keys = az_xcalloc(selectors_len ? selectors_len : 1, sizeof(*keys));
	const char **values = az_xcalloc(selectors_len ? selectors_len : 1, sizeof(*values));
	const char **chosen = NULL;
	size_t n = 0;
	int rc = 0;
	*out = NULL;
	*len = 0;
	for (size_t s = 0; s < selectors_len; s++)
		if (parse_selector(&keys[s], &values[s], stack, selectors[s], d) != 0)
			rc = AZ_EINVALID;
	if (rc)
		goto done;
	chosen = az_xcalloc(stack->len ? stack->len : 1, sizeof(*chosen));
	for (size_t i = 0; i < stack->len; i++) {
		bool all = true;
		for (size_t s = 0; s < selectors_len && all; s++)
			all = label_is(&stack->resources[i], keys[s], values[s]);
		if (all)
			chosen[n++] = stack->resources[i].address;
	}
	if (!n) {
		az_buf list = AZ_BUF_INIT;
		for (size_t s = 0; s < selectors_len; s++)
			az_buf_printf(&list, "%s%s", s ? ", " : "", selectors[s]);
		az_diag *x = az_diag_add(d, AZ_SEV_ERROR, NULL, NULL,
					 "no resource has every label of --selector %s", list.data);
		az_diag_set_detail(x, "selectors must all match (AND); each matches some resources, "
				      "but none has them all");
		az_buf_free(&list);
		free(chosen);
		chosen = NULL;
		rc = AZ_EINVALID;
		goto done;
	}
	*out = chosen;
	*len = n;
done:
	for (size_t s = 0; s < selectors_len; s++)
		free(keys[s]);
	free(keys);
	free(values);
	return rc;
}
