/*
 * fuzz_template.c - libFuzzer target for the expression parser alone: the
 * input is one string (up to the first NUL), parsed with a position so the
 * column arithmetic runs too. Every part must lie inside the string.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <azapply/manifest.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = az_xstrndup((const char *)data, size);
	size_t len = strlen(s);
	az_pos pos = {"fuzz.yaml", 7, 3};
	az_diags d = AZ_DIAGS_INIT;
	az_template *t = NULL;
	int err = az_template_parse(&t, s, &pos, &d);
	if (!err) {
		for (size_t i = 0; i < t->len; i++)
			if (t->parts[i].offset + t->parts[i].length > len)
				abort();
		(void)az_template_has_refs(t);
		(void)az_template_is_literal(t);
	} else if (d.len != 1 || d.items[0].line != 7 || d.items[0].col < 3) {
		abort(); /* one error, on the string's line, never left of it */
	}
	if (az_string_has_expr(s) != (strstr(s, "${") != NULL))
		abort();
	az_template_free(t);
	az_diags_clear(&d);
	free(s);
	return 0;
}
