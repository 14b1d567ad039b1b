/* Fuzz target for the signature layer of session tokens and signed values
 * (crypto/signed_token.h): what every cookie and bearer token meets first.
 * Invariants checked (abort on violation):
 *  - fa_signed_token_verify accepts arbitrary input only if it is a token this
 *    process created with fa_signed_token_create; on refusal the hash is zero;
 *  - a created token is 87 base64url characters with one '.', verifies under
 *    the signing set and under a rotated set that still lists the old secret,
 *    and gives the hash create returned; it fails under a set without it;
 *  - changing any one byte of a created token makes it fail everywhere;
 *  - a key holder's signature over a fuzzer-chosen 43-byte token part is
 *    accepted exactly when that part is base64url (the parser refuses the
 *    rest, however well signed);
 *  - a signed value round-trips for any bytes, never verifies for another
 *    purpose, and fails after any one-byte change. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/base64url.h"
#include "crypto/kdf.h"
#include "crypto/signed_token.h"
#include "fuzz_check.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);

#define SECRET_A "k7Qz-9vLmP2xR4tW8yB1nC6dF3gH5jK0aS2eU7iO9pZ"
#define SECRET_B "Zp9Oi7Ue2Sa0Kj5Hg3Fd6Cn1By8Wt4Rx2PmL9v-zQ7k"
#define SECRET_C "c0ffee-and-t34-are-not-secrets-but-long-enough"

/* signing: [A, B] (A signs); rotated: [B, A] (B now signs, A still verifies);
 * dropped: [B] (A retired); other: [C]. */
static fa_hmac_keys_t signing, rotated, dropped, other;
static fa_hmac_keys_t binding, cache; /* two non-session purposes over [A, B] */
static fa_arena_t *arena;

/* The last tokens created, so an accepted arbitrary input can be traced. */
#define RECENT 16
static char recent[RECENT][FA_SIGNED_TOKEN_LEN];
static size_t recent_count, recent_next;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *ab[] = {SECRET_A, SECRET_B}, *ba[] = {SECRET_B, SECRET_A};
    const char *b[] = {SECRET_B}, *c[] = {SECRET_C};
    CHECK(fa_hmac_keys_init(&signing, ab, 2) && fa_hmac_keys_init(&rotated, ba, 2) &&
          fa_hmac_keys_init(&dropped, b, 1) && fa_hmac_keys_init(&other, c, 1));
    CHECK(fa_hmac_keys_init_purpose(&binding, FA_KDF_LABEL_OAUTH_BROWSER_BINDING, ab, 2) &&
          fa_hmac_keys_init_purpose(&cache, FA_KDF_LABEL_COOKIE_CACHE, ab, 2));
    arena = fa_arena_create(0);
    return 0;
}

static bool is_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

static bool is_recent(fa_str_t s)
{
    if (s.len != FA_SIGNED_TOKEN_LEN)
        return false;
    for (size_t i = 0; i < recent_count; i++)
        if (memcmp(recent[i], s.ptr, FA_SIGNED_TOKEN_LEN) == 0)
            return true;
    return false;
}

/* Verifies under keys; a refusal must leave the hash zeroed. */
static bool verify(const fa_hmac_keys_t *keys, fa_str_t s, uint8_t hash[FA_SHA256_LEN])
{
    memset(hash, 0xa5, FA_SHA256_LEN);
    bool ok = fa_signed_token_verify(keys, s, hash);
    if (!ok)
        CHECK(is_zero(hash, FA_SHA256_LEN));
    return ok;
}

/* Arbitrary bytes are never a token unless we made them. */
static void check_arbitrary(const uint8_t *data, size_t size)
{
    char *copy = malloc(size ? size : 1);
    CHECK(copy != NULL);
    if (size)
        memcpy(copy, data, size);
    fa_str_t s = {copy, size};
    uint8_t hash[FA_SHA256_LEN];
    const fa_hmac_keys_t *sets[] = {&signing, &rotated, &dropped, &other};
    for (size_t i = 0; i < 4; i++)
        if (verify(sets[i], s, hash))
            CHECK(i < 2 && is_recent(s));
    fa_str_t value;
    if (fa_signed_value_verify(&binding, s, &value))
        CHECK(!"an arbitrary input verified as a signed value");
    CHECK(value.ptr == NULL && value.len == 0);
    free(copy);
}

static void check_created(const uint8_t *data, size_t size)
{
    char *token;
    uint8_t created_hash[FA_SHA256_LEN], hash[FA_SHA256_LEN];
    fa_signed_token_create(&signing, arena, &token, created_hash);
    CHECK(strlen(token) == FA_SIGNED_TOKEN_LEN && token[FA_SIGNED_TOKEN_TOKEN_LEN] == '.');
    CHECK(fa_base64url_is_alphabet(token, FA_SIGNED_TOKEN_TOKEN_LEN) &&
          fa_base64url_is_alphabet(token + FA_SIGNED_TOKEN_TOKEN_LEN + 1,
                                   FA_SIGNED_TOKEN_SIGNATURE_LEN));
    memcpy(recent[recent_next], token, FA_SIGNED_TOKEN_LEN);
    recent_next = (recent_next + 1) % RECENT;
    if (recent_count < RECENT)
        recent_count++;

    fa_str_t s = {token, FA_SIGNED_TOKEN_LEN};
    CHECK(verify(&signing, s, hash) && memcmp(hash, created_hash, FA_SHA256_LEN) == 0);
    CHECK(verify(&rotated, s, hash) && memcmp(hash, created_hash, FA_SHA256_LEN) == 0);
    CHECK(!verify(&dropped, s, hash) && !verify(&other, s, hash));

    /* One changed byte, position and change chosen by the input. */
    size_t pos = size >= 1 ? data[0] % FA_SIGNED_TOKEN_LEN : 0;
    uint8_t delta = size >= 2 && data[1] ? data[1] : 1;
    char flipped[FA_SIGNED_TOKEN_LEN];
    memcpy(flipped, token, sizeof(flipped));
    flipped[pos] = (char)((uint8_t)flipped[pos] ^ delta);
    fa_str_t f = {flipped, sizeof(flipped)};
    CHECK(!verify(&signing, f, hash) && !verify(&rotated, f, hash));
    CHECK(!verify(&dropped, f, hash) && !verify(&other, f, hash));
    /* Truncated or extended by one byte: refused before any signature work. */
    CHECK(!verify(&signing, (fa_str_t){token, FA_SIGNED_TOKEN_LEN - 1}, hash));
}

/* What a holder of the signing key would produce for this token part. */
static void check_key_holder(const uint8_t *data, size_t size)
{
    if (size < FA_SIGNED_TOKEN_TOKEN_LEN)
        return;
    char value[FA_SIGNED_TOKEN_LEN];
    memcpy(value, data, FA_SIGNED_TOKEN_TOKEN_LEN);
    value[FA_SIGNED_TOKEN_TOKEN_LEN] = '.';
    uint8_t mac[FA_SHA256_LEN], hash[FA_SHA256_LEN], want[FA_SHA256_LEN];
    char sig[FA_SIGNED_TOKEN_SIGNATURE_LEN + 1];
    fa_hmac_sha256(signing.keys[0], FA_HMAC_KEY_LEN, value, FA_SIGNED_TOKEN_TOKEN_LEN, mac);
    fa_base64url_encode(mac, sizeof(mac), sig, sizeof(sig));
    memcpy(value + FA_SIGNED_TOKEN_TOKEN_LEN + 1, sig, FA_SIGNED_TOKEN_SIGNATURE_LEN);
    bool ok = verify(&signing, (fa_str_t){value, sizeof(value)}, hash);
    CHECK(ok == fa_base64url_is_alphabet(value, FA_SIGNED_TOKEN_TOKEN_LEN));
    if (ok) {
        fa_sha256(value, FA_SIGNED_TOKEN_TOKEN_LEN, want);
        CHECK(memcmp(hash, want, FA_SHA256_LEN) == 0);
    }
}

static void check_signed_value(const uint8_t *data, size_t size)
{
    if (size > FA_SIGNED_VALUE_MAX)
        size = FA_SIGNED_VALUE_MAX;
    fa_str_t in = {size ? (const char *)data : "", size};
    char *signed_value = fa_signed_value_create(&binding, arena, in);
    size_t total = size + 1 + FA_SIGNED_TOKEN_SIGNATURE_LEN;
    /* Exact-size copy: no NUL after it for a parser to lean on. */
    char *copy = malloc(total);
    CHECK(copy != NULL);
    memcpy(copy, signed_value, total);
    fa_str_t s = {copy, total}, out;
    CHECK(fa_signed_value_verify(&binding, s, &out));
    CHECK(out.ptr == copy && out.len == size && memcmp(out.ptr, in.ptr, size) == 0);
    CHECK(!fa_signed_value_verify(&cache, s, &out) && out.ptr == NULL);
    size_t pos = size >= 3 ? ((size_t)data[size - 1] << 8 | data[size - 2]) % total : total - 1;
    copy[pos] ^= (char)(size >= 3 && data[size - 3] ? data[size - 3] : 0x01);
    CHECK(!fa_signed_value_verify(&binding, s, &out) && out.ptr == NULL);
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_arbitrary(data, size);
    check_created(data, size);
    check_key_holder(data, size);
    check_signed_value(data, size);
    fa_arena_reset(arena);
    return 0;
}
