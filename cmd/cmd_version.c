/*
 * cmd_version.c - `azapply version` / `azapply --version`.
 */
#include "cmd.h"

static int version_exec(const az_args *args)
{
	(void)args;
	printf("azapply %s\n", AZAPPLY_VERSION);
	return AZ_EXIT_OK;
}

const az_command cmd_version = {
	.name = "version",
	.summary = "Print the version of azapply",
	.usage = "azapply version",
	.exec = version_exec,
};
