/* HTTP through nginx with libcurl: one easy handle per request, cookies kept
 * per simulated browser in a CURLSH share, every response header recorded
 * (repeats such as Set-Cookie included). Never: follows a redirect unless
 * asked, or reads proxy settings from the environment. */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "harness.h"

struct fa_http_jar {
    CURLSH *share;
    pthread_mutex_t lock;
};

typedef struct {
    char *data;
    size_t len, cap;
} fa_growbuf_t;

static void fa_growbuf_append(fa_growbuf_t *b, const void *p, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + n + 1)
            cap *= 2;
        b->data = realloc(b->data, cap);
        if (b->data == NULL)
            abort();
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static size_t fa_http_on_body(char *p, size_t size, size_t n, void *arg)
{
    fa_growbuf_append(arg, p, size * n);
    return size * n;
}

static void fa_http_headers_clear(fa_http_response_t *res)
{
    for (size_t i = 0; i < res->header_count; i++) {
        free(res->headers[i].name);
        free(res->headers[i].value);
    }
    free(res->headers);
    res->headers = NULL;
    res->header_count = 0;
}

static char *fa_trimmed_dup(const char *p, size_t n)
{
    while (n && (*p == ' ' || *p == '\t'))
        p++, n--;
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r' || p[n - 1] == '\n'))
        n--;
    char *s = fa_xmalloc(n + 1);
    memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

/* Adds "Name: value" (no CRLF needed) to res; ignores lines without a colon. */
static void fa_http_header_add_line(fa_http_response_t *res, const char *line, size_t n)
{
    const char *colon = memchr(line, ':', n);
    if (colon == NULL || colon == line)
        return;
    res->headers = realloc(res->headers, (res->header_count + 1) * sizeof *res->headers);
    if (res->headers == NULL)
        abort();
    fa_http_header_t *h = &res->headers[res->header_count++];
    h->name = fa_trimmed_dup(line, (size_t)(colon - line));
    h->value = fa_trimmed_dup(colon + 1, n - (size_t)(colon - line) - 1);
}

/* Keeps only the final response's headers: a status line (100 Continue, or a
 * redirect hop when following) starts the list over. */
static size_t fa_http_on_header(char *p, size_t size, size_t n, void *arg)
{
    fa_http_response_t *res = arg;
    size_t len = size * n;
    if (len >= 5 && strncmp(p, "HTTP/", 5) == 0)
        fa_http_headers_clear(res);
    else
        fa_http_header_add_line(res, p, len);
    return len;
}

static char *fa_http_url(const char *path)
{
    if (strncmp(path, "http", 4) == 0)
        return fa_xstrdup(path);
    return fa_xasprintf("%s%s", fa_env("FA_TEST_URL"), path);
}

static struct curl_slist *fa_http_header_list(const fa_http_request_t *req)
{
    struct curl_slist *list = NULL;
    for (size_t i = 0; req->headers && req->headers[i]; i++)
        list = curl_slist_append(list, req->headers[i]);
    return list;
}

static void fa_http_setup(CURL *curl, const fa_http_request_t *req, fa_http_response_t *res,
                          fa_growbuf_t *body, char *errbuf)
{
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_PROXY, ""); /* never an environment proxy */
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, req->timeout_ms ? req->timeout_ms : 10000L);
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, req->follow_redirects ? 1L : 0L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, fa_http_on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, body);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, fa_http_on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, res);
    const char *method = req->method ? req->method : (req->body ? "POST" : "GET");
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    else
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    if (req->body) {
        size_t n = req->body_len ? req->body_len : strlen(req->body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, req->body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)n);
    }
    if (req->jar) {
        curl_easy_setopt(curl, CURLOPT_SHARE, req->jar->share);
        curl_easy_setopt(curl, CURLOPT_COOKIEFILE, "");
    }
}

fa_http_response_t *fa_http_do(const fa_http_request_t *req)
{
    fa_http_response_t *res = calloc(1, sizeof *res);
    fa_growbuf_t body = {0};
    char errbuf[CURL_ERROR_SIZE] = "";
    char *url = fa_http_url(req->path);
    struct curl_slist *headers = fa_http_header_list(req);
    CURL *curl = curl_easy_init();
    if (res == NULL || curl == NULL)
        abort();
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    fa_http_setup(curl, req, res, &body, errbuf);
    double start = fa_now();
    CURLcode rc = curl_easy_perform(curl);
    res->seconds = fa_now() - start;
    if (rc == CURLE_OK) {
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &res->status);
    } else {
        res->status = 0;
        free(body.data);
        body = (fa_growbuf_t){0};
        const char *msg = *errbuf ? errbuf : curl_easy_strerror(rc);
        fa_growbuf_append(&body, msg, strlen(msg));
    }
    if (body.data == NULL)
        fa_growbuf_append(&body, "", 0);
    res->body = body.data;
    res->body_len = body.len;
    curl_easy_cleanup(curl);
    curl_slist_free_all(headers);
    free(url);
    return res;
}

fa_http_response_t *fa_http_get(const char *path)
{
    return fa_http_do(&(fa_http_request_t){.path = path});
}

fa_http_response_t *fa_http_send(const char *method, const char *path, const char *const *headers,
                                 const char *body, fa_http_jar_t *jar)
{
    return fa_http_do(&(fa_http_request_t){
        .method = method, .path = path, .headers = headers, .body = body, .jar = jar});
}

void fa_http_response_free(fa_http_response_t *res)
{
    if (res == NULL)
        return;
    fa_http_headers_clear(res);
    free(res->body);
    free(res);
}

const char *fa_http_header_nth(const fa_http_response_t *res, const char *name, size_t n)
{
    for (size_t i = 0; i < res->header_count; i++)
        if (strcasecmp(res->headers[i].name, name) == 0 && n-- == 0)
            return res->headers[i].value;
    return NULL;
}

const char *fa_http_header(const fa_http_response_t *res, const char *name)
{
    return fa_http_header_nth(res, name, 0);
}

size_t fa_http_header_count(const fa_http_response_t *res, const char *name)
{
    size_t n = 0;
    for (size_t i = 0; i < res->header_count; i++)
        n += strcasecmp(res->headers[i].name, name) == 0;
    return n;
}

json_t *fa_http_json(const fa_http_response_t *res)
{
    return json_loadb(res->body, res->body_len, 0, NULL);
}

char *fa_http_json_string(const fa_http_response_t *res, const char *key)
{
    json_t *j = fa_http_json(res);
    const char *s = json_string_value(json_object_get(j, key));
    char *out = s ? fa_xstrdup(s) : NULL;
    json_decref(j);
    return out;
}

bool fa_http_is_json_error(const fa_http_response_t *res, long status, const char *code, char *why,
                           size_t why_len)
{
    bool status_ok = status ? res->status == status : (res->status >= 400 && res->status < 500);
    json_t *j = fa_http_json(res);
    const char *err = json_string_value(json_object_get(j, "error"));
    const char *msg = json_string_value(json_object_get(j, "message"));
    const char *ctype = fa_http_header(res, "Content-Type");
    bool ok =
        status_ok && json_is_object(j) && err && msg && (code == NULL || strcmp(err, code) == 0);
    char want[16];
    snprintf(want, sizeof want, status ? "%ld" : "a 4xx", status);
    snprintf(why, why_len,
             "expected %s JSON {\"error\":\"%s\",\"message\":...}, got %ld (%s) body %.200s", want,
             code ? code : "*", res->status, ctype ? ctype : "no content-type", res->body);
    json_decref(j);
    return ok;
}

static void fa_jar_lock(CURL *h, curl_lock_data d, curl_lock_access a, void *arg)
{
    (void)h, (void)d, (void)a;
    pthread_mutex_lock(&((fa_http_jar_t *)arg)->lock);
}

static void fa_jar_unlock(CURL *h, curl_lock_data d, void *arg)
{
    (void)h, (void)d;
    pthread_mutex_unlock(&((fa_http_jar_t *)arg)->lock);
}

fa_http_jar_t *fa_http_jar_new(void)
{
    fa_http_jar_t *jar = fa_xmalloc(sizeof *jar);
    pthread_mutex_init(&jar->lock, NULL);
    jar->share = curl_share_init();
    if (jar->share == NULL)
        abort();
    curl_share_setopt(jar->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_COOKIE);
    curl_share_setopt(jar->share, CURLSHOPT_LOCKFUNC, fa_jar_lock);
    curl_share_setopt(jar->share, CURLSHOPT_UNLOCKFUNC, fa_jar_unlock);
    curl_share_setopt(jar->share, CURLSHOPT_USERDATA, jar);
    return jar;
}

void fa_http_jar_free(fa_http_jar_t *jar)
{
    if (jar == NULL)
        return;
    curl_share_cleanup(jar->share);
    pthread_mutex_destroy(&jar->lock);
    free(jar);
}

/* An easy handle attached to the jar, for reading or editing its cookies. */
static CURL *fa_jar_handle(fa_http_jar_t *jar)
{
    CURL *curl = curl_easy_init();
    if (curl == NULL)
        abort();
    curl_easy_setopt(curl, CURLOPT_SHARE, jar->share);
    curl_easy_setopt(curl, CURLOPT_COOKIEFILE, "");
    return curl;
}

char *fa_http_jar_cookie(fa_http_jar_t *jar, const char *name)
{
    CURL *curl = fa_jar_handle(jar);
    struct curl_slist *list = NULL;
    char *out = NULL;
    curl_easy_getinfo(curl, CURLINFO_COOKIELIST, &list);
    /* Netscape format: domain, tailmatch, path, secure, expires, name, value. */
    for (struct curl_slist *l = list; l && out == NULL; l = l->next) {
        const char *f = l->data;
        for (int i = 0; i < 5 && f; i++) {
            f = strchr(f, '\t');
            f = f ? f + 1 : NULL;
        }
        const char *tab = f ? strchr(f, '\t') : NULL;
        if (tab && (size_t)(tab - f) == strlen(name) && strncmp(f, name, strlen(name)) == 0)
            out = fa_xstrdup(tab + 1);
    }
    curl_slist_free_all(list);
    curl_easy_cleanup(curl);
    return out;
}

void fa_http_jar_add(fa_http_jar_t *jar, const char *line)
{
    CURL *curl = fa_jar_handle(jar);
    curl_easy_setopt(curl, CURLOPT_COOKIELIST, line);
    curl_easy_cleanup(curl);
}

static fa_http_response_t *fa_emulator_request(const char *method, const char *path,
                                               const char *json)
{
    char *url = fa_xasprintf("%s/_emulator/%s", fa_env("FA_TEST_EMULATOR_URL"), path);
    static const char *const headers[] = {"Content-Type: application/json", NULL};
    fa_http_response_t *res = fa_http_do(&(fa_http_request_t){
        .method = method, .path = url, .headers = json ? headers : NULL, .body = json});
    free(url);
    return res;
}

fa_http_response_t *fa_emulator_post(const char *path, const char *json)
{
    return fa_emulator_request("POST", path, json ? json : "{}");
}

fa_http_response_t *fa_emulator_get(const char *path)
{
    return fa_emulator_request("GET", path, NULL);
}
