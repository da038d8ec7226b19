/*
 * auth.h - credentials: who azapply is when it talks to Azure.
 *
 * Like azure-identity's DefaultAzureCredential, with the same environment
 * variables: environment (client secret or certificate), workload identity
 * (federated token file), GitHub Actions OIDC, managed identity (IMDS or App
 * Service) and the Azure CLI, in that order; AZAPPLY_AUTH=env|workload|
 * github|managed|cli pins one. Tokens are cached in memory per (tenant,
 * scope), refreshed ahead of expiry and never written anywhere.
 *
 * The credential plugs into the HTTP client as its az_token_source, and
 * fetches its own tokens through that client (token endpoint, IMDS), so
 * everything shares the one loop.
 */
#ifndef AZAPPLY_AUTH_H
#define AZAPPLY_AUTH_H

#include <stdint.h>

#include <azapply/provider.h>

#include "cloud/cloud.h"
#include "http/http.h"

typedef struct az_credential az_credential;

typedef struct az_auth_options {
	const char *pin;    /* env|workload|github|managed|cli; NULL = $AZAPPLY_AUTH or the chain */
	const char *tenant; /* overrides AZURE_TENANT_ID */
	int cli_timeout_s;  /* default 30 */
} az_auth_options;

/*
 * Builds the credential from the environment. Fails (AZ_EINVALID) only for
 * a bad AZAPPLY_AUTH value or a pinned credential that is not configured;
 * the chain's choice is made at the first token request.
 */
int az_credential_new(az_credential **out, const az_cloud *cloud, const az_auth_options *o,
                      az_diags *d);
void az_credential_free(az_credential *cred);
/* The token source to hand to az_http_client_set_tokens(). */
az_token_source az_credential_token_source(az_credential *cred);
/*
 * Fetches the token for `scope` before any request needs it, so that the
 * request does not wait a round trip for it (a refresh reads the Synapse
 * data planes only once Resource Manager has answered). Until a sign-in has
 * worked the fetch waits for one, so a refused credential is still asked
 * once. Nothing is said here: a failure is said to the next request that
 * fails.
 */
void az_credential_prefetch(az_credential *cred, az_http_client *c, const char *scope);

/*
 * Describes the identity for `azapply auth`: which credential was used and
 * what each one before it said, tenant, client/object ids and, per audience
 * (resourceManager, microsoftGraph, synapseDev), the token's expiry or why
 * none was had. Never the token. Runs the client until the tokens arrive.
 */
int az_auth_describe(json_t **out, az_credential *cred, az_http_client *c, az_diags *d);

/* ---------------------------------------------------------------------
 * Pieces exposed for tests.
 */
/* base64url without padding (RFC 7515). */
char *az_base64url(const unsigned char *data, size_t len);
/* The claims (payload) of a JWT, not verified; NULL when not a JWT. */
json_t *az_jwt_claims(const char *jwt);
/*
 * An RS256 client assertion from a PEM file holding the certificate and its
 * private key: header {alg, typ, x5t}, claims {aud, iss, sub, jti, nbf, iat,
 * exp}. `now_s` is the current time in seconds.
 */
int az_jwt_client_assertion(char **out, const char *pem_path, const char *client_id,
                            const char *audience, int64_t now_s, az_diags *d);
/*
 * Runs `az account get-access-token` (fork/execvp, no shell) and parses the
 * answer. Fails with AZ_ENOTFOUND when az is missing or not logged in.
 */
int az_cli_get_token(char **token, int64_t *expires_on_ms, const char *resource, const char *tenant,
                     int timeout_s, az_diags *d);
/* When to refresh a token obtained at `now_ms` that expires at `exp_ms`:
 * 5 minutes before expiry, or at half its lifetime when that is short. */
int64_t az_token_refresh_at(int64_t now_ms, int64_t exp_ms);

#endif
