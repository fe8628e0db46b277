/* capsule.c - reads the capsule folder into a struct site: site.yaml, the
 * intro, every post (front matter checked, drafts withheld) and every other
 * file to serve as-is. A broken item is reported and skipped, never fatal. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "pollux/site.h"
#include "pollux/util.h"

#define POST_MAX_BYTES (4u << 20)     /* one post's Markdown */
#define FILE_MAX_BYTES (64u << 20)    /* one static file, held in memory */
#define WALK_MAX_DEPTH 16
#define WALK_MAX_FILES 100000

static void problem(struct site *s, const char *file, unsigned line,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void problem(struct site *s, const char *file, unsigned line,
    const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s:%u: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	s->problems++;
}

/* --- site.yaml ------------------------------------------------------- */

static void site_yaml(struct site *s, const char *path)
{
	size_t len;
	char *text = read_file(path, 64 << 10, &len);
	if (!text) {
		if (errno != ENOENT)
			problem(s, "site.yaml", 1, "cannot read: %s", strerror(errno));
		return;
	}
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		problem(s, "site.yaml", (unsigned)parser.problem_mark.line + 1,
		    "invalid YAML: %s", parser.problem ? parser.problem : "?");
		goto done_parser;
	}
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (!root) /* empty file: defaults */
		goto done;
	if (root->type != YAML_MAPPING_NODE) {
		problem(s, "site.yaml", 1, "expected key: value lines");
		goto done;
	}
	for (yaml_node_pair_t *pair = root->data.mapping.pairs.start;
	    pair < root->data.mapping.pairs.top; pair++) {
		yaml_node_t *k = yaml_document_get_node(&doc, pair->key);
		yaml_node_t *v = yaml_document_get_node(&doc, pair->value);
		unsigned line = (unsigned)k->start_mark.line + 1;
		if (k->type != YAML_SCALAR_NODE || v->type != YAML_SCALAR_NODE) {
			problem(s, "site.yaml", line, "values must be plain text");
			continue;
		}
		const char *key = (const char *)k->data.scalar.value;
		char *val = xstrndup((const char *)v->data.scalar.value,
		    v->data.scalar.length);
		char **slot = NULL;
		if (strcmp(key, "title") == 0)
			slot = &s->title;
		else if (strcmp(key, "author") == 0)
			slot = &s->author;
		else if (strcmp(key, "description") == 0)
			slot = &s->description;
		else if (strcmp(key, "language") == 0 || strcmp(key, "lang") == 0)
			slot = &s->lang;
		if (slot && utf8_valid(val, strlen(val)) && !strpbrk(val, "\r\n\t")) {
			free(*slot);
			*slot = val;
		} else {
			if (slot)
				problem(s, "site.yaml", line, "%s must be one line of "
				    "UTF-8 text", key);
			free(val);   /* unknown keys (host, ...) are for later */
		}
	}
done:
	yaml_document_delete(&doc);
done_parser:
	yaml_parser_delete(&parser);
	free(text);
}

/* --- posts ----------------------------------------------------------- */

/* The file name without "posts/" and ".md". */
static const char *post_stem(const struct post *p, size_t *len)
{
	const char *name = strrchr(p->file, '/');
	name = name ? name + 1 : p->file;
	*len = strlen(name) - 3;
	return name;
}

static bool has_date_prefix(const char *name, size_t len)
{
	if (len < 11)
		return false;
	for (int i = 0; i < 10; i++)
		if (i == 4 || i == 7 ? name[i] != '-' : (name[i] < '0' || name[i] > '9'))
			return false;
	return name[10] == '-';
}

static unsigned count_words(const char *s, size_t n)
{
	unsigned words = 0;
	bool in_word = false;
	for (size_t i = 0; i < n; i++) {
		bool space = s[i] == ' ' || s[i] == '\n' || s[i] == '\t' ||
		    s[i] == '\r';
		if (!space && !in_word)
			words++;
		in_word = !space;
	}
	return words;
}

static int cmp_post_date(const void *a, const void *b)
{
	const struct post *x = a, *y = b;
	int c = strcmp(y->date, x->date);   /* newest first */
	return c ? c : strcmp(x->slug, y->slug);
}

static int cmp_by_slug(const void *a, const void *b)
{
	return strcmp((*(struct post *const *)a)->slug,
	    (*(struct post *const *)b)->slug);
}

static int cmp_stems(const struct post *x, const struct post *y)
{
	size_t lx, ly;
	const char *sx = post_stem(x, &lx), *sy = post_stem(y, &ly);
	int c = memcmp(sx, sy, lx < ly ? lx : ly);
	return c ? c : (lx > ly) - (lx < ly);
}

static int cmp_by_stem(const void *a, const void *b)
{
	return cmp_stems(*(struct post *const *)a, *(struct post *const *)b);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Titles and summaries are shown on one line everywhere (a gemtext heading,
 * a menu entry): YAML block scalars may carry line breaks, so fold them. */
static void flatten(char *s)
{
	for (; s && *s; s++)
		if (*s == '\n' || *s == '\r' || *s == '\t')
			*s = ' ';
}

/* Reads one post; returns 0 and fills p when it is to be published. */
static int load_post(struct site *s, const char *dir, const char *name,
    struct post *p)
{
	char path[PATH_MAX + 300];
	snprintf(path, sizeof path, "%s/posts/%s", dir, name);
	memset(p, 0, sizeof *p);
	struct buf file = {0};
	buf_printf(&file, "posts/%s", name);
	p->file = buf_take(&file, NULL);
	p->text = read_file(path, POST_MAX_BYTES, &p->text_len);
	if (!p->text) {
		problem(s, p->file, 1, "cannot read: %s", errno == EFBIG ?
		    "larger than 4 MiB" : strerror(errno));
		goto fail;
	}
	struct fm_error err = {0};
	if (frontmatter_parse(p->text, p->text_len, p, &err) < 0) {
		problem(s, p->file, err.line, "%s", err.msg);
		goto fail;
	}
	if (p->draft) {
		s->drafts++;
		goto fail;
	}
	flatten(p->title);
	flatten(p->summary);
	if (!p->slug) {
		size_t len;
		const char *stem = post_stem(p, &len);
		if (has_date_prefix(stem, len))
			stem += 11, len -= 11;
		p->slug = xstrndup(stem, len);
		if (!path_segment_safe(p->slug)) {
			problem(s, p->file, 1, "the name gives the slug \"%s\", "
			    "which is not safe in a path: rename the file or set "
			    "slug: in the front matter", p->slug);
			goto fail;
		}
	}
	if (!p->read_time) {
		unsigned words = count_words(p->body, p->body_len);
		p->read_time = words ? (words + 199) / 200 : 1;
	}
	return 0;
fail:
	post_clear(p);
	return -1;
}

static void load_posts(struct site *s)
{
	char path[PATH_MAX + 16];
	snprintf(path, sizeof path, "%s/posts", s->dir);
	DIR *d = opendir(path);
	if (!d) {
		if (errno != ENOENT)
			problem(s, "posts", 1, "cannot read: %s", strerror(errno));
		return;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < WALK_MAX_FILES) {
		size_t len = strlen(e->d_name);
		/* Drafts by convention: _template.md, .hidden.md. */
		if (e->d_name[0] == '.' || e->d_name[0] == '_' || len < 4 ||
		    strcmp(e->d_name + len - 3, ".md") != 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			names = xrealloc(names, cap * sizeof *names);
		}
		names[n++] = xstrdup(e->d_name);
	}
	closedir(d);
	/* Sorted, so that which of two posts with one slug wins is stable. */
	if (n)
		qsort(names, n, sizeof *names, cmp_names);

	s->posts = xcalloc(n ? n : 1, sizeof *s->posts);
	for (size_t i = 0; i < n; i++) {
		struct post *p = &s->posts[s->nposts];
		if (load_post(s, s->dir, names[i], p) == 0)
			s->nposts++;
		free(names[i]);
	}
	free(names);

	/* Slugs must be unique: the first file (by name) keeps it. */
	s->by_slug = xcalloc(s->nposts ? s->nposts : 1, sizeof *s->by_slug);
	for (size_t i = 0; i < s->nposts; i++)
		s->by_slug[i] = &s->posts[i];
	qsort(s->by_slug, s->nposts, sizeof *s->by_slug, cmp_by_slug);
	size_t kept = 0;
	for (size_t i = 0; i < s->nposts; i++) {
		struct post *p = s->by_slug[i];
		if (kept && strcmp(s->by_slug[kept - 1]->slug, p->slug) == 0) {
			struct post *first = s->by_slug[kept - 1];
			if (strcmp(first->file, p->file) > 0) {
				struct post *t = first;
				s->by_slug[kept - 1] = p;
				p = t;
			}
			problem(s, p->file, 1, "slug \"%s\" is already used by %s",
			    p->slug, s->by_slug[kept - 1]->file);
			post_clear(p);   /* emptied: dropped below */
			continue;
		}
		s->by_slug[kept++] = p;
	}
	size_t out = 0;
	for (size_t i = 0; i < s->nposts; i++)
		if (s->posts[i].file)
			s->posts[out++] = s->posts[i];
	s->nposts = out;
	qsort(s->posts, s->nposts, sizeof *s->posts, cmp_post_date);

	/* Indexes point into the final array. */
	s->by_stem = xcalloc(s->nposts ? s->nposts : 1, sizeof *s->by_stem);
	for (size_t i = 0; i < s->nposts; i++)
		s->by_slug[i] = s->by_stem[i] = &s->posts[i];
	qsort(s->by_slug, s->nposts, sizeof *s->by_slug, cmp_by_slug);
	qsort(s->by_stem, s->nposts, sizeof *s->by_stem, cmp_by_stem);
}

static int cmp_tag(const void *a, const void *b)
{
	return strcmp(((const struct tag *)a)->name, ((const struct tag *)b)->name);
}

struct tag_pair {
	const char *tag;
	struct post *post;
	size_t order;          /* keeps qsort stable: posts stay newest first */
};

static int cmp_pair(const void *a, const void *b)
{
	const struct tag_pair *x = a, *y = b;
	int c = strcmp(x->tag, y->tag);
	return c ? c : (x->order > y->order) - (x->order < y->order);
}

static void build_tags(struct site *s)
{
	/* Collect every (tag, post) pair in post order, so each tag's list is
	 * newest first; then group them by name. */
	size_t npairs = 0;
	for (size_t i = 0; i < s->nposts; i++)
		npairs += s->posts[i].ntags;
	struct tag_pair *pairs = xcalloc(npairs ? npairs : 1, sizeof *pairs);
	size_t k = 0;
	for (size_t i = 0; i < s->nposts; i++)
		for (size_t t = 0; t < s->posts[i].ntags; t++, k++)
			pairs[k] = (struct tag_pair){s->posts[i].tags[t],
			    &s->posts[i], k};
	qsort(pairs, npairs, sizeof *pairs, cmp_pair);

	s->tags = xcalloc(npairs ? npairs : 1, sizeof *s->tags);
	for (size_t i = 0; i < npairs;) {
		size_t j = i;
		while (j < npairs && strcmp(pairs[j].tag, pairs[i].tag) == 0)
			j++;
		struct tag *tag = &s->tags[s->ntags++];
		tag->name = xstrdup(pairs[i].tag);
		tag->nposts = j - i;
		tag->posts = xcalloc(tag->nposts, sizeof *tag->posts);
		for (size_t m = i; m < j; m++)
			tag->posts[m - i] = pairs[m].post;
		i = j;
	}
	free(pairs);
	qsort(s->tags, s->ntags, sizeof *s->tags, cmp_tag);
}

/* --- static files ---------------------------------------------------- */

struct walk {
	struct site *site;
	char *root;            /* realpath of the capsule: nothing outside it */
	size_t nfiles, capfiles, capdirs;
};

/* Files pollux reads itself rather than serving as they are. */
static bool is_source(const char *rel)
{
	if (strcmp(rel, "/site.yaml") == 0 || strcmp(rel, "/index.md") == 0)
		return true;
	size_t n = strlen(rel);
	return strncmp(rel, "/posts/", 7) == 0 && strchr(rel + 7, '/') == NULL &&
	    n > 3 && strcmp(rel + n - 3, ".md") == 0;
}

static void add_dir(struct walk *w, const char *rel)
{
	struct site *s = w->site;
	if (s->ndirs == w->capdirs) {
		w->capdirs = w->capdirs ? w->capdirs * 2 : 16;
		s->dirs = xrealloc(s->dirs, w->capdirs * sizeof *s->dirs);
	}
	struct buf b = {0};
	buf_printf(&b, "%s/", rel);
	s->dirs[s->ndirs++] = buf_take(&b, NULL);
}

static void add_file(struct walk *w, const char *abs, const char *rel)
{
	struct site *s = w->site;
	/* A symlink may point anywhere: serve it only when its target lies
	 * inside the capsule. */
	char real[PATH_MAX];
	size_t rootlen = strlen(w->root);
	if (!realpath(abs, real) || strncmp(real, w->root, rootlen) != 0 ||
	    real[rootlen] != '/') {
		problem(s, rel + 1, 1, "points outside the capsule; not served");
		return;
	}
	size_t len;
	char *data = read_file(abs, FILE_MAX_BYTES, &len);
	if (!data) {
		problem(s, rel + 1, 1, "cannot read: %s", errno == EFBIG ?
		    "larger than 64 MiB" : strerror(errno));
		return;
	}
	if (s->nfiles == w->capfiles) {
		w->capfiles = w->capfiles ? w->capfiles * 2 : 16;
		s->files = xrealloc(s->files, w->capfiles * sizeof *s->files);
	}
	s->files[s->nfiles++] = (struct static_file){xstrdup(rel), data, len};
}

/* rel is "" for the capsule itself, else "/sub/dir". */
static void walk(struct walk *w, const char *abs, const char *rel, int depth)
{
	DIR *d = opendir(abs);
	if (!d) {
		problem(w->site, *rel ? rel + 1 : ".", 1, "cannot read: %s",
		    strerror(errno));
		return;
	}
	struct dirent *e;
	bool served = false;
	while ((e = readdir(d)) && w->site->nfiles < WALK_MAX_FILES) {
		/* Dotfiles and _drafts are never served. */
		if (e->d_name[0] == '.' || e->d_name[0] == '_')
			continue;
		char cabs[PATH_MAX], crel[PATH_MAX];
		if ((size_t)snprintf(cabs, sizeof cabs, "%s/%s", abs, e->d_name) >=
		    sizeof cabs || (size_t)snprintf(crel, sizeof crel, "%s/%s",
		    rel, e->d_name) >= sizeof crel)
			continue;
		struct stat st;
		if (stat(cabs, &st) < 0)
			continue;
		if (!utf8_valid(e->d_name, strlen(e->d_name)) ||
		    strpbrk(e->d_name, "\t\r\n\\")) {
			problem(w->site, crel + 1, 1, "the name is not plain UTF-8 "
			    "text; not served");
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			if (depth < WALK_MAX_DEPTH)
				walk(w, cabs, crel, depth + 1);
		} else if (S_ISREG(st.st_mode) && !is_source(crel)) {
			add_file(w, cabs, crel);
			served = true;
		}
	}
	closedir(d);
	/* /posts/ and /tags/ are generated indexes, not folder listings. */
	if (served && *rel && strcmp(rel, "/posts") != 0 &&
	    strcmp(rel, "/tags") != 0 && strncmp(rel, "/tags/", 6) != 0)
		add_dir(w, rel);
}

static int cmp_file(const void *a, const void *b)
{
	return strcmp(((const struct static_file *)a)->path,
	    ((const struct static_file *)b)->path);
}

/* --- the whole capsule ---------------------------------------------- */

struct site *capsule_load(const char *dir)
{
	char root[PATH_MAX];
	struct stat st;
	/* A folder we cannot list is not a capsule with no posts: fail, so a
	 * reload keeps serving what it had. */
	if (!realpath(dir, root) || stat(root, &st) < 0 || !S_ISDIR(st.st_mode) ||
	    access(root, R_OK | X_OK) < 0) {
		fprintf(stderr, "%s: cannot read the capsule: %s\n", dir,
		    strerror(errno ? errno : ENOTDIR));
		return NULL;
	}
	struct site *s = xcalloc(1, sizeof *s);
	s->dir = xstrdup(root);

	char path[PATH_MAX + 16];
	snprintf(path, sizeof path, "%s/site.yaml", root);
	site_yaml(s, path);
	if (!s->title)
		s->title = xstrdup("A pollux capsule");
	if (!s->lang)
		s->lang = xstrdup("en");

	snprintf(path, sizeof path, "%s/index.md", root);
	s->intro = read_file(path, POST_MAX_BYTES, &s->intro_len);
	if (!s->intro && errno != ENOENT)
		problem(s, "index.md", 1, "cannot read: %s", strerror(errno));
	if (s->intro && !utf8_valid(s->intro, s->intro_len)) {
		problem(s, "index.md", 1, "not valid UTF-8; not shown");
		free(s->intro);
		s->intro = NULL;
	}

	load_posts(s);
	build_tags(s);

	struct walk w = {.site = s, .root = root};
	walk(&w, root, "", 0);
	if (s->nfiles)
		qsort(s->files, s->nfiles, sizeof *s->files, cmp_file);
	if (s->ndirs)
		qsort(s->dirs, s->ndirs, sizeof *s->dirs, cmp_names);
	return s;
}

void site_free(struct site *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nposts; i++)
		post_clear(&s->posts[i]);
	free(s->posts);
	for (size_t i = 0; i < s->ntags; i++) {
		free(s->tags[i].name);
		free(s->tags[i].posts);
	}
	free(s->tags);
	for (size_t i = 0; i < s->nfiles; i++) {
		free(s->files[i].path);
		free(s->files[i].data);
	}
	free(s->files);
	for (size_t i = 0; i < s->ndirs; i++)
		free(s->dirs[i]);
	free(s->dirs);
	free(s->by_slug);
	free(s->by_stem);
	free(s->dir);
	free(s->title);
	free(s->author);
	free(s->description);
	free(s->lang);
	free(s->intro);
	free(s);
}

/* --- links between posts -------------------------------------------- */

const struct post *site_find_post_link(const struct site *s, const char *url)
{
	if (strchr(url, ':'))          /* has a scheme: not ours */
		return NULL;
	while (strncmp(url, "./", 2) == 0)
		url += 2;
	if (strncmp(url, "/posts/", 7) == 0)
		url += 7;
	else if (strncmp(url, "../posts/", 9) == 0)
		url += 9;
	else if (strncmp(url, "posts/", 6) == 0)
		url += 6;
	size_t len = strcspn(url, "?#");
	if (len < 4 || memcmp(url + len - 3, ".md", 3) != 0 ||
	    memchr(url, '/', len))
		return NULL;
	len -= 3;

	/* By file name first ("2026-01-12-nginx.md"), then by slug. */
	struct post key = {0};
	struct buf name = {0};
	buf_printf(&name, "posts/%.*s.md", (int)len, url);
	key.file = name.data;
	struct post *kp = &key;
	struct post **hit = bsearch(&kp, s->by_stem, s->nposts,
	    sizeof *s->by_stem, cmp_by_stem);
	if (!hit) {
		const char *slug = url;
		size_t slen = len;
		if (has_date_prefix(slug, slen))
			slug += 11, slen -= 11;
		key.slug = xstrndup(slug, slen);
		hit = bsearch(&kp, s->by_slug, s->nposts, sizeof *s->by_slug,
		    cmp_by_slug);
		free(key.slug);
	}
	buf_free(&name);
	return hit ? *hit : NULL;
}
