/* The connection's bounds and its log (db/db.c, issue 15): the server's
 * statement_timeout derived from the client deadline, libpq's messages made
 * one log line, and a connect failure logged once per episode with libpq's
 * reason, never the conninfo. No database: the connection string points at a
 * closed port. db.c is included for its static helpers and fields. */
#include <string.h>

/* Before the shared fixtures, whose suite arena its parameters would shadow. */
#include "db/db.c"
#include "unit_test.h"

static size_t count_in(const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

/* The server ends a slow statement first (the connection survives); the
 * client deadline is for a server that does not answer at all. */
static void test_statement_timeout_is_below_the_deadline(void)
{
    CU_ASSERT_EQUAL(fa_db_statement_timeout_ms(FA_DB_TIMEOUT_DEFAULT_MS), 5000);
    CU_ASSERT_EQUAL(fa_db_statement_timeout_ms(1000), 500);
    CU_ASSERT_EQUAL(fa_db_statement_timeout_ms(200), 100);
    CU_ASSERT_EQUAL(fa_db_statement_timeout_ms(600000), 599000);
}

static void test_libpq_message_becomes_one_line(void)
{
    char out[FA_DB_REASON_MAX];
    const char *two_lines = "connection to server at \"127.0.0.1\", port 1 failed: Connection "
                            "refused\n\tIs the server running on that host and accepting TCP/IP "
                            "connections?\n";
    CU_ASSERT_STRING_EQUAL(fa_db_one_line(two_lines, out, sizeof(out)),
                           "connection to server at \"127.0.0.1\", port 1 failed: Connection "
                           "refused Is the server running on that host and accepting TCP/IP "
                           "connections?");
    CU_ASSERT_STRING_EQUAL(fa_db_one_line("\n", out, sizeof(out)), "no message from libpq");
    CU_ASSERT_STRING_EQUAL(fa_db_one_line(NULL, out, sizeof(out)), "no message from libpq");
    char small[8];
    CU_ASSERT_STRING_EQUAL(fa_db_one_line("abc\n\ndefghij", small, sizeof(small)), "abc def");
}

/* Issue 15 item 6: "PostgreSQL refuses connections: 503 within 7 ms (good),
 * but the log says nothing about why". Three failed attempts, one line. */
static void test_connect_failure_is_logged_once_without_the_conninfo(void)
{
    fa_db_t *db = fa_db_create("host=127.0.0.1 port=1 dbname=none password=unit-secret-pw");
    fa_error_t err = {0};
    capture_begin();
    for (int i = 0; i < 3; i++) {
        db->next_attempt = 0; /* the backoff elapsed */
        CU_ASSERT_EQUAL(fa_db_ready(db, &err), FA_ERR_UNAVAILABLE);
    }
    char *log = capture_end();
    CU_ASSERT_EQUAL(db->failed_attempts, 3);
    CU_ASSERT_EQUAL(count_in(log, "could not connect to the database"), 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(log, "Connection refused"));
    CU_ASSERT_PTR_NULL(strstr(log, "unit-secret-pw"));
    CU_ASSERT_PTR_NULL(strstr(log, "dbname="));
    CU_ASSERT_EQUAL(count_in(log, "\n"), 1); /* one line, libpq's hint folded in */
    free(log);
    fa_db_destroy(db);
}

int main(void)
{
    static const test_case_t tests[] = {
        TEST(test_statement_timeout_is_below_the_deadline),
        TEST(test_libpq_message_becomes_one_line),
        TEST(test_connect_failure_is_logged_once_without_the_conninfo),
    };
    static const fa_unit_suite_t suite = {
        .name = "db/connection", .setup = test_arena_setup, .teardown = test_arena_teardown};
    return fa_unit_run(&suite, tests, FA_UNIT_COUNT(tests));
}
