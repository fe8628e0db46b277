/* test_frontmatter.c - front matter: every field, both tag syntaxes, and
 * every bad case with the line it is reported on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "pollux/post.h"
#include "pollux/util.h"

static int parse(const char *text, struct post *p, struct fm_error *err)
{
	memset(p, 0, sizeof *p);
	memset(err, 0, sizeof *err);
	return frontmatter_parse(text, strlen(text), p, err);
}

static void every_field(void **state)
{
	(void)state;
	const char *text = "---\n"
	    "title: \"ESP32 + mmWave: People Counting\"\n"
	    "summary: One line.\n"
	    "date: 2026-03-28\n"
	    "tags: [IoT, esp32, Retail Tech, iot]\n"
	    "read_time: 14  # minutes\n"
	    "draft: false\n"
	    "slug: esp32-radar\n"
	    "lang: en-GB\n"
	    "layout: post\n"
	    "categories: {a: [1, 2]}\n"
	    "---\n"
	    "Body starts here.\n";
	struct post p;
	struct fm_error err;
	assert_int_equal(parse(text, &p, &err), 0);
	assert_string_equal(p.title, "ESP32 + mmWave: People Counting");
	assert_string_equal(p.summary, "One line.");
	assert_string_equal(p.date, "2026-03-28");
	/* Names as written (the first of two spellings), paths folded. */
	assert_int_equal(p.ntags, 3);
	assert_string_equal(p.tags[0].name, "IoT");
	assert_string_equal(p.tags[0].path, "iot");
	assert_int_equal(p.tags[0].line, 5);
	assert_string_equal(p.tags[1].path, "esp32");
	assert_string_equal(p.tags[2].name, "Retail Tech");
	assert_string_equal(p.tags[2].path, "retail-tech");
	assert_int_equal(p.read_time, 14);
	assert_false(p.draft);
	assert_string_equal(p.slug, "esp32-radar");
	assert_string_equal(p.lang, "en-GB");
	assert_int_equal(p.body_line, 13);
	assert_true(strncmp(p.body, "Body starts here.\n", p.body_len) == 0);
	post_clear(&p);
}

static void tag_syntaxes(void **state)
{
	(void)state;
	struct post p;
	struct fm_error err;
	assert_int_equal(parse("---\ntitle: t\ndate: 2025-01-01\ntags:\n  - Linux\n"
	    "  - networking\n---\n", &p, &err), 0);
	assert_int_equal(p.ntags, 2);
	assert_string_equal(p.tags[0].path, "linux");
	assert_int_equal(p.tags[1].line, 6);
	post_clear(&p);
	assert_int_equal(parse("---\ntitle: t\ndate: 2025-01-01\n"
	    "tags: \"linux, networking ,, performance\"\n---\n", &p, &err), 0);
	assert_int_equal(p.ntags, 3);
	assert_string_equal(p.tags[2].path, "performance");
	post_clear(&p);
	/* Any text: the issue's five, and spaces inside a name kept as one. */
	assert_int_equal(parse("---\ntitle: t\ndate: 2025-01-01\n"
	    "tags: [C++, \"C#\", Émigré, node.js, \"machine   learning\"]\n"
	    "---\n", &p, &err), 0);
	assert_int_equal(p.ntags, 5);
	static const char *const names[] = {"C++", "C#", "Émigré", "node.js",
	    "machine learning"};
	static const char *const paths[] = {"c-plus-plus", "c-sharp", "emigre",
	    "node-js", "machine-learning"};
	for (size_t i = 0; i < 5; i++) {
		assert_string_equal(p.tags[i].name, names[i]);
		assert_string_equal(p.tags[i].path, paths[i]);
	}
	post_clear(&p);
	/* Old addresses: a list or one path; relative to /posts/. */
	assert_int_equal(parse("---\ntitle: t\ndate: 2025-01-01\naliases:\n"
	    "  - /posts/old-name.gmi\n  - /2024/05/old-name/\n  - older.gmi\n"
	    "  - /posts/old-name.gmi\n  - /a%20b/../caf%C3%A9\n---\n", &p, &err),
	    0);
	assert_int_equal(p.naliases, 4);
	assert_string_equal(p.aliases[0].path, "/posts/old-name.gmi");
	assert_int_equal(p.aliases[0].line, 5);
	assert_string_equal(p.aliases[1].path, "/2024/05/old-name/");
	assert_string_equal(p.aliases[2].path, "/posts/older.gmi");
	assert_string_equal(p.aliases[3].path, "/café");
	post_clear(&p);
	assert_int_equal(parse("---\ntitle: t\ndate: 2025-01-01\n"
	    "aliases: /old/\n---\n", &p, &err), 0);
	assert_int_equal(p.naliases, 1);
	post_clear(&p);
}

static void crlf_bom_and_dots(void **state)
{
	(void)state;
	struct post p;
	struct fm_error err;
	assert_int_equal(parse("\xEF\xBB\xBF---\r\ntitle: t\r\ndate: 2024-02-29\r\n"
	    "draft: yes\r\n...\r\nbody\r\n", &p, &err), 0);
	assert_true(p.draft);
	assert_string_equal(p.date, "2024-02-29");
	assert_int_equal(p.body_line, 6);
	post_clear(&p);
	/* A date-time keeps its day. */
	assert_int_equal(parse("---\ntitle: t\ndate: 2026-03-28T10:00:00Z\n---\n",
	    &p, &err), 0);
	assert_string_equal(p.date, "2026-03-28");
	post_clear(&p);
}

/* Dates and date-times as Hugo and Jekyll write them: the day as written,
 * the feed's RFC 3339 stamp with its offset, and UTC seconds to sort by. */
static void dates_and_times(void **state)
{
	(void)state;
	static const struct {
		const char *in, *day, *stamp;
		long long epoch;
	} ok[] = {
		{"2026-03-28", "2026-03-28", "2026-03-28T00:00:00Z", 1774656000},
		{"2026-03-28T10:30:00+05:30", "2026-03-28",
		    "2026-03-28T10:30:00+05:30", 1774674000},
		{"2026-03-28t10:30:00.123456z", "2026-03-28",
		    "2026-03-28T10:30:00Z", 1774693800},
		{"2026-03-28 10:30", "2026-03-28", "2026-03-28T10:30:00Z",
		    1774693800},
		{"2016-02-05 14:10:00 +0100", "2016-02-05",
		    "2016-02-05T14:10:00+01:00", 1454677800},
		{"2026-03-28T23:30:00-05:00", "2026-03-28",
		    "2026-03-28T23:30:00-05:00", 1774758600},
		{"2024-02-29T00:00:00Z", "2024-02-29", "2024-02-29T00:00:00Z",
		    1709164800},
	};
	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
		char text[200];
		struct post p;
		struct fm_error err;
		snprintf(text, sizeof text, "---\ntitle: t\ndate: %s\n"
		    "updated: %s\n---\n", ok[i].in, ok[i].in);
		assert_int_equal(parse(text, &p, &err), 0);
		assert_string_equal(p.date, ok[i].day);
		assert_string_equal(p.date_rfc3339, ok[i].stamp);
		assert_int_equal(p.date_epoch, ok[i].epoch);
		assert_string_equal(p.updated_rfc3339, ok[i].stamp);
		post_clear(&p);
	}
	static const char *bad[] = {"2026-03-28T24:00:00Z", "2026-03-28T10:60",
	    "2026-03-28T10:30:61Z", "2026-03-28T10:30:00+24:00",
	    "2026-03-28T10:30:00+05:60", "2026-03-28T10", "2026-03-28T",
	    "2026-03-28T10:30:00+0530x", "2026-3-28",
	    "2026-02-29", "1969-12-31", "2026-03-28 10:30:00 UTC"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		char text[200];
		struct post p;
		struct fm_error err;
		snprintf(text, sizeof text, "---\ntitle: t\ndate: %s\n---\n",
		    bad[i]);
		assert_int_equal(parse(text, &p, &err), -1);
		assert_int_equal(err.line, 3);
		assert_non_null(strstr(err.msg, "not a real date"));
		post_clear(&p);
	}
	/* updated: before date is a mistake worth saying. */
	struct post p;
	struct fm_error err;
	assert_int_equal(parse("---\ntitle: t\ndate: 2026-03-28T10:00:00Z\n"
	    "updated: 2026-03-28T09:00:00Z\n---\n", &p, &err), -1);
	assert_non_null(strstr(err.msg, "before date"));
	post_clear(&p);
}

struct bad {
	const char *text;
	unsigned line;
	const char *msg;
};

static void bad_cases(void **state)
{
	(void)state;
	static const struct bad cases[] = {
		{"", 1, "no front matter"},
		{"no front matter\n", 1, "no front matter"},
		{"---\n", 1, "not closed"},
		{"---\ntitle: t\ndate: 2025-01-01\n", 1, "not closed"},
		{"---\ndate: 2025-01-01\n---\n", 2, "title is missing"},
		{"---\ntitle: t\n---\n", 2, "date is missing"},
		{"---\ntitle: \"\"\ndate: 2025-01-01\n---\n", 2, "title is empty"},
		{"---\ntitle: t\n\ndate: 2025-02-30\n---\n", 4, "not a real date"},
		{"---\ntitle: t\ndate: 2025-13-01\n---\n", 3, "not a real date"},
		{"---\ntitle: t\ndate: 2023-02-29\n---\n", 3, "not a real date"},
		{"---\ntitle: t\ndate: 1969-12-31\n---\n", 3, "not a real date"},
		{"---\ntitle: t\ndate: 28/03/2026\n---\n", 3, "not a real date"},
		{"---\ntitle: t\ndate: 2025-1-1\n---\n", 3, "not a real date"},
		{"---\ntitle: t\ndate: 2025-01-01\nx: [a\n---\n", 5, "invalid YAML"},
		{"---\ntitle: \"open\ndate: 2025-01-01\n---\n", 4, "invalid YAML"},
		{"---\n- a list\n---\n", 2, "key: value"},
		{"---\ntitle: [a, b]\ndate: 2025-01-01\n---\n", 2, "plain text"},
		{"---\ntitle: a\ntitle: b\ndate: 2025-01-01\n---\n", 3, "twice"},
		{"---\ntitle: t\ndate: 2025-01-01\ntags: {a: b}\n---\n", 4, "tags must"},
		{"---\ntitle: t\ndate: 2025-01-01\ntags: [\"..\"]\n---\n", 4,
		    "no letter or digit"},
		{"---\ntitle: t\ndate: 2025-01-01\ntags:\n  - ok\n  - \"🚀\"\n---\n",
		    6, "no letter or digit"},
		{"---\ntitle: t\ndate: 2025-01-01\naliases: {a: b}\n---\n", 4,
		    "aliases must"},
		{"---\ntitle: t\ndate: 2025-01-01\naliases:\n  - [x]\n---\n", 5,
		    "each alias"},
		{"---\ntitle: t\ndate: 2025-01-01\naliases: [gemini://h/x]\n---\n",
		    4, "is a URL"},
		{"---\ntitle: t\ndate: 2025-01-01\naliases: [/a?b]\n---\n", 4,
		    "query"},
		{"---\ntitle: t\ndate: 2025-01-01\naliases: [/../../x]\n---\n", 4,
		    "above"},
		{"---\ntitle: t\ndate: 2025-01-01\naliases: [/.git/x]\n---\n", 4,
		    "dotfile"},
		{"---\ntitle: t\ndate: 2025-01-01\naliases: [/a%0Ab]\n---\n", 4,
		    "control"},
		{"---\ntitle: t\ndate: 2025-01-01\naliases: [/a%ZZ]\n---\n", 4,
		    "escape"},
		{"---\ntitle: t\ndate: 2025-01-01\naliases: [/a%FF]\n---\n", 4,
		    "UTF-8"},
		{"---\ntitle: t\ndate: 2025-01-01\nread_time: -3\n---\n", 4, "read_time"},
		{"---\ntitle: t\ndate: 2025-01-01\nread_time: soon\n---\n", 4, "read_time"},
		{"---\ntitle: t\ndate: 2025-01-01\ndraft: maybe\n---\n", 4, "draft"},
		{"---\ntitle: t\ndate: 2025-01-01\nslug: ../x\n---\n", 4, "slug"},
		{"---\ntitle: t\ndate: 2025-01-01\nslug: Has Space\n---\n", 4, "slug"},
		{"---\ntitle: t\ndate: 2025-01-01\nlang: english!\n---\n", 4, "lang"},
		{"---\ntitle: &a t\ndate: 2025-01-01\nsummary: *a\n---\n", 4, "alias"},
		{"---\ntitle: t\ndate: 2025-01-01\n---\nok\ncaf\xe9\n", 6, "UTF-8"},
		{"---\ntitle: t\xc0\xaf\ndate: 2025-01-01\n---\n", 2, "UTF-8"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct post p;
		struct fm_error err;
		int rc = parse(cases[i].text, &p, &err);
		if (rc != -1 || err.line != cases[i].line ||
		    !strstr(err.msg, cases[i].msg))
			fail_msg("case %zu: rc %d line %u msg \"%s\" (want line %u, "
			    "\"%s\")", i, rc, err.line, err.msg, cases[i].line,
			    cases[i].msg);
		post_clear(&p);
	}
}

static void nul_byte(void **state)
{
	(void)state;
	const char text[] = "---\ntitle: t\ndate: 2025-01-01\n---\na\0b\n";
	struct post p = {0};
	struct fm_error err = {0};
	assert_int_equal(frontmatter_parse(text, sizeof text - 1, &p, &err), -1);
	assert_int_equal(err.line, 5);
	assert_non_null(strstr(err.msg, "NUL"));
	post_clear(&p);
}

static void huge_and_deep(void **state)
{
	(void)state;
	struct buf b = {0};
	buf_puts(&b, "---\ntitle: t\ndate: 2025-01-01\n");
	for (int i = 0; i < 5000; i++)
		buf_printf(&b, "key%d: some value that takes room\n", i);
	buf_puts(&b, "---\n");
	struct post p;
	struct fm_error err;
	assert_int_equal(parse(b.data, &p, &err), -1);
	assert_non_null(strstr(err.msg, "64 KiB"));
	post_clear(&p);
	buf_free(&b);

	buf_puts(&b, "---\ntitle: t\ndate: 2025-01-01\nextra: ");
	for (int i = 0; i < 1000; i++)
		buf_putc(&b, '[');
	for (int i = 0; i < 1000; i++)
		buf_putc(&b, ']');
	buf_puts(&b, "\n---\n");
	assert_int_equal(parse(b.data, &p, &err), -1);
	post_clear(&p);
	buf_free(&b);
}

static void one_long_line(void **state)
{
	(void)state;
	/* The cap counts bytes, not lines: a single line of 100 KiB is over. */
	struct buf b = {0};
	buf_puts(&b, "---\ntitle: t\ndate: 2025-01-01\nextra: ");
	for (int i = 0; i < 100 << 10; i++)
		buf_putc(&b, 'x');
	buf_puts(&b, "\n---\nbody\n");
	struct post p;
	struct fm_error err;
	assert_int_equal(parse(b.data, &p, &err), -1);
	assert_int_equal(err.line, 1);
	assert_non_null(strstr(err.msg, "64 KiB"));
	post_clear(&p);
	buf_free(&b);
}

/* A post with n distinct tags, as a block list starting on line 4. */
static char *many_tags(int n, const char *tag)
{
	struct buf b = {0};
	buf_puts(&b, "---\ntitle: t\ndate: 2025-01-01\ntags:\n");
	for (int i = 0; i < n; i++)
		buf_printf(&b, "  - %s%d\n", tag, i);
	buf_puts(&b, "---\n");
	return buf_take(&b, NULL);
}

static void limits(void **state)
{
	(void)state;
	struct post p;
	struct fm_error err;
	char *text = many_tags(32, "t");
	assert_int_equal(parse(text, &p, &err), 0);
	assert_int_equal(p.ntags, 32);
	post_clear(&p);
	free(text);
	/* Over a limit: reported on the line of its key, the post refused. */
	text = many_tags(33, "t");
	assert_int_equal(parse(text, &p, &err), -1);
	assert_int_equal(err.line, 4);
	assert_non_null(strstr(err.msg, "more than 32 tags"));
	post_clear(&p);
	free(text);
	text = many_tags(2000, "t");
	assert_int_equal(parse(text, &p, &err), -1);
	assert_int_equal(err.line, 4);
	post_clear(&p);
	free(text);

	/* Duplicates do not count. */
	struct buf b = {0};
	buf_puts(&b, "---\ntitle: t\ndate: 2025-01-01\ntags: [");
	for (int i = 0; i < 100; i++)
		buf_puts(&b, "same, ");
	buf_puts(&b, "Same]\n---\n");
	assert_int_equal(parse(b.data, &p, &err), 0);
	assert_int_equal(p.ntags, 1);
	post_clear(&p);
	buf_free(&b);

	/* A tag of 64 bytes, then 65; a path over 100 bytes. */
	char tag[80], *t;
	memset(tag, 'a', sizeof tag);
	tag[64] = '\0';
	buf_printf(&b, "---\ntitle: t\ndate: 2025-01-01\ntags: [%s]\n---\n", tag);
	assert_int_equal(parse(b.data, &p, &err), 0);
	post_clear(&p);
	buf_free(&b);
	tag[64] = 'a';
	tag[65] = '\0';
	buf_printf(&b, "---\ntitle: t\ndate: 2025-01-01\ntags: [x, %s]\n---\n", tag);
	assert_int_equal(parse(b.data, &p, &err), -1);
	assert_int_equal(err.line, 4);
	assert_non_null(strstr(err.msg, "longer than 64 bytes"));
	post_clear(&p);
	buf_free(&b);
	buf_puts(&b, "---\ntitle: t\ndate: 2025-01-01\ntags: [\"");
	for (int i = 0; i < 21; i++)
		buf_puts(&b, "+");   /* 21 "plus" and 20 '-': 104 bytes */
	buf_puts(&b, "\"]\n---\n");
	assert_int_equal(parse(b.data, &p, &err), -1);
	assert_non_null(strstr(err.msg, "longer than 100"));
	post_clear(&p);
	buf_free(&b);

	/* At most 32 aliases. */
	buf_puts(&b, "---\ntitle: t\ndate: 2025-01-01\naliases:\n");
	for (int i = 0; i < 33; i++)
		buf_printf(&b, "  - /old/%d/\n", i);
	buf_puts(&b, "---\n");
	assert_int_equal(parse(b.data, &p, &err), -1);
	assert_int_equal(err.line, 4);
	assert_non_null(strstr(err.msg, "more than 32 aliases"));
	post_clear(&p);
	buf_free(&b);

	/* Title up to 300 bytes, summary up to 2048; the key's line is
	 * named even when the value is a block scalar below it. */
	static const struct {
		const char *key;
		size_t max;
	} text_limits[] = {{"title", 300}, {"summary", 2048}};
	for (size_t k = 0; k < 2; k++) {
		size_t max = text_limits[k].max;
		for (size_t len = max; len <= max + 1; len++) {
			t = malloc(len + 1);
			memset(t, 'w', len);
			t[len] = '\0';
			for (size_t i = 5; i < len; i += 6)
				t[i] = ' ';
			buf_printf(&b, "---\n%s: t\ndate: 2025-01-01\n%s: >-\n  %s\n"
			    "---\n", k ? "title" : "summary", text_limits[k].key, t);
			int rc = parse(b.data, &p, &err);
			if (len == max) {
				assert_int_equal(rc, 0);
			} else {
				assert_int_equal(rc, -1);
				assert_int_equal(err.line, 4);
				assert_non_null(strstr(err.msg, text_limits[k].key));
				assert_non_null(strstr(err.msg, "longer than"));
			}
			post_clear(&p);
			buf_free(&b);
			free(t);
		}
	}
}

static void path_is(const char *name, const char *want)
{
	char *got = tag_path(name);
	if (!want) {
		assert_null(got);
		return;
	}
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void tags_and_segments(void **state)
{
	(void)state;
	path_is("Retail   Tech", "retail-tech");
	path_is("C++", "c-plus-plus");
	path_is("c++", "c-plus-plus");
	path_is("C#", "c-sharp");
	path_is("F# / .NET", "f-sharp-net");
	path_is("PKCS#11", "pkcs-11");      /* a number sign, not a sharp */
	path_is("#rust", "rust");
	path_is("3#", "3");
	path_is("+1", "plus-1");
	path_is("Notepad++", "notepad-plus-plus");
	path_is("a+b", "a-plus-b");
	path_is("Émigré", "emigre");
	path_is("e\xCC\x81migre\xCC\x81", "emigre");   /* combining accents */
	path_is("Straße", "strasse");
	path_is("Łódź", "lodz");
	path_is("node.js", "node-js");
	path_is("machine learning", "machine-learning");
	path_is("--x__y..", "x-y");
	path_is("Москва", "москва");
	path_is("東京", "東京");
	path_is("..", NULL);
	path_is("-", NULL);
	path_is("", NULL);
	path_is("🚀", NULL);
	assert_true(path_segment_safe("pkcs11"));
	assert_true(path_segment_safe("a.b_c-d"));
	assert_false(path_segment_safe(""));
	assert_false(path_segment_safe(".hidden"));
	assert_false(path_segment_safe("a/b"));
	assert_false(path_segment_safe("UPPER"));
	assert_false(path_segment_safe("caf\xc3\xa9"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_field),
		cmocka_unit_test(tag_syntaxes),
		cmocka_unit_test(crlf_bom_and_dots),
		cmocka_unit_test(dates_and_times),
		cmocka_unit_test(bad_cases),
		cmocka_unit_test(nul_byte),
		cmocka_unit_test(huge_and_deep),
		cmocka_unit_test(one_long_line),
		cmocka_unit_test(limits),
		cmocka_unit_test(tags_and_segments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
