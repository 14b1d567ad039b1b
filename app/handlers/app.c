/* Owns: the /v1/app routes: parse, call the snapshot modules, render. */
#include "handlers/app.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "auth/audit.h"
#include "handlers/authn.h"
#include "handlers/reply.h"
#include "jobs/org_sync.h"
#include "snapshot/onboarding.h"
#include "snapshot/selection.h"
#include "snapshot/snapshot.h"

/* Ids are strings of GitHub's numeric ids (they exceed JSON-safe integers in
 * some clients); a JSON integer is accepted too. */
static bool fa_json_id(const json_t *v, int64_t *out)
{
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return *out > 0;
    }
    const char *s = json_string_value(v);
    if (!s || !*s || strlen(s) > 19)
        return false;
    char *end;
    errno = 0;
    long long n = strtoll(s, &end, 10);
    if (errno || *end || n <= 0)
        return false;
    *out = n;
    return true;
}

/* One round trip: the session check and the whole document in one query. */
fa_status_t fa_handle_snapshot(fa_ctx_t *ctx, fa_error_t *err)
{
    uint8_t hash[FA_SHA256_LEN];
    bool from_cookie = false;
    fa_snapshot_t snap = {0};
    if (fa_authn_token_hash(ctx, hash, &from_cookie) &&
        fa_snapshot_load(ctx->db, ctx->arena, ctx->config, hash, &snap, err) != FA_OK)
        return err->status;
    if (!snap.signed_in) {
        const char *doc = ctx->worker->signed_out_snapshot;
        fa_reply_json_text(ctx, doc, strlen(doc));
        return FA_OK;
    }
    ctx->user_id = snap.user_id;
    if (snap.session_age >= ctx->config->session_update_age) {
        fa_session_t s = {.user_id = snap.user_id, .id = snap.session_id, .needs_refresh = true};
        fa_authn_slide(ctx, &s, from_cookie);
    }
    fa_reply_json_text(ctx, snap.json, snap.json_len);
    return FA_OK;
}

fa_status_t fa_handle_org_select(fa_ctx_t *ctx, fa_error_t *err)
{
    fa_session_t *s = fa_authn_session(ctx);
    json_t *body;
    if (fa_request_json(ctx->req, &body, err) != FA_OK)
        return err->status;
    int64_t org;
    if (!fa_json_id(json_object_get(body, "organizationId"), &org))
        return fa_error_set(err, FA_ERR_BAD_REQUEST, "invalid_organization_id",
                            "organizationId must be a numeric id", NULL);
    json_t *detail =
        fa_arena_json(ctx->arena, json_pack("{s:I}", "organizationId", (json_int_t)org));
    if (fa_selection_set(ctx->db, ctx->arena, s->user_id, s->id, org, err) != FA_OK ||
        fa_audit_record(ctx->db, ctx->arena, "org_selected", s->user_id, s->id, s->login, NULL,
                        detail, err) != FA_OK)
        return err->status;
    fa_reply_json(ctx, json_pack("{s:s}", "activeOrganizationId", fa_arena_i64(ctx->arena, org)));
    return FA_OK;
}

fa_status_t fa_handle_org_sync(fa_ctx_t *ctx, fa_error_t *err)
{
    fa_session_t *s = fa_authn_session(ctx);
    if (fa_org_sync_request(ctx->db, ctx->arena, s->user_id, err) != FA_OK)
        return err->status;
    static const char queued[] = "{\"status\":\"queued\"}";
    fa_reply_accepted_json_text(ctx, queued, sizeof(queued) - 1);
    return FA_OK;
}

/* Records the audit event of an onboarding step, then answers its document. */
static fa_status_t fa_onboarding_answer(fa_ctx_t *ctx, const char *event, const char *json,
                                        fa_error_t *err)
{
    fa_session_t *s = fa_authn_session(ctx);
    json_t *detail =
        fa_arena_json(ctx->arena, json_pack("{s:s}", "repo", ctx->config->starter_repo));
    if (fa_audit_record(ctx->db, ctx->arena, event, s->user_id, s->id, s->login, NULL, detail,
                        err) != FA_OK)
        return err->status;
    fa_reply_json_text(ctx, json, strlen(json));
    return FA_OK;
}

static fa_status_t fa_record_star(fa_ctx_t *ctx, void *unused, fa_error_t *err)
{
    (void)unused;
    const char *json;
    if (fa_onboarding_record_star(ctx->db, ctx->arena, ctx->config, ctx->user_id, &json, err) !=
        FA_OK)
        return err->status;
    return fa_onboarding_answer(ctx, "starter_repo_starred", json, err);
}

/* FA_ROUTE_CALLS_OUT: the PUT to GitHub (up to its timeout) runs with no
 * transaction open, so a concurrent revocation never waits on it; the record
 * commits after the session is locked and checked again. */
fa_status_t fa_handle_starter_repo_star(fa_ctx_t *ctx, fa_error_t *err)
{
    if (fa_onboarding_star_on_github(ctx->db, ctx->arena, ctx->worker->services, ctx->user_id,
                                     err) != FA_OK)
        return err->status;
    return fa_authn_commit(ctx, fa_record_star, NULL, err);
}

fa_status_t fa_handle_starter_repo_skip(fa_ctx_t *ctx, fa_error_t *err)
{
    fa_session_t *s = fa_authn_session(ctx);
    const char *json;
    if (fa_onboarding_skip(ctx->db, ctx->arena, ctx->config, s->user_id, &json, err) != FA_OK)
        return err->status;
    return fa_onboarding_answer(ctx, "starter_repo_skipped", json, err);
}
