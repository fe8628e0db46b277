/* log.c - diagnostics to stderr and the access log to stdout, written by
 * threads of their own so that a reader that stalls never stalls serving. */
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "pollux/log.h"
#include "pollux/request.h"
#include "pollux/util.h"

/* Every byte of the longest request escaped as \xNN. */
#define REQUEST_ESCAPED_MAX (4 * REQUEST_READ_MAX + 1)
/* What a stalled stdout may hold up before lines are dropped: a few
 * seconds of a busy server's lines, plus as much in the blocked write. */
#define ACCESS_QUEUE_MAX (256 << 10)
#define DIAG_QUEUE_MAX (32 << 10)
#define DIAG_LINE_MAX 2048
/* A worker's lines between two turns of its loop. */
#define LOCAL_MAX (16 << 10)
/* How long an exit waits for a writer stuck on a reader that stalls. */
#define STOP_WAIT_MS 1000

/* One output stream: producers append whole lines to fill under the lock,
 * the writer swaps it with out and writes out without the lock. */
struct sink {
	int fd;
	const char *what;            /* names the lines in the drop report */
	char *fill, *out;
	size_t len, cap;
	unsigned long long unreported; /* dropped since the last report */
	atomic_ullong dropped;       /* dropped in all */
	uv_mutex_t lock;
	uv_cond_t more;              /* fill has lines, or stopping */
	uv_cond_t gone;              /* the writer has finished */
	uv_thread_t thread;
	atomic_bool running;         /* lines go through the writer */
	atomic_bool abandoned;       /* the writer never finished: drop all */
	bool stopping, finished;
};

static char access_a[ACCESS_QUEUE_MAX], access_b[ACCESS_QUEUE_MAX];
static char diag_a[DIAG_QUEUE_MAX], diag_b[DIAG_QUEUE_MAX];
static struct sink access_sink = {
	.fd = STDOUT_FILENO, .what = "access-log", .fill = access_a,
	.out = access_b, .cap = ACCESS_QUEUE_MAX,
};
static struct sink diag_sink = {
	.fd = STDERR_FILENO, .what = "diagnostic", .fill = diag_a,
	.out = diag_b, .cap = DIAG_QUEUE_MAX,
};

/* A worker's access lines wait here until its loop is about to sleep, so
 * the shared lock is taken once a turn rather than once a request. */
static _Thread_local struct {
	size_t len;
	char buf[LOCAL_MAX];
} local;

/* Set while a loading thread renders: its reports wait here, to be said in
 * the order a sequential load would say them. */
static _Thread_local struct buf *capture;

static unsigned long long count_lines(const char *s, size_t n)
{
	unsigned long long lines = 0;
	for (const char *p = s; (p = memchr(p, '\n', n - (size_t)(p - s)));
	    p++)
		lines++;
	return lines;
}

/* Blocking, whole; returns the lines that could not be written. */
static unsigned long long write_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return count_lines(s, n);
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

static void writer(void *arg)
{
	struct sink *k = arg;
	uv_mutex_lock(&k->lock);
	for (;;) {
		while (!k->len && !k->stopping)
			uv_cond_wait(&k->more, &k->lock);
		if (!k->len)
			break;
		char *batch = k->fill;
		size_t n = k->len;
		k->fill = k->out;
		k->out = batch;
		k->len = 0;
		uv_mutex_unlock(&k->lock);
		unsigned long long lost = write_all(k->fd, batch, n);
		uv_mutex_lock(&k->lock);
		k->unreported += lost;
		atomic_fetch_add(&k->dropped, lost);
	}
	k->finished = true;
	uv_cond_signal(&k->gone);
	uv_mutex_unlock(&k->lock);
}

/* Queues whole lines; the ones that do not fit are dropped and counted,
 * and the count goes out ahead of the next line that does fit. */
static void push(struct sink *k, const char *s, size_t n)
{
	if (!n)
		return;
	if (atomic_load(&k->abandoned)) {
		atomic_fetch_add(&k->dropped, count_lines(s, n));
		return;
	}
	if (!atomic_load(&k->running)) {
		/* Before the writers start or after they stop: one thread. */
		write_all(k->fd, s, n);
		return;
	}
	uv_mutex_lock(&k->lock);
	bool was_empty = k->len == 0;
	if (k->unreported) {
		char note[96];
		int len = snprintf(note, sizeof note, "pollux: %llu %s line%s "
		    "dropped\n", k->unreported, k->what,
		    k->unreported == 1 ? "" : "s");
		if (k->len + (size_t)len < k->cap) {
			memcpy(k->fill + k->len, note, (size_t)len);
			k->len += (size_t)len;
			k->unreported = 0;
		}
	}
	size_t take = n;
	if (take > k->cap - k->len) {
		take = 0;
		const char *nl = k->cap - k->len ? memrchr(s, '\n',
		    k->cap - k->len) : NULL;
		if (nl)
			take = (size_t)(nl - s) + 1;
	}
	memcpy(k->fill + k->len, s, take);
	k->len += take;
	unsigned long long lost = count_lines(s + take, n - take);
	k->unreported += lost;
	atomic_fetch_add(&k->dropped, lost);
	if (was_empty && k->len)
		uv_cond_signal(&k->more);
	uv_mutex_unlock(&k->lock);
}

static int sink_start(struct sink *k)
{
	if (uv_mutex_init(&k->lock) < 0)
		return -1;
	if (uv_cond_init(&k->more) < 0) {
		uv_mutex_destroy(&k->lock);
		return -1;
	}
	if (uv_cond_init(&k->gone) < 0) {
		uv_cond_destroy(&k->more);
		uv_mutex_destroy(&k->lock);
		return -1;
	}
	k->stopping = k->finished = false;
	if (uv_thread_create(&k->thread, writer, k) < 0) {
		uv_cond_destroy(&k->gone);
		uv_cond_destroy(&k->more);
		uv_mutex_destroy(&k->lock);
		return -1;
	}
	atomic_store(&k->running, true);
	return 0;
}

int log_start(void)
{
	if (sink_start(&diag_sink) < 0) {
		log_error("cannot start the log writer threads");
		return -1;
	}
	if (sink_start(&access_sink) < 0) {
		log_error("cannot start the log writer threads");
		log_stop();
		return -1;
	}
	return 0;
}

static void sink_ask_stop(struct sink *k)
{
	if (!atomic_load(&k->running))
		return;
	uv_mutex_lock(&k->lock);
	k->stopping = true;
	uv_cond_signal(&k->more);
	uv_mutex_unlock(&k->lock);
}

/* A writer still blocked at the deadline is left to the process's exit;
 * its buffers are static, so nothing it touches is freed under it. */
static void sink_wait(struct sink *k, uint64_t deadline)
{
	if (!atomic_load(&k->running))
		return;
	uv_mutex_lock(&k->lock);
	while (!k->finished) {
		uint64_t now = uv_hrtime();
		if (now >= deadline ||
		    uv_cond_timedwait(&k->gone, &k->lock, deadline - now) != 0)
			break;
	}
	bool finished = k->finished;
	uv_mutex_unlock(&k->lock);
	atomic_store(&k->running, false);
	if (!finished) {
		atomic_store(&k->abandoned, true);
		return;
	}
	uv_thread_join(&k->thread);
	uv_cond_destroy(&k->gone);
	uv_cond_destroy(&k->more);
	uv_mutex_destroy(&k->lock);
}

void log_stop(void)
{
	log_flush();
	uint64_t deadline = uv_hrtime() + (uint64_t)STOP_WAIT_MS * 1000000;
	sink_ask_stop(&access_sink);
	sink_ask_stop(&diag_sink);
	sink_wait(&access_sink, deadline);
	sink_wait(&diag_sink, deadline);
}

void log_flush(void)
{
	push(&access_sink, local.buf, local.len);
	local.len = 0;
}

size_t log_pending(void)
{
	return local.len;
}

unsigned long long log_dropped(void)
{
	return atomic_load(&access_sink.dropped);
}

static void vlog(const char *fmt, va_list ap)
{
	char line[DIAG_LINE_MAX];
	size_t n = (size_t)snprintf(line, sizeof line, "pollux: ");
	int len = vsnprintf(line + n, sizeof line - n, fmt, ap);
	if (len > 0)
		n += (size_t)len < sizeof line - n ? (size_t)len :
		    sizeof line - n - 1;
	line[n++] = '\n';
	push(&diag_sink, line, n);
}

void log_problem(const char *file, unsigned line, const char *fmt,
    va_list ap)
{
	char msg[DIAG_LINE_MAX];
	size_t n = log_escape(msg, sizeof msg / 2, file, strlen(file));
	n += (size_t)snprintf(msg + n, sizeof msg - n, ":%u: ", line);
	int len = vsnprintf(msg + n, sizeof msg - n, fmt, ap);
	if (len > 0)
		n += (size_t)len < sizeof msg - n ? (size_t)len :
		    sizeof msg - n - 1;
	msg[n++] = '\n';
	if (capture) {
		buf_put(capture, msg, n);
		return;
	}
	push(&diag_sink, msg, n);
}

void log_capture(struct buf *to)
{
	capture = to;
}

void log_problem_lines(const char *s, size_t n)
{
	push(&diag_sink, s, n);
}

void log_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

/* The length of the UTF-8 sequence at s (1-4) and its code point, or 0
 * when it is not one: overlong forms and surrogates included. */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t need;
	uint32_t c = s[0], min;
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if ((c & 0xE0) == 0xC0) {
		need = 1, c &= 0x1F, min = 0x80;
	} else if ((c & 0xF0) == 0xE0) {
		need = 2, c &= 0x0F, min = 0x800;
	} else if ((c & 0xF8) == 0xF0) {
		need = 3, c &= 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n <= need)
		return 0;
	for (size_t k = 1; k <= need; k++) {
		if ((s[k] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (s[k] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return need + 1;
}

/* Characters that end a line for some readers (NEL, LS, PS), the other C1
 * controls, and the ones that reorder or hide text around them. */
static bool disguises(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9F) || cp == 0x061C || cp == 0x200E ||
	    cp == 0x200F || cp == 0x2028 || cp == 0x2029 ||
	    (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) ||
	    cp == 0xFEFF;
}

size_t log_escape(char *out, size_t outsz, const char *s, size_t n)
{
	if (!outsz)
		return 0;
	const unsigned char *u = (const unsigned char *)s;
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		char piece[8];
		size_t len;
		uint32_t cp;
		size_t seq = utf8_decode(u + i, n - i, &cp);
		if (seq == 0 || (seq == 1 && (cp < 0x20 || cp == 0x7F ||
		    cp == '"' || cp == '\\'))) {
			len = (size_t)snprintf(piece, sizeof piece, "\\x%02X", u[i]);
			seq = 1;
		} else if (disguises(cp)) {
			len = (size_t)snprintf(piece, sizeof piece, "\\u%04X",
			    (unsigned)cp);
		} else {
			len = seq;
			memcpy(piece, s + i, seq);
		}
		if (o + len >= outsz)
			break;
		memcpy(out + o, piece, len);
		o += len;
		i += seq;
	}
	out[o] = '\0';
	return o;
}

void log_client(char *out, size_t outsz, const struct sockaddr *sa,
    enum log_ip mode)
{
	snprintf(out, outsz, "-");
	if (!sa || mode == LOG_IP_NONE)
		return;
	if (sa->sa_family == AF_INET) {
		struct in_addr a = ((const struct sockaddr_in *)sa)->sin_addr;
		if (mode == LOG_IP_ANON)
			((unsigned char *)&a)[3] = 0;
		inet_ntop(AF_INET, &a, out, (socklen_t)outsz);
	} else if (sa->sa_family == AF_INET6) {
		struct in6_addr a = ((const struct sockaddr_in6 *)sa)->sin6_addr;
		if (mode == LOG_IP_ANON) {
			/* IPv4-mapped: the IPv4 rule; else keep the /48. */
			size_t from = IN6_IS_ADDR_V4MAPPED(&a) ? 15 : 6;
			memset(a.s6_addr + from, 0, 16 - from);
		}
		inet_ntop(AF_INET6, &a, out, (socklen_t)outsz);
	}
}

void log_access(const struct access *a)
{
	/* Drop the line terminator; escape the rest. */
	size_t req_len = a->req_len;
	while (req_len && (a->req[req_len - 1] == '\n' ||
	    a->req[req_len - 1] == '\r'))
		req_len--;
	char escaped[REQUEST_ESCAPED_MAX];
	log_escape(escaped, sizeof escaped, a->req, req_len);

	static _Thread_local time_t last;
	static _Thread_local char when[32];
	time_t now = time(NULL);
	if (now != last) {
		struct tm tm;
		gmtime_r(&now, &tm);
		strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
		last = now;
	}
	char line[REQUEST_ESCAPED_MAX + 256];
	int n = snprintf(line, sizeof line, "%s %s %s %s %zu %.1fms %s \"%s\"\n",
	    when, a->proto, a->client, a->status, a->bytes, a->ms, a->end,
	    escaped);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof line) {
		n = (int)sizeof line - 1;
		line[n - 1] = '\n';
	}
	if (local.len + (size_t)n > sizeof local.buf)
		log_flush();
	memcpy(local.buf + local.len, line, (size_t)n);
	local.len += (size_t)n;
}
