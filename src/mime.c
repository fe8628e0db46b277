/* mime.c - file name extensions to MIME types and Gopher item types. One
 * table, so both protocols agree on what a file is. */
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "pollux/mime.h"

static const struct {
	const char *ext;
	const char *mime;
	char gopher;
} types[] = {
	{"gmi", "text/gemini", '0'},
	{"gemini", "text/gemini", '0'},
	{"txt", "text/plain; charset=utf-8", '0'},
	{"md", "text/markdown; charset=utf-8", '0'},
	{"csv", "text/csv; charset=utf-8", '0'},
	{"xml", "application/xml", '0'},
	{"atom", "application/atom+xml", '0'},
	{"json", "application/json", '0'},
	{"html", "text/html; charset=utf-8", 'h'},
	{"htm", "text/html; charset=utf-8", 'h'},
	{"png", "image/png", 'I'},
	{"jpg", "image/jpeg", 'I'},
	{"jpeg", "image/jpeg", 'I'},
	{"webp", "image/webp", 'I'},
	{"svg", "image/svg+xml", 'I'},
	{"gif", "image/gif", 'g'},
	{"pdf", "application/pdf", '9'},
	{"mp3", "audio/mpeg", 's'},
	{"ogg", "audio/ogg", 's'},
	{"zip", "application/zip", '9'},
	{"gz", "application/gzip", '9'},
	{"tar", "application/x-tar", '9'},
};

static int find(const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *dot = strrchr(slash ? slash : path, '.');
	if (!dot)
		return -1;
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		if (strcasecmp(dot + 1, types[i].ext) == 0)
			return (int)i;
	return -1;
}

const char *mime_type(const char *path)
{
	int i = find(path);
	return i < 0 ? "application/octet-stream" : types[i].mime;
}

char gopher_item_type(const char *path)
{
	int i = find(path);
	return i < 0 ? '9' : types[i].gopher;
}
