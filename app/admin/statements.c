/* Owns: the list of modules whose statements are prepared. Never: holds SQL
 * (each module owns its statements) or connects.
 *
 * Every process (the serve master before it forks its workers, the jobs
 * process, the admin and keys commands) registers all of them through
 * main.c: one list nobody can forget to extend for one process only. The
 * cost is a few dozen extra PQprepare round trips per (re)connect in a
 * process that never runs some of them, paid once per connection, never
 * per request.
 *
 * Why here: both top layers need this list and may not include each other
 * (server/ and cli/), and it must include every module that owns statements
 * (github, jobs, auth, snapshot, admin). admin/ is the highest layer below
 * them both that may include all of those; handlers/ owns no statement and
 * is HTTP, which the admin CLI has no business seeing. */
#include "admin/statements.h"

#include "admin/check.h"
#include "admin/gc.h"
#include "admin/reseal.h"
#include "admin/users.h"
#include "auth/admin_throttle.h"
#include "auth/admin_token.h"
#include "auth/audit.h"
#include "auth/oauth.h"
#include "auth/session.h"
#include "auth/signin.h"
#include "auth/signing_keys.h"
#include "auth/tokens.h"
#include "db/db.h"
#include "github/limit.h"
#include "github/token.h"
#include "jobs/org_sync.h"
#include "jobs/queue.h"
#include "jobs/runner.h"
#include "snapshot/onboarding.h"
#include "snapshot/selection.h"
#include "snapshot/snapshot.h"

typedef void (*fa_statements_register_fn)(void);

/* By layer, lowest first; the order is not significant (the registry sorts). */
static const fa_statements_register_fn fa_statement_modules[] = {
    /* github/ */
    fa_github_limit_register_statements,
    fa_github_token_register_statements,
    /* jobs/ */
    fa_jobs_register_statements,
    fa_jobs_runner_register_statements,
    fa_org_sync_register_statements,
    /* auth/ */
    fa_admin_throttle_register_statements,
    fa_admin_token_register_statements,
    fa_audit_register_statements,
    fa_oauth_register_statements,
    fa_session_register_statements,
    fa_signin_register_statements,
    fa_signing_keys_register_statements,
    fa_tokens_register_statements,
    /* snapshot/ */
    fa_onboarding_register_statements,
    fa_selection_register_statements,
    fa_snapshot_register_statements,
    /* admin/ */
    fa_admin_check_register_statements,
    fa_gc_register_statements,
    fa_reseal_register_statements,
    fa_admin_users_register_statements,
};

bool fa_statements_register_all(void)
{
    for (size_t i = 0; i < sizeof(fa_statement_modules) / sizeof(fa_statement_modules[0]); i++)
        fa_statement_modules[i]();
    return fa_db_check_statements();
}
