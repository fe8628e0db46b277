/* pages.h - the page builders: from the loaded site to every response of
 * one protocol, added to a snapshot under construction. */
#ifndef POLLUX_PAGES_H
#define POLLUX_PAGES_H

#include "config.h"
#include "snapshot.h"

void pages_gemini(struct snapshot *s, const struct site *site,
    const struct config *cfg);
void pages_gopher(struct snapshot *s, const struct site *site,
    const struct config *cfg);

#endif
