/* Snapshot suite: GET /v1/app/snapshot against golden documents (signed out;
 * signed in before the org sync ran; after it ran), sign-in not waiting for
 * the sync, per-session organization selection, and the onboarding actions
 * (star through GitHub, skip). Issue 4, "It must show" 1, 2, 5 and 6.
 *
 * Golden files: tests/integration/golden/snapshot_*.json. Volatile values
 * are normalised before comparing parsed JSON: the user's id and login, the
 * emulator's origin, the starter repo setting, session ids and timestamps.
 * FA_TEST_UPDATE_GOLDEN=1 rewrites the files from what the service answered
 * (review the diff before committing it). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobs_helpers.h"

#define FA_FOUNDRY_LABS 4000000001LL /* fixture orgs */
#define FA_ACME_ROCKETS 1000001LL
#define FA_SYNC_WAIT_MS 20000

/* ---- normalisation and golden files ------------------------------------- */

typedef struct {
    const char *from;
    const char *to;
} fa_subst_t;

static char *fa_replace_all(const char *s, const char *from, const char *to)
{
    size_t from_len = strlen(from), to_len = strlen(to), n = 0;
    if (from_len == 0)
        return fa_xstrdup(s);
    for (const char *p = s; (p = strstr(p, from)) != NULL; p += from_len)
        n++;
    char *out = fa_xmalloc(strlen(s) + n * to_len + 1), *o = out;
    for (const char *p = s, *hit; *p; p = hit + from_len) {
        hit = strstr(p, from);
        if (!hit) {
            strcpy(o, p);
            return out;
        }
        memcpy(o, p, (size_t)(hit - p));
        o += hit - p;
        memcpy(o, to, to_len);
        o += to_len;
        *o = '\0';
    }
    *o = '\0';
    return out;
}

static bool fa_is_volatile_key(const char *key)
{
    static const char *const keys[] = {"sessionId", "expiresAt", "updatedAt",
                                       "starredAt", "skippedAt", NULL};
    for (const char *const *k = keys; *k; k++)
        if (strcmp(*k, key) == 0)
            return true;
    return false;
}

/* Rewrites j in place: volatile keys holding a string become "<key>", other
 * strings get subs applied in order. */
static void fa_normalise(json_t *j, const fa_subst_t *subs, size_t n)
{
    if (json_is_array(j)) {
        for (size_t i = 0; i < json_array_size(j); i++) {
            json_t *v = json_array_get(j, i);
            if (json_is_string(v)) {
                char *s = fa_xstrdup(json_string_value(v));
                for (size_t k = 0; k < n; k++) {
                    char *next = fa_replace_all(s, subs[k].from, subs[k].to);
                    free(s);
                    s = next;
                }
                json_array_set_new(j, i, json_string(s));
                free(s);
            } else {
                fa_normalise(v, subs, n);
            }
        }
        return;
    }
    const char *key;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(j, tmp, key, v)
    {
        if (json_is_string(v) && fa_is_volatile_key(key)) {
            char *mark = fa_xasprintf("<%s>", key);
            json_object_set_new(j, key, json_string(mark));
            free(mark);
        } else if (json_is_string(v)) {
            char *s = fa_xstrdup(json_string_value(v));
            for (size_t k = 0; k < n; k++) {
                char *next = fa_replace_all(s, subs[k].from, subs[k].to);
                free(s);
                s = next;
            }
            json_object_set_new(j, key, json_string(s));
            free(s);
        } else {
            fa_normalise(v, subs, n);
        }
    }
}

/* The JSON pointer of the first difference between want and got (empty
 * when equal), so a failure names the field instead of dumping both. */
static bool fa_json_first_diff(const json_t *want, const json_t *got, char *path, size_t len)
{
    if (json_equal(want, got))
        return false;
    size_t used = strlen(path);
    if (json_is_object(want) && json_is_object(got)) {
        const char *key;
        json_t *w;
        json_object_foreach((json_t *)want, key, w)
        {
            snprintf(path + used, len - used, "/%s", key);
            if (fa_json_first_diff(w, json_object_get(got, key), path, len))
                return true;
        }
        json_object_foreach((json_t *)got, key, w)
        {
            snprintf(path + used, len - used, "/%s", key);
            if (!json_object_get(want, key))
                return true;
        }
    } else if (json_is_array(want) && json_is_array(got) &&
               json_array_size(want) == json_array_size(got)) {
        for (size_t i = 0; i < json_array_size(want); i++) {
            snprintf(path + used, len - used, "/%zu", i);
            if (fa_json_first_diff(json_array_get(want, i), json_array_get(got, i), path, len))
                return true;
        }
    }
    path[used] = '\0';
    return true;
}

static const json_t *fa_json_at(const json_t *doc, const char *pointer)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", pointer);
    const json_t *v = doc;
    for (char *part = strtok(buf, "/"); part && v; part = strtok(NULL, "/"))
        v = json_is_array(v) ? json_array_get(v, strtoul(part, NULL, 10))
                             : json_object_get(v, part);
    return v;
}

/* Normalises doc for user u (NULL: signed out) and compares it with the golden file. */
static void fa_check_golden(json_t *doc, const fa_test_user_t *u, const char *name)
{
    FA_CHECK_FATAL(doc != NULL, "%s: no snapshot document", name);
    char *repo = fa_envfile_get("FOUNDRY_STARTER_REPO");
    const fa_subst_t subs[] = {
        {fa_env("FA_TEST_EMULATOR_URL"), "<emulator>"},
        {u ? u->login : "", "<login>"},
        {u ? u->id_text : "", "<user_id>"},
        {repo ? repo : "", "<starter_repo>"},
    };
    fa_normalise(doc, subs, sizeof subs / sizeof subs[0]);
    char *path = fa_xasprintf("%s/tests/integration/golden/%s.json", fa_env("FA_TEST_ROOT"), name);
    const char *update = getenv("FA_TEST_UPDATE_GOLDEN");
    if (update && strcmp(update, "1") == 0)
        json_dump_file(doc, path, JSON_INDENT(2) | JSON_SORT_KEYS);
    json_error_t jerr;
    json_t *golden = json_load_file(path, 0, &jerr);
    FA_CHECK(golden != NULL, "%s: cannot read golden file %s: %s", name, path, jerr.text);
    if (golden) {
        char where[256] = "";
        bool differs = fa_json_first_diff(golden, doc, where, sizeof where);
        char *want = json_dumps(fa_json_at(golden, where), JSON_COMPACT | JSON_ENCODE_ANY);
        char *got = json_dumps(fa_json_at(doc, where), JSON_COMPACT | JSON_ENCODE_ANY);
        char *whole = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
        FA_CHECK(!differs,
                 "%s: differs from %s at \"%s\": expected %.300s, got %.300s; normalised "
                 "document: %.1000s",
                 name, path, where, want ? want : "(absent)", got ? got : "(absent)", whole);
        free(whole);
        free(got);
        free(want);
        json_decref(golden);
    }
    free(path);
    free(repo);
}

/* ---- 1. golden snapshots -------------------------------------------------- */

static void test_golden_signed_out(void)
{
    json_t *doc = fa_app_snapshot(NULL);
    fa_check_golden(doc, NULL, "snapshot_signed_out");
    json_decref(doc);
    /* A cookie the service never issued reads as signed out too, not 401. */
    fa_http_jar_t *jar = fa_http_jar_new();
    char *bogus = fa_random_session_value();
    char *line = fa_xasprintf("Set-Cookie: %s=%s; Path=/", fa_session_cookie_name(), bogus);
    fa_http_jar_add(jar, line);
    doc = fa_app_snapshot(jar);
    fa_check_golden(doc, NULL, "snapshot_signed_out");
    json_decref(doc);
    free(line);
    free(bogus);
    fa_http_jar_free(jar);
}

/* The job process is paused (SIGSTOP) while signing in, so the sync cannot
 * have run: the snapshot shows it pending with only the personal account. */
static void test_golden_before_and_after_sync(void)
{
    fa_test_user_t u;
    const long long orgs[] = {FA_FOUNDRY_LABS, FA_ACME_ROCKETS};
    FA_CHECK_FATAL(fa_user_create(&u, "snap", orgs, 2, false), "create emulator user");
    fa_http_jar_t *jar = fa_http_jar_new();
    FA_CHECK_FATAL(fa_jobs_pause(), "pause the job process (FA_TEST_JOBS_PIDFILE)");
    bool signed_in = fa_user_sign_in(&u, jar);
    json_t *pending = signed_in ? fa_app_snapshot(jar) : NULL;
    long long queued = fa_sql_int("SELECT count(*) FROM jobs WHERE kind = 'org_sync' AND "
                                  "user_id = $1 AND status = 'queued'",
                                  u.id_text, NULL);
    fa_jobs_resume();
    FA_CHECK_FATAL(signed_in, "sign in %s", u.login);
    FA_CHECK(queued == 1, "sign-in queued one org_sync job, found %lld", queued);
    fa_check_golden(pending, &u, "snapshot_signed_in_pending");
    json_decref(pending);

    FA_CHECK_FATAL(fa_wait_sync_status(&u, "done", FA_SYNC_WAIT_MS), "sync of %s ends done",
                   u.login);
    json_t *synced = fa_app_snapshot(jar);
    fa_check_golden(synced, &u, "snapshot_signed_in_synced");
    json_decref(synced);
    fa_http_jar_free(jar);
}

/* ---- 1b. rows rendered as JSON ------------------------------------------- */

/* The snapshot is written field by field from the row (no JSON tree) and
 * each organization object is rendered on its row by a trigger
 * (sql/002_snapshot_fragments.sql): hostile text must come back exactly, a
 * rename by any writer must show at once, and timestamps must read as the
 * database's own. */
static void test_rows_render_exactly(void)
{
    static const char tricky[] = "Zo\xc3\xab \"Q\" \\ </script>\n\t\x01 \xf0\x9f\x98\x80";
    fa_test_user_t u;
    const long long orgs[] = {FA_ACME_ROCKETS};
    FA_CHECK_FATAL(fa_user_create(&u, "render", orgs, 1, false), "create emulator user");
    fa_http_jar_t *jar = fa_http_jar_new();
    FA_CHECK_FATAL(fa_user_sign_in(&u, jar), "sign in %s", u.login);
    FA_CHECK_FATAL(fa_wait_sync_status(&u, "done", FA_SYNC_WAIT_MS), "sync ends done");
    char *acme = fa_xasprintf("%lld", FA_ACME_ROCKETS);
    /* The emulator's orgs are shared with other tests: put the name back. */
    char *old_name =
        fa_sql_text("SELECT coalesce(name, '(null)') FROM organizations WHERE id = $1", acme, NULL);
    FA_CHECK_FATAL(old_name != NULL, "organization %s exists after the sync", acme);
    FA_CHECK_FATAL(fa_sql_exec("UPDATE users SET name = $2, email = NULL WHERE id = $1",
                               u.id_text, tricky, NULL) &&
                       fa_sql_exec("UPDATE organizations SET name = $2 WHERE id = $1", acme,
                                   tricky, NULL),
                   "store hostile text");
    json_t *doc = fa_app_snapshot(jar);
    fa_sql_exec("UPDATE organizations SET name = nullif($2, '(null)') WHERE id = $1", acme,
                old_name, NULL);
    FA_CHECK_FATAL(doc != NULL, "the snapshot parses as JSON");
    const json_t *user = json_array_get(json_object_get(doc, "users"), 0);
    const char *name = json_string_value(json_object_get(user, "name"));
    FA_CHECK(name && strcmp(name, tricky) == 0, "user name came back as %s",
             name ? name : "(not a string)");
    FA_CHECK(json_is_null(json_object_get(user, "email")), "a NULL email is null");
    const json_t *found = NULL, *list = json_object_get(doc, "organizations");
    for (size_t i = 0; i < json_array_size(list); i++)
        if (strcmp(json_string_value(json_object_get(json_array_get(list, i), "id")), acme) == 0)
            found = json_array_get(list, i);
    const char *org_name = json_string_value(json_object_get(found, "name"));
    FA_CHECK(org_name && strcmp(org_name, tricky) == 0,
             "the renamed organization shows its new name at once, got %s",
             org_name ? org_name : "(missing)");
    const json_t *auth = json_object_get(doc, "auth");
    char *expires = fa_sql_text("SELECT to_char(expires_at, 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') "
                                "FROM sessions WHERE user_id = $1 AND id = $2::uuid",
                                u.id_text, json_string_value(json_object_get(auth, "sessionId")),
                                NULL);
    const char *got = json_string_value(json_object_get(auth, "expiresAt"));
    FA_CHECK(got && strcmp(got, expires) == 0, "expiresAt %s is the session's %s",
             got ? got : "(missing)", expires);
    free(expires);
    json_decref(doc);
    free(old_name);
    free(acme);
    fa_http_jar_free(jar);
}

/* ---- 2. sign-in does not wait for the sync -------------------------------- */

static void test_sign_in_does_not_wait_for_sync(void)
{
    fa_test_user_t u;
    const long long orgs[] = {FA_FOUNDRY_LABS};
    FA_CHECK_FATAL(fa_user_create(&u, "slow", orgs, 1, false), "create emulator user");
    FA_CHECK_FATAL(fa_emulator_arm_fault("{\"endpoint\":\"orgs\",\"delayMs\":5000,\"times\":1}"),
                   "arm a 5 s delay on /user/orgs");
    fa_http_jar_t *jar = fa_http_jar_new();
    fa_signin_result_t r;
    bool ok = fa_signin_begin(jar, u.login, NULL, &r) && fa_signin_finish(jar, &r, 0);
    FA_CHECK(ok, "sign in while /user/orgs is slow: %s", fa_signin_describe(&r));
    if (r.callback) {
        FA_CHECK(r.callback->status == 302, "callback answered %ld", r.callback->status);
        FA_CHECK(r.callback->seconds < 1.0,
                 "the callback waited %.3f s: it must not wait for the org sync",
                 r.callback->seconds);
    }
    fa_signin_result_free(&r);
    /* The delayed first call times out or succeeds late; either way the job
     * ends done (a timeout is retried). */
    FA_CHECK(fa_wait_sync_status(&u, "done", 30000), "sync ends done after the slow call");
    fa_emulator_clear_faults();
    fa_http_jar_free(jar);
}

/* ---- 4. eligible organizations, each once ------------------------------------ */

/* GitHub's own API examples give a user and an organization the same id 1: an
 * organization sharing the user's id must not be listed twice. */
static void test_eligible_ids_unique(void)
{
    fa_test_user_t u;
    FA_CHECK_FATAL(fa_user_create(&u, "twin", NULL, 0, false), "create emulator user");
    char *org = fa_xasprintf("{\"id\":%lld,\"login\":\"twin-org-%lld\"}", u.id, u.id % 100000000LL);
    fa_http_response_t *made = fa_emulator_post("orgs", org);
    FA_CHECK_FATAL(made->status == 200, "an emulator org with the user's own id: %ld %s",
                   made->status, made->body);
    fa_http_response_free(made);
    free(org);
    const long long orgs[] = {u.id, FA_FOUNDRY_LABS};
    FA_CHECK_FATAL(fa_user_set_orgs(&u, orgs, 2), "membership of the twin org and foundry-labs");
    fa_http_jar_t *jar = fa_http_jar_new();
    FA_CHECK_FATAL(fa_user_sign_in(&u, jar), "sign in %s", u.login);
    FA_CHECK_FATAL(fa_wait_sync_status(&u, "done", FA_SYNC_WAIT_MS), "sync ends done");
    json_t *doc = fa_app_snapshot(jar);
    const json_t *ids =
        json_object_get(json_array_get(json_object_get(doc, "users"), 0), "eligibleOrganizationIds");
    char *text = json_dumps(ids, JSON_COMPACT);
    char *want = fa_xasprintf("[\"%lld\",\"%lld\"]", u.id, FA_FOUNDRY_LABS);
    FA_CHECK(text && strcmp(text, want) == 0, "eligibleOrganizationIds %s, want %s",
             text ? text : "(missing)", want);
    long long stored = fa_sql_int("SELECT cardinality(eligible_organization_ids) FROM "
                                  "user_profiles WHERE user_id = $1",
                                  u.id_text, NULL);
    FA_CHECK(stored == 2, "user_profiles.eligible_organization_ids holds %lld ids, want 2",
             stored);
    free(want);
    free(text);
    json_decref(doc);
    fa_http_jar_free(jar);
}

/* ---- 5. organization selection --------------------------------------------- */

static char *fa_active_org(fa_http_jar_t *jar)
{
    json_t *doc = fa_app_snapshot(jar);
    const char *v = json_string_value(json_object_get(doc, "activeOrganizationId"));
    char *out = fa_xstrdup(v ? v : "(null)");
    json_decref(doc);
    return out;
}

static fa_http_response_t *fa_select(fa_http_jar_t *jar, const char *org)
{
    char *body = fa_xasprintf("{\"organizationId\":\"%s\"}", org);
    fa_http_response_t *r = fa_app_post(jar, "/v1/app/organizations/select", body);
    free(body);
    return r;
}

static void test_select_not_eligible_is_403(void)
{
    fa_test_user_t u;
    const long long orgs[] = {FA_FOUNDRY_LABS};
    FA_CHECK_FATAL(fa_user_create(&u, "sel", orgs, 1, false), "create emulator user");
    fa_http_jar_t *jar = fa_http_jar_new();
    FA_CHECK_FATAL(fa_user_sign_in(&u, jar), "sign in");
    FA_CHECK_FATAL(fa_wait_sync_status(&u, "done", FA_SYNC_WAIT_MS), "sync done");
    fa_http_response_t *r = fa_select(jar, "1000001"); /* acme-rockets: not a member */
    FA_CHECK_JSON_ERROR(r, 403, "organization_not_eligible", "select a non-member org");
    fa_http_response_free(r);
    r = fa_select(jar, "not-a-number");
    FA_CHECK_JSON_ERROR(r, 400, "invalid_organization_id", "select a malformed id");
    fa_http_response_free(r);
    long long active = fa_sql_int("SELECT count(*) FROM session_state WHERE user_id = $1 "
                                  "AND active_organization_id IS NOT NULL",
                                  u.id_text, NULL);
    long long audits = fa_sql_int("SELECT count(*) FROM audit_events WHERE user_id = $1 "
                                  "AND event = 'org_selected'",
                                  u.id_text, NULL);
    FA_CHECK(active == 0, "refused selection changed session_state (%lld rows set)", active);
    FA_CHECK(audits == 0, "refused selection was audited (%lld events)", audits);
    char *now = fa_active_org(jar);
    FA_CHECK(strcmp(now, "(null)") == 0, "snapshot activeOrganizationId is %s", now);
    free(now);
    fa_http_jar_free(jar);
}

/* Two browsers of one user keep their own active org; a sync that drops an
 * org clears it only where it was active. */
static void test_select_per_session_and_cleared_by_sync(void)
{
    fa_test_user_t u;
    const long long orgs[] = {FA_FOUNDRY_LABS, FA_ACME_ROCKETS};
    FA_CHECK_FATAL(fa_user_create(&u, "two", orgs, 2, false), "create emulator user");
    fa_http_jar_t *a = fa_http_jar_new(), *b = fa_http_jar_new();
    FA_CHECK_FATAL(fa_user_sign_in(&u, a) && fa_user_sign_in(&u, b), "sign in twice");
    FA_CHECK_FATAL(fa_wait_sync_status(&u, "done", FA_SYNC_WAIT_MS), "sync done");
    fa_http_response_t *ra = fa_select(a, u.id_text);
    fa_http_response_t *rb = fa_select(b, "1000001");
    FA_CHECK(ra->status == 200, "browser A selects personal: %ld %s", ra->status, ra->body);
    FA_CHECK(rb->status == 200, "browser B selects acme-rockets: %ld %s", rb->status, rb->body);
    fa_http_response_free(ra);
    fa_http_response_free(rb);
    char *sa = fa_active_org(a), *sb = fa_active_org(b);
    FA_CHECK(strcmp(sa, u.id_text) == 0, "A's snapshot active org %s, want %s", sa, u.id_text);
    FA_CHECK(strcmp(sb, "1000001") == 0, "B's snapshot active org %s, want 1000001", sb);
    free(sa);
    free(sb);

    const long long fewer[] = {FA_FOUNDRY_LABS};
    FA_CHECK_FATAL(fa_user_set_orgs(&u, fewer, 1), "drop acme-rockets at the emulator");
    fa_http_response_t *rs = fa_app_post(a, "/v1/app/organizations/sync", NULL);
    json_t *body = fa_http_json(rs);
    FA_CHECK(rs->status == 202, "POST sync: %ld %s", rs->status, rs->body);
    FA_CHECK(json_is_string(json_object_get(body, "status")) &&
                 strcmp(json_string_value(json_object_get(body, "status")), "queued") == 0,
             "POST sync body %s", rs->body);
    json_decref(body);
    fa_http_response_free(rs);
    FA_CHECK(fa_wait_sync_status(&u, "done", FA_SYNC_WAIT_MS), "re-sync done");
    sa = fa_active_org(a);
    sb = fa_active_org(b);
    FA_CHECK(strcmp(sa, u.id_text) == 0, "A keeps its personal org, got %s", sa);
    FA_CHECK(strcmp(sb, "(null)") == 0, "B lost acme-rockets, got %s", sb);
    free(sa);
    free(sb);
    long long still = fa_sql_int("SELECT count(*) FROM session_state WHERE user_id = $1 "
                                 "AND active_organization_id = 1000001",
                                 u.id_text, NULL);
    long long member = fa_sql_int("SELECT count(*) FROM organization_members WHERE user_id = $1 "
                                  "AND organization_id = 1000001",
                                  u.id_text, NULL);
    FA_CHECK(still == 0, "session_state still holds the dropped org (%lld)", still);
    FA_CHECK(member == 0, "membership of the dropped org remains (%lld)", member);
    fa_http_response_t *again = fa_select(b, "1000001");
    FA_CHECK_JSON_ERROR(again, 403, "organization_not_eligible", "select the dropped org");
    fa_http_response_free(again);
    fa_http_jar_free(a);
    fa_http_jar_free(b);
}

/* ---- 6. onboarding ---------------------------------------------------------- */

/* The service asks GitHub for the scopes in GITHUB_SCOPES; starring needs
 * public_repo, which the test environment's default scopes lack, so the
 * emulator's scope check is off for these tests (reset restores it). */
static void fa_emulator_relax_scopes(bool relax)
{
    fa_http_response_t *r = fa_emulator_post("config", relax ? "{\"enforceScopes\":false}"
                                                             : "{\"enforceScopes\":true}");
    FA_CHECK(r->status == 200, "emulator config: %ld %s", r->status, r->body);
    fa_http_response_free(r);
}

static char *fa_profile_text(const fa_test_user_t *u, const char *column_sql)
{
    char *sql = fa_xasprintf("SELECT %s FROM user_profiles WHERE user_id = $1", column_sql);
    char *v = fa_sql_text(sql, u->id_text, NULL);
    free(sql);
    return v ? v : fa_xstrdup("(null)");
}

static bool fa_emulator_has_star(const char *login, const char *repo)
{
    fa_http_response_t *r = fa_emulator_get("stars");
    json_t *j = fa_http_json(r);
    bool found = false;
    json_t *s;
    size_t i;
    json_array_foreach(json_object_get(j, "stars"), i, s)
    {
        const char *l = json_string_value(json_object_get(s, "login"));
        const char *p = json_string_value(json_object_get(s, "repo"));
        found |= l && p && strcmp(l, login) == 0 && strcmp(p, repo) == 0;
    }
    json_decref(j);
    fa_http_response_free(r);
    return found;
}

static long long fa_audits(const fa_test_user_t *u, const char *event)
{
    return fa_sql_int("SELECT count(*) FROM audit_events WHERE user_id = $1 AND event = $2",
                      u->id_text, event, NULL);
}

static void test_star_records_put_then_skip_refused(void)
{
    char *repo = fa_envfile_get("FOUNDRY_STARTER_REPO");
    FA_CHECK_FATAL(repo != NULL, "FOUNDRY_STARTER_REPO must be set in the test environment");
    fa_test_user_t u;
    FA_CHECK_FATAL(fa_user_create(&u, "star", NULL, 0, false), "create emulator user");
    fa_http_jar_t *jar = fa_http_jar_new();
    FA_CHECK_FATAL(fa_user_sign_in(&u, jar), "sign in");
    fa_emulator_relax_scopes(true);
    fa_http_response_t *r = fa_app_post(jar, "/v1/app/onboarding/starter-repo/star", NULL);
    json_t *j = fa_http_json(r);
    json_t *sr = json_object_get(j, "starterRepo");
    FA_CHECK(r->status == 200, "star: %ld %s", r->status, r->body);
    FA_CHECK(json_is_string(json_object_get(sr, "starredAt")) &&
                 strcmp(json_string_value(json_object_get(sr, "status")), "starred") == 0 &&
                 strcmp(json_string_value(json_object_get(sr, "repo")), repo) == 0,
             "star body %s", r->body);
    json_decref(j);
    fa_http_response_free(r);
    FA_CHECK(fa_emulator_has_star(u.login, repo), "the emulator recorded no PUT star of %s by %s",
             repo, u.login);
    char *status = fa_profile_text(&u, "starter_repo_status");
    char *starred = fa_profile_text(&u, "starred_at IS NOT NULL");
    FA_CHECK(strcmp(status, "starred") == 0 && strcmp(starred, "t") == 0,
             "profile after star: status %s, starred_at set %s", status, starred);
    FA_CHECK(fa_audits(&u, "starter_repo_starred") == 1, "one starter_repo_starred audit event");
    free(status);
    free(starred);
    json_t *doc = fa_app_snapshot(jar);
    json_t *snap_sr = json_object_get(json_object_get(doc, "onboarding"), "starterRepo");
    FA_CHECK(json_is_string(json_object_get(snap_sr, "starredAt")) &&
                 strcmp(json_string_value(json_object_get(snap_sr, "status")), "starred") == 0,
             "snapshot after star shows it starred");
    json_decref(doc);

    r = fa_app_post(jar, "/v1/app/onboarding/starter-repo/skip", NULL);
    FA_CHECK_JSON_ERROR(r, 409, "starter_repo_already_starred", "skip after star");
    fa_http_response_free(r);
    fa_emulator_relax_scopes(false);
    fa_http_jar_free(jar);
    free(repo);
}

static void test_star_github_failure_is_502_and_skip(void)
{
    fa_test_user_t u;
    FA_CHECK_FATAL(fa_user_create(&u, "nostar", NULL, 0, false), "create emulator user");
    fa_http_jar_t *jar = fa_http_jar_new();
    FA_CHECK_FATAL(fa_user_sign_in(&u, jar), "sign in");
    fa_emulator_relax_scopes(true);
    FA_CHECK_FATAL(fa_emulator_arm_fault("{\"endpoint\":\"star\",\"status\":500}"),
                   "arm a 500 on star");
    fa_http_response_t *r = fa_app_post(jar, "/v1/app/onboarding/starter-repo/star", NULL);
    FA_CHECK_JSON_ERROR(r, 502, "github_failed", "star while GitHub answers 500");
    fa_http_response_free(r);
    fa_emulator_clear_faults();
    char *status = fa_profile_text(&u, "starter_repo_status");
    char *starred = fa_profile_text(&u, "starred_at IS NULL");
    FA_CHECK(strcmp(status, "pending") == 0 && strcmp(starred, "t") == 0,
             "a failed star changed the profile: status %s, starred_at null %s", status, starred);
    FA_CHECK(fa_audits(&u, "starter_repo_starred") == 0, "a failed star was audited");
    free(status);
    free(starred);

    r = fa_app_post(jar, "/v1/app/onboarding/starter-repo/skip", NULL);
    json_t *j = fa_http_json(r);
    json_t *sr = json_object_get(j, "starterRepo");
    FA_CHECK(r->status == 200, "skip: %ld %s", r->status, r->body);
    FA_CHECK(json_is_string(json_object_get(sr, "skippedAt")) &&
                 strcmp(json_string_value(json_object_get(sr, "status")), "skipped") == 0,
             "skip body %s", r->body);
    json_decref(j);
    fa_http_response_free(r);
    json_t *doc = fa_app_snapshot(jar);
    json_t *snap_sr = json_object_get(json_object_get(doc, "onboarding"), "starterRepo");
    const char *skipped_at = json_string_value(json_object_get(snap_sr, "skippedAt"));
    FA_CHECK(skipped_at && strlen(skipped_at) == 24 && skipped_at[10] == 'T' &&
                 skipped_at[23] == 'Z',
             "snapshot skippedAt %s is not an ISO timestamp", skipped_at ? skipped_at : "(null)");
    FA_CHECK(strcmp(json_string_value(json_object_get(snap_sr, "status")), "skipped") == 0,
             "snapshot status after skip");
    json_decref(doc);
    FA_CHECK(fa_audits(&u, "starter_repo_skipped") == 1, "one starter_repo_skipped audit event");
    fa_emulator_relax_scopes(false);
    fa_http_jar_free(jar);
}

/* Mutations need a session and, with a cookie, a trusted Origin. */
static void test_app_mutations_need_session_and_origin(void)
{
    static const char *const paths[] = {"/v1/app/organizations/sync",
                                        "/v1/app/onboarding/starter-repo/star",
                                        "/v1/app/onboarding/starter-repo/skip"};
    fa_test_user_t u;
    FA_CHECK_FATAL(fa_user_create(&u, "csrf", NULL, 0, false), "create emulator user");
    fa_http_jar_t *jar = fa_http_jar_new();
    FA_CHECK_FATAL(fa_user_sign_in(&u, jar), "sign in");
    FA_CHECK_FATAL(fa_wait_sync_status(&u, "done", FA_SYNC_WAIT_MS), "sync done");
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        fa_http_response_t *r =
            fa_browser_request("POST", paths[i], NULL, NULL, "application/json", "{}");
        FA_CHECK_JSON_ERROR(r, 401, "unauthenticated", paths[i]);
        fa_http_response_free(r);
        r = fa_browser_request("POST", paths[i], jar, "http://evil.example", "application/json",
                               "{}");
        FA_CHECK_JSON_ERROR(r, 403, "untrusted_origin", paths[i]);
        fa_http_response_free(r);
    }
    char *status = fa_profile_text(&u, "org_sync_status || '/' || starter_repo_status");
    FA_CHECK(strcmp(status, "done/pending") == 0, "refused mutations changed the profile: %s",
             status);
    free(status);
    fa_http_jar_free(jar);
}

/* The PUT to GitHub runs with no transaction open (FA_ROUTE_CALLS_OUT):
 * revoking every session while GitHub is slow answers at once instead of
 * waiting on a row lock for GitHub's timeout, and the star, whose session
 * is gone by the time it would record, writes nothing and answers 401. */
typedef struct {
    fa_http_jar_t *jar;
    fa_http_response_t *response;
} fa_star_call_t;

static void *fa_star_thread(void *data)
{
    fa_star_call_t *call = data;
    call->response = fa_app_post(call->jar, "/v1/app/onboarding/starter-repo/star", NULL);
    return NULL;
}

static void test_star_does_not_hold_up_revocation(void)
{
    fa_test_user_t u;
    FA_CHECK_FATAL(fa_user_create(&u, "slowstar", NULL, 0, false), "create emulator user");
    fa_http_jar_t *starring = fa_http_jar_new(), *other = fa_http_jar_new();
    FA_CHECK_FATAL(fa_user_sign_in(&u, starring) && fa_user_sign_in(&u, other),
                   "sign in %s in two browsers", u.login);
    fa_emulator_relax_scopes(true);
    FA_CHECK_FATAL(fa_emulator_arm_fault("{\"endpoint\":\"star\",\"delayMs\":2000,\"times\":1}"),
                   "arm a 2 s delay on PUT /user/starred");
    fa_star_call_t call = {starring, NULL};
    pthread_t thread;
    FA_CHECK_FATAL(pthread_create(&thread, NULL, fa_star_thread, &call) == 0, "pthread_create");
    usleep(500 * 1000); /* the star is now waiting on GitHub */
    fa_http_response_t *out = fa_app_post(other, "/v1/auth/sign-out-all", NULL);
    FA_CHECK(out->status == 200, "sign-out-all: %ld %s", out->status, out->body);
    FA_CHECK(out->seconds < 1.0,
             "sign-out-all took %.2f s: it waited on the star's GitHub call", out->seconds);
    fa_http_response_free(out);
    pthread_join(thread, NULL);
    FA_CHECK_JSON_ERROR(call.response, 401, "session_revoked",
                        "star whose session was revoked during the GitHub call");
    fa_http_response_free(call.response);
    char *status = fa_profile_text(&u, "starter_repo_status");
    FA_CHECK(strcmp(status, "pending") == 0, "status after the refused record: %s", status);
    FA_CHECK(fa_audits(&u, "starter_repo_starred") == 0, "no starter_repo_starred audit event");
    free(status);
    fa_emulator_clear_faults();
    fa_emulator_relax_scopes(false);
    fa_http_jar_free(starring);
    fa_http_jar_free(other);
}

static int fa_snapshot_cleanup(void)
{
    fa_jobs_resume();
    fa_emulator_clear_faults();
    return 0;
}

void fa_register_snapshot_suite(void)
{
    CU_pSuite s = fa_suite_add("snapshot", NULL, fa_snapshot_cleanup);
    fa_test_add(s, "golden: signed out", test_golden_signed_out);
    fa_test_add(s, "golden: signed in, before and after the org sync",
                test_golden_before_and_after_sync);
    fa_test_add(s, "hostile text, a renamed org and timestamps render exactly",
                test_rows_render_exactly);
    fa_test_add(s, "sign-in does not wait for the org sync", test_sign_in_does_not_wait_for_sync);
    fa_test_add(s, "an organization sharing the user's id is eligible once",
                test_eligible_ids_unique);
    fa_test_add(s, "selecting an org that is not eligible is 403, nothing changes",
                test_select_not_eligible_is_403);
    fa_test_add(s, "two browsers keep their own active org; a sync clears a dropped one",
                test_select_per_session_and_cleared_by_sync);
    fa_test_add(s, "star: the emulator records the PUT; skip after star is refused",
                test_star_records_put_then_skip_refused);
    fa_test_add(s, "star while GitHub fails: 502, status unchanged; skip: skipped with a time",
                test_star_github_failure_is_502_and_skip);
    fa_test_add(s, "a slow GitHub star does not hold up a revocation; the star then writes nothing",
                test_star_does_not_hold_up_revocation);
    fa_test_add(s, "app mutations need a session and a trusted origin",
                test_app_mutations_need_session_and_origin);
}
