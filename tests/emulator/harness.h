/*
 * harness.h - start and drive the Azure emulator from a test.
 *
 * emu_start runs the built azapply-emulator on a free port (port 0, so
 * tests never share one), reads the base URL and cloud configuration path
 * it prints, and waits until it answers. emu_control calls the control API
 * (/_emulator/...); emu_http sends any request to any emulated host with
 * TLS verified against the emulator's CA. emu_env builds the environment a
 * child process (the azapply binary) needs to reach the emulator with the
 * built-in service principal.
 */
#ifndef AZAPPLY_EMULATOR_HARNESS_H
#define AZAPPLY_EMULATOR_HARNESS_H

#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

typedef struct emu emu;

/* `extra_args` is a NULL-terminated list of emulator options, or NULL.
 * Returns 0, or -1 with a message on stderr. */
int emu_start(emu **out, const char *const *extra_args);
/* Sends SIGTERM, waits for a clean exit; returns the exit status (0 = clean).
 * NULL-safe. */
int emu_stop(emu *e);

const char *emu_base_url(const emu *e);    /* https://localhost:PORT */
const char *emu_cloud_config(const emu *e); /* path of the cloud configuration file */
const char *emu_ca_path(const emu *e);      /* PEM of the emulator's CA */
int emu_port(const emu *e);

/* The built-in service principal and default subscription. */
const char *emu_tenant_id(const emu *e);
const char *emu_client_id(const emu *e);
const char *emu_client_secret(const emu *e);
const char *emu_subscription_id(const emu *e);

/* A response from emu_http. */
typedef struct emu_response {
	long status;      /* 0 when the connection failed or was dropped */
	char *body;       /* NUL-terminated, never NULL */
	size_t body_len;
	char *headers;    /* raw header block, lines "Name: value\r\n" */
	json_t *json;     /* body parsed as JSON, or NULL */
} emu_response;

/* Returns the value of a response header (case-insensitive), malloc'd, or NULL. */
char *emu_response_header(const emu_response *r, const char *name);
void emu_response_free(emu_response *r);

/* Sends a request to `url` (absolute, or a path on https://management.localhost:PORT).
 * `headers` is a NULL-terminated list of "Name: value" lines or NULL; `body`
 * may be NULL. Returns 0 (even for HTTP errors) or -1 when the transport
 * failed (then out->status is 0). */
int emu_http(emu *e, emu_response *out, const char *method, const char *url,
	     const char *const *headers, const char *body, size_t body_len);

/* Calls /_emulator/{path}; `json_body` may be NULL. Returns the HTTP status
 * (or -1) and the parsed answer in *response when non-NULL (caller decrefs). */
int emu_control(emu *e, const char *method, const char *path, const char *json_body,
		json_t **response);

/* The emulator's process, which leads a session of its own (harness.c). */
pid_t emu_pid(const emu *e);

/* A client-credentials token of the built-in service principal for
 * `scope` (e.g. "https://management.azure.com/.default"); NULL on failure. */
char *emu_token(emu *e, const char *scope);

/* A copy of `base` (NULL-terminated, e.g. environ) with AZURE_TENANT_ID,
 * AZURE_CLIENT_ID, AZURE_CLIENT_SECRET and AZAPPLY_CLOUD_CONFIG set for the
 * emulator (replacing any inherited value). Free with emu_env_free. */
char **emu_env(const emu *e, char *const *base);
void emu_env_free(char **env);

#endif
