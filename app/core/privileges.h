/* Dropping what a long-running process does not need: root (to
 * FOUNDRY_AUTH_USER), core dumps and ptrace access (a core or a debugger
 * attached by the same user would see keys and tokens). */
#ifndef FA_CORE_PRIVILEGES_H
#define FA_CORE_PRIVILEGES_H

#include <stdbool.h>

#include "core/config.h"

/* No core dumps (RLIMIT_CORE 0) and not dumpable (PR_SET_DUMPABLE 0), so
 * the kernel refuses ptrace and /proc/<pid>/mem, environ and the like to
 * the process's own user, and /proc/<pid>/ belongs to root. Failures are
 * logged as warnings: the process still runs. The dumpable flag is reset
 * by setuid() and execve(), so call it again after either. */
void fa_privileges_harden(void);

/* Returns false (and logs which step failed) when root could not be dropped;
 * the caller must exit then. Not root: only fa_privileges_harden() runs. */
bool fa_privileges_drop(const fa_config_t *config);

#endif
