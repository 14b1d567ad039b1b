/* Owns: request-lifetime memory. Never: frees single objects (callers don't),
 * or reuses memory without wiping what the last request left in it. */
#include "core/arena.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FA_ARENA_ALIGN 16

typedef struct fa_block {
    struct fa_block *next;
    size_t size;
    size_t used;
    _Alignas(FA_ARENA_ALIGN) unsigned char data[];
} fa_block_t;

typedef struct fa_cleanup {
    struct fa_cleanup *next;
    fa_cleanup_fn fn;
    void *data;
} fa_cleanup_t;

struct fa_arena {
    fa_block_t *head; /* current block; the first block is the tail of the list */
    fa_block_t *first;
    fa_cleanup_t *cleanups;
    size_t block_size;
    size_t used;
};

static void *fa_xmalloc(size_t size)
{
    void *p = malloc(size);
    if (!p) {
        fputs("{\"level\":\"fatal\",\"msg\":\"out of memory\"}\n", stderr);
        abort();
    }
    return p;
}

static fa_block_t *fa_block_new(size_t size)
{
    fa_block_t *b = fa_xmalloc(sizeof(*b) + size);
    b->next = NULL;
    b->size = size;
    b->used = 0;
    return b;
}

fa_arena_t *fa_arena_create(size_t block_size)
{
    fa_arena_t *a = fa_xmalloc(sizeof(*a));
    a->block_size = block_size ? block_size : 16384;
    a->first = a->head = fa_block_new(a->block_size);
    a->cleanups = NULL;
    a->used = 0;
    return a;
}

static void fa_arena_run_cleanups(fa_arena_t *a)
{
    /* Cleanup records live in the arena itself, so run them before freeing blocks. */
    for (fa_cleanup_t *c = a->cleanups; c; c = c->next)
        c->fn(c->data);
    a->cleanups = NULL;
}

/* Session tokens, OAuth states, GitHub tokens and decrypted keys all pass
 * through the arena. Only the bytes handed out are wiped, not whole blocks:
 * a session check uses a few KiB of a 32 KiB block, and wiping those costs
 * far less than the request's one SHA-256 (see the measurement in the
 * commit that added it). explicit_bzero, because a memset before free() is
 * a dead store the compiler may drop. */
void fa_arena_reset(fa_arena_t *a)
{
    fa_arena_run_cleanups(a);
    fa_block_t *b = a->head;
    while (b != a->first) {
        fa_block_t *next = b->next;
        explicit_bzero(b->data, b->used);
        free(b);
        b = next;
    }
    explicit_bzero(a->first->data, a->first->used);
    a->head = a->first;
    a->first->used = 0;
    a->used = 0;
}

void fa_arena_destroy(fa_arena_t *a)
{
    if (!a)
        return;
    fa_arena_reset(a);
    free(a->first);
    free(a);
}

void *fa_arena_alloc(fa_arena_t *a, size_t size)
{
    size_t need = (size + FA_ARENA_ALIGN - 1) & ~(size_t)(FA_ARENA_ALIGN - 1);
    if (need < size)
        abort(); /* overflow: a caller skipped its size check */
    fa_block_t *b = a->head;
    if (b->size - b->used < need) {
        size_t bsize = need > a->block_size ? need : a->block_size;
        b = fa_block_new(bsize);
        b->next = a->head;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += need;
    a->used += need;
    return p;
}

void *fa_arena_calloc(fa_arena_t *a, size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        abort();
    void *p = fa_arena_alloc(a, count * size);
    memset(p, 0, count * size);
    return p;
}

char *fa_arena_strndup(fa_arena_t *a, const char *s, size_t len)
{
    char *p = fa_arena_alloc(a, len + 1);
    if (len)
        memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *fa_arena_strdup(fa_arena_t *a, const char *s)
{
    return fa_arena_strndup(a, s, strlen(s));
}

char *fa_arena_vsprintf(fa_arena_t *a, const char *fmt, va_list ap)
{
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n < 0)
        abort();
    char *p = fa_arena_alloc(a, (size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    return p;
}

char *fa_arena_i64(fa_arena_t *a, int64_t v)
{
    char digits[20];
    size_t n = 0;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        digits[sizeof(digits) - ++n] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    char *out = fa_arena_alloc(a, n + 2), *o = out;
    if (v < 0)
        *o++ = '-';
    memcpy(o, digits + sizeof(digits) - n, n);
    o[n] = '\0';
    return out;
}

char *fa_arena_sprintf(fa_arena_t *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = fa_arena_vsprintf(a, fmt, ap);
    va_end(ap);
    return p;
}

void fa_arena_defer(fa_arena_t *a, fa_cleanup_fn fn, void *data)
{
    fa_cleanup_t *c = fa_arena_alloc(a, sizeof(*c));
    c->fn = fn;
    c->data = data;
    c->next = a->cleanups;
    a->cleanups = c;
}

size_t fa_arena_used(const fa_arena_t *a)
{
    return a->used;
}

static void fa_arena_json_release(void *value)
{
    json_decref(value);
}

struct json_t *fa_arena_json(fa_arena_t *arena, struct json_t *value)
{
    if (value)
        fa_arena_defer(arena, fa_arena_json_release, value);
    return value;
}
