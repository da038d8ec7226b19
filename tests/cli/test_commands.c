/*
 * test_commands.c - the offline commands people expect from a Terraform-
 * like tool: `graph` (DOT read back by a small parser and compared with
 * the edges the planner builds, Mermaid by shape), `completion` (the bash
 * script loads and registers, and offers every command and option
 * `azapply help` lists), `--selector`'s "did you mean" before any request,
 * and `diff` telling a renamed manifest from a removed one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include <azapply/planner.h>

#include "run.h"

static const char *const NO_SECRETS_ENV[] = {"GITHUB_ACTIONS=", NULL};

static run_result azapply(const char *const *argv)
{
	run_result r;
	assert_int_equal(run_command(&r, AZAPPLY_BINARY, argv, NO_SECRETS_ENV, NULL), 0);
	return r;
}
#define AZAPPLY(...) azapply((const char *const[]){__VA_ARGS__, NULL})

/* ---------------------------------------------------------------------
 * A graph as sets of strings: nodes "ADDR" and edges "FROM -> TO".
 */
typedef struct graph {
	json_t *nodes; /* address -> kind */
	json_t *edges; /* "A -> B" -> true */
} graph;

static void graph_init(graph *g)
{
	g->nodes = json_object();
	g->edges = json_object();
}

static void graph_free(graph *g)
{
	json_decref(g->nodes);
	json_decref(g->edges);
}

static void graph_edge(graph *g, const char *from, const char *to)
{
	char key[512];
	int len = snprintf(key, sizeof(key), "%s -> %s", from, to);
	/* A cut key would merge two edges into one. */
	assert_true(len > 0 && (size_t)len < sizeof(key));
	json_object_set_new(g->edges, key, json_true());
}

/* The edges az_stack_load builds for the stack in `dir`. */
static void graph_of_dir(graph *g, const char *dir, const char *env)
{
	az_file_source src = {0};
	az_diags d = AZ_DIAGS_INIT;
	assert_int_equal(az_file_source_dir(&src, dir, &d), 0);
	az_stack *st = NULL;
	az_stack_options o = {.env = env};
	setenv("SYNAPSE_SQL_PASSWORD", "stand-in-Passw0rd!", 1);
	if (az_stack_load(&st, &src, &o, &d) != 0) {
		for (size_t i = 0; i < d.len; i++)
			fprintf(stderr, "%s\n", d.items[i].summary);
		fail_msg("%s does not load", dir);
	}
	graph_init(g);
	for (size_t i = 0; i < st->len; i++) {
		const az_resource *r = &st->resources[i];
		json_object_set_new(g->nodes, r->address, json_string(r->kind->name));
		for (size_t j = 0; j < r->deps_len; j++)
			graph_edge(g, r->address, st->resources[r->deps[j]].address);
	}
	az_stack_free(st);
	az_file_source_free(&src);
	az_diags_clear(&d);
	az_planner_release();
}

/* The edges az_stack_load builds for the example, for its first
 * environment (as graph picks without --env). */
static void graph_of_stack(graph *g, const char *example, const char *env)
{
	char dir[1024];
	snprintf(dir, sizeof(dir), "%s/examples/%s", AZAPPLY_SOURCE_DIR, example);
	graph_of_dir(g, dir, env);
}

/* A small DOT reader, enough for what graph writes and no more lenient:
 * `digraph ID {`, then statements ending in ';' - attribute defaults
 * (`rankdir=LR`, `node [...]`), a node `"ID" [a="v", ...]` or an edge
 * `"ID" -> "ID"`, then `}`. Quoted IDs with \" escapes. */
static const char *dot_id(const char *p, char *out, size_t cap)
{
	size_t n = 0;
	assert_int_equal(*p, '"');
	for (p++; *p && *p != '"'; p++) {
		char c = *p;
		if (c == '\\' && p[1])
			c = *++p == 'n' ? '\n' : *p; /* \n is DOT's line break */
		assert_true(n + 1 < cap);
		out[n++] = c;
	}
	assert_int_equal(*p, '"');
	out[n] = '\0';
	return p + 1;
}

static const char *skip_space(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n')
		p++;
	return p;
}

static void parse_dot(graph *g, const char *text)
{
	graph_init(g);
	const char *p = skip_space(text);
	assert_int_equal(strncmp(p, "digraph ", 8), 0);
	char id[512], to[512], value[512];
	p = dot_id(skip_space(p + 8), id, sizeof(id));
	p = skip_space(p);
	assert_int_equal(*p++, '{');
	for (;;) {
		p = skip_space(p);
		if (*p == '}')
			break;
		if (*p != '"') {
			/* A default: rankdir=LR; node [shape=box]; */
			const char *end = strchr(p, ';');
			assert_non_null(end);
			p = end + 1;
			continue;
		}
		p = skip_space(dot_id(p, id, sizeof(id)));
		if (strncmp(p, "->", 2) == 0) {
			p = skip_space(dot_id(skip_space(p + 2), to, sizeof(to)));
			graph_edge(g, id, to);
		} else {
			assert_int_equal(*p++, '[');
			char kind[512] = "", label[512] = "";
			while (*p != ']') {
				p = skip_space(p);
				const char *eq = strchr(p, '=');
				assert_non_null(eq);
				char name[64];
				snprintf(name, sizeof(name), "%.*s", (int)(eq - p), p);
				p = dot_id(eq + 1, value, sizeof(value));
				if (strcmp(name, "class") == 0)
					snprintf(kind, sizeof(kind), "%s", value);
				if (strcmp(name, "label") == 0)
					snprintf(label, sizeof(label), "%s", value);
				if (*p == ',')
					p++;
			}
			p++;
			assert_true(kind[0]);
			/* The label is the address on two lines: "Kind\nname". */
			char *slash = strchr(id, '/');
			assert_non_null(slash);
			char want[600];
			snprintf(want, sizeof(want), "%.*s\n%s", (int)(slash - id), id, slash + 1);
			assert_string_equal(label, want);
			json_object_set_new(g->nodes, id, json_string(kind));
		}
		p = skip_space(p);
		assert_int_equal(*p++, ';');
	}
	assert_string_equal(skip_space(p + 1), "");
}

static void assert_same_graph(const graph *a, const graph *b)
{
	if (!json_equal(a->nodes, b->nodes) || !json_equal(a->edges, b->edges)) {
		char *x = json_dumps(a->edges, JSON_SORT_KEYS), *y = json_dumps(b->edges, JSON_SORT_KEYS);
		fail_msg("graphs differ:\n%s\n%s", x, y);
	}
}

static void graph_dot_is_the_stack(void **state)
{
	(void)state;
	const char *examples[] = {"synapse-ml", "synapse-ml-sp"};
	for (size_t i = 0; i < 2; i++) {
		char dir[1024];
		snprintf(dir, sizeof(dir), "%s/examples/%s", AZAPPLY_SOURCE_DIR, examples[i]);
		/* No --env: the first environment; no secret in the environment. */
		run_result r = AZAPPLY("graph", dir);
		assert_int_equal(r.exit_code, 0);
		assert_string_equal(r.err, "");
		graph got, want;
		parse_dot(&got, r.out);
		graph_of_stack(&want, examples[i], "dev");
		assert_true(json_object_size(want.edges) > 10);
		assert_same_graph(&got, &want);
		graph_free(&got);
		graph_free(&want);
		run_result_free(&r);
	}
}

/* Mermaid by shape: the header, one `nI["ADDR"]` per resource, then
 * `nI --> nJ` edges naming declared nodes, the same edges as the stack. */
static void parse_mermaid(graph *g, const char *text, const char **rest)
{
	graph_init(g);
	assert_int_equal(strncmp(text, "flowchart LR\n", 13), 0);
	const char *p = text + 13;
	json_t *ids = json_object();
	while (strncmp(p, "  n", 3) == 0) {
		const char *eol = strchr(p, '\n');
		assert_non_null(eol);
		char line[600];
		snprintf(line, sizeof(line), "%.*s", (int)(eol - p), p);
		unsigned a, b;
		char label[512];
		int used = 0;
		if (sscanf(line, "  n%u[\"%511[^\"]\"]%n", &a, label, &used) == 2 &&
		    (size_t)used == strlen(line)) {
			char id[32];
			snprintf(id, sizeof(id), "%u", a);
			assert_null(json_object_get(ids, id));
			json_object_set_new(ids, id, json_string(label));
			char *slash = strchr(label, '/');
			assert_non_null(slash);
			*slash = '\0';
			json_object_set_new(g->nodes, json_string_value(json_object_get(ids, id)),
					    json_string(label));
		} else if (sscanf(line, "  n%u --> n%u%n", &a, &b, &used) == 2 &&
			   (size_t)used == strlen(line)) {
			char ia[32], ib[32];
			snprintf(ia, sizeof(ia), "%u", a);
			snprintf(ib, sizeof(ib), "%u", b);
			const char *from = json_string_value(json_object_get(ids, ia));
			const char *to = json_string_value(json_object_get(ids, ib));
			assert_non_null(from);
			assert_non_null(to);
			graph_edge(g, from, to);
		} else {
			fail_msg("not a Mermaid node or edge: '%s'", line);
		}
		p = eol + 1;
	}
	json_decref(ids);
	*rest = p;
}

/* What lives on a workspace's data plane waits for the workspace's
 * firewall rules: Azure refuses a client no rule admits, so a rule must be
 * in place before the first artifact is written and gone only after the
 * last is deleted (the delete order is the reverse of these edges). */
static void data_plane_waits_for_firewall_rules(void **state)
{
	(void)state;
	static const char *const data_plane[] = {"LinkedService", "Dataset", "Notebook", "Pipeline",
						 "Trigger", "SqlScript", "SynapseRoleAssignment"};
	graph g;
	graph_of_stack(&g, "synapse-ml", "dev");
	size_t rules = 0, artifacts = 0;
	const char *address, *rule;
	json_t *kind, *rule_kind;
	json_object_foreach(g.nodes, rule, rule_kind)
		rules += strcmp(json_string_value(rule_kind), "SynapseFirewallRule") == 0;
	assert_true(rules > 0);
	json_object_foreach(g.nodes, address, kind) {
		bool on_data_plane = false;
		for (size_t i = 0; i < sizeof(data_plane) / sizeof(data_plane[0]); i++)
			on_data_plane |= strcmp(json_string_value(kind), data_plane[i]) == 0;
		if (!on_data_plane)
			continue;
		artifacts++;
		json_object_foreach(g.nodes, rule, rule_kind) {
			if (strcmp(json_string_value(rule_kind), "SynapseFirewallRule") != 0)
				continue;
			char edge[512];
			snprintf(edge, sizeof(edge), "%s -> %s", address, rule);
			if (!json_object_get(g.edges, edge))
				fail_msg("no edge %s", edge);
		}
	}
	assert_true(artifacts >= 5);
	graph_free(&g);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* Writes `text` to dir/rel. */
static void write_in(const char *dir, const char *rel, const char *text)
{
	char path[1200];
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	write_text(path, text);
}

/* Two instances of a component each name their own workspace "synapse":
 * an instance's artifacts wait for its own firewall rule and reference
 * its own notebook, never the other instance's (they once waited for
 * every instance's rules, and a 10,000-resource stack of components took
 * five times as long to link). */
static void instances_keep_their_workspaces_apart(void **state)
{
	(void)state;
	char *dir = test_tempdir("azapply-instances");
	assert_non_null(dir);
	char path[1200];
	snprintf(path, sizeof(path), "%s/azapply.yaml", dir);
	write_text(path, "stack: apart\nsubscription: 00000000-0000-0000-0000-000000000000\n"
			 "location: westeurope\n");
	snprintf(path, sizeof(path), "%s/ws", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/ws/component.yaml", dir);
	write_text(path, "inputs: {}\n");
	snprintf(path, sizeof(path), "%s/ws/ws.yaml", dir);
	write_text(path,
		   "apiVersion: azapply.dev/v1\nkind: SynapseWorkspace\nmetadata: {name: synapse}\n"
		   "spec:\n  resourceGroup: rg-apart\n  name: synw-${component.name}\n"
		   "  location: westeurope\n  identity: {type: SystemAssigned}\n"
		   "  properties:\n    defaultDataLakeStorage:\n"
		   "      accountUrl: https://lake.dfs.core.windows.net\n"
		   "      filesystem: fs${component.name}\n    sqlAdministratorLogin: sqladmin\n"
		   "---\napiVersion: azapply.dev/v1\nkind: SynapseFirewallRule\nmetadata: {name: rule}\n"
		   "spec:\n  workspace: synapse\n  name: deployer\n"
		   "  properties: {startIpAddress: 10.0.0.1, endIpAddress: 10.0.0.1}\n"
		   "---\napiVersion: azapply.dev/v1\nkind: Notebook\nmetadata: {name: nb}\n"
		   "spec:\n  workspace: synapse\n  name: nb\n"
		   "  properties:\n    nbformat: 4\n    nbformat_minor: 2\n"
		   "    metadata: {language_info: {name: python}}\n"
		   "    cells: [{cell_type: code, metadata: {}, source: [\"print(1)\"]}]\n"
		   "---\napiVersion: azapply.dev/v1\nkind: Pipeline\nmetadata: {name: pl}\n"
		   "spec:\n  workspace: synapse\n  name: pl\n"
		   "  properties:\n    activities:\n      - name: Run\n"
		   "        type: SynapseNotebook\n        typeProperties:\n"
		   "          notebook: {referenceName: nb, type: NotebookReference}\n");
	snprintf(path, sizeof(path), "%s/teams.yaml", dir);
	write_text(path, "apiVersion: azapply.dev/v1\nkind: Component\nmetadata: {name: \"${each.key}\", forEach: [a, b]}\n"
			 "spec: {source: ws}\n");
	graph g;
	graph_of_dir(&g, dir, NULL);
	assert_int_equal(json_object_size(g.nodes), 8);
	static const char *const present[] = {
	    "a/Notebook/nb -> a/SynapseFirewallRule/rule", "a/Pipeline/pl -> a/Notebook/nb",
	    "b/Pipeline/pl -> b/SynapseFirewallRule/rule", "b/Pipeline/pl -> b/Notebook/nb"};
	static const char *const absent[] = {
	    "a/Notebook/nb -> b/SynapseFirewallRule/rule", "a/Pipeline/pl -> b/Notebook/nb",
	    "b/Pipeline/pl -> a/SynapseFirewallRule/rule", "b/Pipeline/pl -> a/Notebook/nb"};
	for (size_t i = 0; i < 4; i++) {
		if (!json_object_get(g.edges, present[i]))
			fail_msg("no edge %s", present[i]);
		if (json_object_get(g.edges, absent[i]))
			fail_msg("an edge across instances: %s", absent[i]);
	}
	graph_free(&g);
	test_remove_tree(dir);
	free(dir);
}

/* validate of a folder outside git: a component pinned to a commit has
 * no repository to come from, and the error says so where it is written,
 * with both ways out. */
static void a_pin_outside_git_is_named_at_its_line(void **state)
{
	(void)state;
	char *dir = test_tempdir("azapply-pinned");
	assert_non_null(dir);
	write_in(dir, "azapply.yaml",
		 "stack: pinned\nsubscription: 00000000-0000-0000-0000-000000000000\n"
		 "location: westeurope\n");
	write_in(dir, "teams.yaml",
		 "apiVersion: azapply.dev/v1\nkind: Component\nmetadata: {name: a}\n"
		 "spec:\n  source: {git: v1, path: components/team}\n");
	run_result r = AZAPPLY("validate", dir);
	assert_int_equal(r.exit_code, 1);
	char want[1400];
	snprintf(want, sizeof(want),
		 "%s/teams.yaml:5:11: error: component source pinned to 'v1' needs a git "
		 "repository, and '%s' is not in one",
		 dir, dir);
	if (!strstr(r.err, want))
		fail_msg("no '%s' in:\n%s", want, r.err);
	assert_non_null(strstr(r.err, "or write source: PATH"));
	run_result_free(&r);
	test_remove_tree(dir);
	free(dir);
}

static void graph_mermaid_and_markdown(void **state)
{
	(void)state;
	char dir[1024];
	snprintf(dir, sizeof(dir), "%s/examples/synapse-ml", AZAPPLY_SOURCE_DIR);
	graph want;
	graph_of_stack(&want, "synapse-ml", "prod");

	run_result r = AZAPPLY("graph", dir, "--env", "prod", "--output", "mermaid");
	assert_int_equal(r.exit_code, 0);
	graph got;
	const char *rest = NULL;
	parse_mermaid(&got, r.out, &rest);
	assert_string_equal(rest, "");
	assert_same_graph(&got, &want);
	graph_free(&got);
	run_result_free(&r);

	/* A pull-request comment: a heading, a sentence, a ```mermaid block. */
	r = AZAPPLY("graph", dir, "--env", "prod", "-o", "markdown");
	assert_int_equal(r.exit_code, 0);
	assert_int_equal(strncmp(r.out, "### azapply graph: `mlplatform` (prod)\n", 39), 0);
	char *fence = strstr(r.out, "\n```mermaid\n");
	assert_non_null(fence);
	parse_mermaid(&got, fence + 12, &rest);
	assert_string_equal(rest, "```\n");
	assert_same_graph(&got, &want);
	char sentence[128];
	snprintf(sentence, sizeof(sentence), "%zu resources, %zu dependencies",
		 json_object_size(want.nodes), json_object_size(want.edges));
	assert_non_null(strstr(r.out, sentence));
	graph_free(&got);
	graph_free(&want);
	run_result_free(&r);
}

static void graph_of_invalid_stack_fails(void **state)
{
	(void)state;
	char dir[1024];
	snprintf(dir, sizeof(dir), "%s/examples/synapse-ml", AZAPPLY_SOURCE_DIR);
	run_result r = AZAPPLY("graph", dir, "--env", "staging");
	assert_int_equal(r.exit_code, 1);
	assert_string_equal(r.out, "");
	assert_non_null(strstr(r.err, "unknown environment 'staging'"));
	run_result_free(&r);

	r = AZAPPLY("graph", dir, "--output", "svg");
	assert_int_equal(r.exit_code, 64);
	run_result_free(&r);
}

/* ---------------------------------------------------------------------
 * completion
 */
/* Runs `script` with bash and returns its stdout; fails unless it exits 0. */
static char *bash(const char *script)
{
	run_result r;
	assert_int_equal(run_command(&r, "/bin/bash", (const char *const[]){"-c", script, NULL},
				     NO_SECRETS_ENV, NULL),
			 0);
	if (r.exit_code != 0)
		fail_msg("bash exited %d: %s", r.exit_code, r.err);
	char *out = r.out;
	r.out = NULL;
	run_result_free(&r);
	return out;
}

/* The words bash offers after `line` (the last word is completed). */
static char *bash_complete(const char *script_path, const char *line)
{
	char script[2048];
	snprintf(script, sizeof(script),
		 "source '%s' && read -ra COMP_WORDS <<< '%s' && "
		 "[[ '%s' == *' ' ]] && COMP_WORDS+=(''); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); "
		 "_azapply && echo \"${COMPREPLY[*]}\"",
		 script_path, line, line);
	return bash(script);
}

/* Whether `word` is one of the space-separated words of `words`. */
static bool has_word(const char *words, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = words; (p = strstr(p, word)); p += n)
		if ((p == words || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\n' || !p[n]))
			return true;
	return false;
}

static void completion_bash_loads_and_is_complete(void **state)
{
	(void)state;
	run_result r = AZAPPLY("completion", "bash");
	assert_int_equal(r.exit_code, 0);
	char path[] = "/tmp/azapply-completion-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, r.out, strlen(r.out)), (ssize_t)strlen(r.out));
	close(fd);
	run_result_free(&r);

	char cmdline[1200];
	snprintf(cmdline, sizeof(cmdline), "bash -n '%s' && echo syntax-ok", path);
	char *out = bash(cmdline);
	assert_string_equal(out, "syntax-ok\n");
	free(out);
	snprintf(cmdline, sizeof(cmdline), "source '%s' && complete -p azapply", path);
	out = bash(cmdline);
	assert_string_equal(out, "complete -o filenames -F _azapply azapply\n");
	free(out);

	/* Every command `azapply help` lists, and each one's every option
	 * (`azapply help CMD`), is offered: the script is the table. */
	r = AZAPPLY("help");
	char *commands = bash_complete(path, "azapply ");
	size_t ncommands = 0;
	for (char *line = strstr(r.out, "Commands:\n"); line && (line = strchr(line, '\n'));) {
		line++;
		char name[64];
		if (sscanf(line, "  %63s", name) != 1 || strncmp(line, "  ", 2) != 0)
			break;
		assert_true(has_word(commands, name));
		ncommands++;

		run_result h = AZAPPLY("help", name);
		assert_int_equal(h.exit_code, 0);
		char prefix[128];
		snprintf(prefix, sizeof(prefix), "azapply %s --", name);
		char *options = bash_complete(path, prefix);
		size_t noptions = 0;
		for (const char *o = strstr(h.out, "\nOptions:\n"); o && (o = strstr(o, "--")); o += 2) {
			char opt[64];
			sscanf(o, "%63[a-z-]", opt);
			if (!has_word(options, opt))
				fail_msg("`azapply %s %s` is not completed: %s", name, opt, options);
			noptions++;
		}
		assert_true(noptions >= 3); /* at least the global options */
		free(options);
		run_result_free(&h);
	}
	assert_true(ncommands >= 12);
	free(commands);
	run_result_free(&r);

	/* Choices and positionals. */
	out = bash_complete(path, "azapply plan --output ");
	assert_string_equal(out, "text json markdown\n");
	free(out);
	out = bash_complete(path, "azapply graph -o m");
	assert_string_equal(out, "mermaid markdown\n");
	free(out);
	out = bash_complete(path, "azapply completion ");
	assert_string_equal(out, "bash zsh fish\n");
	free(out);
	out = bash_complete(path, "azapply help gr");
	assert_string_equal(out, "graph\n");
	free(out);
	unlink(path);
}

/* zsh and fish run when installed; otherwise their shape is checked: one
 * entry per command of the table. */
static void completion_zsh_and_fish(void **state)
{
	(void)state;
	run_result help = AZAPPLY("help");
	const char *shells[] = {"zsh", "fish"};
	for (size_t i = 0; i < 2; i++) {
		run_result r = AZAPPLY("completion", shells[i]);
		assert_int_equal(r.exit_code, 0);
		for (char *line = strstr(help.out, "Commands:\n"); line && (line = strchr(line, '\n'));) {
			line++;
			char name[64], want[128];
			if (sscanf(line, "  %63s", name) != 1 || strncmp(line, "  ", 2) != 0)
				break;
			if (i == 0)
				snprintf(want, sizeof(want), "\n    %s)\n        _arguments -s", name);
			else
				snprintf(want, sizeof(want), "-n __fish_use_subcommand -a %s -d '", name);
			if (!strstr(r.out, want))
				fail_msg("%s completion has no '%s'", shells[i], want);
		}
		char path[] = "/tmp/azapply-completion-XXXXXX";
		int fd = mkstemp(path);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, r.out, strlen(r.out)), (ssize_t)strlen(r.out));
		close(fd);
		char probe[256];
		snprintf(probe, sizeof(probe), "command -v %s >/dev/null || exit 0; %s -n '%s'",
			 shells[i], shells[i], path);
		free(bash(probe));
		unlink(path);
		run_result_free(&r);
	}
	run_result_free(&help);

	run_result r = AZAPPLY("completion", "bsh");
	assert_int_equal(r.exit_code, 64);
	assert_non_null(strstr(r.err, "did you mean 'bash'?"));
	run_result_free(&r);
}

/* ---------------------------------------------------------------------
 * --selector: a selector that cannot match is an error before any request,
 * with what was meant.
 */
/* Replaces the first `from` in `path` by `to`. */
static void replace_in(const char *path, const char *from, const char *to)
{
	char *text = test_read_file(path);
	assert_non_null(text);
	char *at = strstr(text, from);
	assert_non_null(at);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
	fclose(f);
	free(text);
}

/* A copy of examples/synapse-ml with labels: the ML workspace is team ml,
 * the Spark and SQL pools team data. The caller removes the tree. */
static char *labelled_stack(void)
{
	char *dir = test_tempdir("azapply-selector");
	assert_non_null(dir);
	char from[1024], to[1100], path[1200];
	snprintf(from, sizeof(from), "%s/examples/synapse-ml", AZAPPLY_SOURCE_DIR);
	snprintf(to, sizeof(to), "%s/stack", dir);
	assert_int_equal(test_copy_tree(from, to), 0);
	snprintf(path, sizeof(path), "%s/10-ml-workspace.yaml", to);
	replace_in(path, "  name: ml\n", "  name: ml\n  labels: {team: ml, tier: workspace}\n");
	snprintf(path, sizeof(path), "%s/21-spark-pool.yaml", to);
	replace_in(path, "  name: spark\n", "  name: spark\n  labels: {team: data, tier: compute}\n");
	snprintf(path, sizeof(path), "%s/22-sql-pool.yaml", to);
	replace_in(path, "  name: warehouse\n",
		   "  name: warehouse\n  labels: {team: data, tier: warehouse}\n");
	return dir;
}

static void selector_mistakes_are_named_offline(void **state)
{
	(void)state;
	char *dir = labelled_stack();
	char stack[1100];
	snprintf(stack, sizeof(stack), "%s/stack", dir);
	/* No cloud and no credentials: nothing may be asked of Azure. */
	static const char *const env[] = {"SYNAPSE_SQL_PASSWORD=quickstart-Passw0rd!",
					  "GITHUB_ACTIONS=", "AZURE_CLIENT_SECRET=",
					  "AZAPPLY_CLOUD_CONFIG=/nonexistent/cloud.json", NULL};
	static const struct {
		const char *cmd, *selector, *selector2, *message, *detail;
	} CASES[] = {
		{"plan", "teem=ml", NULL, "--selector teem=ml: no resource has a label 'teem'",
		 "did you mean 'team'? (label keys in this stack: team, tier)"},
		{"drift", "team=dta", NULL, "--selector team=dta: no resource has team=dta",
		 "did you mean 'team=data'? (values of 'team': ml, data)"},
		{"apply", "team", NULL, "--selector 'team' is not KEY=VALUE",
		 "select by a label of metadata.labels, e.g. --selector team=data"},
		{"plan", "team=ml", "tier=compute",
		 "no resource has every label of --selector team=ml, tier=compute",
		 "selectors must all match (AND)"},
	};
	for (size_t i = 0; i < sizeof(CASES) / sizeof(CASES[0]); i++) {
		const char *argv[12] = {CASES[i].cmd, stack, "--env", "dev", "--selector",
					CASES[i].selector};
		size_t n = 6;
		if (CASES[i].selector2) {
			argv[n++] = "-l";
			argv[n++] = CASES[i].selector2;
		}
		if (strcmp(CASES[i].cmd, "apply") == 0)
			argv[n++] = "--auto-approve";
		argv[n] = NULL;
		run_result r;
		assert_int_equal(run_command(&r, AZAPPLY_BINARY, argv, env, NULL), 0);
		if (r.exit_code != 1 || !strstr(r.err, CASES[i].message) ||
		    !strstr(r.err, CASES[i].detail) || strstr(r.err, "cloud"))
			fail_msg("%s --selector %s: exit %d\n%s", CASES[i].cmd, CASES[i].selector,
				 r.exit_code, r.err);
		run_result_free(&r);
	}
	test_remove_tree(dir);
	free(dir);
}

/* ---------------------------------------------------------------------
 * diff: a manifest whose address changed but whose Azure identity did not
 * is renamed, not removed and added.
 */
static void diff_reports_a_rename(void **state)
{
	(void)state;
	char *dir = test_tempdir("azapply-rename");
	assert_non_null(dir);
	char from[1024], stack[1100], script[4096];
	snprintf(from, sizeof(from), "%s/examples/synapse-ml", AZAPPLY_SOURCE_DIR);
	snprintf(stack, sizeof(stack), "%s/stack", dir);
	assert_int_equal(test_copy_tree(from, stack), 0);
	/* allow-office keeps its Azure name (spec.name: office): renamed.
	 * allow-azure gets another Azure name too: another resource. */
	snprintf(script, sizeof(script),
		 "set -e; cd '%s'; export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1; "
		 "g() { git -c user.name=t -c user.email=t@example.com \"$@\"; }; "
		 "g init -q; g add -A; g commit -qm base; "
		 "sed -i 's/  name: allow-office$/  name: office-ip/; s/  name: allow-azure$/  name: "
		 "azure-services/; s/  name: AllowAllWindowsAzureIps$/  name: AllowAzureServices/' "
		 "20-synapse-workspace.yaml; g commit -qam head; echo ok",
		 stack);
	char *out = bash(script);
	assert_string_equal(out, "ok\n");
	free(out);

	static const char *const env[] = {"GITHUB_ACTIONS=", "GIT_CONFIG_GLOBAL=/dev/null", NULL};
	run_result r;
	const char *argv[] = {"diff", "--base", "HEAD~", "--env", "dev", "--repo", stack,
			      "--detailed-exitcode", NULL};
	assert_int_equal(run_command(&r, AZAPPLY_BINARY, argv, env, stack), 0);
	assert_int_equal(r.exit_code, 2);
	assert_non_null(strstr(r.out, "~ SynapseFirewallRule/office-ip: renamed "
				      "SynapseFirewallRule/allow-office -> SynapseFirewallRule/office-ip "
				      "in 20-synapse-workspace.yaml, the same resource in Azure\n"));
	assert_null(strstr(r.out, "allow-office: removed"));
	assert_non_null(strstr(r.out, "+ SynapseFirewallRule/azure-services: added"));
	assert_non_null(strstr(r.out, "- SynapseFirewallRule/allow-azure: removed"));
	assert_non_null(strstr(r.out, "1 added, 1 removed, 0 changed, 1 renamed."));
	run_result_free(&r);

	const char *json_argv[] = {"diff", "--base", "HEAD~", "--env", "dev", "--repo", stack,
				   "--output", "json", NULL};
	assert_int_equal(run_command(&r, AZAPPLY_BINARY, json_argv, env, stack), 0);
	assert_int_equal(r.exit_code, 0);
	json_t *j = json_loads(r.out, 0, NULL);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "counts"), "renamed")),
			 1);
	size_t i;
	json_t *res;
	bool seen = false;
	json_array_foreach(json_object_get(j, "resources"), i, res) {
		if (strcmp(json_string_value(json_object_get(res, "address")),
			   "SynapseFirewallRule/office-ip") != 0)
			continue;
		seen = true;
		assert_string_equal(json_string_value(json_object_get(res, "status")), "renamed");
		assert_string_equal(json_string_value(json_object_get(res, "previousAddress")),
				    "SynapseFirewallRule/allow-office");
		/* The rename is the change; metadata.name is not listed again. */
		assert_int_equal(json_array_size(json_object_get(res, "changes")), 0);
	}
	assert_true(seen);
	json_decref(j);
	run_result_free(&r);
	test_remove_tree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(graph_dot_is_the_stack),
		cmocka_unit_test(data_plane_waits_for_firewall_rules),
		cmocka_unit_test(instances_keep_their_workspaces_apart),
		cmocka_unit_test(a_pin_outside_git_is_named_at_its_line),
		cmocka_unit_test(graph_mermaid_and_markdown),
		cmocka_unit_test(graph_of_invalid_stack_fails),
		cmocka_unit_test(completion_bash_loads_and_is_complete),
		cmocka_unit_test(completion_zsh_and_fish),
		cmocka_unit_test(selector_mistakes_are_named_offline),
		cmocka_unit_test(diff_reports_a_rename),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
