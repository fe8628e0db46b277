/* gemini.c - one Gemini request, checked to the letter of the protocol
 * specification, answered from the snapshot: 20, 31, 51, 53 or 59. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "pollux/gemini.h"
#include "pollux/pages.h"
#include "pollux/url.h"

static void header(struct reply *r, int status, const char *fmt,
    const char *arg)
{
	int n = snprintf(r->small, sizeof r->small, "%d ", status);
	n += snprintf(r->small + n, sizeof r->small - (size_t)n, fmt, arg);
	if ((size_t)n > sizeof r->small - 3)
		n = (int)sizeof r->small - 3;
	memcpy(r->small + n, "\r\n", 3);
	r->head = r->small;
	r->head_len = (size_t)n + 2;
	r->body = "";
	r->body_len = 0;
	r->status = status;
}

/* Same address, however written ("::1" and "0:0::1" match). */
static bool same_address(const char *a, const char *b)
{
	unsigned char x[16], y[16];
	int fa = strchr(a, ':') ? AF_INET6 : AF_INET;
	int fb = strchr(b, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(fa, a, x) != 1 || inet_pton(fb, b, y) != 1)
		return false;
	if (fa == fb)
		return memcmp(x, y, fa == AF_INET6 ? 16 : 4) == 0;
	/* An IPv4 client on a dual-stack socket shows as ::ffff:a.b.c.d. */
	const unsigned char *v6 = fa == AF_INET6 ? x : y;
	const unsigned char *v4 = fa == AF_INET6 ? y : x;
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff};
	return memcmp(v6, mapped, 12) == 0 && memcmp(v6 + 12, v4, 4) == 0;
}

static bool host_is_ours(const struct config *cfg,
    const struct request_ctx *ctx, const char *host)
{
	for (size_t i = 0; i < cfg->nhostnames; i++)
		if (strcasecmp(host, cfg->hostnames[i]) == 0)
			return true;
	return ctx->local_addr && same_address(host, ctx->local_addr);
}

/* /search asks for its words (10); /search?WORDS answers with results. */
static void search(const struct snapshot *s, const struct config *cfg,
    const struct url *u, struct reply *r)
{
	struct buf body = {0};
	if (!u->has_query || !u->query[0]) {
		header(r, 10, "%s", "Search the posts (every word must appear)");
		return;
	}
	if (!pages_search(s, cfg, PROTO_GEMINI, u->query, strlen(u->query),
	    &body)) {
		header(r, 59, "%s", "Bad request: the query is not text");
		return;
	}
	char head[96];
	snprintf(head, sizeof head, "text/gemini; lang=%s",
	    snapshot_site(s)->lang);
	header(r, 20, "%s", head);
	r->owned = buf_take(&body, &r->body_len);
	r->body = r->owned;
}

void gemini_respond(const struct snapshot *s, const struct config *cfg,
    const struct request_ctx *ctx, const char *req, size_t len,
    struct reply *r)
{
	r->owned = NULL;
	/* The request is the first line; anything a client sends after it
	 * is not part of it. */
	const char *lf = memchr(req, '\n', len);
	if (lf)
		len = (size_t)(lf - req) + 1;
	if (len < 2 || req[len - 1] != '\n' || req[len - 2] != '\r') {
		header(r, 59, "%s", len > REQUEST_LINE_MAX + 1 ?
		    "Request longer than 1024 bytes" :
		    "Request must end with CRLF");
		return;
	}
	len -= 2;
	struct url u;
	enum url_status st = url_parse(req, len, &u);
	if (st != URL_OK) {
		header(r, 59, "Bad request: %s", url_status_text(st));
		return;
	}
	if (strcmp(u.scheme, "gemini") != 0) {
		header(r, 53, "%s", "Proxy request refused");
		return;
	}
	unsigned port = ctx->local_port ? ctx->local_port : cfg->gemini_port;
	if (!host_is_ours(cfg, ctx, u.host) ||
	    (u.port >= 0 && (unsigned)u.port != port)) {
		header(r, 53, "%s", "Proxy request refused");
		return;
	}
	if (strcmp(u.path, "/search") == 0) {
		search(s, cfg, &u, r);
		return;
	}
	/* The path has no "." or ".." segments left: a segment that starts
	 * with '.' is a dotfile, never served. */
	const struct page *pg = strstr(u.path, "/.") ? NULL :
	    snapshot_find(s, PROTO_GEMINI, u.path, strlen(u.path));
	if (!pg) {
		header(r, 51, "%s", "Not found");
		return;
	}
	if (pg->redirect) {
		/* Absolute, to the host and port the client asked for. */
		char target[sizeof u.host + 32 + REQUEST_LINE_MAX];
		bool v6 = strchr(u.host, ':') != NULL;
		char portbuf[16] = "";
		if (u.port >= 0)
			snprintf(portbuf, sizeof portbuf, ":%d", u.port);
		snprintf(target, sizeof target, "gemini://%s%s%s%s%s", v6 ? "[" : "",
		    u.host, v6 ? "]" : "", portbuf, pg->redirect);
		header(r, 31, "%s", target);
		return;
	}
	r->head = pg->head;
	r->head_len = pg->head_len;
	r->body = pg->body;
	r->body_len = pg->body_len;
	r->status = 20;
}

void gemini_slow_down(struct reply *r, unsigned seconds)
{
	char n[16];
	snprintf(n, sizeof n, "%u", seconds);
	header(r, 44, "%s", n);
}
