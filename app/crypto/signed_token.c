/* Owns: the signature layer of session tokens and other client-held values.
 * Never: touches the database, allocates during verification, or compares a
 * signature with anything but CRYPTO_memcmp.
 * Invariant: a bad signature is rejected before any database access
 * (PRODUCT.md §5). */
#include "crypto/signed_token.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/base64url.h"
#include "crypto/kdf.h"
#include "crypto/random.h"

static void fa_signed_misuse(const char *what)
{
    fprintf(stderr, "{\"level\":\"fatal\",\"module\":\"crypto\",\"msg\":\"signed token: %s\"}\n",
            what);
    abort();
}

void fa_hmac_keys_clear(fa_hmac_keys_t *keys)
{
    /* The HMAC context cache keeps its own copy of each key (crypto/hash.c). */
    for (size_t i = 0; i < keys->count && i < FA_HMAC_KEYS_MAX; i++)
        fa_hmac_sha256_forget(keys->keys[i], FA_HMAC_KEY_LEN);
    OPENSSL_cleanse(keys, sizeof(*keys));
}

bool fa_hmac_keys_init_purpose(fa_hmac_keys_t *keys, const char *purpose,
                               const char *const *secrets, size_t n)
{
    size_t plen = purpose ? strlen(purpose) : 0;
    if (plen == 0 || plen > FA_HMAC_PURPOSE_MAX)
        fa_signed_misuse("purpose label empty or too long");
    OPENSSL_cleanse(keys, sizeof(*keys)); /* may be uninitialised: nothing to forget */
    if (n == 0 || n > FA_HMAC_KEYS_MAX || !secrets)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!secrets[i] || !secrets[i][0]) {
            fa_hmac_keys_clear(keys);
            return false;
        }
        fa_kdf_derive(secrets[i], strlen(secrets[i]), purpose, keys->keys[i], FA_HMAC_KEY_LEN);
    }
    memcpy(keys->purpose, purpose, plen + 1);
    keys->count = n;
    return true;
}

bool fa_hmac_keys_init(fa_hmac_keys_t *keys, const char *const *secrets, size_t n)
{
    return fa_hmac_keys_init_purpose(keys, FA_KDF_LABEL_SESSION_TOKEN, secrets, n);
}

static bool fa_keys_are_session(const fa_hmac_keys_t *keys)
{
    return strcmp(keys->purpose, FA_KDF_LABEL_SESSION_TOKEN) == 0;
}

/* base64url(HMAC-SHA256(key, msg)) into sig (43 characters plus NUL). */
static void fa_sign(const uint8_t key[FA_HMAC_KEY_LEN], const void *msg, size_t len,
                    char sig[FA_SIGNED_TOKEN_SIGNATURE_LEN + 1])
{
    uint8_t mac[FA_SHA256_LEN];
    fa_hmac_sha256(key, FA_HMAC_KEY_LEN, msg, len, mac);
    fa_base64url_encode(mac, sizeof(mac), sig, FA_SIGNED_TOKEN_SIGNATURE_LEN + 1);
    OPENSSL_cleanse(mac, sizeof(mac));
}

/* True if sig (43 characters) is the signature of msg under one of the keys.
 * Each comparison is constant time; the loop stops at the first match, which
 * reveals at most which key index signed a valid value, not any key byte.
 * Comparing text against our own canonical encoding makes a second spelling
 * of a signature impossible to accept. */
static bool fa_signature_matches(const fa_hmac_keys_t *keys, const void *msg, size_t len,
                                 const char *sig)
{
    char expected[FA_SIGNED_TOKEN_SIGNATURE_LEN + 1];
    bool ok = false;
    for (size_t i = 0; i < keys->count && !ok; i++) {
        fa_sign(keys->keys[i], msg, len, expected);
        ok = fa_ct_equal(expected, sig, FA_SIGNED_TOKEN_SIGNATURE_LEN);
    }
    OPENSSL_cleanse(expected, sizeof(expected));
    return ok;
}

void fa_signed_token_create(const fa_hmac_keys_t *keys, fa_arena_t *arena, char **client_value,
                            uint8_t token_hash_out[FA_SHA256_LEN])
{
    if (!fa_keys_are_session(keys) || keys->count == 0)
        fa_signed_misuse("create needs initialised session keys");
    uint8_t raw[FA_SIGNED_TOKEN_RAW_LEN];
    char *out = fa_arena_alloc(arena, FA_SIGNED_TOKEN_LEN + 1);
    fa_random_bytes(raw, sizeof(raw));
    fa_base64url_encode(raw, sizeof(raw), out, FA_SIGNED_TOKEN_TOKEN_LEN + 1);
    OPENSSL_cleanse(raw, sizeof(raw));
    out[FA_SIGNED_TOKEN_TOKEN_LEN] = '.';
    fa_sign(keys->keys[0], out, FA_SIGNED_TOKEN_TOKEN_LEN, out + FA_SIGNED_TOKEN_TOKEN_LEN + 1);
    fa_sha256(out, FA_SIGNED_TOKEN_TOKEN_LEN, token_hash_out);
    *client_value = out;
}

bool fa_signed_token_verify(const fa_hmac_keys_t *keys, fa_str_t client_value,
                            uint8_t token_hash_out[FA_SHA256_LEN])
{
    const char *p = client_value.ptr;
    memset(token_hash_out, 0, FA_SHA256_LEN);
    if (!fa_keys_are_session(keys))
        fa_signed_misuse("verify needs session keys");
    /* The alphabet excludes '.', so these checks also mean "exactly one dot".
     * A non-canonical token part cannot carry a valid signature: only this
     * service signs, and it signs canonical text. */
    if (!p || client_value.len != FA_SIGNED_TOKEN_LEN || p[FA_SIGNED_TOKEN_TOKEN_LEN] != '.' ||
        !fa_base64url_is_alphabet(p, FA_SIGNED_TOKEN_TOKEN_LEN) ||
        !fa_base64url_is_alphabet(p + FA_SIGNED_TOKEN_TOKEN_LEN + 1, FA_SIGNED_TOKEN_SIGNATURE_LEN))
        return false;
    if (!fa_signature_matches(keys, p, FA_SIGNED_TOKEN_TOKEN_LEN,
                              p + FA_SIGNED_TOKEN_TOKEN_LEN + 1))
        return false;
    fa_sha256(p, FA_SIGNED_TOKEN_TOKEN_LEN, token_hash_out);
    return true;
}

char *fa_signed_value_create(const fa_hmac_keys_t *keys, fa_arena_t *arena, fa_str_t value)
{
    if (fa_keys_are_session(keys) || keys->count == 0)
        fa_signed_misuse("signed values need initialised non-session keys");
    if (value.len > FA_SIGNED_VALUE_MAX || (!value.ptr && value.len))
        fa_signed_misuse("value too long or NULL");
    size_t total = value.len + 1 + FA_SIGNED_TOKEN_SIGNATURE_LEN;
    char *out = fa_arena_alloc(arena, total + 1);
    if (value.len)
        memcpy(out, value.ptr, value.len);
    out[value.len] = '.';
    fa_sign(keys->keys[0], value.ptr ? value.ptr : "", value.len, out + value.len + 1);
    return out;
}

bool fa_signed_value_verify(const fa_hmac_keys_t *keys, fa_str_t client_value, fa_str_t *value_out)
{
    *value_out = FA_STR_NULL;
    if (fa_keys_are_session(keys))
        fa_signed_misuse("session keys must not verify signed values");
    if (!client_value.ptr || client_value.len < 1 + FA_SIGNED_TOKEN_SIGNATURE_LEN ||
        client_value.len > FA_SIGNED_VALUE_MAX + 1 + FA_SIGNED_TOKEN_SIGNATURE_LEN)
        return false;
    size_t vlen = client_value.len - 1 - FA_SIGNED_TOKEN_SIGNATURE_LEN;
    const char *sig = client_value.ptr + vlen + 1;
    if (client_value.ptr[vlen] != '.' ||
        !fa_base64url_is_alphabet(sig, FA_SIGNED_TOKEN_SIGNATURE_LEN) ||
        !fa_signature_matches(keys, client_value.ptr, vlen, sig))
        return false;
    *value_out = (fa_str_t){client_value.ptr, vlen};
    return true;
}
