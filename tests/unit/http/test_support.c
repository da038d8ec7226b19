/*
 * test_support.c - see test_support.h.
 */
#include "test_support.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/pem.h>

void test_make_cert(const char *path, EVP_PKEY **key_out, X509 **cert_out)
{
	EVP_PKEY *key = EVP_RSA_gen(2048);
	assert_non_null(key);
	X509 *cert = X509_new();
	X509_set_version(cert, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
	X509_gmtime_adj(X509_getm_notBefore(cert), 0);
	X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
	X509_set_pubkey(cert, key);
	X509_NAME *name = X509_get_subject_name(cert);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"azapply-test",
	                           -1, -1, 0);
	X509_set_issuer_name(cert, name);
	assert_true(X509_sign(cert, key, EVP_sha256()) > 0);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	PEM_write_X509(f, cert);
	PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
	fclose(f);
	*key_out = key;
	*cert_out = cert;
}

char *test_cert_pem(X509 *cert)
{
	BIO *b = BIO_new(BIO_s_mem());
	PEM_write_bio_X509(b, cert);
	char *data = NULL;
	long n = BIO_get_mem_data(b, &data);
	char *copy = malloc((size_t)n + 1);
	assert_non_null(copy);
	memcpy(copy, data, (size_t)n);
	copy[n] = '\0';
	BIO_free(b);
	return copy;
}

void test_clear_azure_env(void)
{
	static const char *const names[] = {"AZURE_TENANT_ID",
	                                    "AZURE_CLIENT_ID",
	                                    "AZURE_CLIENT_SECRET",
	                                    "AZURE_CLIENT_CERTIFICATE_PATH",
	                                    "AZURE_FEDERATED_TOKEN_FILE",
	                                    "ACTIONS_ID_TOKEN_REQUEST_URL",
	                                    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
	                                    "IDENTITY_ENDPOINT",
	                                    "IDENTITY_HEADER",
	                                    "AZAPPLY_AUTH",
	                                    "AZAPPLY_LOG"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		unsetenv(names[i]);
}
