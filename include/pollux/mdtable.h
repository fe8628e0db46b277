/* mdtable.h - pipe tables. cmark without the GFM extension reads a table as
 * a paragraph; the Markdown walker asks this module whether a paragraph's
 * source lines are a table and gets its cells back. */
#ifndef POLLUX_MDTABLE_H
#define POLLUX_MDTABLE_H

#include <stdbool.h>
#include <stddef.h>

/* The Markdown source by line, for reading a node's raw lines. */
struct md_source {
	const char *md;
	size_t len;
	size_t *starts;        /* offset of each line; built on first use */
	size_t nlines;
};

/* Line lineno (1-based) without its line ending, or NULL. */
const char *md_source_line(struct md_source *s, int lineno, size_t *len);
void md_source_free(struct md_source *s);

struct md_table {
	char **cells;          /* rows * cols, each the cell's trimmed Markdown */
	size_t rows, cols;
	char *align;           /* per column: 'l', 'c' or 'r' */
	bool header;           /* row 0 was followed by a |---| line */
};

/* True, with t filled, when every source line of a paragraph, lines first
 * to last (1-based; the first starts at column col0), is "| ... |" and
 * there are at least two. The |---| line is not a row. */
bool md_table_read(struct md_source *src, int first, int last, int col0,
    struct md_table *t);
void md_table_free(struct md_table *t);

#endif
