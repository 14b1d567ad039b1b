/* Shared plumbing of the jobs and snapshot suites (see jobs_helpers.h). */
#include "jobs_helpers.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- users ------------------------------------------------------------ */

static json_t *fa_id_array(const long long *ids, size_t count)
{
    json_t *a = json_array();
    for (size_t i = 0; i < count; i++)
        json_array_append_new(a, json_integer((json_int_t)ids[i]));
    return a;
}

static bool fa_emulator_ok2(fa_http_response_t *res, const char *what)
{
    bool ok = res->status >= 200 && res->status < 300;
    if (!ok)
        fprintf(stderr, "fa_integration: emulator %s: %ld %.300s\n", what, res->status, res->body);
    fa_http_response_free(res);
    return ok;
}

bool fa_user_create(fa_test_user_t *u, const char *prefix, const long long *org_ids, size_t count,
                    bool expiring)
{
    memset(u, 0, sizeof *u);
    u->id = fa_fresh_user_id();
    snprintf(u->id_text, sizeof u->id_text, "%lld", u->id);
    snprintf(u->login, sizeof u->login, "%s-%lld", prefix, u->id % 100000000LL);
    char *email = fa_xasprintf("%s@users.test.example", u->login);
    json_t *body =
        json_pack("{s:I,s:s,s:s,s:s,s:[{s:s,s:b,s:b,s:s}],s:o,s:b}", "id", (json_int_t)u->id,
                  "login", u->login, "name", u->login, "email", email, "emails", "email", email,
                  "primary", 1, "verified", 1, "visibility", "public", "orgIds",
                  fa_id_array(org_ids, count), "expiringTokens", expiring);
    char *text = json_dumps(body, JSON_COMPACT);
    bool ok = fa_emulator_ok2(fa_emulator_post("users", text), "POST users");
    free(text);
    json_decref(body);
    free(email);
    return ok;
}

bool fa_user_set_orgs(const fa_test_user_t *u, const long long *org_ids, size_t count)
{
    json_t *body = json_pack("{s:o}", "orgIds", fa_id_array(org_ids, count));
    char *text = json_dumps(body, JSON_COMPACT);
    char *path = fa_xasprintf("users/%s/orgs", u->login);
    bool ok = fa_emulator_ok2(fa_emulator_post(path, text), "POST users/<login>/orgs");
    free(path);
    free(text);
    json_decref(body);
    return ok;
}

bool fa_user_sign_in(const fa_test_user_t *u, fa_http_jar_t *jar)
{
    fa_signin_result_t r;
    bool ok = fa_signin_browser(jar, u->login, NULL, &r);
    if (!ok)
        fprintf(stderr, "fa_integration: sign-in of %s failed: %s\n", u->login,
                fa_signin_describe(&r));
    fa_signin_result_free(&r);
    return ok;
}

fa_http_response_t *fa_app_post(fa_http_jar_t *jar, const char *path, const char *body)
{
    char *origin = fa_test_origin();
    fa_http_response_t *res =
        fa_browser_request("POST", path, jar, origin, "application/json", body ? body : "{}");
    free(origin);
    return res;
}

json_t *fa_app_snapshot(fa_http_jar_t *jar)
{
    fa_http_request_t req = {.path = "/v1/app/snapshot", .jar = jar};
    fa_http_response_t *res = fa_http_do(&req);
    json_t *j = res->status == 200 ? fa_http_json(res) : NULL;
    if (!j)
        fprintf(stderr, "fa_integration: GET /v1/app/snapshot: %ld %.300s\n", res->status,
                res->body);
    fa_http_response_free(res);
    return j;
}

/* ---- waiting ------------------------------------------------------------ */

#define FA_MAX_PARAMS 8

static char *fa_sql_text_v(const char *sql, const char *const *params, size_t n)
{
    const char *p[FA_MAX_PARAMS + 1] = {NULL};
    for (size_t i = 0; i < n; i++)
        p[i] = params[i];
    switch (n) {
    case 0:
        return fa_sql_text(sql, NULL);
    case 1:
        return fa_sql_text(sql, p[0], NULL);
    case 2:
        return fa_sql_text(sql, p[0], p[1], NULL);
    case 3:
        return fa_sql_text(sql, p[0], p[1], p[2], NULL);
    default:
        return fa_sql_text(sql, p[0], p[1], p[2], p[3], NULL);
    }
}

char *fa_wait_sql(long timeout_ms, const char *expected, const char *sql, ...)
{
    const char *params[FA_MAX_PARAMS];
    size_t n = 0;
    va_list ap;
    va_start(ap, sql);
    for (const char *v; n < 4 && (v = va_arg(ap, const char *)) != NULL;)
        params[n++] = v;
    va_end(ap);
    double deadline = fa_now() + (double)timeout_ms / 1000.0;
    for (;;) {
        char *got = fa_sql_text_v(sql, params, n);
        if (!got)
            got = fa_xstrdup("(null)");
        if (strcmp(got, expected) == 0 || fa_now() >= deadline)
            return got;
        free(got);
        fa_sleep_ms(50);
    }
}

bool fa_wait_sync_status(const fa_test_user_t *u, const char *status, long timeout_ms)
{
    char *got = fa_wait_sql(timeout_ms, status,
                            "SELECT org_sync_status FROM user_profiles WHERE user_id = $1",
                            u->id_text, NULL);
    bool ok = strcmp(got, status) == 0;
    if (!ok)
        fprintf(stderr, "fa_integration: user %s org_sync_status is %s, waited for %s\n",
                u->id_text, got, status);
    free(got);
    return ok;
}

/* ---- job processes ------------------------------------------------------ */

static char *fa_jobs_pidfile(void)
{
    const char *p = getenv("FA_TEST_JOBS_PIDFILE");
    if (p && *p)
        return fa_xstrdup(p);
    /* scripts/test keeps jobs.pid beside service.pid when it does not export it. */
    const char *service = fa_env("FA_TEST_SERVICE_PIDFILE");
    const char *slash = strrchr(service, '/');
    return slash ? fa_xasprintf("%.*s/jobs.pid", (int)(slash - service), service)
                 : fa_xstrdup("jobs.pid");
}

pid_t fa_jobs_main_pid(void)
{
    char *file = fa_jobs_pidfile();
    char *text = fa_file_read(file, NULL);
    pid_t pid = text ? (pid_t)strtol(text, NULL, 10) : -1;
    free(text);
    free(file);
    return pid > 0 && fa_proc_alive(pid) ? pid : -1;
}

static pid_t fa_paused = -1;

bool fa_jobs_pause(void)
{
    pid_t pid = fa_jobs_main_pid();
    if (pid <= 0 || kill(pid, SIGSTOP) != 0)
        return false;
    fa_paused = pid;
    return true;
}

void fa_jobs_resume(void)
{
    if (fa_paused > 0)
        kill(fa_paused, SIGCONT);
    fa_paused = -1;
}

static bool fa_log_has_listening(void *arg)
{
    const fa_jobs_proc_t *p = arg;
    char *text = fa_file_read(p->log, NULL);
    bool found = text && strstr(text, "listening on channel foundry_jobs") != NULL;
    free(text);
    return found || !fa_proc_alive(p->pid);
}

bool fa_jobs_spawn(fa_jobs_proc_t *p, const char *const *overrides)
{
    static int serial;
    p->log =
        fa_xasprintf("%s/jobs-extra-%d-%d.log", fa_env("FA_TEST_TMP"), (int)getpid(), ++serial);
    unlink(p->log);
    char **envp = fa_envfile_environ(overrides);
    char *argv[] = {(char *)fa_env("FA_TEST_BIN"), "jobs", NULL};
    p->pid = fa_spawn(argv, envp, p->log);
    fa_strv_free(envp);
    if (p->pid <= 0)
        return false;
    fa_wait_until(15000, 50, fa_log_has_listening, p);
    return fa_proc_alive(p->pid) && fa_log_has_listening(p);
}

int fa_jobs_terminate(fa_jobs_proc_t *p, long timeout_ms)
{
    free(p->log);
    p->log = NULL;
    if (p->pid <= 0)
        return -1;
    kill(p->pid, SIGTERM);
    int rc = fa_wait_pid(p->pid, timeout_ms);
    if (rc == -1) {
        kill(p->pid, SIGKILL);
        waitpid(p->pid, NULL, 0);
    }
    p->pid = -1;
    return rc;
}

char *fa_jobs_worker_suffix(pid_t pid)
{
    return fa_xasprintf(":%ld", (long)pid);
}

long fa_jobs_backoff_base_ms(void)
{
    char *v = fa_envfile_get("FOUNDRY_JOBS_BACKOFF_BASE_MS");
    long ms = v && *v ? strtol(v, NULL, 10) : 2000;
    free(v);
    return ms > 0 ? ms : 2000;
}
