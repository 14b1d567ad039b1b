/* Keyring: at-rest encryption that survives secret rotation, and per-browser
 * keys that only the holder of the context can re-derive. */
#include "crypto/keyring.h"

#include "crypto/kdf.h"
#include "unit_test.h"

static const char *const new_secret = "n3w-s3cret-0123456789abcdefghijklmnopqrst";
static const char *const old_secret = "0ld-s3cret-0123456789abcdefghijklmnopqrst";

static void test_round_trip_and_aad_binding(void)
{
    arena = fa_arena_create(0);
    fa_keyring_t ring;
    const char *secrets[1] = {new_secret};
    fa_keyring_init(&ring, FA_KDF_LABEL_TOKEN_ENCRYPTION, secrets, 1);
    uint8_t *sealed, *plain;
    size_t sealed_len, plain_len;
    fa_keyring_seal(&ring, arena, "accounts:github:1", "gho_secret", 10, &sealed, &sealed_len);
    CU_ASSERT_TRUE(
        fa_keyring_open(&ring, arena, "accounts:github:1", sealed, sealed_len, &plain, &plain_len));
    CU_ASSERT_EQUAL(plain_len, 10);
    CU_ASSERT_EQUAL(memcmp(plain, "gho_secret", 10), 0);
    /* Copied into another row, it does not open. */
    CU_ASSERT_FALSE(
        fa_keyring_open(&ring, arena, "accounts:github:2", sealed, sealed_len, &plain, &plain_len));
    fa_keyring_clear(&ring);
    CU_ASSERT_EQUAL(ring.count, 0);
    fa_arena_destroy(arena);
}

static void test_rotation_keeps_old_values_readable(void)
{
    arena = fa_arena_create(0);
    fa_keyring_t before, after, dropped;
    const char *old_only[1] = {old_secret};
    const char *rotated[2] = {new_secret, old_secret};
    const char *new_only[1] = {new_secret};
    fa_keyring_init(&before, FA_KDF_LABEL_TOKEN_ENCRYPTION, old_only, 1);
    fa_keyring_init(&after, FA_KDF_LABEL_TOKEN_ENCRYPTION, rotated, 2);
    fa_keyring_init(&dropped, FA_KDF_LABEL_TOKEN_ENCRYPTION, new_only, 1);
    uint8_t *sealed, *plain;
    size_t sealed_len, plain_len;
    fa_keyring_seal(&before, arena, "aad", "value", 5, &sealed, &sealed_len);
    CU_ASSERT_TRUE(fa_keyring_open(&after, arena, "aad", sealed, sealed_len, &plain, &plain_len));
    CU_ASSERT_FALSE(
        fa_keyring_open(&dropped, arena, "aad", sealed, sealed_len, &plain, &plain_len));
    /* New values are sealed with the first (new) secret. */
    fa_keyring_seal(&after, arena, "aad", "value", 5, &sealed, &sealed_len);
    CU_ASSERT_TRUE(fa_keyring_open(&dropped, arena, "aad", sealed, sealed_len, &plain, &plain_len));
    fa_arena_destroy(arena);
}

static void test_purposes_and_contexts_are_independent(void)
{
    arena = fa_arena_create(0);
    fa_keyring_t tokens, binding, browser_a, browser_a_again, browser_b;
    const char *secrets[1] = {new_secret};
    fa_keyring_init(&tokens, FA_KDF_LABEL_TOKEN_ENCRYPTION, secrets, 1);
    fa_keyring_init(&binding, FA_KDF_LABEL_OAUTH_BROWSER_BINDING, secrets, 1);
    CU_ASSERT_NOT_EQUAL(memcmp(tokens.keys[0], binding.keys[0], FA_AEAD_KEY_LEN), 0);
    fa_keyring_derive(&browser_a, &binding, "cookie-a", 8);
    fa_keyring_derive(&browser_a_again, &binding, "cookie-a", 8);
    fa_keyring_derive(&browser_b, &binding, "cookie-b", 8);
    uint8_t *sealed, *plain;
    size_t sealed_len, plain_len;
    fa_keyring_seal(&browser_a, arena, "v", "session", 7, &sealed, &sealed_len);
    CU_ASSERT_TRUE(
        fa_keyring_open(&browser_a_again, arena, "v", sealed, sealed_len, &plain, &plain_len));
    CU_ASSERT_FALSE(
        fa_keyring_open(&browser_b, arena, "v", sealed, sealed_len, &plain, &plain_len));
    CU_ASSERT_FALSE(fa_keyring_open(&binding, arena, "v", sealed, sealed_len, &plain, &plain_len));
    fa_arena_destroy(arena);
}

/* Every sealed value names its key: after "new,old" the new key seals, a value
 * from the old ring is counted at position 1 and one from another purpose or
 * an unknown secret at -1; ids differ per purpose label. */
static void test_values_name_their_key(void)
{
    arena = fa_arena_create(0);
    fa_keyring_t before, after, jwt, binding, browser;
    const char *old_only[1] = {old_secret};
    const char *rotated[2] = {new_secret, old_secret};
    fa_keyring_init(&before, FA_KDF_LABEL_TOKEN_ENCRYPTION, old_only, 1);
    fa_keyring_init(&after, FA_KDF_LABEL_TOKEN_ENCRYPTION, rotated, 2);
    fa_keyring_init(&jwt, FA_KDF_LABEL_JWT_KEY_ENCRYPTION, rotated, 2);
    CU_ASSERT_NOT_EQUAL(memcmp(after.ids[0], after.ids[1], FA_AEAD_KEY_ID_LEN), 0);
    CU_ASSERT_NOT_EQUAL(memcmp(after.ids[0], jwt.ids[0], FA_AEAD_KEY_ID_LEN), 0);
    CU_ASSERT_EQUAL(memcmp(after.ids[1], before.ids[0], FA_AEAD_KEY_ID_LEN), 0);
    uint8_t *sealed, *plain;
    size_t sealed_len, plain_len;
    fa_keyring_seal(&before, arena, "aad", "value", 5, &sealed, &sealed_len);
    CU_ASSERT_EQUAL(fa_keyring_position(&before, sealed, sealed_len), 0);
    CU_ASSERT_EQUAL(fa_keyring_position(&after, sealed, sealed_len), 1);
    CU_ASSERT_EQUAL(fa_keyring_position(&jwt, sealed, sealed_len), -1);
    fa_keyring_seal(&after, arena, "aad", "value", 5, &sealed, &sealed_len);
    CU_ASSERT_EQUAL(fa_keyring_position(&after, sealed, sealed_len), 0);
    CU_ASSERT_EQUAL(fa_keyring_position(&before, sealed, sealed_len), -1);
    /* A per-browser ring counts toward the secret it came from. */
    fa_keyring_init(&binding, FA_KDF_LABEL_OAUTH_BROWSER_BINDING, rotated, 2);
    fa_keyring_derive(&browser, &binding, "cookie", 6);
    fa_keyring_seal(&browser, arena, "v", "session", 7, &sealed, &sealed_len);
    CU_ASSERT_EQUAL(fa_keyring_position(&binding, sealed, sealed_len), 0);
    CU_ASSERT_TRUE(fa_keyring_open(&browser, arena, "v", sealed, sealed_len, &plain, &plain_len));
    fa_arena_destroy(arena);
}

int main(void)
{
    static const test_case_t tests[] = {
        {"sealed values name their key", test_values_name_their_key},
        {"round trip and aad binding", test_round_trip_and_aad_binding},
        {"rotation keeps old values readable", test_rotation_keeps_old_values_readable},
        {"purposes and contexts are independent", test_purposes_and_contexts_are_independent},
    };
    static const fa_unit_suite_t suite = {.name = "crypto/keyring"};
    return fa_unit_run(&suite, tests, FA_UNIT_COUNT(tests));
}
