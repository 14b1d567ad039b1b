/* The faults suite's load generator and process views (faults.h). The
 * threads only record; every verdict is drawn by the test afterwards. */
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "faults.h"
#include "signin_helpers.h"

/* ---- load ------------------------------------------------------------- */

enum { FA_LOAD_MAX_THREADS = 6 };

struct fa_load {
    fa_load_config_t cfg;
    char *select_body;
    atomic_int stop;
    pthread_t threads[FA_LOAD_MAX_THREADS];
    size_t thread_count;
    pthread_mutex_t lock; /* records, sessions, streak */
    fa_op_record_t *records;
    size_t record_count, record_cap;
    char **sessions;
    size_t session_count;
    long streak;
};

const char *fa_op_kind_name(fa_op_kind_t kind)
{
    static const char *const names[FA_OP_KINDS] = {"sign-in", "session (live token)",
                                                   "revoked token", "forged token",
                                                   "mutation (org select)"};
    return kind < FA_OP_KINDS ? names[kind] : "?";
}

static void fa_load_push(fa_load_t *l, const fa_op_record_t *rec, const char *session)
{
    pthread_mutex_lock(&l->lock);
    if (l->record_count == l->record_cap) {
        l->record_cap = l->record_cap ? l->record_cap * 2 : 1024;
        l->records = realloc(l->records, l->record_cap * sizeof *l->records);
        if (l->records == NULL)
            abort();
    }
    l->records[l->record_count++] = *rec;
    l->streak = rec->outcome == FA_OUT_OK ? l->streak + 1 : 0;
    if (session) {
        l->sessions = realloc(l->sessions, (l->session_count + 1) * sizeof *l->sessions);
        if (l->sessions == NULL)
            abort();
        l->sessions[l->session_count++] = fa_xstrdup(session);
    }
    pthread_mutex_unlock(&l->lock);
}

/* 503 from the service or nginx, always a JSON error. */
static bool fa_is_unavailable(const fa_http_response_t *r)
{
    char why[64];
    return r->status == 503 && fa_http_is_json_error(r, 503, NULL, why, sizeof why);
}

/* Outcome of an API answer whose right answer is expected. */
static fa_outcome_t fa_classify(const fa_http_response_t *r, long expected, bool may_be_down)
{
    if (r->status == expected)
        return FA_OUT_OK;
    if (may_be_down && fa_is_unavailable(r))
        return FA_OUT_UNAVAILABLE;
    if (r->status == 502)
        return FA_OUT_KILLED;
    return FA_OUT_WRONG;
}

static void fa_record_http(fa_op_record_t *rec, const fa_http_response_t *r, const char *what)
{
    rec->answered = fa_now();
    rec->status = r->status;
    if (rec->outcome != FA_OUT_OK)
        snprintf(rec->detail, sizeof rec->detail, "%s -> %ld %.150s", what, r->status, r->body);
}

/* A sign-in redirect's outcome: the session cookie, service_unavailable, or wrong. */
static fa_outcome_t fa_classify_redirect(const fa_http_response_t *r, const char *location)
{
    if (r->status == 502)
        return FA_OUT_KILLED;
    if (r->status != 302 || location == NULL)
        return FA_OUT_WRONG;
    char *error = fa_auth_error_of(location);
    fa_outcome_t o =
        error && strcmp(error, "service_unavailable") == 0 ? FA_OUT_UNAVAILABLE : FA_OUT_WRONG;
    free(error);
    return o;
}

static void fa_op_signin(fa_load_t *l)
{
    fa_op_record_t rec = {.kind = FA_OP_SIGNIN, .sent = fa_now()};
    fa_http_jar_t *jar = fa_http_jar_new();
    fa_signin_result_t r;
    char *session = NULL;
    if (!fa_signin_begin(jar, l->cfg.login, "/app", &r)) {
        rec.outcome = fa_classify_redirect(r.start, r.authorize_url);
        rec.status = r.start->status;
        if (rec.outcome == FA_OUT_WRONG)
            snprintf(rec.detail, sizeof rec.detail, "start -> %ld %.80s; authorize %ld",
                     r.start->status, r.authorize_url ? r.authorize_url : r.start->body,
                     r.authorize ? r.authorize->status : -1);
    } else {
        rec.callback_sent = true;
        bool ok = fa_signin_finish(jar, &r, 20000);
        rec.status = r.callback->status;
        char *path = fa_location_path(r.location);
        if (ok && fa_location_is_local(r.location) && path && strcmp(path, "/app") == 0) {
            rec.outcome = FA_OUT_OK;
            session = r.session;
        } else {
            rec.outcome = fa_classify_redirect(r.callback, r.location);
            if (ok && rec.outcome == FA_OUT_UNAVAILABLE)
                rec.outcome = FA_OUT_WRONG; /* a session cookie with an error */
        }
        if (rec.outcome == FA_OUT_WRONG)
            snprintf(rec.detail, sizeof rec.detail, "callback -> %ld %.100s (cookie %s) %.60s",
                     r.callback->status, r.location ? r.location : "(no Location)",
                     r.session ? "set" : "absent", r.callback->body);
        free(path);
    }
    rec.answered = fa_now();
    fa_load_push(l, &rec, session);
    fa_signin_result_free(&r);
    fa_http_jar_free(jar);
}

static void fa_op_session(fa_load_t *l, fa_op_kind_t kind, const char *token, long expected,
                          bool may_be_down)
{
    fa_op_record_t rec = {.kind = kind, .sent = fa_now()};
    fa_http_response_t *r = fa_bearer_request("GET", "/v1/auth/session", token, NULL);
    rec.outcome = fa_classify(r, expected, may_be_down);
    fa_record_http(&rec, r, "GET /v1/auth/session");
    fa_load_push(l, &rec, NULL);
    fa_http_response_free(r);
}

static void fa_op_select(fa_load_t *l, fa_op_kind_t kind, const char *token, long expected)
{
    fa_op_record_t rec = {.kind = kind, .sent = fa_now()};
    fa_http_response_t *r =
        fa_bearer_request("POST", "/v1/app/organizations/select", token, l->select_body);
    rec.outcome = fa_classify(r, expected, true);
    fa_record_http(&rec, r, "POST /v1/app/organizations/select");
    fa_load_push(l, &rec, NULL);
    fa_http_response_free(r);
}

static void *fa_signin_thread(void *arg)
{
    fa_load_t *l = arg;
    while (!atomic_load(&l->stop))
        fa_op_signin(l);
    return NULL;
}

static void *fa_valid_thread(void *arg)
{
    fa_load_t *l = arg;
    while (!atomic_load(&l->stop))
        fa_op_session(l, FA_OP_SESSION_VALID, l->cfg.valid_token, 200, true);
    return NULL;
}

/* Revoked and forged tokens, on a read and on a mutation. */
static void *fa_revoked_thread(void *arg)
{
    fa_load_t *l = arg;
    char *forged = fa_random_session_value();
    for (unsigned i = 0; !atomic_load(&l->stop); i++) {
        switch (i % 3) {
        case 0:
            fa_op_session(l, FA_OP_REVOKED, l->cfg.revoked_token, 401, true);
            break;
        case 1:
            fa_op_select(l, FA_OP_REVOKED, l->cfg.revoked_token, 401);
            break;
        default: /* a bad signature is refused without the database */
            fa_op_session(l, FA_OP_FORGED, forged, 401, false);
        }
    }
    free(forged);
    return NULL;
}

static void *fa_mutation_thread(void *arg)
{
    fa_load_t *l = arg;
    while (!atomic_load(&l->stop))
        fa_op_select(l, FA_OP_MUTATION, l->cfg.valid_token, 200);
    return NULL;
}

static void fa_load_spawn(fa_load_t *l, void *(*fn)(void *))
{
    if (l->thread_count == FA_LOAD_MAX_THREADS ||
        pthread_create(&l->threads[l->thread_count], NULL, fn, l) != 0)
        abort();
    l->thread_count++;
}

fa_load_t *fa_load_start(const fa_load_config_t *cfg)
{
    fa_load_t *l = calloc(1, sizeof *l);
    if (l == NULL)
        abort();
    l->cfg = *cfg;
    l->select_body = fa_xasprintf("{\"organizationId\":\"%s\"}", cfg->org_id ? cfg->org_id : "0");
    pthread_mutex_init(&l->lock, NULL);
    for (int i = 0; cfg->with_signins && i < (cfg->signin_threads > 0 ? cfg->signin_threads : 1);
         i++)
        fa_load_spawn(l, fa_signin_thread);
    if (cfg->with_sessions) {
        fa_load_spawn(l, fa_valid_thread);
        fa_load_spawn(l, fa_revoked_thread);
    }
    if (cfg->with_mutations)
        fa_load_spawn(l, fa_mutation_thread);
    return l;
}

static int fa_by_answer(const void *a, const void *b)
{
    double x = ((const fa_op_record_t *)a)->answered, y = ((const fa_op_record_t *)b)->answered;
    return (x > y) - (x < y);
}

void fa_load_stop(fa_load_t *l)
{
    if (l->thread_count == 0)
        return;
    atomic_store(&l->stop, 1);
    for (size_t i = 0; i < l->thread_count; i++)
        pthread_join(l->threads[i], NULL);
    l->thread_count = 0;
    qsort(l->records, l->record_count, sizeof *l->records, fa_by_answer);
}

void fa_load_free(fa_load_t *l)
{
    if (l == NULL)
        return;
    fa_load_stop(l);
    for (size_t i = 0; i < l->session_count; i++)
        free(l->sessions[i]);
    free(l->sessions);
    free(l->records);
    free(l->select_body);
    pthread_mutex_destroy(&l->lock);
    free(l);
}

size_t fa_load_records(fa_load_t *l, const fa_op_record_t **out)
{
    *out = l->records;
    return l->record_count;
}

size_t fa_load_sessions(fa_load_t *l, char *const **out)
{
    *out = l->sessions;
    return l->session_count;
}

long fa_load_ok_since(fa_load_t *l, double t)
{
    long n = 0;
    pthread_mutex_lock(&l->lock);
    for (size_t i = 0; i < l->record_count; i++)
        n += l->records[i].sent >= t && l->records[i].outcome == FA_OUT_OK;
    pthread_mutex_unlock(&l->lock);
    return n;
}

long fa_load_ok_streak(fa_load_t *l)
{
    pthread_mutex_lock(&l->lock);
    long n = l->streak;
    pthread_mutex_unlock(&l->lock);
    return n;
}

void fa_load_summarize(fa_load_t *l, double from, double to, fa_load_summary_t *out)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < l->record_count; i++) {
        const fa_op_record_t *r = &l->records[i];
        if (r->sent < from || r->answered > to)
            continue;
        out->total++;
        out->per_kind[r->kind]++;
        switch (r->outcome) {
        case FA_OUT_OK:
            out->ok++;
            break;
        case FA_OUT_UNAVAILABLE:
            out->unavailable++;
            break;
        case FA_OUT_KILLED:
            out->killed++;
            if (!l->cfg.kills_expected && out->first_wrong == NULL)
                out->first_wrong = r;
            break;
        default:
            out->wrong++;
            if (out->first_wrong == NULL)
                out->first_wrong = r;
        }
    }
    if (!l->cfg.kills_expected)
        out->wrong += out->killed;
}

/* ---- the user ----------------------------------------------------------- */

static char *fa_load_sign_in(const char *login)
{
    fa_http_jar_t *jar = fa_http_jar_new();
    fa_signin_result_t r;
    bool ok = fa_signin_browser(jar, login, "/app", &r);
    FA_CHECK_FATAL(ok, "sign-in as %s: %s", login, fa_signin_describe(&r));
    char *token = fa_xstrdup(r.session);
    fa_signin_result_free(&r);
    fa_http_jar_free(jar);
    return token;
}

void fa_load_user_new(fa_load_user_t *u, const char *prefix)
{
    memset(u, 0, sizeof *u);
    FA_CHECK_FATAL(fa_user_create(&u->user, prefix, NULL, 0, false), "emulator user %s", prefix);
    u->valid_token = fa_load_sign_in(u->user.login);
    u->revoked_token = fa_load_sign_in(u->user.login);
    fa_http_response_t *r = fa_bearer_request("POST", "/v1/auth/sign-out", u->revoked_token, NULL);
    FA_CHECK_FATAL(r->status == 204, "sign-out of the second session: %ld %.200s", r->status,
                   r->body);
    fa_http_response_free(r);
    r = fa_bearer_request("GET", "/v1/auth/session", u->revoked_token, NULL);
    FA_CHECK_FATAL(r->status == 401, "signed-out token still answers %ld", r->status);
    fa_http_response_free(r);
}

void fa_load_user_free(fa_load_user_t *u)
{
    free(u->valid_token);
    free(u->revoked_token);
    memset(u, 0, sizeof *u);
}

/* ---- processes ---------------------------------------------------------- */

static int fa_pid_cmp(const void *a, const void *b)
{
    pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
    return (x > y) - (x < y);
}

size_t fa_workers(pid_t *out, size_t max)
{
    pid_t master = fa_service_master_pid();
    size_t n = master > 0 ? fa_proc_children(master, out, max) : 0;
    qsort(out, n, sizeof *out, fa_pid_cmp);
    return n;
}

long fa_proc_fd_count(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
    DIR *d = opendir(path);
    if (d == NULL)
        return -1;
    long n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

long fa_proc_rss_kib(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    char *text = fa_file_read(path, NULL);
    const char *line = text ? strstr(text, "\nVmRSS:") : NULL;
    long kib = line ? strtol(line + 7, NULL, 10) : -1;
    free(text);
    return kib;
}

bool fa_service_is_asan(void)
{
    char *v = fa_envfile_get("ASAN_OPTIONS");
    bool asan = v != NULL && *v != '\0';
    free(v);
    return asan;
}

typedef struct {
    pid_t pid;
    const char *log;
    size_t offset;
} fa_listen_wait_t;

static bool fa_jobs_listening_since(void *arg)
{
    fa_listen_wait_t *w = arg;
    size_t len = 0;
    char *text = fa_file_read(w->log, &len);
    bool found = text && len > w->offset &&
                 strstr(text + w->offset, "listening on channel foundry_jobs") != NULL;
    free(text);
    return found || !fa_proc_alive(w->pid);
}

bool fa_jobs_main_restart(void)
{
    const char *pidfile = getenv("FA_TEST_JOBS_PIDFILE");
    const char *log = getenv("FA_TEST_JOBS_LOG");
    if (pidfile == NULL || log == NULL || fa_jobs_main_pid() > 0)
        return false;
    size_t offset = 0;
    free(fa_file_read(log, &offset));
    char **envp = fa_envfile_environ(NULL);
    char *argv[] = {(char *)fa_env("FA_TEST_BIN"), "jobs", NULL};
    pid_t pid = fa_spawn(argv, envp, log);
    fa_strv_free(envp);
    if (pid <= 0)
        return false;
    FILE *f = fopen(pidfile, "w");
    if (f == NULL)
        return false;
    fprintf(f, "%d\n", (int)pid);
    fclose(f);
    fa_listen_wait_t w = {pid, log, offset};
    return fa_wait_until(15000, 50, fa_jobs_listening_since, &w) && fa_proc_alive(pid);
}

/* ---- after a fault ------------------------------------------------------ */

char *fa_db_now(void)
{
    char *t = fa_sql_text("SELECT now()::text", NULL);
    FA_CHECK_FATAL(t != NULL, "SELECT now() failed");
    return t;
}

void fa_faults_check_consistency(const char *when, const char *since)
{
    fa_orphans_t o;
    fa_orphans_count(&o);
    FA_CHECK(o.index_without_session == 0, "%s: %lld session_index rows without a session", when,
             o.index_without_session);
    FA_CHECK(o.session_without_index == 0, "%s: %lld sessions without a session_index row", when,
             o.session_without_index);
    FA_CHECK(o.session_without_state == 0, "%s: %lld sessions without a session_state row", when,
             o.session_without_state);
    long long no_profile = fa_sql_int("SELECT count(*) FROM users u WHERE u.updated_at >= "
                                      "$1::timestamptz AND NOT EXISTS "
                                      "(SELECT 1 FROM user_profiles p WHERE p.user_id = u.id)",
                                      since, NULL);
    FA_CHECK(no_profile == 0, "%s: %lld users rows without a user_profiles row", when, no_profile);
    long long no_account = fa_sql_int("SELECT count(*) FROM users u WHERE u.updated_at >= "
                                      "$1::timestamptz AND NOT EXISTS "
                                      "(SELECT 1 FROM accounts a WHERE a.user_id = u.id)",
                                      since, NULL);
    FA_CHECK(no_account == 0, "%s: %lld users rows without an accounts row", when, no_account);
}

size_t fa_faults_check_sessions_live(const char *when, char *const *tokens, size_t n)
{
    size_t live = 0;
    long last = 0;
    for (size_t i = 0; i < n; i++) {
        fa_http_response_t *r = fa_bearer_request("GET", "/v1/auth/session", tokens[i], NULL);
        live += r->status == 200;
        last = r->status != 200 ? r->status : last;
        fa_http_response_free(r);
    }
    FA_CHECK(live == n,
             "%s: %zu of %zu sessions issued by answered sign-ins do not work (e.g. %ld): their "
             "rows are missing",
             when, n - live, n, last);
    return live;
}

static bool fa_ready_ten(void *arg)
{
    (void)arg;
    for (int i = 0; i < 10; i++) {
        fa_http_response_t *r = fa_http_get("/readyz");
        bool ok = r->status == 200;
        fa_http_response_free(r);
        if (!ok)
            return false;
    }
    return true;
}

bool fa_faults_wait_ready(long timeout_ms)
{
    return fa_wait_until(timeout_ms, 50, fa_ready_ten, NULL);
}
