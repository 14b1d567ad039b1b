/* Owns: a worker's loop and the dispatch of one request: parse, request id,
 * route, handler, response, log line, metrics. Never: lets anything of one
 * request reach the next (the arena is reset and the context rebuilt). */
#include "server/request_worker.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "handlers/authn.h"
#include "handlers/reply.h"
#include "handlers/routes.h"
#include "http/fcgi.h"
#include "core/privileges.h"
#include "core/stop_signal.h"

/* A client's X-Request-Id is kept when it is short and plain, so it can be
 * logged and echoed without escaping worries. Otherwise: a random per-worker
 * prefix (drawn once) and a counter — unique, and no CSPRNG draw per request. */
static const char *fa_request_id(fa_arena_t *arena, const fa_request_t *req)
{
    static const char plain[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:";
    fa_str_t given = fa_request_header(req, "x-request-id");
    if (given.ptr && given.len >= 1 && given.len <= 64) {
        size_t i = 0;
        while (i < given.len && given.ptr[i] && strchr(plain, given.ptr[i]))
            i++;
        if (i == given.len)
            return fa_str_dup(arena, given);
    }
    static char prefix[17];
    static unsigned long long counter;
    if (!prefix[0]) {
        unsigned char raw[8];
        fa_random_bytes(raw, sizeof(raw));
        fa_hex_encode(raw, sizeof(raw), prefix);
    }
    unsigned char n[8];
    unsigned long long c = ++counter;
    for (int i = 7; i >= 0; i--, c >>= 8)
        n[i] = (unsigned char)c;
    char *id = fa_arena_alloc(arena, 16 + 1 + 16 + 1);
    memcpy(id, prefix, 16);
    id[16] = '-';
    fa_hex_encode(n, sizeof(n), id + 17);
    return id;
}

/* Checks every request passes before any handler runs. */
static fa_status_t fa_precheck(const fa_request_t *req, fa_error_t *err)
{
    /* Invariant 10: two Authorization headers is a smuggling attempt. */
    if (fa_request_header_count(req, "authorization") > 1)
        return fa_error_set(err, FA_ERR_BAD_REQUEST, "duplicate_authorization",
                            "more than one Authorization header", NULL);
    return FA_OK;
}

static fa_status_t fa_route_request(fa_ctx_t *ctx, fa_body_reader_fn read_body, void *reader,
                                    fa_error_t *err)
{
    fa_request_t *req = ctx->req;
    char allow[128];
    const fa_route_t *route = NULL;
    fa_route_result_t m =
        fa_router_match(fa_routes, fa_route_count, req->method, req->path, ctx->arena, &route,
                        &req->route_params, allow, sizeof(allow));
    if (m == FA_ROUTE_NOT_FOUND)
        return fa_error_set(err, FA_ERR_NOT_FOUND, "not_found", "no such endpoint", NULL);
    if (m == FA_ROUTE_METHOD_NOT_ALLOWED) {
        fa_response_set_header(ctx->res, "Allow", allow);
        return fa_error_set(err, FA_ERR_METHOD, "method_not_allowed",
                            "method not allowed for this endpoint", NULL);
    }
    ctx->route = route;
    if (req->content_length > 0 &&
        read_body(reader, ctx->arena, req->content_length, &req->body, err) != FA_OK)
        return err->status;
    return fa_authn_invoke(ctx, err);
}

void fa_worker_dispatch(fa_worker_t *w, char *const *params, fa_body_reader_fn read_body,
                        void *reader, fa_buf_t *out)
{
    double start = fa_clock_monotonic();
    fa_arena_t *arena = w->arena;
    fa_request_t *req = fa_arena_calloc(arena, 1, sizeof(*req));
    fa_response_t *res = fa_arena_calloc(arena, 1, sizeof(*res));
    fa_response_init(res, arena);
    fa_ctx_t ctx = {
        .worker = w, .config = w->config, .db = w->db, .arena = arena, .req = req, .res = res};

    fa_error_t err;
    fa_status_t st = fa_request_parse_params(req, arena, params, &err);
    ctx.request_id = fa_request_id(arena, req);
    fa_log_set_request_id(ctx.request_id);
    if (st == FA_OK)
        st = fa_precheck(req, &err);
    if (st == FA_OK)
        st = fa_route_request(&ctx, read_body, reader, &err);
    if (st != FA_OK)
        fa_reply_error(&ctx, &err);
    /* Data a handler put in a header or body could not be sent (a login with
     * a CR stored by an older version, say): this request gets a 500, the
     * worker lives on and serves the next one. The reason names the header,
     * never the value. */
    if (res->broken) {
        fa_log_error("http", "response refused, answering 500: %s", res->broken);
        fa_response_replace_broken(res);
    }
    fa_response_set_header(res, "X-Request-Id", ctx.request_id);
    fa_response_serialize(res, out);

    double elapsed = fa_clock_monotonic() - start;
    size_t route_index = ctx.route ? (size_t)(ctx.route - fa_routes) : fa_route_count;
    fa_metrics_observe(route_index, res->status, elapsed);
    fa_request_log_t line = {
        .request_id = ctx.request_id,
        .method = req->method.ptr ? fa_str_dup(arena, req->method) : "",
        .route = ctx.route ? ctx.route->name : "unmatched",
        .path = req->path.ptr ? fa_str_dup(arena, req->path) : "",
        .status = res->status,
        .duration_ms = elapsed * 1000.0,
        .user_id = ctx.user_id,
    };
    fa_log_request(&line);
    fa_log_set_request_id(NULL);
}

static fa_status_t fa_fcgi_body(void *reader, fa_arena_t *arena, size_t length, fa_str_t *out,
                                fa_error_t *err)
{
    return fa_fcgi_read_body(reader, arena, length, out, err);
}

/* Issue 15: how long the request waited for this worker. nginx passes its
 * wall-clock time ($msec, "1700000000.123") when it built the FastCGI
 * request, just before connecting; this is wall time on both sides, on one
 * host. Absent (an nginx config without the param), unparsable or more than
 * an hour off: not observed. */
#define FA_QUEUED_AT_PARAM "FOUNDRY_AUTH_QUEUED_AT="

static void fa_worker_observe_wait(char *const *params)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    for (size_t i = 0; params && params[i]; i++) {
        if (strncmp(params[i], FA_QUEUED_AT_PARAM, sizeof(FA_QUEUED_AT_PARAM) - 1) != 0)
            continue;
        const char *v = params[i] + sizeof(FA_QUEUED_AT_PARAM) - 1;
        char *end;
        errno = 0;
        double queued = strtod(v, &end);
        double waited = (double)now.tv_sec + now.tv_nsec / 1e9 - queued;
        if (errno == 0 && end != v && *end == '\0' && waited > -3600.0 && waited < 3600.0)
            fa_metrics_observe_wait(waited);
        return;
    }
}

/* Issue 13: a signing key that no longer opens (its secret was removed) is
 * found and replaced at start, not by the first token request. A database
 * that is down now is retried by that request. */
static void fa_worker_check_signing_key(fa_worker_t *w)
{
    const fa_signing_key_t *key;
    fa_error_t err;
    if (fa_signing_keys_current(&w->jwt_keys, w->db, w->arena, &key, &err) != FA_OK)
        fa_log_warn("worker", "could not check the JWT signing keys at start: %s", err.message);
    fa_arena_reset(w->arena);
}

static void fa_worker_serve(fa_worker_t *w, fa_fcgi_t *f)
{
    fa_metrics_set_busy(true);
    fa_worker_observe_wait(fa_fcgi_params(f));
    fa_buf_t out;
    fa_buf_init(&out, w->arena, 4096);
    fa_worker_dispatch(w, fa_fcgi_params(f), fa_fcgi_body, f, &out);
    fa_fcgi_write(f, out.data, out.len);
    fa_fcgi_finish(f);
    fa_metrics_set_busy(false);
    fa_arena_reset(w->arena);
}

/* Issue 15: on SIGTERM the master has already removed the socket's path, so
 * nothing new can arrive; what nginx queued in the backlog before that is
 * served here instead of being reset (a 502) when the socket closes. Not on
 * SIGQUIT (a reload's new generation or the next instance takes it) nor with
 * socket activation (systemd keeps the socket and its backlog for the next
 * instance). Bounded a second short of the master's drain budget, which
 * kills what is left. */
static void fa_worker_drain_backlog(fa_worker_t *w, fa_fcgi_t *f, const fa_config_t *config)
{
    if (fa_stop_is_quick() || strcmp(config->socket_path, "systemd") == 0)
        return;
    double budget = config->drain_seconds > 1 ? (double)config->drain_seconds - 1.0
                                              : (double)config->drain_seconds / 2.0;
    double deadline = fa_clock_monotonic() + budget;
    long served = 0;
    while (fa_clock_monotonic() < deadline && fa_fcgi_accept_queued(f) == 1) {
        fa_worker_serve(w, f);
        served++;
    }
    if (served)
        fa_log_info("worker", "served %ld queued request(s) while stopping", served);
}

/* Workers die with their master (issue 15): an orphan would keep serving
 * unsupervised and keep its database connection. Set after dropping root,
 * since a change of credentials clears it; SIGQUIT lets the request in hand
 * finish. The master may have died before the prctl: then our parent is
 * already someone else. */
static void fa_worker_tie_to_master(pid_t master)
{
    if (prctl(PR_SET_PDEATHSIG, SIGQUIT) != 0)
        fa_log_warn("worker", "could not ask to be stopped with the master: %s", strerror(errno));
    if (getppid() != master) {
        fa_log_warn("worker", "the master is gone; exiting");
        exit(0);
    }
}

_Noreturn void fa_worker_main(const fa_config_t *config, int listen_fd, int index, pid_t master)
{
    int wake_fd = fa_stop_signal_install();
    /* It already holds the listening socket; nothing else it needs is root's. */
    if (!fa_privileges_drop(config))
        exit(3);
    fa_worker_tie_to_master(master);
    fa_metrics_bind_slot((size_t)index);
    fa_metrics_set_busy(false); /* the slot may be a dead worker's, busy when it died */
    fa_worker_t w;
    fa_worker_open(&w, config, index);
    fa_db_set_wake_fd(w.db, wake_fd); /* a stop does not wait on a stalled database */
    fa_fcgi_t *f = fa_fcgi_create(listen_fd);
    fa_error_t ignored;
    fa_db_ready(w.db, &ignored); /* connect early; a failure is retried per request */
    fa_worker_check_signing_key(&w);

    while (!fa_stop_requested()) {
        int rc = fa_fcgi_accept(f, wake_fd);
        if (rc < 0) {
            fa_log_error("worker", "accept failed: %s", strerror(errno));
            break;
        }
        if (rc == 1)
            fa_worker_serve(&w, f);
    }
    if (fa_stop_requested())
        fa_worker_drain_backlog(&w, f, config);
    fa_fcgi_destroy(f);
    fa_worker_close(&w);
    exit(0);
}
