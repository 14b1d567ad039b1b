/* Shared helpers of the crypto unit tests: hex parsing for the published
 * vectors and the CUnit boilerplate every suite's main() needs. */
#ifndef FA_TEST_CRYPTO_TEST_H
#define FA_TEST_CRYPTO_TEST_H

#include <CUnit/Basic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

typedef struct {
    const char *name;
    CU_TestFunc fn;
} test_case_t;

/* Registers one suite, runs it verbosely, returns the process exit code. */
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
