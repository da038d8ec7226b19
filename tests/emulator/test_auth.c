/*
 * test_auth.c - the emulator's Entra token endpoint and managed identity:
 * client secrets (and the AADSTS7000215 shape of a wrong one), certificate
 * client assertions (a key and certificate made here with OpenSSL, an RS256
 * JWT with x5t signed here, and each way such an assertion fails),
 * federated tokens minted through the control API and matched against
 * identities it registered or against a Graph application's federated
 * identity credentials (AADSTS70021, AADSTS7000229), the IMDS and App
 * Service shapes of managed identity, and token expiry (--token-lifetime)
 * answered by ARM with 401. azure-notes.md, "Getting a token without an SDK".
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

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "testkit.h"

#define ASSERTION_TYPE "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
#define CERT_CLIENT "c3c3c3c3-0000-4000-8000-000000000001"
#define FED_CLIENT "f3f3f3f3-0000-4000-8000-000000000002"

static emu *E;

static int setup(void **state)
{
	(void)state;
	return emu_start(&E, NULL);
}

static int teardown(void **state)
{
	(void)state;
	assert_int_equal(emu_stop(E), 0);
	return 0;
}

/* ---- JWT pieces --------------------------------------------------------- */

static char *b64url(const unsigned char *data, size_t n)
{
	char *out = az_xmalloc(4 * ((n + 2) / 3) + 1);
	int len = EVP_EncodeBlock((unsigned char *)out, data, (int)n);
	while (len > 0 && out[len - 1] == '=')
		len--;
	out[len] = '\0';
	for (char *p = out; *p; p++)
		*p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
	return out;
}

static json_t *jwt_payload(const char *token)
{
	const char *a = strchr(token, '.');
	const char *b = a ? strchr(a + 1, '.') : NULL;
	assert_non_null(b);
	size_t n = (size_t)(b - a - 1);
	char *std = az_xmalloc(n + 4);
	for (size_t i = 0; i < n; i++)
		std[i] = a[1 + i] == '-' ? '+' : a[1 + i] == '_' ? '/' : a[1 + i];
	size_t padded = n;
	while (padded % 4)
		std[padded++] = '=';
	unsigned char *raw = az_xmalloc(padded);
	int len = EVP_DecodeBlock(raw, (unsigned char *)std, (int)padded);
	assert_true(len > 0);
	len -= (int)(padded - n); /* EVP_DecodeBlock counts the padding as zero bytes */
	json_t *v = json_loadb((const char *)raw, (size_t)len, 0, NULL);
	free(raw);
	free(std);
	assert_non_null(v);
	return v;
}

static char *sign_rs256(EVP_PKEY *key, const char *x5t, json_t *payload)
{
	json_t *header = json_pack("{s:s,s:s,s:s}", "alg", "RS256", "typ", "JWT", "x5t", x5t);
	char *h = json_dumps(header, JSON_COMPACT), *p = json_dumps(payload, JSON_COMPACT);
	char *hb = b64url((const unsigned char *)h, strlen(h));
	char *pb = b64url((const unsigned char *)p, strlen(p));
	char *input = az_xasprintf("%s.%s", hb, pb);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t sig_len = 0;
	assert_int_equal(EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key), 1);
	assert_int_equal(EVP_DigestSign(ctx, NULL, &sig_len, (const unsigned char *)input,
					strlen(input)),
			 1);
	unsigned char *sig = az_xmalloc(sig_len);
	assert_int_equal(EVP_DigestSign(ctx, sig, &sig_len, (const unsigned char *)input,
					strlen(input)),
			 1);
	char *sb = b64url(sig, sig_len);
	char *jwt = az_xasprintf("%s.%s", input, sb);
	EVP_MD_CTX_free(ctx);
	free(sig);
	free(sb);
	free(input);
	free(hb);
	free(pb);
	free(h);
	free(p);
	json_decref(header);
	return jwt;
}

/* A self-signed certificate for `key`; its PEM and base64url SHA-1 thumbprint. */
static void make_cert(EVP_PKEY *key, char **pem, char **thumbprint)
{
	X509 *x = X509_new();
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_NAME *name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"azapply-ci",
				   -1, -1, 0);
	X509_set_issuer_name(x, name);
	X509_set_pubkey(x, key);
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	BIO *bio = BIO_new(BIO_s_mem());
	PEM_write_bio_X509(bio, x);
	char *data = NULL;
	long n = BIO_get_mem_data(bio, &data);
	*pem = az_xstrndup(data, (size_t)n);
	BIO_free(bio);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	X509_digest(x, EVP_sha1(), md, &md_len);
	*thumbprint = b64url(md, md_len);
	X509_free(x);
}

/* ---- requests ----------------------------------------------------------- */

static void token_with_assertion(emu_response *r, const char *client, const char *assertion)
{
	const char *form[] = {"grant_type", "client_credentials", "client_id", client,
			      "client_assertion_type", ASSERTION_TYPE, "client_assertion",
			      assertion, "scope", TK_ARM_SCOPE, NULL};
	tk_token_request(E, r, emu_tenant_id(E), form);
}

/* Asserts an AAD error: status, error and the AADSTS code in the description. */
static void assert_aad(emu_response *r, long status, const char *error, const char *code)
{
	assert_int_equal(r->status, status);
	assert_string_equal(tk_str(r->json, "error"), error);
	const char *desc = tk_str(r->json, "error_description");
	assert_non_null(desc);
	if (strncmp(desc, code, strlen(code)))
		fail_msg("expected %s, got %s", code, desc);
	assert_int_equal(json_integer_value(json_array_get(tk_at(r->json, "error_codes"), 0)),
			 atoi(code + 6));
	assert_non_null(tk_str(r->json, "trace_id"));
	assert_non_null(tk_str(r->json, "correlation_id"));
	assert_non_null(tk_str(r->json, "timestamp"));
}

static void assert_arm_accepts(const char *token, long want)
{
	emu_response r;
	char *url = tk_url(E, "management.localhost", "/subscriptions?api-version=2022-12-01");
	tk_send(E, &r, "GET", url, token, NULL, NULL);
	assert_int_equal(r.status, want);
	emu_response_free(&r);
	free(url);
}

static void test_client_secret(void **state)
{
	(void)state;
	emu_response r;
	const char *good[] = {"grant_type", "client_credentials", "client_id", emu_client_id(E),
			      "client_secret", emu_client_secret(E), "scope", TK_ARM_SCOPE, NULL};
	tk_token_request(E, &r, emu_tenant_id(E), good);
	assert_int_equal(r.status, 200);
	assert_string_equal(tk_str(r.json, "token_type"), "Bearer");
	assert_true(json_is_integer(tk_at(r.json, "expires_in")));
	json_t *claims = jwt_payload(tk_str(r.json, "access_token"));
	assert_string_equal(tk_str(claims, "aud"), "https://management.azure.com/");
	assert_string_equal(tk_str(claims, "tid"), emu_tenant_id(E));
	assert_string_equal(tk_str(claims, "appid"), emu_client_id(E));
	assert_non_null(tk_str(claims, "oid"));
	assert_true(json_integer_value(tk_at(claims, "exp")) > (json_int_t)time(NULL));
	json_decref(claims);
	assert_arm_accepts(tk_str(r.json, "access_token"), 200);
	emu_response_free(&r);

	const char *bad[] = {"grant_type", "client_credentials", "client_id", emu_client_id(E),
			     "client_secret", "wrong", "scope", TK_ARM_SCOPE, NULL};
	tk_token_request(E, &r, emu_tenant_id(E), bad);
	assert_aad(&r, 401, "invalid_client", "AADSTS7000215");
	emu_response_free(&r);

	const char *unknown[] = {"grant_type", "client_credentials", "client_id",
				 "00000000-1111-2222-3333-444444444444", "client_secret", "x",
				 "scope", TK_ARM_SCOPE, NULL};
	tk_token_request(E, &r, emu_tenant_id(E), unknown);
	assert_aad(&r, 400, "unauthorized_client", "AADSTS700016");
	emu_response_free(&r);

	const char *no_default[] = {"grant_type", "client_credentials", "client_id",
				    emu_client_id(E), "client_secret", emu_client_secret(E),
				    "scope", "https://management.azure.com/user_impersonation",
				    NULL};
	tk_token_request(E, &r, emu_tenant_id(E), no_default);
	assert_aad(&r, 400, "invalid_scope", "AADSTS1002012");
	emu_response_free(&r);

	tk_token_request(E, &r, "other-tenant", good);
	assert_aad(&r, 400, "invalid_request", "AADSTS90002");
	emu_response_free(&r);
}

static void test_certificate_assertion(void **state)
{
	(void)state;
	EVP_PKEY *key = EVP_RSA_gen(2048), *other = EVP_RSA_gen(2048);
	assert_non_null(key);
	assert_non_null(other);
	char *pem = NULL, *x5t = NULL, *other_pem = NULL, *other_x5t = NULL;
	make_cert(key, &pem, &x5t);
	make_cert(other, &other_pem, &other_x5t);
	json_t *reg = json_pack("{s:s,s:s,s:s}", "clientId", CERT_CLIENT, "thumbprint", x5t, "pem",
				pem);
	char *reg_text = json_dumps(reg, 0);
	assert_int_equal(emu_control(E, "POST", "identities/certificate", reg_text, NULL), 200);
	free(reg_text);
	json_decref(reg);

	char *endpoint = tk_url(E, "login.localhost", "/%s/oauth2/v2.0/token", emu_tenant_id(E));
	json_int_t now = (json_int_t)time(NULL);
	json_t *claims = json_pack("{s:s,s:s,s:s,s:s,s:I,s:I}", "aud", endpoint, "iss",
				   CERT_CLIENT, "sub", CERT_CLIENT, "jti", "a1", "nbf", now, "exp",
				   now + 600);
	emu_response r;
	char *jwt = sign_rs256(key, x5t, claims);
	token_with_assertion(&r, CERT_CLIENT, jwt);
	assert_int_equal(r.status, 200);
	json_t *payload = jwt_payload(tk_str(r.json, "access_token"));
	assert_string_equal(tk_str(payload, "appid"), CERT_CLIENT);
	json_decref(payload);
	assert_arm_accepts(tk_str(r.json, "access_token"), 200);
	emu_response_free(&r);
	free(jwt);

	/* Signed by another key under the registered thumbprint. */
	jwt = sign_rs256(other, x5t, claims);
	token_with_assertion(&r, CERT_CLIENT, jwt);
	assert_aad(&r, 401, "invalid_client", "AADSTS700027");
	emu_response_free(&r);
	free(jwt);

	/* A thumbprint the application does not have. */
	jwt = sign_rs256(other, other_x5t, claims);
	token_with_assertion(&r, CERT_CLIENT, jwt);
	assert_aad(&r, 401, "invalid_client", "AADSTS700027");
	emu_response_free(&r);
	free(jwt);

	/* Meant for another token endpoint. */
	json_t *wrong_aud = json_deep_copy(claims);
	json_object_set_new(wrong_aud, "aud",
			    json_string("https://login.microsoftonline.com/x/oauth2/v2.0/token"));
	jwt = sign_rs256(key, x5t, wrong_aud);
	token_with_assertion(&r, CERT_CLIENT, jwt);
	assert_aad(&r, 401, "invalid_client", "AADSTS700212");
	emu_response_free(&r);
	free(jwt);
	json_decref(wrong_aud);

	json_t *expired = json_deep_copy(claims);
	json_object_set_new(expired, "nbf", json_integer(now - 7200));
	json_object_set_new(expired, "exp", json_integer(now - 3600));
	jwt = sign_rs256(key, x5t, expired);
	token_with_assertion(&r, CERT_CLIENT, jwt);
	assert_aad(&r, 401, "invalid_client", "AADSTS700024");
	emu_response_free(&r);
	free(jwt);
	json_decref(expired);

	token_with_assertion(&r, CERT_CLIENT, "not.a-jwt");
	assert_int_equal(r.status, 401);
	emu_response_free(&r);

	json_decref(claims);
	free(endpoint);
	free(pem);
	free(x5t);
	free(other_pem);
	free(other_x5t);
	EVP_PKEY_free(key);
	EVP_PKEY_free(other);
}

#define GITHUB_ISSUER "https://token.actions.githubusercontent.com"

static char *federated_token_from(const char *issuer, const char *subject, int lifetime,
				  const char *audience)
{
	json_t *req = json_pack("{s:s,s:s,s:i,s:s?}", "issuer", issuer, "subject", subject,
				"lifetime", lifetime, "audience", audience);
	char *text = json_dumps(req, 0);
	json_t *out = NULL;
	assert_int_equal(emu_control(E, "POST", "federated-token", text, &out), 200);
	char *token = az_xstrdup(tk_str(out, "token"));
	json_decref(out);
	free(text);
	json_decref(req);
	return token;
}

static char *federated_token(const char *subject, int lifetime, const char *audience)
{
	return federated_token_from(GITHUB_ISSUER, subject, lifetime, audience);
}

static void test_federated_assertion(void **state)
{
	(void)state;
	assert_int_equal(emu_control(E, "POST", "identities/federated",
				     "{\"clientId\":\"" FED_CLIENT "\",\"issuer\":"
				     "\"https://token.actions.githubusercontent.com\",\"subject\":"
				     "\"repo:org/app:ref:refs/heads/main\"}",
				     NULL),
			 200);
	emu_response r;
	char *t = federated_token("repo:org/app:ref:refs/heads/main", 600, NULL);
	token_with_assertion(&r, FED_CLIENT, t);
	assert_int_equal(r.status, 200);
	assert_arm_accepts(tk_str(r.json, "access_token"), 200);
	emu_response_free(&r);
	free(t);

	t = federated_token("repo:org/app:pull_request", 600, NULL);
	token_with_assertion(&r, FED_CLIENT, t);
	assert_aad(&r, 401, "invalid_client", "AADSTS700213");
	emu_response_free(&r);
	free(t);

	t = federated_token("repo:org/app:ref:refs/heads/main", 600, "api://SomethingElse");
	token_with_assertion(&r, FED_CLIENT, t);
	assert_aad(&r, 401, "invalid_client", "AADSTS700212");
	emu_response_free(&r);
	free(t);

	t = federated_token("repo:org/app:ref:refs/heads/main", -60, NULL);
	token_with_assertion(&r, FED_CLIENT, t);
	assert_aad(&r, 401, "invalid_client", "AADSTS700024");
	emu_response_free(&r);
	free(t);

	/* The secret of the log: assertions never appear in it. */
	json_t *log = NULL;
	assert_int_equal(emu_control(E, "GET", "log", NULL, &log), 200);
	char *dump = json_dumps(log, 0);
	assert_null(strstr(dump, emu_client_secret(E)));
	assert_non_null(strstr(dump, "client_assertion=REDACTED"));
	free(dump);
	json_decref(log);
}

static void msi(emu_response *r, const char *path, const char *const *headers)
{
	char *url = tk_url(E, "imds.localhost", "%s", path);
	assert_int_equal(emu_http(E, r, "GET", url, headers, NULL, 0), 0);
	free(url);
}

static void test_managed_identity_imds_shape(void **state)
{
	(void)state;
	emu_response r;
	const char *path = "/metadata/identity/oauth2/token?api-version=2018-02-01&resource="
			   "https%3A%2F%2Fmanagement.azure.com%2F";
	const char *md[] = {"Metadata: true", NULL};
	msi(&r, path, md);
	assert_int_equal(r.status, 200);
	/* IMDS sends its numbers as strings. */
	assert_true(json_is_string(tk_at(r.json, "expires_in")));
	assert_true(json_is_string(tk_at(r.json, "expires_on")));
	assert_true(json_is_string(tk_at(r.json, "not_before")));
	assert_true(atol(tk_str(r.json, "expires_on")) > (long)time(NULL));
	assert_string_equal(tk_str(r.json, "resource"), "https://management.azure.com/");
	assert_string_equal(tk_str(r.json, "token_type"), "Bearer");
	json_t *creds = NULL;
	assert_int_equal(emu_control(E, "GET", "credentials", NULL, &creds), 200);
	assert_string_equal(tk_str(r.json, "client_id"), tk_str(creds, "msi.clientId"));
	json_t *claims = jwt_payload(tk_str(r.json, "access_token"));
	assert_string_equal(tk_str(claims, "oid"), tk_str(creds, "msi.objectId"));
	json_decref(claims);
	assert_arm_accepts(tk_str(r.json, "access_token"), 200);
	emu_response_free(&r);

	/* Without Metadata: true IMDS refuses (a guard against SSRF). */
	msi(&r, path, NULL);
	assert_int_equal(r.status, 400);
	assert_string_equal(tk_str(r.json, "error"), "invalid_request");
	emu_response_free(&r);
	msi(&r, "/metadata/identity/oauth2/token?api-version=2018-02-01", md);
	assert_int_equal(r.status, 400);
	emu_response_free(&r);

	/* App Service: IDENTITY_ENDPOINT with X-IDENTITY-HEADER, api-version 2019-08-01. */
	char *hdr = az_xasprintf("X-IDENTITY-HEADER: %s", tk_str(creds, "msi.identityHeader"));
	const char *app_service[] = {hdr, NULL};
	const char *as_path = "/msi/token?api-version=2019-08-01&resource="
			      "https://dev.azuresynapse.net/";
	msi(&r, as_path, app_service);
	assert_int_equal(r.status, 200);
	assert_true(json_is_string(tk_at(r.json, "expires_on")));
	claims = jwt_payload(tk_str(r.json, "access_token"));
	assert_string_equal(tk_str(claims, "aud"), "https://dev.azuresynapse.net/");
	json_decref(claims);
	emu_response_free(&r);
	const char *wrong[] = {"X-IDENTITY-HEADER: nope", NULL};
	msi(&r, as_path, wrong);
	assert_int_equal(r.status, 401);
	emu_response_free(&r);
	free(hdr);
	json_decref(creds);
}

static void test_token_lifetime_expiry(void **state)
{
	(void)state;
	emu *short_lived = NULL;
	const char *args[] = {"--token-lifetime", "1", NULL};
	assert_int_equal(emu_start(&short_lived, args), 0);
	char *token = emu_token(short_lived, TK_ARM_SCOPE);
	assert_non_null(token);
	json_t *claims = jwt_payload(token);
	json_int_t exp = json_integer_value(tk_at(claims, "exp"));
	assert_int_equal(exp - json_integer_value(tk_at(claims, "iat")), 1);
	json_decref(claims);
	emu_response r;
	char *url = tk_url(short_lived, "management.localhost",
			   "/subscriptions?api-version=2022-12-01");
	/* Accepted once, so the emulator remembers its signature... */
	tk_send(short_lived, &r, "GET", url, token, NULL, NULL);
	if ((json_int_t)time(NULL) < exp)
		assert_int_equal(r.status, 200);
	emu_response_free(&r);
	/* Wait until the second the token expires in has passed. */
	while ((json_int_t)time(NULL) <= exp) {
		struct timespec ts = {0, 100 * 1000000L};
		nanosleep(&ts, NULL);
	}
	/* ...and still refuses it once it has expired. */
	tk_send(short_lived, &r, "GET", url, token, NULL, NULL);
	assert_int_equal(r.status, 401);
	assert_string_equal(tk_str(r.json, "error.code"), "AuthenticationFailed");
	char *www = emu_response_header(&r, "WWW-Authenticate");
	assert_non_null(www);
	free(www);
	emu_response_free(&r);
	free(url);
	free(token);
	assert_int_equal(emu_stop(short_lived), 0);
}

/* A token accepted once is remembered: the same text with another
 * signature, or sent to another audience, is refused all the same. */
static void test_verified_token_checked_again(void **state)
{
	(void)state;
	char *token = emu_token(E, TK_ARM_SCOPE);
	assert_non_null(token);
	assert_arm_accepts(token, 200);
	assert_arm_accepts(token, 200);
	char *forged = az_xstrdup(token);
	char *last = forged + strlen(forged) - 2;
	*last = *last == 'A' ? 'B' : 'A';
	emu_response r;
	char *url = tk_url(E, "management.localhost", "/subscriptions?api-version=2022-12-01");
	tk_send(E, &r, "GET", url, forged, NULL, NULL);
	assert_int_equal(r.status, 401);
	assert_string_equal(tk_str(r.json, "error.code"), "InvalidAuthenticationToken");
	emu_response_free(&r);
	free(url);
	url = tk_url(E, "graph.localhost", "/v1.0/applications");
	tk_send(E, &r, "GET", url, token, NULL, NULL);
	assert_int_equal(r.status, 401);
	emu_response_free(&r);
	free(url);
	assert_arm_accepts(token, 200);
	free(forged);
	free(token);
}

/* ---- a Graph application's federated identity credentials ---------------- */

static void graph_call(emu_response *r, const char *method, const char *path, const char *body)
{
	char *token = emu_token(E, TK_GRAPH_SCOPE);
	char *url = tk_url(E, "graph.localhost", "/v1.0%s", path);
	tk_send(E, r, method, url, token, NULL, body);
	free(url);
	free(token);
}

/* A federated token presented for `app_id` is refused with AADSTS70021,
 * naming what it presented. */
static void assert_no_matching_record(const char *app_id, const char *issuer,
				      const char *subject, const char *audience)
{
	emu_response r;
	char *t = federated_token_from(issuer, subject, 600, audience);
	token_with_assertion(&r, app_id, t);
	assert_aad(&r, 400, "invalid_request", "AADSTS70021");
	char *named = az_xasprintf("Assertion Issuer: '%s'. Assertion Subject: '%s'. "
				   "Assertion Audience: '%s'.",
				   issuer, subject, audience ? audience : "api://AzureADTokenExchange");
	assert_non_null(strstr(tk_str(r.json, "error_description"), named));
	free(named);
	emu_response_free(&r);
	free(t);
}

static void test_graph_application_federated_sign_in(void **state)
{
	(void)state;
	const char *subject = "repo:org/platform:environment:dev";
	emu_response r;
	graph_call(&r, "POST", "/applications", "{\"displayName\":\"platform-ci\"}");
	assert_int_equal(r.status, 201);
	char *app = az_xstrdup(tk_str(r.json, "id"));
	char *app_id = az_xstrdup(tk_str(r.json, "appId"));
	emu_response_free(&r);
	char *cred = az_xasprintf("/applications/%s/federatedIdentityCredentials/github-dev", app);
	char *coll = az_xasprintf("/applications/%s/federatedIdentityCredentials", app);
	char *body = az_xasprintf("{\"name\":\"github-dev\",\"issuer\":\"%s\",\"subject\":"
				  "\"%s\",\"audiences\":[\"api://AzureADTokenExchange\"]}",
				  GITHUB_ISSUER, subject);
	graph_call(&r, "POST", coll, body);
	assert_int_equal(r.status, 201);
	emu_response_free(&r);

	/* No service principal in the tenant yet: no sign-in there. */
	char *t = federated_token(subject, 600, NULL);
	token_with_assertion(&r, app_id, t);
	assert_aad(&r, 401, "invalid_client", "AADSTS7000229");
	emu_response_free(&r);

	char *sp_body = az_xasprintf("{\"appId\":\"%s\"}", app_id);
	graph_call(&r, "POST", "/servicePrincipals", sp_body);
	assert_int_equal(r.status, 201);
	char *sp = az_xstrdup(tk_str(r.json, "id"));
	emu_response_free(&r);

	/* The matching token signs in as the service principal. */
	token_with_assertion(&r, app_id, t);
	assert_int_equal(r.status, 200);
	json_t *claims = jwt_payload(tk_str(r.json, "access_token"));
	assert_string_equal(tk_str(claims, "oid"), sp);
	assert_string_equal(tk_str(claims, "appid"), app_id);
	json_decref(claims);
	assert_arm_accepts(tk_str(r.json, "access_token"), 200);
	emu_response_free(&r);

	assert_no_matching_record(app_id, GITHUB_ISSUER, "repo:org/platform:environment:prod",
				  NULL);
	assert_no_matching_record(app_id, "https://vstoken.dev.azure.com/org", subject, NULL);
	assert_no_matching_record(app_id, GITHUB_ISSUER, subject, "api://SomethingElse");

	/* Once the credential is deleted the same token is refused. */
	graph_call(&r, "DELETE", cred, NULL);
	assert_int_equal(r.status, 204);
	emu_response_free(&r);
	assert_no_matching_record(app_id, GITHUB_ISSUER, subject, NULL);

	free(t);
	free(sp_body);
	free(sp);
	free(body);
	free(coll);
	free(cred);
	free(app_id);
	free(app);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_client_secret),
		cmocka_unit_test(test_certificate_assertion),
		cmocka_unit_test(test_federated_assertion),
		cmocka_unit_test(test_graph_application_federated_sign_in),
		cmocka_unit_test(test_managed_identity_imds_shape),
		cmocka_unit_test(test_token_lifetime_expiry),
		cmocka_unit_test(test_verified_token_checked_again),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
