/* Owns: the log line format (one JSON object per line on stderr), built with
 * jansson so every value is escaped correctly. Never: formats a line below
 * the configured level, or receives a secret (callers' duty, tested by the
 * integration suite scanning the log for every secret it saw). */
#include "core/log.h"

#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "core/timefmt.h"

static fa_log_level_t fa_log_min = FA_LOG_INFO;
static char fa_log_process[16] = "foundry-auth";
static char fa_log_request_id[80];

static const char *const fa_level_names[] = {"debug", "info", "warn", "error"};

void fa_log_init(fa_log_level_t level, const char *process)
{
    fa_log_min = level;
    snprintf(fa_log_process, sizeof(fa_log_process), "%s", process);
}

void fa_log_set_request_id(const char *request_id)
{
    snprintf(fa_log_request_id, sizeof(fa_log_request_id), "%s", request_id ? request_id : "");
}

static void fa_log_time(char *out, size_t len)
{
    (void)len;
    fa_time_iso_ms(fa_time_now_us(), out);
}

/* getpid() is a system call on every glibc since 2.25; a worker logs one
 * line per request, so the pid is kept and refreshed in a forked child. */
static pid_t fa_log_pid;

static void fa_log_forked(void)
{
    fa_log_pid = getpid();
}

static pid_t fa_log_getpid(void)
{
    static bool registered;
    if (!registered) {
        pthread_atfork(NULL, NULL, fa_log_forked);
        registered = true;
        fa_log_pid = getpid();
    }
    return fa_log_pid;
}

/* One write(2) per line so lines from several workers never interleave. */
static void fa_log_emit(json_t *line)
{
    char buf[4096];
    size_t n = json_dumpb(line, buf, sizeof(buf) - 1, JSON_COMPACT | JSON_REAL_PRECISION(6));
    if (n > 0 && n < sizeof(buf) - 1) {
        buf[n++] = '\n';
        ssize_t w = write(STDERR_FILENO, buf, n);
        (void)w;
    } else if (n > 0) {
        char *big = json_dumps(line, JSON_COMPACT);
        if (big) {
            dprintf(STDERR_FILENO, "%s\n", big);
            free(big);
        }
    }
    json_decref(line);
}

static json_t *fa_log_base(const char *level)
{
    char ts[40];
    fa_log_time(ts, sizeof(ts));
    json_t *line = json_object();
    json_object_set_new(line, "time", json_string(ts));
    json_object_set_new(line, "level", json_string(level));
    json_object_set_new(line, "process", json_string(fa_log_process));
    json_object_set_new(line, "pid", json_integer(fa_log_getpid()));
    if (fa_log_request_id[0])
        json_object_set_new(line, "request_id", json_string(fa_log_request_id));
    return line;
}

void fa_log(fa_log_level_t level, const char *module, const char *fmt, ...)
{
    if (level < fa_log_min)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (n >= (int)sizeof(msg)) {
        /* Truncation may split a UTF-8 sequence: drop the broken tail. */
        size_t end = sizeof(msg) - 1;
        size_t lead = end;
        while (lead > 0 && ((unsigned char)msg[lead - 1] & 0xC0) == 0x80)
            lead--;
        if (lead > 0 && ((unsigned char)msg[lead - 1] & 0xC0) == 0xC0)
            msg[lead - 1] = '\0';
    }
    json_t *line = fa_log_base(fa_level_names[level]);
    json_object_set_new(line, "module", json_string(module));
    /* json_string refuses invalid UTF-8; fall back to a marker, never crash. */
    json_t *m = json_string(msg);
    json_object_set_new(line, "msg", m ? m : json_string("(invalid utf-8 in message)"));
    fa_log_emit(line);
}

void fa_log_event(const char *event, ...)
{
    if (FA_LOG_INFO < fa_log_min)
        return;
    json_t *line = fa_log_base("info");
    json_object_set_new(line, "event", json_string(event));
    va_list ap;
    va_start(ap, event);
    const char *key;
    while ((key = va_arg(ap, const char *)) != NULL) {
        const char *value = va_arg(ap, const char *);
        json_t *v = value ? json_string(value) : json_null();
        json_object_set_new(line, key, v ? v : json_null());
    }
    va_end(ap);
    fa_log_emit(line);
}

/* The one line every request writes, so it is formatted directly instead of
 * through a JSON DOM (that was a quarter of a session check's CPU). Only the
 * path comes from outside unchecked: jansson escapes it. The request id is
 * limited to [A-Za-z0-9._:-] by the worker, route names are ours, and a
 * method outside [A-Z] is logged as "OTHER". */
static bool fa_plain_token(const char *s)
{
    if (!s || !*s)
        return false;
    for (; *s; s++)
        if (*s < 'A' || *s > 'Z')
            return false;
    return true;
}

/* A bounded line under construction: appends past the end are dropped and
 * remembered, and a line that did not fit is not written. */
typedef struct {
    char *p, *end;
    bool overflow;
} fa_line_t;

static void fa_line_put(fa_line_t *l, const char *s, size_t n)
{
    if ((size_t)(l->end - l->p) < n) {
        l->overflow = true;
        return;
    }
    memcpy(l->p, s, n);
    l->p += n;
}

static void fa_line_str(fa_line_t *l, const char *s)
{
    fa_line_put(l, s, strlen(s));
}

#define FA_LINE_LIT(l, lit) fa_line_put((l), (lit), sizeof(lit) - 1)

static void fa_line_uint(fa_line_t *l, unsigned long long v, int min_digits)
{
    char digits[24];
    int n = 0;
    do {
        digits[sizeof(digits) - 1 - n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v || n < min_digits);
    fa_line_put(l, digits + sizeof(digits) - n, (size_t)n);
}

/* The common case without jansson: a printable ASCII path with no quote or
 * backslash is its own JSON string. Returns the quoted length, or 0 when
 * the path needs escaping (or does not fit). */
static size_t fa_log_plain_path(const char *path, char *out, size_t cap)
{
    size_t n = 0;
    if (!path)
        return 0;
    for (; path[n]; n++)
        if (path[n] < 0x20 || path[n] > 0x7E || path[n] == '"' || path[n] == '\\' || n + 3 > cap)
            return 0;
    out[0] = '"';
    memcpy(out + 1, path, n);
    out[n + 1] = '"';
    return n + 2;
}

void fa_log_request(const fa_request_log_t *e)
{
    if (FA_LOG_INFO < fa_log_min)
        return;
    /* Paths are bounded by the request parser (FA_MAX_PATH); escaping can
     * grow them six-fold, and anything longer is still logged, cut. */
    static char path[16384];
    size_t plen = fa_log_plain_path(e->path, path, sizeof(path));
    if (plen == 0) {
        json_t *p = json_string(e->path ? e->path : "");
        plen = p ? json_dumpb(p, path, sizeof(path), JSON_ENCODE_ANY) : 0;
        json_decref(p);
    }
    if (plen == 0 || plen > sizeof(path))
        plen = (size_t)snprintf(path, sizeof(path), "\"(unprintable)\"");
    const char *method = !e->method || !*e->method ? "" : fa_plain_token(e->method) ? e->method
                                                                                     : "OTHER";
    char ts[FA_ISO_MS_LEN + 1];
    fa_log_time(ts, sizeof(ts));
    static char buf[sizeof(path) + 512];
    fa_line_t l = {buf, buf + sizeof(buf), false};
    FA_LINE_LIT(&l, "{\"time\":\"");
    fa_line_str(&l, ts);
    FA_LINE_LIT(&l, "\",\"level\":\"info\",\"process\":\"");
    fa_line_str(&l, fa_log_process);
    FA_LINE_LIT(&l, "\",\"pid\":");
    fa_line_uint(&l, (unsigned long long)fa_log_getpid(), 1);
    FA_LINE_LIT(&l, ",\"request_id\":\"");
    fa_line_str(&l, e->request_id ? e->request_id : "");
    FA_LINE_LIT(&l, "\",\"event\":\"request\",\"method\":\"");
    fa_line_str(&l, method);
    FA_LINE_LIT(&l, "\",\"route\":\"");
    fa_line_str(&l, e->route ? e->route : "");
    FA_LINE_LIT(&l, "\",\"path\":");
    fa_line_put(&l, path, plen);
    FA_LINE_LIT(&l, ",\"status\":");
    fa_line_uint(&l, (unsigned long long)(e->status > 0 ? e->status : 0), 1);
    /* Milliseconds with three decimals, from whole microseconds. */
    unsigned long long us =
        e->duration_ms > 0 ? (unsigned long long)(e->duration_ms * 1000.0 + 0.5) : 0;
    FA_LINE_LIT(&l, ",\"duration_ms\":");
    fa_line_uint(&l, us / 1000, 1);
    FA_LINE_LIT(&l, ".");
    fa_line_uint(&l, us % 1000, 3);
    if (e->user_id > 0) {
        FA_LINE_LIT(&l, ",\"user_id\":\"");
        fa_line_uint(&l, (unsigned long long)e->user_id, 1);
        FA_LINE_LIT(&l, "\"");
    }
    FA_LINE_LIT(&l, "}\n");
    if (!l.overflow) {
        ssize_t w = write(STDERR_FILENO, buf, (size_t)(l.p - buf));
        (void)w;
    }
}
