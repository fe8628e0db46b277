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
	const char *alternate_type; /* its MIME type */
	const char *post_prefix;  /* post URL = prefix + slug + suffix */
	const char *post_suffix;
	const char *post_type;    /* the MIME type of what a post URL serves */
	const char *icon;         /* the icon's URL, or NULL */
	const char *host;         /* the canonical host name, for entry ids */
};

/* Appends the entry of p to out, as a feed with urls' post_prefix,
 * post_suffix, post_type and host has it. An entry's id is a tag: URI
 * (RFC 4151) of the host, the post's date and its slug, the same over
 * every protocol, so a reader subscribed to both sees a post once. */
void feed_entry(struct buf *out, const struct post *p,
    const struct feed_urls *urls);

/* A post's entry as feed_entry wrote it, kept from its render: a feed of
 * thousands of posts is then a copy of each. NULL: written anew. */
typedef const char *feed_entry_fn(const struct post *p, void *ctx,
    size_t *len);

/* Appends the Atom feed of posts[0..nposts) to out, each entry given by
 * entry (when not NULL) or written by feed_entry. */
void feed_atom(struct buf *out, const struct site *site, const char *title,
    struct post *const *posts, size_t nposts, const struct feed_urls *urls,
    feed_entry_fn *entry, void *ctx);

#endif
