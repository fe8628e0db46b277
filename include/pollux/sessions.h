/* sessions.h - TLS sessions kept by the server, for an instance that
 * shares no ticket key: a returning client names its session instead of
 * bringing it encrypted, which spares OpenSSL the ticket's encoding,
 * decoding and ciphers on every connection. */
#ifndef POLLUX_SESSIONS_H
#define POLLUX_SESSIONS_H

#include <stddef.h>

#include <openssl/ssl.h>

/* Slots of the table, and so the most sessions kept: a new session takes
 * its slot from whichever was there (about 1 KiB each). */
#define SESSIONS_SLOTS 4096

/* ctx keeps its sessions in a table, freed with the last context that
 * uses it: previous's, when ctx replaces a context that has one (a reload
 * keeps every session), or else a table of its own. A TLS 1.3 session is
 * good once: the resumption's new session replaces it. A TLS 1.2 session
 * stays for the client to use again. Returns 0, or -1 after saying
 * why. */
int sessions_attach(SSL_CTX *ctx, SSL_CTX *previous);

/* How many sessions ctx keeps; 0 for a context without the table. */
size_t sessions_count(SSL_CTX *ctx);

#endif
