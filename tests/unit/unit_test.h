/* What every unit suite shares: the test table, one runner, and a check that
 * a call aborts. Each tests/unit/<module>/test_*.c is its own executable and
 * CTest entry; its main() lists its tests and calls a runner below. */
#ifndef FA_TEST_UNIT_TEST_H
#define FA_TEST_UNIT_TEST_H

#include <CUnit/Basic.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct {
    const char *name;
    CU_TestFunc fn;
} test_case_t;

#define TEST(fn) {#fn, fn}
#define FA_UNIT_COUNT(tests) (sizeof(tests) / sizeof((tests)[0]))

typedef struct {
    const char *name;
    CU_InitializeFunc init; /* once before the suite (non-zero: suite fails) */
    CU_CleanupFunc cleanup; /* once after it */
    CU_SetUpFunc setup;     /* before each test */
    CU_TearDownFunc teardown;
} fa_unit_suite_t;

/* Registers count tests (0: up to a {NULL, NULL} entry), runs them verbosely
 * and returns the exit status: non-zero when any assertion failed. */
static inline int fa_unit_run(const fa_unit_suite_t *s, const test_case_t *tests, size_t count)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return CU_get_error();
    CU_pSuite suite =
        CU_add_suite_with_setup_and_teardown(s->name, s->init, s->cleanup, s->setup, s->teardown);
    for (size_t i = 0; suite && (count ? i < count : tests[i].name != NULL); i++)
        CU_add_test(suite, tests[i].name, tests[i].fn);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    int rc = CU_get_number_of_failures() != 0 || CU_get_error();
    CU_cleanup_registry();
    return rc;
}

/* A suite without fixtures over a {NULL, NULL}-terminated table. */
static inline int test_run_suite(const char *name, const test_case_t *cases)
{
    return fa_unit_run(&(fa_unit_suite_t){.name = name}, cases, 0);
}

/* Runs fn in a child and reports whether it died of SIGABRT (the API-misuse
 * paths abort on purpose). */
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

#endif
