/*
 * setup.c - what every command that talks to Azure does first: load and
 * check the stack (exactly as validate does, so nothing invalid is ever
 * planned), then open a session on the cloud the user chose.
 */
#include <string.h>

#include "cmd.h"

int az_cmd_load_stack(az_stack **out, const az_args *args, az_diags *d)
{
	const char *dir = args->positional_len ? args->positional[0] : ".";
	az_file_source src = {0};
	*out = NULL;
	if (az_open_source(&src, dir, d) != 0)
		return AZ_EINVALID;
	az_stack_options opts = {.env = az_arg(args, "env")};
	int rc = az_stack_load(out, &src, &opts, d);
	az_file_source_free(&src);
	return rc;
}

int az_cmd_open_session(az_session **out, const az_args *args, const az_stack *stack,
			az_diags *d)
{
	const char *cloud = az_arg(args, "cloud");
	if (!cloud && stack && stack->set)
		cloud = az_project_setting(&stack->set->project, stack->env, "cloud");
	az_session_options opts = {
		.cloud = cloud,
		.tenant = stack && stack->set ? az_project_setting(&stack->set->project, stack->env,
								    "tenant")
					      : NULL,
		.verbosity = args->verbose ? 1 : 0,
	};
	return az_session_open(out, &opts, d);
}

void az_cmd_report(const az_args *args, az_diags *d, az_format format)
{
	/* What was printed so far comes first, not interleaved. */
	fflush(stdout);
	az_diags_sort(d);
	if (format == AZ_FORMAT_JSON)
		az_print_diags(stderr, d, AZ_FORMAT_TEXT, false);
	else
		az_print_diags(stderr, d, AZ_FORMAT_TEXT, az_use_color(stderr, args));
}

az_format az_cmd_format(const az_args *args)
{
	const char *o = az_arg(args, "output");
	if (o && strcmp(o, "json") == 0)
		return AZ_FORMAT_JSON;
	if (o && strcmp(o, "markdown") == 0)
		return AZ_FORMAT_MARKDOWN;
	return AZ_FORMAT_TEXT;
}
