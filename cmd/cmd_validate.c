/*
 * cmd_validate.c - `azapply validate`: every offline check, every error at
 * once, each at the file:line:col that holds it. No network: it needs
 * neither credentials nor Azure, so it runs first in every pipeline.
 *
 * It needs no secret either. A pull request's check has none, so a value
 * from ${env.X} is "read from the environment at plan and apply": unset,
 * it stands for a value known later, like ${ref...}; with --env it is a
 * warning, since that run was meant for one environment's pipeline.
 *
 * Without --env, the stack is checked for every environment azapply.yaml
 * declares (a variable prod forgets is an error in prod, not a surprise at
 * its deploy); a diagnostic that only some environments have says which.
 * Warnings (an unknown property, an enum in another case, an unknown
 * region) fail validate with --strict or `strict: true` in azapply.yaml.
 */
#define _DEFAULT_SOURCE /* realpath */

#include <stdlib.h>
#include <string.h>

#include "cmd.h"

static const char *const OUTPUT_CHOICES[] = {"text", "json", NULL};

static const az_option VALIDATE_OPTIONS[] = {
	{"env", 'e', "NAME", "check only this environment (default: every one in azapply.yaml)",
	 NULL},
	{"output", 'o', "FORMAT", "text (default) or json", OUTPUT_CHOICES},
	{"strict", 0, NULL, "warnings are errors (also `strict: true` in azapply.yaml)", NULL},
	AZ_GIT_OPTIONS,
	{NULL, 0, NULL, NULL, NULL},
};

/* ${env.X} for validate: the value when it is set; otherwise what stands
 * for a value known at plan and apply, and the name is remembered. */
typedef struct env_reader {
	json_t *unset; /* object: name -> true */
} env_reader;

static const char *read_env(const char *name, void *ud)
{
	env_reader *r = ud;
	const char *v = getenv(name);
	if (v)
		return v;
	json_object_set_new(r->unset, name, json_true());
	/* The loader writes it as a literal; the checks pass values that hold
	 * ${ref. untouched, as they do values only apply knows. */
	return "${ref.env.unset}";
}

/* One run of the checks, for one environment (or none). The last run's
 * stack is left for the process's exit (exit.c). */
typedef struct env_run {
	const char *env;
	az_diags d;
	size_t resources, files;
} env_run;

static void run_checks(env_run *run, const az_file_source *src, env_reader *reader, bool last)
{
	az_stack *stack = NULL;
	az_stack_options opts = {.env = run->env, .getenv_fn = read_env, .getenv_ud = reader};
	az_stack_load(&stack, src, &opts, &run->d);
	if (stack) {
		run->resources = stack->len;
		run->files = stack->set ? stack->set->files_len : 0;
	}
	if (last)
		az_cmd_leave_stack(stack);
	else
		az_stack_free(stack);
}

static bool same_diag(const az_diag *a, const az_diag *b)
{
#define SAME(f) ((!a->f && !b->f) || (a->f && b->f && strcmp(a->f, b->f) == 0))
	return a->severity == b->severity && a->line == b->line && a->col == b->col &&
	       SAME(file) && SAME(summary) && SAME(detail) && SAME(address);
#undef SAME
}

/* Every diagnostic once; one that not every environment has names those
 * that have it. */
typedef struct merged {
	size_t runs;      /* how many runs said it */
	size_t last_run;  /* 1 + the last run counted */
	az_buf envs;      /* "dev, prod" */
} merged;

static void merge_runs(az_diags *out, env_run *runs, size_t n)
{
	merged *m = NULL;
	size_t cap = 0, first = out->len;
	for (size_t r = 0; r < n; r++) {
		for (size_t i = 0; i < runs[r].d.len; i++) {
			const az_diag *x = &runs[r].d.items[i];
			size_t k = first;
			while (k < out->len && !same_diag(&out->items[k], x))
				k++;
			if (k == out->len) {
				az_pos pos = {x->file, x->line, x->col};
				az_diag *y = az_diag_add(out, x->severity, x->file ? &pos : NULL,
							 x->address, "%s", x->summary);
				if (x->detail)
					az_diag_set_detail(y, "%s", x->detail);
				if (k - first == cap) {
					cap = cap ? 2 * cap : 16;
					m = az_xrealloc(m, cap * sizeof(*m));
				}
				m[k - first] = (merged){0, 0, AZ_BUF_INIT};
			}
			merged *e = &m[k - first];
			if (e->last_run == r + 1)
				continue;
			e->last_run = r + 1;
			e->runs++;
			az_buf_printf(&e->envs, "%s%s", e->envs.len ? ", " : "", runs[r].env);
		}
	}
	for (size_t k = first; k < out->len; k++) {
		merged *e = &m[k - first];
		if (e->runs < n) {
			az_diag *y = &out->items[k];
			char *s = az_xasprintf("%s (environment%s %s)", y->summary,
					       e->runs > 1 ? "s" : "", e->envs.data);
			free(y->summary);
			y->summary = s;
		}
		az_buf_free(&e->envs);
	}
	free(m);
}

/* ${env.X} that no environment variable sets: fine for a pull request's
 * check, worth a word when the run names its environment. */
static void warn_unset(az_diags *d, const env_reader *reader)
{
	const char *name;
	const json_t *v;
	json_object_foreach((json_t *)(uintptr_t)reader->unset, name, v)
	{
		az_diag *x = az_diag_add(d, AZ_SEV_WARNING, NULL, NULL,
					 "environment variable '%s' is not set; plan and apply "
					 "will need it",
					 name);
		az_diag_set_detail(x, "validate does not read secrets; export %s where plan and "
				      "apply run",
				   name);
	}
}

/* The folder the summary names: the commit's folder, or the real path, so
 * "in ." says where. */
static char *folder_name(const az_args *args, const char *dir)
{
	const char *ref = az_arg(args, "git-ref");
	if (ref)
		return az_xasprintf("%s:%s", ref, dir ? dir : ".");
	char *real = realpath(dir ? dir : ".", NULL);
	return real ? real : az_xstrdup(dir ? dir : ".");
}

static bool project_strict(const az_file_source *src)
{
	az_diags scratch = AZ_DIAGS_INIT;
	az_manifest_set *set = NULL;
	az_manifests_load_project(&set, src, &scratch);
	bool strict = set && json_is_true(json_object_get(set->project.body, "strict"));
	az_manifest_set_free(set);
	az_diags_clear(&scratch);
	return strict;
}

/* The environments to check: --env, else every one azapply.yaml declares
 * (sorted), else none. */
static char **environments(const az_file_source *src, const char *chosen, size_t *n)
{
	char **names = NULL;
	*n = 0;
	if (chosen) {
		names = az_xcalloc(1, sizeof(*names));
		names[(*n)++] = az_xstrdup(chosen);
		return names;
	}
	az_diags scratch = AZ_DIAGS_INIT;
	az_manifest_set *set = NULL;
	az_manifests_load_project(&set, src, &scratch);
	const json_t *envs = set ? set->project.environments : NULL;
	if (json_object_size(envs)) {
		names = az_xcalloc(json_object_size(envs), sizeof(*names));
		const char *name;
		const json_t *v;
		json_object_foreach((json_t *)(uintptr_t)envs, name, v)
			names[(*n)++] = az_xstrdup(name);
	}
	az_manifest_set_free(set);
	az_diags_clear(&scratch);
	return names;
}

static size_t count_severity(const az_diags *d, az_severity sev)
{
	size_t n = 0;
	for (size_t i = 0; i < d->len; i++)
		n += d->items[i].severity == sev;
	return n;
}

static int validate_exec(const az_args *args)
{
	const char *dir = args->positional_len ? args->positional[0] : NULL;
	const char *output = az_arg(args, "output");
	az_format format = output && strcmp(output, "json") == 0 ? AZ_FORMAT_JSON : AZ_FORMAT_TEXT;
	const char *chosen = az_arg(args, "env");
	az_diags d = AZ_DIAGS_INIT;
	az_file_source src = {0};
	env_reader reader = {.unset = json_object()};
	env_run *runs = NULL;
	size_t nruns = 0, names_len = 0;
	char **names = NULL;
	bool strict = az_arg_flag(args, "strict");

	if (az_cmd_open_source(&src, NULL, args, &d) == 0) {
		size_t n;
		names = environments(&src, chosen, &n);
		nruns = n ? n : 1;
		runs = az_xcalloc(nruns, sizeof(*runs));
		for (size_t i = 0; i < nruns; i++) {
			runs[i].env = n ? names[i] : NULL;
			runs[i].d = (az_diags)AZ_DIAGS_INIT;
			run_checks(&runs[i], &src, &reader, i + 1 == nruns);
		}
		if (nruns == 1)
			az_diags_move(&d, &runs[0].d);
		else
			merge_runs(&d, runs, nruns);
		if (chosen)
			warn_unset(&d, &reader);
		strict = strict || project_strict(&src);
		for (size_t i = 0; i < nruns; i++)
			az_diags_clear(&runs[i].d);
		names_len = n;
	}
	az_diags_sort(&d);
	size_t errors = az_diags_errors(&d);
	size_t warnings = count_severity(&d, AZ_SEV_WARNING);
	bool failed = errors || (strict && warnings);
	if (format == AZ_FORMAT_JSON) {
		az_print_diags(stdout, &d, format, false);
	} else {
		az_print_diags(stderr, &d, format, az_use_color(stderr, args));
		char *where = folder_name(args, dir);
		char *also = warnings ? az_xasprintf(", %zu warning%s%s", warnings,
						     warnings == 1 ? "" : "s",
						     strict ? " (--strict: warnings are errors)" : "")
				      : az_xstrdup("");
		if (failed) {
			fprintf(stderr, "%zu error%s%s in %s.\n", errors, errors == 1 ? "" : "s",
				also, where);
		} else {
			az_buf envs = AZ_BUF_INIT;
			for (size_t i = 0; i < nruns; i++)
				if (runs[i].env)
					az_buf_printf(&envs, "%s%s", envs.len ? ", " : "",
						      runs[i].env);
			printf("Valid: %zu resource%s in %zu file%s%s%s%s.\n", runs[0].resources,
			       runs[0].resources == 1 ? "" : "s", runs[0].files,
			       runs[0].files == 1 ? "" : "s",
			       envs.len ? (nruns > 1 ? ", environments " : ", environment ") : "",
			       envs.len ? envs.data : "", also);
			az_buf_free(&envs);
		}
		free(also);
		free(where);
	}
	free(runs);
	for (size_t i = 0; i < names_len; i++)
		free(names[i]);
	free(names);
	json_decref(reader.unset);
	az_file_source_free(&src);
	az_diags_clear(&d);
	return failed ? AZ_EXIT_ERROR : AZ_EXIT_OK;
}

const az_command cmd_validate = {
	.name = "validate",
	.summary = "Check manifests offline: schema, variables, references, names, cycles",
	.usage = "azapply validate [DIR] [--env NAME] [--strict] [--output text|json] "
		 "[--git-ref REF [--repo PATH]]",
	.description =
		"Loads every *.yaml and *.yml below DIR (default: the current directory),\n"
		"checks each document against its kind's schema, substitutes the variables\n"
		"of each environment in azapply.yaml (or only --env NAME), and checks\n"
		"references, parents, dependsOn, duplicate addresses, Azure naming rules\n"
		"and dependency cycles. Every problem is reported at once as\n"
		"file:line:col; under GitHub Actions (GITHUB_ACTIONS=true) also as\n"
		"annotations. Properties the kind's schema does not know, enum values in\n"
		"another case and unknown regions are warnings; --strict (or `strict: true`\n"
		"in azapply.yaml) makes them errors. No secret is read: ${env.X} is checked\n"
		"as a value plan and apply will read (with --env, an unset one is a\n"
		"warning). Exit 0 when valid, 1 when not.",
	.options = VALIDATE_OPTIONS,
	.max_positional = 1,
	.exec = validate_exec,
};
