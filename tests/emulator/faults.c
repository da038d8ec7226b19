/*
 * faults.c - fault rules set through the control API.
 *
 * A rule matches method + path (POSIX extended regex, unanchored unless the
 * pattern anchors itself) + optional host + optional request header (a name
 * and a regex on its value: Synapse RBAC pages by an x-ms-continuation
 * header, not by the URL), and then answers a canned status
 * with headers and body, adds a delay, drops the connection, or marks the
 * long-running operation the request starts to end Failed or Canceled. A
 * rule fires N times or forever, after letting its first `skip` matches
 * pass (so a test can fail the Nth request of a run whatever it is: the
 * torture sweep, tests/torture). Matching consumes a use under the lock and
 * hands back a private copy, so a rule removed meanwhile cannot dangle.
 */
#include "emu.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void fault_destroy(emu_fault *f)
{
	if (!f)
		return;
	free(f->id);
	free(f->method);
	free(f->host);
	regfree(&f->path_re);
	if (f->header)
		regfree(&f->header_re);
	free(f->header);
	json_decref(f->headers);
	json_decref(f->body);
	free(f->lro_result);
	json_decref(f->lro_error);
	free(f);
}

void emu_fault_free(emu_fault *f)
{
	fault_destroy(f);
}

static char *opt_str(json_t *spec, const char *key)
{
	const char *v = json_string_value(json_object_get(spec, key));
	return v ? az_xstrdup(v) : NULL;
}

int emu_fault_add(emu_server *s, json_t *spec, char **out_id, char **err)
{
	*out_id = NULL;
	*err = NULL;
	if (!json_is_object(spec)) {
		*err = az_xstrdup("the rule must be a JSON object");
		return -1;
	}
	const char *path = json_string_value(json_object_get(spec, "path"));
	emu_fault *f = az_xcalloc(1, sizeof(*f));
	int rc = regcomp(&f->path_re, path ? path : ".*", REG_EXTENDED | REG_NOSUB);
	if (rc) {
		char msg[256];
		regerror(rc, &f->path_re, msg, sizeof(msg));
		*err = az_xasprintf("invalid path regex: %s", msg);
		free(f);
		return -1;
	}
	f->method = opt_str(spec, "method");
	f->host = opt_str(spec, "host");
	json_t *header = json_object_get(spec, "requestHeader");
	if (header) {
		const char *name = json_string_value(json_object_get(header, "name"));
		const char *value = json_string_value(json_object_get(header, "value"));
		if (!name || regcomp(&f->header_re, value ? value : ".*", REG_EXTENDED | REG_NOSUB)) {
			*err = az_xstrdup("requestHeader must be {\"name\", \"value\" (a regex)}");
			fault_destroy(f);
			return -1;
		}
		f->header = az_xstrdup(name);
	}
	f->status = (int)json_integer_value(json_object_get(spec, "status"));
	f->headers = json_incref(json_object_get(spec, "headers"));
	if (!f->headers)
		f->headers = json_object();
	f->body = json_incref(json_object_get(spec, "body"));
	json_t *times = json_object_get(spec, "times");
	f->remaining = json_is_integer(times) ? (int)json_integer_value(times) : -1;
	f->skip = (int)json_integer_value(json_object_get(spec, "skip"));
	f->delay_ms = (int)json_integer_value(json_object_get(spec, "delayMs"));
	f->drop = json_is_true(json_object_get(spec, "drop"));
	f->lro_result = opt_str(spec, "lroResult");
	f->lro_error = json_incref(json_object_get(spec, "lroError"));
	if (f->lro_result && strcmp(f->lro_result, "Failed") && strcmp(f->lro_result, "Canceled")) {
		*err = az_xstrdup("lroResult must be Failed or Canceled");
		fault_destroy(f);
		return -1;
	}
	pthread_mutex_lock(&s->lock);
	f->id = emu_uuid(s);
	s->faults = az_xrealloc(s->faults, (s->nfaults + 1) * sizeof(*s->faults));
	s->faults[s->nfaults++] = f;
	*out_id = az_xstrdup(f->id);
	pthread_mutex_unlock(&s->lock);
	return 0;
}

static emu_fault *fault_copy(const emu_fault *f)
{
	emu_fault *c = az_xcalloc(1, sizeof(*c));
	c->id = az_xstrdup(f->id);
	regcomp(&c->path_re, "", REG_NOSUB);
	c->status = f->status;
	c->headers = json_deep_copy(f->headers);
	c->body = f->body ? json_deep_copy(f->body) : NULL;
	c->delay_ms = f->delay_ms;
	c->drop = f->drop;
	c->lro_result = f->lro_result ? az_xstrdup(f->lro_result) : NULL;
	c->lro_error = f->lro_error ? json_deep_copy(f->lro_error) : NULL;
	return c;
}

emu_fault *emu_fault_match(emu_server *s, const emu_req *q)
{
	char *target = emu_req_target(q);
	emu_fault *hit = NULL;
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->nfaults && !hit; i++) {
		emu_fault *f = s->faults[i];
		if (!f->remaining)
			continue;
		if (f->method && strcasecmp(f->method, q->method))
			continue;
		if (f->host && strcasecmp(f->host, q->host))
			continue;
		if (regexec(&f->path_re, target, 0, NULL, 0))
			continue;
		const char *value = f->header ? emu_req_header(q, f->header) : NULL;
		if (f->header && (!value || regexec(&f->header_re, value, 0, NULL, 0)))
			continue;
		if (f->skip > 0) {
			f->skip--;
			continue;
		}
		if (f->remaining > 0)
			f->remaining--;
		f->hits++;
		hit = fault_copy(f);
	}
	pthread_mutex_unlock(&s->lock);
	free(target);
	return hit;
}

void emu_faults_clear(emu_server *s)
{
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->nfaults; i++)
		fault_destroy(s->faults[i]);
	free(s->faults);
	s->faults = NULL;
	s->nfaults = 0;
	pthread_mutex_unlock(&s->lock);
}

json_t *emu_faults_json(emu_server *s)
{
	json_t *a = json_array();
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->nfaults; i++) {
		emu_fault *f = s->faults[i];
		json_array_append_new(a, json_pack("{s:s,s:s?,s:s?,s:i,s:i,s:i,s:i}", "id", f->id,
						   "method", f->method, "host", f->host, "status",
						   f->status, "skip", f->skip, "remaining",
						   f->remaining, "hits", f->hits));
	}
	pthread_mutex_unlock(&s->lock);
	return a;
}
