/* config.c - defaults and the GNU-style command line. Every value has one
 * default here, so the rest of the code never guesses. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pollux/config.h"

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
	    "  --max-connections N      open connections at most (default: 4096)\n"
	    "  --handshake-timeout MS   TLS handshake deadline (default: 5000)\n"
	    "  --request-timeout MS     request line deadline (default: 5000)\n"
	    "  --check                  load the capsule, report every problem, exit\n"
	    "  --dump URL               print the response to a gemini:// or gopher://\n"
	    "                           URL without opening a socket\n"
	    "  --help, --version\n");
}

/* Parses a decimal number in [min, max]; -1 on anything else. */
static int parse_uint(const char *flag, const char *s, unsigned min,
    unsigned max, unsigned *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v < min || v > max) {
		fprintf(stderr, "pollux: %s needs a number from %u to %u, not "
		    "\"%s\"\n", flag, min, max, s);
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

enum { OPT_CAPSULE = 256, OPT_HOSTNAME, OPT_LISTEN, OPT_GEMINI_PORT,
	OPT_GOPHER_PORT, OPT_GOPHER_PUBLIC_PORT, OPT_CERT, OPT_KEY, OPT_CERTS,
	OPT_MAX_CONN, OPT_HS_TIMEOUT, OPT_REQ_TIMEOUT, OPT_CHECK, OPT_DUMP,
	OPT_HELP, OPT_VERSION };

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
	{"check", no_argument, NULL, OPT_CHECK},
	{"dump", required_argument, NULL, OPT_DUMP},
	{"help", no_argument, NULL, OPT_HELP},
	{"version", no_argument, NULL, OPT_VERSION},
	{NULL, 0, NULL, 0},
};

int config_parse_args(struct config *c, int argc, char **argv)
{
	int opt;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "hV", options, NULL)) != -1) {
		int rc = 0;
		switch (opt) {
		case OPT_CAPSULE: c->capsule_dir = optarg; break;
		case OPT_HOSTNAME:
			if (c->nhostnames == MAX_HOSTNAMES) {
				fprintf(stderr, "pollux: at most %d --hostname\n",
				    MAX_HOSTNAMES);
				return -1;
			}
			if (!*optarg || strpbrk(optarg, "/ \t\r\n:@")) {
				fprintf(stderr, "pollux: bad --hostname \"%s\"\n",
				    optarg);
				return -1;
			}
			c->hostnames[c->nhostnames++] = optarg;
			break;
		case OPT_LISTEN:
			if (c->nlisten == MAX_LISTEN) {
				fprintf(stderr, "pollux: at most %d --listen\n",
				    MAX_LISTEN);
				return -1;
			}
			c->listen[c->nlisten++] = optarg;
			break;
		case OPT_GEMINI_PORT:
			rc = parse_uint("--gemini-port", optarg, 0, 65535, &c->gemini_port);
			break;
		case OPT_GOPHER_PORT:
			rc = parse_uint("--gopher-port", optarg, 0, 65535, &c->gopher_port);
			break;
		case OPT_GOPHER_PUBLIC_PORT:
			rc = parse_uint("--gopher-public-port", optarg, 1, 65535,
			    &c->gopher_public_port);
			break;
		case OPT_CERT: c->cert_file = optarg; break;
		case OPT_KEY: c->key_file = optarg; break;
		case OPT_CERTS: c->certs_dir = optarg; break;
		case OPT_MAX_CONN:
			rc = parse_uint("--max-connections", optarg, 1, 1000000,
			    &c->max_connections);
			break;
		case OPT_HS_TIMEOUT:
			rc = parse_uint("--handshake-timeout", optarg, 10, 600000,
			    &c->handshake_timeout_ms);
			break;
		case OPT_REQ_TIMEOUT:
			rc = parse_uint("--request-timeout", optarg, 10, 600000,
			    &c->request_timeout_ms);
			break;
		case OPT_CHECK: c->action = ACTION_CHECK; break;
		case OPT_DUMP: c->action = ACTION_DUMP; c->dump_url = optarg; break;
		case 'h':
		case OPT_HELP: c->action = ACTION_HELP; break;
		case 'V':
		case OPT_VERSION: c->action = ACTION_VERSION; break;
		default:
			fprintf(stderr, "pollux: try --help\n");
			return -1;
		}
		if (rc < 0)
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
	if (c->nlisten == 0) {
		c->listen[c->nlisten++] = "::";
		c->listen[c->nlisten++] = "0.0.0.0";
	}
	return 0;
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
