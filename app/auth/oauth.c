/* Owns: verification rows and the order of the OAuth steps. Never: stores a
 * state, code, verifier or token in plain text; logs any of them; retries a
 * code exchange. */
#include "auth/oauth.h"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/audit.h"
#include "github/limit.h"
#include "auth/return_to.h"
#include "auth/session.h"
#include "auth/sign_in_error.h"
#include "auth/signin.h"
#include "core/log.h"
#include "core/metrics.h"
#include "crypto/base64url.h"
#include "crypto/hash.h"
#include "crypto/pkce.h"
#include "crypto/random.h"

#define FA_STATE_BYTES 32
#define FA_BINDING_BYTES 32
#define FA_DUPLICATE_WAIT_MS 5000

static const fa_db_statement_t fa_oauth_statements[] = {
    {"oauth_insert",
     "INSERT INTO verification (identifier, binding_hash, code_verifier_enc, return_to, "
     "expires_at) VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5::int))",
     5},
    /* Consumes the state at most once, and only for the browser that started
     * it: a state replayed from elsewhere is not even burnt. */
    {"oauth_consume",
     "UPDATE verification SET consumed_at = now() WHERE identifier = $1 AND binding_hash = $2 "
     "AND consumed_at IS NULL AND expires_at > now() RETURNING code_verifier_enc, return_to",
     2},
    {"oauth_inspect",
     "SELECT binding_hash, consumed_at IS NOT NULL AS consumed, "
     "completed_at IS NOT NULL AS completed, expires_at <= now() AS expired, "
     "completed_at <= now() - make_interval(secs => $2::int) AS replay_window_passed, failure, "
     "session_token_enc, return_to FROM verification WHERE identifier = $1",
     2},
    {"oauth_forget_session",
     "UPDATE verification SET session_token_enc = NULL WHERE identifier = $1", 1},
    {"oauth_fail", "UPDATE verification SET failure = $2 WHERE identifier = $1", 2},
    {"oauth_complete",
     "UPDATE verification SET completed_at = now(), user_id = $2, session_id = $3::uuid, "
     "session_token_enc = $4 WHERE identifier = $1",
     4},
};

void fa_oauth_register_statements(void)
{
    FA_DB_REGISTER(fa_oauth_statements);
}

const char *fa_oauth_binding_cookie_name(const fa_config_t *cfg)
{
    return cfg->secure_cookies ? "__Host-foundry_oauth" : "foundry_oauth";
}

static bool fa_is_random_value(fa_str_t s)
{
    return s.ptr && s.len == 43 && fa_base64url_is_alphabet(s.ptr, s.len);
}

static char *fa_url_escape(fa_arena_t *arena, const char *s)
{
    char *e = curl_easy_escape(NULL, s, (int)strlen(s));
    if (!e)
        abort();
    char *copy = fa_arena_strdup(arena, e);
    curl_free(e);
    return copy;
}

static const char *fa_state_identifier(fa_arena_t *arena, fa_str_t state)
{
    uint8_t digest[FA_SHA256_LEN];
    fa_sha256(state.ptr, state.len, digest);
    return fa_hex_encode_arena(arena, digest, sizeof(digest));
}

/* The column is part of the aad so that the two sealed columns of a row stay
 * apart by construction, not only because their keys differ. Before this the
 * aad was "verification:<id>" for both: rows sealed that way stop opening at
 * deploy, which costs at most the sign-ins in flight (rows live ten minutes,
 * FA_OAUTH_TTL_SECONDS), so no old-aad fallback is kept. */
const char *fa_oauth_aad(fa_arena_t *arena, const char *identifier, const char *column)
{
    return fa_arena_sprintf(arena, "verification:%s:%s", identifier, column);
}

static const char *fa_aad_verifier(fa_arena_t *arena, const char *identifier)
{
    return fa_oauth_aad(arena, identifier, FA_OAUTH_AAD_CODE_VERIFIER);
}

static const char *fa_aad_session(fa_arena_t *arena, const char *identifier)
{
    return fa_oauth_aad(arena, identifier, FA_OAUTH_AAD_SESSION_TOKEN);
}

fa_status_t fa_oauth_start(fa_db_t *db, fa_arena_t *arena, const fa_services_t *services,
                           fa_str_t return_to, fa_str_t binding, fa_oauth_start_result_t *out,
                           fa_error_t *err)
{
    const fa_config_t *cfg = services->config;
    out->retry_after = 0;
    /* While GitHub limits us, a trip to GitHub's consent page would end in a
     * callback that cannot finish: say so now (issue 12). */
    long wait;
    if (fa_github_limit_check(db, arena, &wait, err) != FA_OK)
        return err->status;
    if (wait > 0) {
        fa_metrics_inc(FA_METRIC_SIGNIN_RATE_LIMITED);
        out->retry_after = wait;
        return fa_github_limit_refuse(arena, wait, err);
    }
    /* One binding per browser, reused by every tab: a second tab must not
     * invalidate the first tab's sign-in. */
    const char *binding_value = fa_is_random_value(binding)
                                    ? fa_str_dup(arena, binding)
                                    : fa_random_token_b64url(arena, FA_BINDING_BYTES);
    uint8_t binding_hash[FA_SHA256_LEN];
    fa_sha256(binding_value, strlen(binding_value), binding_hash);

    char *state = fa_random_token_b64url(arena, FA_STATE_BYTES);
    const char *identifier = fa_state_identifier(arena, fa_str_from(state));
    char verifier[FA_PKCE_VERIFIER_LEN + 1], challenge[FA_PKCE_CHALLENGE_LEN + 1];
    fa_pkce_verifier_generate(verifier);
    fa_pkce_challenge_s256(fa_str_from(verifier), challenge);
    uint8_t *sealed;
    size_t sealed_len;
    fa_keyring_seal(&services->token_ring, arena, fa_aad_verifier(arena, identifier), verifier,
                    strlen(verifier), &sealed, &sealed_len);
    OPENSSL_cleanse(verifier, sizeof(verifier));

    const char *values[5] = {identifier, (const char *)binding_hash, (const char *)sealed,
                             fa_return_to_sanitize(cfg, arena, return_to),
                             fa_arena_sprintf(arena, "%d", FA_OAUTH_TTL_SECONDS)};
    const int lengths[5] = {0, FA_SHA256_LEN, (int)sealed_len, 0, 0};
    const int formats[5] = {0, 1, 1, 0, 0};
    if (!fa_db_exec_params(db, arena, "oauth_insert", 5, values, lengths, formats, err))
        return err->status;

    out->binding_cookie = binding_value;
    out->location =
        fa_arena_sprintf(arena,
                         "%s/login/oauth/authorize?client_id=%s&redirect_uri=%s&scope=%s&state=%s"
                         "&code_challenge=%s&code_challenge_method=S256",
                         cfg->github_oauth_url, fa_url_escape(arena, cfg->github_client_id),
                         fa_url_escape(arena, cfg->callback_url),
                         fa_url_escape(arena, cfg->github_scopes), state, challenge);
    return FA_OK;
}

const char *fa_oauth_start_url(const fa_config_t *cfg, fa_arena_t *arena, fa_str_t return_to)
{
    return fa_arena_sprintf(arena, "%s/v1/auth/github/start?returnTo=%s", cfg->public_url,
                            fa_url_escape(arena, fa_return_to_sanitize(cfg, arena, return_to)));
}

/* code is an authError (auth/sign_in_error.h); wait is read only for
 * github_rate_limited, for the sign-in page to show. */
static void fa_fail_with_wait(fa_arena_t *arena, const fa_config_t *cfg, fa_oauth_result_t *out,
                              const char *code, long wait)
{
    out->auth_error = code;
    out->location = fa_sign_in_error_location(arena, cfg->sign_in_path, code, wait);
    fa_metrics_inc(FA_METRIC_SIGNIN_FAILURE);
}

static void fa_oauth_fail(fa_arena_t *arena, const fa_config_t *cfg, fa_oauth_result_t *out,
                          const char *code)
{
    fa_fail_with_wait(arena, cfg, out, code, 0);
}

static void fa_record_failure(fa_db_t *db, fa_arena_t *arena, const char *identifier,
                              const char *code, const fa_oauth_callback_t *in)
{
    fa_error_t ignored;
    const char *values[2] = {identifier, code};
    fa_db_exec(db, arena, "oauth_fail", 2, values, &ignored);
    json_t *detail = json_pack("{s:s}", "reason", code);
    fa_audit_record(db, arena, "sign_in_failed", 0, NULL, NULL, in->ip, detail, &ignored);
    json_decref(detail);
    fa_log_info("oauth", "sign-in failed: %s", code);
}

typedef struct {
    const char *identifier;
    const fa_keyring_t *browser_ring;
} fa_complete_ctx_t;

/* Inside the sign-in transaction: remember the outcome for a duplicate
 * callback, sealed under a key only this browser's binding cookie derives. */
static fa_status_t fa_complete_hook(fa_db_t *db, fa_arena_t *arena, void *ctx,
                                    const fa_session_t *session, const char *client_value,
                                    fa_error_t *err)
{
    fa_complete_ctx_t *c = ctx;
    uint8_t *sealed;
    size_t sealed_len;
    fa_keyring_seal(c->browser_ring, arena, fa_aad_session(arena, c->identifier), client_value,
                    strlen(client_value), &sealed, &sealed_len);
    const char *values[4] = {c->identifier, fa_arena_i64(arena, session->user_id), session->id,
                             (const char *)sealed};
    const int lengths[4] = {0, 0, 0, (int)sealed_len};
    const int formats[4] = {0, 0, 0, 1};
    return fa_db_exec_params(db, arena, "oauth_complete", 4, values, lengths, formats, err)
               ? FA_OK
               : err->status;
}

static bool fa_bytea(const PGresult *r, const char *col, fa_arena_t *arena, uint8_t **out,
                     size_t *len)
{
    const char *text = fa_db_value(r, 0, col);
    if (!text)
        return false;
    unsigned char *raw = PQunescapeBytea((const unsigned char *)text, len);
    if (!raw)
        return false;
    *out = fa_arena_alloc(arena, *len + 1);
    memcpy(*out, raw, *len);
    PQfreemem(raw);
    return true;
}

/* Invariant (issue 13): the sealed session token of a completed state
 * answers a duplicate callback only within FA_OAUTH_REPLAY_WINDOW_SECONDS of
 * completion and while the state lives. Past that, true, and the token is
 * erased now rather than left until the row is deleted. r is oauth_inspect's
 * row. An erase that fails is left to the collector (jobs/gc.c). */
static bool fa_replay_closed(fa_db_t *db, fa_arena_t *arena, const PGresult *r,
                             const char *identifier)
{
    const char *passed = fa_db_value(r, 0, "replay_window_passed");
    if (fa_db_value(r, 0, "expired")[0] != 't' && !(passed && passed[0] == 't'))
        return false;
    if (fa_db_value(r, 0, "session_token_enc")) {
        fa_error_t ignored;
        const char *values[1] = {identifier};
        fa_db_exec(db, arena, "oauth_forget_session", 1, values, &ignored);
    }
    return true;
}

/* The state was not consumable: say why, or finish a duplicate callback. */
static void fa_explain_or_replay(fa_db_t *db, fa_arena_t *arena, const fa_services_t *services,
                                 const fa_oauth_callback_t *in, const char *identifier,
                                 const uint8_t binding_hash[FA_SHA256_LEN], fa_oauth_result_t *out)
{
    const fa_config_t *cfg = services->config;
    struct timespec pause = {0, 100 * 1000 * 1000};
    for (int waited = 0;; waited += 100) {
        fa_error_t err;
        const char *values[2] = {identifier,
                                 fa_arena_sprintf(arena, "%d", FA_OAUTH_REPLAY_WINDOW_SECONDS)};
        PGresult *r = fa_db_exec(db, arena, "oauth_inspect", 2, values, &err);
        if (!r) {
            fa_oauth_fail(arena, cfg, out, fa_sign_in_error_for_status(err.status));
            return;
        }
        if (PQntuples(r) != 1) {
            fa_oauth_fail(arena, cfg, out, fa_sign_in_error_invalid_state);
            return;
        }
        uint8_t *stored;
        size_t stored_len;
        if (!fa_bytea(r, "binding_hash", arena, &stored, &stored_len) ||
            stored_len != FA_SHA256_LEN || !fa_ct_equal(stored, binding_hash, FA_SHA256_LEN)) {
            fa_oauth_fail(arena, cfg, out, fa_sign_in_error_browser_mismatch);
            return;
        }
        bool consumed = fa_db_value(r, 0, "consumed")[0] == 't';
        bool completed = fa_db_value(r, 0, "completed")[0] == 't';
        if (!consumed) {
            fa_oauth_fail(arena, cfg, out, fa_sign_in_error_state_expired);
            return;
        }
        if (completed && fa_replay_closed(db, arena, r, identifier)) {
            fa_oauth_fail(arena, cfg, out,
                          fa_db_value(r, 0, "expired")[0] == 't' ? fa_sign_in_error_state_expired
                                                                 : fa_sign_in_error_state_used);
            return;
        }
        if (completed) {
            /* Invariant 8: a duplicate never exchanges again; it gets the
             * session the first callback made, if that still exists. */
            fa_keyring_t ring;
            fa_keyring_derive(&ring, &services->binding_ring, in->binding.ptr, in->binding.len);
            uint8_t *sealed, *plain;
            size_t sealed_len, plain_len;
            bool ok = fa_bytea(r, "session_token_enc", arena, &sealed, &sealed_len) &&
                      fa_keyring_open(&ring, arena, fa_aad_session(arena, identifier), sealed,
                                      sealed_len, &plain, &plain_len);
            fa_keyring_clear(&ring);
            uint8_t hash[FA_SHA256_LEN];
            fa_session_t session;
            if (!ok ||
                !fa_signed_token_verify(&services->session_keys,
                                        (fa_str_t){(const char *)plain, plain_len}, hash) ||
                fa_session_check(db, arena, cfg, hash, &session, &err) != FA_OK) {
                fa_oauth_fail(arena, cfg, out, fa_sign_in_error_state_used);
                return;
            }
            out->session_cookie = (const char *)plain;
            out->session_max_age = session.expires_in;
            out->user_id = session.user_id;
            out->session_id = session.id;
            out->location = fa_db_value(r, 0, "return_to");
            fa_log_info("oauth", "duplicate callback answered with the existing session");
            return;
        }
        if (fa_db_value(r, 0, "failure") || waited >= FA_DUPLICATE_WAIT_MS) {
            fa_oauth_fail(arena, cfg, out, fa_sign_in_error_state_used);
            return;
        }
        nanosleep(&pause, NULL); /* the first callback is still talking to GitHub */
    }
}

/* Exchange + user lookup; on failure returns the authError code. A rate
 * limit any of the calls meets is recorded for every worker (issue 12). */
static const char *fa_fetch_identity(fa_db_t *db, fa_arena_t *arena, const fa_services_t *services,
                                     const fa_oauth_callback_t *in, const char *verifier,
                                     fa_github_tokens_t *tokens, fa_github_user_t *user,
                                     bool *email_verified)
{
    fa_error_t err;
    const char *code = fa_str_dup(arena, in->code);
    if (fa_github_exchange_code(services->github, arena, code, services->config->callback_url,
                                verifier, tokens, &err) != FA_OK) {
        fa_log_warn("oauth", "code exchange failed: %s (%s)", err.code,
                    err.detail ? err.detail : "");
        fa_github_limit_note(db, arena, services->github, &err);
        return fa_sign_in_error_for_github(&err);
    }
    if (fa_github_get_user(services->github, arena, tokens->access_token, user, &err) != FA_OK) {
        /* detail names the field GitHub got wrong, never its value. */
        fa_log_warn("oauth", "reading the GitHub user failed: %s (%s)", err.code,
                    err.detail ? err.detail : "");
        fa_github_limit_note(db, arena, services->github, &err);
        return fa_sign_in_error_for_github(&err);
    }
    *email_verified = false;
    if (!user->email) {
        char *email = NULL;
        bool verified = false;
        /* Private email: ask /user/emails; a failure here costs only the email. */
        if (fa_github_primary_email(services->github, arena, tokens->access_token, &email,
                                    &verified, &err) == FA_OK) {
            user->email = email;
            *email_verified = verified;
        } else {
            fa_log_warn("oauth", "reading the primary email failed: %s (%s)", err.code,
                        err.detail ? err.detail : "");
            fa_github_limit_note(db, arena, services->github, &err);
        }
    }
    return NULL;
}

void fa_oauth_callback(fa_db_t *db, fa_arena_t *arena, const fa_services_t *services,
                       const fa_oauth_callback_t *in, fa_oauth_result_t *out)
{
    const fa_config_t *cfg = services->config;
    memset(out, 0, sizeof(*out));
    if (!fa_is_random_value(in->state)) {
        fa_oauth_fail(arena, cfg, out, fa_sign_in_error_invalid_state);
        return;
    }
    if (!fa_is_random_value(in->binding)) {
        fa_oauth_fail(arena, cfg, out, fa_sign_in_error_browser_mismatch);
        return;
    }
    const char *identifier = fa_state_identifier(arena, in->state);
    uint8_t binding_hash[FA_SHA256_LEN];
    fa_sha256(in->binding.ptr, in->binding.len, binding_hash);

    fa_error_t err;
    const char *values[2] = {identifier, (const char *)binding_hash};
    const int lengths[2] = {0, FA_SHA256_LEN};
    const int formats[2] = {0, 1};
    PGresult *r = fa_db_exec_params(db, arena, "oauth_consume", 2, values, lengths, formats, &err);
    if (!r) {
        fa_oauth_fail(arena, cfg, out, fa_sign_in_error_for_status(err.status));
        return;
    }
    if (PQntuples(r) != 1) {
        fa_explain_or_replay(db, arena, services, in, identifier, binding_hash, out);
        return;
    }
    const char *return_to = fa_db_value(r, 0, "return_to");
    if (in->error.ptr || !in->code.ptr || in->code.len == 0 || in->code.len > 256) {
        /* GitHub's ?error= is input: compared as text, answered with our code. */
        const char *code = in->error.ptr && fa_str_eq_cstr(in->error, "access_denied")
                               ? fa_sign_in_error_access_denied
                               : fa_sign_in_error_github_error;
        fa_record_failure(db, arena, identifier, code, in);
        fa_oauth_fail(arena, cfg, out, code);
        return;
    }
    /* Before the exchange: while GitHub limits us, sending the code would
     * spend it for an answer we already know (issue 12). */
    long wait;
    if (fa_github_limit_check(db, arena, &wait, &err) != FA_OK) {
        const char *code = fa_sign_in_error_for_status(err.status);
        fa_record_failure(db, arena, identifier, code, in);
        fa_oauth_fail(arena, cfg, out, code);
        return;
    }
    if (wait > 0) {
        fa_metrics_inc(FA_METRIC_SIGNIN_RATE_LIMITED);
        fa_metrics_inc(FA_METRIC_GITHUB_CALLS_WITHHELD);
        fa_record_failure(db, arena, identifier, fa_sign_in_error_github_rate_limited, in);
        fa_fail_with_wait(arena, cfg, out, fa_sign_in_error_github_rate_limited, wait);
        return;
    }
    uint8_t *sealed, *verifier;
    size_t sealed_len, verifier_len;
    if (!fa_bytea(r, "code_verifier_enc", arena, &sealed, &sealed_len) ||
        !fa_keyring_open(&services->token_ring, arena, fa_aad_verifier(arena, identifier), sealed,
                         sealed_len, &verifier, &verifier_len)) {
        fa_record_failure(db, arena, identifier, fa_sign_in_error_server_error, in);
        fa_oauth_fail(arena, cfg, out, fa_sign_in_error_server_error);
        return;
    }

    fa_github_tokens_t tokens;
    fa_github_user_t user;
    bool email_verified = false;
    const char *failure = fa_fetch_identity(db, arena, services, in, (const char *)verifier,
                                            &tokens, &user, &email_verified);
    if (failure) {
        fa_record_failure(db, arena, identifier, failure, in);
        fa_fail_with_wait(arena, cfg, out, failure, fa_github_retry_after(services->github));
        return;
    }

    fa_keyring_t browser_ring;
    fa_keyring_derive(&browser_ring, &services->binding_ring, in->binding.ptr, in->binding.len);
    fa_complete_ctx_t complete = {identifier, &browser_ring};
    fa_signin_t signin = {
        .user = &user,
        .email_verified = email_verified,
        .access_token = tokens.access_token,
        .refresh_token = tokens.refresh_token,
        .scope = tokens.scope,
        .expires_in = tokens.expires_in,
        .refresh_expires_in = tokens.refresh_token_expires_in,
        .ip = in->ip,
        .user_agent = in->user_agent,
        .method = "github",
        .hook = fa_complete_hook,
        .hook_ctx = &complete,
    };
    char *client_value = NULL;
    fa_session_t session;
    fa_status_t st = fa_signin_commit(db, arena, services, &signin, &client_value, &session, &err);
    fa_keyring_clear(&browser_ring);
    if (st != FA_OK) {
        const char *code = fa_sign_in_error_for_status(st);
        fa_record_failure(db, arena, identifier, code, in);
        fa_oauth_fail(arena, cfg, out, code);
        return;
    }
    fa_metrics_inc(FA_METRIC_SIGNIN_SUCCESS);
    out->session_cookie = client_value;
    out->session_max_age = session.expires_in;
    out->user_id = session.user_id;
    out->session_id = session.id;
    out->location = return_to;
}
