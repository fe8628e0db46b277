/* render.c - test tool: converts one Markdown file with either converter,
 * the way the golden tests and their authors run it:
 *     render gmi FILE.md     render txt FILE.md
 * Links to other posts ("x.md", "/posts/2026-01-02-x.md") are rewritten as
 * the capsule would, with the slug taken from the file name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pollux/markdown.h"
#include "pollux/util.h"

static char *rewrite(void *ctx, const char *url)
{
	const char *proto = ctx;
	if (strstr(url, "://") || strncmp(url, "mailto:", 7) == 0)
		return NULL;
	size_t n = strlen(url);
	if (n < 4 || strcmp(url + n - 3, ".md") != 0)
		return NULL;
	const char *name = strrchr(url, '/');
	name = name ? name + 1 : url;
	size_t len = strlen(name) - 3;
	/* A leading YYYY-MM-DD- is the date, not the slug. */
	if (len > 11 && name[4] == '-' && name[7] == '-' && name[10] == '-')
		name += 11, len -= 11;
	struct buf b = {0};
	if (strcmp(proto, "gmi") == 0)
		buf_printf(&b, "/posts/%.*s.gmi", (int)len, name);
	else
		buf_printf(&b, "gopher://localhost/0/posts/%.*s.txt", (int)len, name);
	return buf_take(&b, NULL);
}

int main(int argc, char **argv)
{
	if (argc != 3 || (strcmp(argv[1], "gmi") && strcmp(argv[1], "txt"))) {
		fprintf(stderr, "usage: render gmi|txt FILE.md\n");
		return 2;
	}
	size_t len;
	char *md = read_file(argv[2], 0, 16 << 20, &len);
	if (!md) {
		perror(argv[2]);
		return 1;
	}
	struct render_opts o = {rewrite, argv[1]};
	struct buf out = {0};
	if (strcmp(argv[1], "gmi") == 0)
		gemtext_render(md, len, &o, &out);
	else
		gophertext_render(md, len, &o, &out);
	if (out.len)
		fwrite(out.data, 1, out.len, stdout);
	buf_free(&out);
	free(md);
	return 0;
}
