/* util.h - memory, growable buffers and UTF-8 checks shared by every module.
 * Allocation failure is fatal (the x* functions abort with a message): a
 * server that cannot allocate a few bytes cannot answer anyone anyway. */
#ifndef POLLUX_UTIL_H
#define POLLUX_UTIL_H

#include <stdbool.h>
#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* A growable byte buffer. data is NUL-terminated whenever cap > 0; the
 * owner of the struct owns data and releases it with buf_free or takes it
 * with buf_take. A zeroed struct is an empty buffer. */
struct buf {
	char *data;
	size_t len, cap;
};

void buf_put(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc_slow(struct buf *b, char c);
/* The converters append a byte at a time: keep that path inline. */
static inline void buf_putc(struct buf *b, char c)
{
	if (b->len + 1 < b->cap) {
		b->data[b->len++] = c;
		b->data[b->len] = '\0';
	} else {
		buf_putc_slow(b, c);
	}
}
void buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Hands data to the caller (never NULL; free it) and empties b. */
char *buf_take(struct buf *b, size_t *len);
void buf_free(struct buf *b);

/* True when s[0..n) is well-formed UTF-8 (no overlongs, no surrogates). */
bool utf8_valid(const char *s, size_t n);
/* Display width budget helper: number of code points in s[0..n). */
size_t utf8_len(const char *s, size_t n);

/* Opens a secret (a key) for reading, refused when other users may read
 * or change it: group read is fine (Debian's ssl-cert group gives daemons
 * their keys that way). One open, so the mode checked is the file read.
 * Returns the descriptor, or -1 after saying why (what names the file's
 * role: "the private key"). */
int open_private(const char *path, const char *what);

/* Reads a whole regular file (at most max bytes) into a NUL-terminated
 * buffer the caller frees; flags are added to open(2)'s (O_NOFOLLOW).
 * Returns NULL and sets errno on failure (EFBIG when too big, EISDIR when
 * not a regular file). */
char *read_file(const char *path, int flags, size_t max, size_t *len);

/* Makes the calling thread background work for the rest of its life
 * (and the threads it starts): it runs when the event loops leave a core
 * idle, and a loop that wakes takes the core back at once (SCHED_IDLE,
 * else the lowest priority). It still progresses under load, slowly. */
void background_thread(void);

#endif
