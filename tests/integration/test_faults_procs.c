/* Faults suite, process side: workers kill -9'ed again and again under load
 * (sign-in callbacks in flight, mutations), and the job process killed in
 * the middle of an org sync. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "faults.h"
#include "signin_helpers.h"

/* ---- workers killed repeatedly ------------------------------------------ */

enum { FA_KILLS = 5, FA_KILL_GAP_MS = 300 };

typedef struct {
    size_t expected;
    const pid_t *killed;
    size_t killed_count;
} fa_respawn_wait_t;

static bool fa_respawned(void *arg)
{
    const fa_respawn_wait_t *w = arg;
    pid_t now[FA_MAX_WORKERS];
    size_t n = fa_workers(now, FA_MAX_WORKERS);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < w->killed_count; k++)
            if (now[i] == w->killed[k])
                return false;
    return n == w->expected;
}

static long long fa_org_selected_for(const char *user_id)
{
    return fa_sql_int("SELECT count(*) FROM audit_events WHERE event = 'org_selected' "
                      "AND user_id = $1::bigint",
                      user_id, NULL);
}

typedef struct {
    long callbacks, signins_ok, mutations, mutations_ok;
} fa_kill_counts_t;

static void fa_kill_counts(fa_load_t *l, fa_kill_counts_t *c)
{
    const fa_op_record_t *rec;
    size_t n = fa_load_records(l, &rec);
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < n; i++) {
        c->callbacks += rec[i].callback_sent;
        c->signins_ok += rec[i].kind == FA_OP_SIGNIN && rec[i].outcome == FA_OUT_OK;
        c->mutations += rec[i].kind == FA_OP_MUTATION;
        c->mutations_ok += rec[i].kind == FA_OP_MUTATION && rec[i].outcome == FA_OUT_OK;
    }
}

/* Kills a worker FA_KILLS times, FA_KILL_GAP_MS apart; fills killed. */
static void fa_kill_workers(pid_t *killed)
{
    for (int k = 0; k < FA_KILLS; k++) {
        pid_t now[FA_MAX_WORKERS];
        size_t n = fa_workers(now, FA_MAX_WORKERS);
        killed[k] = n ? now[(size_t)k % n] : -1;
        if (killed[k] > 0 && kill(killed[k], SIGKILL) != 0)
            fprintf(stderr, "kill -9 %d: %s\n", (int)killed[k], strerror(errno));
        fa_sleep_ms(FA_KILL_GAP_MS);
    }
}

static void test_workers_killed_repeatedly(void)
{
    FA_CHECK_FATAL(fa_emulator_clear_faults(), "DELETE /_emulator/faults failed");
    fa_load_user_t u;
    fa_load_user_new(&u, "killloop");
    pid_t master = fa_service_master_pid();
    pid_t before[FA_MAX_WORKERS];
    size_t nbefore = fa_workers(before, FA_MAX_WORKERS);
    FA_CHECK_FATAL(master > 0 && nbefore > 0, "no master or no workers");
    char *since = fa_db_now();
    long tokens_before = fa_emulator_calls("token");
    long long selects_before = fa_org_selected_for(u.user.id_text);
    /* A slower GitHub keeps callbacks in flight when the kills land. */
    FA_CHECK_FATAL(fa_emulator_arm_fault("{\"endpoint\":\"user\",\"delayMs\":150}"),
                   "arming the /user delay failed");
    fa_load_config_t cfg = {.login = u.user.login,
                            .valid_token = u.valid_token,
                            .revoked_token = u.revoked_token,
                            .org_id = u.user.id_text,
                            .with_signins = true,
                            .signin_threads = 2,
                            .with_sessions = true,
                            .with_mutations = true,
                            .kills_expected = true};
    fa_load_t *l = fa_load_start(&cfg);
    fa_sleep_ms(400);
    pid_t killed[FA_KILLS];
    fa_kill_workers(killed);
    fa_respawn_wait_t w = {nbefore, killed, FA_KILLS};
    bool respawned = fa_wait_until(5000, 50, fa_respawned, &w);
    fa_sleep_ms(500); /* and some load on the new workers */
    fa_load_stop(l);
    fa_emulator_clear_faults();

    fa_load_summary_t all;
    fa_load_summarize(l, 0, 1e18, &all);
    fa_kill_counts_t c;
    fa_kill_counts(l, &c);
    long tokens = fa_emulator_calls("token") - tokens_before;
    long long selects = fa_org_selected_for(u.user.id_text) - selects_before;
    FA_CHECK(respawned,
             "the master did not get back to %zu workers without the killed ones "
             "within 5 s",
             nbefore);
    FA_CHECK(fa_service_master_pid() == master && fa_proc_alive(master),
             "the master changed or died");
    FA_CHECK(all.wrong == 0,
             "%ld wrong answer(s) (or none at all) while workers were killed; "
             "first: %s: %s",
             all.wrong, all.first_wrong ? fa_op_kind_name(all.first_wrong->kind) : "-",
             all.first_wrong ? all.first_wrong->detail : "");
    /* A cut API request gets nginx's 502; a cut callback the sign-in page
     * with authError=service_unavailable (the database is up throughout). */
    FA_CHECK(all.killed + all.unavailable > 0,
             "no request was cut by the %d kills: the kills hit idle workers", FA_KILLS);
    /* Exactly one answer per request, and never a request run twice: nginx
     * does not retry on another worker, so no code is exchanged twice and
     * no mutation commits twice. */
    FA_CHECK(tokens >= c.signins_ok && tokens <= c.callbacks,
             "GitHub code exchanges: %ld for %ld callbacks sent (%ld signed in): a code was "
             "exchanged twice or a sign-in without one",
             tokens, c.callbacks, c.signins_ok);
    FA_CHECK(selects >= c.mutations_ok && selects <= c.mutations,
             "org_selected audit rows: %lld for %ld mutations sent (%ld answered 200)", selects,
             c.mutations, c.mutations_ok);
    char *const *sessions;
    size_t nsessions = fa_load_sessions(l, &sessions);
    fa_faults_check_sessions_live("after repeated worker kills", sessions, nsessions);
    fa_faults_check_consistency("after repeated worker kills", since);
    printf("\n    %d x kill -9 of a worker %d ms apart under load: %ld requests, each answered "
           "once (%ld right, %ld cut by a kill: %ld with nginx's 502, %ld sign-ins sent to the "
           "sign-in page; %ld wrong); %ld callbacks sent, "
           "%ld GitHub code exchanges, %ld signed in; %ld mutations, %lld committed, %ld "
           "answered 200; 0 orphans; workers back to %zu\n",
           FA_KILLS, FA_KILL_GAP_MS, all.total, all.ok, all.killed + all.unavailable,
           all.killed, all.unavailable, all.wrong, c.callbacks, tokens,
           c.signins_ok, c.mutations, selects, c.mutations_ok, nbefore);
    fa_load_free(l);
    free(since);
    fa_load_user_free(&u);
}

/* ---- the job process killed mid-job ------------------------------------- */

static size_t fa_count_in(const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *p = text; p && (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

static bool fa_not_alive(void *arg)
{
    return !fa_proc_alive(*(pid_t *)arg);
}

static void test_job_process_killed_mid_job(void)
{
    FA_CHECK_FATAL(fa_emulator_clear_faults(), "DELETE /_emulator/faults failed");
    pid_t jobs = fa_jobs_main_pid();
    FA_CHECK_FATAL(jobs > 0, "no job process (FA_TEST_JOBS_PIDFILE)");
    const long long orgs[] = {1000001, 1007920};
    fa_test_user_t u;
    FA_CHECK_FATAL(fa_user_create(&u, "jobkill", orgs, 2, false), "emulator user");
    long orgs_calls_before = fa_emulator_calls("orgs");
    /* The sync's GitHub call hangs long enough to be killed in the middle
     * (below the service's GitHub timeout, once only). */
    FA_CHECK_FATAL(fa_emulator_arm_fault("{\"endpoint\":\"orgs\",\"delayMs\":4000,\"times\":1}"),
                   "arming the orgs delay failed");
    fa_http_jar_t *jar = fa_http_jar_new();
    FA_CHECK_FATAL(fa_user_sign_in(&u, jar), "sign-in of %s", u.login);
    char *status = fa_wait_sql(10000, "running",
                               "SELECT status FROM jobs WHERE kind = 'org_sync' AND user_id = $1 "
                               "ORDER BY id DESC LIMIT 1",
                               u.id_text, NULL);
    FA_CHECK_FATAL(strcmp(status, "running") == 0, "the org sync never ran: status %s", status);
    free(status);
    char *job = fa_sql_text("SELECT id::text FROM jobs WHERE kind = 'org_sync' AND user_id = $1 "
                            "AND status = 'running'",
                            u.id_text, NULL);
    FA_CHECK_FATAL(job != NULL, "no running job");
    fa_sleep_ms(500); /* inside the delayed GitHub call */
    FA_CHECK_FATAL(kill(jobs, SIGKILL) == 0, "kill -9 %d: %s", (int)jobs, strerror(errno));
    FA_CHECK(fa_wait_until(5000, 20, fa_not_alive, &jobs), "job process %d still alive", (int)jobs);
    size_t offset = 0;
    free(fa_file_read(fa_env("FA_TEST_JOBS_LOG"), &offset));
    FA_CHECK_FATAL(fa_jobs_main_restart(), "could not start a new job process");
    pid_t next = fa_jobs_main_pid();

    /* Its lock is respected while the lease (5 minutes, fixed) runs... */
    fa_sleep_ms(1500);
    char *still =
        fa_sql_text("SELECT status || ' ' || attempts FROM jobs WHERE id = $1::bigint", job, NULL);
    FA_CHECK(still && strcmp(still, "running 1") == 0,
             "job %s before its lease expired: expected \"running 1\", got %s", job,
             still ? still : "(null)");
    free(still);
    /* ...and it is taken over once the lease expired (simulated: backdated). */
    FA_CHECK_FATAL(fa_sql_exec("UPDATE jobs SET locked_at = now() - interval '301 seconds' "
                               "WHERE id = $1::bigint AND status = 'running'",
                               job, NULL),
                   "backdating the job's lock failed");
    double expired = fa_now();
    char *done =
        fa_wait_sql(15000, "done", "SELECT status FROM jobs WHERE id = $1::bigint", job, NULL);
    double took = fa_now() - expired;
    FA_CHECK(strcmp(done, "done") == 0, "job %s after its lease expired: status %s, want done", job,
             done);
    long long attempts = fa_sql_int("SELECT attempts FROM jobs WHERE id = $1::bigint", job, NULL);
    FA_CHECK(attempts == 2,
             "job %s: %lld attempts recorded, want 2 (the killed one and the one "
             "that finished)",
             job, attempts);
    FA_CHECK(fa_wait_sync_status(&u, "done", 5000), "org_sync_status of %s is not done", u.login);
    long long members = fa_sql_int(
        "SELECT count(*) FROM organization_members WHERE user_id = $1::bigint", u.id_text, NULL);
    FA_CHECK(members == 3, "organization_members of %s: %lld, want 3 (personal + 2 orgs)", u.login,
             members);
    char *log = fa_file_read(fa_env("FA_TEST_JOBS_LOG"), NULL);
    char *done_line = fa_xasprintf("job %s (org_sync) done", job);
    size_t completions = log ? fa_count_in(log + offset, done_line) : 0;
    FA_CHECK(completions == 1, "the job log says \"%s\" %zu times since the kill", done_line,
             completions);
    long orgs_calls = fa_emulator_calls("orgs") - orgs_calls_before;
    printf("\n    job process kill -9 mid org sync: job %s taken over %.2f s after its lease "
           "expired, done once, %lld attempts recorded, %ld GitHub org listings (the killed one "
           "and the one that finished); new job process %d\n",
           job, took, attempts, orgs_calls, (int)next);
    free(done_line);
    free(log);
    free(done);
    free(job);
    fa_http_jar_free(jar);
    fa_emulator_clear_faults();
}

void fa_faults_add_process_tests(CU_pSuite suite)
{
    fa_test_add(suite, "workers kill -9'ed repeatedly under load", test_workers_killed_repeatedly);
    fa_test_add(suite, "job process killed mid-job: taken over once",
                test_job_process_killed_mid_job);
}
