/* pages.h - the page builders: every page of the loaded site built once as
 * a page model and written for both protocols into a snapshot under
 * construction, with the feeds, robots.txt, caps.txt and static files. */
#ifndef POLLUX_PAGES_H
#define POLLUX_PAGES_H

#include "config.h"
#include "snapshot.h"

/* Adds every Gemini and Gopher response of site to s. */
void pages_build(struct snapshot *s, const struct site *site,
    const struct config *cfg);

#endif
