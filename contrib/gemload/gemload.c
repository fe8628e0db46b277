/* gemload.c - a load client for Gemini and Gopher servers: C threads keep
 * one request each in flight against one URL for T seconds (or R requests
 * in all), with or without TLS session resumption, and report requests per
 * second, latency percentiles, errors, and the server's own CPU time per
 * request read from /proc/PID/stat, which the client's cost cannot skew.
 *
 *   gemload [-c CONN] [-t SECONDS] [-n REQUESTS] [-r] [-p PID] [-s N] URL
 *
 * URL is gemini://HOST:PORT/PATH or gopher://HOST:PORT/TYPE/SELECTOR.
 * -s N also prints the N slowest requests, when each started (seconds of
 * CLOCK_MONOTONIC, to set beside other events) and how long it took. */
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>

struct target {
	bool tls;
	char host[256], port[8];
	char request[1100];
	size_t request_len;
};

static struct target target;
static SSL_CTX *ctx;
static bool resume;
static double deadline;
static long max_requests;
static atomic_long started, errors, reused;

struct worker {
	pthread_t thread;
	double *lat;          /* seconds per request */
	double *at;           /* when each started */
	size_t n, cap;
	SSL_SESSION *session;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int dial(void)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res;
	if (getaddrinfo(target.host, target.port, &hints, &res) != 0)
		return -1;
	int fd = socket(res->ai_family, SOCK_STREAM, 0);
	if (fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) < 0) {
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd >= 0) {
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		struct timeval tv = {10, 0};
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	}
	return fd;
}

/* One request: connect, (handshake,) send, read to the end. */
static int one_request(struct worker *w)
{
	char buf[16384];
	int fd = dial();
	if (fd < 0)
		return -1;
	int rc = -1;
	size_t got = 0;
	if (!target.tls) {
		if (write(fd, target.request, target.request_len) !=
		    (ssize_t)target.request_len)
			goto done;
		ssize_t n;
		while ((n = read(fd, buf, sizeof buf)) > 0)
			got += (size_t)n;
		/* A server that answers without reading the request (nginx's
		 * return) resets the connection after its answer. */
		rc = got > 0 && (n == 0 || errno == ECONNRESET) ? 0 : -1;
		goto done;
	}
	SSL *ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	SSL_set_tlsext_host_name(ssl, target.host);
	if (resume && w->session)
		SSL_set_session(ssl, w->session);
	if (SSL_connect(ssl) == 1 &&
	    SSL_write(ssl, target.request, (int)target.request_len) > 0) {
		int n;
		while ((n = SSL_read(ssl, buf, sizeof buf)) > 0)
			got += (size_t)n;
		/* A clean end is the server's close_notify. */
		rc = SSL_get_error(ssl, n) == SSL_ERROR_ZERO_RETURN && got > 0 ?
		    0 : -1;
		if (SSL_session_reused(ssl))
			atomic_fetch_add(&reused, 1);
		if (resume) {
			SSL_SESSION *s = SSL_get1_session(ssl);
			if (s) {
				SSL_SESSION_free(w->session);
				w->session = s;
			}
		}
	}
	/* Without a shutdown OpenSSL marks the session not resumable. */
	if (rc == 0)
		SSL_set_shutdown(ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
	SSL_free(ssl);
done:
	close(fd);
	return rc;
}

static void *run(void *arg)
{
	struct worker *w = arg;
	while (now() < deadline) {
		if (max_requests && atomic_fetch_add(&started, 1) >= max_requests)
			break;
		double t0 = now();
		if (one_request(w) < 0) {
			atomic_fetch_add(&errors, 1);
			continue;
		}
		if (w->n == w->cap) {
			w->cap = w->cap ? w->cap * 2 : 1024;
			w->lat = realloc(w->lat, w->cap * sizeof *w->lat);
			w->at = realloc(w->at, w->cap * sizeof *w->at);
			if (!w->lat || !w->at)
				abort();
		}
		w->at[w->n] = t0;
		w->lat[w->n++] = now() - t0;
	}
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

struct sample {
	double at, lat;
};

static int cmp_slower(const void *a, const void *b)
{
	double x = ((const struct sample *)a)->lat;
	double y = ((const struct sample *)b)->lat;
	return (x < y) - (x > y);
}

/* utime + stime of a process and of its children that ended (a server
 * forking a process per connection, such as gophernicus under
 * systemd-socket-activate, pays its work there), in seconds. */
static double cpu_seconds(long pid)
{
	char path[64], buf[2048];
	snprintf(path, sizeof path, "/proc/%ld/stat", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *p = strrchr(buf, ')');   /* the name may hold spaces */
	unsigned long ut, st;
	long cut, cst;
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
	    "%lu %lu %ld %ld", &ut, &st, &cut, &cst) != 4)
		return -1;
	return (double)(ut + st + (unsigned long)cut + (unsigned long)cst) /
	    (double)sysconf(_SC_CLK_TCK);
}

static int parse_url(const char *url)
{
	const char *rest;
	if (strncmp(url, "gemini://", 9) == 0) {
		target.tls = true;
		rest = url + 9;
	} else if (strncmp(url, "gopher://", 9) == 0) {
		rest = url + 9;
	} else {
		return -1;
	}
	size_t hl = strcspn(rest, ":/");
	if (hl == 0 || hl >= sizeof target.host)
		return -1;
	memcpy(target.host, rest, hl);
	target.host[hl] = '\0';
	rest += hl;
	snprintf(target.port, sizeof target.port, "%s", target.tls ? "1965" : "70");
	if (*rest == ':') {
		size_t pl = strcspn(rest + 1, "/");
		if (pl == 0 || pl >= sizeof target.port)
			return -1;
		memcpy(target.port, rest + 1, pl);
		target.port[pl] = '\0';
		rest += 1 + pl;
	}
	if (target.tls)
		snprintf(target.request, sizeof target.request, "%s\r\n", url);
	else   /* skip the item type after the first slash */
		snprintf(target.request, sizeof target.request, "%s\r\n",
		    *rest == '/' && rest[1] ? rest + 2 : "");
	target.request_len = strlen(target.request);
	return 0;
}

int main(int argc, char **argv)
{
	int conns = 16, opt, slowest = 0;
	double seconds = 5;
	long pid = 0;
	while ((opt = getopt(argc, argv, "c:t:n:rp:s:")) != -1) {
		switch (opt) {
		case 'c': conns = atoi(optarg); break;
		case 't': seconds = atof(optarg); break;
		case 'n': max_requests = atol(optarg); break;
		case 'r': resume = true; break;
		case 'p': pid = atol(optarg); break;
		case 's': slowest = atoi(optarg); break;
		default: goto usage;
		}
	}
	if (optind != argc - 1 || conns < 1 || parse_url(argv[optind]) < 0)
		goto usage;
	ctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT);

	struct worker *ws = calloc((size_t)conns, sizeof *ws);
	double cpu0 = pid ? cpu_seconds(pid) : -1;
	double t0 = now();
	deadline = t0 + seconds;
	for (int i = 0; i < conns; i++)
		pthread_create(&ws[i].thread, NULL, run, &ws[i]);
	size_t total = 0;
	for (int i = 0; i < conns; i++) {
		pthread_join(ws[i].thread, NULL);
		total += ws[i].n;
	}
	double elapsed = now() - t0;
	double cpu1 = pid ? cpu_seconds(pid) : -1;

	double *all = malloc((total ? total : 1) * sizeof *all);
	struct sample *samples = malloc((total ? total : 1) * sizeof *samples);
	size_t k = 0;
	for (int i = 0; i < conns; i++) {
		memcpy(all + k, ws[i].lat, ws[i].n * sizeof *all);
		for (size_t j = 0; j < ws[i].n; j++)
			samples[k + j] = (struct sample){ws[i].at[j], ws[i].lat[j]};
		k += ws[i].n;
		free(ws[i].lat);
		free(ws[i].at);
		SSL_SESSION_free(ws[i].session);
	}
	qsort(all, total, sizeof *all, cmp_double);
	double p50 = total ? all[total / 2] * 1e3 : 0;
	double p99 = total ? all[(size_t)((double)total * 0.99)] * 1e3 : 0;
	double max = total ? all[total - 1] * 1e3 : 0;
	double cpu_us = pid && cpu0 >= 0 && cpu1 >= 0 && total ?
	    (cpu1 - cpu0) * 1e6 / (double)total : -1;
	printf("rps=%.0f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f errors=%ld "
	    "cpu_us_per_req=%.0f requests=%zu conns=%d resumed=%ld\n",
	    (double)total / elapsed, p50, p99, max, atomic_load(&errors), cpu_us,
	    total, conns, atomic_load(&reused));
	if (slowest > 0) {
		qsort(samples, total, sizeof *samples, cmp_slower);
		for (size_t i = 0; i < total && i < (size_t)slowest; i++)
			printf("slow at=%.6f ms=%.2f\n", samples[i].at,
			    samples[i].lat * 1e3);
	}
	free(samples);
	free(all);
	free(ws);
	SSL_CTX_free(ctx);
	return 0;
usage:
	fprintf(stderr, "usage: gemload [-c CONN] [-t SECONDS] [-n REQUESTS] "
	    "[-r] [-p SERVER_PID] [-s SLOWEST] URL\n");
	return 2;
}
