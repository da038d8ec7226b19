/*
 * cmd_validate.c - `azapply validate`: every offline check, every error at
 * once, each at the file:line:col that holds it. No network: it needs
 * neither credentials nor Azure, so it runs first in every pipeline.
 */
#include <string.h>

#include "cmd.h"

static const char *const OUTPUT_CHOICES[] = {"text", "json", NULL};

static const az_option VALIDATE_OPTIONS[] = {
	{"env", 'e', "NAME", "the environment (from azapply.yaml) whose variables to use", NULL},
	{"output", 'o', "FORMAT", "text (default) or json", OUTPUT_CHOICES},
	AZ_GIT_OPTIONS,
	{NULL, 0, NULL, NULL, NULL},
};

static int validate_exec(const az_args *args)
{
	const char *dir = args->positional_len ? args->positional[0] : ".";
	const char *output = az_arg(args, "output");
	az_format format = output && strcmp(output, "json") == 0 ? AZ_FORMAT_JSON : AZ_FORMAT_TEXT;
	az_diags d = AZ_DIAGS_INIT;
	az_file_source src = {0};
	az_stack *stack = NULL;
	int rc = AZ_EXIT_ERROR;

	if (az_cmd_open_source(&src, NULL, args, &d) == 0) {
		az_stack_options opts = {.env = az_arg(args, "env")};
		az_stack_load(&stack, &src, &opts, &d);
	}
	az_diags_sort(&d);
	size_t errors = az_diags_errors(&d);
	if (format == AZ_FORMAT_JSON) {
		az_print_diags(stdout, &d, format, false);
	} else {
		az_print_diags(stderr, &d, format, az_use_color(stderr, args));
		if (errors)
			fprintf(stderr, "%zu error%s in %s.\n", errors, errors == 1 ? "" : "s", dir);
		else
			printf("Valid: %zu resource%s in %zu file%s%s%s.\n", stack->len,
			       stack->len == 1 ? "" : "s", stack->set ? stack->set->files_len : 0,
			       stack->set && stack->set->files_len == 1 ? "" : "s",
			       stack->env ? ", environment " : "", stack->env ? stack->env : "");
	}
	rc = errors ? AZ_EXIT_ERROR : AZ_EXIT_OK;
	az_stack_free(stack);
	az_file_source_free(&src);
	az_diags_clear(&d);
	return rc;
}

const az_command cmd_validate = {
	.name = "validate",
	.summary = "Check manifests offline: schema, variables, references, names, cycles",
	.usage = "azapply validate [DIR] [--env NAME] [--output text|json] [--git-ref REF "
		 "[--repo PATH]]",
	.description =
		"Loads every *.yaml and *.yml below DIR (default: the current directory),\n"
		"checks each document against its kind's schema, substitutes the variables\n"
		"of the chosen environment, and checks references, parents, dependsOn,\n"
		"duplicate addresses, Azure naming rules and dependency cycles. Every\n"
		"problem is reported at once as file:line:col; under GitHub Actions\n"
		"(GITHUB_ACTIONS=true) also as annotations. Exit 0 when valid, 1 when not.",
	.options = VALIDATE_OPTIONS,
	.max_positional = 1,
	.exec = validate_exec,
};
