/* Shared scaffolding for the http unit suites: one arena per test (created in
 * setup, destroyed in teardown so leaks show under ASan), string assertions on
 * fa_str_t, and a check that a call aborts (handler-bug paths). */
#ifndef FA_TEST_HTTP_TEST_H
#define FA_TEST_HTTP_TEST_H

#include <CUnit/Basic.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/str.h"

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

/* Runs fn in a child and reports whether it died of SIGABRT. */
static inline bool aborts(void (*fn)(void))
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stderr))
            _exit(2);
        fn();
        _exit(0);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid)
        return false;
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

/* Registers tests[] in one suite with the per-test arena and runs it; the exit
 * status is non-zero when any assertion failed. */
typedef struct {
    const char *name;
    CU_TestFunc fn;
} test_case_t;

static inline int run_suite(const char *suite_name, const test_case_t *tests, size_t count)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return CU_get_error();
    CU_pSuite suite =
        CU_add_suite_with_setup_and_teardown(suite_name, NULL, NULL, test_setup, test_teardown);
    for (size_t i = 0; suite && i < count; i++)
        CU_add_test(suite, tests[i].name, tests[i].fn);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    int rc = CU_get_number_of_failures() != 0 || CU_get_error();
    CU_cleanup_registry();
    return rc;
}

#define TEST(fn)                                                                                   \
    {                                                                                              \
#fn, fn                                                                                    \
    }
#define RUN_SUITE(name, tests) run_suite((name), (tests), sizeof(tests) / sizeof((tests)[0]))

#endif
