/*
 * cmd_export.c - `azapply export synapse WORKSPACE DIR`: a live workspace's
 * artifacts written in Synapse Studio's git layout.
 *
 * How a team adopts azapply on a workspace it already has: export the
 * artifacts into a folder, point a SynapseArtifacts manifest at it, and
 * plan: the artifacts are adopted with no property change (markers are
 * never exported). Export writes only below DIR, one file per artifact
 * (pipeline/<name>.json, ...), and replaces a file of the same name; it
 * deletes nothing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <azapply/export.h>

#include "cmd.h"

static const az_option EXPORT_OPTIONS[] = {
	{"env", 'e', "NAME", "the environment (from azapply.yaml)", NULL},
	{"dir", 'd', "DIR", "the manifest tree (default: the current directory)", NULL},
	{"cloud", 0, "NAME|FILE", "AzureCloud, AzureUSGovernment, AzureChinaCloud or a cloud file", NULL},
	{NULL, 0, NULL, NULL, NULL},
};

/* mkdir -p of the folders of dir/rel. */
static int make_parents(const char *dir, const char *rel, az_diags *d)
{
	char *path = az_xasprintf("%s/%s", dir, rel);
	int error = 0;
	for (char *p = path + strlen(dir) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		if (mkdir(path, 0777) && errno != EEXIST) {
			az_diag_add(d, AZ_SEV_ERROR, NULL, NULL, "cannot create %s: %s", path,
			            strerror(errno));
			error = AZ_ERROR;
		}
		*p = '/';
		if (error)
			break;
	}
	free(path);
	return error;
}

static int write_files(const char *dir, json_t *files, az_diags *d)
{
	if (mkdir(dir, 0777) && errno != EEXIST) {
		az_diag_add(d, AZ_SEV_ERROR, NULL, NULL, "cannot create %s: %s", dir, strerror(errno));
		return AZ_ERROR;
	}
	const char *rel;
	json_t *file;
	json_object_foreach(files, rel, file)
	{
		if (make_parents(dir, rel, d))
			return AZ_ERROR;
		char *path = az_xasprintf("%s/%s", dir, rel);
		/* Studio's indentation: two spaces, keys in Azure's order. */
		char *text = az_json_dumps(file, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		FILE *f = fopen(path, "w");
		bool ok = f && text && fputs(text, f) >= 0 && fputc('\n', f) != EOF;
		if (f && fclose(f))
			ok = false;
		if (!ok)
			az_diag_add(d, AZ_SEV_ERROR, NULL, NULL, "cannot write %s: %s", path,
			            strerror(errno));
		free(text);
		free(path);
		if (!ok)
			return AZ_ERROR;
	}
	return 0;
}

static int export_exec(const az_args *args)
{
	if (args->positional_len != 3 || strcmp(args->positional[0], "synapse"))
		return az_usage_error(&cmd_export, "export takes synapse, a workspace and a folder");
	const char *dir = az_arg(args, "dir");
	az_args with_dir = *args;
	const char *positional[1] = {dir ? dir : "."};
	with_dir.positional = positional;
	with_dir.positional_len = 1;
	az_diags d = AZ_DIAGS_INIT;
	az_stack *stack = NULL;
	az_session *session = NULL;
	json_t *files = NULL;
	int rc = AZ_EXIT_ERROR;
	if (az_cmd_load_stack(&stack, &with_dir, &d) || az_cmd_open_session(&session, &with_dir, stack, &d))
		goto done;
	if (az_export_synapse(&files, stack, session, args->positional[1], &d) ||
	    write_files(args->positional[2], files, &d))
		goto done;
	size_t n = json_object_size(files);
	printf("Exported %zu artifact%s of %s to %s.\n", n, n == 1 ? "" : "s", args->positional[1],
	       args->positional[2]);
	rc = AZ_EXIT_OK;
done:
	az_cmd_report(&with_dir, &d, AZ_FORMAT_TEXT);
	json_decref(files);
	az_session_free(session);
	az_stack_free(stack);
	az_diags_clear(&d);
	return rc;
}

const az_command cmd_export = {
	.name = "export",
	.summary = "Write a Synapse workspace's artifacts in Synapse Studio's git layout",
	.usage = "azapply export synapse WORKSPACE DIR [--dir STACKDIR] [--env NAME]",
	.description =
		"Lists the linked services, datasets, notebooks, SQL scripts, pipelines and\n"
		"triggers of WORKSPACE (a SynapseWorkspace of the stack: its address, name or\n"
		"Azure name, or a workspace's Azure id) and writes each as DIR/<folder>/<name>.json\n"
		"the way Synapse Studio's git integration does (pipeline/, dataset/, ...), without\n"
		"azapply's markers. A SynapseArtifacts manifest pointing at DIR then plans no\n"
		"property change: unmarked artifacts are adopted, marked ones are no-ops.\n"
		"Files of the same name are replaced; nothing is deleted. Values Azure never\n"
		"returns (SecureString) are warnings to replace with ${env.NAME}.",
	.options = EXPORT_OPTIONS,
	.max_positional = 3,
	.exec = export_exec,
};
