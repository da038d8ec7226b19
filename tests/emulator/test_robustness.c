/*
 * test_robustness.c - the emulator under load and abuse: 200 clients at
 * once (every request must succeed, as a test suite running azapply in
 * parallel needs), then garbage over raw TCP and TLS (random bytes,
 * truncated requests, bad JSON, a 1 MB header, invalid UTF-8 and
 * %-escapes in paths, made-up methods), after which the emulator must
 * still answer and exit cleanly under the sanitizers.
 */
#define _GNU_SOURCE /* strcasestr */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <azapply/provider.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "testkit.h"

#define CLIENTS 200

static emu *E;
static char *ARM;

static int setup(void **state)
{
	(void)state;
	/* Hanging up on garbage half-sent is an answer: the test's next write
	 * then fails with EPIPE instead of ending the test. */
	signal(SIGPIPE, SIG_IGN);
	if (emu_start(&E, NULL))
		return -1;
	ARM = emu_token(E, TK_ARM_SCOPE);
	return ARM ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	free(ARM);
	assert_int_equal(emu_stop(E), 0);
	return 0;
}

/* The emulator stands for Azure: its connection threads must not share
 * azapply's scheduling group, or a benchmark measures their contest. */
static void test_runs_in_a_session_of_its_own(void **state)
{
	(void)state;
	pid_t pid = emu_pid(E);
	assert_int_equal(getsid(pid), pid);
	assert_int_not_equal(getsid(0), pid);
}

typedef struct client {
	pthread_t thread;
	pthread_barrier_t *start;
	long status;
} client;

static void *run_client(void *arg)
{
	client *c = arg;
	char *url = tk_url(E, "management.localhost", "/subscriptions?api-version=2022-12-01");
	char *auth = az_xasprintf("Authorization: Bearer %s", ARM);
	const char *headers[] = {auth, NULL};
	emu_response r;
	pthread_barrier_wait(c->start);
	emu_http(E, &r, "GET", url, headers, NULL, 0);
	c->status = r.status;
	emu_response_free(&r);
	free(auth);
	free(url);
	return NULL;
}

static void test_two_hundred_clients_at_once(void **state)
{
	(void)state;
	client *cs = az_xcalloc(CLIENTS, sizeof(*cs));
	pthread_barrier_t start;
	pthread_barrier_init(&start, NULL, CLIENTS);
	for (size_t i = 0; i < CLIENTS; i++) {
		cs[i].start = &start;
		assert_int_equal(pthread_create(&cs[i].thread, NULL, run_client, &cs[i]), 0);
	}
	size_t ok = 0;
	for (size_t i = 0; i < CLIENTS; i++) {
		pthread_join(cs[i].thread, NULL);
		ok += cs[i].status == 200;
	}
	pthread_barrier_destroy(&start);
	free(cs);
	assert_int_equal(ok, CLIENTS);
}

/* ---- raw connections ------------------------------------------------------ */

static int connect_raw(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	struct timeval tv = {5, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	struct sockaddr_in addr;
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)emu_port(E));
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	return fd;
}

/* Sends `data` over TLS and returns the status code of the answer, or 0
 * when the emulator closed the connection without one or, with `hang_up`,
 * when the client closed it right after sending (a request cut short). */
static long send_tls_ex(const void *data, size_t len, bool hang_up)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_load_verify_locations(ctx, emu_ca_path(E), NULL);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	int fd = connect_raw();
	SSL *ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	SSL_set_tlsext_host_name(ssl, "management.localhost");
	assert_int_equal(SSL_connect(ssl), 1);
	for (size_t off = 0; off < len;) {
		int n = SSL_write(ssl, (const char *)data + off,
				  (int)(len - off > 65536 ? 65536 : len - off));
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	char buf[4096];
	az_buf in = AZ_BUF_INIT;
	int n;
	while (!hang_up && (n = SSL_read(ssl, buf, sizeof(buf))) > 0 && in.len < 65536)
		az_buf_add(&in, buf, (size_t)n);
	long status = 0;
	if (in.len > 12 && !strncmp(in.data, "HTTP/1.", 7))
		status = strtol(in.data + 9, NULL, 10);
	az_buf_free(&in);
	SSL_free(ssl);
	close(fd);
	SSL_CTX_free(ctx);
	return status;
}

static long send_tls(const void *data, size_t len)
{
	return send_tls_ex(data, len, false);
}

static long send_text(const char *text)
{
	return send_tls(text, strlen(text));
}

static void assert_still_answers(void)
{
	json_t *health = NULL;
	assert_int_equal(emu_control(E, "GET", "health", NULL, &health), 200);
	assert_string_equal(tk_str(health, "status"), "ok");
	json_decref(health);
}

/* One TLS connection's session, handed to the next: whether the emulator
 * resumed it. A request is answered first, since TLS 1.3 gives the
 * session ticket after the handshake. */
static SSL_SESSION *tls_request(SSL_CTX *ctx, SSL_SESSION *resume, bool *reused)
{
	int fd = connect_raw();
	SSL *ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	SSL_set_tlsext_host_name(ssl, "management.localhost");
	if (resume)
		SSL_set_session(ssl, resume);
	assert_int_equal(SSL_connect(ssl), 1);
	static const char req[] =
		"GET /_emulator/health HTTP/1.1\r\nHost: management.localhost\r\n\r\n";
	assert_int_equal(SSL_write(ssl, req, (int)strlen(req)), (int)strlen(req));
	/* The whole answer, then a clean close: a session ended by a bare
	 * EOF is not one OpenSSL resumes. */
	az_buf in = AZ_BUF_INIT;
	char buf[4096];
	const char *end = NULL;
	long want = -1;
	int n;
	while ((want < 0 || (long)in.len < want) && (n = SSL_read(ssl, buf, sizeof(buf))) > 0) {
		az_buf_add(&in, buf, (size_t)n);
		end = strstr(in.data, "\r\n\r\n");
		const char *cl = strcasestr(in.data, "Content-Length:");
		if (end && cl)
			want = (long)(end + 4 - in.data) + strtol(cl + 15, NULL, 10);
	}
	assert_non_null(end);
	az_buf_free(&in);
	*reused = SSL_session_reused(ssl) == 1;
	SSL_shutdown(ssl);
	SSL_SESSION *session = SSL_get1_session(ssl);
	SSL_free(ssl);
	close(fd);
	return session;
}

/* Azure's front ends let a client resume its TLS session; so does the
 * emulator, or every connection of a benchmark pays a full handshake. */
static void test_tls_sessions_resume(void **state)
{
	(void)state;
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_load_verify_locations(ctx, emu_ca_path(E), NULL);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	bool reused = true;
	SSL_SESSION *first = tls_request(ctx, NULL, &reused);
	assert_false(reused);
	assert_non_null(first);
	assert_true(SSL_SESSION_is_resumable(first));
	SSL_SESSION *second = tls_request(ctx, first, &reused);
	assert_true(reused);
	SSL_SESSION_free(second);
	SSL_SESSION_free(first);
	SSL_CTX_free(ctx);
}

static void test_garbage_leaves_it_answering(void **state)
{
	(void)state;
	unsigned char noise[8192];
	RAND_bytes(noise, sizeof(noise));

	/* Random bytes where a TLS handshake should be. */
	int fd = connect_raw();
	assert_true(write(fd, noise, sizeof(noise)) > 0);
	char sink[256];
	while (read(fd, sink, sizeof(sink)) > 0)
		;
	close(fd);
	assert_still_answers();

	/* Random bytes inside TLS, with and without a request line first. */
	send_tls(noise, sizeof(noise));
	az_buf b = AZ_BUF_INIT;
	az_buf_puts(&b, "GET / HTTP/1.1\r\n");
	az_buf_add(&b, noise, 2048);
	send_tls(b.data, b.len);
	az_buf_free(&b);
	assert_still_answers();

	/* A request cut short: headers without an end, a body shorter than announced. */
	static const char cut_head[] = "GET /subscriptions?api-version=2022-12-01 HTTP/1.1\r\n"
				       "Host: management.lo";
	static const char cut_body[] = "PUT /subscriptions/x HTTP/1.1\r\nHost: management.localhost"
				       "\r\nContent-Length: 1000\r\n\r\n{\"loc";
	send_tls_ex(cut_head, strlen(cut_head), true);
	send_tls_ex(cut_body, strlen(cut_body), true);
	assert_still_answers();

	/* Bad JSON is a 400, not a crash. */
	char *bad_json = az_xasprintf(
		"PUT /subscriptions/%s/resourceGroups/rg?api-version=2021-04-01 HTTP/1.1\r\n"
		"Host: management.localhost\r\nAuthorization: Bearer %s\r\n"
		"Content-Type: application/json\r\nContent-Length: 12\r\nConnection: close\r\n"
		"\r\n{\"location\":",
		emu_subscription_id(E), ARM);
	assert_int_equal(send_text(bad_json), 400);
	free(bad_json);

	/* A 1 MB header. */
	az_buf big = AZ_BUF_INIT;
	az_buf_puts(&big, "GET /_emulator/health HTTP/1.1\r\nHost: management.localhost\r\nX-Big: ");
	for (size_t i = 0; i < 1024 * 1024; i++)
		az_buf_putc(&big, 'a');
	az_buf_puts(&big, "\r\nConnection: close\r\n\r\n");
	long st = send_tls(big.data, big.len);
	assert_true(st == 0 || st == 431 || st == 413 || st == 400);
	az_buf_free(&big);
	assert_still_answers();

	/* Invalid UTF-8 and %-escapes in paths and queries. */
	static const char *const paths[] = {
		"/subscriptions/\xff\xfe\xfd?api-version=2022-12-01",
		"/subscriptions/%ff%fe?api-version=2022-12-01",
		"/subscriptions/%zz%4?api-version=2022-12-01",
		"/subscriptions/%00abc?api-version=2022-12-01",
		"/subscriptions?api-version=%ff%00",
		"/%c0%af%c0%af/etc/passwd",
	};
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		char *req = az_xasprintf("GET %s HTTP/1.1\r\nHost: management.localhost\r\n"
					 "Authorization: Bearer %s\r\nConnection: close\r\n\r\n",
					 paths[i], ARM);
		long status = send_text(req);
		/* Refused as a bad request or not found; never served, never a crash. */
		free(req);
		if (status != 0 && status != 400 && status != 404)
			fail_msg("%s answered %ld", paths[i], status);
	}
	assert_still_answers();

	/* Methods that do not exist, and one that is not even a token. */
	static const char *const methods[] = {"BREW", "G\x01T", "PROPFIND", "", "GETGETGETGETGET"};
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		char *req = az_xasprintf("%s /subscriptions?api-version=2022-12-01 HTTP/1.1\r\n"
					 "Host: management.localhost\r\nAuthorization: Bearer %s\r\n"
					 "Connection: close\r\n\r\n",
					 methods[i], ARM);
		long status = send_text(req);
		free(req);
		if (status != 0 && status != 400 && status != 405 && status != 501)
			fail_msg("method %zu answered %ld", i, status);
	}
	/* A header without a colon, a bare LF request, HTTP/9. */
	send_text("GET / HTTP/1.1\r\nHost management.localhost\r\n\r\n");
	send_text("GET / HTTP/1.1\nHost: management.localhost\n\n");
	send_text("GET / HTTP/9.9\r\nHost: management.localhost\r\n\r\n");
	assert_still_answers();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_runs_in_a_session_of_its_own),
		cmocka_unit_test(test_two_hundred_clients_at_once),
		cmocka_unit_test(test_tls_sessions_resume),
		cmocka_unit_test(test_garbage_leaves_it_answering),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
