/* Load driver for complete sign-ins (scripts/bench). wrk cannot follow a
 * redirect to another host, so this walks the OAuth dance with libcurl, one
 * thread per concurrent browser, for a fixed time:
 *
 * Thread i signs in as the emulator user bench-signin-i (scripts/bench
 * creates them).
 *
 *   service MODE:  GET /v1/auth/github/start -> emulator authorize (auto-approve)
 *                  -> GET /v1/auth/github/callback; a success is a callback
 *                  302 that is not an authError and sets the session cookie.
 *   emulator MODE: the emulator's own share of one sign-in, without the
 *                  service: authorize + code exchange (PKCE) + GET /user, the
 *                  calls the callback makes.
 *
 * Usage:
 *   signin_driver service  SERVICE_URL THREADS SECONDS
 *   signin_driver emulator EMULATOR_URL THREADS SECONDS CLIENT_ID CLIENT_SECRET CALLBACK_URL
 * Prints one line: BENCH requests=N duration_us=D rps=R p50_us=.. p99_us=.. errors=E */
#include <curl/curl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FA_DRIVER_MAX_THREADS 64
#define FA_DRIVER_MAX_SAMPLES 200000

typedef struct {
    const char *mode;
    const char *base;
    const char *client_id;
    const char *client_secret;
    const char *callback;
    double deadline;
} fa_driver_conf_t;

typedef struct {
    const fa_driver_conf_t *conf;
    int index;
    long ok;
    long errors;
    size_t n;
    unsigned *samples_us;
    char last_error[160];
} fa_driver_thread_t;

static double fa_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t fa_sink(char *ptr, size_t size, size_t n, void *data)
{
    (void)ptr;
    (void)data;
    return size * n;
}

typedef struct {
    char buf[4096];
    size_t len;
} fa_body_t;

static size_t fa_collect(char *ptr, size_t size, size_t n, void *data)
{
    fa_body_t *b = data;
    size_t len = size * n;
    size_t room = sizeof(b->buf) - 1 - b->len;
    size_t take = len < room ? len : room;
    memcpy(b->buf + b->len, ptr, take);
    b->len += take;
    b->buf[b->len] = '\0';
    return len;
}

/* GET url without following redirects; *location gets a copy of the
 * redirect target (caller frees). Returns the HTTP status, 0 on error. */
static long fa_get(CURL *c, const char *url, char **location)
{
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, fa_sink);
    if (curl_easy_perform(c) != CURLE_OK)
        return 0;
    long status = 0;
    char *loc = NULL;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &loc);
    if (location)
        *location = loc ? strdup(loc) : NULL;
    return status;
}

static bool fa_has_session_cookie(CURL *c)
{
    struct curl_slist *cookies = NULL, *it;
    bool found = false;
    curl_easy_getinfo(c, CURLINFO_COOKIELIST, &cookies);
    for (it = cookies; it; it = it->next) {
        /* Netscape format: domain flag path secure expiry name value */
        const char *name = strstr(it->data, "\tfoundry_session\t");
        if (!name)
            name = strstr(it->data, "\t__Host-foundry_session\t");
        if (name && strlen(strchr(name + 1, '\t')) > 1)
            found = true;
    }
    curl_slist_free_all(cookies);
    return found;
}

static bool fa_signin_service(fa_driver_thread_t *t, CURL *c)
{
    char url[1024], *authorize = NULL, *callback = NULL, *done = NULL;
    bool ok = false;
    curl_easy_setopt(c, CURLOPT_COOKIELIST, "ALL"); /* a fresh browser each time */
    snprintf(url, sizeof(url), "%s/v1/auth/github/start?returnTo=%%2Fapp", t->conf->base);
    long st = fa_get(c, url, &authorize);
    if (st != 302 || !authorize) {
        snprintf(t->last_error, sizeof(t->last_error), "start answered %ld", st);
        goto out;
    }
    /* Each thread is its own GitHub user: GitHub (and the emulator) keeps
     * ten live tokens per user and app, and eight browsers signing in as
     * one user would revoke each other's tokens mid-flight. */
    snprintf(url, sizeof(url), "%s&login=bench-signin-%d", authorize, t->index);
    st = fa_get(c, url, &callback);
    if (st != 302 || !callback || !strstr(callback, "code=")) {
        snprintf(t->last_error, sizeof(t->last_error), "authorize answered %ld", st);
        goto out;
    }
    st = fa_get(c, callback, &done);
    if (st != 302 || !done || strstr(done, "authError") || !fa_has_session_cookie(c)) {
        snprintf(t->last_error, sizeof(t->last_error), "callback answered %ld to %.80s", st,
                 done ? done : "(none)");
        goto out;
    }
    ok = true;
out:
    free(authorize);
    free(callback);
    free(done);
    return ok;
}

/* base64url without padding of SHA-256(verifier): the PKCE S256 challenge. */
static void fa_pkce_challenge(const char *verifier, char *out, size_t cap)
{
    unsigned char digest[32];
    unsigned int len = 0;
    unsigned char b64[64];
    EVP_Digest(verifier, strlen(verifier), digest, &len, EVP_sha256(), NULL);
    int n = EVP_EncodeBlock(b64, digest, (int)len);
    size_t j = 0;
    for (int i = 0; i < n && j + 1 < cap; i++) {
        char ch = (char)b64[i];
        if (ch == '=')
            break;
        out[j++] = ch == '+' ? '-' : ch == '/' ? '_' : ch;
    }
    out[j] = '\0';
}

static bool fa_signin_emulator(fa_driver_thread_t *t, CURL *c)
{
    const fa_driver_conf_t *cf = t->conf;
    char verifier[64], challenge[64], url[2048], form[1024], auth[256];
    char *location = NULL, *cb = NULL, *code = NULL;
    bool ok = false;
    fa_body_t body = {.len = 0};
    snprintf(verifier, sizeof(verifier), "bench-verifier-%d-0123456789abcdefghijklmnopqrstuv",
             t->index);
    fa_pkce_challenge(verifier, challenge, sizeof(challenge));
    cb = curl_easy_escape(c, cf->callback, 0);
    snprintf(url, sizeof(url),
             "%s/login/oauth/authorize?client_id=%s&redirect_uri=%s&state=bench%d"
             "&scope=read%%3Auser&code_challenge=%s&code_challenge_method=S256"
             "&login=bench-signin-%d",
             cf->base, cf->client_id, cb, t->index, challenge, t->index);
    long st = fa_get(c, url, &location);
    const char *p = location ? strstr(location, "code=") : NULL;
    if (st != 302 || !p) {
        snprintf(t->last_error, sizeof(t->last_error), "authorize answered %ld", st);
        goto out;
    }
    code = strndup(p + 5, strcspn(p + 5, "&"));
    snprintf(form, sizeof(form),
             "client_id=%s&client_secret=%s&code=%s&redirect_uri=%s&code_verifier=%s",
             cf->client_id, cf->client_secret, code, cb, verifier);
    struct curl_slist *accept = curl_slist_append(NULL, "Accept: application/json");
    snprintf(url, sizeof(url), "%s/login/oauth/access_token", cf->base);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, form);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, accept);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, fa_collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    CURLcode rc = curl_easy_perform(c);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(accept);
    const char *tok = strstr(body.buf, "\"access_token\":\"");
    if (rc != CURLE_OK || !tok) {
        snprintf(t->last_error, sizeof(t->last_error), "token exchange failed: %.80s", body.buf);
        goto out;
    }
    tok += strlen("\"access_token\":\"");
    snprintf(auth, sizeof(auth), "Authorization: Bearer %.*s", (int)strcspn(tok, "\""), tok);
    struct curl_slist *hdrs = curl_slist_append(NULL, auth);
    snprintf(url, sizeof(url), "%s/user", cf->base);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    st = fa_get(c, url, NULL);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(hdrs);
    if (st != 200) {
        snprintf(t->last_error, sizeof(t->last_error), "GET /user answered %ld", st);
        goto out;
    }
    ok = true;
out:
    free(location);
    free(code);
    curl_free(cb);
    return ok;
}

static void *fa_driver_run(void *arg)
{
    fa_driver_thread_t *t = arg;
    bool service = strcmp(t->conf->mode, "service") == 0;
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_COOKIEFILE, "");
    curl_easy_setopt(c, CURLOPT_USERAGENT, "foundry-auth-bench/1");
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    while (fa_now() < t->conf->deadline) {
        double start = fa_now();
        bool ok = service ? fa_signin_service(t, c) : fa_signin_emulator(t, c);
        if (!ok) {
            /* A refused sign-in (service_busy when the sign-in pool is
             * full) is retried after a pause, as a person would, not in
             * a tight loop that measures the retry storm instead. */
            t->errors++;
            struct timespec pause = {0, 100 * 1000 * 1000};
            nanosleep(&pause, NULL);
            continue;
        }
        t->ok++;
        if (t->n < FA_DRIVER_MAX_SAMPLES)
            t->samples_us[t->n++] = (unsigned)((fa_now() - start) * 1e6);
    }
    curl_easy_cleanup(c);
    return NULL;
}

static int fa_cmp_unsigned(const void *a, const void *b)
{
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    bool service = argc == 5 && strcmp(argv[1], "service") == 0;
    bool emulator = argc == 8 && strcmp(argv[1], "emulator") == 0;
    if (!service && !emulator) {
        fprintf(stderr, "usage: signin_driver service URL THREADS SECONDS\n"
                        "       signin_driver emulator URL THREADS SECONDS CLIENT_ID "
                        "CLIENT_SECRET CALLBACK_URL\n");
        return 2;
    }
    int threads = atoi(argv[3]);
    double seconds = atof(argv[4]);
    if (threads < 1 || threads > FA_DRIVER_MAX_THREADS || seconds <= 0) {
        fprintf(stderr, "signin_driver: THREADS 1..64 and SECONDS > 0\n");
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    fa_driver_conf_t conf = {.mode = argv[1], .base = argv[2]};
    if (emulator) {
        conf.client_id = argv[5];
        conf.client_secret = argv[6];
        conf.callback = argv[7];
    }
    fa_driver_thread_t t[FA_DRIVER_MAX_THREADS];
    pthread_t tid[FA_DRIVER_MAX_THREADS];
    double start = fa_now();
    conf.deadline = start + seconds;
    for (int i = 0; i < threads; i++) {
        t[i] = (fa_driver_thread_t){.conf = &conf, .index = i};
        t[i].samples_us = calloc(FA_DRIVER_MAX_SAMPLES, sizeof(unsigned));
        if (!t[i].samples_us)
            abort();
        pthread_create(&tid[i], NULL, fa_driver_run, &t[i]);
    }
    long ok = 0, errors = 0;
    size_t total = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(tid[i], NULL);
        ok += t[i].ok;
        errors += t[i].errors;
        total += t[i].n;
    }
    double elapsed = fa_now() - start;
    unsigned *all = calloc(total ? total : 1, sizeof(unsigned));
    size_t k = 0;
    for (int i = 0; i < threads; i++) {
        memcpy(all + k, t[i].samples_us, t[i].n * sizeof(unsigned));
        k += t[i].n;
        if (t[i].errors)
            fprintf(stderr, "signin_driver: thread %d: %ld errors, last: %s\n", i, t[i].errors,
                    t[i].last_error);
        free(t[i].samples_us);
    }
    qsort(all, total, sizeof(unsigned), fa_cmp_unsigned);
    unsigned p50 = total ? all[total / 2] : 0;
    unsigned p99 = total ? all[(size_t)((double)total * 0.99) < total
                                   ? (size_t)((double)total * 0.99)
                                   : total - 1]
                         : 0;
    printf("BENCH requests=%ld duration_us=%ld rps=%.1f p50_us=%u p99_us=%u errors=%ld\n", ok,
           (long)(elapsed * 1e6), (double)ok / elapsed, p50, p99, errors);
    free(all);
    curl_global_cleanup();
    return ok > 0 ? 0 : 1;
}
