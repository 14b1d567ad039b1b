/* Owns: formatting instants for the API and the logs, without strftime or
 * printf on the per-request path. */
#include "core/timefmt.h"

#include <sys/time.h>
#include <time.h>

static char *fa_digits(char *p, int value, int width)
{
    for (int i = width - 1; i >= 0; i--, value /= 10)
        p[i] = (char)('0' + value % 10);
    return p + width;
}

void fa_time_iso_ms(int64_t unix_us, char out[FA_ISO_MS_LEN + 1])
{
    /* Floor division, so instants before 1970 keep a positive fraction. */
    int64_t secs = unix_us / 1000000, frac = unix_us % 1000000;
    if (frac < 0) {
        frac += 1000000;
        secs -= 1;
    }
    static const int64_t min_secs = -62167219200LL; /* 0000-01-01T00:00:00Z */
    static const int64_t max_secs = 253402300799LL; /* 9999-12-31T23:59:59Z */
    if (secs < min_secs || secs > max_secs) {
        secs = secs < min_secs ? min_secs : max_secs;
        frac = secs < 0 ? 0 : 999999;
    }
    time_t t = (time_t)secs;
    struct tm tm;
    gmtime_r(&t, &tm);
    char *p = fa_digits(out, tm.tm_year + 1900, 4);
    *p++ = '-';
    p = fa_digits(p, tm.tm_mon + 1, 2);
    *p++ = '-';
    p = fa_digits(p, tm.tm_mday, 2);
    *p++ = 'T';
    p = fa_digits(p, tm.tm_hour, 2);
    *p++ = ':';
    p = fa_digits(p, tm.tm_min, 2);
    *p++ = ':';
    p = fa_digits(p, tm.tm_sec, 2);
    *p++ = '.';
    p = fa_digits(p, (int)(frac / 1000), 3);
    *p++ = 'Z';
    *p = '\0';
}

int64_t fa_time_now_us(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}
