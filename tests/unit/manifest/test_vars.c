/*
 * test_vars.c - variables, ${env.X}, environments and overrides: values
 * and types, the errors that stop dev settings reaching prod, sensitive
 * pointers, and the re-escaping that keeps ${ref...} for the planner.
 */
#include "mtest.h"

#include <stdlib.h>
#include <string.h>

static const char *project = "stack: demo\n"
                             "subscription: sub-default\n"
                             "location: westeurope\n"
                             "variables:\n"
                             "  sku: Small\n"
                             "  nodes: 3\n"
                             "  tags: {team: data}\n"
                             "  suffix: null\n"
                             "environments:\n"
                             "  dev:\n"
                             "    variables: {suffix: d}\n"
                             "  prod:\n"
                             "    subscription: sub-prod\n"
                             "    variables: {suffix: p, sku: Large, nodes: 10, odd: \"a$${b\"}\n"
                             "    overrides:\n"
                             "      SparkPool/pool-p:\n"
                             "        nodeCount: ${var.nodes}\n"
                             "        autoScale: {enabled: true, min: null}\n"
                             "        secret: \"${env.POOL_KEY}\"\n";

static const char *pool = "apiVersion: azapply/v1\n"
                          "kind: SparkPool\n"
                          "metadata:\n"
                          "  name: pool-${var.suffix}\n"
                          "spec:\n"
                          "  sku: ${var.sku}\n"
                          "  nodeCount: ${var.nodes}\n"
                          "  label: \"n=${var.nodes} sku=${var.sku}\"\n"
                          "  tags: ${var.tags}\n"
                          "  autoScale: {enabled: false, min: 3}\n"
                          "  workspace: ${ref.SynapseWorkspace.ws.properties.id}-${var.suffix}\n"
                          "  literal: \"cost $${USD} and ${var.suffix}\"\n"
                          "  keep: \"$${not.a.var}\"\n"
                          "  pass: ${env.DB_PASSWORD}\n"
                          "  list: [\"${var.sku}\", 1]\n";

typedef struct fixture {
	char *dir;
	az_manifest_set *set;
	az_diags d;
} fixture;

static fixture *load(const char *project_text, const char *manifest_text)
{
	fixture *f = az_xcalloc(1, sizeof(*f));
	f->dir = mt_tempdir();
	if (project_text)
		mt_write(f->dir, "azapply.yaml", project_text);
	mt_write(f->dir, "pool.yaml", manifest_text);
	assert_int_equal(mt_load(&f->set, f->dir, &f->d), 0);
	return f;
}

static void unload(fixture *f)
{
	az_manifest_set_free(f->set);
	az_diags_clear(&f->d);
	mt_rmtree(f->dir);
	free(f->dir);
	free(f);
}

static const char *spec_str(const az_manifest *m, const char *key)
{
	return json_string_value(json_object_get(json_object_get(m->body, "spec"), key));
}

/* A manifest no secret flows into keeps no list of them (an empty list
 * each was 5 MB of a 50,001-resource stack). */
static void a_manifest_without_secrets_lists_none(void **state)
{
	(void)state;
	fixture *f = load(project, "apiVersion: azapply/v1\n"
	                           "kind: SparkPool\n"
	                           "metadata: {name: pool}\n"
	                           "spec:\n"
	                           "  sku: ${var.suffix}\n");
	const char *env[] = {NULL};
	if (az_manifests_resolve_vars(f->set, "dev", mt_getenv, env, &f->d) != 0) {
		char *why = mt_first_error(&f->d);
		fail_msg("%s", why);
	}
	assert_string_equal(spec_str(&f->set->items[0], "sku"), "d");
	assert_null(f->set->items[0].sensitive);
	unload(f);
}

static void prod_values_types_and_overrides(void **state)
{
	(void)state;
	fixture *f = load(project, pool);
	const char *env[] = {"DB_PASSWORD=s3cr${et", "POOL_KEY=k", NULL};
	int err = az_manifests_resolve_vars(f->set, "prod", mt_getenv, env, &f->d);
	if (err) {
		char *why = mt_first_error(&f->d);
		fail_msg("%s", why);
	}
	az_manifest *m = &f->set->items[0];
	json_t *spec = json_object_get(m->body, "spec");
	assert_string_equal(m->address, "SparkPool/pool-p");
	assert_string_equal(m->name, "pool-p");
	assert_string_equal(spec_str(m, "sku"), "Large");
	assert_true(json_is_integer(json_object_get(spec, "nodeCount")));
	assert_int_equal(json_integer_value(json_object_get(spec, "nodeCount")), 10);
	assert_string_equal(spec_str(m, "label"), "n=10 sku=Large");
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(spec, "tags"), "team")), "data");
	/* refs stay for the planner; literal ${ stays escaped. */
	assert_string_equal(spec_str(m, "workspace"), "${ref.SynapseWorkspace.ws.properties.id}-p");
	assert_string_equal(spec_str(m, "literal"), "cost $${USD} and p");
	assert_string_equal(spec_str(m, "keep"), "$${not.a.var}");
	/* A secret holding "${" is escaped, and recorded as sensitive. */
	assert_string_equal(spec_str(m, "pass"), "s3cr$${et");
	assert_string_equal(json_string_value(json_array_get(json_object_get(spec, "list"), 0)),
	                    "Large");

	/* The override: merge patch on spec, resolved, with its own positions. */
	json_t *as = json_object_get(spec, "autoScale");
	assert_true(json_is_true(json_object_get(as, "enabled")));
	assert_null(json_object_get(as, "min"));
	assert_string_equal(spec_str(m, "secret"), "k");
	const az_pos *p = az_srcmap_get(m->map, "/spec/secret");
	assert_non_null(strstr(p->file, "azapply.yaml"));
	assert_int_equal(p->line, 19);
	assert_int_equal(p->col, 18);
	assert_non_null(strstr(az_srcmap_get(m->map, "/spec")->file, "pool.yaml"));

	size_t n = json_array_size(m->sensitive);
	if (n != 2) {
		char *all = json_dumps(m->sensitive, 0);
		fail_msg("sensitive: %s", all);
	}
	assert_string_equal(json_string_value(json_array_get(m->sensitive, 0)), "/spec/pass");
	assert_string_equal(json_string_value(json_array_get(m->sensitive, 1)), "/spec/secret");

	assert_string_equal(az_project_setting(&f->set->project, "prod", "subscription"),
	                    "sub-prod");
	assert_string_equal(az_project_setting(&f->set->project, "dev", "subscription"),
	                    "sub-default");
	assert_string_equal(az_project_setting(&f->set->project, NULL, "location"), "westeurope");
	assert_null(az_project_setting(&f->set->project, "prod", "tenant"));

	/* A second pass changes nothing. */
	json_t *before = json_deep_copy(m->body);
	assert_int_equal(az_manifests_resolve_vars(f->set, "prod", mt_getenv, env, &f->d), 0);
	assert_true(json_equal(before, m->body));
	assert_int_equal(json_array_size(m->sensitive), 2);
	json_decref(before);
	unload(f);
}

/* A variable's value is a template like any manifest string: "$${" is a
 * literal "${", which stays escaped where the value is used. */
static void a_variable_value_keeps_its_literal_text(void **state)
{
	(void)state;
	fixture *f = load("variables: {odd: \"a$${b\"}\n",
	                  "kind: K\nmetadata: {name: n}\nspec:\n  a: ${var.odd}\n"
	                  "  b: x${var.odd}\n");
	assert_int_equal(az_manifests_resolve_vars(f->set, NULL, mt_getenv, NULL, &f->d), 0);
	az_manifest *m = &f->set->items[0];
	assert_string_equal(spec_str(m, "a"), "a$${b");
	assert_string_equal(spec_str(m, "b"), "xa$${b");
	/* Reading it back gives the text. */
	az_template *t = NULL;
	assert_int_equal(az_template_parse(&t, spec_str(m, "b"), NULL, &f->d), 0);
	assert_true(az_template_is_literal(t));
	assert_string_equal(t->parts[0].text, "xa${b");
	az_template_free(t);
	unload(f);
}

static void expect_resolve_error(const char *project_text, const char *manifest, const char *env,
                                 const char *want_tail, const char *want_detail)
{
	fixture *f = load(project_text, manifest);
	assert_int_equal(az_manifests_resolve_vars(f->set, env, mt_getenv, NULL, &f->d),
	                 AZ_EINVALID);
	char *got = mt_first_error(&f->d);
	char *want = az_xasprintf("%s/%s", f->dir, want_tail);
	if (strcmp(got, want))
		fail_msg("got '%s', want '%s'", got, want);
	if (want_detail && (!f->d.items[0].detail || !strstr(f->d.items[0].detail, want_detail)))
		fail_msg("detail '%s' lacks '%s'", f->d.items[0].detail, want_detail);
	free(got);
	free(want);
	unload(f);
}

static void missing_values_are_errors_at_the_use(void **state)
{
	(void)state;
	const char *m = "kind: K\nmetadata: {name: n}\nspec:\n  a: \"x-${var.suffix}\"\n";
	const char *proj = "variables: {suffix: null}\nenvironments:\n  dev: {}\n  prod: {}\n";
	expect_resolve_error(proj, m, "prod",
	                     "pool.yaml:4:9: variable 'suffix' has no value for environment 'prod'",
	                     "set environments.prod.variables.suffix in azapply.yaml");
	expect_resolve_error(proj, m, NULL,
	                     "pool.yaml:4:9: variable 'suffix' has no default and no environment "
	                     "was selected",
	                     "known: dev, prod");
	expect_resolve_error("environments: {dev: {}}\n",
	                     "kind: K\nmetadata: {name: n}\nspec: {a: \"${var.nope}\"}\n", "dev",
	                     "pool.yaml:3:12: variable 'nope' is not declared and has no value for "
	                     "environment 'dev'",
	                     "set environments.dev.variables.nope");
	expect_resolve_error(NULL, "kind: K\nmetadata: {name: n}\nspec:\n  a: ${env.NOPE}\n", NULL,
	                     "pool.yaml:4:6: environment variable 'NOPE' is not set",
	                     "export NOPE");
	expect_resolve_error(project, "kind: K\nmetadata: {name: n}\nspec: {a: \"x${var.tags}\"}\n",
	                     "dev",
	                     "pool.yaml:3:13: variable 'tags' is a mapping and cannot be part of a "
	                     "string",
	                     NULL);
	expect_resolve_error(
	    project, "kind: K\nmetadata: {name: n}\nspec: {a: \"${bad.x}\"}\n", "dev",
	    "pool.yaml:3:14: unknown expression 'bad' (expected var., env. or ref.)", NULL);
	expect_resolve_error(project, pool, "staging",
	                     "azapply.yaml:10:3: unknown environment 'staging'",
	                     "environments in azapply.yaml: dev, prod");
}

static void unknown_environment_without_project(void **state)
{
	(void)state;
	fixture *f = load(NULL, "kind: K\nmetadata: {name: n}\n");
	assert_int_equal(az_manifests_resolve_vars(f->set, "dev", NULL, NULL, &f->d), AZ_EINVALID);
	assert_string_equal(f->d.items[0].summary, "unknown environment 'dev'");
	assert_null(f->d.items[0].file);
	unload(f);
}

static void overrides_for_unknown_resources_are_errors(void **state)
{
	(void)state;
	const char *proj = "environments:\n  prod:\n    overrides:\n      SparkPool/nope: {a: 1}\n";
	expect_resolve_error(proj, "kind: SparkPool\nmetadata: {name: p}\nspec: {}\n", "prod",
	                     "azapply.yaml:4:7: override for 'SparkPool/nope', which no manifest "
	                     "defines",
	                     "Kind/metadata.name");
}

static void process_environment_is_the_default(void **state)
{
	(void)state;
	fixture *f = load(NULL, "kind: K\nmetadata: {name: n}\nspec: {home: \"${env.HOME}\"}\n");
	const char *home = getenv("HOME");
	int err = az_manifests_resolve_vars(f->set, NULL, NULL, NULL, &f->d);
	if (home) {
		assert_int_equal(err, 0);
		assert_non_null(spec_str(&f->set->items[0], "home"));
		assert_int_equal(json_array_size(f->set->items[0].sensitive), 1);
	} else {
		assert_int_equal(err, AZ_EINVALID);
	}
	unload(f);
}

/* Hardening finding: a 1 MB variable name was echoed twice in one error
 * (summary and detail). What a message quotes of user input is bounded. */
static void long_names_are_quoted_short_in_errors(void **state)
{
	(void)state;
	size_t n = 1u << 20;
	char *name = az_xmalloc(n + 1);
	memset(name, 'x', n);
	name[n] = '\0';
	char *manifest =
	    az_xasprintf("kind: K\nmetadata: {name: n}\nspec: {a: \"${var.%s}\"}\n", name);
	fixture *f = load("environments: {dev: {}}\n", manifest);
	assert_int_equal(az_manifests_resolve_vars(f->set, "dev", mt_getenv, NULL, &f->d),
	                 AZ_EINVALID);
	const az_diag *x = &f->d.items[0];
	char *want = az_xasprintf("variable '%.64s...' is not declared", name);
	if (strlen(x->summary) > 200 || strncmp(x->summary, want, strlen(want)))
		fail_msg("summary of %zu bytes: %.100s", strlen(x->summary), x->summary);
	assert_non_null(x->detail);
	assert_true(strlen(x->detail) < 300);
	free(want);
	free(manifest);
	free(name);
	unload(f);

	char buf[AZ_QUOTE_SIZE];
	assert_string_equal(az_quote(buf, "short"), "short");
	assert_string_equal(az_quote(buf, "a\nb\tc\x01"), "a\\nb\\tc\\x01");
	/* 64 characters, never half of one: 63 'e' then a 2-byte 'é'. */
	char wide[200];
	memset(wide, 'e', 63);
	strcpy(wide + 63, "\xC3\xA9\xC3\xA9tail");
	char *want_wide = az_xasprintf("%.63s\xC3\xA9...", wide);
	assert_string_equal(az_quote(buf, wide), want_wide);
	free(want_wide);
}

/* Hardening finding: each expression's column was found by rescanning its
 * string from the start, so 200,000 expressions in one string took minutes
 * (figures: tests/bench/vars). Columns are now carried forward through the
 * string; they must stay exact far into it, after a multi-byte character. */
static void positions_stay_exact_in_a_long_string(void **state)
{
	(void)state;
	az_buf b = AZ_BUF_INIT;
	az_buf_puts(&b, "kind: K\nmetadata: {name: n}\nspec:\n  a: \"\xC3\xA9");
	for (int i = 0; i < 20000; i++)
		az_buf_puts(&b, "${var.ok}");
	az_buf_puts(&b, "${var.nope}x${var.no2}\"\n");
	fixture *f = load("variables: {ok: v}\n", b.data);
	assert_int_equal(az_manifests_resolve_vars(f->set, NULL, mt_getenv, NULL, &f->d),
	                 AZ_EINVALID);
	assert_int_equal(f->d.len, 2);
	/* The string starts in column 7; 'é' is one character. */
	assert_int_equal(f->d.items[0].line, 4);
	assert_int_equal(f->d.items[0].col, 8 + 20000 * 9);
	assert_string_equal(f->d.items[0].summary, "variable 'nope' is not declared");
	assert_int_equal(f->d.items[1].col, 8 + 20000 * 9 + 12);
	assert_string_equal(f->d.items[1].summary, "variable 'no2' is not declared");
	az_buf_free(&b);
	unload(f);
}

/* Every error as "file:line:col: summary" lines (file without its folder),
 * in source order. */
static char *error_lines(fixture *f)
{
	az_diags_sort(&f->d);
	az_buf b = AZ_BUF_INIT;
	az_buf_puts(&b, "");
	for (size_t i = 0; i < f->d.len; i++) {
		const az_diag *x = &f->d.items[i];
		const char *file =
		    x->file && strrchr(x->file, '/') ? strrchr(x->file, '/') + 1 : "";
		if (x->severity == AZ_SEV_ERROR)
			az_buf_printf(&b, "%s:%d:%d: %s\n", file, x->line, x->col, x->summary);
	}
	return az_buf_detach(&b);
}

static void expect_errors(const char *project_text, const char *manifest, const char *env,
                          const char *want)
{
	fixture *f = load(project_text, manifest);
	int err = az_manifests_resolve_vars(f->set, env, mt_getenv, NULL, &f->d);
	char *got = error_lines(f);
	if (strcmp(got, want))
		fail_msg("environment %s: got\n%s\nwant\n%s", env ? env : "(none)", got, want);
	assert_int_equal(err, want[0] ? AZ_EINVALID : 0);
	free(got);
	unload(f);
}

static const char *composed = "variables:\n"
                              "  env: null\n"
                              "  prefix: \"app-${var.env}\"\n"
                              "  name: ${var.prefix}-${var.region}\n"
                              "  region: westeurope\n"
                              "  nodes: ${var.count}\n"
                              "  count: 3\n"
                              "  tags: {team: \"${var.prefix}\", cost: \"$${cc}\"}\n"
                              "environments:\n"
                              "  dev:\n"
                              "    variables: {env: dev}\n";

/* A variable's value may use other variables: resolved for the selected
 * environment, dependencies first, types kept for a whole-value use. */
static void variables_use_variables(void **state)
{
	(void)state;
	const char *m = "kind: K\nmetadata: {name: \"${var.name}\"}\nspec:\n"
	                "  nodes: ${var.nodes}\n  tags: ${var.tags}\n";
	fixture *f = load(composed, m);
	assert_int_equal(az_manifests_resolve_vars(f->set, "dev", mt_getenv, NULL, &f->d), 0);
	az_manifest *r = &f->set->items[0];
	json_t *spec = json_object_get(r->body, "spec");
	assert_string_equal(r->name, "app-dev-westeurope");
	assert_int_equal(json_integer_value(json_object_get(spec, "nodes")), 3);
	json_t *tags = json_object_get(spec, "tags");
	assert_string_equal(json_string_value(json_object_get(tags, "team")), "app-dev");
	assert_string_equal(json_string_value(json_object_get(tags, "cost")), "$${cc}");
	unload(f);

	/* Without an environment, 'env' has no value: said where 'prefix'
	 * uses it, once, and not again where the manifest uses 'name'. */
	expect_errors(composed, m, NULL,
	              "azapply.yaml:3:16: variable 'env' has no default and no environment was "
	              "selected\n");
	/* A variable nobody uses needs no value. */
	expect_errors(composed, "kind: K\nmetadata: {name: n}\nspec: {r: \"${var.region}\"}\n",
	              NULL, "");
}

static const char *cycles = "variables:\n"
                            "  a: ${var.b}\n"
                            "  b: \"x-${var.a}\"\n"
                            "  s: ${var.s}\n"
                            "  ok: fine\n"
                            "  c: ${var.ok}\n"
                            "environments:\n"
                            "  dev: {}\n"
                            "  prod:\n"
                            "    variables:\n"
                            "      c: ${var.c}\n";

/* Hardening finding: `a: ${var.b}` / `b: ${var.a}` and `s: ${var.s}`
 * passed validate and plan, leaving a resource without its id. A cycle is
 * an error at the definition of each variable on it; a self-reference is a
 * cycle of one; the uses say nothing more. */
static void variable_cycles_are_errors_where_defined(void **state)
{
	(void)state;
	const char *m = "kind: K\nmetadata: {name: \"${var.a}\"}\n"
	                "spec: {s: \"${var.s}\", c: \"${var.c}\"}\n";
	const char *common = "azapply.yaml:2:3: variable cycle: a -> b -> a\n"
	                     "azapply.yaml:3:3: variable cycle: b -> a -> b\n"
	                     "azapply.yaml:4:3: variable cycle: s -> s\n";
	expect_errors(cycles, m, NULL, common);
	expect_errors(cycles, m, "dev", common);
	/* prod's own definition of c closes another cycle. */
	char *prod = az_xasprintf("%sazapply.yaml:11:7: variable cycle: c -> c\n", common);
	expect_errors(cycles, m, "prod", prod);
	free(prod);

	/* A long cycle shows its first ten names. */
	az_buf b = AZ_BUF_INIT;
	az_buf_puts(&b, "variables:\n");
	for (int i = 0; i < 20; i++)
		az_buf_printf(&b, "  v%d: ${var.v%d}\n", i, (i + 1) % 20);
	fixture *f = load(b.data, "kind: K\nmetadata: {name: \"${var.v0}\"}\n");
	assert_int_equal(az_manifests_resolve_vars(f->set, NULL, mt_getenv, NULL, &f->d),
	                 AZ_EINVALID);
	az_diags_sort(&f->d);
	assert_int_equal(f->d.len, 20);
	assert_string_equal(f->d.items[0].summary,
	                    "variable cycle: v0 -> v1 -> v2 -> v3 -> v4 -> v5 -> v6 -> v7 -> v8 -> "
	                    "v9 -> ... -> v0 (20 variables)");
	assert_int_equal(f->d.items[19].line, 21);
	assert_non_null(f->d.items[19].detail);
	az_buf_free(&b);
	unload(f);
}

/* Hardening finding: ${env.HOME} in a project variable passed validate.
 * ${env} and ${ref} belong in manifests (a secret is hidden by the manifest
 * value that reads it; references are resolved per resource): in a
 * variable they are errors where they are written, in every environment,
 * used or not. */
static void env_and_ref_are_errors_in_variables(void **state)
{
	(void)state;
	const char *proj = "variables:\n"
	                   "  home: \"${env.HOME}/x\"\n"
	                   "  id: ${ref.SynapseWorkspace.ws.id}\n"
	                   "environments:\n"
	                   "  prod:\n"
	                   "    variables: {home: \"${env.X}\"}\n"
	                   "  dev: {}\n";
	const char *want = "azapply.yaml:2:10: ${env.HOME} cannot be used in a variable\n"
	                   "azapply.yaml:3:7: ${ref.SynapseWorkspace.ws.id} cannot be used in a "
	                   "variable\n"
	                   "azapply.yaml:6:24: ${env.X} cannot be used in a variable\n";
	const char *m = "kind: K\nmetadata: {name: n}\nspec: {h: \"${var.home}\"}\n";
	expect_errors(proj, m, NULL, want);
	expect_errors(proj, m, "dev", want);
	/* Syntax errors too, where they are written. */
	expect_errors("variables: {odd: \"a${b\"}\n", "kind: K\nmetadata: {name: n}\n", NULL,
	              "azapply.yaml:1:20: unterminated '${' (no closing '}'; write $${ for a "
	              "literal ${)\n");
}

/* Since variables may repeat variables, thirty short lines could double a
 * value thirty times (8 GB): what a variable expands to is bounded, and
 * said once, where the limit is crossed; so is what all of them expand to,
 * built and copied into manifests. */
static void variables_that_double_are_bounded(void **state)
{
	(void)state;
	az_buf b = AZ_BUF_INIT;
	az_buf_puts(&b, "variables:\n  s0: xxxxxxxx\n  m0: [1]\n");
	for (int i = 1; i <= 30; i++)
		az_buf_printf(
		    &b,
		    "  s%d: \"${var.s%d}${var.s%d}\"\n  m%d: [\"${var.m%d}\", \"${var.m%d}\"]\n", i,
		    i - 1, i - 1, i, i - 1, i - 1);
	fixture *f = load(b.data, "kind: K\nmetadata: {name: n}\n"
	                          "spec: {s: \"${var.s30}\", m: \"${var.m30}\"}\n");
	assert_int_equal(az_manifests_resolve_vars(f->set, NULL, mt_getenv, NULL, &f->d),
	                 AZ_EINVALID);
	char *got = error_lines(f);
	/* s21 is 16 MiB of text, s22 twice that; m23 has 3 * 2^23 nodes. */
	assert_string_equal(got, "azapply.yaml:46:3: variable 's22' expands to more than 16777216 "
	                         "bytes\n"
	                         "azapply.yaml:49:3: variable 'm23' expands to more than 16777216 "
	                         "bytes\n");
	free(got);
	unload(f);
	az_buf_free(&b);

	/* A 1 MiB value, used 300 times. */
	az_buf_puts(&b, "variables:\n  s0: xxxxxxxx\n");
	for (int i = 1; i <= 17; i++)
		az_buf_printf(&b, "  s%d: \"${var.s%d}${var.s%d}\"\n", i, i - 1, i - 1);
	az_buf m = AZ_BUF_INIT;
	az_buf_puts(&m, "kind: K\nmetadata: {name: n}\nspec:\n");
	for (int i = 0; i < 300; i++)
		az_buf_printf(&m, "  k%d: ${var.s17}\n", i);
	f = load(b.data, m.data);
	assert_int_equal(az_manifests_resolve_vars(f->set, NULL, mt_getenv, NULL, &f->d),
	                 AZ_EINVALID);
	assert_int_equal(f->d.len, 1);
	assert_string_equal(f->d.items[0].summary,
	                    "variables expand to more than 268435456 bytes in this stack");
	/* Building the value counted too: 2 MiB with what it is made of. */
	assert_int_equal(f->d.items[0].line, 4 + 253);
	unload(f);

	/* 300 values of 1 MiB (shared, but each counts) that one list uses:
	 * said where the variables are built, before they all are. */
	for (int i = 0; i < 300; i++)
		az_buf_printf(&b, "  t%d: ${var.s17}\n", i);
	az_buf_puts(&b, "  top: [");
	for (int i = 0; i < 300; i++)
		az_buf_printf(&b, "%s\"${var.t%d}\"", i ? ", " : "", i);
	az_buf_puts(&b, "]\n");
	f = load(b.data, "kind: K\nmetadata: {name: n}\nspec: {top: \"${var.top}\"}\n");
	assert_int_equal(az_manifests_resolve_vars(f->set, NULL, mt_getenv, NULL, &f->d),
	                 AZ_EINVALID);
	assert_int_equal(f->d.len, 1);
	assert_string_equal(f->d.items[0].summary,
	                    "variables expand to more than 268435456 bytes in this stack");
	assert_non_null(strstr(f->d.items[0].file, "azapply.yaml"));
	unload(f);
	az_buf_free(&b);
	az_buf_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(prod_values_types_and_overrides),
	    cmocka_unit_test(a_manifest_without_secrets_lists_none),
	    cmocka_unit_test(a_variable_value_keeps_its_literal_text),
	    cmocka_unit_test(missing_values_are_errors_at_the_use),
	    cmocka_unit_test(unknown_environment_without_project),
	    cmocka_unit_test(overrides_for_unknown_resources_are_errors),
	    cmocka_unit_test(process_environment_is_the_default),
	    cmocka_unit_test(long_names_are_quoted_short_in_errors),
	    cmocka_unit_test(positions_stay_exact_in_a_long_string),
	    cmocka_unit_test(variables_use_variables),
	    cmocka_unit_test(variable_cycles_are_errors_where_defined),
	    cmocka_unit_test(env_and_ref_are_errors_in_variables),
	    cmocka_unit_test(variables_that_double_are_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
