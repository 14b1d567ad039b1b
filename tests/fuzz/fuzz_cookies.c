/* Fuzz target for fa_parse_cookies (the Cookie header carries the session).
 * Invariants checked (abort on violation):
 *  - at most max_cookies pairs, or a 431 "too_many_cookies" exactly when the
 *    header holds more well-formed pieces than that;
 *  - every name is non-empty, holds no ';' or '=' and has no surrounding
 *    space; every value holds no ';' and no surrounding space (DQUOTEs are
 *    kept as part of the value, never stripped);
 *  - each pair is a NUL-terminated copy and every byte of it comes from the
 *    input (the parser only slices, never decodes). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/request.h"
#include "fuzz_check.h"

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

static void check_part(fa_str_t header, fa_str_t s, bool is_name)
{
    CHECK(s.ptr && s.ptr[s.len] == '\0');
    CHECK(!memchr(s.ptr, ';', s.len));
    if (is_name)
        CHECK(s.len > 0 && !memchr(s.ptr, '=', s.len));
    /* Sliced from the input: the bytes appear there verbatim. */
    CHECK(s.len == 0 || memmem(header.ptr, header.len, s.ptr, s.len) != NULL);
    /* Trimmed, and DQUOTEs are kept as bytes of the value: no surrounding space. */
    CHECK(s.len == 0 || (!is_space(s.ptr[0]) && !is_space(s.ptr[s.len - 1])));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fa_arena_t *arena;
    if (!arena)
        arena = fa_arena_create(0);
    /* The first byte picks a small limit so the over-limit path is reached too. */
    size_t max = size ? (data[0] % 8 == 0 ? FA_MAX_COOKIES : data[0] % 8) : FA_MAX_COOKIES;
    fa_str_t header = {size ? (const char *)data + 1 : "", size ? size - 1 : 0};
    fa_pairs_t cookies;
    fa_error_t err = {0};
    fa_status_t st = fa_parse_cookies(arena, header, max, &cookies, &err);
    if (st == FA_OK) {
        CHECK(cookies.count <= max);
        for (size_t i = 0; i < cookies.count; i++) {
            check_part(header, cookies.items[i].name, true);
            check_part(header, cookies.items[i].value, false);
        }
    } else {
        CHECK(st == FA_ERR_HEADER_TOO_LARGE && err.code &&
              strcmp(err.code, "too_many_cookies") == 0);
        /* Over the limit: the same header with a higher limit parses to more. */
        fa_pairs_t all;
        CHECK(fa_parse_cookies(arena, header, SIZE_MAX, &all, &err) == FA_OK);
        CHECK(all.count > max);
    }
    fa_arena_reset(arena);
    return 0;
}
