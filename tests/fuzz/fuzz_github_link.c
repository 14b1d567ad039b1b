/* Fuzz target for what GitHub sends us: the Link header (pagination), the
 * token endpoint's JSON and the /user, /user/emails and /user/orgs JSON. The
 * first byte picks the parser, the rest is the input. Invariants checked
 * (abort on violation):
 *  - Link: a parsed link has a non-empty URL of visible ASCII without <, >
 *    and a lower-case rel; printing the links back as <url>; rel="..." and
 *    parsing again gives the same links; fa_github_link_next says MALFORMED
 *    exactly when the parse fails, NONE exactly when no rel contains "next",
 *    FOUND only for a URL on the base origin that is the first "next" link,
 *    FOREIGN only for one that is not;
 *  - tokens: success means a header-safe access token (and refresh token if
 *    any), a scope and non-negative lifetimes; failure is github_bad_response
 *    with a fixed detail or github_rejected_code with a snake_case name or
 *    "unknown": no input text reaches an error otherwise;
 *  - user/emails/orgs: ids > 0, logins non-empty, no repeated org id. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "github/client.h"
#include "github/link_header.h"
#include "github/responses.h"
#include "fuzz_check.h"

static const char *const BASES[] = {"https://api.github.com", "http://127.0.0.1:8080/api/v3"};

static void check_link(const fa_github_link_t *l)
{
    CHECK(l->url && l->url[0] && l->rel);
    for (const char *p = l->url; *p; p++)
        CHECK((unsigned char)*p > 0x20 && (unsigned char)*p < 0x7F && *p != '<' && *p != '>');
    for (const char *p = l->rel; *p; p++)
        CHECK(!(*p >= 'A' && *p <= 'Z'));
}

/* The links printed back in canonical form, rel always quoted. */
static fa_str_t print_links(fa_arena_t *arena, const fa_github_link_t *links, size_t count)
{
    fa_buf_t buf;
    fa_buf_init(&buf, arena, 64);
    for (size_t i = 0; i < count; i++) {
        fa_buf_printf(&buf, "%s<%s>; rel=\"", i ? ", " : "", links[i].url);
        for (const char *p = links[i].rel; *p; p++) {
            if (*p == '"' || *p == '\\')
                fa_buf_append_char(&buf, '\\');
            fa_buf_append_char(&buf, *p);
        }
        fa_buf_append_char(&buf, '"');
    }
    return (fa_str_t){fa_buf_cstr(&buf), buf.len};
}

static void fuzz_link(fa_arena_t *arena, fa_str_t in, const char *base)
{
    fa_github_link_t *links;
    size_t count;
    bool ok = fa_github_link_parse(arena, in, &links, &count);
    const char *url = NULL;
    fa_github_next_t next = fa_github_link_next(arena, in, base, &url);
    if (!ok) {
        CHECK(links == NULL && count == 0);
        CHECK(next == FA_GITHUB_NEXT_MALFORMED && url == NULL);
        return;
    }
    CHECK(count <= in.len / 3);
    for (size_t i = 0; i < count; i++)
        check_link(&links[i]);
    fa_github_link_t *again;
    size_t again_count;
    CHECK(fa_github_link_parse(arena, print_links(arena, links, count), &again, &again_count));
    CHECK(again_count == count);
    for (size_t i = 0; i < count; i++)
        CHECK(strcmp(again[i].url, links[i].url) == 0 && strcmp(again[i].rel, links[i].rel) == 0);
    const char *first_next = fa_github_link_find(links, count, "next");
    if (!first_next) {
        CHECK(next == FA_GITHUB_NEXT_NONE && url == NULL);
    } else if (next == FA_GITHUB_NEXT_FOUND) {
        CHECK(url && strcmp(url, first_next) == 0 && fa_github_same_origin(url, base));
    } else {
        CHECK(next == FA_GITHUB_NEXT_FOREIGN && url == NULL);
        CHECK(!fa_github_same_origin(first_next, base));
    }
}

static bool snake_case(const char *s)
{
    size_t len = strlen(s);
    return len > 0 && len <= 64 && strspn(s, "abcdefghijklmnopqrstuvwxyz_") == len;
}

static void fuzz_tokens(fa_arena_t *arena, fa_str_t in)
{
    fa_github_tokens_t t;
    fa_error_t err = {0};
    fa_status_t st = fa_github_parse_tokens(arena, in.ptr, in.len, &t, &err);
    if (st == FA_OK) {
        CHECK(fa_github_token_valid(t.access_token));
        CHECK(!t.refresh_token || fa_github_token_valid(t.refresh_token));
        CHECK(t.scope && t.expires_in >= 0 && t.refresh_token_expires_in >= 0);
        return;
    }
    CHECK(st == FA_ERR_UPSTREAM && t.access_token == NULL && err.message && err.detail);
    if (strcmp(err.code, "github_rejected_code") == 0)
        CHECK(strcmp(err.detail, "unknown") == 0 || snake_case(err.detail));
    else
        CHECK(strcmp(err.code, "github_bad_response") == 0 &&
              strncmp(err.detail, "token answer ", 13) == 0 && strlen(err.detail) < 64);
}

static void fuzz_api(fa_arena_t *arena, fa_str_t in)
{
    fa_github_user_t u;
    fa_error_t err = {0};
    if (fa_github_parse_user(arena, in, &u, &err) == FA_OK)
        CHECK(u.id > 0 && u.login && u.login[0]);
    else
        CHECK(u.login == NULL && strcmp(err.code, "github_bad_response") == 0);
    char *email;
    bool verified;
    if (fa_github_parse_primary_email(arena, in, &email, &verified, &err) == FA_OK)
        CHECK(email || !verified);
    fa_github_org_list_t list = {0};
    for (int page = 0; page < 2; page++) /* the same page twice: nothing new */
        if (fa_github_parse_orgs_page(arena, in, &list, &err) != FA_OK)
            return;
    for (size_t i = 0; i < list.count; i++) {
        CHECK(list.items[i].id > 0 && list.items[i].login && list.items[i].login[0]);
        for (size_t j = 0; j < i; j++)
            CHECK(list.items[i].id != list.items[j].id);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fa_arena_t *arena;
    if (!arena)
        arena = fa_arena_create(0);
    uint8_t mode = size ? data[0] : 0;
    fa_str_t in = {size ? (const char *)data + 1 : "", size ? size - 1 : 0};
    switch (mode % 3) {
    case 0:
        fuzz_link(arena, in, BASES[(mode / 3) % 2]);
        break;
    case 1:
        fuzz_tokens(arena, in);
        break;
    default:
        fuzz_api(arena, in);
        break;
    }
    fa_arena_reset(arena);
    return 0;
}
