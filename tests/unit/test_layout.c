/* test_layout.c - display columns, wrapping, cutting and tables: the one
 * place every writer measures text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pollux/layout.h"
#include "pollux/strset.h"
#include "pollux/util.h"

static void test_columns(void **state)
{
	(void)state;
	assert_int_equal(cp_columns('a'), 1);
	assert_int_equal(cp_columns(0x00E9), 1);     /* é */
	assert_int_equal(cp_columns(0x0301), 0);     /* combining acute */
	assert_int_equal(cp_columns(0x200B), 0);     /* zero width space */
	assert_int_equal(cp_columns(0x00AD), 1);     /* soft hyphen shows */
	assert_int_equal(cp_columns(0x65E5), 2);     /* 日 */
	assert_int_equal(cp_columns(0x3042), 2);     /* あ */
	assert_int_equal(cp_columns(0xAC00), 2);     /* 가 */
	assert_int_equal(cp_columns(0xFF21), 2);     /* fullwidth A */
	assert_int_equal(cp_columns(0xFF61), 1);     /* halfwidth ｡ */
	assert_int_equal(cp_columns(0x1F600), 2);    /* an emoji */
	assert_int_equal(cp_columns(0x20000), 2);    /* CJK extension B */
	assert_int_equal(cp_columns(0x1160), 0);     /* Hangul medial jamo */
	assert_int_equal(cp_columns('\t'), 0);
	/* "e" + combining acute, "日本", "a": 1 + 4 + 1. */
	const char *s = "e\xcc\x81\xe6\x97\xa5\xe6\x9c\xac" "a";
	assert_int_equal(text_columns(s, strlen(s)), 6);
	/* A bad byte stands for itself: one column. */
	assert_int_equal(text_columns("\xff" "a", 2), 2);
}

static void test_decode(void **state)
{
	(void)state;
	size_t len;
	assert_int_equal(utf8_decode("\xe6\x97\xa5", 3, &len), 0x65E5);
	assert_int_equal(len, 3);
	assert_int_equal(utf8_decode("\xe6\x97", 2, &len), 0xE6);  /* cut */
	assert_int_equal(len, 1);
	assert_int_equal(utf8_decode("\xc0\xaf", 2, &len), 0xC0);  /* overlong */
	assert_int_equal(len, 1);
	assert_int_equal(utf8_decode("\xed\xa0\x80", 3, &len), 0xED); /* surrogate */
}

static char *wrap(const char *s, size_t width, bool break_long)
{
	struct buf b = {0};
	wrap_text(s, strlen(s), width, break_long, &b);
	return b.data ? b.data : xstrdup("");
}

static void test_wrap(void **state)
{
	(void)state;
	char *s = wrap("aa bb   cc\ndd", 5, false);
	assert_string_equal(s, "aa bb\ncc\ndd\n");
	free(s);
	s = wrap("short averyveryverylongword end", 10, false);
	assert_string_equal(s, "short\naveryveryverylongword\nend\n");
	free(s);
	s = wrap("short averyveryverylongword end", 10, true);
	assert_string_equal(s, "short\naveryveryv\nerylongwor\nd end\n");
	free(s);
	/* Between CJK characters, by columns; "。" never starts a line. */
	s = wrap("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x80\x82", 4, false);
	assert_string_equal(s, "\xe6\x97\xa5\xe6\x9c\xac\n"
	    "\xe8\xaa\x9e\xe3\x80\x82\n");
	free(s);
	s = wrap("\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5", 4, false);
	assert_string_equal(s, "\xe6\x97\xa5\xe6\x97\xa5\n"
	    "\xe6\x97\xa5\xe6\x97\xa5\n");
	free(s);
	/* The glue keeps "[1]" with its word and prints as a space. */
	s = wrap("aaaa bbbb\x01[1]", 10, false);
	assert_string_equal(s, "aaaa\nbbbb [1]\n");
	free(s);
	/* URLs are never broken at CJK characters. */
	s = wrap("https://example.org/\xe6\x97\xa5\xe6\x97\xa5", 6, false);
	assert_string_equal(s, "https://example.org/\xe6\x97\xa5\xe6\x97\xa5\n");
	free(s);
	s = wrap("   \n  ", 10, false);
	assert_string_equal(s, "");
	free(s);
}

static void test_cut(void **state)
{
	(void)state;
	struct buf b = {0};
	cut_text(&b, "short", 5, 10);
	assert_string_equal(b.data, "short");
	b.len = 0;
	cut_text(&b, "one two three four", 18, 12);
	assert_string_equal(b.data, "one two…");
	b.len = 0;
	/* No space in the first half: cut between characters. */
	cut_text(&b, "abcdefghijklmnop qr", 19, 10);
	assert_string_equal(b.data, "abcdefghi…");
	b.len = 0;
	/* Wide characters: 日 is two columns, the "…" one. */
	cut_text(&b, "\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5", 12, 6);
	assert_string_equal(b.data, "\xe6\x97\xa5\xe6\x97\xa5…");
	assert_int_equal(text_columns(b.data, b.len), 5);
	b.len = 0;
	cut_text(&b, "Title: subtitle, and more", 25, 17);
	assert_string_equal(b.data, "Title: subtitle…");
	buf_free(&b);
}

static void test_table(void **state)
{
	(void)state;
	const char *text[] = {"a", "\xe6\x97\xa5", "ccc", "d"};
	struct buf cells[4] = {{0}}, out = {0};
	for (int i = 0; i < 4; i++)
		buf_puts(&cells[i], text[i]);
	table_lines(&out, cells, 2, 2, "lr", true);
	assert_string_equal(out.data,
	    "a   | \xe6\x97\xa5\n"
	    "----+---\n"
	    "ccc |  d\n");
	buf_free(&out);
	table_lines(&out, cells, 2, 2, "cl", false);
	assert_string_equal(out.data, " a  | \xe6\x97\xa5\nccc | d\n");
	buf_free(&out);
	for (int i = 0; i < 4; i++)
		buf_free(&cells[i]);
}

static void test_strset(void **state)
{
	(void)state;
	struct strset s = {0};
	bool added;
	char key[32];
	for (int i = 0; i < 1000; i++) {
		snprintf(key, sizeof key, "k%d", i % 700);
		size_t n = strset_add(&s, key, &added);
		assert_int_equal(added, i < 700);
		assert_int_equal(n, (size_t)(i % 700) + 1);
	}
	assert_int_equal(s.n, 700);
	assert_string_equal(s.v[41], "k41");
	strset_free(&s);
	assert_int_equal(s.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_columns),
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_wrap),
		cmocka_unit_test(test_cut),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_strset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
