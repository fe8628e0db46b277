/* tls.c - the server's OpenSSL context: TLS 1.2 or newer with ECDHE and
 * AEAD suites only, sessions resumed from our table or from tickets under
 * shared keys, SNI checked against our host names, and the certificate
 * (given, or generated once and kept in the certs folder, its key
 * private). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "pollux/log.h"
#include "pollux/sessions.h"
#include "pollux/tickets.h"
#include "pollux/tls.h"
#include "pollux/util.h"

#define CERT_DAYS (10 * 365)

/* TLS 1.2: forward secrecy (ECDHE) and AEAD only; CBC suites with their
 * MAC-then-encrypt history are not offered. AES-128-GCM first: with
 * SHA-256 (hardware accelerated) it costs less per handshake than
 * AES-256, whose suites pay for SHA-384, and is as safe for a blog.
 * ECDSA first: the generated key is P-256. Operators who must prefer
 * AES-256 set --ciphers / --ciphersuites. */
static const char default_ciphers[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384";
static const char default_ciphersuites[] =
    "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256:"
    "TLS_AES_256_GCM_SHA384";

static void log_ssl(const char *what)
{
	unsigned long e = ERR_get_error();
	char msg[256] = "unknown error";
	if (e)
		ERR_error_string_n(e, msg, sizeof msg);
	log_error("%s: %s", what, msg);
	ERR_clear_error();
}

static bool is_ip(const char *s)
{
	unsigned char bin[16];
	return inet_pton(AF_INET, s, bin) == 1 || inet_pton(AF_INET6, s, bin) == 1;
}

/* A client that names a host we do not serve is refused during the
 * handshake; a client that names none (an IP address) is served. */
static int check_sni(SSL *ssl, int *alert, void *arg)
{
	const struct config *cfg = arg;
	const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	if (!name)
		return SSL_TLSEXT_ERR_OK;
	for (size_t i = 0; i < cfg->nhostnames; i++)
		if (strcasecmp(name, cfg->hostnames[i]) == 0)
			return SSL_TLSEXT_ERR_OK;
	*alert = SSL_AD_UNRECOGNIZED_NAME;
	return SSL_TLSEXT_ERR_ALERT_FATAL;
}

static int add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!ext)
		return -1;
	int ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : -1;
}

/* An EC P-256 key and a self-signed certificate naming every host name,
 * valid for ten years: Gemini trusts on first use, so a certificate that
 * changes often only teaches readers to click through warnings. */
static int generate(const struct config *cfg, const char *cert_path,
    const char *key_path)
{
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	BIGNUM *serial = NULL;
	FILE *f = NULL;
	struct buf san = {0};
	int rc = -1, fd = -1;

	if (mkdir(cfg->certs_dir, 0700) < 0 && errno != EEXIST) {
		log_error("%s: %s", cfg->certs_dir, strerror(errno));
		return -1;
	}
	if (!(key = EVP_EC_gen("P-256")) || !(x = X509_new()) ||
	    !(serial = BN_new()))
		goto ssl_fail;
	if (!X509_set_version(x, 2) || !BN_rand(serial, 127, BN_RAND_TOP_ANY,
	    BN_RAND_BOTTOM_ANY) || !BN_to_ASN1_INTEGER(serial,
	    X509_get_serialNumber(x)))
		goto ssl_fail;
	/* A day early, for clients whose clocks run behind. */
	if (!X509_gmtime_adj(X509_getm_notBefore(x), -86400) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), (long)CERT_DAYS * 86400))
		goto ssl_fail;
	X509_NAME *name = X509_get_subject_name(x);
	if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	    (const unsigned char *)cfg->hostnames[0], -1, -1, 0) ||
	    !X509_set_issuer_name(x, name) || !X509_set_pubkey(x, key))
		goto ssl_fail;
	for (size_t i = 0; i < cfg->nhostnames; i++)
		buf_printf(&san, "%s%s:%s", i ? "," : "",
		    is_ip(cfg->hostnames[i]) ? "IP" : "DNS", cfg->hostnames[i]);
	if (add_ext(x, NID_subject_alt_name, san.data) < 0 ||
	    add_ext(x, NID_basic_constraints, "critical,CA:FALSE") < 0 ||
	    add_ext(x, NID_key_usage, "critical,digitalSignature") < 0 ||
	    add_ext(x, NID_ext_key_usage, "serverAuth") < 0 ||
	    !X509_sign(x, key, EVP_sha256()))
		goto ssl_fail;

	/* The key is readable by its owner only, from the first byte. */
	fd = open(key_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		log_error("%s: %s", key_path, strerror(errno));
		goto fail;
	}
	fd = -1;
	if (!PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) ||
	    fclose(f) != 0) {
		f = NULL;
		goto ssl_fail;
	}
	f = fopen(cert_path, "wx");
	if (!f) {
		log_error("%s: %s", cert_path, strerror(errno));
		goto fail;
	}
	if (!PEM_write_X509(f, x) || fclose(f) != 0) {
		f = NULL;
		goto ssl_fail;
	}
	f = NULL;
	log_info("generated a key and certificate for %s in %s/", san.data,
	    cfg->certs_dir);
	rc = 0;
	goto fail;
ssl_fail:
	log_ssl("generating the certificate");
fail:
	if (f)
		fclose(f);
	if (fd >= 0)
		close(fd);
	buf_free(&san);
	BN_free(serial);
	X509_free(x);
	EVP_PKEY_free(key);
	return rc;
}

/* OpenSSL skips names it does not know as long as one matches, so a typo
 * would quietly drop a suite: each name is tried alone first. Operators
 * (!x, -x, +x) and @SECLEVEL-like commands match nothing alone. */
static int check_names(SSL_CTX *ctx, const char *list, bool tls13,
    char *why, size_t whylen)
{
	char name[128];
	for (const char *p = list; *p; ) {
		size_t n = strcspn(p, tls13 ? ":" : ":, ");
		if (n == 0 || n >= sizeof name) {
			snprintf(why, whylen, "\"%.*s\" is not a cipher name",
			    (int)(n ? 40 : 1), p);
			return -1;
		}
		memcpy(name, p, n);
		name[n] = '\0';
		p += n + (p[n] != '\0');
		if (!tls13 && strchr("!-+@", name[0]))
			continue;
		if ((tls13 ? SSL_CTX_set_ciphersuites(ctx, name) :
		    SSL_CTX_set_cipher_list(ctx, name)) != 1) {
			ERR_clear_error();
			snprintf(why, whylen, "OpenSSL has no %s named \"%s\"",
			    tls13 ? "TLS 1.3 ciphersuite" : "TLS 1.2 cipher",
			    name);
			return -1;
		}
	}
	return 0;
}

/* Sets the TLS 1.2 list (tls13 false) or the TLS 1.3 list on ctx. Returns
 * 0, or -1 with why set. */
static int set_cipher_list(SSL_CTX *ctx, const char *list, bool tls13,
    char *why, size_t whylen)
{
	if (!*list) {
		snprintf(why, whylen, "the list is empty");
		return -1;
	}
	if (check_names(ctx, list, tls13, why, whylen) < 0)
		return -1;
	if ((tls13 ? SSL_CTX_set_ciphersuites(ctx, list) :
	    SSL_CTX_set_cipher_list(ctx, list)) != 1) {
		ERR_clear_error();
		snprintf(why, whylen, "no cipher matches the list");
		return -1;
	}
	if (tls13)
		return 0;   /* every TLS 1.3 suite is ECDHE (or DHE) and AEAD */
	STACK_OF(SSL_CIPHER) *all = SSL_CTX_get_ciphers(ctx);
	int tls12 = 0;
	for (int i = 0; i < sk_SSL_CIPHER_num(all); i++) {
		const SSL_CIPHER *c = sk_SSL_CIPHER_value(all, i);
		int kx = SSL_CIPHER_get_kx_nid(c);
		if (kx == NID_kx_any)
			continue;   /* TLS 1.3 suites are in the list too */
		if (!SSL_CIPHER_is_aead(c) || kx != NID_kx_ecdhe) {
			snprintf(why, whylen, "%s is not an ECDHE suite with "
			    "AES-GCM or ChaCha20-Poly1305, the only ones pollux "
			    "offers in TLS 1.2", SSL_CIPHER_get_name(c));
			return -1;
		}
		tls12++;
	}
	if (tls12 == 0) {
		snprintf(why, whylen, "the list has no TLS 1.2 cipher");
		return -1;
	}
	return 0;
}

int tls_check_ciphers(const char *list, bool tls13, char *why,
    size_t whylen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx) {
		ERR_clear_error();
		snprintf(why, whylen, "cannot make a TLS context to check it");
		return -1;
	}
	int rc = set_cipher_list(ctx, list, tls13, why, whylen);
	SSL_CTX_free(ctx);
	return rc;
}

/* The private key, refused when other users may read or change it: group
 * read is fine (Debian's ssl-cert group gives daemons their keys that
 * way). One open, so the mode checked is that of the file loaded. */
static EVP_PKEY *load_key(const char *path)
{
	int fd = open_private(path, "the private key");
	if (fd < 0)
		return NULL;
	FILE *f = fdopen(fd, "r");
	if (!f) {
		log_error("%s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	EVP_PKEY *key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (!key)
		log_ssl(path);
	return key;
}

static void log_digest(const char *label, const unsigned char *md,
    unsigned n)
{
	char hex[EVP_MAX_MD_SIZE * 3 + 1] = "";
	for (unsigned i = 0; i < n; i++)
		snprintf(hex + 3 * i, 4, "%02X%s", md[i], i + 1 < n ? ":" : "");
	log_info("%s: %s", label, hex);
}

/* Both fingerprints, labelled: tools show the certificate's, while
 * Lagrange and Amfora pin and show the SHA-256 of the public key (its
 * DER SubjectPublicKeyInfo), which survives a renewal with the same key. */
static void print_fingerprints(SSL_CTX *ctx)
{
	X509 *cert = SSL_CTX_get0_certificate(ctx);
	unsigned char md[EVP_MAX_MD_SIZE], *spki = NULL;
	unsigned int n = 0;
	if (!cert)
		return;
	if (X509_digest(cert, EVP_sha256(), md, &n))
		log_digest("certificate SHA-256 fingerprint", md, n);
	int len = i2d_PUBKEY(X509_get0_pubkey(cert), &spki);
	if (len > 0 && EVP_Digest(spki, (size_t)len, md, &n, EVP_sha256(),
	    NULL))
		log_digest("public key SHA-256 fingerprint (Lagrange, Amfora)",
		    md, n);
	OPENSSL_free(spki);
	ERR_clear_error();
}

SSL_CTX *tls_context_new(const struct config *cfg, SSL_CTX *previous)
{
	char cert_path[4096], key_path[4096];
	if (cfg->cert_file) {
		snprintf(cert_path, sizeof cert_path, "%s", cfg->cert_file);
		snprintf(key_path, sizeof key_path, "%s", cfg->key_file);
	} else {
		snprintf(cert_path, sizeof cert_path, "%s/cert.pem", cfg->certs_dir);
		snprintf(key_path, sizeof key_path, "%s/key.pem", cfg->certs_dir);
		if (access(cert_path, F_OK) < 0 && access(key_path, F_OK) < 0 &&
		    generate(cfg, cert_path, key_path) < 0)
			return NULL;
	}

	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx) {
		log_ssl("TLS context");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_CIPHER_SERVER_PREFERENCE);
	/* The lists were checked with the options; this repeats it for the
	 * defaults and for callers that skipped config_parse_args. */
	const char *ciphers = cfg->ciphers ? cfg->ciphers : default_ciphers;
	const char *suites = cfg->ciphersuites ? cfg->ciphersuites :
	    default_ciphersuites;
	char why[256];
	if (set_cipher_list(ctx, ciphers, false, why, sizeof why) < 0) {
		log_error("--ciphers \"%s\": %s", ciphers, why);
		goto fail;
	}
	if (set_cipher_list(ctx, suites, true, why, sizeof why) < 0) {
		log_error("--ciphersuites \"%s\": %s", suites, why);
		goto fail;
	}
	/* Idle connections keep no read/write buffers. */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	/* A returning client resumes with its ticket; one is plenty. */
	SSL_CTX_set_num_tickets(ctx, 1);
	SSL_CTX_set_tlsext_servername_callback(ctx, check_sni);
	SSL_CTX_set_tlsext_servername_arg(ctx, (void *)cfg);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert_path) != 1) {
		log_ssl(cert_path);
		goto fail;
	}
	EVP_PKEY *key = load_key(key_path);
	if (!key)
		goto fail;
	if (SSL_CTX_use_PrivateKey(ctx, key) != 1) {
		EVP_PKEY_free(key);
		log_ssl(key_path);
		goto fail;
	}
	EVP_PKEY_free(key);
	if (SSL_CTX_check_private_key(ctx) != 1) {
		log_ssl("the key does not match the certificate");
		goto fail;
	}
	/* Instances that share ticket keys resume each other's sessions; one
	 * alone keeps them, and a resumption costs it no ticket to decrypt,
	 * decode, encode and encrypt again (about 7% of its instructions). */
	if ((cfg->nticket_keys ? tickets_attach(ctx, cfg->ticket_keys,
	    cfg->nticket_keys) : sessions_attach(ctx, previous)) < 0)
		goto fail;
	print_fingerprints(ctx);
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}
