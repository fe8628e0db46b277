/* gophermap.c - menu lines as RFC 1436 writes them, and the Gopher address
 * of every kind of link: item type, selector, host and port. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "pollux/gophermap.h"
#include "pollux/mime.h"
#include "pollux/url.h"

/* "scheme:" at the start of s (RFC 3986: a letter, then letters, digits,
 * '+', '-', '.'). */
static bool has_scheme(const char *s)
{
	if (!isalpha((unsigned char)*s))
		return false;
	while (isalnum((unsigned char)*s) || *s == '+' || *s == '-' || *s == '.')
		s++;
	return *s == ':';
}

/* A "URL:" selector: the URL escaped as a link line has it, so no
 * control breaks the menu line and the page that answers it links to a
 * URL a browser takes whole. */
static void url_selector(struct buf *sel, const char *url)
{
	buf_puts(sel, "URL:");
	url_encode_link(sel, url);
}

/* gopher://host[:port]/TYPE/selector (RFC 4266): false when it does not
 * parse, and the link is then sent through "URL:" like any other. */
static bool parse_gopher_url(const char *url, struct gopher_item *it)
{
	const char *p = url + strlen("gopher://");
	const char *end = p + strcspn(p, "/?#");
	const char *colon = NULL;

	if (*p == '[') {
		const char *close = memchr(p, ']', (size_t)(end - p));
		if (!close)
			return false;
		buf_put(&it->host, p + 1, (size_t)(close - p - 1));
		colon = close + 1 < end && close[1] == ':' ? close + 1 : NULL;
	} else {
		colon = memchr(p, ':', (size_t)(end - p));
		buf_put(&it->host, p, (size_t)((colon ? colon : end) - p));
	}
	if (!it->host.len)
		return false;
	it->port = 70;
	if (colon && colon + 1 < end) {
		unsigned port = 0;
		for (const char *d = colon + 1; d < end; d++) {
			if (!isdigit((unsigned char)*d) || port > 65535)
				return false;
			port = port * 10 + (unsigned)(*d - '0');
		}
		if (port == 0 || port > 65535)
			return false;
		it->port = port;
	}
	it->type = '1';
	if (*end == '/' && end[1]) {
		it->type = end[1];
		const char *sel = end + 2;
		size_t n = strcspn(sel, "#");
		char decoded[REQUEST_LINE_MAX + 1];
		long k = percent_decode(sel, n, decoded, sizeof decoded);
		if (k >= 0)
			buf_put(&it->selector, decoded, (size_t)k);
		else
			buf_put(&it->selector, sel, n);
	}
	buf_put(&it->selector, "", 0);
	return true;
}

bool gopher_address(const struct link *l, const struct gopher_host *h,
    struct gopher_item *it)
{
	memset(it, 0, sizeof *it);
	it->port = h->port;
	buf_puts(&it->host, h->host);
	switch (l->to) {
	case LINK_URL:
		if (strncasecmp(l->target, "gopher://", 9) == 0) {
			struct gopher_item g = {0};
			if (parse_gopher_url(l->target, &g)) {
				gopher_item_free(it);
				*it = g;
				return true;
			}
			gopher_item_free(&g);
		} else if (!has_scheme(l->target)) {
			gopher_item_free(it);
			return false;
		}
		it->type = 'h';
		url_selector(&it->selector, l->target);
		return true;
	case LINK_POST:
		it->type = '1';
		buf_printf(&it->selector, "/posts/%s/", l->post->slug);
		return true;
	case LINK_POST_TEXT:
		it->type = '0';
		buf_printf(&it->selector, "/posts/%s.txt", l->post->slug);
		return true;
	case LINK_TAG:
	case LINK_MENU:
	case LINK_FOLDER:
	case LINK_PAGE:
		it->type = '1';
		break;
	case LINK_FEED:
		it->type = '0';
		break;
	case LINK_SEARCH:
		it->type = '7';
		break;
	case LINK_FILE: {
		size_t n = strlen(l->target);
		it->type = n && l->target[n - 1] == '/' ? '1' :
		    gopher_item_type(l->target);
		break;
	}
	}
	buf_puts(&it->selector, l->target);
	return true;
}

void gopher_item_free(struct gopher_item *it)
{
	buf_free(&it->selector);
	buf_free(&it->host);
}

void gopher_url(struct buf *out, const struct link *l,
    const struct gopher_host *h)
{
	struct gopher_item it;

	if (l->to == LINK_URL || !gopher_address(l, h, &it)) {
		url_encode_link(out, l->target);
		return;
	}
	/* RFC 4266 leaves out the default port. */
	buf_printf(out, "gopher://%s", it.host.data);
	if (it.port != 70)
		buf_printf(out, ":%u", it.port);
	buf_printf(out, "/%c", it.type);
	url_encode_path(out, it.selector.data);
	gopher_item_free(&it);
}

/* A field of a menu line: a tab, CR or LF would break the line apart,
 * and other controls confuse the client's screen, so each becomes sub (or
 * goes when sub is 0). */
static void put_field(struct buf *out, const char *s, size_t n, char sub)
{
	for (size_t i = 0; s && i < n; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7F) {
			if (sub)
				buf_putc(out, sub);
		} else {
			buf_putc(out, s[i]);
		}
	}
}

void gophermap_item(struct buf *out, char type, const char *display,
    const char *selector, const char *host, unsigned port)
{
	buf_putc(out, type);
	put_field(out, display, display ? strlen(display) : 0, ' ');
	buf_putc(out, '\t');
	put_field(out, selector, selector ? strlen(selector) : 0, 0);
	buf_putc(out, '\t');
	put_field(out, host, host ? strlen(host) : 0, 0);
	buf_printf(out, "\t%u\r\n", port);
}

/* Info lines carry an empty selector and a host that is no host, as
 * Gophernicus writes them: clients show the text and never follow it. */
void gophermap_info(struct buf *out, const char *text, size_t n)
{
	buf_putc(out, 'i');
	put_field(out, text, n, ' ');
	buf_puts(out, "\t\tnull.host\t1\r\n");
}

void gophermap_end(struct buf *out)
{
	buf_puts(out, ".\r\n");
}
