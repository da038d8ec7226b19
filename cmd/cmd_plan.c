/*
 * cmd_plan.c - `azapply plan`: read live state, diff it against the
 * manifests, and print exactly what would change, as text, JSON or
 * pull-request markdown. With --detailed-exitcode, 2 means "changes",
 * never to be confused with 1, "error".
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

static const char *const PLAN_OUTPUTS[] = {"text", "json", "markdown", NULL};

static const az_option PLAN_OPTIONS[] = {
	{"env", 'e', "NAME", "the environment (from azapply.yaml)", NULL},
	{"target", 't', "ADDR", "plan only this resource and what it needs (repeatable)", NULL},
	AZ_SELECTOR_OPTION,
	{"out", 0, "FILE", "save the plan to FILE for `azapply apply FILE` (mode 0600)", NULL},
	{"parallelism", 'p', "N", "resources in flight at once; requests in flight: twice as many, 128 to 250", NULL},
	{"detailed-exitcode", 0, NULL, "exit 2 when there are changes, 0 when none", NULL},
	{"refresh-only", 0, NULL, "read live state and report drift; propose nothing", NULL},
	{"destroy", 0, NULL, "preview `azapply destroy`: delete everything this instance owns", NULL},
	{"output", 'o', "FORMAT", "text (default), json or markdown", PLAN_OUTPUTS},
	{"cloud", 0, "NAME|FILE", "AzureCloud, AzureUSGovernment, AzureChinaCloud or a cloud file", NULL},
	AZ_GIT_OPTIONS,
	{NULL, 0, NULL, NULL, NULL},
};

/* Between markdown parts, so a CI step can post each as its own comment. */
#define MARKDOWN_PART_BREAK "<!-- azapply:part-break -->"
#define COMMENT_LIMIT 65000

int az_cmd_print_plan(const az_args *args, const az_plan *plan, az_format format)
{
	if (format == AZ_FORMAT_JSON) {
		json_t *j = az_plan_to_json(plan);
		json_dumpf(j, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
		json_decref(j);
	} else if (format == AZ_FORMAT_MARKDOWN) {
		char **parts = NULL;
		size_t n = az_plan_render_markdown(&parts, plan, COMMENT_LIMIT);
		for (size_t i = 0; i < n; i++) {
			if (i)
				printf("\n%s\n", MARKDOWN_PART_BREAK);
			fputs(parts[i], stdout);
			free(parts[i]);
		}
		free(parts);
	} else {
		az_buf out = AZ_BUF_INIT;
		az_render_options ro = {.color = az_use_color(stdout, args)};
		az_plan_render_text(&out, plan, &ro);
		fputs(out.data, stdout);
		az_buf_free(&out);
	}
	return 0;
}

static int plan_exec(const az_args *args)
{
	az_format format = az_cmd_format(args);
	int ntargets = 0;
	const char *const *targets = az_arg_all(args, "target", &ntargets);
	az_plan_options po = {
		.targets = targets,
		.targets_len = (size_t)ntargets,
		.refresh_only = az_arg_flag(args, "refresh-only"),
		.destroy = az_arg_flag(args, "destroy"),
	};
	/* Checked before anything loads, so a bad value is a usage error;
	 * az_cmd_open_session hands it to the HTTP client. */
	int parallelism = 0;
	if (az_cmd_parallelism(args, &parallelism) != 0)
		return AZ_EXIT_USAGE;
	if (po.destroy && po.refresh_only)
		return az_usage_error(args->cmd, "--destroy proposes deletes; --refresh-only proposes "
						 "nothing: choose one");
	az_cmd_run run;
	int rc = AZ_EXIT_ERROR;
	if (az_cmd_run_plan(&run, args, &po) != 0)
		goto done;
	az_cmd_print_plan(args, &run.plan, format);
	const char *out = az_arg(args, "out");
	if (out && az_plan_save(&run.plan, run.stack, out, &run.d) != 0)
		goto done;
	az_plan_counts counts = az_plan_count(&run.plan);
	if (counts.refused) {
		az_diag_add(&run.d, AZ_SEV_ERROR, NULL, NULL, "%zu planned action%s refused (see above)",
			    counts.refused, counts.refused == 1 ? " is" : "s are");
		goto done;
	}
	rc = az_arg_flag(args, "detailed-exitcode") && az_plan_has_changes(&run.plan)
		     ? AZ_EXIT_CHANGES
		     : AZ_EXIT_OK;
done:
	az_cmd_run_finish(&run, args, format);
	return rc;
}

const az_command cmd_plan = {
	.name = "plan",
	.summary = "Show what apply would change in Azure",
	.usage = "azapply plan [DIR] [--env NAME] [--target ADDR]... [--selector KEY=VALUE]... "
		 "[--out FILE] [--parallelism N] "
		 "[--detailed-exitcode] [--refresh-only] [--destroy] [--output text|json|markdown] "
		 "[--git-ref REF [--repo PATH]]",
	.description =
		"Checks the manifests as validate does, reads the live state of every resource\n"
		"(one request per collection and page, concurrently), and prints each change:\n"
		"+ create, ~ update, -/+ replace, - delete, with old -> new per property.\n"
		"Secrets show as (sensitive); values that exist only after apply as\n"
		"(known after apply). Replacing a workspace, storage account, key vault or\n"
		"SQL pool is refused unless its manifest sets lifecycle.allowReplace.\n\n"
		"--output markdown prints a pull-request comment; parts longer than one\n"
		"comment are separated by the line " MARKDOWN_PART_BREAK ".\n"
		"--destroy previews `azapply destroy`: every resource this stack instance\n"
		"owns is deleted, in the reverse of the dependency graph; with --out, the\n"
		"saved plan is a destroy plan for `azapply apply FILE`.\n"
		"--selector KEY=VALUE plans the resources whose metadata.labels match every\n"
		"selector, and what they depend on, as --target does.\n"
		"--git-ref REF plans the manifests of that commit (DIR is then a folder in\n"
		"its tree); diagnostics name files as REF:path.\n"
		"Exit 0: success (with --detailed-exitcode: no changes); 2: changes\n"
		"(--detailed-exitcode only); 1: error or refused action; 64: usage.",
	.options = PLAN_OPTIONS,
	.max_positional = 1,
	.exec = plan_exec,
};
