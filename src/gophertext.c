/* gophertext.c - the Gopher writers: a page model laid out as wrapped plain
 * text (type 0), links numbered with a References list; or as a menu, the
 * same lines as info lines and every link an item. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pollux/gophertext.h"
#include "pollux/layout.h"
#include "pollux/strset.h"

/*
 * Layout rules (tests/golden/NAME.txt and tests/pages/gopher/ show them):
 * - text is wrapped at the width in display columns, container prefixes
 *   included; see wrap_text for where lines break;
 * - the title and headings keep their text, with a line of '=' (level 1)
 *   or '-' under it, as wide as the text;
 * - emphasis is plain text, inline code keeps its backticks;
 * - preformatted blocks and tables are never wrapped in a text (in a menu,
 *   which clients cut, they are broken at the width) and are indented by
 *   four spaces so they stand apart from the prose;
 * - in a text, links read "text [n]", images "[image: alt] [n]", and the
 *   References at the end list "[n] URL", one number per distinct URL; an
 *   autolink whose text is its URL is shown once, with no number;
 * - in a menu, a link's text stays in its sentence and the links of a
 *   top-level block follow it as items; a paragraph or a list made only
 *   of links is just their items;
 * - a thematic break is a centred "* * *"; quotes are "> " lines; list
 *   items keep the author's bullet, numbers are right-aligned, a task
 *   its state after them ("- [x] done");
 * - a footnote's marker reads "[^1]", unlike a link's "[1]"; the notes,
 *   at the end under their heading, hang from theirs: "[^1] The note.";
 * - containers deeper than the width allows (MIN_WIDTH left for text)
 *   print no prefix of their own.
 */

#define MIN_WIDTH	20	/* what deep nesting still leaves for text */
#define CODE_INDENT	"    "

struct frame {
	enum block_kind kind;
	/* QUOTE, ITEM: what they put before each line of their text */
	char	*marker;	/* its first line: "* ", " 9. ", "> " */
	char	*rest;		/* the lines after it, as wide as marker */
	size_t	 width;
	bool	 pending;	/* no line printed yet */
	/* LIST */
	bool	 ordered, tight;
	int	 next;		/* number of the next item */
	size_t	 mwidth;	/* marker width of every item */
	char	 bullet, delim;
};

/* A link to show as an item once the block it is in is written. */
struct pending_item {
	size_t link;
	const char *label;
	bool image;
};

struct writer {
	const struct model	*pg;
	const struct gopher_out	*g;
	struct buf		*out;
	bool			 menu;
	size_t			 width;
	size_t			 start;	/* out->len when we began */
	bool			 blank;	/* a blank line before the next */
	struct frame		*stack;
	size_t			 depth, cap, levels;
	struct strset		 refs;	/* text: the References */
	struct pending_item	*items;	/* menu: of the current block */
	size_t			 nitems, capitems;
	bool			 prev_link;
	struct buf		 line;	/* scratch */
};

void url_list_free(struct url_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->urls[i]);
	free(l->urls);
	memset(l, 0, sizeof *l);
}

/* ---- output lines -------------------------------------------------- */

static struct frame *top(struct writer *w)
{
	return w->depth ? &w->stack[w->depth - 1] : NULL;
}

/* How many containers, from the outside, print their prefix: as many as
 * leave MIN_WIDTH columns for text. *cols is their width. */
static size_t shown(const struct writer *w, size_t *cols)
{
	size_t used = 0, n = 0;

	for (size_t i = 0; i < w->depth; i++) {
		const struct frame *f = &w->stack[i];
		if (!f->marker)
			continue;
		if (used + f->width + MIN_WIDTH > w->width)
			break;
		used += f->width;
		n = i + 1;
	}
	if (cols)
		*cols = used;
	return n;
}

static size_t avail_width(const struct writer *w)
{
	size_t used;

	shown(w, &used);
	return w->width - used;
}

static void trim_line(struct buf *b)
{
	while (b->len > 0 && b->data[b->len - 1] == ' ')
		b->len--;
	if (b->data)
		b->data[b->len] = '\0';
}

/* Writes the finished line in w->line: a text line, or an info line. */
static void put_line(struct writer *w)
{
	trim_line(&w->line);
	if (w->menu) {
		gophermap_info(w->out, w->line.data ? w->line.data : "",
		    w->line.len);
	} else {
		buf_put(w->out, w->line.data ? w->line.data : "", w->line.len);
		buf_putc(w->out, '\n');
	}
	w->line.len = 0;
}

/* The blank line owed by the previous block, if any: under the containers
 * that have printed something, their continuation prefix. */
static void owed_blank(struct writer *w)
{
	if (w->blank && w->out->len > w->start) {
		size_t n = shown(w, NULL);
		w->line.len = 0;
		for (size_t i = 0; i < n; i++) {
			if (!w->stack[i].marker)
				continue;
			if (w->stack[i].pending)
				break;
			buf_puts(&w->line, w->stack[i].rest);
		}
		put_line(w);
	}
	w->blank = false;
}

/* Writes one line under the current containers. */
static void emit_line(struct writer *w, const char *s, size_t n)
{
	size_t show = shown(w, NULL);

	owed_blank(w);
	w->line.len = 0;
	for (size_t i = 0; i < w->depth; i++) {
		struct frame *f = &w->stack[i];
		if (!f->marker)
			continue;
		if (i < show)
			buf_puts(&w->line, f->pending ? f->marker : f->rest);
		f->pending = false;
	}
	for (size_t i = 0; i < n; i++)
		buf_putc(&w->line, s[i] == LAYOUT_GLUE ? ' ' : s[i]);
	put_line(w);
}

/* Emits every '\n'-ended line of lines; returns the widest's width. */
static size_t emit_lines(struct writer *w, const struct buf *lines)
{
	size_t max = 0, i = 0, j, cols;

	while (i < lines->len) {
		for (j = i; j < lines->len && lines->data[j] != '\n'; j++)
			;
		emit_line(w, lines->data + i, j - i);
		if ((cols = text_columns(lines->data + i, j - i)) > max)
			max = cols;
		i = j + 1;
	}
	return max;
}

/* A line that is never wrapped (code, a table): in a menu, which clients
 * cut at the width, it is broken there instead. */
static void emit_pre(struct writer *w, const char *s, size_t n)
{
	size_t room = avail_width(w), i = 0, from = 0, cols = 0, len;

	if (!w->menu || text_columns(s, n) <= room) {
		emit_line(w, s, n);
		return;
	}
	while (i < n) {
		size_t cw = (size_t)cp_columns(utf8_decode(s + i, n - i, &len));
		if (cols + cw > room && i > from) {
			emit_line(w, s + from, i - from);
			from = i;
			cols = 0;
		}
		cols += cw;
		i += len;
	}
	emit_line(w, s + from, n - from);
}

/* What follows a block: a blank line, or just a new line in a tight
 * list item, as the author wrote it. */
static void end_block(struct writer *w)
{
	struct frame *f = top(w);

	w->blank = !(f && f->kind == BLOCK_ITEM && w->depth >= 2 &&
	    w->stack[w->depth - 2].tight);
}

/* ---- menu items ---------------------------------------------------- */

static void item_line(struct writer *w, const struct link *l,
    const char *label)
{
	struct gopher_item it;
	struct buf display = {0}, text = {0};

	if (!gopher_address(l, &w->g->host, &it))
		return;
	owed_blank(w);
	/* A URL shown for want of a label may hold controls, which take
	 * no column here and one as the space the menu line makes them. */
	for (const char *t = *label ? label : l->target; *t; t++)
		buf_putc(&text, (unsigned char)*t < 0x20 || *t == 0x7F ? ' ' : *t);
	size_t n = text.len;
	/* Clients mark folders themselves ("images/" would read "images//"). */
	if (it.type == '1' && n > 1 && text.data[n - 1] == '/')
		n--;
	cut_text(&display, text.data ? text.data : "", n, GOPHER_ITEM_WIDTH);
	buf_free(&text);
	gophermap_item(w->out, it.type, display.data, it.selector.data,
	    it.host.data, it.port);
	if (it.type == 'h' && strncmp(it.selector.data, "URL:", 4) == 0 &&
	    w->g->urls) {
		struct url_list *u = w->g->urls;
		if (u->n == u->cap) {
			u->cap = u->cap ? u->cap * 2 : 16;
			u->urls = xrealloc(u->urls, u->cap * sizeof *u->urls);
		}
		u->urls[u->n++] = xstrdup(it.selector.data + 4);
	}
	buf_free(&display);
	gopher_item_free(&it);
}

/* A key that says where a link goes, to show each place once. */
static bool item_key(struct writer *w, const struct link *l, struct buf *key)
{
	struct gopher_item it;

	if (!gopher_address(l, &w->g->host, &it))
		return false;
	buf_printf(key, "%c\t%s\t%s\t%u", it.type, it.selector.data,
	    it.host.data, it.port);
	gopher_item_free(&it);
	return true;
}

static void add_item(struct writer *w, size_t link, bool image)
{
	if (link == NO_LINK)
		return;
	if (w->nitems == w->capitems) {
		w->capitems = w->capitems ? w->capitems * 2 : 8;
		w->items = xrealloc(w->items, w->capitems * sizeof *w->items);
	}
	w->items[w->nitems++] = (struct pending_item){link,
	    w->pg->links[link].label, image};
}

/* The items gathered for a block after it: a link once for its place, an
 * image once for its place and label (two images of one file may say
 * different things; a link to the image it shows adds nothing). */
static void flush_items(struct writer *w, bool blank)
{
	struct strset seen = {0};
	struct buf key = {0};
	bool added;

	if (!w->nitems)
		return;
	w->blank = w->blank || blank;
	for (size_t i = 0; i < w->nitems; i++) {
		const struct link *l = &w->pg->links[w->items[i].link];
		key.len = 0;
		if (!item_key(w, l, &key))
			continue;
		size_t place = key.len;
		buf_printf(&key, "\n%s", w->items[i].label);
		if (w->items[i].image) {
			strset_add(&seen, key.data, &added);
			key.data[place] = '\0';
			strset_add(&seen, key.data, NULL);
		} else {
			strset_add(&seen, key.data, NULL);
			key.data[place] = '\0';
			strset_add(&seen, key.data, &added);
		}
		if (added)
			item_line(w, l, w->items[i].label);
	}
	w->nitems = 0;
	w->blank = true;
	strset_free(&seen);
	buf_free(&key);
}

/* True when every link of r can be an item: a menu may then show r as
 * its items alone without losing a label. */
static bool all_items(struct writer *w, struct runs r)
{
	for (size_t i = r.first; i < r.first + r.n; i++) {
		const struct run *u = &w->pg->runs[i];
		struct gopher_item it;
		if ((u->kind != RUN_LINK && u->kind != RUN_IMAGE) ||
		    u->link == NO_LINK)
			continue;
		if (!gopher_address(&w->pg->links[u->link], &w->g->host, &it))
			return false;
		gopher_item_free(&it);
	}
	return true;
}

/* ---- inline text --------------------------------------------------- */

struct open_run {
	size_t link, from;
	bool image;
};

static bool text_is(const struct buf *b, size_t from, const char *s)
{
	size_t n = strlen(s);

	return b->len - from == n && memcmp(b->data + from, s, n) == 0;
}

/* A text's link or image ends, its text from b[from]: add its number. */
static void end_link(struct writer *w, const struct open_run *o,
    struct buf *b)
{
	const struct link *l = o->link == NO_LINK ? NULL : &w->pg->links[o->link];
	struct buf url = {0};
	bool added;

	if (o->image) {
		if (b->len == o->from + strlen("[image: ")) {
			b->len = o->from + strlen("[image");
			b->data[b->len] = '\0';
		}
		buf_putc(b, ']');
	}
	if (!l)
		return;
	/* <https://x> reads fine as it is: no number for it. */
	if (!o->image && l->to == LINK_URL && (text_is(b, o->from, l->target) ||
	    (strncasecmp(l->target, "mailto:", 7) == 0 &&
	    text_is(b, o->from, l->target + 7))))
		return;
	/* From a text, another post's text: what a reader of texts wants
	 * next (a menu links a post's menu instead). */
	struct link text_link = *l;
	if (l->to == LINK_POST)
		text_link.to = LINK_POST_TEXT;
	gopher_url(&url, &text_link, &w->g->host);
	char ref[32];
	size_t n = (size_t)snprintf(ref, sizeof ref, "[%zu]",
	    strset_add(&w->refs, url.data, &added));
	buf_free(&url);
	/* A link to the very image it shows has its number already. */
	if (b->len >= n && memcmp(b->data + b->len - n, ref, n) == 0)
		return;
	if (b->len > 0 && b->data[b->len - 1] != ' ' &&
	    b->data[b->len - 1] != '\n')
		buf_putc(b, LAYOUT_GLUE);
	buf_puts(b, ref);
}

/* The text of runs into b: breaks as '\n'. In a text, links and images
 * get their "[n]"; in a menu, they are gathered as items. */
static void inline_text(struct writer *w, struct runs r, struct buf *b)
{
	struct open_run *open = xmalloc((r.n ? r.n : 1) * sizeof *open);
	size_t nopen = 0;

	for (size_t i = r.first; i < r.first + r.n; i++) {
		const struct run *u = &w->pg->runs[i];
		switch (u->kind) {
		case RUN_TEXT:
			buf_put(b, u->s, u->len);
			break;
		case RUN_CODE:
			buf_putc(b, '`');
			buf_put(b, u->s, u->len);
			buf_putc(b, '`');
			break;
		case RUN_BREAK:
			buf_putc(b, '\n');
			break;
		case RUN_LINK:
		case RUN_IMAGE:
			open[nopen++] = (struct open_run){u->link, b->len,
			    u->kind == RUN_IMAGE};
			if (u->kind == RUN_IMAGE && !w->menu)
				buf_puts(b, "[image: ");
			break;
		case RUN_END:
			if (!nopen)
				break;
			nopen--;
			if (w->menu)
				add_item(w, open[nopen].link, open[nopen].image);
			else
				end_link(w, &open[nopen], b);
			break;
		case RUN_NOTE:
			buf_printf(b, "[^%.*s]", (int)u->len, u->s);
			break;
		}
	}
	free(open);
	buf_put(b, "", 0);
}

/* ---- blocks -------------------------------------------------------- */

static void wrapped(struct writer *w, const struct buf *text, int level)
{
	struct buf lines = {0};
	size_t cols;

	wrap_text(text->data ? text->data : "", text->len, avail_width(w),
	    w->menu, &lines);
	if (lines.len == 0) {
		buf_free(&lines);
		return;
	}
	cols = emit_lines(w, &lines);
	if (level > 0) {
		lines.len = 0;
		for (size_t i = 0; i < cols; i++)
			buf_putc(&lines, level == 1 ? '=' : '-');
		emit_line(w, lines.data, lines.len);
	}
	buf_free(&lines);
	end_block(w);
}

static void text_block(struct writer *w, const struct block *b)
{
	struct buf text = {0};

	if (w->menu && !w->levels && runs_only_links(w->pg, b->text) &&
	    all_items(w, b->text)) {
		/* The items are the block. */
		inline_text(w, b->text, &text);
		flush_items(w, false);
		buf_free(&text);
		return;
	}
	inline_text(w, b->text, &text);
	wrapped(w, &text, b->kind == BLOCK_HEADING ? (b->level ? b->level : 1)
	    : 0);
	buf_free(&text);
}

static void cell_text(void *w, struct runs r, struct buf *out)
{
	inline_text(w, r, out);
}

static void table(struct writer *w, const struct block *b)
{
	struct buf lines = {0};

	model_table_lines(w->pg, b, cell_text, w, &lines);
	for (size_t i = 0; i < lines.len;) {
		size_t k = i;
		while (lines.data[k] != '\n')
			k++;
		struct buf row = {0};
		buf_puts(&row, CODE_INDENT);
		buf_put(&row, lines.data + i, k - i);
		emit_pre(w, row.data, row.len);
		buf_free(&row);
		i = k + 1;
	}
	buf_free(&lines);
	end_block(w);
}

static bool blank_line(const char *s, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		if (!isspace((unsigned char)s[i]))
			return false;
	return true;
}

/* Code: indented, tabs expanded, the blank lines around it dropped so a
 * block never adds blank lines of its own. */
static void pre(struct writer *w, const struct block *b)
{
	const char *s = b->s;
	size_t n = b->len, i = 0, j, first, last;
	size_t *ends = xmalloc(2 * (n + 1) * sizeof *ends), nl = 0;
	struct buf line = {0};

	while (i < n) {
		for (j = i; j < n && s[j] != '\n'; j++)
			;
		ends[nl++] = i;
		ends[nl++] = j;
		i = j + 1;
	}
	for (first = 0; first < nl; first += 2)
		if (!blank_line(s, ends[first], ends[first + 1]))
			break;
	for (last = nl; last > first; last -= 2)
		if (!blank_line(s, ends[last - 2], ends[last - 1]))
			break;
	for (size_t k = first; k < last; k += 2) {
		size_t col = 0;
		line.len = 0;
		buf_puts(&line, CODE_INDENT);
		for (i = ends[k]; i < ends[k + 1]; i++) {
			if (s[i] == '\t') {	/* tab stops every 8 columns */
				do
					buf_putc(&line, ' ');
				while (++col % 8);
			} else if (s[i] != '\r') {
				unsigned char c = (unsigned char)s[i];
				buf_putc(&line, c < 0x20 || c == 0x7F ? ' ' : s[i]);
				if ((c & 0xC0) != 0x80)
					col++;
			}
		}
		emit_pre(w, line.data, line.len);
	}
	free(ends);
	buf_free(&line);
	if (last > first)
		end_block(w);
}

static void rule(struct writer *w)
{
	struct buf line = {0};
	size_t cols = avail_width(w), pad = cols > 5 ? (cols - 5) / 2 : 0;

	for (size_t i = 0; i < pad; i++)
		buf_putc(&line, ' ');
	buf_puts(&line, "* * *");
	emit_line(w, line.data, line.len);
	buf_free(&line);
	end_block(w);
}

static void card_lines(struct writer *w, const struct post *p)
{
	struct buf text = {0};

	post_meta(&text, p, false);
	if (p->summary)
		buf_printf(&text, "\n%s", p->summary);
	/* Under the item, with no blank line between. */
	struct buf lines = {0};
	wrap_text(text.data, text.len, avail_width(w), w->menu, &lines);
	emit_lines(w, &lines);
	buf_free(&lines);
	buf_free(&text);
}

static void link_block(struct writer *w, const struct block *b)
{
	const struct link *l = &w->pg->links[b->link];
	struct buf label = {0};

	if (b->flags & (BLOCK_DATED | BLOCK_CARD))
		buf_printf(&label, "%s %s", l->post->date, l->post->title);
	else
		buf_puts(&label, l->label);
	if (w->menu) {
		item_line(w, l, label.data);
	} else {
		/* In a text, a link on its own reads like a paragraph. */
		struct open_run o = {b->link, 0, false};
		end_link(w, &o, &label);
		struct buf lines = {0};
		wrap_text(label.data, label.len, avail_width(w), false, &lines);
		emit_lines(w, &lines);
		buf_free(&lines);
	}
	if (b->flags & BLOCK_CARD)
		card_lines(w, l->post);
	buf_free(&label);
	end_block(w);
}

/* In a menu, a list of links at the top is only its items: true, with
 * *i at its BLOCK_END; false when some link could not be an item. */
static bool link_list(struct writer *w, size_t *i)
{
	size_t end = block_end(w->pg, *i);
	struct buf text = {0};

	for (size_t k = *i + 1; k < end; k++)
		if (w->pg->blocks[k].kind == BLOCK_TEXT &&
		    !all_items(w, w->pg->blocks[k].text))
			return false;
	for (size_t k = *i + 1; k < end; k++)
		if (w->pg->blocks[k].kind == BLOCK_TEXT)
			inline_text(w, w->pg->blocks[k].text, &text);
	flush_items(w, false);
	buf_free(&text);
	*i = end;
	return true;
}

/* In a menu, a post's body is an item for its text and one for every
 * place it links to, under the heading in alt. Returns the index of the
 * body's BLOCK_END. */
static size_t body_menu(struct writer *w, size_t at)
{
	const struct model *pg = w->pg;
	const struct block *b = &pg->blocks[at];
	size_t depth = 0, i;

	if (b->link != NO_LINK) {
		item_line(w, &pg->links[b->link], pg->links[b->link].label);
		w->blank = true;
	}
	for (i = at + 1; i < pg->nblocks; i++) {
		const struct block *c = &pg->blocks[i];
		struct runs r = c->text;
		if (c->kind == BLOCK_END && depth-- == 0)
			break;
		if (c->kind >= BLOCK_QUOTE && c->kind < BLOCK_END)
			depth++;
		if (c->kind == BLOCK_LINK)
			add_item(w, c->link, false);
		if (c->kind == BLOCK_TABLE) {
			const struct runs *cells = &pg->cells[c->table.cells];
			size_t n = c->table.rows * c->table.cols;
			r = (struct runs){cells[0].first, 0};
			if (n)
				r.n = cells[n - 1].first + cells[n - 1].n - r.first;
		}
		if (c->kind == BLOCK_TEXT || c->kind == BLOCK_HEADING ||
		    c->kind == BLOCK_TABLE)
			for (size_t k = r.first; k < r.first + r.n; k++)
				if (pg->runs[k].kind == RUN_LINK ||
				    pg->runs[k].kind == RUN_IMAGE)
					add_item(w, pg->runs[k].link,
					    pg->runs[k].kind == RUN_IMAGE);
	}
	if (w->nitems && b->alt && *b->alt) {
		struct buf head = {0};
		buf_puts(&head, b->alt);
		wrapped(w, &head, 2);
		buf_free(&head);
		w->blank = false;
	}
	flush_items(w, false);
	return i;
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
	if (b->kind != BLOCK_BODY)
		w->levels++;
	switch (b->kind) {
	case BLOCK_QUOTE:
		/* A quote marks all its lines. */
		f->marker = xstrdup("> ");
		f->rest = xstrdup("> ");
		f->width = 2;
		f->pending = true;
		break;
	case BLOCK_LIST:
		f->ordered = b->list.ordered;
		f->tight = b->list.tight;
		f->next = b->list.start;
		f->delim = b->list.delim;
		f->bullet = b->list.bullet;
		f->mwidth = 2;
		if (f->ordered) {
			/* Numbers right-aligned: every item's text lines up. */
			long max = (long)f->next + (b->list.nitems ?
			    (long)b->list.nitems - 1 : 0);
			int digits = 1;
			for (; max >= 10; max /= 10)
				digits++;
			f->mwidth = (size_t)digits + 2;
		}
		break;
	case BLOCK_ITEM: {
		struct buf m = {0};
		/* An item marks its first line only. */
		if (parent && parent->kind == BLOCK_LIST && parent->ordered)
			buf_printf(&m, "%*d%c ", (int)parent->mwidth - 2,
			    parent->next++, parent->delim);
		else
			buf_printf(&m, "%c ", parent && parent->kind == BLOCK_LIST ?
			    parent->bullet : '*');
		f->width = parent && parent->kind == BLOCK_LIST ?
		    parent->mwidth : 2;
		if (b->task) {
			buf_printf(&m, "[%c] ", b->task);
			f->width += 4;
		}
		f->marker = buf_take(&m, NULL);
		f->rest = xmalloc(f->width + 1);
		memset(f->rest, ' ', f->width);
		f->rest[f->width] = '\0';
		f->pending = true;
		break;
	}
	case BLOCK_NOTE: {
		/* Its number hangs out like an item's bullet. */
		struct buf m = {0};
		buf_printf(&m, "[^%d] ", b->level);
		f->width = m.len;
		f->marker = buf_take(&m, NULL);
		f->rest = xmalloc(f->width + 1);
		memset(f->rest, ' ', f->width);
		f->rest[f->width] = '\0';
		f->pending = true;
		break;
	}
	default:
		break;
	}
}

static void pop(struct writer *w)
{
	struct frame *f = &w->stack[w->depth - 1];

	/* An empty item still shows its bullet, a note its number. */
	if ((f->kind == BLOCK_ITEM || f->kind == BLOCK_NOTE) && f->pending)
		emit_line(w, "", 0);
	free(f->marker);
	free(f->rest);
	if (f->kind != BLOCK_BODY)
		w->levels--;
	w->depth--;
	if (f->kind != BLOCK_ITEM && f->kind != BLOCK_BODY)
		end_block(w);
}

/* Before a top-level block: links that follow links, and blocks marked
 * tight, have no blank line before them. */
static void top_begin(struct writer *w, const struct block *b)
{
	if ((b->flags & BLOCK_TIGHT) || (block_plain_link(b) && w->prev_link &&
	    !(b->flags & BLOCK_BREAK)))
		w->blank = false;
	else if (b->flags & BLOCK_BREAK)
		w->blank = true;
}

static void top_end(struct writer *w, const struct block *b)
{
	flush_items(w, true);
	w->prev_link = block_plain_link(b);
}

static void write_page(struct writer *w)
{
	const struct model *pg = w->pg;

	if (pg->title) {
		struct buf t = {0};
		buf_puts(&t, pg->title);
		wrapped(w, &t, 1);
		buf_free(&t);
	}
	for (size_t i = 0; i < pg->nblocks; i++) {
		const struct block *b = &pg->blocks[i];
		if (b->kind == BLOCK_END) {
			if (!w->depth)
				continue;
			bool level = top(w)->kind != BLOCK_BODY;
			pop(w);
			if (level && !w->levels)
				top_end(w, b);
			continue;
		}
		if (!w->menu && (b->flags & BLOCK_NAV))
			continue;
		bool at_top = !w->levels && b->kind != BLOCK_BODY;
		if (at_top)
			top_begin(w, b);
		if (at_top && w->menu && b->kind == BLOCK_LIST &&
		    list_only_links(pg, i) && link_list(w, &i)) {
			top_end(w, b);
			continue;
		}
		switch (b->kind) {
		case BLOCK_HEADING:
		case BLOCK_TEXT:
			text_block(w, b);
			break;
		case BLOCK_LINK:
			link_block(w, b);
			break;
		case BLOCK_PRE:
			pre(w, b);
			break;
		case BLOCK_TABLE:
			table(w, b);
			break;
		case BLOCK_RULE:
			rule(w);
			break;
		case BLOCK_BODY:
			if (w->menu) {
				i = body_menu(w, i);
				w->prev_link = false;
				continue;
			}
			push(w, b);
			continue;
		case BLOCK_QUOTE:
		case BLOCK_LIST:
		case BLOCK_ITEM:
		case BLOCK_NOTE:
			push(w, b);
			continue;
		case BLOCK_END:
			break;
		}
		if (at_top)
			top_end(w, b);
	}
	while (w->depth)
		pop(w);
	flush_items(w, true);
}

static void writer_free(struct writer *w)
{
	free(w->stack);
	free(w->items);
	strset_free(&w->refs);
	buf_free(&w->line);
}

/* The References section of a text. */
static void references(struct writer *w)
{
	struct buf line = {0};
	int digits = 1;

	if (w->refs.n == 0)
		return;
	for (size_t n = w->refs.n; n >= 10; n /= 10)
		digits++;
	w->blank = true;
	emit_line(w, "References", 10);
	emit_line(w, "----------", 10);
	w->blank = true;
	for (size_t i = 0; i < w->refs.n; i++) {
		line.len = 0;
		buf_printf(&line, "[%zu]", i + 1);
		/* URLs line up when the numbers grow to two digits. */
		while (line.len < (size_t)digits + 3)
			buf_putc(&line, ' ');
		buf_puts(&line, w->refs.v[i]);
		emit_line(w, line.data, line.len);
	}
	buf_free(&line);
}

void gophertext_write(const struct model *pg, const struct gopher_out *g,
    struct buf *out)
{
	struct writer w = {.pg = pg, .g = g, .out = out,
	    .width = GOPHER_TEXT_WIDTH, .start = out->len};

	/* Even an empty page leaves out a valid, NUL-terminated string. */
	buf_put(out, "", 0);
	write_page(&w);
	references(&w);
	writer_free(&w);
}

void gophermenu_write(const struct model *pg, const struct gopher_out *g,
    struct buf *out)
{
	struct writer w = {.pg = pg, .g = g, .out = out, .menu = true,
	    .width = GOPHER_INFO_WIDTH, .start = out->len};

	write_page(&w);
	gophermap_end(out);
	writer_free(&w);
}

char *gopher_text_response(const char *text, size_t len, size_t *out_len)
{
	struct buf b = {0};
	const char *end = text + len;

	while (text < end) {
		const char *nl = memchr(text, '\n', (size_t)(end - text));
		size_t n = nl ? (size_t)(nl - text) : (size_t)(end - text);
		if (n && text[0] == '.')
			buf_putc(&b, '.');
		buf_put(&b, text, n);
		buf_puts(&b, "\r\n");
		text += n + (nl != NULL);
	}
	/* Some clients (lynx, VF-1) show the closing dot: keep it apart. */
	buf_puts(&b, "\r\n.\r\n");
	return buf_take(&b, out_len);
}
