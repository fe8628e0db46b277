/* test_capsule.c - the capsule loader on folders written by the test: good
 * posts, every kind of broken one, drafts, duplicate slugs, static files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pollux/site.h"
#include "pollux/util.h"

static char root[64];

static void put(const char *rel, const char *text)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", root, rel);
	/* Create parent folders as needed. */
	for (char *p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
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
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
	return system(cmd);
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
	struct site *s = capsule_load(root);
	assert_non_null(s);
	assert_int_equal(s->problems, 0);
	assert_string_equal(s->title, "Test Blog");
	assert_string_equal(s->lang, "en");
	assert_int_equal(s->nposts, 2);
	assert_string_equal(s->posts[0].slug, "custom-slug");
	assert_string_equal(s->posts[1].slug, "older");
	assert_int_equal(s->posts[1].read_time, 1);
	assert_int_equal(s->ntags, 2);
	assert_string_equal(s->tags[0].name, "linux");
	assert_int_equal(s->tags[0].nposts, 2);
	assert_ptr_equal(s->tags[0].posts[0], &s->posts[0]);
	assert_string_equal(s->tags[1].name, "retail-tech");
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
	struct site *s = capsule_load(root);
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
	struct site *s = capsule_load(root);
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
	struct site *s = capsule_load(root);
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
	struct site *s = capsule_load(root);
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
	struct site *s = capsule_load(root);
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

static void missing_folder_is_null(void **state)
{
	(void)state;
	assert_null(capsule_load("/nonexistent/pollux/capsule"));
}

static void bad_site_yaml_is_reported(void **state)
{
	(void)state;
	put("site.yaml", "title: [unclosed\n");
	struct site *s = capsule_load(root);
	assert_non_null(s);
	assert_int_equal(s->problems, 1);
	assert_string_equal(s->title, "A pollux capsule");
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
		cmocka_unit_test_setup_teardown(missing_folder_is_null, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_site_yaml_is_reported, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
