/* addr.c - address ranges: parsed once from the command line, then
 * compared bit by bit with the address of every connection. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "pollux/addr.h"

int addr_range_parse(const char *s, struct addr_range *r)
{
	char text[INET6_ADDRSTRLEN + 8];
	size_t n = strlen(s);
	if (n == 0 || n >= sizeof text)
		return -1;
	memcpy(text, s, n + 1);
	char *slash = strchr(text, '/');
	if (slash)
		*slash = '\0';
	memset(r, 0, sizeof *r);
	if (inet_pton(AF_INET, text, r->addr) == 1)
		r->family = AF_INET;
	else if (inet_pton(AF_INET6, text, r->addr) == 1)
		r->family = AF_INET6;
	else
		return -1;
	unsigned max = r->family == AF_INET ? 32 : 128;
	r->bits = max;
	if (slash) {
		char *end;
		const char *b = slash + 1;
		if (*b < '0' || *b > '9' || (b[0] == '0' && b[1]))
			return -1;
		unsigned long v = strtoul(b, &end, 10);
		if (*end || v > max)
			return -1;
		r->bits = (unsigned)v;
	}
	return 0;
}

static bool prefix_equal(const unsigned char *a, const unsigned char *b,
    unsigned bits)
{
	unsigned whole = bits / 8, rest = bits % 8;
	if (memcmp(a, b, whole) != 0)
		return false;
	if (!rest)
		return true;
	unsigned char mask = (unsigned char)(0xFF << (8 - rest));
	return (a[whole] & mask) == (b[whole] & mask);
}

bool addr_range_contains(const struct addr_range *r,
    const struct sockaddr *sa)
{
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xFF, 0xFF};
	const unsigned char *a;
	int family = sa->sa_family;
	if (family == AF_INET) {
		a = (const unsigned char *)&((const struct sockaddr_in *)sa)->sin_addr;
	} else if (family == AF_INET6) {
		a = (const unsigned char *)
		    &((const struct sockaddr_in6 *)sa)->sin6_addr;
		if (r->family == AF_INET && memcmp(a, mapped, 12) == 0) {
			a += 12;
			family = AF_INET;
		}
	} else {
		return false;
	}
	return family == r->family && prefix_equal(a, r->addr, r->bits);
}
