/* Foundation suite, process side: config validation and graceful drain of a
 * second instance, migrations against a scratch database, then the
 * disruptive checks on the running service (a worker killed, PostgreSQL
 * stopped and started). Every scratch resource is named after our pid and
 * removed at the end of its test. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "foundation.h"
#include "harness.h"

/* ---- config validation ---------------------------------------------- */

/* Runs `FA_TEST_BIN serve` with the service env plus overrides and expects
 * a quick non-zero exit with exactly one stderr line naming variable. */
static void fa_check_config_rejected(const char *const *overrides, const char *variable)
{
    char **envp = fa_envfile_environ(overrides);
    char *argv[] = {(char *)fa_env("FA_TEST_BIN"), "serve", NULL};
    fa_run_result_t res;
    fa_run(argv, envp, 2000, &res);
    size_t len = strlen(res.err);
    const char *nl = strchr(res.err, '\n');
    bool one_line = len > 0 && (nl == NULL || nl == res.err + len - 1);
    FA_CHECK(!res.timed_out && res.exit_code != 0,
             "serve with bad %s: expected a non-zero exit within 2 s, got exit %d%s (%.2fs)",
             variable, res.exit_code, res.timed_out ? " (timed out)" : "", res.seconds);
    FA_CHECK(one_line, "serve with bad %s: expected exactly one stderr line, got: %.500s", variable,
             res.err);
    FA_CHECK(strstr(res.err, variable) != NULL,
             "serve with bad %s: stderr does not name it: %.500s", variable, res.err);
    fa_run_result_free(&res);
    fa_strv_free(envp);
}

static void test_config_validation(void)
{
    char *sock =
        fa_xasprintf("FOUNDRY_AUTH_SOCKET=%s/config-%d.sock", fa_env("FA_TEST_TMP"), (int)getpid());
    const char *weak_secret[] = {"FOUNDRY_AUTH_SECRET=0123456789", "BETTER_AUTH_SECRET", sock,
                                 NULL};
    fa_check_config_rejected(weak_secret, "FOUNDRY_AUTH_SECRET");
    /* Issue 13: long and varied, but a password, not the encoding of 32
     * random bytes; the old check let it through. */
    const char *password_secret[] = {"FOUNDRY_AUTH_SECRET=Summer2024!Summer2024!Summer2024!",
                                     "BETTER_AUTH_SECRET", sock, NULL};
    fa_check_config_rejected(password_secret, "FOUNDRY_AUTH_SECRET");
    /* One weak secret anywhere in the rotation list is enough to refuse. */
    char *service_secret = fa_envfile_get("FOUNDRY_AUTH_SECRET");
    FA_CHECK_FATAL(service_secret != NULL, "FA_TEST_ENV_FILE has no FOUNDRY_AUTH_SECRET");
    char *rotation = fa_xasprintf("FOUNDRY_AUTH_SECRET=%s,Summer2024!Summer2024!Summer2024!",
                                  service_secret);
    const char *weak_old_secret[] = {rotation, "BETTER_AUTH_SECRET", sock, NULL};
    fa_check_config_rejected(weak_old_secret, "FOUNDRY_AUTH_SECRET");
    free(rotation);
    free(service_secret);
    const char *no_database[] = {"DATABASE_URL", sock, NULL};
    fa_check_config_rejected(no_database, "DATABASE_URL");
    free(sock);
}

/* ---- graceful drain of a second instance ----------------------------- */

static bool fa_socket_accepts(const char *path)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof addr.sun_path)
        return false;
    strcpy(addr.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

static bool fa_socket_ready(void *arg)
{
    return fa_socket_accepts(arg);
}

/* One FastCGI request straight to the socket with Debian's cgi-fcgi. */
static void fa_fcgi_get_healthz(const char *sock, fa_run_result_t *res)
{
    char *argv[] = {"/usr/bin/cgi-fcgi", "-bind", "-connect", (char *)sock, NULL};
    char *envp[] = {"REQUEST_METHOD=GET",    "DOCUMENT_URI=/healthz",
                    "SCRIPT_NAME=/healthz",  "REQUEST_URI=/healthz",
                    "QUERY_STRING=",         "SERVER_PROTOCOL=HTTP/1.1",
                    "REMOTE_ADDR=127.0.0.1", NULL};
    fa_run(argv, envp, 5000, res);
}

static void test_graceful_drain(void)
{
    const char *tmp = fa_env("FA_TEST_TMP");
    char *sock = fa_xasprintf("%s/drain-%d.sock", tmp, (int)getpid());
    char *sock_env = fa_xasprintf("FOUNDRY_AUTH_SOCKET=%s", sock);
    char *log = fa_xasprintf("%s/drain-%d.log", tmp, (int)getpid());
    const char *overrides[] = {sock_env, "FOUNDRY_AUTH_WORKERS=1", NULL};
    char **envp = fa_envfile_environ(overrides);
    char *argv[] = {(char *)fa_env("FA_TEST_BIN"), "serve", NULL};
    unlink(sock);
    pid_t pid = fa_spawn(argv, envp, log);
    FA_CHECK_FATAL(pid > 0, "cannot start a second instance");
    bool ready = fa_wait_until(5000, 50, fa_socket_ready, sock);
    FA_CHECK(ready, "second instance: socket %s did not accept within 5 s (log %s)", sock, log);
    if (ready) {
        fa_run_result_t res;
        fa_fcgi_get_healthz(sock, &res);
        FA_CHECK(res.exit_code == 0 && strstr(res.out, "Status: 200") != NULL,
                 "cgi-fcgi GET /healthz on %s: expected Status: 200, got exit %d: %.300s%.200s",
                 sock, res.exit_code, res.out, res.err);
        fa_run_result_free(&res);
    }
    FA_CHECK(kill(pid, SIGTERM) == 0, "SIGTERM to the second instance failed: %s", strerror(errno));
    int code = fa_wait_pid(pid, 5000);
    FA_CHECK(code == 0, "second instance after SIGTERM: expected exit 0 within 5 s, got %d%s", code,
             code == -1 ? " (still running)" : "");
    struct stat st;
    FA_CHECK(stat(sock, &st) != 0 || !fa_socket_accepts(sock),
             "socket %s still accepts after the instance exited", sock);
    if (code == -1) { /* leave nothing behind */
        kill(-pid, SIGKILL);
        fa_wait_pid(pid, 2000);
    }
    unlink(sock);
    fa_strv_free(envp);
    free(log), free(sock_env), free(sock);
}

/* ---- migrations ------------------------------------------------------ */

static void fa_migrate(const char *conninfo, const char *dir, fa_run_result_t *res)
{
    char *db = fa_xasprintf("DATABASE_URL=%s", conninfo);
    char *dir_env = dir ? fa_xasprintf("FA_MIGRATIONS_DIR=%s", dir) : NULL;
    const char *overrides[] = {db, dir_env ? dir_env : "FA_MIGRATIONS_DIR", NULL};
    char **envp = fa_environ_with(overrides);
    char *argv[] = {(char *)fa_env("FA_TEST_MIGRATE"), NULL};
    fa_run(argv, envp, 60000, res);
    fa_strv_free(envp);
    free(dir_env);
    free(db);
}

/* Copies sql/ to a scratch dir and appends a comment to its first file;
 * returns that file's name (malloc'd), NULL on failure. */
static char *fa_tampered_copy(const char *copy)
{
    char *cmd = fa_xasprintf("rm -rf '%s' && cp -r '%s/sql' '%s' && "
                             "f=$(ls '%s'/[0-9]*.sql | sort | head -n1) && "
                             "echo '-- edited after it was applied' >> \"$f\" && basename \"$f\"",
                             copy, fa_env("FA_TEST_ROOT"), copy, copy);
    fa_run_result_t res;
    fa_run_shell(cmd, 10000, &res);
    free(cmd);
    char *name = NULL;
    if (res.exit_code == 0 && *res.out) {
        res.out[strcspn(res.out, "\n")] = '\0';
        name = fa_xstrdup(res.out);
    }
    fa_run_result_free(&res);
    return name;
}

static void fa_check_migrations_on(const char *conninfo)
{
    fa_run_result_t res;
    fa_migrate(conninfo, NULL, &res);
    FA_CHECK(res.exit_code == 0, "migrate on a fresh database: expected exit 0, got %d: %.500s",
             res.exit_code, res.err);
    fa_run_result_free(&res);
    long long rows = fa_sql_int_in(conninfo, "SELECT count(*) FROM schema_migrations", NULL);
    FA_CHECK(rows > 0, "schema_migrations after migrate: expected rows, got %lld", rows);

    fa_migrate(conninfo, NULL, &res);
    FA_CHECK(res.exit_code == 0, "migrate again: expected exit 0, got %d: %.500s", res.exit_code,
             res.err);
    FA_CHECK(strcasestr(res.out, "nothing") || strcasestr(res.err, "nothing"),
             "migrate again: expected it to say nothing was applied, got: %.300s%.300s", res.out,
             res.err);
    fa_run_result_free(&res);
    long long again = fa_sql_int_in(conninfo, "SELECT count(*) FROM schema_migrations", NULL);
    FA_CHECK(again == rows, "schema_migrations rows: %lld before the second run, %lld after", rows,
             again);

    char *copy = fa_xasprintf("%s/sql-tampered-%d", fa_env("FA_TEST_TMP"), (int)getpid());
    char *file = fa_tampered_copy(copy);
    FA_CHECK(file != NULL, "could not copy and edit %s/sql into %s", fa_env("FA_TEST_ROOT"), copy);
    if (file) {
        fa_migrate(conninfo, copy, &res);
        FA_CHECK(res.exit_code != 0, "migrate with an edited %s: expected a non-zero exit", file);
        FA_CHECK(strstr(res.out, file) || strstr(res.err, file),
                 "migrate with an edited file: message does not name %s: %.300s%.300s", file,
                 res.out, res.err);
        fa_run_result_free(&res);
    }
    char *rm = fa_xasprintf("rm -rf '%s'", copy);
    fa_run_shell(rm, 10000, &res);
    fa_run_result_free(&res);
    free(rm), free(file), free(copy);
}

/* Issue 16: a migration waiting for a lock must not make every request
 * queue behind its own lock request. A transaction holds a read lock on
 * jobs for 4 s; a migration that needs ACCESS EXCLUSIVE on jobs starts
 * meanwhile; a reader arriving after it must still be served at once.
 * Without lock_timeout the migration's queued request blocks the reader
 * until the holder ends (it would time out at 1.5 s). */
static void fa_check_migration_lock_timeout(const char *conninfo)
{
    char *dir = fa_xasprintf("%s/sql-locking-%d", fa_env("FA_TEST_TMP"), (int)getpid());
    char *cmd = fa_xasprintf(
        "set -u; db=\"%s\"; dir='%s'; rm -rf \"$dir\" && cp -r '%s/sql' \"$dir\" && "
        "n=$(ls \"$dir\" | sort | tail -n1 | cut -c1-3) && v=$(printf %%03d $(expr $n + 1)) && "
        "echo 'ALTER TABLE jobs ADD COLUMN lock_probe int;' > \"$dir/${v}_lock_probe.sql\" && "
        "(psql -X -q -d \"$db\" -c 'BEGIN; SELECT count(*) FROM jobs; SELECT pg_sleep(4); COMMIT' "
        ">/dev/null 2>&1 &) && sleep 0.5 && "
        "(DATABASE_URL=\"$db\" FA_MIGRATIONS_DIR=\"$dir\" FA_MIGRATE_LOCK_TIMEOUT=200ms '%s' "
        "> \"$dir.out\" 2>&1; echo \"exit $?\" >> \"$dir.out\") & "
        "seen=0; for i in $(seq 1 100); do w=$(psql -X -At -d \"$db\" -c \"SELECT count(*) FROM "
        "pg_locks WHERE relation = 'jobs'::regclass AND NOT granted\"); "
        "if [ \"$w\" -gt 0 ]; then seen=1; break; fi; sleep 0.03; done; echo \"waiting $seen\"; "
        "s=$(date +%%s%%N); psql -X -q -d \"$db\" -c \"SET statement_timeout = '1500ms'\" "
        "-c 'SELECT count(*) FROM jobs' >/dev/null 2>&1; r=$?; e=$(date +%%s%%N); "
        "echo \"reader $r $(( (e - s) / 1000000 ))\"; wait; cat \"$dir.out\"; rm -rf \"$dir\" \"$dir.out\"",
        conninfo, dir, fa_env("FA_TEST_ROOT"), fa_env("FA_TEST_MIGRATE"));
    fa_run_result_t res;
    fa_run_shell(cmd, 60000, &res);
    int reader_rc = -1, reader_ms = -1;
    const char *line = strstr(res.out, "reader ");
    if (line)
        sscanf(line, "reader %d %d", &reader_rc, &reader_ms);
    fprintf(stderr, "\n    migration behind a lock: a reader meanwhile took %d ms\n", reader_ms);
    FA_CHECK(strstr(res.out, "waiting 1") != NULL,
             "the migration's lock request was never seen waiting: the race did not run; %.400s",
             res.out);
    FA_CHECK(reader_rc == 0, "a reader behind a waiting migration failed (exit %d, %d ms): "
             "requests queue behind the migration's lock; %.400s", reader_rc, reader_ms, res.out);
    FA_CHECK(strstr(res.out, "retrying") != NULL,
             "the migration never gave up waiting for its lock (no retry): %.600s", res.out);
    FA_CHECK(strstr(res.out, "exit 0") != NULL, "the migration did not succeed in the end: %.600s",
             res.out);
    fa_run_result_free(&res);
    FA_CHECK(fa_sql_int_in(conninfo,
                           "SELECT count(*) FROM information_schema.columns WHERE table_name = "
                           "'jobs' AND column_name = 'lock_probe'",
                           NULL) == 1,
             "the migration's column is not there");
    free(cmd);
    free(dir);
}

/* CONCURRENTLY cannot run in a transaction: a file using it without the
 * no-transaction mark is refused by name before anything runs. */
static void fa_check_concurrently_needs_mark(const char *conninfo)
{
    char *dir = fa_xasprintf("%s/sql-concurrently-%d", fa_env("FA_TEST_TMP"), (int)getpid());
    char *cmd = fa_xasprintf("rm -rf '%s' && cp -r '%s/sql' '%s' && "
                             "echo 'CREATE INDEX CONCURRENTLY probe_idx ON jobs (run_at);' > "
                             "'%s/900_unmarked.sql'",
                             dir, fa_env("FA_TEST_ROOT"), dir, dir);
    fa_run_result_t res;
    fa_run_shell(cmd, 10000, &res);
    fa_run_result_free(&res);
    fa_migrate(conninfo, dir, &res);
    FA_CHECK(res.exit_code != 0 && (strstr(res.err, "900_unmarked.sql") ||
                                    strstr(res.out, "900_unmarked.sql")),
             "CONCURRENTLY without the no-transaction mark: expected a refusal naming the file, "
             "got exit %d: %.300s%.300s", res.exit_code, res.out, res.err);
    fa_run_result_free(&res);
    char *rm = fa_xasprintf("rm -rf '%s'", dir);
    fa_run_shell(rm, 10000, &res);
    fa_run_result_free(&res);
    free(rm), free(cmd), free(dir);
}

static long long fa_seq_scans(const char *conninfo)
{
    return fa_sql_int_in(conninfo,
                         "SELECT sum(seq_scan) FROM pg_stat_user_tables WHERE relname IN "
                         "('jobs', 'sessions', 'verification')",
                         NULL);
}

/* Issue 16: GC reads what it deletes, not whole tables. 100,000 finished
 * jobs, 100,000 sessions and 100,000 OAuth states, none old enough to go:
 * `admin gc` must not scan any of the three sequentially (each batch follows
 * an index: jobs_finished_updated_at_idx, the expires_at indexes,
 * verification_token_held_idx). */
static void fa_check_gc_reads_no_whole_table(const char *conninfo)
{
    long long users = fa_sql_int_in(
        conninfo,
        "WITH u AS (INSERT INTO users (id) VALUES (424242) RETURNING 1), s AS (INSERT INTO "
        "sessions (user_id, id, expires_at, absolute_expires_at) SELECT 424242, "
        "gen_random_uuid(), now() + interval '1 day', now() + interval '30 days' FROM "
        "generate_series(1, 100000) RETURNING 1), v AS (INSERT INTO verification (identifier, "
        "binding_hash, code_verifier_enc, return_to, expires_at, completed_at, session_token_enc) "
        "SELECT md5(g::text) || md5((-g)::text), sha256(g::text::bytea), '\\x00', '/app', "
        "now() + interval '10 minutes', CASE WHEN g % 100 = 0 THEN now() END, CASE WHEN "
        "g % 100 = 0 THEN '\\x00'::bytea END FROM generate_series(1, 100000) g RETURNING 1) "
        "SELECT (SELECT count(*) FROM u) + (SELECT count(*) FROM s) + (SELECT count(*) FROM v)",
        NULL);
    FA_CHECK_FATAL(users == 200001, "seeding sessions and OAuth states: %lld rows", users);
    long long seeded = fa_sql_int_in(
        conninfo,
        "WITH j AS (INSERT INTO jobs (kind, status, updated_at) SELECT 'org_sync', "
        "(ARRAY['done', 'failed', 'dead'])[1 + g % 3], now() - (g % 86400) * interval '1 second' "
        "FROM generate_series(1, 100000) g RETURNING 1) SELECT count(*) FROM j",
        NULL);
    FA_CHECK_FATAL(seeded == 100000, "seeding jobs: %lld rows", seeded);
    char *analyze = fa_xasprintf(
        "psql -X -q -d \"%s\" -c 'ANALYZE jobs' -c 'ANALYZE sessions' -c 'ANALYZE verification'",
        conninfo);
    fa_run_result_t res;
    fa_run_shell(analyze, 30000, &res);
    fa_run_result_free(&res);
    long long before = fa_seq_scans(conninfo);
    char *db = fa_xasprintf("DATABASE_URL=%s", conninfo);
    const char *overrides[] = {db, NULL};
    char **envp = fa_envfile_environ(overrides);
    char *argv[] = {(char *)fa_env("FA_TEST_BIN"), "admin", "gc", NULL};
    fa_run(argv, envp, 30000, &res);
    FA_CHECK(res.exit_code == 0, "admin gc: exit %d: %.300s", res.exit_code, res.err);
    FA_CHECK(strstr(res.out, "jobs\t0") && strstr(res.out, "sessions\t0"),
             "admin gc deleted live rows: %.200s", res.out);
    fa_run_result_free(&res);
    long long after = fa_seq_scans(conninfo);
    FA_CHECK(after == before,
             "admin gc read whole tables: %lld sequential scans of jobs, sessions, verification",
             after - before);
    fa_strv_free(envp);
    free(db);
    free(analyze);
}

/* Issue 16: the churn tables are vacuumed at 2% dead rows, and sessions pays
 * no index entry for the redundant UNIQUE (id). */
static void fa_check_churn_settings(const char *conninfo)
{
    long long tuned = fa_sql_int_in(
        conninfo,
        "SELECT count(*) FROM pg_class WHERE relname IN ('sessions', 'session_index', "
        "'session_state', 'verification', 'jobs') AND "
        "'autovacuum_vacuum_scale_factor=0.02' = ANY (reloptions)",
        NULL);
    FA_CHECK(tuned == 5, "%lld of the 5 churn tables have their autovacuum setting", tuned);
    long long indexes = fa_sql_int_in(
        conninfo, "SELECT count(*) FROM pg_indexes WHERE tablename = 'sessions'", NULL);
    FA_CHECK(indexes == 2, "sessions has %lld indexes, expected 2 (primary key, expires_at)",
             indexes);
}

static void test_migrations(void)
{
    char *db = fa_xasprintf("fa_migrate_test_%d", (int)getpid());
    char *drop = fa_xasprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", db);
    char *create = fa_xasprintf("CREATE DATABASE %s", db);
    fa_sql_exec(drop, NULL);
    FA_CHECK_FATAL(fa_sql_exec(create, NULL), "%s failed", create);
    char *conninfo = fa_sql_conninfo_for(db);
    fa_check_migrations_on(conninfo);
    fa_check_churn_settings(conninfo);
    fa_check_concurrently_needs_mark(conninfo);
    fa_check_gc_reads_no_whole_table(conninfo);
    fa_check_migration_lock_timeout(conninfo);
    FA_CHECK(fa_sql_exec(drop, NULL), "%s failed", drop);
    free(conninfo), free(create), free(drop), free(db);
}

/* ---- a worker killed ------------------------------------------------- */

typedef struct {
    pid_t master;
    pid_t victim;
    size_t expected;
    const pid_t *before;
} fa_respawn_wait_t;

static bool fa_pid_in(pid_t pid, const pid_t *set, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (set[i] == pid)
            return true;
    return false;
}

/* Same number of live children as before, the victim gone, a new pid among them. */
static bool fa_workers_respawned(void *arg)
{
    fa_respawn_wait_t *w = arg;
    pid_t now[64];
    size_t n = fa_proc_children(w->master, now, 64);
    bool fresh = false;
    for (size_t i = 0; i < n; i++)
        fresh = fresh || !fa_pid_in(now[i], w->before, w->expected);
    return n == w->expected && !fa_pid_in(w->victim, now, n) && fresh;
}

static void test_worker_killed_is_replaced(void)
{
    pid_t master = fa_service_master_pid();
    FA_CHECK_FATAL(master > 0 && fa_proc_alive(master), "no live master pid in %s",
                   fa_env("FA_TEST_SERVICE_PIDFILE"));
    pid_t before[64];
    size_t n = fa_proc_children(master, before, 64);
    FA_CHECK_FATAL(n >= 1, "master %d has no worker children", (int)master);
    fa_respawn_wait_t w = {.master = master, .victim = before[0], .expected = n, .before = before};
    FA_CHECK_FATAL(kill(w.victim, SIGKILL) == 0, "kill -9 %d: %s", (int)w.victim, strerror(errno));
    FA_CHECK(
        fa_wait_until(5000, 50, fa_workers_respawned, &w),
        "after kill -9 of worker %d: master %d did not get back to %zu children with a new pid "
        "within 5 s",
        (int)w.victim, (int)master, n);
    int ok = 0;
    long last = 0;
    for (int i = 0; i < 50; i++) {
        fa_http_response_t *r = fa_http_get("/healthz");
        ok += r->status == 200;
        last = r->status != 200 ? r->status : last;
        fa_http_response_free(r);
    }
    FA_CHECK(ok == 50,
             "50 x GET /healthz after a worker was killed: %d were 200 (a failure was %ld)", ok,
             last);
    FA_CHECK(fa_service_master_pid() == master && fa_proc_alive(master),
             "master pid changed or died: was %d, now %d", (int)master,
             (int)fa_service_master_pid());
}

/* ---- PostgreSQL stopped and started ---------------------------------- */

static long fa_readyz_status(void)
{
    fa_http_response_t *r = fa_http_get("/readyz");
    long status = r->status;
    fa_http_response_free(r);
    return status;
}

/* Several 200s in a row, so every worker has reconnected, not just one. */
static bool fa_ready_everywhere(void *arg)
{
    (void)arg;
    for (int i = 0; i < 4; i++)
        if (fa_readyz_status() != 200)
            return false;
    return true;
}

static void fa_check_readyz_unavailable(int attempt)
{
    fa_http_response_t *r = fa_http_get("/readyz");
    char what[96];
    snprintf(what, sizeof what, "GET /readyz #%d with PostgreSQL stopped", attempt);
    FA_CHECK_JSON_ERROR(r, 503, "database_unavailable", what);
    FA_CHECK(r->seconds < 1.0, "%s: answered in %.3f s, expected under 1 s", what, r->seconds);
    fa_http_response_free(r);
}

static void test_database_outage(void)
{
    pid_t master = fa_service_master_pid();
    FA_CHECK_FATAL(fa_readyz_status() == 200, "GET /readyz before stopping PostgreSQL: not 200");
    int rc = system(fa_env("FA_TEST_PG_STOP"));
    FA_CHECK(rc == 0, "FA_TEST_PG_STOP failed with status %d", rc);
    /* Several requests so both workers meet the outage. */
    for (int i = 1; i <= 4; i++)
        fa_check_readyz_unavailable(i);
    fa_http_response_t *r = fa_http_get("/healthz");
    FA_CHECK(r->status == 200, "GET /healthz with PostgreSQL stopped: expected 200, got %ld %.200s",
             r->status, r->body);
    fa_http_response_free(r);

    rc = system(fa_env("FA_TEST_PG_START")); /* always, whatever failed above */
    FA_CHECK_FATAL(rc == 0, "FA_TEST_PG_START failed with status %d", rc);
    double start = fa_now();
    bool back = fa_wait_until(5000, 100, fa_ready_everywhere, NULL);
    FA_CHECK(back, "GET /readyz after PostgreSQL restarted: not 200 within 5 s (last %ld)",
             fa_readyz_status());
    FA_CHECK(back && fa_now() - start < 5.5, "readyz recovery took %.2f s", fa_now() - start);
    FA_CHECK(fa_service_master_pid() == master && fa_proc_alive(master),
             "the service was restarted: master was %d, now %d", (int)master,
             (int)fa_service_master_pid());
}

/* Real uid of a process from /proc/<pid>/status, -1 when unreadable. */
static long fa_proc_uid(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    char *text = fa_file_read(path, NULL);
    const char *line = text ? strstr(text, "\nUid:") : NULL;
    long uid = line ? strtol(line + 5, NULL, 10) : -1;
    free(text);
    return uid;
}

/* Workers and the job process give up root: they hold keys and tokens and
 * parse hostile input; only the master keeps root (to manage the socket). */
static void test_processes_do_not_run_as_root(void)
{
    pid_t children[16];
    size_t n = fa_proc_children(fa_service_master_pid(), children, 16);
    FA_CHECK_FATAL(n >= 1, "the master has no workers");
    for (size_t i = 0; i < n; i++)
        FA_CHECK(fa_proc_uid(children[i]) > 0, "worker %d runs as uid %ld", (int)children[i],
                 fa_proc_uid(children[i]));
    const char *jobs_pidfile = getenv("FA_TEST_JOBS_PIDFILE");
    char *text = jobs_pidfile ? fa_file_read(jobs_pidfile, NULL) : NULL;
    FA_CHECK_FATAL(text != NULL, "no jobs pid file (FA_TEST_JOBS_PIDFILE)");
    pid_t jobs = (pid_t)strtol(text, NULL, 10);
    free(text);
    FA_CHECK(fa_proc_uid(jobs) > 0, "the job process %d runs as uid %ld", (int)jobs,
             fa_proc_uid(jobs));
}

void fa_foundation_add_process_tests(CU_pSuite suite)
{
    fa_test_add(suite, "workers and jobs do not run as root", test_processes_do_not_run_as_root);
    fa_test_add(suite, "invalid config exits with one line", test_config_validation);
    fa_test_add(suite, "SIGTERM drains a second instance", test_graceful_drain);
    fa_test_add(suite, "migrations apply once and refuse edits", test_migrations);
}

void fa_foundation_add_disruptive_tests(CU_pSuite suite)
{
    fa_test_add(suite, "a killed worker is replaced", test_worker_killed_is_replaced);
    fa_test_add(suite, "PostgreSQL outage: 503 fast, then recovery", test_database_outage);
}
