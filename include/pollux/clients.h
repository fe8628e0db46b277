/* clients.h - limits per client address, shared by every worker: the
 * connections an address has open (--max-per-ip) and a token bucket of its
 * requests (--rate-limit), in a table of bounded size. IPv4 addresses count
 * one by one, IPv6 ones per /64 (what one subscriber usually gets). */
#ifndef POLLUX_CLIENTS_H
#define POLLUX_CLIENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sys/socket.h>

enum admit {
	ADMIT_OK,
	ADMIT_TOO_MANY,    /* --max-per-ip connections already open */
	ADMIT_SLOW_DOWN,   /* over --rate-limit: answer 44 / a type 3 line */
};

struct clients;

/* max_per_ip 0: no connection cap; per_minute 0: no rate limit (the
 * bucket holds per_minute requests and refills at that rate). entries: the
 * addresses the table holds at most. NULL when there is nothing to track. */
struct clients *clients_new(unsigned max_per_ip, unsigned per_minute,
    size_t entries);
void clients_free(struct clients *cl);

/* A new connection from addr; now_ms is a monotonic clock. *counted says
 * whether it is counted as open, and then clients_leave must follow. With
 * ADMIT_SLOW_DOWN, *wait_s is how many seconds until the address may ask
 * again. A table full of addresses with connections open admits without
 * counting rather than refusing. Any thread. */
enum admit clients_admit(struct clients *cl, const struct sockaddr *addr,
    uint64_t now_ms, bool *counted, unsigned *wait_s);
void clients_leave(struct clients *cl, const struct sockaddr *addr,
    uint64_t now_ms);

/* Addresses in the table now. */
size_t clients_count(struct clients *cl);

#endif
