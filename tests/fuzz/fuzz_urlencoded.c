/* Fuzz target for percent-decoding, query/form parsing and UTF-8 validation.
 * Invariants checked (abort on violation):
 *  - fa_utf8_valid agrees with a plain reference decoder (code point ranges,
 *    overlong forms, surrogates, U+10FFFF);
 *  - a decoded string is NUL-terminated, holds no NUL, is valid UTF-8 and is
 *    no longer than its input; re-encoding every byte as %XX and decoding
 *    again gives it back; input without '%' (or '+' in form mode) is
 *    returned unchanged;
 *  - a parse holds at most max_pairs pairs of such strings, one per non-empty
 *    '&' piece, or fails with bad_encoding / too_many_parameters (the latter
 *    only when there are more pieces than max_pairs). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/request.h"
#include "fuzz_check.h"

/* Reference: decode each sequence to a code point, then apply the rules. */
static bool reference_utf8_valid(const unsigned char *s, size_t len)
{
    for (size_t i = 0; i < len;) {
        unsigned c = s[i];
        size_t n = c < 0x80             ? 0
                   : (c & 0xE0) == 0xC0 ? 1
                   : (c & 0xF0) == 0xE0 ? 2
                   : (c & 0xF8) == 0xF0 ? 3
                                        : 4;
        if (n == 4 || i + n >= len) /* bad lead byte, or truncated */
            return false;
        uint32_t cp = n == 0 ? c : n == 1 ? (c & 0x1F) : n == 2 ? (c & 0x0F) : (c & 0x07);
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        static const uint32_t min_for_len[] = {0, 0x80, 0x800, 0x10000};
        if (cp < min_for_len[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += n + 1;
    }
    return true;
}

static void check_clean(fa_str_t in, fa_str_t out)
{
    CHECK(out.ptr && out.ptr[out.len] == '\0');
    CHECK(out.len <= in.len);
    CHECK(!memchr(out.ptr, '\0', out.len));
    CHECK(fa_utf8_valid(out.ptr, out.len));
}

static void check_decode(fa_arena_t *arena, fa_str_t in, bool plus)
{
    fa_str_t out;
    fa_error_t err = {0};
    if (fa_percent_decode(arena, in, plus, &out, &err) != FA_OK) {
        CHECK(err.status == FA_ERR_BAD_REQUEST && strcmp(err.code, "bad_encoding") == 0);
        CHECK(out.ptr == NULL);
        return;
    }
    check_clean(in, out);
    if (!memchr(in.ptr, '%', in.len) && !(plus && memchr(in.ptr, '+', in.len)))
        CHECK(fa_str_eq(in, out));
    char *enc = fa_arena_alloc(arena, out.len * 3 + 1);
    for (size_t i = 0; i < out.len; i++)
        snprintf(enc + 3 * i, 4, "%%%02X", (unsigned char)out.ptr[i]);
    fa_str_t again;
    CHECK(fa_percent_decode(arena, (fa_str_t){enc, out.len * 3}, false, &again, &err) == FA_OK);
    CHECK(fa_str_eq(again, out));
}

static size_t count_pieces(fa_str_t in)
{
    size_t n = 0, len = 0;
    for (size_t i = 0; i <= in.len; i++) {
        if (i < in.len && in.ptr[i] != '&') {
            len++;
            continue;
        }
        n += len > 0;
        len = 0;
    }
    return n;
}

static void check_parse(fa_arena_t *arena, fa_str_t in, size_t max)
{
    fa_pairs_t pairs;
    fa_error_t err = {0};
    size_t pieces = count_pieces(in);
    if (fa_parse_urlencoded(arena, in, max, &pairs, &err) != FA_OK) {
        CHECK(err.status == FA_ERR_BAD_REQUEST);
        CHECK(strcmp(err.code, "bad_encoding") == 0 ||
              (strcmp(err.code, "too_many_parameters") == 0 && pieces > max));
        return;
    }
    CHECK(pairs.count == pieces && pairs.count <= max);
    for (size_t i = 0; i < pairs.count; i++) {
        check_clean(in, pairs.items[i].name);
        check_clean(in, pairs.items[i].value);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fa_arena_t *arena;
    if (!arena)
        arena = fa_arena_create(0);
    CHECK(fa_utf8_valid((const char *)data, size) == reference_utf8_valid(data, size));
    uint8_t mode = size ? data[0] : 0;
    fa_str_t in = {size ? (const char *)data + 1 : "", size ? size - 1 : 0};
    check_decode(arena, in, mode & 1);
    check_parse(arena, in, (mode >> 1) % 4 == 0 ? FA_MAX_FORM_PARAMS : (mode >> 1) % 4);
    fa_arena_reset(arena);
    return 0;
}
