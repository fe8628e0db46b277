/* sitelinks.h - what a link written in the capsule (in a post, in index.md,
 * in an author's .md or .gmi page) points at: a post, a tag, a generated
 * index, a folder, a page, a file, a feed, or a URL elsewhere. */
#ifndef POLLUX_SITELINKS_H
#define POLLUX_SITELINKS_H

#include "model.h"
#include "site.h"

/* url as written, in a page that lives in the folder base ("/posts/",
 * "/"). Returns the kind; *target is malloc'd (the caller frees it) or
 * NULL for LINK_URL and posts; *post is set for posts. A relative path is
 * resolved against base, its escapes decoded and "?query" or "#part" left
 * out; a path that moved (a post's alias, a redirect of site.yaml) is
 * what it moved to; a path nothing answers stays a LINK_FILE at that
 * path. */
enum link_to site_link(const struct site *site, const char *base,
    const char *url, char **target, const struct post **post);

/* False for a link site_link resolved to nothing pollux serves: a
 * LINK_FILE that is no file of the capsule (nor robots.txt or caps.txt,
 * which pollux writes). Every other kind was found. */
bool site_link_found(const struct site *site, enum link_to to,
    const char *target);

/* The served path of an author's Markdown page at path ("/about.md" is
 * "/about.gmi"); malloc'd. */
char *md_page_path(const char *path);

/* True when path is a static file of the site. */
bool site_has_file(const struct site *site, const char *path);

#endif
