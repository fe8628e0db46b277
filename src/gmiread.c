/* gmiread.c - gemtext (text/gemini) read line by line into page blocks. A
 * gemtext line is a paragraph of its own: lines that follow each other
 * stay together, a blank line keeps blocks apart. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "pollux/gmiread.h"

enum line_kind { L_BLANK, L_TEXT, L_LINK, L_HEADING, L_ITEM, L_QUOTE };

struct reader {
	struct model *pg;
	const struct link_resolver *r;
	enum line_kind open;      /* the group being read: TEXT, ITEM, QUOTE */
	size_t first;             /* its first run */
	size_t list;              /* its LIST block, for the item count */
	unsigned flags;           /* for its block */
	bool blank;               /* a blank line came before this line */
	unsigned lineno;          /* of the line being read, 1-based */
	bool any;                 /* a block was made */
};

static void put_text(struct reader *rd, const char *s, size_t n)
{
	/* Runs hold no control characters. */
	char *t = xstrndup(s, n);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)t[i] < 0x20 || t[i] == 0x7F)
			t[i] = ' ';
	if (n)
		model_add_run(rd->pg, RUN_TEXT, t, n, NO_LINK);
	free(t);
}

/* Only spaces and tabs (the line is not NUL-terminated). */
static bool blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return false;
	return true;
}

static unsigned spacing(struct reader *rd)
{
	return rd->any && !rd->blank ? BLOCK_TIGHT : 0;
}

/* Ends the group of text, item or quote lines being read. */
static void close_group(struct reader *rd)
{
	struct model *pg = rd->pg;
	struct block *b;

	switch (rd->open) {
	case L_TEXT:
		b = model_add(pg, BLOCK_TEXT);
		b->text = (struct runs){rd->first, pg->nruns - rd->first};
		b->flags = rd->flags;
		break;
	case L_QUOTE:
		b = model_add(pg, BLOCK_TEXT);
		b->text = (struct runs){rd->first, pg->nruns - rd->first};
		model_end(pg);
		break;
	case L_ITEM:
		model_end(pg);         /* the last item */
		model_end(pg);         /* the list */
		break;
	default:
		break;
	}
	rd->open = L_BLANK;
}

static void line(struct reader *rd, const char *s, size_t n)
{
	struct model *pg = rd->pg;
	enum line_kind k = L_TEXT;
	size_t skip = 0;

	if (n >= 2 && s[0] == '=' && s[1] == '>')
		k = L_LINK;
	else if (n && s[0] == '#')
		k = L_HEADING;
	else if (n >= 2 && s[0] == '*' && s[1] == ' ')
		k = L_ITEM, skip = 2;
	else if (n && s[0] == '>')
		k = L_QUOTE, skip = 1;
	else if (blank(s, n))
		k = L_BLANK;

	if (k == L_BLANK) {
		close_group(rd);
		rd->blank = true;
		return;
	}
	if (rd->open != k)
		close_group(rd);
	while (skip < n && (s[skip] == ' ' || s[skip] == '\t'))
		skip++;
	switch (k) {
	case L_LINK: {
		size_t i = 2, u, e;
		while (i < n && (s[i] == ' ' || s[i] == '\t'))
			i++;
		for (u = i; u < n && s[u] != ' ' && s[u] != '\t'; u++)
			;
		for (e = u; e < n && (s[e] == ' ' || s[e] == '\t'); e++)
			;
		if (u == i) {               /* "=>" alone: no link */
			k = L_TEXT;
			break;
		}
		char *url = xstrndup(s + i, u - i), *label = xstrndup(s + e, n - e);
		char *target = NULL;
		const struct post *post = NULL;
		enum link_to to = LINK_URL;
		if (rd->r && rd->r->resolve)
			to = rd->r->resolve(rd->r->ctx, url, &target, &post);
		for (char *c = label; *c; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7F)
				*c = ' ';
		model_link(pg, to, target ? target : url, label, post,
		    spacing(rd) | (rd->blank ? BLOCK_BREAK : 0));
		pg->links[pg->nlinks - 1].line = rd->lineno;
		free(url);
		free(label);
		free(target);
		rd->any = true;
		rd->blank = false;
		return;
	}
	case L_HEADING: {
		int level = 0;
		while (level < 3 && skip < n && s[skip] == '#')
			level++, skip++;
		while (skip < n && (s[skip] == ' ' || s[skip] == '\t'))
			skip++;
		size_t first = pg->nruns;
		put_text(rd, s + skip, n - skip);
		struct block *b = model_add(pg, BLOCK_HEADING);
		b->level = level;
		b->text = (struct runs){first, pg->nruns - first};
		b->flags = spacing(rd);
		rd->any = true;
		rd->blank = false;
		return;
	}
	default:
		break;
	}
	if (rd->open == k) {
		if (k == L_ITEM) {
			model_end(pg);                 /* the previous item */
			pg->blocks[rd->list].list.nitems++;
			model_add(pg, BLOCK_ITEM);
			size_t first = pg->nruns;
			put_text(rd, s + skip, n - skip);
			struct block *b = model_add(pg, BLOCK_TEXT);
			b->text = (struct runs){first, pg->nruns - first};
		} else {
			model_add_run(pg, RUN_BREAK, NULL, 0, NO_LINK);
			put_text(rd, s + skip, n - skip);
		}
		return;
	}
	/* A new group. */
	unsigned flags = spacing(rd);
	rd->open = k;
	rd->any = true;
	rd->blank = false;
	if (k == L_QUOTE) {
		model_add(pg, BLOCK_QUOTE)->flags = flags;
	} else if (k == L_ITEM) {
		rd->list = pg->nblocks;
		struct block *b = model_add(pg, BLOCK_LIST);
		b->flags = flags;
		b->list.tight = true;
		b->list.bullet = '*';
		b->list.nitems = 1;
		b->list.start = 1;
		b->list.delim = '.';
		model_add(pg, BLOCK_ITEM);
		size_t first = pg->nruns;
		put_text(rd, s + skip, n - skip);
		struct block *t = model_add(pg, BLOCK_TEXT);
		t->text = (struct runs){first, pg->nruns - first};
		return;
	}
	/* Text and quote lines: the block is made when the group closes. */
	rd->flags = flags;
	rd->first = pg->nruns;
	put_text(rd, s + skip, n - skip);
}

void gemtext_blocks(struct model *pg, const char *text, size_t len,
    const struct link_resolver *r)
{
	struct reader rd = {.pg = pg, .r = r, .lineno = 1};
	const char *p = text, *end = text + len, *counted = text;

	while (p < end) {
		for (; counted < p; counted++)   /* lines read, or preformatted */
			rd.lineno += *counted == '\n';
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (n && p[n - 1] == '\r')
			n--;
		if (n >= 3 && strncmp(p, "```", 3) == 0) {
			/* Preformatted until the closing toggle line, or the end. */
			close_group(&rd);
			struct block *b = model_add(pg, BLOCK_PRE);
			b->flags = spacing(&rd);
			b->alt = model_strndup(pg, p + 3, n - 3);
			const char *body = nl ? nl + 1 : end, *q = body;
			while (q < end && !(end - q >= 3 && strncmp(q, "```", 3) == 0 &&
			    (q == body || q[-1] == '\n'))) {
				const char *e = memchr(q, '\n', (size_t)(end - q));
				q = e ? e + 1 : end;
			}
			b = &pg->blocks[pg->nblocks - 1];
			b->s = model_strndup(pg, body, (size_t)(q - body));
			b->len = (size_t)(q - body);
			rd.any = true;
			rd.blank = false;
			if (q >= end)
				break;
			nl = memchr(q, '\n', (size_t)(end - q));
			p = nl ? nl + 1 : end;
			continue;
		}
		line(&rd, p, n);
		/* Past the line as it was, CR included: a last line ending in
		 * a lone CR once kept the reader there for ever. */
		p = nl ? nl + 1 : end;
	}
	close_group(&rd);
}
