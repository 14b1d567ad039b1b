/* The keyed HMAC context cache of crypto/hash.c (included, to see its static
 * slots): issue 13 found the signing and binding keys copied there and never
 * wiped. Forgetting a key frees its context and wipes the slot, and wiping
 * a key set or a keyring forgets its keys. */
#include "crypto/hash.c"

#include "unit_test.h"
#include "crypto/keyring.h"
#include "crypto/signed_token.h"

/* True when no byte sequence of the cache equals key (a copy anywhere). */
static bool cache_lacks(const uint8_t *key, size_t len)
{
    const uint8_t *p = (const uint8_t *)fa_hmac_cache;
    for (size_t i = 0; i + len <= sizeof(fa_hmac_cache); i++)
        if (memcmp(p + i, key, len) == 0)
            return false;
    return true;
}

static bool cache_all_zero(void)
{
    const uint8_t *p = (const uint8_t *)fa_hmac_cache;
    for (size_t i = 0; i < sizeof(fa_hmac_cache); i++)
        if (p[i])
            return false;
    return true;
}

static void test_forget_wipes_the_slot(void)
{
    uint8_t k1[32], k2[32], mac1[32], mac2[32], again[32];
    memset(k1, 0x11, sizeof k1);
    memset(k2, 0x22, sizeof k2);
    fa_hmac_sha256(k1, sizeof k1, "m", 1, mac1);
    fa_hmac_sha256(k2, sizeof k2, "m", 1, mac2);
    CU_ASSERT_EQUAL(fa_hmac_cached, 2);
    CU_ASSERT_FALSE(cache_lacks(k1, sizeof k1));
    fa_hmac_sha256_forget(k1, sizeof k1);
    CU_ASSERT_EQUAL(fa_hmac_cached, 1);
    CU_ASSERT_TRUE(cache_lacks(k1, sizeof k1));
    /* The other key moved into the hole and still computes the same MAC. */
    fa_hmac_sha256(k2, sizeof k2, "m", 1, again);
    CU_ASSERT_EQUAL(memcmp(again, mac2, 32), 0);
    CU_ASSERT_EQUAL(fa_hmac_cached, 1);
    fa_hmac_sha256_forget(k2, sizeof k2);
    CU_ASSERT_EQUAL(fa_hmac_cached, 0);
    CU_ASSERT_TRUE(cache_all_zero());
    /* Forgetting an unknown key is harmless; a forgotten key caches again. */
    fa_hmac_sha256_forget(k2, sizeof k2);
    fa_hmac_sha256(k1, sizeof k1, "m", 1, again);
    CU_ASSERT_EQUAL(memcmp(again, mac1, 32), 0);
    fa_hmac_sha256_forget(k1, sizeof k1);
    CU_ASSERT_TRUE(cache_all_zero());
}

static void test_signing_keys_clear_forgets(void)
{
    const char *secrets[] = {"q0Yd8Xh4Vw1b2MZpT9n-Jc7R_kLs6GfEuA3yBoHiWrM",
                             "k7Qz-9vLmP2xR4tW8yB1nC6dF3gH5jK0aS2eU7iO9pZ"};
    fa_hmac_keys_t keys;
    CU_ASSERT_TRUE_FATAL(fa_hmac_keys_init_purpose(&keys, "cookie-cache", secrets, 2));
    uint8_t k0[32], k1[32];
    memcpy(k0, keys.keys[0], 32);
    memcpy(k1, keys.keys[1], 32);
    arena = fa_arena_create(4096);
    char *signed_value = fa_signed_value_create(&keys, arena, FA_STR("42"));
    fa_str_t value;
    CU_ASSERT_TRUE(fa_signed_value_verify(&keys, fa_str_from(signed_value), &value));
    CU_ASSERT_FALSE(cache_lacks(k0, 32)); /* the hot path did cache it */
    fa_hmac_keys_clear(&keys);
    CU_ASSERT_TRUE(cache_lacks(k0, 32));
    CU_ASSERT_TRUE(cache_lacks(k1, 32));
    fa_arena_destroy(arena);
}

static void test_keyring_clear_forgets(void)
{
    const char *secrets[] = {"k7Qz-9vLmP2xR4tW8yB1nC6dF3gH5jK0aS2eU7iO9pZ"};
    fa_keyring_t base, derived;
    fa_keyring_init(&base, "oauth-browser-binding", secrets, 1);
    uint8_t k0[32];
    memcpy(k0, base.keys[0], 32);
    fa_keyring_derive(&derived, &base, "binding-cookie", 14);
    CU_ASSERT_FALSE(cache_lacks(k0, 32));
    fa_keyring_clear(&derived);
    fa_keyring_clear(&base);
    CU_ASSERT_TRUE(cache_lacks(k0, 32));
}

int main(void)
{
    static const test_case_t tests[] = {
        {"forget wipes the slot", test_forget_wipes_the_slot},
        {"signing keys clear forgets their keys", test_signing_keys_clear_forgets},
        {"keyring clear forgets its keys", test_keyring_clear_forgets},
    };
    static const fa_unit_suite_t suite = {.name = "crypto/hash_cache"};
    return fa_unit_run(&suite, tests, FA_UNIT_COUNT(tests));
}
