/* url.c - absolute URLs (RFC 3986) parsed into fixed buffers: scheme, host,
 * port, path (percent-decoded, dot segments removed) and query. Requests
 * are untrusted, so anything the grammar does not allow is refused. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#include "pollux/url.h"
#include "pollux/util.h"

const char *url_status_text(enum url_status st)
{
	switch (st) {
	case URL_OK: return "ok";
	case URL_EMPTY: return "empty URL";
	case URL_RELATIVE: return "not an absolute URL";
	case URL_USERINFO: return "URL has userinfo";
	case URL_FRAGMENT: return "URL has a fragment";
	case URL_BAD_ESCAPE: return "malformed percent-escape";
	case URL_BAD_CHAR: return "invalid character in URL";
	case URL_BAD_HOST: return "invalid host";
	case URL_BAD_PORT: return "invalid port";
	case URL_TOO_LONG: return "URL longer than 1024 bytes";
	}
	return "malformed URL";
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

long percent_decode(const char *s, size_t len, char *out, size_t outsz)
{
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)s[i];
		if (c == '%') {
			if (i + 2 >= len)
				return -1;
			int h = hexval((unsigned char)s[i + 1]);
			int l = hexval((unsigned char)s[i + 2]);
			if (h < 0 || l < 0)
				return -1;
			c = h * 16 + l;
			/* A NUL or an encoded '/' would let a name mean a path. */
			if (c == 0 || c == '/')
				return -1;
			i += 2;
		}
		if (o + 1 >= outsz)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return (long)o;
}

void path_remove_dots(char *path)
{
	/* Segment by segment into out (which never outruns in): "." drops,
	 * ".." pops the last kept segment, never above the root. */
	char *in = path, *out = path;
	while (*in) {
		char *seg = in + 1;                 /* in points at a '/' */
		size_t n = strcspn(seg, "/");
		bool last = seg[n] == '\0';
		if (n == 1 && seg[0] == '.') {
			in = seg + n;
			if (last)
				*out++ = '/';
		} else if (n == 2 && seg[0] == '.' && seg[1] == '.') {
			while (out > path && *--out != '/')
				;
			in = seg + n;
			if (last)
				*out++ = '/';
		} else {
			memmove(out, in, n + 1);
			out += n + 1;
			in = seg + n;
		}
	}
	if (out == path)
		*out++ = '/';
	*out = '\0';
}

static bool scheme_char(int c, bool first)
{
	return isalpha(c) || (!first && (isdigit(c) || c == '+' || c == '-' ||
	    c == '.'));
}

/* RFC 3986 reg-name characters, without percent-escapes (no host of ours
 * needs them). */
static bool host_char(int c)
{
	return isalnum(c) || strchr("-._~!$&'()*+,;=", c) != NULL;
}

enum url_status url_parse(const char *s, size_t len, struct url *u)
{
	u->scheme[0] = u->host[0] = u->path[0] = u->query[0] = '\0';
	u->port = -1;
	u->has_query = 0;
	if (len == 0)
		return URL_EMPTY;
	if (len > REQUEST_LINE_MAX)
		return URL_TOO_LONG;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= 0x20 || c == 0x7F)
			return URL_BAD_CHAR;
	}
	if (!utf8_valid(s, len))
		return URL_BAD_CHAR;
	if (memchr(s, '#', len))
		return URL_FRAGMENT;

	/* scheme ":" */
	size_t i = 0;
	while (i < len && i < sizeof u->scheme - 1 &&
	    scheme_char((unsigned char)s[i], i == 0))
		i++;
	if (i == 0 || i >= len || s[i] != ':')
		return URL_RELATIVE;
	for (size_t k = 0; k < i; k++)
		u->scheme[k] = (char)tolower((unsigned char)s[k]);
	u->scheme[i] = '\0';
	i++;

	/* "//" authority: required, we serve hosts, not opaque URIs. */
	if (len - i < 2 || s[i] != '/' || s[i + 1] != '/')
		return URL_BAD_HOST;
	i += 2;
	size_t auth = i;
	while (i < len && s[i] != '/' && s[i] != '?')
		i++;
	const char *a = s + auth;
	size_t alen = i - auth;
	if (memchr(a, '@', alen))
		return URL_USERINFO;

	size_t hlen;
	const char *portp = NULL;
	if (alen && a[0] == '[') {
		const char *close = memchr(a, ']', alen);
		if (!close)
			return URL_BAD_HOST;
		hlen = (size_t)(close - a) - 1;
		char lit[64];
		unsigned char bin[16];
		if (hlen == 0 || hlen >= sizeof lit)
			return URL_BAD_HOST;
		memcpy(lit, a + 1, hlen);
		lit[hlen] = '\0';
		if (inet_pton(AF_INET6, lit, bin) != 1)
			return URL_BAD_HOST;
		for (size_t k = 0; k <= hlen; k++)
			u->host[k] = (char)tolower((unsigned char)lit[k]);
		size_t rest = alen - (size_t)(close - a) - 1;
		if (rest && close[1] != ':')
			return URL_BAD_HOST;
		if (rest)
			portp = close + 1;
	} else {
		const char *colon = memchr(a, ':', alen);
		hlen = colon ? (size_t)(colon - a) : alen;
		if (hlen == 0 || hlen >= sizeof u->host)
			return URL_BAD_HOST;
		for (size_t k = 0; k < hlen; k++) {
			if (!host_char((unsigned char)a[k]))
				return URL_BAD_HOST;
			u->host[k] = (char)tolower((unsigned char)a[k]);
		}
		u->host[hlen] = '\0';
		portp = colon;
	}
	if (portp) {
		/* ":" with no digits means the default port (RFC 3986 3.2.3). */
		const char *p = portp + 1, *pend = a + alen;
		if (p < pend) {
			long port = 0;
			for (; p < pend; p++) {
				if (!isdigit((unsigned char)*p) || port > 65535)
					return URL_BAD_PORT;
				port = port * 10 + (*p - '0');
			}
			if (port > 65535)
				return URL_BAD_PORT;
			u->port = (int)port;
		}
	}

	/* path [ "?" query ] */
	size_t pstart = i;
	while (i < len && s[i] != '?')
		i++;
	u->path[0] = '/';
	long n = percent_decode(s + pstart, i - pstart, u->path + (i == pstart),
	    sizeof u->path - (i == pstart));
	if (n < 0)
		return URL_BAD_ESCAPE;
	if (!utf8_valid(u->path, strlen(u->path)))
		return URL_BAD_CHAR;
	for (const char *c = u->path; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7F)
			return URL_BAD_CHAR;
	path_remove_dots(u->path);
	if (i < len) {
		u->has_query = 1;
		memcpy(u->query, s + i + 1, len - i - 1);
		u->query[len - i - 1] = '\0';
	}
	return URL_OK;
}
