/* The statement registry (db/db.c): registration takes the whole array, a
 * name registered twice is refused, the start-up check refuses a name some
 * call site executes without registering it, and executing an unknown name
 * fails at once with a clear code instead of a database round trip. No
 * database: the connection string points at a closed port. db.c is included
 * so each test starts from an empty registry. */
#include <string.h>

/* Before the shared fixtures, whose suite arena its parameters would shadow. */
#include "db/db.c"
#include "unit_test.h"

/* Out of order on purpose: the registry sorts. */
static const fa_db_statement_t two[] = {
    {"unit_second", "SELECT 2", 0},
    {"unit_first", "SELECT 1", 0},
};
static const fa_db_statement_t first_again[] = {{"unit_first", "SELECT 3", 0}};
static const fa_db_statement_t unknown[] = {{"unit_unknown", "SELECT 4", 0}};

/* Each test: an empty registry and the suite arena. */
static void empty_registry(void)
{
    fa_statement_count = 0;
    fa_statement_duplicates = false;
    test_arena_setup();
}

/* The calls this file executes: their names ("unit_first" and
 * "unit_unknown") are all this program records in fa_stmt_uses. */
static PGresult *exec_named(fa_db_t *db, bool known, fa_error_t *err)
{
    return known ? fa_db_exec(db, arena, "unit_first", 0, NULL, err)
                 : fa_db_exec(db, arena, "unit_unknown", 0, NULL, err);
}

/* What fa_db_prepare_all walks is what was registered: both statements, so
 * neither can be left unprepared by a stale count (the literal 1 of old). */
static void test_register_takes_the_whole_array(void)
{
    CU_ASSERT_TRUE(FA_DB_REGISTER(two));
    CU_ASSERT_EQUAL(fa_statement_count, 2);
    CU_ASSERT_PTR_EQUAL(fa_db_find("unit_first"), &two[1]);
    CU_ASSERT_PTR_EQUAL(fa_db_find("unit_second"), &two[0]);
    CU_ASSERT_PTR_NULL(fa_db_find("unit_third"));
    CU_ASSERT_STRING_EQUAL(fa_statements[0]->name, "unit_first");
}

static void test_duplicate_name_is_refused(void)
{
    CU_ASSERT_TRUE(FA_DB_REGISTER(two));
    CU_ASSERT_TRUE(FA_DB_REGISTER(unknown));
    CU_ASSERT_TRUE(fa_db_check_statements());
    CU_ASSERT_FALSE(FA_DB_REGISTER(first_again));
    CU_ASSERT_EQUAL(fa_statement_count, 3);
    CU_ASSERT_PTR_EQUAL(fa_db_find("unit_first"), &two[1]); /* the first one stays */
    CU_ASSERT_FALSE(fa_db_check_statements());
}

static void test_check_refuses_an_unregistered_use(void)
{
    CU_ASSERT_TRUE(FA_DB_REGISTER(two));
    CU_ASSERT_FALSE(fa_db_check_statements()); /* "unit_unknown" is executed above */
    CU_ASSERT_TRUE(FA_DB_REGISTER(unknown));
    CU_ASSERT_TRUE(fa_db_check_statements());
}

static void test_exec_of_an_unknown_name_fails_before_the_database(void)
{
    CU_ASSERT_TRUE(FA_DB_REGISTER(two));
    fa_db_t *db = fa_db_create("host=127.0.0.1 port=1 dbname=none");
    fa_error_t err = {0};
    CU_ASSERT_PTR_NULL(exec_named(db, false, &err));
    CU_ASSERT_EQUAL(err.status, FA_ERR_INTERNAL);
    CU_ASSERT_STRING_EQUAL(err.code, "statement_not_registered");
    CU_ASSERT_STRING_EQUAL(err.detail, "unit_unknown");
    CU_ASSERT_FALSE(db->ever_connected);
    CU_ASSERT_EQUAL(db->next_attempt, 0); /* no connect was tried */
    /* A registered name does go to the (unreachable) database. */
    CU_ASSERT_PTR_NULL(exec_named(db, true, &err));
    CU_ASSERT_EQUAL(err.status, FA_ERR_UNAVAILABLE);
    CU_ASSERT_NOT_EQUAL(db->next_attempt, 0);
    fa_db_destroy(db);
}

int main(void)
{
    static const test_case_t tests[] = {
        TEST(test_register_takes_the_whole_array),
        TEST(test_duplicate_name_is_refused),
        TEST(test_check_refuses_an_unregistered_use),
        TEST(test_exec_of_an_unknown_name_fails_before_the_database),
    };
    static const fa_unit_suite_t suite = {
        .name = "db/registry", .setup = empty_registry, .teardown = test_arena_teardown};
    return fa_unit_run(&suite, tests, FA_UNIT_COUNT(tests));
}
