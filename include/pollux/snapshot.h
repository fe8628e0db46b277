/* snapshot.h - every response pollux can send, pre-rendered at load time and
 * looked up by path. Immutable once built; shared by reference count. */
#ifndef POLLUX_SNAPSHOT_H
#define POLLUX_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "site.h"

enum proto { PROTO_GEMINI, PROTO_GOPHER };

struct page {
	const char *path;      /* key: "/posts/x.gmi", "/tags/" (Gopher: selector) */
	size_t path_len;
	const char *head;      /* Gemini response header ("20 ...\r\n"); "" for Gopher */
	size_t head_len;
	const char *body;
	size_t body_len;
	const char *redirect;  /* non-NULL: Gemini answers 31 to this path instead */
};

struct snapshot;
struct search_index;

/* Loads the capsule named by cfg and renders every page for both protocols.
 * prev is the site served now (NULL at start): see capsule_load. Returns
 * NULL when the capsule cannot be read (said why on stderr). */
struct snapshot *snapshot_build(const struct config *cfg,
    const struct site *prev);
const struct site *snapshot_site(const struct snapshot *s);
size_t snapshot_page_count(const struct snapshot *s, enum proto p);
/* The i-th page added (replaced ones included), or NULL past the last: for
 * tests that compare two snapshots page by page. */
const struct page *snapshot_page_at(const struct snapshot *s, enum proto p,
    size_t i);

/* Exact lookup of a normalised path. NULL when there is no such page. */
const struct page *snapshot_find(const struct snapshot *s, enum proto p,
    const char *path, size_t len);

void snapshot_ref(struct snapshot *s);
void snapshot_unref(struct snapshot *s);   /* frees at zero */
/* Drops a reference without freeing: true when it was the last one, and
 * the caller then frees it with snapshot_free (from any thread), so that
 * an event loop never pays for freeing a whole site. NULL: false. */
bool snapshot_release(struct snapshot *s);
void snapshot_free(struct snapshot *s);
/* Snapshots made and not yet freed, in this process; any thread. */
unsigned snapshot_alive(void);

/* Used by the page builders while a snapshot is under construction. */
struct snapshot *snapshot_new(struct site *site);  /* takes the site */
/* Adds a page; head is copied, body (malloc'd) is taken over. */
void snapshot_add(struct snapshot *s, enum proto p, const char *path,
    const char *head, char *body, size_t body_len);
/* Adds a page whose body lives as long as the snapshot already (a static
 * file's data in the site), so both protocols share one copy. */
void snapshot_add_borrowed(struct snapshot *s, enum proto p, const char *path,
    const char *head, const char *body, size_t body_len);
/* Gemini: a directory asked without its slash answers 31 to target. */
void snapshot_add_redirect(struct snapshot *s, enum proto p, const char *path,
    const char *target);
/* The search index of the posts (taken over; the snapshot frees it). */
void snapshot_set_search(struct snapshot *s, struct search_index *idx);
const struct search_index *snapshot_search(const struct snapshot *s);
/* Finishes construction (builds the lookup tables). A builder may seal
 * early to look up what it has added, then add more and seal again; pages
 * added since the last seal are not found until the next. */
void snapshot_seal(struct snapshot *s);

#endif
