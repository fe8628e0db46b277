/* markdown.h - Markdown into page blocks: the one walk over the cmark tree
 * that every Markdown text of the capsule (posts, the home page's
 * introduction, .md pages) goes through, whatever it is written for. */
#ifndef POLLUX_MARKDOWN_H
#define POLLUX_MARKDOWN_H

#include <stddef.h>

#include "model.h"

/* Says what a link or image destination, as the author wrote it, points
 * at: returns its kind, with *target set to a malloc'd string the caller
 * frees (see enum link_to) and *post for links to posts. */
typedef enum link_to (*link_resolve_fn)(void *ctx, const char *url,
    char **target, const struct post **post);

struct link_resolver {
	link_resolve_fn resolve;    /* NULL: every URL is LINK_URL as written */
	void *ctx;
};

/* Appends the blocks of md[0..len) to pg. Any bytes are accepted (invalid
 * UTF-8 is replaced); any depth of nesting is walked without recursion. */
void markdown_blocks(struct model *pg, const char *md, size_t len,
    const struct link_resolver *r);

#endif
