/* test_config.c - defaults, flags, the config file and which one wins. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include "pollux/config.h"

static char path[64];

static void write_conf(const char *text)
{
	snprintf(path, sizeof path, "/tmp/pollux-conf-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static int parse(struct config *c, int argc, char **argv)
{
	config_defaults(c);
	return config_parse_args(c, argc, argv);
}

static void defaults(void **state)
{
	(void)state;
	struct config c;
	char *argv[] = {"pollux", NULL};
	assert_int_equal(parse(&c, 1, argv), 0);
	assert_int_equal(c.action, ACTION_SERVE);
	assert_string_equal(c.capsule_dir, "capsule");
	assert_int_equal(c.gemini_port, 1965);
	assert_int_equal(c.gopher_port, 70);
	assert_int_equal(config_gopher_public_port(&c), 70);
	assert_int_equal(c.nhostnames, 1);
	assert_string_equal(c.hostnames[0], "localhost");
	assert_int_equal(c.nlisten, 2);
}

static void flags(void **state)
{
	(void)state;
	struct config c;
	char *argv[] = {"pollux", "--hostname", "a.example", "--hostname",
	    "b.example", "--gopher-port", "7070", "--gopher-public-port", "70",
	    "--listen", "127.0.0.1", "--dump", "gemini://a.example/", NULL};
	assert_int_equal(parse(&c, 13, argv), 0);
	assert_int_equal(c.nhostnames, 2);
	assert_string_equal(c.hostnames[1], "b.example");
	assert_int_equal(c.gopher_port, 7070);
	assert_int_equal(config_gopher_public_port(&c), 70);
	assert_int_equal(c.nlisten, 1);
	assert_int_equal(c.action, ACTION_DUMP);
}

static void bad_flags(void **state)
{
	(void)state;
	struct config c;
	char *a1[] = {"pollux", "--gemini-port", "65536", NULL};
	assert_int_equal(parse(&c, 3, a1), -1);
	char *a2[] = {"pollux", "--gemini-port", "-1", NULL};
	assert_int_equal(parse(&c, 3, a2), -1);
	char *a3[] = {"pollux", "--hostname", "a/b", NULL};
	assert_int_equal(parse(&c, 3, a3), -1);
	char *a4[] = {"pollux", "--cert", "x.pem", NULL};
	assert_int_equal(parse(&c, 3, a4), -1);
	char *a5[] = {"pollux", "--no-such-flag", NULL};
	assert_int_equal(parse(&c, 2, a5), -1);
	char *a6[] = {"pollux", "stray", NULL};
	assert_int_equal(parse(&c, 2, a6), -1);
}

static void config_file_and_flags_win(void **state)
{
	(void)state;
	write_conf("# pollux.conf\n\ncapsule /srv/capsule\n"
	    "hostname one.example   # canonical\nhostname two.example\n"
	    "gemini-port 1966\nmax-connections 50\n");
	struct config c;
	char *argv[] = {"pollux", "-c", path, "--gemini-port", "1967", NULL};
	assert_int_equal(parse(&c, 5, argv), 0);
	assert_string_equal(c.capsule_dir, "/srv/capsule");
	assert_int_equal(c.nhostnames, 2);
	assert_string_equal(c.hostnames[0], "one.example");
	assert_int_equal(c.gemini_port, 1967);
	assert_int_equal(c.max_connections, 50);
	free(c.config_text);

	/* A list on the command line replaces the file's list. */
	char *argv2[] = {"pollux", "--config", path, "--hostname", "x.example",
	    NULL};
	assert_int_equal(parse(&c, 5, argv2), 0);
	assert_int_equal(c.nhostnames, 1);
	assert_string_equal(c.hostnames[0], "x.example");
	free(c.config_text);
	unlink(path);
}

static bool trusts(const struct config *c, const char *ip)
{
	struct sockaddr_storage ss = {0};
	if (strchr(ip, ':')) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		a->sin6_family = AF_INET6;
		inet_pton(AF_INET6, ip, &a->sin6_addr);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = AF_INET;
		inet_pton(AF_INET, ip, &a->sin_addr);
	}
	for (size_t i = 0; i < c->ntrusted_proxies; i++)
		if (addr_range_contains(&c->trusted_proxies[i],
		    (struct sockaddr *)&ss))
			return true;
	return false;
}

static void proxy_options(void **state)
{
	(void)state;
	struct config c;
	char *none[] = {"pollux", NULL};
	assert_int_equal(parse(&c, 1, none), 0);
	assert_false(c.proxy_protocol);
	assert_true(trusts(&c, "127.0.0.9"));
	assert_true(trusts(&c, "::1"));
	assert_false(trusts(&c, "192.0.2.1"));

	char *argv[] = {"pollux", "--proxy-protocol", "--trusted-proxy",
	    "192.0.2.0/24", "--trusted-proxy", "2001:db8::1", NULL};
	assert_int_equal(parse(&c, 6, argv), 0);
	assert_true(c.proxy_protocol);
	assert_int_equal(c.ntrusted_proxies, 2);
	assert_true(trusts(&c, "192.0.2.200"));
	assert_true(trusts(&c, "2001:db8::1"));
	assert_false(trusts(&c, "127.0.0.1"));   /* the default is replaced */

	char *bad[] = {"pollux", "--trusted-proxy", "192.0.2.0/33", NULL};
	assert_int_equal(parse(&c, 3, bad), -1);

	write_conf("proxy-protocol on\ntrusted-proxy 10.0.0.0/8\n");
	char *file[] = {"pollux", "-c", path, NULL};
	assert_int_equal(parse(&c, 3, file), 0);
	assert_true(c.proxy_protocol);
	assert_true(trusts(&c, "10.1.2.3"));
	unlink(path);
	free(c.config_text);
	write_conf("proxy-protocol maybe\n");
	assert_int_equal(parse(&c, 3, file), -1);
	unlink(path);
	free(c.config_text);
}

static void config_file_errors(void **state)
{
	(void)state;
	const char *bad[] = {"capsule x\nbogus 1\n", "gemini-port\n",
	    "gemini-port many\n", "dump gemini://x/\n"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		write_conf(bad[i]);
		struct config c;
		char *argv[] = {"pollux", "-c", path, NULL};
		assert_int_equal(parse(&c, 3, argv), -1);
		free(c.config_text);
		unlink(path);
	}
	struct config c;
	char *argv[] = {"pollux", "-c", "/nonexistent/pollux.conf", NULL};
	assert_int_equal(parse(&c, 3, argv), -1);
}

static void connection_limits(void **state)
{
	(void)state;
	struct config c;
	char *a0[] = {"pollux", NULL};
	assert_int_equal(parse(&c, 1, a0), 0);
	assert_int_equal(c.write_timeout_ms, 30000);
	assert_int_equal(c.response_timeout_ms, 0);
	assert_int_equal(c.rate_limit, 0);
	assert_int_equal(c.log_ip, LOG_IP_FULL);
	/* A sixteenth of the connections, at least 4, unless given. */
	assert_int_equal(config_max_per_ip(&c, 4096), 256);
	assert_int_equal(config_max_per_ip(&c, 10), 4);
	char *a1[] = {"pollux", "--write-timeout", "500", "--response-timeout",
	    "60000", "--max-per-ip", "0", "--rate-limit", "120", "--log-ip",
	    "anon", NULL};
	assert_int_equal(parse(&c, 11, a1), 0);
	assert_int_equal(c.write_timeout_ms, 500);
	assert_int_equal(c.response_timeout_ms, 60000);
	assert_int_equal(config_max_per_ip(&c, 4096), 0);
	assert_int_equal(c.rate_limit, 120);
	assert_int_equal(c.log_ip, LOG_IP_ANON);
	char *a2[] = {"pollux", "--log-ip", "some", NULL};
	assert_int_equal(parse(&c, 3, a2), -1);
	char *a3[] = {"pollux", "--write-timeout", "0", NULL};
	assert_int_equal(parse(&c, 3, a3), -1);
	char *a4[] = {"pollux", "--max-per-ip", "-3", NULL};
	assert_int_equal(parse(&c, 3, a4), -1);
	write_conf("log-ip none\nrate-limit 30\n");
	char *a5[] = {"pollux", "-c", path, NULL};
	assert_int_equal(parse(&c, 3, a5), 0);
	assert_int_equal(c.log_ip, LOG_IP_NONE);
	assert_int_equal(c.rate_limit, 30);
	free(c.config_text);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults),
		cmocka_unit_test(flags),
		cmocka_unit_test(bad_flags),
		cmocka_unit_test(config_file_and_flags_win),
		cmocka_unit_test(config_file_errors),
		cmocka_unit_test(proxy_options),
		cmocka_unit_test(connection_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
