/* url.h - absolute URL parsing (RFC 3986), percent-decoding and dot-segment
 * removal, into fixed buffers: a request never allocates; and the encoding
 * of a capsule path as the URL of a link pollux writes. */
#ifndef POLLUX_URL_H
#define POLLUX_URL_H

#include <stddef.h>

#include "request.h"

enum url_status {
	URL_OK = 0,
	URL_EMPTY = -1,
	URL_RELATIVE = -2,      /* no scheme */
	URL_USERINFO = -3,
	URL_FRAGMENT = -4,
	URL_BAD_ESCAPE = -5,    /* malformed %XX, or %00, or an encoded '/' */
	URL_BAD_CHAR = -6,      /* control byte, space, or invalid UTF-8 */
	URL_BAD_HOST = -7,
	URL_BAD_PORT = -8,
	URL_TOO_LONG = -9,
	URL_ABOVE_ROOT = -10,   /* ".." segments climb above "/" */
};

struct url {
	char scheme[16];                 /* lowercase */
	char host[256];                  /* lowercase; IPv6 without brackets */
	int port;                        /* -1 when absent */
	char path[REQUEST_LINE_MAX + 1]; /* decoded, dot segments removed, "/"-rooted */
	char query[REQUEST_LINE_MAX + 1];/* raw (still escaped); "" when absent */
	int has_query;
};

/* Parses s[0..len) (no CRLF) as an absolute URL. */
enum url_status url_parse(const char *s, size_t len, struct url *u);
const char *url_status_text(enum url_status st);

/* Decodes %XX escapes of s[0..len) into out (size outsz). Rejects bad
 * escapes, %00 and %2F. Returns the decoded length or -1. */
long percent_decode(const char *s, size_t len, char *out, size_t outsz);

/* Removes "." and ".." segments in place (RFC 3986 5.2.4); ".." above the
 * root stays at the root. path starts with '/'. Returns 0, or -1 when a
 * ".." had nothing left to remove (the path climbed above the root): the
 * path is still resolved, and a request may refuse it. */
int path_remove_dots(char *path);

struct buf;
/* Appends path (a capsule path, "/"-rooted, UTF-8) to out as the URL of a
 * gemtext link line: unreserved characters, '/', and the sub-delims, ':'
 * and '@' (all allowed in a path by RFC 3986) stay; space, '#', '?', '%',
 * other ASCII outside the grammar, controls and every Unicode space or
 * invisible format character are %XX-escaped. Other UTF-8 stays as it is
 * (gemtext is UTF-8, and readers see a name they can read). */
void url_encode_path(struct buf *out, const char *path);

/* Appends url (a URL as an author wrote it, UTF-8) to out in a form a
 * link line can carry: what RFC 3986 allows in a URL stays (its escapes
 * too), and space, controls, the ASCII it forbids ('"', '<', '>', '\\',
 * '^', '`', '{', '|', '}'), a '%' that starts no escape, bytes that are not
 * UTF-8 and the Unicode spaces and invisible characters are
 * %XX-escaped. Encoding it again changes nothing. */
void url_encode_link(struct buf *out, const char *url);

#endif
