/*
 * credential.c - the credential chain, the token cache and the token
 * requests of each credential kind.
 *
 * The chain mirrors DefaultAzureCredential: each kind that is configured
 * is tried in order at the first token request; one that turns out to be
 * unavailable (no managed identity endpoint, no `az login`) passes to the
 * next, one that is configured but refused (a wrong secret) stops the chain,
 * and the first that works is kept.
 *
 * A failure is one diagnostic: the credential, the tenant, Entra's AADSTS
 * code, what every kind tried and the fix. It is said once, to the first
 * request that waited for the token, and remembered for the run: a plan's
 * refresh has a dozen requests waiting on its first token, and each would
 * otherwise repeat it (or ask Entra again). A refusal of the credential
 * fails every scope; one of the scope (invalid_scope) only that scope.
 *
 * Tokens are cached per (tenant, scope) in memory only. Concurrent requests
 * for the same scope wait on one fetch. Secrets and tokens never reach a
 * diagnostic or the trace; token requests are marked secret_body. Each
 * secret, assertion and token is also remembered (az_secret_remember), so
 * that an echo of one from anywhere is blanked from the output.
 */
#include "auth/auth.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

typedef enum cred_kind {
	CRED_ENV,
	CRED_WORKLOAD,
	CRED_GITHUB,
	CRED_MANAGED,
	CRED_CLI,
	CRED_COUNT,
} cred_kind;

static const char *const kind_names[CRED_COUNT] = {"env", "workload", "github", "managed", "cli"};
static const char *const kind_titles[CRED_COUNT] = {
    "environment", "workload identity", "GitHub Actions OIDC", "managed identity", "Azure CLI"};

typedef struct waiter {
	az_token_done_fn cb;
	void *ud;
	struct waiter *next;
} waiter;

typedef struct cache_entry {
	char *scope;
	char *token;
	int64_t exp_ms;
	int64_t refresh_ms;
	bool fetching;
	int next_kind; /* chain position while fetching */
	az_diags tried;
	long aadsts;    /* Entra's AADSTS code for the last attempt, 0 = none */
	bool transient; /* the last attempt got no answer, 429 or 5xx */
	char *reason;   /* what the last attempt said, without the kind */
	int failed;     /* the fetch failed: every later request fails so (this run) */
	bool deferred;  /* waits for another audience's first sign-in */
	bool prefetch;  /* asked for ahead, once a sign-in has worked */
	/* In the order they came: a refresh asks first for what is on its
	 * longest path (the stack-wide list's chain of pages). */
	waiter *waiters, *waiters_tail;
	struct cache_entry *next;
} cache_entry;

struct az_credential {
	const az_cloud *cloud;
	az_http_client *c; /* set at each token request */
	char *tenant;
	char *client_id;
	char *secret;
	char *cert_path;
	char *token_file;
	char *gh_url;
	char *gh_token;
	char *identity_endpoint;
	char *identity_header;
	int cli_timeout_s;
	bool configured[CRED_COUNT];
	char *not_configured[CRED_COUNT]; /* why a kind does not apply */
	int pinned;                       /* -1 = the chain */
	int chosen;                       /* the kind that worked, -1 before */
	bool cert_mode;                   /* env: certificate rather than secret */
	int failed;                       /* refused for every scope (this run), or 0 */
	/* A failure no request waited for (a prefetch's): said to the next
	 * request that fails, so it is said once all the same. */
	az_diags unsaid;
	cache_entry *cache;
};

static char *env_dup(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? az_xstrdup(v) : NULL;
}

static void wipe_free(char *s)
{
	if (s)
		memset(s, 0, strlen(s));
	free(s);
}

void az_credential_free(az_credential *cred)
{
	if (!cred)
		return;
	for (cache_entry *e = cred->cache, *next; e; e = next) {
		next = e->next;
		free(e->scope);
		free(e->reason);
		wipe_free(e->token);
		az_diags_clear(&e->tried);
		for (waiter *w = e->waiters, *wn; w; w = wn) {
			wn = w->next;
			free(w);
		}
		free(e);
	}
	az_diags_clear(&cred->unsaid);
	for (int i = 0; i < CRED_COUNT; i++)
		free(cred->not_configured[i]);
	free(cred->tenant);
	free(cred->client_id);
	wipe_free(cred->secret);
	free(cred->cert_path);
	free(cred->token_file);
	free(cred->gh_url);
	wipe_free(cred->gh_token);
	free(cred->identity_endpoint);
	wipe_free(cred->identity_header);
	free(cred);
}

static void detect(az_credential *cr)
{
	bool ids = cr->tenant && cr->client_id;
	cr->configured[CRED_ENV] = ids && (cr->secret || cr->cert_path);
	cr->cert_mode = !cr->secret && cr->cert_path;
	if (!cr->configured[CRED_ENV])
		cr->not_configured[CRED_ENV] =
		    az_xstrdup("AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET or "
		               "AZURE_CLIENT_CERTIFICATE_PATH are not all set");
	cr->configured[CRED_WORKLOAD] = ids && cr->token_file;
	if (!cr->configured[CRED_WORKLOAD])
		cr->not_configured[CRED_WORKLOAD] = az_xstrdup(
		    "AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_FEDERATED_TOKEN_FILE are not "
		    "all set");
	cr->configured[CRED_GITHUB] = ids && cr->gh_url && cr->gh_token;
	if (!cr->configured[CRED_GITHUB])
		cr->not_configured[CRED_GITHUB] = az_xstrdup(
		    "ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN (the "
		    "workflow needs `permissions: id-token: write`), AZURE_TENANT_ID and "
		    "AZURE_CLIENT_ID are not all set");
	/* IMDS may be there on any machine: only trying tells. */
	cr->configured[CRED_MANAGED] = true;
	cr->configured[CRED_CLI] = true;
}

int az_credential_new(az_credential **out, const az_cloud *cloud, const az_auth_options *o,
                      az_diags *d)
{
	az_credential *cr = az_xcalloc(1, sizeof(*cr));
	cr->cloud = cloud;
	cr->tenant = o && o->tenant ? az_xstrdup(o->tenant) : env_dup("AZURE_TENANT_ID");
	cr->client_id = env_dup("AZURE_CLIENT_ID");
	cr->secret = env_dup("AZURE_CLIENT_SECRET");
	cr->cert_path = env_dup("AZURE_CLIENT_CERTIFICATE_PATH");
	cr->token_file = env_dup("AZURE_FEDERATED_TOKEN_FILE");
	cr->gh_url = env_dup("ACTIONS_ID_TOKEN_REQUEST_URL");
	cr->gh_token = env_dup("ACTIONS_ID_TOKEN_REQUEST_TOKEN");
	cr->identity_endpoint = env_dup("IDENTITY_ENDPOINT");
	cr->identity_header = env_dup("IDENTITY_HEADER");
	az_secret_remember(cr->secret);
	az_secret_remember(cr->gh_token);
	az_secret_remember(cr->identity_header);
	cr->cli_timeout_s = o && o->cli_timeout_s > 0 ? o->cli_timeout_s : 30;
	cr->pinned = -1;
	cr->chosen = -1;
	detect(cr);
	const char *pin = o && o->pin ? o->pin : getenv("AZAPPLY_AUTH");
	if (pin && *pin) {
		for (int i = 0; i < CRED_COUNT; i++)
			if (strcasecmp(pin, kind_names[i]) == 0)
				cr->pinned = i;
		if (cr->pinned < 0) {
			az_diag *diag = az_diag_add(d, AZ_SEV_ERROR, NULL, NULL,
			                            "unknown credential '%s' in AZAPPLY_AUTH", pin);
			az_diag_set_detail(diag, "use env, workload, github, managed or cli");
			az_credential_free(cr);
			return AZ_EINVALID;
		}
		if (!cr->configured[cr->pinned]) {
			az_diag *diag = az_diag_add(d, AZ_SEV_ERROR, NULL, NULL,
			                            "AZAPPLY_AUTH=%s, but the %s credential is not "
			                            "configured",
			                            pin, kind_titles[cr->pinned]);
			az_diag_set_detail(diag, "%s", cr->not_configured[cr->pinned]);
			az_credential_free(cr);
			return AZ_EINVALID;
		}
	}
	*out = cr;
	return 0;
}

int64_t az_token_refresh_at(int64_t now_ms, int64_t exp_ms)
{
	int64_t life = exp_ms - now_ms;
	if (life > 10 * 60 * 1000)
		return exp_ms - 5 * 60 * 1000;
	return now_ms + (life > 0 ? life / 2 : 0);
}

/* ---- the end of a fetch ---- */

static void copy_diags(az_diags *dst, const az_diags *src)
{
	for (size_t i = 0; i < src->len; i++) {
		const az_diag *s = &src->items[i];
		az_diag *n = az_diag_add(dst, s->severity, NULL, s->address, "%s", s->summary);
		if (s->detail)
			az_diag_set_detail(n, "%s", s->detail);
		n->http_status = s->http_status;
		n->code = s->code ? az_xstrdup(s->code) : NULL;
		n->request_id = s->request_id ? az_xstrdup(s->request_id) : NULL;
		n->correlation_id = s->correlation_id ? az_xstrdup(s->correlation_id) : NULL;
	}
}

/* A failure is said once: the first request that waited for the token gets
 * the diagnostics, the others fail quietly (a plan's refresh has a dozen
 * lists waiting on the first token, and each would repeat it). */
static void resume_deferred(az_credential *cr);

static void deliver(az_credential *cr, cache_entry *e, int err, az_diags *d)
{
	waiter *w = e->waiters;
	e->waiters = e->waiters_tail = NULL;
	e->fetching = false;
	bool fresh = d && d->len;
	if (err && !w && fresh) {
		/* Nobody waited (a prefetch): kept for the next to fail. */
		az_diags_clear(&cr->unsaid);
		copy_diags(&cr->unsaid, d);
	}
	const az_diags *say = err && !fresh && cr->unsaid.len ? &cr->unsaid : d;
	bool said = false;
	while (w) {
		waiter *next = w->next;
		az_diags mine = AZ_DIAGS_INIT;
		if (err && !said && say) {
			copy_diags(&mine, say);
			if (say == &cr->unsaid)
				az_diags_clear(&cr->unsaid);
		}
		said = true;
		w->cb(w->ud, err, err ? NULL : e->token, &mine);
		az_diags_clear(&mine);
		free(w);
		w = next;
	}
	resume_deferred(cr);
}

static void fetch_next(az_credential *cr, cache_entry *e);

/* Whether another audience's sign-in is under way. Until the credential
 * has given one token, audiences sign in one at a time: a plan asks for
 * Resource Manager and Graph tokens together, and a refused credential
 * must be asked once and said once, not once per audience. */
static bool sign_in_under_way(az_credential *cr, cache_entry *e)
{
	for (cache_entry *o = cr->cache; o; o = o->next)
		if (o != e && o->fetching && !o->deferred)
			return true;
	return false;
}

/* The first sign-in has its outcome: the audiences that waited for it ask
 * for their own tokens now, or, when the credential was refused for every
 * scope, fail as quietly as any later request would. */
static void resume_deferred(az_credential *cr)
{
	for (cache_entry *o = cr->cache; o; o = o->next) {
		if (!o->deferred)
			continue;
		o->deferred = false;
		if (cr->failed) {
			az_diags none = AZ_DIAGS_INIT;
			deliver(cr, o, cr->failed, &none);
		} else {
			fetch_next(cr, o);
			if (cr->chosen < 0)
				return;
		}
	}
}

static void start_fetch(az_credential *cr, cache_entry *e);

static void got_token(az_credential *cr, cache_entry *e, int kind, char *token, int64_t exp_ms)
{
	int64_t now = az_http_now_ms(cr->c);
	wipe_free(e->token);
	e->token = token;
	e->exp_ms = exp_ms;
	e->refresh_ms = az_token_refresh_at(now, exp_ms);
	cr->chosen = kind;
	az_secret_remember(token);
	az_diags_clear(&e->tried);
	deliver(cr, e, 0, NULL);
	/* A sign-in worked: the tokens asked for ahead are fetched now. */
	for (cache_entry *o = cr->cache; o; o = o->next) {
		if (!o->prefetch)
			continue;
		o->prefetch = false;
		if (!o->fetching && !o->token && !o->failed && !cr->failed)
			start_fetch(cr, o);
	}
}

/* What Entra's AADSTS codes mean and what fixes them; `fix` NULL when the
 * credential's own advice (kind_fix) says it better. */
static const struct aadsts_info {
	long code;
	const char *what;
	const char *fix;
} aadsts_infos[] = {
    {7000215, "invalid client secret",
     "check AZURE_CLIENT_SECRET; it may have expired, or hold the secret's ID instead of "
     "its value"},
    {7000222, "the client secret has expired",
     "create a new client secret for the application and put it in AZURE_CLIENT_SECRET"},
    {700016, "application not found in the tenant",
     "check AZURE_CLIENT_ID and AZURE_TENANT_ID: the application must be registered in "
     "that tenant"},
    {90002, "tenant not found", "check AZURE_TENANT_ID"},
    {900023, "invalid tenant", "check AZURE_TENANT_ID"},
    {7000112, "the application is disabled",
     "enable the application's service principal in the tenant"},
    {700027, "the certificate is not accepted",
     "check that the certificate in AZURE_CLIENT_CERTIFICATE_PATH is the one registered on "
     "the application"},
    {700024, "the client assertion has expired", NULL},
    {70021, "no federated credential matches the token", NULL},
    {700212, "no federated credential matches the token's audience", NULL},
    {700213, "no federated credential matches the token's subject", NULL},
    {70011, "invalid scope", NULL},
    {500011, "the resource is not registered in the tenant", NULL},
};

static const struct aadsts_info *aadsts_find(long code)
{
	for (size_t i = 0; i < sizeof(aadsts_infos) / sizeof(aadsts_infos[0]); i++)
		if (aadsts_infos[i].code == code)
			return &aadsts_infos[i];
	return NULL;
}

/* Refusals of the scope asked for rather than of the credential: another
 * audience may still work, so only this scope remembers it. */
static bool refuses_scope(const char *error, long aadsts)
{
	return (error && (strcmp(error, "invalid_scope") == 0 ||
	                  strcmp(error, "invalid_resource") == 0)) ||
	       aadsts == 70011 || aadsts == 500011 || aadsts == 65001;
}

static const char *kind_title(const az_credential *cr, int kind)
{
	if (kind == CRED_ENV)
		return cr->cert_mode ? "environment (client certificate)"
		                     : "environment (client secret)";
	return kind_titles[kind];
}

/* What to check when a credential is refused and Entra's code says no more. */
static const char *kind_fix(const az_credential *cr, int kind)
{
	switch (kind) {
	case CRED_ENV:
		return cr->cert_mode ? "check AZURE_TENANT_ID, AZURE_CLIENT_ID and the certificate "
		                       "and key in AZURE_CLIENT_CERTIFICATE_PATH"
		                     : "check AZURE_TENANT_ID, AZURE_CLIENT_ID and "
		                       "AZURE_CLIENT_SECRET; the secret may have expired";
	case CRED_WORKLOAD:
		return "check AZURE_FEDERATED_TOKEN_FILE (it must hold a current token) and the "
		       "application's federated credentials (issuer, subject, audience "
		       "api://AzureADTokenExchange)";
	case CRED_GITHUB:
		return "check the workflow's `permissions: id-token: write` and the application's "
		       "federated credential for this repository and branch";
	case CRED_MANAGED:
		return "check that this machine has a managed identity (AZURE_CLIENT_ID picks a "
		       "user-assigned one)";
	case CRED_CLI: return "sign in with `az login` (with --tenant when there are several)";
	}
	return NULL;
}

/* The one diagnostic of a failed fetch: which credential, the tenant, what
 * Entra said (its AADSTS code) and what to do, with what each credential
 * tried in the detail. `exhausted`: the chain ran out of credentials. */
static void failure_diag(az_diags *out, az_credential *cr, cache_entry *e, int kind,
                         bool exhausted)
{
	const az_diag *last = e->tried.len ? &e->tried.items[e->tried.len - 1] : NULL;
	const struct aadsts_info *info = aadsts_find(e->aadsts);
	int status = last ? last->http_status : 0;
	char *reason;
	if (e->aadsts && info)
		reason = az_xasprintf("AADSTS%ld (%s)", e->aadsts, info->what);
	else if (e->aadsts)
		reason = az_xasprintf("AADSTS%ld (HTTP %d)", e->aadsts, status);
	else if (status)
		reason = az_xasprintf("HTTP %d%s%s", status, last->code ? " " : "",
		                      last->code ? last->code : "");
	else
		reason = az_xstrdup(e->reason ? e->reason : az_err_name(AZ_EAUTH));
	az_diag *diag;
	if (exhausted)
		diag = az_diag_add(out, AZ_SEV_ERROR, NULL, NULL,
		                   "cannot get a token: no credential is available");
	else if (cr->tenant)
		diag = az_diag_add(out, AZ_SEV_ERROR, NULL, NULL,
		                   "cannot get a token with the %s credential for tenant %s: %s",
		                   kind_title(cr, kind), cr->tenant, reason);
	else
		diag = az_diag_add(out, AZ_SEV_ERROR, NULL, NULL,
		                   "cannot get a token with the %s credential: %s",
		                   kind_title(cr, kind), reason);
	free(reason);

	az_buf b = AZ_BUF_INIT;
	for (int i = 0; i < kind && cr->pinned < 0; i++)
		if (cr->not_configured[i])
			az_buf_printf(&b, "%s- %s: %s", b.len ? "\n" : "", kind_titles[i],
			              cr->not_configured[i]);
	for (size_t i = 0; i < e->tried.len; i++)
		az_buf_printf(&b, "%s- %s", b.len ? "\n" : "", e->tried.items[i].summary);
	if (refuses_scope(last ? last->code : NULL, e->aadsts))
		az_buf_printf(&b, "%sscope: %s", b.len ? "\n" : "", e->scope);
	const char *fix = exhausted ? "set AZURE_TENANT_ID, AZURE_CLIENT_ID and "
	                              "AZURE_CLIENT_SECRET (or a certificate or federated token "
	                              "file), or sign in with `az login`"
	                  : e->transient ? "Entra ID did not give a token (retried already): try "
	                                "again in a few minutes"
	                  : info && info->fix ? info->fix
	                                      : kind_fix(cr, kind);
	az_buf_printf(&b, "%sfix: %s", b.len ? "\n" : "", fix);
	az_diag_set_detail(diag, "%s", b.data);
	az_buf_free(&b);
	/* Keep the HTTP facts of the last attempt (status, code, request id). */
	if (last) {
		diag->http_status = last->http_status;
		diag->code = last->code ? az_xstrdup(last->code) : NULL;
		diag->request_id = last->request_id ? az_xstrdup(last->request_id) : NULL;
		diag->correlation_id =
		    last->correlation_id ? az_xstrdup(last->correlation_id) : NULL;
	}
}

/* A kind failed: unavailable ones pass to the next, refusals end the chain. */
static void kind_failed(az_credential *cr, cache_entry *e, int kind, int err, az_diags *d)
{
	for (size_t i = 0; d && i < d->len; i++) {
		az_diag *x = &d->items[i];
		/* AAD's error_description ends in "\r\nTrace ID: ..." lines:
		 * the first line says it, the request id is kept apart. */
		x->summary[strcspn(x->summary, "\r\n")] = '\0';
		free(e->reason);
		e->reason = az_xstrdup(x->summary);
		char *s = az_xasprintf("%s: %s", kind_titles[kind], x->summary);
		free(x->summary);
		x->summary = s;
	}
	if (d)
		az_diags_move(&e->tried, d);
	bool unavailable = err == AZ_ENOTFOUND || (kind == CRED_MANAGED && cr->pinned < 0);
	if (unavailable && cr->pinned < 0 && cr->chosen < 0) {
		e->next_kind = kind + 1;
		fetch_next(cr, e);
		return;
	}
	az_diags out = AZ_DIAGS_INIT;
	failure_diag(&out, cr, e, kind, d == NULL);
	const az_diag *last = e->tried.len ? &e->tried.items[e->tried.len - 1] : NULL;
	/* Remembered for the run: every later request for the token fails
	 * at once, without asking Entra again or saying it again. */
	e->failed = err == AZ_ENOTFOUND ? AZ_EAUTH : (err ? err : AZ_EAUTH);
	if (!refuses_scope(last ? last->code : NULL, e->aadsts))
		cr->failed = e->failed;
	az_diags_clear(&e->tried);
	deliver(cr, e, e->failed, &out);
	az_diags_clear(&out);
}

/* ---- token answers ---- */

typedef struct fetch_ctx {
	az_credential *cr;
	cache_entry *e;
	int kind;
} fetch_ctx;

static fetch_ctx *ctx_new(az_credential *cr, cache_entry *e, int kind)
{
	fetch_ctx *x = az_xcalloc(1, sizeof(*x));
	x->cr = cr;
	x->e = e;
	x->kind = kind;
	return x;
}

static int64_t json_number(json_t *v)
{
	if (json_is_integer(v))
		return (int64_t)json_integer_value(v);
	if (json_is_real(v))
		return (int64_t)json_real_value(v);
	if (json_is_string(v))
		return (int64_t)strtoll(json_string_value(v), NULL, 10);
	return -1;
}

/* The AADSTS code of an Entra error answer: error_codes[0], else the
 * "AADSTSnnn:" that starts error_description; 0 when neither is there. */
static long aadsts_of(const az_http_response *resp)
{
	json_t *body = az_http_response_json(resp);
	json_t *first = json_array_get(json_object_get(body, "error_codes"), 0);
	const char *desc = json_string_value(json_object_get(body, "error_description"));
	long code = 0;
	if (json_is_integer(first))
		code = (long)json_integer_value(first);
	else if (desc && strncmp(desc, "AADSTS", 6) == 0)
		code = strtol(desc + 6, NULL, 10);
	json_decref(body);
	return code > 0 ? code : 0;
}

/* Entra and IMDS answers: access_token with expires_on (POSIX, IMDS sends
 * numbers as strings) or expires_in (seconds from now). */
static void on_token_answer(void *ud, int err, const az_http_response *resp, az_diags *d)
{
	fetch_ctx *x = ud;
	az_credential *cr = x->cr;
	cache_entry *e = x->e;
	int kind = x->kind;
	free(x);
	if (err) {
		/* IMDS saying "no identity here" (400) means unavailable. */
		bool no_identity = !resp || resp->status == 400 || resp->status == 404;
		err = kind == CRED_MANAGED && no_identity ? AZ_ENOTFOUND : AZ_EAUTH;
		e->aadsts = aadsts_of(resp);
		e->transient = !resp || resp->status == 429 || resp->status >= 500;
		kind_failed(cr, e, kind, err, d);
		return;
	}
	json_t *body = az_http_response_json(resp);
	const char *tok = json_string_value(json_object_get(body, "access_token"));
	int64_t now = az_http_now_ms(cr->c);
	int64_t exp = json_number(json_object_get(body, "expires_on"));
	if (exp > 0)
		exp *= 1000;
	else if ((exp = json_number(json_object_get(body, "expires_in"))) > 0)
		exp = now + exp * 1000;
	if (!tok || exp <= 0) {
		az_diag_add(d, AZ_SEV_ERROR, NULL, NULL,
		            "the token answer has no access_token and expiry (HTTP %d)",
		            resp ? resp->status : 0);
		json_decref(body);
		kind_failed(cr, e, kind, AZ_EAUTH, d);
		return;
	}
	char *token = az_xstrdup(tok);
	json_decref(body);
	got_token(cr, e, kind, token, exp);
}

static char *token_url(const az_credential *cr)
{
	return az_xasprintf("%s/%s/oauth2/v2.0/token", cr->cloud->active_directory, cr->tenant);
}

/* POST to the tenant's v2 token endpoint with a secret or an assertion. */
static void post_token_request(az_credential *cr, cache_entry *e, int kind, const char *secret,
                               const char *assertion)
{
	char *url = token_url(cr);
	char *cid = az_http_form_escape(cr->client_id);
	char *scope = az_http_form_escape(e->scope);
	char *cred = az_http_form_escape(secret ? secret : assertion);
	char *form;
	if (secret)
		form = az_xasprintf("grant_type=client_credentials&client_id=%s&scope=%s&"
		                    "client_secret=%s",
		                    cid, scope, cred);
	else
		form = az_xasprintf("grant_type=client_credentials&client_id=%s&scope=%s&"
		                    "client_assertion_type=urn%%3Aietf%%3Aparams%%3Aoauth%%3A"
		                    "client-assertion-type%%3Ajwt-bearer&client_assertion=%s",
		                    cid, scope, cred);
	az_http_request *r = az_http_request_new("POST", url);
	r->secret_body = true;
	/* Token requests change nothing: repeating one is safe. */
	r->idempotent = true;
	r->timeout_ms = az_http_timeout_for(cr->c, AZ_TIMEOUT_TOKEN);
	az_http_request_header(r, "Content-Type", "application/x-www-form-urlencoded");
	az_http_request_body(r, form, strlen(form));
	wipe_free(form);
	wipe_free(cred);
	free(cid);
	free(scope);
	free(url);
	az_http_submit(cr->c, r, on_token_answer, ctx_new(cr, e, kind));
}

/* Exchanges an assertion (taken) for a token, or reports why there is none. */
static void post_assertion(az_credential *cr, cache_entry *e, int kind, int error, char *jwt,
                           az_diags *d)
{
	if (error) {
		kind_failed(cr, e, kind, error, d);
	} else {
		az_secret_remember(jwt);
		post_token_request(cr, e, kind, NULL, jwt);
	}
	wipe_free(jwt);
}

static int read_token_file(char **out, const char *path, az_diags *d)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		az_diag_add(d, AZ_SEV_ERROR, NULL, NULL, "cannot read the federated token file %s",
		            path);
		return AZ_EAUTH;
	}
	az_buf b = AZ_BUF_INIT;
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		az_buf_add(&b, chunk, n);
	fclose(f);
	/* A token file ends with a newline as often as not; the assertion is
	 * the token alone. */
	size_t len = b.len;
	while (len && (b.data[len - 1] == '\n' || b.data[len - 1] == '\r' || b.data[len - 1] == ' '))
		len--;
	if (!len) {
		az_buf_free(&b);
		az_diag_add(d, AZ_SEV_ERROR, NULL, NULL, "the federated token file %s is empty",
		            path);
		return AZ_EAUTH;
	}
	az_buf_truncate(&b, len);
	*out = az_buf_detach(&b);
	return 0;
}

static void on_github_token(void *ud, int err, const az_http_response *resp, az_diags *d)
{
	fetch_ctx *x = ud;
	az_credential *cr = x->cr;
	cache_entry *e = x->e;
	free(x);
	if (err) {
		kind_failed(cr, e, CRED_GITHUB, AZ_EAUTH, d);
		return;
	}
	json_t *body = az_http_response_json(resp);
	const char *jwt = json_string_value(json_object_get(body, "value"));
	if (!jwt) {
		az_diag_add(d, AZ_SEV_ERROR, NULL, NULL, "the GitHub OIDC answer has no \"value\"");
		json_decref(body);
		kind_failed(cr, e, CRED_GITHUB, AZ_EAUTH, d);
		return;
	}
	az_secret_remember(jwt);
	post_token_request(cr, e, CRED_GITHUB, NULL, jwt);
	json_decref(body);
}

/* The v1 "resource" of a scope, with its trailing slash: the audience the
 * token will carry, as IMDS and the CLI expect it. */
static char *resource_of(const char *scope)
{
	size_t n = strlen(scope);
	const char *suffix = ".default";
	if (n > strlen(suffix) && strcmp(scope + n - strlen(suffix), suffix) == 0)
		n -= strlen(suffix);
	return az_xstrndup(scope, n);
}

static void start_managed(az_credential *cr, cache_entry *e)
{
	char *resource = resource_of(e->scope);
	char *res = az_http_form_escape(resource);
	char *cid = cr->client_id ? az_http_form_escape(cr->client_id) : NULL;
	az_http_request *r;
	if (cr->identity_endpoint && cr->identity_header) {
		/* App Service / Functions: its own endpoint and secret header. */
		char *url = az_xasprintf("%s%sapi-version=2019-08-01&resource=%s%s%s",
		                         cr->identity_endpoint,
		                         strchr(cr->identity_endpoint, '?') ? "&" : "?", res,
		                         cid ? "&client_id=" : "", cid ? cid : "");
		r = az_http_request_new("GET", url);
		az_http_request_header(r, "X-IDENTITY-HEADER", cr->identity_header);
		free(url);
	} else {
		char *url = az_xasprintf("%s?api-version=2018-02-01&resource=%s%s%s",
		                         cr->cloud->managed_identity, res, cid ? "&client_id=" : "",
		                         cid ? cid : "");
		r = az_http_request_new("GET", url);
		az_http_request_header(r, "Metadata", "true");
		free(url);
		/* Off Azure nothing answers there: find out fast (azure-identity
		 * probes IMDS with a short timeout too). */
		if (cr->pinned < 0) {
			r->connect_timeout_ms = 1000;
			r->max_retries = cr->chosen == CRED_MANAGED ? -1 : 0;
		}
	}
	free(resource);
	free(res);
	free(cid);
	r->timeout_ms = az_http_timeout_for(cr->c, AZ_TIMEOUT_TOKEN);
	az_http_submit(cr->c, r, on_token_answer, ctx_new(cr, e, CRED_MANAGED));
}

static void start_kind(az_credential *cr, cache_entry *e, int kind)
{
	az_diags d = AZ_DIAGS_INIT;
	switch (kind) {
	case CRED_ENV:
		if (!cr->cert_mode) {
			post_token_request(cr, e, kind, cr->secret, NULL);
		} else {
			char *url = token_url(cr);
			char *jwt = NULL;
			int error = az_jwt_client_assertion(&jwt, cr->cert_path, cr->client_id, url,
			                                    az_http_now_ms(cr->c) / 1000, &d);
			free(url);
			post_assertion(cr, e, kind, error, jwt, &d);
		}
		break;
	case CRED_WORKLOAD: {
		/* Re-read on every request: the file is rotated under us. */
		char *jwt = NULL;
		int error = read_token_file(&jwt, cr->token_file, &d);
		post_assertion(cr, e, kind, error, jwt, &d);
		break;
	}
	case CRED_GITHUB: {
		char *url = az_xasprintf("%s%saudience=api%%3A%%2F%%2FAzureADTokenExchange",
		                         cr->gh_url, strchr(cr->gh_url, '?') ? "&" : "?");
		az_http_request *r = az_http_request_new("GET", url);
		char *auth = az_xasprintf("bearer %s", cr->gh_token);
		az_http_request_header(r, "Authorization", auth);
		wipe_free(auth);
		free(url);
		r->timeout_ms = az_http_timeout_for(cr->c, AZ_TIMEOUT_TOKEN);
		az_http_submit(cr->c, r, on_github_token, ctx_new(cr, e, kind));
		break;
	}
	case CRED_MANAGED: start_managed(cr, e); break;
	case CRED_CLI: {
		char *resource = resource_of(e->scope);
		char *token = NULL;
		int64_t exp = 0;
		int error =
		    az_cli_get_token(&token, &exp, resource, cr->tenant, cr->cli_timeout_s, &d);
		free(resource);
		if (error)
			kind_failed(cr, e, kind, error, &d);
		else
			got_token(cr, e, kind, token, exp);
		break;
	}
	}
	az_diags_clear(&d);
}

static void fetch_next(az_credential *cr, cache_entry *e)
{
	int kind = cr->pinned >= 0 ? cr->pinned : cr->chosen >= 0 ? cr->chosen : e->next_kind;
	while (kind < CRED_COUNT && !cr->configured[kind])
		kind++;
	if (kind >= CRED_COUNT) {
		kind_failed(cr, e, CRED_CLI, AZ_EAUTH, NULL);
		return;
	}
	e->next_kind = kind;
	e->aadsts = 0;
	e->transient = false;
	free(e->reason);
	e->reason = NULL;
	start_kind(cr, e, kind);
}

static cache_entry *cache_find(az_credential *cr, const char *scope)
{
	for (cache_entry *e = cr->cache; e; e = e->next)
		if (strcmp(e->scope, scope) == 0)
			return e;
	cache_entry *e = az_xcalloc(1, sizeof(*e));
	e->scope = az_xstrdup(scope);
	e->next = cr->cache;
	cr->cache = e;
	return e;
}

/* The az_token_source entry point. One tenant per credential, so the
 * cache key (tenant, scope) reduces to the scope. */
static void get_token(void *impl, az_http_client *c, const char *scope, const char *rejected,
                      az_token_done_fn cb, void *ud)
{
	az_credential *cr = impl;
	cr->c = c;
	cache_entry *e = cache_find(cr, scope);
	int64_t now = az_http_now_ms(c);
	bool force = rejected && e->token && strcmp(rejected, e->token) == 0;
	if (!force && !e->fetching && e->token && now < e->refresh_ms) {
		az_diags none = AZ_DIAGS_INIT;
		cb(ud, 0, e->token, &none);
		return;
	}
	int failed = e->failed ? e->failed : cr->failed;
	if (!e->fetching && failed) {
		/* Said once already, by the request that first waited for it,
		 * or kept for this one when none waited (a prefetch). */
		az_diags said = AZ_DIAGS_INIT;
		az_diags_move(&said, &cr->unsaid);
		cb(ud, failed, NULL, &said);
		az_diags_clear(&said);
		return;
	}
	waiter *w = az_xcalloc(1, sizeof(*w));
	w->cb = cb;
	w->ud = ud;
	if (e->waiters_tail)
		e->waiters_tail->next = w;
	else
		e->waiters = w;
	e->waiters_tail = w;
	if (e->fetching)
		return;
	e->prefetch = false;
	e->fetching = true;
	e->next_kind = 0;
	if (cr->chosen < 0 && sign_in_under_way(cr, e)) {
		e->deferred = true;
		return;
	}
	fetch_next(cr, e);
}

static void start_fetch(az_credential *cr, cache_entry *e)
{
	e->fetching = true;
	e->next_kind = 0;
	fetch_next(cr, e);
}

void az_credential_prefetch(az_credential *cred, az_http_client *c, const char *scope)
{
	cred->c = c;
	cache_entry *e = cache_find(cred, scope);
	if (e->fetching || e->token || e->failed || cred->failed)
		return;
	if (cred->chosen < 0)
		e->prefetch = true;
	else
		start_fetch(cred, e);
}

az_token_source az_credential_token_source(az_credential *cred)
{
	az_token_source s = {get_token, cred};
	return s;
}

/* ---- az auth ---- */

typedef struct describe_ctx {
	int pending;
	json_t *auds;
	json_t *claims;
	az_diags failure; /* the first audience's failure, said once */
} describe_ctx;

typedef struct describe_one {
	describe_ctx *ctx;
	json_t *entry;
} describe_one;

static void on_describe_token(void *ud, int err, const char *token, az_diags *d)
{
	describe_one *one = ud;
	if (err) {
		/* Only the first request to meet a failure is told what it was. */
		if (d && d->len && !one->ctx->failure.len)
			copy_diags(&one->ctx->failure, d);
		const az_diags *why = d && d->len ? d : &one->ctx->failure;
		json_object_set_new(one->entry, "error",
		                    json_string(why->len ? why->items[0].summary
		                                         : az_err_name(err)));
		if (why->len && why->items[0].detail)
			json_object_set_new(one->entry, "tried", json_string(why->items[0].detail));
	} else {
		json_t *claims = az_jwt_claims(token);
		json_t *exp = json_object_get(claims, "exp");
		if (json_is_integer(exp))
			json_object_set(one->entry, "expiresOn", exp);
		if (claims && !one->ctx->claims)
			one->ctx->claims = json_incref(claims);
		json_decref(claims);
	}
	one->ctx->pending--;
	free(one);
}

static bool describe_done(void *ud)
{
	return ((describe_ctx *)ud)->pending == 0;
}

int az_auth_describe(json_t **out, az_credential *cred, az_http_client *c, az_diags *d)
{
	static const az_service svcs[] = {AZ_SVC_ARM, AZ_SVC_GRAPH, AZ_SVC_SYNAPSE};
	describe_ctx ctx = {0, json_array(), NULL, AZ_DIAGS_INIT};
	for (size_t i = 0; i < sizeof(svcs) / sizeof(svcs[0]); i++) {
		char *scope = az_cloud_scope(cred->cloud, svcs[i]);
		if (!scope)
			continue;
		describe_one *one = az_xcalloc(1, sizeof(*one));
		one->ctx = &ctx;
		one->entry = json_pack("{s:s, s:s}", "service", az_service_name(svcs[i]),
		                       "audience", az_cloud_audience(cred->cloud, svcs[i]));
		json_array_append_new(ctx.auds, one->entry);
		ctx.pending++;
		get_token(cred, c, scope, NULL, on_describe_token, one);
		free(scope);
		/* One at a time: the first settles which credential the chain uses. */
		az_http_run_until(c, describe_done, &ctx);
	}
	json_t *res = json_object();
	json_object_set_new(res, "cloud", json_string(cred->cloud->name));
	if (cred->chosen >= 0) {
		const char *how = cred->chosen == CRED_ENV
		                      ? (cred->cert_mode ? "environment (client certificate)"
		                                         : "environment (client secret)")
		                      : kind_titles[cred->chosen];
		json_object_set_new(res, "credential", json_string(how));
	} else {
		json_object_set_new(res, "credential", json_null());
	}
	json_t *skipped = json_array();
	for (int i = 0; i < CRED_COUNT; i++)
		if (cred->not_configured[i] && (cred->chosen < 0 || i < cred->chosen))
			json_array_append_new(skipped,
			                      json_pack("{s:s, s:s}", "credential", kind_titles[i],
			                                "reason", cred->not_configured[i]));
	json_object_set_new(res, "notConfigured", skipped);
	const char *tid = json_string_value(json_object_get(ctx.claims, "tid"));
	json_object_set_new(res, "tenant",
	                    tid            ? json_string(tid)
	                    : cred->tenant ? json_string(cred->tenant)
	                                   : json_null());
	json_t *ident = json_object();
	static const char *const keys[] = {"oid", "appid",       "azp",
	                                   "upn", "unique_name", "xms_mirid"};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		json_t *v = json_object_get(ctx.claims, keys[i]);
		if (json_is_string(v))
			json_object_set(ident, keys[i], v);
	}
	if (cred->client_id && !json_object_get(ident, "appid"))
		json_object_set_new(ident, "clientId", json_string(cred->client_id));
	json_object_set_new(res, "identity", ident);
	json_object_set_new(res, "audiences", ctx.auds);
	json_decref(ctx.claims);
	*out = res;
	if (cred->chosen >= 0) {
		az_diags_clear(&ctx.failure);
		return 0;
	}
	/* No token at all: `auth` must say why, not only exit 1. */
	az_diags_move(d, &ctx.failure);
	return cred->failed ? cred->failed : AZ_EAUTH;
}
