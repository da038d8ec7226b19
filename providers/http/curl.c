/*
 * curl.c - the libcurl transport: one CURLM multi handle performs every
 * attempt of the client, so connections are reused and HTTP/2 streams are
 * multiplexed where the server offers it, all on the caller's thread.
 *
 * It is driven by its sockets (curl_multi_socket_action and an epoll set),
 * not by curl_multi_perform, which visits every transfer in flight on each
 * call: an answer costs the work of its own transfer. An apply of 10,001
 * resources made 44,500 poll calls instead of 61,500.
 *
 * TLS verification is always on. The CA bundle is the cloud's caCertificate,
 * else SSL_CERT_FILE, CURL_CA_BUNDLE or REQUESTS_CA_BUNDLE, else libcurl's
 * default. Proxies are left to libcurl, which reads HTTPS_PROXY, HTTP_PROXY
 * and NO_PROXY itself. Redirects are never followed: a Location is an LRO
 * status URL or a move, and following it would carry the Authorization
 * header to wherever it points.
 *
 * A host's first connection is opened alone. Until a next connection can
 * resume its TLS session or share it, the transfers to that host wait
 * beside it instead of each opening a connection of its own: every one of
 * those would be a full TLS handshake, a certificate chain parsed and
 * verified (OpenSSL 3 takes about a millisecond of CPU). They go as soon as
 * the first connection speaks HTTP/2 (libcurl multiplexes them on it), or
 * TLS 1.2, or has its TLS 1.3 session ticket, which the server sends just
 * after the handshake: not a round trip later, with the first answer.
 * Over HTTP/1.1 a ticket serves only the connections that begin before
 * one of them finishes its handshake: OpenSSL then marks the TLS 1.3
 * session used (a ticket is for one connection, RFC 8446 C.4), and libcurl
 * offers the next ticket a connection brings back. A
 * plan's first wave opened 64 connections to Resource Manager at once, each
 * a full handshake; with the workspaces' hosts', handshakes were 28% of a
 * 10,001-resource plan's CPU.
 */
#include "http/http.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/ssl.h>

/* Beyond the hosts of one run (ARM, login, Graph, one per workspace) it
 * costs only file descriptors. */
#define AZ_CURL_IDLE_CONNECTIONS 256
/* Finished transfers' handles kept, reset, for the next transfers: a new
 * handle is a calloc of several kilobytes and every default set again,
 * 2% of the instructions of an apply of 10,001 resources (22,000
 * requests). A burst beyond this many makes new ones. */
#define AZ_CURL_SPARE_HANDLES 64

/* Socket events taken from the kernel per epoll_wait. */
#define AZ_CURL_EVENTS 64

typedef struct easy_state easy_state;

/* One scheme://host:port and what its connections have shown so far. */
typedef struct origin {
	/* A next connection can resume a TLS session or share the first
	 * one: its opener's connection holds a session ticket, speaks HTTP/2
	 * or TLS 1.2 (whose session the handshake itself makes), or a
	 * transfer came back. */
	bool ready;
	easy_state *opener; /* the transfer opening its first connection, if any */
	/* Started meanwhile, in order. Left here once the origin is ready,
	 * they go out at the transport's next wait. */
	easy_state *waiting, *waiting_tail;
	/* What the opener's TLS connection tells when its ticket comes in
	 * (on_session_ticket); made when first needed. */
	struct ticket_watch *watch;
	/* Its TLS sessions, for the next connection to resume. A cache of
	 * its own: libcurl's shared one holds eight sessions in all, so a
	 * stack of more than eight hosts (one per Synapse workspace) pushed
	 * each host's session out before its next connection: an apply of
	 * 10,001 resources made 271 full handshakes for 301 connections. */
	CURLSH *sessions;
} origin;

typedef struct curl_tp {
	CURLM *multi;
	char *ca_file;
	bool default_bundle; /* libcurl was built with a CA bundle file */
	long connections; /* opened so far, for benchmarks and tests */
	int epoll_fd;     /* the sockets libcurl asked to watch */
	/* When libcurl wants curl_multi_socket_action(CURL_SOCKET_TIMEOUT):
	 * a monotonic time in ms, or -1 for never. */
	int64_t timer_due;
	az_origin_table origins; /* an origin per slot */
	CURL *spare[AZ_CURL_SPARE_HANDLES];
	size_t spares;
	easy_state *refused; /* released by their origin, refused by libcurl */
	bool released;       /* an origin became ready since the last wait */
} curl_tp;

/* An origin whose opener's TLS 1.3 connection awaits its session ticket,
 * and the new-session callback libcurl set on that connection before. */
typedef struct ticket_watch {
	curl_tp *t;
	size_t origin;
	int (*libcurl_cb)(SSL *, SSL_SESSION *);
} ticket_watch;

/* The ticket_watch of a connection (SSL ex_data), made once. */
static int ticket_watch_index = -1;

static int64_t monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* CURLMOPT_SOCKETFUNCTION: libcurl says which events of a socket it waits
 * for, or that it is done with it. Whether epoll holds the socket is kept
 * as libcurl's own pointer for it (curl_multi_assign): non-NULL once added. */
static int on_socket(CURL *e, curl_socket_t s, int what, void *userp, void *socketp)
{
	(void)e;
	curl_tp *t = userp;
	if (what == CURL_POLL_REMOVE) {
		if (socketp)
			epoll_ctl(t->epoll_fd, EPOLL_CTL_DEL, s, NULL);
		curl_multi_assign(t->multi, s, NULL);
		return 0;
	}
	struct epoll_event ev = {0};
	ev.events = ((what & CURL_POLL_IN) ? EPOLLIN : 0u) | ((what & CURL_POLL_OUT) ? EPOLLOUT : 0u);
	ev.data.fd = s;
	if (socketp) {
		epoll_ctl(t->epoll_fd, EPOLL_CTL_MOD, s, &ev);
		return 0;
	}
	/* A socket epoll still holds (closed by libcurl without a REMOVE, its
	 * number given out again) is modified instead. */
	if (epoll_ctl(t->epoll_fd, EPOLL_CTL_ADD, s, &ev) != 0 && errno == EEXIST)
		epoll_ctl(t->epoll_fd, EPOLL_CTL_MOD, s, &ev);
	curl_multi_assign(t->multi, s, t);
	return 0;
}

/* CURLMOPT_TIMERFUNCTION: when libcurl next wants to run its timeouts
 * (connects, retries of its own, a transfer just added: 0). */
static int on_timer(CURLM *multi, long timeout_ms, void *userp)
{
	(void)multi;
	curl_tp *t = userp;
	t->timer_due = timeout_ms < 0 ? -1 : monotonic_ms() + timeout_ms;
	return 0;
}

struct easy_state {
	CURL *easy;
	struct curl_slist *headers;
	char errbuf[CURL_ERROR_SIZE];
	az_http_xfer *x;
	curl_tp *t;
	size_t origin; /* index into curl_tp.origins, or SIZE_MAX: none known */
	enum { IN_MULTI, WAITING, REFUSED } where;
	easy_state *next_waiting; /* on its origin's waiting list, or the refused */
};

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
	az_http_xfer *x = ud;
	az_buf_add(&x->resp->body, data, size * n);
	return size * n;
}

static size_t on_header(char *data, size_t size, size_t n, void *ud)
{
	az_http_xfer *x = ud;
	size_t len = size * n;
	if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		/* A new response (after 100 Continue): forget earlier headers. */
		az_http_headers_clear(&x->resp->headers);
		return len;
	}
	const char *colon = memchr(data, ':', len);
	if (!colon)
		return len;
	const char *v = colon + 1, *end = data + len;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
		end--;
	char *name = az_xstrndup(data, (size_t)(colon - data));
	char *value = az_xstrndup(v, (size_t)(end - v));
	az_http_headers_add(&x->resp->headers, name, value);
	free(name);
	free(value);
	return len;
}

static void easy_state_free(easy_state *st)
{
	if (!st)
		return;
	curl_easy_cleanup(st->easy);
	/* The slist holds the Authorization header: wipe it. */
	for (struct curl_slist *l = st->headers; l; l = l->next)
		memset(l->data, 0, strlen(l->data));
	curl_slist_free_all(st->headers);
	free(st);
}

/* A handle for a new transfer: a finished one's, reset, or a new one. */
static CURL *handle_new(curl_tp *t)
{
	return t->spares ? t->spare[--t->spares] : curl_easy_init();
}

/* Frees a finished transfer's state, keeping its handle for the next one
 * when there is room. curl_easy_reset sets every option back to its
 * default (the headers and body this transfer pointed to among them) and
 * keeps the origin's share, which the next transfer sets anew. */
static void easy_state_recycle(curl_tp *t, easy_state *st)
{
	if (t->spares < AZ_CURL_SPARE_HANDLES) {
		curl_easy_reset(st->easy);
		t->spare[t->spares++] = st->easy;
		st->easy = NULL;
	}
	easy_state_free(st);
}

/* The origin of `url`, added when first seen; SIZE_MAX for a URL without
 * one (libcurl will refuse it on its own). */
static size_t origin_of(curl_tp *t, const char *url)
{
	return az_origin_number(&t->origins, url);
}

static origin *origin_at(const curl_tp *t, size_t n)
{
	return az_origin_slot(&t->origins, n);
}

/* Origin n's TLS session cache, made when first needed; NULL without an
 * origin, or when libcurl cannot make one (each connection then makes a
 * full handshake, nothing worse). */
static CURLSH *sessions_of(curl_tp *t, size_t n)
{
	if (n == SIZE_MAX)
		return NULL;
	origin *o = origin_at(t, n);
	if (!o->sessions) {
		o->sessions = curl_share_init();
		if (o->sessions &&
		    curl_share_setopt(o->sessions, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) !=
		        CURLSHE_OK) {
			curl_share_cleanup(o->sessions);
			o->sessions = NULL;
		}
	}
	return o->sessions;
}

static int add_to_multi(curl_tp *t, easy_state *st)
{
	return curl_multi_add_handle(t->multi, st->easy) == CURLM_OK ? 0 : -1;
}

/* Origin n is ready: what waits on it goes out at the next wait. */
static void origin_ready(curl_tp *t, size_t n)
{
	origin *o = origin_at(t, n);
	if (!o->ready) {
		o->ready = true;
		t->released = true;
	}
}

/* OpenSSL's new-session callback on an opener's TLS 1.3 connection: the
 * server's ticket came in. libcurl's own callback (which stores it in the
 * origin's session cache) runs first, so the connections the origin's
 * waiting transfers open find it there. */
static int on_session_ticket(SSL *ssl, SSL_SESSION *session)
{
	ticket_watch *w = SSL_get_ex_data(ssl, ticket_watch_index);
	if (!w)
		return 0;
	int kept = w->libcurl_cb(ssl, session);
	if (kept)
		origin_ready(w->t, w->origin);
	return kept;
}

/* CURLOPT_PREREQFUNCTION of an opener: its connection is up, the request
 * about to go. What waits on the origin may go now if a next connection
 * can already resume or share this one; over TLS 1.3 and HTTP/1.1 that is
 * once the server's ticket, sent after the handshake, comes in. Until
 * then, or with a TLS library other than OpenSSL, they wait for the
 * opener's answer as before. Leaving at the answer, a plan's or apply's
 * first request to each host cost a round trip to everything behind it:
 * the stack-wide list waited on its first page, the data planes' lists on
 * the first one. */
static int on_opener_connected(void *ud, char *primary_ip, char *local_ip, int primary_port,
			       int local_port)
{
	(void)primary_ip, (void)local_ip, (void)primary_port, (void)local_port;
	easy_state *st = ud;
	curl_tp *t = st->t;
	origin *o = origin_at(t, st->origin);
	const struct curl_tlssessioninfo *tls = NULL;
	if (o->ready || curl_easy_getinfo(st->easy, CURLINFO_TLS_SSL_PTR, &tls) != CURLE_OK ||
	    !tls || tls->backend != CURLSSLBACKEND_OPENSSL || !tls->internals)
		return CURL_PREREQFUNC_OK;
	SSL *ssl = tls->internals;
	const unsigned char *alpn = NULL;
	unsigned int alpn_len = 0;
	SSL_get0_alpn_selected(ssl, &alpn, &alpn_len);
	if ((alpn_len == 2 && memcmp(alpn, "h2", 2) == 0) || SSL_version(ssl) < TLS1_3_VERSION) {
		origin_ready(t, st->origin);
		return CURL_PREREQFUNC_OK;
	}
	/* Each libcurl connection has a context of its own, so the callback
	 * set here is this connection's alone. Without libcurl's (no session
	 * cache), a ticket would be kept by no one. */
	SSL_CTX *ctx = SSL_get_SSL_CTX(ssl);
	int (*libcurl_cb)(SSL *, SSL_SESSION *) = SSL_CTX_sess_get_new_cb(ctx);
	if (ticket_watch_index < 0 || !libcurl_cb || libcurl_cb == on_session_ticket)
		return CURL_PREREQFUNC_OK;
	if (!o->watch) {
		o->watch = az_xcalloc(1, sizeof(*o->watch));
		o->watch->t = t;
		o->watch->origin = st->origin;
	}
	o->watch->libcurl_cb = libcurl_cb;
	if (SSL_set_ex_data(ssl, ticket_watch_index, o->watch) == 1)
		SSL_CTX_sess_set_new_cb(ctx, on_session_ticket);
	return CURL_PREREQFUNC_OK;
}

/* Sends `st` now, or has it wait until its origin is ready. */
static int send_or_wait(curl_tp *t, easy_state *st)
{
	origin *o = st->origin == SIZE_MAX ? NULL : origin_at(t, st->origin);
	if (o && !o->ready && o->opener) {
		st->where = WAITING;
		if (o->waiting_tail)
			o->waiting_tail->next_waiting = st;
		else
			o->waiting = st;
		o->waiting_tail = st;
		return 0;
	}
	if (o && !o->ready) {
		o->opener = st;
		curl_easy_setopt(st->easy, CURLOPT_PREREQFUNCTION, on_opener_connected);
		curl_easy_setopt(st->easy, CURLOPT_PREREQDATA, st);
	}
	return add_to_multi(t, st);
}

/* Hands `o`'s waiting transfers to libcurl, in the order they came. A
 * transfer libcurl refuses now finishes as failed in the next collect. */
static void release_waiting(curl_tp *t, origin *o)
{
	easy_state *w = o->waiting;
	o->waiting = o->waiting_tail = NULL;
	while (w) {
		easy_state *next = w->next_waiting;
		w->where = IN_MULTI;
		w->next_waiting = NULL;
		if (add_to_multi(t, w) != 0) {
			/* Said as a failed connection by the next collect. */
			w->where = REFUSED;
			w->next_waiting = t->refused;
			t->refused = w;
		}
		w = next;
	}
}

/* The opener of `st`'s origin is done. With an answer (`answered`) and
 * others still waiting (no ticket came), they go out on what it learnt, at
 * the next wait: the requests its answer leads to (a list's next page) are
 * started before, and the connection it leaves idle is theirs. The waiting
 * ones took it, and the stack-wide list's second page opened a connection
 * of its own behind 63 TLS handshakes. Without an answer, they go out at
 * once, as they would have, each on its own. */
static void opener_done(curl_tp *t, easy_state *st, bool answered)
{
	if (st->origin == SIZE_MAX)
		return;
	origin *o = origin_at(t, st->origin);
	if (o->opener != st)
		return;
	o->opener = NULL;
	if (answered)
		origin_ready(t, st->origin);
	else if (!o->ready)
		release_waiting(t, o);
}

/* Sends what waited on origins that became ready since the last wait. */
static void send_released(curl_tp *t)
{
	if (!t->released)
		return;
	t->released = false;
	for (size_t i = 0; i < t->origins.count; i++) {
		origin *o = origin_at(t, i);
		if (o->ready && o->waiting)
			release_waiting(t, o);
	}
}

/* Takes `st` off the list it waits on: its origin's, or the refused. */
static void unlink_waiting(curl_tp *t, easy_state *st)
{
	origin *o = st->where == WAITING ? origin_at(t, st->origin) : NULL;
	easy_state **head = o ? &o->waiting : &t->refused, *prev = NULL;
	for (easy_state *w = *head; w; prev = w, w = w->next_waiting) {
		if (w != st)
			continue;
		if (prev)
			prev->next_waiting = w->next_waiting;
		else
			*head = w->next_waiting;
		if (o && o->waiting_tail == w)
			o->waiting_tail = prev;
		break;
	}
	st->where = IN_MULTI;
	st->next_waiting = NULL;
}

static int tp_start(void *impl, az_http_xfer *x, long connect_timeout_ms, long timeout_ms)
{
	curl_tp *t = impl;
	const az_http_request *r = x->req;
	easy_state *st = az_xcalloc(1, sizeof(*st));
	st->x = x;
	st->t = t;
	CURL *e = st->easy = handle_new(t);
	if (!e) {
		free(st);
		return AZ_ERROR;
	}
	curl_easy_setopt(e, CURLOPT_URL, r->url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	if (t->ca_file)
		curl_easy_setopt(e, CURLOPT_CAINFO, t->ca_file);
	/* The bundle alone: libcurl keeps a loaded CA store for the next
	 * connection only when no CA directory is set, and Debian's libcurl
	 * sets /etc/ssl/certs by default. With it, every new connection read
	 * and parsed the bundle again (4,517 times in a plan of 50,001
	 * resources, a quarter of its CPU). The bundle holds what the
	 * directory does. */
	if (t->ca_file || t->default_bundle)
		curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
	/* HTTP/2 when the server offers it. No CURLOPT_PIPEWAIT: with it, a
	 * transfer to a host whose first connection turns out to be HTTP/1.1
	 * sat unnoticed until the next poll timeout (a 1 s stall per request
	 * beyond the first few to one Synapse workspace). */
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, st->errbuf);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	if (strcmp(r->method, "GET") == 0) {
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	} else if (strcmp(r->method, "HEAD") == 0) {
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	} else {
		/* libcurl silently re-sends a request whose reused connection
		 * died before an answer; for a POST or PATCH that may have been
		 * applied, so give those a connection of their own. */
		if (!r->idempotent &&
		    (strcmp(r->method, "POST") == 0 || strcmp(r->method, "PATCH") == 0))
			curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r->method);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body ? r->body : "");
	}
	for (size_t i = 0; i < r->headers.len; i++) {
		char *line =
		    az_xasprintf("%s: %s", r->headers.items[i].name, r->headers.items[i].value);
		st->headers = curl_slist_append(st->headers, line);
		memset(line, 0, strlen(line));
		free(line);
	}
	/* No 100-continue round trip: Azure answers bodies directly. */
	st->headers = curl_slist_append(st->headers, "Expect:");
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, st->headers);
	x->tp = st;
	st->origin = origin_of(t, r->url);
	CURLSH *sessions = sessions_of(t, st->origin);
	if (sessions)
		curl_easy_setopt(e, CURLOPT_SHARE, sessions);
	if (send_or_wait(t, st) != 0) {
		opener_done(t, st, false);
		x->tp = NULL;
		easy_state_free(st);
		return AZ_ERROR;
	}
	return 0;
}

static az_net_err classify(CURLcode rc, CURL *e)
{
	long sent = 0;
	curl_easy_getinfo(e, CURLINFO_REQUEST_SIZE, &sent);
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT: return AZ_NET_CONNECT;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM: return AZ_NET_TLS;
	case CURLE_OPERATION_TIMEDOUT: return sent > 0 ? AZ_NET_TIMEOUT : AZ_NET_CONNECT;
	default: break;
	}
	/* Whether the server may have seen it decides if a POST may be repeated. */
	return sent > 0 ? AZ_NET_SEND : AZ_NET_CONNECT;
}

/* Hands every finished transfer to the client; returns how many. */
static int collect_finished(curl_tp *t)
{
	int finished = 0;
	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(t->multi, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		CURL *e = msg->easy_handle;
		az_http_xfer *x = NULL;
		curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&x);
		easy_state *st = x->tp;
		CURLcode rc = msg->data.result;
		if (rc == CURLE_OK) {
			long code = 0;
			curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
			x->resp->status = (int)code;
		} else {
			x->resp->status = 0;
			x->resp->net = classify(rc, e);
			x->resp->net_message =
			    az_xstrdup(st->errbuf[0] ? st->errbuf : curl_easy_strerror(rc));
			az_http_headers_clear(&x->resp->headers);
			az_buf_truncate(&x->resp->body, 0);
		}
		long opened = 0;
		if (curl_easy_getinfo(e, CURLINFO_NUM_CONNECTS, &opened) == CURLE_OK)
			t->connections += opened;
		curl_multi_remove_handle(t->multi, e);
		opener_done(t, st, rc == CURLE_OK);
		easy_state_recycle(t, st);
		x->tp = NULL;
		az_http_xfer_finished(x);
		finished++;
	}
	while (t->refused) {
		easy_state *st = t->refused;
		t->refused = st->next_waiting;
		az_http_xfer *x = st->x;
		x->resp->status = 0;
		x->resp->net = AZ_NET_CONNECT;
		x->resp->net_message = az_xstrdup("libcurl could not take the transfer");
		easy_state_free(st);
		x->tp = NULL;
		az_http_xfer_finished(x);
		finished++;
	}
	return finished;
}

/* Runs libcurl's timeouts if they are due; true when it did. */
static bool run_due_timer(curl_tp *t)
{
	if (t->timer_due < 0 || monotonic_ms() < t->timer_due)
		return false;
	int running = 0;
	t->timer_due = -1;
	curl_multi_socket_action(t->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	return true;
}

static void tp_wait(void *impl, long timeout_ms)
{
	curl_tp *t = impl;
	send_released(t);
	/* Transfers that finished just now leave nothing to wait for: waiting
	 * would sleep the whole timeout before anyone saw them (a 1 s stall
	 * whenever a loaded machine let answers arrive before the wait). */
	if (run_due_timer(t) && collect_finished(t) > 0)
		return;
	if (t->timer_due >= 0) {
		int64_t until_timer = t->timer_due - monotonic_ms();
		if (until_timer < timeout_ms)
			timeout_ms = until_timer < 0 ? 0 : (long)until_timer;
	}
	struct epoll_event ev[AZ_CURL_EVENTS];
	int n = epoll_wait(t->epoll_fd, ev, AZ_CURL_EVENTS, (int)timeout_ms);
	for (int i = 0; i < n; i++) {
		int mask = ((ev[i].events & EPOLLIN) ? CURL_CSELECT_IN : 0) |
			   ((ev[i].events & EPOLLOUT) ? CURL_CSELECT_OUT : 0) |
			   ((ev[i].events & (EPOLLERR | EPOLLHUP)) ? CURL_CSELECT_ERR : 0);
		int running = 0;
		curl_multi_socket_action(t->multi, ev[i].data.fd, mask, &running);
	}
	run_due_timer(t);
	collect_finished(t);
}

static void tp_abort(void *impl, az_http_xfer *x)
{
	curl_tp *t = impl;
	easy_state *st = x->tp;
	if (!st)
		return;
	if (st->where != IN_MULTI) {
		unlink_waiting(t, st);
	} else {
		curl_multi_remove_handle(t->multi, st->easy);
		opener_done(t, st, false);
	}
	easy_state_free(st);
	x->tp = NULL;
}

static int64_t tp_now_ms(void *impl)
{
	(void)impl;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long tp_connections(void *impl)
{
	const curl_tp *t = impl;
	return t->connections;
}

static void tp_free(void *impl)
{
	curl_tp *t = impl;
	if (!t)
		return;
	/* The client aborts every transfer before this; what still waits
	 * was never libcurl's. */
	for (size_t i = 0; i < t->origins.count; i++) {
		origin *o = origin_at(t, i);
		while (o->waiting) {
			easy_state *st = o->waiting;
			o->waiting = st->next_waiting;
			st->x->tp = NULL;
			easy_state_free(st);
		}
	}
	while (t->refused) {
		easy_state *st = t->refused;
		t->refused = st->next_waiting;
		st->x->tp = NULL;
		easy_state_free(st);
	}
	while (t->spares)
		curl_easy_cleanup(t->spare[--t->spares]);
	curl_multi_cleanup(t->multi);
	/* After the handles that used them: libcurl refuses to free a share
	 * still in use. */
	for (size_t i = 0; i < t->origins.count; i++) {
		curl_share_cleanup(origin_at(t, i)->sessions);
		free(origin_at(t, i)->watch);
	}
	az_origin_table_clear(&t->origins);
	close(t->epoll_fd);
	free(t->ca_file);
	free(t);
}

/* Whether libcurl's built-in CA bundle is there to be read, so that its
 * built-in CA directory can be left out (see tp_start). */
static bool default_bundle_exists(void)
{
	CURL *e = curl_easy_init();
	char *bundle = NULL;
	bool exists = e && curl_easy_getinfo(e, CURLINFO_CAINFO, &bundle) == CURLE_OK && bundle &&
		      access(bundle, R_OK) == 0;
	if (e)
		curl_easy_cleanup(e);
	return exists;
}

int az_curl_transport_new(az_transport *out, const char *ca_file, az_diags *d)
{
	static bool global_done;
	if (!global_done) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		ticket_watch_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
		global_done = true;
	}
	const char *ca = ca_file;
	static const char *const env[] = {"SSL_CERT_FILE", "CURL_CA_BUNDLE", "REQUESTS_CA_BUNDLE"};
	for (size_t i = 0; !ca && i < sizeof(env) / sizeof(env[0]); i++) {
		const char *v = getenv(env[i]);
		if (v && *v)
			ca = v;
	}
	curl_tp *t = az_xcalloc(1, sizeof(*t));
	t->multi = curl_multi_init();
	t->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (!t->multi || t->epoll_fd < 0) {
		if (t->multi)
			curl_multi_cleanup(t->multi);
		if (t->epoll_fd >= 0)
			close(t->epoll_fd);
		free(t);
		az_diag_add(d, AZ_SEV_ERROR, NULL, NULL, "cannot initialise libcurl");
		return AZ_ERROR;
	}
	t->timer_due = -1;
	t->origins.slot_size = sizeof(origin);
	curl_multi_setopt(t->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(t->multi, CURLMOPT_SOCKETDATA, t);
	curl_multi_setopt(t->multi, CURLMOPT_TIMERFUNCTION, on_timer);
	curl_multi_setopt(t->multi, CURLMOPT_TIMERDATA, t);
	curl_multi_setopt(t->multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
	/* Idle connections stay open for the next request to their host: a
	 * stack touches ARM, the token endpoint and one host per Synapse
	 * workspace, and libcurl's default cache (four per transfer in
	 * flight) closed most of them before their host was asked again:
	 * a plan of 10,001 resources opened 598 connections (each a TLS
	 * handshake) for 816 requests. */
	curl_multi_setopt(t->multi, CURLMOPT_MAXCONNECTS, (long)AZ_CURL_IDLE_CONNECTIONS);
	/* TLS sessions are resumed across connections to the same host (an
	 * abbreviated handshake, no certificate chain to verify again): see
	 * sessions_of. The CA store itself is loaded once per multi handle:
	 * libcurl keeps it for CURLOPT_CA_CACHE_TIMEOUT (a day by default),
	 * when no CA directory is set (tp_start). */
	if (ca)
		t->ca_file = az_xstrdup(ca);
	t->default_bundle = default_bundle_exists();
	memset(out, 0, sizeof(*out));
	out->start = tp_start;
	out->wait = tp_wait;
	out->abort = tp_abort;
	out->now_ms = tp_now_ms;
	out->connections = tp_connections;
	out->free = tp_free;
	out->impl = t;
	return 0;
}
