/* log.c - diagnostics to stderr, and the access log to stdout, one line per
 * request with the request escaped so a client cannot forge a log line. */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "pollux/log.h"
#include "pollux/request.h"
#include "pollux/util.h"

/* Every byte of the longest request escaped as \xNN. */
#define REQUEST_ESCAPED_MAX (4 * REQUEST_READ_MAX + 1)

static void vlog(const char *fmt, va_list ap)
{
	fputs("pollux: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
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

void log_access(const char *proto, const char *client, int status,
    size_t bytes, double ms, const char *req, size_t req_len)
{
	char line[REQUEST_ESCAPED_MAX];
	size_t o = 0;
	/* Drop the line terminator; escape the rest byte by byte. Bytes of
	 * valid UTF-8 sequences are kept so names read naturally. */
	while (req_len && (req[req_len - 1] == '\n' || req[req_len - 1] == '\r'))
		req_len--;
	for (size_t i = 0; i < req_len && o + 5 < sizeof line; i++) {
		unsigned char c = (unsigned char)req[i];
		size_t seq = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 :
		    (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
		if (c >= 0x80 && seq && i + seq <= req_len &&
		    utf8_valid(req + i, seq) && o + seq < sizeof line) {
			for (size_t k = 0; k < seq; k++)
				line[o++] = req[i + k];
			i += seq - 1;
		} else if (c < 0x20 || c == 0x7F || c >= 0x80 || c == '"' ||
		    c == '\\') {
			o += (size_t)snprintf(line + o, sizeof line - o, "\\x%02X", c);
		} else {
			line[o++] = (char)c;
		}
	}
	line[o] = '\0';

	char when[32];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("%s %s %s %d %zu %.1fms \"%s\"\n", when, proto, client, status,
	    bytes, ms, line);
	fflush(stdout);
}
