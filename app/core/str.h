/* Counted strings and a growable byte buffer. Strings point into memory
 * someone else owns (usually the request arena); NUL termination is added
 * only where a C library needs it. */
#ifndef FA_CORE_STR_H
#define FA_CORE_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "core/arena.h"

typedef struct {
    const char *ptr;
    size_t len;
} fa_str_t;

#define FA_STR(literal) ((fa_str_t){(literal), sizeof(literal) - 1})
#define FA_STR_NULL ((fa_str_t){NULL, 0})

static inline fa_str_t fa_str_from(const char *s)
{
    return (fa_str_t){s, s ? strlen(s) : 0};
}

bool fa_str_eq(fa_str_t a, fa_str_t b);

/* Inline so that, with a literal b, strlen folds to a constant: these run
 * for every FastCGI param and header of every request. */
static inline bool fa_str_eq_cstr(fa_str_t a, const char *b)
{
    size_t n = strlen(b);
    return a.len == n && (n == 0 || memcmp(a.ptr, b, n) == 0);
}

static inline bool fa_str_case_eq_cstr(fa_str_t a, const char *b)
{
    size_t n = strlen(b);
    return a.len == n && (n == 0 || strncasecmp(a.ptr, b, n) == 0);
}

static inline bool fa_str_starts_with(fa_str_t s, const char *prefix)
{
    size_t n = strlen(prefix);
    return s.len >= n && (n == 0 || memcmp(s.ptr, prefix, n) == 0);
}
fa_str_t fa_str_trim(fa_str_t s);
/* NUL-terminated copy in the arena. */
char *fa_str_dup(fa_arena_t *arena, fa_str_t s);

/* Growable buffer in an arena (grows by doubling; old blocks stay until reset). */
typedef struct {
    fa_arena_t *arena;
    char *data;
    size_t len;
    size_t cap;
} fa_buf_t;

void fa_buf_init(fa_buf_t *buf, fa_arena_t *arena, size_t initial);
/* Room for at least `extra` more bytes (plus a NUL); returns where they go.
 * The caller writes there and adds what it wrote to len. */
char *fa_buf_reserve(fa_buf_t *buf, size_t extra);
void fa_buf_append(fa_buf_t *buf, const void *data, size_t len);
void fa_buf_append_cstr(fa_buf_t *buf, const char *s);
void fa_buf_append_char(fa_buf_t *buf, char c);
/* Decimal digits of v (no printf on hot paths). */
void fa_buf_append_uint(fa_buf_t *buf, unsigned long long v);
void fa_buf_printf(fa_buf_t *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* NUL-terminates (not counted in len) and returns data. */
char *fa_buf_cstr(fa_buf_t *buf);

/* Well-formed UTF-8 per RFC 3629: no overlong forms, surrogates or code
 * points above U+10FFFF. In core because both http (requests) and github
 * (answers) check text from outside with it. */
bool fa_utf8_valid(const char *s, size_t len);

#endif
