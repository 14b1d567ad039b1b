/* Floor 3 of scripts/bench, the "ideal session check": what a session check
 * fundamentally needs and nothing more. Read the session cookie, SHA-256 its
 * token part (what the service stores in session_index.token_hash), one
 * prepared primary-key lookup joined to sessions (the shape of
 * app/auth/session.c "session_lookup", minimal), answer 200 or 401.
 * No signature check, no JSON library, no logging, no metrics.
 * Usage: fcgi_ideal_session SOCKET WORKERS CONNINFO COOKIE_NAME */
#include <libpq-fe.h>
#include <openssl/evp.h>

#include "bench_fcgi.h"

#define FA_IDEAL_TOKEN_LEN 43 /* base64url of 32 bytes, before the '.' */

typedef struct {
    const char *conninfo;
    const char *cookie_name;
    PGconn *conn;
    EVP_MD *sha256;
} fa_ideal_t;

static const char fa_ideal_sql[] =
    "SELECT s.user_id FROM session_index i "
    "JOIN sessions s ON s.user_id = i.user_id AND s.id = i.session_id "
    "WHERE i.token_hash = $1 AND s.expires_at > now()";

static int fa_ideal_connect(fa_ideal_t *st)
{
    if (st->conn)
        PQfinish(st->conn);
    st->conn = PQconnectdb(st->conninfo);
    if (PQstatus(st->conn) != CONNECTION_OK) {
        fprintf(stderr, "ideal: could not connect: %s", PQerrorMessage(st->conn));
        return -1;
    }
    PGresult *r = PQprepare(st->conn, "lookup", fa_ideal_sql, 1, NULL);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok)
        fprintf(stderr, "ideal: could not prepare: %s", PQresultErrorMessage(r));
    PQclear(r);
    return ok ? 0 : -1;
}

static void *fa_ideal_init(void *arg)
{
    fa_ideal_t *st = arg;
    st->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    if (!st->sha256 || fa_ideal_connect(st) < 0)
        return NULL;
    return st;
}

/* The value of `name` in a Cookie header, or NULL. */
static const char *fa_ideal_cookie(const char *header, const char *name, size_t *len)
{
    size_t nlen = strlen(name);
    for (const char *p = header; p && *p;) {
        while (*p == ' ' || *p == ';')
            p++;
        const char *end = strchr(p, ';');
        size_t plen = end ? (size_t)(end - p) : strlen(p);
        if (plen > nlen && p[nlen] == '=' && strncmp(p, name, nlen) == 0) {
            *len = plen - nlen - 1;
            return p + nlen + 1;
        }
        p = end;
    }
    return NULL;
}

static int fa_ideal_lookup(fa_ideal_t *st, const unsigned char hash[32], char *user_id,
                           size_t cap)
{
    const char *values[1] = {(const char *)hash};
    const int lengths[1] = {32}, formats[1] = {1};
    PGresult *r = PQexecPrepared(st->conn, "lookup", 1, values, lengths, formats, 0);
    int found = -1;
    if (PQresultStatus(r) == PGRES_TUPLES_OK) {
        found = PQntuples(r) == 1;
        if (found)
            snprintf(user_id, cap, "%s", PQgetvalue(r, 0, 0));
    }
    PQclear(r);
    if (found < 0 && PQstatus(st->conn) != CONNECTION_OK)
        fa_ideal_connect(st);
    return found;
}

static int fa_ideal_handle(FCGX_Request *req, void *state)
{
    fa_ideal_t *st = state;
    const char *cookie = FCGX_GetParam("HTTP_COOKIE", req->envp);
    size_t len = 0;
    const char *value = cookie ? fa_ideal_cookie(cookie, st->cookie_name, &len) : NULL;
    char user_id[32];
    int found = 0;
    if (value && len > FA_IDEAL_TOKEN_LEN && value[FA_IDEAL_TOKEN_LEN] == '.') {
        unsigned char hash[32];
        unsigned int hlen = 0;
        if (EVP_Digest(value, FA_IDEAL_TOKEN_LEN, hash, &hlen, st->sha256, NULL))
            found = fa_ideal_lookup(st, hash, user_id, sizeof(user_id));
    }
    if (found > 0)
        FCGX_FPrintF(req->out,
                     "Status: 200 OK\r\nContent-Type: application/json\r\n"
                     "Cache-Control: no-store\r\nX-Auth-User-Id: %s\r\n\r\n"
                     "{\"userId\":\"%s\"}\n",
                     user_id, user_id);
    else if (found == 0)
        FCGX_PutS("Status: 401 Unauthorized\r\nContent-Type: application/json\r\n"
                  "Cache-Control: no-store\r\n\r\n{\"error\":\"unauthenticated\"}\n",
                  req->out);
    else
        FCGX_PutS("Status: 503 Service Unavailable\r\nContent-Type: application/json\r\n\r\n"
                  "{\"error\":\"database_unavailable\"}\n",
                  req->out);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: fcgi_ideal_session SOCKET WORKERS CONNINFO COOKIE_NAME\n");
        return 2;
    }
    fa_ideal_t st = {.conninfo = argv[3], .cookie_name = argv[4]};
    return fa_bench_serve(argv[1], fa_bench_workers_arg(argv[2]), fa_ideal_init, &st,
                          fa_ideal_handle);
}
