/* Hardening suite (issue 13, "nothing left behind"): every long-running
 * process is non-dumpable, so neither a debugger nor anyone running as the
 * same user can read keys and tokens out of its memory.
 *
 * How it is seen from outside: the kernel hands the /proc/<pid>/ entries of
 * a non-dumpable process to root, whatever uid the process runs as (and
 * refuses ptrace and /proc/<pid>/mem to that uid). So a process running as
 * nobody whose /proc/<pid>/status belongs to uid 0 is non-dumpable.
 *
 * Workers and jobs started as root drop to FOUNDRY_AUTH_USER, and the
 * setuid() alone already clears the flag (fs.suid_dumpable 0). The case that
 * matters is a service started as an unprivileged user (systemd User=):
 * nothing changes uid there, so only prctl(PR_SET_DUMPABLE, 0) helps. This
 * suite starts serve and jobs as nobody to check that case. */
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "identity_helpers.h"
#include "jobs_helpers.h"

/* Real uid from /proc/<pid>/status ("Uid:\treal\teffective..."), -1 if gone. */
static long fa_status_uid(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    char *text = fa_file_read(path, NULL);
    const char *line = text ? strstr(text, "\nUid:") : NULL;
    long uid = line ? strtol(line + 5, NULL, 10) : -1;
    free(text);
    return uid;
}

/* Owner of /proc/<pid>/status: the process's euid when dumpable, root when
 * not. (Measured here: the /proc/<pid> directory itself keeps the old owner
 * until its dentry is revalidated, so it is not a reliable witness.) */
static long fa_proc_owner(pid_t pid)
{
    char path[64];
    struct stat st;
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    return stat(path, &st) == 0 ? (long)st.st_uid : -1;
}

static bool fa_non_dumpable(void *arg)
{
    pid_t pid = *(pid_t *)arg;
    return fa_proc_owner(pid) == 0;
}

/* A process running as a non-root uid that is (within 5 s) non-dumpable. */
static void fa_check_non_dumpable(pid_t pid, const char *what)
{
    FA_CHECK_FATAL(pid > 0 && fa_proc_alive(pid), "%s: no such process", what);
    bool hidden = fa_wait_until(5000, 50, fa_non_dumpable, &pid);
    long uid = fa_status_uid(pid);
    FA_CHECK(uid > 0, "%s (pid %d) runs as uid %ld: expected a non-root uid", what, (int)pid, uid);
    FA_CHECK(hidden, "%s (pid %d, uid %ld) is dumpable: /proc/%d/status belongs to uid %ld", what,
             (int)pid, uid, (int)pid, fa_proc_owner(pid));
}

/* The running service, started as root: workers and jobs dropped to
 * FOUNDRY_AUTH_USER and are non-dumpable. */
static void test_running_service_non_dumpable(void)
{
    pid_t master = fa_service_master_pid();
    pid_t workers[16];
    size_t n = fa_proc_children(master, workers, 16);
    FA_CHECK_FATAL(n > 0, "no workers under master %d", (int)master);
    for (size_t i = 0; i < n; i++)
        fa_check_non_dumpable(workers[i], "a worker of the running service");
    fa_check_non_dumpable(fa_jobs_main_pid(), "the running jobs process");
}

typedef struct {
    uid_t uid;
    gid_t gid;
    char *dir; /* owned by uid: socket and logs */
} fa_unprivileged_t;

static bool fa_unprivileged_init(fa_unprivileged_t *u)
{
    struct passwd *pw = getpwnam("nobody");
    if (!pw)
        return false;
    u->uid = pw->pw_uid;
    u->gid = pw->pw_gid;
    /* Not under FA_TEST_TMP: nobody may not be able to traverse it. */
    u->dir = fa_xasprintf("/tmp/fa-hardening-%d", (int)getpid());
    mkdir(u->dir, 0700);
    return chown(u->dir, u->uid, u->gid) == 0;
}

/* argv = setpriv as nobody, then FA_TEST_BIN subcommand; setpriv execs, so
 * the returned pid is the foundry-auth process itself. */
static pid_t fa_spawn_unprivileged(const fa_unprivileged_t *u, const char *subcommand,
                                   const char *const *overrides, const char *log)
{
    char *reuid = fa_xasprintf("--reuid=%d", (int)u->uid);
    char *regid = fa_xasprintf("--regid=%d", (int)u->gid);
    char *argv[] = {
        "/usr/bin/setpriv", reuid, regid, "--clear-groups", (char *)fa_env("FA_TEST_BIN"),
        (char *)subcommand, NULL};
    char **envp = fa_envfile_environ(overrides);
    pid_t pid = fa_spawn(argv, envp, log);
    fa_strv_free(envp);
    free(reuid);
    free(regid);
    return pid;
}

static bool fa_socket_exists(void *arg)
{
    struct stat st;
    return stat(arg, &st) == 0 && S_ISSOCK(st.st_mode);
}

static void fa_stop(pid_t pid)
{
    if (pid <= 0)
        return;
    kill(pid, SIGTERM);
    if (fa_wait_pid(pid, 5000) == -1) {
        kill(pid, SIGKILL);
        fa_wait_pid(pid, 2000);
    }
}

/* Issue 13: started as an unprivileged user (systemd User=), nothing
 * changed uid, so master, workers and jobs stayed dumpable and ptrace-able
 * by that user. */
static void test_unprivileged_start_non_dumpable(void)
{
    fa_unprivileged_t u = {0};
    FA_CHECK_FATAL(fa_unprivileged_init(&u), "could not prepare a directory for nobody");
    char *socket = fa_xasprintf("%s/serve.sock", u.dir);
    char *sock_env = fa_xasprintf("FOUNDRY_AUTH_SOCKET=%s", socket);
    char *log = fa_xasprintf("%s/hardening-%d.log", fa_env("FA_TEST_TMP"), (int)getpid());
    const char *serve_env[] = {sock_env, "FOUNDRY_AUTH_WORKERS=1", "FOUNDRY_AUTH_SIGNIN_WORKERS=1",
                               "FOUNDRY_AUTH_SOCKET_GROUP", NULL};
    pid_t master = fa_spawn_unprivileged(&u, "serve", serve_env, log);
    bool up = master > 0 && fa_wait_until(10000, 50, fa_socket_exists, socket);
    pid_t jobs = fa_spawn_unprivileged(&u, "jobs", NULL, log);
    if (up) {
        fa_check_non_dumpable(master, "the master started as nobody");
        pid_t workers[4];
        size_t n = 0;
        /* One main worker and one sign-in worker (issue 15). */
        for (int i = 0; i < 100 && n < 2; i++, fa_sleep_ms(50))
            n = fa_proc_children(master, workers, 4);
        FA_CHECK(n == 2, "master started as nobody: %zu workers, expected 2", n);
        for (size_t i = 0; i < n; i++)
            fa_check_non_dumpable(workers[i], "a worker started as nobody");
    } else {
        FA_CHECK(false, "serve as nobody did not create %s (log %s)", socket, log);
    }
    fa_check_non_dumpable(jobs, "the jobs process started as nobody");
    fa_stop(jobs);
    fa_stop(master);
    unlink(socket);
    rmdir(u.dir);
    free(u.dir);
    free(socket);
    free(sock_env);
    free(log);
}

void fa_register_hardening_suite(void)
{
    CU_pSuite s = fa_suite_add("hardening", NULL, NULL);
    fa_test_add(s, "running service: workers and jobs non-dumpable",
                test_running_service_non_dumpable);
    fa_test_add(s, "started as nobody: master, workers and jobs non-dumpable",
                test_unprivileged_start_non_dumpable);
}
