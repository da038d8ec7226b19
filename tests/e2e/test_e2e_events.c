/*
 * test_e2e_events.c - `apply --output json` as a CI step reads it: every
 * line of stdout is one event, valid against the documented schema
 * (schemas/events/apply.schema.json, checked with azapply's own validator),
 * nothing else is on stdout, and the events tell the run as it happened: a
 * failure with its cause, what it skipped and why, a summary last - also
 * when nothing changes and when the run fails before planning.
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

#include <azapply/schema.h>

#include "e2ekit.h"

/* The events of one run: stdout split into lines, each parsed and
 * validated; fails on a line that is not a valid event. */
static az_schema *schema;

static json_t *events_of(const char *out)
{
	if (!schema) {
		json_error_t jerr;
		json_t *doc = json_load_file(AZAPPLY_SOURCE_DIR "/schemas/events/apply.schema.json",
					     0, &jerr);
		if (!doc)
			fail_msg("apply.schema.json: %s (line %d)", jerr.text, jerr.line);
		az_diags d = AZ_DIAGS_INIT;
		assert_int_equal(az_schema_compile(&schema, "apply events", doc, &d), 0);
		json_decref(doc);
		az_diags_clear(&d);
	}
	json_t *events = json_array();
	const char *line = out;
	while (*line) {
		const char *eol = strchr(line, '\n');
		assert_non_null(eol); /* every event ends its line */
		json_error_t jerr;
		json_t *ev = json_loadb(line, (size_t)(eol - line), 0, &jerr);
		if (!ev)
			fail_msg("not JSON: %.*s (%s)", (int)(eol - line), line, jerr.text);
		az_schema_errors errs = {0};
		if (az_schema_check(schema, ev, NULL, NULL, &errs, NULL)) {
			fail_msg("event %.*s: %s at '%s'", (int)(eol - line), line,
				 errs.items[0].message, errs.items[0].pointer);
		}
		az_schema_errors_clear(&errs);
		json_array_append_new(events, ev);
		line = eol + 1;
	}
	/* The summary is the last line, and only there. */
	size_t n = json_array_size(events);
	assert_true(n >= 1);
	for (size_t i = 0; i < n; i++) {
		const char *name = json_string_value(json_object_get(json_array_get(events, i), "event"));
		assert_int_equal(strcmp(name, "summary") == 0, i == n - 1);
	}
	return events;
}

static size_t count(const json_t *events, const char *event, const char *address)
{
	size_t n = 0, i;
	json_t *ev;
	json_array_foreach(events, i, ev) {
		const char *a = json_string_value(json_object_get(ev, "address"));
		n += strcmp(json_string_value(json_object_get(ev, "event")), event) == 0 &&
		     (!address || (a && strcmp(a, address) == 0));
	}
	return n;
}

static const json_t *find(const json_t *events, const char *event, const char *address)
{
	size_t i;
	json_t *ev;
	json_array_foreach(events, i, ev) {
		const char *a = json_string_value(json_object_get(ev, "address"));
		if (strcmp(json_string_value(json_object_get(ev, "event")), event) == 0 &&
		    (!address || (a && strcmp(a, address) == 0)))
			return ev;
	}
	return NULL;
}

static const json_t *find_message(const json_t *events, const char *event, const char *address,
				  const char *message)
{
	size_t i;
	json_t *ev;
	json_array_foreach(events, i, ev) {
		const char *e = json_string_value(json_object_get(ev, "event"));
		const char *a = json_string_value(json_object_get(ev, "address"));
		const char *m = json_string_value(json_object_get(ev, "message"));
		if (e && a && m && strcmp(e, event) == 0 && strcmp(a, address) == 0 &&
		    strcmp(m, message) == 0)
			return ev;
	}
	return NULL;
}

static json_int_t applied(const json_t *summary, const char *what)
{
	return json_integer_value(json_object_get(json_object_get(summary, "applied"), what));
}

static void control(e2e_world *w, const char *method, const char *path, const char *body)
{
	int status = emu_control(w->e, method, path, body, NULL);
	assert_true(status >= 200 && status < 300);
}

static void events_tell_the_run(void **state)
{
	e2e_world *w = *state;
	/* The Synapse workspace fails after a while (progress events while it
	 * is in flight); what needs it is skipped. */
	control(w, "POST", "faults",
		"{\"method\":\"PUT\",\"path\":\"/workspaces/synw-mlplatform-dev\\\\?\","
		"\"delayMs\":2500,\"lroResult\":\"Failed\",\"lroError\":{\"code\":"
		"\"InternalServerError\",\"message\":\"The workspace could not be provisioned.\"},"
		"\"times\":1}");
	run_result r = E2E_RUN(w, "apply", w->stack, "--env", "dev", "--auto-approve", "--output",
			       "json");
	e2e_expect(&r, 1, NULL);
	json_t *events = events_of(r.out);
	/* People's words are on stderr: the plan and the last line. */
	assert_non_null(strstr(r.err, "Plan: 27 to add"));
	/* Resources, not steps: the endpoint's two writes are one resource. */
	assert_non_null(strstr(r.err, "Apply incomplete: 14 done, 1 failed, 12 skipped."));

	assert_int_equal(count(events, "planned", NULL), 27);
	const json_t *planned = find(events, "planned", "SparkPool/spark");
	assert_string_equal(json_string_value(json_object_get(planned, "action")), "create");
	assert_string_equal(json_string_value(json_object_get(planned, "kind")), "SparkPool");
	assert_int_equal(count(events, "started", NULL), 16);
	assert_int_equal(count(events, "done", NULL), 15);
	assert_int_equal(count(events, "done", "MlWorkspace/ml"), 1);
	assert_true(count(events, "progress", "SynapseWorkspace/synapse") >= 1);

	const json_t *failed = find(events, "failed", "SynapseWorkspace/synapse");
	assert_non_null(failed);
	const json_t *cause = json_array_get(json_object_get(failed, "errors"), 0);
	assert_non_null(strstr(json_string_value(json_object_get(cause, "message")),
			       "could not be provisioned"));
	assert_string_equal(json_string_value(json_object_get(cause, "address")),
			    "SynapseWorkspace/synapse");
	assert_int_equal(count(events, "skipped", NULL), 12);
	/* The root cause, not the step in between. */
	assert_string_equal(json_string_value(json_object_get(find(events, "skipped", "Trigger/nightly"),
							       "blockedBy")),
			    "SynapseWorkspace/synapse");
	/* Each resource starts after it was planned, and ends once; the
	 * endpoint created with traffic routes it in a step of its own. */
	size_t i;
	json_t *ev;
	json_array_foreach(events, i, ev) {
		const char *a = json_string_value(json_object_get(ev, "address"));
		if (a)
			assert_int_equal(count(events, "done", a) + count(events, "failed", a) +
						 count(events, "skipped", a),
					 strcmp(a, "MlOnlineEndpoint/churn") == 0 ? 2 : 1);
	}
	assert_non_null(find_message(events, "done", "MlOnlineEndpoint/churn", "traffic routed"));

	const json_t *summary = json_array_get(events, json_array_size(events) - 1);
	assert_string_equal(json_string_value(json_object_get(summary, "outcome")), "incomplete");
	assert_string_equal(json_string_value(json_object_get(summary, "stack")), "mlplatform");
	assert_string_equal(json_string_value(json_object_get(summary, "environment")), "dev");
	assert_int_equal(applied(summary, "done"), 14);
	assert_int_equal(applied(summary, "failed"), 1);
	assert_int_equal(applied(summary, "skipped"), 12);
	json_decref(events);
	run_result_free(&r);

	/* Again: the rest is created. */
	r = E2E_RUN(w, "apply", w->stack, "--env", "dev", "--auto-approve", "-o", "json");
	e2e_expect(&r, 0, NULL);
	events = events_of(r.out);
	summary = json_array_get(events, json_array_size(events) - 1);
	assert_string_equal(json_string_value(json_object_get(summary, "outcome")), "complete");
	assert_int_equal(applied(summary, "done"), (json_int_t)count(events, "planned", NULL));
	assert_int_equal(count(events, "failed", NULL), 0);
	json_decref(events);
	run_result_free(&r);

	/* Nothing to do: the summary alone. */
	r = E2E_RUN(w, "apply", w->stack, "--env", "dev", "--auto-approve", "-o", "json");
	e2e_expect(&r, 0, "No changes");
	events = events_of(r.out);
	assert_int_equal(json_array_size(events), 1);
	summary = json_array_get(events, 0);
	assert_string_equal(json_string_value(json_object_get(summary, "outcome")), "no-changes");
	json_decref(events);
	run_result_free(&r);
}

/* The rule that lets this address into the workspace's data plane went
 * (deleted out of band) and a SQL script left the manifests: the plan
 * cannot read the data plane, so apply makes the rule, then plans again.
 * The second plan's changes are announced before they start, each
 * resource ends once, and the summary counts both plans. */
static void events_of_a_second_plan(void **state)
{
	e2e_world *w = *state;
	E2E_EXPECT(w, 0, "Apply complete", "apply", w->stack, "--env", "dev", "--auto-approve");
	control(w, "DELETE",
		"arm/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/"
		"rg-mlplatform-dev/providers/Microsoft.Synapse/workspaces/synw-mlplatform-dev/"
		"firewallRules/office",
		NULL);
	char path[400];
	snprintf(path, sizeof(path), "%s/44-sql-script.yaml", w->stack);
	assert_int_equal(remove(path), 0);

	run_result r = E2E_RUN(w, "apply", w->stack, "--env", "dev", "--auto-approve", "-o", "json");
	e2e_expect(&r, 0, "the firewall rules just created admit this address now");
	json_t *events = events_of(r.out);
	assert_int_equal(count(events, "planned", NULL), 2);
	const json_t *rule = find(events, "planned", "SynapseFirewallRule/allow-office");
	const json_t *rule_done = find(events, "done", "SynapseFirewallRule/allow-office");
	const json_t *prune = find(events, "planned", "SqlScript/predict-churn");
	const json_t *prune_done = find(events, "done", "SqlScript/predict-churn");
	assert_non_null(rule);
	assert_non_null(prune);
	assert_string_equal(json_string_value(json_object_get(prune, "action")), "delete");
	/* In this order: the rule, made; then the script, planned and deleted. */
	size_t at[4] = {0}, i;
	json_t *ev;
	json_array_foreach(events, i, ev) {
		at[0] = ev == rule ? i : at[0];
		at[1] = ev == rule_done ? i : at[1];
		at[2] = ev == prune ? i : at[2];
		at[3] = ev == prune_done ? i : at[3];
	}
	assert_true(at[0] < at[1] && at[1] < at[2] && at[2] < at[3]);
	assert_int_equal(count(events, "done", NULL), 2);

	const json_t *summary = json_array_get(events, json_array_size(events) - 1);
	assert_string_equal(json_string_value(json_object_get(summary, "outcome")), "complete");
	const json_t *planned = json_object_get(summary, "planned");
	assert_int_equal(json_integer_value(json_object_get(planned, "add")), 1);
	assert_int_equal(json_integer_value(json_object_get(planned, "destroy")), 1);
	assert_int_equal(applied(summary, "done"), 2);
	json_decref(events);
	run_result_free(&r);
	E2E_EXPECT(w, 0, "No changes", "plan", w->stack, "--env", "dev", "--detailed-exitcode");
}

/* A run that fails before planning still ends with a summary, its
 * diagnostics included, and stdout holds nothing else. */
static void events_of_a_failed_start(void **state)
{
	e2e_world *w = *state;
	run_result r = E2E_RUN(w, "apply", w->stack, "--env", "staging", "--auto-approve", "-o",
			       "json");
	e2e_expect(&r, 1, NULL);
	json_t *events = events_of(r.out);
	assert_int_equal(json_array_size(events), 1);
	const json_t *summary = json_array_get(events, 0);
	assert_string_equal(json_string_value(json_object_get(summary, "outcome")), "error");
	const json_t *diags = json_object_get(summary, "diagnostics");
	bool named = false;
	size_t i;
	json_t *x;
	json_array_foreach(diags, i, x)
		named |= strstr(json_string_value(json_object_get(x, "message")),
				"unknown environment 'staging'") != NULL;
	assert_true(named);
	assert_non_null(strstr(r.err, "unknown environment 'staging'"));
	json_decref(events);
	run_result_free(&r);

	/* Only apply has events: destroy does not take --output. */
	r = E2E_RUN(w, "destroy", w->stack, "--env", "dev", "--auto-approve", "-o", "json");
	e2e_expect(&r, 64, NULL);
	run_result_free(&r);
}

static int setup(void **state)
{
	return e2e_setup((e2e_world **)state, "synapse-ml", NULL, NULL);
}

static int teardown(void **state)
{
	az_schema_builtin_release();
	return e2e_teardown(*state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(events_tell_the_run, setup, teardown),
		cmocka_unit_test_setup_teardown(events_of_a_failed_start, setup, teardown),
		cmocka_unit_test_setup_teardown(events_of_a_second_plan, setup, teardown),
	};
	int failures = cmocka_run_group_tests(tests, NULL, NULL);
	az_schema_free(schema);
	return failures;
}
