/* feed.c - Atom 1.0 (RFC 4287): one feed document per post list, with the
 * protocol's own URLs and the same entry ids on every protocol. */
#include <ctype.h>
#include <string.h>

#include "pollux/feed.h"

/* Text content with the five XML specials escaped; control characters that
 * XML 1.0 forbids are dropped. */
static void xml_text(struct buf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		switch (c) {
		case '&': buf_puts(b, "&amp;"); break;
		case '<': buf_puts(b, "&lt;"); break;
		case '>': buf_puts(b, "&gt;"); break;
		case '"': buf_puts(b, "&quot;"); break;
		case '\'': buf_puts(b, "&apos;"); break;
		default:
			if (c >= 0x20 || c == '\t' || c == '\n')
				buf_putc(b, (char)c);
		}
	}
}

static void element(struct buf *b, const char *indent, const char *name,
    const char *text)
{
	buf_printf(b, "%s<%s>", indent, name);
	xml_text(b, text);
	buf_printf(b, "</%s>\n", name);
}

static void link(struct buf *b, const char *indent, const char *rel,
    const char *type, const char *href)
{
	buf_printf(b, "%s<link rel=\"%s\" type=\"%s\" href=\"", indent, rel,
	    type);
	xml_text(b, href);
	buf_puts(b, "\"/>\n");
}

/* "tag:example.org,2026-03-28:esp32-radar": RFC 4151's authority (the
 * host, in lower case), a day it was the author's (the post's date) and
 * the slug. Neither protocol nor a later edit changes it. */
static void entry_id(struct buf *b, const char *host, const struct post *p)
{
	buf_puts(b, "    <id>tag:");
	for (const char *h = host; *h; h++)
		buf_putc(b, (char)tolower((unsigned char)*h));
	buf_printf(b, ",%s:", p->date);
	xml_text(b, p->slug);
	buf_puts(b, "</id>\n");
}

/* A date-only post stands at midnight UTC of its day. */
static long long last_change(const struct post *p)
{
	return p->updated[0] ? p->updated_epoch : p->date_epoch;
}

void feed_entry(struct buf *out, const struct post *p,
    const struct feed_urls *urls)
{
	buf_puts(out, "  <entry>\n");
	entry_id(out, urls->host, p);
	element(out, "    ", "title", p->title);
	element(out, "    ", "updated", p->updated[0] ?
	    p->updated_rfc3339 : p->date_rfc3339);
	element(out, "    ", "published", p->date_rfc3339);
	struct buf url = {0};
	buf_printf(&url, "%s%s%s", urls->post_prefix, p->slug,
	    urls->post_suffix);
	link(out, "    ", "alternate", urls->post_type, url.data);
	buf_free(&url);
	if (p->summary)
		element(out, "    ", "summary", p->summary);
	/* term is what a machine compares, label what a reader sees. */
	for (size_t t = 0; t < p->ntags; t++) {
		buf_puts(out, "    <category term=\"");
		xml_text(out, p->tags[t].path);
		buf_puts(out, "\" label=\"");
		xml_text(out, p->tags[t].name);
		buf_puts(out, "\"/>\n");
	}
	buf_puts(out, "  </entry>\n");
}

void feed_atom(struct buf *out, const struct site *site, const char *title,
    struct post *const *posts, size_t nposts, const struct feed_urls *urls,
    feed_entry_fn *entry, void *ctx)
{
	buf_puts(out, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
	    "<feed xmlns=\"http://www.w3.org/2005/Atom\"");
	buf_puts(out, " xml:lang=\"");
	xml_text(out, site->lang);
	buf_puts(out, "\">\n");
	element(out, "  ", "id", urls->self);
	element(out, "  ", "title", title);
	if (site->description)
		element(out, "  ", "subtitle", site->description);
	/* The feed changed when its latest entry did. */
	const char *latest = "1970-01-01T00:00:00Z";
	long long latest_epoch = -1;
	for (size_t i = 0; i < nposts; i++)
		if (last_change(posts[i]) > latest_epoch) {
			latest_epoch = last_change(posts[i]);
			latest = posts[i]->updated[0] ? posts[i]->updated_rfc3339 :
			    posts[i]->date_rfc3339;
		}
	element(out, "  ", "updated", latest);
	link(out, "  ", "self", "application/atom+xml", urls->self);
	link(out, "  ", "alternate", urls->alternate_type, urls->alternate);
	if (urls->icon)
		element(out, "  ", "icon", urls->icon);
	/* RFC 4287 wants an author for every entry; the feed's covers all. */
	buf_puts(out, "  <author>\n");
	element(out, "    ", "name", site->author ? site->author : site->title);
	buf_puts(out, "  </author>\n");
	buf_puts(out, "  <generator>pollux</generator>\n");

	for (size_t i = 0; i < nposts; i++) {
		size_t len;
		const char *kept = entry ? entry(posts[i], ctx, &len) : NULL;
		if (kept)
			buf_put(out, kept, len);
		else
			feed_entry(out, posts[i], urls);
	}
	buf_puts(out, "</feed>\n");
}
