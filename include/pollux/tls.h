/* tls.h - the OpenSSL context: TLS 1.2+, the certificate (loaded, or
 * generated once in the certs folder), SNI checks. */
#ifndef POLLUX_TLS_H
#define POLLUX_TLS_H

#include <openssl/ssl.h>

#include "config.h"

/* Builds the server context; generates certs/DIR key and certificate for
 * cfg's hostnames when no --cert/--key are given and none exist yet. Prints
 * the certificate's SHA-256 fingerprint. NULL on failure (logged). */
SSL_CTX *tls_context_new(const struct config *cfg);

#endif
