/* Corpus replay for builds without libFuzzer: runs LLVMFuzzerTestOneInput on
 * every regular file in the directory given as argv[1], so CTest checks each
 * fuzz target's invariants on its seeds with any compiler and sanitizer.
 * Exits non-zero if the directory is missing, unreadable or has no inputs:
 * a silently empty corpus would make the test pass while checking nothing.
 * Each input is copied into a buffer of exactly its size so ASan catches
 * reads past the end, as libFuzzer would. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Optional, as in libFuzzer: a target defines it when it needs setup. */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "replay: could not open %s\n", path);
        return -1;
    }
    int rc = -1;
    uint8_t *buf = NULL;
    if (fseek(f, 0, SEEK_END) != 0)
        goto out;
    long size = ftell(f);
    if (size < 0 || fseek(f, 0, SEEK_SET) != 0)
        goto out;
    buf = malloc(size ? (size_t)size : 1);
    if (!buf || fread(buf, 1, (size_t)size, f) != (size_t)size)
        goto out;
    LLVMFuzzerTestOneInput(buf, (size_t)size);
    rc = 0;
out:
    if (rc != 0)
        fprintf(stderr, "replay: could not read %s\n", path);
    free(buf);
    fclose(f);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
        return 2;
    }
    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize(&argc, &argv);
    DIR *dir = opendir(argv[1]);
    if (!dir) {
        fprintf(stderr, "replay: could not open directory %s\n", argv[1]);
        return 1;
    }
    size_t count = 0;
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        char path[4096];
        struct stat st;
        if (snprintf(path, sizeof(path), "%s/%s", argv[1], e->d_name) >= (int)sizeof(path) ||
            stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (replay_file(path) != 0)
            rc = 1;
        count++;
    }
    closedir(dir);
    if (count == 0) {
        fprintf(stderr, "replay: no inputs in %s\n", argv[1]);
        return 1;
    }
    printf("replayed %zu inputs from %s\n", count, argv[1]);
    return rc;
}
