/* Where a browser may be sent after sign-in (invariant 3): a same-origin
 * path, or an absolute URL on a trusted origin. Everything else (other hosts,
 * "//host", "/\host", CR/LF or any control character, non-ASCII, userinfo
 * tricks) falls back to the configured default. Pure: no I/O. */
#ifndef FA_AUTH_RETURN_TO_H
#define FA_AUTH_RETURN_TO_H

#include <stdbool.h>

#include "core/arena.h"
#include "core/config.h"
#include "core/str.h"

#define FA_RETURN_TO_MAX 1024

/* True when candidate is safe to redirect to. */
bool fa_return_to_is_safe(const fa_config_t *cfg, fa_str_t candidate);

/* candidate when safe (copied into the arena), else cfg->default_return_to. */
const char *fa_return_to_sanitize(const fa_config_t *cfg, fa_arena_t *arena, fa_str_t candidate);

#endif
