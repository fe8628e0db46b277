/* mdtable.c - reading pipe tables out of the Markdown source: which
 * paragraphs are tables, their cells, and their column alignment. The
 * Markdown walker asks; cmark itself is never called here. */
#include <stdlib.h>
#include <string.h>

#include "pollux/mdtable.h"
#include "pollux/util.h"

const char *md_source_line(struct md_source *s, int lineno, size_t *len)
{
	if (!s->starts) {
		size_t count = 1;
		for (size_t i = 0; i < s->len; i++)
			count += s->md[i] == '\n';
		s->starts = xmalloc(count * sizeof *s->starts);
		s->starts[s->nlines++] = 0;
		for (size_t i = 0; i < s->len; i++)
			if (s->md[i] == '\n')
				s->starts[s->nlines++] = i + 1;
	}
	if (lineno < 1 || (size_t)lineno > s->nlines)
		return NULL;
	size_t i = s->starts[lineno - 1];
	size_t end = (size_t)lineno < s->nlines ? s->starts[lineno] - 1 : s->len;
	while (end > i && (s->md[end - 1] == '\r' || s->md[end - 1] == '\n'))
		end--;
	*len = end - i;
	return s->md + i;
}

void md_source_free(struct md_source *s)
{
	free(s->starts);
	s->starts = NULL;
	s->nlines = 0;
}

/* The row on a source line, without container markers, blanks and the
 * outer pipes; NULL when the line is not a row. */
static const char *table_row(const char *s, size_t n, size_t *len)
{
	while (n > 0 && (*s == ' ' || *s == '\t' || *s == '>'))
		s++, n--;
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n < 2 || s[0] != '|' || s[n - 1] != '|')
		return NULL;
	*len = n - 2;
	return s + 1;
}

/* Calls cb with each trimmed cell of a row, split at pipes that are not
 * escaped with a backslash. Returns the number of cells. */
static size_t split_row(const char *s, size_t n,
    void (*cb)(void *, size_t, const char *, size_t), void *arg)
{
	size_t count = 0, i = 0;
	for (;;) {
		size_t a = i;
		while (i < n && !(s[i] == '|' && (i == 0 || s[i - 1] != '\\')))
			i++;
		size_t e = i;
		while (a < e && (s[a] == ' ' || s[a] == '\t'))
			a++;
		while (e > a && (s[e - 1] == ' ' || s[e - 1] == '\t'))
			e--;
		if (cb)
			cb(arg, count, s + a, e - a);
		count++;
		if (i >= n)
			return count;
		i++;
	}
}

static bool is_delim_cell(const char *s, size_t n)
{
	size_t i = 0;
	if (i < n && s[i] == ':')
		i++;
	if (i >= n || s[i] != '-')
		return false;
	while (i < n && s[i] == '-')
		i++;
	if (i < n && s[i] == ':')
		i++;
	return i == n;
}

static void check_delim(void *arg, size_t col, const char *s, size_t n)
{
	(void)col;
	if (!is_delim_cell(s, n))
		*(bool *)arg = false;
}

static void set_align(void *arg, size_t col, const char *s, size_t n)
{
	struct md_table *t = arg;
	if (col >= t->cols || n == 0)
		return;
	if (s[0] == ':' && s[n - 1] == ':' && n > 1)
		t->align[col] = 'c';
	else if (s[n - 1] == ':')
		t->align[col] = 'r';
}

struct fill {
	struct md_table *t;
	size_t row;
};

static void fill_cell(void *arg, size_t col, const char *s, size_t n)
{
	struct fill *f = arg;
	f->t->cells[f->row * f->t->cols + col] = xstrndup(s, n);
}

/* The paragraph's lines; the first may start mid-line inside a list or
 * quote, at the paragraph's column col0 (1-based). */
static const char *para_line(struct md_source *src, int first, int col0,
    int lineno, size_t *len)
{
	size_t n;
	const char *s = md_source_line(src, lineno, &n);
	if (s && lineno == first && col0 > 1 && (size_t)(col0 - 1) <= n)
		s += col0 - 1, n -= (size_t)(col0 - 1);
	*len = n;
	return s;
}

bool md_table_read(struct md_source *src, int first, int last, int col0,
    struct md_table *t)
{
	memset(t, 0, sizeof *t);
	if (first < 1 || last <= first)
		return false;
	bool delim = true;
	for (int i = first; i <= last; i++) {
		size_t n, len;
		const char *s = para_line(src, first, col0, i, &n), *row;
		if (!s || !(row = table_row(s, n, &len)))
			return false;
		size_t k = split_row(row, len, NULL, NULL);
		if (k > t->cols)
			t->cols = k;
		if (i == first + 1)
			split_row(row, len, check_delim, &delim);
	}
	t->header = delim;
	t->rows = (size_t)(last - first + 1) - (delim ? 1 : 0);
	t->cells = xcalloc(t->rows * t->cols, sizeof *t->cells);
	t->align = xmalloc(t->cols);
	memset(t->align, 'l', t->cols);
	struct fill f = {t, 0};
	for (int i = first; i <= last; i++) {
		size_t n, len;
		const char *s = para_line(src, first, col0, i, &n);
		const char *row = table_row(s, n, &len);
		if (delim && i == first + 1) {
			split_row(row, len, set_align, t);
			continue;
		}
		split_row(row, len, fill_cell, &f);
		f.row++;
	}
	for (size_t i = 0; i < t->rows * t->cols; i++)
		if (!t->cells[i])
			t->cells[i] = xstrdup("");
	return true;
}

void md_table_free(struct md_table *t)
{
	for (size_t i = 0; i < t->rows * t->cols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->align);
	memset(t, 0, sizeof *t);
}
