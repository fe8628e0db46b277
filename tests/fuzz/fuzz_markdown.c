/* fuzz_markdown.c - libFuzzer target: any bytes as a post body, through
 * both converters. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pollux/markdown.h"
#include "pollux/util.h"

static char *rewrite(void *ctx, const char *url)
{
	(void)ctx;
	return strstr(url, ".md") ? xstrdup("/posts/x.gmi") : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct render_opts o = {rewrite, NULL};
	struct buf out = {0};
	gemtext_render((const char *)data, size, &o, &out);
	buf_free(&out);
	gophertext_render((const char *)data, size, &o, &out);
	buf_free(&out);
	return 0;
}
