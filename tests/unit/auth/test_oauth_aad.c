/* A verification row's two sealed columns (code_verifier_enc under the token
 * ring, session_token_enc under a per-browser ring) are kept apart by their
 * aad, not only by their keys: sealed for one column, a value does not open
 * as the other even under the same key (issue 13, item 9). */
#include <string.h>

#include "auth/oauth.h"
#include "unit_test.h"
#include "crypto/kdf.h"
#include "crypto/keyring.h"

static const char *const secret = "verification-aad-secret-0123456789abcdef";
static const char *const identifier = "4f1c0ffee";

static void test_columns_do_not_swap(void)
{
    arena = fa_arena_create(0);
    fa_keyring_t ring;
    const char *secrets[1] = {secret};
    fa_keyring_init(&ring, FA_KDF_LABEL_TOKEN_ENCRYPTION, secrets, 1);
    const char *verifier_aad = fa_oauth_aad(arena, identifier, FA_OAUTH_AAD_CODE_VERIFIER);
    const char *session_aad = fa_oauth_aad(arena, identifier, FA_OAUTH_AAD_SESSION_TOKEN);
    uint8_t *sealed, *plain;
    size_t sealed_len, plain_len;
    fa_keyring_seal(&ring, arena, verifier_aad, "verifier", 8, &sealed, &sealed_len);
    CU_ASSERT_TRUE(
        fa_keyring_open(&ring, arena, verifier_aad, sealed, sealed_len, &plain, &plain_len));
    CU_ASSERT_FALSE(
        fa_keyring_open(&ring, arena, session_aad, sealed, sealed_len, &plain, &plain_len));
    fa_keyring_seal(&ring, arena, session_aad, "session", 7, &sealed, &sealed_len);
    CU_ASSERT_FALSE(
        fa_keyring_open(&ring, arena, verifier_aad, sealed, sealed_len, &plain, &plain_len));
    /* Nor across rows. */
    const char *other = fa_oauth_aad(arena, "4f1c0ffef", FA_OAUTH_AAD_SESSION_TOKEN);
    CU_ASSERT_FALSE(fa_keyring_open(&ring, arena, other, sealed, sealed_len, &plain, &plain_len));
    fa_keyring_clear(&ring);
    fa_arena_destroy(arena);
}

int main(void)
{
    static const test_case_t tests[] = {
        {"verification columns do not open as each other", test_columns_do_not_swap},
    };
    static const fa_unit_suite_t suite = {.name = "auth/oauth_aad"};
    return fa_unit_run(&suite, tests, FA_UNIT_COUNT(tests));
}
