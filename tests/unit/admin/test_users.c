/* The admin API's input rules that need no database: user ids from routes
 * and role labels. */
#include <string.h>

#include "admin/users.h"
#include "unit_test.h"

static void test_user_id(void)
{
    int64_t id = 0;
    CU_ASSERT_TRUE(fa_admin_parse_user_id(FA_STR("583231"), &id));
    CU_ASSERT_EQUAL(id, 583231);
    CU_ASSERT_TRUE(fa_admin_parse_user_id(FA_STR("9223372036854775807"), &id));
    CU_ASSERT_EQUAL(id, INT64_MAX);
    CU_ASSERT_FALSE(fa_admin_parse_user_id(FA_STR("9223372036854775808"), &id));
    CU_ASSERT_FALSE(fa_admin_parse_user_id(FA_STR("0"), &id));
    CU_ASSERT_FALSE(fa_admin_parse_user_id(FA_STR("012"), &id));
    CU_ASSERT_FALSE(fa_admin_parse_user_id(FA_STR("-1"), &id));
    CU_ASSERT_FALSE(fa_admin_parse_user_id(FA_STR("1e3"), &id));
    CU_ASSERT_FALSE(fa_admin_parse_user_id(FA_STR(" 1"), &id));
    CU_ASSERT_FALSE(fa_admin_parse_user_id(FA_STR(""), &id));
    CU_ASSERT_FALSE(fa_admin_parse_user_id(FA_STR_NULL, &id));
}

static void test_role_label(void)
{
    CU_ASSERT_TRUE(fa_admin_role_label_valid("Staff"));
    CU_ASSERT_TRUE(fa_admin_role_label_valid("Équipe sécurité"));
    CU_ASSERT_FALSE(fa_admin_role_label_valid(""));
    CU_ASSERT_FALSE(fa_admin_role_label_valid("line\nbreak"));
    CU_ASSERT_FALSE(fa_admin_role_label_valid("tab\there"));
    CU_ASSERT_FALSE(fa_admin_role_label_valid("del\x7f"));
    CU_ASSERT_FALSE(fa_admin_role_label_valid("bad \xc3\x28 utf8"));
    char label[FA_ROLE_LABEL_MAX + 2];
    memset(label, 'x', sizeof(label) - 1);
    label[sizeof(label) - 1] = 0;
    CU_ASSERT_FALSE(fa_admin_role_label_valid(label));
    label[FA_ROLE_LABEL_MAX] = 0;
    CU_ASSERT_TRUE(fa_admin_role_label_valid(label));
}

int main(void)
{
    static const test_case_t tests[] = {
        {"user ids", test_user_id},
        {"role labels", test_role_label},
    };
    static const fa_unit_suite_t suite = {.name = "admin/users"};
    return fa_unit_run(&suite, tests, FA_UNIT_COUNT(tests));
}
