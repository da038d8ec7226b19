/*
 * cmd_destroy.c - `azapply destroy`: delete everything the stack owns.
 *
 * Only resources carrying this stack's marker are deleted, in reverse
 * dependency order; preventDestroy (in the manifest or the marker) refuses
 * the whole run. The same confirmation as apply.
 */
#include "cmd.h"

static const az_option DESTROY_OPTIONS[] = {
	{"env", 'e', "NAME", "the environment (from azapply.yaml)", NULL},
	{"auto-approve", 0, NULL, "destroy without asking (required without a terminal)", NULL},
	{"parallelism", 'p', "N", "deletes in flight at once (default 10); requests in flight: twice as many, 128 to 250", NULL},
	{"fail-fast", 0, NULL, "start nothing new after the first failure", NULL},
	{"cloud", 0, "NAME|FILE", "AzureCloud, AzureUSGovernment, AzureChinaCloud or a cloud file", NULL},
	AZ_LOCK_OPTIONS,
	{NULL, 0, NULL, NULL, NULL},
};

static int destroy_exec(const az_args *args)
{
	az_apply_request req = {.destroy = true};
	return az_cmd_apply(args, &req);
}

const az_command cmd_destroy = {
	.name = "destroy",
	.summary = "Delete everything the stack owns",
	.usage = "azapply destroy [DIR] [--env NAME] [--auto-approve] [--parallelism N] [--fail-fast] "
		 "[--lock-timeout DURATION]",
	.description =
		"Plans the deletion of every resource that carries this stack's ownership\n"
		"marker, declared or not, and asks before deleting (--auto-approve skips the\n"
		"question; without a terminal it is required). Resources without the marker\n"
		"are never touched. lifecycle.preventDestroy refuses the run until the flag is\n"
		"removed and applied. Exit 0 when everything was deleted, 1 otherwise.",
	.options = DESTROY_OPTIONS,
	.max_positional = 1,
	.exec = destroy_exec,
};
