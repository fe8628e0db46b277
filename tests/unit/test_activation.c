/* test_activation.c - socket activation's environment: the count for this
 * process only, names that must match it, and which protocol a socket is
 * (by name, else by port); and the variables gone once read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pollux/activation.h"

static void counts(void **state)
{
	(void)state;
	assert_int_equal(activation_count("42", "2", 42), 2);
	assert_int_equal(activation_count("42", "0", 42), 0);
	/* Not ours, or not set: nothing passed. */
	assert_int_equal(activation_count("41", "2", 42), 0);
	assert_int_equal(activation_count(NULL, "2", 42), 0);
	assert_int_equal(activation_count("42", NULL, 42), 0);
	assert_int_equal(activation_count("", "2", 42), 0);
	assert_int_equal(activation_count("42x", "2", 42), 0);
	/* Ours, but not a count. */
	const char *bad[] = {"", "-1", "two", "2 ", " 2", "1e3", "65",
	    "99999999999999999999999"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_int_equal(activation_count("42", bad[i], 42), -1);
}

static void names(void **state)
{
	(void)state;
	char *n[3];
	assert_int_equal(activation_names(NULL, 2, n), 0);
	assert_null(n[0]);
	assert_null(n[1]);
	assert_int_equal(activation_names("gemini:gopher", 2, n), 0);
	assert_string_equal(n[0], "gemini");
	assert_string_equal(n[1], "gopher");
	free(n[0]), free(n[1]);
	assert_int_equal(activation_names("gemini::pollux.socket", 3, n), 0);
	assert_string_equal(n[1], "");
	assert_string_equal(n[2], "pollux.socket");
	free(n[0]), free(n[1]), free(n[2]);
	/* Too few names, or too many. */
	assert_int_equal(activation_names("gemini", 2, n), -1);
	assert_null(n[0]);
	assert_int_equal(activation_names("gemini:gopher:x", 2, n), -1);
	assert_null(n[0]);
	assert_null(n[1]);
}

static void protocols(void **state)
{
	(void)state;
	enum proto p;
	assert_int_equal(activation_proto("gemini", 9999, 1965, 70, &p), 0);
	assert_int_equal(p, PROTO_GEMINI);
	assert_int_equal(activation_proto("gopher", 1965, 1965, 70, &p), 0);
	assert_int_equal(p, PROTO_GOPHER);
	/* No name, or one that says nothing: the port. */
	assert_int_equal(activation_proto(NULL, 1965, 1965, 70, &p), 0);
	assert_int_equal(p, PROTO_GEMINI);
	assert_int_equal(activation_proto("pollux.socket", 70, 1965, 70, &p), 0);
	assert_int_equal(p, PROTO_GOPHER);
	/* Neither port, or both. */
	assert_int_equal(activation_proto(NULL, 80, 1965, 70, &p), -1);
	assert_int_equal(activation_proto("Gemini", 80, 1965, 70, &p), -1);
	assert_int_equal(activation_proto(NULL, 70, 70, 70, &p), -1);
	assert_int_equal(activation_proto(NULL, 0, 0, 70, &p), -1);
}

static void taken_once(void **state)
{
	(void)state;
	struct config cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.gemini_port = 1965;
	cfg.gopher_port = 70;
	struct passed_socket *s;
	/* For another process: nothing, and the variables are gone. */
	setenv("LISTEN_PID", "1", 1);
	setenv("LISTEN_FDS", "1", 1);
	setenv("LISTEN_FDNAMES", "gemini", 1);
	assert_int_equal(activation_take(&cfg, &s), 0);
	assert_null(getenv("LISTEN_PID"));
	assert_null(getenv("LISTEN_FDS"));
	assert_null(getenv("LISTEN_FDNAMES"));
	/* Ours, but descriptor 3 is not a socket (a pipe end). */
	int p[2];
	assert_int_equal(pipe(p), 0);
	int fd = dup2(p[0], ACTIVATION_FD_START);
	assert_int_equal(fd, ACTIVATION_FD_START);
	char pid[16];
	snprintf(pid, sizeof pid, "%d", (int)getpid());
	setenv("LISTEN_PID", pid, 1);
	setenv("LISTEN_FDS", "1", 1);
	assert_int_equal(activation_take(&cfg, &s), -1);
	assert_null(getenv("LISTEN_FDS"));
	close(p[0]), close(p[1]);
	if (fd != p[0] && fd != p[1])
		close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(counts),
		cmocka_unit_test(names),
		cmocka_unit_test(protocols),
		cmocka_unit_test(taken_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
