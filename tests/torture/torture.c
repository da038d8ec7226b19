/*
 * torture.c - one point of the torture sweep, run as a user runs azapply:
 * reset the emulator to empty, set the fault, apply, judge how it ended,
 * then apply and plan again without the fault and judge whether they
 * converged (see torture.h).
 *
 * A clean end is: the faulted run exits 0, or 1 with an error diagnostic
 * (`file:line:col: error: ...` or `azapply: error: ...`); for an
 * allocation point, it may also abort with azapply's one out-of-memory
 * line. Never a timeout, another signal, another exit code, or a
 * sanitizer report. Converged is: when the faulted run exited 0, the plan
 * right after it already says "No changes" (exit 0 with the wrong state
 * in Azure is the worst outcome); otherwise an apply exits 0 and then the
 * plan does. Either way the emulator then holds exactly the resources the
 * run without a fault made: nothing lost, nothing made twice.
 *
 * Request points are counted by a fault rule that matches every request
 * carrying an api-version (all of ARM and the Synapse data plane, none of
 * the token endpoint, whose requests depend on timing through the token
 * cache) and lets the first k pass ("skip"); the log names the request it
 * hit. The emulator is reset through the control API, not restarted: the
 * store of a fresh emulator is put back, which is all of its state.
 */
#define _GNU_SOURCE /* vasprintf */
#include "torture.h"

#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "harness.h"
#include "run.h"

#define SQL_PASSWORD "torture-Passw0rd!"
/* What the request fault matches, and so what counts as a request point:
 * ARM and Synapse requests carry an api-version, Graph's name theirs in
 * the path. (The pattern sits in a JSON string too: no backslash.) */
#define COUNTED "api-version=|^/v1[.]0/"
#define LOCK_CONTAINER "/containers/azapply-lock-"
#define ROLE_ASSIGNMENTS "/roleassignments/"

struct torture {
	emu *e;
	char **env; /* the child's environment, NULL-terminated, owned */
	char *dir;
	char *stack;
	char *azapply;
	char *hooked;
	int run_seconds;
	char *empty_store; /* the store of the fresh emulator, as JSON text */
	json_t *made;      /* the clean run's resources: key -> how many */
	size_t requests;
	size_t allocations;
};

const char *torture_mode_name(torture_mode mode)
{
	static const char *const names[] = {"500", "404", "drop", "alloc"};
	return names[mode];
}

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	return s;
}

/* ---------------------------------------------------------------------
 * The emulator.
 */
static int control(torture *t, const char *method, const char *path, const char *body,
		   json_t **answer)
{
	json_t *got = NULL;
	int status = emu_control(t->e, method, path, body, &got);
	if (answer)
		*answer = got;
	else
		json_decref(got);
	if (status == 200)
		return 0;
	fprintf(stderr, "torture: %s /_emulator/%s answered %d\n", method, path, status);
	return -1;
}

static int reset(torture *t)
{
	if (control(t, "DELETE", "faults", NULL, NULL) || control(t, "DELETE", "log", NULL, NULL))
		return -1;
	return control(t, "PUT", "store", t->empty_store, NULL);
}

static bool counted(const json_t *entry, const regex_t *re)
{
	const char *path = json_string_value(json_object_get(entry, "path"));
	return path && strncmp(path, "/_emulator", 10) && !regexec(re, path, 0, NULL, 0);
}

/* The requests azapply sent since the log was cleared: how many counted,
 * and any it sent that the fault rule would not see (a new host or API
 * without an api-version), which would leave points untried. */
static int read_requests(torture *t, size_t *count, char **unseen)
{
	json_t *log = NULL;
	if (control(t, "GET", "log", NULL, &log))
		return -1;
	regex_t re;
	regcomp(&re, COUNTED, REG_EXTENDED | REG_NOSUB);
	*count = 0;
	*unseen = NULL;
	size_t i;
	json_t *entry;
	json_array_foreach(json_object_get(log, "requests"), i, entry) {
		const char *kind = json_string_value(json_object_get(entry, "kind"));
		const char *path = json_string_value(json_object_get(entry, "path"));
		if (counted(entry, &re))
			(*count)++;
		else if (!*unseen && strcmp(kind, "tokens") && strncmp(path, "/_emulator", 10))
			*unseen = xasprintf("%s %s", json_string_value(json_object_get(entry, "method")),
					    path);
	}
	regfree(&re);
	json_decref(log);
	return 0;
}

/* The request the fault rule fired on, "METHOD host path", or NULL. */
static char *faulted_request(torture *t)
{
	json_t *log = NULL;
	if (control(t, "GET", "log", NULL, &log))
		return NULL;
	char *found = NULL;
	size_t i;
	json_t *entry;
	json_array_foreach(json_object_get(log, "requests"), i, entry) {
		if (!json_is_string(json_object_get(entry, "fault")))
			continue;
		found = xasprintf("%s %s %s", json_string_value(json_object_get(entry, "method")),
				  json_string_value(json_object_get(entry, "host")),
				  json_string_value(json_object_get(entry, "path")));
		break;
	}
	json_decref(log);
	return found;
}

static void count_key(json_t *set, const char *key)
{
	json_t *n = json_object_get(set, key);
	json_object_set_new(set, key, json_integer(n ? json_integer_value(n) + 1 : 1));
}

/* What the emulator holds, as key -> how many: ARM ids (the store keys
 * them in lower case) and "ws/collection/name" of Synapse artifacts. A
 * role assignment's name is a UUID made from its principal, which is new
 * with every workspace identity, so all count under ".../roleassignments/":
 * one assignment, not two. The lock's container is left out (it exists
 * once an apply found the storage account, whatever else happened). */
static json_t *resources(torture *t)
{
	json_t *store = NULL;
	if (control(t, "GET", "store", NULL, &store))
		return NULL;
	json_t *set = json_object();
	const char *key, *ws, *collection, *name;
	json_t *v, *cols, *items;
	json_object_foreach(json_object_get(store, "arm"), key, v) {
		const char *role = strstr(key, ROLE_ASSIGNMENTS);
		if (role) {
			char *k = xasprintf("%.*s", (int)(role - key + strlen(ROLE_ASSIGNMENTS)), key);
			count_key(set, k);
			free(k);
		} else if (!strstr(key, LOCK_CONTAINER)) {
			count_key(set, key);
		}
	}
	json_object_foreach(json_object_get(store, "synapse"), ws, cols) {
		json_object_foreach(cols, collection, items) {
			json_object_foreach(items, name, v) {
				/* A Synapse role assignment's id, like an ARM one's,
				 * comes from its principal's object id, which Graph
				 * makes anew for each run's service principal: counted
				 * by collection. */
				bool by_count = strncmp(collection, "roleassignments", 15) == 0;
				char *k = xasprintf("%s/%s/%s", ws, collection, by_count ? "*" : name);
				count_key(set, k);
				free(k);
			}
		}
	}
	json_decref(store);
	return set;
}

/* ---------------------------------------------------------------------
 * Runs of azapply.
 */
typedef enum verb { APPLY, PLAN } verb;

static void run(torture *t, run_result *r, const char *binary, verb what, long alloc_at)
{
	const char *argv[] = {what == APPLY ? "apply" : "plan", t->stack, "--env", "dev",
			      what == APPLY ? "--auto-approve" : "--detailed-exitcode", NULL};
	char countdown[64];
	snprintf(countdown, sizeof(countdown), "AZAPPLY_TORTURE_ALLOC=%ld", alloc_at);
	const char **env = test_env_with(t->env, alloc_at >= 0 ? countdown : NULL, NULL);
	if (run_command_bounded(r, binary, argv, env, NULL, t->run_seconds) != 0) {
		memset(r, 0, sizeof(*r));
		r->exit_code = -1;
		r->out = strdup("");
		r->err = strdup("torture: could not start azapply");
	}
	free(env);
}

static bool sanitizer_report(const run_result *r)
{
	return strstr(r->err, "AddressSanitizer") || strstr(r->err, "LeakSanitizer") ||
	       strstr(r->err, "runtime error:");
}

/* An error diagnostic, in either of the forms azapply prints. */
static bool error_line(const char *text)
{
	for (const char *line = text; *line;) {
		size_t n = strcspn(line, "\n");
		const char *e = strstr(line, ": error: ");
		if (e && (size_t)(e - line) < n)
			return true;
		line += n + (line[n] == '\n');
	}
	return false;
}

static bool out_of_memory_abort(const run_result *r)
{
	return r->signal == SIGABRT && strstr(r->err, "azapply: fatal: out of memory");
}

/* How a run ended, and its output, for a report. */
static void describe(FILE *f, const char *what, const run_result *r)
{
	if (r->timed_out)
		fprintf(f, "%s: hung, killed after the time limit\n", what);
	else if (r->signal)
		fprintf(f, "%s: killed by signal %d\n", what, r->signal);
	else
		fprintf(f, "%s: exit %d\n", what, r->exit_code);
	fprintf(f, "--- stdout\n%s--- stderr\n%s---\n", r->out, r->err);
}

/* Why the faulted run did not end cleanly, or NULL. */
static const char *unclean_end(const run_result *r, torture_mode mode)
{
	if (r->timed_out)
		return "the run hung";
	if (sanitizer_report(r))
		return "a sanitizer report";
	if (mode == TORTURE_ALLOC && r->signal)
		return out_of_memory_abort(r) ? NULL : "killed by a signal, not the out-of-memory abort";
	if (r->signal)
		return "killed by a signal";
	if (r->exit_code == 1)
		return error_line(r->err) ? NULL : "exit 1 without an error diagnostic";
	return r->exit_code == 0 ? NULL : "an exit code other than 0 or 1";
}

/* The keys `a` holds more often than `b`, one per line after `label`. */
static void missing(FILE *f, const char *label, json_t *a, json_t *b)
{
	const char *key;
	json_t *v;
	json_object_foreach(a, key, v) {
		json_int_t more = json_integer_value(v) - json_integer_value(json_object_get(b, key));
		if (more > 0)
			fprintf(f, "%s %s (%lld)\n", label, key, (long long)more);
	}
}

/* Why the state after a run is not the clean run's, or NULL; what differs
 * goes to `f`. */
static const char *wrong_state(torture *t, const run_result *plan, FILE *f)
{
	if (plan->timed_out || plan->exit_code != 0 || !strstr(plan->out, "No changes"))
		return "the plan that followed did not say \"No changes\"";
	json_t *now = resources(t);
	bool same = now && json_equal(now, t->made);
	if (!same && now) {
		missing(f, "missing:", t->made, now);
		missing(f, "extra:", now, t->made);
	}
	json_decref(now);
	return same ? NULL : "the emulator does not hold exactly the clean run's resources";
}

static bool leaked_secret(const run_result *r)
{
	return r->out && (strstr(r->out, SQL_PASSWORD) || strstr(r->err, SQL_PASSWORD));
}

/* ---------------------------------------------------------------------
 * One point.
 */
static int add_fault(torture *t, torture_mode mode, size_t k)
{
	const char *answer =
		mode == TORTURE_500   ? "\"status\":500,\"body\":{\"error\":{\"code\":"
					"\"InternalServerError\",\"message\":\"torture\"}}"
		: mode == TORTURE_404 ? "\"status\":404,\"body\":{\"error\":{\"code\":"
					"\"NotFound\",\"message\":\"torture\"}}"
				      : "\"drop\":true";
	char *rule = xasprintf("{\"path\":\"%s\",\"skip\":%zu,\"times\":1,%s}", COUNTED, k,
			       answer);
	int rc = control(t, "POST", "faults", rule, NULL);
	free(rule);
	return rc;
}

void torture_point(torture *t, torture_mode mode, size_t k, torture_result *out)
{
	memset(out, 0, sizeof(*out));
	run_result faulted = {0}, apply = {0}, plan = {0};
	const char *why = NULL, *after = NULL;
	char *differences = NULL;
	size_t differences_len = 0;
	FILE *diff = open_memstream(&differences, &differences_len);
	bool alloc = mode == TORTURE_ALLOC;
	if (reset(t) || (!alloc && add_fault(t, mode, k))) {
		why = "the emulator could not be prepared";
		goto done;
	}
	run(t, &faulted, alloc ? t->hooked : t->azapply, APPLY, alloc ? (long)k : -1);
	if (!alloc)
		out->request = faulted_request(t);
	why = leaked_secret(&faulted) ? "the SQL password was printed" : unclean_end(&faulted, mode);
	out->failed_cleanly = !why && (faulted.exit_code != 0 || faulted.signal);

	/* However it ended, the next runs must find their way. */
	if (control(t, "DELETE", "faults", NULL, NULL)) {
		after = "the fault could not be removed";
		goto done;
	}
	if (faulted.exit_code != 0 || faulted.signal || faulted.timed_out) {
		run(t, &apply, t->azapply, APPLY, -1);
		if (apply.exit_code != 0 || apply.signal || apply.timed_out || sanitizer_report(&apply)) {
			after = "the apply without the fault did not exit 0";
			goto done;
		}
	}
	run(t, &plan, t->azapply, PLAN, -1);
	after = leaked_secret(&apply) || leaked_secret(&plan) ? "the SQL password was printed"
							      : wrong_state(t, &plan, diff);
	out->converged = !after;
done:
	fclose(diff);
	out->ok = !why && !after;
	if (!out->ok) {
		char *text = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);
		fprintf(f, "point %zu (%s)%s%s: %s%s%s\n", k, torture_mode_name(mode),
			out->request ? ", request " : "", out->request ? out->request : "",
			why ? why : "", why && after ? "; then " : "", after ? after : "");
		fputs(differences, f);
		const run_result *runs[] = {&faulted, &apply, &plan};
		const char *names[] = {"apply with the fault", "apply without it", "plan"};
		for (size_t i = 0; i < 3; i++)
			if (runs[i]->out)
				describe(f, names[i], runs[i]);
		fclose(f);
		out->report = text;
	}
	free(differences);
	run_result_free(&faulted);
	run_result_free(&apply);
	run_result_free(&plan);
}

void torture_result_free(torture_result *r)
{
	free(r->request);
	free(r->report);
	r->request = r->report = NULL;
}

/* ---------------------------------------------------------------------
 * The world, and the run without a fault that counts the points.
 */
static int fail_open(const char *why, const run_result *r)
{
	fprintf(stderr, "torture: %s\n", why);
	if (r && r->out)
		describe(stderr, "azapply", r);
	return -1;
}

static int count_points(torture *t)
{
	run_result r = {0};
	char *unseen = NULL;
	int rc = -1;
	if (reset(t))
		return -1;
	run(t, &r, t->azapply, APPLY, -1);
	if (r.exit_code != 0 || r.signal || r.timed_out) {
		fail_open("the apply without a fault failed", &r);
		goto done;
	}
	if (read_requests(t, &t->requests, &unseen))
		goto done;
	if (unseen) {
		fprintf(stderr, "torture: the fault rule would never see %s\n", unseen);
		goto done;
	}
	t->made = resources(t);
	if (t->hooked) {
		run_result_free(&r);
		if (reset(t))
			goto done;
		run(t, &r, t->hooked, APPLY, 0);
		const char *count = strstr(r.err, "azapply: torture: ");
		if (r.exit_code != 0 || !count) {
			fail_open("the allocation count of a run without a fault is missing", &r);
			goto done;
		}
		t->allocations = strtoul(count + strlen("azapply: torture: "), NULL, 10);
	}
	rc = t->made && t->requests ? 0 : -1;
done:
	free(unseen);
	run_result_free(&r);
	return rc;
}

int torture_open(torture **out, const char *azapply, const char *hooked, int run_seconds)
{
	*out = NULL;
	torture *t = calloc(1, sizeof(*t));
	const char *args[] = {"--retry-after", "0", "--lro-polls", "1", NULL};
	if (!t || emu_start(&t->e, args) != 0) {
		free(t);
		return -1;
	}
	t->azapply = strdup(azapply);
	t->hooked = hooked ? strdup(hooked) : NULL;
	t->run_seconds = run_seconds;
	char *const none[] = {NULL};
	char **base = emu_env(t->e, none);
	size_t n = 0;
	while (base[n])
		n++;
	t->env = calloc(n + 4, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		t->env[i] = strdup(base[i]);
	emu_env_free(base);
	t->env[n] = strdup("SYNAPSE_SQL_PASSWORD=" SQL_PASSWORD);
	t->env[n + 1] = strdup("NO_COLOR=1");
	/* The emulator ends operations on their first poll with Retry-After
	 * 0; the cap only keeps a poll after an error from waiting 30 s. */
	t->env[n + 2] = strdup("AZAPPLY_POLL_MAX_SECONDS=1");
	t->dir = test_tempdir("azapply-torture");
	if (!t->dir)
		goto fail;
	t->stack = xasprintf("%s/stack", t->dir);
	if (test_copy_tree(AZAPPLY_SOURCE_DIR "/examples/synapse-ml", t->stack) != 0)
		goto fail;
	json_t *store = NULL;
	if (control(t, "GET", "store", NULL, &store))
		goto fail;
	t->empty_store = json_dumps(store, JSON_COMPACT);
	json_decref(store);
	if (count_points(t) != 0)
		goto fail;
	*out = t;
	return 0;
fail:
	torture_close(t);
	return -1;
}

int torture_close(torture *t)
{
	if (!t)
		return 0;
	int status = emu_stop(t->e);
	if (t->dir)
		test_remove_tree(t->dir);
	emu_env_free(t->env);
	free(t->dir);
	free(t->stack);
	free(t->azapply);
	free(t->hooked);
	free(t->empty_store);
	json_decref(t->made);
	free(t);
	return status;
}

size_t torture_requests(const torture *t)
{
	return t->requests;
}

size_t torture_allocations(const torture *t)
{
	return t->allocations;
}
