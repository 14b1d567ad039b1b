/* Owns: the JWS/JWT encoding and its checks. Never: chooses a verification
 * algorithm from the token, or reads the payload before the signature held. */
#include "auth/jwt.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "crypto/base64url.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "auth/session.h"
#include "core/json_text.h"
#include "core/str.h"

/* ---- Ed25519 ----------------------------------------------------------- */

void fa_ed25519_generate(uint8_t seed[FA_ED25519_KEY_LEN], uint8_t pub[FA_ED25519_KEY_LEN])
{
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    size_t seed_len = FA_ED25519_KEY_LEN, pub_len = FA_ED25519_KEY_LEN;
    if (!key || EVP_PKEY_get_raw_private_key(key, seed, &seed_len) != 1 ||
        EVP_PKEY_get_raw_public_key(key, pub, &pub_len) != 1 || seed_len != FA_ED25519_KEY_LEN ||
        pub_len != FA_ED25519_KEY_LEN)
        abort(); /* no key generation, no tokens: a broken OpenSSL */
    EVP_PKEY_free(key);
}

EVP_PKEY *fa_ed25519_private_key(const uint8_t seed[FA_ED25519_KEY_LEN])
{
    return EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, FA_ED25519_KEY_LEN);
}

EVP_PKEY *fa_ed25519_public_key(const uint8_t pub[FA_ED25519_KEY_LEN])
{
    return EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, FA_ED25519_KEY_LEN);
}

bool fa_ed25519_raw_public(EVP_PKEY *key, uint8_t pub[FA_ED25519_KEY_LEN])
{
    size_t len = FA_ED25519_KEY_LEN;
    return key && EVP_PKEY_get_id(key) == EVP_PKEY_ED25519 &&
           EVP_PKEY_get_raw_public_key(key, pub, &len) == 1 && len == FA_ED25519_KEY_LEN;
}

void fa_ed25519_sign(EVP_PKEY *priv, const void *msg, size_t len, uint8_t sig[FA_ED25519_SIG_LEN])
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    size_t sig_len = FA_ED25519_SIG_LEN;
    /* Ed25519 hashes internally (PureEdDSA): the digest must be NULL. */
    if (!md || EVP_DigestSignInit(md, NULL, NULL, NULL, priv) != 1 ||
        EVP_DigestSign(md, sig, &sig_len, msg, len) != 1 || sig_len != FA_ED25519_SIG_LEN)
        abort();
    EVP_MD_CTX_free(md);
}

bool fa_ed25519_verify(EVP_PKEY *key, const void *msg, size_t len, const uint8_t *sig,
                       size_t sig_len)
{
    if (!key || EVP_PKEY_get_id(key) != EVP_PKEY_ED25519 || sig_len != FA_ED25519_SIG_LEN)
        return false;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md)
        abort();
    bool ok = EVP_DigestVerifyInit(md, NULL, NULL, NULL, key) == 1 &&
              EVP_DigestVerify(md, sig, sig_len, msg, len) == 1;
    EVP_MD_CTX_free(md);
    return ok;
}

/* ---- JWK --------------------------------------------------------------- */

void fa_jwk_thumbprint(const uint8_t pub[FA_ED25519_KEY_LEN], char out[FA_JWK_THUMBPRINT_LEN + 1])
{
    char x[48], members[128];
    fa_base64url_encode(pub, FA_ED25519_KEY_LEN, x, sizeof(x));
    /* RFC 7638 section 3.2: required members only, lexicographic order, no
     * whitespace. */
    int n =
        snprintf(members, sizeof(members), "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"%s\"}", x);
    uint8_t digest[FA_SHA256_LEN];
    fa_sha256(members, (size_t)n, digest);
    fa_base64url_encode(digest, sizeof(digest), out, FA_JWK_THUMBPRINT_LEN + 1);
}

json_t *fa_jwk_public(const uint8_t pub[FA_ED25519_KEY_LEN], const char *kid)
{
    char x[48];
    fa_base64url_encode(pub, FA_ED25519_KEY_LEN, x, sizeof(x));
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "kty", "OKP", "crv", "Ed25519", "x", x, "kid",
                     kid, "alg", FA_JWT_ALG, "use", "sig");
}

/* ---- compact JWS ------------------------------------------------------- */

char *fa_jws_sign(fa_arena_t *arena, EVP_PKEY *priv, const void *header, size_t header_len,
                  const void *payload, size_t payload_len)
{
    fa_buf_t buf;
    fa_buf_init(&buf, arena, 512);
    fa_buf_append_cstr(&buf, fa_base64url_encode_arena(arena, header, header_len));
    fa_buf_append_char(&buf, '.');
    fa_buf_append_cstr(&buf, fa_base64url_encode_arena(arena, payload, payload_len));
    uint8_t sig[FA_ED25519_SIG_LEN];
    fa_ed25519_sign(priv, buf.data, buf.len, sig);
    fa_buf_append_char(&buf, '.');
    fa_buf_append_cstr(&buf, fa_base64url_encode_arena(arena, sig, sizeof(sig)));
    return fa_buf_cstr(&buf);
}

/* A JSON object from decoded bytes; duplicate keys refused (two different
 * readers of one token must not disagree on a claim). */
static json_t *fa_jws_json(fa_arena_t *arena, const uint8_t *bytes, size_t len)
{
    if (!fa_utf8_valid((const char *)bytes, len))
        return NULL;
    json_t *value =
        fa_arena_json(arena, json_loadb((const char *)bytes, len, JSON_REJECT_DUPLICATES, NULL));
    return json_is_object(value) ? value : NULL;
}

/* Header rules: exactly our algorithm, exactly our explicit type, a kid, and
 * no critical extension we would have to understand. The type is required
 * (RFC 8725 section 3.11): a JWS of another kind signed by the same key (an
 * ID token, a future logout token) must never pass as an access token. */
static const char *fa_jws_header_kid(const json_t *header)
{
    const char *alg = json_string_value(json_object_get(header, "alg"));
    if (!alg || strcmp(alg, FA_JWT_ALG) != 0)
        return NULL;
    const char *typ = json_string_value(json_object_get(header, "typ"));
    if (!typ ||
        (strcasecmp(typ, FA_JWT_TYP) != 0 && strcasecmp(typ, "application/" FA_JWT_TYP) != 0))
        return NULL;
    if (json_object_get(header, "crit"))
        return NULL;
    json_t *kid = json_object_get(header, "kid");
    if (!json_is_string(kid) || json_string_length(kid) == 0 ||
        json_string_length(kid) > FA_JWT_KID_MAX)
        return NULL;
    return json_string_value(kid);
}

fa_jwt_verdict_t fa_jws_verify(fa_arena_t *arena, fa_str_t token, fa_jwt_key_fn lookup,
                               void *lookup_ctx, json_t **payload, const char **kid)
{
    *payload = NULL;
    *kid = NULL;
    if (!token.ptr || token.len == 0 || token.len > FA_JWT_MAX_LEN)
        return FA_JWT_INVALID;
    const char *dot1 = memchr(token.ptr, '.', token.len);
    const char *end = token.ptr + token.len;
    const char *dot2 = dot1 ? memchr(dot1 + 1, '.', (size_t)(end - dot1 - 1)) : NULL;
    if (!dot2 || memchr(dot2 + 1, '.', (size_t)(end - dot2 - 1)))
        return FA_JWT_INVALID; /* not exactly three segments */
    fa_str_t h64 = {token.ptr, (size_t)(dot1 - token.ptr)};
    fa_str_t p64 = {dot1 + 1, (size_t)(dot2 - dot1 - 1)};
    fa_str_t s64 = {dot2 + 1, (size_t)(end - dot2 - 1)};
    size_t hlen, plen, slen;
    uint8_t *hbytes = fa_base64url_decode_arena(arena, h64, &hlen);
    uint8_t *pbytes = fa_base64url_decode_arena(arena, p64, &plen);
    uint8_t *sig = fa_base64url_decode_arena(arena, s64, &slen);
    if (!hbytes || !pbytes || !sig || hlen == 0 || plen == 0 || slen != FA_ED25519_SIG_LEN)
        return FA_JWT_INVALID;
    json_t *header = fa_jws_json(arena, hbytes, hlen);
    const char *header_kid = header ? fa_jws_header_kid(header) : NULL;
    if (!header_kid)
        return FA_JWT_INVALID;
    EVP_PKEY *key = lookup(lookup_ctx, header_kid);
    /* The signing input is the first two segments exactly as received. */
    if (!key || !fa_ed25519_verify(key, token.ptr, (size_t)(dot2 - token.ptr), sig, slen))
        return FA_JWT_INVALID;
    json_t *claims = fa_jws_json(arena, pbytes, plen);
    if (!claims)
        return FA_JWT_INVALID;
    *payload = claims;
    *kid = header_kid;
    return FA_JWT_VALID;
}

/* ---- our tokens -------------------------------------------------------- */

/* Header and claims are written in sorted key order, so the same claims
 * always serialise to the same bytes, without building a JSON tree (issuing
 * is per request, and the tree was a tenth of its instructions). */
static void fa_claim(fa_buf_t *b, const char *key, const char *value)
{
    fa_buf_append_char(b, b->len ? ',' : '{'); /* the first member opens */
    fa_json_text_string(b, key);
    fa_buf_append_char(b, ':');
    fa_json_text_string(b, value);
}

static void fa_claim_number(fa_buf_t *b, const char *key, int64_t value)
{
    fa_buf_append_char(b, b->len ? ',' : '{'); /* the first member opens */
    fa_json_text_string(b, key);
    fa_buf_append_char(b, ':');
    if (value < 0)
        abort(); /* times are after 1970 */
    fa_buf_append_uint(b, (unsigned long long)value);
}

char *fa_jwt_issue(fa_arena_t *arena, EVP_PKEY *priv, const char *kid, const fa_jwt_issue_t *in)
{
    if (!kid || !in->issuer || !in->audience || !in->session_id || !in->scope)
        abort(); /* NULL strings from the caller: API misuse */
    char jti[FA_UUID_STR_LEN + 1];
    fa_random_uuid_v4(jti);
    fa_buf_t h, p;
    fa_buf_init(&h, arena, 96);
    fa_claim(&h, "alg", FA_JWT_ALG);
    fa_claim(&h, "kid", kid);
    fa_claim(&h, "typ", FA_JWT_TYP);
    fa_buf_append_char(&h, '}');
    fa_buf_init(&p, arena, 512);
    fa_claim(&p, "aud", in->audience);
    if (in->auth_time > 0)
        fa_claim_number(&p, "auth_time", in->auth_time);
    fa_claim_number(&p, "exp", (int64_t)(in->now + in->ttl));
    fa_claim_number(&p, "iat", (int64_t)in->now);
    fa_claim(&p, "iss", in->issuer);
    fa_claim(&p, "jti", jti);
    fa_claim_number(&p, "nbf", (int64_t)in->now);
    fa_claim(&p, "scope", in->scope);
    fa_claim(&p, "sid", in->session_id);
    fa_claim(&p, "sub", fa_arena_i64(arena, in->user_id));
    fa_buf_append_char(&p, '}');
    return fa_jws_sign(arena, priv, h.data, h.len, p.data, p.len);
}

bool fa_jwt_scope_valid(const char *scope)
{
    size_t len = strlen(scope);
    if (len > FA_JWT_SCOPE_MAX)
        return false;
    bool token_start = true;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)scope[i];
        if (c == ' ') {
            if (token_start)
                return false; /* leading or doubled space */
            token_start = true;
            continue;
        }
        if (c < 0x21 || c > 0x7E || c == '"' || c == '\\')
            return false;
        token_start = false;
    }
    return len == 0 || !token_start; /* no trailing space */
}

static bool fa_claim_string(const json_t *claims, const char *name, const char **out)
{
    *out = json_string_value(json_object_get(claims, name));
    return *out != NULL;
}

static bool fa_claim_int(const json_t *claims, const char *name, long long *out)
{
    json_t *v = json_object_get(claims, name);
    if (!json_is_integer(v))
        return false;
    *out = (long long)json_integer_value(v);
    return true;
}

static bool fa_audience_allowed(const fa_jwt_expect_t *expect, const char *aud)
{
    for (size_t i = 0; i < expect->audience_count; i++)
        if (strcmp(expect->audiences[i], aud) == 0)
            return true;
    return false;
}

static bool fa_user_id_parse(const char *text, int64_t *out)
{
    size_t len = strlen(text);
    if (len == 0 || len > 19 || text[0] == '0' || strspn(text, "0123456789") != len)
        return false;
    char *end;
    long long v = strtoll(text, &end, 10);
    if (*end || v <= 0)
        return false;
    *out = v;
    return true;
}

fa_jwt_verdict_t fa_jwt_check_claims(const json_t *claims, const fa_jwt_expect_t *expect,
                                     fa_jwt_claims_t *out)
{
    memset(out, 0, sizeof(*out));
    const char *iss, *aud, *sub, *sid, *jti, *scope;
    long long iat, nbf, exp;
    if (!fa_claim_string(claims, "iss", &iss) || !fa_claim_string(claims, "aud", &aud) ||
        !fa_claim_string(claims, "sub", &sub) || !fa_claim_string(claims, "sid", &sid) ||
        !fa_claim_string(claims, "jti", &jti) || !fa_claim_string(claims, "scope", &scope) ||
        !fa_claim_int(claims, "iat", &iat) || !fa_claim_int(claims, "nbf", &nbf) ||
        !fa_claim_int(claims, "exp", &exp))
        return FA_JWT_INVALID;
    if (strcmp(iss, expect->issuer) != 0 || !fa_audience_allowed(expect, aud))
        return FA_JWT_INVALID;
    if (!fa_user_id_parse(sub, &out->user_id) || !fa_session_id_valid(sid, strlen(sid)))
        return FA_JWT_INVALID;
    long long now = (long long)expect->now, leeway = expect->leeway;
    if (nbf > now + leeway || iat > now + leeway || exp < nbf)
        return FA_JWT_INVALID;
    out->session_id = sid;
    out->exp = exp;
    if (now >= exp + leeway)
        return FA_JWT_EXPIRED;
    return FA_JWT_VALID;
}
