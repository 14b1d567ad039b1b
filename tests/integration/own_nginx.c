/* See own_nginx.h. */
#include "own_nginx.h"

#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "identity_helpers.h"

/* nginx's workers write their temp files as www-data. */
static void fa_chown_www(const char *path)
{
    struct passwd *pw = getpwnam("www-data");
    if (pw && chown(path, pw->pw_uid, pw->pw_gid) != 0)
        fprintf(stderr, "chown %s: %s\n", path, strerror(errno));
}

static bool fa_own_nginx_answers(void *arg)
{
    char *url = fa_own_nginx_url(arg, "/healthz");
    fa_http_response_t *r = fa_http_get(url);
    bool ok = r->status == 200;
    fa_http_response_free(r);
    free(url);
    return ok;
}

/* FOUNDRY_AUTH_SIGNIN_SOCKET of the env file, else what the service derives
 * from FOUNDRY_AUTH_SOCKET (app/core/config.c): x.sock -> x-signin.sock. */
static char *fa_own_nginx_signin_socket(const char *sock)
{
    char *given = fa_envfile_get("FOUNDRY_AUTH_SIGNIN_SOCKET");
    if (given || !sock)
        return given;
    size_t len = strlen(sock);
    if (len > 5 && strcmp(sock + len - 5, ".sock") == 0)
        return fa_xasprintf("%.*s-signin.sock", (int)(len - 5), sock);
    return fa_xasprintf("%s.signin", sock);
}

static bool fa_own_nginx_write_conf(const fa_own_nginx_t *n, const char *conf, int workers,
                                    const char *http_extra, const char *server_conf)
{
    char *sock = n->socket ? fa_xstrdup(n->socket) : fa_envfile_get("FOUNDRY_AUTH_SOCKET");
    char *signin = fa_own_nginx_signin_socket(sock);
    FILE *f = fopen(conf, "w");
    if (!f || !sock || !signin) {
        if (f)
            fclose(f);
        free(sock);
        free(signin);
        return false;
    }
    fprintf(f,
            "user www-data;\nworker_processes %2$d;\ndaemon off;\npid %1$s/nginx.pid;\n"
            "error_log %1$s/error.log warn;\nevents { worker_connections 512; }\n"
            "http {\n"
            "    access_log %1$s/access.log;\n"
            "    client_body_temp_path %1$s/tmp/body;\n    fastcgi_temp_path %1$s/tmp/fastcgi;\n"
            "    proxy_temp_path %1$s/tmp/proxy;\n    scgi_temp_path %1$s/tmp/scgi;\n"
            "    uwsgi_temp_path %1$s/tmp/uwsgi;\n"
            "    upstream foundry_auth { server unix:%3$s; }\n"
            "    upstream foundry_auth_signin { server unix:%7$s; }\n"
            "    include snippets/foundry-auth-hsts-map.conf;\n"
            "%4$s\n"
            "    server {\n"
            "        listen 127.0.0.1:%5$d;\n"
            "%6$s\n"
            "    }\n"
            "}\n",
            n->dir, workers, sock, http_extra, n->port, server_conf, signin);
    fclose(f);
    free(sock);
    free(signin);
    return true;
}

bool fa_own_nginx_start(fa_own_nginx_t *n, const char *name, int workers, const char *http_extra,
                        const char *server_conf)
{
    return fa_own_nginx_start_on(n, name, workers, http_extra, server_conf, NULL);
}

bool fa_own_nginx_start_on(fa_own_nginx_t *n, const char *name, int workers, const char *http_extra,
                           const char *server_conf, const char *socket)
{
    if (socket)
        n->socket = socket;
    n->dir = fa_xasprintf("%s/%s-%d", fa_env("FA_TEST_TMP"), name, (int)getpid());
    n->pid = -1;
    n->port = fa_id_free_port();
    mkdir(n->dir, 0755);
    char *snippets = fa_xasprintf("%s/nginx/snippets", fa_env("FA_TEST_ROOT"));
    char *link = fa_xasprintf("%s/snippets", n->dir);
    bool linked = symlink(snippets, link) == 0 || errno == EEXIST;
    free(snippets), free(link);
    const char *tmps[] = {"tmp", "tmp/body", "tmp/fastcgi", "tmp/proxy", "tmp/scgi", "tmp/uwsgi"};
    for (size_t i = 0; i < sizeof tmps / sizeof tmps[0]; i++) {
        char *d = fa_xasprintf("%s/%s", n->dir, tmps[i]);
        mkdir(d, 0700);
        fa_chown_www(d);
        free(d);
    }
    char *conf = fa_xasprintf("%s/nginx.conf", n->dir);
    char *log = fa_xasprintf("%s/nginx.out", n->dir);
    bool up = false;
    if (linked && fa_own_nginx_write_conf(n, conf, workers, http_extra, server_conf)) {
        char *argv[] = {"/usr/sbin/nginx", "-p", n->dir, "-c", conf, NULL};
        n->pid = fa_spawn(argv, NULL, log);
        up = n->pid > 0 && fa_wait_until(10000, 100, fa_own_nginx_answers, n);
    }
    if (!up)
        fprintf(stderr, "%s: nginx did not start (see %s and %s/error.log)\n", name, log, n->dir);
    free(conf), free(log);
    return up;
}

char *fa_own_nginx_url(const fa_own_nginx_t *n, const char *path)
{
    return fa_xasprintf("http://127.0.0.1:%d%s", n->port, path);
}

void fa_own_nginx_stop(fa_own_nginx_t *n)
{
    if (n->pid > 0) {
        kill(n->pid, SIGTERM);
        if (fa_wait_pid(n->pid, 5000) == -1) {
            kill(n->pid, SIGKILL);
            fa_wait_pid(n->pid, 2000);
        }
    }
    n->pid = -1;
    free(n->dir);
    n->dir = NULL;
}
