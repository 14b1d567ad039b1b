/* Structured logs: one JSON object per line on stderr. fa_log checks the
 * level before formatting and tags each line with the current request id and
 * the module. Callers never pass a secret value: tokens, codes, verifiers and
 * secrets are not logged, not even truncated. */
#ifndef FA_CORE_LOG_H
#define FA_CORE_LOG_H

#include <stdint.h>

#include "core/config.h"

void fa_log_init(fa_log_level_t level, const char *process); /* process: "serve", "jobs", ... */
void fa_log_set_request_id(const char *request_id);          /* NULL clears */

/* Logging never blocks serving: after this, a line the reader cannot take
 * at once is dropped whole (never half a line) and counted, in this
 * process and in /metrics (foundry_auth_log_lines_dropped_total). For
 * long-running processes (serve's master before it forks, jobs); a parent
 * sharing our stderr (a shell, a terminal) keeps its blocking writes. */
void fa_log_nonblocking(void);
/* Lines this process dropped so far. */
uint64_t fa_log_dropped(void);

void fa_log(fa_log_level_t level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define fa_log_debug(mod, ...) fa_log(FA_LOG_DEBUG, mod, __VA_ARGS__)
#define fa_log_info(mod, ...) fa_log(FA_LOG_INFO, mod, __VA_ARGS__)
#define fa_log_warn(mod, ...) fa_log(FA_LOG_WARN, mod, __VA_ARGS__)
#define fa_log_error(mod, ...) fa_log(FA_LOG_ERROR, mod, __VA_ARGS__)

/* An event line: {"event":name, ...fields} where fields is a NULL-terminated
 * list of key, value string pairs. */
void fa_log_event(const char *event, ...) __attribute__((sentinel));

typedef struct {
    const char *request_id;
    const char *method;
    const char *route; /* route name, or "not_found" */
    const char *path;
    int status;
    double duration_ms;
    int64_t user_id; /* 0 when unknown */
} fa_request_log_t;

void fa_log_request(const fa_request_log_t *entry);

#endif
