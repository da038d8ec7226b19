/*
 * bench_git.c - loading a 1000-resource stack from disk and from a git
 * revision (--git-ref), side by side.
 *
 * It writes the stack into a temporary repository, commits it with
 * libgit2, and times az_stack_load over the directory source and over the
 * tree source, several rounds each, and prints the median and the spread
 * (the best round alone flatters). Prints figures only: timing asserts on a
 * shared machine would be flaky.
 *
 * usage: bench_git [RESOURCES [ROUNDS]]   (default 1000 and 5)
 */
/* nftw() is an XSI extension to POSIX. */
#define _XOPEN_SOURCE 700

#include <ftw.h>
#include <git2.h>

#include "run.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <azapply/git.h>
#include <azapply/planner.h>

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

/* One folder per 100 resources, one resource group and one storage
 * account per file pair, as a large platform repository is laid out. */
static int write_stack(const char *root, int resources)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/azapply.yaml", root);
	if (write_file(path, "stack: bench\nlocation: westeurope\nsubscription: "
			     "00000000-0000-0000-0000-000000000000\nvariables:\n  env: bench\n"))
		return -1;
	for (int i = 0; i < resources; i++) {
		snprintf(path, sizeof(path), "%s/team%02d", root, i / 100);
		if (i % 100 == 0 && mkdir(path, 0700) != 0)
			return -1;
		char body[1024];
		snprintf(path, sizeof(path), "%s/team%02d/rg-%04d.yaml", root, i / 100, i);
		snprintf(body, sizeof(body),
			 "apiVersion: azapply.dev/v1\nkind: ResourceGroup\nmetadata:\n  name: rg%04d\n"
			 "  labels: {team: team%02d}\nspec:\n  name: rg-bench-%04d-${var.env}\n"
			 "  location: westeurope\n  tags:\n    environment: ${var.env}\n"
			 "    costCenter: data-platform\n    owner: team%02d\n",
			 i, i / 100, i, i / 100);
		if (write_file(path, body))
			return -1;
	}
	return 0;
}

static int commit_all(git_repository *repo)
{
	git_index *index = NULL;
	git_tree *tree = NULL;
	git_signature *sig = NULL;
	git_oid tree_id, commit_id;
	char *all[] = {"*"};
	git_strarray spec = {all, 1};
	int rc = -1;
	if (git_repository_index(&index, repo) || git_index_add_all(index, &spec, 0, NULL, NULL) ||
	    git_index_write(index) || git_index_write_tree(&tree_id, index) ||
	    git_tree_lookup(&tree, repo, &tree_id) ||
	    git_signature_new(&sig, "Bench", "bench@example.com", 1700000000, 0) ||
	    git_commit_create(&commit_id, repo, "HEAD", sig, sig, NULL, "stack", tree, 0, NULL))
		goto done;
	rc = 0;
done:
	git_signature_free(sig);
	git_tree_free(tree);
	git_index_free(index);
	return rc;
}

/* Seconds for one load, or a negative number on failure. */
static double load_once(const char *root, const char *ref, size_t *resources)
{
	az_diags d = AZ_DIAGS_INIT;
	az_file_source src = {0};
	az_stack *stack = NULL;
	double t0 = now();
	int rc;
	if (ref) {
		az_git_source_options o = {.repo = root, .ref = ref};
		rc = az_git_source_open(&src, NULL, &o, &d);
	} else {
		rc = az_file_source_dir(&src, root, &d);
	}
	az_stack_options opts = {.env = NULL};
	if (rc == 0)
		rc = az_stack_load(&stack, &src, &opts, &d);
	double t = now() - t0;
	if (rc != 0 && d.len)
		fprintf(stderr, "bench_git: %s\n", d.items[0].summary);
	*resources = stack ? stack->len : 0;
	az_stack_free(stack);
	az_file_source_free(&src);
	az_diags_clear(&d);
	return rc == 0 ? t : -1;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	int resources = argc > 1 ? atoi(argv[1]) : 1000;
	int rounds = argc > 2 ? atoi(argv[2]) : 5;
	char *root = test_tempdir("azapply-bench-git");
	git_repository *repo = NULL;
	int rc = 1;

	if (resources <= 0 || rounds <= 0 || !root)
		return 1;
	git_libgit2_init();
	if (git_repository_init(&repo, root, 0) || write_stack(root, resources) ||
	    commit_all(repo)) {
		fprintf(stderr, "bench_git: cannot build the repository\n");
		goto done;
	}
	double *dir_s = calloc((size_t)rounds, sizeof(double));
	double *git_s = calloc((size_t)rounds, sizeof(double));
	size_t loaded_dir = 0, loaded_git = 0;
	/* Alternate, so neither side gets all the warm caches. */
	for (int i = 0; i < rounds; i++) {
		dir_s[i] = load_once(root, NULL, &loaded_dir);
		git_s[i] = load_once(root, "HEAD", &loaded_git);
		if (dir_s[i] < 0 || git_s[i] < 0) {
			free(dir_s);
			free(git_s);
			goto done;
		}
	}
	qsort(dir_s, (size_t)rounds, sizeof(double), by_value);
	qsort(git_s, (size_t)rounds, sizeof(double), by_value);
	double med_dir = dir_s[rounds / 2], med_git = git_s[rounds / 2];
	printf("stack of %zu resources in %d files, median of %d rounds (fastest-slowest)\n",
	       loaded_dir, resources + 1, rounds);
	printf("from disk:         %8.1f ms (%.1f-%.1f)\n", med_dir * 1000, dir_s[0] * 1000,
	       dir_s[rounds - 1] * 1000);
	printf("from git (HEAD):   %8.1f ms (%.1f-%.1f) (%zu resources)\n", med_git * 1000,
	       git_s[0] * 1000, git_s[rounds - 1] * 1000, loaded_git);
	printf("git / disk:        %8.2f\n", med_git / med_dir);
	free(dir_s);
	free(git_s);
	rc = loaded_dir == loaded_git ? 0 : 1;
done:
	git_repository_free(repo);
	git_libgit2_shutdown();
	az_planner_release();
	if (nftw(root, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
		rc = 1;
	free(root);
	return rc;
}
