/* Owns: user_profiles' org_sync_* columns and eligible_organization_ids;
 * organizations (kind organization) and organization_members after sign-in;
 * clearing session_state.active_organization_id for orgs a sync removed (the
 * one write to session_state outside snapshot/selection.c, so the removal and
 * its consequence commit together). Never: holds a transaction open across a
 * GitHub call, or logs/stores a token. */
#include "jobs/org_sync.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "github/limit.h"
#include "github/token.h"
#include "core/log.h"
#include "services/services.h"

const char fa_org_sync_err_token_revoked[] = "github_token_revoked";

static const fa_db_statement_t fa_org_sync_statements[] = {
    {"org_sync_status",
     "UPDATE user_profiles SET org_sync_status = $2, org_sync_error = $3, "
     "org_sync_updated_at = now(), updated_at = now() WHERE user_id = $1",
     3},
    /* A personal row is never turned into an organization (ids are one space
     * on GitHub, so this only guards against a bug, not a real collision). */
    /* Rows are locked in id order, in this statement and the next ones, so
     * two job processes syncing users with overlapping organizations (GitHub
     * lists each user's in its own order) cannot deadlock (issue 16). */
    {"org_sync_upsert_orgs",
     "INSERT INTO organizations (id, login, name, avatar_url, kind) "
     "SELECT o.id, o.login, o.name, o.avatar_url, 'organization' "
     "FROM jsonb_to_recordset($1::jsonb) AS o(id bigint, login text, name text, avatar_url text) "
     "ORDER BY o.id ON CONFLICT (id) DO UPDATE SET login = excluded.login, "
     "name = coalesce(excluded.name, organizations.name), avatar_url = excluded.avatar_url, "
     "updated_at = now() WHERE organizations.kind = 'organization' AND (organizations.login, "
     "organizations.name, organizations.avatar_url) IS DISTINCT FROM (excluded.login, "
     "coalesce(excluded.name, organizations.name), excluded.avatar_url)",
     1},
    {"org_sync_prune_members",
     "DELETE FROM organization_members m USING organizations o "
     "WHERE m.user_id = $1 AND o.id = m.organization_id AND o.kind = 'organization' "
     "AND m.organization_id <> ALL ($2::bigint[])",
     2},
    /* An unchanged organization or membership is not written again: a sync
     * of a user in 50 organizations used to rewrite 100 rows (and fire the
     * snapshot trigger 50 times) to change nothing (issue 16). A membership's
     * synced_at is when it was first seen; nothing reads it. */
    {"org_sync_add_members",
     "INSERT INTO organization_members (user_id, organization_id) "
     "SELECT $1, id FROM unnest($2::bigint[]) AS id ORDER BY id "
     "ON CONFLICT (user_id, organization_id) DO NOTHING",
     2},
    /* Personal account first, then the orgs in GitHub's order, each id once:
     * an organization can share the user's id (GitHub's own API examples
     * give both id 1), and the front end keys its list by id. */
    {"org_sync_done",
     "UPDATE user_profiles SET eligible_organization_ids = ARRAY(SELECT e.id "
     "FROM unnest(ARRAY[$1::bigint] || $2::bigint[]) WITH ORDINALITY AS e(id, n) "
     "GROUP BY e.id ORDER BY min(e.n)), "
     "org_sync_status = 'done', org_sync_error = NULL, org_sync_updated_at = now(), "
     "updated_at = now() WHERE user_id = $1 RETURNING user_id",
     2},
    {"org_sync_clear_active",
     "UPDATE session_state SET active_organization_id = NULL, updated_at = now() "
     "WHERE user_id = $1 AND active_organization_id IS NOT NULL "
     "AND active_organization_id <> ALL (ARRAY[$1::bigint] || $2::bigint[])",
     2},
};

void fa_org_sync_register_statements(void)
{
    FA_DB_REGISTER(fa_org_sync_statements);
}

static fa_status_t fa_set_status(fa_db_t *db, fa_arena_t *arena, int64_t user_id,
                                 const char *status, const char *error, fa_error_t *err)
{
    const char *values[3] = {fa_arena_i64(arena, user_id), status, error};
    return fa_db_exec(db, arena, "org_sync_status", 3, values, err) ? FA_OK : err->status;
}

fa_status_t fa_org_sync_request(fa_db_t *db, fa_arena_t *arena, int64_t user_id, fa_error_t *err)
{
    fa_status_t st = fa_jobs_enqueue(db, arena, FA_JOB_ORG_SYNC, user_id, NULL, err);
    return st != FA_OK ? st : fa_set_status(db, arena, user_id, "pending", NULL, err);
}

fa_status_t fa_org_sync_phase(fa_db_t *db, fa_arena_t *arena, const fa_job_t *job,
                              fa_job_phase_t phase, const char *reason, fa_error_t *err)
{
    if (job->user_id <= 0)
        return FA_OK;
    switch (phase) {
    case FA_JOB_PHASE_START:
        return fa_set_status(db, arena, job->user_id, "running", NULL, err);
    case FA_JOB_PHASE_RETRY: /* queued again: pending, with why the last try failed */
        return fa_set_status(db, arena, job->user_id, "pending", reason, err);
    case FA_JOB_PHASE_GIVE_UP:
        return fa_set_status(db, arena, job->user_id, "failed", reason, err);
    }
    return FA_OK;
}

/* ---- GitHub side (no transaction open) -------------------------------- */

static fa_status_t fa_revoked(fa_error_t *err, const char *detail)
{
    return fa_error_set(err, FA_ERR_UPSTREAM, fa_org_sync_err_token_revoked,
                        "GitHub no longer accepts this user's token and it could not be "
                        "refreshed; the user must sign in again",
                        detail);
}

static void fa_wipe_string(void *s)
{
    OPENSSL_cleanse(s, strlen(s));
}

/* GitHub rotates both tokens on refresh and the old refresh token dies, so
 * the new pair is stored at once, before anything else can fail. */
static fa_status_t fa_refresh(fa_job_env_t *env, fa_job_t *job, fa_github_token_t *tok,
                              fa_error_t *err)
{
    fa_github_tokens_t fresh;
    fa_github_t *gh = env->services->github;
    if (fa_github_refresh_token(gh, env->arena, tok->refresh_token, &fresh, err) != FA_OK) {
        if (fa_error_is(err, fa_github_err_rejected_code) ||
            fa_error_is(err, fa_github_err_unauthorized))
            return fa_revoked(err, "the refresh token was refused");
        if (fa_error_is(err, fa_github_err_rate_limited))
            job->retry_after = fa_github_retry_after(gh);
        return err->status;
    }
    fa_arena_defer(env->arena, fa_wipe_string, fresh.access_token);
    if (fresh.refresh_token)
        fa_arena_defer(env->arena, fa_wipe_string, fresh.refresh_token);
    fa_status_t st = fa_github_token_store(env->db, env->arena, &env->services->token_ring,
                                           job->user_id, &fresh, err);
    if (st != FA_OK) {
        fa_log_error("org_sync", "user %lld: could not store the refreshed GitHub token: %s",
                     (long long)job->user_id, err->code);
        return st;
    }
    fa_log_info("org_sync", "user %lld: GitHub token refreshed", (long long)job->user_id);
    tok->access_token = fresh.access_token;
    tok->refresh_token = fresh.refresh_token;
    tok->access_expired = false;
    return FA_OK;
}

typedef struct {
    fa_job_env_t *env;
    fa_job_t *job;
} fa_sync_pace_t;

/* Before each page: the lease renewed, so a long listing (up to 50 pages
 * of FOUNDRY_GITHUB_TIMEOUT_MS each) is never taken over and run a second
 * time while it runs; a lease already lost stops the listing here. */
static fa_status_t fa_sync_before_page(void *ctx, int page, fa_error_t *err)
{
    (void)page;
    fa_sync_pace_t *p = ctx;
    return fa_jobs_renew(p->env, p->job, err);
}

/* The orgs with the token, refreshing it once when it expired or GitHub
 * refuses it. */
static fa_status_t fa_list_orgs(fa_job_env_t *env, fa_job_t *job, fa_github_org_t **orgs,
                                size_t *count, fa_error_t *err)
{
    fa_github_token_t tok;
    fa_status_t st = fa_github_token_load(env->db, env->arena, &env->services->token_ring,
                                          job->user_id, &tok, err);
    if (st != FA_OK)
        return st;
    bool refreshed = false;
    if (tok.access_expired && tok.refresh_token) {
        if ((st = fa_refresh(env, job, &tok, err)) != FA_OK)
            return st;
        refreshed = true;
    }
    fa_github_t *gh = env->services->github;
    fa_sync_pace_t pace = {env, job};
    for (;;) {
        st = fa_github_list_orgs_paced(gh, env->arena, tok.access_token, fa_sync_before_page, &pace,
                                       orgs, count, err);
        if (st == FA_OK || !fa_error_is(err, fa_github_err_unauthorized))
            break;
        if (refreshed || !tok.refresh_token)
            return fa_revoked(err, refreshed ? "refused right after a refresh"
                                             : "refused and there is no refresh token");
        if ((st = fa_refresh(env, job, &tok, err)) != FA_OK)
            return st;
        refreshed = true;
    }
    if (st != FA_OK && fa_error_is(err, fa_github_err_rate_limited))
        job->retry_after = fa_github_retry_after(gh);
    return st;
}

/* ---- the database side (one transaction) ------------------------------ */

typedef struct {
    const char *user_id;
    const char *orgs_json; /* [{"id","login","name","avatar_url"}] */
    const char *org_ids;   /* bigint[] literal "{1,2}" */
} fa_sync_write_t;

static fa_status_t fa_sync_tx(fa_db_t *db, fa_arena_t *arena, void *ctx, fa_error_t *err)
{
    const fa_sync_write_t *w = ctx;
    const char *orgs[1] = {w->orgs_json};
    const char *pair[2] = {w->user_id, w->org_ids};
    PGresult *r;
    if (!fa_db_exec(db, arena, "org_sync_upsert_orgs", 1, orgs, err) ||
        !fa_db_exec(db, arena, "org_sync_prune_members", 2, pair, err) ||
        !fa_db_exec(db, arena, "org_sync_add_members", 2, pair, err) ||
        !(r = fa_db_exec(db, arena, "org_sync_done", 2, pair, err)) ||
        !fa_db_exec(db, arena, "org_sync_clear_active", 2, pair, err))
        return err->status;
    if (PQntuples(r) != 1)
        return fa_error_set(err, FA_ERR_NOT_FOUND, fa_jobs_err_permanent,
                            "the user has no profile (deleted?)", NULL);
    return FA_OK;
}

static bool fa_build_write(fa_arena_t *arena, int64_t user_id, const fa_github_org_t *orgs,
                           size_t count, fa_sync_write_t *w)
{
    json_t *list = json_array();
    fa_buf_t ids;
    fa_buf_init(&ids, arena, 64 + count * 12);
    fa_buf_append_char(&ids, '{');
    bool ok = list != NULL;
    for (size_t i = 0; ok && i < count; i++) {
        json_t *o =
            json_pack("{s:I,s:s,s:s?,s:s?}", "id", (json_int_t)orgs[i].id, "login", orgs[i].login,
                      "name", orgs[i].name, "avatar_url", orgs[i].avatar_url);
        ok = o && json_array_append_new(list, o) == 0;
        fa_buf_printf(&ids, "%s%lld", i ? "," : "", (long long)orgs[i].id);
    }
    fa_buf_append_char(&ids, '}');
    char *text = ok ? json_dumps(list, JSON_COMPACT) : NULL;
    json_decref(list);
    if (!text)
        return false;
    w->user_id = fa_arena_i64(arena, user_id);
    w->orgs_json = fa_arena_strdup(arena, text);
    w->org_ids = fa_buf_cstr(&ids);
    free(text);
    return true;
}

fa_status_t fa_org_sync_run(fa_job_env_t *env, fa_job_t *job, fa_error_t *err)
{
    if (job->user_id <= 0)
        return fa_error_set(err, FA_ERR_UNPROCESSABLE, fa_jobs_err_permanent,
                            "org_sync job without a user", NULL);
    /* Issue 12: while GitHub limits us the job waits for the reset
     * (postponed, its attempt given back), without calling. */
    long wait;
    fa_status_t st = fa_github_limit_check(env->db, env->arena, &wait, err);
    if (st != FA_OK)
        return st;
    if (wait > 0) {
        job->retry_after = wait;
        return fa_github_limit_refuse(env->arena, wait, err);
    }
    fa_github_org_t *orgs;
    size_t count;
    st = fa_list_orgs(env, job, &orgs, &count, err);
    if (st != FA_OK) {
        fa_github_limit_note(env->db, env->arena, env->services->github, err);
        return st;
    }
    fa_sync_write_t w;
    if (!fa_build_write(env->arena, job->user_id, orgs, count, &w))
        return fa_error_set(err, FA_ERR_UPSTREAM, fa_github_err_bad_response,
                            "GitHub sent an organization that cannot be stored", NULL);
    st = fa_jobs_commit(env, job, fa_sync_tx, &w, err);
    if (st == FA_OK)
        fa_log_info("org_sync", "user %lld: %zu organization(s) synced", (long long)job->user_id,
                    count);
    return st;
}
