/*
 * test_e2e_existing.c - metadata.existing against the emulator: a key
 * vault another team owns is declared with only the fields that name it,
 * a Spark pool's tag refers to it through ${ref}, and azapply reads it and
 * never writes it (the request log has no write to it, and it gains no
 * marker); the plan after the apply says "No changes". Declared existing
 * but absent, it fails the plan with its id and the fix.
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
#include <strings.h>

#include "e2ekit.h"

#define SUB "/subscriptions/00000000-0000-0000-0000-000000000000"
#define RG_SHARED SUB "/resourceGroups/rg-shared"
#define VAULT RG_SHARED "/providers/Microsoft.KeyVault/vaults/kv-shared"
#define POOL                                                                                       \
	SUB "/resourceGroups/rg-mlplatform-dev/providers/Microsoft.Synapse/workspaces/"             \
	    "synw-mlplatform-dev/bigDataPools/sparkml"

static const char SHARED[] = "apiVersion: azapply.dev/v1\n"
			     "kind: KeyVault\n"
			     "metadata:\n"
			     "  name: shared\n"
			     "  existing: true\n"
			     "spec:\n"
			     "  resourceGroup: rg-shared\n"
			     "  name: kv-shared\n";

/* Requests other than GET (and HEAD) on a path holding `part`. */
static size_t writes_to(e2e_world *w, const char *part)
{
	json_t *log = e2e_log(w);
	size_t n = 0, i;
	json_t *q;
	json_array_foreach(json_object_get(log, "requests"), i, q)
	{
		const char *m = json_string_value(json_object_get(q, "method"));
		const char *p = json_string_value(json_object_get(q, "path"));
		n += m && p && strcmp(m, "GET") && strcmp(m, "HEAD") && strstr(p, part);
	}
	json_decref(log);
	return n;
}

static void an_existing_vault_is_read_and_never_written(void **state)
{
	e2e_world *w = *state;
	json_t *rg = json_pack("{s:s}", "location", "westeurope");
	e2e_arm_put(w, RG_SHARED, rg);
	json_decref(rg);
	json_t *kv = json_pack("{s:s, s:{s:s}}", "location", "westeurope", "tags", "owner",
			       "platform");
	e2e_arm_put(w, VAULT, kv);
	json_decref(kv);

	char path[512];
	snprintf(path, sizeof(path), "%s/05-shared-vault.yaml", w->stack);
	e2e_write(path, SHARED);
	char pool[512];
	snprintf(pool, sizeof(pool), "%s/21-spark-pool.yaml", w->stack);
	e2e_replace(pool, "    environment: ${var.env}\n",
		    "    environment: ${var.env}\n    vault: ${ref.KeyVault.shared.id}\n", false);

	e2e_clear_log(w);
	E2E_EXPECT(w, 0, "Apply complete", "apply", w->stack, "--env", "dev", "--auto-approve");
	assert_int_equal(writes_to(w, "/vaults/kv-shared"), 0);
	json_t *p = e2e_arm_get(w, POOL);
	assert_non_null(p);
	const char *tag = json_string_value(json_object_get(json_object_get(p, "tags"), "vault"));
	assert_non_null(tag);
	assert_true(strcasecmp(tag, VAULT) == 0);
	json_decref(p);
	/* Not marked: its tags are what its owner wrote. */
	json_t *after = e2e_arm_get(w, VAULT);
	assert_non_null(after);
	assert_int_equal(json_object_size(json_object_get(after, "tags")), 1);
	json_decref(after);

	e2e_clear_log(w);
	E2E_EXPECT(w, 0, "No changes", "plan", w->stack, "--env", "dev");
	E2E_EXPECT(w, 0, "<= KeyVault/shared is read (metadata.existing: never written)", "plan",
		   w->stack, "--env", "dev");
	run_result r = E2E_RUN(w, "plan", w->stack, "--env", "dev", "--output", "json");
	e2e_expect(&r, 0, "\"read\"");
	run_result_free(&r);
	assert_int_equal(writes_to(w, "/vaults/kv-shared"), 0);

	/* Declared existing, but not there: the plan fails and says why. */
	e2e_replace(path, "name: kv-shared", "name: kv-gone", false);
	r = E2E_RUN(w, "plan", w->stack, "--env", "dev");
	e2e_expect(&r, 1, "KeyVault/shared is declared existing, but Azure has no");
	assert_non_null(strstr(r.err, "/vaults/kv-gone"));
	assert_non_null(strstr(r.err, "remove metadata.existing"));
	run_result_free(&r);
}

static int setup(void **state)
{
	return e2e_setup((e2e_world **)state, "synapse-ml", NULL, NULL);
}

static int teardown(void **state)
{
	return e2e_teardown(*state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(an_existing_vault_is_read_and_never_written, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
