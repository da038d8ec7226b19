/*
 * test_kinds_table.c - README's table of supported kinds is written from
 * the kinds table (providers/kinds/kinds.c), never by hand.
 *
 * Each row is a kind's name, the Azure API it speaks (its ARM type; its
 * Graph collection; its Synapse data-plane collection), its api-version
 * and where its ownership marker lives. The test renders the rows and
 * fails, showing both, when README's table differs: a kind added, renamed
 * or moved to another api-version without README following.
 * AZAPPLY_README_UPDATE=1 writes the rendered table into README.md instead.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <azapply/manifest.h>
#include <azapply/provider.h>

#define README AZAPPLY_SOURCE_DIR "/README.md"
#define HEADING "## Supported kinds\n\n"

/* The collection part of a data-plane or child id template:
 * "{parent}/managedVirtualNetworks/default/managedPrivateEndpoints/{name}"
 * -> "managedVirtualNetworks/default/managedPrivateEndpoints". */
static void collection_of(const az_kind *k, az_buf *out)
{
	const char *t = k->id_template;
	const char *from = strncmp(t, "{parent}/", 9) == 0 ? t + 9 : k->type;
	const char *to = strrchr(from, '/');
	if (from == k->type || !to)
		az_buf_puts(out, k->type);
	else
		az_buf_add(out, from, (size_t)(to - from));
}

static void azure_api(const az_kind *k, az_buf *out)
{
	if (k->generic) {
		az_buf_puts(out, "any ARM type, by `spec.type`");
		return;
	}
	switch (k->provider) {
	case AZ_PROVIDER_ARM:
		az_buf_puts(out, k->type);
		return;
	case AZ_PROVIDER_GRAPH: {
		az_buf_puts(out, "Microsoft Graph ");
		const az_kind *parent = k->parent_kind ? az_kind_find(k->parent_kind) : NULL;
		if (parent)
			az_buf_printf(out, "%s/", parent->type);
		az_buf_puts(out, k->type);
		return;
	}
	case AZ_PROVIDER_SYNAPSE_RBAC:
		az_buf_printf(out, "Synapse RBAC %s", k->type);
		return;
	default:
		az_buf_puts(out, "Synapse ");
		collection_of(k, out);
		az_buf_puts(out, " (data plane)");
	}
}

static void marker(const az_kind *k, az_buf *out)
{
	switch (k->marker) {
	case AZ_MARKER_TAGS:
		az_buf_puts(out, k->generic ? "tags when the type has them, else none (never pruned)"
					    : "tags");
		return;
	case AZ_MARKER_DESCRIPTION:
		az_buf_puts(out, "description");
		return;
	case AZ_MARKER_ANNOTATIONS:
		az_buf_puts(out, "annotations");
		return;
	case AZ_MARKER_NOTES:
		az_buf_puts(out, "notes (not pruned: see below)");
		return;
	case AZ_MARKER_METADATA:
		az_buf_puts(out, "container metadata");
		return;
	case AZ_MARKER_PROPERTY_TAGS:
		az_buf_puts(out, "properties.tags (a proxy resource: no ARM tags)");
		return;
	default:
		break;
	}
	if (az_studio_kind_folder(k->name))
		az_buf_puts(out, "none (never pruned but by `prune: all-in-workspace`)");
	else if (k->parent_kind && k->provider == AZ_PROVIDER_GRAPH) {
		/* Graph collections are plural: "applications" -> "application". */
		const az_kind *parent = az_kind_find(k->parent_kind);
		const char *type = parent ? parent->type : "parent";
		size_t len = strlen(type);
		if (len > 1 && type[len - 1] == 's')
			len--;
		az_buf_printf(out, "none (follows its %.*s: see below)", (int)len, type);
	}
	else
		az_buf_puts(out, "none (never pruned)");
}

/* The whole table, header included, each line ending in a newline. */
static char *render_table(void)
{
	az_buf t = {0};
	az_buf_puts(&t, "| kind | Azure API | api-version | ownership marker |\n"
			"|---|---|---|---|\n");
	size_t count;
	const az_kind *const *kinds = az_kinds(&count);
	for (size_t i = 0; i < count; i++) {
		const az_kind *k = kinds[i];
		az_buf_printf(&t, "| %s | ", k->name);
		azure_api(k, &t);
		az_buf_printf(&t, " | %s | ", k->generic ? "`spec.apiVersion`" : k->api_version);
		marker(k, &t);
		az_buf_puts(&t, " |\n");
	}
	return az_buf_detach(&t);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	az_buf b = {0};
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		az_buf_add(&b, chunk, n);
	fclose(f);
	return az_buf_detach(&b);
}

static void readme_table_is_the_kinds_table(void **state)
{
	(void)state;
	char *readme = slurp(README);
	char *start = strstr(readme, HEADING);
	assert_non_null(start);
	start += strlen(HEADING);
	/* The table runs to the first blank line. */
	char *end = strstr(start, "\n\n");
	assert_non_null(end);
	end++;
	char *want = render_table();
	size_t have_len = (size_t)(end - start);
	bool same = have_len == strlen(want) && memcmp(start, want, have_len) == 0;
	const char *update = getenv("AZAPPLY_README_UPDATE");
	if (!same && update && strcmp(update, "1") == 0) {
		FILE *f = fopen(README, "wb");
		assert_non_null(f);
		fwrite(readme, 1, (size_t)(start - readme), f);
		fputs(want, f);
		fputs(end, f);
		assert_int_equal(fclose(f), 0);
	} else if (!same) {
		/* Printed whole: cmocka cuts a long failure message short. */
		fprintf(stderr, "README has:\n%.*s\nthe kinds table says:\n%s\n", (int)have_len, start,
			want);
	}
	free(want);
	free(readme);
	if (!same && !(update && strcmp(update, "1") == 0))
		fail_msg("README's table of supported kinds is not the kinds table (both above); "
			 "write it with AZAPPLY_README_UPDATE=1 ctest -R test_kinds_table");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(readme_table_is_the_kinds_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
