/* request.h - what the protocol modules share with the server: the limits of
 * a request line, where it came from, and the reply to send back. */
#ifndef POLLUX_REQUEST_H
#define POLLUX_REQUEST_H

#include <stddef.h>

#include "config.h"
#include "snapshot.h"

/* Longest request line, not counting its CRLF (Gemini: the URL; Gopher:
 * the selector and any tab-separated suffix). */
#define REQUEST_LINE_MAX 1024
/* The server stops reading at the first LF or at this many bytes. */
#define REQUEST_READ_MAX (REQUEST_LINE_MAX + 2)

struct request_ctx {
	const char *local_addr;  /* numeric address the client connected to, or NULL */
	unsigned local_port;     /* the port it connected to (0: unknown, e.g. --dump) */
};

/* The answer to one request: head then body, sent back to back. head and
 * body point into the snapshot, into small[], or (a search's results, the
 * one page made per request) into owned, which whoever holds the reply
 * frees with reply_free once it is sent. */
struct reply {
	const char *head;
	size_t head_len;
	const char *body;
	size_t body_len;
	int status;              /* Gemini status, or for Gopher 20 / 51 / 59 */
	char *owned;             /* NULL, or a body made for this request */
	char small[REQUEST_READ_MAX + 128];
};

void reply_free(struct reply *r);

/* req[0..len) is every byte read: the line with its terminator when one
 * arrived (the server stops at the first LF), else what came before EOF or
 * the read limit. Always fills r. */
typedef void (*respond_fn)(const struct snapshot *s, const struct config *cfg,
    const struct request_ctx *ctx, const char *req, size_t len,
    struct reply *r);

/* True once req[0..len) holds a full request or can no longer become one
 * (the server then stops reading and calls the responder). */
int request_complete(const char *req, size_t len);

#endif
