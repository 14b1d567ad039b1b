/* The faults suite (issue 7, "Faults"): what its three files share. A load
 * generator that drives sign-ins, session checks and mutations from threads
 * and classifies every answer (right, "unavailable", wrong), the process
 * views the tests need (workers, their fds and memory, the job process), and
 * the database checks run after every fault.
 *
 * Conventions are the harness's. The load threads never assert (CUnit is not
 * thread-safe): they record, and the test checks the records afterwards. */
#ifndef FA_INTEGRATION_FAULTS_H
#define FA_INTEGRATION_FAULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "harness.h"
#include "jobs_helpers.h"

/* ---- load ------------------------------------------------------------- */

typedef enum {
    FA_OP_SIGNIN,        /* start + authorize + callback, a fresh browser each time */
    FA_OP_SESSION_VALID, /* GET /v1/auth/session with a live bearer token */
    FA_OP_REVOKED,       /* GET session / POST select with a signed-out token */
    FA_OP_FORGED,        /* GET session with a well-formed token never issued */
    FA_OP_MUTATION,      /* POST /v1/app/organizations/select with a live token */
    FA_OP_KINDS
} fa_op_kind_t;

typedef enum {
    FA_OUT_OK,          /* the right answer with the database up */
    FA_OUT_UNAVAILABLE, /* 503, or a sign-in redirect with authError=service_unavailable */
    FA_OUT_KILLED,      /* 502 from nginx: the worker died under the request */
    FA_OUT_WRONG        /* anything else: a wrong decision or a crash */
} fa_outcome_t;

typedef struct {
    fa_op_kind_t kind;
    fa_outcome_t outcome;
    double sent, answered; /* fa_now() */
    long status;
    bool callback_sent; /* sign-ins: the callback (and so the code) reached nginx */
    char detail[200];   /* what came back, for a wrong answer */
} fa_op_record_t;

typedef struct {
    const char *login;       /* emulator user the sign-ins use */
    const char *valid_token; /* live session of that user */
    const char *revoked_token;
    const char *org_id; /* an organization the user may select */
    bool with_signins, with_sessions, with_mutations;
    int signin_threads; /* with_signins: how many (0 = 1) */
    /* Unused by the load itself: set by kill tests so FA_OUT_KILLED is not
     * counted as wrong when classifying (a 502 is what a killed worker
     * gives, through nginx). */
    bool kills_expected;
} fa_load_config_t;

typedef struct fa_load fa_load_t;

fa_load_t *fa_load_start(const fa_load_config_t *cfg);
/* Stops the threads, joins them; the records stay readable. */
void fa_load_stop(fa_load_t *l);
void fa_load_free(fa_load_t *l);
/* Every record of a stopped load, ordered by answer time (owned by l). */
size_t fa_load_records(fa_load_t *l, const fa_op_record_t **out);
/* Session cookies the sign-ins received (owned by l). */
size_t fa_load_sessions(fa_load_t *l, char *const **out);
/* Answers received so far with outcome FA_OUT_OK for requests sent after t
 * (thread-safe, for waiting while the load runs). */
long fa_load_ok_since(fa_load_t *l, double t);
/* Longest run of consecutive FA_OUT_OK answers ending now, over all threads. */
long fa_load_ok_streak(fa_load_t *l);

typedef struct {
    long total, ok, unavailable, killed, wrong;
    long per_kind[FA_OP_KINDS];
    const fa_op_record_t *first_wrong;
} fa_load_summary_t;

/* Counts over the records answered in [from, to] (sent at or after from). */
void fa_load_summarize(fa_load_t *l, double from, double to, fa_load_summary_t *out);
const char *fa_op_kind_name(fa_op_kind_t kind);

/* ---- the signed-in user the load works with --------------------------- */

typedef struct {
    fa_test_user_t user;
    char *valid_token;
    char *revoked_token;
} fa_load_user_t;

/* A fresh emulator user, one live and one signed-out session. Fatal on failure. */
void fa_load_user_new(fa_load_user_t *u, const char *prefix);
void fa_load_user_free(fa_load_user_t *u);

/* ---- processes --------------------------------------------------------- */

enum { FA_MAX_WORKERS = 64 };

/* The master's current workers, sorted; returns the count. */
size_t fa_workers(pid_t *out, size_t max);
/* Open fds of pid (entries of /proc/<pid>/fd), -1 when unreadable. */
long fa_proc_fd_count(pid_t pid);
/* VmRSS of pid in KiB, -1 when unreadable. */
long fa_proc_rss_kib(pid_t pid);
/* True when the service runs under AddressSanitizer (ASAN_OPTIONS in its env). */
bool fa_service_is_asan(void);
/* Replaces the job process scripts/test started (FA_TEST_JOBS_PIDFILE) after it
 * died: same binary and environment, same log, pid file rewritten, waits until
 * it listens. True on success. */
bool fa_jobs_main_restart(void);

/* ---- after a fault ------------------------------------------------------ */

/* now() of the database as text, to compare timestamps with. Fatal on failure. */
char *fa_db_now(void);
/* CUnit checks: 0 orphans in the session tables (every session has its index
 * and state rows and the reverse), and every users row written since
 * `since` (a fa_db_now value) has its profile and account. */
void fa_faults_check_consistency(const char *when, const char *since);
/* CUnit check: every token answers GET /v1/auth/session with 200. Returns
 * how many did. */
size_t fa_faults_check_sessions_live(const char *when, char *const *tokens, size_t n);
/* Waits up to timeout_ms until 10 GET /readyz in a row answer 200. */
bool fa_faults_wait_ready(long timeout_ms);

/* ---- the suite's parts ------------------------------------------------ */

void fa_faults_add_database_tests(CU_pSuite suite);
void fa_faults_add_process_tests(CU_pSuite suite);
void fa_faults_add_github_tests(CU_pSuite suite);

#endif
