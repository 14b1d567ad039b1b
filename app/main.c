/* foundry-auth: subcommands serve, jobs, admin, keys. Owns: argument
 * dispatch and start-up validation; each subcommand lives in its module. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/log.h"
#include "server/master.h"

static void fa_usage(FILE *out)
{
    fputs("usage: foundry-auth <command>\n"
          "\n"
          "commands:\n"
          "  serve     run the FastCGI master and workers (configuration from the environment)\n"
          "  version   print the version and the schema version this binary expects\n"
          "\n"
          "See README.md for the environment variables.\n",
          out);
}

/* One line naming the variable, non-zero exit: nothing runs half-configured. */
static int fa_load_config(fa_config_t *cfg)
{
    char err[512], warn[1024];
    if (!fa_config_load(cfg, fa_config_process_env, NULL, err, sizeof(err), warn, sizeof(warn))) {
        fprintf(stderr, "foundry-auth: invalid configuration: %s\n", err);
        return 2;
    }
    fa_log_init(cfg->log_level, "serve");
    for (char *line = strtok(warn, "\n"); line; line = strtok(NULL, "\n"))
        fa_log_warn("config", "%s", line);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
        fa_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "version") == 0) {
        printf("foundry-auth %s (schema %d)\n", FA_VERSION, FA_SCHEMA_VERSION);
        return 0;
    }
    if (strcmp(cmd, "serve") == 0) {
        fa_config_t cfg;
        int rc = fa_load_config(&cfg);
        if (rc)
            return rc;
        rc = fa_master_run(&cfg);
        fa_config_free(&cfg);
        return rc;
    }
    fprintf(stderr, "foundry-auth: unknown command '%s'\n", cmd);
    fa_usage(stderr);
    return 2;
}
