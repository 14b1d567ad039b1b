/* Owns: building and wiping the per-worker domain state. */
#include "services/services.h"

#include <openssl/crypto.h>
#include <stdlib.h>

#include "crypto/kdf.h"

fa_services_t *fa_services_create(const fa_config_t *cfg)
{
    fa_services_t *s = calloc(1, sizeof(*s));
    if (!s)
        abort();
    s->config = cfg;
    const char *const *secrets = (const char *const *)cfg->secrets;
    if (!fa_hmac_keys_init(&s->session_keys, secrets, cfg->secret_count))
        abort(); /* config validation guarantees 1..4 non-empty secrets */
    fa_keyring_init(&s->token_ring, FA_KDF_LABEL_TOKEN_ENCRYPTION, secrets, cfg->secret_count);
    fa_keyring_init(&s->binding_ring, FA_KDF_LABEL_OAUTH_BROWSER_BINDING, secrets,
                    cfg->secret_count);
    if (!fa_hmac_keys_init_purpose(&s->cache_keys, FA_KDF_LABEL_COOKIE_CACHE, secrets,
                                   cfg->secret_count))
        abort();
    if (!fa_hmac_keys_init_purpose(&s->admin_keys, FA_KDF_LABEL_ADMIN_TOKEN, secrets,
                                   cfg->secret_count))
        abort();
    fa_github_config_t gh = {
        .oauth_url = cfg->github_oauth_url,
        .api_url = cfg->github_api_url,
        .client_id = cfg->github_client_id,
        .client_secret = cfg->github_client_secret,
        .timeout_ms = cfg->github_timeout_ms,
        .connect_timeout_ms = cfg->github_timeout_ms < 2000 ? cfg->github_timeout_ms : 2000,
    };
    s->github = fa_github_create(&gh);
    return s;
}

void fa_services_destroy(fa_services_t *s)
{
    if (!s)
        return;
    fa_github_destroy(s->github);
    fa_hmac_keys_clear(&s->session_keys);
    fa_keyring_clear(&s->token_ring);
    fa_keyring_clear(&s->binding_ring);
    fa_hmac_keys_clear(&s->cache_keys);
    fa_hmac_keys_clear(&s->admin_keys);
    free(s);
}
