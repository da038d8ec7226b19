/*
 * cmd_import.c - `azapply import ADDR AZURE_ID`: adopt an existing resource.
 *
 * The manifest at ADDR must describe exactly that resource (its derived id
 * equals AZURE_ID). Import is read-only but for the ownership marker: it
 * writes the marker of this stack instance on the resource as it is, after
 * showing it and asking like apply. Properties that differ from the
 * manifest are listed and left to the next apply.
 */
#include "cmd.h"

static const az_option IMPORT_OPTIONS[] = {
	{"env", 'e', "NAME", "the environment (from azapply.yaml)", NULL},
	{"auto-approve", 0, NULL, "import without asking (required without a terminal)", NULL},
	{"dir", 'd', "DIR", "the manifest tree (default: the current directory)", NULL},
	{"cloud", 0, "NAME|FILE", "AzureCloud, AzureUSGovernment, AzureChinaCloud or a cloud file", NULL},
	AZ_LOCK_OPTIONS,
	{NULL, 0, NULL, NULL, NULL},
};

static int import_exec(const az_args *args)
{
	if (args->positional_len != 2)
		return az_usage_error(&cmd_import, "import takes an address and an Azure id");
	const char *targets[1] = {args->positional[0]};
	const char *dir = az_arg(args, "dir");
	az_args with_dir = *args;
	const char *positional[1] = {dir ? dir : "."};
	with_dir.positional = positional;
	with_dir.positional_len = 1;
	az_apply_request req = {.targets = targets, .targets_len = 1,
				.import_id = args->positional[1]};
	return az_cmd_apply(&with_dir, &req);
}

const az_command cmd_import = {
	.name = "import",
	.summary = "Adopt an existing Azure resource into the stack",
	.usage = "azapply import ADDR AZURE_ID [--dir DIR] [--env NAME] [--auto-approve] "
		 "[--lock-timeout DURATION]",
	.description =
		"ADDR is the address (Kind/name) of a manifest that describes the existing\n"
		"resource AZURE_ID. Import checks that they are the same resource and writes\n"
		"only this stack instance's ownership marker on it, leaving every property as\n"
		"it is; it lists the properties that differ from the manifest, which the next\n"
		"`azapply apply` changes. It asks like apply (--auto-approve skips the\n"
		"question; without a terminal it is required). Resources that exist without a\n"
		"marker are also adopted by apply, which shows them as 'adopt'.",
	.options = IMPORT_OPTIONS,
	.max_positional = 2,
	.exec = import_exec,
};
