/* The foundation suite is split in two files: HTTP-level checks
 * (test_foundation.c) and the ones that start, kill or reconfigure processes
 * (test_foundation_ops.c). This header joins them into one CUnit suite. */
#ifndef FA_INTEGRATION_FOUNDATION_H
#define FA_INTEGRATION_FOUNDATION_H

#include <CUnit/CUnit.h>

/* Adds the process-level tests that do not disturb the running service
 * (config validation, a second instance's drain, migrations). */
void fa_foundation_add_process_tests(CU_pSuite suite);
/* Adds the disruptive tests (kill a worker, stop PostgreSQL); run them last. */
void fa_foundation_add_disruptive_tests(CU_pSuite suite);

#endif
