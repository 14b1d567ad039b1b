/* Shared helpers of the crypto unit tests: hex parsing for the published
 * vectors (the runner is unit_test.h's). */
#ifndef FA_TEST_CRYPTO_TEST_H
#define FA_TEST_CRYPTO_TEST_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "unit_test.h"

/* Parses an even-length lower/upper-case hex string into out (capacity cap);
 * returns the byte count, aborts on malformed vectors (a broken test). */
static inline size_t test_hex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = strlen(hex);
    if (n % 2 || n / 2 > cap)
        abort();
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v;
        char pair[3] = {hex[2 * i], hex[2 * i + 1], 0};
        char *end;
        v = (unsigned)strtoul(pair, &end, 16);
        if (*end)
            abort();
        out[i] = (uint8_t)v;
    }
    return n / 2;
}

#endif
