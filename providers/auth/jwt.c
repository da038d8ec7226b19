/*
 * jwt.c - the JSON Web Token pieces credentials need: a certificate client
 * assertion signed locally with OpenSSL, and reading a token's claims to
 * describe the identity (tenant, object id, expiry) without showing it.
 *
 * Entra accepts a certificate credential as an RS256 JWT whose header names
 * the certificate by x5t, the base64url SHA-1 thumbprint of its DER form,
 * with aud = the token endpoint and iss = sub = the client id.
 */
#include "auth/auth.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <uuid/uuid.h>

char *az_base64url(const unsigned char *data, size_t len)
{
	static const char tbl[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	az_buf b = AZ_BUF_INIT;
	az_buf_grow(&b, len * 4 / 3 + 4);
	size_t i = 0;
	for (; i + 2 < len; i += 3) {
		unsigned v = (unsigned)data[i] << 16 | (unsigned)data[i + 1] << 8 | data[i + 2];
		az_buf_putc(&b, tbl[v >> 18 & 63]);
		az_buf_putc(&b, tbl[v >> 12 & 63]);
		az_buf_putc(&b, tbl[v >> 6 & 63]);
		az_buf_putc(&b, tbl[v & 63]);
	}
	if (i < len) {
		unsigned v =
		    (unsigned)data[i] << 16 | (i + 1 < len ? (unsigned)data[i + 1] << 8 : 0);
		az_buf_putc(&b, tbl[v >> 18 & 63]);
		az_buf_putc(&b, tbl[v >> 12 & 63]);
		if (i + 1 < len)
			az_buf_putc(&b, tbl[v >> 6 & 63]);
	}
	return az_buf_detach(&b);
}

static int b64url_value(char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '-' || ch == '+')
		return 62;
	if (ch == '_' || ch == '/')
		return 63;
	return -1;
}

static int base64url_decode(az_buf *out, const char *s, size_t len)
{
	unsigned acc = 0;
	int bits = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '=')
			break;
		int v = b64url_value(s[i]);
		if (v < 0)
			return AZ_EINVALID;
		acc = acc << 6 | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			az_buf_putc(out, (char)(acc >> bits & 0xff));
		}
	}
	return 0;
}

json_t *az_jwt_claims(const char *jwt)
{
	const char *dot1 = jwt ? strchr(jwt, '.') : NULL;
	const char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
	if (!dot2)
		return NULL;
	az_buf b = AZ_BUF_INIT;
	json_t *claims = NULL;
	if (base64url_decode(&b, dot1 + 1, (size_t)(dot2 - dot1 - 1)) == 0 && b.len)
		claims = az_json_loadb(b.data, b.len, 0, NULL);
	az_buf_free(&b);
	if (claims && !json_is_object(claims)) {
		json_decref(claims);
		claims = NULL;
	}
	return claims;
}

static char *b64url_json(json_t *obj)
{
	char *text = az_json_dumps(obj, JSON_COMPACT);
	char *enc = az_base64url((const unsigned char *)text, strlen(text));
	free(text);
	return enc;
}

static int read_pem(az_buf *out, const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		az_buf_add(out, chunk, n);
	memset(chunk, 0, sizeof(chunk));
	fclose(f);
	return out->len ? 0 : -1;
}

/* The private key is a secret like the client secret: its base64 lines are
 * remembered, so that nothing which happens to echo the file prints them. */
static void remember_key_lines(const char *pem)
{
	const char *begin = strstr(pem, "PRIVATE KEY-----");
	const char *end = begin ? strstr(begin, "-----END") : NULL;
	if (!end)
		return;
	const char *line = strchr(begin, '\n');
	while (line && line < end) {
		line++;
		size_t n = strcspn(line, "\r\n");
		if (line + n <= end && n) {
			char *text = az_xstrndup(line, n);
			az_secret_remember(text);
			memset(text, 0, n);
			free(text);
		}
		line = strchr(line, '\n');
	}
}

int az_jwt_client_assertion(char **out, const char *pem_path, const char *client_id,
                            const char *audience, int64_t now_s, az_diags *d)
{
	int error = 0;
	X509 *cert = NULL;
	EVP_PKEY *key = NULL;
	EVP_MD_CTX *md = NULL;
	unsigned char *sig = NULL;
	char *head = NULL, *body = NULL, *input = NULL, *sig64 = NULL;
	json_t *hdr = NULL, *claims = NULL;
	az_buf pem = AZ_BUF_INIT;
	if (read_pem(&pem, pem_path) == 0) {
		remember_key_lines(pem.data);
		BIO *bio = BIO_new_mem_buf(pem.data, (int)pem.len);
		cert = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
		BIO_free(bio);
		bio = BIO_new_mem_buf(pem.data, (int)pem.len);
		key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
		BIO_free(bio);
	}
	if (!cert || !key) {
		az_diag *diag = az_diag_add(d, AZ_SEV_ERROR, NULL, NULL,
		                            "cannot use the client certificate %s", pem_path);
		az_diag_set_detail(diag, "AZURE_CLIENT_CERTIFICATE_PATH must name a PEM file with "
		                         "the certificate and its unencrypted private key");
		error = AZ_EAUTH;
		goto done;
	}
	unsigned char thumb[EVP_MAX_MD_SIZE];
	unsigned int tlen = 0;
	X509_digest(cert, EVP_sha1(), thumb, &tlen);
	char *x5t = az_base64url(thumb, tlen);
	hdr = json_pack("{s:s, s:s, s:s}", "alg", "RS256", "typ", "JWT", "x5t", x5t);
	free(x5t);
	uuid_t u;
	char jti[37];
	uuid_generate_random(u);
	uuid_unparse_lower(u, jti);
	/* Ten minutes: long enough for clock skew, short if it leaks. */
	claims = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I}", "aud", audience, "iss", client_id,
	                   "sub", client_id, "jti", jti, "nbf", (json_int_t)now_s, "iat",
	                   (json_int_t)now_s, "exp", (json_int_t)(now_s + 600));
	head = b64url_json(hdr);
	body = b64url_json(claims);
	input = az_xasprintf("%s.%s", head, body);
	md = EVP_MD_CTX_new();
	size_t slen = 0;
	if (!md || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(md, NULL, &slen, (const unsigned char *)input, strlen(input)) != 1) {
		az_diag_add(d, AZ_SEV_ERROR, NULL, NULL,
		            "cannot sign with the key in %s (an RSA key is needed)", pem_path);
		error = AZ_EAUTH;
		goto done;
	}
	sig = az_xmalloc(slen);
	if (EVP_DigestSign(md, sig, &slen, (const unsigned char *)input, strlen(input)) != 1) {
		az_diag_add(d, AZ_SEV_ERROR, NULL, NULL, "signing the client assertion failed");
		error = AZ_EAUTH;
		goto done;
	}
	sig64 = az_base64url(sig, slen);
	*out = az_xasprintf("%s.%s", input, sig64);
done:
	if (pem.data)
		memset(pem.data, 0, pem.len);
	az_buf_free(&pem);
	free(sig);
	free(sig64);
	free(head);
	free(body);
	free(input);
	json_decref(hdr);
	json_decref(claims);
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(key);
	X509_free(cert);
	return error;
}
