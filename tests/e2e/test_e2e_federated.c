/*
 * test_e2e_federated.c - CI signs in through the federated credential the
 * stack itself declares (examples/synapse-ml, 32-ci-identity.yaml). The
 * first apply is an administrator's, with the emulator's built-in secret
 * principal; then the emulator issues the token GitHub's OIDC provider
 * would give a job of the dev environment, and azapply plans with only
 * AZURE_TENANT_ID, AZURE_CLIENT_ID (the stack's output ciClientId) and
 * AZURE_FEDERATED_TOKEN_FILE: no secret, and "No changes", which takes the
 * Azure and Synapse roles the stack grants its CI. A token for another
 * environment is refused with Entra's AADSTS70021.
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

#include "e2ekit.h"

#define GITHUB_ISSUER "https://token.actions.githubusercontent.com"
#define CI_SUBJECT_DEV "repo:contoso/ml-platform:environment:dev"

static int setup(void **state)
{
	return e2e_setup((e2e_world **)state, "synapse-ml", NULL, NULL);
}

static int teardown(void **state)
{
	return e2e_teardown(*state);
}

/* Writes to `path` the token GitHub would issue a job for `subject`. */
static void write_github_token(e2e_world *w, const char *subject, const char *path)
{
	json_t *req = json_pack("{s:s,s:s}", "issuer", GITHUB_ISSUER, "subject", subject);
	char *text = json_dumps(req, 0);
	json_t *out = NULL;
	assert_int_equal(emu_control(w->e, "POST", "federated-token", text, &out), 200);
	e2e_write(path, json_string_value(json_object_get(out, "token")));
	json_decref(out);
	free(text);
	json_decref(req);
}

/* Runs azapply as CI: the emulator's environment without its client
 * secret and client id, signed in as `client_id` with the token in
 * `token_file`. */
static run_result run_as_ci(e2e_world *w, const char *client_id, const char *token_file,
			    const char *const *argv)
{
	size_t n = 0;
	while (w->env[n])
		n++;
	char **env = calloc(n + 3, sizeof(char *));
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (strncmp(w->env[i], "AZURE_CLIENT_SECRET=", 20) &&
		    strncmp(w->env[i], "AZURE_CLIENT_ID=", 16))
			env[k++] = w->env[i];
	char id[128], file[400];
	snprintf(id, sizeof(id), "AZURE_CLIENT_ID=%s", client_id);
	snprintf(file, sizeof(file), "AZURE_FEDERATED_TOKEN_FILE=%s", token_file);
	env[k++] = id;
	env[k++] = file;
	run_result r;
	assert_int_equal(run_command(&r, AZAPPLY_BINARY, argv, (const char *const *)env, NULL), 0);
	free(env);
	return r;
}

static void ci_plans_without_a_secret(void **state)
{
	e2e_world *w = *state;
	E2E_EXPECT(w, 0, "Apply complete", "apply", w->stack, "--env", "dev", "--auto-approve");

	run_result r = E2E_RUN(w, "output", w->stack, "ciClientId", "--env", "dev");
	e2e_expect(&r, 0, NULL);
	char client_id[64];
	snprintf(client_id, sizeof(client_id), "%.*s", (int)strcspn(r.out, "\n"), r.out);
	assert_int_equal(strlen(client_id), 36);
	run_result_free(&r);

	char token_file[320];
	snprintf(token_file, sizeof(token_file), "%s/github-oidc-token", w->dir);
	write_github_token(w, CI_SUBJECT_DEV, token_file);
	const char *const plan[] = {"plan", w->stack, "--env", "dev", "--detailed-exitcode", NULL};
	r = run_as_ci(w, client_id, token_file, plan);
	e2e_expect(&r, 0, "No changes");
	run_result_free(&r);

	/* The identity is the application's, through workload identity. */
	const char *const auth[] = {"auth", NULL};
	r = run_as_ci(w, client_id, token_file, auth);
	e2e_expect(&r, 0, client_id);
	run_result_free(&r);

	/* A job of the prod environment is not trusted in dev. */
	write_github_token(w, "repo:contoso/ml-platform:environment:prod", token_file);
	r = run_as_ci(w, client_id, token_file, plan);
	e2e_expect(&r, 1, "AADSTS70021");
	run_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(ci_plans_without_a_secret, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
