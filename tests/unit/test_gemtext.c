/* test_gemtext.c - Markdown through the walker and the gemtext writer: the
 * rules the golden files do not pin down, and inputs meant to break them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "pollux/gemtext.h"
#include "pollux/markdown.h"
#include "pollux/util.h"

static struct post_tag other_tags[] = {{"iot", "iot", 0},
    {"esp32", "esp32", 0}};
static struct post other = {.slug = "other", .title = "Other",
    .date = "2026-01-02", .summary = "# A summary.", .tags = other_tags,
    .ntags = 2, .read_time = 4};

static enum link_to resolve(void *ctx, const char *url, char **target,
    const struct post **post)
{
	(void)ctx;
	*target = NULL;
	if (strcmp(url, "other.md") != 0)
		return LINK_URL;
	*post = &other;
	return LINK_POST;
}

static struct buf out;

static const char *gmi(const char *md)
{
	struct link_resolver r = {resolve, NULL};
	struct model *pg = model_new(NULL);
	buf_free(&out);
	markdown_blocks(pg, md, strlen(md), &r);
	gemtext_write(pg, &out);
	model_free(pg);
	return out.data ? out.data : "";
}

static void empty_input(void **state)
{
	(void)state;
	assert_string_equal(gmi(""), "");
	assert_string_equal(gmi("\n\n   \n"), "");
	assert_string_equal(gmi("<!-- only a comment -->\n"), "");
}

static void one_line_ends_with_lf(void **state)
{
	(void)state;
	assert_string_equal(gmi("Hello"), "Hello\n");
	assert_string_equal(gmi("# Title\n\nText\n"), "# Title\n\nText\n");
}

static void links_follow_their_block(void **state)
{
	(void)state;
	assert_string_equal(gmi("See [it](other.md) now.\n\nNext.\n"),
	    "See it now.\n\n=> /posts/other.gmi it\n\nNext.\n");
	assert_string_equal(gmi("[only](https://x.org/)\n"),
	    "=> https://x.org/ only\n");
	assert_string_equal(gmi("# A [linked](https://x.org/) title\n"),
	    "# A linked title\n\n=> https://x.org/ linked\n");
	/* No URL, no link line. */
	assert_string_equal(gmi("[empty]()\n"), "empty\n");
}

static void syntax_is_escaped(void **state)
{
	(void)state;
	assert_string_equal(gmi("\\=> x\n"), " => x\n");
	assert_string_equal(gmi("```\nline\n```\n"), "```\nline\n```\n");
	/* Inside a list or quote the marker already protects the line. */
	assert_string_equal(gmi("* => x\n"), "* => x\n");
	assert_string_equal(gmi("> # x\n"), "> # x\n");
}

static void deep_nesting(void **state)
{
	(void)state;
	struct buf md = {0};
	for (int i = 0; i < 200; i++)
		buf_puts(&md, "> ");
	buf_puts(&md, "deep\n\n");
	for (int i = 0; i < 100; i++) {
		for (int k = 0; k < i; k++)
			buf_puts(&md, "  ");
		buf_puts(&md, "* item\n");
	}
	gmi(md.data);
	assert_non_null(strstr(out.data, "deep\n"));
	assert_true(out.data[out.len - 1] == '\n');
	buf_free(&md);
	/* Fifty thousand quotes deep once overflowed the stack. */
	for (int i = 0; i < 50000; i++)
		buf_puts(&md, "> ");
	buf_puts(&md, "bottom\n");
	gmi(md.data);
	assert_non_null(strstr(out.data, "bottom\n"));
	buf_free(&md);
}

static void long_lines_and_bad_tables(void **state)
{
	(void)state;
	struct buf md = {0};
	for (int i = 0; i < 20000; i++)
		buf_puts(&md, "word ");
	gmi(md.data);
	assert_int_equal(strchr(out.data, '\n') - out.data, 20000 * 5 - 1);
	buf_free(&md);
	/* GFM: no delimiter row, or one that does not match the header,
	 * and it is no table. */
	gmi("| a | b |\n| c\n");
	assert_null(strstr(out.data, "```"));
	gmi("| a | b | c |\n|---|\n| 1 |\n");
	assert_null(strstr(out.data, "```"));
	/* Short rows get empty cells, long ones lose what is past the
	 * header. */
	assert_string_equal(gmi("| a | b | c |\n|---|---|---|\n| 1 |\n"
	    "| 1 | 2 | 3 | 4 |\n"),
	    "```table\na | b | c\n--+---+--\n1 |   |\n1 | 2 | 3\n```\n");
}

static void groups_and_cards(void **state)
{
	(void)state;
	struct model *pg = model_new("Title");
	model_heading(pg, 2, "Links");
	model_link(pg, LINK_MENU, "/a/", "A", NULL, 0);
	model_link(pg, LINK_FOLDER, "/b c/", "B", NULL, 0);
	model_link(pg, LINK_MENU, "/", "Home", NULL, BLOCK_BREAK);
	model_text(pg, "tight\nand broken", BLOCK_TIGHT);
	model_link(pg, LINK_POST, "", "Other", &other, BLOCK_CARD);
	model_link(pg, LINK_POST, "", "Other", &other, BLOCK_CARD);
	model_link(pg, LINK_POST, "", "Older: Other", &other, BLOCK_NAV);
	buf_free(&out);
	gemtext_write(pg, &out);
	/* Links after links stay together; a card is the dated link, the
	 * read time and tags, and the summary (made safe as text). */
	assert_string_equal(out.data, "# Title\n\n## Links\n\n=> /a/ A\n"
	    "=> /b%20c/ B\n\n=> / Home\ntight\nand broken\n\n"
	    "=> /posts/other.gmi 2026-01-02 Other\n4 min read · iot, esp32\n"
	    " # A summary.\n\n"
	    "=> /posts/other.gmi 2026-01-02 Other\n4 min read · iot, esp32\n"
	    " # A summary.\n\n"
	    "=> /posts/other.gmi Older: Other\n");
	model_free(pg);
}

static void line_breaks_and_fences(void **state)
{
	(void)state;
	assert_string_equal(gmi("a<br>b<BR/>c\n"), "a\nb\nc\n");
	/* No line of a table or code block may close it early. */
	assert_string_equal(gmi("| ``` | x |\n|---|---|\n| y | z |\n"),
	    "```table\n ``` | x\n----+--\ny   | z\n```\n");
	assert_string_equal(gmi("```\n```not the end\n````\n"),
	    "```\n ```not the end\n```\n");
}

static void html_links(void **state)
{
	(void)state;
	/* A link left open ends with its block; blanks and line ends in an
	 * address go, as browsers drop them. */
	assert_string_equal(gmi("<div><a href=\" https://x.example/\n\">open"
	    "</div>\n"), "=> https://x.example/ open\n");
	/* </a> closes only what <a> opened. */
	assert_string_equal(gmi("[md </a>text](https://d.example/) here\n"),
	    "md text here\n\n=> https://d.example/ md text\n");
	assert_string_equal(gmi("<a name=x>anchor</a> and <img alt=\"alt only\">"
	    " <img src=''>\n"), "anchor and alt only\n");
}

static void generated_links_escaped(void **state)
{
	(void)state;
	struct model *pg = model_new(NULL);
	model_link(pg, LINK_FILE, "/my notes.txt", "my notes.txt", NULL, 0);
	model_link(pg, LINK_FILE, "/nb\xc2\xa0sp.txt", "nbsp", NULL, 0);
	model_link(pg, LINK_URL, "https://x.example/a b|c", "away", NULL, 0);
	buf_free(&out);
	gemtext_write(pg, &out);
	assert_string_equal(out.data, "=> /my%20notes.txt my notes.txt\n"
	    "=> /nb%C2%A0sp.txt nbsp\n=> https://x.example/a%20b%7Cc away\n");
	model_free(pg);
	assert_string_equal(gmi("[doc](<my file.pdf>)\n"),
	    "=> my%20file.pdf doc\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(empty_input),
		cmocka_unit_test(one_line_ends_with_lf),
		cmocka_unit_test(links_follow_their_block),
		cmocka_unit_test(syntax_is_escaped),
		cmocka_unit_test(deep_nesting),
		cmocka_unit_test(long_lines_and_bad_tables),
		cmocka_unit_test(groups_and_cards),
		cmocka_unit_test(line_breaks_and_fences),
		cmocka_unit_test(html_links),
		cmocka_unit_test(generated_links_escaped),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	buf_free(&out);
	return rc;
}
