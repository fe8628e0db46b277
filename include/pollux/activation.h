/* activation.h - listening sockets handed over by a service manager
 * (systemd's socket activation), read from the environment as
 * sd_listen_fds(3) documents, without libsystemd. */
#ifndef POLLUX_ACTIVATION_H
#define POLLUX_ACTIVATION_H

#include <sys/types.h>

#include "config.h"
#include "snapshot.h"

#define ACTIVATION_FD_START 3   /* the first passed descriptor */

/* One passed socket, bound and listening already. */
struct passed_socket {
	int fd;
	enum proto proto;
	unsigned port;               /* the port it is bound to */
	char where[80];              /* "descriptor 3 (127.0.0.1 port 70)" */
};

/* Takes the sockets passed to this process (LISTEN_PID is ours and
 * LISTEN_FDS counts them, from descriptor 3 on) and unsets LISTEN_PID,
 * LISTEN_FDS and LISTEN_FDNAMES, whatever they held, so that no child
 * inherits them. Each must be a listening TCP socket; it is Gemini's or
 * Gopher's by its name in LISTEN_FDNAMES ("gemini", "gopher") or else by
 * its port (cfg's gemini and gopher ports). Sets each close-on-exec and
 * non-blocking. Returns how many (0: none passed, bind as configured),
 * *out a malloc'd array the caller frees (the descriptors are the
 * caller's too); -1 after logging why, nothing to free or close. */
int activation_take(const struct config *cfg, struct passed_socket **out);

/* The parts of it that read text, for tests. */

/* LISTEN_PID and LISTEN_FDS (either may be NULL) for process self: the
 * number of sockets, 0 when they are not for self or not set, -1 when
 * LISTEN_FDS is not a count. */
int activation_count(const char *pid, const char *fds, pid_t self);

/* The n names of LISTEN_FDNAMES (NULL: none given), split at ':' into
 * names[0..n-1], each a malloc'd string (NULL when not given). -1 when
 * it does not hold n names. */
int activation_names(const char *list, int n, char **names);

/* The protocol of a socket named name (NULL: none) bound to port. -1
 * when it is neither: a name other than "gemini" and "gopher" defers to
 * the port, which must be one of the two (and they must differ). */
int activation_proto(const char *name, unsigned port, unsigned gemini_port,
    unsigned gopher_port, enum proto *proto);

#endif
