/*
 * e2ekit.h - what the end-to-end tests share: an emulator on a free port,
 * a private copy of an example stack, the azapply binary run as a user
 * runs it (the emulator's credentials and the example's secret in its
 * environment), and the few reads of Azure a test checks its outcome with
 * (the request log, the store, one ARM resource). Failures are cmocka
 * assertions, so a test reads as a list of expectations.
 */
#ifndef AZAPPLY_E2EKIT_H
#define AZAPPLY_E2EKIT_H

#include <stdbool.h>
#include <sys/types.h>

#include <jansson.h>

#include "harness.h"
#include "run.h"

/* The example's SQL administrator password, given as ${env.SYNAPSE_SQL_PASSWORD}:
 * no output may ever show it. */
#define E2E_PASSWORD "e2e-Passw0rd!"

typedef struct e2e_world {
	emu *e;
	char **env;      /* the child's environment, NULL-terminated */
	char dir[256];   /* private scratch directory, removed at teardown */
	char stack[300]; /* dir/stack: a copy of the example */
} e2e_world;

/* Starts the emulator with `emu_args` (NULL-terminated, or NULL) and copies
 * examples/`example` to w->stack; `extra_env` ("K=V", NULL-terminated, or
 * NULL) is added to the child's environment. 0, or -1 (cmocka setup). */
int e2e_setup(e2e_world **out, const char *example, const char *const *emu_args,
              const char *const *extra_env);
/* Removes the scratch directory and stops the emulator; 0 when it exited
 * cleanly (under ASan: leaked nothing). */
int e2e_teardown(e2e_world *w);

/* The address the examples' prod firewall rules admit: the CI runner that
 * deploys prod. Dev's rules admit 127.0.0.1, where the emulator sees every
 * run from unless told otherwise. */
#define E2E_PROD_RUNNER "203.0.113.10"

/* The address the emulator's Synapse data-plane firewall sees every run
 * come from ("": the connection's own), as a run from another machine. */
void e2e_runner_address(e2e_world *w, const char *ip);

/* Removes CI's Synapse role (SynapseRoleAssignment/ci-synapse-contributor,
 * the last document of 32-ci-identity.yaml) from the copy of
 * examples/synapse-ml. */
void e2e_drop_ci_synapse_role(e2e_world *w);

/* Runs azapply with argv (NULL-terminated, without argv[0]) and waits. */
run_result e2e_run(e2e_world *w, const char *const *argv);
#define E2E_RUN(w, ...) e2e_run((w), (const char *const[]){__VA_ARGS__, NULL})
/* Fails unless the run exited `code` and printed `needle` (NULL: anything)
 * on stdout or stderr; the password must appear in neither. */
void e2e_expect(const run_result *r, int code, const char *needle);
/* Runs, expects, and frees the result. */
void e2e_run_expect(e2e_world *w, const char *const *argv, int code, const char *needle);
#define E2E_EXPECT(w, code, needle, ...)                                                           \
	e2e_run_expect((w), (const char *const[]){__VA_ARGS__, NULL}, (code), (needle))

/* Starts azapply in the background, stdout and stderr to `log` (a path, or
 * NULL for none); e2e_wait returns its exit code, 128 + the signal that
 * ended it. */
pid_t e2e_spawn(e2e_world *w, const char *const *argv, const char *log);
int e2e_wait(pid_t pid);

/* How often the emulator's fault rules have fired, and waiting (at most
 * 60 s) until they fired `hits` times: a rule with a delay fires as its
 * request arrives, so the request is then in flight, held by the emulator. */
long e2e_fault_hits(e2e_world *w);
void e2e_wait_for_hits(e2e_world *w, long hits);

/* Files of the stack copy. */
char *e2e_slurp(const char *path);
void e2e_write(const char *path, const char *text);
/* Replaces the first `from` in `path` by `to` (it must be there), or every
 * one with `all`. */
void e2e_replace(const char *path, const char *from, const char *to, bool all);

/* The request log ({"requests": [...]}) and clearing it. */
json_t *e2e_log(e2e_world *w);
void e2e_clear_log(e2e_world *w);
/* Logged requests on a path holding `part`: with `method`, those of that
 * method Azure accepted (2xx: a write refused while a workspace is busy
 * and retried is not a second write); with NULL, every write (not GET). */
size_t e2e_count_requests(e2e_world *w, const char *method, const char *part);
/* Every logged request on a path holding `part` in any case (Azure answers
 * artifact ids with the collection in lower case), sent with `method`
 * (NULL: any) and answered `status` (0: any), refused ones included: what
 * was never sent at all. */
size_t e2e_count_sent(e2e_world *w, const char *method, int status, const char *part);
/* The emulator's whole store. */
json_t *e2e_store(e2e_world *w);
/* One ARM resource as stored (the control API), NULL when absent; and an
 * out-of-band write of one (a change made outside azapply). */
json_t *e2e_arm_get(e2e_world *w, const char *id);
void e2e_arm_put(e2e_world *w, const char *id, const json_t *body);
/* An ARM GET as a client sees it (with the service's own view of things
 * such as a lease), NULL unless 200. */
json_t *e2e_arm_read(e2e_world *w, const char *id, const char *api_version);

#endif
