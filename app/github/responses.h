/* Internal to app/github: GitHub's JSON answers to our structs (jansson), and
 * the checks on values that go back into HTTP headers. The parsers never
 * copy input text into an error, so a token in a malformed body cannot leak
 * into a log. fa_github_parse_tokens is declared in github/client.h. */
#ifndef FA_GITHUB_RESPONSES_H
#define FA_GITHUB_RESPONSES_H

#include <stdbool.h>

#include "core/str.h"
#include "github/client.h"

/* RFC 6750 b64token, 1..FA_GITHUB_MAX_TOKEN bytes: safe in an Authorization
 * header (no space, no CR/LF). */
#define FA_GITHUB_MAX_TOKEN 1024
bool fa_github_token_valid(const char *token);

/* GitHub's login syntax: letters, digits, single hyphens (not first or last),
 * 1..FA_GITHUB_MAX_LOGIN bytes, optionally "_shortcode" (Enterprise Managed
 * Users; 1..FA_GITHUB_MAX_LOGIN letters and digits). Implies header-safe. */
#define FA_GITHUB_MAX_LOGIN 39
bool fa_github_login_valid(const char *s, size_t len);
/* Well-formed UTF-8, no C0/DEL/C1 control character, at most max bytes. */
bool fa_github_text_valid(const char *s, size_t len, size_t max);

/* Every string in *out is checked: login by fa_github_login_valid; name (255
 * bytes), email (320) and avatar_url (2048, http(s) or
 * data:image only) by
 * fa_github_text_valid. A value that fails refuses the whole answer, with
 * the field's name (never its value) in err->detail. */
fa_status_t fa_github_parse_user(fa_arena_t *arena, fa_str_t body, fa_github_user_t *out,
                                 fa_error_t *err);

/* The primary entry of a /user/emails array; *email NULL when none. */
fa_status_t fa_github_parse_primary_email(fa_arena_t *arena, fa_str_t body, char **email,
                                          bool *verified, fa_error_t *err);

/* Organizations collected over pages, in first-seen order, without repeats. */
typedef struct {
    fa_github_org_t *items;
    size_t count;
    size_t cap;
} fa_github_org_list_t;

/* Appends the orgs of one /user/orgs page, skipping ids already in list. On
 * failure list may hold part of the page; the caller discards it. */
fa_status_t fa_github_parse_orgs_page(fa_arena_t *arena, fa_str_t body, fa_github_org_list_t *list,
                                      fa_error_t *err);

/* Fills err with github_bad_response and a log-only detail (no input text). */
fa_status_t fa_github_bad_response(fa_error_t *err, const char *detail);

#endif
