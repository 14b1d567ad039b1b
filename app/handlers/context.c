/* Owns: building and wiping the request worker's long-lived state. */
#include "handlers/context.h"

#include <stdlib.h>

#include "snapshot/snapshot.h"

void fa_worker_open(fa_worker_t *w, const fa_config_t *config, int index)
{
    *w = (fa_worker_t){
        .config = config,
        .db = fa_db_create(config->database_url),
        .arena = fa_arena_create(32 * 1024),
        .services = fa_services_create(config),
        .signed_out_snapshot = fa_snapshot_signed_out(config),
        .index = index,
    };
    fa_db_set_timeout(w->db, config->db_timeout_ms);
    fa_signing_keys_cache_init(&w->jwt_keys, config);
}

void fa_worker_close(fa_worker_t *w)
{
    fa_signing_keys_cache_clear(&w->jwt_keys);
    free(w->signed_out_snapshot);
    fa_services_destroy(w->services);
    fa_db_destroy(w->db);
    fa_arena_destroy(w->arena);
    *w = (fa_worker_t){0};
}

const char *fa_ctx_client_ip(const fa_ctx_t *ctx)
{
    return ctx->req->remote_addr.ptr ? fa_str_dup(ctx->arena, ctx->req->remote_addr) : NULL;
}
