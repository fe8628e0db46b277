/* tickets.h - the keys that encrypt TLS session tickets: key files several
 * instances share (nginx's ssl_session_ticket_key layout), so that each
 * resumes the others' sessions. One instance alone keeps its sessions
 * instead (sessions.h). */
#ifndef POLLUX_TICKETS_H
#define POLLUX_TICKETS_H

#include <stddef.h>

#include <openssl/ssl.h>

#define TICKET_KEY_FILES_MAX 8

/* Loads each of the 1 to TICKET_KEY_FILES_MAX files (80 bytes: name 16,
 * HMAC-SHA256 secret 32, AES-256 key 32); the first encrypts new tickets,
 * all of them decrypt. A file other users may read or write is refused.
 * Then ctx uses the keys (they live as long as it). Returns 0, or -1
 * after saying why. */
int tickets_attach(SSL_CTX *ctx, const char *const *files, size_t nfiles);

#endif
