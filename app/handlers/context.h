/* The request worker's long-lived state and the per-request context handed
 * to every handler. Nothing in fa_ctx_t survives the request (invariant 9:
 * each request starts with no identity, buffers or headers of the one
 * before). */
#ifndef FA_HANDLERS_CONTEXT_H
#define FA_HANDLERS_CONTEXT_H

#include <jansson.h>
#include <stdint.h>

#include "auth/signing_keys.h"
#include "core/arena.h"
#include "core/config.h"
#include "db/db.h"
#include "http/request.h"
#include "http/response.h"
#include "http/router.h"
#include "services/services.h"

typedef struct {
    const fa_config_t *config;
    fa_db_t *db;
    fa_arena_t *arena;
    fa_services_t *services;
    fa_signing_keys_cache_t jwt_keys; /* JWT signing keys, re-read every 10 s */
    char *signed_out_snapshot;        /* the same document for every anonymous caller */
    int index;
} fa_worker_t;

/* Builds what the handlers keep across requests (after fork: it holds a
 * database connection) and wipes it at exit. */
void fa_worker_open(fa_worker_t *w, const fa_config_t *config, int index);
void fa_worker_close(fa_worker_t *w);

struct fa_ctx {
    fa_worker_t *worker;
    const fa_config_t *config;
    fa_db_t *db;
    fa_arena_t *arena;
    fa_request_t *req;
    fa_response_t *res;
    const fa_route_t *route;
    const char *request_id;
    int64_t user_id;      /* set once a session is known, for the request log */
    void *session;        /* the authenticated session (auth module), or NULL */
    json_t *error_fields; /* extra members of an error body (handlers/reply.h) */
};

/* The caller's address as nginx passed it (REMOTE_ADDR), or NULL. */
const char *fa_ctx_client_ip(const fa_ctx_t *ctx);

#endif
