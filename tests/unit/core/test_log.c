/* Structured logs (log.c): stderr is pointed at a temporary file and every
 * line written must be one JSON object with the documented fields. */
#include <fcntl.h>
#include <jansson.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"

#include "core/log.h"
#include "unit_test.h"

#define MAX_LINES 16

static json_t *lines[MAX_LINES];
static size_t line_count;
static char *captured;

/* Forgets the parsed lines but keeps what was captured. */
static void release_lines_keep(void)
{
    for (size_t i = 0; i < line_count; i++)
        json_decref(lines[i]);
    line_count = 0;
}

static void release_lines(void)
{
    for (size_t i = 0; i < line_count; i++)
        json_decref(lines[i]);
    line_count = 0;
    free(captured);
    captured = NULL;
}

/* Splits what was captured into lines; each must parse as a JSON object and
 * be terminated by '\n'. Returns false (after failing an assertion) if not. */
static bool parse_captured(void)
{
    bool ok = true;
    const char *p = captured;
    while (*p) {
        const char *end = strchr(p, '\n');
        if (!end) {
            CU_FAIL("log output does not end with a newline");
            return false;
        }
        json_error_t jerr;
        json_t *j = json_loadb(p, (size_t)(end - p), 0, &jerr);
        if (!j || !json_is_object(j)) {
            fprintf(stderr, "\n  not a JSON object: %.*s (%s)\n", (int)(end - p), p, jerr.text);
            CU_FAIL("log line is not a JSON object");
            json_decref(j);
            ok = false;
        } else if (line_count < MAX_LINES) {
            lines[line_count++] = j;
        } else {
            json_decref(j);
        }
        p = end + 1;
    }
    return ok;
}

#define CAPTURE(...)                                                                               \
    do {                                                                                           \
        release_lines();                                                                           \
        capture_begin();                                                                           \
        __VA_ARGS__;                                                                               \
        captured = capture_end();                                                                  \
        parse_captured();                                                                          \
    } while (0)

static const char *field(size_t i, const char *key)
{
    if (i >= line_count)
        return NULL;
    return json_string_value(json_object_get(lines[i], key));
}

static void assert_field(size_t i, const char *key, const char *want)
{
    const char *got = field(i, key);
    if (!got || strcmp(got, want) != 0)
        fprintf(stderr, "\n  line %zu %s: got \"%s\", want \"%s\"\n", i, key, got ? got : "(none)",
                want);
    CU_ASSERT(got && strcmp(got, want) == 0);
}

/* "2024-05-01T12:34:56.789Z" */
static bool is_utc_timestamp(const char *t)
{
    if (!t || strlen(t) != 24)
        return false;
    for (size_t i = 0; i < 24; i++) {
        char c = t[i];
        bool digit = c >= '0' && c <= '9';
        switch (i) {
        case 4:
        case 7:
            if (c != '-')
                return false;
            break;
        case 10:
            if (c != 'T')
                return false;
            break;
        case 13:
        case 16:
            if (c != ':')
                return false;
            break;
        case 19:
            if (c != '.')
                return false;
            break;
        case 23:
            if (c != 'Z')
                return false;
            break;
        default:
            if (!digit)
                return false;
        }
    }
    return true;
}

static void test_line_has_time_level_module_msg(void)
{
    fa_log_init(FA_LOG_DEBUG, "serve");
    fa_log_set_request_id(NULL);
    CAPTURE(fa_log_info("db", "could not connect: %s (%d)", "refused", 111));
    CU_ASSERT_EQUAL_FATAL(line_count, 1);
    CU_ASSERT(is_utc_timestamp(field(0, "time")));
    assert_field(0, "level", "info");
    assert_field(0, "module", "db");
    assert_field(0, "msg", "could not connect: refused (111)");
    assert_field(0, "process", "serve");
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(lines[0], "pid")), getpid());
    CU_ASSERT_PTR_NULL(json_object_get(lines[0], "request_id"));
    release_lines();
}

static void test_each_level_name(void)
{
    fa_log_init(FA_LOG_DEBUG, "serve");
    CAPTURE({
        fa_log_debug("m", "d");
        fa_log_info("m", "i");
        fa_log_warn("m", "w");
        fa_log_error("m", "e");
    });
    CU_ASSERT_EQUAL_FATAL(line_count, 4);
    assert_field(0, "level", "debug");
    assert_field(1, "level", "info");
    assert_field(2, "level", "warn");
    assert_field(3, "level", "error");
    assert_field(3, "msg", "e");
    release_lines();
}

static void test_below_level_not_written(void)
{
    fa_log_init(FA_LOG_WARN, "jobs");
    CAPTURE({
        fa_log_debug("m", "hidden debug");
        fa_log_info("m", "hidden info");
        fa_log_event("sign_in", "outcome", "success", NULL);
        fa_request_log_t r = {.method = "GET", .route = "healthz", .status = 200};
        fa_log_request(&r);
        fa_log_warn("m", "shown warn");
    });
    CU_ASSERT_EQUAL_FATAL(line_count, 1);
    assert_field(0, "msg", "shown warn");
    assert_field(0, "process", "jobs");
    CU_ASSERT_PTR_NULL(strstr(captured, "hidden"));
    release_lines();

    fa_log_init(FA_LOG_ERROR, "serve");
    CAPTURE(fa_log_warn("m", "nothing"));
    CU_ASSERT_STRING_EQUAL(captured, "");
    release_lines();
}

static void test_request_id_tag_set_and_cleared(void)
{
    fa_log_init(FA_LOG_INFO, "serve");
    CAPTURE({
        fa_log_set_request_id("req-42");
        fa_log_info("http", "tagged");
        fa_log_set_request_id(NULL);
        fa_log_info("http", "untagged");
    });
    CU_ASSERT_EQUAL_FATAL(line_count, 2);
    assert_field(0, "request_id", "req-42");
    CU_ASSERT_PTR_NULL(json_object_get(lines[1], "request_id"));
    release_lines();
}

static void test_special_characters_escaped(void)
{
    fa_log_init(FA_LOG_INFO, "serve");
    CAPTURE(fa_log_info("http", "quote \" backslash \\ newline \n tab \t ctl \x01 end"));
    CU_ASSERT_EQUAL_FATAL(line_count, 1); /* the newline did not split the line */
    assert_field(0, "msg", "quote \" backslash \\ newline \n tab \t ctl \x01 end");
    release_lines();
}

static void test_event_pairs(void)
{
    fa_log_init(FA_LOG_INFO, "serve");
    CAPTURE(fa_log_event("sign_in", "outcome", "success", "user_id", "42", "reason", NULL, NULL));
    CU_ASSERT_EQUAL_FATAL(line_count, 1);
    assert_field(0, "event", "sign_in");
    assert_field(0, "outcome", "success");
    assert_field(0, "user_id", "42");
    assert_field(0, "level", "info");
    CU_ASSERT(is_utc_timestamp(field(0, "time")));
    CU_ASSERT(json_is_null(json_object_get(lines[0], "reason")));
    release_lines();
    /* No pairs at all. */
    CAPTURE(fa_log_event("startup", NULL));
    CU_ASSERT_EQUAL_FATAL(line_count, 1);
    assert_field(0, "event", "startup");
    release_lines();
}

static void test_event_invalid_utf8_value(void)
{
    fa_log_init(FA_LOG_INFO, "serve");
    CAPTURE(fa_log_event("odd", "login", "bad\xff\xfe", "ok", "yes", NULL));
    CU_ASSERT_EQUAL_FATAL(line_count, 1);
    assert_field(0, "event", "odd");
    assert_field(0, "ok", "yes");
    release_lines();
}

static void test_request_fields(void)
{
    fa_log_init(FA_LOG_INFO, "serve");
    fa_log_set_request_id(NULL);
    fa_request_log_t r = {
        .request_id = "abc-123",
        .method = "DELETE",
        .route = "auth_sessions_revoke",
        .path = "/v1/auth/sessions/s1",
        .status = 204,
        .duration_ms = 1.5,
        .user_id = 9007199254740993LL, /* 2^53 + 1: exact only as a string */
    };
    CAPTURE(fa_log_request(&r));
    CU_ASSERT_EQUAL_FATAL(line_count, 1);
    assert_field(0, "event", "request");
    assert_field(0, "request_id", "abc-123");
    assert_field(0, "method", "DELETE");
    assert_field(0, "route", "auth_sessions_revoke");
    assert_field(0, "path", "/v1/auth/sessions/s1");
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(lines[0], "status")), 204);
    json_t *d = json_object_get(lines[0], "duration_ms");
    CU_ASSERT(json_is_number(d));
    CU_ASSERT_DOUBLE_EQUAL(json_number_value(d), 1.5, 1e-9);
    CU_ASSERT(json_is_string(json_object_get(lines[0], "user_id")));
    assert_field(0, "user_id", "9007199254740993");
    CU_ASSERT(is_utc_timestamp(field(0, "time")));
    assert_field(0, "level", "info");
    release_lines();
}

static void test_request_without_user(void)
{
    fa_log_init(FA_LOG_INFO, "serve");
    fa_request_log_t r = {.request_id = "r1",
                          .method = "GET",
                          .route = "not_found",
                          .path = "/x",
                          .status = 404,
                          .duration_ms = 0.2,
                          .user_id = 0};
    CAPTURE(fa_log_request(&r));
    CU_ASSERT_EQUAL_FATAL(line_count, 1);
    CU_ASSERT_PTR_NULL(json_object_get(lines[0], "user_id"));
    assert_field(0, "route", "not_found");
    release_lines();
    /* All-NULL strings still give a line. */
    fa_request_log_t empty = {.status = 500};
    CAPTURE(fa_log_request(&empty));
    CU_ASSERT_EQUAL_FATAL(line_count, 1);
    assert_field(0, "method", "");
    release_lines();
}

/* The tag set by the worker wins; the entry's id is a fallback and must never
 * give one line two request_id keys (which would be invalid-ish JSON). */
static void test_request_id_not_duplicated(void)
{
    fa_log_init(FA_LOG_INFO, "serve");
    fa_request_log_t r = {.request_id = "same",
                          .method = "GET",
                          .route = "healthz",
                          .path = "/healthz",
                          .status = 200};
    CAPTURE({
        fa_log_set_request_id("same");
        fa_log_request(&r);
        fa_log_set_request_id(NULL);
    });
    CU_ASSERT_EQUAL_FATAL(line_count, 1);
    assert_field(0, "request_id", "same");
    const char *first = strstr(captured, "\"request_id\"");
    CU_ASSERT_PTR_NOT_NULL_FATAL(first);
    CU_ASSERT_PTR_NULL(strstr(first + 1, "\"request_id\""));
    release_lines();
}

static void test_invalid_utf8_message_still_json(void)
{
    fa_log_init(FA_LOG_INFO, "serve");
    CAPTURE({
        fa_log_warn("http", "bad bytes: %s", "\xff\xfe\xc3(");
        fa_log_warn("http", "%s", "\xed\xa0\x80"); /* UTF-16 surrogate in UTF-8 */
    });
    CU_ASSERT_EQUAL_FATAL(line_count, 2);
    for (size_t i = 0; i < 2; i++) {
        assert_field(i, "level", "warn");
        assert_field(i, "module", "http");
        CU_ASSERT(json_is_string(json_object_get(lines[i], "msg")));
    }
    release_lines();
    fa_request_log_t r = {.method = "GET", .route = "unmatched", .path = "/\xff", .status = 400};
    CAPTURE(fa_log_request(&r));
    CU_ASSERT_EQUAL_FATAL(line_count, 1);
    CU_ASSERT(json_is_string(json_object_get(lines[0], "path")));
    release_lines();
}

static void test_long_message_one_line(void)
{
    fa_log_init(FA_LOG_INFO, "serve");
    char big[6000];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    CAPTURE(fa_log_info("m", "%s", big));
    CU_ASSERT_EQUAL_FATAL(line_count, 1);
    const char *msg = field(0, "msg");
    CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
    CU_ASSERT(strlen(msg) > 0 && strlen(msg) < sizeof(big));
    CU_ASSERT(strspn(msg, "x") == strlen(msg));
    release_lines();
    /* A long path in a request line takes the large-line path; still one line. */
    fa_request_log_t r = {.method = "GET", .route = "unmatched", .path = big, .status = 404};
    CAPTURE(fa_log_request(&r));
    CU_ASSERT_EQUAL_FATAL(line_count, 1);
    CU_ASSERT_EQUAL(strlen(field(0, "path")), strlen(big));
    release_lines();
}

/* Truncating a long message must not cut a UTF-8 sequence in half: that
 * turns valid text into invalid UTF-8 and the whole message is lost. */
static void test_long_utf8_message_keeps_text(void)
{
    fa_log_init(FA_LOG_INFO, "serve");
    char big[1201];
    for (size_t i = 0; i < 600; i++) {
        big[2 * i] = '\xc3'; /* U+00E9 */
        big[2 * i + 1] = '\xa9';
    }
    big[1200] = '\0';
    CAPTURE(fa_log_info("github", "%s", big));
    CU_ASSERT_EQUAL_FATAL(line_count, 1);
    const char *msg = field(0, "msg");
    CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
    if (strncmp(msg, "\xc3\xa9\xc3\xa9", 4) != 0)
        fprintf(stderr, "\n  msg lost: \"%.40s\"\n", msg);
    CU_ASSERT(strncmp(msg, "\xc3\xa9\xc3\xa9", 4) == 0);
    release_lines();
}

static void test_process_name_bounded(void)
{
    fa_log_init(FA_LOG_INFO, "a-process-name-that-is-far-too-long-for-the-field");
    CAPTURE(fa_log_info("m", "x"));
    CU_ASSERT_EQUAL_FATAL(line_count, 1);
    const char *p = field(0, "process");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT(strncmp(p, "a-process-name", 14) == 0);
    release_lines();
    fa_log_init(FA_LOG_INFO, "serve");
}

/* ---- a stalled reader (issue 15) ------------------------------------- */

/* Logs lines into a stderr nobody reads until some are dropped. Before
 * issue 15 the first write past the buffer blocked for ever: the alarm
 * turns that hang into a failed run. */
static uint64_t log_into_stalled_reader(int write_end)
{
    int saved = dup(STDERR_FILENO);
    CU_ASSERT_FATAL(saved >= 0 && dup2(write_end, STDERR_FILENO) >= 0);
    fa_log_nonblocking();
    uint64_t before = fa_log_dropped();
    alarm(10);
    double start = fa_clock_monotonic();
    for (int i = 0; i < 3000; i++)
        fa_log_info("test", "line %d of a log nobody reads, padded to a realistic size %0100d", i,
                    0);
    double took = fa_clock_monotonic() - start;
    alarm(0);
    dup2(saved, STDERR_FILENO);
    close(saved);
    /* 3,000 lines of ~250 bytes are ~12 buffers' worth: most are dropped,
     * and dropping costs no wait (bound generous for a shared machine). */
    CU_ASSERT(took < 2.0);
    return fa_log_dropped() - before;
}

/* Reads what the reader got and checks every line is a whole JSON object. */
static size_t drain_whole_lines(int read_end)
{
    fcntl(read_end, F_SETFL, fcntl(read_end, F_GETFL) | O_NONBLOCK);
    fa_buf_t got;
    fa_buf_init(&got, arena, 1 << 20);
    char chunk[65536];
    ssize_t r;
    while ((r = read(read_end, chunk, sizeof chunk)) > 0)
        fa_buf_append(&got, chunk, (size_t)r);
    free(captured);
    captured = strdup(fa_buf_cstr(&got));
    release_lines_keep();
    CU_ASSERT(parse_captured());
    return strlen(captured);
}

static void test_full_pipe_drops_whole_lines(void)
{
    fa_log_init(FA_LOG_INFO, "serve");
    int p[2];
    CU_ASSERT_FATAL(pipe(p) == 0);
    uint64_t dropped = log_into_stalled_reader(p[1]);
    CU_ASSERT(dropped > 0);
    /* Our own description stays blocking: the reopened one is the service's. */
    CU_ASSERT_EQUAL(fcntl(p[1], F_GETFL) & O_NONBLOCK, 0);
    CU_ASSERT(drain_whole_lines(p[0]) > 0);
    close(p[0]);
    close(p[1]);
    release_lines();
}

static void test_full_socket_drops_whole_lines(void)
{
    fa_log_init(FA_LOG_INFO, "serve");
    int sv[2];
    CU_ASSERT_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    uint64_t dropped = log_into_stalled_reader(sv[1]);
    CU_ASSERT(dropped > 0);
    CU_ASSERT_EQUAL(fcntl(sv[1], F_GETFL) & O_NONBLOCK, 0);
    /* The reader catches up: a line the socket took in part is finished
     * before the next one, so the stream holds whole lines only. */
    size_t first = drain_whole_lines(sv[0]);
    int saved = dup(STDERR_FILENO);
    dup2(sv[1], STDERR_FILENO);
    fa_log_info("test", "after the reader caught up");
    dup2(saved, STDERR_FILENO);
    close(saved);
    char *before = strdup(captured);
    drain_whole_lines(sv[0]);
    size_t n = strlen(captured);
    CU_ASSERT(first > 0 && n > 0);
    CU_ASSERT(n >= strlen("after the reader caught up"));
    CU_ASSERT(strstr(captured, "after the reader caught up") != NULL);
    /* ... followed by how many lines were lost meanwhile. */
    CU_ASSERT(strstr(captured, "log line(s): the reader of stderr could not keep up") != NULL);
    /* The part held back plus this line still parse with what came first. */
    fa_buf_t all;
    fa_buf_init(&all, arena, strlen(before) + n + 1);
    fa_buf_append_cstr(&all, before);
    fa_buf_append_cstr(&all, captured);
    free(captured);
    captured = strdup(fa_buf_cstr(&all));
    release_lines_keep();
    CU_ASSERT(parse_captured());
    free(before);
    close(sv[0]);
    close(sv[1]);
    release_lines();
}

int main(void)
{
    static const test_case_t tests[] = {
        TEST(test_line_has_time_level_module_msg),
        TEST(test_each_level_name),
        TEST(test_below_level_not_written),
        TEST(test_request_id_tag_set_and_cleared),
        TEST(test_special_characters_escaped),
        TEST(test_event_pairs),
        TEST(test_event_invalid_utf8_value),
        TEST(test_request_fields),
        TEST(test_request_without_user),
        TEST(test_request_id_not_duplicated),
        TEST(test_invalid_utf8_message_still_json),
        TEST(test_long_message_one_line),
        TEST(test_long_utf8_message_keeps_text),
        TEST(test_process_name_bounded),
        TEST(test_full_pipe_drops_whole_lines),
        TEST(test_full_socket_drops_whole_lines),
    };
    static const fa_unit_suite_t suite = {
        .name = "core/log", .setup = test_arena_setup, .teardown = test_arena_teardown};
    return fa_unit_run(&suite, tests, FA_UNIT_COUNT(tests));
}
