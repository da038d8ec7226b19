/*
 * test_render.c - plans as text, JSON and markdown: every action and change
 * shape is shown, secrets never are, and long markdown splits into parts
 * that each fit in one pull-request comment.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <azapply/plan.h>

static const char SECRET[] = "Sup3r-Secret-Value";

static void build_plan(az_plan *p)
{
	memset(p, 0, sizeof(*p));
	p->stack = az_xstrdup("mlplatform");
	p->environment = az_xstrdup("dev");
	json_t *desired = json_pack("{s:{s:s,s:s}}", "properties", "sqlAdministratorLoginPassword",
				    SECRET, "sqlAdministratorLogin", "sqladmin");
	az_plan_item *ws = az_plan_add(p, "SynapseWorkspace/synapse", az_kind_find("SynapseWorkspace"),
				       AZ_ACTION_CREATE);
	ws->id = az_xstrdup("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Synapse/workspaces/w");
	az_diff_compute(&ws->diff, ws->kind, desired, NULL, NULL);
	json_decref(desired);

	az_plan_item *pool = az_plan_add(p, "SparkPool/spark", az_kind_find("SparkPool"),
					 AZ_ACTION_UPDATE);
	json_t *a = json_pack("{s:{s:{s:i}}}", "properties", "autoScale", "maxNodeCount", 10);
	json_t *b = json_pack("{s:{s:{s:i}}}", "properties", "autoScale", "maxNodeCount", 3);
	az_diff_compute(&pool->diff, pool->kind, a, b, NULL);
	json_decref(a);
	json_decref(b);

	az_plan_item *sa = az_plan_add(p, "StorageAccount/datalake", az_kind_find("StorageAccount"),
				       AZ_ACTION_REPLACE);
	a = json_pack("{s:{s:b}}", "properties", "isHnsEnabled", 1);
	b = json_pack("{s:{s:b}}", "properties", "isHnsEnabled", 0);
	az_diff_compute(&sa->diff, sa->kind, a, b, NULL);
	json_decref(a);
	json_decref(b);
	sa->refused = az_xstrdup("replacing a StorageAccount loses its data; set "
				 "metadata.lifecycle.allowReplace: true to allow it");
	sa->reason = az_xstrdup("properties.isHnsEnabled forces replacement");

	az_plan_item *ra = az_plan_add(p, "RoleAssignment/ra", az_kind_find("RoleAssignment"),
				       AZ_ACTION_CREATE);
	a = json_pack("{s:{s:s}}", "properties", "principalId",
		      "${ref.SynapseWorkspace.synapse.identity.principalId}");
	az_diff_compute(&ra->diff, ra->kind, a, NULL, NULL);
	json_decref(a);

	az_plan_add(p, "ResourceGroup/platform", az_kind_find("ResourceGroup"), AZ_ACTION_DELETE);
	az_plan_add(p, "KeyVault/vault", az_kind_find("KeyVault"), AZ_ACTION_NOOP);
}

static void text_shows_every_action_and_no_secret(void **state)
{
	(void)state;
	az_plan p;
	build_plan(&p);
	az_buf out = AZ_BUF_INIT;
	az_plan_render_text(&out, &p, NULL);
	const char *expect[] = {
		"  # SynapseWorkspace/synapse will be created",
		"  + SynapseWorkspace/synapse  /subscriptions/s/",
		"      + properties.sqlAdministratorLoginPassword: (sensitive)",
		"      + properties.sqlAdministratorLogin: \"sqladmin\"\n",
		"  ~ SparkPool/spark",
		"      ~ properties.autoScale.maxNodeCount: 3 -> 10",
		"-/+ StorageAccount/datalake",
		"  # (properties.isHnsEnabled forces replacement)",
		"      ~ properties.isHnsEnabled: false -> true   # forces replacement",
		"! refused: replacing a StorageAccount loses its data",
		"      + properties.principalId: (known after apply)",
		"  - ResourceGroup/platform",
		"Plan: 2 to add, 1 to change, 1 to replace, 1 to destroy. 1 refused.",
	};
	for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
		if (!strstr(out.data, expect[i]))
			fail_msg("missing '%s' in:\n%s", expect[i], out.data);
	}
	assert_null(strstr(out.data, SECRET));
	assert_null(strstr(out.data, "KeyVault/vault")); /* no-ops are not listed */
	assert_null(strstr(out.data, "\033[")); /* no colour unless asked */
	az_buf_free(&out);
	az_plan_free_items(&p);
}

static void no_changes_says_so(void **state)
{
	(void)state;
	az_plan p = {0};
	p.environment = az_xstrdup("dev");
	az_plan_add(&p, "KeyVault/vault", az_kind_find("KeyVault"), AZ_ACTION_NOOP);
	assert_false(az_plan_has_changes(&p));
	az_buf out = AZ_BUF_INIT;
	az_plan_render_text(&out, &p, NULL);
	assert_string_equal(out.data,
			    "No changes. Azure matches the manifests (1 resource, environment dev).\n");
	az_buf_free(&out);
	az_plan_free_items(&p);
}

static void json_is_versioned_and_redacted(void **state)
{
	(void)state;
	az_plan p;
	build_plan(&p);
	json_t *j = az_plan_to_json(&p);
	char *s = json_dumps(j, 0);
	assert_null(strstr(s, SECRET));
	assert_string_equal(json_string_value(json_object_get(j, "formatVersion")), "1");
	json_t *sum = json_object_get(j, "summary");
	assert_int_equal(json_integer_value(json_object_get(sum, "add")), 2);
	assert_int_equal(json_integer_value(json_object_get(sum, "destroy")), 1);
	assert_int_equal(json_integer_value(json_object_get(sum, "noop")), 1);
	json_t *first = json_array_get(json_object_get(j, "resources"), 0);
	assert_string_equal(json_string_value(json_object_get(first, "action")), "create");
	json_t *pw = json_array_get(json_object_get(first, "changes"), 0);
	assert_true(json_is_true(json_object_get(pw, "sensitive")));
	assert_null(json_object_get(pw, "after"));
	/* No component is pinned: the field is left out. */
	assert_null(json_object_get(j, "componentSources"));
	free(s);
	json_decref(j);
	az_plan_free_items(&p);
}

/* A component pinned to a ref is shown with the commit the ref named, in
 * every form a reviewer reads: what "v1" was when the plan was made. */
static void pinned_components_show_their_commit(void **state)
{
	(void)state;
	static const char commit[] = "0123456789abcdef0123456789abcdef01234567";
	az_plan p;
	build_plan(&p);
	p.component_sources = json_pack("{s:s}", "v1:components/team-platform", commit);
	az_buf out = AZ_BUF_INIT;
	az_plan_render_text(&out, &p, NULL);
	char *want = az_xasprintf("azapply will perform the following actions (stack mlplatform, "
				  "environment dev):\nComponent v1:components/team-platform is "
				  "commit %s.\n\n",
				  commit);
	assert_memory_equal(out.data, want, strlen(want));
	free(want);
	az_buf_free(&out);

	json_t *j = az_plan_to_json(&p);
	json_t *sources = json_object_get(j, "componentSources");
	assert_int_equal(json_object_size(sources), 1);
	assert_string_equal(json_string_value(json_object_get(sources,
							      "v1:components/team-platform")),
			    commit);
	json_decref(j);

	char **parts = NULL;
	size_t n = az_plan_render_markdown(&parts, &p, 1000000);
	assert_int_equal(n, 1);
	want = az_xasprintf("Component `v1:components/team-platform` is commit `%s`.", commit);
	assert_non_null(strstr(parts[0], want));
	free(want);
	free(parts[0]);
	free(parts);
	az_plan_free_items(&p);

	/* With nothing to change, still said. */
	az_plan q = {0};
	q.component_sources = json_pack("{s:s}", "v1:components/team-platform", commit);
	az_plan_add(&q, "team-a/KeyVault/vault", az_kind_find("KeyVault"), AZ_ACTION_NOOP);
	az_plan_render_text(&out, &q, NULL);
	want = az_xasprintf("No changes. Azure matches the manifests (1 resource).\n"
			    "Component v1:components/team-platform is commit %s.\n",
			    commit);
	assert_string_equal(out.data, want);
	free(want);
	az_buf_free(&out);
	az_plan_free_items(&q);
}

static void markdown_splits_below_the_limit(void **state)
{
	(void)state;
	az_plan p = {0};
	p.stack = az_xstrdup("big");
	for (int i = 0; i < 300; i++) {
		char addr[64];
		snprintf(addr, sizeof(addr), "Pipeline/p%03d", i);
		az_plan_item *it = az_plan_add(&p, addr, az_kind_find("Pipeline"), AZ_ACTION_CREATE);
		json_t *body = json_pack("{s:{s:s}}", "properties", "description",
					 "a long description that makes the comment grow quickly");
		az_diff_compute(&it->diff, it->kind, body, NULL, NULL);
		json_decref(body);
	}
	char **parts = NULL;
	size_t n = az_plan_render_markdown(&parts, &p, 8000);
	assert_true(n > 2);
	for (size_t i = 0; i < n; i++) {
		assert_true(strlen(parts[i]) < 8000);
		assert_non_null(strstr(parts[i], "### azapply plan: `big`"));
		char tag[64];
		snprintf(tag, sizeof(tag), "(part %zu of %zu)", i + 1, n);
		assert_non_null(strstr(parts[i], tag));
		free(parts[i]);
	}
	free(parts);
	/* One part when it fits, with the summary and a section per change. */
	n = az_plan_render_markdown(&parts, &p, 1000000);
	assert_int_equal(n, 1);
	assert_non_null(strstr(parts[0], "**Plan: 300 to add, 0 to change"));
	assert_non_null(strstr(parts[0], "| + create | `Pipeline/p299` | 1 |"));
	assert_non_null(strstr(parts[0], "<details><summary><code>+ Pipeline/p000</code>"));
	free(parts[0]);
	free(parts);
	az_plan_free_items(&p);
}

/* A managed private endpoint whose connection waits for its target's
 * owner: no change, said after the result in every format; approved, or
 * being deleted, it is not said. */
static void a_waiting_connection_is_said_and_no_change(void **state)
{
	(void)state;
	const az_kind *k = az_kind_find("ManagedPrivateEndpoint");
	az_plan p = {0};
	az_plan_item *pe = az_plan_add(&p, "ManagedPrivateEndpoint/pe", k, AZ_ACTION_NOOP);
	pe->live = json_pack("{s:{s:{s:s}}}", "properties", "connectionState", "status", "Pending");
	az_plan_item *ok = az_plan_add(&p, "ManagedPrivateEndpoint/ok", k, AZ_ACTION_NOOP);
	ok->live = json_pack("{s:{s:{s:s}}}", "properties", "connectionState", "status", "Approved");
	az_plan_item *gone = az_plan_add(&p, "ManagedPrivateEndpoint/gone", k, AZ_ACTION_DELETE);
	gone->live = json_pack("{s:{s:{s:s}}}", "properties", "connectionState", "status",
			       "Rejected");
	assert_string_equal(az_plan_item_awaiting(pe), "Pending");
	assert_null(az_plan_item_awaiting(ok));
	assert_null(az_plan_item_awaiting(gone));

	az_buf out = AZ_BUF_INIT;
	az_plan_render_text(&out, &p, NULL);
	assert_non_null(strstr(out.data, "\n  ! ManagedPrivateEndpoint/pe: connection Pending: "
					 "approve it on the target resource\n"));
	assert_null(strstr(out.data, "ManagedPrivateEndpoint/ok:"));
	assert_null(strstr(out.data, "ManagedPrivateEndpoint/gone:"));
	az_buf_free(&out);

	json_t *j = az_plan_to_json(&p);
	json_t *first = json_array_get(json_object_get(j, "resources"), 0);
	assert_string_equal(json_string_value(json_object_get(first, "awaitingApproval")),
			    "Pending");
	assert_null(json_object_get(json_array_get(json_object_get(j, "resources"), 1),
				    "awaitingApproval"));
	json_decref(j);

	char **parts = NULL;
	size_t n = az_plan_render_markdown(&parts, &p, 1000000);
	assert_int_equal(n, 1);
	assert_non_null(strstr(parts[0], "- `ManagedPrivateEndpoint/pe`: connection Pending"));
	free(parts[0]);
	free(parts);
	az_plan_free_items(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(text_shows_every_action_and_no_secret),
		cmocka_unit_test(no_changes_says_so),
		cmocka_unit_test(json_is_versioned_and_redacted),
		cmocka_unit_test(pinned_components_show_their_commit),
		cmocka_unit_test(markdown_splits_below_the_limit),
		cmocka_unit_test(a_waiting_connection_is_said_and_no_change),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
