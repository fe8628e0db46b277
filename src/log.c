/* log.c - diagnostics to stderr, and the access log to stdout, one line per
 * request with the request escaped so a client cannot forge a log line. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "pollux/log.h"
#include "pollux/request.h"

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

void log_access(const char *proto, const char *client, int status,
    size_t bytes, double ms, const char *req, size_t req_len)
{
	/* Drop the line terminator; escape the rest. */
	while (req_len && (req[req_len - 1] == '\n' || req[req_len - 1] == '\r'))
		req_len--;
	char line[REQUEST_ESCAPED_MAX];
	log_escape(line, sizeof line, req, req_len);

	char when[32];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("%s %s %s %d %zu %.1fms \"%s\"\n", when, proto, client, status,
	    bytes, ms, line);
	fflush(stdout);
}
