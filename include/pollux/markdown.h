/* markdown.h - the two converters from a post's Markdown (cmark AST) to what
 * each protocol shows: gemtext for Gemini, wrapped plain text for Gopher. */
#ifndef POLLUX_MARKDOWN_H
#define POLLUX_MARKDOWN_H

#include <stddef.h>

#include "util.h"

/* Called for every link and image destination. Returns a malloc'd URL to
 * use instead (a link to another post becomes that post's served address),
 * or NULL to keep the destination as written. */
typedef char *(*link_rewrite_fn)(void *ctx, const char *url);

struct render_opts {
	link_rewrite_fn rewrite; /* may be NULL */
	void *ctx;
};

/* Appends the gemtext for md[0..len) to out. Lines end with LF. */
void gemtext_render(const char *md, size_t len, const struct render_opts *o,
    struct buf *out);

/* Appends md[0..len) as plain text wrapped at GOPHER_TEXT_WIDTH columns, links
 * numbered [n] with a References list at the end. Lines end with LF; the
 * Gopher page builder turns them into CRLF. */
#define GOPHER_TEXT_WIDTH 70
void gophertext_render(const char *md, size_t len,
    const struct render_opts *o, struct buf *out);

/* Gophermap lines, CRLF-terminated. Tabs, CR and LF are removed from
 * display and selector. */
void gophermap_item(struct buf *out, char type, const char *display,
    const char *selector, const char *host, unsigned port);
/* An informational ('i') line; text longer than GOPHER_TEXT_WIDTH is wrapped
 * into several lines at word boundaries. */
void gophermap_info(struct buf *out, const char *text);
/* The closing "." line of a menu. */
void gophermap_end(struct buf *out);

#endif
