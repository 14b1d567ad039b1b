/* Per-worker state of the domain modules (keys derived from the secret,
 * GitHub client settings), built once after fork and passed explicitly. */
#ifndef FA_SERVER_SERVICES_H
#define FA_SERVER_SERVICES_H

#include "core/config.h"
#include "server/context.h"

struct fa_services {
    const fa_config_t *config;
};

fa_services_t *fa_services_create(const fa_config_t *config);
void fa_services_destroy(fa_services_t *services);

#endif
