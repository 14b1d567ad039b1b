/* Owns: the read-only consistency queries of `admin check`. Never: repairs
 * anything (an operator decides what to do with a finding). */
#include "admin/check.h"

#include <stdlib.h>
#include <string.h>

#include "admin/reseal.h"

static const fa_db_statement_t fa_check_statements[] = {
    {"check_schema_version", "SELECT coalesce(max(version), 0) AS n FROM schema_migrations", 0},
    {"check_index_without_session",
     "SELECT count(*) AS n FROM session_index i WHERE NOT EXISTS "
     "(SELECT 1 FROM sessions s WHERE s.user_id = i.user_id AND s.id = i.session_id)",
     0},
    {"check_session_without_index",
     "SELECT count(*) AS n FROM sessions s WHERE NOT EXISTS "
     "(SELECT 1 FROM session_index i WHERE i.user_id = s.user_id AND i.session_id = s.id)",
     0},
    {"check_session_without_state",
     "SELECT count(*) AS n FROM sessions s WHERE NOT EXISTS "
     "(SELECT 1 FROM session_state t WHERE t.user_id = s.user_id AND t.session_id = s.id)",
     0},
    {"check_admin_tokens", "SELECT count(*) AS n FROM admin_tokens WHERE revoked_at IS NULL", 0},
    {"check_signing_keys",
     "SELECT count(*) AS n FROM signing_keys WHERE retire_after IS NULL AND retired_at IS NULL", 0},
};

void fa_admin_check_register_statements(void)
{
    FA_DB_REGISTER(fa_check_statements);
}

static void fa_check_line(FILE *out, bool ok, const char *name, const char *detail)
{
    fprintf(out, "%s %s: %s\n", ok ? "ok  " : "FAIL", name, detail);
}

/* The single count a statement returns, or -1 with the error printed. */
static long long fa_check_count(fa_db_t *db, fa_arena_t *arena, const fa_db_use_t *statement,
                                FILE *out)
{
    fa_error_t err;
    PGresult *r = (fa_db_exec)(db, arena, statement, 0, NULL, &err);
    if (!r) {
        fa_check_line(out, false, statement->name, err.message);
        return -1;
    }
    return fa_db_value_ll(r, 0, "n", -1);
}

/* A count that must be zero. */
static int fa_check_zero(fa_db_t *db, fa_arena_t *arena, const fa_db_use_t *statement,
                         const char *name, FILE *out)
{
    long long n = fa_check_count(db, arena, statement, out);
    if (n < 0)
        return 1;
    fa_check_line(out, n == 0, name, fa_arena_sprintf(arena, "%lld", n));
    return n != 0;
}

int fa_admin_check_run(const fa_config_t *cfg, fa_db_t *db, fa_arena_t *arena, FILE *out)
{
    int failures = 0;
    /* Loading the configuration already validated it, or we would not run. */
    fa_check_line(out, true, "configuration",
                  fa_arena_sprintf(arena, "valid (%zu secret(s), %zu JWT audience(s))",
                                   cfg->secret_count, cfg->jwt_audience_count));
    fa_error_t err;
    if (fa_db_ready(db, &err) != FA_OK) {
        fa_check_line(out, false, "database", err.message);
        return failures + 1;
    }
    fa_check_line(out, true, "database", "reachable");
    long long version = fa_check_count(db, arena, FA_DB_STATEMENT("check_schema_version"), out);
    bool schema_ok = version == FA_SCHEMA_VERSION && fa_db_unprepared(db) == 0;
    fa_check_line(out, schema_ok, "schema version",
                  fa_arena_sprintf(arena, "%lld (this binary expects %d%s)", version,
                                   FA_SCHEMA_VERSION,
                                   fa_db_unprepared(db) ? "; some statements do not prepare" : ""));
    failures += !schema_ok;
    if (version < 0)
        return failures;
    failures += fa_check_zero(db, arena, FA_DB_STATEMENT("check_index_without_session"),
                              "session_index rows without a session", out);
    failures += fa_check_zero(db, arena, FA_DB_STATEMENT("check_session_without_index"),
                              "sessions without a session_index row", out);
    failures += fa_check_zero(db, arena, FA_DB_STATEMENT("check_session_without_state"),
                              "sessions without a session_state row", out);
    /* Informational: neither is a fault (the first key is created on use). */
    long long admins = fa_check_count(db, arena, FA_DB_STATEMENT("check_admin_tokens"), out);
    long long keys = fa_check_count(db, arena, FA_DB_STATEMENT("check_signing_keys"), out);
    fa_check_line(out, admins >= 0, "admin tokens", fa_arena_sprintf(arena, "%lld active", admins));
    fa_check_line(out, keys >= 0 && keys <= 1, "current signing keys",
                  fa_arena_sprintf(arena, "%lld", keys));
    failures += (admins < 0) + (keys < 0 || keys > 1);
    failures += fa_admin_check_sealed(cfg, db, arena, out);
    return failures;
}

int fa_admin_check_sealed(const fa_config_t *cfg, fa_db_t *db, fa_arena_t *arena, FILE *out)
{
    fa_reseal_counts_t counts;
    fa_error_t err;
    if (fa_reseal_count(cfg, db, arena, &counts, &err) != FA_OK) {
        fa_check_line(out, false, "sealed values", err.message);
        return 1;
    }
    /* Positions, never values: the operator knows which secret is which. */
    fa_check_line(
        out, true, "secret 1 of FOUNDRY_AUTH_SECRET",
        fa_arena_sprintf(arena, "%lld sealed value(s); it seals new values", counts.by_secret[0]));
    for (size_t i = 1; i < cfg->secret_count; i++) {
        const char *name = fa_arena_sprintf(arena, "secret %zu of FOUNDRY_AUTH_SECRET", i + 1);
        const char *verdict = fa_reseal_droppable(&counts, i)
                                  ? "it can be dropped"
                                  : "still needed; run `foundry-auth keys reseal`";
        fa_check_line(
            out, true, name,
            fa_arena_sprintf(arena, "%lld sealed value(s); %s", counts.by_secret[i], verdict));
    }
    fa_check_line(out, true, "sealed values without a key id",
                  fa_arena_sprintf(arena,
                                   "%lld (written before key ids: any secret may be needed "
                                   "until `keys reseal` rewrites them)",
                                   counts.legacy));
    /* Not a fault of this database: such values belong to a secret that was
     * dropped (or an instance run with other secrets); their owners sign in
     * again. Reported so nobody drops a secret believing nothing used it. */
    fa_check_line(out, true, "sealed values no configured secret opens",
                  fa_arena_sprintf(arena, "%lld", counts.unknown));
    return 0;
}
