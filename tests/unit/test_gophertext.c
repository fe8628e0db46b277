/* test_gophertext.c - Markdown through the walker and the Gopher writers:
 * text (wrapping, references, nesting, odd input) and menus (items, info
 * lines, widths), and the gophermap line writers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pollux/gophertext.h"
#include "pollux/layout.h"
#include "pollux/markdown.h"
#include "pollux/util.h"

static const struct gopher_out here = {{"h", 70}, NULL};

/* Renders md with r (NULL: links as written); the caller frees it. */
static char *render(const char *md, const struct link_resolver *r)
{
	struct buf out = {0};
	struct model *pg = model_new(NULL);

	markdown_blocks(pg, md, strlen(md), r);
	gophertext_write(pg, &here, &out);
	model_free(pg);
	char *s = xstrndup(out.data ? out.data : "", out.len);
	buf_free(&out);
	return s;
}

/* The same as a menu. */
static char *menu(const char *md, const struct link_resolver *r)
{
	struct buf out = {0};
	struct model *pg = model_new(NULL);

	markdown_blocks(pg, md, strlen(md), r);
	gophermenu_write(pg, &here, &out);
	model_free(pg);
	char *s = xstrndup(out.data ? out.data : "", out.len);
	buf_free(&out);
	return s;
}

/* Every line: LF-ended, no trailing space, at most max code points unless
 * it is a single word; no leading, trailing or doubled blank lines. */
static void check_shape(const char *s, size_t max)
{
	size_t n = strlen(s);
	const char *line = s, *nl;

	if (n == 0)
		return;
	assert_int_equal(s[n - 1], '\n');
	assert_true(n < 2 || s[n - 2] != '\n');
	assert_true(s[0] != '\n');
	assert_null(strstr(s, "\n\n\n"));
	assert_null(strchr(s, '\r'));
	while ((nl = strchr(line, '\n')) != NULL) {
		size_t len = (size_t)(nl - line);
		if (len > 0)
			assert_true(line[len - 1] != ' ');
		if (text_columns(line, len) > max) {
			/* Overlong only when it holds one unbreakable word
			 * (after any indentation or prefix). */
			const char *p = line;
			while (p < nl && (*p == ' ' || *p == '>' || *p == '-'))
				p++;
			assert_null(memchr(p, ' ', (size_t)(nl - p)));
		}
		line = nl + 1;
	}
}

static void test_empty(void **state)
{
	(void)state;
	char *s = render("", NULL);
	assert_string_equal(s, "");
	free(s);
	s = render("\n\n   \n<!-- only a comment -->\n", NULL);
	assert_string_equal(s, "");
	free(s);
}

static void test_appends(void **state)
{
	(void)state;
	struct buf out = {0};
	struct model *pg = model_new(NULL);
	markdown_blocks(pg, "\n\nhi\n", 5, NULL);
	buf_puts(&out, "HEAD\n");
	gophertext_write(pg, &here, &out);
	assert_string_equal(out.data, "HEAD\nhi\n");
	buf_free(&out);
	model_free(pg);
}

static void test_wrap_width(void **state)
{
	(void)state;
	struct buf md = {0};
	for (int i = 0; i < 200; i++)
		buf_printf(&md, "word%d ", i);
	char *s = render(md.data, NULL);
	check_shape(s, GOPHER_TEXT_WIDTH);
	/* Greedy: no line could have taken the next word. */
	for (char *l = s, *nl; (nl = strchr(l, '\n')); l = nl + 1) {
		char *next = nl + 1, *sp = strpbrk(next, " \n");
		if (!*next)
			break;
		assert_true((size_t)(nl - l) + 1 + (size_t)(sp - next) >
		    GOPHER_TEXT_WIDTH);
	}
	free(s);
	buf_free(&md);
}

static void test_long_word_alone(void **state)
{
	(void)state;
	char word[120], md[300];
	memset(word, 'x', 100);
	word[100] = '\0';
	snprintf(md, sizeof md, "before %s after\n\nhttps://example.com/%s\n",
	    word, word);
	char *s = render(md, NULL);
	char expect[400];
	snprintf(expect, sizeof expect,
	    "before\n%s\nafter\n\nhttps://example.com/%s\n", word, word);
	assert_string_equal(s, expect);
	free(s);
}

static void test_code_points(void **state)
{
	(void)state;
	/* 69 'é' (138 bytes) and one more word: fits only by code points. */
	struct buf md = {0};
	for (int i = 0; i < 68; i++)
		buf_puts(&md, "\xc3\xa9");
	buf_puts(&md, " a b");
	char *s = render(md.data, NULL);
	assert_int_equal(utf8_len(s, strcspn(s, "\n")), 70);
	assert_string_equal(s + strcspn(s, "\n"), "\nb\n");
	free(s);
	buf_free(&md);
}

static void test_cjk_breaks(void **state)
{
	(void)state;
	struct buf md = {0};
	for (int i = 0; i < 100; i++)
		buf_puts(&md, "\xe6\x97\xa5");	/* 日, no spaces at all */
	char *s = render(md.data, NULL);
	/* Two columns each: 35 on a line, not 70. */
	assert_int_equal(utf8_len(s, strcspn(s, "\n")), 35);
	assert_int_equal(text_columns(s, strcspn(s, "\n")), 70);
	check_shape(s, GOPHER_TEXT_WIDTH);
	free(s);
	buf_free(&md);
}

static void test_heading_underline(void **state)
{
	(void)state;
	char *s = render("# Caf\xc3\xa9\n\n## Two\n\n### Three\ntext\n", NULL);
	assert_string_equal(s, "Caf\xc3\xa9\n====\n\nTwo\n---\n\nThree\n-----"
	    "\n\ntext\n");
	free(s);
}

static void test_inlines(void **state)
{
	(void)state;
	char *s = render("*em* **strong** `co de` <b>x</b><br>y\n", NULL);
	assert_string_equal(s, "em strong `co de` x\ny\n");
	free(s);
}

static void test_references(void **state)
{
	(void)state;
	char *s = render("[a](http://a/) [b](http://b/) [again](http://a/) "
	    "![pic](http://p/i.png) ![](http://q/) <http://auto/> "
	    "<me@x.org> [](http://c/)\n", NULL);
	assert_string_equal(s,
	    "a [1] b [2] again [1] [image: pic] [3] [image: q] [4] http://auto/\n"
	    "me@x.org [5]\n"
	    "\n"
	    "References\n"
	    "----------\n"
	    "\n"
	    "[1] http://a/\n"
	    "[2] http://b/\n"
	    "[3] http://p/i.png\n"
	    "[4] http://q/\n"
	    "[5] http://c/\n");
	free(s);
}

static void test_reference_glue(void **state)
{
	(void)state;
	/* "[1]" never starts a line: it goes down with the word before it. */
	char md[200];
	snprintf(md, sizeof md, "%.*s [word](http://x/)\n", 64,
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	char *s = render(md, NULL);
	assert_non_null(strstr(s, "\nword [1]\n"));
	free(s);
}

static void test_many_references(void **state)
{
	(void)state;
	struct buf md = {0};
	for (int i = 0; i < 3000; i++)
		buf_printf(&md, "[l](http://h/%d) [m](http://h/%d)\n", i % 1000,
		    i);
	char *s = render(md.data, NULL);
	/* 3000 distinct URLs; the first 1000 reused. */
	assert_non_null(strstr(s, "\n[3000] http://h/2999\n"));
	assert_null(strstr(s, "[3001]"));
	assert_non_null(strstr(s, "\n[1]    http://h/0\n"));
	free(s);
	buf_free(&md);
}

static struct post post = {.slug = "post", .title = "Post",
    .date = "2026-01-02"};

static enum link_to resolve(void *ctx, const char *url, char **target,
    const struct post **p)
{
	int *calls = ctx;
	(*calls)++;
	*target = NULL;
	if (strcmp(url, "post.md") != 0)
		return LINK_URL;
	*p = &post;
	return LINK_POST_TEXT;
}

static void test_rewrite(void **state)
{
	(void)state;
	int calls = 0;
	struct link_resolver r = { resolve, &calls };
	char *s = render("[p](post.md) [q](post.md) ![i](img.png) "
	    "<https://x/>\n", &r);
	assert_int_equal(calls, 4);
	assert_string_equal(s, "p [1] q [1] [image: i] [2] https://x/\n\n"
	    "References\n----------\n\n[1] gopher://h/0/posts/post.txt\n"
	    "[2] img.png\n");
	free(s);
}

static void test_lists(void **state)
{
	(void)state;
	char *s = render("- a\n- b\n  - c\n\n9. x\n10. y\n\n* p\n\n  q\n\n* r\n"
	    "\n3) z\n", NULL);
	assert_string_equal(s,
	    "- a\n- b\n  - c\n\n"
	    " 9. x\n10. y\n\n"
	    "* p\n\n  q\n\n* r\n\n"
	    "3) z\n");
	free(s);
	s = render("-\n- x\n", NULL);
	assert_string_equal(s, "-\n- x\n");
	free(s);
}

static void test_list_wrap(void **state)
{
	(void)state;
	char *s = render("1. aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj "
	    "kkkk llll mmmm nnnn\n", NULL);
	assert_string_equal(s, "1. aaaa bbbb cccc dddd eeee ffff gggg hhhh "
	    "iiii jjjj kkkk llll mmmm\n   nnnn\n");
	free(s);
}

static void test_quotes(void **state)
{
	(void)state;
	char *s = render("> aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj "
	    "kkkk llll mmmm nnnn\n>\n> > x\n", NULL);
	assert_string_equal(s, "> aaaa bbbb cccc dddd eeee ffff gggg hhhh "
	    "iiii jjjj kkkk llll mmmm\n> nnnn\n>\n> > x\n");
	free(s);
}

static void test_code_block(void **state)
{
	(void)state;
	char *s = render("```\n\nx  \n\ta\n\n```\n\n    indented\n", NULL);
	assert_string_equal(s, "    x\n            a\n\n    indented\n");
	free(s);
	/* Only blank lines: nothing at all (found by fuzzing). */
	s = render("```\n\n\n\n\n```\n", NULL);
	assert_string_equal(s, "");
	free(s);
}

static void test_table(void **state)
{
	(void)state;
	char *s = render("| a | bb |\n|:-:|---:|\n| ccc | d\\|e |\n| [l](u) |\n",
	    NULL);
	assert_string_equal(s,
	    "      a   |  bb\n"
	    "    ------+----\n"
	    "     ccc  | d|e\n"
	    "    l [1] |\n"
	    "\nReferences\n----------\n\n[1] u\n");
	free(s);
	/* A single line, or a line without its pipes, is prose. */
	s = render("| a |\n", NULL);
	assert_string_equal(s, "| a |\n");
	free(s);
	s = render("| a |\n| b\n", NULL);
	assert_string_equal(s, "| a | | b\n");
	free(s);
}

static void test_html_and_break(void **state)
{
	(void)state;
	char *s = render("<div>\n<p>a &amp; b &#233;</p><style>p{}</style>"
	    "<script>x()</script>\nc\n</div>\n\n***\n", NULL);
	assert_string_equal(s, "a & b \xc3\xa9\nc\n\n"
	    "                                * * *\n");
	free(s);
}

static void test_deep_nesting(void **state)
{
	(void)state;
	struct buf md = {0};
	/* 50 levels of lists, then 50 of quotes, then both mixed. */
	for (int i = 0; i < 50; i++) {
		for (int k = 0; k < i * 2; k++)
			buf_putc(&md, ' ');
		buf_printf(&md, "- item %d with some words to wrap around\n", i);
	}
	buf_putc(&md, '\n');
	for (int i = 1; i <= 50; i++) {
		for (int k = 0; k < i; k++)
			buf_puts(&md, "> ");
		buf_printf(&md, "quote %d with words enough to wrap\n\n", i);
	}
	for (int i = 0; i < 50; i++)
		buf_puts(&md, "> - ");
	buf_puts(&md, "bottom\n");
	char *s = render(md.data, NULL);
	check_shape(s, 200);
	assert_non_null(strstr(s, "item 49"));
	assert_non_null(strstr(s, "quote 50"));
	assert_non_null(strstr(s, "bottom"));
	free(s);
	buf_free(&md);

	/* Thousands deep must not crash (cmark caps nothing here). */
	for (int i = 0; i < 5000; i++)
		buf_puts(&md, "> ");
	buf_puts(&md, "deep\n");
	s = render(md.data, NULL);
	assert_non_null(strstr(s, "deep"));
	free(s);
	buf_free(&md);
}

static void test_odd_bytes(void **state)
{
	(void)state;
	/* Invalid UTF-8, NUL, CR line ends and our own glue byte. */
	const char md[] = "a\xff\xfe b\r\nc\rd\x01" "e\0f\n";
	struct buf out = {0};
	struct model *pg = model_new(NULL);
	markdown_blocks(pg, md, sizeof md - 1, NULL);
	gophertext_write(pg, &here, &out);
	assert_true(utf8_valid(out.data, out.len));
	assert_null(memchr(out.data, '\x01', out.len));
	assert_null(memchr(out.data, '\0', out.len));
	check_shape(out.data, GOPHER_TEXT_WIDTH);
	buf_free(&out);
	model_free(pg);
}

static void test_item_escaping(void **state)
{
	(void)state;
	struct buf out = {0};
	gophermap_item(&out, '0', "a\tb\r\nc", "/x\ty\r\n", "host", 70);
	assert_string_equal(out.data, "0a b  c\t/xy\thost\t70\r\n");
	buf_free(&out);
	gophermap_item(&out, 'h', "esc\x1b[2Jape\x7f", "URL:x\x0f", "host", 70);
	assert_string_equal(out.data, "hesc [2Jape \tURL:x\thost\t70\r\n");
	buf_free(&out);
	gophermap_end(&out);
	assert_string_equal(out.data, ".\r\n");
	buf_free(&out);
}

static void test_info(void **state)
{
	(void)state;
	struct buf out = {0};
	gophermap_info(&out, "", 0);
	assert_string_equal(out.data, "i\t\tnull.host\t1\r\n");
	buf_free(&out);
	gophermap_info(&out, "tab\there  kept\r\n", 16);
	assert_string_equal(out.data, "itab here  kept  \t\tnull.host\t1\r\n");
	buf_free(&out);
}

/* Every line of a menu: four fields, CRLF; info lines at most 67
 * columns, display strings of items at most 69. Returns the lines. */
static size_t check_menu(const char *m)
{
	size_t n = strlen(m), lines = 0;
	assert_true(n >= 3 && strcmp(m + n - 3, ".\r\n") == 0);
	for (const char *p = m, *e; (e = strstr(p, "\r\n")) && *p != '.';
	    p = e + 2) {
		const char *tab = memchr(p, '\t', (size_t)(e - p));
		assert_non_null(tab);
		size_t tabs = 0;
		for (const char *t = p; t < e; t++)
			tabs += *t == '\t';
		assert_int_equal(tabs, 3);
		size_t cols = text_columns(p + 1, (size_t)(tab - p - 1));
		assert_true(cols <= (*p == 'i' ? GOPHER_INFO_WIDTH :
		    GOPHER_ITEM_WIDTH));
		lines++;
	}
	return lines;
}

static void test_menu_wraps_info(void **state)
{
	(void)state;
	struct buf md = {0};
	for (int i = 0; i < 30; i++)
		buf_printf(&md, "word%02d ", i);
	char big[100];
	memset(big, 'z', 90);
	big[90] = '\0';
	buf_printf(&md, "%s end\n\n", big);
	for (int i = 0; i < 60; i++)
		buf_puts(&md, "\xe6\x97\xa5");	/* 日, two columns each */
	buf_puts(&md, "\n");
	char *m = menu(md.data, NULL);
	check_menu(m);
	/* "wordNN" is 6 columns: 9 fit in 67 (62 columns). */
	assert_non_null(strstr(m, "iword00 word01 word02 word03 word04 word05 "
	    "word06 word07 word08\t\tnull.host\t1\r\n"));
	/* A word wider than a line is cut where the line ends. */
	assert_non_null(strstr(m, "izzzzzzzzzz"));
	free(m);
	buf_free(&md);
}

static enum link_to resolve_paths(void *ctx, const char *url, char **target,
    const struct post **p)
{
	(void)ctx, (void)p;
	if (strchr(url, ':'))
		return LINK_URL;
	*target = xstrdup(url);
	return LINK_FILE;
}

static void test_menu_items(void **state)
{
	(void)state;
	struct link_resolver r = {resolve_paths, NULL};
	char *m = menu("Read [the spec](https://example.org/spec) and "
	    "[notes](/notes/a.txt), or [the spec](https://example.org/spec) "
	    "again.\n\n"
	    "[A paragraph that is only a link](gopher://other.host:7070/0/x%20y)"
	    "\n\n![the wiring](/images/w.png)\n\n"
	    "[An item whose label is far too long to fit a menu line, so it is "
	    "cut at a word](/long.txt)\n", &r);
	check_menu(m);
	assert_string_equal(m,
	    "iRead the spec and notes, or the spec again.\t\tnull.host\t1\r\n"
	    "i\t\tnull.host\t1\r\n"
	    "hthe spec\tURL:https://example.org/spec\th\t70\r\n"
	    "0notes\t/notes/a.txt\th\t70\r\n"
	    "i\t\tnull.host\t1\r\n"
	    "0A paragraph that is only a link\t/x y\tother.host\t7070\r\n"
	    "i\t\tnull.host\t1\r\n"
	    "Ithe wiring\t/images/w.png\th\t70\r\n"
	    "i\t\tnull.host\t1\r\n"
	    "0An item whose label is far too long to fit a menu line, so it "
	    "is…\t/long.txt\th\t70\r\n"
	    ".\r\n");
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_appends),
		cmocka_unit_test(test_wrap_width),
		cmocka_unit_test(test_long_word_alone),
		cmocka_unit_test(test_code_points),
		cmocka_unit_test(test_cjk_breaks),
		cmocka_unit_test(test_heading_underline),
		cmocka_unit_test(test_inlines),
		cmocka_unit_test(test_references),
		cmocka_unit_test(test_reference_glue),
		cmocka_unit_test(test_many_references),
		cmocka_unit_test(test_rewrite),
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_list_wrap),
		cmocka_unit_test(test_quotes),
		cmocka_unit_test(test_code_block),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_html_and_break),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_odd_bytes),
		cmocka_unit_test(test_item_escaping),
		cmocka_unit_test(test_info),
		cmocka_unit_test(test_menu_wraps_info),
		cmocka_unit_test(test_menu_items),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
