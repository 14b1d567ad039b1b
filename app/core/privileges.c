/* Owns: giving up root, core dumps and dumpability. Never: keeps a way back
 * (setuid(0) must fail afterwards, and no_new_privs blocks setuid binaries). */
#include "core/privileges.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/log.h"

void fa_privileges_harden(void)
{
    struct rlimit no_core = {0, 0};
    if (setrlimit(RLIMIT_CORE, &no_core) < 0)
        fa_log_warn("privileges", "could not disable core dumps: %s", strerror(errno));
    /* Under systemd's User= nothing changes uid, so without this the process
     * stays dumpable: anyone running as the same user could ptrace it or
     * read its memory and lift the derived keys and live tokens. */
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
        fa_log_warn("privileges", "could not make the process non-dumpable: %s", strerror(errno));
}

bool fa_privileges_drop(const fa_config_t *config)
{
    if (geteuid() != 0) {
        fa_privileges_harden();
        return true;
    }
    struct passwd *pw = getpwnam(config->run_as_user);
    if (!pw || setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0 ||
        setuid(0) == 0) {
        fa_log_error("privileges", "could not drop root to FOUNDRY_AUTH_USER=%s",
                     config->run_as_user);
        return false;
    }
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    /* After setuid: changing uid resets the dumpable flag to fs.suid_dumpable. */
    fa_privileges_harden();
    return true;
}
