/*
 * test_state.c - `--state FILE`: what the emulator holds (ARM resources,
 * Synapse artifacts, Graph applications and their credentials) is saved on
 * SIGTERM and loaded on the next start, so a test can stop and restart the
 * emulator between two azapply runs and find everything where it was.
 */
#define _DEFAULT_SOURCE /* P_tmpdir */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <azapply/provider.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testkit.h"

static char *rg_url(emu *e)
{
	return tk_url(e, "management.localhost",
		      "/subscriptions/%s/resourceGroups/rg-state?api-version=2021-04-01",
		      emu_subscription_id(e));
}

static void put_pipeline(emu *e, const char *token)
{
	emu_response r, fin;
	char *url = tk_url(e, "wsstate.dev.localhost", "/pipelines/kept?api-version=2020-12-01");
	tk_send(e, &r, "PUT", url, token, NULL, "{\"properties\":{\"activities\":[]}}");
	assert_int_equal(r.status, 202);
	char *loc = emu_response_header(&r, "Location");
	tk_poll_location(e, loc, token, &fin);
	assert_int_equal(fin.status, 200);
	emu_response_free(&fin);
	emu_response_free(&r);
	free(loc);
	free(url);
}

static void test_resources_survive_a_restart(void **state)
{
	(void)state;
	const char *tmp = getenv("TMPDIR");
	char *templ = az_xasprintf("%s/azapply-state-XXXXXX", tmp && *tmp ? tmp : P_tmpdir);
	assert_non_null(mkdtemp(templ));
	char *file = az_xasprintf("%s/state.json", templ);
	const char *args[] = {"--state", file, NULL};

	emu *e = NULL;
	assert_int_equal(emu_start(&e, args), 0);
	char *arm = emu_token(e, TK_ARM_SCOPE);
	char *syn = emu_token(e, TK_SYNAPSE_SCOPE);
	tk_make_workspace(e, arm, "rg-state", "wsstate");
	put_pipeline(e, syn);
	emu_response r;
	char *url = rg_url(e);
	tk_send(e, &r, "PATCH", url, arm, NULL, "{\"tags\":{\"kept\":\"yes\"}}");
	assert_int_equal(r.status, 200);
	emu_response_free(&r);
	free(url);
	free(arm);
	free(syn);
	assert_int_equal(emu_stop(e), 0);
	assert_int_equal(access(file, R_OK), 0);

	assert_int_equal(emu_start(&e, args), 0);
	arm = emu_token(e, TK_ARM_SCOPE);
	syn = emu_token(e, TK_SYNAPSE_SCOPE);
	assert_non_null(arm);
	url = rg_url(e);
	tk_send(e, &r, "GET", url, arm, NULL, NULL);
	assert_int_equal(r.status, 200);
	assert_string_equal(tk_str(r.json, "tags.kept"), "yes");
	emu_response_free(&r);
	free(url);
	url = tk_url(e, "wsstate.dev.localhost", "/pipelines/kept?api-version=2020-12-01");
	tk_send(e, &r, "GET", url, syn, NULL, NULL);
	assert_int_equal(r.status, 200);
	assert_string_equal(tk_str(r.json, "name"), "kept");
	emu_response_free(&r);
	free(url);
	free(arm);
	free(syn);
	assert_int_equal(emu_stop(e), 0);

	/* A state file that is not JSON stops the start with a message. */
	FILE *f = fopen(file, "w");
	assert_non_null(f);
	fputs("{not json", f);
	fclose(f);
	assert_int_not_equal(emu_start(&e, args), 0);
	assert_null(e);

	unlink(file);
	rmdir(templ);
	free(file);
	free(templ);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resources_survive_a_restart),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
