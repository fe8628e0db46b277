/* tickets.c - session ticket keys read from files several instances share,
 * handed to OpenSSL through its ticket key callback. A key is AES-256-CBC
 * plus HMAC-SHA256, as nginx's are. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "pollux/log.h"
#include "pollux/tickets.h"
#include "pollux/util.h"

#define KEY_FILE_BYTES 80

struct ticket_key {
	unsigned char name[16], hmac[32], aes[32];
};

/* One per SSL_CTX, read by every worker's thread and never changed. */
struct ticket_keys {
	size_t n;                  /* keys[0] encrypts; all decrypt */
	struct ticket_key keys[TICKET_KEY_FILES_MAX];
};

static int ex_index = -1;
static pthread_once_t ex_once = PTHREAD_ONCE_INIT;

static void free_keys(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx,
    long argl, void *argp)
{
	(void)parent, (void)ad, (void)idx, (void)argl, (void)argp;
	struct ticket_keys *k = ptr;
	if (!k)
		return;
	OPENSSL_cleanse(k->keys, sizeof k->keys);
	free(k);
}

static void make_index(void)
{
	ex_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, free_keys);
}

static int ticket_cb(SSL *ssl, unsigned char name[16],
    unsigned char iv[EVP_MAX_IV_LENGTH], EVP_CIPHER_CTX *cctx,
    EVP_MAC_CTX *hctx, int enc)
{
	struct ticket_keys *k = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl),
	    ex_index);
	const struct ticket_key *key = &k->keys[0];
	if (!enc) {
		size_t i = 0;
		while (i < k->n && memcmp(k->keys[i].name, name, 16) != 0)
			i++;
		if (i == k->n)
			return 0;   /* another key: a full handshake, a new ticket */
		key = &k->keys[i];
	}

	int ok;
	if (enc) {
		memcpy(name, key->name, 16);
		ok = RAND_bytes(iv, 16) > 0 && EVP_EncryptInit_ex(cctx,
		    EVP_aes_256_cbc(), NULL, key->aes, iv);
	} else {
		ok = EVP_DecryptInit_ex(cctx, EVP_aes_256_cbc(), NULL, key->aes,
		    iv);
	}
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY,
		    (void *)key->hmac, sizeof key->hmac),
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
		    (char *)"SHA256", 0),
		OSSL_PARAM_construct_end(),
	};
	ok = ok && EVP_MAC_CTX_set_params(hctx, params);
	/* Resuming, 2 asks for a fresh ticket: in TLS 1.3 OpenSSL sends none
	 * after a resumption unless told to renew, and a client that uses a
	 * ticket once (as RFC 8446 advises, for privacy) would then do a full
	 * handshake every other time. */
	return !ok ? -1 : enc ? 1 : 2;
}

static int load_key_file(const char *path, struct ticket_key *key)
{
	int fd = open_private(path, "the ticket key");
	if (fd < 0)
		return -1;
	unsigned char buf[KEY_FILE_BYTES + 1];
	ssize_t n;
	do
		n = read(fd, buf, sizeof buf);
	while (n < 0 && errno == EINTR);
	/* One read: the file is 80 bytes, far below any pipe or page. */
	close(fd);
	if (n != KEY_FILE_BYTES) {
		log_error("%s: a ticket key file holds exactly %d bytes (for "
		    "example `openssl rand 80 > FILE`), not %zd", path,
		    KEY_FILE_BYTES, n);
		OPENSSL_cleanse(buf, sizeof buf);
		return -1;
	}
	memcpy(key->name, buf, 16);
	memcpy(key->hmac, buf + 16, 32);
	memcpy(key->aes, buf + 48, 32);
	OPENSSL_cleanse(buf, sizeof buf);
	return 0;
}

int tickets_attach(SSL_CTX *ctx, const char *const *files, size_t nfiles)
{
	pthread_once(&ex_once, make_index);
	if (ex_index < 0 || nfiles == 0 || nfiles > TICKET_KEY_FILES_MAX) {
		log_error("ticket keys: 1 to %d files", TICKET_KEY_FILES_MAX);
		return -1;
	}
	struct ticket_keys *k = xcalloc(1, sizeof *k);
	for (size_t i = 0; i < nfiles; i++)
		if (load_key_file(files[i], &k->keys[k->n++]) < 0)
			goto fail;
	if (!SSL_CTX_set_ex_data(ctx, ex_index, k)) {
		log_error("ticket keys: cannot attach them to the TLS context");
		goto fail;
	}
	SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, ticket_cb);
	return 0;
fail:
	free_keys(NULL, k, NULL, 0, 0, NULL);
	return -1;
}
