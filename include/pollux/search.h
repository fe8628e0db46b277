/* search.h - full-text search over the posts, built when the capsule loads:
 * an inverted index of folded words (case and accents ignored), queried
 * without touching a file. */
#ifndef POLLUX_SEARCH_H
#define POLLUX_SEARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define SEARCH_QUERY_MAX 256     /* bytes of a query that are read */
#define SEARCH_TERMS_MAX 8       /* words of a query that count */

/* What a post is found by: plain text, UTF-8. */
struct search_doc {
	const char *title;
	const char *const *tags;
	size_t ntags;
	const char *summary;     /* or NULL */
	const char *text;        /* the body as plain text */
	size_t text_len;
};

struct search_hit {
	size_t doc;              /* index into the docs given to the index */
	unsigned heading;        /* query words found in the title or tags */
	unsigned count;          /* occurrences of the query words */
};

struct search_index;

/* A doc's words as the index takes them: each folded word once, with how
 * often it occurs and whether the title or a tag has it. Made on any
 * thread and small (a few bytes a distinct word): a load keeps each
 * post's with its render, so that a reload indexes a post it does not
 * render again without reading its text again. */
struct search_terms;
struct search_terms *search_terms_new(const struct search_doc *doc);
void search_terms_free(struct search_terms *t);   /* NULL: nothing */

/* Indexes the docs whose terms are terms[0..n), in their order (newest
 * first: ties rank the earlier doc first), on a thread per core when
 * they are many. The caller frees it with search_index_free. */
struct search_index *search_index_of_terms(struct search_terms *const *terms,
    size_t n);

/* The same from the docs themselves. */
struct search_index *search_index_build(const struct search_doc *docs,
    size_t n);
void search_index_free(struct search_index *idx);

/* The docs that hold every word of query (each a prefix of a word of the
 * doc), best first: title and tag matches, then occurrences, then order.
 * Fills at most max hits; returns how many docs matched in all (0 for an
 * empty query). Safe to call from several threads at once. */
size_t search_query(const struct search_index *idx, const char *query,
    size_t len, struct search_hit *hits, size_t max);

/* Appends to out about width bytes of text around the first word that a
 * word of query begins, cut at word boundaries, "…" where text was left
 * out, whitespace runs as one space. Nothing when no word matches. */
void search_excerpt(const char *text, size_t n, const char *query,
    size_t len, size_t width, struct buf *out);

/* Appends s[0..n) folded as the index sees it: lower case, accents
 * removed, letters and digits in words separated by one space. */
void search_fold(const char *s, size_t n, struct buf *out);

/* The first character of s[0..n) (n > 0) as the index folds it, for
 * whoever needs the same folding (tag paths): returns its length in s,
 * and puts in out its folded bytes (*len, at most 4: a letter or digit
 * lower-cased without its accents, "É" "e", "ß" "ss", where the tables
 * have a form; a CJK character as it is). *len is 0 for a combining mark,
 * which vanishes, and for a separator (space, punctuation, symbols), for
 * which *separator is true. */
size_t search_fold_char(const char *s, size_t n, char out[4], size_t *len,
    bool *separator);

#endif
