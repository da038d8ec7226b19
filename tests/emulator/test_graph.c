/*
 * test_graph.c - the emulator's Microsoft Graph v1.0 (graph.localhost):
 * applications created, read, listed with $filter and @odata.nextLink
 * paging, updated and deleted; the upsert by alternate key with
 * `Prefer: create-if-missing` (201, then 204); service principals by
 * (appId='...') with NoBackingApplicationObject inside the replication
 * delay; and addPassword, whose secretText is shown once and then works at
 * the token endpoint (azure-notes.md, "Entra ID and Microsoft Graph");
 * an application's federated identity credentials, by id or by name, with
 * Graph's rules on names, issuer and subject, audiences and their number.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <azapply/provider.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "testkit.h"

static emu *E;
static char *GRAPH;

static int setup(void **state)
{
	(void)state;
	if (emu_start(&E, NULL))
		return -1;
	GRAPH = emu_token(E, TK_GRAPH_SCOPE);
	return GRAPH ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	free(GRAPH);
	assert_int_equal(emu_stop(E), 0);
	return 0;
}

static void graph_with(emu_response *r, const char *method, const char *path,
		       const char *const *extra, const char *body)
{
	char *url = tk_url(E, "graph.localhost", "/v1.0%s", path);
	tk_send(E, r, method, url, GRAPH, extra, body);
	free(url);
}

static void graph(emu_response *r, const char *method, const char *path, const char *body)
{
	graph_with(r, method, path, NULL, body);
}

/* A GET and a DELETE of `path` both answer Graph's 404. */
static void assert_gone(const char *path)
{
	static const char *const methods[] = {"GET", "DELETE"};
	for (size_t i = 0; i < 2; i++) {
		emu_response r;
		graph(&r, methods[i], path, NULL);
		assert_int_equal(r.status, 404);
		assert_string_equal(tk_str(r.json, "error.code"), "Request_ResourceNotFound");
		emu_response_free(&r);
	}
}

/* Creates an application; returns its object id and, in *app_id, its appId. */
static char *create_app(const char *name, char **app_id)
{
	emu_response r;
	char *body = az_xasprintf("{\"displayName\":\"%s\"}", name);
	graph(&r, "POST", "/applications", body);
	free(body);
	assert_int_equal(r.status, 201);
	assert_string_equal(tk_str(r.json, "displayName"), name);
	char *id = az_xstrdup(tk_str(r.json, "id"));
	if (app_id)
		*app_id = az_xstrdup(tk_str(r.json, "appId"));
	emu_response_free(&r);
	return id;
}

static void delete_app(const char *id)
{
	emu_response r;
	char *path = az_xasprintf("/applications/%s", id);
	graph(&r, "DELETE", path, NULL);
	assert_int_equal(r.status, 204);
	emu_response_free(&r);
	free(path);
}

static void test_application_crud_and_filter(void **state)
{
	(void)state;
	emu_response r;
	char *app_id = NULL;
	char *id = create_app("crud-app", &app_id);
	char *path = az_xasprintf("/applications/%s", id);
	graph(&r, "GET", path, NULL);
	assert_int_equal(r.status, 200);
	assert_string_equal(tk_str(r.json, "appId"), app_id);
	assert_non_null(tk_str(r.json, "createdDateTime"));
	assert_null(tk_at(r.json, "_createdMs"));
	emu_response_free(&r);

	char *filter = az_xasprintf("/applications?$filter=appId%%20eq%%20'%s'", app_id);
	graph(&r, "GET", filter, NULL);
	assert_int_equal(r.status, 200);
	assert_int_equal(json_array_size(tk_at(r.json, "value")), 1);
	assert_non_null(json_string_value(json_object_get(r.json, "@odata.context")));
	emu_response_free(&r);
	free(filter);
	graph(&r, "GET", "/applications?$filter=displayName%20eq%20'no-such-app'", NULL);
	assert_int_equal(json_array_size(tk_at(r.json, "value")), 0);
	emu_response_free(&r);

	graph(&r, "PATCH", path, "{\"displayName\":\"renamed\",\"appId\":\"forged\"}");
	assert_int_equal(r.status, 204);
	assert_int_equal(r.body_len, 0);
	emu_response_free(&r);
	graph(&r, "GET", path, NULL);
	assert_string_equal(tk_str(r.json, "displayName"), "renamed");
	/* appId is the server's, not the client's. */
	assert_string_equal(tk_str(r.json, "appId"), app_id);
	emu_response_free(&r);

	delete_app(id);
	assert_gone(path);
	free(path);
	free(app_id);
	free(id);
}

static void test_upsert_by_unique_name(void **state)
{
	(void)state;
	emu_response r;
	const char *prefer[] = {"Prefer: create-if-missing", NULL};
	/* Without the Prefer header a missing application is an error. */
	graph(&r, "PATCH", "/applications(uniqueName='upsert-app')", "{\"displayName\":\"u\"}");
	assert_int_equal(r.status, 404);
	emu_response_free(&r);

	graph_with(&r, "PATCH", "/applications(uniqueName='upsert-app')", prefer,
		   "{\"displayName\":\"first\"}");
	assert_int_equal(r.status, 201);
	assert_string_equal(tk_str(r.json, "uniqueName"), "upsert-app");
	char *id = az_xstrdup(tk_str(r.json, "id"));
	emu_response_free(&r);

	graph_with(&r, "PATCH", "/applications(uniqueName='upsert-app')", prefer,
		   "{\"displayName\":\"second\"}");
	assert_int_equal(r.status, 204);
	emu_response_free(&r);
	graph(&r, "GET", "/applications(uniqueName='upsert-app')", NULL);
	assert_int_equal(r.status, 200);
	assert_string_equal(tk_str(r.json, "id"), id);
	assert_string_equal(tk_str(r.json, "displayName"), "second");
	emu_response_free(&r);
	graph(&r, "GET", "/applications?$filter=uniqueName%20eq%20'upsert-app'", NULL);
	assert_int_equal(json_array_size(tk_at(r.json, "value")), 1);
	emu_response_free(&r);
	delete_app(id);
	free(id);
}

static void test_service_principal_waits_for_its_application(void **state)
{
	(void)state;
	emu_response r;
	assert_int_equal(emu_control(E, "PUT", "settings", "{\"appDelayMs\":400}", NULL), 200);
	char *app_id = NULL;
	char *id = create_app("sp-app", &app_id);
	char *body = az_xasprintf("{\"appId\":\"%s\"}", app_id);
	graph(&r, "POST", "/servicePrincipals", body);
	assert_int_equal(r.status, 400);
	assert_string_equal(tk_str(r.json, "error.code"), "NoBackingApplicationObject");
	emu_response_free(&r);
	char *alt = az_xasprintf("/servicePrincipals(appId='%s')", app_id);
	const char *prefer[] = {"Prefer: create-if-missing", NULL};
	graph_with(&r, "PATCH", alt, prefer, "{}");
	assert_int_equal(r.status, 400);
	assert_string_equal(tk_str(r.json, "error.code"), "NoBackingApplicationObject");
	emu_response_free(&r);

	struct timespec ts = {0, 450 * 1000000L};
	nanosleep(&ts, NULL);
	graph_with(&r, "PATCH", alt, prefer, "{\"tags\":[\"a\"]}");
	assert_int_equal(r.status, 201);
	assert_string_equal(tk_str(r.json, "appId"), app_id);
	assert_string_equal(tk_str(r.json, "displayName"), "sp-app");
	emu_response_free(&r);
	graph_with(&r, "PATCH", alt, prefer, "{\"tags\":[\"b\"]}");
	assert_int_equal(r.status, 204);
	emu_response_free(&r);
	graph(&r, "GET", alt, NULL);
	assert_int_equal(r.status, 200);
	assert_string_equal(json_string_value(json_array_get(tk_at(r.json, "tags"), 0)), "b");
	emu_response_free(&r);
	/* One service principal per application. */
	graph(&r, "POST", "/servicePrincipals", body);
	assert_int_equal(r.status, 409);
	emu_response_free(&r);
	/* An application that does not exist never gets one. */
	graph(&r, "POST", "/servicePrincipals",
	      "{\"appId\":\"99999999-9999-9999-9999-999999999999\"}");
	assert_int_equal(r.status, 400);
	emu_response_free(&r);
	assert_int_equal(emu_control(E, "PUT", "settings", "{\"appDelayMs\":0}", NULL), 200);
	delete_app(id);
	free(alt);
	free(body);
	free(app_id);
	free(id);
}

static void request_token(emu_response *r, const char *client_id, const char *secret)
{
	const char *form[] = {"grant_type", "client_credentials", "client_id", client_id,
			      "client_secret", secret, "scope", TK_ARM_SCOPE, NULL};
	tk_token_request(E, r, emu_tenant_id(E), form);
}

static void test_add_password_secret_works_once(void **state)
{
	(void)state;
	emu_response r;
	char *app_id = NULL;
	char *id = create_app("pw-app", &app_id);
	char *body = az_xasprintf("{\"appId\":\"%s\"}", app_id);
	graph(&r, "POST", "/servicePrincipals", body);
	assert_int_equal(r.status, 201);
	char *sp_id = az_xstrdup(tk_str(r.json, "id"));
	emu_response_free(&r);
	free(body);

	char *path = az_xasprintf("/applications/%s/addPassword", id);
	graph(&r, "POST", path, "{\"passwordCredential\":{\"displayName\":\"ci\"}}");
	assert_int_equal(r.status, 200);
	char *secret = az_xstrdup(tk_str(r.json, "secretText"));
	assert_true(strlen(secret) >= 30);
	assert_non_null(tk_str(r.json, "keyId"));
	assert_int_equal(strlen(tk_str(r.json, "hint")), 3);
	assert_string_equal(tk_str(r.json, "displayName"), "ci");
	emu_response_free(&r);
	free(path);

	/* The secret is never shown again, nor kept in clear. */
	path = az_xasprintf("/applications/%s", id);
	graph(&r, "GET", path, NULL);
	assert_null(strstr(r.body, secret));
	assert_int_equal(json_array_size(tk_at(r.json, "passwordCredentials")), 1);
	assert_false(json_is_string(
		tk_at(json_array_get(tk_at(r.json, "passwordCredentials"), 0), "secretText")));
	emu_response_free(&r);
	json_t *store = NULL;
	assert_int_equal(emu_control(E, "GET", "store", NULL, &store), 200);
	char *dump = json_dumps(store, 0);
	assert_null(strstr(dump, secret));
	free(dump);
	json_decref(store);

	request_token(&r, app_id, secret);
	assert_int_equal(r.status, 200);
	const char *token = tk_str(r.json, "access_token");
	assert_non_null(token);
	/* The token acts as the service principal on ARM. */
	char *arm = tk_url(E, "management.localhost", "/subscriptions?api-version=2022-12-01");
	emu_response a;
	tk_send(E, &a, "GET", arm, token, NULL, NULL);
	assert_int_equal(a.status, 200);
	emu_response_free(&a);
	free(arm);
	emu_response_free(&r);
	request_token(&r, app_id, "not-the-secret");
	assert_int_equal(r.status, 401);
	assert_string_equal(tk_str(r.json, "error"), "invalid_client");
	emu_response_free(&r);

	/* A deleted application cannot sign in. */
	delete_app(id);
	request_token(&r, app_id, secret);
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(tk_str(r.json, "error_description"), "AADSTS700016"));
	emu_response_free(&r);
	free(path);
	free(secret);
	free(sp_id);
	free(app_id);
	free(id);
}

static void test_lists_page_with_odata_next_link(void **state)
{
	(void)state;
	char *ids[5];
	for (int i = 0; i < 5; i++) {
		char name[16];
		snprintf(name, sizeof(name), "page-%d", i);
		ids[i] = create_app(name, NULL);
	}
	assert_int_equal(emu_control(E, "PUT", "settings", "{\"pageSize\":2}", NULL), 200);
	char *url = tk_url(E, "graph.localhost", "/v1.0/applications");
	size_t seen = 0, pages = 0;
	while (url) {
		emu_response r;
		tk_send(E, &r, "GET", url, GRAPH, NULL, NULL);
		free(url);
		url = NULL;
		assert_int_equal(r.status, 200);
		seen += json_array_size(tk_at(r.json, "value"));
		const char *next = json_string_value(json_object_get(r.json, "@odata.nextLink"));
		if (next) {
			assert_non_null(strstr(next, "graph.localhost"));
			url = az_xstrdup(next);
		}
		assert_null(tk_at(r.json, "nextLink"));
		pages++;
		emu_response_free(&r);
	}
	assert_int_equal(seen, 5);
	assert_int_equal(pages, 3);
	assert_int_equal(emu_control(E, "PUT", "settings", "{\"pageSize\":100}", NULL), 200);

	/* $top sets the page size; the filter survives into the next link. */
	emu_response r;
	graph(&r, "GET", "/applications?$top=4", NULL);
	assert_int_equal(json_array_size(tk_at(r.json, "value")), 4);
	assert_non_null(json_string_value(json_object_get(r.json, "@odata.nextLink")));
	emu_response_free(&r);
	graph(&r, "GET", "/applications?$top=1&$filter=displayName%20eq%20'page-3'", NULL);
	assert_int_equal(json_array_size(tk_at(r.json, "value")), 1);
	assert_null(json_object_get(r.json, "@odata.nextLink"));
	emu_response_free(&r);
	for (int i = 0; i < 5; i++) {
		delete_app(ids[i]);
		free(ids[i]);
	}
}

static char *credential_body(const char *name, const char *subject)
{
	return az_xasprintf("{\"name\":\"%s\",\"issuer\":\"https://token.actions."
			    "githubusercontent.com\",\"subject\":\"%s\",\"audiences\":"
			    "[\"api://AzureADTokenExchange\"]}",
			    name, subject);
}

static void test_federated_credentials_by_id_and_name(void **state)
{
	(void)state;
	emu_response r;
	char *app = create_app("fic-app", NULL);
	char *coll = az_xasprintf("/applications/%s/federatedIdentityCredentials", app);
	char *body = credential_body("deploy", "repo:org/repo:environment:prod");
	graph(&r, "POST", coll, body);
	free(body);
	assert_int_equal(r.status, 201);
	assert_string_equal(tk_str(r.json, "name"), "deploy");
	assert_true(json_is_null(json_object_get(r.json, "description")));
	char *id = az_xstrdup(tk_str(r.json, "id"));
	emu_response_free(&r);

	/* The name stands for the id, here and under the uniqueName key. */
	char *by_name = az_xasprintf("%s/deploy", coll);
	graph(&r, "GET", by_name, NULL);
	assert_int_equal(r.status, 200);
	assert_string_equal(tk_str(r.json, "id"), id);
	emu_response_free(&r);
	graph(&r, "PATCH", by_name, "{\"subject\":\"repo:org/repo:environment:test\"}");
	assert_int_equal(r.status, 204);
	assert_null(r.json);
	emu_response_free(&r);
	char *by_id = az_xasprintf("%s/%s", coll, id);
	graph(&r, "GET", by_id, NULL);
	assert_string_equal(tk_str(r.json, "subject"), "repo:org/repo:environment:test");
	emu_response_free(&r);

	/* The name is fixed; a second one with the same name, or the same
	 * issuer and subject, is refused; one audience only. */
	graph(&r, "PATCH", by_id, "{\"name\":\"other\"}");
	assert_int_equal(r.status, 400);
	emu_response_free(&r);
	body = credential_body("deploy", "repo:org/repo:ref:refs/heads/main");
	graph(&r, "POST", coll, body);
	free(body);
	assert_int_equal(r.status, 400);
	assert_string_equal(tk_str(r.json, "error.code"), "Request_BadRequest");
	emu_response_free(&r);
	body = credential_body("again", "repo:org/repo:environment:test");
	graph(&r, "POST", coll, body);
	free(body);
	assert_int_equal(r.status, 400);
	emu_response_free(&r);
	graph(&r, "POST", coll,
	      "{\"name\":\"two\",\"issuer\":\"https://i\",\"subject\":\"s\","
	      "\"audiences\":[\"a\",\"b\"]}");
	assert_int_equal(r.status, 400);
	emu_response_free(&r);

	/* The upsert by name: 201 for a new one, 204 for one that exists. */
	const char *prefer[] = {"Prefer: create-if-missing", NULL};
	char *upsert = az_xasprintf("/applications(uniqueName='fic-unique')/"
				    "federatedIdentityCredentials(name='ado')");
	graph_with(&r, "PATCH", upsert, prefer, "{\"issuer\":\"https://vstoken\"}");
	assert_int_equal(r.status, 404);
	emu_response_free(&r);
	graph_with(&r, "PATCH", "/applications(uniqueName='fic-unique')", prefer,
		   "{\"displayName\":\"fic-unique\"}");
	assert_int_equal(r.status, 201);
	char *app2 = az_xstrdup(tk_str(r.json, "id"));
	emu_response_free(&r);
	body = credential_body("ado", "sc://org/project/connection");
	graph(&r, "PATCH", upsert, body);
	assert_int_equal(r.status, 404);
	emu_response_free(&r);
	graph_with(&r, "PATCH", upsert, prefer, body);
	assert_int_equal(r.status, 201);
	assert_string_equal(tk_str(r.json, "name"), "ado");
	emu_response_free(&r);
	graph_with(&r, "PATCH", upsert, prefer, body);
	assert_int_equal(r.status, 204);
	emu_response_free(&r);
	free(body);

	/* At most 20 per application. */
	for (int i = 0; i < 20; i++) {
		char name[16], subject[32];
		snprintf(name, sizeof(name), "c%d", i);
		snprintf(subject, sizeof(subject), "repo:o/r:environment:e%d", i);
		body = credential_body(name, subject);
		graph(&r, "POST", coll, body);
		free(body);
		assert_int_equal(r.status, i < 19 ? 201 : 400);
		emu_response_free(&r);
	}

	/* The list pages with @odata.nextLink. */
	assert_int_equal(emu_control(E, "PUT", "settings", "{\"pageSize\":7}", NULL), 200);
	char *url = tk_url(E, "graph.localhost", "/v1.0%s", coll);
	size_t seen = 0, pages = 0;
	while (url) {
		tk_send(E, &r, "GET", url, GRAPH, NULL, NULL);
		free(url);
		url = NULL;
		assert_int_equal(r.status, 200);
		seen += json_array_size(tk_at(r.json, "value"));
		const char *next = json_string_value(json_object_get(r.json, "@odata.nextLink"));
		if (next)
			url = az_xstrdup(next);
		pages++;
		emu_response_free(&r);
	}
	assert_int_equal(seen, 20);
	assert_int_equal(pages, 3);
	assert_int_equal(emu_control(E, "PUT", "settings", "{\"pageSize\":100}", NULL), 200);

	graph(&r, "DELETE", by_name, NULL);
	assert_int_equal(r.status, 204);
	emu_response_free(&r);
	assert_gone(by_id);
	assert_gone(by_name);

	/* Deleting the application deletes its credentials. */
	delete_app(app2);
	graph(&r, "GET", upsert, NULL);
	assert_int_equal(r.status, 404);
	emu_response_free(&r);
	delete_app(app);
	free(app);
	free(app2);
	free(id);
	free(coll);
	free(by_name);
	free(by_id);
	free(upsert);
}

static void test_graph_needs_a_graph_token(void **state)
{
	(void)state;
	emu_response r;
	char *arm = emu_token(E, TK_ARM_SCOPE);
	char *url = tk_url(E, "graph.localhost", "/v1.0/applications");
	tk_send(E, &r, "GET", url, arm, NULL, NULL);
	assert_int_equal(r.status, 401);
	assert_string_equal(tk_str(r.json, "error.code"), "InvalidAuthenticationToken");
	char *www = emu_response_header(&r, "WWW-Authenticate");
	assert_non_null(www);
	free(www);
	emu_response_free(&r);
	free(url);
	free(arm);
	graph(&r, "GET", "/groups", NULL);
	assert_int_equal(r.status, 400);
	emu_response_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_application_crud_and_filter),
		cmocka_unit_test(test_upsert_by_unique_name),
		cmocka_unit_test(test_service_principal_waits_for_its_application),
		cmocka_unit_test(test_add_password_secret_works_once),
		cmocka_unit_test(test_lists_page_with_odata_next_link),
		cmocka_unit_test(test_federated_credentials_by_id_and_name),
		cmocka_unit_test(test_graph_needs_a_graph_token),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
