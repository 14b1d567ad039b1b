/* Harness plumbing that is neither HTTP, SQL nor processes: CUnit glue,
 * FA_TEST_* and the service's env file, files, the service log, metrics text.
 * Never: asserts on behalf of a test except through FA_CHECK. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness.h"

extern char **environ;

void *fa_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL) {
        fprintf(stderr, "fa_integration: out of memory\n");
        abort();
    }
    return p;
}

char *fa_xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(fa_xmalloc(n), s, n);
}

char *fa_xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        abort();
    char *s = fa_xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

CU_pSuite fa_suite_add(const char *name, CU_InitializeFunc init, CU_CleanupFunc cleanup)
{
    CU_pSuite suite = CU_add_suite(name, init, cleanup);
    if (suite == NULL) {
        fprintf(stderr, "fa_integration: cannot add suite %s: %s\n", name, CU_get_error_msg());
        exit(2);
    }
    return suite;
}

void fa_test_add(CU_pSuite suite, const char *name, CU_TestFunc fn)
{
    if (CU_add_test(suite, name, fn) == NULL) {
        fprintf(stderr, "fa_integration: cannot add test %s: %s\n", name, CU_get_error_msg());
        exit(2);
    }
}

bool fa_check_impl(bool value, unsigned line, const char *file, const char *func, bool fatal,
                   const char *fmt, ...)
{
    /* Static, not malloc'd: a fatal failure longjmps out of CUnit and would
     * leak it. CUnit copies the text into its failure record. */
    static char msg[2048];
    if (value) {
        CU_assertImplementation(CU_TRUE, line, "", file, func, CU_FALSE);
        return true;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "  FAILED %s:%u %s: %s\n", file, line, func, msg);
    CU_assertImplementation(CU_FALSE, line, msg, file, func, fatal ? CU_TRUE : CU_FALSE);
    return false;
}

const char *fa_env(const char *name)
{
    const char *v = getenv(name);
    if (v == NULL || *v == '\0') {
        fprintf(stderr,
                "fa_integration: %s is not set; run through scripts/test or export the "
                "FA_TEST_* variables (tests/integration/README.md)\n",
                name);
        exit(2);
    }
    return v;
}

/* "KEY=value" from one env-file line, or NULL for blanks and comments. The
 * file is unquoted (scripts/lib/service.sh fa_env_write): the value is taken
 * byte for byte, as the service received it. */
static char *fa_envfile_entry(char *line)
{
    line[strcspn(line, "\n")] = '\0';
    const char *p = line + strspn(line, " \t");
    if (*p == '\0' || *p == '#' || strchr(line, '=') == NULL || *line == '=')
        return NULL;
    return fa_xstrdup(line);
}

/* Every entry of FA_TEST_ENV_FILE, NULL-terminated. */
static char **fa_envfile_read(void)
{
    const char *path = fa_env("FA_TEST_ENV_FILE");
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "fa_integration: cannot read FA_TEST_ENV_FILE %s\n", path);
        exit(2);
    }
    size_t n = 0, cap = 16;
    char **v = fa_xmalloc(cap * sizeof *v);
    char *line = NULL;
    size_t linecap = 0;
    while (getline(&line, &linecap, f) >= 0) {
        char *e = fa_envfile_entry(line);
        if (e == NULL)
            continue;
        if (n + 1 >= cap) {
            cap *= 2;
            v = realloc(v, cap * sizeof *v);
            if (v == NULL)
                abort();
        }
        v[n++] = e;
    }
    v[n] = NULL;
    free(line);
    fclose(f);
    return v;
}

void fa_strv_free(char **v)
{
    if (v == NULL)
        return;
    for (size_t i = 0; v[i]; i++)
        free(v[i]);
    free(v);
}

static bool fa_env_key_is(const char *entry, const char *key, size_t keylen)
{
    return strncmp(entry, key, keylen) == 0 && entry[keylen] == '=';
}

char *fa_envfile_get(const char *key)
{
    char **v = fa_envfile_read();
    char *out = NULL;
    for (size_t i = 0; v[i] && out == NULL; i++)
        if (fa_env_key_is(v[i], key, strlen(key)))
            out = fa_xstrdup(v[i] + strlen(key) + 1);
    fa_strv_free(v);
    return out;
}

/* Applies overrides ("KEY=value" sets, "KEY" removes) to the NULL-terminated
 * malloc'd list v; returns the (reallocated) list. */
static char **fa_strv_apply(char **v, const char *const *overrides)
{
    size_t n = 0, extra = 0;
    while (v[n])
        n++;
    for (size_t i = 0; overrides && overrides[i]; i++)
        extra++;
    v = realloc(v, (n + extra + 1) * sizeof *v);
    if (v == NULL)
        abort();
    for (size_t i = 0; overrides && overrides[i]; i++) {
        const char *eq = strchr(overrides[i], '=');
        size_t keylen = eq ? (size_t)(eq - overrides[i]) : strlen(overrides[i]);
        size_t w = 0;
        for (size_t r = 0; r < n; r++) {
            if (fa_env_key_is(v[r], overrides[i], keylen))
                free(v[r]);
            else
                v[w++] = v[r];
        }
        n = w;
        if (eq)
            v[n++] = fa_xstrdup(overrides[i]);
    }
    v[n] = NULL;
    return v;
}

char **fa_envfile_environ(const char *const *overrides)
{
    return fa_strv_apply(fa_envfile_read(), overrides);
}

char **fa_environ_with(const char *const *overrides)
{
    size_t n = 0;
    while (environ[n])
        n++;
    char **v = fa_xmalloc((n + 1) * sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = fa_xstrdup(environ[i]);
    v[n] = NULL;
    return fa_strv_apply(v, overrides);
}

char *fa_file_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = fa_xmalloc(cap);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n - 1 == 0) {
            cap *= 2;
            buf = realloc(buf, cap);
            if (buf == NULL)
                abort();
        }
    }
    fclose(f);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

size_t fa_log_offset(void)
{
    struct stat st;
    if (stat(fa_env("FA_TEST_SERVICE_LOG"), &st) != 0)
        return 0;
    return (size_t)st.st_size;
}

/* The first complete JSON line after offset with key == value. */
static json_t *fa_log_scan(const char *text, size_t len, size_t offset, const char *key,
                           const char *value)
{
    if (offset > len)
        offset = 0; /* the log was truncated or rotated: look at all of it */
    const char *p = text + offset, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (nl == NULL)
            break; /* a line still being written */
        json_t *line = json_loadb(p, (size_t)(nl - p), 0, NULL);
        const char *got = json_string_value(json_object_get(line, key));
        if (got && strcmp(got, value) == 0)
            return line;
        json_decref(line);
        p = nl + 1;
    }
    return NULL;
}

json_t *fa_log_find(size_t offset, const char *key, const char *value, long timeout_ms)
{
    double deadline = fa_now() + (double)timeout_ms / 1000.0;
    for (;;) {
        size_t len = 0;
        char *text = fa_file_read(fa_env("FA_TEST_SERVICE_LOG"), &len);
        json_t *found = text ? fa_log_scan(text, len, offset, key, value) : NULL;
        free(text);
        if (found || fa_now() >= deadline)
            return found;
        fa_sleep_ms(50);
    }
}

json_t *fa_log_lines(size_t offset)
{
    json_t *lines = json_array();
    size_t len = 0;
    char *text = fa_file_read(fa_env("FA_TEST_SERVICE_LOG"), &len);
    if (text == NULL)
        return lines;
    if (offset > len)
        offset = 0;
    for (const char *p = text + offset, *nl; (nl = memchr(p, '\n', len - (size_t)(p - text)));
         p = nl + 1) {
        json_t *line = json_loadb(p, (size_t)(nl - p), 0, NULL);
        if (line)
            json_array_append_new(lines, line);
    }
    free(text);
    return lines;
}

void fa_assert_log_lacks_impl(const char *needle, unsigned line, const char *file, const char *func)
{
    if (needle == NULL || *needle == '\0') {
        fa_check_impl(false, line, file, func, false,
                      "fa_assert_log_lacks: empty needle proves nothing");
        return;
    }
    const char *path = fa_env("FA_TEST_SERVICE_LOG");
    size_t len = 0;
    char *text = fa_file_read(path, &len);
    if (!fa_check_impl(text != NULL, line, file, func, false, "cannot read service log %s", path))
        return;
    const char *hit = memmem(text, len, needle, strlen(needle));
    /* The needle itself is a secret: report only its length and the offset. */
    fa_check_impl(hit == NULL, line, file, func, false,
                  "service log %s contains a secret (%zu bytes) at offset %zu", path,
                  strlen(needle), hit ? (size_t)(hit - text) : 0);
    free(text);
}

/* Does the label set "{a="x",b="y"}" (starting after '{') contain name=value?
 * Handles the \\, \" and \n escapes of the text format. */
static bool fa_metrics_has_label(const char *labels, const char *want)
{
    const char *eq = strchr(want, '=');
    size_t nlen = (size_t)(eq - want);
    const char *p = labels;
    while (*p && *p != '}') {
        while (*p == ',' || *p == ' ')
            p++;
        const char *name = p;
        while (*p && *p != '=' && *p != '}')
            p++;
        size_t len = (size_t)(p - name);
        if (*p != '=' || p[1] != '"')
            return false;
        p += 2;
        char val[512];
        size_t vn = 0;
        while (*p && *p != '"') {
            char c = *p++;
            if (c == '\\' && *p) {
                c = *p == 'n' ? '\n' : *p;
                p++;
            }
            if (vn + 1 < sizeof val)
                val[vn++] = c;
        }
        val[vn] = '\0';
        if (*p == '"')
            p++;
        if (len == nlen && strncmp(name, want, nlen) == 0 && strcmp(val, eq + 1) == 0)
            return true;
    }
    return false;
}

double fa_metrics_value(const char *text, const char *metric, const char *const *labels)
{
    double sum = 0;
    bool found = false;
    size_t mlen = strlen(metric);
    for (const char *line = text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        next = next ? next + 1 : NULL;
        if (*line == '#' || strncmp(line, metric, mlen) != 0)
            continue;
        const char *p = line + mlen;
        if (*p != '{' && *p != ' ')
            continue; /* a longer name with this prefix */
        bool match = true;
        if (*p == '{') {
            for (size_t i = 0; labels && labels[i] && match; i++)
                match = fa_metrics_has_label(p + 1, labels[i]);
            p = strchr(p, '}');
            if (p == NULL)
                break;
            p++;
        } else {
            match = labels == NULL || labels[0] == NULL;
        }
        if (match) {
            sum += strtod(p, NULL);
            found = true;
        }
    }
    return found ? sum : -1;
}
