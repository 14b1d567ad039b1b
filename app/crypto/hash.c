/* Owns: digest, MAC and comparison helpers over OpenSSL. Never: compares a
 * secret with memcmp, or returns a partial digest on failure. */
#include "crypto/hash.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fa_hash_fatal(const char *what)
{
    fprintf(stderr, "{\"level\":\"fatal\",\"module\":\"crypto\",\"msg\":\"could not %s\"}\n", what);
    abort();
}

/* OpenSSL 3 looks an algorithm up in its provider tables on every implicit
 * use (EVP_sha256(), HMAC()); a session check hashes and MACs once each, so
 * the lookups were a third of its CPU. Fetch once per process instead. */
static EVP_MD *fa_sha256_md;
static EVP_MAC_CTX *fa_hmac_template; /* HMAC with its digest already set */
static pthread_once_t fa_fetch_once = PTHREAD_ONCE_INIT;

static void fa_fetch_algorithms(void)
{
    fa_sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    fa_hmac_template = mac ? EVP_MAC_CTX_new(mac) : NULL;
    EVP_MAC_free(mac); /* the context keeps its own reference */
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0),
                           OSSL_PARAM_construct_end()};
    if (!fa_sha256_md || !fa_hmac_template || !EVP_MAC_CTX_set_params(fa_hmac_template, params))
        fa_hash_fatal("fetch SHA256 and HMAC from OpenSSL");
}

void fa_sha256(const void *data, size_t len, uint8_t out[FA_SHA256_LEN])
{
    pthread_once(&fa_fetch_once, fa_fetch_algorithms);
    unsigned int outlen = 0;
    if (!EVP_Digest(data, len, out, &outlen, fa_sha256_md, NULL) || outlen != FA_SHA256_LEN)
        fa_hash_fatal("compute sha-256");
}

/* Keyed HMAC contexts for the few keys a process uses over and over (the
 * session-signing keys): re-initialising a keyed context is a reset, while
 * keying a fresh one costs three digest set-ups per call. Other keys (tests,
 * one-off derivations) take the uncached path. */
#define FA_HMAC_CACHE 8
#define FA_HMAC_CACHE_KEY_MAX 64

typedef struct {
    uint8_t key[FA_HMAC_CACHE_KEY_MAX];
    size_t keylen;
    EVP_MAC_CTX *ctx;
} fa_hmac_slot_t;

static fa_hmac_slot_t fa_hmac_cache[FA_HMAC_CACHE];
static size_t fa_hmac_cached;
static pthread_mutex_t fa_hmac_lock = PTHREAD_MUTEX_INITIALIZER;

static bool fa_hmac_run(EVP_MAC_CTX *ctx, const void *key, size_t keylen, const void *msg,
                        size_t msglen, uint8_t out[FA_SHA256_LEN])
{
    size_t outlen = 0;
    return EVP_MAC_init(ctx, key, keylen, NULL) && EVP_MAC_update(ctx, msg, msglen) &&
           EVP_MAC_final(ctx, out, &outlen, FA_SHA256_LEN) && outlen == FA_SHA256_LEN;
}

static EVP_MAC_CTX *fa_hmac_cached_ctx(const void *key, size_t keylen)
{
    for (size_t i = 0; i < fa_hmac_cached; i++)
        if (fa_hmac_cache[i].keylen == keylen &&
            CRYPTO_memcmp(fa_hmac_cache[i].key, key, keylen) == 0)
            return fa_hmac_cache[i].ctx;
    if (fa_hmac_cached == FA_HMAC_CACHE || keylen == 0 || keylen > FA_HMAC_CACHE_KEY_MAX)
        return NULL;
    fa_hmac_slot_t *slot = &fa_hmac_cache[fa_hmac_cached];
    slot->ctx = EVP_MAC_CTX_dup(fa_hmac_template);
    uint8_t ignored[FA_SHA256_LEN];
    if (!slot->ctx || !fa_hmac_run(slot->ctx, key, keylen, "", 0, ignored))
        fa_hash_fatal("key an hmac-sha256 context");
    memcpy(slot->key, key, keylen);
    slot->keylen = keylen;
    fa_hmac_cached++;
    return slot->ctx;
}

void fa_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t msglen,
                    uint8_t out[FA_SHA256_LEN])
{
    /* EVP_MAC_init wants a non-NULL key pointer even for an empty key. */
    static const uint8_t empty_key[1];
    pthread_once(&fa_fetch_once, fa_fetch_algorithms);
    pthread_mutex_lock(&fa_hmac_lock);
    EVP_MAC_CTX *cached = fa_hmac_cached_ctx(key, keylen);
    /* NULL key on a keyed context: reset to that key, no re-keying. */
    bool ok = cached && fa_hmac_run(cached, NULL, 0, msg, msglen, out);
    pthread_mutex_unlock(&fa_hmac_lock);
    if (cached) {
        if (!ok)
            fa_hash_fatal("compute hmac-sha256");
        return;
    }
    EVP_MAC_CTX *ctx = EVP_MAC_CTX_dup(fa_hmac_template);
    ok = ctx && fa_hmac_run(ctx, keylen ? key : empty_key, keylen, msg, msglen, out);
    EVP_MAC_CTX_free(ctx);
    if (!ok)
        fa_hash_fatal("compute hmac-sha256");
}

void fa_hmac_sha256_forget(const void *key, size_t keylen)
{
    pthread_mutex_lock(&fa_hmac_lock);
    for (size_t i = 0; i < fa_hmac_cached; i++) {
        fa_hmac_slot_t *slot = &fa_hmac_cache[i];
        if (slot->keylen != keylen || CRYPTO_memcmp(slot->key, key, keylen) != 0)
            continue;
        EVP_MAC_CTX_free(slot->ctx);
        /* Keep the slots dense: the last one moves into the hole. */
        fa_hmac_cached--;
        if (i != fa_hmac_cached)
            *slot = fa_hmac_cache[fa_hmac_cached];
        OPENSSL_cleanse(&fa_hmac_cache[fa_hmac_cached], sizeof(fa_hmac_cache[0]));
        break;
    }
    pthread_mutex_unlock(&fa_hmac_lock);
}

bool fa_ct_equal(const void *a, const void *b, size_t len)
{
    return CRYPTO_memcmp(a, b, len) == 0;
}

void fa_hex_encode(const void *in, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    const uint8_t *p = in;
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * len] = '\0';
}

char *fa_hex_encode_arena(fa_arena_t *arena, const void *in, size_t len)
{
    if (len > (SIZE_MAX - 1) / 2)
        fa_hash_fatal("hex-encode: input too large");
    char *out = fa_arena_alloc(arena, 2 * len + 1);
    fa_hex_encode(in, len, out);
    return out;
}
