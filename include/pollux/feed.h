/* feed.h - Atom 1.0 feeds (RFC 4287) of the posts, one per protocol, with
 * links to that protocol's own URLs. */
#ifndef POLLUX_FEED_H
#define POLLUX_FEED_H

#include <stddef.h>

#include "site.h"
#include "util.h"

struct feed_urls {
	const char *self;         /* the feed's own URL */
	const char *alternate;    /* the page the feed mirrors */
	const char *post_prefix;  /* post URL = prefix + slug + suffix */
	const char *post_suffix;
};

void feed_atom(struct buf *out, const struct site *site, const char *title,
    struct post *const *posts, size_t nposts, const struct feed_urls *urls);

#endif
