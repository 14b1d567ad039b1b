/* Owns: access to the CSPRNG. Never: falls back to rand(), time or pids. */
#include "crypto/random.h"

#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "crypto/base64url.h"
#include "crypto/hash.h"

void fa_random_bytes(void *buf, size_t len)
{
    uint8_t *p = buf;
    /* RAND_bytes takes an int length; draw large requests in pieces. */
    while (len > 0) {
        int chunk = len > INT_MAX ? INT_MAX : (int)len;
        if (RAND_bytes(p, chunk) != 1) {
            fputs("{\"level\":\"fatal\",\"module\":\"crypto\","
                  "\"msg\":\"could not get random bytes from the csprng\"}\n",
                  stderr);
            abort();
        }
        p += chunk;
        len -= (size_t)chunk;
    }
}

char *fa_random_token_b64url(fa_arena_t *arena, size_t nbytes)
{
    uint8_t stack[64];
    uint8_t *raw = nbytes <= sizeof(stack) ? stack : fa_arena_alloc(arena, nbytes);
    fa_random_bytes(raw, nbytes);
    char *out = fa_base64url_encode_arena(arena, raw, nbytes);
    /* The encoded form is the secret; the raw bytes need not outlive it. */
    OPENSSL_cleanse(raw, nbytes);
    return out;
}

void fa_random_uuid_v4(char out[FA_UUID_STR_LEN + 1])
{
    uint8_t b[16];
    char hex[33];
    fa_random_bytes(b, sizeof(b));
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* variant 10xx */
    fa_hex_encode(b, sizeof(b), hex);
    snprintf(out, FA_UUID_STR_LEN + 1, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12,
             hex + 16, hex + 20);
}
