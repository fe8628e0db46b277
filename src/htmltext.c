/* htmltext.c - the readable text of raw HTML found in Markdown: tags,
 * comments, scripts and styles dropped, entities decoded, links and images
 * told apart. The Markdown walker uses it, since neither gemtext nor Gopher
 * text can show HTML. */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "pollux/htmltext.h"

static void utf8_put(struct buf *b, uint32_t c)
{
	char s[4];

	if (c < 0x80) {
		buf_putc(b, (char)c);
	} else if (c < 0x800) {
		s[0] = (char)(0xC0 | (c >> 6));
		s[1] = (char)(0x80 | (c & 0x3F));
		buf_put(b, s, 2);
	} else if (c < 0x10000) {
		s[0] = (char)(0xE0 | (c >> 12));
		s[1] = (char)(0x80 | ((c >> 6) & 0x3F));
		s[2] = (char)(0x80 | (c & 0x3F));
		buf_put(b, s, 3);
	} else {
		s[0] = (char)(0xF0 | (c >> 18));
		s[1] = (char)(0x80 | ((c >> 12) & 0x3F));
		s[2] = (char)(0x80 | ((c >> 6) & 0x3F));
		s[3] = (char)(0x80 | (c & 0x3F));
		buf_put(b, s, 4);
	}
}

/* Finds needle (lower case) in s[from..n) ignoring case; n if absent. */
static size_t ci_find(const char *s, size_t n, size_t from, const char *needle)
{
	size_t k = strlen(needle);

	for (size_t i = from; i + k <= n; i++)
		if (strncasecmp(s + i, needle, k) == 0)
			return i;
	return n;
}

static size_t put_entity(const char *s, size_t n, struct buf *b)
{
	static const struct { const char *name, *text; } names[] = {
		{ "&amp;", "&" }, { "&lt;", "<" }, { "&gt;", ">" },
		{ "&quot;", "\"" }, { "&apos;", "'" }, { "&nbsp;", " " },
	};
	unsigned long c = 0;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		size_t k = strlen(names[i].name);
		if (n >= k && memcmp(s, names[i].name, k) == 0) {
			buf_puts(b, names[i].text);
			return k;
		}
	}
	if (n > 3 && s[1] == '#') {
		bool hex = s[2] == 'x' || s[2] == 'X';
		for (i = hex ? 3 : 2; i < n && i < 10 &&
		    (hex ? isxdigit((unsigned char)s[i]) :
		    isdigit((unsigned char)s[i])); i++)
			c = c * (hex ? 16 : 10) + (unsigned long)(isdigit(
			    (unsigned char)s[i]) ? s[i] - '0' :
			    (tolower((unsigned char)s[i]) - 'a' + 10));
		if (i < n && s[i] == ';' && i > (hex ? 3u : 2u) && c > 0 &&
		    c <= 0x10FFFF && (c < 0xD800 || c > 0xDFFF)) {
			utf8_put(b, (uint32_t)c);
			return i + 1;
		}
	}
	buf_putc(b, '&');
	return 1;
}

/* The value of the attribute name (lower case) in a tag's attributes
 * s[0..n), entities decoded, into out; false when it has none. */
static bool attribute(const char *s, size_t n, const char *name,
    struct buf *out)
{
	size_t i = 0, k = strlen(name);

	while (i < n) {
		while (i < n && (isspace((unsigned char)s[i]) || s[i] == '/'))
			i++;
		size_t from = i;
		while (i < n && !isspace((unsigned char)s[i]) && s[i] != '=' &&
		    s[i] != '/')
			i++;
		bool match = i - from == k && strncasecmp(s + from, name, k) == 0;
		while (i < n && isspace((unsigned char)s[i]))
			i++;
		if (i >= n || s[i] != '=') {
			if (match)
				return true;   /* there, with no value */
			continue;
		}
		i++;
		while (i < n && isspace((unsigned char)s[i]))
			i++;
		size_t vfrom = i, vend;
		if (i < n && (s[i] == '"' || s[i] == '\'')) {
			char q = s[i++];
			vfrom = i;
			while (i < n && s[i] != q)
				i++;
			vend = i;
			if (i < n)
				i++;
		} else {
			while (i < n && !isspace((unsigned char)s[i]))
				i++;
			vend = i;
		}
		if (match) {
			for (size_t v = vfrom; v < vend;) {
				if (s[v] == '&')
					v += put_entity(s + v, vend - v, out);
				else
					buf_putc(out, s[v++]);
			}
			buf_put(out, "", 0);
			return true;
		}
	}
	return false;
}

/* A URL in an attribute, as browsers take it: blanks around it and line
 * ends and tabs inside it go. */
static void clean_url(struct buf *u)
{
	size_t i = 0, o = 0;

	while (i < u->len && isspace((unsigned char)u->data[i]))
		i++;
	for (; i < u->len; i++)
		if (u->data[i] != '\n' && u->data[i] != '\r' &&
		    u->data[i] != '\t')
			u->data[o++] = u->data[i];
	while (o && isspace((unsigned char)u->data[o - 1]))
		o--;
	u->len = o;
	if (u->data)
		u->data[o] = '\0';
}

/* An <a> or <img> tag, its attributes a[0..n): told to links, if any;
 * else an image shows its alt text. */
static void link_tag(const char *name, bool closing, const char *a, size_t n,
    struct buf *b, const struct html_links *links)
{
	struct buf url = {0}, alt = {0};

	if (strcmp(name, "a") == 0 && links) {
		bool has = !closing && attribute(a, n, "href", &url);
		clean_url(&url);
		if (closing)
			links->close(links->ctx, b);
		else
			links->open(links->ctx, b, has ? (url.data ? url.data : "")
			    : NULL, false, NULL);
	} else if (strcmp(name, "img") == 0 && !closing) {
		attribute(a, n, "alt", &alt);
		if (links)
			attribute(a, n, "src", &url);
		clean_url(&url);
		if (url.len)
			links->open(links->ctx, b, url.data, true,
			    alt.data ? alt.data : "");
		else if (alt.len)
			buf_put(b, alt.data, alt.len);
	}
	buf_free(&url);
	buf_free(&alt);
}

/* The text of raw HTML: tags, comments, scripts and styles go; the end
 * of a block element becomes a line break. */
void html_text(const char *s, size_t n, struct buf *b,
    const struct html_links *links)
{
	static const char *blocks[] = { "br", "p", "div", "li", "tr", "h1",
	    "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table", "blockquote",
	    "pre", "dt", "dd", "hr", "section", "article", "figure",
	    "figcaption", "details", "summary" };
	char name[16];
	size_t i = 0, j, k;
	char q;

	while (i < n) {
		if (s[i] == '&') {
			i += put_entity(s + i, n - i, b);
			continue;
		}
		if (s[i] != '<') {
			buf_putc(b, (s[i] == '\n' || s[i] == '\t' ||
			    s[i] == '\r') ? ' ' : s[i]);
			i++;
			continue;
		}
		if (n - i >= 4 && memcmp(s + i, "<!--", 4) == 0) {
			j = ci_find(s, n, i + 4, "-->");
			i = j < n ? j + 3 : n;
			continue;
		}
		j = i + 1;
		if (j < n && s[j] == '/')
			j++;
		if (j >= n || !(isalpha((unsigned char)s[j]) || s[i + 1] == '!' ||
		    s[i + 1] == '?')) {
			buf_putc(b, '<');
			i++;
			continue;
		}
		for (k = 0; j < n && isalnum((unsigned char)s[j]); j++)
			if (k < sizeof(name) - 1)
				name[k++] = (char)tolower((unsigned char)s[j]);
		name[k] = '\0';
		size_t attrs = j;
		for (q = 0; j < n && (q || s[j] != '>'); j++)	/* end of tag */
			if (q == s[j])
				q = 0;
			else if (!q && (s[j] == '"' || s[j] == '\''))
				q = s[j];
		link_tag(name, s[i + 1] == '/', s + attrs, j - attrs, b, links);
		j = j < n ? j + 1 : n;
		if (s[i + 1] != '/' && (strcmp(name, "script") == 0 ||
		    strcmp(name, "style") == 0)) {
			j = ci_find(s, n, j, name[1] == 'c' ? "</script" :
			    "</style");
			while (j < n && s[j] != '>')
				j++;
			j = j < n ? j + 1 : n;
		} else {
			for (k = 0; k < sizeof(blocks) / sizeof(blocks[0]); k++)
				if (strcmp(name, blocks[k]) == 0) {
					buf_putc(b, '\n');
					break;
				}
		}
		i = j;
	}
}
