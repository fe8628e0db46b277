/* site.h - the capsule as loaded from disk: site settings, the published
 * posts newest first, the tags, and every other file to serve as-is. */
#ifndef POLLUX_SITE_H
#define POLLUX_SITE_H

#include <stddef.h>

#include "post.h"

struct kept_page;

struct tag {
	char *name;            /* as shown: the spelling of the oldest post
	                          that has the tag ("C++") */
	char *path;            /* its path segment, tag_path(name) */
	struct post **posts;   /* newest first; pointers into site.posts */
	size_t nposts;
};

/* A path that moved: a post's alias, or one of site.yaml's redirects. */
struct redirect {
	char *from;            /* the old path as a request names it, decoded */
	char *to;              /* site.yaml's target as written (a capsule
	                          path); NULL for an alias */
	const struct post *post;  /* an alias's post; NULL for a redirect */
	const char *file;      /* where it is written: the post's file or
	                          "site.yaml"; for messages */
	unsigned line;
};

struct static_file {
	char *path;            /* "/images/radar.png": served path, '/'-rooted */
	char *data;            /* contents; owned */
	size_t len;
};

struct site {
	char *dir;             /* the capsule folder */
	char *title, *author, *description, *lang; /* lang defaults to "en" */
	char *icon;            /* the feeds' icon as written: a path or a URL */
	unsigned icon_line;    /* its line in site.yaml */
	unsigned feed_entries; /* entries in a feed at most; 0: every post */
	char *intro;           /* index.md as Markdown, or NULL */
	size_t intro_len;

	struct post *posts;    /* published only, newest first (ties: by slug) */
	size_t nposts;
	struct tag *tags;      /* sorted by path */
	size_t ntags;
	struct redirect *redirects; /* sorted by from, each from once */
	size_t nredirects;
	char **dirs;           /* served subdirectories of static files, "/images/" */
	size_t ndirs;
	struct static_file *files; /* sorted by path */
	size_t nfiles;

	char **readable;       /* every path read, sorted: "/", "/posts/a.md" */
	size_t nreadable;

	unsigned problems;     /* reported and skipped items */
	unsigned drafts;       /* drafts seen and withheld */
	/* How much of the previous load this one could keep, for the log:
	 * post files read again (changed, or no previous load), posts whose
	 * pages were rendered, and posts whose pages were shared. */
	size_t posts_reread, posts_rendered, posts_reused;
	/* Generated pages (feeds) the next load may share; held here. */
	struct kept_page **kept;
	size_t nkept, capkept;
	size_t kept_reused;    /* of those, shared with the previous load */
	char **notes;          /* "FILE:LINE: ..." lines for --check that are
	                          no problem (two spellings of one tag) */
	size_t nnotes;

	/* Lookup indexes for links between posts (capsule.c's own). */
	struct post **by_slug, **by_stem;
};

/* Loads the capsule in dir. Every problem is printed to stderr as
 * "FILE:LINE: what is wrong" and counted in problems; the broken item is
 * skipped. Returns NULL (and says why) when the folder cannot be read, or
 * when something cannot be read for a reason of the moment (descriptors,
 * memory, I/O) or that prev, the site served now (or NULL), could read:
 * only a file that is gone is left out of a reload. Symbolic links are
 * followed only to files inside the capsule; folders never. */
struct site *capsule_load(const char *dir, const struct site *prev);
void site_free(struct site *s);

/* Finds the published post that a Markdown link names: "other.md",
 * "./other.md", "/posts/other.md", "2026-01-02-other.md", or a slug.
 * Returns NULL when no post matches. */
const struct post *site_find_post_link(const struct site *s, const char *url);

/* The published post read from file ("posts/a.md"), or NULL. */
const struct post *site_find_post_file(const struct site *s,
    const char *file);

/* The redirect whose from is path, or NULL. */
const struct redirect *site_find_redirect(const struct site *s,
    const char *path);

#endif
