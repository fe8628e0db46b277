/* test_proxy.c - the PROXY protocol header: both versions, every prefix of
 * a good header, and each way a header can be wrong. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "pollux/proxy.h"

static const char v2sig[] = "\r\n\r\n\0\r\nQUIT\n";

/* A v2 header for TCP over IPv4 from 192.0.2.1:56324, then extra bytes. */
static size_t v2_tcp4(unsigned char *b, unsigned char ver_cmd, size_t tlv)
{
	memcpy(b, v2sig, 12);
	b[12] = ver_cmd;
	b[13] = 0x11;
	b[14] = (unsigned char)((12 + tlv) >> 8);
	b[15] = (unsigned char)(12 + tlv);
	const unsigned char addr[12] = {192, 0, 2, 1, 198, 51, 100, 2,
	    0xDC, 0x04, 0x07, 0xAD};
	memcpy(b + 16, addr, 12);
	memset(b + 28, 0xEE, tlv);
	return 28 + tlv;
}

static void check_client(const struct proxy_header *h, int family,
    const char *addr, unsigned port)
{
	char text[INET6_ADDRSTRLEN];
	assert_false(h->local);
	assert_int_equal(h->client.ss_family, family);
	if (family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)&h->client;
		inet_ntop(AF_INET, &sin->sin_addr, text, sizeof text);
		assert_int_equal(ntohs(sin->sin_port), port);
	} else {
		const struct sockaddr_in6 *sin6 = (const void *)&h->client;
		inet_ntop(AF_INET6, &sin6->sin6_addr, text, sizeof text);
		assert_int_equal(ntohs(sin6->sin6_port), port);
	}
	assert_string_equal(text, addr);
}

/* Every proper prefix of a good header asks for more. */
static void prefixes_are_incomplete(const void *buf, size_t len)
{
	struct proxy_header h;
	for (size_t n = 0; n < len; n++)
		assert_int_equal(proxy_parse(buf, n, &h), PROXY_INCOMPLETE);
}

static void v1_tcp4_and_tcp6(void **state)
{
	(void)state;
	struct proxy_header h;
	const char *line = "PROXY TCP4 192.0.2.1 198.51.100.2 56324 1965\r\n";
	char buf[200];
	snprintf(buf, sizeof buf, "%sgemini://x/\r\n", line);
	prefixes_are_incomplete(buf, strlen(line));
	assert_int_equal(proxy_parse(buf, strlen(buf), &h), PROXY_OK);
	assert_int_equal(h.len, strlen(line));
	check_client(&h, AF_INET, "192.0.2.1", 56324);

	line = "PROXY TCP6 2001:db8::1 2001:db8::2 65535 70\r\n";
	assert_int_equal(proxy_parse(line, strlen(line), &h), PROXY_OK);
	check_client(&h, AF_INET6, "2001:db8::1", 65535);

	line = "PROXY UNKNOWN\r\n";
	assert_int_equal(proxy_parse(line, strlen(line), &h), PROXY_OK);
	assert_true(h.local);
	line = "PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n";
	assert_int_equal(proxy_parse(line, strlen(line), &h), PROXY_OK);
	assert_true(h.local);
}

static void v1_bad(void **state)
{
	(void)state;
	const char *bad[] = {
		"proxy TCP4 192.0.2.1 198.51.100.2 1 2\r\n",
		"PROXY TCP4 192.0.2.1 198.51.100.2 65536 2\r\n",
		"PROXY TCP4 192.0.2.1 198.51.100.2 0123 2\r\n",
		"PROXY TCP4 192.0.2.1 198.51.100.2 -1 2\r\n",
		"PROXY TCP4 192.0.2.1  198.51.100.2 1 2\r\n",
		"PROXY TCP4 192.0.2.1 198.51.100.2 1 2 \r\n",
		"PROXY TCP4 192.0.2.1 198.51.100.2 1\r\n",
		"PROXY TCP4 2001:db8::1 198.51.100.2 1 2\r\n",
		"PROXY TCP6 192.0.2.1 2001:db8::2 1 2\r\n",
		"PROXY TCP4 192.0.2.1 198.51.100.2 1 2 3\r\n",
		"PROXY UDP4 192.0.2.1 198.51.100.2 1 2\r\n",
		"PROXY TCP4 999.0.2.1 198.51.100.2 1 2\r\n",
		"PROXY \r\n",
		"GET / HTTP/1.0\r\n",
		"gemini://localhost/\r\n",
		"/\r\n",
	};
	struct proxy_header h;
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_int_equal(proxy_parse(bad[i], strlen(bad[i]), &h),
		    PROXY_INVALID);
	/* No CRLF within 107 bytes. */
	char line[300] = "PROXY UNKNOWN ";
	memset(line + 14, 'a', 200);
	assert_int_equal(proxy_parse(line, 106, &h), PROXY_INCOMPLETE);
	assert_int_equal(proxy_parse(line, 107, &h), PROXY_INVALID);
}

static void v2_tcp4_tcp6_local(void **state)
{
	(void)state;
	unsigned char b[PROXY_HEADER_MAX + 64];
	struct proxy_header h;
	size_t n = v2_tcp4(b, 0x21, 0);
	memcpy(b + n, "/\r\n", 3);
	prefixes_are_incomplete(b, n);
	assert_int_equal(proxy_parse(b, n + 3, &h), PROXY_OK);
	assert_int_equal(h.len, 28);
	check_client(&h, AF_INET, "192.0.2.1", 56324);

	n = v2_tcp4(b, 0x21, 40);         /* TLVs are skipped */
	assert_int_equal(proxy_parse(b, n, &h), PROXY_OK);
	assert_int_equal(h.len, 68);
	check_client(&h, AF_INET, "192.0.2.1", 56324);

	n = v2_tcp4(b, 0x20, 0);           /* LOCAL: a health check */
	assert_int_equal(proxy_parse(b, n, &h), PROXY_OK);
	assert_true(h.local);

	memcpy(b, v2sig, 12);
	b[12] = 0x21, b[13] = 0x21, b[14] = 0, b[15] = 36;
	unsigned char a6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 7};
	memcpy(b + 16, a6, 16);
	memset(b + 32, 0, 16);
	b[48] = 0x04, b[49] = 0xD2;        /* port 1234 */
	b[50] = 0, b[51] = 70;
	assert_int_equal(proxy_parse(b, 52, &h), PROXY_OK);
	check_client(&h, AF_INET6, "2001:db8::7", 1234);

	b[13] = 0x31;                      /* UNIX: no client to name */
	assert_int_equal(proxy_parse(b, 52, &h), PROXY_OK);
	assert_true(h.local);
}

static void v2_bad(void **state)
{
	(void)state;
	unsigned char b[PROXY_HEADER_MAX + 64];
	struct proxy_header h;
	size_t n = v2_tcp4(b, 0x31, 0);    /* version 3 */
	assert_int_equal(proxy_parse(b, 13, &h), PROXY_INVALID);
	n = v2_tcp4(b, 0x22, 0);           /* command 2 */
	assert_int_equal(proxy_parse(b, n, &h), PROXY_INVALID);
	n = v2_tcp4(b, 0x21, 0);
	b[15] = 8;                         /* too short for IPv4 */
	assert_int_equal(proxy_parse(b, n, &h), PROXY_INVALID);
	b[14] = 0xFF, b[15] = 0xFF;        /* 64 KiB: over the limit */
	assert_int_equal(proxy_parse(b, 16, &h), PROXY_INVALID);
	n = v2_tcp4(b, 0x21, PROXY_HEADER_MAX - 28);
	assert_int_equal(proxy_parse(b, n, &h), PROXY_OK);
	n = v2_tcp4(b, 0x21, PROXY_HEADER_MAX - 27);
	assert_int_equal(proxy_parse(b, n, &h), PROXY_INVALID);
	b[3] = 'X';                        /* a broken signature */
	assert_int_equal(proxy_parse(b, 4, &h), PROXY_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(v1_tcp4_and_tcp6),
		cmocka_unit_test(v1_bad),
		cmocka_unit_test(v2_tcp4_tcp6_local),
		cmocka_unit_test(v2_bad),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
