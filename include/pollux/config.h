/* config.h - everything a user can set, with its default, and the command
 * line that sets it. Strings point into argv or are owned by the config. */
#ifndef POLLUX_CONFIG_H
#define POLLUX_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "addr.h"

#define MAX_HOSTNAMES 16
#define MAX_LISTEN 16
#define MAX_TICKET_KEYS 8
#define MAX_TRUSTED_PROXIES 16

enum action {
	ACTION_SERVE,
	ACTION_CHECK,   /* --check: load, report, exit */
	ACTION_DUMP,    /* --dump URL: print one response */
	ACTION_HELP,
	ACTION_VERSION,
};

/* What the access log says of the client (--log-ip). */
enum log_ip { LOG_IP_FULL, LOG_IP_ANON, LOG_IP_NONE };

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
	                                        sessions kept (sessions.h) */
	size_t nticket_keys;

	unsigned max_connections;            /* 4096 */
	unsigned max_per_ip;                 /* connections from one address;
	                                        0: none; default: see
	                                        config_max_per_ip */
	bool max_per_ip_set;                 /* given, rather than the default */
	unsigned rate_limit;                 /* requests a minute per address;
	                                        0: no limit (default) */
	unsigned handshake_timeout_ms;       /* 5000 */
	unsigned request_timeout_ms;         /* 5000 */
	unsigned write_timeout_ms;           /* 30000: no byte taken for this
	                                        long cuts a response */
	unsigned response_timeout_ms;        /* a whole response; 0: none */
	enum log_ip log_ip;                  /* full */
	bool proxy_protocol;                 /* every connection starts with a
	                                        PROXY header (v1 or v2) */
	struct addr_range trusted_proxies[MAX_TRUSTED_PROXIES]; /* peers whose
	                                        headers are believed; none
	                                        given: 127.0.0.0/8 and ::1 */
	size_t ntrusted_proxies;
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

/* --max-per-ip in force for a --max-connections of max_connections: the
 * one given, else a sixteenth of the connections (at least 4). */
unsigned config_max_per_ip(const struct config *c, unsigned max_connections);

/* The port clients see in Gopher menus. */
unsigned config_gopher_public_port(const struct config *c);
const char *config_version(void);

#endif
