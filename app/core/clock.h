/* The one monotonic clock of the service: intervals, deadlines and backoffs
 * (never wall time, which an NTP step can move backwards). */
#ifndef FA_CORE_CLOCK_H
#define FA_CORE_CLOCK_H

/* Seconds since an arbitrary fixed point, with nanosecond resolution. */
double fa_clock_monotonic(void);

#endif
