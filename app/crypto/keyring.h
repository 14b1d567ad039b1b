/* Encryption at rest under keys derived from the configured secret list
 * (FOUNDRY_AUTH_SECRET): the first secret's key seals, every key opens, so a
 * secret rotation does not orphan GitHub tokens or JWT keys already stored.
 * Sealing binds each value to its place with an aad that names its row and
 * column, such as "accounts:github:<user id>:access".
 *
 * Each key has a public 4-byte id, written into every value it seals (see
 * crypto/aead.h), so `keys reseal` and `admin check` can tell which values
 * still need an older secret without trying to decrypt them. */
#ifndef FA_CRYPTO_KEYRING_H
#define FA_CRYPTO_KEYRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "crypto/aead.h"

#define FA_KEYRING_MAX 4

typedef struct {
    uint8_t keys[FA_KEYRING_MAX][FA_AEAD_KEY_LEN];
    /* ids[i] = HKDF(keys[i], FA_KDF_LABEL_SEALED_KEY_ID), truncated: public. */
    uint8_t ids[FA_KEYRING_MAX][FA_AEAD_KEY_ID_LEN];
    size_t count;
} fa_keyring_t;

/* key i = fa_kdf_derive(secrets[i], label); at most FA_KEYRING_MAX. */
void fa_keyring_init(fa_keyring_t *ring, const char *label, const char *const *secrets, size_t n);
/* A ring whose keys are HMAC(base key i, context): keys only someone holding
 * context (e.g. the browser-binding cookie) can re-derive. Key i keeps the id
 * of base key i, so its values count toward the secret they came from. */
void fa_keyring_derive(fa_keyring_t *out, const fa_keyring_t *base, const void *context,
                       size_t context_len);
void fa_keyring_clear(fa_keyring_t *ring);

void fa_keyring_seal(const fa_keyring_t *ring, fa_arena_t *arena, const char *aad,
                     const void *plain, size_t len, uint8_t **out, size_t *outlen);
/* Opens with the key the header names (a version 1 value, which names none:
 * tries every key); false when none opens it (wrong key, aad or tampering). */
bool fa_keyring_open(const fa_keyring_t *ring, fa_arena_t *arena, const char *aad,
                     const void *sealed, size_t sealed_len, uint8_t **plain, size_t *plainlen);

/* Position of the key (0 = the sealing one) whose id the sealed value names;
 * -1 for a version 1 value, an id no key of the ring has, or a malformed one.
 * Says nothing about whether the value opens. */
int fa_keyring_position(const fa_keyring_t *ring, const void *sealed, size_t sealed_len);

#endif
