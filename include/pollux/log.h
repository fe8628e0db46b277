/* log.h - diagnostics on stderr and one access-log line per request on
 * stdout. */
#ifndef POLLUX_LOG_H
#define POLLUX_LOG_H

#include <stddef.h>

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* proto: "gemini" or "gopher". The request is escaped with log_escape. */
void log_access(const char *proto, const char *client, int status,
    size_t bytes, double ms, const char *req, size_t req_len);

/* Writes s[0..n) into out so that it cannot forge or disguise a log line:
 * control bytes, '"', '\\' and bytes that are not UTF-8 become \xNN; C1
 * controls, U+2028, U+2029, the bidirectional controls and U+FEFF become
 * \uNNNN; other UTF-8 is kept. Stops before the first escape or character
 * that would not fit; always NUL-terminates (when outsz > 0). Returns the
 * length written. */
size_t log_escape(char *out, size_t outsz, const char *s, size_t n);

#endif
