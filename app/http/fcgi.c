/* Owns: libfcgi. Never: interprets params (request.c does) or keeps anything
 * of one request for the next (invariant 9: FCGX_Finish_r drops it all). */
#include "http/fcgi.h"

#include <errno.h>
#include <fcgiapp.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

struct fa_fcgi {
    int listen_fd;
    bool own_accept; /* a unix listener: accepted here, so the timeout comes first */
    FCGX_Request request;
    int accepted;
};

/* A peer that promises more than it sends (a body, the rest of its params)
 * or stops reading the answer holds a single-threaded worker: every read
 * and write on an accepted connection gives up after this long. nginx
 * sends a whole request at once (it buffers the client's body), so only a
 * broken or hostile peer ever comes near it. */
#define FA_FCGI_IO_TIMEOUT_S 10

static void fa_fcgi_set_timeouts(int fd)
{
    struct timeval tv = {.tv_sec = FA_FCGI_IO_TIMEOUT_S};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

int fa_fcgi_listen(const char *path, const char *group, char *err, size_t err_len)
{
    return fa_fcgi_listen_backlog(path, group, 1024, err, err_len);
}

int fa_fcgi_listen_backlog(const char *path, const char *group, int backlog, char *err,
                           size_t err_len)
{
    if (strcmp(path, "-") == 0)
        return 0; /* spawn-fcgi and inetd style: the listening socket is fd 0 */
    if (strcmp(path, "systemd") == 0) {
        /* systemd socket activation hands over exactly one socket as fd 3. */
        const char *fds = getenv("LISTEN_FDS"), *pid = getenv("LISTEN_PID");
        if (!fds || strcmp(fds, "1") != 0 || !pid || atol(pid) != (long)getpid()) {
            snprintf(err, err_len, "FOUNDRY_AUTH_SOCKET=systemd: expected one socket from "
                                   "systemd (LISTEN_FDS=1 for this pid)");
            return -1;
        }
        return 3;
    }
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(addr.sun_path)) {
        snprintf(err, err_len, "FOUNDRY_AUTH_SOCKET: path too long");
        return -1;
    }
    strcpy(addr.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, err_len, "could not create socket: %s", strerror(errno));
        return -1;
    }
    unlink(path);
    /* Invariant 10: only the owner and nginx's group may connect. The umask
     * closes the window between bind and chmod. */
    mode_t old = umask(0117);
    int rc = bind(fd, (struct sockaddr *)&addr, sizeof(addr));
    umask(old);
    if (rc < 0 || listen(fd, backlog) < 0) {
        snprintf(err, err_len, "could not listen on %s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    chmod(path, 0660);
    if (group && *group) {
        struct group *g = getgrnam(group);
        if (!g || chown(path, (uid_t)-1, g->gr_gid) < 0) {
            snprintf(err, err_len, "FOUNDRY_AUTH_SOCKET_GROUP: cannot give %s to group %s", path,
                     group);
            close(fd);
            return -1;
        }
    }
    return fd;
}

fa_fcgi_t *fa_fcgi_create(int listen_fd)
{
    fa_fcgi_t *f = calloc(1, sizeof(*f));
    if (!f)
        abort();
    FCGX_Init();
    /* Non-blocking: several workers wake for one connection; losers get EAGAIN
     * from accept() instead of blocking where SIGTERM cannot reach them. */
    int flags = fcntl(listen_fd, F_GETFL);
    fcntl(listen_fd, F_SETFL, flags | O_NONBLOCK);
    f->listen_fd = listen_fd;
    /* A TCP connection inherits the listener's timeouts, so libfcgi may
     * accept it (and apply FCGI_WEB_SERVER_ADDRS); a unix one does not, so
     * it is accepted here and its timeouts set before libfcgi reads it. */
    struct sockaddr_storage sa;
    socklen_t len = sizeof(sa);
    f->own_accept =
        getsockname(listen_fd, (struct sockaddr *)&sa, &len) == 0 && sa.ss_family == AF_UNIX;
    fa_fcgi_set_timeouts(listen_fd);
    FCGX_InitRequest(&f->request, listen_fd, FCGI_FAIL_ACCEPT_ON_INTR);
    return f;
}

void fa_fcgi_destroy(fa_fcgi_t *f)
{
    if (!f)
        return;
    if (f->accepted)
        FCGX_Finish_r(&f->request);
    FCGX_Free(&f->request, 1);
    free(f);
}

/* Takes one connection off the listening socket (non-blocking): 1 with a
 * request, 0 when there was none (EAGAIN: another worker took it). */
static int fa_fcgi_take(fa_fcgi_t *f)
{
    if (f->own_accept && f->request.ipcFd < 0) {
        int fd = accept4(f->listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0)
            return 0;
        fa_fcgi_set_timeouts(fd);
        /* FCGX_Accept_r starts by finishing the previous request, which
         * closes ipcFd unless the connection is kept: kept until libfcgi
         * reads the BEGIN_REQUEST record, which sets keepConnection anew. */
        f->request.ipcFd = fd;
        f->request.keepConnection = 1;
    }
    if (FCGX_Accept_r(&f->request) < 0)
        return 0;
    /* Again, for a connection libfcgi accepted itself after dropping ours. */
    fa_fcgi_set_timeouts(f->request.ipcFd);
    f->accepted = 1;
    return 1;
}

int fa_fcgi_accept(fa_fcgi_t *f, int wake_fd)
{
    struct pollfd fds[2] = {{.fd = f->listen_fd, .events = POLLIN},
                            {.fd = wake_fd, .events = POLLIN}};
    int n = poll(fds, wake_fd >= 0 ? 2 : 1, -1);
    if (n < 0)
        return errno == EINTR ? 0 : -1;
    if (wake_fd >= 0 && (fds[1].revents & POLLIN))
        return 0;
    if (!(fds[0].revents & POLLIN))
        return 0;
    return fa_fcgi_take(f);
}

int fa_fcgi_accept_queued(fa_fcgi_t *f)
{
    /* The listening socket is non-blocking (fa_fcgi_create): nothing queued
     * is an EAGAIN at once. */
    return fa_fcgi_take(f);
}

char *const *fa_fcgi_params(const fa_fcgi_t *f)
{
    return f->request.envp;
}

fa_status_t fa_fcgi_read_body(fa_fcgi_t *f, fa_arena_t *arena, size_t length, fa_str_t *out,
                              fa_error_t *err)
{
    char *buf = fa_arena_alloc(arena, length + 1);
    int got = length ? FCGX_GetStr(buf, (int)length, f->request.in) : 0;
    if (got < 0 || (size_t)got != length)
        return fa_error_set(err, FA_ERR_BAD_REQUEST, "incomplete_body",
                            "the request body is shorter than Content-Length", NULL);
    buf[length] = '\0';
    *out = (fa_str_t){buf, length};
    return FA_OK;
}

int fa_fcgi_write(fa_fcgi_t *f, const char *data, size_t len)
{
    return FCGX_PutStr(data, (int)len, f->request.out) == (int)len ? 0 : -1;
}

void fa_fcgi_finish(fa_fcgi_t *f)
{
    if (f->accepted)
        FCGX_Finish_r(&f->request);
    f->accepted = 0;
}
