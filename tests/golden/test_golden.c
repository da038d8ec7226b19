/*
 * test_golden.c - golden files for `azapply plan`: every case below
 * tests/golden/ is planned against the emulator in text, JSON and markdown
 * and compared byte for byte with the case's expected.txt, expected.json
 * and expected.md.
 *
 * A case folder holds manifests/ (the stack, with its azapply.yaml), the
 * emulator store to start from (seed.json, loaded with PUT
 * /_emulator/store), and optionally case.json (extra arguments, process
 * environment, expected exit code, "command": drift instead of plan), drift.json (control API calls made
 * after loading the seed: changes made outside azapply), base/ (the stack
 * whose apply produced seed.json) and expected-requests.txt (the sorted
 * requests the text plan sent).
 *
 * What legitimately differs between runs is normalised before comparing:
 * the emulator's port, its generated tenant, client and object ids, and
 * the azapply version. Secrets given through the environment must appear in
 * none of the outputs. AZAPPLY_GOLDEN_UPDATE=1 rewrites the expected files
 * (and seed.json of cases with a base/) instead of comparing them.
 */
/* P_tmpdir, for a scratch copy outside the repository. */
#define _XOPEN_SOURCE 700

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <azapply/provider.h>

#include "harness.h"
#include "run.h"

#define GOLDEN_DIR AZAPPLY_SOURCE_DIR "/tests/golden"
#define ACTUAL_DIR AZAPPLY_BINARY_DIR "/tests/golden/actual"

typedef struct golden_world {
	emu *e;
	char **env;      /* the emulator's credentials, for the azapply child */
	char *object_id; /* of the built-in service principal */
	bool update;     /* AZAPPLY_GOLDEN_UPDATE=1: rewrite, do not compare */
} golden_world;

static golden_world world;

typedef struct golden_case {
	char *name;
	char *dir;
	json_t *conf; /* case.json, or an empty object */
} golden_case;

static const struct {
	const char *flag, *file;
} FORMATS[] = {
    {"text", "expected.txt"},
    {"json", "expected.json"},
    {"markdown", "expected.md"},
};

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	az_buf b = AZ_BUF_INIT;
	char chunk[8192];
	size_t n;
	az_buf_puts(&b, "");
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		az_buf_add(&b, chunk, n);
	fclose(f);
	return az_buf_detach(&b);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		fail_msg("cannot write %s", path);
	fputs(text, f);
	if (fclose(f) != 0)
		fail_msg("cannot write %s", path);
}

static bool exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

/* Every occurrence of `from` in `s` replaced by `to`; a new string. */
static char *replace_all(const char *s, const char *from, const char *to)
{
	az_buf b = AZ_BUF_INIT;
	size_t n = strlen(from);
	az_buf_puts(&b, "");
	for (const char *at; n && (at = strstr(s, from)); s = at + n) {
		az_buf_add(&b, s, (size_t)(at - s));
		az_buf_puts(&b, to);
	}
	az_buf_puts(&b, s);
	return az_buf_detach(&b);
}

static void replace_in_place(char **s, const char *from, const char *to)
{
	char *out = replace_all(*s, from, to);
	free(*s);
	*s = out;
}

/* What may differ between two runs of the same case, made constant: the
 * emulator picks a free port and generates its own tenant and principal
 * ids at every start; the version changes with every release. */
static char *normalise(const char *text)
{
	char *out = az_xstrdup(text);
	char *port = az_xasprintf("localhost:%d", emu_port(world.e));
	replace_in_place(&out, port, "localhost:PORT");
	replace_in_place(&out, emu_tenant_id(world.e), "<emulator-tenant-id>");
	replace_in_place(&out, emu_client_id(world.e), "<emulator-client-id>");
	if (world.object_id && *world.object_id)
		replace_in_place(&out, world.object_id, "<emulator-object-id>");
	replace_in_place(&out, "\"azapplyVersion\": \"" AZAPPLY_VERSION "\"",
	                 "\"azapplyVersion\": \"<version>\"");
	free(port);
	return out;
}

static json_t *load_json(const char *path, bool required)
{
	json_error_t err;
	json_t *j = json_load_file(path, 0, &err);
	if (!j && (required || exists(path)))
		fail_msg("%s:%d: %s", path, err.line, err.text);
	return j;
}

/* The environment of the azapply child: the emulator's plus the case's
 * "env" (and, for the base apply, "baseEnv" over it), plus NO_COLOR. */
static const char **child_env(const golden_case *c, bool base, char ***owned)
{
	json_t *vars = json_deep_copy(json_object_get(c->conf, "env"));
	if (!vars)
		vars = json_object();
	if (base && json_is_object(json_object_get(c->conf, "baseEnv")))
		json_object_update(vars, json_object_get(c->conf, "baseEnv"));
	size_t n = 0;
	while (world.env[n])
		n++;
	size_t total = n + json_object_size(vars) + 2;
	const char **env = az_xcalloc(total, sizeof(char *));
	char **mine = az_xcalloc(json_object_size(vars) + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		env[i] = world.env[i];
	const char *key;
	json_t *v;
	size_t m = 0;
	json_object_foreach(vars, key, v)
	{
		mine[m] =
		    az_xasprintf("%s=%s", key, json_string_value(v) ? json_string_value(v) : "");
		env[n + m] = mine[m];
		m++;
	}
	env[n + m] = "NO_COLOR=1";
	json_decref(vars);
	*owned = mine;
	return env;
}

static void free_owned(char **owned)
{
	for (size_t i = 0; owned && owned[i]; i++)
		free(owned[i]);
	free(owned);
}

static run_result azapply(const golden_case *c, bool base, const char *const *argv, const char *cwd)
{
	char **owned = NULL;
	const char **env = child_env(c, base, &owned);
	run_result r;
	assert_int_equal(run_command(&r, AZAPPLY_BINARY, argv, env, cwd), 0);
	free(env);
	free_owned(owned);
	return r;
}

static void control(const char *method, const char *path, const char *body)
{
	json_t *answer = NULL;
	int status = emu_control(world.e, method, path, body, &answer);
	if (status < 200 || status > 299) {
		char *text = answer ? json_dumps(answer, JSON_COMPACT) : NULL;
		fail_msg("%s /_emulator/%s: %d %s", method, path, status, text ? text : "");
	}
	json_decref(answer);
}

/* The store a seed keeps: resources, not the emulator's credentials,
 * operations or settings, and no port (it changes at every start). */
static char *store_to_seed(json_t *store)
{
	json_t *seed = json_object();
	static const char *const keep[] = {"arm", "meta", "synapse"};
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		json_t *part = json_object_get(store, keep[i]);
		if (json_object_size(part))
			json_object_set(seed, keep[i], part);
	}
	char *text = json_dumps(seed, JSON_INDENT(1) | JSON_SORT_KEYS);
	json_decref(seed);
	char *port = az_xasprintf("localhost:%d", emu_port(world.e));
	char *out = replace_all(text, port, "localhost");
	free(port);
	free(text);
	char *with_newline = az_xasprintf("%s\n", out);
	free(out);
	return with_newline;
}

/* AZAPPLY_GOLDEN_UPDATE: seed.json is what applying base/ leaves in Azure.
 * The apply runs on a copy outside the repository, so the seed records no
 * commit of this checkout (provenance would change it at every commit). */
static void regenerate_seed(const golden_case *c)
{
	char *base = az_xasprintf("%s/base", c->dir);
	char *tmp = test_tempdir("azapply-golden");
	if (!tmp)
		fail_msg("cannot make a temporary directory");
	char *copy = az_xasprintf("%s/base", tmp);
	assert_int_equal(test_copy_tree(base, copy), 0);
	run_result r;

	control("PUT", "store", "{}");
	const char *apply[] = {"apply", copy, "--auto-approve", NULL};
	r = azapply(c, true, apply, NULL);
	if (r.exit_code != 0)
		fail_msg("%s: applying base/ failed (%d)\n%s%s", c->name, r.exit_code, r.out,
		         r.err);
	run_result_free(&r);

	json_t *store = NULL;
	assert_int_equal(emu_control(world.e, "GET", "store", NULL, &store), 200);
	char *seed = store_to_seed(store);
	char *path = az_xasprintf("%s/seed.json", c->dir);
	write_text(path, seed);
	json_decref(store);
	free(seed);
	free(path);

	test_remove_tree(tmp);
	free(copy);
	free(tmp);
	free(base);
}

static void load_seed(const golden_case *c)
{
	char *path = az_xasprintf("%s/seed.json", c->dir);
	char *seed = read_text(path);
	if (!seed)
		fail_msg("%s: no seed.json", c->name);
	control("PUT", "store", seed);
	free(seed);
	free(path);

	/* Changes made outside azapply after the seed. */
	path = az_xasprintf("%s/drift.json", c->dir);
	json_t *drift = load_json(path, false);
	size_t i;
	json_t *call;
	json_array_foreach(drift, i, call)
	{
		json_t *body = json_object_get(call, "body");
		char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
		control(json_string_value(json_object_get(call, "method")),
		        json_string_value(json_object_get(call, "path")), text);
		free(text);
	}
	json_decref(drift);
	free(path);
}

/* The requests the plan sent, as sorted "METHOD host path" lines; tokens
 * and the test's own control calls left out. */
static int line_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *request_lines(void)
{
	json_t *log = NULL;
	assert_int_equal(emu_control(world.e, "GET", "log", NULL, &log), 200);
	json_t *reqs = json_object_get(log, "requests");
	char **lines = az_xcalloc(json_array_size(reqs) + 1, sizeof(char *));
	size_t n = 0, i;
	json_t *q;
	json_array_foreach(reqs, i, q)
	{
		const char *method = json_string_value(json_object_get(q, "method"));
		const char *host = json_string_value(json_object_get(q, "host"));
		const char *path = json_string_value(json_object_get(q, "path"));
		if (!method || !host || !path || strncmp(host, "login.", 6) == 0 ||
		    strncmp(path, "/_emulator/", 11) == 0)
			continue;
		lines[n++] = az_xasprintf("%s %s %s\n", method, host, path);
	}
	qsort(lines, n, sizeof(char *), line_cmp);
	az_buf b = AZ_BUF_INIT;
	az_buf_puts(&b, "");
	for (i = 0; i < n; i++) {
		az_buf_puts(&b, lines[i]);
		free(lines[i]);
	}
	free(lines);
	json_decref(log);
	return az_buf_detach(&b);
}

/* Compares `actual` with the case's `file`, or rewrites it. On a mismatch
 * the actual output is kept in the build tree and the unified diff shown.
 * Returns true when they match. */
static bool check_golden(const golden_case *c, const char *file, const char *actual)
{
	char *path = az_xasprintf("%s/%s", c->dir, file);
	if (world.update) {
		write_text(path, actual);
		free(path);
		return true;
	}
	char *expected = read_text(path);
	bool same = expected && strcmp(expected, actual) == 0;
	if (!same) {
		char *dir = az_xasprintf("%s/%s", ACTUAL_DIR, c->name);
		char *got = az_xasprintf("%s/%s", dir, file);
		run_result r;
		const char *mk[] = {"-p", dir, NULL};
		run_command(&r, "/bin/mkdir", mk, NULL, NULL);
		run_result_free(&r);
		write_text(got, actual);
		const char *diff[] = {"-u", expected ? path : "/dev/null", got, NULL};
		if (run_command(&r, "/usr/bin/diff", diff, NULL, NULL) == 0) {
			fprintf(stderr, "%s/%s differs from the plan:\n%s%s", c->name, file, r.out,
			        r.err);
			run_result_free(&r);
		} else {
			fprintf(stderr, "%s/%s differs; the plan printed:\n%s", c->name, file,
			        actual);
		}
		free(got);
		free(dir);
	}
	free(expected);
	free(path);
	return same;
}

/* Values given through ${env.X} are sensitive: none may be printed. */
static bool leaks_secret(const golden_case *c, const char *format, const run_result *r)
{
	const char *key;
	json_t *v;
	json_t *sets[] = {json_object_get(c->conf, "env"), json_object_get(c->conf, "baseEnv")};
	bool leaked = false;
	for (size_t s = 0; s < 2; s++) {
		json_object_foreach(sets[s], key, v)
		{
			const char *secret = json_string_value(v);
			if (secret && strlen(secret) >= 4 &&
			    (strstr(r->out, secret) || strstr(r->err, secret))) {
				fprintf(stderr, "%s: the %s plan prints the value of %s\n", c->name,
				        format, key);
				leaked = true;
			}
		}
	}
	return leaked;
}

static void run_case(void **state)
{
	golden_case *c = *state;
	char *base = az_xasprintf("%s/base", c->dir);
	if (world.update && exists(base))
		regenerate_seed(c);
	free(base);
	load_seed(c);

	char *manifests = az_xasprintf("%s/manifests", c->dir);
	json_t *extra = json_object_get(c->conf, "args");
	json_int_t want_exit = json_integer_value(json_object_get(c->conf, "exit"));
	const char *command = json_string_value(json_object_get(c->conf, "command"));
	if (!command)
		command = "plan";
	bool ok = true;
	for (size_t f = 0; f < sizeof(FORMATS) / sizeof(FORMATS[0]); f++) {
		const char *argv[32] = {command, "--output", FORMATS[f].flag};
		size_t argc = 3, i;
		/* drift says "drift" with exit 2 by itself. */
		if (strcmp(command, "plan") == 0)
			argv[argc++] = "--detailed-exitcode";
		json_t *a;
		json_array_foreach(extra, i, a)
		{
			assert_true(argc < 31);
			argv[argc++] = json_string_value(a);
		}
		argv[argc] = NULL;
		emu_control(world.e, "DELETE", "log", NULL, NULL);
		run_result r = azapply(c, false, argv, manifests);
		if (r.exit_code != want_exit) {
			fprintf(stderr, "%s: %s --output %s exited %d, expected %d\nstderr:\n%s",
			        c->name, command, FORMATS[f].flag, r.exit_code, (int)want_exit, r.err);
			ok = false;
		}
		ok &= !leaks_secret(c, FORMATS[f].flag, &r);
		char *out = normalise(r.out);
		ok &= check_golden(c, FORMATS[f].file, out);
		free(out);
		run_result_free(&r);

		char *requests_file = az_xasprintf("%s/expected-requests.txt", c->dir);
		if (f == 0 && exists(requests_file)) {
			char *raw = request_lines();
			char *lines = normalise(raw);
			ok &= check_golden(c, "expected-requests.txt", lines);
			free(lines);
			free(raw);
		}
		free(requests_file);
	}
	free(manifests);
	if (!ok)
		fail_msg(
		    "%s: the plan differs from its golden files (see above). If the change is "
		    "intended, regenerate them with AZAPPLY_GOLDEN_UPDATE=1 ctest -R golden and "
		    "review the diff.",
		    c->name);
}

static int start_world(void **state)
{
	(void)state;
	const char *args[] = {"--retry-after", "0", "--seed", "1", NULL};
	if (emu_start(&world.e, args) != 0)
		return -1;
	char *const none[] = {NULL};
	world.env = emu_env(world.e, none);
	json_t *creds = NULL;
	if (emu_control(world.e, "GET", "credentials", NULL, &creds) != 200)
		return -1;
	const char *oid = json_string_value(json_object_get(creds, "objectId"));
	world.object_id = az_xstrdup(oid ? oid : "");
	json_decref(creds);
	/* The seeds are the specs' examples, whose workspaces hold no firewall
	 * rule: the golden cases show what plan renders, and the data-plane
	 * firewall has tests of its own (test_e2e_azure_failures). */
	return emu_control(world.e, "PUT", "settings", "{\"synapseFirewall\":false}", NULL) == 200
		       ? 0
		       : -1;
}

static int stop_world(void **state)
{
	(void)state;
	emu_env_free(world.env);
	free(world.object_id);
	/* A clean emulator exit means it leaked nothing under ASan. */
	return emu_stop(world.e) == 0 ? 0 : -1;
}

static int case_cmp(const void *a, const void *b)
{
	return strcmp(((const golden_case *)a)->name, ((const golden_case *)b)->name);
}

/* Every folder of tests/golden with a manifests/ folder is a case. */
static golden_case *find_cases(size_t *count)
{
	DIR *d = opendir(GOLDEN_DIR);
	if (!d)
		return NULL;
	golden_case *cases = NULL;
	size_t n = 0;
	struct dirent *ent;
	while ((ent = readdir(d))) {
		if (ent->d_name[0] == '.')
			continue;
		char *dir = az_xasprintf("%s/%s", GOLDEN_DIR, ent->d_name);
		char *manifests = az_xasprintf("%s/manifests", dir);
		if (!exists(manifests)) {
			free(manifests);
			free(dir);
			continue;
		}
		free(manifests);
		cases = az_xrealloc(cases, (n + 1) * sizeof(*cases));
		char *conf_path = az_xasprintf("%s/case.json", dir);
		json_error_t err;
		json_t *conf =
		    exists(conf_path) ? json_load_file(conf_path, 0, &err) : json_object();
		if (!conf) {
			fprintf(stderr, "%s:%d: %s\n", conf_path, err.line, err.text);
			conf = json_object();
		}
		free(conf_path);
		cases[n++] = (golden_case){az_xstrdup(ent->d_name), dir, conf};
	}
	closedir(d);
	qsort(cases, n, sizeof(*cases), case_cmp);
	*count = n;
	return cases;
}

int main(void)
{
	const char *update = getenv("AZAPPLY_GOLDEN_UPDATE");
	world.update = update && strcmp(update, "1") == 0;
	size_t n = 0;
	golden_case *cases = find_cases(&n);
	if (!n) {
		fprintf(stderr, "no golden cases under %s\n", GOLDEN_DIR);
		return 1;
	}
	struct CMUnitTest *tests = az_xcalloc(n, sizeof(*tests));
	for (size_t i = 0; i < n; i++) {
		tests[i].name = cases[i].name;
		tests[i].test_func = run_case;
		tests[i].initial_state = &cases[i];
	}
	int failed = _cmocka_run_group_tests("golden", tests, n, start_world, stop_world);
	for (size_t i = 0; i < n; i++) {
		free(cases[i].name);
		free(cases[i].dir);
		json_decref(cases[i].conf);
	}
	free(cases);
	free(tests);
	return failed;
}
