/*
 * bench_studio.c - a Synapse Studio folder of 500 artifacts.
 *
 * Users of the Synapse deployment task deploy a workspace one artifact at
 * a time: an hour for a large one. Two stacks get the same Studio folder
 * (linked services, datasets, notebooks, SQL scripts, pipelines in chains
 * of ExecutePipeline, triggers) on a workspace each, with 50 ms of latency
 * on every request and 3 status polls per operation: one apply from
 * nothing with --parallelism 50, one with --parallelism 1. Then the
 * unchanged folder is planned again and the requests it sent are counted
 * from the emulator's log: a list per collection and page, never a GET per
 * artifact.
 *
 * Usage: bench_studio [--artifacts N] [--parallelism N] [--latency MS]
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench_common.h"
#include "stackgen.h"

/* Shares of each kind in the folder, per 25 artifacts. */
enum { LS = 2, DS = 7, NB = 3, SQ = 3, PL = 9, TR = 1, SHARES = LS + DS + NB + SQ + PL + TR };
#define CHAIN 5

/* Writes studio/<folder>/<name>.json as Studio does: name, properties (the
 * format's output), then the type Studio writes for the folder. */
static void put(const char *dir, const char *folder, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void put(const char *dir, const char *folder, const char *name, const char *fmt, ...)
{
	char path[4096], type[64];
	snprintf(path, sizeof(path), "%s/studio/%s", dir, folder);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/studio/%s/%s.json", dir, folder, name);
	size_t i = 0;
	for (; folder[i] && i + 2 < sizeof(type); i++)
		type[i] = (char)tolower((unsigned char)folder[i]);
	type[i] = '\0';
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(1);
	}
	fprintf(f, "{\"name\": \"%s\", \"properties\": ", name);
	va_list ap;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fprintf(f, ", \"type\": \"Microsoft.Synapse/workspaces/%ss\"}\n", type);
	fclose(f);
}

/* Writes the folder and its SynapseArtifacts manifest; returns the number
 * of artifacts. */
static int write_studio(const char *dir, int artifacts)
{
	int units = artifacts / SHARES;
	int ls = LS * units, ds = DS * units, nb = NB * units, sq = SQ * units;
	int pl = PL * units, tr = TR * units;
	char path[4096], name[32];
	snprintf(path, sizeof(path), "%s/studio", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/studio.yaml", dir);
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "apiVersion: azapply.dev/v1\nkind: SynapseArtifacts\nmetadata:\n  name: studio\n"
		   "spec:\n  workspace: ws000\n  folder: studio\n");
	fclose(f);
	for (int i = 0; i < ls; i++) {
		snprintf(name, sizeof(name), "lake%d", i);
		put(dir, "linkedService", name,
		    "{\"type\": \"AzureBlobFS\", \"annotations\": [], \"typeProperties\": "
		    "{\"url\": \"https://lake%d.dfs.core.windows.net/\"}}", i);
	}
	for (int i = 0; i < ds; i++) {
		snprintf(name, sizeof(name), "ds%d", i);
		put(dir, "dataset", name,
		    "{\"linkedServiceName\": {\"referenceName\": \"lake%d\", \"type\": "
		    "\"LinkedServiceReference\"}, \"annotations\": [], \"type\": \"Json\"}", i % ls);
	}
	for (int i = 0; i < nb; i++) {
		snprintf(name, sizeof(name), "nb%d", i);
		put(dir, "notebook", name,
		    "{\"nbformat\": 4, \"nbformat_minor\": 2, \"metadata\": {}, \"cells\": "
		    "[{\"cell_type\": \"code\", \"metadata\": {}, \"source\": [\"print(%d)\"], "
		    "\"outputs\": []}]}", i);
	}
	for (int i = 0; i < sq; i++) {
		snprintf(name, sizeof(name), "q%d", i);
		put(dir, "sqlscript", name,
		    "{\"content\": {\"query\": \"SELECT %d\", \"currentConnection\": "
		    "{\"databaseName\": \"master\", \"poolName\": \"Built-in\"}}, \"type\": "
		    "\"SqlQuery\"}", i);
	}
	for (int i = 0; i < pl; i++) {
		char previous[256] = "";
		if (i % CHAIN)
			snprintf(previous, sizeof(previous),
				 ", {\"name\": \"Run previous\", \"type\": \"ExecutePipeline\", "
				 "\"dependsOn\": [], \"typeProperties\": {\"pipeline\": "
				 "{\"referenceName\": \"p%d\", \"type\": \"PipelineReference\"}, "
				 "\"waitOnCompletion\": true}}", i - 1);
		snprintf(name, sizeof(name), "p%d", i);
		put(dir, "pipeline", name,
		    "{\"activities\": [{\"name\": \"Read\", \"type\": \"Lookup\", \"dependsOn\": [], "
		    "\"typeProperties\": {\"source\": {\"type\": \"JsonSource\"}, \"dataset\": "
		    "{\"referenceName\": \"ds%d\", \"type\": \"DatasetReference\"}}}, "
		    "{\"name\": \"Train\", \"type\": \"SynapseNotebook\", \"dependsOn\": [], "
		    "\"typeProperties\": {\"notebook\": {\"referenceName\": \"nb%d\", "
		    "\"type\": \"NotebookReference\"}}}%s], \"annotations\": []}",
		    i % ds, i % nb, previous);
	}
	for (int i = 0; i < tr; i++) {
		snprintf(name, sizeof(name), "t%d", i);
		put(dir, "trigger", name,
		    "{\"type\": \"ScheduleTrigger\", \"annotations\": [], \"runtimeState\": "
		    "\"Stopped\", \"pipelines\": [{\"pipelineReference\": {\"referenceName\": "
		    "\"p%d\", \"type\": \"PipelineReference\"}}], \"typeProperties\": "
		    "{\"recurrence\": {\"frequency\": \"Hour\", \"interval\": 1}}}",
		    (i * CHAIN + CHAIN - 1) % pl);
	}
	return ls + ds + nb + sq + pl + tr;
}

int main(int argc, char **argv)
{
	int artifacts = bench_arg(argc, argv, "--artifacts", 500);
	int parallelism = bench_arg(argc, argv, "--parallelism", 50);
	int latency = bench_arg(argc, argv, "--latency", 50);
	const char *emu_args[] = {"--throttle-scale", "100", "--retry-after", "0", "--lro-polls", "1", NULL};
	bench b;
	if (bench_start(&b, emu_args) != 0)
		return 1;
	/* Two stacks, a workspace each, made first without latency; then
	 * the same folder beside each. */
	static const char *const stacks[] = {"parallel", "sequential"};
	char dirs[2][4096];
	int written = -1;
	for (int i = 0; i < 2; i++) {
		snprintf(dirs[i], sizeof(dirs[i]), "%s/%s", b.dir, stacks[i]);
		mkdir(dirs[i], 0700);
		char ws[32];
		snprintf(ws, sizeof(ws), "synw-s%d", i);
		stackgen g = {.stack = stacks[i], .rg = "rg-bench-studio", .own_rg = i == 0,
			      .workspaces = 1, .ws_prefix = ws};
		stackgen_write(&g, dirs[i]);
		run_result r;
		const char *infra[] = {"apply", dirs[i], "--auto-approve", NULL};
		bench_azapply(&b, 0, &r, infra);
		run_result_free(&r);
		written = write_studio(dirs[i], artifacts);
		if (written < 0) {
			fprintf(stderr, "bench: cannot write the Studio folder\n");
			return 1;
		}
	}
	const char *par = dirs[0], *seq = dirs[1];
	run_result r;
	double t_par, t_seq;
	bench_apply_parallel_and_serial(&b, par, seq, parallelism, latency, &t_par, &t_seq);

	bench_clear_log(&b);
	const char *plan[] = {"plan", par, "--detailed-exitcode", NULL};
	double t_plan = bench_azapply(&b, 0, &r, plan);
	if (!strstr(r.out, "No changes")) {
		fprintf(stderr, "bench: the plan after apply has changes:\n%s", r.out);
		return 1;
	}
	run_result_free(&r);
	size_t gets = 0, writes = 0;
	size_t requests = bench_requests(&b, &gets, &writes);

	printf("Studio folder of %d artifacts (6 kinds, pipelines in chains of %d), "
	       "%d ms latency per request, 3 polls per operation:\n", written, CHAIN, latency);
	printf("  apply from nothing, parallelism %d: %.2f s\n", parallelism, t_par);
	printf("  apply from nothing, one at a time: %.2f s\n", t_seq);
	printf("  speed-up: %.1fx\n", t_seq / t_par);
	printf("  plan of the unchanged folder: %.2f s, %zu requests (%zu GET, %zu other)\n", t_plan,
	       requests, gets, writes);
	bench_stop(&b);
	return 0;
}
