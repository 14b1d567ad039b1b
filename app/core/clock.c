/* Owns: reading the monotonic clock. */
#include "core/clock.h"

#include <time.h>

double fa_clock_monotonic(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
