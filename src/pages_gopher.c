/* pages_gopher.c - every Gopher response of the capsule, rendered once when
 * it loads: menus (type 1), posts as text (type 0), feeds, caps.txt and the
 * static files with their item types. */
#include <stdlib.h>
#include <string.h>

#include "pollux/feed.h"
#include "pollux/gophertext.h"
#include "pollux/layout.h"
#include "pollux/markdown.h"
#include "pollux/mime.h"
#include "pollux/pages.h"
#include "pollux/url.h"
#include "pollux/util.h"

#define HOME_LATEST 10

struct gopher_site {
	const struct site *site;
	const char *host;
	unsigned port;
};

static void item(struct buf *b, const struct gopher_site *g, char type,
    const char *display, const char *selector)
{
	gophermap_item(b, type, display, selector, g->host, g->port);
}

static void add_menu(struct snapshot *s, const char *path, struct buf *b)
{
	gophermap_end(b);
	size_t len;
	char *data = buf_take(b, &len);
	snapshot_add(s, PROTO_GOPHER, path, "", data, len);
}

/* Links in a post: another post becomes its Gopher text; a path on this
 * capsule becomes an item of the type of what it names. */
static enum link_to resolve_link(void *ctx, const char *url, char **target,
    const struct post **post)
{
	const struct gopher_site *g = ctx;
	*target = NULL;
	*post = site_find_post_link(g->site, url);
	if (*post)
		return LINK_POST_TEXT;
	if (strchr(url, ':') || url[0] == '#' || url[0] == '\0' ||
	    strlen(url) > REQUEST_LINE_MAX)
		return LINK_URL;
	/* Relative to the post, which lives in /posts/. */
	char path[REQUEST_LINE_MAX + 16];
	snprintf(path, sizeof path, "%s%.*s", url[0] == '/' ? "" : "/posts/",
	    (int)strcspn(url, "?#"), url);
	path_remove_dots(path);
	*target = xstrdup(path);
	return LINK_FILE;
}

static void markdown(struct buf *b, const struct gopher_site *g,
    const char *md, size_t len)
{
	struct link_resolver r = {resolve_link, (void *)g};
	struct gopher_out out = {{g->host, g->port}, NULL};
	struct model *pg = model_new(NULL);
	markdown_blocks(pg, md, len, &r);
	gophertext_write(pg, &out, b);
	model_free(pg);
}

/* Text as info lines, wrapped. */
static void info(struct buf *b, const char *text)
{
	struct buf lines = {0};
	wrap_text(text, strlen(text), GOPHER_TEXT_WIDTH, false, &lines);
	if (!lines.len)
		gophermap_info(b, "", 0);
	for (size_t i = 0; i < lines.len;) {
		size_t n = strcspn(lines.data + i, "\n");
		gophermap_info(b, lines.data + i, n);
		i += n + 1;
	}
	buf_free(&lines);
}

static void post_item(struct buf *b, const struct gopher_site *g,
    const struct post *p)
{
	char display[512], selector[160];
	snprintf(display, sizeof display, "%s %s", p->date, p->title);
	snprintf(selector, sizeof selector, "/posts/%s.txt", p->slug);
	item(b, g, '0', display, selector);
}

static void info_text(struct buf *b, const char *text, size_t len)
{
	/* Rendered text is already wrapped; each line becomes an i line. */
	const char *end = text + len;
	while (text < end) {
		const char *nl = memchr(text, '\n', (size_t)(end - text));
		size_t n = nl ? (size_t)(nl - text) : (size_t)(end - text);
		gophermap_info(b, text, n);
		text += n + (nl != NULL);
	}
}

static void home(struct snapshot *s, const struct gopher_site *g)
{
	const struct site *site = g->site;
	struct buf b = {0};
	info(&b, site->title);
	if (site->description)
		info(&b, site->description);
	info(&b, "");
	if (site->intro) {
		struct buf text = {0};
		markdown(&text, g, site->intro, site->intro_len);
		info_text(&b, text.data, text.len);
		buf_free(&text);
		info(&b, "");
	}
	info(&b, "Latest posts");
	size_t n = site->nposts < HOME_LATEST ? site->nposts : HOME_LATEST;
	for (size_t i = 0; i < n; i++)
		post_item(&b, g, &site->posts[i]);
	info(&b, "");
	char display[64];
	snprintf(display, sizeof display, "All %zu posts", site->nposts);
	item(&b, g, '1', display, "/posts/");
	snprintf(display, sizeof display, "%zu tags", site->ntags);
	item(&b, g, '1', display, "/tags/");
	item(&b, g, '0', "Atom feed", "/atom.xml");
	for (size_t i = 0; i < site->nfiles; i++) {
		const char *path = site->files[i].path;
		if (!strchr(path + 1, '/'))
			item(&b, g, gopher_item_type(path), path + 1, path);
	}
	for (size_t i = 0; i < site->ndirs; i++)
		if (strchr(site->dirs[i] + 1, '/')[1] == '\0')   /* top level */
			item(&b, g, '1', site->dirs[i] + 1, site->dirs[i]);
	add_menu(s, "/", &b);
}

static void all_posts(struct snapshot *s, const struct gopher_site *g)
{
	const struct site *site = g->site;
	struct buf b = {0};
	char line[300];
	snprintf(line, sizeof line, "%s: all posts", site->title);
	info(&b, line);
	const char *year = "";
	for (size_t i = 0; i < site->nposts; i++) {
		const struct post *p = &site->posts[i];
		if (strncmp(year, p->date, 4) != 0) {
			year = p->date;
			info(&b, "");
			snprintf(line, sizeof line, "%.4s", year);
			info(&b, line);
		}
		post_item(&b, g, p);
	}
	info(&b, "");
	item(&b, g, '1', "Home", "/");
	add_menu(s, "/posts/", &b);
}

static void post_page(struct snapshot *s, const struct gopher_site *g,
    const struct post *p)
{
	struct buf b = {0};
	buf_printf(&b, "%s\n", p->title);
	size_t width = utf8_len(p->title, strlen(p->title));
	for (size_t i = 0; i < width && i < GOPHER_TEXT_WIDTH; i++)
		buf_putc(&b, '=');
	buf_printf(&b, "\n\n%s · %u min read", p->date, p->read_time);
	if (p->ntags) {
		buf_puts(&b, " · tags:");
		for (size_t t = 0; t < p->ntags; t++)
			buf_printf(&b, "%s %s", t ? "," : "", p->tags[t]);
	}
	buf_puts(&b, "\n\n");
	markdown(&b, g, p->body, p->body_len);

	size_t len;
	char *data = gopher_text_response(b.data, b.len, &len);
	buf_free(&b);
	char path[160];
	snprintf(path, sizeof path, "/posts/%s.txt", p->slug);
	snapshot_add(s, PROTO_GOPHER, path, "", data, len);
}

static void feed(struct snapshot *s, const struct gopher_site *g,
    const char *path, const char *title, const char *alternate,
    struct post *const *posts, size_t n)
{
	struct buf self = {0}, alt = {0}, prefix = {0}, out = {0};
	buf_printf(&self, "gopher://%s:%u/0%s", g->host, g->port, path);
	buf_printf(&alt, "gopher://%s:%u/1%s", g->host, g->port, alternate);
	buf_printf(&prefix, "gopher://%s:%u/0/posts/", g->host, g->port);
	struct feed_urls urls = {self.data, alt.data, prefix.data, ".txt"};
	feed_atom(&out, g->site, title, posts, n, &urls);
	size_t len;
	char *data = buf_take(&out, &len);
	snapshot_add(s, PROTO_GOPHER, path, "", data, len);
	buf_free(&self);
	buf_free(&alt);
	buf_free(&prefix);
}

static void tags(struct snapshot *s, const struct gopher_site *g)
{
	const struct site *site = g->site;
	struct buf b = {0};
	char line[400], path[160];
	snprintf(line, sizeof line, "%s: tags", site->title);
	info(&b, line);
	info(&b, "");
	for (size_t i = 0; i < site->ntags; i++) {
		const struct tag *t = &site->tags[i];
		snprintf(line, sizeof line, "%s (%zu post%s)", t->name, t->nposts,
		    t->nposts == 1 ? "" : "s");
		snprintf(path, sizeof path, "/tags/%s/", t->name);
		item(&b, g, '1', line, path);
	}
	info(&b, "");
	item(&b, g, '1', "Home", "/");
	add_menu(s, "/tags/", &b);

	for (size_t i = 0; i < site->ntags; i++) {
		const struct tag *t = &site->tags[i];
		b = (struct buf){0};
		snprintf(line, sizeof line, "%s: posts tagged %s", site->title,
		    t->name);
		info(&b, line);
		info(&b, "");
		for (size_t k = 0; k < t->nposts; k++)
			post_item(&b, g, t->posts[k]);
		info(&b, "");
		snprintf(path, sizeof path, "/tags/%s/atom.xml", t->name);
		item(&b, g, '0', "Atom feed of this tag", path);
		item(&b, g, '1', "All tags", "/tags/");
		item(&b, g, '1', "Home", "/");
		char dir[160];
		snprintf(dir, sizeof dir, "/tags/%s/", t->name);
		add_menu(s, dir, &b);
		snprintf(line, sizeof line, "%s: %s", site->title, t->name);
		feed(s, g, path, line, dir, t->posts, t->nposts);
	}
}

static void static_files(struct snapshot *s, const struct gopher_site *g)
{
	const struct site *site = g->site;
	for (size_t i = 0; i < site->nfiles; i++)
		snapshot_add_borrowed(s, PROTO_GOPHER, site->files[i].path, "",
		    site->files[i].data, site->files[i].len);
	for (size_t d = 0; d < site->ndirs; d++) {
		const char *dir = site->dirs[d];
		size_t dlen = strlen(dir);
		struct buf b = {0};
		info(&b, dir);
		info(&b, "");
		for (size_t i = 0; i < site->ndirs; i++) {
			const char *sub = site->dirs[i];
			if (strncmp(sub, dir, dlen) == 0 && sub[dlen] &&
			    strchr(sub + dlen, '/') == sub + strlen(sub) - 1)
				item(&b, g, '1', sub + dlen, sub);
		}
		for (size_t i = 0; i < site->nfiles; i++) {
			const char *path = site->files[i].path;
			if (strncmp(path, dir, dlen) == 0 && !strchr(path + dlen, '/'))
				item(&b, g, gopher_item_type(path), path + dlen, path);
		}
		info(&b, "");
		item(&b, g, '1', "Home", "/");
		add_menu(s, dir, &b);
	}
}

/* The Gopher capabilities convention, as Gophernicus and others serve it. */
static void caps(struct snapshot *s, const struct site *site)
{
	struct buf b = {0};
	buf_printf(&b, "CAPS\r\n\r\nCapsVersion=1\r\nExpireCapsAfter=3600\r\n\r\n"
	    "PathDelimeter=/\r\nPathIdentity=.\r\nPathParent=..\r\n"
	    "PathParentDouble=FALSE\r\nPathEscapeCharacter=\\\r\n"
	    "PathKeepPreDelimeter=FALSE\r\n\r\nServerSoftware=pollux\r\n"
	    "ServerSoftwareVersion=%s\r\nServerDescription=%s\r\n"
	    "ServerDefaultEncoding=UTF-8\r\n", config_version(), site->title);
	size_t len;
	char *data = buf_take(&b, &len);
	snapshot_add(s, PROTO_GOPHER, "/caps.txt", "", data, len);
}

void pages_gopher(struct snapshot *s, const struct site *site,
    const struct config *cfg)
{
	struct gopher_site g = {site, cfg->hostnames[0],
	    config_gopher_public_port(cfg)};
	home(s, &g);
	all_posts(s, &g);
	for (size_t i = 0; i < site->nposts; i++)
		post_page(s, &g, &site->posts[i]);
	tags(s, &g);
	struct post **all = xcalloc(site->nposts ? site->nposts : 1, sizeof *all);
	for (size_t i = 0; i < site->nposts; i++)
		all[i] = &site->posts[i];
	feed(s, &g, "/atom.xml", site->title, "/", all, site->nposts);
	free(all);
	caps(s, site);
	static_files(s, &g);
}
