/* fuzz_common.h - a small snapshot the request fuzzers look pages up in,
 * built once per process. */
#ifndef POLLUX_FUZZ_COMMON_H
#define POLLUX_FUZZ_COMMON_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pollux/config.h"
#include "pollux/snapshot.h"
#include "pollux/util.h"

static struct config fuzz_cfg;

static struct snapshot *fuzz_snapshot(void)
{
	static struct snapshot *s;
	if (s)
		return s;
	config_defaults(&fuzz_cfg);
	char *argv[] = {"fuzz", NULL};
	config_parse_args(&fuzz_cfg, 1, argv);
	struct site *site = xcalloc(1, sizeof *site);
	site->title = xstrdup("Fuzz");
	site->lang = xstrdup("en");
	s = snapshot_new(site);
	for (int p = PROTO_GEMINI; p <= PROTO_GOPHER; p++) {
		const char *head = p == PROTO_GEMINI ? "20 text/gemini\r\n" : "";
		snapshot_add(s, p, "/", head, xstrdup("home"), 4);
		snapshot_add(s, p, "/posts/", head, xstrdup("posts"), 5);
		snapshot_add(s, p, "/posts/a.gmi", head, xstrdup("a"), 1);
		snapshot_add_redirect(s, p, "/posts", "/posts/");
	}
	snapshot_seal(s);
	return s;
}

#endif
