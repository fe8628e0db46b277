/* log.h - diagnostics on stderr and one access-log line per request on
 * stdout. */
#ifndef POLLUX_LOG_H
#define POLLUX_LOG_H

#include <stddef.h>

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* proto: "gemini" or "gopher". The request is escaped (control bytes,
 * quotes, backslashes and non-UTF-8 as \xNN) so it cannot forge lines. */
void log_access(const char *proto, const char *client, int status,
    size_t bytes, double ms, const char *req, size_t req_len);

#endif
