/* Log audit (issue 7, invariant 6): after every other suite, search every
 * log the run produced (service, job processes, nginx access and error logs,
 * the GitHub emulator, PostgreSQL, extra instances under FA_TEST_TMP) for
 * every secret the suites saw: session tokens, OAuth codes and states,
 * browser-binding cookies, GitHub access tokens, admin tokens, JWT
 * signatures, FOUNDRY_AUTH_SECRET and GITHUB_CLIENT_SECRET. Zero hits.
 * Register LAST: it reads what the whole run wrote. It first drives a small
 * sign-in story of its own, so it proves something even when run alone. */
#include <glob.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "identity_helpers.h"
#include "signin_helpers.h"

/* ---- needles ------------------------------------------------------------- */

/* A secret is searched as each of its base64url/hex runs of at least
 * FA_AUDIT_MIN characters, and a run longer than FA_AUDIT_PART as its first
 * and last FA_AUDIT_PART characters too, so a truncated copy (an nginx
 * "too long header line" excerpt, say) is caught as well. */
enum { FA_AUDIT_MIN = 16, FA_AUDIT_PART = 20 };

typedef struct {
    char *text;
    size_t len;
    const char *kind;
} fa_needle_t;

typedef struct {
    fa_needle_t *slots; /* open addressing, power-of-two size */
    size_t cap, count;
    size_t lengths[16]; /* distinct needle lengths */
    size_t nlengths;
} fa_needles_t;

static bool fa_run_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

static uint64_t fa_hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h;
}

static const fa_needle_t *fa_needles_find(const fa_needles_t *set, const char *s, size_t n)
{
    if (set->cap == 0)
        return NULL;
    for (size_t i = fa_hash(s, n) & (set->cap - 1);; i = (i + 1) & (set->cap - 1)) {
        const fa_needle_t *slot = &set->slots[i];
        if (slot->text == NULL)
            return NULL;
        if (slot->len == n && memcmp(slot->text, s, n) == 0)
            return slot;
    }
}

static void fa_needles_add(fa_needles_t *set, const char *s, size_t n, const char *kind)
{
    if (fa_needles_find(set, s, n))
        return;
    if ((set->count + 1) * 2 > set->cap) {
        fa_needles_t grown = {.cap = set->cap ? set->cap * 2 : 1024};
        grown.slots = calloc(grown.cap, sizeof *grown.slots);
        if (grown.slots == NULL)
            abort();
        for (size_t i = 0; i < set->cap; i++)
            if (set->slots[i].text) {
                size_t j = fa_hash(set->slots[i].text, set->slots[i].len) & (grown.cap - 1);
                while (grown.slots[j].text)
                    j = (j + 1) & (grown.cap - 1);
                grown.slots[j] = set->slots[i];
            }
        free(set->slots);
        set->slots = grown.slots;
        set->cap = grown.cap;
    }
    size_t i = fa_hash(s, n) & (set->cap - 1);
    while (set->slots[i].text)
        i = (i + 1) & (set->cap - 1);
    set->slots[i] = (fa_needle_t){strndup(s, n), n, kind};
    set->count++;
    bool known = false;
    for (size_t k = 0; k < set->nlengths; k++)
        known = known || set->lengths[k] == n;
    if (!known && set->nlengths < sizeof set->lengths / sizeof set->lengths[0])
        set->lengths[set->nlengths++] = n;
}

/* Adds every run of the secret (see FA_AUDIT_MIN / FA_AUDIT_PART). */
static void fa_needles_add_secret(fa_needles_t *set, const char *secret, const char *kind)
{
    for (const char *p = secret; *p;) {
        if (!fa_run_char((unsigned char)*p)) {
            p++;
            continue;
        }
        const char *start = p;
        while (*p && fa_run_char((unsigned char)*p))
            p++;
        size_t n = (size_t)(p - start);
        if (n < FA_AUDIT_MIN)
            continue;
        fa_needles_add(set, start, n, kind);
        if (n > FA_AUDIT_PART + 4) {
            fa_needles_add(set, start, FA_AUDIT_PART, kind);
            fa_needles_add(set, p - FA_AUDIT_PART, FA_AUDIT_PART, kind);
        }
    }
}

static void fa_needles_free(fa_needles_t *set)
{
    for (size_t i = 0; i < set->cap; i++)
        free(set->slots[i].text);
    free(set->slots);
}

/* ---- the secrets ----------------------------------------------------------- */

typedef struct {
    const char *kind;
    size_t count;
} fa_kind_count_t;

static void fa_kind_tally(fa_kind_count_t *kinds, size_t *n, const char *kind)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp(kinds[i].kind, kind) == 0) {
            kinds[i].count++;
            return;
        }
    if (*n < 16)
        kinds[(*n)++] = (fa_kind_count_t){kind, 1};
}

static size_t fa_kind_count(const fa_kind_count_t *kinds, size_t n, const char *kind)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(kinds[i].kind, kind) == 0)
            return kinds[i].count;
    return 0;
}

/* ---- the logs ---------------------------------------------------------------- */

typedef struct {
    char *paths[64];
    size_t count;
} fa_log_files_t;

static void fa_logs_add(fa_log_files_t *f, const char *path)
{
    if (path == NULL || *path == '\0' || strchr(path, '$') || strcmp(path, "/dev/null") == 0 ||
        strcmp(path, "off") == 0 || f->count == sizeof f->paths / sizeof f->paths[0])
        return;
    for (size_t i = 0; i < f->count; i++)
        if (strcmp(f->paths[i], path) == 0)
            return;
    f->paths[f->count++] = fa_xstrdup(path);
}

/* Every "<directive> <path>" in text (nginx conf, or a pg_ctl command). */
static void fa_logs_from_directives(fa_log_files_t *f, const char *text, const char *directive)
{
    size_t n = strlen(directive);
    for (const char *p = text; p && (p = strstr(p, directive)) != NULL; p += n) {
        if (p > text && p[-1] != ' ' && p[-1] != '\n' && p[-1] != '\t')
            continue;
        const char *v = p + n;
        while (*v == ' ' || *v == '\t')
            v++;
        size_t len = strcspn(v, " \t;\n'\"");
        char *path = strndup(v, len);
        fa_logs_add(f, path);
        free(path);
    }
}

static void fa_logs_collect(fa_log_files_t *f)
{
    fa_logs_add(f, fa_env("FA_TEST_SERVICE_LOG"));
    fa_logs_add(f, getenv("FA_TEST_JOBS_LOG"));
    const char *pidfile = fa_env("FA_TEST_SERVICE_PIDFILE");
    const char *slash = strrchr(pidfile, '/');
    if (slash) { /* scripts/test keeps the emulator's logs beside the pid files */
        char *dir = strndup(pidfile, (size_t)(slash - pidfile));
        char *a = fa_xasprintf("%s/emulator.log", dir),
             *b = fa_xasprintf("%s/emulator.log.stdout", dir);
        fa_logs_add(f, a);
        fa_logs_add(f, b);
        free(a), free(b), free(dir);
    }
    char *conf = fa_file_read(fa_env("FA_TEST_NGINX_CONF"), NULL);
    if (conf) {
        fa_logs_from_directives(f, conf, "error_log");
        fa_logs_from_directives(f, conf, "access_log");
        free(conf);
    }
    fa_logs_from_directives(f, fa_env("FA_TEST_PG_START"), "-l");
    /* Extra instances, job processes and the protect suite's nginx. */
    static const char *const patterns[] = {"%s/*.log", "%s/*/*.log"};
    for (size_t p = 0; p < 2; p++) {
        char *pattern = fa_xasprintf(patterns[p], fa_env("FA_TEST_TMP"));
        glob_t g;
        if (glob(pattern, 0, NULL, &g) == 0)
            for (size_t i = 0; i < g.gl_pathc; i++)
                fa_logs_add(f, g.gl_pathv[i]);
        globfree(&g);
        free(pattern);
    }
}

typedef struct {
    size_t hits;
    size_t bytes, files_read;
    char first[8][400];
    size_t shown;
} fa_audit_t;

static void fa_audit_hit(fa_audit_t *a, const char *path, const char *text, const char *at,
                         const fa_needle_t *needle)
{
    a->hits++;
    if (a->shown == sizeof a->first / sizeof a->first[0])
        return;
    const char *line = at;
    while (line > text && line[-1] != '\n')
        line--;
    size_t lineno = 1;
    for (const char *p = text; p < line; p++)
        lineno += *p == '\n';
    /* The excerpt names the secret's kind, never a secret: every long
     * base64url/hex run in it is masked. */
    char *out = a->first[a->shown++];
    size_t cap = sizeof a->first[0];
    size_t n = (size_t)snprintf(out, cap, "%s:%zu: a %s (%zu chars) in: ", path, lineno,
                                needle->kind, needle->len);
    for (const char *p = line; *p && *p != '\n' && n + 16 < cap && p < line + 300;) {
        const char *q = p;
        while (*q && fa_run_char((unsigned char)*q))
            q++;
        if (q - p >= FA_AUDIT_MIN) {
            n += (size_t)snprintf(out + n, cap - n, "%s", at >= p && at < q ? "<SECRET>" : "<...>");
            p = q;
        } else if (q > p) {
            n += (size_t)snprintf(out + n, cap - n, "%.*s", (int)(q - p), p);
            p = q;
        } else {
            out[n++] = *p == '\t' ? ' ' : *p;
            out[n] = '\0';
            p++;
        }
    }
}

static void fa_audit_file(fa_audit_t *a, const fa_needles_t *set, const char *path)
{
    size_t len = 0;
    char *text = fa_file_read(path, &len);
    if (text == NULL)
        return;
    a->files_read++;
    a->bytes += len;
    for (size_t i = 0; i < len;) {
        if (!fa_run_char((unsigned char)text[i])) {
            i++;
            continue;
        }
        size_t start = i;
        while (i < len && fa_run_char((unsigned char)text[i]))
            i++;
        size_t run = i - start;
        if (run < FA_AUDIT_MIN)
            continue;
        /* One hit per run: its parts would only repeat it. */
        const fa_needle_t *hit = NULL;
        size_t at = 0;
        for (size_t k = 0; k < set->nlengths && !hit; k++) {
            size_t n = set->lengths[k];
            for (size_t off = 0; n <= run && off + n <= run && !hit; off++)
                if ((hit = fa_needles_find(set, text + start + off, n)) != NULL)
                    at = start + off;
        }
        if (hit)
            fa_audit_hit(a, path, text, text + at, hit);
    }
    free(text);
}

/* ---- a story of its own ----------------------------------------------------- */

/* Secrets this suite creates itself: a browser sign-in (state, code,
 * binding, session), a duplicate and a cross-browser callback, a refused
 * code, a dev bootstrap with a GitHub token, a JWT, an admin token rotated
 * through the API. */
static void test_sign_in_story(void)
{
    FA_CHECK_FATAL(fa_emulator_clear_faults(), "DELETE /_emulator/faults failed");
    fa_id_user_t u;
    fa_id_user_new(&u, "audit");
    fa_signin_result_t r;
    fa_http_jar_t *jar = fa_http_jar_new();
    bool ok = fa_signin_browser(jar, u.login, "/app", &r); /* before describing r */
    FA_CHECK_FATAL(ok, "sign-in: %s", fa_signin_describe(&r));
    fa_http_response_t *again = fa_signin_callback(jar, r.callback_url, NULL, 0);
    FA_CHECK(again->status == 302, "duplicate callback: %ld", again->status);
    fa_http_response_free(again);
    fa_http_jar_t *other = fa_http_jar_new();
    again = fa_signin_callback(other, r.callback_url, NULL, 0);
    FA_CHECK(again->status == 302, "callback from another browser: %ld", again->status);
    fa_http_response_free(again);
    fa_signin_result_free(&r);
    /* A code GitHub refuses. */
    ok = fa_signin_begin(jar, u.login, "/app", &r);
    FA_CHECK_FATAL(ok, "start: %s", fa_signin_describe(&r));
    fa_emulator_arm_fault("{\"endpoint\":\"token\",\"error\":\"bad_verification_code\"}");
    fa_signin_finish(jar, &r, 0);
    fa_emulator_clear_faults();
    fa_signin_result_free(&r);

    char *gh = fa_emulator_issue_token(u.login, "read:user user:email read:org");
    FA_CHECK_FATAL(gh != NULL, "tokens/issue failed");
    char *body = fa_xasprintf("{\"githubToken\":\"%s\"}", gh);
    fa_http_response_t *boot = fa_id_post_json("/v1/auth/dev/bootstrap", NULL, body);
    char *session = fa_set_cookie_value(boot, fa_session_cookie_name());
    FA_CHECK(boot->status == 200 && session, "dev bootstrap: %ld %.200s", boot->status, boot->body);
    fa_seen_token(session);
    fa_http_response_free(boot);

    fa_http_response_t *jwt =
        fa_id_post_json("/v1/auth/token", u.session, "{\"audience\":\"api.test\"}");
    char *token = fa_http_json_string(jwt, "token");
    FA_CHECK(jwt->status == 200 && token, "POST /v1/auth/token: %ld %.200s", jwt->status,
             jwt->body);
    const char *sig = token ? strrchr(token, '.') : NULL;
    fa_seen_secret("jwt_signature", sig ? sig + 1 : NULL);
    fa_http_response_free(jwt);

    fa_run_result_t res;
    const char *create[] = {"admin", "token", "create", NULL};
    fa_id_cli(&res, create);
    if (res.exit_code != 0) {
        fa_run_result_free(&res);
        const char *rotate[] = {"admin", "token", "rotate", NULL};
        fa_id_cli(&res, rotate);
    }
    res.out[strcspn(res.out, "\n")] = '\0';
    FA_CHECK(res.exit_code == 0 && *res.out, "admin token: exit %d", res.exit_code);
    fa_seen_secret("admin_token", res.out);
    fa_http_response_t *rot = fa_id_post_json("/v1/admin/token/rotate", res.out, "{}");
    char *next = fa_http_json_string(rot, "token");
    FA_CHECK(rot->status == 200 && next, "POST /v1/admin/token/rotate: %ld", rot->status);
    fa_seen_secret("admin_token", next);
    fa_http_response_free(rot);
    fa_http_response_t *out = fa_bearer_request("POST", "/v1/auth/sign-out", session, NULL);
    FA_CHECK(out->status == 204, "sign-out: %ld", out->status);
    fa_http_response_free(out);

    free(next);
    fa_run_result_free(&res);
    free(token);
    free(session);
    free(body);
    free(gh);
    fa_http_jar_free(other);
    fa_http_jar_free(jar);
    fa_id_user_free(&u);
}

/* ---- the audit --------------------------------------------------------------- */

static void test_no_secret_in_any_log(void)
{
    fa_sleep_ms(300); /* let the last log lines reach their files */
    fa_needles_t set = {0};
    fa_kind_count_t kinds[16];
    size_t nkinds = 0;
    fa_seen_secret_t *seen;
    size_t nseen = fa_seen_secrets(&seen);
    for (size_t i = 0; i < nseen; i++) {
        fa_needles_add_secret(&set, seen[i].value, seen[i].kind);
        fa_kind_tally(kinds, &nkinds, seen[i].kind);
    }
    fa_seen_secrets_free(seen, nseen);
    char *secrets[4];
    size_t nsecrets = fa_id_service_secrets(secrets);
    for (size_t i = 0; i < nsecrets; i++) {
        fa_needles_add_secret(&set, secrets[i], "FOUNDRY_AUTH_SECRET");
        fa_kind_tally(kinds, &nkinds, "FOUNDRY_AUTH_SECRET");
        free(secrets[i]);
    }
    char *client_secret = fa_envfile_get("GITHUB_CLIENT_SECRET");
    if (client_secret) {
        fa_needles_add_secret(&set, client_secret, "GITHUB_CLIENT_SECRET");
        fa_kind_tally(kinds, &nkinds, "GITHUB_CLIENT_SECRET");
        free(client_secret);
    }
    static const char *const required[] = {"session",
                                           "state",
                                           "code",
                                           "binding",
                                           "github_token",
                                           "admin_token",
                                           "jwt_signature",
                                           "FOUNDRY_AUTH_SECRET",
                                           "GITHUB_CLIENT_SECRET"};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
        FA_CHECK(fa_kind_count(kinds, nkinds, required[i]) > 0,
                 "no %s was recorded: the audit would prove nothing about it", required[i]);

    fa_log_files_t files = {0};
    fa_logs_collect(&files);
    fa_audit_t a = {0};
    for (size_t i = 0; i < files.count; i++)
        fa_audit_file(&a, &set, files.paths[i]);
    FA_CHECK(a.files_read >= 5 && a.bytes > 0,
             "only %zu log files (%zu bytes) could be read: the audit would prove nothing",
             a.files_read, a.bytes);
    char shown[3300] = "";
    for (size_t i = 0; i < a.shown; i++) {
        strncat(shown, "\n      ", sizeof shown - strlen(shown) - 1);
        strncat(shown, a.first[i], sizeof shown - strlen(shown) - 1);
    }
    FA_CHECK(a.hits == 0, "%zu secret(s) found in the logs:%s", a.hits, shown);
    printf("\n    log audit: %zu secrets (", nseen + nsecrets + 1);
    for (size_t i = 0; i < nkinds; i++)
        printf("%s%zu %s", i ? ", " : "", kinds[i].count, kinds[i].kind);
    printf(") as %zu needles, searched in %zu log files (%zu KiB):", set.count, a.files_read,
           a.bytes / 1024);
    for (size_t i = 0; i < files.count; i++) {
        const char *base = strrchr(files.paths[i], '/');
        printf(" %s", base ? base + 1 : files.paths[i]);
        free(files.paths[i]);
    }
    printf("; %zu hits\n", a.hits);
    fa_needles_free(&set);
}

void fa_register_logaudit_suite(void)
{
    CU_pSuite s = fa_suite_add("logaudit", NULL, NULL);
    fa_test_add(s, "a sign-in story of its own", test_sign_in_story);
    fa_test_add(s, "no secret in any log", test_no_secret_in_any_log);
}
