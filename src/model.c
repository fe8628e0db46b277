/* model.c - the page model's storage: blocks, links and runs in growing
 * arrays, strings in an arena freed with the page, and the shorthands the
 * page builders use. */
#include <stdlib.h>
#include <string.h>

#include "pollux/layout.h"
#include "pollux/model.h"

#define CHUNK_MIN 8192

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, cap;
	char data[];
};

static char *arena_alloc(struct model *pg, size_t n)
{
	struct arena_chunk *c = pg->arena;
	if (!c || c->cap - c->used < n) {
		size_t cap = n > CHUNK_MIN ? n : CHUNK_MIN;
		c = xmalloc(sizeof *c + cap);
		c->cap = cap;
		c->used = 0;
		/* A big string gets a chunk of its own, behind the current one,
		 * so the room left in the current one is not lost. */
		if (pg->arena && n > CHUNK_MIN) {
			c->next = pg->arena->next;
			pg->arena->next = c;
		} else {
			c->next = pg->arena;
			pg->arena = c;
		}
	}
	char *p = c->data + c->used;
	c->used += n;
	return p;
}

const char *model_strndup(struct model *pg, const char *s, size_t n)
{
	char *p = arena_alloc(pg, n + 1);
	if (n)
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

const char *model_strdup(struct model *pg, const char *s)
{
	return model_strndup(pg, s ? s : "", s ? strlen(s) : 0);
}

struct model *model_new(const char *title)
{
	struct model *pg = xcalloc(1, sizeof *pg);
	if (title)
		pg->title = model_strdup(pg, title);
	return pg;
}

void model_free(struct model *pg)
{
	if (!pg)
		return;
	while (pg->arena) {
		struct arena_chunk *next = pg->arena->next;
		free(pg->arena);
		pg->arena = next;
	}
	free(pg->blocks);
	free(pg->links);
	free(pg->runs);
	free(pg->cells);
	free(pg);
}

/* Grows an array of size elements to hold one more. */
static void *grow(void *p, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return p;
	*cap = *cap ? *cap * 2 : 16;
	return xrealloc(p, *cap * size);
}

struct block *model_add(struct model *pg, enum block_kind k)
{
	pg->blocks = grow(pg->blocks, &pg->capblocks, pg->nblocks,
	    sizeof *pg->blocks);
	struct block *b = &pg->blocks[pg->nblocks++];
	memset(b, 0, sizeof *b);
	b->kind = k;
	b->link = NO_LINK;
	return b;
}

size_t model_add_link(struct model *pg, enum link_to to, const char *target,
    const char *label, const struct post *post)
{
	pg->links = grow(pg->links, &pg->caplinks, pg->nlinks,
	    sizeof *pg->links);
	pg->links[pg->nlinks] = (struct link){to, model_strdup(pg, target),
	    model_strdup(pg, label), post, 0};
	return pg->nlinks++;
}

size_t model_add_run(struct model *pg, enum run_kind k, const char *s,
    size_t len, size_t link)
{
	pg->runs = grow(pg->runs, &pg->capruns, pg->nruns, sizeof *pg->runs);
	pg->runs[pg->nruns] = (struct run){k, s ? model_strndup(pg, s, len) : "",
	    s ? len : 0, link};
	return pg->nruns++;
}

/* text as runs: its lines as text runs, a break between them. */
static struct runs text_runs(struct model *pg, const char *text)
{
	struct runs r = {pg->nruns, 0};
	const char *p = text ? text : "";
	for (;;) {
		size_t n = strcspn(p, "\n");
		if (n)
			model_add_run(pg, RUN_TEXT, p, n, NO_LINK);
		if (!p[n])
			break;
		model_add_run(pg, RUN_BREAK, NULL, 0, NO_LINK);
		p += n + 1;
	}
	r.n = pg->nruns - r.first;
	return r;
}

void model_heading(struct model *pg, int level, const char *text)
{
	struct runs r = text_runs(pg, text);
	struct block *b = model_add(pg, BLOCK_HEADING);
	b->level = level;
	b->text = r;
}

void model_text(struct model *pg, const char *text, unsigned flags)
{
	struct runs r = text_runs(pg, text);
	struct block *b = model_add(pg, BLOCK_TEXT);
	b->text = r;
	b->flags = flags;
}

void model_link(struct model *pg, enum link_to to, const char *target,
    const char *label, const struct post *post, unsigned flags)
{
	size_t l = model_add_link(pg, to, target, label, post);
	struct block *b = model_add(pg, BLOCK_LINK);
	b->link = l;
	b->flags = flags;
}

void model_end(struct model *pg)
{
	model_add(pg, BLOCK_END);
}

/* Text between links that says nothing of its own: blanks, and the
 * separators authors put between links ("a | b", "a · b", "a, b"). */
static bool between_links(const char *s, size_t n)
{
	static const char *const marks[] = {"·", "•", "–", "—"};
	size_t i = 0;

	while (i < n) {
		if (s[i] && strchr(" ,;|/-", s[i])) {
			i++;
			continue;
		}
		size_t k;
		for (k = 0; k < sizeof marks / sizeof *marks; k++) {
			size_t m = strlen(marks[k]);
			if (n - i >= m && memcmp(s + i, marks[k], m) == 0) {
				i += m;
				break;
			}
		}
		if (k == sizeof marks / sizeof *marks)
			return false;
	}
	return true;
}

bool runs_only_links(const struct model *pg, struct runs r)
{
	size_t depth = 0, links = 0;

	for (size_t i = r.first; i < r.first + r.n; i++) {
		const struct run *u = &pg->runs[i];
		switch (u->kind) {
		case RUN_LINK:
		case RUN_IMAGE:
			/* One with no address would lose its text. */
			if (depth++ == 0 && u->link == NO_LINK)
				return false;
			links += depth == 1;
			break;
		case RUN_END:
			if (depth)
				depth--;
			break;
		case RUN_TEXT:
			if (!depth && !between_links(u->s, u->len))
				return false;
			break;
		case RUN_BREAK:
			break;
		case RUN_CODE:
		case RUN_NOTE:
			if (!depth)
				return false;
			break;
		}
	}
	return links > 0;
}

size_t block_end(const struct model *pg, size_t i)
{
	size_t depth = 0;

	for (; i < pg->nblocks; i++) {
		enum block_kind k = pg->blocks[i].kind;
		if (k == BLOCK_END) {
			if (depth <= 1)
				return i;
			depth--;
		} else if (k >= BLOCK_QUOTE) {
			depth++;
		}
	}
	return pg->nblocks;
}

bool list_only_links(const struct model *pg, size_t i)
{
	size_t end = block_end(pg, i);

	if (end >= pg->nblocks || pg->blocks[i].kind != BLOCK_LIST)
		return false;
	/* ITEM, TEXT, END for each item; nothing else. */
	for (size_t k = i + 1; k < end; k += 3) {
		if (k + 2 >= end || pg->blocks[k].kind != BLOCK_ITEM ||
		    pg->blocks[k].task || pg->blocks[k + 1].kind != BLOCK_TEXT ||
		    pg->blocks[k + 2].kind != BLOCK_END ||
		    !runs_only_links(pg, pg->blocks[k + 1].text))
			return false;
	}
	return end > i + 1;
}

bool block_plain_link(const struct block *b)
{
	return b->kind == BLOCK_LINK && !(b->flags & BLOCK_CARD);
}

void post_meta(struct buf *out, const struct post *p, bool with_date)
{
	if (with_date)
		buf_printf(out, "%s · ", p->date);
	/* Only the post's own page: index cards stay one date each, the one
	 * the dated link line carries. */
	if (with_date && p->updated[0])
		buf_printf(out, "updated %s · ", p->updated);
	buf_printf(out, "%u min read", p->read_time);
	for (size_t t = 0; t < p->ntags; t++)
		buf_printf(out, "%s%s", t ? ", " : " · ", p->tags[t].name);
}

static void runs_text(const struct model *pg, struct runs r, struct buf *out)
{
	for (size_t i = r.first; i < r.first + r.n; i++) {
		const struct run *run = &pg->runs[i];
		if (run->kind == RUN_TEXT || run->kind == RUN_CODE)
			buf_put(out, run->s, run->len);
		else if (run->kind == RUN_BREAK)
			buf_putc(out, '\n');
	}
	buf_putc(out, '\n');
}

void model_plain_text(const struct model *pg, size_t from, size_t to,
    struct buf *out)
{
	for (size_t i = from; i < to && i < pg->nblocks; i++) {
		const struct block *b = &pg->blocks[i];
		switch (b->kind) {
		case BLOCK_HEADING:
		case BLOCK_TEXT:
			runs_text(pg, b->text, out);
			break;
		case BLOCK_LINK:
			buf_puts(out, pg->links[b->link].label);
			buf_putc(out, '\n');
			break;
		case BLOCK_PRE:
			buf_put(out, b->s, b->len);
			buf_putc(out, '\n');
			break;
		case BLOCK_TABLE:
			for (size_t c = 0; c < b->table.rows * b->table.cols; c++)
				runs_text(pg, pg->cells[b->table.cells + c], out);
			break;
		default:
			break;
		}
	}
}

void model_table_lines(const struct model *pg, const struct block *b,
    runs_text_fn text, void *ctx, struct buf *lines)
{
	size_t n = b->table.rows * b->table.cols;
	struct buf *cells = xcalloc(n ? n : 1, sizeof *cells);

	for (size_t i = 0; i < n; i++) {
		text(ctx, pg->cells[b->table.cells + i], &cells[i]);
		for (size_t k = 0; k < cells[i].len; k++)
			if (cells[i].data[k] == '\n')
				cells[i].data[k] = ' ';
	}
	table_lines(lines, cells, b->table.rows, b->table.cols, b->table.align,
	    b->table.header);
	for (size_t i = 0; i < n; i++)
		buf_free(&cells[i]);
	free(cells);
}
