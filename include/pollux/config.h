/* config.h - everything a user can set, with its default, and the command
 * line that sets it. Strings point into argv or are owned by the config. */
#ifndef POLLUX_CONFIG_H
#define POLLUX_CONFIG_H

#include <stddef.h>
#include <stdio.h>

#define MAX_HOSTNAMES 16
#define MAX_LISTEN 16
#define MAX_TICKET_KEYS 8

enum action {
	ACTION_SERVE,
	ACTION_CHECK,   /* --check: load, report, exit */
	ACTION_DUMP,    /* --dump URL: print one response */
	ACTION_HELP,
	ACTION_VERSION,
};

struct config {
	enum action action;
	const char *dump_url;

	const char *capsule_dir;             /* "capsule" */
	const char *hostnames[MAX_HOSTNAMES]; /* first is canonical */
	size_t nhostnames;                   /* "localhost" when none given */
	const char *listen[MAX_LISTEN];      /* addresses to bind */
	size_t nlisten;                      /* none given: "::" and "0.0.0.0" */

	unsigned gemini_port;                /* 1965; 0 turns Gemini off */
	unsigned gopher_port;                /* 70; 0 turns Gopher off */
	unsigned gopher_public_port;         /* written in menus; 0: gopher_port */

	const char *cert_file, *key_file;    /* both NULL: generate in certs_dir */
	const char *certs_dir;               /* "certs" */
	const char *ciphers;                 /* TLS 1.2 list; NULL: tls.c's */
	const char *ciphersuites;            /* TLS 1.3 list; NULL: tls.c's */
	const char *ticket_keys[MAX_TICKET_KEYS]; /* shared key files; none:
	                                        a random key, rotated */
	size_t nticket_keys;

	unsigned max_connections;            /* 4096 */
	unsigned handshake_timeout_ms;       /* 5000 */
	unsigned request_timeout_ms;         /* 5000 */
	unsigned write_timeout_ms;           /* 30000: whole response */
	unsigned workers;                    /* threads; 0: one per CPU */

	const char *user;                    /* root drops to this user: "nobody" */
	const char *chroot_dir;              /* root chroots here; NULL: capsule */

	const char *config_file;             /* -c FILE, or NULL */
	char *config_text;                   /* its text; the strings above may
	                                        point into it (freed at exit) */
};

void config_defaults(struct config *c);
/* Parses GNU-style long options. Returns 0, or -1 after printing why to
 * stderr (the caller exits 2). Fills defaults for lists left empty. */
int config_parse_args(struct config *c, int argc, char **argv);
void config_usage(FILE *out);

/* The port clients see in Gopher menus. */
unsigned config_gopher_public_port(const struct config *c);
const char *config_version(void);

#endif
