/* tlsio.c - TLS through a BIO of our own instead of two memory BIOs:
 * reads take ciphertext straight from the connection's last read, and
 * records go into one buffer that grows to TLSIO_OUT_MAX and no further,
 * so that a client that stops reading holds that much and no more. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include <openssl/bio.h>
#include <openssl/err.h>

#include "pollux/tlsio.h"
#include "pollux/util.h"

#define OUT_START 4096      /* a handshake flight with one certificate */

struct tlsio {
	SSL *ssl;                    /* owns the BIO */
	const char *in;              /* input lent, or kept */
	size_t in_len;
	char *kept;                  /* tlsio_keep_input's copy */
	size_t kept_size;
	char *out;                   /* records to send */
	size_t out_len, out_cap;
	bool busy;                   /* out is being written */
};

static BIO_METHOD *method;

/* Whether p points into the copy tlsio_keep_input made. */
static bool in_kept(const struct tlsio *t, const char *p)
{
	uintptr_t a = (uintptr_t)p, k = (uintptr_t)t->kept;
	return t->kept && a >= k && a < k + t->kept_size;
}
static uv_once_t method_once = UV_ONCE_INIT;

/* All or nothing: OpenSSL keeps a record it could not hand over and
 * offers it again, so a partial copy would only complicate the count. */
static int bio_write(BIO *b, const char *data, int len)
{
	struct tlsio *t = BIO_get_data(b);
	size_t n = (size_t)len;
	BIO_clear_retry_flags(b);
	if (t->busy || t->out_len + n > TLSIO_OUT_MAX) {
		BIO_set_retry_write(b);
		return -1;
	}
	if (t->out_len + n > t->out_cap) {
		size_t cap = t->out_cap ? t->out_cap : OUT_START;
		while (cap < t->out_len + n)
			cap *= 2;
		if (cap > TLSIO_OUT_MAX)
			cap = TLSIO_OUT_MAX;
		t->out = xrealloc(t->out, cap);
		t->out_cap = cap;
	}
	memcpy(t->out + t->out_len, data, n);
	t->out_len += n;
	return len;
}

static int bio_read(BIO *b, char *buf, int len)
{
	struct tlsio *t = BIO_get_data(b);
	BIO_clear_retry_flags(b);
	if (!t->in_len) {
		BIO_set_retry_read(b);   /* more from the socket, not an end */
		return -1;
	}
	size_t n = (size_t)len < t->in_len ? (size_t)len : t->in_len;
	memcpy(buf, t->in, n);
	t->in += n;
	t->in_len -= n;
	return (int)n;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)b, (void)num, (void)ptr;
	/* A flush is a no-op: the connection sends out when it is told. */
	return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static int bio_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

static void make_method(void)
{
	method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK,
	    "pollux connection");
	if (method && (!BIO_meth_set_write(method, bio_write) ||
	    !BIO_meth_set_read(method, bio_read) ||
	    !BIO_meth_set_ctrl(method, bio_ctrl) ||
	    !BIO_meth_set_create(method, bio_create))) {
		BIO_meth_free(method);
		method = NULL;
	}
}

struct tlsio *tlsio_new(SSL_CTX *ctx)
{
	uv_once(&method_once, make_method);
	if (!method)
		return NULL;
	struct tlsio *t = xcalloc(1, sizeof *t);
	BIO *bio = NULL;
	ERR_clear_error();
	if (!(t->ssl = SSL_new(ctx)) || !(bio = BIO_new(method))) {
		ERR_clear_error();
		SSL_free(t->ssl);
		free(t);
		return NULL;
	}
	BIO_set_data(bio, t);
	SSL_set_bio(t->ssl, bio, bio);
	/* The record offered again after a full buffer is rebuilt from the
	 * same bytes, not necessarily at the same address. */
	SSL_set_mode(t->ssl, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_set_accept_state(t->ssl);
	return t;
}

void tlsio_free(struct tlsio *t)
{
	if (!t)
		return;
	SSL_free(t->ssl);
	free(t->kept);
	free(t->out);
	free(t);
}

void tlsio_input(struct tlsio *t, const char *data, size_t n)
{
	if (t->kept && !in_kept(t, data)) {
		free(t->kept);
		t->kept = NULL;
		t->kept_size = 0;
	}
	t->in = data;
	t->in_len = n;
}

bool tlsio_keep_input(struct tlsio *t)
{
	if (!t->in_len)
		return false;
	if (!in_kept(t, t->in)) {
		char *copy = xmalloc(t->in_len);
		memcpy(copy, t->in, t->in_len);
		free(t->kept);
		t->kept = copy;
		t->kept_size = t->in_len;
		t->in = copy;
	}
	return true;
}

static enum tlsio_rc result(struct tlsio *t, int rc)
{
	switch (SSL_get_error(t->ssl, rc)) {
	case SSL_ERROR_WANT_READ:
		return TLSIO_WANT_READ;
	case SSL_ERROR_WANT_WRITE:
		return TLSIO_WANT_WRITE;
	case SSL_ERROR_ZERO_RETURN:
		return TLSIO_CLOSED;
	default:
		ERR_clear_error();
		return TLSIO_ERROR;
	}
}

enum tlsio_rc tlsio_handshake(struct tlsio *t)
{
	ERR_clear_error();
	int rc = SSL_do_handshake(t->ssl);
	return rc == 1 ? TLSIO_OK : result(t, rc);
}

enum tlsio_rc tlsio_read(struct tlsio *t, char *buf, size_t cap, size_t *n)
{
	ERR_clear_error();
	int rc = SSL_read_ex(t->ssl, buf, cap, n);
	return rc == 1 ? TLSIO_OK : result(t, rc);
}

bool tlsio_room(const struct tlsio *t, size_t n)
{
	return !t->busy &&
	    t->out_len + n + TLSIO_RECORD_OVERHEAD <= TLSIO_OUT_MAX;
}

enum tlsio_rc tlsio_write(struct tlsio *t, const char *data, size_t n)
{
	if (!tlsio_room(t, n))
		return TLSIO_WANT_WRITE;
	size_t written;
	ERR_clear_error();
	int rc = SSL_write_ex(t->ssl, data, n, &written);
	return rc == 1 ? TLSIO_OK : result(t, rc);
}

enum tlsio_rc tlsio_close_notify(struct tlsio *t)
{
	if (!tlsio_room(t, 0))
		return TLSIO_WANT_WRITE;
	ERR_clear_error();
	int rc = SSL_shutdown(t->ssl);
	/* 0: ours is sent and the client's not yet seen, which is all a
	 * server that closes next needs. */
	return rc >= 0 ? TLSIO_OK : result(t, rc);
}

void tlsio_reserve(struct tlsio *t, size_t n)
{
	if (t->busy)
		return;
	n += t->out_len;
	if (n > TLSIO_OUT_MAX)
		n = TLSIO_OUT_MAX;
	if (n > t->out_cap) {
		t->out = xrealloc(t->out, n);
		t->out_cap = n;
	}
}

const char *tlsio_out(const struct tlsio *t, size_t *len)
{
	*len = t->out_len;
	return t->out;
}

void tlsio_out_busy(struct tlsio *t)
{
	t->busy = true;
}

void tlsio_out_done(struct tlsio *t)
{
	t->busy = false;
	t->out_len = 0;
}

size_t tlsio_held(const struct tlsio *t)
{
	return t ? t->out_cap + t->kept_size : 0;
}
