/* test_pages.c - the site's pages on a capsule written by the test: what
 * links resolve to, the gemtext reader, a post's Gopher menu and text,
 * "URL:" pages, the author's .md and .gmi pages, and menu widths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "files.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pollux/gemini.h"
#include "pollux/gmiread.h"
#include "pollux/gopher.h"
#include "pollux/gophertext.h"
#include "pollux/layout.h"
#include "pollux/markdown.h"
#include "pollux/sitelinks.h"
#include "pollux/snapshot.h"
#include "pollux/util.h"

static char root[64];
static struct config cfg;
static struct snapshot *snap;

static void put(const char *rel, const char *text)
{
	put_file(root, rel, text);
}

#define POST(title, date, tags, body) \
	"---\ntitle: \"" title "\"\nsummary: \"The summary of " title ".\"\n" \
	"date: " date "\ntags: [" tags "]\nread_time: 3\n---\n" body

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof root, "/tmp/pollux-pages-XXXXXX");
	assert_non_null(mkdtemp(root));
	put("site.yaml", "title: Test Blog\nlanguage: en\nauthor: A. Writer\n"
	    "icon: images/p.png\nfeed_entries: 3\nredirects:\n"
	    "  - from: /old-notes/\n    to: /notes/\n"
	    "  - from: /colophon.gmi\n    to: /\n"          /* a real page */
	    "  - from: /lost\n    to: /nowhere.gmi\n");
	put("index.md", "Welcome. Read the [about page](about.md).\n");
	put("posts/2026-01-02-first.md", POST("First", "2026-01-02", "iot",
	    "See [the second](2026-02-03-second.md), [a site](https://x.example/a)"
	    ", ![a photo](../images/p.png) and [notes](/notes/).\n"));
	put("posts/2026-02-03-second.md", POST("Second post with a title far "
	    "too long for one line of any menu or text, so it wraps", "2026-02-03",
	    "iot, long", "Back to [the first](first.md).\n"));
	put("posts/2026-02-10-fixed.md", "---\ntitle: Fixed\n"
	    "date: 2026-02-10T09:30:00+05:30\nupdated: 2026-02-12 08:00\n"
	    "tags: [C++]\naliases: [old-fixed.gmi, /2025/old-fixed/, "
	    "/posts/old-fixed.txt, /about.gmi]\n---\nCorrected.\n");
	/* A title of 38 wide characters: 76 columns. */
	put("posts/2026-03-04-wide.md", POST(
	    "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe9\x95\xb7\xe3"
	    "\x81\x84\xe9\xa1\x8c\xe5\x90\x8d\xe3\x81\xaf\xe4\xba\x8c\xe5\x88"
	    "\x97\xe3\x81\xa7\xe6\x95\xb0\xe3\x81\x88\xe3\x82\x8b\xe3\x81\xae"
	    "\xe3\x81\xa7\xe4\xb8\x83\xe5\x8d\x81\xe3\x81\xab\xe5\x8f\x8e\xe3"
	    "\x81\xbe\xe3\x82\x8b\xe3\x82\x88\xe3\x81\x86\xe3\x81\xab\xe5\x88"
	    "\x87\xe3\x82\x8a\xe3\x81\xbe\xe3\x81\x99\xe3\x80\x82\xe9\xa1\x8c"
	    "\xe5\x90\x8d\xe3\x81\xae\xe7\xb6\x9a\xe3\x81\x8d\xe3\x81\xa7\xe3"
	    "\x81\x99", "2026-03-04", "", "Text.\n"));
	put("about.md", "# About\n\nSee [the colophon](colophon.gmi) and "
	    "[notes](notes/a.txt).\n");
	put("colophon.gmi", "# Colophon\nLine one\nline two\n\n=> / Home\n"
	    "=> gemini://g.example/ Elsewhere\n\n=> gopher://h.example:7070/0/t "
	    "A text\n```alt\n=> not a link\n```\n* one\n* two\n> quoted\n");
	put("notes/a.txt", "A note.\n");
	put("images/p.png", "\x89PNG");
	config_defaults(&cfg);
	char *argv[] = {"pollux", "--capsule", root, NULL};
	assert_int_equal(config_parse_args(&cfg, 3, argv), 0);
	snap = snapshot_build(&cfg, NULL);
	assert_non_null(snap);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	snapshot_unref(snap);
	return remove_tree(root);
}

static bool same_text(const char *a, size_t na, const char *b, size_t nb)
{
	return na == nb && (na == 0 || memcmp(a, b, na) == 0);
}

/* Two snapshots that hold the same pages, added in the same order. */
static void same_pages(const struct snapshot *a, const struct snapshot *b)
{
	for (enum proto p = PROTO_GEMINI; p <= PROTO_GOPHER; p++) {
		size_t i = 0;
		const struct page *x, *y;
		for (; (x = snapshot_page_at(a, p, i)); i++) {
			y = snapshot_page_at(b, p, i);
			assert_non_null(y);
			if (!same_text(x->path, x->path_len, y->path, y->path_len) ||
			    !same_text(x->head, x->head_len, y->head, y->head_len) ||
			    !same_text(x->body, x->body_len, y->body, y->body_len) ||
			    (x->redirect == NULL) != (y->redirect == NULL) ||
			    (x->redirect && strcmp(x->redirect, y->redirect) != 0)) {
				print_error("page %zu differs: %s\n", i, x->path);
				fail();
			}
		}
		assert_null(snapshot_page_at(b, p, i));
	}
}

/* Posts are read, parsed and rendered on several threads and merged in
 * name and post order: the pages, and the problems reported, are those of
 * a load on one thread. */
static void test_parallel_load_is_sequential_load(void **state)
{
	(void)state;
	char dir[64];
	snprintf(dir, sizeof dir, "/tmp/pollux-par-XXXXXX");
	assert_non_null(mkdtemp(dir));
	char saved[64];
	memcpy(saved, root, sizeof root);
	memcpy(root, dir, sizeof root);
	put("site.yaml", "title: Many\nlanguage: en\n");
	for (int i = 0; i < 300; i++) {
		char rel[64], text[512];
		snprintf(rel, sizeof rel, "posts/p-%03d.md", i);
		snprintf(text, sizeof text, "---\ntitle: \"Post %d\"\n"
		    "date: 2025-%02d-%02d\ntags: [t%d, all]\n---\n"
		    "Text of %d, [older](p-%03d.md), [gone](nothing-%d.md), "
		    "[out](https://x.example/%d) and\n\n| a | b |\n|---|---|\n"
		    "| ~~%d~~ | www.example.org/%d |\n", i, 1 + i % 12,
		    1 + i % 28, i % 7, i, i ? i - 1 : 0, i, i % 5, i, i);
		put(rel, text);
	}
	/* Problems met while reading, between the posts: broken front
	 * matter, and a slug that an earlier file has. */
	for (int i = 0; i < 300; i += 30) {
		char rel[64];
		snprintf(rel, sizeof rel, "posts/p-%03d-broken.md", i);
		put(rel, "---\ntitle: [unclosed\n---\nBody.\n");
		snprintf(rel, sizeof rel, "posts/p-%03d-twin.md", i);
		char text[128];
		snprintf(text, sizeof text, "---\ntitle: Twin\ndate: 2024-01-01\n"
		    "slug: p-%03d\n---\nA twin.\n", i);
		put(rel, text);
	}
	memcpy(root, saved, sizeof root);
	struct config c;
	config_defaults(&c);
	char *argv[] = {"pollux", "--capsule", dir, NULL};
	assert_int_equal(config_parse_args(&c, 3, argv), 0);
	setenv("POLLUX_LOAD_THREADS", "1", 1);
	struct snapshot *one = snapshot_build(&c, NULL);
	setenv("POLLUX_LOAD_THREADS", "4", 1);
	struct snapshot *four = snapshot_build(&c, NULL);
	unsetenv("POLLUX_LOAD_THREADS");
	assert_non_null(one);
	assert_non_null(four);
	assert_int_equal(snapshot_site(one)->nposts, 300);
	/* The gone links, the broken posts and the twins, which sort first
	 * and so keep the slug: the gone links of the ten they displace are
	 * not reported. */
	assert_int_equal(snapshot_site(one)->problems, 310);
	assert_int_equal(snapshot_site(four)->problems, 310);
	same_pages(one, four);
	snapshot_unref(one);
	snapshot_unref(four);
	assert_int_equal(remove_tree(dir), 0);
}

static const char *page(enum proto p, const char *path)
{
	const struct page *pg = snapshot_find(snap, p, path, strlen(path));
	assert_non_null(pg);
	assert_null(pg->redirect);
	return pg->body;
}

static void resolves(const char *base, const char *url, enum link_to to,
    const char *target)
{
	char *t = NULL;
	const struct post *post = NULL;
	enum link_to got = site_link(snapshot_site(snap), base, url, &t, &post);
	if (got != to || (target && (!t || strcmp(t, target) != 0))) {
		print_error("%s in %s: %d %s, not %d %s\n", url, base, got,
		    t ? t : "-", to, target ? target : "-");
		fail();
	}
	if (to == LINK_POST)
		assert_non_null(post);
	free(t);
}

static void test_site_links(void **state)
{
	(void)state;
	resolves("/posts/", "2026-02-03-second.md", LINK_POST, NULL);
	resolves("/posts/", "second.md", LINK_POST, NULL);
	resolves("/", "/posts/first.gmi", LINK_POST, NULL);
	resolves("/", "/posts/first/", LINK_POST, NULL);
	resolves("/", "posts/first.txt#part", LINK_POST, NULL);
	resolves("/posts/", "https://x.example/a", LINK_URL, NULL);
	resolves("/posts/", "mailto:me@x.example", LINK_URL, NULL);
	resolves("/posts/", "//x.example/a", LINK_URL, NULL);
	resolves("/posts/", "#part", LINK_URL, NULL);
	resolves("/posts/", "../images/p.png", LINK_FILE, "/images/p.png");
	resolves("/posts/", "../images/%70.png?x=1", LINK_FILE, "/images/p.png");
	resolves("/posts/", "/notes/", LINK_FOLDER, "/notes/");
	resolves("/posts/", "/notes", LINK_FOLDER, "/notes/");
	resolves("/", "about.md", LINK_PAGE, "/about.gmi");
	resolves("/", "about.gmi", LINK_PAGE, "/about.gmi");
	resolves("/", "colophon.gmi", LINK_PAGE, "/colophon.gmi");
	resolves("/", "/tags/iot", LINK_TAG, "/tags/iot/");
	resolves("/", "/tags/iot/atom.xml", LINK_FEED, "/tags/iot/atom.xml");
	resolves("/", "/atom.xml", LINK_FEED, "/atom.xml");
	resolves("/", "/posts/", LINK_MENU, "/posts/");
	resolves("/", "/tags", LINK_MENU, "/tags/");
	resolves("/", "../../../", LINK_MENU, "/");
	resolves("/", "/missing.txt", LINK_FILE, "/missing.txt");
}

static void test_gemtext_reader(void **state)
{
	(void)state;
	const char *gmi = "# T\nline one\nline two\n\n=> /a A\n=> /b B\n\n"
	    "=> /c C\n```alt\n=> x\n```\n* one\n* two\n> q\n=>\n";
	struct model *pg = model_new(NULL);
	gemtext_blocks(pg, gmi, strlen(gmi), NULL);
	static const enum block_kind want[] = {BLOCK_HEADING, BLOCK_TEXT,
	    BLOCK_LINK, BLOCK_LINK, BLOCK_LINK, BLOCK_PRE, BLOCK_LIST,
	    BLOCK_ITEM, BLOCK_TEXT, BLOCK_END, BLOCK_ITEM, BLOCK_TEXT, BLOCK_END,
	    BLOCK_END, BLOCK_QUOTE, BLOCK_TEXT, BLOCK_END, BLOCK_TEXT};
	assert_int_equal(pg->nblocks, sizeof want / sizeof *want);
	for (size_t i = 0; i < pg->nblocks; i++)
		assert_int_equal(pg->blocks[i].kind, want[i]);
	/* Two lines, one block: a break between them. */
	assert_int_equal(pg->blocks[1].text.n, 3);
	assert_int_equal(pg->runs[pg->blocks[1].text.first + 1].kind, RUN_BREAK);
	assert_true(pg->blocks[1].flags & BLOCK_TIGHT);
	assert_true(pg->blocks[3].flags & BLOCK_TIGHT);
	assert_true(pg->blocks[4].flags & BLOCK_BREAK);
	assert_string_equal(pg->blocks[5].alt, "alt");
	assert_string_equal(pg->blocks[5].s, "=> x\n");
	assert_int_equal(pg->blocks[6].list.nitems, 2);
	/* Each link knows its line, past a preformatted block too. */
	assert_int_equal(pg->links[0].line, 5);
	assert_int_equal(pg->links[2].line, 8);
	assert_int_equal(pg->nlinks, 3);
	model_free(pg);
	/* So does each Markdown link: inline, image, in a list, in a table
	 * (its row's line: the |---| line is no row). */
	pg = model_new(NULL);
	const char *md = "Para\nwith [a](a.md).\n\n![i](i.png)\n\n"
	    "* [l](l.md)\n\n| h | [c](c.md) |\n|---|---|\n| x | y |\n"
	    "| [r](r.md) | z |\n";
	markdown_blocks(pg, md, strlen(md), NULL);
	static const unsigned lines[] = {2, 4, 6, 8, 11};
	assert_int_equal(pg->nlinks, 5);
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(pg->links[i].line, lines[i]);
	model_free(pg);
	/* An unclosed block runs to the end; CR LF lines. */
	pg = model_new(NULL);
	gemtext_blocks(pg, "```\r\ncode\r\n", 11, NULL);
	assert_int_equal(pg->nblocks, 1);
	assert_string_equal(pg->blocks[0].s, "code\r\n");
	model_free(pg);
}

/* Every line of a menu is four fields; items fit GOPHER_ITEM_WIDTH, info
 * lines GOPHER_INFO_WIDTH, in display columns. */
static void check_menu(const char *m)
{
	size_t n = strlen(m);
	assert_true(n >= 3 && strcmp(m + n - 3, ".\r\n") == 0);
	for (const char *p = m, *e; *p != '.' && (e = strstr(p, "\r\n"));
	    p = e + 2) {
		const char *tab = memchr(p, '\t', (size_t)(e - p));
		assert_non_null(tab);
		size_t cols = text_columns(p + 1, (size_t)(tab - p - 1));
		if (cols > (*p == 'i' ? GOPHER_INFO_WIDTH : GOPHER_ITEM_WIDTH)) {
			print_error("%zu columns: %.*s\n", cols, (int)(e - p), p);
			fail();
		}
	}
}

static void test_post_menu_and_text(void **state)
{
	(void)state;
	const char *m = page(PROTO_GOPHER, "/posts/first/");
	check_menu(m);
	assert_non_null(strstr(m, "iFirst\t"));
	assert_non_null(strstr(m, "i2026-01-02 · 3 min read · iot\t"));
	assert_non_null(strstr(m, "\r\n0Read the post (3 min)\t/posts/first.txt\t"));
	/* Every link of the post, each an item of its own kind. */
	assert_non_null(strstr(m, "\r\n1the second\t/posts/second/\t"));
	assert_non_null(strstr(m, "\r\nha site\tURL:https://x.example/a\t"));
	assert_non_null(strstr(m, "\r\nIa photo\t/images/p.png\t"));
	assert_non_null(strstr(m, "\r\n1notes\t/notes/\t"));
	assert_non_null(strstr(m, "\r\n1#iot\t/tags/iot/\t"));
	assert_non_null(strstr(m, "\r\n1Newer: Second post with a title far"));
	assert_null(strstr(m, "Older:"));

	const char *t = page(PROTO_GOPHER, "/posts/second.txt");
	/* The title wraps; its underline is as wide as its widest line. */
	assert_non_null(strstr(t, "Second post with a title far too long for one "
	    "line of any menu or\r\ntext, so it wraps\r\n"
	    "=============================================================="
	    "===\r\n"));
	assert_non_null(strstr(t, "[1] gopher://localhost/0/posts/first.txt\r\n"));
	/* A text leaves the site's navigation out. */
	assert_null(strstr(t, "Older"));
	assert_null(strstr(t, "#iot"));
	assert_non_null(strstr(t, "\r\n\r\n.\r\n"));

	const char *g = page(PROTO_GEMINI, "/posts/first.gmi");
	assert_non_null(strstr(g, "# First\n\n2026-01-02 · 3 min read · iot\n"));
	assert_non_null(strstr(g, "=> /posts/second.gmi the second\n"));
	assert_non_null(strstr(g, "=> /images/p.png a photo\n"));
	assert_non_null(strstr(g, "\n=> /tags/iot/ #iot\n\n=> /posts/second.gmi "
	    "Newer: "));
}

static void test_updated_after_the_date(void **state)
{
	(void)state;
	/* On the post's page, each protocol; cards keep their one date. */
	const char *want = "2026-02-10 · updated 2026-02-12 · 1 min read · C++";
	assert_non_null(strstr(page(PROTO_GEMINI, "/posts/fixed.gmi"), want));
	assert_non_null(strstr(page(PROTO_GOPHER, "/posts/fixed/"), want));
	assert_non_null(strstr(page(PROTO_GOPHER, "/posts/fixed.txt"), want));
	assert_null(strstr(page(PROTO_GEMINI, "/"), "updated"));
	assert_null(strstr(page(PROTO_GEMINI, "/posts/first.gmi"), "updated"));
}

static const struct page *find(enum proto p, const char *path)
{
	return snapshot_find(snap, p, path, strlen(path));
}

static void test_moved_paths(void **state)
{
	(void)state;
	/* Gemini answers 31 to the new address; slashless too. */
	assert_string_equal(find(PROTO_GEMINI, "/posts/old-fixed.gmi")->redirect,
	    "/posts/fixed.gmi");
	assert_string_equal(find(PROTO_GEMINI, "/2025/old-fixed/")->redirect,
	    "/posts/fixed.gmi");
	assert_string_equal(find(PROTO_GEMINI, "/2025/old-fixed")->redirect,
	    "/posts/fixed.gmi");
	assert_string_equal(find(PROTO_GEMINI, "/old-notes/")->redirect,
	    "/notes/");
	/* Gopher serves the page itself: a text for .txt, else the menu. */
	assert_ptr_equal(find(PROTO_GOPHER, "/2025/old-fixed/")->body,
	    find(PROTO_GOPHER, "/posts/fixed/")->body);
	assert_ptr_equal(find(PROTO_GOPHER, "/posts/old-fixed.gmi")->body,
	    find(PROTO_GOPHER, "/posts/fixed/")->body);
	assert_ptr_equal(find(PROTO_GOPHER, "/posts/old-fixed.txt")->body,
	    find(PROTO_GOPHER, "/posts/fixed.txt")->body);
	assert_ptr_equal(find(PROTO_GOPHER, "/old-notes/")->body,
	    find(PROTO_GOPHER, "/notes/")->body);
	/* A real page is never hidden; a redirect to nothing is dropped. */
	assert_null(find(PROTO_GEMINI, "/about.gmi")->redirect);
	assert_null(find(PROTO_GEMINI, "/colophon.gmi")->redirect);
	assert_null(find(PROTO_GEMINI, "/lost"));
	assert_int_equal(snapshot_site(snap)->problems, 3);
	/* Links to an old address go to the new one. */
	resolves("/", "/posts/old-fixed.gmi", LINK_POST, NULL);
	resolves("/", "/2025/old-fixed", LINK_POST, NULL);
	resolves("/", "/old-notes/", LINK_FOLDER, "/notes/");
	resolves("/", "/search", LINK_SEARCH, "/search");
}

static void test_feeds(void **state)
{
	(void)state;
	const char *g = page(PROTO_GEMINI, "/atom.xml");
	const char *o = page(PROTO_GOPHER, "/tags/c-plus-plus/atom.xml");
	/* One id for a post, whatever the protocol. */
	const char *id = "<id>tag:localhost,2026-02-10:fixed</id>";
	assert_non_null(strstr(g, id));
	assert_non_null(strstr(o, id));
	assert_non_null(strstr(g, "<link rel=\"alternate\" type=\"text/gemini\" "
	    "href=\"gemini://localhost/posts/fixed.gmi\"/>"));
	assert_non_null(strstr(o, "<link rel=\"alternate\" type=\"text/plain\" "
	    "href=\"gopher://localhost:70/0/posts/fixed.txt\"/>"));
	assert_non_null(strstr(g, "<link rel=\"alternate\" type=\"text/gemini\" "
	    "href=\"gemini://localhost/\"/>"));
	assert_non_null(strstr(o, "<link rel=\"alternate\" type=\"application/"
	    "gopher-menu\" href=\"gopher://localhost:70/1/tags/c-plus-plus/\"/>"));
	assert_non_null(strstr(g, "<link rel=\"self\" type=\"application/atom+xml\""));
	assert_non_null(strstr(g, "<icon>gemini://localhost/images/p.png</icon>"));
	assert_non_null(strstr(o, "<icon>gopher://localhost/I/images/p.png</icon>"));
	assert_non_null(strstr(g, "<name>A. Writer</name>"));
	assert_non_null(strstr(o, "<category term=\"c-plus-plus\" label=\"C++\"/>"));
	/* feed_entries: 3 keeps the newest three of the four posts. */
	size_t entries = 0;
	for (const char *e = g; (e = strstr(e, "<entry>")); e++)
		entries++;
	assert_int_equal(entries, 3);
	assert_null(strstr(g, ":first</id>"));
	assert_non_null(strstr(page(PROTO_GEMINI, "/tags/iot/atom.xml"),
	    ":first</id>"));
}

static void test_index_cards(void **state)
{
	(void)state;
	const char *g = page(PROTO_GEMINI, "/");
	assert_non_null(strstr(g, "\n=> /posts/first.gmi 2026-01-02 First\n"
	    "3 min read · iot\nThe summary of First.\n"));
	const char *m = page(PROTO_GOPHER, "/tags/iot/");
	check_menu(m);
	assert_non_null(strstr(m, "\r\n12026-01-02 First\t/posts/first/\t"
	    "localhost\t70\r\ni3 min read · iot\t\tnull.host\t1\r\n"
	    "iThe summary of First.\t"));
	/* A wide title is cut to the width in columns, with "…". */
	m = page(PROTO_GOPHER, "/");
	check_menu(m);
	assert_non_null(strstr(m, "…\t/posts/wide/\t"));
	/* The intro's link is an item, not a footnote. */
	assert_non_null(strstr(m, "\r\n1about page\t/about.gmi\t"));
	assert_null(strstr(m, "[1]"));
	/* Folders as Gopher clients mark them. */
	assert_non_null(strstr(m, "\r\n1notes\t/notes/\t"));
	assert_null(strstr(m, "robots.txt"));
	check_menu(page(PROTO_GOPHER, "/posts/"));
	check_menu(page(PROTO_GOPHER, "/posts/wide/"));
	check_menu(page(PROTO_GOPHER, "/posts/second/"));
}

static void test_author_pages(void **state)
{
	(void)state;
	const char *g = page(PROTO_GEMINI, "/about.gmi");
	assert_string_equal(g, "# About\n\nSee the colophon and notes.\n\n"
	    "=> /colophon.gmi the colophon\n=> /notes/a.txt notes\n");
	const char *m = page(PROTO_GOPHER, "/about.gmi");
	assert_non_null(strstr(m, "\r\n1the colophon\t/colophon.gmi\t"));
	assert_non_null(strstr(m, "\r\n0notes\t/notes/a.txt\t"));
	m = page(PROTO_GOPHER, "/colophon.gmi");
	check_menu(m);
	assert_non_null(strstr(m, "iLine one\t\tnull.host\t1\r\niline two\t"));
	assert_non_null(strstr(m, "\r\n1Home\t/\tlocalhost\t70\r\n"
	    "hElsewhere\tURL:gemini://g.example/\tlocalhost\t70\r\n"
	    "i\t\tnull.host\t1\r\n0A text\t/t\th.example\t7070\r\n"));
	assert_non_null(strstr(m, "i    => not a link\t"));
	/* The raw Markdown stays a file; the .gmi is the author's. */
	page(PROTO_GOPHER, "/about.md");
	g = page(PROTO_GEMINI, "/colophon.gmi");
	assert_true(strncmp(g, "# Colophon\nLine one", 19) == 0);
}

static void test_url_pages(void **state)
{
	(void)state;
	struct reply r;
	struct request_ctx ctx = {"127.0.0.1", 70};
	const char *req = "URL:https://x.example/a\r\n";
	gopher_respond(snap, &cfg, &ctx, req, strlen(req), &r);
	assert_int_equal(r.status, 20);
	assert_non_null(strstr(r.body, "<a href=\"https://x.example/a\">"));
	assert_non_null(strstr(r.body, "http-equiv=\"refresh\""));
	/* Gopher+ suffixes are ignored like anywhere else. */
	req = "URL:gemini://g.example/\t$\r\n";
	gopher_respond(snap, &cfg, &ctx, req, strlen(req), &r);
	assert_int_equal(r.status, 20);
	assert_null(strstr(r.body, "refresh"));
	/* Only what the menus link to; no open redirector. */
	req = "URL:https://evil.example/\r\n";
	gopher_respond(snap, &cfg, &ctx, req, strlen(req), &r);
	assert_int_equal(r.status, 51);
	req = "/URL:https://x.example/a\r\n";
	gopher_respond(snap, &cfg, &ctx, req, strlen(req), &r);
	assert_int_equal(r.status, 51);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_site_links),
		cmocka_unit_test(test_gemtext_reader),
		cmocka_unit_test(test_post_menu_and_text),
		cmocka_unit_test(test_updated_after_the_date),
		cmocka_unit_test(test_moved_paths),
		cmocka_unit_test(test_feeds),
		cmocka_unit_test(test_index_cards),
		cmocka_unit_test(test_author_pages),
		cmocka_unit_test(test_url_pages),
		cmocka_unit_test(test_parallel_load_is_sequential_load),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
