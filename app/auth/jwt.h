/* JSON Web Tokens for downstream services (PRODUCT.md section 4, "Tokens for
 * services"): compact JWS (RFC 7515) signed with EdDSA over Ed25519
 * (RFC 8037), claims per RFC 7519. Pure: no database, no clock of its own
 * (callers pass `now`), keys are OpenSSL EVP_PKEY objects.
 *
 * Only one algorithm exists here. Verification never reads `alg` to choose
 * how to verify: anything but the exact string "EdDSA" is refused before a
 * key is even looked up, so `alg: none` and HS256-with-the-public-key
 * (algorithm confusion) cannot be expressed. A header without typ "at+jwt"
 * (RFC 8725 section 3.11), unknown `kid`, a `crit` header,
 * non-canonical base64url, a segment count other than three, a token over
 * FA_JWT_MAX_LEN and a bad signature are all FA_JWT_INVALID. */
#ifndef FA_AUTH_JWT_H
#define FA_AUTH_JWT_H

#include <jansson.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/arena.h"
#include "core/str.h"

#define FA_JWT_ALG "EdDSA"
/* RFC 9068's explicit type for JWT access tokens; the verifier also takes its
 * media-type spelling "application/at+jwt" (RFC 9068 section 2.1). */
#define FA_JWT_TYP "at+jwt"
#define FA_JWT_MAX_LEN 8192 /* a whole token; ours are about 500 bytes */
#define FA_JWT_KID_MAX 128
#define FA_JWT_SCOPE_MAX 256
#define FA_ED25519_KEY_LEN 32
#define FA_ED25519_SIG_LEN 64
#define FA_JWK_THUMBPRINT_LEN 43 /* base64url of a SHA-256 */

typedef enum { FA_JWT_VALID, FA_JWT_INVALID, FA_JWT_EXPIRED } fa_jwt_verdict_t;

/* ---- Ed25519 keys ----------------------------------------------------- */

/* A fresh key pair from OpenSSL's CSPRNG: the 32-byte private seed and the
 * 32-byte public key. Aborts if OpenSSL fails. The caller wipes seed. */
void fa_ed25519_generate(uint8_t seed[FA_ED25519_KEY_LEN], uint8_t pub[FA_ED25519_KEY_LEN]);
/* EVP keys from raw bytes (RFC 8032 encoding); NULL only if OpenSSL refuses.
 * The caller frees them with EVP_PKEY_free. */
EVP_PKEY *fa_ed25519_private_key(const uint8_t seed[FA_ED25519_KEY_LEN]);
EVP_PKEY *fa_ed25519_public_key(const uint8_t pub[FA_ED25519_KEY_LEN]);
/* The raw public key of any Ed25519 EVP key; false for another key type. */
bool fa_ed25519_raw_public(EVP_PKEY *key, uint8_t pub[FA_ED25519_KEY_LEN]);
void fa_ed25519_sign(EVP_PKEY *priv, const void *msg, size_t len, uint8_t sig[FA_ED25519_SIG_LEN]);
/* False for a wrong length, a non-Ed25519 key or a signature that fails. */
bool fa_ed25519_verify(EVP_PKEY *key, const void *msg, size_t len, const uint8_t *sig,
                       size_t sig_len);

/* ---- JWK -------------------------------------------------------------- */

/* RFC 7638 thumbprint of the Ed25519 public key (SHA-256 of
 * {"crv":"Ed25519","kty":"OKP","x":"..."}), base64url, NUL-terminated: our
 * `kid`, so a kid names exactly one key. */
void fa_jwk_thumbprint(const uint8_t pub[FA_ED25519_KEY_LEN], char out[FA_JWK_THUMBPRINT_LEN + 1]);
/* {"kty":"OKP","crv":"Ed25519","x":..,"kid":..,"alg":"EdDSA","use":"sig"}
 * (new reference). */
json_t *fa_jwk_public(const uint8_t pub[FA_ED25519_KEY_LEN], const char *kid);

/* ---- compact JWS ------------------------------------------------------ */

/* base64url(header) "." base64url(payload) "." base64url(Ed25519 signature)
 * as a NUL-terminated arena string. */
char *fa_jws_sign(fa_arena_t *arena, EVP_PKEY *priv, const void *header, size_t header_len,
                  const void *payload, size_t payload_len);

/* Looks a verification key up by kid: NULL when unknown. The key stays owned
 * by the callee and must live until fa_jwt_verify returns. */
typedef EVP_PKEY *(*fa_jwt_key_fn)(void *ctx, const char *kid);

/* Checks the structure, the header (alg "EdDSA" exactly, typ "JWT" when
 * present, a kid, no crit) and the signature under lookup(kid). On
 * FA_JWT_VALID, *payload is the decoded payload parsed as a JSON object
 * (duplicate keys refused; released with the arena) and *kid the header's
 * kid. Never FA_JWT_EXPIRED: claims are fa_jwt_check_claims' job. */
fa_jwt_verdict_t fa_jws_verify(fa_arena_t *arena, fa_str_t token, fa_jwt_key_fn lookup,
                               void *lookup_ctx, json_t **payload, const char **kid);

/* ---- our tokens ------------------------------------------------------- */

typedef struct {
    const char *issuer;     /* FOUNDRY_AUTH_URL */
    const char *audience;   /* one of FOUNDRY_JWT_AUDIENCES */
    const char *scope;      /* fa_jwt_scope_valid() */
    const char *session_id; /* sid: the session's public uuid */
    int64_t user_id;        /* sub, as a decimal string */
    time_t now;             /* iat and nbf */
    long ttl;               /* exp = now + ttl */
    int64_t auth_time;      /* auth_time: the session's GitHub sign-in; 0 = omitted */
} fa_jwt_issue_t;

/* A signed token with header {"alg":"EdDSA","kid":kid,"typ":"JWT"} and
 * claims iss, sub, aud, iat, nbf, exp, jti (fresh uuid), sid, scope, and
 * auth_time (OpenID Connect Core 1.0 section 2) when in->auth_time > 0. */
char *fa_jwt_issue(fa_arena_t *arena, EVP_PKEY *priv, const char *kid, const fa_jwt_issue_t *in);

/* RFC 6749 section 3.3 scope: space-separated tokens of %x21 / %x23-5B /
 * %x5D-7E, at most FA_JWT_SCOPE_MAX bytes; "" is allowed (no scope). */
bool fa_jwt_scope_valid(const char *scope);

typedef struct {
    const char *issuer;
    char *const *audiences; /* the allow-list */
    size_t audience_count;
    time_t now;
    long leeway; /* clock skew tolerated on exp, nbf and iat, seconds */
} fa_jwt_expect_t;

typedef struct {
    int64_t user_id;
    const char *session_id;
    long long exp;
} fa_jwt_claims_t;

/* Our claim set, all required and typed as we issue them: iss equal to
 * expect->issuer, aud a string on the allow-list, sub a positive decimal user
 * id, sid a canonical uuid, jti and scope strings, iat/nbf/exp integers with
 * nbf and iat not after now + leeway. FA_JWT_EXPIRED when everything holds
 * but now >= exp + leeway; FA_JWT_INVALID when anything else fails. */
fa_jwt_verdict_t fa_jwt_check_claims(const json_t *claims, const fa_jwt_expect_t *expect,
                                     fa_jwt_claims_t *out);

#endif
