/* gopher.h - Gopher requests (RFC 1436): validate the selector and pick the
 * response. */
#ifndef POLLUX_GOPHER_H
#define POLLUX_GOPHER_H

#include "request.h"

void gopher_respond(const struct snapshot *s, const struct config *cfg,
    const struct request_ctx *ctx, const char *req, size_t len,
    struct reply *r);
/* The answer to a client over --rate-limit: a type-3 line saying when it
 * may ask again (status 44, as Gemini's SLOW DOWN). */
void gopher_slow_down(struct reply *r, unsigned seconds);

#endif
