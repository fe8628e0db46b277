/* proxy.h - the PROXY protocol header (v1 text, v2 binary) a load balancer
 * puts before a connection's first byte to name the real client. */
#ifndef POLLUX_PROXY_H
#define POLLUX_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* Longest header read: v1 is at most 107 bytes; v2 carries addresses in
 * 36 and optional TLVs in the rest, which no balancer fills this much. */
#define PROXY_HEADER_MAX 1024

enum proxy_status {
	PROXY_INCOMPLETE,  /* a valid beginning: read more */
	PROXY_OK,          /* a whole header */
	PROXY_INVALID,     /* not a PROXY header, or a malformed one */
};

struct proxy_header {
	size_t len;        /* bytes of the header: the request follows */
	bool local;        /* no client named (v2 LOCAL, v1 UNKNOWN, a family
	                      other than TCP over IPv4/IPv6): keep the peer's */
	struct sockaddr_storage client;  /* when !local: its address, port */
};

/* Parses the header at the start of buf[0..n). PROXY_INCOMPLETE only while
 * every byte so far can begin a valid header and n < PROXY_HEADER_MAX. */
enum proxy_status proxy_parse(const void *buf, size_t n,
    struct proxy_header *h);

#endif
