/* SIGTERM/SIGINT/SIGQUIT for long-running loops (FastCGI workers, the job
 * process): the handler only sets a flag and writes to a pipe, so a loop
 * blocked in poll() wakes at once while work in flight runs to its end
 * (SA_RESTART). SIGTERM and SIGINT ask for a full stop (a request worker
 * also serves what waits in the listen backlog); SIGQUIT for a quick one
 * (finish what is in hand, leave the backlog: a reload's retiring worker, a
 * worker whose master died). */
#ifndef FA_CORE_STOP_SIGNAL_H
#define FA_CORE_STOP_SIGNAL_H

#include <stdbool.h>

/* Installs the handlers, ignores SIGPIPE and SIGHUP, unblocks every signal;
 * returns the pipe's read end to poll on. Aborts if no pipe can be made. */
int fa_stop_signal_install(void);
bool fa_stop_requested(void);
/* True when the stop came from SIGQUIT: leave queued work to others. */
bool fa_stop_is_quick(void);
/* Empties the pipe (after a wake-up that was not a stop). */
void fa_stop_signal_drain(void);

#endif
