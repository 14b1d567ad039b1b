/* Fuzz target for GitHub's JSON answers as the boundary validates them
 * (issue 12): the token answer, /user, /user/emails and one /user/orgs page.
 * The first byte picks the parser (modulo 4: tokens, user, emails, orgs),
 * the rest is the body. fuzz_github_link checks the parsers' shapes; this one
 * checks what an accepted value may contain, since every one of them ends up
 * in a header, a column or a snapshot. Invariants (abort on violation):
 *  - a login (user or org) has GitHub's login syntax and is a valid header
 *    value (it goes out in X-Auth-User-Login);
 *  - every other string handed back is valid UTF-8 without a control
 *    character and within its bound; avatar URLs are http(s) or data:image;
 *  - tokens are header-safe, lifetimes non-negative;
 *  - a refusal is github_bad_response (or github_rejected_code for a token
 *    error) whose detail is one of the parser's fixed texts: it never holds
 *    input. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/str.h"
#include "github/client.h"
#include "github/responses.h"
#include "http/response.h"
#include "fuzz_check.h"

static void check_login(const char *login)
{
    CHECK(login && fa_github_login_valid(login, strlen(login)));
    CHECK(fa_response_header_value_valid(login));
    CHECK(fa_utf8_valid(login, strlen(login)));
}

/* NULL is allowed for the optional fields. */
static void check_text(const char *s, size_t max)
{
    if (!s)
        return;
    size_t len = strlen(s);
    CHECK(len <= max && fa_utf8_valid(s, len));
    for (size_t i = 0; i < len; i++)
        CHECK((unsigned char)s[i] >= 0x20 && (unsigned char)s[i] != 0x7F);
    CHECK(fa_github_text_valid(s, len, max));
}

static void check_url(const char *s)
{
    check_text(s, 2048);
    if (s)
        CHECK(strncasecmp(s, "http://", 7) == 0 || strncasecmp(s, "https://", 8) == 0 ||
              strncasecmp(s, "data:image/", 11) == 0);
}

/* Refusals say which field, in a fixed text of the parser: short, printable,
 * and starting with the answer's name. */
static void check_refusal(fa_status_t st, const fa_error_t *err, const char *prefix)
{
    CHECK(st == FA_ERR_UPSTREAM && err->code && err->detail);
    CHECK(strcmp(err->code, "github_bad_response") == 0 ||
          strcmp(err->code, "github_rejected_code") == 0);
    if (strcmp(err->code, "github_bad_response") == 0)
        CHECK(strncmp(err->detail, prefix, strlen(prefix)) == 0 && strlen(err->detail) < 80);
    check_text(err->detail, 80);
}

static void fuzz_tokens(fa_arena_t *arena, fa_str_t in)
{
    fa_github_tokens_t t;
    fa_error_t err = {0};
    fa_status_t st = fa_github_parse_tokens(arena, in.ptr, in.len, &t, &err);
    if (st != FA_OK) {
        check_refusal(st, &err, "token answer ");
        CHECK(t.access_token == NULL);
        return;
    }
    CHECK(fa_github_token_valid(t.access_token) && fa_response_header_value_valid(t.access_token));
    CHECK(!t.refresh_token || fa_github_token_valid(t.refresh_token));
    CHECK(t.scope);
    check_text(t.scope, 1024);
    CHECK(t.expires_in >= 0 && t.refresh_token_expires_in >= 0);
}

static void fuzz_user(fa_arena_t *arena, fa_str_t in)
{
    fa_github_user_t u;
    fa_error_t err = {0};
    fa_status_t st = fa_github_parse_user(arena, in, &u, &err);
    if (st != FA_OK) {
        check_refusal(st, &err, "/user answer ");
        CHECK(u.login == NULL);
        return;
    }
    CHECK(u.id > 0);
    check_login(u.login);
    check_text(u.name, 255);
    check_text(u.email, 320);
    check_url(u.avatar_url);
}

static void fuzz_emails(fa_arena_t *arena, fa_str_t in)
{
    char *email;
    bool verified;
    fa_error_t err = {0};
    fa_status_t st = fa_github_parse_primary_email(arena, in, &email, &verified, &err);
    if (st != FA_OK) {
        check_refusal(st, &err, "/user/emails ");
        CHECK(email == NULL && !verified);
        return;
    }
    CHECK(email || !verified);
    check_text(email, 320);
}

static void fuzz_orgs(fa_arena_t *arena, fa_str_t in)
{
    fa_github_org_list_t list = {0};
    fa_error_t err = {0};
    fa_status_t st = fa_github_parse_orgs_page(arena, in, &list, &err);
    if (st != FA_OK) {
        check_refusal(st, &err, "/user/orgs ");
        return;
    }
    for (size_t i = 0; i < list.count; i++) {
        CHECK(list.items[i].id > 0);
        check_login(list.items[i].login);
        check_text(list.items[i].name, 255);
        check_url(list.items[i].avatar_url);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fa_arena_t *arena;
    if (!arena)
        arena = fa_arena_create(0);
    uint8_t mode = size ? data[0] : 0;
    fa_str_t in = {size ? (const char *)data + 1 : "", size ? size - 1 : 0};
    switch (mode % 4) {
    case 0:
        fuzz_tokens(arena, in);
        break;
    case 1:
        fuzz_user(arena, in);
        break;
    case 2:
        fuzz_emails(arena, in);
        break;
    default:
        fuzz_orgs(arena, in);
        break;
    }
    fa_arena_reset(arena);
    return 0;
}
