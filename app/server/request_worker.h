/* A worker process: one accept loop, one database connection, one arena.
 * Runs until SIGTERM/SIGINT (finishes the request in flight, then what waits
 * in the listen backlog) or SIGQUIT (the request in flight only); stopped
 * with SIGQUIT when its master dies. */
#ifndef FA_SERVER_REQUEST_WORKER_H
#define FA_SERVER_REQUEST_WORKER_H

#include <sys/types.h>

#include "core/config.h"
#include "handlers/context.h"

/* Never returns: exits 0 after draining, non-zero on a fatal error. master is
 * the pid of the process that forked it (checked against getppid()). */
_Noreturn void fa_worker_main(const fa_config_t *config, int listen_fd, int index, pid_t master);

/* Handles one request from parsed FastCGI params + body reader; exposed so
 * the dispatch logic is testable without libfcgi. Writes the serialized
 * response into out. */
typedef fa_status_t (*fa_body_reader_fn)(void *reader, fa_arena_t *arena, size_t length,
                                         fa_str_t *out, fa_error_t *err);
void fa_worker_dispatch(fa_worker_t *worker, char *const *params, fa_body_reader_fn read_body,
                        void *reader, fa_buf_t *out);

#endif
