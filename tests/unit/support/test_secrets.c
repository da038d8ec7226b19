/*
 * test_secrets.c - the registry of secret values and their redaction: what
 * is remembered (and what is too short to be), every occurrence blanked,
 * the JSON form of a value, a secret split across two writes of a stream,
 * and the secrets of a body found by the kind's paths and SecureStrings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <azapply/provider.h>

static int forget(void **state)
{
	(void)state;
	az_secret_forget_all();
	return 0;
}

static void expect_redacted(const char *text, const char *want)
{
	char *got = az_secret_redact(text);
	assert_string_equal(got, want);
	free(got);
}

static void short_values_are_left_alone(void **state)
{
	(void)state;
	az_secret_remember("dev");
	az_secret_remember("");
	az_secret_remember(NULL);
	expect_redacted("dev and prod", "dev and prod");
	az_secret_remember("prod");
	expect_redacted("dev and prod", "dev and " AZ_SECRET_MASK);
	expect_redacted(NULL, "");
}

static void every_occurrence_is_blanked_longest_first(void **state)
{
	(void)state;
	az_secret_remember("Passw0rd");
	az_secret_remember("Passw0rd-long");
	az_secret_remember("Passw0rd");
	expect_redacted("Password 'Passw0rd-long' is weak; Passw0rd too; Passw0r is not it",
	                "Password '" AZ_SECRET_MASK "' is weak; " AZ_SECRET_MASK
	                " too; Passw0r is not it");
}

/* --output json writes a password holding a quote or a backslash escaped. */
static void json_form_is_blanked(void **state)
{
	(void)state;
	az_secret_remember("pa\"ss\\w0rd");
	json_t *msg = json_pack("{s:s}", "message", "the password pa\"ss\\w0rd is invalid");
	char *text = json_dumps(msg, JSON_COMPACT);
	assert_non_null(strstr(text, "pa\\\"ss\\\\w0rd"));
	char *out = az_secret_redact(text);
	assert_string_equal(out, "{\"message\":\"the password " AZ_SECRET_MASK " is invalid\"}");
	free(out);
	free(text);
	json_decref(msg);
}

/* stdio hands the stream its buffer in pieces: a secret cut in two by a
 * flush must not come out half. */
static void stream_holds_back_a_split_secret(void **state)
{
	(void)state;
	az_secret_remember("Hunter2-secret");
	az_buf out = AZ_BUF_INIT;
	const char *first = "error: password Hunt";
	size_t used = az_secret_redact_into(&out, first, strlen(first), true);
	assert_int_equal(used, strlen("error: password "));
	assert_string_equal(out.data, "error: password ");
	const char *rest = "Hunter2-secret is weak\n";
	used = az_secret_redact_into(&out, rest, strlen(rest), true);
	assert_int_equal(used, strlen(rest));
	assert_string_equal(out.data, "error: password " AZ_SECRET_MASK " is weak\n");
	/* A tail that only looked like the start is written at the end. */
	az_buf_truncate(&out, 0);
	used = az_secret_redact_into(&out, "Hunt", 4, true);
	assert_int_equal(used, 0);
	used = az_secret_redact_into(&out, "Hunt", 4, false);
	assert_int_equal(used, 4);
	assert_string_equal(out.data, "Hunt");
	/* Cut right after its first byte, and a text of that byte alone. */
	az_buf_truncate(&out, 0);
	used = az_secret_redact_into(&out, "password H", 10, true);
	assert_int_equal(used, 9);
	used = az_secret_redact_into(&out, "H", 1, true);
	assert_int_equal(used, 0);
	used = az_secret_redact_into(&out, "Hunter2-secret", 14, false);
	assert_int_equal(used, 14);
	assert_string_equal(out.data, "password " AZ_SECRET_MASK);
	az_buf_free(&out);
}

static void body_secrets_are_remembered(void **state)
{
	(void)state;
	const az_kind *ws = az_kind_find("SynapseWorkspace");
	assert_non_null(ws);
	json_t *body = json_pack("{s:{s:s,s:s}}", "properties", "sqlAdministratorLogin", "sqladmin",
	                         "sqlAdministratorLoginPassword", "Literal-Pa55");
	az_secret_remember_body(ws, body);
	json_decref(body);
	body = json_pack("{s:{s:{s:[{s:s,s:s}]}}}", "properties", "typeProperties", "keys", "type",
	                 "SecureString", "value", "linked-key-42");
	az_secret_remember_body(NULL, body);
	json_decref(body);
	/* A path with "*" reaches into every key and item. */
	static const char *const paths[] = {"properties.items.*.key", NULL};
	az_kind k = {.name = "Fake", .secret_paths = paths};
	body = json_pack("{s:{s:[{s:s},{s:i}]}}", "properties", "items", "key", "item-key-7", "key",
	                 1234);
	az_secret_remember_body(&k, body);
	json_decref(body);
	expect_redacted("sqladmin Literal-Pa55 linked-key-42 item-key-7 1234",
	                "sqladmin " AZ_SECRET_MASK " " AZ_SECRET_MASK " " AZ_SECRET_MASK " 1234");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(short_values_are_left_alone, forget),
	    cmocka_unit_test_teardown(every_occurrence_is_blanked_longest_first, forget),
	    cmocka_unit_test_teardown(json_form_is_blanked, forget),
	    cmocka_unit_test_teardown(stream_holds_back_a_split_secret, forget),
	    cmocka_unit_test_teardown(body_secrets_are_remembered, forget),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
