/* Signing keys at rest: a sealed seed opens only under its own kid with a
 * key of the ring, survives a secret rotation (new,old), and the overlap a
 * rotated key stays published covers every token it may have signed. */
#include <openssl/crypto.h>
#include <string.h>

#include "auth/signing_keys.h"
#include "crypto/kdf.h"
#include "unit_test.h"

static const char *const secret_old = "old-jwt-secret-0123456789abcdef0123456";
static const char *const secret_new = "new-jwt-secret-0123456789abcdef0123456";

typedef struct {
    char kid[FA_JWK_THUMBPRINT_LEN + 1];
    uint8_t pub[32];
    uint8_t *sealed;
    size_t sealed_len;
} sealed_key_t;

static void seal_new_key(const fa_keyring_t *ring, sealed_key_t *out)
{
    uint8_t seed[32];
    fa_ed25519_generate(seed, out->pub);
    fa_jwk_thumbprint(out->pub, out->kid);
    char *aad = fa_arena_sprintf(arena, "signing_keys:%s", out->kid);
    fa_keyring_seal(ring, arena, aad, seed, sizeof(seed), &out->sealed, &out->sealed_len);
    OPENSSL_cleanse(seed, sizeof(seed));
}

static void ring_of(fa_keyring_t *ring, const char *a, const char *b)
{
    const char *secrets[2] = {a, b};
    fa_keyring_init(ring, FA_KDF_LABEL_JWT_KEY_ENCRYPTION, secrets, b ? 2 : 1);
}

static void test_open_round_trip(void)
{
    fa_keyring_t ring;
    ring_of(&ring, secret_old, NULL);
    sealed_key_t k;
    seal_new_key(&ring, &k);
    EVP_PKEY *key = fa_signing_key_open(&ring, arena, k.kid, k.sealed, k.sealed_len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(key);
    uint8_t pub[32];
    CU_ASSERT_TRUE(fa_ed25519_raw_public(key, pub));
    CU_ASSERT_EQUAL(memcmp(pub, k.pub, 32), 0);
    /* The sealed bytes do not contain the public key's seed in the clear. */
    CU_ASSERT_EQUAL(k.sealed_len, 32 + FA_AEAD_OVERHEAD);
    EVP_PKEY_free(key);
    fa_keyring_clear(&ring);
}

static void test_secret_rotation_still_opens(void)
{
    fa_keyring_t old_ring, rotated, unrelated;
    ring_of(&old_ring, secret_old, NULL);
    ring_of(&rotated, secret_new, secret_old);
    ring_of(&unrelated, secret_new, NULL);
    sealed_key_t k;
    seal_new_key(&old_ring, &k);
    EVP_PKEY *key = fa_signing_key_open(&rotated, arena, k.kid, k.sealed, k.sealed_len);
    CU_ASSERT_PTR_NOT_NULL(key);
    EVP_PKEY_free(key);
    CU_ASSERT_PTR_NULL(fa_signing_key_open(&unrelated, arena, k.kid, k.sealed, k.sealed_len));
    fa_keyring_clear(&old_ring);
    fa_keyring_clear(&rotated);
    fa_keyring_clear(&unrelated);
}

static void test_bound_to_its_kid(void)
{
    fa_keyring_t ring;
    ring_of(&ring, secret_old, NULL);
    sealed_key_t a, b;
    seal_new_key(&ring, &a);
    seal_new_key(&ring, &b);
    /* A row's ciphertext copied under another kid does not open (aad). */
    CU_ASSERT_PTR_NULL(fa_signing_key_open(&ring, arena, b.kid, a.sealed, a.sealed_len));
    /* Sealed under the right aad but holding another key: kid mismatch. */
    uint8_t seed[32], pub[32];
    fa_ed25519_generate(seed, pub);
    uint8_t *sealed;
    size_t sealed_len;
    fa_keyring_seal(&ring, arena, fa_arena_sprintf(arena, "signing_keys:%s", a.kid), seed, 32,
                    &sealed, &sealed_len);
    OPENSSL_cleanse(seed, sizeof(seed));
    CU_ASSERT_PTR_NULL(fa_signing_key_open(&ring, arena, a.kid, sealed, sealed_len));
    a.sealed[5] ^= 1;
    CU_ASSERT_PTR_NULL(fa_signing_key_open(&ring, arena, a.kid, a.sealed, a.sealed_len));
    fa_keyring_clear(&ring);
}

static void test_overlap_covers_signed_tokens(void)
{
    fa_config_t cfg = {.jwt_ttl = 300, .jwt_leeway = 30};
    /* A worker may sign with the old key until its cache refreshes, then
     * that token lives ttl, and verifiers accept it leeway longer. */
    CU_ASSERT_EQUAL(fa_signing_keys_overlap_seconds(&cfg),
                    300 + 30 + FA_SIGNING_KEYS_CACHE_SECONDS);
}

static void test_activation_outlasts_cached_jwks(void)
{
    fa_config_t cfg = {.jwt_ttl = 300, .jwt_leeway = 30};
    /* A rotated-in key reaches the JWKS within a worker's cache interval;
     * a copy cached just before stays FA_JWKS_MAX_AGE; clocks differ by up
     * to the leeway. Only then may the key sign. */
    CU_ASSERT_EQUAL(FA_JWKS_MAX_AGE, 300);
    CU_ASSERT_EQUAL(fa_signing_keys_activation_seconds(&cfg),
                    FA_JWKS_MAX_AGE + 30 + FA_SIGNING_KEYS_CACHE_SECONDS);
}

int main(void)
{
    arena = fa_arena_create(16 * 1024);
    static const test_case_t tests[] = {
        {"sealed key opens", test_open_round_trip},
        {"secret rotation still opens", test_secret_rotation_still_opens},
        {"bound to its kid", test_bound_to_its_kid},
        {"overlap covers every signed token", test_overlap_covers_signed_tokens},
        {"activation outlasts every cached JWKS", test_activation_outlasts_cached_jwks},
    };
    static const fa_unit_suite_t suite = {.name = "auth/signing_keys"};
    int rc = fa_unit_run(&suite, tests, FA_UNIT_COUNT(tests));
    fa_arena_destroy(arena);
    return rc;
}
