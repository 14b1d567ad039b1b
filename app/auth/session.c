/* Owns: sessions, session_index, session_state. Never: stores or logs a
 * token; only its SHA-256 reaches SQL, always as a bound binary parameter. */
#include "auth/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/timefmt.h"
#include "crypto/random.h"

/* The session check returns binary columns in a fixed order (fa_session_query
 * reads them by position): no to_char or extract in the server, no text
 * parsing here. now() comes along so expiry arithmetic uses the database's
 * clock, like the WHERE clause does. */
enum {
    FA_COL_USER_ID,
    FA_COL_ID,
    FA_COL_EXPIRES_AT,
    FA_COL_UPDATED_AT,
    FA_COL_NOW,
    FA_COL_LOGIN,
    /* session_check_auth_time and session_lookup */
    FA_COL_AUTH_TIME,
    /* session_lookup only */
    FA_COL_CREATED_AT,
    FA_COL_NAME,
    FA_COL_EMAIL,
    FA_COL_IMAGE,
    FA_COL_ROLE_LABEL,
};

#define FA_SESSION_FROM                                                                         \
    "FROM session_index i "                                                                     \
    "JOIN sessions s ON s.user_id = i.user_id AND s.id = i.session_id "                         \
    "LEFT JOIN user_profiles p ON p.user_id = s.user_id "

#define FA_SESSION_WHERE "WHERE i.token_hash = $1 AND s.expires_at > now()"

#define FA_SESSION_CHECK_COLUMNS "s.user_id, s.id, s.expires_at, s.updated_at, now(), p.github_login"

/* NULL for sessions from before migration 004: signed in when created. */
#define FA_SESSION_AUTH_TIME "coalesce(s.auth_time, s.created_at)"

#define FA_SESSION_SELECT                                                                          \
    "SELECT " FA_SESSION_CHECK_COLUMNS ", " FA_SESSION_AUTH_TIME ", s.created_at, u.name, "        \
    "u.email, u.image, p.role_label " FA_SESSION_FROM "JOIN users u ON u.id = s.user_id "          \
    FA_SESSION_WHERE

/* What a lookup reads; each statement's columns are a prefix of the next's. */
typedef enum { FA_READ_IDENTITY, FA_READ_AUTH_TIME, FA_READ_USER } fa_session_read_t;

static const fa_db_statement_t fa_session_statements[] = {
    {"session_check", "SELECT " FA_SESSION_CHECK_COLUMNS " " FA_SESSION_FROM FA_SESSION_WHERE, 1},
    /* The same plus auth_time, only for the routes that judge it (token
     * issue): auth_request's check stays as lean as it was. */
    {"session_check_auth_time",
     "SELECT " FA_SESSION_CHECK_COLUMNS ", " FA_SESSION_AUTH_TIME
     " " FA_SESSION_FROM FA_SESSION_WHERE,
     1},
    {"session_lookup", FA_SESSION_SELECT, 1},
    {"session_lookup_locked", FA_SESSION_SELECT " FOR KEY SHARE OF s", 1},
    {"session_extend",
     "UPDATE sessions SET updated_at = now(), "
     "expires_at = least(now() + make_interval(secs => $3::int), absolute_expires_at) "
     "WHERE user_id = $1 AND id = $2::uuid "
     "RETURNING expires_at, "
     "extract(epoch FROM expires_at - now())::bigint AS expires_in",
     3},
    /* One statement: the session, its index row and its state row exist
     * together or not at all (foreign keys are checked at statement end). */
    {"session_create",
     "WITH s AS (INSERT INTO sessions (user_id, id, expires_at, absolute_expires_at, ip, "
     "user_agent, auth_time) VALUES ($1, $2::uuid, now() + make_interval(secs => $3::int), "
     "now() + make_interval(secs => $4::int), $5, $6, now()) RETURNING user_id, id, expires_at, "
     "created_at, auth_time), "
     "i AS (INSERT INTO session_index (token_hash, user_id, session_id) "
     "SELECT $7::bytea, user_id, id FROM s), "
     "st AS (INSERT INTO session_state (user_id, session_id) SELECT user_id, id FROM s) "
     "SELECT expires_at, created_at, "
     "extract(epoch FROM expires_at - now())::bigint AS expires_in, "
     "floor(extract(epoch FROM auth_time))::bigint AS auth_time FROM s",
     7},
    /* Only after the check found nothing: is the session there but expired
     * (sign in again) or gone (revoked, signed out, or collected)? */
    {"session_expired",
     "SELECT 1 FROM session_index i JOIN sessions s ON s.user_id = i.user_id "
     "AND s.id = i.session_id WHERE i.token_hash = $1",
     1},
    {"session_revoke", "DELETE FROM sessions WHERE user_id = $1 AND id = $2::uuid RETURNING id", 2},
    {"session_revoke_all", "DELETE FROM sessions WHERE user_id = $1", 1},
    {"session_list",
     "SELECT id, created_at, updated_at, expires_at, ip, user_agent "
     "FROM sessions WHERE user_id = $1 AND expires_at > now() "
     "ORDER BY created_at DESC LIMIT 100",
     1},
};

void fa_session_register_statements(void)
{
    FA_DB_REGISTER(fa_session_statements);
}

static long fa_seconds_rounded(int64_t us)
{
    return (long)(us >= 0 ? (us + 500000) / 1000000 : -((-us + 500000) / 1000000));
}

static const char *fa_iso(fa_arena_t *arena, int64_t unix_us)
{
    char *text = fa_arena_alloc(arena, FA_ISO_MS_LEN + 1);
    fa_time_iso_ms(unix_us, text);
    return text;
}

static fa_status_t fa_session_query(fa_db_t *db, fa_arena_t *arena, const fa_db_use_t *statement,
                                    fa_session_read_t read, const fa_config_t *cfg,
                                    const uint8_t hash[FA_SHA256_LEN], fa_session_t *out,
                                    fa_error_t *err)
{
    const char *values[1] = {(const char *)hash};
    const int lengths[1] = {FA_SHA256_LEN};
    const int formats[1] = {1};
    PGresult *r = (fa_db_exec_binary)(db, arena, statement, 1, values, lengths, formats, err);
    if (!r)
        return err->status;
    if (PQntuples(r) != 1)
        return fa_error_set(err, FA_ERR_UNAUTHORIZED, "unauthenticated", "no valid session",
                            "no such session");
    memset(out, 0, sizeof(*out));
    int64_t now = fa_db_bin_timestamp_us(r, 0, FA_COL_NOW);
    int64_t expires_at = fa_db_bin_timestamp_us(r, 0, FA_COL_EXPIRES_AT);
    char *id = fa_arena_alloc(arena, FA_UUID_STR_LEN + 1);
    fa_db_bin_uuid(r, 0, FA_COL_ID, id);
    out->user_id = fa_db_bin_int8(r, 0, FA_COL_USER_ID);
    out->id = id;
    out->expires_at = fa_iso(arena, expires_at);
    out->expires_in = fa_seconds_rounded(expires_at - now);
    out->needs_refresh =
        fa_seconds_rounded(now - fa_db_bin_timestamp_us(r, 0, FA_COL_UPDATED_AT)) >=
        cfg->session_update_age;
    out->login = fa_db_bin_text(r, 0, FA_COL_LOGIN);
    if (read >= FA_READ_AUTH_TIME) /* whole seconds: a JWT NumericDate, rounded down */
        out->auth_time = fa_db_bin_timestamp_us(r, 0, FA_COL_AUTH_TIME) / 1000000;
    if (read >= FA_READ_USER) {
        out->created_at = fa_iso(arena, fa_db_bin_timestamp_us(r, 0, FA_COL_CREATED_AT));
        out->name = fa_db_bin_text(r, 0, FA_COL_NAME);
        out->email = fa_db_bin_text(r, 0, FA_COL_EMAIL);
        out->image = fa_db_bin_text(r, 0, FA_COL_IMAGE);
        out->role_label = fa_db_bin_text(r, 0, FA_COL_ROLE_LABEL);
    }
    memcpy(out->token_hash, hash, FA_SHA256_LEN);
    return FA_OK;
}

fa_status_t fa_session_check(fa_db_t *db, fa_arena_t *arena, const fa_config_t *cfg,
                             const uint8_t hash[FA_SHA256_LEN], fa_session_t *out, fa_error_t *err)
{
    return fa_session_query(db, arena, FA_DB_STATEMENT("session_check"), FA_READ_IDENTITY, cfg,
                            hash, out, err);
}

fa_status_t fa_session_check_auth_time(fa_db_t *db, fa_arena_t *arena, const fa_config_t *cfg,
                                       const uint8_t hash[FA_SHA256_LEN], fa_session_t *out,
                                       fa_error_t *err)
{
    return fa_session_query(db, arena, FA_DB_STATEMENT("session_check_auth_time"),
                            FA_READ_AUTH_TIME, cfg, hash, out, err);
}

fa_status_t fa_session_load(fa_db_t *db, fa_arena_t *arena, const fa_config_t *cfg,
                            const uint8_t hash[FA_SHA256_LEN], fa_session_t *out, fa_error_t *err)
{
    return fa_session_query(db, arena, FA_DB_STATEMENT("session_lookup"), FA_READ_USER, cfg, hash,
                            out, err);
}

fa_status_t fa_session_load_locked(fa_db_t *db, fa_arena_t *arena, const fa_config_t *cfg,
                                   const uint8_t hash[FA_SHA256_LEN], fa_session_t *out,
                                   fa_error_t *err)
{
    return fa_session_query(db, arena, FA_DB_STATEMENT("session_lookup_locked"), FA_READ_USER, cfg,
                            hash, out, err);
}

fa_status_t fa_session_explain(fa_db_t *db, fa_arena_t *arena, const uint8_t hash[FA_SHA256_LEN],
                               bool *expired, fa_error_t *err)
{
    const char *values[1] = {(const char *)hash};
    const int lengths[1] = {FA_SHA256_LEN};
    const int formats[1] = {1};
    PGresult *r = fa_db_exec_params(db, arena, "session_expired", 1, values, lengths, formats, err);
    if (!r)
        return err->status;
    *expired = PQntuples(r) == 1;
    return FA_OK;
}

fa_status_t fa_session_extend(fa_db_t *db, fa_arena_t *arena, const fa_config_t *cfg,
                              fa_session_t *s, fa_error_t *err)
{
    const char *values[3] = {fa_arena_i64(arena, s->user_id), s->id,
                             fa_arena_sprintf(arena, "%ld", cfg->session_ttl)};
    PGresult *r = fa_db_exec_binary(db, arena, "session_extend", 3, values, NULL, NULL, err);
    if (!r)
        return err->status;
    if (PQntuples(r) != 1)
        return fa_error_set(err, FA_ERR_UNAUTHORIZED, "unauthenticated", "no valid session",
                            "session vanished during extension");
    s->expires_at = fa_db_bin_time_iso(arena, r, 0, fa_db_col(r, "expires_at"));
    s->expires_in = (long)fa_db_bin_int8(r, 0, fa_db_col(r, "expires_in"));
    s->needs_refresh = false;
    return FA_OK;
}

/* Header text bound for a text column: valid UTF-8 (else dropped) and cut at
 * a character boundary to the column's limit. */
static const char *fa_session_clip(fa_arena_t *arena, const char *text, size_t max)
{
    if (!text)
        return NULL;
    size_t len = strlen(text);
    if (len > max) {
        len = max;
        while (len > 0 && ((unsigned char)text[len] & 0xC0) == 0x80)
            len--;
    }
    if (!fa_utf8_valid(text, len))
        return NULL;
    return fa_arena_strndup(arena, text, len);
}

fa_status_t fa_session_create(fa_db_t *db, fa_arena_t *arena, const fa_config_t *cfg,
                              const fa_hmac_keys_t *keys, const fa_session_params_t *params,
                              char **client_value, fa_session_t *out, fa_error_t *err)
{
    char id[FA_UUID_STR_LEN + 1];
    fa_random_uuid_v4(id);
    uint8_t hash[FA_SHA256_LEN];
    fa_signed_token_create(keys, arena, client_value, hash);
    long ttl = cfg->session_ttl < cfg->session_max_age ? cfg->session_ttl : cfg->session_max_age;
    const char *values[7] = {
        fa_arena_i64(arena, params->user_id),
        id,
        fa_arena_sprintf(arena, "%ld", ttl),
        fa_arena_sprintf(arena, "%ld", cfg->session_max_age),
        fa_session_clip(arena, params->ip, 64),
        fa_session_clip(arena, params->user_agent, 512),
        (const char *)hash,
    };
    const int lengths[7] = {0, 0, 0, 0, 0, 0, FA_SHA256_LEN};
    const int formats[7] = {0, 0, 0, 0, 0, 0, 1};
    PGresult *r = fa_db_exec_binary(db, arena, "session_create", 7, values, lengths, formats, err);
    if (!r)
        return err->status;
    memset(out, 0, sizeof(*out));
    out->user_id = params->user_id;
    out->id = fa_arena_strdup(arena, id);
    out->expires_at = fa_db_bin_time_iso(arena, r, 0, fa_db_col(r, "expires_at"));
    out->created_at = fa_db_bin_time_iso(arena, r, 0, fa_db_col(r, "created_at"));
    out->expires_in = (long)fa_db_bin_int8(r, 0, fa_db_col(r, "expires_in"));
    out->auth_time = fa_db_bin_int8(r, 0, fa_db_col(r, "auth_time"));
    memcpy(out->token_hash, hash, FA_SHA256_LEN);
    return FA_OK;
}

fa_status_t fa_session_revoke(fa_db_t *db, fa_arena_t *arena, int64_t user_id,
                              const char *session_id, fa_error_t *err)
{
    if (!fa_session_id_valid(session_id, strlen(session_id)))
        return fa_error_set(err, FA_ERR_NOT_FOUND, "session_not_found", "no such session",
                            NULL);
    const char *values[2] = {fa_arena_i64(arena, user_id), session_id};
    PGresult *r = fa_db_exec(db, arena, "session_revoke", 2, values, err);
    if (!r)
        return err->status;
    if (PQntuples(r) != 1)
        return fa_error_set(err, FA_ERR_NOT_FOUND, "session_not_found", "no such session",
                            NULL);
    return FA_OK;
}

fa_status_t fa_session_revoke_all(fa_db_t *db, fa_arena_t *arena, int64_t user_id, long *count,
                                  fa_error_t *err)
{
    const char *values[1] = {fa_arena_i64(arena, user_id)};
    PGresult *r = fa_db_exec(db, arena, "session_revoke_all", 1, values, err);
    if (!r)
        return err->status;
    *count = strtol(PQcmdTuples(r), NULL, 10);
    return FA_OK;
}

fa_status_t fa_session_list(fa_db_t *db, fa_arena_t *arena, int64_t user_id, fa_session_rows_t *out,
                            fa_error_t *err)
{
    const char *values[1] = {fa_arena_i64(arena, user_id)};
    out->rows = NULL;
    out->count = 0;
    PGresult *r = fa_db_exec_binary(db, arena, "session_list", 1, values, NULL, NULL, err);
    if (!r)
        return err->status;
    int n = PQntuples(r);
    int id = fa_db_col(r, "id"), created = fa_db_col(r, "created_at"),
        updated = fa_db_col(r, "updated_at"), expires = fa_db_col(r, "expires_at"),
        ip = fa_db_col(r, "ip"), agent = fa_db_col(r, "user_agent");
    out->rows = fa_arena_alloc(arena, (size_t)(n > 0 ? n : 1) * sizeof(*out->rows));
    for (int i = 0; i < n; i++) {
        fa_session_row_t *row = &out->rows[i];
        fa_db_bin_uuid(r, i, id, row->id);
        row->created_at = fa_db_bin_time_iso(arena, r, i, created);
        row->updated_at = fa_db_bin_time_iso(arena, r, i, updated);
        row->expires_at = fa_db_bin_time_iso(arena, r, i, expires);
        row->ip = fa_db_bin_text(r, i, ip);
        row->user_agent = fa_db_bin_text(r, i, agent);
    }
    out->count = (size_t)n;
    return FA_OK;
}

bool fa_session_id_valid(const char *id, size_t len)
{
    if (len != FA_UUID_STR_LEN)
        return false;
    for (size_t i = 0; i < len; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        char c = id[i];
        if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    }
    return true;
}
