/* activation.c - sockets a service manager bound for us: the LISTEN_FDS
 * protocol read from the environment, each socket checked and told apart
 * as Gemini's or Gopher's. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pollux/activation.h"
#include "pollux/log.h"
#include "pollux/util.h"

/* More would be a mistake: two protocols on a handful of addresses. */
#define PASSED_MAX 64

static int parse_uint(const char *s, unsigned long *v)
{
	if (!s || *s < '0' || *s > '9')
		return -1;
	char *end;
	errno = 0;
	*v = strtoul(s, &end, 10);
	return errno || *end ? -1 : 0;
}

int activation_count(const char *pid, const char *fds, pid_t self)
{
	unsigned long p, n;
	/* Not for us (inherited from a parent that was activated): as if
	 * nothing were passed, as sd_listen_fds does. */
	if (!pid || !fds || parse_uint(pid, &p) < 0 || p != (unsigned long)self)
		return 0;
	if (parse_uint(fds, &n) < 0 || n > PASSED_MAX)
		return -1;
	return (int)n;
}

int activation_names(const char *list, int n, char **names)
{
	for (int i = 0; i < n; i++)
		names[i] = NULL;
	if (!list)
		return 0;
	const char *p = list;
	for (int i = 0; i < n; i++) {
		const char *end = strchr(p, ':');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		names[i] = xstrndup(p, len);
		if (!end) {
			if (i != n - 1)
				goto fail;
			return 0;
		}
		p = end + 1;
	}
fail:
	for (int i = 0; i < n; i++) {
		free(names[i]);
		names[i] = NULL;
	}
	return -1;
}

int activation_proto(const char *name, unsigned port, unsigned gemini_port,
    unsigned gopher_port, enum proto *proto)
{
	if (name && strcmp(name, "gemini") == 0) {
		*proto = PROTO_GEMINI;
		return 0;
	}
	if (name && strcmp(name, "gopher") == 0) {
		*proto = PROTO_GOPHER;
		return 0;
	}
	/* systemd names a socket after its unit unless told otherwise: any
	 * other name says nothing, the port decides. */
	if (port == 0 || gemini_port == gopher_port)
		return -1;
	if (port == gemini_port)
		*proto = PROTO_GEMINI;
	else if (port == gopher_port)
		*proto = PROTO_GOPHER;
	else
		return -1;
	return 0;
}

/* A listening TCP socket, and the address it is bound to. */
static int inspect(int fd, struct passed_socket *s)
{
	int type = 0, listening = 0;
	socklen_t len = sizeof type;
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof ss;
	snprintf(s->where, sizeof s->where, "descriptor %d", fd);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0) {
		log_error("socket activation: %s: %s", s->where,
		    errno == ENOTSOCK ? "not a socket" : strerror(errno));
		return -1;
	}
	len = sizeof listening;
	if (type != SOCK_STREAM ||
	    getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0 ||
	    !listening || getsockname(fd, (struct sockaddr *)&ss, &sslen) < 0 ||
	    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6)) {
		log_error("socket activation: %s is not a listening TCP socket "
		    "(ListenStream= with an address or a port)", s->where);
		return -1;
	}
	char addr[INET6_ADDRSTRLEN] = "?";
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		inet_ntop(AF_INET6, &a->sin6_addr, addr, sizeof addr);
		s->port = ntohs(a->sin6_port);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		inet_ntop(AF_INET, &a->sin_addr, addr, sizeof addr);
		s->port = ntohs(a->sin_port);
	}
	snprintf(s->where, sizeof s->where, "descriptor %d (%s port %u)", fd,
	    addr, s->port);
	return 0;
}

int activation_take(const struct config *cfg, struct passed_socket **out)
{
	*out = NULL;
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	int n = activation_count(pid, fds, getpid());
	char *list = getenv("LISTEN_FDNAMES") ?
	    xstrdup(getenv("LISTEN_FDNAMES")) : NULL;
	if (n < 0)
		log_error("socket activation: LISTEN_FDS=%s is not a number of "
		    "sockets (0 to %d)", fds, PASSED_MAX);
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (n <= 0) {
		free(list);
		return n;
	}
	char *names[PASSED_MAX];
	if (activation_names(list, n, names) < 0) {
		log_error("socket activation: LISTEN_FDNAMES=%s does not name "
		    "the %d sockets passed", list, n);
		free(list);
		return -1;
	}
	free(list);
	struct passed_socket *s = xcalloc((size_t)n, sizeof *s);
	int rc = -1;
	for (int i = 0; i < n; i++) {
		int fd = ACTIVATION_FD_START + i;
		s[i].fd = fd;
		if (inspect(fd, &s[i]) < 0)
			goto done;
		if (activation_proto(names[i], s[i].port, cfg->gemini_port,
		    cfg->gopher_port, &s[i].proto) < 0) {
			log_error("socket activation: %s%s%s%s is neither Gemini's "
			    "(port %u) nor Gopher's (port %u): name it gemini or "
			    "gopher (FileDescriptorName=) or set the port",
			    s[i].where, names[i] ? ", named \"" : "",
			    names[i] ? names[i] : "", names[i] ? "\"," : "",
			    cfg->gemini_port, cfg->gopher_port);
			goto done;
		}
		/* Ours now: no child gets it, and accepting must not block
		 * (every worker polls it; one may find it taken). */
		int fl = fcntl(fd, F_GETFL);
		if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 || fl < 0 ||
		    fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
			log_error("socket activation: %s: %s", s[i].where,
			    strerror(errno));
			goto done;
		}
	}
	rc = n;
	*out = s;
done:
	for (int i = 0; i < n; i++)
		free(names[i]);
	if (rc < 0)
		free(s);
	return rc;
}
