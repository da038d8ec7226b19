/*
 * test_lease.c - the blob container lease as the Storage resource provider
 * serves it (BlobContainers_Lease; examples BlobContainersLease_Acquire.json
 * and BlobContainersLease_Break.json in the Storage REST spec): one holder
 * at a time, the lease shown on reads whatever a PUT sent, release and
 * renew only with the lease id, break without it, and no delete of a
 * leased container.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testkit.h"

#define ACCOUNT                                                                                \
	"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-lease/providers/" \
	"Microsoft.Storage/storageAccounts/stlease"
#define CONTAINER ACCOUNT "/blobServices/default/containers/locks"
#define API "?api-version=2025-06-01"

typedef struct world {
	emu *e;
	char *token;
} world;

static int setup(void **state)
{
	world *w = calloc(1, sizeof(*w));
	const char *args[] = {"--lro-polls", "1", NULL};
	if (emu_start(&w->e, args) != 0)
		return -1;
	w->token = emu_token(w->e, TK_ARM_SCOPE);
	emu_response r;
	char *url = tk_url(w->e, "management.localhost",
			   "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-lease"
			   "?api-version=2021-04-01");
	tk_send(w->e, &r, "PUT", url, w->token, NULL, "{\"location\":\"westeurope\"}");
	emu_response_free(&r);
	free(url);
	url = tk_url(w->e, "management.localhost", ACCOUNT API);
	tk_send(w->e, &r, "PUT", url, w->token, NULL,
		"{\"location\":\"westeurope\",\"kind\":\"StorageV2\",\"sku\":{\"name\":\"Standard_LRS\"}}");
	char *location = emu_response_header(&r, "Location");
	emu_response_free(&r);
	if (location) {
		tk_poll_location(w->e, location, w->token, &r);
		emu_response_free(&r);
		free(location);
	}
	free(url);
	url = tk_url(w->e, "management.localhost", CONTAINER API);
	tk_send(w->e, &r, "PUT", url, w->token, NULL, "{\"properties\":{}}");
	assert_true(r.status == 200 || r.status == 201);
	emu_response_free(&r);
	free(url);
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	world *w = *state;
	free(w->token);
	int status = emu_stop(w->e);
	free(w);
	return status == 0 ? 0 : -1;
}

static long lease(world *w, const char *body, json_t **answer)
{
	char *url = tk_url(w->e, "management.localhost", CONTAINER "/lease" API);
	emu_response r;
	tk_send(w->e, &r, "POST", url, w->token, NULL, body);
	long status = r.status;
	if (answer)
		*answer = json_incref(r.json);
	emu_response_free(&r);
	free(url);
	return status;
}

static json_t *get_container(world *w)
{
	char *url = tk_url(w->e, "management.localhost", CONTAINER API);
	emu_response r;
	tk_send(w->e, &r, "GET", url, w->token, NULL, NULL);
	assert_int_equal(r.status, 200);
	json_t *body = json_incref(r.json);
	emu_response_free(&r);
	free(url);
	return body;
}

static void one_holder_at_a_time(void **state)
{
	world *w = *state;
	json_t *a = NULL;
	assert_int_equal(lease(w, "{\"action\":\"Acquire\",\"leaseDuration\":-1}", &a), 200);
	const char *id = tk_str(a, "leaseId");
	assert_non_null(id);
	char held[64];
	snprintf(held, sizeof(held), "%s", id);
	json_decref(a);

	/* A second Acquire: 409 LeaseAlreadyPresent. */
	assert_int_equal(lease(w, "{\"action\":\"Acquire\",\"leaseDuration\":-1}", &a), 409);
	assert_string_equal(tk_str(a, "error.code"), "LeaseAlreadyPresent");
	json_decref(a);

	/* Reads show the lease, also after a PUT of the container. */
	char *url = tk_url(w->e, "management.localhost", CONTAINER API);
	emu_response r;
	tk_send(w->e, &r, "PUT", url, w->token, NULL,
		"{\"properties\":{\"metadata\":{\"holder\":\"x\"}}}");
	assert_int_equal(r.status, 200);
	emu_response_free(&r);
	json_t *c = get_container(w);
	assert_string_equal(tk_str(c, "properties.leaseState"), "Leased");
	assert_string_equal(tk_str(c, "properties.leaseStatus"), "Locked");
	assert_string_equal(tk_str(c, "properties.leaseDuration"), "Infinite");
	json_decref(c);

	/* A leased container is not deleted without its lease. */
	tk_send(w->e, &r, "DELETE", url, w->token, NULL, NULL);
	assert_int_equal(r.status, 409);
	assert_string_equal(tk_str(r.json, "error.code"), "LeaseIdMissing");
	emu_response_free(&r);

	/* Release only with the lease id. */
	assert_int_equal(lease(w, "{\"action\":\"Release\",\"leaseId\":\"00000000-0000-0000-0000-0000000000aa\"}", &a), 409);
	assert_string_equal(tk_str(a, "error.code"), "LeaseIdMismatchWithLeaseOperation");
	json_decref(a);
	char body[256];
	snprintf(body, sizeof(body), "{\"action\":\"Release\",\"leaseId\":\"%s\"}", held);
	assert_int_equal(lease(w, body, NULL), 200);
	c = get_container(w);
	assert_string_equal(tk_str(c, "properties.leaseState"), "Available");
	assert_string_equal(tk_str(c, "properties.leaseStatus"), "Unlocked");
	json_decref(c);
	free(url);
}

static void break_frees_a_dead_holders_lease(void **state)
{
	world *w = *state;
	assert_int_equal(lease(w, "{\"action\":\"Acquire\",\"leaseDuration\":-1}", NULL), 200);
	json_t *a = NULL;
	assert_int_equal(lease(w, "{\"action\":\"Break\",\"breakPeriod\":0}", &a), 200);
	assert_string_equal(tk_str(a, "leaseTimeSeconds"), "0");
	json_decref(a);
	json_t *c = get_container(w);
	assert_string_equal(tk_str(c, "properties.leaseState"), "Broken");
	json_decref(c);
	assert_int_equal(lease(w, "{\"action\":\"Acquire\",\"leaseDuration\":-1}", NULL), 200);
	/* A duration outside -1 or 15..60 is refused. */
	assert_int_equal(lease(w, "{\"action\":\"Acquire\",\"leaseDuration\":5}", NULL), 400);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(one_holder_at_a_time, setup, teardown),
		cmocka_unit_test_setup_teardown(break_frees_a_dead_holders_lease, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
