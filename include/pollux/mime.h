/* mime.h - what a served file is, from its name: the MIME type Gemini
 * announces and the item type Gopher menus show. */
#ifndef POLLUX_MIME_H
#define POLLUX_MIME_H

/* "text/gemini", "image/png", ...; application/octet-stream when unknown. */
const char *mime_type(const char *path);
/* '0' text, 'I' image, 'g' GIF, 'h' HTML, '9' binary. */
char gopher_item_type(const char *path);

#endif
