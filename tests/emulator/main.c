/*
 * main.c - the azapply-emulator command: parse options, build the state
 * and certificates, listen on 127.0.0.1, print the base URL and the cloud
 * configuration path (the harness reads those two lines), then wait for
 * SIGTERM or SIGINT, save the store when --state was given, and remove the
 * temporary directory it made.
 */
#include "emu.h"

#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
	"usage: azapply-emulator [--port N] [--state FILE] [--latency-ms N] [--seed N]\n"
	"                        [--dir DIR] [--page-size N] [--throttle-scale F]\n"
	"                        [--token-lifetime S] [--lro-polls N] [--retry-after S]\n"
	"                        [--principal-delay-ms N] [--app-delay-ms N]\n"
	"                        [--client-ip ADDR]\n";

static int parse_args(emu_config *cfg, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(usage, stdout);
			exit(0);
		}
		if (!v || strncmp(a, "--", 2))
			return -1;
		i++;
		if (!strcmp(a, "--port"))
			cfg->port = atoi(v);
		else if (!strcmp(a, "--state"))
			cfg->state_file = v;
		else if (!strcmp(a, "--latency-ms"))
			cfg->latency_ms = atoi(v);
		else if (!strcmp(a, "--seed"))
			cfg->seed = strtoul(v, NULL, 10);
		else if (!strcmp(a, "--dir"))
			cfg->dir = v;
		else if (!strcmp(a, "--page-size"))
			cfg->page_size = atoi(v);
		else if (!strcmp(a, "--throttle-scale"))
			cfg->throttle_scale = strtod(v, NULL);
		else if (!strcmp(a, "--token-lifetime"))
			cfg->token_lifetime_s = atoi(v);
		else if (!strcmp(a, "--lro-polls"))
			cfg->lro_polls = atoi(v);
		else if (!strcmp(a, "--retry-after"))
			cfg->retry_after_s = atoi(v);
		else if (!strcmp(a, "--principal-delay-ms"))
			cfg->principal_delay_ms = atoi(v);
		else if (!strcmp(a, "--app-delay-ms"))
			cfg->app_delay_ms = atoi(v);
		else if (!strcmp(a, "--client-ip"))
			snprintf(cfg->client_ip, sizeof(cfg->client_ip), "%s", v);
		else
			return -1;
	}
	if (cfg->port < 0 || cfg->port > 65535 || cfg->page_size < 1 || cfg->throttle_scale <= 0 ||
	    cfg->token_lifetime_s < 1)
		return -1;
	return 0;
}

static void remove_temp_dir(emu_server *s)
{
	if (s->cfg.dir || !s->dir)
		return;
	unlink(s->ca_path);
	unlink(s->cloud_path);
	rmdir(s->dir);
}

int main(int argc, char **argv)
{
	/* The store and the request log are JSON values by the hundred
	 * thousand in a large benchmark, on the 2 cores azapply shares: one
	 * malloc arena for every connection's thread (they take the store's
	 * lock in turn anyway), on the heap azapply reserves for itself too.
	 * A 10,001-resource apply cost the emulator 3.7 s of CPU, 3.2-3.3 s
	 * after. */
	mallopt(M_ARENA_MAX, 1);
	az_heap_reserve();
	emu_config cfg = {
		.page_size = 100,
		.throttle_scale = 1.0,
		.token_lifetime_s = 3599,
		.lro_polls = 2,
		/* No Retry-After unless asked: no recorded LRO start carried one. */
		.retry_after_s = -1,
		.default_linked_services = true,
		/* On as Azure has them (README, "Failure behaviours"). */
		.synapse_firewall = true,
		.synapse_rbac = true,
		/* Azure's RBAC reaches the data plane late, in seconds to minutes:
		 * short here, so that every run meets it without waiting long. */
		.rbac_delay_ms = 1000,
		.operation_conflict_ms = 10000,
		.ml_soft_delete = true,
	};
	emu_server s;
	emu_http *http = NULL;
	int rc = 1;
	if (parse_args(&cfg, argc, argv)) {
		fputs(usage, stderr);
		return 2;
	}
	/* Block the stop signals before any thread starts so only sigwait sees them. */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (emu_server_init(&s, &cfg)) {
		fputs("azapply-emulator: cannot create keys and certificates\n", stderr);
		goto done;
	}
	if (cfg.state_file && access(cfg.state_file, F_OK) == 0 &&
	    emu_state_load(&s, cfg.state_file)) {
		fprintf(stderr, "azapply-emulator: cannot load state from %s\n", cfg.state_file);
		goto done;
	}
	if (emu_http_start(&http, &s)) {
		fputs("azapply-emulator: cannot listen on 127.0.0.1\n", stderr);
		goto done;
	}
	if (emu_write_cloud_config(&s)) {
		fputs("azapply-emulator: cannot write the cloud configuration\n", stderr);
		goto done;
	}
	printf("https://localhost:%d\ncloud-config: %s\n", s.cfg.port, s.cloud_path);
	if (fflush(stdout) || ferror(stdout)) {
		fputs("azapply-emulator: cannot write to stdout\n", stderr);
		goto done;
	}
	int sig = 0;
	sigwait(&stop, &sig);
	rc = 0;
done:
	emu_http_stop(http);
	if (rc == 0 && cfg.state_file && emu_state_save(&s, cfg.state_file)) {
		fprintf(stderr, "azapply-emulator: cannot save state to %s\n", cfg.state_file);
		rc = 1;
	}
	remove_temp_dir(&s);
	emu_server_fini(&s);
	return rc;
}
