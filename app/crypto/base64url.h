/* RFC 4648 §5 base64url without padding: the alphabet of every token, cookie
 * value and signature this service hands out. Decoding is strict so that each
 * byte string has exactly one accepted text form: no '=' padding, no
 * whitespace, no characters outside [A-Za-z0-9_-], no length of 4k+1, and the
 * unused low bits of the last character must be zero (RFC 4648 §3.5).
 * Encoding, not cryptography: table-driven, no OpenSSL. */
#ifndef FA_CRYPTO_BASE64URL_H
#define FA_CRYPTO_BASE64URL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/str.h"

/* Characters needed for len input bytes (no NUL). Aborts on overflow. */
size_t fa_base64url_encoded_len(size_t len);

/* Upper bound of bytes fa_base64url_decode() writes for len characters. */
size_t fa_base64url_decoded_max(size_t len);

/* Encodes len bytes of in into out and NUL-terminates it; returns the number
 * of characters written (without NUL). out_size must be at least
 * fa_base64url_encoded_len(len) + 1, otherwise the call aborts (API misuse). */
size_t fa_base64url_encode(const void *in, size_t len, char *out, size_t out_size);

/* Same, into a fresh NUL-terminated arena string. Never NULL. */
char *fa_base64url_encode_arena(fa_arena_t *arena, const void *in, size_t len);

/* True if every character is in the base64url alphabet (says nothing about
 * length or trailing bits). */
bool fa_base64url_is_alphabet(const char *in, size_t len);

/* Strictly decodes len characters into out (capacity out_size) and sets
 * *out_len. Returns false, with *out_len = 0, on any non-canonical input or if
 * the result would not fit; out may then hold partial garbage. */
bool fa_base64url_decode(const char *in, size_t len, uint8_t *out, size_t out_size,
                         size_t *out_len);

/* Strict decode into the arena; NULL on invalid input. The buffer has one
 * extra zero byte after *out_len so it can be used as a C string. */
uint8_t *fa_base64url_decode_arena(fa_arena_t *arena, fa_str_t in, size_t *out_len);

#endif
