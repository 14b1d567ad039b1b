/* Onboarding: the starter repository step (user_profiles.starter_repo_status,
 * starred_at, skipped_at). Starring is a PUT to GitHub with the user's own
 * token; the status changes only after GitHub said yes. */
#ifndef FA_SNAPSHOT_ONBOARDING_H
#define FA_SNAPSHOT_ONBOARDING_H

#include <stdint.h>

#include "db/db.h"
#include "services/services.h"

void fa_onboarding_register_statements(void);

/* Stars FOUNDRY_STARTER_REPO on GitHub with the user's token. Writes
 * nothing (call it with no transaction open: GitHub may take its timeout).
 * Errors: FA_ERR_CONFLICT "starter_repo_not_configured" (409) without a
 * starter repo; FA_ERR_UPSTREAM "github_failed" (502) when GitHub did not
 * star it (err->detail names GitHub's error). */
fa_status_t fa_onboarding_star_on_github(fa_db_t *db, fa_arena_t *arena,
                                         const fa_services_t *services, int64_t user_id,
                                         fa_error_t *err);

/* After GitHub starred it: records status 'starred' and starred_at. *json is
 * {"starterRepo":{repo,status,starredAt,skippedAt}}. */
fa_status_t fa_onboarding_record_star(fa_db_t *db, fa_arena_t *arena, const fa_config_t *cfg,
                                      int64_t user_id, const char **json, fa_error_t *err);

/* Records status 'skipped' and skipped_at; same *json. FA_ERR_CONFLICT
 * "starter_repo_not_configured", or "starter_repo_already_starred" when the
 * repository is already starred (a skip would misstate GitHub's state). */
fa_status_t fa_onboarding_skip(fa_db_t *db, fa_arena_t *arena, const fa_config_t *cfg,
                               int64_t user_id, const char **json, fa_error_t *err);

#endif
