/*
 * bench_common.h - what the stack benchmarks share: an emulator, the
 * environment azapply needs to reach it, running azapply and timing it,
 * and reading the emulator's request log.
 */
#ifndef AZAPPLY_BENCH_COMMON_H
#define AZAPPLY_BENCH_COMMON_H

#include <stddef.h>

#include <jansson.h>

#include "harness.h"
#include "run.h"

typedef struct bench {
	emu *e;
	char **env;
	char dir[512];
} bench;

int bench_start(bench *b, const char *const *emulator_args);
void bench_stop(bench *b);
/* A fresh emulator for the same stack directory (an apply from nothing
 * again); 0 or -1. */
int bench_restart_emulator(bench *b, const char *const *emulator_args);
/* Runs azapply with up to 6 arguments; prints its output and exits the
 * benchmark when the exit code is not `want`. Returns wall seconds. */
double bench_azapply(bench *b, int want, run_result *r, const char *const *argv);
/* Requests in the emulator's log, without token requests and control
 * calls; counts per method in *gets / *writes when not NULL. */
size_t bench_requests(bench *b, size_t *gets, size_t *writes);
void bench_clear_log(bench *b);
/* What the request log shows was written (PUT), each once: the URLs of the
 * stack's resources, as {"url", "service": "arm"|"synapse"} (Graph left
 * out). */
json_t *bench_written_urls(bench *b);
/* Sends one GET to each of `urls` (as bench_written_urls gives them)
 * through azapply's own HTTP client, `in_flight` at a time; returns the
 * wall seconds and counts failures in *failed. */
double bench_get_each(bench *b, const json_t *urls, int in_flight, size_t *failed);
void bench_settings(bench *b, const char *json);
/* The emulator's CPU seconds so far (GET /_emulator/usage); exits the
 * benchmark when it does not answer. */
double bench_emulator_cpu(bench *b);
/* The comparison the apply benchmarks make, both sides run for real: with
 * `latency_ms` per request and three polls per operation, applies `par`
 * with --parallelism `parallelism`, then `seq` one at a time; their wall
 * seconds in *t_par and *t_seq. */
void bench_apply_parallel_and_serial(bench *b, const char *par, const char *seq, int parallelism,
				     int latency_ms, double *t_par, double *t_seq);
/* The integer after `--name` on the command line, or `fallback`. */
int bench_arg(int argc, char **argv, const char *name, int fallback);

#endif
