/* test_addr.c - address ranges: parsing, prefixes at every kind of
 * boundary, and IPv4 seen through IPv6 sockets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "pollux/addr.h"

static bool in(const char *range, const char *addr)
{
	struct addr_range r;
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof ss);
	assert_int_equal(addr_range_parse(range, &r), 0);
	if (strchr(addr, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, addr, &s6->sin6_addr), 1);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, addr, &s4->sin_addr), 1);
	}
	return addr_range_contains(&r, (struct sockaddr *)&ss);
}

static void ranges(void **state)
{
	(void)state;
	assert_true(in("127.0.0.0/8", "127.1.2.3"));
	assert_false(in("127.0.0.0/8", "128.0.0.1"));
	assert_true(in("192.0.2.1", "192.0.2.1"));
	assert_false(in("192.0.2.1", "192.0.2.2"));
	assert_true(in("10.0.0.0/9", "10.127.255.255"));
	assert_false(in("10.0.0.0/9", "10.128.0.0"));
	assert_true(in("0.0.0.0/0", "203.0.113.9"));
	assert_true(in("::1", "::1"));
	assert_false(in("::1", "::2"));
	assert_true(in("2001:db8::/32", "2001:db8:ffff::1"));
	assert_false(in("2001:db8::/33", "2001:db8:8000::1"));
	/* IPv4 on a dual-stack socket. */
	assert_true(in("127.0.0.0/8", "::ffff:127.0.0.1"));
	assert_false(in("::1", "127.0.0.1"));
	assert_false(in("127.0.0.1", "::1"));
}

static void bad_ranges(void **state)
{
	(void)state;
	struct addr_range r;
	const char *bad[] = {"", "localhost", "127.0.0.1/33", "::1/129",
	    "127.0.0.1/", "127.0.0.1/08", "127.0.0.1/-1", "1.2.3.4/8x",
	    "1.2.3", "2001:db8::/32/1", "[::1]"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_int_equal(addr_range_parse(bad[i], &r), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ranges),
		cmocka_unit_test(bad_ranges),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
