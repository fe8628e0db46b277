/* proxy.c - reads the PROXY protocol header (haproxy.org's proxy-protocol.txt,
 * versions 1 and 2). Untrusted bytes: every field is checked, nothing is
 * read past n, and a header longer than PROXY_HEADER_MAX is refused. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

#include "pollux/proxy.h"

#define V1_MAX 107   /* "PROXY TCP6 " + two IPv6 + two ports + CRLF */

static const unsigned char v2_signature[12] = {
	0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A,
};

/* True when the n bytes at buf begin sig (or all of sig is there). */
static bool starts_like(const unsigned char *buf, size_t n, const void *sig,
    size_t siglen)
{
	return memcmp(buf, sig, n < siglen ? n : siglen) == 0;
}

/* A decimal port of 1-5 digits, 0..65535, no leading zero. */
static bool parse_port(const char *s, size_t n, uint16_t *port)
{
	if (n == 0 || n > 5 || (n > 1 && s[0] == '0'))
		return false;
	unsigned long v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > 65535)
		return false;
	*port = (uint16_t)v;
	return true;
}

/* The next field of a v1 line, up to a space or the end; *p moves past
 * the space. */
static size_t field(const char **p, const char *end, const char **start)
{
	*start = *p;
	while (*p < end && **p != ' ')
		(*p)++;
	size_t n = (size_t)(*p - *start);
	if (*p < end)
		(*p)++;
	return n;
}

/* "PROXY TCP4 1.2.3.4 5.6.7.8 111 222\r\n", or "PROXY UNKNOWN ...\r\n". */
static enum proxy_status parse_v1(const unsigned char *buf, size_t n,
    struct proxy_header *h)
{
	const char *line = (const char *)buf;
	const char *crlf = NULL;
	for (size_t i = 0; i + 1 < n && i + 1 < V1_MAX; i++)
		if (line[i] == '\r' && line[i + 1] == '\n') {
			crlf = line + i;
			break;
		}
	if (!crlf)
		return n < V1_MAX ? PROXY_INCOMPLETE : PROXY_INVALID;
	h->len = (size_t)(crlf - line) + 2;
	if (crlf[-1] == ' ')
		return PROXY_INVALID;   /* a space before the CRLF */
	const char *p = line + 6, *f[5];
	size_t len[5], nf = 0;
	while (p < crlf && nf < 5) {
		len[nf] = field(&p, crlf, &f[nf]);
		if (len[nf] == 0)
			return PROXY_INVALID;   /* two spaces, or one at the end */
		nf++;
	}
	if (nf >= 1 && len[0] == 7 && memcmp(f[0], "UNKNOWN", 7) == 0) {
		h->local = true;
		return PROXY_OK;
	}
	if (nf != 5 || p != crlf || len[0] != 4 || (memcmp(f[0], "TCP4", 4) &&
	    memcmp(f[0], "TCP6", 4)))
		return PROXY_INVALID;
	int family = f[0][3] == '4' ? AF_INET : AF_INET6;
	char addr[INET6_ADDRSTRLEN];
	unsigned char bin[16];
	uint16_t port, dport;
	if (!parse_port(f[3], len[3], &port) || !parse_port(f[4], len[4], &dport))
		return PROXY_INVALID;
	/* The destination must be an address of the family too; the source
	 * is parsed last, into bin. */
	for (int k = 2; k >= 1; k--) {
		if (len[k] >= sizeof addr)
			return PROXY_INVALID;
		memcpy(addr, f[k], len[k]);
		addr[len[k]] = '\0';
		if (inet_pton(family, addr, bin) != 1)
			return PROXY_INVALID;
	}
	memset(&h->client, 0, sizeof h->client);
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&h->client;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		memcpy(&sin->sin_addr, bin, 4);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&h->client;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		memcpy(&sin6->sin6_addr, bin, 16);
	}
	h->local = false;
	return PROXY_OK;
}

/* 12-byte signature, version and command, family and transport, a 16-bit
 * length, then the addresses and optional TLVs (ignored). */
static enum proxy_status parse_v2(const unsigned char *buf, size_t n,
    struct proxy_header *h)
{
	if (n >= 13 && (buf[12] >> 4 != 2 || (buf[12] & 0x0F) > 1))
		return PROXY_INVALID;
	if (n < 16)
		return PROXY_INCOMPLETE;
	size_t body = (size_t)buf[14] << 8 | buf[15];
	if (16 + body > PROXY_HEADER_MAX)
		return PROXY_INVALID;
	if (n < 16 + body)
		return PROXY_INCOMPLETE;
	h->len = 16 + body;
	h->local = true;
	if ((buf[12] & 0x0F) == 0)       /* LOCAL: the balancer's own check */
		return PROXY_OK;
	const unsigned char *a = buf + 16;
	memset(&h->client, 0, sizeof h->client);
	switch (buf[13]) {
	case 0x11: {                     /* TCP over IPv4 */
		if (body < 12)
			return PROXY_INVALID;
		struct sockaddr_in *sin = (struct sockaddr_in *)&h->client;
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, a, 4);
		memcpy(&sin->sin_port, a + 8, 2);
		h->local = false;
		return PROXY_OK;
	}
	case 0x21: {                     /* TCP over IPv6 */
		if (body < 36)
			return PROXY_INVALID;
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&h->client;
		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, a, 16);
		memcpy(&sin6->sin6_port, a + 32, 2);
		h->local = false;
		return PROXY_OK;
	}
	default:
		/* UNSPEC, UNIX or datagrams: nothing we can name a client by;
		 * the spec lets the receiver keep the real endpoints. */
		return PROXY_OK;
	}
}

enum proxy_status proxy_parse(const void *data, size_t n,
    struct proxy_header *h)
{
	const unsigned char *buf = data;
	if (n == 0)
		return PROXY_INCOMPLETE;
	if (buf[0] == 'P') {
		if (!starts_like(buf, n, "PROXY ", 6))
			return PROXY_INVALID;
		return n < 6 ? PROXY_INCOMPLETE : parse_v1(buf, n, h);
	}
	if (!starts_like(buf, n, v2_signature, sizeof v2_signature))
		return PROXY_INVALID;
	return n < sizeof v2_signature ? PROXY_INCOMPLETE :
	    parse_v2(buf, n, h);
}
