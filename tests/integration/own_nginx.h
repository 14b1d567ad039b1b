/* An nginx of a suite's own, beside the one scripts/test started: for
 * checks that need the shipped snippets with something the main test nginx
 * does not have (the shipped rate limit, a protected location). It runs as
 * www-data in a scratch directory under FA_TEST_TMP, with the repository's
 * nginx/snippets linked as snippets/ (relative includes resolve as in
 * production), the service's sockets as upstreams foundry_auth and
 * foundry_auth_signin (the sign-in pool's, issue 15) and the HSTS
 * map the locations snippet needs. */
#ifndef FA_INTEGRATION_OWN_NGINX_H
#define FA_INTEGRATION_OWN_NGINX_H

#include <stdbool.h>
#include <sys/types.h>

typedef struct {
    char *dir;
    int port;
    pid_t pid;
    const char *socket; /* set before start: upstream socket; NULL = the service's */
} fa_own_nginx_t;

/* Starts it in FA_TEST_TMP/<name>-<pid>: http_extra goes into http {} (zones,
 * maps), server_conf into the one server {}, which listens on a free
 * loopback port. workers is nginx's worker_processes. True once /healthz
 * answers 200 through it; on false the message names the logs to read. */
bool fa_own_nginx_start(fa_own_nginx_t *n, const char *name, int workers, const char *http_extra,
                        const char *server_conf);
/* The same in front of another service instance's socket (NULL: n->socket,
 * or the service's own). */
bool fa_own_nginx_start_on(fa_own_nginx_t *n, const char *name, int workers, const char *http_extra,
                           const char *server_conf, const char *socket);
/* "http://127.0.0.1:<port><path>" (malloc'd). */
char *fa_own_nginx_url(const fa_own_nginx_t *n, const char *path);
/* Stops it (SIGTERM, then SIGKILL) and frees n; safe on a never-started n. */
void fa_own_nginx_stop(fa_own_nginx_t *n);

#endif
