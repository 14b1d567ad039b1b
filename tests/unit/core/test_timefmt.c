/* ISO 8601 formatting of instants (timefmt.c): the same text PostgreSQL's
 * to_char(ts, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') gives in UTC. */
#include "core/timefmt.h"
#include "unit_test.h"

static void expect(int64_t us, const char *text)
{
    char out[FA_ISO_MS_LEN + 1];
    fa_time_iso_ms(us, out);
    CU_ASSERT_STRING_EQUAL(out, text);
    CU_ASSERT_EQUAL(strlen(out), FA_ISO_MS_LEN);
}

static void test_epoch_and_known_instants(void)
{
    expect(0, "1970-01-01T00:00:00.000Z");
    /* 2026-11-23T13:24:03.796123Z: milliseconds truncated, not rounded. */
    expect(1795440243796123LL, "2026-11-23T13:24:03.796Z");
    expect(1795440243999999LL, "2026-11-23T13:24:03.999Z");
    /* PostgreSQL's own epoch (binary timestamps count from it). */
    expect(946684800000000LL, "2000-01-01T00:00:00.000Z");
    /* A leap day. */
    expect(1709164800000000LL, "2024-02-29T00:00:00.000Z");
}

static void test_before_1970_keeps_positive_fraction(void)
{
    /* 1 ms before the epoch is 23:59:59.999 of the previous day. */
    expect(-1000, "1969-12-31T23:59:59.999Z");
    expect(-1, "1969-12-31T23:59:59.999Z");
}

static void test_out_of_range_is_clamped_not_garbled(void)
{
    expect(INT64_MAX, "9999-12-31T23:59:59.999Z");
    expect(INT64_MIN, "0000-01-01T00:00:00.000Z");
}

static void test_now_is_after_2026(void)
{
    CU_ASSERT(fa_time_now_us() > 1767225600000000LL); /* 2026-01-01 */
}

int main(void)
{
    static const test_case_t tests[] = {
        TEST(test_epoch_and_known_instants),
        TEST(test_before_1970_keeps_positive_fraction),
        TEST(test_out_of_range_is_clamped_not_garbled),
        TEST(test_now_is_after_2026),
    };
    static const fa_unit_suite_t suite = {
        .name = "core/timefmt", .setup = test_arena_setup, .teardown = test_arena_teardown};
    return fa_unit_run(&suite, tests, FA_UNIT_COUNT(tests));
}
