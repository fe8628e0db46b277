/* reload.c - the capsule is rebuilt when it changes, without a restart:
 * SIGHUP or a file event starts a short timer (editors write a file in
 * several steps), then the snapshot is built on libuv's thread pool and
 * handed to the server, which swaps it in. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pollux/log.h"
#include "pollux/reload.h"
#include "pollux/util.h"

#define DEBOUNCE_MS 200

struct watch {
	uv_fs_event_t handle;
	struct reloader *r;
};

struct reloader {
	uv_loop_t *loop;
	const struct config *cfg;
	reload_fn done;
	void *ctx;
	uv_signal_t sighup;
	uv_timer_t debounce;
	struct watch **watches;
	size_t nwatches;
	uv_work_t work;
	struct snapshot *fresh;      /* the worker's result */
	bool busy, again, stopping;
	int open_handles;
};

static void maybe_free(struct reloader *r)
{
	if (r->stopping && !r->busy && r->open_handles == 0) {
		free(r->watches);
		free(r);
	}
}

static void on_closed(uv_handle_t *h)
{
	struct reloader *r = h->data;
	r->open_handles--;
	maybe_free(r);
}

static void on_watch_closed(uv_handle_t *h)
{
	struct watch *w = (struct watch *)h;
	struct reloader *r = w->r;
	free(w);
	r->open_handles--;
	maybe_free(r);
}

static void on_fs_event(uv_fs_event_t *h, const char *name, int events,
    int status)
{
	(void)name, (void)events, (void)status;
	reloader_request(((struct watch *)h)->r);
}

static void unwatch(struct reloader *r)
{
	for (size_t i = 0; i < r->nwatches; i++)
		uv_close((uv_handle_t *)&r->watches[i]->handle, on_watch_closed);
	r->nwatches = 0;
}

static void watch(struct reloader *r, const char *path)
{
	struct watch *w = xcalloc(1, sizeof *w);
	w->r = r;
	uv_fs_event_init(r->loop, &w->handle);
	r->open_handles++;
	if (uv_fs_event_start(&w->handle, on_fs_event, path, 0) < 0) {
		/* posts/ may not exist yet; a missing folder is fine. */
		uv_close((uv_handle_t *)&w->handle, on_watch_closed);
		return;
	}
	r->watches = xrealloc(r->watches, (r->nwatches + 1) * sizeof *r->watches);
	r->watches[r->nwatches++] = w;
}

/* Linux watches one folder at a time: the capsule, posts/ and every
 * folder of static files the last load found. */
static void watch_site(struct reloader *r, const struct site *site)
{
	unwatch(r);
	const char *dir = r->cfg->capsule_dir;
	struct buf path = {0};
	watch(r, dir);
	buf_printf(&path, "%s/posts", dir);
	watch(r, path.data);
	for (size_t i = 0; site && i < site->ndirs; i++) {
		path.len = 0;
		buf_printf(&path, "%s%s", dir, site->dirs[i]);
		watch(r, path.data);
	}
	buf_free(&path);
}

static void build(uv_work_t *work)
{
	struct reloader *r = work->data;
	r->fresh = snapshot_build(r->cfg);
}

static void start_build(struct reloader *r);

static void built(uv_work_t *work, int status)
{
	struct reloader *r = work->data;
	struct snapshot *fresh = r->fresh;
	r->fresh = NULL;
	r->busy = false;
	if (status < 0 || r->stopping) {
		snapshot_unref(fresh);
		maybe_free(r);
		return;
	}
	if (!fresh) {
		log_error("reload: the capsule cannot be read; still serving the "
		    "previous one");
	} else {
		const struct site *site = snapshot_site(fresh);
		log_info("reloaded: %zu posts, %u problem%s", site->nposts,
		    site->problems, site->problems == 1 ? "" : "s");
		watch_site(r, site);
		r->done(r->ctx, fresh);
	}
	if (r->again) {
		r->again = false;
		start_build(r);
	}
}

static void start_build(struct reloader *r)
{
	if (r->busy) {
		r->again = true;   /* changed while building: once more after */
		return;
	}
	r->busy = true;
	r->work.data = r;
	if (uv_queue_work(r->loop, &r->work, build, built) < 0)
		r->busy = false;
}

static void on_debounce(uv_timer_t *t)
{
	start_build(t->data);
}

void reloader_request(struct reloader *r)
{
	if (!r->stopping)
		uv_timer_start(&r->debounce, on_debounce, DEBOUNCE_MS, 0);
}

static void on_sighup(uv_signal_t *s, int signum)
{
	(void)signum;
	log_info("SIGHUP: reloading the capsule");
	reloader_request(s->data);
}

struct reloader *reloader_start(uv_loop_t *loop, const struct config *cfg,
    const struct site *site, reload_fn done, void *ctx)
{
	struct reloader *r = xcalloc(1, sizeof *r);
	r->loop = loop;
	r->cfg = cfg;
	r->done = done;
	r->ctx = ctx;
	uv_signal_init(loop, &r->sighup);
	uv_timer_init(loop, &r->debounce);
	r->sighup.data = r->debounce.data = r;
	r->open_handles = 2;
	uv_signal_start(&r->sighup, on_sighup, SIGHUP);
	watch_site(r, site);
	return r;
}

void reloader_stop(struct reloader *r)
{
	r->stopping = true;
	unwatch(r);
	uv_close((uv_handle_t *)&r->sighup, on_closed);
	uv_close((uv_handle_t *)&r->debounce, on_closed);
	if (r->busy)
		uv_cancel((uv_req_t *)&r->work);
	maybe_free(r);
}
