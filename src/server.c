/* server.c - workers and listeners: one libuv loop per worker thread,
 * each with its own listening sockets on the shared ports, accepting with
 * a back-off when descriptors run out; signals, the stats line, reloads
 * handed over, and the stop. Connections themselves live in conn.c. */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "pollux/activation.h"
#include "pollux/clients.h"
#include "pollux/conn.h"
#include "pollux/log.h"
#include "pollux/privilege.h"
#include "pollux/reload.h"
#include "pollux/sessions.h"
#include "pollux/server.h"
#include "pollux/swap.h"
#include "pollux/tls.h"
#include "pollux/util.h"

#define DRAIN_MS 5000               /* how long a stop waits for requests */
#define ACCEPT_BATCH 64             /* accepts before other I/O gets a turn */
#define BACKOFF_MIN_MS 100          /* pause after accept ran out of something */
#define BACKOFF_MAX_MS 1000         /* doubled while pauses free nothing */
/* The access log leaves a worker when this much has gathered, or this
 * long after its first line: one write and one wake-up of the log thread
 * per batch, not per request. */
#define LOG_BATCH (8 << 10)
#define LOG_FLUSH_MS 20
/* A worker that has had no connection for this long gives the heap's free
 * pages back to the kernel: after a burst of slow readers, RSS returns
 * to what it was. */
#define TRIM_MS 1000
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
 * and forever; and accept4 hands over the client's address, which saves
 * a getpeername. */
struct listener {
	uv_poll_t poll;
	int fd;
	struct conn_origin origin;
	struct worker *w;
};

/* One thread with its own loop and its own listening sockets on the shared
 * ports (SO_REUSEPORT lets the kernel spread connections over them). */
struct worker {
	struct conn_env env;         /* first: conn.c's callbacks get it back */
	struct server *srv;
	uv_loop_t loop;
	uv_thread_t thread;
	uv_async_t stop;             /* the main thread asks for a stop */
	uv_timer_t drain;
	uv_timer_t backoff;          /* accepting paused until it fires */
	unsigned backoff_ms;         /* the last pause; 0: accepts keep up */
	unsigned pauses;             /* since accepts last kept up */
	bool progress;               /* accepted one since the last pause */
	uv_prepare_t flush;          /* before the loop sleeps: the log */
	uv_timer_t flush_timer;      /* a batch of the log waits no longer */
	uv_timer_t trim;             /* idle: the heap's free pages go back */
	struct listener *listeners;
	size_t nlisteners;
	bool stopping, finished;
};

struct server {
	const struct config *cfg;    /* points at config, below */
	struct config config;        /* ours: the capsule path may change */
	char *capsule;               /* the capsule's path after a chroot */
	struct conn_shared shared;   /* what every connection uses */
	struct reloader *reloader;
	struct worker *workers;      /* workers[0] runs on the main thread */
	unsigned nworkers;
	atomic_uint finished;        /* workers whose loops have nothing left */
	uv_async_t all_finished;     /* main loop: one more worker finished */
	atomic_ullong accept_errors;
	uv_signal_t sigint, sigterm, sighup, sigusr1;
	uv_work_t tls_work;          /* a TLS context being built */
	SSL_CTX *tls_fresh;          /* what it built; NULL: it failed */
	bool tls_building, tls_again;   /* SIGHUP came while building */
	bool stopping;
};

/* --- stopping --------------------------------------------------------- */

/* A stopping worker ends its loop once its last connection is gone. */
static void maybe_finish_stop(struct worker *w)
{
	if (!w->stopping || w->env.nconns || w->finished)
		return;
	w->finished = true;
	log_flush();
	uv_close((uv_handle_t *)&w->stop, NULL);
	uv_close((uv_handle_t *)&w->drain, NULL);
	uv_close((uv_handle_t *)&w->backoff, NULL);
	uv_close((uv_handle_t *)&w->flush, NULL);
	uv_close((uv_handle_t *)&w->flush_timer, NULL);
	uv_close((uv_handle_t *)&w->trim, NULL);
	atomic_fetch_add(&w->srv->finished, 1);
	uv_async_send(&w->srv->all_finished);
}

static void on_trim(uv_timer_t *t)
{
	struct worker *w = t->data;
	if (!w->env.nconns)
		malloc_trim(0);
}

static void on_emptied(struct conn_env *env)
{
	struct worker *w = (struct worker *)env;
	if (!w->stopping && !uv_is_active((uv_handle_t *)&w->trim))
		uv_timer_start(&w->trim, on_trim, TRIM_MS, 0);
	maybe_finish_stop(w);
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

/* --- accepting -------------------------------------------------------- */

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
		    atomic_load(&w->srv->shared.stats.open));
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
		struct sockaddr_storage peer;
		socklen_t len = sizeof peer;
		int fd = accept4(l->fd, (struct sockaddr *)&peer, &len,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			w->progress = true;
			conn_accept(&w->env, &l->origin, fd,
			    (struct sockaddr *)&peer, len);
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

/* A listening socket of its own for every worker, on the shared port.
 * Gopher's also sets TCP_DEFER_ACCEPT: the client speaks first, so the
 * kernel hands a connection over once its selector is there; it is then
 * read, answered and closed in one turn, without waiting on the loop
 * (one that sends nothing is handed over a second later). And its sockets
 * are born corked (accepted ones inherit TCP_CORK): a response is always
 * followed by the close, which uncorks it, so its last segment carries
 * the FIN instead of a packet of its own. Gemini's do neither: a handshake
 * costs a thousand times the calls saved, its deadline counts from the
 * connect, and a flight must leave at once. */
static int open_listener(const struct sockaddr *sa, bool v6, bool gopher)
{
	int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd < 0)
		return -errno;
	int one = 1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    (gopher && (setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &one,
	    sizeof one) < 0 || setsockopt(fd, IPPROTO_TCP, TCP_CORK, &one,
	    sizeof one) < 0)) ||
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

/* The address a listener is bound to, for Gemini's check of a URL that
 * names an IP address; a wildcard leaves it to getsockname. */
static const char *bound_address(const char *addr)
{
	return strcmp(addr, "::") == 0 || strcmp(addr, "0.0.0.0") == 0 ?
	    NULL : addr;
}

/* A listener on w's loop for fd (which it owns from here on, even when
 * this fails). */
static int add_listener(struct worker *w, int fd, enum proto proto,
    unsigned port, const char *addr)
{
	struct listener *l = &w->listeners[w->nlisteners];
	int rc = uv_poll_init_socket(&w->loop, &l->poll, fd);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	w->nlisteners++;
	l->poll.data = l;
	l->fd = fd;
	l->origin.proto = proto;
	l->origin.port = port;
	l->origin.addr = addr;
	l->w = w;
	return uv_poll_start(&l->poll, UV_READABLE, on_acceptable);
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
		int fd = open_listener((struct sockaddr *)&ss, v6,
		    proto == PROTO_GOPHER);
		if (fd < 0) {
			/* The default "::" is skipped quietly without IPv6. */
			if (!required && (fd == -EAFNOSUPPORT || fd == -EADDRNOTAVAIL))
				return 0;
			log_error("cannot listen on %s port %u (%s): %s", addr, port,
			    scheme, strerror(-fd));
			return -1;
		}
		int rc = add_listener(&srv->workers[i], fd, proto, port,
		    bound_address(addr));
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

/* A socket the service manager bound: one socket for every worker (a
 * descriptor of its own each, as each closes its own), where a bound one
 * is a socket per worker. Each worker polls it, and the one that wakes
 * first takes the connection. Gopher's gets the options open_listener
 * gives it (TCP_DEFER_ACCEPT, TCP_CORK: see there). The URL check asks
 * the socket for its address (origin without one). */
static int adopt(struct server *srv, const struct passed_socket *p)
{
	const char *scheme = p->proto == PROTO_GEMINI ? "gemini" : "gopher";
	int one = 1;
	if (p->proto == PROTO_GOPHER && (setsockopt(p->fd, IPPROTO_TCP,
	    TCP_DEFER_ACCEPT, &one, sizeof one) < 0 || setsockopt(p->fd,
	    IPPROTO_TCP, TCP_CORK, &one, sizeof one) < 0)) {
		log_error("socket activation: %s (%s): %s", p->where, scheme,
		    strerror(errno));
		return -1;
	}
	for (unsigned i = 0; i < srv->nworkers; i++) {
		int fd = fcntl(p->fd, F_DUPFD_CLOEXEC, ACTIVATION_FD_START);
		int rc = fd < 0 ? -errno : add_listener(&srv->workers[i], fd,
		    p->proto, p->port, NULL);
		if (rc < 0) {
			log_error("socket activation: %s (%s): %s", p->where, scheme,
			    fd < 0 ? strerror(-rc) : uv_strerror(rc));
			return -1;
		}
	}
	log_info("listening on %s, passed by the service manager, for %s",
	    p->where, scheme);
	return 0;
}

/* The sockets the service manager passed. Their descriptors are closed
 * here (and set to -1): the workers hold copies. */
static int adopt_passed(struct server *srv, struct passed_socket *passed,
    int npassed)
{
	int rc = 0;
	bool gemini = false, gopher = false;
	for (int i = 0; i < npassed; i++) {
		if (rc == 0 && adopt(srv, &passed[i]) < 0)
			rc = -1;
		gemini |= passed[i].proto == PROTO_GEMINI;
		gopher |= passed[i].proto == PROTO_GOPHER;
		close(passed[i].fd);
		passed[i].fd = -1;
	}
	if (rc == 0 && srv->cfg->gemini_port && !gemini)
		log_info("socket activation: no Gemini socket passed: Gemini "
		    "is not served");
	if (rc == 0 && srv->cfg->gopher_port && !gopher)
		log_info("socket activation: no Gopher socket passed: Gopher "
		    "is not served");
	return rc;
}

/* Without socket activation: every configured address, each port
 * checked first. */
static int bind_configured(struct server *srv)
{
	const struct config *cfg = srv->cfg;
	bool defaults = cfg->nlisten == 2 && strcmp(cfg->listen[0], "::") == 0 &&
	    strcmp(cfg->listen[1], "0.0.0.0") == 0;
	for (size_t i = 0; i < cfg->nlisten; i++) {
		bool required = !(defaults && i == 0);
		if ((cfg->gemini_port && check_port_free(cfg->listen[i],
		    cfg->gemini_port, PROTO_GEMINI, required) < 0) ||
		    (cfg->gopher_port && check_port_free(cfg->listen[i],
		    cfg->gopher_port, PROTO_GOPHER, required) < 0))
			return -1;
	}
	for (size_t i = 0; i < cfg->nlisten; i++) {
		bool required = !(defaults && i == 0);
		if ((cfg->gemini_port && listen_on(srv, cfg->listen[i],
		    cfg->gemini_port, PROTO_GEMINI, required) < 0) ||
		    (cfg->gopher_port && listen_on(srv, cfg->listen[i],
		    cfg->gopher_port, PROTO_GOPHER, required) < 0))
			return -1;
	}
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
	conn_end_all(&w->env);
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
	uv_timer_start(&w->drain, on_drain_timeout, DRAIN_MS, 0);
	conn_stop_idle(&w->env);
	maybe_finish_stop(w);
}

static void on_signal(uv_signal_t *sig, int signum)
{
	struct server *srv = sig->data;
	if (srv->stopping || !srv->reloader)
		return;
	unsigned open = atomic_load(&srv->shared.stats.open);
	log_info("signal %d: stopping, %u request%s in flight", signum, open,
	    open == 1 ? "" : "s");
	srv->stopping = true;
	reloader_stop(srv->reloader);
	for (unsigned i = 0; i < srv->nworkers; i++)
		uv_async_send(&srv->workers[i].stop);
}

/* --- the certificate on SIGHUP ---------------------------------------- */

static void reload_tls(struct server *srv);

/* In libuv's thread pool: reading and checking the files stays off the
 * loops. The context in use is only replaced once this is done. */
static void build_tls(uv_work_t *work)
{
	struct server *srv = work->data;
	uv_mutex_lock(&srv->shared.tls_lock);
	SSL_CTX *in_use = srv->shared.ssl_ctx;
	uv_mutex_unlock(&srv->shared.tls_lock);
	srv->tls_fresh = tls_context_new(srv->cfg, in_use);
}

/* New handshakes take the new context; those in flight keep theirs, whose
 * SSL holds a reference, so the old one is freed with its last. */
static void built_tls(uv_work_t *work, int status)
{
	struct server *srv = work->data;
	srv->tls_building = false;
	if (status == 0 && srv->tls_fresh) {
		uv_mutex_lock(&srv->shared.tls_lock);
		SSL_CTX *old = srv->shared.ssl_ctx;
		srv->shared.ssl_ctx = srv->tls_fresh;
		uv_mutex_unlock(&srv->shared.tls_lock);
		SSL_CTX_free(old);
		log_info("SIGHUP: the certificate and ticket keys above are in "
		    "use for new connections");
	} else {
		log_error("SIGHUP: the new certificate, key or ticket keys did "
		    "not load (above); keeping the ones in use");
	}
	srv->tls_fresh = NULL;
	if (srv->tls_again && !srv->stopping) {
		srv->tls_again = false;
		reload_tls(srv);
	}
}

static void reload_tls(struct server *srv)
{
	if (srv->tls_building) {
		srv->tls_again = true;   /* the files may have changed since */
		return;
	}
	srv->tls_work.data = srv;
	if (uv_queue_work(&srv->workers[0].loop, &srv->tls_work, build_tls,
	    built_tls) == 0)
		srv->tls_building = true;
}

/* The reloader reloads the capsule on SIGHUP; this reloads the TLS
 * context. Once a stop has begun, it only keeps the signal from killing
 * the process mid-drain. */
static void on_sighup(uv_signal_t *sig, int signum)
{
	(void)signum;
	struct server *srv = sig->data;
	if (srv->stopping)
		log_info("SIGHUP: stopping; reload ignored");
	else if (srv->shared.ssl_ctx)
		reload_tls(srv);
}

/* One line tests and operators can read instead of guessing from RSS. */
static void on_sigusr1(uv_signal_t *sig, int signum)
{
	(void)signum;
	struct server *srv = sig->data;
	struct conn_stats *st = &srv->shared.stats;
	uv_mutex_lock(&srv->shared.tls_lock);
	size_t sessions = srv->shared.ssl_ctx ?
	    sessions_count(srv->shared.ssl_ctx) : 0;
	uv_mutex_unlock(&srv->shared.tls_lock);
	log_info("stats: connections=%u snapshots=%u held=%llu "
	    "accept_errors=%llu log_dropped=%llu clients=%zu refused=%llu "
	    "rate_limited=%llu tls_sessions=%zu", atomic_load(&st->open),
	    snapshot_alive(), atomic_load(&st->held),
	    atomic_load(&srv->accept_errors), log_dropped(),
	    clients_count(srv->shared.clients), atomic_load(&st->refused),
	    atomic_load(&st->limited), sessions);
}

/* Requests already running keep the snapshot they hold; new ones get this.
 * The old one, once nobody holds it, is freed off the loop. */
static void on_reload(void *ctx, struct snapshot *fresh)
{
	struct server *srv = ctx;
	swap_set(srv->shared.swap, &srv->workers[0].loop, fresh);
}

static void on_flush_timer(uv_timer_t *t)
{
	(void)t;
	log_flush();
}

static void on_flush(uv_prepare_t *p)
{
	struct worker *w = p->data;
	size_t pending = log_pending();
	if (pending >= LOG_BATCH)
		log_flush();
	else if (pending && !uv_is_active((uv_handle_t *)&w->flush_timer))
		uv_timer_start(&w->flush_timer, on_flush_timer, LOG_FLUSH_MS, 0);
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
	w->env.loop = &w->loop;
	w->env.shared = &srv->shared;
	w->env.emptied = on_emptied;
	uv_async_init(&w->loop, &w->stop, worker_stop);
	uv_timer_init(&w->loop, &w->drain);
	uv_timer_init(&w->loop, &w->backoff);
	uv_timer_init(&w->loop, &w->flush_timer);
	uv_timer_init(&w->loop, &w->trim);
	uv_unref((uv_handle_t *)&w->trim);
	uv_prepare_init(&w->loop, &w->flush);
	uv_prepare_start(&w->flush, on_flush);
	uv_unref((uv_handle_t *)&w->flush);
	w->stop.data = w->drain.data = w->backoff.data = w->flush.data = w;
	w->trim.data = w;
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
		uv_close((uv_handle_t *)&w->flush_timer, NULL);
		uv_close((uv_handle_t *)&w->trim, NULL);
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
	/* A Gemini connection's buffer for a large response (just over 64
	 * KiB) is then a mapping of its own, which goes back to the kernel
	 * at the close whatever else the heap holds. */
	mallopt(M_MMAP_THRESHOLD, 64 << 10);
	/* Before any thread starts: the environment is changed. */
	struct passed_socket *passed;
	int npassed = activation_take(given, &passed);
	if (npassed < 0)
		return -1;
	struct server *srv = xcalloc(1, sizeof *srv);
	int rc = -1;
	srv->config = *given;
	srv->cfg = &srv->config;
	const struct config *cfg = srv->cfg;
	srv->shared.cfg = cfg;
	uv_mutex_init(&srv->shared.tls_lock);
	atomic_init(&srv->accept_errors, 0);
	srv->nworkers = cfg->workers ? cfg->workers : uv_available_parallelism();
	srv->workers = xcalloc(srv->nworkers, sizeof *srv->workers);
	for (unsigned i = 0; i < srv->nworkers; i++)
		worker_init(srv, &srv->workers[i], npassed ? (size_t)npassed :
		    2 * cfg->nlisten);
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

	bool tls = cfg->gemini_port != 0;
	for (int i = 0; i < npassed; i++)
		tls |= passed[i].proto == PROTO_GEMINI;
	if (tls && !(srv->shared.ssl_ctx = tls_context_new(cfg, NULL)))
		goto done;
	if ((npassed ? adopt_passed(srv, passed, npassed) :
	    bind_configured(srv)) < 0)
		goto done;
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
	struct snapshot *snap = snapshot_build(cfg, NULL);
	if (!snap)
		goto done;
	srv->shared.swap = swap_new(snap);
	/* Room for as many addresses as connections, and the ones only the
	 * rate limit remembers come and go within it. */
	srv->shared.clients = clients_new(config_max_per_ip(cfg,
	    cfg->max_connections), cfg->rate_limit,
	    cfg->max_connections < 1024 ? 1024 : cfg->max_connections);
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
	for (int i = 0; i < npassed; i++)
		if (passed[i].fd >= 0)
			close(passed[i].fd);
	free(passed);
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
	SSL_CTX_free(srv->shared.ssl_ctx);
	uv_mutex_destroy(&srv->shared.tls_lock);
	clients_free(srv->shared.clients);
	swap_free(srv->shared.swap);
	free(srv->capsule);
	free(srv);
	if (logging)
		log_stop();
	return rc;
}
