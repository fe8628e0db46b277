/* gemtext.h - the gemtext writer: a page model as text/gemini. */
#ifndef POLLUX_GEMTEXT_H
#define POLLUX_GEMTEXT_H

#include "model.h"
#include "util.h"

/* Appends pg as gemtext to out, lines ending in LF: "# title", then the
 * blocks; the links of a paragraph, list, quote or table follow it as
 * "=>" lines. */
void gemtext_write(const struct model *pg, struct buf *out);

/* Appends the gemini address of l: a path on this capsule, or the URL as
 * written; escaped where a link line could not carry it. */
void gemtext_address(struct buf *out, const struct link *l);

#endif
