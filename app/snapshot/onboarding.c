/* Owns: user_profiles' starter_repo_status, starred_at, skipped_at writes.
 * Never: changes the status when GitHub refused, or sends the user's token
 * anywhere but GitHub. */
#include "snapshot/onboarding.h"

#include <string.h>

#include "core/json_text.h"
#include "github/limit.h"
#include "github/token.h"

/* Binary columns, rendered by fa_starter_repo_json: timestamps go through
 * core/timefmt like every other the service emits. */
#define FA_STARTER_REPO_JSON "$2::text AS repo, starter_repo_status, starred_at, skipped_at"

static const fa_db_statement_t fa_onboarding_statements[] = {
    {"onboarding_star",
     "UPDATE user_profiles SET starter_repo_status = 'starred', starred_at = now(), "
     "updated_at = now() WHERE user_id = $1 RETURNING " FA_STARTER_REPO_JSON,
     2},
    {"onboarding_skip",
     "UPDATE user_profiles SET starter_repo_status = 'skipped', skipped_at = now(), "
     "updated_at = now() WHERE user_id = $1 AND starter_repo_status <> 'starred' "
     "RETURNING " FA_STARTER_REPO_JSON,
     2},
};

void fa_onboarding_register_statements(void)
{
    FA_DB_REGISTER(fa_onboarding_statements);
}

static fa_status_t fa_not_configured(fa_error_t *err)
{
    return fa_error_set(err, FA_ERR_CONFLICT, "starter_repo_not_configured",
                        "no starter repository is configured (FOUNDRY_STARTER_REPO)", NULL);
}

static void fa_starter_repo_time(fa_buf_t *b, const PGresult *r, const char *column)
{
    int col = fa_db_col(r, column);
    bool present = !fa_db_bin_null(r, 0, col);
    fa_json_text_time(b, present, present ? fa_db_bin_timestamp_us(r, 0, col) : 0);
}

/* {"starterRepo":{"repo","status","starredAt","skippedAt"}}, the snapshot's
 * onboarding object. */
static const char *fa_starter_repo_json(fa_arena_t *arena, const PGresult *r)
{
    fa_buf_t b;
    fa_buf_init(&b, arena, 192);
    FA_JSON_RAW(&b, "{\"starterRepo\":{\"repo\":");
    fa_json_text_string(&b, fa_db_bin_text(r, 0, fa_db_col(r, "repo")));
    FA_JSON_RAW(&b, ",\"status\":");
    fa_json_text_string(&b, fa_db_bin_text(r, 0, fa_db_col(r, "starter_repo_status")));
    FA_JSON_RAW(&b, ",\"starredAt\":");
    fa_starter_repo_time(&b, r, "starred_at");
    FA_JSON_RAW(&b, ",\"skippedAt\":");
    fa_starter_repo_time(&b, r, "skipped_at");
    FA_JSON_RAW(&b, "}}");
    return fa_buf_cstr(&b);
}

/* statement updates the user's row unless it may not (skip after a star):
 * no row back is then `refused`, and a missing profile otherwise. */
static fa_status_t fa_record(fa_db_t *db, fa_arena_t *arena, const fa_db_use_t *statement,
                             const fa_error_t *refused, const char *repo, int64_t user_id,
                             const char **json, fa_error_t *err)
{
    const char *values[2] = {fa_arena_i64(arena, user_id), repo};
    PGresult *r = (fa_db_exec_binary)(db, arena, statement, 2, values, NULL, NULL, err);
    if (!r)
        return err->status;
    if (PQntuples(r) != 1 && refused) {
        *err = *refused;
        return err->status;
    }
    if (PQntuples(r) != 1)
        return fa_error_set(err, FA_ERR_NOT_FOUND, "profile_not_found", "no such profile", NULL);
    *json = fa_starter_repo_json(arena, r);
    return FA_OK;
}

/* Every way starring can fail is one answer to the client: GitHub (or the
 * token we hold for it) did not do it. The cause stays in the log detail. */
static fa_status_t fa_github_failed(fa_arena_t *arena, fa_error_t *err)
{
    const char *cause = fa_arena_sprintf(arena, "%s%s%s", err->code ? err->code : "error",
                                         err->detail ? ": " : "", err->detail ? err->detail : "");
    return fa_error_set(err, FA_ERR_UPSTREAM, "github_failed",
                        "GitHub did not star the repository; try again later", cause);
}

fa_status_t fa_onboarding_star_on_github(fa_db_t *db, fa_arena_t *arena,
                                         const fa_services_t *services, int64_t user_id,
                                         fa_error_t *err)
{
    const char *repo = services->config->starter_repo;
    if (!repo)
        return fa_not_configured(err);
    /* Issue 12: not while GitHub limits us; a limit the PUT meets is
     * recorded for every worker. */
    long wait;
    if (fa_github_limit_check(db, arena, &wait, err) != FA_OK)
        return err->status;
    if (wait > 0) {
        fa_github_limit_refuse(arena, wait, err);
        return fa_github_failed(arena, err);
    }
    fa_github_token_t tok;
    if (fa_github_token_load(db, arena, &services->token_ring, user_id, &tok, err) != FA_OK) {
        if (err->status == FA_ERR_UNAVAILABLE)
            return err->status;
        return fa_github_failed(arena, err);
    }
    if (fa_github_star_repo(services->github, arena, tok.access_token, repo, err) != FA_OK) {
        fa_github_limit_note(db, arena, services->github, err);
        return fa_github_failed(arena, err);
    }
    return FA_OK;
}

fa_status_t fa_onboarding_record_star(fa_db_t *db, fa_arena_t *arena, const fa_config_t *cfg,
                                      int64_t user_id, const char **json, fa_error_t *err)
{
    if (!cfg->starter_repo)
        return fa_not_configured(err);
    return fa_record(db, arena, FA_DB_STATEMENT("onboarding_star"), NULL, cfg->starter_repo,
                     user_id, json, err);
}

fa_status_t fa_onboarding_skip(fa_db_t *db, fa_arena_t *arena, const fa_config_t *cfg,
                               int64_t user_id, const char **json, fa_error_t *err)
{
    if (!cfg->starter_repo)
        return fa_not_configured(err);
    static const fa_error_t starred = {FA_ERR_CONFLICT, "starter_repo_already_starred",
                                       "the starter repository is already starred", NULL};
    return fa_record(db, arena, FA_DB_STATEMENT("onboarding_skip"), &starred, cfg->starter_repo,
                     user_id, json, err);
}
