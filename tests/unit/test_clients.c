/* test_clients.c - the per-address table: the connection cap, IPv6 per /64,
 * the token bucket and its refill, and a table that stays within bounds
 * whatever number of addresses comes by. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "pollux/clients.h"

static struct sockaddr_storage addr(const char *text)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof ss);
	struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, text, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
	} else {
		assert_int_equal(inet_pton(AF_INET6, text, &v6->sin6_addr), 1);
		v6->sin6_family = AF_INET6;
	}
	return ss;
}

static enum admit admit(struct clients *cl, const char *text, uint64_t now,
    bool *counted, unsigned *wait)
{
	struct sockaddr_storage ss = addr(text);
	return clients_admit(cl, (struct sockaddr *)&ss, now, counted, wait);
}

static void leave(struct clients *cl, const char *text, uint64_t now)
{
	struct sockaddr_storage ss = addr(text);
	clients_leave(cl, (struct sockaddr *)&ss, now);
}

static void nothing_to_track(void **state)
{
	(void)state;
	assert_null(clients_new(0, 0, 100));
	assert_int_equal(clients_count(NULL), 0);
}

static void connection_cap(void **state)
{
	(void)state;
	struct clients *cl = clients_new(3, 0, 100);
	bool counted;
	unsigned wait;
	for (int i = 0; i < 3; i++) {
		assert_int_equal(admit(cl, "192.0.2.1", 0, &counted, &wait),
		    ADMIT_OK);
		assert_true(counted);
	}
	assert_int_equal(admit(cl, "192.0.2.1", 0, &counted, &wait),
	    ADMIT_TOO_MANY);
	assert_false(counted);
	/* Another address, and the same one written as IPv4-mapped IPv6. */
	assert_int_equal(admit(cl, "192.0.2.2", 0, &counted, &wait), ADMIT_OK);
	assert_int_equal(admit(cl, "::ffff:192.0.2.1", 0, &counted, &wait),
	    ADMIT_TOO_MANY);
	leave(cl, "192.0.2.1", 0);
	assert_int_equal(admit(cl, "192.0.2.1", 0, &counted, &wait), ADMIT_OK);
	assert_int_equal(clients_count(cl), 2);
	for (int i = 0; i < 3; i++)
		leave(cl, "192.0.2.1", 0);
	leave(cl, "192.0.2.2", 0);
	assert_int_equal(clients_count(cl), 0);
	/* Leaving more often than admitted changes nothing. */
	leave(cl, "192.0.2.2", 0);
	assert_int_equal(clients_count(cl), 0);
	clients_free(cl);
}

static void ipv6_per_64(void **state)
{
	(void)state;
	struct clients *cl = clients_new(2, 0, 100);
	bool counted;
	unsigned wait;
	assert_int_equal(admit(cl, "2001:db8:1:2::1", 0, &counted, &wait),
	    ADMIT_OK);
	assert_int_equal(admit(cl, "2001:db8:1:2:ffff::9", 0, &counted, &wait),
	    ADMIT_OK);
	assert_int_equal(admit(cl, "2001:db8:1:2:abcd::1", 0, &counted, &wait),
	    ADMIT_TOO_MANY);
	assert_int_equal(admit(cl, "2001:db8:1:3::1", 0, &counted, &wait),
	    ADMIT_OK);
	assert_int_equal(clients_count(cl), 2);
	clients_free(cl);
}

static void rate_limit(void **state)
{
	(void)state;
	struct clients *cl = clients_new(0, 60, 100);   /* one a second */
	bool counted;
	unsigned wait;
	for (int i = 0; i < 60; i++)
		assert_int_equal(admit(cl, "198.51.100.7", 1000, &counted,
		    &wait), ADMIT_OK);
	assert_false(counted);   /* no cap: nothing to leave */
	assert_int_equal(admit(cl, "198.51.100.7", 1000, &counted, &wait),
	    ADMIT_SLOW_DOWN);
	assert_int_equal(wait, 1);
	/* Others are not held back. */
	assert_int_equal(admit(cl, "198.51.100.8", 1000, &counted, &wait),
	    ADMIT_OK);
	/* Half a second gives half a token back: still one second to go. */
	assert_int_equal(admit(cl, "198.51.100.7", 1500, &counted, &wait),
	    ADMIT_SLOW_DOWN);
	assert_int_equal(wait, 1);
	assert_int_equal(admit(cl, "198.51.100.7", 2000, &counted, &wait),
	    ADMIT_OK);
	assert_int_equal(admit(cl, "198.51.100.7", 2000, &counted, &wait),
	    ADMIT_SLOW_DOWN);
	/* Ten seconds give ten requests, not more. */
	for (int i = 0; i < 10; i++)
		assert_int_equal(admit(cl, "198.51.100.7", 12000, &counted,
		    &wait), ADMIT_OK);
	assert_int_equal(admit(cl, "198.51.100.7", 12000, &counted, &wait),
	    ADMIT_SLOW_DOWN);
	clients_free(cl);
}

static void slow_rate_waits_long(void **state)
{
	(void)state;
	struct clients *cl = clients_new(0, 2, 100);   /* two a minute */
	bool counted;
	unsigned wait;
	admit(cl, "203.0.113.5", 0, &counted, &wait);
	admit(cl, "203.0.113.5", 0, &counted, &wait);
	assert_int_equal(admit(cl, "203.0.113.5", 0, &counted, &wait),
	    ADMIT_SLOW_DOWN);
	assert_int_equal(wait, 30);
	clients_free(cl);
}

static void bounded(void **state)
{
	(void)state;
	struct clients *cl = clients_new(4, 10, 64);
	bool counted;
	unsigned wait;
	char text[64];
	/* Ten thousand addresses, each with one request then gone: the
	 * table keeps at most what it was sized for, and admits them all. */
	for (unsigned i = 0; i < 10000; i++) {
		snprintf(text, sizeof text, "2001:db8:%x:%x::1", i >> 8, i & 255);
		assert_int_equal(admit(cl, text, i, &counted, &wait), ADMIT_OK);
		leave(cl, text, i);
		assert_true(clients_count(cl) <= 16 * 4);
	}
	/* Addresses with connections open are never dropped; once every
	 * slot is busy, newcomers are let in without being counted. */
	unsigned uncounted = 0;
	for (unsigned i = 0; i < 200; i++) {
		snprintf(text, sizeof text, "10.0.%u.%u", i >> 8, i & 255);
		assert_int_equal(admit(cl, text, 20000, &counted, &wait),
		    ADMIT_OK);
		uncounted += !counted;
	}
	assert_true(uncounted > 0);
	assert_true(clients_count(cl) <= 16 * 6);
	clients_free(cl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(nothing_to_track),
		cmocka_unit_test(connection_cap),
		cmocka_unit_test(ipv6_per_64),
		cmocka_unit_test(rate_limit),
		cmocka_unit_test(slow_rate_waits_long),
		cmocka_unit_test(bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
