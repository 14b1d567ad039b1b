/* Per-process keys and clients of the domain modules: keys derived from the
 * secret list, and the GitHub client. Built once after fork, passed
 * explicitly, wiped at exit. Below the domain: it knows no HTTP and no
 * domain module, so auth, snapshot, jobs and admin can all take it. */
#ifndef FA_SERVICES_SERVICES_H
#define FA_SERVICES_SERVICES_H

#include "core/config.h"
#include "crypto/keyring.h"
#include "crypto/signed_token.h"
#include "github/client.h"

typedef struct {
    const fa_config_t *config;
    fa_hmac_keys_t session_keys; /* signs session tokens */
    fa_keyring_t token_ring;     /* GitHub tokens, PKCE verifiers at rest */
    fa_keyring_t binding_ring;   /* base of per-browser keys (duplicate callbacks) */
    fa_github_t *github;
    fa_hmac_keys_t cache_keys; /* signs the optional session cookie cache */
    fa_hmac_keys_t admin_keys; /* MACs admin tokens (auth/admin_token.h) */
} fa_services_t;

fa_services_t *fa_services_create(const fa_config_t *config);
void fa_services_destroy(fa_services_t *services);

#endif
