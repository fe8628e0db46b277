/* clients.c - the per-address table behind --max-per-ip and --rate-limit:
 * sixteen shards, each with its own lock and a fixed array probed linearly,
 * keyed by a hash seeded at random so that no one can aim at one slot. An
 * address leaves the table once it has no connection and a full bucket. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include <netinet/in.h>

#include "pollux/clients.h"
#include "pollux/util.h"

#define SHARDS 16

struct entry {
	uint64_t hash;               /* 0: the slot is free */
	uint64_t hi, lo;             /* the address (see key) */
	uint64_t stamp;              /* when tokens was last brought up to date */
	double tokens;
	uint32_t conns;
};

struct shard {
	uv_mutex_t lock;
	struct entry *slots;
	size_t mask;
	size_t count;
	size_t max;                  /* half the slots, for short probes; */
	size_t busy_max;             /* addresses with connections open may
	                                fill three quarters */
};

struct clients {
	unsigned max_per_ip;
	double burst;                /* the rate limit's requests, 0: none */
	double per_ms;               /* tokens a millisecond gives back */
	uint64_t seed[2];
	atomic_size_t count;
	struct shard shards[SHARDS];
};

/* IPv4 (and IPv4-mapped IPv6) as ::ffff:a.b.c.d, whole; IPv6 cut to its
 * /64, since one subscriber is usually given a whole /64 to pick from. */
static void key(const struct sockaddr *sa, uint64_t *hi, uint64_t *lo)
{
	const unsigned char *b;
	*hi = *lo = 0;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)sa;
		b = (const unsigned char *)&a->sin_addr;
		*lo = 0xFFFF00000000ULL | (uint64_t)b[0] << 24 |
		    (uint64_t)b[1] << 16 | (uint64_t)b[2] << 8 | b[3];
		return;
	}
	const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)sa;
	b = a->sin6_addr.s6_addr;
	if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr)) {
		*lo = 0xFFFF00000000ULL | (uint64_t)b[12] << 24 |
		    (uint64_t)b[13] << 16 | (uint64_t)b[14] << 8 | b[15];
		return;
	}
	for (int i = 0; i < 8; i++)
		*hi = *hi << 8 | b[i];
}

static uint64_t mix(uint64_t a, uint64_t b)
{
	unsigned __int128 r = (unsigned __int128)a * b;
	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static uint64_t hash(const struct clients *cl, uint64_t hi, uint64_t lo)
{
	uint64_t h = mix(hi ^ cl->seed[0], lo ^ cl->seed[1] ^
	    0x9E3779B97F4A7C15ULL);
	h = mix(h, 0xD6E8FEB86659FD93ULL);
	return h ? h : 1;
}

struct clients *clients_new(unsigned max_per_ip, unsigned per_minute,
    size_t entries)
{
	if (!max_per_ip && !per_minute)
		return NULL;
	struct clients *cl = xcalloc(1, sizeof *cl);
	cl->max_per_ip = max_per_ip;
	cl->burst = per_minute;
	cl->per_ms = per_minute / 60000.0;
	/* Without randomness the table still works, only predictably. */
	uv_random(NULL, NULL, cl->seed, sizeof cl->seed, 0, NULL);
	size_t max = (entries + SHARDS - 1) / SHARDS;
	if (max < 4)
		max = 4;
	size_t nslots = 8;
	while (nslots < 2 * max)
		nslots *= 2;
	for (int i = 0; i < SHARDS; i++) {
		struct shard *s = &cl->shards[i];
		uv_mutex_init(&s->lock);
		s->slots = xcalloc(nslots, sizeof *s->slots);
		s->mask = nslots - 1;
		s->max = max;
		s->busy_max = nslots / 4 * 3;
	}
	return cl;
}

void clients_free(struct clients *cl)
{
	if (!cl)
		return;
	for (int i = 0; i < SHARDS; i++) {
		uv_mutex_destroy(&cl->shards[i].lock);
		free(cl->shards[i].slots);
	}
	free(cl);
}

static struct shard *shard_of(struct clients *cl, uint64_t h)
{
	return &cl->shards[h >> 60];
}

static struct entry *find(struct shard *s, uint64_t h, uint64_t hi,
    uint64_t lo)
{
	for (size_t i = h & s->mask;; i = (i + 1) & s->mask) {
		struct entry *e = &s->slots[i];
		if (!e->hash)
			return NULL;
		if (e->hash == h && e->hi == hi && e->lo == lo)
			return e;
	}
}

/* Backward-shift deletion: entries after the hole that may live in it move
 * up, so a probe never stops early at a hole and no tombstones pile up. */
static void remove_at(struct clients *cl, struct shard *s, size_t i)
{
	for (size_t j = i;;) {
		j = (j + 1) & s->mask;
		struct entry *e = &s->slots[j];
		if (!e->hash)
			break;
		size_t home = e->hash & s->mask;
		bool stays = i <= j ? (i < home && home <= j) :
		    (i < home || home <= j);
		if (stays)
			continue;
		s->slots[i] = *e;
		i = j;
	}
	memset(&s->slots[i], 0, sizeof s->slots[i]);
	s->count--;
	atomic_fetch_sub_explicit(&cl->count, 1, memory_order_relaxed);
}

static void refill(const struct clients *cl, struct entry *e, uint64_t now)
{
	if (now > e->stamp) {
		e->tokens += (double)(now - e->stamp) * cl->per_ms;
		if (e->tokens > cl->burst)
			e->tokens = cl->burst;
	}
	e->stamp = now;
}

/* Nothing to remember: no connection open and a bucket back to full. */
static bool forgettable(const struct clients *cl, struct entry *e,
    uint64_t now)
{
	if (e->conns)
		return false;
	refill(cl, e, now);
	return e->tokens >= cl->burst;
}

/* A full shard first drops every address it need not remember; failing
 * that, the idle address closest to a full bucket (it forgets the least). */
static void make_room(struct clients *cl, struct shard *s, uint64_t now)
{
	for (size_t i = 0; i <= s->mask;) {
		struct entry *e = &s->slots[i];
		if (e->hash && forgettable(cl, e, now))
			remove_at(cl, s, i);   /* another entry may move in here */
		else
			i++;
	}
	if (s->count < s->max)
		return;
	size_t victim = SIZE_MAX;
	for (size_t i = 0; i <= s->mask; i++) {
		struct entry *e = &s->slots[i];
		if (e->hash && !e->conns && (victim == SIZE_MAX ||
		    e->tokens > s->slots[victim].tokens))
			victim = i;
	}
	if (victim != SIZE_MAX)
		remove_at(cl, s, victim);
}

/* Past max, only forgetting makes room; a shard that the hash filled more
 * than others still takes new addresses up to busy_max, so that uneven
 * luck does not leave a connected address uncounted. */
static struct entry *insert(struct clients *cl, struct shard *s, uint64_t h,
    uint64_t hi, uint64_t lo, uint64_t now)
{
	if (s->count >= s->max)
		make_room(cl, s, now);
	if (s->count >= s->busy_max)
		return NULL;
	size_t i = h & s->mask;
	while (s->slots[i].hash)
		i = (i + 1) & s->mask;
	struct entry *e = &s->slots[i];
	*e = (struct entry){.hash = h, .hi = hi, .lo = lo, .stamp = now,
	    .tokens = cl->burst};
	s->count++;
	atomic_fetch_add_explicit(&cl->count, 1, memory_order_relaxed);
	return e;
}

enum admit clients_admit(struct clients *cl, const struct sockaddr *addr,
    uint64_t now_ms, bool *counted, unsigned *wait_s)
{
	*counted = false;
	*wait_s = 0;
	uint64_t hi, lo;
	key(addr, &hi, &lo);
	uint64_t h = hash(cl, hi, lo);
	struct shard *s = shard_of(cl, h);
	enum admit verdict = ADMIT_OK;
	uv_mutex_lock(&s->lock);
	struct entry *e = find(s, h, hi, lo);
	if (!e)
		e = insert(cl, s, h, hi, lo, now_ms);
	if (!e)
		goto done;   /* a table full of busy addresses: let it in */
	if (cl->max_per_ip) {
		if (e->conns >= cl->max_per_ip) {
			verdict = ADMIT_TOO_MANY;
			goto done;
		}
		e->conns++;
		*counted = true;
	}
	if (cl->burst > 0) {
		refill(cl, e, now_ms);
		if (e->tokens >= 1) {
			e->tokens -= 1;
		} else {
			verdict = ADMIT_SLOW_DOWN;
			/* Rounded up: asking again sooner is refused again. */
			double s = (1 - e->tokens) / cl->per_ms / 1000;
			*wait_s = (unsigned)s + ((double)(unsigned)s < s);
			if (*wait_s == 0)
				*wait_s = 1;
		}
	}
done:
	uv_mutex_unlock(&s->lock);
	return verdict;
}

void clients_leave(struct clients *cl, const struct sockaddr *addr,
    uint64_t now_ms)
{
	uint64_t hi, lo;
	key(addr, &hi, &lo);
	uint64_t h = hash(cl, hi, lo);
	struct shard *s = shard_of(cl, h);
	uv_mutex_lock(&s->lock);
	struct entry *e = find(s, h, hi, lo);
	if (e && e->conns) {
		e->conns--;
		if (forgettable(cl, e, now_ms))
			remove_at(cl, s, (size_t)(e - s->slots));
	}
	uv_mutex_unlock(&s->lock);
}

size_t clients_count(struct clients *cl)
{
	return cl ? atomic_load_explicit(&cl->count, memory_order_relaxed) : 0;
}
