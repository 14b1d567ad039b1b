/* The integration harness: everything a suite needs to drive the running
 * service from the outside. Requests go through nginx (FA_TEST_URL) with
 * libcurl, or over a raw socket when curl would normalise the bytes; SQL
 * checks go straight to PostgreSQL with libpq; process helpers look at the
 * master and its workers through /proc.
 *
 * Conventions: helpers never return NULL for a response (a transport failure
 * is status 0 with the curl error in body), abort with a clear message when the
 * environment is unusable (a missing FA_TEST_* variable, out of memory), and
 * leave assertions to the caller except the FA_CHECK family, which records a
 * CUnit failure with the expected and actual values spelled out. */
#ifndef FA_INTEGRATION_HARNESS_H
#define FA_INTEGRATION_HARNESS_H

#include <CUnit/CUnit.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* ---- suites ---------------------------------------------------------- */

/* Each tests/integration/test_<area>.c defines void fa_register_<area>_suite(void);
 * main.c lists the areas in one X-macro (FA_SUITES), one line each. */

/* CU_add_suite / CU_add_test that abort on a registry error. */
CU_pSuite fa_suite_add(const char *name, CU_InitializeFunc init, CU_CleanupFunc cleanup);
void fa_test_add(CU_pSuite suite, const char *name, CU_TestFunc fn);

/* Records a CUnit assertion whose message is printf-formatted, so a failure
 * report says what was sent, expected and received. Evaluates to cond. */
#define FA_CHECK(cond, ...)                                                                        \
    fa_check_impl(!!(cond), __LINE__, __FILE__, __func__, false, __VA_ARGS__)
/* Same, but a failure ends the current test (CUnit fatal assertion). */
#define FA_CHECK_FATAL(cond, ...)                                                                  \
    fa_check_impl(!!(cond), __LINE__, __FILE__, __func__, true, __VA_ARGS__)
bool fa_check_impl(bool value, unsigned line, const char *file, const char *func, bool fatal,
                   const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* ---- environment ----------------------------------------------------- */

/* Value of a required variable; aborts the run naming it when unset or empty. */
const char *fa_env(const char *name);
/* Value of KEY in FA_TEST_ENV_FILE (the service's exact environment), malloc'd;
 * NULL when absent. */
char *fa_envfile_get(const char *key);
/* An environment for execve: FA_TEST_ENV_FILE's lines with overrides applied.
 * overrides is NULL-terminated; "KEY=value" sets, "KEY" alone removes. The
 * result is NULL-terminated and released with fa_strv_free. */
char **fa_envfile_environ(const char *const *overrides);
/* The test's own environment with overrides applied, same rules. */
char **fa_environ_with(const char *const *overrides);
void fa_strv_free(char **v);

/* ---- HTTP (libcurl) -------------------------------------------------- */

typedef struct {
    char *name;  /* as received */
    char *value; /* leading/trailing whitespace trimmed */
} fa_http_header_t;

typedef struct {
    long status;               /* 0 on a transport error (body then holds curl's message) */
    fa_http_header_t *headers; /* every header of the final response, repeats kept */
    size_t header_count;
    char *body; /* always NUL-terminated (body_len excludes the NUL) */
    size_t body_len;
    double seconds; /* wall time of the exchange */
} fa_http_response_t;

/* A simulated browser: a cookie store shared by the requests that name it. */
typedef struct fa_http_jar fa_http_jar_t;

typedef struct {
    const char *method;         /* NULL = GET (POST when body is set) */
    const char *path;           /* appended to FA_TEST_URL unless it starts with "http" */
    const char *const *headers; /* NULL-terminated "Name: value" list, or NULL */
    const char *body;           /* NULL = no body */
    size_t body_len;            /* 0 with a body = strlen(body) */
    fa_http_jar_t *jar;         /* NULL = no cookies kept */
    bool follow_redirects;      /* off by default */
    long timeout_ms;            /* 0 = 10 s */
} fa_http_request_t;

fa_http_response_t *fa_http_do(const fa_http_request_t *req);
fa_http_response_t *fa_http_get(const char *path);
/* Shorthand for the common case; headers may be NULL. */
fa_http_response_t *fa_http_send(const char *method, const char *path, const char *const *headers,
                                 const char *body, fa_http_jar_t *jar);
void fa_http_response_free(fa_http_response_t *res);

/* First value of a header (case-insensitive name), NULL when absent. */
const char *fa_http_header(const fa_http_response_t *res, const char *name);
size_t fa_http_header_count(const fa_http_response_t *res, const char *name);
/* n-th (0-based) value of a header, NULL past the end (e.g. each Set-Cookie). */
const char *fa_http_header_nth(const fa_http_response_t *res, const char *name, size_t n);
/* The body parsed as JSON (caller json_decref's), NULL if it is not JSON. */
json_t *fa_http_json(const fa_http_response_t *res);
/* String member of a JSON object body, malloc'd; NULL when absent or not a string. */
char *fa_http_json_string(const fa_http_response_t *res, const char *key);

/* True when res has the given status (0 = any 4xx), a JSON object body with a
 * string "error" (equal to code unless code is NULL) and a string "message".
 * On false, why describes the mismatch. */
bool fa_http_is_json_error(const fa_http_response_t *res, long status, const char *code, char *why,
                           size_t why_len);
#define FA_CHECK_JSON_ERROR(res, status, code, what)                                               \
    do {                                                                                           \
        char why_[512];                                                                            \
        bool ok_ = fa_http_is_json_error((res), (status), (code), why_, sizeof why_);              \
        FA_CHECK(ok_, "%s: %s", (what), why_);                                                     \
    } while (0)

fa_http_jar_t *fa_http_jar_new(void);
void fa_http_jar_free(fa_http_jar_t *jar);
/* Current value of a cookie in the jar (malloc'd), NULL when absent. */
char *fa_http_jar_cookie(fa_http_jar_t *jar, const char *name);
/* Adds a cookie as a "Set-Cookie: ..." or Netscape line (CURLOPT_COOKIELIST). */
void fa_http_jar_add(fa_http_jar_t *jar, const char *line);

/* ---- raw socket (bytes curl would not send) -------------------------- */

/* Connects to FA_TEST_URL's host and port, writes len bytes of raw (exactly
 * as given: pipelined requests, duplicate headers, NUL bytes), reads until the
 * server closes or timeout_ms passes, and splits what came back into up to max
 * responses. Returns how many were parsed (missing ones are not allocated). */
size_t fa_raw_exchange(const char *raw, size_t len, long timeout_ms, fa_http_response_t **out,
                       size_t max);
/* One request; raw should end with "Connection: close". Never NULL. */
fa_http_response_t *fa_raw_request(const char *raw, size_t len);

/* ---- SQL (libpq, FA_TEST_DATABASE_URL; a fresh connection per call) --- */

/* First column of the first row as text (malloc'd); NULL on SQL NULL, no row
 * or error (the error is printed). Params are a NULL-terminated list of text
 * values bound as $1, $2, ... */
char *fa_sql_text(const char *sql, ...) __attribute__((sentinel));
/* Same, as an integer; -1 on NULL, no row or error. */
long long fa_sql_int(const char *sql, ...) __attribute__((sentinel));
/* Runs a command; true when it succeeded. */
bool fa_sql_exec(const char *sql, ...) __attribute__((sentinel));
/* fa_sql_int against another database (a conninfo from fa_sql_conninfo_for). */
long long fa_sql_int_in(const char *conninfo, const char *sql, ...) __attribute__((sentinel));
/* FA_TEST_DATABASE_URL with the database name replaced (malloc'd conninfo). */
char *fa_sql_conninfo_for(const char *dbname);

/* ---- files, logs, metrics -------------------------------------------- */

/* Whole file, NUL-terminated, malloc'd; NULL when unreadable. */
char *fa_file_read(const char *path, size_t *len);
/* Size of FA_TEST_SERVICE_LOG now: pass it to fa_log_find to see only newer lines. */
size_t fa_log_offset(void);
/* Waits up to timeout_ms for a JSON log line after offset whose string member
 * key equals value; returns it (caller json_decref's) or NULL. */
json_t *fa_log_find(size_t offset, const char *key, const char *value, long timeout_ms);
/* Every complete JSON line after offset, as a JSON array (caller json_decref's). */
json_t *fa_log_lines(size_t offset);
/* CUnit assertion: FA_TEST_SERVICE_LOG does not contain needle (skipped with a
 * failure if needle is empty, since that would prove nothing). */
#define fa_assert_log_lacks(needle) fa_assert_log_lacks_impl((needle), __LINE__, __FILE__, __func__)
void fa_assert_log_lacks_impl(const char *needle, unsigned line, const char *file,
                              const char *func);
/* Sum of the samples of a Prometheus metric whose labels include every
 * "name=value" pair of labels (NULL-terminated); -1 when no sample matches. */
double fa_metrics_value(const char *text, const char *metric, const char *const *labels);

/* ---- processes ------------------------------------------------------- */

double fa_now(void); /* monotonic seconds */
void fa_sleep_ms(long ms);
/* Polls pred(arg) every interval_ms until it is true or timeout_ms passed. */
bool fa_wait_until(long timeout_ms, long interval_ms, bool (*pred)(void *arg), void *arg);
/* The master pid from FA_TEST_SERVICE_PIDFILE; -1 when unreadable. */
pid_t fa_service_master_pid(void);
/* Children of parent (from /proc/<pid>/stat), up to max; returns the count. */
size_t fa_proc_children(pid_t parent, pid_t *out, size_t max);
bool fa_proc_alive(pid_t pid);
/* The first of pids whose name (/proc/<pid>/comm) is "fa-<pool>" (the master
 * names its workers by pool: fa-main, fa-signin); pids[0] when none is. */
pid_t fa_proc_in_pool(const pid_t *pids, size_t n, const char *pool);
/* Keeps only the pids of pool at the front of pids (order kept); their count. */
size_t fa_proc_keep_pool(pid_t *pids, size_t n, const char *pool);

typedef struct {
    int exit_code;  /* exit status, 128+signal when killed, -1 when timed out or not run */
    bool timed_out; /* the child was killed after timeout_ms */
    char *out;      /* captured stdout / stderr, NUL-terminated, never NULL */
    char *err;
    double seconds;
} fa_run_result_t;

/* fork + execve(argv[0], argv, envp) with stdout/stderr captured; envp NULL =
 * this process's environment. Waits at most timeout_ms. */
void fa_run(char *const argv[], char *const envp[], long timeout_ms, fa_run_result_t *res);
/* /bin/sh -c cmd with the test's own environment. */
void fa_run_shell(const char *cmd, long timeout_ms, fa_run_result_t *res);
void fa_run_result_free(fa_run_result_t *res);
/* Starts argv in the background (stdin /dev/null, stdout+stderr appended to
 * log_path); returns its pid or -1. */
pid_t fa_spawn(char *const argv[], char *const envp[], const char *log_path);
/* Waits up to timeout_ms for pid; returns its exit code (128+signal), -1 on timeout. */
int fa_wait_pid(pid_t pid, long timeout_ms);

/* ---- GitHub emulator ------------------------------------------------- */

/* POST json to FA_TEST_EMULATOR_URL/_emulator/<path> (e.g. "reset"). */
fa_http_response_t *fa_emulator_post(const char *path, const char *json);
fa_http_response_t *fa_emulator_get(const char *path);

/* ---- small helpers --------------------------------------------------- */

void *fa_xmalloc(size_t n);
char *fa_xstrdup(const char *s);
char *fa_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
