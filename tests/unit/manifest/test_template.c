/*
 * test_template.c - expressions in strings: the grammar, the $${ escape and
 * errors at the exact column.
 */
#include "mtest.h"

#include <stdlib.h>
#include <string.h>

static void parses_every_kind_of_part(void **state)
{
	(void)state;
	az_diags d = AZ_DIAGS_INIT;
	az_template *t = NULL;
	const char *s = "a-${var.env_1}/${env.TOKEN}:${ref.SynapseWorkspace.ws-1.properties.x}"
	                "${ref.Storage.st}$${lit}$x";
	assert_int_equal(az_template_parse(&t, s, NULL, &d), 0);
	assert_int_equal(t->len, 8);
	assert_int_equal(t->parts[0].type, AZ_PART_LITERAL);
	assert_string_equal(t->parts[0].text, "a-");
	assert_int_equal(t->parts[1].type, AZ_PART_VAR);
	assert_string_equal(t->parts[1].text, "env_1");
	assert_int_equal(t->parts[1].offset, 2);
	assert_int_equal(t->parts[1].length, 12);
	assert_int_equal(t->parts[2].type, AZ_PART_LITERAL);
	assert_string_equal(t->parts[2].text, "/");
	assert_int_equal(t->parts[3].type, AZ_PART_ENV);
	assert_string_equal(t->parts[3].text, "TOKEN");
	assert_int_equal(t->parts[5].type, AZ_PART_REF);
	assert_string_equal(t->parts[5].ref_kind, "SynapseWorkspace");
	assert_string_equal(t->parts[5].ref_name, "ws-1");
	assert_string_equal(t->parts[5].ref_path, "properties.x");
	assert_int_equal(t->parts[6].type, AZ_PART_REF);
	assert_string_equal(t->parts[6].ref_kind, "Storage");
	assert_string_equal(t->parts[6].ref_name, "st");
	assert_string_equal(t->parts[6].ref_path, "");
	assert_int_equal(t->parts[7].type, AZ_PART_LITERAL);
	assert_string_equal(t->parts[7].text, "${lit}$x");
	assert_true(az_template_has_refs(t));
	assert_false(az_template_is_literal(t));
	az_template_free(t);
	az_template_free(NULL);
	assert_int_equal(d.len, 0);

	assert_int_equal(az_template_parse(&t, "plain $ text {}", NULL, &d), 0);
	assert_int_equal(t->len, 1);
	assert_true(az_template_is_literal(t));
	assert_false(az_template_has_refs(t));
	az_template_free(t);
	assert_int_equal(az_template_parse(&t, "", NULL, &d), 0);
	assert_int_equal(t->len, 0);
	assert_true(az_template_is_literal(t));
	az_template_free(t);
	/* "$$${" reads left to right: "$" then the escape. */
	assert_int_equal(az_template_parse(&t, "$$${x}", NULL, &d), 0);
	assert_int_equal(t->len, 1);
	assert_string_equal(t->parts[0].text, "$${x}");
	az_template_free(t);
}

static void has_expr_is_cheap_and_right(void **state)
{
	(void)state;
	assert_true(az_string_has_expr("x ${var.a}"));
	assert_true(az_string_has_expr("$${"));
	assert_false(az_string_has_expr("$ {var.a}"));
	assert_false(az_string_has_expr("plain"));
}

static void expect_error(const char *s, int col, const char *msg)
{
	az_pos at = {"f.yaml", 3, 10};
	az_diags d = AZ_DIAGS_INIT;
	az_template *t = (az_template *)&d; /* must be reset to NULL */
	if (az_template_parse(&t, s, &at, &d) != AZ_EINVALID)
		fail_msg("'%s' parsed", s);
	assert_null(t);
	assert_int_equal(d.len, 1);
	assert_string_equal(d.items[0].file, "f.yaml");
	assert_int_equal(d.items[0].line, 3);
	if (d.items[0].col != col || !strstr(d.items[0].summary, msg))
		fail_msg("'%s': got col %d '%s', want col %d '%s'", s, d.items[0].col,
		         d.items[0].summary, col, msg);
	az_diags_clear(&d);
}

static void errors_point_at_the_column(void **state)
{
	(void)state;
	expect_error("ab${var.x", 12, "unterminated '${'");
	expect_error("${foo.x}", 12, "unknown expression 'foo'");
	expect_error("x${}", 11, "empty expression");
	expect_error("${var}", 15, "expected '.' and a name after 'var'");
	expect_error("${var.}", 16, "empty variable name in expression");
	expect_error("${var.a-b}", 17, "invalid character '-' in variable name");
	expect_error("${env.1X}", 16, "invalid character '1' in environment variable name");
	expect_error("${ var.x}", 12, "unknown expression ' var'");
	expect_error("${ref.Kind}", 20, "expected '.' and a resource name after the kind");
	expect_error("${ref.Kind.}", 21, "empty resource name of a reference");
	expect_error("${ref.Kind.a.b..c}", 25, "empty path of a reference");
	expect_error("${ref.Kind.a.b.}", 25, "empty path of a reference");
	expect_error("${ref.9Kind.a}", 16, "invalid character '9' in kind of a reference");
	expect_error("${ref.K.n@x}", 19, "invalid character '@' in resource name");
	/* Columns count characters, not bytes. */
	expect_error("é${var.x y}", 18, "invalid character ' '");
	expect_error("${var.\xc3\xa9}", 16, "invalid character (byte 0xC3) in variable name");
}

static void errors_in_multiline_strings_point_at_the_start(void **state)
{
	(void)state;
	az_pos at = {"f.yaml", 3, 10};
	az_diags d = AZ_DIAGS_INIT;
	az_template *t = NULL;
	assert_int_equal(az_template_parse(&t, "line one\n${bad.x}", &at, &d), AZ_EINVALID);
	assert_int_equal(d.items[0].line, 3);
	assert_int_equal(d.items[0].col, 10);
	az_diags_clear(&d);
	/* No position at all: still an error, with no file. */
	assert_int_equal(az_template_parse(&t, "${bad.x}", NULL, &d), AZ_EINVALID);
	assert_null(d.items[0].file);
	az_diags_clear(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(parses_every_kind_of_part),
	    cmocka_unit_test(has_expr_is_cheap_and_right),
	    cmocka_unit_test(errors_point_at_the_column),
	    cmocka_unit_test(errors_in_multiline_strings_point_at_the_start),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
