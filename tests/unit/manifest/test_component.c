/*
 * test_component.c - reusable components in the loader: instances and
 * their addresses, inputs with types and defaults checked at the call
 * site, references kept inside an instance, outputs crossing out of it,
 * forEach inside a component and over instances, and the errors at the
 * line that needs the fix.
 */
#include "mtest.h"

#include <stdlib.h>
#include <string.h>

static const char *project = "stack: teams\n"
                             "variables: {env: dev}\n"
                             "environments:\n"
                             "  dev: {}\n"
                             "outputs:\n"
                             "  poolA: ${component.team-a.outputs.firstPool}\n"
                             "  rg:\n"
                             "    value: ${ref.ResourceGroup.shared.id}\n"
                             "    description: the shared group\n";

static const char *declaration = "inputs:\n"
                                 "  team: {type: string, description: the team's name}\n"
                                 "  nodes: {type: integer, default: 3}\n"
                                 "  pools: {type: map, default: {small: {}, large: {}}}\n"
                                 "  secret: {type: string, required: false}\n"
                                 "outputs:\n"
                                 "  workspaceId: ${ref.SynapseWorkspace.synapse.id}\n"
                                 "  firstPool:\n"
                                 "    value: ${ref.SparkPool.spark-small.id}\n"
                                 "    description: the small pool\n";

static const char *workspace = "apiVersion: azapply.dev/v1\n"
                               "kind: SynapseWorkspace\n"
                               "metadata: {name: synapse}\n"
                               "spec:\n"
                               "  resourceGroup: ${ref.ResourceGroup.rg.name}\n"
                               "  name: synw-${input.team}-${component.name}\n"
                               "  nodes: ${input.nodes}\n"
                               "  literal: \"$${input.team}\"\n";

static const char *pools = "apiVersion: azapply.dev/v1\n"
                           "kind: SparkPool\n"
                           "metadata:\n"
                           "  name: spark-${each.key}\n"
                           "  forEach: ${input.pools}\n"
                           "spec:\n"
                           "  workspace: synapse\n"
                           "  name: ${input.team}${each.key}\n";

static const char *group = "apiVersion: azapply.dev/v1\n"
                           "kind: ResourceGroup\n"
                           "metadata: {name: rg}\n"
                           "spec: {name: \"rg-${component.name}\", location: westeurope}\n";

static const char *stack = "apiVersion: azapply.dev/v1\n"
                           "kind: ResourceGroup\n"
                           "metadata: {name: shared}\n"
                           "spec:\n"
                           "  name: rg-shared\n"
                           "  location: westeurope\n"
                           "  tags: {pool: \"${component.team-b.outputs.firstPool}\"}\n"
                           "---\n"
                           "apiVersion: azapply.dev/v1\n"
                           "kind: Component\n"
                           "metadata:\n"
                           "  name: team-${each.key}\n"
                           "  forEach:\n"
                           "    a: {nodes: 4}\n"
                           "    b: {nodes: 5}\n"
                           "spec:\n"
                           "  source: components/team\n"
                           "  inputs:\n"
                           "    team: t${each.key}\n"
                           "    nodes: ${each.value.nodes}\n"
                           "    secret: ${env.TEAM_SECRET}\n";

typedef struct fixture {
	char *dir;
	az_manifest_set *set;
	az_diags d;
} fixture;

static const char *ENV[] = {"TEAM_SECRET=s3cret-value", NULL};

static void write_component(const char *dir, const char *decl)
{
	mt_write(dir, "components/team/component.yaml", decl);
	mt_write(dir, "components/team/ws.yaml", workspace);
	mt_write(dir, "components/team/nested/pools.yaml", pools);
	mt_write(dir, "components/team/rg.yaml", group);
}

/* Loads the tree and resolves it for dev; returns the resolve result. */
static int resolve(fixture *f)
{
	int rc = mt_load(&f->set, f->dir, &f->d);
	if (rc)
		return rc;
	return az_manifests_resolve_vars(f->set, "dev", mt_getenv, ENV, &f->d);
}

static fixture *fixture_new(const char *stack_text, const char *decl)
{
	fixture *f = az_xcalloc(1, sizeof(*f));
	f->dir = mt_tempdir();
	mt_write(f->dir, "azapply.yaml", project);
	mt_write(f->dir, "stack.yaml", stack_text);
	write_component(f->dir, decl);
	return f;
}

static void fixture_free(fixture *f)
{
	az_manifest_set_free(f->set);
	az_diags_clear(&f->d);
	mt_rmtree(f->dir);
	free(f->dir);
	free(f);
}

static const az_manifest *find(const az_manifest_set *set, const char *address)
{
	for (size_t i = 0; i < set->len; i++)
		if (set->items[i].address && !strcmp(set->items[i].address, address))
			return &set->items[i];
	return NULL;
}

static const char *spec_str(const az_manifest *m, const char *key)
{
	return json_string_value(json_object_get(json_object_get(m->body, "spec"), key));
}

static void instances_are_prefixed_and_see_their_inputs(void **state)
{
	(void)state;
	fixture *f = fixture_new(stack, declaration);
	assert_int_equal(resolve(f), 0);
	/* The shared group, and per instance a group, a workspace and a
	 * pool per key of the default map; no call site is left. */
	assert_int_equal(f->set->len, 1 + 2 * 4);
	assert_null(find(f->set, "Component/team-a"));
	const az_manifest *ws = find(f->set, "team-a/SynapseWorkspace/synapse");
	assert_non_null(ws);
	assert_string_equal(ws->instance, "team-a");
	assert_string_equal(spec_str(ws, "name"), "synw-ta-team-a");
	/* A whole-string input keeps its type; a literal stays literal. */
	assert_int_equal(json_integer_value(json_object_get(json_object_get(ws->body, "spec"),
	                                                    "nodes")),
	                 4);
	assert_string_equal(spec_str(ws, "literal"), "$${input.team}");
	/* A reference written inside the component names the instance's own. */
	assert_string_equal(spec_str(ws, "resourceGroup"), "${ref.team-a/ResourceGroup.rg.name}");
	/* Its positions are the component file's. */
	assert_non_null(strstr(ws->pos.file, "components/team/ws.yaml"));
	const az_manifest *pool = find(f->set, "team-b/SparkPool/spark-large");
	assert_non_null(pool);
	assert_string_equal(spec_str(pool, "name"), "tblarge");
	assert_string_equal(pool->each_key, "large");
	assert_string_equal(pool->instance, "team-b");
	assert_non_null(find(f->set, "team-b/ResourceGroup/rg"));
	fixture_free(f);
}

static void outputs_cross_out_through_their_declaration(void **state)
{
	(void)state;
	fixture *f = fixture_new(stack, declaration);
	assert_int_equal(resolve(f), 0);
	const az_manifest *shared = find(f->set, "ResourceGroup/shared");
	assert_non_null(shared);
	json_t *tags = json_object_get(json_object_get(shared->body, "spec"), "tags");
	assert_string_equal(json_string_value(json_object_get(tags, "pool")),
	                    "${ref.team-b/SparkPool.spark-small.id}");
	json_t *o = f->set->outputs;
	assert_string_equal(json_string_value(json_object_get(json_object_get(o, "poolA"), "value")),
	                    "${ref.team-a/SparkPool.spark-small.id}");
	json_t *rg = json_object_get(o, "rg");
	assert_string_equal(json_string_value(json_object_get(rg, "value")),
	                    "${ref.ResourceGroup.shared.id}");
	assert_string_equal(json_string_value(json_object_get(rg, "description")),
	                    "the shared group");
	json_t *ws = json_object_get(o, "team-b.workspaceId");
	assert_string_equal(json_string_value(json_object_get(ws, "value")),
	                    "${ref.team-b/SynapseWorkspace.synapse.id}");
	fixture_free(f);
}

static void a_secret_input_stays_sensitive_inside(void **state)
{
	(void)state;
	static const char *uses_secret =
	    "apiVersion: azapply.dev/v1\n"
	    "kind: StorageAccount\n"
	    "metadata: {name: st}\n"
	    "spec: {name: \"st${component.name}\", key: \"k-${input.secret}\"}\n";
	fixture *f = fixture_new(stack, declaration);
	mt_write(f->dir, "components/team/st.yaml", uses_secret);
	assert_int_equal(resolve(f), 0);
	const az_manifest *st = find(f->set, "team-a/StorageAccount/st");
	assert_non_null(st);
	assert_string_equal(spec_str(st, "key"), "k-s3cret-value");
	char *dumped = json_dumps(st->sensitive, JSON_COMPACT);
	assert_string_equal(dumped, "[\"/spec/key\"]");
	free(dumped);
	fixture_free(f);
}

/* The first error of resolving `stack_text` against `decl`. */
static char *first_error(const char *stack_text, const char *decl)
{
	fixture *f = fixture_new(stack_text, decl);
	assert_int_not_equal(resolve(f), 0);
	char *e = mt_first_error(&f->d);
	fixture_free(f);
	return e;
}

/* A source that cannot be read is said when the stack is loaded; making
 * the instances afterwards (the stack is checked on with what loaded) said
 * it a second time, and once more at each output of the instance read. */
static void a_bad_source_is_said_once(void **state)
{
	(void)state;
	fixture *f = fixture_new("apiVersion: azapply.dev/v1\nkind: Component\n"
	                         "metadata: {name: team-a}\nspec: {source: ../elsewhere}\n",
	                         declaration);
	assert_int_equal(mt_load(&f->set, f->dir, &f->d), AZ_EINVALID);
	az_manifests_resolve_vars(f->set, "dev", mt_getenv, ENV, &f->d);
	assert_int_equal(az_diags_errors(&f->d), 1);
	char *e = mt_first_error(&f->d);
	assert_non_null(strstr(e, "stack.yaml:4:16: component source '../elsewhere' leaves the "
	                          "stack's folder"));
	free(e);
	fixture_free(f);
}

static void inputs_are_checked_at_the_call_site(void **state)
{
	(void)state;
	char *e = first_error("apiVersion: azapply.dev/v1\n"
	                      "kind: Component\n"
	                      "metadata: {name: team-a}\n"
	                      "spec:\n"
	                      "  source: components/team\n"
	                      "  inputs:\n"
	                      "    team: a\n"
	                      "    nodes: many\n",
	                      declaration);
	assert_non_null(strstr(e, "stack.yaml:8:12: input 'nodes' is a string, but component "
	                          "'components/team' declares it an integer"));
	free(e);
	e = first_error("apiVersion: azapply.dev/v1\n"
	                "kind: Component\n"
	                "metadata: {name: team-a}\n"
	                "spec:\n"
	                "  source: components/team\n"
	                "  inputs:\n"
	                "    nodes: 2\n",
	                declaration);
	assert_non_null(strstr(e, "stack.yaml:7:5: missing required input 'team' of component "
	                          "'components/team'"));
	free(e);
	e = first_error("apiVersion: azapply.dev/v1\n"
	                "kind: Component\n"
	                "metadata: {name: team-a}\n"
	                "spec:\n"
	                "  source: components/team\n"
	                "  inputs: {team: a, node: 2}\n",
	                declaration);
	assert_non_null(strstr(e, "stack.yaml:6:21: component 'components/team' has no input 'node'"));
	free(e);
	e = first_error("apiVersion: azapply.dev/v1\n"
	                "kind: Component\n"
	                "metadata: {name: team-a}\n"
	                "spec:\n"
	                "  source: components/nothing\n",
	                declaration);
	assert_non_null(strstr(e, "stack.yaml:5:11: no component.yaml in 'components/nothing'"));
	free(e);
}

static void the_boundary_holds_both_ways(void **state)
{
	(void)state;
	static const char *site = "apiVersion: azapply.dev/v1\n"
	                          "kind: Component\n"
	                          "metadata: {name: team-a}\n"
	                          "spec: {source: components/team, inputs: {team: a}}\n";
	/* Outside, only declared outputs. */
	char *e = first_error("apiVersion: azapply.dev/v1\n"
	                      "kind: ResourceGroup\n"
	                      "metadata: {name: x}\n"
	                      "spec: {name: \"${component.team-a.outputs.nope}\"}\n"
	                      "---\n" "apiVersion: azapply.dev/v1\n"
	                      "kind: Component\n"
	                      "metadata: {name: team-a}\n"
	                      "spec: {source: components/team, inputs: {team: a}}\n",
	                      declaration);
	assert_non_null(strstr(e, "stack.yaml:4:15: component instance 'team-a' has no output "
	                          "'nope'"));
	free(e);
	/* Inside, no stack variable. */
	fixture *f = fixture_new(site, declaration);
	mt_write(f->dir, "components/team/bad.yaml",
	         "apiVersion: azapply.dev/v1\n"
	         "kind: ResourceGroup\n"
	         "metadata: {name: bad}\n"
	         "spec: {name: \"rg-${var.env}\"}\n");
	assert_int_not_equal(resolve(f), 0);
	e = mt_first_error(&f->d);
	assert_non_null(strstr(e, "bad.yaml:4:18: a component cannot read the stack's variables"));
	free(e);
	fixture_free(f);
	/* An unknown input inside the component, with a suggestion. */
	f = fixture_new(site, declaration);
	mt_write(f->dir, "components/team/bad.yaml",
	         "apiVersion: azapply.dev/v1\n"
	         "kind: ResourceGroup\n"
	         "metadata: {name: bad}\n"
	         "spec: {name: \"rg-${input.teem}\"}\n");
	assert_int_not_equal(resolve(f), 0);
	e = mt_first_error(&f->d);
	assert_non_null(strstr(e, "bad.yaml:4:18: unknown input 'teem'"));
	assert_string_equal(f->d.items[0].detail, "did you mean 'team'?");
	free(e);
	fixture_free(f);
}

static void component_files_are_not_part_of_the_stack(void **state)
{
	(void)state;
	/* No call site: the component's manifests are not loaded at all. */
	fixture *f = fixture_new("apiVersion: azapply.dev/v1\n"
	                         "kind: ResourceGroup\n"
	                         "metadata: {name: shared}\n"
	                         "spec: {name: rg-shared}\n",
	                         declaration);
	mt_write(f->dir, "azapply.yaml", "stack: teams\nenvironments: {dev: {}}\n");
	assert_int_equal(resolve(f), 0);
	assert_int_equal(f->set->len, 1);
	assert_string_equal(f->set->items[0].address, "ResourceGroup/shared");
	fixture_free(f);
}

static void a_bad_declaration_is_reported_in_component_yaml(void **state)
{
	(void)state;
	char *e = first_error("apiVersion: azapply.dev/v1\n"
	                      "kind: Component\n"
	                      "metadata: {name: team-a}\n"
	                      "spec: {source: components/team, inputs: {team: a}}\n",
	                      "inputs:\n"
	                      "  team: {type: text}\n");
	assert_non_null(strstr(e, "component.yaml:2:9: input 'team' declares no known type"));
	free(e);
}

/* Found by fuzz_component: an output whose value holds a malformed
 * ${component...}, read by the project's outputs, was reported with no
 * position at all. It is reported once, at the output's declaration. */
static void a_bad_expression_in_an_output_is_reported_at_its_declaration(void **state)
{
	(void)state;
	char *e = first_error("apiVersion: azapply.dev/v1\n"
	                      "kind: Component\n"
	                      "metadata: {name: team-a}\n"
	                      "spec: {source: components/team, inputs: {team: a}}\n",
	                      "inputs:\n"
	                      "  team: {type: string}\n"
	                      "  nodes: {type: integer, default: 3}\n"
	                      "  pools: {type: map, default: {small: {}}}\n"
	                      "outputs:\n"
	                      "  firstPool: ${ref.SparkPool.x${component.oops}.id}\n");
	assert_non_null(strstr(e, "component.yaml:6:14: expected ${component.INSTANCE.outputs.NAME}"));
	free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(instances_are_prefixed_and_see_their_inputs),
		cmocka_unit_test(a_bad_expression_in_an_output_is_reported_at_its_declaration),
		cmocka_unit_test(outputs_cross_out_through_their_declaration),
		cmocka_unit_test(a_secret_input_stays_sensitive_inside),
		cmocka_unit_test(inputs_are_checked_at_the_call_site),
		cmocka_unit_test(a_bad_source_is_said_once),
		cmocka_unit_test(the_boundary_holds_both_ways),
		cmocka_unit_test(component_files_are_not_part_of_the_stack),
		cmocka_unit_test(a_bad_declaration_is_reported_in_component_yaml),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
