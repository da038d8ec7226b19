/*
 * cmd_version.c - `azapply version` / `azapply --version`: the version,
 * and with --output json what a bug report needs: the commit it was built
 * from, when, and the libraries it was built against.
 */
#include <string.h>

#include "build_info.h"
#include "cmd.h"

static const az_option VERSION_OPTIONS[] = {
	{"output", 'o', "FORMAT", "text (default) or json", (const char *const[]){"text", "json", NULL}},
	{NULL, 0, NULL, NULL, NULL},
};

static const struct {
	const char *name, *version;
} LIBRARIES[] = {AZAPPLY_LIBRARIES};

static int version_exec(const az_args *args)
{
	if (az_cmd_format(args) != AZ_FORMAT_JSON) {
		printf("azapply %s\n", AZAPPLY_VERSION);
		return AZ_EXIT_OK;
	}
	json_t *libraries = json_object();
	for (size_t i = 0; LIBRARIES[i].name; i++)
		json_object_set_new(libraries, LIBRARIES[i].name, json_string(LIBRARIES[i].version));
	json_t *info = json_pack("{s:s,s:s,s:s,s:o}", "version", AZAPPLY_VERSION, "commit",
				 AZAPPLY_COMMIT, "buildDate", AZAPPLY_BUILD_DATE, "libraries",
				 libraries);
	json_dumpf(info, stdout, JSON_INDENT(2));
	putchar('\n');
	json_decref(info);
	return AZ_EXIT_OK;
}

const az_command cmd_version = {
	.name = "version",
	.summary = "Print the version of azapply",
	.usage = "azapply version [--output text|json]",
	.description =
		"Prints the version. --output json adds the commit it was built from\n"
		"(\"-dirty\" when the tree differed), the build date (RFC 3339, UTC) and the\n"
		"version of each library it was built against.",
	.options = VERSION_OPTIONS,
	.exec = version_exec,
};
