/*
 * test_e2e_concurrency.c - optimistic concurrency, end to end: the azapply
 * binary applying the example platform against the emulator while
 * "someone else" (the emulator's control API, as another client would)
 * changes the same resources.
 *
 * What Azure offers is an etag on the resources whose spec has one: every
 * Synapse artifact (artifacts.json), and in ARM the blob container
 * (AzureEntityResource in blob.json) and the Application Insights
 * component (components_API.json). azapply writes them conditionally on
 * what its plan read: an update carries If-Match with the planned etag, a
 * create of those ARM kinds If-None-Match: *. A change made after the plan
 * read the resource therefore ends in 412, which apply reports as the
 * resource having changed since it was planned, without retrying and
 * without overwriting it; the next apply plans from the new state and
 * converges. Kinds without an etag (storage accounts, Synapse workspaces,
 * Spark pools...) are written unconditionally: there is nothing to send.
 *
 * Speed: as in test_e2e_faults.c, operations end on their first poll and
 * the child caps its poll wait at one second.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "e2ekit.h"

#define WS "synw-mlplatform-dev"
#define RG_ID "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-mlplatform-dev"
#define INSIGHTS_ID RG_ID "/providers/Microsoft.Insights/components/appi-mlplatform-dev"
#define PIPELINE "Pipeline/nightly-training"
#define INSIGHTS "ApplicationInsights/insights"
/* Request paths (with their query) as the emulator's log records them. */
#define PIPELINE_PUT "/pipelines/nightly-training?"
#define INSIGHTS_PUT "/components/appi-mlplatform-dev?"
#define CONTAINER_PUT "/containers/synapse?"

/* Where `plan --out` writes: the world's scratch directory. */
static const char *plan_file(e2e_world *w)
{
	static char path[400];
	snprintf(path, sizeof(path), "%s/plan.json", w->dir);
	return path;
}

/* A background run's exit code and output (stdout and stderr together). */
static void expect_output(char *out, int exit_code, int code, const char *needle)
{
	char none[] = "";
	run_result r = {.exit_code = exit_code, .out = out, .err = none};
	e2e_expect(&r, code, needle);
}

static void control(e2e_world *w, const char *method, const char *path, const char *body)
{
	json_t *answer = NULL;
	int status = emu_control(w->e, method, path, body, &answer);
	if (status != 200) {
		char *text = answer ? json_dumps(answer, 0) : NULL;
		fail_msg("%s /_emulator/%s: %d %s", method, path, status, text ? text : "");
	}
	json_decref(answer);
}

/* Holds the first PUT whose path matches `path` (a regex) for 3 s. */
static void hold_put(e2e_world *w, const char *path)
{
	char rule[512];
	snprintf(rule, sizeof(rule),
	         "{\"method\":\"PUT\",\"path\":\"%s\",\"delayMs\":3000,\"times\":1}", path);
	control(w, "POST", "faults", rule);
}

static void edit_stack_file(e2e_world *w, const char *name, const char *from, const char *to)
{
	char path[1200];
	snprintf(path, sizeof(path), "%s/%s", w->stack, name);
	char *text = e2e_slurp(path);
	char *at = strstr(text, from);
	assert_non_null(at);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
	fclose(f);
	free(text);
}

static void edit_pipeline(e2e_world *w)
{
	edit_stack_file(w, "artifacts/nightly-training.json",
	                "Retrain the churn model with automated ML",
	                "Retrain the churn model every night");
}

/* Two changes to the manifests: the pipeline's description (a Synapse
 * artifact) and the component's retention (an ARM resource with an etag). */
static void edit_manifests(e2e_world *w)
{
	edit_pipeline(w);
	edit_stack_file(w, "04-app-insights.yaml", "Application_Type: web",
	                "Application_Type: web\n    RetentionInDays: 120");
}

/* What another client writes: the pipeline saved in Synapse Studio and
 * the component's retention changed in the portal. */
#define STUDIO_DESCRIPTION "edited in Synapse Studio"
static void change_out_of_band(e2e_world *w)
{
	control(w, "PUT", "synapse/" WS "/pipelines/nightly-training",
	        "{\"properties\":{\"description\":\"" STUDIO_DESCRIPTION "\"}}");
	control(w, "PATCH", "arm" INSIGHTS_ID, "{\"properties\":{\"RetentionInDays\":60}}");
}

static json_t *arm_get(e2e_world *w, const char *id)
{
	json_t *body = e2e_arm_get(w, id);
	assert_non_null(body);
	return body;
}

static json_t *artifact_get(e2e_world *w, const char *path)
{
	char *token = emu_token(w->e, "https://dev.azuresynapse.net/.default");
	assert_non_null(token);
	char auth[8192], url[512];
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	snprintf(url, sizeof(url), "https://" WS ".dev.localhost:%d/%s?api-version=2020-12-01",
	         emu_port(w->e), path);
	const char *headers[] = {auth, NULL};
	emu_response resp;
	assert_int_equal(emu_http(w->e, &resp, "GET", url, headers, NULL, 0), 0);
	assert_int_equal(resp.status, 200);
	json_t *body = json_incref(resp.json);
	emu_response_free(&resp);
	free(token);
	return body;
}

static json_t *props(json_t *body, const char *name)
{
	return json_object_get(json_object_get(body, "properties"), name);
}

/* The out-of-band values are still there: nothing was overwritten. */
static void expect_out_of_band_kept(e2e_world *w)
{
	json_t *pipeline = artifact_get(w, "pipelines/nightly-training");
	assert_string_equal(json_string_value(props(pipeline, "description")), STUDIO_DESCRIPTION);
	json_decref(pipeline);
	json_t *insights = arm_get(w, INSIGHTS_ID);
	assert_int_equal(json_integer_value(props(insights, "RetentionInDays")), 60);
	json_decref(insights);
}

/* The writes in the request log whose path contains `path`: a new array.
 * A write refused with 409 AnotherOperationInProgress (the Spark and SQL
 * pools are created side by side, and a Synapse workspace takes one
 * operation at a time) is not one: Azure asked for it to be sent again. */
static json_t *writes_to(e2e_world *w, const char *path)
{
	json_t *log = NULL;
	assert_int_equal(emu_control(w->e, "GET", "log", NULL, &log), 200);
	json_t *found = json_array();
	size_t i;
	json_t *req;
	json_array_foreach(json_object_get(log, "requests"), i, req)
	{
		const char *method = json_string_value(json_object_get(req, "method"));
		const char *p = json_string_value(json_object_get(req, "path"));
		if (p && strstr(p, path) && (!strcmp(method, "PUT") || !strcmp(method, "PATCH")) &&
		    json_integer_value(json_object_get(req, "status")) != 409)
			json_array_append(found, req);
	}
	json_decref(log);
	return found;
}

/* The one write to `path` since the log was cleared: exactly one, so a
 * 412 was not retried. Its lower-cased request header `name`, or NULL. */
static const char *only_write_header(json_t *writes, const char *path, const char *name)
{
	if (json_array_size(writes) != 1)
		fail_msg("expected one write to %s, saw %zu", path, json_array_size(writes));
	json_t *headers = json_object_get(json_array_get(writes, 0), "headers");
	return json_string_value(json_object_get(headers, name));
}

/* The one write to `path` carried header `name` with value `want`. */
static void expect_header(json_t *writes, const char *path, const char *name, const char *want)
{
	const char *got = only_write_header(writes, path, name);
	if (!got || strcmp(got, want) != 0)
		fail_msg("the write to %s carried %s: %s, not %s", path, name, got ? got : "(none)",
		         want);
}

/* The etag a saved plan read for `address`. */
static char *planned_etag(e2e_world *w, const char *address)
{
	json_t *plan = json_load_file(plan_file(w), 0, NULL);
	assert_non_null(plan);
	char *etag = NULL;
	size_t i;
	json_t *r;
	json_array_foreach(json_object_get(plan, "resources"), i, r)
	{
		const char *live = json_string_value(json_object_get(r, "liveEtag"));
		if (live && !strcmp(json_string_value(json_object_get(r, "address")), address))
			etag = strdup(live);
	}
	json_decref(plan);
	if (!etag)
		fail_msg("the saved plan has no etag for %s", address);
	return etag;
}

static void apply_all(e2e_world *w)
{
	run_result r = E2E_RUN(w, "apply", w->stack, "--env", "dev", "--auto-approve");
	e2e_expect(&r, 0, "Apply complete: 27 done, 0 failed, 0 skipped.");
	run_result_free(&r);
}

/* A second apply plans from what is there now and converges (or has
 * nothing left to do); after it the plan settles. */
static void converge(e2e_world *w)
{
	control(w, "DELETE", "faults", NULL);
	run_result r = E2E_RUN(w, "apply", w->stack, "--env", "dev", "--auto-approve");
	e2e_expect(&r, 0, strstr(r.out, "No changes") ? "No changes" : "Apply complete");
	run_result_free(&r);
	r = E2E_RUN(w, "plan", w->stack, "--env", "dev", "--detailed-exitcode");
	e2e_expect(&r, 0, "No changes.");
	run_result_free(&r);
}

/* Creates carry If-None-Match: * where Azure honours it (the ARM kinds
 * with an etag) and nothing elsewhere; updates carry If-Match with exactly
 * the etag the plan read, for a Synapse artifact and an ARM resource. */
static void writes_carry_what_the_plan_read(void **state)
{
	e2e_world *w = *state;
	apply_all(w);
	json_t *writes = writes_to(w, INSIGHTS_PUT);
	expect_header(writes, INSIGHTS_PUT, "if-none-match", "*");
	assert_null(only_write_header(writes, INSIGHTS_PUT, "if-match"));
	json_decref(writes);
	writes = writes_to(w, CONTAINER_PUT);
	expect_header(writes, CONTAINER_PUT, "if-none-match", "*");
	json_decref(writes);
	/* A Synapse artifact's PUT takes no If-None-Match (artifacts.json). */
	writes = writes_to(w, PIPELINE_PUT);
	assert_null(only_write_header(writes, PIPELINE_PUT, "if-none-match"));
	assert_null(only_write_header(writes, PIPELINE_PUT, "if-match"));
	json_decref(writes);
	/* No etag, nothing to condition on (the Spark pool of the issue). */
	writes = writes_to(w, "/bigDataPools/sparkml?");
	assert_null(only_write_header(writes, "bigDataPools", "if-none-match"));
	assert_null(only_write_header(writes, "bigDataPools", "if-match"));
	json_decref(writes);

	edit_manifests(w);
	run_result r = E2E_RUN(w, "plan", w->stack, "--env", "dev", "--out", plan_file(w));
	e2e_expect(&r, 0, "Plan: 0 to add, 2 to change");
	run_result_free(&r);
	char *pipeline_etag = planned_etag(w, PIPELINE);
	char *insights_etag = planned_etag(w, INSIGHTS);
	control(w, "DELETE", "log", NULL);
	r = E2E_RUN(w, "apply", plan_file(w), "--auto-approve");
	e2e_expect(&r, 0, "Apply complete: 2 done, 0 failed, 0 skipped.");
	run_result_free(&r);
	writes = writes_to(w, PIPELINE_PUT);
	expect_header(writes, PIPELINE_PUT, "if-match", pipeline_etag);
	json_decref(writes);
	writes = writes_to(w, INSIGHTS_PUT);
	expect_header(writes, INSIGHTS_PUT, "if-match", insights_etag);
	assert_null(only_write_header(writes, INSIGHTS_PUT, "if-none-match"));
	json_decref(writes);
	free(pipeline_etag);
	free(insights_etag);
	converge(w);
}

/* Changed between `plan --out` and `apply PLANFILE`: the saved plan's etag
 * no longer matches, so nothing is written at all, and the resources are
 * named. */
static void change_after_the_plan_is_not_overwritten(void **state)
{
	e2e_world *w = *state;
	apply_all(w);
	edit_manifests(w);
	run_result r = E2E_RUN(w, "plan", w->stack, "--env", "dev", "--out", plan_file(w));
	e2e_expect(&r, 0, "Plan: 0 to add, 2 to change");
	run_result_free(&r);
	change_out_of_band(w);
	control(w, "DELETE", "log", NULL);
	r = E2E_RUN(w, "apply", plan_file(w), "--auto-approve");
	e2e_expect(&r, 1, "changed in Azure since");
	assert_true(strstr(r.err, PIPELINE) || strstr(r.err, INSIGHTS));
	assert_null(strstr(r.out, "Apply complete"));
	run_result_free(&r);
	json_t *writes = writes_to(w, PIPELINE_PUT);
	assert_int_equal(json_array_size(writes), 0);
	json_decref(writes);
	writes = writes_to(w, INSIGHTS_PUT);
	assert_int_equal(json_array_size(writes), 0);
	json_decref(writes);
	expect_out_of_band_kept(w);
	converge(w);
}

/* Changed while apply runs, after its plan read the resources and before
 * its writes are handled (the emulator holds them): If-Match answers 412,
 * which is reported in words, not retried, and overwrites nothing. */
static void change_during_apply_is_not_overwritten(void **state)
{
	e2e_world *w = *state;
	apply_all(w);
	edit_manifests(w);
	hold_put(w, "^/pipelines/nightly-training\\\\?");
	hold_put(w, "components/appi-mlplatform-dev\\\\?");
	control(w, "DELETE", "log", NULL);
	char log[1200];
	snprintf(log, sizeof(log), "%s/during.log", w->dir);
	pid_t pid = e2e_spawn(
	    w, (const char *const[]){"apply", w->stack, "--env", "dev", "--auto-approve", NULL},
	    log);
	e2e_wait_for_hits(w, 2);
	change_out_of_band(w);
	int code = e2e_wait(pid);
	char *out = e2e_slurp(log);
	expect_output(out, code, 1, "changed in Azure since it was planned");
	for (const char *const *a = (const char *const[]){PIPELINE, INSIGHTS, NULL}; *a; a++) {
		char want[256];
		snprintf(want, sizeof(want), "%s changed in Azure since it was planned", *a);
		if (!strstr(out, want))
			fail_msg("no '%s' in:\n%s", want, out);
	}
	assert_non_null(strstr(out, "412"));
	assert_non_null(strstr(out, "azapply plan"));
	free(out);
	json_t *writes = writes_to(w, PIPELINE_PUT);
	assert_non_null(only_write_header(writes, PIPELINE_PUT, "if-match"));
	assert_int_equal(json_integer_value(json_object_get(json_array_get(writes, 0), "status")),
	                 412);
	json_decref(writes);
	writes = writes_to(w, INSIGHTS_PUT);
	assert_non_null(only_write_header(writes, INSIGHTS_PUT, "if-match"));
	assert_int_equal(json_integer_value(json_object_get(json_array_get(writes, 0), "status")),
	                 412);
	json_decref(writes);
	expect_out_of_band_kept(w);
	/* The trigger stopped around the pipeline's update runs again. */
	json_t *trigger = artifact_get(w, "triggers/nightly");
	assert_string_equal(json_string_value(props(trigger, "runtimeState")), "Started");
	json_decref(trigger);
	converge(w);
	json_t *pipeline = artifact_get(w, "pipelines/nightly-training");
	assert_string_equal(json_string_value(props(pipeline, "description")),
	                    "Retrain the churn model every night");
	json_decref(pipeline);
}

/* Changed after the Synapse data plane accepted the write (202) and before
 * its operation landed: the operation ends 412, as a second write accepted
 * against the same etag would (two applies planned from one read). */
static void change_before_the_write_lands_is_not_overwritten(void **state)
{
	e2e_world *w = *state;
	apply_all(w);
	edit_pipeline(w);
	control(w, "POST", "faults",
	        "{\"method\":\"GET\",\"path\":\"^/operationResults/\",\"delayMs\":3000,"
	        "\"times\":1}");
	char log[1200];
	snprintf(log, sizeof(log), "%s/landing.log", w->dir);
	pid_t pid = e2e_spawn(
	    w, (const char *const[]){"apply", w->stack, "--env", "dev", "--auto-approve", NULL},
	    log);
	e2e_wait_for_hits(w, 1);
	control(w, "PUT", "synapse/" WS "/pipelines/nightly-training",
	        "{\"properties\":{\"description\":\"" STUDIO_DESCRIPTION "\"}}");
	int code = e2e_wait(pid);
	char *out = e2e_slurp(log);
	expect_output(out, code, 1, PIPELINE " changed in Azure since it was planned");
	assert_non_null(strstr(out, "412 PreconditionFailed"));
	free(out);
	json_t *pipeline = artifact_get(w, "pipelines/nightly-training");
	assert_string_equal(json_string_value(props(pipeline, "description")), STUDIO_DESCRIPTION);
	json_decref(pipeline);
	converge(w);
}

/* Created by someone else after the plan found it absent: the create's
 * If-None-Match: * answers 412 and their resource stays as they made it. */
static void create_during_apply_is_not_overwritten(void **state)
{
	e2e_world *w = *state;
	apply_all(w);
	control(w, "DELETE", "arm" INSIGHTS_ID, NULL);
	hold_put(w, "components/appi-mlplatform-dev\\\\?");
	char log[1200];
	snprintf(log, sizeof(log), "%s/create.log", w->dir);
	pid_t pid = e2e_spawn(
	    w, (const char *const[]){"apply", w->stack, "--env", "dev", "--auto-approve", NULL},
	    log);
	e2e_wait_for_hits(w, 1);
	control(w, "PUT", "arm" INSIGHTS_ID,
	        "{\"location\":\"westeurope\",\"kind\":\"web\",\"tags\":{\"owner\":\"someone "
	        "else\"},\"properties\":{\"Application_Type\":\"other\"}}");
	int code = e2e_wait(pid);
	char *out = e2e_slurp(log);
	expect_output(out, code, 1,
	              INSIGHTS " changed in Azure since it was planned (it exists now, it did not "
	                       "then)");
	free(out);
	json_t *insights = arm_get(w, INSIGHTS_ID);
	assert_string_equal(json_string_value(props(insights, "Application_Type")), "other");
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(insights, "tags"), "owner")),
	    "someone else");
	json_decref(insights);
	converge(w);
}

static int setup(void **state)
{
	const char *args[] = {"--retry-after", "0", "--lro-polls", "1", NULL};
	const char *env[] = {"AZAPPLY_POLL_MAX_SECONDS=1", NULL};
	return e2e_setup((e2e_world **)state, "synapse-ml", args, env);
}

static int teardown(void **state)
{
	return e2e_teardown(*state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(writes_carry_what_the_plan_read, setup, teardown),
	    cmocka_unit_test_setup_teardown(change_after_the_plan_is_not_overwritten, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(change_during_apply_is_not_overwritten, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(change_before_the_write_lands_is_not_overwritten, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(create_during_apply_is_not_overwritten, setup,
	                                    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
