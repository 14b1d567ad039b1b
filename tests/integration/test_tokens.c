/* Tokens suite (issue 5, "JWTs for downstream services"): a JWT issued for a
 * session, verified by our endpoint and by two independent implementations
 * (node's crypto and the openssl command line) against our JWKS; expiry with
 * its leeway, a revoked session, tampering, alg none and HS256 confusion;
 * key rotation with its overlap; private keys sealed at rest. */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auth/jwt.h"
#include "auth/signing_keys.h"
#include "crypto/base64url.h"
#include "crypto/hash.h"
#include "crypto/kdf.h"
#include "harness.h"
#include "identity_helpers.h"
#include "signin_helpers.h"

#define FA_AUD "api.test"
/* The other audience scripts/test configures (its max_auth_age, 60 s, is no
 * bar for a user who has just signed in). */
#define FA_AUD_OTHER "fresh.test"
/* The JWKS Cache-Control max-age (test_jwks checks the header). */
#define FA_TEST_JWKS_MAX_AGE 300

static long fa_env_long(const char *key, long fallback)
{
    char *v = fa_envfile_get(key);
    long n = v && *v ? atol(v) : fallback;
    free(v);
    return n;
}

/* POST /v1/auth/token for session; the token (malloc'd) or NULL. */
static char *fa_issue(const char *session, const char *body, fa_http_response_t **out)
{
    fa_http_response_t *r = fa_id_post_json("/v1/auth/token", session, body);
    char *token = r->status == 200 ? fa_http_json_string(r, "token") : NULL;
    if (out)
        *out = r;
    else
        fa_http_response_free(r);
    return token;
}

/* POST /v1/auth/token/verify as the service audience. */
static fa_http_response_t *fa_verify_as(const char *token, const char *audience)
{
    json_t *body = json_pack("{s:s, s:s}", "token", token, "audience", audience);
    char *text = json_dumps(body, JSON_COMPACT);
    fa_http_response_t *r = fa_id_post_json("/v1/auth/token/verify", NULL, text);
    free(text);
    json_decref(body);
    return r;
}

static fa_http_response_t *fa_verify(const char *token)
{
    return fa_verify_as(token, FA_AUD);
}

/* The error code a verify as audience answers (malloc'd), "active" for a 200. */
static char *fa_verify_outcome_as(const char *token, const char *audience)
{
    fa_http_response_t *r = fa_verify_as(token, audience);
    char *code;
    if (r->status == 200) {
        json_t *j = fa_http_json(r);
        code = fa_xstrdup(json_is_true(json_object_get(j, "active")) ? "active" : "200-not-active");
        json_decref(j);
    } else {
        code = fa_http_json_string(r, "error");
        if (!code)
            code = fa_xasprintf("status-%ld", r->status);
        if (r->status != 401)
            FA_CHECK(false, "verify answered %ld, expected 200 or 401: %.200s", r->status, r->body);
    }
    fa_http_response_free(r);
    return code;
}

static char *fa_verify_outcome(const char *token)
{
    return fa_verify_outcome_as(token, FA_AUD);
}

static void fa_expect_outcome(const char *token, const char *expected, const char *what)
{
    char *got = fa_verify_outcome(token);
    FA_CHECK(strcmp(got, expected) == 0, "%s: verify expected %s, got %s", what, expected, got);
    free(got);
}

/* kid of a token's header (malloc'd). */
/* A string member of a token's JWS header (malloc'd), NULL when absent. */
static char *fa_token_header(const char *token, const char *member)
{
    const char *dot = strchr(token, '.');
    fa_arena_t *arena = fa_arena_create(4096);
    size_t len;
    uint8_t *h =
        dot ? fa_base64url_decode_arena(arena, (fa_str_t){token, (size_t)(dot - token)}, &len)
            : NULL;
    json_t *header = h ? json_loadb((const char *)h, len, 0, NULL) : NULL;
    const char *value = json_string_value(json_object_get(header, member));
    char *out = value ? fa_xstrdup(value) : NULL;
    json_decref(header);
    fa_arena_destroy(arena);
    return out;
}

static char *fa_token_kid(const char *token)
{
    return fa_token_header(token, "kid");
}

static json_t *fa_jwks(fa_http_response_t **out)
{
    fa_http_response_t *r = fa_http_get("/.well-known/jwks.json");
    json_t *j = r->status == 200 ? fa_http_json(r) : NULL;
    if (out)
        *out = r;
    else
        fa_http_response_free(r);
    return j;
}

static json_t *fa_jwks_key(json_t *jwks, const char *kid)
{
    size_t i;
    json_t *k;
    json_array_foreach(json_object_get(jwks, "keys"), i, k)
    {
        const char *v = json_string_value(json_object_get(k, "kid"));
        if (v && kid && strcmp(v, kid) == 0)
            return k;
    }
    return NULL;
}

/* ---- issue and verify ---------------------------------------------------- */

static void test_issue_and_verify(void)
{
    fa_id_user_t u;
    fa_id_user_new(&u, "jwt");
    char *sid = fa_session_id_of(u.session);
    fa_http_response_t *r;
    char *token =
        fa_issue(u.session, "{\"audience\":\"" FA_AUD "\",\"scope\":\"read:things\"}", &r);
    FA_CHECK_FATAL(token != NULL, "POST /v1/auth/token: expected 200 with a token, got %ld %.300s",
                   r->status, r->body);
    json_t *body = fa_http_json(r);
    long ttl = fa_env_long("FOUNDRY_JWT_TTL", 300);
    FA_CHECK(strcmp(json_string_value(json_object_get(body, "tokenType")), "Bearer") == 0,
             "tokenType expected Bearer: %.200s", r->body);
    FA_CHECK(json_integer_value(json_object_get(body, "expiresIn")) == ttl,
             "expiresIn expected %ld: %.200s", ttl, r->body);
    const char *cc = fa_http_header(r, "Cache-Control");
    FA_CHECK(cc && strstr(cc, "no-store"), "token response Cache-Control: %s", cc ? cc : "(none)");
    json_decref(body);
    fa_http_response_free(r);

    r = fa_verify(token);
    json_t *claims = fa_http_json(r);
    FA_CHECK_FATAL(r->status == 200 && claims, "verify a fresh token: %ld %.300s", r->status,
                   r->body);
    char *iss = fa_envfile_get("FOUNDRY_AUTH_URL");
    FA_CHECK(json_is_true(json_object_get(claims, "active")), "active expected true");
    FA_CHECK(strcmp(json_string_value(json_object_get(claims, "sub")), u.id_text) == 0,
             "sub expected %s: %.300s", u.id_text, r->body);
    FA_CHECK(sid && strcmp(json_string_value(json_object_get(claims, "sid")), sid) == 0,
             "sid expected %s: %.300s", sid ? sid : "?", r->body);
    FA_CHECK(strcmp(json_string_value(json_object_get(claims, "aud")), FA_AUD) == 0, "aud: %.300s",
             r->body);
    FA_CHECK(iss && strcmp(json_string_value(json_object_get(claims, "iss")), iss) == 0,
             "iss expected %s: %.300s", iss ? iss : "?", r->body);
    FA_CHECK(strcmp(json_string_value(json_object_get(claims, "scope")), "read:things") == 0,
             "scope: %.300s", r->body);
    json_int_t iat = json_integer_value(json_object_get(claims, "iat"));
    FA_CHECK(json_integer_value(json_object_get(claims, "exp")) - iat == ttl &&
                 json_integer_value(json_object_get(claims, "nbf")) == iat &&
                 llabs((long long)iat - (long long)time(NULL)) < 10,
             "iat/nbf/exp: %.300s", r->body);
    FA_CHECK(json_string_length(json_object_get(claims, "jti")) == 36, "jti: %.300s", r->body);
    json_decref(claims);
    fa_http_response_free(r);
    free(iss);

    /* The JWT is not a session token: it does not open a session. */
    r = fa_bearer_request("GET", "/v1/auth/session", token, NULL);
    FA_CHECK(r->status == 401, "a JWT used as a session bearer: expected 401, got %ld", r->status);
    fa_http_response_free(r);
    free(token);
    free(sid);
    fa_id_user_free(&u);
}

static void test_issue_refusals(void)
{
    fa_id_user_t u;
    fa_id_user_new(&u, "jwtbad");
    struct {
        const char *body;
        long status;
        const char *code;
    } cases[] = {
        {"{\"audience\":\"not-on-the-list\"}", 403, "audience_not_allowed"},
        {"{\"scope\":\"read\"}", 400, "invalid_request"},
        {"{\"audience\":42}", 400, "invalid_request"},
        {"{\"audience\":\"" FA_AUD "\",\"scope\":\"two  spaces\"}", 400, "invalid_scope"},
        {"{\"audience\":\"" FA_AUD "\",\"scope\":\"quote\\\"d\"}", 400, "invalid_scope"},
        {"{\"audience\":\"" FA_AUD "\",\"scope\":7}", 400, "invalid_request"},
        {"not json", 400, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fa_http_response_t *r;
        char *token = fa_issue(u.session, cases[i].body, &r);
        char *what = fa_xasprintf("POST /v1/auth/token %s", cases[i].body);
        FA_CHECK_JSON_ERROR(r, cases[i].status, cases[i].code, what);
        free(what);
        free(token);
        fa_http_response_free(r);
    }
    fa_http_response_t *r;
    char *token = fa_issue(NULL, "{\"audience\":\"" FA_AUD "\"}", &r);
    FA_CHECK_JSON_ERROR(r, 401, "unauthenticated", "POST /v1/auth/token without a session");
    free(token);
    fa_http_response_free(r);
    fa_id_user_free(&u);
}

/* Issue 13: a token is active only for the audience it was issued to, and
 * the caller must say which audience it is. Before, any configured audience
 * passed, so service A accepted service B's token. */
static void test_verify_is_bound_to_the_audience(void)
{
    fa_id_user_t u;
    fa_id_user_new(&u, "jwtaud");
    char *theirs = fa_issue(u.session, "{\"audience\":\"" FA_AUD_OTHER "\"}", NULL);
    FA_CHECK_FATAL(theirs != NULL, "cannot issue a token for " FA_AUD_OTHER);
    char *got = fa_verify_outcome_as(theirs, FA_AUD);
    FA_CHECK(strcmp(got, "invalid_token") == 0,
             FA_AUD_OTHER "'s token presented by " FA_AUD ": expected invalid_token, got %s", got);
    free(got);
    got = fa_verify_outcome_as(theirs, FA_AUD_OTHER);
    FA_CHECK(strcmp(got, "active") == 0,
             FA_AUD_OTHER "'s token presented by " FA_AUD_OTHER ": expected active, got %s", got);
    free(got);

    json_t *bodies = json_pack("[{s:s}, {s:s, s:i}, {s:s, s:n}, {s:s, s:[s]}]", "token", theirs,
                               "token", theirs, "audience", 7, "token", theirs, "audience", "token",
                               theirs, "audience", FA_AUD_OTHER);
    for (size_t i = 0; i < json_array_size(bodies); i++) {
        char *text = json_dumps(json_array_get(bodies, i), JSON_COMPACT);
        fa_http_response_t *r = fa_id_post_json("/v1/auth/token/verify", NULL, text);
        char *what = fa_xasprintf("verify %.60s...: a missing or non-string audience", text);
        FA_CHECK_JSON_ERROR(r, 400, "invalid_request", what);
        free(what), free(text);
        fa_http_response_free(r);
    }
    json_decref(bodies);

    /* An audience we never issue for: the caller's configuration is wrong. */
    fa_http_response_t *r = fa_verify_as(theirs, "not-on-the-list");
    FA_CHECK_JSON_ERROR(r, 400, "unknown_audience", "verify as an audience not configured");
    fa_http_response_free(r);
    free(theirs);
    fa_id_user_free(&u);
}

static void test_jwks(void)
{
    fa_id_user_t u;
    fa_id_user_new(&u, "jwks");
    char *token = fa_issue(u.session, "{\"audience\":\"" FA_AUD "\"}", NULL);
    FA_CHECK_FATAL(token != NULL, "cannot issue a token");
    char *kid = fa_token_kid(token);
    /* RFC 8725 section 3.11: an explicit type, so that no other JWS this key
     * might ever sign can be mistaken for an access token. */
    char *typ = fa_token_header(token, "typ");
    FA_CHECK(typ && strcmp(typ, "at+jwt") == 0, "JWT header typ %s, want at+jwt",
             typ ? typ : "(none)");
    free(typ);
    fa_http_response_t *r;
    json_t *jwks = fa_jwks(&r);
    FA_CHECK_FATAL(jwks != NULL, "GET /.well-known/jwks.json: %ld %.200s", r->status, r->body);
    const char *cc = fa_http_header(r, "Cache-Control");
    FA_CHECK(cc && strcmp(cc, "public, max-age=300") == 0,
             "JWKS Cache-Control expected \"public, max-age=300\", got %s", cc ? cc : "(none)");
    json_t *key = fa_jwks_key(jwks, kid);
    FA_CHECK(key != NULL, "the token's kid %s is not in the JWKS: %.500s", kid ? kid : "?",
             r->body);
    size_t i;
    json_t *k;
    json_array_foreach(json_object_get(jwks, "keys"), i, k)
    {
        FA_CHECK(strcmp(json_string_value(json_object_get(k, "kty")), "OKP") == 0 &&
                     strcmp(json_string_value(json_object_get(k, "crv")), "Ed25519") == 0 &&
                     strcmp(json_string_value(json_object_get(k, "alg")), "EdDSA") == 0 &&
                     strcmp(json_string_value(json_object_get(k, "use")), "sig") == 0 &&
                     json_string_length(json_object_get(k, "x")) == 43,
                 "JWK shape: %.300s", r->body);
        FA_CHECK(json_object_get(k, "d") == NULL, "a JWKS key carries its private part");
    }
    json_decref(jwks);
    fa_http_response_free(r);
    free(kid);
    free(token);
    fa_id_user_free(&u);
}

/* ---- independent verification ------------------------------------------- */

static char *fa_write_tmp(const char *name, const void *data, size_t len)
{
    char *path = fa_xasprintf("%s/%s-%d", fa_env("FA_TEST_TMP"), name, (int)getpid());
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len)
        abort();
    fclose(f);
    return path;
}

/* node's built-in crypto, JWK imported as published: "valid" or "invalid". */
static char *fa_node_verify(const char *token, const char *jwk_json)
{
    static const char script[] =
        "const crypto = require('crypto');"
        "const [token, jwk] = process.argv.slice(1);"
        "const [h, p, s] = token.split('.');"
        "const key = crypto.createPublicKey({ key: JSON.parse(jwk), format: 'jwk' });"
        "const ok = crypto.verify(null, Buffer.from(h + '.' + p), key, Buffer.from(s, "
        "'base64url'));"
        "const header = JSON.parse(Buffer.from(h, 'base64url'));"
        "console.log(ok && header.alg === 'EdDSA' ? 'valid' : 'invalid');";
    char *argv[] = {"/usr/bin/env", "node",           "-e", (char *)script,
                    (char *)token,  (char *)jwk_json, NULL};
    fa_run_result_t res;
    fa_run(argv, NULL, 20000, &res);
    char *out = fa_xasprintf("%s", res.exit_code == 0 ? strtok(res.out, "\n") : res.err);
    fa_run_result_free(&res);
    return out;
}

/* openssl pkeyutl with the JWKS key converted to PEM (SubjectPublicKeyInfo
 * for Ed25519 is a fixed 12-byte prefix and the 32-byte key). */
static int fa_openssl_verify(const char *token, const char *x)
{
    static const uint8_t spki_prefix[12] = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03,
                                            0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};
    uint8_t der[44], sig[64];
    size_t len;
    memcpy(der, spki_prefix, 12);
    if (!fa_base64url_decode(x, strlen(x), der + 12, 32, &len) || len != 32)
        return -1;
    const char *dot2 = strrchr(token, '.');
    if (!fa_base64url_decode(dot2 + 1, strlen(dot2 + 1), sig, sizeof sig, &len) || len != 64)
        return -1;
    char *der_path = fa_write_tmp("jwk.der", der, sizeof der);
    char *pem_path = fa_xasprintf("%s.pem", der_path);
    char *data_path = fa_write_tmp("jws.data", token, (size_t)(dot2 - token));
    char *sig_path = fa_write_tmp("jws.sig", sig, sizeof sig);
    char *cmd = fa_xasprintf("openssl pkey -pubin -inform DER -in '%s' -out '%s' && "
                             "openssl pkeyutl -verify -pubin -inkey '%s' -rawin -in '%s' "
                             "-sigfile '%s'",
                             der_path, pem_path, pem_path, data_path, sig_path);
    fa_run_result_t res;
    fa_run_shell(cmd, 20000, &res);
    int rc = res.exit_code;
    fa_run_result_free(&res);
    unlink(der_path), unlink(pem_path), unlink(data_path), unlink(sig_path);
    free(cmd), free(der_path), free(pem_path), free(data_path), free(sig_path);
    return rc;
}

static void test_independent_verification(void)
{
    fa_id_user_t u;
    fa_id_user_new(&u, "jwtnode");
    char *token = fa_issue(u.session, "{\"audience\":\"" FA_AUD "\",\"scope\":\"a b\"}", NULL);
    FA_CHECK_FATAL(token != NULL, "cannot issue a token");
    char *kid = fa_token_kid(token);
    json_t *jwks = fa_jwks(NULL);
    json_t *key = fa_jwks_key(jwks, kid);
    FA_CHECK_FATAL(key != NULL, "kid %s not in the JWKS", kid ? kid : "?");
    char *jwk_json = json_dumps(key, JSON_COMPACT);

    char *node = fa_node_verify(token, jwk_json);
    FA_CHECK(strcmp(node, "valid") == 0, "node crypto.verify of our token: %s", node);
    free(node);
    int rc = fa_openssl_verify(token, json_string_value(json_object_get(key, "x")));
    FA_CHECK(rc == 0, "openssl pkeyutl -verify of our token: exit %d", rc);

    /* Negative controls: the same verifiers refuse a tampered token. */
    char *tampered = fa_xstrdup(token);
    char *p = strchr(tampered, '.') + 3;
    *p = *p == 'A' ? 'B' : 'A';
    node = fa_node_verify(tampered, jwk_json);
    FA_CHECK(strcmp(node, "invalid") == 0, "node accepted a tampered token: %s", node);
    free(node);
    rc = fa_openssl_verify(tampered, json_string_value(json_object_get(key, "x")));
    FA_CHECK(rc != 0, "openssl accepted a tampered token");
    free(tampered);
    free(jwk_json);
    json_decref(jwks);
    free(kid);
    free(token);
    fa_id_user_free(&u);
}

/* ---- refusals ------------------------------------------------------------ */

static char *fa_b64(const char *text)
{
    fa_arena_t *arena = fa_arena_create(4096);
    char *out = fa_xstrdup(fa_base64url_encode_arena(arena, text, strlen(text)));
    fa_arena_destroy(arena);
    return out;
}

/* The token with its header replaced by header_json, signed with HMAC-SHA256
 * under key (NULL: empty signature). */
static char *fa_reheader(const char *token, const char *header_json, const void *key,
                         size_t key_len)
{
    const char *dot1 = strchr(token, '.'), *dot2 = strrchr(token, '.');
    char *h = fa_b64(header_json);
    char *input = fa_xasprintf("%s.%.*s", h, (int)(dot2 - dot1 - 1), dot1 + 1);
    char *out;
    if (key) {
        uint8_t mac[32];
        char sig[44];
        fa_hmac_sha256(key, key_len, input, strlen(input), mac);
        fa_base64url_encode(mac, 32, sig, sizeof sig);
        out = fa_xasprintf("%s.%s", input, sig);
    } else {
        out = fa_xasprintf("%s.", input);
    }
    free(h);
    free(input);
    return out;
}

static void test_verify_refusals(void)
{
    fa_id_user_t u;
    fa_id_user_new(&u, "jwtrefuse");
    char *token = fa_issue(u.session, "{\"audience\":\"" FA_AUD "\"}", NULL);
    FA_CHECK_FATAL(token != NULL, "cannot issue a token");
    fa_expect_outcome(token, "active", "the untouched token");
    char *kid = fa_token_kid(token);
    json_t *jwks = fa_jwks(NULL);
    const char *x = json_string_value(json_object_get(fa_jwks_key(jwks, kid), "x"));
    FA_CHECK_FATAL(x != NULL, "kid not in the JWKS");
    uint8_t pub[32];
    size_t len;
    fa_base64url_decode(x, strlen(x), pub, sizeof pub, &len);

    /* Tampered payload: another user id under the same signature. */
    const char *dot1 = strchr(token, '.'), *dot2 = strrchr(token, '.');
    char *claims = fa_xasprintf("{\"sub\":\"1\",\"aud\":\"%s\"}", FA_AUD);
    char *p64 = fa_b64(claims);
    char *swapped = fa_xasprintf("%.*s.%s%s", (int)(dot1 - token), token, p64, dot2);
    fa_expect_outcome(swapped, "invalid_token", "payload swapped");
    char *flipped = fa_xstrdup(token);
    flipped[strlen(flipped) - 5] = flipped[strlen(flipped) - 5] == 'A' ? 'B' : 'A';
    fa_expect_outcome(flipped, "invalid_token", "signature flipped");

    char *none_header = fa_xasprintf("{\"alg\":\"none\",\"kid\":\"%s\",\"typ\":\"at+jwt\"}", kid);
    char *none = fa_reheader(token, none_header, NULL, 0);
    fa_expect_outcome(none, "invalid_token", "alg none");
    char *hs_header = fa_xasprintf("{\"alg\":\"HS256\",\"kid\":\"%s\",\"typ\":\"at+jwt\"}", kid);
    char *hs_raw = fa_reheader(token, hs_header, pub, 32);
    fa_expect_outcome(hs_raw, "invalid_token", "HS256 keyed with the raw public key");
    char *hs_x = fa_reheader(token, hs_header, x, strlen(x));
    fa_expect_outcome(hs_x, "invalid_token", "HS256 keyed with the JWK x value");
    char *jwk_text = json_dumps(fa_jwks_key(jwks, kid), JSON_COMPACT);
    char *hs_jwk = fa_reheader(token, hs_header, jwk_text, strlen(jwk_text));
    fa_expect_outcome(hs_jwk, "invalid_token", "HS256 keyed with the JWK JSON");
    char *unknown =
        fa_reheader(token, "{\"alg\":\"EdDSA\",\"kid\":\"nope\",\"typ\":\"at+jwt\"}", pub, 32);
    fa_expect_outcome(unknown, "invalid_token", "unknown kid");

    char *two = fa_xasprintf("%.*s", (int)(dot2 - token), token);
    fa_expect_outcome(two, "invalid_token", "two segments");
    char *four = fa_xasprintf("%s.AAAA", token);
    fa_expect_outcome(four, "invalid_token", "four segments");
    char *padded = fa_xasprintf("%s=", token);
    fa_expect_outcome(padded, "invalid_token", "base64 padding");
    fa_expect_outcome("not a token", "invalid_token", "garbage");
    fa_expect_outcome("", "invalid_token", "empty");
    char *big = malloc(9001);
    memset(big, 'A', 9000);
    big[9000] = 0;
    big[100] = '.';
    big[200] = '.';
    fa_expect_outcome(big, "invalid_token", "a 9000-byte token");

    fa_http_response_t *r = fa_id_post_json("/v1/auth/token/verify", NULL, "{\"token\":7}");
    FA_CHECK_JSON_ERROR(r, 400, "invalid_request", "verify with a non-string token");
    fa_http_response_free(r);
    r = fa_id_post_json("/v1/auth/token/verify", NULL, "{}");
    FA_CHECK_JSON_ERROR(r, 400, "invalid_request", "verify without a token");
    fa_http_response_free(r);

    free(big), free(padded), free(four), free(two), free(unknown), free(hs_jwk), free(jwk_text);
    free(hs_x), free(hs_raw), free(hs_header), free(none), free(none_header), free(flipped);
    free(swapped), free(p64), free(claims), free(kid), free(token);
    json_decref(jwks);
    fa_id_user_free(&u);
}

static void test_session_revoked(void)
{
    fa_id_user_t u;
    fa_id_user_new(&u, "jwtrevoke");
    char *token = fa_issue(u.session, "{\"audience\":\"" FA_AUD "\"}", NULL);
    FA_CHECK_FATAL(token != NULL, "cannot issue a token");
    fa_expect_outcome(token, "active", "before sign-out");
    fa_http_response_t *r = fa_bearer_request("POST", "/v1/auth/sign-out", u.session, "{}");
    FA_CHECK(r->status == 204, "sign-out: expected 204, got %ld %.200s", r->status, r->body);
    fa_http_response_free(r);
    fa_expect_outcome(token, "session_revoked", "after the session signed out");
    free(token);
    fa_id_user_free(&u);
}

/* ---- expiry: tokens minted with the service's own key ------------------ */

/* The current signing key, opened the way a worker opens it (the test knows
 * the service's secrets). NULL when it cannot. */
static EVP_PKEY *fa_current_key(char **kid_out)
{
    char *kid = fa_sql_text("SELECT kid FROM signing_keys WHERE retire_after IS NULL "
                            "AND retired_at IS NULL ORDER BY created_at DESC LIMIT 1",
                            NULL);
    char *hex = kid ? fa_sql_text("SELECT encode(private_key_enc, 'hex') FROM signing_keys "
                                  "WHERE kid = $1",
                                  kid, NULL)
                    : NULL;
    char *secrets[4];
    size_t n = fa_id_service_secrets(secrets);
    EVP_PKEY *key = NULL;
    if (hex && n > 0) {
        fa_keyring_t ring;
        fa_keyring_init(&ring, FA_KDF_LABEL_JWT_KEY_ENCRYPTION, (const char *const *)secrets, n);
        size_t len = strlen(hex) / 2;
        uint8_t *sealed = fa_xmalloc(len);
        for (size_t i = 0; i < len; i++)
            sscanf(hex + 2 * i, "%2hhx", &sealed[i]);
        fa_arena_t *arena = fa_arena_create(4096);
        key = fa_signing_key_open(&ring, arena, kid, sealed, len);
        fa_arena_destroy(arena);
        fa_keyring_clear(&ring);
        free(sealed);
    }
    for (size_t i = 0; i < n; i++)
        free(secrets[i]);
    free(hex);
    *kid_out = kid;
    return key;
}

static char *fa_mint(EVP_PKEY *key, const char *kid, const char *sid, long long user_id, time_t now,
                     long ttl)
{
    char *iss = fa_envfile_get("FOUNDRY_AUTH_URL");
    fa_jwt_issue_t in = {.issuer = iss,
                         .audience = FA_AUD,
                         .scope = "",
                         .session_id = sid,
                         .user_id = user_id,
                         .now = now,
                         .ttl = ttl};
    fa_arena_t *arena = fa_arena_create(4096);
    char *token = fa_xstrdup(fa_jwt_issue(arena, key, kid, &in));
    fa_arena_destroy(arena);
    free(iss);
    return token;
}

static void test_expiry_and_leeway(void)
{
    fa_id_user_t u;
    fa_id_user_new(&u, "jwtexp");
    /* Make sure a key exists (the first token creates it). */
    free(fa_issue(u.session, "{\"audience\":\"" FA_AUD "\"}", NULL));
    char *kid;
    EVP_PKEY *key = fa_current_key(&kid);
    FA_CHECK_FATAL(key != NULL, "cannot open the service's current signing key with its secrets");
    char *sid = fa_session_id_of(u.session);
    long leeway = fa_env_long("FOUNDRY_JWT_LEEWAY", 30);
    time_t now = time(NULL);
    /* Control: minted like the service does, it verifies. */
    char *fresh = fa_mint(key, kid, sid, u.id, now, 300);
    fa_expect_outcome(fresh, "active", "a token minted with the service key");
    /* exp passed, but by less than the leeway: still accepted. */
    char *in_leeway = fa_mint(key, kid, sid, u.id, now - 300 - leeway / 2, 300);
    fa_expect_outcome(in_leeway, leeway >= 4 ? "active" : "token_expired",
                      "exp in the past by half the leeway");
    /* exp + leeway passed: token_expired. */
    char *expired = fa_mint(key, kid, sid, u.id, now - 300 - leeway - 5, 300);
    fa_expect_outcome(expired, "token_expired", "exp + leeway in the past");
    /* Issued in the future beyond the leeway: refused. */
    char *future = fa_mint(key, kid, sid, u.id, now + leeway + 60, 300);
    fa_expect_outcome(future, "invalid_token", "nbf beyond the leeway");
    /* An expired token for a revoked session reports the expiry (checked
     * first, without the database). */
    fa_http_response_t *r = fa_bearer_request("POST", "/v1/auth/sign-out", u.session, "{}");
    fa_http_response_free(r);
    fa_expect_outcome(expired, "token_expired", "expired token of a revoked session");
    fa_expect_outcome(fresh, "session_revoked", "fresh token of a revoked session");
    free(future), free(expired), free(in_leeway), free(fresh), free(sid), free(kid);
    EVP_PKEY_free(key);
    fa_id_user_free(&u);
}

/* ---- key rotation -------------------------------------------------------- */

typedef struct {
    const char *session;
    const char *kid;
} fa_kid_wait_t;

static bool fa_signs_with(void *arg)
{
    fa_kid_wait_t *w = arg;
    char *token = fa_issue(w->session, "{\"audience\":\"" FA_AUD "\"}", NULL);
    char *kid = token ? fa_token_kid(token) : NULL;
    bool ok = kid && strcmp(kid, w->kid) == 0;
    free(kid);
    free(token);
    return ok;
}

typedef struct {
    const char *token;
    const char *outcome;
} fa_outcome_wait_t;

static bool fa_outcome_is(void *arg)
{
    fa_outcome_wait_t *w = arg;
    char *got = fa_verify_outcome(w->token);
    bool ok = strcmp(got, w->outcome) == 0;
    free(got);
    return ok;
}

static bool fa_jwks_has(const char *kid)
{
    json_t *jwks = fa_jwks(NULL);
    bool found = fa_jwks_key(jwks, kid) != NULL;
    json_decref(jwks);
    return found;
}

/* Every token issued across the workers for a while carries kid (the
 * workers' caches refresh within FA_SIGNING_KEYS_CACHE_SECONDS). */
static int fa_tokens_signed_by_other(const char *session, const char *kid, int count)
{
    int other = 0;
    for (int i = 0; i < count; i++) {
        char *token = fa_issue(session, "{\"audience\":\"" FA_AUD "\"}", NULL);
        char *got = token ? fa_token_kid(token) : NULL;
        other += !got || strcmp(got, kid) != 0;
        free(got);
        free(token);
    }
    return other;
}

typedef struct {
    const char *kid;
    bool present;
} fa_jwks_wait_t;

static bool fa_jwks_has_wait(void *arg)
{
    fa_jwks_wait_t *w = arg;
    return fa_jwks_has(w->kid) == w->present;
}

/* The kid's state in `keys list` (malloc'd), NULL when not listed. */
static char *fa_keys_list_state(const char *kid)
{
    fa_run_result_t res;
    const char *list[] = {"keys", "list", NULL};
    fa_id_cli(&res, list);
    char *state = NULL;
    for (char *line = strtok(res.out, "\n"); line && res.exit_code == 0;
         line = strtok(NULL, "\n")) {
        char *tab = strchr(line, '\t');
        if (tab && (size_t)(tab - line) == strlen(kid) && strncmp(line, kid, strlen(kid)) == 0) {
            char *end = strchr(tab + 1, '\t');
            state =
                fa_xasprintf("%.*s", end ? (int)(end - tab - 1) : (int)strlen(tab + 1), tab + 1);
        }
    }
    fa_run_result_free(&res);
    return state;
}

static void fa_expect_state(const char *kid, const char *expected, const char *what)
{
    char *state = fa_keys_list_state(kid);
    FA_CHECK(state && strcmp(state, expected) == 0, "%s: keys list shows %s as %s, expected %s",
             what, kid, state ? state : "(absent)", expected);
    free(state);
}

/* Issue 13 item 2: a rotated-in key is published first and signs only once
 * every JWKS cached before the rotation has expired. */
static void test_key_rotation(void)
{
    fa_id_user_t u;
    fa_id_user_new(&u, "jwtrot");
    char *old_token = fa_issue(u.session, "{\"audience\":\"" FA_AUD "\"}", NULL);
    FA_CHECK_FATAL(old_token != NULL, "cannot issue a token");
    char *old_kid = fa_token_kid(old_token);

    fa_run_result_t res;
    const char *rotate[] = {"keys", "rotate", NULL};
    fa_id_cli(&res, rotate);
    FA_CHECK_FATAL(res.exit_code == 0, "keys rotate: exit %d: %s", res.exit_code, res.err);
    char *new_kid = fa_xstrdup(strtok(res.out, "\n"));
    fa_run_result_free(&res);
    FA_CHECK(strcmp(new_kid, old_kid) != 0, "rotation kept the kid %s", new_kid);
    FA_CHECK(strlen(new_kid) == 43, "new kid %s is not a JWK thumbprint", new_kid);

    /* The new key signs only after the JWKS max-age + leeway (+ the
     * workers' cache, which delays its publication by up to that much). */
    long ttl = fa_env_long("FOUNDRY_JWT_TTL", 300), leeway = fa_env_long("FOUNDRY_JWT_LEEWAY", 30);
    long long activation = FA_TEST_JWKS_MAX_AGE + leeway + FA_SIGNING_KEYS_CACHE_SECONDS;
    long long until = fa_sql_int("SELECT extract(epoch FROM activates_at - now())::bigint "
                                 "FROM signing_keys WHERE kid = $1",
                                 new_kid, NULL);
    FA_CHECK(until > activation - 30 && until <= activation,
             "new key activates in %lld s, expected about %lld", until, activation);
    /* The old key signs until then, and stays published for its tokens. */
    long long left = fa_sql_int("SELECT extract(epoch FROM retire_after - now())::bigint "
                                "FROM signing_keys WHERE kid = $1",
                                old_kid, NULL);
    long long overlap = ttl + leeway + FA_SIGNING_KEYS_CACHE_SECONDS;
    FA_CHECK(left > activation + overlap - 30 && left <= activation + overlap,
             "old key retire_after in %lld s, expected about %lld", left, activation + overlap);

    /* Published at once (within the workers' cache interval)... */
    fa_jwks_wait_t jw = {new_kid, true};
    FA_CHECK(fa_wait_until((FA_SIGNING_KEYS_CACHE_SECONDS + 5) * 1000L, 500, fa_jwks_has_wait, &jw),
             "the JWKS does not list the next key %s %d s after the rotation", new_kid,
             FA_SIGNING_KEYS_CACHE_SECONDS + 5);
    FA_CHECK(fa_jwks_has(old_kid), "the JWKS dropped the signing key %s", old_kid);
    fa_expect_state(new_kid, "next", "after rotate");
    fa_expect_state(old_kid, "current", "after rotate");
    /* ...but not signing: once every worker has reloaded, all of them
     * still sign with the old key. */
    fa_sleep_ms((FA_SIGNING_KEYS_CACHE_SECONDS + 1) * 1000L);
    int other = fa_tokens_signed_by_other(u.session, old_kid, 8);
    FA_CHECK(other == 0,
             "%d of 8 tokens issued after the rotation are not signed by the old key "
             "%s: a verifier with a cached JWKS would refuse them",
             other, old_kid);
    fa_expect_outcome(old_token, "active", "a token of the old key after rotation");

    /* Activation time reached (simulated: moved to the past): the workers
     * switch to the new key, and the old one stays published for the
     * tokens it signed. */
    FA_CHECK_FATAL(fa_sql_exec("UPDATE signing_keys SET activates_at = now() - interval '1 second' "
                               "WHERE kid = $1",
                               new_kid, NULL),
                   "cannot move activates_at");
    fa_kid_wait_t w = {u.session, new_kid};
    FA_CHECK(fa_wait_until((FA_SIGNING_KEYS_CACHE_SECONDS + 5) * 1000L, 500, fa_signs_with, &w),
             "new tokens still not signed by %s %d s after its activation", new_kid,
             FA_SIGNING_KEYS_CACHE_SECONDS + 5);
    fa_sleep_ms((FA_SIGNING_KEYS_CACHE_SECONDS + 1) * 1000L);
    other = fa_tokens_signed_by_other(u.session, new_kid, 8);
    FA_CHECK(other == 0, "%d of 8 tokens issued after the activation are not signed by %s", other,
             new_kid);
    char *new_token = fa_issue(u.session, "{\"audience\":\"" FA_AUD "\"}", NULL);
    fa_expect_outcome(new_token, "active", "a token of the new key");
    FA_CHECK(fa_jwks_has(old_kid) && fa_jwks_has(new_kid),
             "after the activation the JWKS must show both %s and %s", old_kid, new_kid);
    fa_expect_outcome(old_token, "active", "a token of the old key after the activation");
    fa_expect_state(new_kid, "current", "after the activation");
    fa_expect_state(old_kid, "published", "after the activation");

    /* Past the overlap (simulated: retire_after moved to the past), the
     * JWKS drops the old key and its tokens stop verifying once the
     * workers' caches refresh. */
    FA_CHECK_FATAL(fa_sql_exec("UPDATE signing_keys SET retire_after = now() - interval '1 second' "
                               "WHERE kid = $1",
                               old_kid, NULL),
                   "cannot move retire_after");
    jw = (fa_jwks_wait_t){old_kid, false};
    FA_CHECK(
        fa_wait_until((FA_SIGNING_KEYS_CACHE_SECONDS + 5) * 1000L, 500, fa_jwks_has_wait, &jw) &&
            fa_jwks_has(new_kid),
        "after the overlap the JWKS must show only %s", new_kid);
    fa_outcome_wait_t ow = {old_token, "invalid_token"};
    FA_CHECK(fa_wait_until((FA_SIGNING_KEYS_CACHE_SECONDS + 5) * 1000L, 500, fa_outcome_is, &ow),
             "a retired key's token still verifies %d s later", FA_SIGNING_KEYS_CACHE_SECONDS + 5);
    fa_expect_outcome(new_token, "active", "the new key's token after the old key retired");
    fa_expect_state(old_kid, "retired", "after the overlap");
    free(new_token), free(new_kid), free(old_kid), free(old_token);
    fa_id_user_free(&u);
}

/* ---- a tampered public key (issue 13 item 4) ------------------------------ */

typedef struct {
    const char *x;
    bool seen;
} fa_x_watch_t;

static bool fa_jwks_x_seen(void *arg)
{
    fa_x_watch_t *w = arg;
    fa_http_response_t *r = fa_http_get("/.well-known/jwks.json");
    w->seen |= strstr(r->body, w->x) != NULL;
    fa_http_response_free(r);
    return w->seen;
}

/* A database writer replaces the stored public key of the signing key, and
 * adds a key of their own with a made-up sealed private key. Neither of
 * their public keys is published, and tokens they sign do not verify. */
static void test_tampered_public_key(void)
{
    fa_id_user_t u;
    fa_id_user_new(&u, "jwttamper");
    char *token = fa_issue(u.session, "{\"audience\":\"" FA_AUD "\"}", NULL);
    FA_CHECK_FATAL(token != NULL, "cannot issue a token");
    char *kid = fa_token_kid(token);
    json_t *jwks = fa_jwks(NULL);
    char *real_x = fa_xstrdup(json_string_value(json_object_get(fa_jwks_key(jwks, kid), "x")));
    json_decref(jwks);
    char *stored =
        fa_sql_text("SELECT public_jwk::text FROM signing_keys WHERE kid = $1", kid, NULL);
    FA_CHECK_FATAL(stored != NULL && real_x[0], "kid %s is not stored and published", kid);

    uint8_t seed[FA_ED25519_KEY_LEN], pub[FA_ED25519_KEY_LEN];
    fa_ed25519_generate(seed, pub);
    EVP_PKEY *attacker = fa_ed25519_private_key(seed);
    OPENSSL_cleanse(seed, sizeof seed);
    char attacker_kid[FA_JWK_THUMBPRINT_LEN + 1];
    fa_jwk_thumbprint(pub, attacker_kid);
    json_t *jwk = fa_jwk_public(pub, attacker_kid);
    char *attacker_jwk = json_dumps(jwk, JSON_COMPACT);
    char *attacker_x = fa_xstrdup(json_string_value(json_object_get(jwk, "x")));
    json_decref(jwk);

    size_t offset = fa_log_offset();
    FA_CHECK_FATAL(fa_sql_exec("UPDATE signing_keys SET public_jwk = jsonb_set(public_jwk, '{x}', "
                               "to_jsonb($2::text)) WHERE kid = $1",
                               kid, attacker_x, NULL),
                   "cannot replace the stored public key");
    FA_CHECK_FATAL(fa_sql_exec("INSERT INTO signing_keys (kid, public_jwk, private_key_enc) "
                               "VALUES ($1, $2::jsonb, decode(repeat('01', 61), 'hex'))",
                               attacker_kid, attacker_jwk, NULL),
                   "cannot insert the attacker's key");
    /* Watch the JWKS through a full cache interval of every worker. */
    fa_x_watch_t watch = {attacker_x, false};
    fa_wait_until((FA_SIGNING_KEYS_CACHE_SECONDS + 3) * 1000L, 300, fa_jwks_x_seen, &watch);
    FA_CHECK(!watch.seen, "the JWKS published the attacker's x %s", attacker_x);
    jwks = fa_jwks(NULL);
    json_t *published = fa_jwks_key(jwks, kid);
    FA_CHECK(published && strcmp(json_string_value(json_object_get(published, "x")), real_x) == 0,
             "the signing key %s is not published with its real public key", kid);
    FA_CHECK(fa_jwks_key(jwks, attacker_kid) == NULL, "the attacker's kid %s is published",
             attacker_kid);
    json_decref(jwks);
    json_t *lines = fa_log_lines(offset);
    bool logged = false;
    size_t i;
    json_t *l;
    json_array_foreach(lines, i, l)
    {
        char *text = json_dumps(l, JSON_COMPACT);
        logged |= strstr(text, kid) && strstr(text, "does not match its private key");
        free(text);
    }
    json_decref(lines);
    FA_CHECK(logged, "no log line says the stored public key of %s does not match", kid);

    /* Tokens signed by the attacker: under the real kid and under theirs. */
    char *sid = fa_session_id_of(u.session);
    char *forged = fa_mint(attacker, kid, sid, u.id, time(NULL), 300);
    fa_expect_outcome(forged, "invalid_token", "signed by the attacker under the real kid");
    char *forged_own = fa_mint(attacker, attacker_kid, sid, u.id, time(NULL), 300);
    fa_expect_outcome(forged_own, "invalid_token", "signed by the attacker under their kid");
    fa_expect_outcome(token, "active", "the genuine token");

    fa_sql_exec("UPDATE signing_keys SET public_jwk = $2::jsonb WHERE kid = $1", kid, stored, NULL);
    fa_sql_exec("DELETE FROM signing_keys WHERE kid = $1", attacker_kid, NULL);
    free(forged_own), free(forged), free(sid), free(attacker_x), free(attacker_jwk);
    EVP_PKEY_free(attacker);
    free(stored), free(real_x), free(kid), free(token);
    fa_id_user_free(&u);
}

static void test_private_keys_sealed(void)
{
    /* Every private key is an AES-GCM box of a 32-byte seed in sealed format
     * 2 (version 1 + key id 4 + nonce 12 + 32 + tag 16 bytes), and no public
     * JWK carries a private member. */
    long long bad =
        fa_sql_int("SELECT count(*) FROM signing_keys WHERE "
                   "octet_length(private_key_enc) <> 65 OR get_byte(private_key_enc, 0) <> 2 "
                   "OR public_jwk ? 'd'",
                   NULL);
    long long all = fa_sql_int("SELECT count(*) FROM signing_keys", NULL);
    FA_CHECK(all > 0 && bad == 0, "%lld of %lld signing keys are not sealed as expected", bad, all);
    /* The seed itself is nowhere in the table: open the current key and
     * look for its raw bytes. */
    char *kid;
    EVP_PKEY *key = fa_current_key(&kid);
    FA_CHECK_FATAL(key != NULL, "cannot open the current key");
    uint8_t seed[32];
    size_t len = sizeof seed;
    EVP_PKEY_get_raw_private_key(key, seed, &len);
    char hex[65];
    fa_hex_encode(seed, 32, hex);
    long long found = fa_sql_int("SELECT count(*) FROM signing_keys WHERE "
                                 "position(decode($1, 'hex') in private_key_enc) > 0",
                                 hex, NULL);
    FA_CHECK(found == 0, "a private seed is stored in the clear");
    OPENSSL_cleanse(seed, sizeof seed);
    OPENSSL_cleanse(hex, sizeof hex);
    EVP_PKEY_free(key);
    free(kid);
}

void fa_register_tokens_suite(void)
{
    CU_pSuite s = fa_suite_add("tokens", NULL, NULL);
    fa_test_add(s, "issue and verify a JWT", test_issue_and_verify);
    fa_test_add(s, "issue refusals", test_issue_refusals);
    fa_test_add(s, "verify answers only for the token's own audience",
                test_verify_is_bound_to_the_audience);
    fa_test_add(s, "JWKS", test_jwks);
    fa_test_add(s, "independent verification (node, openssl)", test_independent_verification);
    fa_test_add(s, "verify refusals: tampering, alg none, HS256, kid", test_verify_refusals);
    fa_test_add(s, "session revoked", test_session_revoked);
    fa_test_add(s, "expiry and leeway", test_expiry_and_leeway);
    fa_test_add(s, "private keys sealed at rest", test_private_keys_sealed);
    fa_test_add(s, "key rotation: published first, signs after the JWKS max-age",
                test_key_rotation);
    fa_test_add(s, "a tampered stored public key is not published", test_tampered_public_key);
}
