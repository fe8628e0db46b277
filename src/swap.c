/* swap.c - which snapshot new connections get, and where old ones die: a
 * reload swaps a pointer under a lock, and the last reference to a
 * snapshot, dropped on whatever loop, hands the freeing to the thread pool. */
#include <stdlib.h>


#include "pollux/swap.h"
#include "pollux/util.h"

struct swap {
	uv_mutex_t lock;             /* guards current against a reload's swap */
	struct snapshot *current;    /* a reference */
};

/* One snapshot on its way out. */
struct reaping {
	uv_work_t work;
	struct snapshot *snap;
};

struct swap *swap_new(struct snapshot *first)
{
	struct swap *sw = xcalloc(1, sizeof *sw);
	uv_mutex_init(&sw->lock);
	sw->current = first;
	return sw;
}

void swap_free(struct swap *sw)
{
	if (!sw)
		return;
	swap_put(NULL, sw->current);
	uv_mutex_destroy(&sw->lock);
	free(sw);
}

struct snapshot *swap_get(struct swap *sw)
{
	uv_mutex_lock(&sw->lock);
	struct snapshot *s = sw->current;
	snapshot_ref(s);
	uv_mutex_unlock(&sw->lock);
	return s;
}

static void reap(uv_work_t *work)
{
	struct reaping *r = work->data;
	/* This thread only, as reload.c's rebuild: background work. */
	background_thread();
	snapshot_free(r->snap);
}

static void reaped(uv_work_t *work, int status)
{
	(void)status;
	free(work->data);
}

/* Freeing a site of 10,000 posts takes tens of milliseconds: on a loop,
 * that is a pause for every connection it serves. */
void swap_put(uv_loop_t *loop, struct snapshot *s)
{
	if (!snapshot_release(s))
		return;
	if (loop) {
		struct reaping *r = xmalloc(sizeof *r);
		r->snap = s;
		r->work.data = r;
		if (uv_queue_work(loop, &r->work, reap, reaped) == 0)
			return;
		free(r);
	}
	snapshot_free(s);
}

void swap_set(struct swap *sw, uv_loop_t *loop, struct snapshot *fresh)
{
	uv_mutex_lock(&sw->lock);
	struct snapshot *old = sw->current;
	sw->current = fresh;
	uv_mutex_unlock(&sw->lock);
	swap_put(loop, old);
}
