/* The one list of modules whose prepared statements a process registers. */
#ifndef FA_ADMIN_STATEMENTS_H
#define FA_ADMIN_STATEMENTS_H

#include <stdbool.h>

/* Registers every module's statements, then runs the start-up check
 * (fa_db_check_statements): false, with a log line naming each offending
 * statement, when a name is registered twice or executed somewhere without
 * being registered; the caller exits non-zero. Call once per process, before
 * fork and before any fa_db_create. */
bool fa_statements_register_all(void);

#endif
