/* Owns: turning the service secret into per-purpose keys. Never: uses the
 * configured secret directly as a key. */
#include "crypto/kdf.h"

#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fa_kdf_fatal(const char *what)
{
    fprintf(stderr, "{\"level\":\"fatal\",\"module\":\"crypto\",\"msg\":\"kdf: %s\"}\n", what);
    abort();
}

void fa_kdf_hkdf(const void *salt, size_t salt_len, const void *ikm, size_t ikm_len,
                 const void *info, size_t info_len, uint8_t *out, size_t out_len)
{
    /* OSSL_PARAM octet strings want non-const pointers and non-NULL buffers. */
    static unsigned char empty[1];
    OSSL_PARAM params[5];
    EVP_KDF *kdf = NULL;
    EVP_KDF_CTX *ctx = NULL;
    int ok = 0;

    if (out_len == 0 || out_len > FA_KDF_MAX_OUT)
        fa_kdf_fatal("output length out of range");
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, ikm_len ? (void *)ikm : empty,
                                                  ikm_len);
    params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
                                                  salt_len ? (void *)salt : empty, salt_len);
    params[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
                                                  info_len ? (void *)info : empty, info_len);
    params[4] = OSSL_PARAM_construct_end();

    kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    if (!kdf)
        goto out;
    ctx = EVP_KDF_CTX_new(kdf);
    if (!ctx)
        goto out;
    ok = EVP_KDF_derive(ctx, out, out_len, params) == 1;
out:
    EVP_KDF_CTX_free(ctx);
    EVP_KDF_free(kdf);
    if (!ok)
        fa_kdf_fatal("could not derive hkdf-sha256");
}

void fa_kdf_derive(const void *secret, size_t secret_len, const char *label, uint8_t *out,
                   size_t out_len)
{
    if (!label || !*label)
        fa_kdf_fatal("empty purpose label");
    fa_kdf_hkdf(FA_KDF_SALT, strlen(FA_KDF_SALT), secret, secret_len, label, strlen(label), out,
                out_len);
}
