/* layout.h - text laid out in display columns: how wide a character is, how
 * lines wrap, how a string is cut to a width, how a table's columns line up.
 * The one place that measures text: every writer asks here. */
#ifndef POLLUX_LAYOUT_H
#define POLLUX_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* A space that never breaks a line (it glues a link's "[n]" to the word
 * before it): one column wide, written out as a space. Writers may put it
 * in what they wrap; a page model's text never holds it. */
#define LAYOUT_GLUE '\x01'

/* The code point at s[0..n) (n > 0) and its length in *len; a byte that
 * does not start a well-formed sequence stands for itself, length 1. */
uint32_t utf8_decode(const char *s, size_t n, size_t *len);

/* Columns a terminal gives a code point: 2 for East Asian Wide and
 * Fullwidth (UAX #11), 0 for combining marks (Mn, Me), invisible format
 * characters (Cf, but the soft hyphen) and Hangul medial and final jamo,
 * 0 for controls, 1 for everything else. */
int cp_columns(uint32_t cp);
/* The columns of UTF-8 text s[0..n). */
size_t text_columns(const char *s, size_t n);

/* Appends text[0..n) to lines wrapped at width columns, every line ending
 * in '\n'. A line breaks at a space, or between two CJK characters (they
 * have no spaces to break at), never inside what looks like a URL; runs of
 * spaces are one space; '\n' in text is a forced break; no line is empty.
 * A word wider than width stands alone on its line, unless break_long: then
 * it is cut into pieces that fit. LAYOUT_GLUE is written as a space. */
void wrap_text(const char *text, size_t n, size_t width, bool break_long,
    struct buf *lines);

/* Appends s[0..n) to out, or when it is wider than width columns, as much
 * of it as fits with "…" after it: cut after a word when that keeps at
 * least half the width, else between characters. */
void cut_text(struct buf *out, const char *s, size_t n, size_t width);

/* Appends a table as '\n'-ended lines: cells[row * cols + col] is one line
 * of text; columns as wide as their widest cell, aligned by align[col]
 * ('l', 'c' or 'r'), " | " between them, and a "-+-" rule under row 0
 * when header. Trailing spaces are trimmed. */
void table_lines(struct buf *out, const struct buf *cells, size_t rows,
    size_t cols, const char *align, bool header);

#endif
