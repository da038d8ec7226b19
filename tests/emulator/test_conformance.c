/*
 * test_conformance.c - the emulator against recorded sessions with real Azure.
 *
 * Each file in tests/emulator/conformance/ encodes what one public recording
 * (an Azure CLI or Azure SDK test recording made against live Azure; its
 * repository, path and commit are in "source") shows: for a sequence of
 * requests, the status, the headers and the shape of their URLs, the body
 * keys, values and types. The recordings are not copied; only the facts a
 * client depends on are written down, in our own form:
 *
 *   {"source": {...}, "kinds": [...], "setup": "none"|"group"|"workspace",
 *    "steps": [{"name", "request": {"method", "host": "arm"|"synapse"|"graph",
 *               "path" | "url": "{saved}", "body"?, "poll"?: true},
 *               "expect": {"status", "headers": {name: ERE}, "noHeaders": [...],
 *                          "keys": [...], "absent": [...], "values": {path: v},
 *                          "types": {path: "integer"|"string"|"array"|"object"|"null"}},
 *               "save": {"var": "header:Name" | "body:path"}}],
 *    "divergences": {"step/fact": "why it stays"}}
 *
 * Body paths are dotted ("properties.x"), or JSON Pointers ("/@odata.context")
 * for keys holding a dot. Paths and patterns may use {sub}, {rg}, {ws},
 * {port} and saved values.
 * A "poll" request is repeated while it answers 202 or a status of
 * InProgress, as a client would. Every fact is checked; one that fails is
 * a test failure unless the file lists it as a divergence with the reason
 * it stays. The match rate, per recording and in all, is printed.
 */
#define _DEFAULT_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <azapply/provider.h>

#include <dirent.h>
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "testkit.h"

#define DIR_ AZAPPLY_SOURCE_DIR "/tests/emulator/conformance"

typedef struct run {
	emu *e;
	char *arm, *syn, *graph;
	json_t *vars; /* name -> string */
	const char *file;
	json_t *divergences;
	int facts, matched, known, unexpected;
} run;

static char *expand(run *r, const char *s)
{
	az_buf b = AZ_BUF_INIT;
	for (const char *p = s; *p; p++) {
		const char *end = *p == '{' ? strchr(p, '}') : NULL;
		if (end) {
			char *name = az_xstrndup(p + 1, (size_t)(end - p - 1));
			const char *v = json_string_value(json_object_get(r->vars, name));
			free(name);
			if (v) {
				az_buf_puts(&b, v);
				p = end;
				continue;
			}
		}
		az_buf_putc(&b, *p);
	}
	return az_buf_detach(&b);
}

/* Expands {..} in every string of a JSON value (request bodies). */
static json_t *expand_json(run *r, json_t *v)
{
	if (json_is_string(v)) {
		char *s = expand(r, json_string_value(v));
		json_t *out = json_string(s);
		free(s);
		return out;
	}
	if (json_is_object(v)) {
		json_t *out = json_object();
		const char *k;
		json_t *x;
		json_object_foreach(v, k, x)
			json_object_set_new(out, k, expand_json(r, x));
		return out;
	}
	if (json_is_array(v)) {
		json_t *out = json_array();
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x)
			json_array_append_new(out, expand_json(r, x));
		return out;
	}
	return json_incref(v);
}

/* The value at `path` in a body: dotted ("properties.x.0"), or a JSON
 * Pointer ("/@odata.context") for keys that hold a dot. */
static json_t *at(json_t *body, const char *path)
{
	if (path[0] != '/')
		return tk_at(body, path);
	json_t *v = body;
	char *copy = az_xstrdup(path + 1);
	for (char *seg = copy, *next; v && seg; seg = next) {
		next = strchr(seg, '/');
		if (next)
			*next++ = '\0';
		v = json_is_array(v) ? json_array_get(v, strtoul(seg, NULL, 10))
				     : json_object_get(v, seg);
	}
	free(copy);
	return v;
}

static void fact(run *r, const char *step, const char *what, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void fact(run *r, const char *step, const char *what, bool ok, const char *fmt, ...)
{
	r->facts++;
	char *id = az_xasprintf("%s/%s", step, what);
	const char *why = json_string_value(json_object_get(r->divergences, id));
	if (ok) {
		r->matched++;
		if (why)
			printf("  %s: %s now matches; remove it from the divergences\n", r->file,
			       id);
	} else {
		va_list ap;
		va_start(ap, fmt);
		char *msg = az_xvasprintf(fmt, ap);
		va_end(ap);
		if (why) {
			r->known++;
			printf("  %s: %s: known divergence (%s)\n", r->file, id, why);
		} else {
			r->unexpected++;
			printf("  %s: %s: MISMATCH: %s\n", r->file, id, msg);
		}
		free(msg);
	}
	free(id);
}

static const char *type_name(json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "object";
	case JSON_ARRAY: return "array";
	case JSON_STRING: return "string";
	case JSON_INTEGER: return "integer";
	case JSON_REAL: return "real";
	case JSON_TRUE:
	case JSON_FALSE: return "boolean";
	case JSON_NULL: return "null";
	}
	return "?";
}

static bool re_match(const char *pattern, const char *s)
{
	regex_t re;
	if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB | REG_ICASE))
		fail_msg("bad pattern %s", pattern);
	bool ok = regexec(&re, s, 0, NULL, 0) == 0;
	regfree(&re);
	return ok;
}

/* A value in "values" matches when equal; a string starting with "~"
 * is a pattern the string value must match. */
static bool value_matches(run *r, json_t *want, json_t *got)
{
	if (json_is_string(want) && json_string_value(want)[0] == '~') {
		char *pat = expand(r, json_string_value(want) + 1);
		bool ok = json_is_string(got) && re_match(pat, json_string_value(got));
		free(pat);
		return ok;
	}
	if (json_is_string(want)) {
		char *w = expand(r, json_string_value(want));
		bool ok = json_is_string(got) && !strcasecmp(w, json_string_value(got));
		free(w);
		return ok;
	}
	return json_equal(want, got);
}

static bool still_running(const emu_response *resp)
{
	if (resp->status == 202)
		return true;
	const char *st = json_string_value(json_object_get(resp->json, "status"));
	return st && (!strcasecmp(st, "InProgress") || !strcasecmp(st, "Accepted") ||
		      !strcasecmp(st, "Running"));
}

static void do_step(run *r, json_t *step)
{
	const char *name = json_string_value(json_object_get(step, "name"));
	json_t *req = json_object_get(step, "request");
	json_t *exp = json_object_get(step, "expect");
	const char *method = json_string_value(json_object_get(req, "method"));
	const char *host = json_string_value(json_object_get(req, "host"));
	bool synapse = host && !strcmp(host, "synapse");
	bool graph = host && !strcmp(host, "graph");
	char *url;
	if (json_object_get(req, "url")) {
		url = expand(r, json_string_value(json_object_get(req, "url")));
	} else {
		char *path = expand(r, json_string_value(json_object_get(req, "path")));
		if (synapse) {
			char *h = expand(r, "{ws}.dev.localhost");
			url = tk_url(r->e, h, "%s", path);
			free(h);
		} else if (graph) {
			url = tk_url(r->e, "graph.localhost", "%s", path);
		} else {
			url = tk_url(r->e, "management.localhost", "%s", path);
		}
		free(path);
	}
	synapse = synapse || strstr(url, ".dev.localhost");
	char *body = NULL;
	if (json_object_get(req, "body")) {
		json_t *b = expand_json(r, json_object_get(req, "body"));
		body = json_dumps(b, JSON_COMPACT);
		json_decref(b);
	}
	emu_response resp;
	const char *token = synapse ? r->syn : graph ? r->graph : r->arm;
	tk_send(r->e, &resp, method, url, token, NULL, body);
	for (int i = 0; json_is_true(json_object_get(req, "poll")) && still_running(&resp) && i < 30;
	     i++) {
		emu_response_free(&resp);
		tk_send(r->e, &resp, method, url, token, NULL, body);
	}

	json_t *st = json_object_get(exp, "status");
	if (st)
		fact(r, name, "status", resp.status == json_integer_value(st), "status %ld, want %lld",
		     resp.status, (long long)json_integer_value(st));
	const char *k;
	json_t *v;
	json_object_foreach(json_object_get(exp, "headers"), k, v) {
		char *got = emu_response_header(&resp, k);
		char *pat = expand(r, json_string_value(v));
		char *what = az_xasprintf("header:%s", k);
		fact(r, name, what, got && re_match(pat, got), "%s is %s, want /%s/", k,
		     got ? got : "(absent)", pat);
		free(what);
		free(pat);
		free(got);
	}
	size_t i;
	json_array_foreach(json_object_get(exp, "noHeaders"), i, v) {
		char *got = emu_response_header(&resp, json_string_value(v));
		char *what = az_xasprintf("noHeader:%s", json_string_value(v));
		fact(r, name, what, !got, "%s: %s was not in the recording", json_string_value(v),
		     got ? got : "");
		free(what);
		free(got);
	}
	json_array_foreach(json_object_get(exp, "keys"), i, v) {
		char *what = az_xasprintf("key:%s", json_string_value(v));
		fact(r, name, what, at(resp.json, json_string_value(v)) != NULL, "no %s in %s",
		     json_string_value(v), resp.body);
		free(what);
	}
	json_array_foreach(json_object_get(exp, "absent"), i, v) {
		char *what = az_xasprintf("absent:%s", json_string_value(v));
		fact(r, name, what, at(resp.json, json_string_value(v)) == NULL,
		     "%s is there, the recording has none", json_string_value(v));
		free(what);
	}
	json_object_foreach(json_object_get(exp, "values"), k, v) {
		json_t *got = at(resp.json, k);
		char *what = az_xasprintf("value:%s", k);
		char *gs = got ? json_dumps(got, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
		char *ws = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
		fact(r, name, what, got && value_matches(r, v, got), "%s is %s, want %s", k,
		     gs ? gs : "(absent)", ws);
		free(gs);
		free(ws);
		free(what);
	}
	json_object_foreach(json_object_get(exp, "types"), k, v) {
		json_t *got = at(resp.json, k);
		char *what = az_xasprintf("type:%s", k);
		fact(r, name, what, got && !strcmp(type_name(got), json_string_value(v)),
		     "%s is %s, want %s", k, got ? type_name(got) : "absent",
		     json_string_value(v));
		free(what);
	}
	if (json_object_get(exp, "emptyBody"))
		fact(r, name, "emptyBody", resp.body_len == 0, "body %s, want none", resp.body);
	json_object_foreach(json_object_get(step, "save"), k, v) {
		const char *src = json_string_value(v);
		char *val = NULL;
		if (!strncmp(src, "header:", 7))
			val = emu_response_header(&resp, src + 7);
		else if (!strncmp(src, "body:", 5) && json_is_string(at(resp.json, src + 5)))
			val = az_xstrdup(json_string_value(at(resp.json, src + 5)));
		if (val)
			json_object_set_new(r->vars, k, json_string(val));
		free(val);
	}
	emu_response_free(&resp);
	free(body);
	free(url);
}

static void setup_for(run *r, const char *setup)
{
	if (!setup || !strcmp(setup, "none"))
		return;
	if (!strcmp(setup, "workspace")) {
		tk_make_workspace(r->e, r->arm, "conf-rg", "confws");
		return;
	}
	emu_response resp;
	char *url = tk_url(r->e, "management.localhost",
			   "/subscriptions/%s/resourceGroups/conf-rg?api-version=2021-04-01",
			   emu_subscription_id(r->e));
	tk_send(r->e, &resp, "PUT", url, r->arm, NULL, "{\"location\":\"eastus\"}");
	assert_true(resp.status == 200 || resp.status == 201);
	emu_response_free(&resp);
	free(url);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int only_json(const struct dirent *d)
{
	size_t n = strlen(d->d_name);
	return n > 5 && !strcmp(d->d_name + n - 5, ".json");
}

static void test_recordings(void **state)
{
	(void)state;
	struct dirent **names;
	int n = scandir(DIR_, &names, only_json, by_name);
	assert_true(n > 0);
	int facts = 0, matched = 0, known = 0, unexpected = 0;
	json_t *kinds = json_object();
	for (int i = 0; i < n; i++) {
		char *path = az_xasprintf("%s/%s", DIR_, names[i]->d_name);
		json_error_t jerr;
		json_t *doc = json_load_file(path, 0, &jerr);
		if (!doc)
			fail_msg("%s:%d: %s", path, jerr.line, jerr.text);
		/* A fresh emulator per recording: each starts from nothing, as
		 * the recorded session did. */
		run r = {0};
		const char *args[] = {"--seed", "7", NULL};
		assert_int_equal(emu_start(&r.e, args), 0);
		r.arm = emu_token(r.e, TK_ARM_SCOPE);
		r.syn = emu_token(r.e, TK_SYNAPSE_SCOPE);
		r.graph = emu_token(r.e, TK_GRAPH_SCOPE);
		r.vars = json_object();
		char port[16];
		snprintf(port, sizeof(port), "%d", emu_port(r.e));
		json_object_set_new(r.vars, "port", json_string(port));
		json_object_set_new(r.vars, "sub", json_string(emu_subscription_id(r.e)));
		json_object_set_new(r.vars, "rg", json_string("conf-rg"));
		json_object_set_new(r.vars, "ws", json_string("confws"));
		json_t *creds = NULL;
		assert_int_equal(emu_control(r.e, "GET", "credentials", NULL, &creds), 200);
		json_object_set(r.vars, "principal", json_object_get(creds, "objectId"));
		json_decref(creds);
		r.file = names[i]->d_name;
		r.divergences = json_object_get(doc, "divergences");
		setup_for(&r, json_string_value(json_object_get(doc, "setup")));
		size_t j;
		json_t *step;
		json_array_foreach(json_object_get(doc, "steps"), j, step)
			do_step(&r, step);
		json_array_foreach(json_object_get(doc, "kinds"), j, step)
			json_object_set_new(kinds, json_string_value(step), json_true());
		printf("%-48s %3d/%3d facts match (%d known divergences)  %s\n", r.file,
		       r.matched, r.facts, r.known,
		       json_string_value(json_object_get(json_object_get(doc, "source"), "path")));
		facts += r.facts;
		matched += r.matched;
		known += r.known;
		unexpected += r.unexpected;
		free(r.arm);
		free(r.syn);
		free(r.graph);
		json_decref(r.vars);
		assert_int_equal(emu_stop(r.e), 0);
		json_decref(doc);
		free(path);
		free(names[i]);
	}
	free(names);
	printf("conformance: %d recordings, %d/%d facts match (%.1f%%), %d known divergences, "
	       "%zu kinds covered\n",
	       n, matched, facts, facts ? 100.0 * matched / facts : 0.0, known,
	       json_object_size(kinds));
	json_decref(kinds);
	assert_int_equal(unexpected, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recordings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
