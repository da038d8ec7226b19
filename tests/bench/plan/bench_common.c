/*
 * bench_common.c - see bench_common.h.
 */
#include "bench_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
	if (run_command(r, AZAPPLY_BINARY, argv, (const char *const *)b->env, NULL) != 0) {
		fprintf(stderr, "bench: cannot run azapply\n");
		exit(1);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (r->exit_code != want) {
		fprintf(stderr, "bench: azapply %s exited %d (wanted %d)\n%s\n%s\n", argv[0],
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

void bench_settings(bench *b, const char *json)
{
	if (emu_control(b->e, "PUT", "settings", json, NULL) != 200) {
		fprintf(stderr, "bench: emulator settings %s refused\n", json);
		exit(1);
	}
}
