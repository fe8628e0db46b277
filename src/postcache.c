/* postcache.c - a post's file and pages kept from one load to the next:
 * made by the load that read or rendered them, then shared, by an atomic
 * reference count, with every later load that finds them still true. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pollux/postcache.h"
#include "pollux/search.h"
#include "pollux/util.h"

/* Eight bytes a step: hashing every post of a big capsule on a full load
 * is a few milliseconds, where a byte a step (FNV) was tens. */
uint64_t postcache_hash(uint64_t seed, const void *data, size_t n)
{
	const unsigned char *p = data;
	const uint64_t k = 0x9E3779B97F4A7C15ULL;
	uint64_t h = seed ^ (n * k);
	for (; n >= 8; p += 8, n -= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		h = (h ^ (w * k)) * 0xBF58476D1CE4E5B9ULL;
		h ^= h >> 29;
	}
	uint64_t w = 0;
	memcpy(&w, p, n);
	h = (h ^ (w * k)) * 0x94D049BB133111EBULL;
	h ^= h >> 31;
	return h;
}

int64_t postcache_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

bool postcache_unchanged(const struct post_source *src, const struct stat *st)
{
	int64_t m = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
	int64_t c = (int64_t)st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec;
	return !src->linked && S_ISREG(st->st_mode) && st->st_dev == src->dev &&
	    st->st_ino == src->ino && st->st_size == src->size &&
	    m == src->mtime_ns && c == src->ctime_ns &&
	    c < src->read_ns - 1000000000;
}

struct post_source *postcache_source_new(void)
{
	struct post_source *s = xcalloc(1, sizeof *s);
	atomic_init(&s->refs, 1);
	return s;
}

struct post_render *postcache_render_new(void)
{
	struct post_render *r = xcalloc(1, sizeof *r);
	atomic_init(&r->refs, 1);
	return r;
}

void postcache_source_ref(struct post_source *s)
{
	atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
}

void postcache_render_ref(struct post_render *r)
{
	atomic_fetch_add_explicit(&r->refs, 1, memory_order_relaxed);
}

void postcache_source_unref(struct post_source *s)
{
	if (!s || atomic_fetch_sub_explicit(&s->refs, 1,
	    memory_order_acq_rel) != 1)
		return;
	post_clear(&s->rec);
	free(s->text);
	free(s);
}

static void free_strings(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void postcache_render_unref(struct post_render *r)
{
	if (!r || atomic_fetch_sub_explicit(&r->refs, 1,
	    memory_order_acq_rel) != 1)
		return;
	for (int k = 0; k < 3; k++) {
		free(r->path[k]);
		free(r->body[k]);
	}
	search_terms_free(r->terms);
	free_strings(r->urls, r->nurls);
	free_strings(r->url_pages, r->nurls);
	free(r->url_page_len);
	free_strings(r->links, r->nlinks);
	free(r->said);
	free(r->feed[0]);
	free(r->feed[1]);
	free(r);
}

struct kept_page *postcache_kept_new(const char *path, int proto,
    uint64_t key, char *body, size_t len)
{
	struct kept_page *k = xcalloc(1, sizeof *k);
	atomic_init(&k->refs, 1);
	k->path = xstrdup(path);
	k->proto = proto;
	k->key = key;
	k->body = body;
	k->len = len;
	return k;
}

void postcache_kept_ref(struct kept_page *k)
{
	atomic_fetch_add_explicit(&k->refs, 1, memory_order_relaxed);
}

void postcache_kept_unref(struct kept_page *k)
{
	if (!k || atomic_fetch_sub_explicit(&k->refs, 1,
	    memory_order_acq_rel) != 1)
		return;
	free(k->path);
	free(k->body);
	free(k);
}

void postcache_render_link(struct post_render *r, const char *url)
{
	if (r->nlinks == r->caplinks) {
		r->caplinks = r->caplinks ? r->caplinks * 2 : 8;
		r->links = xrealloc(r->links, r->caplinks * sizeof *r->links);
	}
	r->links[r->nlinks++] = xstrdup(url);
}
