/*
 * deadline.c - absolute time limits on the monotonic clock.
 *
 * A deadline is a plain int64_t count of milliseconds on CLOCK_MONOTONIC,
 * the clock that never jumps when the wall time is set. DEADLINE_NONE (0)
 * stands for "no limit"; the monotonic clock counts from boot, so no real
 * deadline is ever 0.
 */
#include <limits.h>
#include <time.h>

#include "deadline.h"

int64_t deadline_now(void)
{
    struct timespec ts;

    /* Cannot fail: CLOCK_MONOTONIC exists on every system the kit runs on. */
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t deadline_after(int ms)
{
    if (ms <= 0) {
        return DEADLINE_NONE;
    }
    return deadline_now() + ms;
}

int64_t deadline_earlier(int64_t a, int64_t b)
{
    if (a == DEADLINE_NONE) {
        return b;
    }
    if (b == DEADLINE_NONE) {
        return a;
    }
    return a < b ? a : b;
}

int deadline_poll_ms(int64_t deadline)
{
    int64_t left;

    if (deadline == DEADLINE_NONE) {
        return -1;
    }
    left = deadline - deadline_now();
    if (left <= 0) {
        return 0;
    }
    return left > INT_MAX ? INT_MAX : (int)left;
}

struct timespec deadline_timespec(int64_t deadline)
{
    struct timespec ts = { .tv_sec = (time_t)(deadline / 1000),
                           .tv_nsec = (long)(deadline % 1000) * 1000000 };

    return ts;
}
