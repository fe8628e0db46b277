/* gopher.c - Gopher requests. STUB: being written. */
#include <string.h>

#include "pollux/gopher.h"

void gopher_respond(const struct snapshot *s, const struct config *cfg,
    const struct request_ctx *ctx, const char *req, size_t len,
    struct reply *r)
{
	(void)s, (void)cfg, (void)ctx, (void)req, (void)len;
	memset(r, 0, sizeof *r);
	r->head = "";
	r->body = "3Not found\t\terror.host\t1\r\n.\r\n";
	r->body_len = strlen(r->body);
	r->status = 51;
}
