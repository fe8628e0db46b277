/* strset.h - a set of strings that numbers them in the order they come:
 * the writers use it to show each URL, or each place, once. */
#ifndef POLLUX_STRSET_H
#define POLLUX_STRSET_H

#include <stdbool.h>
#include <stddef.h>

/* A zeroed struct is an empty set; strset_free releases what it owns
 * (its copies of the strings). */
struct strset {
	char **v;              /* v[i] is string number i + 1 */
	size_t n, cap;
	size_t *slots;         /* open addressing: index + 1, 0 is empty */
	size_t nslots;
};

/* The number of s (1-based), adding a copy when it is new; *added (may be
 * NULL) says whether it was. */
size_t strset_add(struct strset *set, const char *s, bool *added);
void strset_free(struct strset *set);

#endif
