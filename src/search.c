/* search.c - the search index: every post's words, folded (lower case,
 * accents off, a few Latin ligatures spelled out), with the posts each
 * appears in; a query is a few binary searches and a merge of posting lists. */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "pollux/pool.h"
#include "pollux/search.h"
#include "pollux/util.h"

#define WORD_MAX 64              /* longer words are cut (and still found) */
#define PREFIX_WORDS_MAX 20000   /* vocabulary words one query word expands to */
#define SEARCH_DOCS_PER_PART 256 /* fewer docs are not worth a thread */

enum { FIELD_TEXT = 0, FIELD_HEADING = 1 };

/* --- folding --------------------------------------------------------- */

/* Latin-1 Supplement and Latin Extended-A letters, U+00C0 to U+017F, as
 * ASCII: one letter each, or a digraph where the letter is one ("ae",
 * "ss"). '.' marks a code point that is not a letter (× and ÷). */
static const char latin[] =
    "aaaaaa" "\x01" "ceeeeiiiidnooooo.ouuuuy" "\x02" "\x03"   /* C0-DF */
    "aaaaaa" "\x01" "ceeeeiiiidnooooo.ouuuuy" "\x02" "y"      /* E0-FF */
    "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiii"      /* 100-131 */
    "\x04\x04" "jjkkkllllllllllnnnnnnnnnoooooo" "\x05\x05"   /* 132-153 */
    "rrrrrrssssssssttttttuuuuuuuuuuuuwwyyyzzzzzzs";           /* 154-17F */

static const char *const digraphs[] = {NULL, "ae", "th", "ss", "ij", "oe"};
_Static_assert(sizeof latin == 0x17F - 0xC0 + 2, "one entry a code point");

/* Decodes one UTF-8 sequence (the input is valid UTF-8; a stray byte is
 * taken as itself). Returns its length. */
static size_t decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	if (s[0] < 0x80 || n < 2) {
		*cp = s[0];
		return 1;
	}
	size_t len = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : 2;
	if (len > n) {
		*cp = s[0];
		return 1;
	}
	uint32_t c = s[0] & (0x7F >> len);
	for (size_t i = 1; i < len; i++)
		c = c << 6 | (s[i] & 0x3F);
	*cp = c;
	return len;
}

static size_t encode(uint32_t c, char *out)
{
	if (c < 0x80) {
		out[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (char)(0xC0 | c >> 6);
		out[1] = (char)(0x80 | (c & 0x3F));
		return 2;
	}
	if (c < 0x10000) {
		out[0] = (char)(0xE0 | c >> 12);
		out[1] = (char)(0x80 | (c >> 6 & 0x3F));
		out[2] = (char)(0x80 | (c & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | c >> 18);
	out[1] = (char)(0x80 | (c >> 12 & 0x3F));
	out[2] = (char)(0x80 | (c >> 6 & 0x3F));
	out[3] = (char)(0x80 | (c & 0x3F));
	return 4;
}

enum kind { SEPARATOR, LETTER, IDEOGRAPH, MARK };

/* What a code point is to a word. Not the full Unicode tables: the ranges
 * of punctuation and symbols separate words, combining marks vanish,
 * Chinese and Japanese characters are words of their own (those scripts
 * put no spaces between words), and anything else is a letter. */
static enum kind kind_of(uint32_t c)
{
	if (c < 0x80)
		return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') ? LETTER : SEPARATOR;
	if (c < 0xC0 || c == 0xD7 || c == 0xF7)
		return SEPARATOR;
	if ((c >= 0x300 && c <= 0x36F) || (c >= 0x200B && c <= 0x200F) ||
	    (c >= 0xFE00 && c <= 0xFE0F))
		return MARK;
	if ((c >= 0x2000 && c <= 0x2BFF) || (c >= 0x3000 && c <= 0x303F) ||
	    (c >= 0xFE30 && c <= 0xFE4F) || (c >= 0xFF00 && c <= 0xFF0F) ||
	    (c >= 0xFF1A && c <= 0xFF20) || (c >= 0xFF3B && c <= 0xFF40) ||
	    (c >= 0xFF5B && c <= 0xFF65) || (c >= 0x1F000 && c <= 0x1FAFF) ||
	    c == 0xFEFF)
		return SEPARATOR;
	if ((c >= 0x3040 && c <= 0x30FF) || (c >= 0x3400 && c <= 0x4DBF) ||
	    (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xF900 && c <= 0xFAFF) ||
	    (c >= 0x20000 && c <= 0x3134F))
		return IDEOGRAPH;
	return LETTER;
}

/* One letter folded into out (ASCII or UTF-8); returns its length. */
static size_t fold_letter(uint32_t c, char out[4])
{
	if (c >= 'A' && c <= 'Z') {
		out[0] = (char)(c + 32);
		return 1;
	}
	if (c >= 0xC0 && c <= 0x17F) {
		unsigned char f = (unsigned char)latin[c - 0xC0];
		if (f < sizeof digraphs / sizeof *digraphs) {
			memcpy(out, digraphs[f], 2);
			return 2;
		}
		out[0] = (char)f;
		return 1;
	}
	/* Greek and Cyrillic capitals, and their accented vowels. */
	if ((c >= 0x391 && c <= 0x3A9) || (c >= 0x410 && c <= 0x42F))
		c += 0x20;
	else if (c >= 0x400 && c <= 0x40F)
		c += 0x50;
	switch (c) {
	case 0x386: case 0x3AC: c = 0x3B1; break;
	case 0x388: case 0x3AD: c = 0x3B5; break;
	case 0x389: case 0x3AE: c = 0x3B7; break;
	case 0x38A: case 0x3AF: case 0x3CA: case 0x390: c = 0x3B9; break;
	case 0x38C: case 0x3CC: c = 0x3BF; break;
	case 0x38E: case 0x3CD: case 0x3CB: case 0x3B0: c = 0x3C5; break;
	case 0x38F: case 0x3CE: c = 0x3C9; break;
	case 0x3C2: c = 0x3C3; break;             /* final sigma */
	case 0x451: c = 0x435; break;             /* ё */
	}
	return encode(c, out);
}

/* Calls emit for each word of s[0..n): its folded bytes, and where it is
 * in s. Words longer than WORD_MAX are cut there. */
typedef void (*word_fn)(void *ctx, const char *word, size_t len,
    size_t from, size_t to);

static void words(const char *s, size_t n, word_fn emit, void *ctx)
{
	const unsigned char *u = (const unsigned char *)s;
	char word[WORD_MAX + 4];
	size_t len = 0, from = 0, i = 0;
	while (i < n) {
		unsigned char b = u[i];
		if (b < 0x80) {   /* most of a text: no decoding, no tables */
			bool upper = b >= 'A' && b <= 'Z';
			if (upper || (b >= 'a' && b <= 'z') ||
			    (b >= '0' && b <= '9')) {
				if (len == 0)
					from = i;
				if (len < WORD_MAX)
					word[len++] = (char)(upper ? b + 32 : b);
			} else if (len) {
				emit(ctx, word, len, from, i);
				len = 0;
			}
			i++;
			continue;
		}
		uint32_t c;
		size_t step = decode(u + i, n - i, &c);
		enum kind k = kind_of(c);
		if (k == MARK) {
			i += step;
			continue;
		}
		if (k != LETTER && len) {
			emit(ctx, word, len, from, i);
			len = 0;
		}
		if (k == IDEOGRAPH) {
			size_t m = encode(c, word);
			emit(ctx, word, m, i, i + step);
		} else if (k == LETTER) {
			if (len == 0)
				from = i;
			char f[4];
			size_t m = fold_letter(c, f);
			if (len + m <= WORD_MAX) {
				memcpy(word + len, f, m);
				len += m;
			}
		}
		i += step;
	}
	if (len)
		emit(ctx, word, len, from, n);
}

static void fold_word(void *ctx, const char *word, size_t len, size_t from,
    size_t to)
{
	(void)from, (void)to;
	struct buf *out = ctx;
	if (out->len)
		buf_putc(out, ' ');
	buf_put(out, word, len);
}

void search_fold(const char *s, size_t n, struct buf *out)
{
	words(s, n, fold_word, out);
}

size_t search_fold_char(const char *s, size_t n, char out[4], size_t *len,
    bool *separator)
{
	uint32_t c;
	size_t step = decode((const unsigned char *)s, n, &c);
	enum kind k = kind_of(c);
	*separator = k == SEPARATOR;
	*len = 0;
	if (k == LETTER)
		*len = fold_letter(c, out);
	else if (k == IDEOGRAPH)
		*len = encode(c, out);
	return step;
}

/* --- building -------------------------------------------------------- */

struct posting {
	uint32_t doc;
	uint16_t count;          /* occurrences in the doc, at most 65535 */
	uint8_t heading;         /* found in the title or a tag */
};

struct search_index {
	size_t ndocs;
	size_t nwords;
	char *text;              /* every word, NUL-terminated, in order */
	uint32_t *word;          /* word i starts at text + word[i]; sorted */
	uint32_t *first;         /* its postings: first[i] .. first[i + 1] */
	struct posting *postings;
};

/* --- one doc's terms ------------------------------------------------- */

struct term {
	uint32_t at;             /* the word, at text + at, NUL-terminated */
	uint32_t count;          /* occurrences in the doc */
	uint8_t len;             /* its length (at most WORD_MAX) */
	bool heading;            /* found in the title or a tag */
};

struct search_terms {
	size_t n;
	struct term *t;          /* each word of the doc once */
	char *text;
};

static uint64_t hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h;
}

/* Words to numbers through an open-addressing table: a doc's terms, and
 * an index's vocabulary. at[id] is the word's offset in text. */
struct words {
	struct buf text;
	uint32_t *at;
	size_t nids, capids;
	uint32_t *slots;         /* id + 1, 0 empty */
	size_t mask;
};

static void grow_slots(struct words *v)
{
	size_t size = v->mask ? (v->mask + 1) * 2 : 64;
	free(v->slots);
	v->slots = xcalloc(size, sizeof *v->slots);
	v->mask = size - 1;
	for (uint32_t id = 0; id < v->nids; id++) {
		const char *w = v->text.data + v->at[id];
		size_t s = hash(w, strlen(w)) & v->mask;
		while (v->slots[s])
			s = (s + 1) & v->mask;
		v->slots[s] = id + 1;
	}
}

/* The number of w[0..n), new ones numbered in order of arrival. */
static uint32_t word_id(struct words *v, const char *w, size_t n)
{
	if ((v->nids + 1) * 2 > v->mask + 1)
		grow_slots(v);
	size_t s = hash(w, n) & v->mask;
	for (; v->slots[s]; s = (s + 1) & v->mask) {
		const char *have = v->text.data + v->at[v->slots[s] - 1];
		if (strncmp(have, w, n) == 0 && have[n] == '\0')
			return v->slots[s] - 1;
	}
	if (v->nids == v->capids) {
		v->capids = v->capids ? v->capids * 2 : 64;
		v->at = xrealloc(v->at, v->capids * sizeof *v->at);
	}
	v->at[v->nids] = (uint32_t)v->text.len;
	buf_put(&v->text, w, n);
	buf_putc(&v->text, '\0');
	v->slots[s] = (uint32_t)v->nids + 1;
	return (uint32_t)v->nids++;
}

static void words_free(struct words *v)
{
	buf_free(&v->text);
	free(v->at);
	free(v->slots);
}

struct reading {
	struct words v;
	struct term *t;          /* by word id */
	size_t cap;
	bool heading;            /* the field being read */
};

static void count_term(void *ctx, const char *w, size_t n, size_t from,
    size_t to)
{
	(void)from, (void)to;
	struct reading *r = ctx;
	size_t known = r->v.nids;
	uint32_t id = word_id(&r->v, w, n);
	if (id == known) {   /* a word new to this doc */
		if (r->cap == known) {
			r->cap = r->cap ? r->cap * 2 : 64;
			r->t = xrealloc(r->t, r->cap * sizeof *r->t);
		}
		r->t[id] = (struct term){r->v.at[id], 0, (uint8_t)n, false};
	}
	r->t[id].count++;
	r->t[id].heading |= r->heading;
}

struct search_terms *search_terms_new(const struct search_doc *doc)
{
	struct reading r = {.heading = true};
	words(doc->title, strlen(doc->title), count_term, &r);
	for (size_t i = 0; i < doc->ntags; i++)
		words(doc->tags[i], strlen(doc->tags[i]), count_term, &r);
	r.heading = false;
	if (doc->summary)
		words(doc->summary, strlen(doc->summary), count_term, &r);
	words(doc->text, doc->text_len, count_term, &r);
	/* One block, sized to fit: a load keeps one for every post. */
	size_t n = r.v.nids, len = r.v.text.len;
	struct search_terms *t = xmalloc(sizeof *t + n * sizeof *t->t + len + 1);
	t->n = n;
	t->t = (struct term *)(t + 1);
	t->text = (char *)(t->t + n);
	if (n)
		memcpy(t->t, r.t, n * sizeof *t->t);
	if (len)
		memcpy(t->text, r.v.text.data, len);
	t->text[len] = '\0';
	words_free(&r.v);
	free(r.t);
	return t;
}

void search_terms_free(struct search_terms *t)
{
	free(t);
}

/* --- the index ------------------------------------------------------- */

/* The build of one run of docs: its vocabulary and every posting. */
struct build {
	struct words v;
	/* Every (word id, posting), in doc order. */
	struct { uint32_t id; struct posting p; } *all;
	size_t nall, capall;
};

static int cmp_ids_by_word(const void *x, const void *y, void *text)
{
	return strcmp((const char *)text + *(const uint32_t *)x,
	    (const char *)text + *(const uint32_t *)y);
}

/* The index of the docs with terms[from..to), doc numbers counted from 0
 * of all docs. */
static struct search_index *build_part(struct search_terms *const *terms,
    size_t from, size_t to)
{
	struct build b = {0};
	for (size_t d = from; d < to; d++) {
		const struct search_terms *t = terms[d];
		if (b.nall + t->n > b.capall) {
			b.capall = b.capall * 2 > b.nall + t->n ? b.capall * 2 :
			    b.nall + t->n;
			b.all = xrealloc(b.all, b.capall * sizeof *b.all);
		}
		for (size_t k = 0; k < t->n; k++) {
			const struct term *w = &t->t[k];
			b.all[b.nall].id = word_id(&b.v, t->text + w->at, w->len);
			b.all[b.nall].p = (struct posting){(uint32_t)d,
			    (uint16_t)(w->count > 65535 ? 65535 : w->count),
			    w->heading};
			b.nall++;
		}
	}

	struct search_index *idx = xcalloc(1, sizeof *idx);
	idx->ndocs = to;
	size_t nids = b.v.nids;
	idx->nwords = nids;
	idx->text = buf_take(&b.v.text, NULL);
	/* Word ids in alphabetical order, for prefix lookups. */
	uint32_t *order = xmalloc((nids ? nids : 1) * sizeof *order);
	for (uint32_t id = 0; id < nids; id++)
		order[id] = b.v.at[id];
	/* Sorting offsets, not ids: map back through a rank per offset. */
	if (nids)
		qsort_r(order, nids, sizeof *order, cmp_ids_by_word, idx->text);
	idx->word = order;
	uint32_t *rank = xmalloc((nids ? nids : 1) * sizeof *rank);
	/* at[] rises with id, so an offset's id is found by bsearch. */
	for (uint32_t r = 0; r < nids; r++) {
		uint32_t lo = 0, hi = (uint32_t)nids;
		while (hi - lo > 1) {
			uint32_t mid = (lo + hi) / 2;
			if (b.v.at[mid] <= order[r])
				lo = mid;
			else
				hi = mid;
		}
		rank[lo] = r;
	}
	/* Postings grouped by word rank (a counting sort keeps doc order). */
	idx->first = xcalloc(nids + 1, sizeof *idx->first);
	for (size_t i = 0; i < b.nall; i++)
		idx->first[rank[b.all[i].id] + 1]++;
	for (size_t r = 0; r < nids; r++)
		idx->first[r + 1] += idx->first[r];
	idx->postings = xmalloc((b.nall ? b.nall : 1) * sizeof *idx->postings);
	uint32_t *fill = xmalloc((nids ? nids : 1) * sizeof *fill);
	memcpy(fill, idx->first, nids * sizeof *fill);
	for (size_t i = 0; i < b.nall; i++)
		idx->postings[fill[rank[b.all[i].id]]++] = b.all[i].p;
	free(fill);
	free(rank);
	words_free(&b.v);
	free(b.all);
	return idx;
}

static const char *word_at(const struct search_index *idx, size_t i)
{
	return idx->text + idx->word[i];
}

/* One index of parts that cover consecutive runs of docs, in doc order:
 * their vocabularies merged, each word's postings laid end to end, so the
 * result is the index a single pass would have built. Frees the parts. */
static struct search_index *merge_parts(struct search_index **part,
    size_t nparts)
{
	struct search_index *idx = xcalloc(1, sizeof *idx);
	size_t words = 0, postings = 0, pos[POOL_THREADS_MAX] = {0};
	for (size_t k = 0; k < nparts; k++) {
		words += part[k]->nwords;
		postings += part[k]->first[part[k]->nwords];
		idx->ndocs = part[k]->ndocs;
	}
	struct buf text = {0};
	idx->word = xmalloc((words ? words : 1) * sizeof *idx->word);
	idx->first = xmalloc((words + 1) * sizeof *idx->first);
	idx->postings = xmalloc((postings ? postings : 1) *
	    sizeof *idx->postings);
	size_t nw = 0, np = 0;
	for (;;) {
		/* The least word at the head of any part. */
		const char *least = NULL;
		for (size_t k = 0; k < nparts; k++)
			if (pos[k] < part[k]->nwords && (!least ||
			    strcmp(word_at(part[k], pos[k]), least) < 0))
				least = word_at(part[k], pos[k]);
		if (!least)
			break;
		idx->word[nw] = (uint32_t)text.len;
		idx->first[nw++] = (uint32_t)np;
		buf_put(&text, least, strlen(least) + 1);
		for (size_t k = 0; k < nparts; k++) {
			const struct search_index *p = part[k];
			if (pos[k] == p->nwords || strcmp(word_at(p, pos[k]),
			    text.data + idx->word[nw - 1]) != 0)
				continue;
			size_t n = p->first[pos[k] + 1] - p->first[pos[k]];
			memcpy(idx->postings + np, p->postings + p->first[pos[k]],
			    n * sizeof *idx->postings);
			np += n;
			pos[k]++;
		}
	}
	idx->first[nw] = (uint32_t)np;
	idx->nwords = nw;
	idx->text = buf_take(&text, NULL);
	for (size_t k = 0; k < nparts; k++)
		search_index_free(part[k]);
	return idx;
}

/* Runs of docs, indexed by whichever thread takes each next. */
struct parts {
	struct search_terms *const *terms;
	size_t ndocs;
	unsigned nparts;
	atomic_uint next;
	struct search_index *part[POOL_THREADS_MAX];
};

static void *build_parts(void *arg)
{
	struct parts *p = arg;
	unsigned k;
	while ((k = atomic_fetch_add(&p->next, 1)) < p->nparts)
		p->part[k] = build_part(p->terms, p->ndocs * k / p->nparts,
		    p->ndocs * (k + 1) / p->nparts);
	return NULL;
}

struct search_index *search_index_of_terms(struct search_terms *const *terms,
    size_t n)
{
	/* Runs of docs are indexed on threads of their own, then merged. */
	struct parts p = {terms, n, pool_threads(n, SEARCH_DOCS_PER_PART), 0,
	    {NULL}};
	if (p.nparts <= 1)
		return build_part(terms, 0, n);
	pool_run(p.nparts, build_parts, &p);
	return merge_parts(p.part, p.nparts);
}

struct search_index *search_index_build(const struct search_doc *docs,
    size_t n)
{
	struct search_terms **terms = xcalloc(n ? n : 1, sizeof *terms);
	for (size_t i = 0; i < n; i++)
		terms[i] = search_terms_new(&docs[i]);
	struct search_index *idx = search_index_of_terms(terms, n);
	for (size_t i = 0; i < n; i++)
		search_terms_free(terms[i]);
	free(terms);
	return idx;
}

void search_index_free(struct search_index *idx)
{
	if (!idx)
		return;
	free(idx->text);
	free(idx->word);
	free(idx->first);
	free(idx->postings);
	free(idx);
}

/* --- querying -------------------------------------------------------- */

struct terms {
	char word[SEARCH_TERMS_MAX][WORD_MAX + 4];
	size_t len[SEARCH_TERMS_MAX];
	size_t n;
};

static void add_term(void *ctx, const char *w, size_t n, size_t from,
    size_t to)
{
	(void)from, (void)to;
	struct terms *t = ctx;
	for (size_t i = 0; i < t->n; i++)
		if (t->len[i] == n && memcmp(t->word[i], w, n) == 0)
			return;                    /* a word given twice */
	if (t->n == SEARCH_TERMS_MAX)
		return;
	memcpy(t->word[t->n], w, n);
	t->word[t->n][n] = '\0';
	t->len[t->n++] = n;
}

static void parse_terms(const char *query, size_t len, struct terms *t)
{
	t->n = 0;
	if (len > SEARCH_QUERY_MAX) {
		len = SEARCH_QUERY_MAX;
		/* Cut at a character boundary. */
		while (len && ((unsigned char)query[len] & 0xC0) == 0x80)
			len--;
	}
	words(query, len, add_term, t);
}

/* The first vocabulary word >= w. */
static size_t lower_bound(const struct search_index *idx, const char *w)
{
	size_t lo = 0, hi = idx->nwords;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (strcmp(idx->text + idx->word[mid], w) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct tally {
	uint32_t stamp;          /* the last term that reached this doc, + 1 */
	uint16_t terms;          /* terms found */
	uint16_t heading;        /* terms found in the title or a tag */
	uint32_t count;
	bool heading_now;        /* the current term was in a heading */
};

static int cmp_hits(const void *x, const void *y)
{
	const struct search_hit *a = x, *b = y;
	if (a->heading != b->heading)
		return a->heading > b->heading ? -1 : 1;
	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	return (a->doc > b->doc) - (a->doc < b->doc);
}

size_t search_query(const struct search_index *idx, const char *query,
    size_t len, struct search_hit *hits, size_t max)
{
	struct terms t;
	parse_terms(query, len, &t);
	if (!idx || t.n == 0 || idx->ndocs == 0)
		return 0;
	struct tally *tally = xcalloc(idx->ndocs, sizeof *tally);
	for (size_t k = 0; k < t.n; k++) {
		size_t expanded = 0;
		for (size_t w = lower_bound(idx, t.word[k]); w < idx->nwords &&
		    expanded < PREFIX_WORDS_MAX && strncmp(idx->text +
		    idx->word[w], t.word[k], t.len[k]) == 0; w++, expanded++) {
			for (uint32_t p = idx->first[w]; p < idx->first[w + 1];
			    p++) {
				const struct posting *ps = &idx->postings[p];
				struct tally *d = &tally[ps->doc];
				/* Only docs that had every earlier term. */
				if (d->terms != k)
					continue;
				if (d->stamp != k + 1) {
					d->stamp = (uint32_t)k + 1;
					d->heading_now = false;
				}
				d->count += ps->count;
				d->heading_now |= ps->heading;
			}
		}
		for (size_t d = 0; d < idx->ndocs; d++)
			if (tally[d].stamp == k + 1) {
				tally[d].terms++;
				tally[d].heading += tally[d].heading_now;
			}
	}
	size_t found = 0;
	struct search_hit *all = xmalloc(idx->ndocs * sizeof *all);
	for (size_t d = 0; d < idx->ndocs; d++)
		if (tally[d].terms == t.n)
			all[found++] = (struct search_hit){d, tally[d].heading,
			    tally[d].count};
	free(tally);
	if (found)
		qsort(all, found, sizeof *all, cmp_hits);
	memcpy(hits, all, (found < max ? found : max) * sizeof *hits);
	free(all);
	return found;
}

/* --- excerpts -------------------------------------------------------- */

struct first_match {
	const struct terms *t;
	bool found;
	size_t from, to;
};

static void match_word(void *ctx, const char *w, size_t n, size_t from,
    size_t to)
{
	struct first_match *m = ctx;
	if (m->found)
		return;
	for (size_t k = 0; k < m->t->n; k++)
		if (n >= m->t->len[k] && memcmp(w, m->t->word[k],
		    m->t->len[k]) == 0) {
			m->found = true;
			m->from = from;
			m->to = to;
			return;
		}
}

static bool space(char c)
{
	return c == ' ' || c == '\n' || c == '\t' || c == '\r';
}

void search_excerpt(const char *text, size_t n, const char *query,
    size_t len, size_t width, struct buf *out)
{
	struct terms t;
	parse_terms(query, len, &t);
	struct first_match m = {&t, false, 0, 0};
	if (t.n)
		words(text, n, match_word, &m);
	if (!m.found)
		return;
	/* A third of the width before the match, the rest after, widened
	 * to whole words and whole characters. */
	size_t from = m.from > width / 3 ? m.from - width / 3 : 0;
	size_t to = from + width < n ? from + width : n;
	if (to < m.to)
		to = m.to;
	while (from > 0 && !space(text[from - 1]))
		from--;
	while (to < n && !space(text[to]) && to - m.to < width)
		to++;
	while (to < n && ((unsigned char)text[to] & 0xC0) == 0x80)
		to++;
	if (from > 0)
		buf_puts(out, "…");
	bool was_space = true;
	for (size_t i = from; i < to; i++) {
		if (space(text[i])) {
			if (!was_space)
				buf_putc(out, ' ');
			was_space = true;
		} else {
			buf_putc(out, text[i]);
			was_space = false;
		}
	}
	while (out->len && out->data[out->len - 1] == ' ')
		out->data[--out->len] = '\0';
	if (to < n)
		buf_puts(out, "…");
}
