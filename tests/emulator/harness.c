/*
 * harness.c - runs azapply-emulator as a child process for tests and
 * talks to it over HTTPS with libcurl, verifying the emulator's CA (so the
 * certificate chain and host names are exercised exactly as azapply will).
 * The binary's path comes from the build (AZAPPLY_EMULATOR_PATH).
 */
#include "harness.h"

#include <azapply/provider.h>

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

extern char **environ;

struct emu {
	pid_t pid;
	int port;
	char *base_url;
	char *cloud_config;
	char *ca_path;
	char *tenant_id;
	char *client_id;
	char *client_secret;
	char *subscription_id;
};

static int read_line(int fd, char *buf, size_t n)
{
	size_t len = 0;
	while (len + 1 < n) {
		char c;
		ssize_t got = read(fd, &c, 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return -1;
		if (c == '\n')
			break;
		buf[len++] = c;
	}
	buf[len] = '\0';
	return 0;
}

static char *json_str_dup(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));
	return az_xstrdup(v ? v : "");
}

pid_t emu_pid(const emu *e)
{
	return e->pid;
}

int emu_start(emu **out, const char *const *extra_args)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	*out = NULL;
	emu *e = az_xcalloc(1, sizeof(*e));
	int fds[2];
	char line1[512], line2[4096];
	json_t *creds = NULL;
	const char *argv[64];
	size_t argc = 0;
	argv[argc++] = AZAPPLY_EMULATOR_PATH;
	argv[argc++] = "--port";
	argv[argc++] = "0";
	for (size_t i = 0; extra_args && extra_args[i] && argc < 62; i++)
		argv[argc++] = extra_args[i];
	argv[argc] = NULL;

	if (pipe(fds))
		goto fail;
	pid_t parent = getpid();
	e->pid = fork();
	if (e->pid == 0) {
		/* A test that fails in its set-up never reaches its teardown: the
		 * emulator ends with the test, or ctest waits on its stderr. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(1);
		/* The emulator stands for Azure, whose CPUs are not azapply's. In
		 * azapply's session, Linux's autogroup scheduling weighed each of
		 * its connection threads (one per connection, 128 and more) against
		 * azapply's one: azapply got a fraction of a core, and a benchmark
		 * measured that (10k apply 6.2 s; 3.6-4.4 s in a session of its
		 * own). A session of its own is a scheduling group of its own. */
		setsid();
		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		close(fds[1]);
		execve(argv[0], (char *const *)(uintptr_t)argv, environ);
		fprintf(stderr, "emu_start: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	if (e->pid < 0) {
		close(fds[0]);
		fprintf(stderr, "emu_start: cannot fork: %s\n", strerror(errno));
		e->pid = 0;
		goto fail;
	}
	if (read_line(fds[0], line1, sizeof(line1)) || read_line(fds[0], line2, sizeof(line2)) ||
	    strncmp(line2, "cloud-config: ", 14)) {
		close(fds[0]);
		fprintf(stderr, "emu_start: the emulator did not start\n");
		goto fail;
	}
	close(fds[0]);
	e->base_url = az_xstrdup(line1);
	const char *colon = strrchr(line1, ':');
	e->port = colon ? atoi(colon + 1) : 0;
	e->cloud_config = az_xstrdup(line2 + 14);
	char *dir_end = strrchr(e->cloud_config, '/');
	e->ca_path = az_xasprintf("%.*s/ca.pem", (int)(dir_end - e->cloud_config), e->cloud_config);
	for (int i = 0; i < 100; i++) {
		if (emu_control(e, "GET", "credentials", NULL, &creds) == 200)
			break;
		struct timespec ts = {0, 50 * 1000000L};
		nanosleep(&ts, NULL);
	}
	if (!creds) {
		fprintf(stderr, "emu_start: the emulator does not answer\n");
		goto fail;
	}
	e->tenant_id = json_str_dup(creds, "tenantId");
	e->client_id = json_str_dup(creds, "clientId");
	e->client_secret = json_str_dup(creds, "clientSecret");
	e->subscription_id = json_str_dup(creds, "subscriptionId");
	json_decref(creds);
	*out = e;
	return 0;
fail:
	emu_stop(e);
	return -1;
}

int emu_stop(emu *e)
{
	if (!e)
		return 0;
	int status = 0, rc = 0;
	if (e->pid > 0) {
		kill(e->pid, SIGTERM);
		while (waitpid(e->pid, &status, 0) < 0 && errno == EINTR)
			;
		rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	}
	free(e->base_url);
	free(e->cloud_config);
	free(e->ca_path);
	free(e->tenant_id);
	free(e->client_id);
	free(e->client_secret);
	free(e->subscription_id);
	free(e);
	return rc;
}

const char *emu_base_url(const emu *e)
{
	return e->base_url;
}

const char *emu_cloud_config(const emu *e)
{
	return e->cloud_config;
}

const char *emu_ca_path(const emu *e)
{
	return e->ca_path;
}

int emu_port(const emu *e)
{
	return e->port;
}

const char *emu_tenant_id(const emu *e)
{
	return e->tenant_id;
}

const char *emu_client_id(const emu *e)
{
	return e->client_id;
}

const char *emu_client_secret(const emu *e)
{
	return e->client_secret;
}

const char *emu_subscription_id(const emu *e)
{
	return e->subscription_id;
}

static size_t collect(char *data, size_t size, size_t n, void *userp)
{
	az_buf_add(userp, data, size * n);
	return size * n;
}

char *emu_response_header(const emu_response *r, const char *name)
{
	size_t nl = strlen(name);
	const char *p = r->headers;
	char *found = NULL;
	while (p && *p) {
		const char *eol = strstr(p, "\r\n");
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		if (len > nl && !strncasecmp(p, name, nl) && p[nl] == ':') {
			const char *v = p + nl + 1;
			while (*v == ' ')
				v++;
			free(found);
			found = az_xstrndup(v, len - (size_t)(v - p));
		}
		p = eol ? eol + 2 : p + len;
	}
	return found;
}

void emu_response_free(emu_response *r)
{
	if (!r)
		return;
	free(r->body);
	free(r->headers);
	json_decref(r->json);
	memset(r, 0, sizeof(*r));
}

int emu_http(emu *e, emu_response *out, const char *method, const char *url,
	     const char *const *headers, const char *body, size_t body_len)
{
	memset(out, 0, sizeof(*out));
	az_buf resp = AZ_BUF_INIT, hdrs = AZ_BUF_INIT;
	char *full = url[0] == '/' ? az_xasprintf("https://management.localhost:%d%s", e->port, url)
				   : az_xstrdup(url);
	CURL *c = curl_easy_init();
	struct curl_slist *list = NULL;
	for (size_t i = 0; headers && headers[i]; i++)
		list = curl_slist_append(list, headers[i]);
	if (body && !(headers && headers[0]))
		list = curl_slist_append(list, "Content-Type: application/json");
	list = curl_slist_append(list, "Expect:");
	curl_easy_setopt(c, CURLOPT_URL, full);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_CAINFO, e->ca_path);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &hdrs);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (!strcmp(method, "HEAD"))
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)body_len);
	}
	CURLcode rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
	curl_slist_free_all(list);
	curl_easy_cleanup(c);
	free(full);
	out->body_len = resp.len;
	out->body = az_buf_detach(&resp);
	out->headers = az_buf_detach(&hdrs);
	if (out->body_len)
		out->json = json_loadb(out->body, out->body_len, JSON_DECODE_ANY, NULL);
	return rc == CURLE_OK ? 0 : -1;
}

int emu_control(emu *e, const char *method, const char *path, const char *json_body,
		json_t **response)
{
	if (response)
		*response = NULL;
	char *url = az_xasprintf("https://localhost:%d/_emulator/%s", e->port, path);
	emu_response r;
	int rc = emu_http(e, &r, method, url, NULL, json_body, json_body ? strlen(json_body) : 0);
	free(url);
	int status = rc ? -1 : (int)r.status;
	if (response && r.json)
		*response = json_incref(r.json);
	emu_response_free(&r);
	return status;
}

static char *form_escape(const char *s)
{
	CURL *c = curl_easy_init();
	char *esc = curl_easy_escape(c, s, 0);
	char *copy = az_xstrdup(esc ? esc : "");
	curl_free(esc);
	curl_easy_cleanup(c);
	return copy;
}

char *emu_token(emu *e, const char *scope)
{
	char *url = az_xasprintf("https://login.localhost:%d/%s/oauth2/v2.0/token", e->port,
				 e->tenant_id);
	char *secret = form_escape(e->client_secret), *sc = form_escape(scope);
	char *body = az_xasprintf("grant_type=client_credentials&client_id=%s&client_secret=%s"
				  "&scope=%s",
				  e->client_id, secret, sc);
	const char *headers[] = {"Content-Type: application/x-www-form-urlencoded", NULL};
	emu_response r;
	char *token = NULL;
	if (!emu_http(e, &r, "POST", url, headers, body, strlen(body)) && r.status == 200) {
		const char *t = json_string_value(json_object_get(r.json, "access_token"));
		token = t ? az_xstrdup(t) : NULL;
	}
	emu_response_free(&r);
	free(url);
	free(secret);
	free(sc);
	free(body);
	return token;
}

char **emu_env(const emu *e, char *const *base)
{
	static const char *const names[] = {"AZURE_TENANT_ID=", "AZURE_CLIENT_ID=",
					    "AZURE_CLIENT_SECRET=", "AZAPPLY_CLOUD_CONFIG="};
	size_t n = 0;
	while (base && base[n])
		n++;
	char **env = az_xcalloc(n + 5, sizeof(char *));
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		bool replaced = false;
		for (size_t j = 0; j < 4; j++)
			if (!strncmp(base[i], names[j], strlen(names[j])))
				replaced = true;
		if (!replaced)
			env[k++] = az_xstrdup(base[i]);
	}
	env[k++] = az_xasprintf("AZURE_TENANT_ID=%s", e->tenant_id);
	env[k++] = az_xasprintf("AZURE_CLIENT_ID=%s", e->client_id);
	env[k++] = az_xasprintf("AZURE_CLIENT_SECRET=%s", e->client_secret);
	env[k++] = az_xasprintf("AZAPPLY_CLOUD_CONFIG=%s", e->cloud_config);
	env[k] = NULL;
	return env;
}

void emu_env_free(char **env)
{
	for (size_t i = 0; env && env[i]; i++)
		free(env[i]);
	free(env);
}
