/* Owns: AES-256-GCM sealing of secrets stored in the database. Never: returns
 * plain text whose tag did not verify, or reuses a nonce (each seal draws a
 * fresh one from the CSPRNG). */
#include "crypto/aead.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/random.h"

typedef struct {
    const uint8_t *ptr;
    size_t len;
} fa_bytes_t;

/* One GCM pass. aad is the concatenation of the pieces in aads (the sealed
 * format authenticates its version byte ahead of the caller's aad). On
 * decryption the tag is checked by EVP_DecryptFinal_ex. */
static bool fa_gcm_run(bool encrypt, const uint8_t key[FA_AEAD_KEY_LEN],
                       const uint8_t nonce[FA_AEAD_NONCE_LEN], const fa_bytes_t *aads, size_t naads,
                       const uint8_t *in, size_t len, uint8_t *out, uint8_t tag[FA_AEAD_TAG_LEN])
{
    bool ok = false;
    int n = 0;
    uint8_t final_block[16]; /* GCM's final step writes nothing; out may be NULL */
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (!ctx || len > FA_AEAD_MAX_LEN)
        goto out;
    if (EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, nonce, encrypt ? 1 : 0) != 1)
        goto out;
    for (size_t i = 0; i < naads; i++) {
        if (aads[i].len > FA_AEAD_MAX_LEN)
            goto out;
        if (aads[i].len && EVP_CipherUpdate(ctx, NULL, &n, aads[i].ptr, (int)aads[i].len) != 1)
            goto out;
    }
    if (len && EVP_CipherUpdate(ctx, out, &n, in, (int)len) != 1)
        goto out;
    if (!encrypt && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, FA_AEAD_TAG_LEN, tag) != 1)
        goto out;
    if (EVP_CipherFinal_ex(ctx, final_block, &n) != 1)
        goto out;
    if (encrypt && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, FA_AEAD_TAG_LEN, tag) != 1)
        goto out;
    ok = true;
out:
    EVP_CIPHER_CTX_free(ctx);
    /* GCM decrypts before it authenticates: never leave unverified plain text. */
    if (!ok && !encrypt && len)
        OPENSSL_cleanse(out, len);
    return ok;
}

bool fa_aead_gcm_encrypt(const uint8_t key[FA_AEAD_KEY_LEN], const uint8_t nonce[FA_AEAD_NONCE_LEN],
                         const void *aad, size_t aadlen, const void *plain, size_t len, uint8_t *ct,
                         uint8_t tag[FA_AEAD_TAG_LEN])
{
    fa_bytes_t aads[1] = {{aad, aadlen}};
    return fa_gcm_run(true, key, nonce, aads, 1, plain, len, ct, tag);
}

bool fa_aead_gcm_decrypt(const uint8_t key[FA_AEAD_KEY_LEN], const uint8_t nonce[FA_AEAD_NONCE_LEN],
                         const void *aad, size_t aadlen, const void *ct, size_t len,
                         const uint8_t tag[FA_AEAD_TAG_LEN], uint8_t *plain)
{
    fa_bytes_t aads[1] = {{aad, aadlen}};
    uint8_t tag_copy[FA_AEAD_TAG_LEN];
    memcpy(tag_copy, tag, sizeof(tag_copy)); /* SET_TAG takes a non-const pointer */
    return fa_gcm_run(false, key, nonce, aads, 1, ct, len, plain, tag_copy);
}

void fa_aead_seal(const uint8_t key[FA_AEAD_KEY_LEN], const uint8_t key_id[FA_AEAD_KEY_ID_LEN],
                  const void *aad, size_t aadlen, const void *plain, size_t len, fa_arena_t *arena,
                  uint8_t **out, size_t *outlen)
{
    if (len > FA_AEAD_MAX_LEN || aadlen > FA_AEAD_MAX_LEN) {
        fputs("{\"level\":\"fatal\",\"module\":\"crypto\",\"msg\":\"aead: input too large\"}\n",
              stderr);
        abort();
    }
    uint8_t *buf = fa_arena_alloc(arena, len + FA_AEAD_OVERHEAD);
    uint8_t *nonce = buf + FA_AEAD_HEADER_LEN;
    uint8_t *ct = nonce + FA_AEAD_NONCE_LEN;
    buf[0] = FA_AEAD_VERSION;
    memcpy(buf + 1, key_id, FA_AEAD_KEY_ID_LEN);
    fa_bytes_t aads[2] = {{buf, FA_AEAD_HEADER_LEN}, {aad, aadlen}};
    fa_random_bytes(nonce, FA_AEAD_NONCE_LEN);
    if (!fa_gcm_run(true, key, nonce, aads, 2, plain, len, ct, ct + len)) {
        fputs("{\"level\":\"fatal\",\"module\":\"crypto\",\"msg\":\"could not encrypt\"}\n",
              stderr);
        abort();
    }
    *out = buf;
    *outlen = len + FA_AEAD_OVERHEAD;
}

/* Length of the authenticated header of a sealed value, 0 when the version is
 * unknown or the value too short to hold header, nonce and tag. */
static size_t fa_aead_header_len(const uint8_t *in, size_t sealed_len)
{
    if (sealed_len >= FA_AEAD_OVERHEAD && in[0] == FA_AEAD_VERSION)
        return FA_AEAD_HEADER_LEN;
    if (sealed_len >= FA_AEAD_LEGACY_OVERHEAD && in[0] == FA_AEAD_VERSION_LEGACY)
        return 1;
    return 0;
}

bool fa_aead_key_id(const void *sealed, size_t sealed_len, uint8_t key_id[FA_AEAD_KEY_ID_LEN])
{
    const uint8_t *in = sealed;
    if (!in || fa_aead_header_len(in, sealed_len) != FA_AEAD_HEADER_LEN)
        return false;
    memcpy(key_id, in + 1, FA_AEAD_KEY_ID_LEN);
    return true;
}

typedef struct {
    void *ptr;
    size_t len;
} fa_wipe_t;

static void fa_aead_wipe(void *data)
{
    fa_wipe_t *w = data;
    OPENSSL_cleanse(w->ptr, w->len);
}

bool fa_aead_open(const uint8_t key[FA_AEAD_KEY_LEN], const void *aad, size_t aadlen,
                  const void *sealed, size_t sealed_len, fa_arena_t *arena, uint8_t **plain,
                  size_t *plainlen)
{
    const uint8_t *in = sealed;
    *plain = NULL;
    *plainlen = 0;
    size_t header = in ? fa_aead_header_len(in, sealed_len) : 0;
    if (header == 0 || aadlen > FA_AEAD_MAX_LEN)
        return false;
    size_t len = sealed_len - header - FA_AEAD_NONCE_LEN - FA_AEAD_TAG_LEN;
    if (len > FA_AEAD_MAX_LEN)
        return false;

    const uint8_t *nonce = in + header;
    const uint8_t *ct = nonce + FA_AEAD_NONCE_LEN;
    uint8_t tag[FA_AEAD_TAG_LEN];
    memcpy(tag, ct + len, sizeof(tag));
    fa_bytes_t aads[2] = {{in, header}, {aad, aadlen}};
    uint8_t *buf = fa_arena_alloc(arena, len + 1);
    if (!fa_gcm_run(false, key, nonce, aads, 2, ct, len, buf, tag))
        return false;
    buf[len] = 0;
    /* Decrypted secrets must not outlive the request in recycled arena memory. */
    fa_wipe_t *w = fa_arena_alloc(arena, sizeof(*w));
    w->ptr = buf;
    w->len = len;
    fa_arena_defer(arena, fa_aead_wipe, w);
    *plain = buf;
    *plainlen = len;
    return true;
}
