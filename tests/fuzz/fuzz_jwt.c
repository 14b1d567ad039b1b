/* Fuzz target for JWT verification (auth/jwt.h), what POST
 * /v1/auth/token/verify meets first. Invariants checked (abort on
 * violation):
 *  - fa_jws_verify never accepts input unless it is exactly a token this
 *    process signed with its key (a forged or mutated token, whatever its
 *    alg, never verifies); refused input leaves payload and kid NULL;
 *  - nothing over FA_JWT_MAX_LEN ever reaches the key lookup;
 *  - the fuzz bytes used as claims inside a token we sign ourselves either
 *    parse as a JSON object (VALID) or are refused (INVALID), and
 *    fa_jwt_check_claims on whatever parsed never crashes and answers one of
 *    its three verdicts. */
#include <openssl/crypto.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/jwt.h"
#include "fuzz_check.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);

static EVP_PKEY *key;
static char kid[FA_JWK_THUMBPRINT_LEN + 1];
static fa_arena_t *arena;
static size_t lookups;

/* Fixed seed: the fuzzer's runs are reproducible. */
static const uint8_t seed[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
                                 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

static EVP_PKEY *lookup(void *ctx, const char *wanted)
{
    (void)ctx;
    lookups++;
    return strcmp(wanted, kid) == 0 ? key : NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    key = fa_ed25519_private_key(seed);
    uint8_t pub[32];
    CHECK(key && fa_ed25519_raw_public(key, pub));
    fa_jwk_thumbprint(pub, kid);
    arena = fa_arena_create(0);
    return 0;
}

static char *const audiences[] = {"api.test"};

static void check_claims(const json_t *claims)
{
    fa_jwt_expect_t expect = {.issuer = "https://auth.example.com",
                              .audiences = audiences,
                              .audience_count = 1,
                              .now = 1700000000,
                              .leeway = 30};
    fa_jwt_claims_t out;
    fa_jwt_verdict_t v = fa_jwt_check_claims(claims, &expect, &out);
    CHECK(v == FA_JWT_VALID || v == FA_JWT_INVALID || v == FA_JWT_EXPIRED);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!key)
        LLVMFuzzerInitialize(NULL, NULL);
    /* 1. The input as a token: we signed nothing, so nothing verifies. */
    json_t *payload = (json_t *)1;
    const char *got_kid = "x";
    lookups = 0;
    fa_jwt_verdict_t v = fa_jws_verify(arena, (fa_str_t){(const char *)data, size}, lookup, NULL,
                                       &payload, &got_kid);
    CHECK(v == FA_JWT_INVALID);
    CHECK(payload == NULL && got_kid == NULL);
    if (size > FA_JWT_MAX_LEN)
        CHECK(lookups == 0);

    /* 2. The input as the payload of a token we sign: verifies iff it is a
     * JSON object (and the token fits), and claims checks never crash. */
    if (size <= 4096) {
        char header[128];
        snprintf(header, sizeof header, "{\"alg\":\"EdDSA\",\"kid\":\"%s\",\"typ\":\"at+jwt\"}", kid);
        char *token = fa_jws_sign(arena, key, header, strlen(header), data, size);
        v = fa_jws_verify(arena, fa_str_from(token), lookup, NULL, &payload, &got_kid);
        CHECK(v == FA_JWT_VALID || v == FA_JWT_INVALID);
        if (v == FA_JWT_VALID) {
            CHECK(json_is_object(payload) && strcmp(got_kid, kid) == 0);
            check_claims(payload);
            /* Any one-byte change of the signed token breaks it. */
            size_t len = strlen(token);
            size_t at = size % len;
            token[at] = token[at] == 'A' ? 'B' : 'A';
            CHECK(fa_jws_verify(arena, fa_str_from(token), lookup, NULL, &payload, &got_kid) !=
                  FA_JWT_VALID);
        }
    }
    fa_arena_reset(arena);
    return 0;
}
