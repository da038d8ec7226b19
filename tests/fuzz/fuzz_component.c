/*
 * fuzz_component.c - libFuzzer target for a component's definition
 * (component.yaml: inputs with types, defaults and required; outputs) and
 * the call site that instantiates it (a Component manifest's inputs and
 * forEach).
 *
 * The input is the component.yaml, optionally followed by a line
 * "#%call\n" and the call site (else a fixed one, instantiating the
 * component twice over a map, is used). The stack is loaded from an
 * in-memory tree holding the project, the call site, the component.yaml
 * and one manifest of the component that uses ${input.X},
 * ${component.name} and forEach over an input, then resolved for an
 * environment, so the declaration's parsing, the call site's input checks,
 * the substitution and the outputs all see hostile input. Beyond crashes,
 * leaks and sanitizer reports, a finding is an error without a position.
 *
 * A call site may pin the component, spec.source: {git: REF, path: c}: the
 * tree stands in for every commit (REF "missing" names none, a path other
 * than "c" is no folder of it), so the pinned form is parsed, read through
 * the source's revision hook and named "REF:c/file.yaml" as from git.
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
                              "outputs:\n"
                              "  first: ${component.a.outputs.pool}\n";

static const char call_site[] = "apiVersion: azapply.dev/v1\nkind: Component\n"
                                "metadata:\n"
                                "  name: ${each.key}\n"
                                "  forEach: {a: {n: 3}, b: {n: 4}}\n"
                                "spec:\n"
                                "  source: c\n"
                                "  inputs: {team: ${each.key}, nodes: ${each.value.n}}\n";

static const char pools[] = "apiVersion: azapply.dev/v1\nkind: SparkPool\n"
                            "metadata:\n"
                            "  name: spark-${each.key}\n"
                            "  forEach: ${input.pools}\n"
                            "spec:\n"
                            "  workspace: ws\n"
                            "  name: ${input.team}${each.key}${component.name}\n"
                            "  nodeCount: ${input.nodes}\n";

/* What a commit holds: the files of `tree` below "c/", for any ref. */
typedef struct revision {
	mem_tree files;
	char *display;
} revision;

static void revision_free(void *ctx)
{
	revision *r = ctx;
	free(r->display);
	free(r);
}

static int open_revision(void *ctx, az_file_source *out, char **commit_out, const char *ref,
                         const char *path, az_diags *d)
{
	const mem_tree *t = ctx;
	static const char folder[] = "c/";
	if (!strcmp(ref, "missing")) {
		az_diag_add(d, AZ_SEV_ERROR, NULL, NULL, "no commit named '%s'", ref);
		return AZ_ENOTFOUND;
	}
	if (strcmp(path, "c")) {
		az_diag_add(d, AZ_SEV_ERROR, NULL, NULL, "'%s' is not a folder in %s", path, ref);
		return AZ_EINVALID;
	}
	revision *r = az_xcalloc(1, sizeof(*r));
	for (size_t i = 0; i < t->len; i++)
		if (!strncmp(t->files[i].path, folder, sizeof(folder) - 1))
			mem_tree_add(&r->files, t->files[i].path + sizeof(folder) - 1, t->files[i].data,
			             t->files[i].len);
	r->display = az_xasprintf("%s:%s", ref, path);
	*out = mem_source(&r->files);
	out->display_root = r->display;
	out->free = revision_free;
	out->ctx = r;
	*commit_out = az_xstrdup("0123456789abcdef0123456789abcdef01234567");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	size_t rest;
	size_t definition_len = mem_split(text, size, "\n#%call\n", &rest);
	mem_tree t = {0};
	mem_tree_add(&t, "azapply.yaml", project, sizeof(project) - 1);
	if (definition_len < size)
		mem_tree_add(&t, "teams.yaml", text + rest, size - rest);
	else
		mem_tree_add(&t, "teams.yaml", call_site, sizeof(call_site) - 1);
	mem_tree_add(&t, "c/component.yaml", text, definition_len);
	mem_tree_add(&t, "c/pools.yaml", pools, sizeof(pools) - 1);
	az_file_source src = mem_source(&t);
	src.open_revision = open_revision;
	src.revisions = &t;
	az_diags d = AZ_DIAGS_INIT;
	az_manifest_set *set = NULL;
	az_manifests_load(&set, &src, &mem_limits, &d);
	az_manifests_resolve_vars(set, "dev", NULL, NULL, &d);
	mem_every_error_has_a_position(&d);
	az_manifest_set_free(set);
	az_diags_clear(&d);
	return 0;
}
