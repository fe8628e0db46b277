/* tls.c - the server's OpenSSL context: TLS 1.2 or newer, one session
 * ticket per connection, SNI checked against our host names, and the
 * certificate (given, or generated once and kept in the certs folder). */
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
#include "pollux/tls.h"
#include "pollux/util.h"

#define CERT_DAYS (10 * 365)

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

static void print_fingerprint(SSL_CTX *ctx)
{
	X509 *cert = SSL_CTX_get0_certificate(ctx);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	if (!cert || !X509_digest(cert, EVP_sha256(), md, &n))
		return;
	char hex[EVP_MAX_MD_SIZE * 3 + 1];
	for (unsigned i = 0; i < n; i++)
		snprintf(hex + 3 * i, 4, "%02X%s", md[i], i + 1 < n ? ":" : "");
	log_info("certificate SHA-256 fingerprint: %s", hex);
}

SSL_CTX *tls_context_new(const struct config *cfg)
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
	/* Idle connections keep no read/write buffers. */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	/* A returning client resumes with its ticket; one is plenty. Tickets
	 * carry the session, so the server keeps no cache to search and
	 * flush (OpenSSL walks the whole cache every 255 connections). */
	SSL_CTX_set_num_tickets(ctx, 1);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_tlsext_servername_callback(ctx, check_sni);
	SSL_CTX_set_tlsext_servername_arg(ctx, (void *)cfg);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert_path) != 1) {
		log_ssl(cert_path);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key_path, SSL_FILETYPE_PEM) != 1) {
		log_ssl(key_path);
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		log_ssl("the key does not match the certificate");
		goto fail;
	}
	print_fingerprint(ctx);
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}
