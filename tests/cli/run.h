/*
 * run.h - runs the azapply binary as a user would, for behaviour tests:
 * arguments, extra environment, captured stdout/stderr and the exit code.
 */
#ifndef AZAPPLY_TEST_RUN_H
#define AZAPPLY_TEST_RUN_H

#include <sys/resource.h>

typedef struct run_result {
	int exit_code; /* -1 when killed by a signal */
	char *out;
	char *err;
	struct rusage usage; /* CPU time and peak memory of the child */
} run_result;

/* Runs `binary` with argv (NULL-terminated, without argv[0]) in `cwd`
 * (NULL = current), with `env` entries ("K=V", NULL-terminated) added to
 * the environment. Returns 0 or -1 if it could not be started. */
int run_command(run_result *r, const char *binary, const char *const *argv,
		const char *const *env, const char *cwd);
void run_result_free(run_result *r);

#endif
