/*
 * test_e2e_hosts.c - a plan reads the data planes of many workspaces a few
 * workspaces at a time.
 *
 * Each Synapse workspace is a host of its own. A plan asks each one for
 * every artifact collection, to read what it declares and to find what it
 * marked and no longer declares. Asked kind by kind over all workspaces,
 * each host was asked again only after every other host: with more hosts
 * than connections kept idle, every list opened a connection (a TLS
 * handshake each: 4,517 for a plan of 500 workspaces). The lists of one
 * workspace now follow each other within a window of a few workspaces, one
 * at a time over one connection, and this test reads the emulator's request
 * log to see it.
 *
 * An apply likewise took every slot for the artifacts of one workspace at
 * a time: over HTTP/1.1 a connection per request in flight, left idle when
 * the apply moved on to the next workspace. It now spreads its slots over
 * the workspaces, and the emulator counts the connections it accepted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "e2ekit.h"

/* More workspaces than a window holds several times over. */
#define WORKSPACES 48
/* Resource Manager's share of a plan's requests in flight without
 * --parallelism (setup.c): the most connections its first wave opens to
 * ARM, and a bound on how far apart a workspace's lists may be. The
 * workspaces a plan reads side by side (refresh.c) are as many as it has
 * requests in flight, 128: all 48 here. */
#define WINDOW 64

/* Artifacts per workspace. */
#define ARTIFACTS 6
/* Slots of the apply. */
#define PARALLELISM 24
#define STRING_(x) #x
#define STRING(x) STRING_(x)

static e2e_world *W;
static char stack[400];
static json_int_t apply_connections;

static void write_stack(void)
{
	char path[600];
	assert_int_equal(mkdir(stack, 0700), 0);
	snprintf(path, sizeof(path), "%s/azapply.yaml", stack);
	e2e_write(path, "stack: hosts\nlocation: westeurope\nenvironments:\n  dev:\n"
	                "    subscription: 00000000-0000-0000-0000-000000000000\n");
	snprintf(path, sizeof(path), "%s/00-group.yaml", stack);
	e2e_write(path, "apiVersion: azapply.dev/v1\nkind: ResourceGroup\nmetadata:\n  name: rg\n"
	                "spec:\n  name: rg-hosts\n  location: westeurope\n");
	for (int i = 0; i < WORKSPACES; i++) {
		char text[4096];
		snprintf(text, sizeof(text),
		         "apiVersion: azapply.dev/v1\nkind: SynapseWorkspace\nmetadata:\n  name: ws%02d\n"
		         "spec:\n  resourceGroup: rg-hosts\n  name: synw-hosts-%02d\n"
		         "  location: westeurope\n  identity:\n    type: SystemAssigned\n"
		         "  properties:\n    defaultDataLakeStorage:\n"
		         "      accountUrl: https://sthosts.dfs.core.windows.net\n"
		         "      filesystem: ws%02d\n    sqlAdministratorLogin: sqladmin\n"
		         "---\napiVersion: azapply.dev/v1\nkind: Pipeline\nmetadata:\n  name: pl%02d\n"
		         "spec:\n  workspace: ws%02d\n  name: pipeline\n  properties:\n"
		         "    activities: []\n"
		         "---\napiVersion: azapply.dev/v1\nkind: SqlScript\nmetadata:\n  name: sql%02d\n"
		         "spec:\n  workspace: ws%02d\n  name: script\n  properties:\n"
		         "    content:\n      query: SELECT 1\n",
		         i, i, i, i, i, i, i);
		size_t len = strlen(text);
		for (int k = 2; k < ARTIFACTS; k++)
			len += (size_t)snprintf(text + len, sizeof(text) - len,
			                        "---\napiVersion: azapply.dev/v1\nkind: Pipeline\n"
			                        "metadata:\n  name: pl%02d-%d\nspec:\n  workspace: ws%02d\n"
			                        "  name: pipeline-%d\n  properties:\n    activities: []\n",
			                        i, k, i, k);
		snprintf(path, sizeof(path), "%s/ws%02d.yaml", stack, i);
		e2e_write(path, text);
	}
}

static int setup(void **state)
{
	(void)state;
	const char *args[] = {"--retry-after", "0", "--lro-polls", "1", NULL};
	const char *env[] = {"AZAPPLY_POLL_MAX_SECONDS=1", NULL};
	if (e2e_setup(&W, "synapse-ml", args, env) != 0)
		return -1;
	/* What is read, not who may read it: the firewall has tests of its own. */
	assert_int_equal(emu_control(W->e, "PUT", "settings", "{\"synapseFirewall\":false}", NULL),
	                 200);
	snprintf(stack, sizeof(stack), "%s/hosts", W->dir);
	write_stack();
	e2e_clear_log(W);
	E2E_EXPECT(W, 0, "Apply complete", "apply", stack, "--env", "dev", "--auto-approve",
	           "--parallelism", STRING(PARALLELISM));
	json_t *log = e2e_log(W);
	apply_connections =
	    json_integer_value(json_object_get(json_object_get(log, "counters"), "connections"));
	json_decref(log);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return e2e_teardown(W);
}

/* For every workspace host, the distance in the request log between its
 * first and last request: how many other requests came between the lists
 * of one workspace. */
static void data_plane_lists_of_a_workspace_follow_each_other(void **state)
{
	(void)state;
	e2e_clear_log(W);
	E2E_EXPECT(W, 0, "No changes", "plan", stack, "--env", "dev");
	json_t *log = e2e_log(W);
	/* One connection per workspace host; ARM's reads of the first wave
	 * are as many at once as the plan has requests in flight. */
	json_int_t opened =
	    json_integer_value(json_object_get(json_object_get(log, "counters"), "connections"));
	if (opened > WORKSPACES + WINDOW + 8)
		fail_msg("a plan of %d workspaces opened %lld connections", WORKSPACES,
		         (long long)opened);
	json_t *first = json_object(), *last = json_object(), *count = json_object();
	json_t *connection = json_object();
	size_t i, seen = 0;
	json_t *q;
	json_array_foreach(json_object_get(log, "requests"), i, q)
	{
		const char *host = json_string_value(json_object_get(q, "host"));
		if (!host || !strstr(host, "synw-hosts-") || !strstr(host, ".dev."))
			continue;
		char name[64];
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(host, ".:"), host);
		if (!json_object_get(first, name))
			json_object_set_new(first, name, json_integer((json_int_t)seen));
		json_object_set_new(last, name, json_integer((json_int_t)seen));
		json_int_t n = json_integer_value(json_object_get(count, name));
		json_object_set_new(count, name, json_integer(n + 1));
		seen++;
		/* A host's next list waits for its last answer and goes over
		 * the same kept-alive connection: the slot an answer freed went
		 * to the next list in the queue, often one of a host still busy,
		 * which opened a second connection (about 2 per host). */
		json_int_t on = json_integer_value(json_object_get(q, "connection"));
		json_t *had = json_object_get(connection, name);
		assert_true(on > 0);
		if (had && json_integer_value(had) != on)
			fail_msg("%s was read over connections %lld and %lld", name,
			         (long long)json_integer_value(had), (long long)on);
		json_object_set_new(connection, name, json_integer(on));
	}
	assert_int_equal(json_object_size(first), WORKSPACES);
	const char *name;
	json_t *v;
	json_int_t widest = 0, per_host = 0;
	json_object_foreach(first, name, v)
	{
		json_int_t span = json_integer_value(json_object_get(last, name)) - json_integer_value(v);
		if (span > widest)
			widest = span;
		per_host = json_integer_value(json_object_get(count, name));
	}
	/* Within a window, a host's lists are one kind's lists of the window
	 * apart, give or take what answers out of order. Kind by kind over
	 * all workspaces, they were all workspaces' lists apart. */
	json_int_t bound = WINDOW * per_host + 2 * WINDOW;
	if (widest > bound)
		fail_msg("a workspace's %lld data-plane requests spread over %lld of %zu requests "
		         "(at most %lld expected)",
		         (long long)per_host, (long long)widest, seen, (long long)bound);
	json_decref(first);
	json_decref(last);
	json_decref(count);
	json_decref(connection);
	json_decref(log);
}

/* One workspace's artifacts at a time, each workspace got as many
 * connections as it had artifacts in flight (302-306 connections here).
 * Spread over the workspaces, a connection or two per workspace host
 * carries its artifacts, beside ARM's, the token endpoint's and the
 * control calls' own (73-78). */
static void apply_spreads_its_slots_over_the_workspaces(void **state)
{
	(void)state;
	json_int_t bound = 2 * WORKSPACES + PARALLELISM;
	if (apply_connections > bound)
		fail_msg("the apply of %d workspaces' %d artifacts opened %lld connections "
		         "(at most %lld expected)",
		         WORKSPACES, WORKSPACES * ARTIFACTS, (long long)apply_connections,
		         (long long)bound);
	assert_true(apply_connections > 0);
}

/* When the plan in `log` first asked a host whose name holds `host_part`
 * (".dev.": any workspace's data plane): -1 if never. */
static json_int_t first_request_to(json_t *log, const char *host_part)
{
	json_int_t first = -1;
	size_t i;
	json_t *q;
	json_array_foreach(json_object_get(log, "requests"), i, q)
	{
		const char *host = json_string_value(json_object_get(q, "host"));
		json_int_t start = json_integer_value(json_object_get(q, "startMs"));
		if (host && strstr(host, host_part) && (first < 0 || start < first))
			first = start;
	}
	return first;
}

/* The log of a no-changes plan whose GETs matching `path` (an ERE) each
 * answer `ms` late. */
static json_t *plan_with_slow(const char *path, int ms)
{
	char fault[200];
	snprintf(fault, sizeof(fault), "{\"method\":\"GET\",\"path\":\"%s\",\"delayMs\":%d}", path,
	         ms);
	assert_int_equal(emu_control(W->e, "POST", "faults", fault, NULL), 200);
	e2e_clear_log(W);
	E2E_EXPECT(W, 0, "No changes", "plan", stack, "--env", "dev");
	assert_int_equal(emu_control(W->e, "DELETE", "faults", NULL, NULL), 200);
	return e2e_log(W);
}

/* The stack-wide list of what carries the stack's tag is a chain of pages,
 * each asked once the one before answers. Its pages went behind every list
 * queued after it, and the data planes' wave waited for its last page,
 * though it finds only orphans: the chain was a plan's longest path. Now
 * each page goes ahead of lists not begun, and the data planes are read
 * while it pages on. Its first page is the first request to Resource
 * Manager, which opens the host's connection alone, and its second page
 * goes out on that connection (the requests waiting on the token went out
 * last asked first, and those waiting on the first answer took its
 * connection: the chain began 100 ms late and went on through a new TLS
 * handshake). */
static void data_planes_do_not_wait_for_the_stack_wide_list(void **state)
{
	(void)state;
	/* 49 tagged resources, ten pages of 150 ms each; the workspaces'
	 * own list, which the data planes do wait for, has ten quick ones. */
	assert_int_equal(emu_control(W->e, "PUT", "settings", "{\"pageSize\":5}", NULL), 200);
	json_t *log = plan_with_slow("tagName", 150);
	assert_int_equal(emu_control(W->e, "PUT", "settings", "{\"pageSize\":100}", NULL), 200);
	json_int_t first_data_plane = first_request_to(log, ".dev."), last_page = -1, first_arm = -1;
	json_int_t page_start[2] = {-1, -1}, page_connection[2] = {-1, -1};
	const char *first_arm_path = NULL;
	int pages = 0;
	size_t i;
	json_t *q;
	json_array_foreach(json_object_get(log, "requests"), i, q)
	{
		const char *host = json_string_value(json_object_get(q, "host"));
		const char *path = json_string_value(json_object_get(q, "path"));
		json_int_t start = json_integer_value(json_object_get(q, "startMs"));
		json_int_t connection = json_integer_value(json_object_get(q, "connection"));
		if (host && strcmp(host, "management.localhost") == 0 &&
		    (first_arm < 0 || start < first_arm)) {
			first_arm = start;
			first_arm_path = path;
		}
		if (path && strstr(path, "/resources?") && strstr(path, "tagName")) {
			pages++;
			if (start > last_page)
				last_page = start;
			/* The two pages asked first, first first. */
			if (page_start[0] < 0 || start < page_start[0]) {
				page_start[1] = page_start[0];
				page_connection[1] = page_connection[0];
				page_start[0] = start;
				page_connection[0] = connection;
			} else if (page_start[1] < 0 || start < page_start[1]) {
				page_start[1] = start;
				page_connection[1] = connection;
			}
		}
	}
	assert_true(pages >= 10);
	assert_non_null(first_arm_path);
	if (!strstr(first_arm_path, "tagName"))
		fail_msg("Resource Manager's first request was %s, not the stack-wide list",
		         first_arm_path);
	if (page_connection[0] != page_connection[1])
		fail_msg("the stack-wide list's second page went out on connection %lld, its first "
		         "on %lld",
		         (long long)page_connection[1], (long long)page_connection[0]);
	json_decref(log);
	if (first_data_plane < 0 || first_data_plane >= last_page)
		fail_msg("the data planes were first read %lld ms after the stack-wide list's last "
		         "page (of %d) was asked for",
		         (long long)(first_data_plane - last_page), pages);
}

/* The data planes' wave consults only the workspaces and their firewall
 * rules: it starts once those are read, while the rest of Resource
 * Manager's wave still answers. It waited for all of it (a 10k plan's 100
 * lists of Spark pools among it). Here the subscription's role
 * assignments, listed for pruning, answer 600 ms late. */
static void data_planes_do_not_wait_for_what_they_do_not_consult(void **state)
{
	(void)state;
	json_t *log = plan_with_slow("roleAssignments", 600);
	json_int_t first_data_plane = first_request_to(log, ".dev."), assignments_answered = -1;
	size_t i;
	json_t *q;
	json_array_foreach(json_object_get(log, "requests"), i, q)
	{
		const char *path = json_string_value(json_object_get(q, "path"));
		json_int_t start = json_integer_value(json_object_get(q, "startMs"));
		if (path && strstr(path, "roleAssignments"))
			assignments_answered = start + json_integer_value(json_object_get(q, "durationMs"));
	}
	json_decref(log);
	assert_true(assignments_answered > 0);
	if (first_data_plane < 0 || first_data_plane >= assignments_answered)
		fail_msg("the data planes were first read %lld ms after the role assignments' list "
		         "answered",
		         (long long)(first_data_plane - assignments_answered));
}

/* The data planes' token is asked for beside Resource Manager's first
 * wave, not once that wave has found a workspace: the round trip for it
 * was on the longest path of every plan and apply with artifacts. With
 * 100 ms on every answer, the Synapse token request (the second to the
 * token endpoint) goes out before Resource Manager's first answer. */
static void data_plane_token_is_asked_beside_resource_manager(void **state)
{
	(void)state;
	assert_int_equal(emu_control(W->e, "PUT", "settings", "{\"latencyMs\":100}", NULL), 200);
	e2e_clear_log(W);
	E2E_EXPECT(W, 0, "No changes", "plan", stack, "--env", "dev");
	assert_int_equal(emu_control(W->e, "PUT", "settings", "{\"latencyMs\":0}", NULL), 200);
	json_t *log = e2e_log(W);
	json_int_t first_arm_answer = -1, second_token = -1;
	int tokens = 0;
	size_t i;
	json_t *q;
	json_array_foreach(json_object_get(log, "requests"), i, q)
	{
		const char *host = json_string_value(json_object_get(q, "host"));
		json_int_t start = json_integer_value(json_object_get(q, "startMs"));
		json_int_t end = start + json_integer_value(json_object_get(q, "durationMs"));
		if (host && strcmp(host, "login.localhost") == 0 && ++tokens == 2)
			second_token = start;
		if (host && strcmp(host, "management.localhost") == 0 &&
		    (first_arm_answer < 0 || end < first_arm_answer))
			first_arm_answer = end;
	}
	json_decref(log);
	assert_int_equal(tokens, 2);
	if (second_token < 0 || first_arm_answer < 0 || second_token >= first_arm_answer)
		fail_msg("the data planes' token was asked for %lld ms after Resource Manager's "
		         "first answer",
		         (long long)(second_token - first_arm_answer));
}

/* A workspace's data plane is read once the workspaces and its own
 * firewall rules are, not once every workspace's rules are: those are a
 * list per workspace, more of them than Resource Manager's share of the
 * requests in flight, and every data plane waited for the last of them.
 * Here the last workspace's rules answer 1.5 s late: the first
 * workspace's data plane is read meanwhile, the last one's only after. */
static void a_workspace_waits_for_its_own_firewall_rules_only(void **state)
{
	(void)state;
	char path[600];
	snprintf(path, sizeof(path), "%s/50-rules.yaml", stack);
	e2e_write(path, "apiVersion: azapply.dev/v1\nkind: SynapseFirewallRule\nmetadata:\n"
			"  name: first-rule\nspec:\n  workspace: ws00\n  name: AllowAll\n"
			"  properties:\n    startIpAddress: 0.0.0.0\n"
			"    endIpAddress: 255.255.255.255\n"
			"---\napiVersion: azapply.dev/v1\nkind: SynapseFirewallRule\nmetadata:\n"
			"  name: last-rule\nspec:\n  workspace: ws47\n  name: AllowAll\n"
			"  properties:\n    startIpAddress: 0.0.0.0\n"
			"    endIpAddress: 255.255.255.255\n");
	E2E_EXPECT(W, 0, "Apply complete", "apply", stack, "--env", "dev", "--auto-approve");
	json_t *log = plan_with_slow("synw-hosts-47/firewallRules", 1500);
	json_int_t rules_answered = -1;
	size_t i;
	json_t *q;
	json_array_foreach(json_object_get(log, "requests"), i, q)
	{
		const char *p = json_string_value(json_object_get(q, "path"));
		if (p && strstr(p, "synw-hosts-47/firewallRules"))
			rules_answered = json_integer_value(json_object_get(q, "startMs")) +
					 json_integer_value(json_object_get(q, "durationMs"));
	}
	json_int_t first = first_request_to(log, "synw-hosts-00.dev.");
	json_int_t last = first_request_to(log, "synw-hosts-47.dev.");
	json_decref(log);
	assert_true(rules_answered > 0 && first > 0 && last > 0);
	if (first >= rules_answered)
		fail_msg("the first workspace's data plane was read %lld ms after the last "
			 "workspace's firewall rules answered",
			 (long long)(first - rules_answered));
	/* Milliseconds are rounded down on both sides of the sum. */
	if (last + 1 < rules_answered)
		fail_msg("the last workspace's data plane was read %lld ms before its firewall "
			 "rules answered",
			 (long long)(rules_answered - last));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(apply_spreads_its_slots_over_the_workspaces),
	    cmocka_unit_test(data_plane_lists_of_a_workspace_follow_each_other),
	    cmocka_unit_test(data_planes_do_not_wait_for_the_stack_wide_list),
	    cmocka_unit_test(data_planes_do_not_wait_for_what_they_do_not_consult),
	    cmocka_unit_test(data_plane_token_is_asked_beside_resource_manager),
	    cmocka_unit_test(a_workspace_waits_for_its_own_firewall_rules_only),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
