/* The optional session cookie cache (PRODUCT.md section 5; off unless
 * FOUNDRY_COOKIE_CACHE_MAX_AGE > 0).
 *
 * After a read endpoint checked a cookie session against the database, the
 * response also sets `foundry_session_cache` (`__Host-` prefixed when
 * cookies are secure): a value signed with fa_signed_value_create under the
 * FA_KDF_LABEL_COOKIE_CACHE keys, holding the session's public fields and
 * user, the cache's own expiry (at most max-age seconds, never past the
 * session's expiry) and a binding to the session token: the first 16 bytes
 * of SHA-256("foundry-auth cookie-cache" || token_hash). A cache cookie is
 * therefore useless without the very session cookie it was issued for.
 *
 * Later reads that present both skip the database until the cache expires.
 * The price is the revocation window: a session revoked elsewhere still
 * passes read endpoints (verify, session) for at most max-age seconds on a
 * client that holds a fresh cache cookie. Mutations never consult the cache
 * (handlers/authn.c), so a revoked session can never write. */
#ifndef FA_AUTH_COOKIE_CACHE_H
#define FA_AUTH_COOKIE_CACHE_H

#include <stdbool.h>
#include <time.h>

#include "auth/session.h"
#include "core/config.h"
#include "crypto/signed_token.h"

const char *fa_cookie_cache_name(const fa_config_t *cfg);

/* The cookie value for s (loaded from the database now), valid until
 * min(now + max_age, the session's expiry); NULL when it would not fit in a
 * signed value (an unusually long name or avatar URL: no cache then). */
char *fa_cookie_cache_encode(const fa_hmac_keys_t *keys, fa_arena_t *arena, const fa_session_t *s,
                             time_t now, long max_age);

/* Fills out from a cache cookie when its signature holds under keys, it was
 * made for the session token whose hash is token_hash, and it has not
 * expired at now (nor claims to live longer than max_age from now). False
 * otherwise: the caller asks the database. */
bool fa_cookie_cache_decode(const fa_hmac_keys_t *keys, fa_arena_t *arena, fa_str_t value,
                            const uint8_t token_hash[FA_SHA256_LEN], time_t now, long max_age,
                            fa_session_t *out);

#endif
