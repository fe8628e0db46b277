/* tickets.h - the keys that encrypt TLS session tickets: shared key files
 * (nginx's ssl_session_ticket_key layout), so instances resume each
 * other's sessions, or a random key per process that rotates. */
#ifndef POLLUX_TICKETS_H
#define POLLUX_TICKETS_H

#include <stddef.h>

#include <openssl/ssl.h>

#define TICKET_KEY_FILES_MAX 8
#define TICKET_ROTATE_SECONDS (4 * 3600) /* a random key's lifetime */

/* Loads each file (80 bytes: name 16, HMAC-SHA256 secret 32, AES-256 key
 * 32); the first encrypts new tickets, all of them decrypt. A file other
 * users may read or write is refused. With nfiles 0, one random key is
 * made instead and replaced every TICKET_ROTATE_SECONDS, the previous
 * one still decrypting. Then ctx uses the keys (they live as long as it).
 * Returns 0, or -1 after saying why. */
int tickets_attach(SSL_CTX *ctx, const char *const *files, size_t nfiles);

#endif
