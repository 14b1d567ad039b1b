/* Owns: the log line format (one JSON object per line on stderr), built with
 * jansson so every value is escaped correctly. Never: formats a line below
 * the configured level, or receives a secret (callers' duty, tested by the
 * integration suite scanning the log for every secret it saw). */
#include "core/log.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/metrics.h"
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

static void fa_log_discard_pending(void);

static void fa_log_forked(void)
{
    fa_log_pid = getpid();
    fa_log_discard_pending();
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

/* ---- the writer: never blocks serving --------------------------------- */

/* A stalled log reader (journald restarting, a full pipe nobody drains) must
 * not stop the service: every write is non-blocking and a line that cannot
 * be written whole is dropped and counted. How non-blocking is had depends
 * on what stderr is, because O_NONBLOCK belongs to the open file description,
 * which a parent (a shell, a terminal, a supervisor) may share with us:
 *   - a socket (journald's stream): send(MSG_DONTWAIT | MSG_NOSIGNAL) per
 *     call, the description is left alone;
 *   - a pipe or a terminal: reopened through /proc/self/fd/2, which gives a
 *     description of our own (the same pipe or tty), made non-blocking;
 *   - a regular file: writes do not wait on a reader; left as is.
 * Our children (workers) inherit fd 2 after this, so they share our
 * non-blocking description, never the parent's. */
typedef enum { FA_LOG_OUT_WRITE, FA_LOG_OUT_SEND } fa_log_out_t;

static fa_log_out_t fa_log_out = FA_LOG_OUT_WRITE;
static uint64_t fa_log_dropped_count;
/* The tail of a line taken only in part (by a stream socket, or by a pipe
 * when the line is longer than PIPE_BUF). It goes out before
 * anything else (lines arriving meanwhile are dropped), so this process
 * never leaves half a line in the stream. */
static char *fa_log_pending;
static size_t fa_log_pending_len;

/* Budget to finish a line a stream socket took only in part: short enough
 * that a request never waits long on logging, long enough for a reader that
 * is merely slow. A pipe never takes part of a line of up to PIPE_BUF bytes
 * (4096: every line but a request with a very long path). */
#define FA_LOG_FINISH_MS 20

void fa_log_nonblocking(void)
{
    struct stat st;
    if (fstat(STDERR_FILENO, &st) != 0)
        return;
    if (S_ISSOCK(st.st_mode)) {
        fa_log_out = FA_LOG_OUT_SEND;
        return;
    }
    if (!S_ISFIFO(st.st_mode) && !S_ISCHR(st.st_mode))
        return;
    int fd = open("/proc/self/fd/2", O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd >= 0) {
        if (dup2(fd, STDERR_FILENO) < 0)
            fcntl(STDERR_FILENO, F_SETFL, fcntl(STDERR_FILENO, F_GETFL) | O_NONBLOCK);
        close(fd);
        return;
    }
    /* No /proc, or the pipe has no reader (ENXIO): the shared description
     * is made non-blocking; a hung service is worse than a surprised parent. */
    int flags = fcntl(STDERR_FILENO, F_GETFL);
    if (flags >= 0)
        fcntl(STDERR_FILENO, F_SETFL, flags | O_NONBLOCK);
}

uint64_t fa_log_dropped(void)
{
    return fa_log_dropped_count;
}

/* Drops not yet told in the log itself: the jobs process has no /metrics,
 * so the first line that gets through after drops is followed by a count. */
static uint64_t fa_log_unreported;

static void fa_log_drop(void)
{
    fa_log_dropped_count++;
    fa_log_unreported++;
    fa_metrics_inc(FA_METRIC_LOG_LINES_DROPPED);
}

static void fa_log_report_drops(void)
{
    uint64_t n = fa_log_unreported;
    fa_log_unreported = 0; /* before logging: the report goes through this path */
    fa_log(FA_LOG_WARN, "log", "dropped %llu log line(s): the reader of stderr could not keep up",
           (unsigned long long)n);
}

/* Writes what it can of p[0..n) without blocking, giving a partial write
 * until deadline (0: no wait) to finish; returns the bytes written. */
static size_t fa_log_write_some(const char *p, size_t n, double deadline)
{
    size_t done = 0;
    while (done < n) {
        ssize_t w = fa_log_out == FA_LOG_OUT_SEND
                        ? send(STDERR_FILENO, p + done, n - done, MSG_DONTWAIT | MSG_NOSIGNAL)
                        : write(STDERR_FILENO, p + done, n - done);
        if (w > 0) {
            done += (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (done == 0 || (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
            break; /* nothing taken (the line is dropped whole), or no reader at all */
        int left_ms = (int)((deadline - fa_clock_monotonic()) * 1000.0);
        struct pollfd pfd = {.fd = STDERR_FILENO, .events = POLLOUT};
        if (left_ms <= 0 || poll(&pfd, 1, left_ms) <= 0)
            break;
    }
    return done;
}

/* In a forked child: the tail of a line the parent started is the
 * parent's to finish; written here too it would appear twice. */
static void fa_log_discard_pending(void)
{
    free(fa_log_pending);
    fa_log_pending = NULL;
    fa_log_pending_len = 0;
}

static bool fa_log_flush_pending(void)
{
    if (!fa_log_pending)
        return true;
    size_t w = fa_log_write_some(fa_log_pending, fa_log_pending_len, 0);
    fa_log_pending_len -= w;
    memmove(fa_log_pending, fa_log_pending + w, fa_log_pending_len);
    if (fa_log_pending_len > 0)
        return false;
    free(fa_log_pending);
    fa_log_pending = NULL;
    return true;
}

/* A whole line or nothing: a line the reader cannot take at once is dropped
 * and counted; one taken in part is finished, now or first thing next
 * time. */
static void fa_log_write_line(const char *buf, size_t n)
{
    if (!fa_log_flush_pending()) {
        fa_log_drop();
        return;
    }
    size_t w = fa_log_write_some(buf, n, fa_clock_monotonic() + FA_LOG_FINISH_MS / 1000.0);
    if (w == 0) {
        fa_log_drop();
    } else if (w == n && fa_log_unreported > 0) {
        fa_log_report_drops();
    } else if (w < n) {
        fa_log_pending = malloc(n - w);
        if (!fa_log_pending)
            abort(); /* out of memory aborts the worker; the master restarts it */
        memcpy(fa_log_pending, buf + w, n - w);
        fa_log_pending_len = n - w;
    }
}

/* One write per line so lines from several workers never interleave. */
static void fa_log_emit(json_t *line)
{
    char buf[4096];
    size_t n = json_dumpb(line, buf, sizeof(buf) - 1, JSON_COMPACT | JSON_REAL_PRECISION(6));
    if (n > 0 && n < sizeof(buf) - 1) {
        buf[n++] = '\n';
        fa_log_write_line(buf, n);
    } else if (n > 0) {
        char *big = json_dumps(line, JSON_COMPACT);
        size_t len = big ? strlen(big) : 0;
        char *with_nl = big ? realloc(big, len + 2) : NULL;
        if (with_nl) {
            with_nl[len] = '\n';
            fa_log_write_line(with_nl, len + 1);
            big = with_nl;
        }
        free(big);
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
    if (!l.overflow)
        fa_log_write_line(buf, (size_t)(l.p - buf));
}
