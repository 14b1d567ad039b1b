/* Timestamps as the API shows them: ISO 8601 UTC with milliseconds,
 * "2026-11-23T13:24:03.796Z" (the format PostgreSQL's to_char produced
 * before hot statements switched to binary results). */
#ifndef FA_CORE_TIMEFMT_H
#define FA_CORE_TIMEFMT_H

#include <stdint.h>

#define FA_ISO_MS_LEN 24 /* without the NUL */

/* Microseconds since the Unix epoch to "YYYY-MM-DDTHH:MM:SS.mmmZ".
 * Milliseconds are truncated, as to_char's MS does. out needs
 * FA_ISO_MS_LEN + 1 bytes; years outside 0..9999 are clamped to them. */
void fa_time_iso_ms(int64_t unix_us, char out[FA_ISO_MS_LEN + 1]);

/* The wall clock, in microseconds since the Unix epoch. */
int64_t fa_time_now_us(void);

#endif
