/* gemtext.c - the gemtext writer: a page model as text/gemini. Gemtext has
 * one kind of link, one bullet and no inline markup, so the writer keeps
 * the text of everything and moves links to "=>" lines after their block. */
#include <stdlib.h>
#include <string.h>

#include "pollux/gemtext.h"
#include "pollux/layout.h"
#include "pollux/strset.h"
#include "pollux/url.h"

/*
 * Layout rules (tests/golden/NAME.gmi and tests/pages/gemini/ show them):
 * - headings deeper than ### become ###; emphasis and code are plain text;
 * - the links of a top-level block (paragraph, list, quote, table) follow
 *   it as "=> URL text" lines, each URL once; a paragraph or a list made
 *   only of links or images is just their link lines; an image's alt text
 *   stays in the sentence and labels its link line; a bare URL is its own
 *   label (an unlabelled link line, which clients show as its URL);
 * - list items are "* " lines, nested ones with "◦ " and two spaces a
 *   level; ordered items keep their numbers as text; a task shows its
 *   state, "* [x] done", "* [ ] to do";
 * - a footnote's marker reads "[^1]"; the notes, at the end under their
 *   heading, start with theirs: "[^1] The note.";
 * - a thematic break is a "---" line; a table is a preformatted block;
 *   no line inside a preformatted block starts with "```";
 * - a text line that would read as gemtext syntax ("=>", "#", "* ", ">",
 *   "```") gets a leading space, which changes nothing for the reader;
 * - top-level blocks are apart by a blank line, but links that follow
 *   links; an index card is its dated link, "N min read · tags" and the
 *   summary.
 */

#define MAX_DEPTH 32   /* deeper containers add no more indentation */

struct frame {
	enum block_kind kind;
	bool had_child;        /* something inside was written */
	size_t prefix_len;     /* the quote prefix inside this frame */
	/* LIST */
	bool ordered;
	int number, level;
	/* ITEM: its first line's start, and the start of the others */
	struct buf marker, indent;
};

struct gathered {
	size_t url;            /* its number in the writer's set */
	const char *label;
};

struct writer {
	const struct model *pg;
	struct buf *out;
	bool started;          /* something was written: blank lines between */
	struct frame *stack;
	size_t depth, cap, levels;  /* levels: frames that are not BODY */
	struct buf prefix;     /* "> " for each quote we are in */
	struct gathered *links;     /* of the current top-level block */
	size_t nlinks, caplinks;
	struct strset urls;         /* their addresses */
	struct strset seen;         /* what was gathered: see gather */
	/* The top-level block being written. */
	size_t top_from;
	bool top_started, top_blank, prev_link;
};

/* ---- links --------------------------------------------------------- */

void gemtext_address(struct buf *out, const struct link *l)
{
	switch (l->to) {
	case LINK_URL:
		url_encode_link(out, l->target);
		break;
	case LINK_POST:
	case LINK_POST_TEXT:
		buf_printf(out, "/posts/%s.gmi", l->post->slug);
		break;
	default:
		url_encode_path(out, l->target);
		break;
	}
}

/* One "=>" line; the label is dropped when it only repeats the URL. */
static void link_line(struct buf *b, const char *url, const char *label)
{
	buf_printf(b, "=> %s", url);
	if (*label && strcmp(label, url) != 0 &&
	    !(strncmp(url, "mailto:", 7) == 0 && strcmp(url + 7, label) == 0)) {
		buf_putc(b, ' ');
		for (; *label; label++)
			buf_putc(b, *label == '\n' ? ' ' : *label);
	}
	buf_putc(b, '\n');
}

/* A link is gathered once for its address; an image once for its
 * address and label, since two images of one file may say different
 * things (and a link to the image it shows adds nothing). */
static void gather(struct writer *w, size_t link, bool image)
{
	if (link == NO_LINK)
		return;
	const struct link *l = &w->pg->links[link];
	struct buf url = {0}, key = {0};
	bool added;
	gemtext_address(&url, l);
	buf_printf(&key, "%s\n%s", url.data, l->label);
	if (image) {
		strset_add(&w->seen, key.data, &added);
		if (added)
			strset_add(&w->seen, url.data, NULL);
	} else {
		strset_add(&w->seen, url.data, &added);
		if (added)
			strset_add(&w->seen, key.data, NULL);
	}
	size_t n = strset_add(&w->urls, url.data, NULL);
	buf_free(&url);
	buf_free(&key);
	if (!added)
		return;
	if (w->nlinks == w->caplinks) {
		w->caplinks = w->caplinks ? w->caplinks * 2 : 8;
		w->links = xrealloc(w->links, w->caplinks * sizeof *w->links);
	}
	w->links[w->nlinks++] = (struct gathered){n, l->label};
}

static void flush_links(struct writer *w, bool blank)
{
	if (!w->nlinks)
		return;
	if (blank)
		buf_putc(w->out, '\n');
	for (size_t i = 0; i < w->nlinks; i++)
		link_line(w->out, w->urls.v[w->links[i].url - 1],
		    w->links[i].label);
	w->nlinks = 0;
	strset_free(&w->urls);
	strset_free(&w->seen);
	w->started = true;
}

/* ---- inline text --------------------------------------------------- */

/* The plain text of runs; the links in them are gathered as they end. */
static void plain_text(struct writer *w, struct runs r, struct buf *b)
{
	const struct run **open = xmalloc((r.n ? r.n : 1) * sizeof *open);
	size_t nopen = 0;

	for (size_t i = r.first; i < r.first + r.n; i++) {
		const struct run *u = &w->pg->runs[i];
		switch (u->kind) {
		case RUN_TEXT:
		case RUN_CODE:
			buf_put(b, u->s, u->len);
			break;
		case RUN_BREAK:
			buf_putc(b, '\n');
			break;
		case RUN_LINK:
		case RUN_IMAGE:
			open[nopen++] = u;
			break;
		case RUN_END:
			if (nopen) {
				nopen--;
				gather(w, open[nopen]->link,
				    open[nopen]->kind == RUN_IMAGE);
			}
			break;
		case RUN_NOTE:
			buf_printf(b, "[^%.*s]", (int)u->len, u->s);
			break;
		}
	}
	free(open);
	if (!b->data)
		buf_put(b, "", 0);
}

/* ---- lines --------------------------------------------------------- */

static bool looks_like_syntax(const char *s)
{
	return strncmp(s, "=>", 2) == 0 || s[0] == '#' ||
	    strncmp(s, "* ", 2) == 0 || s[0] == '>' || strncmp(s, "```", 3) == 0;
}

/* Writes text as lines, the first after first_prefix, the others after
 * prefix; blank lines inside are dropped. */
static void text_lines(struct writer *w, const char *first_prefix,
    const char *prefix, const char *text)
{
	const char *p = text;
	bool first = true;

	while (*p) {
		size_t n = strcspn(p, "\n"), lead = 0;
		while (lead < n && p[lead] == ' ')
			lead++;
		if (lead < n) {
			const char *pre = first ? first_prefix : prefix;
			buf_puts(w->out, pre);
			if (!*pre && looks_like_syntax(p + lead))
				buf_putc(w->out, ' ');
			size_t end = n;
			while (end > lead && p[end - 1] == ' ')
				end--;
			buf_put(w->out, p + lead, end - lead);
			buf_putc(w->out, '\n');
			first = false;
		}
		p += n + (p[n] == '\n');
	}
	w->started = true;
}

/* A line inside a preformatted block: one that starts with "```" would
 * end the block, so it gets a space first. */
static void pre_line(struct writer *w, const char *s, size_t n)
{
	buf_puts(w->out, w->prefix.data ? w->prefix.data : "");
	if (n >= 3 && strncmp(s, "```", 3) == 0)
		buf_putc(w->out, ' ');
	buf_put(w->out, s, n);
	buf_putc(w->out, '\n');
}

static const char *prefix(struct writer *w)
{
	return w->prefix.data ? w->prefix.data : "";
}

/* ---- blocks -------------------------------------------------------- */

static struct frame *top(struct writer *w)
{
	return w->depth ? &w->stack[w->depth - 1] : NULL;
}

static void pre(struct writer *w, const struct block *b)
{
	const char *code = b->s;
	size_t len = b->len;

	buf_printf(w->out, "%s```%s\n", prefix(w), b->alt);
	while (len && code[len - 1] == '\n')
		len--;
	for (const char *p = code, *end = code + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		pre_line(w, p, n);
		p += n + 1;
	}
	buf_printf(w->out, "%s```\n", prefix(w));
	w->started = true;
}

static void cell_text(void *w, struct runs r, struct buf *out)
{
	plain_text(w, r, out);
}

static void table(struct writer *w, const struct block *b)
{
	struct buf lines = {0};

	model_table_lines(w->pg, b, cell_text, w, &lines);
	buf_printf(w->out, "%s```table\n", prefix(w));
	for (size_t i = 0; i < lines.len;) {
		size_t k = i;
		while (lines.data[k] != '\n')
			k++;
		pre_line(w, lines.data + i, k - i);
		i = k + 1;
	}
	buf_printf(w->out, "%s```\n", prefix(w));
	buf_free(&lines);
	w->started = true;
}

static void heading(struct writer *w, const struct block *b)
{
	struct buf text = {0}, head = {0};

	plain_text(w, b->text, &text);
	for (size_t i = 0; i < text.len; i++)
		if (text.data[i] == '\n')
			text.data[i] = ' ';
	int level = b->level > 3 ? 3 : b->level < 1 ? 1 : b->level;
	buf_printf(&head, "%s%.*s ", prefix(w), level, "###");
	text_lines(w, head.data, head.data, text.data);
	buf_free(&text);
	buf_free(&head);
}

static void paragraph(struct writer *w, const struct block *b)
{
	struct frame *f = top(w);
	struct buf text = {0};

	if (!w->levels && runs_only_links(w->pg, b->text)) {
		/* Written now, not after the block: they are the block. */
		plain_text(w, b->text, &text);
		flush_links(w, false);
		buf_free(&text);
		return;
	}
	plain_text(w, b->text, &text);
	if (f && (f->kind == BLOCK_ITEM || f->kind == BLOCK_NOTE))
		text_lines(w, f->had_child ? f->indent.data : f->marker.data,
		    f->indent.data, text.data);
	else
		text_lines(w, prefix(w), prefix(w), text.data);
	buf_free(&text);
}

static void post_card(struct writer *w, const struct link *l)
{
	struct buf meta = {0};

	post_meta(&meta, l->post, false);
	text_lines(w, "", "", meta.data);
	if (l->post->summary)
		text_lines(w, "", "", l->post->summary);
	buf_free(&meta);
}

static void link_block(struct writer *w, const struct block *b)
{
	const struct link *l = &w->pg->links[b->link];
	struct buf url = {0}, label = {0};

	gemtext_address(&url, l);
	if (b->flags & (BLOCK_DATED | BLOCK_CARD))
		buf_printf(&label, "%s %s", l->post->date, l->post->title);
	else
		buf_puts(&label, l->label);
	link_line(w->out, url.data, label.data);
	if (b->flags & BLOCK_CARD)
		post_card(w, l);
	buf_free(&url);
	buf_free(&label);
	w->started = true;
}

static void push(struct writer *w, const struct block *b)
{
	if (w->depth == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 16;
		w->stack = xrealloc(w->stack, w->cap * sizeof *w->stack);
	}
	struct frame *parent = top(w);
	struct frame *f = &w->stack[w->depth++];
	memset(f, 0, sizeof *f);
	f->kind = b->kind;
	f->prefix_len = w->prefix.len;
	if (b->kind != BLOCK_BODY)
		w->levels++;
	bool room = w->levels <= MAX_DEPTH;
	switch (b->kind) {
	case BLOCK_QUOTE:
		if (room)
			buf_puts(&w->prefix, "> ");
		f->prefix_len = w->prefix.len;
		break;
	case BLOCK_LIST:
		f->ordered = b->list.ordered;
		f->number = b->list.start;
		/* A list in a list's item is a level deeper; in a quote it
		 * starts again. */
		if (parent && parent->kind == BLOCK_ITEM && w->depth >= 3 &&
		    w->stack[w->depth - 3].kind == BLOCK_LIST)
			f->level = w->stack[w->depth - 3].level + (room ? 1 : 0);
		break;
	case BLOCK_ITEM: {
		const struct frame *list = parent;
		int level = list ? list->level : 0;
		bool ordered = list && list->ordered;
		buf_puts(&f->marker, prefix(w));
		buf_puts(&f->indent, prefix(w));
		if (!ordered)
			buf_puts(&f->marker, "* ");
		for (int i = 0; i < level; i++)
			buf_puts(&f->marker, "  ");
		if (ordered && list)
			buf_printf(&f->marker, "%d. ", w->stack[w->depth - 2].number++);
		else if (level)
			buf_puts(&f->marker, "◦ ");
		if (b->task)
			buf_printf(&f->marker, "[%c] ", b->task);
		for (int i = 0; i <= level; i++)
			buf_puts(&f->indent, "  ");
		break;
	}
	case BLOCK_NOTE:
		/* Its other lines are text lines: gemtext has no indent. */
		buf_printf(&f->marker, "%s[^%d] ", prefix(w), b->level);
		buf_puts(&f->indent, prefix(w));
		break;
	default:
		break;
	}
}

/* A note's number on a line of its own, when no paragraph starts it. */
static void note_number(struct writer *w, struct frame *f)
{
	size_t n = f->marker.len;
	while (n && f->marker.data[n - 1] == ' ')
		n--;
	buf_put(w->out, f->marker.data, n);
	buf_putc(w->out, '\n');
	w->started = true;
}

static void pop(struct writer *w)
{
	if (!w->depth)
		return;
	struct frame *f = &w->stack[--w->depth];
	if (f->kind == BLOCK_ITEM && !f->had_child) {
		/* An empty item still shows its marker. */
		buf_printf(w->out, "%s\n", f->marker.data);
		w->started = true;
	} else if (f->kind == BLOCK_NOTE && !f->had_child) {
		note_number(w, f);
	}
	if (f->kind != BLOCK_BODY)
		w->levels--;
	buf_free(&f->marker);
	buf_free(&f->indent);
	struct frame *parent = top(w);
	w->prefix.len = parent ? parent->prefix_len : 0;
	if (w->prefix.data)
		w->prefix.data[w->prefix.len] = '\0';
}

/* Before a block inside a container: a ">" line after the previous child
 * of a quote; a note's number before a note that starts with no text. */
static void child(struct writer *w, const struct block *b)
{
	struct frame *f = top(w);

	if (!f)
		return;
	if (f->kind == BLOCK_NOTE && !f->had_child && b->kind != BLOCK_TEXT) {
		note_number(w, f);
		f->had_child = true;
	}
	if (f->kind == BLOCK_QUOTE && f->had_child && w->started) {
		size_t n = w->prefix.len;
		while (n && w->prefix.data[n - 1] == ' ')
			n--;
		buf_put(w->out, w->prefix.data, n);
		buf_putc(w->out, '\n');
	}
}

static void mark_child(struct writer *w)
{
	struct frame *f = top(w);
	if (f)
		f->had_child = true;
}

/* A list of links at the top: only its link lines. Returns the index of
 * its BLOCK_END. */
static size_t link_list(struct writer *w, size_t i)
{
	size_t end = block_end(w->pg, i);
	struct buf text = {0};

	for (size_t k = i + 1; k < end; k++)
		if (w->pg->blocks[k].kind == BLOCK_TEXT)
			plain_text(w, w->pg->blocks[k].text, &text);
	flush_links(w, false);
	buf_free(&text);
	return end;
}

/* ---- top-level blocks ---------------------------------------------- */

static void top_begin(struct writer *w, const struct block *b)
{
	w->top_from = w->out->len;
	w->top_started = w->started;
	bool tight = (b->flags & BLOCK_TIGHT) || (block_plain_link(b) &&
	    w->prev_link && !(b->flags & BLOCK_BREAK));
	w->top_blank = w->started && !tight;
	if (w->top_blank)
		buf_putc(w->out, '\n');
}

static void top_end(struct writer *w, const struct block *b)
{
	/* After a block that showed nothing, the blank line before it is
	 * enough. */
	flush_links(w, w->out->len > w->top_from + w->top_blank);
	if (w->out->len <= w->top_from + w->top_blank) {
		/* The block had nothing to show. */
		w->out->len = w->top_from;
		if (w->out->data)
			w->out->data[w->top_from] = '\0';
		w->started = w->top_started;
		return;
	}
	w->prev_link = block_plain_link(b);
}

void gemtext_write(const struct model *pg, struct buf *out)
{
	struct writer w = {.pg = pg, .out = out};

	buf_put(out, "", 0);
	if (pg->title) {
		buf_puts(out, "# ");
		for (const char *t = pg->title; *t; t++)
			buf_putc(out, *t == '\n' ? ' ' : *t);
		buf_putc(out, '\n');
		w.started = true;
	}
	for (size_t i = 0; i < pg->nblocks; i++) {
		const struct block *b = &pg->blocks[i];
		if (b->kind == BLOCK_END) {
			struct frame *f = top(&w);
			bool was_level = f && f->kind != BLOCK_BODY;
			pop(&w);
			if (was_level && !w.levels)
				top_end(&w, b);
			continue;
		}
		bool at_top = !w.levels && b->kind != BLOCK_BODY;
		if (at_top)
			top_begin(&w, b);
		else
			child(&w, b);
		if (at_top && b->kind == BLOCK_LIST && list_only_links(pg, i)) {
			i = link_list(&w, i);
			top_end(&w, b);
			continue;
		}
		switch (b->kind) {
		case BLOCK_HEADING:
			heading(&w, b);
			break;
		case BLOCK_TEXT:
			paragraph(&w, b);
			break;
		case BLOCK_LINK:
			link_block(&w, b);
			break;
		case BLOCK_PRE:
			pre(&w, b);
			break;
		case BLOCK_TABLE:
			table(&w, b);
			break;
		case BLOCK_RULE:
			buf_printf(out, "%s---\n", prefix(&w));
			w.started = true;
			break;
		case BLOCK_QUOTE:
		case BLOCK_LIST:
		case BLOCK_ITEM:
		case BLOCK_NOTE:
		case BLOCK_BODY:
			mark_child(&w);
			push(&w, b);
			continue;
		case BLOCK_END:
			break;
		}
		mark_child(&w);
		if (at_top)
			top_end(&w, b);
	}
	while (w.depth)
		pop(&w);
	flush_links(&w, true);
	free(w.stack);
	free(w.links);
	strset_free(&w.urls);
	strset_free(&w.seen);
	buf_free(&w.prefix);
}
