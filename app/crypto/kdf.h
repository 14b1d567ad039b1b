/* Key derivation: one configured secret (FOUNDRY_AUTH_SECRET) yields an
 * independent key per purpose, so a key leaked or misused in one place (say
 * the session-signing key) says nothing about another (the key encrypting
 * GitHub tokens at rest). HKDF-SHA256 (RFC 5869) through OpenSSL's EVP_KDF.
 * Failures are API misuse or a broken OpenSSL and abort. */
#ifndef FA_CRYPTO_KDF_H
#define FA_CRYPTO_KDF_H

#include <stddef.h>
#include <stdint.h>

/* The fixed HKDF salt of fa_kdf_derive(); changing it changes every key. */
#define FA_KDF_SALT "foundry-auth v1"

/* Purpose labels in use; each must appear once, here, so two modules can
 * never share a key by accident. */
#define FA_KDF_LABEL_SESSION_TOKEN "session-token-signing"
#define FA_KDF_LABEL_TOKEN_ENCRYPTION "token-encryption"
#define FA_KDF_LABEL_JWT_KEY_ENCRYPTION "jwt-private-key-encryption"
#define FA_KDF_LABEL_OAUTH_BROWSER_BINDING "oauth-browser-binding"
#define FA_KDF_LABEL_COOKIE_CACHE "cookie-cache"
#define FA_KDF_LABEL_ADMIN_TOKEN "admin-token-hmac"
/* Not a key: the public id of an at-rest key (crypto/keyring.c), derived from
 * that key under its own label so it says nothing about the key or secret. */
#define FA_KDF_LABEL_SEALED_KEY_ID "sealed-key-id"

/* Largest output of HKDF-SHA256: 255 blocks of 32 bytes. */
#define FA_KDF_MAX_OUT (255 * 32)

/* HKDF-SHA256 extract-and-expand: out_len bytes (1..FA_KDF_MAX_OUT, otherwise
 * abort) from ikm with the given salt and info. salt and info may be empty. */
void fa_kdf_hkdf(const void *salt, size_t salt_len, const void *ikm, size_t ikm_len,
                 const void *info, size_t info_len, uint8_t *out, size_t out_len);

/* The key for one purpose: HKDF-SHA256 with salt FA_KDF_SALT, ikm = secret and
 * info = label (a non-empty C string, normally an FA_KDF_LABEL_* constant).
 * secret must be non-empty (config refuses secrets under 32 bytes anyway).
 * The caller wipes out with OPENSSL_cleanse when done. */
void fa_kdf_derive(const void *secret, size_t secret_len, const char *label, uint8_t *out,
                   size_t out_len);

#endif
