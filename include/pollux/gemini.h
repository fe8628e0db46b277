/* gemini.h - Gemini requests: validate the URL line and pick the response. */
#ifndef POLLUX_GEMINI_H
#define POLLUX_GEMINI_H

#include "request.h"

void gemini_respond(const struct snapshot *s, const struct config *cfg,
    const struct request_ctx *ctx, const char *req, size_t len,
    struct reply *r);
/* "44 SECONDS": the client is over --rate-limit. */
void gemini_slow_down(struct reply *r, unsigned seconds);

#endif
