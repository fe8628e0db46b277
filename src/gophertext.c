/* gophertext.c - Markdown (cmark AST) to plain text wrapped for Gopher
 * clients, links numbered with a References list; and gophermap lines. */
#include <cmark.h>
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pollux/htmltext.h"
#include "pollux/markdown.h"
#include "pollux/mdtable.h"
#include "pollux/util.h"

/*
 * Layout choices (the tests/golden/NAME.txt files show them):
 * - paragraphs are wrapped at GOPHER_TEXT_WIDTH code points, prefix included;
 *   a break happens only at a space, or between CJK characters (which have
 *   no spaces to break at) but never inside a URL; a longer word stands alone;
 * - headings keep their text and get a line of '=' (level 1) or '-' under it;
 * - emphasis and strong are plain text, inline code keeps its backticks;
 * - code blocks and pipe tables are never wrapped, and are indented by four
 *   spaces so they stand apart from the prose;
 * - links read "text [n]", images "[image: alt] [n]"; the References section
 *   at the end lists "[n] URL", one number per distinct URL; an autolink
 *   whose text is its URL is shown once, with no number;
 * - a thematic break is a centred "* * *"; HTML is reduced to its text.
 */

#define MIN_WIDTH	20	/* what deep nesting still leaves for text */
#define CODE_INDENT	"    "
/* Glues "text" to its "[n]" while wrapping; printed as a space. */
#define NBSP		'\x01'
#define PARSE_OPTS	(CMARK_OPT_VALIDATE_UTF8)

/* A block quote or list item: what it puts before each line of its text. */
struct container {
	char	*marker;	/* its first line: "* ", " 9. ", "> " */
	char	*rest;		/* the lines after it, as wide as marker */
	size_t	 width;
	bool	 pending;	/* no line printed yet */
};

struct list {
	int		 next;		/* number of the next item */
	size_t		 width;		/* marker width of every item */
	bool		 ordered;
	char		 bullet, delim;
};

struct refs {
	char	**urls;
	size_t	  n, cap;
	size_t	 *slots;	/* open addressing: index + 1, 0 is empty */
	size_t	  nslots;
};

struct render {
	const char			*md;
	size_t				 mdlen;
	const struct render_opts	*o;
	struct buf			*out;
	size_t				 start;	/* out->len when we began */
	bool				 blank;	/* a blank line before the next */
	struct container		*cs;
	size_t				 ncs, capcs;
	struct list			*ls;
	size_t				 nls, capls;
	struct refs			 refs;
	struct md_source		 src;	/* for reading tables */
};

/* ---- UTF-8 helpers ------------------------------------------------- */

/* The code point at s[0..n) and its byte length; a bad byte counts alone. */
static uint32_t utf8_cp(const char *str, size_t n, size_t *len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t need;
	uint32_t cp;

	*len = 1;
	if (s[0] < 0x80)
		return s[0];
	if ((s[0] & 0xE0) == 0xC0)
		need = 1, cp = s[0] & 0x1F;
	else if ((s[0] & 0xF0) == 0xE0)
		need = 2, cp = s[0] & 0x0F;
	else if ((s[0] & 0xF8) == 0xF0)
		need = 3, cp = s[0] & 0x07;
	else
		return s[0];
	if (n <= need)
		return s[0];
	for (size_t k = 1; k <= need; k++) {
		if ((s[k] & 0xC0) != 0x80)
			return s[0];
		cp = (cp << 6) | (s[k] & 0x3F);
	}
	*len = need + 1;
	return cp;
}

/* Chinese and Japanese put no spaces between words: a line may break
 * between two of these characters. Hangul is left out, Korean uses spaces. */
static bool is_cjk(uint32_t c)
{
	return (c >= 0x2E80 && c <= 0x9FFF) || (c >= 0xF900 && c <= 0xFAFF) ||
	    (c >= 0xFF00 && c <= 0xFF60) || (c >= 0x20000 && c <= 0x3FFFF);
}

/* Closing punctuation stays with what it closes... */
static bool no_break_before(uint32_t c)
{
	static const uint32_t set[] = { 0x3001, 0x3002, 0x3005, 0x3009,
	    0x300B, 0x300D, 0x300F, 0x3011, 0x3015, 0x30FC, 0xFF01, 0xFF09,
	    0xFF0C, 0xFF0E, 0xFF1A, 0xFF1B, 0xFF1F };

	if (c == (uint32_t)NBSP || (c < 0x80 && strchr(")]}.,;:!?'\"", (int)c)))
		return true;
	for (size_t i = 0; i < sizeof(set) / sizeof(set[0]); i++)
		if (set[i] == c)
			return true;
	return false;
}

/* ...and opening punctuation with what it opens. */
static bool no_break_after(uint32_t c)
{
	static const uint32_t set[] = { 0x3008, 0x300A, 0x300C, 0x300E,
	    0x3010, 0x3014, 0xFF08 };

	if (c == (uint32_t)NBSP || (c < 0x80 && strchr("([{'\"", (int)c)))
		return true;
	for (size_t i = 0; i < sizeof(set) / sizeof(set[0]); i++)
		if (set[i] == c)
			return true;
	return false;
}

static bool looks_like_url(const char *s, size_t n)
{
	return memmem(s, n, "://", 3) != NULL ||
	    (n > 7 && strncasecmp(s, "mailto:", 7) == 0);
}

/* ---- wrapping ------------------------------------------------------ */

struct wrap {
	struct buf	*lines;	/* wrapped lines, each ending in '\n' */
	size_t		 width, col;
	bool		 open;	/* the current line has something */
};

static void wrap_flush(struct wrap *w)
{
	if (w->open)
		buf_putc(w->lines, '\n');
	w->open = false;
	w->col = 0;
}

static void wrap_unit(struct wrap *w, const char *s, size_t n, bool space)
{
	size_t len = utf8_len(s, n);

	if (w->open && w->col + (space ? 1 : 0) + len > w->width)
		wrap_flush(w);
	if (w->open && space) {
		buf_putc(w->lines, ' ');
		w->col++;
	}
	buf_put(w->lines, s, n);
	w->col += len;
	w->open = true;
}

/* One word: whole, unless CJK characters inside it allow breaks. */
static void wrap_word(struct wrap *w, const char *s, size_t n, bool space)
{
	bool url = looks_like_url(s, n);
	size_t unit = 0, i = 0, len;
	uint32_t prev = 0, c;

	while (i < n) {
		c = utf8_cp(s + i, n - i, &len);
		if (i > 0 && !url && (is_cjk(prev) || is_cjk(c)) &&
		    !no_break_after(prev) && !no_break_before(c)) {
			wrap_unit(w, s + unit, i - unit, unit == 0 && space);
			unit = i;
		}
		prev = c;
		i += len;
	}
	wrap_unit(w, s + unit, n - unit, unit == 0 && space);
}

/* Fills lines with text[0..n) wrapped at width; '\n' in text is a forced
 * break, runs of spaces are one space. No empty line is ever produced. */
static void wrap_text(const char *text, size_t n, size_t width,
    struct buf *lines)
{
	struct wrap w = { lines, width, 0, false };
	bool space = false;
	size_t i = 0, j;

	while (i < n) {
		if (text[i] == ' ') {
			space = true;
			i++;
		} else if (text[i] == '\n') {
			wrap_flush(&w);
			space = false;
			i++;
		} else {
			for (j = i; j < n && text[j] != ' ' && text[j] != '\n';
			    j++)
				;
			wrap_word(&w, text + i, j - i, space);
			space = false;
			i = j;
		}
	}
	wrap_flush(&w);
}

/* ---- references ---------------------------------------------------- */

static size_t hash(const char *s)
{
	size_t h = 14695981039346656037ULL & SIZE_MAX;

	while (*s)
		h = (h ^ (unsigned char)*s++) * (size_t)1099511628211ULL;
	return h;
}

/* The number of url in the References list, adding it when new. */
static size_t ref_number(struct refs *r, const char *url)
{
	size_t i;

	if (r->n * 2 >= r->nslots) {
		size_t ns = r->nslots ? r->nslots * 2 : 64;
		free(r->slots);
		r->slots = xcalloc(ns, sizeof(*r->slots));
		r->nslots = ns;
		for (size_t k = 0; k < r->n; k++) {
			i = hash(r->urls[k]) & (ns - 1);
			while (r->slots[i])
				i = (i + 1) & (ns - 1);
			r->slots[i] = k + 1;
		}
	}
	i = hash(url) & (r->nslots - 1);
	while (r->slots[i]) {
		if (strcmp(r->urls[r->slots[i] - 1], url) == 0)
			return r->slots[i];
		i = (i + 1) & (r->nslots - 1);
	}
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 16;
		r->urls = xrealloc(r->urls, r->cap * sizeof(*r->urls));
	}
	r->urls[r->n++] = xstrdup(url);
	r->slots[i] = r->n;
	return r->n;
}

/* ---- output lines -------------------------------------------------- */

static size_t prefix_width(struct render *r)
{
	size_t w = 0;

	for (size_t i = 0; i < r->ncs; i++)
		w += r->cs[i].width;
	return w;
}

static size_t avail_width(struct render *r)
{
	size_t p = prefix_width(r);

	if (p + MIN_WIDTH >= GOPHER_TEXT_WIDTH)
		return MIN_WIDTH;
	return GOPHER_TEXT_WIDTH - p;
}

static void trim_line(struct buf *b, size_t from)
{
	while (b->len > from && b->data[b->len - 1] == ' ')
		b->len--;
	b->data[b->len] = '\0';
}

/* Writes one line under the current containers, after the blank line
 * owed by the previous block if any. */
static void emit_line(struct render *r, const char *s, size_t n)
{
	struct buf *out = r->out;
	size_t from;

	if (r->blank && out->len > r->start) {
		/* A container that has printed nothing yet is not open. */
		from = out->len;
		for (size_t i = 0; i < r->ncs && !r->cs[i].pending; i++)
			buf_puts(out, r->cs[i].rest);
		trim_line(out, from);
		buf_putc(out, '\n');
	}
	r->blank = false;
	from = out->len;
	for (size_t i = 0; i < r->ncs; i++) {
		buf_puts(out, r->cs[i].pending ? r->cs[i].marker :
		    r->cs[i].rest);
		r->cs[i].pending = false;
	}
	for (size_t i = 0; i < n; i++)
		buf_putc(out, s[i] == NBSP ? ' ' : s[i]);
	trim_line(out, from);
	buf_putc(out, '\n');
}

/* Emits every '\n'-ended line of lines; returns the widest's width. */
static size_t emit_lines(struct render *r, const struct buf *lines)
{
	size_t max = 0, i = 0, j, w;

	while (i < lines->len) {
		for (j = i; j < lines->len && lines->data[j] != '\n'; j++)
			;
		emit_line(r, lines->data + i, j - i);
		if ((w = utf8_len(lines->data + i, j - i)) > max)
			max = w;
		i = j + 1;
	}
	return max;
}

/* What follows a block: a blank line, or just a new line in a tight
 * list item, as the author wrote it. */
static void end_block(struct render *r, cmark_node *node)
{
	cmark_node *p = cmark_node_parent(node);

	r->blank = !(p && cmark_node_get_type(p) == CMARK_NODE_ITEM &&
	    cmark_node_get_list_tight(cmark_node_parent(p)));
}

static void push_container(struct render *r, char *marker, size_t width,
    bool quote)
{
	struct container *c;

	if (r->ncs == r->capcs) {
		r->capcs = r->capcs ? r->capcs * 2 : 16;
		r->cs = xrealloc(r->cs, r->capcs * sizeof(*r->cs));
	}
	c = &r->cs[r->ncs++];
	c->marker = marker;
	/* A quote marks all its lines, an item only its first. */
	if (quote) {
		c->rest = xstrdup(marker);
	} else {
		c->rest = xmalloc(width + 1);
		memset(c->rest, ' ', width);
		c->rest[width] = '\0';
	}
	c->width = width;
	c->pending = true;
}

static void pop_container(struct render *r)
{
	struct container *c = &r->cs[--r->ncs];

	free(c->marker);
	free(c->rest);
}

/* ---- inlines ------------------------------------------------------- */

static void put_text(struct buf *b, const char *s)
{
	for (; *s; s++)
		buf_putc(b, (*s == '\t' || *s == '\n' || *s == '\r' ||
		    *s == NBSP) ? ' ' : *s);
}

static bool is_br(const char *s)
{
	return strncasecmp(s, "<br", 3) == 0 &&
	    (s[3] == '>' || s[3] == '/' || s[3] == ' ');
}

static bool text_is(const struct buf *b, size_t from, const char *s)
{
	size_t n = strlen(s);

	return b->len - from == n && memcmp(b->data + from, s, n) == 0;
}

/* Closes a link or image whose text began at b[from]: adds its number. */
static void end_link(struct render *r, cmark_node *node, struct buf *b,
    size_t from)
{
	const char *url = cmark_node_get_url(node), *dest;
	bool image = cmark_node_get_type(node) == CMARK_NODE_IMAGE;
	char *fixed = NULL;

	if (!url)
		url = "";
	if (*url && r->o && r->o->rewrite)
		fixed = r->o->rewrite(r->o->ctx, url);
	dest = fixed ? fixed : url;
	if (image) {
		if (b->len == from + strlen("[image: ")) {
			b->len = from + strlen("[image");
			b->data[b->len] = '\0';
		}
		buf_putc(b, ']');
	}
	if (*dest == '\0')
		goto done;
	/* <https://x> reads fine as it is: no number for it. */
	if (!image && !fixed && (text_is(b, from, url) ||
	    (strncasecmp(url, "mailto:", 7) == 0 && text_is(b, from, url + 7))))
		goto done;
	if (b->len > 0 && b->data[b->len - 1] != ' ' &&
	    b->data[b->len - 1] != '\n')
		buf_putc(b, NBSP);
	buf_printf(b, "[%zu]", ref_number(&r->refs, dest));
done:
	free(fixed);
}

/* Appends the text of the inlines under parent to b: soft breaks are
 * spaces, hard breaks '\n', links and images get their [n]. */
static void inline_text(struct render *r, cmark_node *parent, struct buf *b)
{
	cmark_iter *it = cmark_iter_new(parent);
	cmark_event_type ev;
	cmark_node *n;
	size_t *starts = NULL, nstarts = 0, capstarts = 0;
	const char *lit;

	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		n = cmark_iter_get_node(it);
		if (n == parent)
			continue;
		lit = cmark_node_get_literal(n);
		switch (cmark_node_get_type(n)) {
		case CMARK_NODE_TEXT:
			put_text(b, lit ? lit : "");
			break;
		case CMARK_NODE_SOFTBREAK:
			buf_putc(b, ' ');
			break;
		case CMARK_NODE_LINEBREAK:
			buf_putc(b, '\n');
			break;
		case CMARK_NODE_CODE:
			buf_putc(b, '`');
			put_text(b, lit ? lit : "");
			buf_putc(b, '`');
			break;
		case CMARK_NODE_HTML_INLINE:
			if (lit && is_br(lit))
				buf_putc(b, '\n');
			break;
		case CMARK_NODE_LINK:
		case CMARK_NODE_IMAGE:
			if (ev == CMARK_EVENT_ENTER) {
				if (nstarts == capstarts) {
					capstarts = capstarts ? capstarts * 2 : 8;
					starts = xrealloc(starts,
					    capstarts * sizeof(*starts));
				}
				starts[nstarts++] = b->len;
				if (cmark_node_get_type(n) == CMARK_NODE_IMAGE)
					buf_puts(b, "[image: ");
			} else if (nstarts > 0) {
				end_link(r, n, b, starts[--nstarts]);
			}
			break;
		default:
			break;
		}
	}
	free(starts);
	cmark_iter_free(it);
}

/* ---- blocks -------------------------------------------------------- */

static void render_wrapped(struct render *r, cmark_node *node,
    const struct buf *text, int level)
{
	struct buf lines = {0};
	size_t w;

	wrap_text(text->data ? text->data : "", text->len, avail_width(r),
	    &lines);
	if (lines.len == 0) {
		buf_free(&lines);
		return;
	}
	w = emit_lines(r, &lines);
	if (level > 0) {
		lines.len = 0;
		for (size_t i = 0; i < w; i++)
			buf_putc(&lines, level == 1 ? '=' : '-');
		emit_line(r, lines.data, lines.len);
	}
	buf_free(&lines);
	end_block(r, node);
}

/* A cell is Markdown too: its inlines are rendered like a paragraph's. */
static void cell_text(struct render *r, const char *md, struct buf *b)
{
	cmark_node *doc = cmark_parse_document(md, strlen(md), PARSE_OPTS);
	cmark_node *c = cmark_node_first_child(doc);

	if (c && cmark_node_get_type(c) == CMARK_NODE_PARAGRAPH &&
	    !cmark_node_next(c))
		inline_text(r, c, b);
	else if (c)	/* "1." or "-" alone: not a list here */
		buf_puts(b, md);
	cmark_node_free(doc);
	for (size_t i = 0; i < b->len; i++)
		if (b->data[i] == '\n')
			b->data[i] = ' ';
}

static void emit_table(struct render *r, const struct md_table *t,
    const struct buf *cells, const size_t *width)
{
	struct buf line = {0};
	size_t w, pad, left;

	for (size_t row = 0; row < t->rows; row++) {
		line.len = 0;
		buf_puts(&line, CODE_INDENT);
		for (size_t col = 0; col < t->cols; col++) {
			const struct buf *c = &cells[row * t->cols + col];
			if (col > 0)
				buf_puts(&line, "  ");
			w = utf8_len(c->data ? c->data : "", c->len);
			pad = width[col] - w;
			left = t->align[col] == 'r' ? pad :
			    t->align[col] == 'c' ? pad / 2 : 0;
			for (size_t i = 0; i < left; i++)
				buf_putc(&line, ' ');
			buf_put(&line, c->data ? c->data : "", c->len);
			for (size_t i = left; i < pad; i++)
				buf_putc(&line, ' ');
		}
		emit_line(r, line.data, line.len);
		if (row == 0 && t->header) {
			line.len = 0;
			buf_puts(&line, CODE_INDENT);
			for (size_t col = 0; col < t->cols; col++) {
				if (col > 0)
					buf_puts(&line, "  ");
				for (size_t i = 0; i < width[col]; i++)
					buf_putc(&line, '-');
			}
			emit_line(r, line.data, line.len);
		}
	}
	buf_free(&line);
}

/* A pipe table (see mdtable.c) is laid out with its columns aligned.
 * Returns false (having written nothing) when the paragraph is not one. */
static bool render_table(struct render *r, cmark_node *node)
{
	struct md_table t;
	size_t i, w;

	if (!md_table_read(&r->src, node, &t))
		return false;
	struct buf *cells = xcalloc(t.rows * t.cols, sizeof(*cells));
	size_t *width = xcalloc(t.cols, sizeof(*width));
	for (i = 0; i < t.rows * t.cols; i++) {
		cell_text(r, t.cells[i], &cells[i]);
		w = utf8_len(cells[i].data ? cells[i].data : "", cells[i].len);
		if (w > width[i % t.cols])
			width[i % t.cols] = w;
	}
	emit_table(r, &t, cells, width);
	for (i = 0; i < t.rows * t.cols; i++)
		buf_free(&cells[i]);
	free(cells);
	free(width);
	md_table_free(&t);
	end_block(r, node);
	return true;
}

static void render_code(struct render *r, cmark_node *node)
{
	const char *s = cmark_node_get_literal(node);
	struct buf line = {0};
	size_t n, i = 0, j, first, last, col;
	size_t *ends = NULL, nl = 0;

	if (!s)
		s = "";
	n = strlen(s);
	ends = xmalloc(2 * (n + 1) * sizeof(*ends));	/* 2 per line */
	/* Split in lines; leading and trailing blank ones are dropped so a
	 * block never adds blank lines of its own around it. */
	while (i < n) {
		for (j = i; j < n && s[j] != '\n'; j++)
			;
		ends[nl++] = i;
		ends[nl++] = j;
		i = j + 1;
	}
	for (first = 0; first < nl; first += 2) {
		for (i = ends[first]; i < ends[first + 1] &&
		    (isspace((unsigned char)s[i]) || s[i] == NBSP); i++)
			;
		if (i < ends[first + 1])
			break;
	}
	for (last = nl; last > first; last -= 2) {
		for (i = ends[last - 2]; i < ends[last - 1] &&
		    (isspace((unsigned char)s[i]) || s[i] == NBSP); i++)
			;
		if (i < ends[last - 1])
			break;
	}
	for (size_t k = first; k < last; k += 2) {
		line.len = 0;
		buf_puts(&line, CODE_INDENT);
		col = 0;
		for (i = ends[k]; i < ends[k + 1]; i++) {
			if (s[i] == '\t') {	/* tab stops every 8 columns */
				do
					buf_putc(&line, ' ');
				while (++col % 8);
			} else if (s[i] != '\r') {
				buf_putc(&line, s[i] == NBSP ? ' ' : s[i]);
				if (((unsigned char)s[i] & 0xC0) != 0x80)
					col++;
			}
		}
		emit_line(r, line.data, line.len);
	}
	free(ends);
	buf_free(&line);
	if (last > first)
		end_block(r, node);
}

static void render_html(struct render *r, cmark_node *node)
{
	const char *s = cmark_node_get_literal(node);
	struct buf text = {0};

	if (s)
		html_text(s, strlen(s), &text);
	for (size_t i = 0; i < text.len; i++)
		if (text.data[i] == NBSP)
			text.data[i] = ' ';
	render_wrapped(r, node, &text, 0);
	buf_free(&text);
}

static void render_break(struct render *r, cmark_node *node)
{
	struct buf line = {0};
	size_t w = avail_width(r), pad = w > 5 ? (w - 5) / 2 : 0;

	for (size_t i = 0; i < pad; i++)
		buf_putc(&line, ' ');
	buf_puts(&line, "* * *");
	emit_line(r, line.data, line.len);
	buf_free(&line);
	end_block(r, node);
}

static void enter_list(struct render *r, cmark_node *node)
{
	struct list *l;
	cmark_node *item = cmark_node_first_child(node);
	const char *s;
	size_t n, col;
	int count = 0, max, digits;

	if (r->nls == r->capls) {
		r->capls = r->capls ? r->capls * 2 : 16;
		r->ls = xrealloc(r->ls, r->capls * sizeof(*r->ls));
	}
	l = &r->ls[r->nls++];
	memset(l, 0, sizeof(*l));
	l->ordered = cmark_node_get_list_type(node) == CMARK_ORDERED_LIST;
	l->next = cmark_node_get_list_start(node);
	l->delim = cmark_node_get_list_delim(node) == CMARK_PAREN_DELIM ?
	    ')' : '.';
	l->bullet = '*';
	l->width = 2;
	if (l->ordered) {
		/* Numbers are right-aligned so every item's text lines up. */
		for (cmark_node *c = item; c; c = cmark_node_next(c))
			count++;
		max = l->next + (count > 0 ? count - 1 : 0);
		for (digits = 1; max >= 10; max /= 10)
			digits++;
		l->width = (size_t)digits + 2;
	} else if (item && (s = md_source_line(&r->src,
	    cmark_node_get_start_line(item), &n)) != NULL) {
		/* The bullet the author chose, which cmark keeps private. */
		col = (size_t)cmark_node_get_start_column(item);
		if (col >= 1 && col <= n && strchr("-*+", s[col - 1]))
			l->bullet = s[col - 1];
	}
}

static void enter_item(struct render *r)
{
	struct list *l = &r->ls[r->nls - 1];
	struct buf m = {0};

	if (l->ordered)
		buf_printf(&m, "%*d%c ", (int)l->width - 2, l->next++,
		    l->delim);
	else
		buf_printf(&m, "%c ", l->bullet);
	push_container(r, buf_take(&m, NULL), l->width, false);
}

static void exit_item(struct render *r)
{
	/* An empty item still shows its bullet. */
	if (r->cs[r->ncs - 1].pending)
		emit_line(r, "", 0);
	pop_container(r);
}

static void render_refs(struct render *r)
{
	struct buf line = {0};
	size_t width;
	int digits = 1;

	if (r->refs.n == 0)
		return;
	for (size_t n = r->refs.n; n >= 10; n /= 10)
		digits++;
	r->blank = true;
	emit_line(r, "References", 10);
	emit_line(r, "----------", 10);
	r->blank = true;
	for (size_t i = 0; i < r->refs.n; i++) {
		line.len = 0;
		buf_printf(&line, "[%zu]", i + 1);
		/* URLs line up when the numbers grow to two digits. */
		width = (size_t)digits + 3;
		while (line.len < width)
			buf_putc(&line, ' ');
		buf_puts(&line, r->refs.urls[i]);
		emit_line(r, line.data, line.len);
	}
	buf_free(&line);
}

void gophertext_render(const char *md, size_t len,
    const struct render_opts *o, struct buf *out)
{
	struct render r = {0};
	cmark_node *doc, *node;
	cmark_iter *it;
	cmark_event_type ev;
	struct buf text = {0};
	bool enter;

	r.md = md;
	r.mdlen = len;
	r.src = (struct md_source){ md, len, NULL, 0 };
	r.o = o;
	r.out = out;
	r.start = out->len;
	/* Even an empty page leaves out a valid, NUL-terminated string. */
	buf_put(out, "", 0);
	doc = cmark_parse_document(md, len, PARSE_OPTS);
	it = cmark_iter_new(doc);
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		node = cmark_iter_get_node(it);
		enter = ev == CMARK_EVENT_ENTER;
		switch (cmark_node_get_type(node)) {
		case CMARK_NODE_BLOCK_QUOTE:
			if (enter) {
				push_container(&r, xstrdup("> "), 2, true);
			} else {
				pop_container(&r);
				end_block(&r, node);
			}
			break;
		case CMARK_NODE_LIST:
			if (enter) {
				enter_list(&r, node);
			} else {
				r.nls--;
				end_block(&r, node);
			}
			break;
		case CMARK_NODE_ITEM:
			if (enter)
				enter_item(&r);
			else
				exit_item(&r);
			break;
		case CMARK_NODE_PARAGRAPH:
		case CMARK_NODE_HEADING:
			if (!enter)
				break;
			if (cmark_node_get_type(node) == CMARK_NODE_HEADING) {
				text.len = 0;
				inline_text(&r, node, &text);
				render_wrapped(&r, node, &text,
				    cmark_node_get_heading_level(node));
			} else if (!render_table(&r, node)) {
				text.len = 0;
				inline_text(&r, node, &text);
				render_wrapped(&r, node, &text, 0);
			}
			/* Its inlines are done: go straight to its exit. */
			cmark_iter_reset(it, node, CMARK_EVENT_EXIT);
			break;
		case CMARK_NODE_CODE_BLOCK:
			render_code(&r, node);
			break;
		case CMARK_NODE_HTML_BLOCK:
			render_html(&r, node);
			break;
		case CMARK_NODE_THEMATIC_BREAK:
			render_break(&r, node);
			break;
		default:
			break;
		}
	}
	cmark_iter_free(it);
	cmark_node_free(doc);
	render_refs(&r);

	buf_free(&text);
	while (r.ncs > 0)
		pop_container(&r);
	free(r.cs);
	free(r.ls);
	for (size_t i = 0; i < r.refs.n; i++)
		free(r.refs.urls[i]);
	free(r.refs.urls);
	free(r.refs.slots);
	md_source_free(&r.src);
}

/* ---- gophermaps ---------------------------------------------------- */

/* A field of a menu line: a tab, CR or LF would break the line apart,
 * so each becomes sub (or goes when sub is 0). */
static void put_field(struct buf *out, const char *s, char sub)
{
	for (; s && *s; s++) {
		if (*s == '\t' || *s == '\r' || *s == '\n') {
			if (sub)
				buf_putc(out, sub);
		} else {
			buf_putc(out, *s);
		}
	}
}

void gophermap_item(struct buf *out, char type, const char *display,
    const char *selector, const char *host, unsigned port)
{
	buf_putc(out, type);
	put_field(out, display, ' ');
	buf_putc(out, '\t');
	put_field(out, selector, 0);
	buf_putc(out, '\t');
	put_field(out, host, 0);
	buf_printf(out, "\t%u\r\n", port);
}

/* Info lines carry an empty selector and a host that is no host, as
 * Gophernicus writes them: clients show the text and never follow it. */
static void info_line(struct buf *out, const char *s, size_t n)
{
	char *t = xstrndup(s, n);

	gophermap_item(out, 'i', t, "", "null.host", 1);
	free(t);
}

void gophermap_info(struct buf *out, const char *text)
{
	const char *p = text ? text : "";
	size_t n = strlen(p), i, brk, cols, end;
	bool word;

	/* Spacing inside a line is kept (aligned columns, small art); only
	 * where a line is cut do the spaces go. */
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t' ||
	    p[n - 1] == '\r' || p[n - 1] == '\n'))
		n--;
	if (n == 0 || utf8_len(p, n) <= GOPHER_TEXT_WIDTH) {
		info_line(out, p, n);
		return;
	}
	while (n > 0) {
		if (utf8_len(p, n) <= GOPHER_TEXT_WIDTH) {
			info_line(out, p, n);
			return;
		}
		brk = 0;
		cols = 0;
		word = false;
		for (i = 0; i < n; i++) {
			bool sp = p[i] == ' ' || p[i] == '\t' || p[i] == '\r' ||
			    p[i] == '\n';
			if (((unsigned char)p[i] & 0xC0) == 0x80)
				continue;
			if (sp && word && cols <= GOPHER_TEXT_WIDTH)
				brk = i;
			if (sp && word && brk == 0)
				brk = i;	/* a word longer than a line */
			if (!sp)
				word = true;
			if (++cols > GOPHER_TEXT_WIDTH && brk)
				break;
		}
		if (brk == 0)
			brk = n;
		for (end = brk; end > 0 && (p[end - 1] == ' ' ||
		    p[end - 1] == '\t'); end--)
			;
		info_line(out, p, end);
		p += brk;
		n -= brk;
		while (n > 0 && (*p == ' ' || *p == '\t' || *p == '\r' ||
		    *p == '\n'))
			p++, n--;
	}
}

void gophermap_end(struct buf *out)
{
	buf_puts(out, ".\r\n");
}
