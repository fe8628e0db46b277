/* swap.h - the snapshot new connections get, replaced by reloads from
 * another thread; a snapshot nobody holds any more is freed on libuv's
 * thread pool, so that no event loop pauses to free a whole site. */
#ifndef POLLUX_SWAP_H
#define POLLUX_SWAP_H

#include <uv.h>

#include "snapshot.h"

struct swap;

/* Takes the caller's reference to first. */
struct swap *swap_new(struct snapshot *first);
/* Drops the swap's reference, freeing the snapshot here when it is the
 * last: called once no loop serves any more. */
void swap_free(struct swap *sw);

/* A reference to the current snapshot, for one connection; any thread. */
struct snapshot *swap_get(struct swap *sw);
/* Drops a reference. The last one is freed on the thread pool, queued
 * from loop (the caller's); with loop NULL it is freed here. */
void swap_put(uv_loop_t *loop, struct snapshot *s);
/* Makes fresh the current snapshot (taking the caller's reference) and
 * drops the swap's reference to the old one as swap_put does. */
void swap_set(struct swap *sw, uv_loop_t *loop, struct snapshot *fresh);

#endif
