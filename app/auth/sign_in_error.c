/* Owns: the authError codes, the table the sign-in page is checked against,
 * the status → authError mapping and the sign-in error URL. Never: a code
 * the page has no message for (test_sign_in_error.c), or a code built from
 * input (the URL does not escape it). */
#include "auth/sign_in_error.h"

#include "github/client.h"

const char fa_sign_in_error_access_denied[] = "access_denied";
const char fa_sign_in_error_invalid_state[] = "invalid_state";
const char fa_sign_in_error_state_expired[] = "state_expired";
const char fa_sign_in_error_state_used[] = "state_used";
const char fa_sign_in_error_browser_mismatch[] = "browser_mismatch";
const char fa_sign_in_error_code_rejected[] = "code_rejected";
const char fa_sign_in_error_github_error[] = "github_error";
const char fa_sign_in_error_github_timeout[] = "github_timeout";
const char fa_sign_in_error_github_rate_limited[] = "github_rate_limited";
const char fa_sign_in_error_service_unavailable[] = "service_unavailable";
const char fa_sign_in_error_server_error[] = "server_error";
const char fa_sign_in_error_service_busy[] = "service_busy";

static const fa_sign_in_error_info_t fa_sign_in_error_table[] = {
    {fa_sign_in_error_access_denied, "GitHub answered the callback with ?error=access_denied: "
                                     "the user did not grant access"},
    {fa_sign_in_error_invalid_state, "the callback's state is malformed or no sign-in started "
                                     "with it"},
    {fa_sign_in_error_state_expired, "the sign-in was not finished within its lifetime "
                                     "(FA_OAUTH_TTL_SECONDS)"},
    {fa_sign_in_error_state_used, "the state was already spent: a duplicate callback after the "
                                  "replay window, or after the first one failed"},
    {fa_sign_in_error_browser_mismatch, "the callback came without the browser-binding cookie "
                                        "of the browser that started the sign-in"},
    {fa_sign_in_error_code_rejected, "GitHub's token endpoint refused the code (expired, "
                                     "already used, wrong client or redirect URI)"},
    {fa_sign_in_error_github_error, "GitHub failed: unavailable, a malformed answer, a refused "
                                    "call, or an ?error= other than access_denied"},
    {fa_sign_in_error_github_timeout, "GitHub did not answer in time"},
    {fa_sign_in_error_github_rate_limited, "GitHub is limiting requests; retryAfter says for "
                                           "how many seconds"},
    {fa_sign_in_error_service_unavailable, "the database is unavailable (also sent by nginx "
                                           "when the service cannot be reached)"},
    {fa_sign_in_error_server_error, "an internal error on our side"},
    {fa_sign_in_error_service_busy, "every sign-in worker is busy and the sign-in queue is full "
                                    "(sent by nginx only, issue 15); nothing was spent, try "
                                    "again in a moment"},
};

const fa_sign_in_error_info_t *fa_sign_in_errors(size_t *count)
{
    *count = sizeof(fa_sign_in_error_table) / sizeof(fa_sign_in_error_table[0]);
    return fa_sign_in_error_table;
}

const char *fa_sign_in_error_for_status(fa_status_t status)
{
    return status == FA_ERR_UNAVAILABLE ? fa_sign_in_error_service_unavailable
                                        : fa_sign_in_error_server_error;
}

const char *fa_sign_in_error_for_github(const fa_error_t *err)
{
    if (fa_error_is(err, fa_github_err_rate_limited))
        return fa_sign_in_error_github_rate_limited;
    if (fa_error_is(err, fa_github_err_timeout))
        return fa_sign_in_error_github_timeout;
    if (fa_error_is(err, fa_github_err_rejected_code))
        return fa_sign_in_error_code_rejected;
    return fa_sign_in_error_github_error;
}

const char *fa_sign_in_error_location(fa_arena_t *arena, const char *sign_in_path, const char *code,
                                      long retry_after)
{
    if (code == fa_sign_in_error_github_rate_limited)
        return fa_arena_sprintf(arena, "%s?authError=%s&retryAfter=%ld", sign_in_path, code,
                                retry_after < 1 ? 1L : retry_after);
    return fa_arena_sprintf(arena, "%s?authError=%s", sign_in_path, code);
}
