/* tickets.c - session ticket keys: read from files several instances share,
 * or made at random and rotated, and handed to OpenSSL through its ticket
 * key callback. A key is AES-256-CBC plus HMAC-SHA256, as nginx's are. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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
	time_t born;               /* CLOCK_MONOTONIC seconds */
};

/* One per SSL_CTX. The callback runs on every worker's thread, and a
 * random key is replaced from inside it, hence the lock. */
struct ticket_keys {
	pthread_mutex_t lock;
	bool rotating;             /* random keys, not files */
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
	pthread_mutex_destroy(&k->lock);
	OPENSSL_cleanse(k->keys, sizeof k->keys);
	free(k);
}

static void make_index(void)
{
	ex_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, free_keys);
}

static time_t now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static int random_key(struct ticket_key *key)
{
	if (RAND_bytes(key->name, sizeof key->name) <= 0 ||
	    RAND_bytes(key->hmac, sizeof key->hmac) <= 0 ||
	    RAND_bytes(key->aes, sizeof key->aes) <= 0)
		return -1;
	key->born = now();
	return 0;
}

/* A new random key first; the one it replaces still decrypts tickets it
 * issued, for one more lifetime. Called with the lock held. */
static void rotate(struct ticket_keys *k)
{
	struct ticket_key fresh;
	if (random_key(&fresh) < 0)
		return;        /* keep the old key rather than none */
	k->keys[1] = k->keys[0];
	k->keys[0] = fresh;
	k->n = 2;
	OPENSSL_cleanse(&fresh, sizeof fresh);
}

static int ticket_cb(SSL *ssl, unsigned char name[16],
    unsigned char iv[EVP_MAX_IV_LENGTH], EVP_CIPHER_CTX *cctx,
    EVP_MAC_CTX *hctx, int enc)
{
	struct ticket_keys *k = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl),
	    ex_index);
	struct ticket_key key;
	int rc = 1;
	pthread_mutex_lock(&k->lock);
	if (enc) {
		if (k->rotating && now() - k->keys[0].born >=
		    TICKET_ROTATE_SECONDS)
			rotate(k);
		key = k->keys[0];
	} else {
		size_t i = 0;
		while (i < k->n && memcmp(k->keys[i].name, name, 16) != 0)
			i++;
		if (i == k->n) {
			/* Another instance's or an expired key: a full
			 * handshake, and a ticket of ours. */
			pthread_mutex_unlock(&k->lock);
			return 0;
		}
		key = k->keys[i];
		/* Resume, and send a fresh ticket: in TLS 1.3 OpenSSL sends
		 * none after a resumption unless told to renew, and a client
		 * that uses a ticket once (as RFC 8446 advises, for privacy)
		 * would then do a full handshake every other time. */
		rc = 2;
	}
	pthread_mutex_unlock(&k->lock);

	int ok;
	if (enc) {
		memcpy(name, key.name, 16);
		ok = RAND_bytes(iv, 16) > 0 && EVP_EncryptInit_ex(cctx,
		    EVP_aes_256_cbc(), NULL, key.aes, iv);
	} else {
		ok = EVP_DecryptInit_ex(cctx, EVP_aes_256_cbc(), NULL, key.aes,
		    iv);
	}
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, key.hmac,
		    sizeof key.hmac),
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
		    (char *)"SHA256", 0),
		OSSL_PARAM_construct_end(),
	};
	ok = ok && EVP_MAC_CTX_set_params(hctx, params);
	OPENSSL_cleanse(&key, sizeof key);
	return ok ? rc : -1;
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
	key->born = now();
	OPENSSL_cleanse(buf, sizeof buf);
	return 0;
}

int tickets_attach(SSL_CTX *ctx, const char *const *files, size_t nfiles)
{
	pthread_once(&ex_once, make_index);
	if (ex_index < 0 || nfiles > TICKET_KEY_FILES_MAX) {
		log_error("ticket keys: at most %d files", TICKET_KEY_FILES_MAX);
		return -1;
	}
	struct ticket_keys *k = xcalloc(1, sizeof *k);
	pthread_mutex_init(&k->lock, NULL);
	k->rotating = nfiles == 0;
	for (size_t i = 0; i < nfiles; i++)
		if (load_key_file(files[i], &k->keys[k->n++]) < 0)
			goto fail;
	if (k->rotating) {
		if (random_key(&k->keys[0]) < 0) {
			log_error("ticket keys: no random bytes");
			goto fail;
		}
		k->n = 1;
	}
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
