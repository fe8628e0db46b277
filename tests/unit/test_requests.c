/* test_requests.c - the Gemini and Gopher responders on a snapshot built by
 * hand: every status and every bad request, without any socket. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "pollux/gemini.h"
#include "pollux/gopher.h"
#include "pollux/util.h"

static struct snapshot *snap;
static struct config cfg;
static struct request_ctx ctx = {"127.0.0.1", 1965};

static int setup(void **state)
{
	(void)state;
	config_defaults(&cfg);
	char *argv[] = {"pollux", "--hostname", "example.org", "--hostname",
	    "localhost", NULL};
	assert_int_equal(config_parse_args(&cfg, 5, argv), 0);
	snap = snapshot_new(xcalloc(1, sizeof(struct site)));
	snapshot_add(snap, PROTO_GEMINI, "/", "20 text/gemini\r\n",
	    xstrdup("home"), 4);
	snapshot_add(snap, PROTO_GEMINI, "/posts/", "20 text/gemini\r\n",
	    xstrdup("index"), 5);
	snapshot_add_redirect(snap, PROTO_GEMINI, "/posts", "/posts/");
	snapshot_add(snap, PROTO_GEMINI, "/posts/a.gmi", "20 text/gemini\r\n",
	    xstrdup("post a"), 6);
	snapshot_add(snap, PROTO_GEMINI, "/.env", "20 text/plain\r\n",
	    xstrdup("secret"), 6);
	/* Later pages with the same path win. */
	snapshot_add(snap, PROTO_GEMINI, "/robots.txt", "20 text/plain\r\n",
	    xstrdup("generated"), 9);
	snapshot_add(snap, PROTO_GEMINI, "/robots.txt", "20 text/plain\r\n",
	    xstrdup("author's"), 8);
	snapshot_add(snap, PROTO_GOPHER, "/", "", xstrdup("root menu"), 9);
	snapshot_add(snap, PROTO_GOPHER, "/posts/", "", xstrdup("posts menu"), 10);
	snapshot_add(snap, PROTO_GOPHER, "/posts/a.txt", "", xstrdup("post a"), 6);
	snapshot_add(snap, PROTO_GOPHER, "/.env", "", xstrdup("secret"), 6);
	snapshot_seal(snap);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	snapshot_unref(snap);
	return 0;
}

static struct reply r;

static const char *gem(const char *req)
{
	gemini_respond(snap, &cfg, &ctx, req, strlen(req), &r);
	assert_true(r.head_len >= 4);
	assert_memory_equal(r.head + r.head_len - 2, "\r\n", 2);
	return r.head;
}

#define GEM(req, want) assert_true(strncmp(gem(req), want, strlen(want)) == 0)

static void gemini_found(void **state)
{
	(void)state;
	GEM("gemini://example.org/\r\n", "20 text/gemini\r\n");
	assert_int_equal(r.body_len, 4);
	GEM("gemini://EXAMPLE.org:1965/posts/a.gmi\r\n", "20 ");
	assert_memory_equal(r.body, "post a", 6);
	GEM("gemini://localhost/posts/../posts/a.gmi?x=1\r\n", "20 ");
	GEM("gemini://127.0.0.1/\r\n", "20 ");
	GEM("gemini://localhost/robots.txt\r\n", "20 ");
	assert_memory_equal(r.body, "author's", 8);
	/* Only the first line is the request. */
	GEM("gemini://localhost/\r\nGARBAGE", "20 ");
	assert_int_equal(snapshot_page_count(snap, PROTO_GEMINI), 6);
}

static void gemini_redirect(void **state)
{
	(void)state;
	GEM("gemini://example.org/posts\r\n", "31 gemini://example.org/posts/\r\n");
	GEM("gemini://localhost:1965/posts\r\n",
	    "31 gemini://localhost:1965/posts/\r\n");
	struct request_ctx v6 = {"::1", 1965};
	const char *req = "gemini://[::1]/posts\r\n";
	gemini_respond(snap, &cfg, &v6, req, strlen(req), &r);
	assert_int_equal(r.status, 31);
	assert_memory_equal(r.head, "31 gemini://[::1]/posts/\r\n", r.head_len);
	req = "gemini://[0:0::1]/\r\n";
	gemini_respond(snap, &cfg, &v6, req, strlen(req), &r);
	assert_int_equal(r.status, 20);
}

static void gemini_not_found(void **state)
{
	(void)state;
	GEM("gemini://localhost/nope\r\n", "51 ");
	GEM("gemini://localhost/.env\r\n", "51 ");
	GEM("gemini://localhost/posts/../.env\r\n", "51 ");
	GEM("gemini://localhost/%2eenv\r\n", "51 ");
}

static void gemini_proxy(void **state)
{
	(void)state;
	GEM("gemini://other.org/\r\n", "53 ");
	GEM("gemini://localhost:1966/\r\n", "53 ");
	GEM("https://localhost/\r\n", "53 ");
	GEM("gopher://localhost/\r\n", "53 ");
	GEM("gemini://10.0.0.1/\r\n", "53 ");
}

static void gemini_bad(void **state)
{
	(void)state;
	GEM("gemini://localhost/", "59 ");
	GEM("gemini://localhost/\n", "59 ");
	GEM("gemini://localhost/\r", "59 ");
	GEM("\r\n", "59 ");
	GEM("", "59 ");
	GEM("/posts/\r\n", "59 ");
	GEM("gemini://u@localhost/\r\n", "59 ");
	GEM("gemini://localhost/#f\r\n", "59 ");
	GEM("gemini://localhost/%zz\r\n", "59 ");
	GEM("gemini://localhost/%2F\r\n", "59 ");
	GEM("gemini://localhost/ x\r\n", "59 ");
	GEM("gemini://localhost/\xc3\r\n", "59 ");
	/* Dot segments that climb above the root, however written. */
	GEM("gemini://localhost/../../\r\n", "59 ");
	GEM("gemini://localhost/../../etc/passwd\r\n", "59 ");
	GEM("gemini://localhost/posts/../../posts/a.gmi\r\n", "59 ");
	GEM("gemini://localhost/%2e%2e/%2E%2E/\r\n", "59 ");
	GEM("gemini://localhost/.%2e\r\n", "59 ");
	assert_non_null(strstr(r.head, "above the root"));
	/* Inside the root they resolve. */
	GEM("gemini://localhost/posts/../\r\n", "20 ");
	assert_memory_equal(r.body, "home", 4);
	char big[REQUEST_READ_MAX + 1];
	memset(big, 'a', sizeof big);
	memcpy(big, "gemini://localhost/", 19);
	gemini_respond(snap, &cfg, &ctx, big, REQUEST_READ_MAX, &r);
	assert_int_equal(r.status, 59);
	assert_non_null(strstr(r.head, "1024"));
	memcpy(big + 1024, "\r\n", 2);
	gemini_respond(snap, &cfg, &ctx, big, 1026, &r);
	assert_int_equal(r.status, 51);   /* exactly 1024 bytes is fine */
}

static void gopher_found(void **state)
{
	(void)state;
	const char *ok[] = {"\r\n", "/\r\n", "\n", "/\tsearch\r\n", "\t$\r\n",
	    "/posts/a.txt\r\n", "posts/a.txt\r\n", "/posts\r\n",
	    "/posts/../posts/a.txt\r\n", "posts/../posts/\r\n",
	    "/posts/../\r\n"};
	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
		gopher_respond(snap, &cfg, &ctx, ok[i], strlen(ok[i]), &r);
		if (r.status != 20)
			fail_msg("\"%s\": %d", ok[i], r.status);
	}
}

static void gopher_errors(void **state)
{
	(void)state;
	static const struct {
		const char *req;
		int status;
	} cases[] = {
		{"/nope\r\n", 51}, {"/.env\r\n", 51}, {"/posts/../.env\r\n", 51},
		{"/posts/a.txt", 59}, {"", 59}, {"/\x01\r\n", 59},
		{"/a\x7f\r\n", 59}, {"/\xff\r\n", 59}, {"/a\rb\r\n", 59},
		/* Dot segments above the root: no menu of ours has them. */
		{"../../etc/passwd\r\n", 59}, {"/../x\r\n", 59},
		{"../../posts/\r\n", 59}, {"/posts/../../posts/a.txt\r\n", 59},
		{"..\tsearch\r\n", 59},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		gopher_respond(snap, &cfg, &ctx, cases[i].req, strlen(cases[i].req),
		    &r);
		if (r.status != cases[i].status)
			fail_msg("case %zu: %d", i, r.status);
		/* One type-3 line with four fields, then the end of the menu. */
		assert_int_equal(r.body[0], '3');
		assert_true(r.body_len > 5);
		assert_memory_equal(r.body + r.body_len - 5, "\r\n.\r\n", 5);
		const char *end = memchr(r.body, '\r', r.body_len);
		size_t tabs = 0;
		for (const char *p = r.body; p < end; p++)
			tabs += *p == '\t';
		assert_int_equal(tabs, 3);
	}
	const char nul[] = "/a\0b\r\n";
	gopher_respond(snap, &cfg, &ctx, nul, sizeof nul - 1, &r);
	assert_int_equal(r.status, 59);
	char big[REQUEST_READ_MAX];
	memset(big, 'a', sizeof big);
	gopher_respond(snap, &cfg, &ctx, big, sizeof big, &r);
	assert_int_equal(r.status, 59);
	memcpy(big + 1024, "\r\n", 2);
	gopher_respond(snap, &cfg, &ctx, big, sizeof big, &r);
	assert_int_equal(r.status, 51);   /* 1024 bytes: fine, just not there */
}

static void gopher_error_cuts_whole_characters(void **state)
{
	(void)state;
	/* Long selectors of 2-, 3- and 4-byte characters, shifted by 0-3
	 * ASCII bytes so that the bound falls on every byte of one. */
	static const char *chars[] = {"\xc3\xa9", "\xe6\x97\xa5",
	    "\xf0\x9f\x93\xa1"};
	for (size_t c = 0; c < 3; c++) {
		for (size_t pad = 0; pad < 4; pad++) {
			char req[300];
			size_t n = 0;
			req[n++] = '/';
			for (size_t i = 0; i < pad; i++)
				req[n++] = 'x';
			while (n < 200) {
				memcpy(req + n, chars[c], strlen(chars[c]));
				n += strlen(chars[c]);
			}
			memcpy(req + n, "\r\n", 3);
			gopher_respond(snap, &cfg, &ctx, req, n + 2, &r);
			assert_int_equal(r.status, 51);
			const char *tab = memchr(r.body, '\t', r.body_len);
			assert_non_null(tab);
			size_t line = (size_t)(tab - r.body);
			if (!utf8_valid(r.body, line))
				fail_msg("char %zu pad %zu: \"%.*s\"", c, pad, (int)line,
				    r.body);
			assert_memory_equal(tab - 3, "...", 3);
			/* As much of the selector as fits, less than one char. */
			assert_true(line > 70);
		}
	}
}

static void framing(void **state)
{
	(void)state;
	assert_false(request_complete("gemini://x/", 11));
	assert_true(request_complete("gemini://x/\r\n", 13));
	assert_true(request_complete("x\n", 2));
	char big[REQUEST_READ_MAX] = {0};
	assert_true(request_complete(big, sizeof big));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(gemini_found),
		cmocka_unit_test(gemini_redirect),
		cmocka_unit_test(gemini_not_found),
		cmocka_unit_test(gemini_proxy),
		cmocka_unit_test(gemini_bad),
		cmocka_unit_test(gopher_found),
		cmocka_unit_test(gopher_errors),
		cmocka_unit_test(gopher_error_cuts_whole_characters),
		cmocka_unit_test(framing),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
