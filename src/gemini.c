/* gemini.c - Gemini requests. STUB: being written. */
#include <string.h>

#include "pollux/gemini.h"

void gemini_respond(const struct snapshot *s, const struct config *cfg,
    const struct request_ctx *ctx, const char *req, size_t len,
    struct reply *r)
{
	(void)s, (void)cfg, (void)ctx, (void)req, (void)len;
	memset(r, 0, sizeof *r);
	r->head = "59 Bad request\r\n";
	r->head_len = strlen(r->head);
	r->body = "";
	r->status = 59;
}
