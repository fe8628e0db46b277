/* postcache.h - what a load keeps of each post for the next one: the file
 * as read (with its parsed front matter), and its pages as rendered, each
 * keyed by what it was made from and shared, by reference count, between
 * the sites (and so the snapshots) that use it. A reload re-reads only the
 * files that changed and re-renders only the posts whose file or context
 * (neighbours, tags, what their links name) changed. */
#ifndef POLLUX_POSTCACHE_H
#define POLLUX_POSTCACHE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "post.h"

/* A post file as read: its identity when read, its bytes and their
 * hash, and its front matter parsed (before the load gives its tags the
 * site's spellings). Immutable once made; freed with its last reference,
 * on any thread. */
struct post_source {
	atomic_uint refs;
	dev_t dev;
	ino_t ino;
	off_t size;
	int64_t mtime_ns, ctime_ns;
	int64_t read_ns;       /* the wall clock just before it was read */
	bool linked;           /* read through a symbolic link: never trusted
	                          on its stat alone */
	uint64_t hash;         /* of text[0..len) */
	char *text;            /* the whole file, NUL-terminated; owned */
	size_t len;
	struct post rec;       /* parsed; rec.text NULL, rec.body into text */
};

struct search_terms;

/* A post's pages as rendered, and what the rest of a load needs of the
 * render: its words for the search index, the "URL:" pages its menu
 * links to, and the problems it reported, said again on every load that
 * uses it. context is the hash of everything the render read besides the
 * file (postcache_context in pages.c); links are the URLs its text
 * writes, re-resolved against a new site to recompute it. */
struct post_render {
	atomic_uint refs;
	uint64_t source_hash;  /* the file it was made from */
	uint64_t context;
	char *path[3];         /* gemtext, Gopher menu, Gopher text */
	char *body[3];
	size_t len[3];
	char head[96];
	struct search_terms *terms; /* its words, for the search index */
	char **urls;           /* "URL:" targets its menu and text link to */
	char **url_pages;      /* the page answering each */
	size_t *url_page_len;
	size_t nurls;
	char **links;          /* as written in the body, in order */
	size_t nlinks, caplinks;
	char *said;            /* its "FILE:LINE: ..." lines */
	size_t said_len;
	unsigned problems;
	char *feed[2];         /* its Atom entry on Gemini, on Gopher */
	size_t feed_len[2];
	uint64_t feed_hash;    /* of both */
};

/* A generated page whose bytes a later load may share, when the hash of
 * what it was made of (key) is the same: a feed, thousands of entries
 * long, that an edit of a post's text leaves as it was. */
struct kept_page {
	atomic_uint refs;
	char *path;
	int proto;             /* enum proto */
	uint64_t key;
	char *body;
	size_t len;
};

/* 64 bits of data[0..n), continuing from seed (0 to start). Not for
 * adversaries: a change of a file's bytes to others with the same hash,
 * size and time is not a risk this guards against. */
uint64_t postcache_hash(uint64_t seed, const void *data, size_t n);

/* The wall clock in nanoseconds, as file times are. */
int64_t postcache_now_ns(void);

/* True when st says the file src was read from has not changed since:
 * same identity, size and times, and its last change (ctime) more than a
 * second before it was read, so no write in the same tick of a coarse
 * file system clock can have been missed (git's "racy" rule). */
bool postcache_unchanged(const struct post_source *src, const struct stat *st);

struct post_source *postcache_source_new(void);
struct post_render *postcache_render_new(void);
void postcache_source_ref(struct post_source *s);
void postcache_render_ref(struct post_render *r);
void postcache_source_unref(struct post_source *s);   /* NULL: nothing */
void postcache_render_unref(struct post_render *r);
void postcache_render_link(struct post_render *r, const char *url);

/* Takes path (copied) and body (malloc'd, taken over). */
struct kept_page *postcache_kept_new(const char *path, int proto,
    uint64_t key, char *body, size_t len);
void postcache_kept_ref(struct kept_page *k);
void postcache_kept_unref(struct kept_page *k);       /* NULL: nothing */

#endif
