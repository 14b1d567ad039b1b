/* fa_integration: every integration suite in one executable, run by
 * scripts/test against nginx + the service + PostgreSQL + the GitHub
 * emulator it started (the FA_TEST_* environment). FA_TEST_SUITE=a,b runs
 * only those areas. Exit status is non-zero when any assertion failed. */
#include <CUnit/Basic.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* One line per area: tests/integration/test_<area>.c defines
 * void fa_register_<area>_suite(void). */
#define FA_SUITES                                                                                  \
    X(foundation)                                                                                  \
    X(auth) X(sessions) X(revocation) X(snapshot) X(jobs) X(tokens) X(reauth) X(admin) X(secrets)  \
        X(protect) X(faults) X(hostile) X(hostile_github) X(limits) X(logaudit) X(hardening)       \
            X(transaction) X(stall) X(stalls) X(lifecycle) X(pools)

#define X(area) void fa_register_##area##_suite(void);
FA_SUITES
#undef X

typedef struct {
    const char *area;
    void (*register_suite)(void);
} fa_suite_entry_t;

static const fa_suite_entry_t fa_suites[] = {
#define X(area) {#area, fa_register_##area##_suite},
    FA_SUITES
#undef X
};

/* Is area named in the comma-separated filter (NULL or empty = all)? */
static bool fa_suite_selected(const char *filter, const char *area)
{
    if (filter == NULL || *filter == '\0')
        return true;
    size_t n = strlen(area);
    for (const char *p = filter; p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
        if (strncmp(p, area, n) == 0 && (p[n] == ',' || p[n] == '\0'))
            return true;
    return false;
}

int main(void)
{
    const char *filter = getenv("FA_TEST_SUITE");
    size_t selected = 0;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
        CU_initialize_registry() != CUE_SUCCESS) {
        fprintf(stderr, "fa_integration: cannot initialise curl or CUnit\n");
        return 2;
    }
    for (size_t i = 0; i < sizeof fa_suites / sizeof fa_suites[0]; i++) {
        if (!fa_suite_selected(filter, fa_suites[i].area))
            continue;
        fa_suites[i].register_suite();
        selected++;
    }
    if (selected == 0) {
        fprintf(stderr, "fa_integration: FA_TEST_SUITE=%s matches no suite\n", filter);
        CU_cleanup_registry();
        return 2;
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failures = CU_get_number_of_failures() + CU_get_number_of_suites_failed();
    int rc = failures != 0 || CU_get_error() != CUE_SUCCESS;
    CU_cleanup_registry();
    curl_global_cleanup();
    return rc;
}
