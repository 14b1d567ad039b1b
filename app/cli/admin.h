/* The operator commands: `foundry-auth admin ...` and `foundry-auth keys ...`.
 * Each prints its result on stdout (one line per item, tab-separated),
 * errors on stderr, and exits 0 on success, 1 when the operation failed or
 * a check found a problem, 2 on a usage error. A new admin token is printed
 * exactly once, on stdout, and nowhere else. */
#ifndef FA_CLI_ADMIN_H
#define FA_CLI_ADMIN_H

#include "core/config.h"

/* argv[0] is "admin": token create|rotate, users search Q, sessions list
 * USER, sessions revoke USER [SID], role-label USER LABEL (--clear to
 * remove), check, gc. */
int fa_admin_main(const fa_config_t *cfg, int argc, char **argv);

/* argv[0] is "keys": rotate, list. */
int fa_keys_main(const fa_config_t *cfg, int argc, char **argv);

#endif
