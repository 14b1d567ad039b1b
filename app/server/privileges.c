/* Owns: giving up root and core dumps. Never: keeps a way back (setuid(0)
 * must fail afterwards, and no_new_privs blocks setuid binaries). */
#include "server/privileges.h"

#include <grp.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/log.h"

bool fa_privileges_drop(const fa_config_t *config)
{
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    if (geteuid() != 0)
        return true;
    struct passwd *pw = getpwnam(config->run_as_user);
    if (!pw || setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0 ||
        setuid(0) == 0) {
        fa_log_error("privileges", "could not drop root to FOUNDRY_AUTH_USER=%s",
                     config->run_as_user);
        return false;
    }
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    return true;
}
