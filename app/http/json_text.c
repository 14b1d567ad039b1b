/* Owns: writing JSON values into a buffer without a document tree. Never:
 * escapes a string itself (jansson does) or copies in unchecked text. */
#include "http/json_text.h"

#include <jansson.h>
#include <stdio.h>

#include "core/timefmt.h"

void fa_json_text_string(fa_buf_t *buf, const char *s)
{
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
    char text[24];
    int n = snprintf(text, sizeof(text), "\"%lld\"", (long long)id);
    fa_buf_append(buf, text, (size_t)n);
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
