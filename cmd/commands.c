/*
 * commands.c - the one command table. A new subcommand is one file with one
 * az_command, and one line here.
 */
#include <string.h>

#include "cmd.h"

const az_command *const az_commands[] = {
	&cmd_validate,
	&cmd_plan,
	&cmd_apply,
	&cmd_drift,
	&cmd_output,
	&cmd_diff,
	&cmd_graph,
	&cmd_destroy,
	&cmd_import,
	&cmd_export,
	&cmd_unlock,
	&cmd_auth,
	&cmd_help,
	&cmd_completion,
	&cmd_version,
	NULL,
};

const az_command *az_command_find(const char *name)
{
	for (size_t i = 0; az_commands[i]; i++)
		if (strcmp(az_commands[i]->name, name) == 0)
			return az_commands[i];
	return NULL;
}
