/* Owns: the route table (method, pattern, handler, name, flags). */
#include "handlers/routes.h"

#include "handlers/admin.h"
#include "handlers/app.h"
#include "handlers/auth.h"
#include "handlers/authn.h"
#include "handlers/ops.h"
#include "handlers/tokens.h"

#define SESSION FA_ROUTE_SESSION
#define MUTATION FA_ROUTE_MUTATION
#define OPTIONAL FA_ROUTE_OPTIONAL_SESSION
#define CACHE FA_ROUTE_COOKIE_CACHE
#define IDENTITY FA_ROUTE_IDENTITY
#define CALLS_OUT FA_ROUTE_CALLS_OUT
#define AUTH_TIME FA_ROUTE_AUTH_TIME
#define BARE FA_ROUTE_BARE_ERRORS

const fa_route_t fa_routes[] = {
    {"GET", "/healthz", fa_handle_healthz, "healthz", 0},
    {"GET", "/readyz", fa_handle_readyz, "readyz", 0},
    {"GET", "/metrics", fa_handle_metrics, "metrics", 0},
    {"GET", "/v1/auth/github/start", fa_handle_github_start, "auth_github_start", 0},
    {"GET", "/v1/auth/github/callback", fa_handle_github_callback, "auth_github_callback", BARE},
    {"GET", "/v1/auth/session", fa_handle_session, "auth_session", SESSION | CACHE},
    {"GET", "/v1/auth/sessions", fa_handle_sessions_list, "auth_sessions_list", SESSION | IDENTITY},
    {"DELETE", "/v1/auth/sessions/{id}", fa_handle_session_revoke, "auth_sessions_revoke",
     MUTATION},
    {"POST", "/v1/auth/sign-out", fa_handle_sign_out, "auth_sign_out", MUTATION},
    {"POST", "/v1/auth/sign-out-all", fa_handle_sign_out_all, "auth_sign_out_all", MUTATION},
    {"GET", "/v1/auth/verify", fa_handle_verify, "auth_verify", OPTIONAL | CACHE | IDENTITY | BARE},
    {"POST", "/v1/auth/dev/bootstrap", fa_handle_dev_bootstrap, "auth_dev_bootstrap", 0},
    {"POST", "/v1/auth/token", fa_handle_token_issue, "auth_token", SESSION | IDENTITY | AUTH_TIME},
    {"POST", "/v1/auth/token/verify", fa_handle_token_verify, "auth_token_verify", 0},
    {"GET", "/.well-known/jwks.json", fa_handle_jwks, "jwks", 0},
    /* Admin routes authenticate the admin token themselves (handlers/admin.c). */
    {"POST", "/v1/admin/token/rotate", fa_handle_admin_token_rotate, "admin_token_rotate", 0},
    {"GET", "/v1/admin/users", fa_handle_admin_users_search, "admin_users_search", 0},
    {"GET", "/v1/admin/users/{id}/sessions", fa_handle_admin_sessions_list, "admin_sessions_list",
     0},
    {"DELETE", "/v1/admin/users/{id}/sessions", fa_handle_admin_sessions_revoke_all,
     "admin_sessions_revoke_all", 0},
    {"DELETE", "/v1/admin/users/{id}/sessions/{sid}", fa_handle_admin_session_revoke,
     "admin_session_revoke", 0},
    {"PUT", "/v1/admin/users/{id}/role-label", fa_handle_admin_role_label, "admin_role_label", 0},
    {"GET", "/v1/app/snapshot", fa_handle_snapshot, "app_snapshot", 0},
    {"POST", "/v1/app/organizations/select", fa_handle_org_select, "app_org_select", MUTATION},
    {"POST", "/v1/app/organizations/sync", fa_handle_org_sync, "app_org_sync", MUTATION},
    {"POST", "/v1/app/onboarding/starter-repo/star", fa_handle_starter_repo_star,
     "app_starter_repo_star", MUTATION | CALLS_OUT},
    {"POST", "/v1/app/onboarding/starter-repo/skip", fa_handle_starter_repo_skip,
     "app_starter_repo_skip", MUTATION},
};

const size_t fa_route_count = sizeof(fa_routes) / sizeof(fa_routes[0]);
