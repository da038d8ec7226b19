/*
 * test_support.h - what the credential tests share: a throwaway RSA key
 * and self-signed certificate written as one PEM file (cert then key, the
 * shape AZURE_CLIENT_CERTIFICATE_PATH takes), and a clean environment so
 * credentials of the machine running the tests never leak into them.
 */
#ifndef AZAPPLY_TEST_SUPPORT_H
#define AZAPPLY_TEST_SUPPORT_H

#include <openssl/evp.h>
#include <openssl/x509.h>

/* Writes `path`; the caller frees *key and *cert. */
void test_make_cert(const char *path, EVP_PKEY **key, X509 **cert);
/* The PEM text of the certificate alone (malloc'd). */
char *test_cert_pem(X509 *cert);
/* Unsets every variable the credential chain and the trace read. */
void test_clear_azure_env(void);

#endif
