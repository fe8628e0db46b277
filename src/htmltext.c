/* htmltext.c - the readable text of raw HTML found in Markdown: tags,
 * comments, scripts and styles dropped, entities decoded. The Markdown
 * walker uses it, since neither gemtext nor Gopher text can show HTML. */
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

/* The text of raw HTML: tags, comments, scripts and styles go; the end
 * of a block element becomes a line break. */
void html_text(const char *s, size_t n, struct buf *b)
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
		for (q = 0; j < n && (q || s[j] != '>'); j++)	/* end of tag */
			if (q == s[j])
				q = 0;
			else if (!q && (s[j] == '"' || s[j] == '\''))
				q = s[j];
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
