/* Benchmark fixtures (scripts/bench): the process model and accept loop the
 * floors share, so a floor differs from the service only in what it does per
 * request. Header-only on purpose: CMake builds every .c file of tests/bench
 * as its own program.
 *
 * Same model as the service (app/server/master.c, app/http/fcgi.c): a parent
 * listens on a unix socket (0660, group www-data), forks N workers and waits;
 * each worker polls the non-blocking listening socket and calls
 * FCGX_Accept_r, so several workers wake per connection and the losers get
 * EAGAIN. One difference, for the keep-alive evaluation only: when nginx
 * asked to keep the connection (fastcgi_keep_conn on), the next request is
 * read from that connection instead of waiting for a new one. */
#ifndef FA_BENCH_FCGI_H
#define FA_BENCH_FCGI_H

#include <errno.h>
#include <fcgiapp.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

/* Answers one request; returns 0, or -1 to make the worker exit. */
typedef int (*fa_bench_handler_fn)(FCGX_Request *req, void *state);
/* Runs once in each worker after fork (database connections are not
 * fork-safe); returns the handler's state or NULL to exit. */
typedef void *(*fa_bench_init_fn)(void *arg);

static int fa_bench_listen(const char *path)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(addr.sun_path)) {
        fprintf(stderr, "socket path too long: %s\n", path);
        return -1;
    }
    strcpy(addr.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    unlink(path);
    mode_t old = umask(0117);
    int rc = bind(fd, (struct sockaddr *)&addr, sizeof(addr));
    umask(old);
    if (rc < 0 || listen(fd, 1024) < 0) {
        fprintf(stderr, "could not listen on %s: %s\n", path, strerror(errno));
        close(fd);
        return -1;
    }
    /* nginx's workers (www-data) are the only other user that may connect. */
    struct group *g = getgrnam("www-data");
    if (g && chown(path, (uid_t)-1, g->gr_gid) < 0)
        fprintf(stderr, "could not give %s to www-data: %s\n", path, strerror(errno));
    chmod(path, 0660);
    return fd;
}

/* Waits for the next request: on the kept connection if nginx kept it open,
 * otherwise for a new connection on the listening socket. 1 = a request,
 * 0 = lost the race (EAGAIN), -1 = error. */
static int fa_bench_accept(FCGX_Request *req, int listen_fd)
{
    /* ipcFd is libfcgi-internal; the fixture reads it only to know whether
     * FCGX_Finish_r kept the connection (FCGI_KEEP_CONN from nginx). */
    if (req->ipcFd < 0) {
        struct pollfd p = {.fd = listen_fd, .events = POLLIN};
        if (poll(&p, 1, -1) < 0)
            return errno == EINTR ? 0 : -1;
    }
    return FCGX_Accept_r(req) < 0 ? 0 : 1;
}

/* One request: wait for it, answer, finish. 1 = served, 0 = lost the
 * accept race, -1 = the worker must exit. Not inlined: scripts/bench's
 * callgrind profile collects exactly this function (what a request costs,
 * not the worker's start-up). */
static __attribute__((noinline)) int fa_bench_request(FCGX_Request *req, int listen_fd,
                                                      fa_bench_handler_fn handler, void *state)
{
    int rc = fa_bench_accept(req, listen_fd);
    if (rc <= 0)
        return rc;
    if (handler(req, state) < 0)
        return -1;
    FCGX_Finish_r(req);
    return 1;
}

static _Noreturn void fa_bench_worker(int listen_fd, fa_bench_init_fn init, void *arg,
                                      fa_bench_handler_fn handler)
{
    void *state = init ? init(arg) : arg;
    if (init && !state)
        exit(1);
    FCGX_Init();
    /* After FCGX_Init, which installs a SIGTERM handler that only takes
     * effect at the next request: a fixture worker holds nothing and may
     * simply die when the parent stops it. */
    signal(SIGTERM, SIG_DFL);
    signal(SIGPIPE, SIG_IGN);
    FCGX_Request req;
    FCGX_InitRequest(&req, listen_fd, FCGI_FAIL_ACCEPT_ON_INTR);
    for (;;)
        if (fa_bench_request(&req, listen_fd, handler, state) < 0)
            exit(1);
}

static volatile sig_atomic_t fa_bench_stop;

static void fa_bench_on_stop(int sig)
{
    (void)sig;
    fa_bench_stop = 1;
}

/* Forks `workers` workers on a fresh socket at `path` and waits until
 * SIGTERM/SIGINT, then stops them. Returns the process exit status. */
static int fa_bench_serve(const char *path, int workers, fa_bench_init_fn init, void *arg,
                          fa_bench_handler_fn handler)
{
    int fd = fa_bench_listen(path);
    if (fd < 0)
        return 1;
    int flags = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    pid_t pids[64];
    if (workers < 1 || workers > 64)
        workers = 2;
    struct sigaction sa = {.sa_handler = fa_bench_on_stop};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    for (int i = 0; i < workers; i++) {
        pids[i] = fork();
        if (pids[i] == 0)
            fa_bench_worker(fd, init, arg, handler);
    }
    int status = 0;
    while (!fa_bench_stop) {
        pid_t dead = wait(&status);
        if (dead < 0 && errno == ECHILD)
            break;
        if (dead > 0) {
            fprintf(stderr, "bench fixture: worker %d exited (status %d)\n", (int)dead, status);
            fa_bench_stop = 1;
        }
    }
    for (int i = 0; i < workers; i++)
        if (pids[i] > 0)
            kill(pids[i], SIGTERM);
    while (wait(NULL) > 0)
        ;
    unlink(path);
    return 0;
}

/* argv: SOCKET WORKERS ... */
static int fa_bench_workers_arg(const char *s)
{
    int n = atoi(s);
    return n >= 1 && n <= 64 ? n : 2;
}

#endif
