/* gopher.c - one Gopher request (RFC 1436): a selector line, checked, and
 * answered from the snapshot; every error is a menu with a type-3 line, so
 * a client is always told what went wrong. */
#include <stdio.h>
#include <string.h>

#include "pollux/gopher.h"
#include "pollux/pages.h"
#include "pollux/url.h"
#include "pollux/util.h"

static void error_menu(struct reply *r, int status, const char *msg,
    const char *sel, size_t sel_len)
{
	/* The selector is echoed for the reader, bounded and without the
	 * bytes that would break the menu line. */
	char shown[80];
	size_t n = 0;
	for (size_t i = 0; i < sel_len && n < sizeof shown - 4; i++) {
		unsigned char c = (unsigned char)sel[i];
		shown[n++] = c < 0x20 || c == 0x7F ? '?' : (char)c;
	}
	if (n < sel_len) {
		/* Cut before a character the bound split, so the line stays
		 * UTF-8 (the selector is, by then; '?' is never a part). */
		while (n > 0 && ((unsigned char)sel[n] & 0xC0) == 0x80)
			n--;
		memcpy(shown + n, "...", 3), n += 3;
	}
	shown[n] = '\0';
	snprintf(r->small, sizeof r->small, "3%s%s%s\t\terror.host\t1\r\n.\r\n",
	    msg, n ? ": " : "", shown);
	r->head = "";
	r->head_len = 0;
	r->body = r->small;
	r->body_len = strlen(r->small);
	r->status = status;
}

/* A found page: Gopher has no header, only the body. */
static void serve(struct reply *r, const char *body, size_t len)
{
	r->head = "";
	r->head_len = 0;
	r->body = body;
	r->body_len = len;
	r->status = 20;
}

/* The type 7 item: the words come after a tab; without them, a menu
 * that says how to ask. */
static void search(const struct snapshot *s, const struct config *cfg,
    const char *words, size_t n, struct reply *r)
{
	struct buf body = {0};
	if (!words || !n) {
		error_menu(r, 59, "Search: send the words after a tab (a type 7 "
		    "item)", NULL, 0);
		return;
	}
	if (!pages_search(s, cfg, PROTO_GOPHER, words, n, &body)) {
		error_menu(r, 59, "Bad search: the words are not text", NULL, 0);
		return;
	}
	size_t len;
	r->owned = buf_take(&body, &len);
	serve(r, r->owned, len);
}

void gopher_respond(const struct snapshot *s, const struct config *cfg,
    const struct request_ctx *ctx, const char *req, size_t len,
    struct reply *r)
{
	(void)ctx;
	r->owned = NULL;
	const char *lf = memchr(req, '\n', len);
	if (!lf) {
		error_menu(r, 59, len >= REQUEST_READ_MAX ? "Selector too long" :
		    "Request must end with CRLF", NULL, 0);
		return;
	}
	/* CRLF, or a bare LF as many clients send. */
	size_t n = (size_t)(lf - req);
	if (n && req[n - 1] == '\r')
		n--;
	/* A tab starts a search string (type 7) or a Gopher+ suffix. */
	const char *tab = memchr(req, '\t', n);
	const char *words = tab ? tab + 1 : NULL;
	size_t nwords = tab ? n - (size_t)(tab - req) - 1 : 0;
	if (tab)
		n = (size_t)(tab - req);
	if (n > REQUEST_LINE_MAX) {
		error_menu(r, 59, "Selector too long", NULL, 0);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)req[i];
		if (c < 0x20 || c == 0x7F) {
			error_menu(r, 59, "Bad selector", NULL, 0);
			return;
		}
	}
	if (!utf8_valid(req, n)) {
		error_menu(r, 59, "Bad selector", NULL, 0);
		return;
	}

	if ((n == 7 && memcmp(req, "/search", 7) == 0) ||
	    (n == 6 && memcmp(req, "search", 6) == 0)) {
		search(s, cfg, words, nwords, r);
		return;
	}

	/* "URL:" selectors name a page on another server: the menus' links
	 * there have an answer each, looked up as written. */
	if (n >= 4 && memcmp(req, "URL:", 4) == 0) {
		const struct page *pg = snapshot_find(s, PROTO_GOPHER, req, n);
		if (!pg) {
			error_menu(r, 51, "Not found", req, n);
			return;
		}
		serve(r, pg->body, pg->body_len);
		return;
	}

	/* "" and "/" are the root; "posts/" is read as "/posts/", as most
	 * servers do. Dot segments resolve inside the root; no menu of ours
	 * has a selector that climbs above it, so one that does is a probe. */
	char path[REQUEST_LINE_MAX + 3];
	path[0] = '/';
	size_t skip = n && req[0] == '/';
	memcpy(path + 1, req + skip, n - skip);
	path[1 + n - skip] = '\0';
	if (path_remove_dots(path) < 0) {
		error_menu(r, 59, "Bad selector: climbs above the root folder",
		    req, n);
		return;
	}
	/* With "." and ".." resolved, a segment starting with '.' is a
	 * dotfile, which is never served. */
	bool dotfile = strstr(path, "/.") != NULL;

	size_t plen = strlen(path);
	const struct page *pg = dotfile ? NULL :
	    snapshot_find(s, PROTO_GOPHER, path, plen);
	if (!pg && !dotfile && plen > 1 && path[plen - 1] != '/') {
		/* Gopher has no redirects: a folder asked without its slash. */
		path[plen] = '/';
		path[plen + 1] = '\0';
		pg = snapshot_find(s, PROTO_GOPHER, path, plen + 1);
	}
	if (!pg || pg->redirect) {
		error_menu(r, 51, "Not found", req, n);
		return;
	}
	serve(r, pg->body, pg->body_len);
}

void gopher_slow_down(struct reply *r, unsigned seconds)
{
	char msg[64];
	snprintf(msg, sizeof msg, "Too many requests: try again in %u second%s",
	    seconds, seconds == 1 ? "" : "s");
	error_menu(r, 44, msg, NULL, 0);
}
