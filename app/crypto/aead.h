/* Encryption at rest (GitHub access/refresh tokens, JWT private keys):
 * AES-256-GCM with a fresh random 96-bit nonce per message.
 *
 * Sealed format (what the database stores), version 2:
 *   0x02 || key id (4 bytes) || nonce (12 bytes) || ciphertext (len) || tag (16)
 * The key id names the key that sealed (crypto/keyring.c derives it from the
 * key under its own label), so an operator can count which values still need
 * an old secret. Version 1 values, written before key ids existed, still open:
 *   0x01 || nonce (12 bytes) || ciphertext (len bytes) || tag (16)
 * The header (version byte and key id) is authenticated too (it is the start
 * of the GCM AAD, followed by the caller's aad), so it cannot be swapped or
 * edited without detection.
 *
 * aad binds a ciphertext to its place (e.g. "accounts:github:<user id>"), so
 * a sealed value copied into another row does not open. Random nonces are safe
 * up to about 2^32 messages per key; keys come from fa_kdf_derive(). */
#ifndef FA_CRYPTO_AEAD_H
#define FA_CRYPTO_AEAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"

#define FA_AEAD_KEY_LEN 32
#define FA_AEAD_NONCE_LEN 12
#define FA_AEAD_TAG_LEN 16
#define FA_AEAD_KEY_ID_LEN 4
#define FA_AEAD_VERSION 0x02
#define FA_AEAD_VERSION_LEGACY 0x01
#define FA_AEAD_HEADER_LEN (1 + FA_AEAD_KEY_ID_LEN)
#define FA_AEAD_OVERHEAD (FA_AEAD_HEADER_LEN + FA_AEAD_NONCE_LEN + FA_AEAD_TAG_LEN)
#define FA_AEAD_LEGACY_OVERHEAD (1 + FA_AEAD_NONCE_LEN + FA_AEAD_TAG_LEN)
/* Plain texts and aads here are tokens and keys; anything near this is a bug. */
#define FA_AEAD_MAX_LEN (64u * 1024 * 1024)

/* Encrypts len bytes of plain into a fresh arena buffer of len +
 * FA_AEAD_OVERHEAD bytes (*out, *outlen) in the version 2 format, naming
 * key_id in its header. aad may be NULL when aadlen is 0. Aborts if len or
 * aadlen exceed FA_AEAD_MAX_LEN or OpenSSL fails. */
void fa_aead_seal(const uint8_t key[FA_AEAD_KEY_LEN], const uint8_t key_id[FA_AEAD_KEY_ID_LEN],
                  const void *aad, size_t aadlen, const void *plain, size_t len, fa_arena_t *arena,
                  uint8_t **out, size_t *outlen);

/* The key id in a sealed value's header (unauthenticated until it opens: a
 * hint for which key to try, and a count for operators). False for version 1
 * values (they carry none) and for anything malformed. */
bool fa_aead_key_id(const void *sealed, size_t sealed_len, uint8_t key_id[FA_AEAD_KEY_ID_LEN]);

/* Verifies and decrypts a sealed value of either version. Returns false, with *plain = NULL and
 * *plainlen = 0, for a wrong key, wrong aad, unknown version, truncated or
 * tampered input; no unauthenticated byte is ever returned. On success *plain
 * is an arena buffer of *plainlen bytes followed by one NUL (not counted), and
 * it is wiped with OPENSSL_cleanse when the arena is reset. */
bool fa_aead_open(const uint8_t key[FA_AEAD_KEY_LEN], const void *aad, size_t aadlen,
                  const void *sealed, size_t sealed_len, fa_arena_t *arena, uint8_t **plain,
                  size_t *plainlen);

/* Raw AES-256-GCM with a caller-chosen 12-byte nonce, for known-answer tests
 * only: never reuse a nonce with a key. ct receives len bytes. Returns false
 * only if OpenSSL fails or a length exceeds FA_AEAD_MAX_LEN. */
bool fa_aead_gcm_encrypt(const uint8_t key[FA_AEAD_KEY_LEN], const uint8_t nonce[FA_AEAD_NONCE_LEN],
                         const void *aad, size_t aadlen, const void *plain, size_t len, uint8_t *ct,
                         uint8_t tag[FA_AEAD_TAG_LEN]);

/* Inverse of fa_aead_gcm_encrypt(): true and len bytes of plain text in plain
 * when the tag verifies; false otherwise, with plain wiped. */
bool fa_aead_gcm_decrypt(const uint8_t key[FA_AEAD_KEY_LEN], const uint8_t nonce[FA_AEAD_NONCE_LEN],
                         const void *aad, size_t aadlen, const void *ct, size_t len,
                         const uint8_t tag[FA_AEAD_TAG_LEN], uint8_t *plain);

#endif
