/*
 * cmd.h - the command table and what every subcommand shares.
 *
 * Like git's builtins and tmux's cmd-*.c, each subcommand lives in one file
 * and exports one table entry: its name, summary, usage, options and exec
 * function. main.c does the shared work once (global flags, option parsing,
 * checking that stdout was written) and dispatches.
 */
#ifndef AZAPPLY_CMD_H
#define AZAPPLY_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <azapply/git.h>
#include <azapply/lock.h>
#include <azapply/plan.h>
#include <azapply/planner.h>

/* Exit codes. "Changes present" and "error" never share a code, so CI can
 * tell a plan with changes from a broken run. */
enum {
	AZ_EXIT_OK = 0,
	AZ_EXIT_ERROR = 1,   /* an error, or invalid manifests */
	AZ_EXIT_CHANGES = 2, /* plan --detailed-exitcode / drift: there are changes;
			      * apply: all done, but what it could not read is left
			      * for the next run */
	AZ_EXIT_USAGE = 64,  /* EX_USAGE: the command line is wrong */
	AZ_EXIT_INTERRUPTED = 130, /* stopped by Ctrl-C before anything changed */
};

typedef struct az_option {
	const char *name;      /* long name, without "--" */
	char short_name;       /* 0 for none */
	const char *arg;       /* placeholder for the value ("NAME"); NULL for a flag */
	const char *help;
	const char *const *choices; /* NULL-terminated allowed values, or NULL */
} az_option;

typedef struct az_command az_command;

typedef struct az_args {
	const az_command *cmd;
	const char **positional;
	size_t positional_len;
	/* One slot per option of the command, then the global options:
	 * how often it was given and its values. */
	struct az_arg_value {
		int count;
		const char **values;
	} *values;
	/* Global flags. */
	bool verbose;
	bool no_color;
} az_args;

struct az_command {
	const char *name;
	const char *summary;     /* one line for `azapply help` */
	const char *usage;       /* the synopsis after "usage: " */
	const char *description; /* paragraphs for `azapply help <command>` */
	const az_option *options; /* terminated by an entry with name == NULL */
	size_t max_positional;
	int (*exec)(const az_args *args);
};

/* The table, in the order `azapply help` lists it. */
extern const az_command *const az_commands[];
/* Options every command accepts after its own (main.c). */
extern const az_option az_global_options[];
const az_command *az_command_find(const char *name);

/* The value of option `name` (the last one given), or NULL. */
const char *az_arg(const az_args *args, const char *name);
/* Every value of a repeatable option, in order; *count_out set. */
const char *const *az_arg_all(const az_args *args, const char *name, int *count_out);
bool az_arg_flag(const az_args *args, const char *name);

/* Prints a usage error with the command's synopsis and returns AZ_EXIT_USAGE. */
int az_usage_error(const az_command *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void az_print_command_help(FILE *out, const az_command *cmd);

/* Output formats for diagnostics. */
typedef enum az_format {
	AZ_FORMAT_TEXT,
	AZ_FORMAT_JSON,
	AZ_FORMAT_MARKDOWN,
} az_format;

/* Whether to colour output written to `f` (a terminal, no NO_COLOR, no --no-color). */
bool az_use_color(FILE *f, const az_args *args);
/* Replaces stdout and stderr by streams that blank out every remembered
 * secret (az_secret_remember) on its way to the descriptor. First thing in
 * main, before anything is printed. */
void az_output_guard(void);
/* Writes out what the guarded streams hold and puts the originals back;
 * -1 (errno set) when writing to stdout failed. */
int az_output_end(void);
/* Whether anything was written to stdout so far (through the guard). */
bool az_output_stdout_written(void);
/* {"diagnostics": [...]}: what a command with --output json prints on
 * stdout when it fails before printing its own document, so a tool
 * reading stdout gets JSON, never nothing. */
void az_print_diags_object(FILE *out, const az_diags *d);
/* One diagnostic as the JSON outputs show it (severity, message, file...). */
json_t *az_diag_json(const az_diag *x);
/* Prints diagnostics: text to `out` as `file:line:col: error: message`
 * (plus GitHub Actions annotations when GITHUB_ACTIONS=true), or JSON. */
void az_print_diags(FILE *out, const az_diags *d, az_format format, bool color);
/* The stack's file source for `dir` (or the current directory). */
int az_open_source(az_file_source *out, const char *dir, az_diags *d);

/* Options of the commands that read manifests from git (setup.c). */
#define AZ_GIT_OPTIONS                                                                         \
	{"git-ref", 0, "REF", "read the manifests from this commit (no checkout; DIR is a "    \
			      "folder in its tree)", NULL},                                    \
	{"repo", 0, "PATH", "the repository for --git-ref (default: the one holding the "      \
			    "current directory)", NULL}

/* The commands that hold the stack instance's lock (apply, destroy, import,
 * unlock's companions) and how long they wait for another run's. */
#define AZ_LOCK_OPTIONS                                                                        \
	{"lock-timeout", 0, "DURATION", "wait this long for another run's lock (30s, 5m, 1h; "  \
					"default: fail at once)", NULL}
/* --lock-timeout in seconds; a usage error for anything else. */
int az_cmd_lock_timeout(const az_args *args, int *seconds);
/* --parallelism (resources in flight) when the command declares it, 0 when
 * not given; a usage error for anything but 1 to 1000. */
int az_cmd_parallelism(const az_args *args, int *out);

/* Shared by the commands that talk to Azure (setup.c). */
/* Where the manifests come from: DIR, or DIR in a commit's tree. */
typedef struct az_cmd_origin {
	const char *dir;  /* as given; NULL: the current directory, or the tree's root */
	const char *ref;  /* a git revision; NULL: read the directory */
	const char *repo; /* with ref: the repository; NULL: the one holding the current directory */
} az_cmd_origin;
/* The origin the command line names: DIR, --git-ref and --repo where the
 * command has them. */
az_cmd_origin az_cmd_origin_of(const az_args *args);
/* The manifest source of an origin; *commit_out (optional) gets the
 * commit id, or NULL. */
int az_cmd_open_origin(az_file_source *out, char **commit_out, const az_cmd_origin *origin,
		       az_diags *d);
/* az_cmd_open_origin of the command line's origin. */
int az_cmd_open_source(az_file_source *out, char **commit_out, const az_args *args,
		       az_diags *d);
int az_cmd_load_stack(az_stack **out, const az_args *args, az_diags *d);
/* As az_cmd_load_stack, for the manifests of `origin`. */
int az_cmd_load_stack_at(az_stack **out, const az_cmd_origin *origin, const az_args *args,
			 az_diags *d);
/* As az_cmd_load_stack, and where the manifests came from: the --git-ref
 * commit (clean), else HEAD of the work tree holding DIR and whether DIR
 * has uncommitted changes; commit NULL outside git. */
int az_cmd_load_stack_from(az_stack **out, az_git_provenance *prov, const az_args *args,
			   az_diags *d);
int az_cmd_open_session(az_session **out, const az_args *args, const az_stack *stack,
			az_diags *d);
/* What plan and drift hold while they run, set up and torn down in one
 * place: the diagnostics, the stack, the session and the plan. */
typedef struct az_cmd_run {
	az_diags d;
	az_stack *stack;
	az_session *session;
	az_plan plan;
} az_cmd_run;

/* Loads and checks the stack, opens a session on its cloud and plans with
 * `po`. 0, or an error whose diagnostics are in run->d. */
int az_cmd_run_plan(az_cmd_run *run, const az_args *args, const az_plan_options *po);
/* As az_cmd_run_plan, for the manifests of `origin`: the one way every
 * command plans (plan, drift, diff --plan), so secrets, markers and
 * fingerprints compare the same whichever asked. */
int az_cmd_run_plan_at(az_cmd_run *run, const az_args *args, const az_cmd_origin *origin,
		       const az_plan_options *po);
/* The --selector option of plan, apply and drift. */
#define AZ_SELECTOR_OPTION                                                                     \
	{"selector", 'l', "KEY=VALUE", "only resources with this label, and what they need "     \
				       "(repeatable: all must match)", NULL}
/* The targets to plan: --target's, and with --selector the resources whose
 * labels match (az_stack_select). *out is NULL when there is no selector
 * (plan with `targets` as given), else an array the caller frees. */
int az_cmd_select(const char ***out, size_t *len, const az_args *args, const az_stack *stack,
		  const char *const *targets, size_t targets_len, az_diags *d);
/* Prints the diagnostics and ends the run: the session closed, the stack
 * and plan left for the process's exit (exit.c). The command's last act. */
void az_cmd_run_finish(az_cmd_run *run, const az_args *args, az_format format);
/* Frees everything the run holds, its diagnostics unprinted. */
void az_cmd_run_free(az_cmd_run *run);

/* Leave a command's stack or plan allocated until the process exits,
 * instead of freeing it node by node just before (exit.c). Only for what
 * the command is done with, as its last act; the plan's owner keeps an
 * empty plan. */
void az_cmd_leave_stack(az_stack *stack);
void az_cmd_leave_plan(az_plan *plan);

/* Prints diagnostics to stderr; with --output json and errors, also the
 * diagnostics object on stdout when the command printed nothing there. */
void az_cmd_report(const az_args *args, az_diags *d, az_format format);
az_format az_cmd_format(const az_args *args);
int az_cmd_print_plan(const az_args *args, const az_plan *plan, az_format format);

/* The apply flow shared by apply, destroy and import (cmd_apply.c). */
typedef struct az_apply_request {
	const char *const *targets;
	size_t targets_len;
	const char *plan_file; /* apply a saved plan */
	bool destroy;          /* delete everything the stack owns */
	const char *import_id; /* adopt targets[0], which must be this Azure id */
} az_apply_request;
int az_cmd_apply(const az_args *args, const az_apply_request *req);

extern const az_command cmd_plan;
extern const az_command cmd_drift;
extern const az_command cmd_output;
extern const az_command cmd_destroy;
extern const az_command cmd_import;
extern const az_command cmd_export;
extern const az_command cmd_auth;
extern const az_command cmd_apply;
extern const az_command cmd_help;
extern const az_command cmd_version;
extern const az_command cmd_validate;
extern const az_command cmd_diff;
extern const az_command cmd_unlock;
extern const az_command cmd_graph;
extern const az_command cmd_completion;

#endif
