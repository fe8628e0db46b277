/* strset.c - strings numbered in order of arrival, found by an FNV-1a hash
 * with open addressing, so a page with thousands of links stays linear. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pollux/strset.h"
#include "pollux/util.h"

static size_t hash(const char *s)
{
	size_t h = 14695981039346656037ULL & SIZE_MAX;

	while (*s)
		h = (h ^ (unsigned char)*s++) * (size_t)1099511628211ULL;
	return h;
}

size_t strset_add(struct strset *r, const char *s, bool *added)
{
	size_t i;

	if (r->n * 2 >= r->nslots) {
		size_t ns = r->nslots ? r->nslots * 2 : 64;
		free(r->slots);
		r->slots = xcalloc(ns, sizeof *r->slots);
		r->nslots = ns;
		for (size_t k = 0; k < r->n; k++) {
			i = hash(r->v[k]) & (ns - 1);
			while (r->slots[i])
				i = (i + 1) & (ns - 1);
			r->slots[i] = k + 1;
		}
	}
	i = hash(s) & (r->nslots - 1);
	while (r->slots[i]) {
		if (strcmp(r->v[r->slots[i] - 1], s) == 0) {
			if (added)
				*added = false;
			return r->slots[i];
		}
		i = (i + 1) & (r->nslots - 1);
	}
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 16;
		r->v = xrealloc(r->v, r->cap * sizeof *r->v);
	}
	r->v[r->n++] = xstrdup(s);
	r->slots[i] = r->n;
	if (added)
		*added = true;
	return r->n;
}

void strset_free(struct strset *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->v[i]);
	free(r->v);
	free(r->slots);
	memset(r, 0, sizeof *r);
}
