/* CUnit boilerplate shared by the GitHub client suites. */
#ifndef FA_TEST_GITHUB_TEST_H
#define FA_TEST_GITHUB_TEST_H

#include <CUnit/Basic.h>

typedef struct {
    const char *name;
    CU_TestFunc fn;
} test_case_t;

/* Registers one suite, runs it verbosely, returns the process exit code
 * (non-zero when any assertion failed). */
static inline int test_run_suite(const char *suite_name, const test_case_t *cases)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return CU_get_error();
    CU_pSuite suite = CU_add_suite(suite_name, NULL, NULL);
    if (!suite)
        goto out;
    for (const test_case_t *c = cases; c->name; c++)
        if (!CU_add_test(suite, c->name, c->fn))
            goto out;
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
out:;
    int rc = CU_get_number_of_failures() != 0 || CU_get_error();
    CU_cleanup_registry();
    return rc;
}

#endif
