/*
 * fake_transport.h - a scripted stand-in for libcurl with a fake clock.
 *
 * Tests script answers (matched by method and URL substring, each used
 * once, in order), run the client, then look at what was sent. Time only
 * moves when the client waits, so backoff and Retry-After are checked
 * exactly and tests take no real time.
 */
#ifndef AZAPPLY_TEST_FAKE_TRANSPORT_H
#define AZAPPLY_TEST_FAKE_TRANSPORT_H

#include "http/http.h"

#define FAKE_EPOCH_MS INT64_C(1700000000000)

typedef struct fake_sent {
	char *method;
	char *url;
	az_http_headers headers;
	char *body;
	int64_t at_ms; /* fake clock when the attempt started */
	long connect_timeout_ms;
	long timeout_ms;
} fake_sent;

typedef struct fake_tp fake_tp;

/* Creates the fake; `*out` is handed to az_http_client_new, `fake` stays
 * valid until the client is freed. */
void fake_tp_new(az_transport *out, fake_tp **fake);

/* Scripts one answer. `headers` is "Name: value\n..." or NULL; status 0
 * with `net` set scripts a transport failure. */
void fake_tp_script(fake_tp *f, const char *method, const char *url_part, int status,
                    const char *headers, const char *body, long delay_ms);
void fake_tp_script_net(fake_tp *f, const char *method, const char *url_part, az_net_err net,
                        long delay_ms);

size_t fake_tp_sent_count(const fake_tp *f);
const fake_sent *fake_tp_sent(const fake_tp *f, size_t i);
/* Scripts never used, and requests that found no script. */
size_t fake_tp_unused(const fake_tp *f);
size_t fake_tp_unscripted(const fake_tp *f);
int64_t fake_tp_now(const fake_tp *f);
int fake_tp_max_in_flight(const fake_tp *f);

#endif
