/*
 * stackgen.c - see stackgen.h. One file per workspace (many documents
 * each), as large stacks are usually kept.
 */
#include "stackgen.h"

#include <stdio.h>
#include <sys/stat.h>

static int write_project(const stackgen *g, const char *dir)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/azapply.yaml", dir);
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "stack: %s\nsubscription: 00000000-0000-0000-0000-000000000000\n"
		   "location: westeurope\n", g->stack);
	return fclose(f);
}

int stackgen_write_pipelines(const char *dir, const char *ws, int count, const char *file)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	for (int i = 0; i < count; i++)
		fprintf(f, "---\napiVersion: azapply.dev/v1\nkind: Pipeline\nmetadata:\n  name: %s-p%04d\n"
			   "spec:\n  workspace: %s\n  name: p%04d\n  properties:\n"
			   "    description: generated pipeline %d\n    activities:\n"
			   "      - name: Wait\n        type: Wait\n        typeProperties:\n"
			   "          waitTimeInSeconds: 1\n", ws, i, ws, i, i);
	return fclose(f) == 0 ? count : -1;
}

/* One workspace and its pools, rules and artifacts, into `f`: `ws` is
 * the workspace's manifest name, `azure_name` its Azure name, `octet` the
 * second octet of its firewall rules. Returns the number of resources. */
static int write_workspace(FILE *f, const stackgen *g, const char *ws, const char *rg,
			   const char *azure_name, const char *filesystem, int octet)
{
	int total = 0;
	fprintf(f, "apiVersion: azapply.dev/v1\nkind: SynapseWorkspace\nmetadata:\n  name: %s\n"
		   "spec:\n  resourceGroup: %s\n  name: %s\n  location: westeurope\n"
		   "  identity:\n    type: SystemAssigned\n  properties:\n"
		   "    defaultDataLakeStorage:\n      accountUrl: https://lake.dfs.core.windows.net\n"
		   "      filesystem: %s\n    sqlAdministratorLogin: sqladmin\n",
		ws, rg, azure_name, filesystem);
	total++;
	for (int i = 0; i < g->pools; i++, total++)
		fprintf(f, "---\napiVersion: azapply.dev/v1\nkind: SparkPool\nmetadata:\n"
			   "  name: %s-pool%03d\nspec:\n  workspace: %s\n  name: pool%03d\n"
			   "  location: westeurope\n  properties:\n    nodeSize: Small\n"
			   "    nodeSizeFamily: MemoryOptimized\n    sparkVersion: \"3.4\"\n"
			   "    autoScale: {enabled: true, minNodeCount: 3, maxNodeCount: %d}\n",
			ws, i, ws, i, 3 + i % 7);
	/* The first rule admits the machine the benchmark runs on: the
	 * emulator's data-plane firewall, as Azure's, refuses everyone else. */
	for (int i = 0; i < g->rules; i++, total++)
		if (i == 0)
			fprintf(f, "---\napiVersion: azapply.dev/v1\nkind: SynapseFirewallRule\n"
				   "metadata:\n  name: %s-rule000\nspec:\n  workspace: %s\n"
				   "  name: runner\n  properties:\n    startIpAddress: 127.0.0.1\n"
				   "    endIpAddress: 127.0.0.1\n",
				ws, ws);
		else
			fprintf(f, "---\napiVersion: azapply.dev/v1\nkind: SynapseFirewallRule\n"
				   "metadata:\n  name: %s-rule%03d\nspec:\n  workspace: %s\n"
				   "  name: rule%03d\n  properties:\n"
				   "    startIpAddress: 10.%d.%d.0\n    endIpAddress: 10.%d.%d.255\n",
				ws, i, ws, i, octet, i, octet, i);
	for (int i = 0; i < g->linked_services; i++, total++)
		fprintf(f, "---\napiVersion: azapply.dev/v1\nkind: LinkedService\nmetadata:\n"
			   "  name: %s-ls%03d\nspec:\n  workspace: %s\n  name: ls%03d\n"
			   "  properties:\n    type: AzureBlobFS\n    typeProperties:\n"
			   "      url: https://lake%03d.dfs.core.windows.net\n",
			ws, i, ws, i, i);
	for (int i = 0; i < g->notebooks; i++, total++)
		fprintf(f, "---\napiVersion: azapply.dev/v1\nkind: Notebook\nmetadata:\n"
			   "  name: %s-nb%03d\nspec:\n  workspace: %s\n  name: nb%03d\n"
			   "  properties:\n    nbformat: 4\n    nbformat_minor: 2\n"
			   "    metadata: {language_info: {name: python}}\n    cells:\n"
			   "      - cell_type: code\n        metadata: {}\n"
			   "        source: [\"print(%d)\"]\n",
			ws, i, ws, i, i);
	for (int i = 0; i < g->pipelines; i++, total++)
		fprintf(f, "---\napiVersion: azapply.dev/v1\nkind: Pipeline\nmetadata:\n"
			   "  name: %s-pl%03d\nspec:\n  workspace: %s\n  name: pl%03d\n"
			   "  properties:\n    activities:\n      - name: Run\n"
			   "        type: SynapseNotebook\n        typeProperties:\n"
			   "          notebook: {referenceName: nb%03d, type: NotebookReference}\n",
			ws, i, ws, i, g->notebooks ? i % g->notebooks : 0);
	for (int i = 0; i < g->scripts; i++, total++)
		fprintf(f, "---\napiVersion: azapply.dev/v1\nkind: SqlScript\nmetadata:\n"
			   "  name: %s-sql%03d\nspec:\n  workspace: %s\n  name: sql%03d\n"
			   "  properties:\n    type: SqlQuery\n    content:\n"
			   "      query: select %d\n      metadata: {language: sql}\n",
			ws, i, ws, i, i);
	return total;
}

/* The components shape: the workspace written once, as the component
 * components/workspace, and one Component manifest with a forEach key per
 * workspace, so every resource but the group comes from an instance. */
static int write_components(const stackgen *g, const char *dir)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/components", dir);
	if (mkdir(path, 0700) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/components/workspace", dir);
	if (mkdir(path, 0700) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/components/workspace/component.yaml", dir);
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "inputs:\n  resourceGroup: {type: string}\n"
		   "outputs:\n  workspaceId: ${ref.SynapseWorkspace.ws.id}\n");
	if (fclose(f) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/components/workspace/workspace.yaml", dir);
	if (!(f = fopen(path, "w")))
		return -1;
	char azure_name[256];
	snprintf(azure_name, sizeof(azure_name), "%s-${component.name}", g->ws_prefix);
	int per_instance = write_workspace(f, g, "ws", "${input.resourceGroup}", azure_name,
					   "fs${component.name}", 0);
	if (fclose(f) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/workspaces.yaml", dir);
	if (!(f = fopen(path, "w")))
		return -1;
	fprintf(f, "apiVersion: azapply.dev/v1\nkind: Component\nmetadata:\n"
		   "  name: ${each.key}\n  forEach:\n");
	for (int w = 0; w < g->workspaces; w++)
		fprintf(f, "    - w%03d\n", w);
	fprintf(f, "spec:\n  source: components/workspace\n  inputs: {resourceGroup: %s}\n", g->rg);
	if (fclose(f) != 0)
		return -1;
	return per_instance * g->workspaces;
}

int stackgen_write(const stackgen *g, const char *dir)
{
	if (write_project(g, dir) != 0)
		return -1;
	int total = 0;
	char path[4096];
	if (g->own_rg) {
		snprintf(path, sizeof(path), "%s/rg.yaml", dir);
		FILE *f = fopen(path, "w");
		if (!f)
			return -1;
		fprintf(f, "apiVersion: azapply.dev/v1\nkind: ResourceGroup\nmetadata:\n  name: rg\n"
			   "spec:\n  name: %s\n  location: westeurope\n", g->rg);
		fclose(f);
		total++;
	}
	if (g->components) {
		int n = write_components(g, dir);
		return n < 0 ? -1 : total + n;
	}
	for (int w = 0; w < g->workspaces; w++) {
		snprintf(path, sizeof(path), "%s/ws%03d.yaml", dir, w);
		FILE *f = fopen(path, "w");
		if (!f)
			return -1;
		char ws[64], azure_name[128], filesystem[64];
		snprintf(ws, sizeof(ws), "ws%03d", w);
		snprintf(azure_name, sizeof(azure_name), "%s-%03d", g->ws_prefix, w);
		snprintf(filesystem, sizeof(filesystem), "fs%03d", w);
		total += write_workspace(f, g, ws, g->rg, azure_name, filesystem, w);
		if (fclose(f) != 0)
			return -1;
	}
	return total;
}
