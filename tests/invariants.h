/* invariants.h - what every page written from Markdown must be, whatever
 * the input: checked by `render check` over the goldens, the seed corpus
 * and the GFM spec's examples, and by the Markdown fuzz target. */
#ifndef POLLUX_TEST_INVARIANTS_H
#define POLLUX_TEST_INVARIANTS_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pollux/gemtext.h"
#include "pollux/gophertext.h"
#include "pollux/layout.h"
#include "pollux/model.h"
#include "pollux/strset.h"

/* What was wrong, for the message: the first problem found. */
struct problem {
	char what[160];
};

static bool problem(struct problem *p, const char *what, const char *line,
    size_t n)
{
	snprintf(p->what, sizeof p->what, "%s: \"%.*s\"", what,
	    (int)(n > 80 ? 80 : n), line);
	return false;
}

/* Code points a client may split a link line at. */
static bool inv_space(uint32_t cp)
{
	return cp <= 0x20 || cp == 0x7F || cp == 0x85 || cp == 0xA0 ||
	    cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
	    cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

/* How many blocks of the model a gemtext line may come from. A quote's
 * lines start with '>', but only so deep (the writer stops indenting):
 * what is quoted counts towards the most, not the least. */
struct inv_counts {
	size_t toggles, toggles_quoted;   /* 2 for each PRE and TABLE */
	size_t headings, items, quotes;
};

static void inv_count(const struct model *pg, struct inv_counts *c)
{
	size_t quoted = 0, depth = 0, *stack = NULL;

	memset(c, 0, sizeof *c);
	stack = malloc((pg->nblocks + 1) * sizeof *stack);
	for (size_t i = 0; i < pg->nblocks; i++) {
		enum block_kind k = pg->blocks[i].kind;
		if (k == BLOCK_END) {
			if (depth && stack[--depth] == BLOCK_QUOTE)
				quoted--;
			continue;
		}
		if (k >= BLOCK_QUOTE) {
			stack[depth++] = k;
			quoted += k == BLOCK_QUOTE;
			c->quotes += k == BLOCK_QUOTE;
			c->items += k == BLOCK_ITEM;
			continue;
		}
		if (k == BLOCK_PRE || k == BLOCK_TABLE)
			*(quoted ? &c->toggles_quoted : &c->toggles) += 2;
		c->headings += k == BLOCK_HEADING;
	}
	free(stack);
}

/* Gemtext: every preformatted block closes, and no line that was text
 * reads as gemtext syntax: "```" lines open and close the model's blocks,
 * each "=>" line is a link of the model with its URL whole, and there are
 * no more "#", "* " or ">" lines than headings, items and quotes could
 * make. */
static bool gemtext_ok(const struct model *pg, const char *s, size_t n,
    struct problem *p)
{
	struct inv_counts c;
	struct strset urls = {0};
	size_t toggles = 0, headings = 0, items = 0;
	bool pre = false, ok = true;

	inv_count(pg, &c);
	for (size_t i = 0; i < pg->nlinks; i++) {
		struct buf u = {0};
		gemtext_address(&u, &pg->links[i]);
		strset_add(&urls, u.data ? u.data : "", NULL);
		buf_free(&u);
	}
	if (n && s[n - 1] != '\n')
		ok = problem(p, "no line end at the end", s, n);
	for (size_t i = 0; ok && i < n;) {
		const char *l = s + i, *nl = memchr(l, '\n', n - i);
		size_t len = nl ? (size_t)(nl - l) : n - i;
		i += len + 1;
		if (len >= 3 && memcmp(l, "```", 3) == 0) {
			pre = !pre;
			toggles++;
			continue;
		}
		if (pre)
			continue;
		if (len >= 2 && memcmp(l, "=>", 2) == 0) {
			size_t a = 2, e;
			while (a < len && l[a] == ' ')
				a++;
			for (e = a; e < len; ) {
				size_t k;
				uint32_t cp = utf8_decode(l + e, len - e, &k);
				if (inv_space(cp))
					break;
				e += k;
			}
			struct buf url = {0};
			bool added;
			buf_put(&url, l + a, e - a);
			strset_add(&urls, url.data, &added);
			buf_free(&url);
			if (e == a)
				ok = problem(p, "link line without a URL", l, len);
			else if (e < len && l[e] != ' ')
				ok = problem(p, "link URL ends in a space that is "
				    "not one", l, len);
			else if (added)
				ok = problem(p, "link line that is no link", l, len);
		} else if (len && l[0] == '#') {
			headings++;
		} else if (len >= 2 && memcmp(l, "* ", 2) == 0) {
			items++;
		} else if (len && l[0] == '>' && !c.quotes) {
			ok = problem(p, "quote line with no quote", l, len);
		}
	}
	if (ok && pre)
		ok = problem(p, "preformatted block left open", s, 0);
	if (ok && (toggles < c.toggles || toggles > c.toggles +
	    c.toggles_quoted))
		ok = problem(p, "\"```\" lines that open no block", s, 0);
	if (ok && headings > c.headings + (pg->title != NULL))
		ok = problem(p, "\"#\" lines that are no heading", s, 0);
	if (ok && items > c.items)
		ok = problem(p, "\"* \" lines that are no item", s, 0);
	strset_free(&urls);
	return ok;
}

/* Gopher text: lines of text with no control character but the line end. */
static bool gophertext_ok(const char *s, size_t n, struct problem *p)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\n') || c == 0x7F) {
			const char *l = s + i;
			while (l > s && l[-1] != '\n')
				l--;
			return problem(p, "control byte in text", l,
			    strcspn(l, "\n"));
		}
	}
	if (n && s[n - 1] != '\n')
		return problem(p, "no line end at the end", s, n);
	return true;
}

/* A Gopher menu: TYPE DISPLAY \t SELECTOR \t HOST \t PORT CRLF lines,
 * displays within their widths, "." at the end. */
static bool menu_ok(const char *s, size_t n, struct problem *p)
{
	size_t i = 0;

	while (i < n) {
		const char *l = s + i, *end = memchr(l, '\n', n - i);
		if (!end || end == l || end[-1] != '\r')
			return problem(p, "menu line not ended by CRLF", l,
			    (size_t)((end ? end : s + n) - l));
		size_t len = (size_t)(end - l) - 1;
		i += len + 2;
		if (len == 1 && l[0] == '.')
			return i == n ? true :
			    problem(p, "lines after the end", l, len);
		const char *t1 = memchr(l, '\t', len);
		size_t tabs = 0;
		for (size_t k = 0; k < len; k++) {
			tabs += l[k] == '\t';
			if ((unsigned char)l[k] < 0x20 && l[k] != '\t')
				return problem(p, "control byte in a menu line",
				    l, len);
		}
		if (tabs != 3 || !t1)
			return problem(p, "menu line without four fields", l, len);
		size_t cols = text_columns(l + 1, (size_t)(t1 - l) - 1);
		size_t max = l[0] == 'i' ? GOPHER_INFO_WIDTH : GOPHER_ITEM_WIDTH;
		if (cols > max)
			return problem(p, "display too wide", l, len);
	}
	return problem(p, "menu without its \".\" line", s, n);
}

/* The three outputs of pg. */
static bool page_ok(const struct model *pg, struct problem *p)
{
	struct url_list urls = {0};
	struct gopher_out g = {{"localhost", 70}, &urls};
	struct buf out = {0};
	bool ok;

	gemtext_write(pg, &out);
	ok = gemtext_ok(pg, out.data ? out.data : "", out.len, p);
	if (ok) {
		out.len = 0;
		gophertext_write(pg, &g, &out);
		ok = gophertext_ok(out.data ? out.data : "", out.len, p);
	}
	if (ok) {
		out.len = 0;
		gophermenu_write(pg, &g, &out);
		ok = menu_ok(out.data ? out.data : "", out.len, p);
	}
	buf_free(&out);
	url_list_free(&urls);
	return ok;
}

#endif
