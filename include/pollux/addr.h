/* addr.h - address ranges ("192.0.2.0/24", "2001:db8::/32", "::1"): read
 * from the command line, matched against a peer's address. */
#ifndef POLLUX_ADDR_H
#define POLLUX_ADDR_H

#include <stdbool.h>
#include <sys/socket.h>

struct addr_range {
	int family;               /* AF_INET or AF_INET6 */
	unsigned char addr[16];   /* network byte order; 4 used for IPv4 */
	unsigned bits;            /* prefix length */
};

/* Parses "ADDR" or "ADDR/BITS"; host bits past the prefix are ignored.
 * Returns 0, or -1 when s is not one. */
int addr_range_parse(const char *s, struct addr_range *r);

/* True when sa lies in r. An IPv4 address seen on an IPv6 socket
 * (::ffff:a.b.c.d) matches IPv4 ranges. */
bool addr_range_contains(const struct addr_range *r,
    const struct sockaddr *sa);

#endif
