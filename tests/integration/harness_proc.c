/* Processes: clocks and polling, the service master and its workers via
 * /proc, running commands with captured output and a deadline. A child runs
 * in its own process group so a timeout can kill whatever it started. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

extern char **environ;

double fa_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void fa_sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

bool fa_wait_until(long timeout_ms, long interval_ms, bool (*pred)(void *arg), void *arg)
{
    double deadline = fa_now() + (double)timeout_ms / 1000.0;
    for (;;) {
        if (pred(arg))
            return true;
        if (fa_now() >= deadline)
            return false;
        fa_sleep_ms(interval_ms);
    }
}

pid_t fa_service_master_pid(void)
{
    char *text = fa_file_read(fa_env("FA_TEST_SERVICE_PIDFILE"), NULL);
    long pid = text ? strtol(text, NULL, 10) : -1;
    free(text);
    return pid > 0 ? (pid_t)pid : -1;
}

/* Parent pid and state of pid from /proc/<pid>/stat; false when gone. The
 * command name may hold spaces or parentheses, so parse after the last ')'. */
static bool fa_proc_stat(pid_t pid, pid_t *ppid, char *state)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    char *text = fa_file_read(path, NULL);
    const char *rp = text ? strrchr(text, ')') : NULL;
    int parent = 0;
    bool ok = rp && sscanf(rp + 1, " %c %d", state, &parent) == 2;
    *ppid = (pid_t)parent;
    free(text);
    return ok;
}

size_t fa_proc_children(pid_t parent, pid_t *out, size_t max)
{
    DIR *d = opendir("/proc");
    size_t n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        pid_t ppid;
        char state;
        if (*end != '\0' || pid <= 0 || !fa_proc_stat((pid_t)pid, &ppid, &state))
            continue;
        /* A killed worker the master has not reaped yet is not a worker. */
        if (ppid == parent && state != 'Z' && state != 'X' && n < max)
            out[n++] = (pid_t)pid;
    }
    if (d)
        closedir(d);
    return n;
}

static bool fa_proc_is_in_pool(pid_t pid, const char *pool)
{
    char want[32], path[64];
    snprintf(want, sizeof want, "fa-%s\n", pool);
    snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
    char *comm = fa_file_read(path, NULL);
    bool match = comm && strcmp(comm, want) == 0;
    free(comm);
    return match;
}

pid_t fa_proc_in_pool(const pid_t *pids, size_t n, const char *pool)
{
    for (size_t i = 0; i < n; i++)
        if (fa_proc_is_in_pool(pids[i], pool))
            return pids[i];
    return n ? pids[0] : -1;
}

size_t fa_proc_keep_pool(pid_t *pids, size_t n, const char *pool)
{
    size_t kept = 0;
    for (size_t i = 0; i < n; i++)
        if (fa_proc_is_in_pool(pids[i], pool))
            pids[kept++] = pids[i];
    return kept;
}

bool fa_proc_alive(pid_t pid)
{
    pid_t ppid;
    char state;
    return pid > 0 && fa_proc_stat(pid, &ppid, &state) && state != 'Z' && state != 'X';
}

static int fa_exit_code(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return -1;
}

int fa_wait_pid(pid_t pid, long timeout_ms)
{
    double deadline = fa_now() + (double)timeout_ms / 1000.0;
    for (;;) {
        int status;
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return fa_exit_code(status);
        if (r < 0 && errno != EINTR)
            return -1;
        if (fa_now() >= deadline)
            return -1;
        fa_sleep_ms(10);
    }
}

/* Reads whatever is ready on the two pipes; closes (sets -1) at EOF. */
static void fa_run_drain(int fds[2], char *bufs[2], size_t lens[2], long wait_ms)
{
    struct pollfd pfd[2];
    int n = 0;
    for (int i = 0; i < 2; i++)
        if (fds[i] >= 0)
            pfd[n++] = (struct pollfd){.fd = fds[i], .events = POLLIN};
    if (poll(pfd, (nfds_t)n, (int)wait_ms) <= 0)
        return;
    for (int i = 0; i < 2; i++) {
        if (fds[i] < 0)
            continue;
        char chunk[4096];
        ssize_t r = read(fds[i], chunk, sizeof chunk);
        if (r < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (r <= 0) {
            close(fds[i]);
            fds[i] = -1;
            continue;
        }
        bufs[i] = realloc(bufs[i], lens[i] + (size_t)r + 1);
        if (bufs[i] == NULL)
            abort();
        memcpy(bufs[i] + lens[i], chunk, (size_t)r);
        lens[i] += (size_t)r;
        bufs[i][lens[i]] = '\0';
    }
}

static void fa_child_exec(char *const argv[], char *const envp[], int out_fd, int err_fd)
{
    setpgid(0, 0);
    int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, 0);
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    execve(argv[0], argv, envp ? envp : environ);
    _exit(127);
}

void fa_run(char *const argv[], char *const envp[], long timeout_ms, fa_run_result_t *res)
{
    int out_pipe[2], err_pipe[2];
    *res = (fa_run_result_t){.exit_code = -1};
    char *bufs[2] = {fa_xstrdup(""), fa_xstrdup("")};
    size_t lens[2] = {0, 0};
    double start = fa_now(), deadline = start + (double)timeout_ms / 1000.0;
    if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0)
        abort();
    pid_t pid = fork();
    if (pid < 0)
        abort();
    if (pid == 0)
        fa_child_exec(argv, envp, out_pipe[1], err_pipe[1]);
    close(out_pipe[1]);
    close(err_pipe[1]);
    int fds[2] = {out_pipe[0], err_pipe[0]};
    while ((fds[0] >= 0 || fds[1] >= 0) && fa_now() < deadline)
        fa_run_drain(fds, bufs, lens, (long)((deadline - fa_now()) * 1000.0) + 1);
    long left = (long)((deadline - fa_now()) * 1000.0);
    res->exit_code = fa_wait_pid(pid, left > 0 ? left : 0);
    if (res->exit_code == -1) {
        res->timed_out = true;
        kill(-pid, SIGKILL); /* the group: anything the command started too */
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    for (int i = 0; i < 2; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    res->out = bufs[0];
    res->err = bufs[1];
    res->seconds = fa_now() - start;
}

void fa_run_shell(const char *cmd, long timeout_ms, fa_run_result_t *res)
{
    char *argv[] = {"/bin/sh", "-c", (char *)cmd, NULL};
    fa_run(argv, NULL, timeout_ms, res);
}

void fa_run_result_free(fa_run_result_t *res)
{
    free(res->out);
    free(res->err);
    res->out = res->err = NULL;
}

pid_t fa_spawn(char *const argv[], char *const envp[], const char *log_path)
{
    int log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (log_fd < 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0)
        fa_child_exec(argv, envp, log_fd, log_fd);
    close(log_fd);
    return pid;
}
