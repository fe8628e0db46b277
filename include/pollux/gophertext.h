/* gophertext.h - the Gopher writers: a page model as wrapped plain text (a
 * type 0 file) or as a menu (type 1), both laid out by the same rules. */
#ifndef POLLUX_GOPHERTEXT_H
#define POLLUX_GOPHERTEXT_H

#include <stddef.h>

#include "gophermap.h"
#include "model.h"
#include "util.h"

/* Text files are wrapped at this many display columns. */
#define GOPHER_TEXT_WIDTH 70

/* URLs that menus sent through a "URL:" selector (each malloc'd, owned by
 * the list; duplicates kept): every one needs a page that answers it. */
struct url_list {
	char **urls;
	size_t n, cap;
};
void url_list_free(struct url_list *l);

struct gopher_out {
	struct gopher_host host;
	struct url_list *urls;     /* may be NULL */
};

/* Appends pg as plain text wrapped at GOPHER_TEXT_WIDTH, lines ending in
 * LF: the title underlined, the blocks, and the links numbered "[n]" with
 * a References list at the end. Navigation (BLOCK_NAV) is left out. */
void gophertext_write(const struct model *pg, const struct gopher_out *g,
    struct buf *out);

/* Appends pg as a Gopher menu, "." line included: the text as info lines
 * wrapped at GOPHER_INFO_WIDTH, every link an item (the links of a block
 * follow it); a post's body (BLOCK_BODY) is one item for its text and an
 * item for every link in it. */
void gophermenu_write(const struct model *pg, const struct gopher_out *g,
    struct buf *out);

/* A type 0 response (RFC 1436) from LF-ended text: CRLF lines, a leading
 * '.' doubled, a blank line and the "." line at the end. The caller frees
 * the result. */
char *gopher_text_response(const char *text, size_t len, size_t *out_len);

#endif
