/* Owns: the list of at-rest keys. Never: keeps a key outside the ring struct
 * (callers wipe it with fa_keyring_clear). */
#include "crypto/keyring.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/hash.h"
#include "crypto/kdf.h"

void fa_keyring_init(fa_keyring_t *ring, const char *label, const char *const *secrets, size_t n)
{
    memset(ring, 0, sizeof(*ring));
    if (n == 0 || n > FA_KEYRING_MAX)
        abort();
    for (size_t i = 0; i < n; i++)
        fa_kdf_derive(secrets[i], strlen(secrets[i]), label, ring->keys[i], FA_AEAD_KEY_LEN);
    ring->count = n;
}

void fa_keyring_derive(fa_keyring_t *out, const fa_keyring_t *base, const void *context,
                       size_t context_len)
{
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < base->count; i++)
        fa_hmac_sha256(base->keys[i], FA_AEAD_KEY_LEN, context, context_len, out->keys[i]);
    out->count = base->count;
}

void fa_keyring_clear(fa_keyring_t *ring)
{
    /* A base ring's keys are HMAC keys (fa_keyring_derive), which the HMAC
     * context cache copies (crypto/hash.c). */
    for (size_t i = 0; i < ring->count && i < FA_KEYRING_MAX; i++)
        fa_hmac_sha256_forget(ring->keys[i], FA_AEAD_KEY_LEN);
    OPENSSL_cleanse(ring, sizeof(*ring));
}

void fa_keyring_seal(const fa_keyring_t *ring, fa_arena_t *arena, const char *aad,
                     const void *plain, size_t len, uint8_t **out, size_t *outlen)
{
    if (ring->count == 0)
        abort();
    fa_aead_seal(ring->keys[0], aad, strlen(aad), plain, len, arena, out, outlen);
}

bool fa_keyring_open(const fa_keyring_t *ring, fa_arena_t *arena, const char *aad,
                     const void *sealed, size_t sealed_len, uint8_t **plain, size_t *plainlen)
{
    for (size_t i = 0; i < ring->count; i++)
        if (fa_aead_open(ring->keys[i], aad, strlen(aad), sealed, sealed_len, arena, plain,
                         plainlen))
            return true;
    return false;
}
