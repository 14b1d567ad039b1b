/* Shared scaffolding of the core unit suites: one arena per test (created in
 * setup, destroyed in teardown so leaks show under ASan), a check that a call
 * aborts (API-misuse paths), capture of what a call writes to stderr, and the
 * CUnit boilerplate of every suite's main(). */
#ifndef FA_TEST_CORE_TEST_H
#define FA_TEST_CORE_TEST_H

#include <CUnit/Basic.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/str.h"

static fa_arena_t *arena __attribute__((unused));

static inline void test_setup(void)
{
    arena = fa_arena_create(4096);
}

static inline void test_teardown(void)
{
    fa_arena_destroy(arena);
    arena = NULL;
}

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

/* stderr capture: fd 2 is pointed at a temporary file between begin and end;
 * end returns everything written (malloc'd, NUL-terminated; caller frees). */
static int capture_saved_fd __attribute__((unused)) = -1;
static FILE *capture_file __attribute__((unused));

static inline void capture_begin(void)
{
    fflush(stderr);
    capture_file = tmpfile();
    if (!capture_file)
        abort();
    capture_saved_fd = dup(STDERR_FILENO);
    if (capture_saved_fd < 0 || dup2(fileno(capture_file), STDERR_FILENO) < 0)
        abort();
}

static inline char *capture_end(void)
{
    fflush(stderr);
    if (dup2(capture_saved_fd, STDERR_FILENO) < 0)
        abort();
    close(capture_saved_fd);
    capture_saved_fd = -1;
    if (fseek(capture_file, 0, SEEK_END) != 0)
        abort();
    long size = ftell(capture_file);
    rewind(capture_file);
    char *text = calloc(1, (size_t)(size > 0 ? size : 0) + 1);
    if (!text)
        abort();
    if (size > 0 && fread(text, 1, (size_t)size, capture_file) != (size_t)size)
        abort();
    fclose(capture_file);
    capture_file = NULL;
    return text;
}

typedef struct {
    const char *name;
    CU_TestFunc fn;
} test_case_t;

/* Registers tests[] in one suite with the per-test arena and runs it; the exit
 * status is non-zero when any assertion failed. */
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
