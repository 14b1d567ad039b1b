/* Signing in from the outside, the way a browser does it, and the bookkeeping
 * the auth, sessions and revocation suites share: row counts, emulator call
 * counts and faults, requests carrying a session, and a record of every
 * session token and response body seen, so a suite can prove no body ever
 * carried a token.
 *
 * Conventions are the harness's (harness.h): responses are never NULL,
 * strings returned are malloc'd, assertions are left to the caller. Every
 * response these helpers fetch is recorded with fa_seen_response. */
#ifndef FA_INTEGRATION_SIGNIN_HELPERS_H
#define FA_INTEGRATION_SIGNIN_HELPERS_H

#include <stdbool.h>
#include <stddef.h>

#include "harness.h"

/* ---- the browser sign-in dance -------------------------------------- */

typedef struct {
    fa_http_response_t *start;     /* GET /v1/auth/github/start */
    fa_http_response_t *authorize; /* GET of start's Location at the emulator */
    fa_http_response_t *callback;  /* GET of the emulator's Location at our callback */
    char *authorize_url;           /* start's Location */
    char *callback_url;            /* the emulator's Location (code and state in it) */
    char *state;                   /* decoded from authorize_url */
    char *code;                    /* decoded from callback_url; NULL when GitHub sent an error */
    char *binding;                 /* the browser-binding cookie value after start */
    char *location;                /* callback's Location */
    char *session;                 /* session cookie value set by the callback, NULL if none */
} fa_signin_result_t;

/* Start + authorize: GETs /v1/auth/github/start (returnTo percent-encoded
 * from the raw value; NULL = no returnTo) with jar, then the authorize URL at
 * the emulator with login= appended (NULL = the emulator's default user).
 * True when both answered 302 and callback_url, state and code are set. */
bool fa_signin_begin(fa_http_jar_t *jar, const char *login, const char *return_to,
                     fa_signin_result_t *out);
/* GET callback_url with jar and extra headers (NULL-terminated or NULL);
 * timeout_ms 0 = 15 s. */
fa_http_response_t *fa_signin_callback(fa_http_jar_t *jar, const char *callback_url,
                                       const char *const *headers, long timeout_ms);
/* The callback step of out (begun by fa_signin_begin): sets callback,
 * location and session. True when the callback set a session cookie. */
bool fa_signin_finish(fa_http_jar_t *jar, fa_signin_result_t *out, long timeout_ms);
/* fa_signin_begin + fa_signin_finish. */
bool fa_signin_browser(fa_http_jar_t *jar, const char *login, const char *return_to,
                       fa_signin_result_t *out);
/* A one-line account of out for failure messages (static buffer, not thread-safe). */
const char *fa_signin_describe(const fa_signin_result_t *out);
void fa_signin_result_free(fa_signin_result_t *r);

/* ---- URLs, cookies, origins ------------------------------------------ */

/* Decoded value of query parameter name in url, NULL when absent. */
char *fa_url_param(const char *url, const char *name);
/* "foundry_session", or "__Host-foundry_session" when FA_TEST_URL is https. */
const char *fa_session_cookie_name(void);
const char *fa_binding_cookie_name(void);
/* The Set-Cookie header of res that sets cookie name (NULL when none). */
const char *fa_set_cookie_header(const fa_http_response_t *res, const char *name);
/* Value set for cookie name by res, malloc'd; NULL when no Set-Cookie for it. */
char *fa_set_cookie_value(const fa_http_response_t *res, const char *name);
/* True when the Set-Cookie line has attribute attr (case-insensitive; "Path=/"
 * compares name and value). */
bool fa_set_cookie_has(const char *set_cookie, const char *attr);
/* Origin (scheme://host[:port]) of FA_TEST_URL, malloc'd. */
char *fa_test_origin(void);
/* authError value of a redirect Location to the sign-in page, NULL when
 * location is not the sign-in page. */
char *fa_auth_error_of(const char *location);
/* True when location stays on our origin: a path "/x" (not "//" or "/\"),
 * or an absolute URL whose origin is FA_TEST_URL's. */
bool fa_location_is_local(const char *location);
/* Location with FA_TEST_URL's origin stripped (malloc'd), for comparing with
 * a path. */
char *fa_location_path(const char *location);

/* ---- requests carrying a session ------------------------------------- */

/* With "Authorization: Bearer <token>" (token NULL = none); a POST body also
 * gets Content-Type: application/json. */
fa_http_response_t *fa_bearer_request(const char *method, const char *path, const char *token,
                                      const char *body);
/* Cookie-authenticated through jar; origin / content_type NULL = header not sent. */
fa_http_response_t *fa_browser_request(const char *method, const char *path, fa_http_jar_t *jar,
                                       const char *origin, const char *content_type,
                                       const char *body);
/* Public session id of token via GET /v1/auth/session, NULL when not 200. */
char *fa_session_id_of(const char *token);
/* A well-formed random "token.sig" the service never issued. */
char *fa_random_session_value(void);
/* A random 43-char base64url value (like a state or binding). */
char *fa_random_b64url(void);

/* ---- database -------------------------------------------------------- */

/* Rows of table for one user (users: by id; others: by user_id). table must
 * be one of users, accounts, user_profiles, sessions, session_index,
 * session_state, jobs, verification, audit_events, organization_members. */
long long fa_count_for_user(const char *table, const char *user_id);
/* Every row of table (same list). */
long long fa_count_all(const char *table);

typedef struct {
    long long users, accounts, profiles, sessions, session_index, session_state;
} fa_row_counts_t;
void fa_row_counts(fa_row_counts_t *out);
/* True when a and b are equal; otherwise why names the first difference. */
bool fa_row_counts_equal(const fa_row_counts_t *a, const fa_row_counts_t *b, char *why,
                         size_t why_len);

/* Orphans in the session tables: index rows without a session, sessions
 * without an index row, sessions without a state row. */
typedef struct {
    long long index_without_session, session_without_index, session_without_state;
} fa_orphans_t;
void fa_orphans_count(fa_orphans_t *out);

/* lower-case hex SHA-256 of s: the verification identifier of a state. */
void fa_sha256_hex(const char *s, char out[65]);

/* ---- GitHub emulator ------------------------------------------------- */

/* counts[endpoint] from GET /_emulator/calls (0 when absent, -1 on error). */
long fa_emulator_calls(const char *endpoint);
void fa_emulator_clear_calls(void);
/* DELETE /_emulator/faults; true on 2xx. */
bool fa_emulator_clear_faults(void);
/* POST /_emulator/faults with json; true on 2xx. */
bool fa_emulator_arm_fault(const char *json);
/* POST /_emulator/users: add or replace (same id) a user with a public
 * verified email; true on 2xx. */
bool fa_emulator_put_user(long long id, const char *login);
/* POST /_emulator/tokens/issue for login: the access token, NULL on error. */
char *fa_emulator_issue_token(const char *login, const char *scope);
/* An id no fixture and no earlier run of this test database uses. */
long long fa_fresh_user_id(void);
/* FOUNDRY_GITHUB_TIMEOUT_MS of the running service (5000 when unset). */
long fa_service_github_timeout_ms(void);

/* ---- leak bookkeeping (thread-safe) ---------------------------------- */

/* Remembers a session token value (and its part before the '.'). */
void fa_seen_token(const char *token);
/* Remembers res's body (no-op for an empty body). */
void fa_seen_response(const fa_http_response_t *res);
/* How many remembered bodies contain a remembered token; why describes the
 * first. */
size_t fa_seen_leaks(char *why, size_t why_len);
size_t fa_seen_token_count(void);
size_t fa_seen_body_count(void);

/* Remembers another secret a suite saw (an OAuth code or state, a binding
 * cookie, a GitHub access token, an admin token) for the log audit; values
 * shorter than 8 characters are ignored (they would match by chance). */
void fa_seen_secret(const char *kind, const char *value);
typedef struct {
    const char *kind; /* "session", "code", "state", ... */
    char *value;
} fa_seen_secret_t;
/* A copy of every remembered token and secret (tokens as kind "session");
 * release with fa_seen_secrets_free. */
size_t fa_seen_secrets(fa_seen_secret_t **out);
void fa_seen_secrets_free(fa_seen_secret_t *v, size_t n);

#endif
