/*
 * test_e2e_auth.c - one cause, said once: the azapply binary against the
 * emulator's Entra endpoint with a wrong client secret, and with the token
 * endpoint answering 503. `azapply auth` and `azapply plan` each print the
 * failure once - the credential tried, the tenant, Entra's AADSTS code and
 * the fix - instead of once per request that waited for the token, and
 * never exit 1 in silence. Entra is asked once (plus the client's retries
 * of a 503), not again by each later request.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "run.h"

#define WRONG_SECRET "not-the-client-secret"

typedef struct world {
	emu *e;
	char **env; /* the emulator's, with its right client secret */
} world;

static int setup(void **state)
{
	world *w = calloc(1, sizeof(*w));
	const char *args[] = {"--retry-after", "0", NULL};
	if (!w || emu_start(&w->e, args) != 0)
		return -1;
	char *const none[] = {NULL};
	w->env = emu_env(w->e, none);
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	world *w = *state;
	emu_env_free(w->env);
	int status = emu_stop(w->e);
	free(w);
	return status == 0 ? 0 : -1;
}

/* Runs azapply `argv` with the emulator's environment, and `secret` (an
 * AZURE_CLIENT_SECRET=... entry, or NULL) in place of its client secret. */
static run_result azapply(world *w, const char *secret, const char *const *argv)
{
	const char **env = test_env_with(w->env, "SYNAPSE_SQL_PASSWORD=e2e-Passw0rd!",
					 "NO_COLOR=1", secret, NULL);
	run_result r;
	assert_int_equal(run_command(&r, AZAPPLY_BINARY, argv, env, NULL), 0);
	free(env);
	return r;
}

static const char *const AUTH[] = {"auth", NULL};
static const char *const PLAN[] = {"plan", AZAPPLY_SOURCE_DIR "/examples/synapse-ml", "--env",
				   "dev", NULL};

static size_t count_of(const char *text, const char *needle)
{
	size_t n = 0;
	for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* Exit 1 and one error on stderr, holding every one of `needles`. */
static void expect_said_once(const run_result *r, const char *const *needles)
{
	bool ok = r->exit_code == 1 && count_of(r->err, "error:") == 1;
	for (size_t i = 0; ok && needles[i]; i++)
		ok = count_of(r->err, needles[i]) == 1;
	if (!ok || strstr(r->out, WRONG_SECRET) || strstr(r->err, WRONG_SECRET))
		fail_msg("expected exit 1 and the failure said once; got exit %d\nstdout:\n%s\n"
			 "stderr:\n%s",
			 r->exit_code, r->out, r->err);
}

static long fault_hits(world *w)
{
	json_t *faults = NULL;
	assert_int_equal(emu_control(w->e, "GET", "faults", NULL, &faults), 200);
	long hits = (long)json_integer_value(
	    json_object_get(json_array_get(json_object_get(faults, "value"), 0), "hits"));
	json_decref(faults);
	return hits;
}

static void wrong_client_secret_is_said_once(void **state)
{
	world *w = *state;
	char tenant[128];
	snprintf(tenant, sizeof(tenant), "tenant %s", emu_tenant_id(w->e));
	const char *const needles[] = {"environment (client secret) credential", tenant,
				       "AADSTS7000215 (invalid client secret)",
				       "fix: check AZURE_CLIENT_SECRET; it may have expired", NULL};
	run_result r = azapply(w, "AZURE_CLIENT_SECRET=" WRONG_SECRET, AUTH);
	expect_said_once(&r, needles);
	run_result_free(&r);
	r = azapply(w, "AZURE_CLIENT_SECRET=" WRONG_SECRET, PLAN);
	expect_said_once(&r, needles);
	run_result_free(&r);
}

/* Entra down: retried as any request, then said once; nothing asks again. */
static void unavailable_token_endpoint_is_said_once(void **state)
{
	world *w = *state;
	assert_int_equal(
	    emu_control(w->e, "POST", "faults",
			"{\"method\":\"POST\",\"host\":\"login.localhost\",\"path\":\"/token\","
			"\"status\":503,\"body\":{\"error\":\"temporarily_unavailable\","
			"\"error_description\":\"AADSTS90033: A transient error has occurred. "
			"Please try again.\",\"error_codes\":[90033]}}",
			NULL),
	    200);
	const char *const needles[] = {"AADSTS90033 (HTTP 503)", "fix: Entra ID did not give a token",
				       NULL};
	run_result r = azapply(w, NULL, PLAN);
	expect_said_once(&r, needles);
	run_result_free(&r);
	/* One token request and the client's three retries of it. */
	assert_int_equal(fault_hits(w), 4);
	r = azapply(w, NULL, AUTH);
	expect_said_once(&r, needles);
	run_result_free(&r);
	assert_int_equal(fault_hits(w), 8);
}

/* Token expiry as a user reads it: RFC 3339 UTC, and in text how long is
 * left (the emulator's tokens last an hour); never the JWT's epoch. */
static void token_expiry_is_readable(void **state)
{
	world *w = *state;
	run_result r = azapply(w, NULL, AUTH);
	assert_int_equal(r.exit_code, 0);
	const char *at = strstr(r.out, "expiresOn: ");
	if (!at || !strstr(at, "Z (in ") || !strstr(at, " min)"))
		fail_msg("no readable expiry in:\n%s", r.out);
	run_result_free(&r);
	const char *const json[] = {"auth", "--output", "json", NULL};
	r = azapply(w, NULL, json);
	assert_int_equal(r.exit_code, 0);
	json_t *info = json_loads(r.out, 0, NULL);
	json_t *first = json_array_get(json_object_get(info, "audiences"), 0);
	const char *exp = json_string_value(json_object_get(first, "expiresOn"));
	if (!exp || strlen(exp) != 20 || exp[4] != '-' || exp[10] != 'T' || exp[19] != 'Z')
		fail_msg("expiresOn is not RFC 3339 UTC in:\n%s", r.out);
	json_decref(info);
	run_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(wrong_client_secret_is_said_once, setup, teardown),
		cmocka_unit_test_setup_teardown(unavailable_token_endpoint_is_said_once, setup,
						teardown),
		cmocka_unit_test_setup_teardown(token_expiry_is_readable, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
