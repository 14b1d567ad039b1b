/* Helpers the tokens, admin, secrets and protect suites share: a fresh
 * signed-in user, the operator CLI run with the service's environment, a
 * second service instance on its own socket driven with Debian's cgi-fcgi
 * (for settings the running service does not have: another secret list, the
 * cookie cache), and requests carrying JSON.
 *
 * Conventions are the harness's: strings returned are malloc'd, responses
 * never NULL, assertions left to the caller unless a helper says FATAL. */
#ifndef FA_INTEGRATION_IDENTITY_HELPERS_H
#define FA_INTEGRATION_IDENTITY_HELPERS_H

#include <stdbool.h>
#include <sys/types.h>

#include "harness.h"

/* ---- users ----------------------------------------------------------- */

typedef struct {
    long long id;
    char id_text[24];
    char login[48];
    char *session; /* session value (cookie / bearer), malloc'd */
    fa_http_jar_t *jar;
} fa_id_user_t;

/* A new emulator user (fresh id, login "<prefix>-<id>") signed in through the
 * browser flow with its own jar. Fatal (CUnit) on failure. */
void fa_id_user_new(fa_id_user_t *u, const char *prefix);
/* Another session for the same user (a second browser). */
char *fa_id_user_second_session(fa_id_user_t *u, fa_http_jar_t **jar);
void fa_id_user_free(fa_id_user_t *u);

/* POST path with a JSON body (Content-Type set), optional bearer token. */
fa_http_response_t *fa_id_post_json(const char *path, const char *bearer, const char *json);

/* ---- the CLI ---------------------------------------------------------- */

/* FA_TEST_BIN with args (NULL-terminated) in the service's environment. */
void fa_id_cli(fa_run_result_t *res, const char *const *args);
/* The same with overrides of that environment ("NAME=value", or "NAME" to
 * unset; NULL-terminated), as fa_instance_start takes them. */
void fa_id_cli_with(fa_run_result_t *res, const char *const *args, const char *const *overrides);

/* FOUNDRY_AUTH_SECRET of the running service split on ','; returns count. */
size_t fa_id_service_secrets(char *out[4]);

/* ---- a second instance ------------------------------------------------ */

typedef struct {
    pid_t pid;
    char *socket;
    char *log;
} fa_instance_t;

/* Starts `FA_TEST_BIN serve` with one worker on its own socket and the
 * service's environment plus overrides; true when the socket accepted. */
bool fa_instance_start(fa_instance_t *in, const char *name, const char *const *overrides);
/* SIGTERM and wait (SIGKILL after 5 s); removes the socket. */
void fa_instance_stop(fa_instance_t *in);

typedef struct {
    const char *method; /* GET when NULL */
    const char *path;   /* DOCUMENT_URI (no query) */
    const char *query;  /* QUERY_STRING or NULL */
    const char *cookie; /* HTTP_COOKIE or NULL */
    const char *bearer; /* Authorization: Bearer ... or NULL */
    const char *origin; /* HTTP_ORIGIN or NULL */
    const char *body;   /* JSON body (Content-Type application/json) or NULL */
} fa_fcgi_request_t;

/* One request straight to the instance's socket with cgi-fcgi; the CGI
 * response is parsed into status, headers and body (status 0 when cgi-fcgi
 * failed, its stderr in body). */
fa_http_response_t *fa_instance_request(const fa_instance_t *in, const fa_fcgi_request_t *req);

/* A free TCP port on 127.0.0.1 (bound and released: small race, tests only). */
int fa_id_free_port(void);

#endif
