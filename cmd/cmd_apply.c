/*
 * cmd_apply.c - `azapply apply`: show the plan, ask, and carry it out.
 *
 * Without --auto-approve it asks on the terminal and refuses to run
 * without one (a CI job that forgot the flag must not hang or guess). A
 * saved plan is applied only if neither the manifests nor any live
 * resource changed since it was made. The first Ctrl-C stops starting new
 * work and waits for what is in flight; a second one exits at once.
 */
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apply_events.h"
#include "cmd.h"

static const char *const APPLY_OUTPUTS[] = {"text", "json", NULL};

static const az_option APPLY_OPTIONS[] = {
	{"env", 'e', "NAME", "the environment (from azapply.yaml)", NULL},
	{"auto-approve", 0, NULL, "apply without asking (required without a terminal)", NULL},
	{"parallelism", 'p', "N", "resources in flight at once (default 10); requests in flight: twice as many, 128 to 250", NULL},
	{"fail-fast", 0, NULL, "start nothing new after the first failure", NULL},
	{"target", 't', "ADDR", "apply only this resource and what it needs (repeatable)", NULL},
	AZ_SELECTOR_OPTION,
	{"cloud", 0, "NAME|FILE", "AzureCloud, AzureUSGovernment, AzureChinaCloud or a cloud file", NULL},
	{"require-clean", 0, NULL, "refuse to apply from a work tree with uncommitted changes", NULL},
	{"output", 'o', "FORMAT", "text (default), or json: one event per line, the rest to stderr",
	 APPLY_OUTPUTS},
	AZ_LOCK_OPTIONS,
	AZ_GIT_OPTIONS,
	{NULL, 0, NULL, NULL, NULL},
};

static volatile sig_atomic_t interrupts;
static volatile int stop_flag;
static volatile int abandon_flag;
static volatile sig_atomic_t lock_held;
static volatile sig_atomic_t exit_signal;

static void say(const char *msg, size_t len)
{
	ssize_t n = write(2, msg, len);
	(void)n;
}

/* The first Ctrl-C stops starting new work. A second one, SIGTERM or
 * SIGHUP exit now; while the stack instance's lock is held, "now" is after
 * the lock is released (the run returns from its wait and lets go of it),
 * so a killed CI job does not leave the next one locked out. */
static void on_signal(int sig)
{
	if (sig == SIGINT && ++interrupts == 1) {
		stop_flag = 1;
		static const char msg[] = "\nazapply: interrupted: starting nothing new, waiting for "
					  "what is in flight (Ctrl-C again to exit now)\n";
		say(msg, sizeof(msg) - 1);
		return;
	}
	if (!lock_held)
		_exit(128 + sig);
	exit_signal = sig;
	stop_flag = 1;
	abandon_flag = 1;
	static const char msg[] = "\nazapply: stopping now: releasing the lock first; what is "
				  "in flight goes on in Azure and the next plan shows it\n";
	say(msg, sizeof(msg) - 1);
}

static void catch_signals(void)
{
	struct sigaction sa = {0};
	sa.sa_handler = on_signal;
	/* No SA_RESTART: a signal must end the wait for the confirmation. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

int az_cmd_lock_timeout(const az_args *args, int *seconds)
{
	const char *v = az_arg(args, "lock-timeout");
	*seconds = 0;
	if (!v)
		return 0;
	char *end = NULL;
	long n = strtol(v, &end, 10);
	long unit = !*end ? 1 : !strcmp(end, "s") ? 1 : !strcmp(end, "m") ? 60
		  : !strcmp(end, "h") ? 3600 : 0;
	if (end == v || n < 0 || unit == 0 || n > 24 * 3600 / unit)
		return az_usage_error(args->cmd, "--lock-timeout takes a duration such as 30s, 5m "
						 "or 1h (at most 24h), not '%s'", v);
	*seconds = (int)(n * unit);
	return 0;
}

/* On a terminal (and not in CI), a live line shows the longest-running
 * operation; every other line first clears it. */
static bool status_line;
static bool status_shown;

static void clear_status(void)
{
	if (status_shown) {
		fputs("\r\033[K", stdout);
		status_shown = false;
	}
}

static void status_tick(void *ud, az_apply_event ev, const char *address, const char *what,
			double seconds)
{
	(void)ud;
	(void)ev;
	if (!status_line)
		return;
	int s = (int)seconds;
	printf("\r\033[K%s %s... %dm%02ds", address, what, s / 60, s % 60);
	status_shown = true;
	fflush(stdout);
}

static void progress(void *ud, az_apply_event ev, const char *address, const char *what,
		     double seconds)
{
	(void)ud;
	clear_status();
	switch (ev) {
	case AZ_APPLY_STARTED:
		printf("%s: %s...\n", address, what);
		break;
	case AZ_APPLY_DONE:
		printf("%s: %s (%.1fs)\n", address, what, seconds);
		break;
	case AZ_APPLY_FAILED:
		printf("%s: failed after %.1fs\n", address, seconds);
		break;
	case AZ_APPLY_SKIPPED:
		printf("%s: skipped (%s failed)\n", address, what);
		break;
	}
	fflush(stdout);
}

/* Where the words for people go: stdout, or stderr when stdout carries
 * --output json events. */
static FILE *human = NULL;

static bool confirm(void)
{
	fprintf(human, "\nDo you want to apply these changes? Only 'yes' is accepted: ");
	fflush(human);
	char line[32];
	if (!fgets(line, sizeof(line), stdin))
		return false;
	line[strcspn(line, "\r\n")] = '\0';
	return strcmp(line, "yes") == 0;
}

/* `word`, quoted for a POSIX shell when it needs to be. */
static void shell_word(az_buf *b, const char *word)
{
	if (word[0] && strspn(word, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "0123456789-_./:=@%+,") == strlen(word)) {
		az_buf_puts(b, word);
		return;
	}
	az_buf_putc(b, '\'');
	for (const char *p = word; *p; p++) {
		if (*p == '\'')
			az_buf_puts(b, "'\\''");
		else
			az_buf_putc(b, *p);
	}
	az_buf_putc(b, '\'');
}

/* The command that makes the saved plan `path` again, for `env` (NULL:
 * the one it was made for): its folder, its revision, its environment. */
static char *replan_command(const json_t *saved, const char *env, const char *path)
{
	const char *root = json_string_value(json_object_get(saved, "root"));
	const char *planned = json_string_value(json_object_get(saved, "environment"));
	az_buf b = AZ_BUF_INIT;
	az_buf_puts(&b, "azapply plan ");
	/* A revision's root is shown as REF:DIR. */
	const char *colon = root ? strchr(root, ':') : NULL;
	if (colon) {
		char *ref = az_xstrndup(root, (size_t)(colon - root));
		shell_word(&b, colon[1] ? colon + 1 : ".");
		az_buf_puts(&b, " --git-ref ");
		shell_word(&b, ref);
		free(ref);
	} else {
		shell_word(&b, root ? root : ".");
	}
	if (env || planned) {
		az_buf_puts(&b, " --env ");
		shell_word(&b, env ? env : planned);
	}
	if (json_is_true(json_object_get(saved, "destroy")))
		az_buf_puts(&b, " --destroy");
	az_buf_puts(&b, " --out ");
	shell_word(&b, path);
	return az_buf_detach(&b);
}

/* A saved plan: the same manifests and the same live state, or nothing. */
static int check_saved_plan(const char *path, const az_stack *stack, const az_plan *fresh,
			    az_diags *d)
{
	json_error_t jerr;
	json_t *saved = az_json_load_file(path, &jerr);
	int rc = AZ_EINVALID;
	if (!saved) {
		az_diag_add(d, AZ_SEV_ERROR, NULL, NULL, "%s is not a saved plan: %s", path, jerr.text);
		return rc;
	}
	char *digest = az_stack_digest(stack);
	char *replan = replan_command(saved, NULL, path);
	const char *was = json_string_value(json_object_get(saved, "manifestDigest"));
	if (!was || strcmp(was, digest) != 0) {
		az_diag *x = az_diag_add(d, AZ_SEV_ERROR, NULL, NULL,
					 "the manifests changed since %s was planned", path);
		az_diag_set_detail(x, "run `%s` again and review it", replan);
		goto done;
	}
	size_t i;
	json_t *r;
	json_array_foreach(json_object_get(saved, "resources"), i, r) {
		const char *address = json_string_value(json_object_get(r, "address"));
		const char *then = json_string_value(json_object_get(r, "liveDigest"));
		const az_plan_item *now = NULL;
		for (size_t j = 0; j < fresh->len && address; j++)
			if (strcmp(fresh->items[j].address, address) == 0)
				now = &fresh->items[j];
		char *now_digest = now && now->live ? az_plan_live_digest(now) : NULL;
		bool same = (!then && !now_digest) || (then && now_digest && strcmp(then, now_digest) == 0);
		free(now_digest);
		if (!same || !now) {
			az_diag *x = az_diag_add(d, AZ_SEV_ERROR, NULL, address,
						 "changed in Azure since %s was planned", path);
			az_diag_set_detail(x, "run `%s` again and review it", replan);
			goto done;
		}
	}
	if (json_array_size(json_object_get(saved, "resources")) != fresh->len) {
		az_diag *x = az_diag_add(d, AZ_SEV_ERROR, NULL, NULL,
					 "the resources in Azure changed since %s was planned", path);
		az_diag_set_detail(x, "run `%s` again and review it", replan);
		goto done;
	}
	rc = 0;
done:
	free(replan);
	free(digest);
	json_decref(saved);
	return rc;
}

/* Arguments for loading the stack a saved plan was made from: its root
 * and, unless --env names it already, its environment (a plan for dev
 * applied without --env must not load the manifests with no environment).
 * Loading reads only apply's own options, so only their slots are copied;
 * `values` is freed by the caller. */
static int saved_plan_args(az_args *out, struct az_arg_value **values, const char **dir,
			   const char **env, bool *destroy, const az_args *args, const char *path,
			   az_diags *d)
{
	json_t *saved = az_json_load_file(path, NULL);
	const char *root = json_string_value(json_object_get(saved, "root"));
	/* A plan made with `plan --destroy` is applied as a destroy. */
	*destroy = json_is_true(json_object_get(saved, "destroy"));
	const char *planned = json_string_value(json_object_get(saved, "environment"));
	const char *given = az_arg(args, "env");
	int rc = 0;
	*dir = az_xstrdup(root ? root : ".");
	*env = planned ? az_xstrdup(planned) : NULL;
	*out = *args;
	out->positional = dir;
	out->positional_len = 1;
	if (given && planned && strcmp(given, planned) != 0) {
		az_diag *x = az_diag_add(d, AZ_SEV_ERROR, NULL, NULL,
					 "%s was planned for environment %s, not %s", path, planned,
					 given);
		char *replan = replan_command(saved, given, path);
		az_diag_set_detail(x, "run `%s` for that environment", replan);
		free(replan);
		rc = AZ_EINVALID;
	} else if (!given && planned) {
		size_t own = 0, slot = 0;
		while (args->cmd->options[own].name)
			own++;
		while (strcmp(args->cmd->options[slot].name, "env") != 0)
			slot++;
		*values = az_xcalloc(own, sizeof(**values));
		memcpy(*values, args->values, own * sizeof(**values));
		(*values)[slot].count = 1;
		(*values)[slot].values = env;
		out->values = *values;
	}
	json_decref(saved);
	return rc;
}

static bool is_plan_file(const char *path)
{
	size_t n = strlen(path);
	return n > 5 && strcmp(path + n - 5, ".json") == 0 && access(path, R_OK) == 0;
}

/* import: only the adoption of the one resource named, nothing else. */
static int restrict_to_import(az_plan *plan, const az_apply_request *req, az_diags *d)
{
	const char *address = req->targets[0];
	az_plan_item *target = NULL;
	for (size_t i = 0; i < plan->len; i++) {
		az_plan_item *it = &plan->items[i];
		if (strcmp(it->address, address) == 0 && it->action != AZ_ACTION_DELETE)
			target = it;
		else
			it->action = AZ_ACTION_NOOP;
	}
	if (!target) {
		az_diag_add(d, AZ_SEV_ERROR, NULL, NULL, "%s is not a resource of this stack", address);
		return AZ_EINVALID;
	}
	if (!target->id || strcasecmp(target->id, req->import_id) != 0) {
		az_diag *x = az_diag_add(d, AZ_SEV_ERROR, &target->pos, address,
					 "the manifest describes %s, not %s",
					 target->id ? target->id : "(an id known only after apply)",
					 req->import_id);
		az_diag_set_detail(x, "set the manifest's name and scope to those of the resource "
				      "to import");
		return AZ_EINVALID;
	}
	if (!target->live) {
		az_diag_add(d, AZ_SEV_ERROR, &target->pos, address, "%s does not exist in Azure",
			    req->import_id);
		return AZ_ENOTFOUND;
	}
	if (target->refused)
		return 0; /* shown with the plan, refused below */
	if (!target->adopt) {
		/* Firewall rules and Synapse role assignments have no place for
		 * a marker: their manifest is all that makes them this stack's. */
		if (target->kind->marker == AZ_MARKER_NONE)
			printf("%s has no place for an ownership marker: its manifest is what "
			       "manages it, and it is never pruned. Nothing to import.\n",
			       address);
		else
			printf("%s is already managed by this stack: nothing to import.\n",
			       address);
		target->action = AZ_ACTION_NOOP;
		return 0;
	}
	/* Import only reads: like Terraform's, it takes a resource under
	 * management as it is. What the manifest would change is the next
	 * apply's to show and do. */
	az_buf pending = AZ_BUF_INIT;
	az_plan_item_marker_only(target, &pending);
	if (pending.len)
		printf("%s differs from its manifest in: %s.\nImport leaves these as they are; "
		       "`azapply plan` shows them and `azapply apply` changes them.\n\n",
		       address, pending.data);
	az_buf_free(&pending);
	return 0;
}

/* The plan for people (stdout, or stderr beside --output json events),
 * and its "planned" events. */
static void show_plan(const az_args *args, const az_plan *plan, bool events, az_apply_events *ev)
{
	if (events) {
		az_buf text = AZ_BUF_INIT;
		az_plan_render_text(&text, plan, &(az_render_options){.color = false});
		fputs(text.data ? text.data : "", stderr);
		az_buf_free(&text);
		az_events_planned(ev, plan);
	} else {
		az_cmd_print_plan(args, plan, AZ_FORMAT_TEXT);
	}
}

/* What a second round needs of the first. */
typedef struct apply_round {
	const az_args *args;
	az_stack *stack;
	az_session *session;
	const az_plan_options *po;
	const char *label;
	bool auto_approve, events;
	az_apply_events *ev;
	const az_apply_options *ao;
	/* The first plan's diagnostics in the run's list: the second plan
	 * says again what still holds, and a closed workspace's "run apply
	 * again" no longer does. */
	size_t first_from, first_to;
} apply_round;

/* The first plan could not read what lives behind a workspace firewall
 * that its own rules were about to open, and planned it "defer". Those
 * rules are in place now: plan again and apply what that plan shows, in
 * the same run and under the same lock, so that a run stopped between a
 * workspace and its rule is finished by one apply, as any other. The new
 * plan replaces *plan (its deferred count is what is still unread); what
 * the first plan changed is added to *earlier and the second apply's
 * counts to *res. A saved plan never gets here: it is applied as it was
 * reviewed. */
static int apply_opened(const apply_round *r, az_plan *plan, az_plan_counts *earlier,
			az_apply_result *res, az_diags *d)
{
	size_t unread = az_plan_count(plan).deferred;
	fprintf(human, "\n%zu resource%s not read by the first plan: the firewall rules just "
		       "created admit this address now. Planning %s.\n\n",
		unread, unread == 1 ? " was" : "s were", unread == 1 ? "it" : "them");
	size_t dropped = az_diags_drop_warnings(d, r->first_from, r->first_to);
	if (r->ev->failed_from >= r->first_to)
		r->ev->failed_from -= dropped;
	az_plan next;
	if (az_plan_stack(&next, r->stack, r->session, r->po, d) != 0) {
		az_plan_free_items(&next);
		return AZ_EINVALID;
	}
	az_plan_set_provenance(&next, r->label);
	az_plan_counts c = az_plan_count(plan);
	earlier->create += c.create;
	earlier->update += c.update;
	earlier->replace += c.replace;
	earlier->destroy += c.destroy;
	az_plan_free_items(plan);
	*plan = next;
	show_plan(r->args, plan, r->events, r->ev);
	if (!az_plan_has_changes(plan))
		return 0;
	if (az_plan_count(plan).refused) {
		az_diag_add(d, AZ_SEV_ERROR, NULL, NULL,
			    "a planned action of the second plan is refused: it was not applied");
		return AZ_EINVALID;
	}
	if (!r->auto_approve && (!confirm() || stop_flag)) {
		fprintf(human, "Cancelled: the second plan was not applied.\n");
		return AZ_EINVALID;
	}
	fputc('\n', human);
	az_apply_result more = {0};
	int rc = az_apply(plan, r->ao, &more, d);
	res->done += more.done;
	res->failed += more.failed;
	res->skipped += more.skipped;
	res->not_started += more.not_started;
	return rc;
}

int az_cmd_apply(const az_args *args, const az_apply_request *req)
{
	az_diags d = AZ_DIAGS_INIT;
	az_stack *stack = NULL;
	az_session *session = NULL;
	az_plan plan = {0};
	int rc = AZ_EXIT_ERROR;
	az_args load_args = *args;
	const char *dir_from_plan[1] = {NULL};
	const char *env_from_plan[1] = {NULL};
	struct az_arg_value *plan_values = NULL;
	az_git_provenance prov = {0};
	az_lock *lock = NULL;
	char *label = NULL; /* the commit the ownership markers record */
	const char **selected = NULL;
	size_t nselected = 0;
	/* --output json: events on stdout (apply_events.c), people's words on stderr. */
	bool events = args->cmd == &cmd_apply && az_cmd_format(args) == AZ_FORMAT_JSON;
	az_apply_events ev = {.d = &d};
	const char *outcome = "error";
	az_apply_result res = {0};
	az_plan_counts planned_before = {0}; /* what a first round changed */
	bool applied = false;
	human = events ? stderr : stdout;

	bool destroy = req->destroy;
	if (req->plan_file && saved_plan_args(&load_args, &plan_values, dir_from_plan, env_from_plan,
					      &destroy, args, req->plan_file, &d) != 0)
		goto done;
	/* import has no --parallelism (it applies one resource), and asking
	 * for an option a command does not declare aborts. */
	int parallelism = 0;
	if (!req->import_id && az_cmd_parallelism(args, &parallelism) != 0) {
		rc = AZ_EXIT_USAGE;
		goto out;
	}
	int lock_timeout = 0;
	if (az_cmd_lock_timeout(args, &lock_timeout) != 0) {
		rc = AZ_EXIT_USAGE;
		goto out;
	}
	bool auto_approve = az_arg_flag(args, "auto-approve");
	if (!auto_approve && !isatty(STDIN_FILENO)) {
		az_diag *x = az_diag_add(&d, AZ_SEV_ERROR, NULL, NULL,
					 "%s needs a terminal to ask for confirmation", args->cmd->name);
		az_diag_set_detail(x, "review the plan and run again with --auto-approve");
		goto done;
	}
	if (az_cmd_load_stack_from(&stack, &prov, &load_args, &d) != 0)
		goto done;
	/* --selector: the resources it picks are targets (checked offline). */
	if (!req->import_id && az_cmd_select(&selected, &nselected, args, stack, req->targets,
					     req->targets_len, &d) != 0)
		goto done;
	if (prov.dirty && !destroy) {
		/* The marker says "-dirty": what was applied is not in any commit. */
		if (args->cmd == &cmd_apply && az_arg_flag(args, "require-clean")) {
			az_diag *x = az_diag_add(&d, AZ_SEV_ERROR, NULL, NULL,
						 "%s has uncommitted changes: nothing was applied",
						 load_args.positional_len ? load_args.positional[0] : ".");
			az_diag_set_detail(x, "commit them, or apply a commit with --git-ref REF");
			goto done;
		}
		fprintf(stderr, "warning: %s has uncommitted changes; the resources will record "
				"commit %.12s as dirty\n",
			load_args.positional_len ? load_args.positional[0] : ".", prov.commit);
	}
	if (az_cmd_open_session(&session, args, stack, &d) != 0)
		goto done;
	/* One writer per stack instance, from before the live state is read
	 * until the end: a plan made under the lock stays true. */
	catch_signals();
	label = az_git_provenance_label(&prov);
	az_lock_options lo = {
		.operation = args->cmd->name,
		.commit = label,
		.timeout_s = lock_timeout,
		.interrupted = &stop_flag,
	};
	int lrc = az_lock_acquire(&lock, stack, session, &lo, &d);
	lock_held = lock != NULL;
	if (lrc != 0)
		goto done;
	az_plan_options po = {.targets = selected ? selected : req->targets,
			      .targets_len = selected ? nselected : req->targets_len,
			      .targets_given_as = req->import_id ? "import" : NULL,
			      .destroy = destroy};
	size_t first_from = d.len;
	if (az_plan_stack(&plan, stack, session, &po, &d) != 0)
		goto done;
	size_t first_to = d.len;
	az_plan_set_provenance(&plan, label);
	if (stop_flag) {
		fprintf(human, "Interrupted before anything was changed.\n");
		outcome = "interrupted";
		rc = AZ_EXIT_INTERRUPTED;
		goto done;
	}
	if (req->plan_file && check_saved_plan(req->plan_file, stack, &plan, &d) != 0)
		goto done;
	if (req->import_id && restrict_to_import(&plan, req, &d) != 0)
		goto done;
	show_plan(args, &plan, events, &ev);
	if (!az_plan_has_changes(&plan)) {
		outcome = "no-changes";
		rc = AZ_EXIT_OK;
		goto done;
	}
	az_plan_counts counts = az_plan_count(&plan);
	if (counts.refused) {
		az_diag_add(&d, AZ_SEV_ERROR, NULL, NULL,
			    "%zu planned action%s refused: nothing was changed", counts.refused,
			    counts.refused == 1 ? " is" : "s are");
		outcome = "refused";
		goto done;
	}
	if (!auto_approve && (!confirm() || stop_flag)) {
		fprintf(human, "Cancelled: nothing was changed.\n");
		outcome = "cancelled";
		goto done;
	}
	az_apply_options ao = {
		.parallelism = parallelism,
		.fail_fast = req->import_id ? false : az_arg_flag(args, "fail-fast"),
		.progress = progress,
		.tick = status_tick,
		.interrupted = &stop_flag,
		.abandon = &abandon_flag,
	};
	if (events) {
		ao.progress = az_events_progress;
		ao.tick = az_events_tick;
		ao.progress_ud = &ev;
		ev.failed_from = d.len;
	}
	fputc('\n', human);
	const char *ci = getenv("CI");
	status_line = !events && isatty(STDOUT_FILENO) && !(ci && *ci) && az_use_color(stdout, args);
	/* No status line, no ticks: a pending tick holds the end of the run
	 * for up to a second, which every apply and import would wait. A
	 * reader of events is told about long steps. */
	if (!status_line && !events)
		ao.tick = NULL;
	int arc = az_apply(&plan, &ao, &res, &d);
	applied = true;
	clear_status();
	if (arc == 0 && az_plan_count(&plan).deferred && !req->plan_file && !req->import_id &&
	    !destroy && !stop_flag) {
		apply_round second = {
			.args = args, .stack = stack, .session = session, .po = &po,
			.label = label, .auto_approve = auto_approve, .events = events,
			.ev = &ev, .ao = &ao, .first_from = first_from, .first_to = first_to,
		};
		arc = apply_opened(&second, &plan, &planned_before, &res, &d);
		clear_status();
	}
	if (abandon_flag) {
		/* The session's callbacks point into the abandoned run: the lock
		 * is released through a new one, and the process ends here. */
		az_session *fresh = NULL;
		if (az_cmd_open_session(&fresh, args, stack, &d) == 0)
			az_lock_release(lock, fresh, &d);
		az_cmd_report(args, &d, AZ_FORMAT_TEXT);
		fflush(stdout);
		_exit(128 + exit_signal);
	}
	fprintf(human, "\n%s %s: %zu done, %zu failed, %zu skipped%s.\n",
	       destroy ? "Destroy" : req->import_id ? "Import" : "Apply",
	       arc == 0 ? "complete" : "incomplete", res.done, res.failed, res.skipped,
	       res.not_started ? ", some not started (interrupted)" : "");
	outcome = arc == 0 ? "complete" : "incomplete";
	rc = arc == 0 ? AZ_EXIT_OK : AZ_EXIT_ERROR;
	size_t unread = az_plan_count(&plan).deferred;
	if (arc == 0 && unread) {
		/* Not an error, and not done either: a pipeline that stops on
		 * anything but 0 runs apply again rather than going green over a
		 * workspace whose artifacts were never applied. */
		fprintf(human, "%zu resource%s not read by the plan (marked ?) %s left for the "
			       "next run: run apply again.\n",
			unread, unread == 1 ? "" : "s", unread == 1 ? "is" : "are");
		outcome = "deferred";
		rc = AZ_EXIT_CHANGES;
	}
done:
	az_lock_release(lock, session, &d);
	lock_held = 0;
	if (exit_signal)
		rc = 128 + exit_signal;
	az_cmd_report(args, &d, AZ_FORMAT_TEXT);
	if (events)
		az_events_summary(args->cmd->name, outcome, &plan, &planned_before,
				  applied ? &res : NULL, &d);
out:
	az_events_clear(&ev);
	az_cmd_leave_plan(&plan);
	az_session_free(session);
	az_cmd_leave_stack(stack);
	az_diags_clear(&d);
	az_git_provenance_free(&prov);
	free((char *)(uintptr_t)dir_from_plan[0]);
	free((char *)(uintptr_t)env_from_plan[0]);
	free(plan_values);
	free(selected);
	free(label);
	return rc;
}

static int apply_exec(const az_args *args)
{
	int ntargets = 0;
	const char *const *targets = az_arg_all(args, "target", &ntargets);
	az_apply_request req = {.targets = targets, .targets_len = (size_t)ntargets};
	const char *arg = args->positional_len ? args->positional[0] : NULL;
	struct stat st;
	if (arg && is_plan_file(arg))
		req.plan_file = arg;
	else if (arg && stat(arg, &st) == 0 && !S_ISDIR(st.st_mode))
		/* "is not a directory" would hide that a plan file was meant. */
		return az_usage_error(&cmd_apply,
				      "%s: a saved plan is a .json file written by `azapply plan "
				      "--out`; a directory of manifests is also accepted",
				      arg);
	return az_cmd_apply(args, &req);
}

const az_command cmd_apply = {
	.name = "apply",
	.summary = "Change Azure to match the manifests",
	.usage = "azapply apply [DIR | PLANFILE] [--env NAME] [--auto-approve] [--parallelism N] "
		 "[--fail-fast] [--target ADDR]... [--selector KEY=VALUE]... [--require-clean] [--lock-timeout DURATION] "
		 "[--output text|json] [--git-ref REF [--repo PATH]]",
	.description =
		"Plans as `azapply plan` does, shows the plan and asks for confirmation\n"
		"(--auto-approve skips the question; without a terminal it is required).\n"
		"Resources are created and updated in dependency order, up to --parallelism\n"
		"at a time, deleted in reverse order; values known only after apply are\n"
		"filled in as their sources complete. A failure skips what depends on it and\n"
		"lets independent work finish; running apply again converges.\n\n"
		"PLANFILE (from `azapply plan --out FILE.json`) is applied only when neither\n"
		"the manifests nor any live resource changed since it was made.\n"
		"Ctrl-C stops starting new work and waits for what is in flight; a second\n"
		"Ctrl-C exits at once. Exit 0 when everything was applied, 1 otherwise.\n\n"
		"Each changed resource records the git commit it was applied from in its\n"
		"ownership marker (azapply-commit; \"-dirty\" when DIR had uncommitted\n"
		"changes, which --require-clean refuses; \"+COMMIT\" after it for a\n"
		"component pinned to a commit). With --git-ref REF the manifests\n"
		"are read from that commit's tree and DIR is a folder inside it.\n\n"
		"--output json prints one JSON event per line on stdout (planned, started,\n"
		"progress, done, failed, skipped, then always a summary); the plan and\n"
		"everything else for people go to stderr.",
	.options = APPLY_OPTIONS,
	.max_positional = 1,
	.exec = apply_exec,
};
