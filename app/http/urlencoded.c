/* Owns: percent-decoding, application/x-www-form-urlencoded parsing (query
 * strings and form bodies) and UTF-8 validation.
 * Never: hands back a byte string with a NUL or invalid UTF-8 in it, so nothing
 * downstream (libpq, jansson, log lines) meets one it did not expect. */
#include "http/request.h"

#include <string.h>

/* RFC 3629 table 3-7: the well-formed byte sequences. Overlong forms (C0, C1,
 * E0 80..9F, F0 80..8F), surrogates (ED A0..BF) and code points above
 * U+10FFFF (F4 90.., F5..FF) all fail here. */
bool fa_utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        unsigned char c = p[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t need;
        unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
        if (c >= 0xC2 && c <= 0xDF) {
            need = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            if (c == 0xE0)
                lo = 0xA0;
            else if (c == 0xED)
                hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            if (c == 0xF0)
                lo = 0x90;
            else if (c == 0xF4)
                hi = 0x8F;
        } else {
            return false;
        }
        if (len - i <= need)
            return false;
        if (p[i + 1] < lo || p[i + 1] > hi)
            return false;
        for (size_t k = 2; k <= need; k++)
            if (p[i + k] < 0x80 || p[i + k] > 0xBF)
                return false;
        i += need + 1;
    }
    return true;
}

static int fa_hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static fa_status_t fa_bad_encoding(fa_error_t *err, const char *detail)
{
    return fa_error_set(err, FA_ERR_BAD_REQUEST, "bad_encoding",
                        "request contains a malformed percent-encoding or invalid UTF-8", detail);
}

/* The result is always a fresh NUL-terminated copy: the decoded string is never
 * longer than the input, and callers may hand .ptr straight to a C library. */
fa_status_t fa_percent_decode(fa_arena_t *arena, fa_str_t in, bool plus_as_space, fa_str_t *out,
                              fa_error_t *err)
{
    *out = FA_STR_NULL;
    char *dst = fa_arena_alloc(arena, in.len + 1);
    size_t n = 0;
    for (size_t i = 0; i < in.len; i++) {
        char c = in.ptr[i];
        if (c == '%') {
            if (in.len - i < 3)
                return fa_bad_encoding(err, "truncated percent escape");
            int h = fa_hex_value(in.ptr[i + 1]), l = fa_hex_value(in.ptr[i + 2]);
            if (h < 0 || l < 0)
                return fa_bad_encoding(err, "invalid percent escape");
            c = (char)(h * 16 + l);
            i += 2;
        } else if (c == '+' && plus_as_space) {
            c = ' ';
        }
        if (c == '\0')
            return fa_bad_encoding(err, "NUL byte");
        dst[n++] = c;
    }
    dst[n] = '\0';
    if (!fa_utf8_valid(dst, n))
        return fa_bad_encoding(err, "invalid UTF-8");
    *out = (fa_str_t){dst, n};
    return FA_OK;
}

/* Pieces between '&' that hold something; empty ones ("a=1&&b=2") are skipped
 * as the WHATWG URL standard does. */
static size_t fa_count_pieces(fa_str_t in)
{
    size_t count = 0, len = 0;
    for (size_t i = 0; i <= in.len; i++) {
        if (i == in.len || in.ptr[i] == '&') {
            count += len > 0;
            len = 0;
        } else {
            len++;
        }
    }
    return count;
}

static fa_status_t fa_parse_pair(fa_arena_t *arena, fa_str_t piece, fa_pair_t *pair,
                                 fa_error_t *err)
{
    const char *eq = memchr(piece.ptr, '=', piece.len);
    fa_str_t name = piece, value = FA_STR("");
    if (eq) {
        name.len = (size_t)(eq - piece.ptr);
        value = (fa_str_t){eq + 1, piece.len - name.len - 1};
    }
    fa_status_t st = fa_percent_decode(arena, name, true, &pair->name, err);
    if (st == FA_OK)
        st = fa_percent_decode(arena, value, true, &pair->value, err);
    return st;
}

/* Both query strings and form bodies follow application/x-www-form-urlencoded
 * (WHATWG URL, "urlencoded parser"): '+' is a space in both, a piece without
 * '=' is a name with an empty value, duplicates are kept in order. */
fa_status_t fa_parse_urlencoded(fa_arena_t *arena, fa_str_t input, size_t max_pairs,
                                fa_pairs_t *out, fa_error_t *err)
{
    out->items = NULL;
    out->count = 0;
    if (input.len == 0 || input.ptr == NULL)
        return FA_OK;
    size_t count = fa_count_pieces(input);
    if (count > max_pairs)
        return fa_error_set(err, FA_ERR_BAD_REQUEST, "too_many_parameters",
                            "request has too many parameters", NULL);
    fa_pair_t *items = fa_arena_calloc(arena, count ? count : 1, sizeof(*items));
    size_t n = 0, start = 0;
    for (size_t i = 0; i <= input.len; i++) {
        if (i < input.len && input.ptr[i] != '&')
            continue;
        fa_str_t piece = {input.ptr + start, i - start};
        start = i + 1;
        if (piece.len == 0)
            continue;
        fa_status_t st = fa_parse_pair(arena, piece, &items[n], err);
        if (st != FA_OK)
            return st;
        n++;
    }
    out->items = items;
    out->count = n;
    return FA_OK;
}
