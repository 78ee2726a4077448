// SPDX-License-Identifier: MIT
/*
 * session.c - resumable sessions: a ref-counted handle around wolfSSL's
 * session, its export and import, and the LRU cache that holds them (the
 * client cache, keyed by peer name, port and peer id, and the server
 * cache, keyed by session ID).
 *
 * A cache is a list in most-recently-used order, searched linearly: a
 * lookup costs far less than the handshake it saves for the sizes a
 * process keeps (the default is 1024 entries).
 *
 * Exported sessions are sealed: wolfSSL's parser of its own session bytes
 * is not written for hostile input, so nothing reaches it that did not
 * authenticate under the context's seal key.  The format (version 1):
 *
 *	0x01 | nonce (12, random) | AES-256-GCM(wolfSSL's i2d bytes) | tag (16)
 *
 * with "libktls session" and the version byte as associated data.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ktls_wolf.h"
#include <wolfssl/ssl.h>
#include <wolfssl/wolfcrypt/aes.h>
#include <wolfssl/wolfcrypt/random.h>

#include "ktls_int.h"

struct ktls_session {
	int refs;			/* atomic */
	bool invalid;			/* atomic: ktls_session_invalidate() */
	WOLFSSL_SESSION *ws;
};

struct ktls_session *ktls_session_wrap(void *ws)
{
	struct ktls_session *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->refs = 1;
	s->ws = ws;
	return s;
}

void *ktls_session_wolfssl(const struct ktls_session *s)
{
	return s ? s->ws : NULL;
}

struct ktls_session *ktls_session_ref(struct ktls_session *s)
{
	if (s)
		__atomic_add_fetch(&s->refs, 1, __ATOMIC_RELAXED);
	return s;
}

void ktls_session_free(struct ktls_session *s)
{
	if (!s || __atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	/* wolfSSL wipes the master secret when its last reference goes. */
	wolfSSL_SESSION_free(s->ws);
	free(s);
}

bool ktls_session_resumable(const struct ktls_session *s)
{
	return s && s->ws && !ktls_session_invalid(s) &&
	       wolfSSL_SESSION_is_resumable(s->ws) == 1;
}

/* Never resume @s again, wherever it is held (resume.c). */
void ktls_session_invalidate(struct ktls_session *s)
{
	if (s)
		__atomic_store_n(&s->invalid, true, __ATOMIC_RELEASE);
}

bool ktls_session_invalid(const struct ktls_session *s)
{
	return s && __atomic_load_n(&s->invalid, __ATOMIC_ACQUIRE);
}

ssize_t ktls_session_id(const struct ktls_session *s, uint8_t *buf,
			size_t size)
{
	const unsigned char *id;
	unsigned int len = 0;

	if (!s || !s->ws)
		return -EINVAL;
	id = wolfSSL_SESSION_get_id(s->ws, &len);
	if (!id || len == 0)
		return -ENOENT;
	if (len > KTLS_SESSION_ID_MAX)
		return -EIO;
	if (!buf)
		return (ssize_t)len;
	if (size < len)
		return -ENOSPC;
	memcpy(buf, id, len);
	return (ssize_t)len;
}

/* The sealed format, version 1. */
#define SEAL_VERSION 0x01
#define SEAL_NONCE_LEN 12
#define SEAL_TAG_LEN 16
#define SEAL_OVERHEAD (1 + SEAL_NONCE_LEN + SEAL_TAG_LEN)
static const uint8_t seal_label[] = "libktls session";	/* and its NUL */

_Static_assert(KTLS_SESSION_KEY_LEN == AES_256_KEY_SIZE, "seal key size");

/* The associated data: the label and the version byte. */
static void seal_aad(uint8_t aad[sizeof(seal_label) + 1], uint8_t version)
{
	memcpy(aad, seal_label, sizeof(seal_label));
	aad[sizeof(seal_label)] = version;
}

/* Fill @buf with @len random bytes (wolfCrypt's DRBG). */
static int seal_random(uint8_t *buf, size_t len)
{
	WC_RNG rng;
	int ret;

	if (wc_InitRng(&rng) != 0)
		return -EIO;
	ret = wc_RNG_GenerateBlock(&rng, buf, (word32)len) == 0 ? 0 : -EIO;
	/* Frees the DRBG's state; nothing to report. */
	(void)wc_FreeRng(&rng);
	return ret;
}

/* Copy out @ctx's seal key (a setter may run in another thread). */
static void seal_key(struct ktls_ctx *ctx, uint8_t key[KTLS_SESSION_KEY_LEN])
{
	pthread_mutex_lock(&ctx->seal_lock);
	memcpy(key, ctx->seal_key, KTLS_SESSION_KEY_LEN);
	pthread_mutex_unlock(&ctx->seal_lock);
}

/*
 * AES-256-GCM under @key: encrypt @len bytes from @in to @out and write
 * the tag to @tag, or (!@enc) decrypt and check @tag.  Return: 0; -EBADMSG
 * when the tag does not match; -EIO.
 */
static int seal_gcm(const uint8_t key[KTLS_SESSION_KEY_LEN], bool enc,
		    const uint8_t nonce[SEAL_NONCE_LEN], const uint8_t *in,
		    size_t len, uint8_t *out, uint8_t tag[SEAL_TAG_LEN])
{
	uint8_t aad[sizeof(seal_label) + 1];
	Aes aes;
	int ret;

	seal_aad(aad, SEAL_VERSION);
	if (wc_AesInit(&aes, NULL, INVALID_DEVID) != 0)
		return -EIO;
	ret = wc_AesGcmSetKey(&aes, key, KTLS_SESSION_KEY_LEN);
	if (ret == 0 && enc)
		ret = wc_AesGcmEncrypt(&aes, out, in, (word32)len, nonce,
				       SEAL_NONCE_LEN, tag, SEAL_TAG_LEN, aad,
				       sizeof(aad));
	else if (ret == 0)
		ret = wc_AesGcmDecrypt(&aes, out, in, (word32)len, nonce,
				       SEAL_NONCE_LEN, tag, SEAL_TAG_LEN, aad,
				       sizeof(aad));
	wc_AesFree(&aes);
	explicit_bzero(&aes, sizeof(aes));
	if (ret == AES_GCM_AUTH_E)
		return -EBADMSG;
	return ret == 0 ? 0 : -EIO;
}

ssize_t ktls_session_export(struct ktls_ctx *ctx, const struct ktls_session *s,
			    uint8_t *buf, size_t size)
{
	uint8_t key[KTLS_SESSION_KEY_LEN];
	unsigned char *plain, *p;
	size_t total;
	int len, ret;

	if (!ctx || !s || !s->ws || ktls_session_invalid(s))
		return -EINVAL;
	len = wolfSSL_i2d_SSL_SESSION(s->ws, NULL);
	if (len <= 0 || len > KTLS_SESSION_MAX)
		return -EIO;
	total = SEAL_OVERHEAD + (size_t)len;
	if (!buf)
		return (ssize_t)total;
	if (total > size)
		return -ENOSPC;
	plain = malloc((size_t)len);
	if (!plain)
		return -ENOMEM;
	/* wolfSSL's i2d writes at *p (allocating only when it is NULL). */
	p = plain;
	ret = wolfSSL_i2d_SSL_SESSION(s->ws, &p) == len ? 0 : -EIO;
	buf[0] = SEAL_VERSION;
	if (ret == 0)
		ret = seal_random(buf + 1, SEAL_NONCE_LEN);
	if (ret == 0) {
		seal_key(ctx, key);
		ret = seal_gcm(key, true, buf + 1, plain, (size_t)len,
			       buf + 1 + SEAL_NONCE_LEN,
			       buf + total - SEAL_TAG_LEN);
		explicit_bzero(key, sizeof(key));
	}
	explicit_bzero(plain, (size_t)len);
	free(plain);
	if (ret < 0) {
		explicit_bzero(buf, size);
		return ret;
	}
	return (ssize_t)total;
}

int ktls_session_import(struct ktls_ctx *ctx, const uint8_t *buf, size_t len,
			struct ktls_session **sessp)
{
	uint8_t key[KTLS_SESSION_KEY_LEN], tag[SEAL_TAG_LEN];
	uint8_t *plain;
	size_t n;
	int ret;

	if (!ctx || !buf || !sessp || len == 0)
		return -EINVAL;
	/* Nothing that does not authenticate goes further. */
	if (len <= SEAL_OVERHEAD || len > SEAL_OVERHEAD + KTLS_SESSION_MAX ||
	    buf[0] != SEAL_VERSION)
		return -EBADMSG;
	n = len - SEAL_OVERHEAD;
	plain = malloc(n);
	if (!plain)
		return -ENOMEM;
	memcpy(tag, buf + len - SEAL_TAG_LEN, sizeof(tag));
	seal_key(ctx, key);
	ret = seal_gcm(key, false, buf + 1, buf + 1 + SEAL_NONCE_LEN, n, plain,
		       tag);
	explicit_bzero(key, sizeof(key));
	/* Authenticated: bytes this library wrote under this key. */
	if (ret == 0)
		ret = ktls_session_parse(plain, n, sessp);
	explicit_bzero(plain, n);
	free(plain);
	return ret;
}

int ktls_ctx_set_session_key(struct ktls_ctx *ctx, const uint8_t *key,
			     size_t len)
{
	static const uint8_t zero[KTLS_SESSION_KEY_LEN];

	if (!ctx)
		return -EINVAL;
	ctx->err[0] = '\0';
	if (!key || len != KTLS_SESSION_KEY_LEN) {
		ktls_set_err(ctx->err, "a session key is %d bytes",
			     KTLS_SESSION_KEY_LEN);
		return -EINVAL;
	}
	if (!memcmp(key, zero, sizeof(zero))) {
		ktls_set_err(ctx->err, "a session key of all zeros is no key");
		return -EINVAL;
	}
	pthread_mutex_lock(&ctx->seal_lock);
	memcpy(ctx->seal_key, key, KTLS_SESSION_KEY_LEN);
	pthread_mutex_unlock(&ctx->seal_lock);
	return 0;
}

/*
 * ktls_session_parse() - wolfSSL's own parse of its i2d bytes, unsealed
 * @buf: the bytes
 * @len: their length; every byte must belong to the session
 * @sessp: set to the new session
 *
 * Only for bytes that authenticated (and for tests and fuzzing): wolfSSL's
 * parser is not meant for hostile input.
 *
 * Return: 0; -EBADMSG if wolfSSL does not take the bytes, or leaves some
 * over; -EINVAL; -ENOMEM; -EIO.
 */
int ktls_session_parse(const uint8_t *buf, size_t len,
		       struct ktls_session **sessp)
{
	const unsigned char *p = buf;
	WOLFSSL_SESSION *ws;
	struct ktls_session *s;

	if (!buf || !sessp || len == 0 || len > KTLS_SESSION_MAX)
		return -EINVAL;
	if (ktls_init() < 0)
		return -EIO;
	ws = wolfSSL_d2i_SSL_SESSION(NULL, &p, (long)len);
	if (!ws)
		return -EBADMSG;
	if ((size_t)(p - buf) != len) {
		wolfSSL_SESSION_free(ws);
		return -EBADMSG;
	}
	s = ktls_session_wrap(ws);
	if (!s) {
		wolfSSL_SESSION_free(ws);
		return -ENOMEM;
	}
	*sessp = s;
	return 0;
}

/* The cache. */

struct ktls_cache_entry {
	struct ktls_cache_entry *prev, *next;
	struct ktls_session *sess;
	uint64_t expires;
	size_t key_len;
	uint8_t key[];
};

static void entry_unlink(struct ktls_cache *c, struct ktls_cache_entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		c->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		c->tail = e->prev;
	e->prev = e->next = NULL;
	c->count--;
}

static void entry_push_front(struct ktls_cache *c, struct ktls_cache_entry *e)
{
	e->prev = NULL;
	e->next = c->head;
	if (c->head)
		c->head->prev = e;
	c->head = e;
	if (!c->tail)
		c->tail = e;
	c->count++;
}

static void entry_free(struct ktls_cache_entry *e)
{
	ktls_session_free(e->sess);
	explicit_bzero(e->key, e->key_len);
	free(e);
}

static struct ktls_cache_entry *find(struct ktls_cache *c, const void *key,
				     size_t len)
{
	struct ktls_cache_entry *e;

	for (e = c->head; e; e = e->next)
		if (e->key_len == len && !memcmp(e->key, key, len))
			return e;
	return NULL;
}

void ktls_cache_init(struct ktls_cache *c, unsigned int capacity,
		     unsigned int lifetime)
{
	memset(c, 0, sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
	c->capacity = capacity;
	c->lifetime = lifetime;
}

void ktls_cache_clear(struct ktls_cache *c)
{
	struct ktls_cache_entry *e, *next;

	pthread_mutex_lock(&c->lock);
	for (e = c->head; e; e = next) {
		next = e->next;
		entry_free(e);
	}
	c->head = c->tail = NULL;
	c->count = 0;
	pthread_mutex_unlock(&c->lock);
}

void ktls_cache_destroy(struct ktls_cache *c)
{
	ktls_cache_clear(c);
	pthread_mutex_destroy(&c->lock);
}

/* Change size and lifetime; entries over the new size go, oldest first. */
void ktls_cache_configure(struct ktls_cache *c, unsigned int capacity,
			  unsigned int lifetime)
{
	pthread_mutex_lock(&c->lock);
	c->capacity = capacity;
	c->lifetime = lifetime;
	while (c->count > c->capacity) {
		struct ktls_cache_entry *e = c->tail;

		entry_unlink(c, e);
		entry_free(e);
	}
	pthread_mutex_unlock(&c->lock);
}

/*
 * Store @sess (the cache takes its own reference) under @key at time
 * @now, replacing what was there; the least recently used entry goes
 * when the cache is full.
 *
 * Return: 0; -ENOMEM; -EINVAL for a bad key; -ENOSPC for a cache of size
 * 0 (off).
 */
int ktls_cache_put(struct ktls_cache *c, const void *key, size_t len,
		   struct ktls_session *sess, uint64_t now)
{
	struct ktls_cache_entry *e, *old;

	if (!key || len == 0 || len > 1024 || !sess)
		return -EINVAL;
	if (c->capacity == 0)
		return -ENOSPC;
	e = malloc(sizeof(*e) + len);
	if (!e)
		return -ENOMEM;
	e->prev = e->next = NULL;
	e->sess = ktls_session_ref(sess);
	e->expires = now + c->lifetime;
	e->key_len = len;
	memcpy(e->key, key, len);

	pthread_mutex_lock(&c->lock);
	old = find(c, key, len);
	if (old) {
		entry_unlink(c, old);
		entry_free(old);
	}
	while (c->count >= c->capacity) {
		old = c->tail;
		entry_unlink(c, old);
		entry_free(old);
	}
	entry_push_front(c, e);
	pthread_mutex_unlock(&c->lock);
	return 0;
}

/*
 * The session stored under @key, as a new reference the caller frees, or
 * NULL when there is none or it expired (it is then dropped).  A hit
 * becomes the most recently used entry.
 */
struct ktls_session *ktls_cache_get(struct ktls_cache *c, const void *key,
				    size_t len, uint64_t now)
{
	struct ktls_cache_entry *e;
	struct ktls_session *s = NULL;

	if (!key || len == 0)
		return NULL;
	pthread_mutex_lock(&c->lock);
	e = find(c, key, len);
	if (e) {
		entry_unlink(c, e);
		if (now >= e->expires) {
			entry_free(e);
		} else {
			s = ktls_session_ref(e->sess);
			entry_push_front(c, e);
		}
	}
	pthread_mutex_unlock(&c->lock);
	return s;
}

/* Drop the entry under @key, if any. */
void ktls_cache_remove(struct ktls_cache *c, const void *key, size_t len)
{
	struct ktls_cache_entry *e;

	pthread_mutex_lock(&c->lock);
	e = find(c, key, len);
	if (e) {
		entry_unlink(c, e);
		entry_free(e);
	}
	pthread_mutex_unlock(&c->lock);
}

/* Drop the entry under @key if it holds @sess (and not a newer one). */
void ktls_cache_remove_session(struct ktls_cache *c, const void *key,
			       size_t len, const struct ktls_session *sess)
{
	struct ktls_cache_entry *e;

	pthread_mutex_lock(&c->lock);
	e = find(c, key, len);
	if (e && e->sess == sess) {
		entry_unlink(c, e);
		entry_free(e);
	}
	pthread_mutex_unlock(&c->lock);
}

unsigned int ktls_cache_count(struct ktls_cache *c)
{
	unsigned int n;

	pthread_mutex_lock(&c->lock);
	n = c->count;
	pthread_mutex_unlock(&c->lock);
	return n;
}

uint64_t ktls_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec;
}

/* Caches of @size entries for @lifetime seconds, on @ctx and its wolfSSL
 * context. */
int ktls_ctx_set_session_cache(struct ktls_ctx *ctx, unsigned int size,
			       unsigned int lifetime)
{
	if (!ctx)
		return -EINVAL;
	ctx->err[0] = '\0';
	if (lifetime == 0 || lifetime > 7 * 24 * 3600) {
		ktls_set_err(ctx->err, "a session lifetime is 1 s to a week");
		return -EINVAL;
	}
	ktls_cache_configure(&ctx->client_cache, size, lifetime);
	ktls_cache_configure(&ctx->server_cache, size, lifetime);
	/* Returns the previous timeout in this build, not a status. */
	(void)wolfSSL_CTX_set_timeout(ctx->wctx, lifetime);
	ctx->session_lifetime = lifetime;
	if (ktls_ctx_ticket_hint(ctx) < 0)
		return -EIO;
	/* With the cache off a server sends no session ID at all. */
	if (wolfSSL_CTX_set_session_cache_mode(ctx->wctx, size ?
			WOLFSSL_SESS_CACHE_NO_INTERNAL :
			WOLFSSL_SESS_CACHE_OFF) != WOLFSSL_SUCCESS)
		return -EIO;
	return 0;
}

/*
 * How long tickets a server issues live.  wolfSSL's own ticket keys live
 * an hour and a ticket is only sealed with a key that outlives it; past
 * half an hour both keys can be too young to expire and too old to use,
 * and every later handshake fails (BAD_STATE_E).  So with those keys
 * tickets live half an hour at most; with the application's, as long as
 * sessions.
 */
int ktls_ctx_ticket_hint(struct ktls_ctx *ctx)
{
	unsigned int hint = ctx->session_lifetime;

	if (!ctx->tickets && hint > KTLS_TICKET_MAX)
		hint = KTLS_TICKET_MAX;
	return wolfSSL_CTX_set_TicketHint(ctx->wctx, (int)hint) ==
	       WOLFSSL_SUCCESS ? 0 : -EIO;
}

/* Set up @ctx's caches and give it a random seal key;
 * ktls_ctx_sessions_destroy() undoes it.  resume.c hooks the caches into
 * its wolfSSL context (ktls_resume_hook()). */
int ktls_ctx_sessions_init(struct ktls_ctx *ctx)
{
	ktls_cache_init(&ctx->client_cache, KTLS_CACHE_SIZE,
			KTLS_CACHE_LIFETIME);
	ktls_cache_init(&ctx->server_cache, KTLS_CACHE_SIZE,
			KTLS_CACHE_LIFETIME);
	pthread_mutex_init(&ctx->seal_lock, NULL);
	if (seal_random(ctx->seal_key, sizeof(ctx->seal_key)) < 0)
		return -EIO;
	return ktls_ctx_set_session_cache(ctx, KTLS_CACHE_SIZE,
					  KTLS_CACHE_LIFETIME);
}

void ktls_ctx_flush_sessions(struct ktls_ctx *ctx)
{
	if (!ctx)
		return;
	ktls_cache_clear(&ctx->client_cache);
	ktls_cache_clear(&ctx->server_cache);
}

void ktls_ctx_sessions_destroy(struct ktls_ctx *ctx)
{
	ktls_cache_destroy(&ctx->client_cache);
	ktls_cache_destroy(&ctx->server_cache);
	explicit_bzero(ctx->seal_key, sizeof(ctx->seal_key));
	pthread_mutex_destroy(&ctx->seal_lock);
}
