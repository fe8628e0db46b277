/* main.c - pollux's entry point: the command line, then one of serve,
 * --check or --dump. Exit codes: 0 fine, 1 the capsule or the server
 * failed, 2 the command line was wrong. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pollux/config.h"
#include "pollux/gemini.h"
#include "pollux/gopher.h"
#include "pollux/log.h"
#include "pollux/server.h"
#include "pollux/snapshot.h"
#include "pollux/url.h"
#include "pollux/util.h"

static int check(const struct config *cfg)
{
	struct snapshot *s = snapshot_build(cfg, NULL);
	if (!s)
		return 1;
	const struct site *site = snapshot_site(s);
	int rc = site->problems ? 1 : 0;
	/* Worth knowing, and no problem: on stdout, not counted. */
	for (size_t i = 0; i < site->nnotes; i++)
		printf("%s\n", site->notes[i]);
	if (site->problems)
		fprintf(stderr, "%s: %u problem%s\n", cfg->capsule_dir,
		    site->problems, site->problems == 1 ? "" : "s");
	else
		printf("%s: %zu posts, %zu tags, %zu files, %zu Gemini pages, "
		    "%zu Gopher pages (%u drafts withheld)\n", cfg->capsule_dir,
		    site->nposts, site->ntags, site->nfiles,
		    snapshot_page_count(s, PROTO_GEMINI),
		    snapshot_page_count(s, PROTO_GOPHER), site->drafts);
	snapshot_unref(s);
	return rc;
}

/* A Gopher URL (RFC 4266) carries the item type before the selector:
 * gopher://host[:port]/TYPE/selector. Returns the request line. */
static void gopher_request_from_url(const char *url, struct buf *req)
{
	const char *p = url + strlen("gopher://");
	const char *slash = strchr(p, '/');
	if (slash && slash[1]) {
		const char *sel = slash + 2;   /* past '/' and the type */
		char decoded[REQUEST_READ_MAX + 1];
		long n = percent_decode(sel, strlen(sel), decoded, sizeof decoded);
		if (n >= 0)
			buf_put(req, decoded, (size_t)n);
		else
			buf_puts(req, sel);
	}
	buf_puts(req, "\r\n");
}

static int dump(const struct config *cfg)
{
	struct snapshot *s = snapshot_build(cfg, NULL);
	if (!s)
		return 1;
	struct buf req = {0};
	struct reply r;
	struct request_ctx ctx = {0};
	if (strncmp(cfg->dump_url, "gopher://", 9) == 0) {
		gopher_request_from_url(cfg->dump_url, &req);
		ctx.local_port = config_gopher_public_port(cfg);
		gopher_respond(s, cfg, &ctx, req.data, req.len, &r);
	} else {
		buf_printf(&req, "%s\r\n", cfg->dump_url);
		ctx.local_port = cfg->gemini_port;
		gemini_respond(s, cfg, &ctx, req.data, req.len, &r);
	}
	fwrite(r.head, 1, r.head_len, stdout);
	fwrite(r.body, 1, r.body_len, stdout);
	reply_free(&r);
	buf_free(&req);
	snapshot_unref(s);
	return r.status >= 10 && r.status < 40 ? 0 : 1;
}

static int run(const struct config *cfg)
{
	switch (cfg->action) {
	case ACTION_HELP:
		config_usage(stdout);
		return 0;
	case ACTION_VERSION:
		printf("pollux %s\n", config_version());
		return 0;
	case ACTION_CHECK:
		return check(cfg);
	case ACTION_DUMP:
		return dump(cfg);
	case ACTION_SERVE:
		break;
	}
	return server_run(cfg) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct config cfg;
	config_defaults(&cfg);
	int rc = config_parse_args(&cfg, argc, argv) < 0 ? 2 : run(&cfg);
	free(cfg.config_text);
	return rc;
}
