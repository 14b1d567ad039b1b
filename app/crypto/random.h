/* Randomness for tokens, nonces, PKCE verifiers and ids, all from OpenSSL's
 * CSPRNG. There is no fallback: a service that cannot get secure random bytes
 * must not issue credentials, so every failure aborts the worker. */
#ifndef FA_CRYPTO_RANDOM_H
#define FA_CRYPTO_RANDOM_H

#include <stddef.h>

#include "core/arena.h"

#define FA_UUID_STR_LEN 36

/* Fills buf with len bytes from RAND_bytes; aborts on failure. */
void fa_random_bytes(void *buf, size_t len);

/* nbytes random bytes as an unpadded base64url NUL-terminated arena string
 * (32 bytes -> 43 characters). Never NULL. */
char *fa_random_token_b64url(fa_arena_t *arena, size_t nbytes);

/* A random (version 4, RFC 9562 variant) UUID in canonical lower-case form,
 * e.g. "0f8e3c2a-5b7d-4e1f-9a2b-3c4d5e6f7a8b", NUL-terminated. */
void fa_random_uuid_v4(char out[FA_UUID_STR_LEN + 1]);

#endif
