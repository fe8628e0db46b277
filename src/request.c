/* request.c - framing shared by both protocols: a request is one line, and
 * the server reads until its LF or until it can no longer be valid. */
#include <stdlib.h>
#include <string.h>

#include "pollux/request.h"

int request_complete(const char *req, size_t len)
{
	return memchr(req, '\n', len) != NULL || len >= REQUEST_READ_MAX;
}

void reply_free(struct reply *r)
{
	free(r->owned);
	r->owned = NULL;
}
