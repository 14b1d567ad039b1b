/* Owns: the base64url codec. Never: accepts two spellings of one value
 * (signatures are compared as text, so malleable encodings would be a bug). */
#include "crypto/base64url.h"

#include <stdio.h>
#include <stdlib.h>

static const char fa_b64url_alphabet[64] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* 0..63 for alphabet characters, 0xff for everything else. */
static const uint8_t fa_b64url_value[256] = {
    ['A'] = 0,  ['B'] = 1,  ['C'] = 2,  ['D'] = 3,  ['E'] = 4,  ['F'] = 5,  ['G'] = 6,  ['H'] = 7,
    ['I'] = 8,  ['J'] = 9,  ['K'] = 10, ['L'] = 11, ['M'] = 12, ['N'] = 13, ['O'] = 14, ['P'] = 15,
    ['Q'] = 16, ['R'] = 17, ['S'] = 18, ['T'] = 19, ['U'] = 20, ['V'] = 21, ['W'] = 22, ['X'] = 23,
    ['Y'] = 24, ['Z'] = 25, ['a'] = 26, ['b'] = 27, ['c'] = 28, ['d'] = 29, ['e'] = 30, ['f'] = 31,
    ['g'] = 32, ['h'] = 33, ['i'] = 34, ['j'] = 35, ['k'] = 36, ['l'] = 37, ['m'] = 38, ['n'] = 39,
    ['o'] = 40, ['p'] = 41, ['q'] = 42, ['r'] = 43, ['s'] = 44, ['t'] = 45, ['u'] = 46, ['v'] = 47,
    ['w'] = 48, ['x'] = 49, ['y'] = 50, ['z'] = 51, ['0'] = 52, ['1'] = 53, ['2'] = 54, ['3'] = 55,
    ['4'] = 56, ['5'] = 57, ['6'] = 58, ['7'] = 59, ['8'] = 60, ['9'] = 61, ['-'] = 62, ['_'] = 63,
};

/* The table above zero-fills unnamed entries, and 0 is also the value of 'A',
 * so membership is decided here rather than by a sentinel in the table. */
static bool fa_b64url_member(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

static void fa_b64url_misuse(const char *what)
{
    fprintf(stderr, "{\"level\":\"fatal\",\"module\":\"crypto\",\"msg\":\"base64url: %s\"}\n",
            what);
    abort();
}

size_t fa_base64url_encoded_len(size_t len)
{
    if (len / 3 > (SIZE_MAX - 4) / 4)
        fa_b64url_misuse("input too large");
    size_t rem = len % 3;
    return (len / 3) * 4 + (rem ? rem + 1 : 0);
}

size_t fa_base64url_decoded_max(size_t len)
{
    size_t rem = len % 4;
    return (len / 4) * 3 + (rem >= 2 ? rem - 1 : 0);
}

size_t fa_base64url_encode(const void *in, size_t len, char *out, size_t out_size)
{
    size_t need = fa_base64url_encoded_len(len);
    if (out_size <= need)
        fa_b64url_misuse("output buffer too small");
    const uint8_t *p = in;
    char *o = out;
    size_t i = 0;
    for (; i + 3 <= len; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        *o++ = fa_b64url_alphabet[v >> 18];
        *o++ = fa_b64url_alphabet[(v >> 12) & 63];
        *o++ = fa_b64url_alphabet[(v >> 6) & 63];
        *o++ = fa_b64url_alphabet[v & 63];
    }
    if (len - i == 1) {
        *o++ = fa_b64url_alphabet[p[i] >> 2];
        *o++ = fa_b64url_alphabet[(p[i] & 3) << 4];
    } else if (len - i == 2) {
        uint32_t v = (uint32_t)p[i] << 8 | p[i + 1];
        *o++ = fa_b64url_alphabet[v >> 10];
        *o++ = fa_b64url_alphabet[(v >> 4) & 63];
        *o++ = fa_b64url_alphabet[(v & 15) << 2];
    }
    *o = '\0';
    return need;
}

char *fa_base64url_encode_arena(fa_arena_t *arena, const void *in, size_t len)
{
    size_t size = fa_base64url_encoded_len(len) + 1;
    char *out = fa_arena_alloc(arena, size);
    fa_base64url_encode(in, len, out, size);
    return out;
}

bool fa_base64url_is_alphabet(const char *in, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!fa_b64url_member((unsigned char)in[i]))
            return false;
    return true;
}

/* Decodes one group of n (2..4) characters into n-1 bytes. Rejects a short
 * group whose unused low bits are set: those bits would make a second
 * spelling of the same bytes. */
static bool fa_b64url_decode_group(const char *in, size_t n, uint8_t *out)
{
    uint32_t v = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)in[i];
        if (!fa_b64url_member(c))
            return false;
        v |= (uint32_t)fa_b64url_value[c] << (18 - 6 * i);
    }
    out[0] = (uint8_t)(v >> 16);
    if (n == 2)
        return (v & 0xffff) == 0;
    out[1] = (uint8_t)(v >> 8);
    if (n == 3)
        return (v & 0xff) == 0;
    out[2] = (uint8_t)v;
    return true;
}

bool fa_base64url_decode(const char *in, size_t len, uint8_t *out, size_t out_size, size_t *out_len)
{
    *out_len = 0;
    if (len % 4 == 1 || fa_base64url_decoded_max(len) > out_size)
        return false;
    size_t o = 0;
    for (size_t i = 0; i < len; i += 4) {
        size_t n = len - i < 4 ? len - i : 4;
        if (!fa_b64url_decode_group(in + i, n, out + o))
            return false;
        o += n - 1;
    }
    *out_len = o;
    return true;
}

uint8_t *fa_base64url_decode_arena(fa_arena_t *arena, fa_str_t in, size_t *out_len)
{
    size_t max = fa_base64url_decoded_max(in.len);
    uint8_t *out = fa_arena_alloc(arena, max + 1);
    if (!fa_base64url_decode(in.ptr, in.len, out, max, out_len))
        return NULL;
    out[*out_len] = 0;
    return out;
}
