/* `foundry-auth jobs`: the background worker process. One libpq connection
 * of its own (never shared with the serve workers), LISTEN on foundry_jobs
 * with a poll fallback (FOUNDRY_JOBS_POLL_MS, or sooner when a queued job
 * comes due), crashed-worker recovery, and garbage collection every
 * FOUNDRY_JOBS_GC_SECONDS (and once at start). SIGTERM/SIGINT: the job in
 * flight finishes, then the process exits 0. Any number of these processes
 * may run against one database. */
#ifndef FA_SERVER_JOBS_WORKER_H
#define FA_SERVER_JOBS_WORKER_H

#include "core/config.h"

/* The subcommand: runs until SIGTERM/SIGINT; returns the exit code. */
int fa_jobs_main(const fa_config_t *cfg, int argc, char **argv);

#endif
