/* render.c - test tool: one Markdown file through the walker and one writer,
 * the way the golden tests and their authors run it:
 *     render gmi FILE.md     render txt FILE.md     render menu FILE.md
 * or many files through all three, checked against tests/invariants.h:
 *     render check FILE.md...    (a line for each file that fails)
 * Links to other posts ("x.md", "/posts/2026-01-02-x.md") point at a post
 * whose slug is the file name's, as the capsule would make them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pollux/gemtext.h"
#include "pollux/gophertext.h"
#include "pollux/markdown.h"
#include "pollux/util.h"

#include "invariants.h"

/* The posts links name, made up as they come. */
static struct post **posts;
static size_t nposts;

static enum link_to resolve(void *ctx, const char *url, char **target,
    const struct post **post)
{
	(void)ctx;
	*target = NULL;
	if (strstr(url, "://") || strncmp(url, "mailto:", 7) == 0)
		return LINK_URL;
	size_t n = strlen(url);
	if (n < 4 || strcmp(url + n - 3, ".md") != 0)
		return LINK_URL;
	const char *name = strrchr(url, '/');
	name = name ? name + 1 : url;
	size_t len = strlen(name) - 3;
	/* A leading YYYY-MM-DD- is the date, not the slug. */
	if (len > 11 && name[4] == '-' && name[7] == '-' && name[10] == '-')
		name += 11, len -= 11;
	struct post *p = xcalloc(1, sizeof *p);
	p->slug = xstrndup(name, len);
	posts = xrealloc(posts, (nposts + 1) * sizeof *posts);
	posts[nposts++] = p;
	*post = p;
	return LINK_POST;
}

/* Every file through the three writers; the count of those that fail. */
static int check(char **files, int n)
{
	struct link_resolver r = {resolve, NULL};
	int bad = 0;

	for (int i = 0; i < n; i++) {
		size_t len;
		char *md = read_file(files[i], 0, 16 << 20, &len);
		if (!md) {
			perror(files[i]);
			bad++;
			continue;
		}
		struct model *pg = model_new(NULL);
		struct problem p;
		markdown_blocks(pg, md, len, &r);
		if (!page_ok(pg, &p)) {
			printf("%s: %s\n", files[i], p.what);
			bad++;
		}
		model_free(pg);
		free(md);
	}
	printf("%d files checked, %d failed\n", n, bad);
	return bad;
}

int main(int argc, char **argv)
{
	int rc = 0;

	if (argc >= 2 && strcmp(argv[1], "check") == 0) {
		rc = check(argv + 2, argc - 2) ? 1 : 0;
		goto done;
	}
	if (argc != 3 || (strcmp(argv[1], "gmi") && strcmp(argv[1], "txt") &&
	    strcmp(argv[1], "menu"))) {
		fprintf(stderr, "usage: render gmi|txt|menu FILE.md\n"
		    "       render check FILE.md...\n");
		return 2;
	}
	size_t len;
	char *md = read_file(argv[2], 0, 16 << 20, &len);
	if (!md) {
		perror(argv[2]);
		return 1;
	}
	struct link_resolver r = {resolve, NULL};
	struct gopher_out g = {{"localhost", 70}, NULL};
	struct model *pg = model_new(NULL);
	struct buf out = {0};
	markdown_blocks(pg, md, len, &r);
	if (strcmp(argv[1], "gmi") == 0)
		gemtext_write(pg, &out);
	else if (strcmp(argv[1], "txt") == 0)
		gophertext_write(pg, &g, &out);
	else
		gophermenu_write(pg, &g, &out);
	if (out.len)
		fwrite(out.data, 1, out.len, stdout);
	buf_free(&out);
	model_free(pg);
	free(md);
done:
	for (size_t i = 0; i < nposts; i++) {
		post_clear(posts[i]);
		free(posts[i]);
	}
	free(posts);
	return rc;
}
