/* markdown.c - the Markdown walker: one pass of a cmark iterator (explicit
 * enter and exit events, no recursion) turns the tree into page blocks.
 * The only file that calls cmark; what each output shows is its writer's. */
#include <cmark.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pollux/htmltext.h"
#include "pollux/markdown.h"
#include "pollux/mdtable.h"

#define PARSE_OPTS CMARK_OPT_VALIDATE_UTF8

/* A link or image whose text is being read: its label is the text from
 * label_from on. */
struct open_link {
	size_t link;
	size_t label_from;
};

struct walk {
	struct model *pg;
	const struct link_resolver *r;
	struct md_source src;
	struct buf text;          /* text not yet made a run */
	struct buf plain;         /* the paragraph's plain text, for labels */
	struct open_link *open;
	size_t nopen, capopen;
	int row_line;             /* a table cell's: the line of its row */
};

/* ---- inline text --------------------------------------------------- */

/* Model text holds no control characters (a writer may use some). */
static void put_text(struct walk *w, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char out = c < 0x20 || c == 0x7F ? ' ' : (char)c;
		buf_putc(&w->text, out);
		buf_putc(&w->plain, out);
	}
}

static void flush_text(struct walk *w)
{
	if (w->text.len)
		model_add_run(w->pg, RUN_TEXT, w->text.data, w->text.len, NO_LINK);
	w->text.len = 0;
}

static void add_run(struct walk *w, enum run_kind k, const char *s, size_t n,
    size_t link)
{
	flush_text(w);
	model_add_run(w->pg, k, s, n, link);
}

static bool is_br(const char *s)
{
	return strncasecmp(s, "<br", 3) == 0 &&
	    (s[3] == '>' || s[3] == '/' || s[3] == ' ');
}

static size_t resolve(struct walk *w, const char *url)
{
	char *target = NULL;
	const struct post *post = NULL;
	enum link_to to = LINK_URL;

	if (!url || !*url)
		return NO_LINK;
	if (w->r && w->r->resolve)
		to = w->r->resolve(w->r->ctx, url, &target, &post);
	size_t i = model_add_link(w->pg, to, target ? target : url, "", post);
	free(target);
	return i;
}

static void open_link(struct walk *w, cmark_node *n, bool image)
{
	size_t link = resolve(w, cmark_node_get_url(n));
	/* Where the link is written, for --check: its node's line (a parent's
	 * in a cmark that gives inlines none), or for a table cell, which is
	 * parsed apart, its row's. */
	cmark_node *at = n;
	while (at && cmark_node_get_start_line(at) <= 0)
		at = cmark_node_parent(at);
	if (link != NO_LINK)
		w->pg->links[link].line = (unsigned)(w->row_line ? w->row_line :
		    at ? cmark_node_get_start_line(at) : 0);
	add_run(w, image ? RUN_IMAGE : RUN_LINK, NULL, 0, link);
	if (w->nopen == w->capopen) {
		w->capopen = w->capopen ? w->capopen * 2 : 8;
		w->open = xrealloc(w->open, w->capopen * sizeof *w->open);
	}
	w->open[w->nopen++] = (struct open_link){link, w->plain.len};
}

static void close_link(struct walk *w)
{
	if (!w->nopen)
		return;
	struct open_link *o = &w->open[--w->nopen];
	add_run(w, RUN_END, NULL, 0, NO_LINK);
	if (o->link != NO_LINK) {
		const char *from = w->plain.data ? w->plain.data + o->label_from : "";
		w->pg->links[o->link].label = model_strndup(w->pg, from,
		    w->plain.len - o->label_from);
	}
}

/* One inline event. Emphasis has no mark in gemtext or Gopher text: only
 * its text is kept. */
static void inline_event(struct walk *w, cmark_event_type ev, cmark_node *n)
{
	const char *lit = cmark_node_get_literal(n);
	struct buf h = {0};

	switch (cmark_node_get_type(n)) {
	case CMARK_NODE_TEXT:
		put_text(w, lit, strlen(lit));
		break;
	case CMARK_NODE_SOFTBREAK:
		put_text(w, " ", 1);
		break;
	case CMARK_NODE_LINEBREAK:
		add_run(w, RUN_BREAK, NULL, 0, NO_LINK);
		buf_putc(&w->plain, ' ');
		break;
	case CMARK_NODE_CODE:
		/* Its text made safe like any other, then a run of its own. */
		flush_text(w);
		put_text(w, lit, strlen(lit));
		model_add_run(w->pg, RUN_CODE, w->text.data, w->text.len, NO_LINK);
		w->text.len = 0;
		break;
	case CMARK_NODE_HTML_INLINE:
		/* <br> breaks the line; any other tag only shows its text. */
		if (is_br(lit)) {
			add_run(w, RUN_BREAK, NULL, 0, NO_LINK);
			buf_putc(&w->plain, ' ');
			break;
		}
		html_text(lit, strlen(lit), &h);
		for (size_t i = 0; i < h.len; i++)
			if (h.data[i] != '\n')
				put_text(w, &h.data[i], 1);
		buf_free(&h);
		break;
	case CMARK_NODE_LINK:
	case CMARK_NODE_IMAGE:
		if (ev == CMARK_EVENT_ENTER)
			open_link(w, n, cmark_node_get_type(n) == CMARK_NODE_IMAGE);
		else
			close_link(w);
		break;
	default:
		break;
	}
}

/* Starts collecting the runs of a paragraph, heading or cell. */
static size_t runs_begin(struct walk *w)
{
	w->text.len = 0;
	w->plain.len = 0;
	w->nopen = 0;
	return w->pg->nruns;
}

static struct runs runs_end(struct walk *w, size_t first)
{
	flush_text(w);
	while (w->nopen)   /* never left open by cmark; be sure */
		close_link(w);
	return (struct runs){first, w->pg->nruns - first};
}

/* True when the runs show nothing: no text but spaces, no link, no image. */
static bool runs_blank(const struct model *pg, struct runs r)
{
	for (size_t i = r.first; i < r.first + r.n; i++) {
		const struct run *u = &pg->runs[i];
		if (u->kind == RUN_LINK || u->kind == RUN_IMAGE)
			return false;
		for (size_t k = 0; k < u->len; k++)
			if (u->s[k] != ' ')
				return false;
	}
	return true;
}

/* ---- blocks -------------------------------------------------------- */

/* A table cell is Markdown too: one paragraph's inlines; anything else
 * ("1." or "-" alone would be a list) stays as written. */
static void cell_runs(struct walk *w, const char *md)
{
	size_t first = runs_begin(w);
	cmark_node *doc = cmark_parse_document(md, strlen(md), PARSE_OPTS);
	cmark_node *para = cmark_node_first_child(doc);

	if (para && cmark_node_get_type(para) == CMARK_NODE_PARAGRAPH &&
	    !cmark_node_next(para)) {
		cmark_iter *it = cmark_iter_new(para);
		cmark_event_type ev;
		while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE)
			if (cmark_iter_get_node(it) != para)
				inline_event(w, ev, cmark_iter_get_node(it));
		cmark_iter_free(it);
	} else if (para) {
		put_text(w, md, strlen(md));
	}
	cmark_node_free(doc);
	struct runs r = runs_end(w, first);
	struct model *pg = w->pg;
	if (pg->ncells == pg->capcells) {
		pg->capcells = pg->capcells ? pg->capcells * 2 : 16;
		pg->cells = xrealloc(pg->cells, pg->capcells * sizeof *pg->cells);
	}
	pg->cells[pg->ncells++] = r;
}

/* A paragraph that is a pipe table (see mdtable.c) becomes a table. */
static bool table(struct walk *w, cmark_node *para)
{
	struct md_table t;

	if (!md_table_read(&w->src, cmark_node_get_start_line(para),
	    cmark_node_get_end_line(para), cmark_node_get_start_column(para),
	    &t))
		return false;
	size_t cells = w->pg->ncells;
	int first = cmark_node_get_start_line(para);
	for (size_t i = 0; i < t.rows * t.cols; i++) {
		/* Rows are lines; a header row has the |---| line after it. */
		size_t row = i / t.cols;
		w->row_line = first + (int)row + (t.header && row > 0);
		cell_runs(w, t.cells[i]);
	}
	w->row_line = 0;
	struct block *b = model_add(w->pg, BLOCK_TABLE);
	b->table.rows = t.rows;
	b->table.cols = t.cols;
	b->table.align = model_strndup(w->pg, t.align, t.cols);
	b->table.header = t.header;
	b->table.cells = cells;
	md_table_free(&t);
	return true;
}

static void list(struct walk *w, cmark_node *n)
{
	struct block *b = model_add(w->pg, BLOCK_LIST);
	cmark_node *item = cmark_node_first_child(n);
	const char *s;
	size_t len;

	b->list.ordered = cmark_node_get_list_type(n) == CMARK_ORDERED_LIST;
	b->list.tight = cmark_node_get_list_tight(n);
	b->list.start = cmark_node_get_list_start(n);
	b->list.delim = cmark_node_get_list_delim(n) == CMARK_PAREN_DELIM ?
	    ')' : '.';
	b->list.bullet = '*';
	for (cmark_node *c = item; c; c = cmark_node_next(c))
		b->list.nitems++;
	/* The bullet the author chose, which cmark keeps to itself. */
	if (!b->list.ordered && item && (s = md_source_line(&w->src,
	    cmark_node_get_start_line(item), &len)) != NULL) {
		size_t col = (size_t)cmark_node_get_start_column(item);
		if (col >= 1 && col <= len && strchr("-*+", s[col - 1]))
			b->list.bullet = s[col - 1];
	}
}

static void pre(struct walk *w, cmark_node *n)
{
	const char *info = cmark_node_get_fence_info(n);
	const char *code = cmark_node_get_literal(n);
	struct block *b = model_add(w->pg, BLOCK_PRE);

	b->alt = model_strdup(w->pg, info ? info : "");
	b->s = model_strdup(w->pg, code ? code : "");
	b->len = strlen(b->s);
}

/* Raw HTML shows its text; the end of a block element ends a line. */
static void html_block(struct walk *w, cmark_node *n)
{
	const char *lit = cmark_node_get_literal(n);
	struct buf h = {0};
	size_t first = runs_begin(w), i = 0;

	html_text(lit, strlen(lit), &h);
	while (i < h.len) {
		size_t k = i;
		while (k < h.len && h.data[k] != '\n')
			k++;
		put_text(w, h.data + i, k - i);
		if (k < h.len)
			add_run(w, RUN_BREAK, NULL, 0, NO_LINK);
		i = k + 1;
	}
	buf_free(&h);
	struct runs r = runs_end(w, first);
	if (runs_blank(w->pg, r)) {
		w->pg->nruns = r.first;
		return;
	}
	model_add(w->pg, BLOCK_TEXT)->text = r;
}

void markdown_blocks(struct model *pg, const char *md, size_t len,
    const struct link_resolver *r)
{
	struct walk w = {.pg = pg, .r = r, .src = {md, len, NULL, 0}};
	cmark_node *doc = cmark_parse_document(md, len, PARSE_OPTS);
	cmark_iter *it = cmark_iter_new(doc);
	cmark_event_type ev;
	cmark_node *skip = NULL;   /* a table's paragraph, at its exit */
	size_t first = 0;

	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *n = cmark_iter_get_node(it);
		bool enter = ev == CMARK_EVENT_ENTER;
		struct block *b;

		switch (cmark_node_get_type(n)) {
		case CMARK_NODE_DOCUMENT:
			break;
		case CMARK_NODE_BLOCK_QUOTE:
			model_add(pg, enter ? BLOCK_QUOTE : BLOCK_END);
			break;
		case CMARK_NODE_LIST:
			if (enter)
				list(&w, n);
			else
				model_end(pg);
			break;
		case CMARK_NODE_ITEM:
			model_add(pg, enter ? BLOCK_ITEM : BLOCK_END);
			break;
		case CMARK_NODE_PARAGRAPH:
		case CMARK_NODE_HEADING:
			if (n == skip) {
				skip = NULL;
				break;
			}
			if (enter) {
				if (cmark_node_get_type(n) == CMARK_NODE_PARAGRAPH &&
				    table(&w, n)) {
					/* Its inlines are the cells': go straight
					 * to its exit, which finds no runs begun. */
					cmark_iter_reset(it, n, CMARK_EVENT_EXIT);
					skip = n;
					break;
				}
				first = runs_begin(&w);
				break;
			}
			struct runs text = runs_end(&w, first);
			if (runs_blank(pg, text)) {
				pg->nruns = text.first;
				break;
			}
			if (cmark_node_get_type(n) == CMARK_NODE_HEADING) {
				b = model_add(pg, BLOCK_HEADING);
				b->level = cmark_node_get_heading_level(n);
			} else {
				b = model_add(pg, BLOCK_TEXT);
			}
			b->text = text;
			break;
		case CMARK_NODE_CODE_BLOCK:
			pre(&w, n);
			break;
		case CMARK_NODE_HTML_BLOCK:
			html_block(&w, n);
			break;
		case CMARK_NODE_THEMATIC_BREAK:
			model_add(pg, BLOCK_RULE);
			break;
		default:
			inline_event(&w, ev, n);
			break;
		}
	}
	cmark_iter_free(it);
	cmark_node_free(doc);
	md_source_free(&w.src);
	buf_free(&w.text);
	buf_free(&w.plain);
	free(w.open);
}
