/* JSON text written straight into a buffer, for the fixed-shape documents on
 * hot paths (the snapshot, the session), where building a jansson tree per
 * request was a large share of the CPU. Keys and punctuation are ours;
 * strings are escaped by jansson; fragments are JSON PostgreSQL rendered. */
#ifndef FA_CORE_JSON_TEXT_H
#define FA_CORE_JSON_TEXT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/str.h"

#define FA_JSON_RAW(buf, literal) fa_buf_append((buf), (literal), sizeof(literal) - 1)

/* A JSON string with s's content (jansson-escaped), or null when s is NULL
 * or not valid UTF-8. */
void fa_json_text_string(fa_buf_t *buf, const char *s);

/* An id as a JSON string of its decimal digits ("583231"). */
void fa_json_text_id(fa_buf_t *buf, int64_t id);

/* An instant as "YYYY-MM-DDTHH:MM:SS.mmmZ", or null when absent. */
void fa_json_text_time(fa_buf_t *buf, bool present, int64_t unix_us);

#endif
