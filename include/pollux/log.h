/* log.h - diagnostics on stderr and one access-log line per connection on
 * stdout, neither of which can block the caller once log_start has run. */
#ifndef POLLUX_LOG_H
#define POLLUX_LOG_H

#include <stdarg.h>
#include <stddef.h>

#include <sys/socket.h>

#include "config.h"

/* Starts the threads that write both streams; until then, and after
 * log_stop, lines are written where they are made. Returns 0 or -1. */
int log_start(void);
/* Writes what is queued, giving up after about a second on a stream
 * nobody reads (its lines are then dropped). Flushes the caller's lines. */
void log_stop(void);

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "FILE:LINE: what is wrong", the way editors and compilers say it, with
 * the file name escaped (it is whatever bytes the capsule's author used). */
void log_problem(const char *file, unsigned line, const char *fmt,
    va_list ap) __attribute__((format(printf, 3, 0)));

/* While to is set (NULL ends it), this thread's log_problem lines are
 * appended to it rather than said; log_problem_lines says them later. */
struct buf;
void log_capture(struct buf *to);
void log_problem_lines(const char *s, size_t n);
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One connection, told when it has ended. */
struct access {
	const char *proto;           /* "gemini" or "gopher" */
	const char *client;          /* as log_client wrote it */
	const char *status;          /* "20", "51"; Gopher: "ok", "notfound",
	                                "error", "limited"; "-": no answer */
	size_t bytes;                /* of the response, really sent */
	double ms;                   /* from accept to close */
	const char *end;             /* done, reset, timeout, cut, tls, refused */
	const char *req;             /* every byte read, escaped here */
	size_t req_len;
};

/* Writes "TIME PROTO CLIENT STATUS BYTES MSms END "REQUEST"". Lines wait
 * in the calling thread until it calls log_flush. */
void log_access(const struct access *a);
/* The client as the access log shows it: the address, the address with
 * its host part zeroed (IPv4 /24, IPv6 /48), or "-". */
void log_client(char *out, size_t outsz, const struct sockaddr *sa,
    enum log_ip mode);
/* Hands the calling thread's access lines to the writer. */
void log_flush(void);
/* Bytes of access lines waiting in the calling thread. */
size_t log_pending(void);
/* Access-log lines dropped so far because stdout did not keep up. */
unsigned long long log_dropped(void);

/* Writes s[0..n) into out so that it cannot forge or disguise a log line:
 * control bytes, '"', '\\' and bytes that are not UTF-8 become \xNN; C1
 * controls, U+2028, U+2029, the bidirectional controls and U+FEFF become
 * \uNNNN; other UTF-8 is kept. Stops before the first escape or character
 * that would not fit; always NUL-terminates (when outsz > 0). Returns the
 * length written. */
size_t log_escape(char *out, size_t outsz, const char *s, size_t n);

#endif
