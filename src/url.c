/* url.c - URL parsing. STUB: being written. */
#include <string.h>

#include "pollux/url.h"

enum url_status url_parse(const char *s, size_t len, struct url *u)
{
	(void)s, (void)len;
	memset(u, 0, sizeof *u);
	return URL_EMPTY;
}

const char *url_status_text(enum url_status st)
{
	(void)st;
	return "bad URL";
}
