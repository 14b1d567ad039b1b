/* The one list (admin/statements.c) against the whole program: every
 * statement some module executes is registered by a module on the list, and
 * no name is registered twice. The same check `serve`, `jobs` and the admin
 * CLI run at start-up, here before anything is started. */
#include "unit_test.h"

#include "admin/statements.h"
#include "cli/admin.h"
#include "server/jobs_worker.h"
#include "server/master.h"

/* The static library links an object only when something refers to it: refer
 * to every process's entry point, as main.c does, so this program holds every
 * call site (and so every recorded name) that foundry-auth holds. */
static int (*const serve)(const fa_config_t *) = fa_master_run;
static int (*const commands[])(const fa_config_t *, int, char **) = {fa_jobs_main, fa_admin_main,
                                                                     fa_keys_main};

static void test_every_executed_statement_is_registered(void)
{
    CU_ASSERT_PTR_NOT_NULL(serve);
    CU_ASSERT_PTR_NOT_NULL(commands[0]);
    CU_ASSERT_TRUE(fa_statements_register_all());
}

int main(void)
{
    static const test_case_t tests[] = {
        TEST(test_every_executed_statement_is_registered),
    };
    static const fa_unit_suite_t suite = {.name = "admin/statements"};
    return fa_unit_run(&suite, tests, FA_UNIT_COUNT(tests));
}
