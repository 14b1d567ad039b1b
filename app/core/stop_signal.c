/* Owns: the stop flag and the self-pipe. Never: does work in a handler. */
#include "core/stop_signal.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

static volatile sig_atomic_t fa_stop;
static volatile sig_atomic_t fa_stop_quick;
static int fa_wake_pipe[2] = {-1, -1};

static void fa_on_stop(int sig)
{
    int saved = errno;
    fa_stop = 1;
    if (sig == SIGQUIT)
        fa_stop_quick = 1;
    ssize_t w = write(fa_wake_pipe[1], "x", 1);
    (void)w;
    errno = saved;
}

int fa_stop_signal_install(void)
{
    if (pipe2(fa_wake_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
        abort();
    struct sigaction sa = {.sa_handler = fa_on_stop, .sa_flags = SA_RESTART};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGQUIT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL); /* the master blocks them before fork */
    return fa_wake_pipe[0];
}

bool fa_stop_requested(void)
{
    return fa_stop != 0;
}

bool fa_stop_is_quick(void)
{
    return fa_stop_quick != 0;
}

void fa_stop_signal_drain(void)
{
    char buf[64];
    while (read(fa_wake_pipe[0], buf, sizeof(buf)) > 0)
        ;
}
