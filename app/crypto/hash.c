/* Owns: digest, MAC and comparison helpers over OpenSSL. Never: compares a
 * secret with memcmp, or returns a partial digest on failure. */
#include "crypto/hash.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>

static void fa_hash_fatal(const char *what)
{
    fprintf(stderr, "{\"level\":\"fatal\",\"module\":\"crypto\",\"msg\":\"could not %s\"}\n", what);
    abort();
}

void fa_sha256(const void *data, size_t len, uint8_t out[FA_SHA256_LEN])
{
    unsigned int outlen = 0;
    if (!EVP_Digest(data, len, out, &outlen, EVP_sha256(), NULL) || outlen != FA_SHA256_LEN)
        fa_hash_fatal("compute sha-256");
}

void fa_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t msglen,
                    uint8_t out[FA_SHA256_LEN])
{
    /* HMAC() wants a non-NULL key pointer even for an empty key. */
    static const uint8_t empty_key[1];
    unsigned int outlen = 0;
    if (keylen > INT32_MAX)
        fa_hash_fatal("compute hmac-sha256: key too long");
    if (!HMAC(EVP_sha256(), keylen ? key : empty_key, (int)keylen, msg, msglen, out, &outlen) ||
        outlen != FA_SHA256_LEN)
        fa_hash_fatal("compute hmac-sha256");
}

bool fa_ct_equal(const void *a, const void *b, size_t len)
{
    return CRYPTO_memcmp(a, b, len) == 0;
}

void fa_hex_encode(const void *in, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    const uint8_t *p = in;
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * len] = '\0';
}

char *fa_hex_encode_arena(fa_arena_t *arena, const void *in, size_t len)
{
    if (len > (SIZE_MAX - 1) / 2)
        fa_hash_fatal("hex-encode: input too large");
    char *out = fa_arena_alloc(arena, 2 * len + 1);
    fa_hex_encode(in, len, out);
    return out;
}
