/*
 * http.c - the libmicrohttpd listener: TLS on 127.0.0.1 only, one thread
 * per connection (so a delay or latency rule blocks only the request it
 * applies to and 200 concurrent clients are served side by side), request
 * bodies gathered up to ARM's 4 MB limit, then handed to emu_dispatch as a
 * plain emu_req. This is the only file that knows libmicrohttpd.
 */
#include "emu.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <gnutls/gnutls.h>
#include <microhttpd.h>

/* Each connection's buffer for headers and reads: libmicrohttpd zeroes all
 * of it before every request on the connection, so its size is paid per
 * request (at 128 KB, a twentieth of the emulator's CPU in a large apply).
 * 32 KB is its default; bodies stream through on_request in pieces. */
#define EMU_CONNECTION_MEMORY (32 * 1024)

struct emu_http {
	struct MHD_Daemon *daemon;
	emu_server *server;
	/* Encrypts the session tickets every connection is given: a client
	 * resumes its TLS session on its next connection, as Azure's front
	 * ends let it, instead of a full handshake (a certificate to sign and
	 * to verify) for each. */
	gnutls_datum_t ticket_key;
	long long connections; /* numbered as accepted; under the server's lock */
};

typedef struct conn_ctx {
	az_buf body;
	bool too_big;
} conn_ctx;

/* One TCP connection (libmicrohttpd's socket context). */
typedef struct socket_ctx {
	bool handshake_counted;
	long long number; /* logged with each of its requests */
} socket_ctx;

static socket_ctx *socket_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *sc =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return sc ? sc->socket_context : NULL;
}

/* The first request on a connection tells how its TLS session began: a
 * full handshake (the certificate signed here and verified by the client)
 * or one resumed from a ticket. Counted as "fullHandshakes", control calls
 * aside (as for peakInFlight): what a client that reuses its sessions
 * keeps near one per host. */
static void count_handshake(emu_http *h, struct MHD_Connection *c, const char *url)
{
	if (url && strncmp(url, "/_emulator", 10) == 0)
		return;
	socket_ctx *s = socket_of(c);
	if (!s || s->handshake_counted)
		return;
	s->handshake_counted = true;
	const union MHD_ConnectionInfo *tls =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (!tls || !tls->tls_session || gnutls_session_is_resumed(tls->tls_session))
		return;
	pthread_mutex_lock(&h->server->lock);
	emu_count(h->server, "fullHandshakes");
	pthread_mutex_unlock(&h->server->lock);
}

static enum MHD_Result collect(void *cls, enum MHD_ValueKind kind, const char *key,
			       const char *value)
{
	(void)kind;
	emu_kvs_add(cls, key ? key : "", value);
	return MHD_YES;
}

/*
 * libmicrohttpd's own unescaping turns %00 into a NUL that silently cuts
 * the path short ("/subscriptions/%00x" would be served as
 * "/subscriptions/"). Decode here instead and turn %00 into the overlong
 * form C0 80, which is never valid UTF-8, so dispatch refuses the request
 * as Azure does (400 InvalidRequestUri). Other malformed escapes stay as
 * they are. The result is never longer than the input, as MHD requires.
 */
static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static size_t unescape(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	char *out = s;
	for (const char *in = s; *in;) {
		int hi = in[0] == '%' ? hexval(in[1]) : -1;
		int lo = hi >= 0 ? hexval(in[2]) : -1;
		if (lo < 0) {
			*out++ = *in++;
			continue;
		}
		int v = hi * 16 + lo;
		if (v == 0) {
			*out++ = (char)0xc0;
			*out++ = (char)0x80;
		} else {
			*out++ = (char)v;
		}
		in += 3;
	}
	*out = '\0';
	return (size_t)(out - s);
}

static char *host_of(const char *header)
{
	if (!header)
		return az_xstrdup("");
	const char *end = header + strlen(header);
	if (*header == '[') {
		const char *close = strchr(header, ']');
		end = close ? close + 1 : end;
	} else {
		const char *colon = strchr(header, ':');
		if (colon)
			end = colon;
	}
	char *h = az_xstrndup(header, (size_t)(end - header));
	char *l = emu_lower(h);
	free(h);
	return l;
}

/* The client's address as a firewall sees it: IPv4 dotted, an IPv4-mapped
 * IPv6 address unwrapped. */
static void peer_address(struct MHD_Connection *c, char *out, size_t n)
{
	out[0] = '\0';
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (!ci || !ci->client_addr)
		return;
	const struct sockaddr *sa = ci->client_addr;
	if (sa->sa_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
			  (socklen_t)n);
	} else if (sa->sa_family == AF_INET6) {
		char buf[INET6_ADDRSTRLEN];
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
			  buf, sizeof(buf));
		snprintf(out, n, "%s", strncmp(buf, "::ffff:", 7) ? buf : buf + 7);
	}
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	emu_http *h = cls;
	conn_ctx *ctx = *con_cls;
	(void)version;
	if (!ctx) {
		*con_cls = az_xcalloc(1, sizeof(conn_ctx));
		count_handshake(h, c, url);
		return MHD_YES;
	}
	if (*upload_size) {
		if (ctx->body.len + *upload_size > EMU_MAX_BODY)
			ctx->too_big = true;
		else
			az_buf_add(&ctx->body, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}

	emu_req q = {0};
	emu_resp r = {0};
	q.method = method;
	q.path = az_xstrdup(url ? url : "/");
	MHD_get_connection_values(c, MHD_HEADER_KIND, collect, &q.headers);
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect, &q.query);
	q.host = host_of(emu_kvs_get(&q.headers, "Host"));
	q.body = ctx->body.data ? ctx->body.data : "";
	q.body_len = ctx->body.len;
	q.now_ms = emu_now_ms();
	peer_address(c, q.client_ip, sizeof(q.client_ip));
	const socket_ctx *sc = socket_of(c);
	q.connection = sc ? sc->number : 0;
	if (q.body_len) {
		json_error_t jerr;
		q.json = json_loadb(q.body, q.body_len, JSON_DECODE_ANY, &jerr);
		q.bad_json = !q.json;
	}
	if (ctx->too_big)
		emu_resp_arm_error(&r, 413, "RequestEntityTooLarge",
				   "The request content size exceeds the maximum of 4 MB.");
	else
		emu_dispatch(h->server, &q, &r);

	static char empty[1];
	enum MHD_Result ret = MHD_NO;
	if (!r.drop) {
		struct MHD_Response *resp = MHD_create_response_from_buffer(
			r.body.len, r.body.data ? r.body.data : empty, MHD_RESPMEM_MUST_COPY);
		for (size_t i = 0; i < r.headers.len; i++)
			MHD_add_response_header(resp, r.headers.items[i].name,
						r.headers.items[i].value);
		ret = MHD_queue_response(c, (unsigned)(r.status ? r.status : 500), resp);
		MHD_destroy_response(resp);
	}
	json_decref(q.json);
	emu_kvs_clear(&q.headers);
	emu_kvs_clear(&q.query);
	free(q.host);
	free(q.path);
	emu_resp_reset(&r);
	return ret;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode code)
{
	(void)cls;
	(void)c;
	(void)code;
	conn_ctx *ctx = *con_cls;
	if (ctx) {
		az_buf_free(&ctx->body);
		free(ctx);
		*con_cls = NULL;
	}
}

/* Connections accepted since the log was cleared: each is a TLS handshake
 * the client paid for, the figure that shows whether it kept and reused
 * them. */
static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	emu_http *h = cls;
	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		free(*socket_context);
		*socket_context = NULL;
		return;
	}
	if (code != MHD_CONNECTION_NOTIFY_STARTED)
		return;
	socket_ctx *sc = az_xcalloc(1, sizeof(socket_ctx));
	*socket_context = sc;
	const union MHD_ConnectionInfo *tls =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (tls && tls->tls_session && h->ticket_key.data)
		gnutls_session_ticket_enable_server(tls->tls_session, &h->ticket_key);
	pthread_mutex_lock(&h->server->lock);
	emu_count(h->server, "connections");
	sc->number = ++h->connections;
	pthread_mutex_unlock(&h->server->lock);
}

int emu_http_start(emu_http **out, emu_server *s)
{
	struct sockaddr_in addr;
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)s->cfg.port);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

	emu_http *h = az_xcalloc(1, sizeof(*h));
	h->server = s;
	if (gnutls_session_ticket_key_generate(&h->ticket_key) != GNUTLS_E_SUCCESS)
		h->ticket_key.data = NULL;
	unsigned flags = MHD_USE_AUTO | MHD_USE_INTERNAL_POLLING_THREAD |
			 MHD_USE_THREAD_PER_CONNECTION | MHD_USE_TLS;
	h->daemon = MHD_start_daemon(
		flags, 0, NULL, NULL, on_request, h, MHD_OPTION_SOCK_ADDR,
		(struct sockaddr *)&addr, MHD_OPTION_HTTPS_MEM_KEY, s->key_pem,
		MHD_OPTION_HTTPS_MEM_CERT, s->cert_pem, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
		NULL, MHD_OPTION_NOTIFY_CONNECTION, on_connection, h, MHD_OPTION_CONNECTION_LIMIT, (unsigned)1024, MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned)120, MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)512,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)EMU_CONNECTION_MEMORY,
		MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL, MHD_OPTION_END);
	if (!h->daemon) {
		gnutls_free(h->ticket_key.data);
		free(h);
		return -1;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
	if (info)
		s->cfg.port = info->port;
	*out = h;
	return 0;
}

void emu_http_stop(emu_http *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->daemon);
	gnutls_memset(h->ticket_key.data, 0, h->ticket_key.size);
	gnutls_free(h->ticket_key.data);
	free(h);
}
