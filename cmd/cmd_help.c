/*
 * cmd_help.c - `azapply help [COMMAND]`: the command list, or one command's
 * usage, description and options.
 */
#include <stdlib.h>

#include "cmd.h"

static int help_exec(const az_args *args)
{
	if (args->positional_len == 1) {
		const az_command *cmd = az_command_find(args->positional[0]);
		if (!cmd)
			return az_usage_error(&cmd_help, "no such command '%s'", args->positional[0]);
		az_print_command_help(stdout, cmd);
		return AZ_EXIT_OK;
	}
	printf("usage: azapply <command> [<args>]\n\n"
	       "Declarative configuration as code for Azure data and ML platforms: ARM\n"
	       "resources, Synapse artifacts, Synapse RBAC and Entra in one plan.\n\n"
	       "Commands:\n");
	for (size_t i = 0; az_commands[i]; i++)
		printf("  %-12s %s\n", az_commands[i]->name, az_commands[i]->summary);
	printf("\nExit codes: 0 success (no changes), 1 error or invalid input, 2 changes\n"
	       "present (plan --detailed-exitcode, drift), 64 usage error.\n"
	       "See 'azapply help <command>' for a command's options.\n");
	return AZ_EXIT_OK;
}

const az_command cmd_help = {
	.name = "help",
	.summary = "Show the commands, or the usage of one command",
	.usage = "azapply help [COMMAND]",
	.max_positional = 1,
	.exec = help_exec,
};
