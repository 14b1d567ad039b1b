/* Jobs suite: `foundry-auth jobs` against the real queue. Retries with
 * backoff then done; a sync failing forever ends dead/failed with every
 * attempt recorded and no busy loop; a revoked token fails at once; an
 * expired token is refreshed; a rate limit postpones without counting an
 * attempt; two job processes share 1,000 jobs and each runs exactly once;
 * SIGTERM drains; a crashed worker's job is taken over; garbage collection
 * removes expired sessions with their index and state rows and leaves live
 * ones, and erases OAuth states' sealed session tokens past the replay
 * window (issue 13). Issue 4, "It must show" 3, 4 and 7. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "jobs_helpers.h"

#define FA_FOUNDRY_LABS 4000000001LL
#define FA_SYNC_WAIT_MS 20000

/* A user whose sign-in sync has run, signed in through jar. */
static void fa_synced_user(fa_test_user_t *u, const char *prefix, bool expiring, fa_http_jar_t *jar)
{
    const long long orgs[] = {FA_FOUNDRY_LABS};
    FA_CHECK_FATAL(fa_user_create(u, prefix, orgs, 1, expiring), "create emulator user");
    FA_CHECK_FATAL(fa_user_sign_in(u, jar), "sign in %s", u->login);
    FA_CHECK_FATAL(fa_wait_sync_status(u, "done", FA_SYNC_WAIT_MS), "first sync of %s", u->login);
}

/* The newest org_sync job of u: "status attempts last_error". */
static char *fa_last_sync_job(const fa_test_user_t *u)
{
    char *v = fa_sql_text("SELECT status || ' ' || attempts || ' ' || coalesce(last_error, '-') "
                          "FROM jobs WHERE kind = 'org_sync' AND user_id = $1 "
                          "ORDER BY id DESC LIMIT 1",
                          u->id_text, NULL);
    return v ? v : fa_xstrdup("(none)");
}

static bool fa_starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static fa_http_response_t *fa_request_sync(fa_http_jar_t *jar)
{
    fa_http_response_t *r = fa_app_post(jar, "/v1/app/organizations/sync", NULL);
    FA_CHECK(r->status == 202, "POST /v1/app/organizations/sync: %ld %s", r->status, r->body);
    return r;
}

/* ---- 3. retries ------------------------------------------------------------ */

static void test_retry_twice_then_done(void)
{
    fa_test_user_t u;
    fa_http_jar_t *jar = fa_http_jar_new();
    fa_synced_user(&u, "retry", false, jar);
    FA_CHECK_FATAL(fa_emulator_arm_fault("{\"endpoint\":\"orgs\",\"status\":500,\"times\":2}"),
                   "arm two 500s on /user/orgs");
    fa_emulator_clear_calls();
    fa_http_response_free(fa_request_sync(jar));
    FA_CHECK(fa_wait_sync_status(&u, "done", 30000), "the sync ends done after two failures");
    char *job = fa_last_sync_job(&u);
    FA_CHECK(strcmp(job, "done 3 -") == 0, "job after 2 failures: %s (want done 3 -)", job);
    long calls = fa_emulator_calls("orgs");
    FA_CHECK(calls == 3, "/user/orgs called %ld times, want 3", calls);
    free(job);
    fa_emulator_clear_faults();
    fa_http_jar_free(jar);
}

/* Enqueued with max_attempts 3 so the test does not wait through eight
 * backoffs; the policy is the same. */
static void test_failing_forever_ends_dead_without_busy_loop(void)
{
    fa_test_user_t u;
    fa_http_jar_t *jar = fa_http_jar_new();
    fa_synced_user(&u, "forever", false, jar);
    FA_CHECK_FATAL(fa_emulator_arm_fault("{\"endpoint\":\"orgs\",\"status\":500}"),
                   "arm a permanent 500 on /user/orgs");
    fa_emulator_clear_calls();
    double start = fa_now();
    FA_CHECK_FATAL(fa_sql_exec("WITH j AS (INSERT INTO jobs (kind, user_id, max_attempts) "
                               "VALUES ('org_sync', $1, 3) RETURNING id) "
                               "SELECT pg_notify('foundry_jobs', 'org_sync') FROM j",
                               u.id_text, NULL),
                   "enqueue an org_sync job with max_attempts 3");
    bool failed = fa_wait_sync_status(&u, "failed", 60000);
    double elapsed = fa_now() - start;
    FA_CHECK(failed, "the profile shows the sync failed");
    char *job = fa_last_sync_job(&u);
    FA_CHECK(fa_starts_with(job, "dead 3 github_unavailable"),
             "job after failing forever: %s (want dead 3 github_unavailable...)", job);
    free(job);
    char *reason =
        fa_sql_text("SELECT org_sync_error FROM user_profiles WHERE user_id = $1", u.id_text, NULL);
    FA_CHECK(reason && strstr(reason, "github_unavailable"), "profile org_sync_error: %s",
             reason ? reason : "(null)");
    free(reason);
    /* No busy loop: exactly one GitHub call per attempt, spaced by at least
     * the jittered backoff (>= base/2, then >= base). */
    fa_sleep_ms(300);
    long calls = fa_emulator_calls("orgs");
    FA_CHECK(calls == 3, "/user/orgs called %ld times for 3 attempts", calls);
    double min_s = 1.5 * (double)fa_jobs_backoff_base_ms() / 1000.0;
    FA_CHECK(elapsed >= min_s, "3 attempts took %.3f s, backoff needs at least %.3f s", elapsed,
             min_s);
    json_t *doc = fa_app_snapshot(jar);
    json_t *sync = json_object_get(json_object_get(doc, "sync"), "organizations");
    const char *st = json_string_value(json_object_get(sync, "status"));
    const char *err = json_string_value(json_object_get(sync, "error"));
    FA_CHECK(st && strcmp(st, "failed") == 0 && err && strstr(err, "github_unavailable"),
             "snapshot sync.organizations: status %s error %s", st ? st : "(null)",
             err ? err : "(null)");
    json_decref(doc);
    fa_emulator_clear_faults();
    fa_http_jar_free(jar);
}

/* ---- tokens ------------------------------------------------------------------ */

static void test_revoked_token_fails_at_once(void)
{
    fa_test_user_t u;
    fa_http_jar_t *jar = fa_http_jar_new();
    fa_synced_user(&u, "revoked", false, jar);
    char *body = fa_xasprintf("{\"login\":\"%s\"}", u.login);
    fa_http_response_t *rv = fa_emulator_post("tokens/revoke", body);
    FA_CHECK_FATAL(rv->status == 200, "revoke at the emulator: %ld", rv->status);
    fa_http_response_free(rv);
    free(body);
    fa_emulator_clear_calls();
    fa_http_response_free(fa_request_sync(jar));
    FA_CHECK(fa_wait_sync_status(&u, "failed", FA_SYNC_WAIT_MS), "sync with a revoked token fails");
    char *job = fa_last_sync_job(&u);
    FA_CHECK(fa_starts_with(job, "failed 1 github_token_revoked"),
             "job with a revoked token: %s (want failed 1 github_token_revoked...)", job);
    free(job);
    char *reason =
        fa_sql_text("SELECT org_sync_error FROM user_profiles WHERE user_id = $1", u.id_text, NULL);
    FA_CHECK(reason && strstr(reason, "sign in again"), "profile reason is clear: %s",
             reason ? reason : "(null)");
    free(reason);
    fa_sleep_ms(300);
    FA_CHECK(fa_emulator_calls("orgs") == 1, "a revoked token is not retried (%ld calls)",
             fa_emulator_calls("orgs"));
    /* The session does not depend on the GitHub token (PRODUCT.md section 7). */
    json_t *doc = fa_app_snapshot(jar);
    const char *auth = json_string_value(json_object_get(json_object_get(doc, "auth"), "status"));
    FA_CHECK(auth && strcmp(auth, "signed_in") == 0, "still signed in after the token died");
    json_decref(doc);
    fa_http_jar_free(jar);
}

static char *fa_account_cipher(const fa_test_user_t *u)
{
    char *v = fa_sql_text("SELECT encode(access_token_enc, 'hex') || '/' || "
                          "coalesce(encode(refresh_token_enc, 'hex'), '') FROM accounts "
                          "WHERE user_id = $1",
                          u->id_text, NULL);
    return v ? v : fa_xstrdup("(none)");
}

/* GitHub refuses the 8-hour token (it expired early): the job refreshes it
 * once, stores the rotated pair sealed, and the sync succeeds. */
static void test_expired_token_is_refreshed(void)
{
    fa_test_user_t u;
    fa_http_jar_t *jar = fa_http_jar_new();
    fa_synced_user(&u, "expiring", true, jar);
    char *before = fa_account_cipher(&u);
    char *body = fa_xasprintf("{\"login\":\"%s\"}", u.login);
    fa_http_response_t *ex = fa_emulator_post("tokens/expire", body);
    FA_CHECK_FATAL(ex->status == 200, "expire at the emulator: %ld", ex->status);
    fa_http_response_free(ex);
    fa_emulator_clear_calls();
    fa_http_response_free(fa_request_sync(jar));
    FA_CHECK(fa_wait_sync_status(&u, "done", FA_SYNC_WAIT_MS), "sync after a refresh ends done");
    char *job = fa_last_sync_job(&u);
    FA_CHECK(strcmp(job, "done 1 -") == 0, "job: %s (want done 1 -)", job);
    free(job);
    FA_CHECK(fa_emulator_calls("refresh") == 1, "refresh grant used %ld times, want 1",
             fa_emulator_calls("refresh"));
    char *after = fa_account_cipher(&u);
    FA_CHECK(strcmp(before, after) != 0, "the stored tokens did not change after a refresh");
    long long plain = fa_sql_int("SELECT count(*) FROM accounts WHERE user_id = $1 AND "
                                 "(position('ghu_'::bytea in access_token_enc) > 0 OR "
                                 "position('ghr_'::bytea in refresh_token_enc) > 0)",
                                 u.id_text, NULL);
    FA_CHECK(plain == 0, "a refreshed token is stored in plain text");

    /* Known expiry: the job refreshes before calling GitHub at all. */
    FA_CHECK_FATAL(fa_sql_exec("UPDATE accounts SET access_token_expires_at = now() - "
                               "interval '1 minute' WHERE user_id = $1",
                               u.id_text, NULL),
                   "backdate access_token_expires_at");
    fa_emulator_clear_calls();
    fa_http_response_free(fa_request_sync(jar));
    FA_CHECK(fa_wait_sync_status(&u, "done", FA_SYNC_WAIT_MS), "second sync ends done");
    FA_CHECK(fa_emulator_calls("refresh") == 1 && fa_emulator_calls("orgs") == 1,
             "proactive refresh: %ld refresh and %ld orgs calls, want 1 and 1",
             fa_emulator_calls("refresh"), fa_emulator_calls("orgs"));
    char *log =
        fa_file_read(getenv("FA_TEST_JOBS_LOG") ? getenv("FA_TEST_JOBS_LOG") : "/dev/null", NULL);
    FA_CHECK(!log || (!strstr(log, "ghu_") && !strstr(log, "ghr_") && !strstr(log, "gho_")),
             "the jobs log contains a GitHub token");
    free(log);
    free(before);
    free(after);
    free(body);
    fa_http_jar_free(jar);
}

/* ---- rate limits ------------------------------------------------------------- */

static void test_rate_limit_postpones_without_counting(void)
{
    fa_test_user_t u;
    fa_http_jar_t *jar = fa_http_jar_new();
    fa_synced_user(&u, "ratelimit", false, jar);
    FA_CHECK_FATAL(fa_emulator_arm_fault("{\"endpoint\":\"orgs\",\"rateLimit\":\"429\","
                                         "\"retryAfter\":2,\"times\":1}"),
                   "arm a 429 with retry-after 2");
    fa_emulator_clear_calls();
    double start = fa_now();
    fa_http_response_free(fa_request_sync(jar));
    /* Postponed: queued again, the attempt given back, run_at at the reset. */
    char *postponed = fa_wait_sql(10000, "queued 0 true",
                                  "SELECT status || ' ' || attempts || ' ' || "
                                  "(run_at > now() + interval '500 milliseconds') FROM jobs "
                                  "WHERE kind = 'org_sync' AND user_id = $1 "
                                  "ORDER BY id DESC LIMIT 1",
                                  u.id_text, NULL);
    FA_CHECK(strcmp(postponed, "queued 0 true") == 0,
             "after a 429 the job is %s (want queued 0 true)", postponed);
    free(postponed);
    FA_CHECK(fa_wait_sync_status(&u, "done", FA_SYNC_WAIT_MS), "the postponed sync ends done");
    double elapsed = fa_now() - start;
    char *job = fa_last_sync_job(&u);
    FA_CHECK(strcmp(job, "done 1 -") == 0, "job after a rate limit: %s (want done 1 -)", job);
    free(job);
    FA_CHECK(elapsed >= 1.9, "the job ran again after %.3f s, before the 2 s reset", elapsed);
    FA_CHECK(fa_emulator_calls("orgs") == 2, "/user/orgs called %ld times, want 2",
             fa_emulator_calls("orgs"));
    fa_emulator_clear_faults();
    fa_http_jar_free(jar);
}

/* ---- 4. two processes, 1,000 jobs ------------------------------------------- */

static void test_two_processes_run_each_job_once(void)
{
    fa_jobs_proc_t second;
    FA_CHECK_FATAL(fa_jobs_spawn(&second, NULL), "start a second job process");
    char *batch = fa_xasprintf("b%ld%d", (long)fa_now(), rand());
    FA_CHECK_FATAL(fa_sql_exec("WITH j AS (INSERT INTO jobs (kind, payload) "
                               "SELECT 'noop', jsonb_build_object('batch', $1::text, 'n', n) "
                               "FROM generate_series(1, 1000) AS n RETURNING id) "
                               "SELECT pg_notify('foundry_jobs', 'noop') FROM j LIMIT 1",
                               batch, NULL),
                   "enqueue 1,000 noop jobs");
    char *left = fa_wait_sql(120000, "0",
                             "SELECT count(*) FROM jobs WHERE payload->>'batch' = $1 "
                             "AND status <> 'done'",
                             batch, NULL);
    FA_CHECK(strcmp(left, "0") == 0, "%s of 1,000 jobs not done", left);
    free(left);
    long long once = fa_sql_int("SELECT count(*) FROM jobs WHERE payload->>'batch' = $1 "
                                "AND status = 'done' AND (payload->>'runs')::int = 1 "
                                "AND attempts = 1",
                                batch, NULL);
    long long twice = fa_sql_int("SELECT count(*) FROM jobs WHERE payload->>'batch' = $1 "
                                 "AND coalesce((payload->>'runs')::int, 0) <> 1",
                                 batch, NULL);
    long long workers = fa_sql_int("SELECT count(DISTINCT locked_by) FROM jobs "
                                   "WHERE payload->>'batch' = $1",
                                   batch, NULL);
    char *suffix = fa_jobs_worker_suffix(second.pid);
    long long by_second = fa_sql_int("SELECT count(*) FROM jobs WHERE payload->>'batch' = $1 "
                                     "AND right(locked_by, length($2)) = $2",
                                     batch, suffix, NULL);
    FA_CHECK(once == 1000, "%lld of 1,000 jobs ran exactly once and are done", once);
    FA_CHECK(twice == 0, "%lld jobs ran a number of times other than one", twice);
    FA_CHECK(workers == 2, "jobs were run by %lld distinct processes, want 2", workers);
    FA_CHECK(by_second > 0 && by_second < 1000, "the second process ran %lld of 1,000", by_second);
    int rc = fa_jobs_terminate(&second, 15000);
    FA_CHECK(rc == 0, "the second job process exited %d on SIGTERM, want 0", rc);
    free(suffix);
    free(batch);
}

/* ---- drain, recovery, permanent failures --------------------------------------- */

static void test_sigterm_finishes_the_job_in_flight(void)
{
    fa_jobs_proc_t p;
    FA_CHECK_FATAL(fa_jobs_pause(), "pause the main job process");
    bool spawned = fa_jobs_spawn(&p, NULL);
    if (!spawned)
        fa_jobs_resume();
    FA_CHECK_FATAL(spawned, "start a job process");
    char *id = fa_sql_text("WITH j AS (INSERT INTO jobs (kind, payload) VALUES ('noop', "
                           "'{\"sleepMs\":1500}') RETURNING id) "
                           "SELECT id::text FROM j, pg_notify('foundry_jobs', 'noop')",
                           NULL);
    char *running = id ? fa_wait_sql(10000, "running",
                                     "SELECT status FROM jobs WHERE id = $1::bigint", id, NULL)
                       : fa_xstrdup("(no job)");
    FA_CHECK(strcmp(running, "running") == 0, "job %s is %s, want running", id ? id : "-", running);
    int rc = fa_jobs_terminate(&p, 15000);
    char *after = id ? fa_sql_text("SELECT status || ' ' || coalesce(payload->>'runs', '0') "
                                   "FROM jobs WHERE id = $1::bigint",
                                   id, NULL)
                     : NULL;
    fa_jobs_resume();
    FA_CHECK(rc == 0, "SIGTERM mid-job: exit %d, want 0", rc);
    FA_CHECK(after && strcmp(after, "done 1") == 0,
             "the job in flight at SIGTERM ended %s, want done 1", after ? after : "(null)");
    free(after);
    free(running);
    free(id);
}

static void test_crashed_worker_job_is_taken_over(void)
{
    char *id = fa_sql_text("INSERT INTO jobs (kind, payload, status, attempts, locked_by, "
                           "locked_at) VALUES ('noop', '{}', 'running', 1, 'ghost-host:1', "
                           "now() - interval '1 hour') RETURNING id::text",
                           NULL);
    FA_CHECK_FATAL(id != NULL, "insert a job left running by a dead worker");
    char *end = fa_wait_sql(30000, "done 2 1",
                            "SELECT status || ' ' || attempts || ' ' || "
                            "coalesce(payload->>'runs', '0') FROM jobs WHERE id = $1::bigint",
                            id, NULL);
    FA_CHECK(strcmp(end, "done 2 1") == 0,
             "a job whose worker died ended %s, want done 2 1 (retried once, ran once)", end);
    free(end);
    free(id);
}

/* A retry that meets a newer queued job of the same kind and user (the
 * unique partial index allows one waiting job) is closed as superseded; the
 * newer one stays queued to do the work. */
static void test_retry_meeting_a_queued_job_is_superseded(void)
{
    long long uid = fa_fresh_user_id();
    char *user = fa_xasprintf("%lld", uid);
    char *ids = fa_sql_text(
        "WITH a AS (INSERT INTO jobs (kind, user_id, status, attempts, locked_by, locked_at) "
        "VALUES ('org_sync', $1::bigint, 'running', 1, 'ghost-host:2', "
        "now() - interval '1 hour') RETURNING id), "
        "b AS (INSERT INTO jobs (kind, user_id, run_at) VALUES ('org_sync', $1::bigint, "
        "now() + interval '1 hour') RETURNING id) "
        "SELECT a.id || ',' || b.id FROM a, b",
        user, NULL);
    FA_CHECK_FATAL(ids != NULL, "insert a stale running job and a newer queued one");
    char *got = fa_wait_sql(30000, "failed superseded|queued -",
                            "SELECT string_agg(status || ' ' || coalesce(split_part(last_error, "
                            "' ', 1), '-'), '|' ORDER BY id) FROM jobs WHERE user_id = $1::bigint",
                            user, NULL);
    FA_CHECK(strcmp(got, "failed superseded|queued -") == 0,
             "stale job meeting a queued one ended %s (want failed superseded|queued -)", got);
    fa_sql_exec("DELETE FROM jobs WHERE user_id = $1::bigint", user, NULL);
    free(got);
    free(ids);
    free(user);
}

static void test_permanent_failures_end_at_once(void)
{
    char *ids = fa_sql_text("WITH j AS (INSERT INTO jobs (kind, payload) VALUES "
                            "('noop', '{\"permanent\":true}'), ('no_such_kind', '{}') "
                            "RETURNING id) SELECT string_agg(id::text, ',' ORDER BY id) "
                            "FROM j, pg_notify('foundry_jobs', 'x')",
                            NULL);
    FA_CHECK_FATAL(ids != NULL, "enqueue two doomed jobs");
    char *got = fa_wait_sql(10000, "failed 1 job_permanent|failed 1 job_unknown_kind",
                            "SELECT string_agg(status || ' ' || attempts || ' ' || "
                            "split_part(last_error, ':', 1), '|' ORDER BY id) FROM jobs "
                            "WHERE id = ANY (string_to_array($1, ',')::bigint[])",
                            ids, NULL);
    FA_CHECK(strcmp(got, "failed 1 job_permanent|failed 1 job_unknown_kind") == 0,
             "doomed jobs ended as %s", got);
    free(got);
    free(ids);
}

/* ---- 7. garbage collection ------------------------------------------------------ */

static void test_gc_removes_expired_sessions_only(void)
{
    fa_test_user_t u;
    FA_CHECK_FATAL(fa_user_create(&u, "gc", NULL, 0, false), "create a user id");
    FA_CHECK_FATAL(
        fa_sql_exec("WITH u AS (INSERT INTO users (id, name) VALUES ($1::bigint, 'gc') "
                    "RETURNING id), s AS (INSERT INTO sessions (user_id, id, expires_at, "
                    "absolute_expires_at) SELECT u.id, gen_random_uuid(), "
                    "now() + (CASE WHEN n <= 3 THEN -1 ELSE 1 END) * interval '1 hour', "
                    "now() + interval '1 day' FROM u, generate_series(1, 5) AS n "
                    "RETURNING user_id, id), i AS (INSERT INTO session_index (token_hash, "
                    "user_id, session_id) SELECT sha256(convert_to(id::text, 'UTF8')), user_id, "
                    "id FROM s) INSERT INTO session_state (user_id, session_id) "
                    "SELECT user_id, id FROM s",
                    u.id_text, NULL),
        "insert 3 expired and 2 live sessions with index and state rows");
    FA_CHECK_FATAL(fa_sql_exec("INSERT INTO verification (identifier, binding_hash, "
                               "code_verifier_enc, return_to, expires_at) VALUES "
                               "(encode(sha256(convert_to($1 || 'old', 'UTF8')), 'hex'), "
                               "sha256('b'), '\\x00', '/', now() - interval '2 hours'), "
                               "(encode(sha256(convert_to($1 || 'new', 'UTF8')), 'hex'), "
                               "sha256('b'), '\\x00', '/', now() - interval '1 minute'), "
                               "(encode(sha256(convert_to($1 || 'live', 'UTF8')), 'hex'), "
                               "sha256('b'), '\\x00', '/', now() + interval '5 minutes')",
                               u.id_text, NULL),
                   "insert an old, a just expired and a live verification row");
    fa_jobs_proc_t p; /* garbage collection runs when a job process starts */
    FA_CHECK_FATAL(fa_jobs_spawn(&p, NULL), "start a job process");
    char *left = fa_wait_sql(15000, "2", "SELECT count(*) FROM sessions WHERE user_id = $1",
                             u.id_text, NULL);
    FA_CHECK(strcmp(left, "2") == 0, "sessions left after gc: %s, want the 2 live ones", left);
    free(left);
    long long live = fa_sql_int("SELECT count(*) FROM sessions WHERE user_id = $1 "
                                "AND expires_at > now()",
                                u.id_text, NULL);
    long long index =
        fa_sql_int("SELECT count(*) FROM session_index WHERE user_id = $1", u.id_text, NULL);
    long long state =
        fa_sql_int("SELECT count(*) FROM session_state WHERE user_id = $1", u.id_text, NULL);
    long long old_verification =
        fa_sql_int("SELECT count(*) FROM verification WHERE identifier = "
                   "encode(sha256(convert_to($1 || 'old', 'UTF8')), 'hex')",
                   u.id_text, NULL);
    long long new_verification =
        fa_sql_int("SELECT count(*) FROM verification WHERE identifier = "
                   "encode(sha256(convert_to($1 || 'new', 'UTF8')), 'hex')",
                   u.id_text, NULL);
    FA_CHECK(live == 2, "live sessions %lld, want 2", live);
    FA_CHECK(index == 2, "session_index rows %lld, want 2 (the live ones)", index);
    FA_CHECK(state == 2, "session_state rows %lld, want 2 (the live ones)", state);
    long long live_verification =
        fa_sql_int("SELECT count(*) FROM verification WHERE identifier = "
                   "encode(sha256(convert_to($1 || 'live', 'UTF8')), 'hex')",
                   u.id_text, NULL);
    FA_CHECK(old_verification == 0, "a verification row 2 h past expiry survived gc");
    /* A state is dead at its expiry: it must not linger (issue 12). */
    FA_CHECK(new_verification == 0, "an OAuth state 1 minute past expiry survived gc");
    FA_CHECK(live_verification == 1, "gc removed an OAuth state that has not expired");
    fa_orphans_t o;
    fa_orphans_count(&o);
    FA_CHECK(o.index_without_session == 0 && o.session_without_index == 0,
             "orphans after gc: %lld index rows without a session, %lld sessions without index",
             o.index_without_session, o.session_without_index);
    int rc = fa_jobs_terminate(&p, 15000);
    FA_CHECK(rc == 0, "job process exit %d, want 0", rc);
    fa_sql_exec("DELETE FROM verification WHERE identifier = "
                "encode(sha256(convert_to($1 || 'live', 'UTF8')), 'hex')",
                u.id_text, NULL);
    fa_sql_exec("DELETE FROM users WHERE id = $1::bigint", u.id_text, NULL);
}

/* Issue 13: a completed state's sealed session token outlives the replay
 * window (60 s, FA_OAUTH_REPLAY_WINDOW_SECONDS) only until the next state
 * collection, even when no duplicate callback comes to erase it; the row
 * itself stays to its expiry. */
static void test_gc_erases_sealed_sessions_past_the_window(void)
{
    char *tag = fa_xasprintf("gcsealed-%ld-%ld", (long)getpid(), (long)time(NULL));
    FA_CHECK_FATAL(fa_sql_exec("INSERT INTO verification (identifier, binding_hash, "
                               "code_verifier_enc, return_to, expires_at, consumed_at, "
                               "completed_at, session_token_enc) SELECT "
                               "encode(sha256(convert_to($1 || n, 'UTF8')), 'hex'), sha256('b'), "
                               "'\\x00', '/', now() + interval '5 minutes', now() - s, "
                               "now() - s, '\\x01' FROM (VALUES ('old', interval '2 minutes'), "
                               "('new', interval '10 seconds')) AS v (n, s)",
                               tag, NULL),
                   "insert a state completed 2 minutes ago and one completed 10 s ago");
    const char *old_sealed = "SELECT coalesce((SELECT (session_token_enc IS NULL)::text FROM "
                             "verification WHERE identifier = encode(sha256(convert_to($1 || "
                             "'old', 'UTF8')), 'hex')), 'gone')";
    fa_jobs_proc_t p; /* state collection runs when a job process starts */
    FA_CHECK_FATAL(fa_jobs_spawn(&p, NULL), "start a job process");
    char *erased = fa_wait_sql(15000, "true", old_sealed, tag, NULL);
    FA_CHECK(strcmp(erased, "true") == 0,
             "sealed session token of a state completed 2 minutes ago: erased = %s, want true",
             erased);
    long long recent = fa_sql_int("SELECT count(*) FROM verification WHERE identifier = "
                                  "encode(sha256(convert_to($1 || 'new', 'UTF8')), 'hex') "
                                  "AND session_token_enc IS NOT NULL",
                                  tag, NULL);
    FA_CHECK(recent == 1, "gc erased the sealed token of a state completed 10 s ago");
    int rc = fa_jobs_terminate(&p, 15000);
    FA_CHECK(rc == 0, "job process exit %d, want 0", rc);
    fa_sql_exec("DELETE FROM verification WHERE identifier IN (encode(sha256(convert_to($1 || "
                "'old', 'UTF8')), 'hex'), encode(sha256(convert_to($1 || 'new', 'UTF8')), 'hex'))",
                tag, NULL);
    free(erased);
    free(tag);
}

/* Issue 16: a returning sign-in and the sync after it, with nothing changed
 * at GitHub, write no row: the user, its personal and member organizations
 * and its memberships keep their row versions (xmin), so no dead tuples, no
 * index entries, no snapshot trigger. */
static char *fa_row_versions(const fa_test_user_t *u)
{
    return fa_sql_text(
        "SELECT string_agg(t || ':' || v, ',' ORDER BY t) FROM ("
        "SELECT 'user' AS t, xmin::text AS v FROM users WHERE id = $1::bigint UNION ALL "
        "SELECT 'org' || id, xmin::text FROM organizations WHERE id = $1::bigint OR id IN "
        "(SELECT organization_id FROM organization_members WHERE user_id = $1::bigint) UNION ALL "
        "SELECT 'member' || organization_id, xmin::text FROM organization_members "
        "WHERE user_id = $1::bigint) x",
        u->id_text, NULL);
}

static void test_unchanged_sign_in_writes_nothing(void)
{
    fa_test_user_t u;
    fa_http_jar_t *jar = fa_http_jar_new();
    fa_synced_user(&u, "same", false, jar);
    char *before = fa_row_versions(&u);
    fa_http_jar_t *again = fa_http_jar_new();
    FA_CHECK_FATAL(fa_user_sign_in(&u, again), "second sign-in of %s", u.login);
    char *done = fa_wait_sql(FA_SYNC_WAIT_MS, "2",
                             "SELECT count(*)::text FROM jobs WHERE user_id = $1::bigint AND "
                             "kind = 'org_sync' AND status = 'done'",
                             u.id_text, NULL);
    FA_CHECK(strcmp(done, "2") == 0, "the second sync of %s did not finish (%s done)", u.login,
             done);
    char *after = fa_row_versions(&u);
    FA_CHECK(before && strchr(before, ',') != NULL, "no rows to compare: %s",
             before ? before : "(none)");
    FA_CHECK(before && after && strcmp(before, after) == 0,
             "an unchanged sign-in and sync rewrote rows: before %s, after %s", before, after);
    free(before), free(after), free(done);
    fa_http_jar_free(jar);
    fa_http_jar_free(again);
}

/* ---- leases renewed while a job runs (issue 15) ------------------------------ */

/* 401 organizations: five pages of /user/orgs at 100 a page. With the
 * emulator holding each page 1 s, the sync runs over 5 s against a 3 s
 * lease (the GitHub timeout, 1.5 s, fits twice in it as the config asks);
 * the other job process checks for expired leases every 200 ms. */
#define FA_LEASE_ORGS 401
#define FA_LEASE_PAGES 5
#define FA_LEASE_ORG_BASE 4100000000LL
static const char *const fa_short_lease[] = {"FOUNDRY_JOBS_LEASE_SECONDS=3",
                                             "FOUNDRY_GITHUB_TIMEOUT_MS=1500",
                                             "FOUNDRY_JOBS_POLL_MS=200", NULL};

static bool fa_lease_orgs(long long *ids)
{
    for (int i = 0; i < FA_LEASE_ORGS; i++) {
        ids[i] = FA_LEASE_ORG_BASE + i;
        char *org = fa_xasprintf("{\"id\":%lld,\"login\":\"lease-org-%d\",\"name\":\"Lease %d\"}",
                                 ids[i], i, i);
        fa_http_response_t *r = fa_emulator_post("orgs", org);
        bool ok = r->status >= 200 && r->status < 300;
        fa_http_response_free(r);
        free(org);
        if (!ok)
            return false;
    }
    return true;
}

/* A user with FA_LEASE_ORGS organizations, the main job process paused and
 * each /user/orgs page held 1 s. */
static void fa_lease_setup(fa_test_user_t *u, const char *prefix)
{
    static long long ids[FA_LEASE_ORGS];
    FA_CHECK_FATAL(fa_lease_orgs(ids), "create %d organizations at the emulator", FA_LEASE_ORGS);
    FA_CHECK_FATAL(fa_user_create(u, prefix, ids, FA_LEASE_ORGS, false), "create emulator user");
    FA_CHECK_FATAL(fa_jobs_pause(), "pause the main job process");
    FA_CHECK_FATAL(fa_emulator_arm_fault("{\"endpoint\":\"orgs\",\"delayMs\":1000}"),
                   "arm the slow /user/orgs pages");
}

static bool fa_lease_spawn(fa_jobs_proc_t *p)
{
    bool up = fa_jobs_spawn(p, fa_short_lease);
    if (!up) {
        fa_emulator_clear_faults();
        fa_jobs_resume();
    }
    return up;
}

/* Before issue 15 the lease was never renewed: the idle process took the
 * sync over after 3 s and ran it a second time while the first still ran
 * (attempts 2, ten pages fetched). */
static void test_long_sync_is_never_run_twice(void)
{
    fa_test_user_t u;
    fa_lease_setup(&u, "lease");
    fa_jobs_proc_t a, b;
    FA_CHECK_FATAL(fa_lease_spawn(&a), "start a job process with a 3 s lease");
    bool up = fa_lease_spawn(&b);
    if (!up)
        fa_jobs_terminate(&a, 15000);
    FA_CHECK_FATAL(up, "start a second job process with a 3 s lease");
    long before = fa_emulator_calls("orgs");
    double start = fa_now();
    fa_http_jar_t *jar = fa_http_jar_new();
    bool signed_in = fa_user_sign_in(&u, jar);
    bool synced = signed_in && fa_wait_sync_status(&u, "done", 40000);
    double took = fa_now() - start;
    fa_sleep_ms(500); /* a second run, if any, shows in the calls */
    long calls = fa_emulator_calls("orgs") - before;
    char *job = fa_last_sync_job(&u);
    fa_emulator_clear_faults();
    int rc_a = fa_jobs_terminate(&a, 15000), rc_b = fa_jobs_terminate(&b, 15000);
    fa_jobs_resume();
    FA_CHECK(signed_in && synced, "sign-in %d, sync done %d", signed_in, synced);
    FA_CHECK(took > 3.0, "the sync took %.2f s, want longer than the 3 s lease", took);
    FA_CHECK(strcmp(job, "done 1 -") == 0,
             "a sync outliving its lease ended \"%s\", want \"done 1 -\" (one attempt)", job);
    FA_CHECK(calls == FA_LEASE_PAGES, "/user/orgs was called %ld times, want %d (one run)", calls,
             FA_LEASE_PAGES);
    FA_CHECK(rc_a == 0 && rc_b == 0, "job processes exited %d and %d on SIGTERM", rc_a, rc_b);
    fprintf(stderr, "\n  a %.2f s sync under a 3 s lease: %s, %ld pages fetched\n", took, job,
            calls);
    free(job);
    fa_http_jar_free(jar);
}

/* A lease lost while the job runs (here: taken by hand, with a lease far
 * ahead so that nobody takes it back) stops the job before its next page.
 * Before issue 15 it fetched every page and only noticed at its commit. */
static void test_lost_lease_stops_the_sync(void)
{
    fa_test_user_t u;
    fa_lease_setup(&u, "lost");
    fa_jobs_proc_t a;
    FA_CHECK_FATAL(fa_lease_spawn(&a), "start a job process with a 3 s lease");
    long before = fa_emulator_calls("orgs");
    fa_http_jar_t *jar = fa_http_jar_new();
    bool signed_in = fa_user_sign_in(&u, jar);
    bool running = signed_in && fa_wait_sync_status(&u, "running", 10000);
    fa_sleep_ms(500); /* inside the first page */
    char *stolen = fa_sql_text("UPDATE jobs SET locked_by = 'thief-host:1', "
                               "locked_at = now() + interval '1 hour' "
                               "WHERE kind = 'org_sync' AND user_id = $1 AND status = 'running' "
                               "RETURNING id::text",
                               u.id_text, NULL);
    fa_sleep_ms(FA_LEASE_PAGES * 1000 + 1000); /* a job that did not stop fetches every page */
    long calls = fa_emulator_calls("orgs") - before;
    char *log = fa_file_read(a.log, NULL);
    bool dropped = log && strstr(log, "was taken over by another worker; dropped") != NULL;
    free(log);
    fa_emulator_clear_faults();
    int rc = fa_jobs_terminate(&a, 15000);
    fa_jobs_resume();
    if (stolen)
        fa_sql_exec("UPDATE jobs SET status = 'failed', last_error = 'test: lease stolen' "
                    "WHERE id = $1::bigint",
                    stolen, NULL);
    FA_CHECK(running && stolen, "sign-in %d, sync running %d, lease taken %s", signed_in, running,
             stolen ? stolen : "(no)");
    FA_CHECK(calls >= 1 && calls <= 2,
             "/user/orgs was called %ld times after the lease was lost in page 1, want 1 or 2 "
             "(the page in flight, none after)",
             calls);
    FA_CHECK(dropped, "the job process did not log that it dropped the job");
    FA_CHECK(rc == 0, "the job process exited %d on SIGTERM", rc);
    fprintf(stderr, "\n  lease lost during page 1 of %d: %ld page(s) fetched, job dropped %d\n",
            FA_LEASE_PAGES, calls, dropped);
    free(stolen);
    fa_http_jar_free(jar);
}

static int fa_jobs_cleanup(void)
{
    fa_jobs_resume();
    fa_emulator_clear_faults();
    return 0;
}

void fa_register_jobs_suite(void)
{
    CU_pSuite s = fa_suite_add("jobs", NULL, fa_jobs_cleanup);
    fa_test_add(s, "/user/orgs fails twice then succeeds: retried, done",
                test_retry_twice_then_done);
    fa_test_add(s, "/user/orgs fails forever: dead, attempts recorded, no busy loop",
                test_failing_forever_ends_dead_without_busy_loop);
    fa_test_add(s, "a revoked token fails at once with a clear reason",
                test_revoked_token_fails_at_once);
    fa_test_add(s, "an expired token is refreshed and stored sealed",
                test_expired_token_is_refreshed);
    fa_test_add(s, "a rate limit postpones to the reset without counting an attempt",
                test_rate_limit_postpones_without_counting);
    fa_test_add(s, "two job processes, 1,000 jobs: each ran exactly once",
                test_two_processes_run_each_job_once);
    fa_test_add(s, "SIGTERM finishes the job in flight, exit 0",
                test_sigterm_finishes_the_job_in_flight);
    fa_test_add(s, "a crashed worker's job is taken over", test_crashed_worker_job_is_taken_over);
    fa_test_add(s, "a retry meeting a newer queued job is closed as superseded",
                test_retry_meeting_a_queued_job_is_superseded);
    fa_test_add(s, "non-retryable failures end at once", test_permanent_failures_end_at_once);
    fa_test_add(s, "an unchanged sign-in and sync write no row (issue 16)",
                test_unchanged_sign_in_writes_nothing);
    fa_test_add(s, "gc removes expired sessions and OAuth states, keeps live ones",
                test_gc_removes_expired_sessions_only);
    fa_test_add(s, "gc erases sealed session tokens past the replay window",
                test_gc_erases_sealed_sessions_past_the_window);
    fa_test_add(s, "a sync outliving its lease is renewed, never run twice",
                test_long_sync_is_never_run_twice);
    fa_test_add(s, "a job whose lease was lost stops before its next page",
                test_lost_lease_stops_the_sync);
}
