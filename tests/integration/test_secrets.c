/* Secrets suite (issue 5, "Secrets and the cookie cache"), on second
 * instances of the service started with settings the running one does not
 * have, talked to with cgi-fcgi on their own sockets:
 *   - FOUNDRY_AUTH_SECRET=new,old: values signed with the old secret still
 *     verify, new ones are signed with the new secret, and keys sealed at
 *     rest under the old secret (JWT signing keys) still open;
 *   - FOUNDRY_COOKIE_CACHE_MAX_AGE on: verify answers from the cache cookie
 *     without a single database statement (pg_stat_activity of the
 *     instance's own connection proves it), and a revoked session still
 *     cannot perform a mutation;
 *   - `keys reseal` moves every sealed value under the first secret, after
 *     which `admin check` says the old one can be dropped and an instance
 *     without it still opens the GitHub token. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/base64url.h"
#include "crypto/kdf.h"
#include "crypto/signed_token.h"
#include "harness.h"
#include "identity_helpers.h"
#include "signin_helpers.h"

static char *fa_origin(void)
{
    return fa_envfile_get("FOUNDRY_AUTH_URL"); /* an origin: scheme://host:port, no path */
}

static bool fa_signed_by(const char *value, const char *secret)
{
    fa_hmac_keys_t keys;
    const char *secrets[1] = {secret};
    uint8_t hash[32];
    bool ok = fa_hmac_keys_init(&keys, secrets, 1) &&
              fa_signed_token_verify(&keys, fa_str_from(value), hash);
    fa_hmac_keys_clear(&keys);
    return ok;
}

/* ---- secret rotation ----------------------------------------------------- */

static void test_secret_rotation(void)
{
    char *old_secrets[4];
    size_t n = fa_id_service_secrets(old_secrets);
    FA_CHECK_FATAL(n >= 1, "cannot read FOUNDRY_AUTH_SECRET from the service env");
    const char *old = old_secrets[0];
    char *random = fa_random_b64url();
    char *fresh = fa_xasprintf("%s", random); /* base64url of 32 random bytes: a valid key */
    free(random);
    char *secret_env = fa_xasprintf("FOUNDRY_AUTH_SECRET=%s,%s", fresh, old);
    fa_id_user_t u;
    fa_id_user_new(&u, "rotsecret");
    FA_CHECK(fa_signed_by(u.session, old), "the running service does not sign with its secret");
    /* A signing key exists, sealed under the old secret. */
    fa_http_response_t *r =
        fa_id_post_json("/v1/auth/token", u.session, "{\"audience\":\"api.test\"}");
    FA_CHECK(r->status == 200, "token from the running service: %ld", r->status);
    fa_http_response_free(r);

    const char *overrides[] = {secret_env, "BETTER_AUTH_SECRET", NULL};
    fa_instance_t in;
    bool up = fa_instance_start(&in, "rotated", overrides);
    FA_CHECK_FATAL(up, "second instance with new,old secrets did not start (log %s)", in.log);

    /* Old-signed session value: still verifies. */
    fa_fcgi_request_t verify = {.path = "/v1/auth/verify", .bearer = u.session};
    r = fa_instance_request(&in, &verify);
    const char *uid = fa_http_header(r, "X-Auth-User-Id");
    FA_CHECK(r->status == 200 && uid && strcmp(uid, u.id_text) == 0,
             "new,old instance verifying an old-signed session: %ld user %s %.200s", r->status,
             uid ? uid : "(none)", r->body);
    fa_http_response_free(r);

    /* The JWT key sealed under the old secret still opens: a token issues. */
    fa_fcgi_request_t token = {.method = "POST",
                               .path = "/v1/auth/token",
                               .bearer = u.session,
                               .body = "{\"audience\":\"api.test\"}"};
    r = fa_instance_request(&in, &token);
    FA_CHECK(r->status == 200 && strstr(r->body, "\"token\""),
             "new,old instance issuing a JWT with a key sealed under the old secret: %ld %.200s",
             r->status, r->body);
    fa_http_response_free(r);

    /* A new session from this instance is signed with the new secret. */
    char *gh = fa_emulator_issue_token(u.login, "read:user");
    FA_CHECK_FATAL(gh != NULL, "emulator token for %s", u.login);
    char *body = fa_xasprintf("{\"githubToken\":\"%s\"}", gh);
    fa_fcgi_request_t boot = {.method = "POST", .path = "/v1/auth/dev/bootstrap", .body = body};
    r = fa_instance_request(&in, &boot);
    char *value = fa_set_cookie_value(r, fa_session_cookie_name());
    FA_CHECK_FATAL(r->status == 200 && value, "dev bootstrap on the new,old instance: %ld %.200s",
                   r->status, r->body);
    fa_http_response_free(r);
    fa_seen_token(value);
    FA_CHECK(fa_signed_by(value, fresh), "a new session is not signed with the first (new) secret");
    FA_CHECK(!fa_signed_by(value, old), "a new session verifies under the old secret alone");
    fa_fcgi_request_t verify_new = {.path = "/v1/auth/verify", .bearer = value};
    r = fa_instance_request(&in, &verify_new);
    FA_CHECK(r->status == 200, "new,old instance verifying its own session: %ld", r->status);
    fa_http_response_free(r);
    /* The running service (old secret only) refuses it without a lookup. */
    r = fa_bearer_request("GET", "/v1/auth/verify", value, NULL);
    FA_CHECK(r->status == 401, "old-secret service accepted a new-secret session: %ld", r->status);
    fa_http_response_free(r);

    fa_instance_stop(&in);
    free(value), free(body), free(gh), free(secret_env), free(fresh);
    for (size_t i = 0; i < n; i++)
        free(old_secrets[i]);
    fa_id_user_free(&u);
}

/* ---- dropping the secret that sealed the signing key (issue 13) -------- */

/* kid of the token in a POST /v1/auth/token answer (malloc'd), NULL if none. */
static char *fa_token_kid_of(const fa_http_response_t *r)
{
    char *token = r->status == 200 ? fa_http_json_string(r, "token") : NULL;
    const char *dot = token ? strchr(token, '.') : NULL;
    char *kid = NULL;
    if (dot) {
        fa_arena_t *arena = fa_arena_create(4096);
        size_t len;
        uint8_t *h =
            fa_base64url_decode_arena(arena, (fa_str_t){token, (size_t)(dot - token)}, &len);
        json_t *header = h ? json_loadb((const char *)h, len, 0, NULL) : NULL;
        const char *v = json_string_value(json_object_get(header, "kid"));
        kid = v ? fa_xstrdup(v) : NULL;
        json_decref(header);
        fa_arena_destroy(arena);
    }
    free(token);
    return kid;
}

/* The running service's current JWT kid (it creates the key if needed). */
static char *fa_service_kid(const char *session)
{
    fa_http_response_t *r =
        fa_id_post_json("/v1/auth/token", session, "{\"audience\":\"api.test\"}");
    char *kid = fa_token_kid_of(r);
    fa_http_response_free(r);
    return kid;
}

static void test_secret_dropped_signing_key(void)
{
    fa_id_user_t u;
    fa_id_user_new(&u, "dropsecret");
    char *old_kid = fa_service_kid(u.session);
    FA_CHECK_FATAL(old_kid != NULL, "the running service issues no token");
    /* A secret list without the one that sealed the current key. */
    char *random = fa_random_b64url();
    char *secret_env = fa_xasprintf("FOUNDRY_AUTH_SECRET=%s", random);
    const char *overrides[] = {secret_env, "BETTER_AUTH_SECRET", NULL};
    fa_instance_t in;
    bool up = fa_instance_start(&in, "dropped", overrides);
    FA_CHECK_FATAL(up, "instance without the old secret did not start (log %s)", in.log);

    fa_fcgi_request_t ready = {.path = "/readyz"};
    fa_http_response_t *r = fa_instance_request(&in, &ready);
    FA_CHECK(r->status == 200, "readyz of the instance that replaced its key: %ld %.200s",
             r->status, r->body);
    fa_http_response_free(r);
    /* A session of the instance's own: sessions are signed with the secrets
     * too, so the running service's would not verify here. */
    char *gh = fa_emulator_issue_token(u.login, "read:user");
    FA_CHECK_FATAL(gh != NULL, "emulator token for %s", u.login);
    char *boot_body = fa_xasprintf("{\"githubToken\":\"%s\"}", gh);
    fa_fcgi_request_t boot = {
        .method = "POST", .path = "/v1/auth/dev/bootstrap", .body = boot_body};
    r = fa_instance_request(&in, &boot);
    char *session = fa_set_cookie_value(r, fa_session_cookie_name());
    FA_CHECK_FATAL(r->status == 200 && session, "dev bootstrap on the instance: %ld %.200s",
                   r->status, r->body);
    fa_http_response_free(r);
    fa_seen_token(session);
    fa_fcgi_request_t token = {.method = "POST",
                               .path = "/v1/auth/token",
                               .bearer = session,
                               .body = "{\"audience\":\"api.test\"}"};
    r = fa_instance_request(&in, &token);
    char *new_kid = fa_token_kid_of(r);
    FA_CHECK(new_kid && strcmp(new_kid, old_kid) != 0,
             "token from an instance whose secrets do not open key %s: %ld %.200s", old_kid,
             r->status, r->body);
    fa_http_response_free(r);
    fa_fcgi_request_t jwks = {.path = "/.well-known/jwks.json"};
    r = fa_instance_request(&in, &jwks);
    FA_CHECK(r->status == 200 && strstr(r->body, old_kid) == NULL &&
                 (!new_kid || strstr(r->body, new_kid)),
             "the instance's JWKS must list the new key and not the unusable %s: %ld %.400s",
             old_kid, r->status, r->body);
    fa_http_response_free(r);
    char *log = fa_file_read(in.log, NULL);
    FA_CHECK(log && strstr(log, old_kid) &&
                 strstr(log, "does not open with the configured secrets (was the secret that "
                             "sealed it removed from FOUNDRY_AUTH_SECRET?)"),
             "the instance's log does not say why it replaced %s: %s", old_kid, in.log);
    FA_CHECK(log && !strstr(log, random), "the instance's log holds its secret");
    free(log);
    fa_instance_stop(&in);

    /* The running service, whose secrets open the old key, keeps it. */
    char *kid_after = fa_service_kid(u.session);
    FA_CHECK(kid_after && strcmp(kid_after, old_kid) == 0,
             "the running service switched from %s to %s, a key it cannot open", old_kid,
             kid_after ? kid_after : "(none)");
    if (new_kid)
        fa_sql_exec("DELETE FROM signing_keys WHERE kid = $1", new_kid, NULL);
    free(kid_after), free(new_kid), free(secret_env), free(random), free(old_kid);
    free(session), free(boot_body), free(gh);
    fa_id_user_free(&u);
}

/* No usable key and none can be made (a read-only database): not ready. */
static void test_readyz_without_signing_key(void)
{
    char *db = fa_envfile_get("DATABASE_URL");
    FA_CHECK_FATAL(db != NULL && strchr(db, '=') != NULL,
                   "DATABASE_URL is not a key=value conninfo: %s", db ? db : "(none)");
    char *db_env =
        fa_xasprintf("DATABASE_URL=%s options='-c default_transaction_read_only=on'", db);
    char *random = fa_random_b64url();
    char *secret_env = fa_xasprintf("FOUNDRY_AUTH_SECRET=%s", random);
    const char *overrides[] = {secret_env, db_env, "BETTER_AUTH_SECRET", NULL};
    fa_instance_t in;
    bool up = fa_instance_start(&in, "readonly", overrides);
    FA_CHECK_FATAL(up, "read-only instance did not start (log %s)", in.log);
    fa_fcgi_request_t ready = {.path = "/readyz"};
    fa_http_response_t *r = fa_instance_request(&in, &ready);
    FA_CHECK_JSON_ERROR(r, 503, "signing_key_unavailable",
                        "readyz with no key that opens and a read-only database");
    fa_http_response_free(r);
    fa_instance_stop(&in);
    free(secret_env), free(random), free(db_env), free(db);
}

/* ---- resealing after a rotation (issue 13) ------------------------------- */

/* The line of `out` that starts after "ok   " / "FAIL " with name, or NULL. */
static char *fa_check_output_line(const char *out, const char *name)
{
    char *needle = fa_xasprintf(" %s: ", name);
    const char *at = strstr(out, needle);
    free(needle);
    if (!at)
        return NULL;
    while (at > out && at[-1] != '\n')
        at--;
    return strndup(at, strcspn(at, "\n"));
}

static char *fa_cli_secrets(const char *const *args, const char *secrets, int *rc)
{
    char *env = fa_xasprintf("FOUNDRY_AUTH_SECRET=%s", secrets);
    const char *overrides[] = {env, "BETTER_AUTH_SECRET", NULL};
    fa_run_result_t res;
    fa_id_cli_with(&res, args, overrides);
    *rc = res.exit_code;
    char *out = fa_xasprintf("%s%s", res.out, res.err);
    fa_run_result_free(&res);
    free(env);
    return out;
}

/* The same session (its token part, hence its database row) signed with
 * another secret: what a client of an instance with only that secret would
 * hold had the session been created there. Sessions are signed, not sealed,
 * so this is the one thing resealing does not carry over. */
static char *fa_resign_session(const char *session, const char *secret)
{
    uint8_t key[32], mac[32];
    char sig[64];
    fa_kdf_derive(secret, strlen(secret), FA_KDF_LABEL_SESSION_TOKEN, key, sizeof(key));
    fa_hmac_sha256(key, sizeof(key), session, FA_SIGNED_TOKEN_TOKEN_LEN, mac);
    fa_base64url_encode(mac, sizeof(mac), sig, sizeof(sig));
    return fa_xasprintf("%.*s.%s", FA_SIGNED_TOKEN_TOKEN_LEN, session, sig);
}

/* Stars the starter repo as u through an instance with only secret "B": it
 * needs u's GitHub token, sealed at sign-in, so it answers 200 only when B
 * opens that token. */
static long fa_star_with_only(const char *secret, const fa_id_user_t *u, char **body)
{
    char *env = fa_xasprintf("FOUNDRY_AUTH_SECRET=%s", secret);
    const char *overrides[] = {env, "BETTER_AUTH_SECRET", NULL};
    fa_instance_t in;
    long status = -1;
    *body = NULL;
    if (fa_instance_start(&in, "b-only", overrides)) {
        char *session = fa_resign_session(u->session, secret);
        fa_seen_token(session);
        char *cookie = fa_xasprintf("%s=%s", fa_session_cookie_name(), session);
        free(session);
        char *origin = fa_origin();
        fa_fcgi_request_t star = {.method = "POST",
                                  .path = "/v1/app/onboarding/starter-repo/star",
                                  .cookie = cookie,
                                  .origin = origin,
                                  .body = "{}"};
        fa_http_response_t *r = fa_instance_request(&in, &star);
        status = r->status;
        *body = fa_xstrdup(r->body);
        fa_http_response_free(r);
        free(origin), free(cookie);
    } else {
        *body = fa_xasprintf("instance did not start (log %s)", in.log);
    }
    fa_instance_stop(&in);
    free(env);
    return status;
}

static void fa_relax_scopes(bool relax)
{
    /* Starring needs public_repo, which the default test scopes lack. */
    fa_http_response_t *r = fa_emulator_post("config", relax ? "{\"enforceScopes\":false}"
                                                             : "{\"enforceScopes\":true}");
    FA_CHECK(r->status == 200, "emulator config: %ld %s", r->status, r->body);
    fa_http_response_free(r);
}

/* Sign in under "A"; with "B,A" admin check says A is still needed; `keys
 * reseal` moves everything under B; admin check then says A can go, and an
 * instance with only "B" opens the GitHub token, which it could not before
 * the reseal. Everything is resealed back under A for the running service. */
static void test_reseal_after_rotation(void)
{
    char *old_secrets[4];
    size_t n = fa_id_service_secrets(old_secrets);
    FA_CHECK_FATAL(n >= 1, "cannot read FOUNDRY_AUTH_SECRET from the service env");
    const char *a = old_secrets[0];
    char *random = fa_random_b64url();
    char *b = fa_xasprintf("%s", random) /* base64url of 32 random bytes: a valid key */;
    char *b_a = fa_xasprintf("%s,%s", b, a), *a_b = fa_xasprintf("%s,%s", a, b);
    fa_id_user_t u;
    fa_id_user_new(&u, "reseal");
    FA_CHECK_FATAL(fa_sql_int("SELECT count(*) FROM accounts WHERE user_id = $1 "
                              "AND access_token_enc IS NOT NULL",
                              u.id_text, NULL) == 1,
                   "no sealed GitHub token for %s", u.login);
    fa_relax_scopes(true);

    int rc;
    const char *check[] = {"admin", "check", NULL};
    const char *reseal[] = {"keys", "reseal", NULL};
    char *out = fa_cli_secrets(check, b_a, &rc);
    char *line = fa_check_output_line(out, "secret 2 of FOUNDRY_AUTH_SECRET");
    FA_CHECK(line && strstr(line, "still needed") && !strstr(line, " 0 sealed"),
             "admin check with B,A before reseal: %s", out);
    FA_CHECK(strstr(out, a) == NULL && strstr(out, b) == NULL, "admin check printed a secret");
    free(line), free(out);

    /* Control: without the reseal, "B" alone cannot open the token. */
    char *body;
    long status = fa_star_with_only(b, &u, &body);
    FA_CHECK(status == 502 && strstr(body, "github_failed"),
             "star through a B-only instance before reseal: %ld %s", status, body);
    free(body);

    out = fa_cli_secrets(reseal, b_a, &rc);
    FA_CHECK(rc == 0 && strstr(out, "resealed\t") && !strstr(out, "resealed\t0\n"),
             "keys reseal with B,A: exit %d: %s", rc, out);
    line = fa_check_output_line(out, "secret 2 of FOUNDRY_AUTH_SECRET");
    FA_CHECK(line && strstr(line, ": 0 sealed value(s); it can be dropped"),
             "keys reseal's report: %s", out);
    free(line), free(out);
    /* Idempotent: a second run rewrites nothing. */
    out = fa_cli_secrets(reseal, b_a, &rc);
    FA_CHECK(rc == 0 && strstr(out, "resealed\t0\n"), "second keys reseal: exit %d: %s", rc, out);
    free(out);
    out = fa_cli_secrets(check, b_a, &rc);
    line = fa_check_output_line(out, "secret 2 of FOUNDRY_AUTH_SECRET");
    FA_CHECK(line && strstr(line, ": 0 sealed value(s); it can be dropped"),
             "admin check with B,A after reseal: %s", out);
    free(line), free(out);

    status = fa_star_with_only(b, &u, &body);
    FA_CHECK(status == 200 && strstr(body, "starred"),
             "star through a B-only instance after reseal: %ld %s", status, body);
    free(body);

    /* Back under A, which the running service (and later suites) use. */
    out = fa_cli_secrets(reseal, a_b, &rc);
    FA_CHECK(rc == 0, "keys reseal back under A: exit %d: %s", rc, out);
    free(out);
    out = fa_cli_secrets(check, a_b, &rc);
    line = fa_check_output_line(out, "secret 2 of FOUNDRY_AUTH_SECRET");
    FA_CHECK(line && strstr(line, ": 0 sealed value(s); it can be dropped"),
             "admin check with A,B after resealing back: %s", out);
    free(line), free(out);
    fa_relax_scopes(false);

    fa_id_user_free(&u);
    free(a_b), free(b_a), free(b), free(random);
    for (size_t i = 0; i < n; i++)
        free(old_secrets[i]);
}

/* ---- the cookie cache ---------------------------------------------------- */

#define FA_CACHE_APP "fa_cookie_cache_test"

static long long fa_statements_since(const char *t0)
{
    return fa_sql_int("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 "
                      "AND (state_change >= $2::timestamptz OR query_start >= $2::timestamptz)",
                      FA_CACHE_APP, t0, NULL);
}

/* The instance with the cache on is the fixture of its own suite: started in
 * init, stopped in cleanup. A failed fatal check ends the test on the spot;
 * cleanup still runs, so no second `serve` outlives the run. */
static fa_instance_t fa_cache_instance;

static int fa_cookie_cache_cleanup(void)
{
    fa_instance_stop(&fa_cache_instance); /* also after a partial start */
    return 0;
}

/* CUnit skips a suite's cleanup when its init fails: a failed init cleans up
 * itself. */
static int fa_cookie_cache_init(void)
{
    char *db = fa_envfile_get("DATABASE_URL");
    if (db == NULL || strchr(db, '=') == NULL) {
        fprintf(stderr, "cookie cache suite: DATABASE_URL is not a key=value conninfo: %s\n",
                db ? db : "(none)");
        free(db);
        return 1;
    }
    char *db_env = fa_xasprintf("DATABASE_URL=%s application_name=%s", db, FA_CACHE_APP);
    const char *overrides[] = {db_env, "FOUNDRY_COOKIE_CACHE_MAX_AGE=60", NULL};
    bool up = fa_instance_start(&fa_cache_instance, "cookie-cache", overrides);
    if (!up) {
        fprintf(stderr, "cookie cache suite: the instance with the cache did not start (log %s)\n",
                fa_cache_instance.log);
        fa_cookie_cache_cleanup();
    }
    free(db_env), free(db);
    return up ? 0 : 1;
}

static void test_cookie_cache(void)
{
    const fa_instance_t *in = &fa_cache_instance;

    fa_id_user_t u;
    fa_id_user_new(&u, "cache");
    const char *name = fa_session_cookie_name();
    char *cookie = fa_xasprintf("%s=%s", name, u.session);
    fa_fcgi_request_t first = {.path = "/v1/auth/verify", .cookie = cookie};
    fa_http_response_t *r = fa_instance_request(in, &first);
    char *cache_name = fa_xasprintf("%s_cache", name);
    char *cache = fa_set_cookie_value(r, cache_name);
    const char *set = fa_set_cookie_header(r, cache_name);
    FA_CHECK_FATAL(r->status == 200 && cache,
                   "first verify with the cache on: %ld, cache cookie %s", r->status,
                   cache ? "set" : "missing");
    FA_CHECK(fa_set_cookie_has(set, "HttpOnly") && fa_set_cookie_has(set, "Max-Age=60"),
             "cache cookie attributes: %s", set);
    FA_CHECK(strstr(cache, u.session) == NULL, "the cache cookie holds the session token");
    fa_http_response_free(r);

    /* The instance's connection exists (so "no statement" means something). */
    FA_CHECK_FATAL(fa_sql_int("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
                              FA_CACHE_APP, NULL) >= 1,
                   "no connection named %s in pg_stat_activity", FA_CACHE_APP);
    char *t0 = fa_sql_text("SELECT clock_timestamp()::text", NULL);
    char *both = fa_xasprintf("%s; %s=%s", cookie, cache_name, cache);
    fa_fcgi_request_t cached = {.path = "/v1/auth/verify", .cookie = both};
    int ok = 0;
    for (int i = 0; i < 50; i++) {
        r = fa_instance_request(in, &cached);
        const char *uid = fa_http_header(r, "X-Auth-User-Id");
        ok += r->status == 200 && uid && strcmp(uid, u.id_text) == 0;
        fa_http_response_free(r);
    }
    FA_CHECK(ok == 50, "%d of 50 cached verifies answered 200 with the user", ok);
    long long during = fa_statements_since(t0);
    FA_CHECK(during == 0, "50 verifies within max-age ran %lld statement(s) on the database",
             during);
    /* Control: without the cache cookie the same instance does query. */
    r = fa_instance_request(in, &first);
    FA_CHECK(r->status == 200, "verify without the cache cookie: %ld", r->status);
    fa_http_response_free(r);
    FA_CHECK(fa_statements_since(t0) >= 1,
             "a database lookup is not visible in pg_stat_activity: the measure proves nothing");

    /* Another session's token with this cache cookie: refused (binding). */
    fa_http_jar_t *jar2;
    char *other = fa_id_user_second_session(&u, &jar2);
    char *mixed = fa_xasprintf("%s=%s; %s=%s", name, other, cache_name, cache);
    fa_fcgi_request_t swapped = {.path = "/v1/auth/session", .cookie = mixed};
    r = fa_instance_request(in, &swapped);
    json_t *j = fa_http_json(r);
    const char *sid_seen = json_string_value(json_object_get(json_object_get(j, "session"), "id"));
    char *other_sid = fa_session_id_of(other);
    FA_CHECK(r->status == 200 && sid_seen && other_sid && strcmp(sid_seen, other_sid) == 0,
             "another session's cookie with this cache: expected its own session %s, got %s",
             other_sid ? other_sid : "?", sid_seen ? sid_seen : "(none)");
    json_decref(j);
    fa_http_response_free(r);

    /* Revoke the session (through the running service). */
    r = fa_bearer_request("POST", "/v1/auth/sign-out", u.session, "{}");
    FA_CHECK(r->status == 204, "sign-out: %ld", r->status);
    fa_http_response_free(r);
    /* The documented window: a read with a fresh cache cookie still passes. */
    r = fa_instance_request(in, &cached);
    FA_CHECK(r->status == 200,
             "cached verify inside the window after revocation: %ld (the README "
             "documents up to max-age)",
             r->status);
    fa_http_response_free(r);
    /* But never a mutation: it always asks the database. */
    char *origin = fa_origin();
    fa_fcgi_request_t mutation = {.method = "POST",
                                  .path = "/v1/auth/sign-out-all",
                                  .cookie = both,
                                  .origin = origin,
                                  .body = "{}"};
    r = fa_instance_request(in, &mutation);
    FA_CHECK_JSON_ERROR(r, 401, "session_revoked",
                        "a mutation with a revoked session and a cache cookie");
    fa_http_response_free(r);
    /* Nor a token, nor a bearer caller: neither uses the cache. */
    fa_fcgi_request_t token = {.method = "POST",
                               .path = "/v1/auth/token",
                               .cookie = both,
                               .origin = origin,
                               .body = "{\"audience\":\"api.test\"}"};
    r = fa_instance_request(in, &token);
    FA_CHECK(r->status == 401, "a JWT for a revoked session via the cache: %ld", r->status);
    fa_http_response_free(r);
    char *cache_cookie = fa_xasprintf("%s=%s", cache_name, cache);
    fa_fcgi_request_t bearer = {
        .path = "/v1/auth/verify", .bearer = u.session, .cookie = cache_cookie};
    r = fa_instance_request(in, &bearer);
    FA_CHECK(r->status == 401, "a bearer caller with a cache cookie after revocation: %ld",
             r->status);
    fa_http_response_free(r);
    /* The session still alive is unaffected. */
    fa_fcgi_request_t alive = {.path = "/v1/auth/verify", .bearer = other};
    r = fa_instance_request(in, &alive);
    FA_CHECK(r->status == 200, "the other session: %ld", r->status);
    fa_http_response_free(r);

    free(cache_cookie), free(origin), free(other_sid), free(mixed), free(other), free(both);
    free(t0), free(cache), free(cache_name), free(cookie);
    fa_http_jar_free(jar2);
    fa_id_user_free(&u);
}

/* Off by default: the running service sets no cache cookie. */
static void test_cookie_cache_off_by_default(void)
{
    fa_id_user_t u;
    fa_id_user_new(&u, "nocache");
    fa_http_response_t *r = fa_browser_request("GET", "/v1/auth/verify", u.jar, NULL, NULL, NULL);
    FA_CHECK(r->status == 200 && fa_set_cookie_header(r, "foundry_session_cache") == NULL &&
                 fa_set_cookie_header(r, "__Host-foundry_session_cache") == NULL,
             "verify with the cache off: %ld, cache cookie set", r->status);
    fa_http_response_free(r);
    fa_id_user_free(&u);
}

void fa_register_secrets_suite(void)
{
    CU_pSuite s = fa_suite_add("secrets", NULL, NULL);
    fa_test_add(s, "secret rotation: new signs, old still verifies", test_secret_rotation);
    fa_test_add(s, "the secret that sealed the signing key dropped: a new key signs",
                test_secret_dropped_signing_key);
    fa_test_add(s, "readyz: no usable signing key", test_readyz_without_signing_key);
    fa_test_add(s, "keys reseal: after it admin check says the old secret can go",
                test_reseal_after_rotation);
    fa_test_add(s, "cookie cache off by default", test_cookie_cache_off_by_default);
    /* Its own suite: the second instance is the suite's fixture. */
    CU_pSuite cache =
        fa_suite_add("secrets: cookie cache", fa_cookie_cache_init, fa_cookie_cache_cleanup);
    fa_test_add(cache, "cookie cache: no database within max-age, mutations still checked",
                test_cookie_cache);
}
