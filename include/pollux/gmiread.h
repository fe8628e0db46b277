/* gmiread.h - a gemtext page the author wrote, read into page blocks, so
 * that Gopher can show it as a menu: its text as info lines, its link
 * lines as items. */
#ifndef POLLUX_GMIREAD_H
#define POLLUX_GMIREAD_H

#include <stddef.h>

#include "markdown.h"
#include "model.h"

/* Appends the blocks of the gemtext text[0..len) to pg: headings, text
 * lines (each line its own, as gemtext shows them), link lines resolved
 * by r, "* " lists, "> " quotes and preformatted blocks. Any bytes are
 * accepted. */
void gemtext_blocks(struct model *pg, const char *text, size_t len,
    const struct link_resolver *r);

#endif
