/* SHA-256, HMAC-SHA256, constant-time comparison and hex: the primitives the
 * session index (SHA-256 of tokens), admin tokens and signatures are built on.
 * OpenSSL does the work; a failure inside OpenSSL means the library or its
 * provider is broken, and the process aborts rather than authenticate
 * without it. */
#ifndef FA_CRYPTO_HASH_H
#define FA_CRYPTO_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"

#define FA_SHA256_LEN 32
#define FA_SHA256_HEX_LEN 64

void fa_sha256(const void *data, size_t len, uint8_t out[FA_SHA256_LEN]);

/* HMAC-SHA256 (RFC 2104). keylen may be 0; keys longer than 64 bytes are
 * hashed first, as the RFC says. */
void fa_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t msglen,
                    uint8_t out[FA_SHA256_LEN]);

/* Drops the cached context keyed with key, if any, and wipes the cache's
 * copy of the key (the context's own copy is wiped by OpenSSL when freed).
 * Whoever wipes a long-lived HMAC key calls this too, or the key would
 * outlive its owner in static memory. A later fa_hmac_sha256() with the same
 * key simply caches it again. */
void fa_hmac_sha256_forget(const void *key, size_t keylen);

/* True if the len bytes at a and b are equal; the time taken depends only on
 * len, never on where they differ (CRYPTO_memcmp). Use for every comparison
 * involving a secret, a MAC or a hash of a secret. */
bool fa_ct_equal(const void *a, const void *b, size_t len);

/* Lower-case hex of len bytes into out, which must hold 2 * len + 1 chars;
 * NUL-terminated. */
void fa_hex_encode(const void *in, size_t len, char *out);

/* Same, into a fresh arena string. Never NULL. */
char *fa_hex_encode_arena(fa_arena_t *arena, const void *in, size_t len);

#endif
