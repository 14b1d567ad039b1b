/* Owns: the worker's PostgreSQL connection, its prepared statements and the
 * reconnect state machine. Never: connects before fork (libpq connections are
 * not fork-safe), waits on the server without a deadline (every command goes
 * through libpq's asynchronous API and one poll() against the deadline), or
 * logs the conninfo (it may hold a password). */
#include "db/db.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/timefmt.h"

#define FA_DB_MAX_STATEMENTS 256
#define FA_DB_CONNECT_BUDGET_MS 500
#define FA_DB_BACKOFF_MIN_MS 50
#define FA_DB_BACKOFF_MAX_MS 2000
#define FA_DB_REASON_MAX 256 /* one logged line of libpq's error message */
/* Once the process is stopping, how long a call may still wait: enough for a
 * healthy server (a job or request in flight finishes), not for a stalled one. */
#define FA_DB_STOP_GRACE_MS 1000

typedef enum { FA_DB_DOWN, FA_DB_CONNECTED } fa_db_state_t;

struct fa_db {
    char *conninfo;
    PGconn *conn;
    fa_db_state_t state;
    long backoff_ms;
    double next_attempt; /* monotonic seconds */
    unsigned long reconnects;
    size_t unprepared; /* statements whose SQL the schema rejected */
    bool ever_connected;
    bool server_closed; /* the server sent FATAL/PANIC while we were idle */
    long timeout_ms;    /* client-side bound of one call */
    int wake_fd;        /* readable = the process is stopping; -1 = none */
    /* Connect failures since the last success: the first is logged with its
     * reason, the others only counted (a down database retried every 2 s
     * must not fill the log). */
    unsigned long failed_attempts;
};

/* How a wait for the server ended. */
typedef enum {
    FA_DB_WAIT_READY,   /* a result can be taken without blocking */
    FA_DB_WAIT_LOST,    /* the connection broke */
    FA_DB_WAIT_TIMEOUT, /* the deadline passed */
    FA_DB_WAIT_STOP     /* the process is stopping */
} fa_db_wait_t;

/* The registry: sorted by name, so exec and the start-up check look a name
 * up by binary search (exec is on the hot path: no scan per call). Filled
 * once at start-up, before fork, and read-only afterwards. */
static const fa_db_statement_t *fa_statements[FA_DB_MAX_STATEMENTS];
static size_t fa_statement_count;
static bool fa_statement_duplicates; /* a refused registration, for the check */

/* The insertion point of name, and whether it is already there. */
static size_t fa_db_position(const char *name, bool *found)
{
    size_t lo = 0, hi = fa_statement_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(fa_statements[mid]->name, name);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

static const fa_db_statement_t *fa_db_find(const char *name)
{
    bool found;
    size_t i = fa_db_position(name, &found);
    return found ? fa_statements[i] : NULL;
}

/* Insertion keeps the order: O(n) per statement, a few thousand moves once
 * per process, so lookups never pay for it. */
bool fa_db_register(const fa_db_statement_t *statements, size_t count)
{
    bool ok = true;
    for (size_t i = 0; i < count; i++) {
        bool found;
        size_t at = fa_db_position(statements[i].name, &found);
        if (found) {
            fa_log_error("db", "statement %s is registered twice", statements[i].name);
            fa_statement_duplicates = true;
            ok = false;
            continue;
        }
        if (fa_statement_count == FA_DB_MAX_STATEMENTS)
            abort(); /* raise FA_DB_MAX_STATEMENTS */
        memmove(&fa_statements[at + 1], &fa_statements[at],
                (fa_statement_count - at) * sizeof(fa_statements[0]));
        fa_statements[at] = &statements[i];
        fa_statement_count++;
    }
    return ok;
}

/* The linker defines these around the fa_stmt_uses section; weak, so a
 * program without any recorded name (some tests) still links. */
extern const fa_db_use_t __start_fa_stmt_uses[] __attribute__((weak));
extern const fa_db_use_t __stop_fa_stmt_uses[] __attribute__((weak));

bool fa_db_check_statements(void)
{
    bool ok = !fa_statement_duplicates;
    for (const fa_db_use_t *u = __start_fa_stmt_uses; u && u < __stop_fa_stmt_uses; u++) {
        /* Skip a zero entry: a tool padding the section must not crash the
         * check (GCC's and clang's ASan leave named sections unpadded). */
        if (u->name && !fa_db_find(u->name)) {
            fa_log_error("db", "statement %s is executed but not registered", u->name);
            ok = false;
        }
    }
    return ok;
}

fa_db_t *fa_db_create(const char *conninfo)
{
    fa_db_t *db = calloc(1, sizeof(*db));
    if (!db)
        abort();
    db->conninfo = strdup(conninfo);
    db->state = FA_DB_DOWN;
    db->backoff_ms = FA_DB_BACKOFF_MIN_MS;
    db->timeout_ms = FA_DB_TIMEOUT_DEFAULT_MS;
    db->wake_fd = -1;
    return db;
}

void fa_db_set_timeout(fa_db_t *db, long timeout_ms)
{
    db->timeout_ms = timeout_ms;
}

long fa_db_statement_timeout_ms(long timeout_ms)
{
    long below = timeout_ms - 1000;
    return below > timeout_ms / 2 ? below : timeout_ms / 2;
}

void fa_db_set_wake_fd(fa_db_t *db, int fd)
{
    db->wake_fd = fd;
}

/* libpq's messages end in a newline and may carry a second, indented line
 * (a hint); a log line is one line, so every run of whitespace becomes one
 * space. They name host, port, role and database, never the password. */
static const char *fa_db_one_line(const char *message, char *out, size_t size)
{
    size_t n = 0;
    bool space = false;
    for (const char *p = message ? message : ""; *p && n + 1 < size; p++) {
        bool ws = *p == ' ' || *p == '\n' || *p == '\r' || *p == '\t';
        if (ws) {
            space = n > 0;
            continue;
        }
        if (space && n + 2 < size)
            out[n++] = ' ';
        space = false;
        out[n++] = *p;
    }
    out[n] = '\0';
    return n ? out : "no message from libpq";
}

void fa_db_destroy(fa_db_t *db)
{
    if (!db)
        return;
    if (db->conn)
        PQfinish(db->conn);
    free(db->conninfo);
    free(db);
}

/* PQconnectStart + our own poll budget: libpq's connect_timeout has a 2 s
 * floor, too slow for "fail fast while the database is down". On failure,
 * why says why in one line (libpq's message, or the budget). */
static PGconn *fa_db_connect_bounded(const fa_db_t *db, int budget_ms, char *why, size_t why_size)
{
    /* GSSAPI encryption is off unless DATABASE_URL asks for it (gssencmode=
     * prefer|require there wins, being later): libpq's default "prefer"
     * probes Kerberos on every connect, which maps and touches about 1 MiB of
     * libkrb5 in each worker for nothing on a loopback or TLS setup.
     * TCP keepalives, same rule: the kernel's default idles 7,200 s before
     * the first probe, so a peer gone silent while we are idle would be
     * noticed only by the next call's deadline; with these it is noticed
     * within 10 + 3 x 3 s. tcp_user_timeout bounds how long the kernel keeps
     * unacknowledged data for a peer that vanished, which also bounds
     * PQcancel's own connection (libpq gives it these settings). Both are
     * ignored on a unix socket. */
    char user_timeout[24];
    snprintf(user_timeout, sizeof(user_timeout), "%ld", db->timeout_ms);
    const char *const keys[] = {
        "gssencmode",       "keepalives",       "keepalives_idle", "keepalives_interval",
        "keepalives_count", "tcp_user_timeout", "dbname",          NULL};
    const char *const values[] = {"disable", "1", "10", "3", "3", user_timeout, db->conninfo, NULL};
    PGconn *conn = PQconnectStartParams(keys, values, 1);
    snprintf(why, why_size, "out of memory");
    if (!conn)
        return NULL;
    double deadline = fa_clock_monotonic() + budget_ms / 1000.0;
    PostgresPollingStatusType st = PGRES_POLLING_WRITING;
    while (PQstatus(conn) != CONNECTION_BAD) {
        if (st == PGRES_POLLING_OK)
            return conn;
        if (st == PGRES_POLLING_FAILED)
            break;
        int left = (int)((deadline - fa_clock_monotonic()) * 1000);
        if (left <= 0)
            break;
        struct pollfd pfd = {.fd = PQsocket(conn),
                             .events = st == PGRES_POLLING_READING ? POLLIN : POLLOUT};
        if (pfd.fd < 0 || poll(&pfd, 1, left) <= 0)
            break;
        st = PQconnectPoll(conn);
    }
    char line[FA_DB_REASON_MAX];
    if (PQstatus(conn) == CONNECTION_BAD || st == PGRES_POLLING_FAILED)
        snprintf(why, why_size, "%s", fa_db_one_line(PQerrorMessage(conn), line, sizeof(line)));
    else
        snprintf(why, why_size, "no answer within %d ms", budget_ms);
    PQfinish(conn);
    return NULL;
}

/* Flushes what was sent and waits until a whole result can be taken without
 * blocking. Right after a send the answer is not there yet: a call costs one
 * poll() (on the socket and the wake fd) and the recv() that follows it,
 * which is what libpq's blocking PQexec does too. The wake fd readable means
 * the process is stopping: the wait goes on for at most FA_DB_STOP_GRACE_MS
 * more (the pipe stays readable, so it is watched no longer). */
static fa_db_wait_t fa_db_wait(const fa_db_t *db, double deadline)
{
    PGconn *conn = db->conn;
    bool watch = db->wake_fd >= 0, stopping = false;
    for (;;) {
        int unsent = PQflush(conn);
        if (unsent < 0)
            return FA_DB_WAIT_LOST;
        if (unsent == 0 && !PQisBusy(conn))
            return FA_DB_WAIT_READY;
        long left = (long)((deadline - fa_clock_monotonic()) * 1000.0 + 0.999);
        if (left <= 0)
            return stopping ? FA_DB_WAIT_STOP : FA_DB_WAIT_TIMEOUT;
        struct pollfd fds[2] = {
            {.fd = PQsocket(conn), .events = (short)(POLLIN | (unsent ? POLLOUT : 0))},
            {.fd = db->wake_fd, .events = POLLIN},
        };
        if (fds[0].fd < 0)
            return FA_DB_WAIT_LOST;
        int n = poll(fds, watch ? 2 : 1, (int)left);
        if (n < 0 && errno != EINTR)
            return FA_DB_WAIT_LOST;
        if (n > 0 && watch && fds[1].revents) {
            double grace = fa_clock_monotonic() + FA_DB_STOP_GRACE_MS / 1000.0;
            watch = false;
            stopping = grace < deadline;
            deadline = stopping ? grace : deadline;
        }
        if (n > 0 && (fds[0].revents & (POLLIN | POLLERR | POLLHUP)) && PQconsumeInput(conn) != 1)
            return FA_DB_WAIT_LOST;
    }
}

/* Asks the server to end what it runs for us. PQcancel blocks on its own
 * connection to the postmaster (libpq 15 has no asynchronous cancel; the
 * PQcancelStart of libpq 17 would avoid it): bounded by the connection's
 * tcp_user_timeout and keepalives when the host is gone, immediate when only
 * the backend is stuck. Worth it: the backend, once it runs again, stops at
 * once and releases its locks instead of finishing for nobody. */
static void fa_db_cancel(fa_db_t *db)
{
    PGcancel *cancel = PQgetCancel(db->conn);
    char message[FA_DB_REASON_MAX] = "";
    double start = fa_clock_monotonic();
    int sent = cancel ? PQcancel(cancel, message, (int)sizeof(message)) : 0;
    PQfreeCancel(cancel);
    char line[FA_DB_REASON_MAX];
    if (!sent)
        fa_log_warn("db", "could not send a cancel request: %s",
                    fa_db_one_line(message, line, sizeof(line)));
    else
        fa_log_debug("db", "cancel request sent in %.1f ms",
                     (fa_clock_monotonic() - start) * 1000.0);
}

/* The result of the command just sent (sent: its PQsend* returned 1). With
 * several statements in one string, the last result is kept, an error
 * winning, as PQexec does. NULL with *wait set when the wait failed (the
 * connection is then unusable: the caller drops it); NULL with
 * FA_DB_WAIT_READY when the server sent no result. A timeout sends the cancel
 * before returning. */
static PGresult *fa_db_result(fa_db_t *db, int sent, double deadline, fa_db_wait_t *wait)
{
    PGresult *kept = NULL;
    *wait = sent ? FA_DB_WAIT_READY : FA_DB_WAIT_LOST;
    while (*wait == FA_DB_WAIT_READY && (*wait = fa_db_wait(db, deadline)) == FA_DB_WAIT_READY) {
        PGresult *r = PQgetResult(db->conn);
        if (!r)
            return kept;
        if (kept && PQresultStatus(kept) == PGRES_FATAL_ERROR) {
            PQclear(r);
        } else {
            PQclear(kept);
            kept = r;
        }
    }
    PQclear(kept);
    if (*wait == FA_DB_WAIT_TIMEOUT)
        fa_db_cancel(db);
    return NULL;
}

static double fa_db_deadline(const fa_db_t *db)
{
    return fa_clock_monotonic() + (double)db->timeout_ms / 1000.0;
}

/* Why a connection attempt failed, for the log: filled by the set-up steps. */
typedef struct {
    char text[FA_DB_REASON_MAX];
} fa_db_reason_t;

static void fa_db_reason_from_wait(fa_db_t *db, fa_db_wait_t wait, const char *what,
                                   fa_db_reason_t *why)
{
    char line[FA_DB_REASON_MAX];
    if (wait == FA_DB_WAIT_TIMEOUT)
        snprintf(why->text, sizeof(why->text), "%s: no answer within %ld ms", what, db->timeout_ms);
    else if (wait == FA_DB_WAIT_STOP)
        snprintf(why->text, sizeof(why->text), "%s: no answer within %d ms of the stop", what,
                 FA_DB_STOP_GRACE_MS);
    else
        snprintf(why->text, sizeof(why->text), "%s: %s", what,
                 fa_db_one_line(PQerrorMessage(db->conn), line, sizeof(line)));
}

/* One set-up command, within the set-up's deadline. */
static bool fa_db_command_ok(fa_db_t *db, const char *sql, double deadline, fa_db_reason_t *why)
{
    fa_db_wait_t wait;
    PGresult *r = fa_db_result(db, PQsendQuery(db->conn, sql), deadline, &wait);
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    char line[FA_DB_REASON_MAX];
    if (wait != FA_DB_WAIT_READY)
        fa_db_reason_from_wait(db, wait, sql, why);
    else if (!ok)
        snprintf(why->text, sizeof(why->text), "%s: %s", sql,
                 fa_db_one_line(r ? PQresultErrorMessage(r) : PQerrorMessage(db->conn), line,
                                sizeof(line)));
    PQclear(r);
    return ok;
}

/* Prepares every registered statement. A statement the server rejects as
 * invalid SQL (SQLSTATE class 42: a table or column the schema lacks) means
 * the schema is older than the binary: it is logged and counted (so /readyz
 * reports it) but the connection stays, so /readyz can say why. Any other
 * failure is transient (a lock held past statement_timeout, the server
 * shutting down): keeping the connection would leave it without that
 * statement, and every request using it would fail until the next
 * reconnect, so the whole attempt fails and is retried with backoff. */
static bool fa_db_prepare_all(fa_db_t *db, double deadline, fa_db_reason_t *why)
{
    db->unprepared = 0;
    for (size_t i = 0; i < fa_statement_count; i++) {
        const fa_db_statement_t *s = fa_statements[i];
        fa_db_wait_t wait;
        PGresult *r = fa_db_result(
            db, PQsendPrepare(db->conn, s->name, s->sql, s->param_count, NULL), deadline, &wait);
        if (wait != FA_DB_WAIT_READY) {
            fa_db_reason_from_wait(db, wait, s->name, why);
            return false;
        }
        bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        const char *sqlstate = ok ? NULL : PQresultErrorField(r, PG_DIAG_SQLSTATE);
        bool schema = sqlstate && strncmp(sqlstate, "42", 2) == 0;
        if (!ok) {
            db->unprepared += schema;
            fa_log_error("db", "could not prepare statement %s: %s", s->name,
                         PQresultErrorMessage(r));
        }
        if (!ok && !schema)
            snprintf(why->text, sizeof(why->text), "could not prepare statement %s (sqlstate %s)",
                     s->name, sqlstate ? sqlstate : "none");
        PQclear(r);
        if ((!ok && !schema) || PQstatus(db->conn) != CONNECTION_OK)
            return false;
    }
    return true;
}

static void fa_db_mark_down(fa_db_t *db)
{
    if (db->conn) {
        PQfinish(db->conn);
        db->conn = NULL;
    }
    if (db->state == FA_DB_CONNECTED)
        db->backoff_ms = FA_DB_BACKOFF_MIN_MS; /* first retry soon after a drop */
    db->state = FA_DB_DOWN;
    db->next_attempt = fa_clock_monotonic() + db->backoff_ms / 1000.0;
    db->backoff_ms = db->backoff_ms * 2 > FA_DB_BACKOFF_MAX_MS ? FA_DB_BACKOFF_MAX_MS
                                                                : db->backoff_ms * 2;
}

/* libpq prints server notices (and "terminating connection" messages) to
 * stderr by default, which would break the one-JSON-object-per-line log.
 * A FATAL (or PANIC) arriving while we are idle is the server ending our
 * session (shutdown, restart, pg_terminate_backend); libpq still reports the
 * connection OK until it next reads EOF, so remember it: the next request
 * reconnects first instead of failing on the dead connection. */
static void fa_db_notice(void *arg, const PGresult *res)
{
    fa_db_t *db = arg;
    const char *severity = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
    if (severity && (strcmp(severity, "FATAL") == 0 || strcmp(severity, "PANIC") == 0))
        db->server_closed = true;
    const char *message = PQresultErrorMessage(res);
    size_t len = strlen(message);
    while (len && message[len - 1] == '\n')
        len--;
    fa_log_warn("db", "server: %.*s", (int)len, message);
}

/* Item 6 of issue 15: why a connection failed is logged once per episode
 * (the first failed attempt after a start or a lost connection); later
 * attempts are counted and summed up when one succeeds. */
static void fa_db_connect_failed(fa_db_t *db, const char *why)
{
    if (db->failed_attempts++ == 0)
        fa_log_warn("db", "could not connect to the database: %s (retrying, not logged again)",
                    why);
}

/* Settings every statement relies on: our schema only, UTC, and bounds so a
 * stuck query cannot pin a worker forever. One deadline for the whole
 * set-up, so a server that stalls mid-way costs one timeout, not one per
 * statement. */
static bool fa_db_set_up(fa_db_t *db, fa_db_reason_t *why)
{
    double deadline = fa_db_deadline(db);
    char statement_timeout[64];
    snprintf(statement_timeout, sizeof(statement_timeout), "SET statement_timeout = %ld",
             fa_db_statement_timeout_ms(db->timeout_ms));
    return fa_db_command_ok(db, "SELECT pg_catalog.set_config('search_path', 'public', false)",
                            deadline, why) &&
           fa_db_command_ok(db, "SET TIME ZONE 'UTC'", deadline, why) &&
           fa_db_command_ok(db, statement_timeout, deadline, why) &&
           fa_db_command_ok(db, "SET idle_in_transaction_session_timeout = '10s'", deadline, why) &&
           fa_db_prepare_all(db, deadline, why);
}

static bool fa_db_try_connect(fa_db_t *db)
{
    fa_db_reason_t why = {{0}};
    db->conn = fa_db_connect_bounded(db, FA_DB_CONNECT_BUDGET_MS, why.text, sizeof(why.text));
    if (!db->conn) {
        fa_db_connect_failed(db, why.text);
        return false;
    }
    db->server_closed = false;
    PQsetNoticeReceiver(db->conn, fa_db_notice, db);
    /* Sends never block: a full socket buffer is waited for in fa_db_wait,
     * under the deadline, like the answer. */
    if (PQsetnonblocking(db->conn, 1) != 0 || !fa_db_set_up(db, &why)) {
        fa_db_connect_failed(db, why.text[0] ? why.text : "could not set up the connection");
        PQfinish(db->conn);
        db->conn = NULL;
        return false;
    }
    db->state = FA_DB_CONNECTED;
    db->backoff_ms = FA_DB_BACKOFF_MIN_MS;
    if (db->ever_connected) {
        db->reconnects++;
        fa_metrics_inc(FA_METRIC_DB_RECONNECTS);
    }
    if (db->failed_attempts)
        fa_log_info("db", "%s the database after %lu failed attempt(s)",
                    db->ever_connected ? "reconnected to" : "connected to", db->failed_attempts);
    else if (db->ever_connected)
        fa_log_info("db", "reconnected to the database");
    db->ever_connected = true;
    db->failed_attempts = 0;
    return true;
}

/* An idle connection the server closed (restart, idle timeout) only shows
 * as readable; noticing it before sending avoids failing a request whose
 * statement never reached the server. One zero-timeout poll, no round trip. */
static bool fa_db_idle_connection_alive(fa_db_t *db)
{
    struct pollfd pfd = {.fd = PQsocket(db->conn), .events = POLLIN};
    if (pfd.fd < 0)
        return false;
    if (poll(&pfd, 1, 0) <= 0)
        return !db->server_closed;
    /* PQconsumeInput only reads; PQisBusy parses what came, which is when a
     * FATAL reaches fa_db_notice (a NOTIFY stays queued for PQnotifies). */
    if (PQconsumeInput(db->conn) != 1)
        return false;
    (void)PQisBusy(db->conn);
    return PQstatus(db->conn) == CONNECTION_OK && !db->server_closed;
}

fa_status_t fa_db_ready(fa_db_t *db, fa_error_t *err)
{
    if (db->state == FA_DB_CONNECTED && PQstatus(db->conn) == CONNECTION_OK &&
        (PQtransactionStatus(db->conn) != PQTRANS_IDLE || fa_db_idle_connection_alive(db)))
        return FA_OK;
    if (db->state == FA_DB_CONNECTED) {
        char line[FA_DB_REASON_MAX];
        fa_log_warn("db", "the database closed our connection (%s); reconnecting",
                    db->server_closed
                        ? "the server ended the session"
                        : fa_db_one_line(PQerrorMessage(db->conn), line, sizeof(line)));
        fa_db_mark_down(db);
        db->next_attempt = 0; /* it was idle: try again right away */
    }
    if (fa_clock_monotonic() >= db->next_attempt && !fa_db_try_connect(db))
        fa_db_mark_down(db);
    if (db->state == FA_DB_CONNECTED)
        return FA_OK;
    return fa_error_set(err, FA_ERR_UNAVAILABLE, "database_unavailable",
                        "the database is unavailable, try again shortly", "not connected");
}

const char fa_db_err_conflict[] = "conflict";
const char fa_db_err_retry[] = "database_busy";

static void fa_db_clear(void *res)
{
    PQclear(res);
}

/* Maps a failed result to our status; a broken connection marks us down. */
static PGresult *fa_db_check(fa_db_t *db, fa_arena_t *arena, PGresult *r, const char *what,
                             fa_error_t *err)
{
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
        fa_arena_defer(arena, fa_db_clear, r);
        return r;
    }
    const char *sqlstate = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    fa_metrics_inc(FA_METRIC_DB_ERRORS);
    if (PQstatus(db->conn) != CONNECTION_OK) {
        char line[FA_DB_REASON_MAX];
        fa_log_warn("db", "connection lost during %s: %s", what,
                    fa_db_one_line(PQerrorMessage(db->conn), line, sizeof(line)));
        fa_db_mark_down(db);
        fa_error_set(err, FA_ERR_UNAVAILABLE, "database_unavailable",
                     "the database is unavailable, try again shortly", "connection lost");
    } else if (sqlstate && strcmp(sqlstate, "23505") == 0) {
        fa_error_set(err, FA_ERR_CONFLICT, fa_db_err_conflict, "the resource already exists",
                     sqlstate);
    } else if (sqlstate && (strcmp(sqlstate, "40P01") == 0 || strcmp(sqlstate, "40001") == 0)) {
        fa_log_warn("db", "%s: %s", what,
                    sqlstate[2] == 'P' ? "deadlock detected" : "serialization failure");
        fa_error_set(err, FA_ERR_UNAVAILABLE, fa_db_err_retry, "the database was busy, try again",
                     sqlstate);
    } else if (sqlstate && strcmp(sqlstate, "57014") == 0) {
        fa_error_set(err, FA_ERR_UNAVAILABLE, "database_timeout",
                     "the database did not answer in time", sqlstate);
    } else {
        fa_log_error("db", "%s failed (sqlstate %s): %s", what, sqlstate ? sqlstate : "none",
                     r ? PQresultErrorMessage(r) : PQerrorMessage(db->conn));
        fa_error_set(err, FA_ERR_INTERNAL, "internal_error", "internal error", sqlstate);
    }
    PQclear(r);
    return NULL;
}

/* A wait that failed: the connection is dropped (CONNECTED -> DOWN, logged
 * with why) and the caller gets a 503. */
static PGresult *fa_db_abandon(fa_db_t *db, fa_db_wait_t wait, const char *what, fa_error_t *err)
{
    fa_db_reason_t why;
    fa_db_reason_from_wait(db, wait, what, &why);
    fa_metrics_inc(FA_METRIC_DB_ERRORS);
    if (wait == FA_DB_WAIT_STOP)
        fa_log_info("db", "dropping the connection: %s", why.text);
    else
        fa_log_warn("db", "connection lost during %s%s", why.text,
                    wait == FA_DB_WAIT_TIMEOUT ? " (cancelled; reconnecting)" : "");
    fa_db_mark_down(db);
    if (wait == FA_DB_WAIT_TIMEOUT)
        fa_error_set(err, FA_ERR_UNAVAILABLE, "database_timeout",
                     "the database did not answer in time", "client deadline");
    else
        fa_error_set(err, FA_ERR_UNAVAILABLE, "database_unavailable",
                     "the database is unavailable, try again shortly",
                     wait == FA_DB_WAIT_STOP ? "stopping" : "connection lost");
    return NULL;
}

/* Waits for the answer to what was just sent and maps it (fa_db_check). */
static PGresult *fa_db_finish(fa_db_t *db, fa_arena_t *arena, int sent, double deadline,
                              const char *what, fa_error_t *err)
{
    fa_db_wait_t wait;
    PGresult *r = fa_db_result(db, sent, deadline, &wait);
    if (wait != FA_DB_WAIT_READY)
        return fa_db_abandon(db, wait, what, err);
    return fa_db_check(db, arena, r, what, err);
}

static PGresult *fa_db_exec_prepared(fa_db_t *db, fa_arena_t *arena, const fa_db_use_t *statement,
                                     int count, const char *const *values, const int *lengths,
                                     const int *formats, int result_format, fa_error_t *err)
{
    /* Before the connection: an unknown name is our bug, not the database's
     * state, and PostgreSQL would only say "does not exist" a round trip later. */
    if (!fa_db_find(statement->name)) {
        fa_log_error("db", "statement %s is not registered", statement->name);
        fa_error_set(err, FA_ERR_INTERNAL, "statement_not_registered", "internal error",
                     statement->name);
        return NULL;
    }
    if (fa_db_ready(db, err) != FA_OK)
        return NULL;
    double deadline = fa_db_deadline(db);
    int sent = PQsendQueryPrepared(db->conn, statement->name, count, values, lengths, formats,
                                   result_format);
    return fa_db_finish(db, arena, sent, deadline, statement->name, err);
}

PGresult *(fa_db_exec_params)(fa_db_t *db, fa_arena_t *arena, const fa_db_use_t *statement,
                              int count, const char *const *values, const int *lengths,
                              const int *formats, fa_error_t *err)
{
    return fa_db_exec_prepared(db, arena, statement, count, values, lengths, formats, 0, err);
}

PGresult *(fa_db_exec_binary)(fa_db_t *db, fa_arena_t *arena, const fa_db_use_t *statement,
                              int count, const char *const *values, const int *lengths,
                              const int *formats, fa_error_t *err)
{
    return fa_db_exec_prepared(db, arena, statement, count, values, lengths, formats, 1, err);
}

PGresult *(fa_db_exec)(fa_db_t *db, fa_arena_t *arena, const fa_db_use_t *statement, int count,
                       const char *const *values, fa_error_t *err)
{
    return (fa_db_exec_params)(db, arena, statement, count, values, NULL, NULL, err);
}

PGresult *fa_db_exec_sql(fa_db_t *db, fa_arena_t *arena, const char *sql, fa_error_t *err)
{
    if (fa_db_ready(db, err) != FA_OK)
        return NULL;
    double deadline = fa_db_deadline(db);
    return fa_db_finish(db, arena, PQsendQuery(db->conn, sql), deadline, sql, err);
}

fa_status_t fa_db_transaction(fa_db_t *db, fa_arena_t *arena, fa_db_tx_fn fn, void *ctx,
                              fa_error_t *err)
{
    if (!fa_db_exec_sql(db, arena, "BEGIN", err))
        return err->status;
    fa_status_t st = fn(db, arena, ctx, err);
    if (st == FA_OK) {
        if (fa_db_exec_sql(db, arena, "COMMIT", err))
            return FA_OK;
        return err->status;
    }
    /* Rolling back on a dead connection is moot: the server already did. */
    if (db->state == FA_DB_CONNECTED) {
        fa_error_t ignored;
        fa_db_exec_sql(db, arena, "ROLLBACK", &ignored);
    }
    return st;
}

int fa_db_col(const PGresult *res, const char *name)
{
    int c = PQfnumber(res, name);
    if (c < 0) {
        fa_log_error("db", "result has no column %s", name);
        abort();
    }
    return c;
}

const char *fa_db_value(const PGresult *res, int row, const char *column)
{
    int c = fa_db_col(res, column);
    return PQgetisnull(res, row, c) ? NULL : PQgetvalue(res, row, c);
}

long long fa_db_value_ll(const PGresult *res, int row, const char *column, long long fallback)
{
    const char *v = fa_db_value(res, row, column);
    return v ? strtoll(v, NULL, 10) : fallback;
}

bool fa_db_bin_null(const PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col);
}

/* The value of a non-NULL binary column of exactly `size` bytes. */
static const unsigned char *fa_db_bin_fixed(const PGresult *res, int row, int col, int size)
{
    if (PQfformat(res, col) != 1 || PQgetisnull(res, row, col) ||
        PQgetlength(res, row, col) != size) {
        fa_log_error("db", "binary column %d is not a non-NULL %d-byte value", col, size);
        abort();
    }
    return (const unsigned char *)PQgetvalue(res, row, col);
}

static uint64_t fa_db_be64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

int64_t fa_db_bin_int8(const PGresult *res, int row, int col)
{
    return (int64_t)fa_db_be64(fa_db_bin_fixed(res, row, col, 8));
}

int64_t fa_db_bin_timestamp_us(const PGresult *res, int row, int col)
{
    /* Microseconds since 2000-01-01 (integer datetimes, the only kind since
     * PostgreSQL 10), shifted to the Unix epoch. */
    int64_t since_2000 = (int64_t)fa_db_be64(fa_db_bin_fixed(res, row, col, 8));
    return since_2000 + INT64_C(946684800000000);
}

void fa_db_bin_uuid(const PGresult *res, int row, int col, char out[37])
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = fa_db_bin_fixed(res, row, col, 16);
    char *o = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *o++ = '-';
        *o++ = hex[p[i] >> 4];
        *o++ = hex[p[i] & 15];
    }
    *o = '\0';
}

const char *fa_db_bin_text(const PGresult *res, int row, int col)
{
    /* Binary text is the bytes themselves; libpq NUL-terminates every value. */
    return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

const char *fa_db_bin_time_iso(fa_arena_t *arena, const PGresult *res, int row, int col)
{
    if (PQgetisnull(res, row, col))
        return NULL;
    char *text = fa_arena_alloc(arena, FA_ISO_MS_LEN + 1);
    fa_time_iso_ms(fa_db_bin_timestamp_us(res, row, col), text);
    return text;
}

fa_status_t fa_db_schema_version(fa_db_t *db, fa_arena_t *arena, long long *version,
                                 fa_error_t *err)
{
    PGresult *r = fa_db_exec_sql(
        db, arena, "SELECT coalesce((SELECT max(version) FROM schema_migrations), 0) AS version",
        err);
    if (!r)
        return err->status;
    *version = fa_db_value_ll(r, 0, "version", 0);
    return FA_OK;
}

PGconn *fa_db_conn(fa_db_t *db)
{
    return db->conn;
}

unsigned long fa_db_reconnects(const fa_db_t *db)
{
    return db->reconnects;
}

size_t fa_db_unprepared(const fa_db_t *db)
{
    return db->unprepared;
}
