/* `foundry-auth serve`: the master process. Opens (or inherits) the FastCGI
 * socket and the sign-in pool's socket, forks each pool's workers, restarts
 * one that dies (with backoff) and on SIGTERM/SIGINT lets them finish their
 * requests, then exits 0. */
#ifndef FA_SERVER_MASTER_H
#define FA_SERVER_MASTER_H

#include "core/config.h"

int fa_master_run(const fa_config_t *config);

#endif
