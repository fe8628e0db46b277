/* tlsio.h - one connection's TLS without a socket of its own: OpenSSL
 * reads the ciphertext the connection has just read, and writes records
 * into one buffer of bounded size, which the connection sends. */
#ifndef POLLUX_TLSIO_H
#define POLLUX_TLSIO_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>

/* The plaintext of one record. */
#define TLSIO_RECORD_MAX 16384
/* What a record adds to its plaintext, at most, with the suites offered
 * (TLS 1.2 GCM: 29 bytes; TLS 1.3: 22), rounded up. */
#define TLSIO_RECORD_OVERHEAD 64
/* The ciphertext a connection holds at most: four full records. */
#define TLSIO_OUT_MAX (4 * (TLSIO_RECORD_MAX + TLSIO_RECORD_OVERHEAD))

enum tlsio_rc {
	TLSIO_OK,
	TLSIO_WANT_READ,    /* the input lent is used up */
	TLSIO_WANT_WRITE,   /* the buffer is full or being written: send it */
	TLSIO_CLOSED,       /* the client sent close_notify */
	TLSIO_ERROR,        /* the connection is over (an alert may wait) */
};

struct tlsio;

/* A server-side connection on ctx; NULL when OpenSSL cannot make one. */
struct tlsio *tlsio_new(SSL_CTX *ctx);
void tlsio_free(struct tlsio *t);

/* Lends data[0..n) to the calls that follow; what they leave unread is
 * dropped by the next tlsio_input, or kept by tlsio_keep_input. */
void tlsio_input(struct tlsio *t, const char *data, size_t n);
/* Copies what is left of the input lent, for a call after the lender's
 * buffer has gone; true when there was any. */
bool tlsio_keep_input(struct tlsio *t);

/* Each clears OpenSSL's error queue first, so that one connection's
 * failure never reads as another's. */
enum tlsio_rc tlsio_handshake(struct tlsio *t);
/* Plaintext into buf[0..cap), cap > 0; *n is set on TLSIO_OK. */
enum tlsio_rc tlsio_read(struct tlsio *t, char *buf, size_t cap, size_t *n);
/* data[0..n), n <= TLSIO_RECORD_MAX, as one record: TLSIO_WANT_WRITE
 * when the buffer has no room for it (call again with the same n). */
enum tlsio_rc tlsio_write(struct tlsio *t, const char *data, size_t n);
bool tlsio_room(const struct tlsio *t, size_t n);
/* Writes close_notify; TLSIO_OK once it is in the buffer. */
enum tlsio_rc tlsio_close_notify(struct tlsio *t);

/* Sizes the buffer for n more bytes of records (up to the bound). */
void tlsio_reserve(struct tlsio *t, size_t n);
/* The ciphertext to send; while it is being sent (busy), nothing is added
 * to it, and tlsio_out_done(t) empties it once it has gone. */
const char *tlsio_out(const struct tlsio *t, size_t *len);
void tlsio_out_busy(struct tlsio *t);
void tlsio_out_done(struct tlsio *t);
/* Bytes allocated for ciphertext (and input kept), for the stats. */
size_t tlsio_held(const struct tlsio *t);

#endif
