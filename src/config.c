/* config.c - defaults and the GNU-style command line. Every value has one
 * default here, so the rest of the code never guesses. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "pollux/config.h"
#include "pollux/tls.h"
#include "pollux/util.h"

#ifndef POLLUX_VERSION
#define POLLUX_VERSION "0.1.0"
#endif

void config_defaults(struct config *c)
{
	memset(c, 0, sizeof *c);
	c->action = ACTION_SERVE;
	c->capsule_dir = "capsule";
	c->gemini_port = 1965;
	c->gopher_port = 70;
	c->certs_dir = "certs";
	c->max_connections = 4096;
	c->handshake_timeout_ms = 5000;
	c->request_timeout_ms = 5000;
	c->write_timeout_ms = 30000;
	c->user = "nobody";
}

void config_usage(FILE *out)
{
	fprintf(out,
	    "usage: pollux [options]\n"
	    "Serves a Markdown blog over Gemini and Gopher.\n\n"
	    "  --capsule DIR            the capsule folder (default: capsule)\n"
	    "  --hostname NAME          a name the server answers to; repeatable,\n"
	    "                           the first is canonical (default: localhost)\n"
	    "  --listen ADDR            an address to listen on; repeatable\n"
	    "                           (default: :: and 0.0.0.0)\n"
	    "  --gemini-port N          Gemini port, 0 turns Gemini off (default: 1965)\n"
	    "  --gopher-port N          Gopher port, 0 turns Gopher off (default: 70)\n"
	    "  --gopher-public-port N   port written in Gopher menus\n"
	    "                           (default: the Gopher port)\n"
	    "  --cert FILE --key FILE   TLS certificate and key (default: generated\n"
	    "                           in the certs folder on first start)\n"
	    "  --certs DIR              where generated certificates live (default: certs)\n"
	    "  --ciphers LIST           TLS 1.2 ciphers, ECDHE with AES-GCM or\n"
	    "                           ChaCha20-Poly1305 only\n"
	    "                           (default: AES-128-GCM first)\n"
	    "  --ciphersuites LIST      TLS 1.3 ciphersuites (default:\n"
	    "                           TLS_AES_128_GCM_SHA256 first)\n"
	    "  --ticket-key FILE        an 80-byte session ticket key (nginx's\n"
	    "                           layout) shared by instances; repeatable,\n"
	    "                           the first encrypts (default: no tickets;\n"
	    "                           the sessions are kept in the server)\n"
	    "  --max-connections N      open connections at most (default: 4096)\n"
	    "  --handshake-timeout MS   TLS handshake deadline (default: 5000)\n"
	    "  --request-timeout MS     request line deadline (default: 5000)\n"
	    "  --write-timeout MS       cut a response when the client takes no\n"
	    "                           byte for this long (default: 30000)\n"
	    "  --response-timeout MS    cut a response that takes longer than\n"
	    "                           this in all (default: 0, no limit)\n"
	    "  --max-per-ip N           open connections from one address, IPv6\n"
	    "                           counted per /64; 0: no limit (default:\n"
	    "                           a sixteenth of --max-connections, >= 4)\n"
	    "  --rate-limit N           requests a minute from one address, in\n"
	    "                           bursts of N; more are told to slow down\n"
	    "                           (default: 0, no limit)\n"
	    "  --log-ip full|anon|none  the client in the access log: its address,\n"
	    "                           the address with its host part zeroed\n"
	    "                           (IPv4 /24, IPv6 /48), or \"-\" (default: full)\n"
	    "  --proxy-protocol         every connection starts with a PROXY\n"
	    "                           header (v1 or v2) naming the real client;\n"
	    "                           in a config file: proxy-protocol on|off\n"
	    "  --trusted-proxy ADDR[/BITS]  a balancer whose headers are believed;\n"
	    "                           repeatable; others are closed (default:\n"
	    "                           127.0.0.0/8 and ::1)\n"
	    "  -c, --config FILE        read options from FILE (\"key value\" lines,\n"
	    "                           keys named like the options); flags win\n"
	    "  --workers N              threads serving requests (default: one per CPU)\n"
	    "  --user NAME              started as root: the user to run as after\n"
	    "                           binding the ports (default: nobody)\n"
	    "  --chroot DIR             started as root: the folder to chroot to\n"
	    "                           (default: the capsule)\n"
	    "  --check                  load the capsule, report every problem, exit\n"
	    "  --dump URL               print the response to a gemini:// or gopher://\n"
	    "                           URL without opening a socket\n"
	    "  --help, --version\n");
}

/* Where a value came from, for messages: "--flag" or "FILE:LINE: key". */
struct origin {
	const char *file;      /* NULL: the command line */
	unsigned line;
};

static int bad(const struct origin *o, const char *name, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));

static int bad(const struct origin *o, const char *name, const char *fmt,
    ...)
{
	if (o->file)
		fprintf(stderr, "%s:%u: %s: ", o->file, o->line, name);
	else
		fprintf(stderr, "pollux: --%s: ", name);
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

/* Parses a decimal number in [min, max]. */
static int parse_uint(const struct origin *o, const char *name,
    const char *s, unsigned min, unsigned max, unsigned *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v < min || v > max) {
		return bad(o, name, "needs a number from %u to %u, not \"%s\"",
		    min, max, s);
	}
	*out = (unsigned)v;
	return 0;
}

enum { OPT_CAPSULE = 256, OPT_HOSTNAME, OPT_LISTEN, OPT_GEMINI_PORT,
	OPT_GOPHER_PORT, OPT_GOPHER_PUBLIC_PORT, OPT_CERT, OPT_KEY, OPT_CERTS,
	OPT_MAX_CONN, OPT_HS_TIMEOUT, OPT_REQ_TIMEOUT, OPT_WORKERS, OPT_USER,
	OPT_CHROOT,
	OPT_CIPHERS, OPT_CIPHERSUITES, OPT_TICKET_KEY, OPT_WRITE_TIMEOUT,
	OPT_RESP_TIMEOUT,
	OPT_MAX_PER_IP, OPT_RATE_LIMIT, OPT_LOG_IP,
	OPT_PROXY_PROTOCOL, OPT_TRUSTED_PROXY,
	OPT_CONFIG, OPT_CHECK,
	OPT_DUMP, OPT_HELP, OPT_VERSION };

/* Options up to OPT_CONFIG can also be keys of the config file. */
static const struct option options[] = {
	{"capsule", required_argument, NULL, OPT_CAPSULE},
	{"hostname", required_argument, NULL, OPT_HOSTNAME},
	{"listen", required_argument, NULL, OPT_LISTEN},
	{"gemini-port", required_argument, NULL, OPT_GEMINI_PORT},
	{"gopher-port", required_argument, NULL, OPT_GOPHER_PORT},
	{"gopher-public-port", required_argument, NULL, OPT_GOPHER_PUBLIC_PORT},
	{"cert", required_argument, NULL, OPT_CERT},
	{"key", required_argument, NULL, OPT_KEY},
	{"certs", required_argument, NULL, OPT_CERTS},
	{"max-connections", required_argument, NULL, OPT_MAX_CONN},
	{"handshake-timeout", required_argument, NULL, OPT_HS_TIMEOUT},
	{"request-timeout", required_argument, NULL, OPT_REQ_TIMEOUT},
	{"workers", required_argument, NULL, OPT_WORKERS},
	{"user", required_argument, NULL, OPT_USER},
	{"chroot", required_argument, NULL, OPT_CHROOT},
	{"ciphers", required_argument, NULL, OPT_CIPHERS},
	{"ciphersuites", required_argument, NULL, OPT_CIPHERSUITES},
	{"ticket-key", required_argument, NULL, OPT_TICKET_KEY},
	{"write-timeout", required_argument, NULL, OPT_WRITE_TIMEOUT},
	{"response-timeout", required_argument, NULL, OPT_RESP_TIMEOUT},
	{"max-per-ip", required_argument, NULL, OPT_MAX_PER_IP},
	{"rate-limit", required_argument, NULL, OPT_RATE_LIMIT},
	{"log-ip", required_argument, NULL, OPT_LOG_IP},
	{"proxy-protocol", no_argument, NULL, OPT_PROXY_PROTOCOL},
	{"trusted-proxy", required_argument, NULL, OPT_TRUSTED_PROXY},
	{"config", required_argument, NULL, OPT_CONFIG},
	{"check", no_argument, NULL, OPT_CHECK},
	{"dump", required_argument, NULL, OPT_DUMP},
	{"help", no_argument, NULL, OPT_HELP},
	{"version", no_argument, NULL, OPT_VERSION},
	{NULL, 0, NULL, 0},
};

static int add_to_list(const struct origin *o, const char *name,
    const char **list, size_t *n, size_t max, const char *arg)
{
	if (*n == max)
		return bad(o, name, "given more than %zu times", max);
	list[(*n)++] = arg;
	return 0;
}

/* Sets one option; arg must outlive the config. */
static int set_option(struct config *c, int id, const char *arg,
    const struct origin *o)
{
	const char *name = options[id - OPT_CAPSULE].name;
	switch (id) {
	case OPT_CAPSULE: c->capsule_dir = arg; return 0;
	case OPT_HOSTNAME:
		if (!*arg || strpbrk(arg, "/ \t\r\n:@[]"))
			return bad(o, name, "\"%s\" is not a host name", arg);
		return add_to_list(o, name, c->hostnames, &c->nhostnames,
		    MAX_HOSTNAMES, arg);
	case OPT_LISTEN:
		return add_to_list(o, name, c->listen, &c->nlisten, MAX_LISTEN,
		    arg);
	case OPT_GEMINI_PORT:
		return parse_uint(o, name, arg, 0, 65535, &c->gemini_port);
	case OPT_GOPHER_PORT:
		return parse_uint(o, name, arg, 0, 65535, &c->gopher_port);
	case OPT_GOPHER_PUBLIC_PORT:
		return parse_uint(o, name, arg, 1, 65535, &c->gopher_public_port);
	case OPT_CERT: c->cert_file = arg; return 0;
	case OPT_KEY: c->key_file = arg; return 0;
	case OPT_CERTS: c->certs_dir = arg; return 0;
	case OPT_MAX_CONN:
		return parse_uint(o, name, arg, 1, 1000000, &c->max_connections);
	case OPT_HS_TIMEOUT:
		return parse_uint(o, name, arg, 10, 600000,
		    &c->handshake_timeout_ms);
	case OPT_REQ_TIMEOUT:
		return parse_uint(o, name, arg, 10, 600000,
		    &c->request_timeout_ms);
	case OPT_WORKERS:
		return parse_uint(o, name, arg, 1, 256, &c->workers);
	case OPT_USER: c->user = arg; return 0;
	case OPT_CHROOT: c->chroot_dir = arg; return 0;
	case OPT_CIPHERS:
	case OPT_CIPHERSUITES: {
		char why[256];
		if (tls_check_ciphers(arg, id == OPT_CIPHERSUITES, why,
		    sizeof why) < 0)
			return bad(o, name, "\"%s\": %s", arg, why);
		*(id == OPT_CIPHERS ? &c->ciphers : &c->ciphersuites) = arg;
		return 0;
	}
	case OPT_TICKET_KEY:
		return add_to_list(o, name, c->ticket_keys, &c->nticket_keys,
		    MAX_TICKET_KEYS, arg);
	case OPT_WRITE_TIMEOUT:
		return parse_uint(o, name, arg, 10, 3600000, &c->write_timeout_ms);
	case OPT_RESP_TIMEOUT:
		return parse_uint(o, name, arg, 0, 86400000,
		    &c->response_timeout_ms);
	case OPT_MAX_PER_IP:
		c->max_per_ip_set = true;
		return parse_uint(o, name, arg, 0, 1000000, &c->max_per_ip);
	case OPT_RATE_LIMIT:
		return parse_uint(o, name, arg, 0, 1000000, &c->rate_limit);
	case OPT_LOG_IP:
		if (strcmp(arg, "full") == 0)
			c->log_ip = LOG_IP_FULL;
		else if (strcmp(arg, "anon") == 0)
			c->log_ip = LOG_IP_ANON;
		else if (strcmp(arg, "none") == 0)
			c->log_ip = LOG_IP_NONE;
		else
			return bad(o, name, "needs full, anon or none, not \"%s\"",
			    arg);
		return 0;
	case OPT_PROXY_PROTOCOL:
		/* A flag on the command line; a file's keys all take a value. */
		if (!arg || strcmp(arg, "on") == 0)
			c->proxy_protocol = true;
		else if (strcmp(arg, "off") == 0)
			c->proxy_protocol = false;
		else
			return bad(o, name, "needs on or off, not \"%s\"", arg);
		return 0;
	case OPT_TRUSTED_PROXY: {
		struct addr_range r;
		if (addr_range_parse(arg, &r) < 0)
			return bad(o, name, "\"%s\" is not an address or ADDR/BITS",
			    arg);
		if (c->ntrusted_proxies == MAX_TRUSTED_PROXIES)
			return bad(o, name, "given more than %d times",
			    MAX_TRUSTED_PROXIES);
		c->trusted_proxies[c->ntrusted_proxies++] = r;
		return 0;
	}
	case OPT_CONFIG: c->config_file = arg; return 0;
	case OPT_CHECK: c->action = ACTION_CHECK; return 0;
	case OPT_DUMP: c->action = ACTION_DUMP; c->dump_url = arg; return 0;
	case OPT_HELP: c->action = ACTION_HELP; return 0;
	case OPT_VERSION: c->action = ACTION_VERSION; return 0;
	}
	return -1;
}

/* The config file: one "key value" a line, keys named like the long
 * options; blank lines and "#" comments ignored. Its text is kept for the
 * life of the process, since the config points into it. */
static int load_file(struct config *c, const char *path)
{
	size_t len;
	char *text = read_file(path, 0, 1 << 20, &len);
	if (!text) {
		fprintf(stderr, "pollux: %s: %s\n", path, strerror(errno));
		return -1;
	}
	c->config_text = text;
	struct origin o = {path, 0};
	int rc = 0;
	for (char *line = text, *next; line; line = next) {
		o.line++;
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		char *key = line + strspn(line, " \t\r");
		char *end = key + strcspn(key, " \t\r");
		char *val = end + strspn(end, " \t\r");
		char *vend = val + strlen(val);
		while (vend > val && strchr(" \t\r", vend[-1]))
			*--vend = '\0';
		*end = '\0';
		if (!*key)
			continue;
		int id = -1;
		for (int i = 0; options[i].name && options[i].val < OPT_CONFIG; i++)
			if (strcmp(options[i].name, key) == 0)
				id = options[i].val;
		if (id < 0) {
			fprintf(stderr, "%s:%u: unknown key \"%s\"\n", path, o.line,
			    key);
			rc = -1;
		} else if (!*val) {
			rc = bad(&o, key, "needs a value");
		} else if (set_option(c, id, val, &o) < 0) {
			rc = -1;
		}
	}
	return rc;
}

int config_parse_args(struct config *c, int argc, char **argv)
{
	/* First the config file, if one is named, then the flags on top: the
	 * command line wins, and a list given there replaces the file's. */
	int opt;
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:hV", options, NULL)) != -1)
		if (opt == 'c' || opt == OPT_CONFIG)
			c->config_file = optarg;
	if (c->config_file && load_file(c, c->config_file) < 0)
		return -1;

	bool from_args[OPT_VERSION - OPT_CAPSULE + 1] = {false};
	struct origin o = {NULL, 0};
	opterr = 1;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:hV", options, NULL)) != -1) {
		if (opt == 'c')
			opt = OPT_CONFIG;
		else if (opt == 'h')
			opt = OPT_HELP;
		else if (opt == 'V')
			opt = OPT_VERSION;
		else if (opt < OPT_CAPSULE || opt > OPT_VERSION) {
			fprintf(stderr, "pollux: try --help\n");
			return -1;
		}
		/* A list given here replaces the file's rather than adding. */
		size_t *list = opt == OPT_HOSTNAME ? &c->nhostnames :
		    opt == OPT_LISTEN ? &c->nlisten :
		    opt == OPT_TICKET_KEY ? &c->nticket_keys :
		    opt == OPT_TRUSTED_PROXY ? &c->ntrusted_proxies : NULL;
		if (list && !from_args[opt - OPT_CAPSULE])
			*list = 0;
		from_args[opt - OPT_CAPSULE] = true;
		if (set_option(c, opt, optarg, &o) < 0)
			return -1;
	}
	if (optind < argc) {
		fprintf(stderr, "pollux: unexpected argument \"%s\"; try --help\n",
		    argv[optind]);
		return -1;
	}
	if (!c->cert_file != !c->key_file) {
		fprintf(stderr, "pollux: --cert and --key go together\n");
		return -1;
	}
	if (c->nhostnames == 0)
		c->hostnames[c->nhostnames++] = "localhost";
	/* Only a balancer on this machine is believed unless told otherwise:
	 * a header from anywhere else could name any client it liked. */
	if (c->ntrusted_proxies == 0) {
		addr_range_parse("127.0.0.0/8", &c->trusted_proxies[0]);
		addr_range_parse("::1", &c->trusted_proxies[1]);
		c->ntrusted_proxies = 2;
	}
	if (c->nlisten == 0) {
		c->listen[c->nlisten++] = "::";
		c->listen[c->nlisten++] = "0.0.0.0";
	}
	return 0;
}

/* A sixteenth: one address (a crawler gone wild, a flood) can take no
 * more than that of the connections, while a NAT gateway or a proxy with
 * hundreds of readers behind it is still served at the default 4096. */
unsigned config_max_per_ip(const struct config *c, unsigned max_connections)
{
	if (c->max_per_ip_set)
		return c->max_per_ip;
	unsigned n = max_connections / 16;
	return n < 4 ? 4 : n;
}

unsigned config_gopher_public_port(const struct config *c)
{
	/* With Gopher off, menus (still shown by --dump) name the standard port. */
	if (c->gopher_public_port)
		return c->gopher_public_port;
	return c->gopher_port ? c->gopher_port : 70;
}

const char *config_version(void)
{
	return POLLUX_VERSION;
}
