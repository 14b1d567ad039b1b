/* What every unit suite shares: the test table, the one runner, and the
 * fixtures and checks more than one suite needs (an arena per test, a check
 * that a call aborts, capture of stderr, string assertions on fa_str_t, hex
 * test vectors).
 *
 * Each tests/unit/<module>/test_*.c is its own executable and CTest entry.
 * Its main() is always written the same way: a table of tests, a suite with
 * the fixtures it needs, one call to fa_unit_run:
 *
 *     static const test_case_t tests[] = {
 *         TEST(test_something),
 *         {"a name that reads better", test_other},
 *     };
 *     static const fa_unit_suite_t suite = {
 *         .name = "core/arena", .setup = test_arena_setup, .teardown = test_arena_teardown};
 *     return fa_unit_run(&suite, tests, FA_UNIT_COUNT(tests));
 *
 * Whatever a test can leave behind (a child process, a file, a listening
 * socket) is undone in a fixture, never at the end of a test body: a failed
 * fatal assertion leaves the test there and then, fixtures still run.
 *
 * Everything here is static inline or marked unused, so a suite that needs
 * only part of it still builds with -Wall -Wextra -Werror. */
#ifndef FA_TEST_UNIT_TEST_H
#define FA_TEST_UNIT_TEST_H

#include <CUnit/Basic.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/str.h"

/* ---- the runner ---------------------------------------------------------- */

typedef struct {
    const char *name;
    CU_TestFunc fn;
} test_case_t;

#define TEST(fn) {#fn, fn}
#define FA_UNIT_COUNT(tests) (sizeof(tests) / sizeof((tests)[0]))

typedef struct {
    const char *name;         /* "<module>/<file>", as the test file's path */
    CU_InitializeFunc init;   /* once before the suite (non-zero: suite fails) */
    CU_CleanupFunc cleanup;   /* once after it, whatever the tests did */
    CU_SetUpFunc setup;       /* before each test */
    CU_TearDownFunc teardown; /* after each test, even one a fatal assertion ended */
} fa_unit_suite_t;

/* Registers count tests, runs them verbosely and returns the exit status:
 * non-zero when any assertion failed (or the suite's init: CUE_SINIT_FAILED). */
static inline int fa_unit_run(const fa_unit_suite_t *s, const test_case_t *tests, size_t count)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return CU_get_error();
    CU_pSuite suite =
        CU_add_suite_with_setup_and_teardown(s->name, s->init, s->cleanup, s->setup, s->teardown);
    for (size_t i = 0; suite && i < count; i++)
        CU_add_test(suite, tests[i].name, tests[i].fn);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    int rc =
        CU_get_number_of_failures() != 0 || CU_get_number_of_suites_failed() != 0 || CU_get_error();
    CU_cleanup_registry();
    return rc;
}

/* ---- an arena per test --------------------------------------------------- */

/* The suite's arena. With test_arena_setup/test_arena_teardown as the suite's
 * setup and teardown it is fresh for each test (destroyed after it, so a leak
 * shows under ASan); suites without them create and destroy it themselves. */
static fa_arena_t *arena __attribute__((unused));

static inline void test_arena_setup(void)
{
    arena = fa_arena_create(4096);
}

static inline void test_arena_teardown(void)
{
    fa_arena_destroy(arena);
    arena = NULL;
}

/* ---- checks -------------------------------------------------------------- */

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

static inline bool str_is(fa_str_t s, const char *expected)
{
    return s.ptr != NULL && fa_str_eq_cstr(s, expected);
}

/* CU_ASSERT that an fa_str_t equals a C string, printing both when not. */
#define ASSERT_STR(s, expected)                                                                    \
    do {                                                                                           \
        fa_str_t actual_ = (s);                                                                    \
        if (!str_is(actual_, (expected)))                                                          \
            fprintf(stderr, "\n  got \"%.*s\", want \"%s\"\n", (int)actual_.len,                   \
                    actual_.ptr ? actual_.ptr : "(null)", (expected));                             \
        CU_ASSERT(str_is(actual_, (expected)));                                                    \
    } while (0)

/* ---- test data ----------------------------------------------------------- */

/* Parses an even-length lower/upper-case hex string into out (capacity cap);
 * returns the byte count, aborts on malformed vectors (a broken test). */
static inline size_t test_hex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = strlen(hex);
    if (n % 2 || n / 2 > cap)
        abort();
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v;
        char pair[3] = {hex[2 * i], hex[2 * i + 1], 0};
        char *end;
        v = (unsigned)strtoul(pair, &end, 16);
        if (*end)
            abort();
        out[i] = (uint8_t)v;
    }
    return n / 2;
}

/* ---- stderr capture ------------------------------------------------------ */

/* fd 2 is pointed at a temporary file between begin and end; end returns
 * everything written (malloc'd, NUL-terminated; caller frees). */
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

#endif
