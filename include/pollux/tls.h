/* tls.h - the OpenSSL context: TLS 1.2+, the certificate (loaded, or
 * generated once in the certs folder), SNI checks. */
#ifndef POLLUX_TLS_H
#define POLLUX_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>

#include "config.h"

/* Builds the server context; generates certs/DIR key and certificate for
 * cfg's hostnames when no --cert/--key are given and none exist yet. A key
 * file other users may read or write (mode & 007) is refused. Prints the
 * certificate's SHA-256 fingerprint. previous, the context this one will
 * replace (or NULL), passes on the sessions it keeps. NULL on failure
 * (logged). */
SSL_CTX *tls_context_new(const struct config *cfg, SSL_CTX *previous);

/* Checks an OpenSSL cipher list as --ciphers (TLS 1.2: every name known,
 * ECDHE with AEAD suites only) or, when tls13, --ciphersuites. Returns 0,
 * or -1 with why (whylen bytes) saying what is wrong. */
int tls_check_ciphers(const char *list, bool tls13, char *why,
    size_t whylen);

#endif
