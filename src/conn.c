/* conn.c - one connection as a state machine: ACCEPTED, PREAMBLE (a PROXY
 * header), HANDSHAKE (Gemini), REQUEST, SENDING, CLOSING. Every change of state goes through enter(),
 * which arms that state's deadline, and every end through finish(), which
 * writes the one access-log line with what really happened. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/sockios.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "pollux/conn.h"
#include "pollux/gemini.h"
#include "pollux/gopher.h"
#include "pollux/log.h"
#include "pollux/proxy.h"
#include "pollux/request.h"
#include "pollux/util.h"

/* A connection owns no libuv handle until it has to wait for something:
 * a Gopher request already there at accept is read, answered and closed
 * with read, writev and close, never registered with the loop. */
enum state {
	ACCEPTED,    /* made, not yet admitted: only inside conn_accept */
	PREAMBLE,    /* --proxy-protocol: until the header is whole */
	HANDSHAKE,   /* Gemini: until the TLS handshake is done */
	REQUEST,     /* until the request line is whole */
	SENDING,     /* until the whole response is with the kernel */
	CLOSING,     /* ended: its handles are closing */
};

enum end {
	END_DONE,    /* the whole response went out */
	END_RESET,   /* the client went away first */
	END_TIMEOUT, /* no handshake or no request line in time */
	END_CUT,     /* we stopped: a write stalled, the response took too
	                long, or the server stopped */
	END_TLS,     /* the TLS handshake or a record failed */
	END_REFUSED, /* over --max-connections or --max-per-ip; with
	                --proxy-protocol, a peer not trusted or a header
	                not valid */
};

static const char *const end_words[] = {"done", "reset", "timeout", "cut",
    "tls", "refused"};

struct conn {
	uv_tcp_t tcp;                /* once registered */
	uv_timer_t timer;            /* the state's deadline, once registered */
	uv_write_t write;            /* the one write in flight */
	struct conn_env *env;
	const struct conn_origin *origin;
	struct conn *prev, *next;    /* env->conns */
	enum state state;
	int fd;
	int handles;                 /* open handles; freed at zero */
	bool registered;             /* tcp and timer are set up */
	bool reading;                /* uv_read_start is in force */
	bool eof;                    /* the client has stopped sending */
	bool writing;                /* a uv_write is in flight */
	bool answered;               /* reply holds the response */
	bool notified;               /* TLS: close_notify is in the buffer */
	bool timed_out;              /* Gopher: answered because the line
	                                never came */
	bool counted;                /* clients_leave is owed */
	bool limited;                /* over --rate-limit: slow down */
	unsigned wait_s;
	char *pre;                   /* PREAMBLE: a header split over reads,
	                                PROXY_HEADER_MAX bytes (counted in
	                                stats.held) */
	size_t pre_len;
	struct tlsio *tls;           /* Gemini, from its first bytes on */
	size_t held_tls;             /* tls's bytes counted in stats.held */
	struct snapshot *snap;       /* the reference this connection holds */
	uint64_t start_ns;           /* accepted (uv_hrtime) */
	uint64_t accepted_ms;        /* accepted (uv_now) */
	uint64_t since_ms;           /* entered its state (uv_now) */
	/* SENDING */
	size_t off;                  /* of the reply, handed to TLS or writes */
	size_t total;                /* head and body */
	size_t queued;               /* bytes given to writes */
	size_t progress;             /* of those, delivered at the last look */
	size_t req_len;
	struct sockaddr_storage peer;
	struct reply reply;
	char req[REQUEST_READ_MAX];
};

static void finish(struct conn *c, enum end how);
static void on_deadline(uv_timer_t *t);
static void advance_tls(struct conn *c);
static void pump_tls(struct conn *c);

static const struct config *cfg_of(const struct conn *c)
{
	return c->env->shared->cfg;
}

static struct conn_stats *stats_of(const struct conn *c)
{
	return &c->env->shared->stats;
}

/* --- states and deadlines ------------------------------------------- */

/* The deadline of the state: the handshake's counts from the accept, the
 * request line's from its state's start; a response is cut when no byte
 * left during a whole --write-timeout, or when --response-timeout is up. */
static void arm(struct conn *c)
{
	if (!c->registered)
		return;
	const struct config *cfg = cfg_of(c);
	uint64_t now = uv_now(c->env->loop), due;
	switch (c->state) {
	case PREAMBLE:
	case HANDSHAKE:
		due = c->accepted_ms + cfg->handshake_timeout_ms;
		break;
	case REQUEST:
		due = c->since_ms + cfg->request_timeout_ms;
		break;
	case SENDING:
		due = now + cfg->write_timeout_ms;
		if (cfg->response_timeout_ms &&
		    c->since_ms + cfg->response_timeout_ms < due)
			due = c->since_ms + cfg->response_timeout_ms;
		break;
	default:
		uv_timer_stop(&c->timer);
		return;
	}
	uv_timer_start(&c->timer, on_deadline, due > now ? due - now : 0, 0);
}

static void enter(struct conn *c, enum state next)
{
	c->state = next;
	c->since_ms = uv_now(c->env->loop);
	arm(c);
}

/* --- memory --------------------------------------------------------- */

static void held_add(struct conn *c, size_t n)
{
	atomic_fetch_add_explicit(&stats_of(c)->held, n, memory_order_relaxed);
}

static void held_sub(struct conn *c, size_t n)
{
	atomic_fetch_sub_explicit(&stats_of(c)->held, n, memory_order_relaxed);
}

/* The TLS buffer grows with what it holds; the stats follow. */
static void held_update(struct conn *c)
{
	size_t now = tlsio_held(c->tls);
	if (now > c->held_tls)
		held_add(c, now - c->held_tls);
	else if (now < c->held_tls)
		held_sub(c, c->held_tls - now);
	c->held_tls = now;
}

static void drop_preamble(struct conn *c)
{
	if (!c->pre)
		return;
	free(c->pre);
	c->pre = NULL;
	held_sub(c, PROXY_HEADER_MAX);
}

static void conn_free(struct conn *c)
{
	drop_preamble(c);
	held_sub(c, sizeof *c + c->held_tls);
	tlsio_free(c->tls);
	reply_free(&c->reply);
	free(c);
}

static void on_closed(uv_handle_t *h)
{
	struct conn *c = h->data;
	if (--c->handles == 0)
		conn_free(c);
}

/* --- the end ---------------------------------------------------------- */

/* Of the bytes given to writes, those not yet acknowledged by the
 * client's TCP: in libuv's queue, or in the kernel's send queue (SIOCOUTQ
 * counts what is sent and not acknowledged too, and the kernel may hold
 * megabytes there). */
static size_t undelivered(struct conn *c)
{
	size_t n = 0;
	if (c->registered)
		n += uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp);
	int outq = 0;
	if (c->fd >= 0 && ioctl(c->fd, SIOCOUTQ, &outq) == 0 && outq > 0)
		n += (size_t)outq;
	return n;
}

/* Bytes of the response the client's TCP has acknowledged. TLS ciphertext
 * not yet delivered counts against the plaintext handed to TLS, so a cut
 * Gemini response is understated by a few bytes a record, never
 * overstated. Asked only of responses that did not end well. */
static size_t bytes_sent(struct conn *c, enum end how)
{
	if (!c->answered)
		return 0;
	if (how == END_DONE)
		return c->total;
	size_t given = c->queued, unsent = undelivered(c);
	if (c->tls) {
		/* Plaintext handed to TLS, less the ciphertext not delivered
		 * (a little more than its plaintext). */
		size_t pending;
		tlsio_out(c->tls, &pending);
		if (!c->writing)
			unsent += pending;   /* in the buffer, not yet given */
		given = c->off;
	}
	return given > unsent ? given - unsent : 0;
}

static const char *status_word(const struct conn *c, char *buf, size_t n)
{
	if (!c->answered)
		return "-";
	int st = c->reply.status;
	if (c->origin->proto == PROTO_GEMINI) {
		snprintf(buf, n, "%d", st);
		return buf;
	}
	switch (st) {
	case 20: return "ok";
	case 51: return "notfound";
	case 44: return "limited";
	default: return "error";
	}
}

static void log_end(struct conn_env *env, const struct conn_origin *origin,
    const struct sockaddr *peer, const char *status, size_t bytes,
    uint64_t start_ns, enum end how, const char *req, size_t req_len)
{
	char client[64];
	log_client(client, sizeof client, peer, env->shared->cfg->log_ip);
	struct access a = {
		.proto = origin->proto == PROTO_GEMINI ? "gemini" : "gopher",
		.client = client,
		.status = status,
		.bytes = bytes,
		.ms = (double)(uv_hrtime() - start_ns) / 1e6,
		.end = end_words[how],
		.req = req,
		.req_len = req_len,
	};
	log_access(&a);
}

/* The one way out: log, give back what the connection holds, close. No
 * shutdown before the close: everything the client sent has been read
 * by then (a connection keeps reading while it sends), so the kernel
 * sends what is left and a FIN. A response cut short ends with a reset
 * instead, which drops what the kernel still holds: a FIN would make the
 * part sent look like the whole, to a Gopher client above all. */
static void finish(struct conn *c, enum end how)
{
	if (c->state == CLOSING)
		return;
	size_t bytes = bytes_sent(c, how);
	if (how == END_DONE && c->timed_out)
		how = END_TIMEOUT;
	struct conn_env *env = c->env;
	char buf[16];
	log_end(env, c->origin, (struct sockaddr *)&c->peer,
	    status_word(c, buf, sizeof buf), bytes, c->start_ns, how, c->req,
	    c->req_len);
	enter(c, CLOSING);
	if (c->counted)
		clients_leave(env->shared->clients, (struct sockaddr *)&c->peer,
		    uv_now(env->loop));
	swap_put(env->loop, c->snap);
	c->snap = NULL;
	if (c->prev)
		c->prev->next = c->next;
	else
		env->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	env->nconns--;
	atomic_fetch_sub(&stats_of(c)->open, 1);
	bool reset = how == END_CUT && c->answered;
	if (c->registered) {
		/* A write in flight is cancelled; its callback sees CLOSING. */
		if (!reset || uv_tcp_close_reset(&c->tcp, on_closed) < 0)
			uv_close((uv_handle_t *)&c->tcp, on_closed);
		uv_close((uv_handle_t *)&c->timer, on_closed);
	} else {
		/* Freed by conn_accept, which this runs under: its callers
		 * may still look at the state. */
		if (reset) {
			struct linger lg = {1, 0};
			setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
		}
		close(c->fd);
	}
	if (!env->nconns && env->emptied)
		env->emptied(env);
}

/* --- reading ---------------------------------------------------------- */

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf);

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	(void)suggested;
	struct conn *c = h->data;
	buf->base = c->env->readbuf;
	buf->len = sizeof c->env->readbuf;
}

/* From here on the loop watches the socket and the deadline runs. */
static int enroll(struct conn *c)
{
	if (c->registered)
		return 0;
	uv_loop_t *loop = c->env->loop;
	uv_tcp_init(loop, &c->tcp);
	uv_timer_init(loop, &c->timer);
	c->tcp.data = c->timer.data = c;
	c->handles = 2;
	c->registered = true;
	if (uv_tcp_open(&c->tcp, c->fd) < 0) {
		/* The handle never took the descriptor: ours to close. */
		close(c->fd);
		c->fd = -1;
		finish(c, END_RESET);
		return -1;
	}
	arm(c);
	return 0;
}

static int listen_for_more(struct conn *c)
{
	if (enroll(c) < 0)
		return -1;
	if (c->reading || c->eof)
		return 0;
	if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) < 0) {
		finish(c, END_RESET);
		return -1;
	}
	c->reading = true;
	return 0;
}

static void respond(struct conn *c);

static void add_request_bytes(struct conn *c, const char *data, size_t n)
{
	size_t room = sizeof c->req - c->req_len;
	if (n > room)
		n = room;
	memcpy(c->req + c->req_len, data, n);
	c->req_len += n;
}

static void got(struct conn *c, const char *data, size_t n);

static bool trusted(const struct config *cfg, const struct sockaddr *sa)
{
	for (size_t i = 0; i < cfg->ntrusted_proxies; i++)
		if (addr_range_contains(&cfg->trusted_proxies[i], sa))
			return true;
	return false;
}

/* Per-address limits, for the address the connection is from: the peer's,
 * or with --proxy-protocol the one its header names. false: refused. */
static bool admit(struct conn *c)
{
	struct conn_shared *sh = c->env->shared;
	if (!sh->clients)
		return true;
	enum admit a = clients_admit(sh->clients, (struct sockaddr *)&c->peer,
	    uv_now(c->env->loop), &c->counted, &c->wait_s);
	if (a == ADMIT_TOO_MANY)
		return false;
	c->limited = a == ADMIT_SLOW_DOWN;
	return true;
}

/* A header not valid: what came is kept for the access line, which says
 * what the balancer (or whoever it was) sent instead. */
static void refuse_preamble(struct conn *c, const char *data, size_t n)
{
	atomic_fetch_add(&stats_of(c)->refused, 1);
	add_request_bytes(c, data, n);
	finish(c, END_REFUSED);
}

/* The PROXY header, in as many reads as it takes: a header split over
 * reads is gathered in c->pre, and never more of it than PROXY_HEADER_MAX
 * bytes, past which proxy_parse no longer answers PROXY_INCOMPLETE. What
 * follows the header in the same read goes on to TLS or the selector
 * from where it lies, the loop's buffer. */
static void got_preamble(struct conn *c, const char *data, size_t n)
{
	struct proxy_header h;
	size_t before = c->pre_len, take = n;
	const char *buf = data;
	if (c->pre || proxy_parse(data, n, &h) == PROXY_INCOMPLETE) {
		if (!c->pre) {
			c->pre = xmalloc(PROXY_HEADER_MAX);
			held_add(c, PROXY_HEADER_MAX);
		}
		if (take > PROXY_HEADER_MAX - before)
			take = PROXY_HEADER_MAX - before;
		memcpy(c->pre + before, data, take);
		c->pre_len += take;
		buf = c->pre;
	}
	size_t len = buf == data ? n : c->pre_len;
	switch (proxy_parse(buf, len, &h)) {
	case PROXY_INCOMPLETE:
		listen_for_more(c);
		return;
	case PROXY_INVALID:
		refuse_preamble(c, buf, len);
		return;
	case PROXY_OK:
		break;
	}
	/* The last parse of c->pre said incomplete: the header ends in this
	 * read's data, so what follows it does too. */
	size_t used = buf == data ? h.len : h.len - before;
	drop_preamble(c);
	if (!h.local)
		memcpy(&c->peer, &h.client, sizeof c->peer);
	if (!admit(c)) {
		atomic_fetch_add(&stats_of(c)->refused, 1);
		finish(c, END_REFUSED);
		return;
	}
	enter(c, c->origin->proto == PROTO_GEMINI ? HANDSHAKE : REQUEST);
	if (used < n)
		got(c, data + used, n - used);
	else
		listen_for_more(c);
}

static void got(struct conn *c, const char *data, size_t n)
{
	if (c->state == PREAMBLE) {
		got_preamble(c, data, n);
		return;
	}
	if (c->state == SENDING)
		return;   /* nothing more is asked of a client: dropped */
	if (c->origin->proto == PROTO_GEMINI) {
		if (!c->tls) {
			/* Made when the first bytes arrive, so that a
			 * connection that never sends any costs little. The
			 * context may be swapped by a reload meanwhile. */
			struct conn_shared *sh = c->env->shared;
			uv_mutex_lock(&sh->tls_lock);
			c->tls = tlsio_new(sh->ssl_ctx);
			uv_mutex_unlock(&sh->tls_lock);
			if (!c->tls) {
				finish(c, END_TLS);
				return;
			}
		}
		tlsio_input(c->tls, data, n);
		advance_tls(c);
		/* The lender's buffer is the loop's: what OpenSSL could not
		 * take yet (its output was full) is copied. */
		if (c->state == HANDSHAKE || c->state == REQUEST) {
			tlsio_keep_input(c->tls);
			held_update(c);
		}
		return;
	}
	add_request_bytes(c, data, n);
	if (request_complete(c->req, c->req_len))
		respond(c);
	else
		listen_for_more(c);
}

/* The client stopped sending: what it sent is answered if it got as far
 * as a request (its line then lacks its end); one that is being answered
 * is answered to the end; one that said nothing has left. */
static void got_eof(struct conn *c)
{
	if (c->state == REQUEST && c->req_len)
		respond(c);
	else if (c->state != SENDING)
		finish(c, END_RESET);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct conn *c = s->data;
	if (c->state == CLOSING || n == 0)
		return;
	if (n > 0) {
		got(c, buf->base, (size_t)n);
	} else if (n == UV_EOF) {
		c->eof = true;
		c->reading = false;   /* libuv stops at the end */
		got_eof(c);
	} else {
		finish(c, END_RESET);
	}
}

/* Right after accept, before the loop knows the socket: the request (or
 * the ClientHello) is usually there already. */
static void read_now(struct conn *c)
{
	ssize_t n;
	do
		n = read(c->fd, c->env->readbuf, sizeof c->env->readbuf);
	while (n < 0 && errno == EINTR);
	if (n > 0) {
		got(c, c->env->readbuf, (size_t)n);
	} else if (n == 0) {
		c->eof = true;
		got_eof(c);
	} else if (errno == EAGAIN || errno == EWOULDBLOCK)
		listen_for_more(c);
	else
		finish(c, END_RESET);
}

/* --- writing ---------------------------------------------------------- */

/* As much as the socket takes now: bytes written, 0 when none, -1 when the
 * connection is broken. Straight to the socket, libuv or not: nothing of
 * ours waits in its queue then. last: the close follows, and MSG_MORE
 * keeps the tail until it does, so the FIN rides on the last segment. */
static ssize_t write_now(struct conn *c, uv_buf_t *bufs, unsigned n,
    bool last)
{
	struct iovec iov[2];
	for (unsigned i = 0; i < n; i++) {
		iov[i].iov_base = bufs[i].base;
		iov[i].iov_len = bufs[i].len;
	}
	struct msghdr msg = {.msg_iov = iov, .msg_iovlen = n};
	ssize_t rc;
	do
		rc = sendmsg(c->fd, &msg, MSG_NOSIGNAL | (last ? MSG_MORE : 0));
	while (rc < 0 && errno == EINTR);
	if (rc < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
	return rc;
}

/* Skips the first k bytes of bufs[0..n). */
static unsigned advance_bufs(uv_buf_t *bufs, unsigned n, size_t k)
{
	unsigned i = 0;
	while (i < n && k >= bufs[i].len)
		k -= bufs[i++].len;
	if (i < n) {
		bufs[i].base += k;
		bufs[i].len -= k;
	}
	memmove(bufs, bufs + i, (n - i) * sizeof *bufs);
	return n - i;
}


/* Writes bufs: now (when asked) as far as the socket takes them, the rest
 * through the loop (cb then runs). last: the close follows at once.
 * Returns 1 when all went now, 0 when the rest is in flight, -1 when the
 * connection has ended. */
static int send_bufs(struct conn *c, uv_buf_t *bufs, unsigned n,
    uv_write_cb cb, bool now, bool last)
{
	size_t total = 0;
	for (unsigned i = 0; i < n; i++)
		total += bufs[i].len;
	ssize_t done = 0;
	if (now) {
		done = write_now(c, bufs, n, last);
		if (done < 0) {
			finish(c, END_RESET);
			return -1;
		}
		c->queued += (size_t)done;
		if ((size_t)done == total)
			return 1;
		n = advance_bufs(bufs, n, (size_t)done);
	}
	if (enroll(c) < 0)
		return -1;
	c->write.data = c;
	if (uv_write(&c->write, (uv_stream_t *)&c->tcp, bufs, n, cb) < 0) {
		finish(c, END_RESET);
		return -1;
	}
	c->queued += total - (size_t)done;
	c->writing = true;
	if (c->state == SENDING) {
		/* Reading on shows a client that resets at once. */
		if (listen_for_more(c) < 0)
			return -1;
	} else if (c->reading) {
		/* A handshake flight the socket did not take whole: the
		 * client waits for it before saying more. */
		uv_read_stop((uv_stream_t *)&c->tcp);
		c->reading = false;
	}
	return 0;
}

/* --- plain responses (Gopher) ----------------------------------------- */

/* A write of either kind has ended: its connection, to go on with, or
 * NULL when it is closing or the write failed (the connection ends). */
static struct conn *write_ended(uv_write_t *req, int status)
{
	struct conn *c = req->data;
	c->writing = false;
	if (c->state == CLOSING)
		return NULL;
	if (status < 0) {
		finish(c, END_RESET);
		return NULL;
	}
	return c;
}

static void on_plain_written(uv_write_t *req, int status)
{
	struct conn *c = write_ended(req, status);
	if (!c)
		return;
	c->off = c->total;
	finish(c, END_DONE);
}

/* Straight from the snapshot, in one writev. */
static void send_plain(struct conn *c)
{
	struct reply *r = &c->reply;
	uv_buf_t bufs[2] = {
		uv_buf_init((char *)r->head, (unsigned)r->head_len),
		uv_buf_init((char *)r->body, (unsigned)r->body_len),
	};
	unsigned n = r->head_len ? 2 : 1;
	if (!r->head_len)
		bufs[0] = bufs[1];
	c->off = c->total;
	if (send_bufs(c, bufs, n, on_plain_written, true, true) == 1)
		finish(c, END_DONE);
}

/* --- TLS -------------------------------------------------------------- */

/* A failed handshake may leave an alert to send: one try, then close. */
static void fail_tls(struct conn *c)
{
	size_t len;
	const char *out = tlsio_out(c->tls, &len);
	if (len && !c->writing) {
		uv_buf_t b = uv_buf_init((char *)out, (unsigned)len);
		write_now(c, &b, 1, true);
	}
	finish(c, END_TLS);
}

static void on_tls_written(uv_write_t *req, int status)
{
	struct conn *c = write_ended(req, status);
	if (!c)
		return;
	tlsio_out_done(c->tls);
	if (c->state == SENDING) {
		if (c->notified)
			finish(c, END_DONE);
		else
			pump_tls(c);
		return;
	}
	/* A handshake flight is out: listen again, and go on where TLS
	 * stopped (more to write, or what the client had already sent). */
	if (listen_for_more(c) < 0)
		return;
	advance_tls(c);
}

/* Sends what the TLS buffer holds. now: try at once (a connection about
 * to close, or a handshake flight); else through the loop, so a large
 * response takes turns with the others. */
static int flush_tls(struct conn *c, bool now)
{
	size_t len;
	const char *out = tlsio_out(c->tls, &len);
	if (c->writing)
		return 0;
	if (!len)
		return 1;
	held_update(c);
	tlsio_out_busy(c->tls);
	uv_buf_t b = uv_buf_init((char *)out, (unsigned)len);
	int rc = send_bufs(c, &b, 1, on_tls_written, now, c->notified);
	if (rc == 1)
		tlsio_out_done(c->tls);
	return rc;
}

/* The plaintext of reply[off, off + n), contiguous: the header and the
 * first part of the body go out as one record. */
static const char *plaintext(struct conn *c, size_t n)
{
	struct reply *r = &c->reply;
	if (c->off >= r->head_len)
		return r->body + (c->off - r->head_len);
	if (c->off + n <= r->head_len)
		return r->head + c->off;
	size_t h = r->head_len - c->off;
	memcpy(c->env->stage, r->head + c->off, h);
	memcpy(c->env->stage + h, r->body, n - h);
	return c->env->stage;
}

/* Fills the buffer with records, close_notify after the last one, and
 * sends it; on_tls_written comes back for more. */
static void pump_tls(struct conn *c)
{
	if (c->writing || c->state != SENDING)
		return;
	size_t left = c->total - c->off;
	size_t records = (left + TLSIO_RECORD_MAX - 1) / TLSIO_RECORD_MAX;
	tlsio_reserve(c->tls, left + (records + 1) * TLSIO_RECORD_OVERHEAD);
	while (c->off < c->total) {
		size_t n = c->total - c->off;
		if (n > TLSIO_RECORD_MAX)
			n = TLSIO_RECORD_MAX;
		if (!tlsio_room(c->tls, n))
			break;
		enum tlsio_rc rc = tlsio_write(c->tls, plaintext(c, n), n);
		if (rc == TLSIO_WANT_WRITE)
			break;
		if (rc != TLSIO_OK) {
			finish(c, END_TLS);
			return;
		}
		c->off += n;
	}
	/* close_notify in the same write as the last record. */
	if (c->off == c->total && !c->notified) {
		enum tlsio_rc rc = tlsio_close_notify(c->tls);
		if (rc == TLSIO_OK)
			c->notified = true;
		else if (rc != TLSIO_WANT_WRITE) {
			finish(c, END_TLS);
			return;
		}
	}
	held_update(c);
	int sent = flush_tls(c, c->notified);
	if (sent == 1 && c->notified)
		finish(c, END_DONE);
	else if (sent == 1)
		finish(c, END_TLS);   /* OpenSSL wrote nothing: no way on */
}

/* A TLS step wants I/O: what it wrote goes out (during the request, that
 * is what the handshake left, TLS 1.3's session ticket: it went with the
 * response if the request came in the same read as the client's Finished;
 * else it goes now, for a client with Nagle's algorithm holds its request
 * back until its Finished is acknowledged, and a delayed ACK would cost it
 * 40 ms). True when the step may be tried again at once: its output (a
 * flight larger than the buffer) is out; for a read, never. */
static bool tls_wait(struct conn *c, enum tlsio_rc rc)
{
	int flushed = flush_tls(c, true);
	if (rc == TLSIO_WANT_READ) {
		if (flushed == 1)
			listen_for_more(c);
		return false;
	}
	return flushed == 1;
}

static void advance_tls(struct conn *c)
{
	while (c->state == HANDSHAKE && !c->writing) {
		enum tlsio_rc rc = tlsio_handshake(c->tls);
		switch (rc) {
		case TLSIO_OK:
			enter(c, REQUEST);
			break;
		case TLSIO_WANT_READ:
		case TLSIO_WANT_WRITE:
			if (!tls_wait(c, rc))
				return;
			break;
		default:
			fail_tls(c);
			return;
		}
	}
	while (c->state == REQUEST && !c->writing) {
		size_t n, room = sizeof c->req - c->req_len;
		enum tlsio_rc rc = tlsio_read(c->tls, c->req + c->req_len, room,
		    &n);
		switch (rc) {
		case TLSIO_OK:
			c->req_len += n;
			if (request_complete(c->req, c->req_len)) {
				respond(c);
				return;
			}
			break;
		case TLSIO_WANT_READ:
		case TLSIO_WANT_WRITE:
			if (!tls_wait(c, rc))
				return;
			break;
		case TLSIO_CLOSED:
			respond(c);   /* close_notify before the line's end: 59 */
			return;
		default:
			fail_tls(c);
			return;
		}
	}
}

/* --- answering -------------------------------------------------------- */

/* Gemini compares an IP address in the URL with the one the client
 * connected to; only then is the socket asked (a wildcard listener). */
static const char *local_address(struct conn *c, char *buf, size_t n)
{
	if (c->origin->addr)
		return c->origin->addr;
	const char *p = memmem(c->req, c->req_len, "://", 3);
	if (!p || p + 3 >= c->req + c->req_len ||
	    !(p[3] == '[' || (p[3] >= '0' && p[3] <= '9')))
		return NULL;
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	if (getsockname(c->fd, (struct sockaddr *)&ss, &len) < 0)
		return NULL;
	if (ss.ss_family == AF_INET6)
		uv_ip6_name((struct sockaddr_in6 *)&ss, buf, n);
	else
		uv_ip4_name((struct sockaddr_in *)&ss, buf, n);
	return buf;
}

static void respond(struct conn *c)
{
	bool gemini = c->origin->proto == PROTO_GEMINI;
	if (c->limited) {
		(gemini ? gemini_slow_down : gopher_slow_down)(&c->reply,
		    c->wait_s);
		atomic_fetch_add(&stats_of(c)->limited, 1);
	} else {
		char local[64];
		struct request_ctx ctx = {NULL, c->origin->port};
		if (gemini)
			ctx.local_addr = local_address(c, local, sizeof local);
		(gemini ? gemini_respond : gopher_respond)(c->snap, cfg_of(c),
		    &ctx, c->req, c->req_len, &c->reply);
	}
	c->answered = true;
	c->total = c->reply.head_len + c->reply.body_len;
	c->off = 0;
	enter(c, SENDING);
	if (gemini)
		pump_tls(c);
	else
		send_plain(c);
}

static void on_deadline(uv_timer_t *t)
{
	struct conn *c = t->data;
	const struct config *cfg = cfg_of(c);
	switch (c->state) {
	case PREAMBLE:
	case HANDSHAKE:
		finish(c, END_TIMEOUT);
		return;
	case REQUEST:
		/* A Gopher client that never finished its line is told so; a
		 * Gemini client is dropped: the protocol has no status for a
		 * request that never came. */
		if (c->origin->proto == PROTO_GOPHER) {
			c->timed_out = true;
			respond(c);
		} else {
			finish(c, END_TIMEOUT);
		}
		return;
	case SENDING: {
		uint64_t now = uv_now(c->env->loop);
		if (cfg->response_timeout_ms &&
		    now >= c->since_ms + cfg->response_timeout_ms) {
			finish(c, END_CUT);
			return;
		}
		/* Bytes the client acknowledged since the last look mean it
		 * reads, however slowly; what the kernel took from us says
		 * nothing, for it may take megabytes. */
		size_t unsent = undelivered(c);
		size_t delivered = c->queued > unsent ? c->queued - unsent : 0;
		if (delivered > c->progress) {
			c->progress = delivered;
			arm(c);
			return;
		}
		finish(c, END_CUT);
		return;
	}
	default:
		return;
	}
}

/* --- accepting and stopping ------------------------------------------- */

/* Closed at once with a reset, so the backlog never fills with them. */
static void refuse(struct conn_env *env, const struct conn_origin *origin,
    int fd, const struct sockaddr *peer)
{
	struct linger lg = {1, 0};
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
	close(fd);
	atomic_fetch_add(&env->shared->stats.refused, 1);
	log_end(env, origin, peer, "-", 0, uv_hrtime(), END_REFUSED, "", 0);
}

void conn_accept(struct conn_env *env, const struct conn_origin *origin,
    int fd, const struct sockaddr *peer, socklen_t peer_len)
{
	struct conn_shared *sh = env->shared;
	if (atomic_fetch_add(&sh->stats.open, 1) >= sh->cfg->max_connections) {
		atomic_fetch_sub(&sh->stats.open, 1);
		refuse(env, origin, fd, peer);
		return;
	}
	/* Only a trusted balancer may name the client; anyone else who
	 * reaches the port directly would be believed too. */
	bool proxied = sh->cfg->proxy_protocol;
	if (proxied && !trusted(sh->cfg, peer)) {
		atomic_fetch_sub(&sh->stats.open, 1);
		refuse(env, origin, fd, peer);
		return;
	}
	struct conn *c = xcalloc(1, sizeof *c);
	c->env = env;
	c->origin = origin;
	c->fd = fd;
	if (peer_len <= sizeof c->peer)
		memcpy(&c->peer, peer, peer_len);
	/* Behind a balancer the limits wait for the header's address. */
	if (!proxied && !admit(c)) {
		free(c);
		atomic_fetch_sub(&sh->stats.open, 1);
		refuse(env, origin, fd, peer);
		return;
	}
	c->start_ns = uv_hrtime();
	c->accepted_ms = uv_now(env->loop);
	held_add(c, sizeof *c);
	c->next = env->conns;
	if (env->conns)
		env->conns->prev = c;
	env->conns = c;
	env->nconns++;
	c->snap = swap_get(sh->swap);
	enter(c, proxied ? PREAMBLE : origin->proto == PROTO_GEMINI ?
	    HANDSHAKE : REQUEST);
	read_now(c);
	/* Ended before the loop ever saw it: nothing else points here. */
	if (c->state == CLOSING && !c->registered)
		conn_free(c);
}

void conn_stop_idle(struct conn_env *env)
{
	for (struct conn *c = env->conns, *next; c; c = next) {
		next = c->next;
		if (c->state != SENDING)
			finish(c, END_CUT);
	}
}

void conn_end_all(struct conn_env *env)
{
	for (struct conn *c = env->conns, *next; c; c = next) {
		next = c->next;
		finish(c, END_CUT);
	}
}
