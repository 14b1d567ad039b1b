/* Owns: the admin and keys subcommands: argument parsing, one database
 * connection, printing. The work itself is the modules' (admin/users.h,
 * auth/admin_token.h, auth/signing_keys.h, admin/check.h, jobs/gc.h), the
 * same code the HTTP API runs. Never: prints a token anywhere but stdout,
 * once. */
#include "cli/admin.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/check.h"
#include "admin/reseal.h"
#include "admin/users.h"
#include "auth/admin_token.h"
#include "auth/session.h"
#include "auth/signing_keys.h"
#include "crypto/kdf.h"
#include "admin/gc.h"

typedef struct {
    const fa_config_t *cfg;
    fa_db_t *db;
    fa_arena_t *arena;
    int argc; /* from the action's name on */
    char **argv;
} fa_cli_t;

typedef int (*fa_cli_fn)(fa_cli_t *cli);

typedef struct {
    const char *group;  /* "token", "users", ... or NULL for a one-word command */
    const char *action; /* "create", ... */
    fa_cli_fn run;
    int min_args, max_args; /* after group and action */
    const char *usage;
} fa_cli_command_t;

static int fa_cli_error(const fa_error_t *err)
{
    fprintf(stderr, "foundry-auth: %s\n", err->message);
    return 1;
}

static bool fa_cli_user(const char *text, int64_t *user_id)
{
    if (fa_admin_parse_user_id(fa_str_from(text), user_id))
        return true;
    fprintf(stderr, "foundry-auth: '%s' is not a user id (a positive number)\n", text);
    return false;
}

/* ---- admin token ------------------------------------------------------- */

static int fa_cli_print_token(char *token)
{
    /* The only copy the operator will ever see; it is not stored anywhere. */
    printf("%s\n", token);
    fflush(stdout);
    OPENSSL_cleanse(token, strlen(token));
    fputs("foundry-auth: store this admin token now; it is shown only once\n", stderr);
    return 0;
}

/* The admin token's MAC keys from the configured secrets; aborts on a
 * config that validation should have refused. */
static void fa_cli_admin_keys(const fa_cli_t *cli, fa_hmac_keys_t *keys)
{
    if (!fa_admin_token_keys_init(keys, (const char *const *)cli->cfg->secrets,
                                  cli->cfg->secret_count))
        abort();
}

static int fa_cli_token_create(fa_cli_t *cli)
{
    char *token;
    fa_error_t err;
    fa_hmac_keys_t keys;
    fa_cli_admin_keys(cli, &keys);
    fa_status_t st = fa_admin_token_create(cli->db, cli->arena, &keys, &token, &err);
    fa_hmac_keys_clear(&keys);
    if (st != FA_OK)
        return fa_cli_error(&err);
    return fa_cli_print_token(token);
}

static int fa_cli_token_rotate(fa_cli_t *cli)
{
    char *token;
    fa_error_t err;
    fa_hmac_keys_t keys;
    fa_cli_admin_keys(cli, &keys);
    fa_status_t st =
        fa_admin_token_rotate(cli->db, cli->arena, &keys, NULL, "cli", NULL, &token, &err);
    fa_hmac_keys_clear(&keys);
    if (st != FA_OK)
        return fa_cli_error(&err);
    return fa_cli_print_token(token);
}

/* ---- users and sessions ------------------------------------------------ */

static const char *fa_or_dash(const char *s)
{
    return s ? s : "-";
}

static int fa_cli_users_search(fa_cli_t *cli)
{
    fa_error_t err;
    fa_admin_user_rows_t users;
    if (fa_admin_users_search(cli->db, cli->arena, cli->argv[0], FA_ADMIN_SEARCH_LIMIT, &users,
                              &err) != FA_OK)
        return fa_cli_error(&err);
    for (size_t i = 0; i < users.count; i++) {
        const fa_admin_user_row_t *u = &users.rows[i];
        printf("%s\t%s\t%s\t%s\t%s\n", u->id, fa_or_dash(u->login), fa_or_dash(u->email),
               fa_or_dash(u->role_label), u->created_at);
    }
    return 0;
}

static int fa_cli_sessions_list(fa_cli_t *cli)
{
    int64_t user_id;
    if (!fa_cli_user(cli->argv[0], &user_id))
        return 2;
    fa_error_t err;
    fa_session_rows_t sessions;
    if (fa_admin_user_exists(cli->db, cli->arena, user_id, &err) != FA_OK ||
        fa_session_list(cli->db, cli->arena, user_id, &sessions, &err) != FA_OK)
        return fa_cli_error(&err);
    for (size_t i = 0; i < sessions.count; i++) {
        const fa_session_row_t *s = &sessions.rows[i];
        printf("%s\t%s\t%s\t%s\t%s\n", s->id, s->created_at, s->expires_at, fa_or_dash(s->ip),
               fa_or_dash(s->user_agent));
    }
    return 0;
}

typedef struct {
    int64_t user_id;
    const char *session_id;
    const char *label;
    long count;
} fa_cli_write_t;

static fa_status_t fa_cli_revoke_tx(fa_db_t *db, fa_arena_t *arena, void *data, fa_error_t *err)
{
    fa_cli_write_t *w = data;
    return fa_admin_sessions_revoke(db, arena, w->user_id, w->session_id, "cli", NULL, &w->count,
                                    err);
}

static int fa_cli_sessions_revoke(fa_cli_t *cli)
{
    fa_cli_write_t w = {.session_id = cli->argc > 1 ? cli->argv[1] : NULL};
    if (!fa_cli_user(cli->argv[0], &w.user_id))
        return 2;
    fa_error_t err;
    /* Invariant 1: reported only after COMMIT. */
    if (fa_db_transaction(cli->db, cli->arena, fa_cli_revoke_tx, &w, &err) != FA_OK)
        return fa_cli_error(&err);
    printf("revoked %ld session(s)\n", w.count);
    return 0;
}

static fa_status_t fa_cli_label_tx(fa_db_t *db, fa_arena_t *arena, void *data, fa_error_t *err)
{
    fa_cli_write_t *w = data;
    return fa_admin_role_label_set(db, arena, w->user_id, w->label, "cli", NULL, err);
}

static int fa_cli_role_label(fa_cli_t *cli)
{
    fa_cli_write_t w = {.label = strcmp(cli->argv[1], "--clear") == 0 ? NULL : cli->argv[1]};
    if (!fa_cli_user(cli->argv[0], &w.user_id))
        return 2;
    fa_error_t err;
    if (fa_db_transaction(cli->db, cli->arena, fa_cli_label_tx, &w, &err) != FA_OK)
        return fa_cli_error(&err);
    printf("%s\t%s\n", cli->argv[0], w.label ? w.label : "-");
    return 0;
}

/* ---- maintenance ------------------------------------------------------- */

static int fa_cli_check(fa_cli_t *cli)
{
    return fa_admin_check_run(cli->cfg, cli->db, cli->arena, stdout) == 0 ? 0 : 1;
}

static int fa_cli_gc(fa_cli_t *cli)
{
    fa_gc_counts_t counts = {0};
    fa_error_t err;
    fa_status_t st = fa_gc_run_once(cli->db, cli->arena, &counts, &err);
    printf("sessions\t%ld\nverification\t%ld\njobs\t%ld\n", counts.sessions, counts.verification,
           counts.jobs);
    return st == FA_OK ? 0 : fa_cli_error(&err);
}

static int fa_cli_keys_rotate(fa_cli_t *cli)
{
    fa_keyring_t ring;
    fa_keyring_init(&ring, FA_KDF_LABEL_JWT_KEY_ENCRYPTION, (const char *const *)cli->cfg->secrets,
                    cli->cfg->secret_count);
    long activation = fa_signing_keys_activation_seconds(cli->cfg);
    long overlap = fa_signing_keys_overlap_seconds(cli->cfg);
    const char *kid;
    long activates_in;
    fa_error_t err;
    fa_status_t st = fa_signing_keys_rotate(cli->db, cli->arena, &ring, activation, overlap, &kid,
                                            &activates_in, &err);
    fa_keyring_clear(&ring);
    if (st != FA_OK)
        return fa_cli_error(&err);
    printf("%s\n", kid);
    if (activates_in > 0)
        fprintf(stderr,
                "foundry-auth: new signing key %s is published now and signs in %ld s, once every "
                "cached JWKS has it; the previous key signs until then and stays published for "
                "%ld s more\n",
                kid, activates_in, overlap);
    else
        fprintf(stderr, "foundry-auth: new signing key %s signs at once (no key was signing)\n",
                kid);
    return 0;
}

static int fa_cli_keys_list(fa_cli_t *cli)
{
    fa_error_t err;
    fa_signing_key_rows_t keys;
    if (fa_signing_keys_list(cli->db, cli->arena, &keys, &err) != FA_OK)
        return fa_cli_error(&err);
    for (size_t i = 0; i < keys.count; i++) {
        const fa_signing_key_row_t *k = &keys.rows[i];
        printf("%s\t%s\t%s\t%s\t%s\n", k->kid, k->state, k->created_at, k->activates_at,
               fa_or_dash(k->retire_after));
    }
    return 0;
}

static int fa_cli_keys_reseal(fa_cli_t *cli)
{
    fa_reseal_result_t res;
    fa_error_t err;
    fa_status_t st = fa_reseal_run(cli->cfg, cli->db, cli->arena, &res, &err);
    /* Batches before a failure are committed: say what they did either way. */
    printf("resealed\t%lld\nunreadable\t%lld\nchanged concurrently\t%lld\n", res.resealed,
           res.unreadable, res.raced);
    if (st != FA_OK)
        return fa_cli_error(&err);
    fa_arena_reset(cli->arena);
    return fa_admin_check_sealed(cli->cfg, cli->db, cli->arena, stdout) == 0 ? 0 : 1;
}

/* ---- dispatch ---------------------------------------------------------- */

static const fa_cli_command_t fa_admin_commands[] = {
    {"token", "create", fa_cli_token_create, 0, 0, "admin token create"},
    {"token", "rotate", fa_cli_token_rotate, 0, 0, "admin token rotate"},
    {"users", "search", fa_cli_users_search, 1, 1, "admin users search QUERY"},
    {"sessions", "list", fa_cli_sessions_list, 1, 1, "admin sessions list USER"},
    {"sessions", "revoke", fa_cli_sessions_revoke, 1, 2, "admin sessions revoke USER [SESSION]"},
    {NULL, "role-label", fa_cli_role_label, 2, 2, "admin role-label USER LABEL|--clear"},
    {NULL, "check", fa_cli_check, 0, 0, "admin check"},
    {NULL, "gc", fa_cli_gc, 0, 0, "admin gc"},
};

static const fa_cli_command_t fa_keys_commands[] = {
    {NULL, "rotate", fa_cli_keys_rotate, 0, 0, "keys rotate"},
    {NULL, "list", fa_cli_keys_list, 0, 0, "keys list"},
    {NULL, "reseal", fa_cli_keys_reseal, 0, 0, "keys reseal"},
};

static int fa_cli_usage(const fa_cli_command_t *commands, size_t n)
{
    fputs("usage:\n", stderr);
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, "  foundry-auth %s\n", commands[i].usage);
    return 2;
}

static const fa_cli_command_t *fa_cli_find(const fa_cli_command_t *commands, size_t n, int argc,
                                           char **argv, int *consumed)
{
    for (size_t i = 0; i < n; i++) {
        const fa_cli_command_t *c = &commands[i];
        int words = c->group ? 2 : 1;
        if (argc < words + 1 || (c->group && strcmp(argv[1], c->group) != 0) ||
            strcmp(argv[words], c->action) != 0)
            continue;
        int rest = argc - 1 - words;
        if (rest < c->min_args || rest > c->max_args)
            return NULL;
        *consumed = 1 + words;
        return c;
    }
    return NULL;
}

static int fa_cli_run(const fa_config_t *cfg, const fa_cli_command_t *commands, size_t n, int argc,
                      char **argv)
{
    int consumed = 0;
    const fa_cli_command_t *c = fa_cli_find(commands, n, argc, argv, &consumed);
    if (!c)
        return fa_cli_usage(commands, n);
    fa_cli_t cli = {cfg, fa_db_create(cfg->database_url), fa_arena_create(64 * 1024),
                    argc - consumed, argv + consumed};
    fa_db_set_timeout(cli.db, cfg->db_timeout_ms);
    fa_error_t err;
    int rc;
    if (c->run != fa_cli_check && fa_db_ready(cli.db, &err) != FA_OK)
        rc = fa_cli_error(&err);
    else
        rc = c->run(&cli);
    fa_arena_destroy(cli.arena);
    fa_db_destroy(cli.db);
    return rc;
}

int fa_admin_main(const fa_config_t *cfg, int argc, char **argv)
{
    return fa_cli_run(cfg, fa_admin_commands,
                      sizeof(fa_admin_commands) / sizeof(fa_admin_commands[0]), argc, argv);
}

int fa_keys_main(const fa_config_t *cfg, int argc, char **argv)
{
    return fa_cli_run(cfg, fa_keys_commands, sizeof(fa_keys_commands) / sizeof(fa_keys_commands[0]),
                      argc, argv);
}
