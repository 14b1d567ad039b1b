/* The hostile-input suite's shared state and verdicts (test_hostile.c,
 * test_hostile_raw.c). Conventions are the harness's. */
#ifndef FA_INTEGRATION_HOSTILE_H
#define FA_INTEGRATION_HOSTILE_H

#include <stdbool.h>
#include <stddef.h>

#include "faults.h"
#include "harness.h"
#include "identity_helpers.h"

typedef struct {
    fa_id_user_t user; /* a signed-in user the payloads are aimed at */
    char *admin;       /* a live admin token */
    pid_t worker_pids[FA_MAX_WORKERS];
    size_t workers;
    long requests, status_4xx, redirects, status_5xx; /* what came back */
    long long starts; /* hostile starts that went on to GitHub (each writes a verification row) */
} fa_hostile_t;

extern fa_hostile_t fa_h;

/* Signs the user in and gets an admin token, once per run. */
void fa_h_setup(void);
/* CUnit check: a 4xx with a JSON {"error","message"} body. Counted. */
void fa_h_expect_4xx(const fa_http_response_t *r, const char *what);
/* CUnit check for a browser route: a 4xx JSON error, a redirect to the
 * sign-in page with authError, or (may_start) on to GitHub with a local
 * returnTo stored for the state. Counted. */
void fa_h_expect_browser(const fa_http_response_t *r, const char *what, bool may_start);
/* now() of the database (malloc'd), for fa_h_expect_no_writes. */
char *fa_h_mark(void);
/* CUnit check: no users, sessions, session_index or audit_events row written
 * since `since`, no verification row used, and exactly `starts` created. */
void fa_h_expect_no_writes(const char *since, const char *what, long long starts);
/* One request with an optional bearer token, Content-Type and body
 * (body_len 0 = strlen). */
fa_http_response_t *fa_h_send(const char *method, const char *path, const char *bearer,
                              const char *content_type, const char *body, size_t body_len);

/* test_hostile_raw.c */
void fa_hostile_raw_json_bodies(void);
void fa_hostile_add_raw_tests(CU_pSuite suite);

#endif
