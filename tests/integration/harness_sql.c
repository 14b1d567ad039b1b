/* Direct SQL checks against the test database with libpq. A fresh connection
 * per call: slower than caching one, but correct across the PostgreSQL
 * restarts some tests cause. Every value is a bound parameter. */
#include <libpq-fe.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define FA_SQL_MAX_PARAMS 16

/* NOTICEs ("does not exist, skipping") would clutter the CUnit report. */
static void fa_sql_ignore_notice(void *arg, const char *message)
{
    (void)arg, (void)message;
}

static PGconn *fa_sql_connect(const char *conninfo)
{
    PGconn *conn = PQconnectdb(conninfo ? conninfo : fa_env("FA_TEST_DATABASE_URL"));
    if (PQstatus(conn) != CONNECTION_OK) {
        fprintf(stderr, "fa_integration: sql connect failed: %s", PQerrorMessage(conn));
        PQfinish(conn);
        return NULL;
    }
    PQsetNoticeProcessor(conn, fa_sql_ignore_notice, NULL);
    return conn;
}

/* Runs sql with the NULL-terminated text params of ap; NULL on failure. */
static PGresult *fa_sql_run(const char *conninfo, const char *sql, va_list ap)
{
    const char *params[FA_SQL_MAX_PARAMS];
    int n = 0;
    const char *p;
    while ((p = va_arg(ap, const char *)) != NULL) {
        if (n == FA_SQL_MAX_PARAMS) {
            fprintf(stderr, "fa_integration: too many sql params\n");
            abort();
        }
        params[n++] = p;
    }
    PGconn *conn = fa_sql_connect(conninfo);
    if (conn == NULL)
        return NULL;
    PGresult *r = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
        fprintf(stderr, "fa_integration: sql failed: %s\n  query: %s\n", PQerrorMessage(conn), sql);
        PQclear(r);
        r = NULL;
    }
    PQfinish(conn);
    return r;
}

char *fa_sql_text(const char *sql, ...)
{
    va_list ap;
    va_start(ap, sql);
    PGresult *r = fa_sql_run(NULL, sql, ap);
    va_end(ap);
    char *out = NULL;
    if (r && PQntuples(r) > 0 && PQnfields(r) > 0 && !PQgetisnull(r, 0, 0))
        out = fa_xstrdup(PQgetvalue(r, 0, 0));
    PQclear(r);
    return out;
}

static long long fa_sql_result_int(PGresult *r)
{
    long long out = -1;
    if (r && PQntuples(r) > 0 && PQnfields(r) > 0 && !PQgetisnull(r, 0, 0))
        out = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return out;
}

long long fa_sql_int(const char *sql, ...)
{
    va_list ap;
    va_start(ap, sql);
    PGresult *r = fa_sql_run(NULL, sql, ap);
    va_end(ap);
    return fa_sql_result_int(r);
}

long long fa_sql_int_in(const char *conninfo, const char *sql, ...)
{
    va_list ap;
    va_start(ap, sql);
    PGresult *r = fa_sql_run(conninfo, sql, ap);
    va_end(ap);
    return fa_sql_result_int(r);
}

bool fa_sql_exec(const char *sql, ...)
{
    va_list ap;
    va_start(ap, sql);
    PGresult *r = fa_sql_run(NULL, sql, ap);
    va_end(ap);
    bool ok = r != NULL;
    PQclear(r);
    return ok;
}

/* Appends key='value' with libpq's quoting rules (backslash before ' and \). */
static void fa_conninfo_append(char **s, const char *key, const char *val)
{
    size_t n = strlen(val);
    char *q = fa_xmalloc(2 * n + 1), *w = q;
    for (size_t i = 0; i < n; i++) {
        if (val[i] == '\'' || val[i] == '\\')
            *w++ = '\\';
        *w++ = val[i];
    }
    *w = '\0';
    char *next = fa_xasprintf("%s%s%s='%s'", *s, **s ? " " : "", key, q);
    free(q);
    free(*s);
    *s = next;
}

char *fa_sql_conninfo_for(const char *dbname)
{
    char *errmsg = NULL;
    PQconninfoOption *opts = PQconninfoParse(fa_env("FA_TEST_DATABASE_URL"), &errmsg);
    if (opts == NULL) {
        fprintf(stderr, "fa_integration: FA_TEST_DATABASE_URL: %s\n", errmsg ? errmsg : "?");
        exit(2);
    }
    char *out = fa_xstrdup("");
    for (PQconninfoOption *o = opts; o->keyword; o++)
        if (o->val && strcmp(o->keyword, "dbname") != 0)
            fa_conninfo_append(&out, o->keyword, o->val);
    fa_conninfo_append(&out, "dbname", dbname);
    PQconninfoFree(opts);
    return out;
}
