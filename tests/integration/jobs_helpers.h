/* What the jobs and snapshot suites share: test users at the emulator with
 * chosen organizations, signing them in, the job process (pausing the one
 * scripts/test started, starting extra ones), waiting on database state, and
 * cookie-authenticated app mutations.
 *
 * Conventions are the harness's: strings returned are malloc'd, assertions
 * are left to the caller. */
#ifndef FA_INTEGRATION_JOBS_HELPERS_H
#define FA_INTEGRATION_JOBS_HELPERS_H

#include <stdbool.h>
#include <sys/types.h>

#include "harness.h"
#include "signin_helpers.h"

/* ---- users and sign-in ------------------------------------------------- */

typedef struct {
    long long id;
    char id_text[24];
    char login[40];
} fa_test_user_t;

/* A fresh user at the emulator (never seen by the database) with these org
 * memberships (known org ids; count may be 0) and, when expiring, 8-hour
 * tokens with a refresh token. False when the emulator refused. */
bool fa_user_create(fa_test_user_t *u, const char *prefix, const long long *org_ids, size_t count,
                    bool expiring);
/* Replaces the user's memberships at the emulator. */
bool fa_user_set_orgs(const fa_test_user_t *u, const long long *org_ids, size_t count);
/* A browser sign-in of u into jar; true when a session cookie was set. */
bool fa_user_sign_in(const fa_test_user_t *u, fa_http_jar_t *jar);

/* POST path with jar's cookie, the trusted Origin and a JSON body ("{}" when NULL). */
fa_http_response_t *fa_app_post(fa_http_jar_t *jar, const char *path, const char *body);
/* GET /v1/app/snapshot with jar (NULL = signed out), parsed; NULL unless 200 JSON. */
json_t *fa_app_snapshot(fa_http_jar_t *jar);

/* ---- waiting on the database ------------------------------------------- */

/* Polls sql (one text column, params NULL-terminated) until it returns
 * expected or timeout_ms passes; returns the last value (malloc'd, "(null)"
 * for SQL NULL). */
char *fa_wait_sql(long timeout_ms, const char *expected, const char *sql, ...)
    __attribute__((sentinel));
/* user_profiles.org_sync_status of u reaching status. */
bool fa_wait_sync_status(const fa_test_user_t *u, const char *status, long timeout_ms);

/* ---- job processes ---------------------------------------------------- */

/* The job process scripts/test started (FA_TEST_JOBS_PIDFILE), -1 if none. */
pid_t fa_jobs_main_pid(void);
/* SIGSTOP / SIGCONT it: a paused worker claims nothing, so a test can see a
 * sync still pending. Resume is idempotent and safe without a pause. */
bool fa_jobs_pause(void);
void fa_jobs_resume(void);

typedef struct {
    pid_t pid;
    char *log; /* its own log file under FA_TEST_TMP */
} fa_jobs_proc_t;

/* Starts `FA_TEST_BIN jobs` with the service's environment plus overrides
 * (NULL-terminated "KEY=value", may be NULL) and waits until it listens.
 * False (pid -1 or a dead process) when it did not. */
bool fa_jobs_spawn(fa_jobs_proc_t *p, const char *const *overrides);
/* SIGTERM and wait; returns the exit code (-1 on timeout, then SIGKILLed). */
int fa_jobs_terminate(fa_jobs_proc_t *p, long timeout_ms);
/* "<host>:<pid>" as the worker records itself in jobs.locked_by, for pid. */
char *fa_jobs_worker_suffix(pid_t pid);

/* FOUNDRY_JOBS_BACKOFF_BASE_MS of the running service (2000 when unset). */
long fa_jobs_backoff_base_ms(void);

#endif
