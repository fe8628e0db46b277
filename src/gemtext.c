/* gemtext.c - Markdown (the cmark AST) to gemtext. Gemtext has one kind of
 * link, one bullet and no inline markup, so the converter keeps the text of
 * every construct and moves links to "=>" lines after their block. */
#include <cmark.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "pollux/htmltext.h"
#include "pollux/markdown.h"
#include "pollux/mdtable.h"
#include "pollux/util.h"

/*
 * Layout choices (tests/golden/NAME.gmi show them):
 * - headings deeper than ### become ###; emphasis, strong and code are
 *   plain text;
 * - the links of a top-level block (paragraph, list, quote, table) follow
 *   it as "=> URL text" lines, each URL once; a paragraph that is a single
 *   link or image is just its link line; an image's alt text stays in the
 *   sentence and labels its link line;
 * - nested list items stay "* " lines, with "◦ " and two spaces per level
 *   before the text; ordered items keep their numbers as text;
 * - a thematic break is a "---" line; HTML is reduced to its text;
 * - a text line that would read as gemtext syntax ("=>", "#", "* ", ">",
 *   "```") gets a leading space, which changes nothing for the reader.
 */

#define MAX_DEPTH 32   /* deeper containers are rendered flat */

struct link {
	char *url;
	char *label;
};

struct render {
	struct md_source src;    /* the Markdown, by line, for tables */
	const struct render_opts *o;
	struct buf *out;
	bool started;            /* something was written: blank lines between */
	struct link *links;      /* of the current top-level block */
	size_t nlinks, caplinks;
};

/* --- links ----------------------------------------------------------- */

static void add_link(struct render *r, const char *url, const char *label)
{
	if (!url || !*url)
		return;
	char *to = r->o && r->o->rewrite ? r->o->rewrite(r->o->ctx, url) : NULL;
	if (!to)
		to = xstrdup(url);
	for (size_t i = 0; i < r->nlinks; i++)
		if (strcmp(r->links[i].url, to) == 0) {
			free(to);
			return;
		}
	if (r->nlinks == r->caplinks) {
		r->caplinks = r->caplinks ? r->caplinks * 2 : 8;
		r->links = xrealloc(r->links, r->caplinks * sizeof *r->links);
	}
	r->links[r->nlinks++] = (struct link){to, xstrdup(label)};
}

/* One "=>" line; the label is dropped when it only repeats the URL. */
static void link_line(struct buf *b, const char *url, const char *label)
{
	buf_printf(b, "=> %s", url);
	if (*label && strcmp(label, url) != 0 &&
	    !(strncmp(url, "mailto:", 7) == 0 && strcmp(url + 7, label) == 0))
		buf_printf(b, " %s", label);
	buf_putc(b, '\n');
}

static void flush_links(struct render *r)
{
	if (!r->nlinks)
		return;
	buf_putc(r->out, '\n');
	for (size_t i = 0; i < r->nlinks; i++) {
		link_line(r->out, r->links[i].url, r->links[i].label);
		free(r->links[i].url);
		free(r->links[i].label);
	}
	r->nlinks = 0;
}

/* --- inline text ----------------------------------------------------- */

/* Appends the text of node's inlines; links are collected. Line breaks
 * come out as '\n', soft breaks as spaces. */
static void inline_text(struct render *r, cmark_node *node, struct buf *b)
{
	cmark_iter *it = cmark_iter_new(node);
	cmark_event_type ev;
	size_t mark[MAX_DEPTH * 4];
	size_t depth = 0;
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *n = cmark_iter_get_node(it);
		if (n == node)
			continue;
		cmark_node_type t = cmark_node_get_type(n);
		switch (t) {
		case CMARK_NODE_TEXT:
		case CMARK_NODE_CODE:
			buf_puts(b, cmark_node_get_literal(n));
			break;
		case CMARK_NODE_SOFTBREAK:
			buf_putc(b, ' ');
			break;
		case CMARK_NODE_LINEBREAK:
			buf_putc(b, '\n');
			break;
		case CMARK_NODE_HTML_INLINE: {
			struct buf text = {0};
			const char *h = cmark_node_get_literal(n);
			html_text(h, strlen(h), &text);
			for (size_t i = 0; i < text.len; i++)
				if (text.data[i] != '\n')
					buf_putc(b, text.data[i]);
			buf_free(&text);
			break;
		}
		case CMARK_NODE_LINK:
		case CMARK_NODE_IMAGE:
			if (ev == CMARK_EVENT_ENTER) {
				if (depth < sizeof mark / sizeof *mark)
					mark[depth] = b->len;
				depth++;
			} else if (depth && depth-- <= sizeof mark / sizeof *mark) {
				size_t from = mark[depth];
				char *label = xstrndup(b->data ? b->data + from : "",
				    b->len - from);
				for (char *c = label; *c; c++)
					if (*c == '\n')
						*c = ' ';
				/* An image's alt text stays in the sentence, like
				 * a link's text, and labels its link line. */
				add_link(r, cmark_node_get_url(n), label);
				free(label);
			}
			break;
		default:
			break;
		}
	}
	cmark_iter_free(it);
}

/* --- output lines ---------------------------------------------------- */

static void blank(struct render *r, const char *prefix)
{
	if (!r->started)
		return;
	size_t n = strlen(prefix);
	while (n && prefix[n - 1] == ' ')
		n--;
	buf_put(r->out, prefix, n);
	buf_putc(r->out, '\n');
}

static bool looks_like_syntax(const char *s)
{
	return strncmp(s, "=>", 2) == 0 || s[0] == '#' ||
	    strncmp(s, "* ", 2) == 0 || s[0] == '>' || strncmp(s, "```", 3) == 0;
}

/* Writes text as lines, the first after first_prefix, the others after
 * prefix; blank lines inside are dropped. */
static void text_lines(struct render *r, const char *first_prefix,
    const char *prefix, const char *text)
{
	const char *p = text;
	bool first = true;
	while (*p) {
		size_t n = strcspn(p, "\n");
		size_t lead = 0;
		while (lead < n && p[lead] == ' ')
			lead++;
		if (lead < n) {
			const char *pre = first ? first_prefix : prefix;
			buf_puts(r->out, pre);
			if (!*pre && looks_like_syntax(p + lead))
				buf_putc(r->out, ' ');
			size_t end = n;
			while (end > lead && p[end - 1] == ' ')
				end--;
			buf_put(r->out, p + lead, end - lead);
			buf_putc(r->out, '\n');
			first = false;
		}
		p += n + (p[n] == '\n');
	}
	r->started = true;
}

/* --- tables ---------------------------------------------------------- */

/* A pipe table (see mdtable.c) as a preformatted block, columns aligned. */
static bool render_table(struct render *r, cmark_node *para, const char *prefix)
{
	struct md_table t;
	if (!md_table_read(&r->src, para, &t))
		return false;
	struct buf *cells = xcalloc(t.rows * t.cols, sizeof *cells);
	size_t *widths = xcalloc(t.cols, sizeof *widths);
	for (size_t i = 0; i < t.rows * t.cols; i++) {
		struct buf *c = &cells[i];
		cmark_node *doc = cmark_parse_document(t.cells[i],
		    strlen(t.cells[i]), CMARK_OPT_DEFAULT);
		cmark_node *p = cmark_node_first_child(doc);
		if (p && cmark_node_get_type(p) == CMARK_NODE_PARAGRAPH)
			inline_text(r, p, c);
		else
			buf_puts(c, t.cells[i]);
		cmark_node_free(doc);
		for (size_t k = 0; k < c->len; k++)
			if (c->data[k] == '\n')
				c->data[k] = ' ';
		size_t w = utf8_len(c->data ? c->data : "", c->len);
		if (w > widths[i % t.cols])
			widths[i % t.cols] = w;
	}
	buf_printf(r->out, "%s```table\n", prefix);
	for (size_t row = 0; row < t.rows; row++) {
		for (int rule = 0; rule <= (row == 0 && t.header); rule++) {
			buf_puts(r->out, prefix);
			size_t start = r->out->len;
			for (size_t col = 0; col < t.cols; col++) {
				struct buf *c = &cells[row * t.cols + col];
				size_t w = rule ? 0 : utf8_len(c->data ? c->data : "",
				    c->len);
				if (col)
					buf_puts(r->out, rule ? "-+-" : " | ");
				if (!rule && c->len)
					buf_put(r->out, c->data, c->len);
				for (size_t k = w; k < widths[col]; k++)
					buf_putc(r->out, rule ? '-' : ' ');
			}
			while (r->out->len > start &&
			    r->out->data[r->out->len - 1] == ' ')
				r->out->len--;
			buf_putc(r->out, '\n');
		}
	}
	buf_printf(r->out, "%s```\n", prefix);
	for (size_t i = 0; i < t.rows * t.cols; i++)
		buf_free(&cells[i]);
	free(cells);
	free(widths);
	md_table_free(&t);
	r->started = true;
	return true;
}

/* --- blocks ---------------------------------------------------------- */

static void render_block(struct render *r, cmark_node *n, const char *prefix,
    int depth);

/* A paragraph whose only content is one link or image. */
static cmark_node *lone_link(cmark_node *para)
{
	cmark_node *c = cmark_node_first_child(para);
	if (!c || cmark_node_next(c))
		return NULL;
	cmark_node_type t = cmark_node_get_type(c);
	const char *url = cmark_node_get_url(c);
	return (t == CMARK_NODE_LINK || t == CMARK_NODE_IMAGE) && url && *url ?
	    c : NULL;
}

static void render_paragraph(struct render *r, cmark_node *n,
    const char *first_prefix, const char *prefix)
{
	cmark_node *link = lone_link(n);
	if (link && !*prefix) {
		struct buf label = {0};
		size_t before = r->nlinks;
		inline_text(r, n, &label);
		buf_free(&label);
		/* Written now, not after the block: it is the block. */
		for (size_t i = before; i < r->nlinks; i++) {
			link_line(r->out, r->links[i].url, r->links[i].label);
			free(r->links[i].url);
			free(r->links[i].label);
		}
		r->nlinks = before;
		r->started = true;
		return;
	}
	struct buf text = {0};
	inline_text(r, n, &text);
	text_lines(r, first_prefix, prefix, text.data ? text.data : "");
	buf_free(&text);
}

static void render_code(struct render *r, cmark_node *n, const char *prefix)
{
	const char *info = cmark_node_get_fence_info(n);
	const char *code = cmark_node_get_literal(n);
	buf_printf(r->out, "%s```%s\n", prefix, info ? info : "");
	size_t len = strlen(code);
	while (len && code[len - 1] == '\n')
		len--;
	for (const char *p = code, *end = code + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		buf_puts(r->out, prefix);
		/* A line of the code that is a fence would end the block. */
		if (strncmp(p, "```", 3) == 0)
			buf_putc(r->out, ' ');
		buf_put(r->out, p, n);
		buf_putc(r->out, '\n');
		p += n + 1;
	}
	buf_printf(r->out, "%s```\n", prefix);
	r->started = true;
}

static void render_list(struct render *r, cmark_node *list, const char *prefix,
    int depth, int level)
{
	bool ordered = cmark_node_get_list_type(list) == CMARK_ORDERED_LIST;
	int number = cmark_node_get_list_start(list);
	for (cmark_node *item = cmark_node_first_child(list); item;
	    item = cmark_node_next(item), number++) {
		struct buf marker = {0}, indent = {0};
		buf_puts(&marker, prefix);
		buf_puts(&indent, prefix);
		if (!ordered)
			buf_puts(&marker, "* ");
		for (int l = 0; l < level; l++)
			buf_puts(&marker, "  ");
		if (ordered)
			buf_printf(&marker, "%d. ", number);
		else if (level)
			buf_puts(&marker, "◦ ");
		for (int l = 0; l <= level; l++)
			buf_puts(&indent, "  ");
		bool first = true;
		for (cmark_node *c = cmark_node_first_child(item); c;
		    c = cmark_node_next(c)) {
			cmark_node_type t = cmark_node_get_type(c);
			if (t == CMARK_NODE_LIST && depth < MAX_DEPTH) {
				render_list(r, c, prefix, depth + 1, level + 1);
			} else if (t == CMARK_NODE_PARAGRAPH) {
				struct buf text = {0};
				inline_text(r, c, &text);
				text_lines(r, first ? marker.data : indent.data,
				    indent.data, text.data ? text.data : "");
				buf_free(&text);
				first = false;
			} else {
				if (first)
					text_lines(r, marker.data, "", " ");
				render_block(r, c, prefix, depth + 1);
				first = false;
			}
		}
		if (first)   /* an empty item still shows its marker */
			buf_printf(r->out, "%s\n", marker.data);
		buf_free(&marker);
		buf_free(&indent);
	}
	r->started = true;
}

/* Containers nested deeper than MAX_DEPTH: their text, without further
 * indentation, walked without recursion (a post can nest thousands). */
static void render_flat(struct render *r, cmark_node *n, const char *prefix)
{
	cmark_iter *it = cmark_iter_new(n);
	cmark_event_type ev;
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *c = cmark_iter_get_node(it);
		cmark_node_type t = cmark_node_get_type(c);
		if (ev != CMARK_EVENT_ENTER)
			continue;
		if (t == CMARK_NODE_PARAGRAPH || t == CMARK_NODE_HEADING) {
			struct buf text = {0};
			inline_text(r, c, &text);
			text_lines(r, prefix, prefix, text.data ? text.data : "");
			buf_free(&text);
		} else if (t == CMARK_NODE_CODE_BLOCK) {
			render_code(r, c, prefix);
		}
	}
	cmark_iter_free(it);
}

static void render_block(struct render *r, cmark_node *n, const char *prefix,
    int depth)
{
	if (depth > MAX_DEPTH) {
		render_flat(r, n, prefix);
		return;
	}
	switch (cmark_node_get_type(n)) {
	case CMARK_NODE_PARAGRAPH:
		if (!render_table(r, n, prefix))
			render_paragraph(r, n, prefix, prefix);
		break;
	case CMARK_NODE_HEADING: {
		int level = cmark_node_get_heading_level(n);
		struct buf text = {0}, head = {0};
		inline_text(r, n, &text);
		for (size_t i = 0; i < text.len; i++)
			if (text.data[i] == '\n')
				text.data[i] = ' ';
		buf_printf(&head, "%s%.*s ", prefix, level > 3 ? 3 : level, "###");
		text_lines(r, head.data, head.data, text.data ? text.data : "");
		buf_free(&text);
		buf_free(&head);
		break;
	}
	case CMARK_NODE_CODE_BLOCK:
		render_code(r, n, prefix);
		break;
	case CMARK_NODE_THEMATIC_BREAK:
		buf_printf(r->out, "%s---\n", prefix);
		r->started = true;
		break;
	case CMARK_NODE_HTML_BLOCK: {
		struct buf text = {0};
		const char *h = cmark_node_get_literal(n);
		html_text(h, strlen(h), &text);
		text_lines(r, prefix, prefix, text.data ? text.data : "");
		buf_free(&text);
		break;
	}
	case CMARK_NODE_BLOCK_QUOTE: {
		struct buf inner = {0};
		buf_printf(&inner, "%s> ", prefix);
		bool first = true;
		for (cmark_node *c = cmark_node_first_child(n); c;
		    c = cmark_node_next(c)) {
			if (!first)
				blank(r, inner.data);
			render_block(r, c, depth < MAX_DEPTH ? inner.data : prefix,
			    depth + 1);
			first = false;
		}
		buf_free(&inner);
		break;
	}
	case CMARK_NODE_LIST:
		render_list(r, n, prefix, depth, 0);
		break;
	default:
		break;
	}
}

void gemtext_render(const char *md, size_t len, const struct render_opts *o,
    struct buf *out)
{
	struct render r = {.src = {md, len, NULL, 0}, .o = o, .out = out};
	cmark_node *doc = cmark_parse_document(md, len, CMARK_OPT_VALIDATE_UTF8);
	for (cmark_node *n = cmark_node_first_child(doc); n;
	    n = cmark_node_next(n)) {
		size_t before = out->len;
		if (r.started)
			buf_putc(out, '\n');
		bool was = r.started;
		render_block(&r, n, "", 0);
		flush_links(&r);
		if (!r.started || out->len == before + (was ? 1 : 0)) {
			out->len = before;   /* the block had nothing to show */
			if (out->data)
				out->data[before] = '\0';
			r.started = was;
		}
	}
	free(r.links);
	md_source_free(&r.src);
	cmark_node_free(doc);
}
