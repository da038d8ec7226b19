/*
 * fake_transport.c - the scripted transport of fake_transport.h.
 */
#include "fake_transport.h"

#include <stdlib.h>
#include <string.h>

typedef struct script {
	char *method;
	char *url_part;
	int status;
	az_http_headers headers;
	char *body;
	az_net_err net;
	long delay_ms;
	bool used;
} script;

typedef struct active {
	az_http_xfer *x;
	script *s;
	int64_t due;
} active;

struct fake_tp {
	int64_t now;
	script *scripts;
	size_t nscripts, capscripts;
	fake_sent *sent;
	size_t nsent, capsent;
	active *act;
	size_t nact, capact;
	size_t unscripted;
	int max_in_flight;
};

static script *add_script(fake_tp *f, const char *method, const char *url_part, long delay_ms)
{
	if (f->nscripts == f->capscripts) {
		f->capscripts = f->capscripts ? f->capscripts * 2 : 16;
		f->scripts = az_xrealloc(f->scripts, f->capscripts * sizeof(*f->scripts));
	}
	script *s = &f->scripts[f->nscripts++];
	memset(s, 0, sizeof(*s));
	s->method = method ? az_xstrdup(method) : NULL;
	s->url_part = az_xstrdup(url_part ? url_part : "");
	s->delay_ms = delay_ms;
	return s;
}

void fake_tp_script(fake_tp *f, const char *method, const char *url_part, int status,
                    const char *headers, const char *body, long delay_ms)
{
	script *s = add_script(f, method, url_part, delay_ms);
	s->status = status;
	s->body = body ? az_xstrdup(body) : NULL;
	for (const char *p = headers; p && *p;) {
		size_t n = strcspn(p, "\n");
		const char *colon = memchr(p, ':', n);
		if (colon) {
			char *name = az_xstrndup(p, (size_t)(colon - p));
			const char *v = colon + 1;
			while (*v == ' ')
				v++;
			char *value = az_xstrndup(v, n - (size_t)(v - p));
			az_http_headers_add(&s->headers, name, value);
			free(name);
			free(value);
		}
		p += n;
		if (*p)
			p++;
	}
}

void fake_tp_script_net(fake_tp *f, const char *method, const char *url_part, az_net_err net,
                        long delay_ms)
{
	script *s = add_script(f, method, url_part, delay_ms);
	s->net = net;
}

static int fake_start(void *impl, az_http_xfer *x, long connect_timeout_ms, long timeout_ms)
{
	fake_tp *f = impl;
	if (f->nsent == f->capsent) {
		f->capsent = f->capsent ? f->capsent * 2 : 16;
		f->sent = az_xrealloc(f->sent, f->capsent * sizeof(*f->sent));
	}
	fake_sent *rec = &f->sent[f->nsent++];
	memset(rec, 0, sizeof(*rec));
	rec->method = az_xstrdup(x->req->method);
	rec->url = az_xstrdup(x->req->url);
	az_http_headers_copy(&rec->headers, &x->req->headers);
	rec->body = x->req->body ? az_xstrndup(x->req->body, x->req->body_len) : NULL;
	rec->at_ms = f->now;
	rec->connect_timeout_ms = connect_timeout_ms;
	rec->timeout_ms = timeout_ms;
	script *s = NULL;
	for (size_t i = 0; i < f->nscripts && !s; i++) {
		script *c = &f->scripts[i];
		if (!c->used && (!c->method || strcmp(c->method, x->req->method) == 0) &&
		    strstr(x->req->url, c->url_part))
			s = c;
	}
	if (s)
		s->used = true;
	else
		f->unscripted++;
	if (f->nact == f->capact) {
		f->capact = f->capact ? f->capact * 2 : 16;
		f->act = az_xrealloc(f->act, f->capact * sizeof(*f->act));
	}
	f->act[f->nact++] = (active){x, s, f->now + (s ? s->delay_ms : 0)};
	if ((int)f->nact > f->max_in_flight)
		f->max_in_flight = (int)f->nact;
	return 0;
}

static void answer(active *a)
{
	az_http_response *r = a->x->resp;
	if (!a->s) {
		r->net = AZ_NET_CONNECT;
		r->net_message = az_xstrdup("no scripted answer");
		return;
	}
	if (a->s->net != AZ_NET_OK) {
		r->net = a->s->net;
		r->net_message = az_xstrdup("scripted transport failure");
		return;
	}
	r->status = a->s->status;
	az_http_headers_copy(&r->headers, &a->s->headers);
	if (a->s->body)
		az_buf_puts(&r->body, a->s->body);
}

static void fake_wait(void *impl, long timeout_ms)
{
	fake_tp *f = impl;
	int64_t until = f->now + (timeout_ms > 0 ? timeout_ms : 0);
	for (size_t i = 0; i < f->nact; i++)
		if (f->act[i].due < until)
			until = f->act[i].due;
	if (until > f->now)
		f->now = until;
	/* Finish in start order among those due: deterministic for tests. */
	size_t i = 0;
	while (i < f->nact) {
		if (f->act[i].due > f->now) {
			i++;
			continue;
		}
		active a = f->act[i];
		memmove(&f->act[i], &f->act[i + 1], (f->nact - i - 1) * sizeof(*f->act));
		f->nact--;
		answer(&a);
		az_http_xfer_finished(a.x);
	}
}

static void fake_abort(void *impl, az_http_xfer *x)
{
	fake_tp *f = impl;
	for (size_t i = 0; i < f->nact; i++) {
		if (f->act[i].x == x) {
			memmove(&f->act[i], &f->act[i + 1], (f->nact - i - 1) * sizeof(*f->act));
			f->nact--;
			return;
		}
	}
}

static int64_t fake_now(void *impl)
{
	return ((fake_tp *)impl)->now;
}

static void fake_free(void *impl)
{
	fake_tp *f = impl;
	for (size_t i = 0; i < f->nscripts; i++) {
		free(f->scripts[i].method);
		free(f->scripts[i].url_part);
		free(f->scripts[i].body);
		az_http_headers_clear(&f->scripts[i].headers);
	}
	for (size_t i = 0; i < f->nsent; i++) {
		free(f->sent[i].method);
		free(f->sent[i].url);
		free(f->sent[i].body);
		az_http_headers_clear(&f->sent[i].headers);
	}
	free(f->scripts);
	free(f->sent);
	free(f->act);
	free(f);
}

void fake_tp_new(az_transport *out, fake_tp **fake)
{
	fake_tp *f = az_xcalloc(1, sizeof(*f));
	f->now = FAKE_EPOCH_MS;
	memset(out, 0, sizeof(*out));
	out->start = fake_start;
	out->wait = fake_wait;
	out->abort = fake_abort;
	out->now_ms = fake_now;
	out->free = fake_free;
	out->impl = f;
	*fake = f;
}

size_t fake_tp_sent_count(const fake_tp *f)
{
	return f->nsent;
}

const fake_sent *fake_tp_sent(const fake_tp *f, size_t i)
{
	return i < f->nsent ? &f->sent[i] : NULL;
}

size_t fake_tp_unused(const fake_tp *f)
{
	size_t n = 0;
	for (size_t i = 0; i < f->nscripts; i++)
		n += !f->scripts[i].used;
	return n;
}

size_t fake_tp_unscripted(const fake_tp *f)
{
	return f->unscripted;
}

int64_t fake_tp_now(const fake_tp *f)
{
	return f->now;
}

int fake_tp_max_in_flight(const fake_tp *f)
{
	return f->max_in_flight;
}
