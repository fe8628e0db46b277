/* pages.h - the page builders: every page of the loaded site built once as
 * a page model and written for both protocols into a snapshot under
 * construction, with the feeds, robots.txt, caps.txt and static files. */
#ifndef POLLUX_PAGES_H
#define POLLUX_PAGES_H

#include <stdbool.h>

#include "config.h"
#include "snapshot.h"
#include "util.h"

/* Adds every Gemini and Gopher response of site to s, and the answers
 * of the paths that moved. Returns the number of problems it reported
 * (FILE:LINE, on stderr): links to nothing, a moved path that names a
 * served page or a redirect to nothing. Each post of site is given its
 * render (pages, plain text, reports), shared from prev's (the site
 * served now, or NULL) when made of the same file in the same context;
 * site's posts_rendered and posts_reused count which. */
unsigned pages_build(struct snapshot *s, struct site *site,
    const struct site *prev, const struct config *cfg);

/* The results of a search (query[0..len), percent-encoded for Gemini,
 * raw for Gopher) as a gemtext page or a Gopher menu, appended to out:
 * the one page made per request, from the index alone. Returns false
 * when the query is not text (then nothing is appended). */
bool pages_search(const struct snapshot *s, const struct config *cfg,
    enum proto proto, const char *query, size_t len, struct buf *out);

#endif
