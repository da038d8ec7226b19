/*
 * test_e2e_lists.c - every read error is an error: lists whose pages fail,
 * run as a user runs them, the azapply binary against the emulator.
 *
 * A plan decides create, update or adopt from what the refresh listed. A
 * list that lost a page would read as a shorter one: existing firewall
 * rules, pipelines or Synapse role assignments would be planned as creates
 * and overwritten by apply without the adopt safeguard. So a failure on any
 * page after the first (404, 500 or a dropped connection, after retries),
 * however the list pages (ARM and Synapse nextLink, the Synapse RBAC
 * x-ms-continuation header), fails the plan: exit 1, the collection and
 * the page named, and nothing written. A server whose links lead back to a
 * page it already sent, or to another workspace's host, fails the same way.
 *
 * One emulator and one applied stack serve every test: the stack holds
 * three of each listed kind, so with a page size of 1 its lists have a
 * page 2 and a page 3 to fail. Each test sets its faults and the page size,
 * and puts both back when it ends.
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
#include <sys/stat.h>

#include "e2ekit.h"

#define WS_HOST "synw-lists-dev.dev.localhost"
#define WS_ID                                                                                      \
	"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-lists-dev/"         \
	"providers/Microsoft.Synapse/workspaces/synw-lists-dev"

/* The group's world; each test's own state is its case, when it has one. */
static e2e_world *W;
/* The stack of this file (W->stack holds the example e2ekit copies). */
static char stack[400];

static const char project[] = "stack: lists\n"
                              "location: westeurope\n"
                              "variables:\n"
                              "  env: null\n"
                              "environments:\n"
                              "  dev:\n"
                              "    subscription: 00000000-0000-0000-0000-000000000000\n"
                              "    variables:\n"
                              "      env: dev\n";

static const char workspace[] = "apiVersion: azapply.dev/v1\n"
                                "kind: ResourceGroup\n"
                                "metadata:\n"
                                "  name: rg\n"
                                "spec:\n"
                                "  name: rg-lists-${var.env}\n"
                                "  location: westeurope\n"
                                "---\n"
                                "apiVersion: azapply.dev/v1\n"
                                "kind: SynapseWorkspace\n"
                                "metadata:\n"
                                "  name: synapse\n"
                                "spec:\n"
                                "  resourceGroup: rg-lists-${var.env}\n"
                                "  name: synw-lists-${var.env}\n"
                                "  location: westeurope\n"
                                "  identity:\n"
                                "    type: SystemAssigned\n"
                                "  properties:\n"
                                "    defaultDataLakeStorage:\n"
                                "      accountUrl: https://stlists${var.env}.dfs.core.windows.net\n"
                                "      filesystem: synapse\n"
                                "    sqlAdministratorLogin: sqladmin\n"
                                "    sqlAdministratorLoginPassword: ${env.SYNAPSE_SQL_PASSWORD}\n";

/* The listed kinds, three of each: '#' stands for 1, 2 and 3, '@' for the
 * role of the one it is in. */
static const char *const roles[] = {"Synapse User", "Synapse Contributor", "Synapse Artifact User"};
static const struct {
	const char *file;
	const char *doc;
} listed[] = {
    {"10-firewall.yaml",
     "apiVersion: azapply.dev/v1\nkind: SynapseFirewallRule\n"
     "metadata:\n  name: fw#\nspec:\n  workspace: synapse\n  name: rule#\n"
     "  properties:\n    startIpAddress: 10.0.0.#\n    endIpAddress: 10.0.0.#\n"},
    {"20-pipelines.yaml", "apiVersion: azapply.dev/v1\nkind: Pipeline\nmetadata:\n  name: pl#\n"
                          "spec:\n  workspace: synapse\n  name: pipeline#\n  properties:\n"
                          "    description: pipeline #\n    activities:\n      - name: Pause\n"
                          "        type: Wait\n        typeProperties:\n"
                          "          waitTimeInSeconds: #\n"},
    {"30-access.yaml", "apiVersion: azapply.dev/v1\nkind: SynapseRoleAssignment\n"
                       "metadata:\n  name: ra#\nspec:\n  workspace: synapse\n  role: @\n"
                       "  principalId: 6a1c6e2b-1f0b-4c8e-9d54-2f3f4b5c6d7e\n"
                       "  principalType: ServicePrincipal\n"},
};

static void write_stack(void)
{
	char path[600];
	assert_int_equal(mkdir(stack, 0700), 0);
	snprintf(path, sizeof(path), "%s/azapply.yaml", stack);
	e2e_write(path, project);
	snprintf(path, sizeof(path), "%s/00-workspace.yaml", stack);
	e2e_write(path, workspace);
	for (size_t k = 0; k < sizeof(listed) / sizeof(listed[0]); k++) {
		char text[4096];
		size_t n = 0;
		for (int i = 1; i <= 3; i++) {
			if (i > 1)
				n += (size_t)snprintf(text + n, sizeof(text) - n, "---\n");
			for (const char *c = listed[k].doc; *c; c++) {
				if (*c == '#')
					n += (size_t)snprintf(text + n, sizeof(text) - n, "%d", i);
				else if (*c == '@')
					n += (size_t)snprintf(text + n, sizeof(text) - n, "%s",
					                      roles[i - 1]);
				else
					n += (size_t)snprintf(text + n, sizeof(text) - n, "%c", *c);
			}
		}
		snprintf(path, sizeof(path), "%s/%s", stack, listed[k].file);
		e2e_write(path, text);
	}
}

/* A call of the control API that must succeed. */
static void control(const char *method, const char *path, const char *body)
{
	assert_int_equal(emu_control(W->e, method, path, body, NULL), 200);
}

static int setup(void **state)
{
	(void)state;
	/* The runner's address is one the workspace's first rule admits: the
	 * data plane's firewall is on, as in Azure. */
	const char *args[] = {"--retry-after", "0", "--lro-polls", "1", "--client-ip", "10.0.0.1",
			      NULL};
	const char *env[] = {"AZAPPLY_POLL_MAX_SECONDS=1", NULL};
	if (e2e_setup(&W, "synapse-ml", args, env) != 0)
		return -1;
	snprintf(stack, sizeof(stack), "%s/lists", W->dir);
	write_stack();
	E2E_EXPECT(W, 0, "Apply complete: 11 done, 0 failed, 0 skipped.", "apply", stack, "--env",
	           "dev", "--auto-approve");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return e2e_teardown(W);
}

/* A test's own addition to the stack, removed when it ends. */
#define EXTRA_FILE "25-extra.yaml"

/* Every test starts with one item a page, no fault and an empty log. */
static int paged(void **state)
{
	(void)state;
	control("PUT", "settings", "{\"pageSize\":1}");
	control("DELETE", "faults", NULL);
	e2e_clear_log(W);
	return 0;
}

/* ...and leaves the stack as it found it: settled. */
static int settled(void **state)
{
	(void)state;
	char extra[600];
	snprintf(extra, sizeof(extra), "%s/" EXTRA_FILE, stack);
	remove(extra);
	control("DELETE", "faults", NULL);
	control("PUT", "settings", "{\"pageSize\":100}");
	E2E_EXPECT(W, 0, "No changes.", "plan", stack, "--env", "dev", "--detailed-exitcode");
	return 0;
}

/* Requests of the log: those sent to `host` when it is given, else those
 * that change something (neither reads, tokens nor the test's own calls of
 * the control API). *first (when asked for, freed by the caller) describes
 * the first. */
static size_t logged(const char *host, char **first)
{
	json_t *log = e2e_log(W);
	size_t n = 0;
	size_t i;
	json_t *req;
	json_array_foreach(json_object_get(log, "requests"), i, req)
	{
		const char *method = json_string_value(json_object_get(req, "method"));
		const char *to = json_string_value(json_object_get(req, "host"));
		const char *path = json_string_value(json_object_get(req, "path"));
		bool counts = host ? to && strcasecmp(to, host) == 0
		                   : method && strcmp(method, "GET") != 0 &&
		                         strcmp(method, "HEAD") != 0 &&
		                         !(to && strcmp(to, "login.localhost") == 0) &&
		                         !(path && strncmp(path, "/_emulator/", 11) == 0);
		if (!counts)
			continue;
		if (!n && first)
			*first = json_dumps(req, JSON_COMPACT);
		n++;
	}
	json_decref(log);
	return n;
}

static void add_fault(const char *rule)
{
	control("POST", "faults", rule);
}

/* Runs `plan`, then `apply`, with the faults set: each must fail, naming
 * the collection (the first page's URL ends with `collection`), the page
 * that failed and how it was asked for (`page_url`: the page's URL, its
 * secret-looking query values redacted as the trace does), and write
 * nothing. */
static void expect_refresh_fails(const char *collection, int page, const char *page_url)
{
	char named[512];
	snprintf(named, sizeof(named), "%s is incomplete: page %d failed", collection, page);
	const char *const plan[] = {"plan", stack, "--env", "dev", NULL};
	const char *const apply[] = {"apply", stack, "--env", "dev", "--auto-approve", NULL};
	const char *const *runs[] = {plan, apply};
	for (size_t i = 0; i < 2; i++) {
		e2e_clear_log(W);
		run_result r = e2e_run(W, runs[i]);
		e2e_expect(&r, 1, named);
		if (!strstr(r.err, page_url))
			fail_msg("%s: expected the page '%s' named; stderr:\n%s", runs[i][0],
			         page_url, r.err);
		/* The planner never saw a shorter list: nothing planned. */
		assert_null(strstr(r.out, "will be created"));
		run_result_free(&r);
		char *first = NULL;
		size_t writes = logged(NULL, &first);
		if (writes)
			fail_msg("%s wrote %zu times after a failed page, first %s", runs[i][0],
			         writes, first);
		free(first);
	}
}

/* Finding "a failed page reads as an empty collection": one case a list
 * shape, each failing its page 2 or its page 3. */
typedef struct failed_page {
	const char *rule;       /* the fault that fails the page */
	const char *collection; /* how the first page's URL ends */
	int page;
	const char *asked; /* how the failed page was asked for */
} failed_page;

#define FIREWALL_RULES "/workspaces/synw-lists-dev/firewallRules?api-version=2021-06-01"
#define ARM_ERROR(code) "\"body\":{\"error\":{\"code\":\"" code "\",\"message\":\"No.\"}}}"
#define ON_WS "{\"method\":\"GET\",\"host\":\"" WS_HOST "\","

static const failed_page failed_pages[] = {
    /* ARM, paged by nextLink with $skiptoken: a 404, a 500 that outlasts
     * the retries, a connection dropped on every try. */
    {"{\"method\":\"GET\",\"path\":\"/"
     "firewallRules\\\\?.*skiptoken=1($|&)\",\"status\":404," ARM_ERROR("NotFound"),
     FIREWALL_RULES, 2, "&$skiptoken=REDACTED"},
    {"{\"method\":\"GET\",\"path\":\"/"
     "firewallRules\\\\?.*skiptoken=2($|&)\",\"status\":500," ARM_ERROR("InternalServerError"),
     FIREWALL_RULES, 3, "&$skiptoken=REDACTED"},
    {"{\"method\":\"GET\",\"path\":\"/firewallRules\\\\?.*skiptoken=1($|&)\",\"drop\":true}",
     FIREWALL_RULES, 2, "&$skiptoken=REDACTED"},
    /* Synapse artifacts, paged by nextLink too; flat error bodies. */
    {ON_WS "\"path\":\"^/pipelines\\\\?.*continuationToken=1($|&)\",\"status\":404,"
           "\"body\":{\"code\":\"NotFound\",\"message\":\"No.\"}}",
     "/pipelines?api-version=2020-12-01", 2, "&continuationToken=REDACTED"},
    {ON_WS "\"path\":\"^/pipelines\\\\?.*continuationToken=2($|&)\",\"status\":404,"
           "\"body\":{\"code\":\"NotFound\",\"message\":\"No.\"}}",
     "/pipelines?api-version=2020-12-01", 3, "&continuationToken=REDACTED"},
    /* Synapse RBAC, paged by the x-ms-continuation header: the emulator's
     * token is the index of the page's first item. */
    {ON_WS "\"path\":\"^/roleAssignments\",\"requestHeader\":{\"name\":"
           "\"x-ms-continuation\",\"value\":\"^1$\"},\"status\":404," ARM_ERROR("NotFound"),
     "/roleAssignments?api-version=2020-12-01", 2, "x-ms-continuation header"},
    {ON_WS
     "\"path\":\"^/roleAssignments\",\"requestHeader\":{\"name\":"
     "\"x-ms-continuation\",\"value\":\"^2$\"},\"status\":500," ARM_ERROR("InternalServerError"),
     "/roleAssignments?api-version=2020-12-01", 3, "x-ms-continuation header"},
};

static void failed_page_fails_the_plan(void **state)
{
	const failed_page *c = *state;
	add_fault(c->rule);
	expect_refresh_fails(c->collection, c->page, c->asked);
}

/* Finding "a nextLink cycle runs to the page cap": the third page of the
 * firewall rules points back to the second. Said at once, not after
 * 10,000 pages. */
static void next_link_cycle_is_said_at_once(void **state)
{
	(void)state;
	/* The link to page 2 exactly as the emulator writes it: page 1's. */
	char *token = emu_token(W->e, "https://management.azure.com/.default");
	assert_non_null(token);
	char auth[8192];
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	const char *headers[] = {auth, NULL};
	emu_response page1;
	assert_int_equal(emu_http(W->e, &page1, "GET",
	                          WS_ID "/firewallRules?api-version=2021-06-01", headers, NULL, 0),
	                 0);
	const char *page2 = json_string_value(json_object_get(page1.json, "nextLink"));
	assert_non_null(page2);
	char rule[2048];
	snprintf(rule, sizeof(rule),
	         "{\"method\":\"GET\",\"path\":\"/firewallRules\\\\?.*skiptoken=2($|&)\","
	         "\"status\":200,\"body\":{\"value\":[],\"nextLink\":\"%s\"}}",
	         page2);
	emu_response_free(&page1);
	free(token);
	add_fault(rule);
	run_result r = E2E_RUN(W, "plan", stack, "--env", "dev");
	e2e_expect(&r, 1, "again: the list does not end");
	assert_non_null(strstr(r.err, "/firewallRules"));
	run_result_free(&r);
	json_t *faults = NULL;
	assert_int_equal(emu_control(W->e, "GET", "faults", NULL, &faults), 200);
	/* Page 3 was asked for once: no second round of the cycle. */
	json_int_t hits = json_integer_value(
	    json_object_get(json_array_get(json_object_get(faults, "value"), 0), "hits"));
	json_decref(faults);
	assert_int_equal(hits, 1);
	assert_int_equal(logged(NULL, NULL), 0);
}

/* Finding "token confinement within the Synapse template": a nextLink of
 * this workspace's pipelines naming another workspace's host is refused
 * before anything is sent there. */
static void next_link_to_another_workspace_is_refused(void **state)
{
	(void)state;
	char rule[1024];
	snprintf(rule, sizeof(rule),
	         "{\"method\":\"GET\",\"host\":\"" WS_HOST "\",\"path\":\"^/pipelines\\\\?\","
	         "\"status\":200,\"body\":{\"value\":[],\"nextLink\":"
	         "\"https://other.dev.localhost:%d/pipelines?api-version=2020-12-01\"}}",
	         emu_port(W->e));
	add_fault(rule);
	run_result r = E2E_RUN(W, "plan", stack, "--env", "dev");
	e2e_expect(&r, 1, "refusing to send");
	assert_non_null(strstr(r.err, "other.dev.localhost"));
	run_result_free(&r);
	assert_int_equal(logged("other.dev.localhost", NULL), 0);
	assert_int_equal(logged(NULL, NULL), 0);
}

/* ...and so is an operation's Location naming another workspace: the
 * write's own token never reaches it. */
static void location_of_another_workspace_is_refused(void **state)
{
	(void)state;
	control("PUT", "settings", "{\"pageSize\":100}");
	char path[600];
	snprintf(path, sizeof(path), "%s/" EXTRA_FILE, stack);
	e2e_write(path, "apiVersion: azapply.dev/v1\nkind: Pipeline\nmetadata:\n  name: pl4\n"
	                "spec:\n  workspace: synapse\n  name: pipeline4\n  properties:\n"
	                "    activities:\n      - name: Pause\n        type: Wait\n"
	                "        typeProperties:\n          waitTimeInSeconds: 4\n");
	char rule[1024];
	snprintf(rule, sizeof(rule),
	         "{\"method\":\"PUT\",\"host\":\"" WS_HOST "\",\"path\":\"^/pipelines/pipeline4\","
	         "\"status\":202,\"headers\":{\"Location\":\"https://other.dev.localhost:%d/"
	         "operationResults/op1?api-version=2020-12-01\"},\"body\":{\"operationId\":"
	         "\"op1\",\"state\":\"Creating\"}}",
	         emu_port(W->e));
	add_fault(rule);
	E2E_EXPECT(W, 1, "refusing to send", "apply", stack, "--env", "dev", "--auto-approve");
	assert_int_equal(logged("other.dev.localhost", NULL), 0);
}

/* A failed-page case, named after the finding, the list and the page. */
#define FAILED_PAGE(name, i)                                                                       \
	{                                                                                          \
		"failed_page_" name, failed_page_fails_the_plan, paged, settled,                   \
		    (void *)(uintptr_t)&failed_pages[i]                                            \
	}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    FAILED_PAGE("arm_404_on_page_2", 0),
	    FAILED_PAGE("arm_500_on_page_3", 1),
	    FAILED_PAGE("arm_dropped_on_page_2", 2),
	    FAILED_PAGE("synapse_on_page_2", 3),
	    FAILED_PAGE("synapse_on_page_3", 4),
	    FAILED_PAGE("synapse_rbac_on_page_2", 5),
	    FAILED_PAGE("synapse_rbac_on_page_3", 6),
	    cmocka_unit_test_setup_teardown(next_link_cycle_is_said_at_once, paged, settled),
	    cmocka_unit_test_setup_teardown(next_link_to_another_workspace_is_refused, paged,
	                                    settled),
	    cmocka_unit_test_setup_teardown(location_of_another_workspace_is_refused, paged,
	                                    settled),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
