/* conn.h - connections, from the socket accept returned to the access-log
 * line: what a worker lends them (its loop, a read buffer, the state all
 * workers share) and the calls it makes on them. */
#ifndef POLLUX_CONN_H
#define POLLUX_CONN_H

#include <stdatomic.h>
#include <uv.h>

#include <openssl/ssl.h>
#include <sys/socket.h>

#include "clients.h"
#include "config.h"
#include "swap.h"
#include "tlsio.h"

/* Counters of all workers together, for the stats line. */
struct conn_stats {
	atomic_uint open;            /* connections */
	atomic_ullong held;          /* bytes allocated for connections: their
	                                structures and the ciphertext they hold */
	atomic_ullong refused;       /* over --max-connections or --max-per-ip */
	atomic_ullong limited;       /* told to slow down (--rate-limit) */
};

/* What every connection shares; set up before the workers start. */
struct conn_shared {
	const struct config *cfg;
	SSL_CTX *ssl_ctx;            /* NULL without Gemini; replaced on
	                                SIGHUP under tls_lock (a connection's
	                                SSL holds a reference on its own) */
	uv_mutex_t tls_lock;
	struct swap *swap;
	struct clients *clients;     /* NULL: no per-address limits */
	struct conn_stats stats;
};

/* A listening socket, as its connections need to know it. */
struct conn_origin {
	enum proto proto;
	unsigned port;
	const char *addr;            /* the address it is bound to; NULL: any */
};

struct conn;

/* One worker's share: its loop and the connections on it. */
struct conn_env {
	uv_loop_t *loop;
	struct conn_shared *shared;
	struct conn *conns;          /* open ones, for a stop */
	unsigned nconns;
	void (*emptied)(struct conn_env *env);   /* the last one has ended */
	char readbuf[64 << 10];      /* every read of this loop lands here */
	char stage[TLSIO_RECORD_MAX];   /* a record's plaintext, put together */
};

/* Serves fd, just accepted (non-blocking) from a listener of origin, from
 * the client at peer; closes it in the end, whatever happens. */
void conn_accept(struct conn_env *env, const struct conn_origin *origin,
    int fd, const struct sockaddr *peer, socklen_t peer_len);
/* A stop: ends every connection not sending a response. */
void conn_stop_idle(struct conn_env *env);
/* The stop's deadline: ends every connection. */
void conn_end_all(struct conn_env *env);

#endif
