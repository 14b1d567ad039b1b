/* Signed values handed to clients (PRODUCT.md §5).
 *
 * Session token: token = base64url(32 CSPRNG bytes), 43 characters. The
 * client gets `token.signature` (87 characters) where
 *   signature = base64url(HMAC-SHA256(key, token))         (43 characters)
 *   key       = fa_kdf_derive(secret, "session-token-signing")
 * The database keeps only token_hash = SHA-256 of the 43 ASCII characters of
 * the token part (not of the raw 32 bytes, and never of the signature), so
 * the session_index lookup key is computable from the client value alone.
 *
 * A bad signature is rejected here, before any database access. Secrets
 * rotate: the configured list may hold up to FA_HMAC_KEYS_MAX secrets; the
 * first signs, all verify.
 *
 * Signed value: the same construction for short strings chosen by the
 * service (OAuth browser binding, cookie cache): `value.signature`, with the
 * key derived for the purpose named at fa_hmac_keys_init_purpose(), so a
 * signature made for one purpose never verifies for another. */
#ifndef FA_CRYPTO_SIGNED_TOKEN_H
#define FA_CRYPTO_SIGNED_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/str.h"
#include "crypto/hash.h"

#define FA_HMAC_KEYS_MAX 4
#define FA_HMAC_KEY_LEN 32
#define FA_HMAC_PURPOSE_MAX 63

#define FA_SIGNED_TOKEN_RAW_LEN 32
#define FA_SIGNED_TOKEN_TOKEN_LEN 43     /* base64url of the 32 raw bytes */
#define FA_SIGNED_TOKEN_SIGNATURE_LEN 43 /* base64url of the 32-byte HMAC */
#define FA_SIGNED_TOKEN_LEN (FA_SIGNED_TOKEN_TOKEN_LEN + 1 + FA_SIGNED_TOKEN_SIGNATURE_LEN)

/* Longest value fa_signed_value_create() signs. */
#define FA_SIGNED_VALUE_MAX 2048

/* Derived keys for one purpose. Plain bytes, no pointers: safe to build in the
 * master and inherit across fork. Wipe with fa_hmac_keys_clear(). */
typedef struct {
    uint8_t keys[FA_HMAC_KEYS_MAX][FA_HMAC_KEY_LEN];
    size_t count;
    char purpose[FA_HMAC_PURPOSE_MAX + 1];
} fa_hmac_keys_t;

/* Session-token keys: key i = fa_kdf_derive(secrets[i], "session-token-signing").
 * secrets[0] signs. Returns false (keys left cleared) if n is 0 or above
 * FA_HMAC_KEYS_MAX, or a secret is NULL or empty; secret strength is the
 * config module's job. */
bool fa_hmac_keys_init(fa_hmac_keys_t *keys, const char *const *secrets, size_t n);

/* Same for another purpose (an FA_KDF_LABEL_* constant other than the session
 * one); aborts if purpose is empty or longer than FA_HMAC_PURPOSE_MAX. */
bool fa_hmac_keys_init_purpose(fa_hmac_keys_t *keys, const char *purpose,
                               const char *const *secrets, size_t n);

/* Wipes the key material (OPENSSL_cleanse) and empties the set. */
void fa_hmac_keys_clear(fa_hmac_keys_t *keys);

/* New session token signed with keys->keys[0]: *client_value is a
 * NUL-terminated arena string of FA_SIGNED_TOKEN_LEN characters, token_hash_out
 * the SHA-256 to store in session_index. Aborts if keys are not session keys. */
void fa_signed_token_create(const fa_hmac_keys_t *keys, fa_arena_t *arena, char **client_value,
                            uint8_t token_hash_out[FA_SHA256_LEN]);

/* Checks a client value: exactly FA_SIGNED_TOKEN_LEN characters, base64url
 * token, one '.', base64url signature, and a signature that matches one of
 * the keys (compared in constant time). No allocation, no database. On
 * success fills token_hash_out; on failure leaves it zeroed. */
bool fa_signed_token_verify(const fa_hmac_keys_t *keys, fa_str_t client_value,
                            uint8_t token_hash_out[FA_SHA256_LEN]);

/* `value.signature` as a NUL-terminated arena string, signed with
 * keys->keys[0]. value may contain any bytes (the caller keeps it
 * cookie-safe). Aborts if value is longer than FA_SIGNED_VALUE_MAX or the keys
 * are session keys (a session key must sign nothing but session tokens). */
char *fa_signed_value_create(const fa_hmac_keys_t *keys, fa_arena_t *arena, fa_str_t value);

/* Verifies `value.signature` (the signature is the last 43 characters and
 * the character before them is '.'); on success *value_out points at the
 * value inside client_value. Returns false, with *value_out = FA_STR_NULL, otherwise. */
bool fa_signed_value_verify(const fa_hmac_keys_t *keys, fa_str_t client_value, fa_str_t *value_out);

#endif
