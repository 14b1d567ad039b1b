/* Per-worker state of the domain modules: keys derived from the secret list
 * and the GitHub client. Built once after fork, passed explicitly, wiped at
 * exit. */
#ifndef FA_SERVER_SERVICES_H
#define FA_SERVER_SERVICES_H

#include "auth/signing_keys.h"
#include "core/config.h"
#include "crypto/keyring.h"
#include "crypto/signed_token.h"
#include "github/client.h"
#include "server/context.h"

struct fa_services {
    const fa_config_t *config;
    fa_signing_keys_t session_keys; /* signs session tokens */
    fa_keyring_t token_ring;        /* GitHub tokens, PKCE verifiers at rest */
    fa_keyring_t binding_ring;      /* base of per-browser keys (duplicate callbacks) */
    fa_github_t *github;
    fa_signing_keys_cache_t jwt_keys; /* JWT signing keys, re-read every 10 s */
    fa_signing_keys_t cache_keys;     /* signs the optional session cookie cache */
    fa_signing_keys_t admin_keys;     /* MACs admin tokens (auth/admin_token.h) */
    char *signed_out_snapshot;        /* the same document for every anonymous caller */
};

fa_services_t *fa_services_create(const fa_config_t *config);
void fa_services_destroy(fa_services_t *services);

#endif
