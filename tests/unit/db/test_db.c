/* The db column helpers that need no server: a binary result built with
 * libpq's own PQmakeEmptyPGresult/PQsetvalue, as the server would send it. */
#include <string.h>

#include "db/db.h"
#include "unit_test.h"

#define FA_TIMESTAMPTZ_OID 1184

/* One timestamptz column, binary: row 0 holds unix_us, row 1 is NULL. */
static PGresult *fa_result_with_instant(int64_t unix_us)
{
    PGresult *r = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
    PGresAttDesc attr = {.name = "created_at",
                         .typid = FA_TIMESTAMPTZ_OID,
                         .typlen = 8,
                         .atttypmod = -1,
                         .format = 1};
    CU_ASSERT_FATAL(r && PQsetResultAttrs(r, 1, &attr));
    uint64_t since_2000 = (uint64_t)(unix_us - INT64_C(946684800000000));
    char be[8];
    for (int i = 0; i < 8; i++)
        be[i] = (char)(since_2000 >> (56 - 8 * i));
    CU_ASSERT_FATAL(PQsetvalue(r, 0, 0, be, 8));
    CU_ASSERT_FATAL(PQsetvalue(r, 1, 0, NULL, -1));
    return r;
}

/* Issue 14: every instant the service emits has the public API's shape,
 * milliseconds truncated, UTC; SQL NULL stays absent. */
static void test_time_iso_is_the_api_format(void)
{
    PGresult *r = fa_result_with_instant(INT64_C(1795440243796999)); /* .796999 s */
    const char *text = fa_db_bin_time_iso(arena, r, 0, fa_db_col(r, "created_at"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    CU_ASSERT_STRING_EQUAL(text, "2026-11-23T13:24:03.796Z");
    CU_ASSERT_PTR_NULL(fa_db_bin_time_iso(arena, r, 1, 0));
    PQclear(r);
    r = fa_result_with_instant(0);
    CU_ASSERT_STRING_EQUAL(fa_db_bin_time_iso(arena, r, 0, 0), "1970-01-01T00:00:00.000Z");
    PQclear(r);
}

int main(void)
{
    static const test_case_t tests[] = {
        TEST(test_time_iso_is_the_api_format),
    };
    static const fa_unit_suite_t suite = {
        .name = "db/db", .setup = test_arena_setup, .teardown = test_arena_teardown};
    return fa_unit_run(&suite, tests, FA_UNIT_COUNT(tests));
}
