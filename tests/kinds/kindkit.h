/*
 * kindkit.h - what the per-kind behaviour tests share.
 *
 * Every test in tests/kinds runs the azapply binary against its own
 * emulator, on a copy of tests/kinds/base in a fresh temporary folder (the
 * "stack"), and edits that copy between runs. The helpers fail the running
 * cmocka test on any surprise, and every run checks that the SQL admin
 * password given through the environment is printed nowhere.
 */
#ifndef AZAPPLY_KINDKIT_H
#define AZAPPLY_KINDKIT_H

#include <stdbool.h>

#include <jansson.h>

#include "harness.h"
#include "run.h"

#define SUB "/subscriptions/00000000-0000-0000-0000-000000000000"
#define RG SUB "/resourceGroups/rg-kinds"
#define WS RG "/providers/Microsoft.Synapse/workspaces/synw-kinds"
#define ML RG "/providers/Microsoft.MachineLearningServices/workspaces/mlw-kinds-base"
#define LAKE RG "/providers/Microsoft.Storage/storageAccounts/stkindslake"
#define PASSWORD "Kinds-Passw0rd!"

#define ARM_SCOPE "https://management.azure.com/.default"
#define GRAPH_SCOPE "https://graph.microsoft.com/.default"
#define SYNAPSE_SCOPE "https://dev.azuresynapse.net/.default"

typedef struct world {
	emu *e;
	char **env;
	const char *password; /* SYNAPSE_SQL_PASSWORD of the next runs */
	char dir[64];
	char stack[128];
} world;

/* cmocka setup and teardown: an emulator and a copy of tests/kinds/base. */
int kit_setup(void **state);
int kit_teardown(void **state);

char *kit_read_text(const char *path);
void kit_write_text(const char *path, const char *text);
/* <stack>/<name>.yaml */
char *kit_stack_file(world *w, const char *name);
/* Replaces the first `from` in <stack>/<name>.yaml by `to`. */
void kit_edit(world *w, const char *name, const char *from, const char *to);
/* Copies tests/kinds/<from_dir>/<name> to <stack>/<to_name>. */
void kit_copy_in(world *w, const char *from_dir, const char *name, const char *to_name);
/* tests/kinds/<rel> parsed as JSON. */
json_t *kit_load_json(const char *rel);

/* The binary with `args`, the emulator's environment, NO_COLOR and the
 * SQL password; fails when it prints the password anywhere. */
run_result kit_azapply(world *w, const char *const *args);
/* `azapply VERB <stack> --env test [extra]`, expecting exit `code`. */
run_result kit_run(world *w, const char *verb, const char *extra, int code);
void kit_expect_in(const run_result *r, const char *needle);
void kit_expect_not_in(const run_result *r, const char *needle);
/* The plan block of one resource: from its address line to the next blank. */
char *kit_block_of(const char *out, const char *address);
void kit_settles(world *w);
void kit_apply_ok(world *w);

/* https://synw-kinds.dev.localhost:PORT/<path>?api-version=2020-12-01 */
char *kit_data_plane_url(world *w, const char *path);
/* https://<host>.localhost:PORT<path> */
char *kit_url(world *w, const char *host, const char *path);
/* A request with the built-in principal's token for `scope`. */
emu_response kit_call(world *w, const char *scope, const char *method, const char *url,
		      const char *body);
/* GET of an ARM resource through the control API; NULL when absent. */
json_t *kit_arm_get(world *w, const char *id);
/* PUT of an ARM resource through the control API, as it is: no marker. */
void kit_arm_put(world *w, const char *id, json_t *body);

#endif
