/* The authError contract (auth/sign_in_error.c): the codes keep their text,
 * failures map to the right code, the URL is built byte for byte as before,
 * and the sign-in page (nginx/static/sign-in.js, AUTH_ERRORS) has a message
 * for exactly the codes the service can send. FA_SIGN_IN_PAGE names another
 * copy of the page (to see this test fail on a page with a message removed). */
#include "unit_test.h"
#include <dirent.h>
#include <regex.h>
#include <string.h>

#include "auth/sign_in_error.h"
#include "github/client.h"

#define PAGE_DEFAULT "../../../nginx/static/sign-in.js"
#define SNIPPETS_DIR "../../../nginx/snippets"
#define MAX_KEYS 64

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *text = NULL;
    size_t len = 0, cap = 0, n;
    char chunk[4096];
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (len + n + 1 > cap) {
            cap = (len + n + 1) * 2;
            text = realloc(text, cap);
            if (!text)
                abort();
        }
        memcpy(text + len, chunk, n);
        len += n;
    }
    fclose(f);
    if (text)
        text[len] = '\0';
    return text;
}

/* The keys of the page's `const AUTH_ERRORS = { key: [title, text], ... };`. */
static size_t page_codes(char keys[][64], size_t max)
{
    const char *path = getenv("FA_SIGN_IN_PAGE") ? getenv("FA_SIGN_IN_PAGE") : PAGE_DEFAULT;
    char *page = read_file(path);
    CU_ASSERT_PTR_NOT_NULL_FATAL(page);
    char *start = strstr(page, "const AUTH_ERRORS = {");
    CU_ASSERT_PTR_NOT_NULL_FATAL(start);
    char *end = strstr(start, "\n};");
    CU_ASSERT_PTR_NOT_NULL_FATAL(end);
    *end = '\0';
    regex_t key;
    CU_ASSERT_EQUAL_FATAL(regcomp(&key, "^[ \t]+([a-z_]+):[ \t]*\\[", REG_EXTENDED | REG_NEWLINE),
                          0);
    size_t count = 0;
    regmatch_t m[2];
    for (const char *p = strchr(start, '\n'); p && regexec(&key, p, 2, m, 0) == 0;
         p += m[0].rm_eo) {
        size_t len = (size_t)(m[1].rm_eo - m[1].rm_so);
        CU_ASSERT_FATAL(count < max && len < 64);
        memcpy(keys[count], p + m[1].rm_so, len);
        keys[count++][len] = '\0';
    }
    regfree(&key);
    free(page);
    return count;
}

static bool listed(const char *code)
{
    size_t n;
    const fa_sign_in_error_info_t *all = fa_sign_in_errors(&n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(all[i].code, code) == 0)
            return true;
    return false;
}

static void test_page_has_a_message_for_every_code(void)
{
    char keys[MAX_KEYS][64];
    size_t nkeys = page_codes(keys, MAX_KEYS);
    size_t n;
    const fa_sign_in_error_info_t *all = fa_sign_in_errors(&n);
    for (size_t i = 0; i < n; i++) {
        bool found = false;
        for (size_t k = 0; k < nkeys && !found; k++)
            found = strcmp(keys[k], all[i].code) == 0;
        if (!found)
            fprintf(stderr, "\nthe sign-in page has no message for authError=%s\n", all[i].code);
        CU_ASSERT_TRUE(found);
    }
}

static void test_page_has_no_message_for_a_code_never_sent(void)
{
    char keys[MAX_KEYS][64];
    size_t nkeys = page_codes(keys, MAX_KEYS);
    CU_ASSERT_TRUE(nkeys > 0);
    for (size_t k = 0; k < nkeys; k++) {
        if (!listed(keys[k]))
            fprintf(stderr,
                    "\nthe sign-in page explains authError=%s, which the service never "
                    "sends (not in auth/sign_in_error.c)\n",
                    keys[k]);
        CU_ASSERT_TRUE(listed(keys[k]));
    }
}

/* nginx sends browsers to the page itself when the service is down: those
 * codes must be in the list too. */
static void test_nginx_sends_only_listed_codes(void)
{
    DIR *dir = opendir(SNIPPETS_DIR);
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    regex_t use;
    CU_ASSERT_EQUAL_FATAL(regcomp(&use, "authError=([a-z_]+)", REG_EXTENDED), 0);
    int seen = 0;
    for (struct dirent *e; (e = readdir(dir)) != NULL;) {
        if (e->d_name[0] == '.')
            continue;
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", SNIPPETS_DIR, e->d_name);
        char *text = read_file(path);
        regmatch_t m[2];
        for (const char *p = text; p && regexec(&use, p, 2, m, 0) == 0; p += m[0].rm_eo) {
            char code[64] = {0};
            size_t len = (size_t)(m[1].rm_eo - m[1].rm_so);
            memcpy(code, p + m[1].rm_so, len < sizeof(code) ? len : sizeof(code) - 1);
            if (!listed(code))
                fprintf(stderr, "\n%s sends authError=%s, not in the list\n", path, code);
            CU_ASSERT_TRUE(listed(code));
            seen++;
        }
        free(text);
    }
    closedir(dir);
    regfree(&use);
    CU_ASSERT_TRUE(seen > 0); /* the down-service redirect is there */
}

/* The codes are API: their text on the wire never changes. */
static void test_codes_keep_their_text(void)
{
    static const char *const wire[] = {
        "access_denied",       "invalid_state",       "state_expired", "state_used",
        "browser_mismatch",    "code_rejected",       "github_error",  "github_timeout",
        "github_rate_limited", "service_unavailable", "server_error",  "service_busy",
    };
    size_t n;
    const fa_sign_in_error_info_t *all = fa_sign_in_errors(&n);
    CU_ASSERT_EQUAL_FATAL(n, sizeof(wire) / sizeof(wire[0]));
    for (size_t i = 0; i < n; i++) {
        CU_ASSERT_STRING_EQUAL(all[i].code, wire[i]);
        CU_ASSERT_TRUE(all[i].meaning && all[i].meaning[0] != '\0');
        for (size_t j = 0; j < i; j++)
            CU_ASSERT_STRING_NOT_EQUAL(all[i].code, all[j].code);
    }
    CU_ASSERT_PTR_EQUAL(all[8].code, fa_sign_in_error_github_rate_limited);
}

static void test_statuses_map_to_codes(void)
{
    CU_ASSERT_PTR_EQUAL(fa_sign_in_error_for_status(FA_ERR_UNAVAILABLE),
                        fa_sign_in_error_service_unavailable);
    CU_ASSERT_PTR_EQUAL(fa_sign_in_error_for_status(FA_ERR_INTERNAL),
                        fa_sign_in_error_server_error);
    CU_ASSERT_PTR_EQUAL(fa_sign_in_error_for_status(FA_ERR_CONFLICT),
                        fa_sign_in_error_server_error);
    CU_ASSERT_PTR_EQUAL(fa_sign_in_error_for_status(FA_ERR_UPSTREAM),
                        fa_sign_in_error_server_error);
}

static const char *for_github(const char *code, fa_status_t status)
{
    fa_error_t err = {status, code, "message", NULL};
    return fa_sign_in_error_for_github(&err);
}

static void test_github_failures_map_to_codes(void)
{
    CU_ASSERT_PTR_EQUAL(for_github(fa_github_err_rate_limited, FA_ERR_UPSTREAM),
                        fa_sign_in_error_github_rate_limited);
    CU_ASSERT_PTR_EQUAL(for_github(fa_github_err_timeout, FA_ERR_UPSTREAM),
                        fa_sign_in_error_github_timeout);
    CU_ASSERT_PTR_EQUAL(for_github(fa_github_err_rejected_code, FA_ERR_UPSTREAM),
                        fa_sign_in_error_code_rejected);
    CU_ASSERT_PTR_EQUAL(for_github(fa_github_err_unavailable, FA_ERR_UPSTREAM),
                        fa_sign_in_error_github_error);
    CU_ASSERT_PTR_EQUAL(for_github(fa_github_err_bad_response, FA_ERR_UPSTREAM),
                        fa_sign_in_error_github_error);
    CU_ASSERT_PTR_EQUAL(for_github(fa_github_err_unauthorized, FA_ERR_UPSTREAM),
                        fa_sign_in_error_github_error);
    CU_ASSERT_PTR_EQUAL(for_github(fa_github_err_invalid_argument, FA_ERR_BAD_REQUEST),
                        fa_sign_in_error_github_error);
    char look_alike[] = "github_timeout"; /* same text, not the client's code */
    CU_ASSERT_PTR_EQUAL(for_github(look_alike, FA_ERR_UPSTREAM), fa_sign_in_error_github_error);
}

static void test_location_is_built_as_before(void)
{
    CU_ASSERT_STRING_EQUAL(
        fa_sign_in_error_location(arena, "/sign-in", fa_sign_in_error_state_used, 0),
        "/sign-in?authError=state_used");
    CU_ASSERT_STRING_EQUAL(
        fa_sign_in_error_location(arena, "/sign-in", fa_sign_in_error_server_error, 30),
        "/sign-in?authError=server_error");
    CU_ASSERT_STRING_EQUAL(
        fa_sign_in_error_location(arena, "/login", fa_sign_in_error_github_rate_limited, 3540),
        "/login?authError=github_rate_limited&retryAfter=3540");
    /* A wait GitHub did not state still tells the page to wait. */
    CU_ASSERT_STRING_EQUAL(
        fa_sign_in_error_location(arena, "/sign-in", fa_sign_in_error_github_rate_limited, 0),
        "/sign-in?authError=github_rate_limited&retryAfter=1");
}

int main(void)
{
    static const test_case_t tests[] = {
        {"the page has a message for every code", test_page_has_a_message_for_every_code},
        {"the page has no message for a code never sent",
         test_page_has_no_message_for_a_code_never_sent},
        {"nginx sends only listed codes", test_nginx_sends_only_listed_codes},
        {"codes keep their text", test_codes_keep_their_text},
        {"statuses map to codes", test_statuses_map_to_codes},
        {"GitHub failures map to codes", test_github_failures_map_to_codes},
        {"the location is built as before", test_location_is_built_as_before},
    };
    static const fa_unit_suite_t suite = {
        .name = "auth/sign_in_error", .setup = test_arena_setup, .teardown = test_arena_teardown};
    return fa_unit_run(&suite, tests, FA_UNIT_COUNT(tests));
}
