/* sitelinks.c - a link written in the capsule, resolved against the site:
 * which post, tag, index, folder, page, file or feed it names, so every
 * writer can give it its own protocol's address. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "pollux/sitelinks.h"
#include "pollux/url.h"
#include "pollux/util.h"

static int cmp_path(const void *key, const void *elem)
{
	return strcmp(key, ((const struct static_file *)elem)->path);
}

bool site_has_file(const struct site *site, const char *path)
{
	return site->nfiles && bsearch(path, site->files, site->nfiles,
	    sizeof *site->files, cmp_path) != NULL;
}

static bool has_dir(const struct site *site, const char *dir)
{
	for (size_t i = 0; i < site->ndirs; i++)
		if (strcmp(site->dirs[i], dir) == 0)
			return true;
	return false;
}

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), k = strlen(tail);
	return n >= k && strcmp(s + n - k, tail) == 0;
}

char *md_page_path(const char *path)
{
	size_t n = strlen(path);
	struct buf b = {0};
	buf_printf(&b, "%.*s.gmi", (int)(n > 3 ? n - 3 : n), path);
	return buf_take(&b, NULL);
}

/* "scheme:" first (RFC 3986), or "//host": another server. */
static bool elsewhere(const char *url)
{
	const char *p = url;
	if (strncmp(url, "//", 2) == 0)
		return true;
	if (!isalpha((unsigned char)*p))
		return false;
	while (isalnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.')
		p++;
	return *p == ':';
}

static const struct post *post_by_slug(const struct site *site,
    const char *slug, size_t n)
{
	for (size_t i = 0; i < site->nposts; i++)
		if (strlen(site->posts[i].slug) == n &&
		    memcmp(site->posts[i].slug, slug, n) == 0)
			return &site->posts[i];
	return NULL;
}

static bool is_tag(const struct site *site, const char *name, size_t n)
{
	for (size_t i = 0; i < site->ntags; i++)
		if (strlen(site->tags[i].path) == n &&
		    memcmp(site->tags[i].path, name, n) == 0)
			return true;
	return false;
}

static enum link_to resolve(const struct site *site, const char *base,
    const char *url, char **target, const struct post **post, int depth);

/* A path that moved (an alias, a redirect of site.yaml) names what it
 * moved to, once: a redirect's target is never itself followed. */
static enum link_to moved(const struct site *site, const char *path,
    char **target, const struct post **post, int depth)
{
	const struct redirect *r = site_find_redirect(site, path);
	if (!r) {
		/* "/2024/05/old" for the alias "/2024/05/old/" */
		struct buf b = {0};
		buf_printf(&b, "%s/", path);
		r = site_find_redirect(site, b.data);
		buf_free(&b);
	}
	if (!r || depth > 0)
		return LINK_URL;
	if (r->post) {
		*post = r->post;
		return LINK_POST;
	}
	return resolve(site, "/", r->to, target, post, depth + 1);
}

/* What the resolved path names. */
static enum link_to classify(const struct site *site, char *path,
    char **target, const struct post **post, int depth)
{
	size_t n = strlen(path);
	struct buf b = {0};

	*target = NULL;
	if (!strcmp(path, "/") || !strcmp(path, "/posts/") ||
	    !strcmp(path, "/tags/") || !strcmp(path, "/posts") ||
	    !strcmp(path, "/tags")) {
		buf_printf(&b, "%s%s", path, path[n - 1] == '/' ? "" : "/");
		*target = buf_take(&b, NULL);
		return LINK_MENU;
	}
	if (strncmp(path, "/posts/", 7) == 0) {
		/* "/posts/SLUG.gmi", "/posts/SLUG.txt", the menu "/posts/SLUG/" */
		const char *slug = path + 7;
		size_t k = strlen(slug);
		if (k && slug[k - 1] == '/')
			k--;
		else if (ends_with(slug, ".gmi") || ends_with(slug, ".txt"))
			k -= 4;
		if (k && !memchr(slug, '/', k) &&
		    (*post = post_by_slug(site, slug, k)) != NULL)
			return LINK_POST;
	}
	*post = NULL;
	if (!strcmp(path, "/atom.xml")) {
		*target = xstrdup(path);
		return LINK_FEED;
	}
	if (!strcmp(path, "/search")) {
		*target = xstrdup(path);
		return LINK_SEARCH;
	}
	if (strncmp(path, "/tags/", 6) == 0) {
		const char *name = path + 6;
		size_t k = strcspn(name, "/");
		if (is_tag(site, name, k)) {
			if (!strcmp(name + k, "/atom.xml")) {
				*target = xstrdup(path);
				return LINK_FEED;
			}
			if (!strcmp(name + k, "/") || !name[k]) {
				buf_printf(&b, "/tags/%.*s/", (int)k, name);
				*target = buf_take(&b, NULL);
				return LINK_TAG;
			}
		}
	}
	if (site_has_file(site, path)) {
		if (ends_with(path, ".gmi")) {
			*target = xstrdup(path);
			return LINK_PAGE;
		}
		if (ends_with(path, ".md")) {
			*target = md_page_path(path);
			return LINK_PAGE;
		}
		*target = xstrdup(path);
		return LINK_FILE;
	}
	if (ends_with(path, ".gmi")) {
		/* "about.gmi" for the page made of about.md */
		buf_printf(&b, "%.*s.md", (int)(n - 4), path);
		bool page = site_has_file(site, b.data);
		buf_free(&b);
		if (page) {
			*target = xstrdup(path);
			return LINK_PAGE;
		}
	}
	buf_printf(&b, "%s%s", path, path[n - 1] == '/' ? "" : "/");
	if (has_dir(site, b.data)) {
		*target = buf_take(&b, NULL);
		return LINK_FOLDER;
	}
	buf_free(&b);
	enum link_to to = moved(site, path, target, post, depth);
	if (to != LINK_URL)
		return to;
	free(*target);
	*target = xstrdup(path);
	*post = NULL;
	return LINK_FILE;
}

bool site_link_found(const struct site *site, enum link_to to,
    const char *target)
{
	if (to != LINK_FILE)
		return true;
	return site_has_file(site, target) || !strcmp(target, "/robots.txt") ||
	    !strcmp(target, "/caps.txt");
}

enum link_to site_link(const struct site *site, const char *base,
    const char *url, char **target, const struct post **post)
{
	return resolve(site, base, url, target, post, 0);
}

static enum link_to resolve(const struct site *site, const char *base,
    const char *url, char **target, const struct post **post, int depth)
{
	*target = NULL;
	*post = NULL;
	if (!*url || *url == '#' || *url == '?' || elsewhere(url) ||
	    strlen(url) > REQUEST_LINE_MAX)
		return LINK_URL;

	char path[2 * REQUEST_LINE_MAX + 2], decoded[REQUEST_LINE_MAX + 1];
	size_t n = strcspn(url, "?#");
	snprintf(path, sizeof path, "%s%.*s", url[0] == '/' ? "" : base,
	    (int)n, url);
	long k = percent_decode(path, strlen(path), decoded, sizeof decoded);
	if (k > 0 && memchr(decoded, '\0', (size_t)k) == NULL) {
		memcpy(path, decoded, (size_t)k);
		path[k] = '\0';
	}
	path_remove_dots(path);

	/* A page of the capsule first: "notes.md" next to about.md is that
	 * page, not a post with the slug "notes". */
	if (!site_has_file(site, path) && ends_with(path, ".md") &&
	    (*post = site_find_post_link(site, url)) != NULL)
		return LINK_POST;
	return classify(site, path, target, post, depth);
}
