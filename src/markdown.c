/* markdown.c - the Markdown walker: one pass of a cmark-gfm iterator
 * (explicit enter and exit events, no recursion) turns the tree into page
 * blocks. The only file that calls cmark-gfm; what each output shows is
 * its writer's. */
#include <cmark-gfm.h>
#include <cmark-gfm-core-extensions.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pollux/htmltext.h"
#include "pollux/markdown.h"
#include "pollux/url.h"

/* GitHub-flavoured Markdown, as authors preview it on GitHub. */
#define PARSE_OPTS (CMARK_OPT_VALIDATE_UTF8 | CMARK_OPT_FOOTNOTES)
static const char *const extensions[] = {
	"table", "strikethrough", "autolink", "tasklist",
};

/* cmark-gfm keeps its extensions in a process-wide list that is filled
 * once, and a parser marks its extensions' characters in a process-wide
 * table while it reads inlines: one parse at a time. */
static pthread_once_t registered = PTHREAD_ONCE_INIT;
static pthread_mutex_t parsing = PTHREAD_MUTEX_INITIALIZER;

static void register_extensions(void)
{
	cmark_gfm_core_extensions_ensure_registered();
}

static cmark_node *parse(const char *md, size_t len)
{
	pthread_once(&registered, register_extensions);
	pthread_mutex_lock(&parsing);
	cmark_parser *p = cmark_parser_new(PARSE_OPTS);
	for (size_t i = 0; i < sizeof extensions / sizeof *extensions; i++) {
		cmark_syntax_extension *e = cmark_find_syntax_extension(
		    extensions[i]);
		if (e)
			cmark_parser_attach_syntax_extension(p, e);
	}
	cmark_parser_feed(p, md, len);
	cmark_node *doc = cmark_parser_finish(p);
	cmark_parser_free(p);
	pthread_mutex_unlock(&parsing);
	return doc;
}

/* The nodes of extensions have types numbered at run time; their names
 * are the stable API. */
enum ext_kind { EXT_NONE, EXT_TABLE, EXT_ROW, EXT_CELL };

static enum ext_kind ext_kind(cmark_node *n)
{
	const char *t = cmark_node_get_type_string(n);

	if (strcmp(t, "table") == 0)
		return EXT_TABLE;
	if (strcmp(t, "table_header") == 0 || strcmp(t, "table_row") == 0)
		return EXT_ROW;
	if (strcmp(t, "table_cell") == 0)
		return EXT_CELL;
	return EXT_NONE;
}

/* A link or image whose text is being read: its label is the text from
 * label_from on. */
struct open_link {
	size_t link;
	size_t label_from;
	bool html;                /* opened by <a>: </a> closes it */
	const char *image;        /* an image's URL (the page's copy) */
};

/* The table being read (cells hold only inlines: tables never nest). */
struct table {
	size_t cells;             /* its first cell in page->cells */
	size_t rows, cols, in_row;
	bool header;
	char *align;
};

struct walk {
	struct model *pg;
	const struct link_resolver *r;
	const char *md;           /* the source, for what cmark keeps to */
	size_t len;               /* itself (a list's bullet) */
	size_t *lines;            /* offset of each line; built on first use */
	size_t nlines;
	struct buf text;          /* text not yet made a run */
	struct buf plain;         /* the paragraph's plain text, for labels */
	struct open_link *open;
	size_t nopen, capopen;
	struct table table;
	int notes;                /* footnotes so far */
	int line;                 /* the line of the node being read, for
	                             --check to name a broken link's line */
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

static void open_link(struct walk *w, const char *url, bool image, bool html)
{
	size_t link = resolve(w, url);
	if (link != NO_LINK)
		w->pg->links[link].line = (unsigned)w->line;
	add_run(w, image ? RUN_IMAGE : RUN_LINK, NULL, 0, link);
	if (w->nopen == w->capopen) {
		w->capopen = w->capopen ? w->capopen * 2 : 8;
		w->open = xrealloc(w->open, w->capopen * sizeof *w->open);
	}
	w->open[w->nopen++] = (struct open_link){link, w->plain.len, html,
	    image && url ? model_strdup(w->pg, url) : NULL};
}

/* What to call an image that has no alt text: its file's name, "a.png"
 * for "/images/a.png?v=2" (the host for a URL with no path), decoded when
 * that gives readable text. */
static void file_label(struct walk *w, const char *url)
{
	size_t n = strcspn(url, "?#");
	char name[256];

	while (n && url[n - 1] == '/')
		n--;
	size_t from = n;
	while (from && url[from - 1] != '/')
		from--;
	if (strncmp(url, "data:", 5) == 0 || from == n) {
		put_text(w, "image", 5);
		return;
	}
	long k = percent_decode(url + from, n - from, name, sizeof name);
	if (k > 0 && utf8_valid(name, (size_t)k))
		put_text(w, name, (size_t)k);
	else
		put_text(w, url + from, n - from);
}

/* The text of the link or image o, from the paragraph's plain text,
 * without the blanks around it: *n bytes from the result. */
static const char *label(struct walk *w, const struct open_link *o, size_t *n)
{
	const char *from = w->plain.data ? w->plain.data + o->label_from : "";

	*n = w->plain.len - o->label_from;
	while (*n && *from == ' ')
		from++, (*n)--;
	while (*n && from[*n - 1] == ' ')
		(*n)--;
	return from;
}

static void close_link(struct walk *w)
{
	if (!w->nopen)
		return;
	struct open_link *o = &w->open[w->nopen - 1];
	size_t n;
	const char *text = label(w, o, &n);
	/* Never an image that says nothing where it stands. */
	if (!n && o->image) {
		file_label(w, o->image);
		text = label(w, o, &n);
	}
	if (o->link != NO_LINK)
		w->pg->links[o->link].label = model_strndup(w->pg, text, n);
	add_run(w, RUN_END, NULL, 0, NO_LINK);
	w->nopen--;
}

/* ---- raw HTML ------------------------------------------------------ */

/* Text of raw HTML into runs: in a paragraph a block element's end is
 * only a space; an HTML block breaks the line there. */
struct html_walk {
	struct walk *w;
	bool block;
};

static void html_flush(struct html_walk *hw, struct buf *h)
{
	size_t i = 0;

	while (i < h->len) {
		size_t k = i;
		while (k < h->len && h->data[k] != '\n')
			k++;
		put_text(hw->w, h->data + i, k - i);
		if (k < h->len) {
			if (hw->block)
				add_run(hw->w, RUN_BREAK, NULL, 0, NO_LINK);
			else
				put_text(hw->w, " ", 1);
		}
		i = k + 1;
	}
	h->len = 0;
}

static void html_open(void *ctx, struct buf *h, const char *href, bool image,
    const char *alt)
{
	struct html_walk *hw = ctx;

	html_flush(hw, h);
	open_link(hw->w, href, image, !image);
	if (image) {
		put_text(hw->w, alt, strlen(alt));
		close_link(hw->w);
	}
}

static void html_close(void *ctx, struct buf *h)
{
	struct html_walk *hw = ctx;

	html_flush(hw, h);
	if (hw->w->nopen && hw->w->open[hw->w->nopen - 1].html)
		close_link(hw->w);
}

/* Raw HTML shows its text, and its links and images as links. */
static void html_runs(struct walk *w, const char *lit, bool block)
{
	struct html_walk hw = {w, block};
	struct html_links links = {html_open, html_close, &hw};
	struct buf h = {0};

	html_text(lit, strlen(lit), &h, &links);
	html_flush(&hw, &h);
	buf_free(&h);
}

/* ---- inline text, continued --------------------------------------- */

/* One inline event. Emphasis and strikethrough have no mark in gemtext or
 * Gopher text: only their text is kept. */
static void inline_event(struct walk *w, cmark_event_type ev, cmark_node *n)
{
	const char *lit = cmark_node_get_literal(n);

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
		/* <br> breaks the line; <a> and <img> are links; any other
		 * tag only shows its text. */
		if (is_br(lit)) {
			add_run(w, RUN_BREAK, NULL, 0, NO_LINK);
			buf_putc(&w->plain, ' ');
			break;
		}
		html_runs(w, lit, false);
		break;
	case CMARK_NODE_LINK:
	case CMARK_NODE_IMAGE:
		if (ev == CMARK_EVENT_ENTER)
			open_link(w, cmark_node_get_url(n),
			    cmark_node_get_type(n) == CMARK_NODE_IMAGE, false);
		else
			close_link(w);
		break;
	case CMARK_NODE_FOOTNOTE_REFERENCE:
		/* cmark-gfm has numbered it in the order notes are first
		 * referred to; it is no part of a link's label. */
		if (ev == CMARK_EVENT_ENTER)
			add_run(w, RUN_NOTE, lit, strlen(lit), NO_LINK);
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

/* ---- tables -------------------------------------------------------- */

static void add_cell(struct model *pg, struct runs r)
{
	if (pg->ncells == pg->capcells) {
		pg->capcells = pg->capcells ? pg->capcells * 2 : 16;
		pg->cells = xrealloc(pg->cells, pg->capcells * sizeof *pg->cells);
	}
	pg->cells[pg->ncells++] = r;
}

static void table_begin(struct walk *w, cmark_node *n)
{
	struct table *t = &w->table;
	uint8_t *align = cmark_gfm_extensions_get_table_alignments(n);

	free(t->align);
	memset(t, 0, sizeof *t);
	t->cells = w->pg->ncells;
	t->cols = cmark_gfm_extensions_get_table_columns(n);
	t->align = xmalloc(t->cols + 1);
	for (size_t i = 0; i < t->cols; i++)
		t->align[i] = align && (align[i] == 'c' || align[i] == 'r') ?
		    (char)align[i] : 'l';
	cmark_node *first = cmark_node_first_child(n);
	t->header = first && cmark_gfm_extensions_get_table_row_is_header(first);
}

/* A row has as many cells as the table has columns: the missing are
 * empty, and any more (cmark-gfm drops them) are left out. */
static void row_end(struct walk *w)
{
	struct table *t = &w->table;

	for (; t->in_row < t->cols; t->in_row++)
		add_cell(w->pg, (struct runs){w->pg->nruns, 0});
	t->in_row = 0;
	t->rows++;
}

static void cell_end(struct walk *w, size_t first)
{
	struct runs r = runs_end(w, first);

	if (w->table.in_row >= w->table.cols) {
		w->pg->nruns = first;
		return;
	}
	add_cell(w->pg, r);
	w->table.in_row++;
}

static void table_end(struct walk *w)
{
	struct table *t = &w->table;

	if (t->rows && t->cols) {
		struct block *b = model_add(w->pg, BLOCK_TABLE);
		b->table.rows = t->rows;
		b->table.cols = t->cols;
		b->table.align = model_strndup(w->pg, t->align, t->cols);
		b->table.header = t->header;
		b->table.cells = t->cells;
	} else {
		w->pg->ncells = t->cells;
	}
	free(t->align);
	memset(t, 0, sizeof *t);
}

/* ---- blocks -------------------------------------------------------- */

/* Line lineno (1-based) of the source, or NULL. */
static const char *source_line(struct walk *w, int lineno, size_t *len)
{
	if (!w->lines) {
		size_t count = 1;
		for (size_t i = 0; i < w->len; i++)
			count += w->md[i] == '\n';
		w->lines = xmalloc(count * sizeof *w->lines);
		w->lines[w->nlines++] = 0;
		for (size_t i = 0; i < w->len; i++)
			if (w->md[i] == '\n')
				w->lines[w->nlines++] = i + 1;
	}
	if (lineno < 1 || (size_t)lineno > w->nlines)
		return NULL;
	size_t i = w->lines[lineno - 1];
	size_t end = (size_t)lineno < w->nlines ? w->lines[lineno] - 1 : w->len;
	*len = end - i;
	return w->md + i;
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
	if (!b->list.ordered && item && (s = source_line(w,
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

/* Raw HTML shows its text and links; the end of a block element ends a
 * line. */
static void html_block(struct walk *w, cmark_node *n)
{
	size_t first = runs_begin(w);

	html_runs(w, cmark_node_get_literal(n), true);
	struct runs r = runs_end(w, first);
	if (runs_blank(w->pg, r)) {
		w->pg->nruns = r.first;
		return;
	}
	model_add(w->pg, BLOCK_TEXT)->text = r;
}

/* The exit of a paragraph or heading: a block of its runs, if they show
 * anything. */
static void text_block(struct walk *w, cmark_node *n, size_t first)
{
	struct runs text = runs_end(w, first);
	struct block *b;

	if (runs_blank(w->pg, text)) {
		w->pg->nruns = text.first;
		return;
	}
	if (cmark_node_get_type(n) == CMARK_NODE_HEADING) {
		b = model_add(w->pg, BLOCK_HEADING);
		b->level = cmark_node_get_heading_level(n);
	} else {
		b = model_add(w->pg, BLOCK_TEXT);
	}
	b->text = text;
}

/* A node of an extension: a table's, or one whose text is all it shows
 * (strikethrough). */
static void ext_event(struct walk *w, cmark_event_type ev, cmark_node *n,
    size_t *first)
{
	bool enter = ev == CMARK_EVENT_ENTER;

	switch (ext_kind(n)) {
	case EXT_TABLE:
		if (enter)
			table_begin(w, n);
		else
			table_end(w);
		break;
	case EXT_ROW:
		if (!enter)
			row_end(w);
		break;
	case EXT_CELL:
		if (enter)
			*first = runs_begin(w);
		else
			cell_end(w, *first);
		break;
	case EXT_NONE:
		break;
	}
}

void markdown_blocks(struct model *pg, const char *md, size_t len,
    const struct link_resolver *r)
{
	struct walk w = {.pg = pg, .r = r, .md = md, .len = len};
	cmark_node *doc = parse(md, len);
	cmark_iter *it = cmark_iter_new(doc);
	cmark_event_type ev;
	size_t first = 0;

	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *n = cmark_iter_get_node(it);
		bool enter = ev == CMARK_EVENT_ENTER;
		struct block *b;

		/* Inlines carry no line in cmark-gfm: their block's stands. */
		if (enter && cmark_node_get_start_line(n) > 0)
			w.line = cmark_node_get_start_line(n);

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
			if (!enter) {
				model_end(pg);
				break;
			}
			b = model_add(pg, BLOCK_ITEM);
			/* "[x] " or "[ ] " read as a task's state. */
			if (strcmp(cmark_node_get_type_string(n), "tasklist") == 0)
				b->task = cmark_gfm_extensions_get_tasklist_item_checked(
				    n) ? 'x' : ' ';
			break;
		case CMARK_NODE_PARAGRAPH:
		case CMARK_NODE_HEADING:
			if (enter)
				first = runs_begin(&w);
			else
				text_block(&w, n, first);
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
		case CMARK_NODE_TEXT:
		case CMARK_NODE_SOFTBREAK:
		case CMARK_NODE_LINEBREAK:
		case CMARK_NODE_CODE:
		case CMARK_NODE_HTML_INLINE:
		case CMARK_NODE_EMPH:
		case CMARK_NODE_STRONG:
		case CMARK_NODE_LINK:
		case CMARK_NODE_IMAGE:
		case CMARK_NODE_FOOTNOTE_REFERENCE:
			inline_event(&w, ev, n);
			break;
		case CMARK_NODE_FOOTNOTE_DEFINITION:
			/* cmark-gfm has put the notes referred to at the end,
			 * in the order of their numbers, and dropped the rest. */
			if (!enter) {
				model_end(pg);
				break;
			}
			if (!w.notes)
				model_heading(pg, 2, "Notes");
			model_add(pg, BLOCK_NOTE)->level = ++w.notes;
			break;
		default:
			ext_event(&w, ev, n, &first);
			break;
		}
	}
	cmark_iter_free(it);
	cmark_node_free(doc);
	free(w.lines);
	free(w.table.align);
	buf_free(&w.text);
	buf_free(&w.plain);
	free(w.open);
}
