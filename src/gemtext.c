/* gemtext.c - Markdown (cmark AST) to gemtext. STUB: being written. */
#include "pollux/markdown.h"

void gemtext_render(const char *md, size_t len, const struct render_opts *o,
    struct buf *out)
{
	(void)o;
	buf_put(out, md, len);
}
