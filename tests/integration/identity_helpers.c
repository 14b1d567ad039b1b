/* Identity suites' helpers (identity_helpers.h). Never: asserts except where
 * the header says FATAL, or passes a value to SQL other than as a bound
 * parameter. */
#include "identity_helpers.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "signin_helpers.h"

/* ---- users ----------------------------------------------------------- */

static char *fa_id_sign_in(fa_http_jar_t *jar, const char *login)
{
    fa_signin_result_t r;
    bool ok = fa_signin_browser(jar, login, "/app", &r);
    FA_CHECK_FATAL(ok && r.session, "sign-in as %s: %s", login, fa_signin_describe(&r));
    char *session = fa_xstrdup(r.session);
    fa_signin_result_free(&r);
    fa_seen_token(session);
    return session;
}

void fa_id_user_new(fa_id_user_t *u, const char *prefix)
{
    memset(u, 0, sizeof(*u));
    u->id = fa_fresh_user_id();
    snprintf(u->id_text, sizeof u->id_text, "%lld", u->id);
    snprintf(u->login, sizeof u->login, "%s-%lld", prefix, u->id);
    FA_CHECK_FATAL(fa_emulator_put_user(u->id, u->login), "cannot add emulator user %s", u->login);
    u->jar = fa_http_jar_new();
    u->session = fa_id_sign_in(u->jar, u->login);
}

char *fa_id_user_second_session(fa_id_user_t *u, fa_http_jar_t **jar)
{
    *jar = fa_http_jar_new();
    return fa_id_sign_in(*jar, u->login);
}

void fa_id_user_free(fa_id_user_t *u)
{
    free(u->session);
    if (u->jar)
        fa_http_jar_free(u->jar);
    memset(u, 0, sizeof(*u));
}

fa_http_response_t *fa_id_post_json(const char *path, const char *bearer, const char *json)
{
    char *auth = bearer ? fa_xasprintf("Authorization: Bearer %s", bearer) : NULL;
    const char *headers[] = {"Content-Type: application/json", auth, NULL};
    fa_http_response_t *r = fa_http_send("POST", path, headers, json, NULL);
    fa_seen_response(r);
    free(auth);
    return r;
}

/* ---- the CLI ---------------------------------------------------------- */

void fa_id_cli(fa_run_result_t *res, const char *const *args)
{
    fa_id_cli_with(res, args, NULL);
}

void fa_id_cli_with(fa_run_result_t *res, const char *const *args, const char *const *overrides)
{
    char *argv[16];
    size_t n = 0;
    argv[n++] = (char *)fa_env("FA_TEST_BIN");
    for (size_t i = 0; args[i] && n < 15; i++)
        argv[n++] = (char *)args[i];
    argv[n] = NULL;
    char **envp = fa_envfile_environ(overrides);
    fa_run(argv, envp, 30000, res);
    fa_strv_free(envp);
}

size_t fa_id_service_secrets(char *out[4])
{
    char *list = fa_envfile_get("FOUNDRY_AUTH_SECRET");
    if (!list)
        list = fa_envfile_get("BETTER_AUTH_SECRET");
    size_t n = 0;
    for (char *save = NULL, *p = list ? strtok_r(list, ",", &save) : NULL; p && n < 4;
         p = strtok_r(NULL, ",", &save))
        out[n++] = fa_xstrdup(p);
    free(list);
    return n;
}

/* ---- a second instance ------------------------------------------------ */

static bool fa_id_socket_accepts(void *arg)
{
    const char *path = arg;
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof addr.sun_path)
        return false;
    strcpy(addr.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

bool fa_instance_start(fa_instance_t *in, const char *name, const char *const *overrides)
{
    const char *tmp = fa_env("FA_TEST_TMP");
    in->socket = fa_xasprintf("%s/%s-%d.sock", tmp, name, (int)getpid());
    in->log = fa_xasprintf("%s/%s-%d.log", tmp, name, (int)getpid());
    char *sock_env = fa_xasprintf("FOUNDRY_AUTH_SOCKET=%s", in->socket);
    const char *all[24];
    size_t n = 0;
    all[n++] = sock_env;
    all[n++] = "FOUNDRY_AUTH_WORKERS=1";
    all[n++] = "FOUNDRY_AUTH_SOCKET_GROUP"; /* the test (root) talks to it directly */
    for (size_t i = 0; overrides && overrides[i] && n < 23; i++)
        all[n++] = overrides[i];
    all[n] = NULL;
    char **envp = fa_envfile_environ(all);
    char *argv[] = {(char *)fa_env("FA_TEST_BIN"), "serve", NULL};
    unlink(in->socket);
    in->pid = fa_spawn(argv, envp, in->log);
    fa_strv_free(envp);
    free(sock_env);
    return in->pid > 0 && fa_wait_until(10000, 50, fa_id_socket_accepts, in->socket);
}

void fa_instance_stop(fa_instance_t *in)
{
    if (in->pid > 0) {
        kill(in->pid, SIGTERM);
        if (fa_wait_pid(in->pid, 5000) == -1) {
            kill(in->pid, SIGKILL);
            fa_wait_pid(in->pid, 2000);
        }
    }
    if (in->socket)
        unlink(in->socket);
    free(in->socket);
    free(in->log);
    memset(in, 0, sizeof(*in));
}

static void fa_id_add_header(fa_http_response_t *r, const char *name, size_t name_len,
                             const char *value, size_t value_len)
{
    r->headers = realloc(r->headers, (r->header_count + 1) * sizeof(*r->headers));
    if (!r->headers)
        abort();
    while (value_len && (value[0] == ' ' || value[0] == '\t'))
        value++, value_len--;
    r->headers[r->header_count].name = strndup(name, name_len);
    r->headers[r->header_count].value = strndup(value, value_len);
    r->header_count++;
}

/* "Status: 200 OK\r\nName: value\r\n...\r\n\r\nbody" from the CGI side. */
static void fa_id_parse_cgi(fa_http_response_t *r, const char *out)
{
    const char *end = strstr(out, "\r\n\r\n");
    const char *body = end ? end + 4 : out + strlen(out);
    for (const char *line = out; end && line < end;) {
        const char *eol = strstr(line, "\r\n");
        const char *colon = memchr(line, ':', (size_t)(eol - line));
        if (colon)
            fa_id_add_header(r, line, (size_t)(colon - line), colon + 1, (size_t)(eol - colon - 1));
        line = eol + 2;
    }
    const char *status = fa_http_header(r, "Status");
    r->status = end ? (status ? atol(status) : 200) : 0;
    r->body = fa_xstrdup(body);
    r->body_len = strlen(body);
}

fa_http_response_t *fa_instance_request(const fa_instance_t *in, const fa_fcgi_request_t *req)
{
    const char *method = req->method ? req->method : "GET";
    char *body_file = fa_xasprintf("%s/fcgi-body-%d", fa_env("FA_TEST_TMP"), (int)getpid());
    FILE *f = fopen(body_file, "w");
    if (!f)
        abort();
    if (req->body)
        fputs(req->body, f);
    fclose(f);
    char *vars[16];
    size_t n = 0;
    vars[n++] = fa_xasprintf("REQUEST_METHOD=%s", method);
    vars[n++] = fa_xasprintf("DOCUMENT_URI=%s", req->path);
    vars[n++] = fa_xasprintf("REQUEST_URI=%s", req->path);
    vars[n++] = fa_xasprintf("QUERY_STRING=%s", req->query ? req->query : "");
    vars[n++] = fa_xstrdup("SERVER_PROTOCOL=HTTP/1.1");
    vars[n++] = fa_xstrdup("REMOTE_ADDR=127.0.0.1");
    vars[n++] = fa_xasprintf("CONTENT_LENGTH=%zu", req->body ? strlen(req->body) : (size_t)0);
    if (req->body)
        vars[n++] = fa_xstrdup("CONTENT_TYPE=application/json");
    if (req->cookie)
        vars[n++] = fa_xasprintf("HTTP_COOKIE=%s", req->cookie);
    if (req->bearer)
        vars[n++] = fa_xasprintf("HTTP_AUTHORIZATION=Bearer %s", req->bearer);
    if (req->origin)
        vars[n++] = fa_xasprintf("HTTP_ORIGIN=%s", req->origin);
    vars[n] = NULL;
    char *argv[] = {"/bin/sh",  "-c",      "exec /usr/bin/cgi-fcgi -bind -connect \"$0\" < \"$1\"",
                    in->socket, body_file, NULL};
    fa_run_result_t res;
    fa_run(argv, vars, 10000, &res);
    fa_http_response_t *r = calloc(1, sizeof(*r));
    if (!r)
        abort();
    if (res.exit_code == 0)
        fa_id_parse_cgi(r, res.out);
    else {
        r->body = fa_xasprintf("cgi-fcgi exit %d: %s", res.exit_code, res.err);
        r->body_len = strlen(r->body);
    }
    fa_run_result_free(&res);
    for (size_t i = 0; i < n; i++)
        free(vars[i]);
    unlink(body_file);
    free(body_file);
    return r;
}

int fa_id_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&addr, sizeof addr) == 0 &&
        getsockname(fd, (struct sockaddr *)&addr, &len) == 0)
        port = ntohs(addr.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}
