/* A worker process: one accept loop, one database connection, one arena.
 * Runs until SIGTERM/SIGINT, finishing the request in flight first. */
#ifndef FA_SERVER_REQUEST_WORKER_H
#define FA_SERVER_REQUEST_WORKER_H

#include "core/config.h"
#include "handlers/context.h"

/* Never returns: exits 0 after draining, non-zero on a fatal error. */
_Noreturn void fa_worker_main(const fa_config_t *config, int listen_fd, int index);

/* Handles one request from parsed FastCGI params + body reader; exposed so
 * the dispatch logic is testable without libfcgi. Writes the serialized
 * response into out. */
typedef fa_status_t (*fa_body_reader_fn)(void *reader, fa_arena_t *arena, size_t length,
                                         fa_str_t *out, fa_error_t *err);
void fa_worker_dispatch(fa_worker_t *worker, char *const *params, fa_body_reader_fn read_body,
                        void *reader, fa_buf_t *out);

#endif
