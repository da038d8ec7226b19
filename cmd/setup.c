/*
 * setup.c - what every command that talks to Azure does first: load and
 * check the stack (exactly as validate does, so nothing invalid is ever
 * planned), then open a session on the cloud the user chose.
 *
 * The manifests come from a directory, or with --git-ref from a commit's
 * tree (planner/git), through the same file source, so every check is the
 * same either way. Apply also asks where they came from: the commit goes
 * into the ownership marker as provenance.
 */
#include <stdlib.h>
#include <string.h>

#include <azapply/select.h>

#include "cmd.h"

/* Requests in flight unless --parallelism asks for more, and the most it
 * may ask for. A plan's reads wait on latency, not on Azure: how many are
 * in flight changes how fast ARM's read budget is spent, not how much of
 * it (reads 250 burst then 25 a second per subscription and principal,
 * azure-notes.md, "Limits"; a plan of 10,001 resources makes about 230
 * ARM reads, the rest go to the workspaces' own hosts). 16 at a time, a
 * plan of 10,001 resources took 4.8 s at 50 ms a request; 64, 2.3 s. More
 * than the burst only buys 429s.
 *
 * Of those, Resource Manager gets 64 at most (or --parallelism, if more):
 * it is one host, and over HTTP/1.1 each request beyond the connections
 * already open is a new TLS handshake. The workspaces' hosts, one each,
 * take the rest: at 50 ms a request, a plan of 10,001 resources read its
 * 100 workspaces in one window instead of two (1.67-1.73 s -> 1.43-1.52 s),
 * where 128 slots for everything had opened a third more connections to
 * Resource Manager and cost that much CPU at no latency. */
#define AZ_CMD_DEFAULT_REQUESTS_IN_FLIGHT 128
#define AZ_CMD_ARM_REQUESTS_IN_FLIGHT 64
#define AZ_CMD_MAX_REQUESTS_IN_FLIGHT 250

/* The value of `name` when the command declares that option (destroy and
 * import share the loading code but not every option). */
static const char *declared_arg(const az_args *args, const char *name)
{
	for (const az_option *o = args->cmd->options; o && o->name; o++)
		if (strcmp(o->name, name) == 0)
			return az_arg(args, name);
	return NULL;
}

az_cmd_origin az_cmd_origin_of(const az_args *args)
{
	return (az_cmd_origin){
		.dir = args->positional_len ? args->positional[0] : NULL,
		.ref = declared_arg(args, "git-ref"),
		.repo = declared_arg(args, "repo"),
	};
}

int az_cmd_open_origin(az_file_source *out, char **commit_out, const az_cmd_origin *origin,
		       az_diags *d)
{
	const char *dir = origin->dir;
	const char *ref = origin->ref;
	if (commit_out)
		*commit_out = NULL;
	if (!ref) {
		if (origin->repo) {
			az_diag *x = az_diag_add(d, AZ_SEV_ERROR, NULL, NULL,
						 "--repo only applies to --git-ref");
			az_diag_set_detail(x, "add --git-ref REF, or leave out --repo to read the "
					      "directory");
			return AZ_EINVALID;
		}
		return az_open_source(out, dir ? dir : ".", d);
	}
	/* A saved plan records its root as shown ("REF:infra"): the folder is
	 * what follows the ref. */
	size_t n = strlen(ref);
	if (dir && strncmp(dir, ref, n) == 0 && dir[n] == ':')
		dir += n + 1;
	az_git_source_options o = {.repo = origin->repo, .ref = ref, .dir = dir};
	return az_git_source_open(out, commit_out, &o, d);
}

int az_cmd_open_source(az_file_source *out, char **commit_out, const az_args *args,
		       az_diags *d)
{
	az_cmd_origin origin = az_cmd_origin_of(args);
	return az_cmd_open_origin(out, commit_out, &origin, d);
}

/* Loads and checks the stack of `origin` for the command line's --env;
 * `prov` (optional) as az_cmd_load_stack_from says. */
static int load_stack_at(az_stack **out, az_git_provenance *prov, const az_cmd_origin *origin,
			 const az_args *args, az_diags *d)
{
	az_file_source src = {0};
	char *commit = NULL;
	*out = NULL;
	if (prov)
		memset(prov, 0, sizeof(*prov));
	if (az_cmd_open_origin(&src, prov ? &commit : NULL, origin, d) != 0)
		return AZ_EINVALID;
	az_stack_options opts = {.env = az_arg(args, "env")};
	int rc = az_stack_load(out, &src, &opts, d);
	az_file_source_free(&src);
	if (prov && commit) {
		/* A commit's tree is clean by definition. */
		prov->commit = commit;
	} else if (prov && rc == 0) {
		rc = az_git_provenance_dir(prov, origin->dir ? origin->dir : ".", d);
	}
	return rc;
}

int az_cmd_load_stack_from(az_stack **out, az_git_provenance *prov, const az_args *args,
			   az_diags *d)
{
	az_cmd_origin origin = az_cmd_origin_of(args);
	return load_stack_at(out, prov, &origin, args, d);
}

int az_cmd_load_stack(az_stack **out, const az_args *args, az_diags *d)
{
	return az_cmd_load_stack_from(out, NULL, args, d);
}

int az_cmd_open_session(az_session **out, const az_args *args, const az_stack *stack,
			az_diags *d)
{
	const char *cloud = az_arg(args, "cloud");
	if (!cloud && stack && stack->set)
		cloud = az_project_setting(&stack->set->project, stack->env, "cloud");
	az_session_options opts = {
		.cloud = cloud,
		.tenant = stack && stack->set ? az_project_setting(&stack->set->project, stack->env,
								    "tenant")
					      : NULL,
		.verbosity = args->verbose ? 1 : 0,
	};
	/* --parallelism counts resources in flight, not requests: each holds
	 * one request at a time (a PUT, then its polls), and the reads of the
	 * refresh, the lock and the steps' own reads share the same loop. Twice
	 * as many requests leaves them room; never fewer than the client's own
	 * default, which the refresh's lists use, nor more than ARM's burst.
	 * Resource Manager's share is never below what --parallelism asks:
	 * every resource in flight may be an ARM one. */
	int parallelism = 0;
	if (az_cmd_parallelism(args, &parallelism) != 0)
		return AZ_EINVALID;
	int requests = parallelism * 2;
	if (requests < AZ_CMD_DEFAULT_REQUESTS_IN_FLIGHT)
		requests = AZ_CMD_DEFAULT_REQUESTS_IN_FLIGHT;
	if (requests > AZ_CMD_MAX_REQUESTS_IN_FLIGHT)
		requests = AZ_CMD_MAX_REQUESTS_IN_FLIGHT;
	opts.max_in_flight = requests;
	opts.max_arm_in_flight = parallelism > AZ_CMD_ARM_REQUESTS_IN_FLIGHT
				     ? parallelism
				     : AZ_CMD_ARM_REQUESTS_IN_FLIGHT;
	return az_session_open(out, &opts, d);
}

int az_cmd_parallelism(const az_args *args, int *out)
{
	const char *p = declared_arg(args, "parallelism");
	*out = 0;
	if (!p)
		return 0;
	char *end = NULL;
	long n = strtol(p, &end, 10);
	if (end == p || *end != '\0' || n <= 0 || n > 1000)
		return az_usage_error(args->cmd, "--parallelism takes a number from 1 to 1000, not '%s'",
				      p);
	*out = (int)n;
	return 0;
}

void az_cmd_report(const az_args *args, az_diags *d, az_format format)
{
	/* What was printed so far comes first, not interleaved. */
	fflush(stdout);
	az_diags_sort(d);
	if (format == AZ_FORMAT_JSON)
		az_print_diags(stderr, d, AZ_FORMAT_TEXT, false);
	else
		az_print_diags(stderr, d, AZ_FORMAT_TEXT, az_use_color(stderr, args));
	if (format == AZ_FORMAT_JSON && az_diags_errors(d) && !az_output_stdout_written())
		az_print_diags_object(stdout, d);
}

az_format az_cmd_format(const az_args *args)
{
	const char *o = az_arg(args, "output");
	if (o && strcmp(o, "json") == 0)
		return AZ_FORMAT_JSON;
	if (o && strcmp(o, "markdown") == 0)
		return AZ_FORMAT_MARKDOWN;
	return AZ_FORMAT_TEXT;
}

int az_cmd_select(const char ***out, size_t *len, const az_args *args, const az_stack *stack,
		  const char *const *targets, size_t targets_len, az_diags *d)
{
	int nsel = 0;
	const char *const *selectors = NULL;
	*out = NULL;
	*len = 0;
	for (const az_option *o = args->cmd->options; o && o->name; o++)
		if (strcmp(o->name, "selector") == 0)
			selectors = az_arg_all(args, "selector", &nsel);
	if (!nsel)
		return 0;
	const char **chosen = NULL;
	size_t n = 0;
	if (az_stack_select(&chosen, &n, stack, selectors, (size_t)nsel, d) != 0)
		return AZ_EINVALID;
	/* Selected or targeted: both are planned, with what they need. */
	*out = az_xcalloc(targets_len + n, sizeof(**out));
	for (size_t i = 0; i < targets_len; i++)
		(*out)[(*len)++] = targets[i];
	for (size_t i = 0; i < n; i++)
		(*out)[(*len)++] = chosen[i];
	free(chosen);
	return 0;
}

int az_cmd_run_plan(az_cmd_run *run, const az_args *args, const az_plan_options *po)
{
	az_cmd_origin origin = az_cmd_origin_of(args);
	return az_cmd_run_plan_at(run, args, &origin, po);
}

int az_cmd_load_stack_at(az_stack **out, const az_cmd_origin *origin, const az_args *args,
			 az_diags *d)
{
	return load_stack_at(out, NULL, origin, args, d);
}

int az_cmd_run_plan_at(az_cmd_run *run, const az_args *args, const az_cmd_origin *origin,
		       const az_plan_options *po)
{
	memset(run, 0, sizeof(*run));
	if (load_stack_at(&run->stack, NULL, origin, args, &run->d) != 0)
		return AZ_EINVALID;
	const char **selected = NULL;
	size_t nselected = 0;
	if (az_cmd_select(&selected, &nselected, args, run->stack, po->targets, po->targets_len,
			  &run->d) != 0)
		return AZ_EINVALID;
	az_plan_options chosen = *po;
	if (selected) {
		chosen.targets = selected;
		chosen.targets_len = nselected;
	}
	int rc = az_cmd_open_session(&run->session, args, run->stack, &run->d);
	if (rc == 0)
		rc = az_plan_stack(&run->plan, run->stack, run->session, &chosen, &run->d);
	/* Beside the session's trace of the requests, when it writes one. */
	if (rc == 0 && az_session_verbosity(run->session) > 0)
		fprintf(stderr, "azapply: plan: %zu of %zu resources planned while the refresh read\n",
			run->plan.planned_while_reading, run->stack->len);
	free(selected);
	return rc;
}

void az_cmd_run_free(az_cmd_run *run)
{
	az_plan_free_items(&run->plan);
	az_session_free(run->session);
	az_stack_free(run->stack);
	az_diags_clear(&run->d);
}

void az_cmd_run_finish(az_cmd_run *run, const az_args *args, az_format format)
{
	az_cmd_report(args, &run->d, format);
	az_cmd_leave_plan(&run->plan);
	az_cmd_leave_stack(run->stack);
	run->stack = NULL;
	az_cmd_run_free(run);
}
