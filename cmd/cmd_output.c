/*
 * cmd_output.c - `azapply output`: the stack's outputs, read from live
 * Azure, for the next CI step.
 *
 * azapply keeps no state file, so an output is evaluated by reading the
 * resources it refers to (a refresh of only those, no lock) and resolving
 * its expression against them (planner/outputs.c). Text prints
 * `NAME = value` lines; one NAME prints the bare value, the way a shell
 * step captures it; --output json prints {NAME: {value, description}}.
 * A resource that does not exist yet fails the command with its address:
 * a deployment script must not carry on with an empty endpoint.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd.h"

static const char *const OUTPUT_FORMATS[] = {"text", "json", NULL};

static const az_option OUTPUT_OPTIONS[] = {
	{"env", 'e', "NAME", "the environment (from azapply.yaml)", NULL},
	{"output", 'o', "FORMAT", "text (default) or json", OUTPUT_FORMATS},
	{"cloud", 0, "NAME|FILE", "AzureCloud, AzureUSGovernment, AzureChinaCloud or a cloud file", NULL},
	AZ_GIT_OPTIONS,
	{NULL, 0, NULL, NULL, NULL},
};

static bool is_directory(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* A value as a shell step wants it: a string bare, anything else as JSON. */
static void put_value(az_buf *out, json_t *v)
{
	if (json_is_string(v)) {
		az_buf_puts(out, json_string_value(v));
		return;
	}
	char *s = az_json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	az_buf_puts(out, s);
	free(s);
}

static void render(az_buf *out, json_t *values, const char *name, az_format format)
{
	if (format == AZ_FORMAT_JSON) {
		json_t *root = name ? json_incref(json_object_get(values, name)) : json_incref(values);
		char *s = az_json_dumps(root, JSON_INDENT(2) | JSON_ENCODE_ANY);
		az_buf_puts(out, s);
		az_buf_putc(out, '\n');
		free(s);
		json_decref(root);
		return;
	}
	const char *key;
	json_t *o;
	json_object_foreach(values, key, o)
	{
		bool sensitive = json_is_true(json_object_get(o, "sensitive"));
		if (!name)
			az_buf_printf(out, "%s = ", key);
		if (sensitive)
			az_buf_puts(out, "(sensitive)");
		else
			put_value(out, json_object_get(o, "value"));
		az_buf_putc(out, '\n');
	}
}

static int output_exec(const az_args *args)
{
	az_format format = az_cmd_format(args);
	az_cmd_origin origin = az_cmd_origin_of(args);
	const char *name = NULL;
	/* DIR and NAME are both optional: one argument is the folder when it
	 * is one (or has a '/'), else the output's name. */
	if (args->positional_len == 2) {
		name = args->positional[1];
	} else if (args->positional_len == 1 && !strchr(args->positional[0], '/') &&
		   !is_directory(args->positional[0])) {
		name = args->positional[0];
		origin.dir = NULL;
	}
	az_cmd_run run;
	memset(&run, 0, sizeof(run));
	int rc = AZ_EXIT_ERROR;
	char **targets = NULL;
	size_t ntargets = 0;
	/* Load once to learn what the outputs read, then refresh only that. */
	az_stack *probe = NULL;
	int loaded = az_cmd_load_stack_at(&probe, &origin, args, &run.d);
	if (loaded == 0 && az_outputs_targets(probe, name, &targets, &ntargets, &run.d) == 0) {
		az_plan_options po = {.refresh_only = true,
				      .targets = (const char *const *)targets,
				      .targets_len = ntargets};
		json_t *values = NULL;
		if (az_cmd_run_plan_at(&run, args, &origin, &po) == 0 &&
		    az_plan_outputs(&values, &run.plan, name, &run.d) == 0) {
			az_buf out = AZ_BUF_INIT;
			render(&out, values, name, format);
			fputs(out.data ? out.data : "", stdout);
			az_buf_free(&out);
			rc = AZ_EXIT_OK;
		}
		json_decref(values);
	}
	for (size_t i = 0; i < ntargets; i++)
		free(targets[i]);
	free(targets);
	az_stack_free(probe);
	az_cmd_run_finish(&run, args, format);
	return rc;
}

const az_command cmd_output = {
	.name = "output",
	.summary = "Print the stack's outputs, read from live Azure",
	.usage = "azapply output [DIR] [NAME] [--env NAME] [--output text|json] "
		 "[--git-ref REF [--repo PATH]]",
	.description =
		"Evaluates the outputs azapply.yaml declares (and every component instance's,\n"
		"as INSTANCE.NAME) against live Azure: the resources they refer to are read,\n"
		"nothing is changed and no lock is taken. Text prints NAME = value lines, or\n"
		"with NAME only its bare value (for a shell step); --output json prints\n"
		"{NAME: {value, description}}. A sensitive value (from ${env.X}) is never\n"
		"printed. An output whose resource does not exist yet is an error naming it.\n"
		"One argument is DIR when it is a folder, else NAME. Exit 0, or 1 on error.",
	.options = OUTPUT_OPTIONS,
	.max_positional = 2,
	.exec = output_exec,
};
