/* Descriptor hygiene at start (issue 15), before anything opens its own. */
#ifndef FA_CORE_FDS_H
#define FA_CORE_FDS_H

/* Opens /dev/null on any of fds 0-2 that is closed, so a socket or file
 * opened later never becomes stdout or stderr (log lines written into the
 * FastCGI socket), and closes every inherited descriptor above 2 (the
 * launching shell's, which workers would keep), except the sockets systemd
 * hands over (LISTEN_FDS for this pid, from fd 3). Aborts when /dev/null
 * cannot be opened in place of a closed standard descriptor. */
void fa_fds_sanitize(void);

#endif
