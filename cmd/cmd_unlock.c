/*
 * cmd_unlock.c - `azapply unlock LOCK_ID`: free the lock of a run that died.
 *
 * apply, destroy and import hold their stack instance's lock and release it
 * on every exit they live through; a run killed outright (SIGKILL, a lost
 * machine) cannot. A second run prints the holder and its lock ID; unlock
 * breaks the lease only when that ID is still the one held, so it never
 * frees the lock of a run that is still working and took it since.
 */
#include "cmd.h"

static const az_option UNLOCK_OPTIONS[] = {
	{"env", 'e', "NAME", "the environment (from azapply.yaml)", NULL},
	{"dir", 'd', "DIR", "the manifest tree (default: the current directory)", NULL},
	{"cloud", 0, "NAME|FILE", "AzureCloud, AzureUSGovernment, AzureChinaCloud or a cloud file", NULL},
	{NULL, 0, NULL, NULL, NULL},
};

static int unlock_exec(const az_args *args)
{
	if (args->positional_len != 1)
		return az_usage_error(&cmd_unlock, "unlock takes the lock ID a locked run printed");
	const char *dir = az_arg(args, "dir");
	az_args with_dir = *args;
	const char *positional[1] = {dir ? dir : "."};
	with_dir.positional = positional;
	with_dir.positional_len = 1;
	az_diags d = AZ_DIAGS_INIT;
	az_stack *stack = NULL;
	az_session *session = NULL;
	int rc = AZ_EXIT_ERROR;
	if (az_cmd_load_stack(&stack, &with_dir, &d) != 0 ||
	    az_cmd_open_session(&session, args, stack, &d) != 0)
		goto done;
	if (az_lock_break(stack, session, args->positional[0], &d) == 0) {
		printf("Unlocked: lock %s is free.\n", args->positional[0]);
		rc = AZ_EXIT_OK;
	}
done:
	az_cmd_report(args, &d, AZ_FORMAT_TEXT);
	az_session_free(session);
	az_stack_free(stack);
	az_diags_clear(&d);
	return rc;
}

const az_command cmd_unlock = {
	.name = "unlock",
	.summary = "Free the lock of a run that died",
	.usage = "azapply unlock LOCK_ID [--dir DIR] [--env NAME]",
	.description =
		"apply, destroy and import hold the lock of their stack instance (stack and\n"
		"environment) while they run. A run that was killed outright leaves it held;\n"
		"the next run prints the holder and its lock ID. unlock frees the lock when\n"
		"LOCK_ID is still the one held, and refuses otherwise, so it never frees the\n"
		"lock of a run that is still working. Make sure the holder is gone first.",
	.options = UNLOCK_OPTIONS,
	.max_positional = 1,
	.exec = unlock_exec,
};
