/*
 * test_e2e_review.c - what a reviewer reads is exactly true: ten changes
 * made outside azapply, each reported exactly once by drift (text and
 * JSON), plan --refresh-only and plan, and nothing reported that did not
 * happen.
 *
 * The example is applied, then changed through the emulator's control API
 * as someone with portal access would: tags added, changed and removed,
 * properties the manifests set changed, an artifact deleted. A property
 * the manifests never set is changed too: Azure's own business, it must
 * appear nowhere.
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

#define RG_ID "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-mlplatform-dev"
#define ST_ID RG_ID "/providers/Microsoft.Storage/storageAccounts/stmlplatformdev"
#define KV_ID RG_ID "/providers/Microsoft.KeyVault/vaults/kv-mlplatform-dev"
#define WS_ID RG_ID "/providers/Microsoft.Synapse/workspaces/synw-mlplatform-dev"

/* One change made outside azapply: the control API call, and the address
 * and property path every report must name once. */
typedef struct edit {
	const char *method, *path, *body;
	const char *address, *property; /* property NULL: the resource is gone */
} edit;

static const edit EDITS[] = {
	{"PATCH", "arm" RG_ID, "{\"tags\":{\"owner\":\"bob\"}}", "ResourceGroup/platform",
	 "tags.owner"},
	{"PATCH", "arm" RG_ID, "{\"tags\":{\"costCenter\":\"finance\"}}", "ResourceGroup/platform",
	 "tags.costCenter"},
	{"PATCH", "arm" ST_ID, "{\"tags\":{\"environment\":null}}", "StorageAccount/datalake",
	 "tags.environment"},
	{"PATCH", "arm" ST_ID, "{\"properties\":{\"minimumTlsVersion\":\"TLS1_0\"}}",
	 "StorageAccount/datalake", "properties.minimumTlsVersion"},
	{"PATCH", "arm" ST_ID, "{\"properties\":{\"allowBlobPublicAccess\":true}}",
	 "StorageAccount/datalake", "properties.allowBlobPublicAccess"},
	{"PATCH", "arm" KV_ID, "{\"properties\":{\"softDeleteRetentionInDays\":7}}", "KeyVault/vault",
	 "properties.softDeleteRetentionInDays"},
	{"PATCH", "arm" WS_ID "/bigDataPools/sparkml",
	 "{\"properties\":{\"autoScale\":{\"maxNodeCount\":10}}}", "SparkPool/spark",
	 "properties.autoScale.maxNodeCount"},
	{"PATCH", "arm" WS_ID "/bigDataPools/sparkml",
	 "{\"properties\":{\"autoPause\":{\"delayInMinutes\":60}}}", "SparkPool/spark",
	 "properties.autoPause.delayInMinutes"},
	{"PATCH", "arm" WS_ID "/sqlPools/warehouse", "{\"sku\":{\"name\":\"DW200c\"}}",
	 "SqlPool/warehouse", "sku.name"},
	{"DELETE", "synapse/synw-mlplatform-dev/sqlScripts/predict-churn", NULL, "SqlScript/predict",
	 NULL},
};
#define N_EDITS (sizeof(EDITS) / sizeof(EDITS[0]))
/* Changed, but by nobody's manifest: never reported. */
#define UNSET_PROPERTY "properties.largeFileSharesState"

static size_t count_of(const char *text, const char *needle)
{
	size_t n = 0;
	for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static int setup(void **state)
{
	e2e_world *w;
	if (e2e_setup(&w, "synapse-ml", NULL, NULL) != 0)
		return -1;
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	return e2e_teardown(*state);
}

static run_result run(e2e_world *w, const char *command, const char *flag, const char *output)
{
	const char *argv[] = {command, w->stack, "--env", "dev", "--output", output, flag, NULL};
	return e2e_run(w, argv);
}

/* `text` names `needle` exactly once, or fails saying where. */
static void once(const char *what, const char *text, const char *needle)
{
	size_t n = count_of(text, needle);
	if (n != 1)
		fail_msg("%s names '%s' %zu times, not once:\n%s", what, needle, n, text);
}

static void each_change_is_reported_exactly_once(void **state)
{
	e2e_world *w = *state;
	const char *apply[] = {"apply", w->stack, "--env", "dev", "--auto-approve", NULL};
	e2e_run_expect(w, apply, 0, "Apply complete:");
	for (size_t i = 0; i < N_EDITS; i++) {
		const edit *e = &EDITS[i];
		assert_int_equal(emu_control(w->e, e->method, e->path, e->body, NULL), 200);
	}
	assert_int_equal(emu_control(w->e, "PATCH", "arm" ST_ID,
				     "{\"properties\":{\"largeFileSharesState\":\"Enabled\"}}", NULL),
			 200);

	/* drift, text: one line per changed property, the deleted artifact
	 * once, and no other line that says Azure differs. */
	run_result r = run(w, "drift", NULL, "text");
	assert_int_equal(r.exit_code, 2);
	size_t properties = 0;
	for (size_t i = 0; i < N_EDITS; i++) {
		char line[200];
		if (!EDITS[i].property) {
			snprintf(line, sizeof(line), "%s: missing", EDITS[i].address);
			once("drift", r.out, line);
			continue;
		}
		snprintf(line, sizeof(line), "    %s: Azure has ", EDITS[i].property);
		once("drift", r.out, line);
		properties++;
	}
	assert_int_equal(count_of(r.out, ": Azure has "), properties);
	assert_null(strstr(r.out, UNSET_PROPERTY));
	run_result_free(&r);

	/* drift, JSON: the same, as data. */
	r = run(w, "drift", NULL, "json");
	json_t *report = json_loads(r.out, 0, NULL);
	assert_non_null(report);
	size_t listed = 0, i;
	json_t *res;
	json_array_foreach(json_object_get(report, "resources"), i, res)
		listed += json_array_size(json_object_get(res, "changes"));
	assert_int_equal(listed, properties);
	for (size_t k = 0; k < N_EDITS; k++) {
		if (!EDITS[k].property)
			continue;
		char path[160];
		snprintf(path, sizeof(path), "\"path\": \"%s\"", EDITS[k].property);
		once("drift --output json", r.out, path);
	}
	json_decref(report);
	run_result_free(&r);

	/* refresh-only: the same differences, in the same words. */
	r = run(w, "plan", "--refresh-only", "text");
	assert_int_equal(r.exit_code, 0);
	for (size_t k = 0; k < N_EDITS; k++) {
		char line[200];
		if (!EDITS[k].property)
			continue;
		snprintf(line, sizeof(line), "      %s: Azure has ", EDITS[k].property);
		once("plan --refresh-only", r.out, line);
	}
	assert_int_equal(count_of(r.out, ": Azure has "), properties);
	assert_null(strstr(r.out, UNSET_PROPERTY));
	run_result_free(&r);

	/* plan: what apply will do about each, once; the artifact re-created. */
	r = run(w, "plan", NULL, "text");
	assert_int_equal(r.exit_code, 0);
	for (size_t k = 0; k < N_EDITS; k++) {
		char line[200];
		if (!EDITS[k].property) {
			snprintf(line, sizeof(line), "+ %s", EDITS[k].address);
			once("plan", r.out, line);
			continue;
		}
		snprintf(line, sizeof(line), " %s: ", EDITS[k].property);
		once("plan", r.out, line);
	}
	once("plan", r.out, "Plan: 1 to add, 5 to change, 0 to replace, 0 to destroy.");
	assert_null(strstr(r.out, UNSET_PROPERTY));
	run_result_free(&r);

	/* Applied, all of it is undone: nothing left to report. */
	e2e_run_expect(w, apply, 0, "Apply complete: 6 done");
	const char *settled[] = {"drift", w->stack, "--env", "dev", NULL};
	e2e_run_expect(w, settled, 0, "No drift");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(each_change_is_reported_exactly_once, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
