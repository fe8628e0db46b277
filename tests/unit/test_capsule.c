/* test_capsule.c - the capsule loader on folders written by the test: good
 * posts, every kind of broken one, drafts, duplicate slugs, static files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "files.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pollux/site.h"
#include "pollux/util.h"

static char root[64];

static void put(const char *rel, const char *text)
{
	put_file(root, rel, text);
}

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof root, "/tmp/pollux-capsule-XXXXXX");
	assert_non_null(mkdtemp(root));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return remove_tree(root);
}

#define POST(title, date, extra) \
	"---\ntitle: \"" title "\"\ndate: " date "\n" extra "---\nBody text.\n"

static void loads_good_posts_newest_first(void **state)
{
	(void)state;
	put("site.yaml", "title: Test Blog\nauthor: A. Writer\nlanguage: en\n");
	put("posts/2025-01-02-older.md", POST("Older", "2025-01-02",
	    "tags: [Linux, Retail Tech]\n"));
	put("posts/2026-03-04-newer.md", POST("Newer", "2026-03-04",
	    "tags: linux\nslug: custom-slug\n"));
	struct site *s = capsule_load(root, NULL);
	assert_non_null(s);
	assert_int_equal(s->problems, 0);
	assert_string_equal(s->title, "Test Blog");
	assert_string_equal(s->lang, "en");
	assert_int_equal(s->nposts, 2);
	assert_string_equal(s->posts[0].slug, "custom-slug");
	assert_string_equal(s->posts[1].slug, "older");
	assert_int_equal(s->posts[1].read_time, 1);
	/* One tag for "Linux" and "linux", shown as the older post spells
	 * it, in every post; the other spelling is a note, not a problem. */
	assert_int_equal(s->ntags, 2);
	assert_string_equal(s->tags[0].name, "Linux");
	assert_string_equal(s->tags[0].path, "linux");
	assert_int_equal(s->tags[0].nposts, 2);
	assert_ptr_equal(s->tags[0].posts[0], &s->posts[0]);
	assert_string_equal(s->posts[0].tags[0].name, "Linux");
	assert_string_equal(s->tags[1].name, "Retail Tech");
	assert_string_equal(s->tags[1].path, "retail-tech");
	assert_int_equal(s->nnotes, 1);
	assert_non_null(strstr(s->notes[0], "posts/2026-03-04-newer.md:4: note: "
	    "tag \"linux\" is the tag \"Linux\" (/tags/linux/)"));
	site_free(s);
}

static void skips_broken_posts_and_drafts(void **state)
{
	(void)state;
	put("posts/2025-01-01-good.md", POST("Good", "2025-01-01", ""));
	put("posts/no-title.md", "---\ndate: 2025-01-01\n---\nx\n");
	put("posts/bad-date.md", POST("Bad date", "2025-02-30", ""));
	put("posts/unclosed.md", "---\ntitle: x\ndate: 2025-01-01\n");
	put("posts/latin1.md", POST("Latin-1", "2025-01-01", "") "caf\xe9\n");
	put("posts/draft.md", POST("Draft", "2025-01-01", "draft: true\n"));
	put("posts/_template.md", POST("Template", "2025-01-01", ""));
	put("posts/.hidden.md", POST("Hidden", "2025-01-01", ""));
	put("posts/Bad Name.md", POST("Bad name", "2025-01-01", ""));
	struct site *s = capsule_load(root, NULL);
	assert_non_null(s);
	assert_int_equal(s->nposts, 1);
	assert_string_equal(s->posts[0].slug, "good");
	assert_int_equal(s->problems, 5);
	assert_int_equal(s->drafts, 1);
	site_free(s);
}

static void duplicate_slug_keeps_first_file(void **state)
{
	(void)state;
	put("posts/2025-01-01-same.md", POST("First", "2025-01-01", ""));
	put("posts/2025-06-01-same.md", POST("Second", "2025-06-01", ""));
	put("posts/other.md", POST("Third", "2025-07-01", "slug: same\n"));
	struct site *s = capsule_load(root, NULL);
	assert_non_null(s);
	assert_int_equal(s->nposts, 1);
	assert_string_equal(s->posts[0].title, "First");
	assert_int_equal(s->problems, 2);
	site_free(s);
}

static void finds_links_between_posts(void **state)
{
	(void)state;
	put("posts/2026-01-12-nginx-concurrency.md",
	    POST("NGINX", "2026-01-12", "slug: nginx\n"));
	put("posts/2025-08-01-django-payments.md", POST("Django", "2025-08-01", ""));
	struct site *s = capsule_load(root, NULL);
	assert_non_null(s);
	const char *hits[] = {"2026-01-12-nginx-concurrency.md",
	    "./2026-01-12-nginx-concurrency.md",
	    "/posts/2026-01-12-nginx-concurrency.md",
	    "../posts/2026-01-12-nginx-concurrency.md#part", "nginx.md"};
	for (size_t i = 0; i < sizeof hits / sizeof *hits; i++) {
		const struct post *p = site_find_post_link(s, hits[i]);
		assert_non_null(p);
		assert_string_equal(p->slug, "nginx");
	}
	assert_string_equal(site_find_post_link(s, "django-payments.md")->slug,
	    "django-payments");
	assert_null(site_find_post_link(s, "https://x.org/nginx.md"));
	assert_null(site_find_post_link(s, "missing.md"));
	assert_null(site_find_post_link(s, "nginx"));
	assert_null(site_find_post_link(s, "/other/nginx.md"));
	site_free(s);
}

static void computes_read_time(void **state)
{
	(void)state;
	struct buf b = {0};
	buf_puts(&b, POST("Long", "2025-01-01", ""));
	for (int i = 0; i < 401; i++)
		buf_puts(&b, "word ");
	put("posts/long.md", b.data);
	buf_free(&b);
	struct site *s = capsule_load(root, NULL);
	assert_int_equal(s->posts[0].read_time, 3);  /* 403 words */
	site_free(s);
}

static void collects_static_files_but_not_sources(void **state)
{
	(void)state;
	put("site.yaml", "title: T\n");
	put("index.md", "Hello\n");
	put("posts/a.md", POST("A", "2025-01-01", ""));
	put("posts/diagram.png", "PNG");
	put("images/x.png", "PNG");
	put("about.gmi", "# About\n");
	put(".git/config", "secret");
	put("_drafts/x.txt", "secret");
	put("notes/.env", "secret");
	char link[256];
	snprintf(link, sizeof link, "%s/leak.txt", root);
	assert_int_equal(symlink("/etc/passwd", link), 0);
	struct site *s = capsule_load(root, NULL);
	assert_non_null(s);
	assert_non_null(s->intro);
	assert_int_equal(s->nfiles, 3);
	assert_string_equal(s->files[0].path, "/about.gmi");
	assert_string_equal(s->files[1].path, "/images/x.png");
	assert_string_equal(s->files[2].path, "/posts/diagram.png");
	assert_int_equal(s->ndirs, 1);   /* /posts/ is generated, not listed */
	assert_string_equal(s->dirs[0], "/images/");
	assert_int_equal(s->problems, 1);   /* the symlink */
	site_free(s);
}

static void put_link(const char *target, const char *rel)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", root, rel);
	assert_int_equal(symlink(target, path), 0);
}

/* Links out of the capsule are never followed, whatever they stand for:
 * the site settings, the intro, a post, a file, a folder. */
static void never_follows_links_out(void **state)
{
	(void)state;
	put("posts/a.md", POST("A", "2025-01-01", ""));
	put("notes/real.txt", "inside\n");
	put(".private", "hidden\n");
	put_link("/etc/passwd", "site.yaml");
	put_link("/etc/passwd", "index.md");
	put_link("/etc/passwd", "posts/leak.md");
	put_link("/etc/passwd", "passwd.txt");
	put_link("/etc", "etc");
	put_link("../notes/real.txt", "posts/ok.txt");   /* inside: served */
	put_link(".private", "exposed.txt");             /* private: not */
	struct site *s = capsule_load(root, NULL);
	assert_non_null(s);
	assert_null(s->intro);
	assert_string_equal(s->title, "A pollux capsule");
	assert_int_equal(s->nposts, 1);
	assert_int_equal(s->nfiles, 2);
	assert_string_equal(s->files[0].path, "/notes/real.txt");
	assert_string_equal(s->files[1].path, "/posts/ok.txt");
	assert_string_equal(s->files[1].data, "inside\n");
	assert_int_equal(s->problems, 6);
	for (size_t i = 0; i < s->nfiles; i++)
		assert_null(strstr(s->files[i].data, "root:"));
	site_free(s);
}

/* Two links to the capsule itself used to be walked until memory ran out. */
static void folder_links_cannot_loop(void **state)
{
	(void)state;
	put("notes/a.txt", "a\n");
	put_link(".", "a");
	put_link(".", "b");
	put_link("..", "notes/up");
	struct site *s = capsule_load(root, NULL);
	assert_non_null(s);
	assert_int_equal(s->nfiles, 1);
	assert_int_equal(s->problems, 3);
	site_free(s);
}

/* A FIFO where a file was expected must not hang the load. */
static void fifo_is_refused(void **state)
{
	(void)state;
	char path[256];
	snprintf(path, sizeof path, "%s/pipe.txt", root);
	assert_int_equal(mkfifo(path, 0644), 0);
	snprintf(path, sizeof path, "%s/index.md", root);
	assert_int_equal(mkfifo(path, 0644), 0);
	struct site *s = capsule_load(root, NULL);
	assert_non_null(s);
	assert_int_equal(s->nfiles, 0);
	assert_null(s->intro);
	assert_int_equal(s->problems, 2);
	site_free(s);
}

/* Out of descriptors, a load fails rather than publish a site with holes
 * (a reload then keeps the previous pages). */
static void out_of_descriptors_fails(void **state)
{
	(void)state;
	put("site.yaml", "title: T\n");
	put("posts/a.md", POST("A", "2025-01-01", ""));
	struct rlimit old, low;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	int fd = dup(0);           /* the lowest free descriptor */
	assert_true(fd >= 0);
	close(fd);
	low = old;
	low.rlim_cur = (rlim_t)fd; /* every open now fails with EMFILE */
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	struct site *s = capsule_load(root, NULL);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	assert_null(s);
	s = capsule_load(root, NULL);
	assert_non_null(s);
	assert_int_equal(s->nposts, 1);
	site_free(s);
}

/* Only a file that is gone may be left out of a reload: one that the
 * served site could read and now cannot fails the load. */
static void unreadable_again_fails_the_reload(void **state)
{
	(void)state;
	put("posts/a.md", POST("A", "2025-01-01", ""));
	put("notes/n.txt", "n\n");
	struct site *prev = capsule_load(root, NULL);
	assert_non_null(prev);
	char path[256];
	snprintf(path, sizeof path, "%s/notes/n.txt", root);
	assert_int_equal(unlink(path), 0);
	struct site *s = capsule_load(root, prev);   /* gone: fine */
	assert_non_null(s);
	assert_int_equal(s->nfiles, 0);
	site_free(s);
	/* A file replaced by something unreadable: a folder can't be
	 * read as a file, whoever runs the test (root reads anything). */
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof path, "%s/posts/a.md", root);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkfifo(path, 0644), 0);
	s = capsule_load(root, prev);
	assert_null(s);
	site_free(prev);
}

static void missing_folder_is_null(void **state)
{
	(void)state;
	assert_null(capsule_load("/nonexistent/pollux/capsule", NULL));
}

static void bad_site_yaml_is_reported(void **state)
{
	(void)state;
	put("site.yaml", "title: [unclosed\n");
	struct site *s = capsule_load(root, NULL);
	assert_non_null(s);
	assert_int_equal(s->problems, 1);
	assert_string_equal(s->title, "A pollux capsule");
	site_free(s);
}

static void feed_entries_setting(void **state)
{
	(void)state;
	static const struct { const char *yaml; unsigned want, problems; }
	    cases[] = {
		{"title: T\n", 50, 0},                /* the default */
		{"feed_entries: 7\n", 7, 0},
		{"feed_entries: all\n", 0, 0},
		{"feed_entries: 0\n", 50, 1},
		{"feed_entries: -3\n", 50, 1},
		{"feed_entries: 12x\n", 50, 1},
		{"feed_entries: [1]\n", 50, 1},
		{"feed_entries: 100001\n", 50, 1},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		put("site.yaml", cases[i].yaml);
		struct site *s = capsule_load(root, NULL);
		assert_non_null(s);
		assert_int_equal(s->feed_entries, cases[i].want);
		assert_int_equal(s->problems, cases[i].problems);
		site_free(s);
	}
}

static void redirects_and_aliases(void **state)
{
	(void)state;
	put("site.yaml", "title: T\nicon: /images/icon.png\nredirects:\n"
	    "  - from: /old-about.gmi\n    to: /about.gmi\n"
	    "  - from: /2019/\n    to: /posts/\n"
	    "  - from: /x\n"                              /* line 8: no to */
	    "  - from: gemini://elsewhere/\n    to: /\n"  /* line 9: a URL */
	    "  - from: /y\n    to: /z\n    why: because\n" /* line 11 */
	    "  - from: /2019/\n    to: /tags/\n");        /* line 14: twice */
	put("posts/2025-01-01-a.md", POST("A", "2025-01-01",
	    "aliases: [/2019/, /posts/a-old.gmi]\n"));
	put("posts/2025-02-01-b.md", POST("B", "2025-02-01",
	    "aliases:\n  - /posts/a-old.gmi\n  - /b-old/\n"));
	struct site *s = capsule_load(root, NULL);
	assert_non_null(s);
	assert_string_equal(s->icon, "/images/icon.png");
	assert_int_equal(s->icon_line, 2);
	/* Problems: lines 8, 9 and 11; /2019/ twice in site.yaml and once
	 * in a.md; /posts/a-old.gmi in a.md after b.md (newer, first). */
	assert_int_equal(s->problems, 6);
	assert_int_equal(s->nredirects, 4);
	const struct redirect *r = site_find_redirect(s, "/2019/");
	assert_non_null(r);
	assert_string_equal(r->to, "/posts/");
	assert_null(r->post);
	assert_string_equal(r->file, "site.yaml");
	assert_int_equal(r->line, 6);
	r = site_find_redirect(s, "/posts/a-old.gmi");
	assert_non_null(r);
	assert_null(r->to);
	assert_string_equal(r->post->title, "B");
	assert_int_equal(r->line, 5);
	assert_non_null(site_find_redirect(s, "/b-old/"));
	assert_non_null(site_find_redirect(s, "/old-about.gmi"));
	assert_null(site_find_redirect(s, "/b-old"));
	site_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(loads_good_posts_newest_first, setup, teardown),
		cmocka_unit_test_setup_teardown(skips_broken_posts_and_drafts, setup, teardown),
		cmocka_unit_test_setup_teardown(duplicate_slug_keeps_first_file, setup, teardown),
		cmocka_unit_test_setup_teardown(finds_links_between_posts, setup, teardown),
		cmocka_unit_test_setup_teardown(computes_read_time, setup, teardown),
		cmocka_unit_test_setup_teardown(collects_static_files_but_not_sources, setup, teardown),
		cmocka_unit_test_setup_teardown(never_follows_links_out, setup, teardown),
		cmocka_unit_test_setup_teardown(folder_links_cannot_loop, setup, teardown),
		cmocka_unit_test_setup_teardown(fifo_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(out_of_descriptors_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(unreadable_again_fails_the_reload, setup, teardown),
		cmocka_unit_test_setup_teardown(missing_folder_is_null, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_site_yaml_is_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(feed_entries_setting, setup, teardown),
		cmocka_unit_test_setup_teardown(redirects_and_aliases, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
