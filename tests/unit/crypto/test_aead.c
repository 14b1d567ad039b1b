/* AES-256-GCM: known answers from the GCM specification (McGrew & Viega,
 * test cases 13, 14 and 16, the AES-256 cases also used by NIST's CAVS
 * examples) and the sealed format's refusal of every kind of tampering. */
#include "crypto/aead.h"

#include "crypto/hash.h"
#include "unit_test.h"

static const struct {
    const char *key, *iv, *aad, *plain, *cipher, *tag;
} gcm_kat[] = {
    {"0000000000000000000000000000000000000000000000000000000000000000", "000000000000000000000000",
     "", "", "", "530f8afbc74536b9a963b4f1c4cb738b"},
    {"0000000000000000000000000000000000000000000000000000000000000000", "000000000000000000000000",
     "", "00000000000000000000000000000000", "cea7403d4d606b6e074ec5d3baf39d18",
     "d0d1c8a799996bf0265b98b5d48ab919"},
    {"feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888",
     "feedfacedeadbeeffeedfacedeadbeefabaddad2",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
     "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
     "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
     "76fc6ece0f4e1768cddf8853bb2d551b"},
};

static void test_gcm_known_answers(void)
{
    for (size_t i = 0; i < sizeof(gcm_kat) / sizeof(gcm_kat[0]); i++) {
        uint8_t key[32], iv[12], aad[64], plain[64], cipher[64], tag[16];
        uint8_t out[64], out_tag[16], back[64];
        test_hex(gcm_kat[i].key, key, sizeof(key));
        test_hex(gcm_kat[i].iv, iv, sizeof(iv));
        size_t aadlen = test_hex(gcm_kat[i].aad, aad, sizeof(aad));
        size_t len = test_hex(gcm_kat[i].plain, plain, sizeof(plain));
        test_hex(gcm_kat[i].cipher, cipher, sizeof(cipher));
        test_hex(gcm_kat[i].tag, tag, sizeof(tag));

        CU_ASSERT_TRUE(fa_aead_gcm_encrypt(key, iv, aad, aadlen, plain, len, out, out_tag));
        CU_ASSERT_EQUAL(memcmp(out, cipher, len), 0);
        CU_ASSERT_EQUAL(memcmp(out_tag, tag, 16), 0);
        CU_ASSERT_TRUE(fa_aead_gcm_decrypt(key, iv, aad, aadlen, cipher, len, tag, back));
        CU_ASSERT_EQUAL(memcmp(back, plain, len), 0);
        tag[15] ^= 1;
        CU_ASSERT_FALSE(fa_aead_gcm_decrypt(key, iv, aad, aadlen, cipher, len, tag, back));
    }
}

static const uint8_t key1[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
                                 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
static const uint8_t id1[FA_AEAD_KEY_ID_LEN] = {0xa1, 0xb2, 0xc3, 0xd4};
static const char aad1[] = "accounts:github:12345";
static const char secret_text[] = "gho_16C7e42F292c6912E7710c838347Ae178B4a";

static void seal_sample(fa_arena_t *a, uint8_t **sealed, size_t *len)
{
    fa_aead_seal(key1, id1, aad1, strlen(aad1), secret_text, strlen(secret_text), a, sealed, len);
}

static void test_seal_open_round_trip(void)
{
    arena = fa_arena_create(0);
    uint8_t *sealed, *plain;
    size_t len, plen;
    seal_sample(arena, &sealed, &len);
    CU_ASSERT_EQUAL(len, strlen(secret_text) + FA_AEAD_OVERHEAD);
    CU_ASSERT_EQUAL(sealed[0], FA_AEAD_VERSION);
    /* The ciphertext does not contain the plain text. */
    CU_ASSERT_PTR_NULL(memmem(sealed, len, "gho_", 4));
    CU_ASSERT_TRUE_FATAL(fa_aead_open(key1, aad1, strlen(aad1), sealed, len, arena, &plain, &plen));
    CU_ASSERT_EQUAL(plen, strlen(secret_text));
    CU_ASSERT_STRING_EQUAL((char *)plain, secret_text);

    /* Empty plain text and empty aad are valid too. */
    fa_aead_seal(key1, id1, NULL, 0, "", 0, arena, &sealed, &len);
    CU_ASSERT_EQUAL(len, FA_AEAD_OVERHEAD);
    CU_ASSERT_TRUE(fa_aead_open(key1, NULL, 0, sealed, len, arena, &plain, &plen));
    CU_ASSERT_EQUAL(plen, 0);
    fa_arena_destroy(arena);
}

static void test_nonce_is_fresh(void)
{
    arena = fa_arena_create(0);
    uint8_t *a, *b;
    size_t alen, blen;
    seal_sample(arena, &a, &alen);
    seal_sample(arena, &b, &blen);
    CU_ASSERT_EQUAL(alen, blen);
    CU_ASSERT_NOT_EQUAL(memcmp(a + FA_AEAD_HEADER_LEN, b + FA_AEAD_HEADER_LEN, FA_AEAD_NONCE_LEN),
                        0);
    CU_ASSERT_NOT_EQUAL(memcmp(a, b, alen), 0);
    fa_arena_destroy(arena);
}

/* Flipping any single bit anywhere — version, nonce, ciphertext, tag — is
 * refused, and the outputs are reset. */
static void test_tamper_every_byte(void)
{
    arena = fa_arena_create(0);
    uint8_t *sealed, *plain = (uint8_t *)"x";
    size_t len, plen = 7;
    seal_sample(arena, &sealed, &len);
    for (size_t i = 0; i < len; i++) {
        for (int bit = 0; bit < 8; bit += 7) {
            sealed[i] ^= (uint8_t)(1u << bit);
            CU_ASSERT_FALSE(
                fa_aead_open(key1, aad1, strlen(aad1), sealed, len, arena, &plain, &plen));
            CU_ASSERT_PTR_NULL(plain);
            CU_ASSERT_EQUAL(plen, 0);
            sealed[i] ^= (uint8_t)(1u << bit);
        }
    }
    /* Untouched, it still opens: the loop restored every byte. */
    CU_ASSERT_TRUE(fa_aead_open(key1, aad1, strlen(aad1), sealed, len, arena, &plain, &plen));
    fa_arena_destroy(arena);
}

static void test_wrong_aad_key_truncation(void)
{
    arena = fa_arena_create(0);
    uint8_t *sealed, *plain;
    size_t len, plen;
    uint8_t key2[32];
    memcpy(key2, key1, sizeof(key2));
    key2[31] ^= 1;
    seal_sample(arena, &sealed, &len);

    CU_ASSERT_FALSE(
        fa_aead_open(key1, "accounts:github:12346", 21, sealed, len, arena, &plain, &plen));
    CU_ASSERT_FALSE(fa_aead_open(key1, NULL, 0, sealed, len, arena, &plain, &plen));
    CU_ASSERT_FALSE(fa_aead_open(key2, aad1, strlen(aad1), sealed, len, arena, &plain, &plen));
    for (size_t cut = 0; cut < len; cut++)
        CU_ASSERT_FALSE(fa_aead_open(key1, aad1, strlen(aad1), sealed, cut, arena, &plain, &plen));
    /* Appending bytes moves the tag: refused as well. */
    uint8_t longer[128];
    memcpy(longer, sealed, len);
    longer[len] = 0;
    CU_ASSERT_FALSE(fa_aead_open(key1, aad1, strlen(aad1), longer, len + 1, arena, &plain, &plen));
    fa_arena_destroy(arena);
}

/* The version byte is authenticated: a version 2 value relabelled 0x01 (or
 * anything unknown) does not open. */
static void test_version_byte(void)
{
    arena = fa_arena_create(0);
    uint8_t *sealed, *plain;
    size_t len, plen;
    seal_sample(arena, &sealed, &len);
    sealed[0] = FA_AEAD_VERSION_LEGACY;
    CU_ASSERT_FALSE(fa_aead_open(key1, aad1, strlen(aad1), sealed, len, arena, &plain, &plen));
    sealed[0] = 0x03;
    CU_ASSERT_FALSE(fa_aead_open(key1, aad1, strlen(aad1), sealed, len, arena, &plain, &plen));
    sealed[0] = 0x00;
    CU_ASSERT_FALSE(fa_aead_open(key1, aad1, strlen(aad1), sealed, len, arena, &plain, &plen));
    fa_arena_destroy(arena);
}

/* Version 2 names its key in the header, and the id is authenticated: an
 * operator's count cannot be fooled by editing it, and the value still opens
 * only with the key. */
static void test_key_id_in_header(void)
{
    arena = fa_arena_create(0);
    uint8_t *sealed, *plain, id[FA_AEAD_KEY_ID_LEN];
    size_t len, plen;
    seal_sample(arena, &sealed, &len);
    CU_ASSERT_EQUAL(sealed[0], 0x02);
    CU_ASSERT_TRUE_FATAL(fa_aead_key_id(sealed, len, id));
    CU_ASSERT_EQUAL(memcmp(id, id1, sizeof(id)), 0);
    sealed[2] ^= 0x10;
    CU_ASSERT_FALSE(fa_aead_open(key1, aad1, strlen(aad1), sealed, len, arena, &plain, &plen));
    CU_ASSERT_FALSE(fa_aead_key_id(sealed, FA_AEAD_OVERHEAD - 1, id));
    fa_arena_destroy(arena);
}

/* A version 1 value (0x01 || nonce || ct || tag, the version byte ahead of the
 * aad), as every value was sealed before key ids: it still opens, it names no
 * key, and relabelled as version 2 it does not open. */
static void test_legacy_version_still_opens(void)
{
    arena = fa_arena_create(0);
    size_t n = strlen(secret_text);
    uint8_t v1[FA_AEAD_LEGACY_OVERHEAD + 64], aad[1 + sizeof(aad1)], id[FA_AEAD_KEY_ID_LEN];
    aad[0] = FA_AEAD_VERSION_LEGACY;
    memcpy(aad + 1, aad1, strlen(aad1));
    v1[0] = FA_AEAD_VERSION_LEGACY;
    memset(v1 + 1, 0x5a, FA_AEAD_NONCE_LEN);
    CU_ASSERT_TRUE_FATAL(fa_aead_gcm_encrypt(key1, v1 + 1, aad, 1 + strlen(aad1), secret_text, n,
                                             v1 + 1 + FA_AEAD_NONCE_LEN,
                                             v1 + 1 + FA_AEAD_NONCE_LEN + n));
    size_t len = n + FA_AEAD_LEGACY_OVERHEAD;
    uint8_t *plain;
    size_t plen;
    CU_ASSERT_TRUE_FATAL(fa_aead_open(key1, aad1, strlen(aad1), v1, len, arena, &plain, &plen));
    CU_ASSERT_EQUAL(plen, n);
    CU_ASSERT_STRING_EQUAL((char *)plain, secret_text);
    CU_ASSERT_FALSE(fa_aead_key_id(v1, len, id));
    v1[0] = FA_AEAD_VERSION;
    CU_ASSERT_FALSE(fa_aead_open(key1, aad1, strlen(aad1), v1, len, arena, &plain, &plen));
    fa_arena_destroy(arena);
}

/* Decrypted secrets are wiped when the arena is reset (the first block is
 * kept by reset, so the bytes can be inspected afterwards). */
static void test_plain_wiped_on_reset(void)
{
    arena = fa_arena_create(4096);
    uint8_t *sealed, *plain;
    size_t len, plen;
    seal_sample(arena, &sealed, &len);
    CU_ASSERT_TRUE_FATAL(fa_aead_open(key1, aad1, strlen(aad1), sealed, len, arena, &plain, &plen));
    CU_ASSERT_EQUAL(memcmp(plain, secret_text, plen), 0);
    fa_arena_reset(arena);
    CU_ASSERT_NOT_EQUAL(memcmp(plain, secret_text, plen), 0);
    fa_arena_destroy(arena);
}

int main(void)
{
    static const test_case_t tests[] = {
        {"aes-256-gcm known answers (GCM spec cases 13, 14, 16)", test_gcm_known_answers},
        {"seal/open round trip", test_seal_open_round_trip},
        {"fresh nonce per seal", test_nonce_is_fresh},
        {"any flipped bit is refused", test_tamper_every_byte},
        {"wrong aad, wrong key, truncation refused", test_wrong_aad_key_truncation},
        {"version byte checked", test_version_byte},
        {"key id in the authenticated header", test_key_id_in_header},
        {"version 1 values still open", test_legacy_version_still_opens},
        {"plain text wiped on arena reset", test_plain_wiped_on_reset},
    };
    static const fa_unit_suite_t suite = {.name = "crypto/aead"};
    return fa_unit_run(&suite, tests, FA_UNIT_COUNT(tests));
}
