/* url.c - absolute URLs (RFC 3986) parsed into fixed buffers: scheme, host,
 * port, path (percent-decoded, dot segments removed) and query. Requests
 * are untrusted, so anything the grammar does not allow is refused. */
#include <arpa/inet.h>
#include <stdbool.h>
#include <string.h>

#include "pollux/url.h"
#include "pollux/util.h"

/* The grammar is ASCII: <ctype.h> would follow the locale, and a byte of
 * a UTF-8 sequence must never pass for a letter. */
static bool is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int to_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int hexval(int c)
{
	if (is_digit(c))
		return c - '0';
	c = to_lower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

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
	case URL_ABOVE_ROOT: return "path climbs above the root";
	}
	return "malformed URL";
}

long percent_decode(const char *s, size_t len, char *out, size_t outsz)
{
	size_t o = 0;
	if (outsz == 0)
		return -1;
	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)s[i];
		if (c == '%') {
			if (len - i < 3)
				return -1;
			int h = hexval((unsigned char)s[i + 1]);
			int l = hexval((unsigned char)s[i + 2]);
			if (h < 0 || l < 0)
				return -1;
			c = h * 16 + l;
			/* A NUL would cut the path short; an encoded '/' would
			 * make one segment look like two after decoding. */
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

int path_remove_dots(char *path)
{
	/* Segment by segment into out (which never outruns in): "." drops,
	 * ".." pops the last kept segment, never above the root. A final
	 * "." or ".." leaves the directory it names, with its slash. */
	char *in = path, *out = path;
	int rc = 0;
	while (*in) {
		char *seg = in + 1;                 /* in points at a '/' */
		size_t n = strcspn(seg, "/");
		bool last = seg[n] == '\0';
		if (n == 1 && seg[0] == '.') {
			in = seg + n;
			if (last)
				*out++ = '/';
		} else if (n == 2 && seg[0] == '.' && seg[1] == '.') {
			if (out == path)
				rc = -1;        /* nothing kept to pop */
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
	return rc;
}

/* The ASCII that stays as it is in a link's path: unreserved, '/', and
 * sub-delims, ':' and '@' (pchar). */
static bool path_char(int c)
{
	return is_alpha(c) || is_digit(c) || (c != '\0' &&
	    strchr("-._~/!$&'()*+,;=:@", c) != NULL);
}

/* Code points a client may take for whitespace when it splits a link line
 * (the Unicode White_Space property, as Python's str.split and Go's
 * unicode.IsSpace do), C1 controls, and invisible format characters (zero
 * widths, bidirectional overrides, BOM) that would hide what a link says. */
static bool cp_needs_escape(unsigned cp)
{
	return cp <= 0xA0 || cp == 0xAD || cp == 0x61C || cp == 0x1680 ||
	    cp == 0x180E || (cp >= 0x2000 && cp <= 0x200F) ||
	    (cp >= 0x2028 && cp <= 0x202F) || (cp >= 0x205F && cp <= 0x206F) ||
	    cp == 0x3000 || cp == 0xFEFF || (cp >= 0xFFF9 && cp <= 0xFFFB) ||
	    (cp >= 0xE0000 && cp <= 0xE007F);
}

/* Length of the UTF-8 sequence at s (NUL-terminated) and its code point;
 * 0 when s does not start a well-formed one. */
static size_t utf8_decode(const unsigned char *s, unsigned *cp)
{
	size_t n = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC0 ? 2 : 0;
	if (n == 0 || strnlen((const char *)s, n) < n ||
	    !utf8_valid((const char *)s, n))
		return 0;
	*cp = s[0] & (0x7F >> n);
	for (size_t i = 1; i < n; i++)
		*cp = *cp << 6 | (s[i] & 0x3F);
	return n;
}

static bool is_hex(int c)
{
	return hexval(c) >= 0;
}

/* Appends s, each ASCII byte kept when keep says so (given the bytes that
 * follow it), UTF-8 kept unless it is a space or invisible, and the rest
 * %XX-escaped. */
static void encode(struct buf *out, const char *str,
    bool (*keep)(const unsigned char *s))
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *s = (const unsigned char *)str;
	while (*s) {
		unsigned cp = 0;
		size_t n = *s < 0x80 ? 1 : utf8_decode(s, &cp);
		if (n == 1 && keep(s)) {
			buf_putc(out, (char)*s);
		} else if (n > 1 && !cp_needs_escape(cp)) {
			buf_put(out, s, n);
		} else {
			for (size_t i = 0; i < (n ? n : 1); i++) {
				buf_putc(out, '%');
				buf_putc(out, hex[s[i] >> 4]);
				buf_putc(out, hex[s[i] & 15]);
			}
		}
		s += n ? n : 1;
	}
}

static bool keep_in_path(const unsigned char *s)
{
	return path_char(*s);
}

void url_encode_path(struct buf *out, const char *path)
{
	encode(out, path, keep_in_path);
}

/* What an author's URL may hold as it is: the unreserved and reserved
 * characters of RFC 3986 (gen-delims and sub-delims), and '%' where it
 * starts an escape. */
static bool keep_in_url(const unsigned char *s)
{
	if (*s == '%')
		return is_hex(s[1]) && is_hex(s[2]);
	return path_char(*s) || (*s != '\0' && strchr("?#[]", *s) != NULL);
}

void url_encode_link(struct buf *out, const char *url)
{
	encode(out, url, keep_in_url);
}

/* RFC 3986 reg-name characters without percent-escapes: no host we answer
 * for needs them, and decoding a host invites confusion about which host
 * was meant. */
static bool host_char(int c)
{
	return is_alpha(c) || is_digit(c) || (c != '\0' &&
	    strchr("-._~!$&'()*+,;=", c) != NULL);
}

/* scheme ":" at s. Returns the length of the scheme, or 0 when there is
 * none (then the URL is relative). */
static size_t parse_scheme(const char *s, size_t len, struct url *u)
{
	size_t i = 0;
	if (len == 0 || !is_alpha((unsigned char)s[0]))
		return 0;
	while (i < len && (is_alpha((unsigned char)s[i]) ||
	    is_digit((unsigned char)s[i]) || s[i] == '+' || s[i] == '-' ||
	    s[i] == '.'))
		i++;
	if (i == len || s[i] != ':')
		return 0;
	/* A scheme too long for u->scheme is none we serve: leave it ""
	 * rather than a truncation that might read as another scheme. */
	if (i < sizeof u->scheme) {
		for (size_t k = 0; k < i; k++)
			u->scheme[k] = (char)to_lower((unsigned char)s[k]);
		u->scheme[i] = '\0';
	}
	return i;
}

/* "[" IPv6address "]" in a[0..alen), a[0] == '['. Sets *rest to what
 * follows the ']'. */
static enum url_status parse_ipv6(const char *a, size_t alen, struct url *u,
    const char **rest)
{
	const char *close = memchr(a, ']', alen);
	char lit[INET6_ADDRSTRLEN + 1];
	unsigned char bin[16];
	if (!close)
		return URL_BAD_HOST;
	size_t hlen = (size_t)(close - a) - 1;
	if (hlen == 0 || hlen >= sizeof lit)
		return URL_BAD_HOST;
	memcpy(lit, a + 1, hlen);
	lit[hlen] = '\0';
	/* inet_pton also refuses zone identifiers and IPvFuture, which no
	 * client of ours has a reason to send. */
	if (inet_pton(AF_INET6, lit, bin) != 1)
		return URL_BAD_HOST;
	for (size_t k = 0; k <= hlen; k++)
		u->host[k] = (char)to_lower((unsigned char)lit[k]);
	*rest = close + 1;
	return URL_OK;
}

/* authority = host [ ":" port ] (userinfo refused), a[0..alen). */
static enum url_status parse_authority(const char *a, size_t alen,
    struct url *u)
{
	const char *end = a + alen, *p;
	if (memchr(a, '@', alen))
		return URL_USERINFO;
	if (alen && a[0] == '[') {
		enum url_status st = parse_ipv6(a, alen, u, &p);
		if (st != URL_OK)
			return st;
		if (p < end && *p != ':')
			return URL_BAD_HOST;
	} else {
		/* reg-name, which covers IPv4 literals too. */
		p = memchr(a, ':', alen);
		if (!p)
			p = end;
		size_t hlen = (size_t)(p - a);
		if (hlen >= sizeof u->host)
			return URL_BAD_HOST;
		for (size_t k = 0; k < hlen; k++) {
			if (!host_char((unsigned char)a[k]))
				return URL_BAD_HOST;
			u->host[k] = (char)to_lower((unsigned char)a[k]);
		}
		u->host[hlen] = '\0';
	}
	if (p == end || ++p == end)
		return URL_OK;          /* ":" and no digits: the default port */
	long port = 0;
	for (; p < end; p++) {
		/* Checked before each step, so port never overflows. */
		if (!is_digit((unsigned char)*p) || port > 65535)
			return URL_BAD_PORT;
		port = port * 10 + (*p - '0');
	}
	if (port > 65535)
		return URL_BAD_PORT;
	u->port = (int)port;
	return URL_OK;
}

/* path-abempty, decoded into u->path and normalised. */
static enum url_status parse_path(const char *s, size_t len, struct url *u)
{
	/* An empty path means "/" (RFC 3986 6.2.3). */
	size_t lead = len == 0 || s[0] != '/';
	u->path[0] = '/';
	long n = percent_decode(s, len, u->path + lead, sizeof u->path - lead);
	if (n < 0)
		return URL_BAD_ESCAPE;
	n += (long)lead;
	/* Escapes must not smuggle in what the raw line may not carry:
	 * control bytes or bytes that are not UTF-8. */
	if (!utf8_valid(u->path, (size_t)n))
		return URL_BAD_CHAR;
	for (long k = 0; k < n; k++)
		if ((unsigned char)u->path[k] < 0x20 || u->path[k] == 0x7F)
			return URL_BAD_CHAR;
	/* Decoded first, so "%2e%2e" is a ".." segment too. Clients resolve
	 * dot segments before they send a URL (RFC 3986 5.2), so one that
	 * still climbs above the root is a probe, not a reader: refused. */
	if (path_remove_dots(u->path) < 0)
		return URL_ABOVE_ROOT;
	return URL_OK;
}

static bool needs_authority(const char *scheme)
{
	return strcmp(scheme, "gemini") == 0 || strcmp(scheme, "gopher") == 0;
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
	/* Whole-line checks first: a space, a control byte or a stray
	 * byte is refused wherever it is. */
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= 0x20 || c == 0x7F)
			return URL_BAD_CHAR;
	}
	if (!utf8_valid(s, len))
		return URL_BAD_CHAR;
	if (memchr(s, '#', len))
		return URL_FRAGMENT;

	size_t i = parse_scheme(s, len, u);
	if (i == 0)
		return URL_RELATIVE;
	i++;                                        /* the ':' */

	bool authority = len - i >= 2 && s[i] == '/' && s[i + 1] == '/';
	if (!authority) {
		/* Opaque ("mailto:x") or rootless: valid, and never ours. */
		if (needs_authority(u->scheme))
			return URL_BAD_HOST;
		return URL_OK;
	}
	i += 2;
	size_t auth = i;
	while (i < len && s[i] != '/' && s[i] != '?')
		i++;
	enum url_status st = parse_authority(s + auth, i - auth, u);
	if (st != URL_OK)
		return st;
	/* RFC 3986 allows an empty host ("file:///x"); the schemes we serve
	 * name one. */
	if (u->host[0] == '\0' && needs_authority(u->scheme))
		return URL_BAD_HOST;

	size_t pstart = i;
	while (i < len && s[i] != '?')
		i++;
	st = parse_path(s + pstart, i - pstart, u);
	if (st != URL_OK)
		return st;
	if (i < len) {
		/* Kept escaped: decoding is for whoever reads the query. */
		u->has_query = 1;
		memcpy(u->query, s + i + 1, len - i - 1);
		u->query[len - i - 1] = '\0';
	}
	return URL_OK;
}
