/* reload.h - rebuilding the snapshot while serving: on SIGHUP or when the
 * capsule changes (debounced), off the event loop, handed over when ready. */
#ifndef POLLUX_RELOAD_H
#define POLLUX_RELOAD_H

#include <uv.h>

#include "config.h"
#include "snapshot.h"

/* Called on the loop with a fresh snapshot (the callee takes the
 * reference). A reload that cannot read the capsule calls nothing. */
typedef void (*reload_fn)(void *ctx, struct snapshot *fresh);

struct reloader;

/* Watches cfg->capsule_dir and every folder of current's site (the
 * reloader keeps its own reference to the last snapshot it built, to
 * compare the next load with). A load that fails is retried, ever less
 * often, until one works. */
struct reloader *reloader_start(uv_loop_t *loop, const struct config *cfg,
    struct snapshot *current, reload_fn done, void *ctx);
/* Asks for a rebuild soon; several requests close together make one. */
void reloader_request(struct reloader *r);
/* Stops watching; frees itself once a rebuild in progress has ended. */
void reloader_stop(struct reloader *r);

#endif
