/*
 * bench_offline.c - the CPU of what a plan does offline, in one process:
 * load, schema checks, variables and graph (az_stack_load), then a diff of
 * every resource's body against a live body equal to it (what a plan of an
 * applied stack compares) and against nothing (creates). No network, so
 * the figure is the planner's own cost. Target (issue: planner): under
 * 0.5 s of CPU for load + validate + graph + diff of 10,000 resources.
 *
 * Usage: bench_offline [--workspaces N] [--components]
 * (--components: the same resources from one component instantiated per
 * workspace, so loading includes expanding the instances)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <azapply/diff.h>
#include <azapply/planner.h>

#include "run.h"
#include "stackgen.h"

static double cpu_now(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
	int workspaces = 100, components = 0;
	for (int i = 1; i < argc; i++) {
		if (i + 1 < argc && strcmp(argv[i], "--workspaces") == 0)
			workspaces = atoi(argv[i + 1]);
		if (strcmp(argv[i], "--components") == 0)
			components = 1;
	}
	char *dir = test_tempdir("azapply-bench-offline");
	if (!dir)
		return 1;
	stackgen g = {.stack = "offline", .rg = "rg-offline", .own_rg = 1, .workspaces = workspaces,
		      .pools = 10, .rules = 9, .linked_services = 20, .notebooks = 20,
		      .pipelines = 20, .scripts = 20, .ws_prefix = "synw-offline",
		      .components = components};
	int resources = stackgen_write(&g, dir);

	double t0 = cpu_now();
	az_diags d = AZ_DIAGS_INIT;
	az_file_source src;
	az_stack *stack = NULL;
	if (az_file_source_dir(&src, dir, &d) != 0 || az_stack_load(&stack, &src, NULL, &d) != 0) {
		fprintf(stderr, "bench: the generated stack does not load\n");
		return 1;
	}
	double t1 = cpu_now();
	size_t changes = 0;
	for (size_t i = 0; i < stack->len; i++) {
		const az_resource *r = &stack->resources[i];
		json_t *spec = json_object_get(r->manifest->body, "spec");
		az_diff same = {0}, create = {0};
		az_diff_compute(&same, r->kind, spec, spec, NULL);
		az_diff_compute(&create, r->kind, spec, NULL, NULL);
		changes += same.len + create.len;
		az_diff_clear(&same);
		az_diff_clear(&create);
	}
	double t2 = cpu_now();
	printf("stack: %d resources%s\n", resources,
	       components ? ", one component instantiated per workspace" : "");
	printf("  load + validate + graph: %.3f s CPU\n", t1 - t0);
	printf("  diff (settled and create, every resource): %.3f s CPU (%zu changes)\n", t2 - t1,
	       changes);
	printf("  total: %.3f s CPU (target < 0.5 s: %s)\n", t2 - t0, t2 - t0 < 0.5 ? "met" : "MISSED");
	az_stack_free(stack);
	az_file_source_free(&src);
	az_diags_clear(&d);
	az_planner_release();
	test_remove_tree(dir);
	free(dir);
	return 0;
}
