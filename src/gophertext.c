/* gophertext.c - Markdown to wrapped plain text; gophermap lines. STUB. */
#include "pollux/markdown.h"

void gophertext_render(const char *md, size_t len,
    const struct render_opts *o, struct buf *out)
{
	(void)o;
	buf_put(out, md, len);
}

void gophermap_item(struct buf *out, char type, const char *display,
    const char *selector, const char *host, unsigned port)
{
	buf_printf(out, "%c%s\t%s\t%s\t%u\r\n", type, display, selector, host, port);
}

void gophermap_info(struct buf *out, const char *text)
{
	gophermap_item(out, 'i', text, "", "error.host", 1);
}

void gophermap_end(struct buf *out)
{
	buf_puts(out, ".\r\n");
}
