/* Owns: counted-string helpers, the arena-backed growable buffer and UTF-8
 * validation. */
#include "core/str.h"

#include <stdarg.h>
#include <stdio.h>
#include <strings.h>

bool fa_str_eq(fa_str_t a, fa_str_t b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}




fa_str_t fa_str_trim(fa_str_t s)
{
    while (s.len && (s.ptr[0] == ' ' || s.ptr[0] == '\t')) {
        s.ptr++;
        s.len--;
    }
    while (s.len && (s.ptr[s.len - 1] == ' ' || s.ptr[s.len - 1] == '\t'))
        s.len--;
    return s;
}

char *fa_str_dup(fa_arena_t *arena, fa_str_t s)
{
    return fa_arena_strndup(arena, s.ptr ? s.ptr : "", s.len);
}

void fa_buf_init(fa_buf_t *buf, fa_arena_t *arena, size_t initial)
{
    buf->arena = arena;
    buf->cap = initial ? initial : 256;
    buf->data = fa_arena_alloc(arena, buf->cap);
    buf->len = 0;
}

char *fa_buf_reserve(fa_buf_t *buf, size_t extra)
{
    if (buf->cap - buf->len > extra)
        return buf->data + buf->len;
    size_t cap = buf->cap;
    while (cap - buf->len <= extra)
        cap *= 2;
    char *data = fa_arena_alloc(buf->arena, cap);
    memcpy(data, buf->data, buf->len);
    buf->data = data;
    buf->cap = cap;
    return buf->data + buf->len;
}

void fa_buf_append(fa_buf_t *buf, const void *data, size_t len)
{
    fa_buf_reserve(buf, len);
    if (len)
        memcpy(buf->data + buf->len, data, len);
    buf->len += len;
}

void fa_buf_append_cstr(fa_buf_t *buf, const char *s)
{
    fa_buf_append(buf, s, strlen(s));
}

void fa_buf_append_uint(fa_buf_t *buf, unsigned long long v)
{
    char digits[20];
    size_t n = 0;
    do {
        digits[sizeof(digits) - ++n] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    fa_buf_append(buf, digits + sizeof(digits) - n, n);
}

void fa_buf_append_char(fa_buf_t *buf, char c)
{
    fa_buf_reserve(buf, 1);
    buf->data[buf->len++] = c;
}

void fa_buf_printf(fa_buf_t *buf, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n > 0) {
        fa_buf_reserve(buf, (size_t)n);
        vsnprintf(buf->data + buf->len, (size_t)n + 1, fmt, ap);
        buf->len += (size_t)n;
    }
    va_end(ap);
}

char *fa_buf_cstr(fa_buf_t *buf)
{
    fa_buf_reserve(buf, 0);
    buf->data[buf->len] = '\0';
    return buf->data;
}

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
