/* Owns: liveness, readiness and metrics rendering. /readyz is the one place
 * that compares the database's schema version with the binary's. */
#include "handlers/ops.h"

#include <stdio.h>
#include <stdlib.h>

#include "auth/signing_keys.h"
#include "core/metrics.h"
#include "handlers/reply.h"
#include "handlers/routes.h"

fa_status_t fa_handle_healthz(fa_ctx_t *ctx, fa_error_t *err)
{
    (void)err;
    static const char body[] = "{\"status\":\"ok\"}";
    fa_reply_json_text(ctx, body, sizeof(body) - 1);
    return FA_OK;
}

/* Ready means able to do the work, which includes signing a JWT: a worker
 * whose secrets open no activated key and that cannot create one (a
 * read-only database) would fail every POST /v1/auth/token. */
static fa_status_t fa_readyz_signing_key(fa_ctx_t *ctx, fa_error_t *err)
{
    const fa_signing_key_t *key;
    if (fa_signing_keys_current(&ctx->worker->jwt_keys, ctx->db, ctx->arena, &key, err) == FA_OK)
        return FA_OK;
    return fa_error_set(err, FA_ERR_UNAVAILABLE, "signing_key_unavailable",
                        "no JWT signing key opens with the configured secrets and none could be "
                        "created",
                        err->detail);
}

/* Unprepared on purpose: it must work against a database whose schema is too
 * old for our prepared statements, to say so. */
fa_status_t fa_handle_readyz(fa_ctx_t *ctx, fa_error_t *err)
{
    long long version;
    if (fa_db_schema_version(ctx->db, ctx->arena, &version, err) != FA_OK) {
        if (err->status == FA_ERR_UNAVAILABLE)
            return err->status;
        return fa_error_set(err, FA_ERR_UNAVAILABLE, "schema_missing",
                            "the database has no schema_migrations table: run scripts/migrate",
                            err->detail);
    }
    if (version != FA_SCHEMA_VERSION || fa_db_unprepared(ctx->db) > 0) {
        fa_reply_error_field(ctx, "schemaVersion", json_integer(version));
        fa_reply_error_field(ctx, "expectedSchemaVersion", json_integer(FA_SCHEMA_VERSION));
        return fa_error_set(err, FA_ERR_UNAVAILABLE, "schema_mismatch",
                            version < FA_SCHEMA_VERSION
                                ? "the database schema is older than this binary: run "
                                  "scripts/migrate"
                                : "the database schema does not match this binary",
                            NULL);
    }
    if (fa_readyz_signing_key(ctx, err) != FA_OK)
        return err->status;
    fa_reply_json(ctx, json_pack("{s:s,s:I}", "status", "ready", "schemaVersion", version));
    return FA_OK;
}

fa_status_t fa_handle_metrics(fa_ctx_t *ctx, fa_error_t *err)
{
    (void)err;
    const char **names = fa_arena_alloc(ctx->arena, fa_route_count * sizeof(*names));
    for (size_t i = 0; i < fa_route_count; i++)
        names[i] = fa_routes[i].name;
    fa_buf_t out;
    fa_buf_init(&out, ctx->arena, 8192);
    fa_metrics_render(&out, names, fa_route_count);
    fa_reply_text(ctx, "text/plain; version=0.0.4; charset=utf-8", out.data, out.len);
    return FA_OK;
}
