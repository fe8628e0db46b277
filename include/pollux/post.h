/* post.h - one blog post as read from its Markdown file, front matter first.
 * Filled by frontmatter_parse, owned by the site that loaded it. */
#ifndef POLLUX_POST_H
#define POLLUX_POST_H

#include <stdbool.h>
#include <stddef.h>

/* A tag as a post names it. */
struct post_tag {
	char *name;        /* as shown; owned. Written as in the post, until
	                      the loader gives it the capsule's first spelling
	                      of the tag (see capsule.c) */
	char *path;        /* its path segment, tag_path(name); owned */
	unsigned line;     /* where the post names it, for messages */
};

/* An old address of a post (front matter "aliases:"), answered by it. */
struct post_alias {
	char *path;        /* as served: '/'-rooted, decoded; owned */
	unsigned line;
};

struct post_source;
struct post_render;

struct post {
	char *file;        /* path relative to the capsule, for messages */
	char *text;        /* the whole file, NUL-terminated; owned. NULL in
	                      a loaded site's posts, whose file is source's */
	size_t text_len;

	/* From the front matter; every string is owned (malloc'd). */
	char *title;
	char *summary;     /* NULL when absent */
	char *slug;        /* NULL until the loader derives it from the name */
	char *lang;        /* NULL: the site's language */
	char date[11];     /* YYYY-MM-DD as written: the day pages show */
	char date_rfc3339[26]; /* for feeds: the time as written, with its
	                          offset, or the day at T00:00:00Z */
	long long date_epoch;  /* for sorting: seconds since 1970, UTC */
	char updated[11];  /* the same three for updated:, "" when not set */
	char updated_rfc3339[26];
	long long updated_epoch;
	struct post_tag *tags; /* in the order written, one per path */
	size_t ntags;
	struct post_alias *aliases;
	size_t naliases;
	unsigned read_time; /* minutes; 0 means "compute from the words" */
	bool draft;

	/* The Markdown after the front matter: points into text. */
	const char *body;
	size_t body_len;
	unsigned body_line; /* 1-based line of the file where body starts */

	/* In a loaded site, references it holds (see postcache.h; released
	 * by site_free, not post_clear): the file read, and the pages made
	 * of it, which the next load may share. */
	struct post_source *source;
	struct post_render *render;
};

struct fm_error {
	unsigned line;     /* 1-based line in the file */
	char msg[200];
};

/* Parses the front matter that opens text[0..len) ("---" line, YAML, "---"
 * line) into p, and points p->body past it. Returns 0, or -1 with err set.
 * Front matter over 64 KiB, or a post over a limit on what it generates
 * (tags, tag length, title and summary length: see frontmatter.c) fails,
 * never truncated. On failure p may hold partial fields: release them with
 * post_clear. */
int frontmatter_parse(const char *text, size_t len, struct post *p,
    struct fm_error *err);

/* The path segment of the tag name (UTF-8), malloc'd: letters and digits
 * folded as search_fold_char folds them (lower case, accents off, Latin
 * letters as ASCII, other scripts as they are); '+' spelled "plus"; '#'
 * after a letter and ending a word spelled "sharp" (C#, F#); anything else
 * a '-' between words, never two, none at either end. "C++" is
 * "c-plus-plus", "Émigré" "emigre", "node.js" "node-js", "PKCS#11"
 * "pkcs-11". NULL when no letter or digit is left. Front matter refuses a
 * path longer than TAG_PATH_MAX bytes. */
#define TAG_PATH_MAX 100
char *tag_path(const char *name);

/* An old address as written in "aliases:" or site.yaml's redirects, as
 * the path a request for it names: relative to dir ("/posts/") unless it
 * starts with '/', escapes decoded, dot segments removed. Returns a
 * malloc'd path, or NULL with *why set (a URL, a query, a control
 * character, a dotfile, a path above the root or too long). */
char *alias_path(const char *written, const char *dir, const char **why);
/* True when s is usable as a slug/tag in a path: [a-z0-9._-], not starting
 * with '.' or '-', 1..100 bytes. */
bool path_segment_safe(const char *s);

/* Frees every owned field and zeroes p. */
void post_clear(struct post *p);
/* Fills dst with a copy of every owned field of src but text (NULL):
 * body still points into src's text. source and render are not copied. */
void post_copy(struct post *dst, const struct post *src);

#endif
