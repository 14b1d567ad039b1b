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
    for (size_t i = 0; i < n; i++) {
        fa_kdf_derive(secrets[i], strlen(secrets[i]), label, ring->keys[i], FA_AEAD_KEY_LEN);
        /* From the derived key, not the secret: an id reveals no more than a
         * hash of a 256-bit key, and differs per purpose label. */
        fa_kdf_hkdf(FA_KDF_SALT, strlen(FA_KDF_SALT), ring->keys[i], FA_AEAD_KEY_LEN,
                    FA_KDF_LABEL_SEALED_KEY_ID, strlen(FA_KDF_LABEL_SEALED_KEY_ID), ring->ids[i],
                    FA_AEAD_KEY_ID_LEN);
    }
    ring->count = n;
}

void fa_keyring_derive(fa_keyring_t *out, const fa_keyring_t *base, const void *context,
                       size_t context_len)
{
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < base->count; i++)
        fa_hmac_sha256(base->keys[i], FA_AEAD_KEY_LEN, context, context_len, out->keys[i]);
    memcpy(out->ids, base->ids, sizeof(out->ids));
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
    fa_aead_seal(ring->keys[0], ring->ids[0], aad, strlen(aad), plain, len, arena, out, outlen);
}

int fa_keyring_position(const fa_keyring_t *ring, const void *sealed, size_t sealed_len)
{
    uint8_t id[FA_AEAD_KEY_ID_LEN];
    if (!fa_aead_key_id(sealed, sealed_len, id))
        return -1;
    for (size_t i = 0; i < ring->count; i++)
        if (memcmp(ring->ids[i], id, FA_AEAD_KEY_ID_LEN) == 0)
            return (int)i;
    return -1;
}

bool fa_keyring_open(const fa_keyring_t *ring, fa_arena_t *arena, const char *aad,
                     const void *sealed, size_t sealed_len, uint8_t **plain, size_t *plainlen)
{
    uint8_t id[FA_AEAD_KEY_ID_LEN];
    /* Version 1 names no key; a version 2 value opens only under the key its
     * (authenticated) id names, the others would fail the tag anyway. */
    bool named = fa_aead_key_id(sealed, sealed_len, id);
    for (size_t i = 0; i < ring->count; i++) {
        if (named && memcmp(ring->ids[i], id, FA_AEAD_KEY_ID_LEN) != 0)
            continue;
        if (fa_aead_open(ring->keys[i], aad, strlen(aad), sealed, sealed_len, arena, plain,
                         plainlen))
            return true;
    }
    *plain = NULL;
    *plainlen = 0;
    return false;
}
