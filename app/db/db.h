/* One libpq connection per worker. Modules register their prepared
 * statements (data only, before fork); every (re)connect prepares all of them,
 * so a statement never outlives its connection unprepared.
 * Reconnect is a small state machine: CONNECTED -> (failure) -> DOWN ->
 * (backoff elapsed) -> one bounded connect attempt -> CONNECTED or DOWN with a
 * longer backoff. While DOWN, calls fail at once with FA_ERR_UNAVAILABLE
 * ("database_unavailable"), so a request never waits on a dead database.
 * Every call is bounded on the client side too (fa_db_set_timeout): past the
 * deadline the statement is cancelled, the connection dropped (CONNECTED ->
 * DOWN) and the call fails with FA_ERR_UNAVAILABLE ("database_timeout"), so a
 * backend that stopped answering costs one call a bounded wait, never a hung
 * process. */
#ifndef FA_DB_DB_H
#define FA_DB_DB_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/status.h"

typedef struct fa_db fa_db_t;

typedef struct {
    const char *name; /* "<module>_<verb>", e.g. "session_lookup" */
    const char *sql;
    int param_count;
} fa_db_statement_t;

/* Adds a module's statements to the process-wide registry, kept sorted by
 * name so fa_db_exec finds a statement in O(log n). Call before fa_db_create
 * (and before fork: it is data only); the array must outlive the process
 * (static const). A name already registered is refused: logged, remembered
 * for fa_db_check_statements, and false returned. Modules call it through
 * FA_DB_REGISTER, never with a count of their own. */
bool fa_db_register(const fa_db_statement_t *statements, size_t count);

/* The count comes from the array's type, so a module's second statement
 * cannot be left out by a stale literal. A pointer instead of an array is a
 * compile error (-Wsizeof-pointer-div, part of -Wall, with -Werror). */
#define FA_DB_REGISTER(array) fa_db_register((array), sizeof(array) / sizeof((array)[0]))

/* A statement name as written at a call site. Every name given to
 * fa_db_exec* is recorded in the fa_stmt_uses section at compile time, so
 * fa_db_check_statements can prove at start-up, before any request, that
 * each one is registered: a typo or a module missing from the list fails
 * the start, not the first request that needs it. */
typedef struct {
    const char *name;
} fa_db_use_t;

#define FA_DB_USE_ATTRIBUTES __attribute__((section("fa_stmt_uses"), used, aligned(sizeof(void *))))

/* A recorded name, as an expression: FA_DB_STATEMENT("session_check") is a
 * const fa_db_use_t *. Only a string literal compiles (the "" before it).
 * A helper that takes its statement from its caller takes a
 * const fa_db_use_t * made with this where the literal is written. */
#define FA_DB_STATEMENT(literal)                                                                   \
    (__extension__({                                                                               \
        static const fa_db_use_t fa_db_use_ FA_DB_USE_ATTRIBUTES = {"" literal};                   \
        &fa_db_use_;                                                                               \
    }))

/* The same at file scope, for tables of names: defines `ident`; use &ident. */
#define FA_DB_STATEMENT_DEFINE(ident, literal)                                                     \
    static const fa_db_use_t ident FA_DB_USE_ATTRIBUTES = {"" literal}

/* Start-up check, after every module registered: true when no name was
 * registered twice and every recorded name is registered. Logs one error
 * line naming each offending statement; the caller exits non-zero. */
bool fa_db_check_statements(void);

/* Does not connect; the first fa_db_ready() does. */
fa_db_t *fa_db_create(const char *conninfo);
void fa_db_destroy(fa_db_t *db);

#define FA_DB_TIMEOUT_DEFAULT_MS 6000

/* The client-side bound of one call (a statement, BEGIN/COMMIT, the set-up
 * after a connect), FA_DB_TIMEOUT_DEFAULT_MS unless set. The server's
 * statement_timeout is derived from it (fa_db_statement_timeout_ms) at the
 * next connect, so a statement the server can still end is ended there and
 * the connection kept; the client deadline is for a server that does not
 * answer at all. Also bounds the kernel's wait for unacknowledged data
 * (tcp_user_timeout). Call before the first fa_db_ready. */
void fa_db_set_timeout(fa_db_t *db, long timeout_ms);
/* statement_timeout for a client deadline: 1 s below it, at least half. */
long fa_db_statement_timeout_ms(long timeout_ms);

/* A descriptor that becomes readable when the process is stopping (the
 * stop signal's pipe, core/stop_signal.h): from then on a call waits at most
 * one more second (less when its deadline is nearer), so a stop never waits
 * on a stalled database while a job or request in flight on a healthy one
 * still finishes. A call cut short fails with FA_ERR_UNAVAILABLE
 * "database_unavailable" and drops the connection, without a cancel (it
 * could block; the server's statement_timeout ends the statement). -1 (the
 * default) watches nothing. */
void fa_db_set_wake_fd(fa_db_t *db, int fd);

/* Connected and prepared, or FA_ERR_UNAVAILABLE without waiting when the
 * backoff has not elapsed. A connect attempt is bounded (500 ms). */
fa_status_t fa_db_ready(fa_db_t *db, fa_error_t *err);

/* err->code of a unique violation (23505), "conflict"; compare by identity
 * (fa_error_is). */
extern const char fa_db_err_conflict[];
/* A deadlock (40P01) or serialization failure (40001): the transaction was
 * rolled back and may simply be run again (handlers/transaction.c does, once);
 * FA_ERR_UNAVAILABLE "database_busy" when it reaches a client. */
extern const char fa_db_err_retry[];

/* Executes a registered statement with text parameters (NULL = SQL NULL).
 * The result is released with the arena. Returns NULL and sets err on
 * failure: FA_ERR_UNAVAILABLE when the connection broke (the worker
 * reconnects later) or the server ended the statement at statement_timeout
 * or the client deadline passed ("database_timeout"; the connection is
 * then dropped too), FA_ERR_CONFLICT fa_db_err_conflict for a unique
 * violation (23505), FA_ERR_INTERNAL otherwise (SQLSTATE in err->detail),
 * and FA_ERR_INTERNAL "statement_not_registered" without a round trip for a
 * name nobody registered (only possible when fa_db_check_statements was
 * skipped).
 *
 * Call sites pass the name as a string literal: the macros below record it
 * (FA_DB_STATEMENT). A helper holding a recorded const fa_db_use_t * calls
 * the function itself, by its parenthesised name: (fa_db_exec)(db, ...). */
PGresult *fa_db_exec(fa_db_t *db, fa_arena_t *arena, const fa_db_use_t *statement, int count,
                     const char *const *values, fa_error_t *err);

/* Same with explicit lengths/formats (binary bytea parameters). */
PGresult *fa_db_exec_params(fa_db_t *db, fa_arena_t *arena, const fa_db_use_t *statement, int count,
                            const char *const *values, const int *lengths, const int *formats,
                            fa_error_t *err);

/* Same, with every result column in binary format: for hot statements, so
 * the server formats nothing and we parse nothing. Columns are read by
 * position with the fa_db_bin_* helpers below. */
PGresult *fa_db_exec_binary(fa_db_t *db, fa_arena_t *arena, const fa_db_use_t *statement, int count,
                            const char *const *values, const int *lengths, const int *formats,
                            fa_error_t *err);

#define fa_db_exec(db, arena, statement, ...)                                                      \
    (fa_db_exec)(db, arena, FA_DB_STATEMENT(statement), __VA_ARGS__)
#define fa_db_exec_params(db, arena, statement, ...)                                               \
    (fa_db_exec_params)(db, arena, FA_DB_STATEMENT(statement), __VA_ARGS__)
#define fa_db_exec_binary(db, arena, statement, ...)                                               \
    (fa_db_exec_binary)(db, arena, FA_DB_STATEMENT(statement), __VA_ARGS__)

/* Unprepared SQL without parameters (BEGIN/COMMIT, LISTEN, maintenance). */
PGresult *fa_db_exec_sql(fa_db_t *db, fa_arena_t *arena, const char *sql, fa_error_t *err);

/* Runs fn inside BEGIN ... COMMIT; rolls back when fn returns non-OK or the
 * commit fails. fn's error is passed through. BEGIN and COMMIT are bounded
 * like any call: a COMMIT past the deadline is reported as failed (503),
 * though the server may have applied it. Returns OK only after COMMIT
 * succeeded, so a caller never reports a write that did not happen. */
typedef fa_status_t (*fa_db_tx_fn)(fa_db_t *db, fa_arena_t *arena, void *ctx, fa_error_t *err);
fa_status_t fa_db_transaction(fa_db_t *db, fa_arena_t *arena, fa_db_tx_fn fn, void *ctx,
                              fa_error_t *err);

/* Column helpers: a missing column is a programming error and aborts. */
int fa_db_col(const PGresult *res, const char *name);
const char *fa_db_value(const PGresult *res, int row, const char *column); /* NULL for SQL NULL */
long long fa_db_value_ll(const PGresult *res, int row, const char *column, long long fallback);

/* Binary result columns (fa_db_exec_binary). A column whose size does not
 * match its type is a programming error (the statement is ours) and aborts. */
bool fa_db_bin_null(const PGresult *res, int row, int col);
int64_t fa_db_bin_int8(const PGresult *res, int row, int col);           /* bigint */
int64_t fa_db_bin_timestamp_us(const PGresult *res, int row, int col);   /* timestamptz, Unix µs */
void fa_db_bin_uuid(const PGresult *res, int row, int col, char out[37]); /* canonical text */
const char *fa_db_bin_text(const PGresult *res, int row, int col);       /* NULL for SQL NULL */
/* A timestamptz as the API shows every instant (core/timefmt:
 * "2026-11-23T13:24:03.796Z"), in the arena; NULL for SQL NULL. Statements
 * return timestamps raw and format them here, never with to_char: one
 * format, defined once. */
const char *fa_db_bin_time_iso(fa_arena_t *arena, const PGresult *res, int row, int col);

/* The newest applied migration (0 when none), unprepared so that it works
 * against a schema too old for our statements. FA_ERR_UNAVAILABLE when the
 * connection is down, FA_ERR_INTERNAL when there is no schema_migrations
 * table (or another error). */
fa_status_t fa_db_schema_version(fa_db_t *db, fa_arena_t *arena, long long *version,
                                 fa_error_t *err);

PGconn *fa_db_conn(fa_db_t *db); /* for LISTEN/NOTIFY in the job worker */
unsigned long fa_db_reconnects(const fa_db_t *db);
/* Registered statements the current schema rejected (0 when all prepared). */
size_t fa_db_unprepared(const fa_db_t *db);

#endif
