/* Owns: writing JSON values into a buffer without a document tree. Never:
 * escapes a string itself (jansson does) or copies in unchecked text. */
#include "core/json_text.h"

#include <jansson.h>

#include "core/timefmt.h"
#include "core/str.h"

/* True when s is valid UTF-8 with nothing JSON must escape (quote,
 * backslash, control characters): then its bytes are already the string's
 * JSON text. Anything else goes to jansson. */
static bool fa_json_plain(const char *s, size_t *len)
{
    const unsigned char *p = (const unsigned char *)s;
    bool ascii = true;
    for (; *p; p++) {
        if (*p < 0x20 || *p == '"' || *p == '\\')
            return false;
        ascii = ascii && *p < 0x80;
    }
    *len = (size_t)(p - (const unsigned char *)s);
    return ascii || fa_utf8_valid(s, *len);
}

void fa_json_text_string(fa_buf_t *buf, const char *s)
{
    size_t len;
    if (s && fa_json_plain(s, &len)) {
        fa_buf_append_char(buf, '"');
        fa_buf_append(buf, s, len);
        fa_buf_append_char(buf, '"');
        return;
    }
    json_t *str = s ? json_string(s) : NULL;
    if (!str) {
        FA_JSON_RAW(buf, "null");
        return;
    }
    /* Escaping grows a string at most six-fold (\u00XX), plus the quotes. */
    size_t room = strlen(s) * 6 + 2;
    size_t n = json_dumpb(str, fa_buf_reserve(buf, room), room, JSON_ENCODE_ANY);
    json_decref(str);
    if (n == 0 || n > room) {
        FA_JSON_RAW(buf, "null");
        return;
    }
    buf->len += n;
}

void fa_json_text_id(fa_buf_t *buf, int64_t id)
{
    fa_buf_append_char(buf, '"');
    if (id < 0)
        fa_buf_append_char(buf, '-');
    fa_buf_append_uint(buf, id < 0 ? 0ULL - (unsigned long long)id : (unsigned long long)id);
    fa_buf_append_char(buf, '"');
}

void fa_json_text_time(fa_buf_t *buf, bool present, int64_t unix_us)
{
    if (!present) {
        FA_JSON_RAW(buf, "null");
        return;
    }
    char text[FA_ISO_MS_LEN + 1];
    fa_time_iso_ms(unix_us, text);
    fa_buf_append_char(buf, '"');
    fa_buf_append(buf, text, FA_ISO_MS_LEN);
    fa_buf_append_char(buf, '"');
}
