/*
 * cmd_graph.c - `azapply graph`: the stack's dependency graph, offline.
 *
 * The nodes are the stack's resources (address and kind), the edges the
 * ones az_stack_load already built for ordering and cycle checks (a parent
 * field, ${ref...}, dependsOn, an artifact's referenceName): what is drawn
 * is exactly what plan and apply order by, never a second reading of the
 * manifests. An edge points from a resource to what it depends on, as in
 * Terraform's graph. DOT is for Graphviz, Mermaid for anything that renders
 * it, and markdown wraps the Mermaid in a ```mermaid block, which GitHub
 * and Azure DevOps draw in a pull-request comment.
 *
 * No credentials and no secret: ${env.X} values are read as a stand-in,
 * as diff reads them, since no value ends up in the graph.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

static const char *const GRAPH_OUTPUTS[] = {"dot", "mermaid", "markdown", NULL};

static const az_option GRAPH_OPTIONS[] = {
	{"env", 'e', "NAME", "the environment (default: the first in azapply.yaml)", NULL},
	{"output", 'o', "FORMAT", "dot (default), mermaid or markdown", GRAPH_OUTPUTS},
	AZ_GIT_OPTIONS,
	{NULL, 0, NULL, NULL, NULL},
};

static const char *stand_in(const char *name, void *ud)
{
	(void)name;
	(void)ud;
	return "(from the environment)";
}

/* --env, else the first environment azapply.yaml declares (a stack whose
 * variables are set per environment does not load without one), else
 * none. The caller frees. */
static char *graph_env(const az_file_source *src, const char *chosen)
{
	if (chosen)
		return az_xstrdup(chosen);
	az_diags scratch = AZ_DIAGS_INIT;
	az_manifest_set *set = NULL;
	az_manifests_load(&set, src, NULL, &scratch);
	char *env = NULL;
	void *first = set ? json_object_iter(set->project.environments) : NULL;
	if (first)
		env = az_xstrdup(json_object_iter_key(first));
	az_manifest_set_free(set);
	az_diags_clear(&scratch);
	return env;
}

/* `s` inside a double-quoted DOT string. */
static void dot_escape(az_buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			az_buf_putc(b, '\\');
		az_buf_putc(b, *s);
	}
}

/* `s` as a double-quoted DOT ID. */
static void dot_quote(az_buf *b, const char *s)
{
	az_buf_putc(b, '"');
	dot_escape(b, s);
	az_buf_putc(b, '"');
}

/* `s` inside a Mermaid "..." label: a quote would end it. */
static void mermaid_label(az_buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '"')
			az_buf_puts(b, "#quot;");
		else
			az_buf_putc(b, *s);
	}
}

static const char *kind_of(const az_resource *r)
{
	return r->kind ? r->kind->name : r->manifest->kind ? r->manifest->kind : "?";
}

/* Whether resource r's edge to its dependency j was already drawn (an edge
 * may come from a parent field and a ${ref} both). */
static bool seen_before(const az_resource *r, size_t j)
{
	for (size_t k = 0; k < j; k++)
		if (r->deps[k] == r->deps[j])
			return true;
	return false;
}

static void render_dot(az_buf *b, const az_stack *st)
{
	az_buf_puts(b, "digraph ");
	dot_quote(b, st->set->project.stack ? st->set->project.stack : "azapply");
	az_buf_puts(b, " {\n  rankdir=LR;\n  node [shape=box];\n");
	for (size_t i = 0; i < st->len; i++) {
		const az_resource *r = &st->resources[i];
		az_buf_puts(b, "  ");
		dot_quote(b, r->address);
		az_buf_puts(b, " [label=\"");
		dot_escape(b, kind_of(r));
		az_buf_puts(b, "\\n"); /* DOT's line break */
		dot_escape(b, r->manifest->name ? r->manifest->name : "");
		az_buf_puts(b, "\", class=");
		dot_quote(b, kind_of(r));
		az_buf_puts(b, "];\n");
	}
	for (size_t i = 0; i < st->len; i++) {
		const az_resource *r = &st->resources[i];
		for (size_t j = 0; j < r->deps_len; j++) {
			if (seen_before(r, j))
				continue;
			az_buf_puts(b, "  ");
			dot_quote(b, r->address);
			az_buf_puts(b, " -> ");
			dot_quote(b, st->resources[r->deps[j]].address);
			az_buf_puts(b, ";\n");
		}
	}
	az_buf_puts(b, "}\n");
}

/* Mermaid node ids are n0, n1... (addresses hold '/', which Mermaid reads
 * as a shape); the address is the label. */
static void render_mermaid(az_buf *b, const az_stack *st)
{
	az_buf_puts(b, "flowchart LR\n");
	for (size_t i = 0; i < st->len; i++) {
		az_buf_printf(b, "  n%zu[\"", i);
		mermaid_label(b, st->resources[i].address);
		az_buf_puts(b, "\"]\n");
	}
	for (size_t i = 0; i < st->len; i++) {
		const az_resource *r = &st->resources[i];
		for (size_t j = 0; j < r->deps_len; j++)
			if (!seen_before(r, j))
				az_buf_printf(b, "  n%zu --> n%zu\n", i, r->deps[j]);
	}
}

static size_t count_edges(const az_stack *st)
{
	size_t n = 0;
	for (size_t i = 0; i < st->len; i++)
		for (size_t j = 0; j < st->resources[i].deps_len; j++)
			n += !seen_before(&st->resources[i], j);
	return n;
}

static void render_markdown(az_buf *b, const az_stack *st)
{
	az_buf_printf(b, "### azapply graph: `%s`",
		      st->set->project.stack ? st->set->project.stack : "azapply");
	if (st->env)
		az_buf_printf(b, " (%s)", st->env);
	size_t edges = count_edges(st);
	az_buf_printf(b, "\n\n%zu resource%s, %zu dependenc%s; an arrow points from a resource "
			 "to what it depends on.\n\n```mermaid\n",
		      st->len, st->len == 1 ? "" : "s", edges, edges == 1 ? "y" : "ies");
	render_mermaid(b, st);
	az_buf_puts(b, "```\n");
}

static int graph_exec(const az_args *args)
{
	az_diags d = AZ_DIAGS_INIT;
	az_file_source src = {0};
	az_stack *st = NULL;
	char *env = NULL;
	int rc = AZ_EXIT_ERROR;
	if (az_cmd_open_source(&src, NULL, args, &d) != 0)
		goto done;
	env = graph_env(&src, az_arg(args, "env"));
	az_stack_options opts = {.env = env, .getenv_fn = stand_in};
	if (az_stack_load(&st, &src, &opts, &d) != 0)
		goto done;
	const char *output = az_arg(args, "output");
	az_buf out = AZ_BUF_INIT;
	if (output && strcmp(output, "mermaid") == 0)
		render_mermaid(&out, st);
	else if (output && strcmp(output, "markdown") == 0)
		render_markdown(&out, st);
	else
		render_dot(&out, st);
	fputs(out.data ? out.data : "", stdout);
	az_buf_free(&out);
	rc = AZ_EXIT_OK;
done:
	az_cmd_report(args, &d, AZ_FORMAT_TEXT);
	az_stack_free(st);
	free(env);
	az_file_source_free(&src);
	az_diags_clear(&d);
	return rc;
}

const az_command cmd_graph = {
	.name = "graph",
	.summary = "Print the stack's dependency graph (DOT, Mermaid or markdown)",
	.usage = "azapply graph [DIR] [--env NAME] [--output dot|mermaid|markdown] "
		 "[--git-ref REF [--repo PATH]]",
	.description =
		"Prints the resources of the stack and the dependencies plan and apply\n"
		"order them by: a parent field (spec.workspace), ${ref...}, dependsOn and\n"
		"Synapse artifact referenceNames. An edge points from a resource to what\n"
		"it depends on. No Azure, no credentials, no secrets.\n\n"
		"--output dot (default) is for Graphviz (`azapply graph | dot -Tsvg`);\n"
		"mermaid is a Mermaid flowchart; markdown wraps it in a ```mermaid block\n"
		"for a pull-request comment. Without --env, the first environment\n"
		"azapply.yaml declares is used. Exit 0, or 1 when the manifests are invalid.",
	.options = GRAPH_OPTIONS,
	.max_positional = 1,
	.exec = graph_exec,
};
