/* test_search.c - the search index: folding, every word required, prefixes,
 * ranking, bounds on queries, and excerpts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <stdlib.h>

#include "pollux/search.h"

#define SEARCH_RESULTS 64

static void fold_is(const char *in, const char *want)
{
	struct buf b = {0};
	search_fold(in, strlen(in), &b);
	assert_string_equal(b.data ? b.data : "", want);
	buf_free(&b);
}

static void folding(void **state)
{
	(void)state;
	fold_is("Émigré", "emigre");
	fold_is("C++ and C#, node.js", "c and c node js");
	fold_is("Straße ÆON œuvre Łódź", "strasse aeon oeuvre lodz");
	fold_is("e\xCC\x81te\xCC\x81", "ete");              /* combining marks */
	fold_is("ΑΘΗΝΑ Αθήνα", "αθηνα αθηνα");
	fold_is("МОСКВА Ёлка", "москва елка");
	fold_is("東京タワー", "東 京 タ ワ ー");
	fold_is("don’t—stop…now", "don t stop now");
	fold_is("", "");
}

static void one_character(void **state)
{
	(void)state;
	char out[4];
	size_t len;
	bool sep;
	assert_int_equal(search_fold_char("\xC3\x89x", 3, out, &len, &sep), 2);
	assert_int_equal(len, 1);
	assert_int_equal(out[0], 'e');
	assert_int_equal(search_fold_char("\xC3\x9F", 2, out, &len, &sep), 2);
	assert_int_equal(len, 2);
	assert_memory_equal(out, "ss", 2);
	assert_int_equal(search_fold_char("\xE6\x9D\xB1", 3, out, &len, &sep), 3);
	assert_int_equal(len, 3);                  /* 東, as it is */
	assert_int_equal(search_fold_char("+", 1, out, &len, &sep), 1);
	assert_int_equal(len, 0);
	assert_true(sep);
	assert_int_equal(search_fold_char("\xCC\x81", 2, out, &len, &sep), 2);
	assert_int_equal(len, 0);                  /* a combining accent */
	assert_false(sep);
}

static const char *const radar_tags[] = {"iot", "esp32"};
static const char *const django_tags[] = {"django", "payments"};
static const char *const none[] = {NULL};

static struct search_doc docs[] = {
	{"Radar for counting people", radar_tags, 2, "Privacy first.",
	    "An ESP32 and a mmWave radar count people. Radar again.", 0},
	{"Payments with Django", django_tags, 2, NULL,
	    "Stripe webhooks, idempotency and a radar of failures.", 0},
	{"Café notes", none, 0, "Émigré writers",
	    "Notes from a café in Paris. 東京 too.", 0},
};

static struct search_index *index_docs(void)
{
	for (size_t i = 0; i < 3; i++)
		docs[i].text_len = strlen(docs[i].text);
	return search_index_build(docs, 3);
}

static size_t ask(struct search_index *idx, const char *q,
    struct search_hit *hits)
{
	return search_query(idx, q, strlen(q), hits, 10);
}

static void queries(void **state)
{
	(void)state;
	struct search_index *idx = index_docs();
	struct search_hit hits[10];
	/* The title match ranks first, though the other has the word too. */
	assert_int_equal(ask(idx, "radar", hits), 2);
	assert_int_equal(hits[0].doc, 0);
	assert_int_equal(hits[0].heading, 1);
	assert_int_equal(hits[0].count, 3);
	assert_int_equal(hits[1].doc, 1);
	/* Every word must be there; prefixes count; case and accents not. */
	assert_int_equal(ask(idx, "RADAR stripe", hits), 1);
	assert_int_equal(hits[0].doc, 1);
	assert_int_equal(ask(idx, "cafe EMIGRE", hits), 1);
	assert_int_equal(hits[0].doc, 2);
	assert_int_equal(ask(idx, "idem", hits), 1);
	assert_int_equal(ask(idx, "esp32", hits), 1);     /* a tag */
	assert_int_equal(hits[0].heading, 1);
	assert_int_equal(ask(idx, "東京", hits), 1);
	/* No match, no words, only punctuation. */
	assert_int_equal(ask(idx, "radar zebra", hits), 0);
	assert_int_equal(ask(idx, "", hits), 0);
	assert_int_equal(ask(idx, " ,.;!? ", hits), 0);
	/* A word given twice counts once. */
	assert_int_equal(ask(idx, "radar radar", hits), 2);
	search_index_free(idx);
}

static void bounds(void **state)
{
	(void)state;
	struct search_index *idx = index_docs();
	struct search_hit hits[10];
	/* Over-long: only the first SEARCH_QUERY_MAX bytes are read, cut at
	 * a character; a word beyond them does not count. */
	char q[4096];
	size_t n = 0;
	n += (size_t)snprintf(q, sizeof q, "radar ");
	while (n < SEARCH_QUERY_MAX - 1)
		q[n++] = ' ';
	memcpy(q + n, "\xC3\xA9zebra", 7);   /* "é" across the cut */
	n += 7;
	assert_int_equal(search_query(idx, q, n, hits, 10), 2);
	/* More words than SEARCH_TERMS_MAX: the first ones count. */
	const char *many = "radar r ra rad rada radar radars x y z";
	assert_int_equal(ask(idx, many, hits), 0);     /* "radars": none */
	assert_int_equal(ask(idx, "r ra rad rada radar x1 x2 x3 zebra", hits),
	    0);
	/* Fewer hits asked for than found. */
	assert_int_equal(search_query(idx, "radar", 5, hits, 1), 2);
	search_index_free(idx);
	/* An empty index. */
	idx = search_index_build(NULL, 0);
	assert_int_equal(ask(idx, "radar", hits), 0);
	search_index_free(idx);
}

static void excerpts(void **state)
{
	(void)state;
	const char *text = "The first line.\nThen a long paragraph about the "
	    "mmWave Radar sensor and how it counts people in a room without "
	    "a camera, which is the whole point of it.";
	struct buf b = {0};
	search_excerpt(text, strlen(text), "radar", 5, 60, &b);
	assert_non_null(strstr(b.data, "Radar sensor"));
	assert_true(strncmp(b.data, "…", 3) == 0);
	assert_null(strchr(b.data, '\n'));
	assert_true(b.len < 60 + 40);
	buf_free(&b);
	search_excerpt(text, strlen(text), "zebra", 5, 60, &b);
	assert_int_equal(b.len, 0);
	buf_free(&b);
	search_excerpt("short radar", 11, "rad", 3, 60, &b);
	assert_string_equal(b.data, "short radar");
	buf_free(&b);
}

/* Many docs over a small vocabulary, so that most words are in most runs
 * of docs that a parallel build indexes apart. */
static struct search_doc *generated_docs(size_t n, char ***texts)
{
	static const char *const vocab[] = {"alpha", "alphabet", "beta",
	    "gamma", "délai", "delta", "epsilon", "zeta", "eta", "theta",
	    "東京", "iota", "kappa", "lambda", "mu"};
	const size_t nv = sizeof vocab / sizeof *vocab;
	struct search_doc *d = calloc(n, sizeof *d);
	*texts = calloc(n * 2, sizeof **texts);
	unsigned r = 1;
	for (size_t i = 0; i < n; i++) {
		struct buf t = {0}, title = {0};
		for (size_t w = 0; w < 1 + i % 40; w++) {
			r = r * 1103515245u + 12345u;
			buf_printf(&t, "%s ", vocab[(r >> 16) % nv]);
		}
		buf_printf(&title, "%s %zu", vocab[i % nv], i);
		(*texts)[2 * i] = buf_take(&t, &d[i].text_len);
		(*texts)[2 * i + 1] = buf_take(&title, NULL);
		d[i] = (struct search_doc){(*texts)[2 * i + 1], none, 0,
		    i % 3 ? NULL : "summary", (*texts)[2 * i], d[i].text_len};
	}
	return d;
}

/* An index built on several threads answers every query as one built on
 * one thread does. */
static void parallel_build(void **state)
{
	(void)state;
	const size_t n = 3000;
	char **texts;
	struct search_doc *d = generated_docs(n, &texts);
	setenv("POLLUX_LOAD_THREADS", "1", 1);
	struct search_index *one = search_index_build(d, n);
	setenv("POLLUX_LOAD_THREADS", "4", 1);
	struct search_index *four = search_index_build(d, n);
	unsetenv("POLLUX_LOAD_THREADS");
	static const char *const q[] = {"alpha", "alp", "a", "delai", "東",
	    "mu", "theta kappa", "eta", "1234", "summary", "zz", "e"};
	struct search_hit h1[SEARCH_RESULTS], h4[SEARCH_RESULTS];
	for (size_t i = 0; i < sizeof q / sizeof *q; i++) {
		size_t n1 = search_query(one, q[i], strlen(q[i]), h1,
		    SEARCH_RESULTS);
		size_t n4 = search_query(four, q[i], strlen(q[i]), h4,
		    SEARCH_RESULTS);
		assert_int_equal(n1, n4);
		size_t shown = n1 < SEARCH_RESULTS ? n1 : SEARCH_RESULTS;
		assert_memory_equal(h1, h4, shown * sizeof *h1);
	}
	search_index_free(one);
	search_index_free(four);
	for (size_t i = 0; i < 2 * n; i++)
		free(texts[i]);
	free(texts);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(folding),
		cmocka_unit_test(one_character),
		cmocka_unit_test(queries),
		cmocka_unit_test(bounds),
		cmocka_unit_test(excerpts),
		cmocka_unit_test(parallel_build),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
