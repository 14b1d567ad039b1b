/* Per-request memory: everything a request allocates comes from one arena and
 * is released by one fa_arena_reset() when the response has been written.
 * Foreign objects (PGresult, json_t, EVP contexts) are registered with
 * fa_arena_defer() so their destructors run at the same moment.
 * Out of memory aborts the process; the master restarts the worker. */
#ifndef FA_CORE_ARENA_H
#define FA_CORE_ARENA_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

typedef struct fa_arena fa_arena_t;
typedef void (*fa_cleanup_fn)(void *data);

fa_arena_t *fa_arena_create(size_t block_size);
void fa_arena_destroy(fa_arena_t *arena);

/* Runs the deferred cleanups (last registered first), wipes every byte
 * handed out since the last reset (tokens and keys pass through here),
 * frees every block but the first and makes the arena empty again. */
void fa_arena_reset(fa_arena_t *arena);

/* Memory aligned for any type; never NULL. */
void *fa_arena_alloc(fa_arena_t *arena, size_t size);
void *fa_arena_calloc(fa_arena_t *arena, size_t count, size_t size);
char *fa_arena_strndup(fa_arena_t *arena, const char *s, size_t len);
char *fa_arena_strdup(fa_arena_t *arena, const char *s);
/* v in decimal ("583231"): ids as SQL parameters and header values, on hot
 * paths, without printf. */
char *fa_arena_i64(fa_arena_t *arena, int64_t v);
char *fa_arena_sprintf(fa_arena_t *arena, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
char *fa_arena_vsprintf(fa_arena_t *arena, const char *fmt, va_list ap);

/* Calls fn(data) at the next reset or destroy. */
void fa_arena_defer(fa_arena_t *arena, fa_cleanup_fn fn, void *data);

/* Hands a jansson value to the arena: json_decref runs at the next reset or
 * destroy. Returns value (NULL passes through), so a caller writes
 * `json_t *o = fa_arena_json(arena, json_pack(...))` and never releases it. */
struct json_t;
struct json_t *fa_arena_json(fa_arena_t *arena, struct json_t *value);

/* Bytes handed out since the last reset (for tests and RSS accounting). */
size_t fa_arena_used(const fa_arena_t *arena);

#endif
