/* htmltext.h - raw HTML reduced to its text, for the Markdown walker. */
#ifndef POLLUX_HTMLTEXT_H
#define POLLUX_HTMLTEXT_H

#include <stddef.h>

#include "util.h"

#include <stdbool.h>

/* What to do with the links of raw HTML. Each is called where its tag
 * is, with the text read before it in text (take it, and empty text).
 * open: <a href> (href NULL for an <a> with none, an anchor), or
 * <img src> with image set and alt its alt text ("" when absent); an
 * image is complete, with no close. close: </a>. Values are decoded. */
struct html_links {
	void (*open)(void *ctx, struct buf *text, const char *href,
	    bool image, const char *alt);
	void (*close)(void *ctx, struct buf *text);
	void *ctx;
};

/* Appends the text of s[0..n): tags, comments, scripts and styles go,
 * entities are decoded, and the end of a block element becomes a '\n'.
 * links may be NULL: an <img> then shows its alt text, an <a> nothing. */
void html_text(const char *s, size_t n, struct buf *b,
    const struct html_links *links);

#endif
