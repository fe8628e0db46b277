/* gophermap.h - Gopher menus: their lines (RFC 1436), and where a link of a
 * page model goes on Gopher (item type, selector, host, port). */
#ifndef POLLUX_GOPHERMAP_H
#define POLLUX_GOPHERMAP_H

#include <stdbool.h>

#include "model.h"
#include "util.h"

/* Display strings of items stay under 70 columns (RFC 1436; sacc and the
 * UMN client cut there); info lines at 67, for clients that show a
 * prefix before them. */
#define GOPHER_ITEM_WIDTH 69
#define GOPHER_INFO_WIDTH 67

/* This server, as menus name it. */
struct gopher_host {
	const char *host;
	unsigned port;
};

/* Where a link goes. The strings are owned: gopher_item_free. */
struct gopher_item {
	char type;
	struct buf selector;
	struct buf host;
	unsigned port;
};

/* Fills it with the item that follows l; false when l cannot be one (a
 * relative URL nothing in the capsule answers, "#part"). Gopher URLs keep
 * their own item type, host and port; other URLs become 'h' items with
 * a "URL:" selector on this server. */
bool gopher_address(const struct link *l, const struct gopher_host *h,
    struct gopher_item *it);
void gopher_item_free(struct gopher_item *it);

/* Appends the URL a reader types to follow l: gopher://host/TYPE/selector
 * for what this server answers, the URL as written for the rest (spaces
 * and the like escaped, as in a link line). */
void gopher_url(struct buf *out, const struct link *l,
    const struct gopher_host *h);

/* One menu line, CRLF-terminated. Control characters (tabs, CR and LF
 * among them) never reach a field: in the display they become spaces,
 * elsewhere they are dropped. */
void gophermap_item(struct buf *out, char type, const char *display,
    const char *selector, const char *host, unsigned port);
/* An informational ('i') line showing text[0..n) as it is. */
void gophermap_info(struct buf *out, const char *text, size_t n);
/* The closing "." line of a menu. */
void gophermap_end(struct buf *out);

#endif
