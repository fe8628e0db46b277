/* frontmatter.c - the YAML front matter of a post, parsed with libyaml into
 * a post record. Untrusted input: every field is checked, every error names
 * the line it is on, and nothing outside the record is touched. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "pollux/post.h"
#include "pollux/search.h"
#include "pollux/url.h"
#include "pollux/util.h"

#define FRONT_MATTER_MAX (64u << 10)

/* What one post may add to the generated pages. Each tag becomes a page
 * and a feed that repeat the post's card (title, tags, summary), so tags
 * times summary is what a post costs: unbounded, one post with 2,000 tags
 * took seconds and hundreds of MB to load. The values leave room for any
 * real blog: posts carry a handful of tags, a summary is a paragraph or
 * two, and a title is one line (in bytes, so CJK gets ~100 characters). */
#define POST_TAGS_MAX 32
#define POST_ALIASES_MAX 32
#define POST_TAG_BYTES_MAX 64
#define POST_SUMMARY_BYTES_MAX 2048
#define POST_TITLE_BYTES_MAX 300

static int fail(struct fm_error *err, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct fm_error *err, unsigned line, const char *fmt, ...)
{
	va_list ap;
	err->line = line;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	return -1;
}

bool path_segment_safe(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 100 || s[0] == '.' || s[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) ||
		    s[i] == '.' || s[i] == '_' || s[i] == '-'))
			return false;
	return true;
}

/* '#' is a sharp where it is one: after a letter, ending a word. */
static bool sharp_at(const char *s, size_t n, bool after_letter)
{
	char f[4];
	size_t len;
	bool sep;
	if (!after_letter)
		return false;
	if (n == 1)
		return true;
	search_fold_char(s + 1, n - 1, f, &len, &sep);
	return sep;
}

char *tag_path(const char *name)
{
	struct buf b = {0};
	size_t n = strlen(name);
	bool dash = false, letter = false;
	for (size_t i = 0; i < n;) {
		const char *word = NULL;
		char f[4];
		size_t len = 0;
		bool sep = false;
		if (name[i] == '+') {
			word = "plus";
			i++;
		} else if (name[i] == '#' && sharp_at(name + i, n - i, letter)) {
			word = "sharp";
			i++;
		} else {
			i += search_fold_char(name + i, n - i, f, &len, &sep);
		}
		if (word) {
			buf_printf(&b, "%s%s", b.len ? "-" : "", word);
			dash = true;
			letter = false;
		} else if (len) {
			if (dash && b.len)
				buf_putc(&b, '-');
			buf_put(&b, f, len);
			dash = false;
			letter = !(len == 1 && isdigit((unsigned char)f[0]));
		} else if (sep) {
			dash = true;
			letter = false;
		}
	}
	if (b.len == 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_take(&b, NULL);
}

/* "scheme:" before any '/': a URL, not a path. */
static bool has_scheme(const char *s)
{
	size_t n = strcspn(s, ":/");
	return n > 0 && s[n] == ':';
}

char *alias_path(const char *written, const char *dir, const char **why)
{
	char joined[2 * REQUEST_LINE_MAX + 2], path[REQUEST_LINE_MAX + 1];
	const char *s = written + strspn(written, " \t");
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	*why = NULL;
	if (n == 0)
		*why = "is empty";
	else if (has_scheme(s) || strncmp(s, "//", 2) == 0)
		*why = "is a URL: give the path on this capsule";
	else if (memchr(s, '?', n) || memchr(s, '#', n))
		*why = "has a ?query or a #part, which a path never has";
	else if (n > REQUEST_LINE_MAX)
		*why = "is longer than a request";
	if (*why)
		return NULL;
	snprintf(joined, sizeof joined, "%s%.*s", s[0] == '/' ? "" : dir,
	    (int)n, s);
	long k = percent_decode(joined, strlen(joined), path, sizeof path - 1);
	if (k < 0) {
		*why = "has a bad %-escape (or one longer than a request)";
		return NULL;
	}
	path[k] = '\0';
	for (long i = 0; i < k; i++)
		if ((unsigned char)path[i] < 0x20 || path[i] == 0x7F) {
			*why = "has a control character";
			return NULL;
		}
	if (!utf8_valid(path, (size_t)k))
		*why = "is not UTF-8 once its escapes are decoded";
	else if (path_remove_dots(path) < 0)
		*why = "climbs above the capsule's root";
	else if (strstr(path, "/."))
		*why = "names a dotfile, which is never served";
	return *why ? NULL : xstrdup(path);
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

void post_copy(struct post *dst, const struct post *src)
{
	*dst = *src;
	dst->text = NULL;
	dst->source = NULL;
	dst->render = NULL;
	dst->file = dup_or_null(src->file);
	dst->title = dup_or_null(src->title);
	dst->summary = dup_or_null(src->summary);
	dst->slug = dup_or_null(src->slug);
	dst->lang = dup_or_null(src->lang);
	dst->tags = src->ntags ? xcalloc(src->ntags, sizeof *dst->tags) : NULL;
	for (size_t i = 0; i < src->ntags; i++)
		dst->tags[i] = (struct post_tag){xstrdup(src->tags[i].name),
		    xstrdup(src->tags[i].path), src->tags[i].line};
	dst->aliases = src->naliases ?
	    xcalloc(src->naliases, sizeof *dst->aliases) : NULL;
	for (size_t i = 0; i < src->naliases; i++)
		dst->aliases[i] = (struct post_alias){
		    xstrdup(src->aliases[i].path), src->aliases[i].line};
}

void post_clear(struct post *p)
{
	free(p->file);
	free(p->text);
	free(p->title);
	free(p->summary);
	free(p->slug);
	free(p->lang);
	for (size_t i = 0; i < p->ntags; i++) {
		free(p->tags[i].name);
		free(p->tags[i].path);
	}
	free(p->tags);
	for (size_t i = 0; i < p->naliases; i++)
		free(p->aliases[i].path);
	free(p->aliases);
	memset(p, 0, sizeof *p);
}

/* A line that is exactly "---" (or "..." for closing), trailing blanks and
 * CR allowed. */
static bool is_fence(const char *s, size_t n, bool closing)
{
	if (n < 3 || !(memcmp(s, "---", 3) == 0 ||
	    (closing && memcmp(s, "...", 3) == 0)))
		return false;
	for (size_t i = 3; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return false;
	return true;
}

static bool leap(unsigned y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Reads exactly n digits at *p into *v. */
static bool digits(const char **p, int n, unsigned *v)
{
	*v = 0;
	for (int i = 0; i < n; i++, (*p)++) {
		if (!isdigit((unsigned char)**p))
			return false;
		*v = *v * 10 + (unsigned)(**p - '0');
	}
	return true;
}

/* Days from 1970-01-01 to y-m-d, proleptic Gregorian (y >= 1970). */
static long long days_since_epoch(unsigned y, unsigned m, unsigned d)
{
	long long days = 0;
	for (unsigned k = 1970; k < y; k++)
		days += 365 + leap(k);
	static const unsigned before[] = {0, 31, 59, 90, 120, 151, 181, 212,
	    243, 273, 304, 334};
	return days + before[m - 1] + (m > 2 && leap(y)) + d - 1;
}

/* A date, or a date and time the way Hugo (RFC 3339) and Jekyll write
 * them: "2026-03-28", "2026-03-28T10:30:00+05:30", "2026-03-28 10:30",
 * "2026-03-28 10:30:00 +0530". Seconds' fractions are dropped; a time
 * without an offset is taken as UTC. */
static bool parse_date(const char *s, char day[11], char rfc3339[26],
    long long *epoch)
{
	const char *p = s;
	unsigned y, mo, d, h = 0, mi = 0, sec = 0, oh = 0, om = 0;
	int sign = 0;
	if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) ||
	    *p++ != '-' || !digits(&p, 2, &d))
		return false;
	static const unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31};
	if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 ||
	    d > days[mo - 1] + (mo == 2 && leap(y)))
		return false;
	bool timed = *p == 'T' || *p == 't' || (*p == ' ' && isdigit(
	    (unsigned char)p[1]));
	if (timed) {
		p++;
		if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi))
			return false;
		if (*p == ':' && (p++, !digits(&p, 2, &sec)))
			return false;
		if (*p == '.' && isdigit((unsigned char)p[1]))
			for (p++; isdigit((unsigned char)*p); p++)
				;
		if (h > 23 || mi > 59 || sec > 59)
			return false;
		if (*p == ' ')
			p++;
		if (*p == 'Z' || *p == 'z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			sign = *p++ == '+' ? 1 : -1;
			if (!digits(&p, 2, &oh))
				return false;
			if (*p == ':')
				p++;
			if (!digits(&p, 2, &om) || oh > 23 || om > 59)
				return false;
		}
	}
	if (*p)
		return false;
	/* Every field was checked; "% 100" tells the compiler so. */
	snprintf(day, 11, "%04u-%02u-%02u", y % 10000, mo % 100, d % 100);
	if (sign)
		snprintf(rfc3339, 26, "%.10sT%02u:%02u:%02u%c%02u:%02u", day,
		    h % 100, mi % 100, sec % 100, sign > 0 ? '+' : '-', oh % 100,
		    om % 100);
	else
		snprintf(rfc3339, 26, "%.10sT%02u:%02u:%02uZ", day, h % 100,
		    mi % 100, sec % 100);
	*epoch = days_since_epoch(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec -
	    sign * (long long)(oh * 3600 + om * 60);
	return true;
}

/* BCP 47 in its common shape: "en", "en-GB", "zh-Hant-TW". */
static bool lang_valid(const char *s)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");
	if (n < 2 || n > 8)
		return false;
	for (s += n; *s; s += n) {
		if (*s++ != '-')
			return false;
		n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789");
		if (n < 1 || n > 8)
			return false;
	}
	return true;
}

static int parse_bool(const char *s, bool *out)
{
	static const char *yes[] = {"true", "yes", "on"}, *no[] = {"false",
	    "no", "off"};
	for (int i = 0; i < 3; i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return *out = true, 0;
		if (strcasecmp(s, no[i]) == 0)
			return *out = false, 0;
	}
	return -1;
}

static char *trimmed(const char *s)
{
	s += strspn(s, " \t");
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return xstrndup(s, n);
}

/* A tag's name as shown: trimmed, every run of spaces (or anything a
 * line cannot hold) one space. */
static char *tag_name(const char *raw)
{
	struct buf b = {0};
	bool space = false;
	for (const char *s = raw; *s; s++) {
		if ((unsigned char)*s <= ' ' || *s == 0x7F) {
			space = b.len > 0;
			continue;
		}
		if (space)
			buf_putc(&b, ' ');
		space = false;
		buf_putc(&b, *s);
	}
	if (!b.len) {
		buf_free(&b);
		return NULL;
	}
	return buf_take(&b, NULL);
}

/* Adds one tag; a second spelling of one path is dropped. A tag with no
 * path is reported on its own line, a limit on the line of the tags: key
 * (key_line). */
static int add_tag(struct post *p, const char *raw, unsigned line,
    unsigned key_line, struct fm_error *err)
{
	char *name = tag_name(raw), *path = NULL;
	if (!name)
		return 0;
	int rc = 0;
	if (strlen(name) > POST_TAG_BYTES_MAX)
		rc = fail(err, key_line, "tag \"%.40s...\" is longer than %d "
		    "bytes", name, POST_TAG_BYTES_MAX);
	else if (!(path = tag_path(name)))
		rc = fail(err, line, "tag \"%s\" has no letter or digit to make "
		    "its path of", name);
	else if (strlen(path) > TAG_PATH_MAX)
		rc = fail(err, line, "tag \"%s\" makes a path of %zu bytes, "
		    "longer than %d", name, strlen(path), TAG_PATH_MAX);
	for (size_t i = 0; rc == 0 && i < p->ntags; i++)
		if (strcmp(p->tags[i].path, path) == 0) {
			free(name);
			free(path);
			return 0;
		}
	if (rc == 0 && p->ntags == POST_TAGS_MAX)
		rc = fail(err, key_line, "more than %d tags; a post may have "
		    "at most %d", POST_TAGS_MAX, POST_TAGS_MAX);
	if (rc < 0) {
		free(name);
		free(path);
		return rc;
	}
	p->tags = xrealloc(p->tags, (p->ntags + 1) * sizeof *p->tags);
	p->tags[p->ntags++] = (struct post_tag){name, path, line};
	return 0;
}

/* Adds one old address of the post; the same one twice counts once. */
static int add_alias(struct post *p, const char *raw, unsigned line,
    unsigned key_line, struct fm_error *err)
{
	const char *why;
	char *path = alias_path(raw, "/posts/", &why);
	if (!path)
		return fail(err, line, "alias \"%.60s\" %s", raw, why);
	for (size_t i = 0; i < p->naliases; i++)
		if (strcmp(p->aliases[i].path, path) == 0) {
			free(path);
			return 0;
		}
	if (p->naliases == POST_ALIASES_MAX) {
		free(path);
		return fail(err, key_line, "more than %d aliases; a post may have "
		    "at most %d", POST_ALIASES_MAX, POST_ALIASES_MAX);
	}
	p->aliases = xrealloc(p->aliases, (p->naliases + 1) *
	    sizeof *p->aliases);
	p->aliases[p->naliases++] = (struct post_alias){path, line};
	return 0;
}

static int comma_tags(struct post *p, const char *list, unsigned line,
    unsigned key_line, struct fm_error *err)
{
	char *copy = xstrdup(list);
	int rc = 0;
	for (char *save, *t = strtok_r(copy, ",", &save); t && rc == 0;
	    t = strtok_r(NULL, ",", &save))
		rc = add_tag(p, t, line, key_line, err);
	free(copy);
	return rc;
}

enum key { K_TITLE, K_SUMMARY, K_DATE, K_UPDATED, K_TAGS, K_READ_TIME,
	K_DRAFT, K_SLUG, K_LANG, K_ALIASES, K_OTHER };

static enum key key_of(const char *k)
{
	static const char *names[] = {"title", "summary", "date", "updated",
	    "tags", "read_time", "draft", "slug", "lang", "aliases"};
	for (int i = 0; i < K_OTHER; i++)
		if (strcmp(k, names[i]) == 0)
			return (enum key)i;
	return K_OTHER;
}

/* One scalar value for a known key; line is the value's, key_line the
 * key's (where a value over a limit is reported). */
static int set_field(struct post *p, enum key k, const char *v, unsigned line,
    unsigned key_line, struct fm_error *err)
{
	char *t;
	switch (k) {
	case K_TITLE:
	case K_SUMMARY:
		t = trimmed(v);
		if (k == K_TITLE && !*t) {
			free(t);
			return fail(err, line, "title is empty");
		}
		size_t max = k == K_TITLE ? POST_TITLE_BYTES_MAX :
		    POST_SUMMARY_BYTES_MAX;
		if (strlen(t) > max) {
			int rc = fail(err, key_line, "%s is %zu bytes, longer "
			    "than %zu: shorten it", k == K_TITLE ? "title" :
			    "summary", strlen(t), max);
			free(t);
			return rc;
		}
		free(k == K_TITLE ? p->title : p->summary);
		*(k == K_TITLE ? &p->title : &p->summary) = t;
		return 0;
	case K_DATE:
	case K_UPDATED: {
		t = trimmed(v);
		bool ok = k == K_DATE ? parse_date(t, p->date, p->date_rfc3339,
		    &p->date_epoch) : parse_date(t, p->updated,
		    p->updated_rfc3339, &p->updated_epoch);
		int rc = ok ? 0 : fail(err, line, "%s \"%.40s\" is not a real "
		    "date (YYYY-MM-DD, or RFC 3339 as in 2026-03-28T10:30:00+05:30)",
		    k == K_DATE ? "date" : "updated", t);
		free(t);
		return rc;
	}
	case K_TAGS:
		return comma_tags(p, v, line, key_line, err);
	case K_ALIASES:
		return add_alias(p, v, line, key_line, err);
	case K_READ_TIME: {
		char *end;
		long n = strtol(v, &end, 10);
		if (end == v || *end || n < 1 || n > 1000)
			return fail(err, line, "read_time must be minutes from 1 to "
			    "1000, not \"%.40s\"", v);
		p->read_time = (unsigned)n;
		return 0;
	}
	case K_DRAFT:
		if (parse_bool(v, &p->draft) < 0)
			return fail(err, line, "draft must be true or false, not "
			    "\"%.40s\"", v);
		return 0;
	case K_SLUG:
		if (!path_segment_safe(v))
			return fail(err, line, "slug \"%.60s\" is not safe in a path "
			    "(use a-z, 0-9, '-', '_' and '.')", v);
		free(p->slug);
		p->slug = xstrdup(v);
		return 0;
	case K_LANG:
		if (!lang_valid(v))
			return fail(err, line, "lang \"%.40s\" is not a language tag "
			    "such as en or en-GB", v);
		free(p->lang);
		p->lang = xstrdup(v);
		return 0;
	case K_OTHER:
		return 0;
	}
	return 0;
}

/* Walks the YAML events of the front matter: a mapping whose values are
 * scalars, or for tags and aliases a sequence of scalars. Other keys may hold anything
 * (Jekyll and Hugo posts carry many) but are skipped, with nesting bounded. */
static int parse_yaml(const char *yaml, size_t len, unsigned first_line,
    struct post *p, struct fm_error *err)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, len);

	enum { START, KEY, VALUE, LIST, SKIP, DONE } state = START;
	enum key key = K_OTHER;
	unsigned seen = 0, depth = 0, key_line = first_line;
	int rc = 0;
	while (rc == 0 && state != DONE) {
		if (!yaml_parser_parse(&parser, &ev)) {
			rc = fail(err, first_line + (unsigned)parser.problem_mark.line,
			    "invalid YAML: %s", parser.problem ? parser.problem : "?");
			break;
		}
		unsigned line = first_line + (unsigned)ev.start_mark.line;
		const char *val = ev.type == YAML_SCALAR_EVENT ?
		    (const char *)ev.data.scalar.value : NULL;
		if (ev.type == YAML_ALIAS_EVENT) {
			rc = fail(err, line, "YAML aliases are not supported here");
		} else if (ev.type == YAML_STREAM_END_EVENT) {
			state = DONE;
		} else if (state == START) {
			if (ev.type == YAML_SCALAR_EVENT ||
			    ev.type == YAML_SEQUENCE_START_EVENT)
				rc = fail(err, line, "front matter must be key: value "
				    "lines");
			else if (ev.type == YAML_MAPPING_START_EVENT)
				state = KEY;
		} else if (state == KEY) {
			if (ev.type == YAML_MAPPING_END_EVENT) {
				state = START;   /* a second document is ignored */
			} else if (ev.type != YAML_SCALAR_EVENT) {
				rc = fail(err, line, "keys must be plain words");
			} else {
				key = key_of(val);
				if (key != K_OTHER && (seen & (1u << key)))
					rc = fail(err, line, "%s is given twice", val);
				seen |= key != K_OTHER ? 1u << key : 0;
				key_line = line;
				state = VALUE;
			}
		} else if (state == VALUE) {
			if (ev.type == YAML_SCALAR_EVENT) {
				rc = set_field(p, key, val, line, key_line, err);
				state = KEY;
			} else if ((key == K_TAGS || key == K_ALIASES) &&
			    ev.type == YAML_SEQUENCE_START_EVENT) {
				state = LIST;
			} else if (key == K_OTHER) {
				depth = 1;
				state = SKIP;
			} else {
				rc = fail(err, line, key == K_TAGS ? "tags must be a list "
				    "or a comma-separated string" : key == K_ALIASES ?
				    "aliases must be a list of paths" : "this value must "
				    "be plain text");
			}
		} else if (state == LIST) {
			if (ev.type == YAML_SEQUENCE_END_EVENT)
				state = KEY;
			else if (ev.type == YAML_SCALAR_EVENT)
				rc = key == K_TAGS ? add_tag(p, val, line, key_line,
				    err) : add_alias(p, val, line, key_line, err);
			else
				rc = fail(err, line, key == K_TAGS ? "each tag must be "
				    "plain text" : "each alias must be a path");
		} else if (state == SKIP) {
			if (ev.type == YAML_MAPPING_START_EVENT ||
			    ev.type == YAML_SEQUENCE_START_EVENT) {
				if (++depth > 32)
					rc = fail(err, line, "YAML nested too deeply");
			} else if (ev.type == YAML_MAPPING_END_EVENT ||
			    ev.type == YAML_SEQUENCE_END_EVENT) {
				if (--depth == 0)
					state = KEY;
			}
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	if (rc == 0 && !p->title)
		rc = fail(err, first_line, "title is missing");
	if (rc == 0 && !p->date[0])
		rc = fail(err, first_line, "date is missing (YYYY-MM-DD)");
	if (rc == 0 && p->updated[0] && p->updated_epoch < p->date_epoch)
		rc = fail(err, first_line, "updated (%s) is before date (%s)",
		    p->updated_rfc3339, p->date_rfc3339);
	return rc;
}

int frontmatter_parse(const char *text, size_t len, struct post *p,
    struct fm_error *err)
{
	if (memchr(text, '\0', len)) {
		size_t at = (size_t)((const char *)memchr(text, '\0', len) - text);
		unsigned line = 1;
		for (size_t i = 0; i < at; i++)
			line += text[i] == '\n';
		return fail(err, line, "file contains a NUL byte");
	}
	if (!utf8_valid(text, len)) {
		/* Find the line of the first bad byte. */
		unsigned line = 1;
		size_t good = 0;
		for (size_t i = 0; i < len; i++) {
			if (text[i] == '\n') {
				if (!utf8_valid(text + good, i - good))
					break;
				line++;
				good = i + 1;
			}
		}
		return fail(err, line, "file is not valid UTF-8");
	}
	const char *s = text, *end = text + len;
	if (len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
		s += 3;   /* a byte-order mark some editors write */

	const char *nl = memchr(s, '\n', (size_t)(end - s));
	if (!is_fence(s, nl ? (size_t)(nl - s) : (size_t)(end - s), false))
		return fail(err, 1, "no front matter: the file must start with a "
		    "--- line");
	if (!nl)
		return fail(err, 1, "front matter is not closed by ---");
	const char *yaml = nl + 1, *line_start = yaml;
	unsigned line = 2;
	for (;;) {
		if (line_start >= end)
			return fail(err, 1, "front matter is not closed by ---");
		nl = memchr(line_start, '\n', (size_t)(end - line_start));
		size_t n = nl ? (size_t)(nl - line_start) : (size_t)(end - line_start);
		if (is_fence(line_start, n, true))
			break;
		/* Counted to the end of the line, not its start: one long
		 * line must not slip past the cap. */
		const char *next = nl ? nl + 1 : end;
		if ((size_t)(next - yaml) > FRONT_MATTER_MAX)
			return fail(err, 1, "front matter is larger than 64 KiB");
		line_start = next;
		line++;
	}
	if (parse_yaml(yaml, (size_t)(line_start - yaml), 2, p, err) < 0)
		return -1;
	p->body = nl ? nl + 1 : end;
	p->body_len = (size_t)(end - p->body);
	p->body_line = line + 1;
	return 0;
}
