/*
 * auth.c - Entra's token endpoint, the managed identity endpoint and the
 * bearer-token check every other host performs.
 *
 * Tokens are JWTs signed HS256 with a key made at start-up; they carry aud,
 * tid, oid, appid, iat/nbf/exp like Entra's (lifetime --token-lifetime, so a
 * client's refresh path can be exercised). Clients authenticate with a
 * client secret (kept as a SHA-256 hash, never in clear), a certificate
 * (RS256 client assertion with the certificate's SHA-1 thumbprint in x5t,
 * verified with OpenSSL against the PEM registered through the control API)
 * or a federated token (HS256 JWT minted by /_emulator/federated-token,
 * matched against an issuer/subject pair registered through the control API
 * or against a Graph application's federated identity credentials). A Graph
 * application signs in only once it has a service principal, whose object
 * id its tokens carry. Error bodies follow
 * AAD: {"error","error_description":"AADSTSnnn: ..."}.
 */
#include "emu.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

/* ---- JWT ---------------------------------------------------------------- */

static char *b64url_json(json_t *v)
{
	char *text = json_dumps(v, JSON_COMPACT);
	char *enc = emu_b64url((const unsigned char *)text, strlen(text));
	free(text);
	return enc;
}

char *emu_jwt_sign(const unsigned char key[32], json_t *payload)
{
	json_t *header = json_pack("{s:s,s:s}", "alg", "HS256", "typ", "JWT");
	char *h = b64url_json(header), *p = b64url_json(payload);
	char *signing = az_xasprintf("%s.%s", h, p);
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;
	HMAC(EVP_sha256(), key, 32, (const unsigned char *)signing, strlen(signing), mac, &mac_len);
	char *sig = emu_b64url(mac, mac_len);
	char *token = az_xasprintf("%s.%s", signing, sig);
	json_decref(header);
	free(h);
	free(p);
	free(signing);
	free(sig);
	return token;
}

typedef struct jwt_parts {
	json_t *header;
	json_t *payload;
	unsigned char *sig;
	size_t sig_len;
	char *signing_input;
} jwt_parts;

static void jwt_parts_free(jwt_parts *j)
{
	json_decref(j->header);
	json_decref(j->payload);
	free(j->sig);
	free(j->signing_input);
	memset(j, 0, sizeof(*j));
}

static json_t *decode_part(const char *s, size_t n)
{
	size_t len = 0;
	unsigned char *raw = emu_b64url_decode(s, n, &len);
	if (!raw)
		return NULL;
	json_t *v = json_loadb((const char *)raw, len, 0, NULL);
	free(raw);
	if (v && !json_is_object(v)) {
		json_decref(v);
		v = NULL;
	}
	return v;
}

static int jwt_split(jwt_parts *out, const char *token)
{
	memset(out, 0, sizeof(*out));
	const char *d1 = strchr(token, '.');
	const char *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
	if (!d1 || !d2 || strchr(d2 + 1, '.'))
		return -1;
	out->header = decode_part(token, (size_t)(d1 - token));
	out->payload = decode_part(d1 + 1, (size_t)(d2 - d1 - 1));
	out->sig = emu_b64url_decode(d2 + 1, strlen(d2 + 1), &out->sig_len);
	out->signing_input = az_xstrndup(token, (size_t)(d2 - token));
	if (!out->header || !out->payload || !out->sig) {
		jwt_parts_free(out);
		return -1;
	}
	return 0;
}

static bool hs256_ok(const unsigned char key[32], const jwt_parts *j)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;
	const char *alg = json_string_value(json_object_get(j->header, "alg"));
	if (!alg || strcmp(alg, "HS256"))
		return false;
	HMAC(EVP_sha256(), key, 32, (const unsigned char *)j->signing_input,
	     strlen(j->signing_input), mac, &mac_len);
	return mac_len == j->sig_len && !CRYPTO_memcmp(mac, j->sig, mac_len);
}

json_t *emu_jwt_verify_hs256(const unsigned char key[32], const char *token)
{
	jwt_parts j;
	if (jwt_split(&j, token))
		return NULL;
	json_t *payload = NULL;
	if (hs256_ok(key, &j))
		payload = json_incref(j.payload);
	jwt_parts_free(&j);
	return payload;
}

/* ---- identities --------------------------------------------------------- */

void emu_principal_add(emu_server *s, const char *oid, const char *type, long long created_ms)
{
	json_t *p = emu_store_obj(s, "principals");
	json_object_set_new(p, oid,
			    json_pack("{s:s,s:I}", "type", type, "createdMs", (json_int_t)created_ms));
}

int emu_principal_lookup(emu_server *s, const char *oid, long long now_ms)
{
	json_t *p = json_object_get(emu_store_obj(s, "principals"), oid);
	if (!p) {
		/* Principals are keyed lower case by convention; try that too. */
		char *l = emu_lower(oid);
		p = json_object_get(emu_store_obj(s, "principals"), l);
		free(l);
	}
	if (!p)
		return -1;
	long long created = json_integer_value(json_object_get(p, "createdMs"));
	if (now_ms - created < s->cfg.principal_delay_ms)
		return -2;
	return 0;
}

json_t *emu_client_entry(emu_server *s, const char *client_id, const char *oid)
{
	json_t *clients = emu_store_obj(s, "clients");
	json_t *c = json_object_get(clients, client_id);
	if (!c) {
		c = json_pack("{s:s,s:s,s:[],s:{},s:[]}", "tenant", s->tenant_id, "oid", oid,
			      "secrets", "certs", "federated");
		json_object_set_new(clients, client_id, c);
	}
	return c;
}

void emu_client_add_secret(emu_server *s, const char *client_id, const char *secret,
			   const char *oid)
{
	char hash[65];
	emu_sha256_hex(secret, hash);
	json_t *c = emu_client_entry(s, client_id, oid);
	json_array_append_new(json_object_get(c, "secrets"), json_string(hash));
}

/* ---- token endpoint ----------------------------------------------------- */

static char *form_decode(const char *s, size_t n)
{
	az_buf b = AZ_BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '+') {
			az_buf_putc(&b, ' ');
		} else if (s[i] == '%' && i + 2 < n + 0 && isxdigit((unsigned char)s[i + 1]) &&
			   isxdigit((unsigned char)s[i + 2])) {
			char hex[3] = {s[i + 1], s[i + 2], 0};
			az_buf_putc(&b, (char)strtol(hex, NULL, 16));
			i += 2;
		} else {
			az_buf_putc(&b, s[i]);
		}
	}
	return az_buf_detach(&b);
}

static void parse_form(emu_kvs *out, const char *body, size_t len)
{
	size_t i = 0;
	while (i < len) {
		size_t end = i;
		while (end < len && body[end] != '&')
			end++;
		size_t eq = i;
		while (eq < end && body[eq] != '=')
			eq++;
		char *name = form_decode(body + i, eq - i);
		char *value = eq < end ? form_decode(body + eq + 1, end - eq - 1) : az_xstrdup("");
		emu_kvs_add(out, name, value);
		free(name);
		free(value);
		i = end + 1;
	}
}

/* AAD's error body: error, error_description ("AADSTSnnn: ..."), error_codes,
 * timestamp, trace_id and correlation_id (the client's
 * client-request-id when it sent one), as login.microsoftonline.com answers. */
static void aad_error(emu_server *s, const emu_req *q, emu_resp *r, int status,
		      const char *error, const char *desc)
{
	char ts[40];
	emu_iso8601(ts, sizeof(ts), q->now_ms);
	ts[19] = 'Z';
	ts[20] = '\0';
	ts[10] = ' ';
	char *trace = emu_uuid(s);
	char *corr = emu_uuid(s);
	const char *client_corr = emu_req_header(q, "client-request-id");
	emu_resp_json(r, status,
		      json_pack("{s:s,s:s,s:[i],s:s,s:s,s:s,s:s}", "error", error,
				"error_description", desc, "error_codes", atoi(desc + 6),
				"timestamp", ts, "trace_id", trace, "correlation_id",
				client_corr ? client_corr : corr, "error_uri",
				"https://login.microsoftonline.com/error"));
	free(trace);
	free(corr);
}

/* "https://management.azure.com/.default" -> "https://management.azure.com/" */
static char *audience_of_scope(const char *scope)
{
	const char *suffix = "/.default";
	size_t n = strlen(scope), m = strlen(suffix);
	if (n <= m || strcmp(scope + n - m, suffix))
		return NULL;
	char *base = az_xstrndup(scope, n - m);
	size_t bl = strlen(base);
	while (bl > 0 && base[bl - 1] == '/')
		base[--bl] = '\0';
	char *aud = az_xasprintf("%s/", base);
	free(base);
	return aud;
}

static char *mint(emu_server *s, const char *aud, const char *tid, const char *oid,
		  const char *appid, long long now_ms, int *lifetime)
{
	pthread_mutex_lock(&s->lock);
	*lifetime = s->cfg.token_lifetime_s;
	pthread_mutex_unlock(&s->lock);
	json_int_t now = now_ms / 1000;
	char *iss = az_xasprintf("https://sts.windows.net/%s/", tid);
	json_t *payload = json_pack("{s:s,s:s,s:I,s:I,s:I,s:s,s:s,s:s,s:s,s:s,s:s}", "aud", aud,
				    "iss", iss, "iat", now, "nbf", now, "exp", now + *lifetime,
				    "tid", tid, "oid", oid, "sub", oid, "appid", appid, "idtyp",
				    "app", "ver", "1.0");
	char *token = emu_jwt_sign(s->token_key, payload);
	json_decref(payload);
	free(iss);
	return token;
}

static char *cert_thumbprint(const char *pem, EVP_PKEY **key)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	X509 *cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (!cert)
		return NULL;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	X509_digest(cert, EVP_sha1(), md, &n);
	if (key)
		*key = X509_get_pubkey(cert);
	X509_free(cert);
	return emu_b64url(md, n);
}

static bool rs256_ok(EVP_PKEY *key, const jwt_parts *j)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	bool ok = EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key) == 1 &&
		  EVP_DigestVerify(ctx, j->sig, j->sig_len,
				   (const unsigned char *)j->signing_input,
				   strlen(j->signing_input)) == 1;
	EVP_MD_CTX_free(ctx);
	return ok;
}

/* Whether one of `records` ({issuer, subject, audience}) takes the assertion;
 * *subject_found says an issuer and subject pair matched, whatever the
 * audience. */
static bool federated_match(json_t *records, const char *iss, const char *sub, const char *aud,
			    bool *subject_found)
{
	json_t *fed;
	size_t i;
	json_array_foreach(records, i, fed) {
		const char *fi = json_string_value(json_object_get(fed, "issuer"));
		const char *fs = json_string_value(json_object_get(fed, "subject"));
		const char *fa = json_string_value(json_object_get(fed, "audience"));
		if (!fi || !fs || !iss || !sub || strcmp(fi, iss) || strcmp(fs, sub))
			continue;
		*subject_found = true;
		/* A federated credential names its audience, by default
		 * api://AzureADTokenExchange; the assertion must carry it. */
		if (aud && !strcmp(aud, fa ? fa : "api://AzureADTokenExchange"))
			return true;
	}
	return false;
}

/* Checks a client assertion; returns NULL when valid, else the AADSTS text
 * (to free). *bad_request is set when Entra answers 400 rather than 401. */
static char *check_assertion(emu_server *s, json_t *client, const char *client_id,
			     const char *assertion, const char *endpoint, long long now_ms,
			     bool *bad_request)
{
	jwt_parts j;
	if (jwt_split(&j, assertion))
		return az_xstrdup("AADSTS50027: JWT token is invalid or malformed.");
	const char *msg = NULL;
	char *formatted = NULL;
	const char *alg = json_string_value(json_object_get(j.header, "alg"));
	const char *x5t = json_string_value(json_object_get(j.header, "x5t"));
	const char *iss = json_string_value(json_object_get(j.payload, "iss"));
	const char *sub = json_string_value(json_object_get(j.payload, "sub"));
	const char *aud = json_string_value(json_object_get(j.payload, "aud"));
	json_int_t exp = json_integer_value(json_object_get(j.payload, "exp"));
	if (!exp || exp * 1000 < now_ms) {
		msg = "AADSTS700024: Client assertion is not within its valid time range.";
		goto done;
	}
	if (alg && !strcmp(alg, "RS256") && x5t) {
		json_t *certs = json_object_get(client, "certs");
		const char *pem = json_string_value(json_object_get(certs, x5t));
		EVP_PKEY *key = NULL;
		char *tp = pem ? cert_thumbprint(pem, &key) : NULL;
		bool sig_ok = key && rs256_ok(key, &j);
		EVP_PKEY_free(key);
		free(tp);
		if (!pem)
			msg = "AADSTS700027: The certificate with identifier used to sign the "
			      "client assertion is not registered on application.";
		else if (!sig_ok)
			msg = "AADSTS700027: Client assertion failed signature validation.";
		else if (!aud || strcmp(aud, endpoint))
			msg = "AADSTS700212: The audience claim in the client assertion is not "
			      "the token endpoint.";
		else if (!iss || !sub || strcmp(iss, client_id) || strcmp(sub, client_id))
			msg = "AADSTS700023: Client assertion issuer and subject must be the "
			      "client id.";
		goto done;
	}
	if (!hs256_ok(s->federation_key, &j)) {
		msg = "AADSTS700027: Client assertion failed signature validation.";
		goto done;
	}
	bool subject_found = false;
	json_t *graph_records = json_object_get(client, "graphFederated");
	if (federated_match(json_object_get(client, "federated"), iss, sub, aud, &subject_found) ||
	    federated_match(graph_records, iss, sub, aud, &subject_found))
		goto done;
	if (graph_records) {
		/* A Graph application's refusal names what was presented, as
		 * Entra's workload identity federation troubleshooting shows
		 * it, with 400 invalid_request. */
		formatted = az_xasprintf("AADSTS70021: No matching federated identity record "
					 "found for presented assertion. Assertion Issuer: '%s'. "
					 "Assertion Subject: '%s'. Assertion Audience: '%s'.",
					 iss ? iss : "", sub ? sub : "", aud ? aud : "");
		*bad_request = true;
		goto done;
	}
	msg = subject_found ? "AADSTS700212: No matching federated identity record found for "
			      "presented assertion audience."
			    : "AADSTS700213: No matching federated identity record found for "
			      "presented assertion subject.";
done:
	jwt_parts_free(&j);
	return formatted ? formatted : msg ? az_xstrdup(msg) : NULL;
}

void emu_auth_token(emu_server *s, const emu_req *q, emu_resp *r)
{
	emu_kvs form = {0};
	char *aud = NULL, *token = NULL, *endpoint = NULL;
	parse_form(&form, q->body, q->body_len);
	const char *grant = emu_kvs_get(&form, "grant_type");
	const char *client_id = emu_kvs_get(&form, "client_id");
	const char *secret = emu_kvs_get(&form, "client_secret");
	const char *assertion = emu_kvs_get(&form, "client_assertion");
	const char *scope = emu_kvs_get(&form, "scope");
	/* path: /{tenant}/oauth2/v2.0/token */
	const char *slash = strchr(q->path + 1, '/');
	char *tenant = az_xstrndup(q->path + 1, slash ? (size_t)(slash - q->path - 1) : 0);

	if (!grant || strcmp(grant, "client_credentials")) {
		aad_error(s, q, r, 400, "unsupported_grant_type",
			  "AADSTS70003: The app requested an unsupported grant type.");
		goto done;
	}
	if (!client_id || !*client_id) {
		aad_error(s, q, r, 400, "invalid_request",
			  "AADSTS900144: The request body must contain the following parameter: "
			  "'client_id'.");
		goto done;
	}
	aud = scope ? audience_of_scope(scope) : NULL;
	if (!aud) {
		aad_error(s, q, r, 400, "invalid_scope",
			  "AADSTS1002012: The provided value for scope is not valid. Client "
			  "credential flows must have a scope value with /.default suffixed to the "
			  "resource identifier.");
		goto done;
	}
	pthread_mutex_lock(&s->lock);
	json_t *client = json_deep_copy(json_object_get(emu_store_obj(s, "clients"), client_id));
	int graph_app = emu_graph_sign_in(s, client_id, &client);
	pthread_mutex_unlock(&s->lock);
	if (graph_app < 0) {
		/* An application without a service principal in the tenant
		 * cannot sign in there. */
		char *d = az_xasprintf("AADSTS7000229: The client application %s is missing "
				       "service principal in the tenant %s.",
				       client_id, tenant);
		aad_error(s, q, r, 401, "invalid_client", d);
		free(d);
		json_decref(client);
		goto done;
	}
	if (!client) {
		char *d = az_xasprintf("AADSTS700016: Application with identifier '%s' was not "
				       "found in the directory '%s'.",
				       client_id, tenant);
		aad_error(s, q, r, 400, "unauthorized_client", d);
		free(d);
		goto done;
	}
	const char *tid = json_string_value(json_object_get(client, "tenant"));
	if (strcasecmp(tenant, tid) && strcmp(tenant, "organizations")) {
		char *d = az_xasprintf("AADSTS90002: Tenant '%s' not found.", tenant);
		aad_error(s, q, r, 400, "invalid_request", d);
		free(d);
		json_decref(client);
		goto done;
	}
	char *failure = NULL;
	bool bad_request = false;
	if (secret) {
		char hash[65];
		emu_sha256_hex(secret, hash);
		json_t *h;
		size_t i;
		bool known = false;
		json_array_foreach(json_object_get(client, "secrets"), i, h)
			if (!strcmp(json_string_value(h), hash))
				known = true;
		if (!known)
			failure = az_xstrdup("AADSTS7000215: Invalid client secret provided. "
					     "Ensure the secret being sent in the request is the "
					     "client secret value, not the client secret ID.");
	} else if (assertion) {
		const char *atype = emu_kvs_get(&form, "client_assertion_type");
		endpoint = az_xasprintf("https://login.localhost:%d%s", s->cfg.port, q->path);
		if (!atype ||
		    strcmp(atype, "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"))
			failure = az_xstrdup("AADSTS700023: Invalid client assertion type.");
		else
			failure = check_assertion(s, client, client_id, assertion, endpoint,
						  q->now_ms, &bad_request);
	} else {
		failure = az_xstrdup("AADSTS7000218: The request body must contain the following "
				     "parameter: 'client_assertion' or 'client_secret'.");
	}
	if (failure) {
		if (bad_request)
			aad_error(s, q, r, 400, "invalid_request", failure);
		else
			aad_error(s, q, r, 401, "invalid_client", failure);
		free(failure);
		json_decref(client);
		goto done;
	}
	int lifetime;
	token = mint(s, aud, tid, json_string_value(json_object_get(client, "oid")), client_id,
		     q->now_ms, &lifetime);
	json_decref(client);
	emu_resp_json(r, 200,
		      json_pack("{s:s,s:i,s:i,s:s}", "token_type", "Bearer", "expires_in",
				lifetime, "ext_expires_in", lifetime, "access_token", token));
done:
	emu_kvs_clear(&form);
	free(tenant);
	free(aud);
	free(token);
	free(endpoint);
}

/* ---- managed identity --------------------------------------------------- */

void emu_auth_msi(emu_server *s, const emu_req *q, emu_resp *r)
{
	const char *api = emu_req_query(q, "api-version");
	const char *resource = emu_req_query(q, "resource");
	bool app_service = api && !strcmp(api, "2019-08-01");
	char *aud = NULL, *token = NULL;

	pthread_mutex_lock(&s->lock);
	json_t *msi = json_deep_copy(json_object_get(s->store, "msi"));
	pthread_mutex_unlock(&s->lock);
	const char *msi_client = json_string_value(json_object_get(msi, "clientId"));
	const char *msi_oid = json_string_value(json_object_get(msi, "objectId"));
	const char *identity_header = json_string_value(json_object_get(msi, "identityHeader"));

	if (app_service) {
		const char *h = emu_req_header(q, "X-IDENTITY-HEADER");
		if (!h || !identity_header || strcmp(h, identity_header)) {
			emu_resp_json(r, 401,
				      json_pack("{s:i,s:s}", "statusCode", 401, "message",
						"No X-IDENTITY-HEADER or a wrong one was given."));
			goto done;
		}
	} else {
		const char *md = emu_req_header(q, "Metadata");
		if (strcmp(q->path, "/metadata/identity/oauth2/token")) {
			emu_resp_json(r, 404, json_pack("{s:s}", "error", "Not Found"));
			goto done;
		}
		if (!md || strcasecmp(md, "true")) {
			emu_resp_json(r, 400,
				      json_pack("{s:s,s:s}", "error", "invalid_request",
						"error_description",
						"Required metadata header not specified"));
			goto done;
		}
		if (!api || strcmp(api, "2018-02-01")) {
			emu_resp_json(r, 400,
				      json_pack("{s:s,s:s}", "error", "invalid_request",
						"error_description",
						"Required query variable 'api-version' is missing or "
						"unsupported"));
			goto done;
		}
	}
	if (!resource || !*resource || !msi_client) {
		emu_resp_json(r, 400,
			      json_pack("{s:s,s:s}", "error", "invalid_request",
					"error_description",
					"Required query variable 'resource' is missing"));
		goto done;
	}
	size_t rl = strlen(resource);
	aud = resource[rl - 1] == '/' ? az_xstrdup(resource) : az_xasprintf("%s/", resource);
	int lifetime;
	token = mint(s, aud, s->tenant_id, msi_oid, msi_client, q->now_ms, &lifetime);
	char expires_in[32], expires_on[32], not_before[32];
	snprintf(expires_in, sizeof(expires_in), "%d", lifetime);
	snprintf(expires_on, sizeof(expires_on), "%lld", q->now_ms / 1000 + lifetime);
	snprintf(not_before, sizeof(not_before), "%lld", q->now_ms / 1000);
	/* IMDS sends every number as a string (azure-notes.md). */
	emu_resp_json(r, 200,
		      json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "access_token", token,
				"client_id", msi_client, "expires_in", expires_in,
				"ext_expires_in", expires_in, "expires_on", expires_on,
				"not_before", not_before, "resource", resource, "token_type",
				"Bearer"));
done:
	json_decref(msi);
	free(aud);
	free(token);
}

/* ---- bearer check ------------------------------------------------------- */

static void unauthorized(emu_server *s, emu_resp *r, emu_style style, const char *code,
			 const char *msg)
{
	emu_resp_header(r, "WWW-Authenticate",
			"Bearer authorization_uri=\"https://login.localhost:%d/%s\", "
			"error=\"invalid_token\", error_description=\"%s\"",
			s->cfg.port, s->tenant_id, msg);
	if (style == EMU_STYLE_SYNAPSE)
		emu_resp_flat_error(r, 401, code, "%s", msg);
	else if (style == EMU_STYLE_GRAPH)
		emu_resp_json(r, 401,
			      json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", msg));
	else
		emu_resp_arm_error(r, 401, code, "%s", msg);
}

/* The claims of `token` if it was verified before (a reference), or NULL. */
static json_t *verified_claims(emu_server *s, const char *token)
{
	json_t *claims = NULL;
	pthread_mutex_lock(&s->verified_lock);
	for (size_t i = 0; !claims && i < EMU_VERIFIED_TOKENS; i++)
		if (s->verified[i].token && !strcmp(s->verified[i].token, token))
			claims = json_incref(s->verified[i].claims);
	pthread_mutex_unlock(&s->verified_lock);
	return claims;
}

static void remember_verified(emu_server *s, const char *token, json_t *claims)
{
	pthread_mutex_lock(&s->verified_lock);
	size_t i = s->verified_next++ % EMU_VERIFIED_TOKENS;
	free(s->verified[i].token);
	json_decref(s->verified[i].claims);
	s->verified[i].token = az_xstrdup(token);
	s->verified[i].claims = json_incref(claims);
	pthread_mutex_unlock(&s->verified_lock);
}

void emu_auth_forget_verified(emu_server *s)
{
	pthread_mutex_lock(&s->verified_lock);
	for (size_t i = 0; i < EMU_VERIFIED_TOKENS; i++) {
		free(s->verified[i].token);
		json_decref(s->verified[i].claims);
		s->verified[i].token = NULL;
		s->verified[i].claims = NULL;
	}
	pthread_mutex_unlock(&s->verified_lock);
}

bool emu_auth_check(emu_server *s, const emu_req *q, emu_resp *r, const char *audience,
		    emu_style style, json_t **claims)
{
	const char *h = emu_req_header(q, "Authorization");
	if (claims)
		*claims = NULL;
	if (!h || strncasecmp(h, "Bearer ", 7)) {
		unauthorized(s, r, style, "AuthenticationFailed",
			     "Authentication failed. The 'Authorization' header is missing.");
		return false;
	}
	json_t *payload = verified_claims(s, h + 7);
	if (!payload) {
		payload = emu_jwt_verify_hs256(s->token_key, h + 7);
		if (payload)
			remember_verified(s, h + 7, payload);
	}
	if (!payload) {
		unauthorized(s, r, style, "InvalidAuthenticationToken",
			     "The access token is invalid.");
		return false;
	}
	const char *aud = json_string_value(json_object_get(payload, "aud"));
	json_int_t exp = json_integer_value(json_object_get(payload, "exp"));
	bool ok = false;
	if (exp * 1000 <= q->now_ms) {
		unauthorized(s, r, style, "AuthenticationFailed",
			     "The access token expiry UTC time is earlier than current UTC time.");
	} else if (!aud || (strcmp(aud, audience) &&
			    !(style == EMU_STYLE_ARM &&
			      !strcmp(aud, "https://management.core.windows.net/")))) {
		unauthorized(s, r, style, "InvalidAuthenticationToken",
			     "The access token has been obtained for wrong audience or resource. It "
			     "should exactly match with one of the allowed audiences.");
	} else {
		ok = true;
	}
	if (ok && claims)
		*claims = json_incref(payload);
	json_decref(payload);
	return ok;
}
