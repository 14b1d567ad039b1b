/* The worker's long-lived state and the per-request context handed to every
 * handler. Nothing in fa_ctx_t survives the request (invariant 9: each request
 * starts with no identity, buffers or headers of the one before). */
#ifndef FA_SERVER_CONTEXT_H
#define FA_SERVER_CONTEXT_H

#include <stdint.h>

#include "core/arena.h"
#include "core/config.h"
#include "db/db.h"
#include "http/request.h"
#include "http/response.h"
#include "http/router.h"

typedef struct fa_services fa_services_t; /* domain modules' per-worker state */

typedef struct {
    const fa_config_t *config;
    fa_db_t *db;
    fa_arena_t *arena;
    fa_services_t *services;
    int index;
} fa_worker_t;

struct fa_ctx {
    fa_worker_t *worker;
    const fa_config_t *config;
    fa_db_t *db;
    fa_arena_t *arena;
    fa_request_t *req;
    fa_response_t *res;
    const fa_route_t *route;
    const char *request_id;
    int64_t user_id; /* set once a session is known, for the request log */
    void *session;   /* the authenticated session (auth module), or NULL */
};

#endif
