/* test_tickets.c - resumption across TLS contexts, as across instances:
 * the same ticket key files resume each other's sessions, other keys
 * don't, and key files are checked; without keys, a context resumes the
 * sessions it keeps, once each in TLS 1.3. Handshakes run through memory
 * BIOs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "files.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "pollux/config.h"
#include "pollux/sessions.h"
#include "pollux/tls.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/pollux-tickets-XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return remove_tree(dir);
}

static const char *key_file(const char *name, unsigned char fill, size_t len,
    mode_t mode)
{
	static char path[8][128];
	static int next;
	char *p = path[next++ % 8];
	snprintf(p, 128, "%s/%s", dir, name);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, mode);
	assert_true(fd >= 0);
	unsigned char buf[100];
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (unsigned char)(fill + i);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	fchmod(fd, mode);
	close(fd);
	return p;
}

/* A server context with the certificate generated in dir/certs. Its
 * config must outlive it (the SNI check reads the host names). */
static SSL_CTX *replacing(SSL_CTX *previous, const char *const *keys,
    size_t nkeys)
{
	static struct config configs[16];
	static size_t nconfigs;
	struct config *cfg = &configs[nconfigs++ % 16];
	config_defaults(cfg);
	char *argv[] = {"test", NULL};
	assert_int_equal(config_parse_args(cfg, 1, argv), 0);
	static char certs[96];
	snprintf(certs, sizeof certs, "%s/certs", dir);
	cfg->certs_dir = certs;
	for (size_t i = 0; i < nkeys; i++)
		cfg->ticket_keys[cfg->nticket_keys++] = keys[i];
	return tls_context_new(cfg, previous);
}

static SSL_CTX *server(const char *const *keys, size_t nkeys)
{
	return replacing(NULL, keys, nkeys);
}

static void pump(SSL *from, SSL *to)
{
	char buf[16384];
	int n;
	BIO *out = SSL_get_wbio(from), *in = SSL_get_rbio(to);
	while ((n = BIO_read(out, buf, sizeof buf)) > 0)
		assert_int_equal(BIO_write(in, buf, n), n);
}

/* The client's groups, its key share for the first (NULL: OpenSSL's). */
static const char *client_groups;

/* A client and a server over memory BIOs, the client offering resume
 * (or nothing) and naming localhost. */
static void connect_pair(SSL_CTX *cctx, SSL_CTX *sctx, SSL_SESSION *resume,
    SSL **c, SSL **s)
{
	*c = SSL_new(cctx);
	*s = SSL_new(sctx);
	SSL_set_bio(*c, BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
	SSL_set_bio(*s, BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
	SSL_set_connect_state(*c);
	SSL_set_accept_state(*s);
	SSL_set_tlsext_host_name(*c, "localhost");
	if (resume)
		SSL_set_session(*c, resume);
}

/* A whole connection: handshake, one byte from the server (so a TLS 1.3
 * ticket reaches the client), close. Returns the client's session and
 * whether it was resumed. */
static SSL_SESSION *visit(SSL_CTX *sctx, SSL_SESSION *resume, int version,
    bool *reused)
{
	SSL_CTX *cctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_set_min_proto_version(cctx, version);
	SSL_CTX_set_max_proto_version(cctx, version);
	if (client_groups)
		assert_int_equal(SSL_CTX_set1_groups_list(cctx, client_groups), 1);
	SSL *c, *s;
	connect_pair(cctx, sctx, resume, &c, &s);
	for (int i = 0; i < 10 && (!SSL_is_init_finished(c) ||
	    !SSL_is_init_finished(s)); i++) {
		SSL_do_handshake(c);
		pump(c, s);
		SSL_do_handshake(s);
		pump(s, c);
	}
	assert_true(SSL_is_init_finished(c) && SSL_is_init_finished(s));
	assert_int_equal(SSL_write(s, "x", 1), 1);
	pump(s, c);
	char byte;
	assert_int_equal(SSL_read(c, &byte, 1), 1);
	*reused = SSL_session_reused(c);
	SSL_SESSION *sess = SSL_get1_session(c);
	/* Freed without a close_notify, a session is marked not resumable. */
	SSL_shutdown(c);
	SSL_shutdown(s);
	SSL_free(c);
	SSL_free(s);
	SSL_CTX_free(cctx);
	ERR_clear_error();
	return sess;
}

static void shared_keys_resume_across_instances(void **state)
{
	(void)state;
	const char *a = key_file("a.key", 1, 80, 0600);
	const char *b = key_file("b.key", 2, 80, 0640);
	const char *ab[] = {a, b}, *ba[] = {b, a}, *other[] = {
	    key_file("c.key", 3, 80, 0600)};
	SSL_CTX *one = server(ab, 2), *two = server(ab, 2);
	SSL_CTX *older = server(ba, 2), *stranger = server(other, 1);
	assert_non_null(one);
	assert_non_null(stranger);
	for (int v = TLS1_2_VERSION; v <= TLS1_3_VERSION; v++) {
		bool reused;
		SSL_SESSION *s = visit(one, NULL, v, &reused);
		assert_false(reused);
		SSL_SESSION *s2 = visit(two, s, v, &reused);
		assert_true(reused);              /* instance A to B */
		SSL_SESSION_free(s2);
		s2 = visit(older, s, v, &reused);
		assert_true(reused);              /* a key that only decrypts */
		SSL_SESSION_free(s2);
		s2 = visit(stranger, s, v, &reused);
		assert_false(reused);             /* other keys: full handshake */
		SSL_SESSION_free(s2);
		SSL_SESSION_free(s);
	}
	SSL_CTX_free(one);
	SSL_CTX_free(two);
	SSL_CTX_free(older);
	SSL_CTX_free(stranger);
}

static void kept_sessions_resume_on_their_own_instance(void **state)
{
	(void)state;
	SSL_CTX *one = server(NULL, 0), *two = server(NULL, 0);
	for (int v = TLS1_2_VERSION; v <= TLS1_3_VERSION; v++) {
		bool reused;
		SSL_SESSION *s = visit(one, NULL, v, &reused);
		assert_false(reused);
		SSL_SESSION *s2 = visit(two, s, v, &reused);
		assert_false(reused);             /* another instance's */
		SSL_SESSION_free(s2);
		s2 = visit(one, s, v, &reused);
		assert_true(reused);
		SSL_SESSION_free(s2);
		SSL_SESSION_free(s);
	}
	SSL_CTX_free(one);
	SSL_CTX_free(two);
}

/* A client that uses each ticket once (RFC 8446's advice) resumes every
 * time: a resumed connection brings a fresh ticket, with shared keys and
 * from the kept sessions. A TLS 1.2 client names the same kept session
 * each time instead. */
static void every_resumption_brings_a_ticket(void **state)
{
	(void)state;
	const char *a[] = {key_file("r.key", 4, 80, 0600)};
	SSL_CTX *ctxs[] = {server(a, 1), server(NULL, 0)};
	for (size_t k = 0; k < 2; k++)
		for (int v = TLS1_2_VERSION; v <= TLS1_3_VERSION; v++) {
			bool reused, kept_12 = k == 1 && v == TLS1_2_VERSION;
			SSL_SESSION *s = visit(ctxs[k], NULL, v, &reused);
			for (int i = 0; i < 4; i++) {
				SSL_SESSION *next = visit(ctxs[k], s, v, &reused);
				assert_true(reused);
				/* The ticket it came with, not the one used. */
				size_t len, used;
				const unsigned char *t, *u;
				SSL_SESSION_get0_ticket(next, &t, &len);
				SSL_SESSION_get0_ticket(s, &u, &used);
				assert_true(kept_12 ? len == 0 : len > 0);
				assert_false(len && len == used &&
				    memcmp(t, u, len) == 0);
				SSL_SESSION_free(s);
				s = next;
			}
			SSL_SESSION_free(s);
		}
	SSL_CTX_free(ctxs[0]);
	SSL_CTX_free(ctxs[1]);
}

/* A TLS 1.3 session is taken out of the table when it is used: one
 * client that keeps resuming holds one session, not one per connection,
 * and a ticket used before does not resume again. TLS 1.2's stays to be
 * used again. */
static void a_kept_tls13_session_is_used_once(void **state)
{
	(void)state;
	SSL_CTX *ctx = server(NULL, 0);
	bool reused;
	SSL_SESSION *first = visit(ctx, NULL, TLS1_3_VERSION, &reused);
	SSL_SESSION *s = SSL_SESSION_dup(first);
	assert_int_equal(sessions_count(ctx), 1);
	for (int i = 0; i < 8; i++) {
		SSL_SESSION *next = visit(ctx, s, TLS1_3_VERSION, &reused);
		assert_true(reused);
		assert_int_equal(sessions_count(ctx), 1);
		SSL_SESSION_free(s);
		s = next;
	}
	SSL_SESSION_free(s);
	SSL_SESSION_free(visit(ctx, first, TLS1_3_VERSION, &reused));
	assert_false(reused);                     /* a replayed ticket */
	SSL_SESSION_free(first);

	s = visit(ctx, NULL, TLS1_2_VERSION, &reused);
	for (int i = 0; i < 3; i++) {
		SSL_SESSION_free(visit(ctx, s, TLS1_2_VERSION, &reused));
		assert_true(reused);
	}
	SSL_SESSION_free(s);
	SSL_CTX_free(ctx);      /* frees the table's sessions (ASan checks) */
}

/* A reload's new context takes over the sessions the old one kept, and
 * the old one, while connections in flight still use it, uses the same
 * table; the table outlives whichever context goes first. One session at
 * a time is in the table, so no two can share a slot. */
static void a_reload_keeps_the_sessions(void **state)
{
	(void)state;
	for (int v = TLS1_2_VERSION; v <= TLS1_3_VERSION; v++) {
		SSL_CTX *old = server(NULL, 0);
		bool reused;
		SSL_SESSION *s = visit(old, NULL, v, &reused);
		SSL_CTX *fresh = replacing(old, NULL, 0);
		SSL_SESSION *next = visit(fresh, s, v, &reused);
		assert_true(reused);              /* old's session, on fresh */
		SSL_SESSION_free(s);
		s = visit(old, next, v, &reused);
		assert_true(reused);              /* fresh's, on old */
		SSL_SESSION_free(next);
		SSL_CTX_free(old);
		next = visit(fresh, s, v, &reused);
		assert_true(reused);              /* old's last, on fresh */
		SSL_SESSION_free(next);
		SSL_SESSION_free(s);
		SSL_CTX_free(fresh);
	}
}

/* A client whose key share the server does not take is asked to say
 * hello again (HelloRetryRequest): both hellos offer the session, and
 * the second must still find it. And a connection that fails leaves the
 * client its session. */
static void a_retried_hello_still_resumes(void **state)
{
	(void)state;
	SSL_CTX *ctx = server(NULL, 0);
	assert_int_equal(SSL_CTX_set1_groups_list(ctx, "X25519"), 1);
	bool reused;
	SSL_SESSION *s = visit(ctx, NULL, TLS1_3_VERSION, &reused);
	client_groups = "P-256:X25519";
	SSL_SESSION *next = visit(ctx, s, TLS1_3_VERSION, &reused);
	client_groups = NULL;
	assert_true(reused);
	assert_int_equal(sessions_count(ctx), 1);
	SSL_SESSION_free(s);

	/* A hello that offers the session, then nothing more. */
	SSL_CTX *cctx = SSL_CTX_new(TLS_client_method());
	SSL *c, *half;
	connect_pair(cctx, ctx, next, &c, &half);
	SSL_do_handshake(c);
	pump(c, half);
	SSL_do_handshake(half);
	SSL_free(half);
	SSL_free(c);
	SSL_CTX_free(cctx);
	ERR_clear_error();
	SSL_SESSION_free(visit(ctx, next, TLS1_3_VERSION, &reused));
	assert_true(reused);
	SSL_SESSION_free(next);
	SSL_CTX_free(ctx);
}

static void bad_key_files_are_refused(void **state)
{
	(void)state;
	const char *open_to_all[] = {key_file("o.key", 1, 80, 0644)};
	const char *short_one[] = {key_file("s.key", 1, 48, 0600)};
	const char *long_one[] = {key_file("l.key", 1, 81, 0600)};
	const char *missing[] = {"/nonexistent/pollux.key"};
	assert_null(server(open_to_all, 1));
	assert_null(server(short_one, 1));
	assert_null(server(long_one, 1));
	assert_null(server(missing, 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(shared_keys_resume_across_instances),
		cmocka_unit_test(kept_sessions_resume_on_their_own_instance),
		cmocka_unit_test(every_resumption_brings_a_ticket),
		cmocka_unit_test(a_kept_tls13_session_is_used_once),
		cmocka_unit_test(a_reload_keeps_the_sessions),
		cmocka_unit_test(a_retried_hello_still_resumes),
		cmocka_unit_test(bad_key_files_are_refused),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
