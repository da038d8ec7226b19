/*
 * bench_vars.c - expressions in one long string: N copies of ${var.env}
 * in one manifest value, loaded and resolved (az_manifests_load and
 * az_manifests_resolve_vars), then the whole validate path
 * (az_stack_load: variables, schemas, graph).
 *
 * The hardening issue measured 0.4 s for 10k expressions, 9.3 s for 50k
 * and no end within 120 s for 200k: every expression's column was found by
 * rescanning the string from its start. Prints figures only; a timing
 * assert on a shared machine would be flaky.
 *
 * usage: bench_vars [N...]   (default 10000 50000 200000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <azapply/manifest.h>
#include <azapply/planner.h>

#include "run.h"

static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int write_file(const char *dir, const char *name, const char *text)
{
	char *path = az_xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	free(path);
	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

/* A resource group whose one tag holds `n` expressions. */
static int write_stack(const char *dir, long n)
{
	az_buf b = AZ_BUF_INIT;
	az_buf_puts(&b, "apiVersion: azapply.dev/v1\nkind: ResourceGroup\nmetadata:\n"
	                "  name: rg\nspec:\n  location: westeurope\n  tags:\n    long: \"");
	for (long i = 0; i < n; i++)
		az_buf_puts(&b, "${var.env}");
	az_buf_puts(&b, "\"\n");
	int rc = write_file(dir, "azapply.yaml", "stack: bench\nvariables:\n  env: dev\n") ||
	         write_file(dir, "rg.yaml", b.data);
	az_buf_free(&b);
	return rc;
}

static int run(long n)
{
	char *dir = test_tempdir("azapply-bench-vars");
	az_file_source src = {0};
	az_manifest_set *set = NULL;
	az_stack *stack = NULL;
	az_diags d = AZ_DIAGS_INIT;
	int rc = -1;
	if (!dir || write_stack(dir, n) || az_file_source_dir(&src, dir, &d))
		goto done;
	double t0 = cpu_now();
	if (az_manifests_load(&set, &src, NULL, &d))
		goto done;
	double t1 = cpu_now();
	if (az_manifests_resolve_vars(set, NULL, NULL, NULL, &d))
		goto done;
	double t2 = cpu_now();
	az_stack_load(&stack, &src, NULL, &d); /* the tag is too long for the schema */
	double t3 = cpu_now();
	printf("%7ld expressions: load %.3f s, variables %.3f s, validate %.3f s CPU\n", n, t1 - t0,
	       t2 - t1, t3 - t2);
	rc = 0;
done:
	if (rc)
		fprintf(stderr, "bench_vars: %s\n", d.len ? d.items[0].summary : "cannot set up");
	az_stack_free(stack);
	az_manifest_set_free(set);
	az_file_source_free(&src);
	az_diags_clear(&d);
	if (dir)
		test_remove_tree(dir);
	free(dir);
	return rc;
}

int main(int argc, char **argv)
{
	static const long defaults[] = {10000, 50000, 200000};
	int rc = 0;
	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			rc |= run(strtol(argv[i], NULL, 10));
	} else {
		for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
			rc |= run(defaults[i]);
	}
	az_planner_release();
	return rc ? 1 : 0;
}
