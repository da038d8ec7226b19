/*
 * run.c - fork/exec with both output streams captured through pipes, read
 * with poll so neither can fill up and block the child, and a time limit
 * for the tests that look for hangs.
 */
/* wait4 (BSD) gives the child's own resource usage. */
#define _DEFAULT_SOURCE
#include "run.h"

#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void append(char **buf, size_t *len, const char *data, size_t n)
{
	*buf = realloc(*buf, *len + n + 1);
	if (!*buf)
		abort();
	memcpy(*buf + *len, data, n);
	*len += n;
	(*buf)[*len] = '\0';
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int run_command(run_result *r, const char *binary, const char *const *argv,
		const char *const *env, const char *cwd)
{
	return run_command_bounded(r, binary, argv, env, cwd, 0);
}

int run_command_bounded(run_result *r, const char *binary, const char *const *argv,
			const char *const *env, const char *cwd, int seconds)
{
	memset(r, 0, sizeof(*r));
	int out[2], err[2];
	if (pipe(out) != 0 || pipe(err) != 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(out[1], 1);
		dup2(err[1], 2);
		close(out[0]);
		close(err[0]);
		close(out[1]);
		close(err[1]);
		if (cwd && chdir(cwd) != 0)
			_exit(127);
		for (size_t i = 0; env && env[i]; i++) {
			const char *eq = strchr(env[i], '=');
			if (!eq)
				continue;
			char *name = strndup(env[i], (size_t)(eq - env[i]));
			setenv(name, eq + 1, 1);
			free(name);
		}
		size_t n = 0;
		while (argv && argv[n])
			n++;
		char **args = calloc(n + 2, sizeof(char *));
		args[0] = (char *)(uintptr_t)binary;
		for (size_t i = 0; i < n; i++)
			args[i + 1] = (char *)(uintptr_t)argv[i];
		execv(binary, args);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	size_t out_len = 0, err_len = 0;
	append(&r->out, &out_len, "", 0);
	append(&r->err, &err_len, "", 0);
	struct pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
	int open_fds = 2;
	long long deadline = seconds > 0 ? now_ms() + seconds * 1000LL : 0;
	while (open_fds > 0) {
		int wait = -1;
		if (deadline && !r->timed_out) {
			long long left = deadline - now_ms();
			if (left <= 0) {
				/* Its pipes close as it dies, which ends this loop. */
				kill(pid, SIGKILL);
				r->timed_out = 1;
			} else {
				wait = (int)left;
			}
		}
		int ready = poll(fds, 2, wait);
		if (ready < 0)
			break;
		if (ready == 0)
			continue;
		for (int i = 0; i < 2; i++) {
			if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP)))
				continue;
			char chunk[4096];
			ssize_t got = read(fds[i].fd, chunk, sizeof(chunk));
			if (got <= 0) {
				close(fds[i].fd);
				fds[i].fd = -1;
				open_fds--;
				continue;
			}
			if (i == 0)
				append(&r->out, &out_len, chunk, (size_t)got);
			else
				append(&r->err, &err_len, chunk, (size_t)got);
		}
	}
	int status;
	wait4(pid, &status, 0, &r->usage);
	r->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	r->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	return 0;
}

void run_result_free(run_result *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

char *test_tempdir(const char *prefix)
{
	const char *base = getenv("TMPDIR");
	if (!base || !*base)
		base = P_tmpdir;
	size_t n = strlen(base) + strlen(prefix) + 9;
	char *dir = malloc(n);
	if (!dir)
		abort();
	snprintf(dir, n, "%s/%s-XXXXXX", base, prefix);
	if (!mkdtemp(dir)) {
		free(dir);
		return NULL;
	}
	return dir;
}

int test_copy_tree(const char *from, const char *to)
{
	run_result r;
	const char *argv[] = {"-r", from, to, NULL};
	int rc = run_command(&r, "/bin/cp", argv, NULL, NULL);
	rc = rc == 0 && r.exit_code == 0 ? 0 : -1;
	run_result_free(&r);
	return rc;
}

void test_remove_tree(const char *dir)
{
	run_result r;
	const char *argv[] = {"-rf", dir, NULL};
	run_command(&r, "/bin/rm", argv, NULL, NULL);
	run_result_free(&r);
}

const char **test_env_with(char *const *base, ...)
{
	size_t n = 0, extra = 0;
	while (base && base[n])
		n++;
	va_list ap;
	va_start(ap, base);
	while (va_arg(ap, const char *))
		extra++;
	va_end(ap);
	const char **env = calloc(n + extra + 1, sizeof(char *));
	if (!env)
		abort();
	for (size_t i = 0; i < n; i++)
		env[i] = base[i];
	va_start(ap, base);
	for (size_t i = 0; i < extra; i++)
		env[n + i] = va_arg(ap, const char *);
	va_end(ap);
	return env;
}

char *test_read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *s = n >= 0 ? calloc(1, (size_t)n + 1) : NULL;
	if (s && fread(s, 1, (size_t)n, f) != (size_t)n)
		s[0] = '\0';
	fclose(f);
	return s;
}
