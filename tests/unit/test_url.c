/* test_url.c - URL parsing, percent-decoding and dot-segment removal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "pollux/url.h"
#include "pollux/util.h"

static enum url_status parse(const char *s, struct url *u)
{
	return url_parse(s, strlen(s), u);
}

static void good_urls(void **state)
{
	(void)state;
	struct url u;
	assert_int_equal(parse("GEMINI://Example.ORG:1965/a/b?x=%20y", &u), URL_OK);
	assert_string_equal(u.scheme, "gemini");
	assert_string_equal(u.host, "example.org");
	assert_int_equal(u.port, 1965);
	assert_string_equal(u.path, "/a/b");
	assert_true(u.has_query);
	assert_string_equal(u.query, "x=%20y");

	assert_int_equal(parse("gemini://h", &u), URL_OK);
	assert_string_equal(u.path, "/");
	assert_int_equal(u.port, -1);
	assert_int_equal(parse("gemini://h:/x", &u), URL_OK);
	assert_int_equal(u.port, -1);
	assert_int_equal(parse("gemini://[::1]:1965/", &u), URL_OK);
	assert_string_equal(u.host, "::1");
	assert_int_equal(parse("gemini://[2001:DB8::1]/", &u), URL_OK);
	assert_string_equal(u.host, "2001:db8::1");
	assert_int_equal(parse("gemini://127.0.0.1/caf%C3%A9/%e2%9c%93", &u), URL_OK);
	assert_string_equal(u.path, "/caf\xc3\xa9/\xe2\x9c\x93");
	assert_int_equal(parse("gemini://h/caf\xc3\xa9", &u), URL_OK);
	assert_int_equal(parse("gemini://h/a/./b/../c/.", &u), URL_OK);
	assert_string_equal(u.path, "/a/c/");
	/* Dot segments that stay inside the root resolve. */
	assert_int_equal(parse("gemini://h/posts/../", &u), URL_OK);
	assert_string_equal(u.path, "/");
	assert_int_equal(parse("gemini://h/a/%2e%2E/b/%2e/c", &u), URL_OK);
	assert_string_equal(u.path, "/b/c");
}

static void bad_urls(void **state)
{
	(void)state;
	static const struct {
		const char *s;
		enum url_status want;
	} cases[] = {
		{"", URL_EMPTY},
		{"/posts/", URL_RELATIVE},
		{"//host/", URL_RELATIVE},
		{"1gemini://h/", URL_RELATIVE},
		{"gemini:/h/", URL_BAD_HOST},
		{"gemini:h", URL_BAD_HOST},
		{"gemini:///x", URL_BAD_HOST},
		{"gemini://user@h/", URL_USERINFO},
		{"gemini://user:pw@h/", URL_USERINFO},
		{"gemini://h/#frag", URL_FRAGMENT},
		{"gemini://h/%zz", URL_BAD_ESCAPE},
		{"gemini://h/%4", URL_BAD_ESCAPE},
		{"gemini://h/%", URL_BAD_ESCAPE},
		{"gemini://h/%00", URL_BAD_ESCAPE},
		{"gemini://h/a%2Fb", URL_BAD_ESCAPE},
		{"gemini://h/a%2fb", URL_BAD_ESCAPE},
		{"gemini://h/%c0%af", URL_BAD_CHAR},
		{"gemini://h/%0a", URL_BAD_CHAR},
		{"gemini://h/a b", URL_BAD_CHAR},
		{"gemini://h/\x7f", URL_BAD_CHAR},
		{"gemini://h/\x01", URL_BAD_CHAR},
		{"gemini://h/\xff", URL_BAD_CHAR},
		{"gemini://h/\xed\xa0\x80", URL_BAD_CHAR},
		{"gemini://h:99999/", URL_BAD_PORT},
		{"gemini://h:12a/", URL_BAD_PORT},
		{"gemini://h:-1/", URL_BAD_PORT},
		{"gemini://[::1/", URL_BAD_HOST},
		{"gemini://[nothex]/", URL_BAD_HOST},
		{"gemini://[::1]x/", URL_BAD_HOST},
		{"gemini://h%41/", URL_BAD_HOST},
		{"gemini://h\\x/", URL_BAD_HOST},
		/* No client sends these: it resolves dot segments first. */
		{"gemini://h/../../etc/passwd", URL_ABOVE_ROOT},
		{"gemini://h/..", URL_ABOVE_ROOT},
		{"gemini://h/../", URL_ABOVE_ROOT},
		{"gemini://h/a/../../x", URL_ABOVE_ROOT},
		{"gemini://h/%2e%2e/%2E%2E/x", URL_ABOVE_ROOT},
		{"gemini://h/.%2e/x", URL_ABOVE_ROOT},
		{"gemini://h/./../x?q", URL_ABOVE_ROOT},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct url u;
		enum url_status got = parse(cases[i].s, &u);
		if (got != cases[i].want)
			fail_msg("\"%s\": got %d, want %d", cases[i].s, got,
			    cases[i].want);
		assert_non_null(url_status_text(got));
	}
}

static void lengths(void **state)
{
	(void)state;
	char s[1100];
	struct url u;
	memset(s, 'a', sizeof s);
	memcpy(s, "gemini://h/", 11);
	assert_int_equal(url_parse(s, 1024, &u), URL_OK);
	assert_int_equal(url_parse(s, 1025, &u), URL_TOO_LONG);
}

static void decoding(void **state)
{
	(void)state;
	char out[8];
	assert_int_equal(percent_decode("a%41", 4, out, sizeof out), 2);
	assert_string_equal(out, "aA");
	assert_int_equal(percent_decode("abcdefgh", 8, out, sizeof out), -1);
	assert_int_equal(percent_decode("%2F", 3, out, sizeof out), -1);
}

static void dots(void **state)
{
	(void)state;
	/* Input, result, and whether it climbed above the root. */
	static const struct {
		const char *in, *out;
		int rc;
	} cases[] = {
		{"/", "/", 0}, {"/.", "/", 0}, {"/..", "/", -1},
		{"/../..", "/", -1}, {"/../a", "/a", -1},
		{"/a/..", "/", 0}, {"/a/../", "/", 0}, {"/a/b/../c", "/a/c", 0},
		{"/a/./b", "/a/b", 0}, {"/a/.", "/a/", 0}, {"/a/b/", "/a/b/", 0},
		{"/a/..b/c", "/a/..b/c", 0}, {"/.hidden", "/.hidden", 0},
		{"/a//b", "/a//b", 0}, {"/a/b/../../../c", "/c", -1},
		{"/a/b/../../c", "/c", 0}, {"/a/../../", "/", -1},
		{"/./..", "/", -1}, {"/a//../..", "/", 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char p[64];
		strcpy(p, cases[i].in);
		int rc = path_remove_dots(p);
		if (strcmp(p, cases[i].out) != 0 || rc != cases[i].rc)
			fail_msg("%s -> %s (%d), want %s (%d)", cases[i].in, p, rc,
			    cases[i].out, cases[i].rc);
	}
}

static void encoding(void **state)
{
	(void)state;
	/* Name, its link, and whether a request for the link finds the name
	 * (the server refuses control bytes and bytes that are not UTF-8). */
	static const struct {
		const char *name, *link;
		bool back;
	} cases[] = {
		{"/notes/a.txt", "/notes/a.txt", true},
		{"/a b.txt", "/a%20b.txt", true},
		{"/h#x.txt", "/h%23x.txt", true},
		{"/q?r.txt", "/q%3Fr.txt", true},
		{"/p%41q.txt", "/p%2541q.txt", true},
		{"/-._~!$&'()*+,;=:@/", "/-._~!$&'()*+,;=:@/", true},
		{"/\"<>^`{|}[]", "/%22%3C%3E%5E%60%7B%7C%7D%5B%5D", true},
		{"/\x7f\x01\t", "/%7F%01%09", false},
		/* Letters stay UTF-8; spaces and invisible characters do not. */
		{"/caf\xc3\xa9/\xe6\x97\xa5.txt", "/caf\xc3\xa9/\xe6\x97\xa5.txt",
		    true},
		{"/nb\xc2\xa0sp", "/nb%C2%A0sp", true},
		{"/c1\xc2\x85", "/c1%C2%85", true},
		{"/em\xe2\x80\x83sp", "/em%E2%80%83sp", true},
		{"/zw\xe2\x80\x8bsp", "/zw%E2%80%8Bsp", true},
		{"/rlo\xe2\x80\xae", "/rlo%E2%80%AE", true},
		{"/ideo\xe3\x80\x80", "/ideo%E3%80%80", true},
		{"/bom\xef\xbb\xbf", "/bom%EF%BB%BF", true},
		{"/bad\xff\xc3", "/bad%FF%C3", false},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct buf b = {0};
		url_encode_path(&b, cases[i].name);
		if (strcmp(b.data, cases[i].link) != 0)
			fail_msg("%s -> %s, want %s", cases[i].name, b.data,
			    cases[i].link);
		char url[256];
		snprintf(url, sizeof url, "gemini://h%s", b.data);
		struct url u;
		enum url_status st = url_parse(url, strlen(url), &u);
		if (cases[i].back && (st != URL_OK ||
		    strcmp(u.path, cases[i].name) != 0))
			fail_msg("%s came back as %s (%d)", cases[i].name, u.path, st);
		if (!cases[i].back && st == URL_OK)
			fail_msg("%s was accepted", url);
		buf_free(&b);
	}
}

static void link_encoding(void **state)
{
	(void)state;
	static const struct {
		const char *url, *link;
	} cases[] = {
		{"https://x.org/a?b=c&d=e#f", "https://x.org/a?b=c&d=e#f"},
		{"my file.pdf", "my%20file.pdf"},
		{"https://[::1]:1965/%41%7e", "https://[::1]:1965/%41%7e"},
		{"100% sure.txt", "100%25%20sure.txt"},
		{"a%2", "a%252"},
		{"x\"<>\\^`{|}", "x%22%3C%3E%5C%5E%60%7B%7C%7D"},
		{"tab\there\x01", "tab%09here%01"},
		{"nb\xc2\xa0sp", "nb%C2%A0sp"},
		{"ideo\xe3\x80\x80sp", "ideo%E3%80%80sp"},
		{"https://x.org/caf\xc3\xa9", "https://x.org/caf\xc3\xa9"},
		{"bad\xff", "bad%FF"},
		{"mailto:a@b.org?subject=Hi there", "mailto:a@b.org?subject=Hi%20there"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct buf b = {0}, again = {0};
		url_encode_link(&b, cases[i].url);
		if (strcmp(b.data, cases[i].link) != 0)
			fail_msg("%s -> %s, want %s", cases[i].url, b.data,
			    cases[i].link);
		/* Escaping what is escaped changes nothing. */
		url_encode_link(&again, b.data);
		assert_string_equal(again.data, b.data);
		buf_free(&b);
		buf_free(&again);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(good_urls),
		cmocka_unit_test(bad_urls),
		cmocka_unit_test(lengths),
		cmocka_unit_test(decoding),
		cmocka_unit_test(dots),
		cmocka_unit_test(encoding),
		cmocka_unit_test(link_encoding),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
