/*
 * tls.c - the emulator's certificate authority and server certificate.
 *
 * Both are made fresh at every start with OpenSSL (P-256 keys: fast to
 * generate even under sanitizers) and handed to libmicrohttpd as PEM in
 * memory. The server certificate names localhost, *.localhost,
 * *.dev.localhost and 127.0.0.1, so one listener can stand in for
 * management.localhost, login.localhost, graph.localhost and every
 * {workspace}.dev.localhost with full certificate verification on the
 * client side. OpenSSL refuses a wildcard with a single label after it
 * (*.localhost), so the fixed host names are listed one by one too. The CA PEM is written next to the cloud configuration.
 */
#include "emu.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

static EVP_PKEY *new_key(void)
{
	return EVP_EC_gen("P-256");
}

static char *bio_to_string(BIO *bio)
{
	char *data = NULL;
	long n = BIO_get_mem_data(bio, &data);
	return az_xstrndup(data, n > 0 ? (size_t)n : 0);
}

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!ext)
		return -1;
	int ok = X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : -1;
}

static X509 *make_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key,
		       long serial)
{
	X509 *cert = X509_new();
	X509_set_version(cert, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(cert), serial);
	X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
	X509_gmtime_adj(X509_getm_notAfter(cert), 60L * 60 * 24 * 30);
	X509_set_pubkey(cert, key);
	X509_NAME *name = X509_get_subject_name(cert);
	X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"azapply emulator",
				   -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(cert, issuer ? X509_get_subject_name(issuer) : name);
	X509 *ext_issuer = issuer ? issuer : cert;
	int error = 0;
	if (!issuer) {
		error |= add_ext(cert, ext_issuer, NID_basic_constraints, "critical,CA:TRUE");
		error |= add_ext(cert, ext_issuer, NID_key_usage, "critical,keyCertSign,cRLSign");
		error |= add_ext(cert, ext_issuer, NID_subject_key_identifier, "hash");
	} else {
		error |= add_ext(cert, ext_issuer, NID_basic_constraints, "critical,CA:FALSE");
		error |= add_ext(cert, ext_issuer, NID_key_usage,
				 "critical,digitalSignature,keyEncipherment");
		error |= add_ext(cert, ext_issuer, NID_ext_key_usage, "serverAuth");
		error |= add_ext(cert, ext_issuer, NID_subject_alt_name,
				 "DNS:localhost,DNS:*.localhost,DNS:*.dev.localhost,"
				 "DNS:management.localhost,DNS:login.localhost,"
				 "DNS:graph.localhost,DNS:imds.localhost,IP:127.0.0.1");
		error |= add_ext(cert, ext_issuer, NID_authority_key_identifier, "keyid:always");
	}
	if (error || !X509_sign(cert, issuer_key, EVP_sha256())) {
		X509_free(cert);
		return NULL;
	}
	return cert;
}

int emu_tls_generate(emu_server *s)
{
	int error = -1;
	EVP_PKEY *ca_key = new_key(), *srv_key = new_key();
	X509 *ca = NULL, *srv = NULL;
	BIO *b1 = BIO_new(BIO_s_mem()), *b2 = BIO_new(BIO_s_mem()), *b3 = BIO_new(BIO_s_mem());
	if (!ca_key || !srv_key)
		goto done;
	ca = make_cert(ca_key, "azapply emulator CA", NULL, ca_key, 1);
	if (!ca)
		goto done;
	srv = make_cert(srv_key, "localhost", ca, ca_key, 2);
	if (!srv)
		goto done;
	if (!PEM_write_bio_X509(b1, ca) || !PEM_write_bio_X509(b2, srv) ||
	    !PEM_write_bio_PrivateKey(b3, srv_key, NULL, NULL, 0, NULL, NULL))
		goto done;
	s->ca_pem = bio_to_string(b1);
	s->cert_pem = bio_to_string(b2);
	s->key_pem = bio_to_string(b3);
	error = 0;
done:
	BIO_free(b1);
	BIO_free(b2);
	BIO_free(b3);
	X509_free(ca);
	X509_free(srv);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(srv_key);
	return error;
}
