/* Shared scaffolding for the http unit suites: one arena per test (created in
 * setup, destroyed in teardown so leaks show under ASan), string assertions on
 * fa_str_t, and a check that a call aborts (handler-bug paths). */
#ifndef FA_TEST_HTTP_TEST_H
#define FA_TEST_HTTP_TEST_H

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/str.h"
#include "unit_test.h"

static fa_arena_t *arena;

static void test_setup(void)
{
    arena = fa_arena_create(4096);
}

static void test_teardown(void)
{
    fa_arena_destroy(arena);
    arena = NULL;
}

static inline bool str_is(fa_str_t s, const char *expected)
{
    return s.ptr != NULL && fa_str_eq_cstr(s, expected);
}

#define ASSERT_STR(s, expected)                                                                    \
    do {                                                                                           \
        fa_str_t actual_ = (s);                                                                    \
        if (!str_is(actual_, (expected)))                                                          \
            fprintf(stderr, "\n  got \"%.*s\", want \"%s\"\n", (int)actual_.len,                   \
                    actual_.ptr ? actual_.ptr : "(null)", (expected));                             \
        CU_ASSERT(str_is(actual_, (expected)));                                                    \
    } while (0)

/* Runs tests[] with a fresh arena around each test. */
#define RUN_SUITE(suite_name, tests)                                                               \
    fa_unit_run(                                                                                   \
        &(fa_unit_suite_t){.name = (suite_name), .setup = test_setup, .teardown = test_teardown},  \
        (tests), FA_UNIT_COUNT(tests))

#endif
