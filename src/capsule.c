/* capsule.c - reads the capsule folder into a struct site: site.yaml, the
 * intro, every post (front matter checked, drafts withheld) and every other
 * file to serve as-is. A broken item is reported and skipped; a capsule that
 * cannot be read as well as before fails the load, so a reload keeps the
 * previous pages. Nothing outside the capsule is ever read. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "pollux/log.h"
#include "pollux/pool.h"
#include "pollux/postcache.h"
#include "pollux/site.h"
#include "pollux/util.h"

#define POST_MAX_BYTES (4u << 20)     /* one post's Markdown */
#define FILE_MAX_BYTES (64u << 20)    /* one static file, held in memory */
#define FEED_ENTRIES_DEFAULT 50
#define FEED_ENTRIES_MAX 100000
#define WALK_MAX_DEPTH 16
#define WALK_MAX_FILES 100000

#define CAPSULE_MAX_BYTES (1ull << 30) /* every static file together */
#define POSTS_PER_GRAB 16             /* posts a reading thread takes */

/* One load: the site being filled, and what decides whether it may
 * replace the one being served. */
struct load {
	struct site *site;
	const struct site *prev;  /* the site served now, or NULL */
	char root[PATH_MAX];      /* realpath of the capsule */
	size_t rootlen;           /* 0 when the capsule is "/" (chrooted) */
	size_t capreadable;
	size_t capredirects;
	unsigned long long file_bytes;
	bool failed;              /* the whole load fails, because: */
	char failed_why[PATH_MAX + 100];
};

static void problem(struct load *L, const char *file, unsigned line,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void problem(struct load *L, const char *file, unsigned line,
    const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_problem(file, line, fmt, ap);
	va_end(ap);
	L->site->problems++;
}

/* --- reading inside the capsule ------------------------------------- */

/* Errors that say nothing about the file, only about this moment: a load
 * that meets one would publish a site with holes, so it fails instead. */
static bool transient(int err)
{
	return err == EMFILE || err == ENFILE || err == ENOMEM ||
	    err == ENOBUFS || err == EIO || err == EAGAIN || err == EINTR;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool was_readable(const struct load *L, const char *rel)
{
	const struct site *p = L->prev;
	return p && p->nreadable && bsearch(&rel, p->readable, p->nreadable,
	    sizeof *p->readable, cmp_names) != NULL;
}

static void readable(struct load *L, const char *rel)
{
	struct site *s = L->site;
	if (s->nreadable == L->capreadable) {
		L->capreadable = L->capreadable ? L->capreadable * 2 : 64;
		s->readable = xrealloc(s->readable,
		    L->capreadable * sizeof *s->readable);
	}
	s->readable[s->nreadable++] = xstrdup(rel);
}

/* rel ("/posts/a.md") could not be read, for err or the reason why (when
 * not NULL). Only ENOENT means it is gone; any other error on something the
 * served site could read, or an error of the moment, fails the load.
 * Otherwise the item is reported and skipped. */
static void cannot_read(struct load *L, const char *rel, int err,
    const char *why)
{
	const char *name = rel[0] && rel[1] ? rel + 1 : ".";
	if (err == ENOENT)
		return;
	if (transient(err) || was_readable(L, rel)) {
		if (!L->failed)
			snprintf(L->failed_why, sizeof L->failed_why, "%s: %s%s",
			    name, why ? why : strerror(err), transient(err) ? "" :
			    " (it could be read before)");
		L->failed = true;
		return;
	}
	problem(L, name, 1, "%s; not served", why ? why : strerror(err));
}

static bool inside(const struct load *L, const char *real)
{
	return strncmp(real, L->root, L->rootlen) == 0 &&
	    (real[L->rootlen] == '/' || real[L->rootlen] == '\0');
}

/* A name that pollux never serves: a dotfile or an _draft, anywhere in
 * the path. */
static bool private_path(const char *rel)
{
	for (const char *p = rel; (p = strchr(p, '/')); p++)
		if (p[1] == '.' || p[1] == '_')
			return true;
	return false;
}

/* root + rel; the capsule itself is "root/" (or "/" when chrooted). */
static int join(const struct load *L, const char *rel, char *out, size_t n)
{
	return (size_t)snprintf(out, n, "%s%s", L->root, *rel ? rel : "/") < n ?
	    0 : -1;
}

/* The contents of the regular file rel, at most max bytes, or NULL (the
 * reason reported). A symbolic link is followed only to a file inside the
 * capsule that is not private; nothing else is opened. When st is given,
 * it is set to what the file was before it was read, and *linked to
 * whether it was reached through a symbolic link. */
static char *read_capsule_st(struct load *L, const char *rel, size_t max,
    size_t *len, struct stat *stp, bool *linked)
{
	char path[PATH_MAX], real[PATH_MAX];
	struct stat st;
	const char *name = rel + 1;
	if (join(L, rel, path, sizeof path) < 0) {
		problem(L, name, 1, "the path is too long; not served");
		return NULL;
	}
	if (lstat(path, &st) < 0) {
		cannot_read(L, rel, errno, NULL);
		return NULL;
	}
	const char *target = path;
	if (S_ISLNK(st.st_mode)) {
		if (!realpath(path, real) || stat(real, &st) < 0) {
			/* Dangling: the file it named is gone. */
			int err = errno;
			if (err == ENOENT)
				problem(L, name, 1, "a symbolic link to nothing; "
				    "not served");
			else
				cannot_read(L, rel, err, NULL);
			return NULL;
		}
		if (!inside(L, real) || private_path(real + L->rootlen)) {
			problem(L, name, 1, "a symbolic link out of the capsule "
			    "or to a private file; not followed");
			return NULL;
		}
		target = real;
		if (linked)
			*linked = true;
	}
	if (!S_ISREG(st.st_mode)) {
		cannot_read(L, rel, EISDIR, S_ISDIR(st.st_mode) ?
		    "a symbolic link to a folder" :
		    "not a regular file");
		return NULL;
	}
	char *data = read_file(target, O_NOFOLLOW, max, len);
	if (!data) {
		char why[64];
		snprintf(why, sizeof why, "larger than %zu MiB", max >> 20);
		cannot_read(L, rel, errno, errno == EFBIG ? why : NULL);
		return NULL;
	}
	readable(L, rel);
	if (stp)
		*stp = st;
	return data;
}

static char *read_capsule(struct load *L, const char *rel, size_t max,
    size_t *len)
{
	return read_capsule_st(L, rel, max, len, NULL, NULL);
}

/* The folder rel ("" for the capsule), never through a symbolic link. */
static DIR *open_folder(struct load *L, const char *rel)
{
	char path[PATH_MAX], slashed[PATH_MAX + 1];
	if (join(L, rel, path, sizeof path) < 0)
		return NULL;
	snprintf(slashed, sizeof slashed, "%s/", rel);
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ELOOP || errno == ENOTDIR)
			problem(L, slashed + 1, 1, "a symbolic link to a folder, or "
			    "not a folder; not followed");
		else
			cannot_read(L, slashed, errno, NULL);
		return NULL;
	}
	DIR *d = fdopendir(fd);
	if (!d) {
		cannot_read(L, slashed, errno, NULL);
		close(fd);
		return NULL;
	}
	readable(L, slashed);
	return d;
}

/* readdir, telling the end of the folder from an error (which counts as
 * a folder that could not be read). */
static struct dirent *next_entry(struct load *L, DIR *d, const char *rel)
{
	errno = 0;
	struct dirent *e = readdir(d);
	if (!e && errno) {
		char slashed[PATH_MAX + 1];
		snprintf(slashed, sizeof slashed, "%s/", rel);
		cannot_read(L, slashed, errno, NULL);
	}
	return e;
}

/* --- site.yaml ------------------------------------------------------- */

static void add_redirect(struct load *L, struct redirect r)
{
	struct site *s = L->site;
	if (s->nredirects == L->capredirects) {
		L->capredirects = L->capredirects ? L->capredirects * 2 : 16;
		s->redirects = xrealloc(s->redirects,
		    L->capredirects * sizeof *s->redirects);
	}
	s->redirects[s->nredirects++] = r;
}

static char *trimmed_copy(const char *v)
{
	v += strspn(v, " \t");
	size_t n = strlen(v);
	while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	return xstrndup(v, n);
}

static const char *scalar(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ?
	    (const char *)n->data.scalar.value : NULL;
}

/* redirects: a list of "- from: /old" "  to: /new" pairs. */
static void site_redirects(struct load *L, yaml_document_t *doc,
    yaml_node_t *list, unsigned line)
{
	if (list->type != YAML_SEQUENCE_NODE) {
		problem(L, "site.yaml", line, "redirects must be a list of "
		    "from: and to: pairs");
		return;
	}
	for (yaml_node_item_t *it = list->data.sequence.items.start;
	    it < list->data.sequence.items.top; it++) {
		yaml_node_t *m = yaml_document_get_node(doc, *it);
		unsigned at = (unsigned)m->start_mark.line + 1;
		const char *from = NULL, *to = NULL, *why;
		bool odd = m->type != YAML_MAPPING_NODE;
		for (yaml_node_pair_t *p = odd ? NULL : m->data.mapping.pairs.start;
		    p && p < m->data.mapping.pairs.top; p++) {
			const char *k = scalar(yaml_document_get_node(doc, p->key));
			const char *v = scalar(yaml_document_get_node(doc,
			    p->value));
			if (k && v && strcmp(k, "from") == 0 && !from)
				from = v;
			else if (k && v && strcmp(k, "to") == 0 && !to)
				to = v;
			else
				odd = true;
		}
		if (odd || !from || !to) {
			problem(L, "site.yaml", at, "a redirect is two paths, "
			    "from: and to:, and nothing else; ignored");
			continue;
		}
		char *path = alias_path(from, "/", &why), *target;
		if (!path) {
			problem(L, "site.yaml", at, "redirect from \"%.60s\" %s; "
			    "ignored", from, why);
			continue;
		}
		if (!(target = alias_path(to, "/", &why))) {
			problem(L, "site.yaml", at, "redirect to \"%.60s\" %s; "
			    "ignored", to, why);
			free(path);
			continue;
		}
		free(target);   /* checked; links resolve it as written */
		add_redirect(L, (struct redirect){path, trimmed_copy(to), NULL,
		    "site.yaml", at});
	}
}

/* "feed_entries: N": the newest N posts in each feed; "all" for every one. */
static void site_feed_entries(struct load *L, yaml_node_t *v, unsigned line)
{
	const char *n = scalar(v);
	char *end;
	unsigned long k = n && isdigit((unsigned char)*n) ?
	    strtoul(n, &end, 10) : 0;
	if (n && strcmp(n, "all") == 0)
		L->site->feed_entries = 0;
	else if (k >= 1 && k <= FEED_ENTRIES_MAX && *end == '\0')
		L->site->feed_entries = (unsigned)k;
	else
		problem(L, "site.yaml", line, "feed_entries must be a number "
		    "from 1 to %u, or all", FEED_ENTRIES_MAX);
}

static void site_yaml(struct load *L)
{
	struct site *s = L->site;
	size_t len;
	char *text = read_capsule(L, "/site.yaml", 64 << 10, &len);
	if (!text)
		return;
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		problem(L, "site.yaml", (unsigned)parser.problem_mark.line + 1,
		    "invalid YAML: %s", parser.problem ? parser.problem : "?");
		goto done_parser;
	}
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (!root) /* empty file: defaults */
		goto done;
	if (root->type != YAML_MAPPING_NODE) {
		problem(L, "site.yaml", 1, "expected key: value lines");
		goto done;
	}
	for (yaml_node_pair_t *pair = root->data.mapping.pairs.start;
	    pair < root->data.mapping.pairs.top; pair++) {
		yaml_node_t *k = yaml_document_get_node(&doc, pair->key);
		yaml_node_t *v = yaml_document_get_node(&doc, pair->value);
		unsigned line = (unsigned)k->start_mark.line + 1;
		if (scalar(k) && strcmp(scalar(k), "redirects") == 0) {
			site_redirects(L, &doc, v, line);
			continue;
		}
		if (scalar(k) && strcmp(scalar(k), "feed_entries") == 0) {
			site_feed_entries(L, v, line);
			continue;
		}
		if (k->type != YAML_SCALAR_NODE || v->type != YAML_SCALAR_NODE) {
			problem(L, "site.yaml", line, "values must be plain text");
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
		else if (strcmp(key, "icon") == 0) {
			slot = &s->icon;
			s->icon_line = line;
		}
		if (slot && utf8_valid(val, strlen(val)) && !strpbrk(val, "\r\n\t")) {
			free(*slot);
			*slot = val;
		} else {
			if (slot)
				problem(L, "site.yaml", line, "%s must be one line of "
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
	if (x->date_epoch != y->date_epoch)   /* newest first */
		return x->date_epoch < y->date_epoch ? 1 : -1;
	return strcmp(x->slug, y->slug);
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

/* Titles and summaries are shown on one line everywhere (a gemtext heading,
 * a menu entry): YAML block scalars may carry line breaks, so fold them. */
static void flatten(char *s)
{
	for (; s && *s; s++)
		if (*s == '\n' || *s == '\r' || *s == '\t')
			*s = ' ';
}

/* Releases what a post of a site holds, and the post. */
static void post_drop(struct post *p)
{
	postcache_source_unref(p->source);
	postcache_render_unref(p->render);
	post_clear(p);
}

/* The file rel as a new source, its front matter parsed; or NULL when it
 * cannot be read or is not to be published (reported). When prev holds
 * the same bytes (a file touched, not changed), its parse is copied. */
static struct post_source *read_post(struct load *L, const char *rel,
    const struct post_source *prev)
{
	struct stat st;
	bool linked = false;
	size_t len;
	int64_t now = postcache_now_ns();
	char *text = read_capsule_st(L, rel, POST_MAX_BYTES, &len, &st, &linked);
	if (!text)
		return NULL;
	struct post_source *src = postcache_source_new();
	src->dev = st.st_dev;
	src->ino = st.st_ino;
	src->size = st.st_size;
	src->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 +
	    st.st_mtim.tv_nsec;
	src->ctime_ns = (int64_t)st.st_ctim.tv_sec * 1000000000 +
	    st.st_ctim.tv_nsec;
	src->read_ns = now;
	src->linked = linked;
	src->text = text;
	src->len = len;
	src->hash = postcache_hash(0, text, len);
	struct post *p = &src->rec;
	if (prev && prev->hash == src->hash && prev->len == len &&
	    memcmp(prev->text, text, len) == 0) {
		post_copy(p, &prev->rec);
		p->body = text + (prev->rec.body - prev->text);
		return src;
	}
	p->file = xstrdup(rel + 1);
	struct fm_error err = {0};
	if (frontmatter_parse(text, len, p, &err) < 0) {
		problem(L, p->file, err.line, "%s", err.msg);
		goto fail;
	}
	if (p->draft) {
		L->site->drafts++;
		goto fail;
	}
	flatten(p->title);
	flatten(p->summary);
	if (!p->slug) {
		size_t slen;
		const char *stem = post_stem(p, &slen);
		if (has_date_prefix(stem, slen))
			stem += 11, slen -= 11;
		p->slug = xstrndup(stem, slen);
		if (!path_segment_safe(p->slug)) {
			char shown[256];
			log_escape(shown, sizeof shown, p->slug, strlen(p->slug));
			problem(L, p->file, 1, "the name gives the slug \"%s\", "
			    "which is not safe in a path: rename the file or set "
			    "slug: in the front matter", shown);
			goto fail;
		}
	}
	if (!p->read_time) {
		unsigned words = count_words(p->body, p->body_len);
		p->read_time = words ? (words + 199) / 200 : 1;
	}
	return src;
fail:
	postcache_source_unref(src);
	return NULL;
}

/* Reads one post; returns 0 and fills p when it is to be published. A
 * file the site served now read, unchanged since by its stat, is not read
 * again: its source is shared. */
static int load_post(struct load *L, const char *name, struct post *p,
    bool *reread)
{
	struct buf rel = {0};
	buf_printf(&rel, "/posts/%s", name);
	const struct post *old = L->prev ?
	    site_find_post_file(L->prev, rel.data + 1) : NULL;
	struct post_source *prev = old ? old->source : NULL, *src = NULL;
	char path[PATH_MAX];
	struct stat st;
	if (prev && join(L, rel.data, path, sizeof path) == 0 &&
	    lstat(path, &st) == 0 && postcache_unchanged(prev, &st)) {
		postcache_source_ref(prev);
		src = prev;
		readable(L, rel.data);
	} else {
		src = read_post(L, rel.data, prev);
		*reread = true;
	}
	buf_free(&rel);
	memset(p, 0, sizeof *p);
	if (!src)
		return -1;
	post_copy(p, &src->rec);
	p->source = src;
	return 0;
}

/* One post file's outcome, made on any thread; merged in name order so
 * that a parallel load reports and publishes what a sequential one does. */
struct post_result {
	struct post post;
	bool ok, draft, read, reread;
	unsigned problems;
	struct buf said;        /* its reports, held until its turn */
	char *failed_why;       /* it fails the load, because */
};

struct post_pool {
	const struct load *L;
	char **names;
	size_t n;
	struct post_result *out;
	atomic_size_t next;
};

static void *read_posts(void *arg)
{
	struct post_pool *pool = arg;
	/* Each thread its own load: problems, readable paths and failure
	 * are counted there, then handed to the result of the file. */
	struct load *mine = xmalloc(sizeof *mine);
	struct site scratch = {0};
	*mine = *pool->L;
	mine->site = &scratch;
	mine->capreadable = 0;    /* scratch's list, not the load's */
	size_t i, n = pool->n;
	while ((i = atomic_fetch_add(&pool->next, POSTS_PER_GRAB)) < n) {
		for (size_t end = i + POSTS_PER_GRAB; i < n && i < end; i++) {
			struct post_result *r = &pool->out[i];
			scratch.problems = scratch.drafts = 0;
			mine->failed = false;
			log_capture(&r->said);
			r->ok = load_post(mine, pool->names[i], &r->post,
			    &r->reread) == 0;
			log_capture(NULL);
			r->problems = scratch.problems;
			r->draft = scratch.drafts > 0;
			r->read = scratch.nreadable > 0;
			for (size_t k = 0; k < scratch.nreadable; k++)
				free(scratch.readable[k]);
			scratch.nreadable = 0;
			if (mine->failed)
				r->failed_why = xstrdup(mine->failed_why);
		}
	}
	free(scratch.readable);
	free(mine);
	return NULL;
}

static void load_posts(struct load *L)
{
	struct site *s = L->site;
	DIR *d = open_folder(L, "/posts");
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while (d && (e = next_entry(L, d, "/posts"))) {
		if (n == WALK_MAX_FILES) {
			problem(L, "posts", 1, "more than %u posts; the rest are "
			    "not served", WALK_MAX_FILES);
			break;
		}
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
	if (d)
		closedir(d);
	/* Sorted, so that which of two posts with one slug wins is stable. */
	if (n)
		qsort(names, n, sizeof *names, cmp_names);

	/* Read and parsed on every core, then taken in name order. */
	struct post_pool pool = {L, names, n,
	    xcalloc(n ? n : 1, sizeof *pool.out), 0};
	pool_run(pool_threads(n, POSTS_PER_GRAB), read_posts, &pool);
	s->posts = xcalloc(n ? n : 1, sizeof *s->posts);
	for (size_t i = 0; i < n; i++) {
		struct post_result *r = &pool.out[i];
		log_problem_lines(r->said.data, r->said.len);
		buf_free(&r->said);
		s->problems += r->problems;
		s->drafts += r->draft;
		s->posts_reread += r->reread && r->ok;
		if (r->read) {
			struct buf rel = {0};
			buf_printf(&rel, "/posts/%s", names[i]);
			readable(L, rel.data);
			buf_free(&rel);
		}
		if (r->failed_why) {
			if (!L->failed)
				snprintf(L->failed_why, sizeof L->failed_why, "%s",
				    r->failed_why);
			L->failed = true;
			free(r->failed_why);
		}
		if (r->ok)
			s->posts[s->nposts++] = r->post;
		free(names[i]);
	}
	free(pool.out);
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
			problem(L, p->file, 1, "slug \"%s\" is already used by %s",
			    p->slug, s->by_slug[kept - 1]->file);
			post_drop(p);   /* emptied: dropped below */
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
	return strcmp(((const struct tag *)a)->path, ((const struct tag *)b)->path);
}

struct tag_pair {
	struct post_tag *tag;
	struct post *post;
	size_t order;          /* keeps qsort stable: posts stay newest first */
};

static int cmp_pair(const void *a, const void *b)
{
	const struct tag_pair *x = a, *y = b;
	int c = strcmp(x->tag->path, y->tag->path);
	return c ? c : (x->order > y->order) - (x->order < y->order);
}

static void note(struct site *s, const char *file, unsigned line,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* A line for --check that is no problem: kept until --check says it. */
static void note(struct site *s, const char *file, unsigned line,
    const char *fmt, ...)
{
	char shown[512], msg[1024];
	struct buf b = {0};
	va_list ap;
	log_escape(shown, sizeof shown, file, strlen(file));
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	buf_printf(&b, "%s:%u: note: %s", shown, line, msg);
	s->notes = xrealloc(s->notes, (s->nnotes + 1) * sizeof *s->notes);
	s->notes[s->nnotes++] = buf_take(&b, NULL);
}

/* One tag of pairs[0..n), which share a path: shown as the oldest post
 * spells it (the first spelling used, which a new post cannot change),
 * and every post's copy of the name made that one. */
static void one_tag(struct site *s, struct tag *tag, struct tag_pair *pairs,
    size_t n)
{
	const struct tag_pair *first = &pairs[n - 1];
	tag->name = xstrdup(first->tag->name);
	tag->path = xstrdup(first->tag->path);
	tag->nposts = n;
	tag->posts = xcalloc(n, sizeof *tag->posts);
	for (size_t m = 0; m < n; m++)
		tag->posts[m] = pairs[m].post;
	/* Each other spelling, said once, where its oldest post has it. */
	for (size_t m = n - 1; m-- > 0;) {
		const struct post_tag *t = pairs[m].tag;
		bool said = strcmp(t->name, tag->name) == 0;
		for (size_t k = m + 1; !said && k < n - 1; k++)
			said = strcmp(pairs[k].tag->name, t->name) == 0;
		if (!said)
			note(s, pairs[m].post->file, t->line, "tag \"%s\" is the "
			    "tag \"%s\" (/tags/%s/), shown as first spelled in %s",
			    t->name, tag->name, tag->path, first->post->file);
	}
	for (size_t m = 0; m < n; m++) {
		struct post_tag *t = pairs[m].tag;
		if (strcmp(t->name, tag->name) != 0) {
			free(t->name);
			t->name = xstrdup(tag->name);
		}
	}
}

static void build_tags(struct site *s)
{
	/* Collect every (tag, post) pair in post order, so each tag's list is
	 * newest first; then group them by path. */
	size_t npairs = 0;
	for (size_t i = 0; i < s->nposts; i++)
		npairs += s->posts[i].ntags;
	struct tag_pair *pairs = xcalloc(npairs ? npairs : 1, sizeof *pairs);
	size_t k = 0;
	for (size_t i = 0; i < s->nposts; i++)
		for (size_t t = 0; t < s->posts[i].ntags; t++, k++)
			pairs[k] = (struct tag_pair){&s->posts[i].tags[t],
			    &s->posts[i], k};
	qsort(pairs, npairs, sizeof *pairs, cmp_pair);

	s->tags = xcalloc(npairs ? npairs : 1, sizeof *s->tags);
	for (size_t i = 0; i < npairs;) {
		size_t j = i;
		while (j < npairs && strcmp(pairs[j].tag->path,
		    pairs[i].tag->path) == 0)
			j++;
		one_tag(s, &s->tags[s->ntags++], pairs + i, j - i);
		i = j;
	}
	free(pairs);
	qsort(s->tags, s->ntags, sizeof *s->tags, cmp_tag);
}

/* --- moved paths ----------------------------------------------------- */

static int cmp_redirect_at(const void *a, const void *b, void *ctx)
{
	const struct redirect *r = ctx;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = strcmp(r[x].from, r[y].from);
	return c ? c : (x > y) - (x < y);
}

/* site.yaml's redirects (read already), then every post's aliases, newest
 * post first, sorted by path: a path moved twice keeps the first. */
static void build_redirects(struct load *L)
{
	struct site *s = L->site;
	for (size_t i = 0; i < s->nposts; i++) {
		struct post *p = &s->posts[i];
		for (size_t a = 0; a < p->naliases; a++)
			add_redirect(L, (struct redirect){xstrdup(
			    p->aliases[a].path), NULL, p, p->file,
			    p->aliases[a].line});
	}
	size_t n = s->nredirects, kept = 0;
	if (!n)
		return;
	size_t *at = xcalloc(n, sizeof *at);
	for (size_t i = 0; i < n; i++)
		at[i] = i;
	qsort_r(at, n, sizeof *at, cmp_redirect_at, s->redirects);
	struct redirect *out = xcalloc(n, sizeof *out);
	for (size_t i = 0; i < n; i++) {
		struct redirect *r = &s->redirects[at[i]];
		if (kept && strcmp(out[kept - 1].from, r->from) == 0) {
			char shown[256];
			log_escape(shown, sizeof shown, r->from, strlen(r->from));
			problem(L, r->file, r->line, "%s is already moved by "
			    "%s:%u; ignored", shown, out[kept - 1].file,
			    out[kept - 1].line);
			free(r->from);
			free(r->to);
			continue;
		}
		out[kept++] = *r;
	}
	free(at);
	free(s->redirects);
	s->redirects = out;
	s->nredirects = kept;
}

static int cmp_redirect(const void *key, const void *elem)
{
	return strcmp(key, ((const struct redirect *)elem)->from);
}

const struct redirect *site_find_redirect(const struct site *s,
    const char *path)
{
	return s->nredirects ? bsearch(path, s->redirects, s->nredirects,
	    sizeof *s->redirects, cmp_redirect) : NULL;
}

/* --- static files ---------------------------------------------------- */

struct walk {
	struct load *load;
	size_t capfiles, capdirs;
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
	struct site *s = w->load->site;
	if (s->ndirs == w->capdirs) {
		w->capdirs = w->capdirs ? w->capdirs * 2 : 16;
		s->dirs = xrealloc(s->dirs, w->capdirs * sizeof *s->dirs);
	}
	struct buf b = {0};
	buf_printf(&b, "%s/", rel);
	s->dirs[s->ndirs++] = buf_take(&b, NULL);
}

static void add_file(struct walk *w, const char *rel)
{
	struct load *L = w->load;
	struct site *s = L->site;
	size_t len;
	char *data = read_capsule(L, rel, FILE_MAX_BYTES, &len);
	if (!data)
		return;
	if (L->file_bytes + len > CAPSULE_MAX_BYTES) {
		problem(L, rel + 1, 1, "the capsule's files pass %llu MiB with "
		    "this one; not served", CAPSULE_MAX_BYTES >> 20);
		free(data);
		return;
	}
	L->file_bytes += len;
	if (s->nfiles == w->capfiles) {
		w->capfiles = w->capfiles ? w->capfiles * 2 : 16;
		s->files = xrealloc(s->files, w->capfiles * sizeof *s->files);
	}
	s->files[s->nfiles++] = (struct static_file){xstrdup(rel), data, len};
}

/* A name that can be shown in a menu line and a link: UTF-8 without
 * control characters (C0, DEL, C1) or backslashes. */
static bool plain_name(const char *name)
{
	size_t n = strlen(name);
	if (!utf8_valid(name, n))
		return false;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p < 0x20 || *p == 0x7F || *p == '\\' ||
		    (*p == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F))
			return false;
	return true;
}

/* rel is "" for the capsule itself, else "/sub/dir". Folders are entered
 * by name, never through a symbolic link, so the walk stays inside the
 * capsule and cannot loop. */
static void walk(struct walk *w, const char *rel, int depth)
{
	struct load *L = w->load;
	DIR *d = open_folder(L, rel);
	if (!d)
		return;
	struct dirent *e;
	bool served = false;
	while (!L->failed && (e = next_entry(L, d, rel))) {
		/* Dotfiles and _drafts are never served. */
		if (e->d_name[0] == '.' || e->d_name[0] == '_')
			continue;
		char crel[PATH_MAX], path[PATH_MAX];
		if ((size_t)snprintf(crel, sizeof crel, "%s/%s", rel, e->d_name) >=
		    sizeof crel || join(L, crel, path, sizeof path) < 0) {
			problem(L, rel[0] ? rel + 1 : ".", 1, "a name in this "
			    "folder makes a path too long; not served");
			continue;
		}
		if (!plain_name(e->d_name)) {
			problem(L, crel + 1, 1, "the name is not plain UTF-8 "
			    "text; not served");
			continue;
		}
		/* A post (or site.yaml, index.md) is read by its own
		 * stage: no need to stat it here too, when the folder says it
		 * is a file. */
		if ((e->d_type == DT_REG || e->d_type == DT_LNK) &&
		    is_source(crel))
			continue;
		struct stat st;
		if (lstat(path, &st) < 0) {
			cannot_read(L, crel, errno, NULL);
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			if (depth < WALK_MAX_DEPTH)
				walk(w, crel, depth + 1);
			else
				problem(L, crel + 1, 1, "deeper than %d folders; "
				    "not served", WALK_MAX_DEPTH);
			continue;
		}
		if (is_source(crel))
			continue;
		if (L->site->nfiles == WALK_MAX_FILES) {
			problem(L, crel + 1, 1, "more than %u files in the "
			    "capsule; not served", WALK_MAX_FILES);
			break;
		}
		/* Regular files and links to them; read_capsule judges
		 * links and refuses anything else. */
		add_file(w, crel);
		served = true;
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

static void load_intro(struct load *L)
{
	struct site *s = L->site;
	s->intro = read_capsule(L, "/index.md", POST_MAX_BYTES, &s->intro_len);
	if (s->intro && !utf8_valid(s->intro, s->intro_len)) {
		problem(L, "index.md", 1, "not valid UTF-8; not shown");
		free(s->intro);
		s->intro = NULL;
	}
}

struct site *capsule_load(const char *dir, const struct site *prev)
{
	struct load *L = xcalloc(1, sizeof *L);
	struct stat st;
	/* A folder we cannot list is not a capsule with no posts: fail, so a
	 * reload keeps serving what it had. */
	if (!realpath(dir, L->root) || stat(L->root, &st) < 0 ||
	    !S_ISDIR(st.st_mode) || access(L->root, R_OK | X_OK) < 0) {
		log_error("%s: cannot read the capsule: %s", dir,
		    strerror(errno ? errno : ENOTDIR));
		free(L);
		return NULL;
	}
	/* Chrooted into the capsule, its root is "/": paths are "/x". */
	L->rootlen = strcmp(L->root, "/") == 0 ? 0 : strlen(L->root);
	L->root[L->rootlen] = '\0';
	L->prev = prev;
	struct site *s = L->site = xcalloc(1, sizeof *s);
	s->dir = xstrdup(L->rootlen ? L->root : "/");
	s->feed_entries = FEED_ENTRIES_DEFAULT;

	site_yaml(L);
	if (!s->title)
		s->title = xstrdup("A pollux capsule");
	if (!s->lang)
		s->lang = xstrdup("en");
	load_intro(L);
	load_posts(L);
	build_tags(s);
	build_redirects(L);

	struct walk w = {.load = L};
	walk(&w, "", 0);
	if (s->nfiles)
		qsort(s->files, s->nfiles, sizeof *s->files, cmp_file);
	if (s->ndirs)
		qsort(s->dirs, s->ndirs, sizeof *s->dirs, cmp_names);
	if (s->nreadable)
		qsort(s->readable, s->nreadable, sizeof *s->readable, cmp_names);
	if (L->failed) {
		log_error("%s: cannot load the capsule: %s", dir, L->failed_why);
		site_free(s);
		s = NULL;
	}
	free(L);
	return s;
}

void site_free(struct site *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nposts; i++)
		post_drop(&s->posts[i]);
	free(s->posts);
	for (size_t i = 0; i < s->ntags; i++) {
		free(s->tags[i].name);
		free(s->tags[i].path);
		free(s->tags[i].posts);
	}
	free(s->tags);
	for (size_t i = 0; i < s->nredirects; i++) {
		free(s->redirects[i].from);
		free(s->redirects[i].to);
	}
	free(s->redirects);
	for (size_t i = 0; i < s->nnotes; i++)
		free(s->notes[i]);
	free(s->notes);
	for (size_t i = 0; i < s->nfiles; i++) {
		free(s->files[i].path);
		free(s->files[i].data);
	}
	free(s->files);
	for (size_t i = 0; i < s->ndirs; i++)
		free(s->dirs[i]);
	free(s->dirs);
	for (size_t i = 0; i < s->nreadable; i++)
		free(s->readable[i]);
	free(s->readable);
	for (size_t i = 0; i < s->nkept; i++)
		postcache_kept_unref(s->kept[i]);
	free(s->kept);
	free(s->by_slug);
	free(s->by_stem);
	free(s->dir);
	free(s->title);
	free(s->author);
	free(s->description);
	free(s->lang);
	free(s->icon);
	free(s->intro);
	free(s);
}

/* --- links between posts -------------------------------------------- */

const struct post *site_find_post_file(const struct site *s, const char *file)
{
	struct post key = {.file = (char *)file}, *kp = &key;
	if (!s->nposts || strncmp(file, "posts/", 6) != 0 ||
	    strchr(file + 6, '/') || strlen(file) < 9)
		return NULL;
	struct post **hit = bsearch(&kp, s->by_stem, s->nposts,
	    sizeof *s->by_stem, cmp_by_stem);
	return hit && strcmp((*hit)->file, file) == 0 ? *hit : NULL;
}

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
