/* test_incremental.c - a load that starts from the site served now (a
 * reload) gives, page for page and byte for byte, what a fresh load of the
 * same capsule gives, after every kind of change; and it shows, by its
 * counts, that it re-read and re-rendered only what the change touched. */
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
#include <unistd.h>

#include "pollux/snapshot.h"
#include "pollux/util.h"

#define NPOSTS 40

static char root[64];
static struct config cfg;

static void put(const char *rel, const char *text)
{
	put_file(root, rel, text);
}

/* Post i: dated i days into 2025 (so p-039 is the newest), linking to the
 * post before it by file name, to a file that is not there yet, and out. */
static void put_post(const char *file, int i, const char *title,
    const char *tags, const char *extra)
{
	char rel[64], text[1024];
	snprintf(rel, sizeof rel, "posts/%s", file);
	snprintf(text, sizeof text, "---\ntitle: \"%s\"\nsummary: \"About %d.\"\n"
	    "date: 2025-%02d-%02d\ntags: [%s]\n---\n"
	    "Text of %d: [before](p-%03d.md), [later](/files/later-%d.txt), "
	    "[out](https://x.example/%d).\n\n%s| a | b |\n|---|---|\n| %d | x |\n",
	    title, i, 1 + i / 28, 1 + i % 28, tags, i, i ? i - 1 : 0, i, i,
	    extra, i);
	put(rel, text);
}

static void post(int i, const char *title, const char *tags)
{
	char file[32];
	snprintf(file, sizeof file, "p-%03d.md", i);
	put_post(file, i, title, tags, "");
}

static bool same_text(const char *a, size_t na, const char *b, size_t nb)
{
	return na == nb && (na == 0 || memcmp(a, b, na) == 0);
}

/* Two snapshots that hold the same pages, added in the same order, and
 * report the same problems. */
static void same_pages(const struct snapshot *a, const struct snapshot *b,
    const char *step)
{
	for (enum proto p = PROTO_GEMINI; p <= PROTO_GOPHER; p++) {
		size_t i = 0;
		const struct page *x, *y;
		for (; (x = snapshot_page_at(a, p, i)); i++) {
			y = snapshot_page_at(b, p, i);
			if (!y) {
				print_error("%s: page %zu (%s) only in one\n", step, i,
				    x->path);
				fail();
			}
			if (!same_text(x->path, x->path_len, y->path, y->path_len) ||
			    !same_text(x->head, x->head_len, y->head, y->head_len) ||
			    !same_text(x->body, x->body_len, y->body, y->body_len) ||
			    (x->redirect == NULL) != (y->redirect == NULL) ||
			    (x->redirect && strcmp(x->redirect, y->redirect) != 0)) {
				print_error("%s: page %zu differs: %s\n", step, i, x->path);
				fail();
			}
		}
		assert_null(snapshot_page_at(b, p, i));
		assert_int_equal(snapshot_page_count(a, p),
		    snapshot_page_count(b, p));
	}
	const struct site *sa = snapshot_site(a), *sb = snapshot_site(b);
	assert_int_equal(sa->nposts, sb->nposts);
	assert_int_equal(sa->problems, sb->problems);
	assert_int_equal(sa->nnotes, sb->nnotes);
}

/* Reloads from *cur, checks the result against a fresh load, and leaves
 * the reload in *cur; returns its site for the counts. */
static const struct site *reload(struct snapshot **cur, const char *step)
{
	struct snapshot *inc = snapshot_build(&cfg, snapshot_site(*cur));
	struct snapshot *fresh = snapshot_build(&cfg, NULL);
	assert_non_null(inc);
	assert_non_null(fresh);
	same_pages(inc, fresh, step);
	same_pages(fresh, inc, step);
	const struct site *f = snapshot_site(fresh);
	assert_int_equal(f->posts_reused, 0);
	assert_int_equal(f->posts_rendered, f->nposts);
	snapshot_unref(fresh);
	snapshot_unref(*cur);
	*cur = inc;
	const struct site *s = snapshot_site(inc);
	assert_int_equal(s->posts_rendered + s->posts_reused, s->nposts);
	return s;
}

static void test_reload_equals_fresh_load(void **state)
{
	(void)state;
	char path[128], other[128];
	put("site.yaml", "title: Changing\nlanguage: en\n");
	put("index.md", "Welcome.\n");
	for (int i = 0; i < NPOSTS; i++)
		post(i, "A title", i % 3 ? "Tea, all" : "all, coffee");
	put("posts/broken.md", "---\ntitle: [unclosed\n---\nBody.\n");
	struct snapshot *cur = snapshot_build(&cfg, NULL);
	assert_non_null(cur);
	assert_int_equal(snapshot_site(cur)->nposts, NPOSTS);
	const struct site *s;

	/* Nothing changed: every post shared. A file read less than a
	 * second after its last change is read again (it could have changed
	 * within its time stamp's tick); once read later than that, its
	 * stat alone says it is the same. (Whether the loads above were
	 * that late depends on the machine; after the sleep, one is.) */
	s = reload(&cur, "nothing");
	assert_int_equal(s->posts_rendered, 0);
	sleep(2);
	s = reload(&cur, "nothing, later");
	assert_int_equal(s->posts_rendered, 0);
	s = reload(&cur, "nothing, trusted");
	assert_int_equal(s->posts_reread, 0);
	assert_int_equal(s->posts_rendered, 0);

	/* A body: that post only. */
	put_post("p-010.md", 10, "A title", "Tea, all", "A new paragraph.\n\n");
	s = reload(&cur, "body");
	assert_int_equal(s->posts_reread, 1);
	assert_int_equal(s->posts_rendered, 1);
	/* No feed or index shows a post's text (its read time is the
	 * same): every feed, tag page and /posts/ is shared, on both
	 * protocols. */
	assert_int_equal(s->nkept, 2 * (1 + s->ntags) + 2 * (1 + s->ntags));
	assert_int_equal(s->kept_reused, s->nkept);

	/* A title: the post, both neighbours (their Older/Newer), of which
	 * p-021 also links to it. */
	post(20, "Another title", "Tea, all");
	s = reload(&cur, "title");
	assert_int_equal(s->posts_rendered, 3);
	/* The feeds and indexes it is in are written again, the coffee
	 * feed and tag page not. */
	assert_int_equal(s->ntags, 3);
	assert_int_equal(s->kept_reused, 4);

	/* A new newest post: it and the one it is newer than. */
	post(NPOSTS, "The newest", "all");
	s = reload(&cur, "added");
	assert_int_equal(s->nposts, NPOSTS + 1);
	assert_int_equal(s->posts_rendered, 2);

	/* A post gone: its neighbours, one of which links to it (now to
	 * nothing, a problem). */
	snprintf(path, sizeof path, "%s/posts/p-005.md", root);
	assert_int_equal(unlink(path), 0);
	s = reload(&cur, "removed");
	assert_int_equal(s->nposts, NPOSTS);
	assert_int_equal(s->posts_rendered, 2);

	/* A file renamed: a new slug, so the post, its neighbours, and the
	 * link to its old name. */
	snprintf(path, sizeof path, "%s/posts/p-030.md", root);
	snprintf(other, sizeof other, "%s/posts/q-030.md", root);
	assert_int_equal(rename(path, other), 0);
	s = reload(&cur, "renamed");
	assert_int_equal(s->posts_rendered, 3);

	/* Tags of one post. */
	post(12, "A title", "all, milk");
	s = reload(&cur, "tags");
	assert_int_equal(s->posts_rendered, 1);

	/* The oldest post spells "all" anew: every post shows it so. */
	post(0, "A title", "ALL, coffee");
	s = reload(&cur, "spelling");
	assert_int_equal(s->posts_rendered, s->nposts);

	/* A file a post links to appears: its link is found now. */
	put("files/later-15.txt", "Here now.\n");
	s = reload(&cur, "linked file");
	assert_int_equal(s->posts_rendered, 1);

	/* site.yaml: the title is on no post's page; the language is. */
	put("site.yaml", "title: Changed\nlanguage: en\n");
	s = reload(&cur, "site title");
	assert_int_equal(s->posts_rendered, 0);
	put("site.yaml", "title: Changed\nlanguage: fr\n");
	s = reload(&cur, "site language");
	assert_int_equal(s->posts_rendered, s->nposts);
	/* Shorter feeds: no post's page changes, every feed does. */
	put("site.yaml", "title: Changed\nlanguage: fr\nfeed_entries: 3\n");
	s = reload(&cur, "feed entries");
	assert_int_equal(s->posts_rendered, 0);
	put("site.yaml", "title: Changed\nlanguage: fr\nfeed_entries: all\n");
	s = reload(&cur, "every entry");
	assert_int_equal(s->posts_rendered, 0);

	/* The broken post is fixed, then broken again: reported each time
	 * it is (the comparison counts the problems). */
	put("posts/broken.md", "---\ntitle: Fixed\ndate: 2020-01-01\n---\nOk.\n");
	s = reload(&cur, "fixed");
	assert_int_equal(s->nposts, NPOSTS + 1);
	put("posts/broken.md", "---\ntitle: [unclosed\n---\nBody.\n");
	s = reload(&cur, "broken again");
	assert_int_equal(s->nposts, NPOSTS);
	snapshot_unref(cur);
}

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof root, "/tmp/pollux-incr-XXXXXX");
	assert_non_null(mkdtemp(root));
	config_defaults(&cfg);
	char *argv[] = {"pollux", "--capsule", root, NULL};
	assert_int_equal(config_parse_args(&cfg, 3, argv), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return remove_tree(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reload_equals_fresh_load),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
