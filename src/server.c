/* server.c - listeners and connections on one libuv loop. A connection
 * reads one request line (through TLS memory BIOs for Gemini), gets its
 * pre-rendered reply, writes it and closes; every phase has a deadline and
 * the number of open connections has a cap. */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "pollux/gemini.h"
#include "pollux/gopher.h"
#include "pollux/log.h"
#include "pollux/privilege.h"
#include "pollux/reload.h"
#include "pollux/server.h"
#include "pollux/tls.h"
#include "pollux/util.h"

#define TLS_RECORD_MAX 16384        /* one record's plaintext */
#define WRITE_QUEUE_MAX (256 << 10) /* ciphertext queued before we wait */
#define DRAIN_MS 5000               /* how long a stop waits for requests */
#define ACCEPT_BATCH 64             /* accepts before other I/O gets a turn */
#define BACKOFF_MIN_MS 100          /* pause after accept ran out of something */
#define BACKOFF_MAX_MS 1000         /* doubled while pauses free nothing */
/* Descriptors kept for what is not a connection: 64 for the standard
 * streams, inotify, the files and folders a reload reads at once, the
 * key at start and a sanitizer's own; one per listening socket; 8 per
 * worker loop (libuv's epoll, eventfd, signal pipe and spare descriptor
 * are 5). */
#define FD_RESERVE 64
#define FD_PER_WORKER 8

struct server;
struct worker;

/* Accepting is ours, not uv_listen's: a poll on the raw socket can be
 * stopped while descriptors have run out, where libuv would retry at once
 * and forever. */
struct listener {
	uv_poll_t poll;
	int fd;
	enum proto proto;
	struct worker *w;
};

enum phase { HANDSHAKE, REQUEST, RESPONSE, CLOSING };

struct conn {
	uv_tcp_t tcp;
	uv_timer_t timer;
	struct worker *w;
	struct conn *prev, *next;    /* the worker's open connections */
	enum proto proto;
	enum phase phase;
	int open_handles;
	bool ended;                  /* the whole reply is queued */
	SSL *ssl;                    /* Gemini only; owns the two BIOs */
	BIO *rbio, *wbio;
	struct snapshot *snap;       /* the reference this request holds */
	uint64_t start;
	size_t req_len, body_sent, bytes;
	struct reply reply;
	char req[REQUEST_READ_MAX];
	char client[64];
};

/* One thread with its own loop and its own listening sockets on the shared
 * ports (SO_REUSEPORT lets the kernel spread connections over them). */
struct worker {
	struct server *srv;
	uv_loop_t loop;
	uv_thread_t thread;
	uv_async_t stop;             /* the main thread asks for a stop */
	uv_timer_t drain;
	uv_timer_t backoff;          /* accepting paused until it fires */
	unsigned backoff_ms;         /* the last pause; 0: accepts keep up */
	unsigned pauses;             /* since accepts last kept up */
	bool progress;               /* accepted one since the last pause */
	uv_prepare_t flush;          /* access-log lines out before the loop sleeps */
	struct listener *listeners;
	size_t nlisteners;
	struct conn *conns;
	unsigned nconns;
	bool stopping;
	char readbuf[64 << 10];      /* every read lands here: one loop, one reader */
};

struct server {
	const struct config *cfg;    /* points at config, below */
	struct config config;        /* ours: the capsule path may change */
	char *capsule;               /* the capsule's path after a chroot */
	uv_mutex_t snap_lock;        /* guards snap against a reload's swap */
	struct snapshot *snap;       /* the current one */
	struct reloader *reloader;
	SSL_CTX *ssl_ctx;
	struct worker *workers;      /* workers[0] runs on the main thread */
	unsigned nworkers;
	atomic_uint open;            /* connections, all workers together */
	atomic_uint finished;        /* workers whose loops have nothing left */
	uv_async_t all_finished;     /* main loop: one more worker finished */
	atomic_ullong accept_errors;
	atomic_ullong held;          /* bytes allocated for writes in flight */
	uv_signal_t sigint, sigterm, sighup, sigusr1;
	bool stopping;
};

static void conn_close(struct conn *c);
static void respond(struct conn *c);

/* --- closing --------------------------------------------------------- */

/* A stopping worker ends its loop once its last connection is gone. */
static void maybe_finish_stop(struct worker *w)
{
	if (!w->stopping || w->nconns)
		return;
	uv_close((uv_handle_t *)&w->stop, NULL);
	uv_close((uv_handle_t *)&w->drain, NULL);
	uv_close((uv_handle_t *)&w->backoff, NULL);
	uv_close((uv_handle_t *)&w->flush, NULL);
	atomic_fetch_add(&w->srv->finished, 1);
	uv_async_send(&w->srv->all_finished);
}

/* The main loop runs until the last worker has finished, so that signals
 * are still handled (a second SIGTERM, a SIGHUP once the reloader has let
 * go of it, SIGUSR1) while others drain. */
static void on_worker_finished(uv_async_t *a)
{
	struct server *srv = a->data;
	if (atomic_load(&srv->finished) < srv->nworkers)
		return;
	/* Unreferenced, not closed: the last worker may still be inside
	 * uv_async_send. Closed once the threads are joined. */
	uv_unref((uv_handle_t *)&srv->all_finished);
	uv_unref((uv_handle_t *)&srv->sigint);
	uv_unref((uv_handle_t *)&srv->sigterm);
	uv_unref((uv_handle_t *)&srv->sighup);
	uv_unref((uv_handle_t *)&srv->sigusr1);
}

static void on_handle_closed(uv_handle_t *h)
{
	struct conn *c = h->data;
	if (--c->open_handles)
		return;
	struct worker *w = c->w;
	if (c->prev)
		c->prev->next = c->next;
	else
		w->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	SSL_free(c->ssl);
	snapshot_unref(c->snap);
	reply_free(&c->reply);
	free(c);
	w->nconns--;
	atomic_fetch_sub(&w->srv->open, 1);
	maybe_finish_stop(w);
}

static void conn_close(struct conn *c)
{
	if (c->phase == CLOSING)
		return;
	c->phase = CLOSING;
	uv_close((uv_handle_t *)&c->tcp, on_handle_closed);
	uv_close((uv_handle_t *)&c->timer, on_handle_closed);
}

/* Memory a connection holds beyond its struct, for the stats. */
static void *held_alloc(struct conn *c, size_t n)
{
	atomic_fetch_add_explicit(&c->w->srv->held, n, memory_order_relaxed);
	return xmalloc(n);
}

static void held_free(struct conn *c, void *p, size_t n)
{
	atomic_fetch_sub_explicit(&c->w->srv->held, n, memory_order_relaxed);
	free(p);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
	(void)status;
	struct conn *c = req->data;
	held_free(c, req, sizeof *req);
	conn_close(c);
}

/* Closes once every queued write has gone out. */
static void conn_finish(struct conn *c)
{
	uv_shutdown_t *req = held_alloc(c, sizeof *req);
	req->data = c;
	if (uv_shutdown(req, (uv_stream_t *)&c->tcp, on_shutdown) < 0) {
		held_free(c, req, sizeof *req);
		conn_close(c);
	}
}

/* --- writing --------------------------------------------------------- */

struct write_req {
	uv_write_t req;
	struct conn *c;
	size_t size;                 /* of the whole allocation */
	char data[];
};

static void on_write(uv_write_t *req, int status);

/* Sends what OpenSSL has written into the write BIO. */
static int flush_tls(struct conn *c)
{
	size_t pending;
	while ((pending = BIO_ctrl_pending(c->wbio)) > 0) {
		size_t size = sizeof(struct write_req) + pending;
		struct write_req *w = held_alloc(c, size);
		w->size = size;
		int n = BIO_read(c->wbio, w->data, (int)pending);
		if (n <= 0) {
			held_free(c, w, size);
			return -1;
		}
		w->c = c;
		uv_buf_t b = uv_buf_init(w->data, (unsigned)n);
		c->bytes += (size_t)n;
		if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, on_write) < 0) {
			held_free(c, w, size);
			return -1;
		}
	}
	return 0;
}

/* Feeds the reply into TLS, a record at a time, while the socket keeps
 * up; on_write calls it again as the queue drains. The header and a body
 * that fit one record go out as one record. */
static void pump_tls(struct conn *c)
{
	struct reply *r = &c->reply;
	size_t total = r->head_len + r->body_len;
	while (c->body_sent < total && c->phase == RESPONSE &&
	    uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) <
	    WRITE_QUEUE_MAX) {
		char rec[TLS_RECORD_MAX];
		size_t n = 0;
		while (n < sizeof rec && c->body_sent + n < total) {
			size_t at = c->body_sent + n;
			size_t take;
			const char *src;
			if (at < r->head_len) {
				src = r->head + at;
				take = r->head_len - at;
			} else {
				src = r->body + (at - r->head_len);
				take = total - at;
			}
			if (take > sizeof rec - n)
				take = sizeof rec - n;
			memcpy(rec + n, src, take);
			n += take;
		}
		if (SSL_write(c->ssl, rec, (int)n) <= 0 || flush_tls(c) < 0) {
			conn_close(c);
			return;
		}
		c->body_sent += n;
	}
	if (c->body_sent == total && c->phase == RESPONSE && !c->ended) {
		/* close_notify, then the TCP shutdown once it is out. */
		c->ended = true;
		SSL_shutdown(c->ssl);
		if (flush_tls(c) < 0) {
			conn_close(c);
			return;
		}
		conn_finish(c);
	}
}

static void on_write(uv_write_t *req, int status)
{
	struct write_req *w = (struct write_req *)req;
	struct conn *c = w->c;
	held_free(c, w, w->size);
	if (status < 0) {
		conn_close(c);
		return;
	}
	if (c->proto == PROTO_GEMINI && c->phase == RESPONSE && !c->ended)
		pump_tls(c);
}

static void on_plain_write(uv_write_t *req, int status)
{
	struct conn *c = req->data;
	held_free(c, req, sizeof *req);
	if (status < 0)
		conn_close(c);
}

/* --- requests -------------------------------------------------------- */

static void log_request(struct conn *c)
{
	double ms = (double)(uv_hrtime() - c->start) / 1e6;
	size_t bytes = c->reply.head_len + c->reply.body_len;
	log_access(c->proto == PROTO_GEMINI ? "gemini" : "gopher", c->client,
	    c->reply.status, bytes, ms, c->req, c->req_len);
}

static void on_timeout(uv_timer_t *t);

static void respond(struct conn *c)
{
	const struct config *cfg = c->w->srv->cfg;
	uv_read_stop((uv_stream_t *)&c->tcp);
	struct request_ctx ctx = {NULL, 0};
	struct sockaddr_storage ss;
	int len = sizeof ss;
	char local[64] = "";
	if (uv_tcp_getsockname(&c->tcp, (struct sockaddr *)&ss, &len) == 0) {
		if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
			uv_ip6_name(a, local, sizeof local);
			ctx.local_port = ntohs(a->sin6_port);
		} else {
			struct sockaddr_in *a = (struct sockaddr_in *)&ss;
			uv_ip4_name(a, local, sizeof local);
			ctx.local_port = ntohs(a->sin_port);
		}
		ctx.local_addr = local;
	}
	if (c->proto == PROTO_GEMINI)
		gemini_respond(c->snap, cfg, &ctx, c->req, c->req_len,
		    &c->reply);
	else
		gopher_respond(c->snap, cfg, &ctx, c->req, c->req_len,
		    &c->reply);
	log_request(c);
	c->phase = RESPONSE;
	c->body_sent = 0;
	uv_timer_start(&c->timer, on_timeout, cfg->write_timeout_ms, 0);

	if (c->proto == PROTO_GEMINI) {
		pump_tls(c);
		return;
	}
	/* Plain Gopher: straight from the snapshot, no copy. */
	uv_write_t *w = held_alloc(c, sizeof *w);
	w->data = c;
	uv_buf_t bufs[2] = {
		uv_buf_init((char *)c->reply.head, (unsigned)c->reply.head_len),
		uv_buf_init((char *)c->reply.body, (unsigned)c->reply.body_len),
	};
	if (uv_write(w, (uv_stream_t *)&c->tcp, bufs, 2, on_plain_write) < 0) {
		held_free(c, w, sizeof *w);
		conn_close(c);
		return;
	}
	conn_finish(c);
}

static void on_timeout(uv_timer_t *t)
{
	struct conn *c = t->data;
	/* A Gopher client that never finished its line is told so; a
	 * Gemini client that stalls is dropped: the spec has no status for
	 * a request that never came. */
	if (c->phase == REQUEST && c->proto == PROTO_GOPHER) {
		respond(c);
		return;
	}
	conn_close(c);
}

static void add_request_bytes(struct conn *c, const char *data, size_t n)
{
	size_t room = sizeof c->req - c->req_len;
	if (n > room)
		n = room;
	memcpy(c->req + c->req_len, data, n);
	c->req_len += n;
}

/* Drives the TLS state machine after new ciphertext arrived. */
static void advance_tls(struct conn *c)
{
	if (c->phase == HANDSHAKE) {
		int rc = SSL_do_handshake(c->ssl);
		if (rc != 1) {
			int err = SSL_get_error(c->ssl, rc);
			/* Send what OpenSSL has to say (more handshake or an alert). */
			if (flush_tls(c) < 0 || err != SSL_ERROR_WANT_READ) {
				ERR_clear_error();
				if (err == SSL_ERROR_WANT_READ)
					conn_close(c);
				else
					conn_finish(c);
			}
			return;
		}
		c->phase = REQUEST;
		uv_timer_start(&c->timer, on_timeout,
		    c->w->srv->cfg->request_timeout_ms, 0);
	}
	while (c->phase == REQUEST) {
		char buf[REQUEST_READ_MAX];
		size_t room = sizeof c->req - c->req_len;
		int n = SSL_read(c->ssl, buf, (int)(room ? room : 1));
		if (n > 0) {
			add_request_bytes(c, buf, (size_t)n);
			if (request_complete(c->req, c->req_len))
				respond(c);
			continue;
		}
		int err = SSL_get_error(c->ssl, n);
		if (err == SSL_ERROR_WANT_READ) {
			/* Session tickets go out after the handshake. */
			if (flush_tls(c) < 0)
				conn_close(c);
			return;
		}
		ERR_clear_error();
		if (err == SSL_ERROR_ZERO_RETURN)
			respond(c);   /* close_notify before the CRLF: 59 */
		else
			conn_close(c);
		return;
	}
}

static int tls_start(struct conn *c)
{
	c->ssl = SSL_new(c->w->srv->ssl_ctx);
	c->rbio = BIO_new(BIO_s_mem());
	c->wbio = BIO_new(BIO_s_mem());
	if (!c->ssl || !c->rbio || !c->wbio) {
		BIO_free(c->rbio);
		BIO_free(c->wbio);
		return -1;
	}
	/* An empty memory BIO means "try again", not end of file. */
	BIO_set_mem_eof_return(c->rbio, -1);
	BIO_set_mem_eof_return(c->wbio, -1);
	SSL_set_bio(c->ssl, c->rbio, c->wbio);
	SSL_set_accept_state(c->ssl);
	return 0;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	(void)suggested;
	struct conn *c = h->data;
	buf->base = c->w->readbuf;
	buf->len = sizeof c->w->readbuf;
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct conn *c = s->data;
	if (nread == 0 || c->phase == CLOSING)
		return;
	if (nread < 0) {
		/* The client stopped sending: answer what it sent, if it got
		 * as far as a request (its line then lacks the CRLF). */
		if (nread == UV_EOF && c->phase == REQUEST)
			respond(c);
		else
			conn_close(c);
		return;
	}
	if (c->proto == PROTO_GEMINI) {
		if ((!c->ssl && tls_start(c) < 0) ||
		    BIO_write(c->rbio, buf->base, (int)nread) != (int)nread) {
			conn_close(c);
			return;
		}
		advance_tls(c);
		return;
	}
	if (c->phase != REQUEST)
		return;
	add_request_bytes(c, buf->base, (size_t)nread);
	if (request_complete(c->req, c->req_len))
		respond(c);
}

/* --- accepting ------------------------------------------------------- */

static void client_name(uv_tcp_t *tcp, char *out, size_t n)
{
	struct sockaddr_storage ss;
	int len = sizeof ss;
	snprintf(out, n, "-");
	if (uv_tcp_getpeername(tcp, (struct sockaddr *)&ss, &len) < 0)
		return;
	if (ss.ss_family == AF_INET6)
		uv_ip6_name((struct sockaddr_in6 *)&ss, out, n);
	else
		uv_ip4_name((struct sockaddr_in *)&ss, out, n);
}

/* The snapshot new requests get; a reload may swap it from another
 * thread, so the pointer is read and referenced under the lock. */
static struct snapshot *current_snapshot(struct server *srv)
{
	uv_mutex_lock(&srv->snap_lock);
	struct snapshot *s = srv->snap;
	snapshot_ref(s);
	uv_mutex_unlock(&srv->snap_lock);
	return s;
}

/* Over the cap: closed at once with a reset, so the backlog never fills
 * and we keep accepting once load drops. */
static void refuse(int fd)
{
	struct linger lg = {1, 0};
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
	close(fd);
}

static void add_connection(struct listener *l, int fd)
{
	struct worker *w = l->w;
	struct server *srv = w->srv;
	if (atomic_fetch_add(&srv->open, 1) >= srv->cfg->max_connections) {
		atomic_fetch_sub(&srv->open, 1);
		refuse(fd);
		return;
	}
	struct conn *c = xcalloc(1, sizeof *c);
	c->w = w;
	c->proto = l->proto;
	c->start = uv_hrtime();
	uv_tcp_init(&w->loop, &c->tcp);
	uv_timer_init(&w->loop, &c->timer);
	c->tcp.data = c->timer.data = c;
	c->open_handles = 2;
	c->next = w->conns;
	if (w->conns)
		w->conns->prev = c;
	w->conns = c;
	w->nconns++;
	c->snap = current_snapshot(srv);
	if (uv_tcp_open(&c->tcp, fd) < 0) {
		close(fd);
		conn_close(c);
		return;
	}
	uv_tcp_nodelay(&c->tcp, 1);
	client_name(&c->tcp, c->client, sizeof c->client);
	unsigned deadline = srv->cfg->request_timeout_ms;
	c->phase = REQUEST;
	if (l->proto == PROTO_GEMINI) {
		/* The TLS state is made when the first bytes arrive, so a
		 * connection that never sends any costs only this struct. */
		c->phase = HANDSHAKE;
		deadline = srv->cfg->handshake_timeout_ms;
	}
	uv_timer_start(&c->timer, on_timeout, deadline, 0);
	if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) < 0)
		conn_close(c);
}

static void on_acceptable(uv_poll_t *p, int status, int events);

static void resume_accepting(uv_timer_t *t)
{
	struct worker *w = t->data;
	for (size_t i = 0; i < w->nlisteners; i++)
		uv_poll_start(&w->listeners[i].poll, UV_READABLE, on_acceptable);
}

/* Out of descriptors or memory: every listener of this worker waits
 * instead of retrying a failing accept at full speed, while connections
 * wait in the backlog. The pause doubles while pauses free nothing, and
 * is logged once for the whole shortage, when it starts and ends. */
static void pause_accepting(struct worker *w, int err)
{
	if (!w->backoff_ms)
		log_error("accept: %s; pausing accepts (%d ms, up to %d ms at a "
		    "time) until descriptors come free; %u connections open",
		    strerror(err), BACKOFF_MIN_MS, BACKOFF_MAX_MS,
		    atomic_load(&w->srv->open));
	if (!w->backoff_ms || w->progress)
		w->backoff_ms = BACKOFF_MIN_MS;
	else if ((w->backoff_ms *= 2) > BACKOFF_MAX_MS)
		w->backoff_ms = BACKOFF_MAX_MS;
	w->progress = false;
	w->pauses++;
	for (size_t i = 0; i < w->nlisteners; i++)
		uv_poll_stop(&w->listeners[i].poll);
	uv_timer_start(&w->backoff, resume_accepting, w->backoff_ms, 0);
}

/* Errors that belong to one connection (Linux hands pending network
 * errors of the new socket to accept): the next one may be fine. */
static bool accept_error_is_transient(int err)
{
	switch (err) {
	case EINTR: case ECONNABORTED: case EPROTO: case EPERM:
	case ENETDOWN: case ENOPROTOOPT: case EHOSTDOWN: case ENONET:
	case EHOSTUNREACH: case EOPNOTSUPP: case ENETUNREACH:
		return true;
	}
	return false;
}

static void on_acceptable(uv_poll_t *p, int status, int events)
{
	(void)events;
	struct listener *l = p->data;
	struct worker *w = l->w;
	if (w->stopping)
		return;
	if (status < 0) {
		atomic_fetch_add(&w->srv->accept_errors, 1);
		pause_accepting(w, -status);
		return;
	}
	/* The poll is level-triggered: what is left after a batch comes back
	 * on the next turn. */
	for (int i = 0; i < ACCEPT_BATCH; i++) {
		int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			w->progress = true;
			add_connection(l, fd);
			continue;
		}
		int err = errno;
		if (err == EAGAIN || err == EWOULDBLOCK) {
			if (w->backoff_ms)
				log_info("accepting again after %u pause%s", w->pauses,
				    w->pauses == 1 ? "" : "s");
			w->backoff_ms = w->pauses = 0;   /* caught up */
			return;
		}
		if (err != EINTR)
			atomic_fetch_add(&w->srv->accept_errors, 1);
		if (!accept_error_is_transient(err)) {
			pause_accepting(w, err);
			return;
		}
	}
}

/* --- listening and stopping ----------------------------------------- */

static socklen_t addr_len(bool v6)
{
	return v6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

/* A listening socket of its own for every worker, on the shared port. */
static int open_listener(const struct sockaddr *sa, bool v6)
{
	int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd < 0)
		return -errno;
	int one = 1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0 ||
	    (v6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
	    sizeof one) < 0) ||
	    bind(fd, sa, addr_len(v6)) < 0 || listen(fd, 4096) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* SO_REUSEPORT would let us share a port with any other process of the
 * same user that set it too, such as a second pollux started as root:
 * the kernel would split the clients between the two without a word. A
 * socket without it cannot bind while anyone listens there; SO_REUSEADDR
 * still lets it past connections of an earlier run in TIME_WAIT. */
static int probe_port(const struct sockaddr *sa, bool v6)
{
	int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int one = 1;
	int rc = 0;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    (v6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
	    sizeof one) < 0) || bind(fd, sa, addr_len(v6)) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

static int parse_listen(const char *addr, unsigned port,
    struct sockaddr_storage *ss, bool *v6)
{
	*v6 = uv_ip6_addr(addr, (int)port, (struct sockaddr_in6 *)ss) == 0;
	if (!*v6 && uv_ip4_addr(addr, (int)port, (struct sockaddr_in *)ss) != 0) {
		log_error("--listen %s: not an IPv4 or IPv6 address", addr);
		return -1;
	}
	return 0;
}

/* Before any socket of ours exists, so that only other processes count
 * (ours would refuse the wildcard next to a specific address). */
static int check_port_free(const char *addr, unsigned port,
    enum proto proto, bool required)
{
	struct sockaddr_storage ss;
	bool v6;
	if (parse_listen(addr, port, &ss, &v6) < 0)
		return -1;
	int err = probe_port((struct sockaddr *)&ss, v6);
	if (!err || (!required && (err == -EAFNOSUPPORT ||
	    err == -EADDRNOTAVAIL)))
		return 0;
	log_error("cannot listen on %s port %u (%s): %s%s", addr, port,
	    proto == PROTO_GEMINI ? "gemini" : "gopher", strerror(-err),
	    err == -EADDRINUSE ? "; another process holds this port" : "");
	return -1;
}

static void on_listener_closed(uv_handle_t *h)
{
	struct listener *l = h->data;
	close(l->fd);
}

static int listen_on(struct server *srv, const char *addr, unsigned port,
    enum proto proto, bool required)
{
	struct sockaddr_storage ss;
	bool v6;
	if (parse_listen(addr, port, &ss, &v6) < 0)
		return -1;
	const char *scheme = proto == PROTO_GEMINI ? "gemini" : "gopher";
	for (unsigned i = 0; i < srv->nworkers; i++) {
		struct worker *w = &srv->workers[i];
		int fd = open_listener((struct sockaddr *)&ss, v6);
		if (fd < 0) {
			/* The default "::" is skipped quietly without IPv6. */
			if (!required && (fd == -EAFNOSUPPORT || fd == -EADDRNOTAVAIL))
				return 0;
			log_error("cannot listen on %s port %u (%s): %s", addr, port,
			    scheme, strerror(-fd));
			return -1;
		}
		struct listener *l = &w->listeners[w->nlisteners];
		int rc = uv_poll_init_socket(&w->loop, &l->poll, fd);
		if (rc < 0) {
			close(fd);
			log_error("cannot listen on %s port %u (%s): %s", addr, port,
			    scheme, uv_strerror(rc));
			return -1;
		}
		w->nlisteners++;
		l->poll.data = l;
		l->fd = fd;
		l->proto = proto;
		l->w = w;
		rc = uv_poll_start(&l->poll, UV_READABLE, on_acceptable);
		if (rc < 0) {
			log_error("cannot listen on %s port %u (%s): %s", addr, port,
			    scheme, uv_strerror(rc));
			return -1;
		}
	}
	log_info("listening on %s://%s%s%s:%u/", scheme, v6 ? "[" : "", addr,
	    v6 ? "]" : "", port);
	return 0;
}

/* Every connection needs a descriptor: with the limit raised as far as it
 * goes, the cap is kept below it with room for everything else, so
 * accept does not run out in normal operation. */
static int fit_to_descriptors(struct server *srv)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0) {
		log_error("getrlimit: %s", strerror(errno));
		return -1;
	}
	if (rl.rlim_cur < rl.rlim_max) {
		/* An unlimited hard limit is refused; Linux's usual ceiling
		 * (fs.nr_open) is then tried. Failing, the soft one stays. */
		struct rlimit want = rl;
		want.rlim_cur = rl.rlim_max == RLIM_INFINITY ? 1 << 20 :
		    rl.rlim_max;
		if (want.rlim_cur > rl.rlim_cur &&
		    setrlimit(RLIMIT_NOFILE, &want) == 0)
			rl = want;
	}
	size_t listeners = 0;
	for (unsigned i = 0; i < srv->nworkers; i++)
		listeners += srv->workers[i].nlisteners;
	rlim_t reserve = FD_RESERVE + listeners +
	    (rlim_t)FD_PER_WORKER * srv->nworkers;
	if (rl.rlim_cur <= reserve) {
		log_error("the descriptor limit (%llu) leaves nothing for "
		    "connections: pollux keeps %llu for itself",
		    (unsigned long long)rl.rlim_cur, (unsigned long long)reserve);
		return -1;
	}
	rlim_t room = rl.rlim_cur - reserve;
	if (room < srv->config.max_connections) {
		log_info("--max-connections %u lowered to %llu: the descriptor "
		    "limit is %llu and %llu are kept for listeners, event loops, "
		    "the log and reloads", srv->config.max_connections,
		    (unsigned long long)room, (unsigned long long)rl.rlim_cur,
		    (unsigned long long)reserve);
		srv->config.max_connections = (unsigned)room;
	}
	return 0;
}

static void on_drain_timeout(uv_timer_t *t)
{
	struct worker *w = t->data;
	for (struct conn *c = w->conns, *next; c; c = next) {
		next = c->next;
		conn_close(c);
	}
}

static void close_listeners(struct worker *w)
{
	for (size_t i = 0; i < w->nlisteners; i++)
		uv_close((uv_handle_t *)&w->listeners[i].poll, on_listener_closed);
}

/* On the worker's own thread: stop accepting, close idle connections, and
 * give the ones that are answering DRAIN_MS to finish. */
static void worker_stop(uv_async_t *a)
{
	struct worker *w = a->data;
	w->stopping = true;
	close_listeners(w);
	uv_timer_stop(&w->backoff);
	for (struct conn *c = w->conns, *next; c; c = next) {
		next = c->next;
		if (c->phase != RESPONSE)
			conn_close(c);
	}
	uv_timer_start(&w->drain, on_drain_timeout, DRAIN_MS, 0);
	maybe_finish_stop(w);
}

static void on_signal(uv_signal_t *sig, int signum)
{
	struct server *srv = sig->data;
	if (srv->stopping || !srv->reloader)
		return;
	log_info("signal %d: stopping, %u request%s in flight", signum,
	    atomic_load(&srv->open), atomic_load(&srv->open) == 1 ? "" : "s");
	srv->stopping = true;
	reloader_stop(srv->reloader);
	for (unsigned i = 0; i < srv->nworkers; i++)
		uv_async_send(&srv->workers[i].stop);
}

/* The reloader handles SIGHUP while it runs; once a stop has closed its
 * handle, this one keeps the signal from killing the process mid-drain. */
static void on_sighup(uv_signal_t *sig, int signum)
{
	(void)signum;
	struct server *srv = sig->data;
	if (srv->stopping)
		log_info("SIGHUP: stopping; reload ignored");
}

/* One line tests and operators can read instead of guessing from RSS. */
static void on_sigusr1(uv_signal_t *sig, int signum)
{
	(void)signum;
	struct server *srv = sig->data;
	log_info("stats: connections=%u snapshots=%u held=%llu "
	    "accept_errors=%llu log_dropped=%llu", atomic_load(&srv->open),
	    snapshot_alive(), atomic_load(&srv->held),
	    atomic_load(&srv->accept_errors), log_dropped());
}

/* Requests already running keep the snapshot they hold; new ones get this. */
static void on_reload(void *ctx, struct snapshot *fresh)
{
	struct server *srv = ctx;
	uv_mutex_lock(&srv->snap_lock);
	struct snapshot *old = srv->snap;
	srv->snap = fresh;
	uv_mutex_unlock(&srv->snap_lock);
	snapshot_unref(old);
}

static void on_flush(uv_prepare_t *p)
{
	(void)p;
	log_flush();
}

static void worker_thread(void *arg)
{
	struct worker *w = arg;
	uv_run(&w->loop, UV_RUN_DEFAULT);
	log_flush();
}

static void worker_init(struct server *srv, struct worker *w, size_t nlisten)
{
	w->srv = srv;
	uv_loop_init(&w->loop);
	uv_async_init(&w->loop, &w->stop, worker_stop);
	uv_timer_init(&w->loop, &w->drain);
	uv_timer_init(&w->loop, &w->backoff);
	uv_prepare_init(&w->loop, &w->flush);
	uv_prepare_start(&w->flush, on_flush);
	uv_unref((uv_handle_t *)&w->flush);
	w->stop.data = w->drain.data = w->backoff.data = w;
	w->listeners = xcalloc(nlisten, sizeof *w->listeners);
}

/* Closes whatever is left on a worker's loop, runs it out, and frees it. */
static void worker_free(struct worker *w)
{
	if (!w->srv)
		return;
	if (!w->stopping) {   /* never started: nothing is connected */
		close_listeners(w);
		uv_close((uv_handle_t *)&w->stop, NULL);
		uv_close((uv_handle_t *)&w->drain, NULL);
		uv_close((uv_handle_t *)&w->backoff, NULL);
		uv_close((uv_handle_t *)&w->flush, NULL);
	}
	uv_run(&w->loop, UV_RUN_DEFAULT);
	if (uv_loop_close(&w->loop) != 0)
		log_error("event loop closed with handles still open");
	free(w->listeners);
}

static void signal_init(struct server *srv, uv_signal_t *sig,
    uv_signal_cb cb, int signum)
{
	uv_signal_init(&srv->workers[0].loop, sig);
	sig->data = srv;
	uv_signal_start(sig, cb, signum);
}

static void signal_close(uv_signal_t *sig)
{
	if (!uv_is_closing((uv_handle_t *)sig))
		uv_close((uv_handle_t *)sig, NULL);
}

int server_run(const struct config *given)
{
	signal(SIGPIPE, SIG_IGN);
	struct server *srv = xcalloc(1, sizeof *srv);
	int rc = -1;
	srv->config = *given;
	srv->cfg = &srv->config;
	const struct config *cfg = srv->cfg;
	uv_mutex_init(&srv->snap_lock);
	atomic_init(&srv->open, 0);
	atomic_init(&srv->accept_errors, 0);
	atomic_init(&srv->held, 0);
	srv->nworkers = cfg->workers ? cfg->workers : uv_available_parallelism();
	srv->workers = xcalloc(srv->nworkers, sizeof *srv->workers);
	for (unsigned i = 0; i < srv->nworkers; i++)
		worker_init(srv, &srv->workers[i], 2 * cfg->nlisten);
	uv_loop_t *main_loop = &srv->workers[0].loop;
	uv_async_init(main_loop, &srv->all_finished, on_worker_finished);
	srv->all_finished.data = srv;
	/* Caught before the ports open: a client (or a test) that sees them
	 * open may signal at once, and the default actions would kill. */
	signal_init(srv, &srv->sigint, on_signal, SIGINT);
	signal_init(srv, &srv->sigterm, on_signal, SIGTERM);
	signal_init(srv, &srv->sighup, on_sighup, SIGHUP);
	signal_init(srv, &srv->sigusr1, on_sigusr1, SIGUSR1);
	bool logging = log_start() == 0;

	if (cfg->gemini_port && !(srv->ssl_ctx = tls_context_new(cfg)))
		goto done;
	bool defaults = cfg->nlisten == 2 && strcmp(cfg->listen[0], "::") == 0 &&
	    strcmp(cfg->listen[1], "0.0.0.0") == 0;
	for (size_t i = 0; i < cfg->nlisten; i++) {
		bool required = !(defaults && i == 0);
		if ((cfg->gemini_port && check_port_free(cfg->listen[i],
		    cfg->gemini_port, PROTO_GEMINI, required) < 0) ||
		    (cfg->gopher_port && check_port_free(cfg->listen[i],
		    cfg->gopher_port, PROTO_GOPHER, required) < 0))
			goto done;
	}
	for (size_t i = 0; i < cfg->nlisten; i++) {
		bool required = !(defaults && i == 0);
		if ((cfg->gemini_port && listen_on(srv, cfg->listen[i],
		    cfg->gemini_port, PROTO_GEMINI, required) < 0) ||
		    (cfg->gopher_port && listen_on(srv, cfg->listen[i],
		    cfg->gopher_port, PROTO_GOPHER, required) < 0))
			goto done;
	}
	if (srv->workers[0].nlisteners == 0) {
		log_error("nothing to serve on: both ports are 0 or no address "
		    "could be used");
		goto done;
	}
	if (fit_to_descriptors(srv) < 0)
		goto done;
	/* Ports bound and key loaded: root is no longer needed. */
	if (privilege_drop(cfg, &srv->capsule) < 0)
		goto done;
	srv->config.capsule_dir = srv->capsule;
	/* Read only now, chrooted and unprivileged: whatever the capsule
	 * holds (a link to /etc/shadow), it is read as --user would. */
	struct snapshot *snap = srv->snap = snapshot_build(cfg, NULL);
	if (!snap)
		goto done;
	srv->reloader = reloader_start(main_loop, cfg, snap, on_reload, srv);

	log_info("serving %s: %zu posts, %u worker%s, %u connections at most",
	    given->capsule_dir, snapshot_site(snap)->nposts, srv->nworkers,
	    srv->nworkers == 1 ? "" : "s", cfg->max_connections);
	for (unsigned i = 1; i < srv->nworkers; i++)
		uv_thread_create(&srv->workers[i].thread, worker_thread,
		    &srv->workers[i]);
	uv_run(main_loop, UV_RUN_DEFAULT);
	log_flush();
	for (unsigned i = 1; i < srv->nworkers; i++)
		uv_thread_join(&srv->workers[i].thread);
	rc = 0;
done:
	if (!uv_is_closing((uv_handle_t *)&srv->all_finished))
		uv_close((uv_handle_t *)&srv->all_finished, NULL);
	signal_close(&srv->sigint);
	signal_close(&srv->sigterm);
	signal_close(&srv->sighup);
	signal_close(&srv->sigusr1);
	for (unsigned i = 0; i < srv->nworkers; i++)
		worker_free(&srv->workers[i]);
	/* Closing the last handle of a signal restores its default action;
	 * a signal from here to the exit must not kill a clean stop. */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGUSR1, SIG_IGN);
	free(srv->workers);
	SSL_CTX_free(srv->ssl_ctx);
	snapshot_unref(srv->snap);
	uv_mutex_destroy(&srv->snap_lock);
	free(srv->capsule);
	free(srv);
	if (logging)
		log_stop();
	return rc;
}
