/* Owns: the descriptor table at start. Never: closes a descriptor opened by
 * this process (it runs first, in main). */
#include "core/fds.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static void fa_fds_open_standard(void)
{
    for (int fd = 0; fd <= 2; fd++) {
        if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
            continue;
        /* The lowest free descriptor is fd itself: the ones below are open. */
        int got = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
        if (got != fd)
            abort();
    }
}

/* The sockets systemd passes (sd_listen_fds(3)): fds 3 .. 3+n-1 when
 * LISTEN_PID names this process. */
static int fa_fds_first_closable(void)
{
    const char *fds = getenv("LISTEN_FDS"), *pid = getenv("LISTEN_PID");
    if (!fds || !pid || atol(pid) != (long)getpid())
        return 3;
    long n = atol(fds);
    return n > 0 && n < 1024 ? 3 + (int)n : 3;
}

/* Without close_range (kernel < 5.9): every entry of /proc/self/fd. */
static void fa_fds_close_listed(int first)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return;
    int own = dirfd(d);
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        char *end;
        long fd = strtol(e->d_name, &end, 10);
        if (*end == '\0' && e->d_name[0] != '\0' && fd >= first && fd != own)
            close((int)fd);
    }
    closedir(d);
}

void fa_fds_sanitize(void)
{
    fa_fds_open_standard();
    int first = fa_fds_first_closable();
    if (syscall(SYS_close_range, (unsigned)first, ~0U, 0U) != 0)
        fa_fds_close_listed(first);
}
