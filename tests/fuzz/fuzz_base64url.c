/* Fuzz target for the base64url decoder and the signed-token verifier, the
 * first code every cookie and bearer value reaches.
 * Invariants checked (abort on violation):
 *  - decoding is canonical: whatever decodes re-encodes to exactly the input;
 *  - decoding never writes past fa_base64url_decoded_max();
 *  - signed-token and signed-value verification never crash and never accept
 *    input that was not signed (the fuzzer cannot forge an HMAC, so any
 *    acceptance is a bug). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/base64url.h"
#include "crypto/kdf.h"
#include "crypto/signed_token.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static fa_hmac_keys_t session_keys;
static fa_hmac_keys_t value_keys;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    static const char *const secrets[] = {"fuzz-secret-new-0123456789abcdef0123",
                                          "fuzz-secret-old-0123456789abcdef0123"};
    if (!fa_hmac_keys_init(&session_keys, secrets, 2) ||
        !fa_hmac_keys_init_purpose(&value_keys, FA_KDF_LABEL_COOKIE_CACHE, secrets, 2))
        abort();
    return 0;
}

static void check_canonical(const char *in, size_t size)
{
    size_t max = fa_base64url_decoded_max(size);
    /* One guard byte past the bound: the decoder must never touch it. */
    uint8_t *out = malloc(max + 1);
    char *again = NULL;
    size_t out_len = 0;
    if (!out)
        abort();
    out[max] = 0xa5;
    if (fa_base64url_decode(in, size, out, max, &out_len)) {
        size_t elen = fa_base64url_encoded_len(out_len);
        again = malloc(elen + 1);
        if (!again)
            abort();
        if (out_len > max || fa_base64url_encode(out, out_len, again, elen + 1) != size ||
            memcmp(again, in, size) != 0) {
            fprintf(stderr, "non-canonical input accepted\n");
            abort();
        }
    }
    if (out[max] != 0xa5)
        abort();
    free(again);
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    fa_str_t value;
    uint8_t hash[FA_SHA256_LEN];

    check_canonical(in, size);
    if (fa_signed_token_verify(&session_keys, (fa_str_t){in, size}, hash) ||
        fa_signed_value_verify(&value_keys, (fa_str_t){in, size}, &value)) {
        fprintf(stderr, "unsigned input accepted\n");
        abort();
    }
    return 0;
}
