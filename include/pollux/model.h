/* model.h - the page model: what a page says, before any protocol. A page
 * is a title and a flat list of blocks; the writers (gemtext.h,
 * gophertext.h) turn one model into each protocol's bytes. */
#ifndef POLLUX_MODEL_H
#define POLLUX_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include "post.h"
#include "util.h"

/* What a link points at. Each writer turns a target into its own address
 * (a gemini path, a Gopher item type and selector): see gemtext.c and
 * gophermap.c. Paths are the capsule's, '/'-rooted, not escaped. */
enum link_to {
	LINK_URL,        /* target: a URL as written (another server, or
	                    one nothing in the capsule answers) */
	LINK_POST,       /* a post (post is set): its page */
	LINK_POST_TEXT,  /* a post's text: Gopher's type 0; Gemini's page */
	LINK_TAG,        /* target: the tag's page, "/tags/iot/" */
	LINK_MENU,       /* target: a generated index, "/", "/posts/" */
	LINK_FOLDER,     /* target: a folder of the capsule, "/images/" */
	LINK_PAGE,       /* target: a page the author wrote, as its .gmi path
	                    (about.md is served as "/about.gmi") */
	LINK_FILE,       /* target: a file served as it is */
	LINK_FEED,       /* target: an Atom feed, "/atom.xml" */
	LINK_SEARCH,     /* target: the search, "/search": Gemini asks for
	                    the words (10), Gopher's type 7 item does */
};

#define NO_LINK ((size_t)-1)

struct link {
	enum link_to to;
	const char *target;         /* see enum link_to; "" for posts */
	const char *label;          /* never NULL; "" when the link has none */
	const struct post *post;    /* LINK_POST, LINK_POST_TEXT; the site's */
	unsigned line;              /* the line of the source text it is
	                               written on (1-based), for --check's
	                               reports; 0 for links pages make */
};

/* Inline text is a list of runs: text, and marks where a link or an image
 * begins and ends (they nest). Text runs hold no control characters and
 * no line ends: a line break is a run of its own. */
enum run_kind {
	RUN_TEXT,        /* s[0..len) */
	RUN_CODE,        /* s[0..len): inline code */
	RUN_BREAK,       /* a hard line break */
	RUN_LINK,        /* a link's text starts; link: its index, or NO_LINK */
	RUN_IMAGE,       /* an image's alt text starts; link as for RUN_LINK */
	RUN_END,         /* the innermost open link or image ends */
	RUN_NOTE,        /* a footnote's marker: s[0..len) is its number */
};

struct run {
	enum run_kind kind;
	const char *s;
	size_t len;
	size_t link;
};

/* A stretch of runs: page->runs[first .. first + n). */
struct runs {
	size_t first, n;
};

enum block_kind {
	BLOCK_HEADING,   /* level 1-6, text */
	BLOCK_TEXT,      /* a paragraph: text */
	BLOCK_LINK,      /* a link on a line of its own: link */
	BLOCK_PRE,       /* preformatted: alt (may be ""), s[0..len) */
	BLOCK_TABLE,     /* rows x cols cells, column align 'l', 'c', 'r' */
	BLOCK_RULE,      /* a thematic break */
	/* Containers: what follows, up to the matching BLOCK_END, is inside. */
	BLOCK_QUOTE,
	BLOCK_LIST,      /* list.*; its children are BLOCK_ITEMs */
	BLOCK_ITEM,
	BLOCK_NOTE,      /* a footnote: level is its number */
	BLOCK_BODY,      /* a post's text: link is the text on its own (a
	                    menu shows that link and the links inside) */
	BLOCK_END,
};

enum block_flags {
	BLOCK_CARD = 1,  /* LINK to a post: an index card, with read time,
	                    tags and summary under the dated link */
	BLOCK_DATED = 2, /* LINK to a post: the label is "YYYY-MM-DD Title" */
	BLOCK_NAV = 4,   /* site navigation: a text file (type 0) leaves it
	                    out, since nothing in a text can be followed */
	BLOCK_TIGHT = 8, /* no blank line before it */
	BLOCK_BREAK = 16,/* a blank line before it, even after another link */
};

struct block {
	enum block_kind kind;
	unsigned flags;
	int level;                  /* HEADING: 1-6; NOTE: its number */
	struct runs text;           /* HEADING, TEXT */
	size_t link;                /* LINK, BODY: index in page->links */
	const char *alt, *s;        /* PRE */
	size_t len;
	struct {
		bool ordered, tight;
		int start;
		char delim;             /* '.' or ')' */
		char bullet;            /* '*', '-' or '+', as the author wrote */
		size_t nitems;
	} list;
	char task;                  /* ITEM: ' ' a task to do, 'x' done, 0 none */
	struct {
		size_t rows, cols;
		const char *align;      /* cols bytes */
		bool header;            /* row 0 is a header */
		size_t cells;           /* page->cells[cells .. + rows * cols) */
	} table;
};

struct arena_chunk;

/* A page; every string, run and block in it belongs to the page and goes
 * with model_free. Arrays grow while the page is built: hold indexes into
 * them, not pointers, until it is done. */
struct model {
	const char *title;          /* NULL: no title line */
	struct block *blocks;
	size_t nblocks, capblocks;
	struct link *links;
	size_t nlinks, caplinks;
	struct run *runs;
	size_t nruns, capruns;
	struct runs *cells;
	size_t ncells, capcells;
	struct arena_chunk *arena;
};

/* A new, empty page; title is copied (NULL for none). */
struct model *model_new(const char *title);
void model_free(struct model *pg);

/* A copy of s[0..n) that lives as long as pg, NUL-terminated. */
const char *model_strndup(struct model *pg, const char *s, size_t n);
const char *model_strdup(struct model *pg, const char *s);

/* Appends a zeroed block of kind k and returns it (valid until the next
 * block is added). */
struct block *model_add(struct model *pg, enum block_kind k);
/* Adds a link (strings copied) and returns its index. */
size_t model_add_link(struct model *pg, enum link_to to, const char *target,
    const char *label, const struct post *post);
/* Appends a run (s copied) to the page's runs; returns its index. */
size_t model_add_run(struct model *pg, enum run_kind k, const char *s,
    size_t len, size_t link);

/* Builders' shorthands. text may hold '\n' (a line break). */
void model_heading(struct model *pg, int level, const char *text);
void model_text(struct model *pg, const char *text, unsigned flags);
void model_link(struct model *pg, enum link_to to, const char *target,
    const char *label, const struct post *post, unsigned flags);
/* Closes the innermost open container. */
void model_end(struct model *pg);

/* True when r holds links or images, each with an address, and nothing
 * outside them but blanks, line breaks and the separators put between
 * links (",", "|", "·"...): writers that gather links after a block show
 * such a paragraph as its links alone. */
bool runs_only_links(const struct model *pg, struct runs r);
/* True when the list at pg->blocks[i] is items that each hold one such
 * paragraph and nothing else (no task, no sublist). */
bool list_only_links(const struct model *pg, size_t i);
/* The index of the BLOCK_END that closes the container at i (nblocks if
 * none does). */
size_t block_end(const struct model *pg, size_t i);
/* True for a link block that groups with the links around it (a card is
 * not one: it stands apart). */
bool block_plain_link(const struct block *b);

/* A table block laid out as lines of text, each ending in '\n': every
 * cell's text made by text (a writer's own rules for inline text), its
 * line breaks as spaces, then the columns of layout.c's table_lines. */
typedef void (*runs_text_fn)(void *ctx, struct runs r, struct buf *out);
void model_table_lines(const struct model *pg, const struct block *b,
    runs_text_fn text, void *ctx, struct buf *lines);

/* The words of blocks [from, to) as plain text, for the search index:
 * text, code, link labels, preformatted text and table cells, a line
 * each; markup and URLs left out. */
void model_plain_text(const struct model *pg, size_t from, size_t to,
    struct buf *out);

/* A post's facts as pages show them: "14 min read · iot, esp32" (with the
 * date first when with_date: "2026-03-28 · 14 min read · iot, esp32", and
 * after it "updated 2026-04-02 · " when the post has updated:). */
void post_meta(struct buf *out, const struct post *p, bool with_date);

#endif
