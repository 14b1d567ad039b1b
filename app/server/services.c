/* Owns: building and wiping the per-worker domain state. */
#include "server/services.h"

#include <stdlib.h>

fa_services_t *fa_services_create(const fa_config_t *config)
{
    fa_services_t *s = calloc(1, sizeof(*s));
    if (!s)
        abort();
    s->config = config;
    return s;
}

void fa_services_destroy(fa_services_t *s)
{
    free(s);
}
