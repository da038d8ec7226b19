/*
 * main.c - azapply's entry point: what the process forbids itself (core
 * dumps) and how its output is guarded (secrets blanked, output.c), global
 * flags, option parsing against the command's own table, dispatch, and the
 * final check that everything written to stdout reached it (a full disk
 * must not look like success).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "cmd.h"

/* Options every command accepts, after its own. */
const az_option az_global_options[] = {
	{"verbose", 'v', NULL, "trace every request to stderr (as AZAPPLY_LOG=debug)", NULL},
	{"no-color", 0, NULL, "never colour output (NO_COLOR in the environment does the same)", NULL},
	{"help", 'h', NULL, "show help for the command", NULL},
	{NULL, 0, NULL, NULL, NULL},
};

static size_t count_options(const az_option *opts)
{
	size_t n = 0;
	while (opts && opts[n].name)
		n++;
	return n;
}

/* Index of the option in the command's table followed by the globals. */
static int find_option(const az_command *cmd, const char *name, size_t name_len, char short_name)
{
	size_t own = count_options(cmd->options);
	for (size_t i = 0; i < own + count_options(az_global_options); i++) {
		const az_option *o = i < own ? &cmd->options[i] : &az_global_options[i - own];
		if (short_name ? o->short_name == short_name
			       : (strlen(o->name) == name_len && strncmp(o->name, name, name_len) == 0))
			return (int)i;
	}
	return -1;
}

static const az_option *option_at(const az_command *cmd, int index)
{
	size_t own = count_options(cmd->options);
	return (size_t)index < own ? &cmd->options[index] : &az_global_options[(size_t)index - own];
}

static int unknown_option(const az_command *cmd, const char *arg)
{
	size_t own = count_options(cmd->options), all = own + count_options(az_global_options);
	const char **names = az_xcalloc(all, sizeof(char *));
	char **owned = az_xcalloc(all, sizeof(char *));
	for (size_t i = 0; i < all; i++)
		names[i] = owned[i] = az_xasprintf("--%s", option_at(cmd, (int)i)->name);
	char *bare = az_xstrndup(arg, strcspn(arg, "="));
	const char *hint = az_suggest(bare, names, all);
	int rc = hint ? az_usage_error(cmd, "unknown option '%s'; did you mean '%s'?", bare, hint)
		      : az_usage_error(cmd, "unknown option '%s'", bare);
	free(bare);
	for (size_t i = 0; i < all; i++)
		free(owned[i]);
	free(owned);
	free(names);
	return rc;
}

static void add_value(az_args *args, int index, const char *value)
{
	struct az_arg_value *v = &args->values[index];
	v->values = az_xrealloc(v->values, (size_t)(v->count + 1) * sizeof(char *));
	v->values[v->count++] = value;
}

static int check_choice(const az_command *cmd, const az_option *o, const char *value)
{
	if (!o->choices)
		return 0;
	for (size_t i = 0; o->choices[i]; i++)
		if (strcmp(o->choices[i], value) == 0)
			return 0;
	az_buf list = AZ_BUF_INIT;
	for (size_t i = 0; o->choices[i]; i++)
		az_buf_printf(&list, "%s%s", i ? ", " : "", o->choices[i]);
	int rc = az_usage_error(cmd, "--%s must be one of %s, not '%s'", o->name, list.data, value);
	az_buf_free(&list);
	return rc;
}

/* Parses argv after the command name. Options may come before or after
 * positional arguments; "--" ends options. */
static int parse_args(az_args *args, const az_command *cmd, int argc, char **argv)
{
	size_t slots = count_options(cmd->options) + count_options(az_global_options);
	args->cmd = cmd;
	args->values = az_xcalloc(slots, sizeof(*args->values));
	args->positional = az_xcalloc((size_t)argc + 1, sizeof(char *));
	bool options_done = false;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (options_done || a[0] != '-' || a[1] == '\0') {
			args->positional[args->positional_len++] = a;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			options_done = true;
			continue;
		}
		int index;
		const char *inline_value = NULL;
		if (a[1] == '-') {
			const char *eq = strchr(a + 2, '=');
			size_t len = eq ? (size_t)(eq - (a + 2)) : strlen(a + 2);
			index = find_option(cmd, a + 2, len, 0);
			inline_value = eq ? eq + 1 : NULL;
		} else {
			if (a[2] != '\0')
				return az_usage_error(cmd, "unknown option '%s' (short options take no "
							   "attached value)", a);
			index = find_option(cmd, NULL, 0, a[1]);
		}
		if (index < 0)
			return unknown_option(cmd, a);
		const az_option *o = option_at(cmd, index);
		if (!o->arg) {
			if (inline_value)
				return az_usage_error(cmd, "--%s takes no value", o->name);
			add_value(args, index, "");
			continue;
		}
		const char *value = inline_value;
		if (!value) {
			if (i + 1 >= argc)
				return az_usage_error(cmd, "--%s needs a value (%s)", o->name, o->arg);
			value = argv[++i];
		}
		int rc = check_choice(cmd, o, value);
		if (rc)
			return rc;
		add_value(args, index, value);
	}
	if (args->positional_len > cmd->max_positional)
		return az_usage_error(cmd, "unexpected argument '%s'",
				      args->positional[cmd->max_positional]);
	args->verbose = az_arg_flag(args, "verbose");
	args->no_color = az_arg_flag(args, "no-color");
	return 0;
}

static void free_args(az_args *args)
{
	if (!args->cmd)
		return;
	size_t slots = count_options(args->cmd->options) + count_options(az_global_options);
	for (size_t i = 0; i < slots; i++)
		free(args->values[i].values);
	free(args->values);
	free(args->positional);
}

static const struct az_arg_value *value_of(const az_args *args, const char *name)
{
	int index = find_option(args->cmd, name, strlen(name), 0);
	/* Asking for an option the command does not declare is a bug. */
	if (index < 0)
		abort();
	return &args->values[index];
}

const char *az_arg(const az_args *args, const char *name)
{
	const struct az_arg_value *v = value_of(args, name);
	return v->count ? v->values[v->count - 1] : NULL;
}

const char *const *az_arg_all(const az_args *args, const char *name, int *count_out)
{
	const struct az_arg_value *v = value_of(args, name);
	*count_out = v->count;
	return v->values;
}

bool az_arg_flag(const az_args *args, const char *name)
{
	return value_of(args, name)->count > 0;
}

void az_print_command_help(FILE *out, const az_command *cmd)
{
	fprintf(out, "usage: %s\n\n%s\n", cmd->usage, cmd->summary);
	if (cmd->description)
		fprintf(out, "\n%s\n", cmd->description);
	size_t own = count_options(cmd->options), all = own + count_options(az_global_options);
	fprintf(out, "\nOptions:\n");
	for (size_t i = 0; i < all; i++) {
		const az_option *o = option_at(cmd, (int)i);
		char left[64];
		snprintf(left, sizeof(left), "%s%c%s--%s%s%s", o->short_name ? "-" : "",
			 o->short_name ? o->short_name : ' ', o->short_name ? ", " : "  ", o->name,
			 o->arg ? " " : "", o->arg ? o->arg : "");
		fprintf(out, "  %-28s %s\n", o->short_name ? left : left + 2, o->help);
	}
}

int az_usage_error(const az_command *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("azapply: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	if (cmd)
		fprintf(stderr, "usage: %s\nSee 'azapply help %s'.\n", cmd->usage, cmd->name);
	else
		fprintf(stderr, "See 'azapply help'.\n");
	return AZ_EXIT_USAGE;
}

static int unknown_command(const char *name)
{
	size_t n = 0;
	while (az_commands[n])
		n++;
	const char **names = az_xcalloc(n, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		names[i] = az_commands[i]->name;
	const char *hint = az_suggest(name, names, n);
	int rc = hint ? az_usage_error(NULL, "'%s' is not an azapply command; did you mean '%s'?",
				       name, hint)
		      : az_usage_error(NULL, "'%s' is not an azapply command", name);
	free(names);
	return rc;
}

/*
 * A core dump holds what the process held: one taken during an apply had
 * the SQL administrator password, the client secret and access tokens. No
 * core file then (RLIMIT_CORE 0, inherited by the children such as `az`),
 * and on Linux not dumpable at all, which also keeps other processes of the
 * same user from reading its memory through ptrace or /proc/<pid>/mem.
 */
static int forbid_core_dumps(void)
{
	struct rlimit none = {0, 0};
	int error = setrlimit(RLIMIT_CORE, &none);
#ifdef __linux__
	error |= prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
#endif
	return error ? -1 : 0;
}

/* stdout may be a pipe or a file on a full disk: report a failed write
 * instead of exiting 0 (git does the same). The guarded streams are
 * closed here, which writes what they still hold. */
static int finish_stdout(int rc)
{
	int failed = fflush(stdout) != 0 || ferror(stdout);
	int saved = errno;
	if (az_output_end() != 0 && !failed) {
		failed = 1;
		saved = errno;
	}
	if (failed) {
		fprintf(stderr, "azapply: error writing to standard output: %s\n", strerror(saved));
		rc = AZ_EXIT_ERROR;
	}
	az_secret_forget_all();
	return rc;
}

static int run(int argc, char **argv)
{
	if (argc < 2)
		return cmd_help.exec(&(az_args){.cmd = &cmd_help});
	const char *name = argv[1];
	if (strcmp(name, "--version") == 0 || strcmp(name, "-V") == 0)
		name = "version";
	else if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0)
		name = "help";
	const az_command *cmd = az_command_find(name);
	if (!cmd)
		return name[0] == '-' ? az_usage_error(NULL, "unknown option '%s'", name)
				      : unknown_command(name);
	az_args args = {0};
	int rc = parse_args(&args, cmd, argc - 2, argv + 2);
	if (rc == 0) {
		if (az_arg_flag(&args, "help") && cmd != &cmd_help) {
			az_print_command_help(stdout, cmd);
		} else {
			if (args.verbose)
				setenv("AZAPPLY_LOG", "debug", 1);
			rc = cmd->exec(&args);
		}
	}
	free_args(&args);
	az_planner_release();
	return rc;
}

int main(int argc, char **argv)
{
	/* Memory first (providers/api/heap.c and json_pool.c). The sanitizers'
	 * allocator must see every block to check it: no pool under them. */
	az_heap_reserve();
	az_alloc_init();
#ifndef __SANITIZE_ADDRESS__
	az_json_pool_start();
#endif
	if (forbid_core_dumps() != 0)
		fprintf(stderr, "azapply: warning: cannot disable core dumps: %s\n",
			strerror(errno));
	az_output_guard();
	return finish_stdout(run(argc, argv));
}
