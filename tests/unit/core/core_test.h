/* Shared scaffolding of the core unit suites: one arena per test (created in
 * setup, destroyed in teardown so leaks show under ASan), a check that a call
 * aborts (API-misuse paths), capture of what a call writes to stderr, and the
 * CUnit boilerplate of every suite's main(). */
#ifndef FA_TEST_CORE_TEST_H
#define FA_TEST_CORE_TEST_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/str.h"
#include "unit_test.h"

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

/* Runs tests[] with a fresh arena around each test. */
#define RUN_SUITE(suite_name, tests)                                                               \
    fa_unit_run(                                                                                   \
        &(fa_unit_suite_t){.name = (suite_name), .setup = test_setup, .teardown = test_teardown},  \
        (tests), FA_UNIT_COUNT(tests))

#endif
