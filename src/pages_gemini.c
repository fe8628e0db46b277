/* pages_gemini.c - every Gemini response of the capsule, rendered once when
 * it loads: home, post index, posts, tags, feeds, robots.txt, static files.
 * Index pages follow the Gemini subscription convention (dated links). */
#include <stdlib.h>
#include <string.h>

#include "pollux/feed.h"
#include "pollux/gemtext.h"
#include "pollux/markdown.h"
#include "pollux/mime.h"
#include "pollux/pages.h"
#include "pollux/url.h"
#include "pollux/util.h"

#define HOME_LATEST 10

/* A link to another post becomes that post's page. */
static enum link_to resolve_link(void *ctx, const char *url, char **target,
    const struct post **post)
{
	*target = NULL;
	*post = site_find_post_link(ctx, url);
	return *post ? LINK_POST : LINK_URL;
}

static void markdown(struct buf *b, const struct site *site, const char *md,
    size_t len)
{
	struct link_resolver r = {resolve_link, (void *)site};
	struct model *pg = model_new(NULL);
	markdown_blocks(pg, md, len, &r);
	gemtext_write(pg, b);
	model_free(pg);
}

static void add_page(struct snapshot *s, const char *path, const char *lang,
    struct buf *body)
{
	char head[96];
	snprintf(head, sizeof head, "20 text/gemini; lang=%s\r\n", lang);
	size_t len;
	char *data = buf_take(body, &len);
	snapshot_add(s, PROTO_GEMINI, path, head, data, len);
}

/* A link to a file or folder of the capsule: its name may hold anything a
 * file system allows (spaces, '#', '?', '%'), so the URL is escaped; the
 * label is the name as it is. */
static void file_link(struct buf *b, const char *path, const char *label)
{
	buf_puts(b, "=> ");
	url_encode_path(b, path);
	buf_printf(b, " %s\n", label);
}

/* The subscription convention's entry: "=> URL YYYY-MM-DD Title". */
static void post_link(struct buf *b, const struct post *p, bool summary)
{
	buf_printf(b, "=> /posts/%s.gmi %s %s\n", p->slug, p->date, p->title);
	if (summary && p->summary)
		buf_printf(b, "%s\n", p->summary);
}

static void post_list(struct buf *b, struct post *const *posts, size_t n,
    bool summary)
{
	for (size_t i = 0; i < n; i++) {
		if (summary && i)
			buf_putc(b, '\n');
		post_link(b, posts[i], summary);
	}
}

static void home(struct snapshot *s, const struct site *site)
{
	struct buf b = {0};
	buf_printf(&b, "# %s\n\n", site->title);
	if (site->description)
		buf_printf(&b, "%s\n\n", site->description);
	if (site->intro) {
		markdown(&b, site, site->intro, site->intro_len);
		buf_putc(&b, '\n');
	}
	buf_puts(&b, "## Latest posts\n\n");
	size_t n = site->nposts < HOME_LATEST ? site->nposts : HOME_LATEST;
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_putc(&b, '\n');
		post_link(&b, &site->posts[i], true);
	}
	if (!n)
		buf_puts(&b, "Nothing published yet.\n");
	buf_printf(&b, "\n## Browse\n\n=> /posts/ All %zu posts\n"
	    "=> /tags/ %zu tags\n=> /atom.xml Atom feed\n", site->nposts,
	    site->ntags);
	/* Top-level pages the author added (about.gmi, notes/, ...). */
	for (size_t i = 0; i < site->nfiles; i++) {
		const char *path = site->files[i].path;
		if (!strchr(path + 1, '/') && strcmp(path, "/robots.txt") != 0)
			file_link(&b, path, path + 1);
	}
	for (size_t i = 0; i < site->ndirs; i++)
		if (strchr(site->dirs[i] + 1, '/')[1] == '\0')   /* top level */
			file_link(&b, site->dirs[i], site->dirs[i] + 1);
	add_page(s, "/", site->lang, &b);
}

static void all_posts(struct snapshot *s, const struct site *site)
{
	struct buf b = {0};
	buf_printf(&b, "# %s: all posts\n", site->title);
	const char *year = "";
	for (size_t i = 0; i < site->nposts; i++) {
		const struct post *p = &site->posts[i];
		if (strncmp(year, p->date, 4) != 0) {
			year = p->date;
			buf_printf(&b, "\n## %.4s\n\n", year);
		}
		post_link(&b, p, false);
	}
	buf_puts(&b, "\n=> / Home\n");
	add_page(s, "/posts/", site->lang, &b);
	snapshot_add_redirect(s, PROTO_GEMINI, "/posts", "/posts/");
}

static void post_page(struct snapshot *s, const struct site *site, size_t i)
{
	const struct post *p = &site->posts[i];
	struct buf b = {0};
	buf_printf(&b, "# %s\n\n%s · %u min read\n", p->title, p->date,
	    p->read_time);
	for (size_t t = 0; t < p->ntags; t++)
		buf_printf(&b, "=> /tags/%s/ #%s\n", p->tags[t], p->tags[t]);
	buf_putc(&b, '\n');
	markdown(&b, site, p->body, p->body_len);
	buf_puts(&b, "\n");
	if (i + 1 < site->nposts)
		buf_printf(&b, "=> /posts/%s.gmi Older: %s\n",
		    site->posts[i + 1].slug, site->posts[i + 1].title);
	if (i > 0)
		buf_printf(&b, "=> /posts/%s.gmi Newer: %s\n",
		    site->posts[i - 1].slug, site->posts[i - 1].title);
	buf_puts(&b, "=> /posts/ All posts\n=> / Home\n");

	char path[160];
	snprintf(path, sizeof path, "/posts/%s.gmi", p->slug);
	add_page(s, path, p->lang ? p->lang : site->lang, &b);
}

static void feed(struct snapshot *s, const struct site *site,
    const struct config *cfg, const char *path, const char *title,
    const char *alternate, struct post *const *posts, size_t n)
{
	/* Absolute URLs: a feed is read out of context. */
	struct buf base = {0}, self = {0}, alt = {0}, prefix = {0}, out = {0};
	buf_printf(&base, "gemini://%s", cfg->hostnames[0]);
	if (cfg->gemini_port != 1965 && cfg->gemini_port != 0)
		buf_printf(&base, ":%u", cfg->gemini_port);
	buf_printf(&self, "%s%s", base.data, path);
	buf_printf(&alt, "%s%s", base.data, alternate);
	buf_printf(&prefix, "%s/posts/", base.data);
	struct feed_urls urls = {self.data, alt.data, prefix.data, ".gmi"};
	feed_atom(&out, site, title, posts, n, &urls);
	size_t len;
	char *data = buf_take(&out, &len);
	snapshot_add(s, PROTO_GEMINI, path, "20 application/atom+xml\r\n", data,
	    len);
	buf_free(&base);
	buf_free(&self);
	buf_free(&alt);
	buf_free(&prefix);
}

static void tags(struct snapshot *s, const struct site *site,
    const struct config *cfg)
{
	struct buf b = {0};
	buf_printf(&b, "# %s: tags\n\n", site->title);
	for (size_t i = 0; i < site->ntags; i++)
		buf_printf(&b, "=> /tags/%s/ %s (%zu post%s)\n", site->tags[i].name,
		    site->tags[i].name, site->tags[i].nposts,
		    site->tags[i].nposts == 1 ? "" : "s");
	if (!site->ntags)
		buf_puts(&b, "No tags yet.\n");
	buf_puts(&b, "\n=> / Home\n");
	add_page(s, "/tags/", site->lang, &b);
	snapshot_add_redirect(s, PROTO_GEMINI, "/tags", "/tags/");

	for (size_t i = 0; i < site->ntags; i++) {
		const struct tag *t = &site->tags[i];
		char path[160], title[200];
		b = (struct buf){0};
		buf_printf(&b, "# %s: posts tagged %s\n\n", site->title, t->name);
		post_list(&b, t->posts, t->nposts, true);
		buf_printf(&b, "\n=> /tags/%s/atom.xml Atom feed of this tag\n"
		    "=> /tags/ All tags\n=> / Home\n", t->name);
		snprintf(path, sizeof path, "/tags/%s/", t->name);
		add_page(s, path, site->lang, &b);
		snprintf(path, sizeof path, "/tags/%s", t->name);
		char target[160];
		snprintf(target, sizeof target, "/tags/%s/", t->name);
		snapshot_add_redirect(s, PROTO_GEMINI, path, target);
		snprintf(path, sizeof path, "/tags/%s/atom.xml", t->name);
		snprintf(title, sizeof title, "%s: %s", site->title, t->name);
		feed(s, site, cfg, path, title, target, t->posts, t->nposts);
	}
}

static void static_files(struct snapshot *s, const struct site *site)
{
	for (size_t i = 0; i < site->nfiles; i++) {
		const struct static_file *f = &site->files[i];
		char head[128];
		snprintf(head, sizeof head, "20 %s\r\n", mime_type(f->path));
		snapshot_add_borrowed(s, PROTO_GEMINI, f->path, head, f->data,
		    f->len);
	}
	/* A folder of static files: its index.gmi, else a listing. */
	for (size_t d = 0; d < site->ndirs; d++) {
		const char *dir = site->dirs[d];
		size_t dlen = strlen(dir);
		char *noslash = xstrndup(dir, dlen - 1);
		struct buf target = {0};
		url_encode_path(&target, dir);
		snapshot_add_redirect(s, PROTO_GEMINI, noslash, target.data);
		buf_free(&target);
		free(noslash);

		struct buf index = {0};
		buf_printf(&index, "%sindex.gmi", dir);
		bool has_index = false;
		for (size_t i = 0; i < site->nfiles; i++)
			has_index |= strcmp(site->files[i].path, index.data) == 0;
		if (has_index) {
			for (size_t i = 0; i < site->nfiles; i++)
				if (strcmp(site->files[i].path, index.data) == 0)
					snapshot_add_borrowed(s, PROTO_GEMINI, dir,
					    "20 text/gemini\r\n", site->files[i].data,
					    site->files[i].len);
			buf_free(&index);
			continue;
		}
		buf_free(&index);
		struct buf b = {0};
		buf_printf(&b, "# %s\n\n", dir);
		for (size_t i = 0; i < site->ndirs; i++) {
			const char *sub = site->dirs[i];
			if (strncmp(sub, dir, dlen) == 0 && sub[dlen] &&
			    strchr(sub + dlen, '/') == sub + strlen(sub) - 1)
				file_link(&b, sub, sub + dlen);
		}
		for (size_t i = 0; i < site->nfiles; i++) {
			const char *path = site->files[i].path;
			if (strncmp(path, dir, dlen) == 0 && !strchr(path + dlen, '/'))
				file_link(&b, path, path + dlen);
		}
		buf_puts(&b, "\n=> / Home\n");
		add_page(s, dir, site->lang, &b);
	}
}

/* Gemini's robots.txt companion spec: indexers and archivers welcome; web
 * proxies, which would republish the capsule on the web, are not. */
static const char robots[] =
    "User-agent: webproxy\nDisallow: /\n\nUser-agent: *\nDisallow:\n";

void pages_gemini(struct snapshot *s, const struct site *site,
    const struct config *cfg)
{
	home(s, site);
	all_posts(s, site);
	for (size_t i = 0; i < site->nposts; i++)
		post_page(s, site, i);
	tags(s, site, cfg);

	struct post **all = xcalloc(site->nposts ? site->nposts : 1, sizeof *all);
	for (size_t i = 0; i < site->nposts; i++)
		all[i] = &site->posts[i];
	feed(s, site, cfg, "/atom.xml", site->title, "/", all, site->nposts);
	free(all);

	snapshot_add_borrowed(s, PROTO_GEMINI, "/robots.txt",
	    "20 text/plain; charset=utf-8\r\n", robots, sizeof robots - 1);
	/* Last, so a file the author put in the capsule wins. */
	static_files(s, site);
}
