/* Owns: PKCE verifier generation and the S256 transform. Never: emits the
 * "plain" method (TRAPS: always send S256). */
#include "crypto/pkce.h"

#include <openssl/crypto.h>
#include <stdint.h>

#include "crypto/base64url.h"
#include "crypto/hash.h"
#include "crypto/random.h"

void fa_pkce_verifier_generate(char out[FA_PKCE_VERIFIER_LEN + 1])
{
    uint8_t raw[32];
    fa_random_bytes(raw, sizeof(raw));
    fa_base64url_encode(raw, sizeof(raw), out, FA_PKCE_VERIFIER_LEN + 1);
    OPENSSL_cleanse(raw, sizeof(raw));
}

static bool fa_pkce_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

bool fa_pkce_verifier_valid(fa_str_t verifier)
{
    if (!verifier.ptr || verifier.len < FA_PKCE_VERIFIER_MIN || verifier.len > FA_PKCE_VERIFIER_MAX)
        return false;
    for (size_t i = 0; i < verifier.len; i++)
        if (!fa_pkce_unreserved((unsigned char)verifier.ptr[i]))
            return false;
    return true;
}

bool fa_pkce_challenge_s256(fa_str_t verifier, char out[FA_PKCE_CHALLENGE_LEN + 1])
{
    uint8_t digest[FA_SHA256_LEN];
    out[0] = '\0';
    if (!fa_pkce_verifier_valid(verifier))
        return false;
    fa_sha256(verifier.ptr, verifier.len, digest);
    fa_base64url_encode(digest, sizeof(digest), out, FA_PKCE_CHALLENGE_LEN + 1);
    return true;
}
