/*
 * run.h - runs the azapply binary as a user would, for behaviour tests:
 * arguments, extra environment, captured stdout/stderr and the exit code.
 */
#ifndef AZAPPLY_TEST_RUN_H
#define AZAPPLY_TEST_RUN_H

#include <sys/resource.h>

typedef struct run_result {
	int exit_code; /* -1 when killed by a signal */
	int signal;    /* the signal that ended the child, else 0 */
	int timed_out; /* killed for outliving run_command_bounded's limit */
	char *out;
	char *err;
	struct rusage usage; /* CPU time and peak memory of the child */
} run_result;

/* Runs `binary` with argv (NULL-terminated, without argv[0]) in `cwd`
 * (NULL = current), with `env` entries ("K=V", NULL-terminated) added to
 * the environment. Returns 0 or -1 if it could not be started. */
int run_command(run_result *r, const char *binary, const char *const *argv,
		const char *const *env, const char *cwd);
/* The same, with the child killed (SIGKILL) after `seconds` (0 = never),
 * for tests where a hang is one of the failures looked for. */
int run_command_bounded(run_result *r, const char *binary, const char *const *argv,
			const char *const *env, const char *cwd, int seconds);
void run_result_free(run_result *r);

/* `base` (NULL-terminated, e.g. the emulator's environment) followed by
 * the "K=V" entries given, up to a NULL. The caller frees the array only. */
const char **test_env_with(char *const *base, ...);

/* A new private directory under $TMPDIR (else the system's temporary
 * directory), named "<prefix>-XXXXXX"; NULL on failure. Caller frees. */
char *test_tempdir(const char *prefix);
/* Copies the tree `from` to `to` (which must not exist); 0 on success. */
int test_copy_tree(const char *from, const char *to);
/* Removes a tree; missing is fine. */
void test_remove_tree(const char *dir);
/* The whole of a file as a string, or NULL. Caller frees. */
char *test_read_file(const char *path);

#endif
