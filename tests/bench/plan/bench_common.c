/*
 * bench_common.c - see bench_common.h.
 */
#include "bench_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/auth.h"
#include "cloud/cloud.h"
#include "http/http.h"

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int bench_start(bench *b, const char *const *emulator_args)
{
	memset(b, 0, sizeof(*b));
	if (emu_start(&b->e, emulator_args) != 0)
		return -1;
	char *const none[] = {NULL};
	b->env = emu_env(b->e, none);
	char *dir = test_tempdir("azapply-bench");
	if (!dir)
		return -1;
	snprintf(b->dir, sizeof(b->dir), "%s", dir);
	free(dir);
	return 0;
}

int bench_restart_emulator(bench *b, const char *const *emulator_args)
{
	emu_env_free(b->env);
	emu_stop(b->e);
	b->env = NULL;
	if (emu_start(&b->e, emulator_args) != 0)
		return -1;
	char *const none[] = {NULL};
	b->env = emu_env(b->e, none);
	return 0;
}

void bench_stop(bench *b)
{
	test_remove_tree(b->dir);
	emu_env_free(b->env);
	emu_stop(b->e);
}

double bench_azapply(bench *b, int want, run_result *r, const char *const *argv)
{
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* BENCH_PERF=DIR records each run's profile as DIR/perf-N-COMMAND.data,
	 * so the profile is of exactly what the figure measures. */
	const char *command = argv[0];
	const char *perf_dir = getenv("BENCH_PERF");
	static int run_number;
	run_number++;
	const char *wrapped[16];
	const char *binary = AZAPPLY_BINARY;
	char out[600];
	if (perf_dir && *perf_dir) {
		snprintf(out, sizeof(out), "%s/perf-%d-%s.data", perf_dir, run_number, argv[0]);
		size_t k = 0;
		const char *pre[] = {"record", "-q", "-g", "-F", "1999", "-o", out, "--",
				     AZAPPLY_BINARY};
		for (size_t i = 0; i < sizeof(pre) / sizeof(pre[0]); i++)
			wrapped[k++] = pre[i];
		for (size_t i = 0; argv[i] && k + 1 < sizeof(wrapped) / sizeof(wrapped[0]); i++)
			wrapped[k++] = argv[i];
		wrapped[k] = NULL;
		argv = wrapped;
		binary = "/usr/bin/perf";
	}
	if (run_command(r, binary, argv, (const char *const *)b->env, NULL) != 0) {
		fprintf(stderr, "bench: cannot run azapply\n");
		exit(1);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (r->exit_code != want) {
		fprintf(stderr, "bench: azapply %s exited %d (wanted %d)\n%s\n%s\n", command,
			r->exit_code, want, r->out, r->err);
		exit(1);
	}
	return (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
}

size_t bench_requests(bench *b, size_t *gets, size_t *writes)
{
	json_t *log = NULL;
	emu_control(b->e, "GET", "log", NULL, &log);
	size_t n = 0, g = 0, w = 0, i;
	json_t *req;
	json_array_foreach(json_object_get(log, "requests"), i, req) {
		const char *host = json_string_value(json_object_get(req, "host"));
		const char *path = json_string_value(json_object_get(req, "path"));
		const char *method = json_string_value(json_object_get(req, "method"));
		if (!host || !path || !method || strncmp(host, "login.", 6) == 0 ||
		    strncmp(path, "/_emulator", 10) == 0)
			continue;
		n++;
		if (strcmp(method, "GET") == 0)
			g++;
		else
			w++;
	}
	json_decref(log);
	if (gets)
		*gets = g;
	if (writes)
		*writes = w;
	return n;
}

void bench_clear_log(bench *b)
{
	emu_control(b->e, "DELETE", "log", NULL, NULL);
}

int bench_arg(int argc, char **argv, const char *name, int fallback)
{
	for (int i = 1; i + 1 < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return atoi(argv[i + 1]);
	return fallback;
}

void bench_settings(bench *b, const char *json)
{
	if (emu_control(b->e, "PUT", "settings", json, NULL) != 200) {
		fprintf(stderr, "bench: emulator settings %s refused\n", json);
		exit(1);
	}
}

double bench_emulator_cpu(bench *b)
{
	json_t *u = NULL;
	json_t *ms = NULL;
	if (emu_control(b->e, "GET", "usage", NULL, &u) != 200 ||
	    !json_is_integer(ms = json_object_get(u, "cpuMs"))) {
		fprintf(stderr, "bench: the emulator does not tell its CPU (GET /_emulator/usage)\n");
		exit(1);
	}
	double seconds = (double)json_integer_value(ms) / 1000.0;
	json_decref(u);
	return seconds;
}

void bench_apply_parallel_and_serial(bench *b, const char *par, const char *seq, int parallelism,
				     int latency_ms, double *t_par, double *t_seq)
{
	char settings[96];
	snprintf(settings, sizeof(settings), "{\"latencyMs\":%d,\"lroPolls\":3}", latency_ms);
	bench_settings(b, settings);
	char p[16];
	snprintf(p, sizeof(p), "%d", parallelism);
	run_result r;
	const char *apply_par[] = {"apply", par, "--auto-approve", "--parallelism", p, NULL};
	*t_par = bench_azapply(b, 0, &r, apply_par);
	run_result_free(&r);
	const char *apply_seq[] = {"apply", seq, "--auto-approve", "--parallelism", "1", NULL};
	*t_seq = bench_azapply(b, 0, &r, apply_seq);
	run_result_free(&r);
}

json_t *bench_written_urls(bench *b)
{
	json_t *log = NULL, *seen = json_object(), *out = json_array();
	emu_control(b->e, "GET", "log", NULL, &log);
	size_t i;
	json_t *req;
	json_array_foreach(json_object_get(log, "requests"), i, req) {
		const char *host = json_string_value(json_object_get(req, "host"));
		const char *path = json_string_value(json_object_get(req, "path"));
		const char *method = json_string_value(json_object_get(req, "method"));
		if (!host || !path || !method || strcmp(method, "PUT") != 0)
			continue;
		const char *service = strncmp(host, "management.", 11) == 0 ? "arm"
				      : strstr(host, ".dev.")               ? "synapse"
									    : NULL;
		char *key = NULL;
		if (service) {
			size_t len = strlen(host) + strlen(path) + 1;
			key = malloc(len);
			snprintf(key, len, "%s%s", host, path);
		}
		if (!key || json_object_get(seen, key)) {
			free(key);
			continue;
		}
		json_object_set_new(seen, key, json_true());
		free(key);
		char *url = NULL;
		if (strcmp(service, "arm") == 0) {
			url = strdup(path);
		} else {
			/* The workspace is the host's first label. */
			size_t ws = strcspn(host, ".");
			url = malloc(ws + strlen(path) + 2);
			snprintf(url, ws + strlen(path) + 2, "%.*s|%s", (int)ws, host, path);
		}
		json_array_append_new(out, json_pack("{s:s,s:s}", "url", url, "service", service));
		free(url);
	}
	json_decref(seen);
	json_decref(log);
	return out;
}

typedef struct get_tally {
	size_t done, failed;
} get_tally;

static void got(void *ud, int err, const az_http_response *resp, az_diags *d)
{
	get_tally *t = ud;
	(void)resp;
	(void)d;
	t->done++;
	t->failed += err != 0;
}

double bench_get_each(bench *b, const json_t *urls, int in_flight, size_t *failed)
{
	az_diags d = AZ_DIAGS_INIT;
	az_cloud *cloud = NULL;
	az_credential *cred = NULL;
	az_transport tp;
	setenv("AZURE_TENANT_ID", emu_tenant_id(b->e), 1);
	setenv("AZURE_CLIENT_ID", emu_client_id(b->e), 1);
	setenv("AZURE_CLIENT_SECRET", emu_client_secret(b->e), 1);
	unsetenv("AZAPPLY_AUTH");
	if (az_cloud_load_file(&cloud, emu_cloud_config(b->e), &d) != 0 ||
	    az_curl_transport_new(&tp, cloud->ca_certificate, &d) != 0 ||
	    az_credential_new(&cred, cloud, NULL, &d) != 0) {
		fprintf(stderr, "bench: no HTTP client: %s\n", d.len ? d.items[0].summary : "?");
		exit(1);
	}
	az_http_options o;
	az_http_options_init(&o);
	o.max_in_flight = in_flight;
	az_http_client *c = az_http_client_new(&o, &tp, cloud);
	az_token_source src = az_credential_token_source(cred);
	az_http_client_set_tokens(c, &src);
	get_tally t = {0, 0};
	double start = now_s();
	size_t i;
	json_t *u;
	json_array_foreach(urls, i, u) {
		const char *url = json_string_value(json_object_get(u, "url"));
		bool synapse = strcmp(json_string_value(json_object_get(u, "service")), "synapse") == 0;
		char *full;
		if (synapse) {
			/* "workspace|/path" in the cloud's Synapse host template. */
			const char *bar = strchr(url, '|');
			const char *at = strstr(cloud->synapse_dev, "{workspace}");
			full = az_xasprintf("%.*s%.*s%s%s", (int)(at - cloud->synapse_dev),
					    cloud->synapse_dev, (int)(bar - url), url,
					    at + strlen("{workspace}"), bar + 1);
		} else {
			full = az_xasprintf("%s%s", cloud->resource_manager, url);
		}
		az_http_request *r = az_http_request_new("GET", full);
		r->svc = synapse ? AZ_SVC_SYNAPSE : AZ_SVC_ARM;
		az_http_submit(c, r, got, &t);
		free(full);
	}
	az_http_run(c);
	double wall = now_s() - start;
	*failed = t.failed;
	az_http_client_free(c);
	az_credential_free(cred);
	az_cloud_free(cloud);
	az_diags_clear(&d);
	return wall;
}
