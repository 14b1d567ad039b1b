/* The per-request arena (arena.c): alignment, blocks beyond the block size,
 * deferred cleanups at reset, and a long alloc/reset loop. */
#include <stdint.h>

#include "core/arena.h"
#include "unit_test.h"

static bool aligned16(const void *p)
{
    return ((uintptr_t)p % 16) == 0;
}

static void test_alignment_of_every_allocation(void)
{
    /* Odd sizes first so a missing round-up shows on the very next call. */
    for (size_t size = 0; size < 200; size++) {
        void *p = fa_arena_alloc(arena, size);
        CU_ASSERT_PTR_NOT_NULL(p);
        CU_ASSERT(aligned16(p));
    }
    CU_ASSERT(aligned16(fa_arena_calloc(arena, 3, 7)));
    CU_ASSERT(aligned16(fa_arena_strdup(arena, "x")));
    CU_ASSERT(aligned16(fa_arena_strndup(arena, "abcdefg", 3)));
    CU_ASSERT(aligned16(fa_arena_sprintf(arena, "%d", 12345)));
    /* Across a block switch, too. */
    CU_ASSERT(aligned16(fa_arena_alloc(arena, 5000)));
    CU_ASSERT(aligned16(fa_arena_alloc(arena, 1)));
    CU_ASSERT(aligned16(fa_arena_alloc(arena, 3)));
}

/* Issue 13: a reused arena still held the last request's session token,
 * OAuth state or GitHub token. Reset wipes every byte it handed out, in the
 * block it keeps (checked here) and in the blocks it frees. */
static void test_reset_wipes_used_bytes(void)
{
    fa_arena_t *a = fa_arena_create(1024);
    unsigned char *secret = fa_arena_alloc(a, 100);
    memset(secret, 0xA5, 100);
    char *token = fa_arena_strdup(a, "k7Qz-9vLmP2xR4tW8yB1nC6dF3gH5jK0aS2eU7iO9pZ");
    size_t token_len = strlen(token);
    unsigned char *spill = fa_arena_alloc(a, 4000); /* its own block, freed at reset */
    memset(spill, 0x5A, 4000);
    unsigned char *tail = fa_arena_alloc(a, 16);
    memset(tail, 0xC3, 16);
    fa_arena_reset(a);
    bool zero = true;
    for (size_t i = 0; i < 100; i++)
        zero &= secret[i] == 0;
    for (size_t i = 0; i < token_len; i++)
        zero &= token[i] == 0;
    CU_ASSERT_TRUE(zero);
    /* The next request gets the same memory, and sees nothing of the last. */
    unsigned char *next = fa_arena_alloc(a, 100);
    CU_ASSERT_PTR_EQUAL(next, secret);
    fa_arena_destroy(a);
}

static void test_allocations_do_not_overlap(void)
{
    unsigned char *a = fa_arena_alloc(arena, 13);
    unsigned char *b = fa_arena_alloc(arena, 13);
    memset(a, 0xAA, 13);
    memset(b, 0xBB, 13);
    for (size_t i = 0; i < 13; i++)
        CU_ASSERT_EQUAL(a[i], 0xAA);
    CU_ASSERT(b >= a + 13 || a >= b + 13);
}

static void test_large_allocation_beyond_block_size(void)
{
    fa_arena_t *small = fa_arena_create(1024);
    size_t sizes[] = {1025, 4096, 100000, 1 << 20};
    unsigned char *blocks[4];
    for (size_t i = 0; i < 4; i++) {
        blocks[i] = fa_arena_alloc(small, sizes[i]);
        CU_ASSERT(aligned16(blocks[i]));
        memset(blocks[i], (int)(i + 1), sizes[i]); /* ASan catches a short block */
    }
    for (size_t i = 0; i < 4; i++) {
        CU_ASSERT_EQUAL(blocks[i][0], i + 1);
        CU_ASSERT_EQUAL(blocks[i][sizes[i] - 1], i + 1);
    }
    size_t total = 0;
    for (size_t i = 0; i < 4; i++)
        total += sizes[i];
    CU_ASSERT(fa_arena_used(small) >= total);
    /* Small allocations still work after a big one filled its own block. */
    char *s = fa_arena_strdup(small, "after");
    CU_ASSERT_STRING_EQUAL(s, "after");
    fa_arena_reset(small);
    CU_ASSERT_EQUAL(fa_arena_used(small), 0);
    fa_arena_destroy(small);
}

static void test_used_counts_and_reset_reuses_first_block(void)
{
    CU_ASSERT_EQUAL(fa_arena_used(arena), 0);
    void *first = fa_arena_alloc(arena, 10);
    CU_ASSERT(fa_arena_used(arena) >= 10);
    size_t before = fa_arena_used(arena);
    fa_arena_alloc(arena, 100);
    CU_ASSERT(fa_arena_used(arena) >= before + 100);
    for (int i = 0; i < 50; i++)
        fa_arena_alloc(arena, 3000); /* many extra blocks */
    fa_arena_reset(arena);
    CU_ASSERT_EQUAL(fa_arena_used(arena), 0);
    /* The first block is kept and reused from its start. */
    CU_ASSERT_PTR_EQUAL(fa_arena_alloc(arena, 10), first);
}

/* Deferred cleanups record the order they ran in. */
static int order[16];
static int order_count;

static void record(void *data)
{
    if (order_count < 16)
        order[order_count] = *(int *)data;
    order_count++;
}

static void test_reset_runs_cleanups_in_reverse_once(void)
{
    static int ids[] = {1, 2, 3, 4};
    order_count = 0;
    fa_arena_defer(arena, record, &ids[0]);
    fa_arena_defer(arena, record, &ids[1]);
    fa_arena_alloc(arena, 10000); /* the next cleanup record lives in another block */
    fa_arena_defer(arena, record, &ids[2]);
    fa_arena_defer(arena, record, &ids[3]);
    CU_ASSERT_EQUAL(order_count, 0);
    fa_arena_reset(arena);
    CU_ASSERT_EQUAL_FATAL(order_count, 4);
    CU_ASSERT_EQUAL(order[0], 4);
    CU_ASSERT_EQUAL(order[1], 3);
    CU_ASSERT_EQUAL(order[2], 2);
    CU_ASSERT_EQUAL(order[3], 1);
    CU_ASSERT_EQUAL(fa_arena_used(arena), 0);
    fa_arena_reset(arena);
    CU_ASSERT_EQUAL(order_count, 4); /* exactly once */
}

static void test_destroy_runs_pending_cleanups(void)
{
    static int id = 7;
    fa_arena_t *a = fa_arena_create(0); /* 0 = default block size */
    order_count = 0;
    fa_arena_defer(a, record, &id);
    fa_arena_destroy(a);
    CU_ASSERT_EQUAL(order_count, 1);
    CU_ASSERT_EQUAL(order[0], 7);
    fa_arena_destroy(NULL); /* harmless */
}

/* A cleanup that frees heap memory, as for a PGresult or json_t. */
static void free_cleanup(void *data)
{
    free(data);
    order_count++;
}

static void test_cleanup_releases_foreign_object(void)
{
    order_count = 0;
    char *foreign = malloc(64);
    CU_ASSERT_PTR_NOT_NULL_FATAL(foreign);
    fa_arena_defer(arena, free_cleanup, foreign);
    fa_arena_reset(arena);
    CU_ASSERT_EQUAL(order_count, 1); /* ASan's leak check sees the free */
}

static void test_calloc_zeroes(void)
{
    unsigned char *dirty = fa_arena_alloc(arena, 256);
    memset(dirty, 0xFF, 256);
    fa_arena_reset(arena);
    unsigned char *z = fa_arena_calloc(arena, 32, 8);
    CU_ASSERT_PTR_EQUAL(z, dirty); /* same memory, so zeroing really happened */
    for (size_t i = 0; i < 256; i++)
        CU_ASSERT_EQUAL_FATAL(z[i], 0);
    int *none = fa_arena_calloc(arena, 0, sizeof(int));
    CU_ASSERT_PTR_NOT_NULL(none);
}

static void calloc_overflow(void)
{
    fa_arena_t *a = fa_arena_create(1024);
    fa_arena_calloc(a, SIZE_MAX / 2, 4);
}

static void alloc_overflow(void)
{
    fa_arena_t *a = fa_arena_create(1024);
    fa_arena_alloc(a, SIZE_MAX - 3);
}

static void test_size_overflow_aborts(void)
{
    CU_ASSERT(aborts(calloc_overflow));
    CU_ASSERT(aborts(alloc_overflow));
}

static void test_i64(void)
{
    CU_ASSERT_STRING_EQUAL(fa_arena_i64(arena, 0), "0");
    CU_ASSERT_STRING_EQUAL(fa_arena_i64(arena, 583231), "583231");
    CU_ASSERT_STRING_EQUAL(fa_arena_i64(arena, -42), "-42");
    CU_ASSERT_STRING_EQUAL(fa_arena_i64(arena, INT64_MAX), "9223372036854775807");
    CU_ASSERT_STRING_EQUAL(fa_arena_i64(arena, INT64_MIN), "-9223372036854775808");
}

static void test_sprintf(void)
{
    char *s = fa_arena_sprintf(arena, "%s-%d-%05.1f-%c", "abc", -42, 3.14159, 'z');
    CU_ASSERT_STRING_EQUAL(s, "abc--42-003.1-z");
    CU_ASSERT_STRING_EQUAL(fa_arena_sprintf(arena, "%s", ""), "");
    /* Longer than a block: the arena must size it from vsnprintf's count. */
    char big[6001];
    memset(big, 'q', 6000);
    big[6000] = '\0';
    char *t = fa_arena_sprintf(arena, "<%s>", big);
    CU_ASSERT_EQUAL(strlen(t), 6002);
    CU_ASSERT_EQUAL(t[0], '<');
    CU_ASSERT_EQUAL(t[6001], '>');
}

static void test_strndup_and_strdup(void)
{
    const char src[] = "hello world";
    char *a = fa_arena_strndup(arena, src, 5);
    CU_ASSERT_STRING_EQUAL(a, "hello");
    CU_ASSERT_PTR_NOT_EQUAL(a, src);
    char *empty = fa_arena_strndup(arena, src, 0);
    CU_ASSERT_STRING_EQUAL(empty, "");
    /* Not NUL-terminated input: strndup must read exactly len bytes. */
    char raw[3] = {'a', 'b', 'c'};
    CU_ASSERT_STRING_EQUAL(fa_arena_strndup(arena, raw, 3), "abc");
    /* Embedded NUL is copied as-is; the copy is terminated after len. */
    char *nul = fa_arena_strndup(arena, "a\0b", 3);
    CU_ASSERT(memcmp(nul, "a\0b\0", 4) == 0);
    char *d = fa_arena_strdup(arena, src);
    CU_ASSERT_STRING_EQUAL(d, src);
    CU_ASSERT_PTR_NOT_EQUAL(d, src);
}

static int loop_cleanups;

static void count_cleanup(void *data)
{
    (void)data;
    loop_cleanups++;
}

static void test_alloc_reset_loop_10000(void)
{
    fa_arena_t *a = fa_arena_create(2048);
    loop_cleanups = 0;
    for (int i = 0; i < 10000; i++) {
        size_t n = (size_t)(i % 97) * 41 + 1; /* 1 .. 3937: some exceed the block */
        unsigned char *p = fa_arena_alloc(a, n);
        memset(p, i & 0xFF, n);
        char *s = fa_arena_sprintf(a, "req-%d", i);
        fa_arena_defer(a, count_cleanup, NULL);
        if (i % 10 == 0)
            fa_arena_alloc(a, 10000);
        if (!aligned16(p) || strcmp(s, fa_arena_sprintf(a, "req-%d", i)) != 0)
            CU_FAIL("allocation broken inside loop");
        fa_arena_reset(a);
        if (fa_arena_used(a) != 0) {
            CU_FAIL("reset left bytes in use");
            break;
        }
    }
    CU_ASSERT_EQUAL(loop_cleanups, 10000);
    fa_arena_destroy(a);
}

int main(void)
{
    static const test_case_t tests[] = {
        TEST(test_alignment_of_every_allocation),
        TEST(test_allocations_do_not_overlap),
        TEST(test_reset_wipes_used_bytes),
        TEST(test_large_allocation_beyond_block_size),
        TEST(test_used_counts_and_reset_reuses_first_block),
        TEST(test_reset_runs_cleanups_in_reverse_once),
        TEST(test_destroy_runs_pending_cleanups),
        TEST(test_cleanup_releases_foreign_object),
        TEST(test_calloc_zeroes),
        TEST(test_size_overflow_aborts),
        TEST(test_i64),
        TEST(test_sprintf),
        TEST(test_strndup_and_strdup),
        TEST(test_alloc_reset_loop_10000),
    };
    static const fa_unit_suite_t suite = {
        .name = "core/arena", .setup = test_arena_setup, .teardown = test_arena_teardown};
    return fa_unit_run(&suite, tests, FA_UNIT_COUNT(tests));
}
