/*
 * test_cert.h - a throwaway RSA key and self-signed certificate for the
 * certificate credential tests, written as one PEM file (cert then key),
 * the shape AZURE_CLIENT_CERTIFICATE_PATH takes.
 */
#ifndef AZAPPLY_TEST_CERT_H
#define AZAPPLY_TEST_CERT_H

#include <openssl/evp.h>
#include <openssl/x509.h>

/* Writes `path`; the caller frees *key and *cert. */
void test_make_cert(const char *path, EVP_PKEY **key, X509 **cert);
/* The PEM text of the certificate alone (malloc'd). */
char *test_cert_pem(X509 *cert);

#endif
