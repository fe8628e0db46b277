/* sessions.c - the server-side session table behind OpenSSL's external
 * cache callbacks. A session ID is random, so its bytes pick its slot and
 * one slot holds one session: no lists to walk or expire, and a table
 * that never grows. A session whose slot is taken by a newer one, or that
 * outlived its timeout (OpenSSL checks), costs its client one full
 * handshake, nothing more. */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pollux/log.h"
#include "pollux/sessions.h"
#include "pollux/util.h"

/* Shared by a context and those that replace it on reloads; the
 * callbacks run on every worker's thread. */
struct sessions {
	pthread_mutex_t lock;
	unsigned refs;             /* contexts using the table */
	size_t count;
	SSL_SESSION *slot[SESSIONS_SLOTS];
};

static int ex_index = -1;        /* SSL_CTX: its table */
static int used_index = -1;      /* SSL: the TLS 1.3 session it resumes */
static pthread_once_t ex_once = PTHREAD_ONCE_INIT;

static void free_table(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx,
    long argl, void *argp)
{
	(void)parent, (void)ad, (void)idx, (void)argl, (void)argp;
	struct sessions *t = ptr;
	if (!t)
		return;
	pthread_mutex_lock(&t->lock);
	bool last = --t->refs == 0;
	pthread_mutex_unlock(&t->lock);
	if (!last)
		return;
	for (size_t i = 0; i < SESSIONS_SLOTS; i++)
		SSL_SESSION_free(t->slot[i]);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

static void free_used(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx,
    long argl, void *argp)
{
	(void)parent, (void)ad, (void)idx, (void)argl, (void)argp;
	SSL_SESSION_free(ptr);
}

static void make_index(void)
{
	ex_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, free_table);
	used_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, free_used);
}

static struct sessions *table_of(SSL_CTX *ctx)
{
	return ex_index < 0 ? NULL : SSL_CTX_get_ex_data(ctx, ex_index);
}

/* FNV-1a: our IDs are random, but a TLS 1.2 client may ask for any. */
static size_t slot_of(const unsigned char *id, size_t len)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < len; i++)
		h = (h ^ id[i]) * 16777619u;
	return h % SESSIONS_SLOTS;
}

static bool is(SSL_SESSION *s, const unsigned char *id, size_t len)
{
	unsigned n;
	const unsigned char *own = SSL_SESSION_get_id(s, &n);
	return n == len && memcmp(own, id, len) == 0;
}

static SSL_SESSION **slot_for(struct sessions *t, SSL_SESSION *s)
{
	unsigned len;
	const unsigned char *id = SSL_SESSION_get_id(s, &len);
	return &t->slot[slot_of(id, len)];
}

/* Takes s out of the table if it is still there; returns the table's
 * reference, for the caller to free outside the lock. Locked. */
static SSL_SESSION *take_out(struct sessions *t, SSL_SESSION *s)
{
	SSL_SESSION **slot = s ? slot_for(t, s) : NULL;
	if (!slot || *slot != s)
		return NULL;
	*slot = NULL;
	t->count--;
	return s;
}

/* OpenSSL hands us a reference to a session it made; we keep it. A TLS
 * 1.3 resumption makes one to replace the session it used, which goes:
 * a ticket is good once, and a client that kept it would only replay
 * it. */
static int new_session(SSL *ssl, SSL_SESSION *sess)
{
	struct sessions *t = table_of(SSL_get_SSL_CTX(ssl));
	SSL_SESSION *used = SSL_get_ex_data(ssl, used_index);
	SSL_set_ex_data(ssl, used_index, NULL);
	pthread_mutex_lock(&t->lock);
	SSL_SESSION *gone = take_out(t, used);
	SSL_SESSION **slot = slot_for(t, sess);
	SSL_SESSION *old = *slot;
	*slot = sess;
	t->count += !old;
	pthread_mutex_unlock(&t->lock);
	SSL_SESSION_free(gone);
	SSL_SESSION_free(used);
	SSL_SESSION_free(old);
	return 1;
}

/* The reference returned is the caller's (copy 0), taken under the lock,
 * before another thread can free the session by taking its slot. A TLS
 * 1.3 session stays in the table until the resumption's new one replaces
 * it: after a HelloRetryRequest the client's second hello asks again,
 * and a connection that fails leaves the client its session. */
static SSL_SESSION *get_session(SSL *ssl, const unsigned char *id, int len,
    int *copy)
{
	struct sessions *t = table_of(SSL_get_SSL_CTX(ssl));
	*copy = 0;
	if (len <= 0)
		return NULL;
	pthread_mutex_lock(&t->lock);
	SSL_SESSION *s = t->slot[slot_of(id, (size_t)len)];
	if (s && is(s, id, (size_t)len))
		SSL_SESSION_up_ref(s);
	else
		s = NULL;
	pthread_mutex_unlock(&t->lock);
	if (s && SSL_version(ssl) >= TLS1_3_VERSION) {
		SSL_SESSION *asked = SSL_get_ex_data(ssl, used_index);
		SSL_SESSION_up_ref(s);
		if (!SSL_set_ex_data(ssl, used_index, s))
			SSL_SESSION_free(s);   /* then it stays in the table */
		else
			SSL_SESSION_free(asked);
	}
	return s;
}

/* OpenSSL gives up a session (an expired one, or one whose connection
 * failed); whoever calls still holds a reference. */
static void remove_session(SSL_CTX *ctx, SSL_SESSION *sess)
{
	struct sessions *t = table_of(ctx);
	pthread_mutex_lock(&t->lock);
	SSL_SESSION *gone = take_out(t, sess);
	pthread_mutex_unlock(&t->lock);
	SSL_SESSION_free(gone);
}

int sessions_attach(SSL_CTX *ctx, SSL_CTX *previous)
{
	pthread_once(&ex_once, make_index);
	struct sessions *t = previous ? table_of(previous) : NULL;
	if (t) {
		pthread_mutex_lock(&t->lock);
		t->refs++;
		pthread_mutex_unlock(&t->lock);
	} else {
		t = xcalloc(1, sizeof *t);
		pthread_mutex_init(&t->lock, NULL);
		t->refs = 1;
	}
	if (ex_index < 0 || used_index < 0 ||
	    !SSL_CTX_set_ex_data(ctx, ex_index, t)) {
		log_error("TLS sessions: cannot attach a table to the context");
		free_table(NULL, t, NULL, 0, 0, NULL);
		return -1;
	}
	/* Sessions by ID in TLS 1.2 and in TLS 1.3 (there the ticket is the
	 * ID), all in the table above and none in OpenSSL's own cache. */
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER |
	    SSL_SESS_CACHE_NO_INTERNAL | SSL_SESS_CACHE_NO_AUTO_CLEAR);
	SSL_CTX_sess_set_new_cb(ctx, new_session);
	SSL_CTX_sess_set_get_cb(ctx, get_session);
	SSL_CTX_sess_set_remove_cb(ctx, remove_session);
	return 0;
}

size_t sessions_count(SSL_CTX *ctx)
{
	struct sessions *t = table_of(ctx);
	if (!t)
		return 0;
	pthread_mutex_lock(&t->lock);
	size_t n = t->count;
	pthread_mutex_unlock(&t->lock);
	return n;
}
