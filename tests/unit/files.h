/* files.h - files the unit tests write into a temporary folder of their
 * own (a capsule, keys), and the folder removed when a test ends. */
#ifndef POLLUX_TEST_FILES_H
#define POLLUX_TEST_FILES_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Writes text to dir/rel, making the folders on the way. */
static inline void put_file(const char *dir, const char *rel,
    const char *text)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", dir, rel);
	for (char *p = path + strlen(dir) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* Removes dir and all it holds; 0 when that worked. */
static inline int remove_tree(const char *dir)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd);
}

#endif
