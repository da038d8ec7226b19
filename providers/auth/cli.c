/*
 * cli.c - tokens from the Azure CLI, for developers who ran `az login`.
 *
 * `az account get-access-token --output json --resource R [--tenant T]` is
 * run with fork/execvp (never a shell: no quoting of user input), its output
 * read under a timeout, and the child killed if it hangs. `expires_on` (POSIX
 * seconds, newer CLIs) is preferred over `expiresOn` (local time text).
 */
#include "auth/auth.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads both pipes until EOF or the deadline; false on timeout. */
static bool drain(int out_fd, int err_fd, az_buf *out, az_buf *err, int64_t deadline)
{
	struct pollfd p[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
	az_buf *dst[2] = {out, err};
	int open_fds = 2;
	while (open_fds > 0) {
		int64_t left = deadline - mono_ms();
		if (left <= 0)
			return false;
		int n = poll(p, 2, (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n == 0 ? false : true;
		for (int i = 0; i < 2; i++) {
			if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			char chunk[4096];
			ssize_t r = read(p[i].fd, chunk, sizeof(chunk));
			if (r > 0 && dst[i]->len < (1u << 20)) {
				az_buf_add(dst[i], chunk, (size_t)r);
			} else if (r <= 0 && !(r < 0 && errno == EINTR)) {
				p[i].fd = -1;
				open_fds--;
			}
		}
	}
	return true;
}

static int64_t parse_expires_on_text(const char *s)
{
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%d-%d-%d %d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
	           &tm.tm_min, &tm.tm_sec) != 6)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	tm.tm_isdst = -1;
	time_t t = mktime(&tm); /* the CLI writes local time */
	return t == (time_t)-1 ? -1 : (int64_t)t * 1000;
}

/* The first line of the CLI's error output, for the diagnostic. */
static char *first_line(const az_buf *b)
{
	if (!b->data || !b->len)
		return az_xstrdup("no output");
	const char *s = b->data;
	while (*s == '\n' || *s == ' ')
		s++;
	return az_xstrndup(s, strcspn(s, "\r\n"));
}

int az_cli_get_token(char **token, int64_t *expires_on_ms, const char *resource, const char *tenant,
                     int timeout_s, az_diags *d)
{
	int error = 0;
	int out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1};
	az_buf out = AZ_BUF_INIT, err = AZ_BUF_INIT;
	json_t *root = NULL;
	pid_t pid = -1;
	char *argv[] = {
	    "az", "account", "get-access-token", "--output", "json", "--resource", NULL, NULL,
	    NULL, NULL};
	argv[6] = az_xstrdup(resource);
	if (tenant && *tenant) {
		argv[7] = "--tenant";
		argv[8] = az_xstrdup(tenant);
	}
	if (pipe(out_pipe) != 0 || pipe(err_pipe) != 0) {
		az_diag_add(d, AZ_SEV_ERROR, NULL, NULL, "azure cli: cannot create a pipe");
		error = AZ_ERROR;
		goto done;
	}
	pid = fork();
	if (pid < 0) {
		az_diag_add(d, AZ_SEV_ERROR, NULL, NULL, "azure cli: cannot fork");
		error = AZ_ERROR;
		goto done;
	}
	if (pid == 0) {
		dup2(out_pipe[1], 1);
		dup2(err_pipe[1], 2);
		close(out_pipe[0]);
		close(err_pipe[0]);
		close(out_pipe[1]);
		close(err_pipe[1]);
		int devnull = open("/dev/null", O_RDONLY);
		if (devnull >= 0)
			dup2(devnull, 0);
		execvp("az", argv);
		_exit(127);
	}
	close(out_pipe[1]);
	close(err_pipe[1]);
	out_pipe[1] = err_pipe[1] = -1;
	int64_t deadline = mono_ms() + (int64_t)(timeout_s > 0 ? timeout_s : 30) * 1000;
	bool finished = drain(out_pipe[0], err_pipe[0], &out, &err, deadline);
	if (!finished)
		kill(pid, SIGKILL);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!finished) {
		az_diag_add(d, AZ_SEV_ERROR, NULL, NULL,
		            "azure cli: az account get-access-token timed out after %d s",
		            timeout_s > 0 ? timeout_s : 30);
		error = AZ_ENOTFOUND;
		goto done;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
		az_diag_add(d, AZ_SEV_ERROR, NULL, NULL, "azure cli: az was not found on PATH");
		error = AZ_ENOTFOUND;
		goto done;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char *line = first_line(&err);
		az_diag *diag =
		    az_diag_add(d, AZ_SEV_ERROR, NULL, NULL,
		                "azure cli: az account get-access-token failed: %s", line);
		az_diag_set_detail(diag, "run `az login`%s%s", tenant ? " --tenant " : "",
		                   tenant ? tenant : "");
		free(line);
		error = AZ_ENOTFOUND;
		goto done;
	}
	root = az_json_loadb(out.data ? out.data : "", out.len, 0, NULL);
	const char *tok = json_string_value(json_object_get(root, "accessToken"));
	json_t *eo = json_object_get(root, "expires_on");
	int64_t exp = -1;
	if (json_is_integer(eo))
		exp = (int64_t)json_integer_value(eo) * 1000;
	else if (json_is_string(eo))
		exp = (int64_t)strtoll(json_string_value(eo), NULL, 10) * 1000;
	if (exp <= 0) {
		const char *text = json_string_value(json_object_get(root, "expiresOn"));
		exp = text ? parse_expires_on_text(text) : -1;
	}
	if (!tok || exp <= 0) {
		az_diag_add(d, AZ_SEV_ERROR, NULL, NULL,
		            "azure cli: the answer of az account get-access-token has no "
		            "accessToken and expiry");
		error = AZ_ENOTFOUND;
		goto done;
	}
	*token = az_xstrdup(tok);
	*expires_on_ms = exp;
done:
	for (int i = 0; i < 2; i++) {
		if (out_pipe[i] >= 0)
			close(out_pipe[i]);
		if (err_pipe[i] >= 0)
			close(err_pipe[i]);
	}
	if (out.data)
		memset(out.data, 0, out.len);
	az_buf_free(&out);
	az_buf_free(&err);
	json_decref(root);
	free(argv[6]);
	free(argv[8]);
	return error;
}
