/* pages.c - every page of the capsule, built once as a page model when it
 * loads and written for both protocols: home, post index, posts (a Gopher
 * menu and text each), tags, folders, the author's own .md and .gmi pages;
 * then feeds, robots.txt, caps.txt, static files and "URL:" pages. */
#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pollux/feed.h"
#include "pollux/gemtext.h"
#include "pollux/gmiread.h"
#include "pollux/gophermap.h"
#include "pollux/gophertext.h"
#include "pollux/log.h"
#include "pollux/markdown.h"
#include "pollux/mime.h"
#include "pollux/pages.h"
#include "pollux/pool.h"
#include "pollux/postcache.h"
#include "pollux/search.h"
#include "pollux/sitelinks.h"
#include "pollux/url.h"
#include "pollux/util.h"

#define HOME_LATEST 10
#define SEARCH_RESULTS_MAX 20    /* results a search page shows */
#define SEARCH_EXCERPT_BYTES 160
#define POSTS_PER_GRAB 16        /* posts a thread takes at a time */

struct build {
	struct snapshot *s;
	const struct site *site;
	struct site *own;          /* the same, to hold what it keeps */
	const struct site *prev;   /* the site served now, or NULL */
	const struct config *cfg;
	struct url_list urls;      /* sent through "URL:" by the menus */
	struct gopher_out g;
	unsigned problems;         /* reported while building */
	char *gemini_base;         /* "gemini://host[:port]" */
	char *icon[2];             /* the feeds' icon on each protocol, or NULL */
	uint64_t *cards;           /* each post's card_hash */
	bool keeping;              /* publish into kept pages, with key: */
	uint64_t keep_key;
	struct feed_urls entry[2]; /* of a post's feed entry on each protocol */
	char *entry_prefix[2];
	/* Set on a rendering thread: a post's pages go here, to be added to
	 * the snapshot in post order (so that a parallel load is the same as
	 * a sequential one) and kept for the next load. */
	struct post_render *out;
};

static void problem(struct build *b, const char *file, unsigned line,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void url_html(struct buf *h, const char *url);

static void problem(struct build *b, const char *file, unsigned line,
    const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_problem(file, line, fmt, ap);
	va_end(ap);
	b->problems++;
}

/* ---- writing a model ----------------------------------------------- */

static uint64_t hash_str(uint64_t h, const char *s)
{
	return s ? postcache_hash(h, s, strlen(s) + 1) :
	    postcache_hash(h, "\1null", 5);
}

/* What an index shows of a post (a dated link, a card): its address,
 * title, dates, read time, tags and summary, as one hash. */
static uint64_t card_hash(const struct post *p)
{
	uint64_t h = postcache_hash(0, &p->read_time, sizeof p->read_time);
	h = hash_str(h, p->slug);
	h = hash_str(h, p->title);
	h = hash_str(h, p->date);
	h = hash_str(h, p->updated);
	h = hash_str(h, p->summary);
	for (size_t t = 0; t < p->ntags; t++) {
		h = hash_str(h, p->tags[t].name);
		h = hash_str(h, p->tags[t].path);
	}
	return h;
}

/* What a page listing posts[0..n) under title at path is made of. */
static uint64_t list_key(const struct build *b, const char *path,
    const char *title, struct post *const *posts, size_t n)
{
	const struct site *site = b->site;
	uint64_t h = postcache_hash(0, &n, sizeof n);
	h = postcache_hash(h, &b->g.host.port, sizeof b->g.host.port);
	h = hash_str(h, b->g.host.host);
	h = hash_str(h, path);
	h = hash_str(h, title);
	h = hash_str(h, site->lang);
	for (size_t i = 0; i < n; i++)
		h = postcache_hash(h, &b->cards[posts[i] - site->posts],
		    sizeof h);
	return h;
}

/* k, a page the next load may share, held by the site and served. */
static void keep(struct build *b, struct kept_page *k, const char *head)
{
	struct site *site = b->own;
	if (site->nkept == site->capkept) {
		site->capkept = site->capkept ? site->capkept * 2 : 16;
		site->kept = xrealloc(site->kept, site->capkept *
		    sizeof *site->kept);
	}
	site->kept[site->nkept++] = k;
	snapshot_add_borrowed(b->s, k->proto, k->path, head, k->body, k->len);
}

/* The previous load's page at path made of the same (key), or NULL. Its
 * kept pages are sorted by key (at the end of its build), as a capsule
 * with thousands of tags has thousands of feeds. */
static struct kept_page *find_kept(const struct build *b, int proto,
    const char *path, uint64_t key)
{
	const struct site *prev = b->prev;
	size_t lo = 0, hi = prev ? prev->nkept : 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (prev->kept[mid]->key < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; prev && lo < prev->nkept && prev->kept[lo]->key == key; lo++)
		if (prev->kept[lo]->proto == proto &&
		    strcmp(prev->kept[lo]->path, path) == 0)
			return prev->kept[lo];
	return NULL;
}

static int cmp_kept(const void *a, const void *b)
{
	uint64_t x = (*(struct kept_page *const *)a)->key;
	uint64_t y = (*(struct kept_page *const *)b)->key;
	return (x > y) - (x < y);
}

/* Serves the previous load's pages at path on both protocols when both
 * were made of the same (key); false when they must be made anew. */
static bool reuse_both(struct build *b, const char *path, uint64_t key,
    const char *lang)
{
	struct kept_page *gmi = find_kept(b, PROTO_GEMINI, path, key);
	struct kept_page *menu = find_kept(b, PROTO_GOPHER, path, key);
	if (!gmi || !menu)
		return false;
	char head[96];
	snprintf(head, sizeof head, "20 text/gemini; lang=%s\r\n", lang);
	postcache_kept_ref(gmi);
	postcache_kept_ref(menu);
	b->own->kept_reused += 2;
	keep(b, gmi, head);
	keep(b, menu, "");
	return true;
}

/* While b->keeping, a page goes to the site's kept pages, for the next
 * load to share. Only for pages whose menus link nowhere else: a shared
 * page adds nothing to the "URL:" pages to make. */
static void add_page(struct build *b, enum proto proto, const char *path,
    const char *head, char *data, size_t len)
{
	if (b->keeping)
		keep(b, postcache_kept_new(path, proto, b->keep_key, data, len),
		    head);
	else
		snapshot_add(b->s, proto, path, head, data, len);
}

/* Writes pg where it is served: as gemtext at gmi, a Gopher menu at menu,
 * a Gopher text at text (each NULL when not served so); frees pg. */
static void publish(struct build *b, struct model *pg, const char *gmi,
    const char *lang, const char *menu, const char *text)
{
	struct buf out = {0};
	size_t len;

	if (b->out) {
		struct post_render *r = b->out;
		const char *paths[3] = {gmi, menu, text};
		snprintf(r->head, sizeof r->head, "20 text/gemini; lang=%s\r\n",
		    lang);
		for (int k = 0; k < 3; k++)
			r->path[k] = paths[k] ? xstrdup(paths[k]) : NULL;
		if (gmi) {
			gemtext_write(pg, &out);
			r->body[0] = buf_take(&out, &r->len[0]);
		}
		if (menu) {
			gophermenu_write(pg, &b->g, &out);
			r->body[1] = buf_take(&out, &r->len[1]);
		}
		if (text) {
			gophertext_write(pg, &b->g, &out);
			r->body[2] = gopher_text_response(out.data, out.len,
			    &r->len[2]);
			buf_free(&out);
		}
		model_free(pg);
		return;
	}
	if (gmi) {
		char head[96];
		snprintf(head, sizeof head, "20 text/gemini; lang=%s\r\n", lang);
		gemtext_write(pg, &out);
		char *data = buf_take(&out, &len);
		add_page(b, PROTO_GEMINI, gmi, head, data, len);
	}
	if (menu) {
		gophermenu_write(pg, &b->g, &out);
		char *data = buf_take(&out, &len);
		add_page(b, PROTO_GOPHER, menu, "", data, len);
	}
	if (text) {
		gophertext_write(pg, &b->g, &out);
		char *data = gopher_text_response(out.data, out.len, &len);
		buf_free(&out);
		add_page(b, PROTO_GOPHER, text, "", data, len);
	}
	model_free(pg);
}

/* Links written in a page that lives in the folder dir. */
struct base {
	const struct site *site;
	const char *dir;
	struct post_render *record;  /* a post's render: keeps each URL */
};

static enum link_to resolve(void *ctx, const char *url, char **target,
    const struct post **post)
{
	const struct base *base = ctx;
	if (base->record)
		postcache_render_link(base->record, url);
	return site_link(base->site, base->dir, url, target, post);
}

/* Where a text of the author's is, for reports on its links: its file
 * (capsule-relative) and the file's line its first line is on. */
struct source {
	const char *file;
	unsigned first_line;
};

/* Reports each link of pg from link from on that names nothing pollux
 * serves, at the line it is written on. Links elsewhere are not
 * fetched. */
static void check_links(struct build *b, const struct model *pg, size_t from,
    const struct source *src)
{
	for (size_t i = from; i < pg->nlinks; i++) {
		const struct link *l = &pg->links[i];
		if (site_link_found(b->site, l->to, l->target))
			continue;
		char shown[512];
		log_escape(shown, sizeof shown, l->target, strlen(l->target));
		problem(b, src->file, src->first_line + (l->line ? l->line - 1 : 0),
		    "link to %s: not found", shown);
	}
}

/* Markdown written in the folder dir; its links are checked when src is
 * given (a text built twice is checked once). */
static void markdown(struct build *b, struct model *pg, const char *dir,
    const char *md, size_t len, const struct source *src)
{
	struct base base = {b->site, dir, b->out};
	struct link_resolver r = {resolve, &base};
	size_t from = pg->nlinks;
	markdown_blocks(pg, md, len, &r);
	if (src)
		check_links(b, pg, from, src);
}

/* The folder of a path: "/notes/" for "/notes/a.md". */
static char *folder_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	return xstrndup(path, slash ? (size_t)(slash - path) + 1 : 1);
}

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), k = strlen(tail);
	return n >= k && strcmp(s + n - k, tail) == 0;
}

/* A file of a listing: the author's pages as the pages they are served
 * as, the rest as files; false for what a listing leaves out. */
static bool file_link(const struct site *site, const char *path,
    const char *dir, struct model *pg)
{
	const char *name = path + strlen(dir);
	if (strcmp(path, "/robots.txt") == 0 || strcmp(path, "/caps.txt") == 0)
		return false;
	if (ends_with(path, ".md")) {
		char *page = md_page_path(path);
		bool shadowed = site_has_file(site, page);
		if (!shadowed)
			model_link(pg, LINK_PAGE, page, page + strlen(dir), NULL, 0);
		free(page);
		return !shadowed;
	}
	model_link(pg, ends_with(path, ".gmi") ? LINK_PAGE : LINK_FILE, path,
	    name, NULL, 0);
	return true;
}

/* The files and folders directly in dir. */
static void listing(struct model *pg, const struct site *site,
    const char *dir)
{
	size_t dlen = strlen(dir);
	for (size_t i = 0; i < site->nfiles; i++) {
		const char *path = site->files[i].path;
		if (strncmp(path, dir, dlen) == 0 && !strchr(path + dlen, '/'))
			file_link(site, path, dir, pg);
	}
	for (size_t i = 0; i < site->ndirs; i++) {
		const char *sub = site->dirs[i];
		if (strncmp(sub, dir, dlen) == 0 && sub[dlen] &&
		    strchr(sub + dlen, '/') == sub + strlen(sub) - 1)
			model_link(pg, LINK_FOLDER, sub, sub + dlen, NULL, 0);
	}
}

/* ---- the pages ----------------------------------------------------- */

static void home(struct build *b)
{
	const struct site *site = b->site;
	struct model *pg = model_new(site->title);
	char label[64];

	if (site->description)
		model_text(pg, site->description, 0);
	if (site->intro)
		markdown(b, pg, "/", site->intro, site->intro_len,
		    &(struct source){"index.md", 1});
	model_heading(pg, 2, "Latest posts");
	size_t n = site->nposts < HOME_LATEST ? site->nposts : HOME_LATEST;
	for (size_t i = 0; i < n; i++)
		model_link(pg, LINK_POST, "", site->posts[i].title,
		    &site->posts[i], BLOCK_CARD);
	if (!n)
		model_text(pg, "Nothing published yet.", 0);
	model_heading(pg, 2, "Browse");
	snprintf(label, sizeof label, "All %zu posts", site->nposts);
	model_link(pg, LINK_MENU, "/posts/", label, NULL, 0);
	snprintf(label, sizeof label, "%zu tags", site->ntags);
	model_link(pg, LINK_MENU, "/tags/", label, NULL, 0);
	model_link(pg, LINK_SEARCH, "/search", "Search the posts", NULL, 0);
	model_link(pg, LINK_FEED, "/atom.xml", "Atom feed", NULL, 0);
	/* Top-level pages and folders the author added (about.gmi, notes/). */
	listing(pg, site, "/");
	publish(b, pg, "/", site->lang, "/", NULL);
}

/* Every post, by year: shared with the previous load when no post it
 * lists changed what an index shows of it. */
static void all_posts(struct build *b, struct post *const *all)
{
	const struct site *site = b->site;
	struct buf title = {0};
	const char *year = "";

	buf_printf(&title, "%s: all posts", site->title);
	uint64_t key = list_key(b, "/posts/", title.data, all, site->nposts);
	if (reuse_both(b, "/posts/", key, site->lang)) {
		buf_free(&title);
		snapshot_add_redirect(b->s, PROTO_GEMINI, "/posts", "/posts/");
		return;
	}
	struct model *pg = model_new(title.data);
	buf_free(&title);
	for (size_t i = 0; i < site->nposts; i++) {
		const struct post *p = &site->posts[i];
		if (strncmp(year, p->date, 4) != 0) {
			char y[5];
			year = p->date;
			snprintf(y, sizeof y, "%.4s", year);
			model_heading(pg, 2, y);
		}
		model_link(pg, LINK_POST, "", p->title, p, BLOCK_DATED);
	}
	model_link(pg, LINK_MENU, "/", "Home", NULL, BLOCK_BREAK);
	b->keeping = true;
	b->keep_key = key;
	publish(b, pg, "/posts/", site->lang, "/posts/", NULL);
	b->keeping = false;
	snapshot_add_redirect(b->s, PROTO_GEMINI, "/posts", "/posts/");
}

/* A post: its Gemini page, its Gopher text, and its Gopher menu with an
 * item for the text and for every link in it. */
static void post_page(struct build *b, size_t i)
{
	const struct site *site = b->site;
	const struct post *p = &site->posts[i];
	struct model *pg = model_new(p->title);
	struct buf text = {0};
	char path[160], menu[160], txt[160];

	post_meta(&text, p, true);
	model_text(pg, text.data, 0);
	text.len = 0;
	buf_printf(&text, "Read the post (%u min)", p->read_time);
	size_t link = model_add_link(pg, LINK_POST_TEXT, "", text.data, p);
	struct block *body = model_add(pg, BLOCK_BODY);
	body->link = link;
	body->alt = "Links in the post";
	size_t from = pg->nblocks;
	markdown(b, pg, "/posts/", p->body, p->body_len,
	    &(struct source){p->file, p->body_line});
	/* Its words for the index, taken now: the text is not kept. */
	struct buf plain = {0};
	model_plain_text(pg, from, pg->nblocks, &plain);
	const char **tags = xcalloc(p->ntags ? p->ntags : 1, sizeof *tags);
	for (size_t t = 0; t < p->ntags; t++)
		tags[t] = p->tags[t].name;
	b->out->terms = search_terms_new(&(struct search_doc){p->title, tags,
	    p->ntags, p->summary, plain.data ? plain.data : "", plain.len});
	free(tags);
	buf_free(&plain);
	model_end(pg);
	for (size_t t = 0; t < p->ntags; t++) {
		text.len = 0;
		buf_printf(&text, "/tags/%s/", p->tags[t].path);
		char *tag = xstrdup(text.data);
		text.len = 0;
		buf_printf(&text, "#%s", p->tags[t].name);
		model_link(pg, LINK_TAG, tag, text.data, NULL, BLOCK_NAV);
		free(tag);
	}
	unsigned group = BLOCK_NAV | BLOCK_BREAK;
	if (i + 1 < site->nposts) {
		text.len = 0;
		buf_printf(&text, "Older: %s", site->posts[i + 1].title);
		model_link(pg, LINK_POST, "", text.data, &site->posts[i + 1], group);
		group = BLOCK_NAV;
	}
	if (i > 0) {
		text.len = 0;
		buf_printf(&text, "Newer: %s", site->posts[i - 1].title);
		model_link(pg, LINK_POST, "", text.data, &site->posts[i - 1], group);
		group = BLOCK_NAV;
	}
	model_link(pg, LINK_MENU, "/posts/", "All posts", NULL, group);
	model_link(pg, LINK_MENU, "/", "Home", NULL, BLOCK_NAV);
	buf_free(&text);

	snprintf(path, sizeof path, "/posts/%s.gmi", p->slug);
	snprintf(menu, sizeof menu, "/posts/%s/", p->slug);
	snprintf(txt, sizeof txt, "/posts/%s.txt", p->slug);
	publish(b, pg, path, p->lang ? p->lang : site->lang, menu, txt);
}

/* What a post's pages were made of besides its file, as one hash: the
 * config they name, the language, the post's tags as the site spells
 * them, its neighbours, and what each link of its text (links[0..n), as
 * written) names in this site and whether it is found. Equal for a post
 * of a new site and its render from the last: the pages are the same. */
static uint64_t post_context(const struct build *b, size_t i,
    char *const *links, size_t n)
{
	const struct site *site = b->site;
	const struct post *p = &site->posts[i];
	unsigned ports[2] = {b->g.host.port, b->cfg->gemini_port};
	uint64_t h = postcache_hash(p->source->hash, ports, sizeof ports);
	h = hash_str(h, b->g.host.host);
	h = hash_str(h, p->file);
	h = hash_str(h, p->lang ? p->lang : site->lang);
	for (size_t t = 0; t < p->ntags; t++) {
		h = hash_str(h, p->tags[t].name);
		h = hash_str(h, p->tags[t].path);
	}
	const struct post *near[2] = {i + 1 < site->nposts ?
	    &site->posts[i + 1] : NULL, i > 0 ? &site->posts[i - 1] : NULL};
	for (int k = 0; k < 2; k++) {
		h = hash_str(h, near[k] ? near[k]->slug : NULL);
		h = hash_str(h, near[k] ? near[k]->title : NULL);
	}
	for (size_t k = 0; k < n; k++) {
		char *target = NULL;
		const struct post *to = NULL;
		enum link_to kind = site_link(site, "/posts/", links[k], &target,
		    &to);
		const char *where = target ? target : links[k];
		unsigned facts[2] = {kind, site_link_found(site, kind, where)};
		h = postcache_hash(h, facts, sizeof facts);
		h = hash_str(h, where);
		h = hash_str(h, to ? to->slug : NULL);
		h = hash_str(h, to ? to->title : NULL);
		h = hash_str(h, to ? to->date : NULL);
		free(target);
	}
	return h;
}

/* The posts' pages are most of a load's work and depend only on the site,
 * which no one changes while they are built: threads take posts in turn.
 * A post whose file and context are those of its render in the site
 * served now keeps that render. */
struct render_pool {
	struct build *b;
	struct post *posts;        /* the site's, to hold their renders */
	atomic_size_t next, reused;
};

static void render_post(struct render_pool *pool, struct build *mine,
    size_t i)
{
	struct build *b = pool->b;
	struct post *p = &pool->posts[i];
	const struct post *old = b->prev ?
	    site_find_post_file(b->prev, p->file) : NULL;
	struct post_render *was = old ? old->render : NULL;
	if (was && was->source_hash == p->source->hash &&
	    was->context == post_context(b, i, was->links, was->nlinks)) {
		postcache_render_ref(was);
		p->render = was;
		atomic_fetch_add(&pool->reused, 1);
		return;
	}
	struct post_render *r = postcache_render_new();
	struct buf said = {0};
	struct url_list urls = {0};
	mine->out = r;
	mine->problems = 0;
	mine->g.urls = &urls;
	log_capture(&said);
	post_page(mine, i);
	log_capture(NULL);
	r->problems = mine->problems;
	if (said.len)
		r->said = buf_take(&said, &r->said_len);
	r->urls = urls.urls;
	r->nurls = urls.n;
	r->url_pages = xcalloc(urls.n ? urls.n : 1, sizeof *r->url_pages);
	r->url_page_len = xcalloc(urls.n ? urls.n : 1,
	    sizeof *r->url_page_len);
	for (size_t k = 0; k < urls.n; k++) {
		struct buf h = {0};
		url_html(&h, urls.urls[k]);
		r->url_pages[k] = buf_take(&h, &r->url_page_len[k]);
	}
	for (int k = 0; k < 2; k++) {
		struct buf e = {0};
		feed_entry(&e, p, &b->entry[k]);
		r->feed[k] = buf_take(&e, &r->feed_len[k]);
	}
	r->feed_hash = postcache_hash(postcache_hash(0, r->feed[0],
	    r->feed_len[0]), r->feed[1], r->feed_len[1]);
	r->source_hash = p->source->hash;
	r->context = post_context(b, i, r->links, r->nlinks);
	p->render = r;
}

static void *render_posts(void *arg)
{
	struct render_pool *pool = arg;
	struct build mine = *pool->b;
	size_t n = pool->b->site->nposts, i;
	while ((i = atomic_fetch_add(&pool->next, POSTS_PER_GRAB)) < n)
		for (size_t end = i + POSTS_PER_GRAB; i < n && i < end; i++)
			render_post(pool, &mine, i);
	return NULL;
}

static void post_pages(struct build *b, struct site *site)
{
	size_t n = site->nposts;
	struct render_pool pool = {b, site->posts, 0, 0};
	pool_run(pool_threads(n, POSTS_PER_GRAB), render_posts, &pool);
	site->posts_reused = atomic_load(&pool.reused);
	site->posts_rendered = n - site->posts_reused;
	for (size_t i = 0; i < n; i++) {
		const struct post_render *r = site->posts[i].render;
		log_problem_lines(r->said, r->said_len);
		b->problems += r->problems;
		/* Borrowed: the site holds the render as long as the
		 * snapshot lives. */
		if (r->path[0])
			snapshot_add_borrowed(b->s, PROTO_GEMINI, r->path[0],
			    r->head, r->body[0], r->len[0]);
		for (int k = 1; k < 3; k++)
			if (r->path[k])
				snapshot_add_borrowed(b->s, PROTO_GOPHER, r->path[k], "",
				    r->body[k], r->len[k]);
	}
}

/* Where a post's feed entry points on each protocol; the feeds' own
 * URLs are filled in by feed(). */
static void entry_urls(struct build *b)
{
	const char *host = b->cfg->hostnames[0];
	struct buf prefix = {0};
	buf_printf(&prefix, "%s/posts/", b->gemini_base);
	b->entry_prefix[PROTO_GEMINI] = buf_take(&prefix, NULL);
	buf_printf(&prefix, "gopher://%s:%u/0/posts/", host, b->g.host.port);
	b->entry_prefix[PROTO_GOPHER] = buf_take(&prefix, NULL);
	/* A menu has no registered type; Gopher+ names it so. */
	b->entry[PROTO_GEMINI] = (struct feed_urls){NULL, NULL, "text/gemini",
	    b->entry_prefix[PROTO_GEMINI], ".gmi", "text/gemini",
	    b->icon[PROTO_GEMINI], host};
	b->entry[PROTO_GOPHER] = (struct feed_urls){NULL, NULL,
	    "application/gopher-menu", b->entry_prefix[PROTO_GOPHER], ".txt",
	    "text/plain", b->icon[PROTO_GOPHER], host};
}

static const char *kept_entry(const struct post *p, void *ctx, size_t *len)
{
	int proto = *(const int *)ctx;
	*len = p->render->feed_len[proto];
	return p->render->feed[proto];
}

/* What a feed is made of, as one hash: its URLs, title, the site's
 * language, description and author, and its entries. */
static uint64_t feed_key(const struct build *b, const char *path,
    const char *title, const struct feed_urls *u, struct post *const *posts,
    size_t n)
{
	const struct site *site = b->site;
	const char *parts[] = {path, title, u->self, u->alternate,
	    u->alternate_type, u->post_prefix, u->post_suffix, u->post_type,
	    u->icon, u->host, site->lang, site->description,
	    site->author ? site->author : site->title};
	uint64_t h = postcache_hash(0, &n, sizeof n);
	for (size_t i = 0; i < sizeof parts / sizeof *parts; i++)
		h = hash_str(h, parts[i]);
	for (size_t i = 0; i < n; i++)
		h = postcache_hash(h, &posts[i]->render->feed_hash, sizeof h);
	return h;
}

/* One feed on one protocol: the previous load's bytes when they were
 * made of the same, else written (its entries copied from the posts'
 * renders); either way held by the site. */
static void feed_page(struct build *b, int proto, const char *path,
    const char *head, const char *title, const struct feed_urls *u,
    struct post *const *posts, size_t n)
{
	uint64_t key = feed_key(b, path, title, u, posts, n);
	struct kept_page *k = find_kept(b, proto, path, key);
	if (k) {
		postcache_kept_ref(k);
		b->own->kept_reused++;
	} else {
		struct buf out = {0};
		size_t len;
		feed_atom(&out, b->site, title, posts, n, u, kept_entry, &proto);
		char *data = buf_take(&out, &len);
		k = postcache_kept_new(path, proto, key, data, len);
	}
	keep(b, k, head);
}

static void feed(struct build *b, const char *path, const char *title,
    const char *alternate, struct post *const *posts, size_t n)
{
	/* Absolute URLs: a feed is read out of context. */
	struct buf self = {0}, alt = {0};
	const char *host = b->cfg->hostnames[0];
	unsigned gport = b->g.host.port;
	/* The newest posts only: a feed is polled, and every poll fetches it
	 * whole, so a capsule of years of posts must not send them all. */
	if (b->site->feed_entries && n > b->site->feed_entries)
		n = b->site->feed_entries;

	buf_printf(&self, "%s%s", b->gemini_base, path);
	buf_printf(&alt, "%s%s", b->gemini_base, alternate);
	struct feed_urls u = b->entry[PROTO_GEMINI];
	u.self = self.data;
	u.alternate = alt.data;
	feed_page(b, PROTO_GEMINI, path, "20 application/atom+xml\r\n", title,
	    &u, posts, n);

	self.len = alt.len = 0;
	buf_printf(&self, "gopher://%s:%u/0%s", host, gport, path);
	buf_printf(&alt, "gopher://%s:%u/1%s", host, gport, alternate);
	u = b->entry[PROTO_GOPHER];
	u.self = self.data;
	u.alternate = alt.data;
	feed_page(b, PROTO_GOPHER, path, "", title, &u, posts, n);
	buf_free(&self);
	buf_free(&alt);
}

static void tags(struct build *b)
{
	const struct site *site = b->site;
	struct buf text = {0};
	char path[160], label[200];

	buf_printf(&text, "%s: tags", site->title);
	struct model *pg = model_new(text.data);
	for (size_t i = 0; i < site->ntags; i++) {
		const struct tag *t = &site->tags[i];
		snprintf(path, sizeof path, "/tags/%s/", t->path);
		snprintf(label, sizeof label, "%s (%zu post%s)", t->name, t->nposts,
		    t->nposts == 1 ? "" : "s");
		model_link(pg, LINK_TAG, path, label, NULL, 0);
	}
	if (!site->ntags)
		model_text(pg, "No tags yet.", 0);
	model_link(pg, LINK_MENU, "/", "Home", NULL, BLOCK_BREAK);
	publish(b, pg, "/tags/", site->lang, "/tags/", NULL);
	snapshot_add_redirect(b->s, PROTO_GEMINI, "/tags", "/tags/");

	for (size_t i = 0; i < site->ntags; i++) {
		const struct tag *t = &site->tags[i];
		text.len = 0;
		buf_printf(&text, "%s: posts tagged %s", site->title, t->name);
		snprintf(path, sizeof path, "/tags/%s/", t->path);
		/* Its cards, shared with the previous load when none of its
		 * posts changed what a card shows. */
		uint64_t key = list_key(b, path, text.data, t->posts, t->nposts);
		if (!reuse_both(b, path, key, site->lang)) {
			pg = model_new(text.data);
			for (size_t k = 0; k < t->nposts; k++)
				model_link(pg, LINK_POST, "", t->posts[k]->title,
				    t->posts[k], BLOCK_CARD);
			snprintf(path, sizeof path, "/tags/%s/atom.xml", t->path);
			model_link(pg, LINK_FEED, path, "Atom feed of this tag", NULL,
			    0);
			model_link(pg, LINK_MENU, "/tags/", "All tags", NULL, 0);
			model_link(pg, LINK_MENU, "/", "Home", NULL, 0);
			snprintf(path, sizeof path, "/tags/%s/", t->path);
			b->keeping = true;
			b->keep_key = key;
			publish(b, pg, path, site->lang, path, NULL);
			b->keeping = false;
		}
		char noslash[160];
		snprintf(noslash, sizeof noslash, "/tags/%s", t->path);
		snapshot_add_redirect(b->s, PROTO_GEMINI, noslash, path);
		text.len = 0;
		buf_printf(&text, "%s: %s", site->title, t->name);
		char feed_path[180];
		snprintf(feed_path, sizeof feed_path, "/tags/%s/atom.xml", t->path);
		feed(b, feed_path, text.data, path, t->posts, t->nposts);
	}
	buf_free(&text);
}

/* A gemtext page of the author's, for Gopher: a menu at the same path;
 * its links checked when check is set. */
static void gmi_menu(struct build *b, const char *selector,
    const struct static_file *f, bool check)
{
	char *dir = folder_of(f->path);
	struct base base = {b->site, dir, NULL};
	struct link_resolver r = {resolve, &base};
	struct model *pg = model_new(NULL);
	gemtext_blocks(pg, f->data, f->len, &r);
	if (check)
		check_links(b, pg, 0, &(struct source){f->path + 1, 1});
	publish(b, pg, NULL, NULL, selector, NULL);
	free(dir);
}

/* A Markdown page of the author's, rendered like a post's body. */
static void md_page(struct build *b, const char *path,
    const struct static_file *f, bool check)
{
	char *dir = folder_of(f->path);
	struct model *pg = model_new(NULL);
	markdown(b, pg, dir, f->data, f->len, check ?
	    &(struct source){f->path + 1, 1} : NULL);
	publish(b, pg, path, b->site->lang, path, NULL);
	free(dir);
}

static const struct static_file *find_file(const struct site *site,
    const char *path)
{
	for (size_t i = 0; i < site->nfiles; i++)
		if (strcmp(site->files[i].path, path) == 0)
			return &site->files[i];
	return NULL;
}

/* The author's pages: every .gmi also a Gopher menu, every .md (that no
 * .gmi of the same name shadows) a page on both. */
static void author_pages(struct build *b)
{
	const struct site *site = b->site;
	for (size_t i = 0; i < site->nfiles; i++) {
		const struct static_file *f = &site->files[i];
		if (ends_with(f->path, ".gmi")) {
			gmi_menu(b, f->path, f, true);
		} else if (ends_with(f->path, ".md")) {
			char *page = md_page_path(f->path);
			if (!site_has_file(site, page))
				md_page(b, page, f, true);
			free(page);
		}
	}
}

/* A folder: its index.gmi or index.md when it has one, else a listing. */
static void folders(struct build *b)
{
	const struct site *site = b->site;
	for (size_t d = 0; d < site->ndirs; d++) {
		const char *dir = site->dirs[d];
		char *noslash = xstrndup(dir, strlen(dir) - 1);
		struct buf target = {0}, index = {0};
		url_encode_path(&target, dir);
		snapshot_add_redirect(b->s, PROTO_GEMINI, noslash, target.data);
		buf_free(&target);
		free(noslash);

		buf_printf(&index, "%sindex.gmi", dir);
		const struct static_file *f = find_file(site, index.data);
		if (f) {
			snapshot_add_borrowed(b->s, PROTO_GEMINI, dir,
			    "20 text/gemini\r\n", f->data, f->len);
			gmi_menu(b, dir, f, false);   /* checked as a page */
			buf_free(&index);
			continue;
		}
		index.len = 0;
		buf_printf(&index, "%sindex.md", dir);
		f = find_file(site, index.data);
		buf_free(&index);
		if (f) {
			md_page(b, dir, f, false);
			continue;
		}
		struct model *pg = model_new(dir);
		listing(pg, site, dir);
		model_link(pg, LINK_MENU, "/", "Home", NULL, BLOCK_BREAK);
		publish(b, pg, dir, site->lang, dir, NULL);
	}
}

/* ---- the rest ------------------------------------------------------ */

static void html_text_escaped(struct buf *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': buf_puts(out, "&amp;"); break;
		case '<': buf_puts(out, "&lt;"); break;
		case '>': buf_puts(out, "&gt;"); break;
		case '"': buf_puts(out, "&quot;"); break;
		case '\'': buf_puts(out, "&#39;"); break;
		default: buf_putc(out, *s);
		}
	}
}

/* The answer to a "URL:" selector, the convention gophernicus and
 * pygopherd follow: a small HTML page that links to the URL (and sends a
 * web browser there). Only URLs the menus link to have one. */
static void url_html(struct buf *h, const char *url)
{
	bool web = strncmp(url, "http://", 7) == 0 ||
	    strncmp(url, "https://", 8) == 0;

	buf_puts(h, "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n"
	    "<title>");
	html_text_escaped(h, url);
	buf_puts(h, "</title>\n");
	if (web) {
		buf_puts(h, "<meta http-equiv=\"refresh\" content=\"2; url=");
		html_text_escaped(h, url);
		buf_puts(h, "\">\n");
	}
	buf_puts(h, "</head>\n<body>\n<p>This link leaves Gopher for <a href=\"");
	html_text_escaped(h, url);
	buf_puts(h, "\">");
	html_text_escaped(h, url);
	buf_puts(h, "</a>.</p>\n</body>\n</html>\n");
}

/* A URL a menu links to, and its page when a post's render has it. */
struct url_ref {
	const char *url;
	const char *page;
	size_t len;
};

static int cmp_url_ref(const void *a, const void *b)
{
	return strcmp(((const struct url_ref *)a)->url,
	    ((const struct url_ref *)b)->url);
}

/* Once per URL, whichever pages link to it, in sorted order; the pages
 * the posts' renders keep are served as they are. */
static void url_pages(struct build *b)
{
	const struct site *site = b->site;
	size_t n = b->urls.n;
	for (size_t i = 0; i < site->nposts; i++)
		n += site->posts[i].render->nurls;
	struct url_ref *all = xcalloc(n ? n : 1, sizeof *all), *at = all;
	for (size_t i = 0; i < b->urls.n; i++)
		*at++ = (struct url_ref){b->urls.urls[i], NULL, 0};
	for (size_t i = 0; i < site->nposts; i++) {
		const struct post_render *r = site->posts[i].render;
		for (size_t k = 0; k < r->nurls; k++)
			*at++ = (struct url_ref){r->urls[k], r->url_pages[k],
			    r->url_page_len[k]};
	}
	/* Equal URLs have equal pages: which one sorts first is no matter. */
	if (n)
		qsort(all, n, sizeof *all, cmp_url_ref);
	struct buf sel = {0};
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && strcmp(all[i].url, all[i - 1].url) == 0)
			continue;
		sel.len = 0;
		buf_printf(&sel, "URL:%s", all[i].url);
		if (all[i].page) {
			snapshot_add_borrowed(b->s, PROTO_GOPHER, sel.data, "",
			    all[i].page, all[i].len);
		} else {
			struct buf h = {0};
			size_t len;
			url_html(&h, all[i].url);
			char *data = buf_take(&h, &len);
			snapshot_add(b->s, PROTO_GOPHER, sel.data, "", data, len);
		}
	}
	buf_free(&sel);
	free(all);
}

/* Gemini's robots.txt companion spec: indexers and archivers welcome; web
 * proxies, which would republish the capsule on the web, are not. */
static const char robots[] =
    "User-agent: webproxy\nDisallow: /\n\nUser-agent: *\nDisallow:\n";

/* The Gopher capabilities convention, as Gophernicus and others serve it. */
static void caps(struct build *b)
{
	struct buf c = {0};
	size_t len;

	buf_printf(&c, "CAPS\r\n\r\nCapsVersion=1\r\nExpireCapsAfter=3600\r\n\r\n"
	    "PathDelimeter=/\r\nPathIdentity=.\r\nPathParent=..\r\n"
	    "PathParentDouble=FALSE\r\nPathEscapeCharacter=\\\r\n"
	    "PathKeepPreDelimeter=FALSE\r\n\r\nServerSoftware=pollux\r\n"
	    "ServerSoftwareVersion=%s\r\nServerDescription=%s\r\n"
	    "ServerDefaultEncoding=UTF-8\r\n", config_version(), b->site->title);
	char *data = buf_take(&c, &len);
	snapshot_add(b->s, PROTO_GOPHER, "/caps.txt", "", data, len);
}

/* Last, so a file the author put in the capsule (robots.txt) wins; a .gmi
 * page is a menu on Gopher instead. */
static void static_files(struct build *b)
{
	const struct site *site = b->site;
	for (size_t i = 0; i < site->nfiles; i++) {
		const struct static_file *f = &site->files[i];
		char head[128];
		snprintf(head, sizeof head, "20 %s\r\n", mime_type(f->path));
		snapshot_add_borrowed(b->s, PROTO_GEMINI, f->path, head, f->data,
		    f->len);
		if (!ends_with(f->path, ".gmi"))
			snapshot_add_borrowed(b->s, PROTO_GOPHER, f->path, "",
			    f->data, f->len);
	}
}

/* The feeds' icon (site.yaml's icon:) as a URL on each protocol: a path
 * of the capsule, or a URL as written. */
static void feed_icon(struct build *b)
{
	const struct site *site = b->site;
	char *target = NULL;
	struct link l = {LINK_URL, site->icon, "", NULL, 0};
	if (!site->icon)
		return;
	l.to = site_link(site, "/", site->icon, &target, &l.post);
	if (l.to == LINK_URL) {
		b->icon[PROTO_GEMINI] = xstrdup(site->icon);
		b->icon[PROTO_GOPHER] = xstrdup(site->icon);
		return;
	}
	l.target = target ? target : "";
	if (!site_link_found(site, l.to, l.target)) {
		problem(b, "site.yaml", site->icon_line, "icon %s: not found",
		    site->icon);
		free(target);
		return;
	}
	struct buf url = {0};
	buf_puts(&url, b->gemini_base);
	gemtext_address(&url, &l);
	b->icon[PROTO_GEMINI] = buf_take(&url, NULL);
	gopher_url(&url, &l, &b->g.host);
	b->icon[PROTO_GOPHER] = buf_take(&url, NULL);
	free(target);
}

/* ---- moved pages --------------------------------------------------- */

static bool served(const struct snapshot *s, const char *path)
{
	return snapshot_find(s, PROTO_GEMINI, path, strlen(path)) ||
	    snapshot_find(s, PROTO_GOPHER, path, strlen(path));
}

/* from (no page of its own) answers as the page l names: Gemini with a 31
 * to its address; Gopher, which has no redirect, with that page itself,
 * when Gopher has it. */
static void moved_to(struct build *b, const char *from, const struct link *l)
{
	struct buf to = {0};
	gemtext_address(&to, l);
	snapshot_add_redirect(b->s, PROTO_GEMINI, from, to.data);
	buf_free(&to);
	struct gopher_item it;
	if (!gopher_address(l, &b->g.host, &it))
		return;
	const struct page *pg = snapshot_find(b->s, PROTO_GOPHER,
	    it.selector.data, it.selector.len);
	if (pg && !pg->redirect) {
		/* Copied out first: adding a page may move the table. */
		const char *body = pg->body;
		size_t len = pg->body_len;
		snapshot_add_borrowed(b->s, PROTO_GOPHER, from, "", body, len);
	}
	gopher_item_free(&it);
}

/* Aliases and site.yaml's redirects, once every real page is in: one that
 * names a served page is reported and left out, so it never hides one. On
 * Gopher an old path ending in ".txt" serves a post's text, any other its
 * menu (an old folder-like path was a menu, and a .gmi page is one). */
static void moved(struct build *b)
{
	const struct site *site = b->site;
	snapshot_seal(b->s);    /* to look up the real pages */
	for (size_t i = 0; i < site->nredirects; i++) {
		const struct redirect *r = &site->redirects[i];
		char shown[256];
		log_escape(shown, sizeof shown, r->from, strlen(r->from));
		if (served(b->s, r->from)) {
			problem(b, r->file, r->line, "%s is a page pollux serves; "
			    "not moved", shown);
			continue;
		}
		struct link l = {LINK_POST, "", "", r->post, 0};
		char *target = NULL;
		if (!r->post) {
			l.to = site_link(site, "/", r->to, &target, &l.post);
			l.target = target ? target : "";
			if (l.to == LINK_URL || !site_link_found(site, l.to,
			    l.target)) {
				problem(b, r->file, r->line, "redirect to %s: not "
				    "found", r->to);
				free(target);
				continue;
			}
		}
		if (l.post && ends_with(r->from, ".txt"))
			l.to = LINK_POST_TEXT;
		else if (l.post)
			l.to = LINK_POST;
		moved_to(b, r->from, &l);
		/* "/2024/05/old/" asked as "/2024/05/old" too, as a folder is;
		 * Gopher finds that one by itself. */
		size_t n = strlen(r->from);
		if (n > 1 && r->from[n - 1] == '/') {
			char *bare = xstrndup(r->from, n - 1);
			if (!served(b->s, bare) && !site_find_redirect(site, bare)) {
				struct buf to = {0};
				gemtext_address(&to, &l);
				snapshot_add_redirect(b->s, PROTO_GEMINI, bare, to.data);
				buf_free(&to);
			}
			free(bare);
		}
		free(target);
	}
}

/* The index of every post's title, tags, summary and text. */
/* The index is built beside the pages that follow the posts' (tags,
 * feeds, the author's pages), which read the same finished site and
 * write only the snapshot, which the index does not read. */
struct search_job {
	struct search_terms **terms;
	size_t n;
	struct search_index *idx;
	pthread_t tid;
	bool started;
};

static void *search_run(void *arg)
{
	struct search_job *job = arg;
	job->idx = search_index_of_terms(job->terms, job->n);
	return NULL;
}

static void search_start(struct build *b, struct search_job *job)
{
	const struct site *site = b->site;
	/* Each post's words, kept with its render: a post not rendered
	 * again is not read again either. */
	job->terms = xcalloc(site->nposts ? site->nposts : 1,
	    sizeof *job->terms);
	for (size_t i = 0; i < site->nposts; i++)
		job->terms[i] = site->posts[i].render->terms;
	job->n = site->nposts;
	job->idx = NULL;
	/* A thread that cannot start is no loss: it is built here. */
	job->started = pthread_create(&job->tid, NULL, search_run, job) == 0;
	if (!job->started)
		search_run(job);
}

static void search_finish(struct build *b, struct search_job *job)
{
	if (job->started)
		pthread_join(job->tid, NULL);
	snapshot_set_search(b->s, job->idx);
	free(job->terms);
}

unsigned pages_build(struct snapshot *s, struct site *site,
    const struct site *prev, const struct config *cfg)
{
	struct build b = {.s = s, .site = site, .own = site, .prev = prev,
	    .cfg = cfg};
	b.g = (struct gopher_out){{cfg->hostnames[0],
	    config_gopher_public_port(cfg)}, &b.urls};
	struct buf base = {0};
	buf_printf(&base, "gemini://%s", cfg->hostnames[0]);
	if (cfg->gemini_port != 1965 && cfg->gemini_port != 0)
		buf_printf(&base, ":%u", cfg->gemini_port);
	b.gemini_base = buf_take(&base, NULL);
	feed_icon(&b);
	entry_urls(&b);

	struct post **all = xcalloc(site->nposts ? site->nposts : 1, sizeof *all);
	b.cards = xcalloc(site->nposts ? site->nposts : 1, sizeof *b.cards);
	for (size_t i = 0; i < site->nposts; i++) {
		all[i] = &site->posts[i];
		b.cards[i] = card_hash(&site->posts[i]);
	}

	home(&b);
	all_posts(&b, all);
	post_pages(&b, site);
	struct search_job search;
	search_start(&b, &search);
	tags(&b);
	feed(&b, "/atom.xml", site->title, "/", all, site->nposts);
	free(all);
	free(b.cards);
	author_pages(&b);
	folders(&b);
	snapshot_add_borrowed(s, PROTO_GEMINI, "/robots.txt",
	    "20 text/plain; charset=utf-8\r\n", robots, sizeof robots - 1);
	caps(&b);
	static_files(&b);
	url_pages(&b);
	search_finish(&b, &search);
	moved(&b);
	if (site->nkept)
		qsort(site->kept, site->nkept, sizeof *site->kept, cmp_kept);
	url_list_free(&b.urls);
	free(b.gemini_base);
	free(b.icon[PROTO_GEMINI]);
	free(b.icon[PROTO_GOPHER]);
	free(b.entry_prefix[PROTO_GEMINI]);
	free(b.entry_prefix[PROTO_GOPHER]);
	return b.problems;
}

/* ---- search results: the one page made per request ----------------- */

/* The query as the client sent it: Gemini percent-encodes it. Returns
 * false when it is not text (a NUL, a control character, not UTF-8). */
static bool decode_query(const char *q, size_t len, bool escaped,
    struct buf *out)
{
	size_t i = 0;
	for (; i < len && out->len < SEARCH_QUERY_MAX; i++) {
		unsigned char c = (unsigned char)q[i];
		if (c == '%' && escaped) {
			char hex[3] = {0};
			if (len - i < 3)
				return false;
			memcpy(hex, q + i + 1, 2);
			char *end;
			c = (unsigned char)strtoul(hex, &end, 16);
			if (*end || !isxdigit((unsigned char)hex[0]))
				return false;
			i += 2;
		}
		if (c < 0x20 || c == 0x7F)
			return false;
		buf_putc(out, (char)c);
	}
	/* Cut at SEARCH_QUERY_MAX, a character may have lost its end: drop
	 * what is left of it (3 bytes at most); then it must be UTF-8. */
	for (int k = 0; i < len && k < 3 && !utf8_valid(out->data, out->len);
	    k++)
		out->data[--out->len] = '\0';
	return out->len == 0 || utf8_valid(out->data, out->len);
}

bool pages_search(const struct snapshot *s, const struct config *cfg,
    enum proto proto, const char *query, size_t len, struct buf *out)
{
	const struct site *site = snapshot_site(s);
	struct buf q = {0}, text = {0};
	if (!decode_query(query, len, proto == PROTO_GEMINI, &q)) {
		buf_free(&q);
		return false;
	}
	struct search_hit hits[SEARCH_RESULTS_MAX];
	size_t found = search_query(snapshot_search(s), q.data ? q.data : "",
	    q.len, hits, SEARCH_RESULTS_MAX);
	size_t shown = found < SEARCH_RESULTS_MAX ? found : SEARCH_RESULTS_MAX;

	buf_printf(&text, "%s: search", site->title);
	struct model *pg = model_new(text.data);
	text.len = 0;
	if (!found)
		buf_printf(&text, "No post has every word of “%s”.",
		    q.data ? q.data : "");
	else if (found > shown)
		buf_printf(&text, "%zu posts match “%s”; the best %zu:", found,
		    q.data, shown);
	else
		buf_printf(&text, "%zu post%s match%s “%s”:", found,
		    found == 1 ? "" : "s", found == 1 ? "es" : "", q.data);
	model_text(pg, text.data, 0);
	for (size_t i = 0; i < shown; i++) {
		const struct post *p = &site->posts[hits[i].doc];
		model_link(pg, LINK_POST, "", p->title, p, BLOCK_CARD);
		/* The excerpt comes from the post as Gopher text, already
		 * rendered: plain words, no navigation, nothing stored twice. */
		char path[160];
		snprintf(path, sizeof path, "/posts/%s.txt", p->slug);
		const struct page *page = snapshot_find(s, PROTO_GOPHER, path,
		    strlen(path));
		text.len = 0;
		if (page) {
			/* Past the title and the meta line: the card shows
			 * both. */
			const char *body = page->body, *end = body + page->body_len;
			for (int skip = 0; skip < 2 && body; skip++)
				if ((body = memmem(body, (size_t)(end - body),
				    "\r\n\r\n", 4)))
					body += 4;
			if (body)
				search_excerpt(body, (size_t)(end - body), q.data,
				    q.len, SEARCH_EXCERPT_BYTES, &text);
		}
		if (text.len)
			model_text(pg, text.data, BLOCK_TIGHT);
	}
	model_link(pg, LINK_SEARCH, "/search", "Search again", NULL,
	    BLOCK_BREAK);
	model_link(pg, LINK_MENU, "/", "Home", NULL, 0);
	buf_free(&text);
	buf_free(&q);

	if (proto == PROTO_GEMINI) {
		gemtext_write(pg, out);
	} else {
		struct url_list urls = {0};
		struct gopher_out g = {{cfg->hostnames[0],
		    config_gopher_public_port(cfg)}, &urls};
		gophermenu_write(pg, &g, out);
		url_list_free(&urls);
	}
	model_free(pg);
	return true;
}
