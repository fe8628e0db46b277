/* frontmatter.c - YAML front matter into a post record. STUB. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pollux/post.h"
#include "pollux/util.h"

int frontmatter_parse(const char *text, size_t len, struct post *p,
    struct fm_error *err)
{
	(void)text, (void)len, (void)p;
	err->line = 1;
	snprintf(err->msg, sizeof err->msg, "front matter parser not written");
	return -1;
}

int tag_normalise(char *tag)
{
	(void)tag;
	return 0;
}

bool path_segment_safe(const char *s)
{
	(void)s;
	return true;
}

void post_clear(struct post *p)
{
	free(p->file);
	free(p->text);
	free(p->title);
	free(p->summary);
	free(p->slug);
	free(p->lang);
	for (size_t i = 0; i < p->ntags; i++)
		free(p->tags[i]);
	free(p->tags);
	memset(p, 0, sizeof *p);
}
