/* htmltext.h - raw HTML reduced to its text, for the Markdown walker. */
#ifndef POLLUX_HTMLTEXT_H
#define POLLUX_HTMLTEXT_H

#include <stddef.h>

#include "util.h"

/* Appends the text of s[0..n): tags, comments, scripts and styles go,
 * entities are decoded, and the end of a block element becomes a '\n'. */
void html_text(const char *s, size_t n, struct buf *b);

#endif
