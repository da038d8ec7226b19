/*
 * test_support.c - the shared pieces both sides of the provider interface
 * use: the buffer, diagnostics, the kind table, naming rules and the
 * "did you mean" hints.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include <azapply/names.h>
#include <azapply/planner.h>

static void buf_grows_and_stays_terminated(void **state)
{
	(void)state;
	az_buf b = AZ_BUF_INIT;
	for (int i = 0; i < 1000; i++)
		az_buf_printf(&b, "%d,", i % 10);
	assert_int_equal(b.len, 2000);
	assert_int_equal(b.data[b.len], '\0');
	az_buf_truncate(&b, 4);
	assert_string_equal(b.data, "0,1,");
	char *s = az_buf_detach(&b);
	assert_string_equal(s, "0,1,");
	/* Detached at its own size, not the 2,000 bytes the buffer had held. */
	assert_true(malloc_usable_size(s) < 64);
	assert_null(b.data);
	free(s);
	az_buf empty = AZ_BUF_INIT;
	s = az_buf_detach(&empty);
	assert_string_equal(s, "");
	free(s);
}

/* Sizes in decimal, as "%zu" writes them, the largest included. */
static void sizes_are_written_as_printf_writes_them(void **state)
{
	(void)state;
	static const size_t values[] = {0, 1, 9, 10, 99, 100, 12345, 4294967295u, 4294967296u,
					SIZE_MAX};
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		char want[32];
		snprintf(want, sizeof(want), "x%zu", values[i]);
		az_buf b = AZ_BUF_INIT;
		az_buf_putc(&b, 'x');
		az_buf_put_size(&b, values[i]);
		assert_string_equal(b.data, want);
		assert_int_equal(b.len, strlen(want));
		az_buf_free(&b);
	}
}

/* The joined path for %s-only formats and the vsnprintf path write what
 * printf would, long results and literal percents included. */
static void formats_match_printf(void **state)
{
	(void)state;
	char *p = az_xasprintf("%s/%s/%s", "team-a", "SynapseWorkspace", "synw");
	assert_string_equal(p, "team-a/SynapseWorkspace/synw");
	free(p);
	p = az_xasprintf("100%% of %s, %s%%", "a", "");
	assert_string_equal(p, "100% of a, %");
	free(p);
	p = az_xasprintf("plain");
	assert_string_equal(p, "plain");
	free(p);
	p = az_xasprintf("%s", "");
	assert_string_equal(p, "");
	free(p);
	p = az_xasprintf("%s:%d:%d: %s", "a.yaml", 12, 3, "bad");
	assert_string_equal(p, "a.yaml:12:3: bad");
	free(p);
	p = az_xasprintf("/metadata/dependsOn/%zu", (size_t)7);
	assert_string_equal(p, "/metadata/dependsOn/7");
	free(p);
	char big[600];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	p = az_xasprintf("[%s]", big);
	assert_int_equal(strlen(p), sizeof(big) + 1);
	assert_int_equal(p[0], '[');
	assert_int_equal(p[sizeof(big)], ']');
	free(p);
	p = az_xasprintf("%d[%s]", 1, big);
	assert_int_equal(strlen(p), sizeof(big) + 2);
	assert_int_equal(p[sizeof(big) + 1], ']');
	free(p);
}

static void diags_keep_every_field_and_sort_by_position(void **state)
{
	(void)state;
	az_diags d = AZ_DIAGS_INIT;
	az_pos b = {"b.yaml", 3, 1}, a2 = {"a.yaml", 10, 2}, a1 = {"a.yaml", 2, 7};
	az_diag_add(&d, AZ_SEV_ERROR, &b, "SparkPool/x", "third %d", 3);
	az_diag_add(&d, AZ_SEV_WARNING, &a2, NULL, "second");
	az_diag *first = az_diag_add(&d, AZ_SEV_ERROR, &a1, NULL, "first");
	az_diag_set_detail(first, "fix it %s", "so");
	az_diags_set_address(&d, 1, "Kind/addr");
	assert_int_equal(az_diags_errors(&d), 2);
	az_diags_sort(&d);
	assert_string_equal(d.items[0].summary, "first");
	assert_string_equal(d.items[0].detail, "fix it so");
	assert_string_equal(d.items[0].address, "Kind/addr");
	assert_int_equal(d.items[0].col, 7);
	assert_string_equal(d.items[1].summary, "second");
	assert_string_equal(d.items[2].summary, "third 3");
	/* set_address never overwrites what a lower layer said. */
	assert_string_equal(d.items[2].address, "SparkPool/x");
	az_diags other = AZ_DIAGS_INIT;
	az_diag_add(&other, AZ_SEV_NOTE, NULL, NULL, "moved");
	az_diags_move(&d, &other);
	assert_int_equal(d.len, 4);
	assert_int_equal(other.len, 0);
	az_diags_clear(&d);
}

static void kind_table_is_sorted_and_complete(void **state)
{
	(void)state;
	size_t n;
	const az_kind *const *kinds = az_kinds(&n);
	assert_int_equal(n, 33);
	for (size_t i = 1; i < n; i++)
		assert_true(strcmp(kinds[i - 1]->name, kinds[i]->name) < 0);
	for (size_t i = 0; i < n; i++) {
		const az_kind *k = kinds[i];
		assert_ptr_equal(az_kind_find(k->name), k);
		assert_non_null(k->api_version);
		assert_non_null(k->id_template);
		assert_non_null(k->naming.pattern);
		assert_non_null(k->naming.rule);
		assert_true(k->create_timeout_s > 0 && k->delete_timeout_s > 0);
		if (k->scope == AZ_SCOPE_PARENT) {
			assert_non_null(az_kind_find(k->parent_kind));
			assert_non_null(k->parent_field);
		}
	}
	assert_null(az_kind_find("Sparkpool"));
	assert_null(az_kind_find(""));
}

static bool name_ok(const char *kind, const char *name)
{
	char *why = NULL;
	bool ok = az_name_valid(az_kind_find(kind), name, &why);
	if (!ok) {
		assert_non_null(why);
		/* The message names the rule, so the user knows the fix. */
		assert_non_null(strstr(why, "characters"));
	}
	free(why);
	return ok;
}

static void naming_rules_follow_azure(void **state)
{
	(void)state;
	assert_true(name_ok("StorageAccount", "stmlplatformdev"));
	assert_false(name_ok("StorageAccount", "st"));
	assert_false(name_ok("StorageAccount", "StMlPlatform"));
	assert_false(name_ok("StorageAccount", "st-ml"));
	assert_false(name_ok("StorageAccount", "abcdefghijklmnopqrstuvwxy"));
	assert_true(name_ok("SparkPool", "sparkml"));
	assert_false(name_ok("SparkPool", "spark-ml"));
	assert_false(name_ok("SparkPool", "1spark"));
	assert_false(name_ok("SparkPool", "sparkpoolnamelong"));
	assert_true(name_ok("SynapseWorkspace", "synw-mlplatform-dev"));
	assert_false(name_ok("SynapseWorkspace", "synw-ondemand"));
	assert_false(name_ok("SynapseWorkspace", "synw-"));
	assert_true(name_ok("KeyVault", "kv-mlplatform-dev"));
	assert_false(name_ok("KeyVault", "kv--double"));
	assert_false(name_ok("KeyVault", "1kv"));
	assert_true(name_ok("ResourceGroup", "rg-ml.platform(dev)"));
	assert_false(name_ok("ResourceGroup", "rg-ends-with."));
	assert_true(name_ok("StorageContainer", "synapse"));
	assert_false(name_ok("StorageContainer", "Synapse"));
	assert_false(name_ok("StorageContainer", "a--b"));
	assert_true(name_ok("Pipeline", "nightly training_1"));
	assert_false(name_ok("Pipeline", "bad.name"));
	assert_false(name_ok("Pipeline", "bad/name"));
	assert_true(name_ok("MlWorkspace", "mlw-mlplatform-dev"));
	assert_false(name_ok("MlWorkspace", "ml"));
	/* Lengths are characters, not bytes. */
	assert_true(name_ok("ApplicationInsights", "appi-\xc3\xa9t\xc3\xa9"));
	az_names_release();
}

static void suggestions_catch_typos_only(void **state)
{
	(void)state;
	const char *names[] = {"SparkPool", "SqlPool", "SynapseWorkspace"};
	assert_string_equal(az_suggest("SparkPol", names, 3), "SparkPool");
	assert_string_equal(az_suggest("sparkpool", names, 3), "SparkPool");
	assert_string_equal(az_suggest("SynapseWorkspce", names, 3), "SynapseWorkspace");
	assert_null(az_suggest("KeyVault", names, 3));
	assert_null(az_suggest("x", names, 0));
}

static void pointers_escape_per_rfc6901(void **state)
{
	(void)state;
	az_buf b = AZ_BUF_INIT;
	az_pointer_push(&b, "spec");
	az_pointer_push(&b, "a/b~c");
	az_pointer_push_index(&b, 3);
	assert_string_equal(b.data, "/spec/a~1b~0c/3");
	az_buf_truncate(&b, 0);
	/* Empty keys, and escapes first, last and side by side. */
	az_pointer_push(&b, "");
	az_pointer_push(&b, "~");
	az_pointer_push(&b, "//");
	az_pointer_push(&b, "~a/");
	az_pointer_push(&b, "plain");
	assert_string_equal(b.data, "//~0/~1~1/~0a~1/plain");
	az_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(buf_grows_and_stays_terminated),
		cmocka_unit_test(formats_match_printf),
		cmocka_unit_test(sizes_are_written_as_printf_writes_them),
		cmocka_unit_test(diags_keep_every_field_and_sort_by_position),
		cmocka_unit_test(kind_table_is_sorted_and_complete),
		cmocka_unit_test(naming_rules_follow_azure),
		cmocka_unit_test(suggestions_catch_typos_only),
		cmocka_unit_test(pointers_escape_per_rfc6901),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
