/* PKCE (RFC 7636) for the GitHub authorization request: the verifier stays in
 * the verification table (encrypted), the S256 challenge goes to GitHub. */
#ifndef FA_CRYPTO_PKCE_H
#define FA_CRYPTO_PKCE_H

#include <stdbool.h>

#include "core/str.h"

#define FA_PKCE_VERIFIER_MIN 43
#define FA_PKCE_VERIFIER_MAX 128
/* What fa_pkce_verifier_generate() produces: 32 random bytes, base64url. */
#define FA_PKCE_VERIFIER_LEN 43
#define FA_PKCE_CHALLENGE_LEN 43

/* A fresh verifier of FA_PKCE_VERIFIER_LEN characters plus NUL. */
void fa_pkce_verifier_generate(char out[FA_PKCE_VERIFIER_LEN + 1]);

/* RFC 7636 §4.1: 43..128 characters from [A-Za-z0-9-._~]. */
bool fa_pkce_verifier_valid(fa_str_t verifier);

/* BASE64URL(SHA256(ASCII(verifier))) into out (43 characters plus NUL).
 * Returns false, leaving out empty, if the verifier is not valid. */
bool fa_pkce_challenge_s256(fa_str_t verifier, char out[FA_PKCE_CHALLENGE_LEN + 1]);

#endif
