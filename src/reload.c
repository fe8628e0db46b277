/* reload.c - the capsule is rebuilt when it changes, without a restart:
 * SIGHUP or a finished change seen by inotify starts a short timer, then the
 * snapshot is built on libuv's thread pool and handed to the server. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pollux/log.h"
#include "pollux/reload.h"
#include "pollux/util.h"

#define DEBOUNCE_MS 50       /* a change in several steps (write, then
                                rename) is one reload; a file still
                                being written is waited for apart */
#define WRITE_WAIT_MS 3000   /* longest wait for a writer to close its file */
#define RETRY_MIN_MS 1000    /* a failed load is tried again, ever slower */
#define RETRY_MAX_MS 30000
#define WRITERS_MAX 32

/* Only finished changes start a rebuild: a file still open for writing
 * (IN_MODIFY, or created, without IN_CLOSE_WRITE yet) is waited for, so a
 * post written in two halves is never published half written. What pollux
 * itself reads (IN_ACCESS, IN_CLOSE_NOWRITE) is not watched at all. */
#define WATCH_MASK (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | \
    IN_CREATE | IN_DELETE | IN_ATTRIB | IN_MODIFY | IN_DELETE_SELF | \
    IN_MOVE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK)

/* A file seen being written and not yet closed. */
struct writer {
	int wd;
	char name[NAME_MAX + 1];
	uint64_t since;
};

struct reloader {
	uv_loop_t *loop;
	const struct config *cfg;
	reload_fn done;
	void *ctx;
	struct snapshot *current;    /* the last one built (a reference) */
	uv_signal_t sighup;
	uv_timer_t debounce, retry;
	int inotify;                 /* -1 when inotify is not available */
	uv_poll_t poll;
	int *wds;                    /* the folders watched now */
	size_t nwds;
	bool watch_full_said;
	struct writer writers[WRITERS_MAX];
	size_t nwriters;
	unsigned retry_ms;           /* 0 after a load that worked */
	uv_work_t work;
	struct snapshot *fresh;      /* the worker's result */
	uint64_t build_ns;           /* and how long it took */
	bool busy, again, stopping;
	int open_handles;
};

static void maybe_free(struct reloader *r)
{
	if (r->stopping && !r->busy && r->open_handles == 0) {
		if (r->inotify >= 0)
			close(r->inotify);
		snapshot_unref(r->current);
		free(r->wds);
		free(r);
	}
}

static void on_closed(uv_handle_t *h)
{
	struct reloader *r = h->data;
	r->open_handles--;
	maybe_free(r);
}

/* --- watching -------------------------------------------------------- */

static bool has_wd(const int *wds, size_t n, int wd)
{
	for (size_t i = 0; i < n; i++)
		if (wds[i] == wd)
			return true;
	return false;
}

/* Watches every folder the last load read (the capsule, posts/, every
 * folder of files), by path, so a folder replaced since is watched anew.
 * New watches are added before old ones go, so no change slips between. */
static void watch_site(struct reloader *r, const struct site *site)
{
	if (r->inotify < 0)
		return;
	const char *dir = r->cfg->capsule_dir;
	size_t n = 0, cap = 8;
	int *wds = xmalloc(cap * sizeof *wds);
	struct buf path = {0};
	for (size_t i = 0; i < site->nreadable + 1; i++) {
		/* The capsule itself even when the last load could not read
		 * it: its return is what a retry waits for. */
		const char *rel = i == site->nreadable ? "/" : site->readable[i];
		size_t len = strlen(rel);
		if (rel[len - 1] != '/' || (i < site->nreadable && len == 1))
			continue;
		path.len = 0;
		buf_printf(&path, "%s%.*s", strcmp(dir, "/") ? dir : "",
		    (int)len, rel);
		int wd = inotify_add_watch(r->inotify, path.data, WATCH_MASK);
		if (wd < 0) {
			if ((errno == ENOSPC || errno == ENOMEM) &&
			    !r->watch_full_said) {
				log_error("cannot watch %s: %s (raise "
				    "fs.inotify.max_user_watches); SIGHUP still "
				    "reloads", path.data, strerror(errno));
				r->watch_full_said = true;
			}
			continue;
		}
		if (has_wd(wds, n, wd))
			continue;
		if (n == cap)
			wds = xrealloc(wds, (cap *= 2) * sizeof *wds);
		wds[n++] = wd;
	}
	buf_free(&path);
	for (size_t i = 0; i < r->nwds; i++)
		if (!has_wd(wds, n, r->wds[i]))
			inotify_rm_watch(r->inotify, r->wds[i]);
	free(r->wds);
	r->wds = wds;
	r->nwds = n;
}

static void forget_writer(struct reloader *r, int wd, const char *name)
{
	for (size_t i = 0; i < r->nwriters; i++)
		if (r->writers[i].wd == wd &&
		    strcmp(r->writers[i].name, name) == 0) {
			r->writers[i] = r->writers[--r->nwriters];
			return;
		}
}

static void note_writer(struct reloader *r, int wd, const char *name)
{
	for (size_t i = 0; i < r->nwriters; i++)
		if (r->writers[i].wd == wd &&
		    strcmp(r->writers[i].name, name) == 0)
			return;
	/* Too many writers at once: the oldest is waited for no longer. */
	if (r->nwriters == WRITERS_MAX)
		r->writers[0] = r->writers[--r->nwriters];
	struct writer *w = &r->writers[r->nwriters++];
	w->wd = wd;
	snprintf(w->name, sizeof w->name, "%s", name);
	w->since = uv_now(r->loop);
}

/* True while some file is still being written, for at most WRITE_WAIT_MS:
 * a writer that never closes (a log appended to) must not stop reloads. */
static bool writers_pending(struct reloader *r)
{
	uint64_t now = uv_now(r->loop);
	for (size_t i = 0; i < r->nwriters;)
		if (now - r->writers[i].since >= WRITE_WAIT_MS)
			r->writers[i] = r->writers[--r->nwriters];
		else
			i++;
	return r->nwriters > 0;
}

static void on_inotify(uv_poll_t *h, int status, int events)
{
	struct reloader *r = h->data;
	(void)events;
	if (status < 0)
		return;
	char buf[16 << 10] __attribute__((aligned(__alignof__(struct
	    inotify_event))));
	bool changed = false;
	for (;;) {
		ssize_t n = read(r->inotify, buf, sizeof buf);
		if (n <= 0)
			break;
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *e = (struct inotify_event *)p;
			p += sizeof *e + e->len;
			const char *name = e->len ? e->name : "";
			if (e->mask & IN_Q_OVERFLOW) {
				changed = true;
				continue;
			}
			/* A watch that ended: its folder's own event (deleted,
			 * moved) came first, or watch_site removed it. */
			if (e->mask & IN_IGNORED)
				continue;
			/* Dotfiles (editor swap files) are never served. */
			if (name[0] == '.')
				continue;
			if (e->mask & IN_MODIFY) {
				note_writer(r, e->wd, name);
				continue;
			}
			/* A file just created is about to be written; a link
			 * made this way is waited for WRITE_WAIT_MS. */
			if ((e->mask & IN_CREATE) && !(e->mask & IN_ISDIR)) {
				note_writer(r, e->wd, name);
				continue;
			}
			if (e->mask & (IN_CLOSE_WRITE | IN_DELETE | IN_MOVED_FROM))
				forget_writer(r, e->wd, name);
			changed = true;
		}
	}
	/* A change restarts the wait; a writer alone only makes sure a
	 * wait is running, so that one that never closes is given up on. */
	if (changed)
		reloader_request(r);
	else if (r->nwriters && !uv_is_active((uv_handle_t *)&r->debounce))
		reloader_request(r);
}

/* --- rebuilding ------------------------------------------------------ */

static void build(uv_work_t *work)
{
	struct reloader *r = work->data;
	/* This thread only (and the load's threads it starts): a rebuild
	 * yields the CPU to the event loops, which would otherwise wait
	 * behind it for a core. */
	background_thread();
	uint64_t start = uv_hrtime();
	r->fresh = snapshot_build(r->cfg, snapshot_site(r->current));
	r->build_ns = uv_hrtime() - start;
}

static void start_build(struct reloader *r);

static void on_retry(uv_timer_t *t)
{
	start_build(t->data);
}

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
		/* The capsule may be coming back (a folder swapped by two
		 * renames) or descriptors may be short: try again later,
		 * whether or not anything is seen to change. */
		r->retry_ms = r->retry_ms ? r->retry_ms * 2 : RETRY_MIN_MS;
		if (r->retry_ms > RETRY_MAX_MS)
			r->retry_ms = RETRY_MAX_MS;
		log_error("reload failed; still serving the previous pages, "
		    "trying again in %u s", r->retry_ms / 1000);
		uv_timer_start(&r->retry, on_retry, r->retry_ms, 0);
		watch_site(r, snapshot_site(r->current));
	} else {
		const struct site *site = snapshot_site(fresh);
		/* What the reload could keep, for operators and tests:
		 * files read again, posts rendered again, posts shared. */
		log_info("reloaded: %zu posts (%zu re-rendered, %zu reused; "
		    "%zu post files read), %u problem%s, built in %llu ms",
		    site->nposts, site->posts_rendered, site->posts_reused,
		    site->posts_reread, site->problems,
		    site->problems == 1 ? "" : "s",
		    (unsigned long long)(r->build_ns / 1000000));
		r->retry_ms = 0;
		uv_timer_stop(&r->retry);
		snapshot_unref(r->current);
		snapshot_ref(fresh);
		r->current = fresh;
		watch_site(r, site);
		r->done(r->ctx, fresh);
	}
	if (r->again) {
		r->again = false;
		reloader_request(r);
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
	struct reloader *r = t->data;
	if (writers_pending(r)) {
		uv_timer_start(&r->debounce, on_debounce, DEBOUNCE_MS, 0);
		return;
	}
	start_build(r);
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
    struct snapshot *current, reload_fn done, void *ctx)
{
	struct reloader *r = xcalloc(1, sizeof *r);
	r->loop = loop;
	r->cfg = cfg;
	r->done = done;
	r->ctx = ctx;
	snapshot_ref(current);
	r->current = current;
	uv_signal_init(loop, &r->sighup);
	uv_timer_init(loop, &r->debounce);
	uv_timer_init(loop, &r->retry);
	r->sighup.data = r->debounce.data = r->retry.data = r;
	r->open_handles = 3;
	uv_signal_start(&r->sighup, on_sighup, SIGHUP);
	r->inotify = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (r->inotify < 0) {
		log_error("inotify: %s; the capsule is reloaded on SIGHUP only",
		    strerror(errno));
	} else {
		uv_poll_init(loop, &r->poll, r->inotify);
		r->poll.data = r;
		r->open_handles++;
		uv_poll_start(&r->poll, UV_READABLE, on_inotify);
		watch_site(r, snapshot_site(current));
	}
	return r;
}

void reloader_stop(struct reloader *r)
{
	r->stopping = true;
	if (r->inotify >= 0)
		uv_close((uv_handle_t *)&r->poll, on_closed);
	uv_close((uv_handle_t *)&r->sighup, on_closed);
	uv_close((uv_handle_t *)&r->debounce, on_closed);
	uv_close((uv_handle_t *)&r->retry, on_closed);
	if (r->busy)
		uv_cancel((uv_req_t *)&r->work);
	maybe_free(r);
}
