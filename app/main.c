/* foundry-auth: subcommands serve, jobs, admin, keys. Owns: argument
 * dispatch and start-up validation; each subcommand lives in its module and
 * is one line of the table below. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/statements.h"
#include "cli/admin.h"
#include "core/config.h"
#include "core/fds.h"
#include "core/log.h"
#include "server/jobs_worker.h"
#include "server/master.h"

typedef int (*fa_command_fn)(const fa_config_t *cfg, int argc, char **argv);

typedef struct {
    const char *name;
    fa_command_fn run; /* receives argv from the subcommand name on */
    const char *help;
} fa_command_t;

static int fa_cmd_serve(const fa_config_t *cfg, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return fa_master_run(cfg);
}

static const fa_command_t fa_commands[] = {
    {"serve", fa_cmd_serve, "run the FastCGI master and workers"},
    {"admin", fa_admin_main, "operator commands: token, users, sessions, role-label, check, gc"},
    {"keys", fa_keys_main, "JWT signing keys: rotate, list"},
    {"jobs", fa_jobs_main, "run the background job worker (org sync, garbage collection)"},
};

#define FA_COMMAND_COUNT (sizeof(fa_commands) / sizeof(fa_commands[0]))

static void fa_usage(FILE *out)
{
    fputs("usage: foundry-auth <command> [args]\n\ncommands:\n", out);
    for (size_t i = 0; i < FA_COMMAND_COUNT; i++)
        fprintf(out, "  %-9s %s\n", fa_commands[i].name, fa_commands[i].help);
    fputs("  version   print the version and the schema version this binary expects\n"
          "\nConfiguration comes from the environment; see README.md.\n",
          out);
}

/* One line naming the variable, non-zero exit: nothing runs half-configured. */
static int fa_load_config(fa_config_t *cfg, const char *process)
{
    char err[512], warn[1024];
    if (!fa_config_load(cfg, fa_config_process_env, NULL, err, sizeof(err), warn, sizeof(warn))) {
        fprintf(stderr, "foundry-auth: invalid configuration: %s\n", err);
        return 2;
    }
    fa_log_init(cfg->log_level, process);
    for (char *line = strtok(warn, "\n"); line; line = strtok(NULL, "\n"))
        fa_log_warn("config", "%s", line);
    return 0;
}

int main(int argc, char **argv)
{
    /* Before anything opens a descriptor of its own (issue 15). */
    fa_fds_sanitize();
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
        fa_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "version") == 0) {
        printf("foundry-auth %s (schema %d)\n", FA_VERSION, FA_SCHEMA_VERSION);
        return 0;
    }
    for (size_t i = 0; i < FA_COMMAND_COUNT; i++) {
        if (strcmp(argv[1], fa_commands[i].name) != 0)
            continue;
        if (argc > 2 && strcmp(argv[2], "--help") == 0) {
            printf("foundry-auth %s: %s\n", fa_commands[i].name, fa_commands[i].help);
            return 0;
        }
        fa_config_t cfg;
        int rc = fa_load_config(&cfg, fa_commands[i].name);
        if (rc)
            return rc;
        /* Every subcommand's process registers all statements here, once,
         * before the master forks (admin/statements.c says why all). */
        if (!fa_statements_register_all()) {
            fa_log_error("db", "statement registry check failed; not starting");
            fa_config_free(&cfg);
            return 1;
        }
        rc = fa_commands[i].run(&cfg, argc - 1, argv + 1);
        fa_config_free(&cfg);
        return rc;
    }
    fprintf(stderr, "foundry-auth: unknown command '%s'\n", argv[1]);
    fa_usage(stderr);
    return 2;
}
