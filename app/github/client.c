/* The GitHub client over libcurl: one easy handle per worker, reset before
 * each request so no option leaks from one call into the next while the
 * connection cache (keep-alive) survives. Owns the transport hardening and
 * the mapping of transport results and HTTP statuses to fa_error_t codes.
 * Must never: follow a redirect, take a proxy from the environment
 * (httpoxy), retry a token-endpoint request, send the token to another
 * origin, or keep a secret in memory it owns after a call. */
#include "github/client.h"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <time.h>

#include "core/str.h"
#include "github/link_header.h"
#include "github/responses.h"

#define DEFAULT_TIMEOUT_MS 10000L
#define DEFAULT_CONNECT_TIMEOUT_MS 3000L
#define DEFAULT_RATE_WAIT 60L /* GitHub: without a header, wait a minute */
#define MAX_RATE_WAIT 86400L

struct fa_github {
    CURL *curl;
    char *oauth_url; /* without trailing slash */
    char *api_url;
    char *client_id;
    char *client_secret; /* wiped in destroy */
    long timeout_ms;
    long connect_timeout_ms;
    long orgs_per_page;
    char *body; /* FA_GITHUB_MAX_BODY bytes, wiped after each call */
    size_t body_len;
    bool body_too_large;
    long retry_after;
    bool rate_limited;
    long limited_status; /* 403 or 429 while rate_limited, else 0 */
};

typedef enum { METHOD_GET, METHOD_POST, METHOD_PUT } method_t;

typedef struct {
    method_t method;
    const char *what; /* for error details, e.g. "GET /user" */
    const char *url;
    const char *token; /* bearer token for the API, NULL for the token endpoint */
    char *form;        /* POST body; wiped by the caller */
} request_t;

typedef struct {
    long status;
    fa_str_t body; /* in gh->body: valid until the next call */
    fa_str_t link; /* in the arena; FA_STR_NULL when absent */
} response_t;

const char fa_github_err_unavailable[] = "github_unavailable";
const char fa_github_err_timeout[] = "github_timeout";
const char fa_github_err_unauthorized[] = "github_unauthorized";
const char fa_github_err_rate_limited[] = "github_rate_limited";
const char fa_github_err_refused[] = "github_refused";
const char fa_github_err_invalid_argument[] = "invalid_github_argument";

static void *xstrdup(const char *s)
{
    char *copy = strdup(s);
    if (!copy)
        abort();
    return copy;
}

static char *base_url_dup(const char *url)
{
    char *copy = xstrdup(url);
    size_t len = strlen(copy);
    while (len > 0 && copy[len - 1] == '/')
        copy[--len] = '\0';
    return copy;
}

static bool config_valid(const fa_github_config_t *cfg)
{
    return cfg && cfg->oauth_url && cfg->api_url && cfg->client_id && *cfg->client_id &&
           cfg->client_secret && *cfg->client_secret && cfg->orgs_per_page >= 0 &&
           cfg->orgs_per_page <= 100 && fa_github_same_origin(cfg->oauth_url, cfg->oauth_url) &&
           fa_github_same_origin(cfg->api_url, cfg->api_url);
}

fa_github_t *fa_github_create(const fa_github_config_t *cfg)
{
    if (!config_valid(cfg))
        return NULL;
    CURL *curl = curl_easy_init();
    if (!curl)
        return NULL;
    fa_github_t *gh = calloc(1, sizeof(*gh));
    char *body = malloc(FA_GITHUB_MAX_BODY);
    if (!gh || !body)
        abort();
    gh->curl = curl;
    gh->body = body;
    gh->oauth_url = base_url_dup(cfg->oauth_url);
    gh->api_url = base_url_dup(cfg->api_url);
    gh->client_id = xstrdup(cfg->client_id);
    gh->client_secret = xstrdup(cfg->client_secret);
    gh->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : DEFAULT_TIMEOUT_MS;
    gh->connect_timeout_ms =
        cfg->connect_timeout_ms > 0 ? cfg->connect_timeout_ms : DEFAULT_CONNECT_TIMEOUT_MS;
    gh->orgs_per_page = cfg->orgs_per_page > 0 ? cfg->orgs_per_page : 100;
    return gh;
}

void fa_github_destroy(fa_github_t *gh)
{
    if (!gh)
        return;
    curl_easy_cleanup(gh->curl);
    OPENSSL_cleanse(gh->client_secret, strlen(gh->client_secret));
    free(gh->client_secret);
    free(gh->client_id);
    free(gh->oauth_url);
    free(gh->api_url);
    free(gh->body);
    free(gh);
}

long fa_github_retry_after(const fa_github_t *gh)
{
    return gh->retry_after;
}

long fa_github_rate_limit_status(const fa_github_t *gh)
{
    return gh->rate_limited ? gh->limited_status : 0;
}

/* ---- transport ------------------------------------------------------- */

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
    fa_github_t *gh = userdata;
    size_t n = size * nmemb;
    if (n > FA_GITHUB_MAX_BODY - gh->body_len) {
        gh->body_too_large = true;
        return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
    }
    memcpy(gh->body + gh->body_len, data, n);
    gh->body_len += n;
    return n;
}

/* PUT without a body: Content-Length: 0. */
static size_t on_read_nothing(char *buf, size_t size, size_t nmemb, void *userdata)
{
    (void)buf, (void)size, (void)nmemb, (void)userdata;
    return 0;
}

static void wipe_body(fa_github_t *gh)
{
    OPENSSL_cleanse(gh->body, gh->body_len);
    gh->body_len = 0;
}

static struct curl_slist *header_add(struct curl_slist *list, const char *header)
{
    struct curl_slist *grown = curl_slist_append(list, header);
    if (!grown)
        abort();
    return grown;
}

/* curl_slist_append copies each string; the Authorization copy is wiped here. */
static void headers_free(struct curl_slist *list)
{
    for (struct curl_slist *h = list; h; h = h->next)
        OPENSSL_cleanse(h->data, strlen(h->data));
    curl_slist_free_all(list);
}

static void apply_common_options(fa_github_t *gh)
{
    CURL *c = gh->curl;
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    /* httpoxy: an empty proxy and NOPROXY "*" make libcurl ignore
     * http_proxy/https_proxy/all_proxy from the environment. */
    curl_easy_setopt(c, CURLOPT_PROXY, "");
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, gh->connect_timeout_ms);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, gh->timeout_ms);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    /* One kept-alive connection to the OAuth host and one to the API; more
     * would only give libcurl more dead connections to retry through. */
    curl_easy_setopt(c, CURLOPT_MAXCONNECTS, 2L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "foundry-auth");
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)FA_GITHUB_MAX_BODY);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, gh);
}

static struct curl_slist *apply_request(fa_github_t *gh, const request_t *req, char *auth,
                                        size_t auth_size)
{
    CURL *c = gh->curl;
    struct curl_slist *headers = NULL;
    curl_easy_setopt(c, CURLOPT_URL, req->url);
    if (req->token) {
        headers = header_add(headers, "Accept: application/vnd.github+json");
        headers = header_add(headers, "X-GitHub-Api-Version: 2022-11-28");
        snprintf(auth, auth_size, "Authorization: Bearer %s", req->token);
        headers = header_add(headers, auth);
    } else {
        headers = header_add(headers, "Accept: application/json");
        /* A fresh connection is never retried by libcurl (it silently
         * re-sends only on a reused connection that died): a code or refresh
         * token is spent at most once. */
        curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L);
    }
    if (req->method == METHOD_POST) {
        headers = header_add(headers, "Content-Type: application/x-www-form-urlencoded");
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->form);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(req->form));
    } else if (req->method == METHOD_PUT) {
        headers = header_add(headers, "Expect:");
        curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)0);
        curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read_nothing);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    return headers;
}

/* All values of a response header joined by ", " (RFC 9110 §5.3), or NULL. */
static char *header_value(fa_github_t *gh, fa_arena_t *arena, const char *name)
{
    struct curl_header *h;
    if (curl_easy_header(gh->curl, name, 0, CURLH_HEADER, -1, &h) != CURLHE_OK)
        return NULL;
    size_t amount = h->amount;
    fa_buf_t buf;
    fa_buf_init(&buf, arena, 128);
    for (size_t i = 0; i < amount; i++) {
        if (curl_easy_header(gh->curl, name, i, CURLH_HEADER, -1, &h) != CURLHE_OK)
            break;
        if (i > 0)
            fa_buf_append_cstr(&buf, ", ");
        fa_buf_append_cstr(&buf, h->value);
    }
    return fa_buf_cstr(&buf);
}

/* A decimal header value, or -1 when absent or not a number. */
static long long header_number(fa_github_t *gh, fa_arena_t *arena, const char *name)
{
    const char *v = header_value(gh, arena, name);
    if (!v || *v == '\0' || strspn(v, "0123456789") != strlen(v) || strlen(v) > 15)
        return -1;
    return strtoll(v, NULL, 10);
}

/* GitHub: 403/429 with x-ratelimit-remaining: 0 (wait until
 * x-ratelimit-reset) or with retry-after; a 429 without either still means
 * wait, a minute by default. */
static void capture_rate_limit(fa_github_t *gh, fa_arena_t *arena, long status)
{
    curl_off_t retry = 0;
    if (curl_easy_getinfo(gh->curl, CURLINFO_RETRY_AFTER, &retry) != CURLE_OK || retry < 0)
        retry = 0;
    bool has_retry = header_value(gh, arena, "retry-after") != NULL;
    bool exhausted = header_number(gh, arena, "x-ratelimit-remaining") == 0;
    long long reset = header_number(gh, arena, "x-ratelimit-reset");
    long wait = 0;
    if (retry > 0)
        wait = retry > MAX_RATE_WAIT ? MAX_RATE_WAIT : (long)retry;
    else if (exhausted)
        wait = reset > 0 ? (long)(reset - (long long)time(NULL)) : DEFAULT_RATE_WAIT;
    else if (status == 429)
        wait = DEFAULT_RATE_WAIT;
    if ((has_retry || exhausted || status == 429) && wait < 1)
        wait = 1;
    if (wait > MAX_RATE_WAIT) /* a bogus reset must not park a job for years */
        wait = MAX_RATE_WAIT;
    gh->retry_after = wait;
    gh->rate_limited =
        (status == 403 || status == 429) && (has_retry || exhausted || status == 429);
    gh->limited_status = gh->rate_limited ? status : 0;
}

static fa_status_t transport_error(fa_github_t *gh, CURLcode rc, fa_error_t *err)
{
    if (rc == CURLE_OPERATION_TIMEDOUT)
        return fa_error_set(err, FA_ERR_UPSTREAM, fa_github_err_timeout,
                            "GitHub did not answer in time", curl_easy_strerror(rc));
    if ((rc == CURLE_WRITE_ERROR && gh->body_too_large) || rc == CURLE_FILESIZE_EXCEEDED)
        return fa_github_bad_response(err, "answer larger than 1 MiB");
    return fa_error_set(err, FA_ERR_UPSTREAM, fa_github_err_unavailable, "GitHub is unavailable",
                        curl_easy_strerror(rc));
}

/* One HTTP request. On FA_OK resp holds the status, the body (in gh->body,
 * which the caller wipes) and the Link header. */
static fa_status_t perform(fa_github_t *gh, fa_arena_t *arena, const request_t *req,
                           response_t *resp, fa_error_t *err)
{
    char auth[FA_GITHUB_MAX_TOKEN + 32];
    *resp = (response_t){0};
    gh->body_len = 0;
    gh->body_too_large = false;
    gh->retry_after = 0;
    gh->rate_limited = false;
    curl_easy_reset(gh->curl);
    apply_common_options(gh);
    struct curl_slist *headers = apply_request(gh, req, auth, sizeof(auth));
    CURLcode rc = curl_easy_perform(gh->curl);
    /* The handle keeps pointers to both until the next reset. */
    curl_easy_setopt(gh->curl, CURLOPT_HTTPHEADER, NULL);
    OPENSSL_cleanse(auth, sizeof(auth));
    headers_free(headers);
    if (rc != CURLE_OK)
        return transport_error(gh, rc, err);
    curl_easy_getinfo(gh->curl, CURLINFO_RESPONSE_CODE, &resp->status);
    capture_rate_limit(gh, arena, resp->status);
    resp->body = (fa_str_t){gh->body, gh->body_len};
    resp->link = fa_str_from(header_value(gh, arena, "link"));
    return FA_OK;
}

static fa_status_t check_status(fa_github_t *gh, fa_arena_t *arena, const request_t *req,
                                const response_t *resp, long expected, fa_error_t *err)
{
    if (resp->status == expected)
        return FA_OK;
    const char *detail = fa_arena_sprintf(arena, "%s answered HTTP %ld", req->what, resp->status);
    if (resp->status == 401)
        return fa_error_set(err, FA_ERR_UPSTREAM, fa_github_err_unauthorized,
                            "the GitHub token is no longer valid", detail);
    if (gh->rate_limited)
        return fa_error_set(err, FA_ERR_UPSTREAM, fa_github_err_rate_limited,
                            "GitHub rate limit reached, try again later", detail);
    if (resp->status >= 500)
        return fa_error_set(err, FA_ERR_UPSTREAM, fa_github_err_unavailable,
                            "GitHub is unavailable", detail);
    if (resp->status >= 400)
        return fa_error_set(err, FA_ERR_UPSTREAM, fa_github_err_refused,
                            "GitHub refused the request", detail);
    return fa_github_bad_response(err, detail);
}

/* One request expecting `expected`; the body stays in gh->body. */
static fa_status_t call(fa_github_t *gh, fa_arena_t *arena, const request_t *req, long expected,
                        response_t *resp, fa_error_t *err)
{
    fa_status_t st = perform(gh, arena, req, resp, err);
    if (st == FA_OK)
        st = check_status(gh, arena, req, resp, expected, err);
    return st;
}

static fa_status_t bad_argument(fa_error_t *err, const char *detail)
{
    return fa_error_set(err, FA_ERR_BAD_REQUEST, fa_github_err_invalid_argument,
                        "the request to GitHub could not be built", detail);
}

/* ---- token endpoint ---------------------------------------------------- */

typedef struct {
    const char *name;
    const char *value;
} form_field_t;

/* name=value&... with curl_easy_escape, in one arena block of exactly the
 * final size so the caller can wipe every copy of the secrets in it. */
static char *form_encode(fa_github_t *gh, fa_arena_t *arena, const form_field_t *fields, size_t n)
{
    char *escaped[8] = {0};
    size_t total = 1;
    for (size_t i = 0; i < n; i++) {
        escaped[i] = curl_easy_escape(gh->curl, fields[i].value, 0);
        if (!escaped[i])
            abort();
        total += strlen(fields[i].name) + strlen(escaped[i]) + 2;
    }
    char *form = fa_arena_alloc(arena, total);
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        len += (size_t)snprintf(form + len, total - len, "%s%s=%s", i ? "&" : "", fields[i].name,
                                escaped[i]);
        OPENSSL_cleanse(escaped[i], strlen(escaped[i]));
        curl_free(escaped[i]);
    }
    return form;
}

static fa_status_t token_request(fa_github_t *gh, fa_arena_t *arena, const form_field_t *fields,
                                 size_t n, fa_github_tokens_t *out, fa_error_t *err)
{
    request_t req = {
        .method = METHOD_POST,
        .what = "POST /login/oauth/access_token",
        .url = fa_arena_sprintf(arena, "%s/login/oauth/access_token", gh->oauth_url),
        .form = form_encode(gh, arena, fields, n),
    };
    response_t resp;
    fa_status_t st = call(gh, arena, &req, 200, &resp, err);
    OPENSSL_cleanse(req.form, strlen(req.form));
    if (st == FA_OK)
        st = fa_github_parse_tokens(arena, resp.body.ptr, resp.body.len, out, err);
    wipe_body(gh);
    return st;
}

static bool argument_ok(const char *s, size_t max)
{
    return s && *s && strlen(s) <= max;
}

fa_status_t fa_github_exchange_code(fa_github_t *gh, fa_arena_t *arena, const char *code,
                                    const char *redirect_uri, const char *code_verifier,
                                    fa_github_tokens_t *out, fa_error_t *err)
{
    *out = (fa_github_tokens_t){0};
    if (!argument_ok(code, 1024) || !argument_ok(redirect_uri, 2048) ||
        !argument_ok(code_verifier, 128))
        return bad_argument(err, "missing or oversized code, redirect_uri or code_verifier");
    const form_field_t fields[] = {
        {"client_id", gh->client_id},   {"client_secret", gh->client_secret}, {"code", code},
        {"redirect_uri", redirect_uri}, {"code_verifier", code_verifier},
    };
    return token_request(gh, arena, fields, sizeof(fields) / sizeof(fields[0]), out, err);
}

fa_status_t fa_github_refresh_token(fa_github_t *gh, fa_arena_t *arena, const char *refresh_token,
                                    fa_github_tokens_t *out, fa_error_t *err)
{
    *out = (fa_github_tokens_t){0};
    if (!fa_github_token_valid(refresh_token))
        return bad_argument(err, "missing or malformed refresh token");
    const form_field_t fields[] = {
        {"client_id", gh->client_id},
        {"client_secret", gh->client_secret},
        {"grant_type", "refresh_token"},
        {"refresh_token", refresh_token},
    };
    return token_request(gh, arena, fields, sizeof(fields) / sizeof(fields[0]), out, err);
}

/* ---- REST API ---------------------------------------------------------- */

static fa_status_t api_get(fa_github_t *gh, fa_arena_t *arena, const char *token, const char *path,
                           response_t *resp, fa_error_t *err)
{
    if (!fa_github_token_valid(token))
        return bad_argument(err, "missing or malformed GitHub token");
    request_t req = {
        .method = METHOD_GET,
        .what = fa_arena_sprintf(arena, "GET %s", path),
        .url = fa_arena_sprintf(arena, "%s%s", gh->api_url, path),
        .token = token,
    };
    return call(gh, arena, &req, 200, resp, err);
}

fa_status_t fa_github_get_user(fa_github_t *gh, fa_arena_t *arena, const char *token,
                               fa_github_user_t *out, fa_error_t *err)
{
    *out = (fa_github_user_t){0};
    response_t resp;
    fa_status_t st = api_get(gh, arena, token, "/user", &resp, err);
    if (st == FA_OK)
        st = fa_github_parse_user(arena, resp.body, out, err);
    wipe_body(gh);
    return st;
}

fa_status_t fa_github_primary_email(fa_github_t *gh, fa_arena_t *arena, const char *token,
                                    char **email, bool *verified, fa_error_t *err)
{
    *email = NULL;
    *verified = false;
    response_t resp;
    fa_status_t st = api_get(gh, arena, token, "/user/emails", &resp, err);
    if (st == FA_OK)
        st = fa_github_parse_primary_email(arena, resp.body, email, verified, err);
    wipe_body(gh);
    return st;
}

/* One page of /user/orgs; *next is the following page's URL or NULL. */
static fa_status_t orgs_page(fa_github_t *gh, fa_arena_t *arena, const char *token, const char *url,
                             fa_github_org_list_t *list, const char **next, fa_error_t *err)
{
    request_t req = {.method = METHOD_GET, .what = "GET /user/orgs", .url = url, .token = token};
    response_t resp;
    fa_status_t st = call(gh, arena, &req, 200, &resp, err);
    if (st == FA_OK)
        st = fa_github_parse_orgs_page(arena, resp.body, list, err);
    wipe_body(gh);
    if (st != FA_OK)
        return st;
    switch (fa_github_link_next(arena, resp.link, gh->api_url, next)) {
    case FA_GITHUB_NEXT_NONE:
    case FA_GITHUB_NEXT_FOUND:
        return FA_OK;
    case FA_GITHUB_NEXT_MALFORMED:
        return fa_github_bad_response(err, "/user/orgs answer with a malformed Link header");
    case FA_GITHUB_NEXT_FOREIGN:
        return fa_github_bad_response(err, "/user/orgs next page is on another origin");
    }
    abort();
}

fa_status_t fa_github_list_orgs(fa_github_t *gh, fa_arena_t *arena, const char *token,
                                fa_github_org_t **orgs, size_t *count, fa_error_t *err)
{
    return fa_github_list_orgs_paced(gh, arena, token, NULL, NULL, orgs, count, err);
}

fa_status_t fa_github_list_orgs_paced(fa_github_t *gh, fa_arena_t *arena, const char *token,
                                      fa_github_page_fn before_page, void *ctx,
                                      fa_github_org_t **orgs, size_t *count, fa_error_t *err)
{
    *orgs = NULL;
    *count = 0;
    if (!fa_github_token_valid(token))
        return bad_argument(err, "missing or malformed GitHub token");
    fa_github_org_list_t list = {0};
    const char *url =
        fa_arena_sprintf(arena, "%s/user/orgs?per_page=%ld", gh->api_url, gh->orgs_per_page);
    for (int page = 0; url; page++) {
        if (page == FA_GITHUB_MAX_PAGES)
            return fa_github_bad_response(err, "/user/orgs has more than 50 pages");
        if (before_page && before_page(ctx, page, err) != FA_OK)
            return err->status;
        fa_status_t st = orgs_page(gh, arena, token, url, &list, &url, err);
        if (st != FA_OK)
            return st;
    }
    *orgs = list.items;
    *count = list.count;
    return FA_OK;
}

/* Length of the prefix of s[0..len) made of ASCII letters, digits and extra. */
static size_t name_span(const char *s, size_t len, const char *extra)
{
    size_t i = 0;
    while (i < len && s[i] &&
           ((s[i] >= '0' && s[i] <= '9') || ((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z') ||
            strchr(extra, s[i])))
        i++;
    return i;
}

/* GitHub's owner (1..39 of [A-Za-z0-9-]) and repository (1..100 of
 * [A-Za-z0-9._-], not . or ..) names: nothing that could change the path. */
static bool repo_name_valid(const char *owner_repo)
{
    const char *slash = owner_repo ? strchr(owner_repo, '/') : NULL;
    if (!slash)
        return false;
    size_t owner_len = (size_t)(slash - owner_repo);
    const char *repo = slash + 1;
    size_t repo_len = strlen(repo);
    return owner_len >= 1 && owner_len <= 39 &&
           name_span(owner_repo, owner_len, "-") == owner_len && repo_len >= 1 && repo_len <= 100 &&
           name_span(repo, repo_len, "._-") == repo_len && strcmp(repo, ".") != 0 &&
           strcmp(repo, "..") != 0;
}

fa_status_t fa_github_star_repo(fa_github_t *gh, fa_arena_t *arena, const char *token,
                                const char *owner_repo, fa_error_t *err)
{
    if (!fa_github_token_valid(token))
        return bad_argument(err, "missing or malformed GitHub token");
    if (!repo_name_valid(owner_repo))
        return bad_argument(err, "repository is not owner/name");
    request_t req = {
        .method = METHOD_PUT,
        .what = "PUT /user/starred",
        .url = fa_arena_sprintf(arena, "%s/user/starred/%s", gh->api_url, owner_repo),
        .token = token,
    };
    response_t resp;
    fa_status_t st = call(gh, arena, &req, 204, &resp, err);
    wipe_body(gh);
    return st;
}
