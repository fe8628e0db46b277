/* snapshot.c - the table of pre-rendered responses, one per protocol, and
 * the reference count that lets requests in flight outlive a reload. */
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pollux/pages.h"
#include "pollux/search.h"
#include "pollux/snapshot.h"
#include "pollux/util.h"

struct table {
	struct page *pages;
	size_t npages, cap;
	uint32_t *slots;       /* open addressing: index + 1 into pages; 0 empty */
	size_t mask;
};

struct snapshot {
	atomic_uint refs;
	struct site *site;
	struct search_index *search;
	struct table tables[2];
	char **owned;          /* every string and body this snapshot frees */
	size_t nowned, capowned;
};

/* Snapshots alive, for the server's stats: one when idle, two while a
 * reload builds, more while old requests hold old ones. */
static atomic_uint alive;

static uint64_t hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;   /* FNV-1a */
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static const char *own(struct snapshot *s, char *p)
{
	if (s->nowned == s->capowned) {
		s->capowned = s->capowned ? s->capowned * 2 : 64;
		s->owned = xrealloc(s->owned, s->capowned * sizeof *s->owned);
	}
	s->owned[s->nowned++] = p;
	return p;
}

struct snapshot *snapshot_new(struct site *site)
{
	struct snapshot *s = xcalloc(1, sizeof *s);
	atomic_init(&s->refs, 1);
	s->site = site;
	atomic_fetch_add(&alive, 1);
	return s;
}

static struct page *table_push(struct snapshot *s, enum proto p,
    const char *path)
{
	struct table *t = &s->tables[p];
	if (t->npages == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->pages = xrealloc(t->pages, t->cap * sizeof *t->pages);
	}
	struct page *pg = &t->pages[t->npages++];
	memset(pg, 0, sizeof *pg);
	pg->path = own(s, xstrdup(path));
	pg->path_len = strlen(path);
	pg->head = "";
	pg->body = "";
	return pg;
}

void snapshot_add_borrowed(struct snapshot *s, enum proto p, const char *path,
    const char *head, const char *body, size_t body_len)
{
	struct page *pg = table_push(s, p, path);
	if (head && *head) {
		pg->head = own(s, xstrdup(head));
		pg->head_len = strlen(head);
	}
	pg->body = body;
	pg->body_len = body_len;
}

void snapshot_add(struct snapshot *s, enum proto p, const char *path,
    const char *head, char *body, size_t body_len)
{
	snapshot_add_borrowed(s, p, path, head, own(s, body), body_len);
}

void snapshot_add_redirect(struct snapshot *s, enum proto p, const char *path,
    const char *target)
{
	struct page *pg = table_push(s, p, path);
	pg->redirect = own(s, xstrdup(target));
}

/* A later page with the same path replaces an earlier one, so a file the
 * author put in the capsule (robots.txt, say) wins over a generated one. */
static void table_seal(struct table *t)
{
	size_t nslots = 16;
	while (nslots < t->npages * 2)
		nslots *= 2;
	free(t->slots);
	t->slots = xcalloc(nslots, sizeof *t->slots);
	t->mask = nslots - 1;
	for (size_t i = 0; i < t->npages; i++) {
		const struct page *pg = &t->pages[i];
		size_t at = hash(pg->path, pg->path_len) & t->mask;
		while (t->slots[at]) {
			const struct page *old = &t->pages[t->slots[at] - 1];
			if (old->path_len == pg->path_len &&
			    memcmp(old->path, pg->path, pg->path_len) == 0)
				break;
			at = (at + 1) & t->mask;
		}
		t->slots[at] = (uint32_t)(i + 1);
	}
}

void snapshot_set_search(struct snapshot *s, struct search_index *idx)
{
	search_index_free(s->search);
	s->search = idx;
}

const struct search_index *snapshot_search(const struct snapshot *s)
{
	return s->search;
}

void snapshot_seal(struct snapshot *s)
{
	table_seal(&s->tables[PROTO_GEMINI]);
	table_seal(&s->tables[PROTO_GOPHER]);
}

const struct page *snapshot_find(const struct snapshot *s, enum proto p,
    const char *path, size_t len)
{
	const struct table *t = &s->tables[p];
	if (!t->slots)
		return NULL;
	size_t at = hash(path, len) & t->mask;
	while (t->slots[at]) {
		const struct page *pg = &t->pages[t->slots[at] - 1];
		if (pg->path_len == len && memcmp(pg->path, path, len) == 0)
			return pg;
		at = (at + 1) & t->mask;
	}
	return NULL;
}

size_t snapshot_page_count(const struct snapshot *s, enum proto p)
{
	/* Count distinct paths: replaced pages are not reachable. */
	const struct table *t = &s->tables[p];
	size_t n = 0;
	for (size_t i = 0; t->slots && i <= t->mask; i++)
		n += t->slots[i] != 0;
	return n;
}

const struct page *snapshot_page_at(const struct snapshot *s, enum proto p,
    size_t i)
{
	const struct table *t = &s->tables[p];
	return i < t->npages ? &t->pages[i] : NULL;
}

const struct site *snapshot_site(const struct snapshot *s)
{
	return s->site;
}

struct snapshot *snapshot_build(const struct config *cfg,
    const struct site *prev)
{
	struct site *site = capsule_load(cfg->capsule_dir, prev);
	if (!site)
		return NULL;
	struct snapshot *s = snapshot_new(site);
	site->problems += pages_build(s, site, prev, cfg);
	snapshot_seal(s);
	return s;
}

void snapshot_ref(struct snapshot *s)
{
	atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
}

bool snapshot_release(struct snapshot *s)
{
	return s && atomic_fetch_sub_explicit(&s->refs, 1,
	    memory_order_acq_rel) == 1;
}

void snapshot_unref(struct snapshot *s)
{
	if (snapshot_release(s))
		snapshot_free(s);
}

void snapshot_free(struct snapshot *s)
{
	for (size_t i = 0; i < s->nowned; i++)
		free(s->owned[i]);
	free(s->owned);
	for (int p = 0; p < 2; p++) {
		free(s->tables[p].pages);
		free(s->tables[p].slots);
	}
	search_index_free(s->search);
	site_free(s->site);
	free(s);
	atomic_fetch_sub(&alive, 1);
}

unsigned snapshot_alive(void)
{
	return atomic_load(&alive);
}
