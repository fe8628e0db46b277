/* fuzz_frontmatter.c - libFuzzer target: any bytes as a post file. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pollux/post.h"
#include "pollux/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xstrndup((const char *)data, size);
	struct post p = {0};
	struct fm_error err = {0};
	if (frontmatter_parse(text, size, &p, &err) == 0) {
		if (!p.title || !p.body || p.body < text || p.body + p.body_len >
		    text + size)
			abort();
		/* A tag's path is one path segment; an old path is a path. */
		for (size_t i = 0; i < p.ntags; i++)
			if (!p.tags[i].path[0] || strchr(p.tags[i].path, '/') ||
			    p.tags[i].path[0] == '-' || p.tags[i].path[0] == '.')
				abort();
		for (size_t i = 0; i < p.naliases; i++)
			if (p.aliases[i].path[0] != '/' ||
			    strstr(p.aliases[i].path, "/."))
				abort();
	} else if (err.line == 0 || !err.msg[0]) {
		abort();   /* every error names a line and says why */
	}
	post_clear(&p);
	free(text);
	return 0;
}
