/* The only module that sees libfcgi. It owns the listening socket and one
 * FCGX_Request per worker, and turns "wait for a request" into something a
 * signal can interrupt: the worker polls the listening socket and a wake-up
 * pipe, and the socket is non-blocking so a lost accept race costs nothing
 * (libfcgi would otherwise sit in accept() and ignore SIGTERM). */
#ifndef FA_HTTP_FCGI_H
#define FA_HTTP_FCGI_H

#include <stddef.h>

#include "core/arena.h"
#include "core/status.h"
#include "core/str.h"

typedef struct fa_fcgi fa_fcgi_t;

/* Creates the unix socket at path (replacing a stale one), mode 0660, owned by
 * group when given; "-" returns 0 (a socket inherited on fd 0). -1 on error
 * with a message in err. */
int fa_fcgi_listen(const char *path, const char *group, char *err, size_t err_len);
/* The same with the listen(2) backlog given (fa_fcgi_listen uses 1024). On
 * Linux a unix socket queues at most backlog + 1 connections nobody has
 * accepted yet; one more is refused at once (connect: EAGAIN), which nginx
 * answers with 502 without waiting: a bounded queue. */
int fa_fcgi_listen_backlog(const char *path, const char *group, int backlog, char *err,
                           size_t err_len);

fa_fcgi_t *fa_fcgi_create(int listen_fd);
void fa_fcgi_destroy(fa_fcgi_t *f);

/* 1: a request is ready; 0: woken by wake_fd or a lost race; -1: fatal. */
int fa_fcgi_accept(fa_fcgi_t *f, int wake_fd);
/* Stop sequence: takes a connection already waiting in the listen backlog
 * without waiting for one. 1: a request is ready; 0: the backlog is empty. */
int fa_fcgi_accept_queued(fa_fcgi_t *f);
char *const *fa_fcgi_params(const fa_fcgi_t *f);
/* Reads exactly length bytes of body into the arena (length already bounded). */
fa_status_t fa_fcgi_read_body(fa_fcgi_t *f, fa_arena_t *arena, size_t length, fa_str_t *out,
                              fa_error_t *err);
int fa_fcgi_write(fa_fcgi_t *f, const char *data, size_t len);
void fa_fcgi_finish(fa_fcgi_t *f);

#endif
