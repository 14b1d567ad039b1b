/* Owns: the /v1/app routes: parse, call the snapshot modules, render. */
#include "handlers/app.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "auth/audit.h"
#include "handlers/authn.h"
#include "jobs/org_sync.h"
#include "services/services.h"
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
void fa_handle_snapshot(fa_ctx_t *ctx)
{
    uint8_t hash[FA_SHA256_LEN];
    bool from_cookie = false;
    fa_snapshot_t snap = {0};
    fa_error_t err;
    if (fa_authn_token_hash(ctx, hash, &from_cookie) &&
        fa_snapshot_load(ctx->db, ctx->arena, ctx->config, hash, &snap, &err) != FA_OK) {
        fa_response_error(ctx->res, &err);
        return;
    }
    if (!snap.signed_in) {
        const char *doc = ctx->worker->signed_out_snapshot;
        fa_response_json_raw(ctx->res, 200, doc, strlen(doc));
        return;
    }
    ctx->user_id = snap.user_id;
    if (snap.session_age >= ctx->config->session_update_age) {
        fa_session_t s = {.user_id = snap.user_id, .id = snap.session_id, .needs_refresh = true};
        fa_authn_slide(ctx, &s, from_cookie);
    }
    fa_response_json_raw(ctx->res, 200, snap.json, snap.json_len);
}

void fa_handle_org_select(fa_ctx_t *ctx)
{
    fa_session_t *s = fa_authn_session(ctx);
    json_t *body;
    fa_error_t err;
    if (fa_request_json(ctx->req, &body, &err) != FA_OK) {
        fa_response_error(ctx->res, &err);
        return;
    }
    int64_t org;
    if (!fa_json_id(json_object_get(body, "organizationId"), &org)) {
        fa_response_error_status(ctx->res, FA_ERR_BAD_REQUEST, "invalid_organization_id",
                                 "organizationId must be a numeric id");
        return;
    }
    if (fa_selection_set(ctx->db, ctx->arena, s->user_id, s->id, org, &err) != FA_OK) {
        fa_response_error(ctx->res, &err);
        return;
    }
    json_t *detail = json_pack("{s:I}", "organizationId", (json_int_t)org);
    fa_status_t st = fa_audit_record(ctx->db, ctx->arena, "org_selected", s->user_id, s->id,
                                     s->login, NULL, detail, &err);
    json_decref(detail);
    if (st != FA_OK) {
        fa_response_error(ctx->res, &err);
        return;
    }
    json_t *out = json_pack("{s:s}", "activeOrganizationId",
                            fa_arena_i64(ctx->arena, org));
    fa_response_json(ctx->res, 200, out);
    json_decref(out);
}

void fa_handle_org_sync(fa_ctx_t *ctx)
{
    fa_session_t *s = fa_authn_session(ctx);
    fa_error_t err;
    if (fa_org_sync_request(ctx->db, ctx->arena, s->user_id, &err) != FA_OK) {
        fa_response_error(ctx->res, &err);
        return;
    }
    static const char queued[] = "{\"status\":\"queued\"}";
    fa_response_json_raw(ctx->res, 202, queued, sizeof(queued) - 1);
}

/* Records the audit event of an onboarding step, then answers its document. */
static void fa_onboarding_answer(fa_ctx_t *ctx, const char *event, const char *json)
{
    fa_session_t *s = fa_authn_session(ctx);
    fa_error_t err;
    json_t *detail = json_pack("{s:s}", "repo", ctx->config->starter_repo);
    fa_status_t st = fa_audit_record(ctx->db, ctx->arena, event, s->user_id, s->id, s->login, NULL,
                                     detail, &err);
    json_decref(detail);
    if (st != FA_OK) {
        fa_response_error(ctx->res, &err);
        return;
    }
    fa_response_json_raw(ctx->res, 200, json, strlen(json));
}

static void fa_record_star(fa_ctx_t *ctx, void *unused)
{
    (void)unused;
    const char *json;
    fa_error_t err;
    if (fa_onboarding_record_star(ctx->db, ctx->arena, ctx->config, ctx->user_id, &json, &err) !=
        FA_OK) {
        fa_response_error(ctx->res, &err);
        return;
    }
    fa_onboarding_answer(ctx, "starter_repo_starred", json);
}

/* FA_ROUTE_CALLS_OUT: the PUT to GitHub (up to its timeout) runs with no
 * transaction open, so a concurrent revocation never waits on it; the record
 * commits after the session is locked and checked again. */
void fa_handle_starter_repo_star(fa_ctx_t *ctx)
{
    fa_error_t err;
    if (fa_onboarding_star_on_github(ctx->db, ctx->arena, ctx->worker->services, ctx->user_id,
                                     &err) != FA_OK) {
        fa_response_error(ctx->res, &err);
        return;
    }
    fa_authn_commit(ctx, fa_record_star, NULL);
}

void fa_handle_starter_repo_skip(fa_ctx_t *ctx)
{
    fa_session_t *s = fa_authn_session(ctx);
    const char *json;
    fa_error_t err;
    if (fa_onboarding_skip(ctx->db, ctx->arena, ctx->config, s->user_id, &json, &err) != FA_OK) {
        fa_response_error(ctx->res, &err);
        return;
    }
    fa_onboarding_answer(ctx, "starter_repo_skipped", json);
}
