/*
 * fuzz_studio.c - libFuzzer target for a Synapse Studio folder's
 * template-parameters-definition.json and the artifacts it is matched
 * against.
 *
 * The input is the definition, optionally followed by a line
 * "#%artifact" and a pipeline file (else a fixed one is used). The folder
 * is loaded through a SynapseArtifacts manifest from an in-memory tree and
 * resolved for an environment that requires overrides and for one that
 * does not, so the definition's syntax, its matching (wildcards, arrays,
 * type levels) and the override check all see hostile input. Beyond
 * crashes, leaks and sanitizer reports, a finding is an error without a
 * position.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <azapply/manifest.h>

#include "mem_source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char project[] = "stack: s\n"
                              "environments:\n"
                              "  dev: {}\n"
                              "  prod:\n"
                              "    requireOverrides: true\n"
                              "    overrides:\n"
                              "      Pipeline/x:\n"
                              "        properties.parameters.a.defaultValue: p\n"
                              "        properties.activities: []\n";

static const char manifest[] = "apiVersion: azapply.dev/v1\nkind: SynapseArtifacts\n"
                               "metadata: {name: st}\nspec: {workspace: ws, folder: st}\n";

static const char pipeline[] =
    "{\"name\": \"x\", \"properties\": {\"parameters\": {\"a\": {\"type\": \"String\", "
    "\"defaultValue\": \"d\"}}, \"activities\": [{\"name\": \"W\", \"type\": \"Wait\", "
    "\"typeProperties\": {\"waitTimeInSeconds\": 1}}], \"description\": \"${var.y}\"}}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	size_t rest;
	size_t definition_len = mem_split(text, size, "\n#%artifact\n", &rest);
	mem_tree t = {0};
	mem_tree_add(&t, "azapply.yaml", project, sizeof(project) - 1);
	mem_tree_add(&t, "s.yaml", manifest, sizeof(manifest) - 1);
	mem_tree_add(&t, "st/template-parameters-definition.json", text, definition_len);
	if (definition_len < size)
		mem_tree_add(&t, "st/pipeline/x.json", text + rest, size - rest);
	else
		mem_tree_add(&t, "st/pipeline/x.json", pipeline, sizeof(pipeline) - 1);
	az_file_source src = mem_source(&t);
	static const char *const envs[] = {"dev", "prod"};
	for (size_t i = 0; i < 2; i++) {
		az_diags d = AZ_DIAGS_INIT;
		az_manifest_set *set = NULL;
		az_manifests_load(&set, &src, &mem_limits, &d);
		az_manifests_resolve_vars(set, envs[i], NULL, NULL, &d);
		mem_every_error_has_a_position(&d);
		az_manifest_set_free(set);
		az_diags_clear(&d);
	}
	return 0;
}
