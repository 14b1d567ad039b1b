/* JWT/JWS: RFC 8037 known answers (rfc8037.json), our tokens' round trip,
 * and every refusal the verify endpoint relies on: alg none, HS256 keyed
 * with the public key (algorithm confusion), unknown kid, malformed or
 * oversized tokens, tampering, and the claim rules with their leeway. */
#include <openssl/crypto.h>
#include <string.h>

#include "auth/jwt.h"
#include "crypto/base64url.h"
#include "unit_test.h"
#include "crypto/hash.h"

static json_t *vectors;

static const char *vec(const char *name)
{
    const char *v = json_string_value(json_object_get(vectors, name));
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    return v;
}

static void decode32(const char *b64, uint8_t out[32])
{
    size_t len;
    CU_ASSERT_TRUE_FATAL(fa_base64url_decode(b64, strlen(b64), out, 32, &len));
    CU_ASSERT_EQUAL_FATAL(len, 32);
}

/* ---- RFC 8037 ---------------------------------------------------------- */

static void test_rfc8037_public_key_from_private(void)
{
    uint8_t d[32], x[32], derived[32];
    decode32(vec("d"), d);
    decode32(vec("x"), x);
    EVP_PKEY *key = fa_ed25519_private_key(d);
    CU_ASSERT_PTR_NOT_NULL_FATAL(key);
    CU_ASSERT_TRUE(fa_ed25519_raw_public(key, derived));
    CU_ASSERT_EQUAL(memcmp(derived, x, 32), 0);
    EVP_PKEY_free(key);
}

static void test_rfc8037_thumbprint(void)
{
    uint8_t x[32];
    char kid[FA_JWK_THUMBPRINT_LEN + 1];
    decode32(vec("x"), x);
    fa_jwk_thumbprint(x, kid);
    CU_ASSERT_STRING_EQUAL(kid, vec("thumbprint"));
}

static void test_rfc8037_sign_known_answer(void)
{
    uint8_t d[32];
    decode32(vec("d"), d);
    EVP_PKEY *key = fa_ed25519_private_key(d);
    const char *header = vec("header"), *payload = vec("payload");
    char *compact = fa_jws_sign(arena, key, header, strlen(header), payload, strlen(payload));
    /* Ed25519 is deterministic: the published signature, byte for byte. */
    CU_ASSERT_STRING_EQUAL(compact, vec("compact"));
    EVP_PKEY_free(key);
}

static void test_rfc8037_verify_known_answer(void)
{
    uint8_t x[32];
    decode32(vec("x"), x);
    EVP_PKEY *pub = fa_ed25519_public_key(x);
    const char *compact = vec("compact");
    const char *dot2 = strrchr(compact, '.');
    size_t sig_len;
    uint8_t *sig = fa_base64url_decode_arena(arena, fa_str_from(dot2 + 1), &sig_len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sig);
    CU_ASSERT_TRUE(fa_ed25519_verify(pub, compact, (size_t)(dot2 - compact), sig, sig_len));
    sig[10] ^= 1;
    CU_ASSERT_FALSE(fa_ed25519_verify(pub, compact, (size_t)(dot2 - compact), sig, sig_len));
    sig[10] ^= 1;
    CU_ASSERT_FALSE(fa_ed25519_verify(pub, compact, (size_t)(dot2 - compact) - 1, sig, sig_len));
    CU_ASSERT_FALSE(fa_ed25519_verify(pub, compact, (size_t)(dot2 - compact), sig, 63));
    EVP_PKEY_free(pub);
}

/* ---- our tokens -------------------------------------------------------- */

static EVP_PKEY *signer;
static char signer_kid[FA_JWK_THUMBPRINT_LEN + 1];
static uint8_t signer_pub[32];
static int lookups;

static EVP_PKEY *lookup(void *ctx, const char *kid)
{
    (void)ctx;
    lookups++;
    return strcmp(kid, signer_kid) == 0 ? signer : NULL;
}

static char *const audiences[] = {"https://api.example.com", "billing"};
static const time_t t0 = 1700000000;

static fa_jwt_issue_t issue_params(void)
{
    return (fa_jwt_issue_t){.issuer = "https://auth.example.com",
                            .audience = "billing",
                            .scope = "read:orgs write:repo",
                            .session_id = "0f8e3c2a-5b7d-4e1f-9a2b-3c4d5e6f7a8b",
                            .user_id = 583231,
                            .now = t0,
                            .ttl = 300};
}

static fa_jwt_expect_t expect_at(time_t now)
{
    return (fa_jwt_expect_t){.issuer = "https://auth.example.com",
                             .audiences = audiences,
                             .audience_count = 2,
                             .now = now,
                             .leeway = 30};
}

static fa_jwt_verdict_t verify(const char *token, json_t **claims)
{
    const char *kid;
    return fa_jws_verify(arena, fa_str_from(token), lookup, NULL, claims, &kid);
}

/* A token with arbitrary header and payload text, signed by our key. */
static char *forge(const char *header, const char *payload)
{
    return fa_jws_sign(arena, signer, header, strlen(header), payload, strlen(payload));
}

static const char *valid_payload(void)
{
    return "{\"aud\":\"billing\",\"exp\":1700000300,\"iat\":1700000000,"
           "\"iss\":\"https://auth.example.com\",\"jti\":\"j\",\"nbf\":1700000000,"
           "\"scope\":\"\",\"sid\":\"0f8e3c2a-5b7d-4e1f-9a2b-3c4d5e6f7a8b\",\"sub\":\"42\"}";
}

static char *header_with(const char *alg)
{
    return fa_arena_sprintf(arena, "{\"alg\":\"%s\",\"kid\":\"%s\",\"typ\":\"at+jwt\"}", alg,
                            signer_kid);
}

static void test_issue_verify_round_trip(void)
{
    fa_jwt_issue_t in = issue_params();
    char *token = fa_jwt_issue(arena, signer, signer_kid, &in);
    json_t *claims;
    const char *kid;
    CU_ASSERT_EQUAL_FATAL(fa_jws_verify(arena, fa_str_from(token), lookup, NULL, &claims, &kid),
                          FA_JWT_VALID);
    CU_ASSERT_STRING_EQUAL(kid, signer_kid);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(claims, "sub")), "583231");
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(claims, "aud")), "billing");
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(claims, "scope")),
                           "read:orgs write:repo");
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(claims, "iat")), t0);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(claims, "nbf")), t0);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(claims, "exp")), t0 + 300);
    CU_ASSERT_EQUAL(json_string_length(json_object_get(claims, "jti")), 36);
    fa_jwt_claims_t c;
    fa_jwt_expect_t e = expect_at(t0 + 10);
    CU_ASSERT_EQUAL(fa_jwt_check_claims(claims, &e, &c), FA_JWT_VALID);
    CU_ASSERT_EQUAL(c.user_id, 583231);
    CU_ASSERT_STRING_EQUAL(c.session_id, in.session_id);
    /* The header is exactly {"alg":"EdDSA","kid":...,"typ":"at+jwt"}. */
    size_t hlen;
    uint8_t *h = fa_base64url_decode_arena(
        arena, (fa_str_t){token, (size_t)(strchr(token, '.') - token)}, &hlen);
    CU_ASSERT_STRING_EQUAL((char *)h, header_with("EdDSA"));
    /* Two tokens for the same session differ (fresh jti). */
    CU_ASSERT_STRING_NOT_EQUAL(token, fa_jwt_issue(arena, signer, signer_kid, &in));
}

/* Issue 12: the session's sign-in time rides along, in sorted key order
 * like the rest, and a token without one (auth_time 0) omits the claim. */
static void test_auth_time_claim(void)
{
    fa_jwt_issue_t in = issue_params();
    in.auth_time = t0 - 7200;
    json_t *claims;
    CU_ASSERT_EQUAL_FATAL(verify(fa_jwt_issue(arena, signer, signer_kid, &in), &claims),
                          FA_JWT_VALID);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(claims, "auth_time")), t0 - 7200);
    fa_jwt_claims_t c;
    fa_jwt_expect_t e = expect_at(t0 + 10);
    CU_ASSERT_EQUAL(fa_jwt_check_claims(claims, &e, &c), FA_JWT_VALID);
    in.auth_time = 0;
    CU_ASSERT_EQUAL_FATAL(verify(fa_jwt_issue(arena, signer, signer_kid, &in), &claims),
                          FA_JWT_VALID);
    CU_ASSERT_PTR_NULL(json_object_get(claims, "auth_time"));
}

static void test_alg_none_refused(void)
{
    json_t *claims;
    const char *payload64 =
        fa_base64url_encode_arena(arena, valid_payload(), strlen(valid_payload()));
    const char *h = header_with("none");
    const char *h64 = fa_base64url_encode_arena(arena, h, strlen(h));
    /* The classic form: empty signature. */
    CU_ASSERT_EQUAL(verify(fa_arena_sprintf(arena, "%s.%s.", h64, payload64), &claims),
                    FA_JWT_INVALID);
    /* And with a real Ed25519 signature over it: alg must still be EdDSA. */
    CU_ASSERT_EQUAL(verify(forge(h, valid_payload()), &claims), FA_JWT_INVALID);
    CU_ASSERT_EQUAL(verify(forge(header_with("NONE"), valid_payload()), &claims), FA_JWT_INVALID);
    CU_ASSERT_EQUAL(verify(forge(header_with("eddsa"), valid_payload()), &claims), FA_JWT_INVALID);
    CU_ASSERT_PTR_NULL(claims);
}

/* HS256 keyed with what an attacker can read from the JWKS. */
static char *hs256_token(const void *key, size_t key_len)
{
    const char *h = header_with("HS256");
    char *input = fa_arena_sprintf(
        arena, "%s.%s", fa_base64url_encode_arena(arena, h, strlen(h)),
        fa_base64url_encode_arena(arena, valid_payload(), strlen(valid_payload())));
    uint8_t mac[32];
    fa_hmac_sha256(key, key_len, input, strlen(input), mac);
    return fa_arena_sprintf(arena, "%s.%s", input, fa_base64url_encode_arena(arena, mac, 32));
}

static void test_hs256_with_public_key_refused(void)
{
    json_t *claims;
    lookups = 0;
    json_t *jwk = fa_jwk_public(signer_pub, signer_kid);
    char *jwk_text = json_dumps(jwk, JSON_COMPACT);
    char x[48];
    fa_base64url_encode(signer_pub, 32, x, sizeof(x));
    CU_ASSERT_EQUAL(verify(hs256_token(signer_pub, 32), &claims), FA_JWT_INVALID);
    CU_ASSERT_EQUAL(verify(hs256_token(jwk_text, strlen(jwk_text)), &claims), FA_JWT_INVALID);
    CU_ASSERT_EQUAL(verify(hs256_token(x, strlen(x)), &claims), FA_JWT_INVALID);
    /* Refused on alg alone: no key was even looked up. */
    CU_ASSERT_EQUAL(lookups, 0);
    free(jwk_text);
    json_decref(jwk);
}

static void test_unknown_kid_refused(void)
{
    json_t *claims;
    const char *h = "{\"alg\":\"EdDSA\",\"kid\":\"someone-elses-key\",\"typ\":\"at+jwt\"}";
    CU_ASSERT_EQUAL(verify(forge(h, valid_payload()), &claims), FA_JWT_INVALID);
    CU_ASSERT_EQUAL(verify(forge("{\"alg\":\"EdDSA\",\"typ\":\"at+jwt\"}", valid_payload()), &claims),
                    FA_JWT_INVALID);
    CU_ASSERT_EQUAL(verify(forge("{\"alg\":\"EdDSA\",\"kid\":7}", valid_payload()), &claims),
                    FA_JWT_INVALID);
    /* The RFC example itself has no kid: our policy refuses it. */
    CU_ASSERT_EQUAL(verify(vec("compact"), &claims), FA_JWT_INVALID);
}

static void test_header_rules(void)
{
    json_t *claims;
    char *bare = fa_arena_sprintf(arena, "{\"alg\":\"EdDSA\",\"kid\":\"%s\"", signer_kid);
    char *base = fa_arena_sprintf(arena, "%s,\"typ\":\"at+jwt\"", bare);
    /* typ is required and must be RFC 9068's at+jwt (either spelling, any
     * case): a plain "JWT", no typ, or another type is some other token. */
    static const char *const accepted[] = {"at+jwt", "AT+JWT", "application/at+jwt"};
    static const char *const refused[] = {"JWT", "jwt", "JOSE", "id+jwt", "at+jwt ", "", "1"};
    for (size_t i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++)
        CU_ASSERT_EQUAL(verify(forge(fa_arena_sprintf(arena, "%s,\"typ\":\"%s\"}", bare,
                                                      accepted[i]),
                                     valid_payload()),
                               &claims),
                        FA_JWT_VALID);
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
        CU_ASSERT_EQUAL(verify(forge(fa_arena_sprintf(arena, "%s,\"typ\":\"%s\"}", bare,
                                                      refused[i]),
                                     valid_payload()),
                               &claims),
                        FA_JWT_INVALID);
    CU_ASSERT_EQUAL(verify(forge(fa_arena_sprintf(arena, "%s}", bare), valid_payload()), &claims),
                    FA_JWT_INVALID);
    CU_ASSERT_EQUAL(
        verify(forge(fa_arena_sprintf(arena, "%s,\"typ\":7}", bare), valid_payload()), &claims),
        FA_JWT_INVALID);
    CU_ASSERT_EQUAL(verify(forge(fa_arena_sprintf(arena, "%s}", base), valid_payload()), &claims),
                    FA_JWT_VALID);
    CU_ASSERT_EQUAL(
        verify(forge(fa_arena_sprintf(arena, "%s,\"crit\":[\"exp\"]}", base), valid_payload()),
               &claims),
        FA_JWT_INVALID);
    /* Duplicate alg: two readers could disagree, so nobody reads it. */
    CU_ASSERT_EQUAL(
        verify(forge(fa_arena_sprintf(arena, "%s,\"alg\":\"none\"}", base), valid_payload()),
               &claims),
        FA_JWT_INVALID);
    CU_ASSERT_EQUAL(verify(forge("[1,2]", valid_payload()), &claims), FA_JWT_INVALID);
    CU_ASSERT_EQUAL(verify(forge(fa_arena_sprintf(arena, "%s}", base), "not json"), &claims),
                    FA_JWT_INVALID);
    CU_ASSERT_EQUAL(verify(forge(fa_arena_sprintf(arena, "%s}", base), "[\"array\"]"), &claims),
                    FA_JWT_INVALID);
}

static void test_structure_refused(void)
{
    json_t *claims;
    fa_jwt_issue_t in = issue_params();
    char *token = fa_jwt_issue(arena, signer, signer_kid, &in);
    size_t len = strlen(token);
    char *dot2 = strrchr(token, '.');
    CU_ASSERT_EQUAL(verify(fa_arena_strndup(arena, token, (size_t)(dot2 - token)), &claims),
                    FA_JWT_INVALID); /* two segments */
    CU_ASSERT_EQUAL(verify(fa_arena_sprintf(arena, "%s.", token), &claims), FA_JWT_INVALID);
    CU_ASSERT_EQUAL(verify(fa_arena_sprintf(arena, "%s.AAAA", token), &claims), FA_JWT_INVALID);
    CU_ASSERT_EQUAL(verify(fa_arena_sprintf(arena, ".%s", token), &claims), FA_JWT_INVALID);
    CU_ASSERT_EQUAL(verify("", &claims), FA_JWT_INVALID);
    CU_ASSERT_EQUAL(verify("..", &claims), FA_JWT_INVALID);
    CU_ASSERT_EQUAL(verify("a.b.c", &claims), FA_JWT_INVALID);
    /* Non-canonical base64url: padding, the standard alphabet, whitespace. */
    CU_ASSERT_EQUAL(verify(fa_arena_sprintf(arena, "%s=", token), &claims), FA_JWT_INVALID);
    char *plus = fa_arena_strdup(arena, token);
    for (char *p = plus; *p; p++)
        if (*p == '-' || *p == '_') {
            *p = *p == '-' ? '+' : '/';
            break;
        }
    if (strcmp(plus, token) != 0)
        CU_ASSERT_EQUAL(verify(plus, &claims), FA_JWT_INVALID);
    char *space = fa_arena_sprintf(arena, "%.*s %s", (int)(dot2 - token + 1), token, dot2 + 1);
    CU_ASSERT_EQUAL(verify(space, &claims), FA_JWT_INVALID);
    (void)len;
}

static void test_oversize_refused(void)
{
    json_t *claims;
    lookups = 0;
    size_t big = FA_JWT_MAX_LEN + 1;
    char *pad = fa_arena_alloc(arena, big + 1);
    memset(pad, 'A', big);
    pad[big] = 0;
    char *token = fa_arena_sprintf(arena, "%s.%s.%s", "eyJhbGciOiJFZERTQSJ9", pad, "AAAA");
    CU_ASSERT_EQUAL(verify(token, &claims), FA_JWT_INVALID);
    CU_ASSERT_EQUAL(lookups, 0);
    /* A large but legal payload signed by us still verifies below the limit. */
    char *claims_text = fa_arena_sprintf(arena, "{\"pad\":\"%.*s\"}", 3000, pad);
    CU_ASSERT_EQUAL(verify(forge(header_with("EdDSA"), claims_text), &claims), FA_JWT_VALID);
}

static void test_tampering_refused(void)
{
    json_t *claims;
    fa_jwt_issue_t in = issue_params();
    char *token = fa_jwt_issue(arena, signer, signer_kid, &in);
    char *dot1 = strchr(token, '.'), *dot2 = strrchr(token, '.');
    /* Flip one character in each segment (staying in the alphabet). */
    char *positions[] = {token + 3, dot1 + 5, dot2 + 7};
    for (size_t i = 0; i < 3; i++) {
        char *copy = fa_arena_strdup(arena, token);
        char *p = copy + (positions[i] - token);
        *p = *p == 'A' ? 'B' : 'A';
        CU_ASSERT_EQUAL(verify(copy, &claims), FA_JWT_INVALID);
    }
    /* A payload from another token under this token's signature. */
    in.user_id = 1;
    char *other = fa_jwt_issue(arena, signer, signer_kid, &in);
    char *other_dot1 = strchr(other, '.'), *other_dot2 = strrchr(other, '.');
    char *spliced = fa_arena_sprintf(arena, "%.*s%.*s%s", (int)(dot1 - token), token,
                                     (int)(other_dot2 - other_dot1), other_dot1, dot2);
    CU_ASSERT_EQUAL(verify(spliced, &claims), FA_JWT_INVALID);
    /* Signed by another key that claims our kid. */
    uint8_t seed[32], pub[32];
    fa_ed25519_generate(seed, pub);
    EVP_PKEY *stranger = fa_ed25519_private_key(seed);
    const char *h = header_with("EdDSA");
    CU_ASSERT_EQUAL(
        verify(fa_jws_sign(arena, stranger, h, strlen(h), valid_payload(), strlen(valid_payload())),
               &claims),
        FA_JWT_INVALID);
    EVP_PKEY_free(stranger);
    OPENSSL_cleanse(seed, sizeof(seed));
}

/* ---- claims ------------------------------------------------------------ */

static fa_jwt_verdict_t check(const char *payload, time_t now)
{
    json_t *claims;
    if (verify(forge(header_with("EdDSA"), payload), &claims) != FA_JWT_VALID)
        return (fa_jwt_verdict_t)-1;
    fa_jwt_claims_t c;
    fa_jwt_expect_t e = expect_at(now);
    return fa_jwt_check_claims(claims, &e, &c);
}

static char *payload_with(const char *replace, const char *with)
{
    const char *base = valid_payload();
    const char *at = strstr(base, replace);
    CU_ASSERT_PTR_NOT_NULL_FATAL(at);
    return fa_arena_sprintf(arena, "%.*s%s%s", (int)(at - base), base, with, at + strlen(replace));
}

static void test_claims_expiry_and_leeway(void)
{
    const char *p = valid_payload(); /* exp = t0 + 300, leeway 30 */
    CU_ASSERT_EQUAL(check(p, t0 + 299), FA_JWT_VALID);
    CU_ASSERT_EQUAL(check(p, t0 + 300), FA_JWT_VALID); /* inside the leeway */
    CU_ASSERT_EQUAL(check(p, t0 + 329), FA_JWT_VALID);
    CU_ASSERT_EQUAL(check(p, t0 + 330), FA_JWT_EXPIRED); /* exp + leeway reached */
    CU_ASSERT_EQUAL(check(p, t0 + 100000), FA_JWT_EXPIRED);
    /* Not yet valid: nbf beyond the leeway is refused, within it accepted. */
    CU_ASSERT_EQUAL(check(p, t0 - 30), FA_JWT_VALID);
    CU_ASSERT_EQUAL(check(p, t0 - 31), FA_JWT_INVALID);
}

static void test_claims_refused(void)
{
    time_t now = t0 + 1;
    CU_ASSERT_EQUAL(check(payload_with("\"iss\":\"https://auth.example.com\"",
                                       "\"iss\":\"https://evil.example.com\""),
                          now),
                    FA_JWT_INVALID);
    CU_ASSERT_EQUAL(check(payload_with("\"aud\":\"billing\"", "\"aud\":\"other\""), now),
                    FA_JWT_INVALID);
    CU_ASSERT_EQUAL(check(payload_with("\"aud\":\"billing\"", "\"aud\":[\"billing\"]"), now),
                    FA_JWT_INVALID);
    CU_ASSERT_EQUAL(check(payload_with("\"sub\":\"42\"", "\"sub\":42"), now), FA_JWT_INVALID);
    CU_ASSERT_EQUAL(check(payload_with("\"sub\":\"42\"", "\"sub\":\"0042\""), now), FA_JWT_INVALID);
    CU_ASSERT_EQUAL(check(payload_with("\"sub\":\"42\"", "\"sub\":\"-1\""), now), FA_JWT_INVALID);
    CU_ASSERT_EQUAL(check(payload_with("\"sid\":\"0f8e3c2a-5b7d-4e1f-9a2b-3c4d5e6f7a8b\"",
                                       "\"sid\":\"0F8E3C2A-5B7D-4E1F-9A2B-3C4D5E6F7A8B\""),
                          now),
                    FA_JWT_INVALID);
    CU_ASSERT_EQUAL(check(payload_with("\"exp\":1700000300", "\"exp\":1700000300.5"), now),
                    FA_JWT_INVALID);
    CU_ASSERT_EQUAL(check(payload_with("\"exp\":1700000300", "\"exp\":\"1700000300\""), now),
                    FA_JWT_INVALID);
    CU_ASSERT_EQUAL(check(payload_with("\"scope\":\"\",", ""), now), FA_JWT_INVALID);
    CU_ASSERT_EQUAL(check(payload_with("\"jti\":\"j\",", ""), now), FA_JWT_INVALID);
    CU_ASSERT_EQUAL(check(payload_with("\"iat\":1700000000", "\"iat\":1800000000"), now),
                    FA_JWT_INVALID);
    /* Duplicate claim names are refused at parse time. */
    CU_ASSERT_EQUAL(check(payload_with("\"sub\":\"42\"", "\"sub\":\"42\",\"sub\":\"1\""), now),
                    (fa_jwt_verdict_t)-1);
}

static void test_scope_syntax(void)
{
    CU_ASSERT_TRUE(fa_jwt_scope_valid(""));
    CU_ASSERT_TRUE(fa_jwt_scope_valid("read"));
    CU_ASSERT_TRUE(fa_jwt_scope_valid("read:orgs write:repo https://x.example/y"));
    CU_ASSERT_FALSE(fa_jwt_scope_valid(" read"));
    CU_ASSERT_FALSE(fa_jwt_scope_valid("read "));
    CU_ASSERT_FALSE(fa_jwt_scope_valid("read  write"));
    CU_ASSERT_FALSE(fa_jwt_scope_valid("a\"b"));
    CU_ASSERT_FALSE(fa_jwt_scope_valid("a\\b"));
    CU_ASSERT_FALSE(fa_jwt_scope_valid("a\tb"));
    CU_ASSERT_FALSE(fa_jwt_scope_valid("caf\xc3\xa9"));
    char long_scope[FA_JWT_SCOPE_MAX + 2];
    memset(long_scope, 'a', sizeof(long_scope) - 1);
    long_scope[sizeof(long_scope) - 1] = 0;
    CU_ASSERT_FALSE(fa_jwt_scope_valid(long_scope));
    long_scope[FA_JWT_SCOPE_MAX] = 0;
    CU_ASSERT_TRUE(fa_jwt_scope_valid(long_scope));
}

static void test_jwk_public_shape(void)
{
    json_t *jwk = fa_jwk_public(signer_pub, signer_kid);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(jwk, "kty")), "OKP");
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(jwk, "crv")), "Ed25519");
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(jwk, "alg")), "EdDSA");
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(jwk, "use")), "sig");
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(jwk, "kid")), signer_kid);
    CU_ASSERT_PTR_NULL(json_object_get(jwk, "d")); /* never the private part */
    CU_ASSERT_EQUAL(json_object_size(jwk), 6);
    json_decref(jwk);
}

int main(void)
{
    vectors = json_load_file("rfc8037.json", 0, NULL);
    if (!vectors) {
        fprintf(stderr, "cannot read rfc8037.json (run from tests/unit/auth)\n");
        return 1;
    }
    arena = fa_arena_create(64 * 1024);
    uint8_t seed[32];
    fa_ed25519_generate(seed, signer_pub);
    signer = fa_ed25519_private_key(seed);
    OPENSSL_cleanse(seed, sizeof(seed));
    fa_jwk_thumbprint(signer_pub, signer_kid);
    static const test_case_t tests[] = {
        {"RFC 8037 A.2: public key from the private key", test_rfc8037_public_key_from_private},
        {"RFC 8037 A.3: JWK thumbprint", test_rfc8037_thumbprint},
        {"RFC 8037 A.4: Ed25519 signature known answer", test_rfc8037_sign_known_answer},
        {"RFC 8037 A.5: verification known answer", test_rfc8037_verify_known_answer},
        {"issue and verify round trip", test_issue_verify_round_trip},
        {"auth_time claim (issue 12)", test_auth_time_claim},
        {"alg none refused", test_alg_none_refused},
        {"HS256 keyed with the public key refused", test_hs256_with_public_key_refused},
        {"unknown or missing kid refused", test_unknown_kid_refused},
        {"header rules", test_header_rules},
        {"malformed structure refused", test_structure_refused},
        {"oversize token refused before any lookup", test_oversize_refused},
        {"tampering refused", test_tampering_refused},
        {"expiry, not-before and leeway", test_claims_expiry_and_leeway},
        {"claims refused", test_claims_refused},
        {"scope syntax", test_scope_syntax},
        {"public JWK shape", test_jwk_public_shape},
    };
    static const fa_unit_suite_t suite = {.name = "auth/jwt"};
    int rc = fa_unit_run(&suite, tests, FA_UNIT_COUNT(tests));
    EVP_PKEY_free(signer);
    fa_arena_destroy(arena);
    json_decref(vectors);
    return rc;
}
