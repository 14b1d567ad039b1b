/* Owns: percent-decoding, application/x-www-form-urlencoded parsing (query
 * strings and form bodies). UTF-8 validation lives in core/str.c.
 * Never: hands back a byte string with a NUL or invalid UTF-8 in it, so nothing
 * downstream (libpq, jansson, log lines) meets one it did not expect. */
#include "http/request.h"

#include <string.h>

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
